package io.hypernetes.identity;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.store.KeyExistsException;
import io.hypernetes.store.KeyNotFoundException;
import io.hypernetes.store.KeyValue;
import io.hypernetes.store.RevisionMismatchException;
import io.hypernetes.store.Store;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.BufferUnderflowException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Issues, validates and revokes tokens. A token is self-contained and signed, so validating one needs no
 * lookup of the token itself (like Keystone's Fernet tokens, unlike its old UUID tokens): only the revocation
 * list is consulted, and the user, project and roles are looked up fresh by whoever renders the token body.
 *
 * <p>Format (then URL-safe base64 without padding, about 220 characters for a scoped token, the size of a Keystone Fernet token):
 * <pre>
 * version (1) = 1 | key id (4) | body length (2) | body | HMAC-SHA256(key, everything before) (32)
 * body = issued at, epoch ms (8) | expires at, epoch ms (8) | method count (1) {length (1) ascii}*
 *      | user id: length (1) ascii | project id: length (1, 0 = unscoped) ascii | audit id (16) | audit chain id (16)
 * </pre>
 *
 * <p><b>Why HMAC and not AES-GCM.</b> Encryption would hide the user id, project id and methods from the
 * holder, but the holder is shown all of them in the token body anyway, and anyone else should never see the
 * token at all. What matters is that nobody can make or alter one, which is exactly what a MAC gives, with no
 * nonce to manage (GCM with random 96-bit nonces must also bound how many tokens one key signs). Clients must
 * still treat tokens as opaque: the layout may change under a new version byte.
 *
 * <p>Revocation is by audit id, stored at {@code /identity/revocations/<audit id>} with the instant the token
 * would expire anyway; a revoked audit id also revokes the tokens re-scoped from it (their chain id), so a
 * stolen token cannot be laundered through re-scoping. Expired revocations are dropped by
 * {@link #purgeRevocations()}.
 */
public final class Tokens {
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(1);
    static final String REVOCATIONS = Table.ROOT + "revocations/";
    static final String USER_REVOCATIONS = Table.ROOT + "user-revocations/";
    private static final byte VERSION = 1;
    private static final int HEADER = 1 + 4 + 2;
    private static final int MAC = 32;
    private static final int AUDIT_BYTES = 16;
    /** Tokens are ~220 characters; anything far longer is not ours and is refused before decoding. */
    private static final int MAX_CHARS = 1024;

    private final TokenKeys keys;
    private final Store store;
    private final Clock clock;
    private final Duration lifetime;
    private final SecureRandom random = new SecureRandom();

    Tokens(TokenKeys keys, Store store, Clock clock, Duration lifetime) {
        if (lifetime.isNegative() || lifetime.isZero()) throw new IllegalArgumentException("token lifetime must be positive");
        this.keys = keys;
        this.store = store;
        this.clock = clock;
        this.lifetime = lifetime;
    }

    /**
     * Tokens signed with the keys in {@code dataDir/identity/keys} (made on first use), revoked through
     * {@code store}, expiring after {@code lifetime}. Three keys are kept across rotations.
     */
    public static Tokens open(Path dataDir, Store store, Clock clock, Duration lifetime) {
        return new Tokens(new TokenKeys(dataDir.resolve("identity").resolve("keys"), 3), store, clock, lifetime);
    }

    public Duration lifetime() {
        return lifetime;
    }

    /** A new token for a user, scoped to {@code projectId} or unscoped (null). */
    public Token issue(String userId, String projectId, List<String> methods) {
        Instant now = now();
        String audit = newAuditId();
        return new Token(userId, projectId, methods, now, now.plus(lifetime), audit, audit);
    }

    /**
     * A token derived from {@code parent} (Keystone's {@code token} method): another scope, the parent's methods
     * plus {@code token}, and the parent's expiry, so re-scoping can never extend a token's life.
     */
    public Token rescope(Token parent, String projectId) {
        List<String> methods = new ArrayList<>(List.of("token"));
        parent.methods().stream().filter(m -> !methods.contains(m)).forEach(methods::add);
        return new Token(parent.userId(), projectId, methods, now(), parent.expiresAt(), newAuditId(), parent.auditChainId());
    }

    /** The token string handed to the client, signed with the primary key. */
    public String sign(Token token) {
        ByteBuffer body = ByteBuffer.allocate(512);
        body.putLong(token.issuedAt().toEpochMilli()).putLong(token.expiresAt().toEpochMilli());
        body.put((byte) token.methods().size());
        for (String m : token.methods()) putShort(body, m);
        putShort(body, token.userId());
        putShort(body, token.projectId() == null ? "" : token.projectId());
        body.put(Base64.getUrlDecoder().decode(token.auditId())).put(Base64.getUrlDecoder().decode(token.auditChainId()));
        body.flip();

        TokenKeys.Key key = keys.primary();
        ByteBuffer out = ByteBuffer.allocate(HEADER + body.remaining() + MAC);
        out.put(VERSION).put(key.id()).putShort((short) body.remaining()).put(body);
        out.put(mac(key.secret(), out.array(), out.position()));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(out.array());
    }

    /**
     * The claims of a valid token.
     *
     * @throws InvalidTokenException naming why it is not valid
     */
    public Token validate(String token) {
        Token claims = verify(token);
        if (!now().isBefore(claims.expiresAt())) throw new InvalidTokenException(InvalidTokenException.Reason.EXPIRED);
        if (revoked(claims.auditId()) || revoked(claims.auditChainId())
                || claims.issuedAt().isBefore(userIssuedBefore(claims.userId()))) {
            throw new InvalidTokenException(InvalidTokenException.Reason.REVOKED);
        }
        return claims;
    }

    /**
     * Revokes every token of a user issued up to now (Keystone does this when a password changes or a user is
     * disabled): one record per user, {@code /identity/user-revocations/<user id>}, holding the instant before
     * which its tokens are void. A token issued within the same millisecond counts as before.
     */
    public void revokeUser(String userId) {
        Ids.check("user id", userId);
        Instant before = now().plusMillis(1);
        String key = USER_REVOCATIONS + userId;
        byte[] value = Json.bytes(Json.object().put("issued_before", before.toEpochMilli())
                .put("expires_at", before.plus(lifetime).toEpochMilli()));
        for (int attempt = 0; attempt < 16; attempt++) {
            var current = store.get(key);
            try {
                if (current.isEmpty()) store.create(key, value);
                else store.update(key, value, current.get().modRevision());
                return;
            } catch (KeyExistsException | KeyNotFoundException | RevisionMismatchException raced) {
                // another revocation of the same user: ours is at least as late, so write again
            }
        }
        throw new ConflictException("user " + userId + " is being revoked concurrently; try again");
    }

    private Instant userIssuedBefore(String userId) {
        return store.get(USER_REVOCATIONS + userId).map(kv -> {
            try {
                return Instant.ofEpochMilli(Json.parse(kv.value()).path("issued_before").asLong(Long.MAX_VALUE));
            } catch (IOException e) {
                return Instant.MAX; // unreadable: fail closed
            }
        }).orElse(Instant.MIN);
    }

    /** Revokes this token and every token re-scoped from it, until they would have expired anyway. */
    public void revoke(Token token) {
        revoke(token.auditId(), token.expiresAt());
    }

    /** Revokes every token carrying {@code auditId} (as its own or its chain's) up to {@code until}. */
    public void revoke(String auditId, Instant until) {
        checkAuditId(auditId);
        try {
            store.create(REVOCATIONS + auditId, Json.bytes(Json.object().put("expires_at", until.toEpochMilli())));
        } catch (KeyExistsException alreadyRevoked) {
            // revoking twice is revoking
        }
    }

    /** Drops revocations of tokens that have expired by now, of single tokens and of users; returns how many. */
    public int purgeRevocations() {
        return purge(REVOCATIONS) + purge(USER_REVOCATIONS);
    }

    private int purge(String prefix) {
        long now = now().toEpochMilli();
        int purged = 0;
        for (KeyValue kv : store.range(prefix, Store.prefixEnd(prefix), 0, 0).kvs()) {
            long until;
            try {
                JsonNode json = Json.parse(kv.value());
                until = json.path("expires_at").asLong(Long.MAX_VALUE);
            } catch (IOException e) {
                continue; // keep what we cannot read: forgetting a revocation is the unsafe direction
            }
            if (until > now) continue;
            try {
                store.delete(kv.key(), kv.modRevision());
                purged++;
            } catch (KeyNotFoundException | RevisionMismatchException raced) {
                // someone else purged or re-revoked it
            }
        }
        return purged;
    }

    /** Makes a new signing key; older keys keep validating the tokens they signed (see {@code TokenKeys}). */
    public void rotateKeys() {
        keys.rotate();
    }

    private boolean revoked(String auditId) {
        return store.get(REVOCATIONS + auditId).isPresent();
    }

    private Token verify(String token) {
        if (token == null || token.isEmpty() || token.length() > MAX_CHARS) throw invalid(InvalidTokenException.Reason.MALFORMED);
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            // Only base64url characters but an impossible length: a token cut at a character boundary.
            boolean cut = token.chars().allMatch(c -> Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_');
            throw invalid(cut ? InvalidTokenException.Reason.TRUNCATED : InvalidTokenException.Reason.MALFORMED);
        }
        if (raw.length >= 1 && raw[0] != VERSION) throw invalid(InvalidTokenException.Reason.MALFORMED);
        if (raw.length < HEADER) throw invalid(InvalidTokenException.Reason.TRUNCATED);
        ByteBuffer in = ByteBuffer.wrap(raw);
        in.get();
        byte[] keyId = new byte[4];
        in.get(keyId);
        int bodyLength = Short.toUnsignedInt(in.getShort());
        int expected = HEADER + bodyLength + MAC;
        if (raw.length < expected) throw invalid(InvalidTokenException.Reason.TRUNCATED);
        if (raw.length > expected) throw invalid(InvalidTokenException.Reason.MALFORMED);
        TokenKeys.Key key = keys.byId(keyId);
        if (key == null) throw invalid(InvalidTokenException.Reason.UNKNOWN_KEY);
        byte[] signature = java.util.Arrays.copyOfRange(raw, expected - MAC, expected);
        if (!MessageDigest.isEqual(mac(key.secret(), raw, expected - MAC), signature)) {
            throw invalid(InvalidTokenException.Reason.BAD_SIGNATURE);
        }
        // Authentic from here on: a parse failure means a bug or a format we no longer speak, not an attack.
        try {
            Instant issued = Instant.ofEpochMilli(in.getLong());
            Instant expires = Instant.ofEpochMilli(in.getLong());
            int count = Byte.toUnsignedInt(in.get());
            List<String> methods = new ArrayList<>(count);
            for (int i = 0; i < count; i++) methods.add(getShort(in));
            String user = getShort(in);
            String project = getShort(in);
            byte[] audit = new byte[AUDIT_BYTES];
            byte[] chain = new byte[AUDIT_BYTES];
            in.get(audit).get(chain);
            if (in.position() != expected - MAC) throw invalid(InvalidTokenException.Reason.MALFORMED);
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            return new Token(user, project.isEmpty() ? null : project, methods, issued, expires,
                    b64.encodeToString(audit), b64.encodeToString(chain));
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw invalid(InvalidTokenException.Reason.MALFORMED);
        }
    }

    private static InvalidTokenException invalid(InvalidTokenException.Reason reason) {
        return new InvalidTokenException(reason);
    }

    private Instant now() {
        return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    }

    /** 16 random bytes in URL-safe base64 (22 characters), the shape of Keystone's audit ids. */
    private String newAuditId() {
        byte[] bytes = new byte[AUDIT_BYTES];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static void checkAuditId(String auditId) {
        if (auditId == null || !auditId.matches("[A-Za-z0-9_-]{22}")) {
            throw new ValidationException("audit id: must be 22 URL-safe base64 characters");
        }
    }

    private static void putShort(ByteBuffer out, String ascii) {
        byte[] bytes = ascii.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > 255) throw new IllegalArgumentException("too long for a token: " + ascii);
        out.put((byte) bytes.length).put(bytes);
    }

    private static String getShort(ByteBuffer in) {
        byte[] bytes = new byte[Byte.toUnsignedInt(in.get())];
        in.get(bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static byte[] mac(byte[] secret, byte[] data, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(data, 0, length);
            return mac.doFinal();
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new AssertionError(e);
        }
    }
}
