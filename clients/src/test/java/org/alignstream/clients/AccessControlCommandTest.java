package org.alignstream.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AccessControlCommandTest {

  @Test
  void theCommandPrintsTheTableAndNeedsEveryPassword() {
    StringWriter out = new StringWriter();
    CommandLine cl = AccessControlCommand.commandLine(Map.of());
    cl.setOut(new PrintWriter(out));
    assertThat(cl.execute("--print", "--application-id", "scorer=alignstream-scorer-b")).isZero();
    assertThat(out.toString()).contains("User:feedback").contains("topic reward-models").contains("WRITE")
        .contains("transactional_id alignstream-scorer-b*");

    StringWriter err = new StringWriter();
    CommandLine missing = AccessControlCommand.commandLine(Map.of("ALIGNSTREAM_GENERATOR_PASSWORD", "g",
        "ALIGNSTREAM_SCORER_PASSWORD", "s"));
    missing.setErr(new PrintWriter(err));
    assertThat(missing.execute("--bootstrap-servers", "127.0.0.1:1")).isEqualTo(2);
    assertThat(err.toString()).contains("--selector-password").contains("--client-password")
        .doesNotContain("--scorer-password,");

    StringWriter err2 = new StringWriter();
    CommandLine unknown = AccessControlCommand.commandLine(Map.of());
    unknown.setErr(new PrintWriter(err2));
    assertThat(unknown.execute("--print", "--application-id", "client=x")).isEqualTo(2);
    assertThat(err2.toString()).contains("no service user 'client'");
  }
}
