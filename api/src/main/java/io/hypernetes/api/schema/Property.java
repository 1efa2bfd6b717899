package io.hypernetes.api.schema;

import java.util.List;
import java.util.Set;

/**
 * One field of a {@link Schema.Struct}, with the list and patch semantics Kubernetes attaches to fields rather
 * than to types ({@code x-kubernetes-*} extensions in OpenAPI).
 *
 * @param patchStrategies from {@code x-kubernetes-patch-strategy}: any of "merge", "replace", "retainKeys"
 * @param mergeKey from {@code x-kubernetes-patch-merge-key}, or null
 * @param listType from {@code x-kubernetes-list-type} ("atomic", "set", "map"), or null
 * @param listMapKeys from {@code x-kubernetes-list-map-keys}
 * @param mapType from {@code x-kubernetes-map-type} ("atomic", "granular"), or null
 * @param protobuf from {@code x-protobuf}, or null for fields protobuf does not carry (apiVersion, kind)
 * @param defaultValue from {@code default}, or null; server-side apply needs it for list-map keys a client may
 *     omit (a container port's protocol)
 */
public record Property(
        String name,
        String description,
        Schema schema,
        Set<String> patchStrategies,
        String mergeKey,
        String listType,
        List<String> listMapKeys,
        String mapType,
        ProtobufField protobuf,
        com.fasterxml.jackson.databind.JsonNode defaultValue) {

    public Property {
        patchStrategies = Set.copyOf(patchStrategies);
        listMapKeys = List.copyOf(listMapKeys);
    }
}
