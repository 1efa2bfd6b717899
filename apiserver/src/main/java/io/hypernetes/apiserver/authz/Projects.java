package io.hypernetes.apiserver.authz;

/**
 * Whether a Keystone project exists: a Network's {@code spec.tenantID} and a namespace's tenant must name one.
 * The built-in identity service answers from its directory; with an external Keystone there is no directory
 * to ask without service credentials, and only administrators can name another tenant's project, so
 * {@link #UNCHECKED} takes their word for it.
 */
@FunctionalInterface
public interface Projects {
    Projects UNCHECKED = projectId -> true;

    boolean exists(String projectId);
}
