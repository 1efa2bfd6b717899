package io.hypernetes.controllers.deployment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The {@code pod-template-hash} of a Deployment's pod template. Kubernetes hashes the Go struct's printed form
 * (spew) with FNV-1a 32, which cannot be reproduced outside Go; Hypernetes hashes the template's <b>canonical
 * JSON</b> instead (object keys sorted recursively, no whitespace, as stored after defaulting) with FNV-1a 32, then
 * the collision count (if any) as 4 little-endian bytes, as Kubernetes adds it, and encodes the decimal value
 * with Kubernetes' SafeEncodeString (each digit mapped into {@code bcdfghjklmnpqrstvwxz2456789}). Stable for one
 * template across restarts and versions; a different value than Kubernetes computes for the same template.
 */
public final class TemplateHash {
    public static final String LABEL = "pod-template-hash";
    private static final String ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

    private TemplateHash() {}

    public static String of(JsonNode template, Integer collisionCount) {
        int h = 0x811c9dc5;
        for (byte b : canonical(template).getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        if (collisionCount != null) {
            int c = collisionCount;
            for (int i = 0; i < 4; i++) {
                h ^= (c >>> (8 * i)) & 0xff;
                h *= 0x01000193;
            }
        }
        String decimal = Long.toString(Integer.toUnsignedLong(h));
        StringBuilder out = new StringBuilder();
        for (char ch : decimal.toCharArray()) out.append(ALPHANUMS.charAt(ch % ALPHANUMS.length()));
        return out.toString();
    }

    static String canonical(JsonNode node) {
        return Json.string(sorted(node));
    }

    static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            Collections.sort(names);
            ObjectNode out = Json.object();
            for (String n : names) out.set(n, sorted(node.get(n)));
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = Json.MAPPER.createArrayNode();
            node.forEach(e -> out.add(sorted(e)));
            return out;
        }
        return node;
    }

    /** Kubernetes' EqualIgnoreHash: the templates are equal once the pod-template-hash label is removed. */
    public static boolean equalIgnoringHash(JsonNode a, JsonNode b) {
        return canonical(stripHash(a)).equals(canonical(stripHash(b)));
    }

    private static JsonNode stripHash(JsonNode template) {
        JsonNode copy = template.deepCopy();
        if (copy.isObject() && copy.path("metadata").path("labels") instanceof ObjectNode labels) {
            labels.remove(LABEL);
            if (labels.isEmpty()) ((ObjectNode) copy.get("metadata")).remove("labels");
        }
        if (copy.isObject() && copy.path("metadata") instanceof ObjectNode m && m.isEmpty()) ((ObjectNode) copy).remove("metadata");
        return copy;
    }
}
