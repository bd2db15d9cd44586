package org.alignstream.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns chat messages into the prompt text the generator continues: with the model's chat template
 * ({@code chat_template} of its {@code tokenizer_config.json}, rendered by {@link ChatTemplate} with
 * {@code add_generation_prompt = true} and the file's {@code bos_token} and {@code eos_token}) when it has one, else as
 * plain lines {@code "role: text"} ending with {@code "assistant:"}.
 */
public final class ChatPrompts {

    /** One chat message. */
    public record Message(String role, String content) {
    }

    private final ChatTemplate template;
    private final String source;
    private final String bosToken;
    private final String eosToken;

    private ChatPrompts(ChatTemplate template, String source, String bosToken, String eosToken) {
        this.template = template;
        this.source = source;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
    }

    /** The plain rendering ("role: text" lines ending with "assistant:"). */
    public static ChatPrompts plain() {
        return new ChatPrompts(null, "plain", "", "");
    }

    /**
     * From a {@code tokenizer_config.json}: its chat template if it has one (a string, or the template named
     * {@code default} of a list of named templates), else the plain rendering.
     *
     * @throws IllegalArgumentException if the template uses Jinja outside {@link ChatTemplate}'s subset
     */
    public static ChatPrompts fromTokenizerConfig(InputStream json, String source) throws IOException {
        JsonNode config = new ObjectMapper().readTree(json);
        JsonNode t = config.path("chat_template");
        String text = null;
        if (t.isTextual()) {
            text = t.asText();
        } else if (t.isArray()) {
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText())) {
                    text = named.path("template").asText();
                }
            }
        }
        if (text == null) {
            return plain();
        }
        return new ChatPrompts(ChatTemplate.parse(text), source, token(config.path("bos_token")),
                token(config.path("eos_token")));
    }

    /**
     * The chat prompts of a model: {@code tokenizer_config.json} in {@code modelDir}, or in the bundled model's
     * classpath {@code resource} when {@code modelDir} is null; the plain rendering when there is no such file.
     */
    public static ChatPrompts forModel(Path modelDir, String resource) {
        try {
            if (modelDir != null) {
                Path dir = Files.isDirectory(modelDir) ? modelDir : modelDir.getParent();
                Path file = dir.resolve("tokenizer_config.json");
                if (!Files.isRegularFile(file)) {
                    return plain();
                }
                try (InputStream in = Files.newInputStream(file)) {
                    return fromTokenizerConfig(in, file.toString());
                }
            }
            try (InputStream in = ChatPrompts.class.getClassLoader().getResourceAsStream(resource + "/tokenizer_config.json")) {
                return in == null ? plain() : fromTokenizerConfig(in, "classpath:" + resource + "/tokenizer_config.json");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the chat template of " + (modelDir == null ? resource : modelDir), e);
        }
    }

    private static String token(JsonNode n) {
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isObject() && n.path("content").isTextual()) {
            return n.path("content").asText();
        }
        return "";
    }

    /** Where the template comes from ({@code plain} without one). */
    public String source() {
        return source;
    }

    /**
     * The prompt for these messages.
     *
     * @throws ChatTemplate.TemplateException if the template refuses the messages ({@code raise_exception})
     */
    public String render(List<Message> messages) {
        if (template == null) {
            StringBuilder sb = new StringBuilder();
            for (Message m : messages) {
                sb.append(m.role()).append(": ").append(m.content()).append('\n');
            }
            return sb.append("assistant:").toString();
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", messages.stream().map(m -> Map.<String, Object>of("role", m.role(), "content", m.content()))
                .toList());
        vars.put("add_generation_prompt", true);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        return template.render(vars);
    }
}
