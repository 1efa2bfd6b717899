package io.hypernetes.store;

public final class KeyExistsException extends StoreException {
    public KeyExistsException(String key) {
        super(key + ": the key already exists");
    }
}
