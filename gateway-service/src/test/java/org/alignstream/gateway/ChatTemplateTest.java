package org.alignstream.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The renderer against Jinja2 itself: {@code chat-templates/expected.json} holds what Jinja2 3.1 renders (with
 * transformers' settings: trim_blocks, lstrip_blocks, raise_exception) for the templates of that directory (ChatML,
 * Zephyr, Llama 2, Gemma-style, one with indented blocks and comments) and four conversations each;
 * {@code generate.py} there rewrites it.
 */
class ChatTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String resource(String name) throws Exception {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/chat-templates/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void rendersAsJinja2DoesForEveryTemplateAndConversation() throws Exception {
        JsonNode cases = JSON.readTree(resource("expected.json"));
        assertThat(cases.size()).isEqualTo(40);
        int errors = 0;
        for (JsonNode c : cases) {
            ChatTemplate t = ChatTemplate.parse(resource(c.get("template").asText()));
            List<Map<String, Object>> messages = new ArrayList<>();
            for (JsonNode m : c.get("messages")) {
                messages.add(Map.of("role", m.get("role").asText(), "content", m.get("content").asText()));
            }
            Map<String, Object> vars = new HashMap<>();
            vars.put("messages", messages);
            vars.put("add_generation_prompt", c.get("add_generation_prompt").asBoolean());
            vars.put("bos_token", c.get("bos_token").asText());
            vars.put("eos_token", c.get("eos_token").asText());
            String what = c.get("template").asText() + " / " + c.get("conversation").asText() + " / generation prompt "
                    + c.get("add_generation_prompt").asBoolean();
            if (c.has("error")) {
                errors++;
                assertThatThrownBy(() -> t.render(vars)).as(what).isInstanceOf(ChatTemplate.TemplateException.class)
                        .hasMessage(c.get("error").asText());
            } else {
                assertThat(t.render(vars)).as(what).isEqualTo(c.get("output").asText());
            }
        }
        assertThat(errors).as("cases where the template raises").isPositive();
    }

    @Test
    void anUnsupportedTemplateIsRefusedWhenParsedNotWhenUsed() {
        assertThatThrownBy(() -> ChatTemplate.parse("{% macro x() %}{% endmacro %}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("macro");
        assertThatThrownBy(() -> ChatTemplate.parse("{{ messages | tojson }}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tojson");
        assertThatThrownBy(() -> ChatTemplate.parse("{{ message.content.strip() }}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("strip");
        assertThatThrownBy(() -> ChatTemplate.parse("{% for m in messages %}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("endfor");
    }

    @Test
    void theChatPromptsComeFromTokenizerConfigOrArePlainLines() throws Exception {
        String config = "{\"bos_token\": {\"content\": \"<s>\"}, \"eos_token\": \"</s>\", \"chat_template\": "
                + JSON.writeValueAsString(resource("zephyr.jinja")) + "}";
        ChatPrompts fromConfig = ChatPrompts.fromTokenizerConfig(
                new ByteArrayInputStream(config.getBytes(StandardCharsets.UTF_8)), "test");
        List<ChatPrompts.Message> messages = List.of(new ChatPrompts.Message("system", "Be brief."),
                new ChatPrompts.Message("user", "Hi"));
        assertThat(fromConfig.render(messages)).isEqualTo("<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\n");
        ChatPrompts noTemplate = ChatPrompts.fromTokenizerConfig(
                new ByteArrayInputStream("{\"eos_token\": \"</s>\"}".getBytes(StandardCharsets.UTF_8)), "test");
        assertThat(noTemplate.render(messages)).isEqualTo("system: Be brief.\nuser: Hi\nassistant:");
        assertThat(noTemplate.source()).isEqualTo("plain");
        assertThat(ChatPrompts.forModel(null, GatewayService.BUNDLED_MODEL_RESOURCE).source())
                .as("the bundled lm-austen has no chat template").isEqualTo("plain");
    }
}
