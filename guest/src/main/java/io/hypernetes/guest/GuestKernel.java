package io.hypernetes.guest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The kernel a pod VM boots and the module tree the initramfs takes its drivers from.
 *
 * @param version the kernel's release, as {@code uname -r} prints it and /lib/modules names it
 */
public record GuestKernel(Path vmlinuz, String version, Path modulesDir) {

    private static final Path BOOT = Path.of("/boot");
    private static final Path MODULES = Path.of("/lib/modules");

    /** The newest /boot/vmlinuz-* whose modules are installed. */
    public static Optional<GuestKernel> find() {
        return find(BOOT, MODULES);
    }

    static Optional<GuestKernel> find(Path boot, Path modules) {
        if (!Files.isDirectory(boot)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(boot)) {
            return files.filter(p -> p.getFileName().toString().startsWith("vmlinuz-") && Files.isReadable(p))
                    .flatMap(p -> {
                        try {
                            GuestKernel k = of(p, modules);
                            return Files.isDirectory(k.modulesDir()) ? Stream.of(k) : Stream.empty();
                        } catch (IllegalArgumentException e) {
                            return Stream.empty();
                        }
                    })
                    .max(Comparator.comparing(GuestKernel::version, GuestKernel::compareVersions));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A bzImage and the modules under /lib/modules/&lt;its version&gt;. */
    public static GuestKernel of(Path vmlinuz) {
        return of(vmlinuz, MODULES);
    }

    static GuestKernel of(Path vmlinuz, Path modules) {
        String version = readVersion(vmlinuz);
        return new GuestKernel(vmlinuz, version, modules.resolve(version));
    }

    /**
     * The x86 boot protocol header: "HdrS" at 0x202, and at 0x20E a u16 pointing (from 0x200)
     * to a NUL-terminated string whose first word is the release.
     */
    static String readVersion(Path vmlinuz) {
        try (FileChannel ch = FileChannel.open(vmlinuz)) {
            ByteBuffer header = ByteBuffer.allocate(0x210).order(ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining() && ch.read(header) >= 0) {
                // fill
            }
            if (header.position() < 0x210 || header.getInt(0x202) != 0x53726448) {
                throw new IllegalArgumentException(vmlinuz + " is not a bzImage (no HdrS boot header)");
            }
            int pointer = (header.getShort(0x20E) & 0xFFFF) + 0x200;
            ByteBuffer text = ByteBuffer.allocate(256);
            ch.read(text, pointer);
            String s = new String(text.array(), 0, text.position(), StandardCharsets.US_ASCII);
            int end = s.indexOf(' ');
            int nul = s.indexOf('\0');
            if (nul >= 0 && (end < 0 || nul < end)) {
                end = nul;
            }
            String version = end > 0 ? s.substring(0, end) : "";
            if (version.isEmpty() || !version.matches("[A-Za-z0-9._+-]+")) {
                throw new IllegalArgumentException(vmlinuz + " has no readable kernel version in its header");
            }
            return version;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + vmlinuz + ": " + e.getMessage(), e);
        }
    }

    /**
     * The kernel argument that lets a guest boot under TCG on a loaded host: there the guest's
     * TSC is the host's, the kernel's calibration of it against the emulated PIT fails, and the
     * kernel then hangs before /init with no clock. {@code tsc_early_khz} skips the calibration.
     * Empty when the host's frequency cannot be read.
     */
    public static Optional<String> tcgClockArgument() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("cpu MHz")) {
                    double mhz = Double.parseDouble(line.substring(line.indexOf(':') + 1).strip());
                    return mhz > 0 ? Optional.of("tsc_early_khz=" + Math.round(mhz * 1000)) : Optional.empty();
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no /proc/cpuinfo frequency: let the kernel calibrate
        }
        return Optional.empty();
    }

    /** Numeric where both parts are numbers: 6.10 after 6.9. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("[.-]");
        String[] y = b.split("[.-]");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = x[i].matches("\\d{1,9}") && y[i].matches("\\d{1,9}")
                    ? Integer.compare(Integer.parseInt(x[i]), Integer.parseInt(y[i])) : x[i].compareTo(y[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }
}
