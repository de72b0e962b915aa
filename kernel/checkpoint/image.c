// SPDX-License-Identifier: GPL-2.0-only
/*
 * The image stream: records written and read strictly in order, with a
 * running crc32c, so that the image may be a pipe or a socket.
 *
 * Every record header read goes through ckpt_read_hdr(), which checks the
 * type and the length against ckpt_rec_defs[] before any handler sees a
 * byte of payload.
 */
#include <linux/bvec.h>
#include <linux/checkpoint.h>
#include <linux/crc32.h>
#include <linux/crc32c.h>
#include <linux/bpf_common.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "checkpoint.h"

#define CKPT_WBUF_SIZE		(16 * 1024)

/**
 * struct ckpt_rec_def - what a record type may look like
 * @min_len: smallest valid payload (the fixed part)
 * @max_len: largest valid payload; 0 for no record type
 */
struct ckpt_rec_def {
	u32 min_len;
	u32 max_len;
};

/* The names of the record types, generated from the UAPI mapper */
static const struct {
	u32 type;
	const char *name;
} ckpt_rec_names[] = {
#define __CKPT_REC_NAME(name, nr) { nr, #name },
	__CKPT_REC_MAPPER(__CKPT_REC_NAME)
#undef __CKPT_REC_NAME
};

/* One entry per record type; a fixed-size record has min_len == max_len */
static const struct ckpt_rec_def ckpt_rec_defs[__CKPT_REC_NR] = {
	[CKPT_REC_HEADER] = {
		.min_len = sizeof(struct ckpt_image_header),
		.max_len = sizeof(struct ckpt_image_header),
	},
	[CKPT_REC_TRAILER] = {
		.min_len = sizeof(struct ckpt_image_trailer),
		.max_len = sizeof(struct ckpt_image_trailer),
	},
	[CKPT_REC_TREE] = {
		.min_len = sizeof(struct ckpt_tree),
		.max_len = CKPT_REC_MAX_LEN,
	},
	[CKPT_REC_TASK] = {
		.min_len = sizeof(struct ckpt_task),
		.max_len = sizeof(struct ckpt_task),
	},
	[CKPT_REC_CRED] = {
		.min_len = sizeof(struct ckpt_cred),
		.max_len = sizeof(struct ckpt_cred) + NGROUPS_MAX * 4,
	},
	[CKPT_REC_MM] = {
		.min_len = sizeof(struct ckpt_mm),
		.max_len = sizeof(struct ckpt_mm),
	},
	[CKPT_REC_VMA] = {
		.min_len = sizeof(struct ckpt_vma),
		.max_len = sizeof(struct ckpt_vma),
	},
	[CKPT_REC_PAGES] = {
		.min_len = sizeof(struct ckpt_pages),
		.max_len = sizeof(struct ckpt_pages) + CKPT_PAGES_MAX * PAGE_SIZE,
	},
	[CKPT_REC_PAGES_CRC] = {
		.min_len = sizeof(struct ckpt_pages_crc),
		.max_len = sizeof(struct ckpt_pages_crc),
	},
	[CKPT_REC_PAGES_FILE] = {
		.min_len = sizeof(struct ckpt_pages_file),
		.max_len = sizeof(struct ckpt_pages_file),
	},
	[CKPT_REC_PAGES_COW] = {
		.min_len = sizeof(struct ckpt_pages_cow),
		.max_len = sizeof(struct ckpt_pages_cow),
	},
	[CKPT_REC_PAGES_PARENT] = {
		.min_len = sizeof(struct ckpt_pages_parent),
		.max_len = sizeof(struct ckpt_pages_parent),
	},
	[CKPT_REC_CHAIN] = {
		.min_len = sizeof(struct ckpt_chain),
		.max_len = sizeof(struct ckpt_chain),
	},
	[CKPT_REC_MM_END] = {
		.min_len = sizeof(struct ckpt_mm_end),
		.max_len = sizeof(struct ckpt_mm_end),
	},
	[CKPT_REC_FILE] = {
		.min_len = sizeof(struct ckpt_file),
		.max_len = sizeof(struct ckpt_file) + CKPT_PATH_MAX + 8,
	},
	[CKPT_REC_FILES] = {
		.min_len = sizeof(struct ckpt_files),
		.max_len = CKPT_REC_MAX_LEN,
	},
	[CKPT_REC_FS] = {
		.min_len = sizeof(struct ckpt_fs),
		.max_len = sizeof(struct ckpt_fs) + 2 * CKPT_PATH_MAX + 8,
	},
	[CKPT_REC_SIGHAND] = {
		.min_len = sizeof(struct ckpt_sighand),
		.max_len = sizeof(struct ckpt_sighand),
	},
	[CKPT_REC_SIGPENDING] = {
		.min_len = sizeof(struct ckpt_sigpending),
		.max_len = CKPT_REC_MAX_LEN,
	},
	[CKPT_REC_X86_REGS] = {
		.min_len = sizeof(struct ckpt_x86_regs),
		.max_len = sizeof(struct ckpt_x86_regs),
	},
	[CKPT_REC_X86_CPUID] = {
		.min_len = sizeof(struct ckpt_x86_cpuid) + sizeof(struct ckpt_x86_cpuid_reg),
		.max_len = sizeof(struct ckpt_x86_cpuid) +
			   CKPT_X86_CPUID_MAX * sizeof(struct ckpt_x86_cpuid_reg),
	},
	[CKPT_REC_X86_VDSO] = {
		.min_len = sizeof(struct ckpt_x86_vdso) + sizeof(struct ckpt_x86_vdso_sym),
		.max_len = sizeof(struct ckpt_x86_vdso) +
			   CKPT_X86_VDSO_SYMS_MAX * sizeof(struct ckpt_x86_vdso_sym),
	},
	[CKPT_REC_X86_XSTATE] = {
		.min_len = sizeof(struct ckpt_x86_xstate),
		.max_len = sizeof(struct ckpt_x86_xstate) + 64 * 1024,
	},
	[CKPT_REC_PROCESS] = {
		.min_len = sizeof(struct ckpt_process),
		.max_len = sizeof(struct ckpt_process),
	},
	[CKPT_REC_UTS] = {
		.min_len = sizeof(struct ckpt_uts),
		.max_len = sizeof(struct ckpt_uts),
	},
	[CKPT_REC_PTY] = {
		.min_len = sizeof(struct ckpt_pty),
		.max_len = sizeof(struct ckpt_pty) + CKPT_PATH_MAX + 8,
	},
	[CKPT_REC_IPC_NS] = {
		.min_len = sizeof(struct ckpt_ipc_ns),
		.max_len = sizeof(struct ckpt_ipc_ns),
	},
	[CKPT_REC_MSG_QUEUE] = {
		.min_len = sizeof(struct ckpt_msg_queue),
		.max_len = sizeof(struct ckpt_msg_queue),
	},
	[CKPT_REC_MSG] = {
		.min_len = sizeof(struct ckpt_msg),
		.max_len = CKPT_REC_MAX_LEN,
	},
	[CKPT_REC_SEM_ARRAY] = {
		.min_len = sizeof(struct ckpt_sem_array),
		.max_len = CKPT_REC_MAX_LEN,
	},
	[CKPT_REC_SEM_UNDO] = {
		.min_len = sizeof(struct ckpt_sem_undo),
		.max_len = CKPT_REC_MAX_LEN,
	},
	[CKPT_REC_PIPE] = {
		.min_len = sizeof(struct ckpt_pipe),
		.max_len = sizeof(struct ckpt_pipe) + CKPT_PATH_MAX + 8,
	},
	[CKPT_REC_UNIX_SK] = {
		.min_len = sizeof(struct ckpt_unix_sk),
		.max_len = sizeof(struct ckpt_unix_sk) + CKPT_PATH_MAX + 2 * 108 + 8,
	},
	[CKPT_REC_UNIX_SKB] = {
		.min_len = sizeof(struct ckpt_unix_skb),
		.max_len = sizeof(struct ckpt_unix_skb) + 253 * 4 + CKPT_UNIX_SKB_MAX + 108 + 8,
	},
	[CKPT_REC_INET_SK] = {
		.min_len = sizeof(struct ckpt_inet_sk),
		.max_len = sizeof(struct ckpt_inet_sk),
	},
	[CKPT_REC_NETLINK_SK] = {
		.min_len = sizeof(struct ckpt_netlink_sk),
		.max_len = sizeof(struct ckpt_netlink_sk) + CKPT_NETLINK_GROUPS_MAX / 8,
	},
	[CKPT_REC_TCP_STREAM] = {
		.min_len = sizeof(struct ckpt_tcp_stream),
		.max_len = CKPT_REC_MAX_LEN,
	},
	[CKPT_REC_UDP_DGRAM] = {
		.min_len = sizeof(struct ckpt_udp_dgram),
		.max_len = sizeof(struct ckpt_udp_dgram) + CKPT_UDP_DGRAM_MAX + 8,
	},
	[CKPT_REC_FILE_DATA] = {
		.min_len = sizeof(struct ckpt_file_data) + 8,
		.max_len = sizeof(struct ckpt_file_data) + CKPT_FILE_DATA_MAX,
	},
	[CKPT_REC_LOCK] = {
		.min_len = sizeof(struct ckpt_lock),
		.max_len = sizeof(struct ckpt_lock),
	},
	[CKPT_REC_TIMENS] = {
		.min_len = sizeof(struct ckpt_timens),
		.max_len = sizeof(struct ckpt_timens),
	},
	[CKPT_REC_NETNS] = {
		.min_len = CKPT_NETNS_V1_SIZE,
		.max_len = sizeof(struct ckpt_netns) +
			   CKPT_NET_SYSCTL_NR * sizeof(struct ckpt_net_sysctl),
	},
	[CKPT_REC_SCHED] = {
		.min_len = sizeof(struct ckpt_sched) + 8,
		.max_len = sizeof(struct ckpt_sched) + CKPT_SCHED_MAX_CPUS / 8,
	},
	[CKPT_REC_SCHED_DL] = {
		.min_len = sizeof(struct ckpt_sched_dl),
		.max_len = sizeof(struct ckpt_sched_dl),
	},
	[CKPT_REC_NETDEV] = {
		.min_len = sizeof(struct ckpt_netdev),
		.max_len = sizeof(struct ckpt_netdev),
	},
	[CKPT_REC_NET_ADDR] = {
		.min_len = sizeof(struct ckpt_net_addr),
		.max_len = sizeof(struct ckpt_net_addr),
	},
	[CKPT_REC_NET_ROUTE] = {
		.min_len = sizeof(struct ckpt_net_route),
		.max_len = sizeof(struct ckpt_net_route),
	},
	[CKPT_REC_CGROUPNS] = {
		.min_len = sizeof(struct ckpt_cgroupns),
		.max_len = sizeof(struct ckpt_cgroupns),
	},
	[CKPT_REC_INODE_ATTR] = {
		.min_len = offsetof(struct ckpt_inode_attr, mode),
		.max_len = sizeof(struct ckpt_inode_attr),
	},
	[CKPT_REC_FOWN] = {
		.min_len = sizeof(struct ckpt_fown),
		.max_len = sizeof(struct ckpt_fown),
	},
	[CKPT_REC_MQ_NS] = {
		.min_len = sizeof(struct ckpt_mq_ns),
		.max_len = sizeof(struct ckpt_mq_ns),
	},
	[CKPT_REC_MQUEUE] = {
		.min_len = sizeof(struct ckpt_mqueue) + 8,
		.max_len = sizeof(struct ckpt_mqueue) + NAME_MAX + 8,
	},
	[CKPT_REC_CGROUP] = {
		.min_len = sizeof(struct ckpt_cgroup) + 8,
		.max_len = sizeof(struct ckpt_cgroup) + CKPT_REC_MAX_LEN / 2,
	},
	[CKPT_REC_MNTNS] = {
		.min_len = sizeof(struct ckpt_mntns),
		.max_len = sizeof(struct ckpt_mntns),
	},
	[CKPT_REC_MOUNT] = {
		.min_len = sizeof(struct ckpt_mount) + 8,
		.max_len = sizeof(struct ckpt_mount) + 3 * CKPT_PATH_MAX + CKPT_MOUNT_OPTIONS_MAX,
	},
	[CKPT_REC_TMPFS] = {
		.min_len = sizeof(struct ckpt_tmpfs),
		.max_len = sizeof(struct ckpt_tmpfs),
	},
	[CKPT_REC_TMPFS_NODE] = {
		.min_len = sizeof(struct ckpt_tmpfs_node) + 8,
		.max_len = sizeof(struct ckpt_tmpfs_node) + 2 * CKPT_PATH_MAX,
	},
	[CKPT_REC_TMPFS_XATTR] = {
		.min_len = sizeof(struct ckpt_tmpfs_xattr) + 8,
		.max_len = sizeof(struct ckpt_tmpfs_xattr) + XATTR_NAME_MAX + 1 + XATTR_SIZE_MAX,
	},
	[CKPT_REC_USERNS] = {
		.min_len = sizeof(struct ckpt_userns) + 2 * sizeof(struct ckpt_id_extent),
		.max_len = sizeof(struct ckpt_userns) +
			   2 * CKPT_USERNS_MAX_EXTENTS * sizeof(struct ckpt_id_extent),
	},
	[CKPT_REC_SECCOMP] = {
		.min_len = sizeof(struct ckpt_seccomp),
		.max_len = sizeof(struct ckpt_seccomp) + BPF_MAXINSNS * 8,
	},
	[CKPT_REC_EVENTFD] = {
		.min_len = sizeof(struct ckpt_eventfd),
		.max_len = sizeof(struct ckpt_eventfd),
	},
	[CKPT_REC_TIMERFD] = {
		.min_len = sizeof(struct ckpt_timerfd),
		.max_len = sizeof(struct ckpt_timerfd),
	},
	[CKPT_REC_SIGNALFD] = {
		.min_len = sizeof(struct ckpt_signalfd),
		.max_len = sizeof(struct ckpt_signalfd),
	},
	[CKPT_REC_EPOLL] = {
		.min_len = sizeof(struct ckpt_epoll),
		.max_len = CKPT_REC_MAX_LEN,
	},
	[CKPT_REC_INOTIFY] = {
		.min_len = sizeof(struct ckpt_inotify),
		.max_len = CKPT_REC_MAX_LEN,
	},
	[CKPT_REC_SHMEM] = {
		.min_len = sizeof(struct ckpt_shmem),
		.max_len = sizeof(struct ckpt_shmem),
	},
	[CKPT_REC_SHMEM_END] = {
		.min_len = sizeof(struct ckpt_shmem_end),
		.max_len = sizeof(struct ckpt_shmem_end),
	},
	[CKPT_REC_SYSV_SHM] = {
		.min_len = sizeof(struct ckpt_sysv_shm),
		.max_len = sizeof(struct ckpt_sysv_shm),
	},
	[CKPT_REC_ITIMERS] = {
		.min_len = sizeof(struct ckpt_itimers),
		.max_len = sizeof(struct ckpt_itimers),
	},
	[CKPT_REC_POSIX_TIMERS] = {
		.min_len = sizeof(struct ckpt_posix_timers),
		.max_len = CKPT_REC_MAX_LEN,
	},
	[CKPT_REC_CPUTIME] = {
		.min_len = sizeof(struct ckpt_cputime),
		.max_len = sizeof(struct ckpt_cputime),
	},
	[CKPT_REC_THREAD_CPUTIME] = {
		.min_len = sizeof(struct ckpt_thread_cputime),
		.max_len = sizeof(struct ckpt_thread_cputime),
	},
	[CKPT_REC_SIGALTSTACK] = {
		.min_len = sizeof(struct ckpt_sigaltstack),
		.max_len = sizeof(struct ckpt_sigaltstack),
	},
};

/**
 * ckpt_rec_name() - printable name of a record type
 * @type: CKPT_REC_* value, possibly invalid
 *
 * Return: the name, or "?" for an unknown type.
 */
const char *ckpt_rec_name(u32 type)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ckpt_rec_names); i++)
		if (ckpt_rec_names[i].type == type)
			return ckpt_rec_names[i].name;
	return "?";
}

/*
 * After a transfer of @done bytes, leave @iter exactly @done bytes further
 * than @left: not every ->read_iter/->write_iter advances the iterator by
 * what it reports on a short transfer.
 */
static void ckpt_iter_sync(struct iov_iter *iter, size_t left, size_t done)
{
	size_t moved = left - iov_iter_count(iter);

	if (moved < done)
		iov_iter_advance(iter, done - moved);
	else if (moved > done)
		iov_iter_revert(iter, moved - done);
}

/* ---- writing ---- */

static int ckpt_write_iter(struct ckpt_ctx *ctx, struct iov_iter *iter)
{
	while (iov_iter_count(iter)) {
		size_t left = iov_iter_count(iter);
		ssize_t ret = vfs_iter_write(ctx->file, iter, ctx->ppos, 0);

		if (ret < 0) {
			if (ret == -ERESTARTSYS)
				ret = -EINTR;
			return ckpt_err(ctx, ret, "writing the image failed at offset %llu",
					ctx->size);
		}
		if (ret == 0 || ret > left)
			return ckpt_err(ctx, -EIO, "image file accepts no more data at offset %llu",
					ctx->size);
		ckpt_iter_sync(iter, left, ret);
	}
	return 0;
}

static int ckpt_flush(struct ckpt_ctx *ctx)
{
	struct kvec kv = { .iov_base = ctx->wbuf, .iov_len = ctx->wlen };
	struct iov_iter iter;

	if (!ctx->wlen)
		return 0;
	iov_iter_kvec(&iter, ITER_SOURCE, &kv, 1, ctx->wlen);
	ctx->wlen = 0;
	return ckpt_write_iter(ctx, &iter);
}

static int ckpt_write(struct ckpt_ctx *ctx, const void *data, size_t len)
{
	ctx->crc = crc32c(ctx->crc, data, len);
	ctx->size += len;
	while (len) {
		size_t n = min(len, CKPT_WBUF_SIZE - ctx->wlen);

		memcpy(ctx->wbuf + ctx->wlen, data, n);
		ctx->wlen += n;
		data += n;
		len -= n;
		if (ctx->wlen == CKPT_WBUF_SIZE) {
			int ret = ckpt_flush(ctx);

			if (ret)
				return ret;
		}
	}
	return 0;
}

static int ckpt_write_hdr(struct ckpt_ctx *ctx, enum ckpt_rec_type type, u32 len)
{
	struct ckpt_rec_hdr hdr = {
		.type = cpu_to_le32(type),
		.len = cpu_to_le32(len),
	};

	if (WARN_ON_ONCE(len % 8 || len > CKPT_REC_MAX_LEN))
		return -EINVAL;
	/* A task of the tree started to exit: the image is void */
	if (unlikely(READ_ONCE(ctx->killed)))
		return -ESRCH;
	ctx->nr_records++;
	return ckpt_write(ctx, &hdr, sizeof(hdr));
}

/**
 * ckpt_write_rec_var() - write a record with a variable-length tail
 * @ctx: checkpoint context
 * @type: record type
 * @data: fixed part of the payload
 * @len: its length
 * @var: variable part, or NULL
 * @var_len: its length; the payload is zero-padded to 8 bytes
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_write_rec_var(struct ckpt_ctx *ctx, enum ckpt_rec_type type,
		       const void *data, u32 len, const void *var, u32 var_len)
{
	static const u8 zeroes[8];
	u32 total = len + var_len;
	u32 pad = ALIGN(total, 8) - total;
	int ret;

	ret = ckpt_write_hdr(ctx, type, total + pad);
	if (!ret)
		ret = ckpt_write(ctx, data, len);
	if (!ret && var_len)
		ret = ckpt_write(ctx, var, var_len);
	if (!ret && pad)
		ret = ckpt_write(ctx, zeroes, pad);
	return ret;
}

/**
 * ckpt_write_rec() - write a fixed-size record
 * @ctx: checkpoint context
 * @type: record type
 * @data: payload
 * @len: payload length, a multiple of 8
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_write_rec(struct ckpt_ctx *ctx, enum ckpt_rec_type type,
		   const void *data, u32 len)
{
	return ckpt_write_rec_var(ctx, type, data, len, NULL, 0);
}

/*
 * The running CRC after @len bytes whose own CRC-32C (~0 seeded, not
 * inverted) is @part: crc32c() is affine in its seed, so
 * crc32c(@crc, data) = crc32c(0, data) ^ shift(@crc) and
 * crc32c(0, data) = @part ^ shift(~0).
 */
static u32 ckpt_crc_append(u32 crc, u32 part, size_t len)
{
	return part ^ __crc32c_le_shift(crc ^ ~0U, len);
}

/* PAGES_CRC after a PAGES record: the CRC of its contents alone */
static int ckpt_write_pages_crc(struct ckpt_ctx *ctx, u32 part)
{
	struct ckpt_pages_crc rec = { .crc = cpu_to_le32(~part) };

	return ckpt_write_rec(ctx, CKPT_REC_PAGES_CRC | CKPT_REC_OPTIONAL,
			      &rec, sizeof(rec));
}

/**
 * ckpt_write_pages() - write a PAGES record straight from the pages
 * @ctx: checkpoint context
 * @addr: user address of the first page
 * @pages: @nr pages mapped consecutively from @addr
 * @nr: 1..CKPT_PAGES_MAX
 *
 * The page contents go from the pages to the image file through a bvec
 * iterator, without an intermediate copy.  With @ctx->pages_crc, a
 * PAGES_CRC record follows, with the CRC of the contents alone; the
 * contents are read once for both CRCs.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_write_pages(struct ckpt_ctx *ctx, unsigned long addr,
		     struct page **pages, unsigned int nr)
{
	struct ckpt_pages rec = {
		.addr = cpu_to_le64(addr),
		.nr_pages = cpu_to_le32(nr),
	};
	struct iov_iter iter;
	u32 part = ~0U;
	unsigned int i;
	int ret;

	if (WARN_ON_ONCE(!nr || nr > CKPT_PAGES_MAX))
		return -EINVAL;
	ret = ckpt_write_hdr(ctx, CKPT_REC_PAGES, sizeof(rec) + nr * PAGE_SIZE);
	if (!ret)
		ret = ckpt_write(ctx, &rec, sizeof(rec));
	if (!ret)
		ret = ckpt_flush(ctx);
	if (ret)
		return ret;

	for (i = 0; i < nr; i++) {
		void *kaddr = kmap_local_page(pages[i]);

		part = crc32c(part, kaddr, PAGE_SIZE);
		kunmap_local(kaddr);
		bvec_set_page(&ctx->bvec[i], pages[i], PAGE_SIZE, 0);
	}
	ctx->crc = ckpt_crc_append(ctx->crc, part, nr * PAGE_SIZE);
	ctx->size += (u64)nr * PAGE_SIZE;
	iov_iter_bvec(&iter, ITER_SOURCE, ctx->bvec, nr, nr * PAGE_SIZE);
	ret = ckpt_write_iter(ctx, &iter);
	if (!ret && ctx->pages_crc)
		ret = ckpt_write_pages_crc(ctx, part);
	return ret;
}

/**
 * ckpt_write_trailer() - finish the image
 * @ctx: checkpoint context
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_write_trailer(struct ckpt_ctx *ctx)
{
	struct ckpt_image_trailer tr = {
		.crc32c = cpu_to_le32(~ctx->crc),
		.nr_records = cpu_to_le32(ctx->nr_records),
		.size = cpu_to_le64(ctx->size),
	};
	int ret;

	ret = ckpt_write_rec(ctx, CKPT_REC_TRAILER, &tr, sizeof(tr));
	if (!ret)
		ret = ckpt_flush(ctx);
	return ret;
}

/* ---- reading ---- */

static int ckpt_read_iter(struct ckpt_ctx *ctx, struct iov_iter *iter)
{
	while (iov_iter_count(iter)) {
		size_t left = iov_iter_count(iter);
		ssize_t ret = vfs_iter_read(ctx->file, iter, ctx->ppos, 0);

		if (ret < 0) {
			if (ret == -ERESTARTSYS)
				ret = -EINTR;
			return ckpt_err(ctx, ret, "reading the image failed at offset %llu",
					ctx->size);
		}
		if (ret == 0)
			return ckpt_err(ctx, -EINVAL,
					"image truncated at offset %llu, in record %s at offset %llu",
					ctx->size, ckpt_rec_name(ctx->rec_type),
					ctx->rec_start);
		if (ret > left)
			return ckpt_err(ctx, -EIO, "reading the image returned too much");
		ckpt_iter_sync(iter, left, ret);
		ctx->size += ret;
	}
	return 0;
}

static int ckpt_read_raw(struct ckpt_ctx *ctx, void *buf, u32 len)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct iov_iter iter;
	int ret;

	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, len);
	ret = ckpt_read_iter(ctx, &iter);
	if (!ret)
		ctx->crc = crc32c(ctx->crc, buf, len);
	return ret;
}

/*
 * A record of a type this kernel does not know, marked CKPT_REC_OPTIONAL
 * by a newer writer: read through (for the checksum) and dropped.
 */
static int ckpt_skip_optional(struct ckpt_ctx *ctx, u32 type, u32 len)
{
	u32 chunk;
	void *buf;
	int ret = 0;

	if (len % 8 || len > CKPT_REC_MAX_LEN)
		return ckpt_err(ctx, -EINVAL,
				"offset %llu: optional record type %u has invalid length %u",
				ctx->rec_start, type, len);
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (; len && !ret; len -= chunk) {
		chunk = min_t(u32, len, PAGE_SIZE);
		ret = ckpt_read_raw(ctx, buf, chunk);
	}
	kfree(buf);
	if (!ret) {
		ctx->nr_records++;
		ckpt_log(ctx, "offset %llu: skipped optional record type %u (unknown here)",
			 ctx->rec_start, type);
	}
	return ret;
}

static int ckpt_read_hdr(struct ckpt_ctx *ctx, struct ckpt_rec_hdr *hdr)
{
	const struct ckpt_rec_def *def;
	u32 type, len;
	int ret;

	if (ctx->peeked) {
		ctx->peeked = false;
		*hdr = ctx->peek_hdr;
		return 0;
	}
	if (WARN_ON_ONCE(ctx->rec_left))
		return ckpt_err(ctx, -EINVAL, "internal: record %s not consumed",
				ckpt_rec_name(ctx->rec_type));

again:
	ctx->rec_start = ctx->size;
	ctx->hdr_crc = ctx->crc;
	ctx->rec_type = 0;
	ret = ckpt_read_raw(ctx, hdr, sizeof(*hdr));
	if (ret)
		return ret;
	type = le32_to_cpu(hdr->type) & ~CKPT_REC_OPTIONAL;
	len = le32_to_cpu(hdr->len);
	def = type < __CKPT_REC_NR ? &ckpt_rec_defs[type] : NULL;
	if ((!def || !def->max_len) && (le32_to_cpu(hdr->type) & CKPT_REC_OPTIONAL)) {
		ret = ckpt_skip_optional(ctx, type, len);
		if (ret)
			return ret;
		goto again;
	}
	if (!def || !def->max_len)
		return ckpt_err(ctx, -EINVAL,
				"offset %llu: unknown record type %u, not optional (an image of a newer kernel, or damaged)",
				ctx->rec_start, type);
	hdr->type = cpu_to_le32(type);
	if (len % 8 || len < def->min_len || len > def->max_len)
		return ckpt_err(ctx, -EINVAL,
				"offset %llu: record %s has invalid length %u (%u..%u)",
				ctx->rec_start, ckpt_rec_name(type), len, def->min_len,
				def->max_len);
	ctx->rec_type = type;
	ctx->rec_left = len;
	ctx->nr_records++;
	return 0;
}

/**
 * ckpt_padded_string() - is a fixed-size name of a record well formed?
 * @s: the name, @size bytes
 * @size: its size
 *
 * Return: whether @s is NUL-terminated within @size and NUL-padded after.
 */
bool ckpt_padded_string(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	return n < size && !memchr_inv(s + n, 0, size - n);
}

/**
 * ckpt_peek_rec() - type of the next record, without consuming it
 * @ctx: restart context
 *
 * Return: the CKPT_REC_* type, or a negative error (already logged).
 */
int ckpt_peek_rec(struct ckpt_ctx *ctx)
{
	int ret;

	if (!ctx->peeked) {
		ret = ckpt_read_hdr(ctx, &ctx->peek_hdr);
		if (ret)
			return ret;
		ctx->peeked = true;
	}
	return le32_to_cpu(ctx->peek_hdr.type);
}

/**
 * ckpt_read_rec_hdr() - read the header of the next record
 * @ctx: restart context
 * @type: the record type expected
 * @len: returns the payload length, already checked against the type
 *
 * The payload must then be consumed with ckpt_read() and friends.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_read_rec_hdr(struct ckpt_ctx *ctx, enum ckpt_rec_type type, u32 *len)
{
	struct ckpt_rec_hdr hdr;
	int ret;

	ret = ckpt_read_hdr(ctx, &hdr);
	if (ret)
		return ret;
	if (le32_to_cpu(hdr.type) != type)
		return ckpt_err(ctx, -EINVAL, "offset %llu: expected record %s, found %s",
				ctx->rec_start, ckpt_rec_name(type),
				ckpt_rec_name(le32_to_cpu(hdr.type)));
	*len = le32_to_cpu(hdr.len);
	return 0;
}

/**
 * ckpt_read() - read part of the current record's payload
 * @ctx: restart context
 * @buf: destination
 * @len: bytes, no more than what is left of the record
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_read(struct ckpt_ctx *ctx, void *buf, u32 len)
{
	if (len > ctx->rec_left)
		return ckpt_err(ctx, -EINVAL, "offset %llu: record %s is too short",
				ctx->rec_start, ckpt_rec_name(ctx->rec_type));
	ctx->rec_left -= len;
	return ckpt_read_raw(ctx, buf, len);
}

/**
 * ckpt_read_end() - check that the current record was consumed entirely
 * @ctx: restart context
 *
 * Padding after the last field must be present and zero.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_read_end(struct ckpt_ctx *ctx)
{
	u8 pad[8];
	u32 n = ctx->rec_left;
	int ret;

	if (n >= 8)
		return ckpt_err(ctx, -EINVAL, "offset %llu: record %s has %u bytes too many",
				ctx->rec_start, ckpt_rec_name(ctx->rec_type), n);
	if (!n)
		return 0;
	ret = ckpt_read(ctx, pad, n);
	if (ret)
		return ret;
	if (memchr_inv(pad, 0, n))
		return ckpt_err(ctx, -EINVAL, "offset %llu: record %s has non-zero padding",
				ctx->rec_start, ckpt_rec_name(ctx->rec_type));
	return 0;
}

/**
 * ckpt_read_rec() - read a whole fixed-size record
 * @ctx: restart context
 * @type: the record type expected
 * @buf: destination
 * @len: exact payload length expected
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_read_rec(struct ckpt_ctx *ctx, enum ckpt_rec_type type, void *buf,
		  u32 len)
{
	u32 rlen;
	int ret;

	ret = ckpt_read_rec_hdr(ctx, type, &rlen);
	if (ret)
		return ret;
	if (rlen != len)
		return ckpt_err(ctx, -EINVAL, "offset %llu: record %s has length %u, expected %u",
				ctx->rec_start, ckpt_rec_name(type), rlen, len);
	return ckpt_read(ctx, buf, len);
}

/**
 * ckpt_read_rec_var() - read a whole record with a variable-length tail
 * @ctx: restart context
 * @type: the record type expected
 * @fixed: length of the fixed part
 * @len: returns the payload length
 *
 * Return: the payload in a kvmalloc()ed buffer, or an ERR_PTR (logged).
 */
void *ckpt_read_rec_var(struct ckpt_ctx *ctx, enum ckpt_rec_type type,
			u32 fixed, u32 *len)
{
	void *buf;
	int ret;

	ret = ckpt_read_rec_hdr(ctx, type, len);
	if (ret)
		return ERR_PTR(ret);
	if (*len < fixed) {
		ckpt_err(ctx, -EINVAL, "offset %llu: record %s is too short",
			 ctx->rec_start, ckpt_rec_name(type));
		return ERR_PTR(-EINVAL);
	}
	buf = kvmalloc(*len, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	ret = ckpt_read(ctx, buf, *len);
	if (ret) {
		kvfree(buf);
		return ERR_PTR(ret);
	}
	return buf;
}

/**
 * ckpt_read_pages() - read page contents of the current PAGES record
 * @ctx: restart context
 * @pages: destination pages
 * @nr: number of pages
 *
 * The contents go from the image file straight into the pages.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_read_pages(struct ckpt_ctx *ctx, struct page **pages, unsigned int nr)
{
	struct iov_iter iter;
	unsigned int i;
	int ret;

	if ((u64)nr * PAGE_SIZE > ctx->rec_left)
		return ckpt_err(ctx, -EINVAL, "offset %llu: record %s is too short",
				ctx->rec_start, ckpt_rec_name(ctx->rec_type));
	for (i = 0; i < nr; i++)
		bvec_set_page(&ctx->bvec[i], pages[i], PAGE_SIZE, 0);
	iov_iter_bvec(&iter, ITER_DEST, ctx->bvec, nr, nr * PAGE_SIZE);
	ret = ckpt_read_iter(ctx, &iter);
	if (ret)
		return ret;
	ctx->rec_left -= nr * PAGE_SIZE;
	for (i = 0; i < nr; i++) {
		void *kaddr = kmap_local_page(pages[i]);

		ctx->crc = crc32c(ctx->crc, kaddr, PAGE_SIZE);
		kunmap_local(kaddr);
	}
	return 0;
}

/**
 * ckpt_read_pages_crc() - consume the PAGES_CRC after a PAGES record, if any
 * @ctx: restart context
 *
 * A PAGES record whose contents were read has nothing left to check in
 * it: the trailer covers the contents.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_read_pages_crc(struct ckpt_ctx *ctx)
{
	struct ckpt_pages_crc rec;
	int ret;

	ret = ckpt_peek_rec(ctx);
	if (ret != CKPT_REC_PAGES_CRC)
		return ret < 0 ? ret : 0;
	ret = ckpt_read_rec(ctx, CKPT_REC_PAGES_CRC, &rec, sizeof(rec));
	if (!ret && rec.__pad)
		ret = ckpt_err(ctx, -EINVAL, "offset %llu: PAGES_CRC has non-zero padding",
			       ctx->rec_start);
	return ret;
}

/**
 * ckpt_pages_skip_peek() - may the current PAGES record's contents be skipped?
 * @ctx: restart context, the PAGES record's fixed part read
 * @nr: its number of pages
 * @skip: returns where its contents are and their CRC
 *
 * They may in a seekable image, when the record is followed by a
 * PAGES_CRC: ckpt_pages_skip() then passes over them.  Nothing is
 * consumed.
 *
 * Return: 1 if they may, 0 if not (read the contents), or a negative
 * error (logged).
 */
int ckpt_pages_skip_peek(struct ckpt_ctx *ctx, u32 nr, struct ckpt_pages_skip *skip)
{
	u32 len = nr * PAGE_SIZE;
	loff_t at;
	ssize_t got;

	if (!ctx->ppos || ctx->peeked || ctx->rec_left != len ||
	    !S_ISREG(file_inode(ctx->file)->i_mode))
		return 0;
	at = *ctx->ppos + len;
	got = kernel_read(ctx->file, &skip->next, sizeof(skip->next), &at);
	if (got < 0)
		return ckpt_err(ctx, got, "reading the image failed at offset %llu",
				ctx->size + len);
	if (got != sizeof(skip->next) ||
	    (le32_to_cpu(skip->next.hdr.type) & ~CKPT_REC_OPTIONAL) != CKPT_REC_PAGES_CRC ||
	    le32_to_cpu(skip->next.hdr.len) != sizeof(skip->next.rec) ||
	    skip->next.rec.__pad)
		return 0;
	skip->pos = *ctx->ppos;
	skip->crc = le32_to_cpu(skip->next.rec.crc);
	return 1;
}

/**
 * ckpt_pages_skip() - pass over the current PAGES record's contents
 * @ctx: restart context
 * @nr: the record's number of pages
 * @skip: what ckpt_pages_skip_peek() found
 *
 * The contents are not read and the PAGES_CRC record is consumed; the
 * running CRC takes the contents in through its value, so the trailer
 * still checks the whole image.  The contents are checked against
 * @skip->crc when they are read.
 */
void ckpt_pages_skip(struct ckpt_ctx *ctx, u32 nr, const struct ckpt_pages_skip *skip)
{
	u32 len = nr * PAGE_SIZE;

	ctx->crc = ckpt_crc_append(ctx->crc, ~skip->crc, len);
	ctx->rec_left = 0;
	ctx->rec_start = ctx->size + len;
	ctx->crc = crc32c(ctx->crc, &skip->next, sizeof(skip->next));
	ctx->size += len + sizeof(skip->next);
	*ctx->ppos += len + sizeof(skip->next);
	ctx->nr_records++;
}

/**
 * ckpt_pages_crc_ok() - do page contents match their PAGES_CRC?
 * @pages: the contents, read
 * @nr: number of pages
 * @crc: the PAGES_CRC value
 *
 * Return: whether they match.
 */
bool ckpt_pages_crc_ok(struct page **pages, unsigned int nr, u32 crc)
{
	u32 part = ~0U;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		void *kaddr = kmap_local_page(pages[i]);

		part = crc32c(part, kaddr, PAGE_SIZE);
		kunmap_local(kaddr);
	}
	return ~part == crc;
}

/*
 * An image file ends with its trailer; anything after it means the file is
 * not what it claims to be.  A pipe or socket may carry more than one
 * image, so there the rest is left unread.
 */
static int ckpt_read_eof(struct ckpt_ctx *ctx)
{
	loff_t pos;
	ssize_t ret;
	u8 byte;

	if (!ctx->ppos || !S_ISREG(file_inode(ctx->file)->i_mode))
		return 0;
	pos = *ctx->ppos;
	ret = kernel_read(ctx->file, &byte, 1, &pos);
	if (ret < 0)
		return ckpt_err(ctx, ret, "reading the image failed after its trailer");
	if (ret)
		return ckpt_err(ctx, -EINVAL, "offset %llu: data after the trailer",
				ctx->size);
	return 0;
}

/**
 * ckpt_read_trailer() - read and check the last record
 * @ctx: restart context
 *
 * Return: 0 if the checksum, record count and size match, else a negative
 * error (logged).
 */
int ckpt_read_trailer(struct ckpt_ctx *ctx)
{
	struct ckpt_image_trailer tr;
	u32 crc, nr;
	u64 size;
	int ret;

	/* What the trailer covers is everything before its header */
	ret = ckpt_peek_rec(ctx);
	if (ret < 0)
		return ret;
	crc = ~ctx->hdr_crc;
	nr = ctx->nr_records - 1;
	size = ctx->rec_start;
	ret = ckpt_read_rec(ctx, CKPT_REC_TRAILER, &tr, sizeof(tr));
	if (ret)
		return ret;
	if (le32_to_cpu(tr.crc32c) != crc)
		return ckpt_err(ctx, -EINVAL,
				"image checksum mismatch: trailer says %08x, data gives %08x",
				le32_to_cpu(tr.crc32c), crc);
	if (le32_to_cpu(tr.nr_records) != nr || le64_to_cpu(tr.size) != size)
		return ckpt_err(ctx, -EINVAL,
				"trailer says %u records and %llu bytes, read %u and %llu",
				le32_to_cpu(tr.nr_records), le64_to_cpu(tr.size),
				nr, size);
	return ckpt_read_eof(ctx);
}

/**
 * ckpt_image_init() - set up the stream buffers of a context
 * @ctx: the context, with @file set
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_image_init(struct ckpt_ctx *ctx)
{
	ctx->crc = ~0U;
	/* restart: as the image's header says */
	ctx->version = (ctx->flags & CHECKPOINT_VERSION_MASK) >> CHECKPOINT_VERSION_SHIFT ?:
		       CKPT_IMAGE_VERSION;
	ctx->bvec = kvcalloc(CKPT_PAGES_MAX, sizeof(*ctx->bvec), GFP_KERNEL);
	if (!ctx->bvec)
		return -ENOMEM;
	if (!ctx->restart) {
		ctx->wbuf = kvmalloc(CKPT_WBUF_SIZE, GFP_KERNEL);
		if (!ctx->wbuf)
			return -ENOMEM;
	}
	return 0;
}

/**
 * ckpt_image_fini() - free the stream buffers of a context
 * @ctx: the context
 */
void ckpt_image_fini(struct ckpt_ctx *ctx)
{
	kvfree(ctx->bvec);
	kvfree(ctx->wbuf);
	kfree(ctx->file_path);
}

#ifdef CONFIG_CHECKPOINT_KUNIT_TEST
#include "tests/image-kunit.h"
#endif
