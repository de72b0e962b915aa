// SPDX-License-Identifier: GPL-2.0
/*
 * seccomp filters survive checkpoint, kill and restart: a blocked syscall
 * still fails with the filter's errno, stacked filters keep their order,
 * programs and flags, and a chain shared by threads and forked processes
 * is saved once.  A corrupted filter record is refused.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>

#include "ckpt_image.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER	0x420c
#endif
#ifndef PTRACE_SECCOMP_GET_METADATA
#define PTRACE_SECCOMP_GET_METADATA	0x420d
#endif

/* Two distinctive errnos, for two harmless syscalls */
#define ERRNO_A		42	/* getpgid() under filter A */
#define ERRNO_B		43	/* getsid() under filter B */

FIXTURE(seccomp) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(seccomp)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(seccomp)
{
	ckpt_ctx_teardown(&self->ctx);
}

static const char *const seccomp_reasons[] = {
	[1] = "could not install a seccomp filter",
	[2] = "a blocked syscall did not fail with the filter's errno",
	[3] = "an allowed syscall failed",
	[4] = "the seccomp mode is not SECCOMP_MODE_FILTER",
	[5] = "Seccomp_filters in /proc/self/status is not the expected count",
	[6] = "could not start a thread or a process",
	[7] = "the thread saw the wrong filters",
	[8] = "the forked process saw the wrong filters",
};

/* Filter returning SECCOMP_RET_ERRNO | @err for syscall @nr, else ALLOW */
#define ERRNO_FILTER(sysnr, err) {					\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS,				\
		 offsetof(struct seccomp_data, nr)),			\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (sysnr), 0, 1),		\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err)),		\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),			\
}

static struct sock_filter filter_a[] = ERRNO_FILTER(__NR_getpgid, ERRNO_A);
static struct sock_filter filter_b[] = ERRNO_FILTER(__NR_getsid, ERRNO_B);

static int install(struct sock_filter *insns, unsigned short len,
		   unsigned int flags)
{
	struct sock_fprog prog = { .len = len, .filter = insns };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

/* 0 if the syscall fails with @err (or succeeds if @err is 0) */
static int expect(long nr, int err)
{
	long ret;

	errno = 0;
	ret = syscall(nr, 0);
	if (!err)
		return ret < 0 ? -1 : 0;
	return ret == -1 && errno == err ? 0 : -1;
}

static int count_filters(void)
{
	char buf[4096], *p;

	if (ckpt_read_file("/proc/thread-self/status", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "Seccomp_filters:");
	return p ? atoi(p + strlen("Seccomp_filters:")) : -1;
}

/* The checks of a task under A only (@b false) or B on top of A */
static int check_filters(bool b, int nr_filters)
{
	if (expect(__NR_getpgid, ERRNO_A))
		return 2;
	if (expect(__NR_getsid, b ? ERRNO_B : 0) || expect(__NR_getpid, 0))
		return b ? 2 : 3;
	if (prctl(PR_GET_SECCOMP) != SECCOMP_MODE_FILTER)
		return 4;
	if (count_filters() != nr_filters) {
		ckpt_child_note("Seccomp_filters: %d, expected %d",
				count_filters(), nr_filters);
		return 5;
	}
	return 0;
}

static int one_filter_child(void *arg)
{
	unsigned int flags = (unsigned long)arg;

	if (install(filter_a, ARRAY_SIZE(filter_a), flags))
		return 1;
	if (check_filters(false, 1))
		return 2;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return check_filters(false, 1);
}

TEST_F_TIMEOUT(seccomp, blocked_syscall_keeps_its_errno_after_restart, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, one_filter_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(seccomp_reasons));
}

/*
 * A thread started under A, then the process stacks B and forks a process:
 * the thread has A, the process and its child B on top of the same A.
 */
static int thread_check, thread_result = -1;

static void *a_only_thread(void *arg)
{
	sigset_t set;

	(void)arg;
	/* SIGUSR1 is for the main thread */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!__atomic_load_n(&thread_check, __ATOMIC_ACQUIRE))
		ckpt_sleep_ms(5);
	thread_result = check_filters(false, 1);
	return NULL;
}

static int shared_chain_child(void *arg)
{
	int status, ret;
	pthread_t t;
	pid_t child;

	(void)arg;
	if (install(filter_a, ARRAY_SIZE(filter_a), 0))
		return 1;
	if (pthread_create(&t, NULL, a_only_thread, NULL))
		return 6;
	if (install(filter_b, ARRAY_SIZE(filter_b), 0))
		return 1;
	child = fork();
	if (child < 0)
		return 6;
	if (!child) {
		ckpt_child_wait_finish();
		_exit(check_filters(true, 2));
	}
	ckpt_child_ready();
	ckpt_child_wait_finish();

	ret = check_filters(true, 2);
	__atomic_store_n(&thread_check, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	if (!ret && thread_result) {
		ckpt_child_note("thread: check %d failed", thread_result);
		ret = 7;
	}
	kill(child, SIGUSR1);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		ckpt_child_note("forked process: status %#x", status);
		if (!ret)
			ret = 8;
	}
	return ret;
}

static int count_records(struct ckpt_ctx *ctx, uint32_t type)
{
	struct ckpt_rec recs[4096];
	const char *why;
	size_t size;
	int i, n, count = 0;
	void *image;

	image = ckpt_slurp(ctx->image_fd, &size);
	if (!image)
		return -1;
	n = ckpt_split_image(image, size, recs, ARRAY_SIZE(recs), &why);
	for (i = 0; i < n; i++)
		count += recs[i].type == type;
	free(image);
	return n < 0 ? -1 : count;
}

TEST_F_TIMEOUT(seccomp, stacked_filters_stay_shared_by_threads_and_children, 90)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, shared_chain_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	/* A and B, each once, though three tasks use them */
	ASSERT_EQ(2, count_records(&self->ctx, CKPT_REC_SECCOMP));
	ckpt_finish(_metadata, pid, CKPT_REASONS(seccomp_reasons));
}

TEST_F_TIMEOUT(seccomp, stacked_filters_survive_two_restarts, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, shared_chain_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ASSERT_EQ(2, count_records(&self->ctx, CKPT_REC_SECCOMP));
	ckpt_finish(_metadata, pid, CKPT_REASONS(seccomp_reasons));
}

/* Reads filter @idx (0: the oldest) of a stopped tracee and its flags */
static int get_filter(pid_t pid, unsigned long idx, struct sock_filter *insns,
		      int max, uint64_t *flags)
{
	struct {
		uint64_t filter_off;
		uint64_t flags;
	} md = { .filter_off = idx };
	long n;

	n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)idx, NULL);
	if (n <= 0 || n > max)
		return -1;
	if (ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)idx, insns) != n)
		return -1;
	if (ptrace(PTRACE_SECCOMP_GET_METADATA, pid, (void *)sizeof(md), &md) < 0)
		return -1;
	*flags = md.flags;
	return n;
}

static int log_then_b_child(void *arg)
{
	(void)arg;
	if (install(filter_a, ARRAY_SIZE(filter_a), SECCOMP_FILTER_FLAG_LOG) ||
	    install(filter_b, ARRAY_SIZE(filter_b), 0))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return check_filters(true, 2);
}

TEST_F_TIMEOUT(seccomp, programs_order_and_log_flag_are_restored, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, log_then_b_child, NULL);
	struct sock_filter insns[64];
	uint64_t flags;
	int status, n;

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);

	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, pid, NULL, NULL))
		TH_LOG("PTRACE_SEIZE: %s", strerror(errno));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, __WALL));

	n = get_filter(pid, 0, insns, ARRAY_SIZE(insns), &flags);
	EXPECT_EQ((int)ARRAY_SIZE(filter_a), n) TH_LOG("filter 0: %s", strerror(errno));
	if (n == (int)ARRAY_SIZE(filter_a)) {
		EXPECT_EQ(0, memcmp(insns, filter_a, sizeof(filter_a)));
		EXPECT_EQ((uint64_t)SECCOMP_FILTER_FLAG_LOG, flags);
	}
	n = get_filter(pid, 1, insns, ARRAY_SIZE(insns), &flags);
	EXPECT_EQ((int)ARRAY_SIZE(filter_b), n) TH_LOG("filter 1: %s", strerror(errno));
	if (n == (int)ARRAY_SIZE(filter_b)) {
		EXPECT_EQ(0, memcmp(insns, filter_b, sizeof(filter_b)));
		EXPECT_EQ((uint64_t)0, flags);
	}
	EXPECT_EQ(-1, get_filter(pid, 2, insns, ARRAY_SIZE(insns), &flags));
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, pid, NULL, NULL));

	ckpt_finish(_metadata, pid, CKPT_REASONS(seccomp_reasons));
}

/* Restarts from a copy of the image whose first SECCOMP record is changed */
static void restart_with_bad_filter(struct __test_metadata *_metadata,
				    struct ckpt_ctx *ctx, int what)
{
	struct image img = {};
	struct ckpt_seccomp *rec;
	struct ckpt_sock_filter *insns;
	struct ckpt_image_trailer *tr;
	struct ckpt_rec *r;
	pid_t pid;

	pid = ckpt_spawn(_metadata, ctx, one_filter_child, NULL);
	image_of_killed(_metadata, ctx, pid, &img);
	r = find_rec(&img, CKPT_REC_SECCOMP);
	ASSERT_TRUE(!!r) TH_LOG("no SECCOMP record in the image");
	rec = ckpt_payload(img.data, r);
	insns = (void *)(rec + 1);
	switch (what) {
	case 0:		/* classic BPF that seccomp(2) refuses: a byte load */
		insns[0].code = htole16(BPF_LD | BPF_B | BPF_ABS);
		break;
	case 1:		/* a predecessor never defined */
		rec->prev_ref = htole32(999);
		break;
	case 2:		/* more instructions than the record holds */
		rec->len = htole32(le32toh(rec->len) + 1);
		break;
	case 3:		/* an unknown flag */
		rec->flags = htole32(1U << 7);
		break;
	}
	tr = trailer_of(&img, img.data);
	tr->crc32c = htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	EXPECT_TRUE(restart_from_broken_image(_metadata, ctx, img.data, img.len,
					      pid, EINVAL, "bad SECCOMP record") ==
		    CKPT_FAILED_CLEANLY);
	EXPECT_TRUE(ckpt_log_contains(ctx, "seccomp"))
		ckpt_dump_log(_metadata, ctx);
	free(img.recs);
	free(img.data);
}

TEST_F_TIMEOUT(seccomp, invalid_program_is_refused, 60)
{
	restart_with_bad_filter(_metadata, &self->ctx, 0);
}

TEST_F_TIMEOUT(seccomp, undefined_predecessor_is_refused, 60)
{
	restart_with_bad_filter(_metadata, &self->ctx, 1);
}

TEST_F_TIMEOUT(seccomp, wrong_length_is_refused, 60)
{
	restart_with_bad_filter(_metadata, &self->ctx, 2);
}

TEST_F_TIMEOUT(seccomp, unknown_flag_is_refused, 60)
{
	restart_with_bad_filter(_metadata, &self->ctx, 3);
}

TEST_HARNESS_MAIN
