package org.alignstream.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release as a user gets it: {@code alignstream-VERSION.tar.gz} unpacked with {@code tar} into an empty
 * directory, outside the source tree, and run through its {@code bin/} scripts only.
 */
class ReleaseIT {
    @TempDir
    static Path installDir;
    private static Path home;

    @BeforeAll
    static void unpack() throws Exception {
        Path tarball = Path.of(System.getProperty("alignstream.release"));
        assertThat(tarball).exists();
        Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", installDir.toString())
                .inheritIO().start();
        assertThat(tar.waitFor()).isZero();
        try (Stream<Path> top = Files.list(installDir)) {
            home = top.filter(Files::isDirectory).findFirst().orElseThrow();
        }
    }

    private static Run run(int timeoutSeconds, String... command) throws Exception {
        Path log = Files.createTempFile(installDir, "run-", ".log");
        Process p = new ProcessBuilder(command).directory(installDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor();
        }
        return new Run(done ? p.exitValue() : -1, Files.readString(log, StandardCharsets.UTF_8));
    }

    private record Run(int exitCode, String output) {
    }

    @Test
    void holdsALauncherPerCommandTheJarsTheSchemasThePythonClientAndTheReadme() throws IOException {
        assertThat(home.getFileName().toString()).startsWith("alignstream-");
        for (String command : Launcher.commands().keySet()) {
            assertThat(home.resolve("bin").resolve(command)).isExecutable();
        }
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            assertThat(jars.map(p -> p.getFileName().toString()).toList())
                    .anyMatch(n -> n.startsWith("alignstream-inference-")).anyMatch(n -> n.startsWith("kafka-streams-"))
                    .anyMatch(n -> n.startsWith("onnxruntime-")).anyMatch(n -> n.startsWith("generator-service-"));
        }
        assertThat(home.resolve("schemas/PromptRequest.avsc")).exists();
        assertThat(home.resolve("schemas/bundled/topics.json")).exists();
        assertThat(home.resolve("clients/python/alignstream/codec.py")).exists();
        assertThat(home.resolve("README.md")).exists();
    }

    @Test
    void everyCommandAnswersHelpWithItsUsage() throws Exception {
        for (String command : Launcher.commands().keySet()) {
            Run help = run(60, home.resolve("bin").resolve(command).toString(), "--help");
            assertThat(help.exitCode()).as("bin/%s --help:%n%s", command, help.output()).isZero();
            assertThat(help.output()).as("bin/%s --help", command).contains("Usage:");
        }
    }

    @Test
    void anUnknownCommandListsTheKnownOnes() throws Exception {
        Run unknown = run(60, home.resolve("bin/alignstream").toString(), "nonsense");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.output()).contains("unknown command 'nonsense'").contains("run-local").contains("align");
    }

    @Test
    void theLocalRunAnswersPromptsFromTheUnpackedRelease() throws Exception {
        Path prompts = installDir.resolve("prompts.txt");
        Files.write(prompts, List.of("It was a fine morning", "She opened the letter"));
        Run local = run(300, home.resolve("bin/run-local").toString(), "--prompts-file", prompts.toString(),
                "--n", "2", "--max-new-tokens", "6", "--feedback-rounds", "0");
        assertThat(local.exitCode()).as(local.output()).isZero();
        assertThat(local.output()).containsPattern("summary: prompts=2 responses=4 ");
    }
}
