package io.hypernetes.apiserver.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.http.User;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who did what: one Kubernetes audit event ({@code audit.k8s.io/v1} {@code Event}, level Metadata, stage
 * ResponseComplete) per line of {@code DIR/audit.log}, for every request that changes something and every
 * request refused for who made it (401, 403). The user is the authenticated one — the Keystone user name, its
 * project as a group and its project and roles as extras — so a tenant's actions can be traced to a person.
 * Reads are not recorded: at Kubemark's load they would be most of the file and say little.
 *
 * <p>Lines are appended with one write each (no fsync: the store's own fsync orders what matters, and a lost
 * tail of the log after a power cut is what Kubernetes' log backend risks too). No rotation yet: point
 * logrotate with copytruncate at the file.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

    /** What one request was, as the audit event's fields name it. */
    public record Entry(String verb, String requestUri, User user, String sourceIp, String userAgent, String resource,
            String subresource, String namespace, String name, int code, Instant received) {}

    private final FileChannel file;

    private AuditLog(FileChannel file) {
        this.file = file;
    }

    public static AuditLog open(Path path) {
        try {
            if (!Files.exists(path)) Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            return new AuditLog(FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the audit log " + path, e);
        }
    }

    /** Whether a request with this verb and answer is recorded. */
    public static boolean recorded(String verb, int code) {
        return code == 401 || code == 403 || !(verb.equals("get") || verb.equals("list") || verb.equals("watch"));
    }

    public void record(Entry e) {
        ObjectNode event = Json.object().put("kind", "Event").put("apiVersion", "audit.k8s.io/v1")
                .put("level", "Metadata").put("auditID", UUID.randomUUID().toString()).put("stage", "ResponseComplete")
                .put("requestURI", e.requestUri()).put("verb", e.verb());
        ObjectNode user = event.putObject("user").put("username", e.user().name());
        var groups = user.putArray("groups");
        e.user().groups().forEach(groups::add);
        if (!e.user().extra().isEmpty()) {
            ObjectNode extra = user.putObject("extra");
            for (Map.Entry<String, List<String>> x : e.user().extra().entrySet()) {
                var values = extra.putArray(x.getKey());
                x.getValue().forEach(values::add);
            }
        }
        if (e.sourceIp() != null) event.putArray("sourceIPs").add(e.sourceIp());
        if (e.userAgent() != null) event.put("userAgent", e.userAgent());
        if (e.resource() != null) {
            ObjectNode ref = event.putObject("objectRef").put("resource", e.resource());
            if (e.namespace() != null) ref.put("namespace", e.namespace());
            if (e.name() != null) ref.put("name", e.name());
            ref.put("apiVersion", "v1");
            if (e.subresource() != null) ref.put("subresource", e.subresource());
        }
        event.putObject("responseStatus").put("code", e.code());
        event.put("requestReceivedTimestamp", e.received().toString()).put("stageTimestamp", Instant.now().toString());
        byte[] json = Json.bytes(event);
        ByteBuffer line = ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
        try {
            synchronized (file) {
                while (line.hasRemaining()) file.write(line);
            }
        } catch (IOException ex) {
            log.warn("audit log write failed: {}", ex.toString());
        }
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            log.warn("closing the audit log: {}", e.toString());
        }
    }
}
