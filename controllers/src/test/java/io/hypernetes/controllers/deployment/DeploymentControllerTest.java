package io.hypernetes.controllers.deployment;

import static io.hypernetes.controllers.ControlPlane.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.controllers.ControlPlane;
import io.hypernetes.controllers.replicaset.FakeNodeAgent;
import io.hypernetes.controllers.replicaset.Pods;
import io.hypernetes.controllers.replicaset.ReplicaSetController;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeploymentControllerTest {
    static final String DEPLOY = "/apis/apps/v1/namespaces/t/deployments";
    static final String RS = "/apis/apps/v1/namespaces/t/replicasets";
    @TempDir
    Path dir;
    ControlPlane plane;
    KubeClient client;
    ReplicaSetController replicaSets;
    DeploymentController deployments;
    FakeNodeAgent node;

    @BeforeEach
    void start() throws Exception {
        plane = ControlPlane.start(dir);
        client = plane.client;
        replicaSets = ReplicaSetController.start(plane.informers);
        deployments = DeploymentController.start(plane.informers);
        node = new FakeNodeAgent(plane.informers);
        ObjectNode ns = Json.object().put("apiVersion", "v1").put("kind", "Namespace");
        ns.putObject("metadata").put("name", "t");
        assertThat(client.post("/api/v1/namespaces", ns).code()).isEqualTo(201);
    }

    @AfterEach
    void stop() {
        node.close();
        deployments.close();
        replicaSets.close();
        plane.close();
    }

    @Test
    void rollingUpdateWithinSurgeAndUnavailabilityThenRollbackReusesTheOldReplicaSet() throws Exception {
        ObjectNode d = deployment("web", 3, "nginx:1.26");
        d.withObject("/spec").putObject("strategy").put("type", "RollingUpdate").putObject("rollingUpdate")
                .put("maxSurge", 1).put("maxUnavailable", 0);
        assertThat(client.post(DEPLOY, d).code()).isEqualTo(201);
        awaitRolledOut("web", 3);
        List<JsonNode> sets = replicaSetsOf("web");
        assertThat(sets).hasSize(1);
        JsonNode first = sets.get(0);
        String hash = first.path("metadata").path("labels").path(TemplateHash.LABEL).asText();
        assertThat(Meta.name(first)).isEqualTo("web-" + hash);
        assertThat(first.path("spec").path("selector").path("matchLabels").path(TemplateHash.LABEL).asText()).isEqualTo(hash);
        assertThat(first.path("spec").path("template").path("metadata").path("labels").path(TemplateHash.LABEL).asText()).isEqualTo(hash);
        assertThat(first.path("metadata").path("annotations").path(DeploymentController.REVISION).asText()).isEqualTo("1");
        for (JsonNode p : pods("app=web")) assertThat(p.path("metadata").path("labels").path(TemplateHash.LABEL).asText()).isEqualTo(hash);
        JsonNode status = get("web").path("status");
        assertThat(condition(status, "Available").path("status").asText()).isEqualTo("True");
        assertThat(condition(status, "Progressing").path("reason").asText()).isEqualTo("NewReplicaSetAvailable");
        assertThat(get("web").path("metadata").path("annotations").path(DeploymentController.REVISION).asText()).isEqualTo("1");

        // roll out a new image, watching the bounds all along: ≤ 3+1 pods, ≥ 3-0 ready
        List<String> violations = new CopyOnWriteArrayList<>();
        AtomicBoolean watching = new AtomicBoolean(true);
        Thread monitor = Thread.ofVirtual().start(() -> {
            while (watching.get()) {
                int specs = 0;
                for (JsonNode rs : replicaSetsOf("web")) specs += rs.path("spec").path("replicas").asInt();
                List<JsonNode> live = pods("app=web");
                long ready = live.stream().filter(Pods::ready).count();
                if (specs > 4) violations.add("replica set specs " + specs);
                if (live.size() > 4) violations.add("pods " + live.size());
                if (ready < 3) violations.add("ready " + ready);
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        setImage("web", "nginx:1.27");
        awaitRolledOut("web", 3);
        watching.set(false);
        monitor.join();
        assertThat(violations).isEmpty();
        sets = replicaSetsOf("web");
        assertThat(sets).hasSize(2);
        JsonNode second = sets.stream().filter(rs -> !Meta.name(rs).equals(Meta.name(first))).findFirst().orElseThrow();
        assertThat(second.path("spec").path("replicas").asInt()).isEqualTo(3);
        assertThat(second.path("metadata").path("annotations").path(DeploymentController.REVISION).asText()).isEqualTo("2");
        assertThat(client.get(RS + "/" + Meta.name(first)).json().path("spec").path("replicas").asInt()).isZero();
        assertThat(get("web").path("metadata").path("annotations").path(DeploymentController.REVISION).asText()).isEqualTo("2");
        assertThat(events().stream().map(e -> e.path("reason").asText())).contains("ScalingReplicaSet");

        // kubectl rollout undo: the old template again, so the old ReplicaSet, now revision 3
        setImage("web", "nginx:1.26");
        awaitRolledOut("web", 3);
        assertThat(replicaSetsOf("web")).hasSize(2);
        JsonNode back = client.get(RS + "/" + Meta.name(first)).json();
        assertThat(back.path("spec").path("replicas").asInt()).isEqualTo(3);
        assertThat(back.path("metadata").path("annotations").path(DeploymentController.REVISION).asText()).isEqualTo("3");
        assertThat(client.get(RS + "/" + Meta.name(second)).json().path("spec").path("replicas").asInt()).isZero();
        assertThat(get("web").path("metadata").path("annotations").path(DeploymentController.REVISION).asText()).isEqualTo("3");
    }

    @Test
    void recreateStopsTheOldPodsBeforeStartingNewOnes() throws Exception {
        ObjectNode d = deployment("db", 2, "postgres:16");
        d.withObject("/spec").putObject("strategy").put("type", "Recreate");
        assertThat(client.post(DEPLOY, d).code()).isEqualTo(201);
        awaitRolledOut("db", 2);
        List<String> violations = new CopyOnWriteArrayList<>();
        AtomicBoolean watching = new AtomicBoolean(true);
        Thread monitor = Thread.ofVirtual().start(() -> {
            while (watching.get()) {
                long images = pods("app=db").stream()
                        .map(p -> p.path("spec").path("containers").get(0).path("image").asText()).distinct().count();
                if (images > 1) violations.add("old and new pods together");
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        setImage("db", "postgres:17");
        awaitRolledOut("db", 2);
        watching.set(false);
        monitor.join();
        assertThat(violations).isEmpty();
        assertThat(pods("app=db")).allMatch(p -> p.path("spec").path("containers").get(0).path("image").asText().equals("postgres:17"));
    }

    @Test
    void revisionHistoryLimitDeletesOldEmptyReplicaSets() throws Exception {
        ObjectNode d = deployment("h", 1, "busybox:1.35");
        d.withObject("/spec").put("revisionHistoryLimit", 1);
        assertThat(client.post(DEPLOY, d).code()).isEqualTo(201);
        awaitRolledOut("h", 1);
        for (String image : List.of("busybox:1.36", "busybox:1.37", "busybox:1.38")) {
            setImage("h", image);
            awaitRolledOut("h", 1);
        }
        await(() -> replicaSetsOf("h").size() == 2);
        Thread.sleep(500);
        assertThat(replicaSetsOf("h")).hasSize(2);
    }

    @Test
    void pausedDeploymentScalesButDoesNotRollOut() throws Exception {
        assertThat(client.post(DEPLOY, deployment("p", 2, "redis:7.2")).code()).isEqualTo(201);
        awaitRolledOut("p", 2);
        ObjectNode pause = Json.object();
        pause.putObject("spec").put("paused", true);
        assertThat(client.patch(DEPLOY + "/p", "application/merge-patch+json", pause).code()).isEqualTo(200);
        await(() -> condition(get("p").path("status"), "Progressing").path("reason").asText().equals("DeploymentPaused"));
        setImage("p", "redis:7.4");
        ObjectNode scale = Json.object();
        scale.putObject("spec").put("replicas", 3);
        assertThat(client.patch(DEPLOY + "/p", "application/merge-patch+json", scale).code()).isEqualTo(200);
        await(() -> pods("app=p").size() == 3);
        Thread.sleep(1000);
        assertThat(replicaSetsOf("p")).hasSize(1);
        ObjectNode resume = Json.object();
        resume.putObject("spec").put("paused", false);
        assertThat(client.patch(DEPLOY + "/p", "application/merge-patch+json", resume).code()).isEqualTo(200);
        awaitRolledOut("p", 3);
        assertThat(replicaSetsOf("p")).hasSize(2);
        assertThat(pods("app=p")).allMatch(p -> p.path("spec").path("containers").get(0).path("image").asText().equals("redis:7.4"));
    }

    @Test
    void progressDeadlineExceededWhenPodsNeverBecomeReady() throws Exception {
        node.pause();
        ObjectNode d = deployment("stuck", 2, "nginx:1.27");
        d.withObject("/spec").put("progressDeadlineSeconds", 2);
        assertThat(client.post(DEPLOY, d).code()).isEqualTo(201);
        await(() -> {
            JsonNode c = condition(get("stuck").path("status"), "Progressing");
            return c.path("status").asText().equals("False") && c.path("reason").asText().equals("ProgressDeadlineExceeded");
        });
        JsonNode status = get("stuck").path("status");
        assertThat(condition(status, "Available").path("status").asText()).isEqualTo("False");
        assertThat(status.path("unavailableReplicas").asInt()).isEqualTo(2);
        assertThat(status.path("updatedReplicas").asInt()).isEqualTo(2);
    }

    // ---- helpers ----

    static ObjectNode deployment(String name, int replicas, String image) {
        ObjectNode d = Json.object().put("apiVersion", "apps/v1").put("kind", "Deployment");
        d.putObject("metadata").put("name", name).put("namespace", "t");
        ObjectNode spec = d.putObject("spec").put("replicas", replicas);
        spec.putObject("selector").putObject("matchLabels").put("app", name);
        ObjectNode template = spec.putObject("template");
        template.putObject("metadata").putObject("labels").put("app", name);
        template.putObject("spec").putArray("containers").addObject().put("name", "c").put("image", image);
        return d;
    }

    /** As {@code kubectl set image} does it: a patch, so the controller's concurrent status writes cannot conflict. */
    void setImage(String name, String image) throws Exception {
        JsonNode patch = Json.MAPPER.readTree("[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"" + image + "\"}]");
        assertThat(client.patch(DEPLOY + "/" + name, "application/json-patch+json", patch).code()).isEqualTo(200);
    }

    JsonNode get(String name) {
        return client.get(DEPLOY + "/" + name).json();
    }

    /** As kubectl rollout status decides it has rolled out. */
    void awaitRolledOut(String name, int replicas) throws Exception {
        await(() -> {
            JsonNode d = get(name);
            JsonNode s = d.path("status");
            return s.path("observedGeneration").asLong() >= d.path("metadata").path("generation").asLong()
                    && s.path("updatedReplicas").asInt() == replicas && s.path("replicas").asInt() == replicas
                    && s.path("availableReplicas").asInt() == replicas
                    && condition(s, "Progressing").path("reason").asText().equals("NewReplicaSetAvailable");
        });
    }

    static JsonNode condition(JsonNode status, String type) {
        for (JsonNode c : status.path("conditions")) if (c.path("type").asText().equals(type)) return c;
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    List<JsonNode> replicaSetsOf(String name) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode rs : client.get(RS).json().path("items")) {
            JsonNode ref = rs.path("metadata").path("ownerReferences").path(0);
            if (ref.path("kind").asText().equals("Deployment") && ref.path("name").asText().equals(name) && !Meta.deleting(rs)) out.add(rs);
        }
        return out;
    }

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

}
