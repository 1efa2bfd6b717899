package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.apply.ApplyConflictException;
import io.hypernetes.api.apply.FieldOwnership;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.api.schema.SchemaRegistry;
import io.hypernetes.api.validation.FieldError;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.apiserver.authz.Access;
import io.hypernetes.apiserver.authz.NodeRestriction;
import io.hypernetes.apiserver.authz.Tenancy;
import io.hypernetes.store.CompactedException;
import io.hypernetes.store.FutureRevisionException;
import io.hypernetes.store.KeyExistsException;
import io.hypernetes.store.KeyNotFoundException;
import io.hypernetes.store.KeyValue;
import io.hypernetes.store.RangeResult;
import io.hypernetes.store.RevisionMismatchException;
import io.hypernetes.store.Store;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The generic registry of one resource: Kubernetes' object semantics on top of a {@link Store}.
 *
 * <p>Objects are stored as JSON under {@code /registry/<resource>/<namespace>/<name>} (cluster-scoped kinds
 * without the namespace), without {@code metadata.resourceVersion}: the resourceVersion is the key's
 * mod revision, filled in on every read, so it can never disagree with the store.
 *
 * <p>Every write goes through the same steps: server-set metadata, the kind's {@link Strategy}, defaulting,
 * validation, then a conditional store write. A rejected write changes nothing.
 *
 * <p>Every write also records who owns which fields ({@code metadata.managedFields}, see {@link FieldOwnership}):
 * writes name their field manager, and a server-side apply ({@link #apply}) merges by those records.
 */
public final class ResourceStore {
    private static final String GENERATE_CHARS = "bcdfghjklmnpqrstvwxz2456789";
    private static final int GENERATE_ATTEMPTS = 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ResourceType type;
    private final Store store;
    private final ObjectRules rules;
    private final Clock clock;
    private final Strategy strategy;
    private final Registry registry;
    private final FieldOwnership ownership;

    /** The field manager of writes the server makes on its own behalf (the system namespaces). */
    public static final String SERVER_MANAGER = "hypernetes-apiserver";

    ResourceStore(ResourceType type, Store store, ObjectRules rules, Clock clock, Registry registry) {
        this.type = type;
        this.store = store;
        this.rules = rules;
        this.clock = clock;
        this.registry = registry;
        this.strategy = Strategy.of(type);
        this.ownership = FieldOwnership.of(SchemaRegistry.core(), type.schema());
    }

    public ResourceType type() {
        return type;
    }

    // ---- keys and encoding

    String key(String namespace, String name) {
        return type.namespaced()
                ? "/registry/" + type.plural() + "/" + namespace + "/" + name
                : "/registry/" + type.plural() + "/" + name;
    }

    /** The key prefix of a namespace's objects, or of all objects when {@code namespace} is null. */
    String prefix(String namespace) {
        return namespace == null || !type.namespaced()
                ? "/registry/" + type.plural() + "/"
                : "/registry/" + type.plural() + "/" + namespace + "/";
    }

    public ObjectNode decode(KeyValue kv) {
        return decode(kv.value(), kv.modRevision());
    }

    public static ObjectNode decode(byte[] value, long revision) {
        try {
            ObjectNode obj = (ObjectNode) Json.parse(value);
            Meta.metadata(obj).put("resourceVersion", Long.toString(revision));
            return obj;
        } catch (IOException | ClassCastException e) {
            throw ApiException.internal("stored object is corrupt: " + e.getMessage());
        }
    }

    private static byte[] encode(ObjectNode obj) {
        ObjectNode copy = obj.deepCopy();
        Meta.metadata(copy).remove("resourceVersion");
        return Json.bytes(copy);
    }

    // ---- reads

    public ObjectNode get(String namespace, String name) {
        return find(namespace, name).orElseThrow(() -> ApiException.notFound(type, name));
    }

    /**
     * The object's stored JSON with its resourceVersion, without decoding it (see {@link StoredJson}) when the
     * request sees everything; a restricted request decodes it to check that it may.
     */
    public byte[] getJson(String namespace, String name) {
        KeyValue kv = visible(store.get(key(namespace, name))).orElseThrow(() -> ApiException.notFound(type, name));
        return StoredJson.withResourceVersion(kv.value(), kv.modRevision());
    }

    /** The object, if it exists and the request's {@link Access} sees it. */
    public Optional<ObjectNode> find(String namespace, String name) {
        return store.get(key(namespace, name)).map(this::decode).filter(this::sees);
    }

    /**
     * Whether the name is taken by an object this request does not see: a create-or-update then stops at the
     * create's AlreadyExists (all a cluster-wide name can hide) instead of retrying an update it may not make.
     */
    private boolean existsUnseen(String namespace, String name) {
        return store.get(key(namespace, name)).isPresent() && find(namespace, name).isEmpty();
    }

    private boolean sees(JsonNode obj) {
        return Access.current().sees(type, obj);
    }

    private Optional<KeyValue> visible(Optional<KeyValue> kv) {
        Access access = Access.current();
        return access.unrestricted() ? kv : kv.filter(k -> access.sees(type, decode(k)));
    }

    /** The request's visibility as a predicate on objects, null when it sees everything (what watches filter by). */
    public Predicate<JsonNode> visibility() {
        Access access = Access.current();
        return access.unrestricted() ? null : obj -> access.sees(type, obj);
    }

    /** One page of a list. {@code continueToken} is what the previous page returned (null for the first). */
    public record Page<T>(List<T> items, long revision, String continueToken, Long remaining) {}

    /** One page of the objects that pass {@code filter} (null for all) and that the request sees. */
    public Page<ObjectNode> list(String namespace, Predicate<JsonNode> filter, int limit, String continueToken, long atRevision) {
        Predicate<JsonNode> all = both(filter, visibility());
        byte[] marker = Access.current().storedMarker(type);
        return scan(namespace, limit, continueToken, atRevision, all == null, kv -> {
            if (marker != null && !Tenancy.contains(kv.value(), marker)) return null;
            ObjectNode obj = decode(kv);
            return all == null || all.test(obj) ? obj : null;
        });
    }

    private static Predicate<JsonNode> both(Predicate<JsonNode> a, Predicate<JsonNode> b) {
        return a == null ? b : b == null ? a : a.and(b);
    }

    /**
     * All objects of a page as their stored JSON with the resourceVersion filled in, without decoding them: the
     * fast path for lists without selectors answered in JSON. A request that does not see everything pays a
     * decode per object to be filtered.
     */
    public Page<byte[]> listJson(String namespace, int limit, String continueToken, long atRevision) {
        Predicate<JsonNode> visible = visibility();
        byte[] marker = Access.current().storedMarker(type);
        return scan(namespace, limit, continueToken, atRevision, visible == null, kv ->
                visible == null || (marker == null || Tenancy.contains(kv.value(), marker)) && visible.test(decode(kv))
                        ? StoredJson.withResourceVersion(kv.value(), kv.modRevision()) : null);
    }

    /** Pages through the keys of a namespace (or all) at one revision; {@code item} returns null to leave one out. */
    private <T> Page<T> scan(String namespace, int limit, String continueToken, long atRevision, boolean unfiltered,
            Function<KeyValue, T> item) {
        String prefix = prefix(namespace);
        String end = Store.prefixEnd(prefix);
        String from = prefix;
        long revision = atRevision;
        if (continueToken != null && !continueToken.isEmpty()) {
            Continue c = Continue.parse(continueToken, prefix);
            from = c.start();
            revision = c.revision();
        }
        List<T> items = new ArrayList<>();
        int chunk = limit <= 0 ? 0 : unfiltered ? limit : Math.max(limit, 500);
        Long remaining = null;
        String next = null;
        try {
            scan:
            while (true) {
                RangeResult r = store.range(from, end, revision, chunk);
                revision = r.revision();
                List<KeyValue> kvs = r.kvs();
                for (int i = 0; i < kvs.size(); i++) {
                    T t = item.apply(kvs.get(i));
                    if (t == null) continue;
                    items.add(t);
                    if (limit > 0 && items.size() == limit) {
                        if (i < kvs.size() - 1 || r.more()) {
                            next = new Continue(revision, kvs.get(i).key() + "\0").encode(prefix);
                            if (unfiltered) remaining = r.count() - (i + 1);
                        }
                        break scan;
                    }
                }
                if (!r.more() || kvs.isEmpty()) break;
                from = kvs.getLast().key() + "\0";
            }
        } catch (CompactedException e) {
            if (continueToken != null) {
                throw ApiException.gone("The provided continue parameter is too old to display a consistent list result. "
                        + "You can start a new list without the continue parameter.");
            }
            throw ApiException.gone("too old resource version: " + atRevision + " (" + e.compactedRevision() + ")");
        } catch (FutureRevisionException e) {
            throw ApiException.timeout("Too large resource version: " + atRevision + ", current: " + store.revision());
        }
        return new Page<>(items, revision, next, remaining);
    }

    /** The continue token: the revision of the first page and the key to start from, opaque to clients. */
    record Continue(long revision, String start) {
        String encode(String prefix) {
            ObjectNode o = Json.object().put("v", "meta.k8s.io/v1").put("rv", revision).put("start", start.substring(prefix.length()));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(Json.bytes(o));
        }

        static Continue parse(String token, String prefix) {
            try {
                JsonNode o = Json.parse(Base64.getUrlDecoder().decode(token));
                String start = o.path("start").asText(null);
                long rv = o.path("rv").asLong(0);
                if (!"meta.k8s.io/v1".equals(o.path("v").asText()) || start == null || rv <= 0 || start.contains("/..")) {
                    throw new IllegalArgumentException();
                }
                return new Continue(rv, prefix + start);
            } catch (IOException | IllegalArgumentException e) {
                throw ApiException.badRequest("continue key is not valid: " + token);
            }
        }
    }

    // ---- create

    /**
     * Creates an object on behalf of {@code fieldManager}, who then owns every field the object sets (defaults
     * included, as in Kubernetes, but not what the server fills in at creation such as a pod's phase). A null
     * manager means the object already carries its managed fields (a server-side apply that creates).
     */
    public ObjectNode create(String namespace, ObjectNode obj, boolean dryRun, String fieldManager) {
        ObjectNode meta = Meta.metadata(obj);
        if (type.namespaced()) {
            String ns = Meta.namespace(obj);
            if (ns.isEmpty()) meta.put("namespace", namespace);
            else if (!ns.equals(namespace)) {
                throw ApiException.badRequest("the namespace of the provided object does not match the namespace sent on the request");
            }
        } else {
            meta.remove("namespace");
        }
        boolean generated = Meta.name(obj).isEmpty() && !Meta.text(obj, "generateName").isEmpty();
        Instant now = clock.instant();
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("creationTimestamp", Meta.timestamp(now));
        meta.remove("resourceVersion");
        meta.remove("deletionTimestamp");
        meta.remove("deletionGracePeriodSeconds");
        meta.remove("selfLink");
        if (hasSpec()) meta.put("generation", 1);
        else meta.remove("generation");
        strategy.prepareForCreate(obj);
        ObjectNode namespaceObject = type.namespaced() ? registry.namespaceAcceptingContent(type, namespace, Meta.name(obj)) : null;
        rules.applyDefaults(type, obj);
        if (fieldManager != null) recordOwnership(null, obj, fieldManager, Part.MAIN, now);
        // after ownership: the tenant is the server's to set, not a field the creator manages
        registry.assignTenant(type, obj, namespaceObject);
        NodeRestriction.check(type, obj);
        rules.applyCreateDefaults(type, obj);

        for (int attempt = 0; ; attempt++) {
            if (generated) meta.put("name", Meta.text(obj, "generateName") + randomSuffix());
            List<FieldError> errors = rules.validateCreate(type, obj);
            if (!errors.isEmpty()) throw ApiException.invalid(type, Meta.name(obj), errors);
            strategy.admit(obj, com.fasterxml.jackson.databind.node.MissingNode.getInstance(), store);
            if (dryRun) {
                // taken is taken, whoever holds the name: the dry run answers what the create would
                if (store.get(key(namespace, Meta.name(obj))).isPresent()) throw ApiException.alreadyExists(type, Meta.name(obj));
                registry.quota().admit(type, obj).run();
                return obj;
            }
            // the tenant's quota holds its lock until the write is done; addresses and ports the object takes are
            // reserved before it is written and given back if it is not
            Runnable admitted = registry.quota().admit(type, obj);
            Runnable unreserve = () -> {};
            try {
                unreserve = strategy.reserve(obj, store);
                KeyValue kv = store.create(key(namespace, Meta.name(obj)), encode(obj));
                meta.put("resourceVersion", Long.toString(kv.modRevision()));
                return obj;
            } catch (KeyExistsException e) {
                unreserve.run();
                if (!generated || attempt + 1 >= GENERATE_ATTEMPTS) throw ApiException.alreadyExists(type, Meta.name(obj));
            } catch (RuntimeException e) {
                unreserve.run();
                throw e;
            } finally {
                admitted.run();
            }
        }
    }

    /** Whether objects of the kind track metadata.generation (Leases, renewed every few seconds, do not in Kubernetes). */
    private boolean hasSpec() {
        return type != ResourceTypes.CONFIGMAPS && type != ResourceTypes.SECRETS && type != ResourceTypes.EVENTS
                && type != ResourceTypes.ENDPOINTS && type != ResourceTypes.LEASES;
    }

    private static String randomSuffix() {
        StringBuilder b = new StringBuilder(5);
        for (int i = 0; i < 5; i++) b.append(GENERATE_CHARS.charAt(RANDOM.nextInt(GENERATE_CHARS.length())));
        return b.toString();
    }

    // ---- update

    /**
     * Which part of an object an update may change. {@code BINDING} is the pods/binding subresource: it sets
     * {@code spec.nodeName} and the PodScheduled condition in one write and, as in Kubernetes, is not held to
     * the pod update rules (which forbid changing the spec). {@code SCALE} is the scale subresource of Deployments
     * and ReplicaSets: it changes {@code spec.replicas} and nothing else.
     */
    public enum Part { MAIN, STATUS, FINALIZE, BINDING, SCALE }

    /** What a PUT did: the object as written (or as it would be, under dry run) and whether the PUT created it. */
    public record Updated(ObjectNode object, boolean created) {}

    /**
     * Replaces an object (PUT) on behalf of {@code fieldManager}. The body's resourceVersion, when set, must be the
     * current one. For kinds whose {@link Strategy#allowCreateOnUpdate()} says so, a PUT of an object that does not
     * exist creates it, as Kubernetes' registry does.
     */
    public Updated update(String namespace, String name, ObjectNode obj, Part part, boolean dryRun, String fieldManager) {
        String bodyName = Meta.name(obj);
        if (!bodyName.isEmpty() && !bodyName.equals(name)) {
            throw ApiException.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + name + ")");
        }
        if (type.namespaced() && !Meta.namespace(obj).isEmpty() && !Meta.namespace(obj).equals(namespace)) {
            throw ApiException.badRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        String rv = Meta.resourceVersion(obj);
        boolean mayCreate = part == Part.MAIN && strategy.allowCreateOnUpdate();
        while (true) {
            if (mayCreate && find(namespace, name).isEmpty()) {
                // the client holds a version of an object that is not there (any more): a stale read, as for updates
                if (!rv.isEmpty()) {
                    throw ApiException.conflict(type, name, "the object has been modified; please apply your changes to the latest version and try again");
                }
                String uid = Meta.uid(obj);
                if (!uid.isEmpty()) {
                    throw ApiException.conflict(type, name, "Precondition failed: UID in precondition: " + uid + ", UID in object meta: ");
                }
                ObjectNode fresh = obj.deepCopy();
                Meta.metadata(fresh).put("name", name);
                try {
                    return new Updated(create(namespace, fresh, dryRun, fieldManager), true);
                } catch (ApiException e) {
                    if (!"AlreadyExists".equals(e.reason()) || existsUnseen(namespace, name)) throw e;
                    continue; // created by someone else in between: update theirs
                }
            }
            try {
                return new Updated(mutate(namespace, name, rv.isEmpty() ? null : rv, current -> obj.deepCopy(), part, dryRun, fieldManager), false);
            } catch (ApiException e) {
                // deleted in between: create it after all
                if (!mayCreate || e.code() != 404 || !"NotFound".equals(e.reason()) || find(namespace, name).isPresent()) throw e;
            }
        }
    }

    /**
     * Read-modify-write with optimistic concurrency: reads the current object, applies {@code change}, and writes
     * if nobody wrote in between, retrying otherwise. With {@code requiredVersion} set, a concurrent write is a
     * 409 Conflict instead of a retry (the client asked for exactly that version). {@code fieldManager} takes the
     * fields the change sets; null when {@code change} computes the managed fields itself (apply).
     */
    public ObjectNode mutate(String namespace, String name, String requiredVersion, UnaryOperator<ObjectNode> change,
            Part part, boolean dryRun, String fieldManager) {
        String key = key(namespace, name);
        while (true) {
            KeyValue kv = store.get(key).orElseThrow(() -> ApiException.notFound(type, name));
            ObjectNode old = decode(kv);
            if (!sees(old)) throw ApiException.notFound(type, name);
            NodeRestriction.check(type, old);
            if (requiredVersion != null && !requiredVersion.equals(Long.toString(kv.modRevision()))) {
                throw ApiException.conflict(type, name, "the object has been modified; please apply your changes to the latest version and try again");
            }
            ObjectNode updated = change.apply(old.deepCopy());
            registry.keepTenant(type, updated, old);
            String newRv = Meta.resourceVersion(updated);
            if (requiredVersion == null && !newRv.isEmpty() && !newRv.equals(Long.toString(kv.modRevision()))) {
                throw ApiException.conflict(type, name, "the object has been modified; please apply your changes to the latest version and try again");
            }
            ObjectNode next = prepareUpdate(updated, old, part, fieldManager);
            if (next.equals(old)) return old;
            boolean finished = Meta.deleting(next) && !Meta.hasFinalizers(next) && !pendingSpecFinalizers(next)
                    && next.path("metadata").path("deletionGracePeriodSeconds").asLong(0) == 0;
            if (!finished) strategy.admit(next, old, store);
            if (dryRun) return next;
            // what the update newly takes is reserved before the write and given back if the write does not happen
            Runnable unreserve = finished ? () -> {} : strategy.reserveUpdate(next, old, store);
            try {
                if (finished) {
                    Store.Deleted d = store.delete(key, kv.modRevision());
                    strategy.release(old, store);
                    Meta.metadata(next).put("resourceVersion", Long.toString(d.revision()));
                } else {
                    KeyValue written = store.update(key, encode(next), kv.modRevision());
                    strategy.releaseUpdate(next, old, store);
                    Meta.metadata(next).put("resourceVersion", Long.toString(written.modRevision()));
                }
                return next;
            } catch (RevisionMismatchException | KeyNotFoundException e) {
                unreserve.run();
                if (requiredVersion != null) {
                    throw ApiException.conflict(type, name, "the object has been modified; please apply your changes to the latest version and try again");
                }
            } catch (RuntimeException e) {
                unreserve.run();
                throw e;
            }
        }
    }

    /** Sets {@code obj}'s managed fields for a non-apply write by {@code fieldManager}; {@code old} is null on create. */
    private void recordOwnership(ObjectNode old, ObjectNode obj, String fieldManager, Part part, Instant now) {
        String subresource = switch (part) {
            case STATUS -> "status";
            case FINALIZE -> "finalize";
            case SCALE -> "scale";
            default -> "";
        };
        JsonNode managed = ownership.update(old, obj, fieldManager, subresource, now).path("metadata").get("managedFields");
        if (managed == null) Meta.metadata(obj).remove("managedFields");
        else Meta.metadata(obj).set("managedFields", managed);
    }

    // ---- server-side apply

    /** What an apply did: the object as written (or as it would be, under dry run) and whether it was created. */
    public record Applied(ObjectNode object, boolean created) {}

    /**
     * Server-side apply of {@code config} by {@code fieldManager}: creates the object when it does not exist, else
     * merges into the live object by the managed fields (see {@link FieldOwnership#apply}). Conflicts with other
     * managers are a 409 naming each field unless {@code force}.
     */
    public Applied apply(String namespace, String name, ObjectNode config, String fieldManager, boolean force, boolean dryRun) {
        while (true) {
            if (find(namespace, name).isEmpty()) {
                ObjectNode created = applyOwnership(null, config, fieldManager, force);
                try {
                    return new Applied(create(namespace, created, dryRun, null), true);
                } catch (ApiException e) {
                    if (!"AlreadyExists".equals(e.reason()) || existsUnseen(namespace, name)) throw e;
                    continue; // created by someone else in between: apply to theirs
                }
            }
            // what only the status subresource may change is not the applier's to own through the main resource
            ObjectNode own = config.deepCopy();
            if (strategy.hasStatus()) own.remove("status");
            try {
                return new Applied(mutate(namespace, name, null, live -> applyOwnership(live, own, fieldManager, force),
                        Part.MAIN, dryRun, null), false);
            } catch (ApiException e) {
                if (e.code() != 404 || !"NotFound".equals(e.reason()) || find(namespace, name).isPresent()) throw e;
                // deleted in between: create it
            }
        }
    }

    private ObjectNode applyOwnership(ObjectNode live, ObjectNode config, String fieldManager, boolean force) {
        try {
            return ownership.apply(live, config, fieldManager, force, clock.instant());
        } catch (ApplyConflictException e) {
            ObjectNode details = Json.object();
            com.fasterxml.jackson.databind.node.ArrayNode causes = details.putArray("causes");
            for (ApplyConflictException.Conflict c : e.conflicts()) {
                causes.addObject().put("reason", "FieldManagerConflict").put("message", c.message()).put("field", c.path().toString());
            }
            throw new ApiException(409, "Conflict", e.getMessage(), details);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private boolean pendingSpecFinalizers(JsonNode obj) {
        JsonNode f = obj.path("spec").path("finalizers");
        return type == ResourceTypes.NAMESPACES && f.isArray() && !f.isEmpty();
    }

    private ObjectNode prepareUpdate(ObjectNode obj, ObjectNode old, Part part, String fieldManager) {
        if (!obj.has("apiVersion")) obj.put("apiVersion", type.apiVersion());
        if (!obj.has("kind")) obj.put("kind", type.kind());
        ObjectNode meta = Meta.metadata(obj);
        ObjectNode oldMeta = Meta.metadata(old);
        String uid = Meta.uid(obj);
        if (!uid.isEmpty() && !uid.equals(Meta.uid(old))) {
            throw ApiException.conflict(type, Meta.name(old),
                    "Precondition failed: UID in precondition: " + uid + ", UID in object meta: " + Meta.uid(old));
        }
        for (String f : new String[] {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                "deletionGracePeriodSeconds", "generation"}) {
            copyField(oldMeta, meta, f);
        }
        meta.remove("resourceVersion");
        meta.remove("selfLink");
        ObjectNode result;
        switch (part) {
            case MAIN -> {
                if (strategy.hasStatus()) copyField(old, obj, "status");
                strategy.prepareForUpdate(obj, old);
                result = obj;
            }
            case STATUS -> {
                result = old.deepCopy();
                copyField(obj, result, "status");
                Meta.metadata(result).remove("resourceVersion");
            }
            case BINDING -> result = obj;
            case SCALE -> {
                result = old.deepCopy();
                JsonNode replicas = obj.path("spec").get("replicas");
                if (replicas != null) result.withObject("/spec").set("replicas", replicas.deepCopy());
                Meta.metadata(result).remove("resourceVersion");
            }
            case FINALIZE -> {
                result = old.deepCopy();
                ArrayNode fin = obj.path("spec").path("finalizers").isArray()
                        ? (ArrayNode) obj.path("spec").path("finalizers") : Json.MAPPER.createArrayNode();
                ((ObjectNode) result.withObject("/spec")).set("finalizers", fin);
                Meta.metadata(result).remove("resourceVersion");
            }
            default -> throw new IllegalStateException();
        }
        rules.applyDefaults(type, result);
        // a binding is not a spec change the pod's owner made, so it is not a new generation
        if (hasSpec() && part != Part.BINDING && strategy.newGeneration(result, old)) {
            Meta.metadata(result).put("generation", old.path("metadata").path("generation").asLong(0) + 1);
        }
        ObjectNode oldForCompare = old.deepCopy();
        Meta.metadata(oldForCompare).remove("resourceVersion");
        // a binding is the scheduler's storage-level write in Kubernetes and records no owner
        if (fieldManager != null && part != Part.BINDING) recordOwnership(oldForCompare, result, fieldManager, part, clock.instant());
        List<FieldError> errors = part == Part.BINDING ? List.of() : rules.validateUpdate(type, result, oldForCompare);
        if (!errors.isEmpty()) throw ApiException.invalid(type, Meta.name(old), errors);
        if (result.equals(oldForCompare)) return old;
        return result;
    }

    /** Everything but metadata and status: a change here is a new generation. */
    static ObjectNode specOf(ObjectNode obj) {
        ObjectNode s = obj.deepCopy();
        s.remove("metadata");
        s.remove("status");
        return s;
    }

    private static void copyField(ObjectNode from, ObjectNode to, String field) {
        JsonNode v = from.get(field);
        if (v == null) to.remove(field);
        else to.set(field, v.deepCopy());
    }

    // ---- delete

    /**
     * What happens to an object's dependents (objects naming it in their ownerReferences) when it is deleted, as
     * the garbage collector carries it out: Background deletes them after the owner is gone; Foreground keeps the
     * owner (finalizer {@code foregroundDeletion}) until its blocking dependents are gone; Orphan (finalizer
     * {@code orphan}) has their references removed and leaves them.
     */
    public enum Propagation {
        BACKGROUND(null), FOREGROUND("foregroundDeletion"), ORPHAN("orphan");

        final String finalizer;

        Propagation(String finalizer) {
            this.finalizer = finalizer;
        }
    }

    /** The client's {@code DeleteOptions}; {@code propagation} null when the client named none (Background). */
    public record DeleteOptions(Long gracePeriodSeconds, String uid, String resourceVersion, boolean dryRun, Propagation propagation) {}

    /**
     * Puts the garbage collector's finalizer for {@code propagation} on the object and takes the other one off,
     * as Kubernetes does on delete; an explicit Background takes both off. Returns whether the finalizers changed.
     */
    private static boolean propagate(ObjectNode obj, Propagation propagation) {
        if (propagation == null) return false;
        ObjectNode meta = Meta.metadata(obj);
        ArrayNode before = meta.get("finalizers") instanceof ArrayNode a ? a : Json.MAPPER.createArrayNode();
        ArrayNode after = Json.MAPPER.createArrayNode();
        for (JsonNode f : before) {
            boolean gcFinalizer = f.asText().equals(Propagation.FOREGROUND.finalizer) || f.asText().equals(Propagation.ORPHAN.finalizer);
            if (!gcFinalizer || f.asText().equals(propagation.finalizer)) after.add(f);
        }
        if (propagation.finalizer != null && !after.toString().contains("\"" + propagation.finalizer + "\"")) after.add(propagation.finalizer);
        if (after.equals(before)) return false;
        if (after.isEmpty()) meta.remove("finalizers");
        else meta.set("finalizers", after);
        return true;
    }

    /** The object as the delete left it, and whether it is gone (else it waits for its grace period or finalizers). */
    public record Deletion(ObjectNode object, boolean gone) {}

    public Deletion delete(String namespace, String name, DeleteOptions options) {
        String key = key(namespace, name);
        while (true) {
            KeyValue kv = store.get(key).orElseThrow(() -> ApiException.notFound(type, name));
            ObjectNode obj = decode(kv);
            if (!sees(obj)) throw ApiException.notFound(type, name);
            NodeRestriction.check(type, obj);
            if (options.uid() != null && !options.uid().equals(Meta.uid(obj))) {
                throw ApiException.conflict(type, name, "Precondition failed: UID in precondition: " + options.uid()
                        + ", UID in object meta: " + Meta.uid(obj));
            }
            if (options.resourceVersion() != null && !options.resourceVersion().equals(Long.toString(kv.modRevision()))) {
                throw ApiException.conflict(type, name, "Precondition failed: ResourceVersion in precondition: "
                        + options.resourceVersion() + ", ResourceVersion in object meta: " + kv.modRevision());
            }
            if (Meta.deleting(obj) && pendingSpecFinalizers(obj)) {
                // Kubernetes' wording: the namespace controller, not another delete, finishes the job
                throw ApiException.conflict(type, name, "The system is ensuring all content is removed from this namespace.  "
                        + "Upon completion, this namespace will automatically be purged by the system.");
            }
            long grace = strategy.gracePeriod(obj, options.gracePeriodSeconds());
            ObjectNode marked = obj.deepCopy();
            boolean propagationChanged = propagate(marked, options.propagation());
            boolean finalizers = Meta.hasFinalizers(marked) || pendingSpecFinalizers(marked);
            try {
                if (grace == 0 && !finalizers) {
                    if (options.dryRun()) return new Deletion(obj, true);
                    store.delete(key, kv.modRevision());
                    strategy.release(obj, store);
                    return new Deletion(obj, true);
                }
                ObjectNode meta = Meta.metadata(marked);
                Instant now = clock.instant();
                if (!Meta.deleting(obj)) {
                    meta.put("deletionTimestamp", Meta.timestamp(now.plusSeconds(grace)));
                    meta.put("deletionGracePeriodSeconds", grace);
                    if (type == ResourceTypes.NAMESPACES) marked.withObject("/status").put("phase", "Terminating");
                } else {
                    long current = obj.path("metadata").path("deletionGracePeriodSeconds").asLong(0);
                    if (grace >= current && !propagationChanged) return new Deletion(obj, false);
                    // a shorter grace period brings the deletion forward; a new propagation only swaps finalizers
                    if (grace < current) {
                        meta.put("deletionTimestamp", Meta.timestamp(now.plusSeconds(grace)));
                        meta.put("deletionGracePeriodSeconds", grace);
                    }
                }
                if (options.dryRun()) return new Deletion(marked, false);
                meta.remove("resourceVersion");
                KeyValue written = store.update(key, encode(marked), kv.modRevision());
                meta.put("resourceVersion", Long.toString(written.modRevision()));
                return new Deletion(marked, false);
            } catch (RevisionMismatchException | KeyNotFoundException e) {
                // somebody wrote in between: decide again on the new state
            }
        }
    }
}
