package io.hypernetes.apiserver.auth;

import io.hypernetes.apiserver.authz.Projects;
import io.hypernetes.identity.Authenticator;
import io.hypernetes.identity.Directory;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.IdentityException;
import io.hypernetes.identity.Role;
import io.hypernetes.identity.TokenBody;
import java.util.Objects;
import java.util.Optional;

/**
 * Validates tokens with the built-in identity service running in the same JVM, over the same store: no HTTP,
 * no second copy of the directory. {@link Authenticator#validate} looks the user, project and roles up fresh, so
 * what the API server sees is exactly what {@code GET /v3/auth/tokens} would answer.
 */
public final class InProcessTokenValidator implements TokenValidator {
    private final Authenticator identity;
    private final Directory directory;

    public InProcessTokenValidator(Identity identity) {
        this.identity = Objects.requireNonNull(identity.authenticator());
        this.directory = identity.directory();
    }

    /** Projects as the identity service's directory holds them. */
    @Override
    public Projects projects() {
        return id -> directory.project(id).isPresent();
    }

    @Override
    public Optional<Validated> validate(String token) {
        TokenBody body;
        try {
            body = identity.validate(token);
        } catch (IdentityException e) {
            // The token's fault (malformed, forged, expired, revoked, subject gone) is a 4xx; anything else
            // means the service could not decide.
            if (e.status() >= 400 && e.status() < 500) return Optional.empty();
            throw new IdentityUnavailableException("identity service: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IdentityUnavailableException("identity service failed: " + e, e);
        }
        return Optional.of(new Validated(user(body), body.token().expiresAt()));
    }

    /** The same mapping {@link KeystoneTokenValidator} applies to Keystone's JSON, from the identity core's records. */
    static io.hypernetes.http.User user(TokenBody body) {
        boolean scoped = body.project() != null;
        return KeystoneUsers.of(body.user().id(), body.user().name(),
                body.userDomain() == null ? null : body.userDomain().id(),
                body.userDomain() == null ? null : body.userDomain().name(),
                scoped ? body.project().id() : null,
                scoped ? body.project().name() : null,
                scoped ? body.roles().stream().map(Role::name).toList() : java.util.List.of());
    }
}
