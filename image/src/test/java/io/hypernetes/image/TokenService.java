package io.hypernetes.image;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A token service for docker-registry's {@code token} auth, as Docker Hub's auth.docker.io is: it hands out RS256
 * JWTs granting what the request's scopes ask for to {@code user}/{@code password}, and nothing to anyone else
 * (anonymous requests get a token with no access, as for a private repository). The signing key's certificate is
 * made by openssl; the token names the key by its libtrust key id, which is how the registry finds it.
 */
final class TokenService implements AutoCloseable {
    static final String SERVICE = "test-registry";
    static final String ISSUER = "test-token-issuer";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpServer server;
    private final PrivateKey key;
    private final String keyId;
    private final Path certificate;
    private final String user;
    private final String password;
    final AtomicInteger issued = new AtomicInteger();

    TokenService(Path dir, String user, String password) throws IOException {
        this.user = user;
        this.password = password;
        Path keyFile = dir.resolve("token-key.pem");
        certificate = dir.resolve("token-cert.pem");
        TestRegistry.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile.toString(),
                "-out", certificate.toString(), "-days", "2", "-subj", "/CN=" + ISSUER));
        try {
            String pem = Files.readString(keyFile).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
            X509Certificate cert;
            try (var in = Files.newInputStream(certificate)) {
                cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            keyId = libtrustKeyId(cert.getPublicKey().getEncoded());
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/token", exchange -> {
            String query = exchange.getRequestURI().getRawQuery();
            List<String> scopes = new ArrayList<>();
            for (String pair : query == null ? new String[0] : query.split("&")) {
                if (pair.startsWith("scope=")) {
                    scopes.add(URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8));
                }
            }
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            boolean authenticated = false;
            if (authorization != null) {
                String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
                if (!authorization.equals(expected)) {
                    byte[] body = "{\"details\":\"incorrect username or password\"}".getBytes();
                    exchange.sendResponseHeaders(401, body.length);
                    exchange.getResponseBody().write(body);
                    exchange.close();
                    return;
                }
                authenticated = true;
            }
            byte[] body = JSON.writeValueAsBytes(Map.of("token", token(authenticated ? user : "", authenticated ? scopes : List.of()),
                    "expires_in", 300));
            issued.incrementAndGet();
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    Path certificate() {
        return certificate;
    }

    private String token(String subject, List<String> scopes) throws IOException {
        List<Map<String, Object>> access = new ArrayList<>();
        for (String scope : scopes) {
            String[] parts = scope.split(":");
            if (parts.length == 3) {
                access.add(Map.of("type", parts[0], "name", parts[1], "actions", List.of(parts[2].split(","))));
            }
        }
        long now = Instant.now().getEpochSecond();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", ISSUER);
        claims.put("sub", subject);
        claims.put("aud", SERVICE);
        claims.put("exp", now + 300);
        claims.put("nbf", now - 60);
        claims.put("iat", now - 60);
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("access", access);
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        String input = url.encodeToString(JSON.writeValueAsBytes(Map.of("typ", "JWT", "alg", "RS256", "kid", keyId))) + "."
                + url.encodeToString(JSON.writeValueAsBytes(claims));
        try {
            Signature rs256 = Signature.getInstance("SHA256withRSA");
            rs256.initSign(key);
            rs256.update(input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + url.encodeToString(rs256.sign());
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    /** libtrust's key id: the first 240 bits of the SHA-256 of the DER public key, base32, in groups of four. */
    private static String libtrustKeyId(byte[] der) {
        byte[] hash = java.util.Arrays.copyOf(Digests.sha256().digest(der), 30);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        StringBuilder base32 = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : hash) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                base32.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < base32.length(); i += 4) {
            id.append(i == 0 ? "" : ":").append(base32, i, i + 4);
        }
        return id.toString();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
