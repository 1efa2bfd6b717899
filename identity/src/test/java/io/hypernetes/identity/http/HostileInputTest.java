package io.hypernetes.identity.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.hypernetes.http.HttpServer;
import io.hypernetes.identity.http.TestServer.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed, oversized and hostile requests: each is refused with a Keystone error that names the problem, and
 * the store is byte-for-byte what it was before.
 */
class HostileInputTest {
    @TempDir
    Path dir;

    TestServer s;
    String admin;
    List<String> before;

    @BeforeEach
    void start() throws Exception {
        s = TestServer.start(dir);
        admin = s.adminToken();
        before = s.snapshot();
    }

    @AfterEach
    void stop() {
        s.close();
    }

    void assertBadRequest(Response r, String what) {
        assertThat(r.status()).as(what + ": " + r.body()).isEqualTo(400);
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        assertThat(r.json().path("error").path("code").asInt()).isEqualTo(400);
        assertThat(r.message()).as(what).isNotBlank();
    }

    @Test
    void badBodiesForEveryCreateAreRefusedWhole() {
        Map<String, List<String>> bodies = Map.of(
                "/v3/projects", List.of(
                        "", "{", "{\"project\": {\"name\": \"a\"}} trailing", "[]", "\"project\"", "{\"projects\": {\"name\": \"a\"}}",
                        "{\"project\": []}", "{\"project\": {\"name\": 5}}", "{\"project\": {}}",
                        "{\"project\": {\"name\": \"a\", \"name\": \"b\"}}",
                        "{\"project\": {\"name\": \"" + "p".repeat(65) + "\"}}",
                        "{\"project\": {\"name\": \"tab\\there\"}}", "{\"project\": {\"name\": \" padded\"}}",
                        "{\"project\": {\"name\": \"zero\\u200bwidth\"}}", "{\"project\": {\"name\": \"   \"}}",
                        "{\"project\": {\"name\": \"a\", \"enabled\": \"yes\"}}",
                        "{\"project\": {\"name\": \"a\", \"flavor\": \"extra\"}}",
                        "{\"project\": {\"name\": \"a\", \"tags\": [\"t\"]}}",
                        "{\"project\": {\"name\": \"a\", \"is_domain\": true}}",
                        "{\"project\": {\"name\": \"a\", \"parent_id\": \"0123456789abcdef0123456789abcdef\"}}",
                        "{\"project\": {\"name\": \"a\", \"domain_id\": \"../etc\"}}",
                        "{\"project\": {\"name\": \"a\", \"description\": \"" + "d".repeat(5000) + "\"}}"),
                "/v3/users", List.of(
                        "{\"user\": {}}", "{\"user\": {\"name\": [\"a\"]}}", "{\"user\": {\"name\": \"u\", \"password\": 123}}",
                        "{\"user\": {\"name\": \"u\", \"password\": \"\"}}",
                        "{\"user\": {\"name\": \"u\", \"password\": \"" + "p".repeat(4097) + "\"}}",
                        "{\"user\": {\"name\": \"" + "u".repeat(256) + "\", \"password\": \"x\"}}",
                        "{\"user\": {\"name\": \"u\", \"email\": \"u@example.com\"}}",
                        "{\"user\": {\"name\": \"u\", \"default_project_id\": \"abc\"}}",
                        "{\"user\": {\"name\": \"bell\\u0007\"}}"),
                "/v3/roles", List.of("{\"role\": {\"name\": null}}", "{\"role\": {\"name\": \"r\", \"domain_id\": \"default\"}}",
                        "{\"role\": {\"name\": \"r\", \"description\": \"not kept\"}}"),
                "/v3/domains", List.of("{\"domain\": {\"name\": \"" + "d".repeat(65) + "\"}}", "{\"domain\": {\"name\": \"d\", \"id\": \"mine\"}}",
                        "{\"domain\": {\"name\": \"d\", \"enabled\": 1}}"));
        bodies.forEach((path, list) -> list.forEach(body -> assertBadRequest(s.post(path, admin, body), path + " " + body)));
        assertThat(s.snapshot()).isEqualTo(before);
    }

    @Test
    void badPatchesChangeNothing() {
        String project = s.get("/v3/projects?name=admin", admin).json().path("projects").path(0).path("id").asText();
        String user = s.get("/v3/users?name=admin", admin).json().path("users").path(0).path("id").asText();
        before = s.snapshot();
        assertBadRequest(s.call("PATCH", "/v3/projects/" + project, admin, "{\"project\": {\"name\": \"\"}}"), "empty name");
        assertBadRequest(s.call("PATCH", "/v3/projects/" + project, admin, "{\"project\": {\"enabled\": null}}"), "null enabled");
        assertBadRequest(s.call("PATCH", "/v3/projects/" + project, admin, "{\"project\": {\"id\": \"other\"}}"), "id");
        // the name is invalid, so the password in the same request must not be set either
        assertBadRequest(s.call("PATCH", "/v3/users/" + user, admin, "{\"user\": {\"name\": \"\\u0000\", \"password\": \"pw\"}}"), "nul name");
        assertBadRequest(s.call("PATCH", "/v3/users/" + user, admin, "{\"user\": {\"password\": \"\"}}"), "empty password");
        assertThat(s.snapshot()).isEqualTo(before);
        assertThat(s.login("admin", s.adminPassword, "admin").status()).isEqualTo(201);
    }

    @Test
    void unicodeNamesRoundTrip() {
        String name = "проект-β 🚀 日本";
        Response created = s.post("/v3/projects", admin, "{\"project\": {\"name\": " + TestServer.quote(name) + "}}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json().path("project").path("name").asText()).isEqualTo(name);
        Response found = s.get("/v3/projects?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8), admin);
        assertThat(found.json().path("projects").findValuesAsText("name")).containsExactly(name);
    }

    @Test
    void oversizedAndDeeplyNestedBodies() {
        // just over the front's limit, so the rest of the body is drained and the 413 is read back
        String huge = "{\"project\": {\"name\": \"a\", \"description\": \"" + "x".repeat(HttpServer.MAX_BODY + 1000) + "\"}}";
        Response tooLarge = s.post("/v3/projects", admin, huge);
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.json().path("error").path("title").asText()).isEqualTo("Request Entity Too Large");
        assertBadRequest(s.post("/v3/projects", admin, "[".repeat(100_000)), "deep nesting");
        assertBadRequest(s.post("/v3/auth/tokens", null, "{\"auth\": " + "{\"a\": ".repeat(5_000) + "1" + "}".repeat(5_001)), "deep auth");
        StringBuilder manyFields = new StringBuilder("{\"project\": {\"name\": \"a\"");
        for (int i = 0; i < 50_000; i++) manyFields.append(", \"f").append(i).append("\": ").append(i);
        assertBadRequest(s.post("/v3/projects", admin, manyFields.append("}}").toString()), "50,000 unknown fields");
        assertThat(s.snapshot()).isEqualTo(before);
    }

    @Test
    void hostilePathsAreNotFound() {
        for (String path : List.of("/v3/projects/..%2F..%2Fidentity%2Fusers", "/v3/projects/..", "/v3/projects/%00",
                "/v3/projects/a%20b", "/v3/projects/" + "a".repeat(65), "/v3/users/%E2%80%AE", "/v3/../v3/projects",
                "/v3/projects//users", "/v3/roles/%2e%2e", "/v4/projects", "/v3/nothing", "/etc/passwd")) {
            Response r = s.get(path, admin);
            assertThat(r.status()).as(path).isEqualTo(404);
            assertThat(r.json().path("error").path("title").asText()).isEqualTo("Not Found");
        }
        for (String path : List.of("/v3/projects/..%2F..", "/v3/users/" + "x".repeat(100), "/v3/roles/%00")) {
            assertThat(s.call("DELETE", path, admin, null).status()).as(path).isEqualTo(404);
            assertThat(s.call("PATCH", path, admin, "{\"project\": {\"name\": \"x\"}}").status()).as(path).isEqualTo(404);
        }
        assertThat(s.call("PUT", "/v3/projects/..%2F/users/x/roles/y", admin, null).status()).isEqualTo(404);
        assertThat(s.snapshot()).isEqualTo(before);
    }

    @Test
    void wrongMethodsAndMalformedUris() throws Exception {
        Response r = s.call("PUT", "/v3/projects", admin, "{}");
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.header("Allow")).contains("POST").contains("GET");
        assertThat(r.json().path("error").path("title").asText()).isEqualTo("Method Not Allowed");
        assertThat(s.call("POST", "/v3/auth/projects", admin, "{}").status()).isEqualTo(405);
        // a URI no client library would send, so it goes over a raw TLS socket
        String malformed = s.raw("GET /v3/projects/%zz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: " + admin
                + "\r\nConnection: close\r\n\r\n");
        assertThat(malformed).startsWith("HTTP/1.1 400").contains("\"title\":\"Bad Request\"").contains("malformed request URI");
        assertThat(s.snapshot()).isEqualTo(before);
    }

    @Test
    void hostileTokensAreUnauthorized() {
        for (String token : List.of("", "x", "%%%%", "A".repeat(4000), "\u00e9t\u00e9", "..%2F..")) {
            Response r = s.call("GET", "/v3/projects", null, null, "X-Auth-Token", token);
            assertThat(r.status()).as(token).isEqualTo(401);
            Response subject = s.call("GET", "/v3/auth/tokens", admin, null, "X-Subject-Token", token);
            assertThat(subject.status()).as(token).isIn(400, 404);
        }
    }
}
