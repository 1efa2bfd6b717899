package io.hypernetes.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.KubeClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3 with the real parts: one {@code ./hypernetes up} process (API server and built-in Keystone), the stock
 * OpenStack CLI creating tenants and users, {@code ./hypernetes login} writing their kubeconfig contexts, and stock
 * kubectl as each tenant. Two tenants: acme (alice member, rita reader) and globex (bob member).
 *
 * <p>The kubectl isolation matrix runs every verb and route kubectl has as bob against each of alice's objects and
 * counts a leak for anything of acme's in the output, a 403 that would show an object exists, or any change to
 * acme's objects. The later tests change roles, revoke tokens and set quotas, so the methods run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenantsE2ETest {
    private static final String NS = "acme-ns";
    private static final String NET = "acme-net";
    /** Alice's objects: resource → name (namespaces and networks are cluster-scoped). */
    private static final Map<String, String> OBJECTS = new LinkedHashMap<>();

    static {
        OBJECTS.put("pods", "secret-pod");
        OBJECTS.put("services", "secret-svc");
        OBJECTS.put("endpoints", "secret-ep");
        OBJECTS.put("configmaps", "secret-cm");
        OBJECTS.put("secrets", "secret-s");
        OBJECTS.put("events", "secret-ev");
        OBJECTS.put("namespaces", NS);
        OBJECTS.put("networks", NET);
    }

    @TempDir
    static Path dir;
    static Cluster cluster;
    static KubeClient adminClient;
    static OpenStack admin;
    static String acmeId;
    static String globexId;
    static final String canary = "canary-" + UUID.randomUUID();
    static final Map<String, String> passwords = Map.of(
            "alice", "alice-" + UUID.randomUUID(), "bob", "bob-" + UUID.randomUUID(), "rita", "rita-" + UUID.randomUUID());
    /** The kubeconfig {@code hypernetes login} wrote the three contexts into, and its token cache. */
    static Path kubeconfig;
    static Path cache;
    static Kubectl kubectl;

    @BeforeAll
    static void setUp() throws Exception {
        Instant t0 = Instant.now();
        cluster = Cluster.start(dir.resolve("data"));
        adminClient = KubeClient.fromKubeconfig(cluster.kubeconfig());
        admin = OpenStack.fromRc(cluster.adminOpenrc());
        assertThat(admin.get("OS_AUTH_URL")).isEqualTo(cluster.identityUrl());
        assertThat(admin.get("OS_CACERT")).isEqualTo(cluster.caCert().toString());

        // Tenants and users with the OpenStack CLI as the administrator (one run of the CLI: see OpenStack.batch).
        String[] out = admin.batch(
                "project create acme -f value -c id",
                "project create globex -f value -c id",
                "user create --password " + passwords.get("alice") + " alice -f value -c id",
                "user create --password " + passwords.get("bob") + " bob -f value -c id",
                "user create --password " + passwords.get("rita") + " rita -f value -c id",
                "role add --project acme --user alice member",
                "role add --project globex --user bob member",
                "role add --project acme --user rita reader",
                "project show acme -f value -c id",
                "role assignment list --names -f value",
                "token issue -f value -c id").ok().stdout().strip().split("\n");
        acmeId = out[0];
        globexId = out[1];
        assertThat(acmeId).matches("[0-9a-f]{32}").isEqualTo(out[5]);
        assertThat(globexId).matches("[0-9a-f]{32}").isNotEqualTo(acmeId);
        String assignments = String.join("\n", List.of(out).subList(6, out.length - 1));
        assertThat(assignments).containsPattern("member\\s+alice@Default\\s+acme@Default")
                .containsPattern("member\\s+bob@Default\\s+globex@Default")
                .containsPattern("reader\\s+rita@Default\\s+acme@Default")
                .containsPattern("admin\\s+admin@Default\\s+admin@Default");
        assertThat(out[out.length - 1]).matches("[A-Za-z0-9_-]{100,}");

        // hypernetes login for the three of them into one kubeconfig; the password only in login's environment.
        kubeconfig = dir.resolve("kube").resolve("config");
        Files.createDirectories(kubeconfig.getParent());
        cache = dir.resolve("cache");
        assertThat(login("alice", "acme", false)).contains("Logged in to project acme as alice; context acme@hypernetes in " + kubeconfig);
        assertThat(login("bob", "globex", true)).contains("Logged in to project globex as bob; context globex@hypernetes in " + kubeconfig);
        assertThat(login("rita", "acme", true)).contains("Logged in to project acme as rita");
        String config = Files.readString(kubeconfig);
        passwords.values().forEach(pw -> assertThat(config).doesNotContain(pw));
        kubectl = new Kubectl(Kubectl.onPath(), kubeconfig);
        assertThat(kubectl.run("config", "get-contexts", "-o", "name").ok().stdout().lines().sorted().toList())
                .containsExactly("acme-rita@hypernetes", "acme@hypernetes", "globex@hypernetes");
        assertThat(kubectl.run("config", "current-context").ok().stdout().strip()).isEqualTo("acme@hypernetes");

        // Alice's tenant, with stock kubectl through the exec credential plugin (OS_PASSWORD is not in its
        // environment: the token login cached is what it sends).
        assertThat(alice("create", "namespace", "acme-plain").ok().stdout()).contains("namespace/acme-plain created");
        Path manifest = dir.resolve("acme.yaml");
        Files.writeString(manifest, String.join("---\n", aliceManifest().stream().map(TenantsE2ETest::blockYaml).toList()));
        assertThat(alice("apply", "-f", manifest.toString()).ok().stdout()).contains(
                "network/acme-net created", "namespace/acme-ns created", "pod/secret-pod created", "service/secret-svc created",
                "endpoints/secret-ep created", "configmap/secret-cm created", "secret/secret-s created", "event/secret-ev created");
        String namespaces = alice("get", "ns", "--show-labels").ok().stdout();
        assertThat(namespaces).containsPattern("acme-ns\\s+Active.*hypernetes.io/tenant=" + acmeId)
                .containsPattern("acme-plain\\s+Active.*hypernetes.io/tenant=" + acmeId)
                .doesNotContain("kube-system");
        assertThat(alice("get", "namespace", NS, "-o", "jsonpath={.spec.network}").ok().stdout()).isEqualTo(NET);
        assertThat(alice("get", "pods", "-n", NS, "-o", "jsonpath={.items[*].metadata.labels}").ok().stdout())
                .contains("\"hypernetes.io/tenant\":\"" + acmeId + "\"");
        // the oldest kubectl on the machine goes through the same plugin
        Kubectl old = new Kubectl(Kubectl.oldest(), kubeconfig);
        assertThat(old.run("get", "networks").ok().stdout()).containsPattern("acme-net\\s+" + acmeId);
        assertThat(old.run("get", "pods", "-n", NS).ok().stdout()).contains("secret-pod");
        assertThat(bob("create", "namespace", "globex-ns").ok().stdout()).contains("namespace/globex-ns created");
        try (var tokens = Files.list(cache.resolve("tokens"))) {
            assertThat(tokens.count()).as("one cached token per login").isEqualTo(3);
        }
        System.out.printf("tenants: set up in %d ms%n", Duration.between(t0, Instant.now()).toMillis());
    }

    @AfterAll
    static void tearDown() {
        if (adminClient != null) adminClient.close();
        if (cluster != null) cluster.close();
    }

    private static String login(String user, String project, boolean noSwitch) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Cluster.ROOT.resolve("hypernetes").toString(), "login",
                "--kubeconfig", kubeconfig.toString(), "--cache-dir", cache.toString()));
        if (noSwitch) cmd.add("--no-switch");
        if (user.equals("rita")) cmd.addAll(List.of("--context", "acme-rita@hypernetes"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("OS_"));
        pb.environment().putAll(admin.as(user, passwords.get(user), project).env());
        pb.environment().put("HYPERNETES_SKIP_BUILD", "1");
        Process p = pb.start();
        try {
            p.getOutputStream().close();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(output).isZero();
            return output;
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
    }

    static Kubectl.Result alice(String... args) {
        return as("acme@hypernetes", args);
    }

    static Kubectl.Result bob(String... args) {
        return as("globex@hypernetes", args);
    }

    static Kubectl.Result rita(String... args) {
        return as("acme-rita@hypernetes", args);
    }

    private static Kubectl.Result as(String context, String... args) {
        List<String> all = new ArrayList<>(List.of("--context", context));
        all.addAll(List.of(args));
        return kubectl.run(all.toArray(String[]::new));
    }

    /** kubectl 1.27 takes a file that starts with '{' for JSON: flow-style YAML is written out as block style. */
    static String blockYaml(String flow) {
        try {
            return Json.YAML.writeValueAsString(Json.YAML.readTree(flow));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> aliceManifest() {
        String labels = "labels: {canary: " + canary + "}";
        return List.of(
                "{apiVersion: v1, kind: Network, metadata: {name: " + NET + ", " + labels + "}, spec: {tenantID: '" + acmeId
                        + "', subnets: {s1: {cidr: 10.1.0.0/24, gateway: 10.1.0.1}}}}",
                "{apiVersion: v1, kind: Namespace, metadata: {name: " + NS + ", " + labels + "}, spec: {network: " + NET + "}}",
                "{apiVersion: v1, kind: Pod, metadata: {name: secret-pod, namespace: " + NS + ", " + labels
                        + "}, spec: {containers: [{name: c, image: nginx}]}}",
                "{apiVersion: v1, kind: Service, metadata: {name: secret-svc, namespace: " + NS + ", " + labels
                        + "}, spec: {selector: {app: web}, ports: [{port: 80}]}}",
                "{apiVersion: v1, kind: Endpoints, metadata: {name: secret-ep, namespace: " + NS + ", " + labels + "}}",
                "{apiVersion: v1, kind: ConfigMap, metadata: {name: secret-cm, namespace: " + NS + ", " + labels + "}, data: {k: " + canary + "}}",
                "{apiVersion: v1, kind: Secret, metadata: {name: secret-s, namespace: " + NS + ", " + labels + "}, stringData: {k: " + canary + "}}",
                "{apiVersion: v1, kind: Event, metadata: {name: secret-ev, namespace: " + NS + ", " + labels
                        + "}, involvedObject: {kind: Pod, name: secret-pod, namespace: " + NS + "}, reason: Secret, message: " + canary + "}");
    }

    // ---------------------------------------------------------------------------------------------------------
    // The kubectl isolation matrix

    /** One kubectl run of bob's against acme; {@code namespaced}: the resource lives in alice's namespace. */
    record Probe(String who, Kubectl kubectl, Map<String, String> env, List<String> args, boolean namespaced) {
        private static final Pattern FORBIDDEN = Pattern.compile("(?i)forbidden");
        private static final Pattern EXISTS = Pattern.compile("(?i)already ?exists|\\(Conflict\\)|has been modified|timed out waiting");
        private static final Pattern WROTE = Pattern.compile("(?m)\\b(created|configured|labeled|annotated?|patched|replaced|edited|deleted|serverside-applied|image updated)\\b");
        /** Output that means the probe did not test what it meant to (a kubectl usage error, bob not authenticated). */
        private static final Pattern BROKEN = Pattern.compile(
                "(?i)unknown (flag|command|shorthand)|error parsing|doesn't have a resource type|Unauthorized|must be logged in|error: unable to|no such file|connection refused|certificate|see 'kubectl .* -h'");

        String describe() {
            return who + ": kubectl " + String.join(" ", args);
        }

        /** A watch (or wait) that idles until its timeout: these run side by side in a pool of their own. */
        boolean idles() {
            return args.contains("-w") || args.contains("wait") || args.stream().anyMatch(a -> a.contains("watch"));
        }

        /** Runs the probe: its log entry, and the leaks it found (or a BROKEN entry: it did not test anything). */
        Outcome run(List<String> secrets) {
            long start = System.nanoTime();
            Kubectl.Result r = kubectl.run(env, null, args.toArray(String[]::new));
            String output = r.stdout() + r.stderr();
            String log = describe() + " -> " + r.exit() + " (" + (System.nanoTime() - start) / 1_000_000 + " ms)\n" + output.strip().indent(4);
            List<String> leaks = new ArrayList<>();
            if (BROKEN.matcher(output).find()) return new Outcome(log, List.of("BROKEN " + log));
            for (String s : secrets) {
                if (output.contains(s)) leaks.add(describe() + " shows " + s + ": " + output.strip());
            }
            if (FORBIDDEN.matcher(output).find()) leaks.add(describe() + " is Forbidden, which shows the object exists: " + output.strip());
            // names are global for cluster-scoped objects (a namespace or network name is taken, as in Kubernetes);
            // inside alice's namespace nothing may answer as if something were there
            if (namespaced && EXISTS.matcher(output).find()) leaks.add(describe() + " shows existence: " + output.strip());
            // a write that claims success; a server-side dry run of a cluster-scoped create writes nothing and shows
            // nothing (it claims the name is free), so it is not one
            boolean dryRun = args.contains("--dry-run=server") && !namespaced;
            if (!dryRun && WROTE.matcher(r.stdout()).find()) leaks.add(describe() + " wrote: " + output.strip());
            return new Outcome(log, leaks);
        }
    }

    record Outcome(String log, List<String> leaks) {}

    @Test
    @Order(1)
    void isolationMatrix() throws Exception {
        Instant t0 = Instant.now();
        // What a leak would show: acme's project id, the canary, every uid of alice's objects.
        List<String> secrets = new ArrayList<>(List.of(acmeId, canary));
        for (var e : OBJECTS.entrySet()) secrets.add(admin(path(e.getKey(), e.getValue())).path("metadata").path("uid").asText());
        assertThat(secrets).doesNotContain("").hasSize(10);
        // the control: alice's own reads show what the probes look for
        assertThat(alice("get", "configmap", "secret-cm", "-n", NS, "-o", "yaml").ok().stdout()).contains(canary, acmeId, secrets.get(5));
        Map<String, String> before = acmeState();

        // Bob's kubeconfigs: the context login wrote (the exec plugin), and for the bulk of the probes the same
        // Keystone token as that plugin hands kubectl, written as a static token (starting a JVM per kubectl run
        // would cost the matrix minutes of CPU on two cores). One directory per kubectl: its discovery cache.
        String bobToken = pluginToken("bob@globex@hypernetes");
        List<Probe> probes = new ArrayList<>();
        Map<String, Path> manifests = bobManifests();
        for (Path binary : List.of(Kubectl.onPath(), Kubectl.oldest())) {
            String who = "bob/" + binary.getFileName();
            Kubectl k = new Kubectl(binary, staticKubeconfig(dir.resolve("bob-" + binary.getFileName()), bobToken));
            boolean full = binary.equals(Kubectl.onPath());
            for (var e : OBJECTS.entrySet()) {
                boolean namespaced = !e.getKey().equals("namespaces") && !e.getKey().equals("networks");
                for (List<String> args : matrixCommands(e.getKey(), e.getValue(), namespaced, manifests.get(e.getKey()), full)) {
                    probes.add(new Probe(who, k, editorEnv(args), args, namespaced));
                }
            }
            probes.add(new Probe(who, k, Map.of(), List.of("events", "-n", NS), true));
            probes.add(new Probe(who, k, Map.of(), List.of("events", "-A"), true));
            probes.add(new Probe(who, k, Map.of(), List.of("get", "all", "-n", NS), true));
            probes.add(new Probe(who, k, Map.of(), List.of("api-resources", "--namespaced=true", "-o", "name"), true));
        }
        // through the exec plugin, as bob's login context runs
        Kubectl plugin = new Kubectl(Kubectl.onPath(), kubeconfig);
        for (var e : OBJECTS.entrySet()) {
            boolean namespaced = !e.getKey().equals("namespaces") && !e.getKey().equals("networks");
            List<String> ns = namespaced ? List.of("-n", NS) : List.of();
            probes.add(new Probe("bob/login", plugin, Map.of(), concat(List.of("--context", "globex@hypernetes", "get", e.getKey(), e.getValue(), "-o", "yaml"), ns), namespaced));
        }

        // Eight at a time (two cores); the watches, which idle until their timeout, all at once beside them.
        List<String> leaks = Collections.synchronizedList(new ArrayList<>());
        List<String> broken = Collections.synchronizedList(new ArrayList<>());
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        ExecutorService busy = Executors.newFixedThreadPool(8);
        ExecutorService idle = Executors.newFixedThreadPool(64);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Probe p : probes) {
                done.add((p.idles() ? idle : busy).submit(() -> {
                    Outcome o = p.run(secrets);
                    log.add(o.log());
                    for (String leak : o.leaks()) (leak.startsWith("BROKEN ") ? broken : leaks).add(leak);
                }));
            }
            for (Future<?> f : done) f.get(5, TimeUnit.MINUTES);
        } finally {
            for (ExecutorService pool : List.of(busy, idle)) {
                pool.shutdownNow();
                pool.awaitTermination(30, TimeUnit.SECONDS);
            }
        }
        // every probe's command, exit code and output, for whoever wants to see what bob was told
        Path target = Path.of("target");
        if (Files.isDirectory(target)) Files.write(target.resolve("kubectl-isolation-matrix.log"), log.stream().sorted().toList());
        Map<String, String> after = acmeState();
        if (!after.equals(before)) leaks.add("acme's objects changed: before " + before + ", after " + after);
        System.out.printf("isolation matrix (kubectl): %d probes, %d leaks (%d ms)%n", probes.size(), leaks.size(),
                Duration.between(t0, Instant.now()).toMillis());
        leaks.forEach(l -> System.out.println("LEAK " + l));
        broken.forEach(System.out::println);
        assertThat(broken).as("probes that did not test anything").isEmpty();
        assertThat(leaks).isEmpty();
        assertThat(probes.size()).isGreaterThan(400);
        // the matrix ran while bob could see his own tenant all along
        assertThat(bob("get", "ns").ok().stdout()).contains("globex-ns").doesNotContain(NS);
    }

    /** Every verb and route kubectl has, as bob, on one of alice's objects ({@code full}), or the core of them. */
    private static List<List<String>> matrixCommands(String resource, String name, boolean namespaced, Path manifest, boolean full) {
        List<String> ns = namespaced ? List.of("-n", NS) : List.of();
        String object = path(resource, name);
        String collection = object.substring(0, object.lastIndexOf('/'));
        String all = "/api/v1/" + resource;
        String file = manifest.toString();
        List<List<String>> c = new ArrayList<>();
        // the core probes (true) run with every kubectl, the rest with the default one only
        java.util.function.BiConsumer<Boolean, List<String>> add = (core, args) -> {
            if (full || core) c.add(args);
        };
        // reads
        add.accept(false, concat(List.of("get", resource, name), ns));
        add.accept(true, concat(List.of("get", resource, name, "-o", "yaml"), ns));
        add.accept(false, concat(List.of("get", resource, name, "-o", "jsonpath={.metadata.uid}"), ns));
        add.accept(false, concat(List.of("get", resource, name, "-o", "wide", "--show-labels"), ns));
        add.accept(false, concat(List.of("describe", resource, name), ns));
        add.accept(false, concat(List.of("describe", resource), ns));
        add.accept(false, concat(List.of("get", resource), ns));
        add.accept(false, concat(List.of("get", resource, "-o", "yaml"), ns));
        add.accept(false, List.of("get", resource, "-A", "-o", "yaml"));
        add.accept(false, concat(List.of("get", resource, "-l", "canary=" + canary), ns));
        add.accept(true, List.of("get", resource, "-A", "-l", "canary=" + canary));
        add.accept(false, List.of("get", resource, "-A", "-l", "hypernetes.io/tenant=" + acmeId, "-o", "yaml"));
        add.accept(false, List.of("get", resource, "-A", "-l", "canary", "-o", "name"));
        add.accept(false, concat(List.of("get", resource, "--field-selector", "metadata.name=" + name), ns));
        add.accept(false, List.of("get", resource, "-A", "--field-selector", "metadata.name=" + name, "-o", "yaml"));
        add.accept(false, List.of("get", resource, "-A", "--chunk-size=1", "-o", "name"));
        add.accept(false, concat(List.of("get", resource, "-w", "--request-timeout=2s"), ns));
        add.accept(true, List.of("get", resource, "-A", "-w", "--request-timeout=2s", "-o", "yaml"));
        add.accept(false, List.of("get", resource, "-A", "-w", "--output-watch-events", "--request-timeout=2s", "-l", "canary=" + canary));
        add.accept(false, concat(List.of("get", resource, name, "-w", "--request-timeout=2s"), ns));
        add.accept(false, List.of("get", "--raw", object));
        add.accept(false, List.of("get", "--raw", collection));
        add.accept(false, List.of("get", "--raw", all + "?labelSelector=canary%3D" + canary));
        add.accept(false, List.of("get", "--raw", all + "?fieldSelector=metadata.name%3D" + name + "&resourceVersion=0"));
        add.accept(false, List.of("get", "--raw", collection + "?watch=1&resourceVersion=1&timeoutSeconds=1"));
        add.accept(true, List.of("get", "--raw", all + "?watch=1&resourceVersion=1&timeoutSeconds=1"));
        add.accept(false, List.of("get", "--raw", "/api/v1/watch/" + object.substring("/api/v1/".length()) + "?timeoutSeconds=1"));
        add.accept(false, concat(List.of("wait", "--for=delete", resource + "/" + name, "--timeout=1s"), ns));
        // writes
        add.accept(true, concat(List.of("label", resource, name, "owned=bob"), ns));
        add.accept(false, concat(List.of("label", resource, name, "canary-"), ns));
        add.accept(false, concat(List.of("annotate", resource, name, "note=bob"), ns));
        add.accept(true, concat(List.of("patch", resource, name, "--type=merge", "-p", "{\"metadata\":{\"labels\":{\"owned\":\"bob\"}}}"), ns));
        add.accept(false, concat(List.of("patch", resource, name, "--type=json", "-p", "[{\"op\":\"add\",\"path\":\"/metadata/labels/owned\",\"value\":\"bob\"}]"), ns));
        add.accept(true, concat(List.of("patch", resource, name, "--type=strategic", "-p", "{\"metadata\":{\"labels\":{\"owned\":\"bob\"}}}"), ns));
        add.accept(true, List.of("apply", "-f", file));
        add.accept(true, List.of("apply", "--server-side", "--force-conflicts", "-f", file));
        add.accept(false, List.of("apply", "--dry-run=server", "-f", file));
        add.accept(false, List.of("diff", "-f", file));
        add.accept(true, List.of("create", "-f", file));
        add.accept(true, List.of("replace", "-f", file));
        add.accept(false, List.of("replace", "--force", "--grace-period=0", "-f", file));
        add.accept(true, concat(List.of("edit", resource, name, "-o", "json"), ns)); // with an editor that would change it
        add.accept(true, concat(List.of("delete", resource, name, "--wait=false"), ns));
        add.accept(false, concat(List.of("delete", resource, name, "--grace-period=0", "--force"), ns));
        add.accept(false, concat(List.of("delete", resource, name, "--dry-run=server"), ns));
        add.accept(false, List.of("delete", "--raw", object));
        add.accept(false, concat(List.of("delete", resource, "-l", "canary=" + canary, "--wait=false"), ns));
        if (namespaced) add.accept(false, List.of("delete", resource, "--all", "-n", NS, "--wait=false"));
        switch (resource) {
            case "pods" -> {
                add.accept(false, List.of("run", "bob-pod", "--image=busybox", "-n", NS));
                add.accept(false, List.of("set", "image", "pod/" + name, "c=evil", "-n", NS));
                add.accept(false, List.of("logs", name, "-n", NS, "--request-timeout=5s"));
                add.accept(false, List.of("exec", name, "-n", NS, "--request-timeout=5s", "--", "true"));
            }
            case "configmaps" -> add.accept(false, List.of("create", "configmap", "bob-cm", "--from-literal=a=b", "-n", NS));
            case "secrets" -> add.accept(false, List.of("create", "secret", "generic", "bob-s", "--from-literal=a=b", "-n", NS));
            case "services" -> add.accept(false, List.of("create", "service", "clusterip", "bob-svc", "--tcp=80:80", "-n", NS));
            case "namespaces" -> add.accept(false, List.of("create", "namespace", NS));
            default -> { }
        }
        return c;
    }

    /** {@code kubectl edit} with an editor that rewrites the labels, were it ever shown the object. */
    private static Map<String, String> editorEnv(List<String> args) {
        return args.getFirst().equals("edit") ? Map.of("KUBE_EDITOR", "sed -i s/canary/owned/") : Map.of();
    }

    /** Bob's own version of each of alice's objects: same kind, name and namespace, his labels and tenant. */
    private static Map<String, Path> bobManifests() throws IOException {
        Path d = Files.createDirectories(dir.resolve("bob-manifests"));
        String meta = "name: %s, namespace: " + NS + ", labels: {owned: bob}";
        Map<String, String> yaml = new LinkedHashMap<>();
        yaml.put("pods", "{apiVersion: v1, kind: Pod, metadata: {" + meta.formatted("secret-pod") + "}, spec: {containers: [{name: c, image: evil}]}}");
        yaml.put("services", "{apiVersion: v1, kind: Service, metadata: {" + meta.formatted("secret-svc") + "}, spec: {ports: [{port: 81}]}}");
        yaml.put("endpoints", "{apiVersion: v1, kind: Endpoints, metadata: {" + meta.formatted("secret-ep") + "}}");
        yaml.put("configmaps", "{apiVersion: v1, kind: ConfigMap, metadata: {" + meta.formatted("secret-cm") + "}, data: {k: bob}}");
        yaml.put("secrets", "{apiVersion: v1, kind: Secret, metadata: {" + meta.formatted("secret-s") + "}, stringData: {k: bob}}");
        yaml.put("events", "{apiVersion: v1, kind: Event, metadata: {" + meta.formatted("secret-ev")
                + "}, involvedObject: {kind: Pod, name: secret-pod, namespace: " + NS + "}, reason: Bob, message: bob}");
        yaml.put("namespaces", "{apiVersion: v1, kind: Namespace, metadata: {name: " + NS + ", labels: {owned: bob}}}");
        yaml.put("networks", "{apiVersion: v1, kind: Network, metadata: {name: " + NET + ", labels: {owned: bob}}, spec: {tenantID: '" + globexId + "'}}");
        Map<String, Path> files = new LinkedHashMap<>();
        for (var e : yaml.entrySet()) files.put(e.getKey(), Files.writeString(d.resolve(e.getKey() + ".yaml"), blockYaml(e.getValue())));
        return files;
    }

    /** The token the kubeconfig user's exec credential plugin hands kubectl (run as kubectl runs it). */
    private static String pluginToken(String user) throws Exception {
        JsonNode config = Json.YAML.readTree(kubeconfig.toFile());
        JsonNode exec = null;
        for (JsonNode u : config.path("users")) if (u.path("name").asText().equals(user)) exec = u.path("user").path("exec");
        assertThat(exec).as("user " + user + " in " + kubeconfig).isNotNull();
        List<String> cmd = new ArrayList<>(List.of(exec.path("command").asText()));
        exec.path("args").forEach(a -> cmd.add(a.asText()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("OS_"));
        pb.environment().put("HYPERNETES_SKIP_BUILD", "1");
        Process p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            JsonNode credential = Json.parse(out);
            assertThat(credential.path("kind").asText()).isEqualTo("ExecCredential");
            return credential.path("status").path("token").asText();
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
    }

    /** A kubeconfig with a bearer token, in a directory of its own (kubectl's HOME: its discovery cache). */
    static Path staticKubeconfig(Path directory, String token) throws IOException {
        Files.createDirectories(directory);
        return Files.writeString(directory.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: c, cluster: {server: '%s', certificate-authority: '%s'}}]
                users: [{name: u, user: {token: '%s'}}]
                contexts: [{name: x, context: {cluster: c, user: u}}]
                current-context: x
                """.formatted(cluster.url(), cluster.caCert(), token));
    }

    /**
     * resourceVersion of every object of acme's, and the names of everything in alice's namespace (as admin), but for
     * the scheduler's FailedScheduling events, which the control plane writes on its own while the probes run.
     */
    private static Map<String, String> acmeState() {
        Map<String, String> state = new LinkedHashMap<>();
        for (String resource : OBJECTS.keySet()) {
            String list = switch (resource) {
                case "namespaces" -> "/api/v1/namespaces?labelSelector=hypernetes.io%2Ftenant%3D" + acmeId;
                case "networks" -> "/api/v1/networks";
                default -> "/api/v1/namespaces/" + NS + "/" + resource;
            };
            for (JsonNode item : admin(list).path("items")) {
                // the scheduler keeps reporting that alice's pod fits on no node (the cluster has none): its own writes
                if (item.path("reason").asText().equals("FailedScheduling") && item.path("source").path("component").asText().equals("default-scheduler")) {
                    continue;
                }
                JsonNode m = item.path("metadata");
                state.put(resource + "/" + m.path("name").asText(), m.path("resourceVersion").asText() + " " + m.path("uid").asText());
            }
        }
        assertThat(state).containsKeys("pods/secret-pod", "namespaces/" + NS, "networks/" + NET, "events/secret-ev");
        return state;
    }

    private static String path(String resource, String name) {
        return switch (resource) {
            case "namespaces", "networks" -> "/api/v1/" + resource + "/" + name;
            default -> "/api/v1/namespaces/" + NS + "/" + resource + "/" + name;
        };
    }

    private static JsonNode admin(String path) {
        KubeClient.Response r = adminClient.get(path);
        assertThat(r.code()).as(path + ": " + r.text()).isEqualTo(200);
        return r.json();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    @Order(2)
    void aReaderReadsItsTenantAndWritesNothing() {
        assertThat(rita("get", "pods", "-n", NS).ok().stdout()).contains("secret-pod");
        assertThat(rita("get", "configmap", "secret-cm", "-n", NS, "-o", "jsonpath={.data.k}").ok().stdout()).isEqualTo(canary);
        assertThat(rita("get", "ns").ok().stdout()).contains(NS, "acme-plain").doesNotContain("globex-ns");
        Kubectl.Result mine = rita("create", "configmap", "rita-cm", "-n", NS, "--from-literal=a=b");
        assertThat(mine.exit()).isNotZero();
        assertThat(mine.stderr()).contains("forbidden", "User \"rita\" cannot create resource \"configmaps\"");
        Kubectl.Result theirs = rita("create", "configmap", "rita-cm", "-n", "globex-ns", "--from-literal=a=b");
        assertThat(theirs.exit()).isNotZero();
        assertThat(theirs.stderr()).contains("namespaces \"globex-ns\" not found").doesNotContainIgnoringCase("forbidden");
        assertThat(rita("delete", "configmap", "secret-cm", "-n", NS).stderr()).containsIgnoringCase("forbidden");
        assertThat(admin(path("configmaps", "secret-cm")).path("data").path("k").asText()).isEqualTo(canary);
    }

    @Test
    @Order(3)
    void aTenantQuotaRefusesTheNamespaceOverIt() {
        Kubectl asAdmin = new Kubectl(Kubectl.onPath(), cluster.kubeconfig());
        assertThat(asAdmin.run("create", "configmap", "tenant-quotas", "-n", "kube-system", "--from-literal=" + globexId + "=namespaces=1")
                .ok().stdout()).contains("configmap/tenant-quotas created");
        Kubectl.Result second = bob("create", "namespace", "globex-two");
        assertThat(second.exit()).isNotZero();
        assertThat(second.stderr()).contains("exceeded quota", "tenant " + globexId);
        // acme has no limit
        assertThat(alice("create", "namespace", "acme-two").ok().stdout()).contains("namespace/acme-two created");
        assertThat(asAdmin.run("get", "namespace", "globex-two").stderr()).contains("not found");
    }

    @Test
    @Order(4)
    void aRevokedTokenStopsWorkingAndAForgedOneNeverDid() throws Exception {
        OpenStack asBob = admin.as("bob", passwords.get("bob"), "globex");
        String token = asBob.run("token", "issue", "-f", "value", "-c", "id").value();
        Kubectl direct = new Kubectl(Kubectl.onPath(), Files.writeString(Files.createDirectories(dir.resolve("direct")).resolve("empty.kubeconfig"), ""));
        assertThat(direct(direct, token, "get", "ns").ok().stdout()).contains("globex-ns").doesNotContain(NS);

        char[] forged = token.toCharArray();
        int i = forged.length / 2;
        forged[i] = forged[i] == 'A' ? 'B' : 'A';
        Kubectl.Result refused = direct(direct, new String(forged), "get", "ns");
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.stderr()).contains("Unauthorized");

        admin.run("token", "revoke", token).ok();
        Instant revoked = Instant.now();
        Kubectl.Result after = Kubectl.poll(Duration.ofSeconds(10), () -> direct(direct, token, "get", "ns"), r -> r.stderr().contains("Unauthorized"));
        assertThat(after.exit()).isNotZero();
        System.out.printf("revocation: refused %d ms after openstack token revoke%n", Duration.between(revoked, Instant.now()).toMillis());
        // bob's login token is another token: still good
        assertThat(bob("get", "ns").ok().stdout()).contains("globex-ns");
    }

    static Kubectl.Result direct(Kubectl k, String token, String... args) {
        List<String> all = new ArrayList<>(List.of("--token=" + token, "--server=" + cluster.url(),
                "--certificate-authority=" + cluster.caCert()));
        all.addAll(List.of(args));
        return k.run(all.toArray(String[]::new));
    }

    @Test
    @Order(5)
    void anonymousRequestsAreUnauthorized() throws Exception {
        HttpClient http = Cluster.trustingClient(cluster.caCert());
        for (String path : List.of("/api/v1/namespaces", "/api/v1/namespaces/" + NS + "/pods/secret-pod", "/api/v1/networks", "/api")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(cluster.url() + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(401);
            assertThat(r.body()).contains("\"kind\":\"Status\"").doesNotContain(acmeId, canary);
        }
        HttpResponse<String> bearer = http.send(HttpRequest.newBuilder(URI.create(cluster.url() + "/api/v1/namespaces"))
                .header("Authorization", "Bearer not-a-token").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bearer.statusCode()).isEqualTo(401);
    }


    @Test
    @Order(6)
    void roleChangesTakeEffectWithinSeconds() {
        List<String> getPods = List.of("get", "pods", "-n", NS);
        assertThat(alice(getPods.toArray(String[]::new)).ok().stdout()).contains("secret-pod");

        // No role left on the project: Keystone no longer validates alice's project-scoped token (identity README,
        // SUBJECT_GONE), so the API server refuses it as Unauthorized.
        admin.run("role", "remove", "--project", "acme", "--user", "alice", "member").ok();
        Instant removed = Instant.now();
        Kubectl.Result refused = Kubectl.poll(Duration.ofSeconds(10), () -> alice(getPods.toArray(String[]::new)), r -> r.exit() != 0);
        assertThat(refused.stderr()).contains("Unauthorized");
        long refusedMs = Duration.between(removed, Instant.now()).toMillis();

        admin.run("role", "add", "--project", "acme", "--user", "alice", "member").ok();
        Instant added = Instant.now();
        assertThat(Kubectl.poll(Duration.ofSeconds(10), () -> alice(getPods.toArray(String[]::new)), r -> r.exit() == 0).stdout()).contains("secret-pod");
        long backMs = Duration.between(added, Instant.now()).toMillis();

        // member → reader: the same token now reads but may not write (Forbidden, in her own namespace)
        admin.batch("role add --project acme --user alice reader", "role remove --project acme --user alice member").ok();
        Instant demoted = Instant.now();
        // (until the API server's 5 s verdict cache lets go of the member role, creates still work: a name per try)
        java.util.concurrent.atomic.AtomicInteger attempt = new java.util.concurrent.atomic.AtomicInteger();
        Kubectl.Result forbidden = Kubectl.poll(Duration.ofSeconds(10),
                () -> alice("create", "configmap", "while-reader-" + attempt.incrementAndGet(), "-n", NS), r -> r.exit() != 0);
        assertThat(forbidden.stderr()).contains("forbidden", "User \"alice\" cannot create resource \"configmaps\"");
        long demotedMs = Duration.between(demoted, Instant.now()).toMillis();
        assertThat(alice(getPods.toArray(String[]::new)).ok().stdout()).contains("secret-pod");

        admin.batch("role add --project acme --user alice member", "role remove --project acme --user alice reader").ok();
        assertThat(Kubectl.poll(Duration.ofSeconds(10), () -> alice("create", "configmap", "member-again", "-n", NS), r -> r.exit() == 0).stdout())
                .contains("configmap/member-again created");
        assertThat(admin.run("role", "assignment", "list", "--names", "--project", "acme", "-f", "value").value())
                .containsPattern("member\\s+alice@Default").doesNotContainPattern("reader\\s+alice@Default");
        System.out.printf("role changes: removal refused after %d ms, re-grant accepted after %d ms, reader forbidden after %d ms%n",
                refusedMs, backMs, demotedMs);
    }
}
