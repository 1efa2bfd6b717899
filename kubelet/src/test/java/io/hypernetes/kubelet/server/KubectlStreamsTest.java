package io.hypernetes.kubelet.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.KubeClient;
import io.hypernetes.identity.Project;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stock kubectl, the oldest (SPDY for exec and attach) and the newest (WebSocket v5) on the machine, against the
 * whole path: API server → kubelet server → hollow runtime. Also what the API server refuses before it dials the
 * node: tenants, readers, anonymous callers, malformed options, pods without a node.
 */
class KubectlStreamsTest {
    static StreamingCluster cluster;
    static Path admin;
    static Path alice; // member of alpha
    static Path rita;  // reader of alpha
    static Path bob;   // member of beta

    @BeforeAll
    static void start() {
        cluster = StreamingCluster.start();
        admin = cluster.api.kubeconfig();
        cluster.created("/api/v1/namespaces", StreamingCluster.yaml("{apiVersion: v1, kind: Namespace, metadata: {name: apps}}"));

        // web: one container, logging a tick every 100 ms
        var web = cluster.sandbox(cluster.pod("apps", "web", StreamingCluster.NODE, "app=nginx:1.25"));
        cluster.container(web, "app", "nginx:1.25", 0, "HOLLOW_LOG_EVERY_MS=100");
        // restarted: attempt 0 exited, attempt 1 runs (what --previous reads)
        var restarted = cluster.sandbox(cluster.pod("apps", "restarted", StreamingCluster.NODE, "app=busybox:1.36"));
        cluster.stop(cluster.container(restarted, "app", "busybox:1.35", 0));
        cluster.container(restarted, "app", "busybox:1.36", 1);
        // multi: two containers; pending: not scheduled
        var multi = cluster.sandbox(cluster.pod("apps", "multi", StreamingCluster.NODE, "a=nginx:1.25", "b=redis:7"));
        cluster.container(multi, "a", "nginx:1.25", 0);
        cluster.container(multi, "b", "redis:7", 0);
        cluster.pod("apps", "pending", null, "app=nginx:1.25");
        // nodes whose kubelet server cannot be reached: none published, and one that no longer listens
        cluster.node("quiet", 0);
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        cluster.node("gone", closedPort);
        cluster.pod("apps", "on-quiet", "quiet", "app=nginx:1.25");
        cluster.pod("apps", "on-gone", "gone", "app=nginx:1.25");
        var stopped = cluster.sandbox(cluster.pod("apps", "stopped", StreamingCluster.NODE, "app=nginx:1.25"));
        cluster.stop(cluster.container(stopped, "app", "nginx:1.25", 0));

        Project alpha = cluster.project("alpha");
        Project beta = cluster.project("beta");
        alice = cluster.tenantKubeconfig("alice", "member", alpha);
        rita = cluster.tenantKubeconfig("rita", "reader", alpha);
        bob = cluster.tenantKubeconfig("bob", "member", beta);
        // alice's namespace (labelled with alpha by the server) and a pod in it on the node
        try (KubeClient a = KubeClient.fromKubeconfig(alice)) {
            KubeClient.Response r = a.post("/api/v1/namespaces", StreamingCluster.yaml("{apiVersion: v1, kind: Namespace, metadata: {name: alpha-web}}"));
            assertThat(r.code()).as(r.text()).isEqualTo(201);
        }
        var shop = cluster.sandbox(cluster.pod("alpha-web", "shop", StreamingCluster.NODE, "app=nginx:1.25"));
        cluster.container(shop, "app", "nginx:1.25", 0);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
    }

    private static Kubectl kubectl(String binary) {
        return new Kubectl(binary, admin);
    }

    // ---- logs

    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void logsShowTheContainersLog(String binary) {
        Kubectl.Result r = kubectl(binary).run("-n", "apps", "logs", "web");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("hollow container app started (nginx:1.25)\n");
    }

    @Test
    void tailKeepsTheLastLines() {
        awaitLines("web", 4);
        Kubectl.Result r = kubectl(Kubectl.NEWEST).run("-n", "apps", "logs", "web", "--tail=2");
        assertThat(r.code()).as(r.toString()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(2).allMatch(l -> l.startsWith("tick "));
    }

    @Test
    void timestampsPrefixEachLineWithRfc3339Nano() {
        Kubectl.Result r = kubectl(Kubectl.NEWEST).run("-n", "apps", "logs", "web", "--timestamps", "--tail=3");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out().lines().toList()).hasSize(3)
                .allMatch(l -> l.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z (tick \\d+|hollow container .*)"), "timestamped");
    }

    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void followStreamsNewLinesUntilKilled(String binary) {
        List<String> ticks = kubectl(binary).linesThenKill(3, "tick \\d+", "-n", "apps", "logs", "-f", "web", "--tail=1");
        int first = Integer.parseInt(ticks.getFirst().substring(5));
        assertThat(ticks).as("consecutive new lines").containsExactly("tick " + first, "tick " + (first + 1), "tick " + (first + 2));
    }

    @Test
    void limitBytesCutsTheLog() {
        Kubectl.Result r = kubectl(Kubectl.NEWEST).run("-n", "apps", "logs", "web", "--limit-bytes=10");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("hollow con");
    }

    @Test
    void aNodeWithoutAReachableServerIsAClearError() {
        Kubectl.Result quiet = kubectl(Kubectl.NEWEST).run("-n", "apps", "logs", "on-quiet");
        assertThat(quiet.code()).as(quiet.toString()).isNotZero();
        assertThat(quiet.err()).contains("node \"quiet\" serves no kubelet endpoint");
        Kubectl.Result gone = kubectl(Kubectl.NEWEST).run("-n", "apps", "exec", "on-gone", "--", "echo", "hi");
        assertThat(gone.code()).as(gone.toString()).isNotZero();
        assertThat(gone.err()).contains("error dialing backend: the kubelet server of node \"gone\"");
    }

    @Test
    void previousReadsTheInstanceBeforeTheCurrentOne() {
        Kubectl.Result r = kubectl(Kubectl.NEWEST).run("-n", "apps", "logs", "restarted", "--previous");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("hollow container app started (busybox:1.35)").doesNotContain("busybox:1.36");
        Kubectl.Result current = kubectl(Kubectl.NEWEST).run("-n", "apps", "logs", "restarted");
        assertThat(current.out()).contains("hollow container app started (busybox:1.36)");
    }

    @Test
    void previousWithoutARestartIsKubernetesError() {
        Kubectl.Result r = kubectl(Kubectl.NEWEST).run("-n", "apps", "logs", "web", "--previous");
        assertThat(r.code()).as(r.toString()).isNotZero();
        assertThat(r.err()).contains("previous terminated container \"app\" in pod \"web\" not found");
    }

    @Test
    void sinceKeepsOnlyRecentLines() {
        Kubectl.Result hour = kubectl(Kubectl.NEWEST).run("-n", "apps", "logs", "web", "--since=1h");
        assertThat(hour.out()).startsWith("hollow container app started");
        Kubectl.Result future = kubectl(Kubectl.NEWEST).run("-n", "apps", "logs", "web", "--since-time=2999-01-01T00:00:00Z");
        assertThat(future.code()).as(future.toString()).isZero();
        assertThat(future.out()).isEmpty();
    }

    // ---- exec

    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void execRunsACommand(String binary) {
        Kubectl.Result r = kubectl(binary).run("-n", "apps", "exec", "web", "--", "echo", "hi", "there");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("hi there\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void execExitsWithTheCommandsExitCode(String binary) {
        Kubectl.Result r = kubectl(binary).run("-n", "apps", "exec", "web", "--", "sh", "-c", "exit 3");
        assertThat(r.code()).as(r.toString()).isEqualTo(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void execOfAnUnknownCommandFailsAtOnce(String binary) {
        Kubectl.Result r = kubectl(binary).run("-n", "apps", "exec", "web", "--", "nosuchcmd");
        assertThat(r.code()).as(r.toString()).isEqualTo(127);
        assertThat(r.err()).contains("nosuchcmd: executable file not found in $PATH");
    }

    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void execPipesStdin(String binary) {
        Kubectl.Result r = kubectl(binary).runWithInput("hello\nworld\n", "-n", "apps", "exec", "-i", "web", "--", "cat");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("hello\nworld\n");
    }

    /** Megabytes through stdin and back: SPDY's flow-control windows and WebSocket back-pressure on every hop. */
    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void execCarriesMegabytesBothWays(String binary) {
        StringBuilder big = new StringBuilder();
        for (int i = 0; big.length() < 4 << 20; i++) big.append("line ").append(i).append(" of a long stdin\n");
        Kubectl.Result r = kubectl(binary).runWithInput(big.toString(), "-n", "apps", "exec", "-i", "web", "--", "cat");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().length()).isEqualTo(big.length());
        assertThat(r.out()).isEqualTo(big.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void execPicksTheNamedContainer(String binary) {
        Kubectl.Result r = kubectl(binary).run("-n", "apps", "exec", "multi", "-c", "b", "--", "hostname");
        assertThat(r.code()).as(r.toString()).isZero();
        Kubectl.Result bad = kubectl(binary).run("-n", "apps", "exec", "multi", "-c", "nosuch", "--", "hostname");
        assertThat(bad.code()).as(bad.toString()).isNotZero();
        assertThat(bad.err()).contains("container nosuch is not valid for pod multi");
    }

    /** With a terminal (script(1) gives kubectl a pty): one output stream, and the terminal's size on the resize channel. */
    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void execWithATerminal(String binary) throws Exception {
        String command = binary + " --kubeconfig " + admin + " -n apps exec -t web -- echo tty-ok";
        Process p = new ProcessBuilder("script", "-qec", command, "/dev/null").redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("tty-ok");
    }

    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void execIntoAStoppedContainerIsRefusedClearly(String binary) {
        Kubectl.Result r = kubectl(binary).run("-n", "apps", "exec", "stopped", "--", "echo", "hi");
        assertThat(r.code()).as(r.toString()).isNotZero();
        assertThat(r.err()).contains("container not found (\"app\")");
    }

    // ---- attach

    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void attachStreamsTheContainersOutput(String binary) {
        List<String> ticks = kubectl(binary).linesThenKill(2, "tick \\d+", "-n", "apps", "attach", "web", "-c", "app");
        assertThat(ticks).hasSize(2);
    }

    // ---- hang-ups: a killed kubectl leaves nothing running on the node

    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void aKilledFollowEndsTheNodesStream(String binary) {
        kubectl(binary).linesThenKill(1, "tick \\d+", "-n", "apps", "logs", "-f", "web", "--tail=1");
        awaitActiveStreams(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {Kubectl.OLDEST, Kubectl.NEWEST})
    void aKilledExecEndsTheCommand(String binary) throws Exception {
        Process p = new ProcessBuilder(binary, "--kubeconfig", admin.toString(), "-n", "apps", "exec", "web", "--", "sleep", "600").start();
        try {
            awaitActiveStreams(1);
        } finally {
            p.destroy();
            p.waitFor();
        }
        awaitActiveStreams(0);
    }

    private static void awaitActiveStreams(int n) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (cluster.kubelet.activeStreams() != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the kubelet server has " + cluster.kubelet.activeStreams() + " streams, not " + n);
            }
            pause();
        }
    }

    // ---- refusals, before the node is dialled

    @Test
    void anotherTenantsPodDoesNotExist() {
        Kubectl.Result logs = new Kubectl(Kubectl.NEWEST, bob).run("-n", "alpha-web", "logs", "shop");
        assertThat(logs.code()).as(logs.toString()).isNotZero();
        assertThat(logs.err()).contains("not found"); // kubectl's own get of the pod, answered as for an absent namespace
        try (KubeClient b = KubeClient.fromKubeconfig(bob)) {
            assertThat(b.get("/api/v1/namespaces/alpha-web/pods/shop/log").code()).isEqualTo(404);
            KubeClient.Response exec = b.send("POST", "/api/v1/namespaces/alpha-web/pods/shop/exec?command=echo&stdout=true", null, null, "application/json");
            assertThat(exec.code()).as(exec.text()).isEqualTo(404);
        }
    }

    @Test
    void aMemberReachesItsOwnPodAndAReaderOnlyReadsIt() {
        Kubectl.Result own = new Kubectl(Kubectl.NEWEST, alice).run("-n", "alpha-web", "exec", "shop", "--", "echo", "mine");
        assertThat(own.code()).as(own.toString()).isZero();
        assertThat(own.out()).isEqualTo("mine\n");
        Kubectl.Result read = new Kubectl(Kubectl.NEWEST, rita).run("-n", "alpha-web", "logs", "shop");
        assertThat(read.code()).as(read.toString()).isZero();
        assertThat(read.out()).startsWith("hollow container app started");
        Kubectl.Result exec = new Kubectl(Kubectl.NEWEST, rita).run("-n", "alpha-web", "exec", "shop", "--", "echo", "x");
        assertThat(exec.code()).as(exec.toString()).isNotZero();
        assertThat(exec.err()).contains("cannot create resource \"pods/exec\"");
        try (KubeClient r = KubeClient.fromKubeconfig(rita)) {
            assertThat(r.send("POST", "/api/v1/namespaces/alpha-web/pods/shop/exec?command=echo&stdout=true", null, null, "application/json").code())
                    .isEqualTo(403);
        }
    }

    @Test
    void anonymousCallersAreUnauthorized() {
        try (KubeClient anonymous = KubeClient.fromKubeconfig(cluster.kubeconfigWithUser("anonymous", Json.object()))) {
            assertThat(anonymous.get("/api/v1/namespaces/apps/pods/web/log").code()).isEqualTo(401);
            assertThat(anonymous.send("POST", "/api/v1/namespaces/apps/pods/web/exec?command=echo&stdout=true", null, null, "application/json").code())
                    .isEqualTo(401);
        }
    }

    @Test
    void malformedOptionsAreBadRequestsAsKubernetesWordsThem() {
        Map<String, String> cases = Map.of(
                "/api/v1/namespaces/apps/pods/web/log?tailLines=abc", "tailLines: Invalid value: \"abc\"",
                "/api/v1/namespaces/apps/pods/web/log?container=nosuch", "container nosuch is not valid for pod web",
                "/api/v1/namespaces/apps/pods/multi/log", "a container name must be specified for pod multi, choose one of: [a b]",
                "/api/v1/namespaces/apps/pods/pending/log", "pod pending does not have a host assigned",
                "/api/v1/namespaces/apps/pods/web/log?follow=maybe", "follow: Invalid value: \"maybe\"");
        cases.forEach((path, message) -> {
            KubeClient.Response r = cluster.admin.get(path);
            assertThat(r.code()).as(path + ": " + r.text()).isEqualTo(400);
            JsonNode status = r.json();
            assertThat(status.path("kind").asText()).isEqualTo("Status");
            assertThat(status.path("message").asText()).as(path).contains(message);
        });
        KubeClient.Response negative = cluster.admin.get("/api/v1/namespaces/apps/pods/web/log?tailLines=-1");
        assertThat(negative.code()).isEqualTo(422);
        assertThat(negative.json().path("message").asText())
                .isEqualTo("PodLogOptions \"web\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0");
        KubeClient.Response noCommand = cluster.admin.send("POST", "/api/v1/namespaces/apps/pods/web/exec?stdout=true", null, null, "application/json");
        assertThat(noCommand.code()).isEqualTo(400);
        assertThat(noCommand.json().path("message").asText()).isEqualTo("you must specify at least one command for the container");
        KubeClient.Response noUpgrade = cluster.admin.send("POST", "/api/v1/namespaces/apps/pods/web/exec?command=echo&stdout=true", null, null, "application/json");
        assertThat(noUpgrade.code()).isEqualTo(400);
        assertThat(noUpgrade.json().path("message").asText()).startsWith("Upgrade request required");
    }

    @Test
    void aPodWithoutANodeIsRefusedByKubectl() {
        Kubectl.Result r = kubectl(Kubectl.NEWEST).run("-n", "apps", "exec", "pending", "--", "echo", "hi");
        assertThat(r.code()).as(r.toString()).isNotZero();
        assertThat(r.err()).contains("pod pending does not have a host assigned");
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits (with a deadline) until the container's log has at least {@code n} lines. */
    private static void awaitLines(String pod, int n) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            KubeClient.Response r = cluster.admin.get("/api/v1/namespaces/apps/pods/" + pod + "/log");
            if (r.code() == 200 && r.text().lines().count() >= n) return;
            pause();
        }
        throw new AssertionError("the log of " + pod + " never reached " + n + " lines");
    }
}
