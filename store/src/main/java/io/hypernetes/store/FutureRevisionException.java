package io.hypernetes.store;

/** The revision asked for has not been written yet. */
public final class FutureRevisionException extends StoreException {
    public FutureRevisionException(long requested, long current) {
        super("revision " + requested + " is newer than the store's revision " + current);
    }
}
