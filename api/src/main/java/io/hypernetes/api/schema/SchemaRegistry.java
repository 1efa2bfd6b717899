package io.hypernetes.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.patch.PatchMeta;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The served types, read from one schema file per API group ({@code core-v1.yaml}, {@code apps-v1.yaml},
 * {@code coordination-v1.yaml}, {@code autoscaling-v1.yaml}) merged into one set of definitions: answers by
 * definition name and by apiVersion + kind. Files may refer to each other's definitions (a Deployment's pod
 * template is core/v1's); a definition named twice is an error.
 *
 * <p>The schema is checked as it loads (every {@code $ref} must name a definition) so a broken schema fails at
 * startup, not on the first request that happens to reach the broken type.
 */
public final class SchemaRegistry {
    private static final String REF_PREFIX = "#/definitions/";
    /** The schema files, loaded in this order; the core group first. */
    static final List<String> RESOURCES = List.of("core-v1.yaml", "apps-v1.yaml", "coordination-v1.yaml", "autoscaling-v1.yaml");

    private final Map<String, Definition> definitions;
    private final Map<String, Definition> byKind;
    private final ObjectNode raw;

    private SchemaRegistry(ObjectNode raw) {
        this.raw = raw;
        Map<String, Definition> defs = new LinkedHashMap<>();
        Map<String, Definition> kinds = new LinkedHashMap<>();
        raw.properties().forEach(e -> {
            Definition d = definition(e.getKey(), e.getValue());
            defs.put(d.name(), d);
            for (GroupVersionKind gvk : d.kinds()) kinds.putIfAbsent(gvk.apiVersion() + "/" + gvk.kind(), d);
        });
        this.definitions = Collections.unmodifiableMap(defs);
        this.byKind = Collections.unmodifiableMap(kinds);
        List<String> dangling = new ArrayList<>();
        defs.values().forEach(d -> collectDangling(d.name(), d.schema(), dangling));
        if (!dangling.isEmpty()) throw new IllegalStateException("schema has unresolved $ref: " + dangling);
    }

    private static final class Holder {
        static final SchemaRegistry CORE = load(RESOURCES.stream().map(Holder::open).toArray(InputStream[]::new));

        private static InputStream open(String resource) {
            InputStream in = SchemaRegistry.class.getResourceAsStream(resource);
            if (in == null) throw new IllegalStateException("schema resource " + resource + " missing from the classpath");
            return in;
        }
    }

    /** The schema of everything Hypernetes serves, loaded once. */
    public static SchemaRegistry core() {
        return Holder.CORE;
    }

    /** Reads one schema file: a YAML (or JSON) document with a top-level {@code definitions} map. */
    public static SchemaRegistry load(InputStream yaml) {
        return load(new InputStream[] {yaml});
    }

    /**
     * Reads schema files, each a YAML (or JSON) document with a top-level {@code definitions} map, into one schema;
     * every stream is closed.
     */
    public static SchemaRegistry load(InputStream... yaml) {
        ObjectNode all = Json.object();
        try {
            for (InputStream in : yaml) {
                if (in == null) throw new IllegalStateException("schema resource missing from the classpath");
                try (in) {
                    JsonNode root = Json.YAML.readTree(in);
                    if (root == null || !(root.get("definitions") instanceof ObjectNode defs)) {
                        throw new IllegalStateException("schema file has no definitions map");
                    }
                    defs.properties().forEach(e -> {
                        if (all.has(e.getKey())) throw new IllegalStateException("schema defines " + e.getKey() + " twice");
                        all.set(e.getKey(), e.getValue());
                    });
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new SchemaRegistry(all);
    }

    public Optional<Definition> definition(String name) {
        return Optional.ofNullable(definitions.get(name));
    }

    /** The definition of the objects of a kind, e.g. ("v1", "Pod"); also list kinds such as PodList. */
    public Optional<Definition> forKind(String apiVersion, String kind) {
        return Optional.ofNullable(byKind.get(apiVersion + "/" + kind));
    }

    public Collection<Definition> definitions() {
        return definitions.values();
    }

    /** Follows {@link Schema.Ref}s to the shape they name; other schemas are returned as they are. */
    public Schema resolve(Schema schema) {
        Schema s = schema;
        for (int hops = 0; s instanceof Schema.Ref(String name); hops++) {
            Definition d = definitions.get(name);
            if (d == null || hops > 16) throw new IllegalStateException("cannot resolve $ref " + name);
            s = d.schema();
        }
        return s;
    }

    /** Strategic-merge-patch metadata for objects of the named definition. */
    public PatchMeta patchMeta(String definitionName) {
        Definition d = definitions.get(definitionName);
        return d == null ? PatchMeta.NONE : new SchemaPatchMeta(this, d.schema(), Set.of(), null);
    }

    /** A fresh copy of the definitions as written in the file, for the OpenAPI documents to rework. */
    public ObjectNode openApiDefinitions() {
        ObjectNode copy = raw.deepCopy();
        // x-protobuf is this server's wire bookkeeping, not part of the published Kubernetes schema.
        copy.forEach(SchemaRegistry::stripProtobuf);
        return copy;
    }

    private static void stripProtobuf(JsonNode definition) {
        if (!(definition instanceof ObjectNode d)) return;
        d.remove("x-protobuf");
        if (d.get("properties") instanceof ObjectNode props) props.forEach(p -> {
            if (p instanceof ObjectNode o) o.remove("x-protobuf");
        });
    }

    private static Definition definition(String name, JsonNode node) {
        List<GroupVersionKind> kinds = new ArrayList<>();
        for (JsonNode k : node.path("x-kubernetes-group-version-kind")) {
            kinds.add(new GroupVersionKind(k.path("group").asText(), k.path("version").asText(), k.path("kind").asText()));
        }
        return new Definition(name, node.path("description").asText(""), schema(node), kinds,
                node.path("x-protobuf").path("encoding").asText(null));
    }

    static Schema schema(JsonNode node) {
        if (node.has("$ref")) {
            String ref = node.get("$ref").asText();
            return new Schema.Ref(ref.startsWith(REF_PREFIX) ? ref.substring(REF_PREFIX.length()) : ref);
        }
        String format = node.path("format").asText(null);
        List<String> enums = new ArrayList<>();
        node.path("enum").forEach(v -> enums.add(v.asText()));
        if (node.has("oneOf")) {
            Set<String> types = new LinkedHashSet<>();
            node.get("oneOf").forEach(alt -> types.add(alt.path("type").asText()));
            return new Schema.Scalar(types, format, enums);
        }
        String type = node.path("type").asText("");
        return switch (type) {
            case "object" -> {
                if (node.has("properties")) {
                    Map<String, Property> props = new LinkedHashMap<>();
                    node.get("properties").properties().forEach(e -> props.put(e.getKey(), property(e.getKey(), e.getValue())));
                    List<String> required = new ArrayList<>();
                    node.path("required").forEach(r -> required.add(r.asText()));
                    yield new Schema.Struct(props, required, node.path("x-kubernetes-map-type").asText(null));
                }
                if (node.has("additionalProperties") && node.get("additionalProperties").isObject()) {
                    yield new Schema.MapOf(schema(node.get("additionalProperties")));
                }
                yield new Schema.Untyped();
            }
            case "array" -> new Schema.ListOf(schema(node.path("items")));
            case "string", "integer", "number", "boolean" -> new Schema.Scalar(Set.of(type), format, enums);
            default -> new Schema.Untyped();
        };
    }

    private static Property property(String name, JsonNode node) {
        String strategy = node.path("x-kubernetes-patch-strategy").asText("");
        Set<String> strategies = strategy.isEmpty() ? Set.of() : Set.copyOf(Arrays.asList(strategy.split(",")));
        List<String> keys = new ArrayList<>();
        node.path("x-kubernetes-list-map-keys").forEach(k -> keys.add(k.asText()));
        return new Property(name, node.path("description").asText(""), schema(node), strategies,
                node.path("x-kubernetes-patch-merge-key").asText(null), node.path("x-kubernetes-list-type").asText(null),
                keys, node.path("x-kubernetes-map-type").asText(null), protobufField(node.get("x-protobuf")),
                node.get("default"));
    }

    private static ProtobufField protobufField(JsonNode ext) {
        if (ext == null) return null;
        if (!ext.path("number").canConvertToInt() || ext.path("number").asInt() < 1) {
            throw new IllegalStateException("x-protobuf needs a positive number: " + ext);
        }
        return new ProtobufField(ext.get("number").asInt(), ext.path("inline").asInt(0),
                ext.path("keepZero").asBoolean(false), ext.path("wrapped").asBoolean(false));
    }

    private void collectDangling(String where, Schema schema, List<String> out) {
        switch (schema) {
            case Schema.Ref(String name) -> {
                if (!definitions.containsKey(name)) out.add(where + " -> " + name);
            }
            case Schema.Struct s -> s.properties().values().forEach(p -> collectDangling(where + "." + p.name(), p.schema(), out));
            case Schema.MapOf m -> collectDangling(where, m.values(), out);
            case Schema.ListOf l -> collectDangling(where, l.items(), out);
            case Schema.Scalar s -> {}
            case Schema.Untyped u -> {}
        }
    }
}
