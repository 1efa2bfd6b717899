package io.hypernetes.store;

public final class WatchClosedException extends StoreException {
    public WatchClosedException(String key) {
        super(key + ": the watch is closed");
    }
}
