package io.hypernetes.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The OpenAPI documents kubectl reads, generated from the schema and the served resource types.
 *
 * <ul>
 *   <li>{@code GET /openapi/v3} → {@link #v3Discovery()}: which group-version documents exist and their hashed URLs.</li>
 *   <li>{@code GET /openapi/v3/api/v1?hash=…} → {@link #v3Document(String)} with "api/v1" (also "api", "apis",
 *       "version"). kubectl explain reads the schemas; kubectl apply/create/replace/edit look for the
 *       {@code fieldValidation} query parameter on each kind's PATCH operation to decide that the server validates
 *       fields itself; client-side apply reads the {@code x-kubernetes-patch-*} extensions to build strategic merge
 *       patches for kinds it does not know (Network).</li>
 *   <li>{@code GET /openapi/v2} → {@link #v2Json()}: the same as one Swagger 2.0 document. kubectl asks for protobuf;
 *       see the project notes on when v2 is needed at all.</li>
 * </ul>
 *
 * Documents are built once and are byte-for-byte stable, so their hashes serve as ETags.
 */
public final class OpenApi {
    private static final String V2_REF = "#/definitions/";
    private static final String V3_REF = "#/components/schemas/";
    private static final String META = "io.k8s.apimachinery.pkg.apis.meta.v1.";
    private static final List<String> PATCH_TYPES = List.of("application/json-patch+json", "application/merge-patch+json",
            "application/strategic-merge-patch+json", "application/apply-patch+yaml");
    private static final List<String> PRODUCES = List.of("application/json", "application/yaml", "application/vnd.kubernetes.protobuf");
    private static final List<String> WATCH_PRODUCES = List.of("application/json", "application/yaml",
            "application/vnd.kubernetes.protobuf", "application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch");

    /** A document and its content hash (uppercase hex SHA-512, as Kubernetes puts in {@code ?hash=}). */
    public record Document(byte[] body, String hash) {
        /** A strong ETag for the body. */
        public String etag() {
            return "\"" + hash + "\"";
        }
    }

    private static final class Holder {
        static final OpenApi CORE = build(SchemaRegistry.core(), ResourceTypes.ALL, "v1.33.0");
    }

    private final Map<String, Document> v3;
    private final Document v3Discovery;
    private final Document v2;
    private final Document v2Protobuf;

    private OpenApi(Map<String, Document> v3, Document v3Discovery, Document v2, Document v2Protobuf) {
        this.v3 = v3;
        this.v3Discovery = v3Discovery;
        this.v2 = v2;
        this.v2Protobuf = v2Protobuf;
    }

    /** The documents for everything Hypernetes serves. */
    public static OpenApi core() {
        return Holder.CORE;
    }

    /**
     * @param serverVersion shown as {@code info.version}, e.g. "v1.33.0"
     */
    public static OpenApi build(SchemaRegistry registry, List<ResourceType> types, String serverVersion) {
        Map<String, List<PathItem>> byDoc = new LinkedHashMap<>();
        for (ResourceType t : types) {
            String doc = t.group().isEmpty() ? "api/" + t.version() : "apis/" + t.group() + "/" + t.version();
            byDoc.computeIfAbsent(doc, d -> new ArrayList<>(List.of(resourceList(t)))).addAll(paths(t));
        }
        for (ResourceType t : types) {
            if (t.group().isEmpty()) continue;
            byDoc.putIfAbsent("apis/" + t.group(), List.of(new PathItem("/apis/" + t.group() + "/", List.of(), List.of(
                    Op.simpleGet("get" + groupName(t.group()) + "APIGroup", "get information of a group", META + "APIGroup")))));
        }
        byDoc.put("api", List.of(new PathItem("/api/", List.of(), List.of(
                Op.simpleGet("getCoreAPIVersions", "get available API versions", META + "APIVersions")))));
        byDoc.put("apis", List.of(new PathItem("/apis/", List.of(), List.of(
                Op.simpleGet("getAPIVersions", "get available API versions", META + "APIGroupList")))));
        byDoc.put("version", List.of(new PathItem("/version/", List.of(), List.of(
                Op.simpleGet("getCodeVersion", "get the version information for this server", "io.k8s.apimachinery.pkg.version.Info")))));

        ObjectNode defs = registry.openApiDefinitions();
        Map<String, Document> v3 = new LinkedHashMap<>();
        ObjectNode discovery = Json.object();
        ObjectNode discoveryPaths = discovery.putObject("paths");
        for (var e : byDoc.entrySet()) {
            Document d = document(v3Document(e.getValue(), defs, serverVersion));
            v3.put(e.getKey(), d);
            discoveryPaths.putObject(e.getKey()).put("serverRelativeURL", "/openapi/v3/" + e.getKey() + "?hash=" + d.hash());
        }
        List<PathItem> all = byDoc.values().stream().flatMap(List::stream).toList();
        return new OpenApi(Map.copyOf(v3), document(discovery), document(v2Document(all, defs, serverVersion)),
                document(v2Protobuf(serverVersion)));
    }

    /** The body of {@code GET /openapi/v3}. */
    public Document v3Discovery() {
        return v3Discovery;
    }

    /** The document for a group version path such as "api/v1" (a leading slash is ignored), if served. */
    public Optional<Document> v3Document(String groupVersionPath) {
        String key = groupVersionPath.startsWith("/") ? groupVersionPath.substring(1) : groupVersionPath;
        return Optional.ofNullable(v3.get(key));
    }

    /** The Swagger 2.0 document of everything, as JSON. */
    public Document v2Json() {
        return v2;
    }

    /**
     * The body for {@code GET /openapi/v2} when kubectl asks for
     * {@code application/com.github.proto-openapi.spec.v2@v1.0+protobuf} (answer with Content-Type
     * {@code application/com.github.proto-openapi.spec.v2.v1.0+protobuf}).
     *
     * <p>kubectl 1.27 and 1.28 fetch and parse this before explain, create, apply, replace and edit, and fail when it
     * is missing or not protobuf; they then use the v3 documents for everything that matters. So this is a valid but
     * minimal gnostic {@code openapi_v2.Document} (swagger and info only): with no definitions, old kubectl treats
     * Network like a custom resource (JSON merge patch on client-side apply) rather than misreading a partial encoding.
     */
    public Document v2Protobuf() {
        return v2Protobuf;
    }

    private static JsonNode v2Protobuf(String version) {
        java.io.ByteArrayOutputStream info = new java.io.ByteArrayOutputStream();
        protoString(info, 1, "Hypernetes");
        protoString(info, 2, version);
        java.io.ByteArrayOutputStream doc = new java.io.ByteArrayOutputStream();
        protoString(doc, 1, "2.0");
        protoBytes(doc, 2, info.toByteArray());
        return Json.NODES.binaryNode(doc.toByteArray());
    }

    private static void protoString(java.io.ByteArrayOutputStream out, int field, String value) {
        protoBytes(out, field, value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A length-delimited protobuf field: tag (field number, wire type 2), varint length, bytes. */
    private static void protoBytes(java.io.ByteArrayOutputStream out, int field, byte[] value) {
        out.write(field << 3 | 2);
        int n = value.length;
        while (n >= 0x80) {
            out.write(n & 0x7f | 0x80);
            n >>>= 7;
        }
        out.write(n);
        out.writeBytes(value);
    }

    // ---- the operations, independent of OpenAPI version ----

    private record Param(String name, String in, String type, String description, boolean required) {
        static Param query(String name, String type, String description) {
            return new Param(name, "query", type, description, false);
        }
    }

    /**
     * @param body definition of the request body, or null
     * @param responses status code → definition of the response body
     */
    private record Op(String method, String id, String description, String action, GroupVersionKind gvk,
                      List<Param> params, String body, boolean patch, boolean watch, Map<String, String> responses) {
        static Op simpleGet(String id, String description, String response) {
            return new Op("get", id, description, null, null, List.of(), null, false, false, Map.of("200", response));
        }
    }

    private record PathItem(String path, List<Param> params, List<Op> ops) {}

    private static final Param PRETTY = Param.query("pretty", "string", "If 'true', the output is indented.");
    private static final Param DRY_RUN = Param.query("dryRun", "string",
            "When present, the request is validated but nothing is persisted. The only valid value is All.");
    private static final Param FIELD_MANAGER = Param.query("fieldManager", "string",
            "Name of the actor making the change, recorded in managedFields; at most 128 printable characters. Required for apply patches.");
    private static final Param FIELD_VALIDATION = Param.query("fieldValidation", "string",
            "How to treat unknown or duplicate fields in the body: Ignore (drop them silently), Warn (drop them and return a "
                    + "Warning header for each) or Strict (reject the request with 400). kubectl sends Strict by default.");
    private static final Param FORCE = Param.query("force", "boolean",
            "For apply patches only: take ownership of fields other managers own instead of failing with a conflict.");
    private static final List<Param> DELETE = List.of(DRY_RUN,
            Param.query("gracePeriodSeconds", "integer", "Seconds to wait before deleting; 0 deletes at once, unset uses the kind's default."),
            Param.query("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean",
                    "Delete objects that cannot be read from storage; may break workloads that rely on them."),
            Param.query("orphanDependents", "boolean", "Deprecated: use propagationPolicy."),
            Param.query("propagationPolicy", "string", "What happens to dependents: Orphan, Background or Foreground."));
    private static final Param WATCH = Param.query("watch", "boolean",
            "Stream add, update and delete events for the selected objects instead of listing them; start from resourceVersion.");
    private static final List<Param> LIST = List.of(
            Param.query("allowWatchBookmarks", "boolean", "Ask for BOOKMARK events during a watch; the server may ignore it."),
            Param.query("continue", "string", "Token from a previous page's metadata.continue, to fetch the next page."),
            Param.query("fieldSelector", "string", "Select objects by field values, e.g. spec.nodeName=n1. Defaults to everything."),
            Param.query("labelSelector", "string", "Select objects by labels, e.g. app=web,tier!=db. Defaults to everything."),
            Param.query("limit", "integer", "Most items to return in one page; continue with metadata.continue."),
            Param.query("resourceVersion", "string", "Which version of the data a list or watch starts from; see resourceVersionMatch."),
            Param.query("resourceVersionMatch", "string", "How resourceVersion applies to a list: Exact or NotOlderThan."),
            Param.query("sendInitialEvents", "boolean", "With watch: start with synthetic ADDED events for the current state."),
            Param.query("timeoutSeconds", "integer", "Time limit for the list or watch call."));

    private static PathItem resourceList(ResourceType t) {
        String root = t.group().isEmpty() ? "/api/" + t.version() : "/apis/" + t.group() + "/" + t.version();
        return new PathItem(root + "/", List.of(), List.of(Op.simpleGet("get" + groupName(t.group()) + capitalize(t.version())
                + "APIResources", "get available resources", META + "APIResourceList")));
    }

    /** The body of a scale subresource, whatever the scaled kind. */
    private static final String SCALE = "io.k8s.api.autoscaling.v1.Scale";
    private static final GroupVersionKind SCALE_GVK = new GroupVersionKind("autoscaling", "v1", "Scale");

    private static List<PathItem> paths(ResourceType t) {
        String root = t.group().isEmpty() ? "/api/" + t.version() : "/apis/" + t.group() + "/" + t.version();
        String gv = groupName(t.group()) + capitalize(t.version());
        String scope = t.namespaced() ? "Namespaced" : "";
        String id = gv + scope + t.kind();
        GroupVersionKind gvk = new GroupVersionKind(t.group(), t.version(), t.kind());
        String schema = t.schema();
        String list = schema + "List";
        String status = META + "Status";
        Param name = new Param("name", "path", "string", "Name of the " + t.kind() + ".", true);
        Param ns = new Param("namespace", "path", "string", "Object name and auth scope, such as for teams and projects.", true);
        String collection = root + (t.namespaced() ? "/namespaces/{namespace}/" : "/") + t.plural();
        List<Param> collParams = t.namespaced() ? List.of(ns, PRETTY) : List.of(PRETTY);
        List<Param> itemParams = t.namespaced() ? List.of(name, ns, PRETTY) : List.of(name, PRETTY);
        List<Param> write = List.of(DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION);
        List<Param> patch = List.of(DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE);
        List<Param> listWatch = concat(LIST, List.of(WATCH));
        String deleted = t.kind().equals("Pod") ? schema : status;

        List<PathItem> out = new ArrayList<>();
        out.add(new PathItem(collection, collParams, List.of(
                new Op("get", "list" + id, "list or watch objects of kind " + t.kind(), "list", gvk, listWatch, null, false, true,
                        Map.of("200", list)),
                new Op("post", "create" + id, "create a " + t.kind(), "post", gvk, write, schema, false, false,
                        ordered("200", schema, "201", schema, "202", schema)),
                new Op("delete", "delete" + gv + "Collection" + scope + t.kind(), "delete a collection of " + t.kind(),
                        "deletecollection", gvk, concat(DELETE, LIST), META + "DeleteOptions", false, false, Map.of("200", status)))));
        out.add(new PathItem(collection + "/{name}", itemParams, List.of(
                new Op("get", "read" + id, "read the specified " + t.kind(), "get", gvk, List.of(), null, false, false, Map.of("200", schema)),
                new Op("put", "replace" + id, "replace the specified " + t.kind(), "put", gvk, write, schema, false, false,
                        ordered("200", schema, "201", schema)),
                new Op("delete", "delete" + id, "delete a " + t.kind(), "delete", gvk, DELETE, META + "DeleteOptions", false, false,
                        ordered("200", deleted, "202", deleted)),
                new Op("patch", "patch" + id, "partially update the specified " + t.kind(), "patch", gvk, patch, META + "Patch", true, false,
                        ordered("200", schema, "201", schema)))));
        if (t.namespaced()) {
            out.add(new PathItem(root + "/" + t.plural(), List.of(PRETTY), List.of(
                    new Op("get", "list" + gv + t.kind() + "ForAllNamespaces",
                            "list or watch objects of kind " + t.kind() + " in all namespaces", "list", gvk, listWatch, null, false, true,
                            Map.of("200", list)))));
        }
        for (String sub : t.subresources().stream().sorted().toList()) {
            String path = collection + "/{name}/" + sub;
            switch (sub) {
                case "status" -> out.add(new PathItem(path, itemParams, List.of(
                        new Op("get", "read" + id + "Status", "read status of the specified " + t.kind(), "get", gvk, List.of(), null,
                                false, false, Map.of("200", schema)),
                        new Op("put", "replace" + id + "Status", "replace status of the specified " + t.kind(), "put", gvk, write, schema,
                                false, false, ordered("200", schema, "201", schema)),
                        new Op("patch", "patch" + id + "Status", "partially update status of the specified " + t.kind(), "patch", gvk,
                                patch, META + "Patch", true, false, ordered("200", schema, "201", schema)))));
                case "binding" -> {
                    String binding = schema.substring(0, schema.lastIndexOf('.') + 1) + "Binding";
                    GroupVersionKind bgvk = new GroupVersionKind(t.group(), t.version(), "Binding");
                    out.add(new PathItem(path, itemParams, List.of(new Op("post", "create" + id + "Binding",
                            "create binding of a " + t.kind(), "post", bgvk, write, binding, false, false,
                            ordered("200", binding, "201", binding, "202", binding)))));
                }
                case "scale" -> out.add(new PathItem(path, itemParams, List.of(
                        new Op("get", "read" + id + "Scale", "read scale of the specified " + t.kind(), "get", SCALE_GVK, List.of(), null,
                                false, false, Map.of("200", SCALE)),
                        new Op("put", "replace" + id + "Scale", "replace scale of the specified " + t.kind(), "put", SCALE_GVK, write,
                                SCALE, false, false, ordered("200", SCALE, "201", SCALE)),
                        new Op("patch", "patch" + id + "Scale", "partially update scale of the specified " + t.kind(), "patch",
                                SCALE_GVK, patch, META + "Patch", true, false, ordered("200", SCALE, "201", SCALE)))));
                case "finalize" -> out.add(new PathItem(path, itemParams, List.of(new Op("put", "replace" + id + "Finalize",
                        "replace finalize of the specified " + t.kind(), "put", gvk, write, schema, false, false,
                        ordered("200", schema, "201", schema)))));
                default -> {}
            }
        }
        return out;
    }

    // ---- OpenAPI 3.0 ----

    private static ObjectNode v3Document(List<PathItem> items, ObjectNode defs, String version) {
        ObjectNode doc = Json.object();
        doc.put("openapi", "3.0.0");
        doc.putObject("info").put("title", "Hypernetes").put("version", version);
        ObjectNode paths = doc.putObject("paths");
        Set<String> roots = new LinkedHashSet<>();
        boolean watches = false;
        for (PathItem item : items) {
            ObjectNode p = paths.putObject(item.path());
            for (Op op : item.ops()) {
                watches |= op.watch();
                ObjectNode o = p.putObject(op.method());
                o.putArray("tags").add(tag(item.path()));
                o.put("description", op.description());
                o.put("operationId", op.id());
                if (!op.params().isEmpty()) {
                    ArrayNode ps = o.putArray("parameters");
                    op.params().forEach(x -> ps.add(v3Param(x)));
                }
                if (op.body() != null) {
                    roots.add(op.body());
                    ObjectNode content = o.putObject("requestBody").putObject("content");
                    for (String type : op.patch() ? PATCH_TYPES : List.of("*/*")) {
                        content.putObject(type).putObject("schema").put("$ref", V3_REF + op.body());
                    }
                    if (op.patch()) ((ObjectNode) o.get("requestBody")).put("required", true);
                }
                ObjectNode responses = o.putObject("responses");
                op.responses().forEach((code, schema) -> {
                    roots.add(schema);
                    ObjectNode r = responses.putObject(code).put("description", describe(code)).putObject("content");
                    for (String type : op.watch() ? WATCH_PRODUCES : PRODUCES) {
                        r.putObject(type).putObject("schema").put("$ref", V3_REF + schema);
                    }
                });
                responses.putObject("401").put("description", "Unauthorized");
                if (op.action() != null) o.put("x-kubernetes-action", op.action());
                if (op.gvk() != null) o.set("x-kubernetes-group-version-kind", gvk(op.gvk()));
            }
            if (!item.params().isEmpty()) {
                ArrayNode ps = p.putArray("parameters");
                item.params().forEach(x -> ps.add(v3Param(x)));
            }
        }
        if (watches) roots.add(META + "WatchEvent");
        ObjectNode components = doc.putObject("components");
        ObjectNode schemas = components.putObject("schemas");
        for (String name : closure(roots, defs)) schemas.set(name, v3Schema(defs.get(name).deepCopy()));
        bearerToken(doc, components.putObject("securitySchemes"));
        return doc;
    }

    /** Declares bearer-token authentication, as both document versions do (v3 under components, v2 at the top). */
    private static void bearerToken(ObjectNode doc, ObjectNode schemes) {
        schemes.putObject("BearerToken").put("type", "apiKey").put("description", "Bearer token authentication")
                .put("name", "authorization").put("in", "header");
        doc.putArray("security").addObject().putArray("BearerToken");
    }

    /**
     * Rewrites a definition for OpenAPI 3: refs point into components, and a ref with siblings (a described field)
     * becomes allOf, since 3.0 ignores siblings of $ref — this is also the form kubectl explain expects.
     */
    private static JsonNode v3Schema(JsonNode node) {
        if (node instanceof ObjectNode o) {
            if (o.has("$ref")) {
                String ref = V3_REF + o.get("$ref").asText().substring(V2_REF.length());
                o.remove("$ref");
                if (o.isEmpty()) {
                    o.put("$ref", ref);
                } else {
                    o.putArray("allOf").addObject().put("$ref", ref);
                }
            }
            for (String key : List.of("properties")) {
                if (o.get(key) instanceof ObjectNode props) props.properties().forEach(e -> v3Schema(e.getValue()));
            }
            for (String key : List.of("items", "additionalProperties")) {
                if (o.has(key)) v3Schema(o.get(key));
            }
        }
        return node;
    }

    private static ObjectNode v3Param(Param p) {
        ObjectNode n = Json.object().put("name", p.name()).put("in", p.in()).put("description", p.description());
        if (p.required()) n.put("required", true);
        n.putObject("schema").put("type", p.type()).put("uniqueItems", true);
        return n;
    }

    // ---- Swagger 2.0 ----

    private static ObjectNode v2Document(List<PathItem> items, ObjectNode defs, String version) {
        ObjectNode doc = Json.object();
        doc.put("swagger", "2.0");
        doc.putObject("info").put("title", "Hypernetes").put("version", version);
        ObjectNode paths = doc.putObject("paths");
        for (PathItem item : items) {
            ObjectNode p = paths.putObject(item.path());
            for (Op op : item.ops()) {
                ObjectNode o = p.putObject(op.method());
                o.put("description", op.description());
                ArrayNode consumes = o.putArray("consumes");
                (op.patch() ? PATCH_TYPES : List.of("*/*")).forEach(consumes::add);
                ArrayNode produces = o.putArray("produces");
                (op.watch() ? WATCH_PRODUCES : PRODUCES).forEach(produces::add);
                o.putArray("schemes").add("https");
                o.putArray("tags").add(tag(item.path()));
                o.put("operationId", op.id());
                ArrayNode ps = o.putArray("parameters");
                if (op.body() != null) {
                    ObjectNode b = ps.addObject().put("name", "body").put("in", "body");
                    if (op.patch() || !op.method().equals("delete")) b.put("required", true);
                    b.putObject("schema").put("$ref", V2_REF + op.body());
                }
                op.params().forEach(x -> ps.add(v2Param(x)));
                if (ps.isEmpty()) o.remove("parameters");
                ObjectNode responses = o.putObject("responses");
                op.responses().forEach((code, schema) ->
                        responses.putObject(code).put("description", describe(code)).putObject("schema").put("$ref", V2_REF + schema));
                responses.putObject("401").put("description", "Unauthorized");
                if (op.action() != null) o.put("x-kubernetes-action", op.action());
                if (op.gvk() != null) o.set("x-kubernetes-group-version-kind", gvk(op.gvk()));
            }
            if (!item.params().isEmpty()) {
                ArrayNode ps = p.putArray("parameters");
                item.params().forEach(x -> ps.add(v2Param(x)));
            }
        }
        ObjectNode definitions = doc.putObject("definitions");
        defs.properties().forEach(e -> definitions.set(e.getKey(), v2Schema(e.getValue().deepCopy())));
        bearerToken(doc, doc.putObject("securityDefinitions"));
        return doc;
    }

    /** Swagger 2.0 has no oneOf: IntOrString and Quantity travel as strings, as in Kubernetes' own v2 document. */
    private static JsonNode v2Schema(JsonNode node) {
        if (node instanceof ObjectNode o && o.has("oneOf")) {
            o.remove("oneOf");
            o.put("type", "string");
        }
        return node;
    }

    private static ObjectNode v2Param(Param p) {
        ObjectNode n = Json.object().put("uniqueItems", true).put("type", p.type())
                .put("description", p.description()).put("name", p.name()).put("in", p.in());
        if (p.required()) n.put("required", true);
        return n;
    }

    // ---- shared ----

    private static Set<String> closure(Set<String> roots, ObjectNode defs) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            String name = todo.pop();
            if (!defs.has(name) || !seen.add(name)) continue;
            collectRefs(defs.get(name), todo);
        }
        return new java.util.TreeSet<>(seen);
    }

    private static void collectRefs(JsonNode node, Deque<String> out) {
        if (node.isObject()) {
            JsonNode ref = node.get("$ref");
            if (ref != null && ref.asText().startsWith(V2_REF)) out.add(ref.asText().substring(V2_REF.length()));
            node.forEach(child -> collectRefs(child, out));
        } else if (node.isArray()) {
            node.forEach(child -> collectRefs(child, out));
        }
    }

    private static ObjectNode gvk(GroupVersionKind g) {
        return Json.object().put("group", g.group()).put("version", g.version()).put("kind", g.kind());
    }

    /** Kubernetes' operation tags: core_v1, core, apis, apps_v1, apps, coordination_v1, version. */
    private static String tag(String path) {
        if (path.startsWith("/api/v1")) return "core_v1";
        if (path.startsWith("/api/")) return "core";
        if (path.startsWith("/apis/") && path.length() > "/apis/".length()) {
            String[] parts = path.substring("/apis/".length()).split("/");
            String group = parts[0].replace(".k8s.io", "").replace('.', '_').replace('-', '_');
            return parts.length > 1 && !parts[1].isEmpty() ? group + "_" + parts[1] : group;
        }
        return path.startsWith("/apis") ? "apis" : "version";
    }

    private static String describe(String code) {
        return switch (code) {
            case "200" -> "OK";
            case "201" -> "Created";
            case "202" -> "Accepted";
            default -> code;
        };
    }

    private static String groupName(String group) {
        if (group.isEmpty()) return "Core";
        StringBuilder b = new StringBuilder();
        for (String part : group.replace(".k8s.io", "").split("[.-]")) b.append(capitalize(part));
        return b.toString();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    @SafeVarargs
    private static <T> List<T> concat(List<T>... lists) {
        List<T> out = new ArrayList<>();
        for (List<T> l : lists) out.addAll(l);
        return out;
    }

    private static Document document(JsonNode doc) {
        byte[] body = doc.isBinary() ? ((com.fasterxml.jackson.databind.node.BinaryNode) doc).binaryValue() : Json.bytes(doc);
        try {
            return new Document(body, HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-512").digest(body)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
