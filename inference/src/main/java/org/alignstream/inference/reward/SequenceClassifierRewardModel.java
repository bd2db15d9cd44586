package org.alignstream.inference.reward;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.alignstream.inference.onnx.OnnxModelCheck;
import org.alignstream.inference.onnx.OnnxModelException;

/**
 * A complete Hugging Face sequence-classification reward model exported to ONNX (inputs
 * {@code input_ids}, {@code attention_mask}, optional {@code token_type_ids}; output
 * {@code logits [B, 1]}) with its {@code tokenizer.json}. The reward is the single logit.
 * With {@link ScoredText#PROMPT_AND_RESPONSE} the model reads (prompt, response) as a text pair.
 */
public final class SequenceClassifierRewardModel implements RewardModel {

    public static final String LOGITS = "logits";

    private final String id;
    private final String version;
    private final OrtSession session;
    private final BatchTokenizer tokenizer;
    private final ScoredText scoredText;
    private volatile Boolean quantisesOverBatch;

    /**
     * Takes ownership of {@code session} and {@code tokenizer}.
     *
     * @throws OnnxModelException if the inputs are not the expected ones or there is not exactly one logit
     */
    public SequenceClassifierRewardModel(String id, String version, OrtSession session, BatchTokenizer tokenizer,
            ScoredText scoredText) {
        this.id = id;
        this.version = version;
        this.session = session;
        this.tokenizer = tokenizer;
        this.scoredText = scoredText;
        try {
            String name = "reward model '" + id + "'";
            OnnxModelCheck.requireInputs(session, name, List.of(TokenBatch.INPUT_IDS, TokenBatch.ATTENTION_MASK),
                    List.of(TokenBatch.TOKEN_TYPE_IDS));
            OnnxModelCheck.requireOutputs(session, name, List.of(LOGITS));
            long[] shape = OnnxModelCheck.shape(session, name, LOGITS);
            if (shape.length != 2) {
                throw new OnnxModelException(name + ": '" + LOGITS + "' must have shape [batch, 1], got "
                        + java.util.Arrays.toString(shape));
            }
            if (shape[1] != 1 && shape[1] != -1) {
                throw new OnnxModelException(name + " has " + shape[1] + " logits; a reward model must have exactly one"
                        + " (export AutoModelForSequenceClassification with num_labels=1)");
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public String kind() {
        return FULL_SEQUENCE;
    }

    public ScoredText scoredText() {
        return scoredText;
    }

    @Override
    public double[] score(String prompt, List<String> responses) {
        ScoredText.requireInputs(prompt, responses);
        return logits(Collections.nCopies(responses.size(), prompt), responses);
    }

    /** All groups' (prompt, response) pairs in one padded batch, one ONNX call; no embeddings (see {@link #embed}). */
    @Override
    public List<Scores> scoreGroups(List<Group> groups) {
        List<String> prompts = new java.util.ArrayList<>();
        List<String> responses = new java.util.ArrayList<>();
        for (Group g : groups) {
            ScoredText.requireInputs(g.prompt(), g.responses());
            if (g.outputs().embeddings()) {
                embed(g.responses()); // throws: no sentence embedding
            }
            prompts.addAll(Collections.nCopies(g.responses().size(), g.prompt()));
            responses.addAll(g.responses());
        }
        double[] all = logits(prompts, responses);
        List<Scores> out = new java.util.ArrayList<>(groups.size());
        int offset = 0;
        for (Group g : groups) {
            int n = g.responses().size();
            out.add(new Scores(java.util.Arrays.copyOfRange(all, offset, offset + n), null, null));
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
        return quantisesOverBatch;
    }

    /** Set by the loader that read the graph ({@link BatchInvariance#quantisesOverBatch(byte[])}). */
    SequenceClassifierRewardModel graphQuantisesOverBatch(Boolean value) {
        this.quantisesOverBatch = value;
        return this;
    }

    private double[] logits(List<String> prompts, List<String> responses) {
        if (responses.isEmpty()) {
            return new double[0];
        }
        TokenBatch batch = scoredText == ScoredText.RESPONSE
                ? tokenizer.encode(responses)
                : tokenizer.encodePairs(prompts, responses);
        try (OrtSession.Result result = batch.run(session, Set.of(LOGITS))) {
            OnnxValue value = result.get(0);
            if (!(value instanceof OnnxTensor tensor)) {
                throw new OnnxModelException("reward model '" + id + "' returned a non-tensor " + LOGITS);
            }
            long[] shape = tensor.getInfo().getShape();
            if (shape.length != 2 || shape[0] != responses.size() || shape[1] != 1) {
                throw new OnnxModelException("reward model '" + id + "' returned " + LOGITS + " of shape "
                        + java.util.Arrays.toString(shape) + ", expected [" + responses.size() + ", 1]");
            }
            FloatBuffer logits = tensor.getFloatBuffer();
            double[] rewards = new double[responses.size()];
            for (int i = 0; i < rewards.length; i++) {
                rewards[i] = logits.get(i);
            }
            return rewards;
        } catch (OrtException e) {
            throw new OnnxModelException("ONNX Runtime failed running reward model '" + id + "' on "
                    + responses.size() + " responses: " + e.getMessage(), e);
        }
    }

    /** Not supported: a sequence classifier exposes no pooled sentence embedding. */
    @Override
    public float[][] embed(List<String> texts) {
        throw new UnsupportedOperationException("reward model '" + id + "' is a sequence classifier and has no"
                + " sentence embedding; use an encoder-based reward model for embeddings");
    }

    @Override
    public boolean hasEmbeddings() {
        return false;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new OnnxModelException("Cannot close reward model '" + id + "': " + e.getMessage(), e);
        } finally {
            tokenizer.close();
        }
    }
}
