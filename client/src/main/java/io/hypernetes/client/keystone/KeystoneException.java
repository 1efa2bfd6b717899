package io.hypernetes.client.keystone;

/**
 * Keystone refused, answered something unusable, or could not be reached. The message is one line fit to show a
 * user as is; it never contains a password or a token.
 */
public final class KeystoneException extends RuntimeException {
    private final int status;

    KeystoneException(int status, String message) {
        super(message);
        this.status = status;
    }

    KeystoneException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
    }

    /** The HTTP status Keystone answered, or 0 when there was no usable answer (unreachable, TLS, timeout). */
    public int status() {
        return status;
    }
}
