package org.alignstream.inference.reward;

import java.util.ArrayList;
import java.util.List;

/**
 * A token-level reward (Xu et al. 2024, "Aligning Large Language Models via Fine-grained
 * Supervision"): a linear head applied to the contextual state of every response token, the
 * encoder's {@code last_hidden_state} row h_t,
 * <pre>  r_t = w . h_t + b,        R(y) = sum over the response tokens t of r_t,</pre>
 * the response tokens being {@link TokenStates#responsePositions} (no {@code [CLS]}, {@code [SEP]}
 * or text prefix). The head is an ordinary {@link RewardHeadOnnx} graph whose metadata says kind
 * {@value RewardModel#TOKEN_LEVEL} and feature_dim = the encoder's hidden size; it is trained by
 * {@code org.alignstream.core.training.TokenLevelRewardHead}. Scoring N responses is one encoder
 * call and one head call over all their token rows.
 *
 * <p>Per-token credit is exact and free: the per-token rewards themselves, which sum to R (summed
 * in token order, the very sum R is); the dense-credit beta does not apply. Embeddings for
 * diversity-aware selection are the pooled features of the same encoder pass. The model reads the
 * response alone; the prompt is ignored.
 */
public final class TokenLevelRewardModel implements EncoderHeadModel {

    private final MeanPoolingEncoder encoder;
    private final RewardHead head;
    private final boolean ownsEncoder;

    /** Takes ownership of both; fails if the head is not token-level or does not fit the encoder. */
    public TokenLevelRewardModel(MeanPoolingEncoder encoder, RewardHead head) {
        this(encoder, head, true);
    }

    /** A model over an encoder someone else owns (and keeps open while this model is used); owns the head. */
    public static TokenLevelRewardModel sharing(MeanPoolingEncoder encoder, RewardHead head) {
        return new TokenLevelRewardModel(encoder, head, false);
    }

    private TokenLevelRewardModel(MeanPoolingEncoder encoder, RewardHead head, boolean ownsEncoder) {
        HeadMetadata m = head.metadata();
        String problem = !m.kind().equals(TOKEN_LEVEL)
                ? "is of kind '" + m.kind() + "', a token-level model needs kind '" + TOKEN_LEVEL + "'"
                : m.featureDim() != encoder.dimension() || !m.encoder().equals(encoder.name())
                ? "expects " + m.featureDim() + "-dimensional token states from encoder '" + m.encoder()
                        + "' but the encoder is '" + encoder.name() + "' with " + encoder.dimension() + " dimensions"
                : null;
        if (problem != null) {
            head.close();
            if (ownsEncoder) {
                encoder.close();
            }
            throw new IllegalArgumentException("reward head " + m.id() + " v" + m.version() + " " + problem);
        }
        this.encoder = encoder;
        this.head = head;
        this.ownsEncoder = ownsEncoder;
    }

    @Override
    public TokenLevelRewardModel withHead(RewardHead newHead) {
        return new TokenLevelRewardModel(encoder, newHead, false);
    }

    /** Whether closing this model also closes the encoder. */
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

    @Override
    public MeanPoolingEncoder encoder() {
        return encoder;
    }

    @Override
    public double[] score(String prompt, List<String> responses) {
        return score(prompt, responses, Outputs.REWARDS).rewards();
    }

    @Override
    public RewardsAndEmbeddings scoreAndEmbed(String prompt, List<String> responses) {
        Scores scores = score(prompt, responses, new Outputs(true, false, 0));
        return new RewardsAndEmbeddings(scores.rewards(), scores.embeddings());
    }

    /** One encoder pass, one head call: rewards, and the pooled features and per-token rewards if asked for. */
    @Override
    public Scores score(String prompt, List<String> responses, Outputs outputs) {
        ScoredText.requireInputs(prompt, responses);
        if (responses.isEmpty()) {
            return new Scores(new double[0], outputs.embeddings() ? new float[0][] : null,
                    outputs.credit() ? List.of() : null);
        }
        TokenStates states = encoder.encodeStates(responses);
        List<ResponseCredit> perToken = tokenRewards(states);
        double[] rewards = new double[perToken.size()];
        for (int b = 0; b < rewards.length; b++) {
            rewards[b] = perToken.get(b).sum();
        }
        return new Scores(rewards, outputs.embeddings() ? states.features() : null, outputs.credit() ? perToken : null);
    }

    /**
     * All groups' responses in one encoder call and all their token rows in one head call; per group, what
     * {@link #score(String, List, Outputs)} computes on that group's items.
     */
    @Override
    public List<Scores> scoreGroups(List<Group> groups) {
        List<String> all = new ArrayList<>();
        for (Group g : groups) {
            ScoredText.requireInputs(g.prompt(), g.responses());
            all.addAll(g.responses());
        }
        TokenStates states = all.isEmpty() ? null : encoder.encodeStates(all);
        List<ResponseCredit> perToken = states == null ? List.of() : tokenRewards(states);
        float[][] features = states == null ? new float[0][] : states.features();
        List<Scores> out = new ArrayList<>(groups.size());
        int offset = 0;
        for (Group g : groups) {
            int n = g.responses().size();
            List<ResponseCredit> mine = perToken.subList(offset, offset + n);
            double[] rewards = new double[n];
            for (int b = 0; b < n; b++) {
                rewards[b] = mine.get(b).sum();
            }
            out.add(new Scores(rewards,
                    g.outputs().embeddings() ? java.util.Arrays.copyOfRange(features, offset, offset + n) : null,
                    g.outputs().credit() ? List.copyOf(mine) : null));
            offset += n;
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

    /** Each text's per-token rewards r_t over its response tokens (their sum is its reward). */
    public List<ResponseCredit> tokenRewards(List<String> texts) {
        return texts.isEmpty() ? List.of() : tokenRewards(encoder.encodeStates(texts));
    }

    private List<ResponseCredit> tokenRewards(TokenStates states) {
        List<float[]> rows = new ArrayList<>();
        int[] counts = new int[states.size()];
        for (int b = 0; b < states.size(); b++) {
            float[][] item = states.responseStates(b);
            counts[b] = item.length;
            rows.addAll(List.of(item));
        }
        double[] r = rows.isEmpty() ? new double[0] : head.score(rows.toArray(float[][]::new));
        List<ResponseCredit> out = new ArrayList<>(states.size());
        int offset = 0;
        for (int b = 0; b < states.size(); b++) {
            double[] credits = new double[counts[b]];
            System.arraycopy(r, offset, credits, 0, counts[b]);
            offset += counts[b];
            out.add(new ResponseCredit(states.responseTokens(b), credits));
        }
        return out;
    }

    @Override
    public float[][] embed(List<String> texts) {
        return encoder.encode(texts);
    }

    @Override
    public boolean hasEmbeddings() {
        return true;
    }

    @Override
    public boolean hasTokenCredit() {
        return true;
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
