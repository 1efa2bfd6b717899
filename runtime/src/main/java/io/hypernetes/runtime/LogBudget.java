package io.hypernetes.runtime;

import io.hypernetes.runtime.v1.LogLine;

/**
 * ContainerLogs' {@code limit_bytes}: each line costs its content and its newline; the line that fits only in part
 * is cut, as a byte limit cuts, and then the budget is spent.
 */
public final class LogBudget {
    private long room;

    /** @param limitBytes the request's limit; 0 is none */
    public LogBudget(long limitBytes) {
        this.room = limitBytes == 0 ? Long.MAX_VALUE : limitBytes;
    }

    /** The line as far as the budget reaches, charged to it. */
    public LogLine take(LogLine line) {
        long cost = line.getContent().size() + 1L;
        if (cost > room) {
            LogLine cut = line.toBuilder().setContent(line.getContent().substring(0, (int) Math.min(room, line.getContent().size()))).build();
            room = 0;
            return cut;
        }
        room -= cost;
        return line;
    }

    public boolean spent() {
        return room == 0;
    }
}
