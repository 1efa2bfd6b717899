package io.hypernetes.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory that layers are applied to, in order, to flatten an image into the tree of its root filesystem.
 *
 * <p>Layers are untrusted input, so every entry's path is checked before anything is written: absolute names and
 * {@code ..} components are refused, and a path that goes through a symbolic link is refused rather than followed
 * (no-follow semantics, as {@code openat2(RESOLVE_NO_SYMLINKS)}), so a layer cannot write outside the tree by
 * planting a link in one entry and writing through it in the next. The last component of a path is never followed
 * either: an entry replaces whatever was there.
 *
 * <p>OCI whiteouts: {@code .wh.<name>} deletes {@code <name>} from lower layers, {@code .wh..wh..opq} empties its
 * directory of everything lower layers put there. Whiteouts only hide lower layers, never entries of their own layer,
 * whatever the order of entries in the tar: they apply as they come, sparing what this layer already wrote.
 *
 * <p>Ownership and modes (including set-uid bits) are applied as recorded: the store runs as root. Device nodes and
 * FIFOs are skipped (the guest's {@code /dev} is a devtmpfs) and counted.
 */
final class RootfsTree {
    private static final Logger log = LoggerFactory.getLogger(RootfsTree.class);
    static final String WHITEOUT = ".wh.";
    static final String OPAQUE = ".wh..wh..opq";
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private final Path root;
    private final Set<String> createdInLayer = new HashSet<>();
    private int skipped;

    RootfsTree(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    /** Applies one uncompressed layer tar; {@code what} names it in errors. */
    void apply(TarReader tar, String what) throws IOException {
        createdInLayer.clear();
        int skippedBefore = skipped;
        TarReader.Entry entry;
        while ((entry = tar.next()) != null) {
            List<String> components = components(entry.name(), what);
            if (components.isEmpty()) {
                if (entry.type() == TarReader.Type.DIRECTORY) {
                    metadata(root, entry);
                }
                continue;
            }
            String base = components.getLast();
            List<String> parent = components.subList(0, components.size() - 1);
            if (base.equals(OPAQUE)) {
                Path dir = directory(parent, entry, what);
                String relative = String.join("/", parent);
                markCreated(parent);
                emptyExcept(dir, relative);
                continue;
            }
            if (base.startsWith(WHITEOUT)) {
                String hidden = base.substring(WHITEOUT.length());
                if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
                    throw hostile(what, entry.name(), "is a whiteout of nothing");
                }
                Path dir = directory(parent, entry, what);
                String relative = parent.isEmpty() ? hidden : String.join("/", parent) + "/" + hidden;
                Path hiddenPath = dir.resolve(hidden);
                if (!createdInLayer.contains(relative)) {
                    deleteRecursively(hiddenPath);
                } else if (Files.isDirectory(hiddenPath, NOFOLLOW)) {
                    // this layer already rebuilt the directory: what lower layers had in it goes, its own entries stay
                    emptyExcept(hiddenPath, relative);
                }
                continue;
            }
            Path dir = directory(parent, entry, what);
            Path target = dir.resolve(base);
            switch (entry.type()) {
                case DIRECTORY -> {
                    if (!Files.isDirectory(target, NOFOLLOW)) {
                        deleteRecursively(target);
                        Files.createDirectory(target);
                    }
                    metadata(target, entry);
                }
                case FILE -> {
                    deleteRecursively(target);
                    try (InputStream content = tar.content()) {
                        Files.copy(content, target);
                    }
                    metadata(target, entry);
                }
                case SYMLINK -> {
                    if (entry.linkName().isEmpty()) {
                        throw hostile(what, entry.name(), "is a symbolic link to nothing");
                    }
                    deleteRecursively(target);
                    Files.createSymbolicLink(target, Path.of(entry.linkName()));
                    owner(target, entry);
                    times(target, entry);
                }
                case HARDLINK -> {
                    List<String> linked = components(entry.linkName(), what);
                    if (linked.isEmpty()) {
                        throw hostile(what, entry.name(), "is a hard link to the root");
                    }
                    Path existing = directory(linked.subList(0, linked.size() - 1), entry, what).resolve(linked.getLast());
                    if (!Files.exists(existing, NOFOLLOW) || Files.isDirectory(existing, NOFOLLOW)) {
                        throw hostile(what, entry.name(), "is a hard link to \"" + entry.linkName()
                                + "\", which is not a file written before it");
                    }
                    if (!existing.equals(target)) {
                        deleteRecursively(target);
                        Files.createLink(target, existing);
                    }
                }
                case CHAR_DEVICE, BLOCK_DEVICE, FIFO -> {
                    skipped++;
                    log.debug("{}: skipped {} {}", what, entry.type(), entry.name());
                    continue;
                }
            }
            markCreated(components);
        }
        if (skipped > skippedBefore) {
            log.info("{}: skipped {} device nodes and FIFOs (the guest's /dev is a devtmpfs)", what, skipped - skippedBefore);
        }
    }

    int skipped() {
        return skipped;
    }

    /** A tar entry name as path components, refusing names that leave the tree. */
    static List<String> components(String name, String what) {
        if (name.startsWith("/")) {
            throw hostile(what, name, "has an absolute path");
        }
        if (name.indexOf('\0') >= 0) {
            throw hostile(what, name, "has a NUL in its name");
        }
        List<String> out = new ArrayList<>();
        for (String component : name.split("/")) {
            if (component.isEmpty() || component.equals(".")) {
                continue;
            }
            if (component.equals("..")) {
                throw hostile(what, name, "has a \"..\" component");
            }
            out.add(component);
        }
        return out;
    }

    /**
     * The directory at {@code components}, creating missing ones (mode 0755, as Docker does), refusing to go
     * through a symbolic link or a file.
     */
    private Path directory(List<String> components, TarReader.Entry entry, String what) throws IOException {
        Path current = root;
        for (String component : components) {
            current = current.resolve(component);
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(current, BasicFileAttributes.class, NOFOLLOW);
            } catch (NoSuchFileException e) {
                Files.createDirectory(current);
                continue;
            }
            if (attributes.isSymbolicLink()) {
                throw hostile(what, entry.name(), "goes through the symbolic link \"" + root.relativize(current)
                        + "\" (entries are extracted without following links)");
            }
            if (!attributes.isDirectory()) {
                throw hostile(what, entry.name(), "goes through \"" + root.relativize(current) + "\", which is not a directory");
            }
        }
        return current;
    }

    private void markCreated(List<String> components) {
        StringBuilder path = new StringBuilder();
        for (String component : components) {
            path.append(path.isEmpty() ? "" : "/").append(component);
            createdInLayer.add(path.toString());
        }
    }

    /** Empties {@code dir} of what lower layers put there, keeping what this layer created. */
    private void emptyExcept(Path dir, String relative) {
        try (var children = Files.list(dir)) {
            for (Path child : children.toList()) {
                String childRelative = relative.isEmpty() ? child.getFileName().toString() : relative + "/" + child.getFileName();
                if (!createdInLayer.contains(childRelative)) {
                    deleteRecursively(child);
                } else if (Files.isDirectory(child, NOFOLLOW)) {
                    emptyExcept(child, childRelative);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Deletes a file, link or directory tree, never following links. */
    static void deleteRecursively(Path path) {
        try {
            if (!Files.exists(path, NOFOLLOW)) {
                return;
            }
            if (!Files.isDirectory(path, NOFOLLOW)) {
                Files.delete(path);
                return;
            }
            Files.walkFileTree(path, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null) {
                        throw e;
                    }
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void metadata(Path path, TarReader.Entry entry) throws IOException {
        owner(path, entry);
        Files.setAttribute(path, "unix:mode", entry.mode(), NOFOLLOW);
        times(path, entry);
    }

    private static void owner(Path path, TarReader.Entry entry) throws IOException {
        Files.setAttribute(path, "unix:uid", entry.uid(), NOFOLLOW);
        Files.setAttribute(path, "unix:gid", entry.gid(), NOFOLLOW);
    }

    private static void times(Path path, TarReader.Entry entry) throws IOException {
        FileTime mtime = FileTime.from(entry.mtime(), TimeUnit.SECONDS);
        Files.getFileAttributeView(path, BasicFileAttributeView.class, NOFOLLOW).setTimes(mtime, null, null);
    }

    static ImageException hostile(String what, String name, String why) {
        return new ImageException(ImageException.Reason.CORRUPT, what + ": tar entry \"" + name + "\" " + why + "; refused");
    }
}
