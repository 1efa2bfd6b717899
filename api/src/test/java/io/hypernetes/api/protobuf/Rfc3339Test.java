package io.hypernetes.api.protobuf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The hand-written RFC 3339 parser and formatter agree with java.time on everything, valid or not. */
class Rfc3339Test {
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssXXX");
    private static final DateTimeFormatter MICRO = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSXXX");

    /** What the codec accepted before the fast path: ISO_OFFSET_DATE_TIME, or null when it throws. */
    private static Instant reference(String text) {
        try {
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // the forms Kubernetes writes
        "2006-01-02T15:04:05Z", "2006-01-02T15:04:05.000000Z", "2024-01-02T15:04:05.123456Z",
        // other fraction lengths
        "2024-01-02T15:04:05.1Z", "2024-01-02T15:04:05.12Z", "2024-01-02T15:04:05.123Z", "2024-01-02T15:04:05.1234567Z",
        "2024-01-02T15:04:05.123456789Z", "2024-01-02T15:04:05.000000001Z",
        // leap years and month ends
        "2024-02-29T00:00:00Z", "2000-02-29T23:59:59Z", "2023-02-28T23:59:59Z", "2024-12-31T23:59:59Z", "2024-04-30T12:00:00Z",
        // the ends of the range, the epoch, year 0 (proleptic 1 BC, which java.time accepts)
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
        "0000-01-01T00:00:00Z", "0000-02-29T00:00:00Z", "1600-02-29T00:00:00Z",
        // offsets and lower case: only the general parser reads these
        "2024-01-02T16:04:05+01:00", "2024-01-02T10:34:05.5-05:30", "2024-01-02T15:04:05+00:00", "2024-01-02t15:04:05z",
        "2024-01-02T15:04Z", "+10000-01-01T00:00:00Z",
        // a decimal point without digits: java.time takes it, so the general parser must get it
        "2024-01-02T15:04:05.Z",
    })
    void validTimesParseAsJavaTimeDoes(String text) {
        Instant expected = reference(text);
        assertThat(expected).as("test input must be valid").isNotNull();
        assertThat(Rfc3339.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "2024", "2024-01-02", "2024-01-02T15:04:05", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
        "2024-04-31T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-01-00T00:00:00Z", "2024-01-32T00:00:00Z",
        "2024-01-02T24:00:00Z", "2024-01-02T23:60:00Z", "2024-01-02T23:59:60Z",
        "2024-01-02T15:04:05.1234567890Z", "2024-01-02 15:04:05Z", "2024-1-02T15:04:05Z", "2024-01-02T15:04:05ZZ",
        "2024-01-02T15:04:05.12a4Z", "２０２４-01-02T15:04:05Z", "2024-01-02T15:04:05+25:00", "x024-01-02T15:04:05Z",
        "2024-01-02T15:04:05,5Z",
    })
    void invalidTimesAreRejectedAsJavaTimeDoes(String text) {
        assertThat(reference(text)).as("test input must be invalid").isNull();
        assertThat(Rfc3339.parse(text)).isNull();
        assertThat(Rfc3339.utcSeconds(text)).isEqualTo(Rfc3339.NOT_UTC);
    }

    @Test
    void damagedTimesParseAsJavaTimeDoes() {
        String[] seeds = {"2024-02-29T15:04:05Z", "2024-01-02T15:04:05.123456Z", "1999-12-31T23:59:59.9Z"};
        String alphabet = "0123456789-:.TZtz+ ";
        Random random = new Random(7);
        for (int i = 0; i < 50_000; i++) {
            StringBuilder s = new StringBuilder(seeds[random.nextInt(seeds.length)]);
            for (int k = 1 + random.nextInt(2); k > 0; k--) {
                int at = random.nextInt(s.length());
                char c = alphabet.charAt(random.nextInt(alphabet.length()));
                switch (random.nextInt(3)) {
                    case 0 -> s.setCharAt(at, c);
                    case 1 -> s.insert(at, c);
                    default -> s.deleteCharAt(at);
                }
            }
            String text = s.toString();
            assertThat(Rfc3339.parse(text)).as(text).isEqualTo(reference(text));
        }
    }

    @Test
    void epochDaysMatchJavaTimeForEveryDateOfYearsOneTo9999() {
        for (LocalDate d = LocalDate.of(1, 1, 1); d.getYear() < 10_000; d = d.plusDays(1)) {
            assertThat(Rfc3339.epochDay(d.getYear(), d.getMonthValue(), d.getDayOfMonth())).isEqualTo(d.toEpochDay());
        }
    }

    @Test
    void formatsAsTheOldFormattersDid() {
        long[] edges = {Rfc3339.MIN_SECONDS, Rfc3339.MAX_SECONDS, 0, -1, 1, 951_782_400L /* 2000-02-29 */,
            1_709_164_800L /* 2024-02-29 */, -2_203_891_200L /* 1900-03-01 */, -62_135_596_800L + 86_399};
        for (long s : edges) checkFormat(s, 0);
        Random random = new Random(11);
        for (int i = 0; i < 200_000; i++) {
            long s = Rfc3339.MIN_SECONDS + (long) (random.nextDouble() * (Rfc3339.MAX_SECONDS - Rfc3339.MIN_SECONDS + 1));
            checkFormat(s, random.nextInt(1_000_000));
        }
    }

    private static void checkFormat(long seconds, int micros) {
        var t = Instant.ofEpochSecond(seconds, micros * 1000L).atOffset(ZoneOffset.UTC);
        assertThat(Rfc3339.format(seconds)).isEqualTo(SECONDS.format(t));
        assertThat(Rfc3339.formatMicro(seconds, micros)).isEqualTo(MICRO.format(t));
    }

    @Test
    void formatsTheFirstAndLastRepresentableSecond() {
        assertThat(Rfc3339.format(Rfc3339.MIN_SECONDS)).isEqualTo("0001-01-01T00:00:00Z");
        assertThat(Rfc3339.formatMicro(Rfc3339.MAX_SECONDS, 999_999)).isEqualTo("9999-12-31T23:59:59.999999Z");
        assertThatThrownBy(() -> Rfc3339.format(Rfc3339.MIN_SECONDS - 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Rfc3339.format(Rfc3339.MAX_SECONDS + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Rfc3339.formatMicro(0, 1_000_000)).isInstanceOf(IllegalArgumentException.class);
    }
}
