package io.hypernetes.identity;

/** A name is taken, or the object changed or is still in use. */
public final class ConflictException extends IdentityException {
    public ConflictException(String message) {
        super(message);
    }

    @Override
    public int status() {
        return 409;
    }
}
