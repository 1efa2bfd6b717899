package io.hypernetes.apiserver.auth;

import io.hypernetes.http.User;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How a validated Keystone token becomes a Kubernetes user, the way cloud-provider-openstack's k8s-keystone-auth
 * maps it, so policies and RBAC bindings written for that webhook read the same attributes here: the name is the
 * Keystone user name, the groups are the project id (plus {@code system:authenticated}, which Kubernetes adds to
 * every authenticated user), and the extra attributes carry the project, the role names and the user's domain.
 *
 * <p>Kubernetes' {@code user.Info} has a UID where k8s-keystone-auth puts the Keystone user id; our {@link User}
 * has none, so the id travels as {@link #USER_ID}. Names can be reused after a user is deleted, ids cannot, so
 * anything that must follow one person (audit, ownership) should key on the id.
 *
 * <p>An unscoped token (no project) authenticates but carries no project id, no project group and no roles:
 * k8s-keystone-auth would send empty strings, which an authorizer could mistake for a project called "".
 *
 * <p>The accessors are what the authorizer reads. They trust the extra attributes only on users this class made
 * ({@link #isKeystone}); client certificates cannot set extras, so a certificate cannot pose as a Keystone user.
 */
public final class KeystoneUsers {
    public static final String PROJECT_ID = "alpha.kubernetes.io/identity/project/id";
    public static final String PROJECT_NAME = "alpha.kubernetes.io/identity/project/name";
    public static final String ROLES = "alpha.kubernetes.io/identity/roles";
    public static final String USER_DOMAIN_ID = "alpha.kubernetes.io/identity/user/domain/id";
    public static final String USER_DOMAIN_NAME = "alpha.kubernetes.io/identity/user/domain/name";
    /** Ours, not k8s-keystone-auth's: the Keystone user id, which Kubernetes would carry as the UID. */
    public static final String USER_ID = "hypernetes.io/identity/user/id";

    static final String AUTHENTICATED = "system:authenticated";

    private KeystoneUsers() {}

    /**
     * The user a token stands for.
     *
     * @param projectId null for an unscoped token (then {@code projectName} is ignored and {@code roles} must be empty)
     * @param roles role names on the project, in Keystone's order
     */
    public static User of(String userId, String userName, String domainId, String domainName, String projectId,
            String projectName, List<String> roles) {
        Objects.requireNonNull(userId, "user id");
        Objects.requireNonNull(userName, "user name");
        Map<String, List<String>> extra = new LinkedHashMap<>();
        extra.put(USER_ID, List.of(userId));
        if (domainId != null) extra.put(USER_DOMAIN_ID, List.of(domainId));
        if (domainName != null) extra.put(USER_DOMAIN_NAME, List.of(domainName));
        List<String> groups = new ArrayList<>(2);
        if (projectId != null) {
            groups.add(projectId);
            extra.put(PROJECT_ID, List.of(projectId));
            if (projectName != null) extra.put(PROJECT_NAME, List.of(projectName));
            extra.put(ROLES, List.copyOf(roles));
        }
        groups.add(AUTHENTICATED);
        return new User(userName, List.copyOf(groups), java.util.Collections.unmodifiableMap(extra));
    }

    /** Whether the user was authenticated by a Keystone token (and so its extras are Keystone's word). */
    public static boolean isKeystone(User u) {
        return u != null && single(u, USER_ID).isPresent();
    }

    /** The project the user's token is scoped to; empty for unscoped tokens and for non-Keystone users. */
    public static Optional<String> projectId(User u) {
        return isKeystone(u) ? single(u, PROJECT_ID) : Optional.empty();
    }

    /** The names of the roles the user holds on its token's project; empty when unscoped or not a Keystone user. */
    public static Set<String> roles(User u) {
        if (!isKeystone(u) || projectId(u).isEmpty()) return Set.of();
        List<String> names = u.extra().getOrDefault(ROLES, List.of());
        return java.util.Collections.unmodifiableSet(new LinkedHashSet<>(names));
    }

    /** The Keystone user id; empty for non-Keystone users. */
    public static Optional<String> userId(User u) {
        return isKeystone(u) ? single(u, USER_ID) : Optional.empty();
    }

    private static Optional<String> single(User u, String key) {
        List<String> values = u.extra() == null ? null : u.extra().get(key);
        if (values == null || values.size() != 1 || values.getFirst() == null || values.getFirst().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(values.getFirst());
    }
}
