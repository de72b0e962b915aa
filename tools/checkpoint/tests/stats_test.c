// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of stats.c and progress.c (no checkpoint kernel needed):
 * the kernel's log lines as ckpt reads them, canned; the JSON object of
 * --stats; the summary line; and the progress line and the copy of the
 * log (-v) as a terminal would show them, while this program stands in
 * for the system call, writing an image or reading one.
 *
 *   stats-test
 *
 * Prints one line per test: "PASS: name" or "FAIL: name: why" (tests/run.sh
 * turns them into TAP); exits 1 if one failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ckpt.h"
#include "stats.h"
#include "result.h"

static char tmp[32] = "/tmp/stats-test.XXXXXX";

static const char *path_in(const char *name)
{
	static char buf[2][512];
	static int i;

	i = (i + 1) % 2;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, name);
	return buf[i];
}

/* The JSON object of s, in a static buffer */
static const char *json_of(const struct ckpt_stats *s)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	buf[0] = '\0';
	if (!f)
		return buf;
	ckpt_stats_write_json(f, s);
	fclose(f);
	return buf;
}

/* A log as the kernel writes it: lines of a failed try, then of the last */
static const char checkpoint_log[] =
	"froze 2 task(s)\n"
	"mm: 999 pages saved, 9 shared\n"
	"error: the address space changed during checkpoint\n"
	"error: checkpoint failed with errno 11\n"
	"froze 2 task(s)\n"
	"mm: 200 pages saved, 8 shared\n"
	"task 41 (a) saved\n"
	"mm: 48 pages saved, 0 shared\n"
	"task 42 (b) saved\n"
	"stats: memory_us=4200 pages_scanned=300 pages_written=248 pages_cow=8 pages_skipped=44 pages_future=1 pages_restored=x bare\n"
	"checkpoint of 2 task(s) complete: 1056768 bytes, 61 records, 5000 us frozen\n";

/* s, from the lines of a log (up to NULL) */
static void parse(struct ckpt_stats *s, const char *const *lines)
{
	ckpt_stats_init(s);
	for (; *lines; lines++)
		ckpt_stats_parse_line(s, *lines);
	ckpt_stats_finish(s);
}

/* The JSON object of s is want */
static void json_result(const struct ckpt_stats *s, const char *name, const char *want)
{
	const char *j = json_of(s);

	result(!strcmp(j, want), name, "%s", j);
}

static const char *const old_checkpoint[] = {
	"mm: 17 pages saved",
	"mm: 3 pages saved",
	"checkpoint of 1 task(s) complete: 77184 bytes, 35 records, 6529 us frozen",
	NULL
};

static const char *const mm_shared[] = {
	"mm: 100 pages saved, 30 shared",
	"mm: 1 pages saved, 2 shared",
	NULL
};

static const char *const old_restart[] = {
	"mm: 12 mappings, 300 pages restored",
	"mm: 3 mappings, 20 pages restored, 4 shared, 1 copied from another",
	"restart of 2 task(s) complete: 1056768 bytes, 61 records",
	NULL
};

static const char *const restart_log[] = {
	"image of 2 task(s) from kernel 6.12.0",
	"mm: 3 mappings, 20 pages restored, 4 shared, 1 copied from another",
	"stats: memory_us=31 pages_restored=248 pages_cow=8 pages_cow_copied=2",
	"restart of 2 task(s) complete: 1056768 bytes, 61 records",
	NULL
};

static const char *const not_ours[] = {
	"  stats: memory_us=1",
	"task 1 (stats: memory_us=2) saved",
	"stats: memory_us=99999999999999999999 pages_written=-1 pages_cow=1x",
	"stats:pages_scanned=7\tpages_skipped=8",
	"checkpoint of 1 task(s) complete: 9 bytes",
	"restart of 1 task(s)",
	NULL
};

static const char *const not_kernel_keys[] = {
	"stats: tasks=5 wall_us=1 pid=3 tries=2",
	NULL
};

static void test_parse(void)
{
	const char *second = strstr(checkpoint_log, "froze 2 task(s)\nmm: 200");
	struct ckpt_stats s;
	int fd, ret;

	fd = memfd_create("log", 0);
	if (fd < 0 || write(fd, checkpoint_log, strlen(checkpoint_log)) < 0) {
		result(false, "parse: a log in a memfd", "%s", strerror(errno));
		return;
	}
	ckpt_stats_init(&s);
	ret = ckpt_stats_read_log(fd, second - checkpoint_log, &s);
	result(!ret, "parse: a log read back from a memfd", "%d", ret);
	json_result(&s, "parse: a checkpoint's log from the last try on, unknown keys ignored",
		    "{\"tasks\":2,\"image_bytes\":1056768,\"records\":61,\"frozen_us\":5000,\"memory_us\":4200,\"pages_scanned\":300,\"pages_written\":248,\"pages_cow\":8,\"pages_skipped\":44}\n");

	/* The whole log: the stats line wins over the mm lines, whatever try they are of */
	ckpt_stats_init(&s);
	ckpt_stats_read_log(fd, 0, &s);
	result(s.val[CKPT_STAT_PAGES_WRITTEN] == 248 && s.mm_saved == 1247,
	       "parse: the stats line is taken over the mm lines", "%s", json_of(&s));
	close(fd);

	parse(&s, old_checkpoint);
	json_result(&s, "parse: an older kernel's log: pages written from its mm lines, no more",
		    "{\"tasks\":1,\"image_bytes\":77184,\"records\":35,\"frozen_us\":6529,\"pages_written\":20}\n");
	parse(&s, mm_shared);
	json_result(&s, "parse: mm lines without a stats line: pages written and shared",
		    "{\"pages_written\":101,\"pages_cow\":32}\n");
	parse(&s, old_restart);
	json_result(&s, "parse: a restart's mm lines without a stats line: pages restored",
		    "{\"tasks\":2,\"image_bytes\":1056768,\"records\":61,\"pages_restored\":320}\n");
	parse(&s, restart_log);
	json_result(&s, "parse: a restart's log",
		    "{\"tasks\":2,\"image_bytes\":1056768,\"records\":61,\"memory_us\":31,\"pages_restored\":248,\"pages_cow\":8,\"pages_cow_copied\":2}\n");
	parse(&s, not_ours);
	json_result(&s, "parse: only whole lines that start so, and numbers that fit",
		    "{\"pages_scanned\":7,\"pages_skipped\":8}\n");
	parse(&s, not_kernel_keys);
	json_result(&s, "parse: the stats line cannot set ckpt's own figures", "{}\n");
}

static void test_format(void)
{
	struct ckpt_stats s;
	char buf[160];

	ckpt_stats_init(&s);
	ckpt_stat_set(&s, CKPT_STAT_IMAGE_BYTES, 1ULL << 30);
	ckpt_stat_set(&s, CKPT_STAT_WALL_US, 5600000);
	ckpt_stat_set(&s, CKPT_STAT_FROZEN_US, 5500000);
	ckpt_stats_summary(buf, sizeof(buf), "checkpoint", &s);
	result(!strcmp(buf, "checkpoint: 1.00 GiB in 5.6 s (183 MiB/s), frozen 5.5 s"),
	       "summary: size, time, rate and time frozen", "%s", buf);

	ckpt_stats_init(&s);
	ckpt_stat_set(&s, CKPT_STAT_IMAGE_BYTES, 77184);
	ckpt_stat_set(&s, CKPT_STAT_WALL_US, 7599);
	ckpt_stats_summary(buf, sizeof(buf), "restart", &s);
	result(!strcmp(buf, "restart: 75.4 KiB in 8 ms (9.69 MiB/s)"),
	       "summary: a short restart, no time frozen", "%s", buf);

	ckpt_stats_init(&s);
	ckpt_stats_summary(buf, sizeof(buf), "checkpoint", &s);
	result(!strcmp(buf, "checkpoint:"), "summary: nothing known", "%s", buf);

	ckpt_stats_size(buf, sizeof(buf), 1023);
	result(!strcmp(buf, "1023 B"), "size: bytes below 1 KiB", "%s", buf);
	ckpt_stats_size(buf, sizeof(buf), 500ULL << 20);
	result(!strcmp(buf, "500 MiB"), "size: three digits", "%s", buf);
	ckpt_stats_size(buf, sizeof(buf), UINT64_MAX);
	result(!strcmp(buf, "16777216 TiB"), "size: the largest", "%s", buf);
	ckpt_stats_time(buf, sizeof(buf), 83400000);
	result(!strcmp(buf, "83 s"), "time: seconds", "%s", buf);
}

static void test_stats_file(void)
{
	struct ckpt_stats_file sf = { .path = path_in("stats.json") };
	struct ckpt_stats s;
	char buf[256] = "";
	struct stat st;
	int ret, fd;

	ret = ckpt_stats_open(&sf);
	result(!ret && !stat(sf.path, &st), "--stats FILE: made before the system call", "%d", ret);
	ckpt_stats_close(&sf, NULL);
	result(stat(sf.path, &st) && errno == ENOENT,
	       "--stats FILE: removed when the command failed", "");

	ckpt_stats_init(&s);
	ckpt_stat_set(&s, CKPT_STAT_PID, 4242);
	ckpt_stat_set(&s, CKPT_STAT_WALL_US, 12);
	ret = ckpt_stats_open(&sf) ?: ckpt_stats_close(&sf, &s);
	fd = open(sf.path, O_RDONLY);
	if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	if (fd >= 0)
		close(fd);
	result(!ret && !strcmp(buf, "{\"pid\":4242,\"wall_us\":12}\n"),
	       "--stats FILE: one JSON object on one line", "%d %s", ret, buf);

	/* Removed from where it was made, though we moved (restart --root) */
	mkdir(path_in("a"), 0700);
	mkdir(path_in("b"), 0700);
	fd = open(path_in("b/stats.json"), O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		close(fd);
	sf.path = "stats.json";
	ret = chdir(path_in("a")) ?: ckpt_stats_open(&sf) ?: chdir(path_in("b"));
	ckpt_stats_close(&sf, NULL);
	result(!ret && stat(path_in("a/stats.json"), &st) && !stat(path_in("b/stats.json"), &st),
	       "--stats FILE: removed from its directory, not from where we are", "%d", ret);
	if (chdir("/"))
		ret = -1;

	sf.path = path_in("missing/stats.json");
	ret = ckpt_stats_open(&sf);
	result(ret == -ENOENT, "--stats FILE: an error is -errno", "%d", ret);
	sf.path = "/dev/full";
	ret = ckpt_stats_open(&sf) ?: ckpt_stats_close(&sf, &s);
	result(ret == -ENOSPC, "--stats FILE: a failed write is said", "%d", ret);
}

/*
 * What a terminal shows of out: '\r' goes back to the start of the line,
 * what follows overwrites it.  The screen's lines, '\n' after each.
 */
static char *screen_of(const char *out, size_t len)
{
	char *screen = calloc(1, 2 * len + 2);
	size_t line = 0, col = 0, end = 0, i;

	for (i = 0; screen && i < len; i++) {
		if (out[i] == '\r') {
			col = 0;
		} else if (out[i] == '\n') {
			screen[line + end] = '\n';
			line += end + 1;
			col = 0;
			end = 0;
		} else {
			screen[line + col++] = out[i];
			if (col > end)
				end = col;
		}
	}
	return screen;
}

/* Trailing blanks, as a terminal shows none */
static void strip_blanks(char *screen)
{
	char *r = screen, *w = screen, *last = screen;

	for (; *r; r++) {
		if (*r == '\n') {
			w = last;
			*w++ = '\n';
			last = w;
			continue;
		}
		*w++ = *r;
		if (*r != ' ')
			last = w;
	}
	*last = '\0';
}

struct captured {
	int saved;
	int fd;
};

static void capture_stderr(struct captured *c)
{
	fflush(stderr);
	c->fd = open(path_in("stderr"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	c->saved = dup(STDERR_FILENO);
	dup2(c->fd, STDERR_FILENO);
}

/* What went to standard error, in a buffer to free */
static char *captured(struct captured *c, size_t *len)
{
	struct stat st;
	char *buf;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	fstat(c->fd, &st);
	buf = calloc(1, st.st_size + 1);
	if (buf && pread(c->fd, buf, st.st_size, 0) != st.st_size)
		buf[0] = '\0';
	close(c->fd);
	*len = buf ? strlen(buf) : 0;
	return buf;
}

/* Memory of ours that the estimate of a checkpoint of us counts */
char ballast[8 << 20];

/* The estimate in the first "KiB of ~N MiB" of out, in bytes; 0 if none */
static double estimate_shown(const char *out)
{
	const char *at = strstr(out, " KiB of ~");
	char unit[4];
	double v;

	if (!at || sscanf(at + 9, "%lf %3s", &v, unit) != 2)
		return 0;
	if (!strcmp(unit, "MiB"))
		return v * (1 << 20);
	return !strcmp(unit, "GiB") ? v * (1 << 30) : 0;
}

/*
 * 1.5 s of a checkpoint(2) of us as this thread plays it: the image grows
 * by 64 KiB and the log by a line every 100 ms; the last line is cut short.
 */
static void test_progress_checkpoint(void)
{
	static char chunk[64 << 10];
	struct ckpt_log log = { .tee = true, .readable = true };
	struct ckpt_progress p = { 0 };
	struct captured cap;
	char *out, *screen, line[32];
	bool lines_ok = true;
	size_t len;
	int i, img;

	memset(ballast, 1, sizeof(ballast));
	img = open(path_in("ckpt.img"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	log.fd = memfd_create("log", 0);
	p.cmd = "checkpoint";
	p.image_fd = img;
	p.tree = getpid();
	p.show = true;
	p.log = &log;
	capture_stderr(&cap);
	ckpt_progress_start(&p);
	for (i = 0; i < 15; i++) {
		if (write(img, chunk, sizeof(chunk)) < 0 ||
		    dprintf(log.fd, "line %d\n", i) < 0)
			break;
		usleep(100000);
	}
	if (dprintf(log.fd, "cut") < 0)
		lines_ok = false;
	ckpt_progress_stop(&p);
	out = captured(&cap, &len);
	close(img);
	close(log.fd);
	if (!out)
		return;
	result(strstr(out, "\rckpt: checkpoint: ") && estimate_shown(out) >= sizeof(ballast) &&
	       strstr(out, "/s, 1."),
	       "progress: checkpoint: bytes of the estimate, the rate, the time", "%s", out);
	result(!strncmp(out, "line 0\n", 7), "progress: nothing shown in the first second", "%s",
	       out);
	screen = screen_of(out, len);
	strip_blanks(screen);
	for (i = 0; i < 15; i++) {
		snprintf(line, sizeof(line), "line %d\n", i);
		if (!strstr(screen, line))
			lines_ok = false;
	}
	result(lines_ok && !strstr(screen, "ckpt:") && len > 5 && !strcmp(out + len - 3, "cut"),
	       "progress: -v: the log's lines whole, the progress line gone at the end",
	       "%s", screen);
	free(screen);
	free(out);
}

/*
 * A restart(2) that reads 1 MiB in 1.5 s: with read(), which moves the
 * position, then with pread(), as a kernel that moves it only at the end.
 */
static void test_progress_restart(bool moving)
{
	static char chunk[64 << 10];
	struct ckpt_progress p = { 0 };
	struct captured cap;
	size_t len;
	char *out;
	int i, img;

	img = open(path_in("restart.img"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (i = 0; i < 16; i++)
		if (write(img, chunk, sizeof(chunk)) < 0)
			break;
	lseek(img, 0, SEEK_SET);
	p.cmd = "restart";
	p.image_fd = img;
	p.show = true;
	capture_stderr(&cap);
	ckpt_progress_start(&p);
	for (i = 0; i < 15; i++) {
		if ((moving ? read(img, chunk, sizeof(chunk)) :
			      pread(img, chunk, sizeof(chunk), i * sizeof(chunk))) < 0)
			break;
		usleep(100000);
	}
	ckpt_progress_stop(&p);
	out = captured(&cap, &len);
	close(img);
	if (!out)
		return;
	if (moving)
		result(strstr(out, "\rckpt: restart: ") && strstr(out, "KiB of 1.00 MiB (") &&
		       strstr(out, "%), ") && len > 2 && !strcmp(out + len - 1, "\r"),
		       "progress: restart: the position in the image, of its size", "%s", out);
	else
		result(strstr(out, "\rckpt: restart: 1.00 MiB image, 1.") && !strstr(out, " of "),
		       "progress: restart: a position that does not move: the size and the time",
		       "%s", out);
	free(out);
}

static void test_tree_memory(void)
{
	size_t big = 16 << 20;
	uint64_t self, tree, child;
	int ready[2];
	char c;
	pid_t pid;

	self = ckpt_tree_memory(getpid());
	if (pipe(ready))
		return;
	pid = fork();
	if (!pid) {
		char *m = malloc(big);

		/* Its last byte says it is ready: the pages are used */
		if (!m || !memset(m, 1, big) || write(ready[1], m + big - 1, 1) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(ready[0], &c, 1) != 1)
		c = 0;
	tree = ckpt_tree_memory(getpid());
	child = ckpt_tree_memory(pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ready[0]);
	close(ready[1]);
	result(self > 0 && child >= big && tree >= child && tree - child >= self / 2,
	       "estimate: the memory of a process and its children, from /proc",
	       "self %llu, child %llu, tree %llu", (unsigned long long)self,
	       (unsigned long long)child, (unsigned long long)tree);
	result(!ckpt_tree_memory(0x7fffffff), "estimate: 0 for no such process", "");
}

static void test_wanted(void)
{
	bool tty = isatty(STDERR_FILENO);

	result(ckpt_progress_wanted(CKPT_PROGRESS_ON, true) &&
	       !ckpt_progress_wanted(CKPT_PROGRESS_OFF, false) &&
	       !ckpt_progress_wanted(CKPT_PROGRESS_AUTO, true) &&
	       ckpt_progress_wanted(CKPT_PROGRESS_AUTO, false) == tty,
	       "progress: --progress, --no-progress, and by default on a terminal without -v", "");
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(tmp))
		return 2;
	alarm(60);
	test_parse();
	test_format();
	test_stats_file();
	test_wanted();
	test_tree_memory();
	test_progress_checkpoint();
	test_progress_restart(true);
	test_progress_restart(false);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		return 2;
	return failed ? 1 : 0;
}
