package org.alignstream.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/**
 * A secured cluster configured the way a deployment configures its broker, without {@link EmbeddedKafkaCluster.Builder#scram}:
 * every security property given with {@code brokerProperties}, the admin's credential bootstrapped with
 * {@code formatArguments("--add-scram", ...)} (as {@code kafka-storage.sh format} gets it), the admin's client settings
 * with {@code clientProperty}.
 */
class EmbeddedKafkaFormatArgumentsTest {

    @Test
    void aBrokerConfiguredFromPropertiesAndFormatArgumentsAuthenticatesItsAdmin() throws Exception {
        String password = "fmt-admin-secret";
        EmbeddedKafkaCluster.Builder builder = EmbeddedKafkaCluster.builder()
                .brokerProperties(SaslScram.brokerProperties("admin", password))
                .formatArguments(List.of("--add-scram", "SCRAM-SHA-256=[name=admin,password=" + password + "]"));
        SaslScram.clientProperties("admin", password).forEach(builder::clientProperty);
        try (EmbeddedKafkaCluster kafka = builder.start()) {
            assertThat(kafka.adminUser()).as("not started with scram()").isEmpty();
            kafka.createTopics(1, "fmt-topic");
            try (Admin admin = Admin.create(kafka.clientConfig())) {
                assertThat(admin.describeUserScramCredentials(List.of("admin")).all().get(30, TimeUnit.SECONDS))
                        .containsKey("admin");
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("fmt-topic");
            }
            assertThat(kafka.clientConfig()).containsAllEntriesOf(Map.of("security.protocol", "SASL_PLAINTEXT"));
        }
    }
}
