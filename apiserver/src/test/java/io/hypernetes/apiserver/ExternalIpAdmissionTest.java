package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import io.hypernetes.identity.Project;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Admission of Services' external addresses (CVE-2020-8554) over real HTTPS with Keystone tokens: two tenants with
 * a member each, a Keystone admin and the certificate administrator. Every refusal is checked to have written
 * nothing (the store's revision stands still) and never to name the other tenant or its Service.
 */
class ExternalIpAdmissionTest {
    static Tenants tenants;
    static Project alpha;
    static Project beta;
    static KubeClient alice; // member of alpha, namespace ext-a
    static KubeClient bob;   // member of beta, namespace ext-b
    static KubeClient ada;   // Keystone admin (in alpha)
    static KubeClient admin; // system:masters certificate
    static TestCluster cluster;

    @BeforeAll
    static void start() {
        tenants = Tenants.start();
        cluster = tenants.cluster;
        admin = cluster.client;
        alpha = tenants.project("alpha");
        beta = tenants.project("beta");
        alice = tenants.client(tenants.user("alice", tenants.member, alpha), alpha);
        bob = tenants.client(tenants.user("bob", tenants.member, beta), beta);
        ada = tenants.client(tenants.user("ada", tenants.admin, alpha), alpha);
        ok(alice.post("/api/v1/namespaces", TestCluster.namespace("ext-a")), 201);
        ok(bob.post("/api/v1/namespaces", TestCluster.namespace("ext-b")), 201);
        // the shared pool every tenant may use; 10.96.0.0/28 is allowed too, to show the policy cannot open the
        // cluster's own ranges
        ok(admin.post("/api/v1/namespaces/kube-system/configmaps", TestCluster.yaml(
                "{apiVersion: v1, kind: ConfigMap, metadata: {name: external-ips}, data: {default: '203.0.113.0/24, 10.96.0.0/28'}}")), 201);
    }

    @AfterAll
    static void stop() {
        tenants.close();
    }

    static KubeClient.Response ok(KubeClient.Response r, int code) {
        assertThat(r.code()).as(r.text()).isEqualTo(code);
        return r;
    }

    static ObjectNode service(String name, String... ips) {
        ObjectNode svc = TestCluster.yaml("{apiVersion: v1, kind: Service, metadata: {name: %s}, spec: {selector: {app: web}, ports: [{port: 80}]}}"
                .formatted(name));
        if (ips.length > 0) {
            ArrayNode list = svc.withObject("/spec").putArray("externalIPs");
            for (String ip : ips) list.add(ip);
        }
        return svc;
    }

    static String services(String ns) {
        return "/api/v1/namespaces/" + ns + "/services";
    }

    /** A refusal: the code, that nothing was written, and what it must not reveal. Returns the Status. */
    static JsonNode refused(KubeClient.Response r, int code, long revisionBefore) {
        assertThat(r.code()).as(r.text()).isEqualTo(code);
        assertThat(cluster.revision()).as("a refused request writes nothing").isEqualTo(revisionBefore);
        assertThat(r.text()).doesNotContain(alpha.id()).doesNotContain(beta.id()).doesNotContain("ext-a").doesNotContain("alpha");
        return r.json();
    }

    static List<String> causeFields(JsonNode status) {
        List<String> fields = new ArrayList<>();
        status.path("details").path("causes").forEach(c -> fields.add(c.path("field").asText()));
        return fields;
    }

    @Test
    void anAddressAnotherTenantUsesIsInUseAndFreeOnceItsLastServiceLetsGo() {
        ok(alice.post(services("ext-a"), service("owner", "203.0.113.7")), 201);
        // the same tenant shares it (another port, as in Kubernetes)
        ObjectNode second = service("owner-two", "203.0.113.7");
        ((ObjectNode) second.path("spec").path("ports").get(0)).put("port", 443);
        ok(alice.post(services("ext-a"), second), 201);

        long before = cluster.revision();
        JsonNode status = refused(bob.post(services("ext-b"), service("thief", "203.0.113.7")), 422, before);
        assertThat(status.path("reason").asText()).isEqualTo("Invalid");
        assertThat(status.path("message").asText())
                .isEqualTo("Service \"thief\" is invalid: spec.externalIPs[0]: Invalid value: \"203.0.113.7\": is in use");
        assertThat(causeFields(status)).containsExactly("spec.externalIPs[0]");
        assertThat(bob.get(services("ext-b") + "/thief").code()).isEqualTo(404);

        ok(alice.delete(services("ext-a") + "/owner"), 200);
        before = cluster.revision();
        refused(bob.post(services("ext-b"), service("thief", "203.0.113.7")), 422, before);
        ok(alice.delete(services("ext-a") + "/owner-two"), 200);
        ok(bob.post(services("ext-b"), service("thief", "203.0.113.7")), 201);
        // and now it is beta's
        before = cluster.revision();
        refused(alice.post(services("ext-a"), service("back", "203.0.113.7")), 422, before);
        ok(bob.delete(services("ext-b") + "/thief"), 200);
    }

    @Test
    void everyVerbThatChangesTheSpecIsAdmittedAndARefusalChangesNothing() {
        ok(alice.post(services("ext-a"), service("held", "203.0.113.20")), 201);
        JsonNode mine = ok(bob.post(services("ext-b"), service("edited")), 201).json();
        String path = services("ext-b") + "/edited";

        ObjectNode put = (ObjectNode) mine.deepCopy();
        put.withObject("/spec").putArray("externalIPs").add("203.0.113.21").add("203.0.113.20");
        long before = cluster.revision();
        JsonNode status = refused(bob.put(path, put), 422, before);
        assertThat(causeFields(status)).containsExactly("spec.externalIPs[1]");
        assertThat(status.path("message").asText()).endsWith("spec.externalIPs[1]: Invalid value: \"203.0.113.20\": is in use");

        before = cluster.revision();
        refused(bob.patch(path, "application/merge-patch+json", TestCluster.yaml("{spec: {externalIPs: [203.0.113.20]}}")), 422, before);
        refused(bob.patch(path, "application/strategic-merge-patch+json", TestCluster.yaml("{spec: {externalIPs: [203.0.113.20]}}")), 422, before);
        refused(bob.send("PATCH", path, "[{\"op\":\"add\",\"path\":\"/spec/externalIPs\",\"value\":[\"203.0.113.20\"]}]"
                .getBytes(StandardCharsets.UTF_8), "application/json-patch+json", "application/json"), 422, before);
        refused(bob.send("PATCH", path + "?fieldManager=tester", """
                apiVersion: v1
                kind: Service
                metadata: {name: edited}
                spec: {externalIPs: [203.0.113.20]}
                """.getBytes(StandardCharsets.UTF_8), "application/apply-patch+yaml", "application/json"), 422, before);
        // a server-side apply that creates is held to it as well
        refused(bob.send("PATCH", services("ext-b") + "/applied?fieldManager=tester", """
                apiVersion: v1
                kind: Service
                metadata: {name: applied}
                spec: {ports: [{port: 80}], externalIPs: [203.0.113.20]}
                """.getBytes(StandardCharsets.UTF_8), "application/apply-patch+yaml", "application/json"), 422, before);
        assertThat(bob.get(path).json().path("spec").has("externalIPs")).isFalse();

        // a free address goes in by patch; dropping it gives it back, so the other tenant may take it
        JsonNode patched = ok(bob.patch(path, "application/merge-patch+json", TestCluster.yaml("{spec: {externalIPs: [203.0.113.21]}}")), 200).json();
        assertThat(patched.path("spec").path("externalIPs").toString()).isEqualTo("[\"203.0.113.21\"]");
        before = cluster.revision();
        refused(alice.patch(services("ext-a") + "/held", "application/merge-patch+json",
                TestCluster.yaml("{spec: {externalIPs: [203.0.113.20, 203.0.113.21]}}")), 422, before);
        ok(bob.patch(path, "application/merge-patch+json", TestCluster.yaml("{spec: {externalIPs: null}}")), 200);
        ok(alice.patch(services("ext-a") + "/held", "application/merge-patch+json",
                TestCluster.yaml("{spec: {externalIPs: [203.0.113.20, 203.0.113.21]}}")), 200);
        // an update that keeps what the Service already held and changes something else is not judged again
        ok(alice.patch(services("ext-a") + "/held", "application/merge-patch+json", TestCluster.yaml("{metadata: {labels: {tier: web}}}")), 200);
        ok(alice.delete(services("ext-a") + "/held"), 200);
        ok(bob.delete(path), 200);
    }

    @Test
    void addressesOfTheClusterAndSpecialPurposeAddressesAreInvalidForEveryone() {
        // a node's underlay address and its pod range (the default network's pods)
        ok(admin.post("/api/v1/nodes", TestCluster.yaml("""
                {apiVersion: v1, kind: Node, metadata: {name: ext-node}, spec: {podCIDR: 10.244.7.0/24},
                 status: {addresses: [{type: InternalIP, address: 198.18.0.50}, {type: Hostname, address: ext-node}]}}""")), 201);
        String[][] cases = {
                {"127.0.0.1", "must not be a loopback address (127.0.0.0/8)"},
                {"169.254.169.254", "must not be a link-local address (169.254.0.0/16)"},
                {"224.0.0.251", "must not be a multicast address (224.0.0.0/4)"},
                {"0.0.0.0", "must not be in 0.0.0.0/8 (unspecified, this network)"},
                {"255.255.255.255", "must not be the broadcast address"},
                {"240.0.0.1", "must not be in the reserved block 240.0.0.0/4"},
                {"10.96.0.10", "must not be in the cluster's service IP range 10.96.0.0/12"},
                {"100.64.0.2", "must not be in the tenant networks' transit range 100.64.0.0/10"},
                {"198.18.0.50", "must not be the address of a node of this cluster"},
                {"10.244.7.9", "must not be in a node's pod range (spec.podCIDR)"},
                {"2001:db8::1", "must be an IPv4 address: tenant routers and the network node's routes are IPv4 only"},
                {"not-an-ip", "must be a valid IP address"},
                {"203.0.113.007", "must be a valid IP address"},
        };
        for (KubeClient who : List.of(admin, ada, bob)) {
            for (String[] c : cases) {
                long before = cluster.revision();
                JsonNode status = refused(who.post(services("ext-b"), service("special", c[0])), 422, before);
                assertThat(status.path("message").asText()).as(c[0])
                        .isEqualTo("Service \"special\" is invalid: spec.externalIPs[0]: Invalid value: \"" + c[0] + "\": " + c[1]);
            }
        }
        // a LoadBalancer's loadBalancerIP is routed the same way, and judged the same way
        ObjectNode lb = service("balanced");
        lb.withObject("/spec").put("type", "LoadBalancer").put("loadBalancerIP", "127.0.0.53");
        long before = cluster.revision();
        JsonNode status = refused(admin.post(services("ext-b"), lb), 422, before);
        assertThat(causeFields(status)).containsExactly("spec.loadBalancerIP");
        lb.withObject("/spec").put("loadBalancerIP", "garbage");
        assertThat(refused(bob.post(services("ext-b"), lb), 422, before).path("message").asText())
                .endsWith("spec.loadBalancerIP: Invalid value: \"garbage\": must be an IPv4 address such as 203.0.113.7");
        // several bad entries: one cause each
        status = refused(bob.post(services("ext-b"), service("many", "127.0.0.2", "203.0.113.30", "::1")), 422, before);
        assertThat(causeFields(status)).containsExactly("spec.externalIPs[0]", "spec.externalIPs[2]");
        ok(admin.delete("/api/v1/nodes/ext-node"), 200);
    }

    @Test
    void tenantsUseOnlyTheRangesTheAdministratorAllowsAndTheAdministratorAnyUnclaimedAddress() {
        long before = cluster.revision();
        JsonNode status = refused(bob.post(services("ext-b"), service("outside", "203.0.113.40", "198.51.100.9")), 403, before);
        assertThat(status.path("reason").asText()).isEqualTo("Forbidden");
        assertThat(status.path("message").asText()).isEqualTo("services \"outside\" is forbidden: spec.externalIPs[1]: 198.51.100.9 is not in "
                + "the external IP ranges your project may use (203.0.113.0/24,10.96.0.0/28, ConfigMap kube-system/external-ips)");

        // the administrators decide: both may put it on the tenant's Service, which then holds it for the tenant
        ok(admin.post(services("ext-b"), service("granted", "198.51.100.9")), 201);
        ok(ada.post(services("ext-b"), service("granted-too", "198.51.100.10")), 201);
        before = cluster.revision();
        refused(alice.post(services("ext-a"), service("squat", "198.51.100.9")), 403, before);
        // but not over another tenant's claim: one address routes to one tenant's router
        refused(admin.post(services("ext-a"), service("override", "198.51.100.9")), 422, before);
        // the tenant edits its Service freely while it keeps the granted address
        ok(bob.patch(services("ext-b") + "/granted", "application/merge-patch+json", TestCluster.yaml("{spec: {externalIPs: [198.51.100.9, 203.0.113.41]}}")), 200);

        // a project's own entry replaces the default; an entry that does not parse allows nothing
        ok(admin.patch("/api/v1/namespaces/kube-system/configmaps/external-ips", "application/merge-patch+json",
                TestCluster.yaml("{data: {" + beta.id() + ": 192.0.2.0/25, " + alpha.id() + ": 'not a range'}}")), 200);
        try {
            ok(bob.post(services("ext-b"), service("own-range", "192.0.2.7")), 201);
            before = cluster.revision();
            refused(bob.post(services("ext-b"), service("default-range", "203.0.113.42")), 403, before);
            assertThat(alice.post(services("ext-a"), service("broken-policy", "203.0.113.43")).text())
                    .contains("(none: ask the cluster administrator for a range, ConfigMap kube-system/external-ips)");
            // no policy at all: tenants may use none
            ok(admin.delete("/api/v1/namespaces/kube-system/configmaps/external-ips"), 200);
            before = cluster.revision();
            refused(bob.post(services("ext-b"), service("no-policy", "192.0.2.8")), 403, before);
        } finally {
            admin.delete("/api/v1/namespaces/kube-system/configmaps/external-ips");
            ok(admin.post("/api/v1/namespaces/kube-system/configmaps", TestCluster.yaml(
                    "{apiVersion: v1, kind: ConfigMap, metadata: {name: external-ips}, data: {default: '203.0.113.0/24, 10.96.0.0/28'}}")), 201);
        }
        for (String name : List.of("granted", "granted-too", "own-range")) ok(bob.delete(services("ext-b") + "/" + name), 200);
    }

    @Test
    void hostileInputGetsAClearErrorAndChangesNothing() {
        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i < 65; i++) tooMany.add("203.0.113." + (100 + i));
        long before = cluster.revision();
        JsonNode status = refused(bob.post(services("ext-b"), service("flood", tooMany.toArray(String[]::new))), 422, before);
        assertThat(status.path("message").asText())
                .isEqualTo("Service \"flood\" is invalid: spec.externalIPs: Too many: must have at most 64 items (has 65)");

        List<String> garbage = new ArrayList<>();
        for (int i = 0; i < 300; i++) garbage.add(i % 2 == 0 ? "x".repeat(i) + ";rm -rf /" : "fe80::" + i);
        status = refused(bob.post(services("ext-b"), service("garbage", garbage.toArray(String[]::new))), 422, before);
        assertThat(status.path("message").asText()).startsWith("Service \"garbage\" is invalid: [");
        assertThat(causeFields(status)).isNotEmpty();

        // a list repeating one address claims it once, and deleting the Service gives it back
        ok(bob.post(services("ext-b"), service("twice", "203.0.113.50", "203.0.113.50")), 201);
        ok(bob.delete(services("ext-b") + "/twice"), 200);
        ok(alice.post(services("ext-a"), service("after-twice", "203.0.113.50")), 201);
        ok(alice.delete(services("ext-a") + "/after-twice"), 200);
    }

    @Test
    void aDryRunAnswersAsTheWriteWouldAndClaimsNothing() {
        ok(alice.post(services("ext-a"), service("real", "203.0.113.60")), 201);
        long before = cluster.revision();
        refused(bob.post(services("ext-b") + "?dryRun=All", service("dry", "203.0.113.60")), 422, before);
        ok(bob.post(services("ext-b") + "?dryRun=All", service("dry", "203.0.113.61")), 201);
        assertThat(cluster.revision()).isEqualTo(before);
        ok(alice.post(services("ext-a"), service("taken-after-dry-run", "203.0.113.61")), 201);
        ok(alice.delete(services("ext-a") + "/real"), 200);
        ok(alice.delete(services("ext-a") + "/taken-after-dry-run"), 200);
    }

    @Test
    void twoTenantsRacingForAddressesNeverBothGetOne() throws Exception {
        int addresses = 24;
        List<Future<Integer>> alices = new ArrayList<>();
        List<Future<Integer>> bobs = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < addresses; i++) {
                String ip = "203.0.113." + (200 + i);
                int n = i;
                Callable<Integer> a = () -> alice.post(services("ext-a"), service("race-" + n, ip)).code();
                Callable<Integer> b = () -> bob.post(services("ext-b"), service("race-" + n, ip)).code();
                alices.add(pool.submit(a));
                bobs.add(pool.submit(b));
            }
        }
        int aliceWon = 0;
        for (int i = 0; i < addresses; i++) {
            int a = alices.get(i).get();
            int b = bobs.get(i).get();
            assertThat(List.of(a, b)).as("address %d: one 201 and one 422", i).containsExactlyInAnyOrder(201, 422);
            if (a == 201) aliceWon++;
        }
        System.out.printf("external IP race: alpha won %d of %d addresses, beta %d%n", aliceWon, addresses, addresses - aliceWon);
        for (int i = 0; i < addresses; i++) {
            KubeClient winner = alices.get(i).get() == 201 ? alice : bob;
            ok(winner.delete(services(winner == alice ? "ext-a" : "ext-b") + "/race-" + i), 200);
        }
    }

    @Test
    void stockKubectlShowsTheRefusal() throws Exception {
        Path kubectl = Path.of("/usr/lib/google-cloud-sdk/bin/kubectl.1.33");
        ok(alice.post(services("ext-a"), service("kubectl-owner", "203.0.113.70")), 201);
        Path manifest = cluster.dataDir.resolve("thief.yaml");
        Files.writeString(manifest, """
                apiVersion: v1
                kind: Service
                metadata:
                  name: kubectl-thief
                  namespace: ext-b
                spec:
                  ports:
                  - port: 80
                  externalIPs:
                  - 203.0.113.70
                """);
        Path config = tenants.kubeconfig("bob", beta);
        ProcessBuilder pb = new ProcessBuilder(kubectl.toString(), "--kubeconfig=" + config, "apply", "-f", manifest.toString())
                .redirectErrorStream(true);
        pb.environment().put("HOME", cluster.dataDir.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        String out;
        try {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("kubectl finished").isTrue();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
        assertThat(p.exitValue()).as(out).isNotZero();
        assertThat(out).contains("The Service \"kubectl-thief\" is invalid: spec.externalIPs[0]: Invalid value: \"203.0.113.70\": is in use")
                .doesNotContain("kubectl-owner").doesNotContain(alpha.id());
        assertThat(bob.get(services("ext-b") + "/kubectl-thief").code()).isEqualTo(404);
        ok(alice.delete(services("ext-a") + "/kubectl-owner"), 200);
    }
}
