package io.hypernetes.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** An image manifest (OCI or Docker schema 2): its configuration blob and its layers, lowest first. */
record Manifest(Descriptor config, List<Descriptor> layers) {
    static Manifest parse(JsonNode body, String mediaType, String what) {
        if (!MediaTypes.isManifest(mediaType)) {
            throw new ImageException(ImageException.Reason.UNSUPPORTED, "the manifest of " + what + " has media type \""
                    + mediaType + "\", which is neither an OCI image manifest nor a Docker schema 2 manifest");
        }
        if (!body.path("config").isObject()) {
            throw new ImageException(ImageException.Reason.INVALID, "the manifest of " + what + " has no config");
        }
        Descriptor config = Descriptor.of(body.path("config"), "the manifest of " + what);
        List<Descriptor> layers = new ArrayList<>();
        for (JsonNode node : body.path("layers")) {
            Descriptor layer = Descriptor.of(node, "a layer of " + what);
            if (layer.mediaType().contains("zstd")) {
                throw new ImageException(ImageException.Reason.UNSUPPORTED, "a layer of " + what + " is zstd-compressed ("
                        + layer.mediaType() + "), which is unsupported: push the image with gzip layers");
            }
            if (!layer.mediaType().isEmpty() && !layer.mediaType().contains("tar") && !layer.mediaType().contains("rootfs.diff")) {
                throw new ImageException(ImageException.Reason.UNSUPPORTED, "a layer of " + what + " has media type \""
                        + layer.mediaType() + "\", which is not a tar layer");
            }
            layers.add(layer);
        }
        return new Manifest(config, List.copyOf(layers));
    }
}
