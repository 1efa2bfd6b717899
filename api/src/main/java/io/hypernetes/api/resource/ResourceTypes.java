package io.hypernetes.api.resource;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The resources Hypernetes serves: core/v1 (with Hypernetes' {@code Network}, which lives in the core group),
 * apps/v1 Deployments and ReplicaSets, and coordination.k8s.io/v1 Leases.
 */
public final class ResourceTypes {
    private static final String CORE = "io.k8s.api.core.v1.";
    private static final String APPS = "io.k8s.api.apps.v1.";
    private static final String COORDINATION = "io.k8s.api.coordination.v1.";

    /** The API groups besides the core group, in the order discovery lists them. */
    public static final List<String> GROUPS = List.of("apps", "coordination.k8s.io");

    public static final ResourceType NAMESPACES = new ResourceType("", "v1", "Namespace", "namespaces", false,
            List.of("ns"), List.of(), Set.of("status", "finalize"), CORE + "Namespace", Set.of("status.phase"));
    public static final ResourceType PODS = new ResourceType("", "v1", "Pod", "pods", true,
            List.of("po"), List.of("all"), Set.of("status", "binding"), CORE + "Pod",
            Set.of("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                    "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"));
    public static final ResourceType SERVICES = new ResourceType("", "v1", "Service", "services", true,
            List.of("svc"), List.of("all"), Set.of("status"), CORE + "Service", Set.of());
    public static final ResourceType ENDPOINTS = new ResourceType("", "v1", "Endpoints", "endpoints", true,
            List.of("ep"), List.of(), Set.of(), CORE + "Endpoints", Set.of());
    public static final ResourceType NODES = new ResourceType("", "v1", "Node", "nodes", false,
            List.of("no"), List.of(), Set.of("status"), CORE + "Node", Set.of("spec.unschedulable"));
    public static final ResourceType EVENTS = new ResourceType("", "v1", "Event", "events", true,
            List.of("ev"), List.of(), Set.of(), CORE + "Event",
            Set.of("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                    "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                    "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"));
    public static final ResourceType CONFIGMAPS = new ResourceType("", "v1", "ConfigMap", "configmaps", true,
            List.of("cm"), List.of(), Set.of(), CORE + "ConfigMap", Set.of());
    public static final ResourceType SECRETS = new ResourceType("", "v1", "Secret", "secrets", true,
            List.of(), List.of(), Set.of(), CORE + "Secret", Set.of("type"));
    public static final ResourceType NETWORKS = new ResourceType("", "v1", "Network", "networks", false,
            List.of("net"), List.of(), Set.of("status"), CORE + "Network", Set.of("spec.tenantID", "status.phase"));

    public static final ResourceType DEPLOYMENTS = new ResourceType("apps", "v1", "Deployment", "deployments", true,
            List.of("deploy"), List.of("all"), Set.of("status", "scale"), APPS + "Deployment", Set.of());
    public static final ResourceType REPLICASETS = new ResourceType("apps", "v1", "ReplicaSet", "replicasets", true,
            List.of("rs"), List.of("all"), Set.of("status", "scale"), APPS + "ReplicaSet", Set.of("status.replicas"));
    public static final ResourceType LEASES = new ResourceType("coordination.k8s.io", "v1", "Lease", "leases", true,
            List.of(), List.of(), Set.of(), COORDINATION + "Lease", Set.of());

    public static final List<ResourceType> ALL = List.of(NAMESPACES, PODS, SERVICES, ENDPOINTS, NODES, EVENTS, CONFIGMAPS,
            SECRETS, NETWORKS, DEPLOYMENTS, REPLICASETS, LEASES);

    /** The resources of one group version, e.g. ("apps", "v1"); ("", "v1") is the core group. */
    public static List<ResourceType> of(String group, String version) {
        return ALL.stream().filter(t -> t.group().equals(group) && t.version().equals(version)).toList();
    }

    private ResourceTypes() {}

    public static Optional<ResourceType> byPlural(String group, String version, String plural) {
        return ALL.stream()
                .filter(t -> t.group().equals(group) && t.version().equals(version) && t.plural().equals(plural))
                .findFirst();
    }

    public static Optional<ResourceType> byKind(String apiVersion, String kind) {
        return ALL.stream().filter(t -> t.apiVersion().equals(apiVersion) && t.kind().equals(kind)).findFirst();
    }
}
