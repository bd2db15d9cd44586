package org.alignstream.inference.reward;

import java.util.List;

/**
 * A response's reward spread over its tokens: which tokens drove it. {@code tokens} are the reward
 * model's own tokens of the response as its tokenizer wrote them (e.g. {@code "hated"},
 * {@code "##ly"}), {@code credits} one value per token; the credits sum to the response's reward
 * (within rounding). A response with no tokens has no credit (both empty).
 */
public record ResponseCredit(List<String> tokens, double[] credits) {

    public ResponseCredit {
        tokens = List.copyOf(tokens);
        if (credits == null || credits.length != tokens.size()) {
            throw new IllegalArgumentException("credit needs one value per token: " + tokens.size() + " tokens, "
                    + (credits == null ? "no" : String.valueOf(credits.length)) + " credits");
        }
        credits = credits.clone();
    }

    @Override
    public double[] credits() {
        return credits.clone();
    }

    public int size() {
        return tokens.size();
    }

    /** The credits added up in token order. */
    public double sum() {
        double total = 0;
        for (double c : credits) {
            total += c;
        }
        return total;
    }
}
