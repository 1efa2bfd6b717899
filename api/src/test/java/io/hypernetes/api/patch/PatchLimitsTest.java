package io.hypernetes.api.patch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Limits, exception shape and aliasing that the YAML tables cannot express. */
class PatchLimitsTest {

    private static JsonNode json(String s) {
        return Trees.parse(s.getBytes(StandardCharsets.UTF_8));
    }

    private static ArrayNode ops(int n) {
        ArrayNode ops = Json.MAPPER.createArrayNode();
        for (int i = 0; i < n; i++) {
            ops.addObject().put("op", "test").put("path", "/a").put("value", 1);
        }
        return ops;
    }

    @Test
    void tenThousandOperationsAreAllowed() {
        assertThat(JsonPatch.apply(json("{\"a\":1}"), ops(JsonPatch.MAX_OPERATIONS))).isEqualTo(json("{\"a\":1}"));
    }

    @Test
    void moreOperationsThanKubernetesAllowsIs413() {
        PatchException e = catchThrowableOfType(PatchException.class,
                () -> JsonPatch.apply(json("{\"a\":1}"), ops(JsonPatch.MAX_OPERATIONS + 1)));
        assertThat(e.status()).isEqualTo(PatchException.Status.REQUEST_ENTITY_TOO_LARGE);
        assertThat(e.code()).isEqualTo(413);
        assertThat(e.status().reason).isEqualTo("RequestEntityTooLarge");
        assertThat(e.getMessage()).contains("10000", "10001");
    }

    @Test
    void copiesBeyondTheCopyBudgetAre422() {
        ObjectNode doc = Json.object();
        doc.put("big", "x".repeat(1 << 20));
        ArrayNode ops = Json.MAPPER.createArrayNode();
        for (int i = 0; i < 4; i++) {
            ops.addObject().put("op", "copy").put("from", "/big").put("path", "/c" + i);
        }
        PatchException e = catchThrowableOfType(PatchException.class, () -> JsonPatch.apply(doc, ops));
        assertThat(e.code()).isEqualTo(422);
        assertThat(e.getMessage()).contains("operation 2 (copy)");
        assertThat(doc.size()).isEqualTo(1);
    }

    @Test
    void exceptionNamesPathAndStatus() {
        PatchException e = catchThrowableOfType(PatchException.class,
                () -> JsonPatch.apply(json("{\"spec\":{}}"), json("[{\"op\":\"remove\",\"path\":\"/spec/replicas\"}]")));
        assertThat(e.path()).isEqualTo("/spec/replicas");
        assertThat(e.status()).isEqualTo(PatchException.Status.INVALID);
        assertThat(e.status().reason).isEqualTo("Invalid");
        assertThat(e.getMessage()).startsWith("/spec/replicas: operation 0 (remove)");

        PatchException smp = catchThrowableOfType(PatchException.class, () -> StrategicMergePatch.apply(
                (ObjectNode) json("{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}"),
                json("{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}"), TestMeta.workloads()));
        assertThat(smp.path()).isEqualTo("spec.containers");
        assertThat(smp.status()).isEqualTo(PatchException.Status.BAD_REQUEST);
    }

    @Test
    void resultsShareNoNodesWithThePatch() {
        JsonNode patch = json("[{\"op\":\"add\",\"path\":\"/m\",\"value\":{\"k\":[1]}}]");
        JsonNode result = JsonPatch.apply(json("{}"), patch);
        ((ArrayNode) result.get("m").get("k")).add(2);
        assertThat(patch.get(0).get("value").get("k").size()).isEqualTo(1);

        JsonNode merge = json("{\"m\":{\"k\":[1]}}");
        JsonNode merged = JsonMergePatch.apply(json("{}"), merge);
        ((ArrayNode) merged.get("m").get("k")).add(2);
        assertThat(merge.get("m").get("k").size()).isEqualTo(1);

        JsonNode smp = json("{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"x\"]}]}}");
        ObjectNode original = (ObjectNode) json("{\"spec\":{\"containers\":[{\"name\":\"b\"}]}}");
        ObjectNode patched = StrategicMergePatch.apply(original, smp, TestMeta.workloads());
        ((ObjectNode) patched.get("spec").get("containers").get(0)).put("image", "y");
        assertThat(smp).isEqualTo(json("{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"x\"]}]}}"));
        assertThat(original).isEqualTo(json("{\"spec\":{\"containers\":[{\"name\":\"b\"}]}}"));
    }

    @Test
    void nullMetaBehavesLikeNone() {
        ObjectNode result = StrategicMergePatch.apply((ObjectNode) json("{\"l\":[1],\"m\":{\"a\":1}}"),
                json("{\"l\":[2],\"m\":{\"b\":2}}"), null);
        assertThat(result).isEqualTo(json("{\"l\":[2],\"m\":{\"a\":1,\"b\":2}}"));
    }

    @Test
    void largeListsMergeQuickly() {
        ObjectNode original = Json.object();
        ArrayNode containers = original.putObject("spec").putArray("containers");
        ArrayNode patchList = Json.MAPPER.createArrayNode();
        ArrayNode order = Json.MAPPER.createArrayNode();
        for (int i = 0; i < 2000; i++) {
            containers.addObject().put("name", "c" + i).put("image", "old");
            order.addObject().put("name", "c" + (1999 - i));
            if (i % 10 == 0) patchList.addObject().put("name", "c" + (1999 - i)).put("image", "new");
        }
        ObjectNode patch = Json.object();
        patch.putObject("spec").set("containers", patchList);
        ((ObjectNode) patch.get("spec")).set("$setElementOrder/containers", order);
        long start = System.nanoTime();
        ObjectNode result = StrategicMergePatch.apply(original, patch, TestMeta.workloads());
        assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
        assertThat(result.get("spec").get("containers").get(0).get("name").asText()).isEqualTo("c1999");
        assertThat(result.get("spec").get("containers").size()).isEqualTo(2000);
    }
}
