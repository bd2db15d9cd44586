package org.alignstream.evaluation.quality;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.evaluation.bench.Ratio;
import org.alignstream.generator.LmCandidateSampler;
import org.alignstream.generator.RequestLimits;
import org.alignstream.harness.BareDecodingLoop;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.scorer.RewardModelRegistry;
import picocli.CommandLine.Option;

/**
 * Speculative rejection's compute against Best-of-N's at equal mean proxy reward ({@code ops/bench.sh --sections
 * specrej}; docs/BENCHMARKS.md): the bundled evaluation prompts, each at one seed, through the bare decoding loop as
 * Best-of-N for every N of a grid and as speculative_rejection, all selecting with the same reward model (the proxy:
 * speculative_rejection's default partial-sequence model, which scores whole texts too). Candidate i of
 * speculative_rejection samples Best-of-N's stream i, so the two decode the same samples and differ only in which they
 * stop early. Best-of-N's mean proxy reward of the chosen texts against N is interpolated (linear in log2 N) to
 * speculative rejection's mean reward; its generated tokens and reward-model calls are interpolated (linear in N) at
 * that N; the ratios are speculative rejection's over those. Above Best-of-N's largest N the ratio is taken at that N
 * and marked as a bound (Best-of-N would need more); below N = 1, at N = 1.
 */
public final class SpeculativeRejectionCompute {

    /** Flags of the section (on {@code ops/bench.sh}). */
    public static final class Options {
        @Option(names = "--specrej-prompts", paramLabel = "P",
                description = "specrej: the first P evaluation prompts (default: 16, quick: 6)")
        Integer prompts;

        @Option(names = "--specrej-max-new-tokens", paramLabel = "T", description = "specrej: max_new_tokens (default: 112, the most lm-austen's 128 positions leave the "
                        + "bundled prompts)")
        int maxNewTokens = 112;

        @Option(names = "--specrej-bon-n", split = ",", paramLabel = "N",
                description = "specrej: Best-of-N's grid (default: 1,2,4,8,16,32,64,128)")
        int[] bonN = {1, 2, 4, 8, 16, 32, 64, 128};

        @Option(names = "--specrej-configs", split = ",", paramLabel = "N:M:ALPHA",
                description = "specrej: speculative_rejection's batch N, tokens M between checkpoints and rejection rate "
                        + "alpha, one or more; the ratios are the first's, the others are printed (default: "
                        + "128:12:0.6,128:8:0.5,128:16:0.5)")
        List<String> configs = List.of("128:12:0.6", "128:8:0.5", "128:16:0.5");

        @Option(names = "--specrej-seed", paramLabel = "S", description = "specrej: seed of prompt 0 (prompt i: S + i; default: 1)")
        long seed = 1;
    }

    /** One speculative_rejection setting. */
    record Config(int n, int blockSize, double rate) {
        static Config parse(String text) {
            String[] p = text.split(":");
            if (p.length != 3) {
                throw new IllegalArgumentException("--specrej-configs takes N:M:ALPHA, was '" + text + "'");
            }
            return new Config(Integer.parseInt(p[0].strip()), Integer.parseInt(p[1].strip()),
                    Double.parseDouble(p[2].strip()));
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "N=%d M=%d alpha=%s", n, blockSize, rate);
        }
    }

    /** Mean figures of one method over the prompts. */
    record Mean(double reward, double tokens, double rewardCalls) {
    }

    private final Options o;
    private final boolean quick;
    private final int threads;

    public SpeculativeRejectionCompute(Options options, boolean quick, int intraOpThreads) {
        this.o = options;
        this.quick = quick;
        this.threads = intraOpThreads;
    }

    public List<Ratio> run() throws IOException {
        List<String> prompts = Evaluation.selectPrompts(Evaluation.loadPrompts(null), false,
                o.prompts != null ? o.prompts : quick ? 6 : 16);
        int[] grid = Arrays.stream(o.bonN).sorted().distinct().toArray();
        List<Config> configs = o.configs.stream().map(Config::parse).toList();
        System.out.printf(Locale.ROOT, "%n== specrej: speculative_rejection %s vs Best-of-N %s at equal mean proxy "
                        + "reward; %d prompts, max_new_tokens=%d%n", configs, Arrays.toString(grid), prompts.size(),
                o.maxNewTokens);
        long start = System.nanoTime();
        try (LmCandidateSampler sampler = LmCandidateSampler.load(null, threads, true);
             RewardModelRegistry models = new RewardModelRegistry(
                     RewardModels.defaultSentimentPartial(OnnxDevice.CPU, threads))) {
            String proxy = models.resolve(null).id();
            RequestLimits d = RequestLimits.defaults();
            int maxN = Math.max(grid[grid.length - 1], configs.stream().mapToInt(Config::n).max().orElse(1));
            RequestLimits limits = new RequestLimits(maxN, d.bounds().maxNewTokens(),
                    d.bounds().maxPromptChars(), d.bounds().maxTopK());
            BareDecodingLoop loop = new BareDecodingLoop(limits, sampler, sampler, models);
            double[][] bon = new double[grid.length][3];
            double[][] spec = new double[configs.size()][3];
            List<List<Integer>> firstKept = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                long seed = o.seed + i;
                for (int g = 0; g < grid.length; g++) {
                    int n = grid[g];
                    add(bon[g], loop.run(request("bon" + n + "/" + i, prompts.get(i), seed, s -> {
                        s.setMethod("best_of_n");
                        s.setN(n);
                    })));
                }
                for (int c = 0; c < configs.size(); c++) {
                    Config config = configs.get(c);
                    AlignedResponse r = loop.run(request("specrej" + c + "/" + i, prompts.get(i), seed, s -> {
                        s.setMethod("speculative_rejection");
                        s.setN(config.n());
                        s.setBlockSize(config.blockSize());
                        s.setRejectionRate(config.rate());
                    }));
                    add(spec[c], r);
                    if (i == 0) {
                        firstKept.add(r.getKeptPerCheckpoint());
                    }
                }
                System.out.printf(Locale.ROOT, "  prompt %d/%d done, %.1f min%n", i + 1, prompts.size(),
                        (System.nanoTime() - start) / 6e10);
            }
            int p = prompts.size();
            Mean[] curve = new Mean[grid.length];
            for (int g = 0; g < grid.length; g++) {
                curve[g] = new Mean(bon[g][0] / p, bon[g][1] / p, bon[g][2] / p);
                System.out.printf(Locale.ROOT, "  best_of_n N=%-4d mean proxy reward %.4f, generated tokens %8.1f, "
                        + "reward calls %6.1f%n", grid[g], curve[g].reward(), curve[g].tokens(), curve[g].rewardCalls());
            }
            List<Ratio> ratios = new ArrayList<>();
            for (int c = 0; c < configs.size(); c++) {
                Mean s = new Mean(spec[c][0] / p, spec[c][1] / p, spec[c][2] / p);
                Equal eq = equalReward(grid, curve, s.reward());
                System.out.printf(Locale.ROOT, "  speculative_rejection %s: mean proxy reward %.4f, generated tokens "
                        + "%.1f, reward calls %.1f (kept per checkpoint, prompt 0: %s)%n", configs.get(c), s.reward(),
                        s.tokens(), s.rewardCalls(), firstKept.get(c));
                System.out.printf(Locale.ROOT, "    Best-of-N at equal mean proxy reward (%s): N = %.2f%s, generated "
                        + "tokens %.1f, reward calls %.1f; compute ratio %.3f, reward-call ratio %.3f%n", proxy, eq.n(),
                        eq.note(), eq.at().tokens(), eq.at().rewardCalls(), s.tokens() / eq.at().tokens(),
                        s.rewardCalls() / eq.at().rewardCalls());
                if (c == 0) {
                    ratios.add(new Ratio("specrej_compute_vs_bon", s.tokens() / eq.at().tokens()));
                    ratios.add(new Ratio("specrej_reward_calls_vs_bon", s.rewardCalls() / eq.at().rewardCalls()));
                }
            }
            System.out.printf(Locale.ROOT, "  specrej: %.1f min%n", (System.nanoTime() - start) / 6e10);
            return ratios;
        }
    }

    private PromptRequest request(String id, String prompt, long seed, java.util.function.Consumer<Strategy> method) {
        Strategy s = Strategy.newBuilder().setTemperature(1.0).setTopP(1.0).setMaxNewTokens(o.maxNewTokens).setSeed(seed)
                .build();
        method.accept(s);
        return PromptRequest.newBuilder().setId(id).setPrompt(prompt).setStrategy(s).setCreatedAtMs(0).build();
    }

    private static void add(double[] sums, AlignedResponse r) {
        sums[0] += r.getReward();
        sums[1] += r.getGeneratedTokens();
        sums[2] += r.getRewardCalls();
    }

    /** Best-of-N's N (possibly fractional) and figures where its mean reward equals {@code reward}; note: "" or why not. */
    record Equal(double n, Mean at, String note) {
    }

    /**
     * The first grid segment where Best-of-N's mean reward reaches {@code reward}, interpolated linearly in log2 N
     * (reward) and in N (tokens, reward calls); at the largest N (a bound) if it never does, at N = 1 if it starts above.
     */
    static Equal equalReward(int[] grid, Mean[] curve, double reward) {
        if (reward <= curve[0].reward()) {
            return new Equal(grid[0], curve[0], " (speculative rejection at or below Best-of-" + grid[0] + ")");
        }
        for (int g = 1; g < grid.length; g++) {
            if (curve[g].reward() >= reward) {
                double lo = Math.log(grid[g - 1]) / Math.log(2);
                double hi = Math.log(grid[g]) / Math.log(2);
                double f = (reward - curve[g - 1].reward()) / (curve[g].reward() - curve[g - 1].reward());
                double n = Math.pow(2, lo + f * (hi - lo));
                double w = (n - grid[g - 1]) / (grid[g] - grid[g - 1]);
                Mean a = curve[g - 1];
                Mean b = curve[g];
                return new Equal(n, new Mean(reward, a.tokens() + w * (b.tokens() - a.tokens()),
                        a.rewardCalls() + w * (b.rewardCalls() - a.rewardCalls())), "");
            }
        }
        int last = grid.length - 1;
        return new Equal(grid[last], curve[last], " (a bound: speculative rejection's reward is above Best-of-"
                + grid[last] + "'s, which would need more)");
    }
}
