package io.hypernetes.api.selector;

import java.util.List;
import java.util.Map;

/**
 * One clause of a label selector: {@code key op values}. Values are kept sorted and unique so that equal
 * selectors print equally.
 */
public record Requirement(String key, Operator operator, List<String> values) {

    public Requirement {
        values = List.copyOf(new java.util.TreeSet<>(values));
    }

    public boolean matches(Map<String, String> labels) {
        String value = labels.get(key);
        return switch (operator) {
            case EQUALS, DOUBLE_EQUALS, IN -> value != null && values.contains(value);
            case NOT_EQUALS, NOT_IN -> value == null || !values.contains(value);
            case EXISTS -> labels.containsKey(key);
            case DOES_NOT_EXIST -> !labels.containsKey(key);
            case GREATER_THAN, LESS_THAN -> {
                if (value == null) yield false;
                long have;
                try {
                    have = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    // A label that is not a number is neither greater nor less, as in Kubernetes.
                    yield false;
                }
                long want = Long.parseLong(values.getFirst());
                yield operator == Operator.GREATER_THAN ? have > want : have < want;
            }
        };
    }

    @Override
    public String toString() {
        return switch (operator) {
            case EXISTS -> key;
            case DOES_NOT_EXIST -> "!" + key;
            case IN, NOT_IN -> key + " " + operator.symbol + " (" + String.join(",", values) + ")";
            default -> key + operator.symbol + values.getFirst();
        };
    }
}
