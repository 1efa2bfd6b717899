package io.hypernetes.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.protobuf.Protobuf;
import io.hypernetes.api.protobuf.ProtobufException;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.apiserver.authz.Access;
import io.hypernetes.apiserver.authz.Authorizer;
import io.hypernetes.http.HttpExchange;
import io.hypernetes.http.User;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a caller may ask about itself: {@code kubectl auth whoami} (SelfSubjectReview: the user its credentials
 * map to) and {@code kubectl auth can-i} (SelfSubjectAccessReview: whether the {@link Authorizer} would allow a
 * request). Answered in JSON whatever the client prefers: the protobuf codec knows only the core group's kinds.
 */
final class SelfReviews {
    /** v1 since Kubernetes 1.28; kubectl 1.27 asks v1beta1 for whoami. */
    private static final Pattern WHOAMI = Pattern.compile("/apis/authentication\\.k8s\\.io/(v1|v1beta1)/selfsubjectreviews");
    private static final Pattern CAN_I = Pattern.compile("/apis/authorization\\.k8s\\.io/(v1)/selfsubjectaccessreviews");

    private final Authorizer authorizer;
    /** Whether a request's target namespace or named object exists for the access it runs with. */
    private final java.util.function.BiPredicate<Access, ResourceTarget> visible;

    /** What an access review names: a resource, maybe in a namespace, maybe by name. */
    record ResourceTarget(ResourceType type, String namespace, String name) {}

    SelfReviews(Authorizer authorizer, java.util.function.BiPredicate<Access, ResourceTarget> visible) {
        this.authorizer = authorizer;
        this.visible = visible;
    }

    /** Answers the request if it is a self review; false when it is not one. */
    boolean handle(HttpExchange ex, String path) {
        if (!ex.method().equals("POST")) return false;
        Matcher m = WHOAMI.matcher(path);
        if (m.matches()) {
            whoami(ex, m.group(1));
            return true;
        }
        m = CAN_I.matcher(path);
        if (m.matches()) {
            canI(ex, m.group(1));
            return true;
        }
        return false;
    }

    private static void whoami(HttpExchange ex, String version) {
        ObjectNode review = head("SelfSubjectReview", "authentication.k8s.io/" + version);
        ObjectNode info = review.putObject("status").putObject("userInfo").put("username", ex.user().name());
        var groups = info.putArray("groups");
        ex.user().groups().forEach(groups::add);
        if (!ex.user().extra().isEmpty()) {
            ObjectNode extra = info.putObject("extra");
            ex.user().extra().forEach((k, v) -> v.forEach(extra.putArray(k)::add));
        }
        ex.respond(201, MediaTypes.JSON, Json.bytes(review));
    }

    /**
     * Whether the caller may do what the review's spec names. For a tenant, another tenant's namespace or object
     * is one that does not exist, so the answer is no, exactly as for a namespace nobody has.
     */
    private void canI(HttpExchange ex, String version) {
        JsonNode spec = Protobuf.isEnvelope(ex.body()) ? specFromProtobuf(ex.body()) : specFromJson(ex.body());
        ObjectNode review = head("SelfSubjectAccessReview", "authorization.k8s.io/" + version);
        review.set("spec", spec.deepCopy());
        JsonNode resource = spec.path("resourceAttributes");
        JsonNode nonResource = spec.path("nonResourceAttributes");
        String reason;
        boolean allowed;
        if (resource.isObject()) {
            Optional<ResourceType> type = ResourceTypes.byPlural(resource.path("group").asText(""), "v1", resource.path("resource").asText(""));
            String verb = resource.path("verb").asText("");
            if (type.isEmpty()) {
                allowed = false;
                reason = "no such resource is served";
            } else {
                allowed = allows(ex.user(), verb, new ResourceTarget(type.get(), blankToNull(resource.path("namespace").asText("")),
                        blankToNull(resource.path("name").asText(""))), blankToNull(resource.path("subresource").asText("")));
                reason = "";
            }
        } else if (nonResource.isObject()) {
            allowed = authorizer.mayGet(ex.user(), nonResource.path("path").asText(""));
            reason = "";
        } else {
            throw ApiException.badRequest("spec.resourceAttributes or spec.nonResourceAttributes is required");
        }
        ObjectNode status = review.putObject("status").put("allowed", allowed);
        if (!reason.isEmpty()) status.put("reason", reason);
        ex.respond(201, MediaTypes.JSON, Json.bytes(review));
    }

    private static JsonNode specFromJson(byte[] body) {
        try {
            return Json.parse(body).path("spec");
        } catch (IOException e) {
            throw ApiException.badRequest("the body must be a SelfSubjectAccessReview: " + e.getMessage());
        }
    }

    /**
     * kubectl 1.33 sends the review as protobuf, a kind outside the served schema: its spec (2) holds
     * resourceAttributes (1: namespace 1, verb 2, group 3, version 4, resource 5, subresource 6, name 7) or
     * nonResourceAttributes (2: path 1, verb 2), all strings.
     */
    private static JsonNode specFromProtobuf(byte[] body) {
        ObjectNode spec = Json.object();
        try {
            Map<Integer, String> resource = Protobuf.strings(body, 2, 1);
            Map<Integer, String> nonResource = Protobuf.strings(body, 2, 2);
            if (!resource.isEmpty()) {
                ObjectNode r = spec.putObject("resourceAttributes");
                String[] names = {null, "namespace", "verb", "group", "version", "resource", "subresource", "name"};
                resource.forEach((n, v) -> {
                    if (n < names.length) r.put(names[n], v);
                });
            } else if (!nonResource.isEmpty()) {
                spec.putObject("nonResourceAttributes").put("path", nonResource.getOrDefault(1, "")).put("verb", nonResource.getOrDefault(2, ""));
            }
        } catch (ProtobufException e) {
            throw ApiException.badRequest("the body must be a SelfSubjectAccessReview: " + e.getMessage());
        }
        return spec;
    }

    private boolean allows(User user, String verb, ResourceTarget target, String subresource) {
        Predicate<Access> exists = access -> visible.test(access, target);
        try {
            Access access = authorizer.authorize(user, verb, target.type(), target.namespace(), target.name(), subresource, exists);
            // reads are filtered rather than refused, so a tenant's view of another tenant's namespace is checked here
            return access.unrestricted() || (target.namespace() == null && target.name() == null) || exists.test(access);
        } catch (ApiException refused) {
            return false;
        }
    }

    private static ObjectNode head(String kind, String apiVersion) {
        ObjectNode o = Json.object().put("kind", kind).put("apiVersion", apiVersion);
        o.putObject("metadata").put("creationTimestamp", Meta.timestamp(Instant.now()));
        return o;
    }

    private static String blankToNull(String s) {
        return s.isEmpty() ? null : s;
    }
}
