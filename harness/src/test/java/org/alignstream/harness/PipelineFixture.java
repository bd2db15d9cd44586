package org.alignstream.harness;

import java.util.Map;
import org.alignstream.embedded.EmbeddedKafkaCluster;

/**
 * One real in-process KRaft broker with the three stages running on it, shared by the tests of one
 * integration-test class ({@code @BeforeAll} / {@code @AfterAll}).
 */
public final class PipelineFixture implements AutoCloseable {
    public final EmbeddedKafkaCluster kafka;
    public final LocalPipeline pipeline;

    private PipelineFixture(EmbeddedKafkaCluster kafka, LocalPipeline pipeline) {
        this.kafka = kafka;
        this.pipeline = pipeline;
    }

    public static PipelineFixture start() {
        EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start();
        try {
            return new PipelineFixture(kafka, LocalPipeline.start(kafka.bootstrapServers(), "--http-port=-1"));
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    Map<String, Object> clientConfig() {
        return kafka.clientConfig();
    }

    @Override
    public void close() {
        try {
            pipeline.close();
        } finally {
            kafka.close();
        }
    }
}
