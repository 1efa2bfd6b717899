package io.hypernetes.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Imports images from an archive into the store: an OCI image layout (a directory, or a tar of one: {@code oci-layout},
 * {@code index.json}, {@code blobs/sha256/…}) or a {@code docker save} tarball ({@code manifest.json},
 * {@code repositories}, {@code <id>/layer.tar}); either tar may be gzip-compressed.
 *
 * <p>A tar is read once, front to back: every file goes straight into the blob store under its own digest (nothing
 * is extracted), then the archive's index is interpreted; blobs the archive names by digest must have that digest.
 * Nothing is recorded unless every image of the archive is whole, and the blobs an import stored but no image holds
 * (the archive's own index files, or everything, when it fails) are deleted again.
 *
 * <p>Names: OCI's {@code io.containerd.image.name} annotation, else {@code org.opencontainers.image.ref.name} when
 * it is a full reference ({@code busybox:1.36}); a bare tag ({@code latest}) becomes
 * {@code localhost/<archive name>:<tag>}. Docker archives name images by their {@code RepoTags}.
 */
final class ArchiveImport {
    private static final String REF_NAME = "org.opencontainers.image.ref.name";
    private static final String CONTAINERD_NAME = "io.containerd.image.name";
    private static final long MAX_INDEX = 4 << 20;

    private final ImageStore store;
    private final BlobStore blobs;
    private final Path file;
    private final Set<String> stored = new LinkedHashSet<>();

    /** The archive's files, by name: stored blobs (a tar) or paths (a directory). */
    private interface Content {
        boolean has(String name);

        byte[] read(String name, long limit);

        /** Puts the named file in the blob store (a no-op for a tar, already stored) and returns its digest. */
        String store(String name, String what);
    }

    ArchiveImport(ImageStore store, BlobStore blobs, Path file) {
        this.store = store;
        this.blobs = blobs;
        this.file = file;
    }

    List<Image> run() {
        if (!Files.exists(file)) {
            throw new ImageException(ImageException.Reason.INVALID, "cannot import " + file + ": no such file or directory");
        }
        List<Image> images = new ArrayList<>();
        try {
            Content content = Files.isDirectory(file) ? directory() : tar();
            if (content.has("oci-layout") && content.has("index.json")) {
                images = oci(content);
            } else if (content.has("manifest.json")) {
                images = docker(content);
            } else {
                throw new ImageException(ImageException.Reason.INVALID, file + " is neither an OCI image layout (oci-layout, "
                        + "index.json, blobs/) nor a docker save archive (manifest.json, repositories, layer tars)");
            }
            if (images.isEmpty()) {
                throw new ImageException(ImageException.Reason.INVALID, file + " holds no image");
            }
            return store.recordAll(images);
        } finally {
            store.collect(stored);
            store.unpin(List.copyOf(stored));
        }
    }

    // ---- reading the archive

    private Content directory() {
        return new Content() {
            @Override
            public boolean has(String name) {
                return Files.isRegularFile(resolve(name));
            }

            @Override
            public byte[] read(String name, long limit) {
                try {
                    Path path = resolve(name);
                    if (Files.size(path) > limit) {
                        throw invalid(name + " is larger than " + limit + " bytes");
                    }
                    return Files.readAllBytes(path);
                } catch (NoSuchFileException e) {
                    throw invalid("it has no " + name);
                } catch (IOException e) {
                    throw invalid("cannot read " + name + ": " + e.getMessage());
                }
            }

            @Override
            public String store(String name, String what) {
                try (InputStream in = Files.newInputStream(resolve(name))) {
                    String digest = pinned(blobs.write(in, what));
                    return digest;
                } catch (NoSuchFileException e) {
                    throw invalid("it has no " + name + " (" + what + ")");
                } catch (IOException e) {
                    throw invalid("cannot read " + name + ": " + e.getMessage());
                }
            }

            private Path resolve(String name) {
                List<String> components = RootfsTree.components(name, "archive " + file);
                return file.resolve(String.join("/", components));
            }
        };
    }

    private Content tar() {
        Map<String, String> digests = new HashMap<>();
        Map<String, String> links = new HashMap<>();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
             TarReader tar = new TarReader(Ext4Image.decompress(raw, "archive " + file))) {
            TarReader.Entry entry;
            while ((entry = tar.next()) != null) {
                String name = normalize(entry.name());
                switch (entry.type()) {
                    case FILE -> digests.put(name, pinned(blobs.write(tar.content(), name + " of " + file)));
                    case SYMLINK, HARDLINK -> links.put(name, entry.type() == TarReader.Type.HARDLINK ? normalize(entry.linkName())
                            : normalize(parent(name) + entry.linkName()));
                    default -> { }
                }
            }
        } catch (IOException e) {
            throw invalid("it is not a readable tar archive: " + e.getMessage());
        }
        links.forEach((name, target) -> {
            String digest = digests.get(target);
            if (digest != null) {
                digests.putIfAbsent(name, digest);
            }
        });
        return new Content() {
            @Override
            public boolean has(String name) {
                return digests.containsKey(normalize(name));
            }

            @Override
            public byte[] read(String name, long limit) {
                return blobs.read(digest(name, name), limit);
            }

            @Override
            public String store(String name, String what) {
                return digest(name, what);
            }

            private String digest(String name, String what) {
                String digest = digests.get(normalize(name));
                if (digest == null) {
                    throw invalid("it has no " + name + " (" + what + ")");
                }
                return digest;
            }
        };
    }

    private static String parent(String name) {
        int slash = name.lastIndexOf('/');
        return slash < 0 ? "" : name.substring(0, slash + 1);
    }

    private String normalize(String name) {
        List<String> out = new ArrayList<>();
        for (String component : name.split("/")) {
            if (component.isEmpty() || component.equals(".")) {
                continue;
            }
            if (component.equals("..")) {
                if (out.isEmpty()) {
                    throw invalid("entry \"" + name + "\" leaves the archive");
                }
                out.removeLast();
                continue;
            }
            out.add(component);
        }
        return String.join("/", out);
    }

    private String pinned(String digest) {
        if (stored.add(digest)) {
            store.pin(List.of(digest));
        }
        return digest;
    }

    // ---- OCI image layout

    private List<Image> oci(Content content) {
        JsonNode index = ImageStore.json(content.read("index.json", MAX_INDEX), "index.json of " + file);
        List<Image> images = new ArrayList<>();
        for (JsonNode entry : index.path("manifests")) {
            Descriptor descriptor = Descriptor.of(entry, "index.json of " + file);
            JsonNode annotations = entry.path("annotations");
            List<String> tags = new ArrayList<>();
            String name = annotations.path(CONTAINERD_NAME).asText(annotations.path(REF_NAME).asText(""));
            ImageReference ref = name.isEmpty() ? null : name(name);
            if (ref != null && ref.digest().isEmpty()) {
                tags.add(ref.repoTag());
            }
            String manifestDigest = descriptor.digest();
            String mediaType = descriptor.mediaType();
            byte[] body = blob(content, descriptor, MAX_INDEX, "manifest " + descriptor.digest());
            if (MediaTypes.isIndex(mediaType) || (mediaType.isEmpty() && ImageStore.json(body, "manifest").has("manifests"))) {
                String chosen = ImageStore.choosePlatform(ImageStore.json(body, "index " + descriptor.digest() + " of " + file),
                        file + (name.isEmpty() ? "" : " (" + name + ")"));
                descriptor = new Descriptor(MediaTypes.OCI_MANIFEST, chosen, -1);
                body = blob(content, descriptor, MAX_INDEX, "manifest " + chosen);
            }
            JsonNode json = ImageStore.json(body, "manifest " + descriptor.digest() + " of " + file);
            String type = json.path("mediaType").asText(MediaTypes.OCI_MANIFEST);
            Manifest manifest = Manifest.parse(json, type, file + " " + descriptor.digest());
            byte[] configBytes = blob(content, manifest.config(), ImageStore.MAX_CONFIG, "configuration " + manifest.config().digest());
            ImageConfig config = ImageConfig.parse(configBytes, "the configuration of " + file);
            for (Descriptor layer : manifest.layers()) {
                blobDigest(content, layer, "layer " + layer.digest());
            }
            List<String> repoDigests = ref == null ? List.of() : List.of(ref.repository() + "@" + manifestDigest);
            images.add(new Image(manifest.config().digest(), tags, repoDigests,
                    manifest.config().size() + manifest.layers().stream().mapToLong(Descriptor::size).sum(), config,
                    manifest.config(), manifest.layers()));
        }
        return images;
    }

    private byte[] blob(Content content, Descriptor descriptor, long limit, String what) {
        blobDigest(content, descriptor, what);
        return blobs.read(descriptor.digest(), limit);
    }

    /** Stores blob {@code descriptor} from {@code blobs/sha256/<hex>}, refusing content that is not what it says. */
    private void blobDigest(Content content, Descriptor descriptor, String what) {
        String name = "blobs/sha256/" + Digests.hex(descriptor.digest());
        String digest = content.store(name, what + " of " + file);
        if (!digest.equals(descriptor.digest())) {
            throw new ImageException(ImageException.Reason.CORRUPT, "digest mismatch for " + what + " of " + file + ": "
                    + name + " has digest " + digest);
        }
        if (descriptor.size() >= 0 && blobs.size(digest) != descriptor.size()) {
            throw new ImageException(ImageException.Reason.CORRUPT, what + " of " + file + " has " + blobs.size(digest)
                    + " bytes, its descriptor says " + descriptor.size());
        }
    }

    private ImageReference name(String name) {
        String stem = file.getFileName().toString().replaceAll("\\.(tar|tgz|tar\\.gz)$", "")
                .toLowerCase().replaceAll("[^a-z0-9._-]+", "-").replaceAll("^[^a-z0-9]+|[^a-z0-9]+$", "");
        String full = name.contains(":") || name.contains("/") || name.contains("@") ? name
                : "localhost/" + (stem.isEmpty() ? "imported" : stem) + ":" + name;
        try {
            return ImageReference.parse(full);
        } catch (IllegalArgumentException e) {
            throw invalid("it names an image " + e.getMessage());
        }
    }

    // ---- docker save

    private List<Image> docker(Content content) {
        JsonNode manifests;
        try {
            manifests = ImageStore.JSON_READER.readTree(content.read("manifest.json", MAX_INDEX));
        } catch (IOException e) {
            throw invalid("its manifest.json is not JSON: " + e.getMessage());
        }
        if (manifests == null || !manifests.isArray()) {
            throw invalid("its manifest.json is not a list of images");
        }
        List<Image> images = new ArrayList<>();
        for (JsonNode entry : manifests) {
            String configName = entry.path("Config").asText("");
            if (configName.isEmpty()) {
                throw invalid("an image in its manifest.json has no Config");
            }
            String configDigest = content.store(configName, "configuration " + configName);
            byte[] configBytes = blobs.read(configDigest, ImageStore.MAX_CONFIG);
            ImageConfig config = ImageConfig.parse(configBytes, configName + " of " + file);
            List<Descriptor> layers = new ArrayList<>();
            for (JsonNode layerName : entry.path("Layers")) {
                String digest = content.store(layerName.asText(), "layer " + layerName.asText());
                layers.add(new Descriptor("application/vnd.docker.image.rootfs.diff.tar", digest, blobs.size(digest)));
            }
            if (!config.diffIds().isEmpty() && config.diffIds().size() != layers.size()) {
                throw invalid(configName + " lists " + config.diffIds().size() + " layers, manifest.json " + layers.size());
            }
            List<String> tags = new ArrayList<>();
            for (JsonNode tag : entry.path("RepoTags")) {
                tags.add(name(tag.asText()).repoTag());
            }
            tags.removeIf(String::isEmpty);
            images.add(new Image(configDigest, tags, List.of(),
                    configBytes.length + layers.stream().mapToLong(Descriptor::size).sum(), config,
                    new Descriptor(MediaTypes.DOCKER_CONFIG, configDigest, configBytes.length), layers));
        }
        return images;
    }

    private ImageException invalid(String why) {
        return new ImageException(ImageException.Reason.INVALID, "cannot import " + file + ": " + why);
    }
}
