package io.hypernetes.runtime.hollow;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.hypernetes.runtime.v1.ExecSyncRequest;
import io.hypernetes.runtime.v1.ExecSyncResponse;
import java.util.concurrent.ScheduledFuture;

/**
 * One ExecSync: the command's output gathered until it exits, times out, is cancelled or its container exits. Every
 * method runs under the runtime's lock.
 */
final class ExecSyncCall implements CannedCommand.Output {
    /** At most this much of each output stream is kept, as CRI runtimes cap it. */
    private static final int MAX_OUTPUT = 16 << 20;

    private final Object lock;
    private final CannedCommand.Context context;
    private final HollowContainer container;
    private final ExecSyncRequest request;
    private final ServerCallStreamObserver<ExecSyncResponse> call;
    private ByteString stdout = ByteString.EMPTY;
    private ByteString stderr = ByteString.EMPTY;
    private final Runnable containerExited = () -> end(HollowContainer.KILLED, null);
    private CannedCommand command;
    private ScheduledFuture<?> timeout;
    private boolean ended;

    ExecSyncCall(Object lock, HollowContainer container, CannedCommand.Context context, ExecSyncRequest request,
            ServerCallStreamObserver<ExecSyncResponse> call) {
        this.lock = lock;
        this.context = context;
        this.container = container;
        this.request = request;
        this.call = call;
    }

    void start() {
        container.onExit(containerExited);
        call.setOnCancelHandler(() -> {
            synchronized (lock) {
                ended = true;
                release();
            }
        });
        command = CannedCommand.start(request.getCmdList(), context, this);
        command.closeStdin();
        if (!ended && request.getTimeout() > 0) {
            timeout = Timers.after(request.getTimeout() * 1000, lock, () -> end(0, Status.DEADLINE_EXCEEDED
                    .withDescription("command " + request.getCmdList() + " timed out after " + request.getTimeout() + "s")));
        }
    }

    @Override
    public void stdout(ByteString data) {
        stdout = keep(stdout, data);
    }

    @Override
    public void stderr(ByteString data) {
        stderr = keep(stderr, data);
    }

    private static ByteString keep(ByteString kept, ByteString data) {
        int room = MAX_OUTPUT - kept.size();
        return room <= 0 ? kept : kept.concat(data.substring(0, Math.min(room, data.size())));
    }

    @Override
    public void exit(int code) {
        end(code, null);
    }

    private void end(int code, Status failure) {
        if (ended) {
            return;
        }
        ended = true;
        release();
        if (call.isCancelled()) {
            return;
        }
        if (failure != null) {
            call.onError(failure.asRuntimeException());
        } else {
            call.onNext(ExecSyncResponse.newBuilder().setStdout(stdout).setStderr(stderr).setExitCode(code).build());
            call.onCompleted();
        }
    }

    private void release() {
        if (command != null) {
            command.kill();
        }
        Timers.cancel(timeout);
        container.removeExitListener(containerExited);
    }
}
