package io.hypernetes.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StoredJsonTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"},\"spec\":{}}",
        "{\"metadata\":{},\"kind\":\"ConfigMap\"}",
        "{\"kind\":\"metadata\",\"data\":{\"metadata\":\"x\",\"k\\\"metadata\\\"\":\"{\\\"metadata\\\":{\"},\"metadata\":{\"name\":\"b\"}}",
        "{\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}}}},\"metadata\":{\"name\":\"c\",\"labels\":{\"x\":\"[{\"}}}",
        "{\"list\":[{\"metadata\":{}},[\"metadata\"]],\"metadata\":{\"name\":\"d\"}}"
    })
    void resourceVersionLandsInTheTopLevelMetadataOnly(String stored) throws Exception {
        byte[] spliced = StoredJson.withResourceVersion(stored.getBytes(StandardCharsets.UTF_8), 42);
        ObjectNode expected = (ObjectNode) Json.parse(stored.getBytes(StandardCharsets.UTF_8));
        expected.withObject("/metadata").put("resourceVersion", "42");
        assertThat(Json.parse(spliced)).isEqualTo(expected);
    }

    @Test
    void anObjectWithoutMetadataIsRefused() {
        assertThatThrownBy(() -> StoredJson.withResourceVersion("{\"kind\":\"Pod\"}".getBytes(StandardCharsets.UTF_8), 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
