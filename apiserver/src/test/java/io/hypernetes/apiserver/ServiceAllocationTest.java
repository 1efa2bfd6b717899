package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Cluster IPs and node ports: allocated on create, never twice, kept on update, given back on delete. */
class ServiceAllocationTest {
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    private static ObjectNode service(String name, String type, String clusterIP, Integer nodePort) {
        ObjectNode svc = TestCluster.yaml("""
                apiVersion: v1
                kind: Service
                metadata: {name: %s}
                spec:
                  type: %s
                  selector: {app: web}
                  ports: [{port: 80, targetPort: 8080}]
                """.formatted(name, type));
        if (clusterIP != null) svc.withObject("/spec").put("clusterIP", clusterIP);
        if (nodePort != null) ((ObjectNode) svc.path("spec").path("ports").get(0)).put("nodePort", nodePort);
        return svc;
    }

    @Test
    void concurrentCreatesGetDistinctAddressesAndPorts() throws Exception {
        String ns = cluster.newNamespace("alloc");
        Set<String> ips = ConcurrentHashMap.newKeySet();
        Set<Integer> ports = ConcurrentHashMap.newKeySet();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 40; i++) {
                int n = i;
                pool.execute(() -> {
                    JsonNode svc = cluster.create("/api/v1/namespaces/" + ns + "/services", service("s" + n, "NodePort", null, null));
                    String ip = svc.path("spec").path("clusterIP").asText();
                    assertThat(ip).startsWith("10.");
                    assertThat(svc.path("spec").path("clusterIPs").get(0).asText()).isEqualTo(ip);
                    ips.add(ip);
                    int port = svc.path("spec").path("ports").get(0).path("nodePort").asInt();
                    assertThat(port).isBetween(30000, 32767);
                    ports.add(port);
                });
            }
        }
        assertThat(ips).hasSize(40);
        assertThat(ports).hasSize(40);
    }

    @Test
    void takenAddressIsRefusedUntilItsServiceIsDeleted() {
        String ns = cluster.newNamespace("taken");
        String path = "/api/v1/namespaces/" + ns + "/services";
        cluster.create(path, service("first", "ClusterIP", "10.96.100.7", null));
        KubeClient.Response second = cluster.client.post(path, service("second", "ClusterIP", "10.96.100.7", null));
        assertThat(second.code()).isEqualTo(422);
        assertThat(second.text()).contains("provided IP is already allocated");
        KubeClient.Response outside = cluster.client.post(path, service("outside", "ClusterIP", "192.168.1.1", null));
        assertThat(outside.code()).isEqualTo(422);
        assertThat(outside.text()).contains("not in the valid range");
        assertThat(cluster.client.delete(path + "/first").code()).isEqualTo(200);
        assertThat(cluster.client.post(path, service("second", "ClusterIP", "10.96.100.7", null)).code()).isEqualTo(201);
    }

    @Test
    void headlessAndExternalNameTakeNothingAndRefusedCreatesGiveBack() {
        String ns = cluster.newNamespace("none");
        String path = "/api/v1/namespaces/" + ns + "/services";
        assertThat(cluster.create(path, service("headless", "ClusterIP", "None", null)).path("spec").path("clusterIP").asText()).isEqualTo("None");
        ObjectNode external = TestCluster.yaml("{apiVersion: v1, kind: Service, metadata: {name: ext}, spec: {type: ExternalName, externalName: db.example.com}}");
        assertThat(cluster.create(path, external).path("spec").has("clusterIP")).isFalse();
        // a create refused after reservation (the name exists) leaves the address free for the next one
        cluster.create(path, service("dup", "NodePort", "10.96.200.9", 31999));
        assertThat(cluster.client.post(path, service("dup", "NodePort", "10.96.200.10", 31998)).code()).isEqualTo(409);
        assertThat(cluster.client.post(path, service("other", "NodePort", "10.96.200.10", 31998)).code()).isEqualTo(201);
    }

    @Test
    void replaceWithoutAllocatedFieldsKeepsThem() {
        String ns = cluster.newNamespace("keep");
        String path = "/api/v1/namespaces/" + ns + "/services";
        JsonNode created = cluster.create(path, service("web", "NodePort", null, null));
        ObjectNode replacement = service("web", "NodePort", null, null);
        KubeClient.Response replaced = cluster.client.put(path + "/web", replacement);
        assertThat(replaced.code()).as(replaced.text()).isEqualTo(200);
        assertThat(replaced.json().path("spec").path("clusterIP")).isEqualTo(created.path("spec").path("clusterIP"));
        assertThat(replaced.json().path("spec").path("ports").get(0).path("nodePort"))
                .isEqualTo(created.path("spec").path("ports").get(0).path("nodePort"));
    }

    @Test
    void updatesTakeWhatTheyAddAndGiveBackWhatTheyDrop() {
        String ns = cluster.newNamespace("upd");
        String path = "/api/v1/namespaces/" + ns + "/services";
        cluster.create(path, service("a", "ClusterIP", null, null));
        // ClusterIP → NodePort with a chosen port: the port is taken by the update
        ObjectNode a = (ObjectNode) cluster.get(path + "/a");
        a.withObject("/spec").put("type", "NodePort");
        ((ObjectNode) a.path("spec").path("ports").get(0)).put("nodePort", 30555);
        assertThat(cluster.client.put(path + "/a", a).code()).isEqualTo(200);
        KubeClient.Response clash = cluster.client.post(path, service("b", "NodePort", null, 30555));
        assertThat(clash.code()).as(clash.text()).isEqualTo(422);
        // moving to another port gives the old one back
        a = (ObjectNode) cluster.get(path + "/a");
        ((ObjectNode) a.path("spec").path("ports").get(0)).put("nodePort", 30556);
        assertThat(cluster.client.put(path + "/a", a).code()).isEqualTo(200);
        assertThat(cluster.client.post(path, service("b", "NodePort", null, 30555)).code()).isEqualTo(201);
        // deleting a never frees what another Service holds
        assertThat(cluster.client.delete(path + "/a").code()).isEqualTo(200);
        assertThat(cluster.client.post(path, service("c", "NodePort", null, 30555)).code()).isEqualTo(422);
        // a change to NodePort without a port gets one allocated
        cluster.create(path, service("d", "ClusterIP", null, null));
        ObjectNode d = (ObjectNode) cluster.get(path + "/d");
        d.withObject("/spec").put("type", "NodePort");
        KubeClient.Response updated = cluster.client.put(path + "/d", d);
        assertThat(updated.code()).as(updated.text()).isEqualTo(200);
        assertThat(updated.json().path("spec").path("ports").get(0).path("nodePort").asInt()).isBetween(30000, 32767);
    }
}
