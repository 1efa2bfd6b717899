package io.hypernetes.identity.http;

import io.hypernetes.http.HttpExchange;
import io.hypernetes.identity.Authenticator;
import io.hypernetes.identity.InvalidTokenException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** One routed request: its path parameters, query, body, source address and (on demand) its caller. */
final class Call {
    static final String AUTH_TOKEN = "X-Auth-Token";
    static final String SUBJECT_TOKEN = "X-Subject-Token";
    /** What Keystone's query filters read as false; anything else present is true. */
    private static final Set<String> FALSE = Set.of("0", "false", "f", "no", "n", "off");

    private final HttpExchange exchange;
    private final List<String> params;
    private final Authenticator authenticator;
    private Caller caller;

    Call(HttpExchange exchange, List<String> params, Authenticator authenticator) {
        this.exchange = exchange;
        this.params = params;
        this.authenticator = authenticator;
    }

    String method() {
        return exchange.method();
    }

    String path() {
        return exchange.path();
    }

    String param(int i) {
        return params.get(i);
    }

    /** The last value of a query parameter, or null. */
    String query(String name) {
        return exchange.query(name);
    }

    /** A boolean query parameter as Keystone reads it: present and not false-like ({@code ?nocatalog} alone is true). */
    boolean flag(String name) {
        if (exchange.queryAll(name).isEmpty()) return false;
        String v = exchange.query(name);
        return v == null || !FALSE.contains(v.toLowerCase(Locale.ROOT));
    }

    String header(String name) {
        return exchange.header(name);
    }

    byte[] body() {
        return exchange.body();
    }

    /** The client's IP address: the source wrong passwords are throttled by. */
    String source() {
        InetSocketAddress a = exchange.remoteAddress();
        return a == null ? "unknown" : a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
    }

    /**
     * The validated {@code X-Auth-Token}'s holder.
     *
     * @throws KeystoneError 401 when the header is missing or the token is invalid, expired or revoked
     */
    Caller caller() {
        if (caller == null) {
            String token = header(AUTH_TOKEN);
            if (token == null || token.isEmpty()) {
                throw new KeystoneError(401, "The request you have made requires authentication: no " + AUTH_TOKEN + " header.");
            }
            try {
                caller = new Caller(authenticator.validate(token));
            } catch (InvalidTokenException e) {
                throw new KeystoneError(401, "The request you have made requires authentication: the " + AUTH_TOKEN + " is "
                        + e.reason().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ".");
            }
        }
        return caller;
    }
}
