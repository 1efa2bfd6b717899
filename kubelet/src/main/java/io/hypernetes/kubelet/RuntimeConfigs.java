package io.hypernetes.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.quantity.Quantity;
import io.hypernetes.api.quantity.QuantityFormatException;
import io.hypernetes.api.resource.PodSize;
import io.hypernetes.client.KubeClient;
import io.hypernetes.network.PodPort;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerMetadata;
import io.hypernetes.runtime.v1.ContainerResources;
import io.hypernetes.runtime.v1.DnsConfig;
import io.hypernetes.runtime.v1.KeyValue;
import io.hypernetes.runtime.v1.Mount;
import io.hypernetes.runtime.v1.PodNetworkAttachment;
import io.hypernetes.runtime.v1.PodResources;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxMetadata;
import io.hypernetes.runtime.v1.PortMapping;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Translates a pod's spec into the runtime's sandbox and container configurations: labels the agent finds its
 * pods by again, the VM's size by {@link PodSize} (the rule the scheduler and tenant quota use), the tenant
 * network of the pod's namespace, and each container's environment with {@code valueFrom} resolved.
 */
final class RuntimeConfigs {
    /** A container that cannot be configured (a missing ConfigMap or Secret key): CreateContainerConfigError. */
    static final class ConfigError extends Exception {
        ConfigError(String message) {
            super(message);
        }
    }

    private RuntimeConfigs() {}

    /** The cluster's DNS domain: Services are {@code <svc>.<ns>.svc.cluster.local}. */
    static final String CLUSTER_DOMAIN = "cluster.local";

    /** A sandbox on the default network, or of {@code network} without its port (see the other overload). */
    static PodSandboxConfig sandbox(JsonNode pod, int attempt, String network) {
        return sandbox(pod, attempt, network, null);
    }

    /**
     * The sandbox's configuration.
     *
     * @param network the tenant Network of the pod's namespace, "" for the default network
     * @param port    where kubestack plugged the pod into {@code network}: the sandbox's attachment and, unless the
     *                pod's {@code dnsPolicy} is {@code None}, its resolvers (the tenant's DNS) and the cluster's search
     *                path, with the pod's own {@code dnsConfig} added as Kubernetes adds it; null for none
     */
    static PodSandboxConfig sandbox(JsonNode pod, int attempt, String network, PodPort port) {
        JsonNode spec = pod.path("spec");
        String name = Meta.name(pod);
        String hostname = spec.path("hostname").asText("");
        if (hostname.isEmpty()) hostname = name.length() > 63 ? name.substring(0, 63) : name;
        PodSandboxConfig.Builder b = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace(Meta.namespace(pod)).setUid(Meta.uid(pod)).setAttempt(attempt))
                .setHostname(hostname)
                .setNetwork(network == null ? "" : network);
        pod.path("metadata").path("labels").properties().forEach(e -> b.putLabels(e.getKey(), e.getValue().asText()));
        pod.path("metadata").path("annotations").properties().forEach(e -> b.putAnnotations(e.getKey(), e.getValue().asText()));
        b.putLabels(RuntimeClient.POD_NAME, name).putLabels(RuntimeClient.POD_NAMESPACE, Meta.namespace(pod)).putLabels(RuntimeClient.POD_UID, Meta.uid(pod));
        // the agent's own record of the Network, whatever the pod's annotations say
        if (network == null || network.isEmpty()) b.removeAnnotations(TenantNetworks.SANDBOX_NETWORK);
        else b.putAnnotations(TenantNetworks.SANDBOX_NETWORK, network);
        if (port != null) {
            b.setAttachment(PodNetworkAttachment.newBuilder().setBridge(port.bridge()).setIp(port.ip())
                    .setPrefixLength(port.prefix()).setGateway(port.gateway()).setMtu(port.mtu()));
        }
        JsonNode dns = spec.path("dnsConfig");
        boolean clusterDns = port != null && !spec.path("dnsPolicy").asText("ClusterFirst").equals("None");
        if (clusterDns) {
            b.setDnsConfig(clusterDns(Meta.namespace(pod), port.dnsServers(), dns));
        } else if (dns.isObject()) {
            DnsConfig.Builder d = DnsConfig.newBuilder();
            dns.path("nameservers").forEach(s -> d.addServers(s.asText()));
            dns.path("searches").forEach(s -> d.addSearches(s.asText()));
            dns.path("options").forEach(o -> d.addOptions(option(o)));
            b.setDnsConfig(d);
        }
        for (JsonNode c : spec.path("containers")) {
            for (JsonNode p : c.path("ports")) {
                if (p.path("hostPort").asInt(0) > 0) {
                    b.addPortMappings(PortMapping.newBuilder().setProtocol(p.path("protocol").asText("TCP"))
                            .setContainerPort(p.path("containerPort").asInt()).setHostPort(p.path("hostPort").asInt())
                            .setHostIp(p.path("hostIP").asText("")));
                }
            }
        }
        PodSize size = PodSize.of(pod);
        b.setResources(PodResources.newBuilder().setCpuMillis(size.cpu().milliValue()).setMemoryBytes(size.memory().value()));
        return b.build();
    }

    /**
     * A tenant pod's resolvers: its Network's DNS first, the search path {@code <ns>.svc.cluster.local svc.cluster.local
     * cluster.local} and {@code ndots:5}, as the kubelet writes them for ClusterFirst; the pod's {@code dnsConfig}
     * nameservers and searches come after, its options replace those of the same name. Any policy but {@code None}
     * gets this: a tenant's pods reach no resolver but their Network's.
     */
    private static DnsConfig clusterDns(String namespace, List<String> servers, JsonNode extra) {
        DnsConfig.Builder d = DnsConfig.newBuilder().addAllServers(servers);
        extra.path("nameservers").forEach(s -> {
            if (!d.getServersList().contains(s.asText())) d.addServers(s.asText());
        });
        d.addSearches(namespace + ".svc." + CLUSTER_DOMAIN).addSearches("svc." + CLUSTER_DOMAIN).addSearches(CLUSTER_DOMAIN);
        extra.path("searches").forEach(s -> {
            if (!d.getSearchesList().contains(s.asText())) d.addSearches(s.asText());
        });
        Map<String, String> options = new LinkedHashMap<>();
        options.put("ndots", "ndots:5");
        extra.path("options").forEach(o -> options.put(o.path("name").asText(), option(o)));
        options.values().forEach(d::addOptions);
        return d.build();
    }

    private static String option(JsonNode o) {
        return o.path("value").isMissingNode() || o.path("value").isNull() ? o.path("name").asText() : o.path("name").asText() + ":" + o.path("value").asText();
    }

    /**
     * The configuration of one container instance.
     *
     * @param podIp  for {@code status.podIP} references
     * @param hostIp for {@code status.hostIP} references
     */
    static ContainerConfig container(KubeClient client, JsonNode pod, JsonNode c, int attempt, String podIp, String hostIp,
            Map<String, Path> fileVolumes) throws ConfigError {
        String name = c.path("name").asText();
        ContainerConfig.Builder b = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name).setAttempt(attempt))
                .setImage(c.path("image").asText())
                .setWorkingDir(c.path("workingDir").asText(""))
                .setStdin(c.path("stdin").asBoolean(false))
                .setStdinOnce(c.path("stdinOnce").asBoolean(false))
                .setTty(c.path("tty").asBoolean(false))
                .putLabels(RuntimeClient.POD_NAME, Meta.name(pod))
                .putLabels(RuntimeClient.POD_NAMESPACE, Meta.namespace(pod))
                .putLabels(RuntimeClient.POD_UID, Meta.uid(pod))
                .putLabels(RuntimeClient.CONTAINER_NAME, name)
                .putAnnotations("io.kubernetes.container.restartCount", Integer.toString(attempt));
        Map<String, String> env = env(client, pod, c, podIp, hostIp);
        c.path("command").forEach(s -> b.addCommand(expand(s.asText(), env)));
        c.path("args").forEach(s -> b.addArgs(expand(s.asText(), env)));
        env.forEach((k, v) -> b.addEnvs(KeyValue.newBuilder().setKey(k).setValue(v)));
        JsonNode resources = c.path("resources");
        b.setResources(ContainerResources.newBuilder()
                .setCpuMillis(quantity(resources, "cpu").milliValue())
                .setMemoryBytes(quantity(resources, "memory").value()));
        JsonNode user = c.path("securityContext").path("runAsUser");
        if (user.isMissingNode()) user = pod.path("spec").path("securityContext").path("runAsUser");
        b.setRunAsUser(user.canConvertToLong() ? user.asLong() : -1);
        Map<String, JsonNode> volumes = new HashMap<>();
        pod.path("spec").path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
        for (JsonNode m : c.path("volumeMounts")) {
            JsonNode v = volumes.get(m.path("name").asText());
            Path dir = fileVolumes.get(m.path("name").asText());
            if (dir != null) {
                // a file volume the agent keeps on the node (PodVolumes); subPath shares one entry of it
                String sub = m.path("subPath").asText("");
                Path shared = sub.isEmpty() ? dir : PodVolumes.inside(dir, sub);
                b.addMounts(Mount.newBuilder().setContainerPath(m.path("mountPath").asText()).setHostPath(shared.toString())
                        .setReadonly(m.path("readOnly").asBoolean(false) || v == null || !v.has("emptyDir")));
            } else if (v != null && v.has("cinder")) {
                // block volumes plug into the pod's VM
                b.addMounts(Mount.newBuilder().setContainerPath(m.path("mountPath").asText())
                        .setVolumeId(v.path("cinder").path("volumeID").asText())
                        .setFsType(v.path("cinder").path("fsType").asText("ext4"))
                        .setReadonly(m.path("readOnly").asBoolean(false) || v.path("cinder").path("readOnly").asBoolean(false)));
            }
        }
        return b.build();
    }

    private static Quantity quantity(JsonNode resources, String name) {
        for (String kind : new String[] {"limits", "requests"}) {
            JsonNode q = resources.path(kind).path(name);
            if (!q.isMissingNode() && !q.isNull()) {
                try {
                    return Quantity.fromJson(q);
                } catch (QuantityFormatException e) {
                    // validation refuses such pods; count as unset
                }
            }
        }
        return Quantity.ZERO;
    }

    /** The container's environment in order: {@code envFrom} first, then {@code env}, later names winning. */
    static Map<String, String> env(KubeClient client, JsonNode pod, JsonNode c, String podIp, String hostIp) throws ConfigError {
        Map<String, String> env = new LinkedHashMap<>();
        String ns = Meta.namespace(pod);
        for (JsonNode from : c.path("envFrom")) {
            String prefix = from.path("prefix").asText("");
            if (from.has("configMapRef")) {
                JsonNode ref = from.path("configMapRef");
                JsonNode cm = read(client, ns, "configmaps", "ConfigMap", ref.path("name").asText(), ref.path("optional").asBoolean(false));
                if (cm != null) cm.path("data").properties().forEach(e -> env.put(prefix + e.getKey(), e.getValue().asText()));
            } else if (from.has("secretRef")) {
                JsonNode ref = from.path("secretRef");
                JsonNode s = read(client, ns, "secrets", "Secret", ref.path("name").asText(), ref.path("optional").asBoolean(false));
                if (s != null) s.path("data").properties().forEach(e -> env.put(prefix + e.getKey(), decode(e.getValue().asText())));
            }
        }
        for (JsonNode e : c.path("env")) {
            String name = e.path("name").asText();
            JsonNode from = e.path("valueFrom");
            if (from.isMissingNode()) {
                env.put(name, expand(e.path("value").asText(""), env));
            } else if (from.has("fieldRef")) {
                env.put(name, field(pod, from.path("fieldRef").path("fieldPath").asText(), podIp, hostIp));
            } else if (from.has("configMapKeyRef")) {
                String v = key(client, ns, "configmaps", "ConfigMap", from.path("configMapKeyRef"), false);
                if (v != null) env.put(name, v);
            } else if (from.has("secretKeyRef")) {
                String v = key(client, ns, "secrets", "Secret", from.path("secretKeyRef"), true);
                if (v != null) env.put(name, v);
            } else if (from.has("resourceFieldRef")) {
                // limits.cpu / requests.memory ...: the container's own value, cpu rounded up to whole cores
                String[] parts = from.path("resourceFieldRef").path("resource").asText().split("\\.", 2);
                if (parts.length == 2) {
                    JsonNode q = c.path("resources").path(parts[0]).path(parts[1]);
                    Quantity v = Quantity.ZERO;
                    try {
                        if (!q.isMissingNode()) v = Quantity.fromJson(q);
                    } catch (QuantityFormatException ignored) {
                        // validation refuses such pods
                    }
                    env.put(name, parts[1].equals("cpu") ? Long.toString(Math.max(1, (v.milliValue() + 999) / 1000)) : Long.toString(v.value()));
                }
            }
        }
        return env;
    }

    private static String field(JsonNode pod, String path, String podIp, String hostIp) {
        if (path.startsWith("metadata.labels['") && path.endsWith("']")) {
            return pod.path("metadata").path("labels").path(path.substring(17, path.length() - 2)).asText("");
        }
        if (path.startsWith("metadata.annotations['") && path.endsWith("']")) {
            return pod.path("metadata").path("annotations").path(path.substring(22, path.length() - 2)).asText("");
        }
        return switch (path) {
            case "metadata.name" -> Meta.name(pod);
            case "metadata.namespace" -> Meta.namespace(pod);
            case "metadata.uid" -> Meta.uid(pod);
            case "spec.nodeName" -> pod.path("spec").path("nodeName").asText("");
            case "spec.serviceAccountName" -> pod.path("spec").path("serviceAccountName").asText("");
            case "status.podIP", "status.podIPs" -> podIp == null ? "" : podIp;
            case "status.hostIP", "status.hostIPs" -> hostIp;
            default -> "";
        };
    }

    private static String key(KubeClient client, String ns, String resource, String kind, JsonNode ref, boolean base64) throws ConfigError {
        boolean optional = ref.path("optional").asBoolean(false);
        String name = ref.path("name").asText();
        String key = ref.path("key").asText();
        JsonNode obj = read(client, ns, resource, kind, name, optional);
        if (obj == null) return null;
        JsonNode v = obj.path("data").path(key);
        if (v.isMissingNode()) {
            if (optional) return null;
            throw new ConfigError("couldn't find key " + key + " in " + kind + " " + ns + "/" + name);
        }
        return base64 ? decode(v.asText()) : v.asText();
    }

    private static JsonNode read(KubeClient client, String ns, String resource, String kind, String name, boolean optional) throws ConfigError {
        KubeClient.Response r = client.get("/api/v1/namespaces/" + ns + "/" + resource + "/" + name);
        if (r.code() == 200) return r.json();
        if (r.code() == 404) {
            if (optional) return null;
            throw new ConfigError(kind.toLowerCase() + " \"" + name + "\" not found");
        }
        throw new ConfigError("cannot read " + kind + " " + ns + "/" + name + ": " + r.code() + " " + r.text());
    }

    private static String decode(String b64) {
        try {
            return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return b64;
        }
    }

    /** {@code $(VAR)} references to variables defined before, as Kubernetes expands them; {@code $$} escapes. */
    static String expand(String s, Map<String, String> env) {
        if (!s.contains("$")) return s;
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '$' && i + 1 < s.length()) {
                char next = s.charAt(i + 1);
                if (next == '$') {
                    out.append('$');
                    i++;
                    continue;
                }
                if (next == '(') {
                    int end = s.indexOf(')', i + 2);
                    if (end > 0) {
                        String var = s.substring(i + 2, end);
                        if (env.containsKey(var)) {
                            out.append(env.get(var));
                            i = end;
                            continue;
                        }
                    }
                }
            }
            out.append(ch);
        }
        return out.toString();
    }
}
