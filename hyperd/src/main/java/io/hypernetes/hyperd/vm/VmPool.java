package io.hypernetes.hyperd.vm;

import io.hypernetes.hyperd.net.DefaultNetwork;
import io.hypernetes.hyperd.net.Tap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * VMs booted ahead of their pods, so a pod starts without waiting for a cold boot (seconds under TCG).
 *
 * <p>Every pooled VM has the pool's one shape, its own tap (a NIC cannot be hot-plugged into a microvm) and a guest
 * whose hyperstart has said READY. {@link #take} hands out one whose shape {@linkplain VmShape#covers covers} the
 * wanted one: a bigger VM than asked costs host memory but is never too small, and the pod's containers are still
 * limited inside the guest. A pod that wants more than the pool's shape gets nothing and boots its own VM.
 *
 * <p>One virtual thread refills the pool, one boot at a time, so refilling never takes more than one core from the
 * node's pods; after a failed boot it backs off (5 s, doubling to 2 min). Pooled VMs carry a {@code pooled} marker
 * in their directory: a restarted hyperd reattaches them instead of booting new ones ({@link #leave} keeps them
 * running at hyperd's exit; {@link #close} stops them).
 */
public final class VmPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(VmPool.class);
    static final String MARKER = "pooled";

    /** Where pooled VMs get their NICs. */
    public interface Nics {
        Optional<Tap> attach(String vmId) throws IOException;

        void release(String vmId) throws IOException;

        /** No network: loopback-only VMs. */
        static Nics none() {
            return new Nics() {
                public Optional<Tap> attach(String vmId) {
                    return Optional.empty();
                }

                public void release(String vmId) {
                }
            };
        }

        static Nics of(DefaultNetwork network) {
            return new Nics() {
                public Optional<Tap> attach(String vmId) throws IOException {
                    return network.attach(vmId);
                }

                public void release(String vmId) throws IOException {
                    network.release(vmId);
                }
            };
        }
    }

    private final VmConfig config;
    private final int size;
    private final VmShape shape;
    private final Nics nics;
    private final Duration readyTimeout;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Deque<Vm> ready = new ArrayDeque<>();
    private boolean closed;
    private Thread refiller;
    private volatile Vm booting;

    public VmPool(VmConfig config, int size, VmShape shape, Nics nics, Duration readyTimeout) {
        if (size < 0) {
            throw new IllegalArgumentException("pool size cannot be negative: " + size);
        }
        this.config = config;
        this.size = size;
        this.shape = shape;
        this.nics = nics;
        this.readyTimeout = readyTimeout;
    }

    /** Reattaches the pooled VMs a previous hyperd left running, then starts refilling. */
    public VmPool start() {
        for (Path dir : pooledDirs()) {
            try {
                Optional<Vm> vm = Vm.reattach(dir);
                if (vm.isPresent() && vm.get().shape().equals(shape) && ready.size() < size) {
                    ready.add(vm.get());
                    log.info("pool: reattached {}", vm.get());
                } else if (vm.isPresent()) {
                    stopPooled(vm.get());
                } else {
                    String id = dir.getFileName().toString();
                    Vm.discard(dir);
                    nics.release(id);
                }
            } catch (IOException e) {
                log.warn("pool: cannot reattach {}: {}", dir, e.getMessage());
            }
        }
        refiller = Thread.ofVirtual().name("vm-pool-refill").start(this::refill);
        return this;
    }

    private List<Path> pooledDirs() {
        if (!Files.isDirectory(config.vmsDir())) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(config.vmsDir())) {
            return dirs.filter(d -> Files.exists(d.resolve(MARKER))).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** A READY VM that fits {@code wanted}, no longer pooled (the caller stops it); empty if none is ready. */
    public Optional<Vm> take(VmShape wanted) {
        lock.lock();
        try {
            for (Iterator<Vm> it = ready.iterator(); it.hasNext(); ) {
                Vm vm = it.next();
                if (!vm.isRunning()) {
                    it.remove();
                    changed.signalAll();
                    continue;
                }
                if (vm.shape().covers(wanted)) {
                    it.remove();
                    Files.deleteIfExists(vm.dir().resolve(MARKER));
                    changed.signalAll();
                    return Optional.of(vm);
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            log.warn("pool: cannot unmark a VM: {}", e.getMessage());
            return Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    /** How many READY VMs wait in the pool. */
    public int available() {
        lock.lock();
        try {
            return ready.size();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until {@code count} VMs are ready or the deadline passes; returns how many are. */
    public int awaitAvailable(int count, Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        lock.lock();
        try {
            while (ready.size() < count && !closed) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
            return ready.size();
        } finally {
            lock.unlock();
        }
    }

    private void refill() {
        long backoffMs = 5_000;
        while (true) {
            lock.lock();
            try {
                while (!closed && ready.size() >= size) {
                    changed.await();
                }
                if (closed) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            String id = "pool-" + UUID.randomUUID().toString().substring(0, 8);
            Vm vm = null;
            try {
                vm = Vm.boot(config, id, shape, nics.attach(id));
                booting = vm;
                Files.writeString(vm.dir().resolve(MARKER), "");
                long t0 = System.nanoTime();
                vm.awaitReady(readyTimeout);
                log.info("pool: {} READY after {} ms", vm, (System.nanoTime() - t0) / 1_000_000);
                lock.lock();
                try {
                    if (!closed) {
                        ready.add(vm);
                        changed.signalAll();
                        vm = null;
                    }
                } finally {
                    lock.unlock();
                }
                backoffMs = 5_000;
            } catch (IOException | RuntimeException e) {
                log.warn("pool: boot of {} failed, next try in {} s: {}", id, backoffMs / 1000, e.getMessage());
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
                backoffMs = Math.min(backoffMs * 2, 120_000);
            } finally {
                booting = null;
                if (vm != null) {
                    stopPooled(vm);
                } else {
                    releaseQuietly(id, false);
                }
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
            }
        }
    }

    private void releaseQuietly(String id, boolean always) {
        if (always || !Files.exists(config.vmsDir().resolve(id))) {
            try {
                nics.release(id);
            } catch (IOException e) {
                log.warn("pool: cannot release the NIC of {}: {}", id, e.getMessage());
            }
        }
    }

    private void stopPooled(Vm vm) {
        vm.stop(Duration.ZERO);
        releaseQuietly(vm.id(), true);
    }

    /** Stops refilling and disconnects, leaving the pooled VMs running for the next hyperd to {@link #start reattach}. */
    public void leave() {
        shutdownRefiller();
        lock.lock();
        try {
            ready.forEach(Vm::disconnect);
            ready.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Stops refilling and stops the pooled VMs that were never taken, including one still booting. */
    @Override
    public void close() {
        Vm boot = booting;
        if (boot != null) {
            boot.stop(Duration.ZERO); // its awaitReady fails at once; the refiller then frees what it holds
        }
        shutdownRefiller();
        lock.lock();
        try {
            ready.forEach(this::stopPooled);
            ready.clear();
        } finally {
            lock.unlock();
        }
    }

    private void shutdownRefiller() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (refiller != null) {
            refiller.interrupt();
            try {
                // a boot in progress is not waited for: its VM is marked pooled already, so the next start reattaches it
                refiller.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
