package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.client.KubeClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Repeated keys in request bodies follow fieldValidation, worded as Kubernetes' strict decoder words them. */
class DuplicateKeysTest {
    static final String CMS = "/api/v1/namespaces/dup/configmaps";
    static final String PODS = "/api/v1/namespaces/dup/pods";
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("dup");
    }

    static KubeClient.Response send(String method, String path, String body, String contentType) {
        return cluster.send(method, path, body.getBytes(StandardCharsets.UTF_8), contentType, "application/json");
    }

    /** The Warning header texts, unquoted. */
    static List<String> warnings(KubeClient.Response r) {
        return r.headers().allValues("Warning").stream()
                .map(w -> w.substring("299 - \"".length(), w.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\"))
                .toList();
    }

    static String pod(String name) {
        return """
                {"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": "dupename", "name": "%s", "unknownMeta": "x"},
                 "spec": {"unknown1": 1, "unknownDupe": 1, "unknownDupe": 2, "restartPolicy": "Never", "restartPolicy": "Always",
                   "containers": [{"name": "c", "image": "nginx", "bogus": 1, "imagePullPolicy": "Never", "imagePullPolicy": "Always"}]}}
                """.formatted(name);
    }

    @Test
    void strictRefusesWithEveryFindingInDocumentOrder() {
        long before = cluster.revision();
        KubeClient.Response r = send("POST", PODS + "?fieldValidation=Strict", pod("strict"), "application/json");
        assertThat(r.code()).as(r.text()).isEqualTo(400);
        assertThat(r.json().path("reason").asText()).isEqualTo("BadRequest");
        assertThat(r.json().path("message").asText()).isEqualTo("strict decoding error: duplicate field \"metadata.name\", "
                + "unknown field \"metadata.unknownMeta\", unknown field \"spec.unknown1\", unknown field \"spec.unknownDupe\", "
                + "duplicate field \"spec.restartPolicy\", unknown field \"spec.containers[0].bogus\", "
                + "duplicate field \"spec.containers[0].imagePullPolicy\"");
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void warnKeepsTheLastValueAndWarnsOncePerFinding() {
        for (String query : List.of("?fieldValidation=Warn", "")) {
            String name = "warn" + query.length();
            KubeClient.Response r = send("POST", PODS + query, pod(name), "application/json");
            assertThat(r.code()).as(r.text()).isEqualTo(201);
            assertThat(warnings(r)).containsExactly("duplicate field \"metadata.name\"", "unknown field \"metadata.unknownMeta\"",
                    "unknown field \"spec.unknown1\"", "unknown field \"spec.unknownDupe\"", "duplicate field \"spec.restartPolicy\"",
                    "unknown field \"spec.containers[0].bogus\"", "duplicate field \"spec.containers[0].imagePullPolicy\"");
            JsonNode pod = r.json();
            assertThat(pod.at("/metadata/name").asText()).isEqualTo(name);
            assertThat(pod.at("/spec/restartPolicy").asText()).isEqualTo("Always");
            assertThat(pod.at("/spec/containers/0/imagePullPolicy").asText()).isEqualTo("Always");
        }
    }

    @Test
    void ignoreKeepsTheLastValueSilently() {
        KubeClient.Response r = send("POST", PODS + "?fieldValidation=Ignore", pod("ignore"), "application/json");
        assertThat(r.code()).as(r.text()).isEqualTo(201);
        assertThat(r.headers().allValues("Warning")).isEmpty();
        assertThat(r.json().at("/metadata/name").asText()).isEqualTo("ignore");
        assertThat(r.json().at("/spec/restartPolicy").asText()).isEqualTo("Always");
    }

    @Test
    void mapKeysAreFieldsToo() {
        String cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"m\",\"labels\":{\"a\":\"1\",\"a\":\"2\"}},"
                + "\"data\":{\"k\":\"1\",\"k\":\"2\"}}";
        KubeClient.Response strict = send("POST", CMS + "?fieldValidation=Strict", cm, "application/json");
        assertThat(strict.json().path("message").asText())
                .isEqualTo("strict decoding error: duplicate field \"metadata.labels.a\", duplicate field \"data.k\"");
        KubeClient.Response warn = send("POST", CMS, cm, "application/json");
        assertThat(warn.code()).isEqualTo(201);
        assertThat(warn.json().at("/data/k").asText()).isEqualTo("2");
        assertThat(warn.json().at("/metadata/labels/a").asText()).isEqualTo("2");
    }

    static final String YAML_POD = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: dupename
              name: %s
              unknownMeta: x
            spec:
              restartPolicy: Never
              restartPolicy: Always
              containers:
              - name: c
                image: nginx
                imagePullPolicy: Never
                imagePullPolicy: Always
            """;

    @Test
    void yamlDuplicatesAreNamedByLineAsKubernetesYamlDecoderDoes() {
        KubeClient.Response strict = send("POST", PODS + "?fieldValidation=Strict", YAML_POD.formatted("ystrict"), "application/yaml");
        assertThat(strict.code()).isEqualTo(400);
        assertThat(strict.json().path("message").asText()).isEqualTo("strict decoding error: yaml: unmarshal errors:\n"
                + "  line 5: key \"name\" already set in map\n"
                + "  line 9: key \"restartPolicy\" already set in map\n"
                + "  line 14: key \"imagePullPolicy\" already set in map, unknown field \"metadata.unknownMeta\"");

        KubeClient.Response warn = send("POST", PODS + "?fieldValidation=Warn", YAML_POD.formatted("ywarn"), "application/yaml");
        assertThat(warn.code()).as(warn.text()).isEqualTo(201);
        assertThat(warnings(warn)).containsExactly("line 5: key \"name\" already set in map",
                "line 9: key \"restartPolicy\" already set in map", "line 14: key \"imagePullPolicy\" already set in map",
                "unknown field \"metadata.unknownMeta\"");
        assertThat(warn.json().at("/metadata/name").asText()).isEqualTo("ywarn");

        KubeClient.Response ignore = send("POST", PODS + "?fieldValidation=Ignore", YAML_POD.formatted("yignore"), "application/yaml");
        assertThat(ignore.code()).isEqualTo(201);
        assertThat(ignore.headers().allValues("Warning")).isEmpty();
    }

    @Test
    void updateBodiesAreCheckedAlike() {
        cluster.create(CMS, TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: u}, data: {k: v}}"));
        String body = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"u\"},\"data\":{\"k\":\"a\",\"k\":\"b\"}}";
        KubeClient.Response strict = send("PUT", CMS + "/u?fieldValidation=Strict", body, "application/json");
        assertThat(strict.code()).isEqualTo(400);
        assertThat(strict.json().path("message").asText()).isEqualTo("strict decoding error: duplicate field \"data.k\"");
        KubeClient.Response warn = send("PUT", CMS + "/u", body, "application/json");
        assertThat(warn.code()).isEqualTo(200);
        assertThat(warnings(warn)).containsExactly("duplicate field \"data.k\"");
        assertThat(warn.json().at("/data/k").asText()).isEqualTo("b");
    }

    @Test
    void patchBodiesAreDecodedStrictly() {
        cluster.create(CMS, TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: p}, data: {k: v}}"));
        for (String type : List.of("application/merge-patch+json", "application/strategic-merge-patch+json")) {
            long before = cluster.revision();
            KubeClient.Response strict = send("PATCH", CMS + "/p?fieldValidation=Strict",
                    "{\"data\":{\"k\":\"a\",\"k\":\"b\"},\"bogus\":1}", type);
            assertThat(strict.code()).as(type).isEqualTo(400);
            assertThat(strict.json().path("message").asText()).as(type)
                    .isEqualTo("strict decoding error: duplicate field \"data.k\", unknown field \"bogus\"");
            assertThat(cluster.revision()).isEqualTo(before);

            KubeClient.Response warn = send("PATCH", CMS + "/p", "{\"data\":{\"k\":\"a\",\"k\":\"" + type.length() + "\"}}", type);
            assertThat(warn.code()).as(type).isEqualTo(200);
            assertThat(warnings(warn)).containsExactly("duplicate field \"data.k\"");
            assertThat(warn.json().at("/data/k").asText()).isEqualTo(Integer.toString(type.length()));

            KubeClient.Response ignore = send("PATCH", CMS + "/p?fieldValidation=Ignore", "{\"data\":{\"k\":\"x\",\"k\":\"y\"}}", type);
            assertThat(ignore.code()).isEqualTo(200);
            assertThat(ignore.headers().allValues("Warning")).isEmpty();
            assertThat(ignore.json().at("/data/k").asText()).isEqualTo("y");
        }
    }

    @Test
    void aJsonPatchNamesItsOwnFindingsAsSuch() {
        cluster.create(CMS, TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: jp}, data: {k: v}}"));
        String ops = "[{\"op\":\"replace\",\"path\":\"/data/k\",\"path\":\"/data/j\",\"value\":\"z\"}]";
        KubeClient.Response strict = send("PATCH", CMS + "/jp?fieldValidation=Strict", ops, "application/json-patch+json");
        assertThat(strict.code()).isEqualTo(400);
        assertThat(strict.json().path("message").asText()).isEqualTo("strict decoding error: json patch duplicate field \"[0].path\"");
        KubeClient.Response warn = send("PATCH", CMS + "/jp", "[{\"op\":\"add\",\"path\":\"/data/k\",\"path\":\"/data/j\",\"value\":\"z\"}]",
                "application/json-patch+json");
        assertThat(warn.code()).as(warn.text()).isEqualTo(200);
        assertThat(warnings(warn)).containsExactly("json patch duplicate field \"[0].path\"");
        assertThat(warn.json().at("/data/j").asText()).isEqualTo("z");
    }

    @Test
    void applyBodiesAreDecodedStrictlyAsYaml() {
        String config = """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: ap
                data:
                  k: a
                  k: b
                """;
        KubeClient.Response strict = cluster.apply(CMS + "/ap", config, "fieldManager=m&fieldValidation=Strict");
        assertThat(strict.code()).isEqualTo(400);
        assertThat(strict.json().path("message").asText()).isEqualTo("error strict decoding YAML: error converting YAML to JSON: "
                + "yaml: unmarshal errors:\n  line 7: key \"k\" already set in map");
        KubeClient.Response warn = cluster.apply(CMS + "/ap", config, "fieldManager=m");
        assertThat(warn.code()).as(warn.text()).isEqualTo(201);
        assertThat(warnings(warn)).containsExactly("line 7: key \"k\" already set in map");
        assertThat(warn.json().at("/data/k").asText()).isEqualTo("b");
    }
}
