package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Endpoints rules, after Kubernetes' {@code ValidateEndpoints}. */
final class EndpointsValidator implements KindValidator {
    static final EndpointsValidator INSTANCE = new EndpointsValidator();

    private static final FieldPath SUBSETS = FieldPath.of("subsets");

    @Override
    public void validate(JsonNode ep, List<FieldError> errs) {
        List<JsonNode> subsets = Tree.items(ep, "subsets");
        for (int i = 0; i < subsets.size(); i++) {
            JsonNode ss = subsets.get(i);
            FieldPath sp = SUBSETS.index(i);
            List<JsonNode> ready = Tree.items(ss, "addresses");
            List<JsonNode> notReady = Tree.items(ss, "notReadyAddresses");
            if (ready.isEmpty() && notReady.isEmpty()) {
                errs.add(FieldError.required(sp.text(), "must specify `addresses` or `notReadyAddresses`"));
            }
            for (int j = 0; j < ready.size(); j++) address(ready.get(j), sp.child("addresses").index(j), errs);
            for (int j = 0; j < notReady.size(); j++) address(notReady.get(j), sp.child("notReadyAddresses").index(j), errs);
            List<JsonNode> ports = Tree.items(ss, "ports");
            Set<String> names = new HashSet<>();
            for (int j = 0; j < ports.size(); j++) {
                JsonNode p = ports.get(j);
                FieldPath pp = sp.child("ports").index(j);
                Ports.listed(p, pp, ports.size(), names, errs);
            }
        }
    }

    private static void address(JsonNode a, FieldPath path, List<FieldError> errs) {
        String ip = Tree.text(a, "ip");
        FieldPath ipPath = path.child("ip");
        var parsed = Addresses.ip(ip);
        if (parsed.isEmpty()) {
            errs.add(FieldError.invalid(ipPath.text(), ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
        } else {
            String special = special(parsed.get());
            if (special != null) errs.add(FieldError.invalid(ipPath.text(), ip, special));
        }
        String hostname = Tree.text(a, "hostname");
        if (!hostname.isEmpty()) Metadata.name(hostname, Names::dns1123Label, path.child("hostname"), errs);
        String nodeName = Tree.text(a, "nodeName");
        if (!nodeName.isEmpty()) Metadata.name(nodeName, Names::dns1123Subdomain, path.child("nodeName"), errs);
    }

    /** Proxies would send traffic for these to themselves or nowhere, so endpoints may not use them. */
    private static String special(Addresses.Ip ip) {
        if (ip.value().signum() == 0) return "may not be unspecified (0.0.0.0)";
        if (ip.isV4()) {
            long v = ip.value().longValue();
            if (v >>> 24 == 127) return "may not be in the loopback range (127.0.0.0/8, ::1/128)";
            if (v >>> 16 == (169L << 8 | 254)) return "may not be in the link-local range (169.254.0.0/16, fe80::/10)";
            if (v >>> 8 == (224L << 16)) return "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)";
            return null;
        }
        BigInteger v = ip.value();
        if (v.equals(BigInteger.ONE)) return "may not be in the loopback range (127.0.0.0/8, ::1/128)";
        int top16 = v.shiftRight(112).intValue();
        if ((top16 & 0xffc0) == 0xfe80) return "may not be in the link-local range (169.254.0.0/16, fe80::/10)";
        if ((top16 & 0xff0f) == 0xff02) return "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)";
        return null;
    }
}
