package org.alignstream.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.validation.RecordChecks;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.decoding.MethodParameter;
import org.apache.avro.Schema;

/**
 * Maps the body of {@code POST /v1/completions} or {@code POST /v1/chat/completions} to the {@link PromptRequest}s to
 * publish, or to every problem of the body at once (a 400): what is wrong with the JSON itself, then every rule of
 * {@link RecordChecks#requestProblems} (the generator's own rules and limits), so the gateway refuses what the
 * generator would dead-letter.
 *
 * <p>The mapping: {@code prompt} (a string, or an array of one string) or {@code messages} (rendered by
 * {@link ChatPrompts}) is the prompt; {@code temperature}, {@code top_p}, {@code seed} are the Strategy's fields of the
 * same name, {@code max_tokens} (chat also {@code max_completion_tokens}) is {@code max_new_tokens}; {@code alignment}
 * is {@code {"method": ..., <Strategy field>: value, ...}} with the Strategy's snake-case names (method parameters,
 * {@code top_k}, {@code reward_model}, {@code reward_model_version}); {@code best_of} is N: with no alignment method
 * it asks for Best-of-N (N = best_of), with a method that takes N it sets N (unless {@code alignment.n} says the
 * same). What is not given takes the schema's default. {@code n} choices are {@code n} requests with the seeds
 * {@code seed}, {@code seed + 1}, ... (every method can answer them; each choice is its own run of the method).
 * {@code model}, {@code user} and OpenAI's neutral values of parameters the gateway does not implement
 * ({@code stream: false}, {@code echo: false}, {@code logprobs: null}, penalties 0, ...) are accepted and ignored;
 * other values of those, and unknown parameters, are problems.
 */
public final class CompletionRequests {

    /** Which endpoint a body was sent to. */
    public enum Endpoint {
        COMPLETIONS("completions", "text_completion", "cmpl-"),
        CHAT_COMPLETIONS("chat_completions", "chat.completion", "chatcmpl-");

        final String metricName;
        final String object;
        final String idPrefix;

        Endpoint(String metricName, String object, String idPrefix) {
            this.metricName = metricName;
            this.object = object;
            this.idPrefix = idPrefix;
        }
    }

    /**
     * What to publish for one HTTP request.
     *
     * @param endpoint where it came
     * @param id the response id ({@code cmpl-...} or {@code chatcmpl-...})
     * @param prompt the prompt text (a chat's rendered messages)
     * @param requests one prompt request per choice, in choice order
     */
    public record Submission(Endpoint endpoint, String id, String prompt, List<PromptRequest> requests) {
    }

    /** The result: a submission, or the 400 with every problem. */
    public record Result(Submission submission, ApiError error) {
    }

    /** Top-level parameters read by this class. */
    static final Set<String> COMMON = Set.of("model", "n", "best_of", "temperature", "top_p", "max_tokens", "seed",
            "alignment", "user");
    /** Parameters of OpenAI's API not implemented here, with the value that means "off" (accepted and ignored). */
    static final Map<String, Object> NEUTRAL = Map.ofEntries(Map.entry("stream", false), Map.entry("echo", false),
            Map.entry("logprobs", false), Map.entry("top_logprobs", 0), Map.entry("presence_penalty", 0),
            Map.entry("frequency_penalty", 0), Map.entry("stop", ""), Map.entry("suffix", ""),
            Map.entry("logit_bias", ""), Map.entry("stream_options", ""), Map.entry("parallel_tool_calls", ""),
            Map.entry("tools", ""), Map.entry("tool_choice", ""), Map.entry("response_format", ""));
    /** Strategy fields set from top-level parameters, not inside {@code alignment}, and the parameter that sets each. */
    static final Map<String, String> TOP_LEVEL_FIELDS = Map.of("temperature", "temperature", "top_p", "top_p",
            "max_new_tokens", "max_tokens", "seed", "seed");
    /** Strategy fields any method reads (the rest are method parameters, {@link AlignmentMethod#parameters()}). */
    static final Set<String> GENERAL_FIELDS = Set.of("top_k", "reward_model", "reward_model_version");
    static final Set<String> CHAT_ROLES = Set.of("system", "user", "assistant", "developer", "tool");

    private final RecordChecks.Bounds bounds;
    private final int maxChoices;
    private final ChatPrompts chat;

    /**
     * @param bounds the generator's limits
     * @param maxChoices the largest {@code n}
     * @param chat how chat messages become a prompt
     */
    public CompletionRequests(RecordChecks.Bounds bounds, int maxChoices, ChatPrompts chat) {
        this.bounds = bounds;
        this.maxChoices = maxChoices;
        this.chat = chat;
    }

    /** The submission for {@code body}, with request ids {@code <id>-<choice>}, or every problem of the body. */
    public Result map(Endpoint endpoint, JsonNode body, String id, long createdAtMs) {
        List<ApiError.Problem> problems = new ArrayList<>();
        if (body == null || !body.isObject()) {
            return error(List.of(new ApiError.Problem(null, "the body must be a JSON object")));
        }
        Set<String> own = new LinkedHashSet<>(COMMON);
        own.add(endpoint == Endpoint.COMPLETIONS ? "prompt" : "messages");
        if (endpoint == Endpoint.CHAT_COMPLETIONS) {
            own.add("max_completion_tokens");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            JsonNode v = body.get(name);
            if (own.contains(name)) {
                continue;
            }
            if (NEUTRAL.containsKey(name)) {
                if (!neutral(v, NEUTRAL.get(name))) {
                    problems.add(new ApiError.Problem(name, "is not supported by this gateway (only "
                            + (NEUTRAL.get(name) instanceof String ? "null" : NEUTRAL.get(name) + " or null")
                            + " is accepted)"));
                }
            } else {
                problems.add(new ApiError.Problem(name, "is not a parameter of " + endpoint.metricName.replace('_', '/')));
            }
        }

        String prompt = endpoint == Endpoint.COMPLETIONS ? prompt(body.get("prompt"), problems)
                : chatPrompt(body.get("messages"), problems);
        Strategy.Builder strategy = Strategy.newBuilder();
        Long n = integer(body, "n", 1, Integer.MAX_VALUE, problems);
        if (n != null && n > maxChoices) {
            problems.add(new ApiError.Problem("n", "must be at most " + maxChoices + " (--max-choices), was " + n));
        }
        Long bestOf = integer(body, "best_of", 1, Integer.MAX_VALUE, problems);
        Double temperature = number(body, "temperature", problems);
        if (temperature != null) {
            strategy.setTemperature(temperature);
        }
        Double topP = number(body, "top_p", problems);
        if (topP != null) {
            strategy.setTopP(topP);
        }
        Long maxTokens = integer(body, "max_tokens", Integer.MIN_VALUE, Integer.MAX_VALUE, problems);
        if (endpoint == Endpoint.CHAT_COMPLETIONS) {
            Long maxCompletion = integer(body, "max_completion_tokens", Integer.MIN_VALUE, Integer.MAX_VALUE, problems);
            if (maxCompletion != null && maxTokens != null && !maxCompletion.equals(maxTokens)) {
                problems.add(new ApiError.Problem("max_completion_tokens", "differs from max_tokens (" + maxTokens
                        + "); give one of them"));
            }
            maxTokens = maxTokens != null ? maxTokens : maxCompletion;
        }
        if (maxTokens != null) {
            strategy.setMaxNewTokens(maxTokens.intValue());
        }
        Long seed = integer(body, "seed", Long.MIN_VALUE, Long.MAX_VALUE, problems);
        if (body.has("model") && !body.get("model").isNull() && !body.get("model").isTextual()) {
            problems.add(new ApiError.Problem("model", "must be a string"));
        }

        Strategy s = strategy.build();
        Set<String> alignmentFields = alignment(body.get("alignment"), s, problems);
        String methodName = s.getMethod();
        AlignmentMethod method = AlignmentMethod.of(methodName).orElse(null);
        if (bestOf != null) {
            if (method != null && !method.parameters().contains(MethodParameter.N)) {
                problems.add(new ApiError.Problem("best_of", "sets N, which " + methodName + " does not take (its"
                        + " parameters: " + wireNames(method) + ")"));
            } else if (alignmentFields.contains("n") && s.getN() != bestOf) {
                problems.add(new ApiError.Problem("best_of", "is " + bestOf + " but alignment.n is " + s.getN()
                        + "; give one of them"));
            } else if (bestOf <= Integer.MAX_VALUE) {
                s.setN(bestOf.intValue());
            }
        }
        long baseSeed = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        s.setSeed(baseSeed);

        PromptRequest first = PromptRequest.newBuilder().setId(id + "-0").setPrompt(prompt == null ? "" : prompt)
                .setStrategy(s).setCreatedAtMs(createdAtMs).build();
        if (prompt != null) {
            for (String message : RecordChecks.requestProblems(first, bounds)) {
                problems.add(new ApiError.Problem(paramOf(message, bestOf != null), message));
            }
        }
        if (!problems.isEmpty()) {
            return error(problems);
        }
        int choices = n == null ? 1 : n.intValue();
        List<PromptRequest> requests = new ArrayList<>();
        for (int i = 0; i < choices; i++) {
            Strategy si = Strategy.newBuilder(s).setSeed(baseSeed + i).build();
            requests.add(PromptRequest.newBuilder().setId(id + "-" + i).setPrompt(prompt).setStrategy(si)
                    .setCreatedAtMs(createdAtMs).build());
        }
        return new Result(new Submission(endpoint, id, prompt, requests), null);
    }

    private static Result error(List<ApiError.Problem> problems) {
        return new Result(null, ApiError.badRequest(problems));
    }

    private static boolean neutral(JsonNode v, Object off) {
        if (v == null || v.isNull()) {
            return true;
        }
        if (off instanceof Boolean b) {
            return v.isBoolean() && v.asBoolean() == b;
        }
        if (off instanceof Integer i) {
            return v.isNumber() && v.asDouble() == i;
        }
        return (v.isArray() || v.isObject()) && v.isEmpty();
    }

    private static String prompt(JsonNode v, List<ApiError.Problem> problems) {
        if (v == null || v.isNull()) {
            problems.add(new ApiError.Problem("prompt", "is required"));
            return null;
        }
        if (v.isArray()) {
            if (v.size() != 1 || !v.get(0).isTextual()) {
                problems.add(new ApiError.Problem("prompt", "must be a string or an array of one string (one prompt"
                        + " per request), was an array of " + v.size()));
                return null;
            }
            return v.get(0).asText();
        }
        if (!v.isTextual()) {
            problems.add(new ApiError.Problem("prompt", "must be a string"));
            return null;
        }
        return v.asText();
    }

    private String chatPrompt(JsonNode v, List<ApiError.Problem> problems) {
        if (v == null || v.isNull()) {
            problems.add(new ApiError.Problem("messages", "is required"));
            return null;
        }
        if (!v.isArray() || v.isEmpty()) {
            problems.add(new ApiError.Problem("messages", "must be a non-empty array of {\"role\", \"content\"}"));
            return null;
        }
        List<ChatPrompts.Message> messages = new ArrayList<>();
        int before = problems.size();
        for (int i = 0; i < v.size(); i++) {
            JsonNode m = v.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                problems.add(new ApiError.Problem(where, "must be an object {\"role\", \"content\"}"));
                continue;
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !CHAT_ROLES.contains(role.asText())) {
                problems.add(new ApiError.Problem(where + ".role", "must be one of " + CHAT_ROLES.stream().sorted().toList()
                        + ", was " + (role == null ? "missing" : role)));
                continue;
            }
            String content = content(m.get("content"), where + ".content", problems);
            if (content != null) {
                messages.add(new ChatPrompts.Message(role.asText(), content));
            }
        }
        if (problems.size() > before) {
            return null;
        }
        try {
            return chat.render(messages);
        } catch (ChatTemplate.TemplateException e) {
            problems.add(new ApiError.Problem("messages", "the model's chat template refuses them: " + e.getMessage()));
            return null;
        }
    }

    /** A message's content: a string, or an array of {"type": "text", "text": ...} parts (joined). */
    private static String content(JsonNode c, String where, List<ApiError.Problem> problems) {
        if (c != null && c.isTextual()) {
            return c.asText();
        }
        if (c != null && c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    problems.add(new ApiError.Problem(where, "only text parts ({\"type\": \"text\", \"text\": ...}) are"
                            + " supported"));
                    return null;
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        problems.add(new ApiError.Problem(where, "must be a string or an array of text parts"));
        return null;
    }

    /**
     * Reads {@code alignment} into {@code s}: its method and every Strategy field it names, type-checked against the
     * Avro schema. Returns the fields it set.
     */
    private static Set<String> alignment(JsonNode a, Strategy s, List<ApiError.Problem> problems) {
        Set<String> set = new LinkedHashSet<>();
        if (a == null || a.isNull()) {
            return set;
        }
        if (!a.isObject()) {
            problems.add(new ApiError.Problem("alignment", "must be an object {\"method\": ..., parameters}"));
            return set;
        }
        JsonNode m = a.get("method");
        AlignmentMethod method = null;
        if (m == null || !m.isTextual()) {
            problems.add(new ApiError.Problem("alignment.method", "is required, one of " + AlignmentMethod.wireNames()));
        } else {
            s.setMethod(m.asText());
            method = AlignmentMethod.of(m.asText()).orElse(null); // an unknown name is reported by RecordChecks
        }
        for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (name.equals("method")) {
                continue;
            }
            String param = "alignment." + name;
            Schema.Field field = Strategy.getClassSchema().getField(name);
            if (field == null) {
                problems.add(new ApiError.Problem(param, "is not a Strategy field (fields: " + Strategy.getClassSchema()
                        .getFields().stream().map(Schema.Field::name).toList() + ")"));
                continue;
            }
            if (TOP_LEVEL_FIELDS.containsKey(name)) {
                problems.add(new ApiError.Problem(param, "is set by the top-level parameter "
                        + TOP_LEVEL_FIELDS.get(name)));
                continue;
            }
            if (method != null && !GENERAL_FIELDS.contains(name)
                    && method.parameters().stream().noneMatch(p -> p.wireName().equals(name))) {
                problems.add(new ApiError.Problem(param, "is not a parameter of " + method.wireName() + " (its"
                        + " parameters: " + wireNames(method) + "; any method: " + GENERAL_FIELDS.stream().sorted()
                        .toList() + ")"));
                continue;
            }
            Object value = value(field.schema(), a.get(name), param, problems);
            if (value != NO_VALUE) {
                s.put(name, value);
                set.add(name);
            }
        }
        return set;
    }

    private static final Object NO_VALUE = new Object();

    /** A JSON value as the Avro type of a Strategy field, or NO_VALUE after adding a problem. */
    private static Object value(Schema schema, JsonNode v, String param, List<ApiError.Problem> problems) {
        if (schema.getType() == Schema.Type.UNION) {
            if (v.isNull() && schema.getTypes().stream().anyMatch(t -> t.getType() == Schema.Type.NULL)) {
                return null;
            }
            Schema inner = schema.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).findFirst()
                    .orElseThrow();
            return value(inner, v, param, problems);
        }
        switch (schema.getType()) {
            case INT:
                if (v.isIntegralNumber() && v.canConvertToInt()) {
                    return v.intValue();
                }
                problems.add(new ApiError.Problem(param, "must be an integer, was " + v));
                return NO_VALUE;
            case LONG:
                if (v.isIntegralNumber() && v.canConvertToLong()) {
                    return v.longValue();
                }
                problems.add(new ApiError.Problem(param, "must be an integer, was " + v));
                return NO_VALUE;
            case DOUBLE:
                if (v.isNumber()) {
                    return v.doubleValue();
                }
                problems.add(new ApiError.Problem(param, "must be a number, was " + v));
                return NO_VALUE;
            case BOOLEAN:
                if (v.isBoolean()) {
                    return v.booleanValue();
                }
                problems.add(new ApiError.Problem(param, "must be true or false, was " + v));
                return NO_VALUE;
            case STRING:
                if (v.isTextual()) {
                    return v.asText();
                }
                problems.add(new ApiError.Problem(param, "must be a string, was " + v));
                return NO_VALUE;
            default:
                problems.add(new ApiError.Problem(param, "cannot be set here"));
                return NO_VALUE;
        }
    }

    private static Long integer(JsonNode body, String name, long min, long max, List<ApiError.Problem> problems) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            problems.add(new ApiError.Problem(name, (min > Integer.MIN_VALUE && min != Long.MIN_VALUE
                    ? "must be an integer >= " + min : "must be an integer") + ", was " + v));
            return null;
        }
        return v.longValue();
    }

    private static Double number(JsonNode body, String name, List<ApiError.Problem> problems) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            problems.add(new ApiError.Problem(name, "must be a number, was " + v));
            return null;
        }
        return v.doubleValue();
    }

    private static List<String> wireNames(AlignmentMethod m) {
        return m.parameters().stream().map(MethodParameter::wireName).toList();
    }

    /** The request parameter a message of {@link RecordChecks} is about, by the Strategy field it starts with. */
    static String paramOf(String message, boolean bestOfGiven) {
        String first = message.split("[ :]", 2)[0];
        if (first.equals("prompt")) {
            return "prompt";
        }
        if (first.equals("n")) {
            return bestOfGiven ? "best_of" : "alignment.n";
        }
        if (TOP_LEVEL_FIELDS.containsKey(first)) {
            return TOP_LEVEL_FIELDS.get(first);
        }
        if (Strategy.getClassSchema().getField(first) != null) {
            return "alignment." + first;
        }
        for (String method : AlignmentMethod.wireNames()) {
            if (message.startsWith(method + " needs ")) {
                String field = message.substring(method.length() + 7).split("[ >=<]", 2)[0];
                return Strategy.getClassSchema().getField(field) != null ? paramOf(field + " ", bestOfGiven) : "alignment";
            }
        }
        return message.startsWith("unknown method") ? "alignment.method" : null;
    }
}
