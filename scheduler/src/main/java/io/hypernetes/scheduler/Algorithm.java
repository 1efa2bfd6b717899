package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One scheduling decision: which node a pod goes to, or why none can take it.
 *
 * <p>As kube-scheduler: filters run on nodes, in order, and a node fails at its first failing filter; once enough
 * feasible nodes are found ({@link #numFeasibleNodesToFind}) the search stops, and the next decision starts where
 * this one stopped, so every node gets its turn. Feasible nodes are scored by each {@link Score}, normalized
 * to 0–100, weighted and summed; the best wins, ties broken at random by a seeded generator, so runs with one
 * seed decide alike. A single feasible node is chosen without scoring.
 *
 * <p>Not thread-safe: it keeps the round-robin start, and the scheduling loop is its only caller.
 */
public final class Algorithm {
    static final int MIN_FEASIBLE_NODES_TO_FIND = 100;
    static final int MIN_FEASIBLE_NODES_PERCENTAGE = 5;
    static final int BASE_PERCENTAGE_OF_NODES_TO_SCORE = 50;

    /** A score with its weight in the sum. */
    public record Weighted(Score score, int weight) {}

    /** The outcome of {@link #schedule}. */
    public sealed interface Result {
        /** {@code node} won; {@code evaluated} nodes were filtered and {@code feasible} of them passed. */
        record Scheduled(String node, int evaluated, int feasible) implements Result {}

        /** No node can run the pod. */
        record Unschedulable(FitError error) implements Result {}

        /** The pod is not the scheduler's to place (already has a node, is being deleted). */
        record Skipped(String reason) implements Result {}
    }

    private final List<Filter> filters;
    private final List<Weighted> scores;
    private final int percentageOfNodesToScore;
    private final Random random;
    private int nextStartNodeIndex;

    /** kube-scheduler's default plugins and weights for what Hypernetes supports. */
    public Algorithm(SchedulerConfig config) {
        this(defaultFilters(), defaultScores(), config.percentageOfNodesToScore(), config.seed());
    }

    public Algorithm(List<Filter> filters, List<Weighted> scores, int percentageOfNodesToScore, long seed) {
        this.filters = List.copyOf(filters);
        this.scores = List.copyOf(scores);
        this.percentageOfNodesToScore = percentageOfNodesToScore;
        this.random = new Random(seed);
    }

    /** In kube-scheduler's order: cheap, decisive checks first. */
    public static List<Filter> defaultFilters() {
        return List.of(new NodeUnschedulable(), new NodeReady(), new TaintToleration(), new NodeAffinity(),
                new NodeResourcesFit());
    }

    /** kube-scheduler's default weights: TaintToleration 3, NodeAffinity 2, the two resource scores 1. */
    public static List<Weighted> defaultScores() {
        return List.of(new Weighted(new TaintToleration(), 3), new Weighted(new NodeAffinity(), 2),
                new Weighted(new NodeResourcesFit(), 1), new Weighted(new BalancedAllocation(), 1));
    }

    /**
     * How many feasible nodes to look for among {@code numAllNodes}: all of them under 100 nodes or at 100%;
     * else the configured percentage, or when adaptive (0) {@code 50 - numAllNodes/125} percent, at least 5%;
     * never fewer than 100 nodes.
     */
    public static int numFeasibleNodesToFind(int numAllNodes, int percentageOfNodesToScore) {
        if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND || percentageOfNodesToScore >= 100) return numAllNodes;
        int percentage = percentageOfNodesToScore;
        if (percentage <= 0) {
            percentage = BASE_PERCENTAGE_OF_NODES_TO_SCORE - numAllNodes / 125;
            if (percentage < MIN_FEASIBLE_NODES_PERCENTAGE) percentage = MIN_FEASIBLE_NODES_PERCENTAGE;
        }
        int n = (int) ((long) numAllNodes * percentage / 100);
        return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
    }

    public Result schedule(JsonNode pod, List<NodeInfo> nodes) {
        return schedule(PodInfo.of(pod), nodes);
    }

    public Result schedule(PodInfo pod, List<NodeInfo> nodes) {
        if (!pod.nodeName().isEmpty()) return new Result.Skipped("already assigned to node " + pod.nodeName());
        if (io.hypernetes.api.json.Meta.deleting(pod.pod())) return new Result.Skipped("being deleted");
        int all = nodes.size();
        if (all == 0) return new Result.Unschedulable(new FitError(0, Map.of()));

        int want = numFeasibleNodesToFind(all, percentageOfNodesToScore);
        List<NodeInfo> feasible = new ArrayList<>(Math.min(want, all));
        Map<String, List<String>> failed = new LinkedHashMap<>();
        int start = nextStartNodeIndex % all;
        int evaluated = 0;
        while (evaluated < all && feasible.size() < want) {
            NodeInfo node = nodes.get((start + evaluated) % all);
            evaluated++;
            List<String> reasons = runFilters(pod, node);
            if (reasons.isEmpty()) feasible.add(node);
            else failed.put(node.name(), reasons);
        }
        nextStartNodeIndex = (start + evaluated) % all;
        if (feasible.isEmpty()) return new Result.Unschedulable(new FitError(all, failed));
        if (feasible.size() == 1) return new Result.Scheduled(feasible.getFirst().name(), evaluated, 1);
        return new Result.Scheduled(feasible.get(best(pod, feasible)).name(), evaluated, feasible.size());
    }

    private List<String> runFilters(PodInfo pod, NodeInfo node) {
        for (Filter f : filters) {
            List<String> reasons = f.filter(pod, node);
            if (!reasons.isEmpty()) return reasons;
        }
        return List.of();
    }

    /** Totals of every node's weighted scores; package-private so tests can see why a node won. */
    long[] totals(PodInfo pod, List<NodeInfo> feasible) {
        long[] total = new long[feasible.size()];
        long[] raw = new long[feasible.size()];
        for (Weighted w : scores) {
            for (int i = 0; i < raw.length; i++) raw[i] = w.score().score(pod, feasible.get(i));
            w.score().normalize(raw);
            for (int i = 0; i < raw.length; i++) total[i] += raw[i] * w.weight();
        }
        return total;
    }

    /** The highest total; among equals, each is equally likely (reservoir sampling, one pass). */
    private int best(PodInfo pod, List<NodeInfo> feasible) {
        long[] total = totals(pod, feasible);
        int best = 0;
        int ties = 1;
        for (int i = 1; i < total.length; i++) {
            if (total[i] > total[best]) {
                best = i;
                ties = 1;
            } else if (total[i] == total[best] && random.nextInt(++ties) == 0) {
                best = i;
            }
        }
        return best;
    }
}
