package org.alignstream.evaluation.bench;

import org.alignstream.common.pipeline.Pipeline;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.topics.Topics;
import org.alignstream.generator.GeneratorService;
import org.alignstream.generator.LmCandidateSampler;
import org.alignstream.inference.lm.CandidateGenerator;
import org.alignstream.inference.lm.GeneratedSequence;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Generated tokens per second: the running generator stage (as GeneratorService runs, default model, its default
 * threads) against {@link CandidateGenerator#sample} in a bare loop over the same prompts, N, max_new_tokens and seeds,
 * with the same model loaded the same way.
 */
final class GeneratorBench implements AutoCloseable {
    private final Workload workload;
    private final LmCandidateSampler bareSampler;
    private final BenchStage stage;
    private final KafkaProducer<String, PromptRequest> producer;
    private final TopicTail<CandidateSet> tail;

    /** @param bareSampler loaded as the stage loads its own (default model, same intra-op threads, BOS prepended) */
    GeneratorBench(Map<String, Object> clientConfig, Workload workload, LmCandidateSampler bareSampler,
                   List<String> stageArgs) {
        this.workload = workload;
        this.bareSampler = bareSampler;
        stage = BenchStage.start(new GeneratorService(), (String) clientConfig.get("bootstrap.servers"), stageArgs);
        Map<String, Object> p = new java.util.HashMap<>(clientConfig);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(p, new StringSerializer(), Pipeline.PROMPTS.serde().serializer());
        tail = new TopicTail<>(clientConfig, Topics.CANDIDATES, Pipeline.CANDIDATES.serde().deserializer());
    }

    PairedRun.Measurement bare(int prompts, int warmup) throws Exception {
        CandidateGenerator generator = bareSampler.generator();
        long tokens = 0;
        double modelSeconds = 0;
        long start = 0;
        long cpuStart = 0;
        for (int i = 0; i < prompts; i++) {
            if (i == warmup) {
                start = System.nanoTime();
                cpuStart = ProcessCpu.nanos();
            }
            int[] promptIds = bareSampler.promptIds(workload.prompt(i));
            long t0 = System.nanoTime();
            List<GeneratedSequence> out = generator.sample(promptIds, workload.n(), workload.samplingParams(),
                    workload.maxNewTokens(), workload.seed(i));
            if (i >= warmup) {
                modelSeconds += (System.nanoTime() - t0) / 1e9;
                for (GeneratedSequence s : out) {
                    tokens += s.length();
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuMs = (ProcessCpu.nanos() - cpuStart) / 1e6;
        int timed = prompts - warmup;
        return new PairedRun.Measurement(tokens / seconds, seconds * 1000 / timed, modelSeconds * 1000 / timed,
                cpuMs / timed);
    }

    PairedRun.Measurement pipeline(int rep, int prompts, int warmup, Duration timeout) {
        for (int i = 0; i < prompts; i++) {
            PromptRequest request = workload.request("generator-" + rep + "-" + i, i);
            producer.send(new ProducerRecord<>(Topics.PROMPTS, request.getId(), request));
        }
        producer.flush();
        List<TopicTail.Received<CandidateSet>> out = tail.take(prompts, timeout);
        return PairedRun.Measurement.ofOutputs(out, warmup,
                set -> set.getCandidates().stream().mapToLong(c -> c.getTokenIds().size()).sum(),
                CandidateSet::getTimingsMs, "generator");
    }

    @Override
    public void close() {
        try {
            tail.close();
            producer.close(Duration.ofSeconds(10));
        } finally {
            stage.close();
        }
    }
}
