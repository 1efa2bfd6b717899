package io.hypernetes.controllers.network;

import static io.hypernetes.controllers.ControlPlane.await;
import static io.hypernetes.controllers.ControlPlane.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/** The Networks, namespaces and pods the network tests write and wait for, through the API. */
final class NetworkObjects {
    static final String TENANT_A = "065f210a2ca9442aad898ab129426350";
    static final String TENANT_B = "7a1c0de2ca9442aad898ab1294263511";

    private final KubeClient client;

    NetworkObjects(KubeClient client) {
        this.client = client;
    }

    /** Creates a Network; {@code subnets} is YAML flow (e.g. {@code {s: {cidr: 10.1.0.0/24}}}) or null for the default. */
    ObjectNode network(String name, String tenant, String subnets) {
        return create("/api/v1/networks", "{apiVersion: v1, kind: Network, metadata: {name: " + name + "}, spec: {tenantID: '" + tenant + "'"
                + (subnets == null ? "" : ", subnets: " + subnets) + "}}");
    }

    ObjectNode namespace(String name, String network, String tenant) {
        return create("/api/v1/namespaces", "{apiVersion: v1, kind: Namespace, metadata: {name: " + name
                + ", labels: {hypernetes.io/tenant: '" + tenant + "'}}" + (network == null ? "" : ", spec: {network: " + network + "}") + "}");
    }

    ObjectNode pod(String ns, String name) {
        return create("/api/v1/namespaces/" + ns + "/pods", "{apiVersion: v1, kind: Pod, metadata: {name: " + name + "},"
                + " spec: {containers: [{name: c, image: busybox}]}}");
    }

    ObjectNode create(String collection, String yaml) {
        KubeClient.Response r = client.post(collection, yaml(yaml));
        assertThat(r.code()).as(r.text()).isEqualTo(201);
        return (ObjectNode) r.json();
    }

    /** The Network, or null when it is gone. */
    JsonNode getNetwork(String name) {
        KubeClient.Response r = client.get("/api/v1/networks/" + name);
        if (r.code() == 404) return null;
        assertThat(r.code()).as(r.text()).isEqualTo(200);
        return r.json();
    }

    JsonNode getPod(String ns, String name) {
        KubeClient.Response r = client.get(podPath(ns, name));
        if (r.code() == 404) return null;
        assertThat(r.code()).as(r.text()).isEqualTo(200);
        return r.json();
    }

    static String podPath(String ns, String name) {
        return "/api/v1/namespaces/" + ns + "/pods/" + name;
    }

    /** Waits until the Network exists and {@code ok} holds for it; returns it. */
    JsonNode awaitNetwork(String name, Predicate<JsonNode> ok) throws Exception {
        AtomicReference<JsonNode> seen = new AtomicReference<>();
        try {
            await(() -> {
                JsonNode n = getNetwork(name);
                seen.set(n);
                return n != null && ok.test(n);
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; network " + name + " last seen as " + seen.get(), e);
        }
        return seen.get();
    }

    JsonNode awaitPhase(String name, String phase) throws Exception {
        return awaitNetwork(name, n -> n.at("/status/phase").asText().equals(phase));
    }

    /** Waits for the pod's address annotation; returns the address. */
    String awaitAddress(String ns, String name) throws Exception {
        AtomicReference<String> ip = new AtomicReference<>();
        await(() -> {
            JsonNode p = getPod(ns, name);
            ip.set(p == null ? "" : PodAddresses.annotation(p, NetworkController.IP_ANNOTATION));
            return !ip.get().isEmpty();
        });
        return ip.get();
    }

    void delete(String path) {
        KubeClient.Response r = client.delete(path);
        assertThat(r.code()).as(r.text()).isIn(200, 202);
    }

    void mergePatch(String path, String yaml) {
        KubeClient.Response r = client.patch(path, "application/merge-patch+json", yaml(yaml));
        assertThat(r.code()).as(r.text()).isEqualTo(200);
    }
}
