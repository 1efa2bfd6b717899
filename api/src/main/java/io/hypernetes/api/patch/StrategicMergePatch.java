package io.hypernetes.api.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Kubernetes' strategic merge patch ({@code application/strategic-merge-patch+json}), the patch kubectl
 * apply, edit, label, annotate and patch send. {@link PatchMeta} supplies the merge keys and strategies.
 *
 * <p>The rules, as in {@code k8s.io/apimachinery/pkg/util/strategicpatch}:
 * <ul>
 *   <li>maps merge key by key, a null value deletes the key; {@code $patch: replace} replaces the map,
 *       {@code $patch: delete} empties it (and drops it when the object had no such map);</li>
 *   <li>lists without the "merge" strategy are replaced whole;</li>
 *   <li>lists of objects with a merge key merge item by item; an item with {@code $patch: delete} removes
 *       every item with its key, an item {@code {"$patch": "replace"}} makes the rest of the list replace;</li>
 *   <li>lists of primitives with the "merge" strategy merge as ordered sets; {@code
 *       $deleteFromPrimitiveList/<field>} lists values to remove;</li>
 *   <li>{@code $setElementOrder/<field>} fixes the order of the patched items; items only the server knows
 *       keep their place relative to them;</li>
 *   <li>{@code $retainKeys} clears every key of the map it does not list (Kubernetes honours it on any map,
 *       whatever the schema says).</li>
 * </ul>
 *
 * <p>Ordering follows Kubernetes, including where it surprises: without {@code $setElementOrder}, items
 * the patch adds are placed before the server's items that follow them rather than appended (kubectl
 * patch with one new container puts it first; kubectl apply always sends {@code $setElementOrder}, which
 * places new items where the configuration has them). When the same patch deletes and adds items under
 * {@code $setElementOrder}, the added items take the deleted items' places in the order used to position
 * server-only items, as Kubernetes' in-place list editing does.
 *
 * <p>Unlike Kubernetes, directives never leak into the result: values the object did not have are merged
 * into nothing, so their directives are interpreted (or dropped) too.
 *
 * <p>Status codes: the ones Kubernetes maps explicitly are kept (400 for malformed {@code $retainKeys},
 * {@code $setElementOrder} and {@code $deleteFromPrimitiveList}, 422 for lists of lists and other
 * shapes the object cannot take). Kubernetes answers 500 for the rest of the malformed directives (unknown
 * {@code $patch} value, an item without its merge key, an order list that contradicts the patch); those are
 * the client's malformed patch, so they are 400 here.
 */
public final class StrategicMergePatch {
    static final String PATCH = "$patch";
    static final String RETAIN_KEYS = "$retainKeys";
    static final String SET_ORDER = "$setElementOrder";
    static final String DELETE_PRIMITIVES = "$deleteFromPrimitiveList";

    private StrategicMergePatch() {}

    /** Parses {@code patch} as JSON and applies it; see {@link #apply(ObjectNode, JsonNode, PatchMeta)}. */
    public static ObjectNode apply(ObjectNode original, byte[] patch, PatchMeta meta) {
        return apply(original, Trees.parse(patch), meta);
    }

    /**
     * Returns {@code original} with {@code patch} applied as a strategic merge patch; neither argument is
     * modified and the result shares no nodes with them.
     *
     * @param meta how the top-level object's fields merge; {@link PatchMeta#NONE} makes this a JSON merge
     *             patch that also understands the directives
     */
    public static ObjectNode apply(ObjectNode original, JsonNode patch, PatchMeta meta) {
        Objects.requireNonNull(original, "original");
        if (!(patch instanceof ObjectNode patchObject)) {
            throw PatchException.badRequest("", "a strategic merge patch must be a JSON object, not " + Trees.kind(patch));
        }
        return mergeMap(original.deepCopy(), patchObject, meta == null ? PatchMeta.NONE : meta, "");
    }

    /**
     * Merges {@code patch} into {@code original}, which this call owns and may edit; null stands for a map
     * the object does not have.
     */
    private static ObjectNode mergeMap(ObjectNode original, ObjectNode patch, PatchMeta meta, String path) {
        JsonNode directive = patch.get(PATCH);
        if (directive != null) {
            if (isText(directive, "delete")) return Json.object();
            if (isText(directive, "replace")) {
                ObjectNode rest = Json.object().setAll(patch);
                rest.remove(PATCH);
                return mergeMap(null, rest, meta, path);
            }
            throw PatchException.badRequest(path, "unknown patch type " + Trees.brief(directive)
                    + " in " + PATCH + "; expected \"replace\" or \"delete\"");
        }
        if (original == null) original = Json.object();

        applyRetainKeys(original, patch, path);
        Set<String> done = applySetElementOrder(original, patch, meta, path);

        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String key = entry.getKey();
            if (key.equals(RETAIN_KEYS) || key.startsWith(SET_ORDER) || done.contains(key)) continue;
            boolean deleteList = false;
            if (key.startsWith(DELETE_PRIMITIVES)) {
                key = directiveField(key, DELETE_PRIMITIVES, path);
                deleteList = true;
            }
            String at = child(path, key);
            JsonNode value = entry.getValue();
            if (value.isNull()) {
                original.remove(key);
                continue;
            }
            JsonNode current = original.get(key);
            PatchMeta fieldMeta = meta.field(key);
            if (current == null || current.isNull() || shape(current) != shape(value)) {
                // A deletion list for a list the object lacks (or holds as something else) has nothing to do.
                if (!deleteList) putFresh(original, key, value, fieldMeta, at);
                continue;
            }
            if (current instanceof ObjectNode currentMap) {
                if (fieldMeta.strategies().contains("replace")) {
                    putFresh(original, key, value, fieldMeta, at);
                } else {
                    original.set(key, mergeMap(currentMap, (ObjectNode) value, fieldMeta, at));
                }
            } else if (current instanceof ArrayNode currentList) {
                if (deleteList || fieldMeta.strategies().contains("merge")) {
                    original.set(key, mergeList(currentList, (ArrayNode) value, fieldMeta, deleteList, at).list());
                } else {
                    putFresh(original, key, value, fieldMeta, at);
                }
            } else {
                original.set(key, value.deepCopy());
            }
        }
        return original;
    }

    private static void applyRetainKeys(ObjectNode original, ObjectNode patch, String path) {
        JsonNode retain = patch.get(RETAIN_KEYS);
        if (retain == null) return;
        if (!retain.isArray()) {
            throw PatchException.badRequest(child(path, RETAIN_KEYS), "invalid patch format of retainKeys: must be a list of field names, not "
                    + Trees.kind(retain));
        }
        Set<String> keep = new HashSet<>();
        retain.forEach(k -> {
            if (k.isTextual()) keep.add(k.asText());
        });
        patch.fields().forEachRemaining(e -> {
            String k = e.getKey();
            if (e.getValue().isNull() || k.equals(RETAIN_KEYS) || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVES)) return;
            if (!keep.contains(k)) {
                throw PatchException.badRequest(child(path, RETAIN_KEYS), "invalid patch format of retainKeys: the patch sets \""
                        + k + "\", which " + RETAIN_KEYS + " does not list");
            }
        });
        original.retain(keep);
    }

    /**
     * Handles every {@code $setElementOrder/<field>} of this map together with the field's patch list, and
     * returns the fields it consumed so the main merge skips them.
     */
    private static Set<String> applySetElementOrder(ObjectNode original, ObjectNode patch, PatchMeta meta, String path) {
        Set<String> done = new HashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getKey().startsWith(SET_ORDER)) continue;
            String field = directiveField(entry.getKey(), SET_ORDER, path);
            String at = child(path, field);
            if (!(entry.getValue() instanceof ArrayNode order)) {
                throw PatchException.badRequest(child(path, entry.getKey()), "invalid patch format of setElementOrder list: must be a list, not "
                        + Trees.kind(entry.getValue()));
            }
            JsonNode currentNode = original.get(field);
            if (currentNode != null && currentNode.isNull()) currentNode = null;
            if (currentNode != null && !currentNode.isArray()) {
                throw PatchException.invalid(at, SET_ORDER + " orders a list, but the object holds " + Trees.kind(currentNode));
            }
            JsonNode patchNode = patch.get(field);
            if (patchNode != null && !patchNode.isArray()) {
                throw PatchException.badRequest(at, "invalid patch format of setElementOrder list: the field it orders must be a list in the patch, not "
                        + Trees.kind(patchNode));
            }
            ArrayNode current = (ArrayNode) currentNode;
            ArrayNode patchList = (ArrayNode) patchNode;
            PatchMeta fieldMeta = meta.field(field);
            String mergeKey = blankToNull(fieldMeta.mergeKey());
            checkOrderMatchesPatch(patchList, order, mergeKey, at);

            ArrayNode merged;
            List<JsonNode> serverOrder;
            if (current != null && patchList != null) {
                ListMerge m = fieldMeta.strategies().contains("merge")
                        ? mergeList(current, patchList, fieldMeta, false, at)
                        : new ListMerge(freshList(patchList, fieldMeta, at), items(current));
                merged = m.list();
                serverOrder = m.serverOrder();
            } else if (patchList != null) {
                merged = freshList(patchList, fieldMeta, at);
                serverOrder = List.of();
            } else if (current != null) {
                merged = current;
                serverOrder = items(current);
            } else {
                continue;
            }
            checkNoNestedLists(current, at);
            checkNoNestedLists(patchList, at);
            original.set(field, reorder(merged, order, serverOrder, mergeKey, at));
            done.add(field);
        }
        return done;
    }

    /**
     * Every item the patch sets must appear in {@code $setElementOrder}, in the same relative order;
     * otherwise the client computed the two from different configurations.
     */
    private static void checkOrderMatchesPatch(ArrayNode patchList, ArrayNode order, String mergeKey, String path) {
        if (patchList == null || patchList.isEmpty() || order.isEmpty()) return;
        List<JsonNode> items = new ArrayList<>();
        for (JsonNode item : patchList) {
            if (mergeKey != null) {
                if (!item.isObject()) {
                    throw PatchException.badRequest(path, "list items merged by \"" + mergeKey + "\" must be objects, not " + Trees.kind(item));
                }
                if (isText(item.get(PATCH), "delete")) continue;
            }
            items.add(item);
        }
        int p = 0;
        int o = 0;
        while (p < items.size() && o < order.size()) {
            JsonNode item = items.get(p);
            if (item.isObject() && item.has(PATCH)) {
                p++;
                continue;
            }
            boolean same = mergeKey == null
                    ? sameKey(item, order.get(o))
                    : sameKey(keyOf(item, mergeKey, path, true), keyOf(order.get(o), mergeKey, path, true));
            if (same) p++;
            o++;
        }
        if (p < items.size()) {
            throw PatchException.badRequest(path, "invalid patch format of setElementOrder list: the patch list "
                    + Trees.brief(patchList) + " is not in the order of " + SET_ORDER + " " + Trees.brief(order));
        }
    }

    /**
     * Orders a merged list: items named in {@code order} follow it; the others (known only to the
     * server) keep their relative order and are slotted in by their positions in {@code serverOrder}.
     */
    private static ArrayNode reorder(ArrayNode merged, ArrayNode order, List<JsonNode> serverOrder, String mergeKey, String path) {
        boolean byKey = false;
        for (JsonNode item : merged) byKey |= item.isObject();
        if (byKey && mergeKey == null) {
            throw PatchException.badRequest(path, SET_ORDER + " can only order a list of objects that has a merge key");
        }
        String key = byKey ? mergeKey : null;
        if (key != null) {
            for (JsonNode o : order) keyOf(o, key, path, true);
        }
        List<JsonNode> named = new ArrayList<>();
        List<JsonNode> serverOnly = new ArrayList<>();
        for (JsonNode item : merged) {
            (indexOf(order, item, key, path) >= 0 ? named : serverOnly).add(item);
        }
        return normalize(named, serverOnly, items(order), serverOrder, key, path);
    }

    /** The result of merging two lists, and the order that positions server-only items afterwards. */
    private record ListMerge(ArrayNode list, List<JsonNode> serverOrder) {}

    /** Merges {@code patch} into the list {@code original}, which this call owns. */
    private static ListMerge mergeList(ArrayNode original, ArrayNode patch, PatchMeta meta, boolean deleteList, String path) {
        if (original.isEmpty() && patch.isEmpty()) return new ListMerge(original, List.of());
        Shape shape = elementShape(original, patch, path);
        if (shape != Shape.OBJECT) {
            if (deleteList) {
                ArrayNode kept = Json.MAPPER.createArrayNode();
                for (JsonNode item : original) {
                    if (indexOf(patch, item, null, path) < 0) kept.add(item);
                }
                return new ListMerge(kept, items(kept));
            }
            List<JsonNode> all = new ArrayList<>();
            for (JsonNode item : original) addUnique(all, item);
            for (JsonNode item : patch) addUnique(all, item.deepCopy());
            List<JsonNode> named = new ArrayList<>();
            List<JsonNode> serverOnly = new ArrayList<>();
            for (JsonNode item : all) (indexOf(patch, item, null, path) >= 0 ? named : serverOnly).add(item);
            return new ListMerge(normalize(named, serverOnly, items(patch), items(original), null, path), items(original));
        }
        if (deleteList) {
            throw PatchException.badRequest(path, DELETE_PRIMITIVES + " only applies to lists of primitives, but this list holds objects");
        }
        String mergeKey = blankToNull(meta.mergeKey());
        if (mergeKey == null) {
            throw PatchException.invalid(path, "cannot merge a list of objects that has no merge key");
        }

        List<JsonNode> survivors = items(original);
        List<ObjectNode> plain = new ArrayList<>();
        boolean replace = false;
        for (JsonNode node : patch) {
            ObjectNode item = (ObjectNode) node;
            JsonNode directive = item.get(PATCH);
            if (directive == null) {
                plain.add(item);
            } else if (isText(directive, "delete")) {
                JsonNode doomed = keyOf(item, mergeKey, path, true);
                survivors.removeIf(s -> sameKey(s.get(mergeKey), doomed));
            } else if (isText(directive, "replace")) {
                replace = true;
            } else if (isText(directive, "merge")) {
                throw PatchException.badRequest(path, "merging lists cannot yet be specified in the patch");
            } else {
                throw PatchException.badRequest(path, "unknown patch type " + Trees.brief(directive)
                        + " in " + PATCH + "; expected \"replace\" or \"delete\"");
            }
        }
        if (replace) {
            ArrayNode replaced = Json.MAPPER.createArrayNode();
            for (ObjectNode item : plain) {
                JsonNode key = keyOf(item, mergeKey, path, true);
                replaced.add(mergeMap(null, item, meta, itemPath(path, mergeKey, key)));
            }
            return new ListMerge(replaced, survivors);
        }

        List<JsonNode> merged = new ArrayList<>(survivors);
        List<JsonNode> added = new ArrayList<>();
        for (ObjectNode item : plain) {
            JsonNode key = keyOf(item, mergeKey, path, true);
            String at = itemPath(path, mergeKey, key);
            int found = -1;
            for (int i = 0; i < merged.size() && found < 0; i++) {
                if (sameKey(merged.get(i).get(mergeKey), key)) found = i;
            }
            if (found >= 0) {
                merged.set(found, mergeMap((ObjectNode) merged.get(found), item, meta, at));
            } else {
                ObjectNode fresh = mergeMap(null, item, meta, at);
                merged.add(fresh);
                added.add(fresh);
            }
        }
        List<JsonNode> named = new ArrayList<>();
        List<JsonNode> serverOnly = new ArrayList<>();
        for (JsonNode item : merged) {
            keyOf(item, mergeKey, path, false);
            (indexOf(patch, item, mergeKey, path) >= 0 ? named : serverOnly).add(item);
        }
        ArrayNode result = normalize(named, serverOnly, new ArrayList<>(plain), survivors, mergeKey, path);

        // Kubernetes edits the live list in place: deletions shift it left and additions land in the freed
        // tail, and that edited list is what a surrounding $setElementOrder then uses to place server-only
        // items. Reproducing it keeps our order identical to kubectl's expectations.
        List<JsonNode> serverOrder = new ArrayList<>(survivors);
        serverOrder.addAll(added);
        return new ListMerge(result, serverOrder.subList(0, Math.min(serverOrder.size(), original.size())));
    }

    /**
     * Kubernetes' order normalisation: patch items sorted by {@code patchOrder}, server-only items by
     * {@code serverOrder}, then interleaved. A server-only item goes before a patch item only when both
     * are in {@code serverOrder} and it comes first there; so items the server never had go as early as
     * the patch order allows.
     */
    private static ArrayNode normalize(List<JsonNode> named, List<JsonNode> serverOnly, List<JsonNode> patchOrder,
                                       List<JsonNode> serverOrder, String mergeKey, String path) {
        List<JsonNode> right = sortBy(named, patchOrder, mergeKey, path);
        List<JsonNode> left = sortBy(serverOnly, serverOrder, mergeKey, path);
        ArrayNode out = Json.MAPPER.createArrayNode();
        int i = 0;
        int j = 0;
        while (i < left.size() || j < right.size()) {
            if (j >= right.size()) {
                out.add(left.get(i++));
            } else if (i >= left.size()) {
                out.add(right.get(j++));
            } else {
                int li = indexOf(serverOrder, left.get(i), mergeKey, path);
                int ri = indexOf(serverOrder, right.get(j), mergeKey, path);
                if (li >= 0 && ri >= 0 && li < ri) {
                    out.add(left.get(i++));
                } else {
                    out.add(right.get(j++));
                }
            }
        }
        return out;
    }

    /** Stable sort by position in {@code order}; items missing from it go last, in their own order. */
    private static List<JsonNode> sortBy(List<JsonNode> items, List<JsonNode> order, String mergeKey, String path) {
        record Ranked(JsonNode item, int rank) {}
        List<Ranked> ranked = new ArrayList<>();
        for (JsonNode item : items) {
            int at = indexOf(order, item, mergeKey, path);
            ranked.add(new Ranked(item, at < 0 ? Integer.MAX_VALUE : at));
        }
        ranked.sort(Comparator.comparingInt(Ranked::rank));
        return ranked.stream().map(Ranked::item).toList();
    }

    private static int indexOf(Iterable<JsonNode> list, JsonNode item, String mergeKey, String path) {
        JsonNode wanted = mergeKey == null ? item : item.get(mergeKey);
        int i = 0;
        for (JsonNode candidate : list) {
            JsonNode value = mergeKey == null ? candidate : candidate.get(mergeKey);
            if (sameKey(value, wanted)) return i;
            i++;
        }
        return -1;
    }

    /** A value the object did not have, with its directives interpreted; null when nothing remains. */
    private static JsonNode fresh(JsonNode value, PatchMeta meta, String path) {
        if (value instanceof ObjectNode map) {
            JsonNode directive = map.get(PATCH);
            if (isText(directive, "delete")) return null;
            return mergeMap(null, map, meta, path);
        }
        if (value instanceof ArrayNode list) return freshList(list, meta, path);
        return value.deepCopy();
    }

    private static ArrayNode freshList(ArrayNode list, PatchMeta meta, String path) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        int i = 0;
        for (JsonNode item : list) {
            String at = path + "[" + i++ + "]";
            if (item instanceof ObjectNode map && map.has(PATCH)) {
                JsonNode directive = map.get(PATCH);
                if (!isText(directive, "delete") && !isText(directive, "replace")) {
                    throw PatchException.badRequest(at, "unknown patch type " + Trees.brief(directive)
                            + " in " + PATCH + "; expected \"replace\" or \"delete\"");
                }
                // Deleting from, or replacing, a list the object does not have leaves just the plain items.
                continue;
            }
            out.add(item.isNull() ? item : fresh(item, meta, at));
        }
        return out;
    }

    private static void putFresh(ObjectNode target, String key, JsonNode value, PatchMeta meta, String path) {
        JsonNode fresh = fresh(value, meta, path);
        if (fresh == null) {
            target.remove(key);
        } else {
            target.set(key, fresh);
        }
    }

    private enum Shape { OBJECT, LIST, SCALAR }

    private static Shape shape(JsonNode n) {
        return n.isObject() ? Shape.OBJECT : n.isArray() ? Shape.LIST : Shape.SCALAR;
    }

    /** The one element type a mergeable list may hold; lists of lists cannot be merged at all. */
    private static Shape elementShape(ArrayNode original, ArrayNode patch, String path) {
        checkNoNestedLists(original, path);
        checkNoNestedLists(patch, path);
        String patchType = null;
        for (JsonNode item : patch) {
            String t = Trees.kind(item);
            if (patchType == null) patchType = t;
            else if (!patchType.equals(t)) {
                throw PatchException.badRequest(path, "list element types are not identical: the patch mixes "
                        + patchType + " and " + t);
            }
        }
        String originalType = null;
        for (JsonNode item : original) {
            String t = Trees.kind(item);
            if (originalType == null) originalType = t;
            if (patchType != null && !patchType.equals(t)) {
                throw PatchException.invalid(path, "list element types are not identical: the patch has "
                        + patchType + " where the object has " + t);
            }
        }
        JsonNode sample = !patch.isEmpty() ? patch.get(0) : original.get(0);
        return shape(sample);
    }

    private static void checkNoNestedLists(ArrayNode list, String path) {
        if (list == null) return;
        for (JsonNode item : list) {
            if (item.isArray()) throw PatchException.invalid(path, "lists of lists are not supported");
        }
    }

    /**
     * The merge key value of a list item; a missing key is the patch's fault when the item came from the
     * patch (400) and the object's otherwise (422).
     */
    private static JsonNode keyOf(JsonNode item, String mergeKey, String path, boolean fromPatch) {
        JsonNode key = item.isObject() ? item.get(mergeKey) : null;
        if (key == null) {
            String detail = (item.isObject() ? "map " : Trees.kind(item) + " ") + Trees.brief(item)
                    + " does not contain declared merge key: " + mergeKey;
            throw fromPatch ? PatchException.badRequest(path, detail) : PatchException.invalid(path, detail);
        }
        return key;
    }

    /** Equality of merge keys and primitive list items: numbers by value, everything else structurally. */
    private static boolean sameKey(JsonNode a, JsonNode b) {
        if (a == null || b == null) return false;
        return Trees.equal(a, b);
    }

    private static void addUnique(List<JsonNode> list, JsonNode item) {
        for (JsonNode existing : list) {
            if (sameKey(existing, item)) return;
        }
        list.add(item);
    }

    private static List<JsonNode> items(ArrayNode list) {
        List<JsonNode> out = new ArrayList<>(list.size());
        list.forEach(out::add);
        return out;
    }

    private static String directiveField(String key, String prefix, String path) {
        if (!key.startsWith(prefix + "/") || key.length() == prefix.length() + 1) {
            String what = prefix.equals(SET_ORDER) ? "setElementOrder list" : "primitive list";
            throw PatchException.badRequest(child(path, key), "invalid patch format of " + what
                    + ": expected \"" + prefix + "/<field>\"");
        }
        return key.substring(prefix.length() + 1);
    }

    private static boolean isText(JsonNode n, String text) {
        return n != null && n.isTextual() && n.asText().equals(text);
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String itemPath(String path, String mergeKey, JsonNode key) {
        return path + "[" + mergeKey + "=" + (key.isTextual() ? key.asText() : Json.string(key)) + "]";
    }
}
