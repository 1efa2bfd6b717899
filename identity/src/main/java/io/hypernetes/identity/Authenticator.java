package io.hypernetes.identity;

import io.hypernetes.identity.AuthRequest.DomainRef;
import io.hypernetes.identity.AuthRequest.ProjectRef;
import io.hypernetes.identity.AuthRequest.UserRef;
import io.hypernetes.identity.AuthenticationException.Reason;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code POST /v3/auth/tokens} and {@code GET /v3/auth/tokens} do, without HTTP: authenticate by password
 * or by an existing token, scope to a project the user holds a role on, and describe a token as it stands now.
 *
 * <p>Refusals are {@link AuthenticationException}s whose message is the same whatever went wrong (unknown
 * user, wrong password, disabled account), and an unknown user costs the same Argon2id time as a known one, so
 * neither the answer nor its timing tells which user names exist. Wrong passwords are throttled per user and
 * source ({@link LoginThrottle}); a throttled attempt is refused before any hashing.
 */
public final class Authenticator {
    private static final Logger LOG = LoggerFactory.getLogger(Authenticator.class);

    /** A signed token string, for {@code X-Subject-Token}, and its body. */
    public record Issued(String token, TokenBody body) {
        @Override
        public String toString() {
            return "Issued[" + body.token().auditId() + "]";
        }
    }

    private final Directory directory;
    private final Passwords passwords;
    private final Tokens tokens;
    private final LoginThrottle throttle;

    public Authenticator(Directory directory, Passwords passwords, Tokens tokens, Clock clock) {
        this(directory, passwords, tokens, LoginThrottle.defaults(clock));
    }

    Authenticator(Directory directory, Passwords passwords, Tokens tokens, LoginThrottle throttle) {
        this.directory = Objects.requireNonNull(directory);
        this.passwords = Objects.requireNonNull(passwords);
        this.tokens = Objects.requireNonNull(tokens);
        this.throttle = Objects.requireNonNull(throttle);
    }

    /**
     * Authenticates and issues a token.
     *
     * @param source where the request came from (the client address), for throttling
     * @throws AuthenticationException credentials or scope refused (401)
     * @throws InvalidTokenException the {@code token} method's token is not valid (401)
     * @throws ThrottledException too many wrong passwords from this source for this user (429)
     */
    public Issued authenticate(AuthRequest request, String source) {
        Token token = switch (request.credentials()) {
            case AuthRequest.Password p -> {
                User user = checkPassword(p, source);
                yield tokens.issue(user.id(), scopeFor(user, request.scope()), List.of("password"));
            }
            case AuthRequest.ExistingToken t -> {
                Token parent = tokens.validate(t.token());
                User user = activeUser(parent.userId()).orElseThrow(() -> new InvalidTokenException(InvalidTokenException.Reason.SUBJECT_GONE));
                yield tokens.rescope(parent, scopeFor(user, request.scope()));
            }
        };
        TokenBody body = describe(token);
        LOG.info("issued token {} for user {} ({}) on {}", token.auditId(), body.user().name(), token.userId(),
                token.scoped() ? "project " + body.project().name() + " (" + token.projectId() + ")" : "no project");
        return new Issued(tokens.sign(token), body);
    }

    /**
     * Validates a token and describes it with the user, project and roles as they are now, so disabling a user
     * or project, or revoking its last role, ends its tokens at once.
     *
     * @throws InvalidTokenException with {@code SUBJECT_GONE} if the user or project is gone or disabled, or the
     *     user no longer holds any role on the project
     */
    public TokenBody validate(String token) {
        return describe(tokens.validate(token));
    }

    /** Revokes a valid token (and the tokens re-scoped from it). */
    public void revoke(String token) {
        tokens.revoke(tokens.validate(token));
    }

    /**
     * Sets a user's password and voids every token the user holds, as Keystone does: whoever had the old
     * password (or a token made from it) must not keep access. The only way to change a password once the user
     * exists; a new user's first hash comes from {@link Passwords#hash}.
     */
    public User changePassword(String userId, String newPassword) {
        if (newPassword == null || newPassword.length() > AuthRequest.MAX_PASSWORD) {
            throw new ValidationException("password: required, at most " + AuthRequest.MAX_PASSWORD + " characters");
        }
        String hash = passwords.hash(newPassword);
        User user = directory.updateUser(userId, u -> u.withPasswordHash(hash));
        tokens.revokeUser(userId);
        LOG.info("password of user {} ({}) changed; its tokens are revoked", user.name(), user.id());
        return user;
    }

    /**
     * Checks a user's password exactly as {@link #authenticate} does (the same uniform refusal, the same
     * throttling per user and source, a disabled account refused), without issuing a token: the proof
     * {@code POST /v3/users/{id}/password} asks for before a password changes.
     *
     * @throws AuthenticationException the user is unknown, disabled, or the password is wrong (401)
     * @throws ThrottledException too many wrong passwords from this source for this user (429)
     */
    public User verifyPassword(String userId, String password, String source) {
        return checkPassword(new AuthRequest.Password(new UserRef.ById(userId), password), source);
    }

    /** The enabled projects the token's user may scope to ({@code GET /v3/auth/projects}). */
    public List<Project> projectsFor(String token) {
        Token t = tokens.validate(token);
        return directory.assignments(new Directory.AssignmentFilter(t.userId(), null, null, null)).stream()
                .filter(a -> a.scope() instanceof Scope.OnProject)
                .map(a -> a.scope().id())
                .distinct()
                .map(directory::project)
                .flatMap(Optional::stream)
                .filter(p -> p.enabled() && directory.domain(p.domainId()).map(Domain::enabled).orElse(false))
                .toList();
    }

    private User checkPassword(AuthRequest.Password credentials, String source) {
        Optional<User> found = resolveUser(credentials.user());
        // Throttle by the resolved user where there is one, so naming it by id or by name is the same budget.
        String throttleKey = found.map(User::id).orElseGet(() -> "unknown:" + credentials.user());
        LoginThrottle.Attempt attempt = throttle.begin(throttleKey, source);
        boolean ok = false;
        User user;
        try {
            if (found.isEmpty()) {
                passwords.spendEquivalentTime(credentials.password());
                throw refused(Reason.NO_SUCH_USER, credentials.user().toString(), source);
            }
            user = found.get();
            if (!passwords.verify(credentials.password(), user.passwordHash())) {
                throw refused(Reason.WRONG_PASSWORD, user.id(), source);
            }
            ok = true;
        } finally {
            // Anything but a verified password counts as a failure, exceptions included: never a free guess.
            if (ok) attempt.succeeded();
            else attempt.failed();
        }
        // Checked after the password, so only someone who knows it learns the account is disabled.
        if (!user.enabled() || !directory.domain(user.domainId()).map(Domain::enabled).orElse(false)) {
            throw refused(Reason.USER_DISABLED, user.id(), source);
        }
        if (passwords.needsRehash(user.passwordHash())) {
            String old = user.passwordHash();
            String fresh = passwords.hash(credentials.password());
            try {
                directory.updateUser(user.id(), u -> u.passwordHash().equals(old) ? u.withPasswordHash(fresh) : u);
            } catch (IdentityException e) {
                LOG.warn("could not upgrade the password hash of user {}: {}", user.id(), e.getMessage());
            }
        }
        return user;
    }

    /** The project id to scope to, or null; refused unless the project is enabled and the user holds a role on it. */
    private String scopeFor(User user, ProjectRef ref) {
        if (ref == null) return null;
        Project project = resolveProject(ref).orElseThrow(() -> refused(Reason.NO_SUCH_PROJECT, user.id(), null));
        if (!project.enabled() || !directory.domain(project.domainId()).map(Domain::enabled).orElse(false)) {
            throw refused(Reason.PROJECT_DISABLED, user.id(), null);
        }
        if (directory.rolesOn(user.id(), Scope.project(project.id())).isEmpty()) {
            throw refused(Reason.NO_ROLE_ON_PROJECT, user.id(), null);
        }
        return project.id();
    }

    private TokenBody describe(Token token) {
        User user = activeUser(token.userId()).orElseThrow(() -> new InvalidTokenException(InvalidTokenException.Reason.SUBJECT_GONE));
        Domain userDomain = directory.domain(user.domainId()).orElseThrow();
        if (!token.scoped()) return new TokenBody(token, user, userDomain, null, null, List.of());
        Project project = directory.project(token.projectId())
                .filter(Project::enabled)
                .orElseThrow(() -> new InvalidTokenException(InvalidTokenException.Reason.SUBJECT_GONE));
        Domain projectDomain = directory.domain(project.domainId())
                .filter(Domain::enabled)
                .orElseThrow(() -> new InvalidTokenException(InvalidTokenException.Reason.SUBJECT_GONE));
        List<Role> roles = directory.rolesOn(user.id(), Scope.project(project.id()));
        if (roles.isEmpty()) throw new InvalidTokenException(InvalidTokenException.Reason.SUBJECT_GONE);
        return new TokenBody(token, user, userDomain, project, projectDomain, roles);
    }

    private Optional<User> activeUser(String id) {
        return directory.user(id)
                .filter(User::enabled)
                .filter(u -> directory.domain(u.domainId()).map(Domain::enabled).orElse(false));
    }

    private Optional<User> resolveUser(UserRef ref) {
        return switch (ref) {
            case UserRef.ById byId -> validId(byId.id()) ? directory.user(byId.id()) : Optional.empty();
            case UserRef.ByName byName -> resolveDomain(byName.domain()).flatMap(d -> directory.userByName(d.id(), byName.name()));
        };
    }

    private Optional<Project> resolveProject(ProjectRef ref) {
        return switch (ref) {
            case ProjectRef.ById byId -> validId(byId.id()) ? directory.project(byId.id()) : Optional.empty();
            case ProjectRef.ByName byName -> resolveDomain(byName.domain()).flatMap(d -> directory.projectByName(d.id(), byName.name()));
        };
    }

    private Optional<Domain> resolveDomain(DomainRef ref) {
        return switch (ref) {
            case DomainRef.ById byId -> validId(byId.id()) ? directory.domain(byId.id()) : Optional.empty();
            case DomainRef.ByName byName -> byName.name() == null ? Optional.empty() : directory.domainByName(byName.name());
        };
    }

    /** An id that could not be a key is simply not found: it must not reach the Store, nor be echoed as a 400. */
    private static boolean validId(String id) {
        try {
            Ids.check("id", id);
            return true;
        } catch (ValidationException e) {
            return false;
        }
    }

    private static AuthenticationException refused(Reason reason, String who, String source) {
        // Names come straight from the request: keep control characters out of the log line.
        String printable = who.length() > 200 ? who.substring(0, 200) + "…" : who;
        LOG.info("authentication refused: {} for {} from {}", reason, printable.replaceAll("\\p{Cntrl}", "?"), source);
        return new AuthenticationException(reason);
    }
}
