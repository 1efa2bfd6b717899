package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.api.validation.FieldError;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.apiserver.authz.Access;
import io.hypernetes.apiserver.authz.Tenancy;
import io.hypernetes.store.KeyExistsException;
import io.hypernetes.store.KeyNotFoundException;
import io.hypernetes.store.KeyValue;
import io.hypernetes.store.RevisionMismatchException;
import io.hypernetes.store.Store;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admission of the addresses a Service asks to have routed to it from outside its Network: {@code spec.externalIPs}
 * and, for {@code type: LoadBalancer}, {@code spec.loadBalancerIP}.
 *
 * <p><b>Why.</b> The service proxy turns each of these into a host route on the network node ({@code ip route
 * replace <ip>/32 via <router> dev hntN}), so whoever writes one decides where the network node sends traffic for
 * that address. Taken as written, that is Kubernetes' CVE-2020-8554: a tenant names an address someone else uses —
 * another tenant's external IP, a node, the service range, the resolver the host asks — and intercepts or
 * black-holes its traffic. Upstream's mitigations are the {@code DenyServiceExternalIPs} admission plugin or a
 * policy allowing chosen ranges; this is the second, with "nothing" as the policy until the administrator writes one.
 *
 * <p><b>The rules</b>, for each address a create or an update (PUT, PATCH, apply) adds — addresses the Service
 * already held are not judged again, so a Service admitted under an older policy can still be edited or deleted:
 * <ol>
 *   <li>422 Invalid, for everyone: at most {@value #MAX_EXTERNAL_IPS} {@code externalIPs} (what kubestack accepts);
 *       a canonical IPv4 address (tenant routers and host routes are IPv4); not a special-purpose address (this
 *       network 0.0.0.0/8, loopback, link-local, multicast, 240.0.0.0/4 and broadcast); not the cluster's own
 *       (the service range {@link ServiceStrategy#RANGE}, the transit range {@link #TRANSIT_RANGE}, a Node's
 *       address or pod range). A route for any of these would break the network node itself, whoever asked.
 *   <li>403 Forbidden, for tenants only: the address must lie in a range the administrator allows the tenant, in
 *       the ConfigMap {@code kube-system/external-ips} (key {@code <project id>}, else {@code default}; a
 *       comma-separated list of CIDRs or addresses; no ConfigMap or no entry: none). The cluster administrator
 *       (certificate or Keystone {@code admin}) is not held to it: the policy is the administrator's, as in
 *       Kubernetes where the cluster admin decides who may set external IPs.
 *   <li>422 Invalid, for everyone: the address is not claimed by another tenant. A claim is a store key per address,
 *       {@code /registry/allocations/externalips/<ip>}, holding the owning tenant (empty for namespaces without one,
 *       the cluster's) and the Services of that tenant using it. Services of one tenant share an address (different
 *       ports, as in Kubernetes); another tenant's Service is refused with "is in use", naming neither the tenant nor
 *       the Service. The administrator is held to this too: the network node routes an address to one router, and a
 *       second owner would make the route flap between two tenants.
 * </ol>
 *
 * <p>422 rather than 409 for an address in use: 409 Conflict tells clients (client-go's RetryOnConflict, kubectl)
 * that retrying with a fresh object may succeed, which it will not; and it is what a cluster IP already allocated
 * answers. Claims are taken by create-if-absent and compare-and-swap, before the Service is written and given back
 * if it is not, exactly as cluster IPs are ({@link ServiceStrategy}), so concurrent writes — with several API
 * servers over etcd, too — cannot both win one address, and a refused request leaves nothing behind.
 */
final class ExternalIps {
    private static final Logger log = LoggerFactory.getLogger(ExternalIps.class);
    static final String CLAIM_PREFIX = "/registry/allocations/externalips/";
    static final String POLICY_KEY = "/registry/configmaps/kube-system/external-ips";
    /** What kubestack accepts per load balancer ({@code KubestackService.MAX_EXTERNAL_IPS}); more would never be programmed. */
    static final int MAX_EXTERNAL_IPS = 64;
    /**
     * Where the linux provider takes each Network's router-to-host /30 ({@code LinuxConfig.DEFAULT_TRANSIT}; the
     * apiserver cannot depend on the network module). All of it: it is also RFC 6598 shared address space.
     */
    static final Ipv4Block TRANSIT_RANGE = Ipv4Block.parse("100.64.0.0/10");

    /** A special-purpose or cluster block no external IP may lie in, and how the refusal says so. */
    private record Reserved(Ipv4Block block, String why) {}

    private static final List<Reserved> RESERVED = List.of(
            new Reserved(Ipv4Block.parse("255.255.255.255/32"), "must not be the broadcast address"),
            new Reserved(Ipv4Block.parse("0.0.0.0/8"), "must not be in 0.0.0.0/8 (unspecified, this network)"),
            new Reserved(Ipv4Block.parse("127.0.0.0/8"), "must not be a loopback address (127.0.0.0/8)"),
            new Reserved(Ipv4Block.parse("169.254.0.0/16"), "must not be a link-local address (169.254.0.0/16)"),
            new Reserved(Ipv4Block.parse("224.0.0.0/4"), "must not be a multicast address (224.0.0.0/4)"),
            new Reserved(Ipv4Block.parse("240.0.0.0/4"), "must not be in the reserved block 240.0.0.0/4"),
            new Reserved(ServiceStrategy.RANGE, "must not be in the cluster's service IP range " + ServiceStrategy.RANGE),
            new Reserved(TRANSIT_RANGE, "must not be in the tenant networks' transit range " + TRANSIT_RANGE));

    /** One address a Service asks for, and the field asking. */
    record Request(String field, String ip) {}

    private ExternalIps() {}

    /** The addresses a Service asks to be routed to it, in field order (an entry twice counts once). */
    static List<Request> requests(JsonNode svc) {
        JsonNode spec = svc.path("spec");
        List<Request> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int i = 0;
        for (JsonNode ip : spec.path("externalIPs")) {
            if (seen.add(ip.asText())) out.add(new Request("spec.externalIPs[" + i + "]", ip.asText()));
            i++;
        }
        String lb = spec.path("loadBalancerIP").asText("");
        if (spec.path("type").asText("").equals("LoadBalancer") && !lb.isEmpty() && seen.add(lb)) {
            out.add(new Request("spec.loadBalancerIP", lb));
        }
        return out;
    }

    private static Set<String> addresses(JsonNode svc) {
        Set<String> ips = new HashSet<>();
        for (Request r : requests(svc)) ips.add(r.ip());
        return ips;
    }

    /** What {@code svc} asks for that {@code old} (a missing node on create) did not hold. */
    private static List<Request> added(JsonNode svc, JsonNode old) {
        Set<String> held = addresses(old);
        return requests(svc).stream().filter(r -> !held.contains(r.ip())).toList();
    }

    /**
     * Refuses a create or update of {@code svc} that adds an address the rules above forbid. Reads the store and
     * writes nothing, so a dry run answers what the write would; the claims themselves are taken by {@link #claim}.
     */
    static void admit(ObjectNode svc, JsonNode old, Store store) {
        String name = Meta.name(svc);
        JsonNode list = svc.path("spec").path("externalIPs");
        if (list.size() > MAX_EXTERNAL_IPS && !list.equals(old.path("spec").path("externalIPs"))) {
            throw ApiException.invalid(ResourceTypes.SERVICES, name, List.of(new FieldError("spec.externalIPs", FieldError.Type.TOO_MANY,
                    null, "must have at most " + MAX_EXTERNAL_IPS + " items (has " + list.size() + ")")));
        }
        List<Request> added = added(svc, old);
        if (added.isEmpty()) return;
        List<FieldError> invalid = new ArrayList<>();
        ClusterAddresses cluster = null;
        for (Request r : added) {
            Optional<Integer> ip = Ipv4Block.address(r.ip());
            if (ip.isEmpty()) {
                invalid.add(FieldError.invalid(r.field(), r.ip(), r.ip().contains(":")
                        ? "must be an IPv4 address: tenant routers and the network node's routes are IPv4 only"
                        : "must be an IPv4 address such as 203.0.113.7"));
                continue;
            }
            Optional<String> reserved = RESERVED.stream().filter(b -> b.block().contains(ip.get())).map(Reserved::why).findFirst();
            if (reserved.isEmpty()) {
                if (cluster == null) cluster = ClusterAddresses.read(store);
                reserved = cluster.reason(ip.get());
            }
            reserved.ifPresent(why -> invalid.add(FieldError.invalid(r.field(), r.ip(), why)));
        }
        if (!invalid.isEmpty()) throw ApiException.invalid(ResourceTypes.SERVICES, name, invalid);

        if (Access.current() instanceof Access.Tenant tenant) {
            List<Ipv4Block> allowed = allowed(store, tenant.project());
            List<String> refused = new ArrayList<>();
            for (Request r : added) {
                int ip = Ipv4Block.address(r.ip()).orElseThrow();
                if (allowed.stream().noneMatch(b -> b.contains(ip))) refused.add(r.field() + ": " + r.ip());
            }
            if (!refused.isEmpty()) {
                throw ApiException.forbidden(ResourceTypes.SERVICES, name, String.join(", ", refused)
                        + (refused.size() == 1 ? " is" : " are") + " not in the external IP ranges your project may use ("
                        + (allowed.isEmpty() ? "none: ask the cluster administrator for a range" : join(allowed))
                        + ", ConfigMap kube-system/external-ips)");
            }
        }

        String tenant = tenantOf(svc);
        List<FieldError> inUse = new ArrayList<>();
        for (Request r : added) {
            store.get(CLAIM_PREFIX + r.ip()).map(ExternalIps::holder)
                    .filter(h -> !h.tenant().equals(tenant))
                    .ifPresent(h -> inUse.add(inUse(r)));
        }
        if (!inUse.isEmpty()) throw ApiException.invalid(ResourceTypes.SERVICES, name, inUse);
    }

    private static FieldError inUse(Request r) {
        return FieldError.invalid(r.field(), r.ip(), "is in use");
    }

    private static String join(List<Ipv4Block> blocks) {
        return String.join(",", blocks.stream().map(Ipv4Block::toString).toList());
    }

    /** The Service's tenant as a claim records it: empty for a namespace without one (the cluster's own). */
    private static String tenantOf(JsonNode svc) {
        String t = Tenancy.tenantOf(ResourceTypes.SERVICES, svc);
        return t == null ? "" : t;
    }

    private static String holderName(JsonNode svc) {
        return Meta.namespace(svc) + "/" + Meta.name(svc);
    }

    /**
     * The ranges {@code project} may take external IPs from: its own entry of {@code kube-system/external-ips}, else
     * {@code default}; none without the ConfigMap. An entry that does not parse is logged and allows nothing.
     */
    static List<Ipv4Block> allowed(Store store, String project) {
        KeyValue kv = store.get(POLICY_KEY).orElse(null);
        if (kv == null) return List.of();
        JsonNode data = ResourceStore.decode(kv.value(), kv.modRevision()).path("data");
        JsonNode entry = data.has(project) ? data.get(project) : data.get("default");
        if (entry == null || !entry.isTextual()) return List.of();
        try {
            return parsePolicy(entry.asText());
        } catch (IllegalArgumentException e) {
            log.warn("kube-system/external-ips: ignoring the entry for {}: {}", project, e.getMessage());
            return List.of();
        }
    }

    /** {@code 203.0.113.0/24, 198.51.100.7}: CIDRs or single addresses, comma-separated. */
    static List<Ipv4Block> parsePolicy(String text) {
        List<Ipv4Block> blocks = new ArrayList<>();
        for (String part : text.split(",")) {
            if (part.isBlank()) continue;
            blocks.add(Ipv4Block.parseCidr(part.trim()).orElseThrow(() -> new IllegalArgumentException(
                    "\"" + part.trim() + "\" is not an IPv4 CIDR (203.0.113.0/24) or address (203.0.113.7)")));
        }
        return blocks;
    }

    // ---- claims

    /** Who holds an address: one tenant ("" = the cluster) and the Services of it ("namespace/name") using it. */
    private record Holder(String tenant, List<String> services) {
        byte[] bytes() {
            ObjectNode o = Json.object().put("tenant", tenant);
            ArrayNode s = o.putArray("services");
            services.forEach(s::add);
            return Json.bytes(o);
        }
    }

    private static Holder holder(KeyValue kv) {
        try {
            JsonNode o = Json.parse(kv.value());
            List<String> services = new ArrayList<>();
            o.path("services").forEach(s -> services.add(s.asText()));
            return new Holder(o.path("tenant").asText(""), services);
        } catch (IOException e) {
            throw ApiException.internal("external IP claim " + kv.key() + " is corrupt: " + e.getMessage());
        }
    }

    /**
     * Claims for {@code svc} what it adds to {@code old}: a free address becomes its tenant's, one its tenant holds
     * gains it as a user, one another tenant holds is refused (422, as {@link #admit} would have said had it been
     * taken in between). Everything claimed is given back if a later address is refused.
     *
     * @return gives back what this call claimed, for when the Service is not written after all
     */
    static Runnable claim(ObjectNode svc, JsonNode old, Store store) {
        String tenant = tenantOf(svc);
        String me = holderName(svc);
        List<String> claimed = new ArrayList<>();
        Runnable giveBack = () -> claimed.forEach(ip -> unclaim(store, ip, me));
        try {
            List<FieldError> inUse = new ArrayList<>();
            for (Request r : added(svc, old)) {
                if (Ipv4Block.address(r.ip()).isEmpty()) continue; // admit refused it; a stored relic is not claimed
                switch (claimOne(store, r.ip(), tenant, me)) {
                    case CLAIMED -> claimed.add(r.ip());
                    case ALREADY_HELD -> { }
                    case IN_USE -> inUse.add(inUse(r));
                }
            }
            if (!inUse.isEmpty()) throw ApiException.invalid(ResourceTypes.SERVICES, Meta.name(svc), inUse);
            return giveBack;
        } catch (RuntimeException e) {
            giveBack.run();
            throw e;
        }
    }

    private enum Outcome { CLAIMED, ALREADY_HELD, IN_USE }

    private static Outcome claimOne(Store store, String ip, String tenant, String me) {
        String key = CLAIM_PREFIX + ip;
        while (true) {
            Optional<KeyValue> kv = store.get(key);
            try {
                if (kv.isEmpty()) {
                    store.create(key, new Holder(tenant, List.of(me)).bytes());
                    return Outcome.CLAIMED;
                }
                Holder h = holder(kv.get());
                if (!h.tenant().equals(tenant)) return Outcome.IN_USE;
                // a Service re-created under its old name after a crash may still be listed: nothing to give back then
                if (h.services().contains(me)) return Outcome.ALREADY_HELD;
                List<String> services = new ArrayList<>(h.services());
                services.add(me);
                store.update(key, new Holder(tenant, services).bytes(), kv.get().modRevision());
                return Outcome.CLAIMED;
            } catch (KeyExistsException | RevisionMismatchException | KeyNotFoundException e) {
                // written in between: decide again on what is there now
            }
        }
    }

    /** Gives back the addresses {@code old} held and {@code svc} (a missing node when deleted) no longer asks for. */
    static void release(JsonNode svc, JsonNode old, Store store) {
        Set<String> kept = addresses(svc);
        String me = holderName(old);
        for (String ip : new LinkedHashSet<>(addresses(old))) {
            if (!kept.contains(ip)) unclaim(store, ip, me);
        }
    }

    /** Takes {@code me} off the address's users; the last one out deletes the claim. Never touches another's. */
    private static void unclaim(Store store, String ip, String me) {
        String key = CLAIM_PREFIX + ip;
        while (true) {
            Optional<KeyValue> kv = store.get(key);
            if (kv.isEmpty()) return;
            Holder h = holder(kv.get());
            if (!h.services().contains(me)) return;
            List<String> rest = new ArrayList<>(h.services());
            rest.remove(me);
            try {
                if (rest.isEmpty()) store.delete(key, kv.get().modRevision());
                else store.update(key, new Holder(h.tenant(), rest).bytes(), kv.get().modRevision());
                return;
            } catch (RevisionMismatchException | KeyNotFoundException e) {
                // written in between: look again
            }
        }
    }

    /**
     * Takes the claims that Services stored without them hold (written before this rule existed, or restored from a
     * backup of the Services alone), oldest Service first, so an upgraded cluster protects the addresses already in
     * use. A Service whose address another tenant claimed first is logged and left unclaimed: the write that would
     * have refused it is long past, and deleting a tenant's Service is not the API server's call. Run at start-up;
     * it only adds, by create-if-absent and compare-and-swap, so it is safe beside API servers already serving.
     *
     * @return how many claims it took
     */
    static int backfill(Store store) {
        String prefix = "/registry/services/";
        byte[] externalIps = "\"externalIPs\"".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] loadBalancerIp = "\"loadBalancerIP\"".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        List<JsonNode> services = new ArrayList<>();
        for (KeyValue kv : store.range(prefix, Store.prefixEnd(prefix), 0, 0).kvs()) {
            if (!Tenancy.contains(kv.value(), externalIps) && !Tenancy.contains(kv.value(), loadBalancerIp)) continue;
            services.add(ResourceStore.decode(kv.value(), kv.modRevision()));
        }
        services.sort(java.util.Comparator.comparing((JsonNode s) -> s.path("metadata").path("creationTimestamp").asText(""))
                .thenComparing(ExternalIps::holderName));
        int taken = 0;
        for (JsonNode svc : services) {
            for (Request r : requests(svc)) {
                if (Ipv4Block.address(r.ip()).isEmpty()) continue;
                switch (claimOne(store, r.ip(), tenantOf(svc), holderName(svc))) {
                    case CLAIMED -> taken++;
                    case ALREADY_HELD -> { }
                    case IN_USE -> log.warn("service {}: {} {} is claimed by another tenant's Service; left unclaimed",
                            holderName(svc), r.field(), r.ip());
                }
            }
        }
        if (taken > 0) log.info("external IPs: took {} claims for Services stored without them", taken);
        return taken;
    }

    /**
     * The cluster's own addresses as the store knows them: every Node's addresses (the underlay VXLAN peers talk
     * over, the kubelet's) and pod ranges (the default network's pods). Read only when a write adds an address.
     */
    private record ClusterAddresses(Set<Integer> nodeAddresses, List<Ipv4Block> podRanges) {
        static ClusterAddresses read(Store store) {
            Set<Integer> addresses = new HashSet<>();
            List<Ipv4Block> ranges = new ArrayList<>();
            String prefix = "/registry/nodes/";
            for (KeyValue kv : store.range(prefix, Store.prefixEnd(prefix), 0, 0).kvs()) {
                JsonNode node = ResourceStore.decode(kv.value(), kv.modRevision());
                for (JsonNode a : node.path("status").path("addresses")) {
                    Ipv4Block.address(a.path("address").asText("")).ifPresent(addresses::add);
                }
                Ipv4Block.parseCidr(node.path("spec").path("podCIDR").asText("")).ifPresent(ranges::add);
                for (JsonNode c : node.path("spec").path("podCIDRs")) Ipv4Block.parseCidr(c.asText("")).ifPresent(ranges::add);
            }
            return new ClusterAddresses(addresses, ranges);
        }

        Optional<String> reason(int ip) {
            if (nodeAddresses.contains(ip)) return Optional.of("must not be the address of a node of this cluster");
            if (podRanges.stream().anyMatch(r -> r.contains(ip))) return Optional.of("must not be in a node's pod range (spec.podCIDR)");
            return Optional.empty();
        }
    }
}
