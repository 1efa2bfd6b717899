package io.hypernetes.api.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.apply.ManagedFields.Entry;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.schema.SchemaRegistry;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Server-side apply and field ownership for objects of one type: who owns which fields
 * ({@code metadata.managedFields}), how a write changes that, and how an applied configuration merges into a live
 * object. Pure functions over JSON trees; inputs are never modified.
 *
 * <p>Entry points: {@link #update} for every write that is not an apply (create, replace, the three patch types,
 * subresources), {@link #apply} for {@code application/apply-patch+yaml}, {@link #fieldSet} for the fields an object
 * sets. {@link FieldSet} reads and writes {@code FieldsV1}.
 */
public final class FieldOwnership {
    /** kubectl's server-side manager: the one Kubernetes lets take over what client-side apply set. */
    static final String KUBECTL = "kubectl";
    static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

    /** Fields nobody owns: type and identity, and what the server sets. */
    private static final FieldSet NEVER_OWNED = FieldSet.of(
            FieldPath.of("apiVersion"), FieldPath.of("kind"), FieldPath.of("metadata"),
            FieldPath.of("metadata", "name"), FieldPath.of("metadata", "namespace"),
            FieldPath.of("metadata", "creationTimestamp"), FieldPath.of("metadata", "selfLink"),
            FieldPath.of("metadata", "uid"), FieldPath.of("metadata", "clusterName"),
            FieldPath.of("metadata", "generation"), FieldPath.of("metadata", "managedFields"),
            FieldPath.of("metadata", "resourceVersion"));

    private final Type type;

    private FieldOwnership(Type type) {
        this.type = type;
    }

    /** Ownership rules for objects of the named schema definition, e.g. {@code io.k8s.api.core.v1.Pod}. */
    public static FieldOwnership of(SchemaRegistry registry, String definition) {
        return new FieldOwnership(Type.of(registry, definition));
    }

    /**
     * The fields {@code obj} sets, as an applier of it would own them (before the server's own fields are taken
     * out). An item of a keyed list without its keys, or a key given twice, is an {@link IllegalArgumentException}.
     */
    public FieldSet fieldSet(JsonNode obj) {
        return Walks.fieldSet(obj, type);
    }

    // ---- updates

    /**
     * {@code updated} (a copy) with the managed fields a non-apply write leaves: {@code manager} takes every field
     * the write added or changed, from whoever owned it; fields the write removed leave every owner; owners left
     * with nothing are dropped. One manager's updates through one apiVersion and subresource share an entry.
     *
     * <p>As in Kubernetes, the managed fields a client sends are the starting point when they decode (so a client may
     * rewrite them, and {@code []} or {@code [{}]} clears them), else the live object's; a subresource write always
     * starts from the live object's.
     *
     * @param old the live object, or null when {@code updated} is being created
     * @param subresource "" for the main resource
     */
    public ObjectNode update(ObjectNode old, ObjectNode updated, String manager, String subresource, Instant now) {
        ObjectNode result = updated.deepCopy();
        List<Entry> entries = startingEntries(old, updated, subresource);
        ObjectNode before = withZeroValues(old == null ? Json.object() : withoutManagedFields(old));
        Walks.Comparison c = Walks.compare(before, withZeroValues(withoutManagedFields(updated)), type);
        FieldSet taken = c.changed().difference(NEVER_OWNED);
        String apiVersion = updated.path("apiVersion").asText("");
        Entry mine = null;
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            FieldSet left = e.fields().difference(c.removed()).difference(c.changed());
            if (e.operation().equals(ManagedFields.UPDATE) && e.manager().equals(manager)
                    && e.apiVersion().equals(apiVersion) && e.subresource().equals(subresource)) {
                mine = e.withFields(left);
            } else if (!left.isEmpty()) {
                out.add(e.withFields(left));
            }
        }
        if (!taken.isEmpty()) {
            FieldSet fields = mine == null ? taken : mine.fields().union(taken);
            mine = new Entry(manager, ManagedFields.UPDATE, apiVersion, Meta.timestamp(now), subresource, fields);
        }
        if (mine != null && !mine.fields().isEmpty()) out.add(mine);
        setManagedFields(result, out);
        return result;
    }

    private static List<Entry> startingEntries(ObjectNode old, ObjectNode updated, String subresource) {
        JsonNode sent = updated.path("metadata").get("managedFields");
        if (subresource.isEmpty()) {
            if (ManagedFields.isReset(sent)) return List.of();
            try {
                List<Entry> fromClient = ManagedFields.decode(sent);
                if (!fromClient.isEmpty()) return fromClient;
            } catch (IllegalArgumentException ignored) {
                // as Kubernetes: managed fields a client got wrong fall back to the live ones, never fail the write
            }
        }
        return old == null ? List.of() : liveEntries(old);
    }

    private static List<Entry> liveEntries(ObjectNode live) {
        try {
            return ManagedFields.decode(live.path("metadata").get("managedFields"));
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    /**
     * {@code obj} with its missing top-level objects present and empty, as Go serializes the nested structs of a
     * Kubernetes type. Kubernetes diffs a created object against the type's zero value, so a creator owns
     * {@code metadata.labels} but not {@code metadata} or {@code spec} themselves, and a first status write owns
     * {@code status.phase} but not {@code status}.
     */
    private ObjectNode withZeroValues(ObjectNode obj) {
        if (!(type instanceof Type.Struct s)) return obj;
        ObjectNode out = obj;
        for (String name : s.schema().properties().keySet()) {
            if (s.field(name) instanceof Type.Struct && !obj.has(name)) {
                if (out == obj) out = obj.deepCopy();
                out.putObject(name);
            }
        }
        return out;
    }

    // ---- apply

    /**
     * The live object with {@code config} applied by {@code manager}, managed fields included.
     *
     * <ul>
     *   <li>The manager's fields become exactly those {@code config} sets.
     *   <li>Fields it set last time and no longer does are removed from the object, unless another manager owns them
     *       (then it merely lets go).
     *   <li>Changing a field another manager owns is a conflict ({@link ApplyConflictException}) unless
     *       {@code force}, which moves the field to this manager. Setting a field to the value it already has is
     *       no conflict: the managers share it.
     *   <li>For the manager {@code kubectl}, conflicts over fields the object's client-side-apply annotation set to
     *       their current values are taken over silently (when they are the only conflicts; else only the others
     *       are reported), and that annotation is kept in step with {@code config}, so
     *       moving from client-side to server-side apply and back works as in Kubernetes.
     * </ul>
     *
     * @param live the live object, or null to create from {@code config}
     * @throws IllegalArgumentException when {@code config} is not a valid applied configuration (managed fields set,
     *     an item of a keyed list without its keys, a key given twice)
     */
    public ObjectNode apply(ObjectNode live, ObjectNode config, String manager, boolean force, Instant now) {
        if (config.path("metadata").has("managedFields") && !config.path("metadata").get("managedFields").isNull()) {
            throw new IllegalArgumentException("metadata.managedFields must be nil");
        }
        FieldSet applied = Walks.fieldSet(config, type);
        ObjectNode base = live == null ? Json.object() : withoutManagedFields(live);
        List<Entry> entries = live == null ? List.of() : liveEntries(live);

        Entry previous = null;
        List<Entry> others = new ArrayList<>();
        for (Entry e : entries) {
            if (e.operation().equals(ManagedFields.APPLY) && e.manager().equals(manager) && e.subresource().isEmpty()) previous = e;
            else others.add(e);
        }
        FieldSet owned = applied;
        for (Entry e : others) owned = owned.union(e.fields());
        FieldSet released = previous == null ? FieldSet.empty() : previous.fields().difference(owned);

        JsonNode merged = Walks.merge(base, config, type);
        ObjectNode result = (ObjectNode) Walks.prune(merged, type, released, owned);
        Walks.Comparison c = Walks.compare(base, result, type);
        FieldSet changed = c.changed();

        Map<Entry, FieldSet> conflicts = new LinkedHashMap<>();
        for (Entry e : others) {
            FieldSet contested = e.fields().intersection(changed);
            if (!contested.isEmpty()) conflicts.put(e, contested);
        }
        if (!conflicts.isEmpty() && !force) {
            FieldSet allowed = takeableFromClientSideApply(manager, live);
            Map<Entry, FieldSet> refused = new LinkedHashMap<>();
            conflicts.forEach((e, contested) -> {
                FieldSet left = contested.difference(allowed);
                if (!left.isEmpty()) refused.put(e, left);
            });
            if (refused.isEmpty()) return apply(live, config, manager, true, now);
            List<ApplyConflictException.Conflict> list = new ArrayList<>();
            refused.entrySet().stream()
                    .sorted(Map.Entry.comparingByKey(java.util.Comparator.comparing(Entry::display)))
                    .forEach(en -> en.getValue().paths().forEach(p -> list.add(new ApplyConflictException.Conflict(en.getKey().display(), p))));
            throw new ApplyConflictException(list);
        }

        List<Entry> out = new ArrayList<>();
        for (Entry e : others) {
            FieldSet left = e.fields().difference(changed).difference(c.removed());
            if (!left.isEmpty()) out.add(e.withFields(left));
        }
        FieldSet mine = applied.difference(NEVER_OWNED);
        boolean changedObject = !Walks.same(base, result);
        String time = previous == null || changedObject ? Meta.timestamp(now) : previous.time();
        if (!mine.isEmpty()) {
            out.add(new Entry(manager, ManagedFields.APPLY, config.path("apiVersion").asText(""), time, "", mine));
        }
        if (manager.equals(KUBECTL)) keepLastAppliedInStep(result, config);
        setManagedFields(result, out);
        return result;
    }

    /**
     * Kubernetes' upgrade path from client-side apply: kubectl may take fields its last-applied annotation set, as
     * long as they still hold the values the annotation recorded.
     */
    private FieldSet takeableFromClientSideApply(String manager, ObjectNode live) {
        if (!manager.equals(KUBECTL) || live == null) return FieldSet.empty();
        String annotation = live.path("metadata").path("annotations").path(LAST_APPLIED).asText("");
        if (annotation.isEmpty()) return FieldSet.empty();
        try {
            JsonNode lastApplied = Json.parse(annotation.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            if (!lastApplied.path("apiVersion").asText("").equals(live.path("apiVersion").asText(""))) return FieldSet.empty();
            FieldSet recorded = Walks.fieldSet(lastApplied, type);
            Walks.Comparison drift = Walks.compare(lastApplied, withoutManagedFields(live), type);
            return recorded.difference(drift.modified()).difference(drift.added()).difference(drift.removed());
        } catch (IOException | IllegalArgumentException e) {
            return FieldSet.empty();
        }
    }

    private static void keepLastAppliedInStep(ObjectNode result, ObjectNode config) {
        JsonNode annotations = result.path("metadata").path("annotations");
        if (annotations.path(LAST_APPLIED).asText("").isEmpty()) return;
        ObjectNode recorded = config.deepCopy();
        if (recorded.path("metadata").path("annotations") instanceof ObjectNode a) {
            a.remove(LAST_APPLIED);
            if (a.isEmpty()) ((ObjectNode) recorded.get("metadata")).remove("annotations");
        }
        ((ObjectNode) annotations).put(LAST_APPLIED, Json.string(recorded));
    }

    // ---- helpers

    private static ObjectNode withoutManagedFields(ObjectNode obj) {
        if (!obj.path("metadata").has("managedFields")) return obj;
        ObjectNode copy = obj.deepCopy();
        ((ObjectNode) copy.get("metadata")).remove("managedFields");
        return copy;
    }

    private static void setManagedFields(ObjectNode obj, List<Entry> entries) {
        ObjectNode meta = Meta.metadata(obj);
        if (entries.isEmpty()) meta.remove("managedFields");
        else meta.set("managedFields", ManagedFields.encode(entries));
    }
}
