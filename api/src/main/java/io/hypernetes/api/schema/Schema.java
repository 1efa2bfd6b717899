package io.hypernetes.api.schema;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The shape of a value, as the schema file declares it. Named types stay {@link Ref}s so that the model mirrors
 * the file one to one; {@link SchemaRegistry#resolve} follows them.
 */
public sealed interface Schema {

    /** An object with declared fields; any other key is an unknown field. */
    record Struct(Map<String, Property> properties, List<String> required, String mapType) implements Schema {
        public Struct {
            properties = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(properties));
            required = List.copyOf(required);
        }

        public Optional<Property> property(String name) {
            return Optional.ofNullable(properties.get(name));
        }
    }

    /** An object whose keys are free (labels, data, resource lists) and whose values all have one shape. */
    record MapOf(Schema values) implements Schema {}

    record ListOf(Schema items) implements Schema {}

    /**
     * A JSON scalar. More than one type means either is accepted: IntOrString takes integer or string,
     * Quantity string or number.
     */
    record Scalar(Set<String> types, String format, List<String> enumValues) implements Schema {
        public Scalar {
            types = Set.copyOf(types);
            enumValues = List.copyOf(enumValues);
        }

        public boolean accepts(String type) {
            return types.contains(type);
        }
    }

    /** A named definition, e.g. {@code io.k8s.api.core.v1.Container}. */
    record Ref(String name) implements Schema {
        /** The name without its package, as Go and kubectl print it: {@code Container}. */
        public String shortName() {
            return name.substring(name.lastIndexOf('.') + 1);
        }
    }

    /** Anything goes: embedded objects (RawExtension) and server-side-apply field sets (FieldsV1). */
    record Untyped() implements Schema {}
}
