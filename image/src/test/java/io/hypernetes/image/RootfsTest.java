package io.hypernetes.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flattening layers into the ext4 root file system, read back with debugfs; hostile layers refused. */
class RootfsTest {
    @TempDir
    Path dir;

    private Image imported(List<byte[]> layers, ImageStore store) {
        OciLayout layout = new OciLayout(dir.resolve("layout"));
        layout.tag(layout.image(layers, "amd64", Map.of("Cmd", List.of("sh"))), "test:1");
        return store.importArchive(layout.dir()).getFirst();
    }

    @Test
    void whiteoutsOpaqueDirectoriesAndLinksAcrossTwoLayers() throws Exception {
        byte[] lower = new TarWriter()
                .directory("a", 0755).file("a/keep", "keep").file("a/gone", "gone")
                .directory("b", 0755).file("b/x", "x").directory("b/sub", 0755).file("b/sub/y", "y")
                .file("c", "c")
                .directory("e", 0755).file("e/lower", "lower")
                .directory("f", 0755).file("f/lower", "lower")
                .directory("g/sub", 0755).file("g/sub/lower", "lower")
                .directory("h", 0755).file("h/inside", "inside")
                .characterDevice("dev/null")
                .file("bin/su-like", "#!/bin/sh\n".getBytes(), 04755, 1000, 1000)
                .tar();
        byte[] upper = new TarWriter()
                .file("a/.wh.gone", "")
                .file(".wh.c", "")
                .file("b/.wh..wh..opq", "").file("b/new", "new")
                .file("e/new", "new").file("e/.wh..wh..opq", "")
                .file("f/bar", "bar").file(".wh.f", "")
                .file("g/sub/new", "new").file("g/.wh..wh..opq", "")
                .file("h", "now a file")
                .hardlink("a/hard", "a/keep")
                .symlink("link", "/etc/passwd")
                .tar();
        ImageStore store = new ImageStore(dir.resolve("store"), RegistryConfig.DEFAULT);
        Path rootfs = store.rootfs(imported(List.of(lower, upper), store));

        assertThat(Debugfs.names(rootfs, "/")).containsExactly("a", "b", "bin", "dev", "e", "f", "g", "h", "link", "lost+found");
        assertThat(Debugfs.names(rootfs, "/a")).containsExactly("hard", "keep");
        assertThat(Debugfs.names(rootfs, "/b")).containsExactly("new");
        assertThat(Debugfs.names(rootfs, "/e")).containsExactly("new");
        assertThat(Debugfs.names(rootfs, "/f")).containsExactly("bar");
        assertThat(Debugfs.names(rootfs, "/g")).containsExactly("sub");
        assertThat(Debugfs.names(rootfs, "/g/sub")).containsExactly("new");
        assertThat(Debugfs.names(rootfs, "/dev")).isEmpty();
        assertThat(Debugfs.cat(rootfs, "/h")).isEqualTo("now a file");
        assertThat(Debugfs.stat(rootfs, "/a/keep")).contains("Links: 2");
        assertThat(Debugfs.stat(rootfs, "/link")).contains("Fast link dest: \"/etc/passwd\"");
        Debugfs.Entry su = Debugfs.ls(rootfs, "/bin").getFirst();
        assertThat(su.name()).isEqualTo("su-like");
        assertThat(su.mode() & 07777).isEqualTo(04755);
        assertThat(su.uid()).isEqualTo(1000);
        assertThat(su.gid()).isEqualTo(1000);
    }

    @Test
    void hostileEntriesAreRefusedAndNothingIsWrittenOutsideTheTree() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("file"), "secret");
        List<byte[]> hostile = List.of(
                new TarWriter().file("/etc/passwd", "x").tar(),
                new TarWriter().file("../escape", "x").tar(),
                new TarWriter().file("a/../../escape", "x").tar(),
                new TarWriter().symlink("evil", outside.toString()).file("evil/pwned", "x").tar(),
                new TarWriter().symlink("evil", "../../..").file("evil/pwned", "x").tar(),
                new TarWriter().hardlink("h", "../outside/file").tar(),
                new TarWriter().symlink("evil", outside.toString()).hardlink("h", "evil/file").tar(),
                new TarWriter().hardlink("h", "missing").tar(),
                new TarWriter().file(".wh..", "").tar());
        List<String> why = List.of("has an absolute path", "has a \"..\" component", "has a \"..\" component",
                "goes through the symbolic link \"evil\"", "goes through the symbolic link \"evil\"", "has a \"..\" component",
                "goes through the symbolic link \"evil\"", "not a file written before it", "is a whiteout of nothing");
        for (int i = 0; i < hostile.size(); i++) {
            Path tree = Files.createDirectories(dir.resolve("tree" + i));
            byte[] layer = hostile.get(i);
            assertThatThrownBy(() -> new RootfsTree(tree).apply(new TarReader(new ByteArrayInputStream(layer)), "layer 1"))
                    .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.CORRUPT))
                    .hasMessageStartingWith("layer 1: tar entry").hasMessageContaining(why.get(i)).hasMessageEndingWith("refused");
        }
        try (Stream<Path> files = Files.list(outside)) {
            assertThat(files).containsExactly(outside.resolve("file"));
        }
        assertThat(Files.readString(outside.resolve("file"))).isEqualTo("secret");
        assertThat(dir.resolve("escape")).doesNotExist();
    }

    @Test
    void aHostileImageBuildsNothing() throws Exception {
        ImageStore store = new ImageStore(dir.resolve("store"), RegistryConfig.DEFAULT);
        Image image = imported(List.of(TestRegistry.busyboxLayer(), new TarWriter().symlink("bin/evil", "/").file("bin/evil/x", "x").tar()),
                store);
        assertThatThrownBy(() -> store.rootfs(image))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.CORRUPT))
                .hasMessageContaining("layer 2 of 2").hasMessageContaining("\"bin/evil/x\" goes through the symbolic link \"bin/evil\"");
        try (Stream<Path> built = Files.list(dir.resolve("store/rootfs")); Stream<Path> tmp = Files.list(dir.resolve("store/tmp"))) {
            assertThat(built).isEmpty();
            assertThat(tmp).isEmpty();
        }
    }

    @Test
    void aLayerThatIsNotWhatTheConfigurationSaysIsRefused() throws Exception {
        ImageStore store = new ImageStore(dir.resolve("store"), RegistryConfig.DEFAULT);
        Image image = imported(List.of(new TarWriter().file("a", "a").tar()), store);
        Image lying = new Image(image.id(), image.repoTags(), image.repoDigests(), image.size(),
                new ImageConfig("linux", "amd64", List.of(), List.of(), List.of(), "", "", List.of(), Map.of(), "",
                        List.of("sha256:" + "0".repeat(64))), image.configBlob(), image.layers());
        assertThatThrownBy(() -> store.rootfs(lying))
                .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.CORRUPT))
                .hasMessageContaining("digest mismatch for layer 1 of 1").hasMessageContaining("the image configuration says sha256:000");
    }
}
