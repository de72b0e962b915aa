// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: how far a checkpoint or restart is, on standard error, while the
 * system call runs (stats.h).
 *
 * A thread of ours wakes every 200 ms and looks from outside: the size of
 * the image file that checkpoint(2) writes, the position in the image
 * that restart(2) reads (/proc/self/fdinfo), against the memory of the
 * tree (/proc) or the size of the image.  It shows nothing in the first
 * second: a short call goes unseen.  With -v and a log kept to be read
 * back, it also copies the kernel's new lines to standard error, whole
 * lines only, so that a line of the log never breaks the progress line.
 * The system call is not interrupted: the thread blocks every signal.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt.h"
#include "stats.h"

#define CKPT_PROGRESS_TICK_NS	200000000L	/* how often the line changes */
#define CKPT_PROGRESS_DELAY_US	1000000U	/* and from when on */
#define CKPT_PROGRESS_LINE	100

bool ckpt_progress_wanted(enum ckpt_progress_mode mode, bool verbose)
{
	if (mode != CKPT_PROGRESS_AUTO)
		return mode == CKPT_PROGRESS_ON;
	/* With -v the log is the progress, and the two lines would mix */
	return !verbose && isatty(STDERR_FILENO);
}

static void ckpt_progress_write(const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(STDERR_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

/* Blanks over the progress line, and the cursor back at its start */
static void ckpt_progress_clear(struct ckpt_progress *p)
{
	char buf[CKPT_PROGRESS_LINE + 2];

	if (!p->shown)
		return;
	buf[0] = '\r';
	memset(buf + 1, ' ', p->shown);
	buf[p->shown + 1] = '\r';
	ckpt_progress_write(buf, p->shown + 2);
	p->shown = 0;
}

/* The line, over the one shown: a terminal without escapes knows \r */
static void ckpt_progress_draw(struct ckpt_progress *p, const char *line)
{
	char buf[CKPT_PROGRESS_LINE + 2];
	size_t len = strlen(line);

	if (len > CKPT_PROGRESS_LINE)
		len = CKPT_PROGRESS_LINE;
	buf[0] = '\r';
	memcpy(buf + 1, line, len);
	if (p->shown > len)
		memset(buf + 1 + len, ' ', p->shown - len);
	ckpt_progress_write(buf, 1 + (p->shown > len ? p->shown : len));
	p->shown = len;
}

/*
 * The kernel's lines written since the last time, to standard error;
 * the last one too if all, else only whole lines.
 */
static void ckpt_progress_tail(struct ckpt_progress *p, bool all)
{
	char buf[4096];
	ssize_t n, len;

	while ((n = pread(p->log->fd, buf, sizeof(buf), p->tailed)) > 0) {
		len = n;
		while (!all && len > 0 && buf[len - 1] != '\n')
			len--;
		if (!len && n < (ssize_t)sizeof(buf))
			return;
		if (!len)
			len = n;	/* no line is that long: copy it as it is */
		ckpt_progress_clear(p);
		ckpt_progress_write(buf, len);
		p->tailed += len;
	}
}

/* "pos:" of our descriptor fd, which the kernel may move as it reads; or -1 */
static off_t ckpt_progress_fd_pos(int fd)
{
	char path[64], buf[256], *at;
	long long pos;
	ssize_t n;
	int info;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	info = open(path, O_RDONLY | O_CLOEXEC);
	if (info < 0)
		return -1;
	n = read(info, buf, sizeof(buf) - 1);
	close(info);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	at = strstr(buf, "pos:");
	if (!at || sscanf(at + 4, "%lld", &pos) != 1)
		return -1;
	return pos;
}

/* What the thread shows at time t (microseconds since the start) */
static void ckpt_progress_line(struct ckpt_progress *p, uint64_t t, char *line, size_t len)
{
	char done[16], of[16], rate[16], at[16];
	uint64_t bytes = 0, total = 0;
	bool sized = false;
	struct stat st;
	off_t pos;

	ckpt_stats_time(at, sizeof(at), t);
	if (!fstat(p->image_fd, &st) && S_ISREG(st.st_mode)) {
		if (p->tree) {
			/* checkpoint(2) writes it, from the start */
			bytes = st.st_size;
			sized = true;
		} else if (st.st_size > p->pos0) {
			total = st.st_size - p->pos0;
			pos = ckpt_progress_fd_pos(p->image_fd);
			/* A kernel that moves the position only at the end: no bytes */
			if (pos > p->pos0) {
				bytes = pos - p->pos0;
				sized = true;
			}
		}
	}
	ckpt_stats_size(of, sizeof(of), p->tree ? p->estimate : total);
	if (!sized) {
		if (p->tree && p->estimate)
			snprintf(line, len, "ckpt: %s: ~%s to write, %s", p->cmd, of, at);
		else if (!p->tree && total)
			snprintf(line, len, "ckpt: %s: %s image, %s", p->cmd, of, at);
		else
			snprintf(line, len, "ckpt: %s: %s", p->cmd, at);
		return;
	}
	ckpt_stats_size(done, sizeof(done), bytes);
	ckpt_stats_size(rate, sizeof(rate), t ? bytes * 1e6 / t : 0);
	/* An estimate passed is no more worth showing */
	if (p->tree && p->estimate && bytes <= p->estimate)
		snprintf(line, len, "ckpt: %s: %s of ~%s, %s/s, %s", p->cmd, done, of, rate, at);
	else if (p->tree)
		snprintf(line, len, "ckpt: %s: %s, %s/s, %s", p->cmd, done, rate, at);
	else
		snprintf(line, len, "ckpt: %s: %s of %s (%u%%), %s/s, %s", p->cmd, done, of,
			 (unsigned int)(bytes < total ? bytes * 100 / total : 100), rate, at);
}

static void ckpt_progress_tick(struct ckpt_progress *p)
{
	char line[CKPT_PROGRESS_LINE + 1];
	uint64_t t;

	if (p->log && p->log->tee)
		ckpt_progress_tail(p, false);
	t = ckpt_elapsed_us(&p->t0);
	if (!p->show || t < CKPT_PROGRESS_DELAY_US)
		return;
	ckpt_progress_line(p, t, line, sizeof(line));
	ckpt_progress_draw(p, line);
}

static void *ckpt_progress_fn(void *arg)
{
	struct ckpt_progress *p = arg;
	struct timespec until;

	if (p->show && p->tree)
		p->estimate = ckpt_tree_memory(p->tree);
	pthread_mutex_lock(&p->lock);
	clock_gettime(CLOCK_MONOTONIC, &until);
	while (!p->stop) {
		until.tv_nsec += CKPT_PROGRESS_TICK_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_nsec -= 1000000000L;
			until.tv_sec++;
		}
		while (!p->stop && pthread_cond_timedwait(&p->cond, &p->lock, &until) != ETIMEDOUT)
			;
		if (p->stop)
			break;
		pthread_mutex_unlock(&p->lock);
		ckpt_progress_tick(p);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/*
 * Before the system call.  Without a thread (none could be made, or
 * nothing to show) ckpt_progress_stop() still copies the log.
 */
void ckpt_progress_start(struct ckpt_progress *p)
{
	pthread_condattr_t attr;
	sigset_t all, old;
	struct stat st;

	p->running = false;
	p->stop = false;
	p->shown = 0;
	p->tailed = 0;
	if (p->log && p->log->tee)
		p->tailed = p->log->start;
	p->estimate = 0;
	p->pos0 = 0;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	if (!p->tree && !fstat(p->image_fd, &st) && S_ISREG(st.st_mode))
		p->pos0 = lseek(p->image_fd, 0, SEEK_CUR);
	if (p->pos0 < 0)
		p->pos0 = 0;
	if (!p->show && !(p->log && p->log->tee))
		return;
	if (pthread_mutex_init(&p->lock, NULL))
		return;
	if (pthread_condattr_init(&attr) ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&p->cond, &attr)) {
		pthread_mutex_destroy(&p->lock);
		return;
	}
	pthread_condattr_destroy(&attr);
	/* Signals are for the thread in the system call: its default action ends it */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	p->running = !pthread_create(&p->thread, NULL, ckpt_progress_fn, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!p->running) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
	}
}

/* Once the system call returned: the rest of the log, and no progress line */
void ckpt_progress_stop(struct ckpt_progress *p)
{
	if (p->running) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
		p->running = false;
	}
	if (p->log && p->log->tee)
		ckpt_progress_tail(p, true);
	ckpt_progress_clear(p);
}

struct ckpt_proc {
	pid_t pid, ppid;
};

/* The parent of pid, from /proc/PID/stat (after the last ')' of comm); or 0 */
static pid_t ckpt_proc_ppid(pid_t pid)
{
	char path[64], buf[512], *at;
	int fd, ppid;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	at = strrchr(buf, ')');
	if (!at || sscanf(at + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

/* Sum the fields of a /proc file that name matches; -1 if it cannot be read */
static int64_t ckpt_proc_sum(pid_t pid, const char *file, const char *const *keys)
{
	char path[64], line[256], key[64];
	unsigned long long kb;
	int64_t sum = -1;
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %llu kB", key, &kb) != 2)
			continue;
		for (i = 0; keys[i]; i++)
			if (!strcmp(key, keys[i]))
				sum = (sum < 0 ? 0 : sum) + (int64_t)kb * 1024;
	}
	fclose(f);
	return sum;
}

/*
 * What checkpoint(2) saves of pid's memory, roughly: its anonymous, shmem
 * and swapped pages, proportionally (pages shared copy-on-write with its
 * parent or children are saved once); without smaps_rollup, all of them.
 */
static uint64_t ckpt_proc_memory(pid_t pid)
{
	static const char *const pss[] = { "Pss_Anon", "Pss_Shmem", "SwapPss", NULL };
	static const char *const rss[] = { "RssAnon", "RssShmem", "VmSwap", NULL };
	int64_t sum = ckpt_proc_sum(pid, "smaps_rollup", pss);

	if (sum < 0)
		sum = ckpt_proc_sum(pid, "status", rss);
	return sum < 0 ? 0 : sum;
}

/*
 * The memory of root and its descendants, as /proc shows it before they
 * are frozen: what the image will be, give or take the pages shared
 * between them and the rest of their state.  0 if unknown.
 */
uint64_t ckpt_tree_memory(pid_t root)
{
	struct ckpt_proc *procs = NULL, *more;
	size_t nr = 0, cap = 0, i, j, done;
	struct dirent *de;
	uint64_t sum = 0;
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (nr == cap) {
			cap = cap ? 2 * cap : 256;
			more = realloc(procs, cap * sizeof(*procs));
			if (!more)
				break;
			procs = more;
		}
		procs[nr].pid = atoi(de->d_name);
		procs[nr].ppid = ckpt_proc_ppid(procs[nr].pid);
		nr++;
	}
	closedir(dir);
	/* Breadth first: procs[0..done) are in the tree, procs[i] the one whose children come */
	for (i = 0; i < nr && procs[i].pid != root; i++)
		;
	if (i < nr) {
		struct ckpt_proc t = procs[0];

		procs[0] = procs[i];
		procs[i] = t;
		done = 1;
		for (i = 0; i < done; i++)
			for (j = done; j < nr; j++)
				if (procs[j].ppid == procs[i].pid) {
					t = procs[done];
					procs[done++] = procs[j];
					procs[j] = t;
				}
		for (i = 0; i < done; i++)
			sum += ckpt_proc_memory(procs[i].pid);
	}
	free(procs);
	return sum;
}
