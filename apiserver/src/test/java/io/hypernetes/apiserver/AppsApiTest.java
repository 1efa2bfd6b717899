package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.protobuf.Protobuf;
import io.hypernetes.client.KubeClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The apps/v1 (Deployments, ReplicaSets, their status and scale subresources) and coordination.k8s.io/v1 (Leases)
 * groups over HTTPS: routing under /apis, discovery, OpenAPI, Tables, protobuf, watch, patches, apply and authorization.
 */
class AppsApiTest {
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    static final String DEPLOYMENTS = "/apis/apps/v1/namespaces/apps/deployments";
    static final String REPLICASETS = "/apis/apps/v1/namespaces/apps/replicasets";
    static final String TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";
    static final String PROTOBUF = "application/vnd.kubernetes.protobuf";

    @BeforeAll
    static void populate() {
        cluster.newNamespace("apps");
    }

    static ObjectNode deployment(String name, int replicas) {
        return TestCluster.yaml("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: %s, labels: {app: %s}}
                spec:
                  replicas: %d
                  selector: {matchLabels: {app: %s}}
                  template:
                    metadata: {creationTimestamp: null, labels: {app: %s}}
                    spec:
                      containers: [{name: nginx, image: "nginx:1.25", resources: {}}]
                  strategy: {}
                status: {}
                """.formatted(name, name, replicas, name, name));
    }

    static ObjectNode replicaSet(String name) {
        return TestCluster.yaml("""
                apiVersion: apps/v1
                kind: ReplicaSet
                metadata: {name: %s}
                spec:
                  selector: {matchLabels: {app: %s}}
                  template:
                    metadata: {labels: {app: %s}}
                    spec:
                      containers: [{name: nginx, image: "nginx:1.25"}, {name: sidecar, image: "busybox"}]
                """.formatted(name, name, name));
    }

    @Test
    void deploymentCrudWithDefaultsGenerationsAndStatus() {
        JsonNode d = cluster.create(DEPLOYMENTS, deployment("crud", 3));
        assertThat(d.path("apiVersion").asText()).isEqualTo("apps/v1");
        assertThat(d.at("/spec/strategy/type").asText()).isEqualTo("RollingUpdate");
        assertThat(d.at("/spec/strategy/rollingUpdate/maxSurge").asText()).isEqualTo("25%");
        assertThat(d.at("/spec/revisionHistoryLimit").asInt()).isEqualTo(10);
        assertThat(d.at("/spec/progressDeadlineSeconds").asInt()).isEqualTo(600);
        assertThat(d.at("/spec/template/spec/restartPolicy").asText()).isEqualTo("Always");
        assertThat(d.at("/metadata/generation").asLong()).isEqualTo(1);
        assertThat(d.has("status")).isFalse();

        JsonNode got = cluster.get(DEPLOYMENTS + "/crud");
        assertThat(got.at("/metadata/uid").asText()).isEqualTo(d.at("/metadata/uid").asText());
        assertThat(cluster.get("/apis/apps/v1/deployments").path("items").findValuesAsText("name")).contains("crud");
        assertThat(cluster.get(DEPLOYMENTS).path("kind").asText()).isEqualTo("DeploymentList");
        assertThat(cluster.get(DEPLOYMENTS + "?fieldSelector=metadata.name%3Dcrud").path("items")).hasSize(1);
        assertThat(cluster.get(DEPLOYMENTS + "?fieldSelector=metadata.name%3Dother").path("items")).isEmpty();

        // a template change is a new generation; a status write is not, and the main resource cannot write status
        KubeClient.Response image = cluster.client.patch(DEPLOYMENTS + "/crud", "application/strategic-merge-patch+json",
                TestCluster.yaml("{spec: {template: {spec: {containers: [{name: nginx, image: 'nginx:1.27'}]}}}, status: {replicas: 9}}"));
        assertThat(image.code()).as(image.text()).isEqualTo(200);
        assertThat(image.json().at("/spec/template/spec/containers")).hasSize(1);
        assertThat(image.json().at("/spec/template/spec/containers/0/image").asText()).isEqualTo("nginx:1.27");
        assertThat(image.json().at("/metadata/generation").asLong()).isEqualTo(2);
        assertThat(image.json().has("status")).isFalse();
        KubeClient.Response status = cluster.client.patch(DEPLOYMENTS + "/crud/status", "application/merge-patch+json",
                TestCluster.yaml("{status: {observedGeneration: 2, replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2,"
                        + " conditions: [{type: Available, status: 'True'}]}}"));
        assertThat(status.code()).as(status.text()).isEqualTo(200);
        assertThat(status.json().at("/status/readyReplicas").asInt()).isEqualTo(2);
        assertThat(status.json().at("/metadata/generation").asLong()).isEqualTo(2);
        // annotations are copied to ReplicaSets, so in Kubernetes changing them is a new generation too
        KubeClient.Response annotate = cluster.client.patch(DEPLOYMENTS + "/crud", "application/merge-patch+json",
                TestCluster.yaml("{metadata: {annotations: {note: x}}}"));
        assertThat(annotate.json().at("/metadata/generation").asLong()).isEqualTo(3);

        KubeClient.Response selector = cluster.client.patch(DEPLOYMENTS + "/crud", "application/merge-patch+json",
                TestCluster.yaml("{spec: {selector: {matchLabels: {app: crud, tier: x}}, template: {metadata: {labels: {tier: x}}}}}"));
        assertThat(selector.code()).isEqualTo(422);
        assertThat(selector.json().path("message").asText()).contains("spec.selector: Invalid value").contains("field is immutable");

        assertThat(cluster.client.delete(DEPLOYMENTS + "/crud").code()).isEqualTo(200);
        KubeClient.Response gone = cluster.client.get(DEPLOYMENTS + "/crud");
        assertThat(gone.code()).isEqualTo(404);
        assertThat(gone.json().path("message").asText()).isEqualTo("deployments.apps \"crud\" not found");
        assertThat(gone.json().at("/details/group").asText()).isEqualTo("apps");
    }

    @Test
    void invalidDeploymentsAreRefusedWithKubernetesWording() {
        ObjectNode bad = deployment("bad", 1);
        bad.withObject("/spec/template/metadata/labels").put("app", "other");
        bad.withObject("/spec/strategy").putObject("rollingUpdate").put("maxSurge", 0).put("maxUnavailable", 0);
        KubeClient.Response r = cluster.client.post(DEPLOYMENTS, bad);
        assertThat(r.code()).isEqualTo(422);
        assertThat(r.json().path("reason").asText()).isEqualTo("Invalid");
        List<String> fields = r.json().at("/details/causes").findValuesAsText("field");
        assertThat(fields).contains("spec.template.metadata.labels", "spec.strategy.rollingUpdate.maxUnavailable");
        assertThat(r.text()).contains("`selector` does not match template `labels`", "may not be 0 when `maxSurge` is 0");
        ObjectNode wrongGroup = deployment("wrong", 1).put("apiVersion", "v1");
        assertThat(cluster.client.post(DEPLOYMENTS, wrongGroup).code()).isEqualTo(400);
        // a Deployment is not served under the core group
        assertThat(cluster.client.post("/api/v1/namespaces/apps/deployments", deployment("core", 1)).code()).isEqualTo(404);
        ObjectNode unknown = deployment("unknown", 1);
        unknown.withObject("/spec").put("replica", 2);
        KubeClient.Response strict = cluster.client.send("POST", DEPLOYMENTS + "?fieldValidation=Strict", Json.bytes(unknown),
                "application/json", "application/json");
        assertThat(strict.code()).isEqualTo(400);
        assertThat(strict.json().path("message").asText()).isEqualTo("strict decoding error: unknown field \"spec.replica\"");
    }

    @Test
    void scaleSubresourceReadsAndWritesOnlyReplicas() {
        cluster.create(DEPLOYMENTS, deployment("scaled", 3));
        JsonNode scale = cluster.get(DEPLOYMENTS + "/scaled/scale");
        assertThat(scale.path("kind").asText()).isEqualTo("Scale");
        assertThat(scale.path("apiVersion").asText()).isEqualTo("autoscaling/v1");
        assertThat(scale.at("/spec/replicas").asInt()).isEqualTo(3);
        assertThat(scale.at("/status/replicas").asInt()).isZero();
        assertThat(scale.at("/status/selector").asText()).isEqualTo("app=scaled");
        assertThat(scale.at("/metadata/name").asText()).isEqualTo("scaled");

        // what kubectl scale sends
        KubeClient.Response patched = cluster.client.patch(DEPLOYMENTS + "/scaled/scale", "application/merge-patch+json",
                TestCluster.yaml("{spec: {replicas: 5}}"));
        assertThat(patched.code()).as(patched.text()).isEqualTo(200);
        assertThat(patched.json().at("/spec/replicas").asInt()).isEqualTo(5);
        JsonNode d = cluster.get(DEPLOYMENTS + "/scaled");
        assertThat(d.at("/spec/replicas").asInt()).isEqualTo(5);
        assertThat(d.at("/metadata/generation").asLong()).isEqualTo(2);
        assertThat(TestCluster.managers(d).getLast()).endsWith("/Update/scale");

        // PUT with a stale resourceVersion is a conflict; with the current one it writes
        ObjectNode put = scale.deepCopy();
        put.withObject("/spec").put("replicas", 7);
        assertThat(cluster.client.put(DEPLOYMENTS + "/scaled/scale", put).code()).isEqualTo(409);
        put.withObject("/metadata").put("resourceVersion", d.at("/metadata/resourceVersion").asText());
        KubeClient.Response ok = cluster.client.put(DEPLOYMENTS + "/scaled/scale", put);
        assertThat(ok.code()).as(ok.text()).isEqualTo(200);
        assertThat(cluster.get(DEPLOYMENTS + "/scaled").at("/spec/replicas").asInt()).isEqualTo(7);

        KubeClient.Response negative = cluster.client.patch(DEPLOYMENTS + "/scaled/scale", "application/merge-patch+json",
                TestCluster.yaml("{spec: {replicas: -1}}"));
        assertThat(negative.code()).isEqualTo(422);
        assertThat(negative.text()).contains("spec.replicas: Invalid value: \\\"-1\\\": must be greater than or equal to 0");
        KubeClient.Response other = cluster.client.patch(DEPLOYMENTS + "/scaled/scale", "application/json-patch+json",
                Json.MAPPER.valueToTree(List.of(java.util.Map.of("op", "replace", "path", "/spec/replicas", "value", 2))));
        assertThat(other.code()).isEqualTo(200);
        KubeClient.Response dry = cluster.client.patch(DEPLOYMENTS + "/scaled/scale?dryRun=All", "application/merge-patch+json",
                TestCluster.yaml("{spec: {replicas: 9}}"));
        assertThat(dry.json().at("/spec/replicas").asInt()).isEqualTo(9);
        assertThat(cluster.get(DEPLOYMENTS + "/scaled").at("/spec/replicas").asInt()).isEqualTo(2);

        // ReplicaSets scale the same way; a protobuf client reads the Scale
        cluster.create(REPLICASETS, replicaSet("rs-scaled"));
        KubeClient.Response rs = cluster.client.patch(REPLICASETS + "/rs-scaled/scale", "application/merge-patch+json",
                TestCluster.yaml("{spec: {replicas: 4}}"));
        assertThat(rs.code()).isEqualTo(200);
        KubeClient.Response pb = cluster.send("GET", REPLICASETS + "/rs-scaled/scale", null, null, PROTOBUF);
        assertThat(pb.code()).isEqualTo(200);
        ObjectNode decoded = Protobuf.core().decode(pb.body());
        assertThat(decoded.path("kind").asText()).isEqualTo("Scale");
        assertThat(decoded.at("/spec/replicas").asInt()).isEqualTo(4);
        assertThat(cluster.client.get(DEPLOYMENTS + "/missing/scale").code()).isEqualTo(404);
        assertThat(cluster.client.get("/api/v1/namespaces/apps/pods/x/scale").code()).isEqualTo(404);
    }

    @Test
    void discoveryListsBothGroups() {
        JsonNode groups = cluster.get("/apis");
        assertThat(groups.path("kind").asText()).isEqualTo("APIGroupList");
        assertThat(groups.path("groups").findValuesAsText("name")).containsExactly("apps", "coordination.k8s.io");
        JsonNode apps = groups.path("groups").get(0);
        assertThat(apps.at("/preferredVersion/groupVersion").asText()).isEqualTo("apps/v1");
        assertThat(apps.at("/versions/0/version").asText()).isEqualTo("v1");

        JsonNode group = cluster.get("/apis/coordination.k8s.io");
        assertThat(group.path("kind").asText()).isEqualTo("APIGroup");
        assertThat(group.at("/preferredVersion/groupVersion").asText()).isEqualTo("coordination.k8s.io/v1");

        JsonNode list = cluster.get("/apis/apps/v1");
        assertThat(list.path("groupVersion").asText()).isEqualTo("apps/v1");
        List<String> names = list.path("resources").findValuesAsText("name");
        assertThat(names).containsExactly("deployments", "deployments/scale", "deployments/status", "replicasets",
                "replicasets/scale", "replicasets/status");
        JsonNode deploy = list.path("resources").get(0);
        assertThat(deploy.path("kind").asText()).isEqualTo("Deployment");
        assertThat(deploy.path("namespaced").asBoolean()).isTrue();
        assertThat(deploy.path("shortNames").get(0).asText()).isEqualTo("deploy");
        assertThat(deploy.path("categories").get(0).asText()).isEqualTo("all");
        assertThat(deploy.path("verbs").toString()).contains("create", "watch", "deletecollection");
        JsonNode scale = list.path("resources").get(1);
        assertThat(scale.path("group").asText()).isEqualTo("autoscaling");
        assertThat(scale.path("version").asText()).isEqualTo("v1");
        assertThat(scale.path("kind").asText()).isEqualTo("Scale");
        assertThat(list.path("resources").get(3).path("shortNames").get(0).asText()).isEqualTo("rs");
        assertThat(cluster.get("/apis/coordination.k8s.io/v1").path("resources").findValuesAsText("name")).containsExactly("leases");
        // the core list keeps only the core group
        assertThat(cluster.get("/api/v1").path("resources").findValuesAsText("name")).doesNotContain("deployments", "leases");

        for (String missing : List.of("/apis/batch", "/apis/batch/v1", "/apis/apps/v2", "/apis/apps/v1/jobs", "/apis/apps/v1/namespaces/apps/pods")) {
            assertThat(cluster.client.get(missing).code()).as(missing).isEqualTo(404);
        }
        assertThat(cluster.send("POST", "/apis/apps/v1", "{}", "application/json").code()).isEqualTo(405);
    }

    @Test
    void openApiDescribesTheGroups() {
        JsonNode discovery = cluster.get("/openapi/v3");
        assertThat(discovery.path("paths").has("apis/apps/v1")).isTrue();
        assertThat(discovery.path("paths").has("apis/coordination.k8s.io/v1")).isTrue();
        String url = discovery.at("/paths/apis~1apps~1v1/serverRelativeURL").asText();
        JsonNode doc = cluster.get(url);
        assertThat(doc.path("paths").has("/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale")).isTrue();
        JsonNode strategy = doc.at("/components/schemas/io.k8s.api.apps.v1.DeploymentSpec/properties/strategy");
        assertThat(strategy.path("x-kubernetes-patch-strategy").asText()).isEqualTo("retainKeys");
        assertThat(doc.at("/components/schemas").has("io.k8s.api.autoscaling.v1.Scale")).isTrue();
        assertThat(doc.at("/paths/~1apis~1apps~1v1~1namespaces~1{namespace}~1deployments~1{name}~1scale/patch/x-kubernetes-group-version-kind/kind")
                .asText()).isEqualTo("Scale");
        JsonNode v2 = cluster.get("/openapi/v2");
        assertThat(v2.path("definitions").has("io.k8s.api.coordination.v1.Lease")).isTrue();
    }

    @Test
    void tablesPrintWorkloadColumns() {
        cluster.create(DEPLOYMENTS, deployment("tabled", 2));
        KubeClient.Response r = cluster.send("GET", DEPLOYMENTS + "/tabled", null, null, TABLE);
        assertThat(r.code()).isEqualTo(200);
        JsonNode t = r.json();
        assertThat(t.path("columnDefinitions").findValuesAsText("name"))
                .containsExactly("Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector");
        assertThat(t.path("columnDefinitions").findValuesAsText("priority")).containsExactly("0", "0", "0", "0", "0", "1", "1", "1");
        JsonNode cells = t.at("/rows/0/cells");
        assertThat(cells.get(0).asText()).isEqualTo("tabled");
        assertThat(cells.get(1).asText()).isEqualTo("0/2");
        assertThat(cells.get(2).asInt()).isZero();
        assertThat(cells.get(3).asInt()).isZero();
        assertThat(cells.get(5).asText()).isEqualTo("nginx");
        assertThat(cells.get(6).asText()).isEqualTo("nginx:1.25");
        assertThat(cells.get(7).asText()).isEqualTo("app=tabled");

        cluster.create(REPLICASETS, replicaSet("rs-tabled"));
        JsonNode rs = cluster.send("GET", REPLICASETS + "?fieldSelector=metadata.name%3Drs-tabled", null, null, TABLE).json();
        assertThat(rs.path("columnDefinitions").findValuesAsText("name"))
                .containsExactly("Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector");
        JsonNode rsCells = rs.at("/rows/0/cells");
        assertThat(rsCells.get(1).asInt()).isEqualTo(1);
        assertThat(rsCells.get(5).asText()).isEqualTo("nginx,sidecar");
        assertThat(rsCells.get(6).asText()).isEqualTo("nginx:1.25,busybox");

        cluster.create("/apis/coordination.k8s.io/v1/namespaces/apps/leases", TestCluster.yaml(
                "{apiVersion: coordination.k8s.io/v1, kind: Lease, metadata: {name: tabled}, spec: {holderIdentity: me, leaseDurationSeconds: 15}}"));
        JsonNode lease = cluster.send("GET", "/apis/coordination.k8s.io/v1/namespaces/apps/leases/tabled", null, null, TABLE).json();
        assertThat(lease.path("columnDefinitions").findValuesAsText("name")).containsExactly("Name", "Holder", "Age");
        assertThat(lease.at("/rows/0/cells/1").asText()).isEqualTo("me");
    }

    @Test
    void protobufRoundTripsDeployments() {
        ObjectNode d = deployment("proto", 0);
        d.withObject("/spec").put("paused", true);
        byte[] body = Protobuf.core().encode(d);
        KubeClient.Response created = cluster.send("POST", DEPLOYMENTS, body, PROTOBUF, PROTOBUF);
        assertThat(created.code()).as(new String(created.body(), StandardCharsets.ISO_8859_1)).isEqualTo(201);
        ObjectNode back = Protobuf.core().decode(created.body());
        assertThat(back.path("kind").asText()).isEqualTo("Deployment");
        assertThat(back.at("/spec/replicas").asInt()).isZero();
        assertThat(back.at("/spec/replicas").isMissingNode()).isFalse();
        assertThat(back.at("/spec/paused").asBoolean()).isTrue();
        assertThat(back.at("/spec/strategy/rollingUpdate/maxUnavailable").asText()).isEqualTo("25%");
        JsonNode json = cluster.get(DEPLOYMENTS + "/proto");
        assertThat(back.at("/spec")).isEqualTo(json.at("/spec"));
        KubeClient.Response list = cluster.send("GET", "/apis/apps/v1/deployments", null, null, PROTOBUF);
        assertThat(Protobuf.core().decode(list.body()).path("kind").asText()).isEqualTo("DeploymentList");
    }

    @Test
    void watchStreamsDeploymentChanges() {
        JsonNode d = cluster.create(DEPLOYMENTS, deployment("watched", 1));
        String rv = d.at("/metadata/resourceVersion").asText();
        cluster.client.patch(DEPLOYMENTS + "/watched/scale", "application/merge-patch+json", TestCluster.yaml("{spec: {replicas: 2}}"));
        cluster.client.delete(DEPLOYMENTS + "/watched");
        KubeClient.Response w = cluster.client.get(DEPLOYMENTS + "?watch=1&timeoutSeconds=1&resourceVersion=" + rv
                + "&fieldSelector=metadata.name%3Dwatched");
        List<String> seen = new ArrayList<>();
        for (JsonNode e : TestCluster.events(w)) {
            seen.add(e.path("type").asText() + ":" + e.at("/object/spec/replicas").asInt() + ":" + e.at("/object/kind").asText());
        }
        assertThat(seen).containsExactly("MODIFIED:2:Deployment", "DELETED:2:Deployment");
        KubeClient.Response legacy = cluster.client.get("/apis/apps/v1/watch/namespaces/apps/deployments?timeoutSeconds=1&resourceVersion=" + rv);
        assertThat(TestCluster.events(legacy)).isNotEmpty();
    }

    @Test
    void serverSideApplyOwnsFieldsOfDeployments() {
        String yaml = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: applied}
                spec:
                  replicas: 2
                  selector: {matchLabels: {app: applied}}
                  template:
                    metadata: {labels: {app: applied}}
                    spec: {containers: [{name: nginx, image: "nginx:1.25"}]}
                """;
        KubeClient.Response first = cluster.apply(DEPLOYMENTS + "/applied", yaml, "fieldManager=alice");
        assertThat(first.code()).as(first.text()).isEqualTo(201);
        KubeClient.Response scaled = cluster.client.patch(DEPLOYMENTS + "/applied/scale?fieldManager=hpa", "application/merge-patch+json",
                TestCluster.yaml("{spec: {replicas: 4}}"));
        assertThat(scaled.code()).isEqualTo(200);
        // the scaler now owns spec.replicas: applying another count conflicts unless forced
        KubeClient.Response conflict = cluster.apply(DEPLOYMENTS + "/applied", yaml, "fieldManager=alice");
        assertThat(conflict.code()).isEqualTo(409);
        assertThat(conflict.text()).contains(".spec.replicas");
        KubeClient.Response noReplicas = cluster.apply(DEPLOYMENTS + "/applied", yaml.replace("  replicas: 2\n", "")
                .replace("nginx:1.25", "nginx:1.27"), "fieldManager=alice");
        assertThat(noReplicas.code()).as(noReplicas.text()).isEqualTo(200);
        assertThat(noReplicas.json().at("/spec/replicas").asInt()).isEqualTo(4);
        assertThat(noReplicas.json().at("/spec/template/spec/containers/0/image").asText()).isEqualTo("nginx:1.27");
    }

    @Test
    void leasesForNodeAgentsInKubeNodeLease() throws Exception {
        String path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
        ObjectNode lease = TestCluster.yaml("""
                apiVersion: coordination.k8s.io/v1
                kind: Lease
                metadata: {name: node-7}
                spec: {holderIdentity: node-7, leaseDurationSeconds: 40, renewTime: "2024-01-02T15:04:05.123456Z"}
                """);
        try (KubeClient node = KubeClient.fromKubeconfig(cluster.server.nodeKubeconfig("node-7"))) {
            KubeClient.Response created = node.post(path, lease);
            assertThat(created.code()).as(created.text()).isEqualTo(201);
            assertThat(created.json().at("/metadata").has("generation")).isFalse();
            KubeClient.Response renewed = node.patch(path + "/node-7", "application/merge-patch+json",
                    TestCluster.yaml("{spec: {renewTime: '2024-01-02T15:04:15.000001Z'}}"));
            assertThat(renewed.code()).isEqualTo(200);
            assertThat(renewed.json().at("/spec/renewTime").asText()).isEqualTo("2024-01-02T15:04:15.000001Z");
            assertThat(node.get(path + "/node-7").code()).isEqualTo(200);
            // elsewhere a node agent only reads
            KubeClient.Response elsewhere = node.post("/apis/coordination.k8s.io/v1/namespaces/apps/leases", lease);
            assertThat(elsewhere.code()).isEqualTo(403);
            assertThat(elsewhere.json().path("message").asText()).contains("cannot create resource \"leases\" in API group \"coordination.k8s.io\"");
            assertThat(node.post(DEPLOYMENTS, deployment("by-node", 1)).code()).isEqualTo(403);
        }
        KubeClient.Response invalid = cluster.client.post(path, TestCluster.yaml(
                "{apiVersion: coordination.k8s.io/v1, kind: Lease, metadata: {name: bad}, spec: {leaseDurationSeconds: 0}}"));
        assertThat(invalid.code()).isEqualTo(422);
        assertThat(invalid.text()).contains("spec.leaseDurationSeconds", "must be greater than 0");
    }

    @Test
    void workloadsTakeTheirNamespacesTenant() {
        cluster.create("/api/v1/namespaces", TestCluster.yaml(
                "{apiVersion: v1, kind: Namespace, metadata: {name: tenant-apps, labels: {hypernetes.io/tenant: p-apps}}}"));
        ObjectNode d = deployment("owned", 1);
        d.withObject("/metadata/labels").put("hypernetes.io/tenant", "someone-else");
        JsonNode created = cluster.create("/apis/apps/v1/namespaces/tenant-apps/deployments", d);
        assertThat(created.at("/metadata/labels/hypernetes.io~1tenant").asText()).isEqualTo("p-apps");
        JsonNode rs = cluster.create("/apis/apps/v1/namespaces/tenant-apps/replicasets", replicaSet("owned-rs"));
        assertThat(rs.at("/metadata/labels/hypernetes.io~1tenant").asText()).isEqualTo("p-apps");
    }
}
