// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt criu: the files besides ckpt.img, in CRIU's formats where a
 * container manager reads them (ckpt.img is walked by scan.c, the
 * kernel's log read by stats.c).  Nothing here logs: errors are returned
 * as -errno, so that the tests can call these functions directly.
 *
 * CRIU's image files start with a magic (CRIU's criu/include/magic.h):
 * inventory.img with INVENTORY_MAGIC alone (it predates the common
 * magic), service files such as stats-dump with IMG_SERVICE_MAGIC and
 * then their own (STATS_MAGIC); then come entries, each a u32 length and
 * that many bytes of a protobuf message.  All little-endian.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/checkpoint.h>

#include "criu.h"
#include "criu_inventory.pb-c.h"
#include "criu_stats.pb-c.h"

/* Our files are small: one entry each */
#define CRIU_IMG_FILE_MAX	(1U << 20)

/*
 * NAME in the directory dirfd: [magic1] magic2, the length of the packed
 * MSG and MSG, written to NAME.tmp and renamed over NAME, mode 0600 as
 * CRIU makes its images.  magic1 0: none (inventory.img).
 */
int criu_img_write(int dirfd, const char *name, uint32_t magic1, uint32_t magic2,
		   const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint32_t head[3];
	char tmp[256];
	size_t nhead = 0;
	uint8_t *buf;
	int fd, ret;

	if (len > CRIU_IMG_FILE_MAX)
		return -EFBIG;
	if (magic1)
		head[nhead++] = htole32(magic1);
	head[nhead++] = htole32(magic2);
	head[nhead++] = htole32(len);
	buf = malloc(sizeof(head) + len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, head, nhead * sizeof(head[0]));
	protobuf_c_message_pack(msg, buf + nhead * sizeof(head[0]));

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		free(buf);
		return ret;
	}
	ret = ckpt_write_all(fd, buf, nhead * sizeof(head[0]) + len) ? -errno : 0;
	free(buf);
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && renameat(dirfd, tmp, dirfd, name))
		ret = -errno;
	if (ret)
		unlinkat(dirfd, tmp, 0);
	return ret;
}

/* The whole of a small regular file: 0, or -errno */
static int criu_read_file(int dirfd, const char *name, uint8_t **data, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int fd;

	*data = NULL;
	*len = 0;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > CRIU_IMG_FILE_MAX) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = pread(fd, buf, st.st_size, 0);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return -EIO;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* The first entry of NAME, after its magics, unpacked with DESC */
int criu_img_read(int dirfd, const char *name, uint32_t magic1, uint32_t magic2,
		  const ProtobufCMessageDescriptor *desc, ProtobufCMessage **msg)
{
	size_t len, at = 0, size;
	uint32_t word[3];
	unsigned int i = 0;
	uint8_t *data;
	int ret;

	ret = criu_read_file(dirfd, name, &data, &len);
	if (ret)
		return ret;
	ret = -EBADMSG;
	if (len < (magic1 ? 12 : 8))
		goto out;
	memcpy(word, data, sizeof(word[0]) * (magic1 ? 3 : 2));
	if (magic1 && le32toh(word[i++]) != magic1)
		goto out;
	if (le32toh(word[i++]) != magic2)
		goto out;
	size = le32toh(word[i++]);
	at = i * sizeof(word[0]);
	if (size > len - at)
		goto out;
	*msg = protobuf_c_message_unpack(desc, NULL, size, data + at);
	ret = *msg ? 0 : -EBADMSG;
out:
	free(data);
	return ret;
}

/* /proc/uptime in microseconds, as CRIU's parse_uptime() gives it; 0 if unknown */
static uint64_t criu_uptime_us(void)
{
	unsigned long sec, csec;
	uint64_t us = 0;
	FILE *f;

	f = fopen("/proc/uptime", "re");
	if (!f)
		return 0;
	if (fscanf(f, "%lu.%2lu", &sec, &csec) == 2)
		us = (uint64_t)sec * 1000000 + csec * 10000;
	fclose(f);
	return us;
}

/*
 * inventory.img: Podman restores nothing without it.  It says what CRIU's
 * own inventory says of a dump's format, nothing of the tasks (those are
 * in ckpt.img): a marker.
 */
int criu_write_inventory(int dirfd, uint32_t network_lock)
{
	InventoryEntry e = INVENTORY_ENTRY__INIT;

	e.img_version = CRIU_IMAGES_V1_1;
	e.has_fdinfo_per_id = true;
	e.fdinfo_per_id = true;
	e.has_ns_per_id = true;
	e.ns_per_id = true;
	e.has_lsmtype = true;
	e.lsmtype = LSMTYPE__NO_LSM;
	e.dump_uptime = criu_uptime_us();
	e.has_dump_uptime = e.dump_uptime != 0;
	e.has_network_lock_method = true;
	e.network_lock_method = network_lock;
	return criu_img_write(dirfd, CRIU_INVENTORY_FILE, 0, CRIU_INVENTORY_MAGIC, &e.base);
}

static uint32_t criu_u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : v;
}

/*
 * stats-dump, from what the kernel said of the checkpoint (its log) and
 * its wall time (WALL_US).  The kernel saves memory while the tasks are
 * frozen, page by page into the image: dumping and writing memory are one
 * phase, memory_us, which is both memdump_time and memwrite_time.  There
 * is no parent image: no page is skipped for one, none is lazy.  Where
 * the kernel does not say how many pages it scanned, they are those it
 * wrote.
 */
int criu_write_dump_stats(int dirfd, const struct ckpt_stats *s)
{
	DumpStatsEntry d = DUMP_STATS_ENTRY__INIT;
	StatsEntry e = STATS_ENTRY__INIT;
	uint64_t wall = s->val[CKPT_STAT_WALL_US];

	d.frozen_time = criu_u32(s->val[CKPT_STAT_FROZEN_US]);
	d.freezing_time = criu_u32(wall > d.frozen_time ? wall - d.frozen_time : 0);
	d.memdump_time = criu_u32(s->val[CKPT_STAT_MEMORY_US]);
	d.memwrite_time = d.memdump_time;
	d.pages_written = s->val[CKPT_STAT_PAGES_WRITTEN];
	d.pages_scanned = ckpt_stat_has(s, CKPT_STAT_PAGES_SCANNED) ?
			  s->val[CKPT_STAT_PAGES_SCANNED] : d.pages_written;
	d.pages_skipped_parent = 0;
	e.dump = &d;
	return criu_img_write(dirfd, CRIU_STATS_DUMP, CRIU_IMG_SERVICE_MAGIC, CRIU_STATS_MAGIC,
			      &e.base);
}

/*
 * stats-restore: restart(2) creates the tasks itself (forking_time 0);
 * restore_time is its wall time.  The pages that CRIU compares with the
 * parent's to keep them shared are, here, those the image says are shared
 * copy-on-write (PAGES_COW): kept shared (pages_cow) or copied.
 */
int criu_write_restore_stats(int dirfd, const struct ckpt_stats *s)
{
	RestoreStatsEntry r = RESTORE_STATS_ENTRY__INIT;
	StatsEntry e = STATS_ENTRY__INIT;

	r.restore_time = criu_u32(s->val[CKPT_STAT_WALL_US]);
	r.pages_skipped_cow = s->val[CKPT_STAT_PAGES_COW];
	r.pages_compared = r.pages_skipped_cow + s->val[CKPT_STAT_PAGES_COW_COPIED];
	r.has_pages_restored = ckpt_stat_has(s, CKPT_STAT_PAGES_RESTORED);
	r.pages_restored = s->val[CKPT_STAT_PAGES_RESTORED];
	e.restore = &r;
	return criu_img_write(dirfd, CRIU_STATS_RESTORE, CRIU_IMG_SERVICE_MAGIC,
			      CRIU_STATS_MAGIC, &e.base);
}

int criu_write_dump_info(int dirfd, const CkptCriuDump *d)
{
	return criu_img_write(dirfd, CRIU_DUMP_INFO_FILE, CRIU_IMG_SERVICE_MAGIC,
			      CKPT_CRIU_DUMP_MAGIC, &d->base);
}

/* ckpt-criu.img, or -ENOENT; the caller frees it with ckpt_criu_dump__free_unpacked() */
int criu_read_dump_info(int dirfd, CkptCriuDump **d)
{
	ProtobufCMessage *m;
	int ret;

	ret = criu_img_read(dirfd, CRIU_DUMP_INFO_FILE, CRIU_IMG_SERVICE_MAGIC,
			    CKPT_CRIU_DUMP_MAGIC, &ckpt_criu_dump__descriptor, &m);
	if (ret)
		return ret;
	*d = (CkptCriuDump *)m;
	if ((*d)->version != CKPT_CRIU_DUMP_VERSION) {
		ckpt_criu_dump__free_unpacked(*d, NULL);
		return -EPROTO;
	}
	return 0;
}
