/*
 * hyperstart: PID 1 of every Hypernetes pod VM.
 *
 * One process, one poll() loop, non-blocking descriptors, no threads and no
 * library beyond libc: it must start in milliseconds from the initramfs and
 * never crash, because PID 1 dying panics the guest kernel. Everything it is
 * told comes from the host over one virtio-serial port in the framing of
 * PROTOCOL.md; every field is checked before it is used.
 */
#ifndef HYPERSTART_H
#define HYPERSTART_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HYPERSTART_VERSION "hyperstart 0.1.0"

/* A frame, header included, never exceeds what virtio_console moves in one write(). */
#define FRAME_MAX 32768
#define HEADER_LEN 9
#define PAYLOAD_MAX (FRAME_MAX - HEADER_LEN)
#define SYNC_LEN 16
#define STREAM_WINDOW (256 * 1024)

enum frame_type {
	T_PING = 0x01, T_START_POD = 0x02, T_WRITE_FILE = 0x03, T_NEW_CONTAINER = 0x04,
	T_REMOVE_CONTAINER = 0x05, T_START_PROCESS = 0x06, T_SIGNAL = 0x07, T_WINSIZE = 0x08,
	T_CLOSE_STDIN = 0x09, T_STATE = 0x0A, T_DESTROY_POD = 0x0B, T_ATTACH = 0x0C,
	T_STDIN = 0x20, T_STDOUT = 0x21, T_STDERR = 0x22, T_WINDOW = 0x23,
	T_OK = 0x40, T_ERROR = 0x41,
	T_READY = 0x50, T_PROCESS_EXIT = 0x51,
};

enum tag {
	TAG_VERSION = 1, TAG_BOOT_MS = 2, TAG_MESSAGE = 3, TAG_CODE = 4, TAG_CLOCK = 5,
	TAG_HOSTNAME = 10, TAG_DNS_SERVER = 11, TAG_DNS_SEARCH = 12, TAG_DNS_OPTION = 13,
	TAG_HOSTS = 14, TAG_IP = 15, TAG_PREFIX = 16, TAG_GATEWAY = 17, TAG_MTU = 18, TAG_INTERFACE = 19,
	TAG_VOLUME = 20, TAG_PATH = 21, TAG_MODE = 22, TAG_FILE_TYPE = 23, TAG_DATA = 24, TAG_OFFSET = 25,
	TAG_CONTAINER = 30, TAG_ROOTFS_TARGET = 31, TAG_FSTYPE = 32, TAG_MOUNT = 33,
	TAG_SOURCE_VOLUME = 34, TAG_SOURCE_TARGET = 35, TAG_DEST = 36, TAG_READONLY = 37,
	TAG_PROCESS = 40, TAG_INIT = 41, TAG_ARG = 42, TAG_ENV = 43, TAG_WORKDIR = 44, TAG_USER = 45,
	TAG_TTY = 46, TAG_STDIN = 47, TAG_COLUMNS = 48, TAG_ROWS = 49, TAG_SIGNAL = 50, TAG_PID = 51,
	TAG_STATUS = 52, TAG_EXIT_CODE = 53, TAG_STREAM = 54, TAG_BYTES = 55, TAG_STDIN_WINDOW = 56,
	TAG_PROCESS_STATE = 60, TAG_CONTAINER_STATE = 61,
};

/* ---- tlv.c: reading and writing the TLV payloads ---- */
struct tlv { uint16_t tag; uint32_t len; const uint8_t *val; };
struct tlv_iter { const uint8_t *p, *end; };
void tlv_iter_init(struct tlv_iter *it, const uint8_t *p, size_t n);
/* 1: got one, 0: end, -1: malformed. */
int tlv_next(struct tlv_iter *it, struct tlv *t);

struct buf { uint8_t *data; size_t len, cap; int oom; };
void buf_put(struct buf *b, const void *p, size_t n);
void buf_u8(struct buf *b, uint8_t v);
void buf_u32(struct buf *b, uint32_t v);
void buf_tag_bytes(struct buf *b, uint16_t tag, const void *p, size_t n);
void buf_tag_str(struct buf *b, uint16_t tag, const char *s);
void buf_tag_int(struct buf *b, uint16_t tag, int64_t v);
size_t buf_begin_nested(struct buf *b, uint16_t tag);
void buf_end_nested(struct buf *b, size_t mark);
void buf_free(struct buf *b);
uint32_t get_u32(const uint8_t *p);
uint64_t get_u64(const uint8_t *p);

/*
 * A request's decoded values live in one arena reset per request, so a
 * malformed request cannot leak memory in a process that runs for the pod's life.
 */
void arena_reset(void);
char *arena_str(const struct tlv *t, char *err, size_t errlen); /* NULL + err if it has a NUL byte */
int tlv_int(const struct tlv *t, int64_t *out, char *err, size_t errlen);

/* ---- util.c ---- */
void logf_console(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long uptime_ms(void);
int mkdir_p(const char *path, mode_t mode);
int remove_tree(const char *path);
int write_file(const char *path, const char *content, size_t len, mode_t mode);
int valid_name(const char *s);          /* a single path component, [A-Za-z0-9_.-], not . or .. */
int valid_relative_path(const char *s); /* relative, no . or .. components, no empty components */
int valid_absolute_path(const char *s); /* absolute, no . or .. components */
int wait_scsi_disk(int target, int timeout_ms, char *dev, size_t devlen);

/* ---- errors returned by request handlers ---- */
struct reply { struct buf body; char message[512]; int64_t code; int failed; };
void fail(struct reply *r, int64_t code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- pod.c ---- */
void pod_init(void);
void handle_start_pod(const uint8_t *p, size_t n, struct reply *r);
void handle_write_file(const uint8_t *p, size_t n, struct reply *r);
extern int scratch_mounted;

/* ---- container.c ---- */
struct container {
	struct container *next;
	char id[65];
	char rootfs[160];
	int nmounts;
	char **mounts; /* mounted paths to undo, in mount order */
};
extern struct container *containers;
struct container *container_find(const char *id);
void handle_new_container(const uint8_t *p, size_t n, struct reply *r);
void handle_remove_container(const uint8_t *p, size_t n, struct reply *r);
void containers_unmount_all(void);

/* ---- process.c ---- */
struct outframe;
struct stream {
	int fd;          /* read end of the process's stdout/stderr (or the pty master), -1 once at EOF */
	int eof;
	int64_t credit;  /* bytes the host lets us send */
	struct outframe *inflight; /* the one frame read from fd and not yet written to the port */
};
struct process {
	struct process *next;
	uint32_t id;
	char container[65];
	pid_t pid;
	int init, tty, running, exit_code, exit_sent, attached;
	int master;      /* pty master or -1 */
	struct stream out[2];
	int stdin_fd;    /* write end of stdin (or dup of the master), -1 if none/closed */
	uint8_t *stdin_buf; size_t stdin_len; int stdin_close_pending;
};
extern struct process *processes;
struct process *process_find(uint32_t id);
void handle_start_process(uint32_t reqid, const uint8_t *p, size_t n, struct reply *r);
void process_reaped(pid_t pid, int status);
void process_forget_container(const char *id);

/* ---- main.c: what the handlers need from the connection ---- */
struct outframe { struct outframe *next; struct stream *owner; int queued; size_t len, off; uint8_t data[]; };
/* Frees a stream's frame, or, if it is queued on the port, lets the queue free it once written. */
void frame_release(struct outframe *f);
struct outframe *frame_new(uint8_t type, uint32_t id, const uint8_t *payload, size_t n);
void send_frame(struct outframe *f);
void send_window(uint32_t process_id, int stream, int64_t bytes);

#endif
