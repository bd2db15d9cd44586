package org.alignstream.feedback;

import java.util.ArrayList;
import java.util.List;
import org.alignstream.inference.reward.AttentionBatch;
import org.alignstream.inference.reward.AttentionCredit;
import org.alignstream.inference.reward.MeanPoolingEncoder;
import org.alignstream.inference.reward.TokenStates;

/**
 * A {@link MeanPoolingEncoder} as the feedback service's backbone: pooled features (what sequence heads read) and, when
 * the encoder exposes its attention, the response tokens' ids, {@code last_hidden_state} rows and attention
 * ({@link AttentionCredit#DEFAULT_ROW}, the scorer's) from the same single pass. Does not own the encoder.
 */
public final class EncoderFeaturizer implements Featurizer {

    private final MeanPoolingEncoder encoder;

    public EncoderFeaturizer(MeanPoolingEncoder encoder) {
        this.encoder = encoder;
    }

    @Override
    public float[][] features(List<String> texts) {
        return encoder.encode(texts);
    }

    @Override
    public String backbone() {
        return encoder.name();
    }

    @Override
    public boolean tokenLevel() {
        return encoder.hasAttention();
    }

    @Override
    public Encoded encode(List<String> texts, int tokenTexts) {
        if (tokenTexts == 0 || !tokenLevel()) {
            return new Encoded(features(texts), List.of());
        }
        AttentionBatch batch = encoder.encodeWithAttention(texts);
        TokenStates states = batch.states();
        float[][] features = new float[texts.size()][];
        for (int b = 0; b < features.length; b++) {
            features[b] = batch.features(b);
        }
        List<Tokens> tokens = new ArrayList<>(tokenTexts);
        for (int b = 0; b < tokenTexts; b++) {
            long[] ids = states.responseIds(b);
            int[] intIds = new int[ids.length];
            for (int t = 0; t < ids.length; t++) {
                intIds[t] = Math.toIntExact(ids[t]);
            }
            double[] a = AttentionCredit.responseAttention(batch, b, AttentionCredit.DEFAULT_ROW);
            float[] attention = new float[a.length];
            for (int t = 0; t < a.length; t++) {
                attention[t] = (float) a[t];
            }
            tokens.add(new Tokens(intIds, states.responseStates(b), attention));
        }
        return new Encoded(features, tokens);
    }
}
