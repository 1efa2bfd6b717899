package io.hypernetes.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.informer.Informer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The records of the cluster's DNS zones as one Network's pods may see them: Services of the namespaces on that
 * Network only. A name of another tenant's Service is answered exactly as a name that does not exist (NXDOMAIN), so
 * DNS tells a tenant nothing about the others. Names outside {@code cluster.local} (and its short form {@code svc})
 * are refused: the tenant DNS server does not recurse.
 *
 * <p>Names: {@code <svc>.<ns>.svc.cluster.local} (and {@code <svc>.<ns>.svc}): A = the cluster IP, or for a headless
 * Service its ready endpoint addresses; {@code _<port>._<proto>.<svc>.<ns>.svc.cluster.local}: SRV to the Service
 * name and port, with the cluster IP as additional A. An existing name asked for another type (AAAA: the tenant
 * networks are IPv4) is an empty answer, not NXDOMAIN. Negative answers carry the zone's SOA (negative TTL 5 s).
 */
final class ServiceRecords {
    static final long TTL = 5;
    private static final String CLUSTER_ZONE = "cluster.local";
    private static final String SVC_ZONE = "svc";

    /** An answer: the code, and records for the answer, authority and additional sections. */
    record Answer(DnsResponseCode code, boolean authoritative, List<DnsRecord> answers, List<DnsRecord> authority,
                  List<DnsRecord> additional) {
        static Answer refused() {
            return new Answer(DnsResponseCode.REFUSED, false, List.of(), List.of(), List.of());
        }
    }

    private final Informer services;
    private final Informer endpoints;
    private final Informer namespaces;

    ServiceRecords(Informer services, Informer endpoints, Informer namespaces) {
        this.services = services;
        this.endpoints = endpoints;
        this.namespaces = namespaces;
    }

    /** The answer to {@code type} {@code name} (as it came, any case, with or without the final dot) on {@code network}. */
    Answer answer(String network, String name, DnsRecordType type) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".")) n = n.substring(0, n.length() - 1);
        String zone;
        String relative;
        if (n.equals(CLUSTER_ZONE) || n.endsWith("." + CLUSTER_ZONE)) {
            zone = CLUSTER_ZONE;
            relative = n.equals(CLUSTER_ZONE) ? "" : n.substring(0, n.length() - CLUSTER_ZONE.length() - 1);
            // everything named lives under svc.cluster.local
            if (!relative.equals(SVC_ZONE) && !relative.endsWith("." + SVC_ZONE)) return negative(zone, name, false);
            relative = relative.equals(SVC_ZONE) ? "" : relative.substring(0, relative.length() - SVC_ZONE.length() - 1);
        } else if (n.equals(SVC_ZONE) || n.endsWith("." + SVC_ZONE)) {
            zone = SVC_ZONE;
            relative = n.equals(SVC_ZONE) ? "" : n.substring(0, n.length() - SVC_ZONE.length() - 1);
        } else {
            return Answer.refused();
        }
        String[] labels = relative.isEmpty() ? new String[0] : relative.split("\\.", -1);
        if (labels.length == 2) {
            Optional<ObjectNode> svc = service(network, labels[1], labels[0]);
            if (svc.isEmpty()) return negative(zone, name, false);
            if (type != DnsRecordType.A && type != DnsRecordType.ANY) return negative(zone, name, true);
            List<DnsRecord> a = new ArrayList<>();
            for (String ip : addresses(svc.get())) a.add(aRecord(name, ip));
            if (a.isEmpty()) return negative(zone, name, true);
            return new Answer(DnsResponseCode.NOERROR, true, a, List.of(), List.of());
        }
        if (labels.length == 4 && labels[0].startsWith("_") && labels[1].startsWith("_")) {
            Optional<ObjectNode> svc = service(network, labels[3], labels[2]);
            Optional<JsonNode> port = svc.flatMap(s -> port(s, labels[0].substring(1), labels[1].substring(1)));
            if (port.isEmpty()) return negative(zone, name, false);
            String clusterIp = svc.get().path("spec").path("clusterIP").asText("");
            if (type != DnsRecordType.SRV && type != DnsRecordType.ANY || !isAddress(clusterIp)) return negative(zone, name, true);
            String target = labels[2] + "." + labels[3] + "." + SVC_ZONE + "." + CLUSTER_ZONE + ".";
            ByteBuf srv = Unpooled.buffer();
            srv.writeShort(0).writeShort(100).writeShort(port.get().path("port").asInt());
            writeName(target, srv);
            return new Answer(DnsResponseCode.NOERROR, true,
                    List.of(new DefaultDnsRawRecord(name, DnsRecordType.SRV, TTL, srv)), List.of(),
                    List.of(aRecord(target, clusterIp)));
        }
        return negative(zone, name, false);
    }

    /** The Service {@code ns/svcName} when {@code ns} is on {@code network}; ExternalName Services have no records here. */
    private Optional<ObjectNode> service(String network, String ns, String svcName) {
        boolean onNetwork = namespaces.get(null, ns).map(n -> n.path("spec").path("network").asText("").equals(network)).orElse(false);
        if (!onNetwork || network.isEmpty()) return Optional.empty();
        return services.get(ns, svcName).filter(s -> !s.path("spec").path("type").asText("").equals("ExternalName"));
    }

    private static Optional<JsonNode> port(ObjectNode svc, String name, String protocol) {
        for (JsonNode p : svc.path("spec").path("ports")) {
            if (p.path("name").asText("").equalsIgnoreCase(name) && p.path("protocol").asText("TCP").equalsIgnoreCase(protocol)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The cluster IP, or for a headless Service its ready endpoint addresses (sorted, each once). */
    private List<String> addresses(ObjectNode svc) {
        String clusterIp = svc.path("spec").path("clusterIP").asText("");
        if (!clusterIp.equals("None")) return isAddress(clusterIp) ? List.of(clusterIp) : List.of();
        TreeSet<String> ips = new TreeSet<>();
        endpoints.get(svc.path("metadata").path("namespace").asText(), svc.path("metadata").path("name").asText()).ifPresent(ep -> {
            for (JsonNode subset : ep.path("subsets")) {
                for (JsonNode a : subset.path("addresses")) if (isAddress(a.path("ip").asText(""))) ips.add(a.path("ip").asText());
            }
        });
        return List.copyOf(ips);
    }

    private static boolean isAddress(String ip) {
        if (!ip.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) return false;
        for (String part : ip.split("\\.")) if (Integer.parseInt(part) > 255) return false;
        return true;
    }

    private static DnsRecord aRecord(String name, String ip) {
        try {
            byte[] bytes = ((Inet4Address) InetAddress.getByName(ip)).getAddress(); // a literal: no lookup
            return new DefaultDnsRawRecord(name, DnsRecordType.A, TTL, Unpooled.wrappedBuffer(bytes));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("not an IPv4 address: " + ip, e);
        }
    }

    /** NXDOMAIN, or an empty NOERROR when the name exists ({@code exists}), with the zone's SOA. */
    private static Answer negative(String zone, String name, boolean exists) {
        ByteBuf soa = Unpooled.buffer();
        writeName("ns.dns." + CLUSTER_ZONE + ".", soa);
        writeName("hostmaster." + CLUSTER_ZONE + ".", soa);
        soa.writeInt(1).writeInt(3600).writeInt(600).writeInt(86400).writeInt((int) TTL);
        return new Answer(exists ? DnsResponseCode.NOERROR : DnsResponseCode.NXDOMAIN, true, List.of(),
                List.of(new DefaultDnsRawRecord(zone + ".", DnsRecordType.SOA, TTL, soa)), List.of());
    }

    /** A name in DNS wire form, uncompressed (as Netty's encoder writes owner names). */
    static void writeName(String name, ByteBuf out) {
        for (String label : name.split("\\.")) {
            if (label.isEmpty()) continue;
            byte[] b = label.getBytes(StandardCharsets.US_ASCII);
            out.writeByte(b.length).writeBytes(b);
        }
        out.writeByte(0);
    }

    /** The length of {@link #writeName}'s output. */
    static int nameLength(String name) {
        int n = 1;
        for (String label : name.split("\\.")) if (!label.isEmpty()) n += label.length() + 1;
        return n;
    }
}
