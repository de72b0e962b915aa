/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ckpt restart and ckpt criu need to know of an image before they
 * give it to restart(2): a walk of its record headers, without decoding
 * (that is show.c's, and the kernel's, job).  No logging: errors are
 * returned, so that the tests can call it directly.
 */
#ifndef CKPT_SCAN_H
#define CKPT_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* More ORPHAN PTYs than this make the scan fail; a container has one */
#define CKPT_ORPHAN_PTY_MAX	64

struct ckpt_img_info {
	uint32_t page_size;
	uint32_t flags;		/* checkpoint(2) flags of the header */
	uint32_t nr_tasks;
	uint64_t records;	/* records before the TRAILER */
	uint64_t pages;		/* pages in PAGES records: with their data */
	uint64_t pages_cow;	/* pages in PAGES_COW records: shared with an earlier MM */
	bool container;		/* the root is a pid namespace's init */
	bool mntns, netns, cgroupns;	/* MNTNS, NETNS, CGROUPNS records */
	bool complete;		/* scanned to the TRAILER */
	/* CHAIN: this image's id and its parent's (0: complete), both 0 if none */
	uint64_t chain_id, chain_parent;
	/* The slave index of each PTY with CKPT_PTY_ORPHAN: restart wants "pty:[N]" */
	uint32_t orphan_pty[CKPT_ORPHAN_PTY_MAX];
	unsigned int nr_orphan_ptys;
};

int ckpt_img_scan(int fd, bool to_end, struct ckpt_img_info *info, char *why, size_t len);

#endif /* CKPT_SCAN_H */
