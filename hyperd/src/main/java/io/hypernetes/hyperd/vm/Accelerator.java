package io.hypernetes.hyperd.vm;

import java.util.List;

/**
 * How QEMU runs the guest's code: KVM (hardware virtualisation) or TCG (QEMU's translator, slower but always there).
 * {@code Accelerator.detect} decides which one this host really has.
 */
public enum Accelerator {
    /** QEMU's binary translator; the translation cache is bounded because it dominates QEMU's memory. */
    TCG,
    /** Hardware virtualisation through /dev/kvm. */
    KVM;

    /** The {@code -accel} and {@code -cpu} arguments. */
    List<String> qemuArgs(int tcgCacheMiB) {
        return switch (this) {
            case TCG -> List.of("-accel", "tcg,tb-size=" + tcgCacheMiB, "-cpu", "max");
            case KVM -> List.of("-accel", "kvm", "-cpu", "host");
        };
    }
}
