package io.hypernetes.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.quantity.Quantity;
import io.hypernetes.client.KubeClient;
import io.hypernetes.runtime.v1.RuntimeCondition;
import io.hypernetes.runtime.v1.StatusResponse;
import io.hypernetes.runtime.v1.VersionResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's registration and heartbeats, as the kubelet does them since node leases: the Node is created (or
 * an existing one of that name adopted: labels and podCIDR merged in), the Lease {@code kube-node-lease/<node>}
 * is renewed every {@code leaseRenewInterval}, and the node status (capacity, allocatable, addresses, nodeInfo,
 * daemon endpoints, the Ready and pressure conditions) is written when it differs from what the API holds, and
 * otherwise every {@code statusUpdateInterval} as a fresh heartbeat. Ready follows the runtime's own
 * RuntimeReady and NetworkReady conditions.
 */
final class NodeHeartbeat implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeHeartbeat.class);
    static final String KUBELET_VERSION = "v1.33.0-hypernetes.0.1.0";
    static final String LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
    private static final String SMP = "application/strategic-merge-patch+json";
    private static final String MERGE = "application/merge-patch+json";

    private final NodeAgent.Config config;
    private final KubeClient client;
    private final RuntimeClient runtime;
    private final VersionResponse version;
    private final int kubeletPort;
    private final String node;
    /** A new one per agent start: what tells Kubernetes a node rebooted (Kubemark's agents share one process). */
    private final String bootId = UUID.randomUUID().toString();
    private ObjectNode lease;
    private String nodeUid = "";
    private Instant lastStatusWrite = Instant.EPOCH;
    private ObjectNode lastStatus;
    private Thread thread;
    private volatile boolean closed;

    NodeHeartbeat(NodeAgent.Config config, KubeClient client, RuntimeClient runtime, VersionResponse version, int kubeletPort) {
        this.config = config;
        this.client = client;
        this.runtime = runtime;
        this.version = version;
        this.kubeletPort = kubeletPort;
        this.node = config.nodeName();
    }

    /** Creates or adopts the Node and writes its first status; throws when the API refuses. */
    void register() {
        ObjectNode n = Json.object().put("apiVersion", "v1").put("kind", "Node");
        ObjectNode labels = n.putObject("metadata").put("name", node).putObject("labels");
        labels(labels);
        ObjectNode spec = n.putObject("spec");
        if (!config.podCidr().isEmpty()) spec.put("podCIDR", config.podCidr()).putArray("podCIDRs").add(config.podCidr());
        KubeClient.Response r = client.post("/api/v1/nodes", n);
        if (r.code() == 201) {
            log.info("node {} registered", node);
            nodeUid = Meta.uid(r.json());
        } else if (r.code() == 409) {
            // a Node of this name exists (an earlier run of this agent): adopt it, as the kubelet does
            ObjectNode patch = Json.object();
            labels(patch.putObject("metadata").putObject("labels"));
            JsonNode existing = check(client.get("/api/v1/nodes/" + node), "read node");
            if (!config.podCidr().isEmpty() && existing.path("spec").path("podCIDR").asText().isEmpty()) {
                patch.putObject("spec").put("podCIDR", config.podCidr()).putArray("podCIDRs").add(config.podCidr());
            }
            nodeUid = Meta.uid(check(client.patch("/api/v1/nodes/" + node, MERGE, patch), "adopt node"));
            log.info("node {} adopted (it was registered before)", node);
        } else {
            throw new IllegalStateException("node " + node + " cannot register: " + r.code() + " " + r.text());
        }
        writeStatus(desiredStatus());
        renewLease();
    }

    private void labels(ObjectNode labels) {
        labels.put("kubernetes.io/hostname", node).put("kubernetes.io/os", "linux").put("kubernetes.io/arch", arch())
                .put("beta.kubernetes.io/os", "linux").put("beta.kubernetes.io/arch", arch());
        config.labels().forEach(labels::put);
    }

    void start() {
        thread = Thread.ofVirtual().name("heartbeat-" + node).start(() -> {
            while (!closed) {
                try {
                    Thread.sleep(config.leaseRenewInterval());
                    renewLease();
                    ObjectNode status = desiredStatus();
                    boolean changed = lastStatus == null || !comparable(status).equals(comparable(lastStatus));
                    if (changed || !Instant.now().isBefore(lastStatusWrite.plus(config.statusUpdateInterval()))) {
                        writeStatus(status);
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    if (!closed) log.warn("node {}: heartbeat failed: {}", node, e.toString());
                }
            }
        });
    }

    /** Renews the Lease, creating it first; a conflict reads it again and retries once. */
    void renewLease() {
        String path = LEASES + "/" + node;
        for (int attempt = 0; attempt < 2; attempt++) {
            if (lease == null) {
                KubeClient.Response r = client.get(path);
                if (r.code() == 404) {
                    ObjectNode l = Json.object().put("apiVersion", "coordination.k8s.io/v1").put("kind", "Lease");
                    ObjectNode meta = l.putObject("metadata").put("name", node).put("namespace", "kube-node-lease");
                    if (!nodeUid.isEmpty()) {
                        meta.putArray("ownerReferences").addObject().put("apiVersion", "v1").put("kind", "Node")
                                .put("name", node).put("uid", nodeUid);
                    }
                    fillLease(l);
                    KubeClient.Response c = client.post(LEASES, l);
                    if (c.code() == 201) {
                        lease = (ObjectNode) c.json();
                        return;
                    }
                    if (c.code() != 409) throw new IllegalStateException("lease " + node + ": " + c.code() + " " + c.text());
                    continue;
                }
                lease = (ObjectNode) check(r, "read lease");
            }
            ObjectNode l = lease.deepCopy();
            fillLease(l);
            KubeClient.Response r = client.put(path, l);
            if (r.code() == 200) {
                lease = (ObjectNode) r.json();
                return;
            }
            lease = null;
            if (r.code() != 409 && r.code() != 404) throw new IllegalStateException("lease " + node + ": " + r.code() + " " + r.text());
        }
    }

    private void fillLease(ObjectNode l) {
        l.withObject("/spec").put("holderIdentity", node)
                .put("leaseDurationSeconds", Math.max(1, config.leaseDuration().toSeconds()))
                .put("renewTime", DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(ChronoUnit.MICROS)));
    }

    /** The status as this agent sees the node now; heartbeat and transition times are filled in by {@link #writeStatus}. */
    ObjectNode desiredStatus() {
        ObjectNode s = Json.object();
        for (String field : new String[] {"capacity", "allocatable"}) {
            s.putObject(field).put("cpu", Quantity.ofMilli(config.cpuMillis()).toString())
                    .put("memory", Quantity.ofBytes(config.memoryBytes()).toString())
                    .put("pods", Integer.toString(config.maxPods()));
        }
        ArrayNode conditions = s.putArray("conditions");
        condition(conditions, "MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available");
        condition(conditions, "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure");
        condition(conditions, "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available");
        String notReady = runtimeProblem();
        if (notReady == null) condition(conditions, "Ready", "True", "KubeletReady", "kubelet is posting ready status");
        else condition(conditions, "Ready", "False", "KubeletNotReady", notReady);
        ArrayNode addresses = s.putArray("addresses");
        addresses.addObject().put("type", "InternalIP").put("address", config.address());
        addresses.addObject().put("type", "Hostname").put("address", node);
        s.putObject("daemonEndpoints").putObject("kubeletEndpoint").put("Port", kubeletPort);
        String id = UUID.nameUUIDFromBytes(node.getBytes(StandardCharsets.UTF_8)).toString();
        s.putObject("nodeInfo")
                .put("machineID", id.replace("-", ""))
                .put("systemUUID", id)
                .put("bootID", bootId)
                .put("kernelVersion", System.getProperty("os.version"))
                .put("osImage", OS_IMAGE)
                .put("containerRuntimeVersion", version.getRuntimeName() + "://" + version.getRuntimeVersion())
                .put("kubeletVersion", KUBELET_VERSION)
                .put("kubeProxyVersion", "")
                .put("operatingSystem", "linux")
                .put("architecture", arch());
        return s;
    }

    /** Why the runtime is not ready, or null when it is. */
    private String runtimeProblem() {
        try {
            StatusResponse st = runtime.status();
            for (RuntimeCondition c : st.getConditionsList()) {
                if (!c.getStatus()) {
                    return "container runtime " + (c.getType().equals("NetworkReady") ? "network " : "") + "not ready: "
                            + c.getType() + "=false reason:" + c.getReason() + " message:" + c.getMessage();
                }
            }
            return null;
        } catch (RuntimeException e) {
            return "container runtime is down: " + e.getMessage();
        }
    }

    private static void condition(ArrayNode conditions, String type, String status, String reason, String message) {
        conditions.addObject().put("type", type).put("status", status).put("reason", reason).put("message", message);
    }

    /** What decides whether the status changed: everything but the times. */
    private static JsonNode comparable(ObjectNode status) {
        ObjectNode s = status.deepCopy();
        for (JsonNode c : s.path("conditions")) {
            ((ObjectNode) c).remove("lastHeartbeatTime");
            ((ObjectNode) c).remove("lastTransitionTime");
        }
        return s;
    }

    private void writeStatus(ObjectNode status) {
        Instant now = Instant.now();
        String ts = Meta.timestamp(now);
        for (JsonNode c : status.path("conditions")) {
            ObjectNode cond = (ObjectNode) c;
            cond.put("lastHeartbeatTime", ts);
            String transition = ts;
            if (lastStatus != null) {
                for (JsonNode old : lastStatus.path("conditions")) {
                    if (old.path("type").equals(c.path("type")) && old.path("status").equals(c.path("status"))) {
                        transition = old.path("lastTransitionTime").asText(ts);
                    }
                }
            }
            cond.put("lastTransitionTime", transition);
        }
        ObjectNode patch = Json.object();
        patch.set("status", status);
        check(client.patch("/api/v1/nodes/" + node + "/status", SMP, patch), "write node status");
        if (lastStatus == null || !comparable(status).equals(comparable(lastStatus))) {
            String ready = "";
            for (JsonNode c : status.path("conditions")) {
                if (c.path("type").asText().equals("Ready")) ready = c.path("status").asText() + " " + c.path("reason").asText();
            }
            log.info("node {} status written: Ready={}", node, ready);
        }
        lastStatus = status;
        lastStatusWrite = now;
    }

    private JsonNode check(KubeClient.Response r, String what) {
        if (r.code() / 100 != 2) throw new IllegalStateException("node " + node + ": " + what + ": " + r.code() + " " + r.text());
        return r.json();
    }

    static String arch() {
        String a = System.getProperty("os.arch");
        return switch (a) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> a;
        };
    }

    private static final String OS_IMAGE = osImage();

    private static String osImage() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith("PRETTY_NAME=")) return line.substring("PRETTY_NAME=".length()).replace("\"", "");
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no os-release: say what we know
        }
        return System.getProperty("os.name");
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) thread.interrupt();
    }
}
