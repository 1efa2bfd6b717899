package io.hypernetes.api.selector;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.validation.Names;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A label selector: the AND of its requirements. Built from the query-string syntax ({@link #parse}), from a
 * {@code metav1.LabelSelector} object ({@link #fromObject}) or from a plain map such as a Service's
 * {@code spec.selector} ({@link #fromMap}).
 *
 * <p>The empty selector matches everything; {@link #NOTHING} (what a missing {@code metav1.LabelSelector}
 * means in Kubernetes) matches nothing.
 */
public final class LabelSelector {
    public static final LabelSelector EVERYTHING = new LabelSelector(List.of(), false);
    public static final LabelSelector NOTHING = new LabelSelector(List.of(), true);

    private final List<Requirement> requirements;
    private final boolean nothing;

    private LabelSelector(List<Requirement> requirements, boolean nothing) {
        // Sorted by key so that the string form is canonical, as Kubernetes prints it.
        List<Requirement> sorted = new ArrayList<>(requirements);
        sorted.sort(Comparator.comparing(Requirement::key));
        this.requirements = List.copyOf(sorted);
        this.nothing = nothing;
    }

    /**
     * Parses the {@code labelSelector=} syntax: {@code a=b,c!=d,e in (x,y),f notin (z),g,!h}.
     *
     * @throws SelectorException with Kubernetes' wording when the text is not a selector
     */
    public static LabelSelector parse(String text) {
        if (text == null) return EVERYTHING;
        return new LabelSelector(new Parser(text).parse(), false);
    }

    /** Every key must carry exactly the given value (the Service {@code spec.selector} form). */
    public static LabelSelector fromMap(Map<String, String> matchLabels) {
        List<Requirement> reqs = new ArrayList<>();
        for (var e : matchLabels.entrySet()) reqs.add(requirement(e.getKey(), Operator.EQUALS, List.of(e.getValue())));
        return new LabelSelector(reqs, false);
    }

    /**
     * Converts a {@code metav1.LabelSelector} ({@code matchLabels}, {@code matchExpressions}). A null or
     * missing node gives {@link #NOTHING}; an empty object gives {@link #EVERYTHING}.
     *
     * @throws SelectorException if an operator is unknown or a key or value is invalid
     */
    public static LabelSelector fromObject(JsonNode selector) {
        if (selector == null || selector.isNull() || selector.isMissingNode()) return NOTHING;
        if (!selector.isObject()) throw new SelectorException("a label selector must be an object");
        List<Requirement> reqs = new ArrayList<>();
        JsonNode matchLabels = selector.path("matchLabels");
        if (matchLabels.isObject()) {
            for (var e : matchLabels.properties()) {
                reqs.add(requirement(e.getKey(), Operator.EQUALS, List.of(e.getValue().asText())));
            }
        }
        JsonNode exprs = selector.path("matchExpressions");
        if (exprs.isArray()) {
            for (JsonNode expr : exprs) {
                String op = expr.path("operator").asText();
                Operator operator = switch (op) {
                    case "In" -> Operator.IN;
                    case "NotIn" -> Operator.NOT_IN;
                    case "Exists" -> Operator.EXISTS;
                    case "DoesNotExist" -> Operator.DOES_NOT_EXIST;
                    default -> throw new SelectorException("\"" + op + "\" is not a valid label selector operator");
                };
                List<String> values = new ArrayList<>();
                for (JsonNode v : expr.path("values")) values.add(v.asText());
                reqs.add(requirement(expr.path("key").asText(), operator, values));
            }
        }
        return new LabelSelector(reqs, false);
    }

    /** Validates and builds one requirement, failing like Kubernetes' {@code NewRequirement}. */
    public static Requirement requirement(String key, Operator operator, List<String> values) {
        List<String> errs = new ArrayList<>();
        List<String> keyErrs = Names.qualifiedName(key);
        if (!keyErrs.isEmpty()) errs.add("key: Invalid value: \"" + key + "\": " + String.join("; ", keyErrs));
        switch (operator) {
            case IN, NOT_IN -> {
                if (values.isEmpty()) errs.add("values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty");
            }
            case EQUALS, DOUBLE_EQUALS, NOT_EQUALS -> {
                if (values.size() != 1) errs.add("values: Invalid value: " + values + ": exact-match compatibility requires one single value");
            }
            case EXISTS, DOES_NOT_EXIST -> {
                if (!values.isEmpty()) errs.add("values: Invalid value: " + values + ": values set must be empty for exists and does not exist");
            }
            case GREATER_THAN, LESS_THAN -> {
                if (values.size() != 1) {
                    errs.add("values: Invalid value: " + values + ": for 'Gt', 'Lt' operators, exactly one value is required");
                } else {
                    try {
                        Long.parseLong(values.getFirst());
                    } catch (NumberFormatException e) {
                        errs.add("values[0]: Invalid value: \"" + values.getFirst() + "\": for 'Gt', 'Lt' operators, the value must be an integer");
                    }
                }
            }
        }
        if (operator != Operator.GREATER_THAN && operator != Operator.LESS_THAN) {
            for (int i = 0; i < values.size(); i++) {
                List<String> valueErrs = Names.labelValue(values.get(i));
                if (!valueErrs.isEmpty()) {
                    errs.add("values[" + i + "][" + key + "]: Invalid value: \"" + values.get(i) + "\": "
                            + String.join("; ", valueErrs));
                }
            }
        }
        if (errs.size() == 1) throw new SelectorException(errs.getFirst());
        if (!errs.isEmpty()) throw new SelectorException("[" + String.join(", ", errs) + "]");
        return new Requirement(key, operator, values);
    }

    public List<Requirement> requirements() {
        return requirements;
    }

    /** True when this selector selects every object. */
    public boolean isEmpty() {
        return !nothing && requirements.isEmpty();
    }

    public boolean matches(Map<String, String> labels) {
        if (nothing) return false;
        for (Requirement r : requirements) {
            if (!r.matches(labels)) return false;
        }
        return true;
    }

    /** Matches against an object's {@code metadata.labels} node (null or missing means no labels). */
    public boolean matches(JsonNode labels) {
        Map<String, String> map = new LinkedHashMap<>();
        if (labels != null && labels.isObject()) {
            for (var e : labels.properties()) map.put(e.getKey(), e.getValue().asText());
        }
        return matches(map);
    }

    /** The canonical string form, accepted back by {@link #parse}. */
    @Override
    public String toString() {
        if (nothing) return "<nothing>";
        return String.join(",", requirements.stream().map(Requirement::toString).toList());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabelSelector s && s.nothing == nothing && s.requirements.equals(requirements);
    }

    @Override
    public int hashCode() {
        return requirements.hashCode() * 31 + (nothing ? 1 : 0);
    }

    /** A hand-written lexer and recursive-descent parser for the selector grammar. */
    private static final class Parser {
        private enum Kind { IDENTIFIER, IN, NOT_IN, BANG, EQ, DOUBLE_EQ, NOT_EQ, GT, LT, OPEN, CLOSE, COMMA, END }

        private record Token(Kind kind, String text) {}

        private final String in;
        private int pos;

        Parser(String in) {
            this.in = in;
        }

        List<Requirement> parse() {
            List<Requirement> out = new ArrayList<>();
            while (true) {
                Token t = peek(false);
                switch (t.kind) {
                    case END -> {
                        return out;
                    }
                    case IDENTIFIER, BANG -> {
                        out.add(requirement());
                        Token next = next(true);
                        if (next.kind == Kind.END) return out;
                        if (next.kind != Kind.COMMA) {
                            throw fail("found '" + next.text + "', expected: ',' or 'end of string'");
                        }
                        Token after = peek(false);
                        if (after.kind != Kind.IDENTIFIER && after.kind != Kind.BANG) {
                            throw fail("found '" + after.text + "', expected: identifier after ','");
                        }
                    }
                    default -> throw fail("found '" + t.text + "', expected: !, identifier, or 'end of string'");
                }
            }
        }

        private Requirement requirement() {
            boolean negated = false;
            if (peek(false).kind == Kind.BANG) {
                next(false);
                negated = true;
            }
            Token key = next(false);
            if (key.kind != Kind.IDENTIFIER) throw fail("found '" + key.text + "', expected: identifier");
            Token after = peek(false);
            if (negated || after.kind == Kind.END || after.kind == Kind.COMMA) {
                return build(key.text, negated ? Operator.DOES_NOT_EXIST : Operator.EXISTS, List.of());
            }
            Token op = next(false);
            Operator operator = switch (op.kind) {
                case EQ -> Operator.EQUALS;
                case DOUBLE_EQ -> Operator.DOUBLE_EQUALS;
                case NOT_EQ -> Operator.NOT_EQUALS;
                case IN -> Operator.IN;
                case NOT_IN -> Operator.NOT_IN;
                case GT -> Operator.GREATER_THAN;
                case LT -> Operator.LESS_THAN;
                default -> throw fail("found '" + op.text + "', expected: '=', '!=', '==', 'in', 'notin', '>', '<'");
            };
            List<String> values = new ArrayList<>();
            if (operator == Operator.IN || operator == Operator.NOT_IN) {
                Token open = next(true);
                if (open.kind != Kind.OPEN) throw fail("found '" + open.text + "', expected: '('");
                valueList(values);
            } else {
                Token v = peek(true);
                if (v.kind == Kind.END || v.kind == Kind.COMMA) {
                    values.add("");
                } else if (v.kind == Kind.IDENTIFIER) {
                    values.add(next(true).text);
                } else {
                    throw fail("found '" + v.text + "', expected: identifier");
                }
            }
            return build(key.text, operator, values);
        }

        /** After '(': identifiers separated by commas up to ')'; an empty slot is the empty string. */
        private void valueList(List<String> values) {
            if (peek(true).kind == Kind.CLOSE) {
                next(true);
                return;
            }
            while (true) {
                Token t = next(true);
                switch (t.kind) {
                    case IDENTIFIER -> values.add(t.text);
                    case COMMA -> {
                        values.add("");
                        continue;
                    }
                    case CLOSE -> {
                        values.add("");
                        return;
                    }
                    default -> throw fail("found '" + t.text + "', expected: ',', ')' or identifier");
                }
                Token sep = next(true);
                if (sep.kind == Kind.CLOSE) return;
                if (sep.kind != Kind.COMMA) throw fail("found '" + sep.text + "', expected: ',' or ')'");
                if (peek(true).kind == Kind.CLOSE) {
                    next(true);
                    values.add("");
                    return;
                }
            }
        }

        private Requirement build(String key, Operator op, List<String> values) {
            try {
                return LabelSelector.requirement(key, op, values);
            } catch (SelectorException e) {
                throw fail(e.getMessage());
            }
        }

        private SelectorException fail(String why) {
            return new SelectorException("unable to parse requirement: " + why);
        }

        private Token peek(boolean valueContext) {
            int saved = pos;
            Token t = next(valueContext);
            pos = saved;
            return t;
        }

        /** In value context the words in/notin are plain values, so {@code a=in} selects the value "in". */
        private Token next(boolean valueContext) {
            while (pos < in.length() && Character.isWhitespace(in.charAt(pos))) pos++;
            if (pos >= in.length()) return new Token(Kind.END, "");
            char c = in.charAt(pos);
            char d = pos + 1 < in.length() ? in.charAt(pos + 1) : 0;
            switch (c) {
                case '(' -> { pos++; return new Token(Kind.OPEN, "("); }
                case ')' -> { pos++; return new Token(Kind.CLOSE, ")"); }
                case ',' -> { pos++; return new Token(Kind.COMMA, ","); }
                case '>' -> { pos++; return new Token(Kind.GT, ">"); }
                case '<' -> { pos++; return new Token(Kind.LT, "<"); }
                case '!' -> {
                    if (d == '=') { pos += 2; return new Token(Kind.NOT_EQ, "!="); }
                    pos++;
                    return new Token(Kind.BANG, "!");
                }
                case '=' -> {
                    if (d == '=') { pos += 2; return new Token(Kind.DOUBLE_EQ, "=="); }
                    pos++;
                    return new Token(Kind.EQ, "=");
                }
                default -> {
                    int start = pos;
                    while (pos < in.length() && !isSpecial(in.charAt(pos))) pos++;
                    String word = in.substring(start, pos);
                    if (!valueContext && word.equals("in")) return new Token(Kind.IN, word);
                    if (!valueContext && word.equals("notin")) return new Token(Kind.NOT_IN, word);
                    return new Token(Kind.IDENTIFIER, word);
                }
            }
        }

        private static boolean isSpecial(char c) {
            return Character.isWhitespace(c) || c == '(' || c == ')' || c == ',' || c == '!' || c == '='
                    || c == '<' || c == '>';
        }
    }
}
