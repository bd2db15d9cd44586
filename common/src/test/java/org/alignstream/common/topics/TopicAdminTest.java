package org.alignstream.common.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.CreateTopicsResult.TopicMetadataAndConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.internals.KafkaFutureImpl;
import org.junit.jupiter.api.Test;

class TopicAdminTest {

  /** A fake cluster answering createTopics like a broker: existing names fail with TopicExistsException. */
  static final class FakeCluster {
    final Set<String> topics = new HashSet<>();
    final List<NewTopic> requests = new ArrayList<>();
    String forbidden;

    @SuppressWarnings("unchecked")
    Admin admin() {
      return (Admin) Proxy.newProxyInstance(Admin.class.getClassLoader(), new Class<?>[] {Admin.class},
          (proxy, method, args) -> {
            if (!method.getName().equals("createTopics")) {
              throw new UnsupportedOperationException(method.getName());
            }
            Map<String, KafkaFuture<TopicMetadataAndConfig>> futures = new LinkedHashMap<>();
            for (NewTopic t : (Collection<NewTopic>) args[0]) {
              requests.add(t);
              KafkaFutureImpl<TopicMetadataAndConfig> f = new KafkaFutureImpl<>();
              if (t.name().equals(forbidden)) {
                f.completeExceptionally(new PolicyViolationException("not allowed"));
              } else if (!topics.add(t.name())) {
                f.completeExceptionally(new TopicExistsException("Topic '" + t.name() + "' already exists."));
              } else {
                f.complete(null);
              }
              futures.put(t.name(), f);
            }
            return new CreateTopicsResult(futures) {};
          });
    }
  }

  @Test
  void createsMissingTopicsWithExplicitPartitionsAndIsIdempotent() {
    FakeCluster cluster = new FakeCluster();
    cluster.topics.add(Topics.PROMPTS);
    Set<String> created = TopicAdmin.ensureTopics(cluster.admin(), 6, (short) 1, Topics.ALL);
    assertThat(created).containsExactlyElementsOf(
        Topics.ALL.stream().filter(t -> !t.equals(Topics.PROMPTS)).toList());
    assertThat(created).contains(Topics.CANDIDATES, Topics.DECODE_STEPS, Topics.REWARD_MODELS, Topics.DEAD_LETTERS);
    assertThat(cluster.requests).allSatisfy(t -> {
      assertThat(t.numPartitions()).isEqualTo(6);
      assertThat(t.replicationFactor()).isEqualTo((short) 1);
    });
    assertThat(TopicAdmin.ensureTopics(cluster.admin(), 6, (short) 1, Topics.ALL)).isEmpty();
    assertThat(cluster.topics).containsExactlyInAnyOrderElementsOf(Topics.ALL);
  }

  @Test
  void otherFailuresAreReported() {
    FakeCluster cluster = new FakeCluster();
    cluster.forbidden = Topics.DEAD_LETTERS;
    assertThatThrownBy(() -> TopicAdmin.ensureTopics(cluster.admin(), 3, (short) 1, List.of(Topics.DEAD_LETTERS)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("cannot create topic dead-letters: ")
        .hasMessageContaining("not allowed");
  }

  @Test
  void badArgumentsAreRejected() {
    Admin admin = new FakeCluster().admin();
    assertThatThrownBy(() -> TopicAdmin.ensureTopics(admin, 0, (short) 1, Topics.ALL))
        .hasMessage("partitions must be >= 1, was 0");
    assertThatThrownBy(() -> TopicAdmin.ensureTopics(admin, 1, (short) 0, Topics.ALL))
        .hasMessage("replication factor must be >= 1, was 0");
  }
}
