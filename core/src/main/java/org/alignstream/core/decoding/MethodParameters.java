package org.alignstream.core.decoding;

import java.util.Optional;

/**
 * The values of a request's {@code Strategy} that an {@link AlignmentMethod} reads to know its rounds and to validate
 * its parameters: plain values, so that the method's rules need no Avro class. The stages make it from their
 * {@code Strategy} (field for field, same names in snake case).
 *
 * @param n                   number of candidates N (whole-response methods), continuations K per block (blockwise)
 * @param topK                the k next tokens scored per round (args, pargs, tq_star); elsewhere a sampling filter
 * @param beta                regularisation strength, reward weight, beta or alpha, depending on the method
 * @param maxNewTokens        the most tokens the response may have
 * @param blockSize           blockwise: tokens per block M
 * @param rolloutLength       tq_star: tokens L the baseline model rolls out after each candidate token
 * @param greedy              stepwise methods: take the best-scoring choice (true) or sample
 * @param transfer            tq_star: the wire name of the {@link Transfer} (kept as sent, so that an unknown one can
 *                            be reported)
 * @param baselineRewardModel tq_star indirect: id of the reward model the baseline was aligned to; null when absent
 */
public record MethodParameters(int n, int topK, double beta, int maxNewTokens, int blockSize, int rolloutLength,
                               boolean greedy, String transfer, String baselineRewardModel) {

    /** The values of a request that leaves every field out: the defaults of {@code schemas/Strategy.avsc}. */
    public static final MethodParameters DEFAULTS = new MethodParameters(1, 0, 0.0, 32, 0, 0, true,
            Transfer.DIRECT.wireName(), null);

    /** The transfer, if {@link #transfer} names one. */
    public Optional<Transfer> knownTransfer() {
        return Transfer.of(transfer);
    }
}
