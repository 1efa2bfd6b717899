package io.hypernetes.identity;

import java.time.Instant;
import java.util.List;

/**
 * What a token says, once its signature has been checked: who, scoped to which project (null = unscoped), by
 * which authentication methods, between which instants, and under which audit ids. Keystone's audit id names
 * this token; the audit chain id names the token it was re-scoped from (the first of the chain), so revoking
 * a token can take every token derived from it along.
 */
public record Token(String userId, String projectId, List<String> methods, Instant issuedAt, Instant expiresAt,
        String auditId, String auditChainId) {
    public Token {
        Ids.check("user id", userId);
        if (projectId != null) Ids.check("project id", projectId);
        methods = List.copyOf(methods);
        if (methods.isEmpty()) throw new IllegalArgumentException("a token needs at least one method");
        if (!expiresAt.isAfter(issuedAt)) throw new IllegalArgumentException("a token must expire after it is issued");
    }

    public boolean scoped() {
        return projectId != null;
    }

    /** Keystone's {@code audit_ids}: this token's, then the chain's when it was re-scoped. */
    public List<String> auditIds() {
        return auditId.equals(auditChainId) ? List.of(auditId) : List.of(auditId, auditChainId);
    }
}
