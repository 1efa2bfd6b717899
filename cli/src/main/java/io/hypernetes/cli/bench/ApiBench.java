package io.hypernetes.cli.bench;

import static io.hypernetes.cli.bench.BenchTable.check;
import static io.hypernetes.cli.bench.BenchTable.header;
import static io.hypernetes.cli.bench.BenchTable.parallel;
import static io.hypernetes.cli.bench.BenchTable.print;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.client.KubeClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hypernetes bench api}: create/get/list/watch throughput and latency for pods against a real API server
 * over HTTPS, then the cold start time of {@code hypernetes up} on the data it left behind.
 *
 * <p>By default it starts its own server in this process on a temporary directory, so client and server share
 * the machine's cores: the figures are for the whole loop, as a user on the same host would see them.
 */
@Command(name = "api", mixinStandardHelpOptions = true,
        description = "Pod create/get/list/watch throughput and p50/p99 latency, and cold start time of `up`.")
public final class ApiBench implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--pods", defaultValue = "10000", description = "Pods to create (default: ${DEFAULT-VALUE}).")
    int pods;

    @Option(names = "--clients", defaultValue = "32", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--watchers", defaultValue = "10", description = "Concurrent watches during the update phase (default: ${DEFAULT-VALUE}).")
    int watchers;

    @Option(names = "--updates", defaultValue = "2000", description = "Pod updates observed by the watchers (default: ${DEFAULT-VALUE}).")
    int updates;

    @Option(names = "--skip-startup", description = "Do not measure the cold start of `hypernetes up`.")
    boolean skipStartup;

    private static final String NS = "bench";

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("hypernetes-bench");
        System.out.printf("machine: %d cores, %s; %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"), "Java " + Runtime.version());
        System.out.printf("pods=%d clients=%d watchers=%d updates=%d data=%s%n%n", pods, clients, watchers, updates, dir);
        try (ApiServer server = ApiServer.start(new ApiServer.Config(dir, "127.0.0.1", 0, Duration.ofSeconds(60), Duration.ofMinutes(5)));
             KubeClient client = KubeClient.fromKubeconfig(server.kubeconfig())) {
            ObjectNode ns = Json.object().put("apiVersion", "v1").put("kind", "Namespace");
            ns.putObject("metadata").put("name", NS);
            check(client.post("/api/v1/namespaces", ns), 201);

            header();
            Latencies create = new Latencies(pods);
            double createRate = parallel(clients, pods, i -> {
                long t = System.nanoTime();
                check(client.post("/api/v1/namespaces/" + NS + "/pods", pod(i)), 201);
                create.record(System.nanoTime() - t);
            });
            print("create pod", create, createRate);

            int gets = Math.min(pods, 10000);
            Latencies get = new Latencies(gets);
            double getRate = parallel(clients, gets, i -> {
                long t = System.nanoTime();
                check(client.get("/api/v1/namespaces/" + NS + "/pods/pod-" + ThreadLocalRandom.current().nextInt(pods)), 200);
                get.record(System.nanoTime() - t);
            });
            print("get pod", get, getRate);

            Latencies list = new Latencies(10);
            long listStart = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                long t = System.nanoTime();
                KubeClient.Response r = check(client.get("/api/v1/namespaces/" + NS + "/pods"), 200);
                list.record(System.nanoTime() - t);
                // parsed outside the timed region: the figure is the server's answer, not this client's JSON parser
                JsonNode l = r.json();
                if (l.path("items").size() != pods) throw new IllegalStateException("list returned " + l.path("items").size());
            }
            print("list " + pods + " pods (one page)", list, 10 / ((System.nanoTime() - listStart) / 1e9));

            Latencies paged = new Latencies(pods / 500 + 2);
            long pagedStart = System.nanoTime();
            String cont = "";
            int seen = 0;
            do {
                long t = System.nanoTime();
                KubeClient.Response r = check(client.get("/api/v1/namespaces/" + NS + "/pods?limit=500" + (cont.isEmpty() ? "" : "&continue=" + cont)), 200);
                paged.record(System.nanoTime() - t);
                JsonNode l = r.json();
                seen += l.path("items").size();
                cont = l.path("metadata").path("continue").asText("");
            } while (!cont.isEmpty());
            if (seen != pods) throw new IllegalStateException("paged list saw " + seen);
            print("list page (limit=500)", paged, paged.count() / ((System.nanoTime() - pagedStart) / 1e9));

            Latencies selected = new Latencies(10);
            long selStart = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                long t = System.nanoTime();
                check(client.get("/api/v1/namespaces/" + NS + "/pods?labelSelector=shard%3D" + i), 200);
                selected.record(System.nanoTime() - t);
            }
            print("list with labelSelector (1/10)", selected, 10 / ((System.nanoTime() - selStart) / 1e9));

            watchPhase(client);
        }
        if (!skipStartup) startup(dir);
        return 0;
    }

    /** Watchers follow the namespace while clients update pods; latency is update sent → event received. */
    private void watchPhase(KubeClient client) throws InterruptedException {
        String rv = client.get("/api/v1/namespaces/" + NS + "/pods?limit=1").json().path("metadata").path("resourceVersion").asText();
        Latencies delivery = new Latencies(updates * watchers);
        CountDownLatch done = new CountDownLatch(watchers);
        List<KubeClient.WatchStream> streams = new ArrayList<>();
        AtomicInteger received = new AtomicInteger();
        for (int w = 0; w < watchers; w++) {
            KubeClient.WatchStream s = client.watch("/api/v1/namespaces/" + NS + "/pods?watch=true&resourceVersion=" + rv);
            streams.add(s);
            Thread.ofVirtual().start(() -> {
                int mine = 0;
                try {
                    while (mine < updates) {
                        Optional<JsonNode> e = s.next();
                        if (e.isEmpty()) break;
                        String sent = e.get().path("object").path("metadata").path("annotations").path("bench/sent").asText("");
                        if (sent.isEmpty()) continue;
                        delivery.record(System.nanoTime() - Long.parseLong(sent));
                        mine++;
                        received.incrementAndGet();
                    }
                } catch (RuntimeException ignored) {
                    // stream closed at the end
                } finally {
                    done.countDown();
                }
            });
        }
        Latencies update = new Latencies(updates);
        long start = System.nanoTime();
        double updateRate = parallel(clients, updates, i -> {
            ObjectNode patch = Json.object();
            patch.putObject("metadata").putObject("annotations").put("bench/sent", Long.toString(System.nanoTime()));
            long t = System.nanoTime();
            check(client.patch("/api/v1/namespaces/" + NS + "/pods/pod-" + (i % pods), "application/merge-patch+json", patch), 200);
            update.record(System.nanoTime() - t);
        });
        print("update pod (merge patch)", update, updateRate);
        boolean all = done.await(60, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        streams.forEach(KubeClient.WatchStream::close);
        print("watch event delivery (" + watchers + " watchers)", delivery, received.get() / seconds);
        if (!all) System.out.printf("  (only %d of %d events arrived within 60 s)%n", received.get(), updates * watchers);
    }

    /** Cold start of `./hypernetes up` as a user runs it, on the data just written: spawn → /readyz answers. */
    private void startup(Path dir) throws IOException, InterruptedException {
        String root = System.getProperty("hypernetes.root");
        if (root == null) {
            System.out.println("cold start not measured: run through the ./hypernetes script");
            return;
        }
        List<String> cmd = List.of(root + "/hypernetes", "up", "--data-dir", dir.toString(), "--port", "0", "--bind-address", "127.0.0.1", "--node", "none");
        System.out.println();
        for (int run = 1; run <= 3; run++) {
            long t = System.nanoTime();
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("HYPERNETES_SKIP_BUILD", "1");
            Process p = pb.start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                Pattern up = Pattern.compile("Hypernetes is up in (\\d+) ms: (\\S+)");
                String line;
                while ((line = out.readLine()) != null) {
                    Matcher m = up.matcher(line);
                    if (m.find()) {
                        try (KubeClient c = KubeClient.fromKubeconfig(dir.resolve("admin.kubeconfig"))) {
                            while (c.get("/readyz").code() != 200) Thread.sleep(5);
                        }
                        System.out.printf("cold start of `hypernetes up` with %d pods stored (run %d): %d ms to /readyz (server's own start: %s ms)%n",
                                pods, run, (System.nanoTime() - t) / 1_000_000, m.group(1));
                        break;
                    }
                }
            } finally {
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static ObjectNode pod(int i) {
        ObjectNode pod = Json.object().put("apiVersion", "v1").put("kind", "Pod");
        ObjectNode meta = pod.putObject("metadata").put("name", "pod-" + i);
        meta.putObject("labels").put("app", "bench").put("shard", Integer.toString(i % 10));
        ObjectNode c = pod.putObject("spec").putArray("containers").addObject().put("name", "app").put("image", "nginx:1.25");
        c.putArray("ports").addObject().put("containerPort", 80);
        c.putObject("resources").putObject("requests").put("cpu", "100m").put("memory", "64Mi");
        return pod;
    }
}
