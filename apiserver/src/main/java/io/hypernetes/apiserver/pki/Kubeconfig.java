package io.hypernetes.apiserver.pki;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.http.pki.ClusterPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

/** Writes kubeconfig files with the cluster CA and a client certificate embedded, as kubeadm's admin.conf does. */
public final class Kubeconfig {
    private Kubeconfig() {}

    public static void write(Path file, String clusterName, String serverUrl, ClusterPki.Credential ca,
            String userName, ClusterPki.Credential client) throws IOException {
        ObjectNode root = Json.object();
        root.put("apiVersion", "v1").put("kind", "Config").put("current-context", clusterName);
        root.putArray("clusters").addObject().put("name", clusterName).putObject("cluster")
                .put("server", serverUrl)
                .put("certificate-authority-data", b64(ca.certificatePem()));
        root.putArray("users").addObject().put("name", userName).putObject("user")
                .put("client-certificate-data", b64(client.certificatePem()))
                .put("client-key-data", b64(client.keyPem()));
        root.putArray("contexts").addObject().put("name", clusterName).putObject("context")
                .put("cluster", clusterName).put("user", userName);
        root.putObject("preferences");
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, "");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        Files.write(tmp, Json.YAML.writeValueAsBytes(root));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String b64(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }
}
