package io.hypernetes.cli;

import io.hypernetes.client.keystone.IssuedToken;
import io.hypernetes.client.keystone.ProjectScope;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hypernetes login}: a Keystone project-scoped token from the OpenStack CLI's inputs, and a kubeconfig
 * context whose user runs {@code hypernetes credential} (the exec credential plugin) so stock kubectl works. The
 * password is never written; the token goes to the token cache, so kubectl works at once.
 */
@Command(name = "login", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Log in to a tenant (Keystone project) and write a kubeconfig context for kubectl.",
                "Reads what the OpenStack CLI reads: OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME or OS_PROJECT_ID, "
                        + "OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME, OS_CACERT; the --os-* options override them. "
                        + "Without a password it asks for one on the terminal."})
final class Login implements Callable<Integer> {
    @Mixin
    KeystoneOptions keystone;

    @Option(names = "--os-password", paramLabel = "PASSWORD", description = "Password (env OS_PASSWORD; asked for on the terminal when absent).")
    String password;

    @Option(names = "--server", paramLabel = "URL", description = "The Kubernetes API URL (default: the catalog's kubernetes public endpoint).")
    URI server;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Kubeconfig to merge into (default: the first file of $KUBECONFIG, else ~/.kube/config).")
    Path kubeconfig;

    @Option(names = "--context", paramLabel = "NAME", description = "Context name (default: <project>@<cluster name>).")
    String contextName;

    @Option(names = "--cluster-name", paramLabel = "NAME", defaultValue = "hypernetes", description = "Cluster entry name (default: ${DEFAULT-VALUE}).")
    String clusterName;

    @Option(names = "--no-switch", description = "Keep the kubeconfig's current context.")
    boolean noSwitch;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Token cache directory (default: $HYPERNETES_CACHE_DIR, else $XDG_CACHE_HOME/hypernetes, else ~/.cache/hypernetes).")
    Path cacheDir;

    @Spec
    CommandSpec spec;

    // seams for tests
    Map<String, String> env = System.getenv();
    Terminal terminal = Terminal.SYSTEM;
    KeystoneOptions.Issuer issuer = KeystoneOptions.Issuer.KEYSTONE;

    @Override
    public Integer call() throws IOException {
        KeystoneOptions.Target target = keystone.resolve(env);
        byte[] caPem = target.caCert() == null ? null : readCa(target.caCert());
        Path file = (kubeconfig != null ? kubeconfig : KubeconfigFile.defaultPath(env)).toAbsolutePath();
        Path cache = (cacheDir != null ? cacheDir : TokenCache.defaultDir(env)).toAbsolutePath();
        if (target.authUrl().getScheme().equals("http")) {
            spec.commandLine().getErr().println("hypernetes login: warning: " + target.authUrl() + " is plain HTTP; the password travels unencrypted");
        }

        IssuedToken token = issue(target);
        URI api = Optional.ofNullable(server).or(token::kubernetesUrl).orElseThrow(() -> new IllegalStateException(
                "Keystone's catalog has no kubernetes endpoint for project " + token.projectName() + "; give the API URL with --server"));

        // the plugin identifies the project by id: stable across renames, and needs no project domain
        List<String> args = new ArrayList<>(List.of("credential",
                "--os-auth-url", target.authUrl().toString(),
                "--os-username", target.username(),
                "--os-user-domain-name", target.userDomainName(),
                "--os-project-id", token.projectId()));
        if (target.caCert() != null) args.addAll(List.of("--os-cacert", target.caCert().toString()));
        if (!cache.equals(TokenCache.defaultDir(Map.of()).toAbsolutePath())) args.addAll(List.of("--cache-dir", cache.toString()));
        Path command = Path.of(System.getProperty("hypernetes.root", ".")).toAbsolutePath().normalize().resolve("hypernetes");

        String project = token.projectName() != null ? token.projectName() : token.projectId();
        String context = contextName != null ? contextName : project + "@" + clusterName;
        String user = target.username() + "@" + project + "@" + clusterName;
        KubeconfigFile.merge(file, new KubeconfigFile.Entries(clusterName, api.toString(), caPem, user,
                new KubeconfigFile.Exec(command.toString(), args, "run `hypernetes login` (" + command + ")"), context), !noSwitch);

        KeystoneOptions.Target byId = new KeystoneOptions.Target(target.authUrl(), target.username(), target.userDomainName(),
                new ProjectScope.ById(token.projectId()), target.caCert());
        new TokenCache(cache).write(byId.cacheKey(), new TokenCache.Entry(token.token(), token.expiresAt(),
                token.userName() != null ? token.userName() : target.username(), token.projectId(), token.projectName()));

        PrintWriter out = spec.commandLine().getOut();
        out.printf("Logged in to project %s as %s; context %s in %s%n", project, target.username(), context, file);
        if (noSwitch) out.printf("  kubectl config use-context %s%n", context);
        out.flush();
        return 0;
    }

    private IssuedToken issue(KeystoneOptions.Target target) throws IOException {
        if (password != null && !password.isEmpty()) return issuer.issue(target, password);
        String fromEnv = env.get("OS_PASSWORD");
        if (fromEnv != null && !fromEnv.isEmpty()) return issuer.issue(target, fromEnv);
        char[] typed = terminal.password("Password for " + target.username() + " at " + target.authUrl() + ": ")
                .orElseThrow(() -> new IllegalArgumentException("no password: set OS_PASSWORD or --os-password, or run in a terminal to be asked"));
        try {
            return issuer.issue(target, new String(typed));
        } finally {
            Arrays.fill(typed, '\0');
        }
    }

    private static byte[] readCa(Path ca) throws IOException {
        try {
            return Files.readAllBytes(ca);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("CA file " + ca + " does not exist (OS_CACERT / --os-cacert)");
        }
    }
}
