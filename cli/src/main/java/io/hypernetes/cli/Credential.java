package io.hypernetes.cli;

import io.hypernetes.client.keystone.IssuedToken;
import io.hypernetes.client.keystone.KeystoneClient;
import io.hypernetes.client.keystone.ProjectScope;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hypernetes credential}: the client-go exec credential plugin {@code hypernetes login} puts in kubeconfigs.
 * Prints an {@code ExecCredential} with a Keystone token on stdout, and nothing else there. The cached token is
 * reused while it has more than {@link TokenCache#MIN_REMAINING} left; a new one needs OS_PASSWORD (kubectl passes
 * its environment on) or, when kubectl says the session is interactive, a password typed on the terminal.
 */
@Command(name = "credential", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The kubectl exec credential plugin (client.authentication.k8s.io/v1): prints an ExecCredential "
                + "with a Keystone token. `hypernetes login` writes it into the kubeconfig."})
final class Credential implements Callable<Integer> {
    static final String DEFAULT_API_VERSION = "client.authentication.k8s.io/v1";

    @Mixin
    KeystoneOptions keystone;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Token cache directory (default: $HYPERNETES_CACHE_DIR, else $XDG_CACHE_HOME/hypernetes, else ~/.cache/hypernetes).")
    java.nio.file.Path cacheDir;

    @Spec
    CommandSpec spec;

    // seams for tests
    Map<String, String> env = System.getenv();
    Terminal terminal = Terminal.SYSTEM;
    KeystoneOptions.Issuer issuer = KeystoneOptions.Issuer.KEYSTONE;
    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() throws IOException {
        Map<String, Object> execInfo = execInfo(env.get("KUBERNETES_EXEC_INFO"));
        KeystoneOptions.Target target = keystone.resolve(env);
        TokenCache cache = new TokenCache(cacheDir != null ? cacheDir.toAbsolutePath() : TokenCache.defaultDir(env));
        String key = target.cacheKey();
        Optional<TokenCache.Entry> cached = cache.read(key);
        Instant now = clock.instant();
        TokenCache.Entry entry;
        if (cached.isPresent() && cached.get().fresh(now)) {
            entry = cached.get();
        } else {
            String project = cached.map(TokenCache.Entry::projectName).orElse(target.project().describe());
            IssuedToken token = issue(target, project, cached.isPresent(), Boolean.TRUE.equals(LightJson.object(execInfo, "spec").get("interactive")));
            entry = new TokenCache.Entry(token.token(), token.expiresAt(),
                    token.userName() != null ? token.userName() : target.username(), token.projectId(), token.projectName());
            cache.write(key, entry);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(LightJson.write(execCredential(apiVersion(execInfo), entry.token(), entry.expiresAt())));
        out.flush();
        return 0;
    }

    private IssuedToken issue(KeystoneOptions.Target target, String project, boolean hadToken, boolean interactive) throws IOException {
        String password = envPassword(target);
        if (password != null) return issuer.issue(target, password);
        if (interactive) {
            Optional<char[]> typed = terminal.password("Keystone password for " + target.username() + " (project " + project + "): ");
            if (typed.isPresent()) {
                char[] pw = typed.get();
                try {
                    return issuer.issue(target, new String(pw));
                } finally {
                    Arrays.fill(pw, '\0');
                }
            }
        }
        throw new IllegalStateException((hadToken
                ? "the Keystone token for " + target.username() + " in project " + project + " has expired"
                : "no Keystone token for " + target.username() + " in project " + project + " is cached")
                + "; run `hypernetes login` again or set OS_PASSWORD");
    }

    /**
     * OS_PASSWORD, but only when the environment's OS_USERNAME, OS_USER_DOMAIN_NAME and OS_AUTH_URL (those set) name
     * this plugin's user and Keystone: a password sourced for one account is never sent for another, or elsewhere.
     */
    String envPassword(KeystoneOptions.Target target) {
        String pw = env.get("OS_PASSWORD");
        if (pw == null || pw.isEmpty()) return null;
        String user = env.get("OS_USERNAME");
        if (user != null && !user.isBlank() && !user.strip().equals(target.username())) return null;
        String domain = env.get("OS_USER_DOMAIN_NAME");
        if (domain != null && !domain.isBlank() && !domain.strip().equals(target.userDomainName())) return null;
        String url = env.get("OS_AUTH_URL");
        if (url != null && !url.isBlank()) {
            try {
                if (!KeystoneClient.v3(url).equals(target.authUrl())) return null;
            } catch (RuntimeException e) {
                return null;
            }
        }
        return pw;
    }

    /** {@code {"apiVersion", "kind": "ExecCredential", "status": {"token", "expirationTimestamp"}}}. */
    static Map<String, Object> execCredential(String apiVersion, String token, Instant expiresAt) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("token", token);
        status.put("expirationTimestamp", expiresAt.truncatedTo(ChronoUnit.SECONDS).toString());
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("apiVersion", apiVersion);
        root.put("kind", "ExecCredential");
        root.put("status", status);
        return root;
    }

    /** KUBERNETES_EXEC_INFO, the ExecCredential client-go hands the plugin (spec.interactive); empty when absent. */
    static Map<String, Object> execInfo(String value) {
        if (value == null || value.isBlank()) return Map.of();
        try {
            return LightJson.parseObject(value.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Map.of();
        }
    }

    /** Answer in the version client-go asked in (v1 unless the kubeconfig says v1beta1). */
    static String apiVersion(Map<String, Object> execInfo) {
        String v = LightJson.string(execInfo, "apiVersion");
        return v != null && v.startsWith("client.authentication.k8s.io/") ? v : DEFAULT_API_VERSION;
    }
}
