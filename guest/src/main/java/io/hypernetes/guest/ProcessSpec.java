package io.hypernetes.guest;

import java.util.List;
import java.util.regex.Pattern;

/**
 * START_PROCESS. The container's {@code init} process gets its own mount and PID namespace
 * (killing it ends the container); the others join those namespaces, as {@code docker exec}.
 *
 * @param args     args[0] is looked up in the PATH of {@code env} inside the container, as Docker does
 * @param env      NAME=value entries
 * @param user     "uid[:gid]" or "name[:group]" resolved from the container's /etc/passwd and /etc/group;
 *                 empty for root
 * @param columns  initial terminal width when {@code tty}
 */
public record ProcessSpec(String containerId, boolean init, List<String> args, List<String> env, String workdir,
                          String user, boolean tty, boolean stdin, int columns, int rows) {

    private static final Pattern USER = Pattern.compile("([A-Za-z0-9_.][A-Za-z0-9_.-]{0,63})?(:[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63})?");

    public ProcessSpec {
        Checks.name("container id", containerId);
        args = Checks.texts("argument", args);
        if (args.isEmpty() || args.getFirst().isEmpty()) {
            throw new IllegalArgumentException("a process needs a non-empty first argument");
        }
        env = Checks.texts("environment entry", env);
        for (String e : env) {
            if (e.indexOf('=') <= 0) {
                throw new IllegalArgumentException("environment entry '" + e + "' is not NAME=value");
            }
        }
        if (args.size() > 512 || env.size() > 512) {
            throw new IllegalArgumentException("at most 512 arguments and 512 environment entries");
        }
        Checks.absolutePath("working directory", workdir);
        if (!USER.matcher(Checks.text("user", user)).matches()) {
            throw new IllegalArgumentException("user '" + user + "' is not uid[:gid] or name[:group]");
        }
        if (columns < 0 || columns > 65535 || rows < 0 || rows > 65535) {
            throw new IllegalArgumentException("terminal size " + columns + "x" + rows + " is not in 0..65535");
        }
    }

    /** The container's main process: no terminal, no stdin, root, in /. */
    public static ProcessSpec init(String containerId, List<String> args, List<String> env) {
        return new ProcessSpec(containerId, true, args, env, "/", "", false, false, 0, 0);
    }

    /** Another process in a running container. */
    public static ProcessSpec exec(String containerId, List<String> args) {
        return new ProcessSpec(containerId, false, args, List.of(), "/", "", false, false, 0, 0);
    }

    public ProcessSpec withStdin(boolean open) {
        return new ProcessSpec(containerId, init, args, env, workdir, user, tty, open, columns, rows);
    }

    public ProcessSpec withTty(int columns, int rows) {
        return new ProcessSpec(containerId, init, args, env, workdir, user, true, stdin, columns, rows);
    }

    public ProcessSpec withUser(String user) {
        return new ProcessSpec(containerId, init, args, env, workdir, user, tty, stdin, columns, rows);
    }

    public ProcessSpec withWorkdir(String workdir) {
        return new ProcessSpec(containerId, init, args, env, workdir, user, tty, stdin, columns, rows);
    }

    public ProcessSpec withEnv(List<String> env) {
        return new ProcessSpec(containerId, init, args, env, workdir, user, tty, stdin, columns, rows);
    }

    byte[] encode(int processId) {
        Tlv.Writer w = Tlv.writer().integer(Protocol.TAG_PROCESS, Integer.toUnsignedLong(processId))
                .string(Protocol.TAG_CONTAINER, containerId).flag(Protocol.TAG_INIT, init);
        args.forEach(a -> w.string(Protocol.TAG_ARG, a));
        env.forEach(e -> w.string(Protocol.TAG_ENV, e));
        w.string(Protocol.TAG_WORKDIR, workdir);
        if (!user.isEmpty()) {
            w.string(Protocol.TAG_USER, user);
        }
        w.flag(Protocol.TAG_TTY, tty).flag(Protocol.TAG_STDIN, stdin);
        if (tty) {
            w.integer(Protocol.TAG_COLUMNS, columns).integer(Protocol.TAG_ROWS, rows);
        }
        return w.toByteArray();
    }
}
