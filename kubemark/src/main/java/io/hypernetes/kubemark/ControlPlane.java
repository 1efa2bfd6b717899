package io.hypernetes.kubemark;

import io.hypernetes.apiserver.ApiServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The cluster Kubemark loads: where its API server is (an admin kubeconfig), how a hollow node gets its own
 * {@code system:node:<name>} credentials, and — when the control plane is a process of its own — which process to
 * measure, so its CPU and memory are told apart from the hollow nodes'.
 *
 * <p>Implementations: {@link ChildControlPlane} ({@code ./hypernetes up} started as a child process, the default),
 * {@link ExistingControlPlane} (one given by kubeconfig and data directory); the module's test runs one in-process.
 */
public interface ControlPlane extends AutoCloseable {

    /** A kubeconfig with cluster-admin credentials: the load generator, the watch and the metrics scrape use it. */
    Path adminKubeconfig();

    /** A kubeconfig for the node agent of {@code nodeName} (user {@code system:node:<name>}, group {@code system:nodes}). */
    Path nodeKubeconfig(String nodeName);

    /** The control plane's own process, when it has one on this machine; empty when it shares Kubemark's. */
    OptionalLong pid();

    /**
     * Whether the cluster outlives the run (someone else's): then Kubemark removes what it made — its namespaces,
     * while the hollow nodes still run to stop their pods, then its Nodes. A control plane Kubemark started is
     * thrown away whole.
     */
    default boolean shared() {
        return false;
    }

    /** One line for the report: what was loaded. */
    String description();

    @Override
    void close();

    /** Node credentials minted from a control plane's data directory (its {@code pki/} holds the CA key). */
    static Path mintNodeKubeconfig(Path dataDir, String url, String nodeName) {
        try {
            return ApiServer.nodeKubeconfig(dataDir, url, nodeName);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot mint the credentials of node " + nodeName + ": " + e.getMessage(), e);
        }
    }
}
