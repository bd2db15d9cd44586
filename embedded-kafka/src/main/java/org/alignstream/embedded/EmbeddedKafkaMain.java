package org.alignstream.embedded;

import java.util.concurrent.CountDownLatch;

/**
 * Runs an {@link EmbeddedKafkaCluster} until the process is terminated (SIGTERM / Ctrl-C), for the local run.
 *
 * <p>Port: the first argument, else the environment variable {@value #PORT_ENV}, else {@value #DEFAULT_PORT}.
 * Prints {@code bootstrap.servers=<host:port>} on standard output once the broker answers.
 *
 * <pre>mvn -o -q -pl embedded-kafka exec:java -Dexec.args=19092</pre>
 */
public final class EmbeddedKafkaMain {

    public static final String PORT_ENV = "ALIGNSTREAM_KAFKA_PORT";
    public static final int DEFAULT_PORT = 9092;

    private EmbeddedKafkaMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        // before any logger exists: Kafka logs a lot at INFO
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        System.setProperty("org.slf4j.simpleLogger.log.org.alignstream",
                System.getProperty("org.slf4j.simpleLogger.log.org.alignstream", "info"));
        int port;
        try {
            port = port(args, System.getenv(PORT_ENV));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.builder().brokerPort(port).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                cluster.close();
            } finally {
                stopped.countDown();
            }
        }, "embedded-kafka-shutdown"));
        System.out.println("bootstrap.servers=" + cluster.bootstrapServers());
        System.out.flush();
        stopped.await();
    }

    /**
     * The broker port: {@code args[0]} if present, else {@code env} if set, else {@value #DEFAULT_PORT}.
     *
     * @throws IllegalArgumentException if the chosen value is not a port number in 1..65535, or more than one
     *                                  argument is given
     */
    static int port(String[] args, String env) {
        if (args.length > 1) {
            throw new IllegalArgumentException("usage: EmbeddedKafkaMain [port]  (got " + args.length + " arguments)");
        }
        if (args.length == 1) {
            return parsePort(args[0], "argument");
        }
        if (env != null && !env.isBlank()) {
            return parsePort(env, PORT_ENV);
        }
        return DEFAULT_PORT;
    }

    private static int parsePort(String text, String source) {
        int port;
        try {
            port = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port " + source + " is not a number: '" + text + "'", e);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + source + " must be in 1..65535, got " + port);
        }
        return port;
    }
}
