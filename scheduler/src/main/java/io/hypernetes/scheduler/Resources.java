package io.hypernetes.scheduler;

/**
 * An amount of the resources the scheduler counts, in the units it compares them in.
 *
 * @param milliCpu thousandths of a core
 * @param memory   bytes
 * @param pods     pods
 */
public record Resources(long milliCpu, long memory, long pods) {
    public static final Resources NONE = new Resources(0, 0, 0);

    public Resources plus(Resources other) {
        return new Resources(Math.addExact(milliCpu, other.milliCpu), Math.addExact(memory, other.memory),
                pods + other.pods);
    }

    public Resources minus(Resources other) {
        return new Resources(milliCpu - other.milliCpu, memory - other.memory, pods - other.pods);
    }
}
