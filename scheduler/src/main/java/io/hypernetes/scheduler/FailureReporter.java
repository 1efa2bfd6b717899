package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Tells users why a pod waits: in a cluster, a {@code Warning} Event with reason {@code FailedScheduling} on the
 * pod. Must not block for long: it is called from the scheduling loop.
 */
@FunctionalInterface
public interface FailureReporter {
    /** {@code message} as kube-scheduler words it, e.g. {@code 0/3 nodes are available: 3 Insufficient cpu.} */
    void failedScheduling(JsonNode pod, String message);
}
