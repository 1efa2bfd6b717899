package io.hypernetes.kubelet;

import static io.hypernetes.kubelet.TestCluster.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.network.PodPort;
import io.hypernetes.runtime.v1.KeyValue;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The spec-to-runtime translation on its own; what needs the API (ConfigMaps, Secrets) is tested in PodLifecycleTest. */
class RuntimeConfigsTest {
    static final JsonNode POD = yaml("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: shop, uid: u-1, labels: {app: web}}
            spec:
              nodeName: node-a
              hostname: front
              initContainers:
              - {name: setup, image: busybox, resources: {limits: {cpu: "2", memory: 1Gi}}}
              containers:
              - name: a
                image: nginx:1.27
                command: [nginx, "$(MODE)"]
                args: ["--port=$(PORT)", "$$(PORT)"]
                resources: {limits: {cpu: 500m, memory: 256Mi}}
                ports: [{containerPort: 80, hostPort: 8080}]
                env:
                - {name: PORT, value: "80"}
                - {name: MODE, value: "prod"}
                - {name: URL, value: "http://$(POD_IP):$(PORT)/"}
                - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
                - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
                - {name: CPU, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
                - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory}}}
              - {name: b, image: redis, resources: {requests: {cpu: 250m, memory: 128Mi}}}
            """);

    @Test
    void theSandboxIsTheVmSizedByPodSize() {
        PodSandboxConfig s = RuntimeConfigs.sandbox(POD, 2, "net1");
        // containers 750m / 384Mi, but the init container alone needs 2 CPUs and 1Gi: the larger wins, per resource
        assertThat(s.getResources().getCpuMillis()).isEqualTo(2000);
        assertThat(s.getResources().getMemoryBytes()).isEqualTo(1L << 30);
        assertThat(s.getMetadata().getAttempt()).isEqualTo(2);
        assertThat(s.getMetadata().getUid()).isEqualTo("u-1");
        assertThat(s.getHostname()).isEqualTo("front");
        assertThat(s.getNetwork()).isEqualTo("net1");
        assertThat(s.getLabelsMap()).containsEntry("app", "web").containsEntry("io.kubernetes.pod.name", "web")
                .containsEntry("io.kubernetes.pod.namespace", "shop").containsEntry("io.kubernetes.pod.uid", "u-1");
        assertThat(s.getPortMappingsList()).singleElement().satisfies(p -> {
            assertThat(p.getContainerPort()).isEqualTo(80);
            assertThat(p.getHostPort()).isEqualTo(8080);
        });
        JsonNode plain = yaml("{metadata: {name: p, namespace: d, uid: u}, spec: {containers: [{name: c, image: x}]}}");
        assertThat(RuntimeConfigs.sandbox(plain, 0, "").getResources().getCpuMillis()).isEqualTo(1000);
        assertThat(RuntimeConfigs.sandbox(plain, 0, "").getResources().getMemoryBytes()).isEqualTo(128L << 20);
    }

    @Test
    void containerConfigCarriesLabelsAttemptEnvironmentAndExpandedCommand() throws Exception {
        var c = RuntimeConfigs.container(null, POD, POD.path("spec").path("containers").get(0), 3, "10.1.0.5", "192.168.0.2", java.util.Map.of());
        assertThat(c.getMetadata().getName()).isEqualTo("a");
        assertThat(c.getMetadata().getAttempt()).isEqualTo(3);
        assertThat(c.getLabelsMap()).containsEntry("io.kubernetes.container.name", "a").containsEntry("io.kubernetes.pod.uid", "u-1");
        Map<String, String> env = c.getEnvsList().stream().collect(Collectors.toMap(KeyValue::getKey, KeyValue::getValue));
        assertThat(env).containsEntry("POD_IP", "10.1.0.5").containsEntry("APP", "web")
                .containsEntry("URL", "http://$(POD_IP):80/") // POD_IP is defined after URL: left as written
                .containsEntry("CPU", "1").containsEntry("MEM", Long.toString(256L << 20));
        assertThat(c.getCommandList()).containsExactly("nginx", "prod");
        assertThat(c.getArgsList()).containsExactly("--port=80", "$(PORT)");
        assertThat(c.getResources().getCpuMillis()).isEqualTo(500);
        assertThat(c.getRunAsUser()).isEqualTo(-1);
    }

    @Test
    void imagesWithoutTagOrLatestArePulledAlways() {
        assertThat(PodWorker.latestTag("nginx")).isTrue();
        assertThat(PodWorker.latestTag("nginx:latest")).isTrue();
        assertThat(PodWorker.latestTag("registry:5000/team/nginx")).isTrue();
        assertThat(PodWorker.latestTag("registry:5000/team/nginx:1.27")).isFalse();
        assertThat(PodWorker.latestTag("nginx@sha256:abc")).isFalse();
    }

    @Test
    void namedPortsComeFromTheContainer() {
        JsonNode c = yaml("{name: c, ports: [{name: web, containerPort: 8080}]}");
        assertThat(Handlers.port(yaml("{p: web}").path("p"), c)).isEqualTo(8080);
        assertThat(Handlers.port(yaml("{p: 81}").path("p"), c)).isEqualTo(81);
        assertThat(Handlers.port(yaml("{p: nope}").path("p"), c)).isEqualTo(-1);
    }

    static final PodPort PORT = new PodPort("u-1", "net1", "hnb7", "10.1.0.5", 24, "10.1.0.1", 1450, List.of("10.1.0.1"));

    @Test
    void aTenantSandboxIsAttachedToItsPortAndResolvesThroughItsNetwork() {
        JsonNode pod = yaml("""
                metadata: {name: p, namespace: shop, uid: u-1, annotations: {io.hypernetes.pod.network: forged}}
                spec:
                  dnsPolicy: ClusterFirst
                  dnsConfig:
                    nameservers: [192.0.2.53]
                    searches: [corp.example]
                    options: [{name: ndots, value: "2"}, {name: edns0}]
                  containers: [{name: c, image: x}]
                """);
        PodSandboxConfig s = RuntimeConfigs.sandbox(pod, 0, "net1", PORT);
        assertThat(s.getNetwork()).isEqualTo("net1");
        assertThat(s.getAttachment().getBridge()).isEqualTo("hnb7");
        assertThat(s.getAttachment().getIp()).isEqualTo("10.1.0.5");
        assertThat(s.getAttachment().getPrefixLength()).isEqualTo(24);
        assertThat(s.getAttachment().getGateway()).isEqualTo("10.1.0.1");
        assertThat(s.getAttachment().getMtu()).isEqualTo(1450);
        assertThat(s.getAnnotationsMap()).containsEntry(TenantNetworks.SANDBOX_NETWORK, "net1");
        // the tenant's DNS first, the cluster's search path, the pod's own additions after; its options win by name
        assertThat(s.getDnsConfig().getServersList()).containsExactly("10.1.0.1", "192.0.2.53");
        assertThat(s.getDnsConfig().getSearchesList()).containsExactly("shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example");
        assertThat(s.getDnsConfig().getOptionsList()).containsExactly("ndots:2", "edns0");
    }

    @Test
    void dnsPolicyNoneKeepsThePodsOwnResolvers() {
        JsonNode pod = yaml("""
                metadata: {name: p, namespace: shop, uid: u-1}
                spec:
                  dnsPolicy: None
                  dnsConfig: {nameservers: [192.0.2.53], searches: [corp.example]}
                  containers: [{name: c, image: x}]
                """);
        PodSandboxConfig s = RuntimeConfigs.sandbox(pod, 0, "net1", PORT);
        assertThat(s.getAttachment().getIp()).isEqualTo("10.1.0.5");
        assertThat(s.getDnsConfig().getServersList()).containsExactly("192.0.2.53");
        assertThat(s.getDnsConfig().getSearchesList()).containsExactly("corp.example");
        assertThat(s.getDnsConfig().getOptionsList()).isEmpty();
    }

    @Test
    void aDefaultNetworkSandboxHasNoAttachmentAndNoForgedNetwork() {
        JsonNode pod = yaml("{metadata: {name: p, namespace: d, uid: u, annotations: {io.hypernetes.pod.network: forged}}, spec: {containers: [{name: c, image: x}]}}");
        PodSandboxConfig s = RuntimeConfigs.sandbox(pod, 0, "");
        assertThat(s.hasAttachment()).isFalse();
        assertThat(s.hasDnsConfig()).isFalse();
        assertThat(s.getAnnotationsMap()).doesNotContainKey(TenantNetworks.SANDBOX_NETWORK);
    }

    @Test
    void aSubnetWithoutGatewayHasItsFirstAddress() {
        assertThat(TenantNetworks.firstAddress("10.0.0.0/24")).isEqualTo("10.0.0.1");
        assertThat(TenantNetworks.firstAddress("172.16.255.0/23")).isEqualTo("172.16.255.1");
        assertThat(TenantNetworks.firstAddress("fd00:1::/64")).isEqualTo("fd00:1::1");
        assertThat(TenantNetworks.firstAddress("fd00:0:0:5::/64")).isEqualTo("fd00:0:0:5::1");
        assertThat(TenantNetworks.firstAddress("::/64")).isEqualTo("::1");
        assertThat(TenantNetworks.firstAddress("not-a-cidr")).isEmpty();
        assertThat(TenantNetworks.firstAddress("example.com/24")).isEmpty();
        JsonNode net = yaml("""
                metadata: {name: net1, uid: n-1}
                spec: {tenantID: t, subnets: {a: {cidr: 10.0.0.0/24}, b: {cidr: 10.0.1.0/24, gateway: 10.0.1.254}}}
                status: {phase: Active, vni: 9}
                """);
        var spec = TenantNetworks.spec(net);
        assertThat(spec.vni()).isEqualTo(9);
        assertThat(spec.uid()).isEqualTo("n-1");
        assertThat(spec.subnets()).extracting(io.hypernetes.network.NetworkSpec.Subnet::gateway).containsExactly("10.0.0.1", "10.0.1.254");
    }
}
