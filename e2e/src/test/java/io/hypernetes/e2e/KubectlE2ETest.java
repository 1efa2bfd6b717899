package io.hypernetes.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Stock kubectl against {@code ./hypernetes up}: the steps a user takes, with the oldest and the newest kubectl on
 * this machine, each against a fresh cluster.
 */
class KubectlE2ETest {

    static List<Path> kubectls() {
        return Kubectl.oldestAndNewest();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kubectls")
    void userJourney(Path binary, @TempDir Path dir) throws Exception {
        try (Cluster cluster = Cluster.start(dir.resolve("data"))) {
            Kubectl k = new Kubectl(binary, cluster.kubeconfig());
            Path seed = dir.resolve("seed.yaml");
            try (InputStream in = KubectlE2ETest.class.getResourceAsStream("seed.yaml")) {
                Files.write(seed, in.readAllBytes());
            }
            String tenant = "065f210a2ca9442aad898ab129426350";

            assertThat(k.run("create", "namespace", "demo").ok().stdout()).contains("namespace/demo created");
            assertThat(k.run("auth", "whoami").ok().stdout()).contains("admin", "system:masters");
            assertThat(k.run("auth", "can-i", "create", "pods", "-n", "demo").ok().stdout().trim()).isEqualTo("yes");
            assertThat(k.run("get", "namespaces").ok().stdout()).contains("demo", "default", "kube-system", "Active");

            // The seed's Network, Namespace and Pod, as written.
            var seedApplied = k.run("apply", "-f", seed.toString()).ok();
            assertThat(seedApplied.stdout()).contains("network/net1 created", "namespace/ns1 created", "pod/nginx created");
            // the seed's tenantID names no project of this cluster's Keystone: the certificate admin may, and is told
            assertThat(seedApplied.stderr()).contains("Warning: spec.tenantID: \"" + tenant + "\" is not a Keystone project this cluster knows");
            assertThat(k.run("get", "namespace", "ns1", "-o", "jsonpath={.spec.network}").ok().stdout()).isEqualTo("net1");
            assertThat(k.run("get", "networks").ok().stdout()).contains("net1", tenant);

            String wide = k.run("get", "pods", "-n", "ns1", "-o", "wide").ok().stdout();
            assertThat(wide.lines().findFirst().orElseThrow())
                    .containsSubsequence("NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES");
            assertThat(wide).containsPattern("nginx\\s+0/1\\s+Pending\\s+0\\s+\\S+\\s+<none>\\s+<none>");

            String yaml = k.run("get", "pod", "nginx", "-n", "ns1", "-o", "yaml").ok().stdout();
            assertThat(yaml).contains("volumeID: 651b2a7b-683e-47e1-bdd6-e3c62e8f91c0", "fsType: ext4", "uid:", "resourceVersion:");

            // get -w sees the label change made while it watches.
            Path watchOut = dir.resolve("watch.out");
            Process watch = k.start(watchOut, "get", "pods", "-n", "ns1", "-w", "--show-labels");
            try {
                Cluster.awaitTrue(Duration.ofSeconds(30), () -> read(watchOut).contains("nginx"));
                assertThat(k.run("label", "pod", "nginx", "-n", "ns1", "tier=web").ok().stdout()).contains("pod/nginx labeled");
                Cluster.awaitTrue(Duration.ofSeconds(30), () -> read(watchOut).contains("tier=web"));
            } finally {
                watch.destroy();
            }

            // kubectl 1.27 prints "annotate", later ones "annotated"
            assertThat(k.run("annotate", "pod", "nginx", "-n", "ns1", "note=hello").ok().stdout()).contains("pod/nginx annotate");
            assertThat(k.run("get", "pod", "nginx", "-n", "ns1", "-o", "jsonpath={.metadata.labels.tier}/{.metadata.annotations.note}")
                    .ok().stdout()).isEqualTo("web/hello");

            // A changed re-apply goes through kubectl's client-side three-way patch.
            Files.writeString(seed, Files.readString(seed).replace("image: nginx", "image: nginx:1.25").replace("labels: {app: nginx}", "labels: {app: nginx, release: stable}"));
            assertThat(k.run("apply", "-f", seed.toString()).ok().stdout()).contains("pod/nginx configured");
            assertThat(k.run("get", "pod", "nginx", "-n", "ns1", "-o", "jsonpath={.spec.containers[0].image} {.metadata.labels.release} {.metadata.labels.tier}")
                    .ok().stdout()).isEqualTo("nginx:1.25 stable web");

            // Server-side apply of a changed manifest: the tier label is kubectl-label's, so changing it is a conflict
            // naming that manager and the field; forcing takes it over. Field ownership shows with --show-managed-fields.
            Files.writeString(seed, Files.readString(seed).replace("labels: {app: nginx, release: stable}", "labels: {app: nginx, release: stable, tier: backend}"));
            Kubectl.Result conflict = k.run("apply", "--server-side", "-f", seed.toString());
            assertThat(conflict.exit()).isNotZero();
            assertThat(conflict.stderr()).contains("Apply failed with 1 conflict: conflict with \"kubectl-label\" using v1: .metadata.labels.tier");
            assertThat(k.run("apply", "--server-side", "--force-conflicts", "-f", seed.toString()).ok().stdout()).contains("pod/nginx serverside-applied");
            assertThat(k.run("get", "pod", "nginx", "-n", "ns1", "-o", "jsonpath={.metadata.labels.tier}").ok().stdout()).isEqualTo("backend");
            String managed = k.run("get", "pod", "nginx", "-n", "ns1", "-o", "yaml", "--show-managed-fields").ok().stdout();
            assertThat(managed).contains("managedFields:", "manager: kubectl\n", "operation: Apply", "manager: kubectl-annotate",
                    "operation: Update", "fieldsType: FieldsV1", "f:tier: {}", "k:{\"name\":\"nginx\"}:");
            assertThat(managed).doesNotContain("manager: kubectl-label");
            assertThat(k.run("get", "pod", "nginx", "-n", "ns1", "-o", "yaml").ok().stdout()).doesNotContain("managedFields");

            // kubectl edit through an editor that rewrites the annotation.
            Map<String, String> editor = Map.of("KUBE_EDITOR", "sed -i s/note:\\ hello/note:\\ edited/");
            assertThat(k.run(editor, null, "edit", "pod", "nginx", "-n", "ns1").ok().stdout()).contains("pod/nginx edited");
            assertThat(k.run("get", "pod", "nginx", "-n", "ns1", "-o", "jsonpath={.metadata.annotations.note}").ok().stdout()).isEqualTo("edited");

            String described = k.run("describe", "pod", "nginx", "-n", "ns1").ok().stdout();
            assertThat(described).contains("Name:", "nginx", "Namespace:", "ns1", "Status:", "Pending", "nginx:1.25", "Volumes:");
            assertThat(k.run("describe", "network", "net1").ok().stdout()).contains("net1", tenant);

            String explained = k.run("explain", "pod.spec.containers").ok().stdout();
            assertThat(explained).contains("image", "FIELDS");
            assertThat(k.run("explain", "networks.spec").ok().stdout()).contains("tenantID");

            assertThat(k.run("delete", "pod", "nginx", "-n", "ns1").ok().stdout()).contains("pod \"nginx\" deleted");
            assertThat(k.run("get", "pods", "-n", "ns1").stderr()).contains("No resources found");

            // apps/v1: Deployments and the ReplicaSets their controller makes (no node agent yet, so no pod becomes
            // ready), the scale subresource, server-side printing, explain, server-side apply, and the garbage
            // collector removing a deleted Deployment's ReplicaSet and pods.
            assertThat(k.run("create", "deployment", "web", "--image=nginx", "--replicas=3", "-n", "demo").ok().stdout())
                    .contains("deployment.apps/web created");
            String deployments = k.run("get", "deploy", "-n", "demo", "-o", "wide").ok().stdout();
            assertThat(deployments.lines().findFirst().orElseThrow())
                    .containsSubsequence("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR");
            assertThat(deployments).containsPattern("web\\s+0/3\\s+\\d+\\s+0\\s+\\S+\\s+nginx\\s+nginx\\s+app=web");
            assertThat(k.run("scale", "deployment", "web", "--replicas=5", "-n", "demo").ok().stdout()).contains("deployment.apps/web scaled");
            assertThat(k.run("get", "deployment", "web", "-n", "demo", "-o", "jsonpath={.spec.replicas}").ok().stdout()).isEqualTo("5");
            Kubectl.poll(Duration.ofSeconds(30), () -> k.run("get", "rs", "-n", "demo", "-l", "app=web", "-o", "jsonpath={.items[*].spec.replicas}"),
                    r -> r.exit() == 0 && r.stdout().trim().equals("5"));
            Kubectl.poll(Duration.ofSeconds(30), () -> k.run("get", "pods", "-n", "demo", "-l", "app=web", "-o", "name"),
                    r -> r.exit() == 0 && r.stdout().lines().count() == 5);
            assertThat(k.run("explain", "deployment.spec.strategy").ok().stdout()).contains("rollingUpdate", "type");
            Path api = dir.resolve("api-deployment.yaml");
            Files.writeString(api, """
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: api, namespace: demo}
                    spec:
                      replicas: 2
                      selector: {matchLabels: {app: api}}
                      template:
                        metadata: {labels: {app: api}}
                        spec:
                          containers: [{name: api, image: "nginx:1.25"}]
                    """);
            assertThat(k.run("apply", "--server-side", "-f", api.toString()).ok().stdout()).contains("deployment.apps/api serverside-applied");
            assertThat(k.run("get", "deployment", "api", "-n", "demo", "-o", "jsonpath={.spec.strategy.type} {.spec.replicas}").ok().stdout())
                    .isEqualTo("RollingUpdate 2");
            assertThat(k.run("describe", "deployment", "api", "-n", "demo").ok().stdout()).contains("Name:", "api", "Replicas:", "nginx:1.25");
            assertThat(k.run("delete", "deployment", "web", "-n", "demo").ok().stdout()).contains("deployment.apps \"web\" deleted");
            assertThat(k.run("get", "deployments", "-n", "demo").ok().stdout()).doesNotContain("web");
            Kubectl.poll(Duration.ofSeconds(30), () -> k.run("get", "rs,pods", "-n", "demo", "-l", "app=web", "-o", "name"),
                    r -> r.exit() == 0 && r.stdout().isBlank());

            // Errors reach the user as Kubernetes words them.
            Kubectl.Result missing = k.run("get", "pod", "nope", "-n", "ns1");
            assertThat(missing.exit()).isNotZero();
            assertThat(missing.stderr()).contains("pods \"nope\" not found");
            Kubectl.Result invalid = k.run("create", "namespace", "Bad_Name");
            assertThat(invalid.exit()).isNotZero();
            assertThat(invalid.stderr()).contains("Invalid value", "Bad_Name");

            // Deleting a namespace waits (kubectl's default) until the namespace controller has emptied it.
            assertThat(k.run("delete", "namespace", "ns1").ok().stdout()).contains("namespace \"ns1\" deleted");
            assertThat(k.run("get", "namespace", "ns1").stderr()).contains("namespaces \"ns1\" not found");
        }
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
