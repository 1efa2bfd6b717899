package io.hypernetes.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * {@code ./hypernetes up} as a user starts it: its own process, on a data directory, with its output collected.
 * The end-to-end tests drive it with stock kubectl and kill it the hard way.
 */
final class Cluster implements AutoCloseable {
    static final Path ROOT = findRoot();
    private static final Pattern UP = Pattern.compile("Hypernetes is up in \\d+ ms: (https://\\S+)");
    private static final Pattern IDENTITY = Pattern.compile("Identity \\(Keystone v3\\) on (https://\\S+)");

    final Path dataDir;
    private final HypernetesProcess process;
    private final String url;

    private Cluster(Path dataDir, List<String> extraArgs) {
        this.dataDir = dataDir;
        List<String> args = new ArrayList<>(List.of("up", "--data-dir", dataDir.toString(),
                "--port", "0", "--identity-port", "0", "--watch-bookmark-interval", "2s"));
        if (!extraArgs.contains("--bind-address")) {
            args.addAll(List.of("--bind-address", "127.0.0.1"));
        }
        if (!extraArgs.contains("--node")) {
            args.addAll(List.of("--node", "none")); // these tests join the nodes they need, or none
        }
        args.addAll(extraArgs);
        process = new HypernetesProcess(args);
        url = process.await(UP, Duration.ofSeconds(120));
    }

    static Cluster start(Path dataDir) {
        return new Cluster(dataDir, List.of());
    }

    /** With more options for {@code up}, e.g. {@code --keystone-url URL --keystone-cacert FILE}. */
    static Cluster start(Path dataDir, String... extraArgs) {
        return new Cluster(dataDir, List.of(extraArgs));
    }

    String url() {
        return url;
    }

    /** The built-in identity service's URL ({@code https://127.0.0.1:PORT/v3}), printed just after the API's. */
    String identityUrl() {
        return process.await(IDENTITY, Duration.ofSeconds(30));
    }

    /** {@code DIR/admin-openrc}: the OpenStack CLI's environment for the cluster administrator. */
    Path adminOpenrc() {
        return dataDir.resolve("admin-openrc");
    }

    /** The cluster CA ({@code DIR/pki/ca.crt}) that signed the API server's and the identity service's certificates. */
    Path caCert() {
        return dataDir.resolve("pki").resolve("ca.crt");
    }

    Path kubeconfig() {
        return dataDir.resolve("admin.kubeconfig");
    }

    long pid() {
        return process.pid();
    }

    String output() {
        return process.output();
    }

    /** Ctrl-C: SIGINT, then wait for a clean exit. */
    int interrupt() throws IOException, InterruptedException {
        return process.interrupt();
    }

    /** kill -9. */
    void kill() throws InterruptedException {
        process.kill();
    }

    /**
     * Stops {@code up}, then deletes what its kubestack built on this host (routers, bridges, VXLANs, nftables): they
     * outlive {@code up} by design, as VMs do, and a test leaves none behind.
     */
    @Override
    public void close() {
        process.close();
        try {
            Processes.run(List.of(ROOT.resolve("hypernetes").toString(), "kubestack", "--delete-all",
                    "--state-dir", dataDir.resolve("kubestack").toString()));
        } catch (Exception e) {
            throw new IllegalStateException("cleaning up the cluster's tenant networks", e);
        }
    }

    private static Path findRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("hypernetes"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("cannot find the repository root (the hypernetes script)");
        return p;
    }

    static void awaitTrue(Duration timeout, java.util.function.BooleanSupplier condition) throws InterruptedException {
        Instant end = Instant.now().plus(timeout);
        while (Instant.now().isBefore(end)) {
            if (condition.getAsBoolean()) return;
            Thread.sleep(100);
        }
        throw new AssertionError("condition not met within " + timeout);
    }

    /** A JDK HttpClient that trusts only the cluster CA (no client certificate, no token). */
    static HttpClient trustingClient(Path caCert) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caCert)) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
    }
}
