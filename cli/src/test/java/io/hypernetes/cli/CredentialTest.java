package io.hypernetes.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialTest {
    static final Instant NOW = Instant.parse("2030-01-01T12:00:00.250Z");
    static final String URL = "https://127.0.0.1:5000/v3";

    @TempDir
    Path cacheDir;

    final FakeKeystone keystone = new FakeKeystone("s3cret", NOW);
    final Map<String, String> env = new HashMap<>();
    final List<String> prompts = new ArrayList<>();
    Optional<String> typed = Optional.empty();
    Instant now = NOW;

    private Cli.Result credential(String... extra) {
        List<String> args = new ArrayList<>(List.of("--os-auth-url", URL, "--os-username", "alice",
                "--os-user-domain-name", "Default", "--os-project-id", "p1", "--cache-dir", cacheDir.toString()));
        args.addAll(List.of(extra));
        return Cli.run(Credential.class, c -> {
            c.env = env;
            c.issuer = keystone;
            c.clock = Clock.fixed(now, ZoneOffset.UTC);
            c.terminal = prompt -> {
                prompts.add(prompt);
                return typed.map(String::toCharArray);
            };
        }, args.toArray(String[]::new));
    }

    private void cache(String token, Instant expiresAt) throws IOException {
        String key = TokenCache.key(URL, "alice", "Default", "id:p1");
        new TokenCache(cacheDir).write(key, new TokenCache.Entry(token, expiresAt, "alice", "p1", "demo"));
    }

    private static JsonNode json(String out) throws IOException {
        return Json.parse(out.getBytes(UTF_8));
    }

    @Test
    void printsAnExecCredentialAndNothingElse() throws IOException {
        cache("cached-token", NOW.plus(Duration.ofMinutes(30)));
        Cli.Result r = credential();
        assertThat(r.exitCode()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).endsWith("}\n").hasLineCount(1);
        assertThat(json(r.out())).isEqualTo(json("""
                {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                 "status": {"token": "cached-token", "expirationTimestamp": "2030-01-01T12:30:00Z"}}"""));
        assertThat(keystone.calls).isEmpty();
    }

    @Test
    void answersInTheApiVersionKubectlAskedIn() throws IOException {
        cache("cached-token", NOW.plus(Duration.ofMinutes(30)));
        env.put("KUBERNETES_EXEC_INFO", """
                {"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}""");
        assertThat(json(credential().out()).path("apiVersion").asText()).isEqualTo("client.authentication.k8s.io/v1beta1");
        env.put("KUBERNETES_EXEC_INFO", "not json");
        assertThat(json(credential().out()).path("apiVersion").asText()).isEqualTo("client.authentication.k8s.io/v1");
    }

    @Test
    void renewsWithOsPasswordOnceFiveMinutesOrLessRemainAndCachesTheNewToken() throws IOException {
        cache("old-token", NOW.plus(Duration.ofMinutes(5)));
        env.put("OS_PASSWORD", "s3cret");
        Cli.Result r = credential();
        assertThat(r.exitCode()).isZero();
        assertThat(json(r.out()).path("status").path("token").asText()).isEqualTo("token-1");
        assertThat(json(r.out()).path("status").path("expirationTimestamp").asText()).isEqualTo("2030-01-01T13:00:00Z");
        assertThat(keystone.calls).singleElement().satisfies(c -> {
            assertThat(c.password()).isEqualTo("s3cret");
            assertThat(c.target().authUrl()).hasToString(URL);
            assertThat(c.target().project()).isEqualTo(new io.hypernetes.client.keystone.ProjectScope.ById("p1"));
        });
        // the next run reuses it
        now = NOW.plus(Duration.ofMinutes(54));
        assertThat(json(credential().out()).path("status").path("token").asText()).isEqualTo("token-1");
        assertThat(keystone.calls).hasSize(1);
        // five minutes before its expiry it is renewed
        now = NOW.plus(Duration.ofMinutes(55));
        keystone.now = now;
        assertThat(json(credential().out()).path("status").path("token").asText()).isEqualTo("token-2");
        assertThat(keystone.calls).hasSize(2);
    }

    @Test
    void withoutAPasswordAnExpiredTokenFailsWithOneLineOnStderr() throws IOException {
        cache("old-token", NOW.minusSeconds(1));
        Cli.Result r = credential();
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("hypernetes credential: the Keystone token for alice in project demo has expired; "
                + "run `hypernetes login` again or set OS_PASSWORD\n");
        assertThat(prompts).isEmpty(); // not interactive: never prompts
        assertThat(keystone.calls).isEmpty();
    }

    @Test
    void withNothingCachedTheMessageSaysSo() {
        Cli.Result r = credential();
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("hypernetes credential: no Keystone token for alice in project id p1 is cached; "
                + "run `hypernetes login` again or set OS_PASSWORD\n");
    }

    @Test
    void promptsOnTheTerminalOnlyWhenKubectlSaysInteractive() throws IOException {
        cache("old-token", NOW.minusSeconds(1));
        env.put("KUBERNETES_EXEC_INFO", """
                {"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}""");
        typed = Optional.of("s3cret");
        Cli.Result r = credential();
        assertThat(r.exitCode()).isZero();
        assertThat(prompts).containsExactly("Keystone password for alice (project demo): ");
        assertThat(json(r.out()).path("status").path("token").asText()).isEqualTo("token-1");

        // interactive, but no terminal to ask on
        cache("old-token", NOW.minusSeconds(1));
        typed = Optional.empty();
        Cli.Result none = credential();
        assertThat(none.exitCode()).isEqualTo(1);
        assertThat(none.err()).contains("has expired; run `hypernetes login` again or set OS_PASSWORD");
    }

    @Test
    void aWrongPasswordReportsKeystonesRefusal() throws IOException {
        cache("old-token", NOW.minusSeconds(1));
        env.put("OS_PASSWORD", "wrong");
        Cli.Result r = credential();
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("hypernetes credential: Keystone refused: The request you have made requires authentication. (401)\n");
        assertThat(r.err()).doesNotContain("wrong");
        assertThat(new TokenCache(cacheDir).read(TokenCache.key(URL, "alice", "Default", "id:p1")).orElseThrow().token()).isEqualTo("old-token");
    }

    @Test
    void osPasswordIsUsedOnlyForTheUserAndKeystoneItWasSetFor() throws IOException {
        cache("old-token", NOW.minusSeconds(1));
        env.put("OS_PASSWORD", "s3cret");
        env.put("OS_USERNAME", "admin"); // an admin-openrc sourced in the shell: not alice's password
        assertThat(credential().exitCode()).isEqualTo(1);
        env.put("OS_USERNAME", "alice");
        env.put("OS_AUTH_URL", "https://elsewhere:5000/v3");
        assertThat(credential().exitCode()).isEqualTo(1);
        env.put("OS_USER_DOMAIN_NAME", "Other");
        env.put("OS_AUTH_URL", "https://127.0.0.1:5000/"); // the same Keystone, written differently
        assertThat(credential().exitCode()).isEqualTo(1);
        assertThat(keystone.calls).isEmpty();
        env.remove("OS_USER_DOMAIN_NAME");
        assertThat(credential().exitCode()).isZero();
        assertThat(keystone.calls).hasSize(1);
    }

    @Test
    void thePasswordIsNeverWrittenToTheCache() throws IOException {
        env.put("OS_PASSWORD", "s3cret-Pa55");
        keystone.calls.clear();
        FakeKeystone k = new FakeKeystone("s3cret-Pa55", NOW);
        Cli.Result r = Cli.run(Credential.class, c -> {
            c.env = env;
            c.issuer = k;
            c.clock = Clock.fixed(NOW, ZoneOffset.UTC);
        }, "--os-auth-url", URL, "--os-username", "alice", "--os-project-id", "p1", "--cache-dir", cacheDir.toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).doesNotContain("s3cret-Pa55");
        try (Stream<Path> files = Files.walk(cacheDir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) assertThat(Files.readString(f)).doesNotContain("s3cret-Pa55");
        }
    }
}
