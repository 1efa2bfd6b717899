package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Lists: selectors, paging with continue tokens, resourceVersion semantics and cluster-wide lists. */
class ListTest {
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("sel");
        // a small labelled population for the selector tests
        pod("sel", "a", "{app: web, tier: front}", "node-1", null);
        pod("sel", "b", "{app: web, tier: back}", "node-2", null);
        pod("sel", "c", "{app: db}", null, null);
        pod("sel", "d", "{}", null, null);
    }

    static JsonNode pod(String ns, String name, String labels, String node, String phase) {
        ObjectNode p = TestCluster.pod(ns, name);
        p.withObject("/metadata").set("labels", TestCluster.yaml(labels));
        if (node != null) p.withObject("/spec").put("nodeName", node);
        return cluster.create("/api/v1/namespaces/" + ns + "/pods", p);
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static List<String> names(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.path("items").forEach(i -> out.add(i.path("metadata").path("name").asText()));
        return out;
    }

    static List<String> labelled(String selector) {
        return names(cluster.get("/api/v1/namespaces/sel/pods?labelSelector=" + q(selector)));
    }

    static List<String> fielded(String selector) {
        return names(cluster.get("/api/v1/namespaces/sel/pods?fieldSelector=" + q(selector)));
    }

    @Test
    void labelSelectors() {
        assertThat(labelled("app=web")).containsExactly("a", "b");
        assertThat(labelled("app==web")).containsExactly("a", "b");
        assertThat(labelled("app!=web")).containsExactly("c", "d");
        assertThat(labelled("app in (web,db)")).containsExactly("a", "b", "c");
        assertThat(labelled("app notin (web)")).containsExactly("c", "d");
        assertThat(labelled("tier")).containsExactly("a", "b");
        assertThat(labelled("!tier")).containsExactly("c", "d");
        assertThat(labelled("app=web,tier=back")).containsExactly("b");
    }

    @Test
    void badLabelSelectorIsBadRequest() {
        KubeClient.Response r = cluster.client.get("/api/v1/namespaces/sel/pods?labelSelector=" + q("app in web"));
        assertThat(r.code()).isEqualTo(400);
        assertThat(r.json().path("kind").asText()).isEqualTo("Status");
    }

    @Test
    void fieldSelectors() {
        assertThat(fielded("metadata.name=c")).containsExactly("c");
        assertThat(fielded("metadata.name!=c")).containsExactly("a", "b", "d");
        assertThat(fielded("metadata.namespace=sel")).containsExactly("a", "b", "c", "d");
        assertThat(fielded("metadata.namespace=other")).isEmpty();
        assertThat(fielded("spec.nodeName=node-2")).containsExactly("b");
        assertThat(fielded("spec.nodeName=")).containsExactly("c", "d");
        assertThat(fielded("status.phase=Pending")).containsExactly("a", "b", "c", "d");
        assertThat(fielded("status.phase!=Pending")).isEmpty();
        assertThat(fielded("spec.nodeName=node-1,metadata.name=a")).containsExactly("a");
    }

    @Test
    void unsupportedFieldIsBadRequest() {
        KubeClient.Response r = cluster.client.get("/api/v1/namespaces/sel/pods?fieldSelector=" + q("spec.hostname=x"));
        assertThat(r.code()).isEqualTo(400);
        assertThat(r.json().path("reason").asText()).isEqualTo("BadRequest");
        assertThat(r.json().path("message").asText()).contains("field label not supported: spec.hostname");
    }

    @Test
    void pagingIsAConsistentSnapshot() {
        cluster.newNamespace("paging");
        for (int i = 0; i < 25; i++) {
            cluster.create("/api/v1/namespaces/paging/configmaps",
                    TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: cm-%02d}}".formatted(i)));
        }
        JsonNode first = cluster.get("/api/v1/namespaces/paging/configmaps?limit=10");
        assertThat(names(first)).hasSize(10).first().isEqualTo("cm-00");
        assertThat(first.path("metadata").path("remainingItemCount").asLong()).isEqualTo(15);
        String rv = first.path("metadata").path("resourceVersion").asText();
        String token = first.path("metadata").path("continue").asText();
        assertThat(token).isNotEmpty();

        // written between pages: neither shows up, and the deleted one still does
        cluster.create("/api/v1/namespaces/paging/configmaps",
                TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: cm-50}}"));
        assertThat(cluster.client.delete("/api/v1/namespaces/paging/configmaps/cm-15").code()).isEqualTo(200);

        List<String> all = new ArrayList<>(names(first));
        while (!token.isEmpty()) {
            JsonNode page = cluster.get("/api/v1/namespaces/paging/configmaps?limit=10&continue=" + q(token));
            assertThat(page.path("metadata").path("resourceVersion").asText()).isEqualTo(rv);
            all.addAll(names(page));
            token = page.path("metadata").path("continue").asText("");
            if (token.isEmpty()) assertThat(page.path("metadata").has("remainingItemCount")).isFalse();
        }
        assertThat(all).hasSize(25).doesNotContain("cm-50").contains("cm-15").doesNotHaveDuplicates();
        assertThat(all).isSorted();
    }

    @Test
    void pagingWithSelectorFillsPages() {
        cluster.newNamespace("paging-sel");
        for (int i = 0; i < 12; i++) {
            ObjectNode cm = TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: cm-%02d}}".formatted(i));
            cm.withObject("/metadata/labels").put("even", Boolean.toString(i % 2 == 0));
            cluster.create("/api/v1/namespaces/paging-sel/configmaps", cm);
        }
        List<String> all = new ArrayList<>();
        String token = "";
        do {
            JsonNode page = cluster.get("/api/v1/namespaces/paging-sel/configmaps?limit=2&labelSelector=even%3Dtrue"
                    + (token.isEmpty() ? "" : "&continue=" + q(token)));
            assertThat(page.path("items").size()).isLessThanOrEqualTo(2);
            all.addAll(names(page));
            token = page.path("metadata").path("continue").asText("");
        } while (!token.isEmpty());
        assertThat(all).containsExactly("cm-00", "cm-02", "cm-04", "cm-06", "cm-08", "cm-10");
    }

    @Test
    void continueAfterCompactionIsExpired() {
        cluster.newNamespace("expire");
        for (int i = 0; i < 5; i++) {
            cluster.create("/api/v1/namespaces/expire/configmaps",
                    TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: cm-%d}}".formatted(i)));
        }
        JsonNode first = cluster.get("/api/v1/namespaces/expire/configmaps?limit=2");
        String token = first.path("metadata").path("continue").asText();
        cluster.create("/api/v1/namespaces/expire/configmaps",
                TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: later}}"));
        cluster.server.store().compact(cluster.revision());
        KubeClient.Response r = cluster.client.get("/api/v1/namespaces/expire/configmaps?limit=2&continue=" + q(token));
        assertThat(r.code()).isEqualTo(410);
        assertThat(r.json().path("reason").asText()).isEqualTo("Expired");
        assertThat(r.json().path("message").asText()).contains("continue parameter is too old");
    }

    @Test
    void malformedContinueIsBadRequest() {
        for (String token : List.of("not-base64!!", "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ", "e30")) {
            KubeClient.Response r = cluster.client.get("/api/v1/namespaces/sel/pods?limit=1&continue=" + q(token));
            assertThat(r.code()).as(token).isEqualTo(400);
            assertThat(r.json().path("reason").asText()).isEqualTo("BadRequest");
        }
    }

    @Test
    void exactResourceVersionReadsThePast() {
        cluster.newNamespace("history");
        cluster.create("/api/v1/namespaces/history/configmaps",
                TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: old}}"));
        String rv = cluster.get("/api/v1/namespaces/history/configmaps").path("metadata").path("resourceVersion").asText();
        cluster.create("/api/v1/namespaces/history/configmaps",
                TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: young}}"));

        JsonNode past = cluster.get("/api/v1/namespaces/history/configmaps?resourceVersion=" + rv + "&resourceVersionMatch=Exact");
        assertThat(names(past)).containsExactly("old");
        assertThat(past.path("metadata").path("resourceVersion").asText()).isEqualTo(rv);
        JsonNode now = cluster.get("/api/v1/namespaces/history/configmaps?resourceVersion=" + rv + "&resourceVersionMatch=NotOlderThan");
        assertThat(names(now)).containsExactly("old", "young");
        assertThat(names(cluster.get("/api/v1/namespaces/history/configmaps?resourceVersion=0"))).containsExactly("old", "young");
    }

    @Test
    void badResourceVersionParametersAreBadRequests() {
        assertThat(cluster.client.get("/api/v1/pods?resourceVersionMatch=Exact").code()).isEqualTo(400);
        assertThat(cluster.client.get("/api/v1/pods?resourceVersion=1&resourceVersionMatch=Sometimes").code()).isEqualTo(400);
        assertThat(cluster.client.get("/api/v1/pods?resourceVersion=abc").code()).isEqualTo(400);
    }

    @Test
    void exactResourceVersionAfterCompactionIsExpired() {
        long old = cluster.revision();
        cluster.create("/api/v1/namespaces/sel/configmaps", TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: bump}}"));
        cluster.server.store().compact(cluster.revision());
        KubeClient.Response r = cluster.client.get("/api/v1/pods?resourceVersion=" + (old - 1) + "&resourceVersionMatch=Exact");
        assertThat(r.code()).isEqualTo(410);
        assertThat(r.json().path("reason").asText()).isEqualTo("Expired");
    }

    @Test
    void clusterWideListOfNamespacedResource() {
        cluster.newNamespace("other");
        pod("other", "x", "{app: web}", null, null);
        JsonNode all = cluster.get("/api/v1/pods?labelSelector=app%3Dweb");
        assertThat(all.path("kind").asText()).isEqualTo("PodList");
        List<String> ns = new ArrayList<>();
        all.path("items").forEach(i -> ns.add(i.path("metadata").path("namespace").asText() + "/" + i.path("metadata").path("name").asText()));
        assertThat(ns).contains("sel/a", "sel/b", "other/x");
        assertThat(names(cluster.get("/api/v1/pods?fieldSelector=metadata.namespace%3Dother"))).containsExactly("x");
    }

    @Test
    void unfilteredJsonListsEqualTheDecodedPath() {
        String ns = cluster.newNamespace("fastlist");
        for (int i = 0; i < 5; i++) cluster.create("/api/v1/namespaces/" + ns + "/pods", TestCluster.pod(ns, "p" + i));
        // no selector: the stored bytes are spliced; a selector that matches everything goes through decoded trees
        com.fasterxml.jackson.databind.JsonNode fast = cluster.get("/api/v1/namespaces/" + ns + "/pods");
        com.fasterxml.jackson.databind.JsonNode decoded = cluster.get("/api/v1/namespaces/" + ns + "/pods?fieldSelector=metadata.namespace%3D" + ns);
        assertThat(fast.path("items")).hasSize(5);
        assertThat(fast).isEqualTo(decoded);
        com.fasterxml.jackson.databind.JsonNode page = cluster.get("/api/v1/namespaces/" + ns + "/pods?limit=2");
        assertThat(page.path("items")).hasSize(2);
        assertThat(page.path("metadata").path("remainingItemCount").asInt()).isEqualTo(3);
        assertThat(page.path("items").get(0)).isEqualTo(fast.path("items").get(0));
    }
}
