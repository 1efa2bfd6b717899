package io.hypernetes.identity;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Password hashing with Argon2id (RFC 9106), stored as a PHC string:
 * {@code $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>}, salt and hash in unpadded standard base64,
 * the format libargon2, passlib and Keystone-adjacent tools read.
 *
 * <p>Default parameters, {@code m=19456 KiB (19 MiB), t=2, p=1}: OWASP's recommended Argon2id minimum. It is
 * memory-hard (each guess costs 19 MiB of memory traffic, which is what makes GPU and ASIC cracking expensive),
 * and measured on this 2-core VM with Bouncy Castle on Temurin 25 ({@code PasswordsBench}) it takes 34-36 ms
 * median per hash once warm (30-67 ms over runs of 20 and 40): slow for a guesser, invisible to a person logging in. RFC 9106's
 * second recommendation (64 MiB, t=3) took 198 ms here, which a burst of logins on two cores would queue behind.
 * One lane, because the JVM computes lanes on one thread anyway.
 *
 * <p>At most one hash per core runs at a time, so a flood of logins queues instead of allocating 19 MiB per
 * request until the heap gives out.
 */
public final class Passwords {
    /** Argon2id cost parameters. */
    public record Parameters(int memoryKiB, int iterations, int parallelism) {
        public Parameters {
            if (memoryKiB < 8 * parallelism || memoryKiB > MAX_MEMORY_KIB) throw new IllegalArgumentException("memory out of range: " + memoryKiB);
            if (iterations < 1 || iterations > MAX_ITERATIONS) throw new IllegalArgumentException("iterations out of range: " + iterations);
            if (parallelism < 1 || parallelism > MAX_PARALLELISM) throw new IllegalArgumentException("parallelism out of range: " + parallelism);
        }
    }

    public static final Parameters DEFAULT = new Parameters(19_456, 2, 1);

    /*
     * Bounds on what a stored hash may ask for: the store is trusted, but a corrupted or planted record must not
     * be able to make one login allocate gigabytes or spin for minutes.
     */
    private static final int MAX_MEMORY_KIB = 1 << 20;
    private static final int MAX_ITERATIONS = 32;
    private static final int MAX_PARALLELISM = 16;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,8}),t=(\\d{1,3}),p=(\\d{1,3})\\$([A-Za-z0-9+/]{11,64})\\$([A-Za-z0-9+/]{22,128})");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    private final Parameters parameters;
    private final SecureRandom random = new SecureRandom();
    private final Semaphore slots = new Semaphore(Math.max(1, Runtime.getRuntime().availableProcessors()), true);

    public Passwords() {
        this(DEFAULT);
    }

    public Passwords(Parameters parameters) {
        this.parameters = parameters;
    }

    public Parameters parameters() {
        return parameters;
    }

    /** Hashes a new password with a fresh random salt. */
    public String hash(CharSequence password) {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        byte[] hash = derive(password, salt, parameters, HASH_BYTES);
        return "$argon2id$v=19$m=" + parameters.memoryKiB() + ",t=" + parameters.iterations() + ",p="
                + parameters.parallelism() + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(hash);
    }

    /**
     * Whether {@code password} matches {@code encoded}. The comparison is constant-time; a malformed or empty
     * encoding matches nothing.
     */
    public boolean verify(CharSequence password, String encoded) {
        Parsed parsed = parse(encoded);
        if (parsed == null) {
            // Spend the same time as a real check, so "no usable hash" is not told apart by timing.
            derive(password, new byte[SALT_BYTES], parameters, HASH_BYTES);
            return false;
        }
        byte[] actual = derive(password, parsed.salt, parsed.parameters, parsed.hash.length);
        return MessageDigest.isEqual(actual, parsed.hash);
    }

    /**
     * Whether a stored hash was made with other parameters than this instance's (or is unreadable), so it should
     * be replaced by {@link #hash} the next time the password is known, that is, at a successful login.
     */
    public boolean needsRehash(String encoded) {
        Parsed parsed = parse(encoded);
        return parsed == null || !parsed.parameters.equals(parameters) || parsed.hash.length != HASH_BYTES;
    }

    /** Burns one hash's time for a login that has no hash to check, so unknown users cost what known ones do. */
    void spendEquivalentTime(CharSequence password) {
        derive(password, new byte[SALT_BYTES], parameters, HASH_BYTES);
    }

    private record Parsed(Parameters parameters, byte[] salt, byte[] hash) {}

    private static Parsed parse(String encoded) {
        if (encoded == null) return null;
        Matcher m = PHC.matcher(encoded);
        if (!m.matches()) return null;
        try {
            Parameters p = new Parameters(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
            return new Parsed(p, B64D.decode(m.group(4)), B64D.decode(m.group(5)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private byte[] derive(CharSequence password, byte[] salt, Parameters p, int length) {
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        byte[] secret = new byte[encoded.remaining()];
        encoded.get(secret);
        if (encoded.hasArray()) Arrays.fill(encoded.array(), (byte) 0);
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(p.memoryKiB())
                .withIterations(p.iterations())
                .withParallelism(p.parallelism())
                .withSalt(salt)
                .build());
        byte[] out = new byte[length];
        slots.acquireUninterruptibly();
        try {
            generator.generateBytes(secret, out);
        } finally {
            slots.release();
            Arrays.fill(secret, (byte) 0);
        }
        return out;
    }
}
