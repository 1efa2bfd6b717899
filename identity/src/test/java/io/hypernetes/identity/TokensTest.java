package io.hypernetes.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.identity.InvalidTokenException.Reason;
import io.hypernetes.store.Store;
import io.hypernetes.store.embedded.EmbeddedStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokensTest {
    @TempDir
    Path dir;

    Store store;
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    Tokens tokens;
    String user = Ids.generate();
    String project = Ids.generate();

    @BeforeEach
    void open() {
        store = EmbeddedStore.open(dir.resolve("store"));
        tokens = Tokens.open(dir, store, clock, Tokens.DEFAULT_LIFETIME);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void roundTripsEveryClaim() {
        Token t = tokens.issue(user, project, List.of("password"));
        String signed = tokens.sign(t);
        assertThat(signed).matches("[A-Za-z0-9_-]+").hasSizeLessThan(256);
        assertThat(tokens.validate(signed)).isEqualTo(t);
        assertThat(t.expiresAt()).isEqualTo(t.issuedAt().plus(Duration.ofHours(1)));
        assertThat(t.auditId()).matches("[A-Za-z0-9_-]{22}");
        assertThat(t.auditIds()).containsExactly(t.auditId());
        Token unscoped = tokens.issue(user, null, List.of("password"));
        assertThat(tokens.validate(tokens.sign(unscoped)).scoped()).isFalse();
    }

    @Test
    void rescopingKeepsTheExpiryAndChainsTheAuditIds() {
        Token parent = tokens.issue(user, null, List.of("password"));
        clock.advance(Duration.ofMinutes(10));
        Token child = tokens.rescope(parent, project);
        assertThat(child.expiresAt()).isEqualTo(parent.expiresAt());
        assertThat(child.issuedAt()).isEqualTo(parent.issuedAt().plus(Duration.ofMinutes(10)));
        assertThat(child.methods()).containsExactly("token", "password");
        assertThat(child.auditIds()).containsExactly(child.auditId(), parent.auditId());
        assertThat(tokens.validate(tokens.sign(child))).isEqualTo(child);
    }

    @Test
    void expiresAtItsExpiry() {
        String signed = tokens.sign(tokens.issue(user, project, List.of("password")));
        clock.advance(Duration.ofMinutes(59));
        tokens.validate(signed);
        clock.advance(Duration.ofMinutes(1));
        assertReason(() -> tokens.validate(signed), Reason.EXPIRED);
    }

    @Test
    void forgedTruncatedMalformedAndForeignTokensFailWithDistinctReasons() throws Exception {
        String signed = tokens.sign(tokens.issue(user, project, List.of("password")));
        byte[] raw = Base64.getUrlDecoder().decode(signed);

        // flip one bit of the body: user id, expiry, anything
        for (int i = 7; i < raw.length - 32; i += 9) {
            byte[] forged = raw.clone();
            forged[i] ^= 1;
            assertReason(() -> tokens.validate(enc(forged)), Reason.BAD_SIGNATURE);
        }
        // a signature from an attacker's key under our key id
        byte[] resigned = raw.clone();
        resigned[raw.length - 1] ^= (byte) 0x80;
        assertReason(() -> tokens.validate(enc(resigned)), Reason.BAD_SIGNATURE);

        // truncated, by bytes and by characters
        assertReason(() -> tokens.validate(enc(java.util.Arrays.copyOf(raw, raw.length - 1))), Reason.TRUNCATED);
        assertReason(() -> tokens.validate(enc(java.util.Arrays.copyOf(raw, 5))), Reason.TRUNCATED);
        for (int cut = 1; cut < signed.length(); cut += 13) {
            String shorter = signed.substring(0, cut);
            assertReason(() -> tokens.validate(shorter), Reason.TRUNCATED);
        }
        // malformed
        assertReason(() -> tokens.validate(""), Reason.MALFORMED);
        assertReason(() -> tokens.validate(null), Reason.MALFORMED);
        assertReason(() -> tokens.validate(signed + "AAAA"), Reason.MALFORMED);
        assertReason(() -> tokens.validate("not a token!"), Reason.MALFORMED);
        assertReason(() -> tokens.validate("x".repeat(5000)), Reason.MALFORMED);
        byte[] v2 = raw.clone();
        v2[0] = 2;
        assertReason(() -> tokens.validate(enc(v2)), Reason.MALFORMED);
        assertReason(() -> tokens.validate("gAAAAABk" + signed), Reason.MALFORMED); // a Fernet token's shape

        // another cluster's keys
        Path elsewhere = Files.createTempDirectory(dir, "other");
        try (Store otherStore = EmbeddedStore.open(elsewhere.resolve("store"))) {
            Tokens other = Tokens.open(elsewhere, otherStore, clock, Tokens.DEFAULT_LIFETIME);
            String foreign = other.sign(other.issue(user, project, List.of("password")));
            assertReason(() -> tokens.validate(foreign), Reason.UNKNOWN_KEY);
        }
    }

    @Test
    void revokedTokensAndTheirRescopedChildrenFail() {
        Token parent = tokens.issue(user, null, List.of("password"));
        Token child = tokens.rescope(parent, project);
        Token bystander = tokens.issue(user, project, List.of("password"));
        tokens.revoke(parent);
        tokens.revoke(parent); // twice is fine
        assertReason(() -> tokens.validate(tokens.sign(parent)), Reason.REVOKED);
        assertReason(() -> tokens.validate(tokens.sign(child)), Reason.REVOKED);
        tokens.validate(tokens.sign(bystander));
        assertThat(store.get(Tokens.REVOCATIONS + parent.auditId())).isPresent();

        // revoking only the child leaves the parent valid
        Token parent2 = tokens.issue(user, null, List.of("password"));
        Token child2 = tokens.rescope(parent2, project);
        tokens.revoke(child2);
        tokens.validate(tokens.sign(parent2));
        assertReason(() -> tokens.validate(tokens.sign(child2)), Reason.REVOKED);
    }

    @Test
    void revocationsExpireWithTheirTokens() {
        Token early = tokens.issue(user, project, List.of("password"));
        clock.advance(Duration.ofMinutes(30));
        Token late = tokens.issue(user, project, List.of("password"));
        tokens.revoke(early);
        tokens.revoke(late);
        assertThat(tokens.purgeRevocations()).isZero();
        clock.advance(Duration.ofMinutes(31));
        assertThat(tokens.purgeRevocations()).isEqualTo(1);
        assertThat(store.get(Tokens.REVOCATIONS + early.auditId())).isEmpty();
        assertReason(() -> tokens.validate(tokens.sign(late)), Reason.REVOKED);
        assertThatThrownBy(() -> tokens.revoke("../../x", Instant.MAX)).isInstanceOf(ValidationException.class);
    }

    @Test
    void keysLiveInTheDataDirOwnerOnlyAndSurviveRestarts() throws Exception {
        Path keys = dir.resolve("identity/keys");
        assertThat(Files.getPosixFilePermissions(keys)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.list(keys).toList()).hasSize(1).allSatisfy(f ->
                assertThat(Files.getPosixFilePermissions(f)).isEqualTo(PosixFilePermissions.fromString("rw-------")));
        String signed = tokens.sign(tokens.issue(user, project, List.of("password")));
        Tokens reopened = Tokens.open(dir, store, clock, Tokens.DEFAULT_LIFETIME);
        assertThat(reopened.validate(signed).userId()).isEqualTo(user);
    }

    @Test
    void rotationKeepsOlderKeysForValidationUntilTheyFallOff() throws Exception {
        String byKey1 = tokens.sign(tokens.issue(user, project, List.of("password")));
        tokens.rotateKeys();
        String byKey2 = tokens.sign(tokens.issue(user, project, List.of("password")));
        assertThat(byKey2.substring(0, 6)).isNotEqualTo(byKey1.substring(0, 6)); // another key id in the header
        tokens.validate(byKey1);
        tokens.validate(byKey2);
        tokens.rotateKeys();
        tokens.validate(byKey1); // three keys kept
        tokens.rotateKeys();
        assertReason(() -> tokens.validate(byKey1), Reason.UNKNOWN_KEY);
        tokens.validate(byKey2);
        assertThat(Files.list(dir.resolve("identity/keys")).map(p -> p.getFileName().toString()).sorted().toList())
                .containsExactly("2", "3", "4");
        // a restarted service sees the same primary
        Tokens reopened = Tokens.open(dir, store, clock, Tokens.DEFAULT_LIFETIME);
        String byKey4 = tokens.sign(tokens.issue(user, project, List.of("password")));
        assertThat(reopened.sign(tokens.validate(byKey4))).isEqualTo(byKey4);
    }

    @Test
    void looseKeyFilePermissionsAreTightened() throws Exception {
        Path key = dir.resolve("identity/keys/1");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Tokens.open(dir, store, clock, Tokens.DEFAULT_LIFETIME);
        assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    private static String enc(byte[] raw) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    private static void assertReason(ThrowingCallable call, Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(InvalidTokenException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
