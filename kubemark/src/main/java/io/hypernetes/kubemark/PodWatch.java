package io.hypernetes.kubemark;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.client.KubeClient;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The harness's own watch on the run's pods (by its label), timestamping what it observes with the monotonic
 * clock: when a pod first appears (its creation, as watchers see it), when it is first seen bound to a node, and
 * when it is first seen Running with every container ready. Pod startup latency is the last minus the first, as
 * Kubernetes' SLO defines it ("observed via watch"); the pod's creationTimestamp is not used, having only
 * one-second resolution. One platform thread reads the stream, so timestamps are taken as events arrive; its CPU
 * time is the harness's, not the hollow nodes'.
 */
final class PodWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PodWatch.class);

    /** Nanos since the run's start; 0 = not yet. Written by the watch thread only. */
    static final class PodTimes {
        volatile long seen;
        volatile long scheduled;
        volatile long running;
    }

    private final KubeClient client;
    private final String labelSelector;
    private final long origin;
    private final Map<String, PodTimes> pods = new ConcurrentHashMap<>();
    private final AtomicInteger scheduled = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile KubeClient.WatchStream stream;

    /** Starts watching from now (the current resourceVersion of the selected pods). */
    PodWatch(KubeClient client, String labelSelector, long originNanos) {
        this.client = client;
        this.labelSelector = labelSelector;
        this.origin = originNanos;
        KubeClient.Response list = client.get("/api/v1/pods?limit=1&labelSelector=" + encode(labelSelector));
        if (list.code() != 200) throw new IllegalStateException("cannot list pods: HTTP " + list.code() + " " + list.text());
        String rv = list.json().path("metadata").path("resourceVersion").asText();
        thread = Thread.ofPlatform().daemon().name("kubemark-pod-watch").start(() -> run(rv));
    }

    Thread thread() {
        return thread;
    }

    private void run(String fromVersion) {
        String rv = fromVersion;
        while (!stopping) {
            String path = "/api/v1/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=3600&labelSelector="
                    + encode(labelSelector) + "&resourceVersion=" + rv;
            try (KubeClient.WatchStream s = client.watch(path)) {
                stream = s;
                if (s.code() != 200) {
                    failure.set("pod watch refused: HTTP " + s.code() + " " + s.errorText());
                    return;
                }
                while (true) {
                    var event = s.next();
                    if (event.isEmpty()) break;
                    long now = System.nanoTime() - origin;
                    JsonNode e = event.get();
                    String type = e.path("type").asText();
                    JsonNode pod = e.path("object");
                    if (type.equals("ERROR")) {
                        failure.set("pod watch ended with an error: " + pod.path("message").asText());
                        return;
                    }
                    String version = pod.path("metadata").path("resourceVersion").asText();
                    if (!version.isEmpty()) rv = version;
                    if (type.equals("ADDED") || type.equals("MODIFIED")) observe(pod, now);
                }
            } catch (UncheckedIOException | IllegalStateException e) {
                if (stopping) return;
                log.warn("pod watch dropped, watching again from {}: {}", rv, e.getMessage());
            }
        }
    }

    private void observe(JsonNode pod, long now) {
        String uid = pod.path("metadata").path("uid").asText();
        PodTimes t = pods.computeIfAbsent(uid, u -> new PodTimes());
        if (t.seen == 0) t.seen = Math.max(1, now);
        if (t.scheduled == 0 && !pod.path("spec").path("nodeName").asText().isEmpty()) {
            t.scheduled = Math.max(1, now);
            scheduled.incrementAndGet();
        }
        if (t.running == 0 && runningAndReady(pod)) {
            t.running = Math.max(1, now);
            running.incrementAndGet();
        }
    }

    /** Phase Running and every container reported ready (started, for a pod without readiness probes). */
    static boolean runningAndReady(JsonNode pod) {
        JsonNode status = pod.path("status");
        if (!status.path("phase").asText().equals("Running")) return false;
        JsonNode containers = status.path("containerStatuses");
        int expected = pod.path("spec").path("containers").size();
        if (containers.size() < expected) return false;
        for (JsonNode c : containers) if (!c.path("ready").asBoolean(false)) return false;
        return true;
    }

    int observed() {
        return pods.size();
    }

    int scheduled() {
        return scheduled.get();
    }

    int running() {
        return running.get();
    }

    /** Why the watch stopped on its own, or null. */
    String failure() {
        return failure.get();
    }

    /** A copy of every pod's times. */
    List<PodTimes> times() {
        return new ArrayList<>(pods.values());
    }

    @Override
    public void close() {
        stopping = true;
        KubeClient.WatchStream s = stream;
        if (s != null) s.close();
        thread.interrupt();
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
