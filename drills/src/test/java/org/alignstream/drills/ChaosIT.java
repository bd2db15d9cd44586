package org.alignstream.drills;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The chaos drills of {@code ops/chaos.sh} ({@link org.alignstream.drills.ChaosDrills}) as an integration test,
 * smaller (30 prompts per drill instead of 1,000): the four services as separate JVMs; each pipeline stage SIGKILLed
 * in turn mid-run and restarted, then the broker restarted, then a new reward-model version trained from streamed
 * feedback and hot-swapped while prompts stream through, then the feedback service SIGKILLed as it retrains. Every
 * drill must end with nothing lost, nothing doubled, nothing dead-lettered, and answers identical to an undisturbed
 * run scored by the same reward-model version. Run in its own JVM because the drills end with {@code System.exit}.
 */
class ChaosIT {

    @Test
    void everyDrillLosesNothingDoublesNothingAndAnswersAsAnUndisturbedRun() throws Exception {
        Path target = Path.of(System.getProperty("basedir", "."), "target");
        Files.createDirectories(target);
        Path log = Files.createTempFile(target, "chaos-it-", ".log");
        Process p = ServiceProcesses.onThisClasspath(List.of("-Dai.djl.offline=true", "-Xmx1g",
                "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro"), ChaosDrills.class.getName(),
                List.of("--prompts=30", "--interval-ms=100"), log).start();
        boolean done;
        try {
            done = p.waitFor(10, TimeUnit.MINUTES);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        List<String> drills = out.lines().filter(l -> l.startsWith("drill ")).toList();
        drills.forEach(System.out::println);
        assertThat(done).as("the drills end within 10 minutes; log %s", log).isTrue();
        assertThat(drills).as("drill lines in %s", log).extracting(l -> l.split(" ")[1]).containsExactly(
                "kill_generator", "kill_scorer", "kill_selector", "restart_broker", "hot_swap_reward_model",
                "kill_feedback");
        assertThat(drills).allSatisfy(l -> assertThat(l).endsWith("lost=0 duplicated=0 dead_lettered=0"));
        long bundled = Long.parseLong(ReferenceAnswers.BUNDLED_VERSION);
        assertThat(out).as("the hot swap met load: answers scored by the old and the new version")
                .contains("hot_swap_reward_model: answers scored by versions [" + bundled + ", " + (bundled + 1) + "]");
        assertThat(out).as("the feedback service was killed mid-training")
                .contains("kill_feedback: SIGKILLed as its retraining on 80 examples began");
        assertThat(p.exitValue()).as("exit code (non-zero when an answer differs from the undisturbed run); log %s", log)
                .isZero();
    }
}
