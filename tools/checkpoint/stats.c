// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: the kernel's figures of a checkpoint or restart (stats.h), read
 * from its log and written as JSON or as one line for a person.
 *
 * The lines read, each at the start of a line of the log:
 *
 *   mm: N pages saved[, M shared]          once per MM saved
 *   mm: V mappings, N pages restored[, ...]  once per MM restored
 *   stats: key=value ...                   once, near the end
 *   checkpoint of N task(s) complete: X bytes, R records, F us frozen
 *   restart of N task(s) complete: X bytes, R records
 *
 * A key of the "stats:" line that we do not know is ignored, one that is
 * missing stays unknown: a kernel may add figures, and an older one has
 * no such line at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt.h"
#include "stats.h"

/* Longer lines are none of ours: the kernel's are at most 255 bytes */
#define CKPT_STATS_LINE_MAX	512

static const struct {
	const char *name;
	bool kernel;		/* a key of the "stats:" line */
} ckpt_stat_desc[CKPT_STAT_NR] = {
#define __CKPT_STAT_DESC(id, n, k) [CKPT_STAT_##id] = { .name = #n, .kernel = k },
	CKPT_STATS(__CKPT_STAT_DESC)
#undef __CKPT_STAT_DESC
};

void ckpt_stats_init(struct ckpt_stats *s)
{
	memset(s, 0, sizeof(*s));
}

/* A decimal number that is all of [s, end): true and *v, or false */
static bool ckpt_stats_number(const char *s, const char *end, uint64_t *v)
{
	uint64_t n = 0;
	const char *p;

	if (s == end)
		return false;
	for (p = s; p < end; p++) {
		if (*p < '0' || *p > '9' || n > (UINT64_MAX - (*p - '0')) / 10)
			return false;
		n = n * 10 + (*p - '0');
	}
	*v = n;
	return true;
}

/* "stats: key=value key=value ...": the keys we know, the rest ignored */
static void ckpt_stats_parse_kv(struct ckpt_stats *s, const char *p)
{
	const char *tok, *eq, *end;
	uint64_t v;
	int i;

	s->stats_line = true;
	for (;;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		tok = p;
		end = tok + strcspn(tok, " \t");
		p = end;
		eq = memchr(tok, '=', end - tok);
		if (!eq || !ckpt_stats_number(eq + 1, end, &v))
			continue;
		for (i = 0; i < CKPT_STAT_NR; i++) {
			if (ckpt_stat_desc[i].kernel &&
			    strlen(ckpt_stat_desc[i].name) == (size_t)(eq - tok) &&
			    !memcmp(ckpt_stat_desc[i].name, tok, eq - tok)) {
				ckpt_stat_set(s, i, v);
				break;
			}
		}
	}
}

/*
 * "checkpoint of N task(s) complete: X bytes, R records, F us frozen", or
 * "restart of N task(s) complete: X bytes, R records", from N on
 */
static void ckpt_stats_parse_complete(struct ckpt_stats *s, const char *from)
{
	unsigned long long tasks, bytes, records, frozen;
	int n;

	n = sscanf(from, "%llu task(s) complete: %llu bytes, %llu records, %llu us frozen",
		   &tasks, &bytes, &records, &frozen);
	if (n < 3)
		return;
	ckpt_stat_set(s, CKPT_STAT_TASKS, tasks);
	ckpt_stat_set(s, CKPT_STAT_IMAGE_BYTES, bytes);
	ckpt_stat_set(s, CKPT_STAT_RECORDS, records);
	if (n == 4)
		ckpt_stat_set(s, CKPT_STAT_FROZEN_US, frozen);
}

/* One line of the kernel's log, without its newline */
void ckpt_stats_parse_line(struct ckpt_stats *s, const char *line)
{
	unsigned long long a, b;
	int n = 0;

	if (!strncmp(line, "stats:", 6)) {
		ckpt_stats_parse_kv(s, line + 6);
	} else if (sscanf(line, "mm: %llu pages saved%n", &a, &n) == 1 && n) {
		s->mm_saved_seen = true;
		s->mm_saved += a;
		if (sscanf(line + n, ", %llu shared", &b) == 1) {
			s->mm_shared_seen = true;
			s->mm_shared += b;
		}
	} else if (sscanf(line, "mm: %*u mappings, %llu pages restored%n", &a, &n) == 1 && n) {
		s->mm_restored_seen = true;
		s->mm_restored += a;
	} else if (!strncmp(line, "checkpoint of ", 14)) {
		ckpt_stats_parse_complete(s, line + 14);
	} else if (!strncmp(line, "restart of ", 11)) {
		ckpt_stats_parse_complete(s, line + 11);
	}
}

/*
 * Once every line is parsed.  A kernel without the "stats:" line still
 * says per MM how many pages it wrote to the image or restored from it
 * (and how many more it wrote as references to another MM's, shared
 * copy-on-write, if it can): their sums.
 */
void ckpt_stats_finish(struct ckpt_stats *s)
{
	if (s->stats_line)
		return;
	if (s->mm_saved_seen)
		ckpt_stat_set(s, CKPT_STAT_PAGES_WRITTEN, s->mm_saved);
	if (s->mm_shared_seen)
		ckpt_stat_set(s, CKPT_STAT_PAGES_COW, s->mm_shared);
	if (s->mm_restored_seen)
		ckpt_stat_set(s, CKPT_STAT_PAGES_RESTORED, s->mm_restored);
}

/*
 * The log in fd (a regular file or a memfd), from offset from on, line by
 * line: 0, or -errno.  ckpt_stats_finish() is called.
 */
int ckpt_stats_read_log(int fd, off_t from, struct ckpt_stats *s)
{
	char buf[4096], line[CKPT_STATS_LINE_MAX];
	bool skip = false;
	size_t used = 0;
	ssize_t n, i;

	while ((n = pread(fd, buf, sizeof(buf), from)) > 0) {
		from += n;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (used < sizeof(line) - 1)
					line[used++] = buf[i];
				else
					skip = true;
				continue;
			}
			line[used] = '\0';
			if (!skip)
				ckpt_stats_parse_line(s, line);
			used = 0;
			skip = false;
		}
	}
	/* The kernel ends each line: a last one without is cut short */
	ckpt_stats_finish(s);
	return n < 0 ? -errno : 0;
}

/* One JSON object on one line, with the figures known: 0, or -1 */
int ckpt_stats_write_json(FILE *f, const struct ckpt_stats *s)
{
	const char *sep = "";
	int i;

	fputc('{', f);
	for (i = 0; i < CKPT_STAT_NR; i++) {
		if (!ckpt_stat_has(s, i))
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, sep, ckpt_stat_desc[i].name, s->val[i]);
		sep = ",";
	}
	fputs("}\n", f);
	return ferror(f) ? -1 : 0;
}

/* "512 B", "12.3 MiB", "1.00 GiB": three digits or so */
const char *ckpt_stats_size(char *buf, size_t len, uint64_t bytes)
{
	static const char * const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	while (v >= 1024 && u < (int)ARRAY_SIZE(units) - 1) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

/* "45 ms", "5.6 s", "83 s" */
const char *ckpt_stats_time(char *buf, size_t len, uint64_t us)
{
	if (us < 1000000)
		snprintf(buf, len, "%" PRIu64 " ms", (us + 500) / 1000);
	else if (us < 10000000)
		snprintf(buf, len, "%.1f s", us / 1e6);
	else
		snprintf(buf, len, "%.0f s", us / 1e6);
	return buf;
}

/* "checkpoint: 1.00 GiB in 5.6 s (183 MiB/s), frozen 5.6 s", what is known of it */
void ckpt_stats_summary(char *buf, size_t len, const char *cmd, const struct ckpt_stats *s)
{
	char size[32], t[32], rate[32];
	uint64_t wall = s->val[CKPT_STAT_WALL_US];
	size_t at;

	at = snprintf(buf, len, "%s:", cmd);
	if (ckpt_stat_has(s, CKPT_STAT_IMAGE_BYTES) && at < len)
		at += snprintf(buf + at, len - at, " %s",
			       ckpt_stats_size(size, sizeof(size), s->val[CKPT_STAT_IMAGE_BYTES]));
	if (ckpt_stat_has(s, CKPT_STAT_WALL_US) && at < len)
		at += snprintf(buf + at, len - at, " in %s",
			       ckpt_stats_time(t, sizeof(t), wall));
	if (ckpt_stat_has(s, CKPT_STAT_IMAGE_BYTES) && ckpt_stat_has(s, CKPT_STAT_WALL_US) &&
	    wall && at < len)
		at += snprintf(buf + at, len - at, " (%s/s)",
			       ckpt_stats_size(rate, sizeof(rate),
					       s->val[CKPT_STAT_IMAGE_BYTES] * 1e6 / wall));
	if (ckpt_stat_has(s, CKPT_STAT_FROZEN_US) && at < len)
		snprintf(buf + at, len - at, ", frozen %s",
			 ckpt_stats_time(t, sizeof(t), s->val[CKPT_STAT_FROZEN_US]));
}

uint64_t ckpt_elapsed_us(const struct timespec *from)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - from->tv_sec) * 1000000 +
	       (now.tv_nsec - from->tv_nsec) / 1000;
}

/*
 * --stats FILE, made now so that a bad FILE fails before the system call:
 * 0, or -errno.  Its directory is kept open, so that FILE can be removed
 * from it after a chroot (restart --root).
 */
int ckpt_stats_open(struct ckpt_stats_file *sf)
{
	const char *slash;
	char *dir;
	int fd, err;

	sf->f = NULL;
	sf->dir = -1;
	if (!sf->path)
		return 0;
	slash = strrchr(sf->path, '/');
	dir = slash ? strndup(sf->path, slash == sf->path ? 1 : slash - sf->path) : strdup(".");
	if (!dir)
		return -ENOMEM;
	sf->dir = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	err = errno;
	free(dir);
	if (sf->dir < 0)
		return -err;
	fd = open(sf->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0)
		sf->f = fdopen(fd, "w");
	if (!sf->f) {
		err = errno;
		if (fd >= 0)
			close(fd);
		close(sf->dir);
		sf->dir = -1;
		return -err;
	}
	return 0;
}

/* The command failed: remove FILE, if it is still the regular file we made */
static void ckpt_stats_remove(struct ckpt_stats_file *sf)
{
	const char *slash = strrchr(sf->path, '/');
	const char *name = slash ? slash + 1 : sf->path;
	struct stat ours, there;

	if (!fstat(fileno(sf->f), &ours) && S_ISREG(ours.st_mode) &&
	    !fstatat(sf->dir, name, &there, AT_SYMLINK_NOFOLLOW) &&
	    ours.st_dev == there.st_dev && ours.st_ino == there.st_ino)
		unlinkat(sf->dir, name, 0);
}

/*
 * The figures s, or none if the command failed (s NULL): FILE is then
 * removed, as it would say nothing true.  0, or -errno if FILE could not
 * be written.
 */
int ckpt_stats_close(struct ckpt_stats_file *sf, const struct ckpt_stats *s)
{
	int ret = 0;

	if (!sf->f)
		return 0;
	if (!s) {
		ckpt_stats_remove(sf);
	} else {
		errno = 0;
		if (ckpt_stats_write_json(sf->f, s) || fflush(sf->f))
			ret = errno ? -errno : -EIO;
	}
	if (fclose(sf->f) && !ret)
		ret = errno ? -errno : -EIO;
	sf->f = NULL;
	close(sf->dir);
	sf->dir = -1;
	return ret;
}
