// SPDX-License-Identifier: GPL-2.0
/*
 * Timers across checkpoint, kill and restart, as the restored process
 * observes them: an ITIMER_REAL keeps the time it had left (counted from
 * the restart, not from the checkpoint) and its interval; ITIMER_VIRTUAL,
 * ITIMER_PROF and alarm(2) keep their values; a CPU-time timer still
 * fires.  What is not saved yet (POSIX timers) makes checkpoint fail with
 * a reason.
 */
#include <sys/time.h>

#include "ckpt_util.h"

FIXTURE(timer) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(timer)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(timer)
{
	ckpt_ctx_teardown(&self->ctx);
}

#define MS	1000000LL

static int64_t tv_ns(const struct timeval *tv)
{
	return tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL;
}

/* ---- ITIMER_REAL ---- */

static const char *const real_reasons[] = {
	[1] = "could not set the timer",
	[2] = "the timer fired before the checkpoint",
	[3] = "the timer did not fire again after its interval",
	[4] = "the interval between two expiries is wrong",
	[5] = "getitimer() shows another interval",
};

static volatile sig_atomic_t alarms;
static volatile int64_t alarm_ns[3];

static void alarm_handler(int sig)
{
	(void)sig;
	if (alarms < 3)
		alarm_ns[alarms] = ckpt_now_ns();
	alarms++;
	/* The first one after restart: the test measures when it comes */
	if (alarms == 1)
		kill(getppid(), SIGUSR2);
}

static int real_child(void *arg)
{
	struct itimerval it = { .it_value = { 2, 0 }, .it_interval = { 1, 0 } };
	struct sigaction sa = { .sa_handler = alarm_handler };
	int64_t deadline;

	(void)arg;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) || setitimer(ITIMER_REAL, &it, NULL))
		return 1;
	ckpt_sleep_ms(1000);
	if (alarms)
		return 2;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	deadline = ckpt_now_ns() + 20000 * MS;
	while (alarms < 2 && ckpt_now_ns() < deadline)
		ckpt_sleep_ms(10);
	if (alarms < 2)
		return 3;
	ckpt_child_note("expiries at %lld and %lld ns", (long long)alarm_ns[0],
			(long long)alarm_ns[1]);
	if (alarm_ns[1] - alarm_ns[0] < 500 * MS ||
	    alarm_ns[1] - alarm_ns[0] > 2000 * MS)
		return 4;
	if (getitimer(ITIMER_REAL, &it) || tv_ns(&it.it_interval) != 1000 * MS)
		return 5;
	return 0;
}

TEST_F_TIMEOUT(timer, itimer_real_keeps_time_left_and_interval, 90)
{
	struct timespec ts = { 5, 0 };
	int64_t restarted, fired;
	siginfo_t si;
	sigset_t set;
	pid_t pid;

	pid = ckpt_spawn(_metadata, &self->ctx, real_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	restarted = ckpt_now_ns();

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	memset(&si, 0, sizeof(si));
	ASSERT_EQ(SIGUSR2, sigtimedwait(&set, &si, &ts))
		TH_LOG("the restored ITIMER_REAL did not fire within 5 s");
	fired = ckpt_now_ns();
	ASSERT_EQ(pid, si.si_pid);
	TH_LOG("ITIMER_REAL fired %lld ms after restart (about 1000 ms were left)",
	       (long long)(fired - restarted) / MS);
	/* About 1 s was left; TCG is slow, but not the full 2 s again */
	EXPECT_LE(300 * MS, fired - restarted);
	EXPECT_GE(1600 * MS, fired - restarted);
	ckpt_finish(_metadata, pid, CKPT_REASONS(real_reasons));
}

/* ---- CPU-time interval timers and alarm() ---- */

static const char *const cpu_reasons[] = {
	[1] = "could not set the timers",
	[2] = "ITIMER_VIRTUAL lost its value or interval",
	[3] = "ITIMER_PROF lost its value or interval",
	[4] = "alarm() lost its time left",
	[5] = "ITIMER_PROF did not fire after burning its CPU time",
	[6] = "a timer fired before the checkpoint",
};

static volatile sig_atomic_t profs;

static void prof_handler(int sig)
{
	(void)sig;
	profs++;
}

static int cpu_child(void *arg)
{
	struct itimerval virt = { .it_value = { 20, 0 }, .it_interval = { 5, 0 } };
	struct itimerval prof = { .it_value = { 0, 300000 }, .it_interval = { 0, 100000 } };
	struct sigaction sa = { .sa_handler = prof_handler };
	struct itimerval before_virt, before_prof, now;
	int64_t deadline;
	unsigned int left;

	(void)arg;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPROF, &sa, NULL) ||
	    setitimer(ITIMER_VIRTUAL, &virt, NULL) ||
	    setitimer(ITIMER_PROF, &prof, NULL))
		return 1;
	alarm(100);
	if (getitimer(ITIMER_VIRTUAL, &before_virt) ||
	    getitimer(ITIMER_PROF, &before_prof))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (profs)
		return 6;

	left = alarm(0);
	ckpt_child_note("alarm left %u", left);
	if (left < 90 || left > 100)
		return 4;
	getitimer(ITIMER_VIRTUAL, &now);
	ckpt_child_note("virtual %lld (before %lld) interval %lld",
			(long long)tv_ns(&now.it_value),
			(long long)tv_ns(&before_virt.it_value),
			(long long)tv_ns(&now.it_interval));
	if (!tv_ns(&now.it_value) ||
	    tv_ns(&now.it_value) > tv_ns(&before_virt.it_value) + 10 * MS ||
	    tv_ns(&now.it_interval) != 5000 * MS)
		return 2;
	getitimer(ITIMER_PROF, &now);
	ckpt_child_note("prof %lld (before %lld) interval %lld",
			(long long)tv_ns(&now.it_value),
			(long long)tv_ns(&before_prof.it_value),
			(long long)tv_ns(&now.it_interval));
	if (!tv_ns(&now.it_value) ||
	    tv_ns(&now.it_value) > tv_ns(&before_prof.it_value) + 10 * MS ||
	    tv_ns(&now.it_interval) != 100 * MS)
		return 3;
	/* Burn CPU until ITIMER_PROF fires, twice (its interval) */
	deadline = ckpt_now_ns() + 30000 * MS;
	while (profs < 2 && ckpt_now_ns() < deadline)
		;
	return profs < 2 ? 5 : 0;
}

TEST_F_TIMEOUT(timer, cpu_itimers_and_alarm_keep_their_values, 90)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, cpu_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(cpu_reasons));
}

/* ---- what is not saved yet ---- */

static int posix_timer_child(void *arg)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	timer_t id;

	(void)arg;
	if (timer_create(CLOCK_MONOTONIC, &sev, &id))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

TEST_F_TIMEOUT(timer, posix_timer_is_refused_with_a_reason, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, posix_timer_child, NULL);

	ASSERT_EQ(-1, sys_checkpoint(pid, self->ctx.image_fd, 0, self->ctx.log_fd));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, "POSIX timers"))
		ckpt_dump_log(_metadata, &self->ctx);
	/* The process goes on */
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

TEST_HARNESS_MAIN
