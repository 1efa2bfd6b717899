#include "hyperstart.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MAX_ARGS 512

struct process *processes;

struct process *process_find(uint32_t id)
{
	for (struct process *p = processes; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

struct spec {
	uint32_t id;
	const char *container, *workdir, *user;
	int64_t init, tty, open_stdin, cols, rows;
	char *argv[MAX_ARGS + 1];
	int argc;
	char *envp[MAX_ARGS + 4];
	int envc;
};

struct ids { uid_t uid; gid_t gid; gid_t groups[64]; int ngroups; char home[256]; };

/* Splits one line of /etc/passwd or /etc/group into its ':' fields. */
static int fields(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == ':') {
			*p = 0;
			f[n++] = p + 1;
		}
	return n;
}

static int numeric(const char *s, unsigned long *out)
{
	if (!*s)
		return 0;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || errno || v > 0x7fffffff)
		return 0;
	*out = v;
	return 1;
}

/*
 * Resolves "user[:group]" (names or numbers) the way Docker does: from the
 * container's own /etc/passwd and /etc/group, never from the guest's.
 */
static int resolve_user(const char *rootfs, const char *spec, struct ids *ids, char *err, size_t errlen)
{
	char user[256], group[256] = "";
	memset(ids, 0, sizeof(*ids));
	snprintf(ids->home, sizeof(ids->home), "/");
	if (!spec || !*spec)
		spec = "0";
	const char *colon = strchr(spec, ':');
	if (strlen(spec) >= sizeof(user)) {
		snprintf(err, errlen, "user '%s' is too long", spec);
		return -1;
	}
	if (colon) {
		snprintf(user, sizeof(user), "%.*s", (int)(colon - spec), spec);
		snprintf(group, sizeof(group), "%s", colon + 1);
	} else {
		snprintf(user, sizeof(user), "%s", spec);
	}
	unsigned long num;
	int user_numeric = numeric(user, &num), found = 0;
	if (user_numeric)
		ids->uid = (uid_t)num;
	char path[512], line[1024], name[256] = "";
	snprintf(path, sizeof(path), "%s/etc/passwd", rootfs);
	FILE *f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			char *fl[7];
			if (fields(line, fl, 7) < 7)
				continue;
			unsigned long u, g;
			if (!numeric(fl[2], &u) || !numeric(fl[3], &g))
				continue;
			if ((user_numeric && u == num) || (!user_numeric && !strcmp(fl[0], user))) {
				ids->uid = (uid_t)u;
				ids->gid = (gid_t)g;
				snprintf(ids->home, sizeof(ids->home), "%s", fl[5]);
				snprintf(name, sizeof(name), "%s", fl[0]);
				found = 1;
				break;
			}
		}
		fclose(f);
	}
	if (!found && !user_numeric) {
		snprintf(err, errlen, "unable to find user %s: no matching entries in passwd file", user);
		return -1;
	}
	int group_numeric = group[0] && numeric(group, &num);
	if (group_numeric)
		ids->gid = (gid_t)num;
	int group_found = !group[0] || group_numeric;
	snprintf(path, sizeof(path), "%s/etc/group", rootfs);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			char *fl[4];
			if (fields(line, fl, 4) < 4)
				continue;
			unsigned long g;
			if (!numeric(fl[2], &g))
				continue;
			if (group[0] && !group_numeric && !strcmp(fl[0], group)) {
				ids->gid = (gid_t)g;
				group_found = 1;
			}
			/* supplementary groups only when no group was named, as Docker does */
			if (!group[0] && name[0] && ids->ngroups < 64) {
				for (char *m = strtok(fl[3], ","); m; m = strtok(NULL, ","))
					if (!strcmp(m, name))
						ids->groups[ids->ngroups++] = (gid_t)g;
			}
		}
		fclose(f);
	}
	if (!group_found) {
		snprintf(err, errlen, "unable to find group %s: no matching entries in group file", group);
		return -1;
	}
	return 0;
}

static int parse_spec(const uint8_t *p, size_t n, struct spec *s, struct reply *r)
{
	memset(s, 0, sizeof(*s));
	int64_t id = -1;
	struct tlv_iter it;
	struct tlv t;
	int rc;
	tlv_iter_init(&it, p, n);
	while ((rc = tlv_next(&it, &t)) > 0) {
		char *str;
		switch (t.tag) {
		case TAG_CONTAINER: case TAG_WORKDIR: case TAG_USER: case TAG_ARG: case TAG_ENV:
			if (!(str = arena_str(&t, r->message, sizeof(r->message)))) {
				fail(r, EINVAL, "%s", r->message);
				return -1;
			}
			if (t.tag == TAG_CONTAINER) s->container = str;
			else if (t.tag == TAG_WORKDIR) s->workdir = str;
			else if (t.tag == TAG_USER) s->user = str;
			else if (t.tag == TAG_ARG) {
				if (s->argc == MAX_ARGS) {
					fail(r, EINVAL, "more than %d arguments", MAX_ARGS);
					return -1;
				}
				s->argv[s->argc++] = str;
			} else {
				if (s->envc == MAX_ARGS) {
					fail(r, EINVAL, "more than %d environment variables", MAX_ARGS);
					return -1;
				}
				if (!strchr(str, '=') || str[0] == '=') {
					fail(r, EINVAL, "environment entry '%s' is not NAME=value", str);
					return -1;
				}
				s->envp[s->envc++] = str;
			}
			break;
		case TAG_PROCESS: case TAG_INIT: case TAG_TTY: case TAG_STDIN: case TAG_COLUMNS: case TAG_ROWS: {
			int64_t v;
			if (tlv_int(&t, &v, r->message, sizeof(r->message)) < 0) {
				fail(r, EINVAL, "%s", r->message);
				return -1;
			}
			if (t.tag == TAG_PROCESS) id = v;
			else if (t.tag == TAG_INIT) s->init = v;
			else if (t.tag == TAG_TTY) s->tty = v;
			else if (t.tag == TAG_STDIN) s->open_stdin = v;
			else if (t.tag == TAG_COLUMNS) s->cols = v;
			else s->rows = v;
			break;
		}
		default:
			fail(r, EINVAL, "START_PROCESS: unknown tag %u", t.tag);
			return -1;
		}
	}
	if (rc < 0) {
		fail(r, EINVAL, "START_PROCESS: malformed TLV");
		return -1;
	}
	if (id <= 0 || id > 0xffffffffLL) {
		fail(r, EINVAL, "START_PROCESS: process id must be in 1..4294967295");
		return -1;
	}
	s->id = (uint32_t)id;
	if (!s->container || !valid_name(s->container)) {
		fail(r, EINVAL, "START_PROCESS: container id '%s' is not valid", s->container ? s->container : "");
		return -1;
	}
	if (s->argc == 0 || !s->argv[0][0]) {
		fail(r, EINVAL, "START_PROCESS: at least one non-empty argument is required");
		return -1;
	}
	if (s->workdir && !valid_absolute_path(s->workdir)) {
		fail(r, EINVAL, "START_PROCESS: workdir '%s' must be an absolute path", s->workdir);
		return -1;
	}
	if (s->cols < 0 || s->cols > 65535 || s->rows < 0 || s->rows > 65535) {
		fail(r, EINVAL, "START_PROCESS: terminal size must be in 0..65535");
		return -1;
	}
	return 0;
}

static int has_env(struct spec *s, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < s->envc; i++)
		if (!strncmp(s->envp[i], name, n) && s->envp[i][n] == '=')
			return 1;
	return 0;
}

static const char *env_value(struct spec *s, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < s->envc; i++)
		if (!strncmp(s->envp[i], name, n) && s->envp[i][n] == '=')
			return s->envp[i] + n + 1;
	return NULL;
}

/* ---- child side: everything below runs in the forked child and ends in execve or _exit ---- */

static int errpipe = -1;

static void __attribute__((noreturn)) child_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void child_fail(int code, const char *fmt, ...)
{
	char msg[600];
	uint8_t out[4 + sizeof(msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t n = strlen(msg);
	out[0] = (uint8_t)(code >> 24); out[1] = (uint8_t)(code >> 16); out[2] = (uint8_t)(code >> 8); out[3] = (uint8_t)code;
	memcpy(out + 4, msg, n);
	if (write(errpipe, out, 4 + n) < 0) {
		/* the parent sees EOF without a message and reports the exit code */
	}
	_exit(code);
}

static void mknod_dev(const char *root, const char *name, mode_t mode, unsigned maj, unsigned min)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/dev/%s", root, name);
	if (mknod(path, S_IFCHR | mode, makedev(maj, min)) < 0)
		child_fail(126, "mknod /dev/%s: %s", name, strerror(errno));
}

static void mount_in(const char *root, const char *dir, const char *fstype, unsigned long flags, const char *data)
{
	char path[512];
	snprintf(path, sizeof(path), "%s%s", root, dir);
	if (mkdir_p(path, 0755) < 0 || mount(fstype, path, fstype, flags, data) < 0)
		child_fail(126, "mount %s on %s: %s", fstype, dir, strerror(errno));
}

static void link_in(const char *root, const char *target, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/dev/%s", root, name);
	if (symlink(target, path) < 0)
		child_fail(126, "symlink /dev/%s: %s", name, strerror(errno));
}

/* The container's init: a private copy of the container's mounts becomes its root. */
static void enter_new_container(const char *rootfs)
{
	if (unshare(CLONE_NEWNS) < 0)
		child_fail(126, "unshare mount namespace: %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail(126, "make mounts private: %s", strerror(errno));
	mount_in(rootfs, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_in(rootfs, "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
	mount_in(rootfs, "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
	mknod_dev(rootfs, "null", 0666, 1, 3);
	mknod_dev(rootfs, "zero", 0666, 1, 5);
	mknod_dev(rootfs, "full", 0666, 1, 7);
	mknod_dev(rootfs, "random", 0666, 1, 8);
	mknod_dev(rootfs, "urandom", 0666, 1, 9);
	mknod_dev(rootfs, "tty", 0666, 5, 0);
	mount_in(rootfs, "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
	mount_in(rootfs, "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
	link_in(rootfs, "pts/ptmx", "ptmx");
	link_in(rootfs, "/proc/self/fd", "fd");
	link_in(rootfs, "/proc/self/fd/0", "stdin");
	link_in(rootfs, "/proc/self/fd/1", "stdout");
	link_in(rootfs, "/proc/self/fd/2", "stderr");
	/* the initramfs cannot be pivot_root'ed away: move the rootfs over / and chroot into it */
	if (chdir(rootfs) < 0)
		child_fail(126, "chdir %s: %s", rootfs, strerror(errno));
	if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
		child_fail(126, "move rootfs: %s", strerror(errno));
	if (chroot(".") < 0 || chdir("/") < 0)
		child_fail(126, "chroot: %s", strerror(errno));
}

static void __attribute__((noreturn)) exec_child(struct spec *s, struct ids *ids, int fds[3], int ctty)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (setsid() < 0)
		child_fail(126, "setsid: %s", strerror(errno));
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			child_fail(126, "dup2: %s", strerror(errno));
	if (ctty && ioctl(0, TIOCSCTTY, 0) < 0)
		child_fail(126, "controlling terminal: %s", strerror(errno));
	const char *workdir = s->workdir ? s->workdir : "/";
	if (chdir(workdir) < 0) {
		if (errno != ENOENT || mkdir_p(workdir, 0755) < 0 || chdir(workdir) < 0)
			child_fail(126, "chdir to cwd (\"%s\") set in config.json failed: %s", workdir, strerror(errno));
	}
	if (setgroups((size_t)ids->ngroups, ids->groups) < 0 || setgid(ids->gid) < 0 || setuid(ids->uid) < 0)
		child_fail(126, "set user %u:%u: %s", ids->uid, ids->gid, strerror(errno));

	const char *file = s->argv[0];
	char path[4096];
	if (!strchr(file, '/')) {
		const char *dirs = env_value(s, "PATH");
		int found = 0;
		for (const char *d = dirs; d && *d && !found;) {
			const char *end = strchr(d, ':');
			size_t n = end ? (size_t)(end - d) : strlen(d);
			snprintf(path, sizeof(path), "%.*s/%s", (int)(n ? n : 1), n ? d : ".", file);
			struct stat st;
			if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode) && (st.st_mode & 0111))
				found = 1;
			d = end ? end + 1 : d + n;
		}
		if (!found)
			child_fail(127, "exec: \"%s\": executable file not found in $PATH", file);
		file = path;
	}
	execve(file, s->argv, s->envp);
	int e = errno;
	/* Go's (and so Docker's) spelling: "permission denied", "no such file or directory" */
	char reason[128];
	snprintf(reason, sizeof(reason), "%s", strerror(e));
	if (reason[0] >= 'A' && reason[0] <= 'Z')
		reason[0] = (char)(reason[0] - 'A' + 'a');
	child_fail(e == ENOENT || e == ENOTDIR ? 127 : 126, "exec: \"%s\": %s", s->argv[0], reason);
}

/* ---- parent side ---- */

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void handle_start_process(uint32_t reqid, const uint8_t *p, size_t n, struct reply *r)
{
	(void)reqid;
	static struct spec s; /* large: keep it off PID 1's stack */
	if (parse_spec(p, n, &s, r) < 0)
		return;
	if (process_find(s.id))
		return fail(r, EEXIST, "process id %u already exists", s.id);
	struct container *c = container_find(s.container);
	if (!c)
		return fail(r, ENOENT, "container %s not found", s.container);
	struct process *init = NULL;
	for (struct process *q = processes; q; q = q->next)
		if (q->init && !strcmp(q->container, s.container))
			init = q;
	if (s.init && init)
		return fail(r, EEXIST, "container %s already has an init process (%u)", s.container, init->id);
	if (!s.init && (!init || !init->running))
		return fail(r, ESRCH, "container %s is not running (its init process is gone)", s.container);

	struct ids ids;
	if (resolve_user(c->rootfs, s.user, &ids, r->message, sizeof(r->message)) < 0)
		return fail(r, 126, "%s", r->message);
	/* Docker's defaults for what the image and the request leave unset */
	static char pathenv[] = "PATH=" DEFAULT_PATH, termenv[] = "TERM=xterm";
	static char homeenv[300];
	if (!has_env(&s, "PATH"))
		s.envp[s.envc++] = pathenv;
	if (!has_env(&s, "HOME")) {
		snprintf(homeenv, sizeof(homeenv), "HOME=%s", ids.home);
		s.envp[s.envc++] = homeenv;
	}
	if (s.tty && !has_env(&s, "TERM"))
		s.envp[s.envc++] = termenv;
	s.envp[s.envc] = NULL;
	s.argv[s.argc] = NULL;

	int nsfd[3] = { -1, -1, -1 }; /* pid ns, mnt ns, root of the running init */
	if (!s.init) {
		char path[64];
		const char *what[3] = { "ns/pid", "ns/mnt", "root" };
		for (int i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "/proc/%d/%s", init->pid, what[i]);
			if ((nsfd[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
				fail(r, ESRCH, "container %s: %s: %s", s.container, path, strerror(errno));
				goto close_ns;
			}
		}
	}

	int child_fds[3] = { -1, -1, -1 }, master = -1, in_w = -1, out_r[2] = { -1, -1 }, ep[2] = { -1, -1 };
	if (s.tty) {
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
			fail(r, errno, "pty: %s", strerror(errno));
			goto cleanup;
		}
		struct winsize ws = { .ws_row = (unsigned short)(s.rows ? s.rows : 24), .ws_col = (unsigned short)(s.cols ? s.cols : 80) };
		ioctl(master, TIOCSWINSZ, &ws);
		int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (slave < 0) {
			fail(r, errno, "pty slave: %s", strerror(errno));
			goto cleanup;
		}
		child_fds[0] = slave;
		child_fds[1] = dup(slave);
		child_fds[2] = dup(slave);
	} else {
		int pin[2], po[2], pe[2];
		if (s.open_stdin) {
			if (pipe2(pin, O_CLOEXEC) < 0) {
				fail(r, errno, "pipe: %s", strerror(errno));
				goto cleanup;
			}
			child_fds[0] = pin[0];
			in_w = pin[1];
		} else {
			child_fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		}
		if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
			fail(r, errno, "pipe: %s", strerror(errno));
			goto cleanup;
		}
		child_fds[1] = po[1];
		out_r[0] = po[0];
		child_fds[2] = pe[1];
		out_r[1] = pe[0];
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		fail(r, errno, "pipe: %s", strerror(errno));
		goto cleanup;
	}

	pid_t pid;
	if (s.init) {
		/* a new PID namespace whose init is the process itself: killing it kills the container */
		pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0) {
			errpipe = ep[1];
			enter_new_container(c->rootfs);
			exec_child(&s, &ids, child_fds, s.tty);
		}
	} else {
		int self = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(nsfd[0], CLONE_NEWPID) < 0) {
			fail(r, errno, "join PID namespace of container %s: %s", s.container, strerror(errno));
			if (self >= 0)
				close(self);
			goto cleanup;
		}
		pid = fork();
		if (pid == 0) {
			errpipe = ep[1];
			if (setns(nsfd[1], CLONE_NEWNS) < 0)
				child_fail(126, "join mount namespace: %s", strerror(errno));
			if (fchdir(nsfd[2]) < 0 || chroot(".") < 0 || chdir("/") < 0)
				child_fail(126, "enter container root: %s", strerror(errno));
			exec_child(&s, &ids, child_fds, s.tty);
		}
		if (setns(self, CLONE_NEWPID) < 0)
			logf_console("cannot return to own PID namespace: %s", strerror(errno));
		close(self);
	}
	if (pid < 0) {
		fail(r, errno, "fork: %s", strerror(errno));
		goto cleanup;
	}
	close(ep[1]);
	ep[1] = -1;
	/* the child closes its end on a successful exec (CLOEXEC) or writes why it could not */
	uint8_t msg[700];
	size_t got = 0;
	for (;;) {
		ssize_t k = read(ep[0], msg + got, sizeof(msg) - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
		if (got == sizeof(msg) - 1)
			break;
	}
	if (got > 0) {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		int code = got >= 4 ? (int)get_u32(msg) : 126;
		msg[got] = 0;
		fail(r, code, "%s", got > 4 ? (char *)msg + 4 : "process could not start");
		logf_console("process %u in %s failed to start: %s", s.id, s.container, r->message);
		goto cleanup;
	}

	struct process *pr = calloc(1, sizeof(*pr));
	if (!pr) {
		kill(pid, SIGKILL);
		fail(r, ENOMEM, "out of memory");
		goto cleanup;
	}
	pr->id = s.id;
	snprintf(pr->container, sizeof(pr->container), "%s", s.container);
	pr->pid = pid;
	pr->init = (int)s.init;
	pr->tty = (int)s.tty;
	pr->running = 1;
	pr->attached = 1;
	pr->master = master;
	pr->stdin_fd = -1;
	for (int i = 0; i < 2; i++) {
		pr->out[i].credit = STREAM_WINDOW;
		pr->out[i].fd = -1;
	}
	if (s.tty) {
		pr->out[0].fd = master;
		pr->out[1].eof = 1;
		if (s.open_stdin)
			pr->stdin_fd = dup(master);
		set_nonblock(master);
		master = -1;
	} else {
		pr->out[0].fd = out_r[0];
		pr->out[1].fd = out_r[1];
		set_nonblock(out_r[0]);
		set_nonblock(out_r[1]);
		out_r[0] = out_r[1] = -1;
		if (in_w >= 0) {
			pr->stdin_fd = in_w;
			set_nonblock(in_w);
			in_w = -1;
		}
	}
	if (pr->stdin_fd >= 0 && !(pr->stdin_buf = malloc(STREAM_WINDOW))) {
		close(pr->stdin_fd);
		pr->stdin_fd = -1;
	}
	pr->next = processes;
	processes = pr;
	buf_tag_int(&r->body, TAG_PID, pid);
	buf_tag_int(&r->body, TAG_STDIN_WINDOW, pr->stdin_fd >= 0 ? STREAM_WINDOW : 0);
	logf_console("process %u started in %s: pid %d %s%s", s.id, s.container, pid, s.argv[0], s.init ? " (init)" : "");
cleanup:
	for (int i = 0; i < 3; i++)
		if (child_fds[i] >= 0)
			close(child_fds[i]);
	for (int i = 0; i < 2; i++) {
		if (out_r[i] >= 0)
			close(out_r[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	if (master >= 0)
		close(master);
	if (in_w >= 0)
		close(in_w);
close_ns:
	for (int i = 0; i < 3; i++)
		if (nsfd[i] >= 0)
			close(nsfd[i]);
}

void process_reaped(pid_t pid, int status)
{
	for (struct process *p = processes; p; p = p->next) {
		if (p->pid == pid && p->running) {
			p->running = 0;
			p->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			logf_console("process %u (pid %d) in %s exited: %d", p->id, pid, p->container, p->exit_code);
			if (p->stdin_fd >= 0) {
				close(p->stdin_fd);
				p->stdin_fd = -1;
			}
			return;
		}
	}
}

void process_forget_container(const char *id)
{
	for (struct process **pp = &processes; *pp;) {
		struct process *p = *pp;
		if (strcmp(p->container, id)) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		for (int i = 0; i < 2; i++) {
			if (p->out[i].fd >= 0)
				close(p->out[i].fd);
			if (p->out[i].inflight)
				frame_release(p->out[i].inflight);
		}
		if (p->stdin_fd >= 0)
			close(p->stdin_fd);
		free(p->stdin_buf);
		free(p);
	}
}
