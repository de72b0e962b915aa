// SPDX-License-Identifier: GPL-2.0
/*
 * Anonymous-inode files survive checkpoint, kill and restart: an eventfd
 * keeps its counter and flags, a timerfd its clock, time left, interval
 * and unread expirations (and fires on time), a signalfd its mask and
 * flags, an epoll its whole interest list (same readiness and data after
 * restart, nested epoll included), an inotify its watches with their
 * descriptors.  Kinds that cannot be saved (io_uring, pidfd) make
 * checkpoint fail with EOPNOTSUPP and a log naming them.
 * Damaged records of these kinds make restart fail cleanly.
 */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "ckpt_image.h"

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif

FIXTURE(anonfd) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(anonfd)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(anonfd)
{
	ckpt_ctx_teardown(&self->ctx);
}

static int64_t ns_of(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* The value of "key:" in /proc/self/fdinfo/@fd, or -1 */
static long long fdinfo_value(int fd, const char *key, int base)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (ckpt_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, key);
	if (!p)
		return -1;
	return strtoll(p + strlen(key), NULL, base);
}

/* read(), again after the test's SIGUSR1 nudges */
static ssize_t read_intr(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* ---- eventfd ---- */

#define EFD_BIG		3	/* fd of a non-blocking eventfd with a 40-bit count */
#define EFD_SEM		4	/* fd of a semaphore eventfd */

static const char *const eventfd_reasons[] = {
	[1] = "could not create the eventfds",
	[2] = "the counter of the non-blocking eventfd is wrong",
	[3] = "the non-blocking eventfd lost O_NONBLOCK or blocks",
	[4] = "the semaphore eventfd does not count down by one",
	[5] = "the semaphore eventfd lost EFD_SEMAPHORE or got O_NONBLOCK",
	[6] = "the eventfds are not at their fd numbers",
};

static int eventfd_child(void *arg)
{
	uint64_t v = (1ULL << 40) + 5, r;
	struct pollfd pfd;
	int i;

	(void)arg;
	if (eventfd(0, EFD_NONBLOCK) != EFD_BIG ||
	    eventfd(3, EFD_SEMAPHORE | EFD_CLOEXEC) != EFD_SEM ||
	    write(EFD_BIG, &v, sizeof(v)) != sizeof(v))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (fcntl(EFD_BIG, F_GETFD) < 0 || fcntl(EFD_SEM, F_GETFD) != FD_CLOEXEC)
		return 6;
	if (!(fcntl(EFD_BIG, F_GETFL) & O_NONBLOCK))
		return 3;
	if (read(EFD_BIG, &r, sizeof(r)) != sizeof(r) || r != v) {
		ckpt_child_note("count 0x%llx, expected 0x%llx",
				(unsigned long long)r, (unsigned long long)v);
		return 2;
	}
	if (read(EFD_BIG, &r, sizeof(r)) != -1 || errno != EAGAIN)
		return 3;
	if (fcntl(EFD_SEM, F_GETFL) & O_NONBLOCK ||
	    fdinfo_value(EFD_SEM, "eventfd-semaphore:", 10) != 1)
		return 5;
	for (i = 0; i < 3; i++)
		if (read(EFD_SEM, &r, sizeof(r)) != sizeof(r) || r != 1)
			return 4;
	pfd.fd = EFD_SEM;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0))
		return 4;
	return 0;
}

TEST_F_TIMEOUT(anonfd, eventfd_keeps_counter_and_flags, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, eventfd_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(eventfd_reasons));
}

/* ---- timerfd ---- */

#define TFD_PERIODIC	3	/* MONOTONIC, first expiry at 2 s, then every 1 s */
#define TFD_PENDING	4	/* BOOTTIME one-shot, expired before the checkpoint */
#define TFD_IDLE	5	/* REALTIME, disarmed */
#define TFD_ABS		6	/* REALTIME absolute, 30 s ahead */

static const char *const timerfd_reasons[] = {
	[1] = "could not create or arm the timerfds",
	[2] = "the periodic timer has the wrong time left or interval",
	[3] = "the periodic timer did not fire on time",
	[4] = "the periodic timer did not fire again one interval later",
	[5] = "the expired timer lost its unread expiration",
	[6] = "the disarmed timer is armed, or a clock changed",
	[7] = "a timerfd lost O_NONBLOCK",
	[8] = "the absolute timer has the wrong time left",
};

static int timerfd_child(void *arg)
{
	struct itimerspec two_then_one = { { 1, 0 }, { 2, 0 } };
	struct itimerspec soon = { { 0, 0 }, { 0, 1000000 } };
	struct itimerspec t;
	struct timespec now, start;
	uint64_t ticks;
	int64_t left, waited;

	(void)arg;
	if (timerfd_create(CLOCK_MONOTONIC, 0) != TFD_PERIODIC ||
	    timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK) != TFD_PENDING ||
	    timerfd_create(CLOCK_REALTIME, 0) != TFD_IDLE ||
	    timerfd_create(CLOCK_REALTIME, 0) != TFD_ABS ||
	    timerfd_settime(TFD_PERIODIC, 0, &two_then_one, NULL) ||
	    timerfd_settime(TFD_PENDING, 0, &soon, NULL) ||
	    clock_gettime(CLOCK_REALTIME, &now))
		return 1;
	t = (struct itimerspec){ { 0, 0 }, { now.tv_sec + 30, now.tv_nsec } };
	if (timerfd_settime(TFD_ABS, TFD_TIMER_ABSTIME, &t, NULL))
		return 1;
	/* Checkpointed about 1 s into the 2 s of the periodic timer */
	ckpt_sleep_ms(1000);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (timerfd_gettime(TFD_PERIODIC, &t))
		return 2;
	left = ns_of(&t.it_value);
	if (left <= 0 || left > 1100000000LL || t.it_interval.tv_sec != 1 ||
	    t.it_interval.tv_nsec) {
		ckpt_child_note("periodic: %lld ns left, interval %ld.%09ld",
				(long long)left, (long)t.it_interval.tv_sec,
				t.it_interval.tv_nsec);
		return 2;
	}
	if (read_intr(TFD_PERIODIC, &ticks, sizeof(ticks)) != sizeof(ticks) ||
	    ticks != 1)
		return 3;
	clock_gettime(CLOCK_MONOTONIC, &now);
	waited = ns_of(&now) - ns_of(&start);
	if (waited < left - 1000000 || waited > left + 400000000LL) {
		ckpt_child_note("fired after %lld ns, %lld ns were left",
				(long long)waited, (long long)left);
		return 3;
	}
	start = now;
	if (read_intr(TFD_PERIODIC, &ticks, sizeof(ticks)) != sizeof(ticks) ||
	    ticks != 1)
		return 4;
	clock_gettime(CLOCK_MONOTONIC, &now);
	waited = ns_of(&now) - ns_of(&start);
	if (waited < 800000000LL || waited > 1400000000LL) {
		ckpt_child_note("second expiry after %lld ns", (long long)waited);
		return 4;
	}

	if (!(fcntl(TFD_PENDING, F_GETFL) & O_NONBLOCK))
		return 7;
	if (read(TFD_PENDING, &ticks, sizeof(ticks)) != sizeof(ticks) ||
	    ticks != 1)
		return 5;
	if (read(TFD_PENDING, &ticks, sizeof(ticks)) != -1 || errno != EAGAIN)
		return 5;

	if (timerfd_gettime(TFD_IDLE, &t) || t.it_value.tv_sec ||
	    t.it_value.tv_nsec || t.it_interval.tv_sec || t.it_interval.tv_nsec)
		return 6;
	if (fdinfo_value(TFD_PERIODIC, "clockid:", 10) != CLOCK_MONOTONIC ||
	    fdinfo_value(TFD_PENDING, "clockid:", 10) != CLOCK_BOOTTIME ||
	    fdinfo_value(TFD_IDLE, "clockid:", 10) != CLOCK_REALTIME)
		return 6;

	/* Saved as a relative time: about 28 s left */
	if (timerfd_gettime(TFD_ABS, &t) || t.it_value.tv_sec < 25 ||
	    t.it_value.tv_sec > 30)
		return 8;
	return 0;
}

TEST_F_TIMEOUT(anonfd, timerfd_fires_on_time_after_restart, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, timerfd_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(timerfd_reasons));
}

/* ---- signalfd ---- */

#define SFD		3

static const char *const signalfd_reasons[] = {
	[1] = "could not create the signalfd",
	[2] = "the signalfd's mask changed",
	[3] = "the signalfd lost O_NONBLOCK or FD_CLOEXEC",
	[4] = "the signalfd does not deliver a signal of its mask",
	[5] = "the signalfd delivers a signal outside its mask",
};

static int signalfd_child(void *arg)
{
	struct signalfd_siginfo si;
	sigset_t set;
	long long mask;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN + 1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) ||
	    signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC) != SFD)
		return 1;
	mask = fdinfo_value(SFD, "sigmask:", 16);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (fdinfo_value(SFD, "sigmask:", 16) != mask ||
	    mask != ((1LL << (SIGUSR2 - 1)) | (1LL << (SIGRTMIN + 1 - 1)))) {
		ckpt_child_note("sigmask %llx, was %llx",
				fdinfo_value(SFD, "sigmask:", 16), mask);
		return 2;
	}
	if (!(fcntl(SFD, F_GETFL) & O_NONBLOCK) ||
	    fcntl(SFD, F_GETFD) != FD_CLOEXEC)
		return 3;
	if (read(SFD, &si, sizeof(si)) != -1 || errno != EAGAIN)
		return 4;
	raise(SIGRTMIN + 1);
	if (read(SFD, &si, sizeof(si)) != sizeof(si) ||
	    (int)si.ssi_signo != SIGRTMIN + 1)
		return 4;
	/* SIGUSR1 (the test's nudge) is not in the mask */
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	if (read(SFD, &si, sizeof(si)) != -1 || errno != EAGAIN)
		return 5;
	return 0;
}

TEST_F_TIMEOUT(anonfd, signalfd_keeps_mask_and_flags, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, signalfd_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(signalfd_reasons));
}

/* ---- epoll ---- */

#define EP		3	/* the epoll */
#define EP_A		4	/* eventfd, count 1: readable */
#define EP_T		5	/* timerfd, 2 s, edge-triggered */
#define EP_C		6	/* eventfd, count 0: writable, one-shot */
#define EP_DUP		7	/* dup of EP_A: a second item for the same file */
#define EP_INNER	8	/* an epoll watching EP_A, nested in EP */
#define EP_Q		9	/* eventfd, count 0: not ready */

#define D_A	0x1111000000000001ULL
#define D_T	0x2222000000000002ULL
#define D_C	0x3333000000000003ULL
#define D_DUP	0x4444000000000004ULL
#define D_INNER	0x5555000000000005ULL
#define D_Q	0x6666000000000006ULL

static const char *const epoll_reasons[] = {
	[1] = "could not build the epoll set",
	[2] = "epoll_wait() reports other events or data than expected",
	[3] = "the timerfd item did not fire on time",
	[4] = "the one-shot item fired twice",
	[5] = "the item list in fdinfo changed",
	[6] = "an item for a new event does not report it",
};

static int ep_add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* The events of each data value in one epoll_wait(); 0 if not reported */
struct ep_seen {
	uint32_t a, t, c, dup, inner, q;
	int n;
};

static uint32_t *ev_slot(struct ep_seen *s, uint64_t data)
{
	switch (data) {
	case D_A:
		return &s->a;
	case D_T:
		return &s->t;
	case D_C:
		return &s->c;
	case D_DUP:
		return &s->dup;
	case D_INNER:
		return &s->inner;
	case D_Q:
		return &s->q;
	}
	return NULL;
}

static int ep_wait(int timeout_ms, struct ep_seen *s)
{
	struct epoll_event ev[16];
	int i, n;

	memset(s, 0, sizeof(*s));
	do
		n = epoll_wait(EP, ev, 16, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	s->n = n;
	for (i = 0; i < n; i++) {
		uint32_t *slot = ev_slot(s, ev[i].data.u64);

		if (!slot) {
			ckpt_child_note("unknown data 0x%llx",
					(unsigned long long)ev[i].data.u64);
			return -1;
		}
		*slot = ev[i].events;
	}
	return n;
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The fdinfo lines of the epoll's items (fd, events, data, target inode),
 * sorted: the kernel lists them by file address, which a restart changes.
 */
static int ep_items(char *out, size_t size)
{
	char path[64], buf[4096], *lines[32], *p, *save = NULL;
	size_t len = 0;
	int i, n = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", EP);
	if (ckpt_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = strtok_r(buf, "\n", &save); p && n < 32;
	     p = strtok_r(NULL, "\n", &save))
		if (!strncmp(p, "tfd:", 4))
			lines[n++] = p;
	qsort(lines, n, sizeof(lines[0]), cmp_lines);
	out[0] = 0;
	for (i = 0; i < n; i++)
		len += snprintf(out + len, size - len, "%s\n", lines[i]);
	return n ? 0 : -1;
}

static int epoll_child(void *arg)
{
	struct itimerspec two = { { 0, 0 }, { 2, 0 } };
	static char before[4096], after[4096];
	struct timespec start, now;
	struct ep_seen s;
	uint64_t one = 1;
	int64_t waited;

	(void)arg;
	if (epoll_create1(EPOLL_CLOEXEC) != EP || eventfd(1, 0) != EP_A ||
	    timerfd_create(CLOCK_MONOTONIC, 0) != EP_T ||
	    eventfd(0, 0) != EP_C || dup(EP_A) != EP_DUP ||
	    epoll_create1(0) != EP_INNER || eventfd(0, 0) != EP_Q)
		return 1;
	if (ep_add(EP, EP_A, EPOLLIN, D_A) ||
	    ep_add(EP, EP_T, EPOLLIN | EPOLLET, D_T) ||
	    ep_add(EP, EP_C, EPOLLOUT | EPOLLONESHOT, D_C) ||
	    ep_add(EP, EP_DUP, EPOLLIN | EPOLLRDHUP, D_DUP) ||
	    ep_add(EP_INNER, EP_A, EPOLLIN, 0) ||
	    ep_add(EP, EP_INNER, EPOLLIN, D_INNER) ||
	    ep_add(EP, EP_Q, EPOLLIN | EPOLLEXCLUSIVE, D_Q) ||
	    timerfd_settime(EP_T, 0, &two, NULL))
		return 1;
	if (ep_items(before, sizeof(before)))
		return 1;
	ckpt_sleep_ms(1000);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (ep_items(after, sizeof(after)) || strcmp(before, after)) {
		ckpt_child_note("items before:\n%s", before);
		ckpt_child_note("items after:\n%s", after);
		return 5;
	}
	/* Ready now: A, its dup, the nested epoll and the one-shot C */
	if (ep_wait(0, &s) != 4 || s.a != EPOLLIN || s.dup != EPOLLIN ||
	    s.inner != EPOLLIN || s.c != EPOLLOUT) {
		ckpt_child_note("%d events: a %x dup %x inner %x c %x t %x q %x",
				s.n, s.a, s.dup, s.inner, s.c, s.t, s.q);
		return 2;
	}
	/* Then the timer, about 1 s after the restart; C stays disarmed */
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		if (ep_wait(3000, &s) < 0)
			return 2;
		if (s.c)
			return 4;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = ns_of(&now) - ns_of(&start);
		if (!s.t)
			ckpt_sleep_ms(50);
	} while (!s.t && waited < 3000000000LL);
	if (s.t != EPOLLIN || waited > 1500000000LL) {
		ckpt_child_note("timer events %x after %lld ns", s.t,
				(long long)waited);
		return 3;
	}
	/* Edge-triggered: not reported again until it fires again */
	if (ep_wait(0, &s) < 0 || s.t || s.c)
		return 4;
	/* A new event on Q is reported */
	if (write(EP_Q, &one, sizeof(one)) != sizeof(one) ||
	    ep_wait(0, &s) < 0 || s.q != EPOLLIN)
		return 6;
	return 0;
}

TEST_F_TIMEOUT(anonfd, epoll_reports_the_same_events_after_restart, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, epoll_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(epoll_reasons));
}

/* ---- inotify ---- */

#define IN_FD	3

static const char *const inotify_reasons[] = {
	[1] = "could not set up the watches",
	[2] = "the watches in fdinfo changed",
	[3] = "the inotify lost O_NONBLOCK or has events queued",
	[4] = "no IN_CREATE event with the directory's wd",
	[5] = "no IN_MODIFY event with the file's wd",
	[6] = "a new watch did not get the next watch descriptor",
};

/* The "inotify wd:" lines of the instance's fdinfo, sorted */
static int in_watches(char *out, size_t size)
{
	char path[64], buf[4096], *lines[32], *p, *save = NULL;
	size_t len = 0;
	int i, n = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", IN_FD);
	if (ckpt_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = strtok_r(buf, "\n", &save); p && n < 32;
	     p = strtok_r(NULL, "\n", &save))
		if (!strncmp(p, "inotify wd:", 11))
			lines[n++] = p;
	qsort(lines, n, sizeof(lines[0]), cmp_lines);
	out[0] = 0;
	for (i = 0; i < n; i++)
		len += snprintf(out + len, size - len, "%s\n", lines[i]);
	return n;
}

/* The next event (one read() may return several), or -1 */
static int in_event(struct inotify_event *ev, size_t size)
{
	static char buf[4096] __attribute__((aligned(8)));
	static size_t len, off;
	struct inotify_event *e;
	ssize_t n;

	if (off >= len) {
		do
			n = read(IN_FD, buf, sizeof(buf));
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return -1;
		len = n;
		off = 0;
	}
	e = (struct inotify_event *)(buf + off);
	if (sizeof(*e) + e->len > size)
		return -1;
	memcpy(ev, e, sizeof(*e) + e->len);
	off += sizeof(*e) + e->len;
	return 0;
}

static int inotify_child(void *arg)
{
	static char before[4096], after[4096];
	char dir[256], file[300], sub[300], name[300];
	union {
		struct inotify_event ev;
		char buf[sizeof(struct inotify_event) + NAME_MAX + 1];
	} u;
	int wd_dir, wd_file, wd_sub, fd;

	snprintf(dir, sizeof(dir), "%s/w", (const char *)arg);
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	if (mkdir(dir, 0700) || mkdir(sub, 0700))
		return 1;
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 1;
	close(fd);
	if (inotify_init1(IN_NONBLOCK) != IN_FD)
		return 1;
	/* wd 1 removed again, so that the numbers are not just 1, 2, 3 */
	wd_sub = inotify_add_watch(IN_FD, sub, IN_ATTRIB);
	wd_dir = inotify_add_watch(IN_FD, dir, IN_CREATE | IN_DELETE);
	wd_file = inotify_add_watch(IN_FD, file, IN_MODIFY | IN_ONESHOT);
	if (wd_sub != 1 || wd_dir != 2 || wd_file != 3 ||
	    inotify_rm_watch(IN_FD, wd_sub) || in_event(&u.ev, sizeof(u)) ||
	    !(u.ev.mask & IN_IGNORED) || in_watches(before, sizeof(before)) != 2)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (in_watches(after, sizeof(after)) != 2 || strcmp(before, after)) {
		ckpt_child_note("watches before:\n%s", before);
		ckpt_child_note("watches after:\n%s", after);
		return 2;
	}
	if (!(fcntl(IN_FD, F_GETFL) & O_NONBLOCK) ||
	    read(IN_FD, &u, sizeof(u)) != -1 || errno != EAGAIN)
		return 3;
	snprintf(name, sizeof(name), "%s/new", dir);
	fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 4;
	close(fd);
	if (in_event(&u.ev, sizeof(u)) || u.ev.wd != wd_dir ||
	    !(u.ev.mask & IN_CREATE) || strcmp(u.ev.name, "new"))
		return 4;
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "x", 1) != 1) {
		ckpt_child_note("open or write %s: %s", file, strerror(errno));
		return 5;
	}
	close(fd);
	if (in_event(&u.ev, sizeof(u)) || u.ev.wd != wd_file ||
	    !(u.ev.mask & IN_MODIFY)) {
		ckpt_child_note("event wd %d mask 0x%x, errno %d", u.ev.wd,
				u.ev.mask, errno);
		return 5;
	}
	/* IN_ONESHOT: the watch is gone after its event */
	if (in_event(&u.ev, sizeof(u)) || u.ev.wd != wd_file ||
	    !(u.ev.mask & IN_IGNORED)) {
		ckpt_child_note("after IN_MODIFY: wd %d mask 0x%x", u.ev.wd,
				u.ev.mask);
		return 5;
	}
	if (inotify_add_watch(IN_FD, sub, IN_ATTRIB) != 4)
		return 6;
	return 0;
}

TEST_F_TIMEOUT(anonfd, inotify_keeps_its_watches, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, inotify_child,
			       self->ctx.dir);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(inotify_reasons));
}

/* ---- epoll over a pipe: the pipe's data and readiness come back ---- */
#define PP_EP	3
#define PP_R	4
#define PP_W	5

static const char *const epoll_pipe_reasons[] = {
	[1] = "could not build the epoll over a pipe",
	[2] = "the pipe's read end is not reported readable with its data",
	[3] = "the pipe's write end is not reported writable with its data",
	[4] = "the pipe lost its contents",
};

static int epoll_pipe_child(void *arg)
{
	struct epoll_event ev[4];
	int fds[2], n, i, seen = 0;
	char buf[8];

	(void)arg;
	if (epoll_create1(0) != PP_EP || pipe(fds) || fds[0] != PP_R ||
	    fds[1] != PP_W || write(PP_W, "abc", 3) != 3 ||
	    ep_add(PP_EP, PP_R, EPOLLIN, 0x77) ||
	    ep_add(PP_EP, PP_W, EPOLLOUT | EPOLLET, 0x88))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	do
		n = epoll_wait(PP_EP, ev, 4, 0);
	while (n < 0 && errno == EINTR);
	for (i = 0; i < n; i++) {
		if (ev[i].data.u64 == 0x77 && ev[i].events == EPOLLIN)
			seen |= 1;
		if (ev[i].data.u64 == 0x88 && ev[i].events == EPOLLOUT)
			seen |= 2;
	}
	if (!(seen & 1))
		return 2;
	if (!(seen & 2))
		return 3;
	if (read(PP_R, buf, sizeof(buf)) != 3 || memcmp(buf, "abc", 3))
		return 4;
	return 0;
}

TEST_F_TIMEOUT(anonfd, epoll_over_a_pipe_reports_the_same_events, 60)
{
	pid_t pid;

	pid = ckpt_spawn(_metadata, &self->ctx, epoll_pipe_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(epoll_pipe_reasons));
}

/* ---- damaged records ---- */

/*
 * A child with one file of each kind, its epoll watching two eventfds,
 * its inotify watching "/"
 */
static int all_kinds_child(void *arg)
{
	struct itimerspec t = { { 0, 0 }, { 100, 0 } };
	sigset_t set;
	int ep, a, b;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	ep = epoll_create1(0);
	a = eventfd(1, 0);
	b = eventfd(0, 0);
	if (ep < 0 || a < 0 || b < 0 ||
	    ep_add(ep, a, EPOLLIN, 1) || ep_add(ep, b, EPOLLIN, 2) ||
	    timerfd_settime(timerfd_create(CLOCK_MONOTONIC, 0), 0, &t, NULL) ||
	    signalfd(-1, &set, 0) < 0 ||
	    inotify_add_watch(inotify_init1(0), "/", IN_CREATE) != 1)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

enum damage {
	EVENTFD_COUNT_MAX,
	TIMERFD_ALARM_CLOCK,
	TIMERFD_VALUE_NEGATIVE,
	EPOLL_ITEM_NO_FILE,
	EPOLL_ITEM_UNKNOWN_EVENT,
	EPOLL_ITEM_TWICE,
	EPOLL_SHORT,
	ANON_FILE_WITH_PATH,
	INOTIFY_OTHER_INODE,
	INOTIFY_RELATIVE_PATH,
};

FIXTURE(anon_damaged) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(anon_damaged) {
	enum damage what;
	int err;
};

FIXTURE_VARIANT_ADD(anon_damaged, eventfd_count_max) {
	.what = EVENTFD_COUNT_MAX, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(anon_damaged, timerfd_alarm_clock) {
	.what = TIMERFD_ALARM_CLOCK, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(anon_damaged, timerfd_value_negative) {
	.what = TIMERFD_VALUE_NEGATIVE, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(anon_damaged, epoll_item_no_file) {
	.what = EPOLL_ITEM_NO_FILE, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(anon_damaged, epoll_item_unknown_event) {
	.what = EPOLL_ITEM_UNKNOWN_EVENT, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(anon_damaged, epoll_item_twice) {
	.what = EPOLL_ITEM_TWICE, .err = EEXIST,
};

FIXTURE_VARIANT_ADD(anon_damaged, epoll_short) {
	.what = EPOLL_SHORT, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(anon_damaged, anon_file_with_path) {
	.what = ANON_FILE_WITH_PATH, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(anon_damaged, inotify_other_inode) {
	.what = INOTIFY_OTHER_INODE, .err = ESTALE,
};

FIXTURE_VARIANT_ADD(anon_damaged, inotify_relative_path) {
	.what = INOTIFY_RELATIVE_PATH, .err = EINVAL,
};

FIXTURE_SETUP(anon_damaged)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(anon_damaged)
{
	ckpt_ctx_teardown(&self->ctx);
}

TEST_F_TIMEOUT(anon_damaged, restart_fails_cleanly, 60)
{
	struct ckpt_epoll_item *items;
	struct ckpt_image_trailer *tr;
	enum ckpt_outcome outcome;
	struct ckpt_inotify_watch *w;
	struct ckpt_timerfd *tfd;
	struct ckpt_epoll *ep;
	struct ckpt_file *f;
	struct ckpt_rec *rec;
	struct image img;
	pid_t pid;

	pid = ckpt_spawn(_metadata, &self->ctx, all_kinds_child, NULL);
	image_of_killed(_metadata, &self->ctx, pid, &img);

	rec = find_rec(&img, CKPT_REC_EPOLL);
	ASSERT_TRUE(rec && rec->len == sizeof(*ep) + 2 * sizeof(*items));
	ep = ckpt_payload(img.data, rec);
	items = (void *)(ep + 1);
	switch (variant->what) {
	case EVENTFD_COUNT_MAX:
		rec = find_rec(&img, CKPT_REC_EVENTFD);
		ASSERT_TRUE(!!rec);
		((struct ckpt_eventfd *)ckpt_payload(img.data, rec))->count = ~0ULL;
		break;
	case TIMERFD_ALARM_CLOCK:
	case TIMERFD_VALUE_NEGATIVE:
		rec = find_rec(&img, CKPT_REC_TIMERFD);
		ASSERT_TRUE(!!rec);
		tfd = ckpt_payload(img.data, rec);
		if (variant->what == TIMERFD_ALARM_CLOCK)
			tfd->clockid = htole32(CLOCK_BOOTTIME_ALARM);
		else
			tfd->value_ns = htole64(1ULL << 63);
		break;
	case EPOLL_ITEM_NO_FILE:
		items[1].file_ref = htole32(0x7fffffff);
		break;
	case EPOLL_ITEM_UNKNOWN_EVENT:
		items[1].events |= htole32(0x4000);
		break;
	case EPOLL_ITEM_TWICE:
		items[1] = items[0];
		break;
	case EPOLL_SHORT:
		ep->nr_items = htole32(3);
		break;
	case ANON_FILE_WITH_PATH:
		/* The FILE right before the EVENTFD */
		rec = find_rec(&img, CKPT_REC_EVENTFD);
		ASSERT_TRUE(rec && rec > img.recs && rec[-1].type == CKPT_REC_FILE);
		f = ckpt_payload(img.data, rec - 1);
		f->path_len = htole32(2);
		break;
	case INOTIFY_OTHER_INODE:
	case INOTIFY_RELATIVE_PATH:
		rec = find_rec(&img, CKPT_REC_INOTIFY);
		ASSERT_TRUE(rec && rec->len > sizeof(struct ckpt_inotify) + sizeof(*w));
		w = (void *)((struct ckpt_inotify *)ckpt_payload(img.data, rec) + 1);
		if (variant->what == INOTIFY_OTHER_INODE)
			w->ino = htole64(le64toh(w->ino) + 1);
		else
			((char *)(w + 1))[0] = 'x';
		break;
	}
	tr = trailer_of(&img, img.data);
	tr->crc32c = htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	outcome = restart_from_broken_image(_metadata, &self->ctx, img.data,
					    img.len, pid, variant->err,
					    "damaged anonymous file");
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
	free(img.recs);
	free(img.data);
}

/* ---- kinds that cannot be saved ---- */

static int io_uring_child(void *arg)
{
	char params[256] = {};	/* struct io_uring_params, zeroed */

	(void)arg;
	if (syscall(__NR_io_uring_setup, 4, params) < 0)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

static int pidfd_child(void *arg)
{
	(void)arg;
	if (syscall(__NR_pidfd_open, getpid(), 0) < 0)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

FIXTURE(anon_unsupported) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(anon_unsupported) {
	int (*child)(void *arg);
	const char *log_names;
};

FIXTURE_VARIANT_ADD(anon_unsupported, io_uring) {
	.child = io_uring_child, .log_names = "anon_inode:[io_uring]",
};

FIXTURE_VARIANT_ADD(anon_unsupported, pidfd) {
	.child = pidfd_child, .log_names = "pidfd",
};

FIXTURE_SETUP(anon_unsupported)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(anon_unsupported)
{
	ckpt_ctx_teardown(&self->ctx);
}

TEST_F_TIMEOUT(anon_unsupported, checkpoint_fails_naming_the_kind, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, variant->child, NULL);
	long ret;

	ret = ckpt_call_checkpoint(&self->ctx, pid, self->ctx.image_fd,
				   CHECKPOINT_KILL, self->ctx.log_fd);
	ASSERT_EQ(-1, ret);
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, variant->log_names)) {
		TH_LOG("the log does not name %s", variant->log_names);
		ckpt_dump_log(_metadata, &self->ctx);
	}
	/* The task was not killed and runs on */
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

TEST_HARNESS_MAIN
