package io.hypernetes.guest;

import java.util.Set;

/**
 * A disk the host attached to the VM's virtio-scsi controller, named by its SCSI target
 * (target 0 is the pod's scratch disk, which hyperstart mounts itself).
 */
public record Disk(int scsiTarget, String fsType) {
    static final Set<String> FS_TYPES = Set.of("ext4", "ext3", "ext2", "xfs", "erofs");

    public Disk {
        if (scsiTarget < 1 || scsiTarget > 255) {
            throw new IllegalArgumentException("SCSI target " + scsiTarget + " is not in 1..255 (0 is the scratch disk)");
        }
        if (!FS_TYPES.contains(fsType)) {
            throw new IllegalArgumentException("filesystem type '" + fsType + "' is not one of " + FS_TYPES);
        }
    }
}
