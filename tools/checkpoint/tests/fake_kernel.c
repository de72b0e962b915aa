// SPDX-License-Identifier: GPL-2.0
/*
 * A checkpoint(2) and restart(2) for host tests of a dynamically linked
 * ckpt, preloaded (LD_PRELOAD=fake_kernel.so): they write and read an
 * image of zeros slowly and write the log lines a kernel writes, so that
 * what ckpt makes of them (--stats, the progress line, -v) can be seen
 * without a checkpoint kernel.  uname(2) says 6.12, so that ckpt calls
 * them on a newer host.  Set in the environment:
 *
 *   FAKE_BYTES=N    the image's size (default 1 MiB)
 *   FAKE_MS=T       how long a call takes (default 0)
 *   FAKE_EAGAIN=K   the first K checkpoints fail with EAGAIN
 *   FAKE_OLD=1      no "stats:" line and no ", M shared", as before them
 *   FAKE_PREAD=1    restart reads with pread(): the position does not move
 *   FAKE_STATUS=S   the restored process exits with status S
 *   FAKE_SAVE=FILE  restart copies the image it reads to FILE, to show
 *                   what reached it (ckpt restart --parent: the merged image)
 *   FAKE_FLAGS=F    both calls fail with EINVAL unless their flags are F
 *   FAKE_EXT=FILE   restart writes to FILE a line per external it gets:
 *                   "KIND KEY PATH", PATH the file of its descriptor
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <stdint.h>
#include <unistd.h>

#define FAKE_NR_CHECKPOINT	463
#define FAKE_NR_RESTART		464
#define FAKE_CHUNK		(64 << 10)

/* struct ckpt_external of the uapi header, which this build does not see */
struct fake_external {
	uint32_t kind;
	int32_t fd;
	char key[64];
	char name[64];
};

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? atol(v) : def;
}

/* The image moves in chunks over FAKE_MS: a sleep after each */
static void fake_pace(long bytes)
{
	long chunks = (bytes + FAKE_CHUNK - 1) / FAKE_CHUNK;

	if (chunks)
		usleep(env_long("FAKE_MS", 0) * 1000 / chunks);
}

/* FAKE_FLAGS: 0 if the call's flags are the ones expected, else -1 (EINVAL) */
static int fake_check_flags(unsigned long flags, int logfd)
{
	const char *want = getenv("FAKE_FLAGS");

	if (!want || !*want || strtoul(want, NULL, 0) == flags)
		return 0;
	dprintf(logfd, "error: flags 0x%lx, expected %s\n", flags, want);
	errno = EINVAL;
	return -1;
}

static long fake_checkpoint(int fd, int logfd)
{
	static char zeros[FAKE_CHUNK];
	static int tries;
	long bytes = env_long("FAKE_BYTES", 1 << 20), done, n;
	bool old = env_long("FAKE_OLD", 0);

	dprintf(logfd, "froze 1 task(s)\n");
	if (++tries <= env_long("FAKE_EAGAIN", 0)) {
		if (write(fd, zeros, 4096) < 0)
			return -1;
		dprintf(logfd, "mm: 999 pages saved%s\n", old ? "" : ", 9 shared");
		dprintf(logfd, "error: the address space changed during checkpoint\n");
		errno = EAGAIN;
		return -1;
	}
	dprintf(logfd, "mm: 240 pages saved%s\n", old ? "" : ", 16 shared");
	for (done = 0; done < bytes; done += n) {
		n = bytes - done < FAKE_CHUNK ? bytes - done : FAKE_CHUNK;
		n = write(fd, zeros, n);
		if (n <= 0)
			return -1;
		fake_pace(bytes);
	}
	dprintf(logfd, "task %d (fake) saved\n", getpid());
	if (!old)
		dprintf(logfd,
			"stats: memory_us=4200 pages_scanned=300 pages_written=240 pages_cow=16 pages_skipped=44 pages_future=7\n");
	dprintf(logfd, "checkpoint of 1 task(s) complete: %ld bytes, 9 records, 5000 us frozen\n",
		bytes);
	return 0;
}

/* FAKE_EXT: what restart(2) was given, and the files the descriptors are */
static int fake_save_ext(const struct fake_external *ext, unsigned long nr)
{
	const char *save = getenv("FAKE_EXT");
	char link[64], path[4096];
	unsigned long i;
	ssize_t n;
	FILE *f;

	if (!save || !*save)
		return 0;
	f = fopen(save, "we");
	if (!f)
		return -1;
	for (i = 0; ext && i < nr; i++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", ext[i].fd);
		n = ext[i].fd < 0 ? -1 : readlink(link, path, sizeof(path) - 1);
		path[n > 0 ? n : 0] = '\0';
		fprintf(f, "%u %s %s\n", ext[i].kind, ext[i].key, n > 0 ? path : "-");
	}
	return fclose(f) ? -1 : 0;
}

static long fake_restart(int fd, int logfd)
{
	static char buf[FAKE_CHUNK];
	bool use_pread = env_long("FAKE_PREAD", 0);
	const char *save = getenv("FAKE_SAVE");
	int save_fd = -1;
	long total = 0, n;
	pid_t pid;

	if (save && *save) {
		save_fd = open(save, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (save_fd < 0)
			return -1;
	}
	dprintf(logfd, "image of 1 task(s) from kernel 6.12.0-fake\n");
	for (;;) {
		n = use_pread ? pread(fd, buf, sizeof(buf), total) : read(fd, buf, sizeof(buf));
		if (n < 0 || (n > 0 && save_fd >= 0 && write(save_fd, buf, n) != n)) {
			if (save_fd >= 0)
				close(save_fd);
			return -1;
		}
		if (!n)
			break;
		total += n;
		usleep(env_long("FAKE_MS", 0) * 1000 * n / env_long("FAKE_BYTES", 1 << 20));
	}
	if (!env_long("FAKE_OLD", 0))
		dprintf(logfd,
			"stats: memory_us=310 pages_restored=240 pages_cow=16 pages_cow_copied=2\n");
	if (save_fd >= 0)
		close(save_fd);
	dprintf(logfd, "restart of 1 task(s) complete: %ld bytes, 9 records\n", total);
	pid = fork();
	if (!pid)
		_exit(env_long("FAKE_STATUS", 0));
	return pid;
}

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == FAKE_NR_CHECKPOINT)
		return fake_check_flags(a[2], a[3]) ?: fake_checkpoint(a[1], a[3]);
	if (nr == FAKE_NR_RESTART)
		return fake_check_flags(a[2], a[3]) ?:
		       fake_save_ext((const void *)a[4], a[5]) ?: fake_restart(a[1], a[3]);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int uname(struct utsname *u)
{
	static int (*real)(struct utsname *);

	if (!real)
		real = (int (*)(struct utsname *))dlsym(RTLD_NEXT, "uname");
	if (real(u))
		return -1;
	snprintf(u->release, sizeof(u->release), "6.12.0-fake");
	return 0;
}
