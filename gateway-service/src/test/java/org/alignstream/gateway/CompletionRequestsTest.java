package org.alignstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.validation.RecordChecks;
import org.alignstream.gateway.CompletionRequests.Endpoint;
import org.alignstream.gateway.CompletionRequests.Result;
import org.junit.jupiter.api.Test;

/** How request bodies map to prompt requests, and the 400s with every problem at once. */
class CompletionRequestsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RecordChecks.Bounds BOUNDS = new RecordChecks.Bounds(64, 256, 4000, 1000, 64);
    private static final CompletionRequests MAPPER = new CompletionRequests(BOUNDS, 8, ChatPrompts.plain());

    private static Result map(Endpoint endpoint, String body) throws Exception {
        return MAPPER.map(endpoint, JSON.readTree(body), "cmpl-x", 1234L);
    }

    private static List<PromptRequest> ok(Endpoint endpoint, String body) throws Exception {
        Result r = map(endpoint, body);
        assertThat(r.error()).as("error: %s", r.error() == null ? "" : r.error().message()).isNull();
        return r.submission().requests();
    }

    private static ApiError bad(Endpoint endpoint, String body) throws Exception {
        Result r = map(endpoint, body);
        assertThat(r.submission()).isNull();
        return r.error();
    }

    @Test
    void aCompletionMapsItsSamplingParametersAndTakesTheSchemaDefaultsOtherwise() throws Exception {
        List<PromptRequest> rs = ok(Endpoint.COMPLETIONS,
                "{\"model\": \"any\", \"prompt\": \"It is a truth\", \"temperature\": 0.7, \"top_p\": 0.9,"
                        + " \"max_tokens\": 12, \"seed\": 5, \"stream\": false, \"user\": \"u\"}");
        assertThat(rs).hasSize(1);
        PromptRequest r = rs.get(0);
        assertThat(r.getId()).isEqualTo("cmpl-x-0");
        assertThat(r.getPrompt()).isEqualTo("It is a truth");
        assertThat(r.getCreatedAtMs()).isEqualTo(1234L);
        Strategy s = r.getStrategy();
        Strategy defaults = Strategy.newBuilder().build();
        assertThat(s.getMethod()).isEqualTo("best_of_n");
        assertThat(s.getN()).as("0: the method's default, which the generator writes in").isEqualTo(defaults.getN())
                .isZero();
        assertThat(s.getTemperature()).isEqualTo(0.7);
        assertThat(s.getTopP()).isEqualTo(0.9);
        assertThat(s.getMaxNewTokens()).isEqualTo(12);
        assertThat(s.getSeed()).isEqualTo(5);
        assertThat(s.getTopK()).isEqualTo(defaults.getTopK());
        Strategy bare = ok(Endpoint.COMPLETIONS, "{\"prompt\": [\"x\"]}").get(0).getStrategy();
        assertThat(bare.getMaxNewTokens()).isEqualTo(defaults.getMaxNewTokens());
        assertThat(bare.getTemperature()).isEqualTo(defaults.getTemperature());
    }

    @Test
    void bestOfIsBestOfNAndNChoicesAreRequestsWithConsecutiveSeeds() throws Exception {
        List<PromptRequest> rs = ok(Endpoint.COMPLETIONS, "{\"prompt\": \"p\", \"best_of\": 6, \"n\": 3, \"seed\": 40}");
        assertThat(rs).extracting(PromptRequest::getId).containsExactly("cmpl-x-0", "cmpl-x-1", "cmpl-x-2");
        assertThat(rs).extracting(r -> r.getStrategy().getSeed()).containsExactly(40L, 41L, 42L);
        assertThat(rs).allSatisfy(r -> {
            assertThat(r.getStrategy().getMethod()).isEqualTo("best_of_n");
            assertThat(r.getStrategy().getN()).isEqualTo(6);
        });
        List<PromptRequest> unseeded = ok(Endpoint.COMPLETIONS, "{\"prompt\": \"p\", \"n\": 2}");
        assertThat(unseeded.get(1).getStrategy().getSeed()).isEqualTo(unseeded.get(0).getStrategy().getSeed() + 1);
    }

    @Test
    void theAlignmentObjectSetsTheMethodAndItsParametersAndBestOfSetsItsN() throws Exception {
        Strategy rbon = ok(Endpoint.COMPLETIONS, "{\"prompt\": \"p\", \"best_of\": 4, \"alignment\": {\"method\": "
                + "\"rbon_kl\", \"beta\": 0.5, \"reward_model\": \"sentiment\"}}").get(0).getStrategy();
        assertThat(rbon.getMethod()).isEqualTo("rbon_kl");
        assertThat(rbon.getN()).isEqualTo(4);
        assertThat(rbon.getBeta()).isEqualTo(0.5);
        assertThat(rbon.getRewardModel()).isEqualTo("sentiment");
        Strategy args = ok(Endpoint.COMPLETIONS, "{\"prompt\": \"p\", \"alignment\": {\"method\": \"args\", \"top_k\": 5,"
                + " \"beta\": 1.5, \"greedy\": false}}").get(0).getStrategy();
        assertThat(args.getMethod()).isEqualTo("args");
        assertThat(args.getTopK()).isEqualTo(5);
        assertThat(args.getBeta()).isEqualTo(1.5);
        assertThat(args.getGreedy()).isFalse();
    }

    @Test
    void aBadRequestReportsEveryProblemAtOnceWithItsParameter() throws Exception {
        ApiError e = bad(Endpoint.COMPLETIONS, "{\"prompt\": \"p\", \"temperature\": \"hot\", \"top_p\": 2,"
                + " \"max_tokens\": 0, \"stream\": true, \"foo\": 1, \"alignment\": {\"method\": \"args\", \"top_k\": -1,"
                + " \"temperature\": 1}}");
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.problems()).extracting(ApiError.Problem::param).containsExactlyInAnyOrder("stream", "foo",
                "temperature", "alignment.temperature", "top_p", "max_tokens", "alignment.top_k", "alignment.top_k");
        assertThat(e.message()).startsWith("8 problems: ").contains("top_p must be in (0, 1], was 2.0",
                "max_new_tokens must be between 1 and 256, was 0", "top_k must be between 0 (off) and",
                "temperature: must be a number, was \"hot\"", "foo: is not a parameter of completions");
        JsonNode body = e.body().get("error");
        assertThat(body.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(body.get("code").asText()).isEqualTo("invalid_parameters");
        assertThat(body.get("message").asText()).isEqualTo(e.message());
        assertThat(body.get("param").asText()).isEqualTo(e.problems().get(0).param());
        assertThat(body.get("problems")).hasSize(8);
    }

    @Test
    void parametersThatDoNotFitTheMethodAreRefused() throws Exception {
        assertThat(bad(Endpoint.COMPLETIONS, "{\"prompt\": \"p\", \"best_of\": 4, \"alignment\": {\"method\": \"args\","
                + " \"top_k\": 3}}").message()).isEqualTo("best_of: sets N, which args does not take (its parameters:"
                + " [top_k, beta, greedy])");
        assertThat(bad(Endpoint.COMPLETIONS, "{\"prompt\": \"p\", \"alignment\": {\"method\": \"best_of_n\","
                + " \"beta\": 1}}").problems()).extracting(ApiError.Problem::param).containsExactly("alignment.beta");
        assertThat(bad(Endpoint.COMPLETIONS, "{\"prompt\": \"p\", \"best_of\": 4, \"alignment\": {\"method\":"
                + " \"best_of_n\", \"n\": 3}}").problems()).extracting(ApiError.Problem::param).containsExactly("best_of");
        assertThat(bad(Endpoint.COMPLETIONS, "{\"prompt\": \"p\", \"alignment\": {\"method\": \"nope\"}}").message())
                .contains("unknown method 'nope'");
        assertThat(bad(Endpoint.COMPLETIONS, "{\"prompt\": \"p\", \"n\": 9}").message())
                .isEqualTo("n: must be at most 8 (--max-choices), was 9");
        assertThat(bad(Endpoint.COMPLETIONS, "{\"prompt\": [\"a\", \"b\"]}").problems().get(0).param()).isEqualTo("prompt");
        assertThat(bad(Endpoint.COMPLETIONS, "[1]").message()).isEqualTo("the body must be a JSON object");
        assertThat(bad(Endpoint.COMPLETIONS, "{\"prompt\": \"" + "x".repeat(4001) + "\"}").message())
                .isEqualTo("prompt has 4001 characters, the limit is 4000");
    }

    @Test
    void chatMessagesAreRenderedAndCheckedOneByOne() throws Exception {
        PromptRequest r = ok(Endpoint.CHAT_COMPLETIONS, "{\"messages\": [{\"role\": \"system\", \"content\": \"Be kind.\"},"
                + " {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Hello\"}]}],"
                + " \"max_completion_tokens\": 9}").get(0);
        assertThat(r.getPrompt()).isEqualTo("system: Be kind.\nuser: Hello\nassistant:");
        assertThat(r.getStrategy().getMaxNewTokens()).isEqualTo(9);
        ApiError e = bad(Endpoint.CHAT_COMPLETIONS, "{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"},"
                + " {\"role\": \"user\"}], \"prompt\": \"p\"}");
        assertThat(e.problems()).extracting(ApiError.Problem::param).containsExactly("prompt", "messages[0].role",
                "messages[1].content");
        assertThat(bad(Endpoint.CHAT_COMPLETIONS, "{\"messages\": []}").problems().get(0).param()).isEqualTo("messages");
    }

    @Test
    void recordChecksMessagesNameTheRequestParameter() {
        assertThat(CompletionRequests.paramOf("max_new_tokens must be between 1 and 256, was 0", false))
                .isEqualTo("max_tokens");
        assertThat(CompletionRequests.paramOf("n must be between 1 and 64, was 65", true)).isEqualTo("best_of");
        assertThat(CompletionRequests.paramOf("n must be between 1 and 64, was 65", false)).isEqualTo("alignment.n");
        assertThat(CompletionRequests.paramOf("tq_star needs rollout_length L between 1 and 64, was 0", false))
                .isEqualTo("alignment.rollout_length");
        assertThat(CompletionRequests.paramOf("beta must be finite, was NaN", false)).isEqualTo("alignment.beta");
    }
}
