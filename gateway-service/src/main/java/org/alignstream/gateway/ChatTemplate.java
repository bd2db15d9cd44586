package org.alignstream.gateway;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A chat template ({@code chat_template} of a Hugging Face {@code tokenizer_config.json}) rendered as transformers'
 * {@code apply_chat_template} renders it (Jinja with {@code trim_blocks} and {@code lstrip_blocks}), for the subset of
 * Jinja that chat templates use. Parsed once; {@link #render} is thread-safe.
 *
 * <p>Supported: text; {@code {{ expr }}}; {@code {# comments #}}; {@code {% for x in expr %}...{% endfor %}} with
 * {@code loop.index}, {@code loop.index0}, {@code loop.first}, {@code loop.last}, {@code loop.length};
 * {@code {% if %}...{% elif %}...{% else %}...{% endif %}}; {@code {% set name = expr %}}; whitespace control
 * (a '-' just inside a tag's delimiters). Expressions: string literals ('..' or ".." with \n, \t, \',
 * \" and \\ escapes), integers, {@code true}/{@code false}/{@code none} (any case), variables, {@code x.attr},
 * {@code x['key']}, {@code x[i]} (negative from the end), slices {@code x[a:b]}, {@code +} (integers add, lists
 * join, anything else concatenates as strings), {@code ~}, integer {@code -}, {@code *} and {@code %}, {@code ==}, {@code !=}, {@code in}, {@code not in}, {@code and}, {@code or},
 * {@code not}, {@code a if condition else b}, parentheses, tests {@code is [not] defined}, {@code is [not] none}, {@code is [not] string}, filters
 * {@code trim}, {@code upper}, {@code lower}, {@code length}, and the call {@code raise_exception(message)} (the
 * request is refused with that message). Anything else (macros, other filters, list literals, arithmetic
 * on non-integers, method calls such as {@code .strip()}) is refused when the template is parsed, so an unsupported
 * template fails at start-up, not on a request.
 *
 * <p>Variables: {@code messages} (a list of maps with {@code role} and {@code content}), {@code add_generation_prompt},
 * {@code bos_token}, {@code eos_token}, and whatever else the caller passes.
 */
public final class ChatTemplate {

    /** Thrown by {@code raise_exception(...)} in a template, and when a template cannot be rendered. */
    public static final class TemplateException extends RuntimeException {
        TemplateException(String message) {
            super(message);
        }
    }

    private static final Object UNDEFINED = new Object() {
        @Override
        public String toString() {
            return "";
        }
    };

    private final List<Node> nodes;

    private ChatTemplate(List<Node> nodes) {
        this.nodes = nodes;
    }

    /**
     * Parses a template.
     *
     * @throws IllegalArgumentException if it uses anything outside the supported subset, or does not parse
     */
    public static ChatTemplate parse(String template) {
        Objects.requireNonNull(template, "template");
        Parser p = new Parser(tokenize(template));
        List<Node> nodes = p.block(List.of());
        if (p.pos < p.tokens.size()) {
            throw new IllegalArgumentException("chat template: unexpected {% " + p.tokens.get(p.pos).text + " %}");
        }
        return new ChatTemplate(nodes);
    }

    /** Renders the template with these variables. */
    public String render(Map<String, Object> variables) {
        StringBuilder out = new StringBuilder();
        Map<String, Object> scope = new HashMap<>(variables);
        for (Node n : nodes) {
            n.render(scope, out);
        }
        return out.toString();
    }

    // ------------------------------------------------------------------ lexing

    private enum Kind { TEXT, OUTPUT, STATEMENT }

    private record Token(Kind kind, String text) {
    }

    /** Splits into text, {{ }} and {% %} tokens, applying whitespace control, trim_blocks and lstrip_blocks. */
    static List<Token> tokenize(String s) {
        List<Token> tokens = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        int i = 0;
        boolean trimNextLeading = false; // a '-' at the end of the previous tag
        boolean trimNextNewline = false; // trim_blocks after a block tag
        while (i < s.length()) {
            int open = nextTag(s, i);
            String chunk = s.substring(i, open < 0 ? s.length() : open);
            if (trimNextLeading) {
                chunk = chunk.stripLeading();
            } else if (trimNextNewline && chunk.startsWith("\n")) {
                chunk = chunk.substring(1);
            } else if (trimNextNewline && chunk.startsWith("\r\n")) {
                chunk = chunk.substring(2);
            }
            trimNextLeading = false;
            trimNextNewline = false;
            if (open < 0) {
                text.append(chunk);
                break;
            }
            char type = s.charAt(open + 1);
            String close = type == '{' ? "}}" : type == '%' ? "%}" : "#}";
            int end = s.indexOf(close, open + 2);
            if (end < 0) {
                throw new IllegalArgumentException("chat template: unclosed " + s.substring(open, open + 2));
            }
            String inner = s.substring(open + 2, end);
            boolean stripBefore = inner.startsWith("-");
            boolean stripAfter = inner.endsWith("-");
            if (stripBefore) {
                chunk = chunk.stripTrailing();
            } else if (type != '{') {
                // lstrip_blocks: spaces and tabs from the start of the line (in the source) up to a block tag
                int k = 0;
                while (open - k - 1 >= 0 && (s.charAt(open - k - 1) == ' ' || s.charAt(open - k - 1) == '\t')) {
                    k++;
                }
                if (open - k - 1 < 0 || s.charAt(open - k - 1) == '\n') {
                    chunk = chunk.substring(0, Math.max(0, chunk.length() - k));
                }
            }
            text.append(chunk);
            String body = inner.substring(stripBefore ? 1 : 0, inner.length() - (stripAfter && inner.length() > 1 ? 1 : 0))
                    .strip();
            if (type != '#') {
                if (text.length() > 0) {
                    tokens.add(new Token(Kind.TEXT, text.toString()));
                    text.setLength(0);
                }
                tokens.add(new Token(type == '{' ? Kind.OUTPUT : Kind.STATEMENT, body));
            }
            trimNextLeading = stripAfter;
            trimNextNewline = !stripAfter && type != '{';
            i = end + 2;
        }
        if (text.length() > 0) {
            tokens.add(new Token(Kind.TEXT, text.toString()));
        }
        return tokens;
    }

    private static int nextTag(String s, int from) {
        int i = from;
        while (true) {
            int at = s.indexOf('{', i);
            if (at < 0 || at + 1 >= s.length()) {
                return -1;
            }
            char c = s.charAt(at + 1);
            if (c == '{' || c == '%' || c == '#') {
                return at;
            }
            i = at + 1;
        }
    }

    // ------------------------------------------------------------------ nodes

    private interface Node {
        void render(Map<String, Object> scope, StringBuilder out);
    }

    private record TextNode(String text) implements Node {
        public void render(Map<String, Object> scope, StringBuilder out) {
            out.append(text);
        }
    }

    private record OutputNode(Expr expr) implements Node {
        public void render(Map<String, Object> scope, StringBuilder out) {
            out.append(str(expr.eval(scope)));
        }
    }

    private record SetNode(String name, Expr expr) implements Node {
        public void render(Map<String, Object> scope, StringBuilder out) {
            scope.put(name, expr.eval(scope));
        }
    }

    private record IfNode(List<Expr> conditions, List<List<Node>> bodies, List<Node> otherwise) implements Node {
        public void render(Map<String, Object> scope, StringBuilder out) {
            for (int i = 0; i < conditions.size(); i++) {
                if (truthy(conditions.get(i).eval(scope))) {
                    bodies.get(i).forEach(n -> n.render(scope, out));
                    return;
                }
            }
            otherwise.forEach(n -> n.render(scope, out));
        }
    }

    private record ForNode(String var, Expr iterable, List<Node> body) implements Node {
        public void render(Map<String, Object> scope, StringBuilder out) {
            Object it = iterable.eval(scope);
            if (it == UNDEFINED || it == null) {
                return;
            }
            if (!(it instanceof List<?> items)) {
                throw new TemplateException("chat template: cannot loop over " + typeName(it));
            }
            Object savedVar = scope.get(var);
            Object savedLoop = scope.get("loop");
            for (int i = 0; i < items.size(); i++) {
                Map<String, Object> loop = new HashMap<>();
                loop.put("index", (long) i + 1);
                loop.put("index0", (long) i);
                loop.put("first", i == 0);
                loop.put("last", i == items.size() - 1);
                loop.put("length", (long) items.size());
                scope.put("loop", loop);
                scope.put(var, items.get(i));
                body.forEach(n -> n.render(scope, out));
            }
            restore(scope, var, savedVar);
            restore(scope, "loop", savedLoop);
        }

        private static void restore(Map<String, Object> scope, String name, Object saved) {
            if (saved == null) {
                scope.remove(name);
            } else {
                scope.put(name, saved);
            }
        }
    }

    // ------------------------------------------------------------------ statements

    private static final class Parser {
        final List<Token> tokens;
        int pos;

        Parser(List<Token> tokens) {
            this.tokens = tokens;
        }

        /** Nodes up to (not including) a statement starting with one of {@code ends}; none: to the end. */
        List<Node> block(List<String> ends) {
            List<Node> nodes = new ArrayList<>();
            while (pos < tokens.size()) {
                Token t = tokens.get(pos);
                if (t.kind == Kind.TEXT) {
                    nodes.add(new TextNode(t.text));
                    pos++;
                } else if (t.kind == Kind.OUTPUT) {
                    nodes.add(new OutputNode(Expressions.parse(t.text)));
                    pos++;
                } else {
                    String keyword = t.text.split("\\s+", 2)[0];
                    if (ends.contains(keyword)) {
                        return nodes;
                    }
                    pos++;
                    nodes.add(statement(keyword, t.text.substring(keyword.length()).strip()));
                }
            }
            if (!ends.isEmpty()) {
                throw new IllegalArgumentException("chat template: missing {% " + ends.get(ends.size() - 1) + " %}");
            }
            return nodes;
        }

        Node statement(String keyword, String rest) {
            switch (keyword) {
                case "if": {
                    List<Expr> conditions = new ArrayList<>();
                    List<List<Node>> bodies = new ArrayList<>();
                    conditions.add(Expressions.parse(rest));
                    bodies.add(block(List.of("elif", "else", "endif")));
                    List<Node> otherwise = List.of();
                    while (true) {
                        Token t = tokens.get(pos++);
                        String k = t.text.split("\\s+", 2)[0];
                        if (k.equals("elif")) {
                            conditions.add(Expressions.parse(t.text.substring(4).strip()));
                            bodies.add(block(List.of("elif", "else", "endif")));
                        } else if (k.equals("else")) {
                            otherwise = block(List.of("endif"));
                        } else {
                            return new IfNode(conditions, bodies, otherwise);
                        }
                    }
                }
                case "for": {
                    String[] parts = rest.split("\\s+in\\s+", 2);
                    if (parts.length != 2 || !parts[0].strip().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                        throw new IllegalArgumentException("chat template: unsupported for loop: for " + rest);
                    }
                    Node n = new ForNode(parts[0].strip(), Expressions.parse(parts[1]), block(List.of("endfor")));
                    pos++;
                    return n;
                }
                case "set": {
                    int eq = rest.indexOf('=');
                    String name = eq < 0 ? "" : rest.substring(0, eq).strip();
                    if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                        throw new IllegalArgumentException("chat template: unsupported set: set " + rest);
                    }
                    return new SetNode(name, Expressions.parse(rest.substring(eq + 1)));
                }
                default:
                    throw new IllegalArgumentException("chat template: unsupported statement {% " + keyword + " %}");
            }
        }
    }

    // ------------------------------------------------------------------ expressions

    private interface Expr {
        Object eval(Map<String, Object> scope);
    }

    /** A recursive-descent parser of the expression subset. */
    private static final class Expressions {
        private final List<String> t;
        private int i;

        private Expressions(List<String> tokens) {
            this.t = tokens;
        }

        static Expr parse(String source) {
            Expressions p = new Expressions(lex(source));
            Expr e = p.conditional();
            if (p.i < p.t.size()) {
                throw new IllegalArgumentException("chat template: unsupported expression '" + source + "' (at '"
                        + p.t.get(p.i) + "')");
            }
            return e;
        }

        static List<String> lex(String s) {
            List<String> out = new ArrayList<>();
            int i = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (c == '\'' || c == '"') {
                    StringBuilder sb = new StringBuilder("'");
                    int j = i + 1;
                    while (j < s.length() && s.charAt(j) != c) {
                        char d = s.charAt(j);
                        if (d == '\\' && j + 1 < s.length()) {
                            char e = s.charAt(++j);
                            sb.append(switch (e) {
                                case 'n' -> '\n';
                                case 't' -> '\t';
                                case 'r' -> '\r';
                                default -> e;
                            });
                        } else {
                            sb.append(d);
                        }
                        j++;
                    }
                    if (j >= s.length()) {
                        throw new IllegalArgumentException("chat template: unclosed string in '" + s + "'");
                    }
                    out.add(sb.toString());
                    i = j + 1;
                } else if (Character.isLetterOrDigit(c) || c == '_') {
                    int j = i;
                    while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
                        j++;
                    }
                    out.add(s.substring(i, j));
                    i = j;
                } else if (i + 1 < s.length() && (s.startsWith("==", i) || s.startsWith("!=", i))) {
                    out.add(s.substring(i, i + 2));
                    i += 2;
                } else if ("+~.[]():|-*%".indexOf(c) >= 0) {
                    out.add(String.valueOf(c));
                    i++;
                } else {
                    throw new IllegalArgumentException("chat template: unsupported character '" + c + "' in '" + s + "'");
                }
            }
            return out;
        }

        private boolean at(String s) {
            return i < t.size() && t.get(i).equals(s);
        }

        private boolean eat(String s) {
            if (at(s)) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(String s) {
            if (!eat(s)) {
                throw new IllegalArgumentException("chat template: expected '" + s + "'"
                        + (i < t.size() ? " at '" + t.get(i) + "'" : " at the end of an expression"));
            }
        }

        /** {@code a if condition else b} (without else: undefined when the condition is false). */
        Expr conditional() {
            Expr value = or();
            if (!eat("if")) {
                return value;
            }
            Expr condition = or();
            Expr otherwise = eat("else") ? conditional() : s -> UNDEFINED;
            return s -> truthy(condition.eval(s)) ? value.eval(s) : otherwise.eval(s);
        }

        Expr or() {
            Expr left = and();
            while (eat("or")) {
                Expr l = left;
                Expr r = and();
                left = s -> truthy(l.eval(s)) || truthy(r.eval(s));
            }
            return left;
        }

        Expr and() {
            Expr left = not();
            while (eat("and")) {
                Expr l = left;
                Expr r = not();
                left = s -> truthy(l.eval(s)) && truthy(r.eval(s));
            }
            return left;
        }

        Expr not() {
            if (eat("not")) {
                Expr e = not();
                return s -> !truthy(e.eval(s));
            }
            return comparison();
        }

        Expr comparison() {
            Expr left = concat();
            while (true) {
                if (eat("==")) {
                    Expr l = left;
                    Expr r = concat();
                    left = s -> equal(l.eval(s), r.eval(s));
                } else if (eat("!=")) {
                    Expr l = left;
                    Expr r = concat();
                    left = s -> !equal(l.eval(s), r.eval(s));
                } else if (eat("in")) {
                    Expr l = left;
                    Expr r = concat();
                    left = s -> contains(r.eval(s), l.eval(s));
                } else if (at("not") && i + 1 < t.size() && t.get(i + 1).equals("in")) {
                    i += 2;
                    Expr l = left;
                    Expr r = concat();
                    left = s -> !contains(r.eval(s), l.eval(s));
                } else if (eat("is")) {
                    boolean negate = eat("not");
                    String test = i < t.size() ? t.get(i++) : "";
                    Expr l = left;
                    Expr e = switch (test) {
                        case "defined" -> s -> l.eval(s) != UNDEFINED;
                        case "none" -> s -> l.eval(s) == null;
                        case "string" -> s -> l.eval(s) instanceof String;
                        default -> throw new IllegalArgumentException("chat template: unsupported test 'is " + test + "'");
                    };
                    left = negate ? s -> !((Boolean) e.eval(s)) : e;
                } else {
                    return left;
                }
            }
        }

        Expr concat() {
            Expr left = term();
            while (at("+") || at("~") || at("-")) {
                String op = t.get(i++);
                Expr l = left;
                Expr r = term();
                left = s -> {
                    Object a = l.eval(s);
                    Object b = r.eval(s);
                    if (op.equals("-")) {
                        return integer(a, "-") - integer(b, "-");
                    }
                    if (op.equals("+") && a instanceof Long x && b instanceof Long y) {
                        return x + y;
                    }
                    if (op.equals("+") && a instanceof List<?> x && b instanceof List<?> y) {
                        List<Object> both = new ArrayList<>(x);
                        both.addAll(y);
                        return both;
                    }
                    return str(a) + str(b);
                };
            }
            return left;
        }

        Expr term() {
            Expr left = filtered();
            while (at("*") || at("%")) {
                String op = t.get(i++);
                Expr l = left;
                Expr r = filtered();
                left = s -> {
                    long a = integer(l.eval(s), op);
                    long b = integer(r.eval(s), op);
                    if (op.equals("*")) {
                        return a * b;
                    }
                    if (b == 0) {
                        throw new TemplateException("chat template: modulo by zero");
                    }
                    return Math.floorMod(a, b);
                };
            }
            return left;
        }

        Expr filtered() {
            Expr e = postfix();
            while (eat("|")) {
                String name = i < t.size() ? t.get(i++) : "";
                Expr in = e;
                e = switch (name) {
                    case "trim" -> s -> str(in.eval(s)).strip();
                    case "upper" -> s -> str(in.eval(s)).toUpperCase(java.util.Locale.ROOT);
                    case "lower" -> s -> str(in.eval(s)).toLowerCase(java.util.Locale.ROOT);
                    case "length" -> s -> (long) length(in.eval(s));
                    default -> throw new IllegalArgumentException("chat template: unsupported filter '" + name + "'");
                };
            }
            return e;
        }

        Expr postfix() {
            Expr e = primary();
            while (true) {
                if (eat(".")) {
                    String name = t.get(i++);
                    if (at("(")) {
                        throw new IllegalArgumentException("chat template: unsupported method call ." + name + "()");
                    }
                    Expr target = e;
                    e = s -> attribute(target.eval(s), name);
                } else if (eat("[")) {
                    Expr target = e;
                    Expr from = at(":") ? null : or();
                    if (eat(":")) {
                        Expr to = at("]") ? null : or();
                        expect("]");
                        e = s -> slice(target.eval(s), from == null ? null : from.eval(s), to == null ? null : to.eval(s));
                    } else {
                        expect("]");
                        e = s -> item(target.eval(s), from.eval(s));
                    }
                } else {
                    return e;
                }
            }
        }

        Expr primary() {
            if (i >= t.size()) {
                throw new IllegalArgumentException("chat template: an expression ends early");
            }
            String tok = t.get(i++);
            if (tok.startsWith("'")) {
                String v = tok.substring(1);
                return s -> v;
            }
            if (tok.equals("(")) {
                Expr e = conditional();
                expect(")");
                return e;
            }
            if (tok.equals("-") && i < t.size() && t.get(i).matches("\\d+")) {
                long v = -Long.parseLong(t.get(i++));
                return s -> v;
            }
            if (tok.matches("\\d+")) {
                long v = Long.parseLong(tok);
                return s -> v;
            }
            switch (tok.toLowerCase(java.util.Locale.ROOT)) {
                case "true":
                    return s -> Boolean.TRUE;
                case "false":
                    return s -> Boolean.FALSE;
                case "none":
                    return s -> null;
                default:
                    break;
            }
            if (!tok.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("chat template: unexpected '" + tok + "'");
            }
            if (tok.equals("raise_exception")) {
                expect("(");
                Expr message = conditional();
                expect(")");
                return s -> {
                    throw new TemplateException(str(message.eval(s)));
                };
            }
            if (at("(")) {
                throw new IllegalArgumentException("chat template: unsupported function " + tok + "()");
            }
            return s -> s.containsKey(tok) ? s.get(tok) : UNDEFINED;
        }
    }

    // ------------------------------------------------------------------ values

    static boolean truthy(Object v) {
        if (v == null || v == UNDEFINED) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof Long n) {
            return n != 0;
        }
        if (v instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    static String str(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        return v.toString();
    }

    private static boolean equal(Object a, Object b) {
        if (a == UNDEFINED || b == UNDEFINED) {
            return a == b;
        }
        return Objects.equals(a, b);
    }

    private static boolean contains(Object container, Object x) {
        if (container instanceof String s) {
            return s.contains(str(x));
        }
        if (container instanceof List<?> l) {
            return l.stream().anyMatch(e -> equal(e, x));
        }
        if (container instanceof Map<?, ?> m) {
            return m.containsKey(x);
        }
        return false;
    }

    private static int length(Object v) {
        if (v instanceof String s) {
            return s.length();
        }
        if (v instanceof List<?> l) {
            return l.size();
        }
        if (v instanceof Map<?, ?> m) {
            return m.size();
        }
        throw new TemplateException("chat template: " + typeName(v) + " has no length");
    }

    private static Object attribute(Object target, String name) {
        if (target instanceof Map<?, ?> m) {
            return m.containsKey(name) ? m.get(name) : UNDEFINED;
        }
        if (target == UNDEFINED || target == null) {
            throw new TemplateException("chat template: '" + name + "' of an undefined value");
        }
        return UNDEFINED;
    }

    private static Object item(Object target, Object key) {
        if (target instanceof Map<?, ?> m) {
            return m.containsKey(key) ? m.get(key) : UNDEFINED;
        }
        if (target instanceof List<?> l && key instanceof Long k) {
            int idx = (int) (k < 0 ? l.size() + k : k);
            if (idx < 0 || idx >= l.size()) {
                throw new TemplateException("chat template: index " + k + " out of range (" + l.size() + " items)");
            }
            return l.get(idx);
        }
        if (target == UNDEFINED || target == null) {
            throw new TemplateException("chat template: [" + str(key) + "] of an undefined value");
        }
        return UNDEFINED;
    }

    private static Object slice(Object target, Object from, Object to) {
        int n = length(target);
        int a = bound(from, 0, n);
        int b = bound(to, n, n);
        if (b < a) {
            b = a;
        }
        if (target instanceof String s) {
            return s.substring(a, b);
        }
        if (target instanceof List<?> l) {
            return new ArrayList<Object>(l.subList(a, b));
        }
        throw new TemplateException("chat template: cannot slice " + typeName(target));
    }

    private static int bound(Object v, int absent, int n) {
        if (v == null) {
            return absent;
        }
        if (!(v instanceof Long k)) {
            throw new TemplateException("chat template: a slice bound must be an integer");
        }
        long x = k < 0 ? n + k : k;
        return (int) Math.max(0, Math.min(n, x));
    }

    private static long integer(Object v, String op) {
        if (v instanceof Long n) {
            return n;
        }
        throw new TemplateException("chat template: '" + op + "' needs integers, got " + typeName(v));
    }

    private static String typeName(Object v) {
        return v == UNDEFINED ? "an undefined value" : v == null ? "none" : v.getClass().getSimpleName();
    }
}
