package io.hypernetes.identity;

/** What a role assignment (or a token) applies to: one project or one domain. */
public sealed interface Scope {
    String id();

    /** "project" or "domain", as Keystone's role assignment bodies name the scope. */
    String type();

    static Scope project(String projectId) {
        return new OnProject(projectId);
    }

    static Scope domain(String domainId) {
        return new OnDomain(domainId);
    }

    record OnProject(String id) implements Scope {
        public OnProject {
            Ids.check("project id", id);
        }

        @Override
        public String type() {
            return "project";
        }
    }

    record OnDomain(String id) implements Scope {
        public OnDomain {
            Ids.check("domain id", id);
        }

        @Override
        public String type() {
            return "domain";
        }
    }
}
