package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A pod toleration: {@code spec.tolerations[]}, matched against taints as Kubernetes matches them.
 *
 * @param operator {@code Equal} (the default when empty) or {@code Exists}
 * @param effect   empty to tolerate every effect
 */
public record Toleration(String key, String operator, String value, String effect) {

    public static List<Toleration> listOf(JsonNode tolerations) {
        if (!tolerations.isArray() || tolerations.isEmpty()) return List.of();
        List<Toleration> out = new ArrayList<>(tolerations.size());
        for (JsonNode t : tolerations) {
            out.add(new Toleration(t.path("key").asText(""), t.path("operator").asText(""),
                    t.path("value").asText(""), t.path("effect").asText("")));
        }
        return List.copyOf(out);
    }

    /**
     * Whether this toleration tolerates {@code taint}: the effects agree (or this names none); the keys agree, or
     * this names none with {@code Exists} (tolerating every taint); and {@code Exists} or equal values.
     */
    public boolean tolerates(Taint taint) {
        if (!effect.isEmpty() && !effect.equals(taint.effect())) return false;
        if (!key.isEmpty() && !key.equals(taint.key())) return false;
        return switch (operator) {
            case "Exists" -> true;
            case "", "Equal" -> value.equals(taint.value());
            default -> false;
        };
    }

    /** Whether any of {@code tolerations} tolerates {@code taint}. */
    public static boolean anyTolerates(List<Toleration> tolerations, Taint taint) {
        for (Toleration t : tolerations) {
            if (t.tolerates(taint)) return true;
        }
        return false;
    }
}
