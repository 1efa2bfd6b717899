package io.hypernetes.guest;

import java.util.List;

/**
 * NEW_CONTAINER: a read-only image disk as the lower layer, a writable layer on the scratch
 * disk (tmpfs without one), the mounts, and the pod's hosts/resolv.conf/hostname.
 */
public record ContainerSpec(String id, Disk rootfs, List<Mount> mounts) {
    public ContainerSpec {
        Checks.name("container id", id);
        if (mounts.size() > 64) {
            throw new IllegalArgumentException("container " + id + " has " + mounts.size() + " mounts; at most 64");
        }
        mounts = List.copyOf(mounts);
    }

    byte[] encode() {
        Tlv.Writer w = Tlv.writer().string(Protocol.TAG_CONTAINER, id)
                .integer(Protocol.TAG_ROOTFS_TARGET, rootfs.scsiTarget()).string(Protocol.TAG_FSTYPE, rootfs.fsType());
        mounts.forEach(m -> w.nested(Protocol.TAG_MOUNT, m.encode()));
        return w.toByteArray();
    }
}
