package org.alignstream.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.alignstream.common.runtime.RunningStage;
import org.alignstream.common.runtime.StreamsCommand;
import org.alignstream.feedback.FeedbackService;
import org.alignstream.generator.GeneratorService;
import org.alignstream.scorer.ScorerService;
import org.alignstream.selector.SelectorService;

/**
 * The three stages (generator, scorer, selector) started in this JVM against one broker, each as its own
 * Kafka Streams application exactly as its own main would run it. For the local run, the integration
 * tests and the benchmarks; in production each stage runs as its own process.
 */
public final class LocalPipeline implements AutoCloseable {
    private final Path stateRoot;
    private final List<RunningStage> stages = new ArrayList<>();
    private final String bootstrapServers;
    private final List<String> commonArgs;
    private GeneratorService generator;
    private ScorerService scorer;
    private FeedbackService feedback;
    private RunningStage feedbackStage;

    private LocalPipeline(Path stateRoot, String bootstrapServers, List<String> commonArgs) {
        this.stateRoot = stateRoot;
        this.bootstrapServers = bootstrapServers;
        this.commonArgs = List.copyOf(commonArgs);
    }

    /**
     * Starts all three stages and waits until each is RUNNING.
     *
     * @param bootstrapServers the broker
     * @param commonArgs flags given to every stage (e.g. {@code --commit-interval-ms=50})
     */
    public static LocalPipeline start(String bootstrapServers, String... commonArgs) {
        return start(bootstrapServers, List.of(commonArgs), List.of(), List.of());
    }

    /** As {@link #start(String, String...)}, with extra flags for the generator and the scorer. */
    public static LocalPipeline start(String bootstrapServers, List<String> commonArgs, List<String> generatorArgs,
                                      List<String> scorerArgs) {
        return start(bootstrapServers, commonArgs, generatorArgs, scorerArgs, true);
    }

    /**
     * As {@link #start(String, List, List, List)}; without the selector when {@code withSelector} is false (a test
     * runs it as its own process, to kill it).
     */
    public static LocalPipeline start(String bootstrapServers, List<String> commonArgs, List<String> generatorArgs,
                                      List<String> scorerArgs, boolean withSelector) {
        return start(bootstrapServers, commonArgs, generatorArgs, scorerArgs, withSelector ? List.of() : null);
    }

    /**
     * As {@link #start(String, List, List, List)}, with the selector's own flags too (e.g. each stage its own
     * credentials: {@code -c sasl.jaas.config=...}); no selector if {@code selectorArgs} is null, no generator if
     * {@code generatorArgs} is null (a caller runs it as its own process; {@link #generator()} is then null and
     * {@link #bareLoop()} unavailable).
     */
    public static LocalPipeline start(String bootstrapServers, List<String> commonArgs, List<String> generatorArgs,
                                      List<String> scorerArgs, List<String> selectorArgs) {
        LocalPipeline p;
        try {
            p = new LocalPipeline(Files.createTempDirectory("alignstream-local-state"), bootstrapServers, commonArgs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            p.scorer = new ScorerService();
            if (generatorArgs != null) {
                p.generator = new GeneratorService();
                p.startStage(p.generator, bootstrapServers, commonArgs, generatorArgs);
            }
            p.startStage(p.scorer, bootstrapServers, commonArgs, scorerArgs);
            if (selectorArgs != null) {
                p.startStage(new SelectorService(), bootstrapServers, commonArgs, selectorArgs);
            }
            for (RunningStage s : p.stages) {
                s.awaitRunning(Duration.ofSeconds(120));
            }
            return p;
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    private void startStage(StreamsCommand cmd, String bootstrapServers, List<String> commonArgs, List<String> own) {
        List<String> args = new ArrayList<>();
        args.add("--bootstrap-servers=" + bootstrapServers);
        args.add("--state-dir=" + stateRoot.resolve(cmd.getClass().getSimpleName()));
        args.addAll(commonArgs);
        args.addAll(own);
        StreamsCommand.parse(cmd, args.toArray(String[]::new));
        stages.add(cmd.start());
    }

    /**
     * Starts the feedback service too (the common flags plus {@code args}) and waits until it runs; it is closed with
     * the pipeline, or earlier with {@link #stopFeedback()}.
     */
    public FeedbackService startFeedback(List<String> args) {
        FeedbackService f = new FeedbackService();
        startStage(f, bootstrapServers, commonArgs, args);
        feedbackStage = stages.get(stages.size() - 1);
        feedbackStage.awaitRunning(Duration.ofSeconds(120));
        feedback = f;
        return f;
    }

    /** Stops the feedback service (as a restart would: its state stays in its state directory and changelog). */
    public void stopFeedback() {
        if (feedbackStage != null) {
            feedbackStage.close();
            stages.remove(feedbackStage);
            feedbackStage = null;
            feedback = null;
        }
    }

    public FeedbackService feedback() {
        return feedback;
    }

    public List<RunningStage> stages() {
        return List.copyOf(stages);
    }

    public ScorerService scorer() {
        return scorer;
    }

    public GeneratorService generator() {
        return generator;
    }

    /** The pipeline's computation in a bare loop, on the very models these stages loaded. */
    public BareDecodingLoop bareLoop() {
        if (generator == null) {
            throw new IllegalStateException("this pipeline runs no generator in this JVM");
        }
        return new BareDecodingLoop(generator.limits(), generator.sampler(), generator.sampler(), scorer.rewardModels(),
                scorer.creditOptions());
    }

    @Override
    public void close() {
        for (int i = stages.size() - 1; i >= 0; i--) {
            stages.get(i).close();
        }
        stages.clear();
        try (Stream<Path> files = Files.walk(stateRoot)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temp directory
        }
    }
}
