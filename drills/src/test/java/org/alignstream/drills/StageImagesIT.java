package org.alignstream.drills;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import org.junit.jupiter.api.Test;

/**
 * Each stage image holds its own service and what that needs, nothing that only runs around the pipeline: no
 * harness, evaluation, drill, training or embedded-broker code, neither as a jar of lib/ nor as classes inside one.
 * Reads the jars {@code ops/docker/Dockerfile} copies ({@link ImageClasspath}), so it runs after the package phase.
 */
class StageImagesIT {

    private static final Pattern FORBIDDEN_JAR = Pattern.compile("alignstream-(harness|evaluation|drills|training|embedded-kafka)-.*");
    private static final Pattern FORBIDDEN_CLASS = Pattern.compile("org/alignstream/(harness|evaluation|drills|training|embedded)/.*");

    @Test
    void everyStageImageHoldsNoHarnessEvaluationDrillOrTrainingClasses() {
        Path root = ComposeFile.repositoryRoot();
        for (StageSpec stage : java.util.stream.Stream.concat(Pipeline.STAGES.stream(), Pipeline.FRONT_ENDS.stream())
                .toList()) {
            ImageClasspath image = ImageClasspath.of(root, stage.module());
            assertThat(problems(image)).as("image of %s (module %s)", stage.name(), stage.module()).isEmpty();
            assertThat(image.jar().getFileName().toString()).startsWith(stage.module());
        }
        assertThat(problems(ImageClasspath.of(root, Pipeline.SETUP_MODULE))).as("the set-up image").isEmpty();
    }

    @Test
    void theCheckFindsHarnessCodeOnAClasspathThatHoldsIt() {
        // the drills module runs around the pipeline: its own classpath must fail the check, jar and classes alike
        List<String> found = problems(ImageClasspath.of(ComposeFile.repositoryRoot(), "drills"));
        assertThat(found).anyMatch(p -> p.contains("alignstream-harness-"))
                .anyMatch(p -> p.contains("org/alignstream/drills/"));
    }

    /** Each forbidden jar and each forbidden class of {@code image}. */
    static List<String> problems(ImageClasspath image) {
        List<String> problems = new ArrayList<>();
        for (Path jar : image.jars()) {
            String name = jar.getFileName().toString();
            if (FORBIDDEN_JAR.matcher(name).matches()) {
                problems.add("jar " + name);
            }
            if (name.startsWith("alignstream-") || jar.equals(image.jar())) {
                try (JarFile file = new JarFile(jar.toFile())) {
                    file.stream().map(e -> e.getName()).filter(n -> FORBIDDEN_CLASS.matcher(n).matches()).findFirst()
                            .ifPresent(n -> problems.add("class " + n + " in " + name));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return problems;
    }
}
