package io.hypernetes.identity;

/** A Keystone project: a Hypernetes tenant. Names are unique within a domain. */
public record Project(String id, String name, String domainId, String description, boolean enabled) {
    static final int MAX_NAME = 64;

    public Project {
        Ids.check("project id", id);
        Ids.checkName("project name", name, MAX_NAME);
        Ids.check("project domain_id", domainId);
        description = Ids.checkDescription(description);
    }

    public static Project of(String name, String domainId, String description) {
        return new Project(Ids.generate(), name, domainId, description, true);
    }

    public Project withName(String newName) {
        return new Project(id, newName, domainId, description, enabled);
    }

    public Project withEnabled(boolean on) {
        return new Project(id, name, domainId, description, on);
    }

    public Project withDescription(String text) {
        return new Project(id, name, domainId, text, enabled);
    }
}
