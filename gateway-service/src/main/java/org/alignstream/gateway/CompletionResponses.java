package org.alignstream.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.TreeMap;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.validation.StrategyParameters;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.decoding.MethodParameter;

/**
 * The 200 body of a completion, in OpenAI's shape ({@code id}, {@code object}, {@code created}, {@code model},
 * {@code choices[{index, text | message, finish_reason}]}, {@code usage}), plus {@code alignment}: at the top the
 * method and its parameters, and in each choice what the method did for it (reward, every candidate's reward, the
 * chosen candidate numbered from 1, the KL figure and its kind, rounds, reward-model calls, the seed, the models).
 *
 * <p>{@code finish_reason} is {@code length} when the response has {@code max_tokens} tokens, else {@code stop}.
 * {@code usage.prompt_tokens} counts the prompt's tokens with the generator's tokenizer (without the token the generator
 * may put first, {@code --prepend-bos}), per choice (OpenAI counts the prompt once; each choice here is its own run);
 * {@code completion_tokens} counts the tokens of the chosen responses.
 */
final class CompletionResponses {

    private CompletionResponses() {
    }

    /**
     * @param submission what was published
     * @param responses the answer to each of its requests, in choice order
     * @param promptTokens tokens of the prompt
     * @param createdSeconds the {@code created} time
     */
    static ObjectNode body(CompletionRequests.Submission submission, List<AlignedResponse> responses, int promptTokens,
            long createdSeconds) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        boolean chat = submission.endpoint() == CompletionRequests.Endpoint.CHAT_COMPLETIONS;
        root.put("id", submission.id());
        root.put("object", submission.endpoint().object);
        root.put("created", createdSeconds);
        root.put("model", responses.get(0).getGeneratorModel().getId());
        ArrayNode choices = root.putArray("choices");
        long completionTokens = 0;
        for (int i = 0; i < responses.size(); i++) {
            AlignedResponse r = responses.get(i);
            PromptRequest request = submission.requests().get(i);
            ObjectNode c = choices.addObject();
            c.put("index", i);
            if (chat) {
                ObjectNode message = c.putObject("message");
                message.put("role", "assistant");
                message.put("content", r.getText());
            } else {
                c.put("text", r.getText());
                c.putNull("logprobs");
            }
            c.put("finish_reason", r.getTokenIds().size() >= request.getStrategy().getMaxNewTokens() ? "length" : "stop");
            c.set("alignment", choiceAlignment(r, request.getStrategy()));
            completionTokens += r.getTokenIds().size();
        }
        ObjectNode usage = root.putObject("usage");
        long prompt = (long) promptTokens * responses.size();
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", prompt + completionTokens);
        root.set("alignment", methodAlignment(submission.requests().get(0).getStrategy(), responses.get(0)));
        return root;
    }

    /** The method and the parameters it ran with (the Strategy fields it reads). */
    static ObjectNode methodAlignment(Strategy s, AlignedResponse first) {
        ObjectNode a = JsonNodeFactory.instance.objectNode();
        a.put("method", s.getMethod());
        ObjectNode params = a.putObject("parameters");
        AlignmentMethod method = AlignmentMethod.of(s.getMethod()).orElseThrow();
        var values = StrategyParameters.of(s);
        for (MethodParameter p : method.parameters()) {
            params.putPOJO(p.wireName(), p.valueIn(values));
        }
        params.put("top_k", values.topK()); // the k it ran with: the method's default when the request left 0
        params.put("temperature", s.getTemperature());
        params.put("top_p", s.getTopP());
        params.put("max_new_tokens", s.getMaxNewTokens());
        if (s.getRewardModel() != null) {
            params.put("reward_model", s.getRewardModel());
        }
        if (s.getRewardModelVersion() != null) {
            params.put("reward_model_version", s.getRewardModelVersion());
        }
        ObjectNode gm = a.putObject("generator_model");
        gm.put("id", first.getGeneratorModel().getId());
        gm.put("version", first.getGeneratorModel().getVersion());
        ObjectNode rm = a.putObject("reward_model");
        rm.put("id", first.getRewardModel().getId());
        rm.put("version", first.getRewardModel().getVersion());
        rm.put("kind", first.getRewardModelKind());
        return a;
    }

    /** What the method did for one choice. */
    static ObjectNode choiceAlignment(AlignedResponse r, Strategy s) {
        ObjectNode a = JsonNodeFactory.instance.objectNode();
        a.put("request_id", r.getId());
        a.put("seed", s.getSeed());
        a.put("reward", r.getReward());
        ArrayNode rewards = a.putArray("candidate_rewards");
        r.getCandidateRewards().forEach(rewards::add);
        a.put("chosen_candidate", r.getChosenIndex() + 1);
        a.put("candidates", r.getN());
        if (r.getKl() == null) {
            a.putNull("kl");
        } else {
            a.put("kl", r.getKl());
        }
        a.put("kl_kind", r.getKlKind());
        a.put("rounds", r.getRounds());
        a.put("reward_calls", r.getRewardCalls());
        ObjectNode timings = a.putObject("timings_ms");
        new TreeMap<>(r.getTimingsMs()).forEach(timings::put);
        return a;
    }
}
