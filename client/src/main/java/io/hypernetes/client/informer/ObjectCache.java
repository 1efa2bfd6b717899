package io.hypernetes.client.informer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Meta;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The informer's store: current objects keyed {@code namespace/name} (just {@code name} when cluster-scoped), plus
 * optional indexes, and the differences each change makes as {@link Delta}s for the handlers. Writers synchronize
 * on the cache; {@link #get} and {@link #list} read without locking.
 */
final class ObjectCache {
    /** One change for the handlers. */
    sealed interface Delta {
        record Added(ObjectNode obj) implements Delta {}

        record Updated(ObjectNode oldObj, ObjectNode newObj) implements Delta {}

        record Deleted(ObjectNode obj) implements Delta {}
    }

    private final Map<String, ObjectNode> items = new ConcurrentHashMap<>();
    private final Map<String, Function<ObjectNode, Collection<String>>> indexers = new HashMap<>();
    /** index name → indexed value → keys. */
    private final Map<String, Map<String, Set<String>>> indexes = new HashMap<>();

    static String key(JsonNode obj) {
        return key(Meta.namespace(obj), Meta.name(obj));
    }

    static String key(String namespace, String name) {
        return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
    }

    ObjectNode get(String key) {
        return items.get(key);
    }

    List<ObjectNode> list() {
        return List.copyOf(items.values());
    }

    int size() {
        return items.size();
    }

    /** Applies one watch event (ADDED, MODIFIED or DELETED); null when it changes nothing. */
    synchronized Delta apply(String type, ObjectNode obj) {
        String key = key(obj);
        if (type.equals("DELETED")) {
            ObjectNode old = items.remove(key);
            if (old == null) return null; // never seen, so nobody was told about it
            unindex(key, old);
            return new Delta.Deleted(obj);
        }
        if (!type.equals("ADDED") && !type.equals("MODIFIED")) throw new IllegalArgumentException("not a change: " + type);
        return put(key, obj);
    }

    private Delta put(String key, ObjectNode obj) {
        ObjectNode old = items.put(key, obj);
        if (old != null) unindex(key, old);
        index(key, obj);
        if (old == null) return new Delta.Added(obj);
        if (sameVersion(old, obj)) return null;
        return new Delta.Updated(old, obj);
    }

    private static boolean sameVersion(ObjectNode a, ObjectNode b) {
        String rv = Meta.resourceVersion(a);
        return !rv.isEmpty() && rv.equals(Meta.resourceVersion(b));
    }

    /**
     * Replaces the whole content with a fresh list and answers what changed, as handlers must see it to converge:
     * adds for new objects, updates for changed ones (by resourceVersion), deletes (with the last known version)
     * for the ones gone.
     */
    synchronized List<Delta> replace(Collection<ObjectNode> fresh) {
        Map<String, ObjectNode> byKey = new LinkedHashMap<>();
        for (ObjectNode o : fresh) byKey.put(key(o), o);
        List<Delta> deltas = new ArrayList<>();
        for (String key : List.copyOf(items.keySet())) {
            if (!byKey.containsKey(key)) {
                ObjectNode old = items.remove(key);
                unindex(key, old);
                deltas.add(new Delta.Deleted(old));
            }
        }
        for (Map.Entry<String, ObjectNode> e : byKey.entrySet()) {
            Delta d = put(e.getKey(), e.getValue());
            if (d != null) deltas.add(d);
        }
        return deltas;
    }

    /** Adds an index (over the current objects too); {@code fn} answers the values an object is found under. */
    synchronized void addIndex(String name, Function<ObjectNode, Collection<String>> fn) {
        if (indexers.putIfAbsent(name, fn) != null) throw new IllegalArgumentException("index exists: " + name);
        indexes.put(name, new HashMap<>());
        items.forEach((key, obj) -> indexOne(name, fn, key, obj));
    }

    /** The objects an index finds under {@code value}. */
    synchronized List<ObjectNode> byIndex(String name, String value) {
        Map<String, Set<String>> index = indexes.get(name);
        if (index == null) throw new IllegalArgumentException("no index " + name);
        Set<String> keys = index.getOrDefault(value, Set.of());
        List<ObjectNode> out = new ArrayList<>(keys.size());
        for (String k : keys) out.add(items.get(k));
        return out;
    }

    private void index(String key, ObjectNode obj) {
        indexers.forEach((name, fn) -> indexOne(name, fn, key, obj));
    }

    private void indexOne(String name, Function<ObjectNode, Collection<String>> fn, String key, ObjectNode obj) {
        Map<String, Set<String>> index = indexes.get(name);
        for (String v : values(fn, obj)) index.computeIfAbsent(v, x -> new HashSet<>()).add(key);
    }

    private void unindex(String key, ObjectNode obj) {
        indexers.forEach((name, fn) -> {
            Map<String, Set<String>> index = indexes.get(name);
            for (String v : values(fn, obj)) {
                Set<String> keys = index.get(v);
                if (keys != null && keys.remove(key) && keys.isEmpty()) index.remove(v);
            }
        });
    }

    private static Collection<String> values(Function<ObjectNode, Collection<String>> fn, ObjectNode obj) {
        try {
            Collection<String> v = fn.apply(obj);
            return v == null ? List.of() : v;
        } catch (RuntimeException e) {
            return List.of(); // an index function that cannot read an object does not index it
        }
    }
}
