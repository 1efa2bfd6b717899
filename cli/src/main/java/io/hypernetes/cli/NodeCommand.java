package io.hypernetes.cli;

import io.hypernetes.api.json.Json;
import io.hypernetes.api.quantity.Quantity;
import io.hypernetes.api.quantity.QuantityFormatException;
import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.kubelet.NodeAgent;
import io.hypernetes.proxy.NodePeers;
import io.hypernetes.runtime.RuntimeEndpoint;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code hypernetes node}: a node agent joining a running control plane, in the foreground until Ctrl-C. It
 * registers its Node, heartbeats, and runs the pods bound to it through a {@code RuntimeService}: by default hyperd
 * in this process (every pod a VM), or a runtime on a unix socket ({@code hypernetes hyperd}), or the hollow runtime
 * (a named fake, as Kubemark's: pods pretend to run).
 *
 * <p>Credentials: a node kubeconfig ({@code --kubeconfig}), or minted from the control plane's data directory
 * ({@code --data-dir}, on the control plane's machine: it needs the cluster CA key).
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Join a node agent to a running cluster, in the foreground; Ctrl-C stops it (its pod VMs keep running; a restart reattaches them).")
final class NodeCommand implements Callable<Integer> {
    @Option(names = "--name", description = "Node name (default: this host's name).")
    String name;

    @Option(names = "--data-dir", defaultValue = ".data",
            description = "The data directory of `hypernetes up`, to mint the node's credentials from (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Use this node kubeconfig (user system:node:<name>) instead of minting one.")
    Path kubeconfig;

    @ArgGroup(multiplicity = "0..1")
    Runtime runtime;

    @Mixin
    HyperdOptions hyperd;

    static final class Runtime {
        @Option(names = "--runtime-endpoint", paramLabel = "URI", required = true,
                description = "Drive the RuntimeService on this unix socket, e.g. unix:///run/hypernetes/hyperd.sock (default: hyperd in this process).")
        String endpoint;

        @Option(names = "--hollow", required = true,
                description = "Use the hollow runtime, a fake: pods start at once and only pretend to run (for Kubemark and tests).")
        boolean hollow;
    }

    @Option(names = "--address", defaultValue = "127.0.0.1", description = "The node's InternalIP (default: ${DEFAULT-VALUE}).")
    String address;

    @Option(names = "--port", defaultValue = "10250",
            description = "HTTPS port of the node agent's server for logs and exec (default: ${DEFAULT-VALUE}; 0 picks a free one; -1 none).")
    int port;

    @Option(names = "--server", paramLabel = "URL",
            description = "The API server's URL as this node reaches it, for minted credentials (default: the admin kubeconfig's, "
                    + "e.g. https://127.0.0.1:6443). Its host must be a name the server's certificate carries: this host's name works.")
    String server;

    @Option(names = "--network-node", paramLabel = "IP",
            description = "The underlay address of the machine running `hypernetes up` (the network node holding the Networks' routers), "
                    + "when it is not itself a Node: this node's VXLANs flood to it too.")
    String networkNode;

    @Mixin
    KubestackOptions kubestackOptions;

    @Option(names = "--pod-cidr", description = "Addresses for this node's pods (default: a /24 of 10.244.0.0/16 chosen by the node's name).")
    String podCidr;

    @Option(names = "--cpus", defaultValue = "8", description = "Allocatable CPUs (default: ${DEFAULT-VALUE}).")
    String cpus;

    @Option(names = "--memory", defaultValue = "32Gi", description = "Allocatable memory (default: ${DEFAULT-VALUE}).")
    String memory;

    @Option(names = "--max-pods", defaultValue = "110", description = "Most pods the node runs (default: ${DEFAULT-VALUE}).")
    int maxPods;

    @Option(names = "--labels", split = ",", paramLabel = "KEY=VALUE", description = "More node labels.")
    Map<String, String> labels = Map.of();

    @Option(names = "--root-dir", paramLabel = "DIR",
            description = "Where the agent keeps its pods' file volumes (emptyDir, configMap, secret, downwardAPI) (default: DATA-DIR/nodes/<name>).")
    Path rootDir;

    @Option(names = "--node-lease-duration", defaultValue = "40s", converter = Up.DurationConverter.class,
            description = "How long the node's Lease is valid; renewed every quarter of it, as the kubelet does (default: ${DEFAULT-VALUE}).")
    Duration leaseDuration;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String node = name != null ? name : InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
        Path credentials = kubeconfig != null ? kubeconfig : mint(node);
        NodeAgent.Config config = config(node, credentials);
        LocalNode.Runtime choice = runtime != null && runtime.hollow ? new LocalNode.Hollow()
                : runtime != null && runtime.endpoint != null ? new LocalNode.Endpoint(parse(runtime.endpoint))
                : new LocalNode.InProcessHyperd(hyperd.config(config.rootDir().resolve("hyperd"), config.podCidr()));
        // A node running VMs plugs them into tenant Networks through its own kubestack; the hollow fake runs none.
        InProcessKubestack kubestack = choice instanceof LocalNode.Hollow ? null
                : InProcessKubestack.start("kubestack-" + node, kubestackOptions.open(config.rootDir().resolve("kubestack")));
        LocalNode local;
        try {
            local = LocalNode.start(config, credentials, choice, kubestack == null ? null : kubestack.client());
        } catch (Exception e) {
            if (kubestack != null) kubestack.close();
            throw e;
        }
        InformerFactory informers = new InformerFactory(local.client);
        NodePeers peers = kubestack == null ? null
                : NodePeers.start(informers, kubestack.client(), NodePeers.Config.withHostAddresses(networkNode == null ? List.of() : List.of(networkNode)));
        CountDownLatch stopped = new CountDownLatch(1);
        java.lang.Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            local.close();
            if (peers != null) peers.close();
            informers.close();
            if (kubestack != null) kubestack.close();
            stopped.countDown();
        }, "shutdown"));
        Hypernetes.printWhole("Node %s joined %s as system:node:%s%n".formatted(node, local.client.server(), node)
                + "  runtime: %s%n".formatted(local.runtimeName)
                + "  tenant networks: %s%n".formatted(kubestack == null ? "none (pods of tenant Networks do not run here)"
                        : kubestack.describe() + (networkNode == null ? "" : ", network node " + networkNode))
                + "  pods from %s%n".formatted(config.podCidr()));
        stopped.await();
        return 0;
    }

    private NodeAgent.Config config(String node, Path credentials) {
        long cpuMillis;
        long memoryBytes;
        try {
            cpuMillis = Quantity.parse(cpus).milliValue();
            memoryBytes = Quantity.parse(memory).value();
        } catch (QuantityFormatException e) {
            throw new ParameterException(spec.commandLine(), "--cpus and --memory take quantities (e.g. 8, 2500m, 32Gi): " + e.getMessage());
        }
        if (port < -1 || port > 65535) throw new ParameterException(spec.commandLine(), "--port must be -1, 0 or a port, got " + port);
        try {
            NodeAgent.Config config = NodeAgent.Config.defaults(node)
                    .withAddress(address)
                    .withCapacity(cpuMillis, memoryBytes, maxPods)
                    .withLabels(labels)
                    .withPodCidr(podCidr != null ? podCidr : defaultPodCidr(node))
                    .withLease(leaseDuration, leaseDuration.dividedBy(4))
                    .withRootDir((rootDir != null ? rootDir : dataDir.resolve("nodes").resolve(node)).toAbsolutePath());
            // the kubelet server (logs, exec, attach for the API server) serves with the node's own certificate
            return port < 0 ? config : config.withServer(port, credentials);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /**
     * A /24 of 10.244.0.0/16 picked by the node's name. Two names may pick the same one: give {@code --pod-cidr}
     * when that matters. (Tenant networks and their address management are their own issue.)
     */
    static String defaultPodCidr(String node) {
        return "10.244." + Math.floorMod(node.hashCode(), 256) + ".0/24";
    }

    private Path mint(String node) throws Exception {
        Path dir = dataDir.toAbsolutePath();
        Path admin = dir.resolve("admin.kubeconfig");
        if (!Files.isReadable(admin)) {
            throw new ParameterException(spec.commandLine(), "no cluster in " + dir + " (no admin.kubeconfig): start one with `hypernetes up --data-dir "
                    + dataDir + "`, or give --kubeconfig");
        }
        String url = server != null ? server : Json.YAML.readTree(admin.toFile()).path("clusters").path(0).path("cluster").path("server").asText();
        return ApiServer.nodeKubeconfig(dir, url, node);
    }

    private RuntimeEndpoint parse(String uri) {
        try {
            RuntimeEndpoint e = RuntimeEndpoint.parse(uri);
            if (!(e instanceof RuntimeEndpoint.Unix)) {
                throw new ParameterException(spec.commandLine(), "--runtime-endpoint must be a unix socket (unix:///path): " + uri);
            }
            return e;
        } catch (IllegalArgumentException ex) {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
    }
}
