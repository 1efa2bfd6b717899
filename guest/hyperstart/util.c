#include "hyperstart.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

long uptime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* One line per significant event on the serial console: the host shows its tail when a boot fails. */
void logf_console(const char *fmt, ...)
{
	char line[600];
	long ms = uptime_ms();
	int n = snprintf(line, sizeof(line), "hyperstart[%ld.%03ld]: ", ms / 1000, ms % 1000);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	/* messages quote what the host sent: keep control bytes and non-ASCII off the console */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
			line[i] = '?';
	line[len++] = '\n';
	if (write(2, line, len) < 0) {
		/* nowhere else to report it */
	}
}

void fail(struct reply *r, int64_t code, const char *fmt, ...)
{
	/* handlers pass r->message itself as an argument: format into a copy */
	char msg[sizeof(r->message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(r->message, msg, sizeof(msg));
	r->code = code;
	r->failed = 1;
}

int mkdir_p(const char *path, mode_t mode)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, mode) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int remove_at(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (remove_at(fd, e->d_name) < 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int remove_tree(const char *path)
{
	return remove_at(AT_FDCWD, path);
}

int write_file(const char *path, const char *content, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, content + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	return close(fd);
}

int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int valid_components(const char *s)
{
	const char *p = s;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.') || n > 255)
			return 0;
		if (!slash)
			break;
		p = slash + 1;
		if (!*p)
			return 0;
	}
	return 1;
}

int valid_relative_path(const char *s)
{
	return s[0] && s[0] != '/' && strlen(s) < 1024 && valid_components(s);
}

int valid_absolute_path(const char *s)
{
	if (s[0] != '/' || strlen(s) >= 1024)
		return 0;
	return s[1] == 0 || valid_components(s + 1);
}

/* The host hot-plugs a disk and then names its SCSI target; the guest kernel needs a moment to see it. */
int wait_scsi_disk(int target, int timeout_ms, char *dev, size_t devlen)
{
	char suffix[32];
	snprintf(suffix, sizeof(suffix), ":0:%d:0", target);
	long deadline = uptime_ms() + timeout_ms;
	for (;;) {
		DIR *d = opendir("/sys/bus/scsi/devices");
		if (d) {
			struct dirent *e;
			while ((e = readdir(d))) {
				size_t n = strlen(e->d_name), s = strlen(suffix);
				if (n <= s || strcmp(e->d_name + n - s, suffix) != 0 || strchr(e->d_name, ':') != e->d_name + n - s)
					continue;
				char path[512];
				snprintf(path, sizeof(path), "/sys/bus/scsi/devices/%s/block", e->d_name);
				DIR *b = opendir(path);
				if (!b)
					continue;
				struct dirent *be;
				while ((be = readdir(b))) {
					if (be->d_name[0] == '.')
						continue;
					snprintf(dev, devlen, "/dev/%s", be->d_name);
					char size_path[1024];
					snprintf(size_path, sizeof(size_path), "%s/%s/size", path, be->d_name);
					closedir(b);
					closedir(d);
					/*
					 * A hot-plugged disk shows up in sysfs before sd has read its capacity;
					 * until then it has size 0 and opening it fails with ENXIO.
					 */
					for (;;) {
						struct stat st;
						char num[32] = "";
						int fd = open(size_path, O_RDONLY | O_CLOEXEC);
						if (fd >= 0) {
							ssize_t k = read(fd, num, sizeof(num) - 1);
							close(fd);
							num[k > 0 ? k : 0] = 0;
						}
						if (stat(dev, &st) == 0 && atol(num) > 0) {
							int probe = open(dev, O_RDONLY | O_CLOEXEC);
							if (probe >= 0) {
								close(probe);
								return 0;
							}
						}
						if (uptime_ms() >= deadline + 2000)
							return 0; /* let the mount report why */
						usleep(10000);
					}
				}
				closedir(b);
			}
			closedir(d);
		}
		if (uptime_ms() >= deadline)
			return -1;
		usleep(10000);
	}
}
