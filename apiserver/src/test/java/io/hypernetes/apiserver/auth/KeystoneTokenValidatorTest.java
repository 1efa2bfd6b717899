package io.hypernetes.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.hypernetes.api.json.Json;
import io.hypernetes.http.User;
import io.hypernetes.identity.Authenticator;
import io.hypernetes.identity.IdentityException;
import io.hypernetes.store.Store;
import io.hypernetes.store.embedded.EmbeddedStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remote validator: parsing of the token body the identity core renders for {@code GET /v3/auth/tokens}, and
 * the HTTP exchange against a <em>stand-in Keystone front</em> (the JDK's plain-HTTP server answering with the
 * real identity core's verdicts and bodies), until the real {@code IdentityServer} lands. TLS trust is tested
 * against the API server's own HTTPS in {@link BearerTokenHttpsTest}.
 */
class KeystoneTokenValidatorTest {
    @TempDir
    Path dir;

    Store store;
    Keystone keystone;
    HttpServer front;
    /** When set, the stand-in answers this status with an empty body instead of asking the identity core. */
    final AtomicInteger forcedStatus = new AtomicInteger();
    final AtomicReference<String> forcedBody = new AtomicReference<>();
    final AtomicReference<List<String>> seen = new AtomicReference<>();
    KeystoneTokenValidator validator;

    @BeforeEach
    void open() throws IOException {
        store = EmbeddedStore.open(dir.resolve("store"));
        keystone = new Keystone(store, dir, Clock.systemUTC());
        front = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        front.createContext("/v3/auth/tokens", ex -> {
            seen.set(List.of(ex.getRequestMethod(), ex.getRequestURI().toString(),
                    String.valueOf(ex.getRequestHeaders().getFirst("X-Auth-Token")),
                    String.valueOf(ex.getRequestHeaders().getFirst("X-Subject-Token"))));
            int status;
            byte[] body;
            if (forcedStatus.get() != 0) {
                status = forcedStatus.get();
                body = forcedBody.get() == null ? new byte[0] : forcedBody.get().getBytes(StandardCharsets.UTF_8);
            } else {
                try {
                    body = Json.bytes(keystone.authenticator().validate(ex.getRequestHeaders().getFirst("X-Subject-Token")).toJson(null));
                    status = 200;
                } catch (IdentityException e) {
                    body = "{\"error\": {\"code\": 404, \"message\": \"Could not find token.\"}}".getBytes(StandardCharsets.UTF_8);
                    status = 404;
                }
            }
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) ex.getResponseBody().write(body);
            ex.close();
        });
        front.start();
        validator = new KeystoneTokenValidator(URI.create("http://127.0.0.1:" + front.getAddress().getPort() + "/v3/"), null);
    }

    @AfterEach
    void close() {
        validator.close();
        front.stop(0);
        store.close();
    }

    @Test
    void parsesTheTokenBodyTheIdentityServiceAnswers() {
        Authenticator.Issued issued = keystone.scoped();
        var catalog = Json.MAPPER.createArrayNode();
        catalog.addObject().put("type", "identity").putArray("endpoints");
        TokenValidator.Validated v = KeystoneTokenValidator.parse(Json.bytes(issued.body().toJson(catalog)));

        assertThat(v.expiresAt()).isEqualTo(issued.body().token().expiresAt().truncatedTo(java.time.temporal.ChronoUnit.MICROS));
        assertThat(v.user()).as("the same user as the in-process validator makes")
                .isEqualTo(InProcessTokenValidator.user(issued.body()));
        assertThat(v.user().name()).isEqualTo("alice");
        assertThat(KeystoneUsers.projectId(v.user())).contains(keystone.tenant.id());
        assertThat(KeystoneUsers.roles(v.user())).containsExactlyInAnyOrder("member", "reader");
    }

    @Test
    void parsesUnscopedTokenBodies() {
        Authenticator.Issued issued = keystone.unscoped();
        User u = KeystoneTokenValidator.parse(Json.bytes(issued.body().toJson(null))).user();
        assertThat(u).isEqualTo(InProcessTokenValidator.user(issued.body()));
        assertThat(KeystoneUsers.projectId(u)).isEmpty();
        assertThat(u.groups()).containsExactly("system:authenticated");
    }

    @Test
    void aBodyThatIsNotATokenIsNoVerdict() {
        for (String body : List.of("", "not json", "{}", "{\"token\": {}}", "[1,2]",
                "{\"token\": {\"user\": {\"id\": \"u\", \"name\": \"n\"}}}",
                "{\"token\": {\"user\": {\"id\": \"u\", \"name\": \"n\"}, \"expires_at\": \"tomorrow\"}}",
                "{\"token\": {\"user\": {\"id\": \"u\", \"name\": \"n\"}, \"expires_at\": \"2030-01-01T00:00:00Z\", \"project\": {\"name\": \"p\"}}}")) {
            assertThatThrownBy(() -> KeystoneTokenValidator.parse(body.getBytes(StandardCharsets.UTF_8))).as(body)
                    .isInstanceOf(IdentityUnavailableException.class);
        }
    }

    @Test
    void readsKeystoneTimesWithAndWithoutZone() {
        assertThat(KeystoneTokenValidator.instant("2026-01-01T10:00:00.123456Z")).isEqualTo(Instant.parse("2026-01-01T10:00:00.123456Z"));
        assertThat(KeystoneTokenValidator.instant("2026-01-01T10:00:00+01:00")).isEqualTo(Instant.parse("2026-01-01T09:00:00Z"));
        assertThat(KeystoneTokenValidator.instant("2026-01-01T10:00:00.000000")).isEqualTo(Instant.parse("2026-01-01T10:00:00Z"));
    }

    @Test
    void aValidTokenValidatesItselfWithoutACatalog() {
        String token = keystone.scoped().token();
        TokenValidator.Validated v = validator.validate(token).orElseThrow();

        assertThat(v.user().name()).isEqualTo("alice");
        assertThat(seen.get()).containsExactly("GET", "/v3/auth/tokens?nocatalog", token, token);
    }

    @Test
    void keystoneRefusingTheTokenIsAnInvalidToken() {
        assertThat(validator.validate("forged")).isEmpty();
        forcedStatus.set(401);
        assertThat(validator.validate("forged")).isEmpty();
    }

    @Test
    void anyOtherAnswerIsNoVerdict() {
        for (int status : new int[] {403, 500, 503, 302}) {
            forcedStatus.set(status);
            assertThatThrownBy(() -> validator.validate("t")).as("status " + status)
                    .isInstanceOf(IdentityUnavailableException.class).hasMessageContaining(String.valueOf(status));
        }
        forcedStatus.set(200);
        forcedBody.set("<html>proxy login</html>");
        assertThatThrownBy(() -> validator.validate("t")).isInstanceOf(IdentityUnavailableException.class);
    }

    @Test
    void anUnreachableKeystoneIsNoVerdict() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (var down = new KeystoneTokenValidator(URI.create("http://127.0.0.1:" + port + "/v3"), null)) {
            assertThatThrownBy(() -> down.validate("t")).isInstanceOf(IdentityUnavailableException.class)
                    .hasMessageContaining("unreachable");
        }
    }

    @Test
    void tokensThatCannotBeHeaderValuesAreInvalidWithoutAsking() {
        assertThat(validator.validate("abc\r\nX-Evil: 1")).isEmpty();
        assertThat(seen.get()).isNull();
    }

    @Test
    void theUrlMustBeAbsolute() {
        assertThatThrownBy(() -> new KeystoneTokenValidator(URI.create("/v3"), null)).isInstanceOf(IllegalArgumentException.class);
    }
}
