package io.hypernetes.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/**
 * One probe (liveness, readiness or startup) of one container instance, run every {@code periodSeconds} on its
 * own virtual thread after {@code initialDelaySeconds} from the container's start. The result flips only after
 * {@code successThreshold} successes or {@code failureThreshold} failures in a row; every failed run is an
 * {@code Unhealthy} event, and a flip wakes the pod worker, which acts on it (restart, Ready). Liveness and
 * readiness wait while a startup probe has not yet succeeded. A new container instance gets new workers, so
 * counts never carry over a restart.
 */
final class ProbeWorker implements AutoCloseable {
    enum Kind {
        LIVENESS("Liveness"), READINESS("Readiness"), STARTUP("Startup");

        final String title;

        Kind(String title) {
            this.title = title;
        }
    }

    enum Result { UNKNOWN, SUCCESS, FAILURE }

    private final Thread thread;
    private volatile Result result;
    private volatile boolean closed;

    /**
     * @param startupDone whether the container's startup probe (if any) succeeded; liveness and readiness wait for it
     * @param onChange    called (on this worker's thread) when the result flips
     */
    ProbeWorker(Kind kind, JsonNode probe, RuntimeClient runtime, PodEvents events, JsonNode pod, JsonNode container,
            String containerId, String podIp, Instant startedAt, BooleanSupplier startupDone, Runnable onChange) {
        // not ready until the first success; alive until proven dead; not started until the startup probe passes
        this.result = kind == Kind.LIVENESS ? Result.SUCCESS : kind == Kind.READINESS ? Result.FAILURE : Result.UNKNOWN;
        String name = container.path("name").asText();
        this.thread = Thread.ofVirtual().name("probe-" + kind.name().toLowerCase() + "-" + name).start(() -> {
            Duration period = Duration.ofSeconds(Math.max(1, probe.path("periodSeconds").asLong(10)));
            Duration timeout = Duration.ofSeconds(Math.max(1, probe.path("timeoutSeconds").asLong(1)));
            int successThreshold = Math.max(1, probe.path("successThreshold").asInt(1));
            int failureThreshold = Math.max(1, probe.path("failureThreshold").asInt(3));
            Instant first = startedAt.plusSeconds(Math.max(0, probe.path("initialDelaySeconds").asLong(0)));
            int successes = 0;
            int failures = 0;
            try {
                sleepUntil(first);
                while (!closed) {
                    if (kind == Kind.STARTUP || startupDone.getAsBoolean()) {
                        Handlers.Outcome o = Handlers.run(runtime, probe, container, containerId, podIp, timeout);
                        if (closed) return;
                        Result before = result;
                        if (o.success()) {
                            failures = 0;
                            if (++successes >= successThreshold) result = Result.SUCCESS;
                        } else {
                            successes = 0;
                            events.warning(pod, PodEvents.container(container, false), "Unhealthy",
                                    kind.title + " probe failed: " + o.message());
                            if (++failures >= failureThreshold) result = Result.FAILURE;
                        }
                        if (result != before) onChange.run();
                        // a startup probe is done once it succeeded; a failed liveness/startup probe ends the instance
                        if (kind == Kind.STARTUP && result == Result.SUCCESS) return;
                        if (kind != Kind.READINESS && result == Result.FAILURE) return;
                    }
                    Thread.sleep(period);
                }
            } catch (InterruptedException e) {
                // closed
            }
        });
    }

    Result result() {
        return result;
    }

    private static void sleepUntil(Instant t) throws InterruptedException {
        long ms = Duration.between(Instant.now(), t).toMillis();
        if (ms > 0) Thread.sleep(ms);
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
