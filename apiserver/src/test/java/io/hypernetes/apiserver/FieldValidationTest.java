package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** fieldValidation=Strict|Warn|Ignore for fields the schema does not know. */
class FieldValidationTest {
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("fv");
    }

    static ObjectNode podWithUnknownField(String name) {
        ObjectNode p = TestCluster.pod("fv", name);
        p.withObject("/spec").put("bogusField", 1);
        return p;
    }

    @Test
    void strictRefusesUnknownFields() {
        long before = cluster.revision();
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/fv/pods?fieldValidation=Strict", podWithUnknownField("strict"));
        assertThat(r.code()).isEqualTo(400);
        assertThat(r.json().path("reason").asText()).isEqualTo("BadRequest");
        assertThat(r.json().path("message").asText()).startsWith("strict decoding error: unknown field \"spec.bogusField\"");
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void warnIsTheDefault() {
        for (String query : List.of("?fieldValidation=Warn", "")) {
            String name = "warn" + query.length();
            KubeClient.Response r = cluster.client.post("/api/v1/namespaces/fv/pods" + query, podWithUnknownField(name));
            assertThat(r.code()).isEqualTo(201);
            assertThat(r.headers().allValues("Warning")).anySatisfy(w ->
                    assertThat(w).startsWith("299 - \"").contains("unknown field \\\"spec.bogusField\\\""));
            assertThat(r.json().path("spec").has("bogusField")).isFalse();
        }
    }

    @Test
    void ignoreIsSilent() {
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/fv/pods?fieldValidation=Ignore", podWithUnknownField("ignore"));
        assertThat(r.code()).isEqualTo(201);
        assertThat(r.headers().allValues("Warning")).isEmpty();
    }

    @Test
    void strictAppliesToUpdateAndPatch() {
        cluster.create("/api/v1/namespaces/fv/pods", TestCluster.pod("fv", "later"));
        KubeClient.Response put = cluster.client.put("/api/v1/namespaces/fv/pods/later?fieldValidation=Strict", podWithUnknownField("later"));
        assertThat(put.code()).isEqualTo(400);
        KubeClient.Response patch = cluster.client.patch("/api/v1/namespaces/fv/pods/later?fieldValidation=Strict",
                "application/merge-patch+json", TestCluster.yaml("{spec: {bogusField: 1}}"));
        assertThat(patch.code()).isEqualTo(400);
        assertThat(patch.json().path("message").asText()).contains("unknown field");
    }

    @Test
    void invalidValueIsBadRequest() {
        long before = cluster.revision();
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/fv/pods?fieldValidation=Loose", TestCluster.pod("fv", "loose"));
        assertThat(r.code()).isEqualTo(400);
        assertThat(r.json().path("message").asText()).contains("fieldValidation");
        assertThat(cluster.revision()).isEqualTo(before);
    }
}
