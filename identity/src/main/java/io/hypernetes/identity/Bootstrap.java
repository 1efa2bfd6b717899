package io.hypernetes.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First-start setup: domain {@code default}, roles {@code admin}, {@code member} and {@code reader}, project
 * {@code admin}, user {@code admin} with a generated password and the {@code admin} role on the {@code admin}
 * project, and {@code DIR/admin-openrc} (mode 0600) for {@code source}-ing before the OpenStack CLI.
 *
 * <p>Idempotent and resumable: each piece is created only if missing, so a start after a crash finishes the
 * job and a normal second start changes nothing. The password is generated only while the admin user does not
 * exist, and the rc file is written <em>before</em> the user, so a crash in between costs a regenerated
 * password, never an admin whose password nobody knows.
 */
public final class Bootstrap {
    private static final Logger LOG = LoggerFactory.getLogger(Bootstrap.class);
    public static final String ADMIN = "admin";
    public static final String MEMBER = "member";
    public static final String READER = "reader";
    public static final String OPENRC = "admin-openrc";

    /**
     * @param adminPassword the generated password, present only on the start that created the admin user: the
     *     caller prints it once
     * @param openrc the rc file's path
     */
    public record Result(Optional<String> adminPassword, Path openrc) {
        @Override
        public String toString() {
            return "Result[adminPassword=" + (adminPassword.isPresent() ? "generated" : "none") + ", openrc=" + openrc + "]";
        }
    }

    private Bootstrap() {}

    /**
     * @param authUrl the identity endpoint clients use, e.g. {@code https://127.0.0.1:5000/v3}
     * @param caCert the CA certificate clients should trust (for {@code OS_CACERT}), or null without TLS
     */
    public static Result run(Directory directory, Passwords passwords, Path dataDir, URI authUrl, Path caCert) {
        Domain domain = directory.domain(Domain.DEFAULT_ID).orElseGet(() -> createIfAbsent(
                () -> directory.createDomain(new Domain(Domain.DEFAULT_ID, Domain.DEFAULT_NAME, "The default domain", true)),
                () -> directory.domain(Domain.DEFAULT_ID)));
        Role admin = role(directory, ADMIN);
        role(directory, MEMBER);
        role(directory, READER);
        Project project = directory.projectByName(domain.id(), ADMIN).orElseGet(() -> createIfAbsent(
                () -> directory.createProject(Project.of(ADMIN, domain.id(), "Bootstrap project for the cluster administrator")),
                () -> directory.projectByName(domain.id(), ADMIN)));

        Path openrc = dataDir.resolve(OPENRC);
        Optional<String> generated = Optional.empty();
        User user = directory.userByName(domain.id(), ADMIN).orElse(null);
        if (user == null) {
            String password = newPassword();
            writeOpenrc(openrc, authUrl, password, caCert, domain);
            user = directory.createUser(User.of(ADMIN, domain.id(), passwords.hash(password)));
            generated = Optional.of(password);
            LOG.info("bootstrap: created user admin ({}); credentials in {}", user.id(), openrc);
        } else {
            refreshOpenrc(openrc, authUrl, caCert);
        }
        directory.grant(new RoleAssignment(admin.id(), user.id(), Scope.project(project.id())));
        return new Result(generated, openrc);
    }

    private static Role role(Directory directory, String name) {
        return directory.roleByName(name).orElseGet(() -> createIfAbsent(
                () -> directory.createRole(Role.of(name)), () -> directory.roleByName(name)));
    }

    /** Creates, or takes what a concurrent start created a moment earlier. */
    private static <T> T createIfAbsent(java.util.function.Supplier<T> create, java.util.function.Supplier<Optional<T>> lookUp) {
        try {
            return create.get();
        } catch (ConflictException raced) {
            return lookUp.get().orElseThrow(() -> raced);
        }
    }

    /** 24 URL-safe base64 characters: 144 random bits, and nothing a shell or a YAML file would misread. */
    private static String newPassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String openrc(URI authUrl, String password, Path caCert, Domain domain) {
        StringBuilder rc = new StringBuilder()
                .append("# Hypernetes cluster administrator. Use: source ").append(OPENRC).append('\n')
                .append("export OS_AUTH_URL=").append(shellQuote(authUrl.toString())).append('\n')
                .append("export OS_IDENTITY_API_VERSION=3\n")
                .append("export OS_USERNAME=").append(ADMIN).append('\n')
                .append("export OS_PASSWORD=").append(shellQuote(password)).append('\n')
                .append("export OS_PROJECT_NAME=").append(ADMIN).append('\n')
                .append("export OS_USER_DOMAIN_NAME=").append(shellQuote(domain.name())).append('\n')
                .append("export OS_PROJECT_DOMAIN_NAME=").append(shellQuote(domain.name())).append('\n');
        if (caCert != null) rc.append("export OS_CACERT=").append(shellQuote(caCert.toAbsolutePath().toString())).append('\n');
        return rc.toString();
    }

    private static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /**
     * Points an existing rc file at where the service is now: a server started with port 0, or moved, must not
     * leave the administrator's rc file naming a dead endpoint. Only the {@code OS_AUTH_URL} and {@code OS_CACERT}
     * lines are rewritten (the password and anything the operator added stay); an unchanged file is not touched.
     */
    static void refreshOpenrc(Path openrc, URI authUrl, Path caCert) {
        if (!Files.isRegularFile(openrc)) return;
        try {
            String current = Files.readString(openrc, StandardCharsets.UTF_8);
            String authLine = "export OS_AUTH_URL=" + shellQuote(authUrl.toString());
            String caLine = caCert == null ? null : "export OS_CACERT=" + shellQuote(caCert.toAbsolutePath().toString());
            StringBuilder next = new StringBuilder();
            boolean sawCa = false;
            for (String line : current.split("\n", -1)) {
                if (line.startsWith("export OS_AUTH_URL=")) {
                    line = authLine;
                } else if (line.startsWith("export OS_CACERT=")) {
                    sawCa = true;
                    if (caLine == null) continue;
                    line = caLine;
                }
                next.append(line).append('\n');
            }
            next.setLength(next.length() - 1); // split kept the text after the last newline as a final element
            if (caLine != null && !sawCa) {
                if (!next.isEmpty() && next.charAt(next.length() - 1) != '\n') next.append('\n');
                next.append(caLine).append('\n');
            }
            if (next.toString().equals(current)) return;
            writeAtomically(openrc, next.toString());
            LOG.info("bootstrap: {} now points at {}", openrc, authUrl);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update " + openrc, e);
        }
    }

    private static void writeOpenrc(Path openrc, URI authUrl, String password, Path caCert, Domain domain) {
        writeAtomically(openrc, openrc(authUrl, password, caCert, domain));
    }

    /** Written to a 0600 temporary file, forced, then renamed: never a moment where the password is world-readable. */
    private static void writeAtomically(Path openrc, String content) {
        try {
            Files.createDirectories(openrc.getParent());
            Path tmp = openrc.resolveSibling(OPENRC + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(tmp, openrc, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + openrc, e);
        }
    }
}
