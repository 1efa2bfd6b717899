package io.hypernetes.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Kubemark runs hundreds of agents in one JVM: an agent's pods, probes and loops must cost virtual threads, not
 * platform threads. Prints what it sees.
 */
class ManyAgentsTest extends AgentTest {
    static final int AGENTS = 8;

    @Test
    void morePodsCostNoPlatformThreads() throws Exception {
        int before = platformThreads();
        for (int i = 0; i < AGENTS; i++) cluster.node("hollow-" + i, "10.250." + i + ".0/24", c -> c);
        Instant t0 = Instant.now();
        List<String> pods = new ArrayList<>();
        for (int i = 0; i < AGENTS; i++) pods.add(pod("first-" + i, "hollow-" + i));
        awaitRunning(pods);
        Duration firstWave = Duration.between(t0, Instant.now());
        int withAgents = platformThreads();

        t0 = Instant.now();
        List<String> more = new ArrayList<>();
        for (int i = 0; i < AGENTS; i++) {
            for (int k = 0; k < 5; k++) more.add(pod("more-" + i + "-" + k, "hollow-" + i));
        }
        awaitRunning(more);
        Duration secondWave = Duration.between(t0, Instant.now());
        int withPods = platformThreads();
        System.out.printf("%d agents: platform threads %d before, %d with one probed pod each (%s to Running), %d with %d more (%s)%n",
                AGENTS, before, withAgents, firstWave, withPods, more.size(), secondWave);
        System.out.println("platform threads by name: " + Thread.getAllStackTraces().keySet().stream()
                .collect(Collectors.groupingBy(t -> t.getName().replaceAll("\\d+", "N"), TreeMap::new, Collectors.counting())));
        // five times the pods (and their probes) on the same agents: no platform thread per pod
        assertThat(withPods - withAgents).isLessThan(5);
    }

    private static String pod(String name, String node) {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: %s}
                spec:
                  nodeName: %s
                  containers:
                  - name: c
                    image: busybox:1.36
                    readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}
                    livenessProbe: {exec: {command: ["true"]}, periodSeconds: 1}
                """.formatted(name, node));
        return name;
    }

    private static void awaitRunning(List<String> names) throws Exception {
        TestCluster.await(() -> {
            for (var item : cluster.admin.get("/api/v1/namespaces/default/pods").json().path("items")) {
                if (names.contains(item.path("metadata").path("name").asText()) && !TestCluster.condition(item, "Ready").equals("True")) return false;
            }
            return true;
        });
    }

    /**
     * Platform threads, leaving out the JDK HttpClient's worker pool: {@code KubeClient} builds its HttpClient with the
     * default executor (a cached pool that grows with concurrent requests), which is the client module's to change.
     */
    private static int platformThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> !t.getName().matches("HttpClient-\\d+-Worker-\\d+")).count();
    }
}
