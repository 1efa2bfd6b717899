package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** A node taint: {@code spec.taints[]}. Effects: {@code NoSchedule}, {@code PreferNoSchedule}, {@code NoExecute}. */
public record Taint(String key, String value, String effect) {
    public static final String NO_SCHEDULE = "NoSchedule";
    public static final String PREFER_NO_SCHEDULE = "PreferNoSchedule";
    public static final String NO_EXECUTE = "NoExecute";

    public static List<Taint> listOf(JsonNode taints) {
        if (!taints.isArray() || taints.isEmpty()) return List.of();
        List<Taint> out = new ArrayList<>(taints.size());
        for (JsonNode t : taints) {
            out.add(new Taint(t.path("key").asText(""), t.path("value").asText(""), t.path("effect").asText("")));
        }
        return List.copyOf(out);
    }

    /** As kube-scheduler prints a taint in its reasons: {@code {key: value}}. */
    @Override
    public String toString() {
        return "{" + key + ": " + value + "}";
    }
}
