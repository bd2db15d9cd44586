package org.alignstream.evaluation.bench;

import org.alignstream.common.pipeline.Pipeline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.common.topics.Topics;
import org.alignstream.harness.LocalPipeline;
import org.alignstream.clients.PromptClient;

/** All three stages ({@link LocalPipeline}) seen from a client: Best-of-N throughput and latency at low load. */
final class EndToEndBench implements AutoCloseable {

    /** Client-measured latencies (ms) and each {@code timings_ms} key's values across the responses. */
    record Latency(List<Double> endToEndMs, Map<String, List<Double>> timingsMs) {
    }

    private final Workload workload;
    private final LocalPipeline pipeline;
    private final PromptClient client;
    private final TopicTail<AlignedResponse> tail;

    /**
     * @param stageArgs flags for all three stages
     * @param modelArgs flags for the generator and the scorer only (e.g. {@code --intra-op-threads})
     */
    EndToEndBench(Map<String, Object> clientConfig, Workload workload, List<String> stageArgs, List<String> modelArgs) {
        this.workload = workload;
        pipeline = LocalPipeline.start((String) clientConfig.get("bootstrap.servers"), stageArgs, modelArgs, modelArgs);
        client = new PromptClient(clientConfig);
        tail = new TopicTail<>(clientConfig, Topics.ALIGNED_RESPONSES, Pipeline.ALIGNED_RESPONSES.serde().deserializer());
    }

    /** Publishes {@code prompts} requests at once; prompts per second from the {@code warmup}-th response to the last. */
    SteadyRate throughput(String label, int prompts, int warmup, Duration timeout) {
        tail.skipToEnd();
        for (int i = 0; i < prompts; i++) {
            client.send(workload.request(label + "-" + i, i));
        }
        client.flush();
        List<SteadyRate.Arrival> arrivals = new ArrayList<>();
        for (TopicTail.Received<AlignedResponse> r : tail.take(prompts, timeout)) {
            arrivals.add(new SteadyRate.Arrival(r.nanos(), 1));
        }
        return SteadyRate.of(arrivals, warmup);
    }

    /** One request at a time: publish, wait for its response, repeat. */
    Latency latency(int requests, Duration timeout) {
        List<Double> e2e = new ArrayList<>();
        Map<String, List<Double>> timings = new TreeMap<>();
        for (int i = 0; i < requests; i++) {
            String id = "latency-" + i;
            long t0 = System.nanoTime();
            client.send(workload.request(id, i));
            List<AlignedResponse> got = client.await(List.of(id), timeout);
            double ms = (System.nanoTime() - t0) / 1e6;
            if (got.isEmpty()) {
                throw new IllegalStateException("no response to " + id + " within " + timeout
                        + " (look at the dead-letters topic and the stage logs)");
            }
            e2e.add(ms);
            got.get(0).getTimingsMs().forEach((k, v) -> timings.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        }
        return new Latency(e2e, new LinkedHashMap<>(timings));
    }

    @Override
    public void close() {
        try {
            tail.close();
            client.close();
        } finally {
            pipeline.close();
        }
    }
}
