package io.hypernetes.cli;

import io.hypernetes.network.KubestackService;
import io.hypernetes.network.linux.LinuxProvider;
import io.hypernetes.runtime.RuntimeEndpoint;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hypernetes kubestack}: the network provider as its own process, serving the {@code Kubestack} gRPC service
 * on a unix socket. What it builds (bridges, VXLANs, router namespaces, nftables) outlives it: a new kubestack on
 * the same state directory knows it again. {@code --delete-all} removes all of it.
 */
@Command(name = "kubestack", mixinStandardHelpOptions = true,
        description = "Run kubestack, the tenant network provider (linux: bridges, VXLAN, router namespaces, nftables), on a unix socket.")
final class KubestackCommand implements Callable<Integer> {
    @Option(names = "--state-dir", defaultValue = "/var/lib/hypernetes/kubestack",
            description = "Where kubestack keeps what it built (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--socket", defaultValue = "/run/hypernetes/kubestack.sock",
            description = "The unix socket to serve on, created 0600 (default: ${DEFAULT-VALUE}).")
    Path socket;

    @Option(names = "--delete-all",
            description = "Delete every Network this state directory built (routers, bridges, VXLANs, rules) and exit.")
    boolean deleteAll;

    @Mixin
    KubestackOptions options;

    @Override
    public Integer call() throws Exception {
        LinuxProvider provider = options.open(stateDir);
        if (deleteAll) {
            for (String network : provider.listNetworks()) {
                provider.deleteNetwork(network);
                System.out.println("kubestack: network " + network + " deleted");
            }
            return 0;
        }
        RuntimeEndpoint.Unix endpoint = new RuntimeEndpoint.Unix(socket);
        RuntimeEndpoint.Serving serving = endpoint.serve(new KubestackService(provider));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            serving.close();
            provider.close();
            stopped.countDown();
        }, "shutdown"));
        Hypernetes.printWhole("kubestack (%s) serving on %s%n".formatted(provider.name(), endpoint));
        stopped.await();
        return 0;
    }
}
