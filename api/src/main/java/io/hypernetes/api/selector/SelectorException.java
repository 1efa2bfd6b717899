package io.hypernetes.api.selector;

/** A label or field selector that does not parse; the message reads like Kubernetes' so clients recognise it. */
public final class SelectorException extends IllegalArgumentException {
    public SelectorException(String message) {
        super(message);
    }
}
