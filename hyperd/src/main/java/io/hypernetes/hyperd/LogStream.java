package io.hypernetes.hyperd;

import io.grpc.stub.ServerCallStreamObserver;
import io.hypernetes.runtime.LogBudget;
import io.hypernetes.runtime.v1.LogLine;

/** One ContainerLogs call: the kept lines, then (with follow) new ones until the log ends, the byte limit or a cancel. */
final class LogStream implements ContainerLogFile.Follower {
    private final ContainerLogFile log;
    private final ServerCallStreamObserver<LogLine> call;
    private final LogBudget budget;
    private boolean ended;
    private boolean replaying;
    private boolean endAfterReplay;
    private final java.util.List<LogLine> early = new java.util.ArrayList<>();

    LogStream(ContainerLogFile log, ServerCallStreamObserver<LogLine> call, long limitBytes) {
        this.log = log;
        this.call = call;
        this.budget = new LogBudget(limitBytes);
    }

    /**
     * Sends the kept lines, then follows. The log's lock is not held while this one is (the log calls {@link #line}
     * under its lock), so lines the log adds while the kept ones are read wait in {@link #early} and go after them.
     */
    void start(long sinceTime, long tail, boolean follow) {
        synchronized (this) {
            replaying = true;
        }
        java.util.List<LogLine> kept = log.read(sinceTime, tail, follow ? this : null);
        synchronized (this) {
            replaying = false;
            for (LogLine line : kept) {
                line(line);
            }
            for (LogLine line : early) {
                line(line);
            }
            early.clear();
            if (!follow || endAfterReplay) {
                ended();
            }
        }
    }

    @Override
    public synchronized void line(LogLine line) {
        if (replaying) {
            early.add(line);
            return;
        }
        if (ended) {
            return;
        }
        call.onNext(budget.take(line));
        if (budget.spent()) {
            ended();
        }
    }

    @Override
    public synchronized void ended() {
        if (replaying) {
            endAfterReplay = true;
            return;
        }
        if (!ended) {
            ended = true;
            log.unfollow(this);
            if (!call.isCancelled()) {
                call.onCompleted();
            }
        }
    }

    synchronized void cancel() {
        ended = true;
        log.unfollow(this);
    }
}
