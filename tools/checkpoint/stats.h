/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a checkpoint or restart cost, as the kernel tells it on logfd, and
 * its progress while it runs.  The figures are only read and shown here:
 * the kernel counts them.
 */
#ifndef CKPT_STATS_H
#define CKPT_STATS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>

struct ckpt_log;

/*
 * The figures, in the order of the JSON object of --stats FILE, each
 * under its JSON name.  KERNEL: a key of the kernel's "stats:" line,
 * key=value; the others come from its summary lines, or from ckpt.
 */
#define CKPT_STATS(FN)						\
	FN(PID,			pid,			false)	\
	FN(TASKS,		tasks,			false)	\
	FN(IMAGE_BYTES,		image_bytes,		false)	\
	FN(RECORDS,		records,		false)	\
	FN(FROZEN_US,		frozen_us,		false)	\
	FN(MEMORY_US,		memory_us,		true)	\
	FN(PAGES_SCANNED,	pages_scanned,		true)	\
	FN(PAGES_WRITTEN,	pages_written,		true)	\
	FN(PAGES_RESTORED,	pages_restored,		true)	\
	FN(PAGES_COW,		pages_cow,		true)	\
	FN(PAGES_COW_COPIED,	pages_cow_copied,	true)	\
	FN(PAGES_PARENT,	pages_parent,		true)	\
	FN(PAGES_SKIPPED,	pages_skipped,		true)	\
	FN(WALL_US,		wall_us,		false)	\
	FN(TRIES,		tries,			false)

enum ckpt_stat {
#define __CKPT_STAT_ENUM(id, name, kernel) CKPT_STAT_##id,
	CKPT_STATS(__CKPT_STAT_ENUM)
#undef __CKPT_STAT_ENUM
	CKPT_STAT_NR
};

/* A figure is in the JSON object only if it is known: have says which */
struct ckpt_stats {
	uint64_t val[CKPT_STAT_NR];
	uint32_t have;
	/* The sums of the "mm:" lines, for a kernel without a "stats:" line */
	uint64_t mm_saved, mm_shared, mm_restored;
	bool mm_saved_seen, mm_shared_seen, mm_restored_seen, stats_line;
};

static inline bool ckpt_stat_has(const struct ckpt_stats *s, enum ckpt_stat i)
{
	return s->have & (1U << i);
}

static inline void ckpt_stat_set(struct ckpt_stats *s, enum ckpt_stat i, uint64_t v)
{
	s->val[i] = v;
	s->have |= 1U << i;
}

void ckpt_stats_init(struct ckpt_stats *s);
void ckpt_stats_parse_line(struct ckpt_stats *s, const char *line);
void ckpt_stats_finish(struct ckpt_stats *s);
int ckpt_stats_read_log(int fd, off_t from, struct ckpt_stats *s);
int ckpt_stats_write_json(FILE *f, const struct ckpt_stats *s);
const char *ckpt_stats_size(char *buf, size_t len, uint64_t bytes);
const char *ckpt_stats_time(char *buf, size_t len, uint64_t us);
void ckpt_stats_summary(char *buf, size_t len, const char *cmd, const struct ckpt_stats *s);
uint64_t ckpt_elapsed_us(const struct timespec *from);

/* --stats FILE: opened before the system call, written after it */
struct ckpt_stats_file {
	const char *path;
	FILE *f;
	int dir;		/* FILE's directory, where it is removed from */
};

int ckpt_stats_open(struct ckpt_stats_file *sf);
int ckpt_stats_close(struct ckpt_stats_file *sf, const struct ckpt_stats *s);

struct ckpt_log;

/*
 * What checkpoint and restart open first, for command cmd: the log
 * (ckpt_log_open()), the --stats file sf->path, then the image at path
 * (ckpt_open_image()).  The image's descriptor, or -1, said, with
 * neither of the others left open.
 */
int ckpt_cmd_open(const char *cmd, struct ckpt_log *log, const char *log_path, bool verbose,
		  bool read_back, struct ckpt_stats_file *sf, const char *path, bool output);

/*
 * While checkpoint(2) or restart(2) runs, a thread of ours shows on
 * standard error how far it is, and copies the kernel's log there (-v
 * with a log kept to be read back); the system call is not disturbed.
 */
struct ckpt_progress {
	/* Set by the caller */
	const char *cmd;	/* "checkpoint" or "restart" */
	int image_fd;
	pid_t tree;		/* checkpoint: the root of the tree, for the estimate */
	bool show;		/* draw the progress line */
	struct ckpt_log *log;	/* copied to standard error if log->tee */

	/* Private */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool running, stop;
	struct timespec t0;
	uint64_t estimate;	/* checkpoint: the tree's memory, in bytes; 0 if unknown */
	off_t pos0;		/* restart: where the image started */
	size_t shown;		/* length of the line on the terminal, 0 if none */
	off_t tailed;		/* how much of the log is copied */
};

/* The mode of --progress, --no-progress and -q */
enum ckpt_progress_mode {
	CKPT_PROGRESS_AUTO,	/* on if standard error is a terminal, and no -v */
	CKPT_PROGRESS_ON,
	CKPT_PROGRESS_OFF,
};

bool ckpt_progress_wanted(enum ckpt_progress_mode mode, bool verbose);
void ckpt_progress_start(struct ckpt_progress *p);
void ckpt_progress_stop(struct ckpt_progress *p);
uint64_t ckpt_tree_memory(pid_t root);

#endif /* CKPT_STATS_H */
