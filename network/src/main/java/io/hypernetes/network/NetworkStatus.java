package io.hypernetes.network;

import java.util.Map;

/**
 * A Network as this host has it.
 *
 * @param name    the Network
 * @param ready   whether everything the spec asks for is in place
 * @param message why not, or "" when ready
 * @param dnsAddress where on this host the Network's pods' DNS queries arrive, {@code ip:port}: the tenant DNS server
 *                   listens there for this Network alone ("" when this host holds no router for it)
 * @param details what was built, for people (e.g. {@code router: hnr-7}, {@code bridge: hnb7})
 */
public record NetworkStatus(String name, boolean ready, String message, String dnsAddress, Map<String, String> details) {
    public NetworkStatus {
        details = Map.copyOf(details);
    }
}
