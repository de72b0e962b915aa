// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt checkpoint: save a running process into an image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/checkpoint.h>

#include "ckpt.h"
#include "stats.h"

static const char checkpoint_usage[] =
	"Usage: ckpt checkpoint PID -o FILE [--kill] [--subtree] [--root-relative]\n"
	"                       [--ext-unix-sk] [--track] [--incremental] [--predump]\n"
	"                       [--stop] [--lazy] [--format-version N]\n"
	"                       [-v | --log FILE] [--stats FILE]\n"
	"                       [-q | --progress | --no-progress]\n"
	"\n"
	"Freeze process PID and its descendants, write their whole state to FILE\n"
	"as an image and let them run again, or kill them with --kill once the\n"
	"image is complete.  If PID is the init of a pid namespace, the whole\n"
	"namespace is saved (container mode) unless --subtree is given.\n"
	"\n"
	"  -o, --output FILE  write the image to FILE ('-': standard output)\n"
	"  -k, --kill         SIGKILL the processes after a complete image\n"
	"  -s, --subtree      subtree mode even if PID is a pid namespace's init\n"
	"  -R, --root-relative  the processes share a root directory (a chroot):\n"
	"                     save paths from it, to restart with --root DIR\n"
	"  -x, --ext-unix-sk  save a UNIX stream connected to a process outside\n"
	"                     the tree as external, named socket:[INO] in the log,\n"
	"                     to restart with --ext-unix-sk socket:[INO]=FD\n"
	"      --track        then count the processes' writes from this image on,\n"
	"                     for a later --incremental (not with --kill)\n"
	"      --incremental  save only the pages written since the image of the\n"
	"                     last --track: FILE is restarted with that image,\n"
	"                     restart --parent; with --track too, the next\n"
	"                     --incremental counts from FILE\n"
	"      --predump      save the memory only, most of it while the processes\n"
	"                     run (the rounds of a pre-copy migration; implies\n"
	"                     --track, not with --kill); restart refuses it alone\n"
	"      --stop         leave the processes stopped (SIGSTOP) after a complete\n"
	"                     image, to kill them, or continue them (SIGCONT), later\n"
	"      --lazy         after each run of pages, its CRC-32C, so that restart\n"
	"                     --lazy can map them later, when they are first touched\n"
	"                     (not with --incremental or --predump)\n"
	"      --format-version N  write image format version N (1 or 2; default:\n"
	"                     the newest), for a kernel that reads only N\n"
	"  -v, --verbose      send the kernel's log to standard error\n"
	"  -l, --log FILE     write the kernel's log to FILE\n"
	"      --stats FILE   write the figures of the checkpoint to FILE, as a\n"
	"                     JSON object (time frozen, pages written, image size)\n"
	"      --progress     show how far the checkpoint is, and then its figures,\n"
	"                     on standard error (default: if it is a terminal,\n"
	"                     without -v)\n"
	"      --no-progress  do not\n"
	"  -q, --quiet        do not show progress or figures; errors only\n"
	"  -h, --help         show this help and exit\n"
	"\n"
	"Without -v or --log the kernel's log is shown only if checkpoint fails.\n"
	"On failure the process keeps running, a partial FILE is removed, and so is\n"
	"the --stats FILE.\n";

/* Options without a short form */
enum {
	CHECKPOINT_OPT_STATS = 256,
	CHECKPOINT_OPT_PROGRESS,
	CHECKPOINT_OPT_NO_PROGRESS,
	CHECKPOINT_OPT_TRACK,
	CHECKPOINT_OPT_INCREMENTAL,
	CHECKPOINT_OPT_PREDUMP,
	CHECKPOINT_OPT_STOP,
	CHECKPOINT_OPT_LAZY,
	CHECKPOINT_OPT_FORMAT_VERSION,
};

struct checkpoint_opts {
	int pid;
	const char *output;
	const char *log_path;
	const char *stats_path;
	bool verbose;
	bool quiet;
	enum ckpt_progress_mode progress;
	unsigned long flags;
};

/* What the options say together; -1 to go on, else the exit status */
static int checkpoint_check_opts(struct checkpoint_opts *o)
{
	if (!o->output)
		return ckpt_usage_err("checkpoint", "-o FILE is needed");
	if (o->verbose && o->log_path)
		return ckpt_usage_err("checkpoint", "-v and --log exclude each other");
	if (o->quiet && o->progress == CKPT_PROGRESS_ON)
		return ckpt_usage_err("checkpoint", "-q and --progress exclude each other");
	if ((o->flags & (CHECKPOINT_TRACK | CHECKPOINT_PREDUMP)) && (o->flags & CHECKPOINT_KILL))
		return ckpt_usage_err("checkpoint",
				      "--track and --predump exclude --kill: killed processes write nothing more");
	if ((o->flags & CHECKPOINT_STOP) && (o->flags & (CHECKPOINT_KILL | CHECKPOINT_PREDUMP)))
		return ckpt_usage_err("checkpoint", "--stop excludes --kill and --predump");
	if ((o->flags & CHECKPOINT_LAZY) &&
	    (o->flags & (CHECKPOINT_INCREMENTAL | CHECKPOINT_PREDUMP)))
		return ckpt_usage_err("checkpoint", "--lazy excludes --incremental and --predump");
	if (o->quiet)
		o->progress = CKPT_PROGRESS_OFF;
	return -1;
}

/* Returns -1 to go on, else the exit status */
static int checkpoint_parse(int argc, char **argv,
			    struct checkpoint_opts *o)
{
	static const struct option longopts[] = {
		{ "output",  required_argument, NULL, 'o' },
		{ "kill",    no_argument,       NULL, 'k' },
		{ "subtree", no_argument,       NULL, 's' },
		{ "root-relative", no_argument, NULL, 'R' },
		{ "ext-unix-sk", no_argument,   NULL, 'x' },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "log",     required_argument, NULL, 'l' },
		{ "stats",   required_argument, NULL, CHECKPOINT_OPT_STATS },
		{ "progress", no_argument,      NULL, CHECKPOINT_OPT_PROGRESS },
		{ "no-progress", no_argument,   NULL, CHECKPOINT_OPT_NO_PROGRESS },
		{ "track",   no_argument,       NULL, CHECKPOINT_OPT_TRACK },
		{ "incremental", no_argument,   NULL, CHECKPOINT_OPT_INCREMENTAL },
		{ "predump", no_argument,       NULL, CHECKPOINT_OPT_PREDUMP },
		{ "stop",    no_argument,       NULL, CHECKPOINT_OPT_STOP },
		{ "lazy",    no_argument,       NULL, CHECKPOINT_OPT_LAZY },
		{ "format-version", required_argument, NULL, CHECKPOINT_OPT_FORMAT_VERSION },
		{ "quiet",   no_argument,       NULL, 'q' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:ksRxvl:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'k':
			o->flags |= CHECKPOINT_KILL;
			break;
		case 's':
			o->flags |= CHECKPOINT_SUBTREE;
			break;
		case 'R':
			o->flags |= CHECKPOINT_ROOT_RELATIVE;
			break;
		case 'x':
			o->flags |= CHECKPOINT_EXT_UNIX_SK;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'l':
			o->log_path = optarg;
			break;
		case CHECKPOINT_OPT_STATS:
			o->stats_path = optarg;
			break;
		case CHECKPOINT_OPT_PROGRESS:
			o->progress = CKPT_PROGRESS_ON;
			break;
		case CHECKPOINT_OPT_TRACK:
			o->flags |= CHECKPOINT_TRACK;
			break;
		case CHECKPOINT_OPT_INCREMENTAL:
			o->flags |= CHECKPOINT_INCREMENTAL;
			break;
		case CHECKPOINT_OPT_PREDUMP:
			o->flags |= CHECKPOINT_PREDUMP;
			break;
		case CHECKPOINT_OPT_STOP:
			o->flags |= CHECKPOINT_STOP;
			break;
		case CHECKPOINT_OPT_LAZY:
			o->flags |= CHECKPOINT_LAZY;
			break;
		case CHECKPOINT_OPT_FORMAT_VERSION:
			if (!ckpt_parse_format_version(optarg, &o->flags))
				return ckpt_usage_err("checkpoint", CKPT_FORMAT_VERSION_ERR);
			break;
		case CHECKPOINT_OPT_NO_PROGRESS:
			o->progress = CKPT_PROGRESS_OFF;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			fputs(checkpoint_usage, stdout);
			return CKPT_EXIT_OK;
		default:
			return ckpt_usage_err("checkpoint", "bad option");
		}
	}
	if (optind != argc - 1)
		return ckpt_usage_err("checkpoint", "exactly one PID is needed");
	if (!ckpt_parse_pid(argv[optind], &o->pid))
		return ckpt_usage_err("checkpoint", "PID must be a positive number");
	return checkpoint_check_opts(o);
}

/* Leave no partial image behind, but never unlink a device or a FIFO */
static void checkpoint_discard_output(const char *path, int fd)
{
	struct stat st;

	if (fd != STDOUT_FILENO && !fstat(fd, &st) && S_ISREG(st.st_mode))
		unlink(path);
}

static bool checkpoint_rewind(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISREG(st.st_mode) && !ftruncate(fd, 0) &&
	       !lseek(fd, 0, SEEK_SET);
}

/* The wall time and number of the calls go to st; the kernel's figures are of the last */
static long checkpoint_tries(const struct checkpoint_opts *o, int fd, struct ckpt_log *log,
			     struct ckpt_stats *st)
{
	struct timespec t0;
	long ret;
	int i, err;

	for (i = 1; ; i++) {
		ckpt_log_mark(log);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ret = ckpt_sys_checkpoint(o->pid, fd, o->flags, log->fd);
		err = errno;
		ckpt_stat_set(st, CKPT_STAT_WALL_US, ckpt_elapsed_us(&t0));
		ckpt_stat_set(st, CKPT_STAT_TRIES, i);
		errno = err;
		/* EAGAIN (ckpt.h): an image in a regular file can be taken again */
		if (ret >= 0 || errno != EAGAIN || i == CKPT_EAGAIN_TRIES ||
		    !checkpoint_rewind(fd))
			return ret;
		ckpt_eagain_wait(i);
	}
}

/* What the kernel said of the checkpoint that succeeded, and the image's size */
static void checkpoint_stats(const struct checkpoint_opts *o, const struct ckpt_log *log,
			     int fd, struct ckpt_stats *st)
{
	struct stat sb;

	ckpt_stat_set(st, CKPT_STAT_PID, o->pid);
	if (log->readable)
		ckpt_stats_read_log(log->fd, log->start, st);
	if (!ckpt_stat_has(st, CKPT_STAT_IMAGE_BYTES) && !fstat(fd, &sb) && S_ISREG(sb.st_mode))
		ckpt_stat_set(st, CKPT_STAT_IMAGE_BYTES, sb.st_size);
}

int cmd_checkpoint(int argc, char **argv)
{
	struct checkpoint_opts o = { 0 };
	struct ckpt_stats_file sf = { 0 };
	struct ckpt_progress p = { 0 };
	struct ckpt_stats st;
	struct ckpt_log log;
	char summary[160];
	int ret, fd, err;
	bool progress;

	ret = checkpoint_parse(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (ckpt_check_kernel("checkpoint"))
		return CKPT_EXIT_FAIL;
	progress = ckpt_progress_wanted(o.progress, o.verbose);
	sf.path = o.stats_path;
	fd = ckpt_cmd_open("checkpoint", &log, o.log_path, o.verbose, o.stats_path || progress,
			   &sf, o.output, true);
	if (fd < 0)
		return CKPT_EXIT_FAIL;

	ret = CKPT_EXIT_OK;
	ckpt_stats_init(&st);
	p.cmd = "checkpoint";
	p.image_fd = fd;
	p.tree = o.pid;
	p.show = progress;
	p.log = &log;
	ckpt_progress_start(&p);
	if (checkpoint_tries(&o, fd, &log, &st) < 0) {
		err = errno;
		ckpt_progress_stop(&p);
		checkpoint_discard_output(o.output, fd);
		ckpt_log_show(&log);
		ckpt_syscall_err("checkpoint", err);
		ret = CKPT_EXIT_FAIL;
	} else {
		ckpt_progress_stop(&p);
		checkpoint_stats(&o, &log, fd, &st);
	}
	if (ckpt_close_image(fd)) {
		ckpt_err("checkpoint: %s: %s", o.output, strerror(errno));
		ret = CKPT_EXIT_FAIL;
	}
	ckpt_log_close(&log);
	if (ret == CKPT_EXIT_OK && progress) {
		ckpt_stats_summary(summary, sizeof(summary), "checkpoint", &st);
		ckpt_err("%s", summary);
	}
	err = ckpt_stats_close(&sf, ret == CKPT_EXIT_OK ? &st : NULL);
	if (err) {
		ckpt_err("checkpoint: --stats %s: %s", sf.path, strerror(-err));
		ret = CKPT_EXIT_FAIL;
	}
	return ret;
}
