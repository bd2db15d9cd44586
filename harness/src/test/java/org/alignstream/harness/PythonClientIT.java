package org.alignstream.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.alignstream.common.serde.AvroSchemas;
import org.alignstream.common.serde.SchemaVersion;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Python client ({@code clients/python}) against the in-process pipeline: runs its unit tests and its end-to-end
 * tests ({@code tests/test_pipeline.py}: fingerprints equal to Java's for every current and historical schema, prompts
 * written with every released PromptRequest version and with a whole-response and a stepwise method answered, feedback
 * of every released FeedbackEvent version turned into training examples, malformed records dead-lettered with their
 * reason, Java-written records of every topic decoded and re-encoded byte for byte) with {@code /usr/bin/python3}.
 * Skipped, saying so, when python3 cannot import Debian's {@code python3-avro} and {@code python3-confluent-kafka}.
 */
class PythonClientIT {
    static final String PYTHON = "/usr/bin/python3";
    /** The Python package's folder, from the harness module's folder (where tests run). */
    static final Path CLIENT = Path.of("..", "clients", "python").toAbsolutePath().normalize();
    static final Path WORK = Path.of("target", "python-client").toAbsolutePath();

    private static PipelineFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        String missing = pythonModulesMissing();
        if (missing != null) {
            System.out.println("PythonClientIT skipped: " + missing);
        }
        Assumptions.assumeTrue(missing == null, () -> "skipped: " + missing);
        fixture = PipelineFixture.start();
        // no retraining during the test: the events only have to be read and turned into examples
        fixture.pipeline.startFeedback(List.of("--retrain-every-events=100000", "--retrain-every-ms=3600000"));
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** Null when python3 imports avro and confluent_kafka, else why not. */
    static String pythonModulesMissing() throws InterruptedException {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return PYTHON + " not found";
        }
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import avro.schema, confluent_kafka")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor() == 0 ? null : PYTHON + " cannot import avro and confluent_kafka (install Debian's"
                    + " python3-avro python3-confluent-kafka): " + out;
        } catch (IOException e) {
            return "cannot run " + PYTHON + ": " + e.getMessage();
        }
    }

    /** Every schema's fingerprint as Java computes it: "Name version hex" for history, "Name current hex" for today's. */
    static Path javaFingerprints() throws IOException {
        List<String> lines = new ArrayList<>();
        for (SchemaVersion v : AvroSchemas.get().history()) {
            lines.add(String.format("%s %d %016x", v.name(), v.version(), v.fingerprint()));
        }
        for (Schema s : AvroSchemas.get().current().values()) {
            lines.add(String.format("%s current %016x", s.getName(), AvroSchemas.fingerprint(s)));
        }
        Files.createDirectories(WORK);
        return Files.write(WORK.resolve("java-fingerprints.txt"), lines, StandardCharsets.UTF_8);
    }

    @Test
    void thePythonClientsTestsPassAgainstThePipeline() throws Exception {
        Path log = WORK.resolve("unittest.log");
        ProcessBuilder pb = new ProcessBuilder(PYTHON, "-m", "unittest", "discover", "-v", "-s", "tests", "-t", ".")
                .directory(CLIENT.toFile()).redirectErrorStream(true);
        Path fingerprints = javaFingerprints();
        Map<String, String> env = pb.environment();
        env.put("PYTHONPATH", CLIENT.toString());
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        env.put("ALIGNSTREAM_BOOTSTRAP_SERVERS", fixture.bootstrapServers());
        env.put("ALIGNSTREAM_JAVA_FINGERPRINTS", fingerprints.toString());
        env.put("ALIGNSTREAM_TEST_TIMEOUT_S", "90");
        env.put("ALIGNSTREAM_METHODS", String.join(",", org.alignstream.core.decoding.AlignmentMethod.wireNames()));
        pb.redirectOutput(log.toFile());
        long started = System.nanoTime();
        Process p = pb.start();
        boolean done = p.waitFor(300, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(output);
        System.out.printf("PythonClientIT: python3 -m unittest ran %.1f s%n", (System.nanoTime() - started) / 1e9);
        assertThat(done).as("python tests finished within 300 s").isTrue();
        assertThat(p.exitValue()).as("python3 -m unittest exit status; its output:%n%s", output).isZero();
        // the end-to-end tests ran, not skipped
        assertThat(output).contains("test_2_prompts_of_every_released_version_and_methods_are_answered", "ok")
                .doesNotContain("skipped");
    }
}
