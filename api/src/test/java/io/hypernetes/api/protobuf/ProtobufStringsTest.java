package io.hypernetes.api.protobuf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Protobuf#strings}: the string fields of a message nested in an envelope of a kind outside the schema. */
class ProtobufStringsTest {
    private static byte[] field(int number, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(number << 3 | 2);
        int n = value.length;
        while (n >= 0x80) {
            out.write(n & 0x7f | 0x80);
            n >>>= 7;
        }
        out.write(n);
        out.writeBytes(value);
        return out.toByteArray();
    }

    private static byte[] field(int number, String value) {
        return field(number, value.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    @Test
    void readsTheNestedMessagesStringsByFieldNumber() {
        byte[] attributes = concat(field(1, "team-a"), field(2, "create"), field(5, "pods"), new byte[] {0x40, 0x01});
        byte[] review = concat(field(1, new byte[0]), field(2, field(1, attributes)));
        byte[] typeMeta = concat(field(1, "authorization.k8s.io/v1"), field(2, "SelfSubjectAccessReview"));
        byte[] envelope = concat(new byte[] {'k', '8', 's', 0}, field(1, typeMeta), field(2, review));
        assertThat(Protobuf.strings(envelope, 2, 1)).isEqualTo(Map.of(1, "team-a", 2, "create", 5, "pods"));
        assertThat(Protobuf.strings(envelope, 2, 2)).isEmpty();
    }

    @Test
    void malformedBytesAreAProtobufException() {
        assertThatThrownBy(() -> Protobuf.strings(new byte[] {1, 2, 3}, 2)).isInstanceOf(ProtobufException.class);
        byte[] truncated = concat(new byte[] {'k', '8', 's', 0}, new byte[] {0x12, 0x7f, 0x01});
        assertThatThrownBy(() -> Protobuf.strings(truncated, 2)).isInstanceOf(ProtobufException.class);
    }
}
