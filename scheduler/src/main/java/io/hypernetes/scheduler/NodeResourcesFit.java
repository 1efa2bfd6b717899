package io.hypernetes.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * Resources. Filter: the node must have room for one more pod and for the pod's CPU and memory beside what its
 * pods (bound and assumed) already take; every shortfall is a reason ("Too many pods", "Insufficient cpu",
 * "Insufficient memory"). Score: Kubernetes' default LeastAllocated strategy, the mean over CPU and memory of
 * the share left free once the pod is placed, so pods spread to the emptiest nodes.
 */
final class NodeResourcesFit implements Filter, Score {
    static final String TOO_MANY_PODS = "Too many pods";
    static final String INSUFFICIENT_CPU = "Insufficient cpu";
    static final String INSUFFICIENT_MEMORY = "Insufficient memory";

    @Override
    public String name() {
        return "NodeResourcesFit";
    }

    @Override
    public List<String> filter(PodInfo pod, NodeInfo node) {
        Resources alloc = node.allocatable();
        Resources used = node.requested();
        PodRequest req = pod.request();
        boolean pods = used.pods() + 1 > alloc.pods();
        boolean cpu = req.milliCpu() > 0 && req.milliCpu() > alloc.milliCpu() - used.milliCpu();
        boolean memory = req.memory() > 0 && req.memory() > alloc.memory() - used.memory();
        if (!pods && !cpu && !memory) return List.of();
        List<String> reasons = new ArrayList<>(3);
        if (pods) reasons.add(TOO_MANY_PODS);
        if (cpu) reasons.add(INSUFFICIENT_CPU);
        if (memory) reasons.add(INSUFFICIENT_MEMORY);
        return reasons;
    }

    @Override
    public long score(PodInfo pod, NodeInfo node) {
        Resources alloc = node.allocatable();
        Resources used = node.requested();
        long cpu = leastAllocated(used.milliCpu() + pod.request().milliCpu(), alloc.milliCpu());
        long memory = leastAllocated(used.memory() + pod.request().memory(), alloc.memory());
        return (cpu + memory) / 2;
    }

    static long leastAllocated(long requested, long capacity) {
        if (capacity <= 0 || requested > capacity) return 0;
        long free = capacity - requested;
        // Integer division as Kubernetes does; quantities beyond 2^56 (64 PiB) go through double to avoid overflow.
        return capacity < Long.MAX_VALUE / MAX ? free * MAX / capacity : (long) ((double) free / capacity * MAX);
    }
}
