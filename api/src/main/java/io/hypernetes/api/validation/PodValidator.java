package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.quantity.Quantity;
import io.hypernetes.api.quantity.QuantityFormatException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Pod rules, following Kubernetes' {@code ValidatePod} and {@code ValidatePodUpdate}. */
final class PodValidator implements KindValidator {
    static final PodValidator INSTANCE = new PodValidator();

    static final List<String> RESTART_POLICIES = List.of("Always", "OnFailure", "Never");
    static final List<String> DNS_POLICIES = List.of("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None");
    static final List<String> PULL_POLICIES = List.of("Always", "IfNotPresent", "Never");
    static final List<String> TERMINATION_MESSAGE_POLICIES = List.of("File", "FallbackToLogsOnError");
    static final List<String> TAINT_EFFECTS = List.of("NoSchedule", "PreferNoSchedule", "NoExecute");
    static final List<String> HOST_PATH_TYPES =
            List.of("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice");
    /** File systems the volume provider can make and the guest kernel can mount. */
    static final List<String> CINDER_FS_TYPES = List.of("ext4", "ext3", "ext2", "xfs");
    /** Volume sources a pod VM can be given. */
    static final List<String> SUPPORTED_VOLUMES = List.of("emptyDir", "hostPath", "configMap", "secret",
            "persistentVolumeClaim", "projected", "downwardAPI", "cinder");
    /** Kubernetes volume sources Hypernetes cannot provide; naming them gives a clear error, not "no source". */
    static final List<String> UNSUPPORTED_VOLUMES = List.of("gcePersistentDisk", "awsElasticBlockStore", "gitRepo",
            "nfs", "iscsi", "glusterfs", "rbd", "flexVolume", "cephfs", "flocker", "fc", "azureFile", "azureDisk",
            "vsphereVolume", "quobyte", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos", "csi",
            "ephemeral", "image");
    static final Set<String> STANDARD_CONTAINER_RESOURCES = Set.of("cpu", "memory", "ephemeral-storage");

    static final String UPDATE_FORBIDDEN = "pod updates may not change fields other than "
            + "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
            + "`spec.tolerations` (only additions to existing tolerations),"
            + "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

    private static final FieldPath SPEC = FieldPath.of("spec");

    @Override
    public void validate(JsonNode pod, List<FieldError> errs) {
        spec(Tree.node(pod, "spec"), SPEC, errs);
        JsonNode status = Tree.node(pod, "status");
        if (Tree.has(status, "phase")) {
            Metadata.oneOf(Tree.text(status, "phase"), List.of("Pending", "Running", "Succeeded", "Failed", "Unknown"),
                    FieldPath.of("status").child("phase"), errs);
        }
    }

    static void spec(JsonNode spec, FieldPath path, List<FieldError> errs) {
        Set<String> volumes = volumes(Tree.items(spec, "volumes"), path.child("volumes"), errs);
        Set<String> containerNames = new HashSet<>();
        List<JsonNode> containers = Tree.items(spec, "containers");
        if (containers.isEmpty()) errs.add(FieldError.required(path.child("containers").text(), ""));
        List<JsonNode> init = Tree.items(spec, "initContainers");
        for (int i = 0; i < init.size(); i++) {
            container(init.get(i), path.child("initContainers").index(i), true, volumes, containerNames, errs);
        }
        for (int i = 0; i < containers.size(); i++) {
            container(containers.get(i), path.child("containers").index(i), false, volumes, containerNames, errs);
        }
        hostPortConflicts(spec, path, errs);

        if (Tree.has(spec, "restartPolicy")) Metadata.oneOf(Tree.text(spec, "restartPolicy"), RESTART_POLICIES, path.child("restartPolicy"), errs);
        if (Tree.has(spec, "dnsPolicy")) Metadata.oneOf(Tree.text(spec, "dnsPolicy"), DNS_POLICIES, path.child("dnsPolicy"), errs);
        if (Tree.text(spec, "dnsPolicy").equals("None") && !Tree.has(spec, "dnsConfig")) {
            errs.add(FieldError.required(path.child("dnsConfig").text(), "must provide `dnsConfig` when `dnsPolicy` is None"));
        }
        JsonNode dnsConfig = Tree.node(spec, "dnsConfig");
        List<JsonNode> nameservers = Tree.items(dnsConfig, "nameservers");
        for (int i = 0; i < nameservers.size(); i++) {
            String ns = nameservers.get(i).asText();
            if (Addresses.ip(ns).isEmpty()) {
                errs.add(FieldError.invalid(path.child("dnsConfig").child("nameservers").index(i).text(), ns, "must be a valid IP address"));
            }
        }
        if (Tree.text(spec, "dnsPolicy").equals("None") && dnsConfig != null && nameservers.isEmpty()) {
            errs.add(FieldError.required(path.child("dnsConfig").child("nameservers").text(),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None"));
        }
        if (Tree.has(spec, "activeDeadlineSeconds")) {
            Long v = Tree.integer(spec, "activeDeadlineSeconds");
            if (v == null || v < 1 || v > Integer.MAX_VALUE) {
                errs.add(FieldError.invalid(path.child("activeDeadlineSeconds").text(), Tree.text(spec, "activeDeadlineSeconds"),
                        "must be between 1 and 2147483647, inclusive"));
            }
        }
        Metadata.nonNegative(spec, "terminationGracePeriodSeconds", path, errs);
        for (String f : List.of("nodeName", "serviceAccountName", "schedulerName", "priorityClassName")) {
            String v = Tree.text(spec, f);
            if (!v.isEmpty()) Metadata.name(v, Names::dns1123Subdomain, path.child(f), errs);
        }
        for (String f : List.of("hostname", "subdomain")) {
            String v = Tree.text(spec, f);
            if (!v.isEmpty()) Metadata.name(v, Names::dns1123Label, path.child(f), errs);
        }
        Metadata.labels(Tree.node(spec, "nodeSelector"), path.child("nodeSelector"), errs);
        tolerations(Tree.items(spec, "tolerations"), path.child("tolerations"), errs);
        affinity(Tree.node(spec, "affinity"), path.child("affinity"), errs);
        List<JsonNode> pullSecrets = Tree.items(spec, "imagePullSecrets");
        for (int i = 0; i < pullSecrets.size(); i++) {
            String n = Tree.text(pullSecrets.get(i), "name");
            FieldPath p = path.child("imagePullSecrets").index(i).child("name");
            if (n.isEmpty()) errs.add(FieldError.required(p.text(), ""));
            else Metadata.name(n, Names::dns1123Subdomain, p, errs);
        }
    }

    // ---- containers ---------------------------------------------------------------------------------------

    private static void container(JsonNode c, FieldPath path, boolean init, Set<String> volumes,
            Set<String> names, List<FieldError> errs) {
        String name = Tree.text(c, "name");
        if (name.isEmpty()) {
            errs.add(FieldError.required(path.child("name").text(), ""));
        } else {
            Metadata.name(name, Names::dns1123Label, path.child("name"), errs);
            if (!names.add(name)) errs.add(FieldError.duplicate(path.child("name").text(), name));
        }
        String image = Tree.text(c, "image");
        if (image.isEmpty()) {
            errs.add(FieldError.required(path.child("image").text(), ""));
        } else if (!image.equals(image.strip())) {
            errs.add(FieldError.invalid(path.child("image").text(), image, "must not have leading or trailing whitespace"));
        }
        if (Tree.has(c, "imagePullPolicy")) Metadata.oneOf(Tree.text(c, "imagePullPolicy"), PULL_POLICIES, path.child("imagePullPolicy"), errs);
        if (Tree.has(c, "terminationMessagePolicy")) {
            Metadata.oneOf(Tree.text(c, "terminationMessagePolicy"), TERMINATION_MESSAGE_POLICIES, path.child("terminationMessagePolicy"), errs);
        }
        // restartPolicy on a container marks an init container as a sidecar; only "Always" means anything.
        boolean sidecar = false;
        if (Tree.has(c, "restartPolicy")) {
            if (!init) {
                errs.add(FieldError.forbidden(path.child("restartPolicy").text(), "may not be set for non-init containers"));
            } else {
                Metadata.oneOf(Tree.text(c, "restartPolicy"), List.of("Always"), path.child("restartPolicy"), errs);
                sidecar = true;
            }
        }
        ports(Tree.items(c, "ports"), path.child("ports"), errs);
        env(Tree.items(c, "env"), path.child("env"), errs);
        envFrom(Tree.items(c, "envFrom"), path.child("envFrom"), errs);
        volumeMounts(Tree.items(c, "volumeMounts"), path.child("volumeMounts"), volumes, errs);
        resources(Tree.node(c, "resources"), path.child("resources"), errs);
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            if (!Tree.has(c, probe)) continue;
            if (init && !sidecar) {
                errs.add(FieldError.forbidden(path.child(probe).text(), "may not be set for init containers without restartPolicy=Always"));
                continue;
            }
            probe(Tree.node(c, probe), path.child(probe), probe, errs);
        }
    }

    private static void ports(List<JsonNode> ports, FieldPath path, List<FieldError> errs) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < ports.size(); i++) {
            JsonNode p = ports.get(i);
            FieldPath ip = path.index(i);
            String name = Tree.text(p, "name");
            if (!name.isEmpty()) {
                for (String msg : Names.ianaServiceName(name)) errs.add(FieldError.invalid(ip.child("name").text(), name, msg));
                if (!names.add(name)) errs.add(FieldError.duplicate(ip.child("name").text(), name));
            }
            Ports.number(p, "containerPort", ip, errs);
            Long host = Tree.integer(p, "hostPort");
            if (host != null && host != 0 && !Ports.valid(host)) {
                errs.add(FieldError.invalid(ip.child("hostPort").text(), host, Ports.RANGE));
            }
            if (Tree.has(p, "hostIP") && Addresses.ip(Tree.text(p, "hostIP")).isEmpty()) {
                errs.add(FieldError.invalid(ip.child("hostIP").text(), Tree.text(p, "hostIP"), "must be a valid IP address"));
            }
            Ports.protocol(p, ip, errs);
        }
    }

    private static void hostPortConflicts(JsonNode spec, FieldPath path, List<FieldError> errs) {
        Set<String> used = new HashSet<>();
        for (String kind : List.of("initContainers", "containers")) {
            List<JsonNode> cs = Tree.items(spec, kind);
            for (int i = 0; i < cs.size(); i++) {
                List<JsonNode> ps = Tree.items(cs.get(i), "ports");
                for (int j = 0; j < ps.size(); j++) {
                    Long host = Tree.integer(ps.get(j), "hostPort");
                    if (host == null || host == 0) continue;
                    String proto = Tree.text(ps.get(j), "protocol");
                    String key = Tree.text(ps.get(j), "hostIP") + "/" + host + "/" + (proto.isEmpty() ? "TCP" : proto);
                    if (!used.add(key)) {
                        errs.add(FieldError.duplicate(path.child(kind).index(i).child("ports").index(j).child("hostPort").text(),
                                host + "/" + (proto.isEmpty() ? "TCP" : proto)));
                    }
                }
            }
        }
    }

    private static void env(List<JsonNode> env, FieldPath path, List<FieldError> errs) {
        for (int i = 0; i < env.size(); i++) {
            JsonNode e = env.get(i);
            FieldPath p = path.index(i);
            String name = Tree.text(e, "name");
            if (name.isEmpty()) errs.add(FieldError.required(p.child("name").text(), ""));
            else Metadata.name(name, Names::envVarName, p.child("name"), errs);
            JsonNode from = Tree.node(e, "valueFrom");
            if (from == null) continue;
            FieldPath fp = p.child("valueFrom");
            int sources = 0;
            for (String s : List.of("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")) {
                if (!Tree.has(from, s)) continue;
                if (++sources > 1) {
                    errs.add(FieldError.invalid(fp.text(), "", "may not have more than one field specified at a time"));
                    break;
                }
                JsonNode ref = Tree.node(from, s);
                switch (s) {
                    case "fieldRef" -> {
                        if (Tree.text(ref, "fieldPath").isEmpty()) errs.add(FieldError.required(fp.child(s).child("fieldPath").text(), ""));
                    }
                    case "resourceFieldRef" -> {
                        if (Tree.text(ref, "resource").isEmpty()) errs.add(FieldError.required(fp.child(s).child("resource").text(), ""));
                    }
                    default -> {
                        if (Tree.text(ref, "key").isEmpty()) errs.add(FieldError.required(fp.child(s).child("key").text(), ""));
                        else Metadata.name(Tree.text(ref, "key"), Names::configMapKey, fp.child(s).child("key"), errs);
                        if (Tree.text(ref, "name").isEmpty()) errs.add(FieldError.required(fp.child(s).child("name").text(), ""));
                    }
                }
            }
            if (sources == 0) {
                errs.add(FieldError.invalid(fp.text(), "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
            }
            if (!Tree.text(e, "value").isEmpty()) {
                errs.add(FieldError.invalid(fp.text(), "", "may not be specified when `value` is not empty"));
            }
        }
    }

    private static void envFrom(List<JsonNode> envFrom, FieldPath path, List<FieldError> errs) {
        for (int i = 0; i < envFrom.size(); i++) {
            JsonNode e = envFrom.get(i);
            FieldPath p = path.index(i);
            String prefix = Tree.text(e, "prefix");
            if (!prefix.isEmpty()) Metadata.name(prefix, Names::envVarName, p.child("prefix"), errs);
            boolean cm = Tree.has(e, "configMapRef");
            boolean secret = Tree.has(e, "secretRef");
            if (cm && secret) {
                errs.add(FieldError.invalid(p.text(), "", "may not have more than one field specified at a time"));
            } else if (!cm && !secret) {
                errs.add(FieldError.invalid(p.text(), "", "must specify one of: `configMapRef` or `secretRef`"));
            } else {
                String ref = cm ? "configMapRef" : "secretRef";
                String name = Tree.text(Tree.node(e, ref), "name");
                if (name.isEmpty()) errs.add(FieldError.required(p.child(ref).child("name").text(), ""));
                else Metadata.name(name, Names::dns1123Subdomain, p.child(ref).child("name"), errs);
            }
        }
    }

    private static void volumeMounts(List<JsonNode> mounts, FieldPath path, Set<String> volumes, List<FieldError> errs) {
        Set<String> mountPaths = new HashSet<>();
        for (int i = 0; i < mounts.size(); i++) {
            JsonNode m = mounts.get(i);
            FieldPath p = path.index(i);
            String name = Tree.text(m, "name");
            if (name.isEmpty()) {
                errs.add(FieldError.required(p.child("name").text(), ""));
            } else if (!volumes.contains(name)) {
                errs.add(new FieldError(p.child("name").text(), FieldError.Type.NOT_FOUND, name, ""));
            }
            String mountPath = Tree.text(m, "mountPath");
            if (mountPath.isEmpty()) {
                errs.add(FieldError.required(p.child("mountPath").text(), ""));
            } else {
                // The guest agent mounts inside the VM's root; a relative path would have no anchor there.
                if (!mountPath.startsWith("/")) errs.add(FieldError.invalid(p.child("mountPath").text(), mountPath, "must be an absolute path"));
                if (!mountPaths.add(mountPath)) errs.add(FieldError.invalid(p.child("mountPath").text(), mountPath, "must be unique"));
            }
            String subPath = Tree.text(m, "subPath");
            if (!subPath.isEmpty()) relativePath(subPath, p.child("subPath"), errs);
            if (Tree.has(m, "subPath") && Tree.has(m, "subPathExpr")) {
                errs.add(FieldError.invalid(p.child("subPathExpr").text(), Tree.text(m, "subPathExpr"), "subPathExpr and subPath are mutually exclusive"));
            }
        }
    }

    static void relativePath(String value, FieldPath path, List<FieldError> errs) {
        if (value.startsWith("/")) errs.add(FieldError.invalid(path.text(), value, "must be a relative path"));
        for (String part : value.split("/")) {
            if (part.equals("..")) {
                errs.add(FieldError.invalid(path.text(), value, "must not contain '..'"));
                break;
            }
        }
    }

    static void resources(JsonNode resources, FieldPath path, List<FieldError> errs) {
        if (resources == null) return;
        Map<String, Quantity> limits = quantities(Tree.node(resources, "limits"), path.child("limits"), errs);
        Map<String, Quantity> requests = quantities(Tree.node(resources, "requests"), path.child("requests"), errs);
        for (var e : requests.entrySet()) {
            Quantity limit = limits.get(e.getKey());
            FieldPath p = path.child("requests").key(e.getKey());
            if (limit != null && e.getValue().compareTo(limit) > 0) {
                errs.add(FieldError.invalid(p.text(), e.getValue(),
                        "must be less than or equal to " + e.getKey() + " limit of " + limit));
            }
            // Extended resources (devices) cannot be overcommitted, so a request must equal its limit.
            if (e.getKey().contains("/") || e.getKey().startsWith("hugepages-")) {
                if (limit == null) {
                    errs.add(FieldError.forbidden(p.text(), "Limit must be set for non overcommitable resources"));
                } else if (!limit.equals(e.getValue())) {
                    errs.add(FieldError.invalid(p.text(), e.getValue(), "must be equal to " + e.getKey() + " limit of " + limit));
                }
            }
        }
    }

    private static Map<String, Quantity> quantities(JsonNode map, FieldPath path, List<FieldError> errs) {
        Map<String, Quantity> out = new HashMap<>();
        if (map == null || !map.isObject()) return out;
        for (var e : map.properties()) {
            String name = e.getKey();
            FieldPath p = path.key(name);
            if (!STANDARD_CONTAINER_RESOURCES.contains(name) && !name.startsWith("hugepages-")) {
                if (!name.contains("/")) {
                    errs.add(FieldError.invalid(p.text(), name, "must be a standard resource for containers"));
                    continue;
                }
                List<String> msgs = Names.qualifiedName(name);
                if (!msgs.isEmpty()) {
                    for (String m : msgs) errs.add(FieldError.invalid(p.text(), name, m));
                    continue;
                }
            }
            try {
                Quantity q = Quantity.fromJson(e.getValue());
                if (q.signum() < 0) {
                    errs.add(FieldError.invalid(p.text(), q, "must be greater than or equal to 0"));
                } else {
                    out.put(name, q);
                }
            } catch (QuantityFormatException ex) {
                errs.add(FieldError.invalid(p.text(), e.getValue().asText(), ex.reason()));
            }
        }
        return out;
    }

    private static void probe(JsonNode probe, FieldPath path, String kind, List<FieldError> errs) {
        int handlers = 0;
        for (String h : List.of("exec", "httpGet", "tcpSocket", "grpc")) {
            if (!Tree.has(probe, h)) continue;
            if (++handlers > 1) {
                errs.add(FieldError.forbidden(path.child(h).text(), "may not specify more than 1 handler type"));
                continue;
            }
            JsonNode n = Tree.node(probe, h);
            FieldPath hp = path.child(h);
            switch (h) {
                case "exec" -> {
                    if (Tree.items(n, "command").isEmpty()) errs.add(FieldError.required(hp.child("command").text(), ""));
                }
                case "httpGet" -> {
                    Ports.numberOrName(Tree.node(n, "port"), hp.child("port"), errs);
                    if (Tree.has(n, "scheme")) Metadata.oneOf(Tree.text(n, "scheme"), List.of("HTTP", "HTTPS"), hp.child("scheme"), errs);
                }
                case "tcpSocket" -> Ports.numberOrName(Tree.node(n, "port"), hp.child("port"), errs);
                default -> {
                    Long port = Tree.integer(n, "port");
                    if (port == null || !Ports.valid(port)) errs.add(FieldError.invalid(hp.child("port").text(), Tree.text(n, "port"), Ports.RANGE));
                }
            }
        }
        if (handlers == 0) errs.add(FieldError.required(path.text(), "must specify a handler type"));
        for (String f : List.of("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold")) {
            Metadata.nonNegative(probe, f, path, errs);
        }
        Long success = Tree.integer(probe, "successThreshold");
        if (success != null && success != 1 && !kind.equals("readinessProbe")) {
            errs.add(FieldError.invalid(path.child("successThreshold").text(), success, "must be 1"));
        }
        if (Tree.has(probe, "terminationGracePeriodSeconds")) {
            FieldPath p = path.child("terminationGracePeriodSeconds");
            if (kind.equals("readinessProbe")) {
                errs.add(FieldError.invalid(p.text(), Tree.text(probe, "terminationGracePeriodSeconds"), "must not be set for readinessProbes"));
            } else {
                Long v = Tree.integer(probe, "terminationGracePeriodSeconds");
                if (v == null || v <= 0) errs.add(FieldError.invalid(p.text(), Tree.text(probe, "terminationGracePeriodSeconds"), "must be greater than 0"));
            }
        }
    }

    // ---- volumes ------------------------------------------------------------------------------------------

    private static Set<String> volumes(List<JsonNode> volumes, FieldPath path, List<FieldError> errs) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < volumes.size(); i++) {
            JsonNode v = volumes.get(i);
            FieldPath p = path.index(i);
            String name = Tree.text(v, "name");
            if (name.isEmpty()) {
                errs.add(FieldError.required(p.child("name").text(), ""));
            } else {
                Metadata.name(name, Names::dns1123Label, p.child("name"), errs);
                if (!names.add(name)) errs.add(FieldError.duplicate(p.child("name").text(), name));
            }
            int sources = 0;
            for (String s : SUPPORTED_VOLUMES) {
                if (!Tree.has(v, s)) continue;
                if (++sources > 1) {
                    errs.add(FieldError.forbidden(p.child(s).text(), "may not specify more than 1 volume type"));
                    continue;
                }
                volumeSource(s, Tree.node(v, s), p.child(s), errs);
            }
            for (String s : UNSUPPORTED_VOLUMES) {
                if (!Tree.has(v, s)) continue;
                sources++;
                errs.add(FieldError.forbidden(p.child(s).text(),
                        "volume type is not supported by Hypernetes; supported types: " + String.join(", ", SUPPORTED_VOLUMES)));
            }
            if (sources == 0) errs.add(FieldError.required(p.text(), "must specify a volume type"));
        }
        return names;
    }

    private static void volumeSource(String kind, JsonNode s, FieldPath p, List<FieldError> errs) {
        switch (kind) {
            case "emptyDir" -> {
                if (Tree.has(s, "medium")) Metadata.oneOf(Tree.text(s, "medium"), List.of("", "Memory"), p.child("medium"), errs);
                if (Tree.has(s, "sizeLimit")) {
                    try {
                        if (Quantity.fromJson(Tree.node(s, "sizeLimit")).signum() < 0) {
                            errs.add(FieldError.invalid(p.child("sizeLimit").text(), Tree.text(s, "sizeLimit"), "must be greater than or equal to 0"));
                        }
                    } catch (QuantityFormatException e) {
                        errs.add(FieldError.invalid(p.child("sizeLimit").text(), Tree.text(s, "sizeLimit"), e.reason()));
                    }
                }
            }
            case "hostPath" -> {
                String hp = Tree.text(s, "path");
                if (hp.isEmpty()) errs.add(FieldError.required(p.child("path").text(), ""));
                else if (hp.contains("..")) {
                    for (String part : hp.split("/")) {
                        if (part.equals("..")) {
                            errs.add(FieldError.invalid(p.child("path").text(), hp, "must not contain '..'"));
                            break;
                        }
                    }
                }
                if (Tree.has(s, "type")) Metadata.oneOf(Tree.text(s, "type"), HOST_PATH_TYPES, p.child("type"), errs);
            }
            case "configMap" -> {
                if (Tree.text(s, "name").isEmpty()) errs.add(FieldError.required(p.child("name").text(), ""));
                else Metadata.name(Tree.text(s, "name"), Names::dns1123Subdomain, p.child("name"), errs);
                mode(s, "defaultMode", p, errs);
                keyToPaths(Tree.items(s, "items"), p.child("items"), errs);
            }
            case "secret" -> {
                if (Tree.text(s, "secretName").isEmpty()) errs.add(FieldError.required(p.child("secretName").text(), ""));
                else Metadata.name(Tree.text(s, "secretName"), Names::dns1123Subdomain, p.child("secretName"), errs);
                mode(s, "defaultMode", p, errs);
                keyToPaths(Tree.items(s, "items"), p.child("items"), errs);
            }
            case "persistentVolumeClaim" -> {
                if (Tree.text(s, "claimName").isEmpty()) errs.add(FieldError.required(p.child("claimName").text(), ""));
            }
            case "downwardAPI" -> {
                mode(s, "defaultMode", p, errs);
                downwardItems(Tree.items(s, "items"), p.child("items"), errs);
            }
            case "projected" -> projected(s, p, errs);
            case "cinder" -> {
                String id = Tree.text(s, "volumeID");
                if (id.isEmpty()) {
                    errs.add(FieldError.required(p.child("volumeID").text(), ""));
                } else if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,254}")) {
                    // The volume service names its backing files after the id, so keep it path-safe.
                    errs.add(FieldError.invalid(p.child("volumeID").text(), id,
                            "must consist of alphanumeric characters, '-', '_' or '.', start with an alphanumeric"
                                    + " character and be at most 255 characters (e.g. '651b2a7b-683e-47e1-bdd6-e3c62e8f91c0')"));
                }
                if (Tree.has(s, "fsType")) Metadata.oneOf(Tree.text(s, "fsType"), CINDER_FS_TYPES, p.child("fsType"), errs);
                JsonNode ro = Tree.node(s, "readOnly");
                if (ro != null && !ro.isBoolean()) errs.add(FieldError.invalid(p.child("readOnly").text(), ro.asText(), "must be a boolean"));
            }
            default -> throw new IllegalStateException(kind);
        }
    }

    private static void projected(JsonNode s, FieldPath p, List<FieldError> errs) {
        mode(s, "defaultMode", p, errs);
        List<JsonNode> sources = Tree.items(s, "sources");
        Set<String> paths = new HashSet<>();
        for (int i = 0; i < sources.size(); i++) {
            JsonNode src = sources.get(i);
            FieldPath sp = p.child("sources").index(i);
            int kinds = 0;
            for (String k : List.of("secret", "configMap", "downwardAPI", "serviceAccountToken", "clusterTrustBundle")) {
                if (!Tree.has(src, k)) continue;
                if (++kinds > 1) {
                    errs.add(FieldError.forbidden(sp.child(k).text(), "may not specify more than 1 volume type per source"));
                    continue;
                }
                JsonNode n = Tree.node(src, k);
                FieldPath kp = sp.child(k);
                switch (k) {
                    case "secret", "configMap" -> {
                        if (Tree.text(n, "name").isEmpty()) errs.add(FieldError.required(kp.child("name").text(), ""));
                        keyToPaths(Tree.items(n, "items"), kp.child("items"), errs);
                        for (JsonNode item : Tree.items(n, "items")) projectedPath(Tree.text(item, "path"), paths, kp, errs);
                    }
                    case "downwardAPI" -> {
                        downwardItems(Tree.items(n, "items"), kp.child("items"), errs);
                        for (JsonNode item : Tree.items(n, "items")) projectedPath(Tree.text(item, "path"), paths, kp, errs);
                    }
                    case "serviceAccountToken" -> {
                        String path = Tree.text(n, "path");
                        if (path.isEmpty()) errs.add(FieldError.required(kp.child("path").text(), ""));
                        else relativePath(path, kp.child("path"), errs);
                        Long exp = Tree.integer(n, "expirationSeconds");
                        if (exp != null && exp < 600) {
                            errs.add(FieldError.invalid(kp.child("expirationSeconds").text(), exp, "may not specify a duration less than 10 minutes"));
                        }
                        projectedPath(path, paths, kp, errs);
                    }
                    default -> {
                        String path = Tree.text(n, "path");
                        if (path.isEmpty()) errs.add(FieldError.required(kp.child("path").text(), ""));
                    }
                }
            }
            if (kinds == 0) errs.add(FieldError.required(sp.text(), "must specify exactly 1 volume type"));
        }
    }

    private static void projectedPath(String path, Set<String> paths, FieldPath p, List<FieldError> errs) {
        if (!path.isEmpty() && !paths.add(path)) {
            errs.add(FieldError.invalid(p.text(), path, "conflicting duplicate paths"));
        }
    }

    private static void keyToPaths(List<JsonNode> items, FieldPath path, List<FieldError> errs) {
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            FieldPath p = path.index(i);
            if (Tree.text(item, "key").isEmpty()) errs.add(FieldError.required(p.child("key").text(), ""));
            String itemPath = Tree.text(item, "path");
            if (itemPath.isEmpty()) errs.add(FieldError.required(p.child("path").text(), ""));
            else relativePath(itemPath, p.child("path"), errs);
            mode(item, "mode", p, errs);
        }
    }

    private static void downwardItems(List<JsonNode> items, FieldPath path, List<FieldError> errs) {
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            FieldPath p = path.index(i);
            String itemPath = Tree.text(item, "path");
            if (itemPath.isEmpty()) errs.add(FieldError.required(p.child("path").text(), ""));
            else relativePath(itemPath, p.child("path"), errs);
            boolean field = Tree.has(item, "fieldRef");
            boolean resource = Tree.has(item, "resourceFieldRef");
            if (field && resource) {
                errs.add(FieldError.invalid(p.child("fieldRef").text(), "", "fieldRef and resourceFieldRef can not be specified simultaneously"));
            } else if (!field && !resource) {
                errs.add(FieldError.required(p.text(), "one of fieldRef and resourceFieldRef is required"));
            } else if (field && Tree.text(Tree.node(item, "fieldRef"), "fieldPath").isEmpty()) {
                errs.add(FieldError.required(p.child("fieldRef").child("fieldPath").text(), ""));
            }
            mode(item, "mode", p, errs);
        }
    }

    private static void mode(JsonNode parent, String field, FieldPath path, List<FieldError> errs) {
        if (!Tree.has(parent, field)) return;
        Long v = Tree.integer(parent, field);
        if (v == null || v < 0 || v > 0777) {
            errs.add(FieldError.invalid(path.child(field).text(), Tree.text(parent, field),
                    "must be a number between 0 and 0777 (octal), both inclusive"));
        }
    }

    // ---- scheduling ---------------------------------------------------------------------------------------

    static void tolerations(List<JsonNode> tolerations, FieldPath path, List<FieldError> errs) {
        for (int i = 0; i < tolerations.size(); i++) {
            JsonNode t = tolerations.get(i);
            FieldPath p = path.index(i);
            String key = Tree.text(t, "key");
            String operator = Tree.text(t, "operator");
            String value = Tree.text(t, "value");
            String effect = Tree.text(t, "effect");
            if (!key.isEmpty()) Metadata.labelKey(key, p.child("key"), errs);
            if (key.isEmpty() && !operator.equals("Exists")) {
                errs.add(FieldError.invalid(p.child("operator").text(), operator,
                        "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
            }
            if (Tree.has(t, "tolerationSeconds") && !effect.equals("NoExecute")) {
                errs.add(FieldError.invalid(p.child("effect").text(), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
            }
            switch (operator) {
                case "", "Equal" -> {
                    for (String msg : Names.labelValue(value)) errs.add(FieldError.invalid(p.child("value").text(), value, msg));
                }
                case "Exists" -> {
                    if (!value.isEmpty()) {
                        errs.add(FieldError.invalid(p.child("operator").text(), operator, "value must be empty when `operator` is 'Exists'"));
                    }
                }
                default -> errs.add(FieldError.notSupported(p.child("operator").text(), operator, List.of("Equal", "Exists")));
            }
            if (!effect.isEmpty()) Metadata.oneOf(effect, TAINT_EFFECTS, p.child("effect"), errs);
        }
    }

    private static void affinity(JsonNode affinity, FieldPath path, List<FieldError> errs) {
        if (affinity == null) return;
        JsonNode node = Tree.node(affinity, "nodeAffinity");
        FieldPath np = path.child("nodeAffinity");
        JsonNode required = Tree.node(node, "requiredDuringSchedulingIgnoredDuringExecution");
        if (required != null) {
            FieldPath rp = np.child("requiredDuringSchedulingIgnoredDuringExecution");
            List<JsonNode> terms = Tree.items(required, "nodeSelectorTerms");
            if (terms.isEmpty()) errs.add(FieldError.required(rp.child("nodeSelectorTerms").text(), "must have at least one node selector term"));
            for (int i = 0; i < terms.size(); i++) nodeSelectorTerm(terms.get(i), rp.child("nodeSelectorTerms").index(i), errs);
        }
        List<JsonNode> preferred = Tree.items(node, "preferredDuringSchedulingIgnoredDuringExecution");
        for (int i = 0; i < preferred.size(); i++) {
            FieldPath pp = np.child("preferredDuringSchedulingIgnoredDuringExecution").index(i);
            weight(preferred.get(i), pp, errs);
            JsonNode pref = Tree.node(preferred.get(i), "preference");
            if (pref == null) errs.add(FieldError.required(pp.child("preference").text(), ""));
            else nodeSelectorTerm(pref, pp.child("preference"), errs);
        }
        for (String kind : List.of("podAffinity", "podAntiAffinity")) {
            JsonNode pa = Tree.node(affinity, kind);
            FieldPath kp = path.child(kind);
            List<JsonNode> req = Tree.items(pa, "requiredDuringSchedulingIgnoredDuringExecution");
            for (int i = 0; i < req.size(); i++) podAffinityTerm(req.get(i), kp.child("requiredDuringSchedulingIgnoredDuringExecution").index(i), errs);
            List<JsonNode> pref = Tree.items(pa, "preferredDuringSchedulingIgnoredDuringExecution");
            for (int i = 0; i < pref.size(); i++) {
                FieldPath pp = kp.child("preferredDuringSchedulingIgnoredDuringExecution").index(i);
                weight(pref.get(i), pp, errs);
                JsonNode term = Tree.node(pref.get(i), "podAffinityTerm");
                if (term == null) errs.add(FieldError.required(pp.child("podAffinityTerm").text(), ""));
                else podAffinityTerm(term, pp.child("podAffinityTerm"), errs);
            }
        }
    }

    private static void weight(JsonNode n, FieldPath p, List<FieldError> errs) {
        Long w = Tree.integer(n, "weight");
        if (w == null || w < 1 || w > 100) errs.add(FieldError.invalid(p.child("weight").text(), Tree.text(n, "weight"), "must be in the range 1-100"));
    }

    private static void nodeSelectorTerm(JsonNode term, FieldPath path, List<FieldError> errs) {
        List<JsonNode> exprs = Tree.items(term, "matchExpressions");
        for (int i = 0; i < exprs.size(); i++) {
            JsonNode e = exprs.get(i);
            FieldPath p = path.child("matchExpressions").index(i);
            Metadata.labelKey(Tree.text(e, "key"), p.child("key"), errs);
            nodeSelectorOperator(e, p, errs);
        }
        List<JsonNode> fields = Tree.items(term, "matchFields");
        for (int i = 0; i < fields.size(); i++) {
            JsonNode e = fields.get(i);
            FieldPath p = path.child("matchFields").index(i);
            if (!Tree.text(e, "key").equals("metadata.name")) {
                errs.add(FieldError.invalid(p.child("key").text(), Tree.text(e, "key"), "not a valid field selector key"));
            }
            String op = Tree.text(e, "operator");
            if (!op.equals("In") && !op.equals("NotIn")) {
                errs.add(FieldError.invalid(p.child("operator").text(), op, "not a valid selector operator"));
            } else if (Tree.items(e, "values").size() != 1) {
                errs.add(FieldError.required(p.child("values").text(), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
            }
        }
    }

    private static void nodeSelectorOperator(JsonNode e, FieldPath p, List<FieldError> errs) {
        String op = Tree.text(e, "operator");
        List<JsonNode> values = Tree.items(e, "values");
        switch (op) {
            case "In", "NotIn" -> {
                if (values.isEmpty()) errs.add(FieldError.required(p.child("values").text(), "must be specified when `operator` is 'In' or 'NotIn'"));
            }
            case "Exists", "DoesNotExist" -> {
                if (!values.isEmpty()) errs.add(FieldError.forbidden(p.child("values").text(), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
            }
            case "Gt", "Lt" -> {
                if (values.size() != 1) {
                    errs.add(FieldError.required(p.child("values").text(), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
                } else {
                    try {
                        Long.parseLong(values.getFirst().asText());
                    } catch (NumberFormatException ex) {
                        errs.add(FieldError.invalid(p.child("values").index(0).text(), values.getFirst().asText(), "must be an integer"));
                    }
                }
            }
            default -> errs.add(FieldError.invalid(p.child("operator").text(), op, "not a valid selector operator"));
        }
    }

    private static void podAffinityTerm(JsonNode term, FieldPath path, List<FieldError> errs) {
        if (Tree.text(term, "topologyKey").isEmpty()) {
            errs.add(FieldError.required(path.child("topologyKey").text(), "can not be empty"));
        } else {
            Metadata.labelKey(Tree.text(term, "topologyKey"), path.child("topologyKey"), errs);
        }
        Metadata.labelSelector(Tree.node(term, "labelSelector"), path.child("labelSelector"), errs);
        Metadata.labelSelector(Tree.node(term, "namespaceSelector"), path.child("namespaceSelector"), errs);
        List<JsonNode> namespaces = Tree.items(term, "namespaces");
        for (int i = 0; i < namespaces.size(); i++) {
            Metadata.name(namespaces.get(i).asText(), Names::dns1123Label, path.child("namespaces").index(i), errs);
        }
    }

    // ---- update -------------------------------------------------------------------------------------------

    @Override
    public void validateUpdate(JsonNode newPod, JsonNode oldPod, List<FieldError> errs) {
        JsonNode newSpec = Tree.node(newPod, "spec");
        JsonNode oldSpec = Tree.node(oldPod, "spec");
        if (newSpec == null || oldSpec == null) {
            if (!Objects.equals(newSpec, oldSpec)) errs.add(FieldError.forbidden("spec", UPDATE_FORBIDDEN));
            return;
        }
        Long newDeadline = Tree.integer(newSpec, "activeDeadlineSeconds");
        Long oldDeadline = Tree.integer(oldSpec, "activeDeadlineSeconds");
        if (oldDeadline != null) {
            if (newDeadline == null) {
                errs.add(FieldError.invalid(SPEC.child("activeDeadlineSeconds").text(), null, "must not update from a positive integer to nil value"));
            } else if (newDeadline > oldDeadline) {
                errs.add(FieldError.invalid(SPEC.child("activeDeadlineSeconds").text(), newDeadline, "must be less than or equal to previous value"));
            }
        }
        tolerationUpdate(Tree.items(newSpec, "tolerations"), Tree.items(oldSpec, "tolerations"), errs);

        // Blank out what may change, then anything still different is a forbidden change.
        ObjectNode munged = newSpec.deepCopy();
        for (String kind : List.of("containers", "initContainers")) {
            List<JsonNode> nc = Tree.items(munged, kind);
            List<JsonNode> oc = Tree.items(oldSpec, kind);
            if (nc.size() != oc.size()) continue;
            for (int i = 0; i < nc.size(); i++) {
                if (nc.get(i) instanceof ObjectNode c && oc.get(i).has("image")) c.set("image", oc.get(i).get("image"));
                else if (nc.get(i) instanceof ObjectNode c) c.remove("image");
            }
        }
        copy(oldSpec, munged, "activeDeadlineSeconds");
        copy(oldSpec, munged, "tolerations");
        Long oldGrace = Tree.integer(oldSpec, "terminationGracePeriodSeconds");
        Long newGrace = Tree.integer(newSpec, "terminationGracePeriodSeconds");
        if (oldGrace != null && oldGrace < 0 && newGrace != null && newGrace == 1) copy(oldSpec, munged, "terminationGracePeriodSeconds");
        if (!munged.equals(oldSpec)) {
            List<String> changed = new ArrayList<>();
            Set<String> keys = new java.util.TreeSet<>();
            munged.fieldNames().forEachRemaining(keys::add);
            oldSpec.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) if (!Objects.equals(munged.get(k), oldSpec.get(k))) changed.add("spec." + k);
            errs.add(FieldError.forbidden("spec", UPDATE_FORBIDDEN + "\n  changed: " + String.join(", ", changed)));
        }
    }

    private static void copy(JsonNode from, ObjectNode to, String field) {
        if (from.has(field)) to.set(field, from.get(field));
        else to.remove(field);
    }

    /** Existing tolerations must stay; only tolerationSeconds may shrink. New ones may be added. */
    private static void tolerationUpdate(List<JsonNode> newTolerations, List<JsonNode> oldTolerations, List<FieldError> errs) {
        List<JsonNode> remaining = new ArrayList<>(newTolerations);
        for (JsonNode old : oldTolerations) {
            JsonNode match = null;
            for (JsonNode n : remaining) {
                if (sameExceptSeconds(n, old)) {
                    match = n;
                    break;
                }
            }
            if (match == null) {
                errs.add(FieldError.forbidden(SPEC.child("tolerations").text(), "existing toleration can not be modified except its tolerationSeconds"));
                return;
            }
            remaining.remove(match);
            Long oldSeconds = Tree.integer(old, "tolerationSeconds");
            Long newSeconds = Tree.integer(match, "tolerationSeconds");
            if (oldSeconds != null && (newSeconds == null || newSeconds > oldSeconds)) {
                errs.add(FieldError.forbidden(SPEC.child("tolerations").text(), "existing toleration can not be modified except its tolerationSeconds"));
                return;
            }
        }
    }

    private static boolean sameExceptSeconds(JsonNode a, JsonNode b) {
        for (String f : List.of("key", "operator", "value", "effect")) {
            String av = Tree.text(a, f);
            String bv = Tree.text(b, f);
            // An unset operator means Equal; compare them as such.
            if (f.equals("operator")) {
                av = av.isEmpty() ? "Equal" : av;
                bv = bv.isEmpty() ? "Equal" : bv;
            }
            if (!av.equals(bv)) return false;
        }
        return true;
    }
}
