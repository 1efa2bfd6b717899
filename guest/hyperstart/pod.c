#include "hyperstart.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files every container of the pod bind-mounts; rewritten in place so the binds see new content. */
#define POD_DIR "/run/pod"
#define VOLUMES_DIR "/run/pod/volumes"

static int if_up(int sock, const char *name)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

void pod_init(void)
{
	mkdir_p(VOLUMES_DIR, 0755);
	write_file(POD_DIR "/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", 62, 0644);
	write_file(POD_DIR "/resolv.conf", "", 0, 0644);
	write_file(POD_DIR "/hostname", "localhost\n", 10, 0644);
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock >= 0) {
		if (if_up(sock, "lo") < 0)
			logf_console("lo up: %s", strerror(errno));
		close(sock);
	}
}

static void set_addr(struct sockaddr *sa, struct in_addr a)
{
	struct sockaddr_in *in = (struct sockaddr_in *)sa;
	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	in->sin_addr = a;
}

static void configure_interface(const char *name, const char *ip, int64_t prefix, const char *gw, int64_t mtu, struct reply *r)
{
	struct in_addr addr, gwaddr, mask;
	if (inet_pton(AF_INET, ip, &addr) != 1)
		return fail(r, EINVAL, "ip %s is not an IPv4 address", ip);
	if (prefix < 0 || prefix > 32)
		return fail(r, EINVAL, "prefix %lld is not in 0..32", (long long)prefix);
	if (gw && inet_pton(AF_INET, gw, &gwaddr) != 1)
		return fail(r, EINVAL, "gateway %s is not an IPv4 address", gw);
	if (mtu != 0 && (mtu < 68 || mtu > 65535))
		return fail(r, EINVAL, "mtu %lld is not in 68..65535", (long long)mtu);
	mask.s_addr = prefix == 0 ? 0 : htonl(~((1u << (32 - prefix)) - 1));

	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return fail(r, errno, "socket: %s", strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
		fail(r, errno, "interface %s: %s", name, strerror(errno));
		goto out;
	}
	set_addr(&ifr.ifr_addr, addr);
	if (ioctl(sock, SIOCSIFADDR, &ifr) < 0) {
		fail(r, errno, "set address of %s: %s", name, strerror(errno));
		goto out;
	}
	set_addr(&ifr.ifr_netmask, mask);
	if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0) {
		fail(r, errno, "set netmask of %s: %s", name, strerror(errno));
		goto out;
	}
	if (mtu) {
		ifr.ifr_mtu = (int)mtu;
		if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) {
			fail(r, errno, "set mtu of %s: %s", name, strerror(errno));
			goto out;
		}
	}
	if (if_up(sock, name) < 0) {
		fail(r, errno, "bring %s up: %s", name, strerror(errno));
		goto out;
	}
	if (gw) {
		struct rtentry rt;
		memset(&rt, 0, sizeof(rt));
		struct in_addr any = { 0 };
		set_addr(&rt.rt_dst, any);
		set_addr(&rt.rt_genmask, any);
		set_addr(&rt.rt_gateway, gwaddr);
		rt.rt_flags = RTF_UP | RTF_GATEWAY;
		rt.rt_dev = (char *)name;
		if (ioctl(sock, SIOCADDRT, &rt) < 0 && errno != EEXIST) {
			fail(r, errno, "default route via %s: %s", gw, strerror(errno));
			goto out;
		}
	}
	logf_console("network: %s %s/%lld gateway %s", name, ip, (long long)prefix, gw ? gw : "none");
out:
	close(sock);
}

void handle_start_pod(const uint8_t *p, size_t n, struct reply *r)
{
	const char *hostname = NULL, *hosts = NULL, *ip = NULL, *gw = NULL, *ifname = "eth0";
	int64_t prefix = 24, mtu = 0, clock_ms = 0;
	struct buf resolv = { 0 };
	int nsearch = 0, nopt = 0;
	struct buf search = { 0 }, opts = { 0 };
	struct tlv_iter it;
	struct tlv t;
	int rc;
	char *s;
	tlv_iter_init(&it, p, n);
	while ((rc = tlv_next(&it, &t)) > 0) {
		int64_t v;
		switch (t.tag) {
		case TAG_HOSTNAME: case TAG_HOSTS: case TAG_IP: case TAG_GATEWAY: case TAG_INTERFACE:
		case TAG_DNS_SERVER: case TAG_DNS_SEARCH: case TAG_DNS_OPTION:
			if (!(s = arena_str(&t, r->message, sizeof(r->message))))
				goto bad;
			if (t.tag != TAG_HOSTS && strpbrk(s, " \t\r\n")) {
				fail(r, EINVAL, "tag %u: value '%s' contains whitespace", t.tag, s);
				goto done;
			}
			if (t.tag == TAG_HOSTNAME) hostname = s;
			else if (t.tag == TAG_HOSTS) hosts = s;
			else if (t.tag == TAG_IP) ip = s;
			else if (t.tag == TAG_GATEWAY) gw = s;
			else if (t.tag == TAG_INTERFACE) ifname = s;
			else if (t.tag == TAG_DNS_SERVER) {
				buf_put(&resolv, "nameserver ", 11);
				buf_put(&resolv, s, strlen(s));
				buf_u8(&resolv, '\n');
			} else if (t.tag == TAG_DNS_SEARCH) {
				buf_u8(&search, ' ');
				buf_put(&search, s, strlen(s));
				nsearch++;
			} else {
				buf_u8(&opts, ' ');
				buf_put(&opts, s, strlen(s));
				nopt++;
			}
			break;
		case TAG_PREFIX: case TAG_MTU: case TAG_CLOCK:
			if (tlv_int(&t, &v, r->message, sizeof(r->message)) < 0)
				goto bad;
			if (t.tag == TAG_PREFIX) prefix = v; else if (t.tag == TAG_MTU) mtu = v; else clock_ms = v;
			break;
		default:
			fail(r, EINVAL, "START_POD: unknown tag %u", t.tag);
			goto done;
		}
	}
	if (rc < 0) {
		fail(r, EINVAL, "START_POD: malformed TLV");
		goto done;
	}
	if (hostname && (strlen(hostname) == 0 || strlen(hostname) > 64)) {
		fail(r, EINVAL, "hostname must be 1..64 characters");
		goto done;
	}
	if (clock_ms < 0) {
		fail(r, EINVAL, "clock %lld is before the epoch", (long long)clock_ms);
		goto done;
	}
	if (ifname && !valid_name(ifname)) {
		fail(r, EINVAL, "interface name '%s' is not valid", ifname);
		goto done;
	}
	if (clock_ms) {
		/* the VM has no RTC (microvm, rtc=off): without this its clock starts at 1970 */
		struct timespec now = { .tv_sec = clock_ms / 1000, .tv_nsec = (clock_ms % 1000) * 1000000 };
		if (clock_settime(CLOCK_REALTIME, &now) < 0) {
			fail(r, errno, "clock_settime: %s", strerror(errno));
			goto done;
		}
	}
	if (ip) {
		configure_interface(ifname, ip, prefix, gw, mtu, r);
		if (r->failed)
			goto done;
	}
	if (hostname) {
		if (sethostname(hostname, strlen(hostname)) < 0) {
			fail(r, errno, "sethostname: %s", strerror(errno));
			goto done;
		}
		char line[80];
		int len = snprintf(line, sizeof(line), "%s\n", hostname);
		write_file(POD_DIR "/hostname", line, (size_t)len, 0644);
	}
	if (nsearch) {
		buf_put(&resolv, "search", 6);
		buf_put(&resolv, search.data, search.len);
		buf_u8(&resolv, '\n');
	}
	if (nopt) {
		buf_put(&resolv, "options", 7);
		buf_put(&resolv, opts.data, opts.len);
		buf_u8(&resolv, '\n');
	}
	if (resolv.oom) {
		fail(r, ENOMEM, "out of memory");
		goto done;
	}
	write_file(POD_DIR "/resolv.conf", resolv.len ? (char *)resolv.data : "", resolv.len, 0644);
	if (hosts)
		write_file(POD_DIR "/hosts", hosts, strlen(hosts), 0644);
	logf_console("pod started: hostname %s", hostname ? hostname : "(unchanged)");
	goto done;
bad:
	r->failed = 1;
	r->code = EINVAL;
done:
	buf_free(&resolv);
	buf_free(&search);
	buf_free(&opts);
}

/*
 * Opens the directory that will hold the last component of rel inside root, creating
 * missing directories and refusing to follow a symbolic link on the way, so a link
 * written earlier into a volume cannot redirect a later write outside it.
 */
static int open_parent(int rootfd, char *rel, char **last)
{
	int dirfd = dup(rootfd);
	char *p = rel;
	for (;;) {
		char *slash = strchr(p, '/');
		if (!slash) {
			*last = p;
			return dirfd;
		}
		*slash = 0;
		if (mkdirat(dirfd, p, 0755) < 0 && errno != EEXIST) {
			close(dirfd);
			return -1;
		}
		int next = openat(dirfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dirfd);
		if (next < 0)
			return -1;
		dirfd = next;
		*slash = '/';
		p = slash + 1;
	}
}

void handle_write_file(const uint8_t *p, size_t n, struct reply *r)
{
	const char *volume = NULL;
	char *path = NULL;
	int64_t mode = 0644, type = 0, offset = 0;
	const uint8_t *data = NULL;
	size_t datalen = 0;
	struct tlv_iter it;
	struct tlv t;
	int rc;
	tlv_iter_init(&it, p, n);
	while ((rc = tlv_next(&it, &t)) > 0) {
		switch (t.tag) {
		case TAG_VOLUME:
			if (!(volume = arena_str(&t, r->message, sizeof(r->message))))
				return fail(r, EINVAL, "%s", r->message);
			break;
		case TAG_PATH:
			if (!(path = arena_str(&t, r->message, sizeof(r->message))))
				return fail(r, EINVAL, "%s", r->message);
			break;
		case TAG_MODE: case TAG_FILE_TYPE: case TAG_OFFSET: {
			int64_t v;
			if (tlv_int(&t, &v, r->message, sizeof(r->message)) < 0)
				return fail(r, EINVAL, "%s", r->message);
			if (t.tag == TAG_MODE) mode = v; else if (t.tag == TAG_FILE_TYPE) type = v; else offset = v;
			break;
		}
		case TAG_DATA:
			data = t.val;
			datalen = t.len;
			break;
		default:
			return fail(r, EINVAL, "WRITE_FILE: unknown tag %u", t.tag);
		}
	}
	if (rc < 0)
		return fail(r, EINVAL, "WRITE_FILE: malformed TLV");
	if (!volume || !valid_name(volume))
		return fail(r, EINVAL, "WRITE_FILE: volume name '%s' is not valid", volume ? volume : "");
	if (!path || !valid_relative_path(path))
		return fail(r, EINVAL, "WRITE_FILE: path '%s' must be relative and stay inside the volume", path ? path : "");
	if (mode < 0 || mode > 07777)
		return fail(r, EINVAL, "WRITE_FILE: mode %llo is not valid", (long long)mode);
	if (type < 0 || type > 2)
		return fail(r, EINVAL, "WRITE_FILE: type %lld is not file(0), dir(1) or symlink(2)", (long long)type);
	if (offset < 0 || (type != 0 && offset != 0))
		return fail(r, EINVAL, "WRITE_FILE: offset %lld is not valid here", (long long)offset);

	char root[256];
	snprintf(root, sizeof(root), VOLUMES_DIR "/%s", volume);
	if (mkdir(root, 0777) < 0 && errno != EEXIST)
		return fail(r, errno, "volume %s: %s", volume, strerror(errno));
	chmod(root, 0777);
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return fail(r, errno, "volume %s: %s", volume, strerror(errno));
	char *last;
	int dirfd = open_parent(rootfd, path, &last);
	close(rootfd);
	if (dirfd < 0)
		return fail(r, errno, "%s/%s: %s", volume, path, strerror(errno));
	if (type == 1) {
		if (mkdirat(dirfd, last, (mode_t)mode) < 0 && errno != EEXIST)
			fail(r, errno, "mkdir %s/%s: %s", volume, path, strerror(errno));
		else if (fchmodat(dirfd, last, (mode_t)mode, 0) < 0)
			fail(r, errno, "chmod %s/%s: %s", volume, path, strerror(errno));
	} else if (type == 2) {
		char target[4096];
		if (datalen == 0 || datalen >= sizeof(target) || memchr(data, 0, datalen)) {
			fail(r, EINVAL, "symlink %s/%s: target must be 1..4095 bytes without NUL", volume, path);
		} else {
			memcpy(target, data, datalen);
			target[datalen] = 0;
			unlinkat(dirfd, last, 0);
			if (symlinkat(target, dirfd, last) < 0)
				fail(r, errno, "symlink %s/%s: %s", volume, path, strerror(errno));
		}
	} else {
		int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (offset == 0 ? O_TRUNC : 0);
		int fd = openat(dirfd, last, flags, (mode_t)mode);
		if (fd < 0) {
			fail(r, errno, "write %s/%s: %s", volume, path, strerror(errno));
		} else {
			size_t off = 0;
			while (off < datalen) {
				ssize_t w = pwrite(fd, data + off, datalen - off, offset + (off_t)off);
				if (w < 0) {
					if (errno == EINTR)
						continue;
					fail(r, errno, "write %s/%s: %s", volume, path, strerror(errno));
					break;
				}
				off += (size_t)w;
			}
			if (!r->failed && fchmod(fd, (mode_t)mode) < 0)
				fail(r, errno, "chmod %s/%s: %s", volume, path, strerror(errno));
			close(fd);
		}
	}
	close(dirfd);
}
