package io.hypernetes.kubemark;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Once a second, reads the control plane's and Kubemark's own process from {@code /proc} and the pod watch's
 * counts: the run's timeline, and the peaks the report needs.
 */
final class Sampler implements AutoCloseable {
    private final OptionalLong controlPlane;
    private final long self = ProcessHandle.current().pid();
    private final long origin;
    private final List<Report.Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile PodWatch watch;
    private volatile boolean stopped;
    private ProcessStats lastCp;
    private ProcessStats lastSelf;
    private long lastAt;

    Sampler(OptionalLong controlPlane, long originNanos) {
        this.controlPlane = controlPlane;
        this.origin = originNanos;
        this.thread = Thread.ofPlatform().daemon().name("kubemark-sampler").start(this::loop);
    }

    void watching(PodWatch w) {
        this.watch = w;
    }

    private void loop() {
        while (!stopped) {
            sample();
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void sample() {
        long now = System.nanoTime();
        Optional<ProcessStats> cp = controlPlane.isPresent() ? ProcessStats.read(controlPlane.getAsLong()) : Optional.empty();
        Optional<ProcessStats> me = ProcessStats.read(self);
        double dt = (now - lastAt) / 1e9;
        Double cpCores = cp.isPresent() && lastCp != null ? (cp.get().cpuSeconds() - lastCp.cpuSeconds()) / dt : null;
        Double meCores = me.isPresent() && lastSelf != null ? (me.get().cpuSeconds() - lastSelf.cpuSeconds()) / dt : null;
        PodWatch w = watch;
        samples.add(new Report.Sample(round((now - origin) / 1e9, 3),
                w == null ? 0 : w.observed(), w == null ? 0 : w.scheduled(), w == null ? 0 : w.running(),
                round(cpCores, 3), cp.map(s -> round(s.rssBytes() / 1048576.0, 1)).orElse(null),
                round(meCores, 3), me.map(s -> round(s.rssBytes() / 1048576.0, 1)).orElse(null)));
        lastCp = cp.orElse(null);
        lastSelf = me.orElse(null);
        lastAt = now;
    }

    synchronized List<Report.Sample> samples() {
        return List.copyOf(samples);
    }

    /** Kubemark's own process now. */
    Optional<ProcessStats> self() {
        return ProcessStats.read(self);
    }

    Optional<ProcessStats> controlPlane() {
        return controlPlane.isPresent() ? ProcessStats.read(controlPlane.getAsLong()) : Optional.empty();
    }

    /** Takes a last sample and stops. */
    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
    }

    static Double round(Double v, int digits) {
        if (v == null || v.isNaN() || v.isInfinite()) return null;
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
