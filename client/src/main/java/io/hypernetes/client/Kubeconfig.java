package io.hypernetes.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Reads the current context of a kubeconfig: the server, its CA, and the user's certificate or token. */
public final class Kubeconfig {
    private Kubeconfig() {}

    record Context(URI server, SSLContext sslContext, String bearerToken) {}

    /** The current context as written: PEM bytes (embedded or read from the files named), null where absent. */
    private record Raw(URI server, byte[] ca, byte[] cert, byte[] key, String token) {}

    /**
     * The current context's client certificate and key and its cluster's CA: the credentials a node agent also
     * serves its kubelet server with (its kubeconfig from {@code ApiServer.nodeKubeconfig} carries all three).
     */
    public record Credentials(X509Certificate certificate, PrivateKey key, X509Certificate clusterCa) {}

    static Context load(Path file) {
        Raw raw = read(file);
        try {
            return new Context(raw.server(), ssl(raw.ca(), raw.cert(), raw.key()), raw.token());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kubeconfig " + file, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("bad credentials in kubeconfig " + file + ": " + e.getMessage(), e);
        }
    }

    /** The current context's certificate, key and CA; an {@link IllegalArgumentException} names what is missing. */
    public static Credentials credentials(Path file) {
        Raw raw = read(file);
        if (raw.cert() == null || raw.key() == null || raw.ca() == null) {
            throw new IllegalArgumentException("kubeconfig " + file + " lacks a client certificate, its key or the cluster CA");
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            return new Credentials((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(raw.cert())),
                    privateKey(raw.key()), (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(raw.ca())));
        } catch (IOException | GeneralSecurityException | ClassCastException e) {
            throw new IllegalArgumentException("bad credentials in kubeconfig " + file + ": " + e.getMessage(), e);
        }
    }

    private static Raw read(Path file) {
        try {
            JsonNode root = Json.YAML.readTree(Files.readAllBytes(file));
            String current = root.path("current-context").asText();
            JsonNode context = named(root.path("contexts"), current, "context");
            JsonNode cluster = named(root.path("clusters"), context.path("cluster").asText(), "cluster");
            JsonNode user = named(root.path("users"), context.path("user").asText(), "user");
            Path base = file.toAbsolutePath().getParent();
            return new Raw(URI.create(cluster.path("server").asText()), data(cluster, "certificate-authority", base),
                    data(user, "client-certificate", base), data(user, "client-key", base), user.path("token").asText(null));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kubeconfig " + file, e);
        }
    }

    private static JsonNode named(JsonNode list, String name, String field) {
        for (JsonNode n : list) if (n.path("name").asText().equals(name)) return n.path(field);
        throw new IllegalArgumentException("kubeconfig has no " + field + " named \"" + name + "\"");
    }

    /** {@code <field>-data} (base64) or {@code <field>} (a file path), or null. */
    private static byte[] data(JsonNode node, String field, Path base) throws IOException {
        if (node.hasNonNull(field + "-data")) return Base64.getDecoder().decode(node.get(field + "-data").asText());
        if (node.hasNonNull(field)) return Files.readAllBytes(base.resolve(node.get(field).asText()));
        return null;
    }

    private static SSLContext ssl(byte[] caPem, byte[] certPem, byte[] keyPem) throws GeneralSecurityException, IOException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (caPem != null) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(caPem))) trust.setCertificateEntry("ca" + i++, c);
            tmf.init(trust);
        } else {
            tmf.init((KeyStore) null);
        }
        KeyManagerFactory kmf = null;
        if (certPem != null && keyPem != null) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            Certificate[] chain = cf.generateCertificates(new ByteArrayInputStream(certPem)).toArray(Certificate[]::new);
            keys.setKeyEntry("client", privateKey(keyPem), new char[0], chain);
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private static PrivateKey privateKey(byte[] pem) throws IOException {
        try (PEMParser p = new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
            Object o = p.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair kp) return conv.getKeyPair(kp).getPrivate();
            if (o instanceof PrivateKeyInfo info) return conv.getPrivateKey(info);
            throw new IOException("unsupported private key format");
        }
    }
}
