package org.alignstream.common.security;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import org.alignstream.common.pipeline.Topic;
import org.alignstream.common.topics.TopicAdmin;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may do what on an alignstream cluster: one SASL/SCRAM principal per service and one for clients, each with the
 * ACLs it needs and no more (the broker runs the KRaft {@code StandardAuthorizer} with
 * {@code allow.everyone.if.no.acl.found=false}, so whatever no ACL allows is refused).
 *
 * <table>
 *   <caption>Topic rights (docs/SECURITY.md has the full table)</caption>
 *   <tr><th>user</th><th>reads</th><th>writes</th></tr>
 *   <tr><td>generator</td><td>prompts, decode-steps</td><td>candidates, dead-letters</td></tr>
 *   <tr><td>scorer</td><td>candidates, reward-models</td><td>scored-candidates, dead-letters</td></tr>
 *   <tr><td>selector</td><td>scored-candidates</td><td>aligned-responses, decode-steps, dead-letters</td></tr>
 *   <tr><td>feedback</td><td>feedback, feedback-examples, reward-models</td><td>feedback-examples, reward-models, dead-letters</td></tr>
 *   <tr><td>client</td><td>aligned-responses, dead-letters</td><td>prompts, feedback</td></tr>
 * </table>
 *
 * <p>A service is a Kafka Streams application and also gets, for its {@code application.id} A: READ on the consumer
 * group A; WRITE on transactional ids prefixed A (exactly-once v2 ids are {@code A-<process>-<thread>}); CREATE, READ,
 * WRITE, DELETE and DESCRIBE_CONFIGS on topics prefixed A (its changelog and repartition topics, which it creates,
 * validates and purges itself). Nobody but the admin creates the pipeline's topics: {@link #setUp} creates them, so
 * services run with {@code --create-topics=false}. An idempotent producer needs no cluster IDEMPOTENT_WRITE since
 * Kafka 3.0 (KIP-679: WRITE on a topic suffices).
 */
public final class AccessControl {

  private static final Logger LOG = LoggerFactory.getLogger(AccessControl.class);

  public static final String GENERATOR = Pipeline.GENERATOR.name();
  public static final String SCORER = Pipeline.SCORER.name();
  public static final String SELECTOR = Pipeline.SELECTOR.name();
  public static final String FEEDBACK = Pipeline.FEEDBACK_STAGE.name();
  /** The HTTP gateway: a plain client (reads answers and dead letters, writes prompts) with a principal of its own. */
  public static final String GATEWAY = Pipeline.GATEWAY.name();
  /** The one principal of every client (prompts in, answers and dead letters out, feedback in). */
  public static final String CLIENT = "client";
  /** Users are created with this mechanism and iteration count. */
  public static final ScramMechanism MECHANISM = ScramMechanism.SCRAM_SHA_256;
  public static final int ITERATIONS = 4096;

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private AccessControl() {}

  /**
   * One principal's rights.
   *
   * @param user the SCRAM user name (principal {@code User:<user>})
   * @param applicationId the Kafka Streams {@code application.id} of the service, or null for a plain client
   * @param reads topics it may read (READ, which implies DESCRIBE)
   * @param writes topics it may write (WRITE, which implies DESCRIBE)
   */
  public record Grant(String user, String applicationId, List<String> reads, List<String> writes) {
    public Grant {
      Objects.requireNonNull(user, "user");
      reads = List.copyOf(reads);
      writes = List.copyOf(writes);
    }

    /** The same rights for a service run with another {@code --application-id}. */
    public Grant withApplicationId(String id) {
      return new Grant(user, id, reads, writes);
    }

    public String principal() {
      return "User:" + user;
    }

    /** The ACLs that give exactly these rights (from any host). */
    public List<AclBinding> aclBindings() {
      List<AclBinding> out = new ArrayList<>();
      reads.forEach(t -> out.add(allow(ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.READ)));
      writes.forEach(t -> out.add(allow(ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.WRITE)));
      if (applicationId != null) {
        out.add(allow(ResourceType.GROUP, applicationId, PatternType.LITERAL, AclOperation.READ));
        out.add(allow(ResourceType.TRANSACTIONAL_ID, applicationId, PatternType.PREFIXED, AclOperation.WRITE));
        for (AclOperation op : List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE,
            AclOperation.DESCRIBE_CONFIGS)) {
          out.add(allow(ResourceType.TOPIC, applicationId, PatternType.PREFIXED, op));
        }
      }
      return out;
    }

    private AclBinding allow(ResourceType type, String name, PatternType pattern, AclOperation op) {
      return new AclBinding(new ResourcePattern(type, name, pattern),
          new AccessControlEntry(principal(), "*", op, AclPermissionType.ALLOW));
    }
  }

  /**
   * The rights of the four services (with their default application ids), of the gateway and of clients, as {@link Pipeline} lists
   * what each stage reads and writes and what clients read and write.
   */
  public static List<Grant> standard() {
    List<Grant> grants = new ArrayList<>();
    for (StageSpec stage : Pipeline.STAGES) {
      grants.add(new Grant(stage.name(), stage.applicationId(), stage.readNames(), stage.writeNames()));
    }
    for (StageSpec frontEnd : Pipeline.FRONT_ENDS) {
      // no application id: a front end assigns itself partitions (no group) and writes without transactions
      grants.add(new Grant(frontEnd.name(), null, frontEnd.readNames(), frontEnd.writeNames()));
    }
    grants.add(new Grant(CLIENT, null, names(Pipeline.CLIENT_READS), names(Pipeline.CLIENT_WRITES)));
    return List.copyOf(grants);
  }

  private static List<String> names(List<Topic<?>> topics) {
    return topics.stream().map(Topic::name).toList();
  }

  /** Every ACL of {@code grants}. */
  public static List<AclBinding> aclBindings(Collection<Grant> grants) {
    return grants.stream().flatMap(g -> g.aclBindings().stream()).toList();
  }

  /**
   * Sets a cluster up for {@code grants}, as a super user: creates the pipeline's topics ({@link Topics#ALL}, missing
   * ones only), creates or updates each grant's SCRAM user with its password from {@code passwords}, creates the
   * ACLs, and waits until the broker serves all of them. Idempotent.
   *
   * @throws IllegalArgumentException if a grant's user has no password
   * @throws IllegalStateException if the cluster refuses or does not answer in time
   */
  public static void setUp(Admin admin, Collection<Grant> grants, Map<String, String> passwords, int partitions,
      short replicationFactor) {
    TopicAdmin.ensureTopics(admin, partitions, replicationFactor, Topics.ALL);
    Map<String, String> users = new LinkedHashMap<>();
    for (Grant g : grants) {
      String password = passwords.get(g.user());
      if (password == null || password.isEmpty()) {
        throw new IllegalArgumentException("no password for user '" + g.user() + "'");
      }
      users.put(g.user(), password);
    }
    createUsers(admin, users);
    createAcls(admin, aclBindings(grants));
  }

  /** Creates or updates SCRAM-SHA-256 users ({@code name -> password}) and waits until the broker knows them all. */
  public static void createUsers(Admin admin, Map<String, String> passwords) {
    List<UserScramCredentialAlteration> upserts = new ArrayList<>();
    passwords.forEach((user, password) -> upserts.add(
        new UserScramCredentialUpsertion(user, new ScramCredentialInfo(MECHANISM, ITERATIONS), password)));
    await("creating SCRAM users " + passwords.keySet(), admin.alterUserScramCredentials(upserts).all());
    awaitTrue("SCRAM users " + passwords.keySet() + " to be visible", () -> {
      Map<String, UserScramCredentialsDescription> d =
          get("describing SCRAM users", admin.describeUserScramCredentials(List.copyOf(passwords.keySet())).all());
      return d.keySet().containsAll(passwords.keySet());
    });
    LOG.info("SCRAM users {} created or updated", passwords.keySet());
  }

  /** Creates ACLs and waits until the broker's authorizer has them all. */
  public static void createAcls(Admin admin, Collection<AclBinding> bindings) {
    await("creating " + bindings.size() + " ACLs", admin.createAcls(bindings).all());
    Set<AclBinding> wanted = new HashSet<>(bindings);
    awaitTrue(bindings.size() + " ACLs to be visible", () -> {
      Collection<AclBinding> present = get("describing ACLs", admin.describeAcls(AclBindingFilter.ANY).values());
      return present.containsAll(wanted);
    });
    LOG.info("{} ACLs in place for {}", bindings.size(), bindings.stream()
        .map(b -> b.entry().principal()).collect(Collectors.toCollection(LinkedHashSet::new)));
  }

  /** The grants as a readable table, one line per principal and resource (for docs and {@code --print}). */
  public static String describe(Collection<Grant> grants) {
    StringBuilder sb = new StringBuilder();
    for (Grant g : grants) {
      Map<String, List<String>> byResource = new LinkedHashMap<>();
      for (AclBinding b : g.aclBindings()) {
        ResourcePattern p = b.pattern();
        String resource = p.resourceType().name().toLowerCase(java.util.Locale.ROOT) + " " + p.name()
            + (p.patternType() == PatternType.PREFIXED ? "*" : "");
        byResource.computeIfAbsent(resource, k -> new ArrayList<>()).add(b.entry().operation().name());
      }
      byResource.forEach((resource, ops) -> sb.append(String.format("%-14s %-40s %s%n", g.principal(), resource,
          String.join(",", ops))));
    }
    return sb.toString();
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void awaitTrue(String what, Check check) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        if (check.holds()) {
          return;
        }
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("waiting for " + what + " failed: " + e.getMessage(), e);
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + TIMEOUT.toSeconds() + " s waiting for " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for " + what, e);
      }
    }
  }

  private static void await(String what, org.apache.kafka.common.KafkaFuture<?> future) {
    get(what, future);
  }

  private static <T> T get(String what, org.apache.kafka.common.KafkaFuture<T> future) {
    try {
      return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(what + " failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(what + " did not finish within " + TIMEOUT.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while " + what, e);
    }
  }
}
