package io.hypernetes.store;

import java.util.List;

/**
 * The answer to {@link Store#range}.
 *
 * @param kvs the keys found, in key order
 * @param revision the store revision the range was read at
 * @param more whether keys in the range were left out because of the limit
 * @param count how many keys the whole range holds at that revision, whatever the limit
 */
public record RangeResult(List<KeyValue> kvs, long revision, boolean more, long count) {}
