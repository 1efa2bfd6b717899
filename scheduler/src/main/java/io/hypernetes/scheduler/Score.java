package io.hypernetes.scheduler;

/**
 * How much a feasible node suits a pod, 0 (worst) to {@value #MAX} (best) once normalized. Scores that are
 * relative (a count of untolerated taints, a sum of affinity weights) return raw values from {@link #score}
 * and map them onto 0–100 across the candidate nodes in {@link #normalize}.
 */
public interface Score {
    int MAX = 100;

    String name();

    long score(PodInfo pod, NodeInfo node);

    /** Maps raw scores of all feasible nodes onto 0–{@value #MAX}, in place; they already are by default. */
    default void normalize(long[] scores) {}
}
