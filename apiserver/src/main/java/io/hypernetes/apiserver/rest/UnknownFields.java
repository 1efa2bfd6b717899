package io.hypernetes.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Drops fields the schema does not know from a request object, as Kubernetes' typed decoding does under
 * fieldValidation Warn and Ignore. Paths are the strict decoder's ({@code spec.containers[0].foo}); map keys may
 * themselves hold dots, so each step matches the longest key present.
 */
final class UnknownFields {
    private UnknownFields() {}

    static void prune(ObjectNode obj, List<String> paths) {
        for (String path : paths) remove(obj, path);
    }

    /** Removes the field at {@code path} below {@code node}; a path that does not resolve is left alone. */
    private static void remove(JsonNode node, String path) {
        if (node instanceof ArrayNode array) {
            if (!path.startsWith("[")) return;
            int close = path.indexOf(']');
            if (close < 0) return;
            int index;
            try {
                index = Integer.parseInt(path.substring(1, close));
            } catch (NumberFormatException e) {
                return;
            }
            String rest = path.substring(close + 1);
            if (rest.startsWith(".")) rest = rest.substring(1);
            if (index >= 0 && index < array.size() && !rest.isEmpty()) remove(array.get(index), rest);
            return;
        }
        if (!(node instanceof ObjectNode object)) return;
        if (object.has(path)) {
            object.remove(path);
            return;
        }
        // the longest key that is a prefix of the path ending where a step ends
        for (int end = path.length() - 1; end > 0; end--) {
            char c = path.charAt(end);
            if (c != '.' && c != '[') continue;
            String key = path.substring(0, end);
            if (object.has(key)) {
                remove(object.get(key), c == '.' ? path.substring(end + 1) : path.substring(end));
                return;
            }
        }
    }
}
