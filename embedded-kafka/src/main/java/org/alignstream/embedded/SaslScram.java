package org.alignstream.embedded;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SASL/SCRAM-SHA-256 settings of a secured {@link EmbeddedKafkaCluster} ({@link EmbeddedKafkaCluster.Builder#scram})
 * and of the clients that talk to it.
 *
 * <p>The broker then has:
 * <ul>
 *   <li>a client listener {@value #CLIENT_LISTENER} that only accepts SCRAM-SHA-256; the inter-broker traffic uses it
 *       too, authenticated as the admin user;</li>
 *   <li>a controller listener {@value KRaftBrokerProperties#CONTROLLER_LISTENER} that only accepts SASL/PLAIN with the
 *       admin user (SCRAM credentials live in the metadata log, which the controller must be reachable to serve, so
 *       the controller listener cannot use SCRAM itself); it binds to 127.0.0.1 only;</li>
 *   <li>the KRaft {@value #AUTHORIZER} with {@code allow.everyone.if.no.acl.found=false} and the admin user as the
 *       only super user: every other principal can do exactly what its ACLs allow;</li>
 *   <li>the admin user's SCRAM credential written into the metadata log when the storage is formatted
 *       ({@code kafka-storage format --add-scram}), so the broker can authenticate clients from its first second.</li>
 * </ul>
 *
 * <p>User names and passwords may not contain {@code , " \ ; [ ]} or control characters: they travel in
 * {@code --add-scram} arguments and JAAS configuration strings, which have no escaping.
 */
public final class SaslScram {

    /** The SASL mechanism of the client listener. */
    public static final String MECHANISM = "SCRAM-SHA-256";
    /** Name (and security protocol) of the secured client listener. */
    public static final String CLIENT_LISTENER = "SASL_PLAINTEXT";
    /** The authorizer of a secured cluster. */
    public static final String AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
    private static final String CONTROLLER_MECHANISM = "PLAIN";

    private SaslScram() {
    }

    /**
     * Client properties that authenticate as {@code user} with SCRAM-SHA-256 over SASL_PLAINTEXT: {@code
     * security.protocol}, {@code sasl.mechanism} and {@code sasl.jaas.config} (add {@code bootstrap.servers}).
     *
     * @throws IllegalArgumentException if the user name or password is empty or holds a character that cannot be used
     */
    public static Map<String, Object> clientProperties(String user, String password) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("security.protocol", CLIENT_LISTENER);
        p.put("sasl.mechanism", MECHANISM);
        p.put("sasl.jaas.config", jaasConfig(user, password));
        return p;
    }

    /** The client {@code sasl.jaas.config} value for SCRAM as {@code user}. */
    public static String jaasConfig(String user, String password) {
        checkCredential(user, password);
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    /** Broker property overrides of a secured cluster whose super user is {@code adminUser}. */
    static Map<String, String> brokerProperties(String adminUser, String adminPassword) {
        checkCredential(adminUser, adminPassword);
        String controller = KRaftBrokerProperties.CONTROLLER_LISTENER;
        String controllerPrefix = "listener.name." + controller.toLowerCase(java.util.Locale.ROOT) + ".";
        String clientPrefix = "listener.name." + CLIENT_LISTENER.toLowerCase(java.util.Locale.ROOT) + ".";
        Map<String, String> p = new LinkedHashMap<>();
        p.put("listeners", CLIENT_LISTENER + "://127.0.0.1:" + KRaftBrokerProperties.BROKER_PORT_PLACEHOLDER
                + "," + controller + "://127.0.0.1:" + KRaftBrokerProperties.CONTROLLER_PORT_PLACEHOLDER);
        p.put("advertised.listeners", CLIENT_LISTENER + "://127.0.0.1:" + KRaftBrokerProperties.BROKER_PORT_PLACEHOLDER);
        p.put("listener.security.protocol.map", CLIENT_LISTENER + ":SASL_PLAINTEXT," + controller + ":SASL_PLAINTEXT");
        p.put("inter.broker.listener.name", CLIENT_LISTENER);
        p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
        p.put("sasl.mechanism.controller.protocol", CONTROLLER_MECHANISM);
        // client listener: SCRAM only; the broker's own inter-broker connections log in as the admin user
        p.put(clientPrefix + "sasl.enabled.mechanisms", MECHANISM);
        p.put(clientPrefix + MECHANISM.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
                jaasConfig(adminUser, adminPassword));
        // controller listener: PLAIN with the admin user only (server and client side of the same JAAS entry)
        p.put(controllerPrefix + "sasl.enabled.mechanisms", CONTROLLER_MECHANISM);
        p.put(controllerPrefix + CONTROLLER_MECHANISM.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + adminUser
                        + "\" password=\"" + adminPassword + "\" user_" + adminUser + "=\"" + adminPassword + "\";");
        p.put("authorizer.class.name", AUTHORIZER);
        p.put("allow.everyone.if.no.acl.found", "false");
        p.put("super.users", "User:" + adminUser);
        return p;
    }

    /** The {@code kafka-storage format --add-scram} value that bootstraps {@code user}'s credential. */
    static String formatArgument(String user, String password) {
        checkCredential(user, password);
        return MECHANISM + "=[name=\"" + user + "\",password=\"" + password + "\"]";
    }

    static void checkCredential(String user, String password) {
        check("user name", user);
        check("password", password);
    }

    private static void check(String what, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("SCRAM " + what + " must not be empty");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f || ",\"\\;[]".indexOf(c) >= 0) {
                throw new IllegalArgumentException("SCRAM " + what + " must not contain control characters or any of "
                        + ", \" \\ ; [ ] (found at position " + i + ")");
            }
        }
    }
}
