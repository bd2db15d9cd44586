package org.alignstream.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class PromptClientTest {
    private final MockProducer<String, PromptRequest> producer =
            new MockProducer<>(false, null, new StringSerializer(), (Serializer<PromptRequest>) (topic, r) -> new byte[0]);
    private final MockConsumer<String, AlignedResponse> consumer = new MockConsumer<>(OffsetResetStrategy.LATEST);

    private PromptClient client() {
        Node node = new Node(0, "localhost", 9092);
        consumer.updatePartitions(Topics.ALIGNED_RESPONSES, List.of(
                new PartitionInfo(Topics.ALIGNED_RESPONSES, 0, node, new Node[]{node}, new Node[]{node})));
        consumer.updateEndOffsets(Map.of(new TopicPartition(Topics.ALIGNED_RESPONSES, 0), 0L));
        return new PromptClient(producer, consumer, "test-cluster");
    }

    private static PromptRequest prompt(String id) {
        return PromptRequest.newBuilder().setId(id).setPrompt("She was")
                .setStrategy(Strategy.newBuilder().setMethod("best_of_n").build()).build();
    }

    @Test
    void everyUnacknowledgedPromptIsReportedAtTheNextFlushWithItsReason() {
        PromptClient client = client();
        client.send(prompt("a"));
        client.send(prompt("b"));
        client.send(prompt("c"));
        assertThat(producer.completeNext()).isTrue();
        assertThat(producer.errorNext(new TimeoutException("Expiring 1 record(s) after 120000 ms"))).isTrue();
        assertThat(producer.errorNext(new RecordTooLargeException("too large"))).isTrue();

        assertThatThrownBy(client::flush).isInstanceOfSatisfying(NotAcknowledgedException.class, e -> {
            assertThat(e.reasons()).containsOnlyKeys("b", "c");
            assertThat(e.getMessage()).startsWith("2 prompts not acknowledged")
                    .contains("b (TimeoutException: Expiring 1 record(s) after 120000 ms)")
                    .contains("c (RecordTooLargeException: too large)");
        });
        // reported once: the next check passes
        client.flush();
    }

    @Test
    void awaitingAnswersToAPromptThatWasNeverSentFailsAtOnceInsteadOfTimingOut() {
        PromptClient client = client();
        client.send(prompt("x"));
        producer.errorNext(new TimeoutException("Expiring 1 record(s)"));
        assertThatThrownBy(() -> client.await(List.of("x"), Duration.ofMinutes(5)))
                .isInstanceOf(NotAcknowledgedException.class).hasMessageContaining("x (TimeoutException");
    }

    @Test
    void acknowledgedPromptsPassTheCheck() {
        PromptClient client = client();
        client.send(prompt("ok"));
        producer.completeNext();
        client.flush();
        assertThat(producer.history()).hasSize(1);
    }
}
