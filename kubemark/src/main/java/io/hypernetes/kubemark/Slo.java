package io.hypernetes.kubemark;

import java.util.ArrayList;
import java.util.List;

/**
 * Kubernetes' scalability SLOs that the verdict checks, as the issue states them:
 * <ul>
 * <li>API call latency: p99 of single-object mutating (POST, PUT, PATCH, DELETE) and non-mutating (GET) calls,
 *     per verb and resource, at most 1 s. LIST is reported beside them with Kubernetes' cluster-scope threshold
 *     (30 s), which the API server's metrics cannot tell from the namespace one, so it is shown and not judged.</li>
 * <li>Pod startup latency: p99 at most 5 s, from the pod's creation (its first watch event) to the watch event
 *     that shows it Running with every container ready, excluding image pulls (the hollow runtime pulls none).</li>
 * </ul>
 */
final class Slo {
    static final double API_SINGLE_OBJECT_P99_SECONDS = 1.0;
    static final double API_LIST_P99_SECONDS = 30.0;
    static final double POD_STARTUP_P99_SECONDS = 5.0;

    private Slo() {}

    /** The p99 threshold a verb is judged by, or null when it is not one the SLO judges. */
    static Double apiThreshold(String verb) {
        return switch (verb) {
            case "GET", "POST", "PUT", "PATCH", "DELETE" -> API_SINGLE_OBJECT_P99_SECONDS;
            default -> null;
        };
    }

    static List<Report.Verdict> verdicts(Report.PodStartup startup, List<Report.ApiLatency> api) {
        List<Report.Verdict> out = new ArrayList<>();
        Report.ApiLatency worst = null;
        for (Report.ApiLatency a : api) {
            if (a.sloP99Seconds() == null) continue;
            if (worst == null || a.p99Seconds() > worst.p99Seconds()) worst = a;
        }
        boolean apiPass = worst == null || worst.p99Seconds() <= API_SINGLE_OBJECT_P99_SECONDS;
        out.add(new Report.Verdict("API call latency (single-object mutating and non-mutating)",
                "p99 <= 1 s for every verb and resource",
                worst == null ? "no calls" : String.format("worst p99 %.3f s (%s %s%s, %d calls)", worst.p99Seconds(),
                        worst.verb(), worst.resource(), worst.subresource().isEmpty() ? "" : "/" + worst.subresource(), worst.count()),
                apiPass ? "PASS" : "FAIL"));
        boolean allRunning = startup.running() == startup.expected();
        boolean startupPass = allRunning && startup.p99Seconds() != null && startup.p99Seconds() <= POD_STARTUP_P99_SECONDS;
        out.add(new Report.Verdict("Pod startup latency", "p99 <= 5 s, every pod Running",
                startup.p99Seconds() == null ? "no pod Running" : String.format("p99 %.3f s; %d of %d pods Running",
                        startup.p99Seconds(), startup.running(), startup.expected()),
                startupPass ? "PASS" : "FAIL"));
        return out;
    }
}
