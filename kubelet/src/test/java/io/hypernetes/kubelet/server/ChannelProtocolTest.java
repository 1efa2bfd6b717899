package io.hypernetes.kubelet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.http.pki.ClusterPki;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kubernetes' channel protocol on the wire, message by message, with the JDK's WebSocket client against the API
 * server: {@code v4.channel.k8s.io} (which kubectl no longer picks, but other clients do) and
 * {@code v5.channel.k8s.io} with its close signal, the exit status on channel 3, and a refused subprotocol.
 */
class ChannelProtocolTest {
    static StreamingCluster cluster;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        cluster = StreamingCluster.start();
        cluster.created("/api/v1/namespaces", StreamingCluster.yaml("{apiVersion: v1, kind: Namespace, metadata: {name: apps}}"));
        var web = cluster.sandbox(cluster.pod("apps", "web", StreamingCluster.NODE, "app=nginx:1.25"));
        cluster.container(web, "app", "nginx:1.25", 0);
        ClusterPki pki = cluster.api.pki();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("admin", pki.admin().key(), new char[0], new Certificate[] {pki.admin().certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", pki.ca().certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        http = HttpClient.newBuilder().sslContext(ssl).build();
    }

    @AfterAll
    static void stop() {
        if (http != null) http.close();
        if (cluster != null) cluster.close();
    }

    /** Every message until the server closes, each as its channel byte and the rest. */
    private record Session(WebSocket ws, BlockingQueue<byte[]> messages, String protocol) {
        List<byte[]> untilClosed() throws InterruptedException {
            List<byte[]> out = new ArrayList<>();
            while (true) {
                byte[] m = messages.poll(30, TimeUnit.SECONDS);
                if (m == null) throw new AssertionError("the server neither sent nor closed within 30 s; got " + out.size() + " messages");
                if (m.length == 0) return out;
                out.add(m);
            }
        }
    }

    private static Session open(String query, String... protocols) throws Exception {
        BlockingQueue<byte[]> messages = new LinkedBlockingQueue<>();
        ByteArrayOutputStream partial = new ByteArrayOutputStream();
        WebSocket.Listener listener = new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                byte[] b = new byte[data.remaining()];
                data.get(b);
                partial.writeBytes(b);
                if (last) {
                    messages.add(partial.toByteArray());
                    partial.reset();
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                messages.add(new byte[0]);
                return null;
            }
        };
        WebSocket.Builder b = http.newWebSocketBuilder();
        b = b.subprotocols(protocols[0], java.util.Arrays.copyOfRange(protocols, 1, protocols.length));
        URI uri = URI.create("wss://127.0.0.1:" + cluster.api.port() + "/api/v1/namespaces/apps/pods/web/exec?" + query);
        WebSocket ws = b.buildAsync(uri, listener).get(30, TimeUnit.SECONDS);
        return new Session(ws, messages, ws.getSubprotocol());
    }

    private static String text(byte[] message) {
        return new String(message, 1, message.length - 1, StandardCharsets.UTF_8);
    }

    private static JsonNode status(List<byte[]> messages) throws Exception {
        byte[] last = messages.getLast();
        assertThat(last[0]).as("the status comes last, on channel 3").isEqualTo((byte) 3);
        return Json.parse(java.util.Arrays.copyOfRange(last, 1, last.length));
    }

    @Test
    void v4CarriesOutputAndASuccessStatus() throws Exception {
        Session s = open("command=echo&command=four&stdout=true&stderr=true", "v4.channel.k8s.io");
        assertThat(s.protocol()).isEqualTo("v4.channel.k8s.io");
        List<byte[]> messages = s.untilClosed();
        assertThat(messages.getFirst()[0]).isEqualTo((byte) 1);
        assertThat(text(messages.getFirst())).isEqualTo("four\n");
        assertThat(status(messages).path("status").asText()).isEqualTo("Success");
    }

    @Test
    void aNonZeroExitIsNonZeroExitCodeWithAnExitCodeCause() throws Exception {
        Session s = open("command=exit&command=3&stdout=true", "v5.channel.k8s.io", "v4.channel.k8s.io");
        assertThat(s.protocol()).isEqualTo("v5.channel.k8s.io");
        JsonNode status = status(s.untilClosed());
        assertThat(status.path("status").asText()).isEqualTo("Failure");
        assertThat(status.path("reason").asText()).isEqualTo("NonZeroExitCode");
        assertThat(status.path("details").path("causes").get(0).path("reason").asText()).isEqualTo("ExitCode");
        assertThat(status.path("details").path("causes").get(0).path("message").asText()).isEqualTo("3");
    }

    @Test
    void v5ClosesStdinWithChannel255() throws Exception {
        Session s = open("command=cat&stdin=true&stdout=true", "v5.channel.k8s.io");
        s.ws().sendBinary(ByteBuffer.wrap(new byte[] {0, 'a', 'b', 'c'}), true).get();
        s.ws().sendBinary(ByteBuffer.wrap(new byte[] {(byte) 255, 0}), true).get();
        List<byte[]> messages = s.untilClosed();
        StringBuilder out = new StringBuilder();
        for (byte[] m : messages) if (m[0] == 1) out.append(text(m));
        assertThat(out.toString()).isEqualTo("abc");
        assertThat(status(messages).path("status").asText()).isEqualTo("Success");
    }

    @Test
    void anUnknownSubprotocolIsRefusedBeforeTheUpgrade() {
        assertThatThrownBy(() -> open("command=echo&stdout=true", "v9.channel.k8s.io"))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(WebSocketHandshakeException.class, e -> {
                    assertThat(e.getResponse().statusCode()).isEqualTo(400);
                    assertThat(String.valueOf(e.getResponse().body())).contains("unable to negotiate protocol");
                });
    }
}
