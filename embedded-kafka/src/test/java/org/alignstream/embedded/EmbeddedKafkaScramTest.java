package org.alignstream.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A cluster started with {@code scram("admin", ...)}: SASL/SCRAM-SHA-256 on the client listener, the KRaft
 * StandardAuthorizer denying whatever no ACL allows, the admin user bootstrapped at format time as super user.
 */
class EmbeddedKafkaScramTest {

    private static final String ADMIN_PASSWORD = "admin-secret";
    private static EmbeddedKafkaCluster kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = EmbeddedKafkaCluster.builder().scram("admin", ADMIN_PASSWORD).start();
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            admin.alterUserScramCredentials(List.of(
                    new UserScramCredentialUpsertion("alice", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096),
                            "alice-secret"))).all().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void theAdminIsASuperUserAndItsCredentialWasBootstrappedAtFormatTime() {
        assertThat(kafka.adminUser()).contains("admin");
        assertThat(kafka.clientConfig()).containsEntry(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-256");
        // no ACL names the admin: it creates topics and writes and reads them as a super user
        kafka.createTopics(2, "admin-topic");
        try (KafkaProducer<String, String> producer = TestClients.producer(kafka, Map.of());
             KafkaConsumer<String, String> consumer = TestClients.consumer(kafka, "admin-group", "read_committed")) {
            producer.send(new ProducerRecord<>("admin-topic", "k", "v")).get(30, TimeUnit.SECONDS);
            List<ConsumerRecord<String, String>> got = TestClients.consumeAll(consumer, "admin-topic", 1,
                    Duration.ofSeconds(30));
            assertThat(got).extracting(ConsumerRecord::value).containsExactly("v");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aUserMayOnlyDoWhatItsAclsAllow() throws Exception {
        kafka.createTopics(1, "alice-may-write", "alice-may-not-write");
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            admin.createAcls(List.of(new AclBinding(
                    new ResourcePattern(ResourceType.TOPIC, "alice-may-write", PatternType.LITERAL),
                    new AccessControlEntry("User:alice", "*", AclOperation.WRITE, AclPermissionType.ALLOW))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> alice = kafka.clientConfig("alice", "alice-secret");
        alice.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        try (KafkaProducer<String, String> producer = TestClients.producer(kafka, alice)) {
            // the ACL reaches the broker's authorizer asynchronously: retry the allowed write briefly
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (true) {
                try {
                    producer.send(new ProducerRecord<>("alice-may-write", "k", "v")).get(15, TimeUnit.SECONDS);
                    break;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicAuthorizationException) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(100);
                }
            }
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("alice-may-not-write", "k", "v"))
                    .get(15, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(TopicAuthorizationException.class);
        }
        // and no ACL lets alice read anything, nor describe the other topic
        try (Admin admin = Admin.create(kafka.clientConfig("alice", "alice-secret"))) {
            assertThatThrownBy(() -> admin.describeTopics(List.of("alice-may-not-write")).allTopicNames()
                    .get(15, TimeUnit.SECONDS))
                    .cause().isInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void aWrongPasswordOrAnUnauthenticatedClientIsRefused() {
        Map<String, Object> wrong = kafka.clientConfig("alice", "not-her-password");
        wrong.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        wrong.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin admin = Admin.create(wrong)) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(15, TimeUnit.SECONDS))
                    .cause().isInstanceOf(SaslAuthenticationException.class);
        }
        Map<String, Object> plaintext = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000,
                CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
        try (Admin admin = Admin.create(plaintext)) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS))
                    .isInstanceOf(Exception.class);
        }
    }

    @Test
    void credentialsThatCannotBeQuotedAreRejected() {
        assertThatThrownBy(() -> EmbeddedKafkaCluster.builder().scram("admin", "a\"b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("password");
        assertThatThrownBy(() -> EmbeddedKafkaCluster.builder().scram("ad,min", "secret"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user name");
    }
}
