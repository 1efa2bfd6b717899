package io.hypernetes.hyperd.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A QMP client: JSON lines over QEMU's unix socket. One reader (a virtual thread) matches replies to commands by
 * their {@code id} and hands events to whoever waits for them, so commands may be issued from several threads.
 *
 * <p>QEMU's monitor serves one client at a time: a second {@code connect} to the same VM waits until the first
 * {@link #close()}s (hyperd's restart closes it by exiting).
 */
public final class Qmp implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

    private final SocketChannel channel;
    private final OutputStream out;
    private final BufferedReader in;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Waiter> waiters = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final String version;

    private record Waiter(Predicate<QmpEvent> match, CompletableFuture<QmpEvent> future) {
    }

    private Qmp(SocketChannel channel, String version, BufferedReader in) {
        this.channel = channel;
        this.out = Channels.newOutputStream(channel);
        this.in = in;
        this.version = version;
    }

    /** Connects (retrying until {@code timeout} while QEMU creates the socket), reads the greeting and leaves negotiation mode. */
    public static Qmp connect(Path socket, Duration timeout) throws VmException {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (true) {
            SocketChannel channel = null;
            try {
                channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                channel.connect(UnixDomainSocketAddress.of(socket));
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
                Qmp qmp = handshake(channel, in, deadline);
                return qmp;
            } catch (IOException e) {
                last = e;
                closeQuietly(channel);
            }
            if (System.nanoTime() > deadline) {
                throw new VmException("QMP socket " + socket + " did not answer within " + timeout + ": " + last.getMessage(), last);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmException("interrupted while connecting to " + socket, e);
            }
        }
    }

    private static Qmp handshake(SocketChannel channel, BufferedReader in, long deadline) throws IOException {
        // The greeting is read on a virtual thread so a monitor that is busy with another client cannot hang us.
        CompletableFuture<String> greeting = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                greeting.complete(in.readLine());
            } catch (IOException e) {
                greeting.completeExceptionally(e);
            }
        });
        String line;
        try {
            line = greeting.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IOException("no QMP greeting (is another client connected?)");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (line == null) {
            throw new IOException("QMP closed before its greeting");
        }
        JsonNode qmp = JSON.readTree(line).path("QMP");
        if (qmp.isMissingNode()) {
            throw new IOException("not a QMP greeting: " + line);
        }
        JsonNode v = qmp.path("version").path("qemu");
        String version = v.path("major").asInt() + "." + v.path("minor").asInt() + "." + v.path("micro").asInt();
        Qmp client = new Qmp(channel, version, in);
        Thread.ofVirtual().name("qmp-reader").start(client::readLoop);
        client.execute("qmp_capabilities");
        return client;
    }

    /** QEMU's version, from the greeting. */
    public String version() {
        return version;
    }

    public JsonNode execute(String command) throws VmException {
        return execute(command, Map.of());
    }

    /** Runs a command and returns its {@code return} value; QEMU's error becomes a {@link QmpException} with its {@code desc}. */
    public JsonNode execute(String command, Map<String, ?> arguments) throws VmException {
        long id = ids.incrementAndGet();
        ObjectNode request = JSON.createObjectNode();
        request.put("execute", command);
        if (!arguments.isEmpty()) {
            request.set("arguments", JSON.valueToTree(arguments));
        }
        request.put("id", id);
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            byte[] bytes = (JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (out) {
                out.write(bytes);
                out.flush();
            }
            JsonNode response = reply.get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            JsonNode error = response.get("error");
            if (error != null) {
                throw new QmpException(command, error.path("class").asText(), error.path("desc").asText());
            }
            return response.path("return");
        } catch (IOException e) {
            throw e instanceof VmException vm ? vm : new VmException("QMP " + command + ": " + e.getMessage(), e);
        } catch (ExecutionException e) {
            throw new VmException("QMP " + command + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new VmException("QMP " + command + ": no reply within " + COMMAND_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmException("QMP " + command + ": interrupted", e);
        } finally {
            pending.remove(id);
        }
    }

    /**
     * The next event that matches. Register before issuing the command that causes it (e.g. before {@code device_del}),
     * since QEMU may send the event before the command's reply.
     */
    public CompletableFuture<QmpEvent> nextEvent(Predicate<QmpEvent> match) {
        CompletableFuture<QmpEvent> future = new CompletableFuture<>();
        Waiter waiter = new Waiter(match, future);
        waiters.add(waiter);
        future.whenComplete((e, t) -> waiters.remove(waiter));
        if (closed.isDone()) {
            future.completeExceptionally(new VmException("QMP connection closed"));
        }
        return future;
    }

    /** Completes when the connection ends: QEMU exited or {@link #close()} was called. */
    public CompletableFuture<Void> closed() {
        return closed;
    }

    public boolean isOpen() {
        return !closed.isDone();
    }

    private void readLoop() {
        Throwable cause = null;
        try {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode message = JSON.readTree(line);
                if (message.has("event")) {
                    QmpEvent event = new QmpEvent(message.get("event").asText(), message.path("data"));
                    for (Waiter w : waiters) {
                        if (w.match().test(event)) {
                            w.future().complete(event);
                        }
                    }
                } else if (message.has("id")) {
                    CompletableFuture<JsonNode> reply = pending.get(message.get("id").asLong());
                    if (reply != null) {
                        reply.complete(message);
                    }
                }
            }
        } catch (IOException e) {
            cause = e;
        } finally {
            VmException gone = new VmException("QMP connection closed" + (cause == null ? " (QEMU exited)" : ": " + cause.getMessage()));
            pending.values().forEach(f -> f.completeExceptionally(gone));
            waiters.forEach(w -> w.future().completeExceptionally(gone));
            closed.complete(null);
            closeQuietly(channel);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }
}
