package io.hypernetes.guest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real QEMU microvm (TCG) booting the guest kernel with this module's initramfs, for the
 * VM tests. Not the production VM driver (hyperd's): only the command line it needs.
 * Disks at boot: SCSI target 0 the scratch disk, target 1 a busybox image, target 2 a data disk.
 */
final class TestVm implements AutoCloseable {
    static final int IMAGE_TARGET = 1;
    static final int DATA_TARGET = 2;

    final Path dir;
    final Path agentSocket;
    final Path console;
    final Path image;
    private final Process qemu;

    private TestVm(Path dir, Process qemu) {
        this.dir = dir;
        this.agentSocket = dir.resolve("agent.sock");
        this.console = dir.resolve("console.log");
        this.image = dir.resolve("image.ext4");
        this.qemu = qemu;
    }

    static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")) && GuestKernel.find().isPresent()
                && Files.isExecutable(Path.of("/bin/busybox")) && Files.isExecutable(Path.of("/sbin/mkfs.ext4"));
    }

    static TestVm boot(Path dir) throws IOException, InterruptedException {
        GuestKernel kernel = GuestKernel.find().orElseThrow();
        Path initrd = dir.resolve("initramfs.gz");
        Initramfs.write(initrd, kernel);
        Path image = buildImage(dir);
        Path scratch = dir.resolve("scratch.ext4");
        run("truncate", "-s", "256M", scratch.toString());
        run("mkfs.ext4", "-q", "-F", scratch.toString());
        Path data = dir.resolve("data.ext4");
        Path dataDir = Files.createDirectories(dir.resolve("data"));
        Files.writeString(dataDir.resolve("hello.txt"), "from the data disk\n");
        run("mkfs.ext4", "-q", "-F", "-d", dataDir.toString(), data.toString(), "16M");

        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64",
                "-M", "microvm,x-option-roms=off,isa-serial=on,rtc=off", "-accel", "tcg", "-cpu", "max",
                "-m", "256", "-smp", "1", "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
                "-serial", "file:" + dir.resolve("console.log"),
                "-kernel", kernel.vmlinuz().toString(), "-initrd", initrd.toString(),
                "-append", "console=ttyS0 quiet panic=-1 reboot=t " + GuestKernel.tcgClockArgument().orElse(""),
                "-device", "virtio-scsi-device,id=scsi0",
                "-drive", "if=none,id=scratch,file=" + scratch + ",format=raw",
                "-device", "scsi-hd,bus=scsi0.0,scsi-id=0,lun=0,drive=scratch",
                "-drive", "if=none,id=image,file=" + image + ",format=raw,readonly=on",
                "-device", "scsi-hd,bus=scsi0.0,scsi-id=" + IMAGE_TARGET + ",lun=0,drive=image",
                "-drive", "if=none,id=data,file=" + data + ",format=raw",
                "-device", "scsi-hd,bus=scsi0.0,scsi-id=" + DATA_TARGET + ",lun=0,drive=data",
                "-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0",
                "-device", "virtio-serial-device",
                "-chardev", "socket,id=agent,path=" + dir.resolve("agent.sock") + ",server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=io.hypernetes.agent.0",
                "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server=on,wait=off"));
        Process qemu = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.out").toFile()).start();
        return new TestVm(dir, qemu);
    }

    /** A busybox root filesystem with a non-root user "app" (1000:1000, also in group "staff"). */
    private static Path buildImage(Path dir) throws IOException, InterruptedException {
        Path root = Files.createDirectories(dir.resolve("rootfs"));
        Path bin = Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        String applets = new String(new ProcessBuilder("/bin/busybox", "--list").start().getInputStream().readAllBytes(),
                StandardCharsets.US_ASCII);
        for (String applet : applets.split("\n")) {
            if (!applet.isBlank() && !applet.equals("busybox")) {
                Files.createSymbolicLink(bin.resolve(applet.strip()), Path.of("busybox"));
            }
        }
        Path etc = Files.createDirectories(root.resolve("etc"));
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\napp:x:1000:\nstaff:x:50:app\n");
        Files.writeString(etc.resolve("image-marker"), "original\n");
        Files.createDirectories(root.resolve("home/app"));
        Files.createDirectories(root.resolve("tmp"));
        Path image = dir.resolve("image.ext4");
        run("mkfs.ext4", "-q", "-F", "-d", root.toString(), image.toString(), "32M");
        return image;
    }

    static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    /** Hot-plugs a raw disk image as SCSI target {@code target} through QMP, as the VM driver does. */
    void hotPlugDisk(Path file, int target) throws IOException {
        try (java.nio.channels.SocketChannel qmp = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            qmp.connect(java.net.UnixDomainSocketAddress.of(dir.resolve("qmp.sock")));
            java.io.BufferedReader in = new java.io.BufferedReader(java.nio.channels.Channels.newReader(qmp, StandardCharsets.UTF_8));
            in.readLine(); // greeting
            for (String command : List.of("{\"execute\":\"qmp_capabilities\"}",
                    "{\"execute\":\"blockdev-add\",\"arguments\":{\"node-name\":\"hot" + target + "\",\"driver\":\"raw\","
                            + "\"read-only\":true,\"file\":{\"driver\":\"file\",\"filename\":\"" + file + "\",\"read-only\":true}}}",
                    "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"scsi-hd\",\"bus\":\"scsi0.0\",\"scsi-id\":" + target
                            + ",\"lun\":0,\"drive\":\"hot" + target + "\",\"id\":\"disk" + target + "\"}}")) {
                qmp.write(java.nio.ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
                String line;
                do {
                    line = in.readLine();
                    if (line == null) {
                        throw new IOException("QMP closed");
                    }
                } while (line.startsWith("{\"event\""));
                if (!line.startsWith("{\"return\"")) {
                    throw new IOException("QMP refused " + command + ": " + line);
                }
            }
        }
    }

    boolean alive() {
        return qemu.isAlive();
    }

    boolean awaitExit(long seconds) throws InterruptedException {
        return qemu.waitFor(seconds, TimeUnit.SECONDS);
    }

    String consoleTail() {
        try {
            List<String> lines = Files.readAllLines(console, StandardCharsets.ISO_8859_1);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no console: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        qemu.destroy();
        if (!qemu.waitFor(5, TimeUnit.SECONDS)) {
            qemu.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
