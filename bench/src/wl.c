// SPDX-License-Identifier: GPL-2.0
/*
 * wl: the workloads that bench/ checkpoints and restarts.
 *
 *   wl trivial                 a loop with 16 KiB of state
 *   wl mem MIB PERMILLE        MIB MiB of private anonymous memory, PERMILLE
 *                              thousandths of its pages written with random
 *                              (incompressible) data: 1000 = all, 10 = 1%
 *   wl tree N                  N processes: this one and N-1 children
 *   wl threads N               N threads: this one and N-1 others
 *   wl fds N DIR               N more descriptors, each its own open() of
 *                              its own empty file DIR/N (created if missing)
 *   wl unixpairs N             N UNIX stream socketpairs, 64 bytes queued
 *                              unread on each end
 *   wl tcppairs N              N TCP connections over loopback, both ends
 *                              here, 64 bytes queued unread on each end,
 *                              and their listener
 *   wl vmas N                  N one-page private anonymous mappings side
 *                              by side, alternately read-write and
 *                              read-only, each page written
 *   wl prefork MIB N           MIB MiB of private anonymous memory written
 *                              with random data, then N children forked
 *                              that each read all of it once: N+1
 *                              processes sharing the pages copy-on-write.
 *                              Every process beats (the children every
 *                              10 ms) and answers SIGUSR1 with its own
 *                              status page; the status page says how
 *                              many processes the tree has (procs)
 *   wl incr MIB HUGE           MIB MiB of private anonymous memory, every
 *                              page written with random data that is a
 *                              function of its index and of the round
 *                              that last wrote it; HUGE 1: huge pages
 *                              (MADV_HUGEPAGE), 0: 4 KiB pages
 *                              (MADV_NOHUGEPAGE).  SIGUSR2 starts round
 *                              R: one page in 100 is rewritten, those
 *                              whose index is R - 1 modulo 100.  SIGTERM
 *                              checks every byte against what the rounds
 *                              wrote and exits, 0 if all are right.  It
 *                              says so on its standard output: "ready",
 *                              "round R: N pages rewritten", "check: ..."
 *   wl dirty MIB RATE          MIB MiB of private anonymous memory in 4 KiB
 *                              pages (MADV_NOHUGEPAGE), each page written
 *                              as in incr; then, for as long as it runs,
 *                              RATE MiB/s of it dirtied at an even pace
 *                              (RATE * 256 pages a second, a few at each
 *                              heartbeat): the first word of the next
 *                              page, going round the region, becomes a
 *                              function of the page and of the times it
 *                              was dirtied.  A process stopped does not
 *                              dirty what it missed.  Every gap of more
 *                              than 50 ms between two heartbeats (a
 *                              freeze, a migration) is said on standard
 *                              output, "gap MS ms end=REALTIME_US"; SIGTERM
 *                              checks every byte and exits, 0 if all are
 *                              right ("check: ...")
 *
 * Every workload then beats: every millisecond it writes CLOCK_REALTIME
 * into a status page at a fixed address (WL_STATUS_ADDR), which the bench
 * driver reads with process_vm_readv(), so that it knows without any
 * channel that checkpoint could not save (a pipe, a socket) when the
 * workload is ready, when a restored workload runs again, and how long
 * it was stopped.  SIGUSR1 asks it to recompute a checksum of its state
 * and compare it with the one taken when it was set up.
 *
 * Its descriptors 0, 1 and 2 are whatever the driver gave it (/dev/null).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wl.h"

static struct wl_status *st;
static volatile sig_atomic_t verify_asked;
static volatile sig_atomic_t round_asked;	/* wl incr: SIGUSR2 */
static volatile sig_atomic_t check_asked;	/* wl incr: SIGTERM */

/* The state that the checksum covers */
static unsigned char *region;
static size_t region_len;
static size_t region_step = 1;	/* pages: every step-th page is written */
static unsigned char small_state[16384];
static int *sock_fds;		/* the socketpairs' ends */
static size_t nr_sock_fds;
static long beat_ns = 1000 * 1000;	/* heartbeat period */
static uint64_t gap_report_ns;		/* wl dirty: say gaps longer than this */

/*
 * CLOCK_REALTIME, not CLOCK_MONOTONIC: CRIU restores a process into a
 * time namespace whose monotonic clock goes on from the dump, so the
 * restored process's monotonic time is not the driver's.  No time
 * namespace offsets the real-time clock (and nothing sets it in the guest).
 */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "wl: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* xorshift64*: fast, and its output does not compress */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

static void fill_random(void *p, size_t len)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = rnd();
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x100000001b3ull;
	return h ^ (h >> 29);
}

/*
 * Every written page contributes its first and last words, every 64th
 * written page all its words: cheap enough to run after every restart,
 * and a page lost, swapped or zeroed is seen.
 */
static uint64_t checksum(void)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t pg = 4096, off, i, j, n = 0;

	for (i = 0; i < sizeof(small_state) / 8; i++)
		h = mix(h, ((uint64_t *)small_state)[i]);
	/* What each socket has queued, peeked: unread, and unchanged */
	for (i = 0; i < nr_sock_fds; i++) {
		uint64_t q[8] = { 0 };

		if (recv(sock_fds[i], q, sizeof(q), MSG_PEEK | MSG_DONTWAIT) != sizeof(q))
			q[0] = ~0ull;
		for (j = 0; j < 8; j++)
			h = mix(h, q[j]);
	}
	for (off = 0; off < region_len; off += pg * region_step, n++) {
		uint64_t *w = (uint64_t *)(region + off);

		if (n % 64 == 0) {
			for (i = 0; i < pg / 8; i++)
				h = mix(h, w[i]);
		} else {
			h = mix(h, w[0]);
			h = mix(h, w[pg / 8 - 1]);
		}
	}
	return h;
}

static void on_usr1(int sig)
{
	(void)sig;
	verify_asked = 1;
}

static void setup_status(void)
{
	st = mmap((void *)WL_STATUS_ADDR, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (st == MAP_FAILED)
		die("status page");
	if (st != (void *)WL_STATUS_ADDR) {
		errno = EEXIST;
		die("status page address");
	}
	memset(st, 0, sizeof(*st));
	st->magic = WL_MAGIC;
}

static void setup_mem(unsigned long mib, unsigned long permille)
{
	size_t pg = 4096, off;

	region_len = (size_t)mib << 20;
	region = mmap(NULL, region_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		die("mmap");
	if (permille >= 1000) {
		fill_random(region, region_len);
		st->pages = region_len / pg;
		return;
	}
	/*
	 * Sparse: one page in 1000/permille.  With transparent huge pages
	 * ("always", the default here) the first write in each 2 MiB would
	 * bring a whole huge page in, and "1% touched" would be 100%
	 * resident; the mapping asks for small pages so that it stays 1%.
	 */
	if (madvise(region, region_len, MADV_NOHUGEPAGE))
		die("madvise");
	region_step = permille ? 1000 / permille : region_len / pg;
	for (off = 0; off < region_len; off += pg * region_step) {
		fill_random(region + off, pg);
		st->pages++;
	}
}

static void setup_vmas(unsigned long n)
{
	size_t pg = 4096, i;

	region_len = n * pg;
	region = mmap(NULL, region_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		die("mmap");
	/* No huge page may span two of the mappings */
	if (madvise(region, region_len, MADV_NOHUGEPAGE))
		die("madvise");
	fill_random(region, region_len);
	for (i = 1; i < n; i += 2)
		if (mprotect(region + i * pg, pg, PROT_READ))
			die("mprotect (raise vm.max_map_count?)");
	st->pages = n;
}

/* Room for n more descriptors */
static void raise_nofile(unsigned long n)
{
	struct rlimit rl = { .rlim_cur = n + 64, .rlim_max = n + 64 };

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n + 64) {
		rl.rlim_cur = n + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			die("setrlimit(RLIMIT_NOFILE)");
	}
}

static void setup_fds(unsigned long n, const char *dir)
{
	char path[4096];
	unsigned long i;

	raise_nofile(n);
	mkdir(dir, 0755);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%lu", dir, i);
		if (open(path, O_RDONLY | O_CREAT, 0644) < 0)
			die("open");
	}
	st->fds = n;
}

static void lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd >= 0 && !ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
}

/* 64 random bytes written on each end of a connected pair, unread */
static void queue_random(const int *ends)
{
	uint64_t data[8];
	int e;

	for (e = 0; e < 2; e++) {
		fill_random(data, sizeof(data));
		if (write(ends[e], data, sizeof(data)) != sizeof(data))
			die("write");
	}
}

static void setup_tcppairs(unsigned long n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	uint64_t data[8];
	unsigned long i;
	int l;

	lo_up();
	raise_nofile(2 * n + 1);
	sock_fds = calloc(2 * n, sizeof(*sock_fds));
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (!sock_fds || l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 128) ||
	    getsockname(l, (void *)&a, &alen))
		die("listen");
	for (i = 0; i < n; i++) {
		sock_fds[2 * i] = socket(AF_INET, SOCK_STREAM, 0);
		if (sock_fds[2 * i] < 0 || connect(sock_fds[2 * i], (void *)&a, sizeof(a)))
			die("connect");
		sock_fds[2 * i + 1] = accept(l, NULL, NULL);
		if (sock_fds[2 * i + 1] < 0)
			die("accept");
		queue_random(sock_fds + 2 * i);
	}
	/* Every end holds its 64 bytes before the checksum peeks at them */
	for (i = 0; i < 2 * n; i++)
		if (recv(sock_fds[i], data, sizeof(data), MSG_PEEK | MSG_WAITALL) != sizeof(data))
			die("recv");
	nr_sock_fds = 2 * n;
	st->fds = 2 * n + 1;
}

static void setup_unixpairs(unsigned long n)
{
	unsigned long i;

	raise_nofile(2 * n);
	sock_fds = calloc(2 * n, sizeof(*sock_fds));
	if (!sock_fds)
		die("calloc");
	for (i = 0; i < n; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sock_fds + 2 * i))
			die("socketpair");
		queue_random(sock_fds + 2 * i);
	}
	nr_sock_fds = 2 * n;
	st->fds = 2 * n;
}

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void setup_threads(unsigned long n)
{
	pthread_attr_t attr;
	pthread_t t;
	unsigned long i;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 1; i < n; i++) {
		errno = pthread_create(&t, &attr, idle_thread, NULL);
		if (errno)
			die("pthread_create");
	}
}

static void setup_tree(unsigned long n)
{
	pid_t parent = getpid();
	unsigned long i;

	for (i = 1; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			for (;;)
				pause();
		}
	}
}

/*
 * Parent: MIB MiB written with random data (setup_mem), then N children.
 * Each child reads every word of the region once, the way a worker of a
 * preforking server reads what its parent set up, and goes back to main()
 * to take its own checksum and beat like the parent, on its own copy of
 * the status page.  They beat every 10 ms rather than every millisecond:
 * 50 processes waking up 1,000 times a second would take a good part of
 * the two emulated CPUs.
 */
static void setup_prefork(unsigned long mib, unsigned long n)
{
	pid_t parent = getpid();
	unsigned long i;

	setup_mem(mib, 1000);
	st->procs = n + 1;
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			const uint64_t *w = (const uint64_t *)region;
			uint64_t sum = 0;
			size_t j;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			for (j = 0; j < region_len / 8; j++)
				sum += w[j];
			st->readsum = sum;
			beat_ns = 10 * 1000 * 1000;
			return;
		}
	}
}

/*
 * wl incr: the rounds of writes that an incremental checkpoint saves.
 * Page i written by round g holds a stream of xorshift64* seeded from
 * (i, g), so that the check after a restart knows every byte from the
 * number of rounds alone, which the restored memory carries.
 */
#define INCR_STRIDE	100	/* a round rewrites one page in INCR_STRIDE */

static unsigned long incr_rounds;

static uint64_t incr_seed(size_t page, unsigned long gen)
{
	uint64_t z = page * 0x9e3779b97f4a7c15ull + gen * 0xbf58476d1ce4e5b9ull + 1;

	/* splitmix64's finaliser; xorshift must not start from 0 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (z ^ (z >> 31)) | 1;
}

static void incr_fill(size_t page, unsigned long gen)
{
	uint64_t *w = (uint64_t *)(region + page * 4096);
	size_t i;

	rnd_state = incr_seed(page, gen);
	for (i = 0; i < 4096 / 8; i++)
		w[i] = rnd();
}

/* The round that last wrote page i after r rounds (0: the set-up) */
static unsigned long incr_gen(size_t page, unsigned long r)
{
	unsigned long k = page % INCR_STRIDE;

	if (r <= k)
		return 0;
	return k + 1 + (r - 1 - k) / INCR_STRIDE * INCR_STRIDE;
}

static void incr_say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(1, buf, n) < 0)
		return;
}

static void setup_incr(unsigned long mib, unsigned long huge)
{
	size_t page;

	region_len = (size_t)mib << 20;
	region = mmap(NULL, region_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		die("mmap");
	if (madvise(region, region_len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise");
	for (page = 0; page < region_len / 4096; page++)
		incr_fill(page, 0);
	st->pages = region_len / 4096;
}

static void incr_round(void)
{
	size_t page, n = 0;

	incr_rounds++;
	for (page = (incr_rounds - 1) % INCR_STRIDE; page < region_len / 4096;
	     page += INCR_STRIDE, n++)
		incr_fill(page, incr_rounds);
	/* What SIGUSR1 compares with from now on */
	st->checksum = checksum();
	incr_say("round %lu: %zu pages rewritten\n", incr_rounds, n);
}

/* Every byte of every page against what it should hold: 0 if all are right */
static int incr_check(void)
{
	size_t page, i, bad = 0, first = 0, pages = region_len / 4096;

	for (page = 0; page < pages; page++) {
		const uint64_t *w = (const uint64_t *)(region + page * 4096);

		rnd_state = incr_seed(page, incr_gen(page, incr_rounds));
		for (i = 0; i < 4096 / 8; i++)
			if (w[i] != rnd())
				break;
		if (i < 4096 / 8 && !bad++)
			first = page;
	}
	if (bad)
		incr_say("check: %zu of %zu pages wrong after %lu round(s) (first: page %zu)\n",
			 bad, pages, incr_rounds, first);
	else
		incr_say("check: all %zu pages right after %lu round(s)\n", pages, incr_rounds);
	return bad ? 1 : 0;
}

static void on_incr_signal(int sig)
{
	if (sig == SIGUSR2)
		round_asked = 1;
	else
		check_asked = 1;
}

/*
 * wl dirty: a process that keeps writing RATE MiB/s while it is migrated.
 * dirty_done pages have been dirtied since the set-up, page n % pages by
 * the n-th; page p then holds in its first word the seed of (p, k), k the
 * times it was dirtied, and the rest of it as the set-up wrote it.
 */
static uint64_t dirty_pps;		/* pages a second */
static uint64_t dirty_done;
static uint64_t dirty_base_ns;		/* the pace: dirty_base pages ... */
static uint64_t dirty_base;		/* ... when CLOCK_REALTIME was dirty_base_ns */

static void setup_dirty(unsigned long mib, unsigned long rate)
{
	setup_incr(mib, 0);
	dirty_pps = (uint64_t)rate * 256;
	gap_report_ns = 50 * 1000 * 1000;
}

/*
 * Dirty the pages due by @t; if more than 250 ms are owed (the process
 * was stopped), the pace starts again from now
 */
static void dirty_step(uint64_t t)
{
	size_t pages = region_len / 4096, p;
	uint64_t due;

	if (!dirty_pps)
		return;
	if (!dirty_base_ns || t < dirty_base_ns)
		dirty_base_ns = t, dirty_base = dirty_done;
	due = dirty_base + (t - dirty_base_ns) * dirty_pps / 1000000000ull;
	if (due - dirty_done > dirty_pps / 4) {
		dirty_base_ns = t;
		dirty_base = dirty_done;
		return;
	}
	for (; dirty_done < due; dirty_done++) {
		p = dirty_done % pages;
		*(volatile uint64_t *)(region + p * 4096) =
			incr_seed(p, dirty_done / pages + 1);
	}
}

static int dirty_check(void)
{
	size_t page, i, bad = 0, first = 0, pages = region_len / 4096;

	for (page = 0; page < pages; page++) {
		const uint64_t *w = (const uint64_t *)(region + page * 4096);
		uint64_t k = dirty_done / pages + (page < dirty_done % pages);

		rnd_state = incr_seed(page, 0);
		i = 0;
		if (k) {
			rnd();
			if (w[0] != incr_seed(page, k))
				goto wrong;
			i = 1;
		}
		for (; i < 4096 / 8; i++)
			if (w[i] != rnd())
				goto wrong;
		continue;
wrong:
		if (!bad++)
			first = page;
	}
	if (bad)
		incr_say("check: %zu of %zu pages wrong after %llu pages dirtied (first: page %zu)\n",
			 bad, pages, (unsigned long long)dirty_done, first);
	else
		incr_say("check: all %zu pages right after %llu pages dirtied (%.2f MiB)\n",
			 pages, (unsigned long long)dirty_done, dirty_done / 256.0);
	return bad ? 1 : 0;
}

static void beat(void)
{
	struct timespec period = { 0, beat_ns };
	uint64_t t, prev = 0;

	for (;;) {
		t = now_ns();
		if (prev && t - prev > st->maxgap_ns)
			st->maxgap_ns = t - prev;
		if (gap_report_ns && prev && t - prev > gap_report_ns)
			incr_say("gap %.1f ms end=%llu\n", (t - prev) / 1e6,
				 (unsigned long long)(t / 1000));
		prev = t;
		st->hb_ns = t;
		st->hb_count++;
		if (verify_asked) {
			verify_asked = 0;
			st->verify_ok = checksum() == st->checksum;
			__atomic_add_fetch(&st->verify_done, 1, __ATOMIC_RELEASE);
		}
		if (round_asked) {
			round_asked = 0;
			incr_round();
		}
		if (check_asked)
			exit(dirty_pps ? dirty_check() : incr_check());
		dirty_step(t);
		nanosleep(&period, NULL);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	unsigned long a = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
	unsigned long b = argc > 3 ? strtoul(argv[3], NULL, 0) : 0;
	struct sigaction sa = { .sa_handler = on_usr1 };
	uint64_t t0 = now_ns();

	setup_status();
	fill_random(small_state, sizeof(small_state));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);

	if (!strcmp(mode, "trivial")) {
		/* nothing more */
	} else if (!strcmp(mode, "mem") && argc == 4) {
		setup_mem(a, b);
	} else if (!strcmp(mode, "vmas") && argc == 3) {
		setup_vmas(a);
	} else if (!strcmp(mode, "fds") && argc == 4) {
		setup_fds(a, argv[3]);
	} else if (!strcmp(mode, "unixpairs") && argc == 3) {
		setup_unixpairs(a);
	} else if (!strcmp(mode, "tcppairs") && argc == 3) {
		setup_tcppairs(a);
	} else if (!strcmp(mode, "threads") && argc == 3) {
		setup_threads(a);
	} else if (!strcmp(mode, "tree") && argc == 3) {
		setup_tree(a);
	} else if (!strcmp(mode, "prefork") && argc == 4) {
		setup_prefork(a, b);
	} else if (!strcmp(mode, "incr") && argc == 4) {
		struct sigaction si = { .sa_handler = on_incr_signal };

		setup_incr(a, b);
		sigemptyset(&si.sa_mask);
		si.sa_flags = SA_RESTART;
		sigaction(SIGUSR2, &si, NULL);
		sigaction(SIGTERM, &si, NULL);
	} else if (!strcmp(mode, "dirty") && argc == 4) {
		struct sigaction si = { .sa_handler = on_incr_signal };

		setup_dirty(a, b);
		sigemptyset(&si.sa_mask);
		si.sa_flags = SA_RESTART;
		sigaction(SIGTERM, &si, NULL);
	} else {
		fprintf(stderr, "usage: wl trivial | mem MIB PERMILLE | vmas N | "
			"fds N DIR | unixpairs N | tcppairs N | threads N | tree N | "
			"prefork MIB N | incr MIB HUGE | dirty MIB RATE\n");
		return 2;
	}
	st->checksum = checksum();
	st->setup_ns = now_ns() - t0;
	st->hb_ns = now_ns();
	__atomic_store_n(&st->ready, 1, __ATOMIC_RELEASE);
	if (!strcmp(mode, "incr") || !strcmp(mode, "dirty"))
		incr_say("ready\n");
	beat();
	return 0;
}
