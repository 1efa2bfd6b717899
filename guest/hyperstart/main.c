#include "hyperstart.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define PORT_NAME "io.hypernetes.agent.0"
#define CTRL_LIMIT (1024 * 1024)  /* replies the host has not read yet: stop reading requests beyond this */
#define PARTIAL_FRAME_MS 2000     /* the host writes whole frames; a fragment this old is junk */
#define MODULES_DIR "/modules"

static const uint8_t SYNC_MAGIC[8] = { 0xFF, 'H', 'Y', 'P', 'S', 'Y', 'N', 'C' };
static const uint8_t ACK_MAGIC[8] = { 0xFF, 'H', 'Y', 'P', 'A', 'C', 'K', '!' };

enum link_state { HUNG_UP, HUNTING, FRAMED };

static int port = -1;
static enum link_state state = HUNG_UP;
static uint8_t rx[FRAME_MAX + SYNC_LEN];
static size_t rxlen;
static long rx_since;
static struct outframe *outq, *outq_tail;
static size_t ctrl_bytes;
static long ready_ms;
int scratch_mounted;

/* ---------- outgoing frames ---------- */

struct outframe *frame_new(uint8_t type, uint32_t id, const uint8_t *payload, size_t n)
{
	struct outframe *f = malloc(sizeof(*f) + HEADER_LEN + n);
	if (!f)
		return NULL;
	f->next = NULL;
	f->owner = NULL;
	f->queued = 0;
	f->off = 0;
	f->len = HEADER_LEN + n;
	uint32_t len = (uint32_t)(n + 5);
	uint8_t h[HEADER_LEN] = { len >> 24, len >> 16, len >> 8, len, type, id >> 24, id >> 16, id >> 8, id };
	memcpy(f->data, h, HEADER_LEN);
	if (payload && n)
		memcpy(f->data + HEADER_LEN, payload, n);
	return f;
}

static void enqueue(struct outframe *f)
{
	if (!f)
		return;
	f->queued = 1;
	f->next = NULL;
	if (outq_tail)
		outq_tail->next = f;
	else
		outq = f;
	outq_tail = f;
	if (!f->owner)
		ctrl_bytes += f->len;
}

void send_frame(struct outframe *f)
{
	if (state != FRAMED) {
		free(f);
		return;
	}
	enqueue(f);
}

void frame_release(struct outframe *f)
{
	if (f->queued)
		f->owner = NULL;
	else
		free(f);
}

static void send_tlv(uint8_t type, uint32_t id, struct buf *b)
{
	if (b->oom || b->len > PAYLOAD_MAX) {
		struct buf e = { 0 };
		buf_tag_str(&e, TAG_MESSAGE, b->oom ? "out of memory" : "reply does not fit in one frame");
		buf_tag_int(&e, TAG_CODE, b->oom ? 12 : 7);
		send_frame(frame_new(T_ERROR, id, e.data, e.len));
		buf_free(&e);
		return;
	}
	send_frame(frame_new(type, id, b->data, b->len));
}

static void send_error(uint32_t id, int64_t code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void send_error(uint32_t id, int64_t code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logf_console("error to host (id %u): %s", id, msg);
	struct buf b = { 0 };
	buf_tag_str(&b, TAG_MESSAGE, msg);
	buf_tag_int(&b, TAG_CODE, code);
	send_tlv(T_ERROR, id, &b);
	buf_free(&b);
}

void send_window(uint32_t process_id, int stream, int64_t bytes)
{
	struct process *p = process_find(process_id);
	if (!p || !p->attached)
		return;
	struct buf b = { 0 };
	buf_tag_int(&b, TAG_STREAM, stream);
	buf_tag_int(&b, TAG_BYTES, bytes);
	send_tlv(T_WINDOW, process_id, &b);
	buf_free(&b);
}

static void send_ready(void)
{
	struct buf b = { 0 };
	buf_tag_str(&b, TAG_VERSION, HYPERSTART_VERSION);
	buf_tag_int(&b, TAG_BOOT_MS, ready_ms);
	send_tlv(T_READY, 0, &b);
	buf_free(&b);
}

/*
 * Forgets the host: replies for it are dropped, output frames not yet written go
 * back to their streams, and no stream sends until the next host re-attaches it.
 */
static void detach_all(void)
{
	struct outframe *f = outq;
	outq = outq_tail = NULL;
	while (f) {
		struct outframe *next = f->next;
		f->queued = 0;
		if (f->owner && f->off == 0) {
			f->next = NULL; /* stays the stream's in-flight frame, resent after ATTACH */
		} else {
			if (f->owner)
				f->owner->inflight = NULL;
			free(f);
		}
		f = next;
	}
	ctrl_bytes = 0;
	for (struct process *p = processes; p; p = p->next) {
		p->attached = 0;
		p->out[0].credit = p->out[1].credit = 0;
	}
}

static void hang_up(const char *why)
{
	if (state != HUNG_UP)
		logf_console("host disconnected (%s)", why);
	state = HUNG_UP;
	detach_all();
	rxlen = 0;
}

static void flush_port(void)
{
	while (outq) {
		struct outframe *f = outq;
		ssize_t w = write(port, f->data + f->off, f->len - f->off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				hang_up(strerror(errno));
			return;
		}
		f->off += (size_t)w;
		if (f->off < f->len)
			return;
		outq = f->next;
		if (!outq)
			outq_tail = NULL;
		if (f->owner)
			f->owner->inflight = NULL;
		else
			ctrl_bytes -= f->len;
		free(f);
	}
}

/* ---------- requests ---------- */

static int one_process(const uint8_t *p, size_t n, struct reply *r, uint16_t extra1, int64_t *v1, uint16_t extra2, int64_t *v2, struct process **out)
{
	int64_t id = -1;
	struct tlv_iter it;
	struct tlv t;
	int rc;
	tlv_iter_init(&it, p, n);
	while ((rc = tlv_next(&it, &t)) > 0) {
		int64_t *dst = t.tag == TAG_PROCESS ? &id : (extra1 && t.tag == extra1) ? v1 : (extra2 && t.tag == extra2) ? v2 : NULL;
		if (!dst) {
			fail(r, 22, "unknown tag %u", t.tag);
			return -1;
		}
		if (tlv_int(&t, dst, r->message, sizeof(r->message)) < 0) {
			fail(r, 22, "%s", r->message);
			return -1;
		}
	}
	if (rc < 0) {
		fail(r, 22, "malformed TLV");
		return -1;
	}
	if (id <= 0 || id > 0xffffffffLL || !(*out = process_find((uint32_t)id))) {
		fail(r, 3, "process %lld not found", (long long)id);
		return -1;
	}
	return 0;
}

static void handle_signal(const uint8_t *p, size_t n, struct reply *r)
{
	int64_t sig = -1;
	struct process *pr;
	if (one_process(p, n, r, TAG_SIGNAL, &sig, 0, NULL, &pr) < 0)
		return;
	if (sig < 1 || sig > 64)
		return fail(r, 22, "signal %lld is not in 1..64", (long long)sig);
	if (!pr->running)
		return fail(r, 3, "process %u has exited", pr->id);
	if (kill(pr->pid, (int)sig) < 0)
		return fail(r, errno, "kill %d: %s", pr->pid, strerror(errno));
	logf_console("signal %lld to process %u", (long long)sig, pr->id);
}

static void handle_winsize(const uint8_t *p, size_t n, struct reply *r)
{
	int64_t cols = -1, rows = -1;
	struct process *pr;
	if (one_process(p, n, r, TAG_COLUMNS, &cols, TAG_ROWS, &rows, &pr) < 0)
		return;
	if (cols < 1 || cols > 65535 || rows < 1 || rows > 65535)
		return fail(r, 22, "terminal size %lldx%lld is not valid", (long long)cols, (long long)rows);
	if (pr->master < 0 && !pr->tty)
		return fail(r, 22, "process %u has no terminal", pr->id);
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	int fd = pr->out[0].fd >= 0 ? pr->out[0].fd : pr->stdin_fd;
	if (fd < 0 || ioctl(fd, TIOCSWINSZ, &ws) < 0)
		return fail(r, errno ? errno : 5, "resize terminal of process %u: %s", pr->id, strerror(errno));
}

static void close_stdin_now(struct process *p)
{
	if (p->tty && p->stdin_fd >= 0) {
		if (write(p->stdin_fd, "\x04", 1) < 0) {
			/* the terminal is gone: nothing to tell */
		}
	}
	if (p->stdin_fd >= 0)
		close(p->stdin_fd);
	p->stdin_fd = -1;
	p->stdin_close_pending = 0;
}

static void handle_close_stdin(const uint8_t *p, size_t n, struct reply *r)
{
	struct process *pr;
	if (one_process(p, n, r, 0, NULL, 0, NULL, &pr) < 0)
		return;
	if (pr->stdin_len > 0)
		pr->stdin_close_pending = 1; /* after what the host already sent is written */
	else
		close_stdin_now(pr);
}

static void process_state(struct buf *b, uint16_t tag, struct process *p)
{
	size_t m = buf_begin_nested(b, tag);
	buf_tag_int(b, TAG_PROCESS, p->id);
	buf_tag_str(b, TAG_CONTAINER, p->container);
	buf_tag_int(b, TAG_PID, p->pid);
	buf_tag_int(b, TAG_INIT, p->init);
	buf_tag_int(b, TAG_TTY, p->tty);
	buf_tag_str(b, TAG_STATUS, p->running ? "running" : "exited");
	buf_tag_int(b, TAG_EXIT_CODE, p->running ? 0 : p->exit_code);
	buf_end_nested(b, m);
}

static void handle_state(struct reply *r)
{
	for (struct process *p = processes; p; p = p->next)
		process_state(&r->body, TAG_PROCESS_STATE, p);
	for (struct container *c = containers; c; c = c->next) {
		size_t m = buf_begin_nested(&r->body, TAG_CONTAINER_STATE);
		buf_tag_str(&r->body, TAG_CONTAINER, c->id);
		buf_end_nested(&r->body, m);
	}
}

static void handle_attach(const uint8_t *p, size_t n, struct reply *r)
{
	struct process *pr;
	if (one_process(p, n, r, 0, NULL, 0, NULL, &pr) < 0)
		return;
	pr->attached = 1;
	pr->exit_sent = 0;
	for (int i = 0; i < 2; i++) {
		struct stream *s = &pr->out[i];
		s->credit = STREAM_WINDOW;
		if (s->inflight && !s->inflight->queued) {
			s->credit -= (int64_t)(s->inflight->len - HEADER_LEN);
			enqueue(s->inflight);
		}
	}
	buf_tag_int(&r->body, TAG_STDIN_WINDOW, pr->stdin_fd >= 0 ? (int64_t)(STREAM_WINDOW - pr->stdin_len) : 0);
	process_state(&r->body, TAG_PROCESS_STATE, pr);
	logf_console("host attached to process %u", pr->id);
}

static void power_off(void)
{
	logf_console("destroying pod: killing every process");
	kill(-1, SIGKILL);
	long deadline = uptime_ms() + 3000;
	while (uptime_ms() < deadline) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0)
			continue;
		if (pid < 0 && errno == ECHILD)
			break;
		usleep(10000);
	}
	containers_unmount_all();
	if (scratch_mounted)
		umount2("/run/scratch", MNT_DETACH);
	sync();
	/* the OK reply is written before QEMU goes away (the host treats a lost connection as success too) */
	long flush_deadline = uptime_ms() + 2000; /* a host that stops reading must not keep the VM up */
	while (outq && state == FRAMED && uptime_ms() < flush_deadline) {
		struct pollfd pp = { .fd = port, .events = POLLOUT };
		if (poll(&pp, 1, 100) > 0)
			flush_port();
	}
	logf_console("power off");
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static void handle_request(uint8_t type, uint32_t id, const uint8_t *p, size_t n)
{
	struct reply r;
	memset(&r, 0, sizeof(r));
	arena_reset();
	switch (type) {
	case T_PING:
		if (n)
			fail(&r, 22, "PING takes no fields");
		break;
	case T_START_POD: handle_start_pod(p, n, &r); break;
	case T_WRITE_FILE: handle_write_file(p, n, &r); break;
	case T_NEW_CONTAINER: handle_new_container(p, n, &r); break;
	case T_REMOVE_CONTAINER: handle_remove_container(p, n, &r); break;
	case T_START_PROCESS: handle_start_process(id, p, n, &r); break;
	case T_SIGNAL: handle_signal(p, n, &r); break;
	case T_WINSIZE: handle_winsize(p, n, &r); break;
	case T_CLOSE_STDIN: handle_close_stdin(p, n, &r); break;
	case T_STATE: handle_state(&r); break;
	case T_ATTACH: handle_attach(p, n, &r); break;
	case T_DESTROY_POD:
		send_frame(frame_new(T_OK, id, NULL, 0));
		power_off();
		return;
	}
	if (r.failed)
		send_error(id, r.code, "%s", r.message);
	else
		send_tlv(T_OK, id, &r.body);
	buf_free(&r.body);
}

static void handle_stdin(uint32_t id, const uint8_t *p, size_t n)
{
	struct process *pr = process_find(id);
	if (!pr || pr->stdin_fd < 0 || pr->stdin_close_pending)
		return; /* the process or its stdin is gone: the host learns it from PROCESS_EXIT */
	if (n > STREAM_WINDOW - pr->stdin_len) {
		send_error(0, 90, "stdin of process %u: %zu bytes exceed the window (%zu free)", id, n, (size_t)STREAM_WINDOW - pr->stdin_len);
		return;
	}
	memcpy(pr->stdin_buf + pr->stdin_len, p, n);
	pr->stdin_len += n;
}

static void handle_window(uint32_t id, const uint8_t *p, size_t n)
{
	int64_t stream = -1, bytes = -1;
	struct tlv_iter it;
	struct tlv t;
	int rc;
	char err[128];
	tlv_iter_init(&it, p, n);
	while ((rc = tlv_next(&it, &t)) > 0) {
		if ((t.tag != TAG_STREAM && t.tag != TAG_BYTES) || tlv_int(&t, t.tag == TAG_STREAM ? &stream : &bytes, err, sizeof(err)) < 0)
			return send_error(0, 22, "WINDOW for process %u: bad tag %u", id, t.tag);
	}
	if (rc < 0 || stream < 1 || stream > 2 || bytes < 0 || bytes > 64 * 1024 * 1024)
		return send_error(0, 22, "WINDOW for process %u: stream must be 1 or 2 and bytes 0..64 MiB", id);
	struct process *pr = process_find(id);
	if (!pr || !pr->attached)
		return;
	struct stream *s = &pr->out[stream - 1];
	s->credit += bytes;
	if (s->credit > 64 * 1024 * 1024)
		s->credit = 64 * 1024 * 1024;
}

static void dispatch(uint8_t type, uint32_t id, const uint8_t *p, size_t n)
{
	if ((type >= T_PING && type <= T_ATTACH))
		handle_request(type, id, p, n);
	else if (type == T_STDIN)
		handle_stdin(id, p, n);
	else if (type == T_WINDOW)
		handle_window(id, p, n);
	else
		send_error(id, 22, "unknown frame type 0x%02x", type);
}

static void on_sync(const uint8_t *nonce)
{
	detach_all();
	state = FRAMED;
	struct outframe *ack = malloc(sizeof(*ack) + SYNC_LEN);
	if (!ack)
		return;
	memset(ack, 0, sizeof(*ack));
	ack->len = SYNC_LEN;
	memcpy(ack->data, ACK_MAGIC, 8);
	memcpy(ack->data + 8, nonce, 8);
	enqueue(ack);
	send_ready();
	logf_console("host synchronized");
}

/* Consumes what is in rx: hunting for SYNC, or whole frames. */
static void process_rx(void)
{
	size_t pos = 0;
	while (pos < rxlen && state != HUNG_UP) {
		uint8_t *b = rx + pos;
		size_t left = rxlen - pos;
		if (state == HUNTING) {
			size_t i = 0;
			while (i < left && !(b[i] == SYNC_MAGIC[0] && (left - i < 8 ? !memcmp(b + i, SYNC_MAGIC, left - i) : !memcmp(b + i, SYNC_MAGIC, 8))))
				i++;
			pos += i;
			if (i == left)
				break;
			if (left - i < SYNC_LEN)
				break; /* the rest of a SYNC may follow */
			on_sync(rx + pos + 8);
			pos += SYNC_LEN;
			continue;
		}
		if (b[0] == 0xFF) {
			if (left < 8 && !memcmp(b, SYNC_MAGIC, left))
				break;
			if (left >= 8 && !memcmp(b, SYNC_MAGIC, 8)) {
				if (left < SYNC_LEN)
					break;
				on_sync(b + 8);
				pos += SYNC_LEN;
				continue;
			}
		}
		if (left < 4)
			break;
		uint32_t len = get_u32(b);
		if (len < 5 || len > FRAME_MAX - 4) {
			send_error(left >= 9 ? get_u32(b + 5) : 0, 90, "frame length %u is outside 5..%d: discarding input until SYNC", len, FRAME_MAX - 4);
			state = HUNTING;
			pos += 1;
			continue;
		}
		if (left < 4 + (size_t)len)
			break;
		dispatch(b[4], get_u32(b + 5), b + HEADER_LEN, len - 5);
		pos += 4 + len;
	}
	if (state == HUNG_UP) {
		rxlen = 0;
		return;
	}
	memmove(rx, rx + pos, rxlen - pos);
	rxlen -= pos;
	if (state == HUNTING && rxlen > SYNC_LEN) {
		/* keep only what could still be the start of a SYNC */
		memmove(rx, rx + rxlen - (SYNC_LEN - 1), SYNC_LEN - 1);
		rxlen = SYNC_LEN - 1;
	}
	rx_since = uptime_ms();
}

static void read_port(void)
{
	if (rxlen == sizeof(rx))
		return; /* cannot happen: a whole frame always fits; never mistake it for end of input */
	ssize_t k = read(port, rx + rxlen, sizeof(rx) - rxlen);
	if (k == 0) {
		hang_up("end of input");
		return;
	}
	if (k < 0) {
		if (errno != EAGAIN && errno != EINTR)
			hang_up(strerror(errno));
		return;
	}
	size_t before = rxlen;
	rxlen += (size_t)k;
	process_rx();
	if (before == 0 || rxlen == 0)
		rx_since = uptime_ms();
}

/* ---------- process streams ---------- */

static int wants_read(struct process *p, int i)
{
	struct stream *s = &p->out[i];
	return s->fd >= 0 && !s->eof && s->credit > 0 && !s->inflight && p->attached && state == FRAMED;
}

static void close_stream(struct process *p, int i)
{
	struct stream *s = &p->out[i];
	if (s->fd >= 0) {
		if (p->tty && s->fd == p->master)
			p->master = -1;
		close(s->fd);
	}
	s->fd = -1;
	s->eof = 1;
}

static void read_stream(struct process *p, int i)
{
	struct stream *s = &p->out[i];
	size_t want = s->credit < PAYLOAD_MAX ? (size_t)s->credit : PAYLOAD_MAX;
	struct outframe *f = frame_new(i == 0 ? T_STDOUT : T_STDERR, p->id, NULL, want);
	if (!f)
		return;
	ssize_t k = read(s->fd, f->data + HEADER_LEN, want);
	if (k <= 0) {
		free(f);
		if (k == 0 || (errno != EAGAIN && errno != EINTR))
			close_stream(p, i); /* EOF, or EIO from a pty whose last writer is gone */
		return;
	}
	uint32_t len = (uint32_t)(k + 5);
	f->data[0] = len >> 24; f->data[1] = len >> 16; f->data[2] = len >> 8; f->data[3] = len;
	f->len = HEADER_LEN + (size_t)k;
	s->credit -= k;
	f->owner = s;
	s->inflight = f;
	enqueue(f);
}

static void write_stdin(struct process *p)
{
	ssize_t k = write(p->stdin_fd, p->stdin_buf, p->stdin_len);
	if (k < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		p->stdin_len = 0; /* the reader is gone (EPIPE): what is left can never be delivered */
		close_stdin_now(p);
		return;
	}
	memmove(p->stdin_buf, p->stdin_buf + k, p->stdin_len - (size_t)k);
	p->stdin_len -= (size_t)k;
	send_window(p->id, 0, k);
	if (p->stdin_len == 0 && p->stdin_close_pending)
		close_stdin_now(p);
}

static void report_exits(void)
{
	if (state != FRAMED)
		return;
	for (struct process *p = processes; p; p = p->next) {
		if (p->running || p->exit_sent || !p->attached)
			continue;
		/* only after every byte the process wrote reached the host */
		if (!p->out[0].eof || !p->out[1].eof || p->out[0].inflight || p->out[1].inflight)
			continue;
		struct buf b = { 0 };
		buf_tag_int(&b, TAG_EXIT_CODE, p->exit_code);
		send_tlv(T_PROCESS_EXIT, p->id, &b);
		buf_free(&b);
		p->exit_sent = 1;
	}
}

/* ---------- boot ---------- */

static void mount_fs(const char *fstype, const char *dir, unsigned long flags, const char *data)
{
	mkdir_p(dir, 0755);
	if (mount(fstype, dir, fstype, flags, data) < 0)
		logf_console("mount %s on %s: %s", fstype, dir, strerror(errno));
}

static void load_modules(void)
{
	FILE *f = fopen(MODULES_DIR "/load", "re");
	if (!f) {
		logf_console("no %s/load: loading no modules", MODULES_DIR);
		return;
	}
	char name[256];
	while (fgets(name, sizeof(name), f)) {
		name[strcspn(name, "\r\n")] = 0;
		if (!name[0] || strchr(name, '/'))
			continue;
		char path[300];
		snprintf(path, sizeof(path), MODULES_DIR "/%s", name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			logf_console("module %s: %s", name, strerror(errno));
			continue;
		}
		/* synchronous SCSI scans: once virtio_scsi is loaded, a disk present at boot is visible */
		const char *params = !strncmp(name, "scsi_mod.", 9) ? "scan=sync" : "";
		size_t n = strlen(name);
		int flags = (n > 3 && (!strcmp(name + n - 3, ".xz") || !strcmp(name + n - 3, ".gz"))) || (n > 4 && !strcmp(name + n - 4, ".zst")) ? 4 : 0;
		if (syscall(SYS_finit_module, fd, params, flags) < 0 && errno != EEXIST)
			logf_console("load module %s: %s", name, strerror(errno));
		close(fd);
	}
	fclose(f);
}

static int open_agent_port(void)
{
	long deadline = uptime_ms() + 10000;
	for (;;) {
		DIR *d = opendir("/sys/class/virtio-ports");
		if (d) {
			struct dirent *e;
			while ((e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				char path[300], name[64] = "";
				snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", e->d_name);
				int fd = open(path, O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					continue;
				ssize_t k = read(fd, name, sizeof(name) - 1);
				close(fd);
				if (k <= 0)
					continue;
				name[k] = 0;
				name[strcspn(name, "\n")] = 0;
				if (strcmp(name, PORT_NAME))
					continue;
				snprintf(path, sizeof(path), "/dev/%s", e->d_name);
				closedir(d);
				for (;;) {
					int p = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
					if (p >= 0) {
						logf_console("agent port %s (%s)", path, PORT_NAME);
						return p;
					}
					if (uptime_ms() > deadline) {
						logf_console("open %s: %s", path, strerror(errno));
						return -1;
					}
					usleep(5000);
				}
			}
			closedir(d);
		}
		if (uptime_ms() > deadline) {
			logf_console("no virtio port named %s after 10 s", PORT_NAME);
			return -1;
		}
		usleep(5000);
	}
}

static void boot(void)
{
	mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_fs("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_fs("devtmpfs", "/dev", MS_NOSUID, "mode=0755");
	if (fcntl(2, F_GETFD) < 0) {
		int c = open("/dev/console", O_RDWR | O_NOCTTY);
		if (c >= 0) {
			dup2(c, 0); dup2(c, 1); dup2(c, 2);
			if (c > 2)
				close(c);
		}
	}
	mount_fs("devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
	if (symlink("pts/ptmx", "/dev/ptmx") < 0 && errno == EEXIST) {
		/* devtmpfs has its own ptmx node; the one of our devpts instance is the one that works */
		unlink("/dev/ptmx");
		if (symlink("pts/ptmx", "/dev/ptmx") < 0)
			logf_console("/dev/ptmx: %s", strerror(errno));
	}
	mount_fs("tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=0755");
	logf_console("%s starting", HYPERSTART_VERSION);
	load_modules();
	char dev[64];
	if (wait_scsi_disk(0, 0, dev, sizeof(dev)) == 0) {
		mkdir_p("/run/scratch", 0755);
		if (mount(dev, "/run/scratch", "ext4", MS_NOATIME, NULL) == 0) {
			scratch_mounted = 1;
			logf_console("scratch disk %s mounted", dev);
		} else {
			logf_console("mount scratch disk %s: %s", dev, strerror(errno));
		}
	}
	mkdir_p("/run/containers", 0755);
	pod_init();
}

int main(void)
{
	if (getpid() != 1)
		fprintf(stderr, "hyperstart: not PID 1; this is the init of a pod VM\n");
	signal(SIGPIPE, SIG_IGN);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	boot();
	int sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	port = open_agent_port();
	ready_ms = uptime_ms();
	logf_console("ready in %ld ms", ready_ms);

	struct pollfd *fds = NULL;
	struct { struct process *p; int what; } *who = NULL; /* what: 0/1 output stream, 2 stdin */
	size_t cap = 0;
	for (;;) {
		size_t nprocs = 0;
		for (struct process *p = processes; p; p = p->next)
			nprocs++;
		if (cap < 2 + 3 * nprocs) {
			cap = 2 + 3 * nprocs + 16;
			void *nf = realloc(fds, cap * sizeof(*fds)), *nw = NULL;
			if (nf)
				fds = nf;
			if (nf)
				nw = realloc(who, cap * sizeof(*who));
			if (!nf || !nw) {
				logf_console("out of memory");
				sleep(1);
				cap = 0;
				continue;
			}
			who = nw;
		}
		size_t n = 0;
		fds[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		short pev = 0;
		if (state != HUNG_UP)
			pev = (short)((ctrl_bytes < CTRL_LIMIT ? POLLIN : 0) | (outq ? POLLOUT : 0));
		fds[n++] = (struct pollfd){ .fd = state != HUNG_UP ? port : -1, .events = pev };
		for (struct process *p = processes; p; p = p->next) {
			for (int i = 0; i < 2; i++) {
				if (wants_read(p, i)) {
					who[n].p = p;
					who[n].what = i;
					fds[n++] = (struct pollfd){ .fd = p->out[i].fd, .events = POLLIN };
				}
			}
			if (p->stdin_fd >= 0 && p->stdin_len > 0) {
				who[n].p = p;
				who[n].what = 2;
				fds[n++] = (struct pollfd){ .fd = p->stdin_fd, .events = POLLOUT };
			}
		}
		int timeout = -1;
		if (state == HUNG_UP)
			timeout = 100; /* the port reports POLLHUP until a host connects: look again later */
		else if (rxlen > 0)
			timeout = 500;
		int rc = poll(fds, (nfds_t)n, timeout);
		if (rc < 0 && errno != EINTR) {
			logf_console("poll: %s", strerror(errno));
			sleep(1);
			continue;
		}
		if (fds[0].revents) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == sizeof(si))
				;
		}
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);
			if (pid <= 0)
				break;
			process_reaped(pid, status);
		}
		if (port >= 0 && state == HUNG_UP) {
			struct pollfd pp = { .fd = port, .events = POLLIN };
			if (poll(&pp, 1, 0) >= 0 && !(pp.revents & POLLHUP)) {
				state = HUNTING;
				rxlen = 0;
				logf_console("host connected");
			}
		} else if (fds[1].revents & (POLLHUP | POLLERR)) {
			hang_up("hang-up");
		} else {
			if (fds[1].revents & POLLIN)
				read_port();
			if (state != HUNG_UP && outq)
				flush_port();
		}
		for (size_t i = 2; i < n; i++) {
			if (!fds[i].revents)
				continue;
			struct process *p = who[i].p;
			if (who[i].what < 2) {
				if (wants_read(p, who[i].what))
					read_stream(p, who[i].what);
			} else if (p->stdin_fd >= 0 && p->stdin_len > 0) {
				write_stdin(p);
			}
		}
		report_exits();
		if (state != HUNG_UP && outq)
			flush_port();
		if (state == FRAMED && rxlen > 0 && uptime_ms() - rx_since > PARTIAL_FRAME_MS) {
			logf_console("dropping %zu bytes of an incomplete frame; waiting for SYNC", rxlen);
			rxlen = 0;
			state = HUNTING;
		}
	}
}
