package org.alignstream.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Objects;

/**
 * An error answer in OpenAI's shape: HTTP status and {@code {"error": {"message", "type", "param", "code"}}}. A bad
 * request lists every problem found, in {@code message} (joined by "; ") and one by one in the extra field
 * {@code error.problems} ({@code [{"param", "message"}]}), so a client fixes them all at once.
 *
 * @param status the HTTP status
 * @param type OpenAI's error type ({@code invalid_request_error}, {@code rate_limit_error}, {@code timeout_error},
 *     {@code service_unavailable}, {@code api_error})
 * @param code a short machine-readable code, or null
 * @param problems what is wrong (at least one)
 */
public record ApiError(int status, String type, String code, List<Problem> problems) {

    /** One problem: the request parameter it is about (null: the request as a whole) and what is wrong. */
    public record Problem(String param, String message) {
        public Problem {
            Objects.requireNonNull(message, "message");
        }
    }

    public ApiError {
        Objects.requireNonNull(type, "type");
        problems = List.copyOf(problems);
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an error needs a problem");
        }
    }

    /** 400: bad JSON or bad parameters, every problem of the request. */
    public static ApiError badRequest(List<Problem> problems) {
        return new ApiError(400, "invalid_request_error", "invalid_parameters", problems);
    }

    /** An error with one message. */
    public static ApiError of(int status, String type, String code, String message) {
        return new ApiError(status, type, code, List.of(new Problem(null, message)));
    }

    /** The message: the one problem, or every problem joined by "; ", each with its parameter. */
    public String message() {
        if (problems.size() == 1) {
            return text(problems.get(0));
        }
        StringBuilder sb = new StringBuilder(problems.size() + " problems: ");
        for (int i = 0; i < problems.size(); i++) {
            sb.append(i == 0 ? "" : "; ").append(text(problems.get(i)));
        }
        return sb.toString();
    }

    private static String text(Problem p) {
        return p.param() == null || p.message().startsWith(p.param() + " ") ? p.message() : p.param() + ": " + p.message();
    }

    /** The body: {@code {"error": {"message", "type", "param", "code", "problems"}}}. */
    public ObjectNode body() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode error = f.objectNode();
        error.put("message", message());
        error.put("type", type);
        error.put("param", problems.get(0).param());
        error.put("code", code);
        if (status == 400 || status == 422) {
            ArrayNode list = error.putArray("problems");
            for (Problem p : problems) {
                list.addObject().put("param", p.param()).put("message", p.message());
            }
        }
        ObjectNode root = f.objectNode();
        root.set("error", error);
        return root;
    }
}
