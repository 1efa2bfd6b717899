package io.hypernetes.runtime.hollow;

import io.grpc.BindableService;

/**
 * A runtime that pretends: the named fake behind Kubemark's hollow nodes, served through the same
 * {@code RuntimeService} and {@code ImageService} as hyperd, so a node agent cannot tell it from a real runtime
 * by the shape of its answers, only by the fact that nothing runs.
 *
 * <h2>Why it is built this way</h2>
 * Kubemark runs about 500 hollow nodes in one JVM, each with its own instance. So an instance owns no thread:
 * every timer (a container's exit, its log ticks, a stop's grace period, an exec's {@code sleep}) is a task on one
 * scheduler shared by all instances, and a request never blocks a thread while it waits (a stop that must wait
 * for its timeout answers from that scheduler). State is a few objects per pod and a bounded log per container
 * (the last 1,000 lines, at most 1 MiB). All of one instance's state is guarded by one lock: its callers are one node
 * agent, so there is nothing to contend for, and one lock makes every stream's messages come out in the order things
 * happened.
 *
 * <h2>Canned behaviour</h2>
 * <ul>
 * <li>{@code Version} answers runtime_name {@code hollow}; {@code Status} reports RuntimeReady and NetworkReady.
 * <li>A sandbox is READY at once, with an address from {@link Config#podCidr()} (never the network, gateway
 * {@code .1} or broadcast address, never one that a sandbox not yet removed holds; RESOURCE_EXHAUSTED when none is
 * left). Stopping it exits all its containers; removing it frees its address.
 * <li>A container may be created only from a pulled image in a READY sandbox; started, it is RUNNING until stopped.
 * Its environment steers it: {@code HOLLOW_EXIT_AFTER_MS=n} makes it exit n ms after start with
 * {@code HOLLOW_EXIT_CODE} (default 0; reason Completed for 0, Error otherwise); {@code HOLLOW_LOG_EVERY_MS=n}
 * writes {@code tick <k>} every n ms; {@code HOLLOW_IGNORE_SIGTERM=true} makes a stop take its whole timeout and
 * end in exit code 137 (otherwise a stop ends at once with 0, Completed). Its log reads
 * {@code hollow container <name> started (<image>)} and ends with {@code exited with code <n>}.
 * <li>Images: any syntactically valid reference pulls (its id is {@code sha256:} and the SHA-256 of its
 * normalized name), except one containing {@code hollow-pull-fails}, which fails as a registry's "manifest unknown".
 * <li>Exec and ExecSync interpret a few commands ({@code echo true false exit cat hostname env sleep} and
 * {@code sh -c "<one of them>"}); any other fails at once with exit code 127. Attach streams the container's new log
 * lines and writes what it reads from stdin into the log.
 * </ul>
 */
public final class HollowRuntime implements AutoCloseable {

    /**
     * The node this runtime pretends to run on.
     *
     * @param hostname the node's name, the hostname of a sandbox whose config names none
     * @param podCidr  the node's pod network, e.g. {@code 10.244.3.0/24}, which sandbox addresses come from
     */
    public record Config(String hostname, String podCidr) {
        public Config {
            if (hostname == null || hostname.isBlank()) {
                throw new IllegalArgumentException("hollow runtime: hostname is required");
            }
            PodAddresses.parse(podCidr); // fails with the reason
        }
    }

    private final HollowRuntimeService runtime;
    private final HollowImageService images;

    public HollowRuntime(Config config) {
        ImageStore store = new ImageStore();
        this.runtime = new HollowRuntimeService(config, store);
        this.images = new HollowImageService(store);
    }

    /** The {@code RuntimeService} and {@code ImageService} implementations, to serve with a {@code RuntimeEndpoint}. */
    public BindableService[] services() {
        return new BindableService[] {runtime, images};
    }

    /** Kills every container and cancels every timer of this instance (its pending streams end). */
    @Override
    public void close() {
        runtime.close();
    }
}
