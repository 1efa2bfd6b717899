package io.hypernetes.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hypernetes image import}: OCI layouts (directory and tar) and docker save tarballs, the latter two made by skopeo. */
class ImportTest {
    @TempDir
    Path dir;
    private OciLayout busybox;
    private ImageStore store;

    @BeforeEach
    void setUp() {
        busybox = TestRegistry.busyboxLayout(dir.resolve("busybox"));
        store = new ImageStore(dir.resolve("store"), RegistryConfig.DEFAULT);
    }

    private Path skopeo(String destination) throws IOException {
        Path policy = Files.writeString(dir.resolve("policy.json"), "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
        TestRegistry.run(List.of("skopeo", "--policy", policy.toString(), "copy", "--quiet", "oci:" + busybox.dir() + ":latest",
                destination));
        return Path.of(destination.split(":")[1]);
    }

    @Test
    void importsAnOciLayoutDirectoryNamingABareTagAfterIt() throws Exception {
        List<Image> images = store.importArchive(busybox.dir());
        assertThat(images).singleElement().satisfies(image -> {
            assertThat(image.repoTags()).containsExactly("localhost/busybox:latest");
            assertThat(image.config().cmd()).containsExactly("sh");
        });
        assertThat(store.find("localhost/busybox")).contains(images.getFirst());
        assertThat(Debugfs.names(store.rootfs(images.getFirst()), "/bin")).contains("busybox", "sh");
    }

    @Test
    void importsAnOciArchiveMadeBySkopeo() throws Exception {
        Path archive = skopeo("oci-archive:" + dir.resolve("busybox-oci.tar") + ":busybox:1.36");
        Image image = store.importArchive(archive).getFirst();
        assertThat(image.repoTags()).containsExactly("docker.io/library/busybox:1.36");
        assertThat(image.repoDigests()).singleElement().asString().startsWith("docker.io/library/busybox@sha256:");
        assertThat(store.find("busybox:1.36")).contains(image);
        assertThat(Debugfs.stat(store.rootfs(image), "/bin/busybox")).contains("Mode:  0755");
    }

    @Test
    void importsADockerSaveTarballMadeBySkopeoPlainOrGzipped() throws Exception {
        Path archive = skopeo("docker-archive:" + dir.resolve("busybox-docker.tar") + ":busybox:1.36");
        Image image = store.importArchive(archive).getFirst();
        assertThat(image.repoTags()).containsExactly("docker.io/library/busybox:1.36");
        assertThat(image.repoDigests()).isEmpty();
        assertThat(image.config().env()).containsExactly(TestRegistry.PATH);
        assertThat(Debugfs.names(store.rootfs(image), "/bin")).contains("busybox", "sh");

        Path gzipped = dir.resolve("busybox-docker.tar.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzipped))) {
            Files.copy(archive, out);
        }
        ImageStore other = new ImageStore(dir.resolve("other"), RegistryConfig.DEFAULT);
        assertThat(other.importArchive(gzipped)).singleElement().extracting(Image::id).isEqualTo(image.id());
    }

    @Test
    void anArchiveOfNeitherFormatIsRefusedAndChangesNothing() throws Exception {
        Path archive = Files.write(dir.resolve("random.tar"), new TarWriter().file("hello.txt", "hello").tar());
        assertThatThrownBy(() -> store.importArchive(archive))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.INVALID))
                .hasMessage(archive + " is neither an OCI image layout (oci-layout, index.json, blobs/) nor a docker save archive "
                        + "(manifest.json, repositories, layer tars)");
        Path notTar = Files.writeString(dir.resolve("notes.txt"), "not an archive at all, just some text that is long enough".repeat(20));
        assertThatThrownBy(() -> store.importArchive(notTar)).hasMessageContaining("is not a readable tar archive");
        assertThatThrownBy(() -> store.importArchive(dir.resolve("missing.tar"))).hasMessageContaining("no such file");
        assertThat(store.list()).isEmpty();
        assertThat(blobs()).isEmpty();
    }

    @Test
    void aTamperedLayoutIsRefusedAndChangesNothing() throws Exception {
        try (Stream<Path> files = Files.list(busybox.dir().resolve("blobs/sha256"))) {
            Path largest = files.max((a, b) -> Long.compare(a.toFile().length(), b.toFile().length())).orElseThrow();
            byte[] bytes = Files.readAllBytes(largest);
            bytes[bytes.length / 2] ^= 0x01;
            Files.write(largest, bytes);
        }
        assertThatThrownBy(() -> store.importArchive(busybox.dir()))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.CORRUPT))
                .hasMessageContaining("digest mismatch for layer sha256:");
        assertThat(store.list()).isEmpty();
        assertThat(blobs()).isEmpty();
    }

    private List<Path> blobs() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("store/blobs/sha256"))) {
            return files.toList();
        }
    }
}
