package io.hypernetes.runtime.hollow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {
    @Test
    void normalizesAsContainerRuntimesDo() {
        assertThat(ImageReference.parse("nginx").name()).isEqualTo("docker.io/library/nginx:latest");
        assertThat(ImageReference.parse("nginx:1.27").name()).isEqualTo("docker.io/library/nginx:1.27");
        assertThat(ImageReference.parse("team/app").name()).isEqualTo("docker.io/team/app:latest");
        assertThat(ImageReference.parse("localhost:5000/app").name()).isEqualTo("localhost:5000/app:latest");
        assertThat(ImageReference.parse("registry.k8s.io/pause:3.10").name()).isEqualTo("registry.k8s.io/pause:3.10");
        String digest = "sha256:" + "ab".repeat(32);
        assertThat(ImageReference.parse("quay.io/a/b@" + digest)).isEqualTo(new ImageReference("quay.io/a/b", "", digest));
        assertThat(ImageReference.parse("quay.io/a/b:v1@" + digest).name()).isEqualTo("quay.io/a/b:v1@" + digest);
    }

    @Test
    void refusesWhatARegistryWouldSayingWhy() {
        assertThatThrownBy(() -> ImageReference.parse("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> ImageReference.parse("Nginx:1")).hasMessageContaining("path component");
        assertThatThrownBy(() -> ImageReference.parse("nginx:-bad")).hasMessageContaining("tag");
        assertThatThrownBy(() -> ImageReference.parse("nginx@md5:xyz")).hasMessageContaining("digest");
        assertThatThrownBy(() -> ImageReference.parse("a".repeat(300))).hasMessageContaining("255");
        assertThatThrownBy(() -> ImageReference.parse("-bad.example/x")).hasMessageContaining("registry");
    }

    @Test
    void theIdIsTheDigestOfTheNormalizedName() {
        assertThat(ImageStore.id(ImageReference.parse("nginx"))).isEqualTo(ImageStore.id(ImageReference.parse("docker.io/library/nginx:latest")))
                .startsWith("sha256:").hasSize(7 + 64);
    }
}
