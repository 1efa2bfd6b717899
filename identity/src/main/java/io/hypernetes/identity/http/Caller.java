package io.hypernetes.identity.http;

import io.hypernetes.identity.Bootstrap;
import io.hypernetes.identity.TokenBody;

/**
 * Who is calling: the {@code X-Auth-Token} as validated just now, with the user, project and roles as they are
 * now (a role granted or revoked counts from the next request, not the next token).
 *
 * <p>The policy is Keystone's default one, reduced to the roles this service has: holding {@code admin} on the
 * token's project is administration of the whole service (Keystone's legacy {@code admin_required}); anyone may
 * read themselves, their own projects and their own token.
 */
record Caller(TokenBody token) {
    String userId() {
        return token.user().id();
    }

    boolean admin() {
        return token.roles().stream().anyMatch(r -> r.name().equals(Bootstrap.ADMIN));
    }

    boolean is(String userId) {
        return userId().equals(userId);
    }

    /** @param action Keystone's policy name, which the 403 quotes as Keystone's does */
    void requireAdmin(String action) {
        require(admin(), action);
    }

    void require(boolean allowed, String action) {
        if (!allowed) {
            throw new KeystoneError(403, "You are not authorized to perform the requested action: " + action + ".");
        }
    }
}
