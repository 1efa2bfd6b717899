package io.hypernetes.apiserver.stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.http.WebSocket;
import io.hypernetes.http.pki.ClusterPki;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The API server's calls to node agents' kubelet servers (logs, exec, attach), over HTTPS with a client
 * certificate of its own ({@code system:kube-apiserver-kubelet-client} in {@code system:masters}, the only kind
 * of caller a kubelet server lets in).
 *
 * <p>The kubelet serves with its node's certificate, so the server is checked by name instead of by host: its
 * chain must lead to the cluster CA and its subject must be {@code system:node:<the pod's node>}. A node cannot
 * answer for another node, and a node's address (which the node itself reports) needs no certificate entry.
 */
public final class KubeletClient {
    private static final Duration CONNECT = Duration.ofSeconds(10);

    /** Where a node's kubelet server listens. */
    public record Endpoint(String nodeName, String host, int port) {
        URI uri(String scheme, String pathAndQuery) {
            String h = host.contains(":") ? "[" + host + "]" : host;
            return URI.create(scheme + "://" + h + ":" + port + pathAndQuery);
        }
    }

    private final X509Certificate ca;
    private final KeyManagerFactory keys;

    public KubeletClient(X509Certificate clusterCa, ClusterPki.Credential client) {
        this.ca = clusterCa;
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("client", client.key(), new char[0], new java.security.cert.Certificate[] {client.certificate()});
            keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(ks, new char[0]);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot load the kubelet client credential", e);
        }
    }

    /** The name a node's serving certificate must carry. */
    static String nodeUser(String nodeName) {
        return "system:node:" + nodeName;
    }

    private HttpClient client(Endpoint node) {
        try {
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(keys.getKeyManagers(), new javax.net.ssl.TrustManager[] {new NodeTrust(ca, nodeUser(node.nodeName()))}, null);
            return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT).sslContext(ssl).build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A streaming GET: the body as it arrives; an error of the kubelet becomes the same error here. */
    public InputStream get(Endpoint node, String pathAndQuery) throws InterruptedException {
        HttpClient http = client(node);
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(node.uri("https", pathAndQuery)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                try (InputStream body = r.body()) {
                    throw error(r.statusCode(), new String(body.readAllBytes(), StandardCharsets.UTF_8), node);
                }
            }
            InputStream body = r.body();
            return new java.io.FilterInputStream(body) {
                @Override
                public void close() throws IOException {
                    super.close();
                    http.shutdownNow();
                }
            };
        } catch (IOException e) {
            http.shutdownNow();
            throw unreachable(node, e);
        } catch (RuntimeException | InterruptedException e) {
            http.shutdownNow();
            throw e;
        }
    }

    /** Opens a WebSocket speaking {@code subprotocol}; a refused handshake becomes the kubelet's error. */
    public WebSocket connect(Endpoint node, String pathAndQuery, String subprotocol) throws InterruptedException {
        HttpClient http = client(node);
        JdkWebSocket socket = new JdkWebSocket(http);
        try {
            java.net.http.WebSocket ws = http.newWebSocketBuilder().connectTimeout(CONNECT).subprotocols(subprotocol)
                    .buildAsync(node.uri("wss", pathAndQuery), socket).get(30, TimeUnit.SECONDS);
            socket.opened(ws);
            return socket;
        } catch (ExecutionException | CompletionException e) {
            http.shutdownNow();
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                Object body = h.getResponse().body();
                throw error(h.getResponse().statusCode(), body == null ? "" : body.toString(), node);
            }
            throw unreachable(node, e.getCause());
        } catch (TimeoutException e) {
            http.shutdownNow();
            throw unreachable(node, e);
        }
    }

    /** The kubelet's Status, passed on with its code and message. */
    private static ApiException error(int code, String body, Endpoint node) {
        String message = body.strip();
        String reason = "";
        try {
            JsonNode s = Json.parse(body.getBytes(StandardCharsets.UTF_8));
            if (s.path("kind").asText().equals("Status")) {
                message = s.path("message").asText(message);
                reason = s.path("reason").asText("");
            }
        } catch (IOException | RuntimeException notJson) {
            // a plain-text answer is passed on as it is
        }
        if (message.isEmpty()) message = "the node agent of " + node.nodeName() + " answered " + code;
        return new ApiException(code, reason, message, null);
    }

    private static ApiException unreachable(Endpoint node, Throwable cause) {
        return new ApiException(502, "InternalError", "error dialing backend: the kubelet server of node \"" + node.nodeName()
                + "\" at " + node.host() + ":" + node.port() + " did not answer: " + cause, null);
    }

    /**
     * Trusts exactly the certificate the CA issued to one node. JSSE leaves endpoint identification to an
     * X509ExtendedTrustManager, so the node's name takes the place of its host name here.
     */
    private static final class NodeTrust extends X509ExtendedTrustManager {
        private final X509Certificate ca;
        private final String expected;

        NodeTrust(X509Certificate ca, String expected) {
            this.ca = ca;
            this.expected = expected;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0) throw new CertificateException("the kubelet presented no certificate");
            try {
                PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
                params.setRevocationEnabled(false);
                CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(chain)), params);
            } catch (GeneralSecurityException e) {
                throw new CertificateException("the kubelet's certificate is not the cluster CA's: " + e.getMessage(), e);
            }
            String subject = chain[0].getSubjectX500Principal().getName();
            String cn = null;
            try {
                for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(subject).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) cn = rdn.getValue().toString();
                }
            } catch (javax.naming.InvalidNameException e) {
                throw new CertificateException("unreadable subject " + subject);
            }
            if (!expected.equals(cn)) {
                throw new CertificateException("the kubelet's certificate is for " + cn + ", not " + expected);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client of the API server's kubelet connections is never trusted");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {ca};
        }
    }
}
