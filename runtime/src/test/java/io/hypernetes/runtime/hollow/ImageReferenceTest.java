package io.hypernetes.runtime.hollow;

import static org.assertj.core.api.Assertions.assertThat;

import io.hypernetes.image.ImageReference;
import org.junit.jupiter.api.Test;

/** The hollow store's use of references; their grammar and normalization are tested in hypernetes-image. */
class ImageReferenceTest {
    @Test
    void theIdIsTheDigestOfTheNormalizedName() {
        assertThat(ImageStore.id(ImageReference.parse("nginx"))).isEqualTo(ImageStore.id(ImageReference.parse("docker.io/library/nginx:latest")))
                .startsWith("sha256:").hasSize(7 + 64);
    }
}
