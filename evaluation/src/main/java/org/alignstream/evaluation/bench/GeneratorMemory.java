package org.alignstream.evaluation.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.alignstream.avro.PromptRequest;
import org.alignstream.clients.PromptClient;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.generator.GeneratorService;
import org.alignstream.harness.LocalPipeline;

/**
 * The generator's resident memory under load: the generator runs as its own JVM ({@link GeneratorService}'s main, as
 * a deployment runs it, with {@code -Xmx512m} as docker-compose.yml gives the stages), the scorer and the selector in
 * this JVM, all against an embedded broker. Once the generator is ready its idle RSS is read; then R stepwise requests
 * are published at once and, until all are answered, the generator's RSS ({@code /proc/PID/status}) and its
 * {@code alignstream_kv_cache_bytes} gauge ({@code /metrics}) are sampled every 200 ms.
 */
final class GeneratorMemory {

    /** What was seen: RSS in MiB (idle, VmHWM at the end, largest sample), the largest round-cache size sampled. */
    record Result(double idleRssMib, double peakRssMib, double peakSampledRssMib, long peakCacheBytes, int samples,
                  double seconds) {
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private GeneratorMemory() {
    }

    /**
     * @param generatorArgs the generator's flags beyond broker, state directory and HTTP port (model, cache bound)
     * @param stageArgs     flags for all three stages
     */
    static Result measure(ArgsWorkload workload, int requests, List<String> generatorArgs, List<String> stageArgs,
                          Duration timeout) throws Exception {
        Path work = Files.createTempDirectory("alignstream-generator-memory");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
            Map<String, Object> client = kafka.clientConfig();
            String bootstrap = (String) client.get("bootstrap.servers");
            List<String> args = new ArrayList<>(List.of("--bootstrap-servers=" + bootstrap,
                    "--state-dir=" + work.resolve("state"), "--http-port=" + port));
            args.addAll(stageArgs);
            args.addAll(generatorArgs);
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                    "-XX:+ExitOnOutOfMemoryError", "-Dai.djl.offline=true",
                    "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro", "-cp",
                    System.getProperty("java.class.path"), GeneratorService.class.getName()));
            command.addAll(args);
            Path log = work.resolve("generator.log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("OPT_OUT_TRACKING", "true");
            pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
            Process generator = pb.start();
            try (LocalPipeline others = LocalPipeline.start(bootstrap, stageArgs, null, List.of(), List.of());
                 PromptClient prompts = new PromptClient(client)) {
                awaitReady(generator, port, log);
                // one request first, so that the idle figure includes what the first decoding round allocates
                PromptRequest first = workload.request("memory-warmup", 0);
                prompts.send(first);
                prompts.await(List.of(first.getId()), timeout);
                System.gc();
                ProcessMemory idle = ProcessMemory.of(generator.pid());
                long[] peakCache = {0};
                long[] peakSampledKib = {idle.rssKib()};
                int[] samples = {0};
                ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
                sampler.scheduleAtFixedRate(() -> {
                    try {
                        peakSampledKib[0] = Math.max(peakSampledKib[0], ProcessMemory.of(generator.pid()).rssKib());
                        peakCache[0] = Math.max(peakCache[0], gauge(metrics(port), "alignstream_kv_cache_bytes"));
                        samples[0]++;
                    } catch (IOException | RuntimeException e) {
                        // a missed sample (e.g. a slow /metrics answer) only thins the series
                    }
                }, 0, 200, TimeUnit.MILLISECONDS);
                long t0 = System.nanoTime();
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < requests; i++) {
                    PromptRequest r = workload.request("memory-" + i, i);
                    ids.add(r.getId());
                    prompts.send(r);
                }
                prompts.flush();
                int answered = prompts.await(ids, timeout).size();
                double seconds = (System.nanoTime() - t0) / 1e9;
                sampler.shutdown();
                sampler.awaitTermination(5, TimeUnit.SECONDS);
                if (answered < requests) {
                    throw new IllegalStateException("only " + answered + " of " + requests + " requests answered within "
                            + timeout + " (generator log: " + log + ")");
                }
                ProcessMemory end = ProcessMemory.of(generator.pid());
                return new Result(idle.rssMib(), end.peakRssMib(), peakSampledKib[0] / 1024.0, peakCache[0], samples[0],
                        seconds);
            } finally {
                generator.destroy();
                if (!generator.waitFor(30, TimeUnit.SECONDS)) {
                    generator.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static void awaitReady(Process generator, int port, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (System.nanoTime() < deadline) {
            if (!generator.isAlive()) {
                throw new IllegalStateException("the generator process exited with " + generator.exitValue()
                        + "; its log: " + log);
            }
            try {
                HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/health/ready")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not serving yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the generator was not ready within 300 s; its log: " + log);
    }

    private static String metrics(int port) throws IOException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /**
     * The value of an unlabelled or labelled sample of {@code name} in Prometheus' text format (the first such
     * line), as a long.
     *
     * @throws IllegalArgumentException if no sample of that metric is in the text
     */
    static long gauge(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                String value = line.substring(line.lastIndexOf(' ') + 1).strip();
                return (long) Double.parseDouble(value);
            }
        }
        throw new IllegalArgumentException("no sample of " + name + " in the metrics text");
    }

    static String describe(Result r, int requests) {
        return String.format(Locale.ROOT, "generator process: idle RSS %.0f MiB (model loaded, one request served); "
                        + "with %d requests in flight: peak RSS %.0f MiB (VmHWM; %.0f MiB the largest of %d samples), "
                        + "round cache at most %.1f MiB; %d requests answered in %.1f s", r.idleRssMib(), requests,
                r.peakRssMib(), r.peakSampledRssMib(), r.samples(), r.peakCacheBytes() / 1048576.0, requests,
                r.seconds());
    }
}
