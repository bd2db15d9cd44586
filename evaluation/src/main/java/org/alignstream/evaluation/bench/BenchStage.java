package org.alignstream.evaluation.bench;

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

/**
 * One stage started on its own, as its main would start it (its own defaults), plus any flags the benchmark was given
 * for stages; closing it stops the stage and deletes its state directory.
 */
record BenchStage(RunningStage running, Path stateDir) implements AutoCloseable {

    static BenchStage start(StreamsCommand command, String bootstrapServers, List<String> extraArgs) {
        Path stateDir;
        try {
            stateDir = Files.createTempDirectory("alignstream-bench-" + command.getClass().getSimpleName());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> args = new ArrayList<>();
        args.add("--bootstrap-servers=" + bootstrapServers);
        args.add("--state-dir=" + stateDir);
        args.addAll(extraArgs);
        StreamsCommand.parse(command, args.toArray(String[]::new));
        BenchStage stage = new BenchStage(command.start(), stateDir);
        try {
            stage.running().awaitRunning(Duration.ofSeconds(120));
        } catch (RuntimeException e) {
            stage.close();
            throw e;
        }
        return stage;
    }

    @Override
    public void close() {
        running.close();
        try (Stream<Path> files = Files.walk(stateDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temp directory
        }
    }
}
