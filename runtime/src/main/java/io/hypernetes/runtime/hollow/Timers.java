package io.hypernetes.runtime.hollow;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one scheduler every hollow runtime in the process shares: one daemon thread for the timers of all hollow nodes
 * (container exits, log ticks, stop grace periods, {@code sleep}), so 500 hollow nodes cost one thread, not one per
 * container. A task runs under the lock of the runtime it belongs to and must be short.
 */
final class Timers {
    private static final Logger log = LoggerFactory.getLogger(Timers.class);
    private static final ScheduledThreadPoolExecutor EXECUTOR = new ScheduledThreadPoolExecutor(1, task -> {
        Thread thread = new Thread(task, "hollow-runtime-timers");
        thread.setDaemon(true);
        return thread;
    });

    static {
        // A cancelled timer (a container stopped before its exit timer fired) must not stay queued until its time.
        EXECUTOR.setRemoveOnCancelPolicy(true);
    }

    private Timers() {}

    static ScheduledFuture<?> after(long millis, Object lock, Runnable task) {
        return EXECUTOR.schedule(() -> run(lock, task), millis, TimeUnit.MILLISECONDS);
    }

    static ScheduledFuture<?> every(long millis, Object lock, Runnable task) {
        return EXECUTOR.scheduleAtFixedRate(() -> run(lock, task), millis, millis, TimeUnit.MILLISECONDS);
    }

    private static void run(Object lock, Runnable task) {
        try {
            synchronized (lock) {
                task.run();
            }
        } catch (RuntimeException e) {
            // Logged, not thrown: a periodic task that throws is never run again.
            log.warn("hollow runtime timer failed", e);
        }
    }

    static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
