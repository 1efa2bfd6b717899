package io.hypernetes.controllers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.InformerFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * What the controller tests run against: an API server in-process over a temporary directory, a client with the
 * controllers' credentials, and the process's shared informers on it, closed in reverse.
 */
public final class ControlPlane implements AutoCloseable {
    public final ApiServer server;
    public final KubeClient client;
    public final InformerFactory informers;

    private ControlPlane(ApiServer server) {
        this.server = server;
        this.client = KubeClient.fromKubeconfig(server.controllersKubeconfig());
        this.informers = new InformerFactory(client);
    }

    public static ControlPlane start(Path dir) throws IOException, InterruptedException {
        return new ControlPlane(ApiServer.start(new ApiServer.Config(dir, "127.0.0.1", 0, Duration.ofSeconds(1), Duration.ofMinutes(5))));
    }

    @Override
    public void close() {
        informers.close();
        client.close();
        server.close();
    }

    /** A condition a test waits for; it may call the API. */
    public interface Check {
        boolean ok() throws Exception;
    }

    /** Polls {@code check} every 50 ms until it holds, failing after 30 s. */
    public static void await(Check check) throws Exception {
        Instant end = Instant.now().plusSeconds(30);
        while (!check.ok()) {
            if (Instant.now().isAfter(end)) throw new AssertionError("condition not met within 30 s");
            Thread.sleep(50);
        }
    }

    public static ObjectNode yaml(String text) {
        try {
            return (ObjectNode) Json.YAML.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
