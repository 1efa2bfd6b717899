package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.quantity.Quantity;
import io.hypernetes.api.resource.PodSize;

/**
 * What a pod takes from the node it runs on: its VM's size by {@link PodSize}'s rule (limits, else requests;
 * the larger of containers and init containers; plus overhead; the default VM size where nothing is named),
 * in milli-CPU and bytes. Never zero, so every pod counts in scoring as well as in fitting.
 *
 * @param milliCpu thousandths of a core
 * @param memory   bytes
 */
public record PodRequest(long milliCpu, long memory) {

    public static PodRequest of(JsonNode pod) {
        PodSize size = PodSize.of(pod);
        return new PodRequest(milli(size.cpu()), bytes(size.memory()));
    }

    /** The request as node usage: one pod's worth. */
    public Resources asResources() {
        return new Resources(milliCpu, memory, 1);
    }

    // A quantity too large for a long cannot fit any node; saturating keeps it unschedulable rather than failing.
    private static long milli(Quantity q) {
        try {
            return q.milliValue();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    private static long bytes(Quantity q) {
        try {
            return q.value();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }
}
