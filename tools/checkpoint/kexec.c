// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt kexec: swap the kernel under running process trees.
 *
 *   ckpt kexec --store STORE --kernel BZIMAGE [--initrd F] [--append S] PID...
 *	load the next kernel, checkpoint each tree into the store (killing
 *	it once its image is complete), then reboot into that kernel;
 *   ckpt kexec --restore --store STORE
 *	in the next kernel: restart every tree the store holds.
 *
 * The store is memory that survives the reboot: a block device such as
 * /dev/pmem0 (memmap=SIZE!START on both kernels' command lines), the
 * images one after the other behind a header; or a directory on a disk,
 * one image file per tree and the header in a file of its own.  The
 * header (struct store_hdr) says which trees were saved, where, and which
 * were restored already, so that nothing is restored twice.
 *
 * Nothing is lost on the way: the kernel is loaded before the first
 * checkpoint, and if a tree cannot be saved, those saved before it are
 * restarted here from the store and the loaded kernel is unloaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <endian.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/fs.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <linux/checkpoint.h>

#include "ckpt.h"

#define STORE_MAGIC		"CKPTSTOR"
#define STORE_VERSION		1
#define STORE_HDR_SIZE		4096	/* the header's room; images start after it */
#define STORE_MAX		64	/* trees in one store */
#define STORE_ALIGN		4096
#define STORE_HDR_FILE		"store"	/* a directory store's header */

#define STORE_RESTORED		(1U << 0)	/* entry flag: restarted already */

/* Little-endian, as the image format */
struct store_entry {
	uint64_t offset;	/* block device: where the image starts */
	uint64_t length;	/* bytes of image */
	uint32_t pid;		/* the tree's root, at checkpoint */
	uint32_t flags;		/* STORE_* */
	uint64_t checkpoint_us;	/* how long its checkpoint took */
	char comm[16];
};

struct store_hdr {
	char magic[8];
	uint32_t version;
	uint32_t nr;
	uint32_t crc;		/* CRC-32C of the STORE_HDR_SIZE bytes, this field 0 */
	uint32_t __pad;
	uint64_t frozen_ns;	/* CLOCK_REALTIME as the first checkpoint began */
	uint64_t saved_ns;	/* CLOCK_REALTIME once the store was complete */
	struct store_entry e[STORE_MAX];
};

_Static_assert(sizeof(struct store_hdr) <= STORE_HDR_SIZE, "store header too large");

struct store {
	const char *path;
	int fd;			/* the block device, or the directory */
	bool dir;
	uint64_t size;		/* of the block device */
	struct store_hdr hdr;
};

struct kexec_opts {
	const char *store;
	const char *kernel;
	const char *initrd;
	const char *append;
	const char *log_path;
	bool restore, list, exec, no_exec, keep, verbose;
	unsigned long flags;		/* CHECKPOINT_VERSION() */
	int nr_pids;
	pid_t pids[STORE_MAX];
};

static int kexec_usage_err(const char *msg)
{
	return ckpt_usage_err("kexec", msg);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- the store ---- */

static uint32_t store_crc(struct store_hdr *h)
{
	static uint8_t buf[STORE_HDR_SIZE];
	uint32_t crc = h->crc;

	h->crc = 0;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, h, sizeof(*h));
	h->crc = crc;
	return ~crc32c(~0U, buf, sizeof(buf));
}

static int store_open(struct store *s, const char *path, bool create)
{
	struct stat st;

	s->path = path;
	s->fd = open(path, O_RDWR | O_CLOEXEC);
	if (s->fd < 0 && errno == EISDIR)
		s->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->fd < 0 && errno == ENOENT && create && !mkdir(path, 0700))
		s->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->fd < 0 || fstat(s->fd, &st)) {
		ckpt_err("kexec: store %s: %s", path, strerror(errno));
		return -1;
	}
	s->dir = S_ISDIR(st.st_mode);
	if (!s->dir && !S_ISBLK(st.st_mode)) {
		ckpt_err("kexec: store %s: neither a block device (/dev/pmem0) nor a directory",
			 path);
		return -1;
	}
	if (!s->dir && ioctl(s->fd, BLKGETSIZE64, &s->size)) {
		ckpt_err("kexec: store %s: size: %s", path, strerror(errno));
		return -1;
	}
	if (!s->dir && s->size < STORE_HDR_SIZE + STORE_ALIGN) {
		ckpt_err("kexec: store %s: %llu bytes is too small", path,
			 (unsigned long long)s->size);
		return -1;
	}
	return 0;
}

/* Write the header where the next kernel finds it, and make it durable */
static int store_write_hdr(struct store *s)
{
	static uint8_t buf[STORE_HDR_SIZE];
	int fd = s->fd, ret = 0;

	s->hdr.crc = 0;
	s->hdr.crc = htole32(store_crc(&s->hdr));
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &s->hdr, sizeof(s->hdr));
	if (s->dir)
		fd = openat(s->fd, STORE_HDR_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) || fsync(fd))
		ret = -1;
	if (ret)
		ckpt_err("kexec: store %s: writing its header: %s", s->path,
			 errno ? strerror(errno) : "short write");
	if (s->dir && fd >= 0)
		close(fd);
	return ret;
}

static int store_check_entry(struct store *s, const struct store_entry *e, uint32_t i)
{
	uint64_t off = le64toh(e->offset), len = le64toh(e->length);

	if (le32toh(e->flags) & ~STORE_RESTORED || !memchr(e->comm, 0, sizeof(e->comm)))
		return -1;
	if (s->dir)
		return off ? -1 : 0;
	if (off < STORE_HDR_SIZE || off % STORE_ALIGN || len > s->size || off > s->size - len)
		return -1;
	/* Images do not overlap: each starts after the one before */
	if (i && off < le64toh(s->hdr.e[i - 1].offset) + le64toh(s->hdr.e[i - 1].length))
		return -1;
	return 0;
}

/* Read and check the header; -1 (said why) if there is no valid one */
static int store_read_hdr(struct store *s)
{
	struct store_hdr *h = &s->hdr;
	int fd = s->fd;
	ssize_t n;
	uint32_t i;

	if (s->dir)
		fd = openat(s->fd, STORE_HDR_FILE, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : pread(fd, h, sizeof(*h), 0);
	if (s->dir && fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(*h) || memcmp(h->magic, STORE_MAGIC, sizeof(h->magic))) {
		ckpt_err("kexec: store %s holds no saved trees", s->path);
		return -1;
	}
	if (le32toh(h->version) != STORE_VERSION || le32toh(h->nr) > STORE_MAX ||
	    le32toh(h->crc) != store_crc(h)) {
		ckpt_err("kexec: store %s: damaged header (version %u, %u trees, bad CRC or count)",
			 s->path, le32toh(h->version), le32toh(h->nr));
		return -1;
	}
	for (i = 0; i < le32toh(h->nr); i++) {
		if (store_check_entry(s, &h->e[i], i)) {
			ckpt_err("kexec: store %s: entry %u is damaged", s->path, i);
			return -1;
		}
	}
	return 0;
}

/* An fd from which image @i reads, or to which it is written, at its start */
static int store_image_fd(struct store *s, uint32_t i, bool write)
{
	char name[32];
	int fd;

	if (!s->dir)
		return lseek(s->fd, le64toh(s->hdr.e[i].offset), SEEK_SET) < 0 ? -1 : s->fd;
	snprintf(name, sizeof(name), "tree-%u.img", i);
	fd = openat(s->fd, name, write ? O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC :
					 O_RDONLY | O_CLOEXEC, 0600);
	return fd;
}

static void store_image_done(struct store *s, int fd)
{
	if (s->dir && fd >= 0)
		close(fd);
}

/* ---- the next kernel ---- */

static int kexec_load(const struct kexec_opts *o)
{
	unsigned long flags = o->initrd ? 0 : KEXEC_FILE_NO_INITRAMFS;
	char cmdline[4096] = "";
	int kfd, ifd = -1;
	long ret;

	if (o->append) {
		snprintf(cmdline, sizeof(cmdline), "%s", o->append);
	} else {
		FILE *f = fopen("/proc/cmdline", "re");

		if (!f || !fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = 0;
		if (f)
			fclose(f);
		cmdline[strcspn(cmdline, "\n")] = 0;
	}
	kfd = open(o->kernel, O_RDONLY | O_CLOEXEC);
	if (kfd >= 0 && o->initrd)
		ifd = open(o->initrd, O_RDONLY | O_CLOEXEC);
	if (kfd < 0 || (o->initrd && ifd < 0)) {
		ckpt_err("kexec: %s: %s", kfd < 0 ? o->kernel : o->initrd, strerror(errno));
		ret = -1;
	} else {
		ret = syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1, cmdline, flags);
		if (ret)
			ckpt_err("kexec: kexec_file_load(%s): %s%s", o->kernel, strerror(errno),
				 errno == ENOSYS ? " (the kernel needs CONFIG_KEXEC_FILE)" : "");
	}
	if (kfd >= 0)
		close(kfd);
	if (ifd >= 0)
		close(ifd);
	if (!ret && o->verbose)
		fprintf(stderr, "ckpt: kexec: loaded %s, command line \"%s\"\n",
			o->kernel, cmdline);
	return ret ? -1 : 0;
}

static void kexec_unload(void)
{
	syscall(SYS_kexec_file_load, -1, -1, 0, NULL, KEXEC_FILE_UNLOAD);
}

static int kexec_exec(void)
{
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	ckpt_err("kexec: reboot into the loaded kernel: %s", strerror(errno));
	return CKPT_EXIT_FAIL;
}

/* ---- saving ---- */

static void read_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f || !fgets(comm, len, f))
		snprintf(comm, len, "?");
	if (f)
		fclose(f);
	comm[strcspn(comm, "\n")] = 0;
}

/*
 * Checkpoint tree @i of @o into the store, killing it once its image is
 * complete.  -1: it could not be saved (it runs on); -2: it was saved and
 * killed, but its image could not be synced.
 */
static int save_tree(const struct kexec_opts *o, struct store *s, uint32_t i,
		     struct ckpt_log *log)
{
	struct store_entry *e = &s->hdr.e[i];
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	off_t end;
	long ret;
	int fd, try;

	memset(e, 0, sizeof(*e));
	read_comm(o->pids[i], e->comm, sizeof(e->comm));
	e->pid = htole32(o->pids[i]);
	if (!s->dir && i)
		e->offset = htole64((le64toh(s->hdr.e[i - 1].offset) +
				     le64toh(s->hdr.e[i - 1].length) + STORE_ALIGN - 1) &
				    ~(uint64_t)(STORE_ALIGN - 1));
	else if (!s->dir)
		e->offset = htole64(STORE_HDR_SIZE);
	for (try = 1; ; try++) {
		fd = store_image_fd(s, i, true);
		if (fd < 0) {
			ckpt_err("kexec: store %s: image %u: %s", s->path, i, strerror(errno));
			return -1;
		}
		ckpt_log_mark(log);
		ret = ckpt_sys_checkpoint(o->pids[i], fd, CHECKPOINT_KILL | o->flags, log->fd);
		end = lseek(fd, 0, SEEK_CUR);
		/* A block device is synced with the header, a file now */
		if (ret >= 0 && s->dir && fsync(fd)) {
			ckpt_err("kexec: store %s: image %u: %s", s->path, i, strerror(errno));
			store_image_done(s, fd);
			return -2;
		}
		store_image_done(s, fd);
		if (ret >= 0 || errno != EAGAIN || try == CKPT_EAGAIN_TRIES)
			break;
		ckpt_eagain_wait(try);
	}
	if (ret < 0) {
		int err = errno;

		ckpt_log_show(log);
		ckpt_err("kexec: tree %d (%s): checkpoint: %s%s", o->pids[i], e->comm,
			 strerror(err), err == ENOSPC ? " (the store is full)" : "");
		return -1;
	}
	e->length = htole64(end - (s->dir ? 0 : le64toh(e->offset)));
	e->checkpoint_us = htole64((now_ns(CLOCK_MONOTONIC) - t0) / 1000);
	printf("saved %d (%s): %llu bytes in %llu ms\n", o->pids[i], e->comm,
	       (unsigned long long)le64toh(e->length),
	       (unsigned long long)le64toh(e->checkpoint_us) / 1000);
	return 0;
}

/* Restart entry @i of the store here; the new pid, or -1 */
static long restore_tree(struct store *s, uint32_t i, struct ckpt_log *log)
{
	struct store_entry *e = &s->hdr.e[i];
	int fd = store_image_fd(s, i, false);
	long pid;

	if (fd < 0) {
		ckpt_err("kexec: store %s: image %u: %s", s->path, i, strerror(errno));
		return -1;
	}
	ckpt_log_mark(log);
	pid = ckpt_sys_restart(fd, 0, log->fd, NULL, 0);
	if (pid < 0) {
		int err = errno;

		ckpt_log_show(log);
		ckpt_err("kexec: tree %u (%s): restart: %s", le32toh(e->pid), e->comm,
			 strerror(err));
	}
	store_image_done(s, fd);
	return pid;
}

/* Restart the @nr trees saved first, after tree @nr could not be */
static void save_undo(struct store *s, uint32_t nr, struct ckpt_log *log)
{
	uint32_t i;
	long pid;

	for (i = 0; i < nr; i++) {
		pid = restore_tree(s, i, log);
		if (pid > 0)
			printf("restored %u (%s) here as %ld\n", le32toh(s->hdr.e[i].pid),
			       s->hdr.e[i].comm, pid);
		else
			ckpt_err("kexec: tree %u (%s) is lost; its image is in %s",
				 le32toh(s->hdr.e[i].pid), s->hdr.e[i].comm, s->path);
	}
}

static int kexec_save(const struct kexec_opts *o, struct store *s, struct ckpt_log *log)
{
	uint32_t i;

	if (o->kernel && kexec_load(o))
		return CKPT_EXIT_FAIL;
	memset(&s->hdr, 0, sizeof(s->hdr));
	memcpy(s->hdr.magic, STORE_MAGIC, sizeof(s->hdr.magic));
	s->hdr.version = htole32(STORE_VERSION);
	/* An empty store first: a reboot from now on restores nothing twice */
	if (store_write_hdr(s))
		goto fail;
	s->hdr.frozen_ns = htole64(now_ns(CLOCK_REALTIME));
	for (i = 0; i < (uint32_t)o->nr_pids; i++) {
		int ret = save_tree(o, s, i, log);

		if (ret) {
			/* Those saved and killed come back here */
			save_undo(s, ret == -2 ? i + 1 : i, log);
			goto fail;
		}
		s->hdr.nr = htole32(i + 1);
	}
	s->hdr.saved_ns = htole64(now_ns(CLOCK_REALTIME));
	if (store_write_hdr(s)) {
		save_undo(s, o->nr_pids, log);
		goto fail;
	}
	if (!o->kernel)
		return CKPT_EXIT_OK;
	if (o->no_exec) {
		printf("the next kernel is loaded: ckpt kexec --exec reboots into it\n");
		return fflush(stdout) ? CKPT_EXIT_FAIL : CKPT_EXIT_OK;
	}
	fflush(stdout);
	return kexec_exec();
fail:
	memset(&s->hdr, 0, sizeof(s->hdr));
	store_write_hdr(s);
	if (o->kernel)
		kexec_unload();
	return CKPT_EXIT_FAIL;
}

/* ---- restoring ---- */

static int kexec_restore(const struct kexec_opts *o, struct store *s, struct ckpt_log *log)
{
	uint64_t t0 = now_ns(CLOCK_REALTIME), saved, frozen;
	uint32_t i, nr, failed = 0;
	long pid;

	if (store_read_hdr(s))
		return CKPT_EXIT_FAIL;
	nr = le32toh(s->hdr.nr);
	frozen = le64toh(s->hdr.frozen_ns);
	saved = le64toh(s->hdr.saved_ns);
	for (i = 0; i < nr; i++) {
		struct store_entry *e = &s->hdr.e[i];

		if (le32toh(e->flags) & STORE_RESTORED)
			continue;
		pid = restore_tree(s, i, log);
		if (pid < 0) {
			failed++;
			continue;
		}
		printf("restored %u (%s) as %ld\n", le32toh(e->pid), e->comm, pid);
		e->flags = htole32(le32toh(e->flags) | STORE_RESTORED);
		/* Restored is restored, even if this boot goes down now */
		if (store_write_hdr(s))
			failed++;
	}
	if (saved > frozen && t0 > saved)
		printf("downtime %llu ms: checkpoint %llu ms, reboot %llu ms, restart %llu ms\n",
		       (unsigned long long)(now_ns(CLOCK_REALTIME) - frozen) / 1000000,
		       (unsigned long long)(saved - frozen) / 1000000,
		       (unsigned long long)(t0 - saved) / 1000000,
		       (unsigned long long)(now_ns(CLOCK_REALTIME) - t0) / 1000000);
	if (!failed && !o->keep) {
		memset(&s->hdr, 0, sizeof(s->hdr));
		if (store_write_hdr(s))
			failed++;
	}
	if (fflush(stdout))
		failed++;
	return failed ? CKPT_EXIT_FAIL : CKPT_EXIT_OK;
}

/* ---- listing ---- */

static int kexec_list(struct store *s)
{
	time_t saved;
	char when[64] = "?";
	uint32_t i, nr;

	if (store_read_hdr(s))
		return CKPT_EXIT_FAIL;
	nr = le32toh(s->hdr.nr);
	saved = le64toh(s->hdr.saved_ns) / 1000000000ULL;
	if (saved)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&saved));
	printf("store %s: %u tree(s), saved %s\n", s->path, nr, when);
	for (i = 0; i < nr; i++) {
		const struct store_entry *e = &s->hdr.e[i];

		printf("%3u  pid %u (%s): %llu bytes", i, le32toh(e->pid), e->comm,
		       (unsigned long long)le64toh(e->length));
		if (!s->dir)
			printf(" at %llu", (unsigned long long)le64toh(e->offset));
		printf(", saved in %llu ms%s\n",
		       (unsigned long long)le64toh(e->checkpoint_us) / 1000,
		       le32toh(e->flags) & STORE_RESTORED ? ", restored" : "");
	}
	return fflush(stdout) ? CKPT_EXIT_FAIL : CKPT_EXIT_OK;
}

/* ---- the command ---- */

static const char kexec_usage[] =
	"Usage: ckpt kexec [options] --store STORE --kernel BZIMAGE PID...\n"
	"       ckpt kexec --store STORE PID...   (save only, reboot yourself)\n"
	"       ckpt kexec --exec\n"
	"       ckpt kexec --restore --store STORE\n"
	"       ckpt kexec --list --store STORE\n"
	"\n"
	"Checkpoint each tree (its root PID) into STORE, killing it once saved,\n"
	"and reboot into BZIMAGE with kexec; in the next kernel, --restore\n"
	"restarts them.  STORE is a block device that survives the reboot\n"
	"(/dev/pmem0 of memmap=SIZE!START) or a directory on a disk.  If a tree\n"
	"cannot be saved, those saved before it are restarted and nothing reboots.\n"
	"\n"
	"  -s, --store STORE    where the images go and come from\n"
	"  -k, --kernel FILE    the next kernel, loaded before any checkpoint\n"
	"  -i, --initrd FILE    its initramfs\n"
	"  -a, --append STRING  its command line (default: this kernel's)\n"
	"  -n, --no-exec        load, save, but do not reboot (then: --exec)\n"
	"  -e, --exec           reboot into the kernel loaded earlier\n"
	"  -r, --restore        restart the trees of STORE not restarted yet\n"
	"      --keep           leave STORE as it is after a restore\n"
	"      --format-version N  images of format version N, for a next kernel\n"
	"                       that reads only N (an older one)\n"
	"  -L, --list           the trees STORE holds, and whether restored\n"
	"  -v, --verbose        the kernel's log on standard error\n"
	"  -l, --log FILE       the kernel's log into FILE\n"
	"  -h, --help           this help\n";

static int kexec_parse(int argc, char **argv, struct kexec_opts *o)
{
	static const struct option longopts[] = {
		{ "store",   required_argument, NULL, 's' },
		{ "kernel",  required_argument, NULL, 'k' },
		{ "initrd",  required_argument, NULL, 'i' },
		{ "append",  required_argument, NULL, 'a' },
		{ "no-exec", no_argument,       NULL, 'n' },
		{ "exec",    no_argument,       NULL, 'e' },
		{ "restore", no_argument,       NULL, 'r' },
		{ "keep",    no_argument,       NULL, 'K' },
		{ "format-version", required_argument, NULL, 'F' },
		{ "list",    no_argument,       NULL, 'L' },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "log",     required_argument, NULL, 'l' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "s:k:i:a:nerLvl:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->store = optarg;
			break;
		case 'k':
			o->kernel = optarg;
			break;
		case 'i':
			o->initrd = optarg;
			break;
		case 'a':
			o->append = optarg;
			break;
		case 'n':
			o->no_exec = true;
			break;
		case 'e':
			o->exec = true;
			break;
		case 'r':
			o->restore = true;
			break;
		case 'K':
			o->keep = true;
			break;
		case 'F':
			if (!ckpt_parse_format_version(optarg, &o->flags))
				return kexec_usage_err(CKPT_FORMAT_VERSION_ERR);
			break;
		case 'L':
			o->list = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'l':
			o->log_path = optarg;
			break;
		case 'h':
			fputs(kexec_usage, stdout);
			return CKPT_EXIT_OK;
		default:
			return kexec_usage_err("bad option");
		}
	}
	if (o->exec)
		return optind == argc && !o->store && !o->restore ? -1 :
		       kexec_usage_err("--exec takes nothing else");
	if (!o->store)
		return kexec_usage_err("--store STORE is needed");
	if (o->restore && o->list)
		return kexec_usage_err("--restore and --list exclude each other");
	if (o->restore || o->list)
		return optind == argc && !o->kernel ? -1 :
		       kexec_usage_err("--restore and --list take no PID and no kernel");
	if ((o->initrd || o->append || o->no_exec) && !o->kernel)
		return kexec_usage_err("--initrd, --append and --no-exec go with --kernel");
	if (optind == argc || argc - optind > STORE_MAX)
		return kexec_usage_err("one PID at least, 64 at most");
	for (; optind < argc; optind++)
		if (!ckpt_parse_pid(argv[optind], &o->pids[o->nr_pids++]))
			return kexec_usage_err("PID must be a positive number");
	if (o->verbose && o->log_path)
		return kexec_usage_err("-v and --log exclude each other");
	return -1;
}

int cmd_kexec(int argc, char **argv)
{
	struct kexec_opts o = { 0 };
	struct store s = { .fd = -1 };
	struct ckpt_log log;
	int ret;

	ret = kexec_parse(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (o.exec)
		return kexec_exec();
	if (o.list) {
		if (store_open(&s, o.store, false))
			ret = CKPT_EXIT_FAIL;
		else
			ret = kexec_list(&s);
		if (s.fd >= 0)
			close(s.fd);
		return ret;
	}
	if (ckpt_check_kernel(o.restore ? "restart" : "checkpoint"))
		return CKPT_EXIT_FAIL;
	if (store_open(&s, o.store, !o.restore)) {
		if (s.fd >= 0)
			close(s.fd);
		return CKPT_EXIT_FAIL;
	}
	if (ckpt_log_open(&log, o.log_path, o.verbose, false)) {
		close(s.fd);
		return CKPT_EXIT_FAIL;
	}
	ret = o.restore ? kexec_restore(&o, &s, &log) : kexec_save(&o, &s, &log);
	ckpt_log_close(&log);
	close(s.fd);
	return ret;
}
