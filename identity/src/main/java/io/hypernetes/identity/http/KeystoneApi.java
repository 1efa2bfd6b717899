package io.hypernetes.identity.http;

import io.hypernetes.api.json.Json;
import io.hypernetes.http.Handler;
import io.hypernetes.http.HttpExchange;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.IdentityException;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The identity service's {@link Handler}: routes a request, runs it, and writes the {@link Reply} or the
 * Keystone error it ended in. Every refusal, from the core's {@link IdentityException}s to an unknown path,
 * leaves as {@code {"error": {...}}}; a 401 carries {@code WWW-Authenticate: Keystone uri="..."} so clients know
 * where to get a token.
 */
final class KeystoneApi implements Handler {
    private static final Logger LOG = LoggerFactory.getLogger(KeystoneApi.class);

    private final Identity identity;
    /**
     * The routes need the service's own URL (links, catalog), which is known only once the server has bound its
     * port; a request arriving in that instant waits for it (handlers run on virtual threads, so waiting is cheap).
     */
    private final CompletableFuture<Routes> routes;

    private record Routes(Views views, Router router) {}

    KeystoneApi(Identity identity, CompletableFuture<Views> views) {
        this.identity = identity;
        this.routes = views.thenApply(v -> {
            Router router = new Router();
            new AuthResource(identity, v).register(router);
            new DirectoryResource(identity, v).register(router);
            return new Routes(v, router);
        });
    }

    @Override
    public void handle(HttpExchange exchange) {
        Routes r = routes.join();
        Reply reply;
        try {
            Router.Match match = r.router().route(exchange.method(), exchange.path());
            reply = match.action().handle(new Call(exchange, match.params(), identity.authenticator()));
        } catch (KeystoneError e) {
            reply = error(e, r.views());
        } catch (IdentityException e) {
            reply = error(KeystoneError.of(e), r.views());
        } catch (RuntimeException e) {
            LOG.error("{} {}: {}", exchange.method(), exchange.path(), e.toString(), e);
            reply = error(new KeystoneError(500, "An unexpected error prevented the server from fulfilling your request."), r.views());
        }
        if (!exchange.method().equals("GET") && !exchange.method().equals("HEAD")) {
            LOG.info("{} {} -> {}", exchange.method(), Fields.printable(exchange.path()), reply.status());
        }
        write(exchange, reply);
    }

    private static Reply error(KeystoneError e, Views views) {
        KeystoneError withHeaders = e.code() == 401 ? e.withHeader("WWW-Authenticate", "Keystone uri=\"" + views.root() + "\"") : e;
        return new Reply(withHeaders.code(), withHeaders.json(), withHeaders.headers());
    }

    /** {@code HEAD} gets the status and headers its {@code GET} would, without the body. */
    private static void write(HttpExchange exchange, Reply reply) {
        reply.headers().forEach(exchange::header);
        // what an answer says depends on who asks: caches must key on the token
        exchange.header("Vary", Call.AUTH_TOKEN);
        byte[] body = reply.body() == null || exchange.method().equals("HEAD") ? new byte[0] : Json.bytes(reply.body());
        exchange.respond(reply.status(), "application/json", body);
    }
}
