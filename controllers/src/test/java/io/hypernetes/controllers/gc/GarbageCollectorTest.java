package io.hypernetes.controllers.gc;

import static io.hypernetes.controllers.ControlPlane.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.KubeClient;
import io.hypernetes.controllers.ControlPlane;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GarbageCollectorTest {
    @TempDir
    static Path dir;
    static ControlPlane plane;
    static KubeClient client;
    static GarbageCollector gc;

    @BeforeAll
    static void start() throws Exception {
        plane = ControlPlane.start(dir);
        client = plane.client;
        gc = GarbageCollector.start(plane.informers);
    }

    @AfterAll
    static void stop() {
        gc.close();
        plane.close();
    }

    @Test
    void watchesEveryNamespacedResourceFromDiscovery() {
        assertThat(gc.watched()).contains("pods", "services", "endpoints", "configmaps", "secrets", "events",
                "deployments.apps", "replicasets.apps", "leases.coordination.k8s.io");
    }

    @Test
    void backgroundDeletionOfAReplicaSetsPodsAndConfigMapChains() throws Exception {
        String ns = namespace("gc1");
        JsonNode rs = create("/apis/apps/v1/namespaces/" + ns + "/replicasets", """
                {apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: web},
                 spec: {replicas: 0, selector: {matchLabels: {app: web}},
                        template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: nginx}]}}}}""");
        for (String p : new String[] {"web-1", "web-2"}) {
            ObjectNode pod = yaml("{apiVersion: v1, kind: Pod, metadata: {name: " + p + ", labels: {app: web}}, spec: {containers: [{name: c, image: nginx}]}}");
            ownedBy(pod, rs, true);
            create("/api/v1/namespaces/" + ns + "/pods", pod);
        }
        JsonNode root = create("/api/v1/namespaces/" + ns + "/configmaps", configMap("root"));
        JsonNode child = create("/api/v1/namespaces/" + ns + "/configmaps", ownedBy(configMap("child"), root, false));
        create("/api/v1/namespaces/" + ns + "/configmaps", ownedBy(configMap("grandchild"), child, false));
        // two owners, one stays: only the reference goes
        JsonNode keeper = create("/api/v1/namespaces/" + ns + "/configmaps", configMap("keeper"));
        ObjectNode shared = ownedBy(configMap("shared"), root, false);
        ownedBy(shared, keeper, false);
        create("/api/v1/namespaces/" + ns + "/configmaps", shared);
        Thread.sleep(500);
        assertThat(client.get("/api/v1/namespaces/" + ns + "/pods/web-1").code()).isEqualTo(200); // owner there: kept

        assertThat(client.delete("/apis/apps/v1/namespaces/" + ns + "/replicasets/web").code()).isEqualTo(200);
        awaitCode("/api/v1/namespaces/" + ns + "/pods/web-1", 404);
        awaitCode("/api/v1/namespaces/" + ns + "/pods/web-2", 404);

        assertThat(client.delete("/api/v1/namespaces/" + ns + "/configmaps/root").code()).isEqualTo(200);
        awaitCode("/api/v1/namespaces/" + ns + "/configmaps/child", 404);
        awaitCode("/api/v1/namespaces/" + ns + "/configmaps/grandchild", 404);
        await("/api/v1/namespaces/" + ns + "/configmaps/shared", o -> o.at("/metadata/ownerReferences").size() == 1);
        JsonNode kept = client.get("/api/v1/namespaces/" + ns + "/configmaps/shared").json();
        assertThat(kept.at("/metadata/ownerReferences/0/name").asText()).isEqualTo("keeper");
    }

    @Test
    void danglingUidIsCollected() throws Exception {
        String ns = namespace("gc2");
        JsonNode owner = create("/api/v1/namespaces/" + ns + "/configmaps", configMap("owner"));
        ObjectNode stale = configMap("stale");
        ownedBy(stale, owner, false);
        ((ObjectNode) stale.at("/metadata/ownerReferences/0")).put("uid", "00000000-0000-0000-0000-000000000000");
        create("/api/v1/namespaces/" + ns + "/configmaps", stale);
        create("/api/v1/namespaces/" + ns + "/configmaps", ownedBy(configMap("fresh"), owner, false));
        ObjectNode unknownKind = configMap("alien");
        unknownKind.withObject("/metadata").putArray("ownerReferences").addObject().put("apiVersion", "example.com/v1")
                .put("kind", "Widget").put("name", "w").put("uid", "11111111-1111-1111-1111-111111111111");
        create("/api/v1/namespaces/" + ns + "/configmaps", unknownKind);
        awaitCode("/api/v1/namespaces/" + ns + "/configmaps/stale", 404);
        Thread.sleep(500);
        assertThat(client.get("/api/v1/namespaces/" + ns + "/configmaps/fresh").code()).isEqualTo(200);
        assertThat(client.get("/api/v1/namespaces/" + ns + "/configmaps/alien").code()).isEqualTo(200);
    }

    @Test
    void foregroundFinalizerWaitsForBlockingDependents() throws Exception {
        String ns = namespace("gc3");
        ObjectNode o = configMap("owner");
        o.withObject("/metadata").putArray("finalizers").add(GarbageCollector.FOREGROUND);
        JsonNode owner = create("/api/v1/namespaces/" + ns + "/configmaps", o);
        create("/api/v1/namespaces/" + ns + "/configmaps", ownedBy(configMap("a"), owner, true));
        ObjectNode held = ownedBy(configMap("held"), owner, true);
        held.withObject("/metadata").putArray("finalizers").add("example.com/hold");
        create("/api/v1/namespaces/" + ns + "/configmaps", held);
        Thread.sleep(300);

        assertThat(client.delete("/api/v1/namespaces/" + ns + "/configmaps/owner").code()).isEqualTo(200);
        awaitCode("/api/v1/namespaces/" + ns + "/configmaps/a", 404);
        await("/api/v1/namespaces/" + ns + "/configmaps/held", d -> d.at("/metadata/deletionTimestamp").isTextual());
        Thread.sleep(800);
        // the blocking dependent is still there (its finalizer): the owner waits
        JsonNode waiting = client.get("/api/v1/namespaces/" + ns + "/configmaps/owner").json();
        assertThat(waiting.at("/metadata/finalizers").toString()).contains(GarbageCollector.FOREGROUND);

        ObjectNode release = Json.object();
        release.putObject("metadata").putNull("finalizers");
        assertThat(client.patch("/api/v1/namespaces/" + ns + "/configmaps/held", "application/merge-patch+json", release).code()).isEqualTo(200);
        awaitCode("/api/v1/namespaces/" + ns + "/configmaps/owner", 404);
    }

    @Test
    void orphanFinalizerKeepsDependentsWithoutTheReference() throws Exception {
        String ns = namespace("gc4");
        ObjectNode o = configMap("owner");
        o.withObject("/metadata").putArray("finalizers").add(GarbageCollector.ORPHAN);
        JsonNode owner = create("/api/v1/namespaces/" + ns + "/configmaps", o);
        JsonNode other = create("/api/v1/namespaces/" + ns + "/configmaps", configMap("other"));
        create("/api/v1/namespaces/" + ns + "/configmaps", ownedBy(configMap("orphan-1"), owner, true));
        ObjectNode two = ownedBy(configMap("orphan-2"), owner, false);
        ownedBy(two, other, false);
        create("/api/v1/namespaces/" + ns + "/configmaps", two);
        Thread.sleep(300);

        assertThat(client.delete("/api/v1/namespaces/" + ns + "/configmaps/owner").code()).isEqualTo(200);
        awaitCode("/api/v1/namespaces/" + ns + "/configmaps/owner", 404);
        Thread.sleep(500);
        JsonNode one = client.get("/api/v1/namespaces/" + ns + "/configmaps/orphan-1").json();
        assertThat(one.at("/metadata/ownerReferences").isMissingNode() || one.at("/metadata/ownerReferences").isEmpty()).isTrue();
        JsonNode kept = client.get("/api/v1/namespaces/" + ns + "/configmaps/orphan-2").json();
        assertThat(kept.at("/metadata/ownerReferences")).hasSize(1);
        assertThat(kept.at("/metadata/ownerReferences/0/name").asText()).isEqualTo("other");
    }

    // ---- helpers

    private static String namespace(String name) {
        assertThat(client.post("/api/v1/namespaces", yaml("{apiVersion: v1, kind: Namespace, metadata: {name: " + name + "}}")).code()).isEqualTo(201);
        return name;
    }

    private static ObjectNode configMap(String name) {
        return yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: " + name + "}, data: {k: v}}");
    }

    private static ObjectNode ownedBy(ObjectNode obj, JsonNode owner, boolean block) {
        ObjectNode ref = obj.withObject("/metadata").withArray("ownerReferences").addObject()
                .put("apiVersion", owner.path("apiVersion").asText()).put("kind", owner.path("kind").asText())
                .put("name", owner.at("/metadata/name").asText()).put("uid", owner.at("/metadata/uid").asText());
        if (block) ref.put("blockOwnerDeletion", true);
        return obj;
    }

    private static JsonNode create(String path, String yaml) {
        return create(path, yaml(yaml));
    }

    private static JsonNode create(String path, ObjectNode obj) {
        KubeClient.Response r = client.post(path, obj);
        assertThat(r.code()).as(r.text()).isEqualTo(201);
        return r.json();
    }

    private static void await(String path, java.util.function.Predicate<JsonNode> ok) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(20);
        JsonNode last = null;
        while (Instant.now().isBefore(end)) {
            last = client.get(path).json();
            if (ok.test(last)) return;
            Thread.sleep(50);
        }
        throw new AssertionError(path + " never as expected: " + last);
    }

    private static void awaitCode(String path, int code) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(20);
        while (client.get(path).code() != code) {
            if (Instant.now().isAfter(end)) throw new AssertionError(path + " never answered " + code + ": " + client.get(path).text());
            Thread.sleep(50);
        }
    }

}
