package org.alignstream.common.runtime;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The Kafka connection options of the command-line tools and of every stage ({@link StreamsCommand}) (a picocli mixin,
 * {@code @Mixin KafkaClientOptions kafka}): {@code --bootstrap-servers} and {@code -c/--config KEY=VALUE} (repeatable,
 * or comma-separated, as {@code ALIGNSTREAM_CONFIG} gives them through {@link EnvironmentDefaultProvider}), e.g. the
 * security settings of an authenticated cluster. Inherited by subcommands.
 *
 * <p>A tool takes its client properties from {@link #clientConfig()}, where {@code --bootstrap-servers} wins over a
 * {@code -c bootstrap.servers}; a stage applies {@link #config()} last, over all of its other options.
 */
public final class KafkaClientOptions {

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092", paramLabel = "HOST:PORT[,...]",
            scope = ScopeType.INHERIT, description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE})")
    String bootstrapServers;

    @Option(names = {"-c", "--config"}, paramLabel = "KEY=VALUE", split = ",(?=[^,=]+=)", scope = ScopeType.INHERIT,
            description = "Kafka client property (of a stage: any Kafka Streams or client property, applied over the"
                    + " stage's other options), repeatable, e.g. the security settings of an authenticated cluster:"
                    + " -c security.protocol=SASL_PLAINTEXT -c sasl.mechanism=SCRAM-SHA-256 -c sasl.jaas.config=..."
                    + " (env ALIGNSTREAM_CONFIG, comma-separated)")
    Map<String, String> config = new LinkedHashMap<>();

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The {@code -c} properties as given (unmodifiable). */
    public Map<String, String> config() {
        return Collections.unmodifiableMap(config);
    }

    /** The client properties: every {@code -c} property plus {@code bootstrap.servers}. */
    public Map<String, Object> clientConfig() {
        Map<String, Object> c = new LinkedHashMap<>(config);
        c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return c;
    }
}
