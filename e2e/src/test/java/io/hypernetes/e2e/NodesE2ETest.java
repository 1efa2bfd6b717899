package io.hypernetes.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workloads on nodes, end to end with stock kubectl: {@code up} with shortened node timeouts, three
 * {@code hypernetes node} processes with the hollow runtime (a named fake: the real node agent, pods that only
 * pretend to run), a Deployment spread over them, a rolling update and its undo, a node that dies and whose pods
 * are replaced elsewhere, and a namespace whose deletion takes everything in it.
 */
class NodesE2ETest {
    private static final Duration ROLLOUT = Duration.ofSeconds(90);

    @Test
    void deploymentAcrossHollowNodes(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        try (Cluster cluster = Cluster.start(data, "--node-monitor-grace-period", "6s", "--pod-eviction-timeout", "2s");
                NodeProcess n1 = NodeProcess.hollow(data, "node-1", "4s");
                NodeProcess n2 = NodeProcess.hollow(data, "node-2", "4s");
                NodeProcess n3 = NodeProcess.hollow(data, "node-3", "4s")) {
            Kubectl k = new Kubectl(Kubectl.onPath(), cluster.kubeconfig());
            Kubectl.poll(Duration.ofSeconds(60), () -> k.run("get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}"),
                    r -> r.stdout().contains("node-1=True") && r.stdout().contains("node-2=True") && r.stdout().contains("node-3=True"));

            // three replicas, one per node: equal VMs on equal empty nodes are spread by least-allocated scoring
            k.run("create", "namespace", "shop").ok();
            k.run("create", "deployment", "web", "-n", "shop", "--image=nginx:1.26", "--replicas=3").ok();
            k.run("rollout", "status", "deployment/web", "-n", "shop", "--timeout=" + ROLLOUT.toSeconds() + "s").ok();
            assertThat(nodesOf(k, "shop", "app=web")).containsExactlyInAnyOrder("node-1", "node-2", "node-3");
            Kubectl.Result wide = k.run("get", "pods", "-n", "shop", "-o", "wide").ok();
            assertThat(wide.stdout()).contains("Running").contains("10.");
            // logs and exec travel kubectl → API server → the node process's kubelet server → its runtime
            assertThat(k.run("logs", "deployment/web", "-n", "shop").ok().stdout()).contains("hollow container nginx started");
            assertThat(k.run("exec", "deployment/web", "-n", "shop", "--", "echo", "from", "the", "pod").ok().stdout()).isEqualTo("from the pod\n");
            assertThat(k.run("exec", "deployment/web", "-n", "shop", "--", "exit", "3").exit()).isEqualTo(3);

            // a rolling update, then back
            k.run("set", "image", "deployment/web", "-n", "shop", "nginx=nginx:1.27").ok();
            k.run("rollout", "status", "deployment/web", "-n", "shop", "--timeout=" + ROLLOUT.toSeconds() + "s").ok();
            Kubectl.poll(ROLLOUT, () -> k.run("get", "pods", "-n", "shop", "-l", "app=web", "-o", "jsonpath={.items[*].spec.containers[0].image}"),
                    r -> !r.stdout().isBlank() && Arrays.stream(r.stdout().split(" ")).allMatch("nginx:1.27"::equals));
            assertThat(k.run("rollout", "history", "deployment/web", "-n", "shop").ok().stdout()).contains("1").contains("2");
            k.run("rollout", "undo", "deployment/web", "-n", "shop").ok();
            k.run("rollout", "status", "deployment/web", "-n", "shop", "--timeout=" + ROLLOUT.toSeconds() + "s").ok();
            Kubectl.poll(ROLLOUT, () -> k.run("get", "pods", "-n", "shop", "-l", "app=web", "-o", "jsonpath={.items[*].spec.containers[0].image}"),
                    r -> !r.stdout().isBlank() && Arrays.stream(r.stdout().split(" ")).allMatch("nginx:1.26"::equals));

            // node-3 dies: NotReady (Unknown) after the grace period, its pod replaced on the living nodes
            n3.kill();
            Kubectl.poll(Duration.ofSeconds(60), () -> k.run("get", "node", "node-3", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"),
                    r -> r.stdout().equals("Unknown"));
            assertThat(k.run("get", "nodes").ok().stdout()).containsPattern("node-3\\s+NotReady");
            Kubectl.poll(ROLLOUT, () -> k.run("get", "pods", "-n", "shop", "-l", "app=web", "--no-headers",
                            "-o", "custom-columns=NODE:.spec.nodeName,DELETED:.metadata.deletionTimestamp,PHASE:.status.phase"),
                    r -> r.stdout().lines().map(l -> l.trim().split("\\s+"))
                            .filter(c -> !c[0].equals("node-3") && c[1].equals("<none>") && c[2].equals("Running")).count() == 3);
            k.run("rollout", "status", "deployment/web", "-n", "shop", "--timeout=" + ROLLOUT.toSeconds() + "s").ok();

            // the operator removes the dead machine; its pods, which no node agent will ever confirm, are collected
            k.run("delete", "node", "node-3").ok();
            Kubectl.poll(ROLLOUT, () -> k.run("get", "pods", "-n", "shop", "-o", "jsonpath={.items[*].spec.nodeName}"),
                    r -> !r.stdout().contains("node-3"));

            // deleting the namespace takes everything in it, pods stopped by their node agents first
            k.run("delete", "namespace", "shop", "--timeout=" + ROLLOUT.toSeconds() + "s").ok();
            assertThat(k.run("get", "namespace", "shop").stderr()).contains("NotFound");
            assertThat(k.run("get", "pods,rs,deployments", "-A", "-o", "name").ok().stdout()).doesNotContain("web");
        }
    }

    private static Set<String> nodesOf(Kubectl k, String namespace, String selector) {
        String out = k.run("get", "pods", "-n", namespace, "-l", selector, "-o", "jsonpath={.items[*].spec.nodeName}").ok().stdout();
        return new HashSet<>(Arrays.asList(out.trim().split("\\s+")));
    }
}
