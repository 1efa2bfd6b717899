package io.hypernetes.store;

/**
 * One change seen by a {@link Store.Watch}.
 *
 * @param kv for PUT the new version; for DELETE the key with {@code modRevision} set to the deletion's revision
 *           and an empty value
 * @param prevKv the version before this change, or null when a PUT created the key
 */
public record WatchEvent(Type type, KeyValue kv, KeyValue prevKv) {
    public enum Type { PUT, DELETE }

    public long revision() {
        return kv.modRevision();
    }
}
