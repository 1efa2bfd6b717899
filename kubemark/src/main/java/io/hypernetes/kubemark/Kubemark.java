package io.hypernetes.kubemark;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.client.KubeClient;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A Kubemark run: N hollow nodes in this process against a control plane, P pods created through Deployments over
 * K namespaces, and the report of what it cost and whether the cluster stayed within Kubernetes' scalability SLOs.
 *
 * <h2>The run</h2>
 * <ol>
 * <li>Scrape the API server's {@code /metrics} (the latency histograms' starting point).
 * <li>Start the hollow nodes, a few at a time, and wait until every Node is Ready.
 * <li>Watch the run's pods; create the namespaces and Deployments at the given rate (see {@link LoadGenerator}).
 * <li>Wait until all P pods are Running (or the timeout), then hold still for {@code settle} to measure what the
 *     idle hollow nodes cost (heartbeats, relists, resyncs).
 * <li>Scrape {@code /metrics} again; subtract; summarise; judge; write {@code kubemark-report.json} and
 *     {@code kubemark-report.html}; stop the hollow nodes.
 * </ol>
 *
 * <h2>What a hollow node costs</h2>
 * Kubemark's process holds the hollow nodes and the harness (load generator, pod watch, sampler). The harness's
 * threads are platform threads whose CPU time is read and subtracted; what remains, over N, is the CPU per hollow
 * node (the admin client's I/O thread, which decrypts the pod watch, stays in: it is small and counted against the
 * nodes). Memory per node is the growth of Kubemark's resident set from before the nodes started to its peak,
 * over N.
 */
public final class Kubemark {
    /**
     * @param nodes          hollow nodes
     * @param pods           pods to create (through Deployments)
     * @param namespaces     namespaces the pods are spread over
     * @param qps            Deployment creates per second
     * @param deploymentSize replicas per Deployment (a namespace's last one takes the rest)
     * @param timeout        how long to wait, once the last Deployment is created, for every pod to be Running
     * @param settle         how long to hold still afterwards, measuring the idle nodes' cost
     * @param output         where the reports go
     */
    public record Config(int nodes, int pods, int namespaces, double qps, int deploymentSize, Duration timeout,
            Duration settle, Path output) {
        public Config {
            if (nodes < 1) throw new IllegalArgumentException("--nodes must be at least 1, got " + nodes);
            if (pods < 0) throw new IllegalArgumentException("--pods must not be negative, got " + pods);
            if (namespaces < 1) throw new IllegalArgumentException("--namespaces must be at least 1, got " + namespaces);
            if (!(qps > 0) || Double.isInfinite(qps)) throw new IllegalArgumentException("--qps must be positive, got " + qps);
            if (deploymentSize < 1) throw new IllegalArgumentException("--deployment-size must be at least 1, got " + deploymentSize);
            if (nodes >= 1 << 14) throw new IllegalArgumentException("--nodes must be below 16384 (the hollow pod networks), got " + nodes);
            if ((long) pods > (long) nodes * HollowNode.MAX_PODS) {
                throw new IllegalArgumentException(pods + " pods do not fit on " + nodes + " hollow nodes of " + HollowNode.MAX_PODS
                        + " pods each: use at least " + ((pods + HollowNode.MAX_PODS - 1) / HollowNode.MAX_PODS) + " nodes");
            }
            if (timeout == null || timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("--timeout must be positive");
            if (settle == null || settle.isNegative()) throw new IllegalArgumentException("--settle must not be negative");
        }
    }

    private static final int NODE_STARTS_IN_PARALLEL = 8;

    private final Config config;
    private final ControlPlane controlPlane;
    private final PrintStream out;
    private final String runId = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36), 36);
    private final List<HollowNode> nodes = Collections.synchronizedList(new ArrayList<>());
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    private Kubemark(Config config, ControlPlane controlPlane, PrintStream out) {
        this.config = config;
        this.controlPlane = controlPlane;
        this.out = out;
    }

    /** Runs Kubemark against {@code controlPlane} (which the caller closes), writes the reports and returns them. */
    public static Report run(Config config, ControlPlane controlPlane, PrintStream out) throws IOException, InterruptedException {
        Kubemark k = new Kubemark(config, controlPlane, out);
        try {
            return k.run();
        } finally {
            // on someone else's cluster: the pods go while their nodes still run to stop them, then the nodes
            if (controlPlane.shared()) k.remove("namespaces", "/api/v1/namespaces", Duration.ofMinutes(5));
            k.stopNodes();
            if (controlPlane.shared()) k.remove("nodes", "/api/v1/nodes", Duration.ofMinutes(1));
        }
    }

    /**
     * Deletes the run's objects at {@code path} (those with the run's label) and waits until they are gone, or
     * for {@code timeout}; says so either way. Best-effort: a failure is printed, never thrown over the run's result.
     */
    private void remove(String what, String path, Duration timeout) {
        String selector = path + "?labelSelector=" + URLEncoder.encode(LoadGenerator.RUN_LABEL + "=" + runId, StandardCharsets.UTF_8);
        long started = System.nanoTime();
        try (KubeClient admin = KubeClient.fromKubeconfig(controlPlane.adminKubeconfig())) {
            Instant end = Instant.now().plus(timeout);
            while (true) {
                JsonNode items = admin.get(selector).json().path("items");
                if (items.isEmpty()) break;
                if (Instant.now().isAfter(end)) {
                    out.printf("cleanup: %d %s of run %s still there after %s; remove them with label %s=%s%n", items.size(), what,
                            runId, timeout, LoadGenerator.RUN_LABEL, runId);
                    return;
                }
                for (JsonNode item : items) {
                    if (!item.path("metadata").has("deletionTimestamp")) {
                        admin.delete(path + "/" + item.path("metadata").path("name").asText());
                    }
                }
                Thread.sleep(500);
            }
            out.printf("cleanup: the run's %s removed in %.1f s%n", what, (System.nanoTime() - started) / 1e9);
        } catch (RuntimeException e) {
            out.printf("cleanup: removing the run's %s failed: %s%n", what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Report run() throws IOException, InterruptedException {
        Files.createDirectories(config.output());
        long origin = System.nanoTime();
        Instant startedAt = Instant.now();
        out.printf("kubemark run %s: %d hollow nodes, %d pods in %d namespaces (Deployments of %d at %.1f creates/s: pods asked for "
                        + "at up to %.0f/s); %d cores%n", runId, config.nodes(), config.pods(), config.namespaces(), config.deploymentSize(),
                config.qps(), config.qps() * config.deploymentSize(), Runtime.getRuntime().availableProcessors());
        out.printf("control plane: %s%n", controlPlane.description());
        try (KubeClient admin = KubeClient.fromKubeconfig(controlPlane.adminKubeconfig());
             Sampler sampler = new Sampler(controlPlane.pid(), origin)) {
            ApiHistograms before = scrape(admin);
            Optional<ProcessStats> selfBefore = sampler.self();
            Optional<ProcessStats> cpBefore = sampler.controlPlane();

            startNodes();
            double nodesReady = awaitNodesReady(admin, origin);
            Optional<ProcessStats> selfNodesUp = sampler.self();
            out.printf("%d hollow nodes Ready after %.1f s%n", config.nodes(), nodesReady);

            long loadStart = System.nanoTime();
            PodWatch watch = new PodWatch(admin, LoadGenerator.RUN_LABEL + "=" + runId, origin);
            sampler.watching(watch);
            LoadGenerator load = new LoadGenerator(admin, runId, config.pods(), config.namespaces(), config.deploymentSize(), config.qps());
            Thread progress = Thread.ofVirtual().name("kubemark-progress").start(() -> progress(watch, loadStart));
            boolean allRunning;
            try {
                load.run();
                out.printf("%d Deployments created in %.1f s%n", load.plan().size(), (System.nanoTime() - loadStart) / 1e9);
                allRunning = awaitRunning(watch);
            } finally {
                progress.interrupt();
            }
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            if (!allRunning) {
                out.printf("timed out %s after the last create: %d of %d pods Running%s%n", config.timeout(), watch.running(), config.pods(),
                        watch.failure() == null ? "" : " (" + watch.failure() + ")");
            }

            // the idle cost of the hollow nodes: heartbeats, relists and resyncs with every pod Running
            long harnessBeforeSettle = harnessCpuNanos(load, watch);
            Optional<ProcessStats> selfSettleStart = sampler.self();
            long settleStart = System.nanoTime();
            if (!config.settle().isZero()) {
                out.printf("holding still for %s to measure the idle hollow nodes%n", config.settle());
                Thread.sleep(config.settle());
            }
            Optional<ProcessStats> selfSettleEnd = sampler.self();
            double settleSeconds = (System.nanoTime() - settleStart) / 1e9;
            long harnessNanos = harnessCpuNanos(load, watch);

            ApiHistograms after = scrape(admin);
            Optional<ProcessStats> selfAfter = sampler.self();
            Optional<ProcessStats> cpAfter = sampler.controlPlane();
            watch.close();
            sampler.close();

            double total = (System.nanoTime() - origin) / 1e9;
            List<Report.ApiLatency> api = after.minus(before).summaries();
            Report.PodStartup startup = startup(watch);
            Report.Scheduling scheduling = scheduling(watch);
            Report.Usage usage = usage(selfBefore, selfNodesUp, selfAfter, cpBefore, cpAfter, harnessNanos,
                    selfSettleStart, selfSettleEnd, settleSeconds, harnessNanos - harnessBeforeSettle, total);
            List<Report.Verdict> verdicts = Slo.verdicts(startup, api);
            String verdict = verdicts.stream().allMatch(v -> v.result().equals("PASS")) ? "PASS" : "FAIL";
            Report report = new Report(
                    new Report.Run(config.nodes(), config.pods(), config.namespaces(), config.qps(), config.deploymentSize(),
                            controlPlane.description(), startedAt.toString(), Sampler.round(nodesReady, 2),
                            Sampler.round(loadSeconds, 2), Sampler.round(total, 2), Runtime.getRuntime().availableProcessors(),
                            "run " + runId + "; namespaces kubemark-" + runId + "-<i>; pods limited to 10m CPU and 16Mi"
                                    + (watch.failure() == null ? "" : "; " + watch.failure())),
                    startup, api, scheduling, usage, verdicts, verdict, sampler.samples());
            write(report);
            Summary.print(report, config.output(), out);
            return report;
        }
    }

    private void startNodes() throws InterruptedException {
        Semaphore slots = new Semaphore(NODE_STARTS_IN_PARALLEL);
        List<Future<?>> started = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < config.nodes(); i++) {
                int index = i;
                slots.acquire();
                started.add(pool.submit(() -> {
                    try {
                        String name = nodeName(index);
                        nodes.add(HollowNode.start(name, HollowNode.podCidr(index), controlPlane.nodeKubeconfig(name), runId));
                    } finally {
                        slots.release();
                    }
                    return null;
                }));
            }
        }
        for (Future<?> f : started) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("a hollow node did not start: " + e.getCause().getMessage(), e.getCause());
            }
        }
    }

    private String nodeName(int index) {
        return "hollow-" + runId + "-" + index;
    }

    /** Polls the Nodes until every hollow node is Ready; answers seconds since the run's start. */
    private double awaitNodesReady(KubeClient admin, long origin) throws InterruptedException {
        Set<String> want = new HashSet<>();
        for (int i = 0; i < config.nodes(); i++) want.add(nodeName(i));
        long deadline = System.nanoTime() + Math.max(120, config.nodes() / 2) * 1_000_000_000L;
        int ready = 0;
        while (System.nanoTime() < deadline) {
            KubeClient.Response r = admin.get("/api/v1/nodes?labelSelector=" + PodWatch.encode(LoadGenerator.RUN_LABEL + "=" + runId));
            if (r.code() == 200) {
                ready = 0;
                for (JsonNode n : r.json().path("items")) {
                    if (!want.contains(n.path("metadata").path("name").asText())) continue;
                    for (JsonNode c : n.path("status").path("conditions")) {
                        if (c.path("type").asText().equals("Ready") && c.path("status").asText().equals("True")) ready++;
                    }
                }
                if (ready == want.size()) return (System.nanoTime() - origin) / 1e9;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("only " + ready + " of " + config.nodes() + " hollow nodes became Ready");
    }

    /** Waits for every pod to be Running, at most {@code timeout} after the last Deployment was created. */
    private boolean awaitRunning(PodWatch watch) throws InterruptedException {
        long deadline = System.nanoTime() + config.timeout().toNanos();
        while (watch.running() < config.pods()) {
            if (System.nanoTime() > deadline || watch.failure() != null) return false;
            Thread.sleep(100);
        }
        return true;
    }

    /** Every 10 s while the load runs: how far it got. */
    private void progress(PodWatch watch, long loadStart) {
        try {
            while (true) {
                Thread.sleep(10_000);
                out.printf("  %5.0f s: %d pods created, %d bound, %d Running%n", (System.nanoTime() - loadStart) / 1e9,
                        watch.observed(), watch.scheduled(), watch.running());
            }
        } catch (InterruptedException e) {
            // the load is over
        }
    }

    private long harnessCpuNanos(LoadGenerator load, PodWatch watch) {
        long cpu = load.cpuNanos();
        long w = threads.getThreadCpuTime(watch.thread().threadId());
        return cpu + Math.max(0, w);
    }

    private static ApiHistograms scrape(KubeClient admin) {
        KubeClient.Response r = admin.get("/metrics");
        if (r.code() != 200) throw new IllegalStateException("cannot read the API server's /metrics: HTTP " + r.code() + " " + r.text());
        return ApiHistograms.parse(r.text());
    }

    private Report.PodStartup startup(PodWatch watch) {
        List<PodWatch.PodTimes> times = watch.times();
        double[] latencies = times.stream().filter(t -> t.running > 0).mapToDouble(t -> (t.running - t.seen) / 1e9).sorted().toArray();
        int scheduled = (int) times.stream().filter(t -> t.scheduled > 0).count();
        List<Double> quantiles = new ArrayList<>();
        if (latencies.length > 0) for (int i = 0; i <= 100; i++) quantiles.add(Sampler.round(rank(latencies, i / 100.0), 4));
        return new Report.PodStartup(config.pods(), times.size(), scheduled, latencies.length,
                latencies.length == 0 ? null : Sampler.round(rank(latencies, 0.5), 4),
                latencies.length == 0 ? null : Sampler.round(rank(latencies, 0.9), 4),
                latencies.length == 0 ? null : Sampler.round(rank(latencies, 0.99), 4),
                latencies.length == 0 ? null : Sampler.round(latencies[latencies.length - 1], 4),
                "first watch event of the pod (ADDED) -> first watch event with phase Running and every container ready, "
                        + "both timestamped on arrival by the harness's own watch (creationTimestamp has 1 s resolution)",
                quantiles,
                phase(times.stream().filter(t -> t.scheduled > 0).mapToDouble(t -> (t.scheduled - t.seen) / 1e9).sorted().toArray()),
                phase(times.stream().filter(t -> t.running > 0 && t.scheduled > 0).mapToDouble(t -> (t.running - t.scheduled) / 1e9).sorted().toArray()));
    }

    private static Report.Phase phase(double[] sorted) {
        if (sorted.length == 0) return new Report.Phase(null, null, null);
        return new Report.Phase(Sampler.round(rank(sorted, 0.5), 4), Sampler.round(rank(sorted, 0.9), 4), Sampler.round(rank(sorted, 0.99), 4));
    }

    /** Nearest-rank quantile of sorted values; q = 0 is the minimum. */
    static double rank(double[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static Report.Scheduling scheduling(PodWatch watch) {
        long[] bound = watch.times().stream().mapToLong(t -> t.scheduled).filter(t -> t > 0).sorted().toArray();
        Double overall = null;
        Double peak = null;
        if (bound.length >= 2 && bound[bound.length - 1] > bound[0]) {
            overall = Sampler.round(bound.length / ((bound[bound.length - 1] - bound[0]) / 1e9), 1);
            long window = 10_000_000_000L;
            int best = 0;
            for (int lo = 0, hi = 0; lo < bound.length; lo++) {
                while (hi < bound.length && bound[hi] - bound[lo] < window) hi++;
                best = Math.max(best, hi - lo);
            }
            // a load shorter than the window is its own busiest window
            peak = Sampler.round(best / Math.min(10.0, (bound[bound.length - 1] - bound[0]) / 1e9), 1);
        }
        return new Report.Scheduling(bound.length, overall, peak,
                "pods first seen with spec.nodeName by the harness's watch: count over the span from the first to the last, "
                        + "and the most in any 10 s (or the whole span, when shorter)");
    }

    private Report.Usage usage(Optional<ProcessStats> selfBefore, Optional<ProcessStats> selfNodesUp, Optional<ProcessStats> selfAfter,
            Optional<ProcessStats> cpBefore, Optional<ProcessStats> cpAfter, long harnessNanos,
            Optional<ProcessStats> settleStart, Optional<ProcessStats> settleEnd, double settleSeconds, long settleHarnessNanos,
            double totalSeconds) {
        Report.ProcessUsage cp = cpAfter.isEmpty() ? new Report.ProcessUsage("control plane (not measured: it shares this process or is remote)", null, null, null)
                : new Report.ProcessUsage("control plane (hypernetes up: API server, identity, controllers, scheduler)",
                        Sampler.round(cpAfter.get().cpuSeconds() - cpBefore.map(ProcessStats::cpuSeconds).orElse(0.0), 2),
                        Sampler.round(cpAfter.get().peakRssBytes() / 1048576.0, 1),
                        Sampler.round((cpAfter.get().cpuSeconds() - cpBefore.map(ProcessStats::cpuSeconds).orElse(0.0)) / totalSeconds, 3));
        Report.ProcessUsage hollow = selfAfter.isEmpty() ? new Report.ProcessUsage("hollow nodes (not measured: no /proc)", null, null, null)
                : new Report.ProcessUsage("hollow nodes and harness (this process)",
                        Sampler.round(selfAfter.get().cpuSeconds() - selfBefore.map(ProcessStats::cpuSeconds).orElse(0.0), 2),
                        Sampler.round(selfAfter.get().peakRssBytes() / 1048576.0, 1),
                        Sampler.round((selfAfter.get().cpuSeconds() - selfBefore.map(ProcessStats::cpuSeconds).orElse(0.0)) / totalSeconds, 3));
        Double perNodeCpu = hollow.cpuSeconds() == null ? null
                : Sampler.round(Math.max(0, hollow.cpuSeconds() - harnessNanos / 1e9) / config.nodes(), 4);
        Double steady = settleStart.isPresent() && settleEnd.isPresent() && settleSeconds > 1
                ? Sampler.round(Math.max(0, settleEnd.get().cpuSeconds() - settleStart.get().cpuSeconds() - settleHarnessNanos / 1e9)
                        / settleSeconds / config.nodes() * 1000, 3)
                : null;
        Double perNodeMb = selfBefore.isPresent() && selfAfter.isPresent()
                ? Sampler.round((selfAfter.get().peakRssBytes() - selfBefore.get().rssBytes()) / 1048576.0 / config.nodes(), 3)
                : null;
        return new Report.Usage(cp, hollow, Sampler.round(harnessNanos / 1e9, 2), perNodeCpu, steady, perNodeMb,
                "CPU from /proc/<pid>/stat (utime+stime), peak memory from VmHWM; per hollow node: this process's CPU minus "
                        + "the harness threads' (load generator, pod watch: ThreadMXBean), over N; idle: the same over the settle "
                        + "period with every pod Running, in millicores; memory: peak RSS minus RSS before the nodes started, over N");
    }

    private void write(Report report) throws IOException {
        Files.write(config.output().resolve("kubemark-report.json"), report.toJson());
        Files.writeString(config.output().resolve("kubemark-report.html"), HtmlReport.render(report));
    }

    private void stopNodes() throws InterruptedException {
        List<HollowNode> all;
        synchronized (nodes) {
            all = new ArrayList<>(nodes);
            nodes.clear();
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (HollowNode n : all) pool.execute(n::close);
        }
    }
}
