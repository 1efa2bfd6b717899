package io.hypernetes.scheduler;

import java.time.Duration;

/**
 * The scheduler's knobs, with kube-scheduler's defaults where it has one.
 *
 * @param schedulerName            pods naming another {@code spec.schedulerName} are left alone
 * @param percentageOfNodesToScore 0 for adaptive (50% at 100 nodes, falling to 5%, never under 100 nodes);
 *                                 1–100 for a fixed share; see {@link Algorithm#numFeasibleNodesToFind}
 * @param initialBackoff           a pod's first wait after a failed attempt; doubles per attempt
 * @param maxBackoff               the longest wait
 * @param maxUnschedulable         the longest an unschedulable pod waits for an event before it is retried anyway
 * @param flushInterval            how often the queue moves pods whose wait ended
 * @param assumedTtl               how long an assumed pod whose bind succeeded waits for the watch to confirm it
 * @param seed                     seeds the tie-break among equally scored nodes
 */
public record SchedulerConfig(String schedulerName, int percentageOfNodesToScore, Duration initialBackoff,
                              Duration maxBackoff, Duration maxUnschedulable, Duration flushInterval,
                              Duration assumedTtl, long seed) {

    public SchedulerConfig {
        if (percentageOfNodesToScore < 0 || percentageOfNodesToScore > 100) {
            throw new IllegalArgumentException("percentageOfNodesToScore must be 0 (adaptive) to 100, got " + percentageOfNodesToScore);
        }
    }

    public static SchedulerConfig defaults() {
        return new SchedulerConfig(PodInfo.DEFAULT_SCHEDULER, 0, Duration.ofSeconds(1), Duration.ofSeconds(10),
                Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(30), System.nanoTime());
    }

    public SchedulerConfig withPercentageOfNodesToScore(int percentage) {
        return new SchedulerConfig(schedulerName, percentage, initialBackoff, maxBackoff, maxUnschedulable,
                flushInterval, assumedTtl, seed);
    }

    public SchedulerConfig withSeed(long seed) {
        return new SchedulerConfig(schedulerName, percentageOfNodesToScore, initialBackoff, maxBackoff,
                maxUnschedulable, flushInterval, assumedTtl, seed);
    }

    public SchedulerConfig withFlushInterval(Duration interval) {
        return new SchedulerConfig(schedulerName, percentageOfNodesToScore, initialBackoff, maxBackoff,
                maxUnschedulable, interval, assumedTtl, seed);
    }
}
