package io.hypernetes.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * Taints and tolerations. Filter: a node whose NoSchedule or NoExecute taint the pod does not tolerate is out,
 * named by the first such taint. Score: fewer untolerated PreferNoSchedule taints is better, normalized so the
 * node with the most scores 0 and nodes with none score 100 (only tolerations with no effect or
 * PreferNoSchedule count here, as in Kubernetes).
 */
final class TaintToleration implements Filter, Score {

    static String reason(Taint taint) {
        return "node(s) had untolerated taint " + taint;
    }

    @Override
    public String name() {
        return "TaintToleration";
    }

    @Override
    public List<String> filter(PodInfo pod, NodeInfo node) {
        for (Taint t : node.taints()) {
            boolean hard = t.effect().equals(Taint.NO_SCHEDULE) || t.effect().equals(Taint.NO_EXECUTE);
            if (hard && !Toleration.anyTolerates(pod.tolerations(), t)) return List.of(reason(t));
        }
        return List.of();
    }

    @Override
    public long score(PodInfo pod, NodeInfo node) {
        List<Toleration> soft = null;
        long count = 0;
        for (Taint t : node.taints()) {
            if (!t.effect().equals(Taint.PREFER_NO_SCHEDULE)) continue;
            if (soft == null) soft = preferNoScheduleTolerations(pod.tolerations());
            if (!Toleration.anyTolerates(soft, t)) count++;
        }
        return count;
    }

    @Override
    public void normalize(long[] scores) {
        long max = 0;
        for (long s : scores) max = Math.max(max, s);
        for (int i = 0; i < scores.length; i++) scores[i] = max == 0 ? MAX : MAX - scores[i] * MAX / max;
    }

    private static List<Toleration> preferNoScheduleTolerations(List<Toleration> all) {
        List<Toleration> out = new ArrayList<>(all.size());
        for (Toleration t : all) {
            if (t.effect().isEmpty() || t.effect().equals(Taint.PREFER_NO_SCHEDULE)) out.add(t);
        }
        return out;
    }
}
