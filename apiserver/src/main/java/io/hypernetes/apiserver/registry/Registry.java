package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.store.Store;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Every served resource's {@link ResourceStore}, over one {@link Store}. */
public final class Registry {
    /** Namespaces every cluster has, created on first start as Kubernetes' bootstrap controller does. */
    public static final java.util.List<String> SYSTEM_NAMESPACES = java.util.List.of("default", "kube-system", "kube-public", "kube-node-lease");

    private final Store store;
    private final Map<ResourceType, ResourceStore> stores = new LinkedHashMap<>();

    public Registry(Store store, ObjectRules rules, Clock clock) {
        this.store = store;
        for (ResourceType t : ResourceTypes.ALL) stores.put(t, new ResourceStore(t, store, rules, clock, this));
    }

    public Store store() {
        return store;
    }

    public ResourceStore of(ResourceType type) {
        ResourceStore s = stores.get(type);
        if (s == null) throw new IllegalArgumentException("not served: " + type.plural());
        return s;
    }

    /** Creates the system namespaces that are missing. */
    public void bootstrap() {
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

    /** Kubernetes' NamespaceLifecycle admission: content goes only into namespaces that exist and are not terminating. */
    void checkNamespaceAcceptsContent(ResourceType type, String namespace, String name) {
        Optional<ObjectNode> ns = of(ResourceTypes.NAMESPACES).find(null, namespace);
        if (ns.isEmpty()) throw ApiException.notFound(ResourceTypes.NAMESPACES, namespace);
        if (Meta.deleting(ns.get()) && type != ResourceTypes.EVENTS) {
            throw ApiException.forbidden(type, name,
                    "unable to create new content in namespace " + namespace + " because it is being terminated");
        }
    }
}
