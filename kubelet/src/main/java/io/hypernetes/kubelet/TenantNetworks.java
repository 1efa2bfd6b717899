package io.hypernetes.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkProvider;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.PodPort;
import io.hypernetes.network.PodPortSpec;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's side of tenant networks: whether a pod of a namespace with {@code spec.network} may start yet,
 * plugging it into its Network through kubestack (the node's {@link NetworkProvider}) before its sandbox starts,
 * and unplugging it once its sandbox is gone for good.
 *
 * <p>A pod may start when its Network is {@code Active} with a {@code status.vni} and the Network controller has
 * given the pod an address (annotation {@value #IP_ANNOTATION}, for the Network {@value #NETWORK_ANNOTATION} names,
 * which must be the namespace's). The kubelet never picks addresses: IPAM is the controller's, so an address is
 * unique in its Network whichever node runs the pod.
 *
 * <p>Unplugging must survive what the pod worker does not: a pod deleted while the agent was away, or a kubestack
 * that does not answer at that moment. So each sandbox of a tenant pod carries the Network it was plugged into
 * ({@value #SANDBOX_NETWORK}), which the agent reads back when it removes the sandbox of a pod the API no longer
 * has; and a teardown that failed is kept here and retried from the agent's relist, at most every back-off base,
 * until kubestack takes it (teardowns are idempotent, so retrying one that half happened is safe).
 */
final class TenantNetworks {
    private static final Logger log = LoggerFactory.getLogger(TenantNetworks.class);

    /** The pod's address in its Network, written by the Network controller's IPAM. */
    static final String IP_ANNOTATION = "network.hypernetes.io/ip";
    /** The Network the address of {@link #IP_ANNOTATION} belongs to. */
    static final String NETWORK_ANNOTATION = "network.hypernetes.io/network";
    /** On a sandbox (the agent's own annotation): the tenant Network its pod was plugged into. */
    static final String SANDBOX_NETWORK = "io.hypernetes.pod.network";

    /** Whether a pod can be plugged in now, and if so how it was. */
    sealed interface Plug {
        /** Plugged in: the sandbox attaches to {@code port}. */
        record Plugged(PodPort port) implements Plug {}

        /** The Network does not exist, is not {@code Active}, or has no VNI yet. */
        record NetworkNotReady(String message) implements Plug {}

        /** The Network controller has not given the pod an address in the namespace's Network yet. */
        record Unaddressed(String message) implements Plug {}

        /** This node has no kubestack: its pods of tenant networks cannot run here. */
        record NoProvider(String message) implements Plug {}

        /** kubestack refused ({@code INVALID}, {@code FORBIDDEN}) or could not do it now ({@code UNAVAILABLE}, {@code NOT_FOUND}). */
        record SetupFailed(NetworkException.Reason reason, String message) implements Plug {
            /** Whether retrying the same request may work without anyone changing anything. */
            boolean retryable() {
                return reason == NetworkException.Reason.UNAVAILABLE || reason == NetworkException.Reason.NOT_FOUND;
            }
        }
    }

    /** A teardown kubestack did not take yet. */
    private record Pending(String pod, Instant nextTry, int failures) {}

    private final NetworkProvider provider;
    private final KubeClient client;
    private final String node;
    private final Duration retry;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    /** Pods whose teardown runs on its own thread now. */
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

    /** @param provider null when this node has no kubestack (Kubemark's hollow nodes) */
    TenantNetworks(NetworkProvider provider, KubeClient client, String node, Duration retry) {
        this.provider = provider;
        this.client = client;
        this.node = node;
        this.retry = retry;
    }

    boolean hasProvider() {
        return provider != null;
    }

    /**
     * The Network of the pod's namespace ({@code spec.network}), "" for the default network. Read from the API each
     * time (the pod worker asks only before it starts a sandbox); an API server that does not answer is an
     * exception, never the default network, which would put a tenant's pod on the admins' network.
     */
    String namespaceNetwork(JsonNode pod) {
        String ns = Meta.namespace(pod);
        KubeClient.Response r = client.get("/api/v1/namespaces/" + ns);
        if (r.code() == 200) return r.json().path("spec").path("network").asText("");
        if (r.code() == 404) return "";
        throw new IllegalStateException("reading namespace " + ns + " for its network: " + r.code() + " " + r.text());
    }

    /** Plugs {@code pod} into {@code network} if it can be now (see the class comment for when). */
    Plug plug(JsonNode pod, String network) {
        if (provider == null) {
            return new Plug.NoProvider("node " + node + " has no network provider (kubestack); pods of network "
                    + network + " cannot run here");
        }
        KubeClient.Response r = client.get("/api/v1/networks/" + network);
        if (r.code() == 404) {
            return new Plug.NetworkNotReady("network " + network + " of namespace " + Meta.namespace(pod) + " does not exist");
        }
        if (r.code() != 200) throw new IllegalStateException("reading network " + network + ": " + r.code() + " " + r.text());
        JsonNode net = r.json();
        JsonNode status = net.path("status");
        String phase = status.path("phase").asText("");
        int vni = status.path("vni").asInt(0);
        if (!phase.equals("Active") || vni <= 0) {
            String why = status.path("message").asText("");
            return new Plug.NetworkNotReady("network " + network + " is " + (phase.isEmpty() ? "not initialized" : phase)
                    + (phase.equals("Active") ? " but has no status.vni yet" : "") + (why.isEmpty() ? "" : ": " + why));
        }
        JsonNode annotations = pod.path("metadata").path("annotations");
        String ip = annotations.path(IP_ANNOTATION).asText("");
        String of = annotations.path(NETWORK_ANNOTATION).asText("");
        if (ip.isEmpty() || !of.equals(network)) {
            return new Plug.Unaddressed(ip.isEmpty()
                    ? "waiting for the network controller to give the pod an address in network " + network
                    : "the pod's address " + ip + " is in network " + of + ", not its namespace's network " + network
                            + "; waiting for an address in " + network);
        }
        NetworkSpec spec = spec(net);
        try {
            return new Plug.Plugged(provider.setupPod(new PodPortSpec(Meta.namespace(pod), Meta.name(pod), Meta.uid(pod), spec, ip)));
        } catch (NetworkException e) {
            return new Plug.SetupFailed(e.reason(), e.getMessage());
        }
    }

    /** The provider's view of a Network object; a subnet without a gateway gets its first address, as the controller gives the router. */
    static NetworkSpec spec(JsonNode network) {
        List<NetworkSpec.Subnet> subnets = new ArrayList<>();
        network.path("spec").path("subnets").properties().forEach(e -> {
            String cidr = e.getValue().path("cidr").asText("");
            String gateway = e.getValue().path("gateway").asText("");
            subnets.add(new NetworkSpec.Subnet(e.getKey(), cidr, gateway.isEmpty() ? firstAddress(cidr) : gateway));
        });
        return new NetworkSpec(Meta.name(network), Meta.uid(network), network.path("spec").path("tenantID").asText(""),
                network.path("status").path("vni").asInt(), subnets);
    }

    /** The first host address of {@code cidr} (its network address plus one); "" when it is not a CIDR (validation refuses those). */
    static String firstAddress(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0 || !cidr.substring(0, slash).matches("[0-9a-fA-F:.]+")) return "";
        try {
            byte[] net = InetAddress.getByName(cidr.substring(0, slash)).getAddress(); // a literal: no lookup
            byte[] next = new BigInteger(1, net).add(BigInteger.ONE).toByteArray();
            byte[] out = new byte[net.length];
            int n = Math.min(next.length, out.length);
            System.arraycopy(next, next.length - n, out, out.length - n, n);
            if (Arrays.equals(out, new byte[net.length])) return ""; // wrapped around
            return out.length == 4 ? InetAddress.getByAddress(out).getHostAddress() : ipv6(out);
        } catch (UnknownHostException e) {
            return "";
        }
    }

    /** An IPv6 address as RFC 5952 writes it (lower case, the longest run of two or more zero groups as "::"), as the API writes addresses. */
    private static String ipv6(byte[] a) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) g[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
        int bestAt = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) j++;
            if (j - i > bestLen) {
                bestAt = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestAt) {
                b.append("::");
                i += bestLen - 1;
                continue;
            }
            if (b.length() > 0 && b.charAt(b.length() - 1) != ':') b.append(':');
            b.append(Integer.toHexString(g[i]));
        }
        return b.toString();
    }

    /**
     * Unplugs pod {@code uid} after its sandbox was removed for good. A failure is logged and kept, and retried by
     * {@link #retryUnplugs} until kubestack takes it.
     */
    void unplug(String uid, String pod) {
        if (provider == null) return;
        try {
            provider.teardownPod(uid);
            Pending was = pending.remove(uid);
            if (was != null) log.info("pod {} ({}): unplugged from its network after {} failed attempts", pod, uid, was.failures);
            else log.info("pod {} ({}): unplugged from its network", pod, uid);
        } catch (NetworkException | RuntimeException e) {
            Pending was = pending.get(uid);
            int failures = was == null ? 1 : was.failures + 1;
            pending.put(uid, new Pending(pod, Instant.now().plus(retry), failures));
            // said once, and then when it keeps failing, less and less often
            if (Integer.bitCount(failures) == 1) {
                log.warn("pod {} ({}): unplugging it from its network failed ({} in a row), retrying every {}: {}",
                        pod, uid, failures, RestartBackoff.format(retry), e.toString());
            }
        }
    }

    /**
     * {@link #unplug} on a virtual thread of its own, for the agent's relist: a kubestack that hangs (its client waits
     * up to a minute per call) must not stop the agent noticing container exits. One at a time per pod.
     */
    void unplugLater(String uid, String pod) {
        if (provider == null || !inFlight.add(uid)) return;
        Thread.ofVirtual().name("unplug-" + uid).start(() -> {
            try {
                unplug(uid, pod);
            } finally {
                inFlight.remove(uid);
            }
        });
    }

    /** Retries the teardowns that failed, each at most once per retry interval. */
    void retryUnplugs() {
        Instant now = Instant.now();
        pending.forEach((uid, p) -> {
            if (!now.isBefore(p.nextTry)) unplugLater(uid, p.pod);
        });
    }

    /** The pods whose teardown waits for a retry. */
    int pendingUnplugs() {
        return pending.size();
    }
}
