package io.hypernetes.runtime.hollow;

import io.hypernetes.runtime.v1.Container;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerState;
import io.hypernetes.runtime.v1.ContainerStatus;
import io.hypernetes.runtime.v1.KeyValue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;

/**
 * A pretended container: CREATED, then RUNNING until it is stopped or its {@link Knobs} make it exit, then EXITED
 * for good (a restart is a new container, as in CRI). Its timers run on {@link Timers} under the runtime's lock,
 * which guards every field.
 */
final class HollowContainer {
    static final int KILLED = 137;

    /**
     * How the container behaves, read from its environment at creation.
     *
     * @param exitAfterMillis {@code HOLLOW_EXIT_AFTER_MS}: exits by itself this long after start; -1: runs until stopped
     * @param exitCode        {@code HOLLOW_EXIT_CODE}: the code it then exits with
     * @param logEveryMillis  {@code HOLLOW_LOG_EVERY_MS}: writes {@code tick <k>} this often; 0: never
     * @param ignoresSigterm  {@code HOLLOW_IGNORE_SIGTERM}: a stop takes its whole timeout and kills it
     */
    record Knobs(long exitAfterMillis, int exitCode, long logEveryMillis, boolean ignoresSigterm) {
        /** Reads the knobs; a malformed one fails with a message naming it. */
        static Knobs of(List<KeyValue> env) {
            long exitAfter = -1;
            int exitCode = 0;
            long logEvery = 0;
            boolean ignoresSigterm = false;
            for (KeyValue variable : env) {
                String value = variable.getValue();
                switch (variable.getKey()) {
                    case "HOLLOW_EXIT_AFTER_MS" -> exitAfter = number(variable, 0, Long.MAX_VALUE / 2);
                    case "HOLLOW_EXIT_CODE" -> exitCode = (int) number(variable, 0, 255);
                    case "HOLLOW_LOG_EVERY_MS" -> logEvery = number(variable, 1, Long.MAX_VALUE / 2);
                    case "HOLLOW_IGNORE_SIGTERM" -> {
                        if (!value.equals("true") && !value.equals("false")) {
                            throw new IllegalArgumentException("config.envs: HOLLOW_IGNORE_SIGTERM=\"" + value + "\" is neither true nor false");
                        }
                        ignoresSigterm = value.equals("true");
                    }
                    default -> {}
                }
            }
            return new Knobs(exitAfter, exitCode, logEvery, ignoresSigterm);
        }

        private static long number(KeyValue variable, long min, long max) {
            try {
                long value = Long.parseLong(variable.getValue());
                if (value >= min && value <= max) {
                    return value;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("config.envs: " + variable.getKey() + "=\"" + variable.getValue()
                    + "\" is not a whole number from " + min + " to " + max);
        }
    }

    final String id;
    final String sandboxId;
    final ContainerConfig config;
    final String imageRef;
    final long createdAt;
    final ContainerLog log = new ContainerLog();
    private final Knobs knobs;
    private final Object lock;

    ContainerState state = ContainerState.CONTAINER_CREATED;
    private long startedAt;
    private long finishedAt;
    private int exitCode;
    private String reason = "";
    private String message = "";
    private ScheduledFuture<?> exitTimer;
    private ScheduledFuture<?> ticker;
    private ScheduledFuture<?> killTimer;
    private long killAt = Long.MAX_VALUE;
    private long ticks;
    private List<Runnable> exitListeners; // null until someone waits: most containers are never waited on

    HollowContainer(String id, String sandboxId, ContainerConfig config, String imageRef, Knobs knobs, Object lock) {
        this.id = id;
        this.sandboxId = sandboxId;
        this.config = config;
        this.imageRef = imageRef;
        this.knobs = knobs;
        this.lock = lock;
        this.createdAt = io.hypernetes.runtime.Runtimes.now();
    }

    String name() {
        return config.getMetadata().getName();
    }

    boolean running() {
        return state == ContainerState.CONTAINER_RUNNING;
    }

    void start() {
        state = ContainerState.CONTAINER_RUNNING;
        startedAt = io.hypernetes.runtime.Runtimes.now();
        log.append(ContainerLog.STDOUT, "hollow container " + name() + " started (" + config.getImage() + ")");
        if (knobs.logEveryMillis() > 0) {
            ticker = Timers.every(knobs.logEveryMillis(), lock, () -> {
                if (running()) {
                    log.append(ContainerLog.STDOUT, "tick " + ++ticks);
                }
            });
        }
        if (knobs.exitAfterMillis() >= 0) {
            exitTimer = Timers.after(knobs.exitAfterMillis(), lock,
                    () -> exit(knobs.exitCode(), knobs.exitCode() == 0 ? "Completed" : "Error", ""));
        }
    }

    /**
     * SIGTERM, and SIGKILL after {@code timeoutSeconds}: {@code exited} runs once the container has exited (at once if
     * it is not running). A later stop with a shorter timeout brings the kill forward, as a second stop does.
     */
    void stop(long timeoutSeconds, Runnable exited) {
        if (!running()) {
            exited.run();
            return;
        }
        onExit(exited);
        if (!knobs.ignoresSigterm()) {
            exit(0, "Completed", "");
            return;
        }
        long millis = Math.min(timeoutSeconds, Long.MAX_VALUE / 2_000_000) * 1000;
        long at = System.nanoTime() / 1_000_000 + millis;
        if (millis == 0) {
            exit(KILLED, "Error", "killed: it ignored SIGTERM");
        } else if (at < killAt) {
            killAt = at;
            Timers.cancel(killTimer);
            killTimer = Timers.after(millis, lock, () -> exit(KILLED, "Error", "killed after " + timeoutSeconds + "s: it ignored SIGTERM"));
        }
    }

    /** SIGKILL now (the sandbox stops, or the container is removed while running); a created one never starts. */
    void kill(String why) {
        if (state == ContainerState.CONTAINER_CREATED) {
            state = ContainerState.CONTAINER_EXITED;
            finishedAt = io.hypernetes.runtime.Runtimes.now();
            exitCode = KILLED;
            reason = "Error";
            message = why;
            end();
        } else if (running()) {
            exit(KILLED, "Error", why);
        }
    }

    private void exit(int code, String reason, String message) {
        if (!running()) {
            return;
        }
        state = ContainerState.CONTAINER_EXITED;
        finishedAt = io.hypernetes.runtime.Runtimes.now();
        exitCode = code;
        this.reason = reason;
        this.message = message;
        log.append(ContainerLog.STDOUT, "exited with code " + code);
        end();
    }

    private void end() {
        Timers.cancel(exitTimer);
        Timers.cancel(ticker);
        Timers.cancel(killTimer);
        exitTimer = ticker = killTimer = null;
        log.close();
        List<Runnable> listeners = exitListeners;
        exitListeners = null;
        if (listeners != null) {
            listeners.forEach(Runnable::run);
        }
    }

    /** Runs {@code listener} when the container exits; it must be running. */
    void onExit(Runnable listener) {
        if (exitListeners == null) {
            exitListeners = new ArrayList<>(2);
        }
        exitListeners.add(listener);
    }

    void removeExitListener(Runnable listener) {
        if (exitListeners != null) {
            exitListeners.remove(listener);
        }
    }

    int exitCode() {
        return exitCode;
    }

    Container item() {
        return Container.newBuilder()
                .setId(id)
                .setPodSandboxId(sandboxId)
                .setMetadata(config.getMetadata())
                .setImage(config.getImage())
                .setImageRef(imageRef)
                .setState(state)
                .setCreatedAt(createdAt)
                .putAllLabels(config.getLabelsMap())
                .putAllAnnotations(config.getAnnotationsMap())
                .build();
    }

    ContainerStatus status() {
        return ContainerStatus.newBuilder()
                .setId(id)
                .setMetadata(config.getMetadata())
                .setState(state)
                .setCreatedAt(createdAt)
                .setStartedAt(startedAt)
                .setFinishedAt(finishedAt)
                .setExitCode(exitCode)
                .setImage(config.getImage())
                .setImageRef(imageRef)
                .setReason(reason)
                .setMessage(message)
                .putAllLabels(config.getLabelsMap())
                .putAllAnnotations(config.getAnnotationsMap())
                .build();
    }
}
