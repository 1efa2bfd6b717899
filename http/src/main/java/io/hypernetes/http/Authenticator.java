package io.hypernetes.http;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/** Turns a request's credentials (TLS client certificate, bearer token) into a {@link User}. */
@FunctionalInterface
public interface Authenticator {
    /**
     * @return the user, or empty when the request carries no credentials this authenticator understands
     * @throws HttpError 401 when it carries credentials that are invalid
     */
    Optional<User> authenticate(SSLSession tls, HttpHeaders headers);
}
