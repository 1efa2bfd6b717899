package io.hypernetes.cli;

import io.hypernetes.http.pki.ClusterPki;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.http.IdentityServer;
import io.hypernetes.store.Store;
import io.hypernetes.store.embedded.EmbeddedStore;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code hypernetes identity}: the Keystone v3-compatible identity service on its own, in the foreground, for a
 * cluster whose API server runs with {@code --keystone-url} (or for any OpenStack client). {@code up} runs the
 * same service inside the cluster's process; this is it as a separate process with its own store.
 */
@Command(name = "identity", mixinStandardHelpOptions = true,
        description = "Run the Keystone v3 identity service on its own, in the foreground; Ctrl-C stops it.")
final class IdentityCommand implements Callable<Integer> {
    @Option(names = "--data-dir", defaultValue = ".identity", description = "Where the service keeps its state (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--port", defaultValue = "5000", description = "HTTPS port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--bind-address", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bindAddress;

    @Option(names = "--kubernetes-url", paramLabel = "URL", description = "The API server to list in the token catalog.")
    URI kubernetesUrl;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new ParameterException(spec.commandLine(), "--port must be between 0 and 65535, got " + port);
        Path dir = dataDir.toAbsolutePath();
        Files.createDirectories(dir);
        Store store = EmbeddedStore.open(dir.resolve("store"));
        IdentityServer server;
        try {
            ClusterPki pki = ClusterPki.loadOrCreate(dir.resolve("pki"), ClusterPki.defaultServerNames());
            server = IdentityServer.start(Identity.open(store, dir, Clock.systemUTC()), pki,
                    new IdentityServer.Config(dir, bindAddress, port, kubernetesUrl));
        } catch (Exception e) {
            store.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            store.close();
            stopped.countDown();
        }, "shutdown"));
        Hypernetes.printWhole("Identity (Keystone v3) on %s%n".formatted(server.url())
                + "  CA certificate: %s%n".formatted(dir.resolve("pki").resolve("ca.crt"))
                + server.bootstrap().adminPassword().map("  admin password (shown once): %s%n"::formatted).orElse("")
                + "  source %s   # the OpenStack CLI as admin%n".formatted(server.bootstrap().openrc()));
        stopped.await();
        return 0;
    }
}
