package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.http.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bodies over the 3 MiB limit get a 413 and are never held in memory; the connection stays usable when the rest of
 * the body can be dropped within a bound (raw HTTP/1.1 over TLS, so the test sees the one connection).
 */
class BodyLimitTest {
    static TestCluster cluster;
    static SSLContext tls;
    static URI server;

    @BeforeAll
    static void start() throws Exception {
        cluster = TestCluster.start();
        cluster.newNamespace("big");
        JsonNode config = Json.YAML.readTree(cluster.server.kubeconfig().toFile());
        JsonNode clusterEntry = config.path("clusters").get(0).path("cluster");
        JsonNode user = config.path("users").get(0).path("user");
        server = URI.create(clusterEntry.path("server").asText());
        tls = context(pem(clusterEntry, "certificate-authority-data"), pem(user, "client-certificate-data"), pem(user, "client-key-data"));
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    static byte[] pem(JsonNode node, String field) {
        return Base64.getDecoder().decode(node.path(field).asText());
    }

    /** The admin's TLS context from the kubeconfig: trust the cluster CA, present the admin certificate. */
    static SSLContext context(byte[] ca, byte[] cert, byte[] key) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", cf.generateCertificate(new ByteArrayInputStream(ca)));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        PrivateKey privateKey;
        try (PEMParser p = new PEMParser(new InputStreamReader(new ByteArrayInputStream(key), StandardCharsets.US_ASCII))) {
            Object o = p.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            privateKey = o instanceof PEMKeyPair kp ? conv.getKeyPair(kp).getPrivate() : conv.getPrivateKey((PrivateKeyInfo) o);
        }
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        X509Certificate c = (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(cert));
        keys.setKeyEntry("admin", privateKey, new char[0], new Certificate[] {c});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    static SSLSocket connect() throws IOException {
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(server.getHost(), server.getPort());
        s.setSoTimeout(20_000);
        s.startHandshake();
        return s;
    }

    record Reply(int code, Map<String, String> headers, byte[] body) {}

    /** Reads one HTTP/1.1 response with a Content-Length body. */
    static Reply read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) throw new IOException("connection closed before a response");
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int code = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
        return new Reply(code, headers, body);
    }

    static String head(String method, String path, String extra) {
        return method + " " + path + " HTTP/1.1\r\nHost: " + server.getHost() + "\r\nAccept: application/json\r\n" + extra + "\r\n";
    }

    static void assertTooLarge(Reply r) throws IOException {
        assertThat(r.code()).isEqualTo(413);
        JsonNode status = Json.parse(r.body());
        assertThat(status.path("reason").asText()).isEqualTo("RequestEntityTooLarge");
    }

    /** A second request on the same connection is answered. */
    static void assertStillUsable(SSLSocket s) throws IOException {
        s.getOutputStream().write(head("GET", "/api/v1/namespaces/big", "").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        Reply r = read(s.getInputStream());
        assertThat(r.code()).isEqualTo(200);
        assertThat(Json.parse(r.body()).at("/metadata/name").asText()).isEqualTo("big");
    }

    @Test
    void oversizedRequestLinesAndHeadersAreRefusedAndTheConnectionClosed() throws IOException {
        long before = cluster.revision();
        try (SSLSocket s = connect()) {
            s.getOutputStream().write(head("GET", "/api/v1/namespaces?x=" + "a".repeat(9000), "").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Reply r = read(s.getInputStream());
            assertThat(r.code()).isEqualTo(414);
            assertThat(Json.parse(r.body()).path("kind").asText()).isEqualTo("Status");
            assertThat(s.getInputStream().read()).as("closed").isEqualTo(-1);
        }
        try (SSLSocket s = connect()) {
            String body = "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"headers\"}}";
            s.getOutputStream().write(head("POST", "/api/v1/namespaces", "X-Big: " + "a".repeat(70_000)
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(body.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Reply r = read(s.getInputStream());
            assertThat(r.code()).isEqualTo(431);
            assertThat(Json.parse(r.body()).path("message").asText()).contains("headers are longer");
        }
        assertThat(cluster.revision()).as("nothing written").isEqualTo(before);
    }

    @Test
    void aDeclaredLengthJustOverTheLimitIsDrainedAndTheConnectionCarriesOn() throws IOException {
        long before = cluster.revision();
        int length = HttpServer.MAX_BODY + 100 * 1024;
        try (SSLSocket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(head("POST", "/api/v1/namespaces/big/configmaps", "Content-Type: application/json\r\nContent-Length: " + length + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'x');
            for (int sent = 0; sent < length; sent += chunk.length) out.write(chunk, 0, Math.min(chunk.length, length - sent));
            out.flush();
            Reply r = read(s.getInputStream());
            assertTooLarge(r);
            assertThat(r.headers().get("connection")).isNotEqualToIgnoringCase("close");
            assertStillUsable(s);
        }
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void aChunkedBodyThatEndsSoonAfterTheLimitIsDrainedToo() throws IOException {
        try (SSLSocket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(head("PUT", "/api/v1/namespaces/big/configmaps/x", "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[32 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'y');
            for (int sent = 0; sent < HttpServer.MAX_BODY + 64 * 1024; sent += chunk.length) {
                out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertTooLarge(read(s.getInputStream()));
            assertStillUsable(s);
        }
    }

    @Test
    void aDeclaredLengthFarBeyondTheLimitIsAnsweredWithoutReadingAndClosed() throws IOException {
        try (SSLSocket s = connect()) {
            // only the head is sent: the server must answer from the declared length alone, reading nothing more
            s.getOutputStream().write(head("POST", "/api/v1/namespaces/big/configmaps",
                    "Content-Type: application/json\r\nContent-Length: " + (1L << 30) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Reply r = read(s.getInputStream());
            assertTooLarge(r);
            assertThat(r.headers().get("connection")).isEqualToIgnoringCase("close");
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void aClientThatAsksToCloseIsClosed() throws IOException {
        int length = HttpServer.MAX_BODY + 1;
        try (SSLSocket s = connect()) {
            s.getOutputStream().write(head("POST", "/api/v1/namespaces/big/configmaps",
                    "Connection: close\r\nContent-Type: application/json\r\nContent-Length: " + length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Reply r = read(s.getInputStream());
            assertTooLarge(r);
            assertThat(r.headers().get("connection")).isEqualToIgnoringCase("close");
        }
    }

    /** Pipelined requests (several written before any answer) are answered in the order they were sent. */
    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        try (SSLSocket s = connect()) {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 20; i++) all.append(head("GET", i % 2 == 0 ? "/api/v1/namespaces/big" : "/version", ""));
            s.getOutputStream().write(all.toString().getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            for (int i = 0; i < 20; i++) {
                Reply r = read(s.getInputStream());
                assertThat(r.code()).isEqualTo(200);
                JsonNode body = Json.parse(r.body());
                if (i % 2 == 0) assertThat(body.at("/metadata/name").asText()).as("reply %d", i).isEqualTo("big");
                else assertThat(body.path("major").asText()).as("reply %d", i).isEqualTo("1");
            }
        }
    }

    /** A request URI that cannot be decoded gets a 400, and the connection carries on. */
    @Test
    void aMalformedQueryIsABadRequest() throws IOException {
        try (SSLSocket s = connect()) {
            s.getOutputStream().write(head("GET", "/api/v1/pods?labelSelector=%zz", "").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Reply r = read(s.getInputStream());
            assertThat(r.code()).isEqualTo(400);
            assertThat(Json.parse(r.body()).path("message").asText()).contains("malformed request URI");
            assertStillUsable(s);
        }
    }
}
