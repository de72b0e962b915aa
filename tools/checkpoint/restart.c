// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt restart: recreate a process from an image and, unless detached,
 * stand in for it until it exits, the way a shell waits for a job.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <endian.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/checkpoint.h>
#include <linux/magic.h>

#include "chain.h"
#include "ckpt.h"
#include "scan.h"
#include "stats.h"

/*
 * ckpt's own failures, kept apart from the statuses of the restored
 * process that ckpt passes on (as env(1) and timeout(1) do).
 */
#define RESTART_EXIT_FAIL	125

/* The longest --console-socket, with its NUL */
#define RESTART_SUN_PATH_MAX	(sizeof(((struct sockaddr_un *)0)->sun_path))

/* What runc's utils.SendFile() sends with a console's master: its file name */
#define RESTART_CONSOLE_NAME	"/dev/ptmx"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC	0x27e0eb
#endif

static const char restart_usage[] =
	"Usage: ckpt restart FILE [-d] [--root DIR] [-v | --log FILE] [--files-changed-ok]\n"
	"                    [--veth DEV=OUTER]... [--ext-unix-sk socket:[INO]=FD]...\n"
	"                    [--ext-mount MOUNTPOINT=PATH]... [--cgroup-root DIR] [--thaw]\n"
	"                    [--inherit-fd pipe:[INO]=FD]... [--sibling]\n"
	"                    [--console-socket PATH] [--parent IMAGE]... [--lazy]\n"
	"                    [--ext-pages N=FILE]...\n"
	"                    [--stats FILE]\n"
	"                    [-q | --progress | --no-progress]\n"
	"\n"
	"Recreate the process saved in FILE ('-': standard input) as a child of\n"
	"ckpt, with its original pid.  Unless detached, wait for it and exit with\n"
	"its status (128+N if signal N killed it), forwarding SIGINT, SIGTERM,\n"
	"SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to it meanwhile.\n"
	"\n"
	"  -d, --detach       print the restored pid and exit at once\n"
	"  -r, --root DIR     restore inside DIR: chroot there first, so that the\n"
	"                     paths of an image made with --root-relative start\n"
	"                     from DIR (FILE, --log and --ext-mount's PATH stay\n"
	"                     outside); for an image with a mount namespace, DIR\n"
	"                     is its root mount unless --ext-mount /=PATH is given\n"
	"  -v, --verbose      send the kernel's log to standard error\n"
	"  -l, --log FILE     write the kernel's log to FILE\n"
	"  -c, --files-changed-ok\n"
	"                     reopen files that changed since the checkpoint\n"
	"                     (restart(2) flag RESTART_FILES_CHANGED_OK)\n"
	"  -e, --veth DEV=OUTER\n"
	"                     bring the outer end of the tasks' veth device DEV\n"
	"                     back under the name OUTER in our network namespace\n"
	"                     (default: its name at checkpoint)\n"
	"  -x, --ext-unix-sk socket:[INO]=FD\n"
	"                     our connected UNIX socket FD takes the place of the\n"
	"                     external socket:[INO] (see ckpt checkpoint --ext-unix-sk)\n"
	"  -m, --ext-mount MOUNTPOINT=PATH\n"
	"                     bind our directory or file PATH at MOUNTPOINT, the\n"
	"                     absolute path of an external mount in the tasks'\n"
	"                     mount namespace (a MOUNT of kind EXTERNAL in ckpt\n"
	"                     show); \"/\" is their root mount, by default our root\n"
	"                     directory (restart(2) flag RESTART_EXTERNAL)\n"
	"  -g, --cgroup-root DIR\n"
	"                     root the tasks' cgroup namespace at our cgroup v2\n"
	"                     directory DIR, created if missing (mkdir -p), instead\n"
	"                     of our own cgroup; the cgroups saved below the root\n"
	"                     are made again below DIR, with their limits\n"
	"                     (restart(2) flag RESTART_EXTERNAL)\n"
	"  -t, --thaw         leave thawed the cgroups that were frozen at\n"
	"                     checkpoint, which restart otherwise freezes again\n"
	"                     once every task is in (restart(2) flag RESTART_THAW)\n"
	"  -i, --inherit-fd pipe:[INO]=FD\n"
	"                     our FD takes the place of the pipe end that the tasks\n"
	"                     had open as pipe:[INO] (as /proc/PID/fd showed it), in\n"
	"                     every task that had it, such as the standard input or\n"
	"                     output a container manager gave them; FD must allow\n"
	"                     the access the end had; socket:[INO]=FD is the same\n"
	"                     as --ext-unix-sk (restart(2) flag RESTART_EXTERNAL)\n"
	"  -s, --sibling      the restored process becomes a child of our parent,\n"
	"                     not ours, as with CLONE_PARENT (restart(2) flag\n"
	"                     RESTART_SIBLING); implies --detach\n"
	"  -C, --console-socket PATH\n"
	"                     the image has a container's console (a pty whose\n"
	"                     master was outside the tasks, as runc run -t made\n"
	"                     it): send the master of its new pair to the UNIX\n"
	"                     socket PATH, as runc's --console-socket does; FILE\n"
	"                     must be a seekable file (restart(2) flag\n"
	"                     RESTART_EXTERNAL)\n"
	"      --parent IMAGE FILE is incremental (checkpoint --incremental): IMAGE\n"
	"                     is one of the images it refers to, given in any\n"
	"                     order, down to a complete one (checkpoint --track);\n"
	"                     restart(2) reads the complete image they make, with\n"
	"                     the pages left in FILE and the IMAGEs (ckpt merge\n"
	"                     --refs), or, if FILE is not a regular file and\n"
	"                     without --lazy, from a pipe, filled by a process of\n"
	"                     ours (ckpt merge)\n"
	"      --lazy         return before the processes' private anonymous memory\n"
	"                     is in: each run of pages is read from FILE (and the\n"
	"                     --parent IMAGEs) when it is first touched, the rest in\n"
	"                     the background (restart(2) flag RESTART_LAZY; an image\n"
	"                     of checkpoint --lazy, or with --parent); FILE must be\n"
	"                     a regular file (but with --parent), left unchanged\n"
	"                     until then, as must the IMAGEs\n"
	"      --ext-pages N=FILE\n"
	"                     the PAGES_FILE records of file N read FILE (an image\n"
	"                     of ckpt merge --refs; restart(2) flag RESTART_EXTERNAL)\n"
	"      --stats FILE   write the figures of the restart to FILE, as a JSON\n"
	"                     object (pages restored, image size), once restart(2)\n"
	"                     has returned; removed if it failed\n"
	"      --progress     show how far the restart is, and then its figures,\n"
	"                     on standard error (default: if it is a terminal,\n"
	"                     without -v)\n"
	"      --no-progress  do not\n"
	"  -q, --quiet        do not show progress or figures; errors only\n"
	"  -h, --help         show this help and exit\n"
	"\n"
	"Without -v or --log the kernel's log is shown only if restart fails.\n"
	"ckpt exits with status 125 if it fails itself.\n";

static const int restart_forwarded[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
};

/* Options without a short form */
enum {
	RESTART_OPT_STATS = 256,
	RESTART_OPT_PROGRESS,
	RESTART_OPT_NO_PROGRESS,
	RESTART_OPT_PARENT,
	RESTART_OPT_LAZY,
	RESTART_OPT_EXT_PAGES,
};

struct restart_opts {
	const char *input;
	const char *log_path;
	const char *stats_path;
	bool quiet;
	enum ckpt_progress_mode progress;
	const char *root;
	const char *cgroup_root;
	const char *console_socket;
	bool verbose;
	bool detach;
	unsigned long flags;	/* RESTART_* */
	struct ckpt_external ext[CKPT_EXTERNAL_MAX];
	unsigned int nr_ext;
	struct restart_console {
		unsigned int ext;	/* its CKPT_EXT_PTY in ext[] */
		int sk;			/* connected to console_socket */
	} consoles[CKPT_ORPHAN_PTY_MAX];
	unsigned int nr_consoles;
	char *parents[CKPT_CHAIN_MAX];	/* --parent */
	unsigned int nr_parents;
};

/*
 * --parent: the parents, and the image they make with FILE: merged by
 * reference into a memfd, or by a process of ours into a pipe
 */
struct restart_merge {
	struct ckpt_parents parents;
	struct ckpt_chain_feed feed;	/* the merging process, if any */
	int memfd;		/* by reference: the merged image, or -1 */
	int fd;			/* what restart(2) reads: the pipe, the memfd, or FILE */
};

/* What the signal handler needs; set before the handlers are installed */
static struct {
	pid_t pid;
	bool same_pgrp;
} restored;

static int restart_usage_err(const char *msg)
{
	ckpt_usage_err("restart", msg);
	return RESTART_EXIT_FAIL;
}

/* --veth DEV=OUTER: one more external; 0, or -1 if malformed */
static int restart_add_veth(struct restart_opts *o, const char *arg)
{
	struct ckpt_external *e = &o->ext[o->nr_ext];
	const char *eq = strchr(arg, '=');

	if (o->nr_ext == CKPT_EXTERNAL_MAX || !eq || eq == arg ||
	    (size_t)(eq - arg) >= sizeof(e->key) || !eq[1] || strlen(eq + 1) >= 16)
		return -1;
	e->kind = CKPT_EXT_VETH;
	e->fd = -1;
	memcpy(e->key, arg, eq - arg);
	snprintf(e->name, sizeof(e->name), "%s", eq + 1);
	o->nr_ext++;
	o->flags |= RESTART_EXTERNAL;
	return 0;
}

/* --ext-unix-sk KEY=FD: one more external; 0, or -1 if malformed */
static int restart_add_unix(struct restart_opts *o, const char *arg)
{
	struct ckpt_external *e = &o->ext[o->nr_ext];
	const char *eq = strrchr(arg, '=');
	char *end;
	long fd;

	if (o->nr_ext == CKPT_EXTERNAL_MAX || !eq || eq == arg ||
	    (size_t)(eq - arg) >= sizeof(e->key))
		return -1;
	fd = strtol(eq + 1, &end, 10);
	if (end == eq + 1 || *end || fd < 0 || fd > INT_MAX)
		return -1;
	e->kind = CKPT_EXT_UNIX_SK;
	e->fd = fd;
	memcpy(e->key, arg, eq - arg);
	o->nr_ext++;
	o->flags |= RESTART_EXTERNAL;
	return 0;
}

/*
 * --inherit-fd KEY=FD: one more external, CKPT_EXT_FILE for a pipe:[INO]
 * key, CKPT_EXT_UNIX_SK for a socket:[INO] one.  Returns -1 to go on, else
 * the exit status.
 */
static int restart_add_inherit(struct restart_opts *o, const char *arg)
{
	bool pipe = !strncmp(arg, "pipe:[", 6);

	if ((!pipe && strncmp(arg, "socket:[", 8)) || restart_add_unix(o, arg))
		return restart_usage_err("--inherit-fd wants pipe:[INO]=FD or socket:[INO]=FD");
	if (pipe)
		o->ext[o->nr_ext - 1].kind = CKPT_EXT_FILE;
	return -1;
}

/*
 * One more external of @kind, keyed by the @len bytes of @key: @fd, or
 * nothing if it is negative (its open failed, said), closed if there is
 * no room.  Returns -1 to go on, else the exit status.
 */
static int restart_push_ext(struct restart_opts *o, __u32 kind, int fd, const char *key,
			    size_t len)
{
	struct ckpt_external *e = &o->ext[o->nr_ext];

	if (fd < 0)
		return RESTART_EXIT_FAIL;
	if (o->nr_ext == CKPT_EXTERNAL_MAX) {
		ckpt_err("restart: more than %u externals", CKPT_EXTERNAL_MAX);
		close(fd);
		return RESTART_EXIT_FAIL;
	}
	e->kind = kind;
	e->fd = fd;
	snprintf(e->key, sizeof(e->key), "%.*s", (int)len, key);
	o->nr_ext++;
	o->flags |= RESTART_EXTERNAL;
	return -1;
}

/* Open @path for the external of option @opt now, from our root; -1 if not (said) */
static int restart_open_ext(const char *opt, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		ckpt_err("restart: %s: %s: %s", opt, path, strerror(errno));
	return fd;
}

/*
 * --ext-mount MOUNTPOINT=PATH: one more external, PATH opened now, from
 * our root and working directory (before --root's chroot).  Returns -1 to
 * go on, else the exit status; the first '=' ends MOUNTPOINT.
 */
static int restart_add_mount(struct restart_opts *o, const char *arg)
{
	struct ckpt_external *e = &o->ext[o->nr_ext];
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1])
		return restart_usage_err("--ext-mount wants MOUNTPOINT=PATH");
	if (arg[0] != '/')
		return restart_usage_err("--ext-mount: MOUNTPOINT must be an absolute path");
	if ((size_t)(eq - arg) >= sizeof(e->key)) {
		ckpt_err("restart: --ext-mount: MOUNTPOINT %.*s is longer than %zu bytes",
			 (int)(eq - arg), arg, sizeof(e->key) - 1);
		return RESTART_EXIT_FAIL;
	}
	return restart_push_ext(o, CKPT_EXT_MOUNT, restart_open_ext("--ext-mount", eq + 1, O_PATH),
				arg, eq - arg);
}

/*
 * --ext-pages N=FILE: one more external, FILE opened now (before --root's
 * chroot), that the image's PAGES_FILE records of file N read.  Returns
 * -1 to go on, else the exit status.
 */
static int restart_add_pages(struct restart_opts *o, const char *arg)
{
	unsigned long n;
	char key[32];
	char *end;
	int fd;

	n = strtoul(arg, &end, 10);
	if (end == arg || *end != '=' || !end[1] || arg[0] == '-' || n > UINT32_MAX)
		return restart_usage_err("--ext-pages wants N=FILE");
	snprintf(key, sizeof(key), "pages:%lu", n);
	fd = restart_open_ext("--ext-pages", end + 1, O_RDONLY);
	return restart_push_ext(o, CKPT_EXT_PAGES, fd, key, strlen(key));
}

/* The filesystem type (statfs(2) f_type) of the directory fd, or 0 */
static unsigned long restart_fs_type(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) ? 0 : (unsigned long)sfs.f_type;
}

static const char *restart_cgroup_hint(unsigned long type)
{
	return type == CGROUP_SUPER_MAGIC ? " (cgroup v1 is not supported)" : "";
}

/*
 * The cgroup DIR, made as mkdir -p does (mode 0755), one component at a
 * time from our root or working directory; a missing one only in a
 * directory on cgroup v2, so that nothing is made elsewhere.  Returns an
 * O_RDONLY descriptor of it, or -1.
 */
static int restart_open_cgroup(const char *dir)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	size_t at = 0, n, up;
	char name[PATH_MAX];
	unsigned long type;
	int fd, sub;

	fd = open(dir[0] == '/' ? "/" : ".", flags);
	if (fd < 0) {
		ckpt_err("restart: --cgroup-root: %s: %s", dir, strerror(errno));
		return -1;
	}
	while (dir[at += strspn(dir + at, "/")]) {
		/* The next component: n bytes from dir + at; its parent: up bytes of dir */
		n = strcspn(dir + at, "/");
		for (up = at; up > 1 && dir[up - 1] == '/'; up--)
			;
		snprintf(name, sizeof(name), "%.*s", (int)n, dir + at);
		sub = openat(fd, name, flags);
		if (sub < 0 && errno == ENOENT) {
			type = restart_fs_type(fd);
			if (type != CGROUP2_SUPER_MAGIC) {
				ckpt_err("restart: --cgroup-root: cannot create %.*s: %.*s is not on a cgroup2 filesystem%s",
					 (int)(at + n), dir, up ? (int)up : 1, up ? dir : ".",
					 restart_cgroup_hint(type));
				close(fd);
				return -1;
			}
			if (mkdirat(fd, name, 0755) && errno != EEXIST) {
				ckpt_err("restart: --cgroup-root: cannot create %.*s: %s",
					 (int)(at + n), dir, strerror(errno));
				close(fd);
				return -1;
			}
			sub = openat(fd, name, flags);
		}
		if (sub < 0) {
			ckpt_err("restart: --cgroup-root: %.*s: %s", (int)(at + n), dir,
				 strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
		fd = sub;
		at += n;
	}
	type = restart_fs_type(fd);
	if (type != CGROUP2_SUPER_MAGIC) {
		ckpt_err("restart: --cgroup-root: %s is not on a cgroup2 filesystem%s",
			 dir, restart_cgroup_hint(type));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * --cgroup-root DIR: the external cgroup "/", where the root of the
 * tasks' cgroup namespace comes back.  Returns -1 to go on, else the
 * exit status.
 */
static int restart_add_cgroup(struct restart_opts *o)
{
	return restart_push_ext(o, CKPT_EXT_CGROUP, restart_open_cgroup(o->cgroup_root), "/", 1);
}

/* Returns -1 to go on, else the exit status */
static int restart_parse(int argc, char **argv, struct restart_opts *o)
{
	static const struct option longopts[] = {
		{ "detach",  no_argument,       NULL, 'd' },
		{ "root",    required_argument, NULL, 'r' },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "log",     required_argument, NULL, 'l' },
		{ "files-changed-ok", no_argument, NULL, 'c' },
		{ "veth",    required_argument, NULL, 'e' },
		{ "ext-unix-sk", required_argument, NULL, 'x' },
		{ "ext-mount", required_argument, NULL, 'm' },
		{ "cgroup-root", required_argument, NULL, 'g' },
		{ "thaw",    no_argument,       NULL, 't' },
		{ "inherit-fd", required_argument, NULL, 'i' },
		{ "sibling", no_argument,       NULL, 's' },
		{ "console-socket", required_argument, NULL, 'C' },
		{ "stats",   required_argument, NULL, RESTART_OPT_STATS },
		{ "progress", no_argument,      NULL, RESTART_OPT_PROGRESS },
		{ "no-progress", no_argument,   NULL, RESTART_OPT_NO_PROGRESS },
		{ "parent",  required_argument, NULL, RESTART_OPT_PARENT },
		{ "lazy",    no_argument,       NULL, RESTART_OPT_LAZY },
		{ "ext-pages", required_argument, NULL, RESTART_OPT_EXT_PAGES },
		{ "quiet",   no_argument,       NULL, 'q' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, ret;

	while ((c = getopt_long(argc, argv, "dr:vl:ce:x:m:g:ti:sC:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (restart_add_veth(o, optarg))
				return restart_usage_err("--veth wants DEV=OUTER");
			break;
		case 'x':
			if (restart_add_unix(o, optarg))
				return restart_usage_err("--ext-unix-sk wants socket:[INO]=FD");
			break;

		case 's':
			o->flags |= RESTART_SIBLING;
			o->detach = true;
			break;
		case 'm':
		case 'i':
		case RESTART_OPT_EXT_PAGES:
			ret = c == 'm' ? restart_add_mount(o, optarg) :
			      c == 'i' ? restart_add_inherit(o, optarg) :
					 restart_add_pages(o, optarg);
			if (ret >= 0)
				return ret;
			break;
		case 'g':
			if (!*optarg)
				return restart_usage_err("--cgroup-root wants a directory");
			if (o->cgroup_root)
				return restart_usage_err("--cgroup-root is given more than once");
			o->cgroup_root = optarg;
			break;
		case 'C':
			if (!*optarg || strlen(optarg) >= RESTART_SUN_PATH_MAX)
				return restart_usage_err("--console-socket wants a socket path");
			o->console_socket = optarg;
			break;
		case 'c':
			o->flags |= RESTART_FILES_CHANGED_OK;
			break;
		case 't':
			o->flags |= RESTART_THAW;
			break;
		case 'd':
			o->detach = true;
			break;
		case 'r':
			o->root = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'l':
			o->log_path = optarg;
			break;
		case RESTART_OPT_STATS:
			o->stats_path = optarg;
			break;
		case RESTART_OPT_PROGRESS:
			o->progress = CKPT_PROGRESS_ON;
			break;
		case RESTART_OPT_NO_PROGRESS:
			o->progress = CKPT_PROGRESS_OFF;
			break;
		case RESTART_OPT_PARENT:
			if (o->nr_parents == CKPT_CHAIN_MAX)
				return restart_usage_err("too many --parent images");
			o->parents[o->nr_parents++] = optarg;
			break;
		case RESTART_OPT_LAZY:
			o->flags |= RESTART_LAZY;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			fputs(restart_usage, stdout);
			return CKPT_EXIT_OK;
		default:
			return restart_usage_err("bad option");
		}
	}
	if (optind != argc - 1)
		return restart_usage_err("exactly one FILE is needed");
	if (o->verbose && o->log_path)
		return restart_usage_err("-v and --log exclude each other");
	if (o->quiet && o->progress == CKPT_PROGRESS_ON)
		return restart_usage_err("-q and --progress exclude each other");
	if (o->quiet)
		o->progress = CKPT_PROGRESS_OFF;
	o->input = argv[optind];
	/* Made once the command line is known to be right */
	if (o->cgroup_root)
		return restart_add_cgroup(o);
	return -1;
}

static void restart_forward(int sig, siginfo_t *si, void *uctx)
{
	/*
	 * A terminal signals its whole foreground process group: if the
	 * restored process is in ours, it has had this signal already.
	 */
	if (si->si_code == SI_KERNEL && restored.same_pgrp)
		return;
	kill(restored.pid, sig);
}

/*
 * Until restart(2) returns, the signals keep their default action: one
 * that kills ckpt makes the kernel abandon the restart, which leaves
 * nothing behind.  From then on they are the restored process's.
 */
static void restart_forward_signals(pid_t pid)
{
	struct sigaction sa = { 0 };
	sigset_t set, old;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < ARRAY_SIZE(restart_forwarded); i++)
		sigaddset(&set, restart_forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, &old);

	restored.pid = pid;
	restored.same_pgrp = getpgid(pid) == getpgrp();
	sa.sa_sigaction = restart_forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(restart_forwarded); i++)
		sigaction(restart_forwarded[i], &sa, NULL);

	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The status a shell would give: the exit code, or 128 + the signal */
static int restart_wait(pid_t pid)
{
	int status;
	pid_t r;

	restart_forward_signals(pid);
	do {
		/* __WALL: its exit signal need not be SIGCHLD */
		r = waitpid(pid, &status, __WALL);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		ckpt_err("restart: waiting for %d: %s", pid, strerror(errno));
		return RESTART_EXIT_FAIL;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * Does the image (a regular file) give the tasks a mount namespace of
 * their own?  Its MNTNS comes before the first TASK.
 */
static bool image_has_mntns(int fd)
{
	struct ckpt_img_info info;
	char why[128];

	return !ckpt_img_scan(fd, false, &info, why, sizeof(why)) && info.mntns;
}

/*
 * --root DIR: the tasks' root.  With a mount namespace of their own, it is
 * their root mount ("/" of CKPT_EXT_MOUNT, unless --ext-mount gave one):
 * restart pivots into it, which a chroot(2) would prevent.  Without, we
 * enter it, and the image's paths resolve there.  Returns 0 or -1.
 */
static int restart_enter_root(struct restart_opts *o, int fd)
{
	struct ckpt_external *e = &o->ext[o->nr_ext];
	unsigned int i;

	if (!image_has_mntns(fd)) {
		if (chroot(o->root) || chdir("/")) {
			ckpt_err("restart: cannot enter %s: %s", o->root, strerror(errno));
			return -1;
		}
		return 0;
	}
	for (i = 0; i < o->nr_ext; i++)
		if (o->ext[i].kind == CKPT_EXT_MOUNT && !strcmp(o->ext[i].key, "/"))
			return 0;
	if (o->nr_ext == CKPT_EXTERNAL_MAX) {
		ckpt_err("restart: more than %u externals", CKPT_EXTERNAL_MAX);
		return -1;
	}
	e->fd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (e->fd < 0) {
		ckpt_err("restart: --root: %s: %s", o->root, strerror(errno));
		return -1;
	}
	e->kind = CKPT_EXT_MOUNT;
	e->key[0] = '/';
	o->nr_ext++;
	o->flags |= RESTART_EXTERNAL;
	return 0;
}

/* A connection to --console-socket, made before any chroot of --root */
static int restart_console_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int sk;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk >= 0 && connect(sk, (struct sockaddr *)&sun, sizeof(sun))) {
		close(sk);
		sk = -1;
	}
	if (sk < 0)
		ckpt_err("restart: --console-socket %s: %s", path, strerror(errno));
	return sk;
}

/*
 * One console: a CKPT_EXT_PTY "pty:[N]", /dev/null standing for the
 * descriptor that its new master replaces, and a connection of its own
 * to --console-socket.  0, or -1.
 */
static int restart_add_console(struct restart_opts *o, uint32_t index)
{
	struct restart_console *con = &o->consoles[o->nr_consoles];
	struct ckpt_external *e = &o->ext[o->nr_ext];

	if (o->nr_ext == CKPT_EXTERNAL_MAX) {
		ckpt_err("restart: more than %u externals", CKPT_EXTERNAL_MAX);
		return -1;
	}
	con->sk = restart_console_connect(o->console_socket);
	if (con->sk < 0)
		return -1;
	e->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (e->fd < 0) {
		ckpt_err("restart: /dev/null: %s", strerror(errno));
		close(con->sk);
		return -1;
	}
	e->kind = CKPT_EXT_PTY;
	snprintf(e->key, sizeof(e->key), "pty:[%u]", index);
	con->ext = o->nr_ext++;
	o->nr_consoles++;
	o->flags |= RESTART_EXTERNAL;
	return 0;
}

/*
 * --console-socket: the consoles of the image (PTYs whose master was
 * outside the tasks).  Returns -1 to go on, else the exit status.
 */
static int restart_add_consoles(struct restart_opts *o, int fd)
{
	struct ckpt_img_info info;
	char why[256];
	unsigned int i;

	if (lseek(fd, 0, SEEK_CUR) < 0)
		return restart_usage_err("--console-socket: FILE must be seekable, not a pipe");
	if (ckpt_img_scan(fd, true, &info, why, sizeof(why))) {
		ckpt_err("restart: %s: %s", o->input, why);
		return RESTART_EXIT_FAIL;
	}
	if (!info.nr_orphan_ptys)
		ckpt_err("restart: --console-socket: the image has no console: nothing will be sent");
	for (i = 0; i < info.nr_orphan_ptys; i++)
		if (restart_add_console(o, info.orphan_pty[i]))
			return RESTART_EXIT_FAIL;
	return -1;
}

/* Without --console-socket: say so if that is why restart(2) failed */
static void restart_console_hint(const struct restart_opts *o, int fd)
{
	struct ckpt_img_info info;
	char why[128];

	if (o->console_socket || lseek(fd, 0, SEEK_CUR) < 0 ||
	    ckpt_img_scan(fd, true, &info, why, sizeof(why)) || !info.nr_orphan_ptys)
		return;
	ckpt_err("restart: hint: the image has a console, pty:[%u], whose master was outside the tasks: --console-socket PATH receives its new one",
		 info.orphan_pty[0]);
}

/*
 * A console's new master, as runc's utils.SendFile() sends it: its name
 * as the data, the descriptor in SCM_RIGHTS.  0, or -1.
 */
static int restart_send_master(const char *path, int sk, int master)
{
	char name[] = RESTART_CONSOLE_NAME;
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) - 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (sendmsg(sk, &msg, MSG_NOSIGNAL) == (ssize_t)iov.iov_len)
		return 0;
	ckpt_err("restart: --console-socket %s: %s", path, strerror(errno));
	return -1;
}

/*
 * Once restart(2) has succeeded, the descriptor of each console's
 * CKPT_EXT_PTY is its new master: send it.  Then close them all, and the
 * connections (a receiver sees end of file without a master if restart
 * failed).  0, or -1 if a master could not be sent.
 */
static int restart_send_consoles(struct restart_opts *o, bool restarted)
{
	const struct restart_console *con;
	const struct ckpt_external *e;
	unsigned int i, ptn;
	int ret = 0;

	for (i = 0; i < o->nr_consoles; i++) {
		con = &o->consoles[i];
		e = &o->ext[con->ext];
		if (restarted && !ret && ioctl(e->fd, TIOCGPTN, &ptn)) {
			ckpt_err("restart: %s: restart(2) did not hand over its new master (see its log)",
				 e->key);
			ret = -1;
		} else if (restarted && !ret) {
			ret = restart_send_master(o->console_socket, con->sk, e->fd);
		}
		close(e->fd);
		close(con->sk);
	}
	o->nr_consoles = 0;
	return ret;
}

/*
 * --parent by reference (ckpt merge --refs): with --lazy, or if FILE is a
 * regular file, in which its pages can be left
 */
static bool restart_by_ref(const struct restart_opts *o, int fd)
{
	struct stat st;

	return (o->flags & RESTART_LAZY) || (!fstat(fd, &st) && S_ISREG(st.st_mode));
}

/*
 * --parent: the parents, mapped, checked (and by reference, the CRC of
 * each of their pages found) before any chroot of --root, and, if FILE is
 * seekable, that they are all it needs.  0 or -1.
 */
static int restart_load_parents(struct restart_opts *o, struct restart_merge *rm, int fd)
{
	unsigned int i;

	if (!o->nr_parents)
		return 0;
	ckpt_chain_init(&rm->parents, restart_by_ref(o, fd));
	for (i = 0; i < o->nr_parents; i++)
		if (ckpt_chain_add(&rm->parents, o->parents[i]))
			break;
	if (i == o->nr_parents && !ckpt_chain_check(&rm->parents, fd, o->input))
		return 0;
	ckpt_err("restart: --parent: %s", rm->parents.err);
	return -1;
}

/*
 * By reference: the image made, small, into a memfd for restart(2), and
 * the files its PAGES_FILE records read as externals.  With --lazy, the
 * pages of a FILE that is not a regular file are copied into it, with
 * their PAGES_CRC.  0, or -1 after saying why.
 */
static int restart_merge_refs(struct restart_opts *o, struct restart_merge *rm, int fd)
{
	struct ckpt_parents *c = &rm->parents;
	int n;

	rm->memfd = memfd_create("ckpt-merged", MFD_CLOEXEC);
	if (rm->memfd < 0) {
		ckpt_err("restart: memfd_create: %s", strerror(errno));
		return -1;
	}
	c->lazy = o->flags & RESTART_LAZY;
	if (ckpt_chain_merge(c, fd, o->input, rm->memfd)) {
		ckpt_err("restart: --parent: %s", c->err);
		return -1;
	}
	if (lseek(rm->memfd, 0, SEEK_SET)) {
		ckpt_err("restart: the merged image: %s", strerror(errno));
		return -1;
	}
	n = ckpt_chain_externals(c, o->ext + o->nr_ext, CKPT_EXTERNAL_MAX - o->nr_ext);
	if (n < 0) {
		ckpt_err("restart: --parent: %s", c->err);
		return -1;
	}
	o->nr_ext += n;
	if (n)
		o->flags |= RESTART_EXTERNAL;
	if (c->warn[0])
		ckpt_err("restart: warning: %s", c->warn);
	rm->fd = rm->memfd;
	return 0;
}

/*
 * With --parent, restart(2) reads the merged image: by reference, from a
 * memfd; else from a pipe, which a child of ours fills as it reads FILE
 * (ckpt_chain_feed_start()).  Without, it reads FILE.  0, or -1.
 */
static int restart_merge_start(struct restart_opts *o, struct restart_merge *rm, int fd)
{
	rm->feed.fd = -1;
	rm->fd = fd;
	if (!o->nr_parents)
		return 0;
	if (rm->parents.refs)
		return restart_merge_refs(o, rm, fd);
	if (ckpt_chain_feed_start(&rm->parents, fd, o->input, &rm->feed)) {
		ckpt_err("restart: --parent: %s", rm->parents.err);
		ckpt_chain_feed_end(&rm->parents, &rm->feed, false);
		return -1;
	}
	rm->fd = rm->feed.fd;
	return 0;
}

/*
 * Once restart(2) has returned: 0 if the merging process wrote the whole
 * image or restart(2) failed before reading it all, else -1 and why (it
 * has said its own error already).
 */
static int restart_merge_end(struct restart_merge *rm, bool restarted)
{
	if (!rm->feed.writer)
		return 0;
	if (ckpt_chain_feed_end(&rm->parents, &rm->feed, restarted)) {
		ckpt_err("restart: merging the chain: %s", rm->parents.err);
		if (restarted && rm->feed.truncated)
			ckpt_err("restart: the merged image was not written whole: restart(2) had a truncated image");
		return -1;
	}
	if (rm->parents.warn[0])
		ckpt_err("restart: warning: %s", rm->parents.warn);
	return 0;
}

/* What a file that is not a regular one is, for an error message */
static const char *restart_file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a pipe";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a regular file";
}

/*
 * --lazy: restart(2) reads pages from the image long after it has
 * returned, at their offsets: FILE must be a regular file.  With
 * --parent, what it reads is our memfd.  0, or -1 after saying why.
 */
static int restart_check_lazy(const struct restart_opts *o, int fd)
{
	struct stat st;

	if (!(o->flags & RESTART_LAZY) || o->nr_parents)
		return 0;
	if (fstat(fd, &st)) {
		ckpt_err("restart: %s: %s", o->input, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode))
		return 0;
	ckpt_err("restart: --lazy: %s is %s: the pages are read from a regular file, after restart(2) returns",
		 strcmp(o->input, "-") ? o->input : "standard input",
		 restart_file_kind(st.st_mode));
	return -1;
}

/* What the kernel said of the restart that succeeded */
static void restart_stats(const struct ckpt_log *log, long pid, struct ckpt_stats *st)
{
	ckpt_stat_set(st, CKPT_STAT_PID, pid);
	if (log->readable)
		ckpt_stats_read_log(log->fd, log->start, st);
}

/*
 * --stats FILE and the summary line, once restart(2) returned.  FILE that
 * cannot be written is said, but the restored process runs on: ckpt's
 * exit status is still its.
 */
static void restart_report(struct ckpt_stats_file *sf, const struct ckpt_stats *st,
			   bool progress)
{
	char summary[160];
	int err;

	if (st && progress) {
		ckpt_stats_summary(summary, sizeof(summary), "restart", st);
		ckpt_err("%s", summary);
	}
	err = ckpt_stats_close(sf, st);
	if (err)
		ckpt_err("restart: --stats %s: %s", sf->path, strerror(-err));
}

/*
 * Everything before restart(2), in this order: restart(2) resolves the
 * image's paths from our root, or the tasks'.  -1 to go on, else the exit
 * status, after saying why.
 */
static int restart_prepare(struct restart_opts *o, struct restart_merge *rm, int fd)
{
	int ret = o->console_socket ? restart_add_consoles(o, fd) : -1;

	if (ret >= 0)
		return ret;
	if (restart_check_lazy(o, fd) || restart_load_parents(o, rm, fd) ||
	    (o->root && restart_enter_root(o, fd)) || restart_merge_start(o, rm, fd))
		return RESTART_EXIT_FAIL;
	return -1;
}

static void restart_merge_close(struct restart_merge *rm)
{
	ckpt_chain_close(&rm->parents);
	if (rm->memfd >= 0)
		close(rm->memfd);
	rm->memfd = -1;
}

/* The caller's externals after those of the options; 0, or -1 after saying why */
static int restart_add_ext(struct restart_opts *o, const struct ckpt_external *ext,
			   unsigned int nr)
{
	if (nr > CKPT_EXTERNAL_MAX - o->nr_ext) {
		ckpt_err("restart: more than %u externals", CKPT_EXTERNAL_MAX);
		return -1;
	}
	if (!nr)
		return 0;
	memcpy(o->ext + o->nr_ext, ext, nr * sizeof(*ext));
	o->nr_ext += nr;
	o->flags |= RESTART_EXTERNAL;
	return 0;
}

int cmd_restart(int argc, char **argv)
{
	return ckpt_restart_ext(argc, argv, NULL, 0);
}

int ckpt_restart_ext(int argc, char **argv, const struct ckpt_external *ext, unsigned int nr_ext)
{
	static struct restart_opts o;
	struct restart_merge rm = { .memfd = -1 };
	struct ckpt_stats_file sf = { 0 };
	struct ckpt_progress p = { 0 };
	struct ckpt_stats st;
	struct ckpt_log log;
	struct timespec t0;
	int ret, fd, err;
	bool progress;
	long pid;

	ret = restart_parse(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (restart_add_ext(&o, ext, nr_ext) || ckpt_check_kernel("restart"))
		return RESTART_EXIT_FAIL;
	progress = ckpt_progress_wanted(o.progress, o.verbose);
	sf.path = o.stats_path;
	fd = ckpt_cmd_open("restart", &log, o.log_path, o.verbose, o.stats_path || progress, &sf,
			   o.input, false);
	if (fd < 0)
		return RESTART_EXIT_FAIL;
	ret = restart_prepare(&o, &rm, fd);
	if (ret >= 0) {
		restart_merge_close(&rm);
		restart_send_consoles(&o, false);
		ckpt_close_image(fd);
		ckpt_stats_close(&sf, NULL);
		ckpt_log_close(&log);
		return ret;
	}
	ckpt_stats_init(&st);
	p.cmd = "restart";
	p.image_fd = rm.memfd >= 0 ? rm.memfd : fd;
	p.show = progress;
	p.log = &log;
	ckpt_log_mark(&log);
	ckpt_progress_start(&p);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = ckpt_sys_restart(rm.fd, o.flags, log.fd, o.ext, o.nr_ext);
	err = errno;
	ckpt_stat_set(&st, CKPT_STAT_WALL_US, ckpt_elapsed_us(&t0));
	ckpt_progress_stop(&p);
	if (pid < 0) {
		ckpt_log_show(&log);
		ckpt_syscall_err("restart", err);
		restart_console_hint(&o, fd);
	} else {
		restart_stats(&log, pid, &st);
	}
	if (restart_merge_end(&rm, pid >= 0) && pid >= 0) {
		ckpt_err("restart: killing the restored pid %ld", pid);
		kill(pid, SIGKILL);
		pid = -1;
	}
	restart_merge_close(&rm);
	ckpt_close_image(fd);
	ckpt_log_close(&log);
	if (restart_send_consoles(&o, pid >= 0) && pid >= 0) {
		ckpt_err("restart: killing the restored pid %ld", pid);
		kill(pid, SIGKILL);
		pid = -1;
	}
	/* The figures before the restored process takes the terminal */
	restart_report(&sf, pid >= 0 ? &st : NULL, progress);
	if (pid < 0)
		return RESTART_EXIT_FAIL;

	if (o.detach) {
		printf("%ld\n", pid);
		return fflush(stdout) ? RESTART_EXIT_FAIL : CKPT_EXIT_OK;
	}
	return restart_wait(pid);
}
