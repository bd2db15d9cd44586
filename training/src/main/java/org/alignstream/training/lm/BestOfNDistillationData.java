package org.alignstream.training.lm;

import org.alignstream.inference.lm.CandidateGenerator;
import org.alignstream.inference.lm.CausalLm;
import org.alignstream.inference.lm.GeneratedSequence;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.alignstream.core.sampling.SamplingParams;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.inference.tokenizer.HfTokenizer;

/**
 * Best-of-N data for distilling the pipeline's own Best-of-N into a baseline model ρ_BL (Transfer Q*): for every
 * prompt, N ancestral samples of the language model (temperature 1, no top-k/top-p, BOS/end-of-text prepended as the
 * generator does), scored with the default sentiment reward in ONE {@link RewardModel#score} call; the best is kept.
 * With {@code --n 1} the same run measures the mean reward of plain samples (the model card's evaluation).
 *
 * <pre>
 * BestOfNDistillationData --prompts FILE --out FILE.jsonl [--model DIR (default: bundled lm-austen)] [--n 16]
 *                         [--max-new-tokens 32] [--seed 1] [--limit 0] [--threads 1]
 * </pre>
 *
 * One JSON object a line: {@code index, prompt, seed, prompt_ids, best_ids, best_text, best_reward, mean_reward,
 * rewards}. Prompt {@code i} (0-based line of non-comment prompts) is sampled with seed {@code seed + i}, so runs are
 * reproducible and the same prompt gets the same random streams under any model.
 */
public final class BestOfNDistillationData {

    static final String BUNDLED = "alignstream/models/lm-austen";

    private BestOfNDistillationData() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = parseArgs(args);
        Path promptsFile = Path.of(require(o, "prompts"));
        Path out = Path.of(require(o, "out"));
        String modelDir = o.get("model");
        int n = Integer.parseInt(o.getOrDefault("n", "16"));
        int maxNewTokens = Integer.parseInt(o.getOrDefault("max-new-tokens", "32"));
        long seed = Long.parseLong(o.getOrDefault("seed", "1"));
        int limit = Integer.parseInt(o.getOrDefault("limit", "0"));
        int threads = Integer.parseInt(o.getOrDefault("threads", "1"));

        List<String> prompts = new ArrayList<>();
        for (String line : Files.readAllLines(promptsFile, StandardCharsets.UTF_8)) {
            if (!line.isBlank() && !line.startsWith("#")) {
                prompts.add(line.strip());
            }
        }
        if (limit > 0 && prompts.size() > limit) {
            prompts = prompts.subList(0, limit);
        }
        SamplingParams params = new SamplingParams(1.0, 0, 1.0);
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        try (HfTokenizer tokenizer = modelDir == null ? HfTokenizer.fromClasspath(BUNDLED + "/tokenizer.json")
                     : HfTokenizer.fromFile(Path.of(modelDir, "tokenizer.json"));
             CausalLm lm = modelDir == null ? CausalLm.fromClasspath(BUNDLED, threads)
                     : CausalLm.load(Path.of(modelDir), threads);
             RewardModel reward = RewardModels.defaultSentiment(OnnxDevice.CPU, threads);
             BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            CandidateGenerator generator = new CandidateGenerator(lm);
            int bos = lm.config().bosTokenId().orElse(generator.eosTokenId());
            double sumBest = 0;
            double sumMean = 0;
            long sampleNanos = 0;
            long scoreNanos = 0;
            long start = System.nanoTime();
            for (int i = 0; i < prompts.size(); i++) {
                String prompt = prompts.get(i);
                int[] text = tokenizer.encode(prompt);
                int[] promptIds = new int[text.length + 1];
                promptIds[0] = bos;
                System.arraycopy(text, 0, promptIds, 1, text.length);
                long t0 = System.nanoTime();
                List<GeneratedSequence> samples = generator.sample(promptIds, n, params, maxNewTokens, seed + i);
                List<String> texts = new ArrayList<>(samples.size());
                for (GeneratedSequence s : samples) {
                    texts.add(tokenizer.decode(s.tokenIds(), true));
                }
                long t1 = System.nanoTime();
                double[] rewards = reward.score(prompt, texts);
                long t2 = System.nanoTime();
                sampleNanos += t1 - t0;
                scoreNanos += t2 - t1;
                int best = 0;
                double mean = 0;
                for (int j = 0; j < rewards.length; j++) {
                    mean += rewards[j] / rewards.length;
                    if (rewards[j] > rewards[best]) {
                        best = j;
                    }
                }
                sumBest += rewards[best];
                sumMean += mean;
                JsonObject row = new JsonObject();
                row.addProperty("index", i);
                row.addProperty("prompt", prompt);
                row.addProperty("seed", seed + i);
                row.add("prompt_ids", ints(promptIds));
                row.add("best_ids", ints(samples.get(best).tokenIds()));
                row.addProperty("best_text", texts.get(best));
                row.addProperty("best_reward", rewards[best]);
                row.addProperty("mean_reward", mean);
                JsonArray all = new JsonArray();
                for (double r : rewards) {
                    all.add(Math.round(r * 1e4) / 1e4);
                }
                row.add("rewards", all);
                w.write(gson.toJson(row));
                w.newLine();
                if ((i + 1) % 100 == 0 || i + 1 == prompts.size()) {
                    w.flush();
                    System.err.printf(Locale.ROOT, "%d/%d prompts, %.1f s: sampling %.0f ms/prompt, scoring %.0f ms/prompt,"
                                    + " mean best %.4f, mean of %d %.4f%n", i + 1, prompts.size(),
                            (System.nanoTime() - start) / 1e9, sampleNanos / 1e6 / (i + 1), scoreNanos / 1e6 / (i + 1),
                            sumBest / (i + 1), n, sumMean / (i + 1));
                }
            }
            System.out.printf(Locale.ROOT, "prompts=%d n=%d mean_best_reward=%.4f mean_reward=%.4f seconds=%.1f%n",
                    prompts.size(), n, sumBest / prompts.size(), sumMean / prompts.size(),
                    (System.nanoTime() - start) / 1e9);
        }
    }

    private static JsonArray ints(int[] ids) {
        JsonArray a = new JsonArray();
        for (int id : ids) {
            a.add(id);
        }
        return a;
    }

    private static Map<String, String> parseArgs(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got " + String.join(" ", args));
            }
            o.put(args[i].substring(2), args[++i]);
        }
        return o;
    }

    private static String require(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }
}
