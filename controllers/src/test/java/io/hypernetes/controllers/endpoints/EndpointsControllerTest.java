package io.hypernetes.controllers.endpoints;

import static io.hypernetes.controllers.ControlPlane.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.KubeClient;
import io.hypernetes.controllers.ControlPlane;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EndpointsControllerTest {
    @TempDir
    static Path dir;
    static ControlPlane plane;
    static KubeClient client;
    static EndpointsController controller;

    @BeforeAll
    static void start() throws Exception {
        plane = ControlPlane.start(dir);
        client = plane.client;
        controller = EndpointsController.start(plane.informers);
    }

    @AfterAll
    static void stop() {
        controller.close();
        plane.close();
    }

    @Test
    void readyNotReadyAndTerminatingPods() throws Exception {
        String ns = namespace("ep1");
        create(ns, "services", """
                {apiVersion: v1, kind: Service, metadata: {name: web, labels: {tier: front}},
                 spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}}""");
        pod(ns, "ready", "app: web", "10.1.0.1", true, "node-a");
        pod(ns, "starting", "app: web", "10.1.0.2", false, "node-b");
        pod(ns, "no-ip", "app: web", null, false, null);
        pod(ns, "other", "app: db", "10.1.0.9", true, null);
        ObjectNode going = pod(ns, "going", "app: web", "10.1.0.3", true, "node-a");
        ObjectNode held = Json.object();
        held.putObject("metadata").putArray("finalizers").add("example.com/hold");
        assertThat(client.patch(podPath(ns, "going"), "application/merge-patch+json", held).code()).isEqualTo(200);
        assertThat(client.delete(podPath(ns, "going")).code()).isEqualTo(200); // stays Terminating for its finalizer

        JsonNode ep = await(ns, "web", e -> ips(e, "addresses").equals(List.of("10.1.0.1")) && ips(e, "notReadyAddresses").equals(List.of("10.1.0.2")));
        JsonNode subset = ep.path("subsets").get(0);
        assertThat(ep.path("subsets")).hasSize(1);
        assertThat(subset.path("ports")).hasSize(1);
        assertThat(subset.at("/ports/0/port").asInt()).isEqualTo(8080);
        assertThat(subset.at("/ports/0/name").asText()).isEqualTo("http");
        assertThat(subset.at("/ports/0/protocol").asText()).isEqualTo("TCP");
        assertThat(subset.at("/addresses/0/nodeName").asText()).isEqualTo("node-a");
        assertThat(subset.at("/addresses/0/targetRef/kind").asText()).isEqualTo("Pod");
        assertThat(subset.at("/addresses/0/targetRef/name").asText()).isEqualTo("ready");
        assertThat(subset.at("/addresses/0/targetRef/uid").asText()).isNotEmpty();
        assertThat(ep.at("/metadata/labels/tier").asText()).isEqualTo("front");
        assertThat(going).isNotNull();

        // the not-ready pod becomes ready: both are addresses
        status(ns, "starting", "10.1.0.2", true);
        ep = await(ns, "web", e -> ips(e, "addresses").equals(List.of("10.1.0.1", "10.1.0.2")) && ips(e, "notReadyAddresses").isEmpty());

        // nothing changes: no write
        String rv = ep.at("/metadata/resourceVersion").asText();
        assertThat(client.patch("/api/v1/namespaces/" + ns + "/services/web", "application/merge-patch+json",
                Json.YAML.readTree("{metadata: {annotations: {touched: 'yes'}}}")).code()).isEqualTo(200);
        status(ns, "other", "10.1.0.10", true);
        Thread.sleep(1000);
        assertThat(client.get(epPath(ns, "web")).json().at("/metadata/resourceVersion").asText()).isEqualTo(rv);

        // a pod deleted goes
        assertThat(client.delete(podPath(ns, "ready")).code()).isEqualTo(200);
        await(ns, "web", e -> ips(e, "addresses").equals(List.of("10.1.0.2")));

        // someone deletes the Endpoints: it comes back
        assertThat(client.delete(epPath(ns, "web")).code()).isEqualTo(200);
        await(ns, "web", e -> ips(e, "addresses").equals(List.of("10.1.0.2")));
    }

    @Test
    void namedTargetPortsResolvePerPod() throws Exception {
        String ns = namespace("ep2");
        create(ns, "services", """
                {apiVersion: v1, kind: Service, metadata: {name: api},
                 spec: {selector: {app: api}, ports: [{name: web, port: 80, targetPort: http}, {name: metrics, port: 9090, targetPort: 9090}]}}""");
        pod(ns, "v1", "app: api", "10.2.0.1", true, null, "[{name: http, containerPort: 8080}]");
        pod(ns, "v2", "app: api", "10.2.0.2", true, null, "[{name: http, containerPort: 8081}]");
        pod(ns, "bare", "app: api", "10.2.0.3", true, null, "[]");

        JsonNode ep = await(ns, "api", e -> e.path("subsets").size() == 3);
        // each pod has its own http port; metrics is on all three
        List<String> shapes = new java.util.ArrayList<>();
        for (JsonNode s : ep.path("subsets")) {
            StringBuilder b = new StringBuilder(String.join(",", ips(s)));
            for (JsonNode p : s.path("ports")) b.append(' ').append(p.path("name").asText()).append('=').append(p.path("port").asInt());
            shapes.add(b.toString());
        }
        assertThat(shapes).containsExactlyInAnyOrder("10.2.0.1 metrics=9090 web=8080", "10.2.0.2 metrics=9090 web=8081", "10.2.0.3 metrics=9090");
    }

    @Test
    void selectorChangeAndServiceDeletion() throws Exception {
        String ns = namespace("ep3");
        create(ns, "services", """
                {apiVersion: v1, kind: Service, metadata: {name: svc}, spec: {selector: {app: blue}, ports: [{port: 80}]}}""");
        pod(ns, "blue", "app: blue", "10.3.0.1", true, null);
        pod(ns, "green", "app: green", "10.3.0.2", true, null);
        await(ns, "svc", e -> ips(e, "addresses").equals(List.of("10.3.0.1")));
        JsonNode ep = client.get(epPath(ns, "svc")).json();
        assertThat(ep.at("/subsets/0/ports/0/port").asInt()).isEqualTo(80);

        assertThat(client.patch("/api/v1/namespaces/" + ns + "/services/svc", "application/merge-patch+json",
                Json.YAML.readTree("{spec: {selector: {app: green}}}")).code()).isEqualTo(200);
        await(ns, "svc", e -> ips(e, "addresses").equals(List.of("10.3.0.2")));

        // relabelling a pod moves it in
        assertThat(client.patch(podPath(ns, "blue"), "application/merge-patch+json",
                Json.YAML.readTree("{metadata: {labels: {app: green}}}")).code()).isEqualTo(200);
        await(ns, "svc", e -> ips(e, "addresses").equals(List.of("10.3.0.1", "10.3.0.2")));

        assertThat(client.delete("/api/v1/namespaces/" + ns + "/services/svc").code()).isEqualTo(200);
        awaitCode(epPath(ns, "svc"), 404);
    }

    @Test
    void selectorlessServicesKeepTheirEndpoints() throws Exception {
        String ns = namespace("ep4");
        create(ns, "services", """
                {apiVersion: v1, kind: Service, metadata: {name: external}, spec: {ports: [{port: 5432}]}}""");
        create(ns, "endpoints", """
                {apiVersion: v1, kind: Endpoints, metadata: {name: external},
                 subsets: [{addresses: [{ip: 192.168.1.10}], ports: [{port: 5432}]}]}""");
        create(ns, "services", """
                {apiVersion: v1, kind: Service, metadata: {name: empty}, spec: {selector: {app: none}, ports: [{port: 80}]}}""");
        pod(ns, "x", "app: x", "10.4.0.1", true, null);
        // a selector Service with no pods gets empty Endpoints
        JsonNode empty = await(ns, "empty", e -> true);
        assertThat(empty.path("subsets").isEmpty()).isTrue();
        Thread.sleep(500);
        JsonNode external = client.get(epPath(ns, "external")).json();
        assertThat(ips(external, "addresses")).containsExactly("192.168.1.10");
        assertThat(external.at("/metadata/resourceVersion").asText())
                .isEqualTo(client.get(epPath(ns, "external")).json().at("/metadata/resourceVersion").asText());
    }

    // ---- helpers

    private static String namespace(String name) {
        assertThat(client.post("/api/v1/namespaces", yaml("{apiVersion: v1, kind: Namespace, metadata: {name: " + name + "}}")).code()).isEqualTo(201);
        return name;
    }

    private static ObjectNode create(String ns, String resource, String yaml) {
        KubeClient.Response r = client.post("/api/v1/namespaces/" + ns + "/" + resource, yaml(yaml));
        assertThat(r.code()).as(r.text()).isEqualTo(201);
        return (ObjectNode) r.json();
    }

    private static ObjectNode pod(String ns, String name, String labels, String ip, boolean ready, String node) {
        return pod(ns, name, labels, ip, ready, node, "[]");
    }

    private static ObjectNode pod(String ns, String name, String labels, String ip, boolean ready, String node, String ports) {
        ObjectNode pod = create(ns, "pods", "{apiVersion: v1, kind: Pod, metadata: {name: " + name + ", labels: {" + labels + "}}, "
                + "spec: {" + (node == null ? "" : "nodeName: " + node + ", ") + "containers: [{name: c, image: nginx, ports: " + ports + "}]}}");
        if (ip != null) return status(ns, name, ip, ready);
        return pod;
    }

    /** Plays the node agent: posts the pod's IP and Ready condition. */
    private static ObjectNode status(String ns, String name, String ip, boolean ready) {
        ObjectNode pod = (ObjectNode) client.get(podPath(ns, name)).json();
        ObjectNode status = pod.putObject("status").put("phase", "Running").put("podIP", ip);
        status.putArray("podIPs").addObject().put("ip", ip);
        status.putArray("conditions").addObject().put("type", "Ready").put("status", ready ? "True" : "False");
        KubeClient.Response r = client.put(podPath(ns, name) + "/status", pod);
        assertThat(r.code()).as(r.text()).isEqualTo(200);
        return (ObjectNode) r.json();
    }

    private static String podPath(String ns, String name) {
        return "/api/v1/namespaces/" + ns + "/pods/" + name;
    }

    private static String epPath(String ns, String name) {
        return "/api/v1/namespaces/" + ns + "/endpoints/" + name;
    }

    private static List<String> ips(JsonNode ep, String field) {
        return java.util.stream.StreamSupport.stream(ep.path("subsets").spliterator(), false)
                .flatMap(s -> java.util.stream.StreamSupport.stream(s.path(field).spliterator(), false))
                .map(a -> a.path("ip").asText()).sorted().toList();
    }

    private static List<String> ips(JsonNode subset) {
        return java.util.stream.StreamSupport.stream(subset.path("addresses").spliterator(), false).map(a -> a.path("ip").asText()).sorted().toList();
    }

    private static JsonNode await(String ns, String name, Predicate<JsonNode> ok) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(20);
        JsonNode last = null;
        while (Instant.now().isBefore(end)) {
            KubeClient.Response r = client.get(epPath(ns, name));
            if (r.code() == 200) {
                last = r.json();
                if (ok.test(last)) return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("endpoints " + ns + "/" + name + " never as expected: " + last);
    }

    private static void awaitCode(String path, int code) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(20);
        while (client.get(path).code() != code) {
            if (Instant.now().isAfter(end)) throw new AssertionError(path + " never answered " + code);
            Thread.sleep(50);
        }
    }

}
