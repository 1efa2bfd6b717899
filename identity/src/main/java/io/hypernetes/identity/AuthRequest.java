package io.hypernetes.identity;

/**
 * What {@code POST /v3/auth/tokens} asks for: credentials by one method, and optionally a project scope.
 *
 * @param scope the project to scope the token to, or null for an unscoped token
 */
public record AuthRequest(Credentials credentials, ProjectRef scope) {
    public static final int MAX_PASSWORD = 4096;

    public AuthRequest {
        if (credentials == null) throw new ValidationException("auth.identity: a method is required");
    }

    /** Keystone's identity methods this service speaks. */
    public sealed interface Credentials {}

    /** The {@code password} method. */
    public record Password(UserRef user, String password) implements Credentials {
        public Password {
            if (user == null) throw new ValidationException("auth.identity.password.user: required");
            if (password == null) throw new ValidationException("auth.identity.password.user.password: required");
            // Keystone's limit too; it also bounds what a request can make the hash function read.
            if (password.length() > MAX_PASSWORD) {
                throw new ValidationException("auth.identity.password.user.password: at most " + MAX_PASSWORD + " characters");
            }
        }

        @Override
        public String toString() {
            return "Password[user=" + user + "]";
        }
    }

    /** The {@code token} method: an existing token, re-scoped. */
    public record ExistingToken(String token) implements Credentials {
        public ExistingToken {
            if (token == null || token.isEmpty()) throw new ValidationException("auth.identity.token.id: required");
        }

        @Override
        public String toString() {
            return "ExistingToken[…]";
        }
    }

    public sealed interface DomainRef {
        record ById(String id) implements DomainRef {
            public ById {
                if (id == null || id.isEmpty()) throw new ValidationException("domain.id: required");
            }
        }

        record ByName(String name) implements DomainRef {
            public ByName {
                if (name == null || name.isEmpty()) throw new ValidationException("domain.name: required");
            }
        }
    }

    /** A user by id, or by name within a domain (Keystone requires the domain with a name). */
    public sealed interface UserRef {
        record ById(String id) implements UserRef {
            public ById {
                if (id == null || id.isEmpty()) throw new ValidationException("auth.identity.password.user.id: required");
            }
        }

        record ByName(String name, DomainRef domain) implements UserRef {
            public ByName {
                if (name == null || name.isEmpty()) throw new ValidationException("auth.identity.password.user.name: required");
                if (domain == null) throw new ValidationException("auth.identity.password.user.domain: required with a user name");
            }
        }
    }

    public sealed interface ProjectRef {
        record ById(String id) implements ProjectRef {
            public ById {
                if (id == null || id.isEmpty()) throw new ValidationException("auth.scope.project.id: required");
            }
        }

        record ByName(String name, DomainRef domain) implements ProjectRef {
            public ByName {
                if (name == null || name.isEmpty()) throw new ValidationException("auth.scope.project.name: required");
                if (domain == null) throw new ValidationException("auth.scope.project.domain: required with a project name");
            }
        }
    }
}
