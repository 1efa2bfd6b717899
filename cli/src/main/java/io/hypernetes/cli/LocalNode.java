package io.hypernetes.cli;

import io.grpc.ManagedChannel;
import io.hypernetes.client.KubeClient;
import io.hypernetes.hyperd.Hyperd;
import io.hypernetes.kubelet.NodeAgent;
import io.hypernetes.network.NetworkProvider;
import io.hypernetes.runtime.RuntimeEndpoint;
import io.hypernetes.runtime.hollow.HollowRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A node agent and its runtime, started together: what {@code hypernetes node} runs, and what {@code hypernetes up}
 * runs for its own machine. The runtime is hyperd in this process (pods are VMs), the hollow fake, or a runtime
 * already serving on a unix socket.
 */
final class LocalNode implements AutoCloseable {

    sealed interface Runtime {}

    /** hyperd in this process, served to the agent in-process. */
    record InProcessHyperd(Hyperd.Config config) implements Runtime {}

    /** The hollow runtime: pods pretend to run. */
    record Hollow() implements Runtime {}

    /** A runtime serving elsewhere, e.g. {@code hypernetes hyperd} on a unix socket. */
    record Endpoint(RuntimeEndpoint endpoint) implements Runtime {}

    private final List<AutoCloseable> opened;
    final String name;
    final String runtimeName;
    final KubeClient client;

    private LocalNode(String name, List<AutoCloseable> opened, String runtimeName, KubeClient client) {
        this.name = name;
        this.opened = opened;
        this.runtimeName = runtimeName;
        this.client = client;
    }

    /**
     * @param network the node's kubestack, through which pods of tenant Networks are plugged in; null for a node
     *                without one (its tenant pods do not start, with an event saying why). Not closed here.
     */
    static LocalNode start(NodeAgent.Config config, Path credentials, Runtime runtime, NetworkProvider network) throws Exception {
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            KubeClient client = KubeClient.fromKubeconfig(credentials);
            opened.add(client);
            RuntimeEndpoint endpoint;
            String name;
            switch (runtime) {
                case InProcessHyperd(Hyperd.Config hc) -> {
                    Hyperd hyperd = Hyperd.open(hc);
                    opened.add(hyperd);
                    endpoint = new RuntimeEndpoint.InProcess("hyperd-" + config.nodeName());
                    opened.add(endpoint.serve(hyperd.services()));
                    name = "hyperd (a VM per pod; " + hyperd.describe() + ")";
                }
                case Hollow() -> {
                    endpoint = new RuntimeEndpoint.InProcess("hollow-" + config.nodeName());
                    HollowRuntime hollow = new HollowRuntime(new HollowRuntime.Config(config.nodeName(), config.podCidr()));
                    opened.add(hollow);
                    opened.add(endpoint.serve(hollow.services()));
                    name = "hollow (a fake: pods start at once and only pretend to run)";
                }
                case Endpoint(RuntimeEndpoint e) -> {
                    endpoint = e;
                    name = e.toString();
                }
            }
            ManagedChannel channel = endpoint.connect();
            opened.add(channel::shutdownNow);
            opened.add(NodeAgent.start(config, client, channel, network));
            return new LocalNode(config.nodeName(), opened, name, client);
        } catch (Exception | Error e) {
            closeAll(opened);
            throw e;
        }
    }

    @Override
    public void close() {
        closeAll(opened);
    }

    private static void closeAll(List<AutoCloseable> opened) {
        for (AutoCloseable c : opened.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("stopping: " + e);
            }
        }
    }
}
