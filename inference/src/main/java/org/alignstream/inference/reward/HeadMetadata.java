package org.alignstream.inference.reward;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Identity of a reward head, stored in the head's ONNX {@code metadata_props}.
 *
 * @param id         reward name, e.g. {@code sentiment}
 * @param version    version of this head, e.g. a training date or a counter
 * @param kind       what is scored, e.g. {@code full-sequence}
 * @param featureDim length of the feature vector the head takes
 * @param encoder    name of the encoder producing the features, e.g. {@code all-MiniLM-L6-v2-int8}
 */
public record HeadMetadata(String id, String version, String kind, int featureDim, String encoder) {

    public static final String KEY_ID = "alignstream.reward.id";
    public static final String KEY_VERSION = "alignstream.reward.version";
    public static final String KEY_KIND = "alignstream.reward.kind";
    public static final String KEY_FEATURE_DIM = "alignstream.reward.feature_dim";
    public static final String KEY_ENCODER = "alignstream.reward.encoder";

    public HeadMetadata {
        requireText(id, "id");
        requireText(version, "version");
        requireText(kind, "kind");
        requireText(encoder, "encoder");
        if (featureDim < 1) {
            throw new IllegalArgumentException("featureDim must be >= 1, got " + featureDim);
        }
    }

    /** As ONNX metadata properties. */
    public Map<String, String> toProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put(KEY_ID, id);
        props.put(KEY_VERSION, version);
        props.put(KEY_KIND, kind);
        props.put(KEY_FEATURE_DIM, Integer.toString(featureDim));
        props.put(KEY_ENCODER, encoder);
        return props;
    }

    /**
     * Reads the properties written by {@link #toProperties()}.
     *
     * @param source names the model in error messages
     */
    public static HeadMetadata fromProperties(Map<String, String> props, String source) {
        String dim = require(props, KEY_FEATURE_DIM, source);
        int featureDim;
        try {
            featureDim = Integer.parseInt(dim);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("reward head " + source + ": " + KEY_FEATURE_DIM + " is not an integer: '"
                    + dim + "'");
        }
        return new HeadMetadata(require(props, KEY_ID, source), require(props, KEY_VERSION, source),
                require(props, KEY_KIND, source), featureDim, require(props, KEY_ENCODER, source));
    }

    private static String require(Map<String, String> props, String key, String source) {
        String value = props.get(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("reward head " + source + " lacks metadata property '" + key
                    + "' (found keys " + new java.util.TreeSet<>(props.keySet()) + ")");
        }
        return value;
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("head metadata " + name + " must not be blank");
        }
    }
}
