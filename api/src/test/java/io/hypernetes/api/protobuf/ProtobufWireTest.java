package io.hypernetes.api.protobuf;

import static io.hypernetes.api.protobuf.ProtobufRoundTripTest.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Known-answer vectors (written by hand from the wire format, and captured from kubectl 1.33) and malformed input. */
class ProtobufWireTest {
    private static final Protobuf PB = Protobuf.core();
    private static final HexFormat HEX = HexFormat.of();

    // ---- a tiny writer for hand-made vectors: every byte below is spelled out from the protobuf spec

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    static byte[] b(int... bytes) {
        byte[] out = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = (byte) bytes[i];
        return out;
    }

    /** A length-delimited field whose length fits one byte: tag (number << 3 | 2), length, bytes. */
    static byte[] len(int number, byte[] body) {
        assertThat(body.length).isLessThan(128);
        return cat(b(number << 3 | 2, body.length), body);
    }

    static byte[] str(int number, String s) {
        return len(number, s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] envelope(String apiVersion, String kind, byte[] raw) {
        return cat(b('k', '8', 's', 0), len(1, cat(str(1, apiVersion), str(2, kind))), len(2, raw));
    }

    @Test
    void namespaceWrittenByHand() {
        // Unknown{typeMeta{apiVersion "v1", kind "Namespace"}, raw Namespace{metadata ObjectMeta{name "demo"}}}
        byte[] wire = b('k', '8', 's', 0,
                0x0a, 0x0f, 0x0a, 0x02, 'v', '1', 0x12, 0x09, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e',
                0x12, 0x08, 0x0a, 0x06, 0x0a, 0x04, 'd', 'e', 'm', 'o');
        ObjectNode ns = PB.decode(wire);
        assertThat(ns).isEqualTo(yaml("{apiVersion: v1, kind: Namespace, metadata: {name: demo}}"));
        // Encoding adds the empty contentEncoding (3) and contentType (4) that Go always writes.
        assertThat(PB.encode(ns)).isEqualTo(cat(wire, b(0x1a, 0x00, 0x22, 0x00)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // kubectl.1.33 create namespace kat3 -v=9 (request body)
        "namespace|6b3873000a0f0a02763112094e616d657370616365121c0a140a046b61743312001a0022002a0032003800420012001a020a001a002200"
                + "|{apiVersion: v1, kind: Namespace, metadata: {name: kat3}, spec: {}, status: {}}",
        // kubectl.1.33 create configmap y3 --from-literal=a=b -n demo
        "configmap|6b3873000a0f0a0276311209436f6e6669674d617012200a160a02793312001a0464656d6f22002a0032003800420012060a01611201621a002200"
                + "|{apiVersion: v1, kind: ConfigMap, metadata: {name: y3, namespace: demo}, data: {a: b}}",
        // kubectl.1.33 create secret generic s3 --from-literal=k=v -n demo
        "secret|6b3873000a0c0a027631120653656372657412220a160a02733312001a0464656d6f22002a0032003800420012060a016b1201761a001a002200"
                + "|{apiVersion: v1, kind: Secret, metadata: {name: s3, namespace: demo}, data: {k: dg==}}",
        // kubectl.1.33 create service clusterip web3 --tcp=80:8080 -n demo
        "service|6b3873000a0d0a02763112075365727669636512700a250a047765623312001a0464656d6f22002a003200380042005a0b0a03617070120477"
                + "65623312430a1b0a0738302d38303830120354435018502207080010903f1a002800120b0a036170701204776562331a002209436c75737465"
                + "7249503a00420052005a00600068001a020a001a002200"
                + "|{apiVersion: v1, kind: Service, metadata: {name: web3, namespace: demo, labels: {app: web3}},"
                + " spec: {ports: [{name: 80-8080, protocol: TCP, port: 80, targetPort: 8080}], selector: {app: web3}, type: ClusterIP},"
                + " status: {loadBalancer: {}}}",
    })
    void decodesWhatKubectlSends(String what, String hex, String json) {
        // Go writes every non-pointer field, so these bodies are full of "" and 0 that mean "unset" and must vanish.
        assertThat(PB.decode(HEX.parseHex(hex))).isEqualTo(yaml(json));
    }

    @Test
    void skipsUnknownFieldsOfEveryWireType() {
        byte[] meta = cat(str(1, "demo"),
                b(0xf8, 0x07, 0x2a),                        // field 127, varint 42
                b(0xf9, 0x07, 1, 2, 3, 4, 5, 6, 7, 8),        // field 127, fixed64
                b(0xfd, 0x07, 1, 2, 3, 4),                    // field 127, fixed32
                b(0x9a, 0x06, 0x02, 'h', 'i'));             // field 99 (two-byte tag), string
        ObjectNode ns = PB.decode(envelope("v1", "Namespace", cat(len(1, meta), str(42, "x"))));
        assertThat(ns).isEqualTo(yaml("{apiVersion: v1, kind: Namespace, metadata: {name: demo}}"));
    }

    @Test
    void acceptsPackedAndUnpackedRepeatedIntegers() {
        // PodSecurityContext.supplementalGroups = 4: unpacked 1, then packed [2, 300]
        byte[] psc = cat(b(0x20, 0x01), len(4, b(0x02, 0xac, 0x02)));
        byte[] spec = len(14, psc); // PodSpec.securityContext = 14
        ObjectNode pod = PB.decode(envelope("v1", "Pod", len(2, spec)));
        assertThat(pod.at("/spec/securityContext/supplementalGroups").toString()).isEqualTo("[1,2,300]");
    }

    @Test
    void keepsSetZerosOnlyWherePresenceMatters() {
        // PodSpec.terminationGracePeriodSeconds (4, *int64) = 0 is set; PodSpec.hostNetwork (11, bool omitempty) = false is not.
        ObjectNode pod = PB.decode(envelope("v1", "Pod", len(2, b(0x20, 0x00, 0x58, 0x00))));
        assertThat(pod.get("spec")).isEqualTo(yaml("{terminationGracePeriodSeconds: 0}"));
    }

    @Test
    void mergesRepeatedMessageFieldsAndKeepsLastScalar() {
        byte[] raw = cat(len(1, str(1, "a")), len(1, str(3, "demo")), len(1, str(1, "b")));
        ObjectNode cm = PB.decode(envelope("v1", "ConfigMap", raw));
        assertThat(cm.get("metadata")).isEqualTo(yaml("{name: b, namespace: demo}"));
    }

    @Test
    void negativeInt32IsTenBytesAndComesBack() {
        ObjectNode pod = yaml("{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {priority: -1}}");
        byte[] wire = PB.encode(pod);
        // PodSpec.priority = 25, written as the sign-extended 64-bit varint, as Go does.
        assertThat(ProtobufRoundTripTest.indexOf(wire, b(0xc8, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01))).isPositive();
        assertThat(PB.decode(wire).at("/spec/priority").asInt()).isEqualTo(-1);
    }

    @Test
    void zeroTimeIsAnEmptyMessageAndDecodesToAbsent() {
        // ObjectMeta.creationTimestamp = 8, empty (Go's zero time), next to a real one in deletionTimestamp = 9:
        // seconds 1767225605 = 2026-01-01T00:00:05Z.
        byte[] meta = cat(str(1, "n"), len(8, new byte[0]), len(9, b(0x08, 0x85, 0xf2, 0xd6, 0xca, 0x06, 0x10, 0x00)));
        ObjectNode ns = PB.decode(envelope("v1", "Namespace", len(1, meta)));
        assertThat(ns.get("metadata")).isEqualTo(yaml("{name: n, deletionTimestamp: '2026-01-01T00:00:05Z'}"));
    }

    // ---- malformed input: always a ProtobufException with a message, never a hang or an OutOfMemoryError

    @Test
    void rejectsMissingMagic() {
        assertThatThrownBy(() -> PB.decode(b('{', '}'))).isInstanceOf(ProtobufException.class).hasMessageContaining("k8s");
        assertThatThrownBy(() -> PB.decode(new byte[0])).isInstanceOf(ProtobufException.class);
    }

    @Test
    void rejectsKindNotServed() {
        assertThatThrownBy(() -> PB.decode(envelope("batch/v1", "Job", new byte[0])))
                .isInstanceOf(ProtobufException.class).hasMessageContaining("Job of batch/v1 is not served");
        assertThatThrownBy(() -> PB.decode(envelope("v1", "", new byte[0])))
                .isInstanceOf(ProtobufException.class).hasMessageContaining("no kind");
    }

    @Test
    void rejectsTruncatedVarint() {
        byte[] wire = envelope("v1", "Pod", len(2, b(0x20, 0xff, 0xff)));
        assertThatThrownBy(() -> PB.decode(wire)).isInstanceOf(ProtobufException.class)
                .hasMessageContaining("spec.terminationGracePeriodSeconds").hasMessageContaining("truncated varint");
    }

    @Test
    void rejectsOverlongVarint() {
        byte[] wire = envelope("v1", "Pod", len(2, b(0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)));
        assertThatThrownBy(() -> PB.decode(wire)).isInstanceOf(ProtobufException.class).hasMessageContaining("longer than 10 bytes");
    }

    @Test
    void rejectsLengthsPastTheEndIncludingAbsurdOnes() {
        byte[] past = cat(b('k', '8', 's', 0), b(0x12, 0x05, 0x0a));
        assertThatThrownBy(() -> PB.decode(past)).isInstanceOf(ProtobufException.class).hasMessageContaining("runs past the end");
        // A length of 2^62 must fail on the check, not on an allocation.
        byte[] absurd = cat(b('k', '8', 's', 0), b(0x12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40));
        assertThatThrownBy(() -> PB.decode(absurd)).isInstanceOf(ProtobufException.class).hasMessageContaining("runs past the end");
        byte[] negative = cat(b('k', '8', 's', 0), b(0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01));
        assertThatThrownBy(() -> PB.decode(negative)).isInstanceOf(ProtobufException.class).hasMessageContaining("runs past the end");
    }

    @Test
    void rejectsWrongWireTypes() {
        // ObjectMeta.name (1) as a varint instead of a string
        byte[] wire = envelope("v1", "Namespace", len(1, b(0x08, 0x01)));
        assertThatThrownBy(() -> PB.decode(wire)).isInstanceOf(ProtobufException.class)
                .hasMessageContaining("Namespace field metadata.name").hasMessageContaining("wire type 0");
        // group wire types (3, 4) are not used by Kubernetes
        byte[] group = envelope("v1", "Namespace", b(0x0b, 0x0c));
        assertThatThrownBy(() -> PB.decode(group)).isInstanceOf(ProtobufException.class).hasMessageContaining("wire type 3");
        // field number 0
        byte[] zero = envelope("v1", "Namespace", b(0x02, 0x00));
        assertThatThrownBy(() -> PB.decode(zero)).isInstanceOf(ProtobufException.class).hasMessageContaining("field number 0");
    }

    @Test
    void rejectsContentEncodingItCannotRead() {
        byte[] gz = cat(envelope("v1", "Namespace", new byte[0]), str(3, "gzip"));
        assertThatThrownBy(() -> PB.decode(gz)).isInstanceOf(ProtobufException.class).hasMessageContaining("gzip");
    }

    @Test
    void rejectsNestingDeeperThanTheLimit() {
        // WatchEvent envelopes nested through RawExtension: each level is two messages deep.
        byte[] inner = envelope("v1", "Namespace", new byte[0]);
        for (int i = 0; i < 120; i++) {
            byte[] event = cat(str(1, "ADDED"), lenAny(2, lenAny(1, inner)));
            inner = cat(b('k', '8', 's', 0), len(1, cat(str(1, "v1"), str(2, "WatchEvent"))), lenAny(2, event));
        }
        byte[] deep = inner;
        assertThatThrownBy(() -> PB.decode(deep)).isInstanceOf(ProtobufException.class).hasMessageContaining("deeper than 100");
    }

    @Test
    void rejectsEncodingValuesThatDoNotFit() {
        assertThatThrownBy(() -> PB.encode(yaml("{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {priority: 3000000000}}")))
                .isInstanceOf(ProtobufException.class).hasMessageContaining("spec.priority");
        assertThatThrownBy(() -> PB.encode(yaml("{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {k: '%%%'}}")))
                .isInstanceOf(ProtobufException.class).hasMessageContaining("data[k]").hasMessageContaining("base64");
        assertThatThrownBy(() -> PB.encode(yaml("{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {bogus: 1}}")))
                .isInstanceOf(ProtobufException.class).hasMessageContaining("spec.bogus");
        assertThatThrownBy(() -> PB.encode(yaml("{apiVersion: v1, kind: Widget}")))
                .isInstanceOf(ProtobufException.class).hasMessageContaining("not served");
    }

    @Test
    void randomDamageOnlyEverRaisesProtobufException() {
        byte[] good = PB.encode(yaml("""
                {apiVersion: v1, kind: Pod, metadata: {name: p, labels: {a: b}, creationTimestamp: '2024-01-02T15:04:05Z'},
                 spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}], resources: {limits: {cpu: 1}}}],
                        volumes: [{name: v, emptyDir: {}}]}}"""));
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            byte[] bad = Arrays.copyOf(good, 4 + random.nextInt(good.length - 3));
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips && bad.length > 4; f++) bad[4 + random.nextInt(bad.length - 4)] = (byte) random.nextInt(256);
            try {
                PB.decode(bad);
            } catch (ProtobufException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
    }

    /** A length-delimited field with a varint length of any size. */
    static byte[] lenAny(int number, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(number << 3 | 2);
        long v = body.length;
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        out.writeBytes(body);
        return out.toByteArray();
    }
}
