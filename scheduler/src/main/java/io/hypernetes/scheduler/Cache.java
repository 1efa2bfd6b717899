package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.json.Json;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The scheduler's view of the cluster: nodes and the pods on them, as the informers report them, plus the pods
 * the scheduler has <i>assumed</i> onto a node before the API server confirms the bind.
 *
 * <p>Assuming is what lets the loop move on to the next pod at once: binding is an HTTP round trip, and without
 * the assumed pod the next cycle would see the node's capacity still free and overcommit it. The life of an
 * assumed pod: {@link #assume} when the algorithm picks a node; {@link #finishBinding} when the bind succeeded
 * (the pod now waits for the watch, at most {@code assumedTtl}, in case the event was lost); confirmed by
 * {@link #addPod}/{@link #updatePod} when the watch reports it bound (to that node or, if someone else bound it,
 * to another); or {@link #forget} when the bind failed, which frees the capacity at once.
 *
 * <p>{@link #snapshot()} hands each scheduling cycle an immutable list of {@link NodeInfo}s, ordered by name and
 * rebuilt only when something changed. Pods may arrive before their node; they count once it does. Thread-safe.
 */
public final class Cache {

    private record PodState(String node, PodRequest request, boolean assumed, Instant deadline) {}

    private static final class NodeEntry {
        boolean present;
        NodeInfo info;

        NodeEntry(String name) {
            info = NodeInfo.of(Json.object().set("metadata", Json.object().put("name", name)));
        }
    }

    private final InstantSource clock;
    private final Duration assumedTtl;
    private final TreeMap<String, NodeEntry> nodes = new TreeMap<>();
    private final Map<String, PodState> pods = new HashMap<>();
    private final Set<String> assumed = new HashSet<>();
    private List<NodeInfo> snapshot;

    public Cache(InstantSource clock, Duration assumedTtl) {
        this.clock = clock;
        this.assumedTtl = assumedTtl;
    }

    /**
     * Adds or updates a node.
     *
     * @return whether anything filters or scores read changed (a heartbeat changes nothing that matters)
     */
    public synchronized boolean updateNode(JsonNode node) {
        NodeEntry e = nodes.computeIfAbsent(Meta.name(node), NodeEntry::new);
        NodeInfo next = e.info.withNode(node);
        boolean changed = !e.present || !next.sameSchedulingView(e.info);
        e.present = true;
        e.info = next;
        snapshot = null;
        return changed;
    }

    public synchronized void removeNode(String name) {
        NodeEntry e = nodes.get(name);
        if (e == null) return;
        e.present = false;
        if (e.info.pods().isEmpty()) nodes.remove(name);
        snapshot = null;
    }

    /** A pod the watch reports bound to a node; confirms an assumed pod. Pods without a node are ignored. */
    public synchronized void addPod(JsonNode pod) {
        updatePod(pod);
    }

    /** As {@link #addPod}: the pod now takes what it asks on the node it names. */
    public synchronized void updatePod(JsonNode pod) {
        String node = pod.path("spec").path("nodeName").asText("");
        if (node.isEmpty()) return;
        place(PodInfo.key(pod), node, PodRequest.of(pod), false, null);
    }

    /** The pod is gone (deleted, or finished): its node has that much more room. */
    public synchronized void removePod(String key) {
        unplace(key);
    }

    /** Puts {@code pod} on {@code node} ahead of the bind, so the next cycle sees the room taken. */
    public synchronized void assume(PodInfo pod, String node) {
        if (pods.containsKey(pod.key()) && !pods.get(pod.key()).assumed()) {
            throw new IllegalStateException(pod.key() + " is already bound to " + pods.get(pod.key()).node());
        }
        place(pod.key(), node, pod.request(), true, null);
    }

    /** The bind succeeded; the assumed pod now waits at most {@code assumedTtl} for the watch to confirm it. */
    public synchronized void finishBinding(String key) {
        PodState s = pods.get(key);
        if (s != null && s.assumed()) pods.put(key, new PodState(s.node(), s.request(), true, clock.instant().plus(assumedTtl)));
    }

    /** The bind failed: the assumed pod is taken off its node. A confirmed pod is left alone. */
    public synchronized void forget(String key) {
        PodState s = pods.get(key);
        if (s != null && s.assumed()) unplace(key);
    }

    public synchronized boolean isAssumed(String key) {
        PodState s = pods.get(key);
        return s != null && s.assumed();
    }

    /** The node the pod is on (bound or assumed), or null. */
    public synchronized String nodeOf(String key) {
        PodState s = pods.get(key);
        return s == null ? null : s.node();
    }

    /** The nodes as this cycle sees them, assumed pods included; expired assumed pods are dropped first. */
    public synchronized List<NodeInfo> snapshot() {
        expireAssumed();
        if (snapshot == null) {
            List<NodeInfo> list = new ArrayList<>(nodes.size());
            for (NodeEntry e : nodes.values()) {
                if (e.present) list.add(e.info);
            }
            snapshot = List.copyOf(list);
        }
        return snapshot;
    }

    private void expireAssumed() {
        if (assumed.isEmpty()) return;
        Instant now = clock.instant();
        for (String key : List.copyOf(assumed)) {
            PodState s = pods.get(key);
            if (s.deadline() != null && !s.deadline().isAfter(now)) unplace(key);
        }
    }

    private void place(String key, String node, PodRequest request, boolean isAssumed, Instant deadline) {
        PodState old = pods.get(key);
        if (old != null && !old.node().equals(node)) unplace(key);
        pods.put(key, new PodState(node, request, isAssumed, deadline));
        if (isAssumed) assumed.add(key);
        else assumed.remove(key);
        NodeEntry e = nodes.computeIfAbsent(node, NodeEntry::new);
        e.info = e.info.withPod(key, request);
        snapshot = null;
    }

    private void unplace(String key) {
        PodState s = pods.remove(key);
        assumed.remove(key);
        if (s == null) return;
        NodeEntry e = nodes.get(s.node());
        if (e == null) return;
        e.info = e.info.withoutPod(key);
        if (!e.present && e.info.pods().isEmpty()) nodes.remove(s.node());
        snapshot = null;
    }
}
