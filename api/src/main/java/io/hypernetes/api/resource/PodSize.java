package io.hypernetes.api.resource;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.quantity.Quantity;
import io.hypernetes.api.quantity.QuantityFormatException;

/**
 * How much CPU and memory a pod's VM takes: the one sizing rule shared by the scheduler (what a pod takes from a
 * node) and tenant quota (what a pod takes from its tenant).
 *
 * <p>Per container and resource, the container's limit, else its request: a pod is a VM, and a VM is given its
 * limit (vCPU = ceil(limits), memory = limits), so counting requests would overcommit nodes with memory the
 * guests really hold. The containers combine as Kubernetes combines requests: the sum of the regular containers
 * and sidecars (init containers with {@code restartPolicy: Always}), or, when larger, what any ordinary init
 * container needs beside the sidecars started before it, since init containers run one at a time before the
 * others. A resource no container names takes the default VM size, {@value #DEFAULT_CPU} CPU and
 * {@value #DEFAULT_MEMORY}; {@code spec.overhead} is added on top. A quantity that does not parse counts as
 * absent (validation refuses such a pod anyway).
 *
 * @param cpu    cores
 * @param memory bytes
 */
public record PodSize(Quantity cpu, Quantity memory) {
    public static final String DEFAULT_CPU = "1";
    public static final String DEFAULT_MEMORY = "128Mi";

    /** The size of a pod that names no resources. */
    public static final PodSize DEFAULT = new PodSize(Quantity.parse(DEFAULT_CPU), Quantity.parse(DEFAULT_MEMORY));

    /** The size of {@code pod}'s VM, by the rule in the class comment. */
    public static PodSize of(JsonNode pod) {
        JsonNode spec = pod.path("spec");
        PodSize containers = sum(spec.path("containers"));
        PodSize sidecars = new PodSize(Quantity.ZERO, Quantity.ZERO);
        PodSize initPeak = new PodSize(Quantity.ZERO, Quantity.ZERO);
        for (JsonNode c : spec.path("initContainers")) {
            PodSize own = container(c);
            if ("Always".equals(c.path("restartPolicy").asText())) {
                sidecars = sidecars.plus(own);
            } else {
                initPeak = initPeak.max(own.plus(sidecars));
            }
        }
        PodSize size = containers.plus(sidecars).max(initPeak);
        Quantity cpu = size.cpu.isZero() ? DEFAULT.cpu : size.cpu;
        Quantity memory = size.memory.isZero() ? DEFAULT.memory : size.memory;
        JsonNode overhead = spec.path("overhead");
        return new PodSize(cpu.add(quantity(overhead.path("cpu"))), memory.add(quantity(overhead.path("memory"))));
    }

    public PodSize plus(PodSize other) {
        return new PodSize(cpu.add(other.cpu), memory.add(other.memory));
    }

    /** Per resource, the larger of the two. */
    public PodSize max(PodSize other) {
        return new PodSize(cpu.compareTo(other.cpu) >= 0 ? cpu : other.cpu,
                memory.compareTo(other.memory) >= 0 ? memory : other.memory);
    }

    private static PodSize sum(JsonNode containers) {
        PodSize total = new PodSize(Quantity.ZERO, Quantity.ZERO);
        for (JsonNode c : containers) total = total.plus(container(c));
        return total;
    }

    private static PodSize container(JsonNode container) {
        JsonNode resources = container.path("resources");
        return new PodSize(resource(resources, "cpu"), resource(resources, "memory"));
    }

    private static Quantity resource(JsonNode resources, String name) {
        Quantity limit = quantity(resources.path("limits").path(name));
        return limit.isZero() ? quantity(resources.path("requests").path(name)) : limit;
    }

    private static Quantity quantity(JsonNode v) {
        if (v.isMissingNode() || v.isNull()) return Quantity.ZERO;
        try {
            Quantity q = Quantity.fromJson(v);
            return q.signum() < 0 ? Quantity.ZERO : q;
        } catch (QuantityFormatException e) {
            return Quantity.ZERO;
        }
    }
}
