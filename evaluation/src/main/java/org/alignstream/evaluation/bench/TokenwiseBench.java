package org.alignstream.evaluation.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.harness.BareDecodingLoop;
import org.alignstream.harness.LocalPipeline;
import org.alignstream.clients.PromptClient;

/**
 * Stepwise (tokenwise ARGS) decoding through the three running stages ({@link LocalPipeline}: selector → decode-steps
 * → generator → candidates → scorer → scored-candidates → selector, once per generated token) against the same stage
 * functions in a {@link BareDecodingLoop} on the very models the stages loaded, in this thread, without Kafka.
 *
 * <p>Every measurement is a {@link PairedRun.Measurement} with tokens per second as its rate and, per decoding round,
 * wall ms, stage processing ms (from the responses' {@code timings_ms}) and process CPU ms.
 */
final class TokenwiseBench implements AutoCloseable {
    private final ArgsWorkload workload;
    private final LocalPipeline pipeline;
    private final BareDecodingLoop bare;
    private final PromptClient client;
    private final Map<Integer, List<Integer>> bareTokens = new HashMap<>();
    private int requestCounter;
    private int differing;

    /**
     * @param stageArgs flags for all three stages
     * @param modelArgs flags for the generator and the scorer only (e.g. {@code --intra-op-threads})
     */
    TokenwiseBench(Map<String, Object> clientConfig, ArgsWorkload workload, List<String> stageArgs,
                   List<String> modelArgs) {
        this(clientConfig, workload, stageArgs, modelArgs, modelArgs);
    }

    /**
     * @param stageArgs     flags for all three stages
     * @param generatorArgs flags for the generator only (e.g. {@code --model-dir})
     * @param scorerArgs    flags for the scorer only
     */
    TokenwiseBench(Map<String, Object> clientConfig, ArgsWorkload workload, List<String> stageArgs,
                   List<String> generatorArgs, List<String> scorerArgs) {
        this.workload = workload;
        pipeline = LocalPipeline.start((String) clientConfig.get("bootstrap.servers"), stageArgs, generatorArgs,
                scorerArgs);
        try {
            bare = pipeline.bareLoop();
            client = new PromptClient(clientConfig);
        } catch (RuntimeException e) {
            pipeline.close();
            throw e;
        }
    }

    LocalPipeline pipeline() {
        return pipeline;
    }

    /** Responses whose tokens differed from the bare loop's for the same request (should stay 0). */
    int differing() {
        return differing;
    }

    /** Requests {@code 0 .. count-1} one after another in the bare loop, in this thread. */
    PairedRun.Measurement bare(int count) {
        Totals t = new Totals();
        long cpu0 = ProcessCpu.nanos();
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            AlignedResponse r = bare.run(workload.request("bare-" + (requestCounter++), i));
            bareTokens.putIfAbsent(i, r.getTokenIds());
            t.add(r);
        }
        return t.measurement(System.nanoTime() - t0, ProcessCpu.nanos() - cpu0);
    }

    /**
     * The same requests through the pipeline with one in flight: publish, wait for the response, next.
     *
     * @param overheads receives each request's {@link RoundOverhead}
     */
    PairedRun.Measurement oneAtATime(int count, Duration timeout, List<RoundOverhead> overheads) {
        Totals t = new Totals();
        long cpu0 = ProcessCpu.nanos();
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            PromptRequest request = workload.request("piped-" + (requestCounter++), i);
            long s = System.nanoTime();
            client.send(request);
            AlignedResponse r = awaitAll(List.of(request), timeout).get(0);
            double wallMs = (System.nanoTime() - s) / 1e6;
            overheads.add(RoundOverhead.of(wallMs, r.getTimingsMs(), r.getRounds()));
            check(i, r);
            t.add(r);
        }
        return t.measurement(System.nanoTime() - t0, ProcessCpu.nanos() - cpu0);
    }

    /** The same requests through the pipeline, all published at once: the time until the last one is answered. */
    PairedRun.Measurement allAtOnce(int count, Duration timeout) {
        Totals t = new Totals();
        List<PromptRequest> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            requests.add(workload.request("piped-" + (requestCounter++), i));
        }
        long cpu0 = ProcessCpu.nanos();
        long t0 = System.nanoTime();
        requests.forEach(client::send);
        client.flush();
        List<AlignedResponse> responses = awaitAll(requests, timeout);
        long nanos = System.nanoTime() - t0;
        long cpu = ProcessCpu.nanos() - cpu0;
        for (int i = 0; i < count; i++) {
            check(i, responses.get(i));
            t.add(responses.get(i));
        }
        return t.measurement(nanos, cpu);
    }

    /** The responses to {@code requests}, in their order. */
    private List<AlignedResponse> awaitAll(List<PromptRequest> requests, Duration timeout) {
        List<String> ids = requests.stream().map(PromptRequest::getId).toList();
        Map<String, AlignedResponse> byId = new HashMap<>();
        for (AlignedResponse r : client.await(ids, timeout)) {
            byId.putIfAbsent(r.getId(), r);
        }
        List<AlignedResponse> out = new ArrayList<>();
        for (String id : ids) {
            AlignedResponse r = byId.get(id);
            if (r == null) {
                throw new IllegalStateException("no response to " + id + " within " + timeout
                        + " (look at the dead-letters topic and the stage logs)");
            }
            out.add(r);
        }
        return out;
    }

    private void check(int i, AlignedResponse piped) {
        List<Integer> expected = bareTokens.get(i);
        if (expected != null && !expected.equals(piped.getTokenIds())) {
            differing++;
        }
    }

    /** Tokens, rounds and stage processing time of a measurement's responses. */
    private static final class Totals {
        long tokens;
        long rounds;
        double stageMs;

        void add(AlignedResponse r) {
            tokens += r.getTokenIds().size();
            rounds += r.getRounds();
            for (String stage : RoundOverhead.STAGES) {
                stageMs += r.getTimingsMs().getOrDefault(stage, 0.0);
            }
        }

        PairedRun.Measurement measurement(long nanos, long cpuNanos) {
            if (tokens == 0 || rounds == 0) {
                throw new IllegalStateException("the responses have no tokens or no rounds: not a stepwise decoding");
            }
            double seconds = nanos / 1e9;
            return new PairedRun.Measurement(tokens / seconds, nanos / 1e6 / rounds, stageMs / rounds,
                    cpuNanos / 1e6 / rounds);
        }
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            pipeline.close();
        }
    }
}
