package org.alignstream.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import kafka.tools.StorageTool;

/**
 * Formats the log directories of a KRaft node, as {@code kafka-storage.sh format} does, in process.
 * {@link StorageTool#execute} reads the node's configuration from a file, so the properties are written
 * to {@code server.properties} beside the log directory first.
 */
final class KRaftStorageFormatter {

    private KRaftStorageFormatter() {
    }

    /**
     * @return the written configuration file
     * @throws IllegalStateException with the tool's output if formatting fails
     */
    static Path format(Properties serverProperties, String clusterId, Path configDir) {
        return format(serverProperties, clusterId, configDir, List.of());
    }

    /**
     * As {@link #format(Properties, String, Path)} with further arguments of the format command, e.g.
     * {@code --add-scram SCRAM-SHA-256=[name=admin,password=secret]} to write a SCRAM credential into the bootstrap
     * metadata.
     */
    static Path format(Properties serverProperties, String clusterId, Path configDir, List<String> extraArguments) {
        Path configFile = configDir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(configFile)) {
            serverProperties.store(out, "alignstream embedded KRaft node");
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + configFile, e);
        }
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try (PrintStream output = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            List<String> args = new ArrayList<>(List.of(
                    "format", "--config", configFile.toString(), "--cluster-id", clusterId));
            args.addAll(extraArguments);
            code = StorageTool.execute(args.toArray(String[]::new), output);
        } catch (RuntimeException e) {
            throw new IllegalStateException("formatting KRaft storage with " + configFile + " failed: "
                    + e.getMessage() + "\n" + captured.toString(StandardCharsets.UTF_8), e);
        }
        if (code != 0) {
            throw new IllegalStateException("formatting KRaft storage with " + configFile + " failed with code "
                    + code + ":\n" + captured.toString(StandardCharsets.UTF_8));
        }
        return configFile;
    }
}
