package io.hypernetes.scheduler;

import java.util.List;

/**
 * A predicate on (pod, node): the node can run the pod, or the reasons it cannot, worded as kube-scheduler
 * words them in {@code FailedScheduling} events ("Insufficient cpu", "node(s) were unschedulable"). Reasons
 * are aggregated over nodes by {@link FitError}, so equal reasons must be equal strings.
 */
public interface Filter {
    /** The plugin's name, as in kube-scheduler's configuration. */
    String name();

    /** Empty when {@code node} can run {@code pod}; otherwise why not (one entry per reason). */
    List<String> filter(PodInfo pod, NodeInfo node);
}
