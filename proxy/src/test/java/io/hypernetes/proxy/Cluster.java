package io.hypernetes.proxy;

import static org.assertj.core.api.Assertions.assertThat;

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
 * What the proxy tests run against: a real API server in-process over a temporary directory, a client with the
 * control plane's credentials, the shared informers on it, and helpers to write the objects the proxy reads.
 */
final class Cluster implements AutoCloseable {
    final ApiServer server;
    final KubeClient client;
    final InformerFactory informers;

    private Cluster(ApiServer server) {
        this.server = server;
        this.client = KubeClient.fromKubeconfig(server.controllersKubeconfig());
        this.informers = new InformerFactory(client);
    }

    static Cluster start(Path dir) throws IOException, InterruptedException {
        return new Cluster(ApiServer.start(new ApiServer.Config(dir, "127.0.0.1", 0, Duration.ofSeconds(1), Duration.ofMinutes(5))));
    }

    @Override
    public void close() {
        informers.close();
        client.close();
        server.close();
    }

    static final String TENANT_A = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
    static final String TENANT_B = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";

    /** A Network of {@code tenant} in {@code phase} (the Network controller's job, done by hand here). */
    void network(String name, String tenant, String phase) throws IOException {
        ok(client.post("/api/v1/networks", yaml("{apiVersion: v1, kind: Network, metadata: {name: " + name + "}, spec: {tenantID: '"
                + tenant + "', subnets: {main: {cidr: 10.0.0.0/24}}}}")), 201);
        phase(name, phase);
    }

    void phase(String network, String phase) {
        ok(client.patch("/api/v1/networks/" + network + "/status", "application/merge-patch+json",
                yaml("{status: {phase: " + phase + "}}")), 200);
    }

    /** A namespace on {@code network} (none when null). */
    void namespace(String name, String network) {
        ok(client.post("/api/v1/namespaces", yaml("{apiVersion: v1, kind: Namespace, metadata: {name: " + name + "}"
                + (network == null ? "" : ", spec: {network: " + network + "}") + "}")), 201);
    }

    ObjectNode create(String ns, String resource, String yaml) {
        KubeClient.Response r = client.post("/api/v1/namespaces/" + ns + "/" + resource, yaml(yaml));
        ok(r, 201);
        return (ObjectNode) r.json();
    }

    /** Replaces the Endpoints {@code ns/name}'s subsets. */
    void subsets(String ns, String name, String subsetsYaml) {
        ObjectNode ep = (ObjectNode) client.get("/api/v1/namespaces/" + ns + "/endpoints/" + name).json();
        ep.set("subsets", yaml("{s: " + subsetsYaml + "}").get("s"));
        ok(client.put("/api/v1/namespaces/" + ns + "/endpoints/" + name, ep), 200);
    }

    static void ok(KubeClient.Response r, int code) {
        assertThat(r.code()).as(r.text()).isEqualTo(code);
    }

    static ObjectNode yaml(String text) {
        try {
            return (ObjectNode) Json.YAML.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A condition a test waits for. */
    interface Check {
        boolean ok() throws Exception;
    }

    /** Polls {@code check} every 20 ms until it holds, failing after 30 s. */
    static void await(String what, Check check) throws Exception {
        Instant end = Instant.now().plusSeconds(30);
        while (!check.ok()) {
            if (Instant.now().isAfter(end)) throw new AssertionError("not within 30 s: " + what);
            Thread.sleep(20);
        }
    }
}
