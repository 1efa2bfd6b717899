package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;

/** Nodes and pods as the API server serves them, built tersely. */
final class Fixtures {
    private Fixtures() {}

    static ObjectNode yaml(String text) {
        try {
            return (ObjectNode) Json.YAML.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A Ready node with allocatable cpu, memory and pods (null leaves a resource out). */
    static ObjectNode node(String name, String cpu, String memory, Integer pods) {
        ObjectNode n = Json.object();
        n.put("apiVersion", "v1").put("kind", "Node");
        n.putObject("metadata").put("name", name);
        ObjectNode status = n.putObject("status");
        ObjectNode alloc = status.putObject("allocatable");
        if (cpu != null) alloc.put("cpu", cpu);
        if (memory != null) alloc.put("memory", memory);
        if (pods != null) alloc.put("pods", pods.toString());
        status.putArray("conditions").addObject().put("type", "Ready").put("status", "True");
        return n;
    }

    static ObjectNode node(String name, String cpu, String memory) {
        return node(name, cpu, memory, 110);
    }

    static ObjectNode label(ObjectNode obj, String key, String value) {
        ObjectNode meta = (ObjectNode) obj.get("metadata");
        (meta.has("labels") ? (ObjectNode) meta.get("labels") : meta.putObject("labels")).put(key, value);
        return obj;
    }

    static ObjectNode taint(ObjectNode node, String key, String value, String effect) {
        ObjectNode spec = node.has("spec") ? (ObjectNode) node.get("spec") : node.putObject("spec");
        ArrayNode taints = spec.has("taints") ? (ArrayNode) spec.get("taints") : spec.putArray("taints");
        ObjectNode t = taints.addObject().put("key", key).put("effect", effect);
        if (value != null) t.put("value", value);
        return node;
    }

    static ObjectNode ready(ObjectNode node, String status) {
        ((ObjectNode) node.path("status").path("conditions").get(0)).put("status", status);
        return node;
    }

    /** A pending pod requesting cpu and memory (null leaves a resource out) in one container. */
    static ObjectNode pod(String name, String cpu, String memory) {
        ObjectNode p = Json.object();
        p.put("apiVersion", "v1").put("kind", "Pod");
        p.putObject("metadata").put("name", name).put("namespace", "ns1")
                .put("uid", "uid-" + name).put("creationTimestamp", "2025-01-01T00:00:00Z");
        ObjectNode c = p.putObject("spec").putArray("containers").addObject().put("name", "c").put("image", "nginx");
        ObjectNode requests = c.putObject("resources").putObject("requests");
        if (cpu != null) requests.put("cpu", cpu);
        if (memory != null) requests.put("memory", memory);
        return p;
    }

    /** {@code obj.field}, created empty if absent. */
    static ObjectNode obj(ObjectNode obj, String field) {
        return obj.get(field) instanceof ObjectNode o ? o : obj.putObject(field);
    }

    static ObjectNode spec(ObjectNode pod) {
        return (ObjectNode) pod.get("spec");
    }

    static ObjectNode tolerate(ObjectNode pod, String key, String operator, String value, String effect) {
        ArrayNode ts = spec(pod).has("tolerations") ? (ArrayNode) spec(pod).get("tolerations") : spec(pod).putArray("tolerations");
        ObjectNode t = ts.addObject();
        if (key != null) t.put("key", key);
        if (operator != null) t.put("operator", operator);
        if (value != null) t.put("value", value);
        if (effect != null) t.put("effect", effect);
        return pod;
    }

    static ObjectNode boundTo(ObjectNode pod, String node) {
        spec(pod).put("nodeName", node);
        return pod;
    }

    static PodInfo info(ObjectNode pod) {
        return PodInfo.of(pod);
    }

    static NodeInfo nodeInfo(ObjectNode node, ObjectNode... pods) {
        NodeInfo n = NodeInfo.of(node);
        for (ObjectNode p : pods) n = n.withPod(PodInfo.key(p), PodRequest.of(p));
        return n;
    }

    static List<NodeInfo> nodes(ObjectNode... nodes) {
        return java.util.Arrays.stream(nodes).map(NodeInfo::of).toList();
    }

    /** A clock tests move by hand. */
    static final class ManualClock implements InstantSource {
        private volatile Instant now = Instant.parse("2025-01-01T00:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }
}
