// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt merge: an incremental image and its parents into one complete
 * image (chain.c does the work), or into one that names where their
 * pages are (--refs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "ckpt.h"

static const char merge_usage[] =
	"Usage: ckpt merge -o OUT [--lazy | --refs] IMAGE PARENT...\n"
	"\n"
	"Write to OUT the complete image that IMAGE, an image of checkpoint\n"
	"--incremental, makes with its parent images: the images its CHAIN\n"
	"record leads to, each naming its own parent, down to a complete one,\n"
	"given in any order.  Each PAGES_PARENT record of IMAGE becomes the\n"
	"PAGES it stands for, found along the chain; every other record is\n"
	"copied, and the TRAILER made again.  restart(2) takes the result;\n"
	"ckpt restart --parent does the same without writing it to a file.\n"
	"On failure a partial OUT is removed.\n"
	"\n"
	"  -o, --output OUT   write the merged image to OUT ('-': standard output)\n"
	"      --lazy         a PAGES_CRC after each PAGES of a process, as\n"
	"                     checkpoint --lazy writes: restart --lazy takes OUT\n"
	"      --refs         no page contents of a process in OUT: PAGES_FILE\n"
	"                     records name where they are, in file N: the Nth\n"
	"                     PARENT (from 0), or IMAGE for N = the number of\n"
	"                     PARENTs (if it is a file); restart(2) reads them\n"
	"                     there (restart --ext-pages N=FILE)\n"
	"  -h, --help         show this help and exit\n"
	"\n"
	"IMAGE may be '-', standard input; the parents must be files.\n";

/* Returns -1 to go on, else the exit status */
static int merge_parse(int argc, char **argv, const char **out, bool *lazy, bool *refs)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "lazy",   no_argument,       NULL, 'Z' },
		{ "refs",   no_argument,       NULL, 'R' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			*out = optarg;
			break;
		case 'Z':
			*lazy = true;
			break;
		case 'R':
			*refs = true;
			break;
		case 'h':
			fputs(merge_usage, stdout);
			return CKPT_EXIT_OK;
		default:
			return ckpt_usage_err("merge", "bad option");
		}
	}
	if (!*out)
		return ckpt_usage_err("merge", "-o OUT is needed");
	if (*lazy && *refs)
		return ckpt_usage_err("merge", "--lazy and --refs exclude each other");
	if (optind > argc - 2)
		return ckpt_usage_err("merge", "an IMAGE and at least one PARENT are needed");
	if (argc - optind - 1 > CKPT_CHAIN_MAX)
		return ckpt_usage_err("merge", "too many PARENT images");
	return -1;
}

/* OUT, created or truncated once it is known not to be one of the inputs */
static int merge_open_output(const struct ckpt_parents *c, const char *path, int in_fd)
{
	struct stat st, in;
	int fd;

	if (!strcmp(path, "-"))
		return ckpt_open_image("merge", path, true);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ckpt_err("merge: %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		ckpt_err("merge: %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode) &&
	    (ckpt_chain_has_file(c, st.st_dev, st.st_ino) ||
	     (!fstat(in_fd, &in) && in.st_dev == st.st_dev && in.st_ino == st.st_ino))) {
		ckpt_err("merge: %s is also an input", path);
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode) && ftruncate(fd, 0)) {
		ckpt_err("merge: %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int cmd_merge(int argc, char **argv)
{
	struct ckpt_parents c;
	const char *out = NULL, *in;
	int ret, in_fd, out_fd;
	bool lazy = false, refs = false;
	struct stat st;
	int i;

	ret = merge_parse(argc, argv, &out, &lazy, &refs);
	if (ret >= 0)
		return ret;
	in = argv[optind];
	ckpt_chain_init(&c, refs);
	for (i = optind + 1; i < argc; i++) {
		if (ckpt_chain_add(&c, argv[i])) {
			ckpt_err("merge: %s", c.err);
			ckpt_chain_close(&c);
			return CKPT_EXIT_FAIL;
		}
	}
	c.lazy = lazy;
	ret = CKPT_EXIT_FAIL;
	in_fd = ckpt_open_image("merge", in, false);
	if (in_fd < 0)
		goto out;
	out_fd = merge_open_output(&c, out, in_fd);
	if (out_fd < 0)
		goto close_in;
	if (ckpt_chain_merge(&c, in_fd, in, out_fd)) {
		ckpt_err("merge: %s", c.err);
	} else {
		if (c.warn[0])
			ckpt_err("merge: warning: %s", c.warn);
		ret = CKPT_EXIT_OK;
	}
	if (ckpt_close_image(out_fd) && ret == CKPT_EXIT_OK) {
		ckpt_err("merge: %s: %s", out, strerror(errno));
		ret = CKPT_EXIT_FAIL;
	}
	/* Leave no partial image behind, but never unlink a device or a FIFO */
	if (ret != CKPT_EXIT_OK && strcmp(out, "-") && !stat(out, &st) && S_ISREG(st.st_mode))
		unlink(out);
close_in:
	ckpt_close_image(in_fd);
out:
	ckpt_chain_close(&c);
	return ret;
}
