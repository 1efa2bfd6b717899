package io.hypernetes.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The initramfs and kernel lookup against a made-up kernel tree (a bzImage header and empty modules). */
class InitramfsTest {
    @TempDir
    Path dir;

    private Path fakeKernel(String version) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(0x400).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x202, 0x53726448);
        b.putShort(0x20E, (short) 0x100);
        b.put(0x300, (version + " (builder@host) #1 SMP\0").getBytes(StandardCharsets.US_ASCII));
        Path vmlinuz = dir.resolve("boot/vmlinuz-" + version);
        Files.createDirectories(vmlinuz.getParent());
        Files.write(vmlinuz, b.array());
        return vmlinuz;
    }

    private void fakeModules(String version, List<String> names) throws IOException {
        Path m = Files.createDirectories(dir.resolve("modules/" + version + "/kernel/drivers"));
        for (String n : names) {
            Files.writeString(m.resolve(n + ".ko"), "module " + n);
        }
    }

    @Test
    void versionComesFromTheBzImageHeaderAndTheNewestKernelWithModulesWins() throws IOException {
        fakeKernel("6.1.0-9-cloud-amd64");
        fakeKernel("6.1.0-10-cloud-amd64");
        fakeKernel("6.12.0-1-cloud-amd64"); // no modules installed: not usable
        fakeModules("6.1.0-9-cloud-amd64", List.of());
        fakeModules("6.1.0-10-cloud-amd64", List.of());
        GuestKernel k = GuestKernel.find(dir.resolve("boot"), dir.resolve("modules")).orElseThrow();
        assertThat(k.version()).isEqualTo("6.1.0-10-cloud-amd64");
        assertThat(k.modulesDir()).isEqualTo(dir.resolve("modules/6.1.0-10-cloud-amd64"));
        Files.writeString(dir.resolve("boot/vmlinuz-broken"), "not a kernel");
        assertThatThrownBy(() -> GuestKernel.of(dir.resolve("boot/vmlinuz-broken"), dir)).hasMessageContaining("not a bzImage");
    }

    @Test
    void theArchiveHoldsInitConsoleAndTheModulesInLoadOrder() throws IOException {
        GuestKernel k = GuestKernel.of(fakeKernel("6.1.0-1-test"), dir.resolve("modules"));
        fakeModules("6.1.0-1-test", Initramfs.MODULES);
        Path out = dir.resolve("initramfs.gz");
        Initramfs.write(out, k);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        Map<String, Integer> modes = new LinkedHashMap<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(out))) {
            parseCpio(in.readAllBytes(), entries, modes);
        }
        assertThat(entries.get("init")).isEqualTo(Initramfs.hyperstart());
        assertThat(modes.get("init")).isEqualTo(0100755);
        assertThat(modes.get("dev/console") & 0170000).isEqualTo(0020000);
        List<String> load = new String(entries.get("modules/load"), StandardCharsets.US_ASCII).lines().toList();
        List<String> expected = new ArrayList<>();
        Initramfs.MODULES.forEach(m -> expected.add(m + ".ko"));
        assertThat(load).isEqualTo(expected);
        assertThat(new String(entries.get("modules/virtio_scsi.ko"), StandardCharsets.US_ASCII)).isEqualTo("module virtio_scsi");
        assertThat(entries).containsKey("TRAILER!!!");
    }

    @Test
    void aMissingModuleIsNamedAndNothingIsWritten() throws IOException {
        GuestKernel k = GuestKernel.of(fakeKernel("6.1.0-2-test"), dir.resolve("modules"));
        fakeModules("6.1.0-2-test", Initramfs.MODULES.stream().filter(m -> !m.equals("virtio_console")).toList());
        Path out = dir.resolve("initramfs.gz");
        assertThatThrownBy(() -> Initramfs.write(out, k)).isInstanceOf(IOException.class)
                .hasMessageContaining("kernel module virtio_console not found");
        assertThat(out).doesNotExist();
    }

    @Test
    void hyperstartIsAStaticElfInTheJar() {
        byte[] init = Initramfs.hyperstart();
        assertThat(init).startsWith(0x7F, 'E', 'L', 'F');
        assertThat(init.length).isLessThan(2 * 1024 * 1024);
    }

    private static void parseCpio(byte[] b, Map<String, byte[]> entries, Map<String, Integer> modes) {
        int pos = 0;
        while (pos < b.length) {
            String h = new String(b, pos, 110, StandardCharsets.US_ASCII);
            assertThat(h).startsWith("070701");
            int mode = Integer.parseUnsignedInt(h.substring(14, 22), 16);
            int size = Integer.parseUnsignedInt(h.substring(54, 62), 16);
            int nameSize = Integer.parseUnsignedInt(h.substring(94, 102), 16);
            String name = new String(b, pos + 110, nameSize - 1, StandardCharsets.US_ASCII);
            int data = align(pos + 110 + nameSize);
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            content.write(b, data, size);
            entries.put(name, content.toByteArray());
            modes.put(name, mode);
            pos = align(data + size);
            if (name.equals("TRAILER!!!")) {
                break;
            }
        }
    }

    private static int align(int n) {
        return (n + 3) & ~3;
    }
}
