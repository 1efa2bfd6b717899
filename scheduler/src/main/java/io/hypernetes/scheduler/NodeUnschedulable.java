package io.hypernetes.scheduler;

import java.util.List;

/** Cordoned nodes ({@code spec.unschedulable}) take only pods tolerating the unschedulable taint, as in Kubernetes. */
final class NodeUnschedulable implements Filter {
    static final String REASON = "node(s) were unschedulable";
    static final Taint TAINT = new Taint("node.kubernetes.io/unschedulable", "", Taint.NO_SCHEDULE);

    @Override
    public String name() {
        return "NodeUnschedulable";
    }

    @Override
    public List<String> filter(PodInfo pod, NodeInfo node) {
        if (!node.unschedulable() || Toleration.anyTolerates(pod.tolerations(), TAINT)) return List.of();
        return List.of(REASON);
    }
}
