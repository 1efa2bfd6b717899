package io.hypernetes.controllers.replicaset;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Meta;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** What controllers ask of a pod, as Kubernetes' podutil answers it. */
public final class Pods {
    private Pods() {}

    /** Not finished (phase Succeeded or Failed) and not being deleted. */
    public static boolean active(JsonNode pod) {
        String phase = pod.path("status").path("phase").asText();
        return !phase.equals("Succeeded") && !phase.equals("Failed") && !Meta.deleting(pod);
    }

    /** The pod's Ready condition, or a missing node. */
    static JsonNode readyCondition(JsonNode pod) {
        for (JsonNode c : pod.path("status").path("conditions")) if (c.path("type").asText().equals("Ready")) return c;
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    /** Its Ready condition is True. */
    public static boolean ready(JsonNode pod) {
        return readyCondition(pod).path("status").asText().equals("True");
    }

    /** When it last became Ready, or null. */
    static Instant readySince(JsonNode pod) {
        JsonNode c = readyCondition(pod);
        if (!c.path("status").asText().equals("True")) return null;
        return time(c.path("lastTransitionTime").asText());
    }

    /** Ready for at least {@code minReadySeconds} at {@code now} (Kubernetes' IsPodAvailable). */
    public static boolean available(JsonNode pod, int minReadySeconds, Instant now) {
        if (!ready(pod)) return false;
        if (minReadySeconds <= 0) return true;
        Instant since = readySince(pod);
        return since != null && !since.plusSeconds(minReadySeconds).isAfter(now);
    }

    static Instant time(String text) {
        if (text == null || text.isEmpty()) return null;
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
