package io.hypernetes.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.identity.AuthRequest.DomainRef;
import io.hypernetes.identity.AuthRequest.ExistingToken;
import io.hypernetes.identity.AuthRequest.Password;
import io.hypernetes.identity.AuthRequest.ProjectRef;
import io.hypernetes.identity.AuthRequest.UserRef;
import io.hypernetes.identity.AuthenticationException.Reason;
import io.hypernetes.store.Store;
import io.hypernetes.store.embedded.EmbeddedStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthenticatorTest {
    static final DomainRef DEFAULT = new DomainRef.ByName("Default");

    @TempDir
    Path dir;

    Store store;
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    Passwords passwords = new Passwords(new Passwords.Parameters(64, 1, 1));
    Directory directory;
    Tokens tokens;
    Authenticator auth;
    Project tenant;
    Project other;
    User alice;
    Role member;

    @BeforeEach
    void open() {
        store = EmbeddedStore.open(dir.resolve("store"));
        directory = new Directory(store, clock);
        tokens = Tokens.open(dir, store, clock, Tokens.DEFAULT_LIFETIME);
        auth = new Authenticator(directory, passwords, tokens, new LoginThrottle(clock, 3, Duration.ofSeconds(1), Duration.ofMinutes(5)));
        directory.createDomain(new Domain(Domain.DEFAULT_ID, Domain.DEFAULT_NAME, "", true));
        tenant = directory.createProject(Project.of("tenant", "default", ""));
        other = directory.createProject(Project.of("other", "default", ""));
        alice = directory.createUser(User.of("alice", "default", passwords.hash("wonderland")));
        member = directory.createRole(Role.of("member"));
        directory.grant(new RoleAssignment(member.id(), alice.id(), Scope.project(tenant.id())));
    }

    @AfterEach
    void close() {
        store.close();
    }

    Authenticator.Issued login(String password, ProjectRef scope) {
        return auth.authenticate(new AuthRequest(new Password(new UserRef.ByName("alice", DEFAULT), password), scope), "10.0.0.1");
    }

    @Test
    void passwordByNameScopedToAProjectGivesTheKeystoneTokenBody() throws Exception {
        Authenticator.Issued issued = login("wonderland", new ProjectRef.ByName("tenant", new DomainRef.ById("default")));
        assertThat(issued.token()).matches("[A-Za-z0-9_-]+");
        assertThat(issued.body().project()).isEqualTo(tenant);
        assertThat(issued.body().roles()).containsExactly(member);

        JsonNode body = issued.body().toJson(Json.MAPPER.createArrayNode());
        String json = Json.string(body);
        JsonNode t = body.get("token");
        assertThat(t.get("methods").toString()).isEqualTo("[\"password\"]");
        assertThat(t.at("/user/id").asText()).isEqualTo(alice.id());
        assertThat(t.at("/user/name").asText()).isEqualTo("alice");
        assertThat(t.at("/user/domain/id").asText()).isEqualTo("default");
        assertThat(t.at("/user/domain/name").asText()).isEqualTo("Default");
        assertThat(t.at("/project/id").asText()).isEqualTo(tenant.id());
        assertThat(t.at("/project/domain/id").asText()).isEqualTo("default");
        assertThat(t.at("/roles/0/name").asText()).isEqualTo("member");
        assertThat(t.at("/roles/0/id").asText()).isEqualTo(member.id());
        assertThat(t.get("issued_at").asText()).isEqualTo("2026-01-01T00:00:00.000000Z");
        assertThat(t.get("expires_at").asText()).isEqualTo("2026-01-01T01:00:00.000000Z");
        assertThat(t.get("audit_ids").size()).isEqualTo(1);
        assertThat(t.get("catalog").isArray()).isTrue();
        assertThat(json).doesNotContain("argon2").doesNotContain("password_hash");
        assertThat(issued.body().toJson(null).get("token").has("catalog")).isFalse();

        assertThat(auth.validate(issued.token())).isEqualTo(issued.body());
    }

    @Test
    void passwordByUserIdUnscoped() {
        Authenticator.Issued issued = auth.authenticate(new AuthRequest(new Password(new UserRef.ById(alice.id()), "wonderland"), null), "x");
        assertThat(issued.body().project()).isNull();
        assertThat(issued.body().roles()).isEmpty();
        assertThat(issued.body().toJson(null).get("token").has("project")).isFalse();
    }

    @Test
    void refusalsLookTheSameWhateverWentWrong() {
        assertRefused(() -> login("wrong", null), Reason.WRONG_PASSWORD);
        assertRefused(() -> auth.authenticate(new AuthRequest(new Password(new UserRef.ByName("nobody", DEFAULT), "x"), null), "y"), Reason.NO_SUCH_USER);
        assertRefused(() -> auth.authenticate(new AuthRequest(new Password(new UserRef.ByName("alice", new DomainRef.ByName("Nope")), "wonderland"), null), "y"), Reason.NO_SUCH_USER);
        assertRefused(() -> auth.authenticate(new AuthRequest(new Password(new UserRef.ById("../etc"), "x"), null), "y"), Reason.NO_SUCH_USER);
        String wrong = catchMessage(() -> login("wrong", null));
        String unknown = catchMessage(() -> auth.authenticate(new AuthRequest(new Password(new UserRef.ByName("nobody", DEFAULT), "x"), null), "z"));
        assertThat(wrong).isEqualTo(unknown);
    }

    @Test
    void disabledUsersDomainsAndProjectsAreRefused() {
        directory.updateUser(alice.id(), u -> u.withEnabled(false));
        assertRefused(() -> login("wonderland", null), Reason.USER_DISABLED);
        directory.updateUser(alice.id(), u -> u.withEnabled(true));
        directory.updateProject(tenant.id(), p -> p.withEnabled(false));
        assertRefused(() -> login("wonderland", new ProjectRef.ById(tenant.id())), Reason.PROJECT_DISABLED);
        directory.updateProject(tenant.id(), p -> p.withEnabled(true));
        directory.updateDomain("default", d -> d.withEnabled(false));
        assertRefused(() -> login("wonderland", null), Reason.USER_DISABLED);
    }

    @Test
    void scopingNeedsARoleOnAnExistingProject() {
        assertRefused(() -> login("wonderland", new ProjectRef.ById(other.id())), Reason.NO_ROLE_ON_PROJECT);
        assertRefused(() -> login("wonderland", new ProjectRef.ById(Ids.generate())), Reason.NO_SUCH_PROJECT);
        assertRefused(() -> login("wonderland", new ProjectRef.ByName("tenant", new DomainRef.ByName("Elsewhere"))), Reason.NO_SUCH_PROJECT);
        // a domain-scoped role is not a project role
        directory.grant(new RoleAssignment(member.id(), alice.id(), Scope.domain("default")));
        assertRefused(() -> login("wonderland", new ProjectRef.ById(other.id())), Reason.NO_ROLE_ON_PROJECT);
    }

    @Test
    void anUnscopedTokenIsRescopedToAProjectKeepingItsExpiry() {
        Authenticator.Issued unscoped = login("wonderland", null);
        clock.advance(Duration.ofMinutes(20));
        Authenticator.Issued scoped = auth.authenticate(new AuthRequest(new ExistingToken(unscoped.token()), new ProjectRef.ById(tenant.id())), "x");
        assertThat(scoped.body().project()).isEqualTo(tenant);
        assertThat(scoped.body().roles()).containsExactly(member);
        assertThat(scoped.body().token().methods()).containsExactly("token", "password");
        assertThat(scoped.body().token().expiresAt()).isEqualTo(unscoped.body().token().expiresAt());
        assertThat(scoped.body().token().auditIds()).containsExactly(scoped.body().token().auditId(), unscoped.body().token().auditId());
        // not to a project without a role
        assertRefused(() -> auth.authenticate(new AuthRequest(new ExistingToken(unscoped.token()), new ProjectRef.ById(other.id())), "x"), Reason.NO_ROLE_ON_PROJECT);
        // not from an invalid token
        assertThatThrownBy(() -> auth.authenticate(new AuthRequest(new ExistingToken(unscoped.token() + "x"), null), "x")).isInstanceOf(InvalidTokenException.class);
        clock.advance(Duration.ofMinutes(40));
        assertThatThrownBy(() -> auth.authenticate(new AuthRequest(new ExistingToken(unscoped.token()), new ProjectRef.ById(tenant.id())), "x"))
                .isInstanceOfSatisfying(InvalidTokenException.class, e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.EXPIRED));
    }

    @Test
    void changesInTheDirectoryTakeEffectOnValidation() {
        Authenticator.Issued issued = login("wonderland", new ProjectRef.ById(tenant.id()));
        Role reader = directory.createRole(Role.of("reader"));
        directory.grant(new RoleAssignment(reader.id(), alice.id(), Scope.project(tenant.id())));
        assertThat(auth.validate(issued.token()).roles()).containsExactly(member, reader);
        directory.revoke(new RoleAssignment(member.id(), alice.id(), Scope.project(tenant.id())));
        directory.revoke(new RoleAssignment(reader.id(), alice.id(), Scope.project(tenant.id())));
        assertGone(issued.token());
        directory.grant(new RoleAssignment(member.id(), alice.id(), Scope.project(tenant.id())));
        auth.validate(issued.token());
        directory.updateProject(tenant.id(), p -> p.withEnabled(false));
        assertGone(issued.token());
        directory.updateProject(tenant.id(), p -> p.withEnabled(true));
        directory.updateUser(alice.id(), u -> u.withEnabled(false));
        assertGone(issued.token());
        directory.updateUser(alice.id(), u -> u.withEnabled(true));
        directory.deleteUser(alice.id());
        assertGone(issued.token());
    }

    @Test
    void revokingEndsTheTokenAndItsRescopedChildren() {
        Authenticator.Issued unscoped = login("wonderland", null);
        Authenticator.Issued scoped = auth.authenticate(new AuthRequest(new ExistingToken(unscoped.token()), new ProjectRef.ById(tenant.id())), "x");
        auth.revoke(unscoped.token());
        assertThatThrownBy(() -> auth.validate(scoped.token()))
                .isInstanceOfSatisfying(InvalidTokenException.class, e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.REVOKED));
    }

    @Test
    void projectsForListsWhereTheUserMayScope() {
        Authenticator.Issued unscoped = login("wonderland", null);
        assertThat(auth.projectsFor(unscoped.token())).containsExactly(tenant);
        directory.grant(new RoleAssignment(member.id(), alice.id(), Scope.project(other.id())));
        assertThat(auth.projectsFor(unscoped.token())).containsExactlyInAnyOrder(tenant, other);
        directory.updateProject(other.id(), p -> p.withEnabled(false));
        assertThat(auth.projectsFor(unscoped.token())).containsExactly(tenant);
    }

    @Test
    void wrongPasswordsAreThrottledPerUserAndSourceEvenWithTheRightPassword() {
        for (int i = 0; i < 4; i++) assertRefused(() -> login("guess", null), Reason.WRONG_PASSWORD);
        assertThatThrownBy(() -> login("wonderland", null)).isInstanceOf(ThrottledException.class);
        // the same user named by id shares the budget
        assertThatThrownBy(() -> auth.authenticate(new AuthRequest(new Password(new UserRef.ById(alice.id()), "wonderland"), null), "10.0.0.1"))
                .isInstanceOf(ThrottledException.class);
        // another source is not locked out
        auth.authenticate(new AuthRequest(new Password(new UserRef.ById(alice.id()), "wonderland"), null), "10.0.0.2");
        clock.advance(Duration.ofSeconds(1));
        login("wonderland", null);
        // unknown users are throttled too, so guessing names is no cheaper
        for (int i = 0; i < 4; i++) {
            assertRefused(() -> auth.authenticate(new AuthRequest(new Password(new UserRef.ByName("ghost", DEFAULT), "x"), null), "10.0.0.1"), Reason.NO_SUCH_USER);
        }
        assertThatThrownBy(() -> auth.authenticate(new AuthRequest(new Password(new UserRef.ByName("ghost", DEFAULT), "x"), null), "10.0.0.1"))
                .isInstanceOf(ThrottledException.class);
    }

    @Test
    void aBurstOfParallelGuessesGetsNoMoreTriesThanTheBudget() throws Exception {
        java.util.concurrent.atomic.AtomicInteger checked = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger throttled = new java.util.concurrent.atomic.AtomicInteger();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(16)) {
            for (int i = 0; i < 64; i++) {
                pool.submit(() -> {
                    try {
                        login("guess", null);
                    } catch (AuthenticationException e) {
                        checked.incrementAndGet();
                    } catch (ThrottledException e) {
                        throttled.incrementAndGet();
                    }
                });
            }
        }
        // three free failures, then one more attempt before the (frozen) clock's lockout
        assertThat(checked.get()).isBetween(3, 4);
        assertThat(checked.get() + throttled.get()).isEqualTo(64);
    }

    @Test
    void changingThePasswordVoidsTheUsersTokens() {
        Authenticator.Issued before = login("wonderland", new ProjectRef.ById(tenant.id()));
        Authenticator.Issued rescoped = auth.authenticate(new AuthRequest(new ExistingToken(before.token()), null), "x");
        User bob = directory.createUser(User.of("bob", "default", passwords.hash("builder")));
        directory.grant(new RoleAssignment(member.id(), bob.id(), Scope.project(tenant.id())));
        Authenticator.Issued bobs = auth.authenticate(new AuthRequest(new Password(new UserRef.ById(bob.id()), "builder"), new ProjectRef.ById(tenant.id())), "x");

        auth.changePassword(alice.id(), "looking-glass");
        for (String t : new String[] {before.token(), rescoped.token()}) {
            assertThatThrownBy(() -> auth.validate(t))
                    .isInstanceOfSatisfying(InvalidTokenException.class, e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.REVOKED));
        }
        auth.validate(bobs.token()); // other users keep theirs
        assertRefused(() -> login("wonderland", null), Reason.WRONG_PASSWORD);
        clock.advance(Duration.ofMillis(1));
        Authenticator.Issued after = login("looking-glass", null);
        auth.validate(after.token());
        assertThatThrownBy(() -> auth.changePassword(alice.id(), "x".repeat(4097))).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> auth.changePassword(Ids.generate(), "x")).isInstanceOf(NotFoundException.class);

        // the user revocation expires when every token it could void has
        clock.advance(Duration.ofMinutes(61));
        assertThat(tokens.purgeRevocations()).isEqualTo(1);
        assertThat(store.get(Tokens.USER_REVOCATIONS + alice.id())).isEmpty();
    }

    @Test
    void oldHashesAreUpgradedAtLogin() {
        String old = new Passwords(new Passwords.Parameters(32, 1, 1)).hash("wonderland");
        directory.updateUser(alice.id(), u -> u.withPasswordHash(old));
        login("wonderland", null);
        String now = directory.user(alice.id()).orElseThrow().passwordHash();
        assertThat(now).isNotEqualTo(old).startsWith("$argon2id$v=19$m=64,t=1,p=1$");
        login("wonderland", null);
        assertThat(directory.user(alice.id()).orElseThrow().passwordHash()).isEqualTo(now);
    }

    @Test
    void aUserWithoutPasswordCannotLogIn() {
        User bob = directory.createUser(User.of("bob", "default", null));
        assertRefused(() -> auth.authenticate(new AuthRequest(new Password(new UserRef.ById(bob.id()), ""), null), "x"), Reason.WRONG_PASSWORD);
    }

    @Test
    void badRequestsAreRefusedBeforeAnything() {
        assertThatThrownBy(() -> new AuthRequest(null, null)).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> new Password(new UserRef.ById(alice.id()), null)).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> new UserRef.ByName("alice", null)).isInstanceOf(ValidationException.class).hasMessageContaining("domain");
        assertThatThrownBy(() -> new ExistingToken("")).isInstanceOf(ValidationException.class);
        assertThat(new Password(new UserRef.ById("x"), "secret").toString()).doesNotContain("secret");
        assertThatThrownBy(() -> new Password(new UserRef.ById("x"), "p".repeat(4097))).isInstanceOf(ValidationException.class).hasMessageContaining("4096");
        assertThatThrownBy(() -> new UserRef.ByName(null, DEFAULT)).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> new ProjectRef.ById("")).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> new DomainRef.ByName(null)).isInstanceOf(ValidationException.class);
        // names no object could have are simply unknown
        assertRefused(() -> auth.authenticate(new AuthRequest(new Password(new UserRef.ByName("n".repeat(100_000), DEFAULT), "x"), null), "q"), Reason.NO_SUCH_USER);
        assertRefused(() -> auth.authenticate(new AuthRequest(new Password(new UserRef.ByName("alice\n", DEFAULT), "x"), null), "q"), Reason.NO_SUCH_USER);
    }

    private void assertGone(String token) {
        assertThatThrownBy(() -> auth.validate(token))
                .isInstanceOfSatisfying(InvalidTokenException.class, e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.SUBJECT_GONE));
    }

    private static void assertRefused(ThrowingCallable call, Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(AuthenticationException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.status()).isEqualTo(401);
        });
    }

    private static String catchMessage(ThrowingCallable call) {
        try {
            call.call();
        } catch (Throwable t) {
            return t.getMessage();
        }
        throw new AssertionError("no refusal");
    }
}
