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
 * Watch streams. Every watch carries timeoutSeconds so a missing event fails the test instead of hanging it;
 * the assertions are on which events arrive, never on when.
 */
class WatchTest {
    static final String TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    static ObjectNode configMap(String name, String labels) {
        return TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: %s, labels: %s}, data: {k: v}}".formatted(name, labels));
    }

    static String rv(JsonNode obj) {
        return obj.path("metadata").path("resourceVersion").asText();
    }

    /** Reads {@code n} events that are not bookmarks. */
    static List<JsonNode> take(KubeClient.WatchStream w, int n) {
        List<JsonNode> out = new ArrayList<>();
        while (out.size() < n) {
            JsonNode e = w.next().orElseThrow(() -> new AssertionError("stream ended after " + out));
            if (!e.path("type").asText().equals("BOOKMARK")) out.add(e);
        }
        return out;
    }

    static String summary(JsonNode event) {
        return event.path("type").asText() + " " + event.path("object").path("metadata").path("name").asText();
    }

    @Test
    void withoutResourceVersionStartsWithExistingObjects() {
        cluster.newNamespace("w-initial");
        cluster.create("/api/v1/namespaces/w-initial/configmaps", configMap("one", "{}"));
        cluster.create("/api/v1/namespaces/w-initial/configmaps", configMap("two", "{}"));
        try (KubeClient.WatchStream w = cluster.client.watch("/api/v1/namespaces/w-initial/configmaps?watch=true&timeoutSeconds=30")) {
            assertThat(w.code()).isEqualTo(200);
            assertThat(take(w, 2).stream().map(WatchTest::summary)).containsExactly("ADDED one", "ADDED two");
            ObjectNode changed = configMap("two", "{x: y}");
            assertThat(cluster.client.put("/api/v1/namespaces/w-initial/configmaps/two", changed).code()).isEqualTo(200);
            cluster.create("/api/v1/namespaces/w-initial/configmaps", configMap("three", "{}"));
            assertThat(cluster.client.delete("/api/v1/namespaces/w-initial/configmaps/one").code()).isEqualTo(200);
            List<JsonNode> live = take(w, 3);
            assertThat(live.stream().map(WatchTest::summary)).containsExactly("MODIFIED two", "ADDED three", "DELETED one");
            assertThat(live.get(0).path("object").path("metadata").path("labels").path("x").asText()).isEqualTo("y");
        }
    }

    @Test
    void fromResourceVersionReplaysExactlyTheLaterChanges() {
        cluster.newNamespace("w-replay");
        cluster.create("/api/v1/namespaces/w-replay/configmaps", configMap("before", "{}"));
        String from = cluster.get("/api/v1/namespaces/w-replay/configmaps").path("metadata").path("resourceVersion").asText();
        JsonNode a = cluster.create("/api/v1/namespaces/w-replay/configmaps", configMap("a", "{}"));
        JsonNode b = cluster.create("/api/v1/namespaces/w-replay/configmaps", configMap("b", "{}"));
        cluster.client.delete("/api/v1/namespaces/w-replay/configmaps/a");
        // a change in another namespace must not leak into this watch
        cluster.newNamespace("w-replay-other");
        cluster.create("/api/v1/namespaces/w-replay-other/configmaps", configMap("noise", "{}"));
        try (KubeClient.WatchStream w = cluster.client.watch(
                "/api/v1/namespaces/w-replay/configmaps?watch=true&timeoutSeconds=30&resourceVersion=" + from)) {
            List<JsonNode> events = take(w, 3);
            assertThat(events.stream().map(WatchTest::summary)).containsExactly("ADDED a", "ADDED b", "DELETED a");
            assertThat(rv(events.get(0).path("object"))).isEqualTo(rv(a));
            assertThat(rv(events.get(1).path("object"))).isEqualTo(rv(b));
            assertThat(Long.parseLong(rv(events.get(2).path("object")))).isGreaterThan(Long.parseLong(rv(b)));
        }
    }

    @Test
    void legacyWatchPath() {
        cluster.newNamespace("w-legacy");
        String from = Long.toString(cluster.revision());
        cluster.create("/api/v1/namespaces/w-legacy/configmaps", configMap("x", "{}"));
        try (KubeClient.WatchStream w = cluster.client.watch("/api/v1/watch/namespaces/w-legacy/configmaps?timeoutSeconds=30&resourceVersion=" + from)) {
            assertThat(take(w, 1).stream().map(WatchTest::summary)).containsExactly("ADDED x");
        }
    }

    @Test
    void selectorTransitionsAreAddedAndDeleted() {
        cluster.newNamespace("w-sel");
        String from = Long.toString(cluster.revision());
        cluster.create("/api/v1/namespaces/w-sel/configmaps", configMap("m", "{app: web}"));
        cluster.client.put("/api/v1/namespaces/w-sel/configmaps/m", configMap("m", "{app: db}"));
        cluster.client.put("/api/v1/namespaces/w-sel/configmaps/m", configMap("m", "{app: db, v: '2'}"));
        cluster.client.put("/api/v1/namespaces/w-sel/configmaps/m", configMap("m", "{app: web}"));
        cluster.client.put("/api/v1/namespaces/w-sel/configmaps/m", configMap("m", "{app: web, v: '3'}"));
        cluster.client.delete("/api/v1/namespaces/w-sel/configmaps/m");
        try (KubeClient.WatchStream w = cluster.client.watch(
                "/api/v1/namespaces/w-sel/configmaps?watch=true&timeoutSeconds=30&labelSelector=app%3Dweb&resourceVersion=" + from)) {
            List<JsonNode> events = take(w, 5);
            assertThat(events.stream().map(e -> e.path("type").asText()))
                    .containsExactly("ADDED", "DELETED", "ADDED", "MODIFIED", "DELETED");
            // the object that left the selector is shown as the watcher last saw it, at the revision it left
            JsonNode left = events.get(1).path("object");
            assertThat(left.path("metadata").path("labels").path("app").asText()).isEqualTo("web");
            assertThat(Long.parseLong(rv(left))).isGreaterThan(Long.parseLong(rv(events.get(0).path("object"))));
        }
    }

    @Test
    void bookmarksCarryAResourceVersion() {
        cluster.newNamespace("w-bookmark");
        try (KubeClient.WatchStream w = cluster.client.watch(
                "/api/v1/namespaces/w-bookmark/configmaps?watch=true&timeoutSeconds=30&allowWatchBookmarks=true&resourceVersion="
                        + cluster.revision())) {
            JsonNode e = w.next().orElseThrow();
            assertThat(e.path("type").asText()).isEqualTo("BOOKMARK");
            assertThat(e.path("object").path("kind").asText()).isEqualTo("ConfigMap");
            assertThat(Long.parseLong(rv(e.path("object")))).isPositive();
        }
    }

    @Test
    void timeoutSecondsEndsTheStream() {
        cluster.newNamespace("w-timeout");
        KubeClient.Response r = cluster.client.get("/api/v1/namespaces/w-timeout/configmaps?watch=true&timeoutSeconds=1");
        assertThat(r.code()).isEqualTo(200);
        assertThat(TestCluster.events(r)).isEmpty();
    }

    @Test
    void compactedResourceVersionIsOneExpiredError() {
        cluster.newNamespace("w-compact");
        long old = cluster.revision();
        cluster.create("/api/v1/namespaces/w-compact/configmaps", configMap("c1", "{}"));
        cluster.create("/api/v1/namespaces/w-compact/configmaps", configMap("c2", "{}"));
        cluster.server.store().compact(cluster.revision());
        KubeClient.Response r = cluster.client.get(
                "/api/v1/namespaces/w-compact/configmaps?watch=true&timeoutSeconds=5&resourceVersion=" + (old - 1));
        assertThat(r.code()).isEqualTo(200);
        List<JsonNode> events = TestCluster.events(r);
        assertThat(events).hasSize(1);
        JsonNode status = events.getFirst().path("object");
        assertThat(events.getFirst().path("type").asText()).isEqualTo("ERROR");
        assertThat(status.path("kind").asText()).isEqualTo("Status");
        assertThat(status.path("code").asInt()).isEqualTo(410);
        assertThat(status.path("reason").asText()).isEqualTo("Expired");
        assertThat(status.path("message").asText()).startsWith("too old resource version");
    }

    @Test
    void watchOneObjectByName() {
        cluster.newNamespace("w-one");
        cluster.create("/api/v1/namespaces/w-one/configmaps", configMap("mine", "{}"));
        cluster.create("/api/v1/namespaces/w-one/configmaps", configMap("theirs", "{}"));
        try (KubeClient.WatchStream w = cluster.client.watch(
                "/api/v1/namespaces/w-one/configmaps?watch=true&timeoutSeconds=30&fieldSelector=metadata.name%3Dmine")) {
            assertThat(take(w, 1).stream().map(WatchTest::summary)).containsExactly("ADDED mine");
            cluster.client.put("/api/v1/namespaces/w-one/configmaps/theirs", configMap("theirs", "{a: b}"));
            cluster.client.put("/api/v1/namespaces/w-one/configmaps/mine", configMap("mine", "{a: b}"));
            assertThat(take(w, 1).stream().map(WatchTest::summary)).containsExactly("MODIFIED mine");
        }
        // and the per-object legacy path
        String from = Long.toString(cluster.revision());
        cluster.client.put("/api/v1/namespaces/w-one/configmaps/theirs", configMap("theirs", "{a: c}"));
        cluster.client.delete("/api/v1/namespaces/w-one/configmaps/mine");
        try (KubeClient.WatchStream w = cluster.client.watch(
                "/api/v1/watch/namespaces/w-one/configmaps/mine?timeoutSeconds=30&resourceVersion=" + from)) {
            assertThat(take(w, 1).stream().map(WatchTest::summary)).containsExactly("DELETED mine");
        }
    }

    @Test
    void tableWatchEmitsTables() {
        cluster.newNamespace("w-table");
        cluster.create("/api/v1/namespaces/w-table/pods", TestCluster.pod("w-table", "p1"));
        cluster.create("/api/v1/namespaces/w-table/pods", TestCluster.pod("w-table", "p2"));
        KubeClient.Response r = cluster.send("GET", "/api/v1/namespaces/w-table/pods?watch=true&timeoutSeconds=1", null, null, TABLE);
        assertThat(r.code()).isEqualTo(200);
        List<JsonNode> events = TestCluster.events(r);
        assertThat(events).hasSize(2);
        for (JsonNode e : events) {
            assertThat(e.path("type").asText()).isEqualTo("ADDED");
            assertThat(e.path("object").path("kind").asText()).isEqualTo("Table");
            assertThat(e.path("object").path("rows")).hasSize(1);
        }
        assertThat(events.get(0).path("object").path("columnDefinitions").get(0).path("name").asText()).isEqualTo("Name");
        assertThat(events.get(1).path("object").path("rows").get(0).path("cells").get(0).asText()).isEqualTo("p2");
    }

    @Test
    void sendInitialEventsEndsWithAnnotatedBookmark() {
        cluster.newNamespace("w-streaming");
        cluster.create("/api/v1/namespaces/w-streaming/configmaps", configMap("s1", "{}"));
        cluster.create("/api/v1/namespaces/w-streaming/configmaps", configMap("s2", "{}"));
        try (KubeClient.WatchStream w = cluster.client.watch("/api/v1/namespaces/w-streaming/configmaps?watch=true&timeoutSeconds=30"
                + "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")) {
            assertThat(take(w, 2).stream().map(WatchTest::summary)).containsExactly("ADDED s1", "ADDED s2");
            JsonNode end = w.next().orElseThrow();
            assertThat(end.path("type").asText()).isEqualTo("BOOKMARK");
            assertThat(end.path("object").path("metadata").path("annotations").path("k8s.io/initial-events-end").asText())
                    .isEqualTo("true");
            assertThat(Long.parseLong(rv(end.path("object")))).isGreaterThanOrEqualTo(cluster.revision());
            cluster.create("/api/v1/namespaces/w-streaming/configmaps", configMap("s3", "{}"));
            assertThat(take(w, 1).stream().map(WatchTest::summary)).containsExactly("ADDED s3");
        }
    }

    @Test
    void sendInitialEventsNeedsNotOlderThanAndBookmarks() {
        assertThat(cluster.client.get("/api/v1/configmaps?watch=true&timeoutSeconds=2&sendInitialEvents=true&allowWatchBookmarks=true").code())
                .isEqualTo(400);
        assertThat(cluster.client.get("/api/v1/configmaps?watch=true&timeoutSeconds=2&sendInitialEvents=true&resourceVersionMatch=NotOlderThan").code())
                .isEqualTo(400);
    }

    @Test
    void unparseableFlagsAreA400WordedAsKubernetesWordsThem() {
        KubeClient.Response r = cluster.client.get("/api/v1/configmaps?watch=maybe");
        assertThat(r.code()).isEqualTo(400);
        assertThat(r.json().path("kind").asText()).isEqualTo("Status");
        assertThat(r.json().path("message").asText())
                .isEqualTo("watch: Invalid value: \"maybe\": strconv.ParseBool: parsing \"maybe\": invalid syntax");
        assertThat(cluster.client.get("/api/v1/configmaps?watch=T&timeoutSeconds=1").code()).isEqualTo(200);
    }

    /** A client that hangs up is noticed at once, not at the next write: its watch and store watch are closed. */
    @Test
    void watchesOfClientsThatHangUpAreClosedWithoutWaitingForAWrite() throws Exception {
        String ns = cluster.newNamespace("hangup");
        java.util.List<io.hypernetes.client.KubeClient.WatchStream> streams = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) streams.add(cluster.client.watch("/api/v1/namespaces/" + ns + "/configmaps?watch=true"));
        awaitOpenWatches(3);
        streams.forEach(io.hypernetes.client.KubeClient.WatchStream::close);
        awaitOpenWatches(0);
    }

    private static void awaitOpenWatches(int expected) throws InterruptedException {
        java.time.Instant end = java.time.Instant.now().plusSeconds(20);
        String line = "";
        while (java.time.Instant.now().isBefore(end)) {
            line = cluster.client.get("/metrics").text().lines()
                    .filter(l -> l.startsWith("apiserver_longrunning_requests{")).findFirst().orElse("");
            if (line.endsWith(" " + expected + ".0")) return;
            Thread.sleep(100);
        }
        throw new AssertionError("open watches never became " + expected + ": " + line);
    }
}
