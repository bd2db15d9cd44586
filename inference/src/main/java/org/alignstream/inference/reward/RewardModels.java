package org.alignstream.inference.reward;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.onnx.OnnxModelException;
import org.alignstream.inference.onnx.OrtSessions;

/** Builds the reward models alignstream ships or loads from disk. */
public final class RewardModels {

    /** Classpath location of the shipped sentiment head (from {@code models/reward-sentiment/head.onnx}). */
    public static final String SENTIMENT_HEAD_RESOURCE = "alignstream/models/reward-sentiment/head.onnx";
    /** Classpath location of the partial-sequence sentiment head ({@code models/reward-sentiment-partial/head.onnx}). */
    public static final String SENTIMENT_PARTIAL_HEAD_RESOURCE = "alignstream/models/reward-sentiment-partial/head.onnx";
    /** Classpath location of the token-level sentiment head ({@code models/reward-sentiment-token/head.onnx}). */
    public static final String SENTIMENT_TOKEN_HEAD_RESOURCE = "alignstream/models/reward-sentiment-token/head.onnx";
    /** Classpath location of the gold (evaluation-only) sentiment head ({@code models/reward-gold/head.onnx}). */
    public static final String GOLD_SENTIMENT_HEAD_RESOURCE = "alignstream/models/reward-gold/head.onnx";

    /**
     * The version of the bundled sentiment head ({@link #SENTIMENT_HEAD_RESOURCE}'s metadata): what the stages serve
     * before any retraining from feedback, which publishes this + 1 first.
     */
    public static String bundledSentimentVersion() {
        return RewardHeadOnnx.read(MeanPoolingEncoder.readResource(SENTIMENT_HEAD_RESOURCE),
                "classpath:" + SENTIMENT_HEAD_RESOURCE).metadata().version();
    }
    /** File names recognised by {@link #fromDirectory}. */
    public static final String CLASSIFIER_MODEL_FILE = "model.onnx";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final String HEAD_FILE = "head.onnx";

    private RewardModels() {
    }

    /**
     * The default reward: sentiment of the response (log-odds of "positive"), MiniLM-L6-v2 int8
     * features and the shipped linear head.
     */
    public static EncoderRewardModel defaultSentiment(OnnxDevice device, int threads) {
        return defaultSentiment(device, threads, false);
    }

    /**
     * {@link #defaultSentiment(OnnxDevice, int)}, its encoder rewritten to also output the last layer's attention
     * if {@code exposeAttention} (for per-token credit; rewards unchanged).
     */
    public static EncoderRewardModel defaultSentiment(OnnxDevice device, int threads, boolean exposeAttention) {
        return (EncoderRewardModel) withHead(new OrtSessions(device, threads),
                MeanPoolingEncoder.readResource(SENTIMENT_HEAD_RESOURCE), "classpath:" + SENTIMENT_HEAD_RESOURCE,
                ScoredText.RESPONSE, exposeAttention);
    }

    /**
     * The partial-sequence sentiment reward ({@code sentiment-partial}, kind
     * {@value RewardModel#PARTIAL_SEQUENCE}): a Bradley-Terry head over MiniLM-L6-v2 int8 features,
     * trained on equal-length prefixes of positive / negative sentence pairs so that unfinished
     * responses are scored consistently (for PARGS-style guided decoding). Reads the response.
     */
    public static EncoderRewardModel defaultSentimentPartial(OnnxDevice device, int threads) {
        return defaultSentimentPartial(device, threads, false);
    }

    /** {@link #defaultSentimentPartial(OnnxDevice, int)}, exposing the encoder's attention if asked (per-token credit). */
    public static EncoderRewardModel defaultSentimentPartial(OnnxDevice device, int threads, boolean exposeAttention) {
        return (EncoderRewardModel) withHead(new OrtSessions(device, threads),
                MeanPoolingEncoder.readResource(SENTIMENT_PARTIAL_HEAD_RESOURCE),
                "classpath:" + SENTIMENT_PARTIAL_HEAD_RESOURCE, ScoredText.RESPONSE, exposeAttention);
    }

    /**
     * The token-level sentiment reward ({@code sentiment-token}, kind {@value RewardModel#TOKEN_LEVEL}): a linear
     * head on every response token's MiniLM-L6-v2 int8 state, the reward being the sum over the tokens
     * ({@link TokenLevelRewardModel}; see {@code models/reward-sentiment-token/MODEL_CARD.md}).
     */
    public static TokenLevelRewardModel defaultSentimentToken(OnnxDevice device, int threads) {
        return (TokenLevelRewardModel) withHead(new OrtSessions(device, threads),
                MeanPoolingEncoder.readResource(SENTIMENT_TOKEN_HEAD_RESOURCE),
                "classpath:" + SENTIMENT_TOKEN_HEAD_RESOURCE, ScoredText.RESPONSE, false);
    }

    /**
     * The bundled token-level sentiment reward over an encoder someone else owns (e.g. the {@code sentiment}
     * model's, so both read the same states from one loaded encoder); the encoder must be MiniLM-L6-v2 int8.
     */
    public static TokenLevelRewardModel sentimentTokenSharing(MeanPoolingEncoder encoder, OnnxDevice device,
            int threads) {
        RewardHead head = RewardHead.load(new OrtSessions(device, threads),
                MeanPoolingEncoder.readResource(SENTIMENT_TOKEN_HEAD_RESOURCE), "classpath:" + SENTIMENT_TOKEN_HEAD_RESOURCE);
        return TokenLevelRewardModel.sharing(encoder, head);
    }

    /**
     * The gold sentiment reward ({@code gold-sentiment}), for EVALUATION only: a logistic head
     * over e5-small-v2 int8 features, a different encoder from the proxy {@link #defaultSentiment},
     * so that optimising the proxy can be checked against a related but independent judge. Reads
     * the response.
     */
    public static EncoderRewardModel goldSentiment(OnnxDevice device, int threads) {
        return (EncoderRewardModel) withHead(new OrtSessions(device, threads),
                MeanPoolingEncoder.readResource(GOLD_SENTIMENT_HEAD_RESOURCE), "classpath:" + GOLD_SENTIMENT_HEAD_RESOURCE,
                ScoredText.RESPONSE, false);
    }

    /**
     * A head file written by {@link RewardHeadOnnx} together with the shipped encoder its metadata
     * names ({@link MeanPoolingEncoder#forName}): a {@link TokenLevelRewardModel} if the head's kind is
     * {@value RewardModel#TOKEN_LEVEL}, else an {@link EncoderRewardModel}. {@code scoredText} is the default for a
     * head that does not declare what it reads ({@link ScoredText#declared}).
     */
    public static EncoderHeadModel withHead(OnnxDevice device, int threads, Path headFile, ScoredText scoredText) {
        return withHead(device, threads, headFile, scoredText, false);
    }

    /** {@link #withHead(OnnxDevice, int, Path, ScoredText)}, exposing the encoder's attention if asked. */
    public static EncoderHeadModel withHead(OnnxDevice device, int threads, Path headFile, ScoredText scoredText,
            boolean exposeAttention) {
        return withHead(new OrtSessions(device, threads), readFile(headFile), headFile.toString(), scoredText,
                exposeAttention);
    }

    private static EncoderHeadModel withHead(OrtSessions sessions, byte[] headBytes, String source,
            ScoredText fallback, boolean exposeAttention) {
        RewardHead head = RewardHead.load(sessions, headBytes, source);
        boolean tokenLevel = head.metadata().kind().equals(RewardModel.TOKEN_LEVEL);
        // a token-level head reads the response alone unless it declares otherwise (which is refused below)
        ScoredText scoredText = head.declaredScoredText().orElse(tokenLevel ? ScoredText.RESPONSE : fallback);
        if (tokenLevel && scoredText != ScoredText.RESPONSE) {
            head.close();
            throw new IllegalArgumentException("reward head " + source + " is " + RewardModel.TOKEN_LEVEL
                    + ": it reads the response alone, not " + scoredText);
        }
        MeanPoolingEncoder encoder;
        try {
            // a token-level model's credit is its own per-token reward: it never needs the attention
            encoder = MeanPoolingEncoder.forName(head.metadata().encoder(), sessions, exposeAttention && !tokenLevel);
        } catch (RuntimeException e) {
            head.close();
            throw e;
        }
        return tokenLevel ? new TokenLevelRewardModel(encoder, head) : new EncoderRewardModel(encoder, head, scoredText);
    }

    /** MiniLM-L6-v2 int8 features plus a custom head file written by {@link RewardHeadOnnx}. */
    public static EncoderRewardModel miniLmWithHead(OnnxDevice device, int threads, Path headFile, ScoredText scoredText) {
        return miniLmWithHead(new OrtSessions(device, threads), readFile(headFile), headFile.toString(), scoredText);
    }

    private static EncoderRewardModel miniLmWithHead(OrtSessions sessions, byte[] headBytes, String source,
            ScoredText scoredText) {
        RewardHead head = RewardHead.load(sessions, headBytes, source);
        MeanPoolingEncoder encoder;
        try {
            encoder = MeanPoolingEncoder.miniLm(sessions);
        } catch (RuntimeException e) {
            head.close();
            throw e;
        }
        return new EncoderRewardModel(encoder, head, head.declaredScoredText().orElse(scoredText));
    }

    /**
     * Loads a reward model directory:
     * <ul>
     *   <li>{@code model.onnx} + {@code tokenizer.json} + a {@code config.json} whose {@code architectures} names a
     *       decoder family's {@code *ForSequenceClassification} ({@link DecoderRewardConfig#isDecoderClassifier}, e.g.
     *       {@code GPT2ForSequenceClassification}, {@code LlamaForSequenceClassification}) with one label: a decoder
     *       reward model exported with past key values ({@link DecoderRewardModel}); id and version as below, kind the
     *       metadata property {@value HeadMetadata#KEY_KIND} ({@value RewardModel#PARTIAL_SEQUENCE} or the default
     *       {@value RewardModel#FULL_SEQUENCE}); with {@value DecoderRewardModel#SHARED_PAST_FILE} beside it (same
     *       weights, {@code ops/add-shared-past.sh}) a tokenwise round's k texts are scored over one shared prefix cache
     *       instead of k copies;</li>
     *   <li>{@code model.onnx} + {@code tokenizer.json} otherwise: a Hugging Face sequence-classification
     *       export ({@link SequenceClassifierRewardModel}); its id is the metadata property
     *       {@value HeadMetadata#KEY_ID} or else the directory name, its version the property
     *       {@value HeadMetadata#KEY_VERSION} or else the first 12 hex digits of the model's SHA-256;</li>
     *   <li>{@code head.onnx}: a head over the features of the shipped encoder its metadata names
     *       (MiniLM-L6-v2 int8 or e5-small-v2 int8; {@link EncoderRewardModel}, or
     *       {@link TokenLevelRewardModel} for a head of kind {@value RewardModel#TOKEN_LEVEL}).</li>
     * </ul>
     * What the model reads is what its ONNX metadata declares ({@value ScoredText#KEY}, {@link ScoredText#declared});
     * {@code scoredText} is the default for a model that declares nothing.
     */
    public static RewardModel fromDirectory(Path directory, OnnxDevice device, int threads, ScoredText scoredText) {
        return fromDirectory(directory, device, threads, scoredText, false);
    }

    /**
     * {@link #fromDirectory(Path, OnnxDevice, int, ScoredText)}; with {@code exposeAttention} a head's encoder also
     * outputs the last layer's attention (per-token credit). A sequence classifier never does.
     */
    public static RewardModel fromDirectory(Path directory, OnnxDevice device, int threads, ScoredText scoredText,
            boolean exposeAttention) {
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException("reward model directory not found: " + directory.toAbsolutePath());
        }
        Path model = directory.resolve(CLASSIFIER_MODEL_FILE);
        Path tokenizer = directory.resolve(TOKENIZER_FILE);
        Path head = directory.resolve(HEAD_FILE);
        if (Files.isRegularFile(model)) {
            if (!Files.isRegularFile(tokenizer)) {
                throw new IllegalArgumentException("reward model directory " + directory.toAbsolutePath() + " has "
                        + CLASSIFIER_MODEL_FILE + " but no " + TOKENIZER_FILE);
            }
            DecoderRewardConfig config = DecoderRewardConfig.inDirectory(directory);
            if (config != null && config.isDecoderClassifier()) {
                return decoderClassifier(directory, model, tokenizer, config, new OrtSessions(device, threads),
                        scoredText);
            }
            return sequenceClassifier(directory, model, tokenizer, new OrtSessions(device, threads), scoredText);
        }
        if (Files.isRegularFile(head)) {
            return withHead(device, threads, head, scoredText, exposeAttention);
        }
        throw new IllegalArgumentException("reward model directory " + directory.toAbsolutePath() + " holds neither "
                + CLASSIFIER_MODEL_FILE + " + " + TOKENIZER_FILE + " nor " + HEAD_FILE + " (found " + list(directory) + ")");
    }

    private static SequenceClassifierRewardModel sequenceClassifier(Path directory, Path model, Path tokenizerFile,
            OrtSessions sessions, ScoredText scoredText) {
        BatchTokenizer tokenizer = BatchTokenizer.fromFile(tokenizerFile, MeanPoolingEncoder.MINILM_MAX_TOKENS);
        OpenedGraph graph = openGraph(directory, model, sessions, scoredText, tokenizer::close);
        return new SequenceClassifierRewardModel(graph.id(), graph.version(), graph.session(), tokenizer,
                graph.scoredText())
                .graphQuantisesOverBatch(BatchInvariance.quantisesOverBatch(graph.bytes()));
    }

    private static DecoderRewardModel decoderClassifier(Path directory, Path model, Path tokenizerFile,
            DecoderRewardConfig config, OrtSessions sessions, ScoredText scoredText) {
        ai.djl.huggingface.tokenizers.HuggingFaceTokenizer tokenizer = DecoderRewardModel.loadTokenizer(tokenizerFile);
        OpenedGraph graph = openGraph(directory, model, sessions, scoredText, tokenizer::close);
        Path sharedPastFile = directory.resolve(DecoderRewardModel.SHARED_PAST_FILE);
        OrtSession sharedPast = null;
        if (Files.isRegularFile(sharedPastFile)) {
            try {
                sharedPast = sessions.open(sharedPastFile); // by path: no heap copy of the weights
            } catch (RuntimeException e) {
                try {
                    graph.session().close();
                } catch (OrtException suppressed) {
                    e.addSuppressed(suppressed);
                }
                tokenizer.close();
                throw e;
            }
        }
        // owns (and on failure closes) both sessions and the tokenizer
        return new DecoderRewardModel(graph.id(), graph.version(), graph.kind(), graph.session(), sharedPast, tokenizer,
                config, graph.scoredText());
    }

    /**
     * A model file opened as a session, with its id, version and what it scores (prompt + response or response) from
     * the graph's metadata, or the defaults.
     */
    private record OpenedGraph(byte[] bytes, OrtSession session, String id, String version, String kind,
                               ScoredText scoredText) {
    }

    /**
     * Opens {@code model} and reads its id (metadata, else the directory's name), version (metadata, else a sha-256
     * prefix of the file) and scored text ({@link ScoredText#declared}, else {@code scoredText}); on failure closes
     * the session and runs {@code onFailure} (the tokenizer's close).
     */
    private static OpenedGraph openGraph(Path directory, Path model, OrtSessions sessions, ScoredText scoredText,
            Runnable onFailure) {
        byte[] bytes = readFile(model);
        OrtSession session;
        Map<String, String> metadata;
        try {
            session = sessions.open(bytes, model.toString());
        } catch (RuntimeException e) {
            onFailure.run();
            throw e;
        }
        try {
            metadata = session.getMetadata().getCustomMetadata();
        } catch (OrtException e) {
            try {
                session.close();
            } catch (OrtException suppressed) {
                e.addSuppressed(suppressed);
            }
            onFailure.run();
            throw new OnnxModelException("Cannot read metadata of " + model + ": " + e.getMessage(), e);
        }
        ScoredText declared;
        try {
            declared = ScoredText.declared(metadata, model.toString()).orElse(scoredText);
        } catch (IllegalArgumentException e) {
            try {
                session.close();
            } catch (OrtException suppressed) {
                e.addSuppressed(suppressed);
            }
            onFailure.run();
            throw e;
        }
        String id = metadata.getOrDefault(HeadMetadata.KEY_ID, directory.toAbsolutePath().normalize().getFileName().toString());
        String version = metadata.getOrDefault(HeadMetadata.KEY_VERSION, sha256Prefix(bytes));
        String kind = metadata.getOrDefault(HeadMetadata.KEY_KIND, RewardModel.FULL_SEQUENCE);
        return new OpenedGraph(bytes, session, id, version, kind, declared);
    }

    public static String sha256Prefix(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private static byte[] readFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model file not found: " + file.toAbsolutePath());
        }
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file.toAbsolutePath(), e);
        }
    }

    private static List<String> list(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + directory.toAbsolutePath(), e);
        }
    }
}
