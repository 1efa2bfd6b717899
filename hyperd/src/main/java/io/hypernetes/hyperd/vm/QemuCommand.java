package io.hypernetes.hyperd.vm;

import io.hypernetes.hyperd.net.Tap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * QEMU's command line for a pod VM. Nothing from the host but the kernel, the initramfs and the VM's own files: no
 * defaults, no user config, no option ROMs, no display; a {@code microvm} with virtio-mmio devices only.
 *
 * <p>A {@code virtio-balloon-device} with free-page reporting lets the guest hand freed pages back; it is never
 * inflated (hyperd does not take memory away from a pod).
 *
 * <p>Under TCG the kernel cannot calibrate the TSC against the PIT on a loaded host (it hangs at "Marking TSC
 * unstable"), so the host's TSC frequency is passed as {@code tsc_early_khz}: TCG's guest TSC is the host's.
 */
final class QemuCommand {
    private QemuCommand() {
    }

    static List<String> argv(VmConfig config, Path qemu, Path dir, VmShape shape, Optional<Tap> nic) {
        List<String> a = new ArrayList<>(List.of(qemu.toString(),
                "-name", "hypernetes-" + dir.getFileName() + ",process=hyperd-vm-" + dir.getFileName(),
                "-M", "microvm,x-option-roms=off,isa-serial=on,rtc=off"));
        a.addAll(config.accelerator().qemuArgs(config.tcgCacheMiB()));
        a.addAll(List.of("-m", shape.memoryMiB() + "M", "-smp", Integer.toString(shape.vcpus()),
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-chardev", "file,id=console,path=" + dir.resolve("console.log"),
                "-serial", "chardev:console",
                "-kernel", config.kernel().toString(), "-initrd", config.initramfs().toString(),
                "-append", kernelArgs(config),
                "-device", "virtio-scsi-device,id=scsi0",
                "-blockdev", "driver=raw,node-name=node-scratch,file.driver=file,file.filename=" + dir.resolve("scratch.ext4"),
                "-device", "scsi-hd,bus=scsi0.0,scsi-id=" + Vm.SCRATCH_TARGET + ",lun=0,drive=node-scratch,serial=scratch,id=disk-scratch",
                // gives the host back the pages the guest frees (boot's decompression buffers, exited containers):
                // measured 190 vs 216 MiB idle RSS for a 512 MiB busybox guest once the guest loads virtio_balloon
                "-device", "virtio-balloon-device,free-page-reporting=on",
                "-device", "virtio-serial-device",
                "-chardev", "socket,id=agent,path=" + dir.resolve("agent.sock") + ",server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=io.hypernetes.agent.0",
                "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server=on,wait=off",
                "-pidfile", dir.resolve("qemu.pid").toString()));
        nic.ifPresent(tap -> a.addAll(List.of(
                "-netdev", "tap,id=net0,ifname=" + tap.name() + ",script=no,downscript=no",
                "-device", "virtio-net-device,netdev=net0,mac=" + tap.mac())));
        if (config.sandbox()) {
            a.addAll(List.of("-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
        }
        return a;
    }

    static String kernelArgs(VmConfig config) {
        StringBuilder s = new StringBuilder(Vm.KERNEL_ARGS);
        if (config.accelerator() == Accelerator.TCG) {
            Vm.hostTscKhz().ifPresent(khz -> s.append(" tsc_early_khz=").append(khz));
        }
        config.kernelArgs().forEach(arg -> s.append(' ').append(arg));
        return s.toString();
    }
}
