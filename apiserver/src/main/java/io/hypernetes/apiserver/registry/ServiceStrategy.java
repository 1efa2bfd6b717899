package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.api.validation.FieldError;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.store.KeyExistsException;
import io.hypernetes.store.KeyNotFoundException;
import io.hypernetes.store.RevisionMismatchException;
import io.hypernetes.store.Store;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Services get a cluster IP from the service range and node ports from the node-port range, as Kubernetes
 * allocates them: each taken address or port is a key of its own in the store, created only if absent, so two
 * services can never hold the same one, however they race, and a key is given back only by the Service holding
 * it. Updates keep what was allocated when the client leaves it out (as Kubernetes does for {@code kubectl replace}
 * of an original manifest), take what they add, allocate what they leave empty, and give back what they drop.
 *
 * <p>Ranges: 10.96.0.0/12 for cluster IPs (Kubernetes' default; Hypernetes' tenant networks give services their
 * per-tenant reachability later), 30000–32767 for node ports. An allocation left behind by a crash between
 * reservation and write stays taken; a repair loop is future work.
 *
 * <p>External addresses ({@code spec.externalIPs}, a LoadBalancer's {@code spec.loadBalancerIP}) are admitted and
 * claimed per tenant by {@link ExternalIps}, in the same reserve-before-write, give-back-if-not-written steps.
 */
final class ServiceStrategy extends Strategy {
    static final String IP_PREFIX = "/registry/allocations/serviceips/";
    static final String PORT_PREFIX = "/registry/allocations/nodeports/";
    /** The cluster IP range, 10.96.0.0/12. */
    static final Ipv4Block RANGE = Ipv4Block.parse("10.96.0.0/12");
    private static final int RANGE_SIZE = 1 << (32 - RANGE.prefix());
    private static final int NODE_PORT_MIN = 30000;
    private static final int NODE_PORT_MAX = 32767;
    private static final int ATTEMPTS = 64;
    private static final Set<String> WITH_NODE_PORTS = Set.of("NodePort", "LoadBalancer");
    private static final SecureRandom RANDOM = new SecureRandom();

    ServiceStrategy() {
        super(ResourceTypes.SERVICES);
    }

    @Override
    void admit(ObjectNode svc, JsonNode old, Store store) {
        ExternalIps.admit(svc, old, store);
    }

    @Override
    Runnable reserve(ObjectNode svc, Store store) {
        return reserveUpdate(svc, MissingNode.getInstance(), store);
    }

    /**
     * Takes the cluster IP and node ports {@code svc} holds that {@code old} did not (everything, on create),
     * allocating those it leaves empty.
     */
    @Override
    Runnable reserveUpdate(ObjectNode svc, JsonNode old, Store store) {
        ObjectNode spec = svc.withObject("/spec");
        String type = spec.path("type").asText("ClusterIP");
        byte[] owner = owner(svc);
        Set<String> held = reserved(old);
        List<String> taken = new ArrayList<>();
        Runnable unreserve = () -> taken.forEach(k -> unreserve(store, k, owner));
        try {
            if (!type.equals("ExternalName")) {
                String ip = spec.path("clusterIP").asText("");
                if (ip.isEmpty()) {
                    ip = takeFree(store, owner, taken, () -> IP_PREFIX + ipv4(RANGE.base() + 1 + RANDOM.nextInt(RANGE_SIZE - 2)),
                            "spec.clusterIPs", "failed to allocate a cluster IP: the range " + RANGE + " is full");
                    ip = ip.substring(IP_PREFIX.length());
                    spec.put("clusterIP", ip);
                    spec.putArray("clusterIPs").add(ip);
                } else if (!ip.equals("None") && !held.contains(IP_PREFIX + ip)) {
                    if (!inRange(ip)) {
                        throw ApiException.invalid(ResourceTypes.SERVICES, Meta.name(svc), List.of(FieldError.invalid("spec.clusterIPs", ip,
                                "provided IP is not in the valid range. The range of valid IPs is " + RANGE)));
                    }
                    take(store, IP_PREFIX + ip, owner, taken, "spec.clusterIPs", ip, "provided IP is already allocated");
                }
            }
            if (WITH_NODE_PORTS.contains(type)) {
                int i = 0;
                for (JsonNode p : spec.path("ports")) {
                    int port = p.path("nodePort").asInt(0);
                    if (port == 0) {
                        String key = takeFree(store, owner, taken,
                                () -> PORT_PREFIX + (NODE_PORT_MIN + RANDOM.nextInt(NODE_PORT_MAX - NODE_PORT_MIN + 1)),
                                "spec.ports[" + i + "].nodePort", "failed to allocate a node port: the range is full");
                        ((ObjectNode) p).put("nodePort", Integer.parseInt(key.substring(PORT_PREFIX.length())));
                    } else if (!held.contains(PORT_PREFIX + port)) {
                        take(store, PORT_PREFIX + port, owner, taken, "spec.ports[" + i + "].nodePort", port,
                                "provided port is already allocated");
                    }
                    i++;
                }
            }
            Runnable unclaim = ExternalIps.claim(svc, old, store);
            return () -> {
                unclaim.run();
                unreserve.run();
            };
        } catch (RuntimeException e) {
            unreserve.run();
            throw e;
        }
    }

    @Override
    void release(JsonNode svc, Store store) {
        byte[] owner = owner(svc);
        for (String key : reserved(svc)) unreserve(store, key, owner);
        ExternalIps.release(MissingNode.getInstance(), svc, store);
    }

    @Override
    void releaseUpdate(JsonNode svc, JsonNode old, Store store) {
        Set<String> kept = reserved(svc);
        byte[] owner = owner(svc);
        for (String key : reserved(old)) if (!kept.contains(key)) unreserve(store, key, owner);
        ExternalIps.release(svc, old, store);
    }

    /** The allocation keys a stored Service holds (none for a missing node). */
    private static Set<String> reserved(JsonNode svc) {
        Set<String> keys = new HashSet<>();
        JsonNode spec = svc.path("spec");
        String ip = spec.path("clusterIP").asText("");
        if (!ip.isEmpty() && !ip.equals("None")) keys.add(IP_PREFIX + ip);
        for (JsonNode p : spec.path("ports")) {
            int port = p.path("nodePort").asInt(0);
            if (port != 0) keys.add(PORT_PREFIX + port);
        }
        return keys;
    }

    private static byte[] owner(JsonNode svc) {
        return (Meta.namespace(svc) + "/" + Meta.name(svc)).getBytes(StandardCharsets.UTF_8);
    }

    /** What the client left out of an update keeps what was allocated (clusterIP, node ports of the same port). */
    @Override
    void prepareForUpdate(ObjectNode svc, ObjectNode old) {
        ObjectNode spec = svc.withObject("/spec");
        JsonNode oldSpec = old.path("spec");
        if (spec.path("clusterIP").asText("").isEmpty() && oldSpec.has("clusterIP")) {
            spec.set("clusterIP", oldSpec.get("clusterIP").deepCopy());
            if (oldSpec.has("clusterIPs")) spec.set("clusterIPs", oldSpec.get("clusterIPs").deepCopy());
        }
        for (JsonNode p : spec.path("ports")) {
            if (p.path("nodePort").asInt(0) != 0) continue;
            for (JsonNode o : oldSpec.path("ports")) {
                if (o.path("port").asInt() == p.path("port").asInt()
                        && o.path("protocol").asText("TCP").equals(p.path("protocol").asText("TCP")) && o.has("nodePort")) {
                    ((ObjectNode) p).set("nodePort", o.get("nodePort").deepCopy());
                }
            }
        }
    }

    private static String takeFree(Store store, byte[] owner, List<String> taken, java.util.function.Supplier<String> candidate,
            String field, String full) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            String key = candidate.get();
            try {
                store.create(key, owner);
                taken.add(key);
                return key;
            } catch (KeyExistsException e) {
                // taken: try another
            }
        }
        throw new ApiException(500, "InternalError", "Internal error occurred: " + full + " (" + field + ")", null);
    }

    private static void take(Store store, String key, byte[] owner, List<String> taken, String field, Object value, String why) {
        try {
            store.create(key, owner);
            taken.add(key);
        } catch (KeyExistsException e) {
            throw ApiException.invalid(ResourceTypes.SERVICES, new String(owner, StandardCharsets.UTF_8).replaceFirst(".*/", ""),
                    List.of(FieldError.invalid(field, value, why)));
        }
    }

    /** Gives a key back only if {@code owner} holds it, so a Service can never free another's address or port. */
    private static void unreserve(Store store, String key, byte[] owner) {
        store.get(key).filter(kv -> Arrays.equals(kv.value(), owner)).ifPresent(kv -> {
            try {
                store.delete(key, kv.modRevision());
            } catch (KeyNotFoundException | RevisionMismatchException e) {
                // given back, or taken again, in between
            }
        });
    }

    /** Whether a dotted IPv4 address lies in the service range (validation has already checked its form). */
    static boolean inRange(String ip) {
        return Ipv4Block.address(ip).map(RANGE::contains).orElse(false);
    }

    static String ipv4(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }
}
