package io.hypernetes.hyperd.vm;

import com.fasterxml.jackson.databind.JsonNode;

/** An asynchronous QMP event, e.g. {@code DEVICE_DELETED} with {@code data.device}, or {@code SHUTDOWN}. */
public record QmpEvent(String name, JsonNode data) {
    /** {@code data.<field>} as text, or "" when absent. */
    public String field(String field) {
        JsonNode value = data == null ? null : data.get(field);
        return value == null ? "" : value.asText();
    }
}
