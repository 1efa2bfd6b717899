package io.hypernetes.identity.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * Reading request bodies strictly: a wrong type, a missing field or a field this service cannot keep is a 400
 * that names the field, before anything is written. Keystone validates with JSON schemas and words refusals as
 * "Invalid input for field ..."; so do these.
 */
final class Fields {
    private Fields() {}

    /** Parses {@code {"<key>": {...}}} and returns the inner object; nothing else may be at the top. */
    static ObjectNode entity(byte[] body, String key) {
        JsonNode root = parse(body);
        if (!(root instanceof ObjectNode object) || !object.has(key)) {
            throw bad("Expecting to find " + key + " in request body.");
        }
        only(object, "", Set.of(key));
        if (!(object.get(key) instanceof ObjectNode inner)) throw invalid(key, "is not an object");
        return inner;
    }

    static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) throw bad("The request body is empty; expected a JSON object.");
        try {
            return Json.parse(body);
        } catch (IOException e) {
            // Jackson's message quotes the input near the error, which helps and is bounded in length
            String why = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            throw bad("Malformed JSON in request body: " + truncate(why, 200));
        }
    }

    /** Refuses members outside {@code allowed}: a value this service would silently drop is an error instead. */
    static void only(ObjectNode object, String path, Set<String> allowed) {
        for (var it = object.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw bad("Invalid input for field '" + path + printable(name) + "': this service does not support it"
                        + " (supported: " + String.join(", ", allowed.stream().sorted().toList()) + ").");
            }
        }
    }

    /** A string member, absent or null meaning empty. */
    static Optional<String> string(ObjectNode object, String path, String field) {
        JsonNode v = object.get(field);
        if (v == null || v.isNull()) return Optional.empty();
        if (!v.isTextual()) throw invalid(path + field, "is not a string");
        return Optional.of(v.textValue());
    }

    static String requiredString(ObjectNode object, String path, String field) {
        return string(object, path, field).orElseThrow(() -> invalid(path + field, "is required"));
    }

    static Optional<Boolean> bool(ObjectNode object, String path, String field) {
        JsonNode v = object.get(field);
        if (v == null) return Optional.empty();
        if (!v.isBoolean()) throw invalid(path + field, "is not a boolean");
        return Optional.of(v.booleanValue());
    }

    /** An object member, absent or null meaning empty. */
    static Optional<ObjectNode> object(ObjectNode object, String path, String field) {
        JsonNode v = object.get(field);
        if (v == null || v.isNull()) return Optional.empty();
        if (!(v instanceof ObjectNode o)) throw invalid(path + field, "is not an object");
        return Optional.of(o);
    }

    /**
     * A member Keystone has but this service does not keep (tags, options, extra attributes): accepted only when
     * it says nothing (absent, null, empty), so clients that always send an empty one still work.
     */
    static void emptyOnly(ObjectNode object, String path, String field) {
        JsonNode v = object.get(field);
        if (v == null || v.isNull() || (v.isContainerNode() && v.isEmpty()) || (v.isTextual() && v.textValue().isEmpty())) {
            return;
        }
        throw invalid(path + field, "is not supported by this service (only an empty value is accepted)");
    }

    static KeystoneError invalid(String field, String why) {
        return bad("Invalid input for field '" + field + "': " + why + ".");
    }

    static KeystoneError bad(String message) {
        return new KeystoneError(400, message);
    }

    /** Request text echoed in a message: bounded, and without control characters that could forge log lines. */
    static String printable(String s) {
        return truncate(s, 64).replaceAll("\\p{Cntrl}", "?");
    }

    private static String truncate(String s, int max) {
        return s.length() > max ? s.substring(0, max) + "…" : s;
    }
}
