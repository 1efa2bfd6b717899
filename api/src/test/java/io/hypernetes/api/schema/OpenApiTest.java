package io.hypernetes.api.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpenApiTest {
    private final OpenApi api = OpenApi.core();

    @Test
    void discoveryListsHashedGroupVersionUrls() throws IOException {
        JsonNode d = Json.parse(api.v3Discovery().body());
        assertThat(fieldNames(d.get("paths"))).contains("api/v1", "api", "apis", "version");
        for (Map.Entry<String, JsonNode> e : d.get("paths").properties()) {
            String url = e.getValue().get("serverRelativeURL").asText();
            OpenApi.Document doc = api.v3Document(e.getKey()).orElseThrow();
            assertThat(url).isEqualTo("/openapi/v3/" + e.getKey() + "?hash=" + doc.hash());
        }
        assertThat(api.v3Document("/api/v1")).isPresent();
        assertThat(fieldNames(d.get("paths"))).contains("apis/apps/v1", "apis/apps", "apis/coordination.k8s.io/v1");
        assertThat(api.v3Document("apis/apps/v1")).isPresent();
        assertThat(api.v3Document("apis/batch/v1")).isEmpty();
    }

    @Test
    void documentsAreStable() {
        OpenApi again = OpenApi.build(SchemaRegistry.core(), ResourceTypes.ALL, "v1.33.0");
        assertThat(again.v3Document("api/v1").orElseThrow().body()).isEqualTo(api.v3Document("api/v1").orElseThrow().body());
        assertThat(again.v3Discovery().etag()).isEqualTo(api.v3Discovery().etag());
        assertThat(again.v2Json().hash()).isEqualTo(api.v2Json().hash());
    }

    @Test
    void everyKindIsExplainable() throws IOException {
        JsonNode doc = Json.parse(api.v3Document("api/v1").orElseThrow().body());
        JsonNode schemas = doc.get("components").get("schemas");
        for (ResourceType t : ResourceTypes.ALL) {
            JsonNode own = Json.parse(api.v3Document(docPath(t)).orElseThrow().body()).get("components").get("schemas");
            JsonNode s = findByGvk(own, t.kind());
            assertThat(s).as(t.kind()).isNotNull();
            assertThat(s.get("description").asText()).isNotBlank();
        }
        // kubectl explain pods.spec.containers.ports walks properties, following allOf/$ref and items.
        JsonNode ports = walk(schemas, findByGvk(schemas, "Pod"), "spec", "containers", "ports");
        assertThat(ports.get("properties").has("containerPort")).isTrue();
        JsonNode subnets = walk(schemas, findByGvk(schemas, "Network"), "spec", "subnets");
        assertThat(fieldNames(subnets.get("properties"))).contains("cidr", "gateway");
        // kubectl explain deployment.spec.strategy and deployment.spec.template.spec.containers
        JsonNode apps = Json.parse(api.v3Document("apis/apps/v1").orElseThrow().body()).get("components").get("schemas");
        JsonNode strategy = walk(apps, findByGvk(apps, "Deployment"), "spec", "strategy");
        assertThat(fieldNames(strategy.get("properties"))).contains("type", "rollingUpdate");
        assertThat(walk(apps, findByGvk(apps, "Deployment"), "spec", "template", "spec", "containers").get("properties").has("image")).isTrue();
    }

    private static String docPath(ResourceType t) {
        return t.group().isEmpty() ? "api/" + t.version() : "apis/" + t.group() + "/" + t.version();
    }

    @Test
    void everyRefResolvesInsideItsDocument() throws IOException {
        for (String path : List.of("api/v1", "api", "apis", "version", "apis/apps/v1", "apis/apps", "apis/coordination.k8s.io/v1")) {
            JsonNode doc = Json.parse(api.v3Document(path).orElseThrow().body());
            List<String> refs = new ArrayList<>();
            collectRefs(doc, refs);
            assertThat(refs).as(path).isNotEmpty();
            for (String ref : refs) {
                assertThat(ref).startsWith("#/components/schemas/");
                assertThat(doc.get("components").get("schemas").has(ref.substring("#/components/schemas/".length()))).as(ref).isTrue();
            }
        }
        JsonNode v2 = Json.parse(api.v2Json().body());
        List<String> refs = new ArrayList<>();
        collectRefs(v2, refs);
        for (String ref : refs) assertThat(v2.get("definitions").has(ref.substring("#/definitions/".length()))).as(ref).isTrue();
    }

    /**
     * kubectl's query-param verifier takes the first PATCH operation whose x-kubernetes-group-version-kind matches
     * (map order, so any of them) and requires fieldValidation among its query parameters; kubectl apply takes the
     * first such operation and requires a strategic-merge-patch request body. Check every one.
     */
    @Test
    void everyPatchOperationSatisfiesKubectl() throws IOException {
        for (ResourceType t : ResourceTypes.ALL) {
            JsonNode doc = Json.parse(api.v3Document(docPath(t)).orElseThrow().body());
            int found = 0;
            for (Map.Entry<String, JsonNode> p : doc.get("paths").properties()) {
                JsonNode patch = p.getValue().get("patch");
                if (patch == null || !t.kind().equals(patch.path("x-kubernetes-group-version-kind").path("kind").asText())) continue;
                found++;
                assertThat(patch.get("x-kubernetes-group-version-kind").get("group").asText()).isEqualTo(t.group());
                assertThat(patch.get("x-kubernetes-group-version-kind").get("version").asText()).isEqualTo("v1");
                assertThat(patch.get("x-kubernetes-action").asText()).isEqualTo("patch");
                boolean fieldValidation = false;
                for (JsonNode param : patch.get("parameters")) {
                    fieldValidation |= param.get("name").asText().equals("fieldValidation") && param.get("in").asText().equals("query");
                }
                assertThat(fieldValidation).as(p.getKey()).isTrue();
                assertThat(patch.get("requestBody").get("content").has("application/strategic-merge-patch+json")).isTrue();
            }
            assertThat(found).as(t.kind()).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void operationsCarryTheirParametersAndActions() throws IOException {
        JsonNode paths = Json.parse(api.v3Document("api/v1").orElseThrow().body()).get("paths");
        JsonNode pods = paths.get("/api/v1/namespaces/{namespace}/pods");
        assertThat(names(pods.get("get").get("parameters"))).contains("watch", "labelSelector", "fieldSelector", "limit", "continue",
                "resourceVersion");
        assertThat(pods.get("get").get("x-kubernetes-action").asText()).isEqualTo("list");
        assertThat(names(pods.get("post").get("parameters"))).contains("fieldValidation", "dryRun", "fieldManager");
        assertThat(pods.get("delete").get("x-kubernetes-action").asText()).isEqualTo("deletecollection");
        assertThat(names(pods.get("parameters"))).contains("namespace");
        JsonNode pod = paths.get("/api/v1/namespaces/{namespace}/pods/{name}");
        assertThat(names(pod.get("put").get("parameters"))).contains("fieldValidation", "dryRun", "fieldManager");
        assertThat(names(pod.get("patch").get("parameters"))).contains("fieldValidation", "dryRun", "fieldManager", "force");
        assertThat(pod.get("get").get("x-kubernetes-group-version-kind").get("kind").asText()).isEqualTo("Pod");
        assertThat(paths.get("/api/v1/namespaces/{namespace}/pods/{name}/binding").get("post")
                .get("x-kubernetes-group-version-kind").get("kind").asText()).isEqualTo("Binding");
        assertThat(paths.has("/api/v1/namespaces/{namespace}/pods/{name}/status")).isTrue();
        assertThat(paths.has("/api/v1/pods")).isTrue();
        assertThat(paths.has("/api/v1/networks/{name}/status")).isTrue();
        assertThat(paths.has("/api/v1/namespaces/{name}/finalize")).isTrue();
        assertThat(paths.has("/api/v1/namespaces/{namespace}/networks")).isFalse();
    }

    @Test
    void v3UsesOneOfForIntOrStringAndV2UsesStrings() throws IOException {
        JsonNode v3 = Json.parse(api.v3Document("api/v1").orElseThrow().body()).get("components").get("schemas");
        assertThat(v3.get("io.k8s.apimachinery.pkg.util.intstr.IntOrString").get("oneOf")).hasSize(2);
        JsonNode v2 = Json.parse(api.v2Json().body());
        assertThat(v2.get("swagger").asText()).isEqualTo("2.0");
        assertThat(v2.get("definitions").get("io.k8s.apimachinery.pkg.util.intstr.IntOrString").get("type").asText()).isEqualTo("string");
        assertThat(v2.get("definitions").get("io.k8s.api.core.v1.Network").get("x-kubernetes-group-version-kind")).hasSize(1);
        assertThat(v2.get("paths").get("/api/v1/networks/{name}").get("patch").get("x-kubernetes-group-version-kind").get("kind").asText())
                .isEqualTo("Network");
    }

    @Test
    void v2ProtobufIsAMinimalGnosticDocument() {
        byte[] pb = api.v2Protobuf().body();
        // field 1 (swagger) = "2.0", then field 2 (info) holding title and version
        assertThat(pb).startsWith(0x0A, 3, '2', '.', '0', 0x12);
        String text = new String(pb, java.nio.charset.StandardCharsets.UTF_8);
        assertThat(text).contains("Hypernetes").contains("v1.33.0");
        assertThat(pb[6]).isEqualTo((byte) (pb.length - 7));
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private static List<String> names(JsonNode params) {
        List<String> out = new ArrayList<>();
        params.forEach(p -> out.add(p.get("name").asText()));
        return out;
    }

    private static JsonNode findByGvk(JsonNode schemas, String kind) {
        for (JsonNode s : schemas) {
            for (JsonNode gvk : s.path("x-kubernetes-group-version-kind")) {
                if (gvk.get("kind").asText().equals(kind) && gvk.get("version").asText().equals("v1")) return s;
            }
        }
        return null;
    }

    private static JsonNode walk(JsonNode schemas, JsonNode s, String... fields) {
        JsonNode cur = s;
        for (String f : fields) {
            cur = deref(schemas, deref(schemas, cur).get("properties").get(f));
            if (cur.has("items")) cur = deref(schemas, cur.get("items"));
            if (cur.has("additionalProperties")) cur = deref(schemas, cur.get("additionalProperties"));
        }
        return cur;
    }

    private static JsonNode deref(JsonNode schemas, JsonNode s) {
        JsonNode ref = s.has("allOf") ? s.get("allOf").get(0).get("$ref") : s.get("$ref");
        return ref == null ? s : schemas.get(ref.asText().substring("#/components/schemas/".length()));
    }

    private static void collectRefs(JsonNode node, List<String> out) {
        if (node.isObject() && node.has("$ref")) out.add(node.get("$ref").asText());
        node.forEach(child -> collectRefs(child, out));
    }
}
