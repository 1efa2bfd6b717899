package io.hypernetes.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./hypernetes kubemark} as a user runs it on a fresh clone: it starts its own {@code hypernetes up} as a
 * child process, runs hollow nodes against it, and leaves a JSON and an HTML report. Small, and judged on the
 * report's completeness, never on its timings (the figures are the README's, from bigger runs).
 */
class KubemarkE2ETest {
    @Test
    void theCommandRunsHollowNodesAgainstItsOwnControlPlaneAndWritesTheReports(@TempDir Path dir) throws Exception {
        Path output = dir.resolve("report");
        try (HypernetesProcess kubemark = new HypernetesProcess(List.of("kubemark", "--nodes", "5", "--pods", "40",
                "--namespaces", "2", "--deployment-size", "10", "--qps", "2", "--settle", "1s", "--output", output.toString()))) {
            // 0 within the SLOs, 3 outside them: both are a finished run with its reports
            assertThat(kubemark.exit(Duration.ofMinutes(6))).as(kubemark.output()).isIn(0, 3);
            Path json = output.resolve("kubemark-report.json");
            Path html = output.resolve("kubemark-report.html");
            assertThat(json).isRegularFile();
            assertThat(html).isRegularFile();
            JsonNode report = new ObjectMapper().readTree(json.toFile());
            assertThat(report.path("run").path("nodes").asInt()).isEqualTo(5);
            assertThat(report.path("podStartup").path("running").asInt()).isEqualTo(40);
            assertThat(report.path("verdict").asText()).isIn("PASS", "FAIL");
            assertThat(report.path("apiCalls").size()).isPositive();
            assertThat(Files.readString(html)).contains("<svg").doesNotContain("<script");
            assertThat(kubemark.output()).contains("5 hollow nodes Ready");
        }
    }

    @Test
    void onAnExistingClusterItLeavesNothingBehind(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        try (Cluster cluster = Cluster.start(data)) {
            Kubectl k = new Kubectl(Kubectl.onPath(), cluster.kubeconfig());
            try (HypernetesProcess kubemark = new HypernetesProcess(List.of("kubemark", "--kubeconfig", cluster.kubeconfig().toString(),
                    "--data-dir", data.toString(), "--nodes", "3", "--pods", "12", "--namespaces", "2", "--deployment-size", "6",
                    "--settle", "0s", "--output", dir.resolve("report").toString()))) {
                assertThat(kubemark.exit(Duration.ofMinutes(6))).as(kubemark.output()).isIn(0, 3);
                assertThat(kubemark.output()).contains("cleanup: the run's namespaces removed").contains("cleanup: the run's nodes removed");
            }
            assertThat(k.run("get", "nodes", "-o", "name").ok().stdout()).isBlank();
            assertThat(k.run("get", "namespaces", "-l", "kubemark.hypernetes.io/run", "-o", "name").ok().stdout()).isBlank();
            assertThat(k.run("get", "pods", "-A", "-o", "name").ok().stdout()).isBlank();
        }
    }
}
