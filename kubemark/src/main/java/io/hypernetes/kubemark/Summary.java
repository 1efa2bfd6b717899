package io.hypernetes.kubemark;

import java.io.PrintStream;
import java.nio.file.Path;

/** The report as the benches print their figures: one table of latencies, then throughput, resources and the verdict. */
final class Summary {
    private Summary() {}

    static void print(Report r, Path output, PrintStream out) {
        Report.PodStartup s = r.podStartup();
        out.printf("%n%-40s %10s %10s %10s %10s %8s%n", "latency", "count", "p50 ms", "p90 ms", "p99 ms", "SLO p99");
        out.printf("%-40s %10d %10s %10s %10s %8s%n", "pod startup (watch: created -> Running)", s.running(),
                ms(s.p50Seconds()), ms(s.p90Seconds()), ms(s.p99Seconds()), "5 s");
        out.printf("%-40s %10s %10s %10s %10s%n", "  of which created -> bound", "", ms(s.creationToBound().p50Seconds()),
                ms(s.creationToBound().p90Seconds()), ms(s.creationToBound().p99Seconds()));
        out.printf("%-40s %10s %10s %10s %10s%n", "  of which bound -> Running", "", ms(s.boundToRunning().p50Seconds()),
                ms(s.boundToRunning().p90Seconds()), ms(s.boundToRunning().p99Seconds()));
        for (Report.ApiLatency a : r.apiCalls()) {
            out.printf("%-40s %10d %10s %10s %10s %8s%n", "API " + a.verb() + " " + a.resource() + (a.subresource().isEmpty() ? "" : "/" + a.subresource()),
                    a.count(), ms(a.p50Seconds()), ms(a.p90Seconds()), ms(a.p99Seconds()), a.sloP99Seconds() == null ? "-" : "1 s");
        }
        Report.Scheduling sch = r.scheduling();
        out.printf("%nscheduler: %d pods bound, %s pods/s overall, %s pods/s in the busiest 10 s%n", sch.scheduled(),
                num(sch.overallPodsPerSecond()), num(sch.peakPodsPerSecond10s()));
        Report.Usage u = r.usage();
        out.printf("%-58s %10s %10s %10s%n", "process", "CPU s", "avg cores", "peak MB");
        for (Report.ProcessUsage p : new Report.ProcessUsage[] {u.controlPlane(), u.hollowNodes()}) {
            out.printf("%-58s %10s %10s %10s%n", p.what(), num(p.cpuSeconds()), num(p.averageCores()), num(p.peakRssMegabytes()));
        }
        out.printf("per hollow node: %s CPU s over the run, %s millicores idle, %s MB (harness CPU subtracted: %s s)%n",
                num(u.cpuSecondsPerHollowNode()), num(u.steadyMillicoresPerHollowNode()), num(u.megabytesPerHollowNode()),
                num(u.harnessCpuSeconds()));
        out.printf("%n%d of %d pods Running; %d hollow nodes; run took %.1f s%n", s.running(), s.expected(), r.run().nodes(), r.run().totalSeconds());
        for (Report.Verdict v : r.verdicts()) out.printf("%-4s %s (%s): %s%n", v.result(), v.slo(), v.threshold(), v.measured());
        out.printf("verdict: %s%nreports: %s%n         %s%n", r.verdict(), output.resolve("kubemark-report.json"),
                output.resolve("kubemark-report.html"));
    }

    private static String ms(Double seconds) {
        return seconds == null ? "-" : String.format("%.2f", seconds * 1000);
    }

    private static String ms(double seconds) {
        return String.format("%.2f", seconds * 1000);
    }

    private static String num(Double v) {
        if (v == null) return "-";
        return Math.abs(v) >= 100 ? String.format("%.0f", v) : String.format("%.3g", v);
    }
}
