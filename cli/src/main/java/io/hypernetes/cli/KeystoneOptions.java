package io.hypernetes.cli;

import io.hypernetes.client.keystone.IssuedToken;
import io.hypernetes.client.keystone.KeystoneClient;
import io.hypernetes.client.keystone.PasswordAuth;
import io.hypernetes.client.keystone.ProjectScope;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The OpenStack CLI's {@code --os-*} options, each falling back to its {@code OS_*} environment variable as
 * {@code openstack} does. A project named on the command line (by name or id) beats one from the environment, so
 * {@code --os-project-name demo} works with an admin-openrc (which sets OS_PROJECT_NAME) sourced; when both come
 * from the same place, the id wins.
 */
final class KeystoneOptions {
    @Option(names = "--os-auth-url", paramLabel = "URL", description = "Keystone's URL, e.g. https://host:5000/v3 (env OS_AUTH_URL).")
    String authUrl;

    @Option(names = "--os-username", paramLabel = "NAME", description = "User name (env OS_USERNAME).")
    String username;

    @Option(names = "--os-user-domain-name", paramLabel = "NAME", description = "The user's domain (env OS_USER_DOMAIN_NAME, default Default).")
    String userDomainName;

    @Option(names = "--os-project-name", paramLabel = "NAME", description = "Project (tenant) name (env OS_PROJECT_NAME).")
    String projectName;

    @Option(names = "--os-project-id", paramLabel = "ID", description = "Project (tenant) id (env OS_PROJECT_ID).")
    String projectId;

    @Option(names = "--os-project-domain-name", paramLabel = "NAME", description = "The project's domain (env OS_PROJECT_DOMAIN_NAME, default Default).")
    String projectDomainName;

    @Option(names = "--os-cacert", paramLabel = "FILE", description = "PEM CA to trust instead of the system's (env OS_CACERT).")
    Path caCert;

    /** Who logs in where: the options, else the environment, validated. */
    record Target(URI authUrl, String username, String userDomainName, ProjectScope project, Path caCert) {
        /** The token cache's key: Keystone, user, user domain and project. */
        String cacheKey() {
            String p = switch (project) {
                case ProjectScope.ById i -> "id:" + i.id();
                case ProjectScope.ByName n -> "name:" + n.domainName() + "/" + n.name();
            };
            return TokenCache.key(authUrl.toString(), username, userDomainName, p);
        }
    }

    /** Issues a project-scoped token by password: Keystone over HTTPS, or a stand-in in tests. */
    interface Issuer {
        IssuedToken issue(Target target, String password);

        Issuer KEYSTONE = (target, password) -> {
            try (KeystoneClient keystone = KeystoneClient.connect(target.authUrl().toString(), target.caCert())) {
                return keystone.issueToken(new PasswordAuth(target.username(), target.userDomainName(), password, target.project()));
            }
        };
    }

    Target resolve(Map<String, String> env) {
        URI url = KeystoneClient.v3(or(authUrl, env.get("OS_AUTH_URL")));
        String user = or(username, env.get("OS_USERNAME"));
        if (user == null) throw new IllegalArgumentException("no user name (set OS_USERNAME or --os-username)");
        String userDomain = or(or(userDomainName, env.get("OS_USER_DOMAIN_NAME")), "Default");
        String projectDomain = or(or(projectDomainName, env.get("OS_PROJECT_DOMAIN_NAME")), "Default");
        ProjectScope project;
        if (blank(projectId) && !blank(projectName)) {
            project = new ProjectScope.ByName(projectName.strip(), projectDomain);
        } else if (!blank(projectId)) {
            project = new ProjectScope.ById(projectId.strip());
        } else if (!blank(env.get("OS_PROJECT_ID"))) {
            project = new ProjectScope.ById(env.get("OS_PROJECT_ID").strip());
        } else if (!blank(env.get("OS_PROJECT_NAME"))) {
            project = new ProjectScope.ByName(env.get("OS_PROJECT_NAME").strip(), projectDomain);
        } else {
            throw new IllegalArgumentException("no project (set OS_PROJECT_NAME or OS_PROJECT_ID, or --os-project-name or --os-project-id)");
        }
        String ca = caCert != null ? caCert.toString() : env.get("OS_CACERT");
        Path caPath = blank(ca) ? null : Path.of(ca).toAbsolutePath().normalize();
        return new Target(url, user, userDomain, project, caPath);
    }

    private static String or(String value, String fallback) {
        return blank(value) ? (blank(fallback) ? null : fallback.strip()) : value.strip();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
