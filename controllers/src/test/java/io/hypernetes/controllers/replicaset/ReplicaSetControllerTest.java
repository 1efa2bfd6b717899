package io.hypernetes.controllers.replicaset;

import static io.hypernetes.controllers.ControlPlane.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.controllers.ControlPlane;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicaSetControllerTest {
    static final String RS = "/apis/apps/v1/namespaces/t/replicasets";
    @TempDir
    Path dir;
    ControlPlane plane;
    KubeClient client;
    ReplicaSetController controller;
    FakeNodeAgent node;

    @BeforeEach
    void start() throws Exception {
        plane = ControlPlane.start(dir);
        client = plane.client;
        controller = ReplicaSetController.start(plane.informers);
        node = new FakeNodeAgent(plane.informers);
        ObjectNode ns = Json.object().put("apiVersion", "v1").put("kind", "Namespace");
        ns.putObject("metadata").put("name", "t");
        assertThat(client.post("/api/v1/namespaces", ns).code()).isEqualTo(201);
    }

    @AfterEach
    void stop() {
        node.close();
        controller.close();
        plane.close();
    }

    @Test
    void createsPodsToMatchReplicasAndDeletesUnreadyFirst() throws Exception {
        assertThat(client.post(RS, replicaSet("web", 3, "app", "web")).code()).isEqualTo(201);
        await(() -> pods("app=web").size() == 3 && status("web").path("readyReplicas").asInt() == 3
                && status("web").path("availableReplicas").asInt() == 3);
        JsonNode rs = client.get(RS + "/web").json();
        for (JsonNode p : pods("app=web")) {
            assertThat(Meta.name(p)).startsWith("web-");
            JsonNode ref = p.path("metadata").path("ownerReferences").get(0);
            assertThat(ref.path("kind").asText()).isEqualTo("ReplicaSet");
            assertThat(ref.path("uid").asText()).isEqualTo(Meta.uid(rs));
            assertThat(ref.path("controller").asBoolean()).isTrue();
            assertThat(ref.path("blockOwnerDeletion").asBoolean()).isTrue();
        }
        assertThat(rs.path("status").path("replicas").asInt()).isEqualTo(3);
        assertThat(rs.path("status").path("fullyLabeledReplicas").asInt()).isEqualTo(3);
        assertThat(rs.path("status").path("observedGeneration").asLong()).isEqualTo(rs.path("metadata").path("generation").asLong());
        Set<String> readyOnes = pods("app=web").stream().map(Meta::name).collect(Collectors.toSet());

        node.pause();
        scale("web", 5);
        await(() -> pods("app=web").size() == 5 && status("web").path("replicas").asInt() == 5);
        scale("web", 3);
        await(() -> pods("app=web").size() == 3);
        Thread.sleep(300);
        // the two that never became ready went first
        assertThat(pods("app=web").stream().map(Meta::name).collect(Collectors.toSet())).isEqualTo(readyOnes);
        node.resume();

        scale("web", 0);
        await(() -> pods("app=web").isEmpty() && status("web").path("replicas").asInt() == 0);
        List<String> reasons = events().stream().map(e -> e.path("reason").asText()).toList();
        assertThat(reasons).contains("SuccessfulCreate", "SuccessfulDelete");
    }

    @Test
    void adoptsMatchingOrphansAndReleasesPodsThatStopMatching() throws Exception {
        node.pause();
        ObjectNode orphan = pod("orphan", "app", "db");
        assertThat(client.post("/api/v1/namespaces/t/pods", orphan).code()).isEqualTo(201);
        ObjectNode other = pod("other", "app", "other");
        assertThat(client.post("/api/v1/namespaces/t/pods", other).code()).isEqualTo(201);
        assertThat(client.post(RS, replicaSet("db", 2, "app", "db")).code()).isEqualTo(201);
        String uid = Meta.uid(client.get(RS + "/db").json());
        await(() -> pods("app=db").size() == 2 && status("db").path("replicas").asInt() == 2);
        JsonNode adopted = client.get("/api/v1/namespaces/t/pods/orphan").json();
        assertThat(adopted.path("metadata").path("ownerReferences").get(0).path("uid").asText()).isEqualTo(uid);
        assertThat(client.get("/api/v1/namespaces/t/pods/other").json().path("metadata").has("ownerReferences")).isFalse();

        // relabelled out of the selector: released, and replaced
        ObjectNode relabel = Json.object();
        relabel.putObject("metadata").putObject("labels").put("app", "retired");
        assertThat(client.patch("/api/v1/namespaces/t/pods/orphan", "application/merge-patch+json", relabel).code()).isEqualTo(200);
        await(() -> pods("app=db").size() == 2
                && !client.get("/api/v1/namespaces/t/pods/orphan").json().path("metadata").path("ownerReferences").elements().hasNext());
        assertThat(pods("app=retired")).hasSize(1);
    }

    @Test
    void expectationsPreventDoubleCreatesUnderABurstOfEvents() throws Exception {
        node.pause();
        assertThat(client.post(RS, replicaSet("burst", 30, "app", "burst")).code()).isEqualTo(201);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger maxSeen = new AtomicInteger();
        // a burst of RS events (annotation updates), each one a reconcile, while its creates are in flight
        Thread spam = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < 60 && !stop.get(); i++) {
                ObjectNode patch = Json.object();
                patch.putObject("metadata").putObject("annotations").put("touch", "" + i);
                client.patch(RS + "/burst", "application/merge-patch+json", patch);
            }
        });
        Instant end = Instant.now().plusSeconds(3);
        while (Instant.now().isBefore(end)) {
            maxSeen.accumulateAndGet(pods("app=burst").size(), Math::max);
            Thread.sleep(20);
        }
        stop.set(true);
        spam.join();
        assertThat(pods("app=burst")).hasSize(30);
        assertThat(maxSeen.get()).isEqualTo(30);
        assertThat(controller.pendingCreations("t/burst")).isLessThanOrEqualTo(0);
    }

    @Test
    void quotaRefusalIsAFailedCreateEventAndAReplicaFailureCondition() throws Exception {
        ObjectNode ns = Json.object().put("apiVersion", "v1").put("kind", "Namespace");
        ns.putObject("metadata").put("name", "acme-web").putObject("labels").put("hypernetes.io/tenant", "acme");
        assertThat(client.post("/api/v1/namespaces", ns).code()).isEqualTo(201);
        ObjectNode quotas = Json.object().put("apiVersion", "v1").put("kind", "ConfigMap");
        quotas.putObject("metadata").put("name", "tenant-quotas").put("namespace", "kube-system");
        quotas.putObject("data").put("default", "pods=2");
        assertThat(client.post("/api/v1/namespaces/kube-system/configmaps", quotas).code()).isEqualTo(201);

        ObjectNode rs = replicaSet("capped", 5, "app", "capped");
        rs.withObject("/metadata").put("namespace", "acme-web");
        assertThat(client.post("/apis/apps/v1/namespaces/acme-web/replicasets", rs).code()).isEqualTo(201);
        await(() -> {
            JsonNode list = client.get("/api/v1/namespaces/acme-web/events").json().path("items");
            for (JsonNode e : list) if (e.path("reason").asText().equals("FailedCreate")) return true;
            return false;
        });
        JsonNode failed = null;
        for (JsonNode e : client.get("/api/v1/namespaces/acme-web/events").json().path("items")) {
            if (e.path("reason").asText().equals("FailedCreate")) failed = e;
        }
        assertThat(failed.path("type").asText()).isEqualTo("Warning");
        assertThat(failed.path("message").asText()).contains("exceeded quota");
        assertThat(failed.path("involvedObject").path("kind").asText()).isEqualTo("ReplicaSet");
        await(() -> {
            JsonNode st = client.get("/apis/apps/v1/namespaces/acme-web/replicasets/capped").json().path("status");
            return st.path("replicas").asInt() == 2 && st.path("conditions").toString().contains("ReplicaFailure");
        });
        assertThat(client.get("/api/v1/namespaces/acme-web/pods").json().path("items")).hasSize(2);
    }

    // ---- helpers ----

    static ObjectNode replicaSet(String name, int replicas, String labelKey, String labelValue) {
        ObjectNode rs = Json.object().put("apiVersion", "apps/v1").put("kind", "ReplicaSet");
        rs.putObject("metadata").put("name", name).put("namespace", "t");
        ObjectNode spec = rs.putObject("spec").put("replicas", replicas);
        spec.putObject("selector").putObject("matchLabels").put(labelKey, labelValue);
        ObjectNode template = spec.putObject("template");
        template.putObject("metadata").putObject("labels").put(labelKey, labelValue);
        template.putObject("spec").putArray("containers").addObject().put("name", "c").put("image", "nginx:1.27");
        return rs;
    }

    static ObjectNode pod(String name, String labelKey, String labelValue) {
        ObjectNode p = Json.object().put("apiVersion", "v1").put("kind", "Pod");
        p.putObject("metadata").put("name", name).put("namespace", "t").putObject("labels").put(labelKey, labelValue);
        p.putObject("spec").putArray("containers").addObject().put("name", "c").put("image", "nginx:1.27");
        return p;
    }

    void scale(String name, int replicas) {
        ObjectNode patch = Json.object();
        patch.putObject("spec").put("replicas", replicas);
        assertThat(client.patch(RS + "/" + name + "/scale", "application/merge-patch+json", patch).code()).isEqualTo(200);
    }

    JsonNode status(String name) {
        return client.get(RS + "/" + name).json().path("status");
    }

    /** Active pods with the label selector. */
    List<JsonNode> pods(String selector) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : client.get("/api/v1/namespaces/t/pods?labelSelector=" + selector).json().path("items")) {
            if (!Meta.deleting(p)) out.add(p);
        }
        return out;
    }

    List<JsonNode> events() {
        List<JsonNode> out = new ArrayList<>();
        client.get("/api/v1/namespaces/t/events").json().path("items").forEach(out::add);
        return out;
    }


    static Predicate<ObjectNode> any() {
        return p -> true;
    }
}
