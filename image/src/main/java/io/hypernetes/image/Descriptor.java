package io.hypernetes.image;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A reference to content by digest, as manifests and indexes hold them: what it is, its digest and its size (both
 * checked when the content arrives).
 */
public record Descriptor(String mediaType, String digest, long size) {
    static Descriptor of(JsonNode node, String where) {
        String digest = node.path("digest").asText("");
        if (!Digests.isSha256(digest)) {
            throw new ImageException(ImageException.Reason.UNSUPPORTED,
                    where + " has digest \"" + digest + "\"; only sha256 digests are supported");
        }
        long size = node.path("size").asLong(-1);
        if (size < 0) {
            throw new ImageException(ImageException.Reason.INVALID, where + " has no size");
        }
        return new Descriptor(node.path("mediaType").asText(""), digest, size);
    }
}
