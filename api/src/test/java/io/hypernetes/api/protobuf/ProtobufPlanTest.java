package io.hypernetes.api.protobuf;

import static io.hypernetes.api.protobuf.ProtobufRoundTripTest.yaml;
import static io.hypernetes.api.protobuf.ProtobufWireTest.b;
import static io.hypernetes.api.protobuf.ProtobufWireTest.cat;
import static io.hypernetes.api.protobuf.ProtobufWireTest.envelope;
import static io.hypernetes.api.protobuf.ProtobufWireTest.len;
import static io.hypernetes.api.protobuf.ProtobufWireTest.lenAny;
import static io.hypernetes.api.protobuf.ProtobufWireTest.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.schema.SchemaRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The paths the compiled plans and the in-place writer add: sparse field numbers, self-referencing messages and
 * deep nesting, lengths of every varint size, non-ASCII text, unsorted maps, and byte offsets in errors.
 */
class ProtobufPlanTest {
    private static final Protobuf PB = Protobuf.core();

    /** A schema of its own: a node that contains itself, a field numbered far beyond any dense table, an inlined one. */
    private static final Protobuf TREE = new Protobuf(SchemaRegistry.load(new ByteArrayInputStream("""
            definitions:
              test.Tree:
                type: object
                x-kubernetes-group-version-kind:
                - {group: '', version: v1, kind: Tree}
                properties:
                  apiVersion: {type: string}
                  kind: {type: string}
                  name: {type: string, x-protobuf: {number: 1}}
                  child: {$ref: '#/definitions/test.Tree', x-protobuf: {number: 2}}
                  far: {type: string, x-protobuf: {number: 5000}}
                  carried: {type: integer, format: int32, x-protobuf: {number: 2000, inline: 3000}}
                  tags: {type: array, items: {type: string}, x-protobuf: {number: 4}}
            """.getBytes(StandardCharsets.UTF_8))));

    private static ObjectNode tree(int depth) {
        ObjectNode root = yaml("{apiVersion: v1, kind: Tree, name: n0, far: f, carried: 7, tags: [a, b]}");
        ObjectNode at = root;
        for (int i = 1; i < depth; i++) at = at.putObject("child").put("name", "n" + i).put("far", "f" + i).put("carried", i);
        return root;
    }

    @Test
    void sparseFieldNumbersAndCarriersTravel() {
        ObjectNode t = yaml("{apiVersion: v1, kind: Tree, name: x, far: y, carried: 5}");
        byte[] wire = TREE.encode(t);
        // far = 5000: tag 40002 as a three-byte varint; carrier 3000 (tag 24002) holds carried = 2000 (tag 16000).
        assertThat(ProtobufRoundTripTest.indexOf(wire, b(0xc2, 0xb8, 0x02, 0x01, 'y'))).isPositive();
        assertThat(ProtobufRoundTripTest.indexOf(wire, b(0xc2, 0xbb, 0x01, 0x03, 0x80, 0x7d, 0x05))).isPositive();
        assertThat(TREE.decode(wire)).isEqualTo(t);
    }

    @Test
    void selfReferenceNestsUpToTheLimitOnBothSides() {
        // The envelope's message is depth 1 and each tree's inline carrier one more, so 99 nested trees is the
        // deepest that reads back; each level parks five fields, far more than the encoder's first scratch array.
        ObjectNode deep = tree(99);
        assertThat(TREE.decode(TREE.encode(deep))).isEqualTo(deep);
        assertThatThrownBy(() -> TREE.decode(TREE.encode(tree(100)))).isInstanceOf(ProtobufException.class)
                .hasMessageContaining("deeper than 100");
        assertThatThrownBy(() -> TREE.encode(tree(101))).isInstanceOf(ProtobufException.class).hasMessageContaining("deeper than 100");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 120, 127, 128, 129, 16_371, 16_383, 16_384, 2_097_152, 3_000_000})
    void lengthsOfEverySizeMatchAHandBuiltMessage(int size) {
        String value = "v".repeat(size);
        ObjectNode cm = yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}");
        cm.putObject("data").put("k", value);
        byte[] raw = cat(lenAny(1, str(1, "c")), lenAny(2, cat(str(1, "k"), lenAny(2, value.getBytes(StandardCharsets.UTF_8)))));
        byte[] expected = cat(b('k', '8', 's', 0), len(1, cat(str(1, "v1"), str(2, "ConfigMap"))), lenAny(2, raw), b(0x1a, 0, 0x22, 0));
        assertThat(PB.encode(cm)).isEqualTo(expected);
        assertThat(PB.decode(expected)).isEqualTo(cm);
    }

    @Test
    void textOutsideAsciiIsUtf8() {
        String[] values = {"grüße", "日本語", "emoji 🚀 ok", "é".repeat(100), "mixed ascii then ü at the end"};
        for (String v : values) {
            ObjectNode ns = yaml("{apiVersion: v1, kind: Namespace}");
            ns.putObject("metadata").put("name", v);
            byte[] utf8 = v.getBytes(StandardCharsets.UTF_8);
            assertThat(PB.encode(ns)).isEqualTo(cat(b('k', '8', 's', 0), len(1, cat(str(1, "v1"), str(2, "Namespace"))),
                    lenAny(2, lenAny(1, lenAny(1, utf8))), b(0x1a, 0, 0x22, 0)));
            assertThat(PB.decode(PB.encode(ns))).isEqualTo(ns);
        }
        // An unpaired surrogate cannot be UTF-8: it travels as '?', as String.getBytes writes it.
        ObjectNode broken = yaml("{apiVersion: v1, kind: Namespace}");
        broken.putObject("metadata").put("name", "a\uD800b");
        assertThat(PB.decode(PB.encode(broken)).at("/metadata/name").asText()).isEqualTo("a?b");
    }

    @Test
    void mapKeysAreSortedWhateverTheirOrder() {
        ObjectNode sorted = yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {a: '1', b: '2', c: '3'}}, data: {x: y}}");
        ObjectNode shuffled = yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {c: '3', a: '1', b: '2'}}, data: {x: y}}");
        assertThat(PB.encode(shuffled)).isEqualTo(PB.encode(sorted));
        // Keys compare as Java strings (UTF-16 code units), as the TreeMap the encoder used before did.
        ObjectNode odd = yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {'b': '1', 'B': '2', 'é': '3', 'a': '4', '': '5'}}");
        byte[] wire = PB.encode(odd);
        int[] at = {indexOfKey(wire, ""), indexOfKey(wire, "B"), indexOfKey(wire, "a"), indexOfKey(wire, "b"), indexOfKey(wire, "é")};
        for (int i = 1; i < at.length; i++) assertThat(at[i]).isGreaterThan(at[i - 1]);
        assertThat(PB.decode(wire)).isEqualTo(odd);
    }

    private static int indexOfKey(byte[] wire, String key) {
        // An entry of data (field 2 of ConfigMap) starts with its key as field 1.
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        return ProtobufRoundTripTest.indexOf(wire, cat(b(0x0a, k.length), k, b(0x12)));
    }

    @Test
    void errorOffsetsCountFromTheObjectsOwnMessage() {
        // The truncated varint is byte 3 of the raw message, whatever precedes it in the envelope.
        byte[] wire = envelope("v1", "Pod", len(2, b(0x20, 0xff, 0xff)));
        assertThatThrownBy(() -> PB.decode(wire)).isInstanceOf(ProtobufException.class).hasMessageContaining("at byte 3");
    }

    @Test
    void watchEventEmbedsExactlyTheEnvelopeEncodeWrites() {
        ObjectNode cm = yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: x, namespace: demo}, data: {a: b}}");
        cm.with("data").put("big", "z".repeat(300));
        assertThat(PB.encodeWatchEvent("MODIFIED", cm)).isEqualTo(cat(str(1, "MODIFIED"), lenAny(2, lenAny(1, PB.encode(cm)))));
    }

    @Test
    void timesOutsideWhatGoCanShowAreRejected() {
        // ObjectMeta.creationTimestamp = 8 with seconds = -62135596801, one second before year 1.
        byte[] early = cat(b(0x08), varint(-62_135_596_801L));
        assertThatThrownBy(() -> PB.decode(envelope("v1", "Namespace", len(1, len(8, early)))))
                .isInstanceOf(ProtobufException.class).hasMessageContaining("metadata.creationTimestamp").hasMessageContaining("out of range");
        byte[] late = cat(b(0x08), varint(253_402_300_800L));
        assertThatThrownBy(() -> PB.decode(envelope("v1", "Namespace", len(1, len(8, late)))))
                .isInstanceOf(ProtobufException.class).hasMessageContaining("out of range");
        // Event.eventTime = 10 is a MicroTime: negative nanos are out of range, nanos below a microsecond are dropped.
        byte[] negative = cat(b(0x08, 0x00, 0x10), varint(-1));
        assertThatThrownBy(() -> PB.decode(envelope("v1", "Event", len(10, negative))))
                .isInstanceOf(ProtobufException.class).hasMessageContaining("nanos -1 out of range");
        byte[] fine = cat(b(0x08, 0x00, 0x10), varint(123_456_789));
        assertThat(PB.decode(envelope("v1", "Event", len(10, fine))).get("eventTime").asText()).isEqualTo("1970-01-01T00:00:00.123456Z");
        // A Time drops nanos entirely; the last second of year 9999 still shows.
        byte[] last = cat(b(0x08), varint(253_402_300_799L), b(0x10, 0x05));
        assertThat(PB.decode(envelope("v1", "Namespace", len(1, len(8, last)))).at("/metadata/creationTimestamp").asText())
                .isEqualTo("9999-12-31T23:59:59Z");
    }

    @Test
    void timesWithOffsetsOrOddFractionsStillEncode() {
        ObjectNode event = yaml("""
                {apiVersion: v1, kind: Event, metadata: {name: e, creationTimestamp: "2024-02-29T23:30:00-01:00"},
                 eventTime: "0001-01-01T00:00:00.9Z", lastTimestamp: "2024-01-02T15:04:05.Z"}""");
        ObjectNode back = PB.decode(PB.encode(event));
        assertThat(back.at("/metadata/creationTimestamp").asText()).isEqualTo("2024-03-01T00:30:00Z");
        assertThat(back.get("eventTime").asText()).isEqualTo("0001-01-01T00:00:00.900000Z");
        assertThat(back.get("lastTimestamp").asText()).isEqualTo("2024-01-02T15:04:05Z");
        assertThatThrownBy(() -> PB.encode(yaml("{apiVersion: v1, kind: Event, metadata: {name: e}, eventTime: '2023-02-29T00:00:00Z'}")))
                .isInstanceOf(ProtobufException.class).hasMessageContaining("eventTime").hasMessageContaining("not an RFC 3339 time");
    }

    @Test
    void aLargeBodyDoesNotDisturbTheNextSmallOne() {
        ObjectNode big = yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: big}}");
        big.putObject("data").put("k", "x".repeat(1 << 20));
        ObjectNode small = yaml("{apiVersion: v1, kind: Namespace, metadata: {name: demo}}");
        byte[] before = PB.encode(small);
        assertThat(PB.decode(PB.encode(big))).isEqualTo(big);
        assertThat(PB.encode(small)).isEqualTo(before).hasSize(before.length);
    }

    private static byte[] varint(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }
}
