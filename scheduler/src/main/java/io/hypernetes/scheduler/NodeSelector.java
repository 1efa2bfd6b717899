package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A node selector as node affinity writes it: terms ORed, each term's {@code matchExpressions} (on labels) and
 * {@code matchFields} (on {@code metadata.name}) ANDed. A term with no requirement, or with one that is not
 * well formed (an unknown operator, {@code Gt} without one integer), matches no node, as in Kubernetes.
 */
public record NodeSelector(List<Term> terms) {

    public record Term(List<Requirement> expressions, List<Requirement> fields) {
        public boolean matches(String nodeName, Map<String, String> labels) {
            if (expressions.isEmpty() && fields.isEmpty()) return false;
            for (Requirement r : expressions) {
                if (!r.matches(labels.get(r.key()), labels.containsKey(r.key()))) return false;
            }
            for (Requirement r : fields) {
                // Kubernetes supports only metadata.name, with In and NotIn.
                if (!r.key().equals("metadata.name") || !(r.operator().equals("In") || r.operator().equals("NotIn"))) {
                    return false;
                }
                if (!r.matches(nodeName, true)) return false;
            }
            return true;
        }

        static Term of(JsonNode term) {
            return new Term(requirements(term.path("matchExpressions")), requirements(term.path("matchFields")));
        }
    }

    /** {@code key operator values}; operators In, NotIn, Exists, DoesNotExist, Gt, Lt. */
    public record Requirement(String key, String operator, List<String> values) {
        boolean matches(String value, boolean present) {
            return switch (operator) {
                case "In" -> present && values.contains(value);
                case "NotIn" -> !present || !values.contains(value);
                case "Exists" -> present;
                case "DoesNotExist" -> !present;
                case "Gt", "Lt" -> {
                    if (!present || values.size() != 1) yield false;
                    Long have = parseLong(value);
                    Long want = parseLong(values.getFirst());
                    if (have == null || want == null) yield false;
                    yield operator.equals("Gt") ? have > want : have < want;
                }
                default -> false;
            };
        }

        private static Long parseLong(String s) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    /** Whether any term matches the node. */
    public boolean matches(String nodeName, Map<String, String> labels) {
        for (Term t : terms) {
            if (t.matches(nodeName, labels)) return true;
        }
        return false;
    }

    /** {@code {nodeSelectorTerms: [...]}}. */
    public static NodeSelector of(JsonNode selector) {
        List<Term> terms = new ArrayList<>();
        for (JsonNode t : selector.path("nodeSelectorTerms")) terms.add(Term.of(t));
        return new NodeSelector(List.copyOf(terms));
    }

    private static List<Requirement> requirements(JsonNode list) {
        if (!list.isArray() || list.isEmpty()) return List.of();
        List<Requirement> out = new ArrayList<>(list.size());
        for (JsonNode r : list) {
            List<String> values = new ArrayList<>();
            for (JsonNode v : r.path("values")) values.add(v.asText());
            out.add(new Requirement(r.path("key").asText(""), r.path("operator").asText(""), List.copyOf(values)));
        }
        return List.copyOf(out);
    }
}
