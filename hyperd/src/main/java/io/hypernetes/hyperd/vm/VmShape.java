package io.hypernetes.hyperd.vm;

/**
 * How big a pod's VM is: its virtual CPUs and its guest memory.
 *
 * <p>{@link #forPod} turns a pod's summed container limits into a shape: vCPUs are the CPU limits rounded up to whole
 * cores (at least one, at most the host's cores, since more vCPUs than cores only adds contention under TCG), memory
 * is the memory limits (or {@value #DEFAULT_POD_MEMORY_MIB} MiB when no container sets one) plus
 * {@value #GUEST_OVERHEAD_MIB} MiB for what the guest itself needs before any container runs, rounded up to
 * {@value #ALIGNMENT_MIB} MiB (QEMU and the guest kernel work in huge-page sized blocks).
 *
 * <p>The overhead covers the guest kernel (its page tables, slabs and memmap), the unpacked initramfs (hyperstart and
 * the virtio/SCSI modules, about 4 MiB) and the page cache a container's first start needs, so a container limited to
 * N MiB can really use N MiB. 64 MiB is an estimate with headroom, not yet a measurement of the guest's MemAvailable
 * after boot (to do: read it through hyperstart and lower the constant to what it shows).
 */
public record VmShape(int vcpus, long memoryBytes) {
    static final long MIB = 1L << 20;
    /** Guest memory a pod gets when none of its containers sets a memory limit. */
    public static final long DEFAULT_POD_MEMORY_MIB = 128;
    /** Guest memory added to the pod's limits for the guest kernel, hyperstart and their caches (measured, see above). */
    public static final long GUEST_OVERHEAD_MIB = 64;
    /** Guest memory is a multiple of this. */
    public static final long ALIGNMENT_MIB = 2;
    /** The smallest guest the kernel and hyperstart boot in. */
    public static final long MIN_MEMORY_MIB = 64;

    public VmShape {
        if (vcpus < 1 || vcpus > 255) {
            throw new IllegalArgumentException("a VM has 1..255 vCPUs, not " + vcpus);
        }
        if (memoryBytes < MIN_MEMORY_MIB * MIB || memoryBytes % (ALIGNMENT_MIB * MIB) != 0) {
            throw new IllegalArgumentException("a VM's memory is a multiple of " + ALIGNMENT_MIB + " MiB, at least "
                    + MIN_MEMORY_MIB + " MiB, not " + memoryBytes + " bytes");
        }
    }

    /** The shape for a pod whose containers' CPU limits add up to {@code cpuMillis} and memory limits to {@code memoryBytes} (0: none set). */
    public static VmShape forPod(long cpuMillis, long memoryBytes) {
        return forPod(cpuMillis, memoryBytes, Runtime.getRuntime().availableProcessors());
    }

    static VmShape forPod(long cpuMillis, long memoryBytes, int hostCores) {
        if (cpuMillis < 0) {
            throw new IllegalArgumentException("a pod's CPU limits cannot be negative: " + cpuMillis + "m");
        }
        if (memoryBytes < 0) {
            throw new IllegalArgumentException("a pod's memory limits cannot be negative: " + memoryBytes + " bytes");
        }
        long cores = Math.max(1, Math.ceilDiv(cpuMillis, 1000));
        int vcpus = (int) Math.min(cores, Math.max(1, Math.min(hostCores, 255)));
        long pod = memoryBytes == 0 ? DEFAULT_POD_MEMORY_MIB * MIB : memoryBytes;
        long total = Math.addExact(pod, GUEST_OVERHEAD_MIB * MIB);
        long align = ALIGNMENT_MIB * MIB;
        return new VmShape(vcpus, Math.max(MIN_MEMORY_MIB * MIB, Math.ceilDiv(total, align) * align));
    }

    /** Whether a VM of this shape can run a pod that wants {@code wanted}: at least as many vCPUs and as much memory. */
    public boolean covers(VmShape wanted) {
        return vcpus >= wanted.vcpus && memoryBytes >= wanted.memoryBytes;
    }

    public long memoryMiB() {
        return memoryBytes / MIB;
    }

    @Override
    public String toString() {
        return vcpus + " vCPU, " + memoryMiB() + " MiB";
    }
}
