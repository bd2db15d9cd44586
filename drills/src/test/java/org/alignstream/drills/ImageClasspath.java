package org.alignstream.drills;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What an image built by {@code ops/docker/Dockerfile} with build argument MODULE holds: the module's jar and the
 * runtime {@code lib/} its package phase leaves in {@code <module>/target} (run after that phase, as
 * {@code mvn verify} does).
 *
 * @param jar the module's own jar
 * @param lib its runtime dependencies
 */
record ImageClasspath(Path jar, Path lib) {

    /** The image of {@code module}, under the repository {@code root}. */
    static ImageClasspath of(Path root, String module) {
        assertThat(module).as("the image's MODULE build argument").isNotBlank();
        Path target = root.resolve(module).resolve("target");
        Path lib = target.resolve("lib");
        assertThat(lib).as("%s, left by the package phase (run under mvn verify)", lib).isDirectory();
        List<Path> jars;
        try (Stream<Path> files = Files.list(target)) {
            jars = files.filter(f -> f.getFileName().toString().endsWith("-SNAPSHOT.jar")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(jars).as("the jar of module %s", module).hasSize(1);
        return new ImageClasspath(jars.get(0), lib);
    }

    /** {@code <jar>:<lib>/*}, as the image's launcher runs it. */
    String classpath() {
        return jar + File.pathSeparator + lib.resolve("*");
    }

    /** The module's jar and every jar of lib/. */
    List<Path> jars() {
        try (Stream<Path> files = Files.list(lib)) {
            return Stream.concat(Stream.of(jar), files.filter(f -> f.toString().endsWith(".jar")).sorted()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
