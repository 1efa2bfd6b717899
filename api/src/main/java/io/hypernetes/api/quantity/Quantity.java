package io.hypernetes.api.quantity;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Objects;

/**
 * A Kubernetes resource quantity ({@code 100m}, {@code 1.5}, {@code 512Mi}, {@code 1e3}, {@code 2k}), held
 * exactly as a decimal.
 *
 * <p>Like Kubernetes, a quantity remembers which notation it was written in (binary suffixes, decimal
 * suffixes or an exponent) so that {@link #toString()} writes it back in the same family, canonicalised:
 * {@code 1000} becomes {@code 1k}, {@code 0.5} becomes {@code 500m}, {@code 1536Mi} stays {@code 1536Mi}.
 * Anything finer than a nano-unit is rounded up to the next nano-unit, as Kubernetes does, so that a request
 * can never silently shrink.
 *
 * <p>Equality and ordering are by amount only: {@code 1Gi} equals {@code 1073741824}.
 *
 * @param amount the exact amount in base units (cores, bytes, ...)
 * @param format the notation {@link #toString()} uses
 */
public record Quantity(BigDecimal amount, Format format) implements Comparable<Quantity> {

    /** The notation families Kubernetes distinguishes. */
    public enum Format {
        /** Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024). */
        BINARY_SI,
        /** n, u, m, "", k, M, G, T, P, E (powers of 1000). */
        DECIMAL_SI,
        /** e.g. 1e3, 5E-6. */
        DECIMAL_EXPONENT
    }

    public static final Quantity ZERO = new Quantity(BigDecimal.ZERO, Format.DECIMAL_SI);

    /** The pattern Kubernetes quotes when it rejects a quantity; kept verbatim so clients recognise it. */
    public static final String FORMAT_MESSAGE =
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

    // Kubernetes keeps nine fractional digits; finer input is rounded up (away from zero).
    private static final int NANO_SCALE = 9;
    // Bounds exponent notation so "1e999999999" cannot make us build a billion-digit number.
    private static final int MAX_EXPONENT = 1000;

    private static final String[] BINARY_SUFFIXES = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    private static final BigInteger KIBI = BigInteger.valueOf(1024);

    public Quantity {
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(format, "format");
        if (amount.scale() > NANO_SCALE) amount = amount.setScale(NANO_SCALE, RoundingMode.UP);
    }

    /**
     * Parses a quantity as Kubernetes does.
     *
     * @throws QuantityFormatException if {@code text} is not a quantity
     */
    @JsonCreator
    public static Quantity parse(String text) {
        if (text == null || text.isEmpty()) throw new QuantityFormatException(text, FORMAT_MESSAGE);
        int i = 0;
        int n = text.length();
        boolean negative = false;
        if (text.charAt(0) == '+' || text.charAt(0) == '-') {
            negative = text.charAt(0) == '-';
            i++;
        }
        int numberStart = i;
        int digits = 0;
        boolean dot = false;
        while (i < n) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (c == '.' && !dot) {
                dot = true;
            } else {
                break;
            }
            i++;
        }
        if (digits == 0) throw new QuantityFormatException(text, FORMAT_MESSAGE);
        BigDecimal number = new BigDecimal(text.substring(numberStart, i));
        String suffix = text.substring(i);
        Format format;
        BigDecimal multiplier;
        switch (suffix) {
            case "" -> { format = Format.DECIMAL_SI; multiplier = BigDecimal.ONE; }
            case "n" -> { format = Format.DECIMAL_SI; multiplier = BigDecimal.ONE.scaleByPowerOfTen(-9); }
            case "u" -> { format = Format.DECIMAL_SI; multiplier = BigDecimal.ONE.scaleByPowerOfTen(-6); }
            case "m" -> { format = Format.DECIMAL_SI; multiplier = BigDecimal.ONE.scaleByPowerOfTen(-3); }
            case "k" -> { format = Format.DECIMAL_SI; multiplier = BigDecimal.ONE.scaleByPowerOfTen(3); }
            case "M" -> { format = Format.DECIMAL_SI; multiplier = BigDecimal.ONE.scaleByPowerOfTen(6); }
            case "G" -> { format = Format.DECIMAL_SI; multiplier = BigDecimal.ONE.scaleByPowerOfTen(9); }
            case "T" -> { format = Format.DECIMAL_SI; multiplier = BigDecimal.ONE.scaleByPowerOfTen(12); }
            case "P" -> { format = Format.DECIMAL_SI; multiplier = BigDecimal.ONE.scaleByPowerOfTen(15); }
            case "E" -> { format = Format.DECIMAL_SI; multiplier = BigDecimal.ONE.scaleByPowerOfTen(18); }
            case "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" -> {
                format = Format.BINARY_SI;
                int power = switch (suffix.charAt(0)) {
                    case 'K' -> 1;
                    case 'M' -> 2;
                    case 'G' -> 3;
                    case 'T' -> 4;
                    case 'P' -> 5;
                    default -> 6;
                };
                multiplier = new BigDecimal(KIBI.pow(power));
            }
            default -> {
                format = Format.DECIMAL_EXPONENT;
                multiplier = BigDecimal.ONE.scaleByPowerOfTen(exponent(text, suffix));
            }
        }
        BigDecimal amount = number.multiply(multiplier);
        return new Quantity(negative ? amount.negate() : amount, format);
    }

    private static int exponent(String text, String suffix) {
        if (suffix.length() < 2 || (suffix.charAt(0) != 'e' && suffix.charAt(0) != 'E')) {
            throw new QuantityFormatException(text, suffix.matches("[eEinumkKMGTP]*[-+]?[0-9]*")
                    ? "unable to parse quantity's suffix" : FORMAT_MESSAGE);
        }
        String exp = suffix.substring(1);
        if (!exp.matches("[-+]?[0-9]+")) throw new QuantityFormatException(text, "unable to parse quantity's suffix");
        int value;
        try {
            value = Integer.parseInt(exp);
        } catch (NumberFormatException e) {
            throw new QuantityFormatException(text, "exponent out of range");
        }
        if (Math.abs(value) > MAX_EXPONENT) throw new QuantityFormatException(text, "exponent out of range");
        return value;
    }

    /** Reads a quantity from JSON, where Kubernetes accepts both strings ("500m") and numbers (0.5). */
    public static Quantity fromJson(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) throw new QuantityFormatException("", FORMAT_MESSAGE);
        if (node.isNumber()) return new Quantity(node.decimalValue(), Format.DECIMAL_SI);
        if (node.isTextual()) return parse(node.textValue());
        throw new QuantityFormatException(node.toString(), FORMAT_MESSAGE);
    }

    public static Quantity ofMilli(long milli) {
        return new Quantity(BigDecimal.valueOf(milli, 3), Format.DECIMAL_SI);
    }

    public static Quantity ofBytes(long bytes) {
        return new Quantity(BigDecimal.valueOf(bytes), Format.BINARY_SI);
    }

    public boolean isZero() {
        return amount.signum() == 0;
    }

    public int signum() {
        return amount.signum();
    }

    /** The sum, written in this quantity's notation (the other's when this one is zero, like Kubernetes). */
    public Quantity add(Quantity other) {
        return new Quantity(amount.add(other.amount), isZero() ? other.format : format);
    }

    public Quantity subtract(Quantity other) {
        return new Quantity(amount.subtract(other.amount), isZero() ? other.format : format);
    }

    public Quantity negate() {
        return new Quantity(amount.negate(), format);
    }

    /**
     * The amount in thousandths, rounded up (away from zero) as Kubernetes' {@code MilliValue} does: CPU
     * "0.0001" still asks for 1m.
     *
     * @throws ArithmeticException if it does not fit in a long
     */
    public long milliValue() {
        return amount.scaleByPowerOfTen(3).setScale(0, RoundingMode.UP).longValueExact();
    }

    /**
     * The amount in whole base units (bytes for memory), rounded up (away from zero).
     *
     * @throws ArithmeticException if it does not fit in a long
     */
    public long value() {
        return amount.setScale(0, RoundingMode.UP).longValueExact();
    }

    @Override
    public int compareTo(Quantity other) {
        return amount.compareTo(other.amount);
    }

    public boolean lessThan(Quantity other) {
        return compareTo(other) < 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Quantity q && amount.compareTo(q.amount) == 0;
    }

    @Override
    public int hashCode() {
        return amount.signum() == 0 ? 0 : amount.stripTrailingZeros().hashCode();
    }

    /** The canonical form Kubernetes serialises: {@code 1k}, {@code 500m}, {@code 1536Mi}, {@code 1e3}. */
    @JsonValue
    @Override
    public String toString() {
        if (amount.signum() == 0) return "0";
        Format f = format;
        if (f == Format.BINARY_SI) {
            // Binary suffixes only read well for whole numbers of at least 1Ki; anything else would round.
            boolean whole = amount.stripTrailingZeros().scale() <= 0;
            if (!whole || amount.abs().compareTo(BigDecimal.valueOf(1024)) < 0) f = Format.DECIMAL_SI;
        }
        if (f == Format.BINARY_SI) {
            BigInteger mantissa = amount.toBigIntegerExact();
            int power = 0;
            while (power < BINARY_SUFFIXES.length - 1) {
                BigInteger[] qr = mantissa.divideAndRemainder(KIBI);
                if (qr[1].signum() != 0) break;
                mantissa = qr[0];
                power++;
            }
            return mantissa + BINARY_SUFFIXES[power];
        }
        BigDecimal stripped = amount.stripTrailingZeros();
        BigInteger unscaled = stripped.unscaledValue();
        int exponent = -stripped.scale();
        int exp3 = Math.floorDiv(exponent, 3) * 3;
        BigInteger mantissa = unscaled.multiply(BigInteger.TEN.pow(exponent - exp3));
        if (f == Format.DECIMAL_EXPONENT) return exp3 == 0 ? mantissa.toString() : mantissa + "e" + exp3;
        if (exp3 > 18) {
            mantissa = mantissa.multiply(BigInteger.TEN.pow(exp3 - 18));
            exp3 = 18;
        }
        String suffix = switch (exp3) {
            case -9 -> "n";
            case -6 -> "u";
            case -3 -> "m";
            case 0 -> "";
            case 3 -> "k";
            case 6 -> "M";
            case 9 -> "G";
            case 12 -> "T";
            case 15 -> "P";
            case 18 -> "E";
            default -> throw new IllegalStateException("scale below nano: " + exp3);
        };
        return mantissa + suffix;
    }
}
