package io.hypernetes.api.validation;

import static io.hypernetes.api.validation.Fixtures.summary;
import static io.hypernetes.api.validation.Fixtures.with;
import static io.hypernetes.api.validation.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** One row per rule: a valid base object, one edit, and exactly the errors that edit must produce. */
class CreateValidationTest {

    record Case(String name, ResourceType type, ObjectNode obj, List<String> expected) {
        @Override
        public String toString() {
            return type.kind() + ": " + name;
        }
    }

    static final ObjectNode POD = yaml("""
            apiVersion: v1
            kind: Pod
            metadata: {name: nginx, namespace: ns1, labels: {app: nginx}}
            spec:
              containers:
              - name: nginx
                image: nginx
                ports: [{containerPort: 80}]
                volumeMounts: [{name: data, mountPath: /var/lib/nginx}]
              volumes:
              - name: data
                cinder: {volumeID: 651b2a7b-683e-47e1-bdd6-e3c62e8f91c0, fsType: ext4}
            """);

    static final ObjectNode SERVICE = yaml("""
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: ns1}
            spec:
              selector: {app: nginx}
              ports: [{port: 80, targetPort: 8080}]
            """);

    static final ObjectNode NAMESPACE = yaml("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: ns1}
            spec: {network: net1}
            """);

    static final ObjectNode NETWORK = yaml("""
            apiVersion: v1
            kind: Network
            metadata: {name: net1}
            spec:
              tenantID: 065f210a2ca9442aad898ab129426350
              subnets:
                a: {cidr: 10.0.0.0/24, gateway: 10.0.0.1}
            """);

    static final ObjectNode NODE = yaml("""
            apiVersion: v1
            kind: Node
            metadata: {name: node-1.example.com}
            spec:
              podCIDR: 10.244.0.0/24
              podCIDRs: [10.244.0.0/24]
              taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
            status:
              capacity: {cpu: "2", memory: 24Gi}
            """);

    static final ObjectNode EVENT = yaml("""
            apiVersion: v1
            kind: Event
            metadata: {name: nginx.17b5c2d3, namespace: ns1}
            involvedObject: {kind: Pod, name: nginx, namespace: ns1}
            reason: Scheduled
            type: Normal
            """);

    static final ObjectNode CONFIG_MAP = yaml("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: conf, namespace: ns1}
            data: {nginx.conf: "server {}"}
            binaryData: {blob: aGVsbG8=}
            """);

    static final ObjectNode SECRET = yaml("""
            apiVersion: v1
            kind: Secret
            metadata: {name: creds, namespace: ns1}
            type: Opaque
            data: {password: aGVsbG8=}
            """);

    static final ObjectNode ENDPOINTS = yaml("""
            apiVersion: v1
            kind: Endpoints
            metadata: {name: web, namespace: ns1}
            subsets:
            - addresses: [{ip: 10.0.0.5}]
              ports: [{port: 8080, protocol: TCP}]
            """);

    static Case c(String name, ResourceType type, ObjectNode base, String path, String value, String... expected) {
        return new Case(name, type, with(base, path, value), List.of(expected));
    }

    static Case c2(String name, ResourceType type, ObjectNode base, String p1, String v1, String p2, String v2, String... expected) {
        return new Case(name, type, with(with(base, p1, v1), p2, v2), List.of(expected));
    }

    static Stream<Case> cases() {
        var P = ResourceTypes.PODS;
        var S = ResourceTypes.SERVICES;
        var NS = ResourceTypes.NAMESPACES;
        var NET = ResourceTypes.NETWORKS;
        var NO = ResourceTypes.NODES;
        var EV = ResourceTypes.EVENTS;
        var CM = ResourceTypes.CONFIGMAPS;
        var SEC = ResourceTypes.SECRETS;
        var EP = ResourceTypes.ENDPOINTS;
        List<Case> all = new ArrayList<>(List.of(
                // metadata
                c("valid pod", P, POD, "metadata.labels.tier", "web"),
                c("name missing", P, POD, "metadata.name", "~", "metadata.name REQUIRED"),
                c2("generateName instead of name", P, POD, "metadata.name", "~", "metadata.generateName", "nginx-",
                        "metadata.name REQUIRED"),
                c("uppercase name", P, POD, "metadata.name", "Nginx", "metadata.name INVALID"),
                c("name too long", P, POD, "metadata.name", "a".repeat(254), "metadata.name INVALID"),
                c("dotted pod name ok", P, POD, "metadata.name", "nginx.v1"),
                c("bad generateName", P, POD, "metadata.generateName", "Nginx-", "metadata.generateName INVALID"),
                c("generateName trailing dash ok", P, POD, "metadata.generateName", "nginx-"),
                c("namespace missing", P, POD, "metadata.namespace", "~", "metadata.namespace REQUIRED"),
                c("namespace invalid", P, POD, "metadata.namespace", "ns.1", "metadata.namespace INVALID"),
                c("namespace on cluster-scoped", NO, NODE, "metadata.namespace", "ns1", "metadata.namespace FORBIDDEN"),
                c("bad label key", P, POD, "metadata.labels", "{'-x': a}", "metadata.labels INVALID"),
                c("prefixed label key", P, POD, "metadata.labels", "{'example.com/x': a}"),
                c("two slashes in key", P, POD, "metadata.labels", "{'a/b/c': a}", "metadata.labels INVALID"),
                c("bad label value", P, POD, "metadata.labels", "{a: '-x'}", "metadata.labels INVALID"),
                c("empty label value ok", P, POD, "metadata.labels", "{a: ''}"),
                c("long label value", P, POD, "metadata.labels", "{a: " + "x".repeat(64) + "}", "metadata.labels INVALID"),
                c("bad annotation key", P, POD, "metadata.annotations", "{'a b': x}", "metadata.annotations INVALID"),
                c("uppercase annotation key ok", P, POD, "metadata.annotations", "{'Example.com/Key': x}"),
                c("annotations too big", P, POD, "metadata.annotations", "{a: " + "x".repeat(256 * 1024) + "}",
                        "metadata.annotations TOO_LONG"),
                c("standard finalizer", P, POD, "metadata.finalizers", "[kubernetes]"),
                c("qualified finalizer", P, POD, "metadata.finalizers", "[example.com/cleanup]"),
                c("unqualified finalizer", P, POD, "metadata.finalizers", "[cleanup]", "metadata.finalizers INVALID"),
                c("owner reference ok", P, POD, "metadata.ownerReferences",
                        "[{apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u1, controller: true}]"),
                c("owner reference empty", P, POD, "metadata.ownerReferences", "[{}]",
                        "metadata.ownerReferences.apiVersion INVALID", "metadata.ownerReferences.kind INVALID",
                        "metadata.ownerReferences.name INVALID", "metadata.ownerReferences.uid INVALID"),
                c("two controllers", P, POD, "metadata.ownerReferences",
                        "[{apiVersion: v1, kind: A, name: a, uid: '1', controller: true}, {apiVersion: v1, kind: B, name: b, uid: '2', controller: true}]",
                        "metadata.ownerReferences INVALID"),

                // Pod
                c("no containers", P, POD, "spec.containers", "[]", "spec.containers REQUIRED"),
                c("container name missing", P, POD, "spec.containers[0].name", "~", "spec.containers[0].name REQUIRED"),
                c("container name invalid", P, POD, "spec.containers[0].name", "Web_1", "spec.containers[0].name INVALID"),
                c("duplicate container name", P, POD, "spec.containers[1]", "{name: nginx, image: busybox}",
                        "spec.containers[1].name DUPLICATE"),
                c("init container name clash", P, POD, "spec.initContainers", "[{name: nginx, image: busybox}]",
                        "spec.containers[0].name DUPLICATE"),
                c("image missing", P, POD, "spec.containers[0].image", "~", "spec.containers[0].image REQUIRED"),
                c("image whitespace", P, POD, "spec.containers[0].image", "' nginx'", "spec.containers[0].image INVALID"),
                c("bad pull policy", P, POD, "spec.containers[0].imagePullPolicy", "Sometimes",
                        "spec.containers[0].imagePullPolicy NOT_SUPPORTED"),
                c("port zero", P, POD, "spec.containers[0].ports[0].containerPort", "0",
                        "spec.containers[0].ports[0].containerPort REQUIRED"),
                c("port too big", P, POD, "spec.containers[0].ports[0].containerPort", "65536",
                        "spec.containers[0].ports[0].containerPort INVALID"),
                c("bad protocol", P, POD, "spec.containers[0].ports[0].protocol", "HTTP",
                        "spec.containers[0].ports[0].protocol NOT_SUPPORTED"),
                c("sctp ok", P, POD, "spec.containers[0].ports[0].protocol", "SCTP"),
                c("bad port name", P, POD, "spec.containers[0].ports[0].name", "http--alt",
                        "spec.containers[0].ports[0].name INVALID"),
                c("port name too long", P, POD, "spec.containers[0].ports[0].name", "abcdefghijklmnop",
                        "spec.containers[0].ports[0].name INVALID"),
                c("port name digits only", P, POD, "spec.containers[0].ports[0].name", "'8080'",
                        "spec.containers[0].ports[0].name INVALID"),
                c("duplicate port name", P, POD, "spec.containers[0].ports", "[{name: http, containerPort: 80}, {name: http, containerPort: 81}]",
                        "spec.containers[0].ports[1].name DUPLICATE"),
                c("host port conflict", P, POD, "spec.containers[0].ports", "[{containerPort: 80, hostPort: 80}, {containerPort: 81, hostPort: 80}]",
                        "spec.containers[0].ports[1].hostPort DUPLICATE"),
                c("env name invalid", P, POD, "spec.containers[0].env", "[{name: 1ABC, value: x}]",
                        "spec.containers[0].env[0].name INVALID"),
                c("env name ok", P, POD, "spec.containers[0].env", "[{name: MY_ENV.NAME, value: x}]"),
                c("env two sources", P, POD, "spec.containers[0].env",
                        "[{name: A, valueFrom: {fieldRef: {fieldPath: metadata.name}, secretKeyRef: {name: s, key: k}}}]",
                        "spec.containers[0].env[0].valueFrom INVALID"),
                c("mount unknown volume", P, POD, "spec.containers[0].volumeMounts[0].name", "other",
                        "spec.containers[0].volumeMounts[0].name NOT_FOUND"),
                c("mount path relative", P, POD, "spec.containers[0].volumeMounts[0].mountPath", "var/lib",
                        "spec.containers[0].volumeMounts[0].mountPath INVALID"),
                c("mount path missing", P, POD, "spec.containers[0].volumeMounts[0].mountPath", "~",
                        "spec.containers[0].volumeMounts[0].mountPath REQUIRED"),
                c("subPath escapes", P, POD, "spec.containers[0].volumeMounts[0].subPath", "../etc",
                        "spec.containers[0].volumeMounts[0].subPath INVALID"),
                c("volume without source", P, POD, "spec.volumes[0].cinder", "~", "spec.volumes[0] REQUIRED"),
                c("volume with two sources", P, POD, "spec.volumes[0].emptyDir", "{}", "spec.volumes[0].cinder FORBIDDEN"),
                c("unsupported volume type", P, POD, "spec.volumes[1]", "{name: n, nfs: {server: s, path: /}}",
                        "spec.volumes[1].nfs FORBIDDEN"),
                c("duplicate volume", P, POD, "spec.volumes[1]", "{name: data, emptyDir: {}}", "spec.volumes[1].name DUPLICATE"),
                c("volume name invalid", P, POD, "spec.volumes[1]", "{name: Data, emptyDir: {}}", "spec.volumes[1].name INVALID"),
                c("cinder volumeID missing", P, POD, "spec.volumes[0].cinder.volumeID", "~", "spec.volumes[0].cinder.volumeID REQUIRED"),
                c("cinder volumeID unsafe", P, POD, "spec.volumes[0].cinder.volumeID", "../x", "spec.volumes[0].cinder.volumeID INVALID"),
                c("cinder fsType", P, POD, "spec.volumes[0].cinder.fsType", "ntfs", "spec.volumes[0].cinder.fsType NOT_SUPPORTED"),
                c("cinder readOnly", P, POD, "spec.volumes[0].cinder.readOnly", "true"),
                c("hostPath ok", P, POD, "spec.volumes[1]", "{name: h, hostPath: {path: /tmp, type: Directory}}"),
                c("hostPath type", P, POD, "spec.volumes[1]", "{name: h, hostPath: {path: /tmp, type: Dir}}",
                        "spec.volumes[1].hostPath.type NOT_SUPPORTED"),
                c("hostPath path", P, POD, "spec.volumes[1]", "{name: h, hostPath: {}}", "spec.volumes[1].hostPath.path REQUIRED"),
                c("emptyDir medium", P, POD, "spec.volumes[1]", "{name: e, emptyDir: {medium: Disk}}",
                        "spec.volumes[1].emptyDir.medium NOT_SUPPORTED"),
                c("emptyDir size", P, POD, "spec.volumes[1]", "{name: e, emptyDir: {sizeLimit: 1Gb}}",
                        "spec.volumes[1].emptyDir.sizeLimit INVALID"),
                c("configMap volume name", P, POD, "spec.volumes[1]", "{name: c, configMap: {}}", "spec.volumes[1].configMap.name REQUIRED"),
                c("configMap item path", P, POD, "spec.volumes[1]", "{name: c, configMap: {name: c, items: [{key: k, path: /abs}]}}",
                        "spec.volumes[1].configMap.items[0].path INVALID"),
                c("secret volume mode", P, POD, "spec.volumes[1]", "{name: s, secret: {secretName: s, defaultMode: 1000}}",
                        "spec.volumes[1].secret.defaultMode INVALID"),
                c("secret volume name", P, POD, "spec.volumes[1]", "{name: s, secret: {}}", "spec.volumes[1].secret.secretName REQUIRED"),
                c("pvc claim", P, POD, "spec.volumes[1]", "{name: p, persistentVolumeClaim: {}}",
                        "spec.volumes[1].persistentVolumeClaim.claimName REQUIRED"),
                c("projected ok", P, POD, "spec.volumes[1]",
                        "{name: p, projected: {sources: [{configMap: {name: c}}, {serviceAccountToken: {path: token}}]}}"),
                c("projected empty source", P, POD, "spec.volumes[1]", "{name: p, projected: {sources: [{}]}}",
                        "spec.volumes[1].projected.sources[0] REQUIRED"),
                c("downwardAPI item", P, POD, "spec.volumes[1]", "{name: d, downwardAPI: {items: [{path: labels}]}}",
                        "spec.volumes[1].downwardAPI.items[0] REQUIRED"),
                c("downwardAPI ok", P, POD, "spec.volumes[1]",
                        "{name: d, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}"),
                c("resources ok", P, POD, "spec.containers[0].resources", "{requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 1, memory: 128Mi}}"),
                c("request above limit", P, POD, "spec.containers[0].resources", "{requests: {cpu: '2'}, limits: {cpu: '1'}}",
                        "spec.containers[0].resources.requests[cpu] INVALID"),
                c("bad quantity", P, POD, "spec.containers[0].resources", "{limits: {memory: 1GB}}",
                        "spec.containers[0].resources.limits[memory] INVALID"),
                c("negative quantity", P, POD, "spec.containers[0].resources", "{limits: {memory: -1}}",
                        "spec.containers[0].resources.limits[memory] INVALID"),
                c("unknown resource", P, POD, "spec.containers[0].resources", "{limits: {gpu: 1}}",
                        "spec.containers[0].resources.limits[gpu] INVALID"),
                c("extended resource", P, POD, "spec.containers[0].resources", "{limits: {example.com/gpu: 1}, requests: {example.com/gpu: 1}}"),
                c("restartPolicy", P, POD, "spec.restartPolicy", "Sometimes", "spec.restartPolicy NOT_SUPPORTED"),
                c("dnsPolicy", P, POD, "spec.dnsPolicy", "Google", "spec.dnsPolicy NOT_SUPPORTED"),
                c("dnsPolicy None needs config", P, POD, "spec.dnsPolicy", "None", "spec.dnsConfig REQUIRED"),
                c("activeDeadlineSeconds", P, POD, "spec.activeDeadlineSeconds", "0", "spec.activeDeadlineSeconds INVALID"),
                c("negative grace", P, POD, "spec.terminationGracePeriodSeconds", "-1", "spec.terminationGracePeriodSeconds INVALID"),
                c("nodeName", P, POD, "spec.nodeName", "Node_1", "spec.nodeName INVALID"),
                c("nodeSelector", P, POD, "spec.nodeSelector", "{'bad key': x}", "spec.nodeSelector INVALID"),
                c("probe ok", P, POD, "spec.containers[0].livenessProbe", "{httpGet: {port: http, path: /}, periodSeconds: 5}"),
                c("probe without handler", P, POD, "spec.containers[0].livenessProbe", "{periodSeconds: 5}",
                        "spec.containers[0].livenessProbe REQUIRED"),
                c("probe two handlers", P, POD, "spec.containers[0].readinessProbe", "{exec: {command: [true]}, tcpSocket: {port: 80}}",
                        "spec.containers[0].readinessProbe.tcpSocket FORBIDDEN"),
                c("probe port", P, POD, "spec.containers[0].readinessProbe", "{tcpSocket: {port: 0}}",
                        "spec.containers[0].readinessProbe.tcpSocket.port INVALID"),
                c("probe negative", P, POD, "spec.containers[0].readinessProbe", "{tcpSocket: {port: 80}, periodSeconds: -1}",
                        "spec.containers[0].readinessProbe.periodSeconds INVALID"),
                c("liveness successThreshold", P, POD, "spec.containers[0].livenessProbe", "{tcpSocket: {port: 80}, successThreshold: 2}",
                        "spec.containers[0].livenessProbe.successThreshold INVALID"),
                c("init container probe", P, POD, "spec.initContainers", "[{name: init, image: busybox, readinessProbe: {exec: {command: [x]}}}]",
                        "spec.initContainers[0].readinessProbe FORBIDDEN"),
                c("toleration ok", P, POD, "spec.tolerations", "[{key: k, operator: Equal, value: v, effect: NoExecute, tolerationSeconds: 30}]"),
                c("toleration exists all", P, POD, "spec.tolerations", "[{operator: Exists}]"),
                c("toleration empty key", P, POD, "spec.tolerations", "[{operator: Equal, value: v}]",
                        "spec.tolerations[0].operator INVALID"),
                c("toleration exists value", P, POD, "spec.tolerations", "[{key: k, operator: Exists, value: v}]",
                        "spec.tolerations[0].operator INVALID"),
                c("toleration seconds", P, POD, "spec.tolerations", "[{key: k, effect: NoSchedule, tolerationSeconds: 3}]",
                        "spec.tolerations[0].effect INVALID"),
                c("toleration effect", P, POD, "spec.tolerations", "[{key: k, effect: Never}]",
                        "spec.tolerations[0].effect NOT_SUPPORTED"),
                c("toleration operator", P, POD, "spec.tolerations", "[{key: k, operator: Gt}]",
                        "spec.tolerations[0].operator NOT_SUPPORTED"),
                c("node affinity ok", P, POD, "spec.affinity",
                        "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}]}]}}}"),
                c("node affinity no terms", P, POD, "spec.affinity",
                        "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}",
                        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms REQUIRED"),
                c("node affinity In without values", P, POD, "spec.affinity",
                        "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In}]}]}}}",
                        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values REQUIRED"),
                c("pod affinity topologyKey", P, POD, "spec.affinity",
                        "{podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: x}}}]}}",
                        "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey REQUIRED"),
                c("pod affinity weight", P, POD, "spec.affinity",
                        "{podAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 101, podAffinityTerm: {topologyKey: zone}}]}}",
                        "spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight INVALID"),
                c("pod affinity selector operator", P, POD, "spec.affinity",
                        "{podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: zone, labelSelector: {matchExpressions: [{key: a, operator: Is}]}}]}}",
                        "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].operator INVALID"),
                c("bad status phase", P, POD, "status.phase", "Sleeping", "status.phase NOT_SUPPORTED"),

                // Service
                c("valid service", S, SERVICE, "spec.type", "NodePort"),
                c("service name DNS-1035", S, SERVICE, "metadata.name", "1web", "metadata.name INVALID"),
                c("service name with dot", S, SERVICE, "metadata.name", "web.v1", "metadata.name INVALID"),
                c("service type", S, SERVICE, "spec.type", "Internal", "spec.type NOT_SUPPORTED"),
                c("no ports", S, SERVICE, "spec.ports", "[]", "spec.ports REQUIRED"),
                c2("headless without ports", S, SERVICE, "spec.ports", "[]", "spec.clusterIP", "None"),
                c2("external name", S, SERVICE, "spec.type", "ExternalName", "spec.externalName", "example.com."),
                c("external name missing", S, SERVICE, "spec.type", "ExternalName", "spec.externalName REQUIRED"),
                c("port range", S, SERVICE, "spec.ports[0].port", "70000", "spec.ports[0].port INVALID"),
                c("port missing", S, SERVICE, "spec.ports[0].port", "~", "spec.ports[0].port REQUIRED"),
                c("protocol", S, SERVICE, "spec.ports[0].protocol", "ICMP", "spec.ports[0].protocol NOT_SUPPORTED"),
                c("names required for two ports", S, SERVICE, "spec.ports[1]", "{port: 443}",
                        "spec.ports[0].name REQUIRED", "spec.ports[1].name REQUIRED"),
                c("duplicate port name", S, SERVICE, "spec.ports", "[{name: a, port: 80}, {name: a, port: 81}]", "spec.ports[1].name DUPLICATE"),
                c("duplicate port+protocol", S, SERVICE, "spec.ports", "[{name: a, port: 80}, {name: b, port: 80}]", "spec.ports[1] DUPLICATE"),
                c("same port other protocol", S, SERVICE, "spec.ports", "[{name: a, port: 53}, {name: b, port: 53, protocol: UDP}]"),
                c("targetPort name", S, SERVICE, "spec.ports[0].targetPort", "http"),
                c("targetPort bad name", S, SERVICE, "spec.ports[0].targetPort", "HTTP",
                        "spec.ports[0].targetPort INVALID", "spec.ports[0].targetPort INVALID"),
                c("targetPort range", S, SERVICE, "spec.ports[0].targetPort", "-1", "spec.ports[0].targetPort INVALID"),
                c("nodePort on ClusterIP", S, SERVICE, "spec.ports[0].nodePort", "30001", "spec.ports[0].nodePort FORBIDDEN"),
                c2("nodePort range", S, SERVICE, "spec.type", "NodePort", "spec.ports[0].nodePort", "80", "spec.ports[0].nodePort INVALID"),
                c2("nodePort ok", S, SERVICE, "spec.type", "NodePort", "spec.ports[0].nodePort", "30080"),
                c("clusterIP invalid", S, SERVICE, "spec.clusterIP", "10.0.0", "spec.clusterIP INVALID"),
                c("clusterIP v6", S, SERVICE, "spec.clusterIP", "fd00::10"),
                c2("headless NodePort", S, SERVICE, "spec.type", "NodePort", "spec.clusterIP", "None", "spec.clusterIP INVALID"),
                c("selector", S, SERVICE, "spec.selector", "{app: '-x'}", "spec.selector INVALID"),
                c("session affinity", S, SERVICE, "spec.sessionAffinity", "Cookie", "spec.sessionAffinity NOT_SUPPORTED"),
                c("internal traffic policy", S, SERVICE, "spec.internalTrafficPolicy", "Node", "spec.internalTrafficPolicy NOT_SUPPORTED"),
                c("external traffic policy on ClusterIP", S, SERVICE, "spec.externalTrafficPolicy", "Local", "spec.externalTrafficPolicy INVALID"),
                c("ip families", S, SERVICE, "spec.ipFamilies", "[IPv4, IPv4]", "spec.ipFamilies[1] DUPLICATE"),

                // Namespace
                c("valid namespace", NS, NAMESPACE, "metadata.labels.team", "a"),
                c("namespace name not a label", NS, NAMESPACE, "metadata.name", "ns.one", "metadata.name INVALID"),
                c("network not a subdomain", NS, NAMESPACE, "spec.network", "Net_1", "spec.network INVALID"),
                c("network empty", NS, NAMESPACE, "spec.network", "''", "spec.network REQUIRED"),
                c("no network", NS, NAMESPACE, "spec.network", "~"),
                c("namespace finalizer", NS, NAMESPACE, "spec.finalizers", "[kubernetes, example.com/x]"),
                c("namespace bad finalizer", NS, NAMESPACE, "spec.finalizers", "[foo]", "spec.finalizers INVALID"),
                c("namespace phase", NS, NAMESPACE, "status.phase", "Gone", "status.phase NOT_SUPPORTED"),

                // Network
                c("network without subnets", NET, NETWORK, "spec.subnets", "~"),
                c("tenant uuid", NET, NETWORK, "spec.tenantID", "065f210a-2ca9-442a-ad89-8ab129426350"),
                c("tenant missing", NET, NETWORK, "spec.tenantID", "~", "spec.tenantID REQUIRED"),
                c("tenant uppercase", NET, NETWORK, "spec.tenantID", "065F210A2CA9442AAD898AB129426350", "spec.tenantID INVALID"),
                c("tenant short", NET, NETWORK, "spec.tenantID", "abc", "spec.tenantID INVALID"),
                c("subnet cidr invalid", NET, NETWORK, "spec.subnets.a.cidr", "10.0.0.0/33", "spec.subnets[a].cidr INVALID"),
                c("subnet cidr missing", NET, NETWORK, "spec.subnets.a.cidr", "~", "spec.subnets[a].cidr REQUIRED"),
                c("subnet host bits", NET, NETWORK, "spec.subnets.a.cidr", "10.0.0.1/24", "spec.subnets[a].cidr INVALID"),
                c("subnet v6", NET, NETWORK, "spec.subnets.a", "{cidr: 'fd00:1::/64', gateway: 'fd00:1::1'}"),
                c("subnet overlap", NET, NETWORK, "spec.subnets.b", "{cidr: 10.0.0.128/25}", "spec.subnets[b].cidr INVALID"),
                c("subnet disjoint", NET, NETWORK, "spec.subnets.b", "{cidr: 10.0.1.0/24, gateway: 10.0.1.254}"),
                c("gateway outside", NET, NETWORK, "spec.subnets.a.gateway", "10.0.1.1", "spec.subnets[a].gateway INVALID"),
                c("gateway network address", NET, NETWORK, "spec.subnets.a.gateway", "10.0.0.0", "spec.subnets[a].gateway INVALID"),
                c("gateway broadcast", NET, NETWORK, "spec.subnets.a.gateway", "10.0.0.255", "spec.subnets[a].gateway INVALID"),
                c("gateway not an IP", NET, NETWORK, "spec.subnets.a.gateway", "gw", "spec.subnets[a].gateway INVALID"),
                c("subnet name", NET, NETWORK, "spec.subnets.A_1", "{cidr: 10.1.0.0/24}", "spec.subnets[A_1] INVALID"),
                c("subnet too small", NET, NETWORK, "spec.subnets.b", "{cidr: 10.9.0.0/31}", "spec.subnets[b].cidr INVALID"),
                c("provider network with subnets", NET, NETWORK, "spec.providerNetworkID", "ext-net", "spec.providerNetworkID FORBIDDEN"),
                c2("provider network alone", NET, NETWORK, "spec.subnets", "~", "spec.providerNetworkID", "ext-net"),
                c("network phase", NET, NETWORK, "status.phase", "Active"),
                c("network bad phase", NET, NETWORK, "status.phase", "Running", "status.phase NOT_SUPPORTED"),

                // Node
                c("valid node", NO, NODE, "metadata.labels.zone", "a"),
                c("node name", NO, NODE, "metadata.name", "Node_1", "metadata.name INVALID"),
                c("podCIDR", NO, NODE, "spec.podCIDR", "10.244.0.0", "spec.podCIDR INVALID", "spec.podCIDR INVALID"),
                c("podCIDRs", NO, NODE, "spec.podCIDRs[1]", "not-a-cidr", "spec.podCIDRs[1] INVALID"),
                c("podCIDRs same family", NO, NODE, "spec.podCIDRs[1]", "10.245.0.0/24", "spec.podCIDRs INVALID"),
                c("taint effect", NO, NODE, "spec.taints[0].effect", "NoRun", "spec.taints[0].effect NOT_SUPPORTED"),
                c("taint effect missing", NO, NODE, "spec.taints[0].effect", "~", "spec.taints[0].effect REQUIRED"),
                c("taint key", NO, NODE, "spec.taints[0].key", "~", "spec.taints[0].key INVALID", "spec.taints[0].key INVALID"),
                c("taint duplicate", NO, NODE, "spec.taints[1]", "{key: dedicated, value: x, effect: NoSchedule}", "spec.taints[1] DUPLICATE"),
                c("capacity quantity", NO, NODE, "status.capacity.memory", "lots", "status.capacity[memory] INVALID"),

                // Event
                c("valid event", EV, EVENT, "type", "Warning"),
                c("event type", EV, EVENT, "type", "Error", "type NOT_SUPPORTED"),
                c("event involvedObject missing", EV, EVENT, "involvedObject", "~", "involvedObject REQUIRED",
                        "involvedObject.namespace INVALID"),
                c("event involved kind", EV, EVENT, "involvedObject.kind", "~", "involvedObject.kind REQUIRED"),
                c("event involved name", EV, EVENT, "involvedObject.name", "~", "involvedObject.name REQUIRED"),
                c("event namespace mismatch", EV, EVENT, "involvedObject.namespace", "other", "involvedObject.namespace INVALID"),
                c2("event about node in default", EV, EVENT, "involvedObject", "{kind: Node, name: n1}", "metadata.namespace", "default"),
                c("event about node elsewhere", EV, EVENT, "involvedObject", "{kind: Node, name: n1}", "involvedObject.namespace INVALID"),

                // ConfigMap
                c("valid configmap", CM, CONFIG_MAP, "data.KEY_2", "x"),
                c("configmap bad key", CM, CONFIG_MAP, "data['a b']", "x", "data[a b] INVALID"),
                c("configmap dotdot key", CM, CONFIG_MAP, "data['..a']", "x", "data[..a] INVALID"),
                c("configmap key in both", CM, CONFIG_MAP, "binaryData['nginx.conf']", "eA==", "binaryData[nginx.conf] INVALID"),
                c("configmap binary not base64", CM, CONFIG_MAP, "binaryData.blob", "'%%%'", "binaryData[blob] INVALID"),
                c("configmap too big", CM, CONFIG_MAP, "data.big", "x".repeat(1024 * 1024), "data TOO_LONG"),

                // Secret
                c("valid secret", SEC, SECRET, "stringData.user", "admin"),
                c("secret not base64", SEC, SECRET, "data.password", "'not base64!'", "data[password] INVALID"),
                c("secret bad key", SEC, SECRET, "data['a/b']", "eA==", "data[a/b] INVALID"),
                c2("tls secret", SEC, SECRET, "type", "kubernetes.io/tls", "data", "{tls.crt: eA==, tls.key: eA==}"),
                c("tls secret missing keys", SEC, SECRET, "type", "kubernetes.io/tls", "data[tls.crt] REQUIRED", "data[tls.key] REQUIRED"),
                c2("dockerconfigjson", SEC, SECRET, "type", "kubernetes.io/dockerconfigjson", "stringData", "{.dockerconfigjson: '{\"auths\":{}}'}"),
                c2("dockerconfigjson not json", SEC, SECRET, "type", "kubernetes.io/dockerconfigjson", "stringData", "{.dockerconfigjson: 'nope'}",
                        "data[.dockerconfigjson] INVALID"),
                c2("basic auth", SEC, SECRET, "type", "kubernetes.io/basic-auth", "data", "{}", "data[username] REQUIRED", "data[password] REQUIRED"),
                c("ssh auth", SEC, SECRET, "type", "kubernetes.io/ssh-auth", "data[ssh-privatekey] REQUIRED"),
                c("service account token", SEC, SECRET, "type", "kubernetes.io/service-account-token",
                        "metadata.annotations[kubernetes.io/service-account.name] REQUIRED"),

                // Endpoints
                c("valid endpoints", EP, ENDPOINTS, "subsets[0].addresses[1]", "{ip: 'fd00::5', hostname: web-0}"),
                c("endpoint ip", EP, ENDPOINTS, "subsets[0].addresses[0].ip", "10.0.0.256", "subsets[0].addresses[0].ip INVALID"),
                c("endpoint leading zero", EP, ENDPOINTS, "subsets[0].addresses[0].ip", "010.0.0.1", "subsets[0].addresses[0].ip INVALID"),
                c("endpoint loopback", EP, ENDPOINTS, "subsets[0].addresses[0].ip", "127.0.0.1", "subsets[0].addresses[0].ip INVALID"),
                c("endpoint link local", EP, ENDPOINTS, "subsets[0].addresses[0].ip", "169.254.1.1", "subsets[0].addresses[0].ip INVALID"),
                c("endpoint unspecified v6", EP, ENDPOINTS, "subsets[0].notReadyAddresses", "[{ip: '::'}]", "subsets[0].notReadyAddresses[0].ip INVALID"),
                c("endpoint no addresses", EP, ENDPOINTS, "subsets[0].addresses", "[]", "subsets[0] REQUIRED"),
                c("endpoint port", EP, ENDPOINTS, "subsets[0].ports[0].port", "0", "subsets[0].ports[0].port REQUIRED"),
                c("endpoint port protocol", EP, ENDPOINTS, "subsets[0].ports[0].protocol", "tcp", "subsets[0].ports[0].protocol NOT_SUPPORTED"),
                c("endpoint port names", EP, ENDPOINTS, "subsets[0].ports[1]", "{port: 9090}",
                        "subsets[0].ports[0].name REQUIRED", "subsets[0].ports[1].name REQUIRED")));
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void create(Case c) {
        assertThat(summary(Validation.validateCreate(c.type, c.obj))).as(c.name).containsExactlyInAnyOrderElementsOf(c.expected);
    }
}
