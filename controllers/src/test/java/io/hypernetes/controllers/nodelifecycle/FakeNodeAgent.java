package io.hypernetes.controllers.nodelifecycle;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * A test double of a node agent: registers its Node, posts Ready conditions and renews its Lease in
 * {@code kube-node-lease} every {@code interval} on a virtual thread, until {@link #stop}; {@link #resume} starts
 * again (Ready=True first, as a restarted agent does).
 */
final class FakeNodeAgent implements AutoCloseable {
    private final KubeClient client;
    private final String node;
    private final Duration interval;
    private volatile boolean beating;
    private volatile boolean closed;
    private Thread thread;

    FakeNodeAgent(KubeClient client, String node, Duration interval) {
        this.client = client;
        this.node = node;
        this.interval = interval;
        ObjectNode n = Json.object().put("apiVersion", "v1").put("kind", "Node");
        n.putObject("metadata").put("name", node);
        check(client.post("/api/v1/nodes", n), 201);
        postStatus("True");
        ObjectNode lease = Json.object().put("apiVersion", "coordination.k8s.io/v1").put("kind", "Lease");
        lease.putObject("metadata").put("name", node).put("namespace", "kube-node-lease");
        lease.putObject("spec").put("holderIdentity", node).put("leaseDurationSeconds", 40).put("renewTime", micro(Instant.now()));
        check(client.post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease), 201);
        resume();
    }

    /** Posts the Ready condition (True, False) with a fresh heartbeat. */
    void postStatus(String ready) {
        for (int attempt = 0; ; attempt++) {
            ObjectNode n = (ObjectNode) client.get("/api/v1/nodes/" + node).json();
            String now = Meta.timestamp(Instant.now());
            n.putObject("status").putArray("conditions").addObject().put("type", "Ready").put("status", ready)
                    .put("reason", ready.equals("True") ? "KubeletReady" : "KubeletNotReady")
                    .put("lastHeartbeatTime", now).put("lastTransitionTime", now);
            KubeClient.Response r = client.put("/api/v1/nodes/" + node + "/status", n);
            if (r.code() == 200) return;
            if (r.code() != 409 || attempt > 20) throw new AssertionError("node status: " + r.code() + " " + r.text());
        }
    }

    private void renew() {
        ObjectNode lease = (ObjectNode) client.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + node).json();
        lease.withObject("/spec").put("renewTime", micro(Instant.now()));
        client.put("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + node, lease);
    }

    /** Stops heartbeats (the node dies or loses the network). */
    synchronized void stop() throws InterruptedException {
        beating = false;
        if (thread != null) thread.join();
        thread = null;
    }

    /** Heartbeats again: Ready=True, then Lease renewals. */
    synchronized void resume() {
        if (beating) return;
        beating = true;
        postStatus("True");
        thread = Thread.ofVirtual().name("fake-agent-" + node).start(() -> {
            while (beating && !closed) {
                try {
                    renew();
                    Thread.sleep(interval);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // the test's server is going away
                }
            }
        });
    }

    private static String micro(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.MICROS));
    }

    private static void check(KubeClient.Response r, int code) {
        if (r.code() != code) throw new AssertionError(r.code() + " " + r.text());
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        stop();
    }
}
