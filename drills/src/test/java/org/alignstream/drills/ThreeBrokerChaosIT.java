package org.alignstream.drills;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two of the three-broker drills of {@code ops/chaos.sh --brokers 3} ({@link ChaosDrills} with {@code --brokers=3}) as
 * an integration test, smaller (100 prompts per drill instead of 1,000): three brokers as separate JVMs (one KRaft
 * quorum, replication factor 3, {@code min.insync.replicas=2}) and the serving stages as separate JVMs; the broker
 * leading most input partitions SIGKILLed mid-run, then two of the three SIGKILLed together so that the in-sync
 * minimum cannot be met (a write in between must be refused). Both must end with nothing lost, nothing doubled,
 * nothing dead-lettered, answers identical to the undisturbed run, and a longest stall printed. Run in its own JVM
 * because the drills end with {@code System.exit}.
 */
class ThreeBrokerChaosIT {

    @Test
    void losingALeaderAndTheInSyncMinimumLosesNothingAndDoublesNothing() throws Exception {
        Path target = Path.of(System.getProperty("basedir", "."), "target");
        Files.createDirectories(target);
        Path log = Files.createTempFile(target, "three-broker-chaos-it-", ".log");
        Process p = ServiceProcesses.onThisClasspath(List.of("-Dai.djl.offline=true", "-Xmx1g",
                "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro"), ChaosDrills.class.getName(),
                List.of("--brokers=3", "--prompts=100", "--drills=kill_partition_leader,lose_in_sync_minimum"), log)
                .start();
        boolean done;
        try {
            done = p.waitFor(12, TimeUnit.MINUTES);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        List<String> drills = out.lines().filter(l -> l.startsWith("drill ")).toList();
        List<String> stalls = out.lines().filter(l -> l.startsWith("stall ")).toList();
        drills.forEach(System.out::println);
        stalls.forEach(System.out::println);
        assertThat(done).as("the drills end within 12 minutes; log %s", log).isTrue();
        assertThat(drills).as("drill lines in %s", log).extracting(l -> l.split(" ")[1])
                .containsExactly("kill_partition_leader", "lose_in_sync_minimum");
        assertThat(drills).allSatisfy(l -> assertThat(l).endsWith("lost=0 duplicated=0 dead_lettered=0"));
        assertThat(stalls).extracting(l -> l.split(" ")[1])
                .containsExactly("kill_partition_leader", "lose_in_sync_minimum");
        assertThat(stalls).allSatisfy(l -> assertThat(l).matches("stall \\S+ longest_s=\\d+\\.\\d"));
        assertThat(out).as("the killed broker led input partitions")
                .containsPattern("kill_partition_leader: SIGKILLed broker \\d, leader of [1-9]\\d* of the input");
        assertThat(out).as("a write while one broker of three ran was not acknowledged")
                .containsPattern("lose_in_sync_minimum: a probe write with acks=all while they are down: refused");
        assertThat(p.exitValue()).as("exit code (non-zero when an answer differs from the undisturbed run); log %s", log)
                .isZero();
    }
}
