package io.hypernetes.runtime.hollow;

import static io.hypernetes.runtime.Runtimes.invalid;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hypernetes.runtime.v1.LogLine;
import io.hypernetes.runtime.v1.StreamExit;
import io.hypernetes.runtime.v1.StreamInput;
import io.hypernetes.runtime.v1.StreamOutput;
import io.hypernetes.runtime.v1.StreamStart;

/**
 * One Exec or Attach stream. The first message must be {@code start}; then stdin, resize (ignored: nothing draws)
 * and close_stdin; the client's half-close also closes stdin.
 *
 * <p>Exec runs a {@link CannedCommand}; its last message is {@code exit}, with 137 if the container exits first.
 * Attach streams the container's new log lines and writes each line it reads from stdin into the log (there is no
 * process to read it, so the log is where an attached user sees it arrive); it ends with {@code exit} and the
 * container's exit code when the container exits, or without one when the client closes stdin: the main process
 * did not exit, the client detached.
 *
 * <p>Every method takes the runtime's lock, as the timers do, so this session's messages are never sent concurrently.
 */
final class StreamSession implements StreamObserver<StreamInput>, CannedCommand.Output, ContainerLog.Follower {
    private final HollowRuntimeService runtime;
    private final ServerCallStreamObserver<StreamOutput> out;
    private final boolean attach;
    private final Runnable containerExited = () -> finish(HollowContainer.KILLED, "the container exited");
    private StreamStart start;
    private HollowContainer container;
    private CannedCommand command;
    private ByteString partialLine = ByteString.EMPTY; // attach: stdin read since the last newline
    private boolean done;

    StreamSession(HollowRuntimeService runtime, ServerCallStreamObserver<StreamOutput> out, boolean attach) {
        this.runtime = runtime;
        this.out = out;
        this.attach = attach;
        // Set while the call starts, as gRPC requires; it also keeps a late message to a cancelled call from throwing.
        out.setOnCancelHandler(() -> {
            synchronized (runtime) {
                done = true;
                release();
            }
        });
    }

    @Override
    public void onNext(StreamInput input) {
        synchronized (runtime) {
            if (done) {
                return;
            }
            try {
                if (start == null) {
                    begin(input);
                } else {
                    switch (input.getInputCase()) {
                        case START -> throw invalid("start may be sent only once, as the first message");
                        case STDIN -> stdin(input.getStdin());
                        case CLOSE_STDIN -> closeStdin();
                        case RESIZE -> {}
                        case INPUT_NOT_SET -> throw invalid("a message must carry one of start, stdin, resize, close_stdin");
                    }
                }
            } catch (StatusRuntimeException e) {
                done = true;
                release();
                out.onError(e);
            }
        }
    }

    private void begin(StreamInput input) {
        if (!input.hasStart()) {
            throw invalid("the first message must be start, got " + input.getInputCase().name().toLowerCase());
        }
        StreamStart start = input.getStart();
        io.hypernetes.runtime.Runtimes.required(start.getContainerId(), "start.container_id");
        if (attach && start.getCmdCount() > 0) {
            throw invalid("start.cmd must be empty for Attach: it attaches to the container's main process");
        }
        if (!attach && (start.getCmdCount() == 0 || start.getCmd(0).isEmpty())) {
            throw invalid("start.cmd is required");
        }
        if (!start.getStdin() && !start.getStdout() && !start.getStderr()) {
            throw invalid("one of start.stdin, start.stdout, start.stderr must be true");
        }
        container = runtime.runningContainer(start.getContainerId(), "start.container_id");
        this.start = start;
        if (attach) {
            container.log.follow(this);
        } else {
            container.onExit(containerExited);
            command = CannedCommand.start(start.getCmdList(), runtime.commandContext(container), this);
            if (!start.getStdin()) {
                command.closeStdin();
            }
        }
    }

    private void stdin(ByteString data) {
        if (!start.getStdin()) {
            return;
        }
        if (!attach) {
            command.stdin(data);
            return;
        }
        int from = 0;
        for (int i = 0; i < data.size(); i++) {
            if (data.byteAt(i) == '\n') {
                partialLine = partialLine.concat(data.substring(from, i));
                flushLine();
                from = i + 1;
            }
        }
        partialLine = partialLine.concat(data.substring(from));
        if (partialLine.size() >= ContainerLog.MAX_LINE) {
            flushLine();
        }
    }

    private void flushLine() {
        container.log.append(ContainerLog.STDOUT, partialLine);
        partialLine = ByteString.EMPTY;
    }

    private void closeStdin() {
        if (attach) {
            if (!partialLine.isEmpty()) {
                flushLine();
            }
        } else {
            command.closeStdin();
        }
    }

    @Override
    public void onError(Throwable t) {
        synchronized (runtime) {
            done = true;
            release();
        }
    }

    @Override
    public void onCompleted() {
        synchronized (runtime) {
            if (done) {
                return;
            }
            if (start == null) {
                done = true;
                out.onError(invalid("the stream ended before its start message"));
                return;
            }
            closeStdin();
            if (attach && !done) {
                done = true;
                release();
                out.onCompleted();
            }
        }
    }

    // ---- the command's output (Exec)

    @Override
    public void stdout(ByteString data) {
        if (start.getStdout()) {
            send(StreamOutput.newBuilder().setStdout(data).build());
        }
    }

    @Override
    public void stderr(ByteString data) {
        if (start.getTty()) {
            stdout(data); // a terminal has one output
        } else if (start.getStderr()) {
            send(StreamOutput.newBuilder().setStderr(data).build());
        }
    }

    @Override
    public void exit(int code) {
        finish(code, "");
    }

    // ---- the container's log (Attach)

    @Override
    public void line(LogLine line) {
        ByteString data = line.getContent().concat(ByteString.copyFromUtf8("\n"));
        if (line.getStream().equals(ContainerLog.STDERR)) {
            stderr(data);
        } else {
            stdout(data);
        }
    }

    @Override
    public void ended() {
        finish(container.exitCode(), "");
    }

    private void send(StreamOutput message) {
        if (!done && !out.isCancelled()) {
            out.onNext(message);
        }
    }

    private void finish(int code, String message) {
        if (done) {
            return;
        }
        send(StreamOutput.newBuilder().setExit(StreamExit.newBuilder().setExitCode(code).setMessage(message)).build());
        done = true;
        release();
        if (!out.isCancelled()) {
            out.onCompleted();
        }
    }

    private void release() {
        if (command != null) {
            command.kill();
        }
        if (container != null) {
            container.removeExitListener(containerExited);
            container.log.unfollow(this);
        }
    }
}
