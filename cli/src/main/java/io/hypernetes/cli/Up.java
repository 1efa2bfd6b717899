package io.hypernetes.cli;

import io.hypernetes.api.quantity.Quantity;
import io.hypernetes.api.quantity.QuantityFormatException;
import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.kubelet.NodeAgent;
import io.hypernetes.apiserver.auth.InProcessTokenValidator;
import io.hypernetes.apiserver.auth.KeystoneTokenValidator;
import io.hypernetes.apiserver.auth.TokenValidator;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.controllers.deployment.DeploymentController;
import io.hypernetes.controllers.endpoints.EndpointsController;
import io.hypernetes.controllers.gc.GarbageCollector;
import io.hypernetes.controllers.namespace.NamespaceController;
import io.hypernetes.controllers.network.NetworkController;
import io.hypernetes.controllers.nodelifecycle.NodeLifecycleController;
import io.hypernetes.controllers.podgc.PodGarbageCollector;
import io.hypernetes.controllers.replicaset.ReplicaSetController;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.http.IdentityServer;
import io.hypernetes.proxy.NodePeers;
import io.hypernetes.proxy.ServiceProxy;
import io.hypernetes.proxy.TenantDns;
import io.hypernetes.scheduler.KubeScheduler;
import io.hypernetes.scheduler.SchedulerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code hypernetes up}: the all-in-one cluster in the foreground until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Run the all-in-one cluster in the foreground; Ctrl-C stops it cleanly.")
final class Up implements Callable<Integer> {
    @Option(names = "--data-dir", defaultValue = ".data", description = "Where the cluster keeps its state (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--port", defaultValue = "6443", description = "HTTPS port of the API server (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--bind-address", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bindAddress;

    @Option(names = "--watch-bookmark-interval", defaultValue = "60s", converter = DurationConverter.class,
            description = "How often idle watches get a bookmark (default: ${DEFAULT-VALUE}).")
    Duration bookmarkInterval;

    @Option(names = "--compaction-interval", defaultValue = "5m", converter = DurationConverter.class,
            description = "How much store history is kept for watchers (default: ${DEFAULT-VALUE}).")
    Duration compactionInterval;

    @Option(names = "--identity-port", defaultValue = "5000",
            description = "HTTPS port of the built-in Keystone v3 identity service (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int identityPort;

    @Option(names = "--keystone-url", paramLabel = "URL",
            description = "Use this external Keystone (its v3 URL, e.g. https://keystone:5000/v3) instead of the built-in identity service.")
    URI keystoneUrl;

    @Option(names = "--keystone-cacert", paramLabel = "FILE",
            description = "PEM CA that signed the external Keystone's certificate (default: the system's trust store).")
    Path keystoneCa;

    @Option(names = "--node", defaultValue = "hyperd", paramLabel = "hyperd|hollow|none",
            description = "The node `up` runs on this machine: hyperd (every pod a VM), hollow (a fake: pods only pretend to run), "
                    + "or none (nodes join with `hypernetes node`) (default: ${DEFAULT-VALUE}).")
    String node;

    @Option(names = "--node-name", description = "The local node's name (default: this host's name).")
    String nodeName;

    @Option(names = "--kubelet-port", defaultValue = "10250",
            description = "HTTPS port of the local node's server for logs and exec (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int kubeletPort;

    @Option(names = "--cpus", paramLabel = "QUANTITY",
            description = "The local node's allocatable CPUs (default: 4 per core of this machine). A pod VM is sized by its "
                    + "limits, 1 vCPU when it names none, and its vCPUs are mostly idle threads: like Nova's "
                    + "cpu_allocation_ratio, the node overcommits them.")
    String cpus;

    @Mixin
    HyperdOptions hyperd;

    @Mixin
    KubestackOptions kubestackOptions;

    @Option(names = "--node-monitor-grace-period", defaultValue = "40s", converter = DurationConverter.class,
            description = "How long a node may miss heartbeats before it is NotReady (default: ${DEFAULT-VALUE}).")
    Duration nodeMonitorGracePeriod;

    @Option(names = "--pod-eviction-timeout", defaultValue = "5m", converter = DurationConverter.class,
            description = "How long a NotReady node keeps its pods before they are evicted (default: ${DEFAULT-VALUE}).")
    Duration podEvictionTimeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        checkPort("--port", port);
        checkPort("--identity-port", identityPort);
        long nodeCpuMillis = cpuMillis(); // a bad --cpus is refused before anything starts
        if (nodeMonitorGracePeriod.isZero() || podEvictionTimeout.isZero()) {
            throw new ParameterException(spec.commandLine(), "--node-monitor-grace-period and --pod-eviction-timeout must be longer than 0");
        }
        if (!List.of("hyperd", "hollow", "none").contains(node)) {
            throw new ParameterException(spec.commandLine(), "--node must be hyperd, hollow or none, got " + node);
        }
        if (keystoneCa != null && keystoneUrl == null) {
            throw new ParameterException(spec.commandLine(), "--keystone-cacert needs --keystone-url");
        }
        long started = System.nanoTime();
        Path dir = dataDir.toAbsolutePath();
        // the built-in identity service shares the API server's store, so it is made once the store is open
        AtomicReference<Identity> identity = new AtomicReference<>();
        TokenValidator.Factory tokens = keystoneUrl != null
                ? TokenValidator.Factory.of(new KeystoneTokenValidator(keystoneUrl, keystoneCa))
                : store -> {
                    identity.set(Identity.open(store, dir, Clock.systemUTC()));
                    return new InProcessTokenValidator(identity.get());
                };
        ApiServer server = ApiServer.start(new ApiServer.Config(dir, bindAddress, port, bookmarkInterval, compactionInterval, tokens));
        IdentityServer keystone = null;
        try {
            if (identity.get() != null) {
                keystone = IdentityServer.start(identity.get(), server.pki(),
                        new IdentityServer.Config(dir, bindAddress, identityPort, URI.create(server.url())));
            }
        } catch (Exception e) {
            server.close();
            throw e;
        }
        // the control plane's components share one client and one watch per resource
        KubeClient controllersClient = KubeClient.fromKubeconfig(server.controllersKubeconfig());
        InformerFactory informers = new InformerFactory(controllersClient);
        // This machine is the network node: it holds every tenant Network's router, load balancers and DNS.
        InProcessKubestack kubestack = InProcessKubestack.start("kubestack", kubestackOptions.open(dir.resolve("kubestack")));
        List<AutoCloseable> components = List.of(
                kubestack,
                NetworkController.start(informers, kubestack.client()),
                ServiceProxy.start(informers, kubestack.client()),
                TenantDns.start(informers).followNetworks(kubestack.client()),
                NodePeers.start(informers, kubestack.client(), NodePeers.Config.withHostAddresses(List.of())),
                NamespaceController.start(informers),
                EndpointsController.start(informers),
                ReplicaSetController.start(informers),
                DeploymentController.start(informers),
                NodeLifecycleController.start(informers, NodeLifecycleController.Config.DEFAULT
                        .withNodeMonitorGracePeriod(nodeMonitorGracePeriod).withPodEvictionTimeout(podEvictionTimeout)),
                GarbageCollector.start(informers),
                PodGarbageCollector.start(informers),
                KubeScheduler.start(informers, SchedulerConfig.defaults(), Duration.ofSeconds(30)));
        LocalNode local = null;
        if (!node.equals("none")) {
            try {
                local = startLocalNode(server, dir, kubestack, nodeCpuMillis);
            } catch (Exception e) {
                for (AutoCloseable c : components.reversed()) c.close();
                informers.close();
                controllersClient.close();
                if (keystone != null) keystone.close();
                server.close();
                throw new IllegalStateException("the local node did not start: " + e.getMessage()
                        + (node.equals("hyperd") ? " (run `./hypernetes doctor`; or `up --node none` and join nodes with `hypernetes node`)" : ""), e);
            }
        }
        LocalNode localNode = local;
        CountDownLatch stopped = new CountDownLatch(1);
        IdentityServer identityServer = keystone;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (localNode != null) localNode.close();
            for (AutoCloseable c : components.reversed()) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.err.println("stopping " + c.getClass().getSimpleName() + ": " + e);
                }
            }
            informers.close();
            controllersClient.close();
            if (identityServer != null) identityServer.close();
            server.close();
            stopped.countDown();
        }, "shutdown"));
        StringBuilder banner = new StringBuilder()
                .append("Hypernetes is up in %d ms: %s%n".formatted((System.nanoTime() - started) / 1_000_000, server.url()))
                .append("  export KUBECONFIG=%s%n".formatted(server.kubeconfig()));
        if (keystone != null) {
            banner.append("Identity (Keystone v3) on %s%n".formatted(keystone.url()));
            keystone.bootstrap().adminPassword().ifPresent(pw -> banner.append("  admin password (shown once): %s%n".formatted(pw)));
            banner.append("  source %s   # the OpenStack CLI as admin%n".formatted(keystone.bootstrap().openrc()));
        } else {
            banner.append("Identity: external Keystone at %s%n".formatted(keystoneUrl));
        }
        banner.append("Tenant networks: %s, this machine routes them (state in %s)%n".formatted(kubestack.describe(), dir.resolve("kubestack")));
        if (localNode != null) {
            banner.append("Node %s: %s%n".formatted(localNode.name, localNode.runtimeName));
        }
        Hypernetes.printWhole(banner);
        stopped.await();
        return 0;
    }

    /** This machine as a node: hyperd (or the hollow fake) in this process, a node agent with its own credentials. */
    private LocalNode startLocalNode(ApiServer server, Path dir, InProcessKubestack kubestack, long cpuMillis) throws Exception {
        String name = nodeName != null ? nodeName : localNodeName();
        String podCidr = NodeCommand.defaultPodCidr(name);
        Path root = dir.resolve("nodes").resolve(name);
        long memory = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        NodeAgent.Config config = NodeAgent.Config.defaults(name)
                .withCapacity(cpuMillis, memory, 110)
                .withPodCidr(podCidr)
                .withRootDir(root.toAbsolutePath());
        Path credentials = server.nodeKubeconfig(name);
        config = config.withServer(kubeletPort, credentials);
        LocalNode.Runtime runtime = node.equals("hollow") ? new LocalNode.Hollow()
                : new LocalNode.InProcessHyperd(hyperd.config(root.resolve("hyperd"), podCidr));
        // the hollow fake runs no VM to plug in: its tenant pods wait, with an event saying why
        return LocalNode.start(config, credentials, runtime, node.equals("hyperd") ? kubestack.client() : null);
    }

    /** {@code --cpus}, or 4 vCPUs per core. */
    private long cpuMillis() {
        if (cpus == null) return Runtime.getRuntime().availableProcessors() * 4000L;
        try {
            long millis = Quantity.parse(cpus).milliValue();
            if (millis > 0) return millis;
        } catch (QuantityFormatException e) {
            // the error below says what is wanted
        }
        throw new ParameterException(spec.commandLine(), "--cpus takes a positive quantity (e.g. 8, 2500m), got " + cpus);
    }

    /** This host's name as a node name, which `up` and `hypernetes node` use by default. */
    static String localNodeName() throws java.net.UnknownHostException {
        return java.net.InetAddress.getLocalHost().getHostName().toLowerCase(java.util.Locale.ROOT);
    }

    private void checkPort(String option, int value) {
        if (value < 0 || value > 65535) {
            throw new ParameterException(spec.commandLine(), option + " must be between 0 and 65535, got " + value);
        }
    }

    /** Durations as Kubernetes flags write them: 500ms, 30s, 5m, 1h. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        private static final Pattern FORM = Pattern.compile("(\\d+)(ms|s|m|h)");

        @Override
        public Duration convert(String value) {
            Matcher m = FORM.matcher(value);
            if (!m.matches()) throw new TypeConversionException("not a duration (e.g. 500ms, 30s, 5m, 1h): " + value);
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        }
    }
}
