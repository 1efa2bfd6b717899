package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.quantity.Quantity;
import io.hypernetes.api.quantity.QuantityFormatException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable view of one node as scheduling sees it: what the node offers and what the pods on it (bound or
 * assumed) take. The cache builds a new one whenever the node or its pods change, so a snapshot handed to a
 * scheduling cycle never moves under it.
 *
 * @param allocatable   {@code status.allocatable} per resource, else {@code status.capacity}, else nothing
 * @param ready         the {@code Ready} condition is {@code True}
 * @param readyStatus   that condition's status: {@code True}, {@code False}, {@code Unknown}, or empty when absent
 * @param unschedulable {@code spec.unschedulable} (cordoned)
 * @param pods          the pods on the node by {@code namespace/name}, with what each takes
 * @param requested     the sum of {@code pods}' requests; {@code pods} counts them
 */
public record NodeInfo(String name, Map<String, String> labels, List<Taint> taints, boolean ready, String readyStatus,
                       boolean unschedulable, Resources allocatable, Map<String, PodRequest> pods, Resources requested) {

    public NodeInfo {
        pods = Collections.unmodifiableMap(pods);
    }

    /** The node with no pods on it. */
    public static NodeInfo of(JsonNode node) {
        JsonNode status = node.path("status");
        String readyStatus = "";
        for (JsonNode c : status.path("conditions")) {
            if (c.path("type").asText().equals("Ready")) readyStatus = c.path("status").asText("");
        }
        Resources allocatable = new Resources(
                milli(resource(status, "cpu")), bytes(resource(status, "memory")), bytes(resource(status, "pods")));
        return new NodeInfo(Meta.name(node), Map.copyOf(PodInfo.strings(node.path("metadata").path("labels"))),
                Taint.listOf(node.path("spec").path("taints")), readyStatus.equals("True"), readyStatus,
                node.path("spec").path("unschedulable").asBoolean(false), allocatable, Map.of(), Resources.NONE);
    }

    /** This node with {@code key} on it taking {@code request} (replacing what it took before, if it was here). */
    public NodeInfo withPod(String key, PodRequest request) {
        Map<String, PodRequest> next = new LinkedHashMap<>(pods);
        PodRequest old = next.put(key, request);
        Resources req = requested.plus(request.asResources());
        if (old != null) req = req.minus(old.asResources());
        return new NodeInfo(name, labels, taints, ready, readyStatus, unschedulable, allocatable, next, req);
    }

    /** This node without {@code key}; itself if the pod is not here. */
    public NodeInfo withoutPod(String key) {
        if (!pods.containsKey(key)) return this;
        Map<String, PodRequest> next = new LinkedHashMap<>(pods);
        PodRequest old = next.remove(key);
        return new NodeInfo(name, labels, taints, ready, readyStatus, unschedulable, allocatable, next,
                requested.minus(old.asResources()));
    }

    /** The node as {@code node} now describes it, keeping the pods on it. */
    public NodeInfo withNode(JsonNode node) {
        NodeInfo fresh = of(node);
        return new NodeInfo(fresh.name, fresh.labels, fresh.taints, fresh.ready, fresh.readyStatus,
                fresh.unschedulable, fresh.allocatable, pods, requested);
    }

    /** Whether filters and scores would see these two alike, the pods on the node aside. */
    public boolean sameSchedulingView(NodeInfo other) {
        return labels.equals(other.labels) && taints.equals(other.taints) && readyStatus.equals(other.readyStatus)
                && unschedulable == other.unschedulable && allocatable.equals(other.allocatable);
    }

    private static JsonNode resource(JsonNode status, String name) {
        JsonNode v = status.path("allocatable").path(name);
        return v.isMissingNode() || v.isNull() ? status.path("capacity").path(name) : v;
    }

    // A quantity that does not parse offers nothing: the node takes no pods asking for it rather than failing.
    private static long milli(JsonNode v) {
        Quantity q = quantity(v);
        try {
            return q == null ? 0 : Math.max(0, q.milliValue());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    private static long bytes(JsonNode v) {
        Quantity q = quantity(v);
        try {
            return q == null ? 0 : Math.max(0, q.value());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    private static Quantity quantity(JsonNode v) {
        if (v.isMissingNode() || v.isNull()) return null;
        try {
            return Quantity.fromJson(v);
        } catch (QuantityFormatException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return name + requested + "/" + allocatable;
    }
}
