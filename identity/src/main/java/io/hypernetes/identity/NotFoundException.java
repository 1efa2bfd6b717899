package io.hypernetes.identity;

/** The named domain, project, user, role or assignment does not exist. */
public final class NotFoundException extends IdentityException {
    public NotFoundException(String message) {
        super(message);
    }

    @Override
    public int status() {
        return 404;
    }
}
