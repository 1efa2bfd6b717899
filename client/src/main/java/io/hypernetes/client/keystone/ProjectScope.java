package io.hypernetes.client.keystone;

import java.util.Objects;

/** The project a token is scoped to, named as Keystone's {@code auth.scope.project} names it. */
public sealed interface ProjectScope {
    /** {@code {"project": {"name": …, "domain": {"name": …}}}}: OS_PROJECT_NAME and OS_PROJECT_DOMAIN_NAME. */
    record ByName(String name, String domainName) implements ProjectScope {
        public ByName {
            Objects.requireNonNull(name, "project name");
            Objects.requireNonNull(domainName, "project domain name");
        }
    }

    /** {@code {"project": {"id": …}}}: OS_PROJECT_ID. */
    record ById(String id) implements ProjectScope {
        public ById {
            Objects.requireNonNull(id, "project id");
        }
    }

    /** How messages name it: {@code "demo"} or {@code "id 0123…"}. */
    default String describe() {
        return switch (this) {
            case ByName n -> n.name();
            case ById i -> "id " + i.id();
        };
    }
}
