package io.hypernetes.apiserver.auth;

import io.hypernetes.apiserver.authz.Projects;
import io.hypernetes.http.User;
import io.hypernetes.store.Store;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code IdentityProvider} seam as the API server needs it: is this bearer token a valid Keystone token, and
 * if so whom does it stand for and until when; and which projects exist, for the tenants objects name. Two implementations: {@link InProcessTokenValidator} (the built-in
 * identity service in the same JVM) and {@link KeystoneTokenValidator} (any Keystone v3 over HTTPS).
 *
 * <p>"Invalid" and "could not tell" are kept apart because the caller caches them differently: an invalid token
 * may be remembered for a moment, an outage never is, so a token refused while Keystone was down works as soon
 * as Keystone is back.
 */
public interface TokenValidator extends AutoCloseable {
    /**
     * A token Keystone accepted.
     *
     * @param expiresAt when Keystone says the token stops being valid; nothing may trust it beyond that
     */
    record Validated(User user, Instant expiresAt) {
        public Validated {
            Objects.requireNonNull(user);
            Objects.requireNonNull(expiresAt);
        }
    }

    /**
     * @return the token's user and expiry, or empty when the identity service says the token is not valid
     *     (forged, expired, revoked, its user or project gone)
     * @throws IdentityUnavailableException when the identity service could not be asked or answered nonsense
     */
    Optional<Validated> validate(String token);

    /**
     * Which Keystone projects exist. Unchecked by default: an external Keystone lists projects only to
     * administrators, and only administrators can name a project other than their own (see {@link Projects}).
     */
    default Projects projects() {
        return Projects.UNCHECKED;
    }

    /** Releases connections; the default holds none. */
    @Override
    default void close() {}

    /**
     * Makes the validator once the API server's store is open, so the built-in identity service can share it
     * (its directory and revocations live there); a validator that needs no store ignores the argument.
     */
    @FunctionalInterface
    interface Factory {
        TokenValidator create(Store store);

        /** A validator that needs nothing from the server. */
        static Factory of(TokenValidator validator) {
            Objects.requireNonNull(validator);
            return store -> validator;
        }
    }
}
