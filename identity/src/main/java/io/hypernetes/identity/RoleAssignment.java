package io.hypernetes.identity;

/** A user holds a role on a project or a domain (Keystone's direct, non-inherited assignment). */
public record RoleAssignment(String roleId, String userId, Scope scope) {
    public RoleAssignment {
        Ids.check("role id", roleId);
        Ids.check("user id", userId);
        if (scope == null) throw new ValidationException("scope: a project or a domain is required");
    }
}
