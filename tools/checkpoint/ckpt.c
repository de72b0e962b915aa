// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: checkpoint a process into an image, restart it from one, and
 * decode an image without the kernel.
 *
 * This file holds the command dispatch and what the commands share: error
 * reporting and the log descriptor handed to the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/checkpoint.h>

#include "ckpt.h"
#include "stats.h"

struct ckpt_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct ckpt_command commands[] = {
	{ "checkpoint", cmd_checkpoint, "save a running process into an image" },
	{ "restart",    cmd_restart,    "recreate a process from an image" },
	{ "show",       cmd_show,       "validate and decode an image" },
	{ "merge",      cmd_merge,      "make an incremental image and its parents one image" },
	{ "criu",       cmd_criu,       "CRIU-compatible front end for runc, crun, Podman" },
	{ "kexec",      cmd_kexec,      "move process trees to another kernel through kexec" },
	{ "migrate",    cmd_migrate,    "move a process tree to another ckpt over TCP, pre-copy" },
};

void ckpt_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("ckpt: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Report a failed checkpoint(2)/restart(2), with a hint for the common case */
void ckpt_syscall_err(const char *name, int err)
{
	ckpt_err("%s: %s", name, strerror(err));
	if (err == ENOSYS)
		ckpt_err("the running kernel has no %s(2) system call (it needs CONFIG_CHECKPOINT=y)",
			 name);
}

/*
 * 463 and 464 are the numbers of checkpoint(2) and restart(2) in this
 * tree, which is based on Linux 6.12.  From 6.13 on, mainline has given
 * them to setxattrat(2) and getxattrat(2): on such a kernel our call
 * would reach one of those and fail with a misleading error (they
 * cannot succeed: the pathname argument would be a small integer).
 * Say what is going on instead of calling it.
 *
 * Returns NULL if the running kernel may have our system calls, else the
 * reason why it has not, in buf.
 */
const char *ckpt_kernel_mismatch(char *buf, size_t len)
{
#if defined(__NR_checkpoint) && __NR_checkpoint == 463
	unsigned int major, minor;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return NULL;
	if (major < 6 || (major == 6 && minor <= 12))
		return NULL;
	snprintf(buf, len,
		 "the running kernel %s is newer than 6.12: its system calls 463 and 464 are setxattrat(2) and getxattrat(2), not checkpoint(2) and restart(2)",
		 u.release);
	return buf;
#else
	return NULL;	/* built for other numbers: trust the builder */
#endif
}

int ckpt_check_kernel(const char *name)
{
	char why[256];

	if (!ckpt_kernel_mismatch(why, sizeof(why)))
		return 0;
	ckpt_err("%s: %s", name, strerror(ENOSYS));
	ckpt_err("%s", why);
	return -1;
}

int ckpt_usage_err(const char *cmd, const char *msg)
{
	ckpt_err("%s: %s", cmd, msg);
	fprintf(stderr, "Try 'ckpt %s --help' for more information.\n", cmd);
	return CKPT_EXIT_USAGE;
}

/* --format-version N: CHECKPOINT_VERSION(N) into @flags */
bool ckpt_parse_format_version(const char *s, unsigned long *flags)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !v || v > CKPT_IMAGE_VERSION)
		return false;
	*flags |= CHECKPOINT_VERSION(v);
	return true;
}

bool ckpt_parse_pid(const char *s, int *pid)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > INT_MAX)
		return false;
	*pid = v;
	return true;
}

/*
 * FILE, or "-" for standard input or output so that an image can go
 * through a pipe.  An image is binary: refuse a terminal.  It holds the
 * memory of a process: create it readable by its owner only.
 */
int ckpt_open_image(const char *cmd, const char *path, bool output)
{
	int std = output ? STDOUT_FILENO : STDIN_FILENO;
	int fd;

	if (!strcmp(path, "-")) {
		if (!isatty(std))
			return std;
		ckpt_err("%s: refusing to %s an image %s a terminal", cmd,
			 output ? "write" : "read", output ? "to" : "from");
		return -1;
	}
	if (output)
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		ckpt_err("%s: %s: %s", cmd, path, strerror(errno));
	return fd;
}

/* Returns close()'s result; standard input and output stay open */
int ckpt_close_image(int fd)
{
	if (fd == STDIN_FILENO || fd == STDOUT_FILENO)
		return 0;
	return close(fd);
}

/*
 * Without -v or --log the kernel still gets a logfd: a memfd (a temporary
 * file where memfd_create() is missing), so that its account can be shown
 * when the call fails.  A pipe would not do: the kernel could fill it
 * before the system call returns and nobody would be reading.
 */
static int ckpt_log_buffer(void)
{
	FILE *f;
	int fd;

	fd = memfd_create("ckpt-log", MFD_CLOEXEC);
	if (fd >= 0)
		return fd;
	f = tmpfile();
	if (!f)
		return -1;
	fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 0);
	fclose(f);
	return fd;
}

/*
 * --log FILE, readable too if we are to read the figures back from it
 * and it is a regular file, or none yet.  Returns -1, errno set.
 */
static int ckpt_log_open_path(struct ckpt_log *log, bool read_back)
{
	const int flags = O_CREAT | O_TRUNC | O_CLOEXEC;
	struct stat st;

	if (read_back && (stat(log->path, &st) ? errno == ENOENT : S_ISREG(st.st_mode))) {
		log->fd = open(log->path, O_RDWR | flags, 0644);
		if (log->fd >= 0) {
			log->readable = true;
			return 0;
		}
	}
	log->fd = open(log->path, O_WRONLY | flags, 0644);
	return log->fd < 0 ? -1 : 0;
}

/*
 * read_back: the figures of the log are wanted (--stats, progress), so it
 * must be one that we can read: with -v, a buffer that
 * ckpt_progress_stop() copies to standard error.
 */
int ckpt_log_open(struct ckpt_log *log, const char *path, bool verbose, bool read_back)
{
	log->path = path;
	log->owned = true;
	log->on_failure = false;
	log->readable = false;
	log->tee = false;
	log->start = 0;
	if (verbose && !read_back) {
		log->fd = STDERR_FILENO;
		log->owned = false;
	} else if (path) {
		if (ckpt_log_open_path(log, read_back)) {
			ckpt_err("%s: %s", path, strerror(errno));
			return -1;
		}
	} else {
		log->fd = ckpt_log_buffer();
		log->on_failure = !verbose;
		log->tee = verbose;
		log->readable = true;
		if (log->fd < 0) {
			ckpt_err("log buffer: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Before each system call: the figures are those of its lines */
void ckpt_log_mark(struct ckpt_log *log)
{
	off_t at;

	if (!log->readable)
		return;
	at = lseek(log->fd, 0, SEEK_CUR);
	log->start = at < 0 ? 0 : at;
}

/* The caller has just failed: show the kernel's account of it */
void ckpt_log_show(const struct ckpt_log *log)
{
	char buf[4096];
	ssize_t n;
	off_t off = 0;

	if (log->path)
		ckpt_err("the kernel's log is in %s", log->path);
	if (!log->on_failure)
		return;
	fflush(stdout);
	while ((n = pread(log->fd, buf, sizeof(buf), off)) > 0) {
		if (fwrite(buf, 1, n, stderr) != (size_t)n)
			break;
		off += n;
	}
	fflush(stderr);
}

void ckpt_log_close(struct ckpt_log *log)
{
	if (log->owned && log->fd >= 0)
		close(log->fd);
	log->fd = -1;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: ckpt COMMAND [ARGS...]\n"
		"       ckpt COMMAND --help\n"
		"       ckpt --help | --version\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"checkpoint(2) and restart(2) need a kernel built with CONFIG_CHECKPOINT;\n"
		"'show' works anywhere.  See ckpt(1).\n");
}

static void print_version(void)
{
	printf("ckpt %s (checkpoint image format versions 1 to %u)\n",
	       CKPT_TOOL_VERSION, CKPT_IMAGE_VERSION);
}

int main(int argc, char **argv)
{
	const char *cmd = argv[1];
	const char *base;
	size_t i;

	/* Installed as criu (ln -s ckpt criu): the container managers' criu */
	base = argv[0] ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : argv[0];
	if (base && !strcmp(base, "criu"))
		return cmd_criu(argc, argv);

	if (argc < 2) {
		usage(stderr);
		return CKPT_EXIT_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		usage(stdout);
		return CKPT_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		print_version();
		return CKPT_EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);

	ckpt_err("unknown command '%s'", cmd);
	fprintf(stderr, "Try 'ckpt --help' for more information.\n");
	return CKPT_EXIT_USAGE;
}

int ckpt_cmd_open(const char *cmd, struct ckpt_log *log, const char *log_path, bool verbose,
		  bool read_back, struct ckpt_stats_file *sf, const char *path, bool output)
{
	int err, fd;

	if (ckpt_log_open(log, log_path, verbose, read_back))
		return -1;
	err = ckpt_stats_open(sf);
	if (err) {
		ckpt_err("%s: --stats %s: %s", cmd, sf->path, strerror(-err));
		ckpt_log_close(log);
		return -1;
	}
	fd = ckpt_open_image(cmd, path, output);
	if (fd < 0) {
		ckpt_stats_close(sf, NULL);
		ckpt_log_close(log);
	}
	return fd;
}
