package io.hypernetes.identity;

import java.time.Duration;

/** Too many wrong passwords for this user from this source: try again after {@link #retryAfter()}. */
public final class ThrottledException extends IdentityException {
    private final Duration retryAfter;

    ThrottledException(Duration retryAfter) {
        super("Too many failed authentication attempts; retry after " + Math.max(1, retryAfter.toSeconds()) + " s.");
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    @Override
    public int status() {
        return 429;
    }
}
