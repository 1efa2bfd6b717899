package io.hypernetes.proxy;

import static io.hypernetes.proxy.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.hypernetes.network.RecordingProvider;
import io.hypernetes.network.RecordingProvider.SetPeers;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The overlay's peer list from real Node objects, into a recording (fake) provider. */
class NodePeersTest {
    @TempDir
    Path dir;

    @Test
    void everyOtherNodesInternalIpAndTheExtraPeers() throws Exception {
        try (Cluster cluster = Cluster.start(dir)) {
            node(cluster, "self", "192.0.2.1", "203.0.113.1");
            node(cluster, "n2", "192.0.2.2", "203.0.113.2");
            RecordingProvider provider = new RecordingProvider().only("the overlay peers", "setPeers");
            try (NodePeers peers = NodePeers.start(cluster.informers, provider,
                    new NodePeers.Config(Set.of("192.0.2.254"), Set.of("192.0.2.1", "127.0.0.1")))) {
                // this host's own address is left out, the ExternalIP is not the underlay, the extra peer is in
                await("first peers", () -> !peerCalls(provider).isEmpty());
                assertThat(peerCalls(provider).getFirst()).containsExactly("192.0.2.2", "192.0.2.254");

                node(cluster, "n3", "192.0.2.3", null);
                await("n3 joins", () -> peerCalls(provider).getLast().contains("192.0.2.3"));
                assertThat(peerCalls(provider).getLast()).containsExactly("192.0.2.2", "192.0.2.254", "192.0.2.3");

                // a change that does not move an address makes no call; a failing call is retried
                int calls = peerCalls(provider).size();
                Cluster.ok(cluster.client.patch("/api/v1/nodes/n2", "application/merge-patch+json",
                        Cluster.yaml("{metadata: {labels: {zone: a}}}")), 200);
                provider.failNext(1);
                Cluster.ok(cluster.client.delete("/api/v1/nodes/n3"), 200);
                await("n3 leaves", () -> !peerCalls(provider).getLast().contains("192.0.2.3"));
                assertThat(peerCalls(provider)).hasSize(calls + 1);
                assertThat(peerCalls(provider).getLast()).containsExactly("192.0.2.2", "192.0.2.254");
                assertThat(peers.applied()).containsExactly("192.0.2.2", "192.0.2.254");
            }
        }
    }

    @Test
    void hostAddressesIncludeLoopback() {
        assertThat(NodePeers.hostAddresses()).contains("127.0.0.1");
    }

    private static List<List<String>> peerCalls(RecordingProvider provider) {
        return provider.calls(SetPeers.class).stream().map(SetPeers::addresses).toList();
    }

    private static void node(Cluster cluster, String name, String internal, String external) {
        Cluster.ok(cluster.client.post("/api/v1/nodes", Cluster.yaml("{apiVersion: v1, kind: Node, metadata: {name: " + name + "}}")), 201);
        String addresses = "[{type: InternalIP, address: '" + internal + "'}, {type: Hostname, address: " + name + "}"
                + (external == null ? "" : ", {type: ExternalIP, address: '" + external + "'}") + "]";
        Cluster.ok(cluster.client.patch("/api/v1/nodes/" + name + "/status", "application/merge-patch+json",
                Cluster.yaml("{status: {addresses: " + addresses + "}}")), 200);
    }
}
