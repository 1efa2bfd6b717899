package io.hypernetes.identity;

/** A token did not validate; {@link #reason()} says why, so logs and tests can tell a forgery from an expiry. */
public final class InvalidTokenException extends IdentityException {
    public enum Reason {
        /** Not URL-safe base64, an unknown format version, or bytes after the signature. */
        MALFORMED,
        /** Shorter than its own header says it is. */
        TRUNCATED,
        /** Signed with a key this service does not hold (another cluster's, or one rotated out). */
        UNKNOWN_KEY,
        /** The signature does not match: the token was altered or forged. */
        BAD_SIGNATURE,
        EXPIRED,
        REVOKED,
        /** Authentic, but the user or project it names is gone or disabled. */
        SUBJECT_GONE
    }

    private final Reason reason;

    InvalidTokenException(Reason reason) {
        super("The token is invalid: " + reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ".");
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** Keystone answers an invalid subject token with 404 on validation, and an invalid auth token with 401. */
    @Override
    public int status() {
        return 401;
    }
}
