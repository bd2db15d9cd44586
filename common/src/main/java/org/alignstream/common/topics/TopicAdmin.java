package org.alignstream.common.topics;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates topics that do not exist yet, with an explicit partition count and replication factor. */
public final class TopicAdmin {

  private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);
  private static final long TIMEOUT_SECONDS = 60;

  private TopicAdmin() {}

  /**
   * Creates each missing topic in {@code names}; topics that already exist are left as they are (idempotent, also when
   * another process creates them concurrently).
   *
   * @param adminConfig       Kafka admin client configuration, at least {@code bootstrap.servers}
   * @return the topics this call created
   * @throws IllegalStateException if the cluster cannot be reached or refuses to create a topic
   */
  public static Set<String> ensureTopics(Map<String, Object> adminConfig, int partitions, short replicationFactor,
      Collection<String> names) {
    Objects.requireNonNull(adminConfig, "adminConfig");
    try (Admin admin = Admin.create(adminConfig)) {
      return ensureTopics(admin, partitions, replicationFactor, names);
    }
  }

  /** As {@link #ensureTopics(Map, int, short, Collection)} with an existing admin client (not closed). */
  public static Set<String> ensureTopics(Admin admin, int partitions, short replicationFactor, Collection<String> names) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, was " + partitions);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replication factor must be >= 1, was " + replicationFactor);
    }
    Set<String> unique = new LinkedHashSet<>(names);
    if (unique.isEmpty()) {
      return Set.of();
    }
    List<NewTopic> topics = unique.stream()
        .map(n -> new NewTopic(n, partitions, replicationFactor).configs(Topics.configs(n))).toList();
    CreateTopicsResult result = admin.createTopics(topics);
    Map<String, KafkaFuture<Void>> futures = new LinkedHashMap<>();
    unique.forEach(name -> futures.put(name, result.values().get(name)));
    Set<String> created = new LinkedHashSet<>();
    for (Map.Entry<String, KafkaFuture<Void>> e : futures.entrySet()) {
      try {
        e.getValue().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        created.add(e.getKey());
        LOG.info("created topic {} with {} partitions, replication factor {}", e.getKey(), partitions, replicationFactor);
      } catch (ExecutionException ex) {
        if (!(ex.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException("cannot create topic " + e.getKey() + ": " + ex.getCause(), ex.getCause());
        }
        LOG.debug("topic {} already exists", e.getKey());
      } catch (TimeoutException ex) {
        throw new IllegalStateException("timed out after " + TIMEOUT_SECONDS + " s creating topic " + e.getKey()
            + "; is Kafka reachable?", ex);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while creating topic " + e.getKey(), ex);
      }
    }
    return created;
  }
}
