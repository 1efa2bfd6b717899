package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.apiserver.authz.Tenancy;
import io.hypernetes.client.KubeClient;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.Project;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tenancy over real HTTPS with Keystone tokens from the identity core sharing the server's store (as
 * {@code hypernetes up} runs them): two tenants, each with a member, plus a reader of the first. The isolation
 * matrix probes every resource with every verb and route as the second tenant against the first tenant's
 * objects, and counts probes and leaks.
 */
class TenancyTest {
    static TestCluster cluster;
    static Identity identity;
    static Project alpha;
    static Project beta;
    static KubeClient alice; // member of alpha
    static KubeClient bob;   // member of beta
    static KubeClient rita;  // reader of alpha
    static KubeClient unscoped;
    static KubeClient ada;   // Keystone admin, in alpha

    static Tenants tenants;

    @BeforeAll
    static void start() {
        tenants = Tenants.start();
        cluster = tenants.cluster;
        identity = tenants.identity;
        alpha = tenants.project("alpha");
        beta = tenants.project("beta");
        alice = tenants.client(tenants.user("alice", tenants.member, alpha), alpha);
        bob = tenants.client(tenants.user("bob", tenants.member, beta), beta);
        rita = tenants.client(tenants.user("rita", tenants.reader, alpha), alpha);
        unscoped = tenants.client("alice", null);
        ada = tenants.client(tenants.user("ada", tenants.admin, alpha), alpha);
    }

    @AfterAll
    static void stop() {
        tenants.close();
    }

    private static JsonNode created(KubeClient c, String path, ObjectNode obj) {
        KubeClient.Response r = c.post(path, obj);
        assertThat(r.code()).as(r.text()).isEqualTo(201);
        return r.json();
    }

    @Test
    void aNamespaceBelongsToItsCreatorsProjectAndSoDoesEverythingInIt() {
        JsonNode ns = created(alice, "/api/v1/namespaces", TestCluster.yaml(
                "{apiVersion: v1, kind: Namespace, metadata: {name: owned, labels: {" + Tenancy.LABEL + ": " + beta.id() + "}}}"));
        assertThat(ns.path("metadata").path("labels").path(Tenancy.LABEL).asText()).as("the creator's project, not the one asked for").isEqualTo(alpha.id());
        ObjectNode pod = TestCluster.pod("owned", "web");
        ((ObjectNode) pod.path("metadata").path("labels")).put(Tenancy.LABEL, beta.id());
        JsonNode p = created(alice, "/api/v1/namespaces/owned/pods", pod);
        assertThat(p.path("metadata").path("labels").path(Tenancy.LABEL).asText()).isEqualTo(alpha.id());
        assertThat(p.path("metadata").path("labels").path("app").asText()).isEqualTo("web");

        // the tenant label cannot be changed or removed by any write
        KubeClient.Response patched = alice.patch("/api/v1/namespaces/owned/pods/web", "application/merge-patch+json",
                TestCluster.yaml("{metadata: {labels: {" + Tenancy.LABEL + ": null, app: api}}}"));
        assertThat(patched.code()).as(patched.text()).isEqualTo(200);
        assertThat(patched.json().path("metadata").path("labels").path(Tenancy.LABEL).asText()).isEqualTo(alpha.id());
        assertThat(patched.json().path("metadata").path("labels").path("app").asText()).isEqualTo("api");
        KubeClient.Response renamed = alice.patch("/api/v1/namespaces/owned", "application/merge-patch+json",
                TestCluster.yaml("{metadata: {labels: {" + Tenancy.LABEL + ": " + beta.id() + "}}}"));
        assertThat(renamed.json().path("metadata").path("labels").path(Tenancy.LABEL).asText()).isEqualTo(alpha.id());
        assertThat(bob.get("/api/v1/namespaces/owned/pods/web").code()).isEqualTo(404);
    }

    @Test
    void aMemberScalesItsDeploymentAndAReaderCannot() {
        created(alice, "/api/v1/namespaces", TestCluster.namespace("scaled"));
        created(alice, "/apis/apps/v1/namespaces/scaled/deployments", TestCluster.yaml("{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, "
                + "spec: {selector: {matchLabels: {app: w}}, template: {metadata: {labels: {app: w}}, spec: {containers: [{name: c, image: nginx}]}}}}"));
        String scale = "{\"spec\":{\"replicas\":4}}";
        KubeClient.Response scaled = alice.send("PATCH", "/apis/apps/v1/namespaces/scaled/deployments/web/scale",
                scale.getBytes(StandardCharsets.UTF_8), "application/merge-patch+json", "application/json");
        assertThat(scaled.code()).as(scaled.text()).isEqualTo(200);
        assertThat(alice.get("/apis/apps/v1/namespaces/scaled/deployments/web").json().at("/spec/replicas").asInt()).isEqualTo(4);
        assertThat(alice.get("/apis/apps/v1/namespaces/scaled/deployments/web").json().at("/metadata/labels").path(Tenancy.LABEL).asText()).isEqualTo(alpha.id());
        assertThat(rita.send("PATCH", "/apis/apps/v1/namespaces/scaled/deployments/web/scale", scale.getBytes(StandardCharsets.UTF_8),
                "application/merge-patch+json", "application/json").code()).isEqualTo(403);
        assertThat(bob.send("PATCH", "/apis/apps/v1/namespaces/scaled/deployments/web/scale", scale.getBytes(StandardCharsets.UTF_8),
                "application/merge-patch+json", "application/json").code()).isEqualTo(404);
    }

    @Test
    void aReaderReadsItsTenantAndWritesNothing() {
        created(alice, "/api/v1/namespaces", TestCluster.namespace("readable"));
        created(alice, "/api/v1/namespaces/readable/configmaps", TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {k: v}}"));
        created(bob, "/api/v1/namespaces", TestCluster.namespace("bobs"));
        long before = cluster.revision();
        assertThat(rita.get("/api/v1/namespaces/readable/configmaps/c").code()).isEqualTo(200);
        assertThat(rita.get("/api/v1/namespaces").json().path("items").findValuesAsText("name")).contains("readable").doesNotContain("bobs");
        KubeClient.Response write = rita.post("/api/v1/namespaces/readable/configmaps", TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: d}}"));
        assertThat(write.code()).isEqualTo(403);
        assertThat(write.json().path("message").asText())
                .isEqualTo("configmaps is forbidden: User \"rita\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"readable\"");
        assertThat(rita.delete("/api/v1/namespaces/readable/configmaps/c").code()).isEqualTo(403);
        // in another tenant's namespace the same write is answered as if the namespace did not exist
        KubeClient.Response elsewhere = rita.post("/api/v1/namespaces/bobs/configmaps", TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: d}}"));
        assertThat(elsewhere.code()).isEqualTo(404);
        assertThat(elsewhere.json().path("message").asText()).isEqualTo("namespaces \"bobs\" not found");
        assertThat(rita.post("/api/v1/namespaces", TestCluster.namespace("ritas")).code()).isEqualTo(403);
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void infrastructureAndControlPlaneSubresourcesAreForAdmins() {
        created(alice, "/api/v1/namespaces", TestCluster.namespace("plane"));
        created(alice, "/api/v1/namespaces/plane/pods", TestCluster.pod("plane", "p"));
        assertThat(alice.get("/api/v1/nodes").code()).isEqualTo(403);
        assertThat(alice.get("/metrics").code()).isEqualTo(403);
        KubeClient.Response bind = alice.post("/api/v1/namespaces/plane/pods/p/binding",
                TestCluster.yaml("{apiVersion: v1, kind: Binding, metadata: {name: p}, target: {name: node-1}}"));
        assertThat(bind.code()).isEqualTo(403);
        KubeClient.Response status = alice.send("PATCH", "/api/v1/namespaces/plane/pods/p/status",
                "{\"status\":{\"phase\":\"Running\"}}".getBytes(StandardCharsets.UTF_8), "application/merge-patch+json", "application/json");
        assertThat(status.code()).isEqualTo(403);
        assertThat(alice.get("/api/v1/namespaces/plane/pods/p/status").code()).isEqualTo(200);
        // discovery and OpenAPI are for every authenticated user, as kubectl needs them
        assertThat(alice.get("/api/v1").code()).isEqualTo(200);
        assertThat(alice.get("/openapi/v2").code()).isEqualTo(200);
        // kubectl auth whoami: the user as its token maps
        KubeClient.Response whoami = alice.send("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}".getBytes(StandardCharsets.UTF_8),
                "application/json", "application/json");
        assertThat(whoami.code()).isEqualTo(201);
        assertThat(whoami.json().at("/status/userInfo/username").asText()).isEqualTo("alice");
        assertThat(whoami.json().at("/status/userInfo/groups").toString()).contains(alpha.id());
        assertThat(whoami.json().at("/status/userInfo/extra").path("alpha.kubernetes.io/identity/roles").toString()).contains("member");
        // kubectl auth can-i: the authorizer's answer, with another tenant's namespace as one that does not exist
        assertThat(canI(alice, "create", "pods", "plane")).isTrue();
        assertThat(canI(alice, "list", "nodes", null)).isFalse();
        assertThat(canI(rita, "create", "pods", "plane")).isFalse();
        assertThat(canI(rita, "get", "pods", "plane")).isTrue();
        assertThat(canI(bob, "get", "pods", "plane")).isFalse();
        assertThat(canI(bob, "get", "pods", "no-such-namespace")).isFalse();
        assertThat(canI(bob, "create", "namespaces", null)).isTrue();
        // an unscoped token authenticates but may touch no resource
        assertThat(unscoped.get("/api").code()).isEqualTo(200);
        assertThat(unscoped.get("/api/v1/namespaces").code()).isEqualTo(403);
        assertThat(cluster.anonymousClient().get("/api/v1/namespaces").code()).isEqualTo(401);
        // the administrator sees every tenant's namespaces, with their tenants
        JsonNode all = cluster.get("/api/v1/namespaces/plane");
        assertThat(all.path("metadata").path("labels").path(Tenancy.LABEL).asText()).isEqualTo(alpha.id());
    }

    @Test
    void networksBelongToTheTenantTheyName() {
        String network = "{apiVersion: v1, kind: Network, metadata: {name: %s}, spec: {tenantID: %s, subnets: {s: {cidr: 10.1.0.0/24, gateway: 10.1.0.1}}}}";
        KubeClient.Response foreign = alice.post("/api/v1/networks", TestCluster.yaml(network.formatted("theirs", beta.id())));
        assertThat(foreign.code()).as(foreign.text()).isEqualTo(403);
        created(alice, "/api/v1/networks", TestCluster.yaml(network.formatted("alpha-net", alpha.id())));
        assertThat(bob.get("/api/v1/networks/alpha-net").code()).isEqualTo(404);
        assertThat(bob.get("/api/v1/networks").json().path("items")).isEmpty();
        // bob cannot join alpha's network, even knowing its name
        KubeClient.Response join = bob.post("/api/v1/namespaces",
                TestCluster.yaml("{apiVersion: v1, kind: Namespace, metadata: {name: joiner}, spec: {network: alpha-net}}"));
        assertThat(join.code()).isEqualTo(422);
        assertThat(join.json().path("message").asText()).contains("no such network");
        created(alice, "/api/v1/namespaces", TestCluster.yaml("{apiVersion: v1, kind: Namespace, metadata: {name: joined}, spec: {network: alpha-net}}"));
        // a Keystone administrator must name a project that exists
        String nobody = "0123456789abcdef0123456789abcdef";
        KubeClient.Response ghost = ada.post("/api/v1/networks", TestCluster.yaml(network.formatted("ghost", nobody)));
        assertThat(ghost.code()).as(ghost.text()).isEqualTo(422);
        assertThat(ghost.json().path("message").asText()).contains("existing Keystone project");
        // the certificate administrator may (a project of an external Keystone, the seed's example) and is warned
        KubeClient.Response warned = cluster.client.post("/api/v1/networks", TestCluster.yaml(network.formatted("ghost", nobody)));
        assertThat(warned.code()).as(warned.text()).isEqualTo(201);
        assertThat(warned.header("Warning").orElse("")).contains("is not a Keystone project this cluster knows");
        // and a dry run of a name another tenant holds answers as the create would
        KubeClient.Response dry = bob.post("/api/v1/networks?dryRun=All", TestCluster.yaml(network.formatted("alpha-net", beta.id())));
        assertThat(dry.code()).isEqualTo(409);
    }

    @Test
    void aNodeAgentReadsWhatItRunsAndWritesOnlyItsNodeItsLeaseAndItsPods() throws Exception {
        created(alice, "/api/v1/namespaces", TestCluster.namespace("scheduled"));
        for (String[] pod : new String[][] {{"work", "node-1"}, {"elsewhere", "node-2"}}) {
            com.fasterxml.jackson.databind.node.ObjectNode p = TestCluster.pod("scheduled", pod[0]);
            p.withObject("/spec").put("nodeName", pod[1]);
            created(alice, "/api/v1/namespaces/scheduled/pods", p);
        }
        try (KubeClient node = KubeClient.fromKubeconfig(cluster.server.nodeKubeconfig("node-1"))) {
            assertThat(node.get("/api/v1/pods").json().path("items").findValuesAsText("name")).contains("work", "elsewhere");
            assertThat(node.post("/api/v1/nodes", TestCluster.yaml("{apiVersion: v1, kind: Node, metadata: {name: node-1}}")).code()).isEqualTo(201);
            KubeClient.Response status = node.send("PATCH", "/api/v1/namespaces/scheduled/pods/work/status",
                    "{\"status\":{\"phase\":\"Running\"}}".getBytes(StandardCharsets.UTF_8), "application/merge-patch+json", "application/json");
            assertThat(status.code()).as(status.text()).isEqualTo(200);
            assertThat(node.post("/api/v1/namespaces", TestCluster.namespace("nodes-own")).code()).isEqualTo(403);
            assertThat(node.post("/api/v1/namespaces/scheduled/pods", TestCluster.pod("scheduled", "extra")).code()).isEqualTo(403);

            // NodeRestriction: not another node, its lease, or its pods
            KubeClient.Response other = node.post("/api/v1/nodes", TestCluster.yaml("{apiVersion: v1, kind: Node, metadata: {name: node-2}}"));
            assertThat(other.code()).isEqualTo(403);
            assertThat(other.json().path("message").asText()).isEqualTo("nodes \"node-2\" is forbidden: node \"node-1\" is not allowed to modify node \"node-2\"");
            assertThat(node.post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                    TestCluster.yaml("{apiVersion: coordination.k8s.io/v1, kind: Lease, metadata: {name: node-2}, spec: {holderIdentity: node-2}}")).code())
                    .isEqualTo(403);
            assertThat(node.post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                    TestCluster.yaml("{apiVersion: coordination.k8s.io/v1, kind: Lease, metadata: {name: node-1}, spec: {holderIdentity: node-1}}")).code())
                    .isEqualTo(201);
            KubeClient.Response foreign = node.send("PATCH", "/api/v1/namespaces/scheduled/pods/elsewhere/status",
                    "{\"status\":{\"phase\":\"Failed\"}}".getBytes(StandardCharsets.UTF_8), "application/merge-patch+json", "application/json");
            assertThat(foreign.code()).isEqualTo(403);
            assertThat(foreign.json().path("message").asText()).contains("can only update or delete pods with spec.nodeName set to itself");
            assertThat(node.delete("/api/v1/namespaces/scheduled/pods/elsewhere").code()).isEqualTo(403);
            assertThat(alice.get("/api/v1/namespaces/scheduled/pods/elsewhere").json().path("status").path("phase").asText()).isNotEqualTo("Failed");

            assertThat(node.delete("/api/v1/namespaces/scheduled/pods/work").code()).isEqualTo(200);
        }
        assertThat(cluster.server.nodeKubeconfig("node-1")).isRegularFile();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> cluster.server.nodeKubeconfig("../escape"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theAuditLogNamesTheKeystoneUserOfEveryWriteAndRefusal() throws Exception {
        created(alice, "/api/v1/namespaces", TestCluster.namespace("audited"));
        assertThat(rita.post("/api/v1/namespaces/audited/configmaps", TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: x}}")).code()).isEqualTo(403);
        List<JsonNode> events = new ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(cluster.dataDir.resolve("audit.log"))) events.add(Json.parse(line.getBytes(StandardCharsets.UTF_8)));
        JsonNode create = events.stream().filter(e -> e.path("verb").asText().equals("create")
                && e.path("objectRef").path("resource").asText().equals("namespaces") && e.path("user").path("username").asText().equals("alice"))
                .findFirst().orElseThrow();
        assertThat(create.path("kind").asText()).isEqualTo("Event");
        assertThat(create.path("verb").asText()).isEqualTo("create");
        assertThat(create.path("user").path("username").asText()).isEqualTo("alice");
        assertThat(create.path("user").path("groups").findValuesAsText("groups")).isEmpty();
        assertThat(create.path("user").path("groups").toString()).contains(alpha.id());
        assertThat(create.path("user").path("extra").path("alpha.kubernetes.io/identity/roles").toString()).contains("member");
        assertThat(create.path("responseStatus").path("code").asInt()).isEqualTo(201);
        assertThat(create.path("sourceIPs").get(0).asText()).isEqualTo("127.0.0.1");
        JsonNode refused = events.stream().filter(e -> e.path("user").path("username").asText().equals("rita")
                && e.path("objectRef").path("namespace").asText().equals("audited")).findFirst().orElseThrow();
        assertThat(refused.path("responseStatus").path("code").asInt()).isEqualTo(403);
        assertThat(refused.path("objectRef").path("resource").asText()).isEqualTo("configmaps");
        assertThat(java.nio.file.Files.getPosixFilePermissions(cluster.dataDir.resolve("audit.log")))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }

    private static boolean canI(KubeClient who, String verb, String resource, String namespace) {
        String attributes = "{\"verb\":\"" + verb + "\",\"resource\":\"" + resource + "\""
                + (namespace == null ? "" : ",\"namespace\":\"" + namespace + "\"") + "}";
        KubeClient.Response r = who.send("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                ("{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":"
                        + attributes + "}}").getBytes(StandardCharsets.UTF_8), "application/json", "application/json");
        assertThat(r.code()).as(r.text()).isEqualTo(201);
        return r.json().at("/status/allowed").asBoolean();
    }

    /**
     * The isolation matrix: bob (tenant beta) probes every resource of alice's (tenant alpha) with every verb and
     * route. A probe leaks if its answer carries anything of alpha's (an object's uid, a canary label value, the
     * project id) or if it changed any of alpha's objects.
     */
    @Test
    void isolationMatrix() {
        String ns = "alpha-private";
        created(alice, "/api/v1/namespaces", TestCluster.namespace(ns));
        String canary = "canary-" + UUID.randomUUID();
        Map<String, ObjectNode> objects = new LinkedHashMap<>();
        objects.put("pods", TestCluster.pod(ns, "secret-pod"));
        objects.put("services", TestCluster.yaml("{apiVersion: v1, kind: Service, metadata: {name: secret-svc}, spec: {ports: [{port: 80}]}}"));
        objects.put("endpoints", TestCluster.yaml("{apiVersion: v1, kind: Endpoints, metadata: {name: secret-ep}}"));
        objects.put("configmaps", TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: secret-cm}, data: {k: " + canary + "}}"));
        objects.put("secrets", TestCluster.yaml("{apiVersion: v1, kind: Secret, metadata: {name: secret-s}, stringData: {k: " + canary + "}}"));
        objects.put("events", TestCluster.yaml("{apiVersion: v1, kind: Event, metadata: {name: secret-ev}, involvedObject: {kind: Pod, name: secret-pod, namespace: "
                + ns + "}, reason: Secret, message: " + canary + "}"));
        String template = "{selector: {matchLabels: {app: w}}, template: {metadata: {labels: {app: w}}, spec: {containers: [{name: c, image: nginx}]}}}";
        objects.put("deployments", TestCluster.yaml("{apiVersion: apps/v1, kind: Deployment, metadata: {name: secret-deploy}, spec: " + template + "}"));
        objects.put("replicasets", TestCluster.yaml("{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: secret-rs}, spec: " + template + "}"));
        objects.put("leases", TestCluster.yaml("{apiVersion: coordination.k8s.io/v1, kind: Lease, metadata: {name: secret-lease}, spec: {holderIdentity: "
                + canary + "}}"));
        List<String> secrets = new ArrayList<>(List.of(canary, alpha.id()));
        Map<String, String> paths = new LinkedHashMap<>();
        for (var e : objects.entrySet()) {
            ((ObjectNode) e.getValue().withObject("/metadata")).withObject("/labels").put("canary", canary);
            String collection = base(e.getKey()) + "/namespaces/" + ns + "/" + e.getKey();
            JsonNode made = created(alice, collection, e.getValue());
            secrets.add(made.path("metadata").path("uid").asText());
            paths.put(e.getKey(), collection + "/" + made.path("metadata").path("name").asText());
        }
        JsonNode nsObj = cluster.get("/api/v1/namespaces/" + ns);
        secrets.add(nsObj.path("metadata").path("uid").asText());
        paths.put("namespaces", "/api/v1/namespaces/" + ns);
        JsonNode net = created(alice, "/api/v1/networks", TestCluster.yaml(
                "{apiVersion: v1, kind: Network, metadata: {name: alpha-matrix, labels: {canary: " + canary + "}}, spec: {tenantID: " + alpha.id() + "}}"));
        secrets.add(net.path("metadata").path("uid").asText());
        paths.put("networks", "/api/v1/networks/alpha-matrix");
        Map<String, String> versions = versions(paths);
        // the control: the owner's own read shows what the probes look for
        assertThat(alice.get(paths.get("configmaps")).text()).contains(canary, alpha.id());
        String history = "1";

        List<Probe> probes = new ArrayList<>();
        for (var e : paths.entrySet()) {
            String resource = e.getKey();
            String object = e.getValue();
            boolean namespaced = !resource.equals("namespaces") && !resource.equals("networks");
            String base = base(resource);
            String apiVersion = base.equals("/api/v1") ? "v1" : base.substring("/apis/".length());
            String inNs = namespaced ? base + "/namespaces/" + ns + "/" + resource : base + "/" + resource;
            String all = base + "/" + resource;
            String name = object.substring(object.lastIndexOf('/') + 1);
            String rv = versions.get(resource);
            List<String[]> requests = new ArrayList<>();
            for (String q : List.of("", "?labelSelector=canary%3D" + canary, "?fieldSelector=metadata.name%3D" + name,
                    "?resourceVersion=" + rv + "&resourceVersionMatch=Exact", "?limit=1", "?resourceVersion=0")) {
                requests.add(new String[] {"GET", inNs + q, null, null});
                requests.add(new String[] {"GET", all + q, null, null});
            }
            for (String w : List.of("?watch=1&timeoutSeconds=1", "?watch=1&timeoutSeconds=1&resourceVersion=" + history,
                    "?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3D" + name, "?watch=1&timeoutSeconds=1&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan")) {
                requests.add(new String[] {"GET", inNs + w, null, null});
                requests.add(new String[] {"GET", all + w, null, null});
            }
            requests.add(new String[] {"GET", object, null, null});
            requests.add(new String[] {"GET", object + "?resourceVersion=" + rv, null, null});
            requests.add(new String[] {"GET", object + "/status", null, null});
            requests.add(new String[] {"GET", base + "/watch/" + object.substring(base.length() + 1) + "?timeoutSeconds=1", null, null});
            requests.add(new String[] {"PUT", object, "{\"apiVersion\":\"" + apiVersion + "\",\"kind\":\"" + kind(resource) + "\",\"metadata\":{\"name\":\"" + name + "\"}}", "application/json"});
            requests.add(new String[] {"PUT", object + "/status", "{\"apiVersion\":\"" + apiVersion + "\",\"kind\":\"" + kind(resource) + "\",\"metadata\":{\"name\":\"" + name + "\"}}", "application/json"});
            requests.add(new String[] {"PATCH", object, "{\"metadata\":{\"labels\":{\"owned\":\"bob\"}}}", "application/merge-patch+json"});
            requests.add(new String[] {"PATCH", object, "{\"metadata\":{\"labels\":{\"owned\":\"bob\"}}}", "application/strategic-merge-patch+json"});
            requests.add(new String[] {"PATCH", object, "[{\"op\":\"add\",\"path\":\"/metadata/labels/owned\",\"value\":\"bob\"}]", "application/json-patch+json"});
            requests.add(new String[] {"PATCH", object + "?fieldManager=bob&force=true", "{\"apiVersion\":\"" + apiVersion + "\",\"kind\":\"" + kind(resource)
                    + "\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"owned\":\"bob\"}}}", "application/apply-patch+yaml"});
            requests.add(new String[] {"PATCH", object + "/status", "{\"status\":{}}", "application/merge-patch+json"});
            requests.add(new String[] {"DELETE", object, null, null});
            requests.add(new String[] {"DELETE", object + "?gracePeriodSeconds=0", "{\"preconditions\":{\"uid\":\"x\"}}", "application/json"});
            if (namespaced) {
                requests.add(new String[] {"DELETE", inNs, null, null});
                requests.add(new String[] {"DELETE", inNs + "?labelSelector=canary%3D" + canary, null, null});
                requests.add(new String[] {"POST", inNs, "{\"apiVersion\":\"" + apiVersion + "\",\"kind\":\"" + kind(resource) + "\",\"metadata\":{\"name\":\"bobs-" + resource + "\"}}", "application/json"});
            }
            if (resource.equals("deployments") || resource.equals("replicasets")) {
                requests.add(new String[] {"GET", object + "/scale", null, null});
                requests.add(new String[] {"PUT", object + "/scale", "{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"Scale\",\"metadata\":{\"name\":\""
                        + name + "\"},\"spec\":{\"replicas\":7}}", "application/json"});
                requests.add(new String[] {"PATCH", object + "/scale", "{\"spec\":{\"replicas\":7}}", "application/merge-patch+json"});
            }
            if (resource.equals("pods")) {
                requests.add(new String[] {"POST", object + "/binding", "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"" + name + "\"},\"target\":{\"name\":\"n\"}}", "application/json"});
            }
            if (resource.equals("namespaces")) {
                requests.add(new String[] {"PUT", object + "/finalize", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"finalizers\":[]}}", "application/json"});
            }
            for (String accept : List.of("application/json", "application/json;as=Table;v=v1;g=meta.k8s.io", "application/vnd.kubernetes.protobuf")) {
                for (String[] req : requests) {
                    if (!accept.equals("application/json") && !req[0].equals("GET")) continue;
                    probes.add(new Probe(req[0], req[1], req[2], req[3], accept, inNs));
                }
            }
        }
        // the probes are independent (all of them should fail or see nothing), so they run side by side: most
        // are watches that last their timeoutSeconds
        List<String> leaks = java.util.Collections.synchronizedList(new ArrayList<>());
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var slots = new java.util.concurrent.Semaphore(32);
            for (Probe p : probes) {
                pool.submit(() -> {
                    slots.acquireUninterruptibly();
                    try {
                        p.run(secrets, leaks);
                    } finally {
                        slots.release();
                    }
                });
            }
        }
        assertThat(versions(paths)).as("alpha's objects are unchanged").isEqualTo(versions);
        System.out.printf("isolation matrix (raw HTTP): %d probes, %d leaks%n", probes.size(), leaks.size());
        assertThat(leaks).isEmpty();
        assertThat(probes.size()).isGreaterThan(300);
    }

    /** One request bob makes against alpha's objects; {@code inNs} is the collection in alpha's namespace. */
    record Probe(String method, String path, String body, String contentType, String accept, String inNs) {
        void run(List<String> secrets, List<String> leaks) {
            KubeClient.Response r = bob.send(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), contentType, accept);
            String text = new String(r.body(), StandardCharsets.ISO_8859_1);
            String probe = method + " " + path + " (" + accept + ") -> " + r.code();
            for (String s : secrets) {
                if (text.contains(s)) leaks.add(probe + " shows " + s);
            }
            // a write that succeeded must have been one that touches nothing of alpha's: a deletecollection in
            // alpha's namespace that found nothing to delete
            boolean emptyCollectionDelete = method.equals("DELETE") && (path.equals(inNs) || path.startsWith(inNs + "?"));
            if (r.code() / 100 == 2 && !method.equals("GET") && !emptyCollectionDelete) leaks.add(probe + " succeeded");
            boolean controlPlane = path.contains("/status") || path.contains("/binding") || path.contains("/finalize");
            if (r.code() == 403 && !controlPlane) leaks.add(probe + " is a 403, which shows the object exists: " + r.text());
        }
    }

    /** Where a resource is served: the core group or its own. */
    private static String base(String resource) {
        return switch (resource) {
            case "deployments", "replicasets" -> "/apis/apps/v1";
            case "leases" -> "/apis/coordination.k8s.io/v1";
            default -> "/api/v1";
        };
    }

    private static String kind(String resource) {
        return switch (resource) {
            case "endpoints" -> "Endpoints";
            case "configmaps" -> "ConfigMap";
            case "replicasets" -> "ReplicaSet";
            default -> Character.toUpperCase(resource.charAt(0)) + resource.substring(1, resource.length() - 1);
        };
    }

    private static Map<String, String> versions(Map<String, String> paths) {
        Map<String, String> out = new LinkedHashMap<>();
        paths.forEach((resource, path) -> out.put(resource, cluster.get(path).path("metadata").path("resourceVersion").asText()));
        return out;
    }
}
