package io.hypernetes.api.schema;

import java.util.List;

/**
 * A named type of the schema.
 *
 * @param name the OpenAPI definition name, e.g. {@code io.k8s.api.core.v1.Pod}
 * @param kinds the kinds whose objects have this shape; empty for types that only appear inside others
 * @param protobufEncoding from {@code x-protobuf.encoding}: the hand-written protobuf form of a type such as
 *     Quantity or Time ("quantity", "intOrString", "time", "microTime", "rawJson"), or null for plain messages
 */
public record Definition(String name, String description, Schema schema, List<GroupVersionKind> kinds,
        String protobufEncoding) {

    public Definition {
        kinds = List.copyOf(kinds);
    }

    public String shortName() {
        return name.substring(name.lastIndexOf('.') + 1);
    }
}
