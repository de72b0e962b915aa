/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt criu: a CRIU-compatible front end of checkpoint(2) and restart(2),
 * so that container managers that run `criu swrk` (runc, crun through
 * libcriu, Podman through runc) use the system calls unchanged.  See
 * Documentation/checkpoint/criu.rst.
 */
#ifndef CKPT_CRIU_H
#define CKPT_CRIU_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <linux/checkpoint.h>

#include "ckpt.h"
#include "scan.h"
#include "stats.h"
#include "rpc.pb-c.h"
#include "ckpt_criu.pb-c.h"

/*
 * The CRIU version we report: the lowest that runc 1.1.5, crun (libcriu)
 * and Podman 4.3 all accept; why not more is in criu.rst.
 */
#define CRIU_COMPAT_MAJOR	3
#define CRIU_COMPAT_MINOR	15
#define CRIU_COMPAT_SUBLEVEL	0
#define CRIU_COMPAT_VERSION	"3.15"

/* What we write in the images directory ... */
#define CRIU_IMG_FILE		"ckpt.img"
#define CRIU_INVENTORY_FILE	"inventory.img"
#define CRIU_DUMP_INFO_FILE	"ckpt-criu.img"
#define CRIU_PARENT_LINK	"parent"	/* -> parent_img, as CRIU's */
/* ... and in the work directory */
#define CRIU_STATS_DUMP		"stats-dump"
#define CRIU_STATS_RESTORE	"stats-restore"
#define CRIU_DEFAULT_LOG	"criu.log"

/* CRIU's criu/include/magic.h */
#define CRIU_IMG_SERVICE_MAGIC	0x55105940U
#define CRIU_INVENTORY_MAGIC	0x58313116U
#define CRIU_STATS_MAGIC	0x57093306U
#define CRIU_IMAGES_V1_1	2	/* InventoryEntry.img_version */
/* Ours, after CRIU_IMG_SERVICE_MAGIC in ckpt-criu.img: "CKCR" */
#define CKPT_CRIU_DUMP_MAGIC	0x52434b43U
#define CKPT_CRIU_DUMP_VERSION	1

/* go-criu reads a response into 8 KiB (runc: 40 KiB); ours stay below */
#define CRIU_RESP_MAX		8192
#define CRIU_ERRMSG_MAX		1024
/* A request larger than this is refused unread */
#define CRIU_REQ_MAX		(4U << 20)

/* One request's state; criu.c resets it for each */
struct criu_ctx {
	int sk;			/* the swrk socket */
	pid_t peer;		/* its creator (SO_PEERCRED): the caller */
	int img_dir;		/* images_dir_fd, reopened here; or -1 */
	int work_dir;		/* work_dir_fd reopened, or img_dir; or -1 */
	int log_fd;		/* log_file in work_dir, O_RDWR|O_APPEND; or -1 */
	bool notify;		/* notify_scripts: send NOTIFY responses */
	int err;		/* cr_errno of the first failure, 0 if none */
	char errmsg[CRIU_ERRMSG_MAX];	/* its message: cr_errmsg */
	struct timespec t0;	/* start of the request, for the log */
	const char *op;		/* its type's name: "DUMP", "PRE_DUMP"... */
};

/* criu.c */
void criu_log(struct criu_ctx *c, const char *fmt, ...) __printf(2, 3);
int criu_fail(struct criu_ctx *c, int err, const char *fmt, ...) __printf(3, 4);
int criu_notify(struct criu_ctx *c, const char *script, pid_t pid);
int criu_notify_fd(struct criu_ctx *c, const char *script, pid_t pid, int fd);
int criu_open_log(struct criu_ctx *c, const CriuOpts *o);
uint32_t criu_elapsed_us(const struct timespec *from);

/* criu_opts.c */
int criu_setup(struct criu_ctx *c, const CriuOpts *o, bool restore);
int criu_opts_check(struct criu_ctx *c, const CriuOpts *o, bool restore);
int criu_kernel_ok(struct criu_ctx *c);
int criu_parse_external(const char *ext, const char *kind, char **key, char **val);

/* criu_dump.c, criu_restore.c */
int criu_dump(struct criu_ctx *c, CriuOpts *o, bool predump);
int criu_restore(struct criu_ctx *c, CriuOpts *o, pid_t *pid);

/* criu_img.c: no logging, usable from the tests; errors are -errno */

int criu_img_write(int dirfd, const char *name, uint32_t magic1, uint32_t magic2,
		   const ProtobufCMessage *msg);
int criu_img_read(int dirfd, const char *name, uint32_t magic1, uint32_t magic2,
		  const ProtobufCMessageDescriptor *desc, ProtobufCMessage **msg);
int criu_write_inventory(int dirfd, uint32_t network_lock);
int criu_write_dump_stats(int dirfd, const struct ckpt_stats *s);
int criu_write_restore_stats(int dirfd, const struct ckpt_stats *s);
int criu_write_dump_info(int dirfd, const CkptCriuDump *d);
int criu_read_dump_info(int dirfd, CkptCriuDump **d);

#endif /* CKPT_CRIU_H */
