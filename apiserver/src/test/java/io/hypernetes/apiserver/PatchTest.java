package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.client.KubeClient;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** PATCH over HTTP in the three patch types Kubernetes serves, and how bad patches fail without writing. */
class PatchTest {
    static final String JSON_PATCH = "application/json-patch+json";
    static final String MERGE = "application/merge-patch+json";
    static final String STRATEGIC = "application/strategic-merge-patch+json";
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("patch");
    }

    static JsonNode twoContainerPod(String name) {
        return cluster.create("/api/v1/namespaces/patch/pods", TestCluster.yaml("""
                apiVersion: v1
                kind: Pod
                metadata: {name: %s, labels: {app: web, tier: front}}
                spec:
                  containers:
                  - {name: web, image: nginx:1.25}
                  - {name: sidecar, image: busybox:1.36}
                """.formatted(name)));
    }

    static KubeClient.Response patch(String name, String type, String body) {
        return cluster.send("PATCH", "/api/v1/namespaces/patch/pods/" + name, body, type);
    }

    static List<String> images(JsonNode pod) {
        List<String> out = new ArrayList<>();
        pod.path("spec").path("containers").forEach(c -> out.add(c.path("name").asText() + "=" + c.path("image").asText()));
        return out;
    }

    @Test
    void jsonPatch() {
        twoContainerPod("jp");
        KubeClient.Response r = patch("jp", JSON_PATCH, """
                [{"op":"test","path":"/metadata/labels/app","value":"web"},
                 {"op":"replace","path":"/spec/containers/1/image","value":"busybox:1.37"},
                 {"op":"add","path":"/metadata/labels/new","value":"yes"},
                 {"op":"remove","path":"/metadata/labels/tier"}]""");
        assertThat(r.code()).isEqualTo(200);
        assertThat(images(r.json())).containsExactly("web=nginx:1.25", "sidecar=busybox:1.37");
        assertThat(r.json().path("metadata").path("labels").properties()).extracting(e -> e.getKey()).containsExactlyInAnyOrder("app", "new");
        assertThat(r.json().path("metadata").path("generation").asLong()).isEqualTo(2);
    }

    @Test
    void mergePatchReplacesListsAndNullDeletes() {
        twoContainerPod("mp");
        KubeClient.Response r = patch("mp", MERGE, "{\"metadata\":{\"labels\":{\"tier\":null,\"x\":\"1\"}}}");
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.json().path("metadata").path("labels").has("tier")).isFalse();
        assertThat(r.json().path("metadata").path("labels").path("x").asText()).isEqualTo("1");
        assertThat(images(r.json())).hasSize(2);
    }

    @Test
    void strategicMergeMergesContainersByName() {
        twoContainerPod("smp");
        KubeClient.Response r = patch("smp", STRATEGIC, "{\"spec\":{\"containers\":[{\"name\":\"sidecar\",\"image\":\"busybox:1.37\"}]}}");
        assertThat(r.code()).isEqualTo(200);
        assertThat(images(r.json())).containsExactly("web=nginx:1.25", "sidecar=busybox:1.37");
    }

    @Test
    void strategicMergeSetElementOrderDeleteAndNull() {
        // pod spec updates are mostly forbidden, so the list mechanics are exercised on status.conditions
        // (merge key "type") through the status subresource, and the null deletion on labels
        twoContainerPod("smp-order");
        KubeClient.Response seeded = cluster.send("PATCH", "/api/v1/namespaces/patch/pods/smp-order/status", """
                {"status":{"conditions":[{"type":"A","status":"True"},{"type":"B","status":"True"},{"type":"C","status":"False"}]}}""",
                STRATEGIC);
        assertThat(seeded.code()).as(seeded.text()).isEqualTo(200);
        KubeClient.Response r = cluster.send("PATCH", "/api/v1/namespaces/patch/pods/smp-order/status", """
                {"status":{"$setElementOrder/conditions":[{"type":"C"},{"type":"B"}],
                           "conditions":[{"type":"A","$patch":"delete"},{"type":"B","status":"False"}]}}""", STRATEGIC);
        assertThat(r.code()).as(r.text()).isEqualTo(200);
        List<String> conditions = new ArrayList<>();
        r.json().path("status").path("conditions").forEach(c -> conditions.add(c.path("type").asText() + "=" + c.path("status").asText()));
        assertThat(conditions).containsExactly("C=False", "B=False");

        KubeClient.Response labels = patch("smp-order", STRATEGIC, "{\"metadata\":{\"labels\":{\"tier\":null}}}");
        assertThat(labels.code()).isEqualTo(200);
        assertThat(labels.json().path("metadata").path("labels").has("tier")).isFalse();
        assertThat(labels.json().path("metadata").path("labels").path("app").asText()).isEqualTo("web");
    }

    @Test
    void staleResourceVersionInPatchIsConflict() {
        JsonNode pod = twoContainerPod("stale-patch");
        String old = pod.path("metadata").path("resourceVersion").asText();
        assertThat(patch("stale-patch", MERGE, "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}").code()).isEqualTo(200);
        long before = cluster.revision();
        KubeClient.Response r = patch("stale-patch", MERGE, "{\"metadata\":{\"resourceVersion\":\"" + old + "\",\"labels\":{\"a\":\"2\"}}}");
        assertThat(r.code()).isEqualTo(409);
        assertThat(r.json().path("reason").asText()).isEqualTo("Conflict");
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void patchThatDoesNotApplyIsUnprocessable() {
        twoContainerPod("no-apply");
        long before = cluster.revision();
        KubeClient.Response test = patch("no-apply", JSON_PATCH, "[{\"op\":\"test\",\"path\":\"/metadata/labels/app\",\"value\":\"db\"}]");
        assertThat(test.code()).isEqualTo(422);
        assertThat(test.json().path("kind").asText()).isEqualTo("Status");
        KubeClient.Response missing = patch("no-apply", JSON_PATCH, "[{\"op\":\"remove\",\"path\":\"/metadata/annotations/nope\"}]");
        assertThat(missing.code()).isEqualTo(422);
        // an operation Kubernetes' patch library does not know fails when applied, so it is 422 as well
        assertThat(patch("no-apply", JSON_PATCH, "[{\"op\":\"frobnicate\",\"path\":\"/x\"}]").code()).isEqualTo(422);
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void malformedPatchIsBadRequest() {
        twoContainerPod("malformed");
        long before = cluster.revision();
        assertThat(patch("malformed", MERGE, "{\"metadata\":").code()).isEqualTo(400);
        assertThat(patch("malformed", JSON_PATCH, "{\"op\":\"add\"}").code()).isEqualTo(400);
        assertThat(patch("malformed", STRATEGIC, "[1,2]").code()).isEqualTo(400);
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void patchThatBreaksValidationIsInvalid() {
        twoContainerPod("invalid");
        KubeClient.Response r = patch("invalid", JSON_PATCH, "[{\"op\":\"replace\",\"path\":\"/spec/containers/0/image\",\"value\":\"\"}]");
        assertThat(r.code()).isEqualTo(422);
        assertThat(r.json().path("reason").asText()).isEqualTo("Invalid");
    }

    @Test
    void patchOfMissingObjectIsNotFound() {
        assertThat(patch("nobody", MERGE, "{}").code()).isEqualTo(404);
    }

    @Test
    void unsupportedPatchTypeIsUnsupportedMediaType() {
        twoContainerPod("media");
        KubeClient.Response r = patch("media", "application/json", "{}");
        assertThat(r.code()).isEqualTo(415);
        assertThat(r.json().path("reason").asText()).isEqualTo("UnsupportedMediaType");
        assertThat(patch("media", "text/plain", "{}").code()).isEqualTo(415);
    }
}
