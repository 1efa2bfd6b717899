package io.hypernetes.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Credentials, mirrors and configuration files against real registries. */
class RegistryAccessTest {
    @TempDir
    Path root;

    @Test
    void basicCredentialsAreSentWhenTheRegistryAsks() throws Exception {
        try (TestRegistry registry = TestRegistry.startWithBasicAuth("alice", "s3cret")) {
            ImageStore store = new ImageStore(root, registry.config());
            assertThatThrownBy(() -> store.pull(registry.busybox(), Credentials.ANONYMOUS))
                    .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.UNAUTHORIZED))
                    .hasMessageContaining("pull access denied for " + registry.address() + "/busybox")
                    .hasMessageContaining("requires credentials");
            assertThatThrownBy(() -> store.pull(registry.busybox(), new Credentials("alice", "wrong")))
                    .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.UNAUTHORIZED))
                    .hasMessageContaining("the registry refused the credentials of \"alice\"");
            Image image = store.pull(registry.busybox(), new Credentials("alice", "s3cret"));
            assertThat(image.repoTags()).containsExactly(registry.busybox());
            assertThat(store.list()).containsExactly(image);
        }
    }

    @Test
    void bearerTokensAreFetchedFromTheRealmTheRegistryNames() throws Exception {
        try (TestRegistry registry = TestRegistry.startWithTokenAuth("bob", "t0ken")) {
            ImageStore store = new ImageStore(root, registry.config());
            assertThatThrownBy(() -> store.pull(registry.busybox(), Credentials.ANONYMOUS))
                    .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.UNAUTHORIZED))
                    .hasMessageContaining("pull access denied for " + registry.address() + "/busybox, repository does not exist or may require authorization");
            assertThatThrownBy(() -> store.pull(registry.busybox(), new Credentials("bob", "wrong")))
                    .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.UNAUTHORIZED))
                    .hasMessageContaining("the token service 127.0.0.1:").hasMessageContaining("refused the credentials of \"bob\"");
            Image image = store.pull(registry.busybox(), new Credentials("bob", "t0ken"));
            assertThat(image.repoTags()).containsExactly(registry.busybox());
            assertThat(Debugfs.names(store.rootfs(image), "/bin")).contains("busybox");
        }
    }

    @Test
    void mirrorsAreTriedFirstAndADeadOrEmptyMirrorFallsBackToTheRegistry() throws Exception {
        HttpServer empty = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        empty.createContext("/", exchange -> {
            byte[] body = "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known to registry\"}]}".getBytes();
            exchange.sendResponseHeaders(404, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        empty.start();
        int deadPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        try (TestRegistry registry = TestRegistry.start()) {
            RegistryConfig config = registry.config().withMirrors(registry.address(), List.of("http://127.0.0.1:" + deadPort,
                    "http://127.0.0.1:" + empty.getAddress().getPort()));
            Image viaFallback = new ImageStore(root.resolve("a"), config).pull(registry.busybox(), Credentials.ANONYMOUS);
            assertThat(viaFallback.repoTags()).containsExactly(registry.busybox());

            // a registry that cannot be reached at all is served by its mirror
            RegistryConfig mirrored = RegistryConfig.DEFAULT.withMirrors("registry.invalid:5000", List.of("http://" + registry.address()));
            Image viaMirror = new ImageStore(root.resolve("b"), mirrored).pull("registry.invalid:5000/busybox", Credentials.ANONYMOUS);
            assertThat(viaMirror.id()).isEqualTo(viaFallback.id());
            assertThat(viaMirror.repoTags()).containsExactly("registry.invalid:5000/busybox:latest");

            // with every mirror failing and the registry unreachable, the registry's own failure is reported
            RegistryConfig nowhere = RegistryConfig.DEFAULT.withInsecure("127.0.0.1:" + deadPort)
                    .withMirrors("127.0.0.1:" + deadPort, List.of("http://127.0.0.1:" + empty.getAddress().getPort()));
            assertThatThrownBy(() -> new ImageStore(root.resolve("c"), nowhere).pull("127.0.0.1:" + deadPort + "/busybox", Credentials.ANONYMOUS))
                    .hasMessageContaining("cannot reach registry 127.0.0.1:" + deadPort);
        } finally {
            empty.stop(0);
        }
    }

    @Test
    void blobsRedirectedToAnotherOriginAreFetchedThereWithoutTheCredentials() throws Exception {
        String basic = "Basic " + java.util.Base64.getEncoder().encodeToString("alice:pw".getBytes());
        java.net.http.HttpClient proxy = java.net.http.HttpClient.newHttpClient();
        List<String> frontAuthorizations = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> cdnAuthorizations = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpServer front = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        HttpServer cdn = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        try (TestRegistry registry = TestRegistry.start()) {
            com.sun.net.httpserver.HttpHandler forward = exchange -> {
                try {
                    var response = proxy.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + registry.address()
                                    + exchange.getRequestURI())).header("Accept", exchange.getRequestHeaders().getFirst("Accept")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                    response.headers().firstValue("Content-Type").ifPresent(t -> exchange.getResponseHeaders().set("Content-Type", t));
                    exchange.sendResponseHeaders(response.statusCode(), response.body().length == 0 ? -1 : response.body().length);
                    exchange.getResponseBody().write(response.body());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    exchange.close();
                }
            };
            front.createContext("/", exchange -> {
                String authorization = exchange.getRequestHeaders().getFirst("Authorization");
                frontAuthorizations.add(String.valueOf(authorization));
                if (!basic.equals(authorization)) {
                    exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"front\"");
                    exchange.sendResponseHeaders(401, -1);
                    exchange.close();
                } else if (exchange.getRequestURI().getPath().contains("/blobs/")) {
                    exchange.getResponseHeaders().set("Location", "http://localhost:" + cdn.getAddress().getPort() + exchange.getRequestURI());
                    exchange.sendResponseHeaders(307, -1);
                    exchange.close();
                } else {
                    forward.handle(exchange);
                }
            });
            cdn.createContext("/", exchange -> {
                cdnAuthorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
                forward.handle(exchange);
            });
            front.start();
            cdn.start();
            RegistryConfig config = RegistryConfig.DEFAULT.withMirrors("front.invalid",
                    List.of("http://127.0.0.1:" + front.getAddress().getPort()));
            Image image = new ImageStore(root, config).pull("front.invalid/busybox", new Credentials("alice", "pw"));
            assertThat(image.layers()).hasSize(1);
            assertThat(cdnAuthorizations).hasSize(2).containsOnly("null");
            assertThat(frontAuthorizations).contains(basic);
        } finally {
            front.stop(0);
            cdn.stop(0);
        }
    }

    @Test
    void aManifestOver4MiBIsRefused() {
        byte[] big = new byte[RegistryClient.MAX_MANIFEST + 1];
        assertThatThrownBy(() -> RegistryClient.readLimited(new java.io.ByteArrayInputStream(big), RegistryClient.MAX_MANIFEST, "the manifest of x"))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.CORRUPT))
                .hasMessage("the manifest of x is larger than the 4194304 bytes allowed");
    }

    @Test
    void configurationLoadsFromYamlOrJsonAndRefusesTypos() throws Exception {
        Path yaml = Files.writeString(root.resolve("registries.yaml"), """
                insecure: ["localhost:5000"]
                mirrors:
                  docker.io: ["https://mirror.example", "http://127.0.0.1:5001"]
                """);
        RegistryConfig config = RegistryConfig.load(yaml);
        assertThat(config.isInsecure("localhost:5000")).isTrue();
        assertThat(config.mirrors().get("docker.io")).containsExactly("https://mirror.example", "http://127.0.0.1:5001");
        assertThat(new RegistryClient(config).endpoints("docker.io")).extracting(e -> e.base().toString())
                .containsExactly("https://mirror.example", "http://127.0.0.1:5001", "https://registry-1.docker.io");
        assertThat(new RegistryClient(config).endpoints("localhost:5000")).extracting(e -> e.base().toString())
                .containsExactly("https://localhost:5000", "http://localhost:5000");

        Path json = Files.writeString(root.resolve("registries.json"), "{\"insecure\":[\"r.example:443\"]}");
        assertThat(RegistryConfig.load(json)).isEqualTo(new RegistryConfig(List.of("r.example:443"), null));

        Path typo = Files.writeString(root.resolve("typo.yaml"), "insecur: [\"localhost:5000\"]\n");
        assertThatThrownBy(() -> RegistryConfig.load(typo)).isInstanceOf(ImageException.class)
                .hasMessageContaining("registry configuration " + typo).hasMessageContaining("insecur");
        Path badMirror = Files.writeString(root.resolve("bad.yaml"), "mirrors:\n  docker.io: [\"ftp://mirror\"]\n");
        assertThatThrownBy(() -> RegistryConfig.load(badMirror)).hasMessageContaining("mirrors.docker.io: \"ftp://mirror\"");
    }
}
