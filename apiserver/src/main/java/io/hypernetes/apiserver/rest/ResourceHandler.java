package io.hypernetes.apiserver.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.LastKeyWins;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.protobuf.Protobuf;
import io.hypernetes.api.protobuf.ProtobufException;
import io.hypernetes.api.patch.JsonMergePatch;
import io.hypernetes.api.patch.JsonPatch;
import io.hypernetes.api.patch.PatchException;
import io.hypernetes.api.patch.StrategicMergePatch;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.schema.FieldValidation;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.http.HttpExchange;
import io.hypernetes.apiserver.registry.Registry;
import io.hypernetes.apiserver.registry.ResourceStore;
import io.hypernetes.apiserver.registry.ResourceStore.Part;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Kubernetes' REST semantics for one request on a resource: create, get, list, watch, update, patch, delete and
 * deletecollection, with dry runs, field validation, selectors, paging, and the status, finalize, binding and scale
 * subresources. Storage semantics live in {@link ResourceStore}; this class speaks HTTP.
 */
final class ResourceHandler {
    private static final Set<String> FIELD_VALIDATION = Set.of("Strict", "Warn", "Ignore");

    private final Registry registry;
    private final ObjectChecks checks;
    private final WatchHandler watches;
    private final Clock clock;

    ResourceHandler(Registry registry, ObjectChecks checks, WatchHandler watches, Clock clock) {
        this.registry = registry;
        this.checks = checks;
        this.watches = watches;
        this.clock = clock;
    }

    /** The verb for metrics and logs, as Kubernetes names them. */
    static String verb(String method, Target t, HttpExchange ex) {
        return switch (method) {
            case "GET" -> watching(t, ex) ? "WATCH" : t.collection() ? "LIST" : "GET";
            case "POST" -> "POST";
            case "PUT" -> "PUT";
            case "PATCH" -> "PATCH";
            case "DELETE" -> t.collection() ? "DELETECOLLECTION" : "DELETE";
            default -> method;
        };
    }

    static boolean watching(Target t, HttpExchange ex) {
        return t.legacyWatch() || ex.queryBool("watch", false);
    }

    /**
     * Checks the query parameters every verb may carry, before anything is read or written: Kubernetes decodes
     * them into its options structs first, so a value of the wrong type is a 400 whatever the verb.
     */
    private static void checkQuery(HttpExchange ex) {
        for (String b : new String[] {"watch", "allowWatchBookmarks", "sendInitialEvents", "orphanDependents"}) ex.queryBool(b, false);
        for (String i : new String[] {"limit", "timeoutSeconds", "gracePeriodSeconds"}) intParam(ex, i, 0);
        parseResourceVersion(ex.query("resourceVersion"));
        String include = ex.query("includeObject");
        if (include != null && !include.isEmpty() && !Set.of("None", "Metadata", "Object").contains(include)) {
            throw ApiException.badRequest("includeObject: Unsupported value: \"" + include
                    + "\": supported values: \"None\", \"Metadata\", \"Object\"");
        }
    }

    void handle(HttpExchange ex, Target t) throws Exception {
        t.checkNames();
        checkQuery(ex);
        ResourceStore store = registry.of(t.type());
        String method = ex.method();
        // an answer the client cannot read is refused before anything is written, as Kubernetes negotiates first
        MediaTypes.negotiate(ex.header("Accept"), !"binding".equals(t.subresource()) && !(t.collection() && method.equals("DELETE")));
        if (t.legacyWatch() && !(method.equals("GET") && (t.collection() || t.subresource() == null))) {
            throw ApiException.methodNotAllowed("watch paths support only GET");
        }
        if (t.collection()) {
            switch (method) {
                case "GET" -> {
                    if (watching(t, ex)) watches.watch(ex, t, store);
                    else list(ex, t, store);
                }
                case "POST" -> create(ex, t, store);
                case "DELETE" -> deleteCollection(ex, t, store);
                default -> throw ApiException.methodNotAllowed(method + " is not supported on a collection");
            }
            return;
        }
        if (t.legacyWatch()) {
            watches.watchOne(ex, t, store);
            return;
        }
        String sub = t.subresource();
        if ("binding".equals(sub)) {
            if (!method.equals("POST")) throw ApiException.methodNotAllowed("binding supports only POST");
            bind(ex, t, store);
            return;
        }
        if ("scale".equals(sub)) {
            scale(ex, t, store);
            return;
        }
        if ("finalize".equals(sub) && !method.equals("PUT")) throw ApiException.methodNotAllowed("finalize supports only PUT");
        Part part = sub == null ? Part.MAIN : sub.equals("status") ? Part.STATUS : Part.FINALIZE;
        switch (method) {
            case "GET" -> {
                if (ex.queryBool("watch", false)) watches.watchOne(ex, t, store);
                else if (plainJson(MediaTypes.negotiate(ex.header("Accept"), true))) {
                    ex.respond(200, MediaTypes.JSON, store.getJson(t.namespace(), t.name()));
                } else {
                    respondObject(ex, 200, t.type(), store.get(t.namespace(), t.name()));
                }
            }
            case "PUT" -> update(ex, t, store, part);
            case "PATCH" -> patch(ex, t, store, part);
            case "DELETE" -> {
                if (sub != null) throw ApiException.methodNotAllowed("DELETE is not supported on " + sub);
                delete(ex, t, store);
            }
            default -> throw ApiException.methodNotAllowed(method + " is not supported");
        }
    }

    // ---- reads

    private void list(HttpExchange ex, Target t, ResourceStore store) {
        Predicate<JsonNode> filter = selector(checks, ex, t);
        int limit = Math.max(0, intParam(ex, "limit", 0));
        String cont = ex.query("continue");
        long at = listRevision(ex, cont);
        MediaTypes.Output out = MediaTypes.negotiate(ex.header("Accept"), true);
        if (filter == null && plainJson(out)) {
            ResourceStore.Page<byte[]> page = store.listJson(t.namespace(), limit, cont, at);
            ex.respond(200, MediaTypes.JSON, jsonList(t.type(), listMeta(page), page.items()));
            return;
        }
        ResourceStore.Page<ObjectNode> page = store.list(t.namespace(), filter, limit, cont, at);
        ObjectNode listMeta = listMeta(page);
        ObjectNode body;
        switch (out.shape()) {
            case TABLE -> {
                body = Tables.table(t.type(), page.items(), ex.query("includeObject"), true);
                body.set("metadata", listMeta);
            }
            case METADATA -> {
                body = Json.object().put("kind", "PartialObjectMetadataList").put("apiVersion", "meta.k8s.io/v1");
                body.set("metadata", listMeta);
                ArrayNode items = body.putArray("items");
                page.items().forEach(o -> items.add(Tables.partialMetadata(o)));
            }
            default -> {
                body = Json.object().put("kind", t.type().listKind()).put("apiVersion", t.type().apiVersion());
                body.set("metadata", listMeta);
                ArrayNode items = body.putArray("items");
                page.items().forEach(items::add);
            }
        }
        respond(ex, 200, out, body);
    }

    /** Whether the client reads plain objects as JSON, which stored bytes answer without a decode. */
    private static boolean plainJson(MediaTypes.Output out) {
        return out.shape() == MediaTypes.Shape.OBJECT && out.contentType().equals(MediaTypes.JSON);
    }

    private static ObjectNode listMeta(ResourceStore.Page<?> page) {
        ObjectNode listMeta = Json.object().put("resourceVersion", Long.toString(page.revision()));
        if (page.continueToken() != null) listMeta.put("continue", page.continueToken());
        if (page.remaining() != null) listMeta.put("remainingItemCount", page.remaining());
        return listMeta;
    }

    /** A list document around items that are already JSON: the same bytes the tree path would produce. */
    private static byte[] jsonList(ResourceType type, ObjectNode listMeta, List<byte[]> items) {
        ObjectNode head = Json.object().put("kind", type.listKind()).put("apiVersion", type.apiVersion());
        head.set("metadata", listMeta);
        byte[] start = Json.bytes(head);
        int size = start.length + 10;
        for (byte[] item : items) size += item.length + 1;
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        out.write(start, 0, start.length - 1); // without the closing brace
        out.writeBytes(",\"items\":[".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) out.write(',');
            out.writeBytes(items.get(i));
        }
        out.writeBytes("]}".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** The revision a list reads at: latest unless the client asked for an exact one. */
    private static long listRevision(HttpExchange ex, String cont) {
        String rv = ex.query("resourceVersion");
        String match = ex.query("resourceVersionMatch");
        if (cont != null && !cont.isEmpty()) {
            if (rv != null && !rv.isEmpty()) throw ApiException.badRequest("specifying resource version is not allowed when using continue");
            return 0;
        }
        if (match != null && !match.isEmpty()) {
            if (rv == null || rv.isEmpty()) throw ApiException.badRequest("resourceVersionMatch is forbidden unless resourceVersion is provided");
            if (!match.equals("Exact") && !match.equals("NotOlderThan")) {
                throw ApiException.badRequest("resourceVersionMatch: Unsupported value: \"" + match + "\": supported values: \"Exact\", \"NotOlderThan\"");
            }
        }
        long v = parseResourceVersion(rv);
        return "Exact".equals(match) ? v : 0;
    }

    static long parseResourceVersion(String rv) {
        if (rv == null || rv.isEmpty()) return 0;
        try {
            long v = Long.parseLong(rv);
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid resource version: " + rv);
        }
    }

    /** The request's label and field selectors as one predicate (null for none); shared with {@link WatchHandler}. */
    static Predicate<JsonNode> selector(ObjectChecks checks, HttpExchange ex, Target t) {
        String label = ex.query("labelSelector");
        String field = ex.query("fieldSelector");
        return checks.selector(t.type(), label == null ? "" : label, field == null ? "" : field);
    }

    // ---- writes

    private void create(HttpExchange ex, Target t, ResourceStore store) {
        boolean dryRun = dryRun(ex);
        ObjectNode obj = decodeObject(ex, t.type());
        if (t.type().namespaced() && t.namespace() == null) {
            throw ApiException.methodNotAllowed("POST to " + t.type().plural() + " needs a namespace in the path");
        }
        ObjectNode created = store.create(t.namespace(), obj, dryRun, fieldManager(ex, "CreateOptions"));
        registry.unknownTenant(t.type(), created).ifPresent(ex::warn);
        respondObject(ex, 201, t.type(), created);
    }

    private void update(HttpExchange ex, Target t, ResourceStore store, Part part) {
        boolean dryRun = dryRun(ex);
        ObjectNode obj = decodeObject(ex, t.type());
        ResourceStore.Updated updated = store.update(t.namespace(), t.name(), obj, part, dryRun, fieldManager(ex, "UpdateOptions"));
        // a PUT that created the object (Endpoints, Events) answers as a create does
        respondObject(ex, updated.created() ? 201 : 200, t.type(), updated.object());
    }

    private void patch(HttpExchange ex, Target t, ResourceStore store, Part part) {
        boolean dryRun = dryRun(ex);
        String type = MediaTypes.contentType(ex.header("Content-Type"));
        String validation = fieldValidation(ex);
        if (type.equals(MediaTypes.APPLY_PATCH)) {
            apply(ex, t, store, part, dryRun, validation);
            return;
        }
        if (!type.equals(MediaTypes.JSON_PATCH) && !type.equals(MediaTypes.MERGE_PATCH) && !type.equals(MediaTypes.STRATEGIC_MERGE_PATCH)) {
            throw new ApiException(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: "
                    + "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, "
                    + "application/apply-patch+yaml", null);
        }
        if (ex.query("force") != null) {
            throw optionsInvalid("PatchOptions", "force", "Forbidden", "force: Forbidden: may not be specified for non-apply patch");
        }
        String manager = fieldManager(ex, "PatchOptions");
        Body patchBody = parseBody(ex.body(), MediaTypes.JSON);
        JsonNode patch = patchBody.tree();
        // Kubernetes decodes the patch itself strictly (Strict and Warn) and names a JSON patch's findings as such
        Strictness fromPatch = new Strictness(patchBody, type.equals(MediaTypes.JSON_PATCH) ? "json patch " : "", true);
        ResourceType rt = t.type();
        ObjectNode result = store.mutate(t.namespace(), t.name(), null, current -> {
            JsonNode patched;
            try {
                patched = switch (type) {
                    case MediaTypes.JSON_PATCH -> JsonPatch.apply(current, patch);
                    case MediaTypes.MERGE_PATCH -> JsonMergePatch.apply(current, patch);
                    default -> StrategicMergePatch.apply(current, patch, checks.patchMeta(rt));
                };
            } catch (PatchException e) {
                throw patchError(e, rt, t.name());
            }
            if (!(patched instanceof ObjectNode o)) throw ApiException.badRequest("the patch did not produce an object");
            checkKind(o, rt);
            checkFields(ex, rt, o, validation, fromPatch);
            return o;
        }, part, dryRun, manager);
        respondObject(ex, 200, rt, result);
    }

    /**
     * Server-side apply: the body (YAML, or JSON as YAML's subset) is the manager's whole intent for the object.
     * Creates it when absent (201), else merges by field ownership (200); conflicts are a 409 unless {@code force}.
     */
    private void apply(HttpExchange ex, Target t, ResourceStore store, Part part, boolean dryRun, String validation) {
        String manager = ex.query("fieldManager");
        if (manager == null || manager.isEmpty()) {
            throw optionsInvalid("PatchOptions", "fieldManager", "FieldValueRequired", "fieldManager: Required value: is required for apply patch");
        }
        manager = fieldManager(ex, "PatchOptions");
        boolean force = ex.queryBool("force", false);
        if (part != Part.MAIN) {
            throw ApiException.methodNotAllowed("server-side apply to the " + t.subresource() + " subresource is not supported; apply to the object itself");
        }
        ResourceType rt = t.type();
        Body parsed = parseBody(ex.body(), MediaTypes.YAML);
        JsonNode body = parsed.tree();
        if (!(body instanceof ObjectNode config)) {
            throw ApiException.badRequest("the body of the request must be a YAML or JSON object, got " + body.getNodeType().name().toLowerCase());
        }
        checkKind(config, rt);
        String bodyName = Meta.name(config);
        if (!bodyName.isEmpty() && !bodyName.equals(t.name())) {
            throw ApiException.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + t.name() + ")");
        }
        if (rt.namespaced() && !Meta.namespace(config).isEmpty() && !Meta.namespace(config).equals(t.namespace())) {
            throw ApiException.badRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        checkFields(ex, rt, config, validation);
        checkApplyDuplicates(ex, parsed, validation);
        Meta.metadata(config).put("name", t.name());
        ResourceStore.Applied applied = store.apply(t.namespace(), t.name(), config, manager, force, dryRun);
        registry.unknownTenant(rt, applied.object()).ifPresent(ex::warn);
        respondObject(ex, applied.created() ? 201 : 200, rt, applied.object());
    }

    /**
     * The field manager of a write: the {@code fieldManager} parameter, else, as Kubernetes does, the User-Agent up
     * to its first "/" (printable characters only, at most 128 bytes).
     */
    private static String fieldManager(HttpExchange ex, String optionsKind) {
        String manager = ex.query("fieldManager");
        if (manager != null && !manager.isEmpty()) {
            if (manager.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > FIELD_MANAGER_MAX) {
                throw optionsInvalid(optionsKind, "fieldManager", "FieldValueTooLong",
                        "fieldManager: Too long: may not be more than " + FIELD_MANAGER_MAX + " bytes");
            }
            for (int i = 0; i < manager.length(); i++) {
                if (!printable(manager.codePointAt(i))) {
                    throw optionsInvalid(optionsKind, "fieldManager[" + i + "]", "FieldValueInvalid",
                            "fieldManager[" + i + "]: Invalid value: \"" + manager + "\": invalid character");
                }
            }
            return manager;
        }
        String agent = ex.header("User-Agent");
        if (agent == null) return "";
        int slash = agent.indexOf('/');
        String prefix = slash < 0 ? agent : agent.substring(0, slash);
        StringBuilder b = new StringBuilder();
        int bytes = 0;
        for (int cp : prefix.codePoints().toArray()) {
            if (!printable(cp)) continue;
            int len = new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (bytes + len > FIELD_MANAGER_MAX) break;
            b.appendCodePoint(cp);
            bytes += len;
        }
        return b.toString();
    }

    private static final int FIELD_MANAGER_MAX = 128;

    /** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
    private static boolean printable(int cp) {
        if (cp == ' ') return true;
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE, Character.UNASSIGNED,
                    Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        };
    }

    /** 422 for bad request options, worded as Kubernetes words them: {@code PatchOptions.meta.k8s.io "" is invalid: ...}. */
    private static ApiException optionsInvalid(String kind, String field, String reason, String message) {
        ObjectNode details = Json.object().put("group", "meta.k8s.io").put("kind", kind);
        details.putArray("causes").addObject().put("reason", reason).put("message", message.substring(message.indexOf(": ") + 2)).put("field", field);
        return new ApiException(422, "Invalid", kind + ".meta.k8s.io \"\" is invalid: " + message, details);
    }

    private static ApiException patchError(PatchException e, ResourceType type, String name) {
        return e.code() == 400
                ? ApiException.badRequest(e.getMessage())
                : new ApiException(e.code(), e.status().reason, e.getMessage(), null);
    }

    private void delete(HttpExchange ex, Target t, ResourceStore store) {
        ResourceStore.Deletion d = store.delete(t.namespace(), t.name(), deleteOptions(ex));
        // Kubernetes answers 200 even when the object stays for its grace period or finalizers (the object shows
        // deletionTimestamp); only a client that asked for cascading with orphanDependents=false gets 202
        respondObject(ex, !d.gone() && orphanDependentsFalse(ex) ? 202 : 200, t.type(), d.object());
    }

    private void deleteCollection(HttpExchange ex, Target t, ResourceStore store) {
        if (t.type().namespaced() && t.namespace() == null) {
            throw ApiException.methodNotAllowed("deletecollection of " + t.type().plural() + " needs a namespace in the path");
        }
        ResourceStore.DeleteOptions options = deleteOptions(ex);
        Predicate<JsonNode> filter = selector(checks, ex, t);
        ResourceStore.Page<ObjectNode> page = store.list(t.namespace(), filter, 0, null, 0);
        ObjectNode body = Json.object().put("kind", t.type().listKind()).put("apiVersion", t.type().apiVersion());
        ArrayNode items = body.putArray("items");
        for (ObjectNode o : page.items()) {
            try {
                items.add(store.delete(t.namespace() == null ? Meta.namespace(o) : t.namespace(), Meta.name(o),
                        new ResourceStore.DeleteOptions(options.gracePeriodSeconds(), null, null, options.dryRun(), options.propagation())).object());
            } catch (ApiException e) {
                if (e.code() != 404) throw e;
            }
        }
        body.putObject("metadata").put("resourceVersion", Long.toString(registry.store().revision()));
        respond(ex, 200, MediaTypes.negotiate(ex.header("Accept"), false), body);
    }

    private static boolean orphanDependentsFalse(HttpExchange ex) {
        if (ex.query("orphanDependents") != null && !ex.queryBool("orphanDependents", false)) return true;
        if (ex.body().length == 0) return false;
        JsonNode orphan = parse(ex.body(), MediaTypes.contentType(ex.header("Content-Type"))).path("orphanDependents");
        return orphan.isBoolean() && !orphan.asBoolean();
    }

    private ResourceStore.DeleteOptions deleteOptions(HttpExchange ex) {
        Long grace = ex.query("gracePeriodSeconds") == null ? null : (long) intParam(ex, "gracePeriodSeconds", 0);
        String uid = null;
        String rv = null;
        boolean dryRun = dryRun(ex);
        String policy = ex.query("propagationPolicy");
        Boolean orphan = ex.query("orphanDependents") == null ? null : ex.queryBool("orphanDependents", false);
        if (ex.body().length > 0) {
            JsonNode opts = parse(ex.body(), MediaTypes.contentType(ex.header("Content-Type")));
            if (!opts.isObject()) throw ApiException.badRequest("DeleteOptions must be an object");
            if (opts.has("gracePeriodSeconds") && !opts.get("gracePeriodSeconds").isNull()) {
                if (!opts.get("gracePeriodSeconds").canConvertToLong()) throw ApiException.badRequest("gracePeriodSeconds must be an integer");
                grace = opts.get("gracePeriodSeconds").asLong();
            }
            JsonNode pre = opts.path("preconditions");
            if (pre.hasNonNull("uid")) uid = pre.get("uid").asText();
            if (pre.hasNonNull("resourceVersion")) rv = pre.get("resourceVersion").asText();
            for (JsonNode d : opts.path("dryRun")) {
                if (!d.asText().equals("All")) throw ApiException.badRequest("Invalid dryRun value: " + d.asText());
                dryRun = true;
            }
            if (opts.hasNonNull("propagationPolicy")) policy = opts.get("propagationPolicy").asText();
            if (opts.path("orphanDependents").isBoolean()) orphan = opts.get("orphanDependents").asBoolean();
        }
        if (grace != null && grace < 0) grace = 0L;
        return new ResourceStore.DeleteOptions(grace, uid, rv, dryRun, propagation(policy, orphan));
    }

    /** DeleteOptions' propagationPolicy, or the deprecated orphanDependents it replaces; never both. */
    private static ResourceStore.Propagation propagation(String policy, Boolean orphan) {
        if (policy != null && orphan != null) {
            throw optionsInvalid("DeleteOptions", "propagationPolicy", "FieldValueInvalid",
                    "propagationPolicy: Invalid value: \"" + policy + "\": orphanDependents and deletionPropagation cannot be both set");
        }
        if (orphan != null) return orphan ? ResourceStore.Propagation.ORPHAN : ResourceStore.Propagation.BACKGROUND;
        if (policy == null || policy.isEmpty()) return null;
        return switch (policy) {
            case "Background" -> ResourceStore.Propagation.BACKGROUND;
            case "Foreground" -> ResourceStore.Propagation.FOREGROUND;
            case "Orphan" -> ResourceStore.Propagation.ORPHAN;
            default -> throw ApiException.badRequest("propagationPolicy: Unsupported value: \"" + policy
                    + "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
        };
    }

    /** POST pods/{name}/binding: assigns a pod to a node, once. */
    private void bind(HttpExchange ex, Target t, ResourceStore pods) {
        boolean dryRun = dryRun(ex);
        JsonNode binding = parse(ex.body(), MediaTypes.contentType(ex.header("Content-Type")));
        if (!binding.isObject()) throw ApiException.badRequest("the body must be a Binding object");
        String kind = binding.path("kind").asText("Binding");
        if (!kind.equals("Binding")) throw ApiException.badRequest("expected kind Binding, got " + kind);
        String bodyName = binding.path("metadata").path("name").asText("");
        if (!bodyName.isEmpty() && !bodyName.equals(t.name())) {
            throw ApiException.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + t.name() + ")");
        }
        String node = binding.path("target").path("name").asText("");
        if (node.isEmpty()) {
            throw ApiException.invalid(ResourceTypes.PODS, t.name(),
                    List.of(io.hypernetes.api.validation.FieldError.required("target.name", "the node to bind to")));
        }
        // one write for the node and the condition, so no watcher ever sees a pod bound but not scheduled
        pods.mutate(t.namespace(), t.name(), null, pod -> {
            ObjectNode spec = pod.withObject("/spec");
            String current = spec.path("nodeName").asText("");
            if (!current.isEmpty()) {
                throw ApiException.conflict(ResourceTypes.PODS, t.name(), "pod " + t.name() + " is already assigned to node \"" + current + "\"");
            }
            if (Meta.deleting(pod)) {
                throw ApiException.conflict(ResourceTypes.PODS, t.name(), "pod " + t.name() + " is being deleted, cannot be assigned to a host");
            }
            spec.put("nodeName", node);
            ObjectNode status = pod.withObject("/status");
            ArrayNode conditions = status.has("conditions") && status.get("conditions").isArray()
                    ? (ArrayNode) status.get("conditions") : status.putArray("conditions");
            for (int i = conditions.size() - 1; i >= 0; i--) {
                if (conditions.get(i).path("type").asText().equals("PodScheduled")) conditions.remove(i);
            }
            conditions.addObject().put("type", "PodScheduled").put("status", "True")
                    .putNull("lastProbeTime").put("lastTransitionTime", Meta.timestamp(clock.instant()));
            return pod;
        }, Part.BINDING, dryRun, null);
        ObjectNode status = Json.object().put("kind", "Status").put("apiVersion", "v1");
        status.putObject("metadata");
        status.put("status", "Success").put("code", 201);
        respond(ex, 201, MediaTypes.negotiate(ex.header("Accept"), false), status);
    }

    // ---- scale

    /**
     * The body of every scale subresource: an autoscaling/v1 Scale. Not a served resource of its own; the type
     * exists for the schema checks, strict decoding and strategic-merge metadata of Scale bodies.
     */
    static final ResourceType SCALE = new ResourceType("autoscaling", "v1", "Scale", "scale", true, List.of(), List.of(),
            Set.of(), "io.k8s.api.autoscaling.v1.Scale", Set.of());

    /**
     * {@code deployments/scale} and {@code replicasets/scale}: GET answers the object's replicas as a Scale; PUT and
     * PATCH (JSON, merge or strategic merge) of the Scale change {@code spec.replicas} and nothing else, as
     * Kubernetes' scale subresources do. The Scale's resourceVersion, when set, must be the object's current one.
     */
    private void scale(HttpExchange ex, Target t, ResourceStore store) {
        String method = ex.method();
        switch (method) {
            case "GET" -> respond(ex, 200, MediaTypes.negotiate(ex.header("Accept"), false), scaleOf(store.get(t.namespace(), t.name())));
            case "PUT" -> {
                boolean dryRun = dryRun(ex);
                ObjectNode body = decodeObject(ex, SCALE);
                String bodyName = Meta.name(body);
                if (!bodyName.isEmpty() && !bodyName.equals(t.name())) {
                    throw ApiException.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + t.name() + ")");
                }
                long replicas = scaleReplicas(body, t.name());
                String rv = Meta.resourceVersion(body);
                ObjectNode result = store.mutate(t.namespace(), t.name(), rv.isEmpty() ? null : rv, current -> withReplicas(current, replicas),
                        Part.SCALE, dryRun, fieldManager(ex, "UpdateOptions"));
                respond(ex, 200, MediaTypes.negotiate(ex.header("Accept"), false), scaleOf(result));
            }
            case "PATCH" -> {
                boolean dryRun = dryRun(ex);
                String type = MediaTypes.contentType(ex.header("Content-Type"));
                if (!type.equals(MediaTypes.JSON_PATCH) && !type.equals(MediaTypes.MERGE_PATCH) && !type.equals(MediaTypes.STRATEGIC_MERGE_PATCH)) {
                    throw new ApiException(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types "
                            + "for the scale subresource include: application/json-patch+json, application/merge-patch+json, "
                            + "application/strategic-merge-patch+json", null);
                }
                String validation = fieldValidation(ex);
                String manager = fieldManager(ex, "PatchOptions");
                Body patchBody = parseBody(ex.body(), MediaTypes.JSON);
                JsonNode patch = patchBody.tree();
                Strictness fromPatch = new Strictness(patchBody, type.equals(MediaTypes.JSON_PATCH) ? "json patch " : "", true);
                ObjectNode result = store.mutate(t.namespace(), t.name(), null, current -> {
                    ObjectNode scale = scaleOf(current);
                    JsonNode patched;
                    try {
                        patched = switch (type) {
                            case MediaTypes.JSON_PATCH -> JsonPatch.apply(scale, patch);
                            case MediaTypes.MERGE_PATCH -> JsonMergePatch.apply(scale, patch);
                            default -> StrategicMergePatch.apply(scale, patch, checks.patchMeta(SCALE));
                        };
                    } catch (PatchException e) {
                        throw patchError(e, SCALE, t.name());
                    }
                    if (!(patched instanceof ObjectNode o)) throw ApiException.badRequest("the patch did not produce an object");
                    checkKind(o, SCALE);
                    checkFields(ex, SCALE, o, validation, fromPatch);
                    String rv = Meta.resourceVersion(o);
                    if (!rv.equals(Meta.resourceVersion(current))) {
                        throw ApiException.conflict(t.type(), t.name(), "the object has been modified; please apply your changes to the latest version and try again");
                    }
                    return withReplicas(current, scaleReplicas(o, t.name()));
                }, Part.SCALE, dryRun, manager);
                respond(ex, 200, MediaTypes.negotiate(ex.header("Accept"), false), scaleOf(result));
            }
            default -> throw ApiException.methodNotAllowed(method + " is not supported on scale");
        }
    }

    /** The Scale of a Deployment or ReplicaSet, as Kubernetes' scaleFromDeployment builds it. */
    static ObjectNode scaleOf(ObjectNode obj) {
        ObjectNode scale = Json.object().put("kind", "Scale").put("apiVersion", "autoscaling/v1");
        ObjectNode meta = scale.putObject("metadata");
        JsonNode m = obj.path("metadata");
        for (String f : List.of("name", "namespace", "uid", "resourceVersion", "creationTimestamp")) {
            if (m.has(f)) meta.set(f, m.get(f).deepCopy());
        }
        scale.putObject("spec").put("replicas", obj.path("spec").path("replicas").asLong(1));
        ObjectNode status = scale.putObject("status").put("replicas", obj.path("status").path("replicas").asLong(0));
        JsonNode selector = obj.path("spec").path("selector");
        if (selector.isObject()) status.put("selector", Tables.selectorString(selector));
        return scale;
    }

    /** A Scale's spec.replicas (0 when absent, as Go reads it), refused when negative as Kubernetes' ValidateScale does. */
    private static long scaleReplicas(JsonNode scale, String name) {
        long replicas = scale.path("spec").path("replicas").asLong(0);
        if (replicas < 0) {
            throw ApiException.invalid(SCALE, name, List.of(io.hypernetes.api.validation.FieldError.invalid(
                    "spec.replicas", replicas, "must be greater than or equal to 0")));
        }
        return replicas;
    }

    private static ObjectNode withReplicas(ObjectNode obj, long replicas) {
        obj.withObject("/spec").put("replicas", replicas);
        return obj;
    }

    // ---- decoding and checks

    private ObjectNode decodeObject(HttpExchange ex, ResourceType type) {
        String validation = fieldValidation(ex);
        Body body = parseBody(ex.body(), MediaTypes.contentType(ex.header("Content-Type")));
        JsonNode node = body.tree();
        if (!(node instanceof ObjectNode obj)) {
            throw ApiException.badRequest("the body of the request must be a JSON or YAML object, got " + node.getNodeType().name().toLowerCase());
        }
        checkKind(obj, type);
        checkFields(ex, type, obj, validation, new Strictness(body, "", false));
        return obj;
    }

    /**
     * A parsed request body: the tree as its last values make it, the keys it repeats, and whether it was YAML
     * (Kubernetes words YAML duplicates by line, JSON ones by path).
     */
    record Body(JsonNode tree, List<LastKeyWins.Duplicate> duplicates, boolean yaml) {}

    /**
     * The duplicate keys of a body as strict decoding errors: {@code prefix} names a JSON patch's findings as such, and
     * {@code patch} says the body is a patch, whose findings Kubernetes lists before those of the patched object.
     */
    record Strictness(Body body, String prefix, boolean patch) {}

    /** Parses a request body, keeping the last of repeated keys; malformed input is a 400. */
    static JsonNode parse(byte[] body, String contentType) {
        return parseBody(body, contentType).tree();
    }

    /** Parses a request body and names the keys it repeats; malformed input is a 400 naming what is wrong and where. */
    static Body parseBody(byte[] body, String contentType) {
        if (body.length == 0) throw ApiException.badRequest("the request body is empty");
        try {
            return switch (contentType) {
                case MediaTypes.JSON, MediaTypes.JSON_PATCH, MediaTypes.MERGE_PATCH, MediaTypes.STRATEGIC_MERGE_PATCH -> {
                    LastKeyWins.Parsed p = LastKeyWins.json(body);
                    yield new Body(p.tree(), p.duplicates(), false);
                }
                case MediaTypes.YAML -> {
                    LastKeyWins.Parsed p = LastKeyWins.yaml(body);
                    JsonNode n = p.tree();
                    if (n == null || n.isMissingNode()) throw ApiException.badRequest("the request body is empty");
                    yield new Body(n, p.duplicates(), true);
                }
                case MediaTypes.PROTOBUF -> {
                    try {
                        // protobuf has no keys to repeat
                        yield new Body(Protobuf.core().decode(body), List.of(), false);
                    } catch (ProtobufException e) {
                        throw ApiException.badRequest(e.getMessage());
                    }
                }
                default -> throw ApiException.unsupportedMediaType(contentType);
            };
        } catch (JsonProcessingException e) {
            String what = contentType.equals(MediaTypes.YAML) ? "YAML" : "JSON";
            throw ApiException.badRequest("the request body is not valid " + what + ": " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")"));
        } catch (IOException e) {
            throw ApiException.badRequest("the request body could not be read: " + e.getMessage());
        }
    }

    private static void checkKind(ObjectNode obj, ResourceType type) {
        JsonNode kind = obj.get("kind");
        JsonNode apiVersion = obj.get("apiVersion");
        if (kind == null || kind.asText().isEmpty()) {
            throw ApiException.badRequest("Object 'Kind' is missing in '" + abbreviate(Json.string(obj)) + "'");
        }
        if (apiVersion == null || apiVersion.asText().isEmpty()) {
            throw ApiException.badRequest("Object 'apiVersion' is missing in '" + abbreviate(Json.string(obj)) + "'");
        }
        if (!kind.isTextual() || !apiVersion.isTextual()) throw ApiException.badRequest("kind and apiVersion must be strings");
        if (!apiVersion.asText().equals(type.apiVersion())) {
            throw ApiException.badRequest("the API version in the data (" + apiVersion.asText()
                    + ") does not match the expected API version (" + type.apiVersion() + ")");
        }
        if (!kind.asText().equals(type.kind())) {
            throw ApiException.badRequest("the kind in the data (" + kind.asText() + ") does not match the expected kind ("
                    + type.kind() + ") of " + type.plural());
        }
        JsonNode meta = obj.get("metadata");
        if (meta != null && !meta.isObject() && !meta.isNull()) throw ApiException.badRequest("metadata must be an object");
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    private void checkFields(HttpExchange ex, ResourceType type, ObjectNode obj, String validation) {
        checkFields(ex, type, obj, validation, null);
    }

    /**
     * Unknown fields of {@code obj} and, when {@code strictness} is given, the keys its body repeated, handled as
     * {@code fieldValidation} says: Strict refuses them all in one {@code strict decoding error}, Warn sends one
     * {@code Warning} each, Ignore says nothing. The last of repeated keys has already won in the parse.
     */
    private void checkFields(HttpExchange ex, ResourceType type, ObjectNode obj, String validation, Strictness strictness) {
        FieldValidation.Report report = checks.fields(type, obj);
        boolean duplicates = strictness != null && !strictness.body().duplicates().isEmpty() && !validation.equals("Ignore");
        if (report.clean() && !duplicates) return;
        if (report.hasTypeMismatch()) throw ApiException.badRequest(report.decodeError(type.version(), type.kind()));
        List<String> unknown = report.unknownFields().stream().map(FieldValidation.Issue::path).toList();
        if (!validation.equals("Ignore")) {
            List<String> errors = duplicates ? strictErrors(obj, report, strictness) : report.warnings();
            if (validation.equals("Strict") && !errors.isEmpty()) throw ApiException.badRequest("strict decoding error: " + String.join(", ", errors));
            if (validation.equals("Warn")) errors.forEach(e -> yamlWarnings(e).forEach(ex::warn));
        }
        // Kubernetes decodes into typed structs, so fields it does not know are never stored
        UnknownFields.prune(obj, unknown);
    }

    private static final String YAML_ERRORS = "yaml: unmarshal errors:\n  ";

    /**
     * Repeated keys and unknown fields as the items of Kubernetes' strict decoding error, in its order: YAML's
     * duplicates come first as one item (its YAML decoder runs before the JSON one); a patch's own findings come
     * before the patched object's; otherwise both kinds interleave in document order, and a field both unknown and
     * repeated (or inside an unknown one) is named only as unknown, the typed decoder never reading into it.
     */
    private static List<String> strictErrors(ObjectNode obj, FieldValidation.Report report, Strictness s) {
        List<String> unknown = report.unknownFields().stream().map(FieldValidation.Issue::message).toList();
        List<String> out = new java.util.ArrayList<>();
        if (s.body().yaml()) {
            out.add(YAML_ERRORS + String.join("\n  ", s.body().duplicates().stream()
                    .map(d -> "line " + d.line() + ": key \"" + goEscape(d.key()) + "\" already set in map").toList()));
            out.addAll(unknown);
            return out;
        }
        if (s.patch()) {
            s.body().duplicates().forEach(d -> out.add(s.prefix() + "duplicate field \"" + d.path() + "\""));
            out.addAll(unknown);
            return out;
        }
        List<String> unknownPaths = report.unknownFields().stream().map(FieldValidation.Issue::path).toList();
        java.util.Map<String, Integer> order = new java.util.HashMap<>();
        documentOrder(obj, "", order);
        record Finding(int at, String text) {}
        List<Finding> findings = new java.util.ArrayList<>();
        for (FieldValidation.Issue.UnknownField u : report.unknownFields()) {
            findings.add(new Finding(order.getOrDefault(u.path(), Integer.MAX_VALUE), u.message()));
        }
        for (LastKeyWins.Duplicate d : s.body().duplicates()) {
            boolean insideUnknown = unknownPaths.stream().anyMatch(u -> d.path().equals(u) || d.path().startsWith(u + ".") || d.path().startsWith(u + "["));
            if (!insideUnknown) findings.add(new Finding(order.getOrDefault(d.path(), Integer.MAX_VALUE), "duplicate field \"" + d.path() + "\""));
        }
        findings.sort(java.util.Comparator.comparingInt(Finding::at));
        findings.forEach(f -> out.add(f.text()));
        return out;
    }

    /** Numbers every path of {@code node} in document order (a repeated key sits where it first appeared). */
    private static void documentOrder(JsonNode node, String path, java.util.Map<String, Integer> order) {
        if (node.isObject()) {
            for (var e : node.properties()) {
                String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                order.put(p, order.size());
                documentOrder(e.getValue(), p, order);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String p = path + "[" + i + "]";
                order.put(p, order.size());
                documentOrder(node.get(i), p, order);
            }
        }
    }

    /** Kubernetes splits its YAML decoder's error into one warning per line, as {@code line N: ...}. */
    private static List<String> yamlWarnings(String error) {
        if (!error.startsWith(YAML_ERRORS)) return List.of(error);
        return List.of(error.substring(YAML_ERRORS.length()).split("\n  "));
    }

    /** Go's %#v of a string key, enough for keys: quotes and backslashes escaped. */
    private static String goEscape(String key) {
        return key.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /**
     * A server-side apply body's repeated keys: Kubernetes reads apply bodies leniently (the last value wins), then,
     * under Strict or Warn, decodes them again strictly as YAML and refuses (400) or warns with its YAML wording.
     */
    private static void checkApplyDuplicates(HttpExchange ex, Body body, String validation) {
        if (body.duplicates().isEmpty() || validation.equals("Ignore")) return;
        List<String> lines = body.duplicates().stream()
                .map(d -> "line " + d.line() + ": key \"" + goEscape(d.key()) + "\" already set in map").toList();
        if (validation.equals("Strict")) {
            throw ApiException.badRequest("error strict decoding YAML: error converting YAML to JSON: " + YAML_ERRORS + String.join("\n  ", lines));
        }
        lines.forEach(ex::warn);
    }

    private static String fieldValidation(HttpExchange ex) {
        String v = ex.query("fieldValidation");
        if (v == null || v.isEmpty()) return "Warn";
        if (!FIELD_VALIDATION.contains(v)) {
            throw ApiException.badRequest("fieldValidation: Unsupported value: \"" + v + "\": supported values: \"Ignore\", \"Strict\", \"Warn\"");
        }
        return v;
    }

    private static boolean dryRun(HttpExchange ex) {
        List<String> values = ex.queryAll("dryRun");
        for (String v : values) {
            if (!v.equals("All")) throw ApiException.badRequest("Invalid dryRun value: " + v + " (supported: All)");
        }
        return !values.isEmpty();
    }

    static int intParam(HttpExchange ex, String name, int dflt) {
        String v = ex.query(name);
        if (v == null || v.isEmpty()) return dflt;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid " + name + ": " + v);
        }
    }

    // ---- responses

    private void respondObject(HttpExchange ex, int code, ResourceType type, ObjectNode obj) {
        MediaTypes.Output out = MediaTypes.negotiate(ex.header("Accept"), true);
        JsonNode body = switch (out.shape()) {
            case TABLE -> Tables.table(type, List.of(obj), ex.query("includeObject"), true);
            case METADATA -> Tables.partialMetadata(obj);
            case OBJECT -> obj;
        };
        respond(ex, code, out, body);
    }

    static void respond(HttpExchange ex, int code, MediaTypes.Output out, JsonNode body) {
        try {
            byte[] bytes = out.protobuf() ? Protobuf.core().encode(body)
                    : out.yaml() ? Json.YAML.writeValueAsBytes(body) : Json.bytes(body);
            ex.respond(code, out.contentType(), bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.internal(e.getMessage());
        }
    }

    static Duration timeout(HttpExchange ex, Duration dflt) {
        String v = ex.query("timeoutSeconds");
        if (v == null || v.isEmpty()) return dflt;
        int s = intParam(ex, "timeoutSeconds", 0);
        return s <= 0 ? dflt : Duration.ofSeconds(s);
    }
}
