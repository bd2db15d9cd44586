package org.alignstream.harness;

import org.alignstream.clients.PromptClient;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.runtime.EnvironmentDefaultProvider;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.embedded.KRaftBrokerProperties;
import org.alignstream.harness.annotator.FeedbackPhase;
import org.alignstream.harness.annotator.GoldTaste;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import org.alignstream.gateway.Gateway;
import org.alignstream.gateway.GatewayService;

/**
 * The local run ({@code ops/run-local.sh}): an embedded KRaft broker (or {@code --brokers N} of them), the generator, scorer
 * and selector stages, and the sample prompts published twice, with N = 1 (plain sampling) and N = 8
 * (Best-of-N); then ({@code --feedback-rounds}) the feedback loop closing: a simulated annotator judging by a gold taste
 * ({@code --feedback-gold}, {@link org.alignstream.harness.annotator.GoldTaste}) streams preferences and edits, the feedback
 * service retrains, each new proxy version goes live in the scorer, and the proxy's agreement with the gold taste before
 * and after is printed ({@link FeedbackPhase}). Prints each aligned
 * response with its reward and, last, a summary line. The OpenAI-compatible gateway runs beside the stages
 * ({@code --gateway-port}, printed in the banner); {@code --serve} keeps everything running afterwards.
 */
@Command(name = "run-local", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs the pipeline on an embedded Kafka broker over the sample prompts: N=1 and Best-of-N.")
public final class RunLocal implements Callable<Integer> {

    @Option(names = "--prompts-file", description = "One prompt a line (default: the bundled sample prompts)")
    Path promptsFile;

    @Option(names = "--n", defaultValue = "8", description = "N of the Best-of-N run (default: ${DEFAULT-VALUE})")
    int bestOfN;

    @Option(names = "--max-new-tokens", defaultValue = "32", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0.9", description = "(default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "0 = off (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", description = "(default: ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--seed", defaultValue = "42", description = "Base seed; prompt i uses seed + i (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--bootstrap-servers", description = "Use this broker instead of starting an embedded one")
    String bootstrapServers;

    @Option(names = "--brokers", defaultValue = "1", description = "Brokers of the embedded KRaft cluster (each also a "
            + "controller); from 3 on every topic is replicated 3 times with min.insync.replicas=2 and the stages create "
            + "theirs at that replication factor (with --bootstrap-servers: the brokers of that cluster) "
            + "(default: ${DEFAULT-VALUE})")
    int brokers;

    @Option(names = "--timeout-s", defaultValue = "600", description = "Give up waiting for responses after this long (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--feedback-rounds", defaultValue = "3",
            description = "After the two runs, rounds of simulated feedback (gold-judged preferences and edits), each "
                    + "retraining the proxy; 0 = none (default: ${DEFAULT-VALUE})")
    int feedbackRounds;

    @Option(names = "--feedback-events-per-round", defaultValue = "40",
            description = "Feedback events per round (default: ${DEFAULT-VALUE})")
    int feedbackEventsPerRound;

    @Option(names = "--feedback-eval-sets", defaultValue = "24",
            description = "Generated candidate sets in the fixed proxy-gold agreement set (default: ${DEFAULT-VALUE})")
    int feedbackEvalSets;

    @Option(names = "--feedback-gold", defaultValue = "sentiment+family",
            description = "The simulated annotator's gold taste: sentiment+family (gold-sentiment plus a preference for "
                    + "text about family, which the proxy can learn) or sentiment (gold-sentiment alone) (default: "
                    + "${DEFAULT-VALUE})")
    String feedbackGold;

    @Option(names = "--gateway-port", defaultValue = "8000",
            description = "Port of the OpenAI-compatible HTTP gateway started with the pipeline (POST /v1/completions,"
                    + " /v1/chat/completions); 0 = any free port, -1 = no gateway (default: ${DEFAULT-VALUE})")
    int gatewayPort;

    @Option(names = "--serve", description = "After the sample runs, keep the pipeline and the gateway running until"
            + " interrupted (Ctrl-C), for curl or the OpenAI client")
    boolean serve;

    @Override
    public Integer call() {
        List<String> prompts = SamplePrompts.load(promptsFile);
        Map<String, Double> meanReward = new LinkedHashMap<>();
        int received = 0;
        boolean feedbackFailed = false;
        EmbeddedKafkaCluster kafka = null;
        try {
            String bootstrap = bootstrapServers;
            if (bootstrap == null) {
                System.out.println("starting embedded Kafka (KRaft, " + brokers + " broker(s))...");
                kafka = EmbeddedKafkaCluster.builder().brokers(brokers).start();
                bootstrap = kafka.bootstrapServers();
            }
            int replication = KRaftBrokerProperties.replicationFactor(brokers);
            System.out.println("broker: " + bootstrap + " (replication factor " + replication
                    + "); starting generator, scorer and selector stages...");
            try (LocalPipeline pipeline = LocalPipeline.start(bootstrap, "--replication-factor=" + replication);
                 PromptClient client = new PromptClient(Map.of("bootstrap.servers", bootstrap));
                 Gateway gateway = gatewayPort < 0 ? null : GatewayService.parse(Map.of(),
                         "--bootstrap-servers=" + bootstrap, "--http-port=" + gatewayPort).start()) {
                pipeline.stages().forEach(s -> System.out.println("  stage " + s.name() + ": http://localhost:"
                        + s.httpPort() + "/health  /metrics"));
                if (gateway != null) {
                    System.out.println("  gateway: http://localhost:" + gateway.port() + "/v1  (POST /v1/completions,"
                            + " /v1/chat/completions; /health /metrics)");
                }
                for (int n : new int[] {1, bestOfN}) {
                    String label = n == 1 ? "n1" : "bon" + n;
                    List<String> ids = new ArrayList<>();
                    long start = System.nanoTime();
                    for (int i = 0; i < prompts.size(); i++) {
                        String id = label + "-" + i;
                        ids.add(id);
                        client.send(request(id, prompts.get(i), n, seed + i));
                    }
                    List<AlignedResponse> responses = client.await(ids, Duration.ofSeconds(timeoutSeconds));
                    double seconds = (System.nanoTime() - start) / 1e9;
                    System.out.printf(Locale.ROOT, "%n== %s (method best_of_n, N=%d): %d/%d responses in %.1f s%n",
                            label, n, responses.size(), prompts.size(), seconds);
                    double sum = 0;
                    for (AlignedResponse r : responses) {
                        sum += r.getReward();
                        System.out.printf(Locale.ROOT, "[%s] reward=%+.3f  %s|%s%n", r.getId(), r.getReward(),
                                r.getPrompt(), r.getText().replace('\n', ' '));
                    }
                    received += responses.size();
                    meanReward.put(label, responses.isEmpty() ? Double.NaN : sum / responses.size());
                }
                if (feedbackRounds > 0) {
                    try {
                        FeedbackPhase.run(pipeline, Map.of("bootstrap.servers", bootstrap), prompts,
                                new FeedbackPhase.Settings(feedbackRounds, feedbackEventsPerRound, feedbackEvalSets,
                                        bestOfN, maxNewTokens, temperature, topP, Duration.ofSeconds(120),
                                        GoldTaste.Kind.parse(feedbackGold)), System.out);
                    } catch (RuntimeException e) {
                        feedbackFailed = true;
                        System.out.println("feedback phase failed: " + e);
                        e.printStackTrace();
                    }
                }
                if (serve) {
                    System.out.println("serving until interrupted (Ctrl-C)"
                            + (gateway == null ? "" : "; try: curl -s http://localhost:" + gateway.port()
                            + "/v1/completions -H 'Content-Type: application/json' -d '{\"prompt\": \"She was\","
                            + " \"best_of\": 8}'"));
                    try {
                        new java.util.concurrent.CountDownLatch(1).await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
        System.out.printf(Locale.ROOT, "summary: prompts=%d responses=%d mean_reward_n1=%.4f mean_reward_bon%d=%.4f%n",
                prompts.size(), received, meanReward.get("n1"), bestOfN, meanReward.get("bon" + bestOfN));
        return received == 2 * prompts.size() && !feedbackFailed ? 0 : 1;
    }

    PromptRequest request(String id, String prompt, int n, long requestSeed) {
        return PromptRequest.newBuilder()
                .setId(id)
                .setPrompt(prompt)
                .setStrategy(Strategy.newBuilder()
                        .setMethod("best_of_n").setN(n).setTopK(topK).setBeta(0.0).setTemperature(temperature)
                        .setTopP(topP).setMaxNewTokens(maxNewTokens).setSeed(requestSeed).build())
                .setCreatedAtMs(System.currentTimeMillis())
                .build();
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new RunLocal());
        cl.setDefaultValueProvider(new EnvironmentDefaultProvider(System.getenv()));
        System.exit(cl.execute(args));
    }
}
