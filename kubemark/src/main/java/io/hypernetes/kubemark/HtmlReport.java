package io.hypernetes.kubemark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The report as one self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched): the verdict first,
 * then the plots — pod startup latency as a distribution against the 5 s line, API call latency per verb and
 * resource against the 1 s line (log scale), pods created / bound / Running over time, both processes' CPU and
 * memory over time — then the tables with every figure.
 */
final class HtmlReport {
    private static final String[] COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"};
    private static final int W = 760;
    private static final int H = 300;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 20;
    private static final int BOTTOM = 45;

    private HtmlReport() {}

    /** A named line through points. */
    record Series(String name, String color, List<double[]> points) {}

    /** A dashed reference line: vertical at x (horizontal = false) or horizontal at y. */
    record Rule(double at, boolean horizontal, String label) {}

    static String render(Report r) {
        StringBuilder h = new StringBuilder(64 * 1024);
        Report.Run run = r.run();
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kubemark: ")
                .append(run.nodes()).append(" nodes, ").append(run.pods()).append(" pods — ").append(r.verdict())
                .append("</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:900px;color:#222}"
                        + "h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse;margin:8px 0}"
                        + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}"
                        + "td:first-child,th:first-child{text-align:left}.PASS{color:#1a7f37;font-weight:bold}"
                        + ".FAIL{color:#c62828;font-weight:bold}svg{background:#fff;border:1px solid #ddd}"
                        + "svg text{font:11px system-ui,sans-serif}.note{color:#666;font-size:12px}</style></head><body>");
        h.append("<h1>Kubemark: ").append(run.nodes()).append(" hollow nodes, ").append(run.pods()).append(" pods in ")
                .append(run.namespaces()).append(" namespaces — <span class=\"").append(r.verdict()).append("\">")
                .append(r.verdict()).append("</span></h1>");
        h.append("<p class=\"note\">").append(esc(run.controlPlane())).append("<br>started ").append(esc(run.startedAt()))
                .append("; ").append(run.cores()).append(" cores; Deployments of ").append(run.deploymentSize()).append(" at ")
                .append(fmt(run.qps())).append(" creates/s; nodes Ready after ").append(fmt(run.nodesReadySeconds()))
                .append(" s; load took ").append(fmt(run.loadSeconds())).append(" s; ").append(esc(run.notes())).append("</p>");

        h.append("<h2>SLOs</h2><table><tr><th>SLO</th><th>threshold</th><th>measured</th><th>result</th></tr>");
        for (Report.Verdict v : r.verdicts()) {
            h.append("<tr><td>").append(esc(v.slo())).append("</td><td>").append(esc(v.threshold())).append("</td><td>")
                    .append(esc(v.measured())).append("</td><td class=\"").append(v.result()).append("\">").append(v.result()).append("</td></tr>");
        }
        h.append("</table>");

        Report.PodStartup s = r.podStartup();
        h.append("<h2>Pod startup latency</h2><p>p50 ").append(sec(s.p50Seconds())).append(", p90 ").append(sec(s.p90Seconds()))
                .append(", p99 ").append(sec(s.p99Seconds())).append(", max ").append(sec(s.maxSeconds())).append(" — ")
                .append(s.running()).append(" of ").append(s.expected()).append(" pods Running. Where the time goes: created → bound p50 ")
                .append(sec(s.creationToBound().p50Seconds())).append(", p99 ").append(sec(s.creationToBound().p99Seconds()))
                .append("; bound → Running p50 ").append(sec(s.boundToRunning().p50Seconds())).append(", p99 ")
                .append(sec(s.boundToRunning().p99Seconds())).append("</p>");
        List<double[]> cdf = new ArrayList<>();
        for (int i = 0; i < s.quantiles().size(); i++) cdf.add(new double[] {s.quantiles().get(i), i / 100.0});
        double maxLatency = s.maxSeconds() == null ? 1 : s.maxSeconds();
        h.append(lineChart(List.of(new Series("pods started within x", COLORS[0], cdf)), "startup latency (s)", "fraction of pods",
                0, Math.max(Slo.POD_STARTUP_P99_SECONDS * 1.1, maxLatency * 1.05), 0, 1,
                List.of(new Rule(Slo.POD_STARTUP_P99_SECONDS, false, "SLO 5 s"), new Rule(0.99, true, "p99"))));
        h.append("<p class=\"note\">").append(esc(s.measuredAs())).append("</p>");

        h.append("<h2>API call latency (API server histograms)</h2>").append(apiChart(r.apiCalls()));
        h.append("<table><tr><th>verb resource</th><th>calls</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>SLO p99</th></tr>");
        for (Report.ApiLatency a : r.apiCalls()) {
            boolean over = a.sloP99Seconds() != null && a.p99Seconds() > a.sloP99Seconds();
            h.append("<tr><td>").append(esc(label(a))).append("</td><td>").append(a.count()).append("</td><td>")
                    .append(fmt(a.p50Seconds() * 1000)).append("</td><td>").append(fmt(a.p90Seconds() * 1000)).append("</td><td")
                    .append(over ? " class=\"FAIL\"" : "").append(">").append(fmt(a.p99Seconds() * 1000)).append("</td><td>")
                    .append(a.sloP99Seconds() == null ? "—" : fmt(a.sloP99Seconds()) + " s").append("</td></tr>");
        }
        h.append("</table><p class=\"note\">Quantiles interpolated within the server's buckets (5, 25, 50, 100, 200, 400, 600, 800 ms, 1, 1.25, 1.5, 2 s …) "
                + "as Prometheus' histogram_quantile does; LIST and WATCH are not judged by the single-object SLO.</p>");

        Report.Scheduling sch = r.scheduling();
        h.append("<h2>Pods over time</h2><p>Scheduler throughput: ").append(fmt(sch.overallPodsPerSecond()))
                .append(" pods/s overall, ").append(fmt(sch.peakPodsPerSecond10s())).append(" pods/s in the busiest 10 s (")
                .append(sch.scheduled()).append(" pods bound)</p>");
        List<Report.Sample> tl = r.timeline();
        double tMax = tl.isEmpty() ? 1 : tl.getLast().t();
        h.append(lineChart(List.of(
                        new Series("created", COLORS[0], points(tl, x -> (double) x.created())),
                        new Series("bound", COLORS[1], points(tl, x -> (double) x.scheduled())),
                        new Series("Running", COLORS[2], points(tl, x -> (double) x.running()))),
                "time since start (s)", "pods", 0, tMax, 0, Math.max(1, run.pods()) * 1.05, List.of()));

        Report.Usage u = r.usage();
        h.append("<h2>Resources</h2><table><tr><th>process</th><th>CPU s</th><th>average cores</th><th>peak MB</th></tr>");
        for (Report.ProcessUsage p : List.of(u.controlPlane(), u.hollowNodes())) {
            h.append("<tr><td>").append(esc(p.what())).append("</td><td>").append(fmt(p.cpuSeconds())).append("</td><td>")
                    .append(fmt(p.averageCores())).append("</td><td>").append(fmt(p.peakRssMegabytes())).append("</td></tr>");
        }
        h.append("</table><p>Per hollow node: ").append(fmt(u.cpuSecondsPerHollowNode())).append(" CPU s over the run, ")
                .append(fmt(u.steadyMillicoresPerHollowNode())).append(" millicores idle, ").append(fmt(u.megabytesPerHollowNode()))
                .append(" MB (harness CPU subtracted: ").append(fmt(u.harnessCpuSeconds())).append(" s)</p><p class=\"note\">")
                .append(esc(u.method())).append("</p>");
        double cpuMax = 0.5;
        double rssMax = 100;
        for (Report.Sample x : tl) {
            if (x.controlPlaneCores() != null) cpuMax = Math.max(cpuMax, x.controlPlaneCores());
            if (x.hollowNodesCores() != null) cpuMax = Math.max(cpuMax, x.hollowNodesCores());
            if (x.controlPlaneRssMegabytes() != null) rssMax = Math.max(rssMax, x.controlPlaneRssMegabytes());
            if (x.hollowNodesRssMegabytes() != null) rssMax = Math.max(rssMax, x.hollowNodesRssMegabytes());
        }
        h.append(lineChart(List.of(
                        new Series("control plane", COLORS[3], points(tl, Report.Sample::controlPlaneCores)),
                        new Series("hollow nodes + harness", COLORS[4], points(tl, Report.Sample::hollowNodesCores))),
                "time since start (s)", "CPU (cores)", 0, tMax, 0, cpuMax * 1.1,
                List.of(new Rule(run.cores(), true, run.cores() + " cores"))));
        h.append(lineChart(List.of(
                        new Series("control plane", COLORS[3], points(tl, Report.Sample::controlPlaneRssMegabytes)),
                        new Series("hollow nodes + harness", COLORS[4], points(tl, Report.Sample::hollowNodesRssMegabytes))),
                "time since start (s)", "resident memory (MB)", 0, tMax, 0, rssMax * 1.1, List.of()));
        h.append("</body></html>\n");
        return h.toString();
    }

    private static List<double[]> points(List<Report.Sample> samples, Function<Report.Sample, Double> y) {
        List<double[]> p = new ArrayList<>();
        for (Report.Sample s : samples) {
            Double v = y.apply(s);
            if (v != null) p.add(new double[] {s.t(), v});
        }
        return p;
    }

    static String lineChart(List<Series> series, String xLabel, String yLabel, double x0, double x1, double y0, double y1, List<Rule> rules) {
        if (!(x1 > x0)) x1 = x0 + 1;
        if (!(y1 > y0)) y1 = y0 + 1;
        double fx0 = x0, fx1 = x1, fy0 = y0, fy1 = y1;
        Function<Double, Double> px = x -> LEFT + (x - fx0) / (fx1 - fx0) * (W - LEFT - RIGHT);
        Function<Double, Double> py = y -> H - BOTTOM - (y - fy0) / (fy1 - fy0) * (H - TOP - BOTTOM);
        StringBuilder s = new StringBuilder();
        s.append(svgOpen()).append(axes(xLabel, yLabel));
        for (double t : ticks(x0, x1)) {
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", px.apply(t), TOP, px.apply(t), H - BOTTOM,
                    px.apply(t), H - BOTTOM + 15, tick(t)));
        }
        for (double t : ticks(y0, y1)) {
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", LEFT, py.apply(t), W - RIGHT, py.apply(t),
                    LEFT - 5, py.apply(t) + 4, tick(t)));
        }
        for (Rule r : rules) {
            if (r.horizontal() && r.at() >= y0 && r.at() <= y1) {
                s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c62828\" stroke-dasharray=\"5,4\"/>"
                        + "<text x=\"%d\" y=\"%.1f\" fill=\"#c62828\" text-anchor=\"end\">%s</text>", LEFT, py.apply(r.at()), W - RIGHT,
                        py.apply(r.at()), W - RIGHT - 4, py.apply(r.at()) - 4, esc(r.label())));
            } else if (!r.horizontal() && r.at() >= x0 && r.at() <= x1) {
                s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c62828\" stroke-dasharray=\"5,4\"/>"
                        + "<text x=\"%.1f\" y=\"%d\" fill=\"#c62828\">%s</text>", px.apply(r.at()), TOP, px.apply(r.at()), H - BOTTOM,
                        px.apply(r.at()) + 4, TOP + 12, esc(r.label())));
            }
        }
        int legend = 0;
        for (Series se : series) {
            StringBuilder pts = new StringBuilder();
            for (double[] p : se.points()) {
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px.apply(Math.min(p[0], fx1)), py.apply(Math.min(p[1], fy1))));
            }
            s.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(se.color()).append("\" points=\"")
                    .append(pts.toString().trim()).append("\"/>");
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>",
                    LEFT + 10, TOP + 8 + legend * 15, se.color(), LEFT + 26, TOP + 12 + legend * 15, esc(se.name())));
            legend++;
        }
        return s.append("</svg>").toString();
    }

    /** Horizontal bars, one row per verb and resource: p99 as the bar, p50 and p90 as ticks; log scale; the 1 s line. */
    static String apiChart(List<Report.ApiLatency> calls) {
        int rowH = 18;
        int height = TOP + BOTTOM + Math.max(1, calls.size()) * rowH;
        int left = 230;
        double lo = 0.001;
        double hi = 2;
        for (Report.ApiLatency a : calls) hi = Math.max(hi, a.p99Seconds() * 1.5);
        double lLo = Math.log10(lo), lHi = Math.log10(hi);
        Function<Double, Double> px = v -> left + (Math.log10(Math.max(lo, v)) - lLo) / (lHi - lLo) * (W - left - RIGHT);
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", W, height, W, height));
        for (double t = lo; t <= hi * 1.0001; t *= 10) {
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
                    px.apply(t), TOP, px.apply(t), height - BOTTOM, px.apply(t), height - BOTTOM + 15, t < 1 ? tick(t * 1000) + " ms" : tick(t) + " s"));
        }
        for (int i = 0; i < calls.size(); i++) {
            Report.ApiLatency a = calls.get(i);
            double y = TOP + i * rowH;
            boolean over = a.sloP99Seconds() != null && a.p99Seconds() > a.sloP99Seconds();
            String color = a.sloP99Seconds() == null ? "#9e9e9e" : over ? "#c62828" : COLORS[0];
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s (%d)</text>", left - 6, y + 12, esc(label(a)), a.count()));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\" opacity=\"0.8\"/>",
                    left, y + 3, Math.max(1, px.apply(a.p99Seconds()) - left), rowH - 6, color));
            for (double q : new double[] {a.p50Seconds(), a.p90Seconds()}) {
                s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-width=\"2\"/>",
                        px.apply(q), y + 2, px.apply(q), y + rowH - 2));
            }
        }
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c62828\" stroke-dasharray=\"5,4\"/>"
                + "<text x=\"%.1f\" y=\"%d\" fill=\"#c62828\">SLO 1 s</text>", px.apply(1.0), TOP - 5, px.apply(1.0), height - BOTTOM, px.apply(1.0) + 4, TOP + 8));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">bar: p99; ticks: p50, p90 (log scale; grey: not judged)</text>",
                (left + W) / 2, height - 8));
        return s.append("</svg>").toString();
    }

    private static String svgOpen() {
        return String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", W, H, W, H);
    }

    private static String axes(String xLabel, String yLabel) {
        return String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
                        + "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text><text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>",
                LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM, LEFT, TOP, LEFT, H - BOTTOM, (LEFT + W - RIGHT) / 2, H - 8, esc(xLabel),
                (TOP + H - BOTTOM) / 2, esc(yLabel));
    }

    /** About six round ticks from lo to hi. */
    static List<Double> ticks(double lo, double hi) {
        double raw = (hi - lo) / 6;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
        List<Double> t = new ArrayList<>();
        for (double v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.add(v);
        return t;
    }

    private static String tick(double v) {
        if (Math.abs(v - Math.rint(v)) < 1e-9) return Long.toString(Math.round(v));
        return String.format(Locale.ROOT, "%.3g", v);
    }

    private static String label(Report.ApiLatency a) {
        return a.verb() + " " + a.resource() + (a.subresource().isEmpty() ? "" : "/" + a.subresource());
    }

    private static String sec(Double v) {
        return v == null ? "—" : String.format(Locale.ROOT, "%.3f s", v);
    }

    private static String fmt(Double v) {
        if (v == null) return "—";
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    private static String esc(String s) {
        if (s == null) return "";
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
