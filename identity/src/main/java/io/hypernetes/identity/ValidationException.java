package io.hypernetes.identity;

/** Bad input: a field is missing, malformed or out of range; nothing was written. */
public final class ValidationException extends IdentityException {
    public ValidationException(String message) {
        super(message);
    }

    @Override
    public int status() {
        return 400;
    }
}
