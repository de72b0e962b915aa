// SPDX-License-Identifier: GPL-2.0
/*
 * Timers across checkpoint, kill and restart, as the restored process
 * observes them: an ITIMER_REAL keeps the time it had left (counted from
 * the restart, not from the checkpoint) and its interval; ITIMER_VIRTUAL,
 * ITIMER_PROF and alarm(2) keep their values; a CPU-time timer still
 * fires; POSIX timers keep their ids, notification and period, and one
 * aimed at a thread still signals that thread; the CPU time of the
 * process and that of each thread go on from where they were.  What is not saved yet (POSIX timers
 * on CPU-time clocks) makes checkpoint fail with a reason.
 */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "ckpt_image.h"

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

/* ---- POSIX timers ---- */

/* Raw syscalls: the ids are the kernel's, whatever libc makes of them */
static int ptimer_create(clockid_t clock, struct sigevent *sev, int *id)
{
	return syscall(SYS_timer_create, clock, sev, id);
}

static int ptimer_settime(int id, int64_t value_ns, int64_t interval_ns)
{
	struct itimerspec its = {
		.it_value = { value_ns / 1000000000, value_ns % 1000000000 },
		.it_interval = { interval_ns / 1000000000, interval_ns % 1000000000 },
	};

	return syscall(SYS_timer_settime, id, 0, &its, NULL);
}

static int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static const char *const posix_reasons[] = {
	[1] = "could not create or arm the timers",
	[2] = "the periodic timer lost its interval",
	[3] = "a new timer did not get the next id",
	[4] = "the deleted timer's id came back",
	[5] = "the SIGEV_NONE timer lost its time left",
	[6] = "the periodic timer stopped firing after restart",
	[7] = "a timer signal came with another value, code or timer id",
	[8] = "the SIGEV_THREAD_ID timer signalled another thread",
	[9] = "timer_getoverrun() fails on the restored timer",
};

#define PT_SIG		(SIGRTMIN + 2)
#define PT_TID_SIG	(SIGRTMIN + 3)
#define PT_VALUE	0x7171

static volatile sig_atomic_t pt_fired, pt_tid_fired, pt_bad;
static volatile pid_t pt_thread_tid, pt_wrong_tid;
static volatile int pt_ids[2] = { -1, -1 };

static void pt_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == PT_SIG) {
		if (si->si_value.sival_int != PT_VALUE || si->si_code != SI_TIMER ||
		    si->si_timerid != pt_ids[0])
			pt_bad = 1;
		pt_fired++;
	} else {
		if (syscall(SYS_gettid) != pt_thread_tid)
			pt_wrong_tid = syscall(SYS_gettid);
		if (si->si_value.sival_int != PT_VALUE + 1 || si->si_timerid != pt_ids[1])
			pt_bad = 1;
		pt_tid_fired++;
	}
}

static volatile sig_atomic_t pt_stop;

static void *pt_thread(void *arg)
{
	sigset_t set;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, PT_SIG);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pt_thread_tid = syscall(SYS_gettid);
	while (!pt_stop)
		ckpt_sleep_ms(5);
	return NULL;
}

static int posix_child(void *arg)
{
	struct sigaction sa = { .sa_sigaction = pt_handler, .sa_flags = SA_SIGINFO };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = PT_SIG };
	struct itimerspec its;
	int del_id, none_id, tid_id, id, before, ret = 0;
	int64_t none_left, deadline;
	pthread_t t;

	(void)arg;
	sigemptyset(&sa.sa_mask);
	if (sigaction(PT_SIG, &sa, NULL) || sigaction(PT_TID_SIG, &sa, NULL) ||
	    pthread_create(&t, NULL, pt_thread, NULL))
		return 1;
	while (!pt_thread_tid)
		ckpt_sleep_ms(5);
	/* ids 0, 1, 2, 3: then 1 is deleted, so the next one is 4, not 1 */
	sev.sigev_value.sival_int = PT_VALUE;
	if (ptimer_create(CLOCK_MONOTONIC, &sev, &id))
		return 1;
	pt_ids[0] = id;
	if (ptimer_create(CLOCK_MONOTONIC, &sev, &del_id))
		return 1;
	sev.sigev_notify = SIGEV_NONE;
	if (ptimer_create(CLOCK_BOOTTIME, &sev, &none_id))
		return 1;
	sev.sigev_notify = SIGEV_SIGNAL | SIGEV_THREAD_ID;
	sev.sigev_signo = PT_TID_SIG;
	sev.sigev_value.sival_int = PT_VALUE + 1;
	sev._sigev_un._tid = pt_thread_tid;
	if (ptimer_create(CLOCK_REALTIME, &sev, &tid_id))
		return 1;
	pt_ids[1] = tid_id;
	if (syscall(SYS_timer_delete, del_id) ||
	    ptimer_settime(id, 100 * MS, 100 * MS) ||
	    ptimer_settime(none_id, 100000 * MS, 0) ||
	    ptimer_settime(tid_id, 50 * MS, 100 * MS))
		return 1;
	while (pt_fired < 2 || pt_tid_fired < 2)
		ckpt_sleep_ms(10);
	syscall(SYS_timer_gettime, none_id, &its);
	none_left = ts_ns(&its.it_value);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	/* It keeps firing from the restart on */
	before = pt_fired;
	deadline = ckpt_now_ns() + 10000 * MS;
	while ((pt_fired < before + 3 || pt_tid_fired < 5) &&
	       ckpt_now_ns() < deadline)
		ckpt_sleep_ms(10);
	ckpt_child_note("ids %d %d %d %d, fired %d then %d, to the thread %d, wrong tid %d",
			id, del_id, none_id, tid_id, before, pt_fired, pt_tid_fired,
			pt_wrong_tid);
	if (pt_fired < before + 3 || pt_tid_fired < 5)
		ret = 6;
	else if (pt_bad)
		ret = 7;
	else if (pt_wrong_tid)
		ret = 8;
	if (ret)
		return ret;
	if (syscall(SYS_timer_gettime, id, &its) ||
	    ts_ns(&its.it_interval) != 100 * MS)
		return 2;
	if (syscall(SYS_timer_getoverrun, id) < 0)
		return 9;
	if (!syscall(SYS_timer_gettime, del_id, &its) || errno != EINVAL)
		return 4;
	if (syscall(SYS_timer_gettime, none_id, &its) ||
	    ts_ns(&its.it_value) > none_left || ts_ns(&its.it_value) < none_left - 30000 * MS)
		return 5;
	sev.sigev_notify = SIGEV_NONE;
	if (ptimer_create(CLOCK_MONOTONIC, &sev, &id))
		return 1;
	ckpt_child_note("new timer id %d", id);
	if (id != tid_id + 1)
		return 3;
	pt_stop = 1;
	pthread_join(t, NULL);
	return 0;
}

TEST_F_TIMEOUT(timer, posix_timers_keep_ids_notification_and_period, 90)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, posix_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(posix_reasons));
}

TEST_F_TIMEOUT(timer, posix_timers_survive_two_restarts, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, posix_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(posix_reasons));
}

/* ---- CPU time used ---- */

static const char *const cputime_reasons[] = {
	[1] = "could not burn CPU time or wait for a child",
	[2] = "CLOCK_PROCESS_CPUTIME_ID went backwards across restart",
	[3] = "getrusage(RUSAGE_SELF) went backwards across restart",
	[4] = "getrusage(RUSAGE_CHILDREN) went backwards across restart",
};

static int64_t cpu_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts_ns(&ts);
}

static int64_t rusage_ns(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return tv_ns(&ru.ru_utime) + tv_ns(&ru.ru_stime);
}

static void burn_cpu(int64_t ns)
{
	int64_t end = cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID) + ns;

	while (cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		;
}

static int cputime_child(void *arg)
{
	int64_t proc, self, children;
	int status;
	pid_t pid;

	(void)arg;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		burn_cpu(100 * MS);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	burn_cpu(300 * MS);
	proc = cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	self = rusage_ns(RUSAGE_SELF);
	children = rusage_ns(RUSAGE_CHILDREN);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	ckpt_child_note("process clock %lld -> %lld, self %lld -> %lld, children %lld -> %lld",
			(long long)proc, (long long)cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID),
			(long long)self, (long long)rusage_ns(RUSAGE_SELF),
			(long long)children, (long long)rusage_ns(RUSAGE_CHILDREN));
	if (cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID) < proc)
		return 2;
	if (rusage_ns(RUSAGE_SELF) < self)
		return 3;
	if (rusage_ns(RUSAGE_CHILDREN) < children)
		return 4;
	return 0;
}

TEST_F_TIMEOUT(timer, process_cpu_time_goes_on_from_its_value, 90)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, cputime_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(cputime_reasons));
}

/*
 * Each thread's own clock goes on from its value, not from zero, and the
 * process's clock, the sum of them, does not count them twice.  The
 * threads burn different amounts, so that a clock given to the wrong
 * thread shows.
 */
#define THREAD_BURN_MAIN	(200 * MS)
#define THREAD_BURN_OTHER	(400 * MS)
/* What a thread may use between the two readings, restart included */
#define THREAD_MARGIN		(150 * MS)

static const char *const thread_cputime_reasons[] = {
	[1] = "could not create the thread",
	[2] = "CLOCK_THREAD_CPUTIME_ID of the main thread is not its value before",
	[3] = "CLOCK_THREAD_CPUTIME_ID of the other thread is not its value before",
	[4] = "getrusage(RUSAGE_THREAD) went backwards across restart",
	[5] = "CLOCK_PROCESS_CPUTIME_ID went backwards or counts threads twice",
};

static volatile int64_t tc_before, tc_after, tc_ru_before, tc_ru_after;
static volatile sig_atomic_t tc_burnt, tc_go;

static void *thread_cputime_thread(void *arg)
{
	sigset_t set;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	burn_cpu(THREAD_BURN_OTHER);
	tc_before = cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	tc_ru_before = rusage_ns(RUSAGE_THREAD);
	tc_burnt = 1;
	while (!tc_go)
		ckpt_sleep_ms(5);
	tc_after = cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	tc_ru_after = rusage_ns(RUSAGE_THREAD);
	return NULL;
}

static int thread_cputime_child(void *arg)
{
	int64_t main_before, main_after, ru_before, ru_after, proc, proc_after;
	pthread_t t;

	(void)arg;
	if (pthread_create(&t, NULL, thread_cputime_thread, NULL))
		return 1;
	burn_cpu(THREAD_BURN_MAIN);
	while (!tc_burnt)
		ckpt_sleep_ms(5);
	main_before = cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	ru_before = rusage_ns(RUSAGE_THREAD);
	proc = cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	main_after = cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	ru_after = rusage_ns(RUSAGE_THREAD);
	tc_go = 1;
	pthread_join(t, NULL);
	proc_after = cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	ckpt_child_note("main %lld -> %lld (rusage %lld -> %lld), process %lld -> %lld",
			(long long)main_before, (long long)main_after,
			(long long)ru_before, (long long)ru_after,
			(long long)proc, (long long)proc_after);
	ckpt_child_note("other thread %lld -> %lld (rusage %lld -> %lld)",
			(long long)tc_before, (long long)tc_after,
			(long long)tc_ru_before, (long long)tc_ru_after);
	if (main_after < main_before || main_after > main_before + THREAD_MARGIN)
		return 2;
	if (tc_after < tc_before || tc_after > tc_before + THREAD_MARGIN)
		return 3;
	if (ru_after < ru_before || tc_ru_after < tc_ru_before)
		return 4;
	if (proc_after < proc || proc_after > proc + 2 * THREAD_MARGIN)
		return 5;
	return 0;
}

TEST_F_TIMEOUT(timer, thread_cpu_clocks_go_on_from_their_values, 90)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, thread_cputime_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(thread_cputime_reasons));
}

/* ---- what is not saved yet ---- */

static int cpu_posix_timer_child(void *arg)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	int id;

	(void)arg;
	if (ptimer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &id))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

TEST_F_TIMEOUT(timer, cpu_clock_posix_timer_is_refused_with_a_reason, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, cpu_posix_timer_child, NULL);

	ASSERT_EQ(-1, sys_checkpoint(pid, self->ctx.image_fd, 0, self->ctx.log_fd));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, "POSIX timer 0 on a CPU-time clock"))
		ckpt_dump_log(_metadata, &self->ctx);
	/* The process goes on */
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

/* ---- bad timer records ---- */

enum timer_corruption {
	ALTSTACK_FLAGS,
	ITIMER_RANGE,
	POSIX_CPU_CLOCK,
	POSIX_SAME_IDS,
	POSIX_NO_SIGNAL,
	POSIX_LENGTH,
	CPUTIME_RANGE,
	THREAD_CPUTIME_RANGE,
};

FIXTURE(bad) {
	struct ckpt_ctx ctx;
	struct image img;
};

FIXTURE_VARIANT(bad) {
	enum timer_corruption what;
};

FIXTURE_VARIANT_ADD(bad, sigaltstack_flags) { .what = ALTSTACK_FLAGS };
FIXTURE_VARIANT_ADD(bad, itimer_out_of_range) { .what = ITIMER_RANGE };
FIXTURE_VARIANT_ADD(bad, posix_timer_on_cpu_clock) { .what = POSIX_CPU_CLOCK };
FIXTURE_VARIANT_ADD(bad, posix_timers_with_one_id) { .what = POSIX_SAME_IDS };
FIXTURE_VARIANT_ADD(bad, posix_timer_without_signal) { .what = POSIX_NO_SIGNAL };
FIXTURE_VARIANT_ADD(bad, posix_timers_count) { .what = POSIX_LENGTH };
FIXTURE_VARIANT_ADD(bad, cputime_out_of_range) { .what = CPUTIME_RANGE };
FIXTURE_VARIANT_ADD(bad, thread_cputime_out_of_range) { .what = THREAD_CPUTIME_RANGE };

FIXTURE_SETUP(bad)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	self->ctx.call_timeout_s = CKPT_SMALL_CALL_TIMEOUT_S;
}

FIXTURE_TEARDOWN(bad)
{
	free(self->img.data);
	free(self->img.recs);
	ckpt_ctx_teardown(&self->ctx);
}

/* A process with every record of this file: alternate stack, timers */
static int all_timers_child(void *arg)
{
	struct itimerval it = { .it_value = { 100, 0 } };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN };
	stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536 };
	int id;

	(void)arg;
	if (!ss.ss_sp || sigaltstack(&ss, NULL) || setitimer(ITIMER_REAL, &it, NULL) ||
	    ptimer_create(CLOCK_MONOTONIC, &sev, &id) ||
	    ptimer_create(CLOCK_MONOTONIC, &sev, &id))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

#define REC_PAYLOAD(type, size) ({					\
	struct ckpt_rec *__r = find_rec(img, (type));			\
	ASSERT_TRUE(!!__r)						\
		TH_LOG("the image has no %s record", rec_name(type));	\
	ASSERT_LE((size), __r->len);					\
	(void *)(data + __r->off + sizeof(struct ckpt_rec_hdr));	\
})

TEST_F_TIMEOUT(bad, timer_record_makes_restart_fail_cleanly, 60)
{
	struct image *img = &self->img;
	enum ckpt_outcome outcome;
	struct ckpt_posix_timers *pt;
	struct ckpt_posix_timer *t;
	struct ckpt_sigaltstack *ss;
	struct ckpt_itimers *it;
	struct ckpt_thread_cputime *tcpu;
	struct ckpt_cputime *cpu;
	char *data;

	img->pid = ckpt_spawn(_metadata, &self->ctx, all_timers_child, NULL);
	image_of_killed(_metadata, &self->ctx, img->pid, img);
	data = img->data;

	pt = REC_PAYLOAD(CKPT_REC_POSIX_TIMERS, sizeof(*pt) + 2 * sizeof(*t));
	t = (void *)(pt + 1);
	switch (variant->what) {
	case ALTSTACK_FLAGS:
		ss = REC_PAYLOAD(CKPT_REC_SIGALTSTACK, sizeof(*ss));
		ss->flags = htole32(4);
		break;
	case ITIMER_RANGE:
		it = REC_PAYLOAD(CKPT_REC_ITIMERS, sizeof(*it));
		it->it[CKPT_ITIMER_REAL].value_ns = htole64(~0ULL);
		break;
	case POSIX_CPU_CLOCK:
		t[1].clockid = htole32(CLOCK_PROCESS_CPUTIME_ID);
		break;
	case POSIX_SAME_IDS:
		t[1].id = t[0].id;
		break;
	case POSIX_NO_SIGNAL:
		t[0].signo = 0;
		break;
	case POSIX_LENGTH:
		pt->nr = htole32(3);
		break;
	case CPUTIME_RANGE:
		cpu = REC_PAYLOAD(CKPT_REC_CPUTIME, sizeof(*cpu));
		cpu->sum_exec_ns = htole64(~0ULL);
		break;
	case THREAD_CPUTIME_RANGE:
		tcpu = REC_PAYLOAD(CKPT_REC_THREAD_CPUTIME, sizeof(*tcpu));
		tcpu->utime_ns = htole64(~0ULL);
		break;
	}
	trailer_of(img, data)->crc32c =
		htole32(crc32c(data, img->recs[img->nr - 1].off));
	outcome = restart_from_broken_image(_metadata, &self->ctx, data, img->len,
					    img->pid, EINVAL, "bad timer record");
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
}

TEST_HARNESS_MAIN
