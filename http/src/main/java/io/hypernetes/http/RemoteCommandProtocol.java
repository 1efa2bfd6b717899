package io.hypernetes.http;

import java.util.List;
import java.util.Optional;

/**
 * Kubernetes' remote-command channel protocol, which {@code kubectl exec} and {@code attach} speak to the API server
 * and the API server speaks to the node agent: WebSocket subprotocols {@code v5.channel.k8s.io} (kubectl ≥ 1.30)
 * and {@code v4.channel.k8s.io}, each message's first byte naming its channel. v5 adds {@link #CLOSE}: {@code [255, n]}
 * says the sender closed its channel {@code n} (stdin).
 */
public final class RemoteCommandProtocol {
    public static final String V5 = "v5.channel.k8s.io";
    public static final String V4 = "v4.channel.k8s.io";
    public static final int STDIN = 0, STDOUT = 1, STDERR = 2, ERROR = 3, RESIZE = 4, CLOSE = 255;

    private RemoteCommandProtocol() {}

    /** The newest subprotocol both sides speak, v5 before v4; empty when the client offers neither. */
    public static Optional<String> choose(List<String> offered) {
        return offered.contains(V5) ? Optional.of(V5) : offered.contains(V4) ? Optional.of(V4) : Optional.empty();
    }
}
