package io.hypernetes.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.hypernetes.network.linux.LinuxConfig;
import io.hypernetes.network.linux.LinuxProvider;
import io.hypernetes.runtime.RuntimeEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link KubestackService} and {@link KubestackClient} over real gRPC channels (in-process and a unix socket) to a real
 * {@link LinuxProvider} building in a test netns: what the provider answers and how its errors travel.
 */
class KubestackServiceTest {
    static final String PREFIX = "zks";
    static final String HOST = PREFIX + "-host";

    @TempDir
    static Path dir;
    static LinuxProvider provider;
    RuntimeEndpoint.Serving serving;
    KubestackClient client;

    @BeforeAll
    static void host() throws Exception {
        removeNamespaces();
        run("ip", "netns", "add", HOST);
        provider = new LinuxProvider(LinuxConfig.defaults(dir.resolve("state")).withPrefix(PREFIX).withHostNamespace(HOST));
    }

    @AfterAll
    static void removeNamespaces() throws IOException, InterruptedException {
        try (Stream<Path> namespaces = Files.list(Path.of("/run/netns"))) {
            for (String ns : namespaces.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(PREFIX)).toList()) {
                run("ip", "netns", "del", ns);
            }
        }
    }

    @AfterEach
    void stop() throws NetworkException {
        try {
            for (String network : provider.listNetworks()) {
                provider.deleteNetwork(network);
            }
        } finally {
            if (client != null) {
                client.close();
            }
            if (serving != null) {
                serving.close();
            }
        }
    }

    static void run(String... argv) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    RuntimeEndpoint endpoint(String kind) {
        return "unix".equals(kind)
                ? new RuntimeEndpoint.Unix(dir.resolve("kubestack-" + UUID.randomUUID() + ".sock"))
                : new RuntimeEndpoint.InProcess("kubestack-" + UUID.randomUUID());
    }

    void connect(String kind) {
        RuntimeEndpoint endpoint = endpoint(kind);
        serving = endpoint.serve(new KubestackService(provider));
        client = KubestackClient.connect(endpoint);
    }

    static NetworkSpec network(String name, int vni) {
        return new NetworkSpec(name, "uid-" + name, "project", vni, List.of(new NetworkSpec.Subnet("main", "10.9.0.0/24", "10.9.0.1")));
    }

    static NetworkException.Reason reasonOf(ThrowingCall call) {
        try {
            call.run();
        } catch (NetworkException e) {
            assertThat(e.getMessage()).isNotBlank();
            return e.reason();
        }
        throw new AssertionError("the call succeeded");
    }

    interface ThrowingCall {
        void run() throws NetworkException;
    }

    @ParameterizedTest
    @ValueSource(strings = {"inprocess", "unix"})
    void networksPodsAndLoadBalancersTravelBothWays(String kind) throws Exception {
        connect(kind);
        NetworkSpec spec = network("grpc-" + kind, "unix".equals(kind) ? 301 : 302);
        NetworkStatus status = client.createNetwork(spec);
        assertThat(status.ready()).as(status.message()).isTrue();
        assertThat(status.dnsAddress()).endsWith(":53");
        assertThat(status.details()).containsKey("router");
        assertThat(client.getNetwork(spec.name())).contains(status);
        assertThat(client.listNetworks()).containsExactly(spec.name());
        assertThat(client.name()).isEqualTo("linux");
        assertThat(client.checkTenant("0123456789abcdef").ok()).isTrue();
        assertThat(client.checkTenant("bad tenant").reason()).contains("bad tenant");

        PodPort port = client.setupPod(new PodPortSpec("ns", "p", "uid-p", spec, "10.9.0.5"));
        assertThat(port).isEqualTo(new PodPort("uid-p", spec.name(), "zksb" + spec.vni(), "10.9.0.5", 24, "10.9.0.1",
                1450, List.of("10.9.0.1")));
        assertThat(client.podStatus("uid-p")).contains(port);

        LoadBalancer lb = new LoadBalancer(spec.name(), "ns", "web", "10.96.0.10", List.of("198.51.100.1"), List.of(
                new LoadBalancer.Port("http", "TCP", 80, 30080, List.of(new LoadBalancer.Backend("10.9.0.5", 8080)))));
        assertThat(client.createLoadBalancer(lb).ingressIps()).containsExactly("198.51.100.1");
        assertThat(client.updateLoadBalancer(lb).ingressIps()).containsExactly("198.51.100.1");
        assertThat(client.listLoadBalancers(spec.name())).containsExactly(new LoadBalancerRef(spec.name(), "ns", "web"));
        client.deleteLoadBalancer(spec.name(), "ns", "web");
        assertThat(client.listLoadBalancers(spec.name())).isEmpty();
        client.setPeers(List.of("192.0.2.7"));
        client.setPeers(List.of());

        client.teardownPod("uid-p");
        assertThat(client.podStatus("uid-p")).isEmpty();
        client.deleteNetwork(spec.name());
        assertThat(client.getNetwork(spec.name())).isEmpty();
        assertThat(client.listNetworks()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"inprocess", "unix"})
    void errorsKeepTheirReasonAndMessage(String kind) throws Exception {
        connect(kind);
        NetworkSpec zero = network("vni-zero", 0);
        assertThatThrownBy(() -> client.createNetwork(zero)).isInstanceOfSatisfying(NetworkException.class, e -> {
            assertThat(e.reason()).isEqualTo(NetworkException.Reason.INVALID);
            assertThat(e.getMessage()).contains("vni 0");
        });
        NetworkSpec outside = new NetworkSpec("outside", "u", "p", 303, List.of(new NetworkSpec.Subnet("s", "10.9.0.0/24", "10.8.0.1")));
        assertThatThrownBy(() -> client.createNetwork(outside)).hasMessageContaining("gateway 10.8.0.1");
        assertThat(reasonOf(() -> client.deleteNetwork(""))).isEqualTo(NetworkException.Reason.INVALID);
        assertThat(reasonOf(() -> client.teardownPod(""))).isEqualTo(NetworkException.Reason.INVALID);
        assertThat(reasonOf(() -> client.createNetwork(new NetworkSpec("", "u", "p", 1, List.of()))))
                .isEqualTo(NetworkException.Reason.INVALID);
        assertThat(reasonOf(() -> client.setPeers(java.util.Collections.nCopies(KubestackService.MAX_PEERS + 1, "192.0.2.1"))))
                .isEqualTo(NetworkException.Reason.INVALID);
        assertThat(reasonOf(() -> client.createLoadBalancer(new LoadBalancer("nowhere", "ns", "web", "10.96.0.1", List.of(),
                List.of())))).isEqualTo(NetworkException.Reason.NOT_FOUND);
        assertThatThrownBy(() -> client.listLoadBalancers("nowhere")).isInstanceOfSatisfying(NetworkException.class, e -> {
            assertThat(e.reason()).isEqualTo(NetworkException.Reason.NOT_FOUND);
            assertThat(e.getMessage()).contains("network nowhere");
        });
        assertThatThrownBy(() -> client.listLoadBalancers("")).isInstanceOfSatisfying(NetworkException.class, e -> {
            assertThat(e.reason()).isEqualTo(NetworkException.Reason.INVALID);
            assertThat(e.getMessage()).isEqualTo("name is required");
        });
        assertThat(client.getNetwork("nowhere")).isEmpty();
        assertThat(client.podStatus("nobody")).isEmpty();
        client.deleteNetwork("nowhere"); // idempotent
        client.teardownPod("nobody");
        assertThat(client.listNetworks()).isEmpty();
    }

    @Test
    void aHostThatCannotBuildIsUnavailableAndAGoneServerToo() throws Exception {
        LinuxProvider broken = new LinuxProvider(LinuxConfig.defaults(dir.resolve("broken")).withPrefix(PREFIX)
                .withHostNamespace(PREFIX + "-missing"));
        RuntimeEndpoint endpoint = endpoint("unix");
        serving = endpoint.serve(new KubestackService(broken));
        client = KubestackClient.connect(endpoint);
        assertThatThrownBy(() -> client.createNetwork(network("broken", 304))).isInstanceOfSatisfying(NetworkException.class, e -> {
            assertThat(e.reason()).isEqualTo(NetworkException.Reason.UNAVAILABLE);
            assertThat(e.getMessage()).contains("ip netns exec zks-missing");
        });
        assertThat(Files.exists(Path.of("/run/netns/zksr-304"))).as("nothing half-built").isFalse();

        serving.close();
        serving = null;
        assertThat(reasonOf(() -> client.listNetworks())).isEqualTo(NetworkException.Reason.UNAVAILABLE);
        assertThat(client.name()).as("no server to ask").isEqualTo("kubestack");
    }

    @Test
    void everyReasonHasItsStatusCodeAndBack() {
        for (NetworkException.Reason reason : NetworkException.Reason.values()) {
            assertThat(KubestackMessages.reason(KubestackMessages.code(reason))).isEqualTo(reason);
        }
        assertThat(KubestackMessages.code(NetworkException.Reason.FORBIDDEN)).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(KubestackMessages.reason(Status.Code.DEADLINE_EXCEEDED)).isEqualTo(NetworkException.Reason.UNAVAILABLE);
        assertThat(KubestackMessages.reason(Status.Code.INTERNAL)).isEqualTo(NetworkException.Reason.UNAVAILABLE);
    }
}
