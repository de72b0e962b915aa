// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt show: validate an image and decode it record by record, without
 * the kernel.
 *
 * The image comes from anywhere, so nothing in it is trusted: a record's
 * length is checked against its type before its payload is read (one
 * bounded buffer, CKPT_REC_MAX_LEN at most), its place in the grammar
 * before its fields, and its fields before it is printed.  A record is
 * printed only once it is known to be valid, so the output stops at the
 * first bad record and the error names its offset.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"

static const char show_usage[] =
	"Usage: ckpt show FILE [--pages]\n"
	"\n"
	"Check that FILE ('-': standard input) is a well-formed checkpoint image\n"
	"and print every record, with its offset, one block per record.\n"
	"Exit status 0 if the image is valid, 1 otherwise.\n"
	"\n"
	"  -p, --pages   also print, per saved page, its crc32c and first bytes\n"
	"  -h, --help    show this help and exit\n";

const char *const rec_names[__CKPT_REC_NR] = {
#define __CKPT_REC_NAME(name, nr) [nr] = #name,
	__CKPT_REC_MAPPER(__CKPT_REC_NAME)
#undef __CKPT_REC_NAME
};

#define FIXED(type, name)	{ sizeof(type), false, 0, accept_##name, print_##name }
#define VARIABLE(type, name)	{ sizeof(type), true, 0, accept_##name, print_##name }
/* A record that images of earlier kernels have with a shorter fixed part */
#define GROWN(type, name, old)	{ sizeof(type), true, old, accept_##name, print_##name }
/* A record of a fixed size, or the shorter one of earlier kernels' images */
#define FIXED_GROWN(type, name, old) { sizeof(type), false, old, accept_##name, print_##name }

const struct rec_type rec_types[__CKPT_REC_NR] = {
	[CKPT_REC_HEADER]	= FIXED(struct ckpt_image_header, HEADER),
	[CKPT_REC_TRAILER]	= FIXED(struct ckpt_image_trailer, TRAILER),
	[CKPT_REC_TREE]		= VARIABLE(struct ckpt_tree, TREE),
	[CKPT_REC_TASK]		= FIXED(struct ckpt_task, TASK),
	[CKPT_REC_CRED]		= VARIABLE(struct ckpt_cred, CRED),
	[CKPT_REC_MM]		= FIXED(struct ckpt_mm, MM),
	[CKPT_REC_VMA]		= FIXED(struct ckpt_vma, VMA),
	[CKPT_REC_PAGES]	= VARIABLE(struct ckpt_pages, PAGES),
	[CKPT_REC_MM_END]	= FIXED(struct ckpt_mm_end, MM_END),
	[CKPT_REC_FILE]		= VARIABLE(struct ckpt_file, FILE),
	[CKPT_REC_FILES]	= VARIABLE(struct ckpt_files, FILES),
	[CKPT_REC_FS]		= VARIABLE(struct ckpt_fs, FS),
	[CKPT_REC_SIGHAND]	= FIXED(struct ckpt_sighand, SIGHAND),
	[CKPT_REC_SIGPENDING]	= VARIABLE(struct ckpt_sigpending, SIGPENDING),
	[CKPT_REC_X86_REGS]	= FIXED(struct ckpt_x86_regs, X86_REGS),
	[CKPT_REC_X86_XSTATE]	= VARIABLE(struct ckpt_x86_xstate, X86_XSTATE),
	[CKPT_REC_PROCESS]	= FIXED(struct ckpt_process, PROCESS),
	[CKPT_REC_UTS]		= FIXED(struct ckpt_uts, UTS),
	[CKPT_REC_TIMENS]	= FIXED(struct ckpt_timens, TIMENS),
	[CKPT_REC_NETNS]	= GROWN(struct ckpt_netns, NETNS, NETNS_V1_SIZE),
	[CKPT_REC_NETDEV]	= FIXED(struct ckpt_netdev, NETDEV),
	[CKPT_REC_NET_ADDR]	= FIXED(struct ckpt_net_addr, NET_ADDR),
	[CKPT_REC_NET_ROUTE]	= FIXED(struct ckpt_net_route, NET_ROUTE),
	[CKPT_REC_USERNS]	= VARIABLE(struct ckpt_userns, USERNS),
	[CKPT_REC_CGROUPNS]	= FIXED(struct ckpt_cgroupns, CGROUPNS),
	[CKPT_REC_CGROUP]	= VARIABLE(struct ckpt_cgroup, CGROUP),
	[CKPT_REC_MNTNS]	= FIXED(struct ckpt_mntns, MNTNS),
	[CKPT_REC_MOUNT]	= VARIABLE(struct ckpt_mount, MOUNT),
	[CKPT_REC_TMPFS]	= FIXED(struct ckpt_tmpfs, TMPFS),
	[CKPT_REC_TMPFS_NODE]	= VARIABLE(struct ckpt_tmpfs_node, TMPFS_NODE),
	[CKPT_REC_TMPFS_XATTR]	= VARIABLE(struct ckpt_tmpfs_xattr, TMPFS_XATTR),
	[CKPT_REC_SECCOMP]	= VARIABLE(struct ckpt_seccomp, SECCOMP),
	[CKPT_REC_PTY]		= VARIABLE(struct ckpt_pty, PTY),
	[CKPT_REC_IPC_NS]	= FIXED(struct ckpt_ipc_ns, IPC_NS),
	[CKPT_REC_MSG_QUEUE]	= FIXED(struct ckpt_msg_queue, MSG_QUEUE),
	[CKPT_REC_MSG]		= VARIABLE(struct ckpt_msg, MSG),
	[CKPT_REC_SEM_ARRAY]	= VARIABLE(struct ckpt_sem_array, SEM_ARRAY),
	[CKPT_REC_SEM_UNDO]	= VARIABLE(struct ckpt_sem_undo, SEM_UNDO),
	[CKPT_REC_PIPE]		= VARIABLE(struct ckpt_pipe, PIPE),
	[CKPT_REC_FILE_DATA]	= VARIABLE(struct ckpt_file_data, FILE_DATA),
	[CKPT_REC_LOCK]		= FIXED(struct ckpt_lock, LOCK),
	[CKPT_REC_EVENTFD]	= FIXED(struct ckpt_eventfd, EVENTFD),
	[CKPT_REC_TIMERFD]	= FIXED(struct ckpt_timerfd, TIMERFD),
	[CKPT_REC_SIGNALFD]	= FIXED(struct ckpt_signalfd, SIGNALFD),
	[CKPT_REC_EPOLL]	= VARIABLE(struct ckpt_epoll, EPOLL),
	[CKPT_REC_INOTIFY]	= VARIABLE(struct ckpt_inotify, INOTIFY),
	[CKPT_REC_SHMEM]	= FIXED(struct ckpt_shmem, SHMEM),
	[CKPT_REC_SHMEM_END]	= FIXED(struct ckpt_shmem_end, SHMEM_END),
	[CKPT_REC_SYSV_SHM]	= FIXED(struct ckpt_sysv_shm, SYSV_SHM),
	[CKPT_REC_ITIMERS]	= FIXED(struct ckpt_itimers, ITIMERS),
	[CKPT_REC_POSIX_TIMERS]	= VARIABLE(struct ckpt_posix_timers, POSIX_TIMERS),
	[CKPT_REC_SIGALTSTACK]	= FIXED(struct ckpt_sigaltstack, SIGALTSTACK),
	[CKPT_REC_CPUTIME]	= FIXED(struct ckpt_cputime, CPUTIME),
	[CKPT_REC_THREAD_CPUTIME] = FIXED(struct ckpt_thread_cputime, THREAD_CPUTIME),
	[CKPT_REC_SCHED]	= VARIABLE(struct ckpt_sched, SCHED),
	[CKPT_REC_UNIX_SK]	= VARIABLE(struct ckpt_unix_sk, UNIX_SK),
	[CKPT_REC_UNIX_SKB]	= VARIABLE(struct ckpt_unix_skb, UNIX_SKB),
	[CKPT_REC_INET_SK]	= FIXED(struct ckpt_inet_sk, INET_SK),
	[CKPT_REC_NETLINK_SK]	= VARIABLE(struct ckpt_netlink_sk, NETLINK_SK),
	[CKPT_REC_TCP_STREAM]	= VARIABLE(struct ckpt_tcp_stream, TCP_STREAM),
	[CKPT_REC_UDP_DGRAM]	= VARIABLE(struct ckpt_udp_dgram, UDP_DGRAM),
	[CKPT_REC_MQ_NS]	= FIXED(struct ckpt_mq_ns, MQ_NS),
	[CKPT_REC_MQUEUE]	= VARIABLE(struct ckpt_mqueue, MQUEUE),
	[CKPT_REC_INODE_ATTR]	= FIXED_GROWN(struct ckpt_inode_attr, INODE_ATTR,
					      INODE_ATTR_V1_SIZE),
	[CKPT_REC_FOWN]		= FIXED(struct ckpt_fown, FOWN),
	[CKPT_REC_SCHED_DL]	= FIXED(struct ckpt_sched_dl, SCHED_DL),
	[CKPT_REC_X86_CPUID]	= VARIABLE(struct ckpt_x86_cpuid, X86_CPUID),
	[CKPT_REC_PAGES_COW]	= FIXED(struct ckpt_pages_cow, PAGES_COW),
	[CKPT_REC_X86_VDSO]	= VARIABLE(struct ckpt_x86_vdso, X86_VDSO),
	[CKPT_REC_CHAIN]	= FIXED(struct ckpt_chain, CHAIN),
	[CKPT_REC_PAGES_PARENT]	= FIXED(struct ckpt_pages_parent, PAGES_PARENT),
	[CKPT_REC_PAGES_CRC]	= FIXED(struct ckpt_pages_crc, PAGES_CRC),
	[CKPT_REC_PAGES_FILE]	= FIXED(struct ckpt_pages_file, PAGES_FILE),
};

/*
 * A set of record types is a __uint128_t, one bit per type number: the
 * numbers have passed 63, and the compilers of 64-bit machines all have
 * 128-bit integers.
 */
#define REC_BIT(type)	((__uint128_t)1 << (type))
#define REC(name)	REC_BIT(CKPT_REC_##name)
/* The objects of a task, and its TASK */
#define TASK_START	(REC(CRED) | REC(FILES) | REC(FS) | REC(SIGHAND) | REC(MM) | \
			 REC(TASK) | REC(SECCOMP) | REC(PTY) | REC(PIPE) | \
			 REC(FILE_DATA) | REC(LOCK) | REC(SHMEM) | REC(SYSV_SHM) | \
			 REC(FILE))

_Static_assert(__CKPT_REC_NR <= 128, "record types no longer fit a set");
/* image_check_header() orders the namespace records by their numbers */
_Static_assert(CKPT_REC_UTS < CKPT_REC_TIMENS && CKPT_REC_TIMENS < CKPT_REC_NETNS &&
	       CKPT_REC_NETNS < CKPT_REC_USERNS && CKPT_REC_USERNS < CKPT_REC_CGROUPNS,
	       "namespace record numbers are not in the order of the grammar");

/* The record types each state of the grammar accepts */
static const __uint128_t state_accepts[NR_IMAGE_STATES] = {
	[ST_HEADER]		= REC(HEADER),
	[ST_TREE]		= REC(TREE) | REC(X86_CPUID) | REC(X86_VDSO) | REC(CHAIN),
	[ST_UTS]		= REC(UTS) | REC(TIMENS) | REC(NETNS) | REC(USERNS) |
				  REC(CGROUPNS) | REC(MNTNS) | REC(IPC_NS) | TASK_START,
	[ST_NETDEV]		= REC(NETDEV),
	[ST_NET_ADDR]		= REC(NET_ADDR),
	[ST_NET_ROUTE]		= REC(NET_ROUTE),
	[ST_CGROUP]		= REC(CGROUP),
	[ST_MNTNS]		= REC(MNTNS) | REC(IPC_NS) | TASK_START,
	[ST_MOUNT]		= REC(MOUNT),
	[ST_IPC]		= REC(IPC_NS) | REC(TMPFS) | TASK_START,
	[ST_MSG_QUEUE]		= REC(MSG_QUEUE),
	[ST_MSG]		= REC(MSG),
	[ST_SEM_ARRAY]		= REC(SEM_ARRAY),
	[ST_IPC_SHM]		= REC(SYSV_SHM),
	[ST_MQ_NS]		= REC(MQ_NS) | REC(TMPFS) | TASK_START,
	[ST_MQUEUE]		= REC(MQUEUE),
	[ST_MQ_MSG]		= REC(MSG),
	[ST_TMPFS]		= REC(TMPFS),
	[ST_TMPFS_ROOT]		= REC(TMPFS_NODE),
	[ST_TMPFS_NODE]		= REC(TMPFS_NODE) | REC(FILE_DATA) | REC(TMPFS_XATTR) |
				  REC(TMPFS) | TASK_START,
	[ST_TASK]		= TASK_START,
	[ST_UNLINKED]		= REC(INODE_ATTR) | TASK_START,
	[ST_UNLINKED_DATA]	= REC(TMPFS_XATTR) | TASK_START,
	[ST_PTY]		= REC(INODE_ATTR) | TASK_START,
	[ST_VMA]		= REC(VMA),
	[ST_PAGES]		= REC(PAGES) | REC(PAGES_COW) | REC(PAGES_PARENT) |
				  REC(PAGES_FILE) | REC(MM_END),
	[ST_CONTENTS]		= REC(SHMEM),
	[ST_SHMEM_PAGES]	= REC(PAGES) | REC(SHMEM_END),
	[ST_PROCESS]		= REC(PROCESS),
	[ST_SEM_UNDO]		= REC(SEM_UNDO) | REC(X86_REGS),
	[ST_REGS]		= REC(X86_REGS) | REC(SIGALTSTACK) | REC(ITIMERS) |
				  REC(POSIX_TIMERS) | REC(THREAD_CPUTIME) |
				  REC(CPUTIME) | REC(SCHED),
	[ST_SCHED_DL]		= REC(SCHED_DL),
	[ST_XSTATE]		= REC(X86_XSTATE),
	[ST_SIGPENDING]		= REC(SIGPENDING),
	[ST_SIGPENDING_SHARED]	= REC(SIGPENDING),
	[ST_ANON_FILE]		= REC(EVENTFD) | REC(TIMERFD) | REC(SIGNALFD) |
				  REC(EPOLL) | REC(INOTIFY) | REC(UNIX_SK) |
				  REC(INET_SK) | REC(NETLINK_SK),
	[ST_UNIX_SKB]		= REC(UNIX_SKB),
	[ST_UNIX_EMBRYO]	= REC(UNIX_SK),
	[ST_TCP_STREAM]		= REC(TCP_STREAM),
	[ST_INET_PENDING]	= REC(INET_SK),
	[ST_UDP_DGRAM]		= REC(UDP_DGRAM),
	[ST_TRAILER]		= REC(TRAILER),
	/* Its MMs and the files they name; the records of those come back here */
	[ST_PREDUMP]		= REC(X86_CPUID) | REC(X86_VDSO) | REC(CHAIN) | REC(PIPE) |
				  REC(SHMEM) | REC(MM) | REC(TRAILER) | REC(FILE),
	[ST_END]		= 0,
};

/*
 * The TRAILER holds the standard CRC-32C (Castagnoli) of every byte
 * before it: the kernel's ~crc32c(~0, data, size).  Change these two if
 * the convention changes; nothing else knows it.
 */
uint32_t image_crc_start(void)
{
	return ~0U;
}

uint32_t image_crc_end(uint32_t crc)
{
	return ~crc;
}

/* Record the reason the image is invalid, prefixed by the record's name */
int image_fail(struct image *img, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;

	if (img->rec_type)
		n = snprintf(img->err, sizeof(img->err), "%s: ",
			     rec_names[img->rec_type]);
	va_start(ap, fmt);
	vsnprintf(img->err + n, sizeof(img->err) - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* "VMA", "PAGES or SHMEM_END", "CRED, FILE, ... or TASK" */
static void image_expected(const struct image *img, char *s, size_t size)
{
	__uint128_t mask = state_accepts[img->state];
	size_t n = 0;
	int type;

	s[0] = 0;
	for (type = 1; type < __CKPT_REC_NR && n < size; type++) {
		if (!(mask & REC_BIT(type)))
			continue;
		mask &= ~REC_BIT(type);
		n += snprintf(s + n, size - n, "%s%s",
			      !n ? "" : mask ? ", " : " or ", rec_names[type]);
	}
}

/* Read up to len bytes; fewer only at the end of the stream */
static ssize_t image_read(struct image *img, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(img->fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		done += n;
	}
	img->off += done;
	return done;
}

static int image_grow_buf(struct image *img, size_t len)
{
	void *buf;

	if (len <= img->buf_size)
		return 0;
	buf = realloc(img->buf, len);
	if (!buf)
		return image_fail(img, "out of memory for %zu bytes", len);
	img->buf = buf;
	img->buf_size = len;
	return 0;
}

/* What can be checked from a record header alone */
static int image_check_header(struct image *img, uint32_t type, uint32_t len)
{
	const struct rec_type *rt;
	char expected[128];
	bool fown_ok, crc_ok;

	if (type >= __CKPT_REC_NR || !rec_names[type])
		return image_fail(img, "unknown record type %u", type);
	img->rec_type = type;
	rt = &rec_types[type];
	if (!rt->accept)
		return image_fail(img, "not supported by this version of ckpt");
	if (img->predump && img->state == ST_TASK)
		img->state = ST_PREDUMP;
	/*
	 * The namespaces come first after the TREE, each once, in this order,
	 * which is that of their type numbers
	 */
	if (img->state == ST_UTS) {
		if (type != CKPT_REC_UTS && type != CKPT_REC_TIMENS &&
		    type != CKPT_REC_NETNS && type != CKPT_REC_USERNS &&
		    type != CKPT_REC_CGROUPNS)
			img->state = ST_MNTNS;
		else if (type <= img->ns_last)
			return image_fail(img, "namespace record out of order or repeated");
		img->ns_last = type;
	}
	/*
	 * Then the MNTNS and the IPC_NS, if any, with its MQ_NS, if any, after
	 * its System V objects, then the contents of the new tmpfs mounts, up
	 * to the first record of another type; SEM_UNDO after a PROCESS
	 */
	if (img->state == ST_MNTNS && type != CKPT_REC_MNTNS)
		img->state = ST_IPC;
	if (img->state == ST_IPC && type != CKPT_REC_IPC_NS)
		img->state = image_after_namespaces(img);
	if (img->state == ST_MQ_NS && type != CKPT_REC_MQ_NS)
		img->state = image_after_namespaces(img);
	if (img->state == ST_TMPFS_NODE && type != CKPT_REC_TMPFS_NODE &&
	    type != CKPT_REC_FILE_DATA && type != CKPT_REC_TMPFS_XATTR)
		img->state = image_after_namespaces(img);
	if (img->state == ST_SEM_UNDO && type != CKPT_REC_SEM_UNDO)
		img->state = ST_REGS;
	/*
	 * After the FILE of an unlinked file's first open file: its
	 * INODE_ATTR, if any, then its FILE_DATA and, after an INODE_ATTR,
	 * its TMPFS_XATTR, up to the first record of another type.  After a
	 * PTY: the INODE_ATTR of its slave, if any.
	 */
	if (((img->state == ST_UNLINKED || img->state == ST_PTY) &&
	     type != CKPT_REC_INODE_ATTR) ||
	    (img->state == ST_UNLINKED_DATA && type != CKPT_REC_FILE_DATA &&
	     type != CKPT_REC_TMPFS_XATTR))
		img->state = ST_TASK;
	/*
	 * A FOWN ends the records of a FILE, once they are all there: the
	 * FILE's kind has brought the grammar back to the task's objects.
	 * Any other record of them ends the FILE's records too, but the
	 * FILE_DATA of an unlinked file (of an earlier kernel) after its FILE.
	 */
	fown_ok = type == CKPT_REC_FOWN && img->state == ST_TASK && img->fown_file;
	/* A PAGES_CRC, in an image of CHECKPOINT_LAZY, right after its PAGES */
	crc_ok = type == CKPT_REC_PAGES_CRC && img->prev_type == CKPT_REC_PAGES &&
		 (img->state == ST_PAGES || img->state == ST_SHMEM_PAGES);
	if (img->state == ST_TASK && type != CKPT_REC_FOWN &&
	    !(type == CKPT_REC_FILE_DATA && img->data_of == CKPT_REC_FILE))
		img->fown_file = 0;
	if (!fown_ok && !crc_ok && !(state_accepts[img->state] & REC_BIT(type))) {
		/* Records that follow another: which one, rather than a list */
		if (type == CKPT_REC_INODE_ATTR)
			return image_fail(img,
					  "record out of order: not right after a PTY or the FILE of an unlinked file's first open file (kind UNLINKED, obj_ref 0)");
		if (type == CKPT_REC_SCHED_DL)
			return image_fail(img,
					  "record out of order: not right after a SCHED of policy SCHED_DEADLINE (6)");
		if (type == CKPT_REC_PAGES_CRC)
			return image_fail(img, "record out of order: not right after a PAGES");
		if (type == CKPT_REC_TMPFS_XATTR && img->state == ST_TASK)
			return image_fail(img,
					  "record out of order: not after a TMPFS_NODE or an unlinked file's INODE_ATTR, or their FILE_DATA");
		/* A FOWN outside a FILE's records; within them, the one due is named */
		if (type == CKPT_REC_FOWN && !img->fown_file)
			return image_fail(img, "record out of order: %s",
					  img->prev_type == CKPT_REC_FOWN ?
					  "a FILE has one FOWN at most" :
					  "not right after a FILE and the records of its kind");
		image_expected(img, expected, sizeof(expected));
		return image_fail(img, "record out of order, expected %s",
				  expected);
	}
	if (type != CKPT_REC_FILE_DATA) {
		if (img->data_of == CKPT_REC_PIPE && img->data_next != img->data_end)
			return image_fail(img, "record out of order, expected %s",
					  "FILE_DATA: the PIPE's data is incomplete");
		img->data_of = 0;
	}
	if (len > CKPT_REC_MAX_LEN)
		return image_fail(img, "len %u exceeds CKPT_REC_MAX_LEN (%u)",
				  len, CKPT_REC_MAX_LEN);
	if (len % 8)
		return image_fail(img, "len %u is not a multiple of 8", len);
	/* The shorter fixed part of earlier kernels' images, if the type has one */
	if (rt->old_size && len == rt->old_size)
		return 0;
	if (len < rt->size)
		return rt->old_size ?
		       image_fail(img,
				  "len %u is shorter than the %u bytes of its fixed part (%u in earlier images)",
				  len, rt->size, rt->old_size) :
		       image_fail(img, "len %u is shorter than the %u bytes of its fixed part",
				  len, rt->size);
	if (!rt->variable && len != rt->size)
		return rt->old_size ?
		       image_fail(img, "len %u, expected %u (or %u in earlier images)",
				  len, rt->size, rt->old_size) :
		       image_fail(img, "len %u, expected %u", len, rt->size);
	return 0;
}

static bool image_optional_unknown(uint32_t type)
{
	return type >= __CKPT_REC_NR || !rec_names[type] || !rec_types[type].accept;
}

/*
 * A record of a type this ckpt does not know, that its writer marked
 * CKPT_REC_OPTIONAL: read through for the checksum, counted, and named.
 */
static int image_skip_optional(struct image *img, const struct ckpt_rec_hdr *hdr)
{
	uint32_t len = LE32(hdr->len);
	ssize_t n;

	if (len % 8 || len > CKPT_REC_MAX_LEN)
		return image_fail(img, "optional record type %u: bad len %u",
				  LE32(hdr->type) & ~CKPT_REC_OPTIONAL, len);
	if (image_grow_buf(img, len))
		return -1;
	n = image_read(img, img->buf, len);
	if (n < 0)
		return image_fail(img, "read: %s", strerror(errno));
	if (n < len)
		return image_fail(img, "truncated payload (%zd of %u bytes)", n, len);
	img->crc = crc32c(img->crc, hdr, sizeof(*hdr));
	img->crc = crc32c(img->crc, img->buf, len);
	printf("[%u] optional record type %u offset=%llu len=%u: unknown to this ckpt, skipped\n\n",
	       img->nr_records, LE32(hdr->type) & ~CKPT_REC_OPTIONAL,
	       (unsigned long long)img->rec_off, len);
	img->nr_records++;
	return 1;
}

/*
 * Read, check and print one record.  Returns 1 for a record, 0 at a
 * proper end of the image, -1 if it is invalid or cannot be read.
 */
static int image_next(struct image *img)
{
	struct ckpt_rec_hdr hdr;
	uint32_t type, len;
	char expected[128];
	ssize_t n;

	img->rec_off = img->off;
	img->rec_type = 0;
	n = image_read(img, &hdr, sizeof(hdr));
	if (n < 0)
		return image_fail(img, "read: %s", strerror(errno));
	if (img->state == ST_END)
		return n ? image_fail(img, "data after the TRAILER") : 0;
	if (!n) {
		image_expected(img, expected, sizeof(expected));
		return image_fail(img, "unexpected end of image, expected %s",
				  expected);
	}
	if (n < (ssize_t)sizeof(hdr))
		return image_fail(img, "truncated record header (%zd of %zu bytes)",
				  n, sizeof(hdr));

	type = LE32(hdr.type);
	len = LE32(hdr.len);
	if ((type & CKPT_REC_OPTIONAL) && image_optional_unknown(type & ~CKPT_REC_OPTIONAL))
		return image_skip_optional(img, &hdr);
	type &= ~CKPT_REC_OPTIONAL;
	image_sigpending_done(img, type);
	if (image_check_header(img, type, len) || image_grow_buf(img, len))
		return -1;
	n = image_read(img, img->buf, len);
	if (n < 0)
		return image_fail(img, "read: %s", strerror(errno));
	if (n < len)
		return image_fail(img, "truncated payload (%zd of %u bytes)",
				  n, len);

	if (rec_types[type].accept(img, img->buf, len))
		return -1;
	if (type != CKPT_REC_TRAILER) {
		img->crc = crc32c(img->crc, &hdr, sizeof(hdr));
		img->crc = crc32c(img->crc, img->buf, len);
	}

	printf("[%u] %s offset=%llu len=%u\n", img->nr_records,
	       rec_names[type], (unsigned long long)img->rec_off, len);
	rec_types[type].print(img, img->buf, len);
	putchar('\n');
	img->prev_type = type;
	img->nr_records++;
	return 1;
}

static void image_free(struct image *img)
{
	uint32_t i;

	free(img->buf);
	free(img->tree);
	free(img->obj_ref);
	free(img->obj_type);
	free(img->obj_kind);
	free(img->obj_mm);
	free(img->vmas);
	free(img->mms);
	free(img->netdevs);
	for (i = 0; img->mounts && i < img->mounts_done; i++)
		free(img->mounts[i].path);
	free(img->mounts);
	for (i = 0; img->cgroups && i < img->cgroups_done; i++)
		free(img->cgroups[i].name);
	free(img->cgroups);
	free(img->pids);
	for (i = 0; img->mq_names && i < img->nr_mq; i++)
		free(img->mq_names[i]);
	free(img->mq_names);
}

static int show_parse(int argc, char **argv, struct image *img,
		      const char **path)
{
	static const struct option longopts[] = {
		{ "pages", no_argument, NULL, 'p' },
		{ "help",  no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "ph", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			img->show_pages = true;
			break;
		case 'h':
			fputs(show_usage, stdout);
			return CKPT_EXIT_OK;
		default:
			return ckpt_usage_err("show", "bad option");
		}
	}
	if (optind != argc - 1)
		return ckpt_usage_err("show", "exactly one FILE is needed");
	*path = argv[optind];
	return -1;
}

int cmd_show(int argc, char **argv)
{
	struct image img = { .state = ST_HEADER };
	const char *path = NULL;
	int ret;

	ret = show_parse(argc, argv, &img, &path);
	if (ret >= 0)
		return ret;
	img.fd = ckpt_open_image("show", path, false);
	if (img.fd < 0)
		return CKPT_EXIT_FAIL;

	img.crc = image_crc_start();
	while ((ret = image_next(&img)) > 0)
		;
	if (ret < 0) {
		ckpt_err("show: offset %llu: %s",
			 (unsigned long long)img.rec_off, img.err);
	} else if (fflush(stdout) || ferror(stdout)) {
		ckpt_err("show: write: %s", strerror(errno));
		ret = -1;
	}

	ckpt_close_image(img.fd);
	image_free(&img);
	return ret ? CKPT_EXIT_FAIL : CKPT_EXIT_OK;
}
