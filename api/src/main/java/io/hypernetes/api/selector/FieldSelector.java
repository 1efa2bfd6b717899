package io.hypernetes.api.selector;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A field selector ({@code fieldSelector=metadata.name=foo,status.phase!=Running}): the AND of equality and
 * inequality tests on fields of an object.
 *
 * <p>Values may escape {@code \}, {@code ,} and {@code =} with a backslash, as Kubernetes' {@code
 * fields.EscapeValue} does; field names are taken literally. Which fields a resource supports is the API
 * server's business: it checks {@link #fields()} against {@code ResourceType.fieldSelectors()} plus
 * {@code metadata.name} and {@code metadata.namespace}.
 *
 * @param requirements the tests, in the order written
 */
public record FieldSelector(List<Requirement> requirements) {

    public static final FieldSelector EVERYTHING = new FieldSelector(List.of());

    /**
     * Field selector names that are not JSON paths in the object. Kubernetes exposes an Event's
     * {@code source.component} as {@code source}.
     */
    private static final Map<String, String> PATHS = Map.of("source", "source.component");

    /** Boolean fields Kubernetes always reports, as "false" when unset. */
    private static final Set<String> BOOLEAN_FIELDS = Set.of("spec.unschedulable", "spec.hostNetwork");

    /**
     * One test.
     *
     * @param field the field name as written, e.g. {@code status.phase}
     * @param operator {@link Operator#EQUALS}, {@link Operator#DOUBLE_EQUALS} or {@link Operator#NOT_EQUALS}
     * @param value the unescaped value
     */
    public record Requirement(String field, Operator operator, String value) {
        @Override
        public String toString() {
            return field + operator.symbol + escape(value);
        }
    }

    public FieldSelector {
        requirements = List.copyOf(requirements);
    }

    /**
     * Parses the query syntax. An empty or null string selects everything.
     *
     * @throws SelectorException on a term without an operator or a bad escape in a value
     */
    public static FieldSelector parse(String text) {
        if (text == null || text.isEmpty()) return EVERYTHING;
        List<Requirement> out = new ArrayList<>();
        for (String term : splitTerms(text)) {
            if (term.isEmpty()) continue;
            out.add(parseTerm(text, term));
        }
        return new FieldSelector(out);
    }

    /** Splits on commas that are not escaped; the escapes stay in place for the value parser. */
    private static List<String> splitTerms(String text) {
        List<String> terms = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == ',') {
                terms.add(text.substring(start, i));
                start = i + 1;
            }
        }
        terms.add(text.substring(start));
        return terms;
    }

    private static Requirement parseTerm(String whole, String term) {
        for (int i = 0; i < term.length(); i++) {
            char c = term.charAt(i);
            if (c == '\\') {
                i++;
                continue;
            }
            // Longest operators first, so "a!=b" is not read as field "a!" equals "b".
            if (term.startsWith("!=", i)) return build(term.substring(0, i), Operator.NOT_EQUALS, term.substring(i + 2));
            if (term.startsWith("==", i)) return build(term.substring(0, i), Operator.DOUBLE_EQUALS, term.substring(i + 2));
            if (c == '=') return build(term.substring(0, i), Operator.EQUALS, term.substring(i + 1));
        }
        throw new SelectorException("invalid selector: '" + whole + "'; can't understand '" + term + "'");
    }

    private static Requirement build(String field, Operator op, String rawValue) {
        return new Requirement(field, op, unescape(rawValue));
    }

    static String unescape(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\') {
                if (i + 1 >= value.length()) {
                    throw new SelectorException("invalid field selector: invalid escape sequence: '\\'");
                }
                char next = value.charAt(++i);
                if (next != '\\' && next != ',' && next != '=') {
                    throw new SelectorException("invalid field selector: invalid escape sequence: '\\" + next + "'");
                }
                out.append(next);
            } else if (c == ',' || c == '=') {
                throw new SelectorException("invalid field selector: unescaped character in value: '" + c + "'");
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Escapes a value so that {@link #parse} reads it back unchanged. */
    public static String escape(String value) {
        return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=");
    }

    /** The distinct field names this selector tests, for the API server's supported-field check. */
    public Set<String> fields() {
        Set<String> out = new LinkedHashSet<>();
        for (Requirement r : requirements) out.add(r.field);
        return out;
    }

    public boolean isEmpty() {
        return requirements.isEmpty();
    }

    /**
     * The one value this selector pins {@code field} to, if it has an equality test on it: lets a watch or
     * list on {@code metadata.name=x} look at one object instead of scanning.
     */
    public Optional<String> exactValue(String field) {
        for (Requirement r : requirements) {
            if (r.field.equals(field) && r.operator.isEquality()) return Optional.of(r.value);
        }
        return Optional.empty();
    }

    /** Tests an object; a missing field reads as the empty string (boolean flags as "false"). */
    public boolean matches(JsonNode object) {
        for (Requirement r : requirements) {
            boolean equal = fieldValue(object, r.field).equals(r.value);
            if (r.operator == Operator.NOT_EQUALS ? equal : !equal) return false;
        }
        return true;
    }

    /** The text value a field selector sees for {@code field} in {@code object}. */
    public static String fieldValue(JsonNode object, String field) {
        JsonNode node = object;
        for (String part : PATHS.getOrDefault(field, field).split("\\.", -1)) {
            if (node == null || !node.isObject()) {
                node = null;
                break;
            }
            node = node.get(part);
        }
        if (node == null || node.isNull() || node.isContainerNode()) {
            return BOOLEAN_FIELDS.contains(field) ? "false" : "";
        }
        return node.asText();
    }

    @Override
    public String toString() {
        return String.join(",", requirements.stream().map(Requirement::toString).toList());
    }
}
