// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt migrate: move a process tree to another ckpt over a TCP connection,
 * copying its memory while it runs (pre-copy).
 *
 * Source: ckpt migrate PID --to ADDR:PORT.  Each round is a pre-dump
 * (checkpoint(2) with CHECKPOINT_PREDUMP, incremental after the first):
 * the tree is frozen only while its pages are found and held; they are
 * written into a memfd while it runs, and sent.  Rounds go on while the
 * images shrink, up to --rounds, until one is smaller than --min-kib.  The
 * last image (CHECKPOINT_INCREMENTAL | CHECKPOINT_STOP) is taken frozen and
 * leaves the tree stopped; the tree is killed once the other side has
 * restarted it, and continued (SIGCONT) if that failed: it never runs
 * twice, and it goes on where it was if the other side cannot take it.
 *
 * Destination: ckpt migrate --listen [ADDR:]PORT keeps each image in a
 * file of --dir (default: a new directory in /tmp), restarts the tree from
 * the chain as `ckpt restart --parent` does, tells the source, and then
 * waits for the tree and exits with its status as `ckpt restart` does.
 * With --lazy it merges the chain into one file of --dir instead, with a
 * PAGES_CRC after each PAGES of an MM, and restarts from it with
 * RESTART_LAZY: the tree runs before its memory is in (post-copy).
 *
 * On the wire each image follows a struct migrate_frame; the destination
 * answers the last one with a struct migrate_reply.  Both ends are this
 * program, of the same build: the structures are in host byte order.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/checkpoint.h>

#include "chain.h"
#include "ckpt.h"

#define MIGRATE_MAGIC		"CKPTMIG1"
#define MIGRATE_PREDUMP		1
#define MIGRATE_LAST		2
#define MIGRATE_MAX_ROUNDS	16
#define MIGRATE_MAX_TASKS	4096

struct migrate_frame {
	char magic[8];
	uint32_t kind;		/* MIGRATE_PREDUMP or MIGRATE_LAST */
	uint32_t round;
	uint64_t size;		/* bytes of image that follow */
};

struct migrate_reply {
	char magic[8];
	int32_t err;		/* 0: restarted; else an errno */
	int32_t pid;		/* the restored root, as restart saw it */
	char msg[240];
};

static const char migrate_usage[] =
	"Usage: ckpt migrate PID --to [ADDR:]PORT [--rounds N] [--min-kib K] [-v | --log FILE]\n"
	"       ckpt migrate --listen [ADDR:]PORT [--dir DIR] [-v | --log FILE]\n"
	"                    [--lazy] [-- RESTART-OPTIONS...]\n"
	"\n"
	"Move process PID and its descendants (or the container whose init it is)\n"
	"to the ckpt listening at ADDR:PORT, copying their memory while they run:\n"
	"each round sends the pages written since the last one (checkpoint\n"
	"--predump), until a round is small or stops shrinking; then the tree is\n"
	"frozen, the rest is sent, and the tree is left stopped until the other\n"
	"side says it runs there.  Then it is killed; if the other side failed,\n"
	"it goes on here.\n"
	"\n"
	"  -t, --to ADDR:PORT  where the other ckpt listens (a numeric IPv4 address,\n"
	"                      or [IPv6]; default 127.0.0.1)\n"
	"  -n, --rounds N      at most N rounds before the last (default 4, 1..16)\n"
	"  -k, --min-kib K     stop the rounds once one is under K KiB (default 1024)\n"
	"  -L, --listen [ADDR:]PORT\n"
	"                      receive a tree, restart it (as `ckpt restart`, with\n"
	"                      the RESTART-OPTIONS after --), wait for it and exit\n"
	"                      with its status\n"
	"  -D, --dir DIR       keep the received images in DIR (default: a new\n"
	"                      directory in /tmp, removed at the end)\n"
	"      --lazy          merge the images into one file of DIR, merged.img\n"
	"                      (the others are removed then), and restart from\n"
	"                      it lazily (restart --lazy): the tree runs before\n"
	"                      its memory is in, which is read as it is touched\n"
	"  -v, --verbose       send the kernel's log to standard error\n"
	"  -l, --log FILE      write the kernel's log to FILE\n"
	"  -h, --help          show this help and exit\n";

struct migrate_opts {
	int pid;
	const char *to;
	const char *listen;
	const char *dir;
	const char *log_path;
	bool verbose;
	bool lazy;
	unsigned int rounds;
	unsigned long min_kib;
	int nr_restart_args;
	char **restart_args;
};

static int migrate_parse(int argc, char **argv, struct migrate_opts *o)
{
	static const struct option longopts[] = {
		{ "to",		required_argument, NULL, 't' },
		{ "rounds",	required_argument, NULL, 'n' },
		{ "min-kib",	required_argument, NULL, 'k' },
		{ "listen",	required_argument, NULL, 'L' },
		{ "dir",	required_argument, NULL, 'D' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "log",	required_argument, NULL, 'l' },
		{ "lazy",	no_argument,	   NULL, 'Z' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	o->rounds = 4;
	o->min_kib = 1024;
	while ((c = getopt_long(argc, argv, "t:n:k:L:D:vl:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			o->to = optarg;
			break;
		case 'n':
			o->rounds = strtoul(optarg, &end, 10);
			if (*end || !o->rounds || o->rounds > MIGRATE_MAX_ROUNDS)
				return ckpt_usage_err("migrate", "--rounds takes 1 to 16");
			break;
		case 'k':
			o->min_kib = strtoul(optarg, &end, 10);
			if (*end)
				return ckpt_usage_err("migrate", "--min-kib takes a number");
			break;
		case 'L':
			o->listen = optarg;
			break;
		case 'D':
			o->dir = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'l':
			o->log_path = optarg;
			break;
		case 'Z':
			o->lazy = true;
			break;
		case 'h':
			fputs(migrate_usage, stdout);
			return CKPT_EXIT_OK;
		default:
			return ckpt_usage_err("migrate", NULL);
		}
	}
	if (o->listen) {
		if (o->to)
			return ckpt_usage_err("migrate", "--listen and --to exclude each other");
		o->restart_args = argv + optind;
		o->nr_restart_args = argc - optind;
		return -1;
	}
	if (o->lazy)
		return ckpt_usage_err("migrate", "--lazy is for --listen");
	if (!o->to || optind != argc - 1 || !ckpt_parse_pid(argv[optind], &o->pid))
		return ckpt_usage_err("migrate", "give one PID and --to [ADDR:]PORT");
	return -1;
}

/*
 * [ADDR:]PORT into a socket address: a numeric IPv4 or [IPv6] address (a
 * static ckpt resolves no names), @def if none
 */
static int migrate_resolve(const char *arg, const char *def, struct sockaddr_storage *ss,
			   socklen_t *len)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	const char *colon = strrchr(arg, ':');
	char host[64], *end;
	unsigned long port;
	size_t n;

	port = strtoul(colon ? colon + 1 : arg, &end, 10);
	n = colon ? (size_t)(colon - arg) : 0;
	if (*end || !port || port > 65535 || n >= sizeof(host))
		goto bad;
	snprintf(host, sizeof(host), "%.*s", (int)n, arg);
	if (!n)
		snprintf(host, sizeof(host), "%s", def);
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return 0;
	}
	n = strlen(host);
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1) {
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons(port);
			*len = sizeof(*in6);
			return 0;
		}
	}
bad:
	ckpt_err("migrate: %s: not [ADDR:]PORT with a numeric address", arg);
	return -1;
}

static int64_t migrate_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* --- the source ---------------------------------------------------------- */

/* One image of the tree into a new memfd; returns it, or -1 */
static int migrate_take(const struct migrate_opts *o, struct ckpt_log *log,
			unsigned long flags, uint64_t *size)
{
	int fd, i;
	long ret;

	fd = memfd_create("ckpt-migrate", MFD_CLOEXEC);
	if (fd < 0) {
		ckpt_err("migrate: memfd_create: %s", strerror(errno));
		return -1;
	}
	for (i = 1; ; i++) {
		ckpt_log_mark(log);
		ret = ckpt_sys_checkpoint(o->pid, fd, flags, log->fd);
		if (ret >= 0 || errno != EAGAIN || i == CKPT_EAGAIN_TRIES ||
		    ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET))
			break;
		ckpt_eagain_wait(i);
	}
	if (ret < 0) {
		int err = errno;

		ckpt_log_show(log);
		ckpt_syscall_err("checkpoint", err);
		close(fd);
		return -1;
	}
	*size = lseek(fd, 0, SEEK_END);
	return fd;
}

static int migrate_send(int sk, int fd, uint32_t kind, uint32_t round, uint64_t size)
{
	struct migrate_frame f = { .kind = kind, .round = round, .size = size };
	off_t off = 0;
	ssize_t n;

	memcpy(f.magic, MIGRATE_MAGIC, sizeof(f.magic));
	if (ckpt_write_all(sk, &f, sizeof(f)))
		return -1;
	while ((uint64_t)off < size) {
		n = sendfile(sk, fd, &off, size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
	}
	return 0;
}

static int migrate_connect(const char *to)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int sk;

	if (migrate_resolve(to, "127.0.0.1", &ss, &len))
		return -1;
	sk = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk >= 0 && connect(sk, (struct sockaddr *)&ss, len)) {
		close(sk);
		sk = -1;
	}
	if (sk < 0)
		ckpt_err("migrate: cannot connect to %s: %s", to, strerror(errno));
	return sk;
}

/* The processes of the stopped tree, @pid first: to kill or continue them */
static int migrate_tree(pid_t pid, pid_t *pids, int n, int max)
{
	char path[320], buf[4096];
	struct dirent *d;
	ssize_t len;
	DIR *dir;
	char *p;
	int fd;

	if (n >= max)
		return n;
	pids[n++] = pid;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return n;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", pid, d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[len > 0 ? len : 0] = '\0';
		for (p = strtok(buf, "\t\n "); p; p = strtok(NULL, "\t\n "))
			n = migrate_tree(atoi(p), pids, n, max);
	}
	closedir(dir);
	return n;
}

static void migrate_signal_tree(pid_t pid, int sig)
{
	static pid_t pids[MIGRATE_MAX_TASKS];
	int i, n = migrate_tree(pid, pids, 0, MIGRATE_MAX_TASKS);

	for (i = 0; i < n; i++)
		kill(pids[i], sig);
}

/* The pre-copy rounds; returns how many were sent, or -1 */
static int migrate_rounds(const struct migrate_opts *o, struct ckpt_log *log, int sk)
{
	unsigned long flags = CHECKPOINT_PREDUMP;
	uint64_t size, last = UINT64_MAX;
	unsigned int r;
	int64_t t0;
	int fd;

	for (r = 0; r < o->rounds; r++) {
		t0 = migrate_now_us();
		fd = migrate_take(o, log, flags, &size);
		if (fd < 0)
			return -1;
		if (migrate_send(sk, fd, MIGRATE_PREDUMP, r, size)) {
			ckpt_err("migrate: sending round %u: %s", r, strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
		fprintf(stderr, "ckpt migrate: round %u: %llu KiB in %lld ms\n", r,
			(unsigned long long)size >> 10,
			(long long)(migrate_now_us() - t0) / 1000);
		flags |= CHECKPOINT_INCREMENTAL;
		/* Small enough, or not getting smaller: stop the tree now */
		if (size >> 10 < o->min_kib || (r && size > last - last / 8))
			return r + 1;
		last = size;
	}
	return r;
}

static int migrate_source(const struct migrate_opts *o)
{
	struct migrate_reply reply;
	struct ckpt_log log;
	uint64_t size;
	int sk, fd, rounds, ret = CKPT_EXIT_FAIL;
	int64_t t0;

	if (ckpt_check_kernel("checkpoint") || ckpt_log_open(&log, o->log_path, o->verbose, false))
		return CKPT_EXIT_FAIL;
	sk = migrate_connect(o->to);
	if (sk < 0)
		goto out_log;
	rounds = migrate_rounds(o, &log, sk);
	if (rounds < 0)
		goto out;
	t0 = migrate_now_us();
	fd = migrate_take(o, &log, CHECKPOINT_INCREMENTAL | CHECKPOINT_STOP, &size);
	if (fd < 0)
		goto out;
	if (migrate_send(sk, fd, MIGRATE_LAST, rounds, size) ||
	    ckpt_read_all(sk, &reply, sizeof(reply)) ||
	    memcmp(reply.magic, MIGRATE_MAGIC, sizeof(reply.magic))) {
		ckpt_err("migrate: no answer from %s: %s; the tree goes on here", o->to,
			 strerror(errno));
		reply.err = EIO;
	} else if (reply.err) {
		reply.msg[sizeof(reply.msg) - 1] = '\0';
		ckpt_err("migrate: %s could not restart the tree: %s (%s); it goes on here",
			 o->to, strerror(reply.err), reply.msg);
	}
	close(fd);
	migrate_signal_tree(o->pid, reply.err ? SIGCONT : SIGKILL);
	if (!reply.err) {
		fprintf(stderr,
			"ckpt migrate: last image %llu KiB after %d round(s); downtime %lld ms; pid %d there\n",
			(unsigned long long)size >> 10, rounds,
			(long long)(migrate_now_us() - t0) / 1000, reply.pid);
		ret = CKPT_EXIT_OK;
	}
out:
	close(sk);
out_log:
	ckpt_log_close(&log);
	return ret;
}

/* --- the destination ----------------------------------------------------- */

static int migrate_listen(const char *arg)
{
	struct sockaddr_storage ss;
	int sk, one = 1, conn;
	socklen_t len;

	if (migrate_resolve(arg, "0.0.0.0", &ss, &len))
		return -1;
	sk = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0 || setsockopt(sk, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(sk, (struct sockaddr *)&ss, len) || listen(sk, 1)) {
		ckpt_err("migrate: cannot listen on %s: %s", arg, strerror(errno));
		if (sk >= 0)
			close(sk);
		return -1;
	}
	conn = accept4(sk, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		ckpt_err("migrate: accept: %s", strerror(errno));
	close(sk);
	return conn;
}

/* Receive one image into @path; returns the frame's kind, or -1 */
static int migrate_receive(int sk, const char *path, unsigned int round)
{
	struct migrate_frame f;
	char buf[1 << 16];
	uint64_t left;
	int fd;

	if (ckpt_read_all(sk, &f, sizeof(f))) {
		ckpt_err("migrate: the source left before its last image: %s", strerror(errno));
		return -1;
	}
	if (memcmp(f.magic, MIGRATE_MAGIC, sizeof(f.magic)) || f.round != round ||
	    (f.kind != MIGRATE_PREDUMP && f.kind != MIGRATE_LAST)) {
		ckpt_err("migrate: not a ckpt migrate stream (round %u)", round);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ckpt_err("migrate: %s: %s", path, strerror(errno));
		return -1;
	}
	for (left = f.size; left; left -= sizeof(buf) < left ? sizeof(buf) : left) {
		size_t n = sizeof(buf) < left ? sizeof(buf) : left;

		if (ckpt_read_all(sk, buf, n) || ckpt_write_all(fd, buf, n)) {
			ckpt_err("migrate: receiving round %u: %s", round, strerror(errno));
			close(fd);
			return -1;
		}
	}
	close(fd);
	return f.kind;
}

/* `ckpt restart -d --parent ...` in this process: the tree becomes our child */
/*
 * --lazy: the chain of images merged into @out, with a PAGES_CRC after
 * each PAGES of an MM, so that restart(2) can leave the pages in it
 */
static int migrate_merge(char paths[][PATH_MAX], int n, const char *out)
{
	char *parents[MIGRATE_MAX_ROUNDS + 1];
	struct ckpt_parents c;
	int i, in = -1, fd = -1, ret = -1;

	for (i = 0; i < n - 1; i++)
		parents[i] = paths[i];
	if (ckpt_chain_open(&c, parents, n - 1))
		goto out;
	c.lazy = true;
	in = open(paths[n - 1], O_RDONLY | O_CLOEXEC);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in < 0 || fd < 0)
		snprintf(c.err, sizeof(c.err), "%.400s: %s", in < 0 ? paths[n - 1] : out,
			 strerror(errno));
	else if (!ckpt_chain_check(&c, in, paths[n - 1]) &&
		 !ckpt_chain_merge(&c, in, paths[n - 1], fd))
		ret = 0;
	if (fd >= 0 && close(fd) && !ret) {
		snprintf(c.err, sizeof(c.err), "%.400s: %s", out, strerror(errno));
		ret = -1;
	}
	if (in >= 0)
		close(in);
out:
	if (ret)
		ckpt_err("migrate: merging the images: %s", c.err);
	ckpt_chain_close(&c);
	return ret;
}

/* Restart from the chain of images, or (--lazy) from @merged */
static int migrate_restart(const struct migrate_opts *o, char paths[][PATH_MAX], int n,
			   const char *merged)
{
	char **argv = calloc(2 * n + o->nr_restart_args + 8, sizeof(*argv));
	int argc = 0, i, ret;

	if (!argv)
		return CKPT_EXIT_FAIL;
	argv[argc++] = "restart";
	argv[argc++] = "--detach";
	if (o->verbose)
		argv[argc++] = "--verbose";
	if (o->log_path) {
		argv[argc++] = "--log";
		argv[argc++] = (char *)o->log_path;
	}
	for (i = 0; !merged && i < n - 1; i++) {
		argv[argc++] = "--parent";
		argv[argc++] = paths[i];
	}
	if (merged)
		argv[argc++] = "--lazy";
	for (i = 0; i < o->nr_restart_args; i++)
		argv[argc++] = o->restart_args[i];
	argv[argc++] = merged ? (char *)merged : paths[n - 1];
	fflush(stdout);
	/* getopt starts afresh for restart's options */
	optind = 0;
	ret = cmd_restart(argc, argv);
	free(argv);
	return ret;
}

/* Our child: the restored root */
static pid_t migrate_child(void)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return atoi(buf);
}

static int migrate_wait_tree(void)
{
	int status;
	pid_t pid;

	do {
		pid = waitpid(-1, &status, 0);
	} while (pid < 0 && errno == EINTR);
	if (pid < 0)
		return CKPT_EXIT_FAIL;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int migrate_destination(const struct migrate_opts *o)
{
	static char paths[MIGRATE_MAX_ROUNDS + 1][PATH_MAX], merged[PATH_MAX + 16];
	struct migrate_reply reply = { .err = 0 };
	char tmpdir[] = "/tmp/ckpt-migrate.XXXXXX";
	const char *dir = o->dir;
	int sk, n, i, kind = 0, ret;

	if (!dir)
		dir = mkdtemp(tmpdir);
	if (!dir) {
		ckpt_err("migrate: mkdtemp: %s", strerror(errno));
		return CKPT_EXIT_FAIL;
	}
	sk = migrate_listen(o->listen);
	for (n = 0; sk >= 0 && kind != MIGRATE_LAST && n <= MIGRATE_MAX_ROUNDS; n++) {
		snprintf(paths[n], sizeof(paths[n]), "%s/round-%d.img", dir, n);
		kind = migrate_receive(sk, paths[n], n);
		if (kind < 0)
			break;
	}
	if (sk < 0 || kind != MIGRATE_LAST) {
		ret = CKPT_EXIT_FAIL;
		goto out;
	}
	snprintf(merged, sizeof(merged), "%s/merged.img", dir);
	if (o->lazy && migrate_merge(paths, n, merged)) {
		ret = CKPT_EXIT_FAIL;
	} else {
		/* Merged, the rounds are of no use: their memory back first */
		for (i = 0; o->lazy && i < n; i++)
			unlink(paths[i]);
		ret = migrate_restart(o, paths, n, o->lazy ? merged : NULL);
	}
	memcpy(reply.magic, MIGRATE_MAGIC, sizeof(reply.magic));
	if (ret) {
		reply.err = EIO;
		snprintf(reply.msg, sizeof(reply.msg), "restart failed, status %d", ret);
	} else {
		reply.pid = migrate_child();
	}
	if (ckpt_write_all(sk, &reply, sizeof(reply)))
		ckpt_err("migrate: cannot answer the source: %s", strerror(errno));
out:
	if (sk >= 0)
		close(sk);
	/* A lazy restart holds the merged image: it may go from the directory */
	if (!o->dir && o->lazy)
		unlink(merged);
	while (!o->dir && n-- > 0)
		unlink(paths[n]);
	if (!o->dir)
		rmdir(dir);
	return ret || kind != MIGRATE_LAST ? ret : migrate_wait_tree();
}

int cmd_migrate(int argc, char **argv)
{
	struct migrate_opts o = { 0 };
	struct sockaddr_storage ss;
	socklen_t len;
	int ret = migrate_parse(argc, argv, &o);

	if (ret >= 0)
		return ret;
	if (migrate_resolve(o.listen ?: o.to, "127.0.0.1", &ss, &len))
		return CKPT_EXIT_USAGE;
	return o.listen ? migrate_destination(&o) : migrate_source(&o);
}
