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
 * @param blockSize           blockwise: tokens per block M; speculative_rejection: tokens between checkpoints
 * @param rolloutLength       tq_star: tokens L the baseline model rolls out after each candidate token
 * @param greedy              stepwise methods: take the best-scoring choice (true) or sample (false); null: the
 *                            method's default ({@link AlignmentMethod#greedy})
 * @param transfer            tq_star: the wire name of the {@link Transfer} (kept as sent, so that an unknown one can
 *                            be reported)
 * @param baselineRewardModel tq_star indirect: id of the reward model the baseline was aligned to; null when absent
 * @param temperature         sampling temperature (0 = greedy); args sampled: the temperature of its choice; tq_star:
 *                            that of the rollouts
 * @param baselineBeta        tq_star indirect: the KL strength beta_BL of the importance ratio exp((r - r_BL) / beta_BL)
 * @param rollouts            tq_star: rollouts m per candidate token, averaged into Q
 * @param rewardModelKind     the reward model kind the request expects; null: the method's default
 *                            ({@link AlignmentMethod#expectedRewardModelKind})
 * @param rejectionRate       speculative_rejection: the fraction alpha of the ranked candidates stopped at each
 *                            checkpoint
 */
public record MethodParameters(int n, int topK, double beta, int maxNewTokens, int blockSize, int rolloutLength,
                               Boolean greedy, String transfer, String baselineRewardModel, double temperature,
                               double baselineBeta, int rollouts, String rewardModelKind,
                               double rejectionRate) {

    /**
     * The values of a request that leaves every field out: the defaults of {@code schemas/Strategy.avsc}, before the
     * method's own ({@link AlignmentMethod#withDefaults}, {@link AlignmentMethod#defaultBeta}).
     */
    public static final MethodParameters DEFAULTS = new MethodParameters(0, 0, 0.0, 32, 0, 0, null,
            Transfer.DIRECT.wireName(), null, 1.0, 2.0, 1, null, 0.5);

    /** The transfer, if {@link #transfer} names one. */
    public Optional<Transfer> knownTransfer() {
        return Transfer.of(transfer);
    }
}
