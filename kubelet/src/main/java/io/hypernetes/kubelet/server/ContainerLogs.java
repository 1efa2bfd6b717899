package io.hypernetes.kubelet.server;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.hypernetes.http.HttpExchange;
import io.hypernetes.kubelet.server.KubeletServer.ContainerRef;
import io.hypernetes.runtime.v1.Container;
import io.hypernetes.runtime.v1.ContainerLogsRequest;
import io.hypernetes.runtime.v1.LogLine;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Iterator;

/**
 * {@code GET /containerLogs/{namespace}/{pod}/{container}}: the runtime's {@code ContainerLogs} stream as chunked
 * text, one line per chunk, with Kubernetes' options. A follow ends when the client hangs up (the runtime call is
 * cancelled) or the container's log ends.
 */
final class ContainerLogs {
    private final PodContainers containers;
    private final RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;
    private final java.util.concurrent.atomic.AtomicInteger active;

    ContainerLogs(PodContainers containers, ManagedChannel channel, java.util.concurrent.atomic.AtomicInteger active) {
        this.containers = containers;
        this.active = active;
        this.runtime = RuntimeServiceGrpc.newBlockingStub(channel);
    }

    /** Kubernetes' PodLogOptions as the query carries them. */
    record Options(boolean follow, boolean previous, boolean timestamps, Long tailLines, Long sinceSeconds,
                   Instant sinceTime, Long limitBytes) {
        static Options of(HttpExchange ex) {
            Options o = new Options(ex.queryBool("follow", false), ex.queryBool("previous", false), ex.queryBool("timestamps", false),
                    ex.queryLong("tailLines"), ex.queryLong("sinceSeconds"), time(ex, "sinceTime"), ex.queryLong("limitBytes"));
            if (o.tailLines != null && o.tailLines < 0) throw KubeletError.badRequest("tailLines: Invalid value: " + o.tailLines + ": must be greater than or equal to 0");
            if (o.sinceSeconds != null && o.sinceSeconds < 1) throw KubeletError.badRequest("sinceSeconds: Invalid value: " + o.sinceSeconds + ": must be greater than 0");
            if (o.limitBytes != null && o.limitBytes < 1) throw KubeletError.badRequest("limitBytes: Invalid value: " + o.limitBytes + ": must be greater than 0");
            if (o.sinceSeconds != null && o.sinceTime != null) throw KubeletError.badRequest("at most one of `sinceTime` or `sinceSeconds` may be specified");
            return o;
        }

        private static Instant time(HttpExchange ex, String name) {
            String v = ex.query(name);
            if (v == null || v.isEmpty()) return null;
            try {
                return OffsetDateTime.parse(v, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
            } catch (DateTimeParseException e) {
                throw KubeletError.badRequest(name + ": Invalid value: \"" + v + "\": parsing time \"" + v + "\" as RFC3339: " + e.getMessage());
            }
        }
    }

    void serve(HttpExchange ex, ContainerRef ref) throws InterruptedException {
        Options o = Options.of(ex);
        Container c = containers.forLogs(ref, o.previous());
        ContainerLogsRequest.Builder req = ContainerLogsRequest.newBuilder().setContainerId(c.getId()).setFollow(o.follow());
        Instant since = o.sinceTime() != null ? o.sinceTime()
                : o.sinceSeconds() != null ? Instant.now().minusSeconds(o.sinceSeconds()) : null;
        if (o.tailLines() != null && o.tailLines() == 0) {
            // the runtime's tail_lines 0 means "all": no old line is asked for as "only lines from now on"
            if (!o.follow()) {
                ex.stream(200, "text/plain").close();
                return;
            }
            since = Instant.now();
        } else if (o.tailLines() != null) {
            req.setTailLines(o.tailLines());
        }
        if (since != null) req.setSinceTime(since.getEpochSecond() * 1_000_000_000L + since.getNano());
        long limit = o.limitBytes() == null ? Long.MAX_VALUE : o.limitBytes();

        Context.CancellableContext call = Context.current().withCancellation();
        Runnable forget = ex.onClose(() -> call.cancel(null));
        HttpExchange.Stream out = null;
        active.incrementAndGet();
        try {
            Iterator<LogLine> lines = call.call(() -> runtime.containerLogs(req.build()));
            out = ex.stream(200, "text/plain");
            long sent = 0;
            while (sent < limit && call.call(lines::hasNext)) {
                byte[] line = render(lines.next(), o.timestamps());
                if (line.length > limit - sent) line = java.util.Arrays.copyOf(line, (int) (limit - sent));
                out.write(line);
                sent += line.length;
            }
        } catch (StatusRuntimeException e) {
            if (out == null) {
                throw new KubeletError(500, "InternalError", "Internal error occurred: the runtime did not give the log of container \""
                        + ref.container() + "\": " + e.getStatus());
            }
            // the client hung up (cancelled) or the runtime failed mid-stream: the chunked body just ends
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            active.decrementAndGet();
            forget.run();
            call.cancel(null);
            if (out != null) out.close();
        }
    }

    /** One log line as Kubernetes writes it: optionally an RFC 3339 timestamp with nanoseconds and a space first. */
    static byte[] render(LogLine line, boolean timestamps) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(line.getContent().size() + 40);
        if (timestamps) b.writeBytes((rfc3339Nano(line.getTime()) + " ").getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(line.getContent().toByteArray());
        b.write('\n');
        return b.toByteArray();
    }

    /** Go's time.RFC3339Nano in UTC: fraction without trailing zeros, none at all for whole seconds. */
    static String rfc3339Nano(long epochNanos) {
        Instant t = Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L), Math.floorMod(epochNanos, 1_000_000_000L));
        String seconds = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC).format(t);
        if (t.getNano() == 0) return seconds + "Z";
        String fraction = String.format("%09d", t.getNano()).replaceAll("0+$", "");
        return seconds + "." + fraction + "Z";
    }
}
