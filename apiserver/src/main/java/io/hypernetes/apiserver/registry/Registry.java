package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.api.validation.FieldError;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.apiserver.authz.Access;
import io.hypernetes.apiserver.authz.Projects;
import io.hypernetes.apiserver.authz.Tenancy;
import io.hypernetes.store.Store;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Every served resource's {@link ResourceStore}, over one {@link Store}. */
public final class Registry {
    /** Namespaces every cluster has, created on first start as Kubernetes' bootstrap controller does. */
    public static final List<String> SYSTEM_NAMESPACES = List.of("default", "kube-system", "kube-public", "kube-node-lease");

    private final Store store;
    private final Projects projects;
    private final TenantQuota quota;
    private final Map<ResourceType, ResourceStore> stores = new LinkedHashMap<>();

    /** @param projects which Keystone projects exist, for the tenants namespaces and networks name */
    public Registry(Store store, ObjectRules rules, Clock clock, Projects projects) {
        this.store = store;
        this.projects = projects;
        this.quota = new TenantQuota(store);
        for (ResourceType t : ResourceTypes.ALL) stores.put(t, new ResourceStore(t, store, rules, clock, this));
    }

    public Store store() {
        return store;
    }

    TenantQuota quota() {
        return quota;
    }

    public ResourceStore of(ResourceType type) {
        ResourceStore s = stores.get(type);
        if (s == null) throw new IllegalArgumentException("not served: " + type.plural());
        return s;
    }

    /** Creates the system namespaces that are missing and the external IP claims Services hold without them. */
    public void bootstrap() {
        ExternalIps.backfill(store);
        ResourceStore namespaces = of(ResourceTypes.NAMESPACES);
        for (String name : SYSTEM_NAMESPACES) {
            if (namespaces.find(null, name).isPresent()) continue;
            ObjectNode ns = Json.object().put("apiVersion", "v1").put("kind", "Namespace");
            ns.putObject("metadata").put("name", name);
            try {
                namespaces.create(null, ns, false, ResourceStore.SERVER_MANAGER);
            } catch (ApiException e) {
                if (e.code() != 409) throw e;
            }
        }
    }

    /**
     * Kubernetes' NamespaceLifecycle admission: content goes only into namespaces that exist (for this request:
     * another tenant's namespace does not) and are not terminating. Returns the namespace.
     */
    ObjectNode namespaceAcceptingContent(ResourceType type, String namespace, String name) {
        ObjectNode ns = of(ResourceTypes.NAMESPACES).find(null, namespace)
                .orElseThrow(() -> ApiException.notFound(ResourceTypes.NAMESPACES, namespace));
        if (Meta.deleting(ns) && type != ResourceTypes.EVENTS) {
            throw ApiException.forbidden(type, name,
                    "unable to create new content in namespace " + namespace + " because it is being terminated");
        }
        return ns;
    }

    /**
     * Records a new object's tenant (see {@link Tenancy}): a namespaced object takes its namespace's, whatever
     * the client wrote; a namespace takes its creator's project, or for an administrator the tenant label it was
     * given; a network must name the creator's own project unless an administrator creates it. What an
     * administrator names must exist (see {@link #mustExist}). A namespace's network must be one of its tenant's.
     */
    void assignTenant(ResourceType type, ObjectNode obj, ObjectNode namespace) {
        Access access = Access.current();
        if (type.namespaced()) {
            setTenant(obj, Tenancy.tenantOf(ResourceTypes.NAMESPACES, namespace));
        } else if (type == ResourceTypes.NAMESPACES) {
            String given = Tenancy.tenantOf(type, obj);
            String tenant = switch (access) {
                case Access.Tenant t -> t.project();
                case Access.All all -> given != null ? given : all.project();
                case Access.Node node -> given;
            };
            if (given != null && mustExist(access) && !projects.exists(given)) {
                throw ApiException.invalid(type, Meta.name(obj), List.of(FieldError.invalid(
                        "metadata.labels[" + Tenancy.LABEL + "]", given, "must be the id of an existing Keystone project")));
            }
            setTenant(obj, tenant);
            checkNetwork(obj, tenant);
        } else if (type == ResourceTypes.NETWORKS) {
            String tenant = Tenancy.tenantOf(type, obj);
            if (access instanceof Access.Tenant t && tenant != null && !tenant.equals(t.project())) {
                throw ApiException.forbidden(type, Meta.name(obj), "spec.tenantID must be your own project (" + t.project() + ")");
            }
            if (mustExist(access) && tenant != null && !projects.exists(tenant)) {
                throw ApiException.invalid(type, Meta.name(obj), List.of(FieldError.invalid(
                        "spec.tenantID", tenant, "must be the id of an existing Keystone project")));
            }
        }
    }

    /**
     * Whether a tenant named by this caller must be an existing project. A tenant's own project exists (its token
     * says so); a Keystone administrator must name a real one. The cluster's certificate administrators are
     * trusted to name a project the API server cannot see — one in an external Keystone, or one about to be
     * made — and get a warning instead ({@link #unknownTenant}), so the seed's example applies as written.
     */
    private static boolean mustExist(Access access) {
        return !(access instanceof Access.Tenant) && !(access instanceof Access.All all && all.project() == null);
    }

    /** A warning when a written namespace or network names a tenant the identity service does not know. */
    public Optional<String> unknownTenant(ResourceType type, com.fasterxml.jackson.databind.JsonNode obj) {
        if (type != ResourceTypes.NAMESPACES && type != ResourceTypes.NETWORKS) return Optional.empty();
        String tenant = Tenancy.tenantOf(type, obj);
        if (tenant == null || projects.exists(tenant)) return Optional.empty();
        String field = type == ResourceTypes.NETWORKS ? "spec.tenantID" : "metadata.labels[" + Tenancy.LABEL + "]";
        return Optional.of(field + ": \"" + tenant + "\" is not a Keystone project this cluster knows; no tenant can use this "
                + type.kind().toLowerCase(java.util.Locale.ROOT) + " until one with that id exists");
    }

    /** An update keeps the object's tenant: it is set once, at creation. A namespace's new network is checked. */
    void keepTenant(ResourceType type, ObjectNode updated, ObjectNode old) {
        if (type == ResourceTypes.NETWORKS || type == ResourceTypes.NODES) return;
        String tenant = Tenancy.tenantOf(type, old);
        setTenant(updated, tenant);
        if (type == ResourceTypes.NAMESPACES && !updated.path("spec").path("network").equals(old.path("spec").path("network"))) {
            checkNetwork(updated, tenant);
        }
    }

    private static void setTenant(ObjectNode obj, String tenant) {
        ObjectNode meta = Meta.metadata(obj);
        if (tenant != null) {
            meta.withObject("/labels").put(Tenancy.LABEL, tenant);
        } else if (meta.get("labels") instanceof ObjectNode labels) {
            labels.remove(Tenancy.LABEL);
            if (labels.isEmpty()) meta.remove("labels");
        }
    }

    /** A tenant's namespace joins only a network of that tenant, which the caller must be able to see. */
    private void checkNetwork(ObjectNode namespace, String tenant) {
        String network = namespace.path("spec").path("network").asText("");
        if (network.isEmpty()) return;
        Optional<ObjectNode> found = of(ResourceTypes.NETWORKS).find(null, network);
        String owner = found.map(n -> Tenancy.tenantOf(ResourceTypes.NETWORKS, n)).orElse(null);
        if (found.isEmpty() || (tenant != null && !tenant.equals(owner))) {
            throw ApiException.invalid(ResourceTypes.NAMESPACES, Meta.name(namespace), List.of(FieldError.invalid(
                    "spec.network", network, found.isEmpty() ? "no such network" : "the network belongs to another tenant")));
        }
    }
}
