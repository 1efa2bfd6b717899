package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Node agents' pod watches ({@code fieldSelector=spec.nodeName=<node>}) come from the index by node name: they must
 * see exactly what a watch with its own cursor saw — a pod arriving on the node (created there or bound to it) as
 * ADDED, its changes, its deletion — live and replayed from an older resourceVersion, and nothing of other nodes.
 */
class PodsByNodeWatchTest {
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    private static ObjectNode podOn(String namespace, String name, String node) {
        ObjectNode p = TestCluster.pod(namespace, name);
        if (node != null) ((ObjectNode) p.path("spec")).put("nodeName", node);
        return p;
    }

    private static ObjectNode binding(String name, String node) {
        return TestCluster.yaml("{apiVersion: v1, kind: Binding, metadata: {name: %s}, target: {kind: Node, name: %s}}".formatted(name, node));
    }

    private static List<String> take(KubeClient.WatchStream w, int n) {
        List<String> out = new ArrayList<>();
        while (out.size() < n) {
            JsonNode e = w.next().orElseThrow(() -> new AssertionError("stream ended after " + out));
            if (!e.path("type").asText().equals("BOOKMARK")) {
                out.add(e.path("type").asText() + " " + e.path("object").path("metadata").path("name").asText());
            }
        }
        return out;
    }

    private static String watchPath(String node, String from) {
        return "/api/v1/pods?watch=true&timeoutSeconds=30&fieldSelector=spec.nodeName%3D" + node + "&resourceVersion=" + from;
    }

    @Test
    void aNodesWatchSeesItsPodsLiveAndReplayedAndNoOtherNodes() {
        String ns = cluster.newNamespace("by-node");
        String before = Long.toString(cluster.revision());
        try (KubeClient.WatchStream live = cluster.client.watch(watchPath("node-a", before));
             KubeClient.WatchStream unscheduled = cluster.client.watch(
                     "/api/v1/pods?watch=true&timeoutSeconds=30&fieldSelector=spec.nodeName%3D&resourceVersion=" + before)) {
            assertThat(live.code()).isEqualTo(200);
            cluster.create("/api/v1/namespaces/" + ns + "/pods", podOn(ns, "p1", "node-a"));
            cluster.create("/api/v1/namespaces/" + ns + "/pods", podOn(ns, "p2", "node-b"));
            cluster.create("/api/v1/namespaces/" + ns + "/pods", podOn(ns, "p3", null));
            assertThat(cluster.client.post("/api/v1/namespaces/" + ns + "/pods/p3/binding", binding("p3", "node-a")).code()).isEqualTo(201);
            ObjectNode labelled = TestCluster.yaml("{metadata: {labels: {tier: one}}}");
            assertThat(cluster.client.patch("/api/v1/namespaces/" + ns + "/pods/p1", "application/merge-patch+json", labelled).code()).isEqualTo(200);
            assertThat(cluster.client.patch("/api/v1/namespaces/" + ns + "/pods/p2", "application/merge-patch+json", labelled).code()).isEqualTo(200);
            assertThat(cluster.client.delete("/api/v1/namespaces/" + ns + "/pods/p1?gracePeriodSeconds=0").code()).isEqualTo(200);
            assertThat(cluster.client.delete("/api/v1/namespaces/" + ns + "/pods/p2?gracePeriodSeconds=0").code()).isEqualTo(200);
            List<String> expected = List.of("ADDED p1", "ADDED p3", "MODIFIED p1", "DELETED p1");
            assertThat(take(live, 4)).containsExactlyElementsOf(expected);
            // the pods with no node: p3 until it was bound
            assertThat(take(unscheduled, 2)).containsExactly("ADDED p3", "DELETED p3");
            // a watch started later from the same resourceVersion replays the same, then follows live changes
            try (KubeClient.WatchStream replayed = cluster.client.watch(watchPath("node-a", before))) {
                assertThat(take(replayed, 4)).containsExactlyElementsOf(expected);
                cluster.create("/api/v1/namespaces/" + ns + "/pods", podOn(ns, "p4", "node-b"));
                cluster.create("/api/v1/namespaces/" + ns + "/pods", podOn(ns, "p5", "node-a"));
                assertThat(take(replayed, 1)).containsExactly("ADDED p5");
                assertThat(take(live, 1)).containsExactly("ADDED p5");
            }
        }
    }

    @Test
    void manyNodesEachSeeOnlyTheirOwnPods() {
        String ns = cluster.newNamespace("by-node-many");
        String before = Long.toString(cluster.revision());
        int nodes = 20;
        List<KubeClient.WatchStream> watches = new ArrayList<>();
        try {
            for (int i = 0; i < nodes; i++) watches.add(cluster.client.watch(watchPath("many-" + i, before)));
            for (int i = 0; i < nodes * 2; i++) {
                cluster.create("/api/v1/namespaces/" + ns + "/pods", podOn(ns, "q" + i, "many-" + (i % nodes)));
            }
            for (int i = 0; i < nodes; i++) {
                assertThat(take(watches.get(i), 2)).containsExactly("ADDED q" + i, "ADDED q" + (i + nodes));
            }
        } finally {
            watches.forEach(KubeClient.WatchStream::close);
        }
    }
}
