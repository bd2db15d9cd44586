package org.alignstream.drills;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The broker and the service processes of an integration test class that runs stages as separate JVMs: the broker is
 * started before all tests (before the class's own {@code @BeforeAll} methods), then a {@link ServiceProcesses} on it;
 * after all tests the processes are closed first, then whatever the test registered with {@link #closeLater}, then
 * the broker. When a test fails, every launched process's log is printed.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ProcessFixture FIXTURE = ProcessFixture.onEmbeddedBroker("my-it-", Map.of());
 * }</pre>
 */
final class ProcessFixture implements BeforeAllCallback, AfterAllCallback, TestWatcher {

    /** Starts the broker the processes run against. */
    @FunctionalInterface
    interface BrokerStarter {
        EmbeddedKafkaCluster start() throws Exception;
    }

    private final String prefix;
    private final BrokerStarter starter;
    private final Deque<AutoCloseable> closeLater = new ArrayDeque<>();
    private EmbeddedKafkaCluster kafka;
    private ServiceProcesses processes;

    /**
     * @param prefix  of the processes' work directory under {@code target}
     * @param starter starts the broker
     */
    ProcessFixture(String prefix, BrokerStarter starter) {
        this.prefix = prefix;
        this.starter = starter;
    }

    /** An in-process broker with {@code brokerConfig} on top of its defaults. */
    static ProcessFixture onEmbeddedBroker(String prefix, Map<String, String> brokerConfig) {
        return new ProcessFixture(prefix, () -> EmbeddedKafkaCluster.start(brokerConfig));
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        kafka = starter.start();
        processes = ServiceProcesses.underTarget(prefix, kafka.bootstrapServers());
    }

    EmbeddedKafkaCluster kafka() {
        return kafka;
    }

    ServiceProcesses processes() {
        return processes;
    }

    /** Closes {@code resource} after the processes and before the broker (the last registered first). */
    <T extends AutoCloseable> T closeLater(T resource) {
        closeLater.push(resource);
        return resource;
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        if (processes != null) {
            processes.printLogs();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        Exception failure = null;
        if (processes != null) {
            failure = closeQuietly(processes, null);
        }
        while (!closeLater.isEmpty()) {
            failure = closeQuietly(closeLater.pop(), failure);
        }
        if (kafka != null) {
            failure = closeQuietly(kafka, failure);
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static Exception closeQuietly(AutoCloseable c, Exception earlier) {
        try {
            c.close();
            return earlier;
        } catch (Exception e) {
            if (earlier != null) {
                earlier.addSuppressed(e);
                return earlier;
            }
            return e;
        }
    }
}
