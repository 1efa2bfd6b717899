package io.hypernetes.kubemark;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.KubeClient;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Creates the run's load as clusterloader's density test does: K namespaces, then Deployments of
 * {@code deploymentSize} replicas (the last of a namespace smaller) until P pods are asked for, spread evenly over
 * the namespaces, at {@code qps} creates per second (a fixed schedule: the i-th create starts at i/qps seconds
 * whatever the earlier ones took, on a few platform threads whose CPU time the harness accounts for). The pods are
 * made by the ReplicaSet controller, so the rate at which pods appear is the controller's, bounded by Q × size.
 *
 * <p>Pods ask for little (limits 10m CPU, 16 MiB: a pod's VM is sized by its limits) so that thousands fit on a
 * few hundred hollow nodes; every object carries the run's label, which the harness watches by.
 */
final class LoadGenerator {
    static final String RUN_LABEL = "kubemark.hypernetes.io/run";
    private static final int WORKERS = 4;

    private final KubeClient client;
    private final String runId;
    private final int pods;
    private final int namespaces;
    private final int deploymentSize;
    private final double qps;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private final LongAdder cpuNanos = new LongAdder();

    LoadGenerator(KubeClient client, String runId, int pods, int namespaces, int deploymentSize, double qps) {
        this.client = client;
        this.runId = runId;
        this.pods = pods;
        this.namespaces = namespaces;
        this.deploymentSize = deploymentSize;
        this.qps = qps;
    }

    String namespace(int i) {
        return "kubemark-" + runId + "-" + i;
    }

    /** A Deployment to create: where, its name and replicas. */
    record Planned(String namespace, String name, int replicas) {}

    /** The Deployments that make up P pods over K namespaces, namespace by namespace interleaved. */
    List<Planned> plan() {
        List<List<Planned>> byNamespace = new ArrayList<>();
        for (int n = 0; n < namespaces; n++) {
            int share = pods / namespaces + (n < pods % namespaces ? 1 : 0);
            List<Planned> list = new ArrayList<>();
            for (int d = 0; share > 0; d++) {
                int replicas = Math.min(deploymentSize, share);
                list.add(new Planned(namespace(n), "load-" + d, replicas));
                share -= replicas;
            }
            byNamespace.add(list);
        }
        // round-robin over namespaces, so every namespace fills at the same pace
        List<Planned> plan = new ArrayList<>();
        for (int i = 0; ; i++) {
            boolean any = false;
            for (List<Planned> list : byNamespace) {
                if (i < list.size()) {
                    plan.add(list.get(i));
                    any = true;
                }
            }
            if (!any) return plan;
        }
    }

    /** Creates the namespaces, then every Deployment on schedule; returns once all creates were answered. */
    void run() throws InterruptedException {
        List<Planned> plan = plan();
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS, Thread.ofPlatform().daemon().name("kubemark-load-", 0).factory());
        try {
            long cpu = THREADS.getCurrentThreadCpuTime();
            for (int n = 0; n < namespaces; n++) create("/api/v1/namespaces", namespaceObject(namespace(n)));
            cpuNanos.add(THREADS.getCurrentThreadCpuTime() - cpu);
            long start = System.nanoTime();
            List<Future<?>> creates = new ArrayList<>();
            AtomicInteger index = new AtomicInteger();
            for (Planned p : plan) {
                long due = start + (long) (index.getAndIncrement() * 1e9 / qps);
                long wait = due - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                creates.add(pool.submit(() -> {
                    long taskCpu = THREADS.getCurrentThreadCpuTime();
                    try {
                        create("/apis/apps/v1/namespaces/" + p.namespace() + "/deployments", deployment(p));
                    } finally {
                        cpuNanos.add(THREADS.getCurrentThreadCpuTime() - taskCpu);
                    }
                }));
            }
            for (Future<?> f : creates) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** CPU time the generator's creates took so far (its workers are platform threads, so the JVM can tell). */
    long cpuNanos() {
        return cpuNanos.sum();
    }

    private void create(String path, ObjectNode object) {
        // a create refused for overload (429) or a server error is retried a few times, as client-go would
        for (int attempt = 0; ; attempt++) {
            KubeClient.Response r = client.post(path, object);
            if (r.code() == 201 || r.code() == 200) return;
            if ((r.code() == 429 || r.code() >= 500) && attempt < 5) {
                try {
                    Thread.sleep(200L << attempt);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
                continue;
            }
            throw new IllegalStateException("cannot create " + path + " " + object.path("metadata").path("name").asText()
                    + ": HTTP " + r.code() + " " + r.text());
        }
    }

    private ObjectNode namespaceObject(String name) {
        ObjectNode ns = Json.object().put("apiVersion", "v1").put("kind", "Namespace");
        ns.putObject("metadata").put("name", name).putObject("labels").put(RUN_LABEL, runId);
        return ns;
    }

    ObjectNode deployment(Planned p) {
        ObjectNode d = Json.object().put("apiVersion", "apps/v1").put("kind", "Deployment");
        d.putObject("metadata").put("name", p.name()).put("namespace", p.namespace()).putObject("labels").put(RUN_LABEL, runId);
        ObjectNode spec = d.putObject("spec").put("replicas", p.replicas());
        spec.putObject("selector").putObject("matchLabels").put("app", p.name());
        ObjectNode template = spec.putObject("template");
        template.putObject("metadata").putObject("labels").put("app", p.name()).put(RUN_LABEL, runId);
        ArrayNode containers = template.putObject("spec").putArray("containers");
        ObjectNode c = containers.addObject().put("name", "pause").put("image", "registry.k8s.io/pause:3.10");
        c.putObject("resources").putObject("limits").put("cpu", "10m").put("memory", "16Mi");
        return d;
    }
}
