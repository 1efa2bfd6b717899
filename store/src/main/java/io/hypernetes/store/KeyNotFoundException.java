package io.hypernetes.store;

public final class KeyNotFoundException extends StoreException {
    public KeyNotFoundException(String key) {
        super(key + ": the key does not exist");
    }
}
