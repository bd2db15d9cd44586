package org.alignstream.harness;

import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.clients.PromptClient;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.Strategy;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.DeadLetters;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad records of every kind, as raw bytes, interleaved with good prompts on the running pipeline: each
 * bad record lands in dead-letters exactly once with the failing stage, its source topic, partition and
 * offset, a reason naming the problem and its original key and value bytes; every good prompt is
 * answered exactly once; nothing else is dead-lettered.
 */
class BadInputIT {
    private static final AvroSerde<PromptRequest> PROMPT = Pipeline.PROMPTS.serde();

    private static PipelineFixture fixture;

    /** A record sent to a topic, and what its dead letter must say. */
    record Bad(String key, String topic, byte[] value, String stage, List<String> reasonParts) {
    }

    @BeforeAll
    static void start() {
        fixture = PipelineFixture.start();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static PromptRequest good(String id, int i) {
        List<String> prompts = SamplePrompts.load(null);
        return AlignmentChecks.request(id, prompts.get(i % prompts.size()), 2, 0.9, 0, 0.95, 8, 500L + i);
    }

    private static byte[] prompt(String id, UnaryOperator<Strategy.Builder> strategy, String promptText) {
        Strategy.Builder s = Strategy.newBuilder().setMethod("best_of_n").setN(2).setTopK(0).setBeta(0.0)
                .setTemperature(0.9).setTopP(0.95).setMaxNewTokens(8).setSeed(1);
        return PROMPT.encode(PromptRequest.newBuilder().setId(id).setPrompt(promptText)
                .setStrategy(strategy.apply(s).build()).setCreatedAtMs(System.currentTimeMillis()).build());
    }

    private static Bad toPrompts(String key, byte[] value, String... reasonParts) {
        return new Bad(key, Topics.PROMPTS, value, "generator", List.of(reasonParts));
    }

    static List<Bad> badRecords() {
        Random random = new Random(7);
        byte[] noise = new byte[48];
        random.nextBytes(noise);
        noise[0] = 0x5A; // not the single-object marker C3 01
        byte[] valid = prompt("bad-truncated", s -> s, "It is a truth universally acknowledged");
        ModelRef model = new ModelRef("lm-austen", "0");
        AlignedResponse response = AlignedResponse.newBuilder().setId("bad-wrong-type").setPrompt("She was")
                .setText(" happy").setReward(1.0).setChosenIndex(0).setCandidateRewards(List.of(1.0))
                .setMethod("best_of_n").setN(1).setGeneratorModel(model).setRewardModel(model).build();
        byte[] garbage = "definitely not a candidate set".getBytes(StandardCharsets.UTF_8);
        List<Candidate> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(Candidate.newBuilder().setIndex(i).setText(" text " + i).setTokenIds(List.of(1, 2))
                    .setLogprobs(List.of(-1f, -2f)).setFinishReason("length").build());
        }
        PromptRequest scoredRequest = PromptRequest.newBuilder().setId("bad-scored-mismatch").setPrompt("Her mother")
                .setStrategy(Strategy.newBuilder().setN(3).build()).build();
        byte[] mismatched = Pipeline.SCORED_CANDIDATES.serde().encode(ScoredCandidateSet.newBuilder()
                .setRequest(scoredRequest).setPromptTokenIds(List.of(0, 1)).setCandidates(three)
                .setRewards(List.of(0.5, 0.25)).setGeneratorModel(model).setRewardModel(model).build());
        return List.of(
                toPrompts("bad-random", noise, "cannot decode PromptRequest", "not Avro single-object encoding"),
                toPrompts("bad-too-short", new byte[] {(byte) 0xC3, 0x01, 7}, "too short"),
                toPrompts("bad-truncated", Arrays.copyOf(valid, valid.length / 2), "truncated or corrupt body"),
                toPrompts("bad-wrong-type", Pipeline.ALIGNED_RESPONSES.serde().encode(response),
                        "wrong record type", "org.alignstream.avro.AlignedResponse"),
                toPrompts("bad-null", null, "record has no value", "PromptRequest"),
                toPrompts("bad-empty-prompt", prompt("bad-empty-prompt", s -> s, ""), "prompt is empty"),
                toPrompts("bad-blank-id", prompt("   ", s -> s, "She was"), "request id is empty"),
                toPrompts("bad-n0", prompt("bad-n0", s -> s.setN(-1), "She was"), "n must be between 1 and 64, was -1"),
                toPrompts("bad-n100000", prompt("bad-n100000", s -> s.setN(100_000), "She was"),
                        "n must be between 1 and 64, was 100000"),
                toPrompts("bad-method", prompt("bad-method", s -> s.setMethod("best_of_magic"), "She was"),
                        "unknown method 'best_of_magic'"),
                toPrompts("bad-nan-temperature", prompt("bad-nan-temperature", s -> s.setTemperature(Double.NaN), "She was"),
                        "temperature must be finite", "NaN"),
                toPrompts("bad-top-p-0", prompt("bad-top-p-0", s -> s.setTopP(0.0), "She was"),
                        "top_p must be in (0, 1], was 0.0"),
                toPrompts("bad-long-prompt", prompt("bad-long-prompt", s -> s, "a".repeat(4001)),
                        "prompt has 4001 characters, the limit is 4000"),
                new Bad("bad-candidates-garbage", Topics.CANDIDATES, garbage, "scorer",
                        List.of("cannot decode CandidateSet", "not Avro single-object encoding")),
                new Bad("bad-scored-mismatch", Topics.SCORED_CANDIDATES, mismatched, "selector",
                        List.of("invalid ScoredCandidateSet", "has 3 candidates and 2 rewards")));
    }

    @Test
    void everyBadRecordIsDeadLetteredWithItsBytesAndEveryGoodPromptIsAnsweredOnce() throws Exception {
        List<Bad> bad = badRecords();
        List<PromptRequest> good = new ArrayList<>();
        Map<String, RecordMetadata> written = new LinkedHashMap<>();
        Map<String, Object> producerConfig = fixture.clientConfig();
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (PromptClient client = new PromptClient(fixture.clientConfig());
             KafkaProducer<byte[], byte[]> raw =
                     new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
            Map<String, Future<RecordMetadata>> sent = new LinkedHashMap<>();
            for (int i = 0; i < bad.size(); i++) {
                PromptRequest g = good("good-" + i, i);
                good.add(g);
                sent.put(g.getId(), raw.send(new ProducerRecord<>(Topics.PROMPTS, utf8(g.getId()), PROMPT.encode(g))));
                Bad b = bad.get(i);
                sent.put(b.key(), raw.send(new ProducerRecord<>(b.topic(), utf8(b.key()), b.value())));
            }
            raw.flush();
            for (Map.Entry<String, Future<RecordMetadata>> e : sent.entrySet()) {
                written.put(e.getKey(), e.getValue().get());
            }
            List<String> goodIds = good.stream().map(PromptRequest::getId).toList();
            List<AlignedResponse> answered = client.await(goodIds, Duration.ofSeconds(120));
            assertThat(answered).extracting(AlignedResponse::getId).containsExactlyInAnyOrderElementsOf(goodIds);
            client.pollFor(Duration.ofMillis(2500));
            assertThat(client.received()).extracting(AlignedResponse::getId)
                    .as("good prompts in = answered, each exactly once; no bad record answered")
                    .containsExactlyInAnyOrderElementsOf(goodIds);
        }

        List<ConsumerRecord<byte[], byte[]>> letters = TopicReader.readCommitted(fixture.clientConfig(),
                Topics.DEAD_LETTERS, got -> got.size() >= bad.size(), Duration.ofMillis(2500), Duration.ofSeconds(120));
        Map<String, DeadLetter> byKey = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : letters) {
            DeadLetter d = DeadLetters.serde().decode(r.value());
            String key = AlignmentChecks.key(r);
            assertThat(DeadLetters.bytes(d.getOriginalKey())).as("dead letter keyed by the original key")
                    .isEqualTo(r.key());
            assertThat(byKey.put(key, d)).as("one dead letter for %s", key).isNull();
        }
        assertThat(byKey.keySet()).as("bad records in = dead letters, and nothing else dead-lettered")
                .containsExactlyInAnyOrderElementsOf(bad.stream().map(Bad::key).toList());
        for (Bad b : bad) {
            DeadLetter d = byKey.get(b.key());
            RecordMetadata at = written.get(b.key());
            assertThat(d.getStage()).as(b.key() + " stage").isEqualTo(b.stage());
            assertThat(d.getSourceTopic()).as(b.key() + " source topic").isEqualTo(b.topic());
            assertThat(d.getSourcePartition()).as(b.key() + " source partition").isEqualTo(at.partition());
            assertThat(d.getSourceOffset()).as(b.key() + " source offset").isEqualTo(at.offset());
            assertThat(d.getReason()).as(b.key() + " reason").contains(b.reasonParts());
            assertThat(DeadLetters.bytes(d.getOriginalValue())).as(b.key() + " original value, byte for byte")
                    .isEqualTo(b.value());
            assertThat(d.getTimestampMs()).as(b.key() + " time of failure").isPositive();
        }
        // the good prompts went through every stage exactly once
        Map<String, Integer> candidateSets = new HashMap<>();
        TopicReader.readCommitted(fixture.clientConfig(), Topics.CANDIDATES, got -> true, Duration.ofMillis(500),
                Duration.ofSeconds(30)).forEach(r -> candidateSets.merge(AlignmentChecks.key(r), 1, Integer::sum));
        Map<String, Integer> expected = new HashMap<>();
        good.forEach(g -> expected.put(g.getId(), 1));
        expected.put("bad-candidates-garbage", 1);
        assertThat(candidateSets).as("candidates: one set per good prompt plus the injected garbage").isEqualTo(expected);
        System.out.printf("BadInputIT: %d good prompts answered once, %d bad records dead-lettered: %s%n",
                good.size(), bad.size(), byKey.keySet());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

}
