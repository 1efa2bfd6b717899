package io.hypernetes.store;

/**
 * One version of a key, as etcd's mvccpb.KeyValue.
 *
 * @param createRevision the revision that created the key (since its last deletion)
 * @param modRevision the revision of this version
 * @param version 1 for a new key, +1 on every update
 */
public record KeyValue(String key, byte[] value, long createRevision, long modRevision, long version) {}
