package io.hypernetes.hyperd.vm;

/** QEMU refused a QMP command: {@link #errorClass()} and QEMU's own description (its {@code desc}) in the message. */
public final class QmpException extends VmException {
    private final String errorClass;

    QmpException(String command, String errorClass, String desc) {
        super("QMP " + command + ": " + desc + " (" + errorClass + ")");
        this.errorClass = errorClass;
    }

    public String errorClass() {
        return errorClass;
    }
}
