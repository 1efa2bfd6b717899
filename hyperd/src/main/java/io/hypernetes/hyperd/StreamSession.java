package io.hypernetes.hyperd;

import static io.hypernetes.runtime.Runtimes.invalid;
import static io.hypernetes.runtime.Runtimes.refused;
import static io.hypernetes.runtime.Runtimes.required;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hypernetes.guest.AgentException;
import io.hypernetes.guest.GuestProcess;
import io.hypernetes.guest.ProcessListener;
import io.hypernetes.runtime.v1.StreamExit;
import io.hypernetes.runtime.v1.StreamInput;
import io.hypernetes.runtime.v1.StreamOutput;
import io.hypernetes.runtime.v1.StreamStart;
import io.hypernetes.runtime.v1.TerminalSize;

/**
 * One Exec or Attach stream. The first message must be {@code start}; then stdin, resize and close_stdin (the
 * client's half-close also closes stdin).
 *
 * <p>Exec starts a process in the container's namespaces; the stream's last message is its {@code exit}. A command
 * that cannot run ends the stream at once with the guest's exit code (127: not found, 126: not executable) and its
 * message, as {@code docker exec} does. A client that goes away kills its process: nothing it started is left behind.
 *
 * <p>Attach joins the container's main process: its output from now on, its stdin when the container has one. It
 * ends with {@code exit} and the container's exit code when the container exits, or without one when the client
 * closes stdin: the client detached ({@code stdinOnce} then closes the container's stdin for good).
 */
final class StreamSession implements StreamObserver<StreamInput>, ProcessListener, PodContainer.Attached {
    private final PodVms pods;
    private final ServerCallStreamObserver<StreamOutput> out;
    private final boolean attach;
    private StreamStart start;
    private PodContainer container;
    private GuestProcess process;
    private boolean done;

    StreamSession(PodVms pods, ServerCallStreamObserver<StreamOutput> out, boolean attach) {
        this.pods = pods;
        this.out = out;
        this.attach = attach;
        out.setOnCancelHandler(() -> {
            synchronized (this) {
                done = true;
            }
            release(true);
        });
    }

    @Override
    public void onNext(StreamInput input) {
        try {
            if (start() == null) {
                begin(input);
                return;
            }
            switch (input.getInputCase()) {
                case START -> throw invalid("start may be sent only once, as the first message");
                case STDIN -> stdin(input.getStdin());
                case CLOSE_STDIN -> closeStdin();
                case RESIZE -> resize(input.getResize());
                case INPUT_NOT_SET -> throw invalid("a message must carry one of start, stdin, resize, close_stdin");
            }
        } catch (StatusRuntimeException e) {
            fail(e);
        } catch (AgentException e) {
            // the process exited or its VM went away: its exit (or the container's) ends this stream
        }
    }

    private synchronized StreamStart start() {
        return start;
    }

    private void begin(StreamInput input) {
        if (!input.hasStart()) {
            throw invalid("the first message must be start, got " + input.getInputCase().name().toLowerCase());
        }
        StreamStart s = input.getStart();
        required(s.getContainerId(), "start.container_id");
        if (attach && s.getCmdCount() > 0) {
            throw invalid("start.cmd must be empty for Attach: it attaches to the container's main process");
        }
        if (!attach && (s.getCmdCount() == 0 || s.getCmd(0).isEmpty())) {
            throw invalid("start.cmd is required");
        }
        if (!s.getStdin() && !s.getStdout() && !s.getStderr()) {
            throw invalid("one of start.stdin, start.stdout, start.stderr must be true");
        }
        PodContainer c = pods.container(s.getContainerId());
        synchronized (this) {
            start = s;
            container = c;
        }
        if (attach) {
            if (!c.attach(this)) {
                throw refused("container \"" + c.id + "\" is not running");
            }
            return;
        }
        try {
            GuestProcess p = pods.exec(c, s.getCmdList(), s.getTty(), s.getStdin(), (int) s.getSize().getWidth(),
                    (int) s.getSize().getHeight(), this);
            synchronized (this) {
                process = p;
            }
        } catch (AgentException e) {
            // as a shell says it, on the stream the user watches; the exit code tells the rest (127, 126)
            stderr((e.getMessage() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            finish((int) e.code(), "");
        }
    }

    private void stdin(ByteString data) throws AgentException {
        GuestProcess target = target();
        if (target != null && start().getStdin()) {
            target.write(data.toByteArray());
        }
    }

    private void resize(TerminalSize size) throws AgentException {
        GuestProcess target = target();
        if (target != null && start().getTty()) {
            target.resize((int) size.getWidth(), (int) size.getHeight());
        }
    }

    private void closeStdin() throws AgentException {
        if (attach) {
            boolean once = container.config.getStdinOnce();
            GuestProcess main = container.main();
            if (once && main != null && start().getStdin()) {
                main.closeStdin();
            }
            detach();
        } else {
            GuestProcess p = target();
            if (p != null) {
                p.closeStdin();
            }
        }
    }

    /** Exec: its own process; attach: the container's main process when it takes stdin. */
    private synchronized GuestProcess target() {
        if (done) {
            return null;
        }
        if (attach) {
            return container.config.getStdin() ? container.main() : null;
        }
        return process;
    }

    @Override
    public void onError(Throwable t) {
        synchronized (this) {
            done = true;
        }
        release(true);
    }

    @Override
    public void onCompleted() {
        if (start() == null) {
            fail(invalid("the stream ended before its start message"));
            return;
        }
        try {
            closeStdin();
        } catch (AgentException e) {
            // the process is gone already
        }
    }

    // ---- output (the process's, or the container's main process's when attached)

    @Override
    public void stdout(byte[] data) {
        if (start.getStdout()) {
            send(StreamOutput.newBuilder().setStdout(ByteString.copyFrom(data)).build());
        }
    }

    @Override
    public void stderr(byte[] data) {
        if (start.getTty()) {
            stdout(data); // a terminal has one output
        } else if (start.getStderr()) {
            send(StreamOutput.newBuilder().setStderr(ByteString.copyFrom(data)).build());
        }
    }

    @Override
    public void exited(int code) {
        finish(code, "");
    }

    private synchronized void send(StreamOutput message) {
        if (!done && !out.isCancelled()) {
            out.onNext(message);
        }
    }

    private void finish(int code, String message) {
        synchronized (this) {
            if (done) {
                return;
            }
            out.onNext(StreamOutput.newBuilder().setExit(StreamExit.newBuilder().setExitCode(code).setMessage(message)).build());
            done = true;
            if (!out.isCancelled()) {
                out.onCompleted();
            }
        }
        release(false);
    }

    private void detach() {
        synchronized (this) {
            if (done) {
                return;
            }
            done = true;
            if (!out.isCancelled()) {
                out.onCompleted();
            }
        }
        release(false);
    }

    private void fail(StatusRuntimeException e) {
        synchronized (this) {
            if (done) {
                return;
            }
            done = true;
            out.onError(e);
        }
        release(true);
    }

    private void release(boolean kill) {
        PodContainer c;
        GuestProcess p;
        synchronized (this) {
            c = container;
            p = process;
        }
        if (c != null && attach) {
            c.detach(this);
        }
        if (kill && p != null) {
            try {
                p.signal(9);
            } catch (AgentException | RuntimeException ignored) {
                // it has exited already
            }
        }
    }
}
