package io.hypernetes.api.protobuf;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * RFC 3339 text for metav1.Time and MicroTime, by hand for the UTC forms Kubernetes writes
 * ({@code 2006-01-02T15:04:05Z}, {@code 2006-01-02T15:04:05.000000Z}): {@link DateTimeFormatter} is general and
 * was most of the cost of converting a time. Anything else goes to {@link DateTimeFormatter#ISO_OFFSET_DATE_TIME},
 * so the accepted inputs and their values are exactly what that formatter gives; the fast path only ever takes
 * strings it would parse to the same instant.
 */
final class Rfc3339 {
    /** 0001-01-01T00:00:00Z, the first instant Go's time and the formats here can show. */
    static final long MIN_SECONDS = -62_135_596_800L;
    /** 9999-12-31T23:59:59Z: later years no longer fit four digits. */
    static final long MAX_SECONDS = 253_402_300_799L;

    private static final int SECONDS_PER_DAY = 86_400;
    /** Days from 0000-03-01 to 1970-01-01: the civil-date arithmetic counts from a March so leap days fall last. */
    private static final long EPOCH_SHIFT = 719_468;
    private static final int DAYS_PER_ERA = 146_097;

    private Rfc3339() {}

    /** Returned by {@link #utcSeconds} when the text is not in a form it reads; no valid time is this early. */
    static final long NOT_UTC = Long.MIN_VALUE;

    /** The instant the text names, or null when ISO_OFFSET_DATE_TIME would reject it. */
    static Instant parse(String text) {
        long seconds = utcSeconds(text);
        if (seconds != NOT_UTC) return Instant.ofEpochSecond(seconds, utcNanos(text));
        try {
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /**
     * Seconds since the epoch of {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z} with every field in range, else
     * {@link #NOT_UTC} (and the general parser decides). Seconds and nanoseconds come separately so that the
     * common case needs no object.
     */
    static long utcSeconds(String s) {
        int n = s.length();
        if (n < 20 || n > 30 || s.charAt(n - 1) != 'Z' || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return NOT_UTC;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if ((year | month | day | hour | minute | second) < 0) return NOT_UTC;
        // ".f" to ".fffffffff"
        if (n > 20 && (s.charAt(19) != '.' || n == 21 || digits(s, 20, n - 21) < 0)) return NOT_UTC;
        if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
            return NOT_UTC;
        }
        return epochDay(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
    }

    /** The fraction of a time {@link #utcSeconds} accepted, in nanoseconds. */
    static int utcNanos(String s) {
        int n = s.length();
        if (n == 20) return 0;
        int nanos = digits(s, 20, n - 21);
        for (int i = n - 21; i < 9; i++) nanos *= 10;
        return nanos;
    }

    /** {@code 2006-01-02T15:04:05Z}; seconds must lie in [{@link #MIN_SECONDS}, {@link #MAX_SECONDS}]. */
    static String format(long seconds) {
        byte[] out = new byte[20];
        writeSeconds(out, seconds);
        out[19] = 'Z';
        return new String(out, 0, 20, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** {@code 2006-01-02T15:04:05.000000Z}: always six fraction digits, as MicroTime marshals. */
    static String formatMicro(long seconds, int micros) {
        if (micros < 0 || micros > 999_999) throw new IllegalArgumentException("micros " + micros);
        byte[] out = new byte[27];
        writeSeconds(out, seconds);
        out[19] = '.';
        put(out, 20, micros, 6);
        out[26] = 'Z';
        return new String(out, 0, 27, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static void writeSeconds(byte[] out, long seconds) {
        if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) throw new IllegalArgumentException("seconds " + seconds);
        long days = Math.floorDiv(seconds, SECONDS_PER_DAY);
        int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
        // Civil date from a day count (proleptic Gregorian): split into 400-year eras, then years of the era
        // counted from March 1st, so that February and its leap day end the year.
        long z = days + EPOCH_SHIFT;
        long era = Math.floorDiv(z, DAYS_PER_ERA);
        int dayOfEra = (int) (z - era * DAYS_PER_ERA);
        int yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / (DAYS_PER_ERA - 1)) / 365;
        int dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        int monthFromMarch = (5 * dayOfYear + 2) / 153;
        int day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1;
        int month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
        int year = (int) (era * 400 + yearOfEra) + (month <= 2 ? 1 : 0);
        put(out, 0, year, 4);
        out[4] = '-';
        put(out, 5, month, 2);
        out[7] = '-';
        put(out, 8, day, 2);
        out[10] = 'T';
        put(out, 11, secondOfDay / 3600, 2);
        out[13] = ':';
        put(out, 14, secondOfDay / 60 % 60, 2);
        out[16] = ':';
        put(out, 17, secondOfDay % 60, 2);
    }

    /** Days since 1970-01-01 of a valid proleptic Gregorian date; the inverse of {@link #writeSeconds}' split. */
    static long epochDay(int year, int month, int day) {
        int y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        int yearOfEra = (int) (y - era * 400);
        int dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * DAYS_PER_ERA + dayOfEra - EPOCH_SHIFT;
    }

    private static int daysInMonth(int year, int month) {
        return switch (month) {
            case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    /** The value of count ASCII digits at from, or -1 if any is not one. */
    private static int digits(String s, int from, int count) {
        int v = 0;
        for (int i = from; i < from + count; i++) {
            int d = s.charAt(i) - '0';
            if (d < 0 || d > 9) return -1;
            v = v * 10 + d;
        }
        return v;
    }

    private static void put(byte[] out, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
    }
}
