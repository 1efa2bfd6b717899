package io.hypernetes.cli.bench;

import static io.hypernetes.cli.bench.BenchTable.check;
import static io.hypernetes.cli.bench.BenchTable.header;
import static io.hypernetes.cli.bench.BenchTable.parallel;
import static io.hypernetes.cli.bench.BenchTable.print;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.apiserver.auth.InProcessTokenValidator;
import io.hypernetes.apiserver.authz.Tenancy;
import io.hypernetes.client.KubeClient;
import io.hypernetes.identity.AuthRequest;
import io.hypernetes.identity.Domain;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.Project;
import io.hypernetes.identity.Role;
import io.hypernetes.identity.RoleAssignment;
import io.hypernetes.identity.Scope;
import io.hypernetes.identity.User;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hypernetes bench tenancy}: what Keystone authentication, tenant filtering and tenant quota cost, each
 * measured against the same request made without it in the same run (an administrator's certificate, no quota,
 * a cached token), because the machine is too noisy for figures from different runs to be compared.
 *
 * <p>It starts an API server in this process on a temporary directory with the built-in identity core as its
 * token validator (as {@code hypernetes up} runs them), makes {@code --tenants} projects with one member each,
 * one namespace per tenant, and spreads {@code --pods} pods over them.
 */
@Command(name = "tenancy", mixinStandardHelpOptions = true,
        description = "Cost of bearer-token authentication, per-tenant read filtering and tenant quota: p50/p99 and ratios.")
public final class TenancyBench implements Callable<Integer> {
    @Option(names = "--tenants", defaultValue = "10", description = "Tenants (Keystone projects), one namespace each (default: ${DEFAULT-VALUE}).")
    int tenants;

    @Option(names = "--pods", defaultValue = "10000", description = "Pods in all, spread over the tenants (default: ${DEFAULT-VALUE}).")
    int pods;

    @Option(names = "--clients", defaultValue = "16", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int clients;

    /** Fresh tokens whose first (uncached) and second request are timed. */
    private static final int FRESH_TOKENS = 200;
    /** Rounds the paired measurements alternate in, so that a slow patch of the machine hits both sides. */
    private static final int ROUNDS = 4;
    private static final int LISTS = 10;
    private static final String QUOTA = "pods=1000000,cpu=100000,memory=100000Gi";

    private Path dir;
    private ApiServer server;
    private Identity identity;
    private final List<Project> projects = new ArrayList<>();
    private final List<String> tokens = new ArrayList<>();
    private final List<KubeClient> tenantClients = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (tenants < 1 || pods < 2 * tenants || clients < 1) throw new IllegalArgumentException("need --tenants ≥ 1, --pods ≥ 2 × tenants, --clients ≥ 1");
        // the identity core logs every token it issues; this bench issues a few hundred
        if (System.getProperty("org.slf4j.simpleLogger.log.io.hypernetes.identity") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.io.hypernetes.identity", "warn");
        }
        dir = Files.createTempDirectory("hypernetes-bench-tenancy");
        System.out.printf("machine: %d cores, %s; %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"), "Java " + Runtime.version());
        System.out.println("figures from one run of a noisy machine: compare the ratios within a run, not figures across runs");
        System.out.printf("tenants=%d pods=%d clients=%d data=%s%n%n", tenants, pods, clients, dir);
        AtomicReference<Identity> made = new AtomicReference<>();
        try (ApiServer s = ApiServer.start(new ApiServer.Config(dir, "127.0.0.1", 0, Duration.ofSeconds(60), Duration.ofMinutes(5), store -> {
                    made.set(Identity.open(store, dir, Clock.systemUTC()));
                    return new InProcessTokenValidator(made.get());
                }));
             KubeClient admin = KubeClient.fromKubeconfig(s.kubeconfig())) {
            server = s;
            identity = made.get();
            setUp();
            try {
                header();
                creates(admin);
                gets(admin);
                lists(admin);
                System.out.printf("%-34s (not measured: each change is decoded once for all watchers; a tenant's watch adds one label check per event)%n%n", "watch");
                freshTokens();
            } finally {
                tenantClients.forEach(KubeClient::close);
            }
        }
        return 0;
    }

    /** Tenants, each a project with a member, a token, a client presenting it, and a namespace it created. */
    private void setUp() throws IOException {
        var directory = identity.directory();
        directory.createDomain(new Domain(Domain.DEFAULT_ID, Domain.DEFAULT_NAME, "", true));
        Role member = directory.createRole(Role.of("member"));
        for (int t = 0; t < tenants; t++) {
            Project p = directory.createProject(Project.of("tenant-" + t, Domain.DEFAULT_ID, ""));
            projects.add(p);
            User u = directory.createUser(User.of("user-" + t, Domain.DEFAULT_ID, identity.passwords().hash(password(t))));
            directory.grant(new RoleAssignment(member.id(), u.id(), Scope.project(p.id())));
            String token = identity.authenticator().authenticate(new AuthRequest(new AuthRequest.Password(
                    new AuthRequest.UserRef.ByName(u.name(), new AuthRequest.DomainRef.ById(Domain.DEFAULT_ID)), password(t)),
                    new AuthRequest.ProjectRef.ById(p.id())), "127.0.0.1").token();
            tokens.add(token);
            KubeClient c = KubeClient.fromKubeconfig(kubeconfig("user-" + t, token));
            tenantClients.add(c);
            ObjectNode ns = Json.object().put("apiVersion", "v1").put("kind", "Namespace");
            ns.putObject("metadata").put("name", namespace(t));
            JsonNode created = check(c.post("/api/v1/namespaces", ns), 201).json();
            if (!p.id().equals(created.path("metadata").path("labels").path(Tenancy.LABEL).asText())) {
                throw new IllegalStateException("namespace " + namespace(t) + " was not given its creator's tenant: " + created);
            }
        }
        System.out.println();
    }

    private static String password(int t) {
        return "bench-secret-" + t;
    }

    private static String namespace(int t) {
        return "tenant-" + t;
    }

    /** The admin kubeconfig with its certificate replaced by a bearer token. */
    private Path kubeconfig(String name, String token) throws IOException {
        ObjectNode config = (ObjectNode) Json.YAML.readTree(server.kubeconfig().toFile());
        for (JsonNode u : config.path("users")) ((ObjectNode) u.path("user")).removeAll().put("token", token);
        Path file = dir.resolve(name + ".kubeconfig");
        Json.YAML.writeValue(file.toFile(), config);
        return file;
    }

    /**
     * Pod creates by the tenants with their tokens: the first half with no quota configured, the second half with
     * a quota that refuses nothing but makes every create count the tenant's pods from the store.
     */
    private void creates(KubeClient admin) throws InterruptedException {
        // warm-up, untimed, with the quota configured so both paths run compiled code when timed: the tenants
        // create pods of their own and delete them again (unscheduled pods go at once)
        setQuota(admin, true);
        int warm = Math.min(1000, pods / 2);
        parallel(clients, warm, i -> {
            ObjectNode p = pod(i / tenants);
            ObjectNode meta = ((ObjectNode) p.path("metadata")).put("name", "warm-" + i / tenants);
            ((ObjectNode) meta.path("labels")).put("warm", "true");
            check(tenantClients.get(i % tenants).post("/api/v1/namespaces/" + namespace(i % tenants) + "/pods", p), 201);
        });
        for (int t = 0; t < tenants; t++) check(tenantClients.get(t).delete("/api/v1/namespaces/" + namespace(t) + "/pods?labelSelector=warm%3Dtrue"), 200);
        setQuota(admin, false);

        int half = pods / 2;
        Latencies plain = new Latencies(half);
        double plainRate = parallel(clients, half, i -> create(i, plain, null));
        print("create pod, bearer, no quota", plain, plainRate);
        setQuota(admin, true);
        quotaCreates(half, plain, plainRate);
    }

    /** Creates or deletes {@code kube-system/tenant-quotas} with a default for every tenant that refuses nothing. */
    private static void setQuota(KubeClient admin, boolean on) {
        if (!on) {
            check(admin.delete("/api/v1/namespaces/kube-system/configmaps/tenant-quotas"), 200);
            return;
        }
        ObjectNode quota = Json.object().put("apiVersion", "v1").put("kind", "ConfigMap");
        quota.putObject("metadata").put("name", "tenant-quotas").put("namespace", "kube-system");
        quota.putObject("data").put("default", QUOTA);
        check(admin.post("/api/v1/namespaces/kube-system/configmaps", quota), 201);
    }

    private void quotaCreates(int half, Latencies plain, double plainRate) throws InterruptedException {
        int counted = pods - half;
        Latencies withQuota = new Latencies(counted);
        // the same creates split by how many pods their tenant already had: the count is a scan of them
        int tenth = Math.max(1, counted / 10);
        Latencies early = new Latencies(tenth);
        Latencies late = new Latencies(tenth);
        double quotaRate = parallel(clients, counted, k -> {
            Latencies part = k < tenth ? early : k >= counted - tenth ? late : null;
            create(half + k, withQuota, part);
        });
        print("create pod, bearer, quota", withQuota, quotaRate);
        part(String.format("  first tenth (%d+ pods/tenant)", half / tenants), early);
        part(String.format("  last tenth (%d+ pods/tenant)", (pods - tenth) / tenants), late);
        System.out.printf("  quota/no quota: p50 %.2f×, p99 %.2f×, throughput %.2f×%n%n",
                withQuota.percentileMillis(0.5) / plain.percentileMillis(0.5),
                withQuota.percentileMillis(0.99) / plain.percentileMillis(0.99), quotaRate / plainRate);
    }

    /** A row for part of an operation's samples: their latencies, no rate of their own. */
    private static void part(String what, Latencies l) {
        System.out.printf("%-34s %10d %10.2f %10.2f %12s%n", what, l.count(), l.percentileMillis(0.5), l.percentileMillis(0.99), "");
    }

    /** Pod {@code i} belongs to tenant {@code i % tenants}, named {@code pod-<i / tenants>} in its namespace. */
    private void create(int i, Latencies all, Latencies part) {
        int t = i % tenants;
        long start = System.nanoTime();
        check(tenantClients.get(t).post("/api/v1/namespaces/" + namespace(t) + "/pods", pod(i / tenants)), 201);
        long elapsed = System.nanoTime() - start;
        all.record(elapsed);
        if (part != null) part.record(elapsed);
    }

    /** One pod read by the administrator's certificate and by its tenant's token, in alternating rounds. */
    private void gets(KubeClient admin) throws InterruptedException {
        String path = "/api/v1/namespaces/" + namespace(0) + "/pods/pod-0";
        KubeClient tenant = tenantClients.get(0);
        int count = Math.max(ROUNDS, Math.min(pods, 10000));
        int perRound = count / ROUNDS;
        IntConsumer warm = i -> check(i % 2 == 0 ? admin.get(path) : tenant.get(path), 200);
        parallel(clients, Math.min(2000, count), warm);
        Latencies byCert = new Latencies(count);
        Latencies byToken = new Latencies(count);
        double certSeconds = 0;
        double tokenSeconds = 0;
        for (int r = 0; r < ROUNDS; r++) {
            certSeconds += perRound / parallel(clients, perRound, i -> timed(byCert, () -> check(admin.get(path), 200)));
            tokenSeconds += perRound / parallel(clients, perRound, i -> timed(byToken, () -> check(tenant.get(path), 200)));
        }
        print("get pod, admin certificate", byCert, byCert.count() / certSeconds);
        print("get pod, tenant bearer token", byToken, byToken.count() / tokenSeconds);
        System.out.printf("  token/certificate: p50 %.2f×, p99 %.2f×, throughput %.2f×%n%n",
                byToken.percentileMillis(0.5) / byCert.percentileMillis(0.5),
                byToken.percentileMillis(0.99) / byCert.percentileMillis(0.99), (byToken.count() / tokenSeconds) / (byCert.count() / certSeconds));
    }

    private static void timed(Latencies l, Runnable op) {
        long start = System.nanoTime();
        op.run();
        l.record(System.nanoTime() - start);
    }

    /**
     * Lists, one request at a time, interleaved: everything as the administrator (stored bytes), one tenant's
     * namespace as the administrator (stored bytes) and as the tenant (each object decoded to check its tenant),
     * and every namespace as the tenant (all pods decoded, its share answered).
     */
    private void lists(KubeClient admin) throws InterruptedException {
        KubeClient tenant = tenantClients.get(0);
        String own = "/api/v1/namespaces/" + namespace(0) + "/pods";
        int share = (pods + tenants - 1) / tenants; // tenant 0's pods: every index divisible by the tenant count
        record Lister(String label, KubeClient client, String path, int expected, Latencies latencies, double[] seconds) {}
        List<Lister> listers = List.of(
                new Lister("list all pods, admin", admin, "/api/v1/pods", pods, new Latencies(LISTS), new double[1]),
                new Lister("list all pods, tenant (-A)", tenant, "/api/v1/pods", share, new Latencies(LISTS), new double[1]),
                new Lister("list own namespace, admin", admin, own, share, new Latencies(LISTS), new double[1]),
                new Lister("list own namespace, tenant", tenant, own, share, new Latencies(LISTS), new double[1]));
        for (Lister l : listers) check(l.client().get(l.path()), 200); // warm-up
        for (int i = 0; i < LISTS; i++) {
            for (Lister l : listers) {
                long start = System.nanoTime();
                KubeClient.Response r = check(l.client().get(l.path()), 200);
                long elapsed = System.nanoTime() - start;
                l.latencies().record(elapsed);
                l.seconds()[0] += elapsed / 1e9;
                // parsed outside the timed region: the figure is the server's answer, not this client's JSON parser
                int items = r.json().path("items").size();
                if (items != l.expected()) throw new IllegalStateException(l.label() + " returned " + items + " items, expected " + l.expected());
            }
        }
        for (Lister l : listers) print(l.label() + " (" + l.expected() + ")", l.latencies(), LISTS / l.seconds()[0]);
        double adminAll = listers.get(0).latencies().percentileMillis(0.5);
        double tenantAll = listers.get(1).latencies().percentileMillis(0.5);
        double adminOwn = listers.get(2).latencies().percentileMillis(0.5);
        double tenantOwn = listers.get(3).latencies().percentileMillis(0.5);
        System.out.printf("  p50 ratios: tenant -A / admin all %.2f×; tenant own ns / admin all %.2f×; tenant own ns / admin same ns %.2f×%n%n",
                tenantAll / adminAll, tenantOwn / adminAll, tenantOwn / adminOwn);
    }

    /**
     * The token cache: {@value #FRESH_TOKENS} tokens issued now (re-scoped from the tenants' tokens, so no
     * password hash is timed), each sent twice on one kept-alive connection, one request at a time: the first
     * request validates the token with the identity core, the second finds the verdict cached.
     */
    private void freshTokens() throws IOException, InterruptedException, GeneralSecurityException {
        List<String> fresh = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int k = 0; k < FRESH_TOKENS; k++) {
            int t = k % tenants;
            fresh.add(identity.authenticator().authenticate(new AuthRequest(new AuthRequest.ExistingToken(tokens.get(t)),
                    new AuthRequest.ProjectRef.ById(projects.get(t).id())), "127.0.0.1").token());
            owner.add(t);
        }
        JsonNode config = Json.YAML.readTree(server.kubeconfig().toFile());
        JsonNode cluster = config.path("clusters").get(0).path("cluster");
        URI base = URI.create(cluster.path("server").asText());
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(trusting(Base64.getDecoder().decode(cluster.path("certificate-authority-data").asText()))).build();
        try (http) {
            // warm: a connection and the code paths, with the tenants' (cached) tokens
            for (int k = 0; k < 50; k++) send(http, base, tokens.get(k % tenants), k % tenants);
            Latencies first = new Latencies(FRESH_TOKENS);
            Latencies second = new Latencies(FRESH_TOKENS);
            double firstSeconds = 0;
            double secondSeconds = 0;
            for (int k = 0; k < FRESH_TOKENS; k++) {
                long a = System.nanoTime();
                send(http, base, fresh.get(k), owner.get(k));
                long b = System.nanoTime();
                send(http, base, fresh.get(k), owner.get(k));
                long c = System.nanoTime();
                first.record(b - a);
                second.record(c - b);
                firstSeconds += (b - a) / 1e9;
                secondSeconds += (c - b) / 1e9;
            }
            print("get pod, new token (validated)", first, FRESH_TOKENS / firstSeconds);
            print("get pod, same token again (cached)", second, FRESH_TOKENS / secondSeconds);
            System.out.printf("  first/second: p50 %.2f×, p99 %.2f× (one client, one request at a time)%n",
                    first.percentileMillis(0.5) / second.percentileMillis(0.5), first.percentileMillis(0.99) / second.percentileMillis(0.99));
        }
    }

    private static void send(HttpClient http, URI base, String token, int tenant) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(base.resolve("/api/v1/namespaces/" + namespace(tenant) + "/pods/pod-0"))
                .header("Accept", "application/json").header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(1)).GET().build();
        HttpResponse<byte[]> resp = http.send(r, HttpResponse.BodyHandlers.ofByteArray());
        if (resp.statusCode() != 200) throw new IllegalStateException("expected 200, got " + resp.statusCode() + ": " + new String(resp.body()));
    }

    /** TLS trusting only the cluster's CA (the kubeconfig's certificate-authority-data), presenting no certificate. */
    private static SSLContext trusting(byte[] caPem) throws GeneralSecurityException, IOException {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        int i = 0;
        for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(caPem))) {
            trust.setCertificateEntry("ca" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static ObjectNode pod(int n) {
        ObjectNode pod = Json.object().put("apiVersion", "v1").put("kind", "Pod");
        ObjectNode meta = pod.putObject("metadata").put("name", "pod-" + n);
        meta.putObject("labels").put("app", "bench");
        ObjectNode c = pod.putObject("spec").putArray("containers").addObject().put("name", "app").put("image", "nginx:1.25");
        c.putArray("ports").addObject().put("containerPort", 80);
        c.putObject("resources").putObject("requests").put("cpu", "100m").put("memory", "64Mi");
        return pod;
    }
}
