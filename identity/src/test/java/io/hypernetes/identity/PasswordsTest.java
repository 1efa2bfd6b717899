package io.hypernetes.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.junit.jupiter.api.Test;

class PasswordsTest {
    // Small parameters keep the suite fast; the format and logic are the same as with the defaults.
    final Passwords passwords = new Passwords(new Passwords.Parameters(64, 1, 1));

    @Test
    void hashIsAPhcStringThatVerifies() {
        String hash = passwords.hash("s3cret ü");
        assertThat(hash).matches("\\$argon2id\\$v=19\\$m=64,t=1,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
        assertThat(passwords.verify("s3cret ü", hash)).isTrue();
        assertThat(passwords.verify("s3cret u", hash)).isFalse();
        assertThat(passwords.verify("", hash)).isFalse();
    }

    @Test
    void saltsDiffer() {
        assertThat(passwords.hash("same")).isNotEqualTo(passwords.hash("same"));
    }

    @Test
    void defaultsAreOwaspArgon2idMinimum() {
        assertThat(Passwords.DEFAULT).isEqualTo(new Passwords.Parameters(19_456, 2, 1));
        Passwords real = new Passwords();
        String hash = real.hash("pw");
        assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
        assertThat(real.verify("pw", hash)).isTrue();
    }

    @Test
    void matchesTheRfc9106Construction() {
        // Same derivation done directly with Bouncy Castle from the PHC string's own salt: the string is standard.
        String hash = passwords.hash("password");
        String[] parts = hash.split("\\$");
        byte[] salt = java.util.Base64.getDecoder().decode(parts[4]);
        byte[] expected = new byte[32];
        Argon2BytesGenerator g = new Argon2BytesGenerator();
        g.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withVersion(19).withMemoryAsKB(64)
                .withIterations(1).withParallelism(1).withSalt(salt).build());
        g.generateBytes("password".getBytes(StandardCharsets.UTF_8), expected);
        assertThat(java.util.Base64.getDecoder().decode(parts[5])).isEqualTo(expected);
    }

    @Test
    void verifiesHashesMadeWithOtherParametersAndFlagsThemForRehash() {
        Passwords older = new Passwords(new Passwords.Parameters(32, 2, 1));
        String old = older.hash("pw");
        assertThat(passwords.verify("pw", old)).isTrue();
        assertThat(passwords.needsRehash(old)).isTrue();
        assertThat(passwords.needsRehash(passwords.hash("pw"))).isFalse();
        assertThat(older.needsRehash(old)).isFalse();
    }

    @Test
    void malformedHashesMatchNothing() {
        for (String bad : new String[] {null, "", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$" + "A".repeat(43),
                "$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$" + "A".repeat(43),
                "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$" + "A".repeat(43),
                "$argon2id$v=19$m=64,t=999,p=1$c2FsdHNhbHRzYWx0$" + "A".repeat(43)}) {
            assertThat(passwords.verify("pw", bad)).as(bad).isFalse();
            assertThat(passwords.needsRehash(bad)).isTrue();
        }
    }

    @Test
    void parametersAreBounded() {
        assertThatThrownBy(() -> new Passwords.Parameters(4, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Passwords.Parameters(64, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Passwords.Parameters(64, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(HexFormat.of()).isNotNull();
    }
}
