// SPDX-License-Identifier: GPL-2.0
/*
 * Signal state across checkpoint, kill and restart, as the restored
 * process observes it: queued real-time signals with their values and
 * senders, in order; a signal pending on one thread only; the alternate
 * signal stacks of the threads; a signal handler that was running on
 * its alternate stack when the process was checkpointed, which finishes
 * and returns to the interrupted code; and the mask of a task waiting in
 * sigsuspend().
 */
#include <sys/syscall.h>

#include "ckpt_util.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM	(1U << 31)	/* <linux/signal.h>, not in libc's */
#endif

FIXTURE(sig) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(sig)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(sig)
{
	ckpt_ctx_teardown(&self->ctx);
}

static pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

/* ---- queued real-time signals ---- */

static const char *const rt_reasons[] = {
	[1] = "could not queue the signals",
	[2] = "a queued signal is missing",
	[3] = "a signal came out of order or with another number",
	[4] = "a signal lost its value",
	[5] = "a signal lost its si_code or sender",
	[6] = "more signals than queued",
	[7] = "the signals are no longer pending before they are taken",
};

#define NR_RT 4

/* SIGRTMIN three times, then SIGRTMIN + 1: taken lowest number first */
static const int rt_offset[NR_RT] = { 0, 0, 0, 1 };

static int rt_child(void *arg)
{
	struct timespec zero = { 0, 0 };
	sigset_t set, pending;
	siginfo_t si;
	int i;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigaddset(&set, SIGRTMIN + 1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return 1;
	for (i = 0; i < NR_RT; i++) {
		union sigval v = { .sival_int = 0x5100 + i };

		if (sigqueue(getpid(), SIGRTMIN + rt_offset[i], v))
			return 1;
	}
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (sigpending(&pending) || !sigismember(&pending, SIGRTMIN) ||
	    !sigismember(&pending, SIGRTMIN + 1))
		return 7;
	for (i = 0; i < NR_RT; i++) {
		memset(&si, 0, sizeof(si));
		if (sigtimedwait(&set, &si, &zero) < 0)
			return 2;
		ckpt_child_note("signal %d: signo %d value %#x code %d pid %d uid %d",
				i, si.si_signo, si.si_value.sival_int, si.si_code,
				si.si_pid, si.si_uid);
		if (si.si_signo != SIGRTMIN + rt_offset[i])
			return 3;
		if (si.si_value.sival_int != 0x5100 + i)
			return 4;
		if (si.si_code != SI_QUEUE || si.si_pid != getpid() ||
		    si.si_uid != getuid())
			return 5;
	}
	if (sigtimedwait(&set, &si, &zero) >= 0)
		return 6;
	return 0;
}

TEST_F_TIMEOUT(sig, queued_rt_signals_keep_order_values_and_sender, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, rt_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(rt_reasons));
}

/* ---- a signal pending on one thread ---- */

static const char *const thread_reasons[] = {
	[1] = "could not start the thread or signal it",
	[2] = "the signal is no longer pending on the thread",
	[3] = "the signal became pending for the main thread or the process",
	[4] = "the handler did not run in the thread the signal was sent to",
	[5] = "the handler ran before the thread unblocked the signal",
	[6] = "the signal lost its si_code or sender",
};

static volatile pid_t thread_tid, handler_tid;
static volatile int handler_code, handler_pid;
static volatile sig_atomic_t unblock_now, thread_result = -1;

static void usr2_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	handler_tid = gettid_();
	handler_code = si->si_code;
	handler_pid = si->si_pid;
}

static void *pending_thread(void *arg)
{
	sigset_t set, pending;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);	/* the test's SIGUSR1 goes to main */
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	thread_tid = gettid_();
	while (!unblock_now)
		ckpt_sleep_ms(5);
	if (sigpending(&pending) || !sigismember(&pending, SIGUSR2)) {
		thread_result = 2;
		return NULL;
	}
	if (handler_tid) {
		thread_result = 5;
		return NULL;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	thread_result = 0;
	return NULL;
}

static int thread_child(void *arg)
{
	struct sigaction sa = { .sa_sigaction = usr2_handler,
				.sa_flags = SA_SIGINFO };
	sigset_t pending;
	pthread_t t;

	(void)arg;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR2, &sa, NULL) ||
	    pthread_create(&t, NULL, pending_thread, NULL))
		return 1;
	while (!thread_tid)
		ckpt_sleep_ms(5);
	/* Main does not block SIGUSR2: only the thread's own queue holds it */
	if (syscall(SYS_tgkill, getpid(), thread_tid, SIGUSR2))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (sigpending(&pending) || sigismember(&pending, SIGUSR2) ||
	    handler_tid)
		return 3;
	unblock_now = 1;
	pthread_join(t, NULL);
	if (thread_result)
		return thread_result;
	ckpt_child_note("handler tid %d, thread %d, code %d, pid %d",
			handler_tid, thread_tid, handler_code, handler_pid);
	if (handler_tid != thread_tid)
		return 4;
	if (handler_code != SI_TKILL || handler_pid != getpid())
		return 6;
	return 0;
}

TEST_F_TIMEOUT(sig, signal_pending_on_one_thread_goes_to_that_thread, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, thread_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(thread_reasons));
}

/* ---- alternate signal stacks ---- */

static const char *const altstack_reasons[] = {
	[1] = "could not set up the alternate stacks or the thread",
	[2] = "the main thread's alternate stack changed",
	[3] = "the thread's alternate stack changed",
	[4] = "the disabled alternate stack of a thread became enabled",
};

#define ALT_SIZE (64 * 1024)
static char alt_main[ALT_SIZE] __attribute__((aligned(16)));
static char alt_thread[ALT_SIZE] __attribute__((aligned(16)));
static volatile sig_atomic_t thread_check, thread_done;
static volatile int thread_alt_result = -1;

static bool same_stack(const stack_t *a, void *sp, size_t size, int flags)
{
	return a->ss_sp == sp && a->ss_size == size && a->ss_flags == flags;
}

static void *altstack_thread(void *arg)
{
	stack_t ss = { .ss_sp = alt_thread, .ss_size = ALT_SIZE }, now;
	sigset_t set;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (sigaltstack(&ss, NULL)) {
		thread_alt_result = 1;
		return NULL;
	}
	thread_done = 1;
	while (!thread_check)
		ckpt_sleep_ms(5);
	sigaltstack(NULL, &now);
	thread_alt_result = same_stack(&now, alt_thread, ALT_SIZE, 0) ? 0 : 3;
	return NULL;
}

static void *no_altstack_thread(void *arg)
{
	sigset_t set;
	stack_t now;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!thread_check)
		ckpt_sleep_ms(5);
	/* A thread created by a process with an alternate stack gets none */
	sigaltstack(NULL, &now);
	return (void *)(long)(now.ss_flags == SS_DISABLE ? 0 : 4);
}

static int altstack_child(void *arg)
{
	stack_t ss = { .ss_sp = alt_main, .ss_size = ALT_SIZE,
		       .ss_flags = SS_AUTODISARM }, now;
	pthread_t t, t2;
	void *ret;

	(void)arg;
	if (sigaltstack(&ss, NULL) ||
	    pthread_create(&t, NULL, altstack_thread, NULL) ||
	    pthread_create(&t2, NULL, no_altstack_thread, NULL))
		return 1;
	while (!thread_done)
		ckpt_sleep_ms(5);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	sigaltstack(NULL, &now);
	ckpt_child_note("main: sp %p size %zu flags %#x", now.ss_sp, now.ss_size,
			now.ss_flags);
	if (!same_stack(&now, alt_main, ALT_SIZE, SS_AUTODISARM))
		return 2;
	thread_check = 1;
	pthread_join(t, NULL);
	pthread_join(t2, &ret);
	if (thread_alt_result)
		return thread_alt_result;
	return (long)ret;
}

TEST_F_TIMEOUT(sig, alternate_signal_stacks_are_kept_per_thread, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, altstack_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(altstack_reasons));
}

/* ---- a handler running on the alternate stack at checkpoint time ---- */

static const char *const handler_reasons[] = {
	[1] = "could not set up the handler",
	[2] = "the handler did not run on the alternate stack",
	[3] = "the handler did not return",
	[4] = "the interrupted loop's state is wrong after the handler",
	[5] = "the alternate stack is not rearmed after sigreturn",
	[6] = "the alternate stack was not disarmed inside the handler",
	[7] = "the signal mask is not restored after sigreturn",
	[8] = "the handler ran twice",
};

#define SPIN_SIG	(SIGRTMIN + 5)
#define RAISE_AT	1000UL
#define LOOPS_AFTER	200000UL

static volatile sig_atomic_t handler_runs, handler_returned;
static volatile uintptr_t handler_frame;
static volatile int handler_alt_flags = -1;

static void spin_handler(int sig)
{
	char here;
	stack_t now;

	(void)sig;
	handler_runs++;
	handler_frame = (uintptr_t)&here;
	sigaltstack(NULL, &now);
	handler_alt_flags = now.ss_flags;
	ckpt_child_ready();
	/* Checkpointed and restarted in here; the test's SIGUSR1 ends it */
	while (!ckpt_child_finish)
		;
	handler_returned = 1;
}

static uint64_t mix(uint64_t acc, uint64_t i)
{
	return (acc ^ i) * 0x100000001b3ULL;
}

static int handler_child(void *arg)
{
	struct sigaction sa = { .sa_handler = spin_handler,
				.sa_flags = SA_ONSTACK };
	stack_t ss = { .ss_sp = alt_main, .ss_size = ALT_SIZE,
		       .ss_flags = SS_AUTODISARM }, now;
	volatile uint64_t acc = 0;
	uint64_t i, check = 0, end = ~0ULL;
	sigset_t mask;

	(void)arg;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	if (sigaltstack(&ss, NULL) || sigaction(SPIN_SIG, &sa, NULL))
		return 1;
	for (i = 0; i < end; i++) {
		acc = mix(acc, i);
		if (i == RAISE_AT) {
			raise(SPIN_SIG);
			if (!handler_returned)
				return 3;
			end = i + LOOPS_AFTER;
		}
	}
	for (i = 0; i < end; i++)
		check = mix(check, i);
	ckpt_child_note("frame %#lx alt %p-%p flags in handler %#x runs %d",
			(unsigned long)handler_frame, alt_main, alt_main + ALT_SIZE,
			handler_alt_flags, handler_runs);
	if (handler_frame < (uintptr_t)alt_main ||
	    handler_frame >= (uintptr_t)alt_main + ALT_SIZE)
		return 2;
	if (acc != check)
		return 4;
	if (sigaltstack(NULL, &now) ||
	    !same_stack(&now, alt_main, ALT_SIZE, SS_AUTODISARM))
		return 5;
	if (handler_alt_flags != SS_DISABLE)
		return 6;
	if (sigprocmask(SIG_BLOCK, NULL, &mask) ||
	    sigismember(&mask, SIGUSR2) || sigismember(&mask, SPIN_SIG))
		return 7;
	if (handler_runs != 1)
		return 8;
	return 0;
}

TEST_F_TIMEOUT(sig, handler_on_alternate_stack_finishes_after_restart, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, handler_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(handler_reasons));
}

TEST_F_TIMEOUT(sig, handler_on_alternate_stack_survives_two_restarts, 90)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, handler_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(handler_reasons));
}

/* ---- a task waiting in sigsuspend() ---- */

static const char *const suspend_reasons[] = {
	[1] = "could not set the signal mask",
	[2] = "the mask after sigsuspend() is not the one before it",
	[3] = "sigsuspend() did not return after the signal",
};

#define KEEP_BLOCKED	(SIGRTMIN + 7)

static int suspend_child(void *arg)
{
	sigset_t set, wait_mask, now;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, KEEP_BLOCKED);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return 1;
	sigemptyset(&wait_mask);
	ckpt_child_ready();
	/* Checkpointed in here; the test's SIGUSR1 ends it */
	while (!ckpt_child_finish)
		if (sigsuspend(&wait_mask) != -1 || errno != EINTR)
			return 3;
	if (sigprocmask(SIG_BLOCK, NULL, &now) ||
	    !sigismember(&now, KEEP_BLOCKED) || !sigismember(&now, SIGUSR1))
		return 2;
	return 0;
}

TEST_F_TIMEOUT(sig, sigsuspend_restores_the_mask_of_before_it, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, suspend_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(suspend_reasons));
}

TEST_HARNESS_MAIN
