/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt: userspace front end of checkpoint(2) and restart(2).
 */
#ifndef CKPT_H
#define CKPT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/types.h>

#define CKPT_TOOL_VERSION	"0.1"

/* Exit status of ckpt itself (`ckpt restart` has its own, see restart.c) */
#define CKPT_EXIT_OK		0
#define CKPT_EXIT_FAIL		1
#define CKPT_EXIT_USAGE		2

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define __printf(a, b)		__attribute__((format(printf, a, b)))

/* Older libc headers do not know the new system calls */
#ifdef __x86_64__
#ifndef __NR_checkpoint
#define __NR_checkpoint		463
#endif
#ifndef __NR_restart
#define __NR_restart		464
#endif
#endif

struct ckpt_external;

/*
 * checkpoint(2) fails with EAGAIN when the tasks changed while they were
 * saved (one forked, or exited and is not reaped yet; a TCP connection
 * moved) and went on: try again, waiting longer each time (10 ms, then
 * doubling: 1.3 s in all) for an exiting task to be gone.
 */
#define CKPT_EAGAIN_TRIES	8

static inline void ckpt_eagain_wait(int try)
{
	usleep(10000U << (try - 1));
}

/* The system calls; ENOSYS where this build knows no number for them */
static inline long ckpt_sys_checkpoint(pid_t pid, int fd, unsigned long flags, int logfd)
{
#ifdef __NR_checkpoint
	return syscall(__NR_checkpoint, pid, fd, flags, logfd);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static inline long ckpt_sys_restart(int fd, unsigned long flags, int logfd,
				    const struct ckpt_external *ext, unsigned int nr_ext)
{
#ifdef __NR_restart
	return syscall(__NR_restart, 0, fd, flags, logfd, ext, nr_ext);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* Where the kernel's account of a checkpoint or restart goes (logfd) */
struct ckpt_log {
	int fd;			/* logfd passed to the system call */
	const char *path;	/* --log FILE, or NULL */
	bool owned;		/* fd was opened by us and must be closed */
	bool on_failure;	/* fd is a buffer shown only on failure */
	bool readable;		/* fd can be read back (pread): its figures are known */
	bool tee;		/* -v, but fd is a buffer copied to standard error */
	off_t start;		/* where the lines of the last system call start */
};

int ckpt_log_open(struct ckpt_log *log, const char *path, bool verbose, bool read_back);
void ckpt_log_mark(struct ckpt_log *log);
void ckpt_log_show(const struct ckpt_log *log);
void ckpt_log_close(struct ckpt_log *log);

void ckpt_err(const char *fmt, ...) __printf(1, 2);
void ckpt_syscall_err(const char *name, int err);
int ckpt_check_kernel(const char *name);
const char *ckpt_kernel_mismatch(char *buf, size_t len);
bool ckpt_parse_pid(const char *s, int *pid);
bool ckpt_parse_format_version(const char *s, unsigned long *flags);
#define __ckpt_str(x)		#x
#define ckpt_str(x)		__ckpt_str(x)
/* Where used, <linux/checkpoint.h> gives CKPT_IMAGE_VERSION */
#define CKPT_FORMAT_VERSION_ERR	\
	"--format-version takes a version from 1 to " ckpt_str(CKPT_IMAGE_VERSION)
int ckpt_usage_err(const char *cmd, const char *msg);
int ckpt_open_image(const char *cmd, const char *path, bool output);

/*
 * io.c: all of len bytes, through short counts and EINTR.  0, or -1 with
 * errno set: EIO for a write that wrote nothing, ECONNRESET for a read
 * that met the end of the file.
 */
int ckpt_write_all(int fd, const void *buf, size_t len);
int ckpt_read_all(int fd, void *buf, size_t len);

int ckpt_close_image(int fd);

int cmd_checkpoint(int argc, char **argv);
int cmd_restart(int argc, char **argv);
/* cmd_restart() with more externals, after those of its options (ckpt migrate's) */
int ckpt_restart_ext(int argc, char **argv, const struct ckpt_external *ext,
		     unsigned int nr_ext);
int cmd_show(int argc, char **argv);
int cmd_criu(int argc, char **argv);
int cmd_kexec(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_migrate(int argc, char **argv);

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
void crc32c_choose(void);
uint32_t crc32c_append(uint32_t crc, uint32_t part, uint64_t len);
uint32_t crc32c_append_factor(uint64_t len);
uint32_t crc32c_append_op(uint32_t crc, uint32_t part, uint32_t factor);

#endif /* CKPT_H */
