package io.hypernetes.identity.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a route answers, before it is written: routes return values rather than writing to the exchange, so a
 * {@code HEAD} can run its {@code GET} and send the same status and headers without the body.
 *
 * @param body the JSON body, or null for none (204, {@code HEAD})
 */
record Reply(int status, JsonNode body, Map<String, String> headers) {
    Reply {
        headers = Map.copyOf(headers);
    }

    static Reply json(int status, JsonNode body) {
        return new Reply(status, body, Map.of());
    }

    static Reply ok(JsonNode body) {
        return json(200, body);
    }

    static Reply noContent() {
        return new Reply(204, null, Map.of());
    }

    Reply withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new Reply(status, body, more);
    }
}
