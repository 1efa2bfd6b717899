package io.hypernetes.kubemark;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * A control plane someone else runs, given by its admin kubeconfig and its data directory (whose {@code pki/}
 * holds the CA key that signs the hollow nodes' certificates, written to {@code DIR/nodes/}). Its process is
 * measured only when its pid is given (it may not even be on this machine); closing leaves it running.
 */
public final class ExistingControlPlane implements ControlPlane {
    private final Path kubeconfig;
    private final Path dataDir;
    private final String url;
    private final OptionalLong pid;

    public ExistingControlPlane(Path kubeconfig, Path dataDir, OptionalLong pid) {
        if (!Files.isRegularFile(kubeconfig)) throw new IllegalArgumentException("no kubeconfig at " + kubeconfig);
        if (!Files.isReadable(dataDir.resolve("pki").resolve("ca.key"))) {
            throw new IllegalArgumentException("no readable cluster CA key in " + dataDir.resolve("pki")
                    + ": --data-dir must be the control plane's data directory, to mint the hollow nodes' certificates");
        }
        this.kubeconfig = kubeconfig;
        this.dataDir = dataDir;
        this.url = serverOf(kubeconfig);
        this.pid = pid;
    }

    @Override
    public Path adminKubeconfig() {
        return kubeconfig;
    }

    @Override
    public Path nodeKubeconfig(String nodeName) {
        return ControlPlane.mintNodeKubeconfig(dataDir, url, nodeName);
    }

    @Override
    public OptionalLong pid() {
        return pid;
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public String description() {
        return "existing control plane at " + url + (pid.isPresent() ? " (process " + pid.getAsLong() + ")" : "");
    }

    @Override
    public void close() {
        // not ours to stop
    }

    /** The server of the kubeconfig's current context. */
    static String serverOf(Path kubeconfig) {
        try {
            JsonNode root = Json.YAML.readTree(Files.readAllBytes(kubeconfig));
            String current = root.path("current-context").asText();
            String cluster = null;
            for (JsonNode c : root.path("contexts")) {
                if (c.path("name").asText().equals(current)) cluster = c.path("context").path("cluster").asText();
            }
            for (JsonNode c : root.path("clusters")) {
                if (c.path("name").asText().equals(cluster)) return c.path("cluster").path("server").asText();
            }
            throw new IllegalArgumentException("kubeconfig " + kubeconfig + " names no server for its current context \"" + current + "\"");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
        }
    }
}
