package io.hypernetes.controllers.work;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events about objects as Kubernetes' event recorder does: name {@code <object>.<hex nanos>} in the
 * object's namespace, {@code involvedObject} (apiVersion, kind, namespace, name, uid, resourceVersion), reason,
 * message, type ({@code Normal} or {@code Warning}), source and reporting component, count 1. Events are
 * best-effort: a refused or failed write is logged at DEBUG and never thrown (a controller must not fail because
 * its events cannot be written). No aggregation of repeats yet.
 */
public final class EventRecorder {
    private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
    public static final String NORMAL = "Normal";
    public static final String WARNING = "Warning";
    private static final AtomicLong LAST = new AtomicLong();

    private final KubeClient client;
    private final String component;

    /** @param component the source, e.g. {@code replicaset-controller} */
    public EventRecorder(KubeClient client, String component) {
        this.client = client;
        this.component = component;
    }

    public void normal(JsonNode involved, String reason, String message) {
        record(involved, NORMAL, reason, message);
    }

    public void warning(JsonNode involved, String reason, String message) {
        record(involved, WARNING, reason, message);
    }

    /** Writes one Event about {@code involved} (an object with apiVersion, kind and metadata). */
    public void record(JsonNode involved, String type, String reason, String message) {
        String namespace = Meta.namespace(involved);
        if (namespace == null || namespace.isEmpty()) namespace = "default";
        Instant t = Instant.now();
        long nanos = LAST.updateAndGet(prev -> Math.max(prev + 1, t.getEpochSecond() * 1_000_000_000L + t.getNano()));
        String now = Meta.timestamp(t);
        ObjectNode event = Json.object().put("apiVersion", "v1").put("kind", "Event");
        event.putObject("metadata").put("name", Meta.name(involved) + "." + Long.toHexString(nanos)).put("namespace", namespace);
        ObjectNode io = event.putObject("involvedObject");
        io.put("apiVersion", involved.path("apiVersion").asText()).put("kind", involved.path("kind").asText())
                .put("namespace", namespace).put("name", Meta.name(involved));
        if (!Meta.uid(involved).isEmpty()) io.put("uid", Meta.uid(involved));
        if (!Meta.resourceVersion(involved).isEmpty()) io.put("resourceVersion", Meta.resourceVersion(involved));
        event.put("reason", reason).put("message", message).put("type", type)
                .put("firstTimestamp", now).put("lastTimestamp", now).put("count", 1)
                .put("reportingComponent", component);
        event.putObject("source").put("component", component);
        try {
            KubeClient.Response r = client.post("/api/v1/namespaces/" + namespace + "/events", event);
            if (r.code() != 201) log.debug("{} event for {}/{} refused: {} {}", reason, namespace, Meta.name(involved), r.code(), r.text());
        } catch (RuntimeException e) {
            log.debug("{} event for {}/{} not written: {}", reason, namespace, Meta.name(involved), e.toString());
        }
    }
}
