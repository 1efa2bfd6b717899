package io.hypernetes.image;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A user name and password (or token) for a registry, as in an {@code imagePullSecret}'s {@code auths} entry; they
 * are sent as HTTP basic credentials to the registry or to its token service, and never across a redirect to
 * another origin.
 */
public record Credentials(String username, String password) {
    /** No credentials: anonymous pulls, and anonymous bearer tokens where the registry hands them out. */
    public static final Credentials ANONYMOUS = new Credentials("", "");

    public Credentials {
        if (username == null || password == null) {
            throw new IllegalArgumentException("username and password must not be null (use Credentials.ANONYMOUS)");
        }
    }

    public boolean anonymous() {
        return username.isEmpty() && password.isEmpty();
    }

    String basicAuthorization() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return anonymous() ? "Credentials[anonymous]" : "Credentials[" + username + ", ****]";
    }
}
