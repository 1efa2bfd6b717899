package io.hypernetes.store;

/** A conditional write found the key at another revision; {@link #current()} is what is there now. */
public final class RevisionMismatchException extends StoreException {
    private final transient KeyValue current;

    public RevisionMismatchException(KeyValue current, long expected) {
        super(current.key() + ": expected revision " + expected + ", found " + current.modRevision());
        this.current = current;
    }

    public KeyValue current() {
        return current;
    }
}
