package org.alignstream.common.security;


import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

class AccessControlTest {

  private static final List<AclBinding> ALL = AccessControl.aclBindings(AccessControl.standard());

  /** Principals with {@code op} on the literal topic {@code topic}. */
  private static Set<String> who(AclOperation op, String topic) {
    return ALL.stream()
        .filter(b -> b.pattern().resourceType() == ResourceType.TOPIC && b.pattern().patternType() == PatternType.LITERAL
            && b.pattern().name().equals(topic) && b.entry().operation() == op)
        .map(b -> b.entry().principal()).collect(Collectors.toSet());
  }

  @Test
  void onlyTheFeedbackServiceWritesRewardModelsAndOnlyTheSelectorWritesAnswers() {
    assertThat(who(AclOperation.WRITE, Topics.REWARD_MODELS)).containsExactly("User:feedback");
    assertThat(who(AclOperation.READ, Topics.REWARD_MODELS)).containsExactlyInAnyOrder("User:scorer", "User:feedback");
    assertThat(who(AclOperation.WRITE, Topics.ALIGNED_RESPONSES)).containsExactly("User:selector");
    assertThat(who(AclOperation.READ, Topics.ALIGNED_RESPONSES)).containsExactlyInAnyOrder("User:client",
        "User:gateway");
  }

  @Test
  void everyTopicHasTheWritersAndReadersOfThePipeline() {
    Map<String, Set<String>> writers = Map.of(
        Topics.PROMPTS, Set.of("User:client", "User:gateway"),
        Topics.CANDIDATES, Set.of("User:generator"),
        Topics.SCORED_CANDIDATES, Set.of("User:scorer"),
        Topics.DECODE_STEPS, Set.of("User:selector"),
        Topics.FEEDBACK, Set.of("User:client"),
        Topics.FEEDBACK_EXAMPLES, Set.of("User:feedback"),
        Topics.DEAD_LETTERS, Set.of("User:generator", "User:scorer", "User:selector", "User:feedback"));
    writers.forEach((topic, principals) -> assertThat(who(AclOperation.WRITE, topic)).as(topic)
        .containsExactlyInAnyOrderElementsOf(principals));
    Map<String, Set<String>> readers = Map.of(
        Topics.PROMPTS, Set.of("User:generator"),
        Topics.CANDIDATES, Set.of("User:scorer"),
        Topics.SCORED_CANDIDATES, Set.of("User:selector"),
        Topics.DECODE_STEPS, Set.of("User:generator"),
        Topics.FEEDBACK, Set.of("User:feedback"),
        Topics.FEEDBACK_EXAMPLES, Set.of("User:feedback"),
        Topics.DEAD_LETTERS, Set.of("User:client", "User:gateway"));
    readers.forEach((topic, principals) -> assertThat(who(AclOperation.READ, topic)).as(topic)
        .containsExactlyInAnyOrderElementsOf(principals));
  }

  @Test
  void onlyAllowAclsOnNamedResourcesAndNothingBroad() {
    assertThat(ALL).allSatisfy(b -> {
      assertThat(b.entry().permissionType()).isEqualTo(AclPermissionType.ALLOW);
      assertThat(b.entry().operation()).isNotIn(AclOperation.ALL, AclOperation.ALTER, AclOperation.ALTER_CONFIGS,
          AclOperation.CLUSTER_ACTION, AclOperation.IDEMPOTENT_WRITE);
      assertThat(b.pattern().name()).isNotEqualTo("*");
      assertThat(b.pattern().resourceType()).isNotEqualTo(ResourceType.CLUSTER);
      if (b.pattern().patternType() == PatternType.PREFIXED) {
        assertThat(b.pattern().name()).startsWith("alignstream-");
      }
    });
    // literal topics are the pipeline's; nobody may create or delete them
    assertThat(ALL.stream().filter(b -> b.pattern().resourceType() == ResourceType.TOPIC
        && b.pattern().patternType() == PatternType.LITERAL)).allSatisfy(b -> {
          assertThat(Topics.ALL).contains(b.pattern().name());
          assertThat(b.entry().operation()).isIn(AclOperation.READ, AclOperation.WRITE);
        });
  }

  @Test
  void aStreamsServiceOwnsItsGroupTransactionalIdsAndInternalTopics() {
    AccessControl.Grant scorer = AccessControl.standard().stream().filter(g -> g.user().equals("scorer")).findFirst()
        .orElseThrow().withApplicationId("alignstream-scorer-b");
    List<AclBinding> b = scorer.aclBindings();
    assertThat(b).anySatisfy(x -> {
      assertThat(x.pattern().resourceType()).isEqualTo(ResourceType.GROUP);
      assertThat(x.pattern().name()).isEqualTo("alignstream-scorer-b");
      assertThat(x.pattern().patternType()).isEqualTo(PatternType.LITERAL);
      assertThat(x.entry().operation()).isEqualTo(AclOperation.READ);
    });
    assertThat(b).anySatisfy(x -> {
      assertThat(x.pattern().resourceType()).isEqualTo(ResourceType.TRANSACTIONAL_ID);
      assertThat(x.pattern().name()).isEqualTo("alignstream-scorer-b");
      assertThat(x.pattern().patternType()).isEqualTo(PatternType.PREFIXED);
      assertThat(x.entry().operation()).isEqualTo(AclOperation.WRITE);
    });
    assertThat(b.stream().filter(x -> x.pattern().resourceType() == ResourceType.TOPIC
        && x.pattern().patternType() == PatternType.PREFIXED).map(x -> x.entry().operation()))
        .containsExactlyInAnyOrder(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE,
            AclOperation.DESCRIBE_CONFIGS);
    assertThat(AccessControl.standard().stream().filter(g -> g.user().equals("client")).findFirst().orElseThrow()
        .aclBindings()).allSatisfy(x -> assertThat(x.pattern().resourceType()).isEqualTo(ResourceType.TOPIC));
  }

  @Test
  void theGatewayIsAPlainClientWithItsOwnPrincipal() {
    AccessControl.Grant gateway = AccessControl.standard().stream().filter(g -> g.user().equals("gateway"))
        .findFirst().orElseThrow();
    assertThat(gateway.applicationId()).as("no group, no transactions, no internal topics").isNull();
    assertThat(gateway.reads()).containsExactly(Topics.ALIGNED_RESPONSES, Topics.DEAD_LETTERS);
    assertThat(gateway.writes()).containsExactly(Topics.PROMPTS);
    assertThat(gateway.aclBindings()).allSatisfy(x -> {
      assertThat(x.pattern().resourceType()).isEqualTo(ResourceType.TOPIC);
      assertThat(x.pattern().patternType()).isEqualTo(PatternType.LITERAL);
    });
  }
}
