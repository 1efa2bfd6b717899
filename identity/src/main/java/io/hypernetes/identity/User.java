package io.hypernetes.identity;

/**
 * A Keystone user. {@code passwordHash} is an Argon2id PHC string (or empty for a user without a password);
 * it is stored, never shown: {@link #toString()} hides it and the HTTP layer must render users without it.
 */
public record User(String id, String name, String domainId, boolean enabled, String passwordHash) {
    static final int MAX_NAME = 255;

    public User {
        Ids.check("user id", id);
        Ids.checkName("user name", name, MAX_NAME);
        Ids.check("user domain_id", domainId);
        if (passwordHash == null) passwordHash = "";
    }

    public static User of(String name, String domainId, String passwordHash) {
        return new User(Ids.generate(), name, domainId, true, passwordHash);
    }

    public boolean hasPassword() {
        return !passwordHash.isEmpty();
    }

    public User withName(String newName) {
        return new User(id, newName, domainId, enabled, passwordHash);
    }

    public User withEnabled(boolean on) {
        return new User(id, name, domainId, on, passwordHash);
    }

    public User withPasswordHash(String hash) {
        return new User(id, name, domainId, enabled, hash);
    }

    @Override
    public String toString() {
        return "User[id=" + id + ", name=" + name + ", domainId=" + domainId + ", enabled=" + enabled
                + ", password=" + (hasPassword() ? "set" : "none") + "]";
    }
}
