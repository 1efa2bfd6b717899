package io.hypernetes.apiserver;

import io.hypernetes.apiserver.audit.AuditLog;
import io.hypernetes.http.ClientCertificateAuthenticator;
import io.hypernetes.apiserver.auth.KeystoneAuthenticator;
import io.hypernetes.apiserver.auth.TokenValidator;
import io.hypernetes.apiserver.authz.Projects;
import io.hypernetes.http.Authenticator;
import io.hypernetes.http.HttpServer;
import io.hypernetes.http.pki.ClusterPki;
import io.hypernetes.apiserver.pki.Kubeconfig;
import io.hypernetes.apiserver.registry.Registry;
import io.hypernetes.apiserver.rest.ApiHandler;
import io.hypernetes.apiserver.stream.KubeletClient;
import io.hypernetes.store.Store;
import io.hypernetes.store.embedded.EmbeddedStore;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes-compatible API server: the embedded store, the cluster PKI, the registry and the HTTPS front,
 * assembled. {@link #start} returns once it serves; {@link #close} stops it and closes the store cleanly.
 *
 * <p>Layout of the data directory: {@code store/} (the embedded store), {@code pki/} (CA, server and admin
 * certificates), {@code admin.kubeconfig}, {@code controller-manager.kubeconfig}, {@code nodes/<name>.kubeconfig}
 * (node agents' credentials, see {@link #nodeKubeconfig}), {@code audit.log} (see {@link AuditLog}).
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final String CONTROLLERS_KUBECONFIG = "controller-manager.kubeconfig";

    /**
     * @param bookmarkInterval how often an idle watch that asked for bookmarks gets one
     * @param compactionInterval history older than this is compacted away, as the Kubernetes API server asks etcd
     * @param tokenValidator makes the Keystone token validator once the store is open (so the built-in identity
     *     service can share it); null = no bearer-token authentication, client certificates only
     */
    public record Config(Path dataDir, String bindAddress, int port, Duration bookmarkInterval, Duration compactionInterval,
            TokenValidator.Factory tokenValidator) {
        public Config(Path dataDir, String bindAddress, int port, Duration bookmarkInterval, Duration compactionInterval) {
            this(dataDir, bindAddress, port, bookmarkInterval, compactionInterval, null);
        }
    }

    private final Config config;
    private final Store store;
    private final HttpServer http;
    private final ClusterPki pki;
    private final ScheduledExecutorService compactor;
    private final TokenValidator tokenValidator;
    private final AuditLog audit;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ApiServer(Config config, Store store, HttpServer http, ClusterPki pki, ScheduledExecutorService compactor,
            TokenValidator tokenValidator, AuditLog audit) {
        this.config = config;
        this.store = store;
        this.http = http;
        this.pki = pki;
        this.compactor = compactor;
        this.tokenValidator = tokenValidator;
        this.audit = audit;
    }

    public static ApiServer start(Config config) throws IOException, InterruptedException {
        Files.createDirectories(config.dataDir());
        Store store = EmbeddedStore.open(config.dataDir().resolve("store"));
        TokenValidator tokenValidator = null;
        AuditLog audit = null;
        try {
            ClusterPki pki = ClusterPki.loadOrCreate(config.dataDir().resolve("pki"), ClusterPki.defaultServerNames());
            Clock clock = Clock.systemUTC();
            if (config.tokenValidator() != null) tokenValidator = config.tokenValidator().create(store);
            Registry registry = new Registry(store, new ApiObjectRules(), clock,
                    tokenValidator == null ? Projects.UNCHECKED : tokenValidator.projects());
            registry.bootstrap();

            audit = AuditLog.open(config.dataDir().resolve("audit.log"));
            PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            new JvmMemoryMetrics().bindTo(metrics);
            new ProcessorMetrics().bindTo(metrics);
            AtomicBoolean serving = new AtomicBoolean();
            String address = (config.bindAddress().equals("0.0.0.0") ? "127.0.0.1" : config.bindAddress());
            ApiHandler handler = new ApiHandler(registry, new SchemaObjectChecks(), SchemaObjectChecks.openApi(), metrics,
                    config.bookmarkInterval(), serving::get, address + ":" + config.port(), clock, audit,
                    // its own identity towards node agents, which let in system:masters only
                    new KubeletClient(pki.ca().certificate(),
                            pki.issueClient("system:kube-apiserver-kubelet-client", "system:masters")));
            // Certificates first: a request that presents both is the certificate's holder, and needs no Keystone call.
            List<Authenticator> authenticators = new ArrayList<>(List.of(new ClientCertificateAuthenticator()));
            if (tokenValidator != null) authenticators.add(new KeystoneAuthenticator(tokenValidator));
            HttpServer http = new HttpServer(new InetSocketAddress(config.bindAddress(), config.port()), tls(pki),
                    List.copyOf(authenticators), handler, ApiException.FORMAT);
            int port = http.port();
            String url = "https://" + (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
            Kubeconfig.write(config.dataDir().resolve("admin.kubeconfig"), "hypernetes", url, pki.ca(), "admin", pki.admin());
            // Controllers get their own identity (in system:masters), so what they do is attributed to them.
            Kubeconfig.write(config.dataDir().resolve(CONTROLLERS_KUBECONFIG), "hypernetes", url, pki.ca(),
                    "system:kube-controller-manager", pki.issueClient("system:kube-controller-manager", "system:masters"));
            ScheduledExecutorService compactor = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().daemon().name("compactor").factory());
            ApiServer server = new ApiServer(config, store, http, pki, compactor, tokenValidator, audit);
            server.scheduleCompaction();
            serving.set(true);
            log.info("serving on {} (data in {})", url, config.dataDir());
            return server;
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (tokenValidator != null) tokenValidator.close();
            if (audit != null) audit.close();
            store.close();
            throw e;
        }
    }

    private static SslContext tls(ClusterPki pki) throws SSLException {
        return SslContextBuilder.forServer(pki.server().key(), pki.server().certificate(), pki.ca().certificate())
                .trustManager(pki.ca().certificate())
                .clientAuth(ClientAuth.OPTIONAL)
                .protocols("TLSv1.3", "TLSv1.2")
                .build();
    }

    /** Every interval, compacts to the revision seen one interval earlier, so watchers have that long to catch up. */
    private void scheduleCompaction() {
        long every = config.compactionInterval().toMillis();
        long[] previous = {store.revision()};
        compactor.scheduleWithFixedDelay(() -> {
            try {
                long target = previous[0];
                previous[0] = store.revision();
                if (target > store.compactedRevision()) {
                    store.compact(target);
                    log.info("compacted store history up to revision {}", target);
                }
            } catch (RuntimeException e) {
                log.warn("compaction failed: {}", e.toString());
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    public int port() {
        return http.port();
    }

    public String url() {
        return "https://127.0.0.1:" + port();
    }

    public Path kubeconfig() {
        return config.dataDir().resolve("admin.kubeconfig");
    }

    /** Credentials for the controllers running beside the server. */
    public Path controllersKubeconfig() {
        return config.dataDir().resolve(CONTROLLERS_KUBECONFIG);
    }

    /**
     * Credentials for the node agent of node {@code nodeName}, as Kubernetes' node authorizer expects them: user
     * {@code system:node:<name>} in group {@code system:nodes}, which may read everything it must run and write
     * nodes, events and pod status (see {@link io.hypernetes.apiserver.authz.Authorizer}). Written to
     * {@code DIR/nodes/<name>.kubeconfig} (0600) and returned.
     */
    public Path nodeKubeconfig(String nodeName) throws IOException {
        return nodeKubeconfig(config.dataDir(), pki, url(), nodeName);
    }

    /**
     * The same credentials minted from the cluster's data directory by a process on the control plane's machine
     * that is not the API server ({@code hypernetes node}, Kubemark): it needs the CA key in {@code DIR/pki}.
     */
    public static Path nodeKubeconfig(Path dataDir, String url, String nodeName) throws IOException {
        Path pkiDir = dataDir.resolve("pki");
        if (!Files.isReadable(pkiDir.resolve("ca.key"))) {
            throw new IOException("no readable cluster CA key in " + pkiDir + ": is " + dataDir + " the data directory of `hypernetes up`?");
        }
        return nodeKubeconfig(dataDir, ClusterPki.loadOrCreate(pkiDir, ClusterPki.defaultServerNames()), url, nodeName);
    }

    private static Path nodeKubeconfig(Path dataDir, ClusterPki pki, String url, String nodeName) throws IOException {
        if (!nodeName.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
            throw new IllegalArgumentException("not a node name (a DNS-1123 subdomain): " + nodeName);
        }
        Path file = dataDir.resolve("nodes").resolve(nodeName + ".kubeconfig");
        Files.createDirectories(file.getParent());
        Kubeconfig.write(file, "hypernetes", url, pki.ca(), "system:node:" + nodeName,
                pki.issueClient("system:node:" + nodeName, "system:nodes"));
        return file;
    }

    public ClusterPki pki() {
        return pki;
    }

    public Store store() {
        return store;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        compactor.shutdownNow();
        http.close();
        if (tokenValidator != null) tokenValidator.close();
        audit.close();
        store.close();
        log.info("stopped");
    }
}
