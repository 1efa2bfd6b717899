package io.hypernetes.guest;

/** A mount in a container: a pod volume (files the host wrote with WRITE_FILE) or a whole disk. */
public record Mount(Source source, String containerPath, boolean readOnly) {

    public Mount {
        Checks.absolutePath("container path", containerPath);
        if (containerPath.equals("/")) {
            throw new IllegalArgumentException("a mount cannot replace the container's root");
        }
    }

    public sealed interface Source permits VolumeSource, DiskSource {}

    /** A directory of the pod's volume root, shared by every container that mounts it. */
    public record VolumeSource(String volume) implements Source {
        public VolumeSource {
            Checks.name("volume name", volume);
        }
    }

    public record DiskSource(Disk disk) implements Source {}

    Tlv.Writer encode() {
        Tlv.Writer w = Tlv.writer();
        switch (source) {
            case VolumeSource v -> w.string(Protocol.TAG_SOURCE_VOLUME, v.volume());
            case DiskSource d -> w.integer(Protocol.TAG_SOURCE_TARGET, d.disk().scsiTarget())
                    .string(Protocol.TAG_FSTYPE, d.disk().fsType());
        }
        return w.string(Protocol.TAG_DEST, containerPath).flag(Protocol.TAG_READONLY, readOnly);
    }
}
