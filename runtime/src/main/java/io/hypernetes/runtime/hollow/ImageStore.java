package io.hypernetes.runtime.hollow;

import io.hypernetes.image.ImageReference;
import io.hypernetes.runtime.v1.Image;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The images "on the node": what was pulled, by normalized name. An image's id is {@code sha256:} and the SHA-256 of
 * its normalized name, so the same name has the same id on every hollow node, and its size is a canned figure
 * derived from that id (2 to 201 MiB), so image accounting sees a spread of sizes.
 */
final class ImageStore {
    private final Map<String, Image> byName = new LinkedHashMap<>();

    static String id(ImageReference reference) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(reference.name().getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    synchronized Image add(ImageReference reference) {
        return byName.computeIfAbsent(reference.name(), name -> {
            String id = id(reference);
            long size = (2 + Long.parseLong(id.substring(7, 15), 16) % 200) << 20;
            Image.Builder image = Image.newBuilder().setId(id).setSize(size);
            if (!reference.tag().isEmpty()) {
                image.addRepoTags(reference.repository() + ":" + reference.tag());
            }
            image.addRepoDigests(reference.repository() + "@" + (reference.digest().isEmpty() ? id : reference.digest()));
            return image.build();
        });
    }

    /** The image with this reference or id. */
    synchronized Optional<Image> find(String referenceOrId) {
        if (referenceOrId.startsWith("sha256:")) {
            for (Image image : byName.values()) {
                if (image.getId().equals(referenceOrId)) {
                    return Optional.of(image);
                }
            }
        }
        try {
            return Optional.ofNullable(byName.get(ImageReference.parse(referenceOrId).name()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    synchronized void remove(String referenceOrId) {
        find(referenceOrId).ifPresent(image -> byName.values().removeIf(i -> i.getId().equals(image.getId())));
    }

    synchronized List<Image> list() {
        return new ArrayList<>(byName.values());
    }
}
