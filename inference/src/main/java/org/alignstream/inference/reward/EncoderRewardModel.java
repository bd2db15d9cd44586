package org.alignstream.inference.reward;

import java.util.ArrayList;
import java.util.List;

/**
 * Reward = linear head over sentence-encoder features: the MiniLM-L6-v2 int8 encoder, or
 * e5-small-v2 int8 for the gold model ({@link MeanPoolingEncoder}: mean pooling over the attention
 * mask, L2 normalisation, 384 dimensions) followed by a {@link RewardHead} ONNX graph run in its
 * own session. Scoring N
 * responses makes one encoder call and one head call.
 *
 * <p>{@link #id()}, {@link #version()} and {@link #kind()} come from the head's metadata.
 */
public final class EncoderRewardModel implements RewardModel {

    private final MeanPoolingEncoder encoder;
    private final RewardHead head;
    private final ScoredText scoredText;
    private final boolean ownsEncoder;

    /** Takes ownership of both; fails if the head's feature size or encoder name does not match. */
    public EncoderRewardModel(MeanPoolingEncoder encoder, RewardHead head, ScoredText scoredText) {
        this(encoder, head, scoredText, true);
    }

    private EncoderRewardModel(MeanPoolingEncoder encoder, RewardHead head, ScoredText scoredText, boolean ownsEncoder) {
        HeadMetadata m = head.metadata();
        if (m.featureDim() != encoder.dimension() || !m.encoder().equals(encoder.name())) {
            String message = "reward head " + m.id() + " v" + m.version() + " expects " + m.featureDim()
                    + " features from encoder '" + m.encoder() + "' but the encoder is '" + encoder.name() + "' with "
                    + encoder.dimension() + " dimensions";
            head.close();
            if (ownsEncoder) {
                encoder.close();
            }
            throw new IllegalArgumentException(message);
        }
        this.encoder = encoder;
        this.head = head;
        this.scoredText = scoredText;
        this.ownsEncoder = ownsEncoder;
    }

    /**
     * The same encoder with another head (a new version of the reward): shares this model's encoder session without
     * owning it, so closing the new model closes only its head. Takes ownership of {@code newHead}; this model must
     * stay open while the new one is used.
     */
    public EncoderRewardModel withHead(RewardHead newHead) {
        return new EncoderRewardModel(encoder, newHead, scoredText, false);
    }

    /** Whether closing this model also closes the encoder (false for models made by {@link #withHead}). */
    public boolean ownsEncoder() {
        return ownsEncoder;
    }

    @Override
    public String id() {
        return head.metadata().id();
    }

    @Override
    public String version() {
        return head.metadata().version();
    }

    @Override
    public String kind() {
        return head.metadata().kind();
    }

    public ScoredText scoredText() {
        return scoredText;
    }

    public MeanPoolingEncoder encoder() {
        return encoder;
    }

    /** The head ({@link #score} is {@code head().score(encoder().encode(texts))}). */
    RewardHead head() {
        return head;
    }

    @Override
    public double[] score(String prompt, List<String> responses) {
        ScoredText.requireInputs(prompt, responses);
        if (responses.isEmpty()) {
            return new double[0];
        }
        return head.score(encoder.encode(texts(prompt, responses)));
    }

    /** One encoder pass when the model reads the response alone: the head scores the very embeddings returned. */
    @Override
    public RewardsAndEmbeddings scoreAndEmbed(String prompt, List<String> responses) {
        ScoredText.requireInputs(prompt, responses);
        if (scoredText != ScoredText.RESPONSE) {
            return RewardModel.super.scoreAndEmbed(prompt, responses);
        }
        if (responses.isEmpty()) {
            return new RewardsAndEmbeddings(new double[0], new float[0][]);
        }
        float[][] features = encoder.encode(responses);
        return new RewardsAndEmbeddings(head.score(features), features);
    }

    /** Encoder features (what the head sees) of raw texts; used by head training. */
    public float[][] features(List<String> texts) {
        return encoder.encode(texts);
    }

    @Override
    public float[][] embed(List<String> texts) {
        return encoder.encode(texts);
    }

    @Override
    public boolean hasEmbeddings() {
        return true;
    }

    private List<String> texts(String prompt, List<String> responses) {
        if (scoredText == ScoredText.RESPONSE) {
            return responses;
        }
        List<String> joined = new ArrayList<>(responses.size());
        for (String r : responses) {
            joined.add(prompt + " " + r);
        }
        return joined;
    }

    @Override
    public void close() {
        try {
            head.close();
        } finally {
            if (ownsEncoder) {
                encoder.close();
            }
        }
    }
}
