#include "hyperstart.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * A container is mounted in hyperstart's own mount namespace under
 * /run/containers/<id>: image (the read-only rootfs disk), rootfs (overlay of the
 * image with a writable layer), and under rootfs the volumes and the pod's
 * hosts/resolv.conf/hostname. The init process later takes a private copy of
 * that tree into its own mount namespace.
 */
#define CONTAINERS_DIR "/run/containers"
#define SCRATCH_DIR "/run/scratch"
#define DISKS_DIR "/run/pod/disks"
#define DISK_WAIT_MS 10000

struct container *containers;

struct container *container_find(const char *id)
{
	for (struct container *c = containers; c; c = c->next)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

static int record(struct container *c, const char *path)
{
	char **m = realloc(c->mounts, sizeof(char *) * (size_t)(c->nmounts + 1));
	if (!m)
		return -1;
	c->mounts = m;
	if (!(m[c->nmounts] = strdup(path)))
		return -1;
	c->nmounts++;
	return 0;
}

static void undo(struct container *c)
{
	for (int i = c->nmounts - 1; i >= 0; i--) {
		if (umount2(c->mounts[i], MNT_DETACH) < 0)
			logf_console("umount %s: %s", c->mounts[i], strerror(errno));
		free(c->mounts[i]);
	}
	free(c->mounts);
	c->mounts = NULL;
	c->nmounts = 0;
	char path[256];
	snprintf(path, sizeof(path), SCRATCH_DIR "/containers/%s", c->id);
	if (scratch_mounted)
		remove_tree(path);
	snprintf(path, sizeof(path), CONTAINERS_DIR "/%s", c->id);
	remove_tree(path);
}

static const char *check_fstype(const char *fstype)
{
	if (!fstype)
		return "ext4";
	if (strcmp(fstype, "ext4") && strcmp(fstype, "erofs") && strcmp(fstype, "xfs") && strcmp(fstype, "ext2") && strcmp(fstype, "ext3"))
		return NULL;
	return fstype;
}

static int mount_disk(int target, const char *fstype, const char *where, unsigned long flags, struct reply *r)
{
	char dev[64];
	if (wait_scsi_disk(target, DISK_WAIT_MS, dev, sizeof(dev)) < 0) {
		fail(r, ENODEV, "no disk at SCSI target %d after %d ms", target, DISK_WAIT_MS);
		return -1;
	}
	if (mkdir_p(where, 0755) < 0 || mount(dev, where, fstype, flags, NULL) < 0) {
		fail(r, errno, "mount %s (SCSI target %d) as %s: %s", dev, target, fstype, strerror(errno));
		return -1;
	}
	return 0;
}

/* Makes dest (inside the rootfs) a mount point of the same kind as source: a directory or a file. */
static int make_mountpoint(const char *source, const char *dest)
{
	struct stat st, dst;
	if (stat(source, &st) < 0)
		return -1;
	char parent[4096];
	snprintf(parent, sizeof(parent), "%s", dest);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		if (mkdir_p(parent, 0755) < 0)
			return -1;
	}
	if (lstat(dest, &dst) == 0) {
		if (S_ISLNK(dst.st_mode) || (S_ISDIR(dst.st_mode) != S_ISDIR(st.st_mode))) {
			/* a link could point outside the rootfs; replace it (the writable layer takes the change) */
			if (remove_tree(dest) < 0)
				return -1;
		} else {
			return 0;
		}
	}
	if (S_ISDIR(st.st_mode))
		return mkdir(dest, 0755);
	int fd = open(dest, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	return close(fd);
}

static int bind(struct container *c, const char *source, const char *inside, int readonly, struct reply *r)
{
	char dest[4096];
	snprintf(dest, sizeof(dest), "%s%s", c->rootfs, inside);
	if (make_mountpoint(source, dest) < 0) {
		fail(r, errno, "mount point %s: %s", inside, strerror(errno));
		return -1;
	}
	if (mount(source, dest, NULL, MS_BIND | MS_REC, NULL) < 0) {
		fail(r, errno, "bind %s on %s: %s", source, inside, strerror(errno));
		return -1;
	}
	if (record(c, dest) < 0) {
		fail(r, ENOMEM, "out of memory");
		return -1;
	}
	if (readonly && mount(NULL, dest, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0) {
		fail(r, errno, "read-only %s: %s", inside, strerror(errno));
		return -1;
	}
	return 0;
}

struct mount_req { const char *volume; int64_t target; const char *fstype; const char *dest; int64_t readonly; };

static int parse_mount(const uint8_t *p, size_t n, struct mount_req *m, struct reply *r)
{
	memset(m, 0, sizeof(*m));
	m->target = -1;
	struct tlv_iter it;
	struct tlv t;
	int rc;
	tlv_iter_init(&it, p, n);
	while ((rc = tlv_next(&it, &t)) > 0) {
		switch (t.tag) {
		case TAG_SOURCE_VOLUME: case TAG_FSTYPE: case TAG_DEST: {
			char *s = arena_str(&t, r->message, sizeof(r->message));
			if (!s) {
				fail(r, EINVAL, "%s", r->message);
				return -1;
			}
			if (t.tag == TAG_SOURCE_VOLUME) m->volume = s; else if (t.tag == TAG_FSTYPE) m->fstype = s; else m->dest = s;
			break;
		}
		case TAG_SOURCE_TARGET: case TAG_READONLY:
			if (tlv_int(&t, t.tag == TAG_SOURCE_TARGET ? &m->target : &m->readonly, r->message, sizeof(r->message)) < 0) {
				fail(r, EINVAL, "%s", r->message);
				return -1;
			}
			break;
		default:
			fail(r, EINVAL, "MOUNT: unknown tag %u", t.tag);
			return -1;
		}
	}
	if (rc < 0) {
		fail(r, EINVAL, "MOUNT: malformed TLV");
		return -1;
	}
	if (!m->dest || !valid_absolute_path(m->dest) || !strcmp(m->dest, "/")) {
		fail(r, EINVAL, "mount destination '%s' must be an absolute path without . or .. other than /", m->dest ? m->dest : "");
		return -1;
	}
	if ((m->volume != NULL) == (m->target >= 0)) {
		fail(r, EINVAL, "mount %s: exactly one of a volume or a SCSI target is required", m->dest);
		return -1;
	}
	if (m->volume && !valid_name(m->volume)) {
		fail(r, EINVAL, "mount %s: volume name '%s' is not valid", m->dest, m->volume);
		return -1;
	}
	if (m->target > 255) {
		fail(r, EINVAL, "mount %s: SCSI target %lld is not in 0..255", m->dest, (long long)m->target);
		return -1;
	}
	if (m->target >= 0 && !check_fstype(m->fstype)) {
		fail(r, EINVAL, "mount %s: filesystem type '%s' is not supported", m->dest, m->fstype);
		return -1;
	}
	return 0;
}

void handle_new_container(const uint8_t *p, size_t n, struct reply *r)
{
	const char *id = NULL, *fstype = NULL;
	int64_t target = -1;
	struct { const uint8_t *p; size_t n; } mounts[64];
	int nmounts = 0;
	struct tlv_iter it;
	struct tlv t;
	int rc;
	tlv_iter_init(&it, p, n);
	while ((rc = tlv_next(&it, &t)) > 0) {
		switch (t.tag) {
		case TAG_CONTAINER: case TAG_FSTYPE: {
			char *s = arena_str(&t, r->message, sizeof(r->message));
			if (!s)
				return fail(r, EINVAL, "%s", r->message);
			if (t.tag == TAG_CONTAINER) id = s; else fstype = s;
			break;
		}
		case TAG_ROOTFS_TARGET:
			if (tlv_int(&t, &target, r->message, sizeof(r->message)) < 0)
				return fail(r, EINVAL, "%s", r->message);
			break;
		case TAG_MOUNT:
			if (nmounts == 64)
				return fail(r, EINVAL, "NEW_CONTAINER: more than 64 mounts");
			mounts[nmounts].p = t.val;
			mounts[nmounts++].n = t.len;
			break;
		default:
			return fail(r, EINVAL, "NEW_CONTAINER: unknown tag %u", t.tag);
		}
	}
	if (rc < 0)
		return fail(r, EINVAL, "NEW_CONTAINER: malformed TLV");
	if (!id || !valid_name(id))
		return fail(r, EINVAL, "container id '%s' is not valid ([A-Za-z0-9_.-], 1..64)", id ? id : "");
	if (container_find(id))
		return fail(r, EEXIST, "container %s already exists", id);
	if (target < 1 || target > 255)
		return fail(r, EINVAL, "container %s: rootfs SCSI target %lld is not in 1..255 (0 is the scratch disk)", id, (long long)target);
	if (!(fstype = check_fstype(fstype)))
		return fail(r, EINVAL, "container %s: rootfs filesystem type is not ext4, ext2, ext3, xfs or erofs", id);
	struct mount_req reqs[64];
	for (int i = 0; i < nmounts; i++)
		if (parse_mount(mounts[i].p, mounts[i].n, &reqs[i], r) < 0)
			return;

	struct container *c = calloc(1, sizeof(*c));
	if (!c)
		return fail(r, ENOMEM, "out of memory");
	snprintf(c->id, sizeof(c->id), "%s", id);
	char dir[128], image[160], upper[192], work[192], opts[640];
	snprintf(dir, sizeof(dir), CONTAINERS_DIR "/%s", id);
	snprintf(image, sizeof(image), "%s/image", dir);
	snprintf(c->rootfs, sizeof(c->rootfs), "%s/rootfs", dir);
	if (scratch_mounted) {
		snprintf(upper, sizeof(upper), SCRATCH_DIR "/containers/%s/upper", id);
		snprintf(work, sizeof(work), SCRATCH_DIR "/containers/%s/work", id);
		char old[160];
		snprintf(old, sizeof(old), SCRATCH_DIR "/containers/%s", id);
		remove_tree(old); /* left by an earlier container of the same id */
	} else {
		snprintf(upper, sizeof(upper), "%s/upper", dir);
		snprintf(work, sizeof(work), "%s/work", dir);
	}
	if (mkdir_p(c->rootfs, 0755) < 0 || mkdir_p(upper, 0755) < 0 || mkdir_p(work, 0755) < 0) {
		fail(r, errno, "container %s: %s", id, strerror(errno));
		goto undo;
	}
	if (mount_disk((int)target, fstype, image, MS_RDONLY, r) < 0)
		goto undo;
	if (record(c, image) < 0)
		goto oom;
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", image, upper, work);
	if (mount("overlay", c->rootfs, "overlay", 0, opts) < 0) {
		fail(r, errno, "container %s: overlay: %s", id, strerror(errno));
		goto undo;
	}
	if (record(c, c->rootfs) < 0)
		goto oom;
	for (int i = 0; i < nmounts; i++) {
		char source[128];
		if (reqs[i].volume) {
			snprintf(source, sizeof(source), "/run/pod/volumes/%s", reqs[i].volume);
			if (mkdir(source, 0777) == 0)
				chmod(source, 0777);
		} else {
			const char *fs = check_fstype(reqs[i].fstype);
			snprintf(source, sizeof(source), DISKS_DIR "/%lld", (long long)reqs[i].target);
			struct stat a, b;
			char parent[160];
			snprintf(parent, sizeof(parent), "%s/..", source);
			int mounted = stat(source, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
			if (!mounted && mount_disk((int)reqs[i].target, fs, source, 0, r) < 0)
				goto undo;
		}
		if (bind(c, source, reqs[i].dest, (int)reqs[i].readonly, r) < 0)
			goto undo;
	}
	static const char *podfiles[][2] = { { "/run/pod/hosts", "/etc/hosts" }, { "/run/pod/resolv.conf", "/etc/resolv.conf" }, { "/run/pod/hostname", "/etc/hostname" } };
	for (int i = 0; i < 3; i++)
		if (bind(c, podfiles[i][0], podfiles[i][1], 0, r) < 0)
			goto undo;
	c->next = containers;
	containers = c;
	logf_console("container %s: rootfs SCSI target %lld (%s), %d mounts", id, (long long)target, fstype, nmounts);
	return;
oom:
	fail(r, ENOMEM, "out of memory");
undo:
	undo(c);
	free(c);
}

void handle_remove_container(const uint8_t *p, size_t n, struct reply *r)
{
	const char *id = NULL;
	struct tlv_iter it;
	struct tlv t;
	int rc;
	tlv_iter_init(&it, p, n);
	while ((rc = tlv_next(&it, &t)) > 0) {
		if (t.tag != TAG_CONTAINER)
			return fail(r, EINVAL, "REMOVE_CONTAINER: unknown tag %u", t.tag);
		if (!(id = arena_str(&t, r->message, sizeof(r->message))))
			return fail(r, EINVAL, "%s", r->message);
	}
	if (rc < 0 || !id)
		return fail(r, EINVAL, "REMOVE_CONTAINER: a container id is required");
	struct container *c = container_find(id);
	if (!c)
		return fail(r, ENOENT, "container %s not found", id);
	for (struct process *pr = processes; pr; pr = pr->next)
		if (pr->running && !strcmp(pr->container, id))
			return fail(r, EBUSY, "container %s still has running process %u (signal it first)", id, pr->id);
	process_forget_container(id);
	undo(c);
	for (struct container **pp = &containers; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	free(c);
	logf_console("container %s removed", id);
}

void containers_unmount_all(void)
{
	while (containers) {
		struct container *c = containers;
		containers = c->next;
		undo(c);
		free(c);
	}
}
