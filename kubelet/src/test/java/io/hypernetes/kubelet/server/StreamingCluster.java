package io.hypernetes.kubelet.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.ManagedChannel;
import io.hypernetes.api.json.Json;
import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.apiserver.auth.InProcessTokenValidator;
import io.hypernetes.client.KubeClient;
import io.hypernetes.identity.AuthRequest;
import io.hypernetes.identity.Domain;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.Project;
import io.hypernetes.identity.Role;
import io.hypernetes.identity.RoleAssignment;
import io.hypernetes.identity.Scope;
import io.hypernetes.identity.User;
import io.hypernetes.runtime.RuntimeEndpoint;
import io.hypernetes.runtime.hollow.HollowRuntime;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerMetadata;
import io.hypernetes.runtime.v1.CreateContainerRequest;
import io.hypernetes.runtime.v1.ImageServiceGrpc;
import io.hypernetes.runtime.v1.ImageSpec;
import io.hypernetes.runtime.v1.KeyValue;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxMetadata;
import io.hypernetes.runtime.v1.PullImageRequest;
import io.hypernetes.runtime.v1.RunPodSandboxRequest;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import io.hypernetes.runtime.v1.StartContainerRequest;
import io.hypernetes.runtime.v1.StopContainerRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The whole path of {@code kubectl logs/exec/attach} in one process: an API server (with the built-in identity
 * core, for tenants), a hollow runtime (the named fake) served in-process over gRPC, a {@link KubeletServer} on it,
 * and a Node whose status points at that server. Pods are bound to the node by creating them with
 * {@code spec.nodeName}; their containers are made in the runtime directly, labelled as the node agent labels them.
 */
final class StreamingCluster implements AutoCloseable {
    static final String NODE = "node-a";
    static final String PASSWORD_SUFFIX = "-secret-1";

    final Path dir;
    final ApiServer api;
    final Identity identity;
    final HollowRuntime hollow;
    final RuntimeEndpoint.Serving serving;
    final ManagedChannel channel;
    final KubeletServer kubelet;
    final KubeClient admin;
    private final RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;

    private StreamingCluster(Path dir, ApiServer api, Identity identity) throws IOException {
        this.dir = dir;
        this.api = api;
        this.identity = identity;
        this.admin = KubeClient.fromKubeconfig(api.kubeconfig());
        this.hollow = new HollowRuntime(new HollowRuntime.Config(NODE, "10.244.1.0/24"));
        RuntimeEndpoint endpoint = RuntimeEndpoint.parse("inprocess:kubelet-server-test-" + System.nanoTime());
        this.serving = endpoint.serve(hollow.services());
        this.channel = endpoint.connect();
        this.runtime = RuntimeServiceGrpc.newBlockingStub(channel);
        this.kubelet = KubeletServer.start(KubeletServer.Config.fromKubeconfig(NODE, api.nodeKubeconfig(NODE),
                new InetSocketAddress("127.0.0.1", 0)), channel);
        created("/api/v1/nodes", Json.object().put("apiVersion", "v1").put("kind", "Node")
                .set("metadata", Json.object().put("name", NODE)));
        String status = """
                {"status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": "%s"}],
                            "daemonEndpoints": {"kubeletEndpoint": {"Port": %d}}}}""".formatted(NODE, kubelet.port());
        KubeClient.Response r = admin.send("PATCH", "/api/v1/nodes/" + NODE + "/status", status.getBytes(StandardCharsets.UTF_8),
                "application/merge-patch+json", "application/json");
        if (r.code() != 200) throw new AssertionError("node status: " + r.code() + " " + r.text());
    }

    /** Another Node, whose status names {@code port} (0: no kubelet endpoint at all, as a node agent without a server). */
    void node(String name, int port) {
        created("/api/v1/nodes", Json.object().put("apiVersion", "v1").put("kind", "Node").set("metadata", Json.object().put("name", name)));
        if (port == 0) return;
        String status = """
                {"status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}], "daemonEndpoints": {"kubeletEndpoint": {"Port": %d}}}}"""
                .formatted(port);
        KubeClient.Response r = admin.send("PATCH", "/api/v1/nodes/" + name + "/status", status.getBytes(StandardCharsets.UTF_8),
                "application/merge-patch+json", "application/json");
        if (r.code() != 200) throw new AssertionError("node status: " + r.code() + " " + r.text());
    }

    static StreamingCluster start() {
        try {
            Path dir = Files.createTempDirectory("hypernetes-kubelet-server");
            AtomicReference<Identity> made = new AtomicReference<>();
            ApiServer api = ApiServer.start(new ApiServer.Config(dir, "127.0.0.1", 0, Duration.ofSeconds(1), Duration.ofMinutes(5),
                    store -> {
                        made.set(Identity.open(store, dir.resolve("identity"), Clock.systemUTC()));
                        return new InProcessTokenValidator(made.get());
                    }));
            made.get().directory().createDomain(new Domain(Domain.DEFAULT_ID, Domain.DEFAULT_NAME, "", true));
            return new StreamingCluster(dir, api, made.get());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    JsonNode created(String path, ObjectNode obj) {
        KubeClient.Response r = admin.post(path, obj);
        if (r.code() != 201) throw new AssertionError("create " + path + " -> " + r.code() + ": " + r.text());
        return r.json();
    }

    static ObjectNode yaml(String text) {
        try {
            return (ObjectNode) Json.YAML.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A pod of {@code containers} (name=image pairs) bound to the node, or to none when {@code node} is null. */
    JsonNode pod(String namespace, String name, String node, String... containers) {
        StringBuilder spec = new StringBuilder();
        for (String c : containers) {
            String[] nameImage = c.split("=", 2);
            spec.append("  - {name: ").append(nameImage[0]).append(", image: \"").append(nameImage[1]).append("\"}\n");
        }
        return created("/api/v1/namespaces/" + namespace + "/pods", yaml("""
                apiVersion: v1
                kind: Pod
                metadata: {name: %s, namespace: %s}
                spec:
                  %s
                  containers:
                %s""".formatted(name, namespace, node == null ? "" : "nodeName: " + node, spec)));
    }

    /** A sandbox for the pod, as the node agent makes one; returns its id and config. */
    Map.Entry<String, PodSandboxConfig> sandbox(JsonNode pod) {
        String ns = pod.path("metadata").path("namespace").asText();
        String name = pod.path("metadata").path("name").asText();
        String uid = pod.path("metadata").path("uid").asText();
        PodSandboxConfig config = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace(ns).setUid(uid))
                .putLabels(PodContainers.POD_NAME, name).putLabels(PodContainers.POD_NAMESPACE, ns)
                .putLabels("io.kubernetes.pod.uid", uid)
                .build();
        String id = runtime.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
        return Map.entry(id, config);
    }

    /** Creates and starts attempt {@code attempt} of a container in the sandbox, labelled as the node agent labels it. */
    String container(Map.Entry<String, PodSandboxConfig> sandbox, String name, String image, int attempt, String... env) {
        ImageServiceGrpc.newBlockingStub(channel).pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build());
        PodSandboxConfig s = sandbox.getValue();
        ContainerConfig.Builder c = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name).setAttempt(attempt))
                .setImage(image)
                .putLabels(PodContainers.POD_NAME, s.getMetadata().getName())
                .putLabels(PodContainers.POD_NAMESPACE, s.getMetadata().getNamespace())
                .putLabels("io.kubernetes.pod.uid", s.getMetadata().getUid())
                .putLabels(PodContainers.CONTAINER_NAME, name);
        for (String e : env) {
            String[] kv = e.split("=", 2);
            c.addEnvs(KeyValue.newBuilder().setKey(kv[0]).setValue(kv[1]));
        }
        String id = runtime.createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandbox.getKey())
                .setConfig(c).setSandboxConfig(s).build()).getContainerId();
        runtime.startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        return id;
    }

    void stop(String containerId) {
        runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(containerId).setTimeout(0).build());
    }

    // ---- tenants

    Project project(String name) {
        return identity.directory().createProject(Project.of(name, Domain.DEFAULT_ID, ""));
    }

    Role role(String name) {
        return identity.directory().roleByName(name).orElseGet(() -> identity.directory().createRole(Role.of(name)));
    }

    /** A kubeconfig presenting the Keystone token of a new user holding {@code role} in {@code project}. */
    Path tenantKubeconfig(String user, String role, Project project) {
        User u = identity.directory().createUser(User.of(user, Domain.DEFAULT_ID, identity.passwords().hash(user + PASSWORD_SUFFIX)));
        identity.directory().grant(new RoleAssignment(role(role).id(), u.id(), Scope.project(project.id())));
        String token = identity.authenticator().authenticate(new AuthRequest(new AuthRequest.Password(
                new AuthRequest.UserRef.ByName(user, new AuthRequest.DomainRef.ById(Domain.DEFAULT_ID)), user + PASSWORD_SUFFIX),
                new AuthRequest.ProjectRef.ById(project.id())), "127.0.0.1").token();
        return kubeconfigWithUser(user, Json.object().put("token", token));
    }

    /** The admin kubeconfig with its user's credentials replaced (none: an anonymous caller). */
    Path kubeconfigWithUser(String name, ObjectNode credentials) {
        try {
            ObjectNode config = (ObjectNode) Json.YAML.readTree(api.kubeconfig().toFile());
            for (JsonNode u : config.path("users")) ((ObjectNode) u.path("user")).removeAll().setAll(credentials);
            Path file = dir.resolve(name + ".kubeconfig");
            Json.YAML.writeValue(file.toFile(), config);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        kubelet.close();
        channel.shutdownNow();
        serving.close();
        hollow.close();
        admin.close();
        api.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp directory is harmless
        }
    }
}
