package io.hypernetes.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API server against an external Keystone: {@code ./hypernetes identity} as its own process (its own data
 * directory and CA), {@code ./hypernetes up --keystone-url} trusting that CA, the OpenStack CLI against the
 * identity process, and kubectl with the tokens it issues. Revocation reaches the API server over HTTP, and an
 * identity outage refuses tokens (401) without taking the API server down.
 */
class ExternalKeystoneE2ETest {

    @Test
    void tokensFromAnExternalKeystone(@TempDir Path dir) throws Exception {
        Path identityDir = dir.resolve("identity");
        try (IdentityProcess identity = IdentityProcess.start(identityDir);
                Cluster cluster = Cluster.start(dir.resolve("api"), "--keystone-url", identity.url,
                        "--keystone-cacert", identityDir.resolve("pki").resolve("ca.crt").toString())) {
            assertThat(cluster.output()).doesNotContain("Identity (Keystone v3) on");
            OpenStack admin = OpenStack.fromRc(identityDir.resolve("admin-openrc"));
            assertThat(admin.get("OS_AUTH_URL")).isEqualTo(identity.url);

            String password = "milton-" + UUID.randomUUID();
            String[] ids = admin.batch(
                    "project create initech -f value -c id",
                    "user create --password " + password + " milton -f value -c id",
                    "role add --project initech --user milton member").ok().stdout().strip().split("\n");
            String projectId = ids[0];
            assertThat(projectId).matches("[0-9a-f]{32}");
            // two tokens: one to use and revoke, one never shown to the API server until the identity service is gone
            // (so no cached verdict can answer for it). Two runs of the CLI, side by side: within one run the CLI
            // reuses its session's token.
            OpenStack milton = admin.as("milton", password, "initech");
            CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> milton.run("token", "issue", "-f", "value", "-c", "id").value());
            String used = milton.run("token", "issue", "-f", "value", "-c", "id").value();
            String unused = second.get(120, TimeUnit.SECONDS);
            assertThat(unused).isNotEqualTo(used);

            Kubectl direct = new Kubectl(Kubectl.onPath(),
                    Files.writeString(Files.createDirectories(dir.resolve("direct")).resolve("empty.kubeconfig"), ""));
            Kubectl asAdmin = new Kubectl(Kubectl.onPath(), cluster.kubeconfig());
            assertThat(direct(direct, cluster, used, "create", "namespace", "initech-ns").ok().stdout()).contains("namespace/initech-ns created");
            assertThat(asAdmin.run("get", "namespace", "initech-ns", "-o", "jsonpath={.metadata.labels.hypernetes\\.io/tenant}").ok().stdout())
                    .isEqualTo(projectId);
            assertThat(direct(direct, cluster, used, "get", "namespaces").ok().stdout()).contains("initech-ns").doesNotContain("kube-system");

            admin.run("token", "revoke", used).ok();
            Instant revoked = Instant.now();
            Kubectl.Result refused = Kubectl.poll(Duration.ofSeconds(10), () -> direct(direct, cluster, used, "get", "namespaces"),
                    r -> r.exit() != 0);
            assertThat(refused.stderr()).contains("Unauthorized");
            System.out.printf("external keystone: revoked token refused %d ms after openstack token revoke%n",
                    Duration.between(revoked, Instant.now()).toMillis());

            // The identity service goes away (kill -9): a token the API server has not seen is refused as
            // Unauthorized, not a 500, and the API server itself stays ready.
            identity.kill();
            HttpClient http = Cluster.trustingClient(cluster.caCert());
            HttpResponse<String> outage = http.send(HttpRequest.newBuilder(URI.create(cluster.url() + "/api/v1/namespaces"))
                    .header("Authorization", "Bearer " + unused).timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(outage.statusCode()).as(outage.body()).isEqualTo(401);
            Kubectl.Result unavailable = direct(direct, cluster, unused, "get", "namespaces");
            assertThat(unavailable.exit()).isNotZero();
            assertThat(unavailable.stderr()).contains("Unauthorized").doesNotContain("InternalError");
            assertThat(asAdmin.run("get", "--raw", "/readyz").ok().stdout()).isEqualTo("ok");
            assertThat(asAdmin.run("get", "namespace", "initech-ns", "-o", "name").ok().stdout().strip()).isEqualTo("namespace/initech-ns");
        }
    }

    private static Kubectl.Result direct(Kubectl k, Cluster cluster, String token, String... args) {
        List<String> all = new ArrayList<>(List.of("--token=" + token, "--server=" + cluster.url(),
                "--certificate-authority=" + cluster.caCert()));
        all.addAll(List.of(args));
        return k.run(all.toArray(String[]::new));
    }

    /** {@code ./hypernetes identity}: the Keystone v3 service alone, as its own process. */
    static final class IdentityProcess implements AutoCloseable {
        private static final Pattern UP = Pattern.compile("Identity \\(Keystone v3\\) on (https://\\S+)");
        final String url;
        private final HypernetesProcess process;

        private IdentityProcess(Path dataDir) {
            process = new HypernetesProcess(List.of("identity", "--data-dir", dataDir.toString(), "--port", "0",
                    "--bind-address", "127.0.0.1"));
            // admin-openrc is written before the service says where it is
            url = process.await(UP, Duration.ofSeconds(120));
        }

        static IdentityProcess start(Path dataDir) {
            return new IdentityProcess(dataDir);
        }

        /** kill -9. */
        void kill() throws InterruptedException {
            process.kill();
        }

        @Override
        public void close() {
            process.close();
        }
    }
}
