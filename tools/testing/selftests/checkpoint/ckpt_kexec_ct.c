// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt_kexec_ct [MIB]: a small container for ckpt_kexec_test.sh, which moves
 * it to another kernel.  Prints the pid of its init and returns; the
 * container runs on in new pid and time namespaces:
 *
 * - its init ticks on a timerfd every 50 ms of CLOCK_MONOTONIC;
 * - each tick goes as a number through a pipe to a child, which checks
 *   that none is missing or repeated;
 * - the count is also kept in a memfd, "a file" whose contents only the
 *   image carries, and checked against the tick before each new one;
 * - CLOCK_MONOTONIC and CLOCK_BOOTTIME must never go back;
 * - with MIB, that much private memory of pseudo-random words, which
 *   SIGUSR1 checks ("mem same" or "mem CHANGED" in the status).
 *
 * At each tick the init writes a status line at the start of the memfd,
 * which ckpt_kexec_test.sh reads through /proc/PID/fd: "tick N child M
 * ok|ERROR... max_step_ms S mono_ms T mem -|filled|same|CHANGED".  After
 * an error the counting stops and the line says why.  The container holds no other file than
 * /dev/null: nothing of the test's file systems, which another boot may
 * number differently.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

static char error[128];

/* ckpt_kexec_ct MIB: that much memory of pseudo-random words, checked on SIGUSR1 */
static uint64_t *mem;
static size_t mem_words;
static volatile sig_atomic_t check_mem;
static const char *mem_state = "-";

/* Fill the memory, or count the words that are not what was filled in */
static size_t mem_fill_or_check(bool fill)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t i, bad = 0;

	for (i = 0; i < mem_words; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (fill)
			mem[i] = x;
		bad += mem[i] != x;
	}
	return bad;
}

static void on_usr1(int sig)
{
	(void)sig;
	check_mem = 1;
}

static int64_t clock_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The status line, at the start of the memfd, always STATUS_LEN bytes */
#define STATUS_LEN	128

static void put_status(int memfd, uint64_t tick, uint64_t child, int64_t max_step)
{
	char buf[STATUS_LEN + 1];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "tick %llu child %llu %s max_step_ms %lld mono_ms %lld mem %s",
		     (unsigned long long)tick, (unsigned long long)child,
		     error[0] ? error : "ok", (long long)max_step,
		     (long long)clock_ms(CLOCK_MONOTONIC), mem_state);
	if (n >= STATUS_LEN)
		n = STATUS_LEN - 1;
	memset(buf + n, ' ', STATUS_LEN - 1 - n);
	buf[STATUS_LEN - 1] = '\n';
	if (pwrite(memfd, buf, STATUS_LEN, 0) != STATUS_LEN)
		snprintf(error, sizeof(error), "ERROR writing the status: %s", strerror(errno));
}

/* The tick the status line says */
static int status_tick(int memfd, uint64_t *tick)
{
	char buf[STATUS_LEN + 1];
	unsigned long long t;

	if (pread(memfd, buf, STATUS_LEN, 0) != STATUS_LEN)
		return -1;
	buf[STATUS_LEN] = 0;
	if (sscanf(buf, "tick %llu ", &t) != 1)
		return -1;
	*tick = t;
	return 0;
}

/* The child: every number from the pipe must follow the one before */
static int child(int rfd, int wfd)
{
	uint64_t want = 1, got;

	for (;;) {
		ssize_t n = read(rfd, &got, sizeof(got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(got))
			return 2;
		if (got != want)
			got = 0;	/* tells the init */
		if (write(wfd, &got, sizeof(got)) != sizeof(got) || !got)
			return 3;
		want++;
	}
}

static void __attribute__((noreturn)) init_loop(int tfd, int to_child, int from_child, int memfd)
{
	int64_t last_mono = clock_ms(CLOCK_MONOTONIC), last_boot = clock_ms(CLOCK_BOOTTIME);
	int64_t max_step = 0, mono, boot;
	uint64_t tick = 0, exp, back = 0, kept = 0;

	for (;;) {
		if (read(tfd, &exp, sizeof(exp)) != sizeof(exp)) {
			if (errno == EINTR)
				continue;
			snprintf(error, sizeof(error), "ERROR timerfd read: %s", strerror(errno));
			sleep(1);
		}
		if (check_mem) {
			check_mem = 0;
			mem_state = mem_fill_or_check(false) ? "CHANGED" : "same";
		}
		mono = clock_ms(CLOCK_MONOTONIC);
		boot = clock_ms(CLOCK_BOOTTIME);
		if (!error[0] && (mono < last_mono || boot < last_boot))
			snprintf(error, sizeof(error), "ERROR clock went back: mono %lld -> %lld",
				 (long long)last_mono, (long long)mono);
		if (mono - last_mono > max_step)
			max_step = mono - last_mono;
		last_mono = mono;
		last_boot = boot;
		if (!error[0] && (status_tick(memfd, &kept) || kept != tick))
			snprintf(error, sizeof(error), "ERROR the file says %llu, not %llu",
				 (unsigned long long)kept, (unsigned long long)tick);
		if (!error[0]) {
			tick++;
			if (write(to_child, &tick, sizeof(tick)) != sizeof(tick) ||
			    read(from_child, &back, sizeof(back)) != sizeof(back) || back != tick)
				snprintf(error, sizeof(error), "ERROR the child lost count at %llu",
					 (unsigned long long)tick);
		}
		put_status(memfd, tick, error[0] ? 0 : back, max_step);
	}
}

static int container_init(size_t mib)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct itimerspec its = { { 0, 50000000 }, { 0, 50000000 } };
	int to_child[2], from_child[2], tfd, memfd, fd;
	pid_t pid;

	/* Nothing of the caller's: no terminal, no inherited files */
	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return 1;
	syscall(SYS_close_range, 3, ~0U, 0);
	if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid)
		_exit(child(to_child[0], from_child[1]));
	mem_words = mib << 17;
	if (mem_words) {
		mem = mmap(NULL, mem_words * 8, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			return 1;
		mem_fill_or_check(true);
		mem_state = "filled";
	}
	if (sigaction(SIGUSR1, &sa, NULL))
		return 1;
	memfd = memfd_create("count", MFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (memfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL))
		return 1;
	put_status(memfd, 0, 0, 0);
	init_loop(tfd, to_child[1], from_child[0], memfd);
}

int main(int argc, char **argv)
{
	pid_t pid;

	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;

	/* Our children are in the new time namespace; the init in a new pid namespace */
	if (unshare(CLONE_NEWTIME)) {
		perror("unshare(CLONE_NEWTIME)");
		return 1;
	}
	pid = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		perror("clone(CLONE_NEWPID)");
		return 1;
	}
	if (!pid) {
		setsid();
		_exit(container_init(mib));
	}
	printf("%d\n", pid);
	return fflush(stdout) ? 1 : 0;
}
