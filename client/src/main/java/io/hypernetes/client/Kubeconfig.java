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
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Reads the current context of a kubeconfig: the server, its CA, and the user's certificate or token. */
final class Kubeconfig {
    private Kubeconfig() {}

    record Context(URI server, SSLContext sslContext, String bearerToken) {}

    static Context load(Path file) {
        try {
            JsonNode root = Json.YAML.readTree(Files.readAllBytes(file));
            String current = root.path("current-context").asText();
            JsonNode context = named(root.path("contexts"), current, "context");
            JsonNode cluster = named(root.path("clusters"), context.path("cluster").asText(), "cluster");
            JsonNode user = named(root.path("users"), context.path("user").asText(), "user");
            Path base = file.toAbsolutePath().getParent();
            byte[] ca = data(cluster, "certificate-authority", base);
            byte[] cert = data(user, "client-certificate", base);
            byte[] key = data(user, "client-key", base);
            String token = user.path("token").asText(null);
            return new Context(URI.create(cluster.path("server").asText()), ssl(ca, cert, key), token);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kubeconfig " + file, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("bad credentials in kubeconfig " + file + ": " + e.getMessage(), e);
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
