package org.alignstream.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;

/**
 * Runs one KRaft node as its own process, from a {@code server.properties} whose storage is already formatted (as
 * {@link EmbeddedKafkaCluster#format} lays out a cluster), until the process ends: SIGTERM shuts it down in a
 * controlled way (leaderships handed over first), SIGKILL ends it abruptly, as a crashed broker. Prints
 * {@code kafka node <id> started on <listeners>} once it has started.
 *
 * <pre>java -cp ... org.alignstream.embedded.KRaftNodeMain /tmp/cluster/node-2/server.properties</pre>
 */
public final class KRaftNodeMain {

    private KRaftNodeMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        if (args.length != 1) {
            System.err.println("usage: KRaftNodeMain <server.properties>");
            System.exit(2);
        }
        Properties props = load(Path.of(args[0]));
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            server.awaitShutdown();
        }, "kafka-node-shutdown"));
        server.startup();
        System.out.println("kafka node " + props.getProperty("node.id") + " started on "
                + props.getProperty("listeners"));
        System.out.flush();
        server.awaitShutdown();
    }

    static Properties load(Path file) {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return props;
    }
}
