package io.hypernetes.network.linux;

import io.hypernetes.network.LoadBalancer;
import io.hypernetes.network.NetworkSpec;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The nftables rulesets, rendered whole from the provider's state. Each starts by declaring and deleting its table, so
 * {@code nft -f -} replaces the table in one transaction: a load balancer's new backends are live at once, and a
 * ruleset that fails to load leaves the previous one in place (never half of each).
 */
final class Rulesets {
    /** The router namespace's table; it is alone in its namespace, so the name needs no prefix. */
    static final String ROUTER_TABLE = "hypernetes";

    private Rulesets() {
    }

    /** A Network's router-to-host link: host side {@code .1}, router side {@code .2} of the /30 at index vni. */
    record Transit(Ipv4 host, Ipv4 router) {
        static Transit of(Ipv4.Cidr range, int vni) {
            Ipv4 block = range.network().plus(4L * vni);
            return new Transit(block.plus(1), block.plus(2));
        }

        static boolean fits(Ipv4.Cidr range, int vni) {
            return 4L * vni + 4 <= range.size();
        }
    }

    /**
     * The router's table. Pods reach the world through {@code wan0} (masqueraded), Services through DNAT to a random
     * ready backend, DNS through the gateway; the forward and input policies drop everything else, so a pod reaches
     * neither the host nor the router itself beyond ping to its gateway.
     */
    static String router(NetworkSpec spec, Transit transit, List<LoadBalancer> loadBalancers) {
        String gateways = "{ " + spec.subnets().stream().map(NetworkSpec.Subnet::gateway).distinct()
                .collect(Collectors.joining(", ")) + " }";
        StringBuilder nat = new StringBuilder();
        StringBuilder refuse = new StringBuilder();
        nat.append("    iifname \"lan0\" ip daddr ").append(gateways).append(" udp dport 53 dnat ip to ")
                .append(transit.host()).append(":53\n");
        nat.append("    iifname \"lan0\" ip daddr ").append(gateways).append(" tcp dport 53 dnat ip to ")
                .append(transit.host()).append(":53\n");
        for (LoadBalancer lb : loadBalancers) {
            for (LoadBalancer.Port port : lb.ports()) {
                String proto = port.protocol().toLowerCase(java.util.Locale.ROOT);
                String target = dnatTarget(port.backends());
                String reject = "TCP".equals(port.protocol()) ? "reject with tcp reset" : "reject";
                nat.append("    # ").append(lb.namespace()).append('/').append(lb.name()).append(' ').append(port.name()).append('\n');
                if (!lb.clusterIp().isEmpty() && !"None".equals(lb.clusterIp())) {
                    frontend(nat, refuse, "ip daddr " + lb.clusterIp() + " " + proto + " dport " + port.port(), target, reject);
                }
                for (String external : lb.externalIps()) {
                    frontend(nat, refuse, "ip daddr " + external + " " + proto + " dport " + port.port(), target, reject);
                }
                if (port.nodePort() > 0) {
                    frontend(nat, refuse, "iifname \"wan0\" ip daddr " + transit.router() + " " + proto + " dport "
                            + port.nodePort(), target, reject);
                }
            }
        }
        return "table ip " + ROUTER_TABLE + "\n"
                + "delete table ip " + ROUTER_TABLE + "\n"
                + "table ip " + ROUTER_TABLE + " {\n"
                + "  chain prerouting {\n"
                + "    type nat hook prerouting priority dstnat; policy accept;\n"
                + nat
                + "  }\n"
                + "  chain postrouting {\n"
                + "    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    oifname \"wan0\" masquerade\n"
                + "    # hairpin: a pod's connection to a Service may land on a pod of the same bridge; the reply must come\n"
                + "    # back through the router to be un-DNATed, so the router is the source the backend sees\n"
                + "    ct status dnat oifname \"lan0\" masquerade\n"
                + "  }\n"
                + "  chain forward {\n"
                + "    type filter hook forward priority filter; policy drop;\n"
                + "    ct state established,related accept\n"
                + "    ct status dnat accept\n"
                + refuse
                + "    iifname \"lan0\" oifname \"wan0\" accept\n"
                + "    iifname \"lan0\" oifname \"lan0\" accept\n"
                + "  }\n"
                + "  chain input {\n"
                + "    type filter hook input priority filter; policy drop;\n"
                + "    iifname \"lo\" accept\n"
                + "    ct state established,related accept\n"
                + "    iifname \"lan0\" ip daddr " + gateways + " icmp type echo-request accept\n"
                + "  }\n"
                + "}\n";
    }

    private static void frontend(StringBuilder nat, StringBuilder refuse, String match, String target, String reject) {
        if (target == null) {
            // no ready backend: refuse at once rather than let the packet leave by wan0 towards the world
            refuse.append("    ").append(match).append(' ').append(reject).append('\n');
        } else {
            nat.append("    ").append(match).append(' ').append(target).append('\n');
        }
    }

    private static String dnatTarget(List<LoadBalancer.Backend> backends) {
        if (backends.isEmpty()) {
            return null;
        }
        if (backends.size() == 1) {
            return "dnat ip to " + backends.getFirst().ip() + ":" + backends.getFirst().port();
        }
        StringBuilder map = new StringBuilder("dnat ip to numgen random mod " + backends.size() + " map { ");
        for (int i = 0; i < backends.size(); i++) {
            map.append(i == 0 ? "" : ", ").append(i).append(" : ").append(backends.get(i).ip()).append(" . ")
                    .append(backends.get(i).port());
        }
        return map.append(" }").toString();
    }

    /** A Network this host routes, with what the host table needs of it. */
    record Routed(int vni, String transitLink, Transit transit, List<LoadBalancer> loadBalancers) {
    }

    /**
     * The host's table: tenants' routers reach the host only for their own DNS, never each other, nor anything in
     * {@code unreachable} (the cluster's own networks and the other hosts' underlay addresses: a tenant's VXLAN packet
     * to a peer's port 4789 would land in whatever segment its header names) except as replies; their traffic leaves
     * masqueraded; node ports on the host's addresses go to the router that balances them.
     */
    static String host(String table, String prefix, Ipv4.Cidr transitRange, List<Routed> networks, List<String> unreachable) {
        String transitLinks = "\"" + prefix + "t*\"";
        StringBuilder input = new StringBuilder();
        StringBuilder nodePorts = new StringBuilder();
        for (Routed network : networks) {
            input.append("    iifname \"").append(network.transitLink()).append("\" ip daddr ").append(network.transit().host())
                    .append(" meta l4proto { tcp, udp } th dport 53 accept\n");
            for (LoadBalancer lb : network.loadBalancers()) {
                for (LoadBalancer.Port port : lb.ports()) {
                    if (port.nodePort() > 0) {
                        nodePorts.append("    fib daddr type local ").append(port.protocol().toLowerCase(java.util.Locale.ROOT))
                                .append(" dport ").append(port.nodePort()).append(" dnat ip to ")
                                .append(network.transit().router()).append(':').append(port.nodePort()).append('\n');
                    }
                }
            }
        }
        return "table inet " + table + "\n"
                + "delete table inet " + table + "\n"
                + "table inet " + table + " {\n"
                + "  chain forward {\n"
                + "    type filter hook forward priority filter; policy accept;\n"
                + "    iifname " + transitLinks + " oifname " + transitLinks + " drop\n"
                + (unreachable.isEmpty() ? "" : "    iifname " + transitLinks + " ct state established,related accept\n"
                        + "    iifname " + transitLinks + " ip daddr { " + String.join(", ", unreachable)
                        + " } reject with icmpx type admin-prohibited\n")
                + "  }\n"
                + "  chain input {\n"
                + "    type filter hook input priority filter; policy accept;\n"
                + "    iifname " + transitLinks + " ct state established,related accept\n"
                + input
                + "    iifname " + transitLinks + " drop\n"
                + "  }\n"
                + "  chain prerouting {\n"
                + "    type nat hook prerouting priority dstnat; policy accept;\n"
                + nodePorts
                + "  }\n"
                + "  chain output {\n"
                + "    type nat hook output priority -100; policy accept;\n"
                + nodePorts
                + "  }\n"
                + "  chain postrouting {\n"
                + "    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    ip saddr " + transitRange + " oifname != " + transitLinks + " masquerade\n"
                + "  }\n"
                + "}\n";
    }

    /** Removes the host table (no Network routed here any more). */
    static String deleteHost(String table) {
        return "table inet " + table + "\ndelete table inet " + table + "\n";
    }
}
