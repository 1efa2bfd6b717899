package io.hypernetes.scheduler;

import java.util.List;

/**
 * {@code spec.nodeSelector} and node affinity. Filter: every nodeSelector label must match and, if the pod has
 * required node affinity, one of its terms. Score: the sum of the weights of the preferred terms the node
 * matches, normalized so the best node scores 100 (all 0 when no node matches any).
 */
final class NodeAffinity implements Filter, Score {
    static final String REASON = "node(s) didn't match Pod's node affinity/selector";

    @Override
    public String name() {
        return "NodeAffinity";
    }

    @Override
    public List<String> filter(PodInfo pod, NodeInfo node) {
        for (var e : pod.nodeSelector().entrySet()) {
            if (!e.getValue().equals(node.labels().get(e.getKey()))) return List.of(REASON);
        }
        NodeSelector required = pod.requiredAffinity();
        if (required != null && !required.matches(node.name(), node.labels())) return List.of(REASON);
        return List.of();
    }

    @Override
    public long score(PodInfo pod, NodeInfo node) {
        long sum = 0;
        for (PodInfo.PreferredTerm p : pod.preferredAffinity()) {
            if (p.weight() != 0 && p.term().matches(node.name(), node.labels())) sum += p.weight();
        }
        return sum;
    }

    @Override
    public void normalize(long[] scores) {
        long max = 0;
        for (long s : scores) max = Math.max(max, s);
        if (max <= 0) {
            java.util.Arrays.fill(scores, 0);
            return;
        }
        for (int i = 0; i < scores.length; i++) scores[i] = Math.max(0, scores[i]) * MAX / max;
    }
}
