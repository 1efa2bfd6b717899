package io.hypernetes.api.selector;

/** How a selector requirement relates a key to its values, with the spelling each syntax uses. */
public enum Operator {
    EQUALS("="),
    DOUBLE_EQUALS("=="),
    NOT_EQUALS("!="),
    IN("in"),
    NOT_IN("notin"),
    EXISTS(""),
    DOES_NOT_EXIST("!"),
    GREATER_THAN(">"),
    LESS_THAN("<");

    /** The string-syntax spelling. */
    public final String symbol;

    Operator(String symbol) {
        this.symbol = symbol;
    }

    /** True for {@code =}, {@code ==}: the operators that can pin a key to one value. */
    public boolean isEquality() {
        return this == EQUALS || this == DOUBLE_EQUALS;
    }
}
