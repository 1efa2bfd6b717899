package io.hypernetes.identity;

/**
 * Why an identity operation was refused. The set is closed so the HTTP layer can map each to one Keystone
 * error (400, 401, 404, 409, 429) without a default case.
 */
public abstract sealed class IdentityException extends RuntimeException
        permits ValidationException, NotFoundException, ConflictException, AuthenticationException,
                InvalidTokenException, ThrottledException {
    IdentityException(String message) {
        super(message);
    }

    /** The HTTP status Keystone answers this with. */
    public abstract int status();
}
