package org.alignstream.generator;

import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.Strategy;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.core.sampling.SamplingParams;
import org.alignstream.inference.lm.CandidateGenerator;
import org.alignstream.inference.lm.CausalLm;
import org.alignstream.inference.lm.GeneratedSequence;
import org.alignstream.inference.tokenizer.HfTokenizer;

/**
 * The generator's language model: tokenizer + ONNX causal LM with KV cache. One prompt's N candidates
 * are sampled in one batch (prompt prefilled once, then batched decoding), reproducibly from the
 * request's seed.
 */
public final class LmCandidateSampler implements CandidateSampler, AutoCloseable {
    /** Classpath location of the bundled default model (see models/lm-austen/MODEL_CARD.md). */
    public static final String DEFAULT_MODEL_RESOURCE = "alignstream/models/lm-austen";

    private final HfTokenizer tokenizer;
    private final CausalLm lm;
    private final CandidateGenerator generator;
    private final ModelRef model;
    private final boolean prependBos;

    LmCandidateSampler(HfTokenizer tokenizer, CausalLm lm, ModelRef model, boolean prependBos) {
        this.tokenizer = tokenizer;
        this.lm = lm;
        this.generator = new CandidateGenerator(lm);
        this.model = model;
        this.prependBos = prependBos;
    }

    /**
     * Loads a model directory holding {@code model.onnx}, {@code tokenizer.json} and optionally
     * {@code config.json} (a Hugging Face / Optimum decoder export with past key values), or the
     * bundled default model when {@code modelDir} is null.
     *
     * @param prependBos start every prompt with the end-of-text token, as the model saw documents begin in training
     */
    public static LmCandidateSampler load(Path modelDir, int intraOpThreads, boolean prependBos) {
        try {
            if (modelDir == null) {
                String version;
                try (InputStream in = LmCandidateSampler.class.getClassLoader()
                        .getResourceAsStream(DEFAULT_MODEL_RESOURCE + "/model.onnx")) {
                    if (in == null) {
                        throw new IOException("the bundled model is missing from the classpath");
                    }
                    version = sha256Prefix(in.readAllBytes());
                }
                HfTokenizer tok = HfTokenizer.fromClasspath(DEFAULT_MODEL_RESOURCE + "/tokenizer.json");
                try {
                    CausalLm lm = CausalLm.fromClasspath(DEFAULT_MODEL_RESOURCE, intraOpThreads);
                    return new LmCandidateSampler(tok, lm, new ModelRef("lm-austen", version), prependBos);
                } catch (IOException | OrtException | RuntimeException e) {
                    tok.close();
                    throw e;
                }
            }
            Path dir = Files.isDirectory(modelDir) ? modelDir : modelDir.getParent();
            String version = sha256Prefix(Files.readAllBytes(dir.resolve("model.onnx")));
            HfTokenizer tok = HfTokenizer.fromFile(dir.resolve("tokenizer.json"));
            try {
                CausalLm lm = CausalLm.load(modelDir, intraOpThreads);
                return new LmCandidateSampler(tok, lm, new ModelRef(dir.getFileName().toString(), version), prependBos);
            } catch (IOException | OrtException | RuntimeException e) {
                tok.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load language model from "
                    + (modelDir == null ? "classpath:" + DEFAULT_MODEL_RESOURCE : modelDir), e);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot load the language model: " + e.getMessage(), e);
        }
    }

    @Override
    public ModelRef model() {
        return model;
    }

    /**
     * The prompt as token ids, as the model sees it: with {@code prependBos}, the model's
     * {@code bos_token_id} (config.json) first, else its end-of-text token (GPT-2 convention).
     */
    public int[] promptIds(String prompt) {
        int[] ids = tokenizer.encode(prompt);
        int bos = lm.config().bosTokenId().orElse(generator.eosTokenId());
        if (!prependBos || bos < 0) {
            return ids;
        }
        int[] withBos = new int[ids.length + 1];
        withBos[0] = bos;
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    @Override
    public Sampled sample(String prompt, Strategy strategy) {
        int[] promptIds = promptIds(prompt);
        SamplingParams params = new SamplingParams(strategy.getTemperature(), strategy.getTopK(), strategy.getTopP());
        List<GeneratedSequence> sequences;
        try {
            sequences = generator.sample(promptIds, strategy.getN(), params, strategy.getMaxNewTokens(), strategy.getSeed());
        } catch (IllegalArgumentException e) {
            // the request does not fit the model (e.g. prompt + max_new_tokens beyond its context): the user's to fix
            throw new InvalidRecordException(e.getMessage());
        } catch (OrtException e) {
            throw new IllegalStateException("language model inference failed: " + e.getMessage(), e);
        }
        List<Candidate> candidates = new ArrayList<>(sequences.size());
        for (int i = 0; i < sequences.size(); i++) {
            GeneratedSequence s = sequences.get(i);
            List<Integer> ids = new ArrayList<>(s.tokenIds().length);
            List<Float> logprobs = new ArrayList<>(s.logprobs().length);
            for (int t = 0; t < s.tokenIds().length; t++) {
                ids.add(s.tokenIds()[t]);
                logprobs.add(s.logprobs()[t]);
            }
            candidates.add(Candidate.newBuilder()
                    .setIndex(i)
                    .setText(tokenizer.decode(s.tokenIds(), true))
                    .setTokenIds(ids)
                    .setLogprobs(logprobs)
                    .setFinishReason(s.finishReason())
                    .build());
        }
        List<Integer> promptList = new ArrayList<>(promptIds.length);
        for (int id : promptIds) {
            promptList.add(id);
        }
        return new Sampled(promptList, candidates);
    }

    /** Tokens generated per second is the generator's throughput figure; exposed for benchmarks. */
    public CandidateGenerator generator() {
        return generator;
    }

    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    private static String sha256Prefix(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            lm.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the language model session", e);
        } finally {
            tokenizer.close();
        }
    }
}
