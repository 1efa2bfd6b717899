package io.hypernetes.kubelet.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.apiserver.ApiException;
import io.hypernetes.apiserver.stream.KubeletClient;
import io.hypernetes.http.pki.ClusterPki;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who gets into a kubelet server, and whom the API server takes for a node: straight at the server over real
 * HTTPS, with the API server's own client ({@link KubeletClient}) holding different certificates.
 */
class KubeletServerAccessTest {
    static StreamingCluster cluster;
    static KubeletClient.Endpoint node;

    @BeforeAll
    static void start() {
        cluster = StreamingCluster.start();
        cluster.created("/api/v1/namespaces", StreamingCluster.yaml("{apiVersion: v1, kind: Namespace, metadata: {name: apps}}"));
        var web = cluster.sandbox(cluster.pod("apps", "web", StreamingCluster.NODE, "app=nginx:1.25"));
        cluster.container(web, "app", "nginx:1.25", 0);
        node = new KubeletClient.Endpoint(StreamingCluster.NODE, "127.0.0.1", cluster.kubelet.port());
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
    }

    private static KubeletClient as(String user, String group) {
        ClusterPki pki = cluster.api.pki();
        return new KubeletClient(pki.ca().certificate(), pki.issueClient(user, group));
    }

    @Test
    void theControlPlaneReadsLogs() throws Exception {
        try (InputStream in = as("system:kube-apiserver-kubelet-client", "system:masters").get(node, "/containerLogs/apps/web/app")) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).startsWith("hollow container app started (nginx:1.25)\n");
        }
    }

    @Test
    void aNodeOrATenantCertificateIsForbidden() {
        for (KubeletClient c : List.of(as("system:node:node-b", "system:nodes"), as("alice", null))) {
            assertThatThrownBy(() -> c.get(node, "/containerLogs/apps/web/app"))
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.code()).isEqualTo(403);
                        assertThat(e.getMessage()).contains("only the API server may");
                    });
        }
    }

    @Test
    void aCertificateOfAnotherCaIsNotLetIn() throws Exception {
        Path other = Files.createTempDirectory("other-pki");
        ClusterPki foreign = ClusterPki.loadOrCreate(other, List.of("localhost"));
        // the foreign admin is in system:masters too, but its CA is not the cluster's: the TLS handshake fails
        KubeletClient c = new KubeletClient(cluster.api.pki().ca().certificate(), foreign.admin());
        assertThatThrownBy(() -> c.get(node, "/containerLogs/apps/web/app"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(502));
    }

    @Test
    void theApiServerTakesNoOtherNodeForThePodsNode() {
        // the server at that address holds node-a's certificate, so it cannot answer for node-b
        KubeletClient.Endpoint impostor = new KubeletClient.Endpoint("node-b", "127.0.0.1", cluster.kubelet.port());
        assertThatThrownBy(() -> as("system:kube-apiserver-kubelet-client", "system:masters").get(impostor, "/containerLogs/apps/web/app"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(502));
    }

    @Test
    void unknownPathsAndBadOptionsAreKubernetesErrors() {
        KubeletClient apiserver = as("system:kube-apiserver-kubelet-client", "system:masters");
        assertThatThrownBy(() -> apiserver.get(node, "/containerLogs/apps/web/app?tailLines=x"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.getMessage()).startsWith("tailLines: Invalid value: \"x\"");
                });
        assertThatThrownBy(() -> apiserver.get(node, "/containerLogs/apps/nosuch/app"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.getMessage()).isEqualTo("container \"app\" in pod \"nosuch\" is waiting to start: ContainerCreating");
                });
        assertThatThrownBy(() -> apiserver.get(node, "/pods"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(404));
    }
}
