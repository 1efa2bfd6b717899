package io.hypernetes.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real registry for tests: Debian's {@code docker-registry} (the CNCF distribution registry) on a free loopback
 * port, storing in a temporary directory, with {@code busybox:latest} pushed into it by {@code skopeo} from an
 * image built here out of {@code /bin/busybox} (busybox-static). Other modules' tests (hyperd's) use it through
 * hypernetes-image's test-jar:
 *
 * <pre>{@code
 * try (TestRegistry registry = TestRegistry.start()) {
 *     ImageStore store = new ImageStore(dir, registry.config());
 *     Image busybox = store.pull(registry.busybox(), Credentials.ANONYMOUS);
 * }
 * }</pre>
 *
 * Plain HTTP, so {@link #config()} lists it as insecure. {@link #startWithBasicAuth} adds an htpasswd user.
 */
public final class TestRegistry implements AutoCloseable {
    /** The registry's PATH for busybox's applets, as Docker's busybox image has it. */
    public static final String PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final Duration START_DEADLINE = Duration.ofSeconds(60);

    private final Path dir;
    private final Process process;
    private final String address;
    private final String credentials;
    private final AutoCloseable tokenService;

    private TestRegistry(Path dir, Process process, String address, String credentials, AutoCloseable tokenService) {
        this.dir = dir;
        this.process = process;
        this.address = address;
        this.credentials = credentials;
        this.tokenService = tokenService;
    }

    /** Starts an anonymous registry and pushes {@code busybox:latest}. */
    public static TestRegistry start() throws IOException {
        return start(null, null, false);
    }

    /** Starts a registry that wants {@code user}/{@code password} (htpasswd, a Basic challenge) for pulls and pushes. */
    public static TestRegistry startWithBasicAuth(String user, String password) throws IOException {
        return start(user, password, false);
    }

    /**
     * Starts a registry with {@code token} auth, as Docker Hub has: a {@code Bearer} challenge sends clients to a token
     * service (started here too) that grants {@code user}/{@code password} what they ask and anonymous clients nothing.
     */
    public static TestRegistry startWithTokenAuth(String user, String password) throws IOException {
        return start(user, password, true);
    }

    private static TestRegistry start(String user, String password, boolean token) throws IOException {
        Path dir = Files.createTempDirectory("test-registry-");
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String address = "127.0.0.1:" + port;
        StringBuilder config = new StringBuilder("""
                version: 0.1
                log:
                  level: warn
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: %s
                """.formatted(dir.resolve("storage"), address));
        TokenService tokens = null;
        if (token) {
            tokens = new TokenService(dir, user, password);
            config.append("""
                    auth:
                      token:
                        realm: %s
                        service: %s
                        issuer: %s
                        rootcertbundle: %s
                    """.formatted(tokens.realm(), TokenService.SERVICE, TokenService.ISSUER, tokens.certificate()));
        } else if (user != null) {
            Path htpasswd = dir.resolve("htpasswd");
            Files.writeString(htpasswd, user + ":" + bcrypt(password) + "\n");
            config.append("""
                    auth:
                      htpasswd:
                        realm: test-registry
                        path: %s
                    """.formatted(htpasswd));
        }
        Path configFile = Files.writeString(dir.resolve("config.yml"), config);
        Process process = new ProcessBuilder("/usr/bin/docker-registry", "serve", configFile.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        TestRegistry registry = new TestRegistry(dir, process, address, user == null ? null : user + ":" + password, tokens);
        try {
            registry.awaitServing();
            registry.push(busyboxLayout(dir.resolve("layouts/busybox")).dir(), "latest", "busybox:latest");
            return registry;
        } catch (IOException | RuntimeException e) {
            registry.close();
            throw e;
        }
    }

    private void awaitServing() throws IOException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_DEADLINE.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("docker-registry exited with " + process.exitValue() + ": " + log());
            }
            try {
                int status = client.send(HttpRequest.newBuilder(URI.create("http://" + address + "/v2/")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200 || status == 401) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("docker-registry did not serve " + address + " within " + START_DEADLINE + ": " + log());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /** Where the registry listens, e.g. {@code 127.0.0.1:41234}. */
    public String address() {
        return address;
    }

    /** The reference of {@code repositoryAndTag} in this registry, e.g. {@code 127.0.0.1:41234/busybox:latest}. */
    public String reference(String repositoryAndTag) {
        return address + "/" + repositoryAndTag;
    }

    /** The reference of the busybox image every registry starts with. */
    public String busybox() {
        return reference("busybox:latest");
    }

    /** A configuration that reaches this registry (plain HTTP, so listed as insecure). */
    public RegistryConfig config() {
        return RegistryConfig.DEFAULT.withInsecure(address);
    }

    /** The registry's storage directory ({@code docker/registry/v2/…}), for tests that tamper with it. */
    public Path storage() {
        return dir.resolve("storage");
    }

    /** A scratch directory of this registry's, removed by {@link #close()}. */
    public Path scratch(String name) throws IOException {
        return Files.createDirectories(dir.resolve("scratch").resolve(name));
    }

    /**
     * Pushes {@code tag} of the OCI layout {@code layout} (an image or an index, with every platform) as
     * {@code repositoryAndTag}, with skopeo.
     */
    public void push(Path layout, String tag, String repositoryAndTag) throws IOException {
        List<String> command = new ArrayList<>(List.of("skopeo", "--policy", policy().toString(), "copy", "--quiet", "--all",
                "--dest-tls-verify=false"));
        if (credentials != null) {
            command.addAll(List.of("--dest-creds", credentials));
        }
        command.addAll(List.of("oci:" + layout + ":" + tag, "docker://" + reference(repositoryAndTag)));
        run(command);
    }

    /**
     * Uploads {@code blobs} and then {@code manifest} as {@code repository:reference} through the registry API itself
     * (a blob upload is a POST, then a PUT with the digest), for content skopeo refuses to push (e.g. an image
     * configuration over its 4 MiB limit). Anonymous registries only.
     */
    public void pushRaw(String repository, String reference, String mediaType, byte[] manifest, List<byte[]> blobs)
            throws IOException {
        HttpClient client = HttpClient.newHttpClient();
        try {
            for (byte[] blob : blobs) {
                HttpResponse<Void> started = client.send(HttpRequest.newBuilder(URI.create("http://" + address + "/v2/" + repository
                        + "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
                String location = started.headers().firstValue("Location")
                        .orElseThrow(() -> new IOException("blob upload answered " + started.statusCode() + " without a Location"));
                URI upload = URI.create("http://" + address + "/").resolve(location);
                URI put = URI.create(upload + (upload.getQuery() == null ? "?" : "&") + "digest=" + Digests.of(blob));
                int status = client.send(HttpRequest.newBuilder(put).header("Content-Type", "application/octet-stream")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(blob)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status != 201) {
                    throw new IOException("blob upload answered " + status);
                }
            }
            HttpResponse<String> put = client.send(HttpRequest.newBuilder(URI.create("http://" + address + "/v2/" + repository
                            + "/manifests/" + reference)).header("Content-Type", mediaType)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build(), HttpResponse.BodyHandlers.ofString());
            if (put.statusCode() != 201) {
                throw new IOException("manifest upload answered " + put.statusCode() + ": " + put.body());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Runs a command to its end, failing with its output when it fails. */
    public static String run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + output);
        }
        return output;
    }

    /** A skopeo signature policy that accepts anything, so pushes do not depend on the machine's /etc/containers. */
    public Path policy() throws IOException {
        Path policy = dir.resolve("policy.json");
        if (!Files.exists(policy)) {
            Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
        }
        return policy;
    }

    /**
     * Writes the busybox image (one layer: /bin/busybox, its applets as links, /etc/passwd) tagged {@code latest}; the
     * same bytes, and so the same image id, every time on one machine.
     */
    public static OciLayout busyboxLayout(Path dir) {
        OciLayout layout = new OciLayout(dir);
        Map<String, Object> config = new java.util.LinkedHashMap<>();
        config.put("Cmd", List.of("sh"));
        config.put("Env", List.of(PATH));
        layout.tag(layout.image(List.of(busyboxLayer()), "amd64", config), "latest");
        return layout;
    }

    /** The busybox layer, uncompressed: the same bytes (and so the same digest) every time on one machine. */
    public static byte[] busyboxLayer() {
        try {
            TarWriter tar = new TarWriter();
            for (String dir : List.of("bin", "dev", "etc", "proc", "root", "sys", "usr", "usr/bin", "usr/sbin", "sbin", "var")) {
                tar.directory(dir, 0755);
            }
            tar.directory("tmp", 01777);
            tar.file("bin/busybox", Files.readAllBytes(Path.of("/bin/busybox")), 0755);
            String applets = run(List.of("/bin/busybox", "--list"));
            for (String applet : applets.strip().split("\n")) {
                if (!applet.isBlank() && !applet.equals("busybox")) {
                    tar.symlink("bin/" + applet.strip(), "busybox");
                }
            }
            tar.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
            tar.file("etc/group", "root:x:0:\nnogroup:x:65534:\n");
            return tar.tar();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("registry.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** A bcrypt hash for htpasswd, from Python's crypt module (the registry only accepts bcrypt). */
    private static String bcrypt(String password) throws IOException {
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        return run(List.of(python, "-W", "ignore", "-c",
                "import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))", password)).strip();
    }

    @Override
    public void close() {
        if (tokenService != null) {
            try {
                tokenService.close();
            } catch (Exception ignored) {
                // a stopped HttpServer
            }
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        RootfsTree.deleteRecursively(dir);
    }
}
