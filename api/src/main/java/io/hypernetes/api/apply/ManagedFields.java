package io.hypernetes.api.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code metadata.managedFields} as entries with decoded field sets, and back. */
final class ManagedFields {
    private ManagedFields() {}

    static final String APPLY = "Apply";
    static final String UPDATE = "Update";

    /** One manager's fields. {@code subresource} is "" for the main resource; {@code time} may be null. */
    record Entry(String manager, String operation, String apiVersion, String time, String subresource, FieldSet fields) {
        /**
         * Which entries are the same owner, as Kubernetes keys them: an applier is one owner whatever apiVersion it
         * applied with; an updater is one per apiVersion. The subresource always separates owners.
         */
        String identity() {
            return operation + "\0" + manager + "\0" + subresource + "\0" + (operation.equals(APPLY) ? "" : apiVersion);
        }

        Entry withFields(FieldSet f) {
            return new Entry(manager, operation, apiVersion, time, subresource, f);
        }

        /** As Kubernetes names the owner in conflict messages. */
        String display() {
            String s = Json.string(Json.MAPPER.getNodeFactory().textNode(manager));
            if (!subresource.isEmpty()) s += " with subresource " + Json.string(Json.MAPPER.getNodeFactory().textNode(subresource));
            if (operation.equals(UPDATE)) s += " using " + apiVersion;
            return s;
        }
    }

    /** Whether a client asked to clear the list: {@code []} or {@code [{}]}. */
    static boolean isReset(JsonNode managed) {
        if (!(managed instanceof ArrayNode a)) return false;
        return a.isEmpty() || (a.size() == 1 && a.get(0) instanceof ObjectNode o && o.isEmpty());
    }

    /**
     * Decodes the list with Kubernetes' rules: operation Apply or Update, a non-empty apiVersion, fieldsType FieldsV1,
     * a well-formed fieldsV1. Anything else is an {@link IllegalArgumentException}. Absent means no entries.
     */
    static List<Entry> decode(JsonNode managed) {
        if (managed == null || managed.isNull() || managed.isMissingNode()) return List.of();
        if (!(managed instanceof ArrayNode a)) throw new IllegalArgumentException("managedFields must be a list");
        Map<String, Entry> out = new LinkedHashMap<>();
        for (int i = 0; i < a.size(); i++) {
            JsonNode e = a.get(i);
            if (!e.isObject()) throw new IllegalArgumentException("managed fields entry " + i + " must be an object");
            String op = e.path("operation").asText("");
            if (!op.equals(APPLY) && !op.equals(UPDATE)) throw new IllegalArgumentException("operation must be `Apply` or `Update`");
            String apiVersion = e.path("apiVersion").asText("");
            if (apiVersion.isEmpty()) throw new IllegalArgumentException("apiVersion must not be empty");
            String type = e.path("fieldsType").asText("");
            if (type.isEmpty()) throw new IllegalArgumentException("missing fieldsType in managed fields entry " + i);
            if (!type.equals("FieldsV1")) throw new IllegalArgumentException("invalid fieldsType \"" + type + "\" in managed fields entry " + i);
            String time = e.hasNonNull("time") ? e.get("time").asText() : null;
            Entry entry = new Entry(e.path("manager").asText(""), op, apiVersion, time, e.path("subresource").asText(""),
                    FieldSet.fromFieldsV1(e.get("fieldsV1")));
            out.put(entry.identity(), entry);
        }
        return List.copyOf(out.values());
    }

    /** The wire list in Kubernetes' order: appliers first, then by time, manager, apiVersion, subresource. */
    static ArrayNode encode(List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparing(Entry::operation)
                .thenComparing(e -> e.time() == null ? "" : e.time())
                .thenComparing(Entry::manager)
                .thenComparing(Entry::apiVersion)
                .thenComparing(Entry::subresource));
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (Entry e : sorted) {
            ObjectNode o = out.addObject();
            o.put("manager", e.manager()).put("operation", e.operation()).put("apiVersion", e.apiVersion());
            if (e.time() != null) o.put("time", e.time());
            o.put("fieldsType", "FieldsV1");
            o.set("fieldsV1", e.fields().toFieldsV1());
            if (!e.subresource().isEmpty()) o.put("subresource", e.subresource());
        }
        return out;
    }
}
