package org.alignstream.common.runtime;

import java.nio.file.Path;
import org.alignstream.common.models.ModelStore;
import picocli.CommandLine.Option;

/**
 * The model-store option of the commands that publish or read reward-model versions (a picocli mixin,
 * {@code @Mixin ModelStoreOptions store}): {@code --model-store DIR} (env {@code ALIGNSTREAM_MODEL_STORE} through
 * {@link EnvironmentDefaultProvider}; default none), the {@link ModelStore} directory shared by the feedback service,
 * which writes large heads there, and the scorers and the rollback tool, which read versions published as a
 * {@code file:} URI from there and only from there.
 */
public final class ModelStoreOptions {

    @Option(names = "--model-store", paramLabel = "DIR",
            description = "Model-store directory shared by the feedback service and the scorers: the feedback service"
                    + " writes a head larger than its --inline-head-max-bytes here and publishes it as a file: URI; a"
                    + " scorer (or a rollback) reads such a version from here, and only from here (default: none;"
                    + " every head is published inline and a version published as a file: URI is refused)")
    Path directory;

    /** {@code --model-store}, or null when not given. */
    public Path directory() {
        return directory;
    }

    /** The model store at {@code --model-store}, or null when not given. */
    public ModelStore store() {
        return directory == null ? null : ModelStore.at(directory);
    }
}
