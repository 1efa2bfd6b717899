package io.hypernetes.store;

/** The store could not read or write its disk (or reach etcd); the write may not have happened. */
public final class StorageFailureException extends StoreException {
    public StorageFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
