package io.hypernetes.api.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The schema-driven walks over JSON trees that server-side apply is made of: which fields a value sets, what changed
 * between two values, merging an applied configuration into a live object, and removing fields nobody owns any
 * more. Absent fields and JSON nulls are the same thing here, as they are once Kubernetes decodes into Go structs.
 */
final class Walks {
    private Walks() {}

    /** The fields two values differ in: present only on the right, present on both with different values, only on the left. */
    record Comparison(FieldSet added, FieldSet modified, FieldSet removed) {
        FieldSet changed() {
            return added.union(modified);
        }
    }

    /** An applied configuration Kubernetes would refuse to type (an item without its keys, a key given twice). */
    static final class InvalidConfig extends IllegalArgumentException {
        InvalidConfig(String message) {
            super(message);
        }
    }

    // ---- the fields a value sets (SMD's ToFieldSet)

    /**
     * The fields {@code value} sets: every scalar and atomic value, every item of an associative list (and what is
     * in it), every key of a free map, and object fields that are empty or null. Object fields with content are
     * implied by what they contain, so applying {@code spec.x} does not claim all of {@code spec}.
     */
    static FieldSet fieldSet(JsonNode value, Type type) {
        FieldSet out = new FieldSet();
        collect(value, type, new ArrayList<>(), out);
        return out;
    }

    private static void collect(JsonNode v, Type t, List<PathElement> path, FieldSet out) {
        switch (t) {
            case Type.Struct s when v instanceof ObjectNode o -> o.properties().forEach(e -> {
                path.add(new PathElement.Field(e.getKey()));
                JsonNode c = e.getValue();
                collect(c, s.field(e.getKey()), path, out);
                if (c.isNull() || (c.isObject() && c.isEmpty()) || !s.declares(e.getKey())) out.insert(path);
                path.removeLast();
            });
            case Type.MapOf m when v instanceof ObjectNode o -> o.properties().forEach(e -> {
                path.add(new PathElement.Field(e.getKey()));
                collect(e.getValue(), m.values(), path, out);
                out.insert(path);
                path.removeLast();
            });
            case Type.ListOf l when v instanceof ArrayNode a -> {
                Set<PathElement> seen = new java.util.TreeSet<>();
                for (int i = 0; i < a.size(); i++) {
                    PathElement pe = l.elementOf(a.get(i));
                    if (pe == null) {
                        throw new InvalidConfig(new FieldPath(path) + ": associative list with keys has an element that omits key field \""
                                + missingKey(l, a.get(i)) + "\" (and doesn't have default value)");
                    }
                    if (!seen.add(pe)) {
                        throw new InvalidConfig(new FieldPath(path) + ": duplicate entries for key " + pe);
                    }
                    path.add(pe);
                    collect(a.get(i), l.items(), path, out);
                    out.insert(path);
                    path.removeLast();
                }
            }
            default -> {
                if (!path.isEmpty()) out.insert(path);
            }
        }
    }

    private static String missingKey(Type.ListOf l, JsonNode item) {
        for (String k : l.keys()) if (item.path(k).isMissingNode() || item.path(k).isNull()) return k;
        return l.keys().getFirst();
    }

    // ---- what changed (SMD's Compare)

    static Comparison compare(JsonNode lhs, JsonNode rhs, Type type) {
        Comparison c = new Comparison(new FieldSet(), new FieldSet(), new FieldSet());
        compare(absentIfNull(lhs), absentIfNull(rhs), type, new ArrayList<>(), c);
        return c;
    }

    private static void compare(JsonNode l, JsonNode r, Type t, List<PathElement> path, Comparison out) {
        if (l == null && r == null) return;
        boolean granular = switch (t) {
            case Type.Struct s -> (l == null || l.isObject()) && (r == null || r.isObject());
            case Type.MapOf m -> (l == null || l.isObject()) && (r == null || r.isObject());
            case Type.ListOf li -> (l == null || l.isArray()) && (r == null || r.isArray());
            case Type.Leaf leaf -> false;
        };
        if (!granular) {
            if (path.isEmpty()) return;
            if (l == null) out.added().insert(path);
            else if (r == null) out.removed().insert(path);
            else if (!same(l, r)) out.modified().insert(path);
            return;
        }
        if (t instanceof Type.ListOf li) {
            Map<PathElement, JsonNode> left = items(l, li);
            Map<PathElement, JsonNode> right = items(r, li);
            Set<PathElement> all = new LinkedHashSet<>(left.keySet());
            all.addAll(right.keySet());
            for (PathElement pe : all) {
                path.add(pe);
                compare(left.get(pe), right.get(pe), li.items(), path, out);
                path.removeLast();
            }
        } else {
            Set<String> keys = new LinkedHashSet<>();
            if (l != null) l.fieldNames().forEachRemaining(keys::add);
            if (r != null) r.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                path.add(new PathElement.Field(k));
                Type ct = t instanceof Type.Struct s ? s.field(k) : ((Type.MapOf) t).values();
                compare(l == null ? null : absentIfNull(l.get(k)), r == null ? null : absentIfNull(r.get(k)), ct, path, out);
                path.removeLast();
            }
        }
        if (path.isEmpty()) return;
        if (l == null) out.added().insert(path);
        else if (r == null) out.removed().insert(path);
    }

    /**
     * The items of a live list by the element naming them. An item whose keys are incomplete is named by its position
     * instead, and a repeated key keeps the first item: live objects written before the rules tightened must not
     * make every later write fail.
     */
    private static Map<PathElement, JsonNode> items(JsonNode list, Type.ListOf t) {
        Map<PathElement, JsonNode> out = new java.util.TreeMap<>();
        Map<PathElement, JsonNode> ordered = new LinkedHashMap<>();
        if (list == null) return ordered;
        for (int i = 0; i < list.size(); i++) {
            PathElement pe = t.elementOf(list.get(i));
            if (pe == null) pe = new PathElement.Index(i);
            if (out.containsKey(pe)) continue;
            out.put(pe, list.get(i));
            ordered.put(pe, list.get(i));
        }
        return ordered;
    }

    // ---- merging an applied configuration into a live object (SMD's Merge)

    /**
     * The live value with the configuration laid over it: scalars and atomic values from the configuration,
     * objects and maps field by field, associative lists item by item (live order, then new items in the
     * configuration's order). A null in the configuration removes the field.
     */
    static JsonNode merge(JsonNode live, JsonNode config, Type t) {
        JsonNode l = absentIfNull(live);
        if (config == null) return l == null ? null : l.deepCopy();
        if (config.isNull()) return null;
        if (l == null) return withoutNulls(config);
        switch (t) {
            case Type.Struct s when l.isObject() && config.isObject() -> {
                return mergeObjects(l, config, s::field);
            }
            case Type.MapOf m when l.isObject() && config.isObject() -> {
                return mergeObjects(l, config, k -> m.values());
            }
            case Type.ListOf li when l.isArray() && config.isArray() -> {
                Map<PathElement, JsonNode> fromConfig = new LinkedHashMap<>();
                for (JsonNode item : config) {
                    PathElement pe = li.elementOf(item);
                    if (pe != null) fromConfig.put(pe, item);
                }
                ArrayNode out = Json.MAPPER.createArrayNode();
                Set<PathElement> used = new java.util.TreeSet<>();
                for (JsonNode item : l) {
                    PathElement pe = li.elementOf(item);
                    if (pe != null && fromConfig.containsKey(pe) && used.add(pe)) {
                        JsonNode merged = merge(item, fromConfig.get(pe), li.items());
                        if (merged != null) out.add(merged);
                    } else {
                        out.add(item.deepCopy());
                    }
                }
                fromConfig.forEach((pe, item) -> {
                    if (!used.contains(pe)) out.add(withoutNulls(item));
                });
                return out;
            }
            default -> {
                return withoutNulls(config);
            }
        }
    }

    private static ObjectNode mergeObjects(JsonNode l, JsonNode r, java.util.function.Function<String, Type> fieldType) {
        ObjectNode out = Json.object();
        l.properties().forEach(e -> {
            if (!r.has(e.getKey())) out.set(e.getKey(), e.getValue().deepCopy());
            else {
                JsonNode m = merge(e.getValue(), r.get(e.getKey()), fieldType.apply(e.getKey()));
                if (m != null) out.set(e.getKey(), m);
            }
        });
        r.properties().forEach(e -> {
            if (!l.has(e.getKey()) && !e.getValue().isNull()) out.set(e.getKey(), withoutNulls(e.getValue()));
        });
        return out;
    }

    private static JsonNode withoutNulls(JsonNode v) {
        if (v instanceof ObjectNode o) {
            ObjectNode out = Json.object();
            o.properties().forEach(e -> {
                if (!e.getValue().isNull()) out.set(e.getKey(), withoutNulls(e.getValue()));
            });
            return out;
        }
        return v.deepCopy();
    }

    // ---- removing what nobody owns any more (SMD's prune)

    /**
     * {@code value} without the members of {@code remove}, except where {@code owned} still has something at or
     * below them. An object or map that the removal leaves empty goes too, unless someone owns it.
     */
    static JsonNode prune(JsonNode value, Type t, FieldSet remove, FieldSet owned) {
        switch (t) {
            case Type.Struct s when value instanceof ObjectNode o -> {
                return pruneObject(o, s::field, remove, owned);
            }
            case Type.MapOf m when value instanceof ObjectNode o -> {
                return pruneObject(o, k -> m.values(), remove, owned);
            }
            case Type.ListOf li when value instanceof ArrayNode a -> {
                ArrayNode out = Json.MAPPER.createArrayNode();
                for (JsonNode item : a) {
                    PathElement pe = li.elementOf(item);
                    if (pe == null) {
                        out.add(item);
                        continue;
                    }
                    if (remove.isMember(pe) && !owned.touches(pe)) continue;
                    out.add(remove.childrenView().containsKey(pe) ? prune(item, li.items(), remove.child(pe), owned.child(pe)) : item);
                }
                return out;
            }
            default -> {
                return value;
            }
        }
    }

    private static ObjectNode pruneObject(ObjectNode o, java.util.function.Function<String, Type> fieldType, FieldSet remove, FieldSet owned) {
        ObjectNode out = Json.object();
        o.properties().forEach(e -> {
            PathElement pe = new PathElement.Field(e.getKey());
            if (remove.isMember(pe) && !owned.touches(pe)) return;
            JsonNode v = e.getValue();
            if (remove.childrenView().containsKey(pe)) {
                JsonNode pruned = prune(v, fieldType.apply(e.getKey()), remove.child(pe), owned.child(pe));
                boolean emptied = pruned.isContainerNode() && pruned.isEmpty() && !v.isEmpty();
                if (emptied && !owned.touches(pe)) return;
                v = pruned;
            }
            out.set(e.getKey(), v);
        });
        return out;
    }

    // ---- values

    private static JsonNode absentIfNull(JsonNode v) {
        return v == null || v.isNull() || v.isMissingNode() ? null : v;
    }

    /** Equality that compares numbers by value: 80 and 80.0, or an int and a long, are the same number. */
    static boolean same(JsonNode a, JsonNode b) {
        return a.equals(NUMBERS_BY_VALUE, b);
    }

    private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (x, y) -> {
        if (x.isNumber() && y.isNumber()) return x.decimalValue().compareTo(y.decimalValue());
        return x.equals(y) ? 0 : 1;
    };
}
