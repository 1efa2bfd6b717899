package io.hypernetes.api.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** Reads and writes {@code metadata} fields of an object held as a JSON tree. */
public final class Meta {
    private Meta() {}

    public static ObjectNode metadata(ObjectNode obj) {
        JsonNode m = obj.get("metadata");
        if (m instanceof ObjectNode o) return o;
        return obj.putObject("metadata");
    }

    public static String text(JsonNode obj, String field) {
        JsonNode m = obj.path("metadata").get(field);
        return m == null || m.isNull() ? "" : m.asText();
    }

    public static String name(JsonNode obj) {
        return text(obj, "name");
    }

    public static String namespace(JsonNode obj) {
        return text(obj, "namespace");
    }

    public static String uid(JsonNode obj) {
        return text(obj, "uid");
    }

    public static String resourceVersion(JsonNode obj) {
        return text(obj, "resourceVersion");
    }

    public static boolean deleting(JsonNode obj) {
        return !text(obj, "deletionTimestamp").isEmpty();
    }

    public static boolean hasFinalizers(JsonNode obj) {
        JsonNode f = obj.path("metadata").path("finalizers");
        return f.isArray() && !f.isEmpty();
    }

    /** Kubernetes' wire format for times: RFC 3339 in UTC, whole seconds. */
    public static String timestamp(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
    }
}
