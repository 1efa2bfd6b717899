package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Hypernetes' Network: one tenant's isolated L2/L3 network.
 *
 * <p>{@code spec.tenantID} names the Keystone project that owns the network. Keystone writes project ids as
 * 32 lowercase hex digits; some deployments (LDAP-backed or migrated ones) hand out dashed UUIDs, so both
 * spellings are accepted, lowercase only: ids are compared as strings with what the identity service
 * returns, and an uppercase spelling would never match.
 */
final class NetworkValidator implements KindValidator {
    static final NetworkValidator INSTANCE = new NetworkValidator();

    static final List<String> PHASES = List.of("Initializing", "Active", "Pending", "Failed", "Terminating");
    private static final Pattern TENANT_ID =
            Pattern.compile("[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    static final String TENANT_ID_MESSAGE = "must be a Keystone project ID: 32 lowercase hexadecimal characters"
            + " (e.g. '065f210a2ca9442aad898ab129426350') or a lowercase dashed UUID";

    private static final FieldPath SPEC = FieldPath.of("spec");

    @Override
    public void validate(JsonNode net, List<FieldError> errs) {
        JsonNode spec = Tree.node(net, "spec");
        String tenant = Tree.text(spec, "tenantID");
        if (tenant.isEmpty()) {
            errs.add(FieldError.required(SPEC.child("tenantID").text(), ""));
        } else if (!TENANT_ID.matcher(tenant).matches()) {
            errs.add(FieldError.invalid(SPEC.child("tenantID").text(), tenant, TENANT_ID_MESSAGE));
        }
        boolean hasSubnets = !Tree.entries(spec, "subnets").isEmpty();
        if (Tree.has(spec, "providerNetworkID")) {
            String provider = Tree.text(spec, "providerNetworkID");
            FieldPath pp = SPEC.child("providerNetworkID");
            if (provider.isEmpty()) {
                errs.add(FieldError.required(pp.text(), "may be omitted but not empty"));
            } else if (!provider.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,254}")) {
                errs.add(FieldError.invalid(pp.text(), provider,
                        "must consist of alphanumeric characters, '-', '_' or '.' and be at most 255 characters"));
            }
            if (hasSubnets) {
                errs.add(FieldError.forbidden(pp.text(),
                        "may not be set together with spec.subnets: a provider network brings its own subnets"));
            }
        }
        subnets(Tree.entries(spec, "subnets"), errs);
        JsonNode status = Tree.node(net, "status");
        if (Tree.has(status, "phase")) Metadata.oneOf(Tree.text(status, "phase"), PHASES, FieldPath.of("status").child("phase"), errs);
    }

    private static void subnets(List<Map.Entry<String, JsonNode>> subnets, List<FieldError> errs) {
        record Named(String name, Addresses.Cidr cidr) {}
        List<Named> seen = new ArrayList<>();
        for (var e : subnets) {
            FieldPath p = SPEC.child("subnets").key(e.getKey());
            Metadata.name(e.getKey(), Names::dns1123Label, p, errs);
            JsonNode subnet = e.getValue();
            String cidrText = Tree.text(subnet, "cidr");
            Optional<Addresses.Cidr> cidr = Optional.empty();
            if (cidrText.isEmpty()) {
                errs.add(FieldError.required(p.child("cidr").text(), ""));
            } else {
                cidr = Addresses.cidr(cidrText);
                if (cidr.isEmpty()) {
                    errs.add(FieldError.invalid(p.child("cidr").text(), cidrText, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
                } else if (!cidr.get().hostBitsZero()) {
                    errs.add(FieldError.invalid(p.child("cidr").text(), cidrText, "must be a network address with host bits zero (did you mean '"
                            + cidr.get().network() + "/" + cidr.get().prefix() + "'?)"));
                    cidr = Optional.empty();
                } else if (cidr.get().address().isV4() ? cidr.get().prefix() > 30 : cidr.get().prefix() > 126) {
                    errs.add(FieldError.invalid(p.child("cidr").text(), cidrText, "is too small: it must leave room for a gateway and at least one pod"));
                    cidr = Optional.empty();
                }
            }
            if (cidr.isPresent()) {
                for (Named other : seen) {
                    if (other.cidr.overlaps(cidr.get())) {
                        errs.add(FieldError.invalid(p.child("cidr").text(), cidrText,
                                "overlaps with subnet \"" + other.name + "\" (" + other.cidr + ")"));
                    }
                }
                seen.add(new Named(e.getKey(), cidr.get()));
            }
            String gwText = Tree.text(subnet, "gateway");
            if (!Tree.has(subnet, "gateway")) continue;
            FieldPath gp = p.child("gateway");
            Optional<Addresses.Ip> gw = Addresses.ip(gwText);
            if (gw.isEmpty()) {
                errs.add(FieldError.invalid(gp.text(), gwText, "must be a valid IP address"));
            } else if (cidr.isPresent()) {
                Addresses.Cidr c = cidr.get();
                if (!c.contains(gw.get())) {
                    errs.add(FieldError.invalid(gp.text(), gwText, "must be inside cidr " + cidrText));
                } else if (gw.get().equals(c.network())) {
                    errs.add(FieldError.invalid(gp.text(), gwText, "must not be the network address of " + cidrText));
                } else if (c.address().isV4() && gw.get().equals(c.last())) {
                    errs.add(FieldError.invalid(gp.text(), gwText, "must not be the broadcast address of " + cidrText));
                }
            }
        }
    }

    @Override
    public void validateUpdate(JsonNode newNet, JsonNode oldNet, List<FieldError> errs) {
        JsonNode n = Tree.node(newNet, "spec");
        JsonNode o = Tree.node(oldNet, "spec");
        // The tenant owns every port and address in the network; handing it to another would leak them.
        Metadata.immutable(Tree.text(n, "tenantID"), Tree.text(o, "tenantID"), SPEC.child("tenantID"), errs);
        if (!Tree.text(o, "providerNetworkID").isEmpty()) {
            Metadata.immutable(Tree.text(n, "providerNetworkID"), Tree.text(o, "providerNetworkID"), SPEC.child("providerNetworkID"), errs);
        }
        // Pods hold addresses from existing subnets, so those stay as they are; new subnets may be added.
        JsonNode newSubnets = Tree.node(n, "subnets");
        for (var e : Tree.entries(o, "subnets")) {
            JsonNode now = newSubnets == null ? null : newSubnets.get(e.getKey());
            if (!Objects.equals(now, e.getValue())) {
                errs.add(FieldError.forbidden(SPEC.child("subnets").key(e.getKey()).text(), "existing subnets may not be changed or removed"));
            }
        }
    }
}
