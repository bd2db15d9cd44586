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
 *
 * <p>Per-token credit: when the encoder outputs the last layer's attention (opened with
 * {@code exposeAttention}), {@link #score(String, List, Outputs)} also spreads each reward over the response's
 * tokens ({@link AttentionCredit}), from the same single encoder pass that gives the rewards; the rewards are
 * bit-identical to {@link #score(String, List)}'s. A model that reads {@code prompt + " " + response} gives credit to
 * the response's tokens only (the prompt's leading tokens are left out).
 */
public final class EncoderRewardModel implements EncoderHeadModel {

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
        if (m.featureDim() != encoder.dimension() || !m.encoder().equals(encoder.name())
                || m.kind().equals(TOKEN_LEVEL)) {
            String message = m.kind().equals(TOKEN_LEVEL)
                    ? "reward head " + m.id() + " v" + m.version() + " is " + TOKEN_LEVEL + ": it scores token states, "
                            + "not pooled features (use TokenLevelRewardModel)"
                    : "reward head " + m.id() + " v" + m.version() + " expects " + m.featureDim()
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

    @Override
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

    @Override
    public MeanPoolingEncoder encoder() {
        return encoder;
    }

    /** The head ({@link #score} is {@code head().score(encoder().encode(texts))}). */
    public RewardHead head() {
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
            return EncoderHeadModel.super.scoreAndEmbed(prompt, responses);
        }
        if (responses.isEmpty()) {
            return new RewardsAndEmbeddings(new double[0], new float[0][]);
        }
        float[][] features = encoder.encode(responses);
        return new RewardsAndEmbeddings(head.score(features), features);
    }

    /** Whether the encoder outputs its attention (in either {@link ScoredText} mode). */
    @Override
    public boolean hasTokenCredit() {
        return encoder.hasAttention();
    }

    /** How many of the texts' leading tokens are the prompt's: 0 when the model reads the response alone. */
    private int promptTokens(String prompt) {
        return scoredText == ScoredText.RESPONSE ? 0 : encoder.textTokenCount(prompt);
    }

    /**
     * With credit asked for and available, one attention-exposing encoder pass gives the rewards (the head on the
     * pooled features, exactly as {@link #score(String, List)}), the embeddings (those features when the model reads
     * the response alone, else a pass over the responses) and each reward spread over its response's tokens by
     * {@link AttentionCredit} with {@link Outputs#creditRow()}.
     */
    @Override
    public Scores score(String prompt, List<String> responses, Outputs outputs) {
        if (!outputs.credit() || !hasTokenCredit()) {
            return EncoderHeadModel.super.score(prompt, responses, outputs);
        }
        ScoredText.requireInputs(prompt, responses);
        if (responses.isEmpty()) {
            return new Scores(new double[0], outputs.embeddings() ? new float[0][] : null, List.of());
        }
        AttentionBatch batch = encoder.encodeWithAttention(texts(prompt, responses));
        float[][] features = batch.states().features();
        double[] rewards = head.score(features);
        int promptTokens = promptTokens(prompt);
        List<ResponseCredit> credits = new ArrayList<>(responses.size());
        for (int b = 0; b < responses.size(); b++) {
            credits.add(AttentionCredit.credit(batch, b, rewards[b], outputs.creditBeta(), outputs.creditRow(),
                    promptTokens));
        }
        float[][] embeddings = !outputs.embeddings() ? null
                : scoredText == ScoredText.RESPONSE ? features : encoder.encode(responses);
        return new Scores(rewards, embeddings, credits);
    }

    /**
     * All groups in one encoder call and one head call: the texts the model reads (each group's responses, or prompt
     * and response joined) and, for groups that want embeddings when the model reads prompt and response, the bare
     * responses too. With credit asked for by any group (and available), the attention-exposing pass runs for all;
     * its {@code last_hidden_state} is the one {@link MeanPoolingEncoder#encode} gives. Per group, the same
     * computation as {@link #score(String, List, Outputs)} on the rows of that group.
     */
    @Override
    public List<Scores> scoreGroups(List<Group> groups) {
        List<String> all = new ArrayList<>();
        int[] rewardStart = new int[groups.size()];
        int[] embedStart = new int[groups.size()];
        boolean attention = false;
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            ScoredText.requireInputs(group.prompt(), group.responses());
            rewardStart[g] = all.size();
            all.addAll(texts(group.prompt(), group.responses()));
            embedStart[g] = rewardStart[g];
            if (group.outputs().embeddings() && scoredText != ScoredText.RESPONSE) {
                embedStart[g] = all.size();
                all.addAll(group.responses());
            }
            attention |= group.outputs().credit() && hasTokenCredit();
        }
        AttentionBatch batch = null;
        float[][] features;
        if (all.isEmpty()) {
            features = new float[0][];
        } else if (attention) {
            batch = encoder.encodeWithAttention(all);
            features = batch.states().features();
        } else {
            features = encoder.encode(all);
        }
        double[] rewards = features.length == 0 ? new double[0] : head.score(features);
        List<Scores> out = new ArrayList<>(groups.size());
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            int n = group.responses().size();
            double[] r = java.util.Arrays.copyOfRange(rewards, rewardStart[g], rewardStart[g] + n);
            float[][] embeddings = group.outputs().embeddings()
                    ? java.util.Arrays.copyOfRange(features, embedStart[g], embedStart[g] + n) : null;
            List<ResponseCredit> credits = null;
            if (group.outputs().credit() && hasTokenCredit()) {
                credits = new ArrayList<>(n);
                int promptTokens = promptTokens(group.prompt());
                for (int b = 0; b < n; b++) {
                    credits.add(AttentionCredit.credit(batch, rewardStart[g] + b, r[b], group.outputs().creditBeta(),
                            group.outputs().creditRow(), promptTokens));
                }
            }
            out.add(new Scores(r, embeddings, credits));
        }
        return out;
    }

    @Override
    public boolean mergesGroups() {
        return true;
    }

    @Override
    public Boolean quantisesOverBatch() {
        return encoder.quantisesOverBatch();
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
