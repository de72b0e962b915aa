// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt_fuzz - a coverage-guided fuzzer of restart(2)
 *
 * ckpt_fuzz [-t SECONDS] [-n EXECS] [-s SEED_DIR] [-c CORPUS_DIR]
 *           [-o FINDINGS_DIR] [-r RESULTS_FILE] [-j] [-p PCS_FILE]
 *           [-T EXEC_TIMEOUT] [-L LEAK_SCAN_SECONDS] [-S RNG_SEED]
 *
 * Seeds are images: the files of SEED_DIR and CORPUS_DIR, and a few that
 * the fuzzer takes itself of children of its own (idle, with a pipe, a pty
 * pair, a thread, a UNIX socketpair, timers, memory saved with
 * CHECKPOINT_LAZY), so that it needs nothing else.  Each input is a
 * corpus entry mutated with the image's structure in mind: bytes, record
 * lengths and types, ids and counts, records dropped, duplicated, moved
 * or spliced in from another input, truncation.
 * Most of the time the TRAILER is fixed up afterwards (CRC-32C, record
 * count, size) so that the input can restart completely; sometimes it is
 * left broken.
 *
 * Each input runs in a child that calls restart(2) on a memfd holding it
 * (with RESTART_LAZY, on a read-only one nobody writes, if its HEADER
 * says CHECKPOINT_LAZY), under alarm(), with KCOV collecting the kernel PCs it goes through; an
 * input that reaches a PC that no earlier one reached joins the corpus.
 * Everything runs in a pid namespace of its own (and mount, IPC, UTS and
 * network namespaces) whose init is the fuzzer: the saved pids are free
 * there, and a task other than the fuzzer once an input is done is a task
 * left behind.
 *
 * Findings: a kernel report in /dev/kmsg (BUG, WARNING, KASAN, lockdep,
 * hung task, UBSAN), a child that is not dead 10 s after SIGKILL, a task
 * left behind by a failed restart, a leak in kmemleak's periodic scan.
 * Each is minimized while it reproduces and saved in FINDINGS_DIR with
 * the kernel's lines.  The results (executions, executions per second,
 * corpus, PCs covered, findings) go to stdout and RESULTS_FILE (markdown,
 * or JSON with -j), the PCs to PCS_FILE (one a line, KASLR taken out, for
 * addr2line).  Exits 1 if there was a finding.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/checkpoint.h>

#include "ckpt_bytes.h"

#ifndef CHECKPOINT_LAZY
#define CHECKPOINT_LAZY		(1UL << 9)
#define RESTART_LAZY		(1UL << 4)
#endif

#ifndef __NR_checkpoint
#define __NR_checkpoint 463
#endif
#ifndef __NR_restart
#define __NR_restart 464
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif

/* <linux/kcov.h> */
#define KCOV_INIT_TRACE		_IOR('c', 1, unsigned long)
#define KCOV_ENABLE		_IO('c', 100)
#define KCOV_DISABLE		_IO('c', 101)
#define KCOV_TRACE_PC		0

#define KCOV_PATH		"/sys/kernel/debug/kcov"
#define KMEMLEAK_PATH		"/sys/kernel/debug/kmemleak"
#define COVER_WORDS		(1UL << 20)	/* PCs one restart may record */
#define PCSET_BITS		20		/* hash set of the PCs seen */
#define FUZZ_MAX_INPUT		(4UL << 20)	/* larger seeds are left out */
#define MAX_RECS		16384
#define MAX_CORPUS		4096
#define RECENT			16		/* inputs kept for a leak report */
#define HANG_AFTER_KILL_S	10
#define REPORT_LINES		(16 << 10)
#define MAX_ERRNO		134
#define MINIMIZE_EXECS		150

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct input {
	unsigned char *data;
	size_t len;
};

struct rec {
	size_t off;		/* of its header */
	size_t size;		/* header and payload */
	uint32_t type;
};

enum verdict {
	V_FAILED,		/* restart(2) returned an error */
	V_RESTORED,		/* it succeeded; the tasks were killed */
	V_TIMEOUT,		/* alarm() ended it */
	V_DIED,			/* the child died of another signal */
	V_HUNG,			/* not dead HANG_AFTER_KILL_S after SIGKILL */
};

struct exec_result {
	enum verdict verdict;
	int err;		/* of a failed restart(2) */
	bool report;		/* a kernel report in /dev/kmsg */
	bool left_behind;	/* a task outlived the input */
	size_t new_pcs;
};

struct fuzz {
	/* options */
	int time_s;
	long max_execs;
	const char *seed_dir;
	const char *corpus_dir;
	const char *out_dir;
	const char *results;
	const char *pcs_path;
	bool json;
	int exec_timeout_s;
	int leak_every_s;
	uint64_t rng;

	int img_fd;		/* memfd: the input restart(2) reads */
	const unsigned char *in;	/* the input being run, */
	size_t in_len;			/* for exec_child() */
	int log_fd;		/* memfd: restart(2)'s log */
	int kmsg_fd;
	int kcov_fd;
	uint64_t *cover;	/* KCOV's buffer, NULL without KCOV */
	uint64_t *pcset;
	size_t nr_pcs;

	struct input corpus[MAX_CORPUS];
	int nr_corpus;
	int nr_seeds;
	unsigned char *buf;	/* the input being built */
	size_t len;
	struct rec *recs;
	struct input recent[RECENT];
	int nr_recent;

	long execs;
	long restored;
	long timeouts;
	long left_behind;
	long errnos[MAX_ERRNO];
	int findings;
	bool stopping;
	bool seeding;		/* running the seeds as they are */
	bool leak_armed;	/* leaks are ours from now on */
	char *leaks_seen;	/* kmemleak's list at the last scan */
	int64_t start_ns;
	int64_t last_leak_ns;
	char report[REPORT_LINES];	/* kernel lines of the last report */
	size_t report_len;
	char finding_list[4096];
};

static volatile sig_atomic_t stop_requested;
/* Where the fuzzer writes its status for main(): not the children's */
static int status_fd = -1;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t rnd(struct fuzz *f)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return f->rng;
}

static size_t rnd_below(struct fuzz *f, size_t n)
{
	return n ? rnd(f) % n : 0;
}

static uint32_t rd32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void wr64(unsigned char *p, uint64_t v)
{
	wr32(p, v);
	wr32(p + 4, v >> 32);
}

static int write_file(const char *path, const void *data, size_t len)
{
	int fd, ret;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ret = ckpt_write_all(fd, data, len);
	close(fd);
	return ret;
}

/* The whole of an open file, malloc()ed; NULL if empty or too large */
static unsigned char *read_fd(int fd, size_t max, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	size_t got = 0;
	ssize_t n;

	if (fstat(fd, &st) || !st.st_size || (size_t)st.st_size > max)
		return NULL;
	buf = malloc(st.st_size);
	if (!buf)
		return NULL;
	while (got < (size_t)st.st_size) {
		n = pread(fd, buf + got, st.st_size - got, got);
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		got += n;
	}
	*len = got;
	return buf;
}

/*
 * The image's structure
 */

/* Follows the record headers from the start while they fit */
static int split_records(const unsigned char *d, size_t len, struct rec *r,
			 int max)
{
	size_t off = 0;
	uint32_t plen;
	int n = 0;

	while (n < max && len - off >= sizeof(struct ckpt_rec_hdr)) {
		plen = rd32(d + off + 4);
		if (plen > len - off - sizeof(struct ckpt_rec_hdr))
			break;
		r[n].off = off;
		r[n].size = sizeof(struct ckpt_rec_hdr) + plen;
		r[n].type = rd32(d + off);
		off += r[n++].size;
	}
	return n;
}

static int trailer_index(const struct rec *r, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i].type == CKPT_REC_TRAILER &&
		    r[i].size >= sizeof(struct ckpt_rec_hdr) +
				 sizeof(struct ckpt_image_trailer))
			return i;
	return -1;
}

/* Whether the image's TRAILER matches what comes before it */
static bool trailer_ok(struct fuzz *f, const unsigned char *d, size_t len)
{
	int n = split_records(d, len, f->recs, MAX_RECS);
	int t = trailer_index(f->recs, n);
	const unsigned char *p;

	if (t < 0)
		return false;
	p = d + f->recs[t].off + sizeof(struct ckpt_rec_hdr);
	return rd32(p) == crc32c(d, f->recs[t].off) && rd32(p + 4) == (uint32_t)t &&
	       rd32(p + 8) == f->recs[t].off && !rd32(p + 12);
}

/*
 * Rewrites the TRAILER of f->buf for what comes before it: checksum,
 * record count, size.  Without one, whole records are kept and a TRAILER
 * is appended.
 */
static void fix_trailer(struct fuzz *f)
{
	int n = split_records(f->buf, f->len, f->recs, MAX_RECS - 1);
	int t = trailer_index(f->recs, n);
	size_t off;
	unsigned char *p;

	if (t < 0) {
		t = n;
		off = n ? f->recs[n - 1].off + f->recs[n - 1].size : 0;
		f->len = off + sizeof(struct ckpt_rec_hdr) +
			 sizeof(struct ckpt_image_trailer);
		wr32(f->buf + off, CKPT_REC_TRAILER);
		wr32(f->buf + off + 4, sizeof(struct ckpt_image_trailer));
		f->recs[t].off = off;
	}
	off = f->recs[t].off;
	p = f->buf + off + sizeof(struct ckpt_rec_hdr);
	wr32(p, crc32c(f->buf, off));
	wr32(p + 4, t);
	wr64(p + 8, off);
}

/*
 * Mutations of f->buf.  f->buf has room for twice FUZZ_MAX_INPUT; an insertion
 * that would not fit is not made.
 */

static bool buf_insert(struct fuzz *f, size_t at, const void *src, size_t n)
{
	if (f->len + n > 2 * FUZZ_MAX_INPUT)
		return false;
	memmove(f->buf + at + n, f->buf + at, f->len - at);
	memcpy(f->buf + at, src, n);
	f->len += n;
	return true;
}

static void buf_delete(struct fuzz *f, size_t at, size_t n)
{
	memmove(f->buf + at, f->buf + at + n, f->len - at - n);
	f->len -= n;
}

static const uint32_t interesting32[] = {
	0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 63, 64, 127, 128, 255, 256, 511,
	512, 1000, 1023, 1024, 4095, 4096, 4097, 32767, 32768, 65535, 65536,
	CKPT_PAGES_MAX, CKPT_PAGES_MAX + 1, CKPT_PAGES_COW_MAX, CKPT_PAGES_COW_MAX + 1,
	CKPT_PATH_MAX, CKPT_PATH_MAX + 1,
	CKPT_REC_MAX_LEN, CKPT_REC_MAX_LEN + 8, 0x7ffffffe, 0x7fffffff,
	0x80000000, 0xfffffffe, 0xffffffff,
};

/* A record to mutate: any but the last (the TRAILER, usually) */
static int pick_record(struct fuzz *f, int n)
{
	return n > 1 ? (int)rnd_below(f, n - 1) : 0;
}

static uint32_t new_value(struct fuzz *f, uint32_t old)
{
	switch (rnd_below(f, 4)) {
	case 0:
		return old + 1 + rnd_below(f, 16);
	case 1:
		return old - 1 - rnd_below(f, 16);
	case 2:
		return old ^ (1U << rnd_below(f, 32));
	}
	return interesting32[rnd_below(f, ARRAY_SIZE(interesting32))];
}

/* Bit flips and random bytes anywhere */
static bool mut_bytes(struct fuzz *f, int n)
{
	int i, times = 1 + rnd_below(f, 8);
	size_t at;

	(void)n;
	if (!f->len)
		return false;
	for (i = 0; i < times; i++) {
		at = rnd_below(f, f->len);
		if (rnd_below(f, 2))
			f->buf[at] ^= 1 << rnd_below(f, 8);
		else
			f->buf[at] = rnd(f);
	}
	return true;
}

/*
 * A 32-bit field of a payload: ids, counts, lengths, flags are small
 * numbers, so prefer a word that holds one.
 */
static bool mut_field(struct fuzz *f, int n)
{
	struct rec *r;
	size_t words, at = 0;
	uint32_t v;
	int i;

	if (!n)
		return false;
	r = &f->recs[pick_record(f, n)];
	words = (r->size - sizeof(struct ckpt_rec_hdr)) / 4;
	if (!words)
		return false;
	for (i = 0; i < 8; i++) {
		at = r->off + sizeof(struct ckpt_rec_hdr) + 4 * rnd_below(f, words);
		v = rd32(f->buf + at);
		if (v && v < 65536)
			break;
	}
	wr32(f->buf + at, new_value(f, rd32(f->buf + at)));
	return true;
}

/* A record's length: with its payload grown or cut to match, or not */
static bool mut_len(struct fuzz *f, int n)
{
	static const unsigned char zeros[256];
	struct rec *r;
	uint32_t plen, nlen;

	if (!n)
		return false;
	r = &f->recs[pick_record(f, n)];
	plen = r->size - sizeof(struct ckpt_rec_hdr);
	if (rnd_below(f, 3)) {
		wr32(f->buf + r->off + 4, new_value(f, plen));
		return true;
	}
	/* keep the stream in step: grow with zeros or cut the end */
	nlen = rnd_below(f, 2) ? plen + 8 * (1 + rnd_below(f, 32)) :
				 plen - 8 * (1 + rnd_below(f, 32));
	if (nlen > plen &&
	    !buf_insert(f, r->off + r->size, zeros, nlen - plen))
		return false;
	if (nlen < plen)
		buf_delete(f, r->off + sizeof(struct ckpt_rec_hdr) + nlen,
			   plen - nlen);
	wr32(f->buf + r->off + 4, nlen);
	return true;
}

static bool mut_type(struct fuzz *f, int n)
{
	static const uint32_t types[] = {
#define __CKPT_REC_TYPE(name, nr) nr,
		__CKPT_REC_MAPPER(__CKPT_REC_TYPE)
#undef __CKPT_REC_TYPE
	};
	uint32_t t;

	if (!n)
		return false;
	t = rnd_below(f, 8) ? types[rnd_below(f, ARRAY_SIZE(types))] :
			      (uint32_t)rnd(f);
	wr32(f->buf + f->recs[pick_record(f, n)].off, t);
	return true;
}

static bool mut_drop(struct fuzz *f, int n)
{
	struct rec *r;

	if (n < 2)
		return false;
	r = &f->recs[pick_record(f, n)];
	buf_delete(f, r->off, r->size);
	return true;
}

/* A copy of a record, after itself or anywhere */
static bool mut_dup(struct fuzz *f, int n)
{
	struct rec *r, *at;
	unsigned char *copy;
	bool ok;

	if (!n)
		return false;
	r = &f->recs[pick_record(f, n)];
	at = rnd_below(f, 2) ? r : &f->recs[pick_record(f, n)];
	copy = malloc(r->size);
	if (!copy)
		return false;
	memcpy(copy, f->buf + r->off, r->size);
	ok = buf_insert(f, at->off + at->size, copy, r->size);
	free(copy);
	return ok;
}

/* A record moved elsewhere: out of order */
static bool mut_move(struct fuzz *f, int n)
{
	struct rec r, *to;
	unsigned char *copy;
	size_t dest;

	if (n < 3)
		return false;
	r = f->recs[pick_record(f, n)];
	to = &f->recs[pick_record(f, n)];
	dest = to->off > r.off ? to->off + to->size - r.size : to->off;
	copy = malloc(r.size);
	if (!copy)
		return false;
	memcpy(copy, f->buf + r.off, r.size);
	buf_delete(f, r.off, r.size);
	buf_insert(f, dest, copy, r.size);
	free(copy);
	return true;
}

/* A record of another input, spliced in between two of this one */
static bool mut_splice(struct fuzz *f, int n)
{
	struct input *in = &f->corpus[rnd_below(f, f->nr_corpus)];
	struct rec *theirs = malloc(MAX_RECS * sizeof(*theirs));
	struct rec *at;
	int m;
	bool ok = false;

	if (!theirs || !n)
		goto out;
	m = split_records(in->data, in->len, theirs, MAX_RECS);
	if (m) {
		at = &f->recs[pick_record(f, n)];
		m = rnd_below(f, m);
		ok = buf_insert(f, at->off + at->size, in->data + theirs[m].off,
				theirs[m].size);
	}
out:
	free(theirs);
	return ok;
}

static bool mut_truncate(struct fuzz *f, int n)
{
	if (f->len < 16)
		return false;
	if (n > 2 && rnd_below(f, 2))
		f->len = f->recs[1 + rnd_below(f, n - 2)].off;
	else
		f->len = rnd_below(f, f->len);
	return true;
}

static bool (*const mutators[])(struct fuzz *f, int n) = {
	mut_bytes, mut_field, mut_field, mut_field, mut_len, mut_type,
	mut_drop, mut_dup, mut_move, mut_splice, mut_truncate,
};

/* f->buf = a corpus entry with 1 to 4 mutations, trailer mostly fixed */
static void make_input(struct fuzz *f)
{
	struct input *in = &f->corpus[rnd_below(f, f->nr_corpus)];
	int i, m, n, times = 1 + rnd_below(f, 4);
	bool truncated = false;

	memcpy(f->buf, in->data, in->len);
	f->len = in->len;
	for (i = 0; i < times; i++) {
		n = split_records(f->buf, f->len, f->recs, MAX_RECS);
		m = rnd_below(f, ARRAY_SIZE(mutators));

		if (mutators[m](f, n) && mutators[m] == mut_truncate)
			truncated = true;
	}
	/* A cut image keeps its cut most of the time: that is the point */
	if (rnd_below(f, 8) && !(truncated && rnd_below(f, 2)))
		fix_trailer(f);
}

/*
 * Coverage: KCOV's buffer in the fuzzer, shared with each child through
 * fork(); the child enables it around restart(2) only.
 */

static void kcov_setup(struct fuzz *f)
{
	f->kcov_fd = open(KCOV_PATH, O_RDWR | O_CLOEXEC);
	if (f->kcov_fd < 0) {
		mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
		f->kcov_fd = open(KCOV_PATH, O_RDWR | O_CLOEXEC);
	}
	if (f->kcov_fd < 0) {
		printf("# no %s (%s): no coverage, every input is new\n",
		       KCOV_PATH, strerror(errno));
		return;
	}
	if (ioctl(f->kcov_fd, KCOV_INIT_TRACE, COVER_WORDS))
		goto fail;
	f->cover = mmap(NULL, COVER_WORDS * 8, PROT_READ | PROT_WRITE,
			MAP_SHARED, f->kcov_fd, 0);
	if (f->cover != MAP_FAILED)
		return;
fail:
	printf("# KCOV set-up failed: %s; no coverage\n", strerror(errno));
	f->cover = NULL;
	close(f->kcov_fd);
	f->kcov_fd = -1;
}

/* Adds @pc to the set; true if it is new */
static bool pcset_add(struct fuzz *f, uint64_t pc)
{
	size_t mask = (1UL << PCSET_BITS) - 1;
	size_t i = (pc * 0x9e3779b97f4a7c15ULL) >> (64 - PCSET_BITS);

	while (f->pcset[i]) {
		if (f->pcset[i] == pc)
			return false;
		i = (i + 1) & mask;
	}
	/* Keep the set at most half full: it is only a measure from there */
	if (f->nr_pcs >= mask / 2)
		return false;
	f->pcset[i] = pc;
	f->nr_pcs++;
	return true;
}

static size_t cover_collect(struct fuzz *f)
{
	size_t i, n, new = 0;

	if (!f->cover)
		return 1;
	n = __atomic_load_n(&f->cover[0], __ATOMIC_RELAXED);
	if (n > COVER_WORDS - 1)
		n = COVER_WORDS - 1;
	for (i = 1; i <= n; i++)
		new += pcset_add(f, f->cover[i]);
	return new;
}

/*
 * The kernel's log
 */

static const char *const report_patterns[] = {
	"BUG:", "WARNING:", "KASAN", "kernel BUG", "Oops",
	"general protection fault", "possible circular locking",
	"possible recursive locking", "inconsistent lock state",
	"lockdep", "DEBUG_LOCKS_WARN", "suspicious RCU usage", "INFO: task",
	"UBSAN", "Kernel panic", "unreferenced object",
};

static bool is_report(const char *msg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(report_patterns); i++)
		if (strstr(msg, report_patterns[i]))
			return true;
	return false;
}

static void report_add(struct fuzz *f, const char *msg, size_t len)
{
	if (f->report_len + len + 1 >= sizeof(f->report))
		return;
	memcpy(f->report + f->report_len, msg, len);
	f->report_len += len;
	f->report[f->report_len++] = '\n';
	f->report[f->report_len] = '\0';
}

/*
 * Reads what the kernel logged since the last call.  Once a line is a
 * report, it and every line after it go to f->report.  Returns whether
 * there was a report.
 */
static bool kmsg_read(struct fuzz *f)
{
	char rec[8192], *msg, *end;
	bool found = false;
	ssize_t n;

	if (f->kmsg_fd < 0)
		return false;
	for (;;) {
		n = read(f->kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		end = strchrnul(msg, '\n');
		*end = '\0';
		if (!found && is_report(msg))
			found = true;
		if (found)
			report_add(f, msg, end - msg);
	}
	return found;
}

/* A report goes on for a while: collect its lines for @ms more */
static void kmsg_settle(struct fuzz *f, int ms)
{
	int64_t until = now_ns() + ms * 1000000LL;

	while (now_ns() < until) {
		sleep_ms(50);
		kmsg_read(f);
	}
}

/*
 * Tasks: the fuzzer is pid 1 of its pid namespace, so anything else in
 * its /proc is a task some input left.
 */

static void reap_all(void)
{
	while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
		;
}

static int count_tasks(char *names, size_t size)
{
	struct dirent *de;
	char path[300], comm[32];
	int n = 0, fd;
	ssize_t len;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return 0;
	if (names)
		names[0] = '\0';
	while ((de = readdir(d))) {
		if (!isdigit(de->d_name[0]) || atoi(de->d_name) == getpid())
			continue;
		n++;
		if (!names)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		len = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;
		if (fd >= 0)
			close(fd);
		comm[len > 0 ? len - 1 : 0] = '\0';
		snprintf(names + strlen(names), size - strlen(names),
			 "pid %s (%s) ", de->d_name, comm);
	}
	closedir(d);
	return n;
}

/* Waits up to @ms for every other task to be gone; true if they are */
static bool tasks_gone(int ms)
{
	int64_t until = now_ns() + ms * 1000000LL;

	for (;;) {
		reap_all();
		if (!count_tasks(NULL, 0))
			return true;
		if (now_ns() > until)
			return false;
		sleep_ms(10);
	}
}

/*
 * Running one input
 */

/*
 * An input whose HEADER says CHECKPOINT_LAZY runs with RESTART_LAZY, from
 * a copy open read-only that nobody has open for writing (else restart
 * reads its pages at once): the image fd, and the flag, to use
 */
static int lazy_image(struct fuzz *f, unsigned long *flags)
{
	struct ckpt_image_header h;
	char path[64];
	int rw, ro;

	if (f->in_len < sizeof(struct ckpt_rec_hdr) + sizeof(h))
		return f->img_fd;
	memcpy(&h, f->in + sizeof(struct ckpt_rec_hdr), sizeof(h));
	if (!(le32toh(h.flags) & CHECKPOINT_LAZY))
		return f->img_fd;
	rw = memfd_create("ckpt-fuzz-lazy", MFD_CLOEXEC);
	if (rw < 0 || write(rw, f->in, f->in_len) != (ssize_t)f->in_len)
		return f->img_fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", rw);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	close(rw);
	if (ro < 0)
		return f->img_fd;
	*flags = RESTART_LAZY;
	return ro;
}

static void __attribute__((noreturn)) exec_child(struct fuzz *f)
{
	unsigned long flags = 0;
	long ret;
	int err, fd;

	close(status_fd);
	lseek(f->img_fd, 0, SEEK_SET);
	lseek(f->log_fd, 0, SEEK_SET);
	fd = lazy_image(f, &flags);
	alarm(f->exec_timeout_s);
	if (f->cover) {
		ioctl(f->kcov_fd, KCOV_ENABLE, KCOV_TRACE_PC);
		__atomic_store_n(&f->cover[0], 0, __ATOMIC_RELAXED);
	}
	ret = syscall(__NR_restart, 0, fd, flags, f->log_fd);
	err = errno;
	if (f->cover)
		ioctl(f->kcov_fd, KCOV_DISABLE, 0);
	if (ret < 0)
		_exit(err > 0 && err < MAX_ERRNO ? err : MAX_ERRNO - 1);
	/* Everything but the fuzzer (pid 1) and ourselves */
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, __WALL) > 0)
		;
	_exit(0);
}

/* Low pids are the images' own: the children take high ones */
static void next_pid_high(void)
{
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	/* If it fails, pids may collide: the inputs still run */
	n = write(fd, "30000", 5);
	(void)n;
	close(fd);
}

static int load_input(struct fuzz *f, const unsigned char *d, size_t len)
{
	if (ftruncate(f->img_fd, 0) || ftruncate(f->log_fd, 0))
		return -1;
	if (pwrite(f->img_fd, d, len, 0) != (ssize_t)len)
		return -1;
	return 0;
}

/* Waits for @pid; a child that SIGKILL does not end is a hang */
static enum verdict wait_exec(struct fuzz *f, pid_t pid, int *status)
{
	struct pollfd pfd = { .events = POLLIN };

	pfd.fd = syscall(__NR_pidfd_open, pid, 0);
	if (pfd.fd >= 0 &&
	    poll(&pfd, 1, (f->exec_timeout_s + 5) * 1000) == 0) {
		kill(pid, SIGKILL);
		if (poll(&pfd, 1, HANG_AFTER_KILL_S * 1000) == 0) {
			close(pfd.fd);
			return V_HUNG;
		}
	}
	if (pfd.fd >= 0)
		close(pfd.fd);
	waitpid(pid, status, __WALL);
	if (WIFEXITED(*status))
		return WEXITSTATUS(*status) ? V_FAILED : V_RESTORED;
	return WTERMSIG(*status) == SIGALRM ? V_TIMEOUT : V_DIED;
}

static int exec_input(struct fuzz *f, const unsigned char *d, size_t len,
		      struct exec_result *res)
{
	int status = 0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (load_input(f, d, len))
		return -1;
	f->in = d;
	f->in_len = len;
	next_pid_high();
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		exec_child(f);
	res->verdict = wait_exec(f, pid, &status);
	f->execs++;
	if (res->verdict == V_HUNG)
		return 0;
	if (res->verdict == V_FAILED)
		res->err = WEXITSTATUS(status);
	res->new_pcs = cover_collect(f);
	/* A failed restart leaves nothing; a successful one was killed */
	if (!tasks_gone(res->verdict == V_FAILED ? 1000 : 5000)) {
		res->left_behind = true;
		f->report_len = 0;
		count_tasks(f->report, sizeof(f->report));
		f->report_len = strlen(f->report);
		kill(-1, SIGKILL);
		tasks_gone(HANG_AFTER_KILL_S * 1000);
	}
	res->report = kmsg_read(f);
	return 0;
}

/*
 * Findings
 */

static void finding_file(struct fuzz *f, const char *name, const char *ext,
			 const void *data, size_t len)
{
	char path[512];

	if (!f->out_dir)
		return;
	mkdir(f->out_dir, 0755);
	snprintf(path, sizeof(path), "%s/%s.%s", f->out_dir, name, ext);
	if (write_file(path, data, len))
		printf("# cannot write %s: %s\n", path, strerror(errno));
}

/* The first line of a report that names it, for the summary */
static void report_title(const char *report, char *title, size_t size)
{
	const char *p = report, *end;

	for (; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, '\n');
		snprintf(title, size, "%.*s", (int)(end - p), p);
		if (is_report(title))
			return;
	}
	snprintf(title, size, "%.*s", (int)strcspn(report, "\n"), report);
}

/*
 * Saves NAME.img and NAME.txt: the kernel's lines (or what was left
 * behind) and restart(2)'s log of the input.
 */
static void save_finding(struct fuzz *f, const char *name, const char *what,
			 const unsigned char *d, size_t len)
{
	char title[200], *text;
	unsigned char *log;
	size_t log_len = 0, n;

	report_title(f->report, title, sizeof(title));
	printf("# finding %s: %s: %s\n", name, what, title);
	n = strlen(f->finding_list);
	snprintf(f->finding_list + n, sizeof(f->finding_list) - n,
		 "%s: %s: %s\n", name, what, title);
	if (len)
		finding_file(f, name, "img", d, len);
	log = read_fd(f->log_fd, 1 << 20, &log_len);
	text = malloc(f->report_len + log_len + 256);
	if (!text) {
		free(log);
		return;
	}
	n = sprintf(text, "%s (%zu bytes of input)\n\n%s\nrestart(2)'s log:\n",
		    what, len, f->report);
	memcpy(text + n, log ? (char *)log : "", log_len);
	finding_file(f, name, "txt", text, n + log_len);
	free(text);
	free(log);
}

enum finding_kind {
	F_REPORT,
	F_LEFT_BEHIND,
};

static bool reproduces(struct fuzz *f, const unsigned char *d, size_t len,
		       enum finding_kind kind)
{
	struct exec_result res;

	f->report_len = 0;
	if (exec_input(f, d, len, &res) || res.verdict == V_HUNG)
		return false;
	return kind == F_REPORT ? res.report : res.left_behind;
}

/* One minimization step: f->buf/f->len is the candidate */
static bool try_candidate(struct fuzz *f, unsigned char *d, size_t *len,
			  bool fix, enum finding_kind kind, int *budget)
{
	if (fix)
		fix_trailer(f);
	if (--*budget < 0 || !reproduces(f, f->buf, f->len, kind))
		return false;
	memcpy(d, f->buf, f->len);
	*len = f->len;
	return true;
}

/*
 * Drops whole records (last first), cuts the end, zeroes payloads, while
 * the finding reproduces.  @d has room for 64 more bytes than *@len.
 */
static void minimize(struct fuzz *f, unsigned char *d, size_t *len,
		     enum finding_kind kind)
{
	bool fix = trailer_ok(f, d, *len);
	int i, n, budget = MINIMIZE_EXECS;
	struct rec r;
	size_t cut;

	n = split_records(d, *len, f->recs, MAX_RECS);
	for (i = n - 2; i >= 1 && budget > 0; i--) {
		r = f->recs[i];
		memcpy(f->buf, d, *len);
		f->len = *len;
		buf_delete(f, r.off, r.size);
		try_candidate(f, d, len, fix, kind, &budget);
		n = split_records(d, *len, f->recs, MAX_RECS);
	}
	for (cut = *len / 2; !fix && cut >= 8 && budget > 0; cut /= 2) {
		memcpy(f->buf, d, *len - cut);
		f->len = *len - cut;
		try_candidate(f, d, len, fix, kind, &budget);
	}
	n = split_records(d, *len, f->recs, MAX_RECS);
	for (i = n - 2; i >= 1 && budget > 0; i--) {
		r = f->recs[i];
		memcpy(f->buf, d, *len);
		f->len = *len;
		memset(f->buf + r.off + sizeof(struct ckpt_rec_hdr), 0,
		       r.size - sizeof(struct ckpt_rec_hdr));
		try_candidate(f, d, len, fix, kind, &budget);
	}
}

static void finding(struct fuzz *f, enum finding_kind kind, const char *what,
		    const unsigned char *d, size_t len)
{
	char name[64], *report;
	unsigned char *copy;
	size_t report_len = f->report_len;

	snprintf(name, sizeof(name), "%s-%d",
		 kind == F_REPORT ? "kernel" : "left-behind", f->findings + 1);
	f->findings++;
	if (kind == F_REPORT)
		kmsg_settle(f, 2000);
	save_finding(f, name, what, d, len);
	copy = malloc(len + 64);
	report = strdup(f->report);
	if (!copy || !report)
		goto out;
	memcpy(copy, d, len);
	if (!reproduces(f, copy, len, kind)) {
		printf("# %s does not reproduce: kept as it is\n", name);
		goto out;
	}
	minimize(f, copy, &len, kind);
	printf("# %s reproduces; minimized to %zu bytes\n", name, len);
	strcat(name, "-min");
	if (kind == F_REPORT)
		kmsg_settle(f, 2000);
	save_finding(f, name, what, copy, len);
	f->findings--;	/* the same finding, smaller */
out:
	if (report) {
		snprintf(f->report, sizeof(f->report), "%s", report);
		f->report_len = report_len;
	}
	free(report);
	free(copy);
}

/*
 * kmemleak: scanned every leak_every_s seconds and at the end.  A leak
 * cannot be tied to one input: the last RECENT inputs are saved with it.
 */

static void remember_recent(struct fuzz *f)
{
	struct input *r = &f->recent[f->nr_recent++ % RECENT];
	unsigned char *p = realloc(r->data, f->len ? f->len : 1);

	if (!p)
		return;
	r->data = p;
	memcpy(r->data, f->buf, f->len);
	r->len = f->len;
}

static ssize_t kmemleak_cmd(const char *cmd, char *out, size_t size)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(KMEMLEAK_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (cmd && write(fd, cmd, strlen(cmd)) < 0) {
		close(fd);
		return -1;
	}
	while (out && got < size - 1) {
		n = read(fd, out + got, size - 1 - got);
		if (n <= 0)
			break;
		got += n;
	}
	if (out)
		out[got] = '\0';
	close(fd);
	return got;
}

/*
 * Keeps in f->report the reports of @text that are not in @seen: kmemleak
 * lists an object until it is freed or cleared, and "clear" would hide
 * the leaks of others (make check reads the list at the end).
 */
static void leak_new_reports(struct fuzz *f, const char *text,
			     const char *seen)
{
	const char *p = text, *next, *end;
	char head[64];

	f->report_len = 0;
	f->report[0] = '\0';
	while ((p = strstr(p, "unreferenced object"))) {
		next = strstr(p + 1, "unreferenced object");
		end = next ?: p + strlen(p);
		/* "unreferenced object 0xADDR": the same object */
		snprintf(head, sizeof(head), "%.*s",
			 (int)strcspn(p + 20, "\n ") + 20, p);
		if (!seen || !strstr(seen, head))
			report_add(f, p, end - p);
		p = end;
	}
}

static void leak_scan(struct fuzz *f, int scans)
{
	char name[64], *text = malloc(REPORT_LINES);
	int i;

	f->last_leak_ns = now_ns();
	for (i = 0; text && i < scans; i++)
		if (kmemleak_cmd("scan", NULL, 0) < 0)
			goto out;
	if (!text || kmemleak_cmd(NULL, text, REPORT_LINES) < 0)
		goto out;
	leak_new_reports(f, text, f->leaks_seen);
	free(f->leaks_seen);
	f->leaks_seen = text;
	text = NULL;
	if (!f->report_len || !f->leak_armed)
		goto out;
	snprintf(name, sizeof(name), "leak-%d", ++f->findings);
	save_finding(f, name, "kmemleak", (unsigned char *)"", 0);
	for (i = 0; i < RECENT && i < f->nr_recent; i++) {
		struct input *r = &f->recent[(f->nr_recent - 1 - i) % RECENT];

		snprintf(name, sizeof(name), "leak-%d-recent-%d",
			 f->findings, i);
		finding_file(f, name, "img", r->data, r->len);
	}
out:
	free(text);
}

/*
 * The corpus
 */

static bool is_image(const unsigned char *d, size_t len)
{
	return len >= 24 && rd32(d) == CKPT_REC_HEADER &&
	       rd32(d + 8) == (uint32_t)CKPT_IMAGE_MAGIC &&
	       rd32(d + 12) == (uint32_t)(CKPT_IMAGE_MAGIC >> 32);
}

/* Takes @d (malloc()ed) into the corpus, and saves it in CORPUS_DIR */
static void corpus_add(struct fuzz *f, unsigned char *d, size_t len,
		       bool save)
{
	char path[512];
	int i = f->nr_corpus;

	if (i == MAX_CORPUS) {
		/* full: replace an entry that is not a seed */
		i = f->nr_seeds + rnd_below(f, MAX_CORPUS - f->nr_seeds);
		free(f->corpus[i].data);
	} else {
		f->nr_corpus++;
	}
	f->corpus[i].data = d;
	f->corpus[i].len = len;
	if (!save || !f->corpus_dir)
		return;
	mkdir(f->corpus_dir, 0755);
	snprintf(path, sizeof(path), "%s/%08x-%zu.img", f->corpus_dir,
		 crc32c(d, len), len);
	write_file(path, d, len);
}

static int load_dir(struct fuzz *f, const char *dir)
{
	char path[512];
	struct dirent *de;
	unsigned char *d;
	size_t len;
	int fd, n = 0;
	DIR *dp;

	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((de = readdir(dp)) && f->nr_corpus < MAX_CORPUS) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		d = read_fd(fd, FUZZ_MAX_INPUT, &len);
		close(fd);
		if (d && is_image(d, len)) {
			corpus_add(f, d, len, false);
			n++;
		} else {
			free(d);
		}
	}
	closedir(dp);
	return n;
}

/*
 * Seeds of our own: children that set something up, then are
 * checkpointed with CHECKPOINT_KILL.
 */

static void *seed_thread_fn(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int seed_idle(void)
{
	return 0;
}

static int seed_pipe(void)
{
	int p[2];

	if (pipe(p))
		return -1;
	return write(p[1], "fuzz", 4) == 4 ? 0 : -1;
}

static int seed_pty(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m < 0 || grantpt(m) || unlockpt(m))
		return -1;
	return open(ptsname(m), O_RDWR | O_NOCTTY) < 0 ? -1 : 0;
}

static int seed_thread(void)
{
	pthread_t t;

	return pthread_create(&t, NULL, seed_thread_fn, NULL) ? -1 : 0;
}

static int seed_socketpair(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	return write(sv[0], "fuzz", 4) == 4 ? 0 : -1;
}

static int seed_timer(void)
{
	struct itimerspec its = { .it_value = { 1000, 0 },
				  .it_interval = { 1, 0 } };
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	timer_t timer;
	int fd;

	fd = timerfd_create(CLOCK_MONOTONIC, 0);
	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL))
		return -1;
	if (timer_create(CLOCK_MONOTONIC, &sev, &timer))
		return -1;
	return timer_settime(timer, 0, &its, NULL);
}

/* Memory in runs of pages with a PAGES_CRC each, for RESTART_LAZY */
static int seed_lazy(void)
{
	size_t len = 512 << 10, i;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < len; i += 64)
		p[i] = (char)(i >> 6);
	return 0;
}

static const struct {
	const char *name;
	int (*setup)(void);
	unsigned long flags;	/* of checkpoint(2), but CHECKPOINT_KILL */
} seed_kinds[] = {
	{ "idle", seed_idle, 0 },
	{ "pipe", seed_pipe, 0 },
	{ "pty", seed_pty, 0 },
	{ "thread", seed_thread, 0 },
	{ "socketpair", seed_socketpair, 0 },
	{ "timer", seed_timer, 0 },
	{ "lazy", seed_lazy, CHECKPOINT_LAZY },
};

static void __attribute__((noreturn)) seed_child(struct fuzz *f, int (*setup)(void))
{
	sigset_t none;
	int fd, i;

	/* The fuzzer's buffers are not the seed's: its image stays small */
	for (i = 0; i < f->nr_corpus; i++)
		free(f->corpus[i].data);
	free(f->buf);
	free(f->recs);

	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
	    syscall(__NR_close_range, 3, ~0U, 0))
		_exit(1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setup())
		_exit(2);
	kill(getppid(), SIGUSR2);
	for (;;)
		pause();
}

/* Forks a child that sets itself up and says so with SIGUSR2 */
static pid_t seed_spawn(struct fuzz *f, int (*setup)(void))
{
	struct timespec ts = { 30, 0 };
	siginfo_t si;
	sigset_t set;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fflush(NULL);
	pid = fork();
	if (!pid)
		seed_child(f, setup);
	if (pid < 0)
		return -1;
	if (sigtimedwait(&set, &si, &ts) == SIGUSR2 && si.si_pid == pid)
		return pid;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void make_seed(struct fuzz *f, int k)
{
	unsigned char *d, *log;
	size_t len = 0, log_len = 0;
	pid_t pid;

	pid = seed_spawn(f, seed_kinds[k].setup);
	if (pid < 0) {
		printf("# seed %s: the child could not set up\n",
		       seed_kinds[k].name);
		return;
	}
	load_input(f, (unsigned char *)"", 0);
	lseek(f->img_fd, 0, SEEK_SET);
	lseek(f->log_fd, 0, SEEK_SET);
	if (syscall(__NR_checkpoint, pid, f->img_fd,
		    CHECKPOINT_KILL | seed_kinds[k].flags, f->log_fd)) {
		printf("# seed %s: checkpoint: %s\n", seed_kinds[k].name,
		       strerror(errno));
		log = read_fd(f->log_fd, 1 << 20, &log_len);
		if (log)
			printf("# %.*s\n", (int)(log_len > 300 ? 300 : log_len),
			       log + (log_len > 300 ? log_len - 300 : 0));
		free(log);
		kill(pid, SIGKILL);
	}
	waitpid(pid, NULL, 0);
	d = read_fd(f->img_fd, FUZZ_MAX_INPUT, &len);
	if (d && is_image(d, len)) {
		corpus_add(f, d, len, false);
		return;
	}
	printf("# seed %s: no image (%lld bytes)\n", seed_kinds[k].name,
	       (long long)lseek(f->img_fd, 0, SEEK_END));
	free(d);
}

/*
 * Results
 */

static double elapsed_s(struct fuzz *f)
{
	return (now_ns() - f->start_ns) / 1e9;
}

/* The PCs, one per line, for a host to map to files (addr2line) */
static void write_pcs(struct fuzz *f)
{
	size_t i;
	FILE *out;

	if (!f->pcs_path || !f->cover)
		return;
	out = fopen(f->pcs_path, "w");
	if (!out) {
		printf("# cannot write %s: %s\n", f->pcs_path, strerror(errno));
		return;
	}
	for (i = 0; i < 1UL << PCSET_BITS; i++)
		if (f->pcset[i])
			fprintf(out, "0x%llx\n", (unsigned long long)f->pcset[i]);
	fclose(out);
}

/*
 * PCs by function, from /proc/kallsyms.  KCOV takes KASLR's offset out of
 * the PCs: it is _text's address less where the kernel is linked.
 */
#define KERNEL_LINK_TEXT	0xffffffff81000000ULL
#define TOP_FUNCTIONS		15

struct ksym {
	uint64_t addr;
	char *name;
	size_t pcs;
};

static int ksym_by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int ksym_by_pcs(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->pcs > y->pcs ? -1 : x->pcs < y->pcs;
}

static size_t load_ksyms(struct ksym **syms, uint64_t *text)
{
	unsigned long long addr;
	char line[512], name[256], type;
	size_t n = 0, cap = 0;
	struct ksym *p;
	FILE *in;

	in = fopen("/proc/kallsyms", "r");
	if (!in)
		return 0;
	while (fgets(line, sizeof(line), in)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 ||
		    strchr(line, '[') || !addr)
			continue;
		if (!strcmp(name, "_text"))
			*text = addr;
		if (type != 't' && type != 'T')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			p = realloc(*syms, cap * sizeof(*p));
			if (!p)
				break;
			*syms = p;
		}
		(*syms)[n].addr = addr;
		(*syms)[n].pcs = 0;
		(*syms)[n++].name = strdup(name);
	}
	fclose(in);
	return n;
}

/* The function that holds @addr: the last that starts at or before it */
static struct ksym *ksym_of(struct ksym *syms, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return n && syms[lo].addr <= addr ? &syms[lo] : NULL;
}

static void functions_table(struct fuzz *f, FILE *out)
{
	struct ksym *syms = NULL, *s;
	uint64_t text = 0;
	size_t i, n, funcs = 0;

	n = load_ksyms(&syms, &text);
	if (!n || !text || !f->cover)
		goto out;
	qsort(syms, n, sizeof(*syms), ksym_by_addr);
	for (i = 0; i < 1UL << PCSET_BITS; i++) {
		if (!f->pcset[i])
			continue;
		s = ksym_of(syms, n, f->pcset[i] + text - KERNEL_LINK_TEXT);
		if (s && !s->pcs++)
			funcs++;
	}
	qsort(syms, n, sizeof(*syms), ksym_by_pcs);
	fprintf(out, "\n## Kernel functions covered: %zu\n\n", funcs);
	fprintf(out, "| function | PCs |\n|---|---|\n");
	for (i = 0; i < n && i < TOP_FUNCTIONS && syms[i].pcs; i++)
		fprintf(out, "| %s | %zu |\n", syms[i].name, syms[i].pcs);
out:
	for (i = 0; i < n; i++)
		free(syms[i].name);
	free(syms);
}

/* kallsyms is long to read under TCG: once for both outputs */
static void results_functions(struct fuzz *f, FILE *out)
{
	static char *table;
	size_t size;
	FILE *mem;

	if (!table) {
		mem = open_memstream(&table, &size);
		if (!mem)
			return;
		functions_table(f, mem);
		fclose(mem);
	}
	fputs(table, out);
}

static void print_errnos(struct fuzz *f, FILE *out, bool json)
{
	bool first = true;
	int e;

	for (e = 1; e < MAX_ERRNO; e++) {
		if (!f->errnos[e])
			continue;
		if (json)
			fprintf(out, "%s\"%s\": %ld", first ? "" : ", ",
				strerrorname_np(e) ?: "?", f->errnos[e]);
		else
			fprintf(out, "| %s | %ld |\n",
				strerrorname_np(e) ?: "?", f->errnos[e]);
		first = false;
	}
}

static void results_json(struct fuzz *f, FILE *out, double secs)
{
	const char *p;

	fprintf(out, "{\n  \"seconds\": %.1f,\n  \"executions\": %ld,\n",
		secs, f->execs);
	fprintf(out, "  \"executions_per_second\": %.2f,\n",
		secs > 0 ? f->execs / secs : 0);
	fprintf(out, "  \"restored\": %ld,\n  \"timeouts\": %ld,\n",
		f->restored, f->timeouts);
	fprintf(out, "  \"corpus\": %d,\n  \"seeds\": %d,\n", f->nr_corpus,
		f->nr_seeds);
	fprintf(out, "  \"kcov\": %s,\n  \"pcs\": %zu,\n",
		f->cover ? "true" : "false", f->nr_pcs);
	fprintf(out, "  \"errors\": {");
	print_errnos(f, out, true);
	fprintf(out, "},\n  \"findings\": %d,\n  \"finding_list\": [",
		f->findings);
	for (p = f->finding_list; *p; p = strchr(p, '\n') + 1)
		fprintf(out, "%s\"%.*s\"", p == f->finding_list ? "" : ", ",
			(int)strcspn(p, "\n\""), p);
	fprintf(out, "]\n}\n");
}

static void results_md(struct fuzz *f, FILE *out, double secs)
{
	fprintf(out, "# restart(2) fuzzing (ckpt_fuzz)\n\n");
	fprintf(out, "| | |\n|---|---|\n| seconds | %.0f |\n", secs);
	fprintf(out, "| executions | %ld |\n", f->execs);
	fprintf(out, "| executions per second | %.2f |\n",
		secs > 0 ? f->execs / secs : 0);
	fprintf(out, "| restored (restart succeeded) | %ld |\n", f->restored);
	fprintf(out, "| timed out (alarm) | %ld |\n", f->timeouts);
	fprintf(out, "| corpus | %d inputs, %d of them seeds |\n",
		f->nr_corpus, f->nr_seeds);
	if (f->cover)
		fprintf(out, "| kernel PCs covered (KCOV) | %zu |\n", f->nr_pcs);
	else
		fprintf(out, "| kernel PCs covered | no KCOV |\n");
	fprintf(out, "| findings | %d |\n\n", f->findings);
	fprintf(out, "## restart(2) errors\n\n| errno | inputs |\n|---|---|\n");
	print_errnos(f, out, false);
	fprintf(out, "\n## Findings\n\n");
	fprintf(out, "%s", f->findings ? f->finding_list : "None.\n");
	results_functions(f, out);
}

static void write_results(struct fuzz *f)
{
	double secs = elapsed_s(f);
	FILE *out;

	results_md(f, stdout, secs);
	write_pcs(f);
	if (!f->results)
		return;
	out = fopen(f->results, "w");
	if (!out) {
		printf("# cannot write %s: %s\n", f->results, strerror(errno));
		return;
	}
	if (f->json)
		results_json(f, out, secs);
	else
		results_md(f, out, secs);
	fclose(out);
}

/*
 * The campaign
 */

static void account(struct fuzz *f, struct exec_result *res)
{
	switch (res->verdict) {
	case V_FAILED:
		f->errnos[res->err]++;
		break;
	case V_RESTORED:
		f->restored++;
		break;
	case V_TIMEOUT:
		f->timeouts++;
		break;
	default:
		break;
	}
}

static void judge(struct fuzz *f, struct exec_result *res)
{
	unsigned char *copy;

	if (res->verdict == V_HUNG) {
		f->report_len = 0;
		kmsg_read(f);
		save_finding(f, "hang", "restart(2) not dead 10 s after SIGKILL",
			     f->buf, f->len);
		f->findings++;
		f->stopping = true;	/* it may hold what the next needs */
	} else if (res->report) {
		finding(f, F_REPORT, "kernel report", f->buf, f->len);
	} else if (res->left_behind) {
		finding(f, F_LEFT_BEHIND, "task left behind", f->buf, f->len);
	} else if (res->new_pcs && !f->seeding) {
		copy = malloc(f->len ? f->len : 1);
		if (copy) {
			memcpy(copy, f->buf, f->len);
			corpus_add(f, copy, f->len, true);
		}
	}
}

static void progress(struct fuzz *f)
{
	double secs = elapsed_s(f);

	printf("# %.0f s: %ld executions (%.2f/s), %zu PCs, corpus %d, %ld restored, %d findings\n",
	       secs, f->execs, secs > 0 ? f->execs / secs : 0, f->nr_pcs,
	       f->nr_corpus, f->restored, f->findings);
	fflush(stdout);
}

static bool time_left(struct fuzz *f)
{
	if (stop_requested || f->stopping)
		return false;
	if (f->max_execs && f->execs >= f->max_execs)
		return false;
	return !f->time_s || now_ns() - f->start_ns < f->time_s * 1000000000LL;
}

static int run_one(struct fuzz *f)
{
	struct exec_result res;

	f->report_len = 0;
	if (exec_input(f, f->buf, f->len, &res)) {
		printf("# cannot run an input: %s\n", strerror(errno));
		return -1;
	}
	account(f, &res);
	judge(f, &res);
	return 0;
}

static void fuzz_loop(struct fuzz *f)
{
	int64_t last_progress = now_ns();
	int i;

	/* The seeds as they are first: their coverage is the base */
	f->seeding = true;
	for (i = 0; i < f->nr_seeds && time_left(f); i++) {
		memcpy(f->buf, f->corpus[i].data, f->corpus[i].len);
		f->len = f->corpus[i].len;
		f->report_len = 0;
		if (run_one(f))
			return;
	}
	f->seeding = false;
	while (time_left(f)) {
		make_input(f);
		remember_recent(f);
		if (run_one(f))
			return;
		if (now_ns() - last_progress > 30000000000LL) {
			progress(f);
			last_progress = now_ns();
		}
		if (f->leak_every_s &&
		    now_ns() - f->last_leak_ns > f->leak_every_s * 1000000000LL)
			leak_scan(f, 1);
	}
}

static int setup(struct fuzz *f)
{
	f->img_fd = memfd_create("ckpt-fuzz-image", MFD_CLOEXEC);
	f->log_fd = memfd_create("ckpt-fuzz-log", MFD_CLOEXEC);
	f->buf = malloc(2 * FUZZ_MAX_INPUT);
	f->recs = malloc(MAX_RECS * sizeof(*f->recs));
	if (f->img_fd < 0 || f->log_fd < 0 || !f->buf || !f->recs) {
		printf("# set-up: %s\n", strerror(errno));
		return -1;
	}
	f->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (f->kmsg_fd >= 0)
		lseek(f->kmsg_fd, 0, SEEK_END);
	else
		printf("# no /dev/kmsg (%s): kernel reports go unseen\n",
		       strerror(errno));
	return 0;
}

/*
 * The seeds are taken before the large buffers exist: a child's image
 * holds what it inherited.
 */
static int load_seeds(struct fuzz *f)
{
	int k, own, dirs = 0;

	for (k = 0; k < (int)ARRAY_SIZE(seed_kinds); k++)
		make_seed(f, k);
	own = f->nr_corpus;
	if (f->seed_dir)
		dirs += load_dir(f, f->seed_dir);
	if (f->corpus_dir)
		dirs += load_dir(f, f->corpus_dir);
	f->nr_seeds = f->nr_corpus;
	printf("# %d seeds: %d of our own children, %d from %s%s%s\n",
	       f->nr_seeds, own, dirs, f->seed_dir ?: "", f->corpus_dir ? " " : "",
	       f->corpus_dir ?: "");
	return f->nr_seeds ? 0 : -1;
}

/* The fuzzer, as init of its own pid namespace */
static int campaign(struct fuzz *f)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };

	sigaction(SIGALRM, &sa, NULL);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("proc", "/proc", "proc", 0, NULL)) {
		printf("# cannot mount /proc of the new pid namespace: %s\n",
		       strerror(errno));
		return 2;
	}
	f->start_ns = now_ns();
	f->last_leak_ns = f->start_ns;
	if (setup(f) || load_seeds(f))
		return 2;
	f->pcset = calloc(1UL << PCSET_BITS, sizeof(*f->pcset));
	if (!f->pcset)
		return 2;
	kcov_setup(f);
	/* What kmemleak lists already is not ours */
	if (f->leak_every_s)
		leak_scan(f, 1);
	f->leak_armed = true;
	f->findings = 0;
	f->finding_list[0] = '\0';
	fuzz_loop(f);
	if (f->leak_every_s && !f->stopping)
		leak_scan(f, 2);
	write_results(f);
	return f->findings ? 1 : 0;
}

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static pid_t campaign_pid;

static void forward_stop(int sig)
{
	kill(campaign_pid, sig);
}

static void bad_args(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-t SECONDS] [-n EXECS] [-s SEED_DIR] [-c CORPUS_DIR]\n"
		"       [-o FINDINGS_DIR] [-r RESULTS_FILE] [-j] [-p PCS_FILE]\n"
		"       [-T EXEC_TIMEOUT_S] [-L LEAK_SCAN_EVERY_S] [-S RNG_SEED]\n",
		prog);
	exit(2);
}

static void parse_args(struct fuzz *f, int argc, char **argv)
{
	int c;

	f->time_s = 60;
	f->exec_timeout_s = 20;
	f->leak_every_s = 300;
	f->rng = now_ns() | 1;
	while ((c = getopt(argc, argv, "t:n:s:c:o:r:p:jT:L:S:")) != -1) {
		switch (c) {
		case 't':
			f->time_s = atoi(optarg);
			break;
		case 'n':
			f->max_execs = atol(optarg);
			break;
		case 's':
			f->seed_dir = optarg;
			break;
		case 'c':
			f->corpus_dir = optarg;
			break;
		case 'o':
			f->out_dir = optarg;
			break;
		case 'r':
			f->results = optarg;
			break;
		case 'p':
			f->pcs_path = optarg;
			break;
		case 'j':
			f->json = true;
			break;
		case 'T':
			f->exec_timeout_s = atoi(optarg);
			break;
		case 'L':
			f->leak_every_s = atoi(optarg);
			break;
		case 'S':
			f->rng = strtoull(optarg, NULL, 0) | 1;
			break;
		default:
			bad_args(argv[0]);
		}
	}
	if (optind != argc || f->exec_timeout_s <= 0)
		bad_args(argv[0]);
}

/*
 * The fuzzer says its status through a pipe before it exits: if a task
 * hangs in the kernel, the end of its pid namespace waits for it forever.
 */
static int wait_campaign(int rfd)
{
	unsigned char rc;
	int status;
	ssize_t n;

	do
		n = read(rfd, &rc, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		return rc;
	while (waitpid(campaign_pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status)) {
		printf("# the fuzzer died of signal %d\n", WTERMSIG(status));
		return 2;
	}
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	static struct fuzz fuzz;
	struct sigaction sa = { .sa_handler = on_stop };
	unsigned char rc;
	int pfd[2];

	parse_args(&fuzz, argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pipe2(pfd, O_CLOEXEC))
		return 2;
	if (unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
		    CLONE_NEWNET)) {
		printf("# unshare: %s (needs CAP_SYS_ADMIN)\n", strerror(errno));
		return 2;
	}
	campaign_pid = fork();
	if (campaign_pid < 0)
		return 2;
	if (!campaign_pid) {
		close(pfd[0]);
		status_fd = pfd[1];
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		rc = campaign(&fuzz);
		fflush(NULL);
		if (write(status_fd, &rc, 1) != 1)
			_exit(2);
		_exit(rc);
	}
	close(pfd[1]);
	sa.sa_handler = forward_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return wait_campaign(pfd[0]);
}
