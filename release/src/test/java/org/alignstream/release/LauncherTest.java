package org.alignstream.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LauncherTest {
    private static final Path BIN = Path.of(System.getProperty("basedir", "."), "src", "bin");

    @Test
    void everyCommandHasABinScriptAndEveryScriptIsACommand() throws IOException {
        try (Stream<Path> scripts = Files.list(BIN)) {
            assertThat(scripts.map(p -> p.getFileName().toString()).filter(n -> !n.equals("alignstream")))
                    .containsExactlyInAnyOrderElementsOf(Launcher.commands().keySet());
        }
    }

    @Test
    void eachBinScriptRunsItsOwnCommand() throws IOException {
        for (String command : Launcher.commands().keySet()) {
            assertThat(Files.readString(BIN.resolve(command)))
                    .as("bin/%s", command).contains("/alignstream\" " + command + " \"$@\"");
            assertThat(Files.isExecutable(BIN.resolve(command))).as("bin/%s is executable", command).isTrue();
        }
    }

    @Test
    void everyCommandsMainClassIsOnTheReleaseClasspathWithAPublicStaticMain() throws Exception {
        for (var e : Launcher.commands().entrySet()) {
            var main = Class.forName(e.getValue()).getMethod("main", String[].class);
            assertThat(Modifier.isStatic(main.getModifiers())).as(e.getKey()).isTrue();
        }
    }

    @Test
    void theStagesComeFirstNamedByTheirModules() {
        assertThat(Launcher.commands().keySet()).startsWith("generator-service", "scorer-service", "selector-service",
                "feedback-service");
    }
}
