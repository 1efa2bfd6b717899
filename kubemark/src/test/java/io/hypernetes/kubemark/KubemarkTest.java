package io.hypernetes.kubemark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small Kubemark run through the code path the command takes (hollow nodes with the real node agent, load
 * through Deployments, the watch, the metrics scrape, the reports) against an in-process control plane. It checks
 * that the report is complete and sane, not how fast anything was: the figures are printed, not asserted.
 */
class KubemarkTest {
    @TempDir
    Path dir;

    @Test
    void aSmallRunWritesACompleteAndSaneReport() throws Exception {
        Kubemark.Config config = new Kubemark.Config(20, 200, 2, 20, 25, Duration.ofMinutes(3), Duration.ofSeconds(2), dir.resolve("out"));
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Report report;
        try (InProcessControlPlane cp = new InProcessControlPlane(dir.resolve("cluster"))) {
            report = Kubemark.run(config, cp, new PrintStream(printed, true, StandardCharsets.UTF_8));
        }
        System.out.print(printed.toString(StandardCharsets.UTF_8));

        JsonNode json = Json.parse(Files.readAllBytes(dir.resolve("out/kubemark-report.json")));
        assertThat(json.path("run").path("nodes").asInt()).isEqualTo(20);
        JsonNode startup = json.path("podStartup");
        assertThat(startup.path("expected").asInt()).isEqualTo(200);
        assertThat(startup.path("observed").asInt()).isEqualTo(200);
        assertThat(startup.path("scheduled").asInt()).isEqualTo(200);
        assertThat(startup.path("running").asInt()).isEqualTo(200);
        double p50 = startup.path("p50Seconds").asDouble();
        double p90 = startup.path("p90Seconds").asDouble();
        double p99 = startup.path("p99Seconds").asDouble();
        assertThat(p50).isPositive().isLessThanOrEqualTo(p90);
        assertThat(p90).isLessThanOrEqualTo(p99);
        assertThat(p99).isLessThanOrEqualTo(startup.path("maxSeconds").asDouble());
        assertThat(startup.path("quantiles")).hasSize(101);

        // the API server's own histograms saw the load: the Deployments created, the pods made and bound, their status written
        assertThat(json.path("apiCalls").findValuesAsText("resource")).contains("deployments", "pods", "nodes");
        long deploymentCreates = 0;
        for (JsonNode a : json.path("apiCalls")) {
            assertThat(a.path("count").asLong()).isPositive();
            assertThat(a.path("p50Seconds").asDouble()).isLessThanOrEqualTo(a.path("p90Seconds").asDouble());
            assertThat(a.path("p90Seconds").asDouble()).isLessThanOrEqualTo(a.path("p99Seconds").asDouble());
            if (a.path("verb").asText().equals("POST") && a.path("resource").asText().equals("deployments")) deploymentCreates = a.path("count").asLong();
        }
        assertThat(deploymentCreates).isEqualTo(2 * 4); // 100 pods per namespace in Deployments of 25

        assertThat(json.path("scheduling").path("scheduled").asInt()).isEqualTo(200);
        assertThat(json.path("scheduling").path("overallPodsPerSecond").asDouble()).isPositive();
        assertThat(json.path("usage").path("hollowNodes").path("cpuSeconds").asDouble()).isPositive();
        assertThat(json.path("usage").path("megabytesPerHollowNode").isNumber()).isTrue();
        assertThat(json.path("usage").path("controlPlane").path("cpuSeconds").isNull()).isTrue(); // in-process: not apart
        assertThat(json.path("verdicts")).hasSize(2);
        assertThat(json.path("verdict").asText()).isIn("PASS", "FAIL");
        assertThat(json.path("timeline").size()).isPositive();
        assertThat(report.verdict()).isEqualTo(json.path("verdict").asText());

        String html = Files.readString(dir.resolve("out/kubemark-report.html"));
        assertThat(count(html, "<svg")).isEqualTo(5);
        assertThat(html).contains("SLO 5 s", "SLO 1 s", "POST deployments").doesNotContain("<script", "http-equiv", "NaN");
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("200 of 200 pods Running");
    }

    @Test
    void badSizesAreRefusedBeforeAnythingStarts() {
        Path out = dir.resolve("never");
        assertThatThrownBy(() -> new Kubemark.Config(0, 10, 1, 20, 10, Duration.ofMinutes(1), Duration.ZERO, out))
                .hasMessageContaining("--nodes must be at least 1");
        assertThatThrownBy(() -> new Kubemark.Config(2, 1000, 1, 20, 10, Duration.ofMinutes(1), Duration.ZERO, out))
                .hasMessageContaining("do not fit on 2 hollow nodes").hasMessageContaining("at least 10 nodes");
        assertThatThrownBy(() -> new Kubemark.Config(2, 10, 1, 0, 10, Duration.ofMinutes(1), Duration.ZERO, out))
                .hasMessageContaining("--qps must be positive");
        assertThatThrownBy(() -> new Kubemark.Config(2, 10, 0, 20, 10, Duration.ofMinutes(1), Duration.ZERO, out))
                .hasMessageContaining("--namespaces");
        assertThat(out).doesNotExist();
    }

    @Test
    void podsAreSpreadEvenlyOverNamespacesInDeploymentsOfTheGivenSize() {
        LoadGenerator g = new LoadGenerator(null, "r1", 103, 2, 25, 10);
        var plan = g.plan();
        assertThat(plan.stream().mapToInt(LoadGenerator.Planned::replicas).sum()).isEqualTo(103);
        assertThat(plan.stream().filter(p -> p.namespace().equals("kubemark-r1-0")).mapToInt(LoadGenerator.Planned::replicas).sum()).isEqualTo(52);
        assertThat(plan.stream().filter(p -> p.namespace().equals("kubemark-r1-1")).mapToInt(LoadGenerator.Planned::replicas).sum()).isEqualTo(51);
        assertThat(plan).allMatch(p -> p.replicas() <= 25);
        // interleaved, so every namespace fills at the same pace
        assertThat(plan.get(0).namespace()).isNotEqualTo(plan.get(1).namespace());
    }

    private static int count(String s, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
        int n = 0;
        while (m.find()) n++;
        return n;
    }
}
