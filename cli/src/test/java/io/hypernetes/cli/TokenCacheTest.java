package io.hypernetes.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCacheTest {
    @TempDir
    Path dir;

    private static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");

    @Test
    void keysAreSha256OfTheWholeTupleAndDistinguishEachPart() {
        String k = TokenCache.key("https://h:5000/v3", "alice", "Default", "id:p1");
        assertThat(k).hasSize(64).matches("[0-9a-f]{64}");
        assertThat(TokenCache.key("https://h:5000/v3", "alice", "Default", "id:p1")).isEqualTo(k);
        assertThat(Stream.of(
                TokenCache.key("https://other:5000/v3", "alice", "Default", "id:p1"),
                TokenCache.key("https://h:5000/v3", "bob", "Default", "id:p1"),
                TokenCache.key("https://h:5000/v3", "alice", "Users", "id:p1"),
                TokenCache.key("https://h:5000/v3", "alice", "Default", "id:p2"),
                TokenCache.key("https://h:5000/v3", "aliceD", "efault", "id:p1"))).doesNotContain(k).doesNotHaveDuplicates();
    }

    @Test
    void roundTripsWithPrivateModesAndNoTemporaryFilesLeft() throws IOException {
        TokenCache cache = new TokenCache(dir.resolve("hypernetes"));
        TokenCache.Entry entry = new TokenCache.Entry("tok-1", NOW.plusSeconds(3600), "alice", "p1", "demo");
        cache.write("k", entry);
        assertThat(cache.read("k")).contains(entry);
        assertThat(Files.getPosixFilePermissions(dir.resolve("hypernetes"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(dir.resolve("hypernetes/tokens"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(cache.file("k"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        cache.write("k", new TokenCache.Entry("tok-2", NOW.plusSeconds(7200), "alice", "p1", "demo"));
        assertThat(cache.read("k").orElseThrow().token()).isEqualTo("tok-2");
        try (Stream<Path> files = Files.list(dir.resolve("hypernetes/tokens"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("k.json");
        }
        assertThat(entry.toString()).doesNotContain("tok-1");
    }

    @Test
    void looseDirectoryModesAreTightenedOnWrite() throws IOException {
        Path tokens = Files.createDirectories(dir.resolve("c/tokens"));
        Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rwxrwxrwx"));
        new TokenCache(dir.resolve("c")).write("k", new TokenCache.Entry("t", NOW, "alice", "p1", "demo"));
        assertThat(Files.getPosixFilePermissions(tokens)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void aTokenIsReusedOnlyWhileMoreThanFiveMinutesRemain() {
        TokenCache.Entry e = new TokenCache.Entry("t", NOW.plus(Duration.ofMinutes(5)), "alice", "p1", "demo");
        assertThat(e.fresh(NOW.minusSeconds(1))).isTrue();
        assertThat(e.fresh(NOW)).isFalse(); // exactly five minutes left: renew
        assertThat(e.fresh(NOW.plusSeconds(1))).isFalse();
        assertThat(e.fresh(NOW.plus(Duration.ofMinutes(6)))).isFalse(); // expired
    }

    @Test
    void missingOrDamagedEntriesReadAsAbsent() throws IOException {
        TokenCache cache = new TokenCache(dir);
        assertThat(cache.read("none")).isEmpty();
        Files.createDirectories(dir.resolve("tokens"));
        for (String damaged : new String[] {"", "{", "[]", "{\"token\": \"t\"}", "{\"token\": \"t\", \"expires_at\": \"soon\"}",
                "{\"token\": \"\", \"expires_at\": \"2030-01-01T00:00:00Z\"}", "{\"token\": \"t\", \"token\": \"u\", \"expires_at\": \"2030-01-01T00:00:00Z\"}"}) {
            Files.writeString(cache.file("bad"), damaged);
            assertThat(cache.read("bad")).as(damaged).isEmpty();
        }
    }

    @Test
    void theDefaultDirectoryFollowsTheEnvironment() {
        assertThat(TokenCache.defaultDir(Map.of("HYPERNETES_CACHE_DIR", "/x/y", "XDG_CACHE_HOME", "/xdg"))).isEqualTo(Path.of("/x/y"));
        assertThat(TokenCache.defaultDir(Map.of("XDG_CACHE_HOME", "/xdg"))).isEqualTo(Path.of("/xdg/hypernetes"));
        assertThat(TokenCache.defaultDir(Map.of("XDG_CACHE_HOME", "relative"))).isEqualTo(Path.of(System.getProperty("user.home"), ".cache", "hypernetes"));
        assertThat(TokenCache.defaultDir(Map.of())).isEqualTo(Path.of(System.getProperty("user.home"), ".cache", "hypernetes"));
    }
}
