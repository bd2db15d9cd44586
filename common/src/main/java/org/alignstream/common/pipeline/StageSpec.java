package org.alignstream.common.pipeline;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Who a stage is: the facts its runner, the access-control grants, the image build, the drills and the process
 * fixtures all need, kept here once (listed in {@link Pipeline#STAGES}).
 *
 * @param name the stage's name in logs, metrics ({@code stage} label), dead letters and its SCRAM user
 * @param module the Maven module its image is built from ({@code ops/docker/Dockerfile}, build argument MODULE)
 * @param applicationId its default Kafka Streams {@code application.id}
 * @param mainClass its main class (build argument MAIN_CLASS)
 * @param reads the topics it consumes
 * @param writes the topics it produces (every stage writes {@link Pipeline#DEAD_LETTERS})
 */
public record StageSpec(String name, String module, String applicationId, String mainClass, List<Topic<?>> reads,
        List<Topic<?>> writes) {

    public StageSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(applicationId, "applicationId");
        Objects.requireNonNull(mainClass, "mainClass");
        reads = List.copyOf(reads);
        writes = List.copyOf(writes);
    }

    /** Names of the topics it reads, in order. */
    public List<String> readNames() {
        return reads.stream().map(Topic::name).toList();
    }

    /** Names of the topics it writes, in order. */
    public List<String> writeNames() {
        return writes.stream().map(Topic::name).toList();
    }

    /** Names of every topic it reads or writes, reads first, each once: what its runner makes sure exists. */
    public List<String> topicNames() {
        Set<String> names = new LinkedHashSet<>(readNames());
        names.addAll(writeNames());
        return List.copyOf(names);
    }
}
