// SPDX-License-Identifier: GPL-2.0
/*
 * A task asleep with a timeout when it is checkpointed wakes up about when
 * it would have anyway: not at once, not a full timeout late, and without
 * seeing EINTR. That holds for the restored task, and for the original
 * one when the checkpoint does not kill it.
 *
 * The task falls asleep for 5 s and is checkpointed 2 s into it. A task
 * that started its sleep over on restart would wake after 7 s or more, one
 * that was woken by the checkpoint after about 2 s. The slack is for TCG.
 */
#include <linux/futex.h>
#include <poll.h>

#include "ckpt_util.h"

#define SLEEP_MS	5000
#define CHECKPOINT_MS	2000
#define WAKE_MIN_MS	4500
#define WAKE_MAX_MS	6500

enum sleep_call {
	SLEEP_NANOSLEEP,	/* relative: the kernel keeps the end time */
	SLEEP_CLOCK_NANOSLEEP_ABS,
	SLEEP_POLL,
	SLEEP_FUTEX_WAIT,
};

FIXTURE(sleep) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(sleep) {
	enum sleep_call call;
};

FIXTURE_VARIANT_ADD(sleep, nanosleep) {
	.call = SLEEP_NANOSLEEP,
};

FIXTURE_VARIANT_ADD(sleep, clock_nanosleep_abstime) {
	.call = SLEEP_CLOCK_NANOSLEEP_ABS,
};

FIXTURE_VARIANT_ADD(sleep, poll) {
	.call = SLEEP_POLL,
};

FIXTURE_VARIANT_ADD(sleep, futex_wait) {
	.call = SLEEP_FUTEX_WAIT,
};

FIXTURE_SETUP(sleep)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(sleep)
{
	ckpt_ctx_teardown(&self->ctx);
}

static const char *const sleep_reasons[] = {
	[1] = "the sleeping call failed or returned early (EINTR?): it must be restarted",
	[2] = "woke up too early",
	[3] = "woke up too late",
};

static enum sleep_call sleep_call;
static uint32_t futex_word;

/* Sleeps SLEEP_MS the chosen way; returns whether the call did as it should */
static bool sleep_once(int64_t t0)
{
	struct timespec ts = { SLEEP_MS / 1000, (SLEEP_MS % 1000) * 1000000L };
	int64_t end = t0 + SLEEP_MS * 1000000LL;
	long ret;

	switch (sleep_call) {
	case SLEEP_NANOSLEEP:
		ret = nanosleep(&ts, NULL);
		break;
	case SLEEP_CLOCK_NANOSLEEP_ABS:
		ts.tv_sec = end / 1000000000LL;
		ts.tv_nsec = end % 1000000000LL;
		/* returns the error number itself */
		errno = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL);
		ret = errno ? -1 : 0;
		break;
	case SLEEP_POLL:
		ret = poll(NULL, 0, SLEEP_MS);
		break;
	case SLEEP_FUTEX_WAIT:
		/* Nobody wakes it: it must time out */
		ret = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0,
			      &ts, NULL, 0);
		if (ret == -1 && errno == ETIMEDOUT)
			return true;
		ckpt_child_note("futex() = %ld (%s)", ret,
				ret ? strerror(errno) : "woken");
		return false;
	default:
		return false;
	}
	if (ret)
		ckpt_child_note("sleep returned %ld: %s", ret, strerror(errno));
	return !ret;
}

static int sleep_child(void *arg)
{
	int64_t t0, ms;
	bool ok;

	(void)arg;
	t0 = ckpt_now_ns();
	ckpt_child_ready();
	ok = sleep_once(t0);
	ms = (ckpt_now_ns() - t0) / 1000000;
	ckpt_child_note("slept %lld ms, expected %d", (long long)ms, SLEEP_MS);
	if (!ok)
		return 1;
	if (ms < WAKE_MIN_MS)
		return 2;
	if (ms > WAKE_MAX_MS)
		return 3;
	return 0;
}

static void check_sleep(struct __test_metadata *_metadata,
			struct ckpt_ctx *ctx, enum sleep_call call,
			bool restart)
{
	int64_t asleep, checkpointed, running;
	int status;
	pid_t pid;

	sleep_call = call;
	pid = ckpt_spawn(_metadata, ctx, sleep_child, NULL);
	asleep = ckpt_now_ns();
	ckpt_sleep_ms(CHECKPOINT_MS);
	checkpointed = ckpt_now_ns();
	if (restart)
		ckpt_kill_and_restart(_metadata, ctx, pid);
	else
		ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, 0));
	running = ckpt_now_ns();
	/* No SIGUSR1 nudges: they would interrupt the sleep */
	status = ckpt_wait_child(pid, CKPT_EXIT_TIMEOUT_MS, false);
	if (status != 0)
		TH_LOG("checkpointed %lld ms into the sleep, running at %lld ms",
		       (long long)(checkpointed - asleep) / 1000000,
		       (long long)(running - asleep) / 1000000);
	ckpt_assert_exit_ok(_metadata, status, CKPT_REASONS(sleep_reasons));
}

TEST_F_TIMEOUT(sleep, restored_sleeper_wakes_on_time, 60)
{
	check_sleep(_metadata, &self->ctx, variant->call, true);
}

TEST_F_TIMEOUT(sleep, sleeper_left_running_wakes_on_time, 60)
{
	check_sleep(_metadata, &self->ctx, variant->call, false);
}

TEST_HARNESS_MAIN
