package io.hypernetes.apiserver;

import static io.hypernetes.apiserver.TestCluster.managers;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.client.KubeClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Server-side apply and managedFields over HTTPS, as kubectl and controllers use them. */
class ServerSideApplyTest {
    static final String CONFIGMAPS = "/api/v1/namespaces/ssa/configmaps";
    static final String PODS = "/api/v1/namespaces/ssa/pods";
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("ssa");
    }

    static String configMap(String name, String data) {
        return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata: " + data + "\n";
    }

    static JsonNode fieldsOf(JsonNode obj, String manager) {
        for (JsonNode e : obj.path("metadata").path("managedFields")) {
            if (e.path("manager").asText().equals(manager)) return e.path("fieldsV1");
        }
        return null;
    }

    @Test
    void applyCreatesThenUpdatesAndRecordsTheApplier() {
        KubeClient.Response created = cluster.apply(CONFIGMAPS + "/one", configMap("one", "{a: '1'}"), "fieldManager=tool");
        assertThat(created.code()).as(created.text()).isEqualTo(201);
        assertThat(managers(created.json())).containsExactly("tool/Apply");
        assertThat(fieldsOf(created.json(), "tool")).isEqualTo(TestCluster.yaml("{f:data: {f:a: {}}}"));

        // JSON is YAML too; a second apply with more data updates
        KubeClient.Response updated = cluster.apply(CONFIGMAPS + "/one",
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"one\"},\"data\":{\"a\":\"1\",\"b\":\"2\"}}",
                "fieldManager=tool");
        assertThat(updated.code()).as(updated.text()).isEqualTo(200);
        assertThat(updated.json().path("data")).isEqualTo(TestCluster.yaml("{a: '1', b: '2'}"));
        assertThat(cluster.get(CONFIGMAPS + "/one").path("metadata").path("managedFields").get(0).path("operation").asText())
                .isEqualTo("Apply");
    }

    @Test
    void applyRemovesWhatTheApplierNoLongerSetsUnlessOthersOwnIt() {
        cluster.apply(CONFIGMAPS + "/prune", configMap("prune", "{a: '1', b: '2', c: '3'}"), "fieldManager=tool");
        // another manager takes c by an ordinary update
        KubeClient.Response patched = cluster.send("PATCH", CONFIGMAPS + "/prune?fieldManager=editor",
                "{\"data\":{\"c\":\"33\"}}", "application/merge-patch+json");
        assertThat(patched.code()).isEqualTo(200);
        assertThat(managers(patched.json())).containsExactly("tool/Apply", "editor/Update"); // appliers sort first

        KubeClient.Response r = cluster.apply(CONFIGMAPS + "/prune", configMap("prune", "{a: '1'}"), "fieldManager=tool");
        assertThat(r.code()).as(r.text()).isEqualTo(200);
        assertThat(r.json().path("data")).isEqualTo(TestCluster.yaml("{a: '1', c: '33'}"));
    }

    @Test
    void conflictNamesManagerAndFieldAndWritesNothingUntilForced() {
        cluster.create(PODS + "?fieldManager=creator", TestCluster.pod("ssa", "web"));
        String config = """
                apiVersion: v1
                kind: Pod
                metadata: {name: web, labels: {app: api}}
                spec:
                  containers: [{name: nginx, image: nginx:1.27}]
                """;
        long before = cluster.revision();
        KubeClient.Response r = cluster.apply(PODS + "/web", config, "fieldManager=ssa-tool");
        assertThat(r.code()).isEqualTo(409);
        assertThat(r.json().path("reason").asText()).isEqualTo("Conflict");
        assertThat(r.json().path("message").asText()).isEqualTo("Apply failed with 2 conflicts: conflicts with \"creator\" using v1:\n"
                + "- .metadata.labels.app\n- .spec.containers[name=\"nginx\"].image");
        JsonNode causes = r.json().path("details").path("causes");
        assertThat(causes).hasSize(2);
        assertThat(causes.get(1).path("reason").asText()).isEqualTo("FieldManagerConflict");
        assertThat(causes.get(1).path("message").asText()).isEqualTo("conflict with \"creator\" using v1");
        assertThat(causes.get(1).path("field").asText()).isEqualTo(".spec.containers[name=\"nginx\"].image");
        assertThat(cluster.revision()).isEqualTo(before);

        KubeClient.Response forced = cluster.apply(PODS + "/web", config, "fieldManager=ssa-tool&force=true");
        assertThat(forced.code()).as(forced.text()).isEqualTo(200);
        assertThat(forced.json().path("spec").path("containers").get(0).path("image").asText()).isEqualTo("nginx:1.27");
        assertThat(managers(forced.json())).containsExactly("ssa-tool/Apply", "creator/Update");
        assertThat(fieldsOf(forced.json(), "creator").path("f:spec").path("f:containers").path("k:{\"name\":\"nginx\"}").has("f:image")).isFalse();
        // the pod's own defaults and the creator's other fields stay
        assertThat(forced.json().path("spec").path("containers").get(0).path("ports").get(0).path("containerPort").asInt()).isEqualTo(80);
    }

    @Test
    void sameValueIsSharedNotAConflict() {
        cluster.create(CONFIGMAPS + "?fieldManager=creator", TestCluster.yaml(configMap("shared", "{a: '1'}")));
        KubeClient.Response r = cluster.apply(CONFIGMAPS + "/shared", configMap("shared", "{a: '1'}"), "fieldManager=tool");
        assertThat(r.code()).as(r.text()).isEqualTo(200);
        assertThat(managers(r.json())).containsExactly("tool/Apply", "creator/Update");
    }

    @Test
    void fieldManagerIsRequiredAndForceOnlyForApply() {
        KubeClient.Response missing = cluster.apply(CONFIGMAPS + "/nomanager", configMap("nomanager", "{a: '1'}"), "");
        assertThat(missing.code()).isEqualTo(422);
        assertThat(missing.json().path("message").asText())
                .isEqualTo("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
        cluster.create(CONFIGMAPS, TestCluster.yaml(configMap("forced-merge", "{a: '1'}")));
        KubeClient.Response force = cluster.send("PATCH", CONFIGMAPS + "/forced-merge?force=true", "{}", "application/merge-patch+json");
        assertThat(force.code()).isEqualTo(422);
        assertThat(force.json().path("message").asText()).contains("force: Forbidden: may not be specified for non-apply patch");
        KubeClient.Response tooLong = cluster.apply(CONFIGMAPS + "/nomanager", configMap("nomanager", "{}"), "fieldManager=" + "x".repeat(129));
        assertThat(tooLong.code()).isEqualTo(422);
    }

    @Test
    void badConfigsAreRefusedWithoutWriting() {
        long before = cluster.revision();
        assertThat(cluster.apply(CONFIGMAPS + "/bad", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n", "fieldManager=m").code())
                .isEqualTo(400);
        KubeClient.Response managed = cluster.apply(CONFIGMAPS + "/bad",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, managedFields: [{manager: x}]}\n", "fieldManager=m");
        assertThat(managed.code()).isEqualTo(400);
        assertThat(managed.json().path("message").asText()).isEqualTo("metadata.managedFields must be nil");
        KubeClient.Response strict = cluster.apply(CONFIGMAPS + "/bad", configMap("bad", "{a: '1'}") + "bogus: 1\n",
                "fieldManager=m&fieldValidation=Strict");
        assertThat(strict.code()).isEqualTo(400);
        assertThat(strict.json().path("message").asText()).contains("bogus");
        KubeClient.Response noKey = cluster.apply(PODS + "/nokey",
                "apiVersion: v1\nkind: Pod\nmetadata: {name: nokey}\nspec: {containers: [{image: x}]}\n", "fieldManager=m");
        assertThat(noKey.code()).isEqualTo(400);
        assertThat(noKey.json().path("message").asText()).contains("omits key field \"name\"");
        assertThat(cluster.apply(CONFIGMAPS + "/bad", "- 1\n", "fieldManager=m").code()).isEqualTo(400);
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void dryRunAppliesNothing() {
        long before = cluster.revision();
        KubeClient.Response r = cluster.apply(CONFIGMAPS + "/dry", configMap("dry", "{a: '1'}"), "fieldManager=m&dryRun=All");
        assertThat(r.code()).as(r.text()).isEqualTo(201);
        assertThat(managers(r.json())).containsExactly("m/Apply");
        assertThat(cluster.client.get(CONFIGMAPS + "/dry").code()).isEqualTo(404);
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void everyWriteRecordsItsManager() {
        JsonNode created = cluster.create(CONFIGMAPS + "?fieldManager=kubectl-create", TestCluster.yaml(configMap("writes", "{a: '1'}")));
        assertThat(managers(created)).containsExactly("kubectl-create/Update");
        assertThat(fieldsOf(created, "kubectl-create")).isEqualTo(TestCluster.yaml("{f:data: {.: {}, f:a: {}}}"));

        // no fieldManager: the User-Agent's product name, as Kubernetes derives it
        KubeClient.Response merge = cluster.send("PATCH", CONFIGMAPS + "/writes", "{\"data\":{\"b\":\"2\"}}", "application/merge-patch+json");
        // Update entries sort by time, then manager: within one second the order is by name
        assertThat(managers(merge.json())).containsExactlyInAnyOrder("kubectl-create/Update", "Java-http-client/Update");

        JsonNode current = merge.json().deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) current.path("data")).put("a", "11");
        KubeClient.Response put = cluster.send("PUT", CONFIGMAPS + "/writes?fieldManager=kubectl-edit", current.toString(), "application/json");
        assertThat(put.code()).as(put.text()).isEqualTo(200);
        assertThat(managers(put.json())).containsExactlyInAnyOrder("kubectl-create/Update", "Java-http-client/Update", "kubectl-edit/Update");
        assertThat(fieldsOf(put.json(), "kubectl-edit")).isEqualTo(TestCluster.yaml("{f:data: {f:a: {}}}"));
        // kubectl-create kept only the data map itself
        assertThat(fieldsOf(put.json(), "kubectl-create")).isEqualTo(TestCluster.yaml("{f:data: {}}"));

        // a write that changes nothing changes no ownership
        long before = cluster.revision();
        cluster.send("PATCH", CONFIGMAPS + "/writes?fieldManager=noop", "{\"data\":{\"b\":\"2\"}}", "application/merge-patch+json");
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void statusWritesAreTheirOwnEntry() {
        cluster.create(PODS + "?fieldManager=creator", TestCluster.pod("ssa", "status"));
        KubeClient.Response r = cluster.send("PATCH", PODS + "/status/status?fieldManager=kubelet",
                "{\"status\":{\"phase\":\"Running\"}}", "application/merge-patch+json");
        assertThat(r.code()).as(r.text()).isEqualTo(200);
        assertThat(managers(r.json())).containsExactly("creator/Update", "kubelet/Update/status");
        assertThat(fieldsOf(r.json(), "kubelet")).isEqualTo(TestCluster.yaml("{f:status: {f:phase: {}}}"));
        // the creator does not own what the server filled in at creation (status.phase Pending)
        assertThat(fieldsOf(r.json(), "creator").has("f:status")).isFalse();
    }

    @Test
    void managedFieldsCanBeRewrittenOrReset() {
        cluster.create(CONFIGMAPS + "?fieldManager=first", TestCluster.yaml(configMap("reset", "{a: '1'}")));
        KubeClient.Response reset = cluster.send("PATCH", CONFIGMAPS + "/reset?fieldManager=x",
                "{\"metadata\":{\"managedFields\":[{}]}}", "application/merge-patch+json");
        assertThat(reset.code()).as(reset.text()).isEqualTo(200);
        assertThat(reset.json().path("metadata").has("managedFields")).isFalse();

        // kubectl's client-side to server-side migration rewrites the list with a JSON patch
        String entry = "{\"manager\":\"kubectl\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
                + "\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}}";
        KubeClient.Response rewritten = cluster.send("PATCH", CONFIGMAPS + "/reset?fieldManager=kubectl",
                "[{\"op\":\"add\",\"path\":\"/metadata/managedFields\",\"value\":[" + entry + "]}]", "application/json-patch+json");
        assertThat(rewritten.code()).as(rewritten.text()).isEqualTo(200);
        assertThat(managers(rewritten.json())).containsExactly("kubectl/Apply");

        // entries that do not decode are ignored and the live ones kept, as Kubernetes does
        KubeClient.Response broken = cluster.send("PATCH", CONFIGMAPS + "/reset",
                "{\"metadata\":{\"managedFields\":[{\"manager\":\"x\",\"operation\":\"Delete\"}]},\"data\":{\"z\":\"1\"}}",
                "application/merge-patch+json");
        assertThat(broken.code()).as(broken.text()).isEqualTo(200);
        assertThat(managers(broken.json())).containsExactly("kubectl/Apply", "Java-http-client/Update");
    }
}
