package io.hypernetes.http;

import java.util.List;
import java.util.Map;

/**
 * Who made a request, as Kubernetes' {@code user.Info}: name, groups and extra attributes
 * (Keystone integrations put the project and roles there).
 */
public record User(String name, List<String> groups, Map<String, List<String>> extra) {
    public static final User ANONYMOUS = new User("system:anonymous", List.of("system:unauthenticated"), Map.of());

    public boolean authenticated() {
        return !this.equals(ANONYMOUS);
    }
}
