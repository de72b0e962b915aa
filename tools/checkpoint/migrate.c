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
 * leaves the tree stopped, its TCP connections held: what their peers
 * send is dropped, not acknowledged, and nothing is sent.  Once the other
 * side has restarted the tree, a last checkpoint(2) into /dev/null with
 * CHECKPOINT_INCREMENTAL | CHECKPOINT_KILL kills it, its connections
 * closed in repair mode: no FIN, no reset reaches the peers, which go on
 * with the copy (SIGKILL if that fails).  If the other side failed, one
 * with CHECKPOINT_INCREMENTAL alone lets the connections go, and the tree
 * is continued (SIGCONT): it never runs twice, and it goes on where it
 * was if the other side cannot take it.
 *
 * With --addr ADDR/PREFIX@DEV (netaddr.c), the tree's addresses move with
 * it: the destination adds them to its DEV before restart(2) and, once
 * the tree runs, announces them on the link (gratuitous ARP, unsolicited
 * neighbour advertisement), so that the peers of its connections send to
 * the new host; the source deletes them from its DEV after the kill.
 *
 * Destination: ckpt migrate --listen [ADDR:]PORT keeps each image in a
 * file of --dir (default: a new directory in /tmp), and indexes each
 * pre-dump as it arrives (the CRCs of its pages found, its TRAILER's
 * checked), while the source takes the next.  After the last image it
 * merges the chain by reference into merged.img (ckpt merge --refs:
 * PAGES_FILE records naming the pages in the round files, no page
 * copied), restarts the tree from it, with the round files as
 * CKPT_EXT_PAGES externals, tells the source, and then waits for the tree
 * and exits with its status as `ckpt restart` does.  With --lazy the
 * restart is lazy (RESTART_LAZY): the tree runs before its memory is in
 * (post-copy), which restart(2) reads from the round files as it is
 * touched; they are unlinked once it has them open.
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
#include "netaddr.h"

#define MIGRATE_MAGIC		"CKPTMIG1"
#define MIGRATE_PREDUMP		1
#define MIGRATE_LAST		2
#define MIGRATE_MAX_ROUNDS	16
#define MIGRATE_MAX_TASKS	4096
#define MIGRATE_MAX_ADDRS	8

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
	"Usage: ckpt migrate PID --to [ADDR:]PORT [--rounds N] [--min-kib K]\n"
	"                    [--addr ADDR/PREFIX@DEV]... [-v | --log FILE]\n"
	"       ckpt migrate --listen [ADDR:]PORT [--dir DIR] [-v | --log FILE]\n"
	"                    [--lazy] [--addr ADDR/PREFIX@DEV]... [-- RESTART-OPTIONS...]\n"
	"\n"
	"Move process PID and its descendants (or the container whose init it is)\n"
	"to the ckpt listening at ADDR:PORT, copying their memory while they run:\n"
	"each round sends the pages written since the last one (checkpoint\n"
	"--predump), until a round is small or stops shrinking; then the tree is\n"
	"frozen, the rest is sent, and the tree is left stopped until the other\n"
	"side says it runs there.  Then it is killed, its TCP connections closed\n"
	"silently (their peers go on with the copy); if the other side failed,\n"
	"it goes on here.\n"
	"\n"
	"  -t, --to ADDR:PORT  where the other ckpt listens (a numeric IPv4 address,\n"
	"                      or [IPv6]; default 127.0.0.1)\n"
	"  -n, --rounds N      at most N rounds before the last (default 8, 1..16)\n"
	"  -k, --min-kib K     stop the rounds once one is under K KiB (default 1024)\n"
	"  -L, --listen [ADDR:]PORT\n"
	"                      receive a tree, restart it (as `ckpt restart\n"
	"                      --parent`, the images merged by reference into\n"
	"                      DIR/merged.img; with the RESTART-OPTIONS after --),\n"
	"                      wait for it and exit with its status\n"
	"  -D, --dir DIR       keep the received images in DIR (default: a new\n"
	"                      directory in /tmp, removed at the end)\n"
	"      --lazy          restart lazily (restart --lazy): the tree runs\n"
	"                      before its memory is in, which is read from the\n"
	"                      received images as it is touched (they are\n"
	"                      removed from DIR once restart(2) holds them;\n"
	"                      DIR/merged.img names their pages)\n"
	"      --addr ADDR/PREFIX@DEV\n"
	"                      an address of the tree (IPv4 or IPv6), which moves\n"
	"                      with it: the destination adds it to its DEV before\n"
	"                      the restart and announces it once the tree runs\n"
	"                      (gratuitous ARP, unsolicited neighbour advertisement);\n"
	"                      the source deletes it from its DEV after the kill\n"
	"                      (up to 8, on both sides)\n"
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
	int nr_addrs;
	struct ckpt_netaddr addrs[MIGRATE_MAX_ADDRS];
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
		{ "addr",	required_argument, NULL, 'A' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	o->rounds = 8;
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
		case 'A':
			if (o->nr_addrs == MIGRATE_MAX_ADDRS)
				return ckpt_usage_err("migrate", "at most 8 --addr");
			if (ckpt_netaddr_parse(optarg, &o->addrs[o->nr_addrs++]))
				return CKPT_EXIT_USAGE;
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

/*
 * checkpoint(2) of the tree with @flags into @fd, tried again on EAGAIN
 * (the tree changed while it was saved), @fd emptied first if @rewind.
 * 0, or -1 (said, with the kernel's log).
 */
static int migrate_checkpoint(const struct migrate_opts *o, struct ckpt_log *log, int fd,
			      unsigned long flags, bool rewind)
{
	int i, err;
	long ret;

	for (i = 1; ; i++) {
		ckpt_log_mark(log);
		ret = ckpt_sys_checkpoint(o->pid, fd, flags, log->fd);
		if (ret >= 0 || errno != EAGAIN || i == CKPT_EAGAIN_TRIES ||
		    (rewind && (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET))))
			break;
		ckpt_eagain_wait(i);
	}
	if (ret >= 0)
		return 0;
	err = errno;
	ckpt_log_show(log);
	ckpt_syscall_err("checkpoint", err);
	return -1;
}

/* One image of the tree into a new memfd; returns it, or -1 */
static int migrate_take(const struct migrate_opts *o, struct ckpt_log *log,
			unsigned long flags, uint64_t *size)
{
	int fd;

	fd = memfd_create("ckpt-migrate", MFD_CLOEXEC);
	if (fd < 0) {
		ckpt_err("migrate: memfd_create: %s", strerror(errno));
		return -1;
	}
	if (migrate_checkpoint(o, log, fd, flags, true)) {
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

/*
 * A checkpoint(2) of the stopped tree with @flags into /dev/null, after
 * its last image: only the pages written since, none, are saved; what
 * counts is what it does to the connections that image held.  0, or -1
 * (said).
 */
static int migrate_settle(const struct migrate_opts *o, struct ckpt_log *log,
			  unsigned long flags)
{
	int fd, ret;

	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		ckpt_err("migrate: /dev/null: %s", strerror(errno));
		return -1;
	}
	ret = migrate_checkpoint(o, log, fd, flags, false);
	close(fd);
	return ret;
}

/*
 * The tree runs there: kill it here, its connections closed in repair
 * mode, silently; then its addresses go from here
 */
static void migrate_kill(const struct migrate_opts *o, struct ckpt_log *log)
{
	int64_t t0 = migrate_now_us();
	int i;

	if (migrate_settle(o, log, CHECKPOINT_INCREMENTAL | CHECKPOINT_KILL)) {
		ckpt_err("migrate: killing the tree with SIGKILL: its peers may see its connections closed");
		migrate_signal_tree(o->pid, SIGKILL);
	} else if (o->verbose) {
		fprintf(stderr, "ckpt migrate: killed by a last checkpoint in %lld ms\n",
			(long long)(migrate_now_us() - t0) / 1000);
	}
	for (i = 0; i < o->nr_addrs; i++)
		ckpt_netaddr_del(&o->addrs[i]);
}

/* The other side failed: let the held connections go, and the tree on */
static void migrate_continue(const struct migrate_opts *o, struct ckpt_log *log)
{
	if (migrate_settle(o, log, CHECKPOINT_INCREMENTAL))
		ckpt_err("migrate: the tree's connections stay held until the kernel lets them go");
	migrate_signal_tree(o->pid, SIGCONT);
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

/*
 * Whether the connection @sk to the other side is from an address that
 * moves with the tree (--addr): once the other side has it, its answer
 * would stay there.  Said if so.
 */
static bool migrate_channel_moves(const struct migrate_opts *o, int sk)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const void *a;
	int i;

	if (getsockname(sk, (struct sockaddr *)&ss, &len))
		return false;
	if (ss.ss_family == AF_INET)
		a = &((struct sockaddr_in *)&ss)->sin_addr;
	else
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	for (i = 0; i < o->nr_addrs; i++) {
		if (o->addrs[i].family != ss.ss_family ||
		    memcmp(o->addrs[i].addr, a, ss.ss_family == AF_INET ? 4 : 16))
			continue;
		ckpt_err("migrate: the connection to %s is from %s, which moves with the tree: connect from another address",
			 o->to, o->addrs[i].arg);
		return true;
	}
	return false;
}

static int migrate_source(const struct migrate_opts *o)
{
	struct migrate_reply reply;
	struct ckpt_log log;
	uint64_t size;
	int sk, fd, rounds, ret = CKPT_EXIT_FAIL;
	int64_t t0, downtime;

	if (ckpt_check_kernel("checkpoint") || ckpt_log_open(&log, o->log_path, o->verbose, false))
		return CKPT_EXIT_FAIL;
	sk = migrate_connect(o->to);
	if (sk < 0)
		goto out_log;
	if (migrate_channel_moves(o, sk))
		goto out;
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
	downtime = migrate_now_us() - t0;
	close(fd);
	if (reply.err) {
		migrate_continue(o, &log);
	} else {
		migrate_kill(o, &log);
		fprintf(stderr,
			"ckpt migrate: last image %llu KiB after %d round(s); downtime %lld ms; pid %d there\n",
			(unsigned long long)size >> 10, rounds, (long long)downtime / 1000,
			reply.pid);
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

/* Receive one image into @path, of *size bytes; returns the frame's kind, or -1 */
static int migrate_receive(int sk, const char *path, unsigned int round, uint64_t *size)
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
	if (close(fd)) {
		ckpt_err("migrate: %s: %s", path, strerror(errno));
		return -1;
	}
	*size = f.size;
	return f.kind;
}

/*
 * Receive the images into DIR/round-N.img, each pre-dump added to the
 * chain @c (indexed, its CRCs checked) as soon as it is in, while the
 * source takes the next.  Returns how many files were made; *kind is the
 * last frame's kind, or -1 on failure (said).
 */
static int migrate_receive_all(int sk, const char *dir, char paths[][PATH_MAX],
			       struct ckpt_parents *c, int *kind)
{
	uint64_t size = 0;
	int64_t t0;
	int n;

	for (n = 0; n <= MIGRATE_MAX_ROUNDS; n++) {
		snprintf(paths[n], PATH_MAX, "%s/round-%d.img", dir, n);
		*kind = migrate_receive(sk, paths[n], n, &size);
		if (*kind != MIGRATE_PREDUMP)
			return n + 1;
		t0 = migrate_now_us();
		if (ckpt_chain_add(c, paths[n])) {
			ckpt_err("migrate: round %d: %s", n, c->err);
			*kind = -1;
			return n + 1;
		}
		fprintf(stderr, "ckpt migrate: round %d: %llu KiB received, indexed in %lld ms\n",
			n, (unsigned long long)size >> 10,
			(long long)(migrate_now_us() - t0) / 1000);
	}
	ckpt_err("migrate: more than %d rounds", MIGRATE_MAX_ROUNDS);
	*kind = -1;
	return n;
}

/*
 * The last image, @in (@path), merged by reference with the rounds of @c
 * into @out, small: its PAGES_FILE records name the pages in their files,
 * which @ext gets as CKPT_EXT_PAGES externals.  Returns how many, or -1.
 */
static int migrate_merge(struct ckpt_parents *c, int in, const char *path, const char *out,
			 struct ckpt_external *ext)
{
	int64_t t0 = migrate_now_us();
	struct stat st;
	int fd, n = -1;

	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		snprintf(c->err, sizeof(c->err), "%.400s: %s", out, strerror(errno));
	else if (!ckpt_chain_check(c, in, path) && !ckpt_chain_merge(c, in, path, fd))
		n = ckpt_chain_externals(c, ext, CKPT_CHAIN_MAX + 1);
	if (fd >= 0 && n >= 0 && fstat(fd, &st)) {
		snprintf(c->err, sizeof(c->err), "%.400s: %s", out, strerror(errno));
		n = -1;
	}
	if (fd >= 0 && close(fd) && n >= 0) {
		snprintf(c->err, sizeof(c->err), "%.400s: %s", out, strerror(errno));
		n = -1;
	}
	if (n < 0) {
		ckpt_err("migrate: merging the images: %s", c->err);
		return -1;
	}
	fprintf(stderr,
		"ckpt migrate: merged.img: %llu KiB, its pages left in %d file(s) (%u PAGES_FILE), made in %lld ms\n",
		(unsigned long long)st.st_size >> 10, n, c->nr_pages_file,
		(long long)(migrate_now_us() - t0) / 1000);
	return n;
}

/* Restart from @merged, reading its pages from @ext: `ckpt restart -d` in this process */
static int migrate_restart(const struct migrate_opts *o, const char *merged,
			   const struct ckpt_external *ext, int nr_ext)
{
	char **argv = calloc(o->nr_restart_args + 8, sizeof(*argv));
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
	if (o->lazy)
		argv[argc++] = "--lazy";
	for (i = 0; i < o->nr_restart_args; i++)
		argv[argc++] = o->restart_args[i];
	argv[argc++] = (char *)merged;
	fflush(stdout);
	/* getopt starts afresh for restart's options */
	optind = 0;
	ret = ckpt_restart_ext(argc, argv, ext, nr_ext);
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

/* The last image merged by reference, and the tree restarted from it: an exit status */
static int migrate_restart_chain(const struct migrate_opts *o, struct ckpt_parents *c,
				 const char *last, const char *merged)
{
	static struct ckpt_external ext[CKPT_CHAIN_MAX + 1];
	int in, n, ret = CKPT_EXIT_FAIL;

	in = open(last, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		ckpt_err("migrate: %s: %s", last, strerror(errno));
		return CKPT_EXIT_FAIL;
	}
	n = migrate_merge(c, in, last, merged, ext);
	if (n >= 0)
		ret = migrate_restart(o, merged, ext, n);
	close(in);
	return ret;
}

/* Delete the first @n addresses of the tree that were @added here */
static void migrate_addrs_undo(const struct migrate_opts *o, const bool *added, int n)
{
	while (n-- > 0) {
		if (added[n])
			ckpt_netaddr_del(&o->addrs[n]);
	}
}

/*
 * Add the tree's addresses here, for restart(2) to bind its sockets to:
 * not before, or this host would answer for them while the tree runs
 * there.  Those not here before are @added.  0, or -1 (said) with none of
 * them left.
 */
static int migrate_addrs_add(const struct migrate_opts *o, bool *added)
{
	int i, ret;

	for (i = 0; i < o->nr_addrs; i++) {
		ret = ckpt_netaddr_add(&o->addrs[i]);
		if (ret < 0) {
			migrate_addrs_undo(o, added, i);
			return -1;
		}
		added[i] = ret;
	}
	return 0;
}

/*
 * The tree's addresses added, the tree restarted, and then the addresses
 * announced: not before the restart, or what the peers send meanwhile
 * would meet no socket here and be answered with a reset.  An announce
 * that fails is said, but the tree runs here.  An exit status; if the
 * addresses failed, *why says so.
 */
static int migrate_take_over(const struct migrate_opts *o, struct ckpt_parents *c,
			     const char *last, const char *merged, const char **why)
{
	bool added[MIGRATE_MAX_ADDRS] = { false };
	int i, ret;

	if (migrate_addrs_add(o, added)) {
		*why = "its addresses could not be added";
		return CKPT_EXIT_FAIL;
	}
	ret = migrate_restart_chain(o, c, last, merged);
	if (ret) {
		migrate_addrs_undo(o, added, o->nr_addrs);
		return ret;
	}
	for (i = 0; i < o->nr_addrs; i++)
		ckpt_netaddr_announce(&o->addrs[i]);
	return ret;
}

/* Say to the source whether the tree runs here, and if not, @why (or the status) */
static void migrate_answer(int sk, int ret, const char *why)
{
	struct migrate_reply reply = { .err = 0 };

	memcpy(reply.magic, MIGRATE_MAGIC, sizeof(reply.magic));
	if (ret && why) {
		reply.err = EIO;
		snprintf(reply.msg, sizeof(reply.msg), "%s", why);
	} else if (ret) {
		reply.err = EIO;
		snprintf(reply.msg, sizeof(reply.msg), "restart failed, status %d", ret);
	} else {
		reply.pid = migrate_child();
	}
	if (ckpt_write_all(sk, &reply, sizeof(reply)))
		ckpt_err("migrate: cannot answer the source: %s", strerror(errno));
}

static int migrate_destination(const struct migrate_opts *o)
{
	static char paths[MIGRATE_MAX_ROUNDS + 1][PATH_MAX], merged[PATH_MAX + 16];
	char tmpdir[] = "/tmp/ckpt-migrate.XXXXXX";
	const char *dir = o->dir, *why = NULL;
	int sk, n = 0, i, kind = -1, ret = CKPT_EXIT_FAIL;
	struct ckpt_parents c;

	if (!dir)
		dir = mkdtemp(tmpdir);
	if (!dir) {
		ckpt_err("migrate: mkdtemp: %s", strerror(errno));
		return CKPT_EXIT_FAIL;
	}
	snprintf(merged, sizeof(merged), "%s/merged.img", dir);
	ckpt_chain_init(&c, true);
	sk = migrate_listen(o->listen);
	if (sk >= 0)
		n = migrate_receive_all(sk, dir, paths, &c, &kind);
	if (kind == MIGRATE_LAST) {
		ret = migrate_take_over(o, &c, paths[n - 1], merged, &why);
		migrate_answer(sk, ret, why);
	}
	/*
	 * restart(2) holds the files it reads: with --lazy, they may go from
	 * the directory now, and give their memory back as their pages are in
	 */
	for (i = 0; o->lazy && !ret && i < n; i++)
		unlink(paths[i]);
	ckpt_chain_close(&c);
	if (sk >= 0)
		close(sk);
	if (!o->dir) {
		unlink(merged);
		while (n-- > 0)
			unlink(paths[n]);
		rmdir(dir);
	}
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
