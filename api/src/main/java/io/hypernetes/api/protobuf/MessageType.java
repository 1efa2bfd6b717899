package io.hypernetes.api.protobuf;

import io.hypernetes.api.schema.Definition;
import io.hypernetes.api.schema.Property;
import io.hypernetes.api.schema.Schema;
import io.hypernetes.api.schema.SchemaRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The protobuf message of one schema definition: its fields by JSON name and by number, with the fields Go
 * inlines grouped under the number of the nested message that carries them.
 *
 * @param outer fields directly in this message, by number
 * @param inlined nested messages that carry Go-inlined fields: number of the carrier to its fields by number
 * @param byJson every field by JSON name
 * @param ordered the numbers in ascending order as the encoder writes them (carriers included)
 */
record MessageType(String name, Map<Integer, Shape.Field> outer, Map<Integer, Map<Integer, Shape.Field>> inlined,
        Map<String, Shape.Field> byJson, List<Integer> ordered) {

    /** TypeMeta is carried by the envelope, not by the message. */
    private static final Set<String> TYPE_META = Set.of("apiVersion", "kind");

    static MessageType compile(SchemaRegistry registry, Definition def) {
        if (!(def.schema() instanceof Schema.Struct struct)) {
            throw new IllegalStateException(def.name() + " has no properties to encode as a protobuf message");
        }
        Map<Integer, Shape.Field> outer = new TreeMap<>();
        Map<Integer, Map<Integer, Shape.Field>> inlined = new TreeMap<>();
        Map<String, Shape.Field> byJson = new LinkedHashMap<>();
        for (Property p : struct.properties().values()) {
            if (p.protobuf() == null) {
                if (TYPE_META.contains(p.name())) continue;
                throw new IllegalStateException(def.name() + "." + p.name() + " has no x-protobuf number");
            }
            var pb = p.protobuf();
            Shape shape = shape(registry, def.name() + "." + p.name(), p.schema(), pb.wrapped());
            Shape.Field f = new Shape.Field(p.name(), pb.number(), pb.inline(), pb.keepZero(), shape);
            Map<Integer, Shape.Field> into = pb.inline() == 0 ? outer : inlined.computeIfAbsent(pb.inline(), k -> new TreeMap<>());
            if (into.put(pb.number(), f) != null) {
                throw new IllegalStateException(def.name() + "." + p.name() + " reuses protobuf number " + pb.number());
            }
            byJson.put(p.name(), f);
        }
        for (int carrier : inlined.keySet()) {
            if (outer.containsKey(carrier)) {
                throw new IllegalStateException(def.name() + ": number " + carrier + " is both a field and an inline carrier");
            }
        }
        List<Integer> ordered = new ArrayList<>(outer.keySet());
        ordered.addAll(inlined.keySet());
        Collections.sort(ordered);
        return new MessageType(def.name(), Collections.unmodifiableMap(outer), Collections.unmodifiableMap(inlined),
                Collections.unmodifiableMap(byJson), List.copyOf(ordered));
    }

    private static Shape shape(SchemaRegistry registry, String where, Schema schema, boolean wrapped) {
        return switch (schema) {
            case Schema.ListOf(Schema items) -> new Shape.Repeated(element(registry, where, items), wrapped);
            case Schema.MapOf(Schema values) -> new Shape.Entries(element(registry, where, values));
            default -> {
                if (wrapped) throw new IllegalStateException(where + " is wrapped but not a list");
                yield element(registry, where, schema);
            }
        };
    }

    private static Shape element(SchemaRegistry registry, String where, Schema schema) {
        return switch (schema) {
            case Schema.Ref ref -> {
                Definition d = registry.definition(ref.name())
                        .orElseThrow(() -> new IllegalStateException(where + " refers to unknown " + ref.name()));
                if (d.protobufEncoding() != null) yield new Shape.Special(Shape.Encoding.of(d.protobufEncoding()));
                if (d.schema() instanceof Schema.Struct) yield new Shape.Message(d.name());
                throw new IllegalStateException(where + ": " + d.name() + " has neither properties nor an x-protobuf encoding");
            }
            case Schema.Scalar s when s.types().size() == 1 -> switch (s.types().iterator().next()) {
                case "string" -> "byte".equals(s.format()) ? new Shape.Bytes() : new Shape.Text();
                case "integer" -> new Shape.Integer(!"int64".equals(s.format()));
                case "boolean" -> new Shape.Bool();
                default -> throw new IllegalStateException(where + ": no protobuf form for " + s.types());
            };
            default -> throw new IllegalStateException(where + ": no protobuf form for " + schema);
        };
    }
}
