package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Optimistic concurrency under real contention: one winner per version, no lost updates. */
class ConcurrencyTest {
    static final int WRITERS = 16;
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("race");
    }

    @Test
    void oneWinnerPerVersion() throws Exception {
        JsonNode base = cluster.create("/api/v1/namespaces/race/configmaps",
                TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: contended}, data: {}}"));
        List<Integer> codes = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<KubeClient.Response>> futures = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                ObjectNode mine = base.deepCopy();
                mine.withObject("/data").put("writer", Integer.toString(i));
                futures.add(pool.submit(() -> cluster.client.put("/api/v1/namespaces/race/configmaps/contended", mine)));
            }
            for (Future<KubeClient.Response> f : futures) {
                KubeClient.Response r = f.get();
                codes.add(r.code());
                if (r.code() == 409) assertThat(r.json().path("reason").asText()).isEqualTo("Conflict");
            }
        }
        assertThat(codes.stream().filter(c -> c == 200)).hasSize(1);
        assertThat(codes.stream().filter(c -> c == 409)).hasSize(WRITERS - 1);
    }

    @Test
    void retryingWritersLoseNoUpdate() throws Exception {
        cluster.create("/api/v1/namespaces/race/configmaps",
                TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: counter}, data: {n: '0'}}"));
        int perWriter = 5;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> {
                    int conflicts = 0;
                    for (int done = 0; done < perWriter; ) {
                        ObjectNode cm = (ObjectNode) cluster.get("/api/v1/namespaces/race/configmaps/counter");
                        int n = Integer.parseInt(cm.path("data").path("n").asText());
                        cm.withObject("/data").put("n", Integer.toString(n + 1));
                        KubeClient.Response r = cluster.client.put("/api/v1/namespaces/race/configmaps/counter", cm);
                        if (r.code() == 200) done++;
                        else if (r.code() == 409) conflicts++;
                        else throw new AssertionError(r.code() + ": " + r.text());
                    }
                    return conflicts;
                }));
            }
            for (Future<Integer> f : futures) f.get();
        }
        assertThat(cluster.get("/api/v1/namespaces/race/configmaps/counter").path("data").path("n").asText()).isEqualTo("40");
    }

    @Test
    void concurrentCreatesOfOneName() throws Exception {
        List<Integer> codes = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<KubeClient.Response>> futures = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                ObjectNode cm = TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: only-one}, data: {by: '%d'}}".formatted(i));
                futures.add(pool.submit(() -> cluster.client.post("/api/v1/namespaces/race/configmaps", cm)));
            }
            for (Future<KubeClient.Response> f : futures) {
                KubeClient.Response r = f.get();
                codes.add(r.code());
                if (r.code() == 409) assertThat(r.json().path("reason").asText()).isEqualTo("AlreadyExists");
            }
        }
        assertThat(codes.stream().filter(c -> c == 201)).hasSize(1);
        assertThat(codes.stream().filter(c -> c == 409)).hasSize(WRITERS - 1);
    }

    @Test
    void concurrentPatchesAreAllApplied() throws Exception {
        cluster.create("/api/v1/namespaces/race/configmaps",
                TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: patched}, data: {}}"));
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<KubeClient.Response>> futures = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                ObjectNode p = TestCluster.yaml("{data: {k%d: v}}".formatted(i));
                futures.add(pool.submit(() -> cluster.client.patch("/api/v1/namespaces/race/configmaps/patched",
                        "application/merge-patch+json", p)));
            }
            for (Future<KubeClient.Response> f : futures) assertThat(f.get().code()).isEqualTo(200);
        }
        // patches without a resourceVersion retry on conflict inside the server, so every key lands
        assertThat(cluster.get("/api/v1/namespaces/race/configmaps/patched").path("data").size()).isEqualTo(WRITERS);
    }
}
