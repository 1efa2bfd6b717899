package io.hypernetes.kubemark;

import io.grpc.ManagedChannel;
import io.hypernetes.client.KubeClient;
import io.hypernetes.kubelet.NodeAgent;
import io.hypernetes.runtime.RuntimeEndpoint;
import io.hypernetes.runtime.hollow.HollowRuntime;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One hollow node: the real node agent, with its own credentials ({@code system:node:<name>}), its own HTTP client
 * and so its own connections and watches to the API server, as a real node loads it; and a hollow runtime served
 * in-process through the same gRPC interface a real runtime is reached by.
 */
final class HollowNode implements AutoCloseable {
    /** What every hollow node offers: like a mid-size VM host, so P pods of 10m / 16Mi fit well within it. */
    static final long CPU_MILLIS = 8000;
    static final long MEMORY_BYTES = 32L << 30;
    static final int MAX_PODS = 110;

    private final String name;
    private final KubeClient client;
    private final HollowRuntime runtime;
    private final RuntimeEndpoint.Serving serving;
    private final ManagedChannel channel;
    private final NodeAgent agent;

    private HollowNode(String name, KubeClient client, HollowRuntime runtime, RuntimeEndpoint.Serving serving,
            ManagedChannel channel, NodeAgent agent) {
        this.name = name;
        this.client = client;
        this.runtime = runtime;
        this.serving = serving;
        this.channel = channel;
        this.agent = agent;
    }

    /** Node {@code index}'s pod network: 10.64.0.0/10 cut into /24s, enough for 16,384 nodes. */
    static String podCidr(int index) {
        if (index < 0 || index >= 1 << 14) throw new IllegalArgumentException("hollow node index out of range: " + index);
        return "10." + (64 + index / 256) + "." + (index % 256) + ".0/24";
    }

    static HollowNode start(String name, String podCidr, Path kubeconfig, String runLabel) {
        KubeClient client = KubeClient.fromKubeconfig(kubeconfig);
        HollowRuntime runtime = new HollowRuntime(new HollowRuntime.Config(name, podCidr));
        RuntimeEndpoint endpoint = RuntimeEndpoint.parse("inprocess:hollow-" + name);
        RuntimeEndpoint.Serving serving = endpoint.serve(runtime.services());
        ManagedChannel channel = endpoint.connect();
        try {
            NodeAgent agent = NodeAgent.start(NodeAgent.Config.defaults(name)
                    .withCapacity(CPU_MILLIS, MEMORY_BYTES, MAX_PODS)
                    .withPodCidr(podCidr)
                    .withLabels(Map.of("kubernetes.io/hostname", name, LoadGenerator.RUN_LABEL, runLabel))
                    .withServerPort(-1), client, channel);
            return new HollowNode(name, client, runtime, serving, channel, agent);
        } catch (RuntimeException e) {
            channel.shutdownNow();
            serving.close();
            runtime.close();
            client.close();
            throw e;
        }
    }

    String name() {
        return name;
    }

    @Override
    public void close() {
        agent.close();
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        serving.close();
        runtime.close();
        client.close();
    }
}
