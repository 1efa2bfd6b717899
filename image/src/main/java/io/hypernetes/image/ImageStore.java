package io.hypernetes.image;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The images on a node and the root file systems built from them: hyperd's image service.
 *
 * <h2>Layout under {@code root}</h2>
 * <pre>
 * blobs/sha256/&lt;hex&gt;   content-addressed blobs (configurations, layers), shared by every image
 * images.json            the index: every image with its tags, digests, configuration and layers
 * rootfs/&lt;hex&gt;.ext4     the read-only root file system of image sha256:&lt;hex&gt;, built on first use
 * tmp/                   downloads and builds in progress; renamed into place only when complete and verified
 * </pre>
 *
 * <h2>Concurrency</h2>
 * Any thread may call anything. A blob being downloaded is downloaded once however many pulls want it (the others
 * wait for it), a root file system is built once however many containers ask for it, and the index is changed under
 * one lock and written to disk (to a temporary file, then renamed) before the change is visible, so it survives a
 * crash or restart. While a pull or a build is using blobs they are pinned, so a concurrent {@link #remove} of
 * another image sharing them does not delete them underneath it.
 *
 * <h2>Removal</h2>
 * {@link #remove} deletes the image, its root file system and every blob no other image holds. hyperd is expected
 * not to remove an image a container is using; if it does, a VM that has the root file system open keeps reading the
 * unlinked file, which Linux frees when QEMU closes it.
 */
public final class ImageStore {
    private static final Logger log = LoggerFactory.getLogger(ImageStore.class);
    /** An image configuration larger than this is refused. */
    public static final long MAX_CONFIG = 8 << 20;
    static final JsonMapper JSON_READER = JsonMapper.builder().build();
    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();
    private static final String PLATFORM_OS = "linux";
    private static final String PLATFORM_ARCHITECTURE = "amd64";

    private final Path root;
    private final Path indexFile;
    private final Path rootfsDir;
    private final BlobStore blobs;
    private final RegistryClient registry;
    private final Map<String, Image> images = new LinkedHashMap<>();
    private final Map<String, Integer> pins = new HashMap<>();
    private final Map<String, CompletableFuture<Void>> downloads = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Path>> builds = new ConcurrentHashMap<>();
    private final AtomicLong blobDownloads = new AtomicLong();
    private long indexTime;

    public ImageStore(Path root, RegistryConfig config) {
        this.root = root;
        this.indexFile = root.resolve("images.json");
        this.rootfsDir = root.resolve("rootfs");
        this.blobs = new BlobStore(root);
        this.registry = new RegistryClient(config);
        try {
            Files.createDirectories(rootfsDir);
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(blobs.tmp(), "rootfs-*")) {
                for (Path leftover : leftovers) {
                    RootfsTree.deleteRecursively(leftover);
                }
            }
            readIndex();
        } catch (IOException | UncheckedIOException e) {
            throw new ImageException(ImageException.Reason.INTERNAL, "cannot open the image store at " + root + ": " + e.getMessage(), e);
        }
    }

    public Path root() {
        return root;
    }

    // ---- pulling

    /**
     * Pulls {@code reference} (a tag or digest reference, normalized as Docker does) for linux/amd64 and returns the
     * image, with the reference's tag (or digest) recorded. Blobs already in the store are not downloaded again.
     */
    public Image pull(String reference, Credentials credentials) {
        ImageReference ref = parse(reference);
        long start = System.nanoTime();
        long downloadedBefore = blobDownloads.get();
        RegistryClient.FetchedManifest top = registry.manifest(ref, ref.manifestReference(), credentials);
        RegistryClient.FetchedManifest chosen = top;
        String topType = mediaType(top, ref);
        if (MediaTypes.isIndex(topType)) {
            String digest = choosePlatform(json(top.body(), "the index of " + ref), ref);
            chosen = registry.manifest(ref, digest, credentials);
        }
        Manifest manifest = Manifest.parse(json(chosen.body(), "the manifest of " + ref), mediaType(chosen, ref), ref.toString());
        List<String> digests = new ArrayList<>();
        digests.add(manifest.config().digest());
        manifest.layers().forEach(layer -> digests.add(layer.digest()));
        pin(digests);
        try {
            if (manifest.config().size() > MAX_CONFIG) {
                throw new ImageException(ImageException.Reason.CORRUPT, "the configuration of " + ref + " has "
                        + manifest.config().size() + " bytes, more than the " + MAX_CONFIG + " allowed");
            }
            download(ref, manifest.config(), credentials, "the configuration of " + ref);
            ImageConfig config = ImageConfig.parse(blobs.read(manifest.config().digest(), MAX_CONFIG), "the configuration of " + ref);
            for (int i = 0; i < manifest.layers().size(); i++) {
                download(ref, manifest.layers().get(i), credentials, "layer " + (i + 1) + " of " + ref);
            }
            if (!config.diffIds().isEmpty() && config.diffIds().size() != manifest.layers().size()) {
                throw new ImageException(ImageException.Reason.INVALID, ref + " has " + manifest.layers().size()
                        + " layers but its configuration lists " + config.diffIds().size());
            }
            String repoDigest = ref.repository() + "@" + top.digest();
            Image image = record(new Image(manifest.config().digest(), ref.digest().isEmpty() ? List.of(ref.repoTag()) : List.of(),
                    List.of(repoDigest), size(manifest), config, manifest.config(), manifest.layers()));
            log.info("pulled {} as {} ({} layers, {} blobs downloaded) in {} ms", ref, image.id(), manifest.layers().size(),
                    blobDownloads.get() - downloadedBefore, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            return image;
        } finally {
            unpin(digests);
        }
    }

    private static ImageReference parse(String reference) {
        try {
            return ImageReference.parse(reference);
        } catch (IllegalArgumentException e) {
            throw new ImageException(ImageException.Reason.INVALID, "invalid image reference: " + e.getMessage(), e);
        }
    }

    private static String mediaType(RegistryClient.FetchedManifest fetched, ImageReference ref) {
        JsonNode body = json(fetched.body(), "the manifest of " + ref);
        String declared = body.path("mediaType").asText("");
        if (body.path("schemaVersion").asInt(0) == 1) {
            throw new ImageException(ImageException.Reason.UNSUPPORTED, ref + " has a Docker schema 1 manifest, which is "
                    + "deprecated and not supported: push it again with a current client");
        }
        if (!declared.isEmpty()) {
            return declared;
        }
        if (!fetched.mediaType().isEmpty() && !fetched.mediaType().equals("application/json")) {
            return fetched.mediaType();
        }
        return body.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }

    static JsonNode json(byte[] body, String what) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw new ImageException(ImageException.Reason.INVALID, what + " is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new ImageException(ImageException.Reason.INVALID, what + " is not JSON: " + e.getMessage(), e);
        }
    }

    /** The linux/amd64 entry of an index (the first without a variant, or the first at all). */
    static String choosePlatform(JsonNode index, Object what) {
        List<String> offered = new ArrayList<>();
        String chosen = null;
        for (JsonNode entry : index.path("manifests")) {
            JsonNode platform = entry.path("platform");
            String os = platform.path("os").asText("");
            String architecture = platform.path("architecture").asText("");
            String variant = platform.path("variant").asText("");
            offered.add(os + "/" + architecture + (variant.isEmpty() ? "" : "/" + variant));
            if (os.equals(PLATFORM_OS) && architecture.equals(PLATFORM_ARCHITECTURE)
                    && (chosen == null || variant.isEmpty() || variant.equals("v1"))) {
                if (chosen == null || variant.isEmpty()) {
                    chosen = Descriptor.of(entry, "the index of " + what).digest();
                }
            }
        }
        if (chosen == null) {
            throw new ImageException(ImageException.Reason.NOT_FOUND, "no " + PLATFORM_OS + "/" + PLATFORM_ARCHITECTURE
                    + " image in index of " + what + " (it has " + (offered.isEmpty() ? "none" : String.join(", ", offered)) + ")");
        }
        return chosen;
    }

    private static long size(Manifest manifest) {
        return manifest.config().size() + manifest.layers().stream().mapToLong(Descriptor::size).sum();
    }

    /** Downloads a blob unless the store has it; concurrent requests for one blob share one download. */
    private void download(ImageReference ref, Descriptor blob, Credentials credentials, String what) {
        while (!blobs.has(blob.digest())) {
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> theirs = downloads.putIfAbsent(blob.digest(), mine);
            if (theirs != null) {
                try {
                    theirs.join();
                } catch (CompletionException e) {
                    log.debug("a concurrent download of {} failed ({}); trying again", blob.digest(), e.getCause().getMessage());
                }
                continue;
            }
            try {
                if (!blobs.has(blob.digest())) {
                    registry.blob(ref, blob, credentials, body -> {
                        blobs.write(blob.digest(), blob.size(), body, what + " (" + blob.digest() + ")");
                        return null;
                    });
                    blobDownloads.incrementAndGet();
                }
                mine.complete(null);
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
                throw e;
            } finally {
                downloads.remove(blob.digest(), mine);
            }
        }
    }

    /** How many blobs this store has downloaded since it was opened (for tests and figures). */
    long blobDownloads() {
        return blobDownloads.get();
    }

    // ---- the index

    /**
     * Adds {@code image} to the index, or its tags and digests to the image already there; a tag moves from whatever
     * image had it, as {@code docker pull} does.
     */
    synchronized Image record(Image image) {
        return recordAll(List.of(image)).getFirst();
    }

    /** Records several images in one change of the index: all of them or, when writing the index fails, none. */
    synchronized List<Image> recordAll(List<Image> added) {
        Map<String, Image> next = new LinkedHashMap<>(images);
        List<String> ids = new ArrayList<>();
        for (Image image : added) {
            for (Map.Entry<String, Image> entry : next.entrySet()) {
                Image other = entry.getValue();
                if (!other.id().equals(image.id()) && other.repoTags().stream().anyMatch(image.repoTags()::contains)) {
                    List<String> kept = other.repoTags().stream().filter(t -> !image.repoTags().contains(t)).toList();
                    entry.setValue(new Image(other.id(), kept, other.repoDigests(), other.size(), other.config(),
                            other.configBlob(), other.layers()));
                }
            }
            Image existing = next.get(image.id());
            Image merged = existing == null ? image : new Image(image.id(), union(existing.repoTags(), image.repoTags()),
                    union(existing.repoDigests(), image.repoDigests()), image.size(), image.config(), image.configBlob(),
                    image.layers());
            next.put(image.id(), merged);
            ids.add(image.id());
        }
        persist(next);
        images.clear();
        images.putAll(next);
        return ids.stream().distinct().map(images::get).toList();
    }

    /**
     * Deletes those of {@code candidates} (pinned once by the caller) that no image holds and no other pull, build or
     * import has pinned.
     */
    synchronized void collect(java.util.Collection<String> candidates) {
        Set<String> held = new HashSet<>();
        images.values().forEach(other -> held.addAll(other.blobs()));
        for (String digest : candidates) {
            if (!held.contains(digest) && pins.getOrDefault(digest, 0) <= 1) {
                blobs.delete(digest);
            }
        }
    }

    // ---- importing

    /**
     * Imports every image of an OCI image layout (a directory or a tar of one) or a {@code docker save} tarball
     * (either tar possibly gzip-compressed) into the store, and returns them. Nothing is recorded unless the whole
     * archive is good.
     */
    public List<Image> importArchive(Path file) {
        long start = System.nanoTime();
        List<Image> imported = new ArchiveImport(this, blobs, file).run();
        log.info("imported {} image(s) from {} in {} ms: {}", imported.size(), file,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), imported.stream().map(i -> i.id() + " " + i.repoTags()).toList());
        return imported;
    }

    private static List<String> union(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        b.stream().filter(s -> !s.isEmpty() && !out.contains(s)).forEach(out::add);
        out.removeIf(String::isEmpty);
        return out;
    }

    private void persist(Map<String, Image> index) {
        Path temp = root.resolve("images.json.tmp");
        try {
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("version", 1);
            document.put("images", List.copyOf(index.values()));
            Files.write(temp, JSON.writeValueAsBytes(document));
            try {
                Files.move(temp, indexFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, indexFile, StandardCopyOption.REPLACE_EXISTING);
            }
            indexTime = Files.getLastModifiedTime(indexFile).toMillis();
        } catch (IOException e) {
            throw new ImageException(ImageException.Reason.INTERNAL, "cannot write the image index " + indexFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * The image with this id ({@code sha256:<hex>} or just the hex), tag reference ({@code busybox} means
     * {@code docker.io/library/busybox:latest}) or digest reference.
     */
    public synchronized Optional<Image> find(String referenceOrId) {
        Optional<Image> found = lookup(referenceOrId);
        if (found.isEmpty() && indexChangedOnDisk()) {
            // another process (`hypernetes image import`) added images: read the index again
            try {
                readIndex();
            } catch (IOException e) {
                throw new ImageException(ImageException.Reason.INTERNAL, "cannot read the image index " + indexFile + ": " + e.getMessage(), e);
            }
            found = lookup(referenceOrId);
        }
        return found;
    }

    private void readIndex() throws IOException {
        if (Files.exists(indexFile)) {
            indexTime = Files.getLastModifiedTime(indexFile).toMillis();
            JsonNode index = JSON.readTree(indexFile.toFile());
            for (JsonNode node : index.path("images")) {
                Image image = JSON.treeToValue(node, Image.class);
                images.put(image.id(), image);
            }
        }
    }

    private boolean indexChangedOnDisk() {
        try {
            return Files.exists(indexFile) && Files.getLastModifiedTime(indexFile).toMillis() != indexTime;
        } catch (IOException e) {
            return false;
        }
    }

    private Optional<Image> lookup(String referenceOrId) {
        String id = referenceOrId.matches("[0-9a-f]{64}") ? "sha256:" + referenceOrId : referenceOrId;
        if (Digests.isSha256(id)) {
            return Optional.ofNullable(images.get(id));
        }
        ImageReference ref;
        try {
            ref = ImageReference.parse(referenceOrId);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        String wanted = ref.digest().isEmpty() ? ref.repoTag() : ref.repository() + "@" + ref.digest();
        return images.values().stream()
                .filter(image -> ref.digest().isEmpty() ? image.repoTags().contains(wanted) : image.repoDigests().contains(wanted))
                .findFirst();
    }

    public synchronized List<Image> list() {
        return List.copyOf(images.values());
    }

    /**
     * Removes the image {@code referenceOrId} names (with all its tags, as CRI's RemoveImage does), its root file
     * system, and the blobs no other image holds. Returns false when there was no such image (not an error: removal
     * is idempotent).
     */
    public boolean remove(String referenceOrId) {
        Image image;
        List<String> deleted = new ArrayList<>();
        synchronized (this) {
            Optional<Image> found = find(referenceOrId);
            if (found.isEmpty()) {
                return false;
            }
            image = found.get();
            Map<String, Image> next = new LinkedHashMap<>(images);
            next.remove(image.id());
            persist(next);
            images.remove(image.id());
            Set<String> held = new HashSet<>(pins.keySet());
            images.values().forEach(other -> held.addAll(other.blobs()));
            for (String digest : blobs.all()) {
                if (!held.contains(digest)) {
                    blobs.delete(digest);
                    deleted.add(digest);
                }
            }
        }
        try {
            Files.deleteIfExists(rootfsPath(image));
        } catch (IOException e) {
            log.warn("cannot delete the root file system of {}: {}", image.id(), e.getMessage());
        }
        log.info("removed image {} {} ({} blobs freed)", image.id(), image.repoTags(), deleted.size());
        return true;
    }

    synchronized void pin(List<String> digests) {
        digests.forEach(d -> pins.merge(d, 1, Integer::sum));
    }

    synchronized void unpin(List<String> digests) {
        digests.forEach(d -> pins.computeIfPresent(d, (k, n) -> n == 1 ? null : n - 1));
    }

    /** True when the store holds blob {@code digest} (for tests and diagnostics). */
    boolean hasBlob(String digest) {
        return blobs.has(digest);
    }

    Path blobPath(String digest) {
        return blobs.path(digest);
    }

    // ---- root file systems

    /**
     * The read-only ext4 image of {@code image}'s flattened layers, built on first use and kept until the image is
     * removed. hyperd attaches it to a pod VM as a read-only disk; the guest mounts it as the lower layer of the
     * container's overlay. Concurrent calls for one image share one build.
     */
    public Path rootfs(Image image) {
        Path file = rootfsPath(image);
        while (!Files.exists(file)) {
            CompletableFuture<Path> mine = new CompletableFuture<>();
            CompletableFuture<Path> theirs = builds.putIfAbsent(image.id(), mine);
            if (theirs != null) {
                try {
                    return theirs.join();
                } catch (CompletionException e) {
                    throw e.getCause() instanceof ImageException ie ? ie
                            : new ImageException(ImageException.Reason.INTERNAL, e.getCause().getMessage(), e.getCause());
                }
            }
            try {
                Path built = build(image, file);
                mine.complete(built);
                return built;
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
                throw e;
            } finally {
                builds.remove(image.id(), mine);
            }
        }
        return file;
    }

    private Path rootfsPath(Image image) {
        return rootfsDir.resolve(Digests.hex(image.id()) + ".ext4");
    }

    private Path build(Image image, Path file) {
        if (Files.exists(file)) {
            return file;
        }
        List<String> digests = image.blobs();
        pin(digests);
        Path scratch = null;
        try {
            synchronized (this) {
                if (!images.containsKey(image.id())) {
                    throw new ImageException(ImageException.Reason.NOT_FOUND, "image " + image.id() + " is not in the store");
                }
            }
            List<Path> layers = new ArrayList<>();
            for (Descriptor layer : image.layers()) {
                if (!blobs.has(layer.digest())) {
                    throw new ImageException(ImageException.Reason.NOT_FOUND, "layer " + layer.digest() + " of image "
                            + image.id() + " is missing from the store: pull the image again");
                }
                layers.add(blobs.path(layer.digest()));
            }
            scratch = Files.createTempDirectory(blobs.tmp(), "rootfs-");
            Path out = scratch.resolve("rootfs.ext4");
            Ext4Image.Built built = Ext4Image.build(layers, image.config().diffIds(), scratch, out, image.id());
            Files.setAttribute(out, "unix:mode", 0444);
            Files.move(out, file, StandardCopyOption.ATOMIC_MOVE);
            log.info("built the root file system of {} {}: {} files, {} KiB of files, {} MiB ext4, in {} ms ({} ms unpacking "
                            + "{} layers, {} ms mkfs.ext4)", image.id(), image.repoTags(), built.files(), built.treeBytes() / 1024,
                    built.imageBytes() >> 20, built.unpackMillis() + built.mkfsMillis(), built.unpackMillis(), layers.size(),
                    built.mkfsMillis());
            synchronized (this) {
                if (!images.containsKey(image.id())) {
                    Files.deleteIfExists(file);
                    throw new ImageException(ImageException.Reason.NOT_FOUND, "image " + image.id() + " was removed while its root file system was built");
                }
            }
            return file;
        } catch (IOException | UncheckedIOException e) {
            throw new ImageException(ImageException.Reason.INTERNAL, "cannot build the root file system of " + image.id()
                    + ": " + e.getMessage(), e);
        } finally {
            unpin(digests);
            if (scratch != null) {
                RootfsTree.deleteRecursively(scratch);
            }
        }
    }
}
