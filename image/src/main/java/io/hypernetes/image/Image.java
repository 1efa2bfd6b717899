package io.hypernetes.image;

import java.util.List;

/**
 * An image in the store.
 *
 * @param id          the digest of its configuration blob, as Docker and the CRI runtimes name images
 * @param repoTags    the tags that name it, e.g. {@code docker.io/library/busybox:latest}
 * @param repoDigests the repositories with the digest it was pulled by, e.g. {@code docker.io/library/busybox@sha256:…}
 * @param size        the bytes of its blobs as stored (compressed layers and configuration)
 * @param config      what a container of it runs by default
 * @param configBlob  its configuration blob
 * @param layers      its layer blobs, lowest first
 */
public record Image(String id, List<String> repoTags, List<String> repoDigests, long size, ImageConfig config,
                    Descriptor configBlob, List<Descriptor> layers) {
    public Image {
        repoTags = List.copyOf(repoTags);
        repoDigests = List.copyOf(repoDigests);
        layers = List.copyOf(layers);
    }

    /** The blobs this image holds in the store: its configuration and its layers. */
    List<String> blobs() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(configBlob.digest()),
                layers.stream().map(Descriptor::digest)).distinct().toList();
    }
}
