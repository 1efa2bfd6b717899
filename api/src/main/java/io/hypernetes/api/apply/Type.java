package io.hypernetes.api.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.schema.Property;
import io.hypernetes.api.schema.Schema;
import io.hypernetes.api.schema.SchemaRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How server-side apply sees a position in an object, derived from the schema as Kubernetes derives it from
 * OpenAPI: {@code x-kubernetes-list-type} first, else a list with patch strategy "merge" is associative (keyed by
 * its merge key, or a set without one), else atomic; objects and maps are granular unless
 * {@code x-kubernetes-map-type: atomic}; embedded objects are atomic.
 */
sealed interface Type {

    /** A scalar or an atomic list, map or object: owned, compared and replaced whole. */
    record Leaf() implements Type {}

    /** An object with declared fields; fields it does not declare are treated as leaves. */
    record Struct(SchemaRegistry registry, Schema.Struct schema) implements Type {
        Type field(String name) {
            Property p = schema.properties().get(name);
            return p == null ? LEAF : of(registry, p.schema(), p);
        }

        boolean declares(String name) {
            return schema.properties().containsKey(name);
        }
    }

    /** An object with free keys (labels, data) whose values share one type. */
    record MapOf(Type values) implements Type {}

    /**
     * An associative list: items named by {@code keys} (a list-map), or by their whole value when {@code keys} is
     * empty (a set). {@code keyDefaults} fills key fields an item may omit.
     */
    record ListOf(Type items, List<String> keys, Map<String, JsonNode> keyDefaults) implements Type {
        boolean isSet() {
            return keys.isEmpty();
        }

        /**
         * The element naming {@code item}; null when an item of a list-map lacks a key field that has no default,
         * which Kubernetes rejects in an applied configuration.
         */
        PathElement elementOf(JsonNode item) {
            if (isSet()) return PathElement.Value.of(item);
            if (!(item instanceof ObjectNode o)) return null;
            ObjectNode key = Json.object();
            for (String k : keys) {
                JsonNode v = o.get(k);
                if (v == null || v.isNull()) v = keyDefaults.get(k);
                if (v == null) return null;
                key.set(k, v);
            }
            return PathElement.Key.of(key);
        }
    }

    Leaf LEAF = new Leaf();

    /** The type of objects of a named definition. */
    static Type of(SchemaRegistry registry, String definition) {
        return registry.definition(definition).map(d -> of(registry, d.schema(), null)).orElse(LEAF);
    }

    /** The type at a position with schema {@code s}, reached through property {@code via} (null for list items and map values). */
    static Type of(SchemaRegistry registry, Schema s, Property via) {
        Schema resolved = registry.resolve(s);
        return switch (resolved) {
            case Schema.Struct st -> "atomic".equals(st.mapType()) || (via != null && "atomic".equals(via.mapType()))
                    ? LEAF : new Struct(registry, st);
            case Schema.MapOf m -> via != null && "atomic".equals(via.mapType()) ? LEAF : new MapOf(of(registry, m.values(), null));
            case Schema.ListOf l -> list(registry, l, via);
            default -> LEAF;
        };
    }

    private static Type list(SchemaRegistry registry, Schema.ListOf l, Property via) {
        if (via == null) return LEAF;
        String listType = via.listType();
        List<String> keys;
        if (listType != null) {
            switch (listType) {
                case "set" -> keys = List.of();
                case "map" -> keys = via.listMapKeys();
                default -> {
                    return LEAF;
                }
            }
            if (listType.equals("map") && keys.isEmpty()) return LEAF;
        } else if (via.patchStrategies().contains("merge")) {
            keys = via.mergeKey() == null ? List.of() : List.of(via.mergeKey());
        } else {
            return LEAF;
        }
        Type items = of(registry, l.items(), null);
        Map<String, JsonNode> defaults = new LinkedHashMap<>();
        if (registry.resolve(l.items()) instanceof Schema.Struct item) {
            for (String k : keys) {
                Property p = item.properties().get(k);
                if (p != null && p.defaultValue() != null) defaults.put(k, p.defaultValue());
            }
        }
        return new ListOf(items, keys, defaults);
    }
}
