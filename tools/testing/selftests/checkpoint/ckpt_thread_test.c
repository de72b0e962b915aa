// SPDX-License-Identifier: GPL-2.0
/*
 * A multi-threaded process survives checkpoint, kill and restart: every
 * thread comes back with its tid, its own TLS, signal mask and registers,
 * and threads blocked in a pthread mutex or condition variable (futex
 * waits) carry on handing a counter to each other.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "ckpt_util.h"

#define NR_THREADS	4
#define TLS_MAGIC	0x7115000000000000ULL

FIXTURE(threads) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(threads)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(threads)
{
	ckpt_ctx_teardown(&self->ctx);
}

static const char *const threads_reasons[] = {
	[1] = "could not start the threads",
	[2] = "a thread's TLS value changed",
	[3] = "a thread's tid changed",
	[4] = "the threads stopped handing the counter over",
	[5] = "a thread's blocked mask changed",
	[6] = "the counter went backwards",
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static unsigned long turn, counter;
static pid_t tids[NR_THREADS];
static int failure[NR_THREADS];
static __thread unsigned long long tls_value;

/* Thread @i waits for its turn, bumps the counter and passes it on */
static void *handoff_thread(void *arg)
{
	long i = (long)arg;
	sigset_t set, now;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN + (int)i);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	tls_value = TLS_MAGIC | (unsigned long long)i << 32 | (unsigned int)syscall(SYS_gettid);
	tids[i] = syscall(SYS_gettid);
	for (;;) {
		pthread_mutex_lock(&lock);
		while (turn % NR_THREADS != (unsigned long)i)
			pthread_cond_wait(&turn_changed, &lock);
		if (tls_value != (TLS_MAGIC | (unsigned long long)i << 32 | (unsigned int)tids[i]))
			failure[i] = 2;
		if (syscall(SYS_gettid) != tids[i])
			failure[i] = 3;
		pthread_sigmask(SIG_BLOCK, NULL, &now);
		if (!sigismember(&now, SIGRTMIN + (int)i) || !sigismember(&now, SIGUSR1))
			failure[i] = 5;
		counter++;
		turn++;
		pthread_cond_broadcast(&turn_changed);
		pthread_mutex_unlock(&lock);
		ckpt_sleep_ms(1);
	}
	return NULL;
}

static unsigned long read_counter(void)
{
	unsigned long c;

	pthread_mutex_lock(&lock);
	c = counter;
	pthread_mutex_unlock(&lock);
	return c;
}

static int threads_child(void *arg)
{
	pthread_t t[NR_THREADS];
	unsigned long before, after;
	long i;

	(void)arg;
	for (i = 0; i < NR_THREADS; i++)
		if (pthread_create(&t[i], NULL, handoff_thread, (void *)i))
			return 1;
	while (read_counter() < 100)
		ckpt_sleep_ms(5);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	before = read_counter();
	ckpt_sleep_ms(300);
	after = read_counter();
	for (i = 0; i < NR_THREADS; i++)
		if (failure[i])
			return failure[i];
	if (after <= before)
		return 4;
	if (before < 100)
		return 6;
	return 0;
}

TEST_F_TIMEOUT(threads, threads_keep_tids_tls_and_hand_off_a_counter, 90)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, threads_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(threads_reasons));
}

TEST_F_TIMEOUT(threads, threads_survive_two_restarts, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, threads_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(threads_reasons));
}

TEST_F_TIMEOUT(threads, threads_keep_running_after_a_checkpoint, 90)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, threads_child, NULL);

	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, 0));
	ckpt_finish(_metadata, pid, CKPT_REASONS(threads_reasons));
}

TEST_HARNESS_MAIN
