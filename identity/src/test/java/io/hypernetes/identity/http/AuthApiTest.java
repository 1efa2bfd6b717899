package io.hypernetes.identity.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.identity.http.TestServer.Response;
import io.hypernetes.identity.http.TestServer.Tenant;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Version discovery and {@code /v3/auth/*} over real HTTPS. */
class AuthApiTest {
    @TempDir
    Path dir;

    TestServer s;
    String admin;
    Tenant alice;

    @BeforeEach
    void start() throws Exception {
        s = TestServer.start(dir);
        admin = s.adminToken();
        alice = s.tenant(admin, "wonderland", "alice", "member");
    }

    @AfterEach
    void stop() {
        s.close();
    }

    String aliceToken() {
        return s.token("alice", alice.password(), "wonderland");
    }

    // ---- discovery

    @Test
    void versionDiscoveryAtTheRootAndAtV3() {
        Response root = s.get("/", null);
        assertThat(root.status()).isEqualTo(300);
        assertThat(root.header("Content-Type")).isEqualTo("application/json");
        JsonNode v = root.json().path("versions").path("values").path(0);
        assertThat(v.path("id").asText()).isEqualTo("v3.14");
        assertThat(v.path("status").asText()).isEqualTo("stable");
        assertThat(v.path("links").path(0).path("href").asText()).isEqualTo(s.server.url() + "/");
        assertThat(v.path("media-types").path(0).path("type").asText()).isEqualTo("application/vnd.openstack.identity-v3+json");
        for (String path : List.of("/v3", "/v3/")) {
            Response r = s.get(path, null);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().path("version")).isEqualTo(v);
        }
    }

    // ---- issuing

    @Test
    void passwordLoginScopedByNameGetsATokenWithRolesAndTheCatalog() {
        Response r = s.login("admin", s.adminPassword, "admin");
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.token()).isNotBlank();
        assertThat(r.header("Vary")).isEqualTo("X-Auth-Token");
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        JsonNode t = r.json().path("token");
        assertThat(t.path("methods").toString()).isEqualTo("[\"password\"]");
        assertThat(t.path("user").path("name").asText()).isEqualTo("admin");
        assertThat(t.path("user").path("domain").path("id").asText()).isEqualTo("default");
        assertThat(t.path("project").path("name").asText()).isEqualTo("admin");
        assertThat(t.path("roles").findValuesAsText("name")).containsExactly("admin");
        assertThat(t.path("expires_at").asText()).endsWith("Z");

        JsonNode identity = service(t.path("catalog"), "identity");
        assertThat(identity.path("name").asText()).isEqualTo("keystone");
        assertThat(identity.path("endpoints").findValuesAsText("interface")).containsExactly("public", "internal", "admin");
        assertThat(identity.path("endpoints").findValuesAsText("url")).containsOnly(s.server.url().toString());
        assertThat(identity.path("endpoints").findValuesAsText("region")).containsOnly("RegionOne");
        JsonNode kube = service(t.path("catalog"), "kubernetes");
        assertThat(kube.path("name").asText()).isEqualTo("hypernetes");
        assertThat(kube.path("endpoints").findValuesAsText("url")).containsOnly("https://127.0.0.1:6443");
        assertThat(r.body()).doesNotContain("argon2").doesNotContain("password_hash");
    }

    static JsonNode service(JsonNode catalog, String type) {
        return StreamSupport.stream(catalog.spliterator(), false).filter(e -> e.path("type").asText().equals(type))
                .findFirst().orElseThrow(() -> new AssertionError("no " + type + " in " + catalog));
    }

    @Test
    void everyWayOfNamingTheUserAndTheProject() {
        String byIds = "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"id\": \"" + alice.userId()
                + "\", \"password\": \"" + alice.password() + "\"}}}, \"scope\": {\"project\": {\"id\": \"" + alice.projectId() + "\"}}}}";
        Response r = s.post("/v3/auth/tokens", null, byIds);
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.json().path("token").path("project").path("id").asText()).isEqualTo(alice.projectId());

        String byDomainName = byIds.replace("{\"id\": \"" + alice.projectId() + "\"}",
                "{\"name\": \"wonderland\", \"domain\": {\"name\": \"Default\"}}");
        assertThat(s.post("/v3/auth/tokens", null, byDomainName).json().path("token").path("project").path("name").asText())
                .isEqualTo("wonderland");

        Response unscoped = s.login("alice", alice.password(), null);
        assertThat(unscoped.status()).isEqualTo(201);
        assertThat(unscoped.json().path("token").has("project")).isFalse();
        assertThat(unscoped.json().path("token").has("catalog")).isFalse();

        String explicitlyUnscoped = byIds.replaceAll("\"scope\": \\{.*\\}\\}\\}$", "\"scope\": \"unscoped\"}}");
        assertThat(s.post("/v3/auth/tokens", null, explicitlyUnscoped).json().path("token").has("project")).isFalse();

        Response noCatalog = s.post("/v3/auth/tokens?nocatalog", null, byIds);
        assertThat(noCatalog.status()).isEqualTo(201);
        assertThat(noCatalog.json().path("token").has("catalog")).isFalse();
        assertThat(noCatalog.json().path("token").has("roles")).isTrue();
    }

    @Test
    void theTokenMethodRescopesAnUnscopedToken() {
        Response unscoped = s.login("alice", alice.password(), null);
        Response r = s.post("/v3/auth/tokens", null, "{\"auth\": {\"identity\": {\"methods\": [\"token\"], \"token\": {\"id\": \""
                + unscoped.token() + "\"}}, \"scope\": {\"project\": {\"id\": \"" + alice.projectId() + "\"}}}}");
        assertThat(r.status()).isEqualTo(201);
        JsonNode t = r.json().path("token");
        assertThat(t.path("methods").toString()).isEqualTo("[\"token\",\"password\"]");
        assertThat(t.path("audit_ids")).hasSize(2);
        assertThat(t.path("project").path("id").asText()).isEqualTo(alice.projectId());
        assertThat(t.path("expires_at").asText()).isEqualTo(unscoped.json().path("token").path("expires_at").asText());
    }

    @Test
    void refusalsAreUniformAndSayWhereToAuthenticate() {
        Response wrong = s.login("alice", "not-it", "wonderland");
        Response unknown = s.login("nobody", "not-it", "wonderland");
        Response noRole = s.login("alice", alice.password(), "admin");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(noRole.status()).isEqualTo(401);
        assertThat(wrong.message()).isEqualTo(unknown.message());
        assertThat(wrong.json().path("error").path("title").asText()).isEqualTo("Unauthorized");
        assertThat(wrong.json().path("error").path("code").asInt()).isEqualTo(401);
        assertThat(wrong.header("WWW-Authenticate")).isEqualTo("Keystone uri=\"" + s.root() + "\"");
        assertThat(wrong.token()).isNull();
    }

    @Test
    void wrongPasswordsAreThrottledPerUserAndSource() {
        // five failures are free; the sixth locks the pair out for a second
        for (int i = 0; i < 6; i++) assertThat(s.login("alice", "guess" + i, "wonderland").status()).isEqualTo(401);
        Response locked = s.login("alice", alice.password(), "wonderland");
        assertThat(locked.status()).isEqualTo(429);
        assertThat(locked.json().path("error").path("title").asText()).isEqualTo("Too Many Requests");
        assertThat(locked.header("Retry-After")).isEqualTo("1");
        // another user from the same source is not held back
        assertThat(s.login("admin", s.adminPassword, "admin").status()).isEqualTo(201);
        s.clock.advance(Duration.ofSeconds(2));
        assertThat(s.login("alice", alice.password(), "wonderland").status()).isEqualTo(201);
    }

    // ---- validating and revoking

    @Test
    void aTokenValidatesItselfAndAnAdminValidatesAnyone() {
        String token = aliceToken();
        Response self = s.call("GET", "/v3/auth/tokens", token, null, "X-Subject-Token", token);
        assertThat(self.status()).isEqualTo(200);
        assertThat(self.token()).isEqualTo(token);
        assertThat(self.header("Vary")).isEqualTo("X-Auth-Token");
        assertThat(self.json().path("token").path("user").path("id").asText()).isEqualTo(alice.userId());
        assertThat(self.json().path("token").has("catalog")).isTrue();

        Response byAdmin = s.call("GET", "/v3/auth/tokens?nocatalog", admin, null, "X-Subject-Token", token);
        assertThat(byAdmin.status()).isEqualTo(200);
        assertThat(byAdmin.json().path("token").has("catalog")).isFalse();
        assertThat(byAdmin.json().path("token").path("roles").findValuesAsText("name")).containsExactly("member");

        // alice's other token (same user) is hers to see; the admin's is not
        assertThat(s.call("GET", "/v3/auth/tokens", token, null, "X-Subject-Token", aliceToken()).status()).isEqualTo(200);
        Response other = s.call("GET", "/v3/auth/tokens", token, null, "X-Subject-Token", admin);
        assertThat(other.status()).isEqualTo(403);
        assertThat(other.message()).contains("identity:validate_token");
    }

    @Test
    void headChecksATokenWithoutABody() {
        String token = aliceToken();
        Response ok = s.call("HEAD", "/v3/auth/tokens", admin, null, "X-Subject-Token", token);
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body()).isEmpty();
        Response gone = s.call("HEAD", "/v3/auth/tokens", admin, null, "X-Subject-Token", token + "x");
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.body()).isEmpty();
    }

    @Test
    void validationNeedsBothTokens() {
        String token = aliceToken();
        Response noCaller = s.call("GET", "/v3/auth/tokens", null, null, "X-Subject-Token", token);
        assertThat(noCaller.status()).isEqualTo(401);
        assertThat(noCaller.header("WWW-Authenticate")).startsWith("Keystone uri=");
        Response noSubject = s.get("/v3/auth/tokens", token);
        assertThat(noSubject.status()).isEqualTo(400);
        assertThat(noSubject.message()).contains("X-Subject-Token");
        Response junk = s.call("GET", "/v3/auth/tokens", admin, null, "X-Subject-Token", "not-a-token");
        assertThat(junk.status()).isEqualTo(404);
        assertThat(junk.message()).startsWith("Could not find token");
    }

    @Test
    void aRevokedTokenIsGoneAndSoAreTheTokensRescopedFromIt() {
        Response unscoped = s.login("alice", alice.password(), null);
        Response rescoped = s.post("/v3/auth/tokens", null, "{\"auth\": {\"identity\": {\"methods\": [\"token\"], \"token\": {\"id\": \""
                + unscoped.token() + "\"}}, \"scope\": {\"project\": {\"id\": \"" + alice.projectId() + "\"}}}}");
        Response revoked = s.call("DELETE", "/v3/auth/tokens", admin, null, "X-Subject-Token", unscoped.token());
        assertThat(revoked.status()).isEqualTo(204);
        assertThat(revoked.body()).isEmpty();
        Response after = s.call("GET", "/v3/auth/tokens", admin, null, "X-Subject-Token", unscoped.token());
        assertThat(after.status()).isEqualTo(404);
        assertThat(after.message()).isEqualTo("Could not find token: it is revoked.");
        assertThat(s.call("GET", "/v3/auth/tokens", admin, null, "X-Subject-Token", rescoped.token()).status()).isEqualTo(404);
        assertThat(s.get("/v3/auth/projects", rescoped.token()).status()).isEqualTo(401);
        assertThat(s.call("DELETE", "/v3/auth/tokens", admin, null, "X-Subject-Token", unscoped.token()).status()).isEqualTo(404);
    }

    @Test
    void aUserRevokesItsOwnTokenButNotSomeoneElses() {
        String mine = aliceToken();
        assertThat(s.call("DELETE", "/v3/auth/tokens", mine, null, "X-Subject-Token", admin).status()).isEqualTo(403);
        assertThat(s.call("GET", "/v3/auth/tokens", admin, null, "X-Subject-Token", admin).status()).isEqualTo(200);
        assertThat(s.call("DELETE", "/v3/auth/tokens", mine, null, "X-Subject-Token", mine).status()).isEqualTo(204);
        assertThat(s.get("/v3/auth/projects", mine).status()).isEqualTo(401);
    }

    @Test
    void anExpiredTokenIsNotFoundAsSubjectAndUnauthorizedAsCaller() {
        String token = aliceToken();
        s.clock.advance(Duration.ofMinutes(59));
        assertThat(s.call("GET", "/v3/auth/tokens", token, null, "X-Subject-Token", token).status()).isEqualTo(200);
        s.clock.advance(Duration.ofMinutes(2));
        admin = s.adminToken();
        Response subject = s.call("GET", "/v3/auth/tokens", admin, null, "X-Subject-Token", token);
        assertThat(subject.status()).isEqualTo(404);
        assertThat(subject.message()).isEqualTo("Could not find token: it is expired.");
        Response caller = s.get("/v3/auth/projects", token);
        assertThat(caller.status()).isEqualTo(401);
        assertThat(caller.message()).contains("expired");
    }

    @Test
    void aForgedTokenIsRefused() {
        String token = aliceToken();
        int i = token.length() / 2;
        String forged = token.substring(0, i) + (token.charAt(i) == 'A' ? 'B' : 'A') + token.substring(i + 1);
        Response subject = s.call("GET", "/v3/auth/tokens", admin, null, "X-Subject-Token", forged);
        assertThat(subject.status()).isEqualTo(404);
        Response caller = s.get("/v3/projects", forged);
        assertThat(caller.status()).isEqualTo(401);
        String truncated = token.substring(0, token.length() - 4);
        assertThat(s.call("GET", "/v3/auth/tokens", admin, null, "X-Subject-Token", truncated).status()).isEqualTo(404);
    }

    @Test
    void roleChangesCountFromTheNextRequest() {
        String token = aliceToken();
        assertThat(s.post("/v3/projects", token, "{\"project\": {\"name\": \"mine\"}}").status()).isEqualTo(403);
        String adminRole = s.roleId(admin, "admin");
        String grant = "/v3/projects/" + alice.projectId() + "/users/" + alice.userId() + "/roles/" + adminRole;
        assertThat(s.call("PUT", grant, admin, null).status()).isEqualTo(204);
        // the same token now carries the role: the roles are looked up on every validation
        assertThat(s.post("/v3/projects", token, "{\"project\": {\"name\": \"mine\"}}").status()).isEqualTo(201);
        assertThat(s.login("alice", alice.password(), "wonderland").json().path("token").path("roles").findValuesAsText("name"))
                .containsExactly("admin", "member");
        assertThat(s.call("DELETE", grant, admin, null).status()).isEqualTo(204);
        assertThat(s.post("/v3/projects", token, "{\"project\": {\"name\": \"mine2\"}}").status()).isEqualTo(403);
        // with no role left on the project, a token scoped to it is void
        String member = s.roleId(admin, "member");
        s.call("DELETE", "/v3/projects/" + alice.projectId() + "/users/" + alice.userId() + "/roles/" + member, admin, null);
        assertThat(s.get("/v3/auth/projects", token).status()).isEqualTo(401);
        assertThat(s.login("alice", alice.password(), "wonderland").status()).isEqualTo(401);
    }

    // ---- what a token reaches

    @Test
    void projectsDomainsAndCatalogOfTheCaller() {
        String token = aliceToken();
        Response projects = s.get("/v3/auth/projects", token);
        assertThat(projects.status()).isEqualTo(200);
        assertThat(projects.json().path("projects").findValuesAsText("name")).containsExactly("wonderland");
        assertThat(projects.json().path("links").path("self").asText()).isEqualTo(s.server.url() + "/auth/projects");
        assertThat(s.get("/v3/auth/domains", token).json().path("domains")).isEmpty();

        Response catalog = s.get("/v3/auth/catalog", token);
        assertThat(catalog.status()).isEqualTo(200);
        assertThat(service(catalog.json().path("catalog"), "identity").path("endpoints")).hasSize(3);
        String unscoped = s.login("alice", alice.password(), null).token();
        assertThat(s.get("/v3/auth/catalog", unscoped).status()).isEqualTo(403);
        assertThat(s.get("/v3/auth/projects", unscoped).json().path("projects").findValuesAsText("name")).containsExactly("wonderland");
        assertThat(s.get("/v3/auth/projects", null).status()).isEqualTo(401);
    }

    // ---- bad requests

    @Test
    void malformedAuthRequestsAreBadRequestsAndWriteNothing() {
        String user = "\"user\": {\"name\": \"alice\", \"domain\": {\"id\": \"default\"}, \"password\": \"" + alice.password() + "\"}";
        var before = s.snapshot();
        for (String body : List.of(
                "", "{", "[]", "{\"auth\": []}", "{\"auth\": {}}", "{\"auth\": {\"identity\": {}}}", "{\"auth\": {}, \"extra\": 1}",
                "{\"auth\": {\"identity\": {\"methods\": \"password\"}}}",
                "{\"auth\": {\"identity\": {\"methods\": []}}}",
                "{\"auth\": {\"identity\": {\"methods\": [1]}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"totp\"], \"totp\": {}}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"password\", \"token\"], \"password\": {" + user + "}}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"password\"]}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"name\": \"alice\", \"password\": \"x\"}}}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"name\": \"alice\", \"domain\": {}, \"password\": \"x\"}}}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"id\": 7, \"password\": \"x\"}}}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"id\": \"x\", \"password\": true}}}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"id\": \"x\", \"password\": \""
                        + "p".repeat(5000) + "\"}}}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"token\"], \"token\": {}}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {" + user + "}}, \"scope\": {\"domain\": {\"id\": \"default\"}}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {" + user + "}}, \"scope\": {\"system\": {\"all\": true}}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {" + user + "}}, \"scope\": \"everything\"}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {" + user + "}}, \"scope\": {\"project\": {\"name\": \"wonderland\"}}}}",
                "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {" + user + "}}}, \"auth\": {}}")) {
            Response r = s.post("/v3/auth/tokens", null, body);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.json().path("error").path("title").asText()).isEqualTo("Bad Request");
            assertThat(r.message()).isNotBlank();
            assertThat(r.token()).isNull();
        }
        assertThat(s.snapshot()).isEqualTo(before);
        // none of those counted as a wrong password
        assertThat(s.login("alice", alice.password(), "wonderland").status()).isEqualTo(201);
    }
}
