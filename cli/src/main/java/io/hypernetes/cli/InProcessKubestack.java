package io.hypernetes.cli;

import io.hypernetes.network.KubestackClient;
import io.hypernetes.network.KubestackService;
import io.hypernetes.network.NetworkProvider;
import io.hypernetes.runtime.RuntimeEndpoint;

/**
 * kubestack in this process: a provider served on an in-process gRPC endpoint, and one client of it that this
 * process's components share. They speak to it as they would to {@code hypernetes kubestack} on a socket.
 */
final class InProcessKubestack implements AutoCloseable {
    private final NetworkProvider provider;
    private final RuntimeEndpoint.Serving serving;
    private final KubestackClient client;

    private InProcessKubestack(NetworkProvider provider, RuntimeEndpoint.Serving serving, KubestackClient client) {
        this.provider = provider;
        this.serving = serving;
        this.client = client;
    }

    /** Serves {@code provider} as {@code inprocess:name}; closing this closes the provider too. */
    static InProcessKubestack start(String name, NetworkProvider provider) {
        RuntimeEndpoint endpoint = new RuntimeEndpoint.InProcess(name);
        RuntimeEndpoint.Serving serving = endpoint.serve(new KubestackService(provider));
        return new InProcessKubestack(provider, serving, KubestackClient.connect(endpoint));
    }

    NetworkProvider client() {
        return client;
    }

    String describe() {
        return "kubestack (" + provider.name() + ")";
    }

    @Override
    public void close() {
        client.close();
        serving.close();
        provider.close();
    }
}
