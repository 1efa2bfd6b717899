package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.protobuf.Protobuf;
import io.hypernetes.client.KubeClient;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Kubernetes protobuf on the wire: request bodies, responses and watch streams, as client-go speaks it. */
class ProtobufTest {
    private static final String PROTOBUF = "application/vnd.kubernetes.protobuf";
    private static final String CLIENT_GO_ACCEPT = PROTOBUF + ", application/json";
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @Test
    void createsFromProtobufAndAnswersInProtobuf() {
        String ns = cluster.newNamespace("pb");
        ObjectNode pod = TestCluster.pod(ns, "web");
        KubeClient.Response created = cluster.send("POST", "/api/v1/namespaces/" + ns + "/pods",
                Protobuf.core().encode(pod), PROTOBUF, CLIENT_GO_ACCEPT);
        assertThat(created.code()).isEqualTo(201);
        assertThat(created.header("Content-Type")).hasValue(PROTOBUF);
        ObjectNode decoded = Protobuf.core().decode(created.body());
        JsonNode json = cluster.get("/api/v1/namespaces/" + ns + "/pods/web");
        assertThat(decoded.path("metadata").path("uid").asText()).isEqualTo(json.path("metadata").path("uid").asText());
        assertThat(decoded.path("spec").path("containers").get(0).path("image").asText()).isEqualTo("nginx:1.25");

        KubeClient.Response list = cluster.send("GET", "/api/v1/namespaces/" + ns + "/pods", (byte[]) null, null, CLIENT_GO_ACCEPT);
        assertThat(list.header("Content-Type")).hasValue(PROTOBUF);
        ObjectNode podList = Protobuf.core().decode(list.body());
        assertThat(podList.path("kind").asText()).isEqualTo("PodList");
        assertThat(podList.path("items")).hasSize(1);
        assertThat(podList.path("metadata").path("resourceVersion").asText()).isNotEmpty();
    }

    @Test
    void tablesAndDiscoveryStayJson() {
        KubeClient.Response table = cluster.send("GET", "/api/v1/namespaces", (byte[]) null, null,
                PROTOBUF + ";as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1;g=meta.k8s.io, application/json");
        assertThat(table.header("Content-Type")).hasValue("application/json");
        assertThat(table.json().path("kind").asText()).isEqualTo("Table");
        KubeClient.Response discovery = cluster.send("GET", "/api/v1", (byte[]) null, null, CLIENT_GO_ACCEPT);
        assertThat(discovery.json().path("kind").asText()).isEqualTo("APIResourceList");
    }

    @Test
    void watchStreamsLengthPrefixedEvents() {
        String ns = cluster.newNamespace("pbwatch");
        cluster.create("/api/v1/namespaces/" + ns + "/configmaps", configMap("a"));
        KubeClient.Response r = cluster.send("GET", "/api/v1/namespaces/" + ns + "/configmaps?watch=true&timeoutSeconds=1",
                (byte[]) null, null, CLIENT_GO_ACCEPT);
        assertThat(r.header("Content-Type")).hasValue(PROTOBUF + ";stream=watch");
        List<ObjectNode> events = frames(r.body());
        assertThat(events).hasSize(1);
        assertThat(events.getFirst().path("type").asText()).isEqualTo("ADDED");
        assertThat(events.getFirst().path("object").path("metadata").path("name").asText()).isEqualTo("a");
    }

    private static List<ObjectNode> frames(byte[] body) {
        List<ObjectNode> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(body);
        while (b.remaining() >= 4) {
            int length = b.getInt();
            byte[] message = Arrays.copyOfRange(body, b.position(), b.position() + length);
            b.position(b.position() + length);
            out.add(Protobuf.core().decodeWatchEvent(message));
        }
        assertThat(b.remaining()).isZero();
        return out;
    }

    private static ObjectNode configMap(String name) {
        ObjectNode cm = Json.object().put("apiVersion", "v1").put("kind", "ConfigMap");
        cm.putObject("metadata").put("name", name);
        cm.putObject("data").put("k", "v");
        return cm;
    }
}
