package io.hypernetes.runtime.hollow;

import io.grpc.stub.ServerCallStreamObserver;
import io.hypernetes.runtime.v1.LogLine;

/** One ContainerLogs stream: sends lines until the log ends, the byte limit is reached or the client cancels. */
final class LogReader implements ContainerLog.Follower {
    private final ContainerLog log;
    private final ServerCallStreamObserver<LogLine> call;
    private long room;
    boolean ended;

    LogReader(ContainerLog log, ServerCallStreamObserver<LogLine> call, long limitBytes) {
        this.log = log;
        this.call = call;
        this.room = limitBytes == 0 ? Long.MAX_VALUE : limitBytes;
    }

    @Override
    public void line(LogLine line) {
        if (ended) {
            return;
        }
        // A line costs its content and its newline; the one that fits only in part is cut, as a byte limit cuts.
        long cost = line.getContent().size() + 1L;
        if (cost > room) {
            line = line.toBuilder().setContent(line.getContent().substring(0, (int) Math.min(room, line.getContent().size()))).build();
            room = 0;
        } else {
            room -= cost;
        }
        call.onNext(line);
        if (room == 0) {
            log.unfollow(this);
            ended();
        }
    }

    @Override
    public void ended() {
        if (!ended) {
            ended = true;
            if (!call.isCancelled()) {
                call.onCompleted();
            }
        }
    }
}
