package io.hypernetes.apiserver.auth;

/**
 * The identity service could not say whether a token is valid: unreachable, too slow, or an answer that is not
 * a Keystone token. The request is refused (401) but the outcome is never cached.
 */
public final class IdentityUnavailableException extends RuntimeException {
    public IdentityUnavailableException(String message) {
        super(message);
    }

    public IdentityUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
