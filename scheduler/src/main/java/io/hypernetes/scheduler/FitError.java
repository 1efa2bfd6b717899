package io.hypernetes.scheduler;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Why no node could run a pod: the reasons each evaluated node failed with. {@link #message()} aggregates them as
 * kube-scheduler does for its {@code FailedScheduling} event: {@code 0/3 nodes are available: 1 Insufficient
 * cpu, 2 node(s) had untolerated taint {dedicated: gpu}.} — each distinct reason with the number of nodes that
 * gave it, sorted as strings. A node may give several reasons (short of both CPU and memory), so the counts may
 * add up to more than the nodes.
 *
 * @param numAllNodes   nodes in the snapshot (the {@code /N})
 * @param reasonsByNode each failed node's reasons
 */
public record FitError(int numAllNodes, Map<String, List<String>> reasonsByNode) {
    /** kube-scheduler's words when there are no nodes at all. */
    public static final String NO_NODES = "no nodes available to schedule pods";

    public FitError {
        reasonsByNode = Collections.unmodifiableMap(reasonsByNode);
    }

    /** Each distinct reason with the number of nodes that gave it. */
    public Map<String, Integer> histogram() {
        Map<String, Integer> counts = new TreeMap<>();
        for (List<String> reasons : reasonsByNode.values()) {
            for (String r : reasons) counts.merge(r, 1, Integer::sum);
        }
        return counts;
    }

    public String message() {
        if (numAllNodes == 0) return NO_NODES;
        List<String> parts = new ArrayList<>();
        histogram().forEach((reason, n) -> parts.add(n + " " + reason));
        Collections.sort(parts);
        StringBuilder msg = new StringBuilder("0/").append(numAllNodes).append(" nodes are available:");
        if (!parts.isEmpty()) msg.append(' ').append(String.join(", ", parts)).append('.');
        return msg.toString();
    }

    @Override
    public String toString() {
        return message();
    }
}
