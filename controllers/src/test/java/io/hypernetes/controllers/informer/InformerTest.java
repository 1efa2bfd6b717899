package io.hypernetes.controllers.informer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import io.hypernetes.controllers.namespace.NamespaceController;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Informers against a real API server in-process over HTTPS. */
class InformerTest {
    private static final Duration LONG = Duration.ofMinutes(5);

    @Test
    void listsManyPagesThenReportsChangesInOrder(@TempDir Path dir) throws Exception {
        try (ApiServer server = start(dir, 0, Duration.ofSeconds(1));
             KubeClient client = KubeClient.fromKubeconfig(server.kubeconfig())) {
            namespace(client, "inf");
            createMany(client, "inf", 1100);

            Informer informer = new Informer(client, "/api/v1/namespaces/inf/configmaps", null, null, Informer.Options.DEFAULT);
            AtomicInteger thrown = new AtomicInteger();
            informer.addHandler(new ResourceEventHandler() {
                @Override
                public void onAdd(ObjectNode obj) {
                    thrown.incrementAndGet();
                    throw new IllegalStateException("a broken handler");
                }
            });
            Recorder rec = new Recorder();
            informer.addHandler(rec);
            try (informer) {
                informer.start();
                assertThat(informer.awaitSynced(Duration.ofSeconds(60))).isTrue();
                assertThat(informer.hasSynced()).isTrue();
                // synced means the handlers have been told of the whole first list
                assertThat(rec.events()).hasSize(1100).allMatch(e -> e.startsWith("ADD inf/cm-"));
                assertThat(informer.list()).hasSize(1100);
                assertThat(informer.stats().pages()).isEqualTo(3); // limit=500
                assertThat(informer.stats().lists()).isEqualTo(1);
                ObjectNode cm7 = informer.get("inf", "cm-7").orElseThrow();
                assertThat(cm7.path("kind").asText()).isEqualTo("ConfigMap");
                assertThat(cm7.path("data").path("n").asText()).isEqualTo("7");

                assertThat(client.post("/api/v1/namespaces/inf/configmaps", configMap("x", "inf", "1")).code()).isEqualTo(201);
                ObjectNode patch = Json.object();
                patch.putObject("data").put("n", "2");
                assertThat(client.patch("/api/v1/namespaces/inf/configmaps/x", "application/merge-patch+json", patch).code()).isEqualTo(200);
                assertThat(client.delete("/api/v1/namespaces/inf/configmaps/x").code()).isEqualTo(200);
                await(() -> rec.events().contains("DELETE inf/x"));
                assertThat(rec.eventsOf("inf/x")).containsExactly("ADD inf/x", "UPDATE inf/x", "DELETE inf/x");
                assertThat(rec.updates.get(0)).satisfies(u -> {
                    assertThat(u[0].path("data").path("n").asText()).isEqualTo("1");
                    assertThat(u[1].path("data").path("n").asText()).isEqualTo("2");
                });
                assertThat(informer.get("inf", "x")).isEmpty();
                // the broken handler was called for everything and stopped nothing
                assertThat(thrown.get()).isEqualTo(1101);
                assertThat(informer.stats().handlerErrors()).isEqualTo(1101);
                rec.assertSerial();
            }
        }
    }

    @Test
    void fieldSelectorInformerSeesOneNodesPods(@TempDir Path dir) throws Exception {
        try (ApiServer server = start(dir, 0, Duration.ofSeconds(1));
             KubeClient client = KubeClient.fromKubeconfig(server.kubeconfig());
             InformerFactory informers = new InformerFactory(client)) {
            namespace(client, "work");
            for (int i = 0; i < 3; i++) assertThat(client.post("/api/v1/namespaces/work/pods", pod("a" + i, "node-1")).code()).isEqualTo(201);
            for (int i = 0; i < 2; i++) assertThat(client.post("/api/v1/namespaces/work/pods", pod("b" + i, "node-2")).code()).isEqualTo(201);
            assertThat(client.post("/api/v1/namespaces/work/pods", pod("pending", null)).code()).isEqualTo(201);

            Informer node1 = informers.informer("/api/v1/pods", null, "spec.nodeName=node-1");
            Recorder rec = new Recorder();
            node1.addHandler(rec);
            Informer all = informers.informer("/api/v1/pods").addIndex("node", Informer.fieldIndex("spec.nodeName"));
            assertThat(node1.awaitSynced(Duration.ofSeconds(30))).isTrue();
            assertThat(all.awaitSynced(Duration.ofSeconds(30))).isTrue();
            assertThat(names(node1.list())).containsExactlyInAnyOrder("a0", "a1", "a2");
            assertThat(names(all.byIndex("node", "node-2"))).containsExactlyInAnyOrder("b0", "b1");
            assertThat(all.list()).hasSize(6);

            assertThat(client.post("/api/v1/namespaces/work/pods", pod("a3", "node-1")).code()).isEqualTo(201);
            assertThat(client.post("/api/v1/namespaces/work/pods", pod("b2", "node-2")).code()).isEqualTo(201);
            assertThat(client.delete("/api/v1/namespaces/work/pods/a0?gracePeriodSeconds=0").code()).isEqualTo(200);
            await(() -> rec.events().contains("DELETE work/a0"));
            await(() -> all.byIndex("node", "node-2").size() == 3 && all.get("work", "a0").isEmpty());
            assertThat(rec.events()).containsExactly("ADD work/a0", "ADD work/a1", "ADD work/a2", "ADD work/a3", "DELETE work/a0")
                    .doesNotContain("ADD work/b2");
            assertThat(names(node1.list())).containsExactlyInAnyOrder("a1", "a2", "a3");
            assertThat(names(all.byIndex("node", "node-1"))).containsExactlyInAnyOrder("a1", "a2", "a3");
        }
    }

    @Test
    void resumesWhenTheServerEndsAWatchWithoutRelisting(@TempDir Path dir) throws Exception {
        try (ApiServer server = start(dir, 0, Duration.ofMillis(300));
             KubeClient client = KubeClient.fromKubeconfig(server.kubeconfig());
             InformerFactory informers = new InformerFactory(client, Informer.Options.DEFAULT.withWatchTimeout(Duration.ofSeconds(1)))) {
            namespace(client, "short");
            Informer informer = informers.informer("/api/v1/namespaces/short/configmaps");
            Recorder rec = new Recorder();
            informer.addHandler(rec);
            assertThat(informer.awaitSynced(Duration.ofSeconds(30))).isTrue();
            for (int i = 0; i < 8; i++) {
                assertThat(client.post("/api/v1/namespaces/short/configmaps", configMap("c" + i, "short", "" + i)).code()).isEqualTo(201);
                Thread.sleep(500);
            }
            await(() -> rec.events().size() == 8);
            Informer.Stats stats = informer.stats();
            assertThat(stats.watches()).as("watches over 4 s of 1 s watches").isGreaterThanOrEqualTo(3);
            assertThat(stats.lists()).isEqualTo(1);
            assertThat(stats.bookmarks()).isPositive();
            assertThat(rec.events()).containsExactly("ADD short/c0", "ADD short/c1", "ADD short/c2", "ADD short/c3",
                    "ADD short/c4", "ADD short/c5", "ADD short/c6", "ADD short/c7");
            rec.assertSerial();
        }
    }

    @Test
    void relistsAfterCompactionAndConverges(@TempDir Path dir) throws Exception {
        try (ApiServer server = start(dir, 0, Duration.ofSeconds(1));
             KubeClient admin = KubeClient.fromKubeconfig(server.kubeconfig());
             TcpProxy proxy = new TcpProxy(server.port());
             KubeClient viaProxy = KubeClient.fromKubeconfig(throughProxy(server, proxy, dir));
             InformerFactory informers = new InformerFactory(viaProxy,
                     Informer.Options.DEFAULT.withBackoff(Duration.ofMillis(100), Duration.ofMillis(400)))) {
            namespace(admin, "gone");
            for (String name : List.of("keep", "change", "drop")) {
                assertThat(admin.post("/api/v1/namespaces/gone/configmaps", configMap(name, "gone", "1")).code()).isEqualTo(201);
            }
            Informer informer = informers.informer("/api/v1/namespaces/gone/configmaps");
            Recorder rec = new Recorder();
            informer.addHandler(rec);
            assertThat(informer.awaitSynced(Duration.ofSeconds(30))).isTrue();
            await(() -> informer.stats().watches() == 1);

            proxy.cut();
            assertThat(admin.post("/api/v1/namespaces/gone/configmaps", configMap("fresh", "gone", "1")).code()).isEqualTo(201);
            ObjectNode patch = Json.object();
            patch.putObject("data").put("n", "2");
            assertThat(admin.patch("/api/v1/namespaces/gone/configmaps/change", "application/merge-patch+json", patch).code()).isEqualTo(200);
            assertThat(admin.delete("/api/v1/namespaces/gone/configmaps/drop").code()).isEqualTo(200);
            server.store().compact(server.store().revision());
            await(() -> informer.stats().failures() >= 2); // retrying while unreachable
            proxy.restore();

            await(() -> rec.events().contains("DELETE gone/drop") && rec.events().contains("ADD gone/fresh")
                    && rec.events().contains("UPDATE gone/change"));
            assertThat(informer.stats().lists()).isEqualTo(2);
            assertThat(rec.events()).containsExactlyInAnyOrder("ADD gone/keep", "ADD gone/change", "ADD gone/drop",
                    "ADD gone/fresh", "UPDATE gone/change", "DELETE gone/drop");
            assertThat(names(informer.list())).containsExactlyInAnyOrder("keep", "change", "fresh");
            assertThat(informer.get("gone", "change").orElseThrow().path("data").path("n").asText()).isEqualTo("2");
            // watching again after the relist
            assertThat(admin.post("/api/v1/namespaces/gone/configmaps", configMap("later", "gone", "1")).code()).isEqualTo(201);
            await(() -> rec.events().contains("ADD gone/later"));
            rec.assertSerial();
        }
    }

    @Test
    void survivesAnApiServerRestart(@TempDir Path dir) throws Exception {
        ApiServer server = start(dir, 0, Duration.ofSeconds(1));
        int port = server.port();
        try (KubeClient client = KubeClient.fromKubeconfig(server.kubeconfig());
             InformerFactory informers = new InformerFactory(client,
                     Informer.Options.DEFAULT.withBackoff(Duration.ofMillis(100), Duration.ofMillis(500)))) {
            namespace(client, "durable");
            assertThat(client.post("/api/v1/namespaces/durable/configmaps", configMap("before", "durable", "1")).code()).isEqualTo(201);
            Informer informer = informers.informer("/api/v1/namespaces/durable/configmaps");
            Recorder rec = new Recorder();
            informer.addHandler(rec);
            assertThat(informer.awaitSynced(Duration.ofSeconds(30))).isTrue();
            await(() -> informer.stats().watches() == 1);

            server.close();
            await(() -> informer.stats().failures() >= 2);
            server = restart(dir, port);
            assertThat(client.post("/api/v1/namespaces/durable/configmaps", configMap("after", "durable", "1")).code()).isEqualTo(201);
            await(() -> rec.events().contains("ADD durable/after"));
            assertThat(rec.events()).containsExactly("ADD durable/before", "ADD durable/after");
            // the store's history survives the restart: the watch resumed where it was
            assertThat(informer.stats().lists()).isEqualTo(1);
            assertThat(informer.stats().watches()).isGreaterThanOrEqualTo(2);
        } finally {
            server.close();
        }
    }

    @Test
    void componentsShareOneWatchThroughTheFactory(@TempDir Path dir) throws Exception {
        try (ApiServer server = start(dir, 0, Duration.ofSeconds(1));
             KubeClient admin = KubeClient.fromKubeconfig(server.kubeconfig());
             KubeClient controllers = KubeClient.fromKubeconfig(server.controllersKubeconfig())) {
            InformerFactory informers = new InformerFactory(controllers);
            Recorder rec = new Recorder();
            try (informers; NamespaceController nsController = NamespaceController.start(informers)) {
                // a second component of the process: the same informer, its own handler
                Informer namespaces = informers.informer("/api/v1/namespaces", "", null);
                assertThat(informers.informers()).containsExactly(namespaces);
                namespaces.addHandler(rec);
                assertThat(namespaces.awaitSynced(Duration.ofSeconds(30))).isTrue();
                awaitOpenWatches(admin, 1);

                namespace(admin, "shared");
                assertThat(admin.post("/api/v1/namespaces/shared/configmaps", configMap("c", "shared", "1")).code()).isEqualTo(201);
                assertThat(admin.delete("/api/v1/namespaces/shared").code()).isIn(200, 202);
                // the controller, fed by the shared informer, empties and finalizes it; the other handler sees it go
                await(() -> rec.events().contains("DELETE shared"));
                assertThat(admin.get("/api/v1/namespaces/shared").code()).isEqualTo(404);
                assertThat(rec.eventsOf("shared")).startsWith("ADD shared", "UPDATE shared").endsWith("DELETE shared");
                assertThat(openWatches(admin)).isEqualTo(1);

                // other selectors are another informer, another watch
                Informer labelled = informers.informer("/api/v1/namespaces", "team=a", null);
                assertThat(labelled).isNotSameAs(namespaces);
                assertThat(labelled.awaitSynced(Duration.ofSeconds(30))).isTrue();
                awaitOpenWatches(admin, 2);
            }
            // closing the factory ends its watches
            awaitOpenWatches(admin, 0);
        }
    }

    // ---- helpers ----

    /** Records what its informer tells it, and whether two calls ever overlapped. */
    static final class Recorder implements ResourceEventHandler {
        private final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final List<ObjectNode[]> updates = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger inFlight = new AtomicInteger();
        private final AtomicBoolean overlapped = new AtomicBoolean();
        private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

        @Override
        public void onAdd(ObjectNode obj) {
            record("ADD " + key(obj));
        }

        @Override
        public void onUpdate(ObjectNode oldObj, ObjectNode newObj) {
            updates.add(new ObjectNode[] {oldObj, newObj});
            record("UPDATE " + key(newObj));
        }

        @Override
        public void onDelete(ObjectNode obj) {
            record("DELETE " + key(obj));
        }

        private void record(String e) {
            if (inFlight.incrementAndGet() > 1) overlapped.set(true);
            threads.add(Thread.currentThread());
            events.add(e);
            inFlight.decrementAndGet();
        }

        List<String> events() {
            synchronized (events) {
                return List.copyOf(events);
            }
        }

        List<String> eventsOf(String key) {
            return events().stream().filter(e -> e.endsWith(" " + key)).toList();
        }

        void assertSerial() {
            assertThat(overlapped).isFalse();
            assertThat(threads).hasSize(1);
            assertThat(threads.iterator().next().isVirtual()).isTrue();
        }

        private static String key(ObjectNode o) {
            String ns = Meta.namespace(o);
            return ns.isEmpty() ? Meta.name(o) : ns + "/" + Meta.name(o);
        }
    }

    private static ApiServer start(Path dir, int port, Duration bookmarks) throws IOException, InterruptedException {
        return ApiServer.start(new ApiServer.Config(dir, "127.0.0.1", port, bookmarks, LONG));
    }

    /** The same data directory on the same port; the port may take a moment to be free again. */
    private static ApiServer restart(Path dir, int port) throws Exception {
        Instant end = Instant.now().plusSeconds(20);
        while (true) {
            try {
                return start(dir, port, Duration.ofSeconds(1));
            } catch (IOException | RuntimeException e) {
                if (Instant.now().isAfter(end)) throw e;
                Thread.sleep(200);
            }
        }
    }

    /** The admin kubeconfig pointed at the proxy (the server certificate names 127.0.0.1, so TLS still holds). */
    private static Path throughProxy(ApiServer server, TcpProxy proxy, Path dir) throws IOException {
        String config = Files.readString(server.kubeconfig());
        String direct = "https://127.0.0.1:" + server.port();
        assertThat(config).contains(direct);
        Path file = dir.resolve("proxied.kubeconfig");
        Files.writeString(file, config.replace(direct, "https://127.0.0.1:" + proxy.port()));
        return file;
    }

    private static void namespace(KubeClient client, String name) {
        assertThat(client.post("/api/v1/namespaces", object("Namespace", name, null)).code()).isEqualTo(201);
    }

    private static void createMany(KubeClient client, String namespace, int n) throws Exception {
        Semaphore parallel = new Semaphore(16);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> codes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ObjectNode cm = configMap("cm-" + i, namespace, Integer.toString(i));
                codes.add(pool.submit(() -> {
                    parallel.acquire();
                    try {
                        return client.post("/api/v1/namespaces/" + namespace + "/configmaps", cm).code();
                    } finally {
                        parallel.release();
                    }
                }));
            }
            for (Future<Integer> c : codes) assertThat(c.get()).isEqualTo(201);
        }
    }

    private static ObjectNode object(String kind, String name, String namespace) {
        ObjectNode o = Json.object().put("apiVersion", "v1").put("kind", kind);
        ObjectNode m = o.putObject("metadata").put("name", name);
        if (namespace != null) m.put("namespace", namespace);
        return o;
    }

    private static ObjectNode configMap(String name, String namespace, String n) {
        ObjectNode cm = object("ConfigMap", name, namespace);
        cm.putObject("data").put("n", n);
        return cm;
    }

    private static ObjectNode pod(String name, String node) {
        ObjectNode p = object("Pod", name, "work");
        ObjectNode spec = p.putObject("spec");
        if (node != null) spec.put("nodeName", node);
        spec.putArray("containers").addObject().put("name", "c").put("image", "nginx");
        return p;
    }

    private static Set<String> names(List<ObjectNode> objects) {
        return objects.stream().map(Meta::name).collect(Collectors.toSet());
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(30);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(end)) throw new AssertionError("condition not met within 30 s");
            Thread.sleep(20);
        }
    }

    private static int openWatches(KubeClient client) {
        return client.get("/metrics").text().lines()
                .filter(l -> l.startsWith("apiserver_longrunning_requests{") && l.contains("verb=\"WATCH\""))
                .map(l -> (int) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElse(-1);
    }

    private static void awaitOpenWatches(KubeClient client, int expected) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(20);
        int seen;
        while ((seen = openWatches(client)) != expected) {
            if (Instant.now().isAfter(end)) throw new AssertionError("open watches never became " + expected + ": " + seen);
            Thread.sleep(50);
        }
    }
}
