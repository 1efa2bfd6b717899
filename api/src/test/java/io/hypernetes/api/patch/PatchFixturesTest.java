package io.hypernetes.api.patch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table-driven cases from the YAML fixtures next to this class. Every case also checks that neither input
 * is modified and that the result shares no nodes with them.
 */
class PatchFixturesTest {
    private static final PatchMeta WORKLOADS = TestMeta.workloads();

    static Stream<Arguments> jsonPatch() {
        return cases("json-patch.yaml");
    }

    static Stream<Arguments> mergePatch() {
        return cases("merge-patch.yaml");
    }

    static Stream<Arguments> strategicMergePatch() {
        return cases("strategic-merge-patch.yaml");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jsonPatch")
    void jsonPatch(String name, JsonNode c) {
        run(c, JsonPatch::apply, JsonPatch::apply);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mergePatch")
    void mergePatch(String name, JsonNode c) {
        run(c, JsonMergePatch::apply, JsonMergePatch::apply);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategicMergePatch")
    void strategicMergePatch(String name, JsonNode c) {
        run(c, (o, p) -> StrategicMergePatch.apply((ObjectNode) o, p, WORKLOADS),
                (o, p) -> StrategicMergePatch.apply((ObjectNode) o, p, WORKLOADS));
    }

    private static void run(JsonNode c, BiFunction<JsonNode, JsonNode, JsonNode> onTree,
                            BiFunction<JsonNode, byte[], JsonNode> onBytes) {
        JsonNode original = c.get("original");
        JsonNode originalBefore = original.deepCopy();
        JsonNode patch = c.get("patch");
        JsonNode patchBefore = patch == null ? null : patch.deepCopy();
        byte[] body = c.has("patchJson") ? c.get("patchJson").asText().getBytes(StandardCharsets.UTF_8) : null;

        if (c.has("error")) {
            PatchException e = catchThrowableOfType(PatchException.class,
                    () -> apply(original, patch, body, onTree, onBytes));
            assertThat(e).as("expected a PatchException").isNotNull();
            assertThat(e.code()).as(e.getMessage()).isEqualTo(c.get("error").get("code").asInt());
            assertThat(e.getMessage()).contains(c.get("error").get("contains").asText());
        } else {
            JsonNode result = apply(original, patch, body, onTree, onBytes);
            JsonNode expected = c.get("result");
            assertThat(Trees.equal(result, expected))
                    .as("expected %s%n     got %s", Json.string(expected), Json.string(result))
                    .isTrue();
            // Editing the result must not reach back into the inputs.
            scribble(result);
        }
        assertThat(original).as("original was modified").isEqualTo(originalBefore);
        if (patch != null) assertThat(patch).as("patch was modified").isEqualTo(patchBefore);
    }

    private static JsonNode apply(JsonNode original, JsonNode patch, byte[] body,
                                  BiFunction<JsonNode, JsonNode, JsonNode> onTree,
                                  BiFunction<JsonNode, byte[], JsonNode> onBytes) {
        return body != null ? onBytes.apply(original, body) : onTree.apply(original, patch);
    }

    private static void scribble(JsonNode node) {
        if (node instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            names.forEach(n -> scribble(o.get(n)));
            o.put("scribbled", true);
        } else if (node instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
            a.forEach(PatchFixturesTest::scribble);
            a.add("scribbled");
        }
    }

    private static Stream<Arguments> cases(String file) {
        try (InputStream in = PatchFixturesTest.class.getResourceAsStream(file)) {
            JsonNode all = Json.YAML.readTree(in);
            List<Arguments> out = new ArrayList<>();
            all.forEach(c -> out.add(Arguments.of(c.get("name").asText(), c)));
            return out.stream();
        } catch (IOException e) {
            throw new IllegalStateException(file, e);
        }
    }
}
