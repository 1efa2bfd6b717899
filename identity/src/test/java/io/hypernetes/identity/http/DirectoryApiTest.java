package io.hypernetes.identity.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.identity.http.TestServer.Response;
import io.hypernetes.identity.http.TestServer.Tenant;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Domains, projects, users, roles, grants and role assignments over real HTTPS, with the policy around them. */
class DirectoryApiTest {
    @TempDir
    Path dir;

    TestServer s;
    String admin;
    Tenant alice;
    String aliceToken;

    @BeforeEach
    void start() throws Exception {
        s = TestServer.start(dir);
        admin = s.adminToken();
        alice = s.tenant(admin, "wonderland", "alice", "member");
        aliceToken = s.token("alice", alice.password(), "wonderland");
    }

    @AfterEach
    void stop() {
        s.close();
    }

    Response patch(String path, String token, String body) {
        return s.call("PATCH", path, token, body);
    }

    Response delete(String path, String token) {
        return s.call("DELETE", path, token, null);
    }

    @Test
    void projectLifecycle() {
        Response created = s.post("/v3/projects", admin, "{\"project\": {\"name\": \"tenant-a\", \"description\": \"A\", \"enabled\": true,"
                + " \"options\": {}, \"tags\": [], \"domain_id\": \"default\", \"parent_id\": null, \"is_domain\": false}}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.header("Content-Type")).isEqualTo("application/json");
        JsonNode p = created.json().path("project");
        String id = p.path("id").asText();
        assertThat(id).matches("[0-9a-f]{32}");
        assertThat(p.path("name").asText()).isEqualTo("tenant-a");
        assertThat(p.path("domain_id").asText()).isEqualTo("default");
        assertThat(p.path("parent_id").asText()).isEqualTo("default");
        assertThat(p.path("is_domain").asBoolean()).isFalse();
        assertThat(p.path("links").path("self").asText()).isEqualTo(s.server.url() + "/projects/" + id);

        assertThat(s.get("/v3/projects/" + id, admin).json().path("project")).isEqualTo(p);
        assertThat(s.get("/v3/projects?name=tenant-a", admin).json().path("projects").findValuesAsText("id")).containsExactly(id);
        assertThat(s.get("/v3/projects?name=nothing", admin).json().path("projects")).isEmpty();
        assertThat(s.get("/v3/projects?domain_id=default", admin).json().path("projects").findValuesAsText("name"))
                .containsExactlyInAnyOrder("admin", "wonderland", "tenant-a");
        assertThat(s.get("/v3/projects?domain_id=elsewhere", admin).json().path("projects")).isEmpty();

        Response renamed = patch("/v3/projects/" + id, admin, "{\"project\": {\"name\": \"tenant-b\", \"description\": null, \"enabled\": false}}");
        assertThat(renamed.status()).isEqualTo(200);
        assertThat(renamed.json().path("project").path("name").asText()).isEqualTo("tenant-b");
        assertThat(renamed.json().path("project").path("description").asText()).isEmpty();
        assertThat(s.get("/v3/projects?enabled=false", admin).json().path("projects").findValuesAsText("name")).containsExactly("tenant-b");
        assertThat(s.get("/v3/projects?enabled=true", admin).json().path("projects").findValuesAsText("name")).doesNotContain("tenant-b");

        Response duplicate = s.post("/v3/projects", admin, "{\"project\": {\"name\": \"wonderland\"}}");
        assertThat(duplicate.status()).isEqualTo(409);
        assertThat(duplicate.json().path("error").path("title").asText()).isEqualTo("Conflict");
        assertThat(patch("/v3/projects/" + id, admin, "{\"project\": {\"domain_id\": \"other\"}}").status()).isEqualTo(400);
        assertThat(s.post("/v3/projects", admin, "{\"project\": {\"name\": \"x\", \"domain_id\": \"nowhere\"}}").status()).isEqualTo(404);

        assertThat(delete("/v3/projects/" + id, admin).status()).isEqualTo(204);
        assertThat(s.get("/v3/projects/" + id, admin).status()).isEqualTo(404);
        assertThat(delete("/v3/projects/" + id, admin).status()).isEqualTo(404);
    }

    @Test
    void domainLifecycle() {
        Response created = s.post("/v3/domains", admin, "{\"domain\": {\"name\": \"Partners\", \"description\": \"outside\"}}");
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().path("domain").path("id").asText();
        assertThat(created.json().path("domain").path("enabled").asBoolean()).isTrue();
        assertThat(s.get("/v3/domains?name=Partners", admin).json().path("domains").findValuesAsText("id")).containsExactly(id);
        assertThat(s.get("/v3/domains", admin).json().path("domains").findValuesAsText("name")).containsExactlyInAnyOrder("Default", "Partners");
        String project = s.post("/v3/projects", admin, "{\"project\": {\"name\": \"p\", \"domain_id\": \"" + id + "\"}}")
                .json().path("project").path("id").asText();

        Response enabled = delete("/v3/domains/" + id, admin);
        assertThat(enabled.status()).isEqualTo(409);
        assertThat(enabled.message()).contains("disable");
        assertThat(patch("/v3/domains/" + id, admin, "{\"domain\": {\"enabled\": false, \"name\": \"Former\"}}").json()
                .path("domain").path("name").asText()).isEqualTo("Former");
        assertThat(delete("/v3/domains/" + id, admin).status()).isEqualTo(409); // still holds a project
        assertThat(delete("/v3/projects/" + project, admin).status()).isEqualTo(204);
        assertThat(delete("/v3/domains/" + id, admin).status()).isEqualTo(204);
        assertThat(s.get("/v3/domains/" + id, admin).status()).isEqualTo(404);

        // a member reads the domain it lives in, and no other
        assertThat(s.get("/v3/domains/default", aliceToken).status()).isEqualTo(200);
        assertThat(s.get("/v3/domains", aliceToken).status()).isEqualTo(403);
    }

    @Test
    void userLifecycleNeverShowsAPassword() {
        Response created = s.post("/v3/users", admin, "{\"user\": {\"name\": \"bob\", \"password\": \"b0b-pass\", \"domain_id\": \"default\","
                + " \"enabled\": true, \"options\": {}}}");
        assertThat(created.status()).isEqualTo(201);
        JsonNode u = created.json().path("user");
        String id = u.path("id").asText();
        assertThat(u.has("password")).isFalse();
        assertThat(u.path("password_expires_at").isNull()).isTrue();
        assertThat(created.body()).doesNotContain("argon2").doesNotContain("b0b-pass");
        assertThat(s.get("/v3/users?name=bob", admin).json().path("users").findValuesAsText("id")).containsExactly(id);
        assertThat(s.get("/v3/users", admin).body()).doesNotContain("argon2").doesNotContain("hash");
        assertThat(s.get("/v3/users?domain_id=default&enabled=true", admin).json().path("users").findValuesAsText("name"))
                .containsExactlyInAnyOrder("admin", "alice", "bob");

        String bobToken = s.token("bob", "b0b-pass", null);
        assertThat(s.get("/v3/users/" + id, bobToken).status()).isEqualTo(200);
        assertThat(s.get("/v3/users/" + alice.userId(), bobToken).status()).isEqualTo(403);

        Response renamed = patch("/v3/users/" + id, admin, "{\"user\": {\"name\": \"robert\", \"password\": \"new-pass\"}}");
        assertThat(renamed.status()).isEqualTo(200);
        assertThat(renamed.json().path("user").path("name").asText()).isEqualTo("robert");
        // a password set by an administrator voids the user's tokens
        assertThat(s.get("/v3/users/" + id, bobToken).status()).isEqualTo(401);
        assertThat(s.login("robert", "b0b-pass", null).status()).isEqualTo(401);
        assertThat(s.login("robert", "new-pass", null).status()).isEqualTo(201);

        assertThat(patch("/v3/users/" + id, admin, "{\"user\": {\"enabled\": false}}").json().path("user").path("enabled").asBoolean()).isFalse();
        assertThat(s.login("robert", "new-pass", null).status()).isEqualTo(401);
        assertThat(delete("/v3/users/" + id, admin).status()).isEqualTo(204);
        assertThat(s.get("/v3/users/" + id, admin).status()).isEqualTo(404);
    }

    @Test
    void aUserChangesItsOwnPasswordWithTheOriginal() {
        String path = "/v3/users/" + alice.userId() + "/password";
        Response wrong = s.post(path, null, "{\"user\": {\"password\": \"next\", \"original_password\": \"guess\"}}");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(s.post(path, null, "{\"user\": {\"password\": \"next\"}}").status()).isEqualTo(400);
        assertThat(s.post("/v3/users/nobody/password", null, "{\"user\": {\"password\": \"next\", \"original_password\": \"x\"}}").status())
                .isEqualTo(401);
        Response ok = s.post(path, aliceToken, "{\"user\": {\"password\": \"next\", \"original_password\": \"" + alice.password() + "\"}}");
        assertThat(ok.status()).isEqualTo(204);
        assertThat(s.get("/v3/auth/projects", aliceToken).status()).isEqualTo(401);
        assertThat(s.login("alice", alice.password(), "wonderland").status()).isEqualTo(401);
        assertThat(s.login("alice", "next", "wonderland").status()).isEqualTo(201);
    }

    @Test
    void roleLifecycle() {
        Response created = s.post("/v3/roles", admin, "{\"role\": {\"name\": \"auditor\", \"options\": {}}}");
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().path("role").path("id").asText();
        assertThat(created.json().path("role").path("domain_id").isNull()).isTrue();
        assertThat(s.get("/v3/roles", admin).json().path("roles").findValuesAsText("name"))
                .containsExactlyInAnyOrder("admin", "member", "reader", "auditor");
        assertThat(s.get("/v3/roles?name=auditor", admin).json().path("roles").findValuesAsText("id")).containsExactly(id);
        assertThat(s.get("/v3/roles?domain_id=default", admin).json().path("roles")).isEmpty();
        assertThat(patch("/v3/roles/" + id, admin, "{\"role\": {\"name\": \"inspector\"}}").json().path("role").path("name").asText())
                .isEqualTo("inspector");
        assertThat(s.get("/v3/roles/" + id, admin).json().path("role").path("name").asText()).isEqualTo("inspector");
        assertThat(s.post("/v3/roles", admin, "{\"role\": {\"name\": \"member\"}}").status()).isEqualTo(409);
        assertThat(s.get("/v3/roles", aliceToken).status()).isEqualTo(403);
        assertThat(delete("/v3/roles/" + id, admin).status()).isEqualTo(204);
        assertThat(s.get("/v3/roles/" + id, admin).status()).isEqualTo(404);
    }

    @Test
    void projectGrants() {
        String reader = s.roleId(admin, "reader");
        String grant = "/v3/projects/" + alice.projectId() + "/users/" + alice.userId() + "/roles/" + reader;
        assertThat(s.call("HEAD", grant, admin, null).status()).isEqualTo(404);
        assertThat(s.call("PUT", grant, admin, null).status()).isEqualTo(204);
        assertThat(s.call("PUT", grant, admin, null).status()).isEqualTo(204); // idempotent
        Response head = s.call("HEAD", grant, admin, null);
        assertThat(head.status()).isEqualTo(204);
        assertThat(head.body()).isEmpty();
        assertThat(s.get(grant, admin).status()).isEqualTo(204);
        assertThat(s.get(grant, aliceToken).status()).isEqualTo(204); // her own grant
        Response list = s.get("/v3/projects/" + alice.projectId() + "/users/" + alice.userId() + "/roles", aliceToken);
        assertThat(list.json().path("roles").findValuesAsText("name")).containsExactly("member", "reader");
        assertThat(s.call("PUT", grant, aliceToken, null).status()).isEqualTo(403);
        assertThat(s.call("DELETE", grant, admin, null).status()).isEqualTo(204);
        assertThat(s.call("DELETE", grant, admin, null).status()).isEqualTo(404);
        assertThat(s.call("PUT", "/v3/projects/" + alice.projectId() + "/users/" + alice.userId() + "/roles/0123456789abcdef0123456789abcdef",
                admin, null).status()).isEqualTo(404);
        assertThat(s.call("PUT", "/v3/projects/0123456789abcdef0123456789abcdef/users/" + alice.userId() + "/roles/" + reader,
                admin, null).status()).isEqualTo(404);
    }

    @Test
    void domainGrants() {
        String reader = s.roleId(admin, "reader");
        String grant = "/v3/domains/default/users/" + alice.userId() + "/roles/" + reader;
        assertThat(s.call("PUT", grant, admin, null).status()).isEqualTo(204);
        assertThat(s.call("HEAD", grant, admin, null).status()).isEqualTo(204);
        assertThat(s.get("/v3/domains/default/users/" + alice.userId() + "/roles", admin).json().path("roles").findValuesAsText("name"))
                .containsExactly("reader");
        assertThat(s.get("/v3/auth/domains", aliceToken).json().path("domains").findValuesAsText("id")).containsExactly("default");
        Response assignments = s.get("/v3/role_assignments?scope.domain.id=default&include_names", admin);
        assertThat(assignments.json().path("role_assignments").path(0).path("scope").path("domain").path("name").asText()).isEqualTo("Default");
        assertThat(s.call("DELETE", grant, admin, null).status()).isEqualTo(204);
        assertThat(s.call("HEAD", grant, admin, null).status()).isEqualTo(404);
    }

    @Test
    void roleAssignmentsWithKeystoneFilters() {
        String member = s.roleId(admin, "member");
        Response all = s.get("/v3/role_assignments", admin);
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.json().path("role_assignments")).hasSize(2);

        Response mine = s.get("/v3/role_assignments?user.id=" + alice.userId() + "&scope.project.id=" + alice.projectId()
                + "&role.id=" + member + "&effective", admin);
        JsonNode a = mine.json().path("role_assignments");
        assertThat(a).hasSize(1);
        assertThat(a.path(0).path("user").path("id").asText()).isEqualTo(alice.userId());
        assertThat(a.path(0).path("scope").path("project").path("id").asText()).isEqualTo(alice.projectId());
        assertThat(a.path(0).path("role").has("name")).isFalse();
        assertThat(a.path(0).path("links").path("assignment").asText())
                .isEqualTo(s.server.url() + "/projects/" + alice.projectId() + "/users/" + alice.userId() + "/roles/" + member);

        JsonNode named = s.get("/v3/role_assignments?scope.project.id=" + alice.projectId() + "&include_names=True", admin)
                .json().path("role_assignments").path(0);
        assertThat(named.path("role").path("name").asText()).isEqualTo("member");
        assertThat(named.path("user").path("name").asText()).isEqualTo("alice");
        assertThat(named.path("user").path("domain").path("name").asText()).isEqualTo("Default");
        assertThat(named.path("scope").path("project").path("name").asText()).isEqualTo("wonderland");
        assertThat(named.path("scope").path("project").path("domain").path("id").asText()).isEqualTo("default");

        assertThat(s.get("/v3/role_assignments?role.id=" + member, admin).json().path("role_assignments")).hasSize(1);
        assertThat(s.get("/v3/role_assignments?group.id=abc", admin).json().path("role_assignments")).isEmpty();
        assertThat(s.get("/v3/role_assignments?user.id=../../x", admin).json().path("role_assignments")).isEmpty();
        assertThat(s.get("/v3/role_assignments?scope.project.id=a&scope.domain.id=b", admin).status()).isEqualTo(400);
        assertThat(s.get("/v3/role_assignments", aliceToken).status()).isEqualTo(403);
    }

    @Test
    void membersReadThemselvesAndTheirProjectsOnly() {
        assertThat(s.get("/v3/projects/" + alice.projectId(), aliceToken).status()).isEqualTo(200);
        String adminProject = s.get("/v3/projects?name=admin", admin).json().path("projects").path(0).path("id").asText();
        Response other = s.get("/v3/projects/" + adminProject, aliceToken);
        assertThat(other.status()).isEqualTo(403);
        assertThat(other.json().path("error").path("title").asText()).isEqualTo("Forbidden");
        assertThat(other.message()).isEqualTo("You are not authorized to perform the requested action: identity:get_project.");
        assertThat(s.get("/v3/projects", aliceToken).status()).isEqualTo(403);
        assertThat(s.get("/v3/users", aliceToken).status()).isEqualTo(403);
        Response own = s.get("/v3/users/" + alice.userId() + "/projects", aliceToken);
        assertThat(own.status()).isEqualTo(200);
        assertThat(own.json().path("projects").findValuesAsText("id")).containsExactly(alice.projectId());
        String adminUser = s.get("/v3/users?name=admin", admin).json().path("users").path(0).path("id").asText();
        assertThat(s.get("/v3/users/" + adminUser + "/projects", aliceToken).status()).isEqualTo(403);
        assertThat(s.get("/v3/users/" + alice.userId() + "/projects", admin).status()).isEqualTo(200);

        var before = s.snapshot();
        for (Response r : java.util.List.of(
                s.post("/v3/projects", aliceToken, "{\"project\": {\"name\": \"mine\"}}"),
                s.post("/v3/users", aliceToken, "{\"user\": {\"name\": \"mallory\"}}"),
                s.post("/v3/roles", aliceToken, "{\"role\": {\"name\": \"boss\"}}"),
                s.post("/v3/domains", aliceToken, "{\"domain\": {\"name\": \"mine\"}}"),
                patch("/v3/users/" + alice.userId(), aliceToken, "{\"user\": {\"name\": \"queen\"}}"),
                delete("/v3/projects/" + alice.projectId(), aliceToken),
                s.call("PUT", "/v3/projects/" + adminProject + "/users/" + alice.userId() + "/roles/" + s.roleId(admin, "admin"), aliceToken, null))) {
            assertThat(r.status()).as(r.body()).isEqualTo(403);
        }
        Response anonymous = s.post("/v3/projects", null, "{\"project\": {\"name\": \"mine\"}}");
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.header("WWW-Authenticate")).isEqualTo("Keystone uri=\"" + s.root() + "\"");
        assertThat(s.post("/v3/projects", "garbage", "{\"project\": {\"name\": \"mine\"}}").status()).isEqualTo(401);
        assertThat(s.snapshot()).isEqualTo(before);
    }

    @Test
    void deletingAProjectOrUserTakesItsGrantsAlong() {
        assertThat(delete("/v3/projects/" + alice.projectId(), admin).status()).isEqualTo(204);
        assertThat(s.get("/v3/role_assignments?user.id=" + alice.userId(), admin).json().path("role_assignments")).isEmpty();
        assertThat(s.get("/v3/auth/projects", aliceToken).status()).isEqualTo(401);
        assertThat(delete("/v3/users/" + alice.userId(), admin).status()).isEqualTo(204);
        assertThat(s.login("alice", alice.password(), null).status()).isEqualTo(401);
    }
}
