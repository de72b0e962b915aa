// SPDX-License-Identifier: GPL-2.0
/*
 * benchd: the guest side of `make bench`.  It starts the workloads (wl),
 * checkpoints and restarts them with checkpoint(2)/restart(2) called
 * directly and with CRIU, and times everything with CLOCK_MONOTONIC.
 *
 *   benchd row NAME RUNS [options] -- WL-ARGS...
 *	RUNS rounds; each round does, in an order that alternates:
 *	  ours: start the workload; checkpoint it to /dev/null (it runs on);
 *	        checkpoint it to a tmpfs file with CHECKPOINT_KILL; restart
 *	        it from that file; check its state; kill it
 *	  criu: start the workload; criu dump to a tmpfs directory (which
 *	        kills it; --timeout 600, since seizing 10,000 threads under
 *	        TCG takes longer than CRIU's default 10 s); criu restore -d;
 *	        check its state; kill it
 *	then one more, untimed round in which a sampler reads /proc/meminfo
 *	every SAMPLE_US during each checkpoint, for the memory it costs.
 *	Options:
 *	  --no-tmpfs   the image cannot be held in memory next to the
 *	               workload: ours only to /dev/null, CRIU's pages-1.img
 *	               made a symlink to /dev/null, no restart
 *	  --no-criu    ours only
 *	  --no-sample  no memory round
 *	  --tcp        the workload has TCP connections: CRIU gets
 *	               --tcp-established --network-lock nftables
 *	  --tree-mem   the summed Pss of the workload's tree (smaps_rollup)
 *	               and the system's used memory (MemTotal - MemAvailable)
 *	               on the started workload and on the restored one, with
 *	               the image deleted (prefork)
 *	  --criu-dir D CRIU's images in D instead of $BENCH_TMP/criu (a
 *	               directory on the shared 9p file system, when they do
 *	               not fit in the guest's memory)
 *	  --criu-runs N  CRIU in the first N rounds only
 *	  --lazy       lazy restart (post-copy), ours only (no CRIU, no memory
 *	               round): each round starts the workload, checkpoints it
 *	               with CHECKPOINT_LAZY|CHECKPOINT_KILL to a tmpfs file of
 *	               its own (the kernel denies writes to an image it still
 *	               reads), restarts it with RESTART_LAZY and, as soon as it
 *	               beats, asks it to check its state, which touches every
 *	               page it wrote while the kernel's worker fetches the
 *	               rest; then checks it again, everything in
 *	A workload whose status page gives a number of processes (procs,
 *	wl prefork) is ready, and runs again after a restore, when every
 *	process of its tree beats; every one of them checks its state.
 *
 *   benchd hw MIB RUNS
 *	The hardware limit for MIB MiB of random data: memcpy() between two
 *	populated buffers, write() to a new tmpfs file, read() of that file
 *	into fresh memory, and crc32c over it in software (slice-by-8, like
 *	the kernel's generic crc32c) and with the SSE4.2 instruction.
 *
 *   benchd now
 *	CLOCK_MONOTONIC in microseconds, for timing commands from a shell
 *	(bench/runc.sh; busybox's date has no %N).
 *
 * Every measurement is one JSON object on one line of $BENCH_OUT (default
 * stdout); progress goes to stdout.  Images go to $BENCH_TMP (/tmp/bench);
 * wl and criu are found as $BENCH_WL and $BENCH_CRIU.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wl.h"

#ifndef __NR_checkpoint
#define __NR_checkpoint	463
#endif
#ifndef __NR_restart
#define __NR_restart	464
#endif
#define CHECKPOINT_KILL	1ul
#define CHECKPOINT_LAZY	(1ul << 9)
#define RESTART_LAZY	(1ul << 4)

#define OP_TIMEOUT	900	/* s: a checkpoint or restart that takes longer hangs */

static FILE *out;
static const char *tmpdir = "/tmp/bench";
static const char *wl_path = "wl";
static const char *criu_path = "criu";
/*
 * --tcp: CRIU saves and restores established connections only if asked,
 * and locks them with nftables (the guest has no iptables)
 */
static char *criu_tcp[4];
static long sample_us = 1000;
static const char *cur_row = "";
static const char *criu_dir;	/* --criu-dir, or $BENCH_TMP/criu */
static int cur_procs = 1;	/* processes in the workload's tree */
static double last_all_us = -1; /* the last restore: until all of them ran */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static double us(uint64_t ns)
{
	return ns / 1000.0;
}

static void msleep_us(long usec)
{
	struct timespec ts = { usec / 1000000, (usec % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void progress(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* --- JSON lines ---------------------------------------------------------- */

static char jbuf[1 << 16];
static size_t jlen;

static void jraw(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(jbuf + jlen, sizeof(jbuf) - jlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		jlen += (size_t)n < sizeof(jbuf) - jlen ? (size_t)n : sizeof(jbuf) - jlen - 1;
}

static void jsep(void)
{
	if (jlen > 1)
		jraw(",");
}

static void jbegin(void)
{
	jlen = 0;
	jraw("{");
}

static void jstr(const char *k, const char *v)
{
	const char *p;

	jsep();
	jraw("\"%s\":\"", k);
	for (p = v; p && *p && jlen < sizeof(jbuf) - 16; p++) {
		unsigned char c = *p;

		if (c == '"' || c == '\\')
			jraw("\\%c", c);
		else if (c < 0x20)
			jraw("\\u%04x", c);
		else
			jraw("%c", c);
	}
	jraw("\"");
}

static void jint(const char *k, long long v)
{
	jsep();
	jraw("\"%s\":%lld", k, v);
}

static void jnum(const char *k, double v)
{
	jsep();
	jraw("\"%s\":%.3f", k, v);
}

static void jend(void)
{
	jraw("}\n");
	fwrite(jbuf, 1, jlen, out);
	fflush(out);
}

/* --- the workload -------------------------------------------------------- */

static int read_status(pid_t pid, struct wl_status *st)
{
	struct iovec local = { st, sizeof(*st) };
	struct iovec remote = { (void *)WL_STATUS_ADDR, sizeof(*st) };

	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != sizeof(*st))
		return -1;
	return st->magic == WL_MAGIC ? 0 : -1;
}

static int zero_maxgap(pid_t pid)
{
	uint64_t zero = 0;
	struct iovec local = { &zero, sizeof(zero) };
	struct iovec remote = {
		(void *)(WL_STATUS_ADDR + offsetof(struct wl_status, maxgap_ns)),
		sizeof(zero)
	};

	return process_vm_writev(pid, &local, 1, &remote, 1, 0) == sizeof(zero) ? 0 : -1;
}

/* Only async-signal-safe calls between fork and exec: we may have threads */
static pid_t spawn(char *const argv[], const char *stdout_path)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		int o = stdout_path ? open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : null;

		dup2(null, 0);
		dup2(o, 1);
		dup2(o, 2);
		syscall(SYS_close_range, 3, ~0u, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static uint64_t tree_wait(pid_t root, int procs, uint64_t since, uint64_t timeout_ns);
static void wl_kill_all(void);

static pid_t wl_start(char **wl_argv, struct wl_status *st)
{
	uint64_t t0 = now_ns(), t1;
	pid_t pid;
	int status;

	pid = spawn(wl_argv, NULL);
	if (pid < 0)
		return -1;
	for (;;) {
		if (read_status(pid, st) == 0 && __atomic_load_n(&st->ready, __ATOMIC_ACQUIRE)) {
			t1 = now_ns();
			cur_procs = st->procs > 1 ? (int)st->procs : 1;
			/* A prefork tree: until every child has read and beats */
			if (cur_procs > 1 && !tree_wait(pid, cur_procs, 0, 600ull * 1000000000ull)) {
				kill(pid, SIGKILL);
				wl_kill_all();
				progress("  wl %s: its %d processes did not get ready in 600 s\n",
					 wl_argv[1], cur_procs);
				return -1;
			}
			jbegin();
			jstr("row", cur_row);
			jstr("op", "start");
			jstr("wl", wl_argv[1]);
			jnum("setup_us", us(st->setup_ns));
			jnum("wall_us", us(t1 - t0));
			jint("pages", st->pages);
			jint("procs", cur_procs);
			if (cur_procs > 1)
				jnum("tree_wall_us", us(now_ns() - t0));
			jend();
			return pid;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			progress("  wl %s failed to start (status %#x)\n", wl_argv[1], status);
			return -1;
		}
		if (now_ns() - t0 > 600ull * 1000000000ull) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			progress("  wl %s did not get ready in 600 s\n", wl_argv[1]);
			return -1;
		}
		msleep_us(5000);
	}
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC now: the workloads beat in real time */
static int64_t realtime_offset(void)
{
	struct timespec rt;
	uint64_t m0 = now_ns(), m1;

	clock_gettime(CLOCK_REALTIME, &rt);
	m1 = now_ns();
	return (int64_t)((uint64_t)rt.tv_sec * 1000000000ull + rt.tv_nsec) -
	       (int64_t)(m0 / 2 + m1 / 2);
}

/*
 * Wait until the workload beats after @since (CLOCK_MONOTONIC); returns
 * the time of that beat on our CLOCK_MONOTONIC, or 0.
 */
static uint64_t wl_wait_beat(pid_t pid, uint64_t since, uint64_t timeout_ns)
{
	int64_t off = realtime_offset();
	struct wl_status st;
	uint64_t t0 = now_ns();

	while (now_ns() - t0 < timeout_ns) {
		if (read_status(pid, &st) == 0 && (int64_t)st.hb_ns - off > (int64_t)since)
			return st.hb_ns - off;
		msleep_us(50);
	}
	return 0;
}

/* Ask the workload to check its state: 1 good, 0 bad, -1 no answer */
static int wl_verify(pid_t pid)
{
	struct wl_status st;
	uint64_t done, t0 = now_ns();

	if (read_status(pid, &st))
		return -1;
	done = st.verify_done;
	if (kill(pid, SIGUSR1))
		return -1;
	while (now_ns() - t0 < 120ull * 1000000000ull) {
		if (read_status(pid, &st))
			return -1;
		if (st.verify_done != done)
			return st.verify_ok ? 1 : 0;
		msleep_us(2000);
	}
	return -1;
}

/* --- a tree of workload processes (prefork) -------------------------------- */

struct pidppid {
	pid_t pid, ppid;
};

/* Every process with its parent, from /proc/PID/stat; returns how many */
static int proc_ppids(struct pidppid **out)
{
	struct pidppid *v = NULL, *nv;
	struct dirent *e;
	int n = 0, cap = 0;
	DIR *d;

	*out = NULL;
	d = opendir("/proc");
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[64], buf[512], *p;
		pid_t pid = atoi(e->d_name);
		ssize_t len;
		int fd;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = 0;
		/* "pid (comm) state ppid ...": comm may hold anything */
		p = strrchr(buf, ')');
		if (!p)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[n].pid = pid;
		v[n].ppid = 0;
		sscanf(p + 1, " %*c %d", &v[n].ppid);
		n++;
	}
	closedir(d);
	*out = v;
	return n;
}

/* @root and its descendants (at most @max), @root first; returns how many */
static int tree_pids(pid_t root, pid_t *pids, int max)
{
	struct pidppid *v;
	int n = proc_ppids(&v), got = 0, i, j;

	if (max < 1)
		return 0;
	pids[got++] = root;
	for (i = 0; i < got; i++)
		for (j = 0; j < n && got < max; j++)
			if (v[j].ppid == pids[i] && v[j].pid != root)
				pids[got++] = v[j].pid;
	free(v);
	return got;
}

/*
 * Wait until the tree of @root has @procs processes, each ready and, with
 * @since, each seen beating after @since (CLOCK_MONOTONIC).  Returns when
 * that was seen (polled every 10 ms; prefork children beat every 10 ms),
 * or 0 after @timeout_ns.
 */
static uint64_t tree_wait(pid_t root, int procs, uint64_t since, uint64_t timeout_ns)
{
	int64_t off = realtime_offset();
	pid_t *pids = calloc(procs, sizeof(*pids));
	uint64_t t0 = now_ns();
	struct wl_status st;
	int n = 0, i;

	if (!pids)
		return 0;
	while (now_ns() - t0 < timeout_ns) {
		if (n < procs)
			n = tree_pids(root, pids, procs);
		for (i = 0; n == procs && i < n; i++) {
			if (read_status(pids[i], &st)) {
				n = 0;
				break;
			}
			if (!__atomic_load_n(&st.ready, __ATOMIC_ACQUIRE) ||
			    (since && (int64_t)st.hb_ns - off <= (int64_t)since))
				break;
		}
		if (n == procs && i == n) {
			free(pids);
			return now_ns();
		}
		msleep_us(10000);
	}
	free(pids);
	return 0;
}

/*
 * Every process of the tree checks its state: 1 all good, 0 one bad, -1
 * one did not answer (or the tree is not all there); @good: how many said
 * good.
 */
static int tree_verify(pid_t root, int *good)
{
	pid_t *pids = calloc(cur_procs, sizeof(*pids));
	int n, i, v, ret = 1;

	*good = 0;
	if (!pids)
		return -1;
	n = tree_pids(root, pids, cur_procs);
	if (n != cur_procs)
		ret = -1;
	for (i = 0; i < n; i++) {
		v = wl_verify(pids[i]);
		if (v == 1)
			(*good)++;
		else if (ret == 1 || v == -1)
			ret = v;
	}
	free(pids);
	return ret;
}

static long read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while ((size_t)got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return got;
}

/* The value of "KEY:  N kB" in @buf, or -1 */
static long kib_of(const char *buf, const char *key)
{
	size_t kl = strlen(key);
	const char *p;

	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ':')
			return atol(p + kl + 1);
	return -1;
}

struct treemem {
	int procs;
	long pss, pss_anon, rss;		/* summed over the tree */
	long total, free, avail, anon, anonhuge, shmem, pagetables;	/* meminfo */
	long cached, slab, sunreclaim, kstack, vmalloc, percpu;
};

/*
 * The memory of the tree (summed Pss, Pss_Anon and Rss of smaps_rollup)
 * and of the system: used = MemTotal - MemAvailable (free memory and the
 * page cache that can be dropped, such as CRIU's libraries, do not count;
 * tmpfs files do, hence the image is deleted before this is called).
 */
static void tree_mem(pid_t root, struct treemem *m)
{
	int max = cur_procs + 16, i;
	pid_t *pids = calloc(max, sizeof(*pids));
	char path[64], buf[8192];

	memset(m, 0, sizeof(*m));
	m->procs = pids ? tree_pids(root, pids, max) : 0;
	for (i = 0; i < m->procs; i++) {
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pids[i]);
		if (read_text(path, buf, sizeof(buf)) <= 0)
			continue;
		m->pss += kib_of(buf, "Pss");
		m->pss_anon += kib_of(buf, "Pss_Anon");
		m->rss += kib_of(buf, "Rss");
	}
	free(pids);
	if (read_text("/proc/meminfo", buf, sizeof(buf)) > 0) {
		m->total = kib_of(buf, "MemTotal");
		m->free = kib_of(buf, "MemFree");
		m->avail = kib_of(buf, "MemAvailable");
		m->anon = kib_of(buf, "AnonPages");
		m->anonhuge = kib_of(buf, "AnonHugePages");
		m->shmem = kib_of(buf, "Shmem");
		m->pagetables = kib_of(buf, "PageTables");
		m->cached = kib_of(buf, "Cached");
		m->slab = kib_of(buf, "Slab");
		m->sunreclaim = kib_of(buf, "SUnreclaim");
		m->kstack = kib_of(buf, "KernelStack");
		m->vmalloc = kib_of(buf, "VmallocUsed");
		m->percpu = kib_of(buf, "Percpu");
	}
}

static bool is_wl(pid_t pid)
{
	char path[64], comm[32] = "";
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	return n > 0 && !strncmp(comm, "wl\n", 3);
}

/*
 * Kill every workload process (a tree's children too: we are a child
 * subreaper, so whatever a workload leaves behind is ours to reap) and
 * reap all our children.
 */
static void wl_kill_all(void)
{
	DIR *d;
	struct dirent *e;
	int status;

	d = opendir("/proc");
	if (d) {
		while ((e = readdir(d))) {
			pid_t pid = atoi(e->d_name);

			if (pid > 1 && pid != getpid() && is_wl(pid))
				kill(pid, SIGKILL);
		}
		closedir(d);
	}
	while (waitpid(-1, &status, __WALL) > 0 || errno == EINTR)
		;
}

/* --- the kernel's log, timestamped as it comes ---------------------------- */

#define LOG_LINES	64

struct klog {
	int rfd;
	pthread_t thr;
	int n;			/* lines kept */
	int total;		/* lines seen */
	uint64_t t[LOG_LINES];
	char line[LOG_LINES][256];
};

static void *klog_reader(void *arg)
{
	struct klog *l = arg;
	char buf[4096], cur[256];
	size_t curlen = 0;
	ssize_t n;

	while ((n = read(l->rfd, buf, sizeof(buf))) > 0) {
		uint64_t t = now_ns();
		ssize_t i;

		for (i = 0; i < n; i++) {
			int slot;

			if (buf[i] != '\n') {
				if (curlen < sizeof(cur) - 1)
					cur[curlen++] = buf[i];
				continue;
			}
			cur[curlen] = 0;
			/* Keep the first lines and, once full, the last ones */
			slot = l->n < LOG_LINES ? l->n++ : LOG_LINES - 1;
			if (slot == LOG_LINES - 1 && l->total >= LOG_LINES) {
				memmove(&l->t[LOG_LINES / 2], &l->t[LOG_LINES / 2 + 1],
					sizeof(l->t[0]) * (LOG_LINES / 2 - 1));
				memmove(&l->line[LOG_LINES / 2], &l->line[LOG_LINES / 2 + 1],
					sizeof(l->line[0]) * (LOG_LINES / 2 - 1));
			}
			l->t[slot] = t;
			memcpy(l->line[slot], cur, curlen + 1);
			l->total++;
			curlen = 0;
		}
	}
	return NULL;
}

static int klog_start(struct klog *l)
{
	int p[2];

	memset(l, 0, sizeof(*l));
	if (pipe2(p, O_CLOEXEC))
		return -1;
	l->rfd = p[0];
	if (pthread_create(&l->thr, NULL, klog_reader, l)) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	return p[1];
}

static void klog_stop(struct klog *l, int wfd)
{
	close(wfd);
	pthread_join(l->thr, NULL);
	close(l->rfd);
}

/* Time of the first line starting with @prefix, relative to @t0, in us */
static double klog_at(const struct klog *l, const char *prefix, uint64_t t0)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (!strncmp(l->line[i], prefix, strlen(prefix)))
			return us(l->t[i] - t0);
	return -1;
}

static const char *klog_find(const struct klog *l, const char *needle)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strstr(l->line[i], needle))
			return l->line[i];
	return NULL;
}

/*
 * The kernel's "stats: key=N key=N ..." line, each as "stat_KEY" (what
 * the keys are is the kernel's business: pages_written, pages_cow, ...)
 */
static void jstats(const struct klog *l)
{
	const char *p = klog_find(l, "stats: ");
	char key[48];
	long long v;
	int n;

	if (!p)
		return;
	p = strstr(p, "stats: ") + 7;
	while (sscanf(p, " %40[a-z_]=%lld%n", key, &v, &n) == 2) {
		char name[64];

		snprintf(name, sizeof(name), "stat_%s", key);
		jint(name, v);
		p += n;
	}
}

static void jlog(const struct klog *l)
{
	char all[LOG_LINES * 96];
	size_t n = 0;
	int i;

	all[0] = 0;
	for (i = 0; i < l->n && n < sizeof(all) - 1; i++)
		n += snprintf(all + n, sizeof(all) - n, "%s\n", l->line[i]);
	jstr("log", all);
}

/* --- memory sampler ------------------------------------------------------- */

struct meminfo {
	long memfree, shmem, slab, kstack, pagetables, anon;
};

struct sampler {
	pthread_t thr;
	volatile int stop, started;
	struct meminfo base, peak;	/* peak: largest increase of each */
	long peak_extra;		/* MemFree drop not explained by Shmem growth */
	long samples;
};

static int meminfo_read(struct meminfo *m)
{
	char buf[4096], *p;
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	memset(m, 0, sizeof(*m));
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		long v;
		char key[32];

		if (sscanf(p, "%31[^:]: %ld", key, &v) != 2)
			continue;
		if (!strcmp(key, "MemFree"))
			m->memfree = v;
		else if (!strcmp(key, "Shmem"))
			m->shmem = v;
		else if (!strcmp(key, "Slab"))
			m->slab = v;
		else if (!strcmp(key, "KernelStack"))
			m->kstack = v;
		else if (!strcmp(key, "PageTables"))
			m->pagetables = v;
		else if (!strcmp(key, "AnonPages"))
			m->anon = v;
	}
	return 0;
}

static void sampler_take(struct sampler *s)
{
	struct meminfo m;
	long extra;

	if (meminfo_read(&m))
		return;
	s->samples++;
	extra = (s->base.memfree - m.memfree) - (m.shmem - s->base.shmem);
	if (extra > s->peak_extra)
		s->peak_extra = extra;
#define PEAK(f) do { if (m.f - s->base.f > s->peak.f) s->peak.f = m.f - s->base.f; } while (0)
	PEAK(slab);
	PEAK(kstack);
	PEAK(pagetables);
	PEAK(anon);
	PEAK(shmem);
#undef PEAK
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;

	/* Our own thread's stack and kernel stack exist by now */
	meminfo_read(&s->base);
	__atomic_store_n(&s->started, 1, __ATOMIC_RELEASE);
	while (!s->stop) {
		sampler_take(s);
		msleep_us(sample_us);
	}
	sampler_take(s);
	return NULL;
}

static void sampler_start(struct sampler *s)
{
	memset(s, 0, sizeof(*s));
	pthread_create(&s->thr, NULL, sampler_main, s);
	while (!__atomic_load_n(&s->started, __ATOMIC_ACQUIRE))
		msleep_us(100);
}

static void sampler_stop(struct sampler *s)
{
	s->stop = 1;
	pthread_join(s->thr, NULL);
}

static void jsampler(const struct sampler *s)
{
	jint("mem_samples", s->samples);
	jint("mem_extra_kib", s->peak_extra);
	jint("mem_slab_kib", s->peak.slab);
	jint("mem_kstack_kib", s->peak.kstack);
	jint("mem_pagetables_kib", s->peak.pagetables);
	jint("mem_anon_kib", s->peak.anon);
	jint("mem_shmem_kib", s->peak.shmem);
}

/* --- a watchdog for operations that hang ---------------------------------- */

static volatile pid_t watch_pid;

static void on_alarm(int sig)
{
	static const char msg[] = "benchd: operation timed out, killing the workload\n";
	static int fired;

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		fired++;
	if (fired++ || !watch_pid)
		_exit(3);
	kill(watch_pid, SIGKILL);
	alarm(60);
}

static void watch(pid_t pid)
{
	watch_pid = pid;
	alarm(pid ? OP_TIMEOUT : 0);
}

/* --- our syscalls ------------------------------------------------------- */

struct row {
	const char *name;
	int run;
	bool sample;
	bool lazy;	/* --lazy: CHECKPOINT_LAZY, RESTART_LAZY */
};

static void jhead(const struct row *r, const char *side, const char *op)
{
	jbegin();
	jstr("row", r->name);
	jint("run", r->run);
	jstr("side", side);
	jstr("op", op);
}

/* The memory of the workload's tree, @when "before" checkpoint or "after" restart */
static void jtreemem(const struct row *r, const char *side, const char *when, pid_t root)
{
	struct treemem m;

	tree_mem(root, &m);
	jhead(r, side, "tree-mem");
	jstr("when", when);
	jint("procs", m.procs);
	jint("pss_kib", m.pss);
	jint("pss_anon_kib", m.pss_anon);
	jint("rss_kib", m.rss);
	jint("memtotal_kib", m.total);
	jint("memfree_kib", m.free);
	jint("memavail_kib", m.avail);
	jint("used_kib", m.total - m.avail);
	jint("anon_kib", m.anon);
	jint("anonhuge_kib", m.anonhuge);
	jint("shmem_kib", m.shmem);
	jint("pagetables_kib", m.pagetables);
	jint("cached_kib", m.cached);
	jint("slab_kib", m.slab);
	jint("sunreclaim_kib", m.sunreclaim);
	jint("kstack_kib", m.kstack);
	jint("vmalloc_kib", m.vmalloc);
	jint("percpu_kib", m.percpu);
	jend();
	progress("  %s run %d %s: %s: %d processes, summed Pss %ld KiB, used %ld KiB "
		 "(AnonPages %ld KiB, PageTables %ld KiB)\n", r->name, r->run, side, when,
		 m.procs, m.pss, m.total - m.avail, m.anon, m.pagetables);
}

static long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? -1 : (long)sb.st_size;
}

/*
 * checkpoint(2) @pid to @sink; returns 0 or an errno.  The log gives the
 * breakdown: "froze" (freezing done), "mm: N pages saved" (address space
 * written), "task N (...) saved" (files, signals, registers written),
 * "... complete" (trailer written).
 */
static int ours_checkpoint(const struct row *r, pid_t pid, const char *sink,
			   bool kill_it, bool sample, double *wall)
{
	struct wl_status st;
	struct sampler s;
	struct klog l;
	uint64_t t0, t1, beat;
	const char *line;
	int fd, logfd, err;
	long ret;

	fd = open(sink, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	logfd = klog_start(&l);
	if (logfd < 0) {
		close(fd);
		return errno;
	}
	if (!kill_it)
		zero_maxgap(pid);
	if (sample)
		sampler_start(&s);
	watch(pid);
	t0 = now_ns();
	ret = syscall(__NR_checkpoint, pid, fd,
		      (kill_it ? CHECKPOINT_KILL : 0) | (r->lazy ? CHECKPOINT_LAZY : 0), logfd);
	t1 = now_ns();
	err = ret < 0 ? errno : 0;
	watch(0);
	if (sample)
		sampler_stop(&s);
	klog_stop(&l, logfd);
	close(fd);

	jhead(r, "ours", sample ? "ckpt-mem" : "ckpt");
	jstr("sink", strcmp(sink, "/dev/null") ? "tmpfs" : "null");
	jint("kill", kill_it);
	if (r->lazy)
		jint("lazy", 1);
	jint("t0_ns", t0);
	jint("t1_ns", t1);
	jint("ok", !err);
	jint("errno", err);
	jstr("error", err ? strerror(err) : "");
	jnum("wall_us", us(t1 - t0));
	if (!err) {
		unsigned long long bytes = 0, pages = 0, frozen = 0;
		unsigned int ntasks = 0, records = 0;

		line = klog_find(&l, "complete:");
		if (line)
			sscanf(line, "checkpoint of %u task(s) complete: %llu bytes, %u records, %llu us frozen",
			       &ntasks, &bytes, &records, &frozen);
		line = klog_find(&l, "pages saved");
		if (line)
			sscanf(line, "mm: %llu pages saved", &pages);
		jint("bytes", bytes);
		jint("records", records);
		jint("pages", pages);
		jint("frozen_us", frozen);
		jnum("t_froze_us", klog_at(&l, "froze", t0));
		jnum("t_mm_us", klog_at(&l, "mm: ", t0));
		jnum("t_task_us", klog_at(&l, "task ", t0));
		jnum("t_complete_us", klog_at(&l, "checkpoint of", t0));
		jstats(&l);
		if (strcmp(sink, "/dev/null"))
			jint("size", file_size(sink));
		if (!kill_it) {
			/* The stall as the workload saw it: its longest beat gap */
			beat = wl_wait_beat(pid, t1, 10ull * 1000000000ull);
			if (beat && read_status(pid, &st) == 0)
				jnum("wl_stall_us", us(st.maxgap_ns));
			if (beat)
				jnum("t_resume_us", us(beat - t0));
		}
	}
	if (err || r->run == 0)
		jlog(&l);
	if (sample)
		jsampler(&s);
	jend();
	*wall = us(t1 - t0);
	return err;
}

/* --lazy: what follows a lazy restart, times from the call to restart(2) */
struct lazy_follow {
	int verify;		/* the check asked at the first beat: 1 good, 0 bad, -1 none */
	double verified_us;	/* until it answered */
	double verify_us;	/* from asking to the answer */
	double fetched_us;	/* until the image could be opened for writing again */
	int verify_again;	/* the check once all was in */
	double verify_again_us;	/* from asking to the answer: the check alone */
};

static struct lazy_follow last_lazy;

/*
 * A lazy restart (called at @t0) returned and the workload beat.  Ask it
 * at once to check its state: the check reads every page it wrote, so
 * each page not yet fetched by the kernel's worker is faulted in from the
 * image.  Meanwhile, see when @img can be opened for writing again: the
 * kernel denies writes to it (ETXTBSY) until every page is in.  Then the
 * check once more, with everything in: what it costs alone.
 */
static void lazy_follow(pid_t pid, const char *img, uint64_t t0, struct lazy_follow *f)
{
	uint64_t ts, tv = 0, tf = 0, t;
	bool poll_img = true;
	struct wl_status st;
	uint64_t done;
	int fd;

	f->verify = f->verify_again = -1;
	f->verified_us = f->verify_us = f->fetched_us = f->verify_again_us = -1;
	if (read_status(pid, &st))
		return;
	done = st.verify_done;
	ts = now_ns();
	if (kill(pid, SIGUSR1))
		return;
	while ((!tv || (poll_img && !tf)) && now_ns() - ts < 600ull * 1000000000ull) {
		if (!tv) {
			/* Gone (SIGBUS: a run that did not match its CRC)? */
			if (read_status(pid, &st))
				break;
			if (st.verify_done != done) {
				tv = now_ns();
				f->verify = st.verify_ok ? 1 : 0;
			}
		}
		if (poll_img && !tf) {
			fd = open(img, O_WRONLY | O_CLOEXEC);
			t = now_ns();
			if (fd >= 0) {
				close(fd);
				tf = t;
			} else if (errno != ETXTBSY) {
				poll_img = false;
			}
		}
		msleep_us(2000);
	}
	if (tv) {
		f->verified_us = us(tv - t0);
		f->verify_us = us(tv - ts);
	}
	if (tf)
		f->fetched_us = us(tf - t0);
	if (!tv)
		return;
	ts = now_ns();
	f->verify_again = wl_verify(pid);
	if (f->verify_again >= 0)
		f->verify_again_us = us(now_ns() - ts);
}

static pid_t ours_restart(const struct row *r, const char *img, double *wall, double *run)
{
	uint64_t t0, t1, beat = 0;
	struct klog l;
	int fd, logfd, err;
	long ret;

	*wall = *run = -1;
	fd = open(img, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	logfd = klog_start(&l);
	watch(getpid());	/* a hung restart: nothing to kill but us */
	t0 = now_ns();
	ret = syscall(__NR_restart, 0, fd, r->lazy ? RESTART_LAZY : 0, logfd);
	t1 = now_ns();
	err = ret < 0 ? errno : 0;
	watch(0);
	klog_stop(&l, logfd);
	close(fd);
	if (!err)
		beat = wl_wait_beat(ret, t0, 60ull * 1000000000ull);
	last_all_us = -1;
	if (!err && beat && cur_procs > 1) {
		uint64_t all = tree_wait(ret, cur_procs, t0, 120ull * 1000000000ull);

		last_all_us = all ? us(all - t0) : -1;
	}
	if (!err && beat && r->lazy)
		lazy_follow(ret, img, t0, &last_lazy);

	jhead(r, "ours", "restart");
	jint("t0_ns", t0);
	jint("t1_ns", t1);
	jint("ok", !err);
	jint("errno", err);
	jstr("error", err ? strerror(err) : "");
	jnum("wall_us", us(t1 - t0));
	if (!err) {
		unsigned long long pages = 0;
		unsigned int maps = 0;
		const char *line = klog_find(&l, "pages restored");

		if (line)
			sscanf(line, "mm: %u mappings, %llu pages restored", &maps, &pages);
		jint("pages", pages);
		jint("mappings", maps);
		jnum("t_image_us", klog_at(&l, "image of", t0));
		jnum("t_mm_us", klog_at(&l, "mm: ", t0));
		jnum("t_task_us", klog_at(&l, "task ", t0));
		jnum("t_complete_us", klog_at(&l, "restart of", t0));
		jstats(&l);
		jnum("run_us", beat ? us(beat - t0) : -1);
		if (cur_procs > 1) {
			jint("procs", cur_procs);
			jnum("all_run_us", last_all_us);
		}
		if (r->lazy) {
			unsigned long long restored = 0, shared = 0, copied = 0, lazy = 0;

			if (line)
				sscanf(line, "mm: %*u mappings, %llu pages restored, %llu shared, "
				       "%llu copied from another, %llu lazy",
				       &restored, &shared, &copied, &lazy);
			jint("lazy", 1);
			jint("pages_lazy", lazy);
			jnum("verified_us", beat ? last_lazy.verified_us : -1);
			jnum("verify_us", beat ? last_lazy.verify_us : -1);
			jint("verify_ok", beat ? last_lazy.verify : -1);
			jnum("fetched_us", beat ? last_lazy.fetched_us : -1);
			jnum("verify_again_us", beat ? last_lazy.verify_again_us : -1);
			jint("verify_again_ok", beat ? last_lazy.verify_again : -1);
		}
		*wall = us(t1 - t0);
		*run = beat ? us(beat - t0) : -1;
	}
	if (err || r->run == 0)
		jlog(&l);
	jend();
	return err ? -1 : ret;
}

/* --- CRIU ------------------------------------------------------------------- */

static uint64_t criu_t0, criu_t1;	/* of the last criu run */

static int run_criu(char *const argv[], const char *logpath, double *wall)
{
	uint64_t t0, t1;
	int status;
	pid_t pid;

	t0 = now_ns();
	pid = spawn(argv, logpath);
	if (pid < 0)
		return -1;
	watch(pid);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	t1 = now_ns();
	watch(0);
	*wall = us(t1 - t0);
	criu_t0 = t0;
	criu_t1 = t1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void jtail(const char *key, const char *path)
{
	char buf[2048];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;
	ssize_t n;

	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	lseek(fd, end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	jstr(key, buf);
}

/* Apparent size of the regular files in @dir, as du -sb counts them */
static long dir_size(const char *dir, int *nfiles)
{
	char path[4096];
	struct dirent *e;
	long total = 0;
	struct stat sb;
	DIR *d;

	*nfiles = 0;
	d = opendir(dir);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			total += sb.st_size;
			(*nfiles)++;
		}
	}
	closedir(d);
	return total;
}

static void rm_rf(const char *dir)
{
	char path[4096];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/*
 * CRIU's stats-dump/stats-restore: two magic words, a length, then a
 * StatsEntry protobuf { dump = 1 | restore = 2 } whose fields are all
 * varints: dump: freezing_time 1, frozen_time 2, memdump_time 3,
 * memwrite_time 4 (us), pages_scanned 5, pages_skipped_parent 6,
 * pages_written 7 ...; restore: pages_compared 1, pages_skipped_cow 2,
 * forking_time 3, restore_time 4 (us), pages_restored 5.
 */
static int criu_stats(const char *path, uint64_t f[16])
{
	unsigned char buf[512];
	size_t n, i, end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint32_t len;

	memset(f, 0, 16 * sizeof(f[0]));
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 14)
		return -1;
	memcpy(&len, buf + 8, 4);
	if (12 + len > n || (buf[12] != 0x0a && buf[12] != 0x12))
		return -1;
	/* the one nested message */
	i = 13;
	end = 0;
	{
		uint64_t v = 0;
		int sh = 0;

		while (i < n && (buf[i] & 0x80))
			v |= (uint64_t)(buf[i++] & 0x7f) << sh, sh += 7;
		v |= (uint64_t)buf[i++] << sh;
		end = i + v;
	}
	if (end > n)
		return -1;
	while (i < end) {
		unsigned int key = buf[i++], field = key >> 3;
		uint64_t v = 0;
		int sh = 0;

		if ((key & 7) != 0)
			return -1;
		while (i < end && (buf[i] & 0x80))
			v |= (uint64_t)(buf[i++] & 0x7f) << sh, sh += 7;
		v |= (uint64_t)buf[i++] << sh;
		if (field < 16)
			f[field] = v;
	}
	return 0;
}

/*
 * benchd criu-stats FILE: CRIU's stats-dump or stats-restore as key=value
 * on one line (times in us), for the shell scripts of bench/
 */
static int cmd_criu_stats(const char *path)
{
	static const char *const dump[] = { NULL, "freezing_us", "frozen_us", "memdump_us",
		"memwrite_us", "pages_scanned", "pages_skipped_parent", "pages_written" };
	static const char *const restore[] = { NULL, "pages_compared", "pages_skipped_cow",
		"forking_us", "restore_us", "pages_restored" };
	const char *const *name = strstr(path, "restore") ? restore : dump;
	size_t n = strstr(path, "restore") ? 6 : 8, i;
	uint64_t f[16];

	if (criu_stats(path, f)) {
		fprintf(stderr, "benchd: %s: not a CRIU stats file\n", path);
		return 1;
	}
	for (i = 1; i < n; i++)
		printf("%s%s=%" PRIu64, i > 1 ? " " : "", name[i], f[i]);
	printf("\n");
	return 0;
}

/*
 * The type of the file system @dir is on ("tmpfs", "9p"), from the mount
 * table: statfs() on 9p gives the type of the host's file system.
 */
static const char *fs_of(const char *dir)
{
	static char type[32];
	char line[4096], mnt[4096], t[32];
	size_t best = 0, n;
	FILE *f = fopen("/proc/self/mounts", "re");

	snprintf(type, sizeof(type), "?");
	if (!f)
		return type;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %4095s %31s", mnt, t) != 2)
			continue;
		n = strlen(mnt);
		if (strncmp(dir, mnt, n) || (n > 1 && dir[n] && dir[n] != '/'))
			continue;
		if (n >= best) {
			best = n;
			snprintf(type, sizeof(type), "%s", t);
		}
	}
	fclose(f);
	return type;
}

static int criu_dump(const struct row *r, pid_t pid, bool to_null, bool sample, double *wall,
		     const char *dir)
{
	char pidstr[16], logpath[4096], statpath[4096], link[4096];
	char *argv[] = { (char *)criu_path, "dump", "-t", pidstr, "-D", (char *)dir,
			 "--shell-job", "--timeout", "600", criu_tcp[0], criu_tcp[1],
			 criu_tcp[2], NULL };
	struct sampler s;
	uint64_t f[16];
	long size;
	int rc, nfiles;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	snprintf(logpath, sizeof(logpath), "%s/criu-dump.log", tmpdir);
	rm_rf(dir);
	mkdir(dir, 0755);
	if (to_null) {
		/* CRIU cannot write to a device; its page data can go there */
		snprintf(link, sizeof(link), "%s/pages-1.img", dir);
		symlink("/dev/null", link);
	}
	if (sample)
		sampler_start(&s);
	rc = run_criu(argv, logpath, wall);
	if (sample)
		sampler_stop(&s);
	/*
	 * It killed the workload if it succeeded; if not, we do.  Either
	 * way every process of it must be reaped (a tree's children were
	 * reparented to us): restore needs their pids free.
	 */
	wl_kill_all();

	jhead(r, "criu", sample ? "dump-mem" : "dump");
	jstr("sink", to_null ? "null" : fs_of(dir));
	jint("t0_ns", criu_t0);
	jint("t1_ns", criu_t1);
	jint("ok", rc == 0);
	jint("status", rc);
	jnum("wall_us", *wall);
	if (rc == 0) {
		size = dir_size(dir, &nfiles);
		jint("size", size);
		jint("files", nfiles);
		snprintf(statpath, sizeof(statpath), "%s/stats-dump", dir);
		if (criu_stats(statpath, f) == 0) {
			jint("freezing_us", f[1]);
			jint("frozen_us", f[2]);
			jint("memdump_us", f[3]);
			jint("memwrite_us", f[4]);
			jint("pages_scanned", f[5]);
			jint("pages", f[7]);
		}
	} else {
		jtail("log", logpath);
	}
	if (sample)
		jsampler(&s);
	jend();
	return rc;
}

static int criu_restore(const struct row *r, pid_t pid, const char *dir, double *wall, double *run)
{
	char logpath[4096], statpath[4096];
	char *argv[] = { (char *)criu_path, "restore", "-D", (char *)dir, "--shell-job",
			 "-d", criu_tcp[0], criu_tcp[1], criu_tcp[2], NULL };
	uint64_t f[16], t0, beat = 0;
	int rc;

	snprintf(logpath, sizeof(logpath), "%s/criu-restore.log", tmpdir);
	t0 = now_ns();
	rc = run_criu(argv, logpath, wall);
	if (rc == 0)
		beat = wl_wait_beat(pid, t0, 60ull * 1000000000ull);
	*run = beat ? us(beat - t0) : -1;
	last_all_us = -1;
	if (beat && cur_procs > 1) {
		uint64_t all = tree_wait(pid, cur_procs, t0, 120ull * 1000000000ull);

		last_all_us = all ? us(all - t0) : -1;
	}

	jhead(r, "criu", "restore");
	jint("t0_ns", criu_t0);
	jint("t1_ns", criu_t1);
	jint("ok", rc == 0);
	jint("status", rc);
	jnum("wall_us", *wall);
	if (rc == 0) {
		jnum("run_us", *run);
		if (cur_procs > 1) {
			jint("procs", cur_procs);
			jnum("all_run_us", last_all_us);
		}
		snprintf(statpath, sizeof(statpath), "%s/stats-restore", dir);
		if (criu_stats(statpath, f) == 0) {
			jint("pages_compared", f[1]);
			jint("pages_skipped_cow", f[2]);
			jint("forking_us", f[3]);
			jint("restore_us", f[4]);
			jint("pages", f[5]);
		}
	} else {
		jtail("log", logpath);
	}
	jend();
	return rc;
}

/* --- a row ------------------------------------------------------------------ */

enum { OURS_UNKNOWN, OURS_OK, OURS_UNSUPPORTED };

static void jverify(const struct row *r, const char *side, int v)
{
	jhead(r, side, "verify");
	jint("ok", v == 1);
	jint("result", v);
	jend();
}

/* The restored workload checks its state: every process of a prefork tree */
static int verify(const struct row *r, const char *side, pid_t root)
{
	int v, good;

	if (cur_procs <= 1) {
		v = wl_verify(root);
		jverify(r, side, v);
		return v;
	}
	v = tree_verify(root, &good);
	jhead(r, side, "verify");
	jint("ok", v == 1);
	jint("result", v);
	jint("procs", cur_procs);
	jint("procs_ok", good);
	jend();
	return v;
}

/* Time for what was freed to be freed before memory is measured */
#define SETTLE_US	1000000

static void fmt_s(char *buf, size_t len, double usec)
{
	if (usec < 0)
		snprintf(buf, len, "-");
	else if (usec < 1000)
		snprintf(buf, len, "%.0f us", usec);
	else if (usec < 1000000)
		snprintf(buf, len, "%.1f ms", usec / 1000);
	else
		snprintf(buf, len, "%.2f s", usec / 1000000);
}

static int ours_round(struct row *r, char **wl_argv, bool no_tmpfs, bool tmem, int *ours_state)
{
	char img[4096], a[32], b[32], c[32], d[32], e[32];
	double null_us = -1, tmpfs_us = -1, rst_us = -1, run_us = -1;
	struct wl_status st;
	pid_t pid, rpid;
	int err, v = -1;

	snprintf(img, sizeof(img), "%s/ours.img", tmpdir);
	pid = wl_start(wl_argv, &st);
	if (pid < 0)
		return -1;
	if (tmem) {
		msleep_us(SETTLE_US);
		jtreemem(r, "ours", "before", pid);
	}
	err = ours_checkpoint(r, pid, "/dev/null", false, false, &null_us);
	if (err) {
		/* Not supported (or broken): once is enough to say why */
		*ours_state = OURS_UNSUPPORTED;
		progress("  %s run %d ours: checkpoint failed: %s (errno %d)\n",
			 r->name, r->run, strerror(err), err);
		wl_kill_all();
		return -1;
	}
	*ours_state = OURS_OK;
	if (!no_tmpfs) {
		err = ours_checkpoint(r, pid, img, true, false, &tmpfs_us);
		if (!err) {
			wl_kill_all();
			rpid = ours_restart(r, img, &rst_us, &run_us);
			if (rpid > 0 && tmem) {
				/* The image is in tmpfs: in used memory */
				unlink(img);
				msleep_us(SETTLE_US);
				jtreemem(r, "ours", "after", rpid);
			}
			if (rpid > 0)
				v = verify(r, "ours", rpid);
		}
		unlink(img);
	}
	wl_kill_all();
	fmt_s(a, sizeof(a), null_us);
	fmt_s(b, sizeof(b), tmpfs_us);
	fmt_s(c, sizeof(c), rst_us);
	fmt_s(d, sizeof(d), run_us);
	fmt_s(e, sizeof(e), last_all_us);
	progress("  %s run %d ours: ckpt->null %s, ckpt->tmpfs %s, restart %s (running at %s%s%s)%s\n",
		 r->name, r->run, a, b, c, d, cur_procs > 1 ? ", all at " : "",
		 cur_procs > 1 ? e : "",
		 no_tmpfs ? "" : v == 1 ? ", state ok" : ", STATE CHECK FAILED");
	return 0;
}

static int criu_round(struct row *r, char **wl_argv, bool no_tmpfs, bool tmem)
{
	char a[32], b[32], c[32], e[32], sink[16];
	double dump_us = -1, rst_us = -1, run_us = -1;
	struct wl_status st;
	pid_t pid;
	int rc, v = -1;

	pid = wl_start(wl_argv, &st);
	if (pid < 0)
		return -1;
	if (tmem) {
		msleep_us(SETTLE_US);
		jtreemem(r, "criu", "before", pid);
	}
	last_all_us = -1;
	rc = criu_dump(r, pid, no_tmpfs, false, &dump_us, criu_dir);
	snprintf(sink, sizeof(sink), "%s", no_tmpfs ? "null" : fs_of(criu_dir));
	if (rc == 0 && !no_tmpfs) {
		if (criu_restore(r, pid, criu_dir, &rst_us, &run_us) == 0) {
			if (tmem) {
				/* In tmpfs the image is in used memory */
				rm_rf(criu_dir);
				msleep_us(SETTLE_US);
				jtreemem(r, "criu", "after", pid);
			}
			v = verify(r, "criu", pid);
		}
	}
	rm_rf(criu_dir);
	wl_kill_all();
	fmt_s(a, sizeof(a), dump_us);
	fmt_s(b, sizeof(b), rst_us);
	fmt_s(c, sizeof(c), run_us);
	fmt_s(e, sizeof(e), last_all_us);
	progress("  %s run %d criu: dump->%s %s, restore %s (running at %s%s%s)%s\n",
		 r->name, r->run, sink, a, b, c, cur_procs > 1 ? ", all at " : "",
		 cur_procs > 1 ? e : "",
		 no_tmpfs ? "" : v == 1 ? ", state ok" : ", STATE CHECK FAILED");
	return 0;
}

/*
 * --lazy: checkpoint with CHECKPOINT_LAZY|CHECKPOINT_KILL to a tmpfs file
 * of this round's own (the last round's may still be held by the kernel,
 * which denies writes to it), restart with RESTART_LAZY, follow the pages
 * coming in (lazy_follow()).  Returns 0, or an errno from checkpoint(2).
 */
static int lazy_round(struct row *r, char **wl_argv)
{
	char img[4096], a[32], b[32], c[32], d[32], e[32], f[32];
	double ckpt_us = -1, rst_us = -1, run_us = -1;
	struct wl_status st;
	pid_t pid, rpid = -1;
	int err, v = -1;

	snprintf(img, sizeof(img), "%s/lazy-%d.img", tmpdir, r->run);
	unlink(img);
	pid = wl_start(wl_argv, &st);
	if (pid < 0)
		return 0;
	err = ours_checkpoint(r, pid, img, true, false, &ckpt_us);
	wl_kill_all();
	if (err) {
		progress("  %s run %d ours: lazy checkpoint failed: %s (errno %d)\n",
			 r->name, r->run, strerror(err), err);
		unlink(img);
		return err;
	}
	memset(&last_lazy, 0, sizeof(last_lazy));
	last_lazy.verify = last_lazy.verify_again = -1;
	rpid = ours_restart(r, img, &rst_us, &run_us);
	if (rpid > 0) {
		/* Good if both checks said so, bad if one said so */
		if (last_lazy.verify == 0 || last_lazy.verify_again == 0)
			v = 0;
		else if (last_lazy.verify == 1 && last_lazy.verify_again == 1)
			v = 1;
		jverify(r, "ours", v);
	}
	wl_kill_all();
	unlink(img);
	fmt_s(a, sizeof(a), ckpt_us);
	fmt_s(b, sizeof(b), rst_us);
	fmt_s(c, sizeof(c), run_us);
	fmt_s(d, sizeof(d), rpid > 0 ? last_lazy.verified_us : -1);
	fmt_s(e, sizeof(e), rpid > 0 ? last_lazy.fetched_us : -1);
	fmt_s(f, sizeof(f), rpid > 0 ? last_lazy.verify_again_us : -1);
	progress("  %s run %d ours: lazy ckpt->tmpfs %s, restart(2) %s, running at %s, "
		 "all checked at %s, all fetched at %s (check alone %s)%s\n",
		 r->name, r->run, a, b, c, d, e, f,
		 rpid <= 0 ? ", RESTART FAILED" : v == 1 ? ", state ok" : ", STATE CHECK FAILED");
	return 0;
}

/* The memory round: each checkpoint once more, with the sampler on */
static void mem_round(struct row *r, char **wl_argv, bool no_tmpfs, bool ours, bool criu)
{
	char img[4096];
	struct wl_status st;
	double wall;
	pid_t pid;

	snprintf(img, sizeof(img), "%s/ours.img", tmpdir);
	pid = wl_start(wl_argv, &st);
	if (pid < 0)
		return;
	msleep_us(200000);	/* let the start-up settle */
	if (ours) {
		ours_checkpoint(r, pid, "/dev/null", false, true, &wall);
		if (!no_tmpfs) {
			ours_checkpoint(r, pid, img, false, true, &wall);
			unlink(img);
		}
	}
	if (criu) {
		criu_dump(r, pid, no_tmpfs, true, &wall, criu_dir);
		rm_rf(criu_dir);
	}
	wl_kill_all();
	progress("  %s: memory round done\n", r->name);
}

static int cmd_row(int argc, char **argv)
{
	bool no_tmpfs = false, criu = true, sample = true, tmem = false;
	static char criu_default[4096];
	int ours_state = OURS_UNKNOWN, runs, criu_runs = -1, i;
	struct row r = { 0 };
	char **wl_argv;

	if (argc < 4)
		return 2;
	r.name = argv[2];
	cur_row = r.name;
	runs = atoi(argv[3]);
	for (i = 4; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--no-tmpfs"))
			no_tmpfs = true;
		else if (!strcmp(argv[i], "--no-criu"))
			criu = false;
		else if (!strcmp(argv[i], "--no-sample"))
			sample = false;
		else if (!strcmp(argv[i], "--tree-mem"))
			tmem = true;
		else if (!strcmp(argv[i], "--criu-dir") && i + 1 < argc)
			criu_dir = argv[++i];
		else if (!strcmp(argv[i], "--criu-runs") && i + 1 < argc)
			criu_runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--lazy"))
			r.lazy = true;
		else if (!strcmp(argv[i], "--tcp"))
			memcpy(criu_tcp, (char *[]){ "--tcp-established", "--network-lock",
						     "nftables" }, 3 * sizeof(char *));
		else
			return 2;
	}
	if (i >= argc - 1)
		return 2;
	/* argv[i] is "--": put wl's path in its place */
	wl_argv = &argv[i];
	wl_argv[0] = (char *)wl_path;
	if (!criu_dir) {
		snprintf(criu_default, sizeof(criu_default), "%s/criu", tmpdir);
		criu_dir = criu_default;
	}

	if (r.lazy) {
		/* Ours only: CRIU's lazy pages need its page server and a uffd daemon */
		for (r.run = 0; r.run < runs; r.run++)
			if (lazy_round(&r, wl_argv))
				break;
		return 0;
	}
	for (r.run = 0; r.run < runs; r.run++) {
		bool ours_first = r.run % 2 == 0;

		if (ours_first && ours_state != OURS_UNSUPPORTED)
			ours_round(&r, wl_argv, no_tmpfs, tmem, &ours_state);
		if (criu && (criu_runs < 0 || r.run < criu_runs))
			criu_round(&r, wl_argv, no_tmpfs, tmem);
		if (!ours_first && ours_state != OURS_UNSUPPORTED)
			ours_round(&r, wl_argv, no_tmpfs, tmem, &ours_state);
	}
	if (sample) {
		r.run = runs;
		r.sample = true;
		mem_round(&r, wl_argv, no_tmpfs, ours_state == OURS_OK, criu);
	}
	return 0;
}

/* --- the hardware limit ----------------------------------------------------- */

static uint32_t crc_tab[8][256];

static void crc_init(void)
{
	uint32_t c;
	int i, j;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
		crc_tab[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			crc_tab[j][i] = (crc_tab[j - 1][i] >> 8) ^ crc_tab[0][crc_tab[j - 1][i] & 0xff];
}

/* Slice-by-8, as lib/crc32 does it without hardware help */
static uint32_t crc32c_sw(uint32_t crc, const unsigned char *p, size_t len)
{
	while (len >= 8) {
		uint32_t lo, hi;

		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
		lo ^= crc;
		crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		      crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
		      crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
		      crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = crc;

	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	crc = c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}

static void fill_random(uint64_t *w, size_t n)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		w[i] = x * 0x2545f4914f6cdd1dull;
	}
}

static void jhw(const char *what, long mib, int run, uint64_t ns)
{
	jbegin();
	jstr("row", "hw");
	jstr("op", what);
	jint("mib", mib);
	jint("run", run);
	jnum("wall_us", us(ns));
	jnum("mib_per_s", mib / (ns / 1e9));
	jend();
}

static int cmd_hw(int argc, char **argv)
{
	long mib = argc > 2 ? atol(argv[2]) : 64;
	int runs = argc > 3 ? atoi(argv[3]) : 1, run;
	size_t len = (size_t)mib << 20, off, chunk = 1 << 20;
	char path[4096];
	unsigned char *src, *dst, *fresh;
	volatile uint32_t sink;
	uint64_t t0;
	int fd, ret = 1;

	/*
	 * At most three copies exist at once (src + dst, then src + the
	 * file + fresh memory): 3 GiB for 1 GiB in a 4 GiB guest.
	 */
	snprintf(path, sizeof(path), "%s/hw.img", tmpdir);
	src = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED)
		return 1;
	fill_random((uint64_t *)src, len / 8);
	crc_init();
	for (run = 0; run < runs; run++) {
		dst = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (dst == MAP_FAILED)
			goto out;
		memset(dst, 1, len);
		t0 = now_ns();
		memcpy(dst, src, len);
		jhw("memcpy", mib, run, now_ns() - t0);
		munmap(dst, len);

		t0 = now_ns();
		sink = crc32c_sw(~0u, src, len);
		jhw("crc32c-sw", mib, run, now_ns() - t0);
		t0 = now_ns();
		sink = crc32c_hw(~0u, src, len);
		jhw("crc32c-hw", mib, run, now_ns() - t0);
		(void)sink;

		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			goto out;
		t0 = now_ns();
		for (off = 0; off < len; off += chunk)
			if (write(fd, src + off, chunk) != (ssize_t)chunk)
				goto out;
		jhw("tmpfs-write", mib, run, now_ns() - t0);
		close(fd);

		fresh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fresh == MAP_FAILED)
			goto out;
		t0 = now_ns();
		for (off = 0; off < len; off += chunk)
			if (read(fd, fresh + off, chunk) != (ssize_t)chunk)
				goto out;
		jhw("tmpfs-read-fresh", mib, run, now_ns() - t0);
		close(fd);
		munmap(fresh, len);
		unlink(path);
		progress("  hw %ld MiB run %d done\n", mib, run);
	}
	ret = 0;
out:
	if (ret)
		progress("  hw %ld MiB: %s\n", mib, strerror(errno));
	unlink(path);
	return ret;
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	struct sigaction sa = { .sa_handler = on_alarm };
	const char *e;

	if (argc > 1 && !strcmp(argv[1], "now")) {
		printf("%" PRIu64 "\n", now_ns() / 1000);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	out = stdout;
	e = getenv("BENCH_OUT");
	if (e && *e) {
		out = fopen(e, "ae");
		if (!out) {
			perror(e);
			return 1;
		}
	}
	if ((e = getenv("BENCH_TMP")) && *e)
		tmpdir = e;
	if ((e = getenv("BENCH_WL")) && *e)
		wl_path = e;
	if ((e = getenv("BENCH_CRIU")) && *e)
		criu_path = e;
	if ((e = getenv("BENCH_SAMPLE_US")) && *e)
		sample_us = atol(e);
	mkdir(tmpdir, 0755);
	sigaction(SIGALRM, &sa, NULL);
	/* Restored tasks get our limits: room for the fd workloads */
	setrlimit(RLIMIT_NOFILE, &rl);
	/* What a tree or CRIU leaves behind is reparented to us */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	if (argc > 1 && !strcmp(argv[1], "row"))
		return cmd_row(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "criu-stats"))
		return cmd_criu_stats(argv[2]);
	if (argc > 1 && !strcmp(argv[1], "hw"))
		return cmd_hw(argc, argv);
	fprintf(stderr, "usage: benchd row NAME RUNS [--no-tmpfs] [--no-criu] [--no-sample] [--tcp]\n"
			"                  [--tree-mem] [--criu-dir DIR] [--criu-runs N] [--lazy]\n"
			"                  -- WL-ARGS\n"
			"       benchd hw MIB RUNS\n"
			"       benchd criu-stats DIR/stats-dump|DIR/stats-restore\n"
			"       benchd now\n");
	return 2;
}
