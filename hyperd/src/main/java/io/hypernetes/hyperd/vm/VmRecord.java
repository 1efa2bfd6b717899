package io.hypernetes.hyperd.vm;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.hypernetes.hyperd.net.Tap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a VM directory's {@code vm.json} says about its QEMU, so a restarted hyperd finds it again: the process (pid and
 * its start time in clock ticks, which a reused pid does not have), the shape, the NIC, the disks and their SCSI
 * targets, and the cgroup directories. Written atomically (temp file + rename) after every change.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record VmRecord(String id, long pid, long pidStartTime, int vcpus, long memoryBytes, Accelerator accelerator,
                Tap tap, Map<String, Disk> disks, List<String> cgroups) {
    static final String FILE = "vm.json";

    record Disk(String file, boolean readOnly, int target) {
    }

    VmRecord {
        disks = new TreeMap<>(disks == null ? Map.of() : disks);
        cgroups = cgroups == null ? List.of() : List.copyOf(cgroups);
    }

    VmShape shape() {
        return new VmShape(vcpus, memoryBytes);
    }

    VmRecord withDisks(Map<String, Disk> disks) {
        return new VmRecord(id, pid, pidStartTime, vcpus, memoryBytes, accelerator, tap, disks, cgroups);
    }

    void write(Path dir) throws IOException {
        Path tmp = dir.resolve(FILE + ".tmp");
        Files.write(tmp, Qmp.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static VmRecord read(Path dir) throws IOException {
        return Qmp.JSON.readValue(dir.resolve(FILE).toFile(), VmRecord.class);
    }
}
