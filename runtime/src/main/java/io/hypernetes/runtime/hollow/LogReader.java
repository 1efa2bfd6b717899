package io.hypernetes.runtime.hollow;

import io.grpc.stub.ServerCallStreamObserver;
import io.hypernetes.runtime.LogBudget;
import io.hypernetes.runtime.v1.LogLine;

/** One ContainerLogs stream: sends lines until the log ends, the byte limit is reached or the client cancels. */
final class LogReader implements ContainerLog.Follower {
    private final ContainerLog log;
    private final ServerCallStreamObserver<LogLine> call;
    private final LogBudget budget;
    boolean ended;

    LogReader(ContainerLog log, ServerCallStreamObserver<LogLine> call, long limitBytes) {
        this.log = log;
        this.call = call;
        this.budget = new LogBudget(limitBytes);
    }

    @Override
    public void line(LogLine line) {
        if (ended) {
            return;
        }
        call.onNext(budget.take(line));
        if (budget.spent()) {
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
