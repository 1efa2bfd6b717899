package io.hypernetes.kubelet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.ResourceEventHandler;
import io.hypernetes.kubelet.server.KubeletServer;
import io.hypernetes.network.NetworkProvider;
import io.hypernetes.runtime.v1.Container;
import io.hypernetes.runtime.v1.ContainerState;
import io.hypernetes.runtime.v1.PodSandbox;
import io.hypernetes.runtime.v1.VersionResponse;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent (kubelet) of one node: registers the Node and keeps it alive, and runs the pods bound to it in a
 * container runtime reached over the runtime gRPC interface.
 *
 * <h2>How it is put together</h2>
 * <pre>
 *  API server ──watch pods spec.nodeName=&lt;node&gt;──► Informer ──add/update/delete──► PodWorker (one per pod uid)
 *                                                                                 │ sync(): sandbox, images,
 *  runtime ──ListContainers every relistInterval──► relist ──changed container──►  │ containers, probes, kill,
 *                                                                                 ▼ status patch, events
 *  NodeHeartbeat: Node registration, Lease renewals in kube-node-lease, node status on change
 * </pre>
 * Each pod worker is one virtual thread that syncs its pod when woken (an informer event, a container state the
 * relist saw change, a probe result that flipped, a back-off that ran out) and at least every
 * {@code resyncInterval}; so one pod's work is serialised and pods proceed in parallel. Nothing here holds a
 * platform thread per pod or per agent: Kubemark runs hundreds of agents in one process.
 *
 * <p>The runtime is the source of truth for what runs: on start the agent adopts the sandboxes and containers it
 * finds by their {@code io.kubernetes.pod.uid} label instead of starting them again, derives restart counts from
 * the containers' attempt numbers, and removes the sandboxes of pods the API no longer has. {@link #close} stops
 * the agent and leaves its pods running, like stopping a kubelet.
 *
 * <p>A node with kubestack (a {@code NetworkProvider} given to {@link #start(Config, KubeClient, ManagedChannel,
 * NetworkProvider)}) plugs pods of tenant networks in before their sandbox starts and unplugs them after it is
 * removed ({@link TenantNetworks}); a node without one runs only pods of the default network.
 */
public final class NodeAgent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeAgent.class);

    /**
     * @param address              the node's InternalIP
     * @param serverPort           the kubelet server's port: -1 for none, 0 for an ephemeral one
     * @param backoffBase          the first crash-loop and image-pull back-off (Kubernetes: 10 s), doubling
     * @param backoffMax           the longest back-off (Kubernetes: 5 min); it starts over after twice as long
     * @param relistInterval       how often the runtime's containers are listed to notice exits (Kubernetes' PLEG: 1 s)
     * @param resyncInterval       how often each pod is synced even when nothing was noticed (Kubernetes: 1 min)
     * @param statusUpdateInterval how often the node status is written when nothing changed (Kubernetes: 5 min)
     * @param rootDir              where the agent keeps its pods' file volumes (emptyDir, configMap, secret, downwardAPI):
     *                             {@code ROOT/pods/<uid>/volumes/<name>}; null keeps none, and pods that need one fail to start
     * @param serverCredentials    the node's kubeconfig (as {@code ApiServer.nodeKubeconfig} writes it) whose embedded
     *                             certificate, key and CA the kubelet server serves with; without them no server
     *                             starts, whatever {@code serverPort} says (a warning tells)
     */
    public record Config(String nodeName, String address, long cpuMillis, long memoryBytes, int maxPods,
                         Map<String, String> labels, String podCidr, Duration leaseDuration, Duration leaseRenewInterval,
                         Duration statusUpdateInterval, int serverPort, Duration backoffBase, Duration backoffMax,
                         Duration relistInterval, Duration resyncInterval, Path serverCredentials, Path rootDir) {
        public Config {
            Objects.requireNonNull(nodeName, "nodeName");
            if (!nodeName.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
                throw new IllegalArgumentException("node name \"" + nodeName + "\" is not a DNS-1123 subdomain (lower case letters, digits, '-' and '.')");
            }
            if (address == null || address.isBlank()) address = "127.0.0.1";
            if (cpuMillis <= 0 || memoryBytes <= 0 || maxPods <= 0) {
                throw new IllegalArgumentException("cpuMillis, memoryBytes and maxPods must be positive: " + cpuMillis + ", " + memoryBytes + ", " + maxPods);
            }
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            podCidr = podCidr == null ? "" : podCidr;
            for (Duration d : List.of(leaseDuration, leaseRenewInterval, statusUpdateInterval, backoffBase, backoffMax, relistInterval, resyncInterval)) {
                if (d == null || d.isNegative() || d.isZero()) throw new IllegalArgumentException("durations must be positive");
            }
            if (serverPort < -1 || serverPort > 65535) throw new IllegalArgumentException("serverPort must be -1 (none), 0 (ephemeral) or a port: " + serverPort);
        }

        /** 8 CPUs, 32Gi, 110 pods, InternalIP 127.0.0.1, Lease 40 s renewed every 10 s, no kubelet server. */
        public static Config defaults(String nodeName) {
            return new Config(nodeName, "127.0.0.1", 8000, 32L << 30, 110, Map.of(), "", Duration.ofSeconds(40),
                    Duration.ofSeconds(10), Duration.ofMinutes(5), -1, Duration.ofSeconds(10), Duration.ofMinutes(5),
                    Duration.ofSeconds(1), Duration.ofMinutes(1), null, null);
        }

        public Config withAddress(String a) {
            return new Config(nodeName, a, cpuMillis, memoryBytes, maxPods, labels, podCidr, leaseDuration, leaseRenewInterval, statusUpdateInterval, serverPort, backoffBase, backoffMax, relistInterval, resyncInterval, serverCredentials, rootDir);
        }

        public Config withCapacity(long cpu, long memory, int pods) {
            return new Config(nodeName, address, cpu, memory, pods, labels, podCidr, leaseDuration, leaseRenewInterval, statusUpdateInterval, serverPort, backoffBase, backoffMax, relistInterval, resyncInterval, serverCredentials, rootDir);
        }

        public Config withLabels(Map<String, String> l) {
            return new Config(nodeName, address, cpuMillis, memoryBytes, maxPods, l, podCidr, leaseDuration, leaseRenewInterval, statusUpdateInterval, serverPort, backoffBase, backoffMax, relistInterval, resyncInterval, serverCredentials, rootDir);
        }

        public Config withPodCidr(String cidr) {
            return new Config(nodeName, address, cpuMillis, memoryBytes, maxPods, labels, cidr, leaseDuration, leaseRenewInterval, statusUpdateInterval, serverPort, backoffBase, backoffMax, relistInterval, resyncInterval, serverCredentials, rootDir);
        }

        public Config withLease(Duration duration, Duration renewInterval) {
            return new Config(nodeName, address, cpuMillis, memoryBytes, maxPods, labels, podCidr, duration, renewInterval, statusUpdateInterval, serverPort, backoffBase, backoffMax, relistInterval, resyncInterval, serverCredentials, rootDir);
        }

        public Config withStatusUpdateInterval(Duration d) {
            return new Config(nodeName, address, cpuMillis, memoryBytes, maxPods, labels, podCidr, leaseDuration, leaseRenewInterval, d, serverPort, backoffBase, backoffMax, relistInterval, resyncInterval, serverCredentials, rootDir);
        }

        public Config withServerPort(int port) {
            return new Config(nodeName, address, cpuMillis, memoryBytes, maxPods, labels, podCidr, leaseDuration, leaseRenewInterval, statusUpdateInterval, port, backoffBase, backoffMax, relistInterval, resyncInterval, serverCredentials, rootDir);
        }

        /** A kubelet server on {@code port} (0: ephemeral) serving with the node credentials in {@code kubeconfig}. */
        public Config withServer(int port, Path kubeconfig) {
            return new Config(nodeName, address, cpuMillis, memoryBytes, maxPods, labels, podCidr, leaseDuration, leaseRenewInterval, statusUpdateInterval, port, backoffBase, backoffMax, relistInterval, resyncInterval, kubeconfig, rootDir);
        }

        public Config withBackoff(Duration base, Duration max) {
            return new Config(nodeName, address, cpuMillis, memoryBytes, maxPods, labels, podCidr, leaseDuration, leaseRenewInterval, statusUpdateInterval, serverPort, base, max, relistInterval, resyncInterval, serverCredentials, rootDir);
        }

        public Config withRelistInterval(Duration d) {
            return new Config(nodeName, address, cpuMillis, memoryBytes, maxPods, labels, podCidr, leaseDuration, leaseRenewInterval, statusUpdateInterval, serverPort, backoffBase, backoffMax, d, resyncInterval, serverCredentials, rootDir);
        }

        public Config withResyncInterval(Duration d) {
            return new Config(nodeName, address, cpuMillis, memoryBytes, maxPods, labels, podCidr, leaseDuration, leaseRenewInterval, statusUpdateInterval, serverPort, backoffBase, backoffMax, relistInterval, d, serverCredentials, rootDir);
        }

        /** Pods' file volumes under {@code dir} (see {@code rootDir}). */
        public Config withRootDir(Path dir) {
            return new Config(nodeName, address, cpuMillis, memoryBytes, maxPods, labels, podCidr, leaseDuration, leaseRenewInterval, statusUpdateInterval, serverPort, backoffBase, backoffMax, relistInterval, resyncInterval, serverCredentials, dir);
        }
    }

    /** What every pod worker of this agent shares. */
    record Context(Config config, KubeClient client, RuntimeClient runtime, PodEvents events, RestartBackoff backoff,
                   PodVolumes volumes, TenantNetworks networks, String runtimeName, NodeAgent agent) {}

    private final Config config;
    private final KubeClient client;
    private final RuntimeClient runtime;
    private final Context context;
    private final Map<String, PodWorker> workers = new ConcurrentHashMap<>();
    private final Informer pods;
    private final NodeHeartbeat heartbeat;
    private final KubeletServer server;
    private final Thread relist;
    private volatile boolean closed;

    private NodeAgent(Config config, KubeClient client, ManagedChannel channel, NetworkProvider networkProvider) {
        this.config = config;
        this.client = client;
        this.runtime = new RuntimeClient(channel);
        VersionResponse version;
        try {
            version = runtime.version();
        } catch (StatusRuntimeException e) {
            throw new IllegalStateException("node agent " + config.nodeName() + ": the runtime does not answer Version ("
                    + e.getStatus().getCode() + (e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription())
                    + "); is it running at the endpoint given?", e);
        }
        this.context = new Context(config, client, runtime, new PodEvents(client, config.nodeName()),
                new RestartBackoff(config.backoffBase(), config.backoffMax()), new PodVolumes(config.rootDir()),
                new TenantNetworks(networkProvider, client, config.nodeName(), config.backoffBase()),
                version.getRuntimeName(), this);
        // SEAM (kubelet server): logs, exec and attach for kubectl through the API server; Kubemark leaves it off.
        // It binds the wildcard address, as the kubelet does: the API server reaches it at the Node's InternalIP.
        int kubeletPort = 0;
        if (config.serverPort() >= 0 && config.serverCredentials() == null) {
            log.warn("node {}: no kubelet server (so no kubectl logs/exec): serverPort {} is set but no serverCredentials; use Config.withServer(port, nodeKubeconfig)",
                    config.nodeName(), config.serverPort());
        }
        if (config.serverPort() >= 0 && config.serverCredentials() != null) {
            this.server = KubeletServer.start(KubeletServer.Config.fromKubeconfig(config.nodeName(), config.serverCredentials(),
                    new InetSocketAddress(config.serverPort())), channel);
            kubeletPort = server.port();
        } else {
            this.server = null;
        }
        this.heartbeat = new NodeHeartbeat(config, client, runtime, version, kubeletPort);
        try {
            heartbeat.register();
        } catch (RuntimeException e) {
            if (server != null) server.close();
            context.events().close();
            throw e;
        }
        this.pods = new Informer(client, "/api/v1/pods", null, "spec.nodeName=" + config.nodeName(), Informer.Options.DEFAULT);
        pods.addHandler(ResourceEventHandler.of(this::podSeen, (old, pod) -> podSeen(pod), this::podGone));
        pods.start();
        heartbeat.start();
        this.relist = Thread.ofVirtual().name("relist-" + config.nodeName()).start(this::relistLoop);
        log.info("node agent {} started on runtime {} {}, {}", config.nodeName(), version.getRuntimeName(), version.getRuntimeVersion(),
                // not the provider's name(): over gRPC that is a call, which a kubestack not up yet would hold the start for
                networkProvider == null ? "no network provider (pods of tenant networks cannot run here)" : "network provider " + networkProvider.getClass().getSimpleName());
    }

    /**
     * Registers node {@code config.nodeName()} (or adopts the Node of that name) and runs it: Lease heartbeats,
     * node status, and the pods bound to it, in the runtime behind {@code runtime}. {@code client} should carry the
     * node's own credentials ({@code system:node:<name>}); neither it nor the channel is closed by {@link #close}.
     */
    public static NodeAgent start(Config config, KubeClient client, ManagedChannel runtime) {
        return new NodeAgent(config, client, runtime, null);
    }

    /**
     * As {@link #start(Config, KubeClient, ManagedChannel)}, on a node that has kubestack: pods of namespaces with
     * {@code spec.network} are plugged into their Network through {@code networkProvider} before their sandbox starts,
     * and unplugged once it is removed. Null is a node without kubestack (Kubemark's hollow nodes): such pods do not
     * start there, with a FailedNetworkSetup event saying why. The provider is not closed by {@link #close}.
     */
    public static NodeAgent start(Config config, KubeClient client, ManagedChannel runtime, NetworkProvider networkProvider) {
        return new NodeAgent(config, client, runtime, networkProvider);
    }

    public Config config() {
        return config;
    }

    /** The port the kubelet server listens on (published in the Node's daemon endpoints), or 0 when none runs. */
    public int serverPort() {
        return server == null ? 0 : server.port();
    }

    /** Whether the agent has listed its pods and started a worker for each. */
    public boolean hasSynced() {
        return pods.hasSynced();
    }

    private void podSeen(ObjectNode pod) {
        if (closed) return;
        String uid = Meta.uid(pod);
        workers.computeIfAbsent(uid, u -> new PodWorker(context, u, pod)).update(pod);
    }

    private void podGone(ObjectNode pod) {
        PodWorker w = workers.get(Meta.uid(pod));
        if (w != null) w.gone(pod);
    }

    /** A worker that cleaned its pod up leaves. */
    void workerDone(PodWorker worker) {
        workers.remove(worker.uid(), worker);
    }

    /**
     * The agent's pod lifecycle event generator: lists the runtime's containers, wakes the worker of every pod
     * whose containers changed state (an exit the agent did not cause, above all), and removes the sandboxes of
     * pods it has no worker for once the informer has synced (pods deleted while the agent was away).
     */
    private void relistLoop() {
        Map<String, ContainerState> last = new HashMap<>();
        boolean failing = false;
        while (!closed) {
            try {
                Thread.sleep(config.relistInterval());
                Map<String, ContainerState> now = new HashMap<>();
                Set<String> changedPods = new HashSet<>();
                for (Container c : runtime.listContainers(null)) {
                    now.put(c.getId(), c.getState());
                    if (last.get(c.getId()) != c.getState()) changedPods.add(c.getLabelsOrDefault(RuntimeClient.POD_UID, ""));
                }
                last = now;
                for (String uid : changedPods) {
                    PodWorker w = workers.get(uid);
                    if (w != null) w.wake();
                }
                if (pods.hasSynced()) removeOrphans();
                context.networks().retryUnplugs();
                if (failing) log.info("node {}: runtime relist works again", config.nodeName());
                failing = false;
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // said once per outage, not once per relist
                if (!closed && !failing) log.warn("node {}: runtime relist failed: {}", config.nodeName(), e.toString());
                failing = true;
            }
        }
    }

    private void removeOrphans() {
        for (PodSandbox s : runtime.listPodSandbox(null)) {
            String uid = s.getLabelsOrDefault(RuntimeClient.POD_UID, "");
            if (workers.containsKey(uid) || closed) continue;
            String pod = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
            log.info("removing sandbox {} of pod {} ({}): the API has no such pod on node {}", s.getId(), pod, uid, config.nodeName());
            try {
                runtime.stopPodSandbox(s.getId());
                runtime.removePodSandbox(s.getId());
                context.volumes().remove(uid);
            } catch (RuntimeException e) {
                log.warn("removing sandbox {} of pod {}: {}", s.getId(), pod, e.toString());
                continue;
            }
            // its port on a tenant network goes with it; the annotation is the agent's own, so this holds after a restart
            if (!s.getAnnotationsOrDefault(TenantNetworks.SANDBOX_NETWORK, "").isEmpty()) context.networks().unplugLater(uid, pod);
            context.backoff().forget(uid + "/");
        }
    }

    /** Stops the agent: heartbeats, watches, workers and probes. The pods keep running in the runtime. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        long t0 = System.nanoTime();
        heartbeat.close();
        relist.interrupt();
        workers.values().forEach(PodWorker::close);
        pods.close();
        context.events().close();
        if (server != null) server.close();
        log.info("node agent {} stopped in {} ms", config.nodeName(), (System.nanoTime() - t0) / 1_000_000);
    }
}
