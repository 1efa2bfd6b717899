package io.hypernetes.proxy;

import static io.hypernetes.proxy.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.network.RecordingProvider;
import io.hypernetes.proxy.DnsWire.Message;
import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tenant DNS server over real UDP and TCP sockets on 127.0.61.x, answering from a real API server: two tenants
 * with a Service of the same name each, a headless Service, a big one for truncation, and garbage.
 */
class TenantDnsTest {
    static final String BIND_A = "127.0.61.1";
    static final String BIND_B = "127.0.61.2";
    @TempDir
    static Path dir;
    static Cluster cluster;
    static TenantDns dns;
    static InetSocketAddress a;
    static InetSocketAddress b;
    static String webA;
    static String webB;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.start(dir);
        cluster.network("net-a", Cluster.TENANT_A, "Active");
        cluster.network("net-b", Cluster.TENANT_B, "Active");
        cluster.namespace("ns-a", "net-a");
        cluster.namespace("ns-b", "net-b");
        cluster.namespace("plain", null);
        String web = "{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {ports: [{name: http, port: 80}, {name: dns, port: 53, protocol: UDP}]}}";
        webA = cluster.create("ns-a", "services", web).at("/spec/clusterIP").asText();
        webB = cluster.create("ns-b", "services", web).at("/spec/clusterIP").asText();
        cluster.create("plain", "services", web);
        cluster.create("ns-a", "services", "{apiVersion: v1, kind: Service, metadata: {name: db}, spec: {clusterIP: None, ports: [{port: 5432}]}}");
        cluster.create("ns-a", "endpoints", """
                {apiVersion: v1, kind: Endpoints, metadata: {name: db},
                 subsets: [{addresses: [{ip: 10.0.0.8}, {ip: 10.0.0.7}], notReadyAddresses: [{ip: 10.0.0.9}], ports: [{port: 5432}]}]}""");
        cluster.create("ns-a", "services", "{apiVersion: v1, kind: Service, metadata: {name: big}, spec: {clusterIP: None, ports: [{port: 80}]}}");
        StringBuilder addresses = new StringBuilder();
        for (int i = 1; i <= 60; i++) addresses.append(i == 1 ? "" : ", ").append("{ip: 10.0.1.").append(i).append('}');
        cluster.create("ns-a", "endpoints", "{apiVersion: v1, kind: Endpoints, metadata: {name: big}, subsets: [{addresses: ["
                + addresses + "], ports: [{port: 80}]}]}");

        dns = TenantDns.start(cluster.informers);
        a = dns.serve("net-a", new InetSocketAddress(BIND_A, 0));
        b = dns.serve("net-b", new InetSocketAddress(BIND_B, 0));
        await("caches filled", () -> DnsWire.udp(a, "big.ns-a.svc.cluster.local", DnsWire.A).truncated());
    }

    @AfterAll
    static void stop() {
        if (dns != null) dns.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void eachListenerAnswersItsOwnTenantOnly() throws Exception {
        Message onA = DnsWire.udp(a, "web.ns-a.svc.cluster.local", DnsWire.A);
        assertThat(onA.rcode()).isEqualTo(DnsWire.NOERROR);
        assertThat(onA.authoritative()).isTrue();
        assertThat(onA.recursionAvailable()).isFalse();
        assertThat(onA.id()).isEqualTo(0x1234);
        assertThat(onA.ips()).containsExactly(webA);
        assertThat(onA.answers().getFirst().ttl()).isEqualTo(5);
        assertThat(DnsWire.udp(b, "web.ns-b.svc.cluster.local", DnsWire.A).ips()).containsExactly(webB);
        assertThat(webA).isNotEqualTo(webB);

        // the other tenant's Service, and a Service on the default network, are names that do not exist
        Message foreign = DnsWire.udp(a, "web.ns-b.svc.cluster.local", DnsWire.A);
        Message absent = DnsWire.udp(a, "nosuch.ns-b.svc.cluster.local", DnsWire.A);
        assertThat(foreign.rcode()).isEqualTo(DnsWire.NXDOMAIN);
        assertThat(foreign.answers()).isEmpty();
        assertThat(Arrays.copyOfRange(foreign.raw(), 0, 12)).isEqualTo(Arrays.copyOfRange(absent.raw(), 0, 12));
        assertThat(foreign.authority()).usingRecursiveFieldByFieldElementComparator().isEqualTo(absent.authority());
        assertThat(foreign.authority()).extracting(DnsWire.Record::type).containsExactly(DnsWire.SOA);
        assertThat(DnsWire.udp(b, "web.ns-a.svc.cluster.local", DnsWire.A).rcode()).isEqualTo(DnsWire.NXDOMAIN);
        assertThat(DnsWire.udp(a, "web.plain.svc.cluster.local", DnsWire.A).rcode()).isEqualTo(DnsWire.NXDOMAIN);
        assertThat(DnsWire.udp(b, "_http._tcp.web.ns-a.svc.cluster.local", DnsWire.SRV).rcode()).isEqualTo(DnsWire.NXDOMAIN);
    }

    @Test
    void namesCaseShortFormTypesAndZones() throws Exception {
        Message mixed = DnsWire.udp(a, "WEB.Ns-A.SVC.Cluster.LOCAL", DnsWire.A);
        assertThat(mixed.ips()).containsExactly(webA);
        assertThat(DnsWire.udp(a, "web.ns-a.svc", DnsWire.A).ips()).containsExactly(webA);
        assertThat(DnsWire.udp(a, "web.ns-a.svc.cluster.local", DnsWire.ANY).ips()).containsExactly(webA);

        // the name exists, IPv6 does not: empty NOERROR, not NXDOMAIN
        Message aaaa = DnsWire.udp(a, "web.ns-a.svc.cluster.local", DnsWire.AAAA);
        assertThat(aaaa.rcode()).isEqualTo(DnsWire.NOERROR);
        assertThat(aaaa.answers()).isEmpty();

        for (String name : List.of("cluster.local", "svc.cluster.local", "ns-a.svc.cluster.local", "x.y.z.ns-a.svc.cluster.local",
                "pod.cluster.local", "web.ns-a.pod.cluster.local")) {
            Message m = DnsWire.udp(a, name, DnsWire.A);
            assertThat(m.rcode()).as(name).isEqualTo(DnsWire.NXDOMAIN);
            assertThat(m.authoritative()).as(name).isTrue();
        }
        for (String name : List.of("example.com", "web.ns-a", "local", "kubernetes.default")) {
            Message m = DnsWire.udp(a, name, DnsWire.A);
            assertThat(m.rcode()).as(name).isEqualTo(DnsWire.REFUSED);
            assertThat(m.authoritative()).as(name).isFalse();
            assertThat(m.recursionAvailable()).as(name).isFalse();
            assertThat(m.answers()).as(name).isEmpty();
        }
    }

    @Test
    void headlessAndSrv() throws Exception {
        assertThat(DnsWire.udp(a, "db.ns-a.svc.cluster.local", DnsWire.A).ips()).containsExactly("10.0.0.7", "10.0.0.8");

        Message srv = DnsWire.udp(a, "_http._tcp.web.ns-a.svc.cluster.local", DnsWire.SRV);
        assertThat(srv.rcode()).isEqualTo(DnsWire.NOERROR);
        assertThat(srv.answers()).hasSize(1);
        assertThat(DnsWire.Srv.of(srv.answers().getFirst())).isEqualTo(new DnsWire.Srv(0, 100, 80, "web.ns-a.svc.cluster.local."));
        assertThat(srv.additional()).extracting(DnsWire.Record::name, DnsWire.Record::ip)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("web.ns-a.svc.cluster.local.", webA));
        assertThat(DnsWire.Srv.of(DnsWire.udp(a, "_dns._udp.web.ns-a.svc.cluster.local", DnsWire.SRV).answers().getFirst()).port()).isEqualTo(53);
        assertThat(DnsWire.udp(a, "_dns._tcp.web.ns-a.svc.cluster.local", DnsWire.SRV).rcode()).isEqualTo(DnsWire.NXDOMAIN);
    }

    @Test
    void longAnswersAreTruncatedOverUdpAndWholeOverTcp() throws Exception {
        Message udp = DnsWire.udp(a, "big.ns-a.svc.cluster.local", DnsWire.A);
        assertThat(udp.truncated()).isTrue();
        assertThat(udp.answers()).isEmpty();
        assertThat(udp.raw().length).isLessThanOrEqualTo(512);
        Message tcp = DnsWire.tcp(a, "big.ns-a.svc.cluster.local", DnsWire.A);
        assertThat(tcp.truncated()).isFalse();
        assertThat(tcp.ips()).hasSize(60).contains("10.0.1.1", "10.0.1.60");
        assertThat(DnsWire.tcp(b, "web.ns-b.svc.cluster.local", DnsWire.A).ips()).containsExactly(webB);
        assertThat(DnsWire.tcp(b, "big.ns-a.svc.cluster.local", DnsWire.A).rcode()).isEqualTo(DnsWire.NXDOMAIN);
    }

    @Test
    void garbageIsDroppedAndTheListenerCarriesOn() throws Exception {
        long droppedBefore = dns.stats().dropped();
        byte[] good = DnsWire.query(7, "web.ns-a.svc.cluster.local", DnsWire.A);
        byte[] random = new byte[200];
        new Random(6).nextBytes(random);
        byte[] response = good.clone();
        response[2] |= (byte) 0x80; // QR: a response, not a query
        byte[] pointerLoop = good.clone();
        pointerLoop[12] = (byte) 0xc0; // the name is a compression pointer to itself
        pointerLoop[13] = 12;
        byte[] oversized = new byte[1400];
        System.arraycopy(good, 0, oversized, 0, good.length);
        List<byte[]> garbage = List.of(new byte[0], new byte[] {1, 2, 3}, Arrays.copyOf(good, 20), random, response, pointerLoop, oversized);
        for (byte[] g : garbage) assertThat(DnsWire.udp(a, g, 300)).isNull();
        assertThat(dns.stats().dropped() - droppedBefore).isGreaterThanOrEqualTo(garbage.size() - 1); // an empty datagram may not arrive
        assertThat(DnsWire.udp(a, good, 5000).ips()).containsExactly(webA);

        // TCP: a bad frame closes that connection only
        try (Socket s = new Socket()) {
            s.connect(a, 5000);
            s.setSoTimeout(5000);
            DnsWire.writeFrame(s.getOutputStream(), random);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket s = new Socket()) {
            s.connect(a, 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(new byte[] {0x7f, (byte) 0xff}); // announces a 32 KiB query
            s.getOutputStream().write(new byte[600]);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        // two queries on one connection, the second after the first's answer
        try (Socket s = new Socket()) {
            s.connect(a, 5000);
            s.setSoTimeout(5000);
            DnsWire.writeFrame(s.getOutputStream(), good);
            assertThat(DnsWire.readFrame(s).ips()).containsExactly(webA);
            DnsWire.writeFrame(s.getOutputStream(), DnsWire.query(8, "db.ns-a.svc.cluster.local", DnsWire.A));
            assertThat(DnsWire.readFrame(s).ips()).containsExactly("10.0.0.7", "10.0.0.8");
        }
    }

    @Test
    void answersFollowTheApi() throws Exception {
        cluster.create("ns-b", "services", "{apiVersion: v1, kind: Service, metadata: {name: late}, spec: {ports: [{port: 80}]}}");
        await("a new Service resolves", () -> DnsWire.udp(b, "late.ns-b.svc.cluster.local", DnsWire.A).rcode() == DnsWire.NOERROR);
        Cluster.ok(cluster.client.delete("/api/v1/namespaces/ns-b/services/late"), 200);
        await("a deleted one does not", () -> DnsWire.udp(b, "late.ns-b.svc.cluster.local", DnsWire.A).rcode() == DnsWire.NXDOMAIN);
    }

    @Test
    void listenersStopServeAgainAndFollowTheNetworks() throws Exception {
        try (TenantDns other = TenantDns.start(cluster.informers)) {
            InetSocketAddress at = other.serve("net-a", new InetSocketAddress("127.0.61.3", 0));
            assertThat(DnsWire.udp(at, "web.ns-a.svc.cluster.local", DnsWire.A).ips()).containsExactly(webA);
            other.stop("net-a");
            assertThat(other.listeners()).isEmpty();
            assertThatThrownBy(() -> DnsWire.tcp(at, "web.ns-a.svc.cluster.local", DnsWire.A)).isInstanceOf(ConnectException.class);
            assertThatThrownBy(() -> other.serve("net-a", new InetSocketAddress(BIND_A, a.getPort())))
                    .isInstanceOf(IOException.class).hasMessageContaining("cannot listen");
            assertThat(other.listeners()).isEmpty();

            // moving to an address in use keeps the old listener serving
            InetSocketAddress kept = other.serve("net-b", new InetSocketAddress("127.0.61.3", 0));
            assertThatThrownBy(() -> other.serve("net-b", new InetSocketAddress(BIND_A, a.getPort()))).isInstanceOf(IOException.class);
            assertThat(other.listeners()).containsExactly(java.util.Map.entry("net-b", kept));
            assertThat(DnsWire.tcp(kept, "web.ns-b.svc.cluster.local", DnsWire.A).ips()).containsExactly(webB);
            // moving to a free address moves it
            InetSocketAddress moved = other.serve("net-b", new InetSocketAddress("127.0.61.8", 0));
            assertThat(other.listeners()).containsExactly(java.util.Map.entry("net-b", moved));
            // refused, or reset when the connect raced the old listener's close: either way no answer there
            assertThatThrownBy(() -> DnsWire.tcp(kept, "web.ns-b.svc.cluster.local", DnsWire.A)).isInstanceOf(java.net.SocketException.class);
            assertThat(DnsWire.udp(moved, "web.ns-b.svc.cluster.local", DnsWire.A).ips()).containsExactly(webB);

            assertThatThrownBy(() -> other.serve("", new InetSocketAddress("127.0.61.3", 0))).isInstanceOf(IllegalArgumentException.class);
        }
        for (String bad : List.of("", "10.0.0.1", "10.0.0.1:", ":53", "10.0.0.1:0", "10.0.0.1:70000", "10.0.0.1:dns", "dns.example:53", "deadbeef:53", "10.0.0:53")) {
            assertThatThrownBy(() -> TenantDns.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(TenantDns.parse("100.64.0.5:53")).isEqualTo(new InetSocketAddress("100.64.0.5", 53));

        RecordingProvider provider = new RecordingProvider().only("the tenant DNS", "getNetwork");
        int portA = freePort("127.0.61.4");
        int portB = freePort("127.0.61.5");
        provider.dnsAddress("net-a", "127.0.61.4:" + portA);
        cluster.network("net-f", Cluster.TENANT_B, "Initializing");
        cluster.namespace("ns-f", "net-f");
        String ipF = cluster.create("ns-f", "services", "{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {ports: [{port: 80}]}}")
                .at("/spec/clusterIP").asText();
        try (TenantDns followed = TenantDns.start(cluster.informers).followNetworks(provider)) {
            InetSocketAddress atA = new InetSocketAddress("127.0.61.4", portA);
            await("net-a served where the provider says", () -> atA.equals(followed.listeners().get("net-a")));
            assertThat(DnsWire.udp(atA, "web.ns-a.svc.cluster.local", DnsWire.A).ips()).containsExactly(webA);
            // net-b is Active but the provider has no address for it yet: retried until it has
            assertThat(followed.listeners()).doesNotContainKey("net-b");
            provider.dnsAddress("net-b", "127.0.61.5:" + portB);
            await("net-b served once the provider has its address", () -> followed.listeners().containsKey("net-b"));
            // net-f becomes Active, then is being deleted
            provider.dnsAddress("net-f", "127.0.61.6:" + freePort("127.0.61.6"));
            assertThat(followed.listeners()).doesNotContainKey("net-f");
            cluster.phase("net-f", "Active");
            await("net-f served", () -> followed.listeners().containsKey("net-f"));
            assertThat(DnsWire.udp(followed.listeners().get("net-f"), "web.ns-f.svc.cluster.local", DnsWire.A).ips()).containsExactly(ipF);
            cluster.phase("net-f", "Terminating");
            await("net-f no longer served", () -> !followed.listeners().containsKey("net-f"));
        }
    }

    @Test
    void busyboxNslookupResolvesThroughTheTenantListener() throws Exception {
        // busybox's nslookup asks port 53; serve net-a there on an address of its own for the duration
        try (TenantDns port53 = TenantDns.start(cluster.informers)) {
            port53.serve("net-a", new InetSocketAddress("127.0.61.7", 53));
            Process p = new ProcessBuilder("busybox", "nslookup", "web.ns-a.svc.cluster.local", "127.0.61.7").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(out).contains("Address: " + webA);
            p = new ProcessBuilder("busybox", "nslookup", "web.ns-b.svc.cluster.local", "127.0.61.7").redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(out).isNotZero();
            assertThat(out).contains("NXDOMAIN").doesNotContain(webB);
        }
    }

    private static int freePort(String host) throws IOException {
        while (true) {
            try (ServerSocket tcp = new ServerSocket()) {
                tcp.bind(new InetSocketAddress(host, 0));
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(host, tcp.getLocalPort()))) {
                    return tcp.getLocalPort();
                } catch (IOException taken) {
                    // UDP port of that number taken: try another
                }
            }
        }
    }
}
