package org.alignstream.drills;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import org.alignstream.drills.ServiceProcesses.ServiceProcess;

/**
 * The four stages of {@link Pipeline#STAGES} as separate JVMs, configured for the drills: each keeps its state
 * directory across restarts (a restarted stage resumes as a restarted container does), gets a fresh HTTP port per
 * launch, and may be SIGKILLed. Consumer sessions and producer transactions time out fast, so a killed stage's
 * partitions and open transaction are released within seconds. Logs are {@code <stage>-<launch number>.log} in the work
 * directory.
 */
final class DrillStages {
    /** Feedback events per retraining (the feedback service's count trigger in the drills). */
    static final int RETRAIN_EVERY = 40;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final String KILLABLE_CONFIG = "consumer.session.timeout.ms=6000,consumer.heartbeat.interval.ms=1000,"
            + "producer.transaction.timeout.ms=5000";

    private final ServiceProcesses processes;
    private final Map<StageSpec, Map<String, String>> environments = new HashMap<>();
    private final Map<StageSpec, ServiceProcess> running = new HashMap<>();
    private int launches;

    DrillStages(ServiceProcesses processes) throws IOException {
        this(processes, 1);
    }

    /**
     * Stages whose topics (created by the first stage that needs them) and Kafka Streams internal topics get
     * {@code replicationFactor} replicas: the cluster's ({@code --replication-factor}).
     */
    DrillStages(ServiceProcesses processes, int replicationFactor) throws IOException {
        this.processes = processes;
        for (StageSpec s : Pipeline.STAGES) {
            Map<String, String> env = processes.environment(s, -1); // the port is chosen per launch
            env.put("ALIGNSTREAM_CONFIG", KILLABLE_CONFIG);
            env.put("ALIGNSTREAM_REPLICATION_FACTOR", Integer.toString(replicationFactor));
            if (s.equals(Pipeline.FEEDBACK_STAGE)) {
                // a retraining every RETRAIN_EVERY events, or 4 s after the last one for a remainder; every version
                // passes the gate (the drills test what is lost, not what is learnt)
                env.put("ALIGNSTREAM_RETRAIN_EVERY_EVENTS", Integer.toString(RETRAIN_EVERY));
                env.put("ALIGNSTREAM_RETRAIN_EVERY_MS", "4000");
                env.put("ALIGNSTREAM_GATE_MARGIN", "1.0");
            }
            environments.put(s, env);
        }
        for (StageSpec f : Pipeline.FRONT_ENDS) {
            environments.put(f, processes.environment(f, -1));
        }
    }

    /** Starts every stage, in flow order, each once ready before the next. */
    void startAll() throws Exception {
        startAll(Pipeline.STAGES);
    }

    /** Starts {@code stages} in the given order, each once ready before the next. */
    void startAll(List<StageSpec> stages) throws Exception {
        for (StageSpec s : stages) {
            start(s);
        }
    }

    /** Launches the stage on a free port and waits until it is ready (90 s at most). */
    void start(StageSpec s) throws Exception {
        Map<String, String> env = environments.get(s);
        env.put("ALIGNSTREAM_HTTP_PORT", Integer.toString(ServiceProcesses.freePort()));
        // four JVMs and the broker on few cores: a small heap (more for training), C1 only (faster start-up)
        List<String> jvmOptions = List.of(s.equals(Pipeline.FEEDBACK_STAGE) ? "-Xmx512m" : "-Xmx256m",
                "-XX:TieredStopAtLevel=1");
        ServiceProcess p = processes.launch(s.name() + "-" + (++launches), s, env, jvmOptions);
        running.put(s, p);
        ServiceProcesses.awaitReady(p, READY_TIMEOUT);
    }

    /** SIGKILLs the stage's running process. */
    void kill(StageSpec s) throws InterruptedException {
        running.get(s).kill();
    }

    /** The stage's latest launch. */
    ServiceProcess current(StageSpec s) {
        return running.get(s);
    }
}
