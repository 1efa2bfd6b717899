package io.hypernetes.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AgentConnection against a scripted peer on a real unix socket: a fake guest (named as such),
 * for what a real hyperstart never does on purpose — stay silent, or vanish mid-request.
 */
class FakeGuestConnectionTest {
    @TempDir
    Path dir;

    /** Reads the SYNC, answers garbage then the ACK and READY, then an empty STATE for the id seed. */
    private static SocketChannel handshake(ServerSocketChannel server) throws IOException {
        SocketChannel guest = server.accept();
        ByteBuffer sync = ByteBuffer.allocate(16);
        while (sync.hasRemaining()) {
            guest.read(sync);
        }
        assertThat(sync.array()).startsWith(Protocol.SYNC_MAGIC);
        ByteBuffer out = ByteBuffer.allocate(1024);
        out.put("leftover bytes of an older connection".getBytes());
        out.put(Protocol.ACK_MAGIC).put(sync.array(), 8, 8);
        out.put(new Frame(Protocol.READY, 0, Tlv.writer().string(Protocol.TAG_VERSION, "fake").integer(Protocol.TAG_BOOT_MS, 42)
                .toByteArray()).encode());
        guest.write(out.flip());
        Frame state = readFrame(guest);
        assertThat(state.type()).isEqualTo(Protocol.STATE);
        guest.write(ByteBuffer.wrap(new Frame(Protocol.OK, state.id(), new byte[0]).encode()));
        return guest;
    }

    private static Frame readFrame(SocketChannel ch) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(9);
        while (head.hasRemaining()) {
            if (ch.read(head) < 0) {
                throw new IOException("closed");
            }
        }
        ByteBuffer body = ByteBuffer.allocate(head.getInt(0) - 5);
        while (body.hasRemaining()) {
            ch.read(body);
        }
        return new Frame(head.get(4) & 0xFF, head.getInt(5), body.array());
    }

    @Test
    void aSilentGuestFailsTheRequestAtItsDeadlineAndALostOneFailsItAtOnce() throws Exception {
        Path socket = dir.resolve("agent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<SocketChannel> guest = CompletableFuture.supplyAsync(() -> {
                try {
                    return handshake(server);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (AgentConnection c = AgentConnection.connect(socket, Duration.ofSeconds(10), Duration.ofMillis(300))) {
                SocketChannel g = guest.get(10, TimeUnit.SECONDS);
                assertThat(c.ready()).contains(new GuestInfo("fake", 42));
                assertThatThrownBy(c::ping).isInstanceOf(AgentException.class)
                        .hasMessageContaining("did not answer PING within PT0.3S");

                CompletableFuture<Throwable> lost = new CompletableFuture<>();
                c.onClose(lost::complete);
                CompletableFuture<Void> pending = CompletableFuture.runAsync(() -> {
                    try {
                        c.state();
                    } catch (AgentException e) {
                        throw new RuntimeException(e);
                    }
                });
                Frame request;
                do {
                    request = readFrame(g); // the PING that timed out, then the STATE
                } while (request.type() != Protocol.STATE);
                g.close();
                assertThatThrownBy(() -> pending.get(10, TimeUnit.SECONDS)).hasMessageContaining("connection to guest at")
                        .hasMessageContaining("lost");
                assertThat(lost.get(10, TimeUnit.SECONDS)).isNotNull();
                assertThat(c.isOpen()).isFalse();
                assertThatThrownBy(c::ping).hasMessageContaining("closed");
            }
        }
    }

    @Test
    void noSocketMeansAClearTimeout() {
        assertThatThrownBy(() -> AgentConnection.connect(dir.resolve("none.sock"), Duration.ofMillis(200)))
                .isInstanceOf(AgentException.class).hasMessageContaining("did not answer SYNC within PT0.2S")
                .hasMessageContaining("socket never appeared");
    }
}
