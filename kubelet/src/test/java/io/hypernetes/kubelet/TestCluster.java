package io.hypernetes.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.BindableService;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.hypernetes.api.json.Json;
import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.client.KubeClient;
import io.hypernetes.network.NetworkProvider;
import io.hypernetes.runtime.RuntimeEndpoint;
import io.hypernetes.runtime.hollow.HollowRuntime;
import io.hypernetes.runtime.v1.ListPodSandboxRequest;
import io.hypernetes.runtime.v1.PodSandbox;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxFilter;
import io.hypernetes.runtime.v1.RemovePodSandboxRequest;
import io.hypernetes.runtime.v1.RunPodSandboxRequest;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * What the node agent tests run against: a real API server in-process over HTTPS, an admin client for the test's
 * own writes, and nodes, each a hollow runtime served over a real unix socket (or in-process, as Kubemark serves
 * it) with a node agent on the node's own credentials, and optionally a network provider (a test's fake kubestack).
 * The sandbox configurations the runtime receives are kept per node (the hollow runtime does not report them),
 * and the sandbox starts and removals go into the cluster's {@link #journal}, which a fake provider may write too,
 * so a test can tell what happened in which order.
 */
final class TestCluster implements AutoCloseable {
    final ApiServer server;
    final KubeClient admin;
    /** Runtime calls ({@code RunPodSandbox <uid>}, {@code RemovePodSandbox <sandbox id>}) and whatever a test's fakes add, in order. */
    final List<String> journal = Collections.synchronizedList(new ArrayList<>());
    private final Path dir;
    private final List<AutoCloseable> closing = new ArrayList<>();

    private TestCluster(Path dir, ApiServer server) {
        this.dir = dir;
        this.server = server;
        this.admin = KubeClient.fromKubeconfig(server.kubeconfig());
    }

    static TestCluster start(Path dir) throws IOException, InterruptedException {
        return new TestCluster(dir, ApiServer.start(new ApiServer.Config(dir.resolve("api"), "127.0.0.1", 0, Duration.ofSeconds(1), Duration.ofMinutes(5))));
    }

    /** Test timings: back-off from 500 ms, runtime relisted every 100 ms, Lease renewed every 300 ms. */
    static NodeAgent.Config fast(String node, String podCidr) {
        return NodeAgent.Config.defaults(node).withPodCidr(podCidr)
                .withBackoff(Duration.ofMillis(500), Duration.ofSeconds(4))
                .withRelistInterval(Duration.ofMillis(100))
                .withLease(Duration.ofSeconds(40), Duration.ofMillis(300));
    }

    /** A node: its hollow runtime and the channel to it stay when its agent is restarted. */
    final class Node implements AutoCloseable {
        final NodeAgent.Config config;
        final HollowRuntime runtime;
        final RuntimeEndpoint.Serving serving;
        final ManagedChannel channel;
        final KubeClient client;
        /** The node's kubestack, null for none. */
        final NetworkProvider provider;
        /** Every sandbox configuration the runtime was asked to run, in order. */
        final List<PodSandboxConfig> sandboxConfigs = Collections.synchronizedList(new ArrayList<>());
        NodeAgent agent;

        Node(NodeAgent.Config config, boolean unixSocket, NetworkProvider provider) throws IOException {
            this.config = config;
            this.provider = provider;
            this.runtime = new HollowRuntime(new HollowRuntime.Config(config.nodeName(), config.podCidr()));
            RuntimeEndpoint endpoint = unixSocket
                    ? new RuntimeEndpoint.Unix(dir.resolve("run").resolve(config.nodeName() + ".sock"))
                    : new RuntimeEndpoint.InProcess(config.nodeName() + "-" + UUID.randomUUID());
            BindableService[] services = runtime.services();
            BindableService runtimeService = services[0];
            BindableService recorded = () -> ServerInterceptors.intercept(runtimeService, new Recorder());
            this.serving = endpoint.serve(recorded, services[1]);
            this.channel = endpoint.connect();
            this.client = KubeClient.fromKubeconfig(server.nodeKubeconfig(config.nodeName()));
            this.agent = NodeAgent.start(config, client, channel, provider);
        }

        /** Stops the agent (the pods keep running in the runtime) and starts a new one. */
        void restartAgent() {
            agent.close();
            agent = NodeAgent.start(config, client, channel, provider);
        }

        /** The configurations the runtime was asked to run sandboxes of pod {@code uid} with. */
        List<PodSandboxConfig> sandboxConfigs(String uid) {
            synchronized (sandboxConfigs) {
                return sandboxConfigs.stream().filter(c -> c.getMetadata().getUid().equals(uid)).toList();
            }
        }

        /** Keeps what the agent asks the runtime to run and remove. */
        private final class Recorder implements ServerInterceptor {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
                return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                    @Override
                    public void onMessage(Q message) {
                        if (message instanceof RunPodSandboxRequest r) {
                            sandboxConfigs.add(r.getConfig());
                            journal.add("RunPodSandbox " + r.getConfig().getMetadata().getUid());
                        } else if (message instanceof RemovePodSandboxRequest r) {
                            journal.add("RemovePodSandbox " + r.getPodSandboxId());
                        }
                        super.onMessage(message);
                    }
                };
            }
        }

        List<PodSandbox> sandboxes(String uid) {
            PodSandboxFilter.Builder f = PodSandboxFilter.newBuilder();
            if (uid != null) f.putLabelSelector("io.kubernetes.pod.uid", uid);
            return RuntimeServiceGrpc.newBlockingStub(channel).listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(f).build()).getItemsList();
        }

        RuntimeServiceGrpc.RuntimeServiceBlockingStub rt() {
            return RuntimeServiceGrpc.newBlockingStub(channel);
        }

        @Override
        public void close() {
            agent.close();
            channel.shutdownNow();
            serving.close();
            runtime.close();
        }
    }

    Node node(NodeAgent.Config config, boolean unixSocket) throws IOException {
        return node(config, unixSocket, null);
    }

    Node node(NodeAgent.Config config, boolean unixSocket, NetworkProvider provider) throws IOException {
        Node n = new Node(config, unixSocket, provider);
        closing.add(n);
        return n;
    }

    Node node(String name, String podCidr, UnaryOperator<NodeAgent.Config> tune) throws IOException {
        return node(name, podCidr, tune, null);
    }

    /** A node with {@code provider} as its kubestack (null: none). */
    Node node(String name, String podCidr, UnaryOperator<NodeAgent.Config> tune, NetworkProvider provider) throws IOException {
        return node(tune.apply(fast(name, podCidr).withRootDir(dir.resolve("nodes").resolve(name))), false, provider);
    }

    /** Creates a pod (YAML) in {@code default} and answers it as the server stored it. */
    ObjectNode createPod(String yaml) {
        return createPod("default", yaml);
    }

    /** Creates a pod (YAML) in {@code namespace} and answers it as the server stored it. */
    ObjectNode createPod(String namespace, String yaml) {
        ObjectNode pod = yaml(yaml);
        KubeClient.Response r = admin.post("/api/v1/namespaces/" + namespace + "/pods", pod);
        assertThat(r.code()).as(r.text()).isEqualTo(201);
        return (ObjectNode) r.json();
    }

    JsonNode pod(String name) {
        return admin.get("/api/v1/namespaces/default/pods/" + name).json();
    }

    /** Polls the pod until {@code ok} holds (failing after 30 s) and answers that version. */
    JsonNode awaitPod(String name, Predicate<JsonNode> ok) throws Exception {
        return awaitPod("default", name, ok);
    }

    /** Polls pod {@code namespace/name} until {@code ok} holds (failing after 30 s) and answers that version. */
    JsonNode awaitPod(String namespace, String name, Predicate<JsonNode> ok) throws Exception {
        // a watch shows every state the agent wrote, also one that lasts less than a poll would take to see it
        Instant end = Instant.now().plusSeconds(30);
        JsonNode last = null;
        while (Instant.now().isBefore(end)) {
            long seconds = Math.max(1, Duration.between(Instant.now(), end).toSeconds());
            try (KubeClient.WatchStream w = admin.watch("/api/v1/namespaces/" + namespace + "/pods?watch=true&fieldSelector=metadata.name%3D"
                    + name + "&timeoutSeconds=" + seconds)) {
                for (Optional<JsonNode> e = w.next(); e.isPresent(); e = w.next()) {
                    if (!e.get().path("type").asText().matches("ADDED|MODIFIED")) continue;
                    last = e.get().path("object");
                    if (ok.test(last)) return last;
                }
            }
        }
        throw new AssertionError("pod " + name + " not as expected within 30 s; last: " + (last == null ? "none" : Json.string(last.path("status"))));
    }

    /** A condition a test waits for; it may call the API. */
    interface Check {
        boolean ok() throws Exception;
    }

    /** Polls {@code check} every 50 ms until it holds, failing after 30 s. */
    static void await(Check check) throws Exception {
        Instant end = Instant.now().plusSeconds(30);
        while (!check.ok()) {
            if (Instant.now().isAfter(end)) throw new AssertionError("condition not met within 30 s");
            Thread.sleep(50);
        }
    }

    /** The reasons of the Events about pod {@code name}. */
    List<String> eventReasons(String name) {
        return events("default", name).stream().map(e -> e.path("reason").asText()).toList();
    }

    /** The Events about pod {@code namespace/name}. */
    List<JsonNode> events(String namespace, String name) {
        List<JsonNode> events = new ArrayList<>();
        for (JsonNode e : admin.get("/api/v1/namespaces/" + namespace + "/events").json().path("items")) {
            if (e.path("involvedObject").path("name").asText().equals(name)) events.add(e);
        }
        return events;
    }

    /** Waits until Events with all these reasons were written about pod {@code name} (they are written asynchronously). */
    void awaitEvents(String name, String... reasons) throws Exception {
        await(() -> eventReasons(name).containsAll(List.of(reasons)));
    }

    /** Waits until an Event of {@code reason} whose message contains {@code text} was written about pod {@code namespace/name}; answers it. */
    JsonNode awaitEvent(String namespace, String name, String reason, String text) throws Exception {
        JsonNode[] found = new JsonNode[1];
        await(() -> {
            for (JsonNode e : events(namespace, name)) {
                if (e.path("reason").asText().equals(reason) && e.path("message").asText().contains(text)) {
                    found[0] = e;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    static String condition(JsonNode pod, String type) {
        for (JsonNode c : pod.path("status").path("conditions")) {
            if (c.path("type").asText().equals(type)) return c.path("status").asText();
        }
        return "";
    }

    static JsonNode container(JsonNode pod, String name) {
        for (JsonNode c : pod.path("status").path("containerStatuses")) {
            if (c.path("name").asText().equals(name)) return c;
        }
        return Json.object();
    }

    static ObjectNode yaml(String text) {
        try {
            return (ObjectNode) Json.YAML.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) c.close();
        admin.close();
        server.close();
    }
}
