package org.alignstream.inference.onnx;

import java.nio.file.Path;

/** Test resources under {@code reward-fixture/} (made by ops/reward-fixture/make_tiny_classifier.py). */
public final class Fixtures {

    private Fixtures() {
    }

    public static Path fixture(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/reward-fixture/" + name).toURI());
        } catch (Exception e) {
            throw new IllegalStateException("missing test resource reward-fixture/" + name, e);
        }
    }
}
