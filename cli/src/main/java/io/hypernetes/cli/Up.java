package io.hypernetes.cli;

import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.client.KubeClient;
import io.hypernetes.controllers.namespace.NamespaceController;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code hypernetes up}: the all-in-one cluster in the foreground until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Run the all-in-one cluster in the foreground; Ctrl-C stops it cleanly.")
final class Up implements Callable<Integer> {
    @Option(names = "--data-dir", defaultValue = ".data", description = "Where the cluster keeps its state (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--port", defaultValue = "6443", description = "HTTPS port of the API server (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--bind-address", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bindAddress;

    @Option(names = "--watch-bookmark-interval", defaultValue = "60s", converter = DurationConverter.class,
            description = "How often idle watches get a bookmark (default: ${DEFAULT-VALUE}).")
    Duration bookmarkInterval;

    @Option(names = "--compaction-interval", defaultValue = "5m", converter = DurationConverter.class,
            description = "How much store history is kept for watchers (default: ${DEFAULT-VALUE}).")
    Duration compactionInterval;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "--port must be between 0 and 65535, got " + port);
        }
        long started = System.nanoTime();
        ApiServer server = ApiServer.start(
                new ApiServer.Config(dataDir.toAbsolutePath(), bindAddress, port, bookmarkInterval, compactionInterval));
        KubeClient controllersClient = KubeClient.fromKubeconfig(server.controllersKubeconfig());
        NamespaceController namespaces = NamespaceController.start(controllersClient);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            namespaces.close();
            controllersClient.close();
            server.close();
            stopped.countDown();
        }, "shutdown"));
        System.out.printf("Hypernetes is up in %d ms: %s%n", (System.nanoTime() - started) / 1_000_000, server.url());
        System.out.printf("  export KUBECONFIG=%s%n", server.kubeconfig());
        System.out.flush();
        stopped.await();
        return 0;
    }

    /** Durations as Kubernetes flags write them: 500ms, 30s, 5m, 1h. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        private static final Pattern FORM = Pattern.compile("(\\d+)(ms|s|m|h)");

        @Override
        public Duration convert(String value) {
            Matcher m = FORM.matcher(value);
            if (!m.matches()) throw new TypeConversionException("not a duration (e.g. 500ms, 30s, 5m, 1h): " + value);
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        }
    }
}
