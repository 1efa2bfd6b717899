package io.hypernetes.cli.bench;

import io.grpc.ManagedChannel;
import io.hypernetes.hyperd.Hyperd;
import io.hypernetes.image.Image;
import io.hypernetes.runtime.RuntimeEndpoint;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerMetadata;
import io.hypernetes.runtime.v1.CreateContainerRequest;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxMetadata;
import io.hypernetes.runtime.v1.PodSandboxStatusRequest;
import io.hypernetes.runtime.v1.RemovePodSandboxRequest;
import io.hypernetes.runtime.v1.RunPodSandboxRequest;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import io.hypernetes.runtime.v1.StartContainerRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hypernetes bench hyperd}: pod VMs started through hyperd's {@code RuntimeService}, cold (every VM boots) and
 * from the pool (pre-booted VMs). Per pod: sandbox ready (RunPodSandbox: a cold boot to hyperstart's READY, or a take
 * from the pool, then the pod's network and hostname), pod start (RunPodSandbox + CreateContainer + StartContainer of a
 * busybox container, the image already pulled), and the QEMU process's resident memory once the pod is idle.
 * Pods start one after another; in the pooled run each waits until the pool is full again, so every start is a pool
 * start. Prints p50/p99/max.
 */
@Command(name = "hyperd", mixinStandardHelpOptions = true,
        description = "Pod VM start and memory, cold and from the pool (real QEMU; TCG where KVM does not work).")
public final class HyperdBench implements Callable<Integer> {
    @Option(names = "--pods", defaultValue = "20", description = "Pods per run (default: ${DEFAULT-VALUE}).")
    int pods;

    @Option(names = "--pool-size", defaultValue = "2", description = "Pool size of the pooled run (default: ${DEFAULT-VALUE}).")
    int poolSize;

    @Option(names = "--image-archive", paramLabel = "FILE",
            description = "A busybox docker-save archive (default: built with examples/busybox-image.sh).")
    Path archive;

    @Option(names = "--runs", split = ",", defaultValue = "cold,pool", description = "Which runs (default: ${DEFAULT-VALUE}).")
    List<String> runs;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("hyperd-bench");
        Path image = archive != null ? archive : buildBusybox(dir);
        System.out.printf("hyperd bench: %d pods per run, %d cores, %s%n", pods, Runtime.getRuntime().availableProcessors(),
                Files.readString(Path.of("/proc/loadavg")).strip());
        System.out.printf("%-6s %-18s %8s %8s %8s%n", "run", "figure", "p50", "p99", "max");
        for (String run : runs) {
            boolean pooled = run.equals("pool");
            measure(run, dir.resolve(run), image, pooled ? poolSize : 0);
        }
        return 0;
    }

    private static Path buildBusybox(Path dir) throws Exception {
        Path out = dir.resolve("busybox.tar");
        Path script = Path.of(System.getProperty("hypernetes.root", "."), "examples", "busybox-image.sh");
        Process p = new ProcessBuilder(script.toString(), out.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException(script + " failed: " + output);
        return out;
    }

    private void measure(String run, Path state, Path archive, int pool) throws Exception {
        Hyperd hyperd = Hyperd.open(Hyperd.Config.defaults(state, "10.86.0.0/24").withBridge("hybench0").withPoolSize(pool));
        RuntimeEndpoint endpoint = new RuntimeEndpoint.InProcess("hyperd-bench-" + run);
        try (RuntimeEndpoint.Serving serving = endpoint.serve(hyperd.services())) {
            List<Image> imported = hyperd.images().importArchive(archive);
            String image = imported.getFirst().repoTags().getFirst();
            hyperd.images().rootfs(imported.getFirst());
            ManagedChannel channel = endpoint.connect();
            RuntimeServiceGrpc.RuntimeServiceBlockingStub rt = RuntimeServiceGrpc.newBlockingStub(channel);
            Latencies ready = new Latencies(pods);
            Latencies start = new Latencies(pods);
            List<Long> rss = new ArrayList<>();
            List<String> sandboxes = new ArrayList<>();
            for (int i = 0; i < pods; i++) {
                if (pool > 0) hyperd.awaitPool(pool);
                long t0 = System.nanoTime();
                String id = rt.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(PodSandboxConfig.newBuilder()
                        .setMetadata(PodSandboxMetadata.newBuilder().setName("bench-" + i).setNamespace("bench").setUid("uid-" + run + i))
                        .setHostname("bench-" + i)).build()).getPodSandboxId();
                long t1 = System.nanoTime();
                String c = rt.createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(id).setConfig(ContainerConfig.newBuilder()
                        .setMetadata(ContainerMetadata.newBuilder().setName("sleep")).setImage(image)
                        .addCommand("sleep").addArgs("3600").setRunAsUser(-1)).build()).getContainerId();
                rt.startContainer(StartContainerRequest.newBuilder().setContainerId(c).build());
                long t2 = System.nanoTime();
                ready.record(t1 - t0);
                start.record(t2 - t0);
                sandboxes.add(id);
                Map<String, String> info = rt.podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build())
                        .getStatus().getInfoMap();
                Thread.sleep(3000); // idle: the guest has settled and returned what free page reporting returns
                rss.add(rssKiB(Long.parseLong(info.get("qemuPid"))));
                if (sandboxes.size() >= 4) { // at most a few pod VMs at once on a 2-core machine
                    rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandboxes.removeFirst()).build());
                }
            }
            for (String id : sandboxes) rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
            channel.shutdownNow();
            print(run, "sandbox ready ms", ready);
            print(run, "pod start ms", start);
            Latencies memory = new Latencies(rss.size());
            rss.forEach(k -> memory.record(k * 1_000_000L)); // KiB, printed through the millisecond formatter
            System.out.printf("%-6s %-18s %8.0f %8.0f %8.0f%n", run, "QEMU RSS MiB", memory.percentileMillis(0.5) / 1024,
                    memory.percentileMillis(0.99) / 1024, memory.percentileMillis(1.0) / 1024);
        } finally {
            hyperd.shutdown();
        }
    }

    private static void print(String run, String what, Latencies l) {
        System.out.printf("%-6s %-18s %8.0f %8.0f %8.0f%n", run, what, l.percentileMillis(0.5), l.percentileMillis(0.99), l.percentileMillis(1.0));
    }

    private static long rssKiB(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        return 0;
    }
}
