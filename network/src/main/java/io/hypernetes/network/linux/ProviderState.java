package io.hypernetes.network.linux;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hypernetes.network.LoadBalancer;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.PodPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * What a {@link LinuxProvider} built on this host, as it keeps it in {@code state.json}: the devices say that a
 * Network exists, but not which pods hold ports on it, which Services it balances or who the peers are. A restarted
 * kubestack reads this back and rebuilds rules from it. Immutable: every change makes a new state, written whole
 * (temporary file, then an atomic rename) before it replaces the old one.
 *
 * @param routers       Networks whose router this host holds (the network node), by name
 * @param pods          ports of pods on this host, by pod uid
 * @param loadBalancers by {@link #lbKey}
 * @param peers         the other hosts' underlay addresses (the VXLAN flood list)
 */
record ProviderState(Map<String, NetworkSpec> routers, Map<String, PodRecord> pods, Map<String, LoadBalancer> loadBalancers,
                     List<String> peers) {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    ProviderState {
        routers = Map.copyOf(routers);
        pods = Map.copyOf(pods);
        loadBalancers = Map.copyOf(loadBalancers);
        peers = List.copyOf(peers);
    }

    /** A pod's port and the Network spec it came with (a compute node learns Networks only from its pods). */
    record PodRecord(PodPort port, NetworkSpec network) {
    }

    static ProviderState empty() {
        return new ProviderState(Map.of(), Map.of(), Map.of(), List.of());
    }

    static String lbKey(String network, String namespace, String name) {
        return network + "/" + namespace + "/" + name;
    }

    ProviderState withRouter(NetworkSpec spec) {
        Map<String, NetworkSpec> next = new TreeMap<>(routers);
        next.put(spec.name(), spec);
        return new ProviderState(next, pods, loadBalancers, peers);
    }

    /** Forgets everything of the Network: its router, its pods' ports here, its load balancers. */
    ProviderState withoutNetwork(String name) {
        Map<String, NetworkSpec> nextRouters = new TreeMap<>(routers);
        nextRouters.remove(name);
        Map<String, PodRecord> nextPods = new TreeMap<>(pods);
        nextPods.values().removeIf(pod -> pod.network().name().equals(name));
        Map<String, LoadBalancer> nextLbs = new TreeMap<>(loadBalancers);
        nextLbs.values().removeIf(lb -> lb.network().equals(name));
        return new ProviderState(nextRouters, nextPods, nextLbs, peers);
    }

    ProviderState withPod(PodRecord pod) {
        Map<String, PodRecord> next = new TreeMap<>(pods);
        next.put(pod.port().podUid(), pod);
        return new ProviderState(routers, next, loadBalancers, peers);
    }

    ProviderState withoutPod(String uid) {
        Map<String, PodRecord> next = new TreeMap<>(pods);
        next.remove(uid);
        return new ProviderState(routers, next, loadBalancers, peers);
    }

    ProviderState withLoadBalancer(LoadBalancer lb) {
        Map<String, LoadBalancer> next = new TreeMap<>(loadBalancers);
        next.put(lbKey(lb.network(), lb.namespace(), lb.name()), lb);
        return new ProviderState(routers, pods, next, peers);
    }

    ProviderState withoutLoadBalancer(String key) {
        Map<String, LoadBalancer> next = new TreeMap<>(loadBalancers);
        next.remove(key);
        return new ProviderState(routers, pods, next, peers);
    }

    ProviderState withPeers(List<String> peers) {
        return new ProviderState(routers, pods, loadBalancers, peers);
    }

    /** The Network's load balancers, in a stable order (so the rendered ruleset is too). */
    List<LoadBalancer> loadBalancersOf(String network) {
        return new TreeMap<>(loadBalancers).values().stream().filter(lb -> lb.network().equals(network)).toList();
    }

    boolean hasPodsOn(String network, Predicate<String> exceptUid) {
        return pods.values().stream().anyMatch(pod -> pod.network().name().equals(network)
                && !exceptUid.test(pod.port().podUid()));
    }

    /** Whichever spec this host knows the Network by: its router's, else one of its pods'. */
    java.util.Optional<NetworkSpec> spec(String network) {
        NetworkSpec router = routers.get(network);
        if (router != null) {
            return java.util.Optional.of(router);
        }
        return pods.values().stream().map(PodRecord::network).filter(n -> n.name().equals(network)).findFirst();
    }

    List<String> networkNames() {
        List<String> names = new ArrayList<>(routers.keySet());
        pods.values().stream().map(pod -> pod.network().name()).filter(n -> !names.contains(n)).distinct().forEach(names::add);
        return names.stream().sorted().toList();
    }

    static ProviderState load(Path file) throws NetworkException {
        if (!Files.exists(file)) {
            return empty();
        }
        try {
            return JSON.readValue(file.toFile(), ProviderState.class);
        } catch (IOException e) {
            throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "cannot read the provider state " + file + ": "
                    + e.getMessage(), e);
        }
    }

    void save(Path file) throws NetworkException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(temporary, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "cannot write the provider state " + file + ": "
                    + e.getMessage(), e);
        }
    }
}
