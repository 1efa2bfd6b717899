package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.quantity.Quantity;
import io.hypernetes.api.quantity.QuantityFormatException;
import io.hypernetes.api.resource.PodSize;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.apiserver.authz.Tenancy;
import io.hypernetes.store.KeyValue;
import io.hypernetes.store.Store;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-tenant limits on namespaces, pods, CPU and memory, enforced when a namespace or pod is created.
 *
 * <p>The limits are data an administrator edits with kubectl: the ConfigMap {@code kube-system/tenant-quotas},
 * whose key {@code default} applies to every tenant and whose key {@code <project id>} replaces it for one
 * tenant, each value a list such as {@code namespaces=10,pods=100,cpu=32,memory=64Gi} (a resource left out is
 * unlimited; no ConfigMap, no limits, as Kubernetes has no quota until one is created). A tenant-level limit
 * rather than a ResourceQuota per namespace, because a tenant could otherwise escape any per-namespace limit by
 * creating more namespaces.
 *
 * <p>A pod counts what its VM is given ({@link PodSize}: its containers' limits, requests where no limit is set,
 * init containers and overhead as Kubernetes counts them, and the default VM size for what no container names).
 * Pods that finished (Succeeded, Failed) count nothing, as in Kubernetes.
 *
 * <p>Usage is counted from the store at admission, under a lock per tenant held until the new object is
 * written, so concurrent creates of one tenant cannot both take the last unit. Counting walks the keys of the
 * tenant's namespaces but decodes only objects it has not seen at their current revision: what each namespace
 * and pod counts for is remembered by key and mod revision, so a create costs a walk over in-memory keys, not
 * a decode of every pod the tenant has. With one API server process (the embedded store) that is exact.
 * Several API servers over etcd would need the usage kept in a store key updated by compare-and-swap, as
 * Kubernetes keeps it in a ResourceQuota's status.
 */
final class TenantQuota {
    private static final Logger log = LoggerFactory.getLogger(TenantQuota.class);
    static final String CONFIG_KEY = "/registry/configmaps/kube-system/tenant-quotas";
    private static final String NAMESPACES = "/registry/namespaces/";
    private static final List<String> RESOURCES = List.of("namespaces", "pods", "cpu", "memory");

    private final Store store;
    /** One lock per tenant: tenants are few (Keystone projects), and a shared stripe would serialise strangers. */
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    /** What a namespace or pod key counted for at a mod revision; a key whose revision moved is decoded again. */
    private volatile Map<String, Counted> namespaces = Map.of();
    private final ConcurrentHashMap<String, Map<String, Counted>> podsByNamespace = new ConcurrentHashMap<>();

    /** A namespace's tenant, or a pod's usage (empty once it finished), as of {@code revision}. */
    private record Counted(long revision, String tenant, Map<String, Quantity> usage) {}

    TenantQuota(Store store) {
        this.store = store;
    }

    /**
     * Checks that creating {@code obj} keeps its tenant within its limits. On success the tenant's lock is held
     * and the returned action releases it: call it once the object is written (or not).
     */
    Runnable admit(ResourceType type, ObjectNode obj) {
        if (type != ResourceTypes.NAMESPACES && type != ResourceTypes.PODS) return () -> {};
        String tenant = Tenancy.tenantOf(type, obj);
        if (tenant == null) return () -> {};
        Map<String, Quantity> limits = limits(tenant);
        if (limits.isEmpty()) return () -> {};
        ReentrantLock lock = locks.computeIfAbsent(tenant, t -> new ReentrantLock());
        lock.lock();
        try {
            Map<String, Quantity> requested = type == ResourceTypes.NAMESPACES ? Map.of("namespaces", one()) : podUsage(obj);
            Map<String, Quantity> used = usage(tenant, requested.keySet());
            List<String> over = new ArrayList<>();
            for (var r : requested.entrySet()) {
                Quantity limit = limits.get(r.getKey());
                if (limit != null && used.get(r.getKey()).add(r.getValue()).compareTo(limit) > 0) over.add(r.getKey());
            }
            if (!over.isEmpty()) {
                throw ApiException.forbidden(type, Meta.name(obj), "exceeded quota: tenant " + tenant
                        + ", requested: " + describe(requested, over) + ", used: " + describe(used, over)
                        + ", limited: " + describe(limits, over));
            }
            return lock::unlock;
        } catch (RuntimeException e) {
            lock.unlock();
            throw e;
        }
    }

    private static Quantity one() {
        return Quantity.parse("1");
    }

    private static String describe(Map<String, Quantity> values, List<String> keys) {
        List<String> parts = new ArrayList<>();
        for (String k : keys) parts.add(k + "=" + values.get(k));
        return String.join(",", parts);
    }

    /** The tenant's limits: its own entry, else the default; an unreadable entry is logged and means none. */
    Map<String, Quantity> limits(String tenant) {
        KeyValue kv = store.get(CONFIG_KEY).orElse(null);
        if (kv == null) return Map.of();
        JsonNode data = ResourceStore.decode(kv.value(), kv.modRevision()).path("data");
        JsonNode entry = data.has(tenant) ? data.get(tenant) : data.get("default");
        if (entry == null || !entry.isTextual()) return Map.of();
        try {
            return parse(entry.asText());
        } catch (IllegalArgumentException e) {
            log.warn("kube-system/tenant-quotas: ignoring the entry for {}: {}", tenant, e.getMessage());
            return Map.of();
        }
    }

    /** {@code namespaces=10,pods=100,cpu=32,memory=64Gi}: resources from {@link #RESOURCES}, quantities as Kubernetes writes them. */
    static Map<String, Quantity> parse(String text) {
        Map<String, Quantity> limits = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            String name = eq < 0 ? part.trim() : part.substring(0, eq).trim();
            if (eq < 0 || !RESOURCES.contains(name)) {
                throw new IllegalArgumentException("expected resource=quantity with resource one of " + RESOURCES + ", got \"" + part.trim() + "\"");
            }
            try {
                Quantity q = Quantity.parse(part.substring(eq + 1).trim());
                if (q.signum() < 0) throw new IllegalArgumentException(name + " must not be negative");
                limits.put(name, q);
            } catch (QuantityFormatException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage());
            }
        }
        return limits;
    }

    /** What a pod's VM is given: {@link PodSize}, the sizing the scheduler packs by. */
    static Map<String, Quantity> podUsage(JsonNode pod) {
        PodSize size = PodSize.of(pod);
        Map<String, Quantity> usage = new LinkedHashMap<>();
        usage.put("pods", one());
        usage.put("cpu", size.cpu());
        usage.put("memory", size.memory());
        return usage;
    }

    /** The tenant's current usage of {@code resources}, counted from the store. */
    private Map<String, Quantity> usage(String tenant, java.util.Set<String> resources) {
        Map<String, Quantity> used = new LinkedHashMap<>();
        for (String r : resources) used.put(r, Quantity.ZERO);
        List<String> owned = new ArrayList<>();
        Map<String, Counted> seen = namespaces;
        Map<String, Counted> now = new java.util.HashMap<>();
        for (KeyValue kv : scan(NAMESPACES)) {
            Counted c = seen.get(kv.key());
            if (c == null || c.revision() != kv.modRevision()) {
                c = new Counted(kv.modRevision(),
                        Tenancy.tenantOf(ResourceTypes.NAMESPACES, ResourceStore.decode(kv.value(), kv.modRevision())), null);
            }
            now.put(kv.key(), c);
            if (tenant.equals(c.tenant())) owned.add(kv.key().substring(NAMESPACES.length()));
        }
        namespaces = now;
        podsByNamespace.keySet().retainAll(now.keySet().stream().map(k -> k.substring(NAMESPACES.length()))
                .collect(java.util.stream.Collectors.toSet()));
        if (resources.contains("namespaces")) used.put("namespaces", Quantity.parse(Integer.toString(owned.size())));
        if (!resources.contains("pods")) return used;
        for (String ns : owned) {
            Map<String, Counted> podsSeen = podsByNamespace.getOrDefault(ns, Map.of());
            Map<String, Counted> podsNow = new java.util.HashMap<>();
            for (KeyValue kv : scan("/registry/pods/" + ns + "/")) {
                Counted c = podsSeen.get(kv.key());
                if (c == null || c.revision() != kv.modRevision()) c = new Counted(kv.modRevision(), tenant, counted(kv));
                podsNow.put(kv.key(), c);
                c.usage().forEach((r, q) -> used.computeIfPresent(r, (k, u) -> u.add(q)));
            }
            podsByNamespace.put(ns, podsNow);
        }
        return used;
    }

    /** What a stored pod counts for: nothing once it finished. */
    private static Map<String, Quantity> counted(KeyValue kv) {
        ObjectNode pod = ResourceStore.decode(kv.value(), kv.modRevision());
        String phase = pod.path("status").path("phase").asText("");
        return phase.equals("Succeeded") || phase.equals("Failed") ? Map.of() : podUsage(pod);
    }

    private List<KeyValue> scan(String prefix) {
        return store.range(prefix, Store.prefixEnd(prefix), 0, 0).kvs();
    }
}
