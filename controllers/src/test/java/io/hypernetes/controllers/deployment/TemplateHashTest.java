package io.hypernetes.controllers.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import org.junit.jupiter.api.Test;

class TemplateHashTest {
    @Test
    void stableOverKeyOrderChangedByCollisionsAndSafeEncoded() throws Exception {
        JsonNode a = Json.parse("{\"metadata\":{\"labels\":{\"app\":\"x\",\"tier\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}".getBytes());
        JsonNode b = Json.parse("{\"spec\":{\"containers\":[{\"image\":\"nginx\",\"name\":\"c\"}]},\"metadata\":{\"labels\":{\"tier\":\"web\",\"app\":\"x\"}}}".getBytes());
        assertThat(TemplateHash.of(a, null)).isEqualTo(TemplateHash.of(b, null)).matches("[bcdfghjklmnpqrstvwxz2456789]{1,10}");
        assertThat(TemplateHash.of(a, 1)).isNotEqualTo(TemplateHash.of(a, null));
        JsonNode c = Json.parse("{\"metadata\":{\"labels\":{\"app\":\"x\",\"tier\":\"web\",\"pod-template-hash\":\"abc\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}".getBytes());
        assertThat(TemplateHash.equalIgnoringHash(a, c)).isTrue();
        JsonNode d = Json.parse("{\"metadata\":{\"labels\":{\"app\":\"x\",\"tier\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:2\"}]}}".getBytes());
        assertThat(TemplateHash.equalIgnoringHash(a, d)).isFalse();
    }

    @Test
    void surgeRoundsUpAndUnavailableRoundsDown() {
        assertThat(DeploymentController.intOrPercent(Json.MAPPER.getNodeFactory().textNode("25%"), 10, true, 0)).isEqualTo(3);
        assertThat(DeploymentController.intOrPercent(Json.MAPPER.getNodeFactory().textNode("25%"), 10, false, 0)).isEqualTo(2);
        assertThat(DeploymentController.intOrPercent(Json.MAPPER.getNodeFactory().numberNode(1), 10, false, 0)).isEqualTo(1);
    }
}
