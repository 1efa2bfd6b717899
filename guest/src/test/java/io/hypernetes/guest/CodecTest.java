package io.hypernetes.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The Java side of the wire format and the checks on specs, without a VM. */
class CodecTest {

    @Test
    void framesRoundTripAndWaitForTheirLastByte() throws Exception {
        byte[] encoded = new Frame(Protocol.STDOUT, 0xFFFFFFF0, new byte[] {1, 2, 3}).encode();
        assertThat(encoded).startsWith(0, 0, 0, 8, Protocol.STDOUT, 0xFF, 0xFF, 0xFF, 0xF0);
        ByteBuffer partial = ByteBuffer.wrap(encoded, 0, encoded.length - 1);
        assertThat(Frame.decode(partial)).isNull();
        assertThat(partial.position()).isZero();
        ByteBuffer whole = ByteBuffer.allocate(2 * encoded.length).put(encoded).put(encoded).flip();
        assertThat(Frame.decode(whole)).isEqualTo(new Frame(Protocol.STDOUT, 0xFFFFFFF0, new byte[] {1, 2, 3}));
        assertThat(Frame.decode(whole)).isEqualTo(new Frame(Protocol.STDOUT, 0xFFFFFFF0, new byte[] {1, 2, 3}));
        assertThat(whole.hasRemaining()).isFalse();
    }

    @Test
    void framesLongerThan32KiBOrShorterThanAHeaderAreRefused() {
        assertThatThrownBy(() -> new Frame(Protocol.STDIN, 1, new byte[Protocol.PAYLOAD_MAX + 1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 KiB");
        assertThat(new Frame(Protocol.STDIN, 1, new byte[Protocol.PAYLOAD_MAX]).encode()).hasSize(Protocol.FRAME_MAX);
        assertThatThrownBy(() -> Frame.decode(ByteBuffer.allocate(9).putInt(Protocol.FRAME_MAX).flip()))
                .isInstanceOf(Frame.ProtocolException.class).hasMessageContaining("outside 5..32764");
        assertThatThrownBy(() -> Frame.decode(ByteBuffer.allocate(9).putInt(4).flip()))
                .isInstanceOf(Frame.ProtocolException.class);
        // a SYNC's magic read as a length is impossible: that is how either side spots it mid-stream
        assertThatThrownBy(() -> Frame.decode(ByteBuffer.wrap(Protocol.SYNC_MAGIC)))
                .isInstanceOf(Frame.ProtocolException.class);
    }

    @Test
    void tlvCarriesIntegersStringsListsAndNestedRecords() {
        byte[] payload = Tlv.writer().integer(Protocol.TAG_PROCESS, 0xFFFFFFFFL).string(Protocol.TAG_ARG, "sh")
                .string(Protocol.TAG_ARG, "-c").nested(Protocol.TAG_MOUNT, Tlv.writer().string(Protocol.TAG_DEST, "/data"))
                .toByteArray();
        Tlv.Fields f = Tlv.parse(payload);
        assertThat(f.integer(Protocol.TAG_PROCESS, 0)).isEqualTo(0xFFFFFFFFL);
        assertThat(f.every(Protocol.TAG_ARG)).extracting(Tlv.Field::string).containsExactly("sh", "-c");
        assertThat(f.first(Protocol.TAG_MOUNT).orElseThrow().nested().string(Protocol.TAG_DEST, "")).isEqualTo("/data");
        assertThat(payload).startsWith(0, Protocol.TAG_PROCESS, 0, 0, 0, 8, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF);
    }

    @Test
    void truncatedTlvIsAnError() {
        assertThatThrownBy(() -> Tlv.parse(new byte[] {0, 1, 0, 0, 0, 9, 1})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("claims 9 bytes");
        assertThatThrownBy(() -> Tlv.parse(new byte[] {0, 1, 0})).hasMessageContaining("truncated");
        assertThatThrownBy(() -> Tlv.parse(Tlv.writer().string(Protocol.TAG_PID, "x").toByteArray()).integer(Protocol.TAG_PID, 0))
                .hasMessageContaining("not 8");
    }

    @Test
    void hostileSpecValuesAreRefusedBeforeTheyReachTheGuest() {
        assertThatThrownBy(() -> new ContainerSpec("../etc", new Disk(1, "ext4"), List.of())).hasMessageContaining("container id");
        assertThatThrownBy(() -> new Disk(0, "ext4")).hasMessageContaining("scratch disk");
        assertThatThrownBy(() -> new Disk(1, "nfs")).hasMessageContaining("filesystem type");
        assertThatThrownBy(() -> new Mount(new Mount.VolumeSource("v"), "relative", false)).hasMessageContaining("absolute");
        assertThatThrownBy(() -> new Mount(new Mount.VolumeSource("v"), "/a/../../etc", false)).hasMessageContaining("'..'");
        assertThatThrownBy(() -> new Mount(new Mount.VolumeSource("v"), "/", false)).hasMessageContaining("root");
        assertThatThrownBy(() -> new Mount.VolumeSource("a/b")).hasMessageContaining("volume name");
        assertThatThrownBy(() -> ProcessSpec.exec("c", List.of())).hasMessageContaining("first argument");
        assertThatThrownBy(() -> ProcessSpec.exec("c", List.of("a\0b"))).hasMessageContaining("NUL");
        assertThatThrownBy(() -> ProcessSpec.exec("c", List.of("sh")).withEnv(List.of("=x"))).hasMessageContaining("NAME=value");
        assertThatThrownBy(() -> ProcessSpec.exec("c", List.of("sh")).withUser("root;rm")).hasMessageContaining("uid[:gid]");
        assertThatThrownBy(() -> ProcessSpec.exec("c", List.of("sh")).withWorkdir("tmp")).hasMessageContaining("absolute");
        assertThatThrownBy(() -> ProcessSpec.exec("c", List.of("sh")).withTty(70000, 1)).hasMessageContaining("terminal size");
        assertThatThrownBy(() -> new PodConfig("a b", List.of(), List.of(), List.of(), "", Optional.empty()))
                .hasMessageContaining("whitespace");
        assertThatThrownBy(() -> new PodConfig.Interface("eth0", "10.0.0.2", 33, Optional.empty(), 0)).hasMessageContaining("prefix");
        assertThat(ProcessSpec.exec("c", List.of("id")).withUser("app:staff").user()).isEqualTo("app:staff");
        assertThat(ProcessSpec.exec("c", List.of("id")).withUser("1000:50").user()).isEqualTo("1000:50");
    }

    @Test
    void processSpecEncodesEveryField() {
        byte[] b = ProcessSpec.init("web", List.of("nginx", "-g", "daemon off;"), List.of("A=1")).withTty(80, 24).withUser("app")
                .encode(7);
        Tlv.Fields f = Tlv.parse(b);
        assertThat(f.integer(Protocol.TAG_PROCESS, 0)).isEqualTo(7);
        assertThat(f.string(Protocol.TAG_CONTAINER, "")).isEqualTo("web");
        assertThat(f.integer(Protocol.TAG_INIT, 0)).isEqualTo(1);
        assertThat(f.every(Protocol.TAG_ARG)).extracting(Tlv.Field::string).containsExactly("nginx", "-g", "daemon off;");
        assertThat(f.string(Protocol.TAG_ENV, "")).isEqualTo("A=1");
        assertThat(f.string(Protocol.TAG_USER, "")).isEqualTo("app");
        assertThat(f.integer(Protocol.TAG_COLUMNS, 0)).isEqualTo(80);
        assertThat(f.integer(Protocol.TAG_ROWS, 0)).isEqualTo(24);
    }
}
