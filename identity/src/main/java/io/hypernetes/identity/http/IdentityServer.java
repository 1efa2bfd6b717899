package io.hypernetes.identity.http;

import io.hypernetes.http.HttpServer;
import io.hypernetes.http.pki.ClusterPki;
import io.hypernetes.identity.Bootstrap;
import io.hypernetes.identity.Identity;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in Keystone v3-compatible identity service over HTTPS: the {@link Identity} core behind Keystone's
 * HTTP API (see the module README for the endpoints and the policy), served by the shared HTTPS front with the
 * cluster's server certificate.
 */
public final class IdentityServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IdentityServer.class);

    /**
     * @param dataDir where the token keys ({@code identity/keys}), {@code admin-openrc} and the PKI ({@code pki/})
     *     live
     * @param bindAddress the address to listen on ({@code 0.0.0.0} for all, {@code 127.0.0.1} for this machine)
     * @param port the port, 0 for any free one
     * @param kubernetesUrl the API server's URL for the catalog (null = no kubernetes entry)
     */
    public record Config(Path dataDir, String bindAddress, int port, URI kubernetesUrl) {}

    private final HttpServer http;
    private final Identity identity;
    private final URI url;
    private final Bootstrap.Result bootstrap;
    private final ScheduledExecutorService housekeeping;

    private IdentityServer(HttpServer http, Identity identity, URI url, Bootstrap.Result bootstrap,
            ScheduledExecutorService housekeeping) {
        this.http = http;
        this.identity = identity;
        this.url = url;
        this.bootstrap = bootstrap;
        this.housekeeping = housekeeping;
    }

    /**
     * Serves {@code identity} (opened by the caller over the cluster's store, which {@link #close()} leaves open:
     * the API server validates tokens with the same {@link Identity} in the same JVM), over HTTPS with
     * {@code pki.server()}'s certificate (TLS 1.3/1.2, no client certificates: callers prove themselves with
     * tokens), then bootstraps with the URL actually bound, so {@code admin-openrc} names the real port even when
     * {@code config.port()} is 0.
     */
    public static IdentityServer start(Identity identity, ClusterPki pki, Config config)
            throws IOException, InterruptedException {
        CompletableFuture<Views> views = new CompletableFuture<>();
        HttpServer http = new HttpServer(new InetSocketAddress(config.bindAddress(), config.port()), tls(pki), List.of(),
                new KeystoneApi(identity, views), KeystoneError.FORMAT);
        try {
            // the certificate names 127.0.0.1 whatever the bind address, so that is the URL clients are given
            URI url = URI.create("https://127.0.0.1:" + http.port() + "/v3");
            views.complete(new Views(url, config.kubernetesUrl()));
            Bootstrap.Result result = Bootstrap.run(identity.directory(), identity.passwords(), config.dataDir(), url,
                    config.dataDir().resolve("pki").resolve("ca.crt"));
            ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().daemon().name("identity-housekeeping").factory());
            // revocation records are needed only until the tokens they name expire; drop the rest now and then
            housekeeping.scheduleWithFixedDelay(() -> purge(identity), 1, 60, TimeUnit.MINUTES);
            LOG.info("identity service on {}", url);
            return new IdentityServer(http, identity, url, result, housekeeping);
        } catch (RuntimeException e) {
            views.completeExceptionally(e);
            http.close();
            throw e;
        }
    }

    private static void purge(Identity identity) {
        try {
            int purged = identity.tokens().purgeRevocations();
            if (purged > 0) LOG.info("purged {} expired token revocations", purged);
        } catch (RuntimeException e) {
            LOG.warn("purging token revocations failed: {}", e.toString());
        }
    }

    private static SslContext tls(ClusterPki pki) throws IOException {
        return SslContextBuilder.forServer(pki.server().key(), pki.server().certificate(), pki.ca().certificate())
                .clientAuth(ClientAuth.NONE)
                .protocols("TLSv1.3", "TLSv1.2")
                .build();
    }

    public int port() {
        return http.port();
    }

    /** {@code https://127.0.0.1:<port>/v3}: the auth URL and the catalog's identity endpoint. */
    public URI url() {
        return url;
    }

    public Identity identity() {
        return identity;
    }

    /** What bootstrap did; the admin password is present only on the start that created the admin user. */
    public Bootstrap.Result bootstrap() {
        return bootstrap;
    }

    /** Stops serving. The Store stays open: it belongs to the caller. */
    @Override
    public void close() {
        housekeeping.shutdownNow();
        http.close();
    }
}
