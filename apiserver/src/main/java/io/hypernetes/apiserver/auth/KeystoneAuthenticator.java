package io.hypernetes.apiserver.auth;

import io.hypernetes.apiserver.ApiException;
import io.hypernetes.http.Authenticator;
import io.hypernetes.http.User;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' bearer-token authentication with Keystone tokens: {@code Authorization: Bearer <token>}, validated
 * by a {@link TokenValidator} and mapped to a user by {@link KeystoneUsers}. A request without a bearer token is
 * not this authenticator's business (empty), so client certificates and anonymous requests go on as before; a
 * request with one that is not valid is refused with 401 rather than served anonymously, as Kubernetes does.
 *
 * <p><b>Cache.</b> Asking Keystone on every request would put an HTTPS round trip (or a store read) in front of
 * each of kubectl's calls and let a burst of requests hammer Keystone, so verdicts are remembered, keyed by the
 * SHA-256 of the token (the cache never holds a usable credential):
 * <ul>
 *   <li>a valid token for at most {@link #DEFAULT_VALID_FOR} (5 s) and never past its expiry, so a revoked token
 *       stops working within 5 s — the product promises 10;
 *   <li>an invalid token for {@link #DEFAULT_INVALID_FOR} (1 s): enough to absorb a flood of one bad token,
 *       short enough that a role granted a moment after a refusal takes effect at once;
 *   <li>an identity service outage never: the request is refused and logged, the next one asks again.
 * </ul>
 * Concurrent requests with the same uncached token share one validation. The cache holds at most
 * {@link #DEFAULT_MAX_ENTRIES} tokens and forgets the oldest first; every entry is young, so that is only a bound
 * on memory when many distinct tokens arrive at once.
 */
public final class KeystoneAuthenticator implements Authenticator {
    private static final Logger log = LoggerFactory.getLogger(KeystoneAuthenticator.class);

    public static final Duration DEFAULT_VALID_FOR = Duration.ofSeconds(5);
    public static final Duration DEFAULT_INVALID_FOR = Duration.ofSeconds(1);
    public static final int DEFAULT_MAX_ENTRIES = 10_000;
    /** Longer than any real token (Keystone's Fernet tokens are ~200 characters, ours ~220, old PKI ones a few KiB). */
    static final int MAX_TOKEN = 8192;

    /** What validating a token came to. {@code user} is null for an invalid token or an outage. */
    private record Outcome(User user, boolean unavailable) {
        static final Outcome INVALID = new Outcome(null, false);
        static final Outcome UNAVAILABLE = new Outcome(null, true);
    }

    /** A verdict, or a validation in flight ({@code until} null) that later requests for the same token wait on. */
    private record Slot(CompletableFuture<Outcome> outcome, Instant until) {}

    private final TokenValidator validator;
    private final Clock clock;
    private final Duration validFor;
    private final Duration invalidFor;
    private final int maxEntries;
    /** Insertion-ordered, so the eldest entry is the one to evict; guarded by itself. */
    private final LinkedHashMap<String, Slot> cache = new LinkedHashMap<>();

    public KeystoneAuthenticator(TokenValidator validator) {
        this(validator, Clock.systemUTC(), DEFAULT_VALID_FOR, DEFAULT_INVALID_FOR, DEFAULT_MAX_ENTRIES);
    }

    public KeystoneAuthenticator(TokenValidator validator, Clock clock, Duration validFor, Duration invalidFor, int maxEntries) {
        this.validator = Objects.requireNonNull(validator);
        this.clock = Objects.requireNonNull(clock);
        this.validFor = Objects.requireNonNull(validFor);
        this.invalidFor = Objects.requireNonNull(invalidFor);
        if (maxEntries < 1) throw new IllegalArgumentException("maxEntries must be positive");
        this.maxEntries = maxEntries;
    }

    @Override
    public Optional<User> authenticate(SSLSession tls, HttpHeaders headers) {
        String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (authorization == null) return Optional.empty();
        String value = authorization.strip();
        int space = indexOfWhitespace(value);
        String scheme = space < 0 ? value : value.substring(0, space);
        // Other schemes (Basic, Negotiate…) belong to no authenticator here; the request goes on without them.
        if (!scheme.equalsIgnoreCase("Bearer")) return Optional.empty();
        String token = space < 0 ? "" : value.substring(space + 1).strip();
        if (!plausible(token)) {
            log.debug("refused a malformed bearer token ({} characters)", token.length());
            throw ApiException.unauthorized();
        }
        Outcome outcome = lookup(token);
        if (outcome.user() == null) throw ApiException.unauthorized();
        return Optional.of(outcome.user());
    }

    private static int indexOfWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == ' ' || s.charAt(i) == '\t') return i;
        }
        return -1;
    }

    /**
     * Visible ASCII and of a sane length: anything else cannot be a Keystone token, is refused without asking
     * Keystone, and cannot reach an HTTP header or a log line where it could do harm.
     */
    static boolean plausible(String token) {
        if (token.isEmpty() || token.length() > MAX_TOKEN) return false;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x21 || c > 0x7e) return false;
        }
        return true;
    }

    private Outcome lookup(String token) {
        String key = sha256(token);
        CompletableFuture<Outcome> mine = null;
        CompletableFuture<Outcome> pending;
        synchronized (cache) {
            Slot slot = cache.get(key);
            if (slot != null && (slot.until() == null || clock.instant().isBefore(slot.until()))) {
                pending = slot.outcome();
            } else {
                mine = new CompletableFuture<>();
                pending = mine;
                cache.remove(key); // re-inserted at the young end
                cache.put(key, new Slot(mine, null));
                evictOverflow();
            }
        }
        if (mine != null) validate(token, key, mine);
        return pending.join();
    }

    private void validate(String token, String key, CompletableFuture<Outcome> mine) {
        Outcome outcome = Outcome.UNAVAILABLE;
        Instant expiresAt = null;
        try {
            Optional<TokenValidator.Validated> v = validator.validate(token);
            if (v.isPresent()) {
                outcome = new Outcome(v.get().user(), false);
                expiresAt = v.get().expiresAt();
            } else {
                outcome = Outcome.INVALID;
                log.debug("refused an invalid Keystone token (sha256 {}…)", key.substring(0, 12));
            }
        } catch (IdentityUnavailableException e) {
            log.warn("refused a bearer token because the identity service could not validate it: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("token validation failed unexpectedly", e);
        } finally {
            Instant now = clock.instant();
            Instant until;
            if (outcome.unavailable()) until = null;
            else if (outcome.user() == null) until = now.plus(invalidFor);
            else until = min(now.plus(validFor), expiresAt);
            synchronized (cache) {
                Slot current = cache.get(key);
                if (current != null && current.outcome() == mine) {
                    if (until == null || !until.isAfter(now)) cache.remove(key);
                    else cache.put(key, new Slot(mine, until));
                }
            }
            mine.complete(outcome);
        }
    }

    private static Instant min(Instant a, Instant b) {
        return b == null || a.isBefore(b) ? a : b;
    }

    /**
     * Drops the eldest entries beyond the bound. Insertion order is verdict order, and every verdict lives at most
     * a few seconds, so the eldest is also the nearest to expiry. Holds the cache lock.
     */
    private void evictOverflow() {
        Iterator<Map.Entry<String, Slot>> it = cache.entrySet().iterator();
        while (cache.size() > maxEntries && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    /** How many tokens the cache holds now (for tests and metrics). */
    public int cached() {
        synchronized (cache) {
            return cache.size();
        }
    }

    private static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
