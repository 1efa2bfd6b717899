package io.hypernetes.hyperd.vm;

import java.io.IOException;

/**
 * A VM could not be booted, reattached or changed. The message says what failed and, where the host is at fault, how
 * to fix it; a guest that did not come up carries the last lines of its console.
 */
public class VmException extends IOException {
    public VmException(String message) {
        super(message);
    }

    public VmException(String message, Throwable cause) {
        super(message, cause);
    }
}
