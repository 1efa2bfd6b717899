package io.hypernetes.kubelet.server;

import io.grpc.ManagedChannel;
import io.hypernetes.client.Kubeconfig;
import io.hypernetes.http.ClientCertificateAuthenticator;
import io.hypernetes.http.HttpExchange;
import io.hypernetes.http.HttpServer;
import io.hypernetes.http.User;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's HTTPS server, through which the API server reaches a node's containers for
 * {@code kubectl logs}, {@code exec} and {@code attach} (see the package documentation for the whole path).
 *
 * <p>Endpoints, as the Kubernetes kubelet has them:
 * <ul>
 *   <li>{@code GET /containerLogs/{namespace}/{pod}/{container}?follow&previous&tailLines&sinceSeconds&sinceTime&timestamps&limitBytes}
 *       — the log as chunked {@code text/plain};
 *   <li>{@code GET /exec/{namespace}/{pod}/{container}?command=…&stdin&stdout&stderr&tty} and
 *       {@code /attach/{namespace}/{pod}/{container}?…} — a WebSocket upgrade speaking {@code v5.channel.k8s.io}
 *       or {@code v4.channel.k8s.io} (the API server translates SPDY clients, so the node never speaks SPDY).
 * </ul>
 *
 * <p>Only the control plane gets in: callers authenticate with a client certificate of the cluster CA and must be
 * in {@code system:masters} (the API server calls as {@code system:kube-apiserver-kubelet-client} in that group).
 * The server serves with the node's own certificate ({@code system:node:<name>}), which the API server checks by
 * that name. Nothing runs unless the agent starts it: Kubemark's hollow nodes leave it off.
 */
public final class KubeletServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KubeletServer.class);
    static final String MASTERS = "system:masters";

    /**
     * @param nodeName    the node served (for log lines and errors)
     * @param address     where to listen; port 0 picks a free one ({@link #port()} says which)
     * @param certificate the node's certificate ({@code system:node:<name>}, issued by the cluster CA)
     * @param key         its private key
     * @param clusterCa   the cluster CA, which callers' client certificates must chain to
     */
    public record Config(String nodeName, InetSocketAddress address, X509Certificate certificate, PrivateKey key,
                         X509Certificate clusterCa) {
        public Config {
            Objects.requireNonNull(nodeName, "nodeName");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(clusterCa, "clusterCa");
        }

        /**
         * The node's credentials from the kubeconfig {@code ApiServer.nodeKubeconfig(name)} wrote (embedded
         * {@code client-certificate-data}, {@code client-key-data} and {@code certificate-authority-data} of its
         * current context), listening on {@code address}.
         */
        public static Config fromKubeconfig(String nodeName, Path kubeconfig, InetSocketAddress address) {
            Kubeconfig.Credentials c = Kubeconfig.credentials(kubeconfig);
            return new Config(nodeName, address, c.certificate(), c.key(), c.clusterCa());
        }
    }

    private final Config config;
    private final HttpServer http;
    private final AtomicInteger streams;

    private KubeletServer(Config config, HttpServer http, AtomicInteger streams) {
        this.config = config;
        this.http = http;
        this.streams = streams;
    }

    /** Starts serving; {@code runtime} is the agent's channel to its runtime, which {@link #close} leaves open. */
    public static KubeletServer start(Config config, ManagedChannel runtime) {
        PodContainers containers = new PodContainers(runtime);
        AtomicInteger streams = new AtomicInteger();
        ContainerLogs logs = new ContainerLogs(containers, runtime, streams);
        RemoteCommand commands = new RemoteCommand(containers, runtime, streams);
        try {
            HttpServer http = new HttpServer(config.address(), tls(config), List.of(new ClientCertificateAuthenticator()),
                    ex -> route(ex, logs, commands), KubeletError.FORMAT);
            KubeletServer server = new KubeletServer(config, http, streams);
            log.info("kubelet server of node {} on port {}", config.nodeName(), server.port());
            return server;
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot serve TLS with the node's certificate: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding " + config.address(), e);
        }
    }

    private static SslContext tls(Config config) throws SSLException {
        return SslContextBuilder.forServer(config.key(), config.certificate())
                .trustManager(config.clusterCa())
                .clientAuth(ClientAuth.OPTIONAL)
                .protocols("TLSv1.3", "TLSv1.2")
                .build();
    }

    private static void route(HttpExchange ex, ContainerLogs logs, RemoteCommand commands) throws Exception {
        User user = ex.user();
        if (!user.authenticated()) throw new KubeletError(401, "Unauthorized", "Unauthorized");
        if (!user.groups().contains(MASTERS)) {
            throw new KubeletError(403, "Forbidden", "Forbidden: user \"" + user.name() + "\" may not reach the node's containers; only the API server may");
        }
        String[] p = ex.path().split("/", -1);
        // "", endpoint, namespace, pod, container
        if (p.length != 5 || p[2].isEmpty() || p[3].isEmpty() || p[4].isEmpty()) throw KubeletError.notFoundPath(ex.path());
        ContainerRef ref = new ContainerRef(p[2], p[3], p[4]);
        switch (p[1]) {
            case "containerLogs" -> {
                if (!ex.method().equals("GET")) throw new KubeletError(405, "MethodNotAllowed", ex.method() + " is not supported on " + ex.path());
                logs.serve(ex, ref);
            }
            case "exec" -> commands.serve(ex, ref, true);
            case "attach" -> commands.serve(ex, ref, false);
            default -> throw KubeletError.notFoundPath(ex.path());
        }
    }

    /** The port the server listens on. */
    public int port() {
        return http.port();
    }

    /**
     * Log streams, execs and attaches in progress, each holding a runtime call: back to 0 once their clients
     * hang up, which is how the tests see that a killed kubectl leaves nothing running on the node.
     */
    public int activeStreams() {
        return streams.get();
    }

    public Config config() {
        return config;
    }

    /** Stops serving; streams in progress end. */
    @Override
    public void close() {
        http.close();
    }

    /** A container by the names the API uses. */
    record ContainerRef(String namespace, String pod, String container) {}
}
