// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduling across checkpoint, kill and restart: each thread reads back
 * its own nice value, policy, real-time priority, SCHED_RESET_ON_FORK,
 * CPU affinity and timer slack; a SCHED_DEADLINE process its parameters.
 * A damaged SCHED or SCHED_DL record makes restart fail cleanly.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "ckpt_image.h"

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

/* struct sched_attr of sched_setattr(2), first version */
struct dl_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

FIXTURE(sched) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(sched)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(sched)
{
	ckpt_ctx_teardown(&self->ctx);
}

static const char *const sched_reasons[] = {
	[1] = "could not set up the scheduling",
	[2] = "the main thread's nice value changed",
	[3] = "the main thread's CPU affinity changed",
	[4] = "the main thread's timer slack changed",
	[5] = "the SCHED_BATCH thread's policy or nice value changed",
	[6] = "the SCHED_FIFO process's policy, priority or reset-on-fork changed",
	[7] = "the SCHED_DEADLINE parameters changed",
	[8] = "a thread's CPU affinity changed",
	[9] = "the child process's or its thread's CPU affinity changed",
};

static int gettid_(void)
{
	return syscall(SYS_gettid);
}

static volatile int thread_ret = -1;

/* SCHED_BATCH, nice 13; checks them again once told to finish */
static void *batch_thread(void *arg)
{
	struct sched_param p = { 0 };

	(void)arg;
	if (sched_setscheduler(0, SCHED_BATCH, &p) ||
	    setpriority(PRIO_PROCESS, gettid_(), 13)) {
		thread_ret = 1;
		return NULL;
	}
	thread_ret = 0;
	while (!ckpt_child_finish)
		ckpt_sleep_ms(10);
	if (sched_getscheduler(0) != SCHED_BATCH || getpriority(PRIO_PROCESS, gettid_()) != 13)
		thread_ret = 5;
	return NULL;
}

/* A process of the tree with SCHED_FIFO 10 and SCHED_RESET_ON_FORK */
static int fifo_process(void)
{
	struct sched_param p = { .sched_priority = 10 };

	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &p))
		return 1;
	while (!ckpt_child_finish)
		ckpt_sleep_ms(10);
	if (sched_getscheduler(0) != (SCHED_FIFO | SCHED_RESET_ON_FORK) ||
	    sched_getparam(0, &p) || p.sched_priority != 10)
		return 6;
	return 0;
}

static int sched_child(void *arg)
{
	cpu_set_t one, now;
	pthread_t th;
	pid_t fifo;
	int status;

	(void)arg;
	fifo = fork();
	if (!fifo)
		_exit(fifo_process());
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (fifo < 0 || setpriority(PRIO_PROCESS, 0, 7) ||
	    sched_setaffinity(0, sizeof(one), &one) ||
	    prctl(PR_SET_TIMERSLACK, 123456, 0, 0, 0) ||
	    pthread_create(&th, NULL, batch_thread, NULL))
		return 1;
	while (thread_ret < 0)
		ckpt_sleep_ms(10);
	if (thread_ret)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	pthread_join(th, NULL);
	if (getpriority(PRIO_PROCESS, 0) != 7)
		return 2;
	if (sched_getaffinity(0, sizeof(now), &now) || !CPU_EQUAL(&now, &one))
		return 3;
	if (prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) != 123456)
		return 4;
	if (thread_ret)
		return thread_ret;
	kill(fifo, SIGUSR1);
	if (waitpid(fifo, &status, 0) != fifo || !WIFEXITED(status))
		return 6;
	return WEXITSTATUS(status);
}

TEST_F_TIMEOUT(sched, threads_keep_their_scheduling, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, sched_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(sched_reasons));
}

/*
 * Restart creates a process's threads and children on the CPU of their
 * creator, then gives them back the CPUs they inherit: each task must
 * still have its own affinity after restart, inherited or set, and none
 * may stay on that one CPU.  A thread that sets @want (else keeps what it
 * inherited) checks it once told to finish.
 */
struct aff_thread {
	cpu_set_t want;
	bool set;
	volatile int ret;
};

static void *aff_thread_fn(void *arg)
{
	struct aff_thread *a = arg;
	cpu_set_t now;

	if (a->set ? sched_setaffinity(0, sizeof(a->want), &a->want) :
		     sched_getaffinity(0, sizeof(a->want), &a->want)) {
		a->ret = 1;
		return NULL;
	}
	a->ret = 0;
	while (!ckpt_child_finish)
		ckpt_sleep_ms(10);
	if (sched_getaffinity(0, sizeof(now), &now) || !CPU_EQUAL(&now, &a->want))
		a->ret = 8;
	return NULL;
}

static int aff_start(pthread_t *th, struct aff_thread *a, const cpu_set_t *want)
{
	a->set = want;
	if (want)
		a->want = *want;
	a->ret = -1;
	if (pthread_create(th, NULL, aff_thread_fn, a))
		return 1;
	while (a->ret < 0)
		ckpt_sleep_ms(10);
	return a->ret;
}

static cpu_set_t aff_all, aff_last;

/* A child process on every CPU, with a thread that inherits them */
static int aff_process(void)
{
	struct aff_thread inherits;
	cpu_set_t now;
	pthread_t th;

	if (sched_setaffinity(0, sizeof(aff_all), &aff_all) ||
	    aff_start(&th, &inherits, NULL))
		return 1;
	while (!ckpt_child_finish)
		ckpt_sleep_ms(10);
	pthread_join(th, NULL);
	if (sched_getaffinity(0, sizeof(now), &now) || !CPU_EQUAL(&now, &aff_all))
		return 9;
	return inherits.ret ? 9 : 0;
}

/*
 * The main thread on the last CPU; a thread on every CPU, one that
 * inherits the last; a child process as above
 */
static int affinity_child(void *arg)
{
	struct aff_thread every, inherits;
	pthread_t th[2];
	cpu_set_t now;
	int status;
	pid_t proc;

	(void)arg;
	proc = fork();
	if (!proc)
		_exit(aff_process());
	if (proc < 0 || sched_setaffinity(0, sizeof(aff_last), &aff_last) ||
	    aff_start(&th[0], &every, &aff_all) || aff_start(&th[1], &inherits, NULL))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	if (sched_getaffinity(0, sizeof(now), &now) || !CPU_EQUAL(&now, &aff_last))
		return 3;
	if (every.ret || inherits.ret)
		return 8;
	kill(proc, SIGUSR1);
	if (waitpid(proc, &status, 0) != proc || !WIFEXITED(status))
		return 9;
	return WEXITSTATUS(status);
}

TEST_F_TIMEOUT(sched, tasks_keep_their_affinity_wherever_restart_creates_them, 120)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN), cpu;
	pid_t pid;

	if (n < 2)
		SKIP(return, "one CPU: every task has the same affinity");
	CPU_ZERO(&aff_all);
	for (cpu = 0; cpu < n && cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, &aff_all);
	CPU_ZERO(&aff_last);
	CPU_SET(cpu - 1, &aff_last);
	pid = ckpt_spawn(_metadata, &self->ctx, affinity_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(sched_reasons));
}

/*
 * 5 ms every 20 ms, due within 10 ms, with SCHED_FLAG_RECLAIM (not
 * SCHED_FLAG_DL_OVERRUN: an overrun under emulation would be SIGXCPU)
 */
static const struct dl_attr dl_want = {
	.size = sizeof(struct dl_attr), .policy = SCHED_DEADLINE, .flags = 0x02,
	.runtime = 5000000, .deadline = 10000000, .period = 20000000,
};

static int deadline_child(void *arg)
{
	struct dl_attr got = { 0 };

	(void)arg;
	if (syscall(SYS_sched_setattr, 0, &dl_want, 0))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (syscall(SYS_sched_getattr, 0, &got, sizeof(got), 0) ||
	    got.policy != SCHED_DEADLINE || got.runtime != dl_want.runtime ||
	    got.deadline != dl_want.deadline || got.period != dl_want.period ||
	    (got.flags & 0x02) != 0x02)
		return 7;
	return 0;
}

TEST_F_TIMEOUT(sched, deadline_keeps_its_parameters, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, deadline_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(sched_reasons));
}

FIXTURE(sched_damaged) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(sched_damaged) {
	int what;
};

FIXTURE_VARIANT_ADD(sched_damaged, deadline_without_sched_dl) { .what = 0, };
FIXTURE_VARIANT_ADD(sched_damaged, nice_out_of_range) { .what = 1, };
FIXTURE_VARIANT_ADD(sched_damaged, fifo_without_priority) { .what = 2, };
FIXTURE_VARIANT_ADD(sched_damaged, cpu_past_nr_cpus) { .what = 3, };
FIXTURE_VARIANT_ADD(sched_damaged, truncated) { .what = 4, };
FIXTURE_VARIANT_ADD(sched_damaged, unknown_policy) { .what = 5, };

FIXTURE_SETUP(sched_damaged)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(sched_damaged)
{
	ckpt_ctx_teardown(&self->ctx);
}

TEST_F_TIMEOUT(sched_damaged, restart_fails_cleanly, 90)
{
	struct image img = { 0 };
	struct ckpt_sched *s;
	struct ckpt_rec *r;
	uint32_t nr;
	size_t len;

	take_image(_metadata, &self->ctx, &img);
	r = find_rec(&img, CKPT_REC_SCHED);
	ASSERT_TRUE(!!r) TH_LOG("the image has no SCHED record");
	s = ckpt_payload(img.data, r);
	nr = le32toh(s->nr_cpus);
	len = img.len;
	switch (variant->what) {
	case 0:
		s->policy = htole32(6);
		break;
	case 1:
		s->nice = htole32(20);
		break;
	case 2:
		s->policy = htole32(SCHED_FIFO);
		break;
	case 3:
		if (nr % 64 == 0)
			SKIP(return, "%u CPUs: no bit past them in the mask", nr);
		((uint64_t *)(s + 1))[nr / 64] |= htole64(1ULL << (nr % 64));
		break;
	case 5:
		s->policy = htole32(7);
		break;
	default:
		len = (char *)s - img.data + sizeof(*s) / 2;
		break;
	}
	if (variant->what != 4)
		trailer_of(&img, img.data)->crc32c =
			htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	ASSERT_TRUE(restart_from_broken_image(_metadata, &self->ctx, img.data, len, img.pid,
					      EINVAL, "damaged SCHED") == CKPT_FAILED_CLEANLY);
	free(img.recs);
	free(img.data);
}

TEST_HARNESS_MAIN
