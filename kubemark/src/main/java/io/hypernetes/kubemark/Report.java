package io.hypernetes.kubemark;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * What one Kubemark run measured, as written to {@code kubemark-report.json} and rendered into the HTML report.
 * Times are seconds; a figure that could not be measured is null (never NaN, which JSON cannot carry).
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record Report(
        Run run,
        PodStartup podStartup,
        List<ApiLatency> apiCalls,
        Scheduling scheduling,
        Usage usage,
        List<Verdict> verdicts,
        String verdict,
        List<Sample> timeline) {

    /** What was run: sizes, rate, where, when, and how long each phase took. */
    public record Run(int nodes, int pods, int namespaces, double qps, int deploymentSize, String controlPlane,
            String startedAt, double nodesReadySeconds, double loadSeconds, double totalSeconds, int cores, String notes) {}

    /**
     * Pod startup latency over the pods that reached Running, with the latency distribution as 101 quantiles
     * (0, 0.01, …, 1) for plots.
     */
    public record PodStartup(int expected, int observed, int scheduled, int running, Double p50Seconds, Double p90Seconds,
            Double p99Seconds, Double maxSeconds, String measuredAs, List<Double> quantiles, Phase creationToBound,
            Phase boundToRunning) {}

    /** One stretch of the startup path (where the time goes): created to bound is the scheduler's, bound to Running the node's. */
    public record Phase(Double p50Seconds, Double p90Seconds, Double p99Seconds) {}

    /** One verb and resource from the API server's histograms; {@code sloP99Seconds} null when the SLO does not judge it. */
    public record ApiLatency(String verb, String resource, String subresource, long count, double p50Seconds,
            double p90Seconds, double p99Seconds, Double sloP99Seconds) {}

    /** Bindings observed by the watch: over the whole load, and in the busiest 10 s window. */
    public record Scheduling(int scheduled, Double overallPodsPerSecond, Double peakPodsPerSecond10s, String measuredAs) {}

    /** CPU seconds and peak resident memory of one process over the run; null when not measured. */
    public record ProcessUsage(String what, Double cpuSeconds, Double peakRssMegabytes, Double averageCores) {}

    /**
     * The control plane's and the hollow nodes' resources, and what one hollow node costs: CPU over the run and in
     * the steady state after the load, memory from the growth of the hollow nodes' process once they were started.
     */
    public record Usage(ProcessUsage controlPlane, ProcessUsage hollowNodes, Double harnessCpuSeconds,
            Double cpuSecondsPerHollowNode, Double steadyMillicoresPerHollowNode, Double megabytesPerHollowNode, String method) {}

    /** One SLO and how the run did against it. */
    public record Verdict(String slo, String threshold, String measured, String result) {}

    /** One second of the run: pods seen, bound and Running so far, and both processes' CPU (cores) and RSS. */
    public record Sample(double t, int created, int scheduled, int running, Double controlPlaneCores, Double controlPlaneRssMegabytes,
            Double hollowNodesCores, Double hollowNodesRssMegabytes) {}

    public byte[] toJson() {
        try {
            return Json.MAPPER.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
