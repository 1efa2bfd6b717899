package io.hypernetes.identity;

/** A Keystone role (global, not domain-specific). Names are unique. */
public record Role(String id, String name) {
    static final int MAX_NAME = 255;

    public Role {
        Ids.check("role id", id);
        Ids.checkName("role name", name, MAX_NAME);
    }

    public static Role of(String name) {
        return new Role(Ids.generate(), name);
    }
}
