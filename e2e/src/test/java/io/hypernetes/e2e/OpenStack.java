package io.hypernetes.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real OpenStack CLI ({@code /usr/bin/openstack}, python3-openstackclient) with a given {@code OS_*}
 * environment and nothing else of the test's. Each start of the CLI costs about a second of Python, so
 * {@link #batch} feeds several commands to one run through its interactive mode (commands read from stdin).
 */
record OpenStack(Map<String, String> env) {
    static final Path BINARY = Path.of("/usr/bin/openstack");
    private static final Pattern EXPORT = Pattern.compile("^export ([A-Z_]+)=(?:'([^']*)'|(\\S*))$");

    /** What one run printed. */
    record Result(int exit, String stdout, String stderr) {
        Result ok() {
            if (exit != 0 || !stderr.isBlank()) {
                throw new AssertionError("openstack exited " + exit + "\nstdout: " + stdout + "\nstderr: " + stderr);
            }
            return this;
        }

        /** The one line printed by a {@code -f value -c X} command. */
        String value() {
            return ok().stdout.strip();
        }
    }

    /** The {@code export K='v'} lines of an rc file such as {@code admin-openrc}. */
    static OpenStack fromRc(Path rc) {
        Map<String, String> env = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(rc, StandardCharsets.UTF_8)) {
                Matcher m = EXPORT.matcher(line.strip());
                if (m.matches()) env.put(m.group(1), m.group(2) != null ? m.group(2) : m.group(3));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!env.containsKey("OS_AUTH_URL") || !env.containsKey("OS_PASSWORD")) {
            throw new IllegalStateException(rc + " has no OS_AUTH_URL/OS_PASSWORD: " + env.keySet());
        }
        return new OpenStack(Map.copyOf(env));
    }

    /** The same Keystone and CA as another user, scoped to a project by name. */
    OpenStack as(String user, String password, String project) {
        Map<String, String> e = new LinkedHashMap<>(env);
        e.put("OS_USERNAME", user);
        e.put("OS_PASSWORD", password);
        e.put("OS_PROJECT_NAME", project);
        return new OpenStack(Map.copyOf(e));
    }

    String get(String key) {
        return env.get(key);
    }

    Result run(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(BINARY.toString());
        cmd.addAll(List.of(args));
        return exec(cmd, null);
    }

    /**
     * Several commands in one run of the CLI (its interactive mode reads them from stdin, one a line). The CLI
     * exits 0 whatever the commands did; a failed one writes to stderr, which {@link Result#ok()} refuses.
     */
    Result batch(String... commands) {
        return exec(List.of(BINARY.toString()), (String.join("\n", commands) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private Result exec(List<String> cmd, byte[] stdin) {
        try {
            Path out = Files.createTempFile("openstack", ".out");
            Path err = Files.createTempFile("openstack", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().keySet().removeIf(k -> k.startsWith("OS_"));
                pb.environment().putAll(env);
                Process p = pb.start();
                try {
                    if (stdin != null) p.getOutputStream().write(stdin);
                    p.getOutputStream().close();
                    if (!p.waitFor(120, TimeUnit.SECONDS)) throw new AssertionError("openstack " + cmd + " timed out");
                } finally {
                    if (p.isAlive()) p.destroyForcibly();
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
