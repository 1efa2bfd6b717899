package io.hypernetes.identity;

/** A Keystone domain: a namespace for projects and users. Names are unique across domains. */
public record Domain(String id, String name, String description, boolean enabled) {
    /** Keystone's well-known default domain, which clients name when they name none. */
    public static final String DEFAULT_ID = "default";
    public static final String DEFAULT_NAME = "Default";
    static final int MAX_NAME = 64;

    public Domain {
        Ids.check("domain id", id);
        Ids.checkName("domain name", name, MAX_NAME);
        description = Ids.checkDescription(description);
    }

    public static Domain of(String name, String description) {
        return new Domain(Ids.generate(), name, description, true);
    }

    public Domain withName(String newName) {
        return new Domain(id, newName, description, enabled);
    }

    public Domain withEnabled(boolean on) {
        return new Domain(id, name, description, on);
    }

    public Domain withDescription(String text) {
        return new Domain(id, name, text, enabled);
    }
}
