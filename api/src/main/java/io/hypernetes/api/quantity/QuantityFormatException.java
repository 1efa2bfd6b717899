package io.hypernetes.api.quantity;

/** Thrown when text is not a Kubernetes quantity; the message names the text and the rule it broke. */
public final class QuantityFormatException extends IllegalArgumentException {
    private final String input;
    private final String reason;

    public QuantityFormatException(String input, String reason) {
        super("unable to parse quantity \"" + input + "\": " + reason);
        this.input = input;
        this.reason = reason;
    }

    public String input() {
        return input;
    }

    /** The rule alone, without the input, for use in a field error's detail. */
    public String reason() {
        return reason;
    }
}
