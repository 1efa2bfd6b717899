package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Meta;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduling loop and the handlers the informers call.
 *
 * <pre>
 *  informers ──onPod*(unscheduled)──► SchedulingQueue ──pop──► Algorithm(pod, Cache.snapshot())
 *      │                                   ▲                        │ node              │ FitError
 *      └──onNode*, onPod*(scheduled)──► Cache ◄──assume─────────────┘                   ▼
 *                                          ▲                  bind on a virtual thread  FailureReporter
 *                                          └──forget on failure, pod back to the queue with backoff
 * </pre>
 *
 * <p>One loop thread takes pods one at a time, as kube-scheduler does: decisions are sequential, so each sees
 * the previous one's assumed pod. Binding (an HTTP call) runs on its own virtual thread so the loop never waits
 * for the API server; if it fails, the pod is forgotten, reported and retried after its backoff.
 *
 * <p>Handlers: a pod with no {@code spec.nodeName} for this scheduler ({@code spec.schedulerName}) is pending and
 * queued; a pod with a node takes room in the cache whoever scheduled it; finished pods (Succeeded, Failed) take
 * none. A node added or changed in a way filters see, or a pod leaving a node, may let unschedulable pods fit,
 * so they are moved back to be tried.
 */
public final class Scheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    private final Binder binder;
    private final FailureReporter recorder;
    private final SchedulerConfig config;
    private final SchedulingQueue queue;
    private final Cache cache;
    private final Algorithm algorithm;
    private final ExecutorService binding = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean closed;
    private Thread loop;
    private Thread flusher;

    public Scheduler(Binder binder, FailureReporter recorder, SchedulerConfig config) {
        this(binder, recorder, config, InstantSource.system());
    }

    public Scheduler(Binder binder, FailureReporter recorder, SchedulerConfig config, InstantSource clock) {
        this.binder = binder;
        this.recorder = recorder;
        this.config = config;
        this.queue = new SchedulingQueue(clock, config);
        this.cache = new Cache(clock, config.assumedTtl());
        this.algorithm = new Algorithm(config);
    }

    /** Starts the loop and the queue's flush timer. */
    public synchronized void start() {
        if (loop != null) throw new IllegalStateException("already started");
        loop = Thread.ofPlatform().name("scheduler").daemon().start(this::run);
        flusher = Thread.ofVirtual().name("scheduler-queue-flush").start(() -> {
            while (!closed) {
                try {
                    Thread.sleep(config.flushInterval());
                } catch (InterruptedException e) {
                    return;
                }
                queue.flush();
            }
        });
    }

    private void run() {
        try {
            while (scheduleOne()) {
                // one pod per turn
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * One scheduling cycle: waits for a pod, decides, assumes and starts the bind.
     *
     * @return false once the scheduler is closed
     */
    public boolean scheduleOne() throws InterruptedException {
        SchedulingQueue.QueuedPod queued = queue.pop();
        if (queued == null) return false;
        PodInfo pod = queued.info();
        if (cache.nodeOf(pod.key()) != null) {
            queue.done(queued); // bound meanwhile (by the watch, or assumed already)
            return true;
        }
        Algorithm.Result result;
        try {
            result = algorithm.schedule(pod, cache.snapshot());
        } catch (RuntimeException e) {
            log.error("scheduling {} failed", pod.key(), e);
            recorder.failedScheduling(pod.pod(), "scheduler error: " + e);
            queue.requeueWithBackoff(queued);
            return true;
        }
        switch (result) {
            case Algorithm.Result.Scheduled s -> {
                cache.assume(pod, s.node());
                binding.execute(() -> bind(queued, s.node()));
            }
            case Algorithm.Result.Unschedulable u -> {
                String message = u.error().message();
                log.info("pod {} is unschedulable (attempt {}): {}", pod.key(), queued.attempts(), message);
                recorder.failedScheduling(pod.pod(), message);
                queue.addUnschedulable(queued);
            }
            case Algorithm.Result.Skipped s -> {
                log.debug("pod {} skipped: {}", pod.key(), s.reason());
                queue.done(queued);
            }
        }
        return true;
    }

    private void bind(SchedulingQueue.QueuedPod queued, String node) {
        PodInfo pod = queued.info();
        try {
            binder.bind(pod.pod(), node);
            cache.finishBinding(pod.key());
            queue.done(queued);
            log.info("pod {} assigned to node {}", pod.key(), node);
        } catch (Exception e) {
            cache.forget(pod.key());
            String message = "Binding rejected: " + (e.getMessage() == null ? e.toString() : e.getMessage());
            log.warn("pod {} to node {}: {}", pod.key(), node, message);
            recorder.failedScheduling(pod.pod(), message);
            queue.requeueWithBackoff(queued);
            queue.moveAllToActiveOrBackoff(); // the room it held is free again
        }
    }

    public void onNodeAdd(JsonNode node) {
        cache.updateNode(node);
        queue.moveAllToActiveOrBackoff();
    }

    public void onNodeUpdate(JsonNode oldNode, JsonNode node) {
        if (cache.updateNode(node)) queue.moveAllToActiveOrBackoff();
    }

    public void onNodeDelete(JsonNode node) {
        cache.removeNode(Meta.name(node));
    }

    public void onPodAdd(JsonNode pod) {
        onPodUpdate(null, pod);
    }

    public void onPodUpdate(JsonNode oldPod, JsonNode pod) {
        String key = PodInfo.key(pod);
        boolean assigned = !pod.path("spec").path("nodeName").asText("").isEmpty();
        if (finished(pod)) {
            queue.delete(key);
            if (cache.nodeOf(key) != null) {
                cache.removePod(key);
                queue.moveAllToActiveOrBackoff();
            }
        } else if (assigned) {
            queue.delete(key);
            cache.updatePod(pod);
        } else if (responsibleFor(pod) && !Meta.deleting(pod)) {
            queue.update(pod);
        } else {
            queue.delete(key);
        }
    }

    public void onPodDelete(JsonNode pod) {
        String key = PodInfo.key(pod);
        queue.delete(key);
        if (cache.nodeOf(key) != null) {
            cache.removePod(key);
            queue.moveAllToActiveOrBackoff();
        }
    }

    private boolean responsibleFor(JsonNode pod) {
        String name = pod.path("spec").path("schedulerName").asText("");
        return (name.isEmpty() ? PodInfo.DEFAULT_SCHEDULER : name).equals(config.schedulerName());
    }

    private static boolean finished(JsonNode pod) {
        String phase = pod.path("status").path("phase").asText("");
        return phase.equals("Succeeded") || phase.equals("Failed");
    }

    public SchedulingQueue queue() {
        return queue;
    }

    public Cache cache() {
        return cache;
    }

    /** The nodes as the next cycle will see them. */
    public List<NodeInfo> snapshot() {
        return cache.snapshot();
    }

    /** Stops the loop; binds in progress finish on their own. */
    @Override
    public void close() {
        closed = true;
        queue.close();
        if (flusher != null) flusher.interrupt();
        binding.shutdown();
    }
}
