package io.hypernetes.hyperd;

import io.hypernetes.guest.GuestProcess;
import io.hypernetes.guest.ProcessListener;
import io.hypernetes.runtime.Runtimes;
import io.hypernetes.runtime.v1.Container;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerState;
import io.hypernetes.runtime.v1.ContainerStatus;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One container of a pod VM: its config, its image's root filesystem (a read-only disk of the VM), its log on the
 * node, and while it runs, its main process in the guest. State changes take this object's monitor; the guest's
 * events arrive on the agent connection's thread.
 */
final class PodContainer implements ProcessListener {

    /** Someone attached to the main process's output. */
    interface Attached {
        void stdout(byte[] data);

        void stderr(byte[] data);

        void exited(int code);
    }

    final String id;
    final String sandboxId;
    final ContainerConfig config;
    final String imageId;
    final Launch launch;
    final long createdAt;
    final ContainerLogFile log;
    private final Runnable changed;
    private final List<Attached> attached = new CopyOnWriteArrayList<>();

    private ContainerState state = ContainerState.CONTAINER_CREATED;
    private long startedAt;
    private long finishedAt;
    private int exitCode;
    private String reason = "";
    private String message = "";
    private GuestProcess main;
    private int mainProcessId;

    PodContainer(String id, String sandboxId, ContainerConfig config, String imageId, Launch launch,
                 long createdAt, ContainerLogFile log, Runnable changed) {
        this.id = id;
        this.sandboxId = sandboxId;
        this.config = config;
        this.imageId = imageId;
        this.launch = launch;
        this.createdAt = createdAt;
        this.log = log;
        this.changed = changed;
    }

    /** Restores one from its record (after a hyperd restart); {@link #resumed} or {@link #lost} follows for a running one. */
    static PodContainer restore(HyperdState.ContainerRecord r, String sandboxId, Launch launch, ContainerLogFile log, Runnable changed) {
        PodContainer c = new PodContainer(r.id(), sandboxId, r.config(), r.imageId(), launch, r.createdAt(), log, changed);
        c.state = ContainerState.valueOf(r.state());
        c.startedAt = r.startedAt();
        c.finishedAt = r.finishedAt();
        c.exitCode = r.exitCode();
        c.reason = r.reason();
        c.message = r.message();
        c.mainProcessId = r.mainProcessId();
        return c;
    }

    synchronized HyperdState.ContainerRecord record() {
        return new HyperdState.ContainerRecord(id, config, imageId, createdAt, startedAt, finishedAt, state.name(),
                exitCode, reason, message, mainProcessId);
    }

    synchronized ContainerState state() {
        return state;
    }

    synchronized boolean running() {
        return state == ContainerState.CONTAINER_RUNNING;
    }

    synchronized int exitCode() {
        return exitCode;
    }

    synchronized int mainProcessId() {
        return mainProcessId;
    }

    synchronized GuestProcess main() {
        return main;
    }

    /** The main process started in the guest. */
    synchronized void started(GuestProcess process) {
        main = process;
        mainProcessId = process.id();
        state = ContainerState.CONTAINER_RUNNING;
        startedAt = Runtimes.now();
        changed.run();
    }

    /** The main process could not start (e.g. its executable is missing): the container is exited with the reason. */
    synchronized void failedToStart(int code, String why) {
        state = ContainerState.CONTAINER_EXITED;
        startedAt = finishedAt = Runtimes.now();
        exitCode = code;
        reason = "StartError";
        message = why;
        log.append("stderr", (why + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        log.end();
        changed.run();
        notifyAll();
    }

    /** After a hyperd restart the main process was found still running: output and exit flow here again. */
    synchronized void resumed(GuestProcess process) {
        main = process;
    }

    /** After a hyperd restart: the VM or the process is gone, with the exit code if the guest still knew it. */
    synchronized void lost(int code, String why) {
        if (state != ContainerState.CONTAINER_RUNNING) {
            return;
        }
        finish(code, code == 0 ? "Completed" : "Error", why);
    }

    /** A container never started when its sandbox stopped. */
    synchronized void abandon(String why) {
        if (state == ContainerState.CONTAINER_CREATED) {
            state = ContainerState.CONTAINER_EXITED;
            finishedAt = Runtimes.now();
            exitCode = 128;
            reason = "ContainerCannotRun";
            message = why;
            log.end();
            changed.run();
        }
    }

    private void finish(int code, String why, String text) {
        state = ContainerState.CONTAINER_EXITED;
        finishedAt = Runtimes.now();
        exitCode = code;
        reason = why;
        message = text;
        main = null;
        log.end();
        changed.run();
        for (Attached a : attached) {
            a.exited(code);
        }
        attached.clear();
        notifyAll();
    }

    /** Waits until the container is not running, at most {@code millis} (0: not at all); answers whether it stopped. */
    synchronized boolean awaitExit(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (state == ContainerState.CONTAINER_RUNNING) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    /** Adds an attached client; false when the container is not running (then nothing is added). */
    synchronized boolean attach(Attached a) {
        if (state != ContainerState.CONTAINER_RUNNING) {
            return false;
        }
        attached.add(a);
        return true;
    }

    void detach(Attached a) {
        attached.remove(a);
    }

    // ---- the main process's events (the agent connection's thread)

    @Override
    public void stdout(byte[] data) {
        log.append("stdout", data);
        for (Attached a : attached) {
            a.stdout(data);
        }
    }

    @Override
    public void stderr(byte[] data) {
        log.append("stderr", data);
        for (Attached a : attached) {
            a.stderr(data);
        }
    }

    @Override
    public synchronized void exited(int code) {
        if (state == ContainerState.CONTAINER_RUNNING) {
            // 137 is SIGKILL: the reason Kubernetes users look for when a container did not stop on SIGTERM
            finish(code, code == 0 ? "Completed" : "Error", "");
        }
    }

    // ---- views

    synchronized Container item() {
        return Container.newBuilder().setId(id).setPodSandboxId(sandboxId).setMetadata(config.getMetadata())
                .setImage(config.getImage()).setImageRef(imageId).setState(state).setCreatedAt(createdAt)
                .putAllLabels(config.getLabelsMap()).putAllAnnotations(config.getAnnotationsMap()).build();
    }

    synchronized ContainerStatus status() {
        return ContainerStatus.newBuilder().setId(id).setMetadata(config.getMetadata()).setState(state)
                .setCreatedAt(createdAt).setStartedAt(startedAt).setFinishedAt(finishedAt).setExitCode(exitCode)
                .setImage(config.getImage()).setImageRef(imageId).setReason(reason).setMessage(message)
                .putAllLabels(config.getLabelsMap()).putAllAnnotations(config.getAnnotationsMap()).build();
    }
}
