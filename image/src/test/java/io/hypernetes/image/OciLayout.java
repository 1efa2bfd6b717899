package io.hypernetes.image;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes an OCI image layout ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/}) for tests: images made
 * of given layers, multi-platform indexes, tags. skopeo copies such a layout into a registry or an archive.
 */
public final class OciLayout {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Path dir;
    private final ArrayNode manifests = JSON.createArrayNode();

    public OciLayout(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir.resolve("blobs/sha256"));
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            writeIndex();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    public Descriptor blob(byte[] content, String mediaType) {
        String digest = Digests.of(content);
        try {
            Files.write(dir.resolve("blobs/sha256").resolve(Digests.hex(digest)), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Descriptor(mediaType, digest, content.length);
    }

    /** An image of {@code layers} (uncompressed tars, stored gzip-compressed) with {@code config} settings. */
    public Descriptor image(List<byte[]> layers, String architecture, Map<String, Object> config) {
        ObjectNode configJson = JSON.createObjectNode();
        configJson.put("architecture", architecture).put("os", "linux");
        configJson.set("config", JSON.valueToTree(config));
        ObjectNode rootfs = configJson.putObject("rootfs").put("type", "layers");
        ArrayNode diffIds = rootfs.putArray("diff_ids");
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_MANIFEST);
        ArrayNode layerArray = JSON.createArrayNode();
        for (byte[] layer : layers) {
            diffIds.add(Digests.of(layer));
            layerArray.add(descriptor(blob(TarWriter.gzip(layer), "application/vnd.oci.image.layer.v1.tar+gzip")));
        }
        manifest.set("config", descriptor(blob(bytes(configJson), MediaTypes.OCI_CONFIG)));
        manifest.set("layers", layerArray);
        return blob(bytes(manifest), MediaTypes.OCI_MANIFEST);
    }

    /** An index of {@code images}, each with its platform {@code linux/<architecture>}. */
    public Descriptor index(Map<String, Descriptor> imagesByArchitecture) {
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode entries = index.putArray("manifests");
        imagesByArchitecture.forEach((architecture, image) -> {
            ObjectNode entry = descriptor(image);
            entry.putObject("platform").put("os", "linux").put("architecture", architecture);
            entries.add(entry);
        });
        return blob(bytes(index), MediaTypes.OCI_INDEX);
    }

    /** Names {@code content} (an image or an index) {@code tag} in {@code index.json}. */
    public OciLayout tag(Descriptor content, String tag) {
        ObjectNode entry = descriptor(content);
        entry.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
        manifests.add(entry);
        try {
            writeIndex();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    private void writeIndex() throws IOException {
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_INDEX);
        index.set("manifests", manifests);
        Files.write(dir.resolve("index.json"), bytes(index));
    }

    private static ObjectNode descriptor(Descriptor d) {
        return JSON.createObjectNode().put("mediaType", d.mediaType()).put("digest", d.digest()).put("size", d.size());
    }

    private static byte[] bytes(Object node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
