package io.hypernetes.client.keystone;

import java.net.URI;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A project-scoped token as {@code POST /v3/auth/tokens} issued it: the {@code X-Subject-Token}, its expiry, who and
 * what it is for, and the catalog's public {@code kubernetes} endpoint when the catalog has one.
 * {@link #toString()} never shows the token.
 */
public record IssuedToken(String token, Instant expiresAt, String userId, String userName, String projectId,
        String projectName, Optional<URI> kubernetesUrl) {
    public IssuedToken {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(kubernetesUrl, "kubernetesUrl");
    }

    @Override
    public String toString() {
        return "IssuedToken[expiresAt=" + expiresAt + ", user=" + userName + " (" + userId + "), project=" + projectName
                + " (" + projectId + "), kubernetesUrl=" + kubernetesUrl.map(URI::toString).orElse("none") + "]";
    }
}
