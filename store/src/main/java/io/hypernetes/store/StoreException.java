package io.hypernetes.store;

/** Why a store operation was refused. Each subclass maps to one Kubernetes error (409, 404, 410, 500). */
public abstract sealed class StoreException extends RuntimeException
        permits KeyExistsException, KeyNotFoundException, RevisionMismatchException, CompactedException,
                FutureRevisionException, WatchClosedException, StorageFailureException {
    protected StoreException(String message) {
        super(message);
    }

    protected StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
