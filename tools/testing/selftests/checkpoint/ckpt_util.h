/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the checkpoint(2)/restart(2) selftests.
 *
 * A test forks a child, which makes itself checkpointable (ckpt_spawn()),
 * sets up the state under test and tells the test with SIGUSR2 that it is
 * ready. The test checkpoints and restarts it, then tells it with SIGUSR1 to
 * check that state and exit: 0 when everything held, else a code from 1 to
 * 99 that the test turns into a message. A child that has more to say than
 * its exit code writes notes (ckpt_child_note()) that the test prints when
 * the child fails. Every failing checkpoint or restart prints the kernel's
 * log, and one that hangs the log so far (ckpt_call_restart()), so that a
 * failure always shows the kernel's reason.
 */
#ifndef __CKPT_UTIL_H
#define __CKPT_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/checkpoint.h>

/* Its timeout handler has an unused parameter; our own code is -Wextra clean */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../kselftest_harness.h"
#include "ckpt_bytes.h"
#pragma GCC diagnostic pop

#ifndef __NR_checkpoint
#define __NR_checkpoint 463
#endif
#ifndef __NR_restart
#define __NR_restart 464
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif

/* Under TCG with KASAN everything is slow: wait long, but not forever. */
#define CKPT_READY_TIMEOUT_MS	60000
#define CKPT_EXIT_TIMEOUT_MS	60000
/* How long one checkpoint() or restart() of a small task may take */
#define CKPT_CALL_TIMEOUT_S	30

/* Exit codes of a child that could not make itself checkpointable */
enum {
	CKPT_EXIT_DEVNULL = 100,
	CKPT_EXIT_FDS,
	CKPT_EXIT_MAPS,
	CKPT_EXIT_MUNMAP,
	CKPT_EXIT_SIGMASK,
	CKPT_EXIT_HANDLER,
	CKPT_EXIT_MAX,
};

static const char *const ckpt_helper_exit_reasons[] = {
	[CKPT_EXIT_DEVNULL - CKPT_EXIT_DEVNULL] = "could not open /dev/null",
	[CKPT_EXIT_FDS - CKPT_EXIT_DEVNULL] = "could not set up fds 0-2 or close the others",
	[CKPT_EXIT_MAPS - CKPT_EXIT_DEVNULL] = "could not read /proc/self/maps",
	[CKPT_EXIT_MUNMAP - CKPT_EXIT_DEVNULL] = "could not unmap a shared mapping",
	[CKPT_EXIT_SIGMASK - CKPT_EXIT_DEVNULL] = "could not clear the signal mask",
	[CKPT_EXIT_HANDLER - CKPT_EXIT_DEVNULL] = "could not install the SIGUSR1 handler",
};

/* What a child's exit codes mean: msg[code], for codes below nr */
struct ckpt_reasons {
	const char *const *msg;
	size_t nr;
};

#define CKPT_REASONS(array) \
	((struct ckpt_reasons){ .msg = (array), .nr = ARRAY_SIZE(array) })
#define CKPT_NO_REASONS ((struct ckpt_reasons){ .msg = NULL, .nr = 0 })

#define CKPT_MAX_CHILDREN 8

/* What a test keeps: a scratch directory, the image and the kernel's log. */
struct ckpt_ctx {
	char dir[64];
	char image_path[128];
	char log_path[128];
	int image_fd;
	int log_fd;
	int call_timeout_s;		/* for the watchdog, see below */
	pid_t pids[CKPT_MAX_CHILDREN];	/* children to kill in teardown */
};

/* Where ckpt_child_note() writes; set by ckpt_ctx_setup() before any fork */
static char ckpt_note_path[128];

/* Set by SIGUSR1 in a child: the test asks it to check its state and exit */
static volatile sig_atomic_t ckpt_child_finish;

static inline long sys_checkpoint(pid_t pid, int fd, unsigned long flags,
				  int logfd)
{
	return syscall(__NR_checkpoint, pid, fd, flags, logfd);
}

static inline long sys_restart(pid_t pid, int fd, unsigned long flags,
			       int logfd)
{
	return syscall(__NR_restart, pid, fd, flags, logfd);
}

static inline int64_t ckpt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void ckpt_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Reads a whole file into @buf and NUL-terminates it; -1 if it does not fit */
static inline ssize_t ckpt_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (n < 0 || len == size - 1)
		return -1;
	buf[len] = '\0';
	return len;
}

/* Writes @val to cgroup file @dir/@file, as echo would; 0 or -1 */
static inline int ckpt_cg_write(const char *dir, const char *file, const char *val)
{
	char path[192];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return ret;
}

/* The contents of cgroup file @dir/@file without its last newline, or "?" */
static inline const char *ckpt_cg_read(const char *dir, const char *file)
{
	static char buf[256];
	char path[192];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	n = ckpt_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return "?";
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}

/* Empties a scratch file and rewinds it */
static inline int ckpt_reset_file(int fd)
{
	if (ftruncate(fd, 0))
		return -1;
	return lseek(fd, 0, SEEK_SET) == 0 ? 0 : -1;
}

/*
 * The test's pattern for a word of memory: cheap enough to fill and check
 * hundreds of MiB under TCG, and different at every word and for every seed,
 * so that a page restored at the wrong address or from the wrong task shows.
 */
static __always_inline uint64_t ckpt_pattern_word(uint64_t seed, size_t index)
{
	uint64_t x = (index + seed) * 0x9e3779b97f4a7c15ULL;

	return x ^ (x >> 29);
}

static inline void ckpt_fill_pattern(void *mem, size_t len, uint64_t seed,
				     size_t first_index)
{
	uint64_t *p = mem;
	size_t i;

	for (i = 0; i < len / 8; i++)
		p[i] = ckpt_pattern_word(seed, first_index + i);
}

/* Returns the byte offset of the first word that differs, or -1 */
static inline ssize_t ckpt_check_pattern(const void *mem, size_t len,
					 uint64_t seed, size_t first_index)
{
	const uint64_t *p = mem;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (p[i] != ckpt_pattern_word(seed, first_index + i))
			return i * 8;
	return -1;
}

/*
 * Child side. After ckpt_spawn() the child has no harness state any more:
 * no ASSERT_*(), no stdio; it reports through its exit code and notes.
 */

/* Appends a line to the notes file, which the test prints if the child fails */
static inline __printf(1, 2) void ckpt_child_note(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int fd, len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	/* Opened and closed each time so that it is never part of an image */
	fd = open(ckpt_note_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return;
	ckpt_write_all(fd, line, len);
	close(fd);
}

static inline void ckpt_child_ready(void)
{
	kill(getppid(), SIGUSR2);
}

/* Parks the child until the test sends SIGUSR1 (the test sends it again
 * until the child exits, so a signal between the test and pause() is fine).
 */
static inline void ckpt_child_wait_finish(void)
{
	while (!ckpt_child_finish)
		pause();
}

static inline void ckpt_child_finish_handler(int sig)
{
	(void)sig;
	ckpt_child_finish = 1;
}

static char ckpt_maps_buf[1 << 16];

/* Unmap every shared mapping that @maps (/proc/PID/maps text) lists */
static inline int ckpt_unmap_shared_in(char *maps)
{
	char *line, *end;

	for (line = maps; *line; line = end) {
		unsigned long start, stop;
		char *p;

		end = strchrnul(line, '\n');
		if (*end)
			end++;
		start = strtoul(line, &p, 16);
		stop = strtoul(p + 1, &p, 16);
		/* " rw-s": the fourth permission character is 's' for shared */
		if (p[1] && p[2] && p[3] && p[4] == 's' &&
		    munmap((void *)start, stop - start))
			return -1;
	}
	return 0;
}

/*
 * The harness shares its bookkeeping with the tests through MAP_SHARED
 * mappings, which are the test's, not the child's: drop them, so that
 * the image holds only the child's own state.
 */
static inline int ckpt_child_unmap_shared(void)
{
	if (ckpt_read_file("/proc/self/maps", ckpt_maps_buf,
			   sizeof(ckpt_maps_buf)) < 0)
		return CKPT_EXIT_MAPS;
	return ckpt_unmap_shared_in(ckpt_maps_buf) ? CKPT_EXIT_MUNMAP : 0;
}

/*
 * Makes the calling child what this version of checkpoint(2) can save: one
 * process whose fds 0-2 are /dev/null and that holds no other fd, no shared
 * mapping, blocks no signal and finishes on SIGUSR1.
 */
static inline int ckpt_child_detach(void)
{
	struct sigaction sa = { .sa_handler = ckpt_child_finish_handler };
	sigset_t none;
	int fd, ret;

	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return CKPT_EXIT_DEVNULL;
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
	    syscall(__NR_close_range, 3, ~0U, 0))
		return CKPT_EXIT_FDS;
	ret = ckpt_child_unmap_shared();
	if (ret)
		return ret;
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL))
		return CKPT_EXIT_SIGMASK;
	ckpt_child_finish = 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return CKPT_EXIT_HANDLER;
	return 0;
}

/* The simplest checkpointable child: waits for SIGUSR1 and exits 0 */
static inline int ckpt_idle_child(void *arg)
{
	(void)arg;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

/*
 * Test side.
 */

static inline int ckpt_rm_entry(const char *path, const struct stat *st,
				int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static inline void ckpt_ctx_track(struct ckpt_ctx *ctx, pid_t pid)
{
	int i;

	for (i = 0; i < CKPT_MAX_CHILDREN; i++) {
		if (ctx->pids[i] == pid)
			return;
		if (!ctx->pids[i]) {
			ctx->pids[i] = pid;
			return;
		}
	}
}

static inline void ckpt_ctx_setup(struct __test_metadata *_metadata,
				  struct ckpt_ctx *ctx)
{
	const char *tmp = getenv("TMPDIR");
	sigset_t set;

	memset(ctx, 0, sizeof(*ctx));
	ctx->image_fd = -1;
	ctx->log_fd = -1;
	ctx->call_timeout_s = CKPT_CALL_TIMEOUT_S;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	/* A bare initramfs may have no /tmp */
	if (mkdir(tmp, 01777) && errno != EEXIST)
		TH_LOG("mkdir %s: %s", tmp, strerror(errno));
	snprintf(ctx->dir, sizeof(ctx->dir), "%s/ckpt-test.XXXXXX", tmp);
	ASSERT_TRUE(!!mkdtemp(ctx->dir))
		TH_LOG("mkdtemp %s: %s", ctx->dir, strerror(errno));
	snprintf(ctx->image_path, sizeof(ctx->image_path), "%s/image",
		 ctx->dir);
	snprintf(ctx->log_path, sizeof(ctx->log_path), "%s/log", ctx->dir);
	snprintf(ckpt_note_path, sizeof(ckpt_note_path), "%s/notes",
		 ctx->dir);
	ctx->image_fd = open(ctx->image_path,
			     O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, ctx->image_fd)
		TH_LOG("open %s: %s", ctx->image_path, strerror(errno));
	ctx->log_fd = open(ctx->log_path,
			   O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, ctx->log_fd)
		TH_LOG("open %s: %s", ctx->log_path, strerror(errno));
	/* Children say "ready" with SIGUSR2, collected by sigtimedwait() */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
}

static inline void *ckpt_slurp(int fd, size_t *size);

/*
 * With CKPT_SEED_DIR set, teardown keeps each test's last image there
 * (ckpt-test.XXXXXX.img) as a seed for the restart(2) fuzzer, ckpt_fuzz.
 */
static inline void ckpt_keep_seed(struct ckpt_ctx *ctx)
{
	const char *dir = getenv("CKPT_SEED_DIR");
	char path[256];
	size_t len;
	void *data;
	int fd;

	if (!dir || !*dir || ctx->image_fd < 0)
		return;
	data = ckpt_slurp(ctx->image_fd, &len);
	if (!data || !len) {
		free(data);
		return;
	}
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/%s.img", dir, strrchr(ctx->dir, '/') + 1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ckpt_write_all(fd, data, len);
		close(fd);
	}
	free(data);
}

/* Kills and reaps every child still alive, then removes the scratch files */
static inline void ckpt_ctx_teardown(struct ckpt_ctx *ctx)
{
	siginfo_t si;
	int i;

	for (i = 0; i < CKPT_MAX_CHILDREN && ctx->pids[i]; i++) {
		/* Only a pid that is still our child: it cannot be reused */
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, ctx->pids[i], &si,
			   WEXITED | WNOHANG | WNOWAIT))
			continue;
		kill(ctx->pids[i], SIGKILL);
		waitpid(ctx->pids[i], NULL, 0);
	}
	ckpt_keep_seed(ctx);
	if (ctx->image_fd >= 0)
		close(ctx->image_fd);
	if (ctx->log_fd >= 0)
		close(ctx->log_fd);
	if (ctx->dir[0])
		nftw(ctx->dir, ckpt_rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/*
 * Reads the last @size - 1 bytes of a file (a log's reason is at its end),
 * starting at a line, and NUL-terminates them.
 */
static inline ssize_t ckpt_read_tail(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	struct stat st;
	off_t start;
	ssize_t n;
	char *nl;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st)) {
		close(fd);
		return -1;
	}
	start = st.st_size > (off_t)size - 1 ? st.st_size - (size - 1) : 0;
	while (len < size - 1) {
		n = pread(fd, buf + len, size - 1 - len, start + len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	nl = start ? memchr(buf, '\n', len) : NULL;
	if (nl) {
		len -= nl + 1 - buf;
		memmove(buf, nl + 1, len + 1);
	}
	return len;
}

/* Prints a file line by line as TAP comments, its last @max_lines lines */
static inline void ckpt_dump_file(struct __test_metadata *_metadata,
				  const char *what, const char *path,
				  int max_lines)
{
	static char buf[1 << 16];
	char *line, *end;
	int lines = 0, skip;
	ssize_t len;

	len = ckpt_read_tail(path, buf, sizeof(buf));
	if (len < 0 && errno == ENOENT) {
		TH_LOG("%s: (nothing)", what);
		return;
	}
	if (len < 0) {
		TH_LOG("%s: cannot read %s: %s", what, path, strerror(errno));
		return;
	}
	if (!len) {
		TH_LOG("%s: (empty)", what);
		return;
	}
	for (line = buf; *line; line++)
		lines += *line == '\n';
	if (buf[len - 1] != '\n')
		lines++;
	skip = lines > max_lines ? lines - max_lines : 0;
	if (skip)
		TH_LOG("%s: ... %d earlier lines left out", what, skip);
	for (line = buf; *line; line = end) {
		end = strchrnul(line, '\n');
		if (*end)
			*end++ = '\0';
		if (skip-- > 0)
			continue;
		TH_LOG("%s: %s", what, line);
	}
}

static inline void ckpt_dump_log(struct __test_metadata *_metadata,
				 struct ckpt_ctx *ctx)
{
	ckpt_dump_file(_metadata, "kernel log", ctx->log_path, 40);
}

static inline bool ckpt_log_contains(struct ckpt_ctx *ctx, const char *needle)
{
	static char buf[1 << 16];

	if (ckpt_read_tail(ctx->log_path, buf, sizeof(buf)) < 0)
		return false;
	return strcasestr(buf, needle);
}

static inline void ckpt_explain_errno(struct __test_metadata *_metadata,
				      const char *call, int err)
{
	if (err == ENOSYS)
		TH_LOG("%s is not in this kernel (ENOSYS): CONFIG_CHECKPOINT=y?",
		       call);
	if (err == ETIMEDOUT)
		TH_LOG("%s hung: the watchdog's lines above show the log", call);
}

/*
 * Runs @fn(@arg) in a checkpointable child and waits until it says it is
 * ready. Returns its pid.
 */
static inline pid_t ckpt_spawn(struct __test_metadata *_metadata,
			       struct ckpt_ctx *ctx, int (*fn)(void *),
			       void *arg)
{
	int64_t deadline = ckpt_now_ns() + CKPT_READY_TIMEOUT_MS * 1000000LL;
	struct timespec ts = { 0, 50 * 1000000L };
	siginfo_t si;
	sigset_t set;
	int status, ret;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid) TH_LOG("fork: %s", strerror(errno));
	if (!pid) {
		ret = ckpt_child_detach();
		_exit(ret ? ret : fn(arg));
	}
	ckpt_ctx_track(ctx, pid);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (sigtimedwait(&set, &si, &ts) == SIGUSR2 &&
		    si.si_pid == pid)
			return pid;
		ret = waitpid(pid, &status, WNOHANG);
		ASSERT_EQ(0, ret) {
			if (ret == pid && WIFEXITED(status))
				TH_LOG("child exited with %d before it was ready",
				       WEXITSTATUS(status));
			else if (ret == pid)
				TH_LOG("child died of signal %d before it was ready",
				       WTERMSIG(status));
			ckpt_dump_file(_metadata, "child", ckpt_note_path, 20);
		}
		ASSERT_LT(ckpt_now_ns(), deadline)
			TH_LOG("child %d not ready after %d ms", pid,
			       CKPT_READY_TIMEOUT_MS);
	}
}

/*
 * A checkpoint() or restart() that does not return would only show as the
 * harness's "terminated by timeout". The watchdog, a thread of the test,
 * says instead which call hangs and what the kernel had logged by then,
 * and interrupts it with SIGALRM (a no-op handler) in case its wait allows.
 */
static struct {
	pthread_t thread;
	pthread_t caller;
	char what[96];
	const char *log_path;
	int64_t deadline;
	int timeout_s;
	int armed;
	int fired;
	bool started;
} ckpt_watch;

static inline void ckpt_watch_alarm(int sig)
{
	(void)sig;
}

static inline void *ckpt_watch_thread(void *arg)
{
	static char tail[2048];
	char *line, *end;

	(void)arg;
	for (;;) {
		ckpt_sleep_ms(250);
		if (!__atomic_load_n(&ckpt_watch.armed, __ATOMIC_ACQUIRE) ||
		    ckpt_now_ns() < ckpt_watch.deadline)
			continue;
		dprintf(2, "# watchdog: %s has not returned after %d s; the kernel's log so far:\n",
			ckpt_watch.what, ckpt_watch.timeout_s);
		if (ckpt_read_tail(ckpt_watch.log_path, tail, sizeof(tail)) > 0) {
			for (line = tail; *line; line = end) {
				end = strchrnul(line, '\n');
				dprintf(2, "# watchdog:   %.*s\n",
					(int)(end - line), line);
				if (*end)
					end++;
			}
		}
		ckpt_watch.fired = 1;
		__atomic_store_n(&ckpt_watch.armed, 0, __ATOMIC_RELEASE);
		pthread_kill(ckpt_watch.caller, SIGALRM);
	}
	return NULL;
}

static inline void ckpt_watch_start(struct ckpt_ctx *ctx, const char *what)
{
	struct sigaction sa = { .sa_handler = ckpt_watch_alarm };

	if (!ckpt_watch.started) {
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		ckpt_watch.started = !pthread_create(&ckpt_watch.thread, NULL,
						     ckpt_watch_thread, NULL);
	}
	snprintf(ckpt_watch.what, sizeof(ckpt_watch.what), "%s", what);
	ckpt_watch.caller = pthread_self();
	ckpt_watch.log_path = ctx->log_path;
	ckpt_watch.timeout_s = ctx->call_timeout_s;
	ckpt_watch.deadline = ckpt_now_ns() +
			      ctx->call_timeout_s * 1000000000LL;
	ckpt_watch.fired = 0;
	__atomic_store_n(&ckpt_watch.armed, 1, __ATOMIC_RELEASE);
}

/* Returns whether the watchdog fired */
static inline bool ckpt_watch_stop(void)
{
	__atomic_store_n(&ckpt_watch.armed, 0, __ATOMIC_RELEASE);
	return ckpt_watch.fired;
}

/*
 * checkpoint(2) and restart(2) under the watchdog. A hung call that the
 * watchdog interrupted returns -1 with errno ETIMEDOUT, which neither call
 * returns itself.
 */
static inline long ckpt_call_watched(struct ckpt_ctx *ctx, long nr,
				     const char *name, pid_t pid, int fd,
				     unsigned long flags, int logfd)
{
	char what[96];
	long ret;

	snprintf(what, sizeof(what), "%s(%d, %d, %#lx, %d)", name, pid, fd,
		 flags, logfd);
	ckpt_watch_start(ctx, what);
	ret = syscall(nr, pid, fd, flags, logfd);
	if (ckpt_watch_stop() && ret < 0)
		errno = ETIMEDOUT;
	return ret;
}

static inline long ckpt_call_watched_ext(struct ckpt_ctx *ctx, struct ckpt_external *ext,
					 unsigned int nr)
{
	long ret;

	ckpt_watch_start(ctx, "restart(0, fd, RESTART_EXTERNAL, logfd, ext, nr)");
	ret = syscall(__NR_restart, 0, ctx->image_fd, RESTART_EXTERNAL, ctx->log_fd, ext, nr);
	if (ckpt_watch_stop() && ret < 0)
		errno = ETIMEDOUT;
	return ret;
}

static inline long ckpt_call_checkpoint(struct ckpt_ctx *ctx, pid_t pid,
					int fd, unsigned long flags, int logfd)
{
	return ckpt_call_watched(ctx, __NR_checkpoint, "checkpoint", pid, fd,
				 flags, logfd);
}

static inline long ckpt_call_restart(struct ckpt_ctx *ctx, pid_t pid, int fd,
				     unsigned long flags, int logfd)
{
	return ckpt_call_watched(ctx, __NR_restart, "restart", pid, fd, flags,
				 logfd);
}

/* checkpoint(2) into the (emptied) image file; on failure logs why */
static inline long ckpt_checkpoint(struct __test_metadata *_metadata,
				   struct ckpt_ctx *ctx, pid_t pid,
				   unsigned long flags)
{
	long ret;
	int err, i;

	/* EAGAIN: the tasks changed while saved and went on; as ckpt does */
	for (i = 0; i < 3; i++) {
		if (ckpt_reset_file(ctx->image_fd) || ckpt_reset_file(ctx->log_fd)) {
			TH_LOG("cannot empty the image or log file: %s",
			       strerror(errno));
			return -1;
		}
		ret = ckpt_call_checkpoint(ctx, pid, ctx->image_fd, flags, ctx->log_fd);
		if (!ret || errno != EAGAIN)
			break;
	}
	if (ret) {
		err = errno;
		TH_LOG("checkpoint(%d, fd, %#lx, logfd) = %ld: %s", pid, flags,
		       ret, strerror(err));
		ckpt_explain_errno(_metadata, "checkpoint(2)", err);
		ckpt_dump_log(_metadata, ctx);
		errno = err;
	}
	return ret;
}

/* restart(2) from the start of the image file; on failure logs why */
static inline pid_t ckpt_restart(struct __test_metadata *_metadata,
				 struct ckpt_ctx *ctx)
{
	long ret;
	int err;

	if (lseek(ctx->image_fd, 0, SEEK_SET) || ckpt_reset_file(ctx->log_fd)) {
		TH_LOG("cannot rewind the image or empty the log: %s",
		       strerror(errno));
		return -1;
	}
	ret = ckpt_call_restart(ctx, 0, ctx->image_fd, 0, ctx->log_fd);
	if (ret < 0) {
		err = errno;
		TH_LOG("restart(0, fd, 0, logfd) = %ld: %s", ret,
		       strerror(err));
		ckpt_explain_errno(_metadata, "restart(2)", err);
		ckpt_dump_log(_metadata, ctx);
		errno = err;
		return -1;
	}
	ckpt_ctx_track(ctx, ret);
	return ret;
}

/* restart(2) from the start of the image with @nr externals at @ext */
static inline long ckpt_restart_ext(struct ckpt_ctx *ctx, struct ckpt_external *ext,
				    unsigned int nr)
{
	if (lseek(ctx->image_fd, 0, SEEK_SET) || ckpt_reset_file(ctx->log_fd))
		return -1;
	return ckpt_call_watched_ext(ctx, ext, nr);
}

/*
 * Waits up to @timeout_ms for child @pid to end and returns its wait status,
 * or -1 on timeout. With @nudge, sends it SIGUSR1 every 100 ms meanwhile.
 */
static inline int ckpt_wait_child(pid_t pid, int timeout_ms, bool nudge)
{
	int64_t deadline = ckpt_now_ns() + timeout_ms * 1000000LL;
	int status, i;

	for (;;) {
		if (nudge)
			kill(pid, SIGUSR1);
		for (i = 0; i < 10; i++) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				return status;
			if (ckpt_now_ns() > deadline)
				return -1;
			ckpt_sleep_ms(10);
		}
	}
}

/* Waits for the kill of a CHECKPOINT_KILL checkpoint and reaps the task */
static inline void ckpt_reap_killed(struct __test_metadata *_metadata,
				    pid_t pid)
{
	int status = ckpt_wait_child(pid, CKPT_EXIT_TIMEOUT_MS, false);

	ASSERT_NE(-1, status)
		TH_LOG("task %d still alive after checkpoint with CHECKPOINT_KILL",
		       pid);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("task %d was not SIGKILLed by CHECKPOINT_KILL but %s %d",
		       pid, WIFEXITED(status) ? "exited with" : "died of signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) :
					   WTERMSIG(status));
}

/*
 * The common cycle: checkpoint @pid with CHECKPOINT_KILL, reap it, restart
 * it from the image and check that it came back with its pid.
 */
static inline void ckpt_kill_and_restart(struct __test_metadata *_metadata,
					 struct ckpt_ctx *ctx, pid_t pid)
{
	pid_t restored;

	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	restored = ckpt_restart(_metadata, ctx);
	ASSERT_EQ(pid, restored)
		TH_LOG("restart() must recreate the task with its saved pid");
}

/*
 * Asserts that a child ended with exit code 0; otherwise logs what its code
 * means (from @reasons, indexed by code) and the child's notes.
 */
static inline void ckpt_assert_exit_ok(struct __test_metadata *_metadata,
				       int status, struct ckpt_reasons reasons)
{
	const char *why = "unknown exit code";
	int code;

	ASSERT_NE(-1, status)
		TH_LOG("child did not exit within %d ms", CKPT_EXIT_TIMEOUT_MS);
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return;
	if (WIFEXITED(status)) {
		code = WEXITSTATUS(status);
		if ((size_t)code < reasons.nr && reasons.msg[code])
			why = reasons.msg[code];
		else if (code >= CKPT_EXIT_DEVNULL && code < CKPT_EXIT_MAX)
			why = ckpt_helper_exit_reasons[code - CKPT_EXIT_DEVNULL];
		TH_LOG("child exited with %d: %s", code, why);
	} else if (WIFSIGNALED(status)) {
		TH_LOG("child died of signal %d (%s)", WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
	}
	ckpt_dump_file(_metadata, "child", ckpt_note_path, 20);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
}

/* Tells a (restored) child to check its state and exit, and asserts it did */
static inline void ckpt_finish(struct __test_metadata *_metadata, pid_t pid,
			       struct ckpt_reasons reasons)
{
	int status = ckpt_wait_child(pid, CKPT_EXIT_TIMEOUT_MS, true);

	ckpt_assert_exit_ok(_metadata, status, reasons);
}

/* True while @pid is our child and has not ended */
static inline bool ckpt_child_running(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT))
		return false;
	return si.si_pid == 0;
}

/*
 * After a failed restart nothing may be left behind: no child of ours, not
 * even a zombie, and no task with the saved pid. Logs and cleans up what is.
 */
static inline bool ckpt_nothing_left(struct __test_metadata *_metadata,
				     pid_t saved_pid, const char *what)
{
	int status;
	pid_t left;

	left = waitpid(-1, &status, WNOHANG);
	if (left != -1 || errno != ECHILD) {
		TH_LOG("%s: restart() failed but left %s behind", what,
		       left > 0 ? "a zombie" : "a running child");
		kill(saved_pid, SIGKILL);
		waitpid(saved_pid, NULL, 0);
		return false;
	}
	if (kill(saved_pid, 0) == 0 || errno != ESRCH) {
		TH_LOG("%s: restart() failed but pid %d exists", what,
		       saved_pid);
		return false;
	}
	return true;
}

enum ckpt_outcome {
	CKPT_FAILED_CLEANLY,
	CKPT_MISBEHAVED,
	CKPT_HUNG,
};

/*
 * restart(2) of the image in the image file, with these arguments, must fail
 * with @expected, log an error if @logged, and leave nothing behind: no
 * child and no task @saved_pid. Otherwise this logs what happened and
 * cleans up after it.
 */
static inline enum ckpt_outcome
ckpt_restart_must_fail(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
		       pid_t pid, int fd, unsigned long flags, int logfd,
		       int expected, bool logged, pid_t saved_pid,
		       const char *what)
{
	long ret;
	int err;

	if (lseek(ctx->image_fd, 0, SEEK_SET) || ckpt_reset_file(ctx->log_fd)) {
		TH_LOG("%s: cannot rewind the image or empty the log: %s",
		       what, strerror(errno));
		return CKPT_MISBEHAVED;
	}
	ret = ckpt_call_restart(ctx, pid, fd, flags, logfd);
	err = errno;
	if (ret >= 0) {
		TH_LOG("%s: restart() succeeded, pid %ld", what, ret);
		kill(ret, SIGKILL);
		waitpid(ret, NULL, 0);
		return CKPT_MISBEHAVED;
	}
	if (err == ETIMEDOUT) {
		TH_LOG("%s: restart() hung (see the watchdog's lines)", what);
		return CKPT_HUNG;
	}
	if (err != expected) {
		TH_LOG("%s: restart() failed with %s, expected %s", what,
		       strerrorname_np(err), strerrorname_np(expected));
		ckpt_explain_errno(_metadata, "restart(2)", err);
		ckpt_dump_log(_metadata, ctx);
		return CKPT_MISBEHAVED;
	}
	if (logged && !ckpt_log_contains(ctx, "error")) {
		TH_LOG("%s: restart() failed with %s but logged no error", what,
		       strerrorname_np(err));
		ckpt_dump_log(_metadata, ctx);
		return CKPT_MISBEHAVED;
	}
	return ckpt_nothing_left(_metadata, saved_pid, what) ?
	       CKPT_FAILED_CLEANLY : CKPT_MISBEHAVED;
}

/*
 * Image layout, for the tests that look inside an image.
 */
struct ckpt_rec {
	size_t off;		/* of the record header in the image */
	uint32_t type;
	uint32_t len;		/* of the payload */
};

static inline void *ckpt_payload(void *image, const struct ckpt_rec *rec)
{
	return (char *)image + rec->off + sizeof(struct ckpt_rec_hdr);
}

/*
 * Splits an image into its records, following the header lengths from the
 * start. Returns the number of records up to and including the TRAILER, or
 * -1 with *@why set if the image is not a sequence of whole records that
 * starts with a HEADER and ends with a TRAILER exactly at @size.
 */
static inline int ckpt_split_image(const void *image, size_t size,
				   struct ckpt_rec *recs, int max_recs,
				   const char **why)
{
	const struct ckpt_rec_hdr *hdr;
	size_t off = 0;
	int n = 0;

	while (off < size) {
		if (n == max_recs) {
			*why = "too many records";
			return -1;
		}
		if (size - off < sizeof(*hdr)) {
			*why = "a record header runs past the end";
			return -1;
		}
		hdr = (const void *)((const char *)image + off);
		recs[n].off = off;
		recs[n].type = le32toh(hdr->type);
		recs[n].len = le32toh(hdr->len);
		if (recs[n].len % 8) {
			*why = "a record length is not a multiple of 8";
			return -1;
		}
		if (size - off - sizeof(*hdr) < recs[n].len) {
			*why = "a record payload runs past the end";
			return -1;
		}
		off += sizeof(*hdr) + recs[n].len;
		if (recs[n++].type == CKPT_REC_TRAILER)
			break;
	}
	if (!n || recs[0].type != CKPT_REC_HEADER) {
		*why = "the first record is not a HEADER";
		return -1;
	}
	if (recs[n - 1].type != CKPT_REC_TRAILER) {
		*why = "the image does not end with a TRAILER";
		return -1;
	}
	if (off != size) {
		*why = "there are bytes after the TRAILER";
		return -1;
	}
	return n;
}

/* Reads a whole file into a malloc()ed buffer */
static inline void *ckpt_slurp(int fd, size_t *size)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t n;

	if (fstat(fd, &st))
		return NULL;
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf)
		return NULL;
	while (len < (size_t)st.st_size) {
		n = pread(fd, buf + len, st.st_size - len, len);
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		len += n;
	}
	*size = len;
	return buf;
}

#endif /* __CKPT_UTIL_H */
