package io.hypernetes.guest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * The pod VM's initramfs: a gzip-compressed newc cpio holding /init (hyperstart, built into
 * this jar), /dev/console, and the kernel modules hyperstart loads in the order of
 * /modules/load. The Debian cloud kernel builds the virtio, SCSI and overlay drivers as
 * modules; ext4 is built in.
 */
public final class Initramfs {
    private Initramfs() {}

    /** Load order: each after the modules it depends on. */
    public static final List<String> MODULES = List.of("virtio_ring", "virtio", "virtio_mmio", "virtio_balloon", "scsi_common", "scsi_mod",
            "sd_mod", "virtio_scsi", "virtio_console", "virtio_blk", "failover", "net_failover", "virtio_net", "overlay",
            "libcrc32c", "erofs");

    static final String HYPERSTART_RESOURCE = "/io/hypernetes/guest/hyperstart";

    /** Writes the initramfs to {@code out} (atomically: a reader never sees half a file). */
    public static void write(Path out, GuestKernel kernel) throws IOException {
        List<Path> modules = locateModules(kernel);
        byte[] init = hyperstart();
        Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), ".initramfs", ".tmp");
        try {
            try (OutputStream file = Files.newOutputStream(tmp);
                 GZIPOutputStream gz = new GZIPOutputStream(file, 1 << 16)) {
                Cpio cpio = new Cpio(gz);
                cpio.directory("dev");
                cpio.characterDevice("dev/console", 0600, 5, 1);
                for (String dir : List.of("proc", "sys", "run", "tmp", "modules")) {
                    cpio.directory(dir);
                }
                cpio.file("init", 0755, init);
                StringBuilder load = new StringBuilder();
                for (Path m : modules) {
                    String name = m.getFileName().toString();
                    cpio.file("modules/" + name, 0644, Files.readAllBytes(m));
                    load.append(name).append('\n');
                }
                cpio.file("modules/load", 0644, load.toString().getBytes(StandardCharsets.US_ASCII));
                cpio.trailer();
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The static hyperstart binary shipped in this jar. */
    public static byte[] hyperstart() {
        try (InputStream in = Initramfs.class.getResourceAsStream(HYPERSTART_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("hyperstart is missing from the hypernetes-guest jar (" + HYPERSTART_RESOURCE
                        + "): build the guest module with musl-gcc or gcc available");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> locateModules(GuestKernel kernel) throws IOException {
        Path dir = kernel.modulesDir();
        if (!Files.isDirectory(dir)) {
            throw new IOException("kernel modules of " + kernel.version() + " not found at " + dir);
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(dir.resolve("kernel"))) {
            all = walk.filter(Files::isRegularFile).toList();
        }
        List<Path> found = new ArrayList<>();
        for (String name : MODULES) {
            Path m = all.stream().filter(p -> isModule(p, name)).findFirst()
                    .orElseThrow(() -> new IOException("kernel module " + name + " not found under " + dir
                            + " (the pod VM needs it; is the kernel's module package installed?)"));
            found.add(m);
        }
        return found;
    }

    private static boolean isModule(Path p, String name) {
        String f = p.getFileName().toString();
        for (String ext : List.of(".ko", ".ko.xz", ".ko.zst", ".ko.gz")) {
            if (f.equals(name + ext) || f.equals(name.replace('_', '-') + ext)) {
                return true;
            }
        }
        return false;
    }

    /** The "newc" cpio format the kernel unpacks: 110-byte ASCII headers, 4-byte alignment. */
    static final class Cpio {
        private final OutputStream out;
        private long written;
        private int inode = 1;

        Cpio(OutputStream out) {
            this.out = out;
        }

        void directory(String name) throws IOException {
            entry(name, 0040755, 2, 0, 0, new byte[0]);
        }

        void file(String name, int mode, byte[] data) throws IOException {
            entry(name, 0100000 | mode, 1, 0, 0, data);
        }

        void characterDevice(String name, int mode, int major, int minor) throws IOException {
            entry(name, 0020000 | mode, 1, major, minor, new byte[0]);
        }

        void trailer() throws IOException {
            entry("TRAILER!!!", 0, 1, 0, 0, new byte[0]);
            pad(512);
        }

        private void entry(String name, int mode, int nlink, int rmajor, int rminor, byte[] data) throws IOException {
            byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.US_ASCII);
            String header = "070701" + hex(name.equals("TRAILER!!!") ? 0 : inode++) + hex(mode) + hex(0) + hex(0) + hex(nlink)
                    + hex(0) + hex(data.length) + hex(0) + hex(0) + hex(rmajor) + hex(rminor) + hex(nameBytes.length) + hex(0);
            write(header.getBytes(StandardCharsets.US_ASCII));
            write(nameBytes);
            pad(4);
            write(data);
            pad(4);
        }

        private static String hex(long v) {
            return String.format("%08x", v);
        }

        private void write(byte[] b) throws IOException {
            out.write(b);
            written += b.length;
        }

        private void pad(int to) throws IOException {
            int n = (int) ((to - written % to) % to);
            write(new byte[n]);
        }

        /** For tests: the bytes of a cpio built in memory. */
        static byte[] of(CpioBody body) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            Cpio c = new Cpio(b);
            body.write(c);
            c.trailer();
            return b.toByteArray();
        }

        interface CpioBody {
            void write(Cpio cpio) throws IOException;
        }
    }
}
