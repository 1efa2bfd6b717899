package io.hypernetes.scheduler;

/**
 * Kubernetes' NodeResourcesBalancedAllocation: prefers nodes where, once the pod is placed, CPU and memory are
 * used in equal shares, so neither is stranded (a node out of memory with idle cores packs nothing more). The
 * score is {@code (1 - stddev of the shares) * 100}; for two resources the deviation is half their difference.
 * Resources the node does not offer are left out; shares are capped at 1.
 */
final class BalancedAllocation implements Score {

    @Override
    public String name() {
        return "NodeResourcesBalancedAllocation";
    }

    @Override
    public long score(PodInfo pod, NodeInfo node) {
        Resources alloc = node.allocatable();
        Resources used = node.requested();
        double[] shares = new double[2];
        int n = 0;
        if (alloc.milliCpu() > 0) shares[n++] = Math.min(1.0, (double) (used.milliCpu() + pod.request().milliCpu()) / alloc.milliCpu());
        if (alloc.memory() > 0) shares[n++] = Math.min(1.0, (double) (used.memory() + pod.request().memory()) / alloc.memory());
        double std = n == 2 ? Math.abs(shares[0] - shares[1]) / 2 : 0;
        return (long) ((1 - std) * MAX);
    }
}
