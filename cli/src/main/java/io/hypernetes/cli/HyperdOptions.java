package io.hypernetes.cli;

import io.hypernetes.hyperd.Hyperd;
import io.hypernetes.image.RegistryConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options of an in-process or stand-alone hyperd, shared by {@code up}, {@code node} and {@code hyperd}. */
final class HyperdOptions {
    @Option(names = "--pool-size", defaultValue = "2",
            description = "Pod VMs kept booted and ready, so a pod starts without a cold boot (default: ${DEFAULT-VALUE}; 0: none).")
    int poolSize;

    @Option(names = "--bridge", defaultValue = "hyper0",
            description = "The Linux bridge pod VMs' taps join, holding the pod network's gateway (default: ${DEFAULT-VALUE}).")
    String bridge;

    @Option(names = "--kernel", paramLabel = "VMLINUZ",
            description = "The guest kernel (default: the newest /boot/vmlinuz-* whose modules are installed).")
    Path kernel;

    @Option(names = "--registry-config", paramLabel = "FILE",
            description = "Registry mirrors and insecure registries (JSON or YAML; see image/README.md).")
    Path registryConfig;

    Hyperd.Config config(Path stateDir, String podCidr) {
        Hyperd.Config config = Hyperd.Config.defaults(stateDir, podCidr).withPoolSize(poolSize).withBridge(bridge)
                .withRegistries(registryConfig == null ? RegistryConfig.DEFAULT : RegistryConfig.load(registryConfig));
        return kernel == null ? config : config.withKernel(kernel);
    }
}
