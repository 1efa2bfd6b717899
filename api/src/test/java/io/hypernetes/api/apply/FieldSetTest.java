package io.hypernetes.api.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** FieldsV1 decoding and encoding, and the paths as Kubernetes prints them. */
class FieldSetTest {

    static JsonNode json(String s) {
        try {
            return Json.parse(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** FieldsV1 text, and the member paths it holds in order. */
    static Stream<Arguments> roundTrips() {
        return Stream.of(
                Arguments.of("{}", List.of()),
                Arguments.of("{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}}}",
                        List.of(".metadata.labels", ".metadata.labels.app")),
                Arguments.of("{\"f:metadata\":{\"f:labels\":{\"f:app.kubernetes.io/name\":{}}}}",
                        List.of(".metadata.labels.app.kubernetes.io/name")),
                Arguments.of("{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"nginx\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{}}}}}",
                        List.of(".spec.containers[name=\"nginx\"]", ".spec.containers[name=\"nginx\"].image",
                                ".spec.containers[name=\"nginx\"].name")),
                Arguments.of("{\"f:ports\":{\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{}}}",
                        List.of(".ports[containerPort=80,protocol=\"TCP\"]")),
                Arguments.of("{\"f:metadata\":{\"f:finalizers\":{\".\":{},\"v:\\\"a\\\"\":{},\"v:\\\"b\\\"\":{}}}}",
                        List.of(".metadata.finalizers", ".metadata.finalizers[=\"a\"]", ".metadata.finalizers[=\"b\"]")),
                Arguments.of("{\"f:items\":{\"i:0\":{},\"i:10\":{}}}", List.of(".items[0]", ".items[10]")));
    }

    @ParameterizedTest
    @MethodSource("roundTrips")
    void decodesAndEncodesAgain(String fieldsV1, List<String> paths) {
        FieldSet s = FieldSet.fromFieldsV1(json(fieldsV1));
        assertThat(s.paths()).extracting(FieldPath::toString).containsExactlyElementsOf(paths);
        assertThat(s.toFieldsV1()).isEqualTo(json(fieldsV1));
        assertThat(Json.string(s.toFieldsV1())).isEqualTo(Json.string(json(fieldsV1)));
    }

    @Test
    void encodingSortsFieldsThenKeysAndPutsDotFirst() {
        FieldSet s = FieldSet.of(FieldPath.of("spec", "b"), FieldPath.of("spec", "a"), FieldPath.of("spec"));
        assertThat(Json.string(s.toFieldsV1())).isEqualTo("{\"f:spec\":{\".\":{},\"f:a\":{},\"f:b\":{}}}");
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("[]", "must be a JSON object"),
                Arguments.of("{\"x:y\":{}}", "unknown FieldsV1 key"),
                Arguments.of("{\"f:a\":1}", "must be an object"),
                Arguments.of("{\"k:[1]\":{}}", "must hold a JSON object"),
                Arguments.of("{\"k:{oops\":{}}", "not valid JSON"),
                Arguments.of("{\"i:x\":{}}", "malformed"),
                Arguments.of("{\"f:a\":{\".\":{\"f:b\":{}}}}", "\".\" must be {}"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void rejectsWhatIsNotFieldsV1(String fieldsV1, String message) {
        assertThatThrownBy(() -> FieldSet.fromFieldsV1(json(fieldsV1))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void setAlgebraWorksOnMembersNotOnSubtrees() {
        FieldSet labels = FieldSet.of(FieldPath.of("metadata", "labels"), FieldPath.of("metadata", "labels", "app"));
        FieldSet app = FieldSet.of(FieldPath.of("metadata", "labels", "app"));
        assertThat(labels.difference(app).paths()).extracting(FieldPath::toString).containsExactly(".metadata.labels");
        assertThat(labels.intersection(app)).isEqualTo(app);
        assertThat(app.union(FieldSet.of(FieldPath.of("spec", "x"))).paths()).hasSize(2);
        assertThat(app.difference(app).isEmpty()).isTrue();
        assertThat(labels.has(FieldPath.of("metadata", "labels"))).isTrue();
        assertThat(app.has(FieldPath.of("metadata", "labels"))).isFalse();
    }
}
