package org.alignstream.common.runtime;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Lets every option of a command also come from an environment variable: {@code --bootstrap-servers} from
 * {@code ALIGNSTREAM_BOOTSTRAP_SERVERS}, {@code --http-port} from {@code ALIGNSTREAM_HTTP_PORT}, and so on for every
 * option a subclass adds (the option's longest name, dashes to underscores, upper case, prefixed with
 * {@value #PREFIX}). The variable only supplies the default, so a flag on the command line wins; an unset or blank
 * variable leaves the annotated default. For a map option like {@code --config}, separate entries with commas:
 * {@code ALIGNSTREAM_CONFIG="linger.ms=5,bootstrap.servers=a:9092,b:9092"} (a comma starts a new entry only if
 * {@code key=} follows it).
 */
public final class EnvironmentDefaultProvider implements IDefaultValueProvider {

  /** Prefix of every variable. */
  public static final String PREFIX = "ALIGNSTREAM_";

  private final Map<String, String> environment;

  /** Reads the process environment. */
  public EnvironmentDefaultProvider() {
    this(System.getenv());
  }

  /** Reads the given environment (for tests). */
  public EnvironmentDefaultProvider(Map<String, String> environment) {
    this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
  }

  /** The variable for an option name: {@code --num-stream-threads} gives {@code ALIGNSTREAM_NUM_STREAM_THREADS}. */
  public static String variableName(String optionName) {
    String bare = optionName.replaceFirst("^-+", "");
    return PREFIX + bare.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    if (!(argSpec instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
      return null;
    }
    String value = environment.get(variableName(option.longestName()));
    return value == null || value.isBlank() ? null : value;
  }
}
