// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: a walk of an image's record headers (scan.h).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/checkpoint.h>

#include "scan.h"

static int ckpt_scan_err(char *why, size_t len, off_t off, const char *msg)
{
	snprintf(why, len, "offset %lld: %s", (long long)off, msg);
	return -EINVAL;
}

static int ckpt_scan_header(int fd, struct ckpt_img_info *info, char *why, size_t len)
{
	struct ckpt_image_header h;
	struct ckpt_rec_hdr r;

	if (pread(fd, &r, sizeof(r), 0) != (ssize_t)sizeof(r) ||
	    le32toh(r.type) != CKPT_REC_HEADER || le32toh(r.len) < sizeof(h) ||
	    pread(fd, &h, sizeof(h), sizeof(r)) != (ssize_t)sizeof(h) ||
	    le64toh(h.magic) != CKPT_IMAGE_MAGIC)
		return ckpt_scan_err(why, len, 0, "not a checkpoint image (no HEADER)");
	info->page_size = le32toh(h.page_size);
	info->flags = le32toh(h.flags);
	info->nr_tasks = le32toh(h.nr_tasks);
	if (!info->page_size || info->page_size % 8)
		return ckpt_scan_err(why, len, 0, "bad page size");
	return 0;
}

/* A PTY whose master was outside the tasks: its slave index.  0, or -1 */
static int ckpt_scan_pty(int fd, off_t at, uint32_t rec_len, struct ckpt_img_info *info)
{
	struct ckpt_pty t;

	if (rec_len < sizeof(t) || pread(fd, &t, sizeof(t), at) != (ssize_t)sizeof(t) ||
	    !(le32toh(t.flags) & CKPT_PTY_ORPHAN))
		return 0;
	if (info->nr_orphan_ptys == CKPT_ORPHAN_PTY_MAX)
		return -1;
	info->orphan_pty[info->nr_orphan_ptys++] = le32toh(t.index);
	return 0;
}

/* What one record tells; off is at its header, rec_len its payload's length */
static int ckpt_scan_rec(int fd, off_t off, uint32_t type, uint32_t rec_len,
			 struct ckpt_img_info *info)
{
	struct ckpt_tree_task root;
	struct ckpt_pages_cow cow;
	struct ckpt_chain chain;
	off_t at = off + sizeof(struct ckpt_rec_hdr);

	switch (type) {
	case CKPT_REC_CHAIN:
		if (rec_len >= sizeof(chain) &&
		    pread(fd, &chain, sizeof(chain), at) == (ssize_t)sizeof(chain)) {
			info->chain_id = le64toh(chain.id);
			info->chain_parent = le64toh(chain.parent);
		}
		break;
	case CKPT_REC_TREE:
		if (rec_len >= sizeof(struct ckpt_tree) + sizeof(root) &&
		    pread(fd, &root, sizeof(root), at + sizeof(struct ckpt_tree)) ==
		    (ssize_t)sizeof(root))
			info->container = le32toh(root.flags) & CKPT_TREE_PIDNS;
		break;
	case CKPT_REC_PAGES:
		if (rec_len > sizeof(struct ckpt_pages))
			info->pages += (rec_len - sizeof(struct ckpt_pages)) / info->page_size;
		break;
	case CKPT_REC_PAGES_COW:
		if (rec_len >= sizeof(cow) &&
		    pread(fd, &cow, sizeof(cow), at) == (ssize_t)sizeof(cow))
			info->pages_cow += le32toh(cow.nr_pages);
		break;
	case CKPT_REC_PTY:
		return ckpt_scan_pty(fd, at, rec_len, info);
	case CKPT_REC_MNTNS:
		info->mntns = true;
		break;
	case CKPT_REC_NETNS:
		info->netns = true;
		break;
	case CKPT_REC_CGROUPNS:
		info->cgroupns = true;
		break;
	}
	return 0;
}

/*
 * Walk the records of the image in fd (a regular file, read with pread:
 * its position does not move) by their headers, without decoding them
 * (restart(2) checks everything): to the TRAILER if to_end, else up to
 * the first TASK, before which the namespaces come.  Returns 0, or
 * -EINVAL with the reason in why.
 */
int ckpt_img_scan(int fd, bool to_end, struct ckpt_img_info *info, char *why, size_t len)
{
	struct ckpt_rec_hdr r;
	uint32_t type, rec_len;
	off_t off = 0;
	ssize_t n;
	int ret;

	memset(info, 0, sizeof(*info));
	ret = ckpt_scan_header(fd, info, why, len);
	if (ret)
		return ret;
	for (;;) {
		n = pread(fd, &r, sizeof(r), off);
		if (n != (ssize_t)sizeof(r))
			return ckpt_scan_err(why, len, off, "truncated image");
		type = le32toh(r.type);
		rec_len = le32toh(r.len);
		if (rec_len > CKPT_REC_MAX_LEN || rec_len % 8)
			return ckpt_scan_err(why, len, off, "bad record header");
		/* Of a newer writer, which lets a reader skip it */
		if ((type & CKPT_REC_OPTIONAL) &&
		    (type & ~CKPT_REC_OPTIONAL) >= __CKPT_REC_NR) {
			info->records++;
			off += sizeof(r) + rec_len;
			continue;
		}
		type &= ~CKPT_REC_OPTIONAL;
		if (!type || type >= __CKPT_REC_NR)
			return ckpt_scan_err(why, len, off, "bad record header");
		if (type == CKPT_REC_TRAILER) {
			info->complete = true;
			return 0;
		}
		if (type == CKPT_REC_TASK && !to_end)
			return 0;
		if (ckpt_scan_rec(fd, off, type, rec_len, info)) {
			snprintf(why, len,
				 "offset %lld: more than %u PTYs whose master was outside",
				 (long long)off, CKPT_ORPHAN_PTY_MAX);
			return -EINVAL;
		}
		info->records++;
		off += sizeof(r) + rec_len;
	}
}
