package io.hypernetes.scheduler;

import java.util.List;

/**
 * Nodes whose {@code Ready} condition is not {@code True} take only pods that tolerate it. Kubernetes expresses
 * readiness as taints its node lifecycle controller sets ({@code node.kubernetes.io/not-ready} when the condition
 * is False or absent, {@code node.kubernetes.io/unreachable} when Unknown, both NoSchedule); this filter reads the
 * condition directly, so it does not wait for a controller, and treats it as that taint: a pod that tolerates
 * the taint (a DaemonSet's) passes, and the reason reads as Kubernetes users know it.
 */
final class NodeReady implements Filter {
    static final Taint NOT_READY = new Taint("node.kubernetes.io/not-ready", "", Taint.NO_SCHEDULE);
    static final Taint UNREACHABLE = new Taint("node.kubernetes.io/unreachable", "", Taint.NO_SCHEDULE);

    @Override
    public String name() {
        return "NodeReady";
    }

    @Override
    public List<String> filter(PodInfo pod, NodeInfo node) {
        if (node.ready()) return List.of();
        Taint implied = node.readyStatus().equals("Unknown") ? UNREACHABLE : NOT_READY;
        if (Toleration.anyTolerates(pod.tolerations(), implied)) return List.of();
        return List.of(TaintToleration.reason(implied));
    }
}
