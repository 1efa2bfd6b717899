package io.hypernetes.client.keystone;

import java.util.Objects;

/**
 * Keystone's {@code password} method for a user named within a domain (OS_USERNAME, OS_USER_DOMAIN_NAME,
 * OS_PASSWORD), scoped to a project. {@link #toString()} never shows the password.
 */
public record PasswordAuth(String userName, String userDomainName, String password, ProjectScope scope) {
    public PasswordAuth {
        Objects.requireNonNull(userName, "user name");
        Objects.requireNonNull(userDomainName, "user domain name");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(scope, "scope");
    }

    @Override
    public String toString() {
        return "PasswordAuth[userName=" + userName + ", userDomainName=" + userDomainName + ", scope=" + scope + "]";
    }
}
