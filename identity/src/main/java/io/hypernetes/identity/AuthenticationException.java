package io.hypernetes.identity;

/**
 * Credentials were refused. The message is deliberately the same for an unknown user, a wrong password and a
 * disabled account, so the answer never tells an attacker which names exist; {@link #reason()} is for logs.
 */
public final class AuthenticationException extends IdentityException {
    public enum Reason { NO_SUCH_USER, WRONG_PASSWORD, USER_DISABLED, PROJECT_DISABLED, NO_ROLE_ON_PROJECT, NO_SUCH_PROJECT, INVALID_TOKEN }

    private final Reason reason;

    AuthenticationException(Reason reason) {
        super(switch (reason) {
            case NO_ROLE_ON_PROJECT, NO_SUCH_PROJECT, PROJECT_DISABLED -> "The request you have made requires authentication: no access to the requested project.";
            default -> "The request you have made requires authentication.";
        });
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    @Override
    public int status() {
        return 401;
    }
}
