package io.hypernetes.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        assertThat(Ext4.label(rootfs)).isEqualTo("rootfs");
        String bin = Ext4.ls(rootfs, "/bin");
        assertThat(bin).contains("busybox").contains("sh");
        assertThat(Ext4.stat(rootfs, "/bin/busybox")).contains("Mode:  0755").contains("Size: " + Files.size(Path.of("/bin/busybox")));
        assertThat(Ext4.stat(rootfs, "/tmp")).contains("Mode:  01777");
        assertThat(Ext4.stat(rootfs, "/bin/sh")).contains("Fast link dest: \"busybox\"");
        assertThat(Ext4.cat(rootfs, "/etc/passwd")).startsWith("root:x:0:0:");
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

    /** debugfs (e2fsprogs) reads the image without mounting it. */
    static final class Ext4 {
        static String ls(Path image, String path) throws Exception {
            return debugfs(image, "ls -l " + path);
        }

        static String stat(Path image, String path) throws Exception {
            return debugfs(image, "stat " + path);
        }

        static String cat(Path image, String path) throws Exception {
            return debugfs(image, "cat " + path);
        }

        static String label(Path image) throws Exception {
            return TestRegistry.run(List.of("/usr/sbin/e2label", image.toString())).strip();
        }

        static String debugfs(Path image, String request) throws Exception {
            return TestRegistry.run(List.of("/usr/sbin/debugfs", "-R", request, image.toString()))
                    .replaceFirst("^debugfs [^\n]*\n", "");
        }
    }
}
