package io.hypernetes.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.apiserver.ApiException;
import io.hypernetes.http.User;
import io.hypernetes.identity.RoleAssignment;
import io.hypernetes.identity.Scope;
import io.hypernetes.store.Store;
import io.hypernetes.store.embedded.EmbeddedStore;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bearer-token authenticator over the real identity core (in-process validator, embedded store), with one
 * hand-moved clock for both token expiry and the cache, so "within 5 s" is tested without sleeping.
 */
class KeystoneAuthenticatorTest {
    @TempDir
    Path dir;

    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    Store store;
    Keystone keystone;
    CountingValidator validator;
    KeystoneAuthenticator auth;

    @BeforeEach
    void open() {
        store = EmbeddedStore.open(dir.resolve("store"));
        keystone = new Keystone(store, dir, clock);
        validator = new CountingValidator(new InProcessTokenValidator(keystone.identity));
        auth = new KeystoneAuthenticator(validator, clock, KeystoneAuthenticator.DEFAULT_VALID_FOR,
                KeystoneAuthenticator.DEFAULT_INVALID_FOR, KeystoneAuthenticator.DEFAULT_MAX_ENTRIES);
    }

    @AfterEach
    void close() {
        store.close();
    }

    static HttpHeaders authorization(String value) {
        HttpHeaders h = new DefaultHttpHeaders(false); // no validation: hostile values must reach the authenticator
        if (value != null) h.add("Authorization", value);
        return h;
    }

    Optional<User> authenticate(String authorizationHeader) {
        return auth.authenticate(null, authorization(authorizationHeader));
    }

    void assertUnauthorized(String authorizationHeader) {
        assertThatThrownBy(() -> authenticate(authorizationHeader))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(401));
    }

    @Test
    void aScopedTokenIsItsKeystoneUserWithTheProjectAsGroupAndTheRolesAsExtras() {
        String token = keystone.scoped().token();
        User u = authenticate("Bearer " + token).orElseThrow();

        assertThat(u.name()).isEqualTo("alice");
        assertThat(u.groups()).containsExactly(keystone.tenant.id(), "system:authenticated");
        assertThat(u.extra()).containsEntry(KeystoneUsers.PROJECT_ID, List.of(keystone.tenant.id()))
                .containsEntry(KeystoneUsers.PROJECT_NAME, List.of("tenant"))
                .containsEntry(KeystoneUsers.USER_DOMAIN_ID, List.of("default"))
                .containsEntry(KeystoneUsers.USER_DOMAIN_NAME, List.of("Default"))
                .containsEntry(KeystoneUsers.USER_ID, List.of(keystone.alice.id()));
        assertThat(u.extra().get(KeystoneUsers.ROLES)).containsExactlyInAnyOrder("member", "reader");
        assertThat(u.authenticated()).isTrue();
        assertThat(KeystoneUsers.isKeystone(u)).isTrue();
        assertThat(KeystoneUsers.projectId(u)).contains(keystone.tenant.id());
        assertThat(KeystoneUsers.roles(u)).containsExactlyInAnyOrder("member", "reader");
    }

    @Test
    void anUnscopedTokenAuthenticatesWithoutProjectOrRoles() {
        User u = authenticate("Bearer " + keystone.unscoped().token()).orElseThrow();

        assertThat(u.name()).isEqualTo("alice");
        assertThat(u.groups()).containsExactly("system:authenticated");
        assertThat(u.extra()).doesNotContainKeys(KeystoneUsers.PROJECT_ID, KeystoneUsers.PROJECT_NAME, KeystoneUsers.ROLES);
        assertThat(KeystoneUsers.isKeystone(u)).isTrue();
        assertThat(KeystoneUsers.projectId(u)).isEmpty();
        assertThat(KeystoneUsers.roles(u)).isEmpty();
    }

    @Test
    void theSchemeIsCaseInsensitiveAndSurroundingSpaceIgnored() {
        String token = keystone.scoped().token();
        for (String header : List.of("bearer " + token, "BEARER " + token, "Bearer   " + token + "  ", "Bearer\t" + token)) {
            assertThat(authenticate(header)).as(header.substring(0, 8)).map(User::name).contains("alice");
        }
    }

    @Test
    void requestsWithoutABearerTokenAreLeftToTheOtherAuthenticators() {
        assertThat(authenticate(null)).isEmpty();
        assertThat(authenticate("Basic YWxpY2U6d29uZGVybGFuZA==")).isEmpty();
        assertThat(authenticate("Bearerish abc")).isEmpty();
        assertThat(validator.calls.get()).isZero();
    }

    @Test
    void aRevokedTokenKeepsWorkingFromTheCacheForAtMostFiveSeconds() {
        String token = keystone.scoped().token();
        assertThat(authenticate("Bearer " + token)).isPresent();

        keystone.authenticator().revoke(token);
        clock.advance(Duration.ofMillis(4_999));
        assertThat(authenticate("Bearer " + token)).as("still cached").isPresent();
        assertThat(validator.calls.get()).isEqualTo(1);

        clock.advance(Duration.ofMillis(1));
        assertUnauthorized("Bearer " + token);
        assertThat(validator.calls.get()).isEqualTo(2);
    }

    @Test
    void losingTheLastRoleEndsTheTokenOnceTheCacheExpires() {
        String token = keystone.scoped().token();
        assertThat(authenticate("Bearer " + token)).isPresent();
        var directory = keystone.identity.directory();
        directory.revoke(new RoleAssignment(keystone.member.id(), keystone.alice.id(), Scope.project(keystone.tenant.id())));
        directory.revoke(new RoleAssignment(keystone.reader.id(), keystone.alice.id(), Scope.project(keystone.tenant.id())));

        clock.advance(KeystoneAuthenticator.DEFAULT_VALID_FOR);
        assertUnauthorized("Bearer " + token);
    }

    @Test
    void anExpiredTokenIsRefused() {
        String token = keystone.scoped().token();
        clock.advance(Duration.ofHours(1));
        assertUnauthorized("Bearer " + token);
    }

    @Test
    void theCacheNeverOutlivesTheTokensExpiry() {
        Instant expiry = clock.instant().plusSeconds(2);
        User alice = KeystoneUsers.of("0123", "alice", "default", "Default", null, null, List.of());
        CountingValidator shortLived = new CountingValidator(t -> Optional.of(new TokenValidator.Validated(alice, expiry)));
        KeystoneAuthenticator a = new KeystoneAuthenticator(shortLived, clock, Duration.ofSeconds(5), Duration.ofSeconds(1), 100);

        a.authenticate(null, authorization("Bearer abc"));
        clock.advance(Duration.ofMillis(1_999));
        a.authenticate(null, authorization("Bearer abc"));
        assertThat(shortLived.calls.get()).isEqualTo(1);
        clock.advance(Duration.ofMillis(1));
        a.authenticate(null, authorization("Bearer abc"));
        assertThat(shortLived.calls.get()).as("asked again at the expiry").isEqualTo(2);
    }

    @Test
    void forgedGarbageEmptyHugeAndNonAsciiTokensAre401() {
        String token = keystone.scoped().token();
        char flipped = token.charAt(40) == 'A' ? 'B' : 'A';
        String forged = token.substring(0, 40) + flipped + token.substring(41);
        List<String> bad = List.of(
                "Bearer " + forged,
                "Bearer " + token.substring(0, token.length() - 1),
                "Bearer " + token + "x",
                "Bearer garbage",
                "Bearer !!!!",
                "Bearer ====",
                "Bearer ",
                "Bearer",
                "Bearer " + "A".repeat(9 * 1024),
                "Bearer tökén",
                "Bearer 日本語",
                "Bearer abc\u0000def",
                "Bearer abc\r\nX-Injected: 1");
        for (String header : bad) {
            assertThatThrownBy(() -> authenticate(header)).as(header.length() > 60 ? header.substring(0, 60) : header)
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(401));
        }
    }

    @Test
    void aBadTokenIsRememberedForASecondSoAFloodAsksOnce() {
        for (int i = 0; i < 100; i++) assertUnauthorized("Bearer not-a-token");
        assertThat(validator.calls.get()).isEqualTo(1);
        clock.advance(KeystoneAuthenticator.DEFAULT_INVALID_FOR);
        assertUnauthorized("Bearer not-a-token");
        assertThat(validator.calls.get()).isEqualTo(2);
    }

    @Test
    void anOutageRefusesButIsNeverCached() {
        String token = keystone.scoped().token();
        validator.down = true;
        assertUnauthorized("Bearer " + token);
        assertUnauthorized("Bearer " + token);
        assertThat(validator.calls.get()).as("asked each time").isEqualTo(2);
        assertThat(auth.cached()).isZero();

        validator.down = false;
        assertThat(authenticate("Bearer " + token)).as("works as soon as the service is back").isPresent();
    }

    @Test
    void anUnexpectedValidatorFailureIs401Not500() {
        KeystoneAuthenticator a = new KeystoneAuthenticator(t -> { throw new IllegalStateException("bug"); });
        assertThatThrownBy(() -> a.authenticate(null, authorization("Bearer abc")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(401));
    }

    @Test
    void theCacheIsBoundedAndForgetsTheOldestFirst() {
        KeystoneAuthenticator a = new KeystoneAuthenticator(validator, clock, Duration.ofSeconds(5), Duration.ofSeconds(1), 3);
        for (int i = 0; i < 5; i++) {
            int n = i;
            assertThatThrownBy(() -> a.authenticate(null, authorization("Bearer bad" + n))).isInstanceOf(ApiException.class);
        }
        assertThat(a.cached()).isEqualTo(3);
        int before = validator.calls.get();
        assertThatThrownBy(() -> a.authenticate(null, authorization("Bearer bad4"))).isInstanceOf(ApiException.class);
        assertThat(validator.calls.get()).as("the newest is still cached").isEqualTo(before);
        assertThatThrownBy(() -> a.authenticate(null, authorization("Bearer bad0"))).isInstanceOf(ApiException.class);
        assertThat(validator.calls.get()).as("the oldest was forgotten").isEqualTo(before + 1);
    }

    @Test
    void concurrentRequestsWithOneNewTokenShareOneValidation() throws Exception {
        String token = keystone.scoped().token();
        CountDownLatch release = new CountDownLatch(1);
        CountingValidator slow = new CountingValidator(t -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return new InProcessTokenValidator(keystone.identity).validate(t);
        });
        KeystoneAuthenticator a = new KeystoneAuthenticator(slow, clock, Duration.ofSeconds(5), Duration.ofSeconds(1), 100);
        List<Future<Optional<User>>> results = new ArrayList<>();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 16; i++) results.add(threads.submit(() -> a.authenticate(null, authorization("Bearer " + token))));
            while (slow.calls.get() == 0) Thread.onSpinWait();
            Thread.sleep(50); // let the others queue behind the first
            release.countDown();
            for (Future<Optional<User>> r : results) assertThat(r.get()).map(User::name).contains("alice");
        }
        assertThat(slow.calls.get()).isEqualTo(1);
    }

    /** Counts calls to a real validator, and can pretend the identity service is down. */
    static final class CountingValidator implements TokenValidator {
        final TokenValidator inner;
        final AtomicInteger calls = new AtomicInteger();
        volatile boolean down;

        CountingValidator(TokenValidator inner) {
            this.inner = inner;
        }

        @Override
        public Optional<Validated> validate(String token) {
            calls.incrementAndGet();
            if (down) throw new IdentityUnavailableException("connection refused (simulated)");
            return inner.validate(token);
        }
    }
}
