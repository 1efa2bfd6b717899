package io.hypernetes.hyperd;

import com.google.protobuf.ByteString;
import io.hypernetes.runtime.Runtimes;
import io.hypernetes.runtime.v1.LogLine;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A container's log on the node's disk, in the CRI format the kubelet and {@code crictl} read:
 * {@code <RFC 3339 time> <stdout|stderr> <F|P> <content>} per line, P marking a piece of a line longer than
 * {@value #MAX_LINE} bytes. The guest's output arrives as chunks; each stream keeps its unfinished line until the
 * newline comes (or the container exits). At {@value #MAX_FILE} bytes the file is rotated to {@code <name>.1}, as the
 * kubelet's {@code containerLogMaxSize} does, so a chatty container costs at most twice that.
 *
 * <p>Durable on purpose: the log outlives hyperd restarts, and the log of an exited container stays readable
 * ({@code kubectl logs --previous}) until the container is removed.
 */
final class ContainerLogFile {
    static final int MAX_LINE = 16 << 10;
    static final long MAX_FILE = 10L << 20;

    /** Someone reading the log as it grows. */
    interface Follower {
        void line(LogLine line);

        void ended();
    }

    private final Path file;
    private final ByteArrayOutputStream partialOut = new ByteArrayOutputStream();
    private final ByteArrayOutputStream partialErr = new ByteArrayOutputStream();
    private final List<Follower> followers = new CopyOnWriteArrayList<>();
    private OutputStream out;
    private long size;
    private boolean ended;

    ContainerLogFile(Path file) {
        this.file = file;
        try {
            Files.createDirectories(file.getParent());
            size = Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path path() {
        return file;
    }

    /** Appends output of one stream ({@code stdout} or {@code stderr}); complete lines are written at once. */
    synchronized void append(String stream, byte[] data) {
        if (ended) {
            return;
        }
        ByteArrayOutputStream partial = stream.equals("stderr") ? partialErr : partialOut;
        int from = 0;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == '\n') {
                partial.write(data, from, i - from);
                write(stream, true, partial.toByteArray());
                partial.reset();
                from = i + 1;
            } else if (partial.size() + (i - from) >= MAX_LINE) {
                partial.write(data, from, i - from);
                write(stream, false, partial.toByteArray());
                partial.reset();
                from = i;
            }
        }
        partial.write(data, from, data.length - from);
    }

    /** The container exited: unfinished lines are written, followers are told, nothing is added after. */
    synchronized void end() {
        if (ended) {
            return;
        }
        if (partialOut.size() > 0) write("stdout", true, partialOut.toByteArray());
        if (partialErr.size() > 0) write("stderr", true, partialErr.toByteArray());
        ended = true;
        closeQuietly();
        for (Follower follower : followers) {
            follower.ended();
        }
        followers.clear();
    }

    private void write(String stream, boolean full, byte[] content) {
        long time = Runtimes.now();
        StringBuilder prefix = new StringBuilder(48).append(Instant.ofEpochSecond(0, time)).append(' ').append(stream)
                .append(full ? " F " : " P ");
        byte[] head = prefix.toString().getBytes(StandardCharsets.US_ASCII);
        try {
            if (size + head.length + content.length + 1 > MAX_FILE && size > 0) {
                closeQuietly();
                Files.move(file, rotated(), StandardCopyOption.REPLACE_EXISTING);
                size = 0;
            }
            if (out == null) {
                out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            out.write(head);
            out.write(content);
            out.write('\n');
            out.flush();
            size += head.length + content.length + 1;
        } catch (IOException e) {
            throw new UncheckedIOException("writing container log " + file + ": " + e.getMessage(), e);
        }
        if (full && !followers.isEmpty()) {
            LogLine line = LogLine.newBuilder().setTime(time).setStream(stream).setContent(ByteString.copyFrom(content)).build();
            for (Follower follower : followers) {
                follower.line(line);
            }
        }
    }

    private Path rotated() {
        return file.resolveSibling(file.getFileName() + ".1");
    }

    private void closeQuietly() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // the bytes were flushed line by line
            }
            out = null;
        }
    }

    /**
     * The lines written at or after {@code sinceTime} (0: all), the last {@code tail} of them (0: all); with a
     * follower, it is registered in the same step, so no line falls between what was read and what it is told.
     * Answers false for the follower when the log has already ended.
     */
    synchronized List<LogLine> read(long sinceTime, long tail, Follower follower) {
        ArrayDeque<LogLine> lines = new ArrayDeque<>();
        readInto(rotated(), sinceTime, tail, lines);
        readInto(file, sinceTime, tail, lines);
        if (follower != null) {
            if (ended) {
                follower.ended();
            } else {
                followers.add(follower);
            }
        }
        return new ArrayList<>(lines);
    }

    void unfollow(Follower follower) {
        followers.remove(follower);
    }

    private static void readInto(Path path, long sinceTime, long tail, ArrayDeque<LogLine> lines) {
        try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            LogLine.Builder pending = null;
            for (String text; (text = reader.readLine()) != null; ) {
                int first = text.indexOf(' ');
                int second = first < 0 ? -1 : text.indexOf(' ', first + 1);
                if (second < 0 || text.length() < second + 2) {
                    continue; // a line torn by a crash
                }
                long time;
                try {
                    Instant at = Instant.parse(text.substring(0, first));
                    time = at.getEpochSecond() * 1_000_000_000L + at.getNano();
                } catch (DateTimeParseException e) {
                    continue;
                }
                String stream = text.substring(first + 1, second);
                boolean full = text.charAt(second + 1) == 'F';
                ByteString content = ByteString.copyFromUtf8(text.length() > second + 3 ? text.substring(second + 3) : "");
                if (pending == null) {
                    pending = LogLine.newBuilder().setTime(time).setStream(stream).setContent(content);
                } else {
                    pending.setContent(pending.getContent().concat(content));
                }
                if (full) {
                    if (pending.getTime() >= sinceTime) {
                        lines.addLast(pending.build());
                        if (tail > 0 && lines.size() > tail) {
                            lines.removeFirst();
                        }
                    }
                    pending = null;
                }
            }
        } catch (NoSuchFileException e) {
            // nothing written yet, or never rotated
        } catch (IOException e) {
            throw new UncheckedIOException("reading container log " + path + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the log and its rotated part (the container is removed). */
    synchronized void delete() {
        end();
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(rotated());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
