package io.hypernetes.hyperd.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How QEMU runs the guest's code: KVM (hardware virtualisation) or TCG (QEMU's translator, slower but always there).
 * {@code Accelerator.detect} decides which one this host really has.
 */
public enum Accelerator {
    /** QEMU's binary translator; the translation cache is bounded because it dominates QEMU's memory. */
    TCG,
    /** Hardware virtualisation through /dev/kvm. */
    KVM;

    private static final Logger log = LoggerFactory.getLogger(Accelerator.class);

    static final String CACHE = "accelerator.json";
    /** How long a KVM guest has to say READY before KVM is judged not to work. */
    public static final Duration PROBE_DEADLINE = Duration.ofSeconds(10);

    /** What was decided and why, as logged and as kept in the state root. */
    public record Decision(Accelerator accelerator, String reason, String key) {
    }

    /**
     * KVM if it really boots this guest, else TCG. /dev/kvm can exist and still not work (a nested paravirtual KVM on
     * which QEMU hangs), so the real guest is booted with {@code -accel kvm} and must say READY within
     * {@link #PROBE_DEADLINE}. The answer is logged once and kept in the state root, keyed by the QEMU binary and the
     * kernel (path, size, mtime), so a restarted hyperd does not probe again.
     */
    public static Decision detect(VmConfig config) {
        return detect(config, Path.of("/dev/kvm"), PROBE_DEADLINE);
    }

    static Decision detect(VmConfig config, Path kvm, Duration deadline) {
        String key = key(config);
        Path cache = config.stateRoot().resolve(CACHE);
        Optional<Decision> cached = cached(cache, key);
        if (cached.isPresent()) {
            log.info("accelerator {} (decided before: {})", cached.get().accelerator(), cached.get().reason());
            return cached.get();
        }
        Decision decision = probe(config, kvm, deadline, key);
        log.info("accelerator {}: {}", decision.accelerator(), decision.reason());
        try {
            Files.createDirectories(config.stateRoot());
            Path tmp = cache.resolveSibling(CACHE + ".tmp");
            Files.write(tmp, Qmp.JSON.writeValueAsBytes(decision));
            Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            log.warn("cannot keep the accelerator decision in {}: {}", cache, e.getMessage());
        }
        return decision;
    }

    /** The decision kept in the state root, if it is for this QEMU and kernel. */
    public static Optional<Decision> cached(VmConfig config) {
        return cached(config.stateRoot().resolve(CACHE), key(config));
    }

    private static Optional<Decision> cached(Path cache, String key) {
        try {
            Decision d = Qmp.JSON.readValue(cache.toFile(), Decision.class);
            return key.equals(d.key()) ? Optional.of(d) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Decision probe(VmConfig config, Path kvm, Duration deadline, String key) {
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return new Decision(TCG, kvm + " is absent or not accessible", key);
        }
        Vm vm = null;
        try {
            long start = System.nanoTime();
            vm = Vm.boot(config.withAccelerator(KVM), "accel-probe", new VmShape(1, 128 << 20), Optional.empty(), deadline);
            vm.awaitReady(deadline.minusNanos(System.nanoTime() - start).isNegative()
                    ? Duration.ofMillis(1) : deadline.minusNanos(System.nanoTime() - start));
            return new Decision(KVM, "a KVM guest reached READY", key);
        } catch (VmException e) {
            String first = e.getMessage().lines().findFirst().orElse("");
            return new Decision(TCG, "KVM did not boot the guest (" + first + ")", key);
        } finally {
            if (vm != null) {
                vm.stop(Duration.ZERO);
            }
        }
    }

    private static String key(VmConfig config) {
        StringBuilder key = new StringBuilder();
        for (Path p : new Path[] {config.qemuPath().orElse(Path.of(config.qemu())), config.kernel()}) {
            try {
                key.append(p.toRealPath()).append(':').append(Files.size(p)).append(':')
                        .append(Files.getLastModifiedTime(p).toMillis()).append(';');
            } catch (IOException e) {
                key.append(p).append(":?;");
            }
        }
        return key.toString();
    }

    /** The {@code -accel} and {@code -cpu} arguments. */
    List<String> qemuArgs(int tcgCacheMiB) {
        return switch (this) {
            case TCG -> List.of("-accel", "tcg,tb-size=" + tcgCacheMiB, "-cpu", "max");
            case KVM -> List.of("-accel", "kvm", "-cpu", "host");
        };
    }
}
