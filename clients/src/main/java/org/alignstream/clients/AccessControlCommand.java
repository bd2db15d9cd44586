package org.alignstream.clients;

import org.alignstream.common.security.AccessControl;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignstream.common.runtime.EnvironmentDefaultProvider;
import org.alignstream.common.runtime.KafkaClientOptions;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Sets an alignstream cluster up for authenticated services, as a super user: the pipeline's topics, one SCRAM user per
 * service and one for clients, and their ACLs ({@link AccessControl}). Run once before the services start (they then
 * run with {@code --create-topics=false}); running it again is harmless (and updates passwords).
 *
 * <p>Every option also comes from the environment ({@link EnvironmentDefaultProvider}): the passwords from
 * {@code ALIGNSTREAM_GENERATOR_PASSWORD}, {@code ALIGNSTREAM_SCORER_PASSWORD}, {@code ALIGNSTREAM_SELECTOR_PASSWORD},
 * {@code ALIGNSTREAM_FEEDBACK_PASSWORD} and {@code ALIGNSTREAM_CLIENT_PASSWORD}; the admin's client settings from
 * {@code ALIGNSTREAM_CONFIG} ({@code security.protocol=SASL_PLAINTEXT,sasl.mechanism=SCRAM-SHA-256,sasl.jaas.config=...}).
 */
@Command(name = "access-control", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Creates the topics, the SCRAM users and the ACLs of the alignstream services (as a super user).")
public final class AccessControlCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  KafkaClientOptions kafka = new KafkaClientOptions();


  @Option(names = "--topic-partitions", defaultValue = "6", description = "partitions of created topics (default: ${DEFAULT-VALUE})")
  int partitions;

  @Option(names = "--replication-factor", defaultValue = "1", description = "replication factor of created topics (default: ${DEFAULT-VALUE})")
  short replicationFactor;

  @Option(names = "--application-id", paramLabel = "USER=ID",
      description = "a service's application.id if not its default, e.g. scorer=alignstream-scorer-b; repeatable")
  Map<String, String> applicationIds = new LinkedHashMap<>();

  @Option(names = "--generator-password", description = "password of user generator")
  String generatorPassword;
  @Option(names = "--scorer-password", description = "password of user scorer")
  String scorerPassword;
  @Option(names = "--selector-password", description = "password of user selector")
  String selectorPassword;
  @Option(names = "--feedback-password", description = "password of user feedback")
  String feedbackPassword;
  @Option(names = "--gateway-password", description = "password of user gateway")
  String gatewayPassword;
  @Option(names = "--client-password", description = "password of user client")
  String clientPassword;

  @Option(names = "--print", description = "only print the ACLs that would be created")
  boolean print;

  /** The grants with the {@code --application-id} overrides applied. */
  List<AccessControl.Grant> grants() {
    List<AccessControl.Grant> standard = AccessControl.standard();
    for (String user : applicationIds.keySet()) {
      if (standard.stream().noneMatch(g -> g.user().equals(user) && g.applicationId() != null)) {
        throw new IllegalArgumentException("--application-id: no service user '" + user + "'");
      }
    }
    List<AccessControl.Grant> grants = new ArrayList<>();
    for (AccessControl.Grant g : standard) {
      String id = applicationIds.get(g.user());
      grants.add(id == null ? g : g.withApplicationId(id));
    }
    return grants;
  }

  Map<String, String> passwords() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(AccessControl.GENERATOR, generatorPassword);
    p.put(AccessControl.SCORER, scorerPassword);
    p.put(AccessControl.SELECTOR, selectorPassword);
    p.put(AccessControl.FEEDBACK, feedbackPassword);
    p.put(AccessControl.GATEWAY, gatewayPassword);
    p.put(AccessControl.CLIENT, clientPassword);
    List<String> missing = p.entrySet().stream().filter(e -> e.getValue() == null || e.getValue().isEmpty())
        .map(e -> "--" + e.getKey() + "-password").toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("missing " + String.join(", ", missing) + " (or ALIGNSTREAM_<USER>_PASSWORD)");
    }
    return p;
  }

  @Override
  public Integer call() {
    List<AccessControl.Grant> grants;
    Map<String, String> passwords;
    try {
      grants = grants();
      passwords = print ? Map.of() : passwords();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println(spec.name() + ": " + e.getMessage());
      spec.commandLine().getErr().flush();
      return spec.commandLine().getCommandSpec().exitCodeOnInvalidInput();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (print) {
      out.print(AccessControl.describe(grants));
      out.flush();
      return 0;
    }
    Map<String, Object> adminConfig = kafka.clientConfig();
    try (Admin admin = Admin.create(adminConfig)) {
      AccessControl.setUp(admin, grants, passwords, partitions, replicationFactor);
    }
    out.println("topics, " + passwords.size() + " users and " + AccessControl.aclBindings(grants).size()
        + " ACLs in place on " + kafka.bootstrapServers());
    out.flush();
    return 0;
  }

  /** The command line with options defaulting from {@code ALIGNSTREAM_*} variables of {@code environment}. */
  public static CommandLine commandLine(Map<String, String> environment) {
    CommandLine cl = new CommandLine(new AccessControlCommand());
    cl.setDefaultValueProvider(new EnvironmentDefaultProvider(environment));
    return cl;
  }

  public static void main(String[] args) {
    System.exit(commandLine(System.getenv()).execute(args));
  }
}
