package io.hypernetes.cli;

import io.hypernetes.hyperd.Hyperd;
import io.hypernetes.runtime.RuntimeEndpoint;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hypernetes hyperd}: the VM runtime as its own process, serving the {@code RuntimeService} on a unix socket
 * for {@code hypernetes node --runtime-endpoint}. Either can restart without the other: pod VMs keep running, and a
 * new hyperd on the same state directory reattaches to them.
 */
@Command(name = "hyperd", mixinStandardHelpOptions = true,
        description = "Run hyperd, the runtime that runs every pod as a VM, on a unix socket, in the foreground.")
final class HyperdCommand implements Callable<Integer> {
    @Option(names = "--state-dir", defaultValue = "/var/lib/hypernetes/hyperd",
            description = "Where hyperd keeps images, pod records, VMs and logs (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--socket", defaultValue = "/run/hypernetes/hyperd.sock",
            description = "The unix socket to serve on, created 0600 (default: ${DEFAULT-VALUE}).")
    Path socket;

    @Option(names = "--pod-cidr", defaultValue = "10.244.0.0/24",
            description = "Addresses for this node's pods; the first is the bridge's gateway (default: ${DEFAULT-VALUE}).")
    String podCidr;

    @Option(names = "--stop-all", description = "Stop every pod VM and pooled VM of this state directory, remove the bridge, and exit.")
    boolean stopAll;

    @Mixin
    HyperdOptions options;

    @Override
    public Integer call() throws Exception {
        Hyperd hyperd = Hyperd.open(options.config(stateDir, podCidr));
        if (stopAll) {
            hyperd.shutdown();
            System.out.println("hyperd: every VM of " + stateDir + " stopped");
            return 0;
        }
        RuntimeEndpoint.Unix endpoint = new RuntimeEndpoint.Unix(socket);
        RuntimeEndpoint.Serving serving = endpoint.serve(hyperd.services());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            serving.close();
            hyperd.close();
            stopped.countDown();
        }, "shutdown"));
        Hypernetes.printWhole("hyperd serving on %s%n  %s%n".formatted(endpoint, hyperd.describe()));
        stopped.await();
        return 0;
    }
}
