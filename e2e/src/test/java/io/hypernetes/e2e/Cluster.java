package io.hypernetes.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
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
    private final Process process;
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());
    private final String url;
    private final CompletableFuture<String> identityUrl = new CompletableFuture<>();

    private Cluster(Path dataDir, List<String> extraArgs) {
        this.dataDir = dataDir;
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("hypernetes").toString(), "up", "--data-dir", dataDir.toString(),
                "--port", "0", "--identity-port", "0", "--bind-address", "127.0.0.1", "--watch-bookmark-interval", "2s"));
        cmd.addAll(extraArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("HYPERNETES_SKIP_BUILD", "1");
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.add(line);
                    Matcher m = UP.matcher(line);
                    if (m.find()) ready.complete(m.group(1));
                    Matcher i = IDENTITY.matcher(line);
                    if (i.find()) identityUrl.complete(i.group(1));
                }
            } catch (IOException ignored) {
                // the process ended
            }
            identityUrl.completeExceptionally(new IllegalStateException("hypernetes up printed no identity URL: " + String.join("\n", output)));
            ready.completeExceptionally(new IllegalStateException("hypernetes up exited: " + String.join("\n", output)));
        });
        try {
            url = ready.get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("hypernetes up did not start: " + String.join("\n", output), e);
        }
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
        try {
            return identityUrl.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("no identity URL from hypernetes up: " + output(), e);
        }
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
        return String.join("\n", output);
    }

    /** Ctrl-C: SIGINT, then wait for a clean exit. */
    int interrupt() throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start().waitFor();
        if (!process.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException("did not stop on SIGINT");
        return process.exitValue();
    }

    /** kill -9. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
            } catch (InterruptedException e) {
                process.destroyForcibly();
            }
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
