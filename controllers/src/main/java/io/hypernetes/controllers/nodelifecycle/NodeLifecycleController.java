package io.hypernetes.controllers.nodelifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import io.hypernetes.client.event.EventRecorder;
import io.hypernetes.client.work.WorkQueue;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches node heartbeats and takes unreachable nodes out of service, as Kubernetes' node lifecycle controller does.
 *
 * <p>A node's heartbeat is the newer of its Lease in {@value #LEASE_NAMESPACE} ({@code spec.renewTime}, the Lease
 * named as the node) and its Ready condition's {@code lastHeartbeatTime} (the node's creation when it has neither).
 * Once {@link Config#nodeMonitorGracePeriod} passes without one, the node's conditions become Unknown (reason
 * {@value #REASON_UNKNOWN}, written through {@code nodes/{name}/status}), its pods' Ready conditions False, and a
 * {@code NodeNotReady} Event is recorded. The node's taints follow its Ready condition: Unknown gives
 * {@value #UNREACHABLE}, False gives {@value #NOT_READY}, each with effects NoSchedule and NoExecute (NoExecute
 * stamped with {@code timeAdded}); True removes them (its agent reported again).
 *
 * <p>Pods on a node with NoExecute taints are evicted (deleted, Event {@code TaintManagerEviction}) once the
 * taints have lasted their toleration: a pod tolerating a taint without {@code tolerationSeconds} may stay for it,
 * with {@code tolerationSeconds} for that long, and a taint it does not tolerate is given
 * {@link Config#podEvictionTimeout} (what Kubernetes' DefaultTolerationSeconds admission would have added). The
 * soonest deadline over the node's NoExecute taints counts; pods tolerating every one forever stay.
 *
 * <p>Event-driven from shared informers of nodes, node Leases and pods, with a queue of node names that also
 * schedules the next look at each node (its grace period running out, its next eviction).
 */
public final class NodeLifecycleController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeLifecycleController.class);
    public static final String LEASE_NAMESPACE = "kube-node-lease";
    public static final String UNREACHABLE = "node.kubernetes.io/unreachable";
    public static final String NOT_READY = "node.kubernetes.io/not-ready";
    static final String REASON_UNKNOWN = "NodeStatusUnknown";
    static final String BY_NODE = "nodelifecycle.nodeName";
    private static final Duration SLACK = Duration.ofMillis(100);

    /**
     * @param nodeMonitorGracePeriod how long a node may go without a heartbeat before it counts as unreachable
     * @param podEvictionTimeout how long pods not tolerating a NoExecute taint stay on the tainted node
     */
    public record Config(Duration nodeMonitorGracePeriod, Duration podEvictionTimeout, int workers) {
        public static final Config DEFAULT = new Config(Duration.ofSeconds(40), Duration.ofMinutes(5), 2);

        public Config withNodeMonitorGracePeriod(Duration d) {
            return new Config(d, podEvictionTimeout, workers);
        }

        public Config withPodEvictionTimeout(Duration d) {
            return new Config(nodeMonitorGracePeriod, d, workers);
        }
    }

    private final KubeClient client;
    private final Config config;
    private final Informer nodes;
    private final Informer leases;
    private final Informer pods;
    private final EventRecorder events;
    private final WorkQueue queue = new WorkQueue("nodelifecycle");
    private final List<Informer.Registration> registrations = new ArrayList<>();

    private NodeLifecycleController(InformerFactory factory, Config config) {
        this.client = factory.client();
        this.config = config;
        this.nodes = factory.informer("/api/v1/nodes");
        this.leases = factory.informer("/apis/coordination.k8s.io/v1/namespaces/" + LEASE_NAMESPACE + "/leases");
        this.pods = factory.informer("/api/v1/pods");
        try {
            pods.addIndex(BY_NODE, Informer.fieldIndex("spec.nodeName"));
        } catch (IllegalArgumentException e) {
            // added by an earlier controller of this kind on the shared informer
        }
        this.events = new EventRecorder(client, "node-controller");
    }

    public static NodeLifecycleController start(InformerFactory informers) {
        return start(informers, Config.DEFAULT);
    }

    /** Runs the controller on the process's shared informers (and their client); closing it leaves them running. */
    public static NodeLifecycleController start(InformerFactory informers, Config config) {
        NodeLifecycleController c = new NodeLifecycleController(informers, config);
        c.registrations.add(c.nodes.addHandler(ResourceEventHandler.of(
                node -> c.queue.add(Meta.name(node)),
                (old, node) -> c.queue.add(Meta.name(node)),
                o -> { })));
        c.registrations.add(c.leases.addHandler(ResourceEventHandler.of(
                lease -> c.queue.add(Meta.name(lease)),
                (old, lease) -> c.queue.add(Meta.name(lease)),
                o -> { })));
        c.registrations.add(c.pods.addHandler(ResourceEventHandler.of(
                pod -> c.podChanged(pod),
                (old, pod) -> c.podChanged(pod),
                o -> { })));
        c.queue.run(config.workers(), c::reconcile);
        return c;
    }

    /** A pod on a node with NoExecute taints may need an eviction (scheduled later, or its tolerations changed). */
    private void podChanged(ObjectNode pod) {
        String node = pod.path("spec").path("nodeName").asText("");
        if (node.isEmpty() || Meta.deleting(pod)) return;
        nodes.get(null, node).ifPresent(n -> {
            if (!noExecuteTaints(n).isEmpty()) queue.add(node);
        });
    }

    private void reconcile(String name) {
        Optional<ObjectNode> cached = nodes.get(null, name);
        if (cached.isEmpty()) return;
        ObjectNode node = cached.get();
        Instant now = Instant.now();
        Instant heartbeat = heartbeat(node);
        Instant expires = heartbeat.plus(config.nodeMonitorGracePeriod());
        boolean stale = now.isAfter(expires);
        String ready = readyStatus(node);
        Duration next = stale ? null : Duration.between(now, expires).plus(SLACK);

        if (stale && !ready.equals("Unknown")) {
            node = markUnknown(node, now);
            log.info("node {}: no heartbeat since {}, status Unknown", name, heartbeat);
            events.record(node, "Normal", "NodeNotReady", "Node " + name + " status is now: NodeNotReady");
            markPodsNotReady(name);
            ready = "Unknown";
        }
        node = taint(node, ready, now);
        Duration again = sooner(next, evict(node, now));
        if (again != null) queue.addAfter(name, again);
    }

    private static Duration sooner(Duration a, Duration b) {
        if (a == null) return b;
        if (b == null) return a;
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** The newer of the node's Lease renewal and Ready heartbeat; its creation when it has neither. */
    private Instant heartbeat(ObjectNode node) {
        Instant best = null;
        Optional<ObjectNode> lease = leases.get(LEASE_NAMESPACE, Meta.name(node));
        if (lease.isPresent()) best = later(best, time(lease.get().path("spec").path("renewTime")));
        best = later(best, time(readyCondition(node).path("lastHeartbeatTime")));
        if (best == null) best = time(node.path("metadata").path("creationTimestamp"));
        return best == null ? Instant.now() : best;
    }

    private static Instant later(Instant a, Instant b) {
        if (a == null) return b;
        if (b == null) return a;
        return a.isAfter(b) ? a : b;
    }

    private static Instant time(JsonNode t) {
        if (!t.isTextual()) return null;
        try {
            return Instant.parse(t.asText());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static JsonNode readyCondition(JsonNode node) {
        for (JsonNode c : node.path("status").path("conditions")) if (c.path("type").asText().equals("Ready")) return c;
        return Json.MAPPER.missingNode();
    }

    private static String readyStatus(JsonNode node) {
        return readyCondition(node).path("status").asText("");
    }

    /** Sets every condition (and Ready, added when missing) Unknown through the status subresource. */
    private ObjectNode markUnknown(ObjectNode cachedNode, Instant now) {
        ObjectNode node = cachedNode.deepCopy();
        ArrayNode conditions = node.withObject("/status").withArray("conditions");
        boolean hasReady = false;
        String ts = Meta.timestamp(now);
        for (JsonNode c : conditions) {
            ObjectNode o = (ObjectNode) c;
            if (o.path("type").asText().equals("Ready")) hasReady = true;
            if (o.path("status").asText().equals("Unknown")) continue;
            o.put("status", "Unknown").put("reason", REASON_UNKNOWN).put("message", "Kubelet stopped posting node status.")
                    .put("lastTransitionTime", ts);
        }
        if (!hasReady) {
            conditions.addObject().put("type", "Ready").put("status", "Unknown").put("reason", REASON_UNKNOWN)
                    .put("message", "Kubelet never posted node status.").put("lastTransitionTime", ts).put("lastHeartbeatTime", ts);
        }
        KubeClient.Response r = client.put("/api/v1/nodes/" + Meta.name(node) + "/status", node);
        if (r.code() != 200) throw failure("node " + Meta.name(node) + " status", r);
        return (ObjectNode) r.json();
    }

    /** Sets the Ready condition of the node's pods False (the node cannot vouch for them any more). */
    private void markPodsNotReady(String nodeName) {
        for (ObjectNode cached : pods.byIndex(BY_NODE, nodeName)) {
            if (Meta.deleting(cached)) continue;
            ObjectNode pod = cached.deepCopy();
            boolean changed = false;
            for (JsonNode c : pod.path("status").path("conditions")) {
                if (c.path("type").asText().equals("Ready") && !c.path("status").asText().equals("False")) {
                    ((ObjectNode) c).put("status", "False").put("lastTransitionTime", Meta.timestamp(Instant.now()));
                    changed = true;
                }
            }
            if (!changed) continue;
            KubeClient.Response r = client.put("/api/v1/namespaces/" + Meta.namespace(pod) + "/pods/" + Meta.name(pod) + "/status", pod);
            if (r.code() != 200 && r.code() != 404) log.info("pod {}/{} not ready: {}", Meta.namespace(pod), Meta.name(pod), r.code());
        }
    }

    /** Makes the node's unreachable / not-ready taints match its Ready status; answers the node as it now is. */
    private ObjectNode taint(ObjectNode node, String ready, Instant now) {
        String want = switch (ready) {
            case "Unknown" -> UNREACHABLE;
            case "False" -> NOT_READY;
            default -> null;
        };
        ArrayNode current = node.path("spec").path("taints") instanceof ArrayNode a ? a : Json.MAPPER.createArrayNode();
        ArrayNode next = Json.MAPPER.createArrayNode();
        boolean haveSchedule = false;
        boolean haveExecute = false;
        for (JsonNode t : current) {
            String key = t.path("key").asText();
            if (!key.equals(UNREACHABLE) && !key.equals(NOT_READY)) {
                next.add(t);
            } else if (key.equals(want)) {
                String effect = t.path("effect").asText();
                if (effect.equals("NoSchedule") && !haveSchedule) {
                    haveSchedule = true;
                    next.add(t);
                } else if (effect.equals("NoExecute") && !haveExecute) {
                    haveExecute = true;
                    next.add(t);
                }
            }
        }
        if (want != null && !haveSchedule) next.addObject().put("key", want).put("effect", "NoSchedule");
        if (want != null && !haveExecute) next.addObject().put("key", want).put("effect", "NoExecute").put("timeAdded", Meta.timestamp(now));
        if (next.equals(current) || (next.isEmpty() && current.isEmpty())) return node;
        ObjectNode updated = node.deepCopy();
        if (next.isEmpty()) ((ObjectNode) updated.path("spec")).remove("taints");
        else updated.withObject("/spec").set("taints", next);
        KubeClient.Response r = client.put("/api/v1/nodes/" + Meta.name(node), updated);
        if (r.code() != 200) throw failure("node " + Meta.name(node) + " taints", r);
        if (want == null) {
            log.info("node {}: ready again, taints removed", Meta.name(node));
            events.record(node, "Normal", "NodeReady", "Node " + Meta.name(node) + " status is now: NodeReady");
        } else {
            log.info("node {}: tainted {}", Meta.name(node), want);
        }
        return (ObjectNode) r.json();
    }

    private static List<JsonNode> noExecuteTaints(JsonNode node) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode t : node.path("spec").path("taints")) if (t.path("effect").asText().equals("NoExecute")) out.add(t);
        return out;
    }

    /** Deletes the node's pods whose tolerations have run out; answers when to look again, or null. */
    private Duration evict(ObjectNode node, Instant now) {
        List<JsonNode> taints = noExecuteTaints(node);
        if (taints.isEmpty()) return null;
        Duration next = null;
        for (ObjectNode pod : pods.byIndex(BY_NODE, Meta.name(node))) {
            if (Meta.deleting(pod)) continue;
            Instant deadline = deadline(pod, taints, now);
            if (deadline == null) continue;
            if (now.isBefore(deadline)) {
                next = sooner(next, Duration.between(now, deadline).plus(SLACK));
                continue;
            }
            String path = "/api/v1/namespaces/" + Meta.namespace(pod) + "/pods/" + Meta.name(pod);
            ObjectNode options = Json.object().put("apiVersion", "v1").put("kind", "DeleteOptions");
            options.putObject("preconditions").put("uid", Meta.uid(pod));
            KubeClient.Response r = client.send("DELETE", path, Json.bytes(options), "application/json", "application/json");
            if (r.code() == 404 || r.code() == 409) continue; // gone, or another pod of that name now
            if (r.code() != 200) throw failure("evict " + path, r);
            log.info("node {}: evicted pod {}/{}", Meta.name(node), Meta.namespace(pod), Meta.name(pod));
            events.record(pod, "Normal", "TaintManagerEviction", "Marking for deletion Pod " + Meta.namespace(pod) + "/" + Meta.name(pod));
        }
        return next;
    }

    /** When the pod must go for these taints (the soonest over them), or null when it tolerates them all forever. */
    Instant deadline(JsonNode pod, List<JsonNode> taints, Instant now) {
        Instant soonest = null;
        for (JsonNode taint : taints) {
            Instant added = time(taint.path("timeAdded"));
            if (added == null) added = now;
            Duration allowed = config.podEvictionTimeout();
            boolean forever = false;
            boolean tolerated = false;
            for (JsonNode tol : pod.path("spec").path("tolerations")) {
                if (!tolerates(tol, taint)) continue;
                if (!tol.hasNonNull("tolerationSeconds")) {
                    forever = true;
                    break;
                }
                Duration d = Duration.ofSeconds(Math.max(0, tol.path("tolerationSeconds").asLong()));
                allowed = tolerated ? (d.compareTo(allowed) < 0 ? d : allowed) : d;
                tolerated = true;
            }
            if (forever) continue;
            Instant deadline = added.plus(allowed);
            if (soonest == null || deadline.isBefore(soonest)) soonest = deadline;
        }
        return soonest;
    }

    /** Kubernetes' toleration matching: same effect (or any), same key (or any with Exists), value for Equal. */
    static boolean tolerates(JsonNode tol, JsonNode taint) {
        String effect = tol.path("effect").asText("");
        if (!effect.isEmpty() && !effect.equals(taint.path("effect").asText())) return false;
        String key = tol.path("key").asText("");
        String op = tol.path("operator").asText("Equal");
        if (key.isEmpty()) return op.equals("Exists");
        if (!key.equals(taint.path("key").asText())) return false;
        if (op.equals("Exists")) return true;
        return tol.path("value").asText("").equals(taint.path("value").asText(""));
    }

    private static RuntimeException failure(String what, KubeClient.Response r) {
        if (r.code() == 409) return new WorkQueue.Conflict(what + ": conflict");
        return new IllegalStateException(what + ": " + r.code() + " " + r.text());
    }

    @Override
    public void close() {
        registrations.forEach(Informer.Registration::close);
        queue.close();
    }
}
