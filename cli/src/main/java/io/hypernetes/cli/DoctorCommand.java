package io.hypernetes.cli;

import io.hypernetes.hyperd.Hyperd;
import io.hypernetes.hyperd.vm.HostCheck;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hypernetes doctor}: can this machine run pod VMs, and if not, what to install or change. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Check this host for what pod VMs need (QEMU, kernel, hyperstart, KVM or TCG, taps and bridges, cgroups, disk) and say what to fix.")
final class DoctorCommand implements Callable<Integer> {
    @Option(names = "--data-dir", defaultValue = ".data",
            description = "The cluster's data directory; hyperd's state is in DATA-DIR/nodes/<name>/hyperd (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Mixin
    HyperdOptions options;

    @Override
    public Integer call() {
        List<HostCheck.Finding> findings = Hyperd.check(options.config(dataDir.resolve("nodes"), "10.244.0.0/24"));
        int failed = 0;
        for (HostCheck.Finding f : findings) {
            System.out.printf("%-5s %-16s %s%n", f.status(), f.name(), f.detail());
            if (!f.fix().isBlank() && f.status() != HostCheck.Status.OK) {
                System.out.printf("      %-16s fix: %s%n", "", f.fix());
            }
            if (f.status() == HostCheck.Status.FAIL) failed++;
        }
        System.out.println(failed == 0 ? "This host can run pod VMs." : failed + " problem(s): pods cannot run as VMs here until fixed.");
        return failed == 0 ? 0 : 1;
    }
}
