package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Meta;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What scheduling reads from a pod, parsed once per attempt rather than once per node.
 *
 * @param key            {@code namespace/name}
 * @param priority       {@code spec.priority}, 0 when unset
 * @param created        {@code metadata.creationTimestamp}, {@link Instant#EPOCH} when unset
 * @param nodeName       {@code spec.nodeName}, empty while unscheduled
 * @param requiredAffinity required node affinity, or null when the pod has none
 */
public record PodInfo(JsonNode pod, String key, int priority, Instant created, String nodeName, String schedulerName,
                      PodRequest request, Map<String, String> nodeSelector, NodeSelector requiredAffinity,
                      List<PreferredTerm> preferredAffinity, List<Toleration> tolerations) {

    public static final String DEFAULT_SCHEDULER = "default-scheduler";

    /** A {@code preferredDuringSchedulingIgnoredDuringExecution} entry. */
    public record PreferredTerm(int weight, NodeSelector.Term term) {}

    public static PodInfo of(JsonNode pod) {
        JsonNode spec = pod.path("spec");
        JsonNode affinity = spec.path("affinity").path("nodeAffinity");
        JsonNode required = affinity.path("requiredDuringSchedulingIgnoredDuringExecution");
        List<PreferredTerm> preferred = new ArrayList<>();
        for (JsonNode p : affinity.path("preferredDuringSchedulingIgnoredDuringExecution")) {
            preferred.add(new PreferredTerm(p.path("weight").asInt(0), NodeSelector.Term.of(p.path("preference"))));
        }
        String schedulerName = spec.path("schedulerName").asText("");
        return new PodInfo(pod, key(pod), spec.path("priority").asInt(0), created(pod), spec.path("nodeName").asText(""),
                schedulerName.isEmpty() ? DEFAULT_SCHEDULER : schedulerName, PodRequest.of(pod),
                strings(spec.path("nodeSelector")), required.isObject() ? NodeSelector.of(required) : null,
                List.copyOf(preferred), Toleration.listOf(spec.path("tolerations")));
    }

    /** {@code namespace/name}: how the queue and the cache know a pod. */
    public static String key(JsonNode pod) {
        return Meta.namespace(pod) + "/" + Meta.name(pod);
    }

    public String namespace() {
        return Meta.namespace(pod);
    }

    public String name() {
        return Meta.name(pod);
    }

    static Map<String, String> strings(JsonNode map) {
        if (!map.isObject() || map.isEmpty()) return Map.of();
        Map<String, String> out = new LinkedHashMap<>();
        map.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static Instant created(JsonNode pod) {
        String t = Meta.text(pod, "creationTimestamp");
        if (t.isEmpty()) return Instant.EPOCH;
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException e) {
            return Instant.EPOCH;
        }
    }

    @Override
    public String toString() {
        return key;
    }
}
