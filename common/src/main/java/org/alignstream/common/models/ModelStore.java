package org.alignstream.common.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Pattern;
import org.alignstream.avro.RewardModelVersion;

/**
 * A model-store directory: a reward-model version's ONNX payload kept as a file, published on {@code reward-models}
 * as a {@code file:} URI instead of inline bytes (for payloads too large to travel well as a Kafka record). Layout
 * {@code <root>/<model id>/<version>/head.onnx}, written atomically (a temporary file moved into place), so a reader
 * never sees half a file.
 *
 * <p>Reading is the untrusted side: a URI is accepted only if it is a {@code file:} URI whose path, normalised and with
 * symbolic links resolved, lies inside this store's root; its size is checked against the limit before a byte is
 * read. Anything else is refused with an {@link IllegalArgumentException} that says why.
 */
public final class ModelStore {
    /** The file name of a version's payload inside its directory. */
    public static final String FILE_NAME = "head.onnx";
    private static final Pattern MODEL_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Path root;

    private ModelStore(Path root) {
        this.root = root;
    }

    /** The store at {@code root} (created if missing). */
    public static ModelStore at(Path root) {
        try {
            Files.createDirectories(root);
            return new ModelStore(root.toRealPath());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the model store " + root + ": " + e.getMessage(), e);
        }
    }

    public Path root() {
        return root;
    }

    /** Writes the payload of {@code modelId} version {@code version}; returns its {@code file:} URI. */
    public URI write(String modelId, long version, byte[] payload) {
        if (!MODEL_ID.matcher(modelId).matches()) {
            throw new IllegalArgumentException("model id '" + modelId + "' cannot name a model-store directory "
                    + "(letters, digits, '.', '_' and '-' only)");
        }
        if (version < 0) {
            throw new IllegalArgumentException("version must be >= 0, was " + version);
        }
        Path dir = root.resolve(modelId).resolve(Long.toString(version));
        Path target = dir.resolve(FILE_NAME);
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, FILE_NAME, ".tmp");
            try {
                Files.write(tmp, payload);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return target.toUri();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** Reads the payload at {@code uri}, which must lie inside this store and hold at most {@code maxBytes}. */
    public byte[] read(String uri, long maxBytes) {
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (Exception e) {
            throw new IllegalArgumentException("model-store URI '" + uri + "' is not a URI");
        }
        if (!"file".equals(parsed.getScheme()) || parsed.getRawAuthority() != null || parsed.getRawQuery() != null
                || parsed.getRawFragment() != null || parsed.getPath() == null) {
            throw new IllegalArgumentException("model-store URI '" + uri + "' is not a plain file: URI");
        }
        Path path = Path.of(parsed.getPath()).normalize();
        if (!path.startsWith(root)) {
            throw new IllegalArgumentException("model-store URI '" + uri + "' is outside the model store " + root);
        }
        try {
            Path real = path.toRealPath();
            if (!real.startsWith(root)) {
                throw new IllegalArgumentException("model-store URI '" + uri + "' leads outside the model store " + root);
            }
            if (!Files.isRegularFile(real)) {
                throw new IllegalArgumentException("model-store URI '" + uri + "' is not a file");
            }
            long size = Files.size(real);
            if (size > maxBytes) {
                throw new IllegalArgumentException("model-store file " + real + " has " + size
                        + " bytes, over the limit of " + maxBytes);
            }
            try (InputStream in = Files.newInputStream(real)) {
                byte[] bytes = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
                if (bytes.length > maxBytes) {
                    throw new IllegalArgumentException("model-store file " + real + " grew over the limit of "
                            + maxBytes + " bytes while being read");
                }
                return bytes;
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("model-store URI '" + uri + "': no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("model-store URI '" + uri + "' cannot be read: " + e.getMessage());
        }
    }

    /**
     * The ONNX payload of a published version: its inline {@code head_onnx} bytes, or the file its {@code uri} names in
     * {@code store} (null: this service has no model store). Exactly one of the two must be set.
     */
    public static byte[] payload(RewardModelVersion v, ModelStore store, long maxBytes) {
        ByteBuffer inline = v.getHeadOnnx();
        String uri = v.getUri();
        if (inline != null && uri != null) {
            throw new IllegalArgumentException("version " + v.getVersion() + " has both head bytes and a uri");
        }
        if (inline != null) {
            if (inline.remaining() > maxBytes) {
                throw new IllegalArgumentException("version " + v.getVersion() + " has " + inline.remaining()
                        + " head bytes, over the limit of " + maxBytes);
            }
            byte[] bytes = new byte[inline.remaining()];
            inline.duplicate().get(bytes);
            return bytes;
        }
        if (uri == null) {
            throw new IllegalArgumentException("version " + v.getVersion() + " has neither head bytes nor a uri");
        }
        if (store == null) {
            throw new IllegalArgumentException("version " + v.getVersion() + " is in a model store (" + uri
                    + ") and this service has no --model-store");
        }
        return store.read(uri, maxBytes);
    }
}
