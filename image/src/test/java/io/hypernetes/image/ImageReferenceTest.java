package io.hypernetes.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @Test
    void normalizesAsDockerDoes() {
        assertThat(ImageReference.parse("busybox").name()).isEqualTo("docker.io/library/busybox:latest");
        assertThat(ImageReference.parse("busybox:1.36").name()).isEqualTo("docker.io/library/busybox:1.36");
        assertThat(ImageReference.parse("team/app").name()).isEqualTo("docker.io/team/app:latest");
        assertThat(ImageReference.parse("index.docker.io/library/busybox").name()).isEqualTo("docker.io/library/busybox:latest");
        assertThat(ImageReference.parse("localhost/app").name()).isEqualTo("localhost/app:latest");
        assertThat(ImageReference.parse("localhost:5000/x").name()).isEqualTo("localhost:5000/x:latest");
        assertThat(ImageReference.parse("registry.k8s.io/pause:3.10").name()).isEqualTo("registry.k8s.io/pause:3.10");
        assertThat(ImageReference.parse("quay.io/a/b@" + DIGEST)).isEqualTo(new ImageReference("quay.io/a/b", "", DIGEST));
        ImageReference both = ImageReference.parse("host.example:443/a/b:tag@" + DIGEST);
        assertThat(both.name()).isEqualTo("host.example:443/a/b:tag@" + DIGEST);
        assertThat(both.registry()).isEqualTo("host.example:443");
        assertThat(both.path()).isEqualTo("a/b");
        assertThat(both.manifestReference()).isEqualTo(DIGEST);
        assertThat(ImageReference.parse("busybox").manifestReference()).isEqualTo("latest");
        assertThat(ImageReference.parse("busybox").repoTag()).isEqualTo("docker.io/library/busybox:latest");
    }

    @Test
    void refusesWhatARegistryWouldSayingWhy() {
        assertThatThrownBy(() -> ImageReference.parse("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> ImageReference.parse("Busybox:1")).hasMessageContaining("path component \"Busybox\"");
        assertThatThrownBy(() -> ImageReference.parse("localhost:5000/Busybox")).hasMessageContaining("lower-case");
        assertThatThrownBy(() -> ImageReference.parse("busybox:-bad")).hasMessageContaining("invalid tag \"-bad\"");
        assertThatThrownBy(() -> ImageReference.parse("busybox:" + "t".repeat(129))).hasMessageContaining("invalid tag");
        assertThatThrownBy(() -> ImageReference.parse("busybox@md5:xyz")).hasMessageContaining("digest");
        assertThatThrownBy(() -> ImageReference.parse("busybox@sha256:abc")).hasMessageContaining("digest");
        assertThatThrownBy(() -> ImageReference.parse("a".repeat(300))).hasMessageContaining("255");
        assertThatThrownBy(() -> ImageReference.parse("-bad.example/x")).hasMessageContaining("registry");
        assertThatThrownBy(() -> ImageReference.parse("a//b")).hasMessageContaining("path component \"\"");
    }
}
