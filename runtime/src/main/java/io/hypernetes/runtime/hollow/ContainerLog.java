package io.hypernetes.runtime.hollow;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.hypernetes.runtime.v1.LogLine;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A container's log: the last {@value #MAX_LINES} lines and at most {@value #MAX_BYTES} bytes of them (older lines
 * are dropped, as a rotated log file's are), and the readers that follow it. A line longer than
 * {@value #MAX_LINE} bytes is split, as container runtimes split long lines. Closed when the container exits: its
 * followers are told and no line is added after. Not thread-safe: the runtime's lock guards it.
 */
final class ContainerLog {
    static final int MAX_LINES = 1000;
    static final int MAX_BYTES = 1 << 20;
    static final int MAX_LINE = 16 << 10;
    static final String STDOUT = "stdout";
    static final String STDERR = "stderr";

    /** Someone reading the log as it grows. */
    interface Follower {
        void line(LogLine line);

        /** The log ended: the container exited or was removed. */
        void ended();
    }

    private final ArrayDeque<LogLine> lines = new ArrayDeque<>(4);
    private long bytes;
    private List<Follower> followers; // null while nobody follows: most logs never are
    private boolean closed;

    void append(String stream, ByteString content) {
        if (closed) {
            return;
        }
        for (int from = 0; from < content.size() || from == 0; from += MAX_LINE) {
            LogLine line = LogLine.newBuilder()
                    .setTime(io.hypernetes.runtime.Runtimes.now())
                    .setStream(stream)
                    // A copy: a slice would keep the whole of a huge stdin chunk alive for as long as one line of it is kept.
                    .setContent(UnsafeByteOperations.unsafeWrap(content.substring(from, Math.min(content.size(), from + MAX_LINE)).toByteArray()))
                    .build();
            lines.addLast(line);
            bytes += line.getContent().size();
            while (lines.size() > MAX_LINES || bytes > MAX_BYTES) {
                bytes -= lines.removeFirst().getContent().size();
            }
            if (followers != null) {
                for (Follower follower : followers.toArray(Follower[]::new)) {
                    follower.line(line);
                }
            }
            if (content.isEmpty()) {
                break;
            }
        }
    }

    void append(String stream, String text) {
        append(stream, ByteString.copyFromUtf8(text));
    }

    /** The kept lines written at or after {@code sinceTime} (0: all), the last {@code tail} of them (0: all). */
    List<LogLine> read(long sinceTime, long tail) {
        List<LogLine> selected = new ArrayList<>();
        for (LogLine line : lines) {
            if (line.getTime() >= sinceTime) {
                selected.add(line);
            }
        }
        if (tail > 0 && tail < selected.size()) {
            return new ArrayList<>(selected.subList(selected.size() - (int) tail, selected.size()));
        }
        return selected;
    }

    /** Adds a follower of lines from now on; false (and nothing added) when the log has ended. */
    boolean follow(Follower follower) {
        if (closed) {
            return false;
        }
        if (followers == null) {
            followers = new ArrayList<>(2);
        }
        followers.add(follower);
        return true;
    }

    void unfollow(Follower follower) {
        if (followers != null) {
            followers.remove(follower);
            if (followers.isEmpty()) {
                followers = null;
            }
        }
    }

    /** Ends the log: no more lines; every follower is told. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Follower> ending = followers;
        followers = null;
        if (ending != null) {
            for (Follower follower : ending) {
                follower.ended();
            }
        }
    }

    boolean closed() {
        return closed;
    }

    int size() {
        return lines.size();
    }
}
