package io.hypernetes.api.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;

/**
 * RFC 7386 JSON Merge Patch ({@code application/merge-patch+json}): objects merge member by member, a null
 * member deletes, anything else replaces.
 *
 * <p>Kubernetes-specific edges: a patch that is {@code null} or a bare string/number/boolean is rejected as
 * a bad request (400), while a list replaces the whole document (the caller's decoding of the result then
 * fails as 422 Invalid, as in Kubernetes). Values that land where nothing was merged have their null
 * members dropped at every depth, including inside lists, so a patch never stores explicit nulls.
 */
public final class JsonMergePatch {
    private JsonMergePatch() {}

    /** Parses {@code patch} as JSON and applies it; see {@link #apply(JsonNode, JsonNode)}. */
    public static JsonNode apply(JsonNode original, byte[] patch) {
        return apply(original, Trees.parse(patch));
    }

    /** Returns {@code original} with {@code patch} merged in; neither argument is modified. */
    public static JsonNode apply(JsonNode original, JsonNode patch) {
        Objects.requireNonNull(original, "original");
        if (patch == null || patch.isNull() || patch.isMissingNode()) {
            throw PatchException.badRequest("", "a merge patch must be a JSON object, not null");
        }
        if (!patch.isContainerNode()) {
            throw PatchException.badRequest("", "a merge patch must be a JSON object, not " + Trees.kind(patch));
        }
        return merge(original, patch);
    }

    private static JsonNode merge(JsonNode target, JsonNode patch) {
        if (!(patch instanceof ObjectNode patchObject)) return withoutNulls(patch);
        ObjectNode result = target instanceof ObjectNode t ? t.deepCopy() : Json.object();
        for (Iterator<Map.Entry<String, JsonNode>> it = patchObject.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNull()) {
                result.remove(e.getKey());
            } else {
                result.set(e.getKey(), merge(result.get(e.getKey()), e.getValue()));
            }
        }
        return result;
    }

    private static JsonNode withoutNulls(JsonNode node) {
        if (node instanceof ObjectNode object) {
            ObjectNode copy = Json.object();
            object.fields().forEachRemaining(e -> {
                if (!e.getValue().isNull()) copy.set(e.getKey(), withoutNulls(e.getValue()));
            });
            return copy;
        }
        if (node instanceof ArrayNode array) {
            ArrayNode copy = Json.MAPPER.createArrayNode();
            array.forEach(item -> copy.add(withoutNulls(item)));
            return copy;
        }
        return node.deepCopy();
    }
}
