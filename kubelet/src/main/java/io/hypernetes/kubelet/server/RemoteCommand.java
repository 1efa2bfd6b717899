package io.hypernetes.kubelet.server;

import static io.hypernetes.http.RemoteCommandProtocol.CLOSE;
import static io.hypernetes.http.RemoteCommandProtocol.ERROR;
import static io.hypernetes.http.RemoteCommandProtocol.RESIZE;
import static io.hypernetes.http.RemoteCommandProtocol.STDERR;
import static io.hypernetes.http.RemoteCommandProtocol.STDIN;
import static io.hypernetes.http.RemoteCommandProtocol.STDOUT;
import static io.hypernetes.http.RemoteCommandProtocol.V4;
import static io.hypernetes.http.RemoteCommandProtocol.V5;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.hypernetes.api.json.Json;
import io.hypernetes.http.HttpExchange;
import io.hypernetes.http.RemoteCommandProtocol;
import io.hypernetes.http.WebSocket;
import io.hypernetes.kubelet.server.KubeletServer.ContainerRef;
import io.hypernetes.runtime.v1.Container;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import io.hypernetes.runtime.v1.StreamExit;
import io.hypernetes.runtime.v1.StreamInput;
import io.hypernetes.runtime.v1.StreamOutput;
import io.hypernetes.runtime.v1.StreamStart;
import io.hypernetes.runtime.v1.TerminalSize;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exec and attach: Kubernetes' remote command protocol over a WebSocket, bridged to the runtime's bidirectional
 * {@code Exec}/{@code Attach} stream.
 *
 * <p>Every WebSocket message is one channel byte and data: 0 stdin (client to server), 1 stdout, 2 stderr,
 * 3 error (the command's outcome as a {@code metav1.Status}, sent once, last), 4 resize (JSON
 * {@code {"Width":w,"Height":h}}), and in {@code v5.channel.k8s.io} 255 close ({@code [255, n]}: the client's
 * stream n ended, which for stdin is end-of-file). After the status the server closes the socket.
 */
final class RemoteCommand {
    private static final Logger log = LoggerFactory.getLogger(RemoteCommand.class);

    private final PodContainers containers;
    private final RuntimeServiceGrpc.RuntimeServiceStub runtime;
    private final java.util.concurrent.atomic.AtomicInteger active;

    RemoteCommand(PodContainers containers, ManagedChannel channel, java.util.concurrent.atomic.AtomicInteger active) {
        this.containers = containers;
        this.active = active;
        this.runtime = RuntimeServiceGrpc.newStub(channel);
    }

    void serve(HttpExchange ex, ContainerRef ref, boolean exec) throws InterruptedException {
        if (!ex.method().equals("GET") && !ex.method().equals("POST")) {
            throw new KubeletError(405, "MethodNotAllowed", ex.method() + " is not supported on " + ex.path());
        }
        List<String> command = ex.queryAll("command");
        boolean tty = ex.queryBool("tty", true);
        boolean stdin = ex.queryBool("stdin", true);
        boolean stdout = ex.queryBool("stdout", true);
        boolean stderr = ex.queryBool("stderr", true) && !tty; // a terminal merges stderr into stdout
        if (exec && command.isEmpty()) throw KubeletError.badRequest("you must specify at least one command for the container");
        if (!stdin && !stdout && !stderr) throw KubeletError.badRequest("you must specify at least 1 of stdin, stdout, stderr");
        if (!ex.upgradeRequested("websocket")) {
            throw KubeletError.badRequest("the node agent speaks " + V5 + " and " + V4 + " over a WebSocket upgrade only");
        }
        List<String> offered = ex.webSocketProtocols();
        String protocol = RemoteCommandProtocol.choose(offered).orElseThrow(() ->
                KubeletError.badRequest("none of the offered subprotocols " + offered + " is spoken here: " + V5 + ", " + V4));
        Container container = containers.running(ref);
        WebSocket ws = ex.acceptWebSocket(protocol, KubeletError.FORMAT);

        // the runtime's answers, consumed on this (virtual) thread so a slow client never blocks the runtime's thread
        BlockingQueue<Object> outputs = new LinkedBlockingQueue<>();
        Call call = exec ? runtime::exec : runtime::attach;
        StreamObserver<StreamInput> inputs = call.start(new StreamObserver<>() {
            @Override public void onNext(StreamOutput o) { outputs.add(o); }
            @Override public void onError(Throwable t) { outputs.add(Status.fromThrowable(t)); }
            @Override public void onCompleted() { outputs.add(Status.OK); }
        });
        StreamStart.Builder start = StreamStart.newBuilder().setContainerId(container.getId()).addAllCmd(command)
                .setTty(tty).setStdin(stdin).setStdout(stdout).setStderr(stderr);
        synchronized (inputs) {
            inputs.onNext(StreamInput.newBuilder().setStart(start).build());
        }
        Thread pump = Thread.ofVirtual().name("stdin-" + ref.pod()).start(() -> pumpInput(ws, inputs, protocol, outputs));
        active.incrementAndGet();
        try {
            while (true) {
                Object o = outputs.take();
                if (o instanceof StreamOutput out) {
                    switch (out.getOutputCase()) {
                        case STDOUT -> send(ws, STDOUT, out.getStdout());
                        case STDERR -> send(ws, STDERR, out.getStderr());
                        case EXIT -> {
                            send(ws, ERROR, ByteString.copyFrom(Json.bytes(status(out.getExit(), command))));
                            ws.close(WebSocket.NORMAL, "");
                            return;
                        }
                        default -> { }
                    }
                } else if (o == Status.OK || o instanceof Status s && s.getCode() == Status.Code.CANCELLED) {
                    // the runtime ended without an exit (attach to a container that stopped) or the client left
                    if (o == Status.OK) send(ws, ERROR, ByteString.copyFrom(Json.bytes(success())));
                    ws.close(WebSocket.NORMAL, "");
                    return;
                } else if (o instanceof Status s) {
                    send(ws, ERROR, ByteString.copyFrom(Json.bytes(internalError("error executing command in container: " + s))));
                    ws.close(WebSocket.NORMAL, "");
                    return;
                }
            }
        } finally {
            synchronized (inputs) {
                try {
                    inputs.onError(Status.CANCELLED.withDescription("the stream ended").asRuntimeException());
                } catch (IllegalStateException alreadyDone) {
                    // the call completed
                }
            }
            ws.close(WebSocket.GOING_AWAY, "");
            pump.interrupt();
            active.decrementAndGet();
        }
    }

    /** Runs the runtime's Exec or Attach with an answer observer, giving the request observer. */
    @FunctionalInterface
    private interface Call {
        StreamObserver<StreamInput> start(StreamObserver<StreamOutput> answers);
    }

    /** Client to runtime: stdin, resize and (v5) the close of stdin; a closed socket cancels the runtime call. */
    private static void pumpInput(WebSocket ws, StreamObserver<StreamInput> inputs, String protocol, BlockingQueue<Object> outputs) {
        try {
            WebSocket.Message m;
            while ((m = ws.receive()) != null) {
                if (m.data().length == 0) continue;
                int channel = m.data()[0] & 0xff;
                byte[] data = Arrays.copyOfRange(m.data(), 1, m.data().length);
                switch (channel) {
                    case STDIN -> {
                        if (data.length > 0) forward(inputs, StreamInput.newBuilder().setStdin(ByteString.copyFrom(data)).build());
                    }
                    case RESIZE -> {
                        for (TerminalSize size : sizes(data)) forward(inputs, StreamInput.newBuilder().setResize(size).build());
                    }
                    case CLOSE -> {
                        if (protocol.equals(V5) && data.length == 1 && data[0] == STDIN) {
                            forward(inputs, StreamInput.newBuilder().setCloseStdin(true).build());
                        }
                    }
                    default -> log.debug("message on unknown channel {} ignored", channel);
                }
            }
            // the client went away before the command ended
            outputs.add(Status.CANCELLED);
        } catch (InterruptedException e) {
            // the command ended: nothing more to forward
        }
    }

    private static void forward(StreamObserver<StreamInput> inputs, StreamInput in) {
        synchronized (inputs) {
            try {
                inputs.onNext(in);
            } catch (IllegalStateException done) {
                // the call already ended
            }
        }
    }

    /** Resize messages: one or more JSON objects ({@code {"Width":80,"Height":24}}), as Go's json.Encoder writes them. */
    static List<TerminalSize> sizes(byte[] data) {
        try (MappingIterator<JsonNode> it = Json.MAPPER.readerFor(JsonNode.class).readValues(data)) {
            List<TerminalSize> out = new java.util.ArrayList<>();
            while (it.hasNextValue()) {
                JsonNode n = it.nextValue();
                out.add(TerminalSize.newBuilder().setWidth(n.path("Width").asInt()).setHeight(n.path("Height").asInt()).build());
            }
            return out;
        } catch (IOException | RuntimeException e) {
            log.debug("malformed resize message ignored: {}", e.toString());
            return List.of();
        }
    }

    private static void send(WebSocket ws, int channel, ByteString data) throws InterruptedException {
        byte[] msg = new byte[data.size() + 1];
        msg[0] = (byte) channel;
        data.copyTo(msg, 1);
        ws.send(msg);
    }

    /** The outcome as kubectl reads it from the error channel: Success, NonZeroExitCode with an ExitCode cause, or an internal error. */
    static ObjectNode status(StreamExit exit, List<String> command) {
        if (!exit.getMessage().isEmpty()) return internalError("error executing command in container: " + exit.getMessage());
        if (exit.getExitCode() == 0) return success();
        ObjectNode s = Json.object();
        s.putObject("metadata");
        s.put("status", "Failure");
        s.put("message", "command terminated with non-zero exit code: error executing command " + command
                + ", exit code " + exit.getExitCode());
        s.put("reason", "NonZeroExitCode");
        s.putObject("details").putArray("causes").addObject().put("reason", "ExitCode").put("message", Integer.toString(exit.getExitCode()));
        return s;
    }

    static ObjectNode success() {
        ObjectNode s = Json.object();
        s.putObject("metadata");
        s.put("status", "Success");
        return s;
    }

    static ObjectNode internalError(String message) {
        ObjectNode s = Json.object();
        s.putObject("metadata");
        s.put("status", "Failure");
        s.put("message", "Internal error occurred: " + message);
        s.put("reason", "InternalError");
        s.putObject("details").putArray("causes").addObject().put("message", message);
        s.put("code", 500);
        return s;
    }
}
