package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** Service rules, after Kubernetes' {@code ValidateService} and {@code ValidateServiceUpdate}. */
final class ServiceValidator implements KindValidator {
    static final ServiceValidator INSTANCE = new ServiceValidator();

    static final List<String> TYPES = List.of("ClusterIP", "NodePort", "LoadBalancer", "ExternalName");
    static final List<String> AFFINITIES = List.of("ClientIP", "None");
    static final List<String> TRAFFIC_POLICIES = List.of("Cluster", "Local");
    static final List<String> IP_FAMILY_POLICIES = List.of("SingleStack", "PreferDualStack", "RequireDualStack");
    static final List<String> IP_FAMILIES = List.of("IPv4", "IPv6");
    /** The default --service-node-port-range; the allocator owns the real range, this catches typos early. */
    static final int NODE_PORT_MIN = 30000;
    static final int NODE_PORT_MAX = 32767;

    private static final FieldPath SPEC = FieldPath.of("spec");

    @Override
    public Function<String, List<String>> nameRule() {
        // Service names become DNS names and environment variable prefixes, hence the stricter RFC 1035 rule.
        return Names::dns1035Label;
    }

    @Override
    public void validate(JsonNode svc, List<FieldError> errs) {
        JsonNode spec = Tree.node(svc, "spec");
        String type = Tree.text(spec, "type");
        if (Tree.has(spec, "type")) Metadata.oneOf(type, TYPES, SPEC.child("type"), errs);
        if (type.isEmpty()) type = "ClusterIP";
        String clusterIP = Tree.text(spec, "clusterIP");
        boolean headless = clusterIP.equals("None");
        List<JsonNode> ports = Tree.items(spec, "ports");

        if (type.equals("ExternalName")) {
            String externalName = Tree.text(spec, "externalName");
            if (externalName.isEmpty()) {
                errs.add(FieldError.required(SPEC.child("externalName").text(), ""));
            } else {
                // A trailing dot (fully qualified) is allowed, as in Kubernetes.
                String n = externalName.endsWith(".") ? externalName.substring(0, externalName.length() - 1) : externalName;
                Metadata.name(n, Names::dns1123Subdomain, SPEC.child("externalName"), errs);
            }
            if (!clusterIP.isEmpty()) {
                errs.add(FieldError.forbidden(SPEC.child("clusterIP").text(), "may not be set for ExternalName services"));
            }
        } else if (ports.isEmpty() && !headless) {
            errs.add(FieldError.required(SPEC.child("ports").text(), ""));
        }

        if (!clusterIP.isEmpty() && !headless && Addresses.ip(clusterIP).isEmpty()) {
            errs.add(FieldError.invalid(SPEC.child("clusterIP").text(), clusterIP, "must be empty, 'None', or a valid IP address"));
        }
        if (headless && (type.equals("NodePort") || type.equals("LoadBalancer"))) {
            errs.add(FieldError.invalid(SPEC.child("clusterIP").text(), clusterIP, "may not be set to 'None' for " + type + " services"));
        }
        List<JsonNode> clusterIPs = Tree.items(spec, "clusterIPs");
        for (int i = 0; i < clusterIPs.size(); i++) {
            String ip = clusterIPs.get(i).asText();
            if (ip.equals("None") && i == 0) continue;
            if (Addresses.ip(ip).isEmpty()) {
                errs.add(FieldError.invalid(SPEC.child("clusterIPs").index(i).text(), ip, "must be a valid IP address"));
            }
        }
        if (!clusterIPs.isEmpty() && !clusterIP.isEmpty() && !clusterIPs.getFirst().asText().equals(clusterIP)) {
            errs.add(FieldError.invalid(SPEC.child("clusterIPs").text(), clusterIPs.getFirst().asText(),
                    "first value must match `clusterIP`"));
        }

        Set<String> names = new HashSet<>();
        Set<String> portProtocols = new HashSet<>();
        Set<String> nodePorts = new HashSet<>();
        for (int i = 0; i < ports.size(); i++) {
            JsonNode p = ports.get(i);
            FieldPath pp = SPEC.child("ports").index(i);
            Ports.listed(p, pp, ports.size(), names, errs);
            String protocol = Tree.text(p, "protocol").isEmpty() ? "TCP" : Tree.text(p, "protocol");
            Long port = Tree.integer(p, "port");
            if (port != null && !portProtocols.add(port + "/" + protocol)) {
                errs.add(FieldError.duplicate(pp.text(), port + "/" + protocol));
            }
            JsonNode target = Tree.node(p, "targetPort");
            if (target != null && !(target.isNumber() && target.asLong() == 0) && !(target.isTextual() && target.asText().isEmpty())) {
                Ports.numberOrName(target, pp.child("targetPort"), errs);
            }
            Long nodePort = Tree.integer(p, "nodePort");
            if (nodePort != null && nodePort != 0) {
                FieldPath np = pp.child("nodePort");
                if (type.equals("ClusterIP") || type.equals("ExternalName")) {
                    errs.add(FieldError.forbidden(np.text(), "may not be used when `type` is '" + type + "'"));
                } else if (nodePort < NODE_PORT_MIN || nodePort > NODE_PORT_MAX) {
                    errs.add(FieldError.invalid(np.text(), nodePort, "provided port is not in the valid range. The range of valid ports is "
                            + NODE_PORT_MIN + "-" + NODE_PORT_MAX));
                } else if (!nodePorts.add(nodePort + "/" + protocol)) {
                    errs.add(FieldError.duplicate(np.text(), nodePort));
                }
            }
        }

        Metadata.labels(Tree.node(spec, "selector"), SPEC.child("selector"), errs);
        if (Tree.has(spec, "sessionAffinity")) Metadata.oneOf(Tree.text(spec, "sessionAffinity"), AFFINITIES, SPEC.child("sessionAffinity"), errs);
        JsonNode affinityConfig = Tree.node(spec, "sessionAffinityConfig");
        if (affinityConfig != null) {
            FieldPath tp = SPEC.child("sessionAffinityConfig").child("clientIP").child("timeoutSeconds");
            if (!Tree.text(spec, "sessionAffinity").equals("ClientIP")) {
                errs.add(FieldError.forbidden(SPEC.child("sessionAffinityConfig").text(),
                        "must not be set when session affinity is " + Tree.text(spec, "sessionAffinity")));
            }
            JsonNode clientIP = Tree.node(affinityConfig, "clientIP");
            Long t = Tree.integer(clientIP, "timeoutSeconds");
            if (Tree.has(clientIP, "timeoutSeconds") && (t == null || t <= 0 || t > 86400)) {
                errs.add(FieldError.invalid(tp.text(), Tree.text(clientIP, "timeoutSeconds"), "must be greater than 0 and less than 86400"));
            }
        }
        if (Tree.has(spec, "internalTrafficPolicy")) {
            Metadata.oneOf(Tree.text(spec, "internalTrafficPolicy"), TRAFFIC_POLICIES, SPEC.child("internalTrafficPolicy"), errs);
        }
        if (Tree.has(spec, "externalTrafficPolicy")) {
            if (!type.equals("NodePort") && !type.equals("LoadBalancer")) {
                errs.add(FieldError.invalid(SPEC.child("externalTrafficPolicy").text(), Tree.text(spec, "externalTrafficPolicy"),
                        "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
            } else {
                Metadata.oneOf(Tree.text(spec, "externalTrafficPolicy"), TRAFFIC_POLICIES, SPEC.child("externalTrafficPolicy"), errs);
            }
        }
        if (Tree.has(spec, "ipFamilyPolicy")) {
            Metadata.oneOf(Tree.text(spec, "ipFamilyPolicy"), IP_FAMILY_POLICIES, SPEC.child("ipFamilyPolicy"), errs);
        }
        List<JsonNode> families = Tree.items(spec, "ipFamilies");
        Set<String> seenFamilies = new HashSet<>();
        for (int i = 0; i < families.size(); i++) {
            String f = families.get(i).asText();
            FieldPath fp = SPEC.child("ipFamilies").index(i);
            Metadata.oneOf(f, IP_FAMILIES, fp, errs);
            if (!seenFamilies.add(f)) errs.add(FieldError.duplicate(fp.text(), f));
        }
        if (families.size() > 2) errs.add(FieldError.invalid(SPEC.child("ipFamilies").text(), families.size(), "may specify no more than one IP for each IP family"));
        List<JsonNode> externalIPs = Tree.items(spec, "externalIPs");
        for (int i = 0; i < externalIPs.size(); i++) {
            if (Addresses.ip(externalIPs.get(i).asText()).isEmpty()) {
                errs.add(FieldError.invalid(SPEC.child("externalIPs").index(i).text(), externalIPs.get(i).asText(), "must be a valid IP address"));
            }
        }
        List<JsonNode> sourceRanges = Tree.items(spec, "loadBalancerSourceRanges");
        for (int i = 0; i < sourceRanges.size(); i++) {
            if (Addresses.cidr(sourceRanges.get(i).asText().strip()).isEmpty()) {
                errs.add(FieldError.invalid(SPEC.child("loadBalancerSourceRanges").index(i).text(), sourceRanges.get(i).asText(),
                        "must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 "));
            }
        }
    }

    @Override
    public void validateUpdate(JsonNode newSvc, JsonNode oldSvc, List<FieldError> errs) {
        JsonNode n = Tree.node(newSvc, "spec");
        JsonNode o = Tree.node(oldSvc, "spec");
        String oldIP = Tree.text(o, "clusterIP");
        // Switching to ExternalName releases the address; every other change keeps it.
        if (!oldIP.isEmpty() && !Tree.text(n, "type").equals("ExternalName")) {
            Metadata.immutable(Tree.text(n, "clusterIP"), oldIP, SPEC.child("clusterIP"), errs);
        }
    }
}
