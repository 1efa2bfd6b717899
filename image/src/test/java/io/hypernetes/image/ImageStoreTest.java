package io.hypernetes.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.io.RandomAccessFile;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pulls from a real registry (docker-registry, pushed to by skopeo) and builds real ext4 images (checked with debugfs). */
class ImageStoreTest {
    private static TestRegistry registry;

    @TempDir
    Path root;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = TestRegistry.start();
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void pullsByTagAndBuildsAnExt4RootFileSystem() throws Exception {
        ImageStore store = new ImageStore(root, registry.config());
        long start = System.nanoTime();
        Image image = store.pull(registry.busybox(), Credentials.ANONYMOUS);
        long pulled = System.nanoTime();
        assertThat(image.repoTags()).containsExactly(registry.address() + "/busybox:latest");
        assertThat(image.repoDigests()).singleElement().asString().startsWith(registry.address() + "/busybox@sha256:");
        assertThat(image.config().cmd()).containsExactly("sh");
        assertThat(image.config().env()).containsExactly(TestRegistry.PATH);
        assertThat(image.layers()).hasSize(1);
        assertThat(store.hasBlob(image.layers().getFirst().digest())).isTrue();
        assertThat(store.hasBlob(image.id())).isTrue();
        assertThat(store.find("127.0.0.1:" + registry.address().split(":")[1] + "/busybox")).contains(image);
        assertThat(store.find(image.id())).contains(image);
        assertThat(store.find(image.repoDigests().getFirst())).contains(image);

        long buildStart = System.nanoTime();
        Path rootfs = store.rootfs(image);
        long built = System.nanoTime();
        System.out.printf("busybox: pull %d ms, rootfs build %d ms (%d KiB ext4)%n", TimeUnit.NANOSECONDS.toMillis(pulled - start),
                TimeUnit.NANOSECONDS.toMillis(built - buildStart), Files.size(rootfs) / 1024);
        assertThat(rootfs).isRegularFile().hasParent(root.resolve("rootfs"));
        assertThat(Debugfs.label(rootfs)).isEqualTo("rootfs");
        List<String> bin = Debugfs.names(rootfs, "/bin");
        assertThat(bin).contains("busybox").contains("sh");
        assertThat(Debugfs.stat(rootfs, "/bin/busybox")).contains("Mode:  0755").contains("Size: " + Files.size(Path.of("/bin/busybox")));
        assertThat(Debugfs.stat(rootfs, "/tmp")).contains("Mode:  01777");
        assertThat(Debugfs.stat(rootfs, "/bin/sh")).contains("Fast link dest: \"busybox\"");
        assertThat(Debugfs.cat(rootfs, "/etc/passwd")).startsWith("root:x:0:0:");
        assertThat(store.rootfs(image)).isEqualTo(rootfs);
        assertThat(Files.getLastModifiedTime(rootfs)).isEqualTo(Files.getLastModifiedTime(store.rootfs(image)));
    }

    @Test
    void pullsByDigest() {
        ImageStore store = new ImageStore(root, registry.config());
        Image byTag = store.pull(registry.busybox(), Credentials.ANONYMOUS);
        String digest = byTag.repoDigests().getFirst().split("@")[1];
        ImageStore other = new ImageStore(root.resolve("other"), registry.config());
        Image byDigest = other.pull(registry.reference("busybox@" + digest), Credentials.ANONYMOUS);
        assertThat(byDigest.id()).isEqualTo(byTag.id());
        assertThat(byDigest.repoTags()).isEmpty();
        assertThat(byDigest.repoDigests()).containsExactly(registry.address() + "/busybox@" + digest);
        assertThat(other.list()).containsExactly(byDigest);
    }

    /** An image of busybox's layer and one more, pushed as {@code repositoryAndTag}. */
    private static Image pushDerived(String repositoryAndTag, byte[] extraLayer, Map<String, Object> config) throws Exception {
        OciLayout layout = new OciLayout(registry.scratch(repositoryAndTag.replace(':', '-').replace('/', '-')));
        layout.tag(layout.image(List.of(TestRegistry.busyboxLayer(), extraLayer), "amd64", config), "latest");
        registry.push(layout.dir(), "latest", repositoryAndTag);
        return null;
    }

    @Test
    void picksLinuxAmd64FromAMultiPlatformIndex() throws Exception {
        OciLayout layout = new OciLayout(registry.scratch("multi"));
        Descriptor amd64 = layout.image(List.of(TestRegistry.busyboxLayer(), new TarWriter().file("arch", "amd64").tar()), "amd64",
                Map.of("Cmd", List.of("sh")));
        Descriptor arm64 = layout.image(List.of(new TarWriter().file("arch", "arm64").tar()), "arm64", Map.of("Cmd", List.of("sh")));
        Map<String, Descriptor> platforms = new LinkedHashMap<>();
        platforms.put("arm64", arm64);
        platforms.put("amd64", amd64);
        Descriptor index = layout.index(platforms);
        layout.tag(index, "multi");
        layout.tag(layout.index(Map.of("arm64", arm64)), "armonly");
        registry.push(layout.dir(), "multi", "multi:1");
        registry.push(layout.dir(), "armonly", "multi:arm");

        ImageStore store = new ImageStore(root, registry.config());
        Image image = store.pull(registry.reference("multi:1"), Credentials.ANONYMOUS);
        assertThat(image.config().architecture()).isEqualTo("amd64");
        assertThat(image.repoDigests()).containsExactly(registry.address() + "/multi@" + index.digest());
        assertThat(Debugfs.cat(store.rootfs(image), "/arch")).isEqualTo("amd64");

        assertThatThrownBy(() -> store.pull(registry.reference("multi:arm"), Credentials.ANONYMOUS))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.NOT_FOUND))
                .hasMessageContaining("no linux/amd64 image in index of " + registry.address() + "/multi:arm (it has linux/arm64)");
    }

    @Test
    void aLayerSharedByTwoImagesIsStoredOnceAndConcurrentPullsDownloadOnce() throws Exception {
        pushDerived("shared:latest", new TarWriter().file("etc/motd", "hello").tar(), Map.of("Cmd", List.of("cat", "/etc/motd")));
        ImageStore store = new ImageStore(root, registry.config());
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Callable<Image> pull = () -> store.pull(registry.busybox(), Credentials.ANONYMOUS);
            List<Future<Image>> pulls = threads.invokeAll(List.of(pull, pull, pull));
            for (Future<Image> each : pulls) {
                assertThat(each.get().id()).isEqualTo(pulls.getFirst().get().id());
            }
        }
        assertThat(store.blobDownloads()).isEqualTo(2);
        Image busybox = store.find(registry.busybox()).orElseThrow();
        Image shared = store.pull(registry.reference("shared"), Credentials.ANONYMOUS);
        assertThat(store.blobDownloads()).isEqualTo(4);
        assertThat(shared.layers().getFirst()).isEqualTo(busybox.layers().getFirst());
        assertThat(blobFiles()).hasSize(4);
        assertThat(store.list()).extracting(Image::id).containsExactlyInAnyOrder(busybox.id(), shared.id());
        assertThat(shared.config().cmd()).containsExactly("cat", "/etc/motd");
    }

    @Test
    void theIndexSurvivesARestartAndRemoveFreesWhatNoOtherImageHolds() throws Exception {
        pushDerived("shared:latest", new TarWriter().file("etc/motd", "hello").tar(), Map.of("Cmd", List.of("sh")));
        ImageStore store = new ImageStore(root, registry.config());
        Image busybox = store.pull(registry.busybox(), Credentials.ANONYMOUS);
        Image shared = store.pull(registry.reference("shared:latest"), Credentials.ANONYMOUS);
        Path rootfs = store.rootfs(shared);

        ImageStore restarted = new ImageStore(root, registry.config());
        assertThat(restarted.list()).containsExactlyInAnyOrder(busybox, shared);
        assertThat(restarted.find(registry.reference("shared"))).contains(shared);
        assertThat(restarted.rootfs(shared)).isEqualTo(rootfs);

        assertThat(restarted.remove(registry.reference("shared"))).isTrue();
        assertThat(rootfs).doesNotExist();
        assertThat(restarted.find(shared.id())).isEmpty();
        assertThat(restarted.hasBlob(shared.layers().get(1).digest())).isFalse();
        assertThat(restarted.hasBlob(shared.id())).isFalse();
        assertThat(restarted.hasBlob(busybox.layers().getFirst().digest())).isTrue();
        assertThat(blobFiles()).hasSize(2);
        assertThat(restarted.remove(shared.id())).isFalse();

        assertThat(new ImageStore(root, registry.config()).list()).containsExactly(busybox);
        assertThat(restarted.remove(busybox.id())).isTrue();
        assertThat(blobFiles()).isEmpty();
        assertThat(new ImageStore(root, registry.config()).list()).isEmpty();
    }

    @Test
    void aMissingTagOrRepositoryIsNamedInWordsAUserActsOn() throws Exception {
        ImageStore store = new ImageStore(root, registry.config());
        assertThatThrownBy(() -> store.pull(registry.reference("busybox:1.2"), Credentials.ANONYMOUS))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.NOT_FOUND))
                .hasMessageStartingWith("manifest unknown: tag 1.2 not found in " + registry.address() + "/busybox");
        assertThatThrownBy(() -> store.pull(registry.reference("nosuch"), Credentials.ANONYMOUS))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.NOT_FOUND))
                .hasMessageContaining("repository " + registry.address() + "/nosuch does not exist");
        assertThatThrownBy(() -> store.pull(registry.reference("busybox@sha256:" + "0".repeat(64)), Credentials.ANONYMOUS))
                .hasMessageContaining("manifest unknown: digest sha256:" + "0".repeat(64) + " not found in " + registry.address() + "/busybox");
        assertThatThrownBy(() -> store.pull("Busybox", Credentials.ANONYMOUS))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.INVALID))
                .hasMessageContaining("invalid image reference: \"Busybox\" has an invalid path component");
        assertThat(store.list()).isEmpty();
        assertThat(blobFiles()).isEmpty();
    }

    @Test
    void anUnreachableRegistryIsNamedWithItsCause() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ImageStore store = new ImageStore(root, RegistryConfig.DEFAULT.withInsecure("127.0.0.1:" + port));
        assertThatThrownBy(() -> store.pull("127.0.0.1:" + port + "/busybox", Credentials.ANONYMOUS))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.UNAVAILABLE))
                .hasMessageContaining("cannot reach registry 127.0.0.1:" + port).hasMessageContaining("connection refused");
        ImageStore secure = new ImageStore(root, RegistryConfig.DEFAULT);
        assertThatThrownBy(() -> secure.pull(registry.busybox(), Credentials.ANONYMOUS))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.UNAVAILABLE))
                .hasMessageContaining("cannot reach registry " + registry.address() + " (https://" + registry.address() + "): TLS failed");
    }

    @Test
    void aTamperedBlobIsRefusedAndNothingIsKept() throws Exception {
        byte[] layer = new TarWriter().file("etc/tampered", "original content").tar();
        pushDerived("tampered:latest", layer, Map.of());
        String digest = Digests.of(TarWriter.gzip(layer));
        Path data = registry.storage().resolve("docker/registry/v2/blobs/sha256").resolve(Digests.hex(digest).substring(0, 2))
                .resolve(Digests.hex(digest)).resolve("data");
        try (RandomAccessFile file = new RandomAccessFile(data.toFile(), "rw")) {
            file.seek(file.length() / 2);
            int b = file.read();
            file.seek(file.length() / 2);
            file.write(b ^ 0xff);
        }
        ImageStore store = new ImageStore(root, registry.config());
        assertThatThrownBy(() -> store.pull(registry.reference("tampered"), Credentials.ANONYMOUS))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.CORRUPT))
                .hasMessageContaining("digest mismatch for layer 2 of " + registry.address() + "/tampered:latest (" + digest + ")")
                .hasMessageContaining("refused");
        assertThat(store.hasBlob(digest)).isFalse();
        assertThat(store.list()).isEmpty();
        try (Stream<Path> tmp = Files.list(root.resolve("tmp"))) {
            assertThat(tmp).isEmpty();
        }
    }

    @Test
    void aConfigurationOver8MiBIsRefusedBeforeItIsDownloaded() throws Exception {
        byte[] layer = TarWriter.gzip(new TarWriter().file("x", "x").tar());
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"padding\":\""
                + "p".repeat(9 << 20) + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}").getBytes();
        String manifest = """
                {"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%d},
                 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}
                """.formatted(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_CONFIG, Digests.of(config), config.length, Digests.of(layer),
                layer.length);
        registry.pushRaw("huge", "latest", MediaTypes.OCI_MANIFEST, manifest.getBytes(), List.of(config, layer));
        ImageStore store = new ImageStore(root, registry.config());
        assertThatThrownBy(() -> store.pull(registry.reference("huge"), Credentials.ANONYMOUS))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.CORRUPT))
                .hasMessageContaining("has 9437297 bytes, more than the 8388608 allowed");
        assertThat(store.blobDownloads()).isZero();
        assertThat(blobFiles()).isEmpty();
    }

    @Test
    void zstdLayersAreRefusedAsUnsupported() throws Exception {
        byte[] layer = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 0, 0, 0};
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
                .getBytes();
        String manifest = """
                {"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%d},
                 "layers":[{"mediaType":"%s","digest":"%s","size":%d}]}
                """;
        registry.pushRaw("zstd", "typed", MediaTypes.OCI_MANIFEST, manifest.formatted(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_CONFIG,
                Digests.of(config), config.length, "application/vnd.oci.image.layer.v1.tar+zstd", Digests.of(layer), layer.length)
                .getBytes(), List.of(config, layer));
        registry.pushRaw("zstd", "mislabelled", MediaTypes.OCI_MANIFEST, manifest.formatted(MediaTypes.OCI_MANIFEST,
                MediaTypes.OCI_CONFIG, Digests.of(config), config.length, "application/vnd.oci.image.layer.v1.tar+gzip",
                Digests.of(layer), layer.length).getBytes(), List.of(config, layer));
        ImageStore store = new ImageStore(root, registry.config());
        assertThatThrownBy(() -> store.pull(registry.reference("zstd:typed"), Credentials.ANONYMOUS))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.UNSUPPORTED))
                .hasMessageContaining("zstd-compressed").hasMessageContaining("unsupported");
        Image mislabelled = store.pull(registry.reference("zstd:mislabelled"), Credentials.ANONYMOUS);
        assertThatThrownBy(() -> store.rootfs(mislabelled))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.UNSUPPORTED))
                .hasMessageContaining("is zstd-compressed, which is unsupported");
        try (Stream<Path> built = Files.list(root.resolve("rootfs")); Stream<Path> tmp = Files.list(root.resolve("tmp"))) {
            assertThat(built).isEmpty();
            assertThat(tmp).isEmpty();
        }
    }

    private List<Path> blobFiles() throws Exception {
        try (Stream<Path> files = Files.list(root.resolve("blobs/sha256"))) {
            return files.toList();
        }
    }
}
