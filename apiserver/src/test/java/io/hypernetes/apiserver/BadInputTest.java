package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.client.KubeClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Bad input of every kind gets a 4xx Status naming the problem and writes nothing; so do strangers. */
class BadInputTest {
    static final String PODS = "/api/v1/namespaces/bad/pods";
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("bad");
    }

    /** Posts {@code body}, expects {@code code} with a Status whose message contains {@code words}, and no write. */
    static JsonNode refused(String path, String body, String contentType, int code, String words) {
        return refused("POST", path, body.getBytes(StandardCharsets.UTF_8), contentType, code, words);
    }

    static JsonNode refused(String method, String path, byte[] body, String contentType, int code, String words) {
        long before = cluster.revision();
        KubeClient.Response r = cluster.send(method, path, body, contentType, "application/json");
        assertThat(r.code()).as(r.text()).isEqualTo(code);
        JsonNode s = r.json();
        assertThat(s.path("kind").asText()).isEqualTo("Status");
        assertThat(s.path("status").asText()).isEqualTo("Failure");
        assertThat(s.path("code").asInt()).isEqualTo(code);
        assertThat(s.path("message").asText()).containsIgnoringCase(words);
        assertThat(cluster.revision()).isEqualTo(before);
        return s;
    }

    @Test
    void malformedJson() {
        refused(PODS, "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",", "application/json", 400, "not valid JSON");
        refused(PODS, "{\"apiVersion\": \"v1\"} trailing", "application/json", 400, "not valid JSON");
    }

    @Test
    void malformedYaml() {
        refused(PODS, "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n", "application/yaml", 400, "not valid YAML");
    }

    @Test
    void yamlBodyIsAccepted() {
        KubeClient.Response r = cluster.send("POST", PODS,
                "apiVersion: v1\nkind: Pod\nmetadata: {name: from-yaml}\nspec:\n  containers: [{name: c, image: busybox}]\n",
                "application/yaml");
        assertThat(r.code()).isEqualTo(201);
    }

    @Test
    void malformedProtobufAndUnknownMediaTypes() {
        refused("POST", PODS, new byte[] {0x6b, 0x38, 0x73, 0x00}, "application/vnd.kubernetes.protobuf", 400, "protobuf");
        refused("POST", PODS, new byte[] {1, 2, 3}, "application/vnd.kubernetes.protobuf", 400, "protobuf");
        refused(PODS, "<pod/>", "application/xml", 415, "unknown format");
    }

    @Test
    void arraysAndScalarsAreNotObjects() {
        refused(PODS, "[{\"kind\": \"Pod\"}]", "application/json", 400, "must be a JSON or YAML object");
        refused(PODS, "42", "application/json", 400, "must be a JSON or YAML object");
        refused(PODS, "\"pod\"", "application/json", 400, "must be a JSON or YAML object");
        refused(PODS, "null", "application/json", 400, "object");
        refused(PODS, "", "application/json", 400, "empty");
    }

    @Test
    void missingOrWrongKindAndApiVersion() {
        refused(PODS, "{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\"}}", "application/json", 400, "'Kind' is missing");
        refused(PODS, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"}}", "application/json", 400, "'apiVersion' is missing");
        refused(PODS, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"}}", "application/json", 400,
                "does not match the expected API version");
        refused(PODS, "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\"}}", "application/json", 400,
                "does not match the expected kind");
        refused(PODS, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":\"x\"}", "application/json", 400, "metadata");
    }

    @Test
    void invalidNames() {
        String upper = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"Upper\"}}";
        JsonNode s = refused("/api/v1/namespaces/bad/configmaps", upper, "application/json", 422, "Upper");
        assertThat(s.path("reason").asText()).isEqualTo("Invalid");
        assertThat(s.path("details").path("causes").get(0).path("field").asText()).isEqualTo("metadata.name");

        String tooLong = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + "a".repeat(254)
                + "\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}";
        refused(PODS, tooLong, "application/json", 422, "metadata.name");

        String dots = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"..\"}}";
        refused("/api/v1/namespaces/bad/configmaps", dots, "application/json", 422, "metadata.name");
        String slash = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a/b\"}}";
        refused("/api/v1/namespaces/bad/configmaps", slash, "application/json", 422, "metadata.name");
    }

    @Test
    void pathTricksAreRefused() {
        for (String path : List.of("/api/v1/namespaces/bad/configmaps/..", "/api/v1/namespaces/../configmaps/x",
                "/api/v1/namespaces/bad/configmaps/a%2Fb", "/api/v1/namespaces/bad/configmaps/a%2F..%2F..%2Fsecrets",
                "/api/v1/namespaces/%2E%2E/configmaps")) {
            KubeClient.Response get = cluster.client.get(path);
            assertThat(get.code()).as(path).isBetween(400, 499);
            assertThat(get.json().path("kind").asText()).isEqualTo("Status");
            long before = cluster.revision();
            KubeClient.Response put = cluster.client.put(path,
                    TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: x}}"));
            assertThat(put.code()).as(path).isBetween(400, 499);
            assertThat(cluster.revision()).isEqualTo(before);
        }
    }

    @Test
    void tooLargeBodyIs413AndTheClientCarriesOn() {
        StringBuilder b = new StringBuilder("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"big\"},\"data\":{\"k\":\"");
        b.append("x".repeat(3 * 1024 * 1024 + 10)).append("\"}}");
        long before = cluster.revision();
        KubeClient.Response r = cluster.send("POST", "/api/v1/namespaces/bad/configmaps", b.toString(), "application/json");
        assertThat(r.code()).isEqualTo(413);
        assertThat(r.json().path("reason").asText()).isEqualTo("RequestEntityTooLarge");
        assertThat(cluster.revision()).isEqualTo(before);
        assertThat(cluster.client.get("/api/v1/namespaces/bad/configmaps").code()).isEqualTo(200);
        assertThat(cluster.client.get("/api/v1/namespaces/bad/configmaps/big").code()).isEqualTo(404);
    }

    @Test
    void deepNestingIsRefused() {
        String deep = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"deep\",\"annotations\":"
                + "[".repeat(100_000) + "]".repeat(100_000) + "}}";
        refused("/api/v1/namespaces/bad/configmaps", deep, "application/json", 400, "depth");
        String deepYaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n";
        refused("POST", "/api/v1/namespaces/bad/configmaps", deepYaml.getBytes(StandardCharsets.UTF_8), "application/yaml", 400, "");
    }

    @Test
    void duplicateKeysAreRefusedUnderStrict() {
        refused("/api/v1/namespaces/bad/configmaps?fieldValidation=Strict",
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"dup\",\"name\":\"other\"}}",
                "application/json", 400, "duplicate");
    }

    @Test
    void malformedQueryParameters() {
        for (String q : List.of("limit=abc", "timeoutSeconds=soon", "resourceVersion=-3", "watch=true&timeoutSeconds=x")) {
            KubeClient.Response r = cluster.client.get("/api/v1/namespaces/bad/pods?" + q);
            assertThat(r.code()).as(q).isEqualTo(400);
            assertThat(r.json().path("reason").asText()).isEqualTo("BadRequest");
        }
    }

    @Test
    void unauthenticatedRequestsAreRefused() {
        try (KubeClient anonymous = cluster.anonymousClient()) {
            for (String open : List.of("/healthz", "/livez", "/readyz", "/version")) {
                assertThat(anonymous.get(open).code()).as(open).isEqualTo(200);
            }
            for (String closed : List.of("/api", "/api/v1", "/apis", "/metrics", "/openapi/v2", "/api/v1/pods",
                    "/api/v1/namespaces/bad/pods/x", "/api/v1/nope")) {
                KubeClient.Response r = anonymous.get(closed);
                assertThat(r.code()).as(closed).isEqualTo(401);
                assertThat(r.json().path("reason").asText()).isEqualTo("Unauthorized");
            }
            long before = cluster.revision();
            assertThat(anonymous.post(PODS, TestCluster.pod("bad", "intruder")).code()).isEqualTo(401);
            assertThat(anonymous.delete("/api/v1/namespaces/bad").code()).isEqualTo(401);
            assertThat(cluster.revision()).isEqualTo(before);
        }
    }

    @Test
    void unknownPathsAndMethods() {
        assertThat(cluster.client.get("/api/v1/widgets").code()).isEqualTo(404);
        assertThat(cluster.client.get("/api/v2/pods").code()).isEqualTo(404);
        assertThat(cluster.send("PUT", "/api/v1/namespaces/bad/pods", "{}", "application/json").code()).isEqualTo(405);
        assertThat(cluster.client.post("/api/v1/pods", TestCluster.pod("bad", "p")).code()).isEqualTo(405);
    }
}
