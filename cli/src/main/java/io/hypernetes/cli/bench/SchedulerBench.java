package io.hypernetes.cli.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.scheduler.Algorithm;
import io.hypernetes.scheduler.Cache;
import io.hypernetes.scheduler.NodeInfo;
import io.hypernetes.scheduler.PodInfo;
import io.hypernetes.scheduler.SchedulerConfig;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hypernetes bench scheduler}: the scheduling algorithm alone — filters, scores and the assumed-pod cache
 * over a snapshot per pod, as the scheduler's loop runs them — on synthetic nodes of mixed sizes and pods of mixed
 * VM sizes. No API calls: what it prints is the decision rate the loop can sustain before binding, the part of
 * kube-scheduler's throughput (its benchmark floor is about 800 pods/s at 5,000 nodes) this code decides.
 */
@Command(name = "scheduler", mixinStandardHelpOptions = true,
        description = "Scheduling decisions per second and their latency on synthetic nodes and pods (no API calls).")
public final class SchedulerBench implements Callable<Integer> {
    @Option(names = "--nodes", defaultValue = "5000", description = "Nodes (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--pods", defaultValue = "20000", description = "Pods to schedule (default: ${DEFAULT-VALUE}).")
    int pods;

    @Override
    public Integer call() throws Exception {
        System.out.printf("machine: %d cores; the algorithm alone, one scheduling loop, no API calls%n",
                Runtime.getRuntime().availableProcessors());
        Random random = new Random(42);
        Cache cache = new Cache(InstantSource.system(), Duration.ofHours(1));
        String[] cpus = {"4", "8", "16", "32"};
        String[] memories = {"8Gi", "16Gi", "64Gi", "128Gi"};
        for (int i = 0; i < nodes; i++) {
            int size = random.nextInt(cpus.length);
            cache.updateNode(node("node-" + i, cpus[size], memories[size], i % 10 == 0));
        }
        Algorithm algorithm = new Algorithm(SchedulerConfig.defaults());
        String[] podCpus = {"250m", "500m", "1", "2"};
        String[] podMemories = {"256Mi", "512Mi", "1Gi", "4Gi"};
        // warm-up, then the measured run on the same cluster
        for (int phase = 0; phase < 2; phase++) {
            int count = phase == 0 ? Math.min(2000, pods) : pods;
            Latencies latencies = new Latencies(count);
            int scheduled = 0;
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long t = System.nanoTime();
                PodInfo pod = PodInfo.of(pod("p" + phase + "-" + i, podCpus[random.nextInt(4)], podMemories[random.nextInt(4)]));
                List<NodeInfo> snapshot = cache.snapshot();
                if (algorithm.schedule(pod, snapshot) instanceof Algorithm.Result.Scheduled s) {
                    cache.assume(pod, s.node());
                    scheduled++;
                }
                latencies.record(System.nanoTime() - t);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (phase == 1) {
                BenchTable.header();
                BenchTable.print("schedule pod (" + nodes + " nodes)", latencies, count / seconds);
                System.out.printf("%d of %d pods placed; %d nodes, every tenth tainted NoSchedule%n", scheduled, count, nodes);
            }
        }
        return 0;
    }

    private static ObjectNode node(String name, String cpu, String memory, boolean tainted) {
        ObjectNode n = Json.object().put("apiVersion", "v1").put("kind", "Node");
        n.putObject("metadata").put("name", name).putObject("labels").put("kubernetes.io/hostname", name);
        if (tainted) n.putObject("spec").putArray("taints").addObject().put("key", "dedicated").put("value", "infra").put("effect", "NoSchedule");
        ObjectNode status = n.putObject("status");
        status.putObject("allocatable").put("cpu", cpu).put("memory", memory).put("pods", "110");
        status.putArray("conditions").addObject().put("type", "Ready").put("status", "True");
        return n;
    }

    private static ObjectNode pod(String name, String cpu, String memory) {
        ObjectNode p = Json.object().put("apiVersion", "v1").put("kind", "Pod");
        p.putObject("metadata").put("name", name).put("namespace", "bench").put("uid", name);
        p.putObject("spec").putArray("containers").addObject().put("name", "c").put("image", "nginx")
                .putObject("resources").putObject("limits").put("cpu", cpu).put("memory", memory);
        return p;
    }
}
