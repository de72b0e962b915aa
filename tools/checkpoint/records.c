// SPDX-License-Identifier: GPL-2.0
/*
 * Field checks of each record type, and the grammar moves they make.
 *
 * show.c has already checked that the record may come here, that its
 * length is a multiple of 8 within CKPT_REC_MAX_LEN and that it covers
 * the fixed part (exactly, for a fixed-size type).  What is left is what
 * only the fields tell: counts against the length, reserved fields and
 * padding that must be zero, object references, and the nesting of MM.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

#define NGROUPS_MAX_LINUX	65536
#define NSIG_LINUX		64
#define NSEC_PER_SEC		1000000000U
/* The uid and gid no user namespace maps */
#define INVALID_ID		0xffffffffU
#define SIGINFO_SIZE		128

/* sigaltstack(2) values of the Linux ABI, whatever the host's libc says */
#define CKPT_SS_ONSTACK		1
#define CKPT_SS_AUTODISARM	(1U << 31)
#define CKPT_MINSIGSTKSZ	2048

/* x86: the XSAVE legacy area and header, where components 0 and 1 live */
#define XSAVE_LEGACY_END	576
#define XSAVE_SSE_OFFSET	160
#define XSAVE_MAX_SIZE		(64 * 1024)
#define XFEATURES_FP_SSE	0x3

#define FUTEX_PRIVATE_FLAG_LINUX	128
#define FUTEX_CLOCK_REALTIME_LINUX	256

#define CKPT_VMA_FLAGS	(CKPT_VMA_READ | CKPT_VMA_WRITE | CKPT_VMA_EXEC | \
			 CKPT_VMA_GROWSDOWN | CKPT_VMA_NORESERVE |	  \
			 CKPT_VMA_HUGEPAGE | CKPT_VMA_NOHUGEPAGE |	  \
			 CKPT_VMA_DONTFORK | CKPT_VMA_WIPEONFORK |	  \
			 CKPT_VMA_DONTDUMP | CKPT_VMA_LOCKED |		  \
			 CKPT_VMA_LOCKONFAULT)
#define CKPT_MM_FLAGS	(CKPT_MM_MLOCK_FUTURE | CKPT_MM_MLOCK_ONFAULT)
/* F_SEAL_SEAL .. F_SEAL_EXEC */
#define SEALS_LINUX	0x3f
#define MEMFD_PREFIX	"/memfd:"

bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--)
		if (*b++)
			return false;
	return true;
}

static int check_zero(struct image *img, const void *p, size_t len,
		      const char *what)
{
	if (!all_zero(p, len))
		return image_fail(img, "%s is not zero", what);
	return 0;
}

/*
 * A record with a variable part: its length is the fixed part plus
 * var bytes, rounded up to 8, and the bytes rounding it up are zero.
 */
static int check_var_len(struct image *img, const void *p, uint32_t len,
			 uint64_t var)
{
	uint64_t used = rec_types[img->rec_type].size + var;

	if (ALIGN8(used) != len)
		return image_fail(img, "len %u, but its contents take %llu bytes before padding",
				  len, (unsigned long long)used);
	return check_zero(img, (const uint8_t *)p + used, len - used,
			  "padding after the contents");
}

/*
 * A record whose variable part is a path of n bytes: in range, covered
 * by the length, absolute, NUL-terminated with no NUL before the end.
 */
static int check_path(struct image *img, const void *p, uint32_t len,
		      uint32_t n, const char *what)
{
	const char *s = (const char *)p + rec_types[img->rec_type].size;

	if (n < 2 || n > CKPT_PATH_MAX)
		return image_fail(img, "%s_len %u is out of range 2..%u",
				  what, n, CKPT_PATH_MAX);
	if (check_var_len(img, p, len, n))
		return -1;
	if (strnlen(s, n) != n - 1)
		return image_fail(img, "%s is not a NUL-terminated string of %u bytes",
				  what, n);
	if (s[0] != '/')
		return image_fail(img, "%s is not an absolute path", what);
	return 0;
}

/* A fixed-size char array: NUL-terminated and NUL-padded */
static int check_padded_string(struct image *img, const char *s,
			       size_t size, const char *what)
{
	size_t n = strnlen(s, size);

	if (n == size)
		return image_fail(img, "%s is not NUL-terminated", what);
	if (!all_zero(s + n, size - n))
		return image_fail(img, "%s is not NUL-padded", what);
	return 0;
}

static int check_flags(struct image *img, uint32_t flags, uint32_t known,
		       const char *what)
{
	if (flags & ~known)
		return image_fail(img, "%s 0x%x has unknown bits 0x%x", what,
				  flags, flags & ~known);
	return 0;
}

static int check_signal(struct image *img, uint32_t sig, const char *what)
{
	if (sig > NSIG_LINUX)
		return image_fail(img, "%s %u is not a signal", what, sig);
	return 0;
}

/*
 * Objects: an open-addressing hash from objref to the type of the record
 * that defined it.  Ids are arbitrary (1..INT_MAX, unique), so no array
 * indexed by id; the table grows with the objects, which the image pays
 * for with one record each.
 */
static uint32_t obj_slot(const struct image *img, uint32_t objref)
{
	uint32_t mask = img->obj_cap - 1;
	uint32_t i = (objref * 2654435761U) & mask;

	while (img->obj_ref[i] && img->obj_ref[i] != objref)
		i = (i + 1) & mask;
	return i;
}

/* The record type that defined objref, or 0 */
static uint32_t obj_type(const struct image *img, uint32_t objref)
{
	return img->obj_cap ? img->obj_type[obj_slot(img, objref)] : 0;
}

static int obj_grow(struct image *img)
{
	uint32_t *old_ref = img->obj_ref, *old_mm = img->obj_mm, old_cap = img->obj_cap;
	uint8_t *old_type = img->obj_type, *old_kind = img->obj_kind;
	uint32_t i, slot, cap;

	if (old_cap > UINT32_MAX / 4)
		return image_fail(img, "too many objects");
	cap = old_cap ? old_cap * 2 : 64;
	img->obj_ref = calloc(cap, sizeof(*img->obj_ref));
	img->obj_type = calloc(cap, sizeof(*img->obj_type));
	img->obj_kind = calloc(cap, sizeof(*img->obj_kind));
	img->obj_mm = calloc(cap, sizeof(*img->obj_mm));
	if (!img->obj_ref || !img->obj_type || !img->obj_kind || !img->obj_mm) {
		free(img->obj_ref);
		free(img->obj_type);
		free(img->obj_kind);
		free(img->obj_mm);
		img->obj_ref = old_ref;
		img->obj_type = old_type;
		img->obj_kind = old_kind;
		img->obj_mm = old_mm;
		return image_fail(img, "out of memory for %u objects", cap);
	}
	img->obj_cap = cap;
	for (i = 0; i < old_cap; i++) {
		if (!old_ref[i])
			continue;
		slot = obj_slot(img, old_ref[i]);
		img->obj_ref[slot] = old_ref[i];
		img->obj_type[slot] = old_type[i];
		img->obj_kind[slot] = old_kind[i];
		img->obj_mm[slot] = old_mm[i];
	}
	free(old_ref);
	free(old_type);
	free(old_kind);
	free(old_mm);
	return 0;
}

/* The record being read defines object objref: new, in 1..INT_MAX */
static int define_object(struct image *img, uint32_t objref)
{
	uint32_t slot;

	if (!objref || objref > INT_MAX)
		return image_fail(img, "objref %u is out of range 1..%d",
				  objref, INT_MAX);
	if (obj_type(img, objref))
		return image_fail(img, "objref %u is already defined, by a %s",
				  objref, rec_names[obj_type(img, objref)]);
	if (2 * (img->nr_objs + 1) > img->obj_cap && obj_grow(img))
		return -1;
	slot = obj_slot(img, objref);
	img->obj_ref[slot] = objref;
	img->obj_type[slot] = img->rec_type;
	img->obj_kind[slot] = 0;
	img->obj_mm[slot] = 0;
	img->nr_objs++;
	return 0;
}

/* A FILE's kind, with OBJ_FILE_REF if its obj_ref names another FILE */
#define OBJ_FILE_REF	0x80

_Static_assert(__CKPT_FILE_NR <= OBJ_FILE_REF, "FILE kinds no longer fit obj_kind");

/* The FILE being read defines object objref, of kind @kind */
static int define_file(struct image *img, uint32_t objref, uint32_t kind,
		       bool names_file)
{
	if (define_object(img, objref))
		return -1;
	img->obj_kind[obj_slot(img, objref)] = kind | (names_file ? OBJ_FILE_REF : 0);
	img->fown_file = objref;
	return 0;
}

/* A reference to an earlier object of record type @type; 0 is "none" */
static int check_ref(struct image *img, const char *field, uint32_t ref,
		     uint32_t type)
{
	uint32_t defined;

	if (!ref)
		return 0;
	defined = obj_type(img, ref);
	if (!defined)
		return image_fail(img, "%s %u refers to no object defined before it",
				  field, ref);
	if (defined != type)
		return image_fail(img, "%s %u is a %s, not a %s", field, ref,
				  rec_names[defined], rec_names[type]);
	return 0;
}

/* The next task with records: zombies have none */
static void next_task(struct image *img)
{
	while (img->tasks_done < img->nr_tasks &&
	       (img->tree[img->tasks_done].flags & CKPT_TREE_ZOMBIE))
		img->tasks_done++;
	img->state = img->tasks_done == img->nr_tasks ? ST_TRAILER : ST_TASK;
}

static void task_done(struct image *img)
{
	img->tasks_done++;
	next_task(img);
}

/* A record other than SIGPENDING where one may be: the task has no more */
void image_sigpending_done(struct image *img, uint32_t type)
{
	if ((img->state == ST_SIGPENDING || img->state == ST_SIGPENDING_SHARED) &&
	    type != CKPT_REC_SIGPENDING)
		task_done(img);
}

/*
 * x86: the XSAVE area that every X86_XSTATE record carries, and where
 * each component is in it.  x87 and SSE state are always there, in the
 * legacy area; the other components follow the XSAVE header.
 */
static int check_xsave_layout(struct image *img,
			      const struct ckpt_image_header *h)
{
	uint64_t features = LE64(h->xfeatures);
	uint32_t size = LE32(h->xstate_size);
	uint32_t i, off, want;

	if ((features & XFEATURES_FP_SSE) != XFEATURES_FP_SSE ||
	    features >> ARRAY_SIZE(h->xstate_offsets))
		return image_fail(img, "xfeatures 0x%llx lacks x87 or SSE, or has bits above %zu",
				  (unsigned long long)features,
				  ARRAY_SIZE(h->xstate_offsets) - 1);
	if (size < XSAVE_LEGACY_END || size > XSAVE_MAX_SIZE)
		return image_fail(img, "xstate_size %u is out of range %u..%u",
				  size, XSAVE_LEGACY_END, XSAVE_MAX_SIZE);
	for (i = 0; i < ARRAY_SIZE(h->xstate_offsets); i++) {
		off = LE32(h->xstate_offsets[i]);
		if (i < 2) {
			want = i ? XSAVE_SSE_OFFSET : 0;
			if (off != want)
				return image_fail(img, "xstate_offsets[%u] %u, expected %u",
						  i, off, want);
		} else if (!(features & (1ULL << i))) {
			if (off)
				return image_fail(img,
						  "xstate_offsets[%u] %u, but component %u is not in xfeatures",
						  i, off, i);
		} else if (off < XSAVE_LEGACY_END || off >= size) {
			return image_fail(img, "xstate_offsets[%u] %u is outside %u..%u",
					  i, off, XSAVE_LEGACY_END, size - 1);
		}
	}
	return 0;
}

int accept_HEADER(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_image_header *h = p;
	uint32_t max_tasks = (CKPT_REC_MAX_LEN - sizeof(struct ckpt_tree)) /
			     sizeof(struct ckpt_tree_task);

	if (LE64(h->magic) != CKPT_IMAGE_MAGIC)
		return image_fail(img, "bad magic 0x%016llx, not a checkpoint image",
				  (unsigned long long)LE64(h->magic));
	if (!LE32(h->version) || LE32(h->version) > CKPT_IMAGE_VERSION)
		return image_fail(img, "unsupported version %u (this ckpt reads versions 1 to %u)",
				  LE32(h->version), CKPT_IMAGE_VERSION);
	img->version = LE32(h->version);
	if (LE32(h->arch) != CKPT_ARCH_X86_64)
		return image_fail(img, "unknown arch %u", LE32(h->arch));
	/* x86-64 has one base page size */
	if (LE32(h->page_size) != 4096)
		return image_fail(img, "page_size %u, expected 4096 on x86-64",
				  LE32(h->page_size));
	if (LE32(h->flags) & ~(uint32_t)(CHECKPOINT_KILL | CHECKPOINT_SUBTREE |
					  CHECKPOINT_SHARED_OK | CHECKPOINT_ROOT_RELATIVE |
					  CHECKPOINT_EXT_UNIX_SK | CHECKPOINT_TRACK |
					  CHECKPOINT_INCREMENTAL | CHECKPOINT_PREDUMP |
					  CHECKPOINT_STOP | CHECKPOINT_LAZY))
		return image_fail(img, "unknown flags 0x%x", LE32(h->flags));
	if ((LE32(h->flags) & CHECKPOINT_LAZY) &&
	    (LE32(h->flags) & (CHECKPOINT_INCREMENTAL | CHECKPOINT_PREDUMP)))
		return image_fail(img, "flags 0x%x: LAZY with INCREMENTAL or PREDUMP",
				  LE32(h->flags));
	img->predump = LE32(h->flags) & CHECKPOINT_PREDUMP;
	if (check_padded_string(img, h->release, sizeof(h->release), "release") ||
	    check_xsave_layout(img, h))
		return -1;
	if (!LE32(h->nr_tasks) || LE32(h->nr_tasks) > max_tasks)
		return image_fail(img, "nr_tasks %u is out of range 1..%u",
				  LE32(h->nr_tasks), max_tasks);

	img->page_size = LE32(h->page_size);
	img->xstate_size = LE32(h->xstate_size);
	img->xfeatures = LE64(h->xfeatures);
	img->nr_tasks = LE32(h->nr_tasks);
	img->state = img->predump ? ST_PREDUMP : ST_TREE;
	return 0;
}

int accept_TRAILER(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_image_trailer *t = p;
	uint32_t crc = image_crc_end(img->crc);

	if (LE64(t->size) != img->rec_off)
		return image_fail(img, "size %llu, but %llu bytes precede it",
				  (unsigned long long)LE64(t->size),
				  (unsigned long long)img->rec_off);
	if (LE32(t->nr_records) != img->nr_records)
		return image_fail(img, "nr_records %u, but %u records precede it",
				  LE32(t->nr_records), img->nr_records);
	if (LE32(t->crc32c) != crc)
		return image_fail(img, "crc32c 0x%08x, but the image before it has 0x%08x",
				  LE32(t->crc32c), crc);
	img->state = ST_END;
	return 0;
}

struct tree_key {
	uint32_t pid;
	uint32_t index;
};

static int tree_key_cmp(const void *a, const void *b)
{
	const struct tree_key *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Index of pid in the tree, or -1 */
static int64_t tree_find(const struct tree_key *keys, uint32_t n, uint32_t pid)
{
	struct tree_key k = { .pid = pid }, *found;

	found = bsearch(&k, keys, n, sizeof(*keys), tree_key_cmp);
	return found ? (int64_t)found->index : -1;
}

/* img->pids: the TREE's pids, sorted, to find a task by its pid */
static int index_pids(struct image *img)
{
	uint32_t i;

	if (img->pids)
		return 0;
	img->pids = calloc(img->nr_tasks, sizeof(*img->pids));
	if (!img->pids)
		return image_fail(img, "out of memory for %u tasks", img->nr_tasks);
	for (i = 0; i < img->nr_tasks; i++) {
		img->pids[i].pid = img->tree[i].pid;
		img->pids[i].index = i;
	}
	qsort(img->pids, img->nr_tasks, sizeof(*img->pids), tree_key_cmp);
	return 0;
}

static int check_tree_flags(struct image *img, uint32_t i,
			    const struct ckpt_tree_task *t)
{
	uint32_t flags = LE32(t->flags), pid = LE32(t->pid);
	bool leader = pid == LE32(t->tgid);

	if (flags & ~(uint32_t)(CKPT_TREE_ZOMBIE | CKPT_TREE_STOPPED |
				CKPT_TREE_PIDNS | CKPT_TREE_EXITED))
		return image_fail(img, "task[%u]: flags 0x%x has unknown bits",
				  i, flags);
	if ((flags & CKPT_TREE_PIDNS) && (i || pid != 1))
		return image_fail(img, "task[%u]: PIDNS, but not the root with pid 1", i);
	if ((flags & (CKPT_TREE_ZOMBIE | CKPT_TREE_STOPPED | CKPT_TREE_EXITED)) &&
	    !leader)
		return image_fail(img, "task[%u]: a thread cannot be a zombie, stopped or exited",
				  i);
	if ((int32_t)LE32(t->pgid) < 0 || (int32_t)LE32(t->sid) < 0)
		return image_fail(img, "task[%u]: negative pgid or sid", i);
	/*
	 * A leader that exited while its threads run: restored with its
	 * records, it exits with exit_code once let go; it has no parent to
	 * signal yet
	 */
	if (flags & CKPT_TREE_EXITED) {
		if (flags & (CKPT_TREE_ZOMBIE | CKPT_TREE_STOPPED))
			return image_fail(img,
					  "task[%u]: an exited leader cannot be a zombie or stopped",
					  i);
		if (LE32(t->exit_code) > 0xffff)
			return image_fail(img, "task[%u]: exit_code 0x%x is out of range",
					  i, LE32(t->exit_code));
		if (LE32(t->exit_signal))
			return image_fail(img,
					  "task[%u]: exit_signal %u, but an exited leader has none",
					  i, LE32(t->exit_signal));
		return 0;
	}
	if (flags & CKPT_TREE_ZOMBIE) {
		if (!i || (flags & CKPT_TREE_STOPPED))
			return image_fail(img, "task[%u]: a zombie root or stopped zombie", i);
		if (LE32(t->exit_code) > 0xffff)
			return image_fail(img, "task[%u]: exit_code 0x%x is out of range",
					  i, LE32(t->exit_code));
		return check_signal(img, LE32(t->exit_signal), "exit_signal");
	}
	if (LE32(t->exit_code) || LE32(t->exit_signal))
		return image_fail(img,
				  "task[%u]: exit_code or exit_signal, but neither a zombie nor an exited leader",
				  i);
	return 0;
}

/*
 * Every pid once; the first task is the root; a parent, and the leader
 * of a thread group, come before the task; a thread of an exited leader
 * right after it (the kernel's ckpt_tree_order_ok()).
 */
static int check_tree(struct image *img, const struct ckpt_tree_task *t,
		      uint32_t n, const struct tree_key *keys)
{
	uint32_t i, pid, tgid, ppid;
	int64_t at;

	for (i = 0; i < n; i++) {
		pid = LE32(t[i].pid);
		tgid = LE32(t[i].tgid);
		ppid = LE32(t[i].ppid);
		if (!pid || pid > INT_MAX)
			return image_fail(img, "task[%u]: pid %u is out of range",
					  i, pid);
		if (i + 1 < n && keys[i].pid == keys[i + 1].pid)
			return image_fail(img, "pid %u appears twice",
					  keys[i].pid);
		if (check_tree_flags(img, i, &t[i]))
			return -1;
		if (i && tgid != pid &&
		    (t[i].pgid != t[i - 1].pgid || t[i].sid != t[i - 1].sid))
			return image_fail(img, "task[%u]: a thread with its own pgid or sid", i);
		if (i && (LE32(t[i - 1].flags) & CKPT_TREE_ZOMBIE) &&
		    (ppid == LE32(t[i - 1].pid) || tgid == LE32(t[i - 1].pid)))
			return image_fail(img, "task[%u]: a zombie's thread or child", i);
		/* An exited leader is there for its threads: one comes next */
		if (i && (LE32(t[i - 1].flags) & CKPT_TREE_EXITED) &&
		    (tgid != LE32(t[i - 1].pid) || tgid == pid))
			return image_fail(img,
					  "task[%u]: not a thread of the exited leader before it",
					  i);
		if (!i && (ppid || tgid != pid))
			return image_fail(img, "task[0]: the root has a ppid or is not a leader");
		at = tree_find(keys, n, tgid);
		if (at < 0 || at > i || LE32(t[at].tgid) != tgid)
			return image_fail(img,
					  "task[%u]: tgid %u is no thread-group leader before it",
					  i, tgid);
		/* A thread has its leader's parent: none for the root's threads */
		if (tgid != pid) {
			if (ppid != LE32(t[at].ppid))
				return image_fail(img,
						  "task[%u]: a thread whose ppid %u is not its leader's",
						  i, ppid);
			continue;
		}
		at = tree_find(keys, n, ppid);
		if (i && (at < 0 || at >= i))
			return image_fail(img, "task[%u]: ppid %u is not a task before it",
					  i, ppid);
	}
	if (n && (LE32(t[n - 1].flags) & CKPT_TREE_EXITED))
		return image_fail(img, "task[%u]: an exited leader without threads", n - 1);
	return 0;
}

int accept_TREE(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_tree *tree = p;
	const struct ckpt_tree_task *t = (const void *)(tree + 1);
	uint32_t i, n = LE32(tree->nr_tasks);
	struct tree_key *keys;
	int ret;

	if (n != img->nr_tasks)
		return image_fail(img, "nr_tasks %u, but the HEADER says %u",
				  n, img->nr_tasks);
	if (check_var_len(img, p, len, (uint64_t)n * sizeof(*t)) ||
	    check_zero(img, &tree->__pad, sizeof(tree->__pad), "__pad"))
		return -1;

	keys = calloc(n, sizeof(*keys));
	img->tree = calloc(n, sizeof(*img->tree));
	if (!keys || !img->tree) {
		free(keys);
		return image_fail(img, "out of memory for %u tasks", n);
	}
	for (i = 0; i < n; i++) {
		keys[i].pid = LE32(t[i].pid);
		keys[i].index = i;
		img->tree[i].pid = LE32(t[i].pid);
		img->tree[i].tgid = LE32(t[i].tgid);
		img->tree[i].flags = LE32(t[i].flags);
		img->tree[i].pgid = LE32(t[i].pgid);
	}
	qsort(keys, n, sizeof(*keys), tree_key_cmp);
	ret = check_tree(img, t, n, keys);
	free(keys);
	if (!ret) {
		next_task(img);
		if (img->state == ST_TASK)
			img->state = ST_UTS;
	}
	return ret;
}

static int check_restart_block(struct image *img, const struct ckpt_task *t)
{
	const typeof(t->restart) *r = &t->restart;

	switch (LE32(t->restart_kind)) {
	case CKPT_RESTART_NONE:
	case CKPT_RESTART_EINTR:
		return check_zero(img, r, sizeof(*r), "restart (unused)");
	case CKPT_RESTART_NANOSLEEP:
		if (LE32(r->nanosleep.type) > CKPT_TT_NATIVE)
			return image_fail(img, "restart.nanosleep.type %u is unknown",
					  LE32(r->nanosleep.type));
		return check_zero(img, &r->nanosleep + 1,
				  sizeof(*r) - sizeof(r->nanosleep),
				  "restart (after nanosleep)");
	case CKPT_RESTART_FUTEX:
		if (LE32(r->futex.flags) & ~(FUTEX_PRIVATE_FLAG_LINUX |
					      FUTEX_CLOCK_REALTIME_LINUX))
			return image_fail(img, "restart.futex.flags 0x%x has unknown bits",
					  LE32(r->futex.flags));
		return check_zero(img, &r->futex.__pad,
				  sizeof(r->futex.__pad), "restart.futex.__pad");
	case CKPT_RESTART_POLL:
		if (LE32(r->poll.has_timeout) > 1)
			return image_fail(img, "restart.poll.has_timeout %u is not 0 or 1",
					  LE32(r->poll.has_timeout));
		if (LE64(r->poll.tv_nsec) >= NSEC_PER_SEC)
			return image_fail(img, "restart.poll.tv_nsec %llu is out of range",
					  (unsigned long long)LE64(r->poll.tv_nsec));
		return 0;
	}
	return image_fail(img, "restart_kind %u is unknown",
			  LE32(t->restart_kind));
}

static int check_rseq(struct image *img, const struct ckpt_task *t)
{
	if (!LE64(t->rseq) && (LE32(t->rseq_len) || LE32(t->rseq_sig)))
		return image_fail(img, "rseq_len or rseq_sig without rseq");
	if (LE64(t->rseq) && LE32(t->rseq_len) < 32)
		return image_fail(img, "rseq_len %u is below 32", LE32(t->rseq_len));
	return 0;
}

static int check_task_seccomp(struct image *img, const struct ckpt_task *t);

int accept_TASK(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_task *t = p;
	const struct image_task *want = &img->tree[img->tasks_done];

	if (LE32(t->pid) != want->pid)
		return image_fail(img, "pid %u, but TREE entry %u is pid %u",
				  LE32(t->pid), img->tasks_done, want->pid);
	if (check_ref(img, "cred_ref", LE32(t->cred_ref), CKPT_REC_CRED) ||
	    check_ref(img, "mm_ref", LE32(t->mm_ref), CKPT_REC_MM) ||
	    check_ref(img, "files_ref", LE32(t->files_ref), CKPT_REC_FILES) ||
	    check_ref(img, "fs_ref", LE32(t->fs_ref), CKPT_REC_FS) ||
	    check_ref(img, "sighand_ref", LE32(t->sighand_ref),
		      CKPT_REC_SIGHAND) ||
	    check_signal(img, LE32(t->exit_signal), "exit_signal") ||
	    check_signal(img, LE32(t->pdeath_signal), "pdeath_signal") ||
	    check_flags(img, LE32(t->flags), CKPT_TASK_NO_NEW_PRIVS, "flags") ||
	    check_zero(img, &t->saved_sigmask, sizeof(t->saved_sigmask),
		       "saved_sigmask") ||
	    check_padded_string(img, t->comm, sizeof(t->comm), "comm") ||
	    check_zero(img, &t->__pad, sizeof(t->__pad), "__pad") ||
	    check_rseq(img, t) || check_task_seccomp(img, t) ||
	    check_restart_block(img, t))
		return -1;
	img->state = want->pid == want->tgid ? ST_PROCESS : ST_REGS;
	img->task_extras = 0;
	return 0;
}

int accept_UTS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_uts *u = p;

	if (check_padded_string(img, u->nodename, sizeof(u->nodename), "nodename") ||
	    check_padded_string(img, u->domainname, sizeof(u->domainname),
				"domainname") ||
	    check_zero(img, u->__pad, sizeof(u->__pad), "__pad"))
		return -1;
	return 0;
}

int accept_TIMENS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_timens *t = p;

	/* As the kernel: past this, an offset could reach KTIME_MAX */
	if (LE64(t->monotonic_ns) > (uint64_t)(INT64_MAX / 1000000000 / 2) * 1000000000 ||
	    LE64(t->boottime_ns) > (uint64_t)(INT64_MAX / 1000000000 / 2) * 1000000000)
		return image_fail(img, "clock value out of range");
	return 0;
}

int accept_USERNS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_userns *u = p;
	const struct ckpt_id_extent *e = (const void *)(u + 1);
	uint32_t nr_uid = LE32(u->nr_uid), nr_gid = LE32(u->nr_gid), i;

	if (LE32(u->flags) & ~CKPT_USERNS_SETGROUPS)
		return image_fail(img, "unknown flags %#x", LE32(u->flags));
	if (!nr_uid || !nr_gid || nr_uid > CKPT_USERNS_MAX_EXTENTS ||
	    nr_gid > CKPT_USERNS_MAX_EXTENTS)
		return image_fail(img, "nr_uid %u, nr_gid %u: each must be 1..%u",
				  nr_uid, nr_gid, CKPT_USERNS_MAX_EXTENTS);
	if (check_var_len(img, p, len, (uint64_t)(nr_uid + nr_gid) * sizeof(*e)) ||
	    check_zero(img, &u->__pad, sizeof(u->__pad), "__pad"))
		return -1;
	/* As /proc/PID/uid_map takes them: no empty or wrapping extent */
	for (i = 0; i < nr_uid + nr_gid; i++) {
		uint32_t count = LE32(e[i].count);

		if (!count || LE32(e[i].first) > UINT32_MAX - count ||
		    LE32(e[i].lower_first) > UINT32_MAX - count)
			return image_fail(img, "extent %u: empty or wraps around", i);
	}
	return 0;
}

/* --- the cgroup namespace --- */

/* The kernel's CKPT_CGROUP_VALUE_MAX: a value is shorter */
#define CGROUP_VALUE_MAX	4096

/*
 * The files a CGROUP holds, restart writes: the kernel's
 * ckpt_cgroup_files[] but the one checkpoint only checks (cgroup.type).
 * A value of a file with lines may have newlines; cgroup.freeze is "1"
 * in a cgroup frozen at checkpoint, which restart freezes again once
 * every task is in (unless RESTART_THAW), else "0".
 */
static const struct {
	const char *name;
	bool lines;
} cgroup_files[] = {
	{ "cgroup.subtree_control", false },
	{ "cgroup.max.descendants", false },
	{ "cgroup.max.depth", false },
	{ "cpu.weight", false },
	{ "cpu.max", false },
	{ "cpu.idle", false },
	{ "cpuset.cpus", false },
	{ "cpuset.mems", false },
	{ "io.weight", true },
	{ "io.max", true },
	{ "memory.min", false },
	{ "memory.low", false },
	{ "memory.high", false },
	{ "memory.max", false },
	{ "memory.swap.high", false },
	{ "memory.swap.max", false },
	{ "memory.oom.group", false },
	{ "pids.max", false },
	{ "cgroup.freeze", false },
};

/* The kernel's isprint(): ASCII and Latin-1, not their control characters */
static bool cgroup_printable(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c >= 0xa0;
}

int accept_CGROUPNS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_cgroupns *c = p;
	uint32_t nr = LE32(c->nr_cgroups);

	if (check_flags(img, LE32(c->flags), 0, "flags"))
		return -1;
	if (!nr || nr > CKPT_CGROUP_MAX)
		return image_fail(img, "nr_cgroups %u is out of range 1..%u",
				  nr, CKPT_CGROUP_MAX);
	img->cgroups = calloc(nr, sizeof(*img->cgroups));
	if (!img->cgroups)
		return image_fail(img, "out of memory for %u cgroups", nr);
	/* The CGROUPs name processes by pid */
	if (index_pids(img))
		return -1;
	img->nr_cgroups = nr;
	img->cgroups_done = 0;
	img->state = ST_CGROUP;
	return 0;
}

const char *image_cgroup_path(const struct image *img, uint32_t id,
			      char *buf, size_t size)
{
	size_t at = size - 1, n;

	if (!id || id > img->cgroups_done || size < 8)
		return NULL;
	buf[at] = 0;
	if (id == 1) {
		buf[--at] = '/';
		return buf + at;
	}
	/* From the cgroup up to the root: each parent has a lower id */
	for (; id > 1; id = img->cgroups[id - 1].parent) {
		n = strlen(img->cgroups[id - 1].name);
		if (n + 1 + 3 > at) {
			at -= 3;
			memcpy(buf + at, "...", 3);
			break;
		}
		at -= n;
		memcpy(buf + at, img->cgroups[id - 1].name, n);
		buf[--at] = '/';
	}
	return buf + at;
}

/* Where it is in the tree: id and parent name earlier CGROUPs */
static int check_cgroup_tree(struct image *img, const struct ckpt_cgroup *c)
{
	uint32_t id = LE32(c->id), parent = LE32(c->parent);

	if (id != img->cgroups_done + 1)
		return image_fail(img, "id %u, but it is CGROUP %u of the CGROUPNS",
				  id, img->cgroups_done + 1);
	if (id == 1 && parent)
		return image_fail(img, "parent %u, but the first CGROUP is the root (parent 0)",
				  parent);
	if (id > 1 && (!parent || parent >= id))
		return image_fail(img, "parent %u is not the id of an earlier CGROUP", parent);
	return 0;
}

/* "" for the root, else a directory name: the kernel's ckpt_cgroup_name_ok() */
static int check_cgroup_name(struct image *img, const char *name, uint32_t n,
			     bool root)
{
	if (strnlen(name, n) != n - 1)
		return image_fail(img, "name is not a NUL-terminated string of %u bytes", n);
	if (root && n != 1)
		return image_fail(img, "name_len %u, but the root's name is \"\" (name_len 1)", n);
	if (!root && (n < 2 || strchr(name, '/') || !strcmp(name, ".") ||
		      !strcmp(name, "..")))
		return image_fail(img, "name is empty, \".\", \"..\" or has a \"/\"");
	return 0;
}

static int cgroup_file_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cgroup_files); i++)
		if (!strcmp(name, cgroup_files[i].name))
			return i;
	return -1;
}

/* Not a file of cgroup_files[]: named if it prints as it is */
static int cgroup_file_unknown(struct image *img, uint32_t i, const char *name)
{
	const char *c;

	for (c = name; *c >= 0x20 && *c < 0x7f; c++)
		;
	if (*c || c - name > 64)
		return image_fail(img, "file[%u]: its name is not a file restart writes", i);
	return image_fail(img, "file[%u]: \"%s\" is not a file restart writes", i, name);
}

/* A value restart writes: printable, with newlines only if the file has lines */
static int check_cgroup_value(struct image *img, uint32_t i, const char *name,
			      const char *val, bool lines)
{
	const char *c;

	if (strlen(val) >= CGROUP_VALUE_MAX)
		return image_fail(img, "file[%u]: %s: its value is longer than %u bytes",
				  i, name, CGROUP_VALUE_MAX - 1);
	for (c = val; *c; c++)
		if (!cgroup_printable(*c) && !(*c == '\n' && lines))
			return image_fail(img, "file[%u]: %s: a byte 0x%02x is not printable",
					  i, name, (unsigned char)*c);
	return 0;
}

/*
 * "FILE\0VALUE\0" pairs, each FILE one restart writes, each VALUE
 * printable (but the newlines of a file with lines) and shorter than
 * CGROUP_VALUE_MAX: the kernel's ckpt_cgroup_files_ok()
 */
static int check_cgroup_files(struct image *img, const char *files, uint32_t len)
{
	const char *name, *val;
	uint32_t off, i;
	size_t n, m;
	int f;

	if (len && files[len - 1])
		return image_fail(img, "files do not end with a NUL");
	for (off = 0, i = 0; off < len; off += n + 1 + m + 1, i++) {
		name = files + off;
		n = strlen(name);
		if (off + n + 1 >= len)
			return image_fail(img, "file[%u]: a name without a value", i);
		val = name + n + 1;
		m = strlen(val);
		f = cgroup_file_find(name);
		if (f < 0)
			return cgroup_file_unknown(img, i, name);
		if (check_cgroup_value(img, i, name, val, cgroup_files[f].lines))
			return -1;
		if (!strcmp(name, "cgroup.freeze") && strcmp(val, "0") && strcmp(val, "1"))
			return image_fail(img,
					  "file[%u]: cgroup.freeze: its value is not \"0\" or \"1\"",
					  i);
	}
	return 0;
}

/* Processes of the TREE, each in one cgroup: the kernel's ckpt_cgroup_procs_load() */
static int check_cgroup_procs(struct image *img, const __le32 *pids, uint32_t nr,
			      uint32_t id)
{
	struct image_task *t;
	uint32_t i, pid;
	int64_t at;

	for (i = 0; i < nr; i++) {
		pid = LE32(pids[i]);
		at = tree_find(img->pids, img->nr_tasks, pid);
		if (at < 0)
			return image_fail(img, "pid[%u]: %u is not a task of the TREE", i, pid);
		t = &img->tree[at];
		if (t->pid != t->tgid)
			return image_fail(img, "pid[%u]: %u is a thread, not a process", i, pid);
		if (t->flags & CKPT_TREE_ZOMBIE)
			return image_fail(img, "pid[%u]: %u is a zombie", i, pid);
		if (t->cgroup)
			return image_fail(img, "pid[%u]: %u is already in CGROUP %u",
					  i, pid, t->cgroup);
		t->cgroup = id;
	}
	return 0;
}

/* After the last CGROUP: every process but the zombies is in one */
static int check_cgroup_all(struct image *img)
{
	const struct image_task *t;
	uint32_t i;

	for (i = 0; i < img->nr_tasks; i++) {
		t = &img->tree[i];
		if (t->pid == t->tgid && !(t->flags & CKPT_TREE_ZOMBIE) && !t->cgroup)
			return image_fail(img, "process %u is in no CGROUP of the CGROUPNS",
					  t->pid);
	}
	return 0;
}

/* The checks of the kernel's ckpt_cgroup_load() */
int accept_CGROUP(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_cgroup *c = p;
	uint32_t id = LE32(c->id), nr = LE32(c->nr_procs);
	uint32_t name_len = LE16(c->name_len), files_len = LE32(c->files_len);
	const char *name;
	char *copy;

	if (check_cgroup_tree(img, c) ||
	    check_zero(img, c->__pad, sizeof(c->__pad), "__pad"))
		return -1;
	if (nr > img->nr_tasks)
		return image_fail(img, "nr_procs %u is more than nr_tasks %u",
				  nr, img->nr_tasks);
	if (files_len > CKPT_CGROUP_FILES_MAX)
		return image_fail(img, "files_len %u is more than %u", files_len,
				  CKPT_CGROUP_FILES_MAX);
	if (!name_len || name_len > CGROUP_NAME_MAX)
		return image_fail(img, "name_len %u is out of range 1..%u", name_len,
				  CGROUP_NAME_MAX);
	if (check_var_len(img, p, len,
			  (uint64_t)nr * sizeof(__le32) + name_len + files_len))
		return -1;
	name = (const char *)(c + 1) + (size_t)nr * sizeof(__le32);
	if (check_cgroup_name(img, name, name_len, id == 1) ||
	    check_cgroup_files(img, name + name_len, files_len) ||
	    check_cgroup_procs(img, (const __le32 *)(c + 1), nr, id))
		return -1;
	copy = strdup(name);
	if (!copy)
		return image_fail(img, "out of memory");
	img->cgroups[id - 1].parent = LE32(c->parent);
	img->cgroups[id - 1].name = copy;
	if (++img->cgroups_done < img->nr_cgroups)
		return 0;
	/* The other namespace records may follow */
	img->state = ST_UTS;
	return check_cgroup_all(img);
}

int accept_PROCESS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_process *pr = p;
	uint32_t i;

	if (check_flags(img, LE32(pr->flags), CKPT_PROCESS_SUBREAPER, "flags"))
		return -1;
	if (LE32(pr->nr_rlimits) != CKPT_RLIM_NLIMITS)
		return image_fail(img, "nr_rlimits %u, expected %u",
				  LE32(pr->nr_rlimits), CKPT_RLIM_NLIMITS);
	for (i = 0; i < CKPT_RLIM_NLIMITS; i++)
		if (LE64(pr->rlim[i].cur) > LE64(pr->rlim[i].max))
			return image_fail(img, "rlim[%u]: soft limit above the hard one", i);
	if (check_ref(img, "ctty_ref", LE32(pr->ctty_ref), CKPT_REC_PTY))
		return -1;
	if (!LE32(pr->ctty_ref) && LE32(pr->ctty_pgrp))
		return image_fail(img, "ctty_pgrp %u without a ctty_ref",
				  LE32(pr->ctty_pgrp));
	img->state = ST_SEM_UNDO;
	return 0;
}

int accept_CRED(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_cred *c = p;
	uint32_t n = LE32(c->ngroups);

	if (n > NGROUPS_MAX_LINUX)
		return image_fail(img, "ngroups %u exceeds %u", n,
				  NGROUPS_MAX_LINUX);
	if (check_var_len(img, p, len, (uint64_t)n * sizeof(__le32)) ||
	    check_zero(img, &c->__pad, sizeof(c->__pad), "__pad"))
		return -1;
	return define_object(img, LE32(c->objref));
}

/* The MM being read, objref, is the next of img->mms: its VMAs come next */
static int add_mm(struct image *img, uint32_t objref)
{
	struct image_mm *mms;
	uint32_t cap;

	if (img->nr_mms == img->mms_cap) {
		if (img->mms_cap > UINT32_MAX / 2)
			return image_fail(img, "too many MMs");
		cap = img->mms_cap ? img->mms_cap * 2 : 16;
		mms = realloc(img->mms, cap * sizeof(*mms));
		if (!mms)
			return image_fail(img, "out of memory for %u MMs", cap);
		img->mms = mms;
		img->mms_cap = cap;
	}
	img->obj_mm[obj_slot(img, objref)] = img->nr_mms;
	img->mms[img->nr_mms].first = img->nr_vmas;
	img->mms[img->nr_mms].nr = 0;
	img->nr_mms++;
	return 0;
}

int accept_MM(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_mm *mm = p;
	uint32_t auxv_len = LE32(mm->saved_auxv_len);

	if (check_ref(img, "exe_file_ref", LE32(mm->exe_file_ref),
		      CKPT_REC_FILE) ||
	    check_flags(img, LE32(mm->flags), CKPT_MM_FLAGS, "flags") ||
	    check_zero(img, &mm->__pad, sizeof(mm->__pad), "__pad"))
		return -1;
	if (LE32(mm->flags) && !(LE32(mm->flags) & CKPT_MM_MLOCK_FUTURE))
		return image_fail(img, "flags 0x%x: MLOCK_ONFAULT without MLOCK_FUTURE",
				  LE32(mm->flags));
	if (LE32(mm->dumpable) > 2)
		return image_fail(img, "dumpable %u is not a SUID_DUMP_* value",
				  LE32(mm->dumpable));
	if (auxv_len > ARRAY_SIZE(mm->saved_auxv) || auxv_len % 2)
		return image_fail(img, "saved_auxv_len %u is not an even number up to %zu",
				  auxv_len, ARRAY_SIZE(mm->saved_auxv));
	if (check_zero(img, &mm->saved_auxv[auxv_len],
		       sizeof(mm->saved_auxv) - auxv_len * sizeof(__le64),
		       "saved_auxv beyond saved_auxv_len"))
		return -1;
	if (define_object(img, LE32(mm->objref)) || add_mm(img, LE32(mm->objref)))
		return -1;

	img->mm_objref = LE32(mm->objref);
	img->vmas_left = LE32(mm->nr_vmas);
	img->mm_vmas = img->nr_vmas;
	img->mm_pages = 0;
	img->mm_cow_pages = 0;
	img->mm_parent_pages = 0;
	img->mm_file_pages = 0;
	img->pages_end = 0;
	img->state = img->vmas_left ? ST_VMA : ST_PAGES;
	return 0;
}

static int add_vma(struct image *img, uint64_t start, uint64_t end, uint32_t kind)
{
	struct image_vma *vmas;
	uint32_t cap;

	if (img->nr_vmas == img->vma_cap) {
		if (img->vma_cap > UINT32_MAX / 2)
			return image_fail(img, "too many VMAs");
		cap = img->vma_cap ? img->vma_cap * 2 : 64;
		vmas = realloc(img->vmas, cap * sizeof(*vmas));
		if (!vmas)
			return image_fail(img, "out of memory for %u VMAs", cap);
		img->vmas = vmas;
		img->vma_cap = cap;
	}
	img->vmas[img->nr_vmas].start = start;
	img->vmas[img->nr_vmas].end = end;
	img->vmas[img->nr_vmas].kind = kind;
	img->nr_vmas++;
	return 0;
}

int accept_VMA(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_vma *v = p;
	uint64_t start = LE64(v->start), end = LE64(v->end);
	uint64_t prev_end = img->nr_vmas > img->mm_vmas ? img->vmas[img->nr_vmas - 1].end : 0;
	uint32_t kind = LE32(v->kind), file_ref = LE32(v->file_ref);
	uint32_t cow_ref = LE32(v->cow_mm_ref);

	if (start >= end || start % img->page_size || end % img->page_size)
		return image_fail(img, "start 0x%llx end 0x%llx is not a page-aligned range",
				  (unsigned long long)start,
				  (unsigned long long)end);
	if (start < prev_end)
		return image_fail(img, "start 0x%llx is below the end 0x%llx of the VMA before it",
				  (unsigned long long)start,
				  (unsigned long long)prev_end);
	bool has_file = kind == CKPT_VMA_FILE || kind == CKPT_VMA_SHARED_FILE ||
			kind == CKPT_VMA_SHMEM || kind == CKPT_VMA_SYSV_SHM;
	uint32_t ref_type = kind == CKPT_VMA_SHMEM ? CKPT_REC_SHMEM :
			    kind == CKPT_VMA_SYSV_SHM ? CKPT_REC_SYSV_SHM : CKPT_REC_FILE;

	if (kind < CKPT_VMA_ANON || kind > CKPT_VMA_SYSV_SHM)
		return image_fail(img, "kind %u is unknown", kind);
	if (check_flags(img, LE32(v->flags), CKPT_VMA_FLAGS, "flags"))
		return -1;
	if ((LE32(v->flags) & CKPT_VMA_LOCKONFAULT) &&
	    !(LE32(v->flags) & CKPT_VMA_LOCKED))
		return image_fail(img, "flags 0x%x: LOCKONFAULT without LOCKED",
				  LE32(v->flags));
	if (!has_file && (file_ref || LE64(v->pgoff)))
		return image_fail(img, "file_ref %u, pgoff 0x%llx: only file mappings have them",
				  file_ref, (unsigned long long)LE64(v->pgoff));
	if (has_file && !file_ref)
		return image_fail(img, "file_ref is 0 in a VMA that maps a file");
	if (kind == CKPT_VMA_SYSV_SHM && LE64(v->pgoff))
		return image_fail(img, "pgoff 0x%llx: an attach maps a segment from its start",
				  (unsigned long long)LE64(v->pgoff));
	/* The MM it was forked from, which restart links it to */
	if (cow_ref && kind != CKPT_VMA_ANON)
		return image_fail(img, "cow_mm_ref %u: only ANON mappings have one", cow_ref);
	if (cow_ref && cow_ref == img->mm_objref)
		return image_fail(img, "cow_mm_ref %u is this MM", cow_ref);
	if (check_ref(img, "file_ref", file_ref, ref_type) ||
	    check_ref(img, "cow_mm_ref", cow_ref, CKPT_REC_MM) ||
	    add_vma(img, start, end, kind))
		return -1;
	if (!--img->vmas_left)
		img->state = ST_PAGES;
	return 0;
}

/* The first of the n VMAs at vmas, sorted and disjoint, that ends above addr, or n */
static uint32_t vma_above(const struct image_vma *vmas, uint32_t n, uint64_t addr)
{
	uint32_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The VMA of the MM being read that holds [start, end), if any */
static const struct image_vma *find_vma(const struct image *img,
					uint64_t start, uint64_t end)
{
	const struct image_vma *vmas = img->vmas + img->mm_vmas;
	uint32_t n = img->nr_vmas - img->mm_vmas;
	uint32_t i = vma_above(vmas, n, start);

	if (i < n && vmas[i].start <= start && end <= vmas[i].end)
		return &vmas[i];
	return NULL;
}

/* Whether ANON VMAs of the earlier MM m, one after the other, cover [start, end) */
static bool mm_anon_covers(const struct image *img, const struct image_mm *m,
			   uint64_t start, uint64_t end)
{
	const struct image_vma *vmas = img->vmas + m->first;
	uint32_t i;

	for (i = vma_above(vmas, m->nr, start); i < m->nr && start < end; i++) {
		if (vmas[i].start > start)
			return false;
		start = vmas[i].end;
	}
	return start >= end;
}

/* PAGES of a SHMEM: addr is an offset in the file, going up, below its size */
static int accept_shmem_pages(struct image *img, uint64_t addr, uint64_t size,
			      uint32_t n)
{
	uint64_t limit = img->shmem_size + img->page_size - 1;

	limit -= limit % img->page_size;
	if (addr % img->page_size || addr > UINT64_MAX - size)
		return image_fail(img, "offset 0x%llx is not a page offset",
				  (unsigned long long)addr);
	if (addr < img->shmem_end)
		return image_fail(img, "offset 0x%llx is below the end 0x%llx of the last PAGES",
				  (unsigned long long)addr,
				  (unsigned long long)img->shmem_end);
	if (addr + size > limit)
		return image_fail(img, "0x%llx-0x%llx is beyond the size %llu of the SHMEM",
				  (unsigned long long)addr,
				  (unsigned long long)(addr + size),
				  (unsigned long long)img->shmem_size);
	img->shmem_end = addr + size;
	img->shmem_pages += n;
	return 0;
}

/* What the pages of a pre-dump's MMs, which have no VMAs, are taken to be in */
static const struct image_vma predump_vma = { 0, UINT64_MAX, CKPT_VMA_ANON };

/*
 * Where the next PAGES, PAGES_COW, PAGES_PARENT or PAGES_FILE of an MM may be: page-aligned, at or
 * above the end of the one before, inside one VMA, which it returns; NULL
 * after image_fail()
 */

static const struct image_vma *mm_pages_vma(struct image *img, uint64_t addr,
					    uint64_t size)
{
	const struct image_vma *v;

	if (addr % img->page_size || addr > UINT64_MAX - size) {
		image_fail(img, "addr 0x%llx is not a page address",
			   (unsigned long long)addr);
		return NULL;
	}
	if (addr < img->pages_end) {
		image_fail(img,
			   "addr 0x%llx is below the end 0x%llx of the pages record before it",
			   (unsigned long long)addr,
			   (unsigned long long)img->pages_end);
		return NULL;
	}
	/* A pre-dump has no VMAs: ckpt merge checks its pages with the next image */
	if (img->predump)
		return &predump_vma;
	v = find_vma(img, addr, addr + size);
	if (!v)
		image_fail(img, "0x%llx-0x%llx is not inside one VMA",
			   (unsigned long long)addr,
			   (unsigned long long)(addr + size));
	return v;
}

int accept_PAGES(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pages *pg = p;
	uint32_t n = LE32(pg->nr_pages);
	uint64_t addr = LE64(pg->addr);
	uint64_t size = (uint64_t)n * img->page_size;

	if (!n || n > CKPT_PAGES_MAX)
		return image_fail(img, "nr_pages %u is out of range 1..%u",
				  n, CKPT_PAGES_MAX);
	if (check_var_len(img, p, len, size) ||
	    check_zero(img, &pg->__pad, sizeof(pg->__pad), "__pad"))
		return -1;
	/* For a PAGES_CRC after it: the data goes before its next record */
	img->pages_crc = image_crc_end(crc32c(image_crc_start(), pg + 1, size));
	if (img->state == ST_SHMEM_PAGES)
		return accept_shmem_pages(img, addr, size, n);
	if (!mm_pages_vma(img, addr, size))
		return -1;
	img->pages_end = addr + size;
	img->mm_pages += n;
	return 0;
}

int accept_PAGES_COW(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pages_cow *c = p;
	uint32_t n = LE32(c->nr_pages), ref = LE32(c->mm_ref);
	uint64_t addr = LE64(c->addr);
	uint64_t size = (uint64_t)n * img->page_size;
	const struct image_vma *v;

	if (!n || n > CKPT_PAGES_COW_MAX)
		return image_fail(img, "nr_pages %u is out of range 1..%u",
				  n, CKPT_PAGES_COW_MAX);
	if (!ref)
		return image_fail(img, "mm_ref is 0");
	if (ref == img->mm_objref)
		return image_fail(img, "mm_ref %u is this MM", ref);
	if (check_ref(img, "mm_ref", ref, CKPT_REC_MM))
		return -1;
	v = mm_pages_vma(img, addr, size);
	if (!v)
		return -1;
	if (v->kind != CKPT_VMA_ANON)
		return image_fail(img, "0x%llx-0x%llx is in a VMA of kind %u, not ANON",
				  (unsigned long long)addr,
				  (unsigned long long)(addr + size), v->kind);
	if (!img->predump &&
	    !mm_anon_covers(img, &img->mms[img->obj_mm[obj_slot(img, ref)]],
			    addr, addr + size))
		return image_fail(img, "0x%llx-0x%llx is not inside ANON VMAs of MM %u",
				  (unsigned long long)addr,
				  (unsigned long long)(addr + size), ref);
	img->pages_end = addr + size;
	img->mm_pages += n;
	img->mm_cow_pages += n;
	return 0;
}

/*
 * PAGES_PARENT: pages of the parent image, in an image whose CHAIN names
 * one; which MM of it mm_ref is can only be checked with that image
 * (ckpt merge)
 */
int accept_PAGES_PARENT(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pages_parent *pp = p;
	uint32_t n = LE32(pp->nr_pages);
	uint64_t addr = LE64(pp->addr);
	uint64_t size = (uint64_t)n * img->page_size;
	const struct image_vma *v;

	if (!img->chain_parent)
		return image_fail(img,
				  "in an image without a parent (no CHAIN, or its parent is 0)");
	if (!n || n > CKPT_PAGES_COW_MAX)
		return image_fail(img, "nr_pages %u is out of range 1..%u",
				  n, CKPT_PAGES_COW_MAX);
	if (!LE32(pp->mm_ref))
		return image_fail(img, "mm_ref is 0");
	v = mm_pages_vma(img, addr, size);
	if (!v)
		return -1;
	if (v->kind != CKPT_VMA_ANON && v->kind != CKPT_VMA_FILE)
		return image_fail(img, "0x%llx-0x%llx is in a VMA of kind %u, not ANON or FILE",
				  (unsigned long long)addr,
				  (unsigned long long)(addr + size), v->kind);
	img->pages_end = addr + size;
	img->mm_pages += n;
	img->mm_parent_pages += n;
	return 0;
}

/*
 * PAGES_FILE: pages whose contents are in a file that restart(2) is given
 * (CKPT_EXT_PAGES "pages:N"), not here, with their CRC-32C, which only
 * that file can check; written by ckpt merge --refs, not by checkpoint(2)
 */
int accept_PAGES_FILE(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pages_file *pf = p;
	uint32_t n = LE32(pf->nr_pages);
	uint64_t addr = LE64(pf->addr);
	uint64_t size = (uint64_t)n * img->page_size;

	if (!n || n > CKPT_PAGES_MAX)
		return image_fail(img, "nr_pages %u is out of range 1..%u",
				  n, CKPT_PAGES_MAX);
	if (check_zero(img, &pf->__pad, sizeof(pf->__pad), "__pad"))
		return -1;
	if (LE64(pf->offset) > INT64_MAX - size)
		return image_fail(img, "offset %llu: the pages end past the largest file offset",
				  (unsigned long long)LE64(pf->offset));
	if (!mm_pages_vma(img, addr, size))
		return -1;
	img->pages_end = addr + size;
	img->mm_pages += n;
	img->mm_file_pages += n;
	return 0;
}

/*
 * PAGES_CRC: the CRC-32C of the contents of the PAGES right before it
 * (show.c checks that it is), by which restart(2) with RESTART_LAZY
 * checks them when it reads them, long after the TRAILER
 */
int accept_PAGES_CRC(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pages_crc *c = p;

	if (check_zero(img, &c->__pad, sizeof(c->__pad), "__pad"))
		return -1;
	if (LE32(c->crc) != img->pages_crc)
		return image_fail(img,
				  "crc 0x%08x, but the contents of the PAGES before it have 0x%08x: they are damaged",
				  LE32(c->crc), img->pages_crc);
	return 0;
}

/* Of the VMAs of the MM just read, the ANON ones stay, for later PAGES_COW */
static void keep_anon_vmas(struct image *img)
{
	uint32_t i, n = img->mm_vmas;

	for (i = img->mm_vmas; i < img->nr_vmas; i++)
		if (img->vmas[i].kind == CKPT_VMA_ANON)
			img->vmas[n++] = img->vmas[i];
	img->nr_vmas = n;
	img->mms[img->nr_mms - 1].nr = n - img->mm_vmas;
}

int accept_MM_END(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_mm_end *e = p;

	if (LE64(e->nr_pages) != img->mm_pages)
		return image_fail(img,
				  "nr_pages %llu, but the PAGES, PAGES_COW, PAGES_PARENT and PAGES_FILE of this MM hold %llu",
				  (unsigned long long)LE64(e->nr_pages),
				  (unsigned long long)img->mm_pages);
	keep_anon_vmas(img);
	img->state = ST_TASK;
	return 0;
}

int accept_SHMEM(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_shmem *s = p;
	bool memfd = img->state == ST_CONTENTS;

	if (check_flags(img, LE32(s->seals), SEALS_LINUX, "seals"))
		return -1;
	if (LE64(s->size) > INT64_MAX)
		return image_fail(img, "size %llu is out of range",
				  (unsigned long long)LE64(s->size));
	if (memfd) {
		if (LE32(s->objref))
			return image_fail(img, "objref %u: contents define no object",
					  LE32(s->objref));
		if (LE64(s->size) != img->contents_size)
			return image_fail(img, "size %llu, but the record before says %llu",
					  (unsigned long long)LE64(s->size),
					  (unsigned long long)img->contents_size);
	} else {
		if (!LE32(s->objref))
			return image_fail(img,
					  "objref 0, but the record before is neither a SYSV_SHM nor the FILE of a memfd's first open file (kind MEMFD, obj_ref 0)");
		if (LE32(s->seals) || !LE64(s->size))
			return image_fail(img, "shared memory with seals 0x%x or size 0",
					  LE32(s->seals));
		if (define_object(img, LE32(s->objref)))
			return -1;
		img->shmem_return = img->state;
	}
	img->shmem_size = LE64(s->size);
	img->shmem_pages = 0;
	img->shmem_end = 0;
	img->state = ST_SHMEM_PAGES;
	return 0;
}

int accept_SHMEM_END(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_shmem_end *e = p;

	if (LE64(e->nr_pages) != img->shmem_pages)
		return image_fail(img, "nr_pages %llu, but the PAGES of this SHMEM hold %llu",
				  (unsigned long long)LE64(e->nr_pages),
				  (unsigned long long)img->shmem_pages);
	img->state = img->shmem_return;
	return 0;
}

int accept_SYSV_SHM(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sysv_shm *s = p;

	if (LE32(s->id) > INT_MAX)
		return image_fail(img, "id %u is out of range", LE32(s->id));
	if (LE32(s->mode) & ~0777U)
		return image_fail(img, "mode 0%o has bits other than 0777",
				  LE32(s->mode));
	if (!LE64(s->size) || LE64(s->size) > INT64_MAX)
		return image_fail(img, "size %llu is out of range",
				  (unsigned long long)LE64(s->size));
	if (define_object(img, LE32(s->objref)))
		return -1;
	/* Its contents follow; then, for the IPC_NS's last one, its queues */
	img->contents_size = LE64(s->size);
	img->shmem_return = img->state;
	if (img->state == ST_IPC_SHM && !--img->shm_left)
		img->shmem_return = ST_MQ_NS;
	img->state = ST_CONTENTS;
	return 0;
}

static int check_file_mode(struct image *img, uint32_t kind, uint32_t mode)
{
	static const uint32_t kind_ifmt[] = {
		[CKPT_FILE_REG] = S_IFREG_LINUX,
		[CKPT_FILE_DIR] = S_IFDIR_LINUX,
		[CKPT_FILE_CHR] = S_IFCHR_LINUX,
		[CKPT_FILE_TTY] = S_IFCHR_LINUX,
		[CKPT_FILE_PTY_MASTER] = S_IFCHR_LINUX,
		[CKPT_FILE_PTY_SLAVE] = S_IFCHR_LINUX,
		[CKPT_FILE_PIPE] = S_IFIFO_LINUX,
		[CKPT_FILE_FIFO] = S_IFIFO_LINUX,
		[CKPT_FILE_UNLINKED] = S_IFREG_LINUX,
		[CKPT_FILE_MEMFD] = S_IFREG_LINUX,
		[CKPT_FILE_MQUEUE] = S_IFREG_LINUX,
		[CKPT_FILE_PROC_PID] = S_IFREG_LINUX,	/* or a directory */
		[CKPT_FILE_TTY_HUNGUP] = S_IFCHR_LINUX,
	};
	uint32_t type = mode & S_IFMT_LINUX;

	if (kind < CKPT_FILE_REG || kind >= ARRAY_SIZE(kind_ifmt) ||
	    !kind_ifmt[kind])
		return image_fail(img, "kind %u is unknown", kind);
	if (type != kind_ifmt[kind] &&
	    !(kind == CKPT_FILE_PROC_PID && type == S_IFDIR_LINUX))
		return image_fail(img, "mode 0%o does not fit kind %u",
				  mode, kind);
	return 0;
}

/* The record that follows a FILE of anonymous kind @kind, or 0 */
static uint32_t anon_file_rec(uint32_t kind)
{
	switch (kind) {
	case CKPT_FILE_EVENTFD:
		return CKPT_REC_EVENTFD;
	case CKPT_FILE_TIMERFD:
		return CKPT_REC_TIMERFD;
	case CKPT_FILE_SIGNALFD:
		return CKPT_REC_SIGNALFD;
	case CKPT_FILE_EPOLL:
		return CKPT_REC_EPOLL;
	case CKPT_FILE_INOTIFY:
		return CKPT_REC_INOTIFY;
	case CKPT_FILE_UNIX:
		return CKPT_REC_UNIX_SK;
	case CKPT_FILE_INET:
		return CKPT_REC_INET_SK;
	case CKPT_FILE_NETLINK:
		return CKPT_REC_NETLINK_SK;
	}
	return 0;
}

#define O_ACCMODE_LINUX		03
#define O_NONBLOCK_LINUX	04000

/* An anonymous FILE: no path, position or file attributes */
static int accept_anon_FILE(struct image *img, const struct ckpt_file *f,
			    uint32_t len)
{
	uint32_t flags = LE32(f->f_flags);

	if (len != sizeof(*f) || LE32(f->path_len))
		return image_fail(img, "kind %u has a path", LE32(f->kind));
	if (check_flags(img, flags, O_ACCMODE_LINUX | O_NONBLOCK_LINUX, "f_flags"))
		return -1;
	if ((flags & O_ACCMODE_LINUX) == O_ACCMODE_LINUX)
		return image_fail(img, "f_flags 0%o has an invalid access mode", flags);
	if (LE64(f->pos) || LE64(f->size) || LE64(f->mtime_sec) ||
	    LE32(f->mtime_nsec) || LE32(f->rdev) || LE64(f->ino))
		return image_fail(img, "kind %u has a position or file attributes",
				  LE32(f->kind));
	if ((int32_t)LE32(f->fd_hint) < -1)
		return image_fail(img, "fd_hint %d is neither an fd nor -1",
				  (int32_t)LE32(f->fd_hint));
	img->anon_rec = anon_file_rec(LE32(f->kind));
	img->state = ST_ANON_FILE;
	return define_file(img, LE32(f->objref), LE32(f->kind), false);
}

static int check_mq_file(struct image *img, const struct ckpt_file *f);

/* A nonzero path_shared of a FILE whose whole path takes @n bytes */
static int check_path_shared(struct image *img, uint32_t shared, uint32_t n)
{
	if (img->version < 2)
		return image_fail(img, "path_shared %u in an image of version %u",
				  shared, img->version);
	if (shared >= n)
		return image_fail(img, "path_shared %u is not below path_len %u",
				  shared, n);
	if (!img->file_path_len)
		return image_fail(img, "path_shared %u, but no FILE before it has a path",
				  shared);
	if (shared >= img->file_path_len)
		return image_fail(img,
				  "path_shared %u is longer than the last FILE path (%u bytes)",
				  shared, img->file_path_len - 1);
	return 0;
}

/*
 * A FILE's path: from format version 2 on, the record holds only what
 * follows the path_shared bytes it has in common with the last FILE path
 * (the kernel's ckpt_file_rec_read_path()).  img->file_path gets it whole.
 */
static int check_file_path(struct image *img, const struct ckpt_file *f, uint32_t len)
{
	uint32_t n = LE32(f->path_len), shared = LE32(f->path_shared);
	const char *tail = (const char *)(f + 1);

	if (n < 2 || n > CKPT_PATH_MAX)
		return image_fail(img, "path_len %u is out of range 2..%u", n, CKPT_PATH_MAX);
	if (shared && check_path_shared(img, shared, n))
		return -1;
	if (check_var_len(img, f, len, n - shared))
		return -1;
	if (strnlen(tail, n - shared) != n - shared - 1)
		return image_fail(img, "path is not a NUL-terminated string of %u bytes", n);
	memcpy(img->file_path + shared, tail, n - shared);
	img->file_path_len = n;
	if (img->file_path[0] != '/')
		return image_fail(img, "path is not an absolute path");
	return 0;
}

/*
 * A file under /proc/PID (the kernel's ckpt_proc_restart()): ino is the
 * pid of a task of the TREE, whose /proc files have no size or mtime
 */
static int check_proc_file(struct image *img, const struct ckpt_file *f)
{
	uint64_t pid = LE64(f->ino);

	if (index_pids(img))
		return -1;
	if (!pid || pid > INT_MAX || tree_find(img->pids, img->nr_tasks, pid) < 0)
		return image_fail(img, "ino %llu is not the pid of a task of the TREE",
				  (unsigned long long)pid);
	if (LE64(f->size) || LE64(f->mtime_sec) || LE32(f->mtime_nsec))
		return image_fail(img, "a file under /proc/%llu with a size or mtime",
				  (unsigned long long)pid);
	return 0;
}

/*
 * The f_flags a FILE reopened by path may have: the kernel's
 * CKPT_FILE_FLAGS in the x86-64 ABI (O_ACCMODE, O_APPEND, O_NONBLOCK,
 * O_DSYNC, __O_SYNC, O_DIRECT, O_LARGEFILE, O_DIRECTORY, O_NOFOLLOW,
 * O_NOATIME, O_PATH)
 */
#define CKPT_FILE_FLAGS_LINUX	(03 | 02000 | 04000 | 010000 | 04000000 | \
				 040000 | 0100000 | 0200000 | 0400000 | \
				 01000000 | 010000000)

/*
 * A hung-up terminal (the kernel's ckpt_tty_hungup_restart()): a
 * character device, no path, no position, an access mode to open the
 * slave of a new pty with
 */
static int check_hungup_file(struct image *img, const struct ckpt_file *f,
			     uint32_t len)
{
	uint32_t flags = LE32(f->f_flags);

	if (len != sizeof(*f) || LE32(f->path_len))
		return image_fail(img, "kind %u has a path", LE32(f->kind));
	if (check_flags(img, flags, CKPT_FILE_FLAGS_LINUX, "f_flags"))
		return -1;
	if ((flags & O_ACCMODE_LINUX) == O_ACCMODE_LINUX)
		return image_fail(img, "f_flags 0%o has an invalid access mode", flags);
	if (LE64(f->pos))
		return image_fail(img, "a hung-up terminal with a position %llu",
				  (unsigned long long)LE64(f->pos));
	return 0;
}

/*
 * Another open file of an unlinked file or of a memfd names the FILE of
 * the first one, of the same kind, which names none
 */
static int check_first_file(struct image *img, uint32_t kind, uint32_t ref)
{
	uint8_t first = img->obj_kind[obj_slot(img, ref)];

	if (first != kind)
		return image_fail(img,
				  "obj_ref %u is not the FILE of the first open file (kind %u, obj_ref 0) of this %s",
				  ref, kind, kind == CKPT_FILE_MEMFD ? "memfd" : "unlinked file");
	return 0;
}

int accept_FILE(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_file *f = p;
	uint32_t path_len = LE32(f->path_len), kind = LE32(f->kind);
	uint32_t obj_type = 0;

	if (!path_len && LE32(f->path_shared))
		return image_fail(img, "path_shared %u, but no path", LE32(f->path_shared));
	if (anon_file_rec(kind))
		return accept_anon_FILE(img, f, len);
	/* A pipe has no path, nor a hung-up terminal */
	if (kind == CKPT_FILE_TTY_HUNGUP) {
		if (check_hungup_file(img, f, len))
			return -1;
	} else if (kind == CKPT_FILE_PIPE && !path_len) {
		if (check_var_len(img, p, len, 0))
			return -1;
	} else if (check_file_path(img, f, len)) {
		return -1;
	}
	if (check_file_mode(img, kind, LE32(f->mode)))
		return -1;
	if (kind == CKPT_FILE_MQUEUE && check_mq_file(img, f))
		return -1;
	if (kind == CKPT_FILE_PROC_PID && check_proc_file(img, f))
		return -1;
	/* The kinds with an object behind them, and which */
	if (kind == CKPT_FILE_PIPE || kind == CKPT_FILE_FIFO)
		obj_type = CKPT_REC_PIPE;
	else if (kind == CKPT_FILE_PTY_MASTER || kind == CKPT_FILE_PTY_SLAVE)
		obj_type = CKPT_REC_PTY;
	/* An unlinked file's or a memfd's other open files name the first one */
	else if ((kind == CKPT_FILE_UNLINKED || kind == CKPT_FILE_MEMFD) &&
		 LE32(f->obj_ref))
		obj_type = CKPT_REC_FILE;
	if (obj_type && !LE32(f->obj_ref))
		return image_fail(img, "obj_ref is 0 in the FILE of a %s",
				  rec_names[obj_type]);
	if (!obj_type && LE32(f->obj_ref))
		return image_fail(img,
				  "obj_ref %u: only pipes, FIFOs, ptys, unlinked files and memfds have one",
				  LE32(f->obj_ref));
	if (obj_type && check_ref(img, "obj_ref", LE32(f->obj_ref), obj_type))
		return -1;
	if (obj_type == CKPT_REC_FILE && check_first_file(img, kind, LE32(f->obj_ref)))
		return -1;
	/* Its INODE_ATTR, if any, and its contents follow */
	if (kind == CKPT_FILE_UNLINKED && !LE32(f->obj_ref)) {
		img->data_of = CKPT_REC_FILE;
		img->data_next = 0;
		img->data_end = LE64(f->size);
		img->state = ST_UNLINKED;
	}
	if (LE32(f->mtime_nsec) >= NSEC_PER_SEC)
		return image_fail(img, "mtime_nsec %u is out of range",
				  LE32(f->mtime_nsec));
	if ((int32_t)LE32(f->fd_hint) < -1)
		return image_fail(img, "fd_hint %d is neither an fd nor -1",
				  (int32_t)LE32(f->fd_hint));
	if (kind == CKPT_FILE_MEMFD &&
	    strncmp(img->file_path, MEMFD_PREFIX, strlen(MEMFD_PREFIX)))
		return image_fail(img, "a memfd's path does not start with %s",
				  MEMFD_PREFIX);
	/* The contents of a memfd follow its first open file's FILE */
	if (kind == CKPT_FILE_MEMFD && !LE32(f->obj_ref)) {
		img->contents_size = LE64(f->size);
		img->shmem_return = img->state;
		img->state = ST_CONTENTS;
	}
	return define_file(img, LE32(f->objref), kind, obj_type == CKPT_REC_FILE);
}

/*
 * The owner, mode and times of an unlinked file, right after its FILE,
 * or of a pty's slave node, right after its PTY: the checks of the
 * kernel's ckpt_read_inode_attr() and ckpt_set_inode_attr().  An earlier
 * kernel's has no mode (INODE_ATTR_V1_SIZE bytes), and comes only after
 * an unlinked file's FILE.
 */
int accept_INODE_ATTR(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_inode_attr *a = p;

	/* No earlier kernel wrote one after a PTY: it has the slave's mode */
	if (img->state == ST_PTY && len < sizeof(*a))
		return image_fail(img,
				  "len %u after a PTY, expected %zu (the %u of earlier kernels only after an unlinked file's FILE)",
				  len, sizeof(*a), (unsigned int)INODE_ATTR_V1_SIZE);
	if (len >= sizeof(*a)) {
		if (LE32(a->mode) & ~(uint32_t)S_IALLUGO_LINUX)
			return image_fail(img, "mode 0%o has bits beyond 07777",
					  LE32(a->mode));
		if (check_zero(img, &a->__pad, sizeof(a->__pad), "__pad"))
			return -1;
	}
	if (LE32(a->uid) == INVALID_ID || LE32(a->gid) == INVALID_ID)
		return image_fail(img, "uid or gid is -1, which no user namespace maps");
	if ((int64_t)LE64(a->atime_sec) < 0)
		return image_fail(img, "atime_sec %lld is negative",
				  (long long)LE64(a->atime_sec));
	if ((int64_t)LE64(a->mtime_sec) < 0)
		return image_fail(img, "mtime_sec %lld is negative",
				  (long long)LE64(a->mtime_sec));
	if (LE32(a->atime_nsec) >= NSEC_PER_SEC)
		return image_fail(img, "atime_nsec %u is out of range", LE32(a->atime_nsec));
	if (LE32(a->mtime_nsec) >= NSEC_PER_SEC)
		return image_fail(img, "mtime_nsec %u is out of range", LE32(a->mtime_nsec));
	/* A pty's slave: the PTY's records end here */
	if (img->state == ST_PTY) {
		img->state = ST_TASK;
		return 0;
	}
	/*
	 * The FILE's contents may follow (show.c stopped them at this record,
	 * as at any other), then its extended attributes
	 */
	img->data_of = CKPT_REC_FILE;
	img->tmpfs_xattrs = true;
	img->xattrs_type = S_IFREG_LINUX;
	img->state = ST_UNLINKED_DATA;
	return 0;
}

/* fcntl(F_SETOWN_EX) owner types of the Linux ABI */
#define F_OWNER_TID_LINUX	0
#define F_OWNER_PID_LINUX	1
#define F_OWNER_PGRP_LINUX	2

/*
 * Whether a task of the TREE that is not a zombie is the owner @pid of
 * @type: that thread, the leader of that process, or in that group (the
 * kernel's ckpt_fown_rtask())
 */
static bool fown_owner_in_tree(const struct image *img, uint32_t pid, uint32_t type)
{
	const struct image_task *t;
	uint32_t i;

	for (i = 0; i < img->nr_tasks; i++) {
		t = &img->tree[i];
		if (t->flags & CKPT_TREE_ZOMBIE)
			continue;
		if ((type == F_OWNER_TID_LINUX && t->pid == pid) ||
		    (type == F_OWNER_PID_LINUX && t->pid == pid && t->tgid == pid) ||
		    (type == F_OWNER_PGRP_LINUX && t->pgid == pid))
			return true;
	}
	return false;
}

/*
 * The O_ASYNC owner and signal of the FILE before it: the checks of the
 * kernel's ckpt_fown_check()
 */
int accept_FOWN(struct image *img, const void *p, uint32_t len)
{
	static const char *const owner_ids[] = {
		[F_OWNER_TID_LINUX] = "pid",
		[F_OWNER_PID_LINUX] = "tgid",
		[F_OWNER_PGRP_LINUX] = "pgid",
	};
	const struct ckpt_fown *o = p;
	uint32_t pid = LE32(o->pid), type = LE32(o->type);

	if (pid > INT_MAX)
		return image_fail(img, "pid %u is out of range", pid);
	if (type > F_OWNER_PGRP_LINUX)
		return image_fail(img, "type %u is not F_OWNER_TID, F_OWNER_PID or F_OWNER_PGRP",
				  type);
	if (check_signal(img, LE32(o->signum), "signum") ||
	    check_flags(img, LE32(o->flags), CKPT_FOWN_ASYNC, "flags") ||
	    check_zero(img, &o->__pad, sizeof(o->__pad), "__pad"))
		return -1;
	if ((int32_t)LE32(o->fd) < -1)
		return image_fail(img, "fd %d is neither an fd nor -1",
				  (int32_t)LE32(o->fd));
	if (pid && !fown_owner_in_tree(img, pid, type))
		return image_fail(img,
				  "pid %u is not the %s of a task of the TREE that is not a zombie",
				  pid, owner_ids[type]);
	/* The FILE has no other */
	img->fown_file = 0;
	return 0;
}

int accept_PTY(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pty *t = p;

	if (check_path(img, p, len, LE32(t->path_len), "path") ||
	    check_flags(img, LE32(t->flags),
			CKPT_PTY_PACKET | CKPT_PTY_LOCKED | CKPT_PTY_ORPHAN, "flags") ||
	    check_zero(img, t->termios.__pad, sizeof(t->termios.__pad),
		       "termios.__pad"))
		return -1;
	/* The INODE_ATTR of its slave's node may follow */
	img->state = ST_PTY;
	return define_object(img, LE32(t->objref));
}

int accept_PIPE(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pipe *pi = p;
	uint32_t path_len = LE32(pi->path_len), cap = LE32(pi->capacity);

	if (path_len ? check_path(img, p, len, path_len, "path") :
		       check_var_len(img, p, len, 0))
		return -1;
	if (cap < img->page_size || (cap & (cap - 1)))
		return image_fail(img, "capacity %u is not a power of two of pages", cap);
	if (LE32(pi->data_len) > cap)
		return image_fail(img, "data_len %u exceeds the capacity %u",
				  LE32(pi->data_len), cap);
	img->data_of = CKPT_REC_PIPE;
	img->data_next = 0;
	img->data_end = LE32(pi->data_len);
	return define_object(img, LE32(pi->objref));
}

int accept_FILE_DATA(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_file_data *d = p;
	uint64_t off = LE64(d->offset);
	uint32_t n = LE32(d->len);

	if (!img->data_of)
		return image_fail(img,
				  "record out of order: not after a PIPE, an unlinked FILE or a TMPFS_NODE of a regular file");
	if (!n || n > CKPT_FILE_DATA_MAX)
		return image_fail(img, "len %u is out of range 1..%u", n, CKPT_FILE_DATA_MAX);
	if (check_var_len(img, p, len, n) ||
	    check_zero(img, &d->__pad, sizeof(d->__pad), "__pad"))
		return -1;
	if (off < img->data_next || (img->data_of == CKPT_REC_PIPE && off != img->data_next))
		return image_fail(img, "offset %llu, expected %s%llu",
				  (unsigned long long)off,
				  img->data_of == CKPT_REC_PIPE ? "" : "at least ",
				  (unsigned long long)img->data_next);
	if (off > img->data_end || n > img->data_end - off)
		return image_fail(img, "offset %llu + len %u goes beyond %llu",
				  (unsigned long long)off, n,
				  (unsigned long long)img->data_end);
	img->data_next = off + n;
	return 0;
}

int accept_LOCK(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_lock *l = p;
	uint32_t kind = LE32(l->kind), type = LE32(l->type);

	if (img->prev_type != CKPT_REC_FILES && img->prev_type != CKPT_REC_LOCK)
		return image_fail(img, "record out of order: not after a FILES");
	if (kind < CKPT_LOCK_POSIX || kind > CKPT_LOCK_FLOCK)
		return image_fail(img, "kind %u is unknown", kind);
	if (type != CKPT_LOCK_READ && type != CKPT_LOCK_WRITE)
		return image_fail(img, "type %u is unknown", type);
	if (LE32(l->fd) > INT_MAX)
		return image_fail(img, "fd %u is out of range", LE32(l->fd));
	if (LE64(l->start) > INT64_MAX || LE64(l->len) > INT64_MAX)
		return image_fail(img, "start or len is out of range");
	if (kind == CKPT_LOCK_FLOCK && (LE64(l->start) || LE64(l->len)))
		return image_fail(img, "a flock lock has a range");
	return check_zero(img, &l->__pad, sizeof(l->__pad), "__pad");
}

/**
 * files_entry() - entry @i of a FILES record, whatever the format version
 * @img: the image
 * @files: the record
 * @i: the entry
 * @e: its fd, file and CKPT_FD_* flags, as version 1 has them
 *
 * Return: 0, or -1 if a version 1 entry's __pad is not zero.
 */
int files_entry(const struct image *img, const struct ckpt_files *files, uint32_t i,
		struct ckpt_fd *e)
{
	const struct ckpt_fd2 *fd2 = (const void *)(files + 1);
	const struct ckpt_fd *fd1 = (const void *)(files + 1);
	uint32_t fd;

	if (img->version < 2) {
		*e = fd1[i];
		return LE32(e->__pad) ? -1 : 0;
	}
	fd = LE32(fd2[i].fd);
	e->fd = htole32(fd & ~CKPT_FD2_CLOEXEC);
	e->file_ref = fd2[i].file_ref;
	e->flags = htole32(fd & CKPT_FD2_CLOEXEC ? CKPT_FD_CLOEXEC : 0);
	e->__pad = 0;
	return 0;
}

/* The bytes of a FILES entry in the image's format version */
size_t files_entry_size(const struct image *img)
{
	return img->version < 2 ? sizeof(struct ckpt_fd) : sizeof(struct ckpt_fd2);
}

int accept_FILES(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_files *files = p;
	uint32_t i, n = LE32(files->nr_fds);
	int64_t prev = -1;
	struct ckpt_fd e;
	char field[32];
	int bad_pad;

	if (check_var_len(img, p, len, (uint64_t)n * files_entry_size(img)))
		return -1;
	for (i = 0; i < n; i++) {
		bad_pad = files_entry(img, files, i, &e);
		if (LE32(e.fd) > INT_MAX || LE32(e.fd) <= prev)
			return image_fail(img, "fd[%u]: fd %u is out of order or too big",
					  i, LE32(e.fd));
		prev = LE32(e.fd);
		if (!LE32(e.file_ref))
			return image_fail(img, "fd[%u]: file_ref is 0", i);
		snprintf(field, sizeof(field), "fd[%u]: file_ref", i);
		if (check_ref(img, field, LE32(e.file_ref), CKPT_REC_FILE))
			return -1;
		snprintf(field, sizeof(field), "fd[%u]: flags", i);
		if (check_flags(img, LE32(e.flags), CKPT_FD_CLOEXEC, field))
			return -1;
		if (bad_pad)
			return image_fail(img, "fd[%u]: __pad is not zero", i);
	}
	return define_object(img, LE32(files->objref));
}

int accept_FS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_fs *fs = p;
	uint32_t cwd_len = LE32(fs->cwd_len), root_len = LE32(fs->root_len);
	const char *cwd = (const char *)(fs + 1), *root = cwd + cwd_len;

	if (cwd_len < 2 || cwd_len > CKPT_PATH_MAX || root_len < 2 ||
	    root_len > CKPT_PATH_MAX)
		return image_fail(img, "cwd_len %u or root_len %u is out of range 2..%u",
				  cwd_len, root_len, CKPT_PATH_MAX);
	if (check_var_len(img, p, len, cwd_len + root_len))
		return -1;
	if (strnlen(cwd, cwd_len) != cwd_len - 1 ||
	    strnlen(root, root_len) != root_len - 1)
		return image_fail(img, "cwd or root is not a NUL-terminated string");
	if (cwd[0] != '/')
		return image_fail(img, "cwd is not an absolute path");
	if (root[0] != '/')
		return image_fail(img, "root is not an absolute path");
	if (LE32(fs->umask) & ~0777U)
		return image_fail(img, "umask 0%o is not a permission mask",
				  LE32(fs->umask));
	return define_object(img, LE32(fs->objref));
}

int accept_SIGHAND(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sighand *sh = p;

	if (LE32(sh->nr) != ARRAY_SIZE(sh->action))
		return image_fail(img, "nr %u, expected %zu", LE32(sh->nr),
				  ARRAY_SIZE(sh->action));
	return define_object(img, LE32(sh->objref));
}

/* SECCOMP_MODE_* of the x86-64 Linux ABI, not the host's */
#define SECCOMP_MODE_FILTER_LINUX	2
#define BPF_MAXINSNS_LINUX		4096

int accept_SECCOMP(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_seccomp *s = p;
	uint32_t n = LE32(s->len);

	if (!n || n > BPF_MAXINSNS_LINUX)
		return image_fail(img, "len %u is out of range 1..%u", n,
				  BPF_MAXINSNS_LINUX);
	if (check_var_len(img, p, len,
			  (uint64_t)n * sizeof(struct ckpt_sock_filter)) ||
	    check_flags(img, LE32(s->flags), CKPT_SECCOMP_LOG, "flags") ||
	    check_ref(img, "prev_ref", LE32(s->prev_ref), CKPT_REC_SECCOMP))
		return -1;
	return define_object(img, LE32(s->objref));
}

/* The seccomp fields of a TASK record (called from accept_TASK()) */
static int check_task_seccomp(struct image *img, const struct ckpt_task *t)
{
	uint32_t mode = LE32(t->seccomp_mode), ref = LE32(t->seccomp_ref);

	if (mode > SECCOMP_MODE_FILTER_LINUX)
		return image_fail(img, "seccomp_mode %u is unknown", mode);
	if (mode == SECCOMP_MODE_FILTER_LINUX ? !ref : ref)
		return image_fail(img, "seccomp_ref %u with seccomp_mode %u",
				  ref, mode);
	return check_ref(img, "seccomp_ref", ref, CKPT_REC_SECCOMP);
}

int accept_SIGPENDING(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sigpending *sp = p;
	const uint8_t *info = (const void *)(sp + 1);
	uint32_t shared = LE32(sp->shared);
	uint32_t i, n = LE32(sp->nr), signo;
	uint32_t min = img->state == ST_SIGPENDING_SHARED;

	/* Each queue only if not empty (older images have both, even empty) */
	if (shared > 1 || shared < min)
		return image_fail(img,
				  "shared %u, expected %s (the task's queue, then the group's)",
				  shared, img->state == ST_SIGPENDING_SHARED ? "1" : "0 or 1");
	if (check_var_len(img, p, len, (uint64_t)n * SIGINFO_SIZE))
		return -1;
	for (i = 0; i < n; i++) {
		memcpy(&signo, info + i * SIGINFO_SIZE, sizeof(signo));
		signo = LE32(signo);
		if (!signo || signo > NSIG_LINUX)
			return image_fail(img, "info[%u]: si_signo %u is not a signal",
					  i, signo);
	}
	if (!shared)
		img->state = ST_SIGPENDING_SHARED;
	else
		task_done(img);
	return 0;
}

/*
 * The optional records between a task's TASK (or PROCESS) and its
 * X86_REGS, in image order (the kernel's task sections): at most one of
 * each, in this order.
 */
static const uint32_t task_extra_types[] = {
	CKPT_REC_SIGALTSTACK, CKPT_REC_ITIMERS, CKPT_REC_POSIX_TIMERS,
	CKPT_REC_THREAD_CPUTIME, CKPT_REC_CPUTIME, CKPT_REC_SCHED,
};

static int task_extra(struct image *img)
{
	uint32_t order = 0;

	while (order < ARRAY_SIZE(task_extra_types) - 1 &&
	       task_extra_types[order] != img->rec_type)
		order++;
	if (img->task_extras >= 1U << order)
		return image_fail(img, "repeated, or after a record that must follow it");
	img->task_extras |= 1U << order;
	return 0;
}

int accept_SIGALTSTACK(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sigaltstack *ss = p;
	uint32_t flags = LE32(ss->flags);
	uint64_t sp = LE64(ss->sp), size = LE64(ss->size);

	if (task_extra(img) ||
	    check_zero(img, &ss->__pad, sizeof(ss->__pad), "__pad"))
		return -1;
	if ((flags & ~CKPT_SS_AUTODISARM) != 0 &&
	    (flags & ~CKPT_SS_AUTODISARM) != CKPT_SS_ONSTACK)
		return image_fail(img, "flags 0x%x are not those of an armed stack", flags);
	if (size < CKPT_MINSIGSTKSZ)
		return image_fail(img, "size %llu is below MINSIGSTKSZ",
				  (unsigned long long)size);
	if (sp + size < sp)
		return image_fail(img, "the stack wraps around the address space");
	return 0;
}

int accept_ITIMERS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_itimers *it = p;
	const struct image_task *t = &img->tree[img->tasks_done];
	uint32_t i;

	if (t->pid != t->tgid)
		return image_fail(img, "pid %u is a thread, not a process", t->pid);
	if (task_extra(img))
		return -1;
	for (i = 0; i < CKPT_NR_ITIMERS; i++)
		if (LE64(it->it[i].value_ns) > INT64_MAX / 2 ||
		    LE64(it->it[i].interval_ns) > INT64_MAX / 2)
			return image_fail(img, "it[%u] out of range", i);
	return 0;
}

/* The clocks and notifications restart recreates POSIX timers with */
#define CLOCK_REALTIME_LINUX	0
#define CLOCK_MONOTONIC_LINUX	1
#define CLOCK_BOOTTIME_LINUX	7
#define CLOCK_TAI_LINUX		11
#define SIGEV_SIGNAL_LINUX	0
#define SIGEV_NONE_LINUX	1
#define SIGEV_THREAD_LINUX	2
#define SIGEV_THREAD_ID_LINUX	4

static int check_posix_timer(struct image *img, const struct ckpt_posix_timer *t,
			     uint32_t i, bool leader)
{
	uint32_t clock = LE32(t->clockid), notify = LE32(t->notify);

	if (LE32(t->id) > INT32_MAX)
		return image_fail(img, "timer[%u]: id %u is negative", i, LE32(t->id));
	if (clock != CLOCK_REALTIME_LINUX && clock != CLOCK_MONOTONIC_LINUX &&
	    clock != CLOCK_BOOTTIME_LINUX && clock != CLOCK_TAI_LINUX)
		return image_fail(img, "timer[%u]: clockid %u is not supported", i, clock);
	if (notify != SIGEV_SIGNAL_LINUX && notify != SIGEV_NONE_LINUX &&
	    notify != SIGEV_THREAD_LINUX &&
	    notify != (SIGEV_SIGNAL_LINUX | SIGEV_THREAD_ID_LINUX))
		return image_fail(img, "timer[%u]: notify %u is unknown", i, notify);
	if (!leader && notify != (SIGEV_SIGNAL_LINUX | SIGEV_THREAD_ID_LINUX))
		return image_fail(img, "timer[%u]: a thread's timer must signal it", i);
	if (notify != SIGEV_NONE_LINUX &&
	    (!LE32(t->signo) || LE32(t->signo) > NSIG_LINUX))
		return image_fail(img, "timer[%u]: signo %u is not a signal", i,
				  LE32(t->signo));
	if (LE64(t->value_ns) > INT64_MAX / 2 || LE64(t->interval_ns) > INT64_MAX / 2 ||
	    LE32(t->overrun) > INT32_MAX)
		return image_fail(img, "timer[%u]: out of range", i);
	return check_zero(img, &t->__pad, sizeof(t->__pad), "__pad");
}

int accept_POSIX_TIMERS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_posix_timers *pt = p;
	const struct ckpt_posix_timer *t = (const void *)(pt + 1);
	const struct image_task *task = &img->tree[img->tasks_done];
	bool leader = task->pid == task->tgid;
	uint32_t i, n = LE32(pt->nr);

	if (task_extra(img) ||
	    check_var_len(img, p, len, (uint64_t)n * sizeof(*t)))
		return -1;
	if (LE32(pt->next_id) > INT32_MAX || (!leader && LE32(pt->next_id)))
		return image_fail(img, "next_id %u is invalid", LE32(pt->next_id));
	for (i = 0; i < n; i++) {
		if (check_posix_timer(img, &t[i], i, leader))
			return -1;
		if (i && LE32(t[i].id) <= LE32(t[i - 1].id))
			return image_fail(img, "timer[%u]: ids are not increasing", i);
	}
	return 0;
}

int accept_THREAD_CPUTIME(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_thread_cputime *c = p;

	if (task_extra(img))
		return -1;
	if (LE64(c->sum_exec_ns) > INT64_MAX / 2 || LE64(c->utime_ns) > INT64_MAX / 2 ||
	    LE64(c->stime_ns) > INT64_MAX / 2)
		return image_fail(img, "a time is out of range");
	return 0;
}

int accept_CPUTIME(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_cputime *c = p;
	const struct image_task *t = &img->tree[img->tasks_done];

	if (t->pid != t->tgid)
		return image_fail(img, "pid %u is a thread, not a process", t->pid);
	if (task_extra(img))
		return -1;
	if (LE64(c->sum_exec_ns) > INT64_MAX / 2 || LE64(c->utime_ns) > INT64_MAX / 2 ||
	    LE64(c->stime_ns) > INT64_MAX / 2 || LE64(c->cutime_ns) > INT64_MAX / 2 ||
	    LE64(c->cstime_ns) > INT64_MAX / 2)
		return image_fail(img, "a time is out of range");
	return 0;
}

/* sched(7) policies and the ioprio(2) value, as the Linux ABI has them */
#define SCHED_NORMAL_LINUX	0
#define SCHED_FIFO_LINUX	1
#define SCHED_RR_LINUX		2
#define SCHED_BATCH_LINUX	3
#define SCHED_IDLE_LINUX	5
#define SCHED_DEADLINE_LINUX	6
#define MAX_RT_PRIO_LINUX	100
#define MIN_NICE_LINUX		-20
#define MAX_NICE_LINUX		19
#define IOPRIO_CLASS_SHIFT_LINUX 13
#define IOPRIO_CLASS_IDLE_LINUX	3
#define IOPRIO_LEVEL_MASK_LINUX	0x7

/* The bytes of an affinity mask of nr CPUs: 64-bit words */
static uint32_t sched_mask_len(uint32_t nr)
{
	return (nr + 63) / 64 * 8;
}

/* Only the CPUs below nr_cpus: the rest of their byte, and the bytes after */
static int check_sched_mask(struct image *img, const uint8_t *mask, uint32_t nr)
{
	uint32_t used = (nr + 7) / 8;

	if ((nr % 8 && mask[nr / 8] >> (nr % 8)) ||
	    !all_zero(mask + used, sched_mask_len(nr) - used))
		return image_fail(img, "the mask has CPUs at or past nr_cpus %u", nr);
	return 0;
}

int accept_SCHED(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sched *s = p;
	uint32_t policy = LE32(s->policy), prio = LE32(s->rt_priority);
	uint32_t ioprio = LE32(s->ioprio), nr = LE32(s->nr_cpus);
	int32_t nice = (int32_t)LE32(s->nice);
	bool rt = policy == SCHED_FIFO_LINUX || policy == SCHED_RR_LINUX;

	if (task_extra(img))
		return -1;
	if (policy != SCHED_NORMAL_LINUX && policy != SCHED_BATCH_LINUX &&
	    policy != SCHED_IDLE_LINUX && policy != SCHED_DEADLINE_LINUX && !rt)
		return image_fail(img, "policy %u is not supported", policy);
	if (check_flags(img, LE32(s->flags), CKPT_SCHED_RESET_ON_FORK, "flags"))
		return -1;
	if (nice < MIN_NICE_LINUX || nice > MAX_NICE_LINUX)
		return image_fail(img, "nice %d is out of range %d..%d", nice,
				  MIN_NICE_LINUX, MAX_NICE_LINUX);
	if (rt ? !prio || prio >= MAX_RT_PRIO_LINUX : prio)
		return image_fail(img, "rt_priority %u with policy %u (FIFO, RR: 1..%u; else 0)",
				  prio, policy, MAX_RT_PRIO_LINUX - 1);
	/* a class and a level, nothing between them */
	if (ioprio >> IOPRIO_CLASS_SHIFT_LINUX > IOPRIO_CLASS_IDLE_LINUX ||
	    ioprio & ((1U << IOPRIO_CLASS_SHIFT_LINUX) - 1) & ~IOPRIO_LEVEL_MASK_LINUX)
		return image_fail(img, "ioprio 0x%x is not a class 0..%u and a level",
				  ioprio, IOPRIO_CLASS_IDLE_LINUX);
	if (!nr || nr > CKPT_SCHED_MAX_CPUS)
		return image_fail(img, "nr_cpus %u is out of range 1..%u", nr,
				  CKPT_SCHED_MAX_CPUS);
	if (check_var_len(img, p, len, sched_mask_len(nr)) ||
	    check_sched_mask(img, (const uint8_t *)(s + 1), nr))
		return -1;
	/* A deadline thread's parameters follow */
	if (policy == SCHED_DEADLINE_LINUX)
		img->state = ST_SCHED_DL;
	return 0;
}

/*
 * The runtime, deadline and period of a SCHED_DEADLINE thread, right
 * after its SCHED: the checks of the kernel's ckpt_restart_sched_dl()
 * (sched_setattr(2) checks the times once every task exists)
 */
int accept_SCHED_DL(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sched_dl *d = p;

	if (check_flags(img, LE32(d->flags), CKPT_SCHED_DL_FLAGS, "flags") ||
	    check_zero(img, &d->__pad, sizeof(d->__pad), "__pad"))
		return -1;
	img->state = ST_REGS;
	return 0;
}

int accept_X86_REGS(struct image *img, const void *p, uint32_t len)
{
	img->state = ST_XSTATE;
	return 0;
}

int accept_X86_CPUID(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_x86_cpuid *c = p;
	uint32_t nr = LE32(c->nr_regs), i;

	if (img->prev_type != CKPT_REC_HEADER)
		return image_fail(img, "record out of order: not right after the HEADER");
	if (!nr || nr > CKPT_X86_CPUID_MAX)
		return image_fail(img, "nr_regs %u is out of range 1..%u", nr, CKPT_X86_CPUID_MAX);
	if (check_var_len(img, p, len, (uint64_t)nr * sizeof(c->regs[0])) ||
	    check_zero(img, &c->__pad, sizeof(c->__pad), "__pad"))
		return -1;
	for (i = 0; i < nr; i++)
		if (LE32(c->regs[i].reg) > 3)
			return image_fail(img, "regs[%u].reg %u is out of range 0..3", i,
					  LE32(c->regs[i].reg));
	return 0;
}

/* An entry point of the image's vDSO: a name of its own, inside the text */
static int check_vdso_sym(struct image *img, const struct ckpt_x86_vdso_sym *s,
			  uint32_t i, uint32_t size)
{
	char field[32];

	snprintf(field, sizeof(field), "syms[%u].name", i);
	if (check_padded_string(img, s->name, sizeof(s->name), field))
		return -1;
	if (!s->name[0])
		return image_fail(img, "%s is empty", field);
	if (LE32(s->__pad))
		return image_fail(img, "syms[%u].__pad is not zero", i);
	if (LE32(s->offset) >= size)
		return image_fail(img, "syms[%u].offset 0x%x is not below size 0x%x", i,
				  LE32(s->offset), size);
	return 0;
}

int accept_X86_VDSO(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_x86_vdso *v = p;
	uint32_t nr = LE32(v->nr_syms), size = LE32(v->size), i;

	if (img->prev_type != CKPT_REC_X86_CPUID)
		return image_fail(img, "record out of order: not right after the X86_CPUID");
	if (!nr || nr > CKPT_X86_VDSO_SYMS_MAX)
		return image_fail(img, "nr_syms %u is out of range 1..%u", nr,
				  CKPT_X86_VDSO_SYMS_MAX);
	if (check_var_len(img, p, len, (uint64_t)nr * sizeof(v->syms[0])))
		return -1;
	if (!size || size % img->page_size || size > CKPT_X86_VDSO_SIZE_MAX)
		return image_fail(img, "size 0x%x is not a nonzero page multiple <= 0x%x", size,
				  CKPT_X86_VDSO_SIZE_MAX);
	if (LE32(v->vvar_size) % img->page_size || LE32(v->vvar_size) > CKPT_X86_VDSO_SIZE_MAX)
		return image_fail(img, "vvar_size 0x%x is not a page multiple <= 0x%x",
				  LE32(v->vvar_size), CKPT_X86_VDSO_SIZE_MAX);
	for (i = 0; i < nr; i++)
		if (check_vdso_sym(img, &v->syms[i], i, size))
			return -1;
	return 0;
}

/* CHAIN: after the HEADER and its X86_CPUID and X86_VDSO, before the TREE */
int accept_CHAIN(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_chain *c = p;

	if (img->prev_type != CKPT_REC_HEADER && img->prev_type != CKPT_REC_X86_CPUID &&
	    img->prev_type != CKPT_REC_X86_VDSO)
		return image_fail(img,
				  "record out of order: not right after the HEADER, X86_CPUID or X86_VDSO");
	if (!LE64(c->id) || LE64(c->id) == UINT64_MAX)
		return image_fail(img, "id 0x%016llx is 0 or ~0",
				  (unsigned long long)LE64(c->id));
	if (LE64(c->parent) == UINT64_MAX || LE64(c->parent) == LE64(c->id))
		return image_fail(img, "parent 0x%016llx is ~0 or the image's own id",
				  (unsigned long long)LE64(c->parent));
	img->has_chain = true;
	img->chain_parent = LE64(c->parent);
	return 0;
}

int accept_X86_XSTATE(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_x86_xstate *x = p;
	uint32_t flags = LE32(x->flags);

	if (flags & ~CKPT_X86_XSTATE_PACKED)
		return image_fail(img, "unknown flags 0x%x", flags);
	/* Packed: the legacy area and the header, then the components used */
	if (flags ? LE32(x->size) < 576 || LE32(x->size) > img->xstate_size :
		    LE32(x->size) != img->xstate_size)
		return image_fail(img, "size %u, but the HEADER's xstate_size is %u",
				  LE32(x->size), img->xstate_size);
	if (check_var_len(img, p, len, LE32(x->size)))
		return -1;
	if (LE64(x->xfeatures) != img->xfeatures)
		return image_fail(img, "xfeatures 0x%llx, but the HEADER's are 0x%llx",
				  (unsigned long long)LE64(x->xfeatures),
				  (unsigned long long)img->xfeatures);
	img->state = ST_SIGPENDING;
	return 0;
}

/* --- System V IPC --- */

/* The state after the IPC namespace's objects so far; then its MQ_NS, if any */
static void next_ipc_object(struct image *img)
{
	if (img->msgs_left)
		img->state = ST_MSG;
	else if (img->msq_left)
		img->state = ST_MSG_QUEUE;
	else if (img->sem_left)
		img->state = ST_SEM_ARRAY;
	else if (img->shm_left)
		img->state = ST_IPC_SHM;
	else
		img->state = ST_MQ_NS;
}

static int check_ipc_perm(struct image *img, const struct ckpt_ipc_perm *perm)
{
	int32_t id = (int32_t)LE32(perm->id);

	if (id < 0)
		return image_fail(img, "id %d is negative", id);
	if (LE32(perm->mode) & ~0777U)
		return image_fail(img, "mode %#o has bits beyond 0777", LE32(perm->mode));
	return check_zero(img, &perm->__pad, sizeof(perm->__pad), "perm.__pad");
}

int accept_IPC_NS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_ipc_ns *ns = p;

	if (LE32(ns->msg_ctlmax) > INT32_MAX || LE32(ns->msg_ctlmnb) > INT32_MAX)
		return image_fail(img, "msg_ctlmax or msg_ctlmnb above INT_MAX");
	img->ipc_ns = true;
	img->msq_left = LE32(ns->nr_msg);
	img->sem_left = LE32(ns->nr_sem);
	img->shm_left = LE32(ns->nr_shm);
	next_ipc_object(img);
	return 0;
}

int accept_MSG_QUEUE(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_msg_queue *q = p;

	if (check_ipc_perm(img, &q->perm))
		return -1;
	if (LE64(q->qbytes) > INT32_MAX || LE64(q->qnum) > LE64(q->qbytes))
		return image_fail(img, "%llu messages for a limit of %llu bytes",
				  (unsigned long long)LE64(q->qnum),
				  (unsigned long long)LE64(q->qbytes));
	img->msq_left--;
	img->msgs_left = LE64(q->qnum);
	img->msg_bytes = 0;
	img->msq_qbytes = LE64(q->qbytes);
	img->msg_mq = false;
	next_ipc_object(img);
	return 0;
}

/* The text of a MSG: len bytes, then zero padding to the record's end */
static int check_msg_text(struct image *img, const struct ckpt_msg *m, uint32_t len)
{
	uint64_t mlen = LE64(m->len);

	if (ALIGN8(sizeof(*m) + mlen) != len)
		return image_fail(img, "%llu bytes of text in a record of %u",
				  (unsigned long long)mlen, len);
	return check_zero(img, (const uint8_t *)(m + 1) + mlen, len - sizeof(*m) - mlen,
			  "padding");
}

static int accept_mq_msg(struct image *img, const struct ckpt_msg *m, uint32_t len);

int accept_MSG(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_msg *m = p;
	uint64_t mlen = LE64(m->len);

	if (img->state == ST_MQ_MSG)
		return accept_mq_msg(img, m, len);
	if (!LE64(m->mtype) || LE64(m->mtype) > INT64_MAX)
		return image_fail(img, "mtype %llu is not positive",
				  (unsigned long long)LE64(m->mtype));
	if (check_msg_text(img, m, len))
		return -1;
	img->msg_bytes += mlen;
	if (img->msg_bytes > img->msq_qbytes)
		return image_fail(img, "the queue's messages exceed its limit of %llu bytes",
				  (unsigned long long)img->msq_qbytes);
	img->msgs_left--;
	next_ipc_object(img);
	return 0;
}

/* nsems __le16 after a fixed part of @fixed bytes, then zero padding */
static int check_sems(struct image *img, uint32_t nsems, uint32_t fixed,
		      const void *p, uint32_t len)
{
	if (ALIGN8(fixed + 2ULL * nsems) != len)
		return image_fail(img, "%u semaphores in a record of %u bytes", nsems, len);
	return check_zero(img, (const uint8_t *)p + fixed + 2 * nsems,
			  len - fixed - 2 * nsems, "padding");
}

int accept_SEM_ARRAY(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sem_array *a = p;
	const uint8_t *v = (const uint8_t *)(a + 1);
	uint32_t nsems = LE32(a->nsems), i;

	if (check_ipc_perm(img, &a->perm) ||
	    check_zero(img, &a->__pad, sizeof(a->__pad), "__pad"))
		return -1;
	if (!nsems)
		return image_fail(img, "no semaphores");
	if (check_sems(img, nsems, sizeof(*a), p, len))
		return -1;
	for (i = 0; i < nsems; i++)
		if ((v[2 * i] | v[2 * i + 1] << 8) > 32767)
			return image_fail(img, "semaphore %u: value above 32767", i);
	img->sem_left--;
	next_ipc_object(img);
	return 0;
}

int accept_SEM_UNDO(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sem_undo *u = p;

	if (!img->ipc_ns)
		return image_fail(img, "the image has no IPC_NS");
	if ((int32_t)LE32(u->semid) < 0)
		return image_fail(img, "semid %d is negative", (int32_t)LE32(u->semid));
	return check_sems(img, LE32(u->nsems), sizeof(*u), p, len);
}

/* --- POSIX message queues --- */

/* The kernel's HARD_MSGMAX, HARD_MSGSIZEMAX, MIN_MSGSIZEMAX and MQ_PRIO_MAX */
#define MQ_MSG_MAX_LINUX	65536
#define MQ_MSGSIZE_MAX_LINUX	(16U * 1024 * 1024)
#define MQ_MSGSIZE_MIN_LINUX	128
#define MQ_PRIO_MAX_LINUX	32768
/* The longest name of a queue, with its NUL (NAME_MAX + 1) */
#define MQ_NAME_MAX		256
#define SIGEV_SIGNAL_LINUX	0
#define SIGEV_NONE_LINUX	1
/* The state after the queues so far: the next one's messages or itself */
static void next_mq_object(struct image *img)
{
	if (img->msgs_left)
		img->state = ST_MQ_MSG;
	else if (img->mq_left)
		img->state = ST_MQUEUE;
	else
		img->state = image_after_namespaces(img);
}

static int check_range(struct image *img, uint32_t v, uint32_t min, uint32_t max,
		       const char *what)
{
	if (v < min || v > max)
		return image_fail(img, "%s %u is out of range %u..%u", what, v, min, max);
	return 0;
}

/* The bounds of the fs.mqueue sysctls: the kernel's ckpt_mq_ns_limits() */
int accept_MQ_NS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_mq_ns *ns = p;
	uint32_t nr = LE32(ns->nr_queues);

	if (check_range(img, nr, 0, CKPT_MQ_MAX_QUEUES, "nr_queues") ||
	    check_range(img, LE32(ns->queues_max), 0, INT_MAX, "queues_max") ||
	    check_range(img, LE32(ns->msg_max), 1, MQ_MSG_MAX_LINUX, "msg_max") ||
	    check_range(img, LE32(ns->msgsize_max), MQ_MSGSIZE_MIN_LINUX,
			MQ_MSGSIZE_MAX_LINUX, "msgsize_max") ||
	    check_range(img, LE32(ns->msg_default), 1, MQ_MSG_MAX_LINUX, "msg_default") ||
	    check_range(img, LE32(ns->msgsize_default), MQ_MSGSIZE_MIN_LINUX,
			MQ_MSGSIZE_MAX_LINUX, "msgsize_default"))
		return -1;
	img->mq_names = calloc(nr ? nr : 1, sizeof(*img->mq_names));
	if (!img->mq_names)
		return image_fail(img, "out of memory for %u queues", nr);
	img->mq_left = nr;
	img->msgs_left = 0;
	next_mq_object(img);
	return 0;
}

/* The queue of the MQ_NS named name, or -1 */
static int64_t mq_find(const struct image *img, const char *name)
{
	uint32_t i;

	for (i = 0; i < img->nr_mq; i++)
		if (!strcmp(img->mq_names[i], name))
			return i;
	return -1;
}

/* A queue's name: one path component, as the kernel's ckpt_mq_name_ok() */
static bool mq_name_ok(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

/*
 * An open queue, opened again as mq_open(3) opens it: "/NAME", and in
 * the image's IPC namespace, if it has one, a queue of its MQ_NS
 */
static int check_mq_file(struct image *img, const struct ckpt_file *f)
{
	const char *path = img->file_path;
	uint32_t flags = LE32(f->f_flags);

	if (check_flags(img, flags, O_ACCMODE_LINUX | O_NONBLOCK_LINUX, "f_flags"))
		return -1;
	if ((flags & O_ACCMODE_LINUX) == O_ACCMODE_LINUX)
		return image_fail(img, "f_flags 0%o has an invalid access mode", flags);
	if (LE32(f->path_len) > MQ_NAME_MAX + 1 || !mq_name_ok(path + 1))
		return image_fail(img, "path is not \"/\" and the name of a queue");
	if (img->ipc_ns && mq_find(img, path + 1) < 0)
		return image_fail(img, "path names no MQUEUE of the image's IPC namespace");
	return 0;
}

/*
 * An mq_notify(3) registration: by a process of the TREE, for a signal
 * or for nothing (SIGEV_THREAD is not saved); none is all zero
 */
static int check_mq_notify(struct image *img, const struct ckpt_mqueue *q)
{
	uint32_t pid = LE32(q->notify_pid), how = LE32(q->notify);
	const struct image_task *t;
	int64_t at;

	if (!pid && (how || LE32(q->notify_signo) || LE64(q->notify_value)))
		return image_fail(img, "notify, notify_signo or notify_value without a notify_pid");
	if (!pid)
		return 0;
	if (how != SIGEV_SIGNAL_LINUX && how != SIGEV_NONE_LINUX)
		return image_fail(img, "notify %u is neither SIGEV_SIGNAL nor SIGEV_NONE", how);
	if (how == SIGEV_SIGNAL_LINUX &&
	    check_signal(img, LE32(q->notify_signo), "notify_signo"))
		return -1;
	if (index_pids(img))
		return -1;
	at = tree_find(img->pids, img->nr_tasks, pid);
	if (at < 0)
		return image_fail(img, "notify_pid %u is not a task of the TREE", pid);
	t = &img->tree[at];
	if (t->pid != t->tgid || (t->flags & CKPT_TREE_ZOMBIE))
		return image_fail(img, "notify_pid %u is a thread or a zombie, not a process",
				  pid);
	return 0;
}

/* The checks of the kernel's ckpt_mq_rec_bad(), and a name used once */
int accept_MQUEUE(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_mqueue *q = p;
	const char *name = (const char *)(q + 1);
	uint32_t name_len = LE32(q->name_len);
	uint64_t maxmsg = LE64(q->maxmsg), msgsize = LE64(q->msgsize);
	uint64_t curmsgs = LE64(q->curmsgs);

	if (check_range(img, name_len, 2, MQ_NAME_MAX, "name_len") ||
	    check_var_len(img, p, len, name_len))
		return -1;
	if (strnlen(name, name_len) != name_len - 1)
		return image_fail(img, "name is not a NUL-terminated string of %u bytes",
				  name_len);
	if (!mq_name_ok(name))
		return image_fail(img, "name is \".\", \"..\" or has a \"/\"");
	if (check_zero(img, &q->__pad, sizeof(q->__pad), "__pad"))
		return -1;
	if (LE32(q->mode) & ~0777U)
		return image_fail(img, "mode %#o has bits beyond 0777", LE32(q->mode));
	if (LE32(q->uid) == INVALID_ID || LE32(q->gid) == INVALID_ID)
		return image_fail(img, "uid or gid is -1, which no user namespace maps");
	if (!maxmsg || maxmsg > MQ_MSG_MAX_LINUX)
		return image_fail(img, "maxmsg %llu is out of range 1..%u",
				  (unsigned long long)maxmsg, MQ_MSG_MAX_LINUX);
	if (!msgsize || msgsize > MQ_MSGSIZE_MAX_LINUX)
		return image_fail(img, "msgsize %llu is out of range 1..%u",
				  (unsigned long long)msgsize, MQ_MSGSIZE_MAX_LINUX);
	if (curmsgs > maxmsg)
		return image_fail(img, "curmsgs %llu is more than maxmsg %llu",
				  (unsigned long long)curmsgs, (unsigned long long)maxmsg);
	if (check_mq_notify(img, q))
		return -1;
	if (mq_find(img, name) >= 0)
		return image_fail(img, "name is that of an MQUEUE before it");
	img->mq_names[img->nr_mq] = strdup(name);
	if (!img->mq_names[img->nr_mq])
		return image_fail(img, "out of memory");
	img->nr_mq++;
	img->mq_left--;
	img->msgs_left = curmsgs;
	img->mq_msgsize = msgsize;
	img->msg_mq = true;
	next_mq_object(img);
	return 0;
}

/* A message of an MQUEUE: its priority in mtype, at most msgsize bytes */
static int accept_mq_msg(struct image *img, const struct ckpt_msg *m, uint32_t len)
{
	if (LE64(m->mtype) >= MQ_PRIO_MAX_LINUX)
		return image_fail(img, "priority %llu is out of range 0..%u",
				  (unsigned long long)LE64(m->mtype), MQ_PRIO_MAX_LINUX - 1);
	if (check_msg_text(img, m, len))
		return -1;
	if (LE64(m->len) > img->mq_msgsize)
		return image_fail(img, "len %llu is more than the MQUEUE's msgsize %llu",
				  (unsigned long long)LE64(m->len),
				  (unsigned long long)img->mq_msgsize);
	img->msgs_left--;
	next_mq_object(img);
	return 0;
}

/* The record after an anonymous FILE: the one of its kind */
static int accept_anon(struct image *img)
{
	if (img->rec_type != img->anon_rec)
		return image_fail(img, "the FILE before it is of another kind (%s expected)",
				  rec_names[img->anon_rec]);
	img->state = ST_TASK;
	return 0;
}

#define CKPT_EFD_FLAGS	CKPT_EFD_SEMAPHORE

int accept_EVENTFD(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_eventfd *e = p;

	if (accept_anon(img) ||
	    check_flags(img, LE32(e->flags), CKPT_EFD_FLAGS, "flags") ||
	    check_zero(img, &e->__pad, sizeof(e->__pad), "__pad"))
		return -1;
	if (LE64(e->count) == UINT64_MAX)
		return image_fail(img, "count is 2^64 - 1, which an eventfd cannot hold");
	return 0;
}

/* Clocks of the x86-64 Linux ABI */
#define CLOCK_REALTIME_LINUX	0
#define CLOCK_MONOTONIC_LINUX	1
#define CLOCK_BOOTTIME_LINUX	7
#define KTIME_MAX_LINUX		INT64_MAX

int accept_TIMERFD(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_timerfd *t = p;
	uint32_t clockid = LE32(t->clockid);

	if (accept_anon(img) ||
	    check_flags(img, LE32(t->flags), CKPT_TFD_ABSTIME, "flags"))
		return -1;
	if (clockid != CLOCK_REALTIME_LINUX && clockid != CLOCK_MONOTONIC_LINUX &&
	    clockid != CLOCK_BOOTTIME_LINUX)
		return image_fail(img, "clockid %u is not REALTIME, MONOTONIC or BOOTTIME",
				  clockid);
	if (LE64(t->value_ns) > KTIME_MAX_LINUX ||
	    LE64(t->interval_ns) > KTIME_MAX_LINUX)
		return image_fail(img, "value_ns or interval_ns is out of range");
	return 0;
}

int accept_SIGNALFD(struct image *img, const void *p, uint32_t len)
{
	return accept_anon(img);
}

/* EPOLL* bits of the Linux ABI that an item may have */
#define EPOLL_EVENTS_LINUX	(0x00003fffU | 0x10000000U | 0x20000000U | \
				 0x40000000U | 0x80000000U)

int accept_EPOLL(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_epoll *ep = p;
	const struct ckpt_epoll_item *it = (const void *)(ep + 1);
	uint32_t i, n = LE32(ep->nr_items);
	char field[32];

	if (accept_anon(img) ||
	    check_zero(img, &ep->__pad, sizeof(ep->__pad), "__pad") ||
	    check_var_len(img, p, len, (uint64_t)n * sizeof(*it)))
		return -1;
	for (i = 0; i < n; i++) {
		if (!LE32(it[i].file_ref))
			return image_fail(img, "item[%u]: file_ref is 0", i);
		snprintf(field, sizeof(field), "item[%u]: file_ref", i);
		if (check_ref(img, field, LE32(it[i].file_ref), CKPT_REC_FILE))
			return -1;
		if (LE32(it[i].fd) > INT_MAX)
			return image_fail(img, "item[%u]: fd %u is too big", i,
					  LE32(it[i].fd));
		snprintf(field, sizeof(field), "item[%u]: events", i);
		if (check_flags(img, LE32(it[i].events), EPOLL_EVENTS_LINUX, field))
			return -1;
		if (LE32(it[i].__pad))
			return image_fail(img, "item[%u]: __pad is not zero", i);
	}
	return 0;
}

/* IN_ALL_EVENTS | IN_EXCL_UNLINK | IN_ONESHOT of the Linux ABI */
#define INOTIFY_WATCH_BITS	(0x00000fffU | 0x04000000U | 0x80000000U)

int accept_INOTIFY(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_inotify *in = p;
	uint32_t i, n = LE32(in->nr_watches);
	uint64_t off = sizeof(*in);

	if (accept_anon(img))
		return -1;
	if (LE32(in->next_wd) > INT_MAX)
		return image_fail(img, "next_wd %u is out of range", LE32(in->next_wd));
	for (i = 0; i < n; i++) {
		const struct ckpt_inotify_watch *w = (const void *)((const char *)p + off);
		const char *path = (const char *)(w + 1);
		uint32_t path_len;
		uint64_t size;

		if (off + sizeof(*w) > len)
			return image_fail(img, "watch[%u] is past the end of the record", i);
		path_len = LE32(w->path_len);
		size = sizeof(*w) + ALIGN8((uint64_t)path_len);
		if (!LE32(w->wd) || LE32(w->wd) > INT_MAX)
			return image_fail(img, "watch[%u]: wd %u is out of range", i,
					  LE32(w->wd));
		if (!(LE32(w->mask) & 0xfff) ||
		    check_flags(img, LE32(w->mask), INOTIFY_WATCH_BITS, "mask"))
			return image_fail(img, "watch[%u]: mask 0x%x is invalid", i,
					  LE32(w->mask));
		if (LE32(w->__pad))
			return image_fail(img, "watch[%u]: __pad is not zero", i);
		if (path_len < 2 || path_len > CKPT_PATH_MAX || off + size > len)
			return image_fail(img, "watch[%u]: path_len %u is out of range", i,
					  path_len);
		if (strnlen(path, path_len) != path_len - 1 || path[0] != '/')
			return image_fail(img,
					  "watch[%u]: path is not an absolute NUL-terminated string",
					  i);
		if (!all_zero(path + path_len, size - sizeof(*w) - path_len))
			return image_fail(img, "watch[%u]: padding after the path is not zero", i);
		off += size;
	}
	if (off != len)
		return image_fail(img, "len %u, but the watches take %llu bytes", len,
				  (unsigned long long)off);
	return 0;
}

#define SOCK_STREAM_LINUX	1
#define SOCK_DGRAM_LINUX	2
#define SOCK_SEQPACKET_LINUX	5
#define SUN_PATH_LINUX		108
#define MAX_ERRNO_LINUX		4095
#define SCM_MAX_FD_LINUX	253

/* After a UNIX_SK or one of its messages: what comes next */
static void unix_next(struct image *img)
{
	if (img->unix_skbs)
		img->state = ST_UNIX_SKB;
	else if (img->unix_embryos)
		img->state = ST_UNIX_EMBRYO;
	else
		img->state = ST_TASK;
}

/* The connections of a listening socket name it; others name a socket */
static int check_unix_links(struct image *img, const struct ckpt_unix_sk *u)
{
	uint32_t flags = LE32(u->flags), state = LE32(u->state);
	uint32_t links = !!LE32(u->peer_ref) + !!(flags & CKPT_UNIX_PEER_LATER) +
			 !!(flags & CKPT_UNIX_PEER_NAME) + !!(flags & CKPT_UNIX_PEER_GONE) +
			 !!(flags & CKPT_UNIX_EXTERNAL);

	if (state > CKPT_UNIX_CONNECTED)
		return image_fail(img, "state %u is unknown", state);
	if (state == CKPT_UNIX_CONNECTED ? links != 1 : links != 0)
		return image_fail(img, "state %u with %u ways to its peer", state, links);
	if (LE32(u->peer_ref) && check_ref(img, "peer_ref", LE32(u->peer_ref), CKPT_REC_FILE))
		return -1;
	if (state == CKPT_UNIX_LISTEN && (LE32(u->type) == SOCK_DGRAM_LINUX ||
					  LE32(u->nr_peer_skbs)))
		return image_fail(img, "a listening socket of type %u with messages",
				  LE32(u->type));
	if ((flags & CKPT_UNIX_PEER_LATER) && (LE32(u->nr_skbs) || LE32(u->nr_peer_skbs)))
		return image_fail(img, "a socket whose peer comes later carries messages");
	if (LE32(u->nr_peer_skbs) && !LE32(u->peer_ref))
		return image_fail(img, "nr_peer_skbs %u without a peer_ref",
				  LE32(u->nr_peer_skbs));
	return 0;
}

int accept_UNIX_SK(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_unix_sk *u = p;
	uint32_t type = LE32(u->type), flags = LE32(u->flags);
	uint32_t alen = LE32(u->addr_len), plen = LE32(u->path_len);
	uint32_t nlen = LE32(u->peer_name_len);
	bool embryo = img->state == ST_UNIX_EMBRYO;

	if (!embryo && accept_anon(img))
		return -1;
	if (type != SOCK_STREAM_LINUX && type != SOCK_DGRAM_LINUX &&
	    type != SOCK_SEQPACKET_LINUX)
		return image_fail(img, "type %u is not a UNIX socket's", type);
	if (check_flags(img, flags, CKPT_UNIX_ALL, "flags") ||
	    check_var_len(img, p, len, (uint64_t)alen + plen + nlen) ||
	    check_unix_links(img, u))
		return -1;
	if (alen > SUN_PATH_LINUX || nlen > SUN_PATH_LINUX || plen > SUN_PATH_LINUX)
		return image_fail(img, "an address is longer than %u bytes", SUN_PATH_LINUX);
	if (!!(flags & (CKPT_UNIX_PEER_NAME | CKPT_UNIX_EXTERNAL)) != !!nlen)
		return image_fail(img, "peer_name_len %u with flags 0x%x", nlen, flags);
	/* As the kernel: a stream's key, "socket:[INO]", shorter than 32 */
	if ((flags & CKPT_UNIX_EXTERNAL) &&
	    (type == SOCK_DGRAM_LINUX || nlen >= 32 || (flags & CKPT_UNIX_EMBRYO)))
		return image_fail(img, "an external socket of type %u with a key of %u bytes",
				  type, nlen);
	if (LE32(u->err) > MAX_ERRNO_LINUX || LE32(u->shutdown) > 3)
		return image_fail(img, "err %u or shutdown %u is out of range",
				  LE32(u->err), LE32(u->shutdown));
	if (embryo) {
		if (!(flags & CKPT_UNIX_EMBRYO) || LE32(u->objref) ||
		    LE32(u->listener_ref) != img->unix_listener || type != img->unix_type)
			return image_fail(img, "not a connection of the listening socket %u",
					  img->unix_listener);
		img->unix_embryos--;
	} else {
		if ((flags & CKPT_UNIX_EMBRYO) || LE32(u->listener_ref))
			return image_fail(img, "a connection outside its listening socket");
		img->unix_type = type;
		img->unix_listener = LE32(u->objref);
		img->unix_embryos = LE32(u->state) == CKPT_UNIX_LISTEN ? LE32(u->nr_skbs) : 0;
	}
	img->unix_skbs = img->unix_embryos && !embryo ? 0 :
			 (uint64_t)LE32(u->nr_skbs) + LE32(u->nr_peer_skbs);
	unix_next(img);
	return 0;
}

int accept_UNIX_SKB(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_unix_skb *m = p;
	uint32_t n = LE32(m->len), alen = LE32(m->addr_len), nr_fds = LE32(m->nr_fds);
	const __le32 *refs = (const __le32 *)(m + 1);
	uint32_t i;

	if (nr_fds > SCM_MAX_FD_LINUX)
		return image_fail(img, "nr_fds %u is more than %u", nr_fds, SCM_MAX_FD_LINUX);
	if (check_flags(img, LE32(m->flags), CKPT_UNIX_SKB_CREDS | CKPT_UNIX_SKB_FROM_PEER,
			"flags") ||
	    check_zero(img, &m->__pad, sizeof(m->__pad), "__pad") ||
	    check_var_len(img, p, len, (uint64_t)nr_fds * 4 + n + alen))
		return -1;
	for (i = 0; i < nr_fds; i++)
		if (check_ref(img, "fd in flight", LE32(refs[i]), CKPT_REC_FILE))
			return -1;
	if (n > CKPT_UNIX_SKB_MAX || alen > SUN_PATH_LINUX)
		return image_fail(img, "len %u or addr_len %u is out of range", n, alen);
	if (img->unix_type != SOCK_DGRAM_LINUX && (alen || !n))
		return image_fail(img, "a %s message with an address or no data",
				  img->unix_type == SOCK_STREAM_LINUX ? "stream" : "seqpacket");
	img->unix_skbs--;
	unix_next(img);
	return 0;
}

#define AF_INET_LINUX		2
#define AF_INET6_LINUX		10
#define IPPROTO_TCP_LINUX	6
#define IPPROTO_UDP_LINUX	17

#define INET_QUEUED_MAX		65536	/* the kernel's CKPT_INET_QUEUED_MAX */

/* After an INET_SK and its TCP_STREAM: what its queue holds, or the task */
static void inet_next(struct image *img)
{
	if (!img->inet_queued)
		img->state = ST_TASK;
	else
		img->state = img->inet_udp ? ST_UDP_DGRAM : ST_INET_PENDING;
}

/* Of TCP, only a listener has connections queued, at most its backlog + 1 */
static int check_inet_queued(struct image *img, const struct ckpt_inet_sk *s, bool tcp)
{
	uint32_t n = LE32(s->nr_queued);

	if (n > INET_QUEUED_MAX)
		return image_fail(img, "nr_queued %u is more than %u", n, INET_QUEUED_MAX);
	if (tcp && n && LE32(s->state) != CKPT_INET_LISTEN)
		return image_fail(img, "nr_queued %u, but not a listener", n);
	if (tcp && n > (uint64_t)LE32(s->backlog) + 1)
		return image_fail(img, "nr_queued %u is more than the backlog %u + 1", n,
				  LE32(s->backlog));
	return check_zero(img, &s->__pad, sizeof(s->__pad), "__pad");
}

int accept_INET_SK(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_inet_sk *s = p;
	uint32_t family = LE32(s->family), type = LE32(s->type), proto = LE32(s->protocol);
	uint32_t state = LE32(s->state);
	bool tcp = type == SOCK_STREAM_LINUX && proto == IPPROTO_TCP_LINUX;
	bool udp = type == SOCK_DGRAM_LINUX && proto == IPPROTO_UDP_LINUX;
	bool pending = img->state == ST_INET_PENDING;

	if (!pending && accept_anon(img))
		return -1;
	if ((family != AF_INET_LINUX && family != AF_INET6_LINUX) || (!tcp && !udp))
		return image_fail(img, "family %u, type %u, protocol %u: not TCP or UDP",
				  family, type, proto);
	if (check_flags(img, LE32(s->flags), CKPT_INET_ALL, "flags") ||
	    check_padded_string(img, s->dev, sizeof(s->dev), "dev"))
		return -1;
	if (state > CKPT_INET_STREAM ||
	    ((state == CKPT_INET_LISTEN || state == CKPT_INET_STREAM) && !tcp) ||
	    (state == CKPT_INET_CONNECTED && !udp))
		return image_fail(img, "state %u does not fit the protocol", state);
	/* A listener or a connection has a local address; restart binds it */
	if ((state == CKPT_INET_LISTEN || state == CKPT_INET_STREAM) &&
	    !(LE32(s->flags) & CKPT_INET_BOUND))
		return image_fail(img, "state %u without BOUND", state);
	if (family == AF_INET_LINUX && (!all_zero(s->src + 4, 12) || !all_zero(s->dst + 4, 12)))
		return image_fail(img, "an IPv4 address is longer than 4 bytes");
	if (check_inet_queued(img, s, tcp))
		return -1;
	if (pending) {
		if (state != CKPT_INET_STREAM || family != img->inet_family)
			return image_fail(img, "state %u, family %u: not the listener's connection",
					  state, family);
		img->inet_queued--;
	} else {
		img->inet_family = family;
		img->inet_udp = udp;
		img->inet_queued = LE32(s->nr_queued);
	}
	if (state == CKPT_INET_STREAM)
		img->state = ST_TCP_STREAM;
	else
		inet_next(img);
	return 0;
}

/* TCP states a TCP_STREAM may have: the kernel's TCP_ESTABLISHED ... */
#define TCP_ESTABLISHED_LINUX	1
#define TCP_FIN_WAIT1_LINUX	4
#define TCP_FIN_WAIT2_LINUX	5
#define TCP_CLOSE_WAIT_LINUX	8
#define TCP_LAST_ACK_LINUX	9
#define TCP_CLOSING_LINUX	11
#define TCPF_STREAM_LINUX	((1U << TCP_ESTABLISHED_LINUX) | (1U << TCP_FIN_WAIT1_LINUX) | \
				 (1U << TCP_FIN_WAIT2_LINUX) | (1U << TCP_CLOSE_WAIT_LINUX) | \
				 (1U << TCP_LAST_ACK_LINUX) | (1U << TCP_CLOSING_LINUX))
#define TCP_MAX_WSCALE_LINUX	14
#define MAX_TCP_WINDOW_LINUX	32767U

/* The checks of the kernel's ckpt_tcp_rec_check(), in its order */
int accept_TCP_STREAM(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_tcp_stream *t = p;
	uint32_t state = LE32(t->state), mss = LE32(t->mss_clamp);
	uint32_t outq = LE32(t->outq_len);

	if (state >= 32 || !((1U << state) & TCPF_STREAM_LINUX))
		return image_fail(img, "state %u is not a TCP connection's", state);
	if (check_flags(img, LE32(t->flags), CKPT_TCP_ALL, "flags") ||
	    check_var_len(img, p, len, (uint64_t)LE32(t->inq_len) + outq))
		return -1;
	if (LE32(t->unsent_len) > outq)
		return image_fail(img, "unsent_len %u is more than outq_len %u",
				  LE32(t->unsent_len), outq);
	if (state == TCP_FIN_WAIT2_LINUX && outq)
		return image_fail(img, "outq_len %u in FIN_WAIT2, whose FIN was acknowledged",
				  outq);
	if (!mss || mss > UINT16_MAX)
		return image_fail(img, "mss_clamp %u is out of range 1..%u", mss, UINT16_MAX);
	if (t->snd_wscale > TCP_MAX_WSCALE_LINUX || t->rcv_wscale > TCP_MAX_WSCALE_LINUX)
		return image_fail(img, "snd_wscale %u or rcv_wscale %u is more than %u",
				  t->snd_wscale, t->rcv_wscale, TCP_MAX_WSCALE_LINUX);
	if (check_zero(img, &t->__pad, sizeof(t->__pad), "__pad") ||
	    check_zero(img, &t->__pad2, sizeof(t->__pad2), "__pad2"))
		return -1;
	if (LE32(t->user_mss) > MAX_TCP_WINDOW_LINUX)
		return image_fail(img, "user_mss %u is more than %u", LE32(t->user_mss),
				  MAX_TCP_WINDOW_LINUX);
	if (LE32(t->user_timeout) > INT_MAX || LE32(t->snd_wnd) > INT_MAX ||
	    LE32(t->rcv_wnd) > INT_MAX)
		return image_fail(img, "user_timeout, snd_wnd or rcv_wnd is negative");
	if (LE32(t->max_window) < LE32(t->snd_wnd))
		return image_fail(img, "max_window %u is below snd_wnd %u",
				  LE32(t->max_window), LE32(t->snd_wnd));
	inet_next(img);
	return 0;
}

/* The checks of the kernel's ckpt_udp_restore_dgram() */
int accept_UDP_DGRAM(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_udp_dgram *d = p;
	uint32_t family = LE32(d->family), n = LE32(d->len);
	uint32_t alen = family == AF_INET_LINUX ? 4 : 16;

	if (family != AF_INET_LINUX &&
	    (family != AF_INET6_LINUX || img->inet_family != AF_INET6_LINUX))
		return image_fail(img, "family %u on a socket of family %u", family,
				  img->inet_family);
	if (n > CKPT_UDP_DGRAM_MAX)
		return image_fail(img, "len %u is more than %u", n, CKPT_UDP_DGRAM_MAX);
	if (check_var_len(img, p, len, n) ||
	    check_zero(img, &d->__pad, sizeof(d->__pad), "__pad"))
		return -1;
	if (!all_zero(d->saddr + alen, 16 - alen) || !all_zero(d->daddr + alen, 16 - alen))
		return image_fail(img, "an IPv4 address is longer than 4 bytes");
	img->inet_queued--;
	inet_next(img);
	return 0;
}

#define SOCK_RAW_LINUX		3
#define MAX_LINKS_LINUX		32

int accept_NETLINK_SK(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_netlink_sk *n = p;
	uint32_t nr = LE32(n->nr_groups), type = LE32(n->type);

	if (accept_anon(img))
		return -1;
	if ((type != SOCK_RAW_LINUX && type != SOCK_DGRAM_LINUX) ||
	    LE32(n->protocol) >= MAX_LINKS_LINUX)
		return image_fail(img, "type %u, protocol %u: not a netlink socket's", type,
				  LE32(n->protocol));
	if (nr % 64 || nr > CKPT_NETLINK_GROUPS_MAX)
		return image_fail(img, "nr_groups %u is not a multiple of 64 up to %u", nr,
				  CKPT_NETLINK_GROUPS_MAX);
	if (LE32(n->dst_group) > 32)
		return image_fail(img, "dst_group %u is out of range", LE32(n->dst_group));
	return check_flags(img, LE32(n->flags), CKPT_NETLINK_ALL, "flags") ?:
	       check_var_len(img, p, len, nr / 8);
}

/* --- the network namespace --- */

#define LOOPBACK_IFINDEX_LINUX	1
#define ETH_ALEN_LINUX		6

/* IFA_F_* an address keeps: the kernel's CKPT_IFA_FLAGS */
#define IFA_FLAGS_LINUX		(0x02 | 0x10 | 0x80 | 0x100 | 0x200 | 0x400)

#define RTPROT_KERNEL_LINUX	2
#define RT_TABLE_LOCAL_LINUX	255
#define RTNH_F_ONLINK_LINUX	4
/* RTN_UNICAST, _BLACKHOLE, _UNREACHABLE, _PROHIBIT: the kernel's CKPT_RTN_TYPES */
#define RTN_TYPES_LINUX		((1U << 1) | (1U << 6) | (1U << 7) | (1U << 8))

#define CKPT_NETDEV_FLAGS	(CKPT_NETDEV_UP | CKPT_NETDEV_PEER_UP | CKPT_NETDEV_PEER_OUT)

/*
 * A sysctl kept in jiffies is saved in seconds, up to INT_MAX / HZ of the
 * restarting kernel; HZ is at least 100 on x86-64, so this is the largest
 * bound any of them has.
 */
#define NET_SYSCTL_SEC_MAX	(INT_MAX / 100)

/* The kernel's ckpt_net_sysctls[]: names under net., and bounds */
const struct net_sysctl_def net_sysctl_defs[CKPT_NET_SYSCTL_NR] = {
	[CKPT_NET_SYSCTL_SOMAXCONN] = { "core.somaxconn", 0, INT_MAX },
	[CKPT_NET_SYSCTL_IP_LOCAL_PORT_RANGE] = { "ipv4.ip_local_port_range", 0, UINT32_MAX },
	[CKPT_NET_SYSCTL_IP_UNPRIV_PORT_START] = {
		"ipv4.ip_unprivileged_port_start", 0, 65535 },
	[CKPT_NET_SYSCTL_IP_DEFAULT_TTL] = { "ipv4.ip_default_ttl", 1, 255 },
	[CKPT_NET_SYSCTL_TCP_KEEPALIVE_TIME] = {
		"ipv4.tcp_keepalive_time", 1, NET_SYSCTL_SEC_MAX },
	[CKPT_NET_SYSCTL_TCP_KEEPALIVE_INTVL] = {
		"ipv4.tcp_keepalive_intvl", 1, NET_SYSCTL_SEC_MAX },
	[CKPT_NET_SYSCTL_TCP_KEEPALIVE_PROBES] = { "ipv4.tcp_keepalive_probes", 0, 255 },
	[CKPT_NET_SYSCTL_TCP_FIN_TIMEOUT] = { "ipv4.tcp_fin_timeout", 1, NET_SYSCTL_SEC_MAX },
	[CKPT_NET_SYSCTL_TCP_SYNCOOKIES] = { "ipv4.tcp_syncookies", 0, 2 },
	[CKPT_NET_SYSCTL_TCP_TIMESTAMPS] = { "ipv4.tcp_timestamps", 0, 2 },
	[CKPT_NET_SYSCTL_TCP_SACK] = { "ipv4.tcp_sack", 0, 1 },
	[CKPT_NET_SYSCTL_TCP_WINDOW_SCALING] = { "ipv4.tcp_window_scaling", 0, 1 },
	[CKPT_NET_SYSCTL_TCP_ECN] = { "ipv4.tcp_ecn", 0, 2 },
};

_Static_assert(CKPT_NET_SYSCTL_NR <= 32, "sysctl ids no longer fit a mask");

static const struct image_netdev *netdev_find(const struct image *img, uint32_t ifindex)
{
	uint32_t i;

	for (i = 0; i < img->nr_netdevs; i++)
		if (img->netdevs[i].ifindex == ifindex)
			return &img->netdevs[i];
	return NULL;
}

const char *image_netdev_name(const struct image *img, uint32_t ifindex)
{
	const struct image_netdev *nd = netdev_find(img, ifindex);

	return nd ? nd->name : NULL;
}

/* After the NETNS and each of its records: the next one, or the namespaces after it */
static void netns_next(struct image *img)
{
	if (img->netdevs_left)
		img->state = ST_NETDEV;
	else if (img->net_addrs_left)
		img->state = ST_NET_ADDR;
	else if (img->net_routes_left)
		img->state = ST_NET_ROUTE;
	else
		img->state = ST_UTS;
}

/* The checks of the kernel's ckpt_net_sysctls_check() */
static int check_net_sysctls(struct image *img, const struct ckpt_net_sysctl *sc, uint32_t nr)
{
	uint32_t i, id, v, seen = 0, range = 0, prot_sock = 0, low, high;
	const struct net_sysctl_def *def;

	for (i = 0; i < nr; i++) {
		id = LE32(sc[i].id);
		v = LE32(sc[i].value);
		if (id >= CKPT_NET_SYSCTL_NR || !net_sysctl_defs[id].name || (seen & (1U << id)))
			return image_fail(img, "sysctl[%u]: id %u is unknown or repeated", i, id);
		seen |= 1U << id;
		def = &net_sysctl_defs[id];
		if (v < def->min || v > def->max)
			return image_fail(img, "sysctl[%u]: net.%s = %u is out of range %u..%u",
					  i, def->name, v, def->min, def->max);
		if (id == CKPT_NET_SYSCTL_IP_LOCAL_PORT_RANGE)
			range = v;
		else if (id == CKPT_NET_SYSCTL_IP_UNPRIV_PORT_START)
			prot_sock = v;
	}
	/* As the port range's own sysctl handler checks it */
	low = range & 0xffff;
	high = range >> 16;
	if ((seen & (1U << CKPT_NET_SYSCTL_IP_LOCAL_PORT_RANGE)) &&
	    (!low || low > high || low < prot_sock))
		return image_fail(img,
				  "net.ipv4.ip_local_port_range %u %u is empty or starts below net.ipv4.ip_unprivileged_port_start %u",
				  low, high, prot_sock);
	return 0;
}

/* The devices of the namespace: the loopback, then both ends of each NETDEV */
static int netns_begin(struct image *img, uint32_t nr_devs, uint32_t nr_addrs,
		       uint32_t nr_routes)
{
	img->netdevs = calloc(1 + 2 * nr_devs, sizeof(*img->netdevs));
	if (!img->netdevs)
		return image_fail(img, "out of memory for %u devices", nr_devs);
	img->netdevs[0].ifindex = LOOPBACK_IFINDEX_LINUX;
	memcpy(img->netdevs[0].name, "lo", sizeof("lo"));
	img->nr_netdevs = 1;
	img->netdevs_left = nr_devs;
	img->net_addrs_left = nr_addrs;
	img->net_routes_left = nr_routes;
	netns_next(img);
	return 0;
}

static int check_max(struct image *img, uint32_t n, uint32_t max, const char *what)
{
	if (n > max)
		return image_fail(img, "%s %u is more than %u", what, n, max);
	return 0;
}

/* The checks of the kernel's ckpt_netns_read_head() */
int accept_NETNS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_netns *n = p;
	const struct ckpt_net_sysctl *sc = (const void *)(n + 1);
	uint32_t nr = LE16(n->nr_sysctls), nr_devs = LE16(n->nr_devs);
	uint32_t nr_addrs, nr_routes;

	if (check_flags(img, LE32(n->flags), CKPT_NETNS_LO_UP, "flags"))
		return -1;
	/* An earlier kernel's: only the loopback's state, then 4 zero bytes */
	if (len == NETNS_V1_SIZE)
		return nr || nr_devs ? image_fail(img, "__pad is not zero") :
		       netns_begin(img, 0, 0, 0);
	nr_addrs = LE32(n->nr_addrs);
	nr_routes = LE32(n->nr_routes);
	if (check_max(img, nr_devs, CKPT_NETNS_MAX_DEVS, "nr_devs") ||
	    check_max(img, nr, CKPT_NET_SYSCTL_NR, "nr_sysctls") ||
	    check_max(img, nr_addrs, CKPT_NETNS_MAX_ADDRS, "nr_addrs") ||
	    check_max(img, nr_routes, CKPT_NETNS_MAX_ROUTES, "nr_routes") ||
	    check_var_len(img, p, len, (uint64_t)nr * sizeof(*sc)) ||
	    check_net_sysctls(img, sc, nr))
		return -1;
	return netns_begin(img, nr_devs, nr_addrs, nr_routes);
}

/* A device name as the kernel's dev_valid_name() takes it, NUL-padded */
static int check_ifname(struct image *img, const char *name, size_t size, const char *what)
{
	if (check_padded_string(img, name, size, what))
		return -1;
	/* The spaces of the kernel's isspace(), 0xa0 included */
	if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strpbrk(name, "/: \t\n\v\f\r\xa0"))
		return image_fail(img, "%s is not a valid device name", what);
	return 0;
}

_Static_assert(sizeof(((struct ckpt_netdev *)0)->name) == sizeof(((struct image_netdev *)0)->name),
	       "device names of another size");

/* name: a NUL-padded name of struct ckpt_netdev */
static void netdev_add(struct image *img, uint32_t ifindex, const char *name)
{
	struct image_netdev *nd = &img->netdevs[img->nr_netdevs++];

	nd->ifindex = ifindex;
	memcpy(nd->name, name, sizeof(nd->name));
}

/* The checks of the kernel's ckpt_netdev_check() */
int accept_NETDEV(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_netdev *d = p;
	uint32_t flags = LE32(d->flags), ifindex = LE32(d->ifindex);
	uint32_t peer = LE32(d->peer_ifindex);
	bool out = flags & CKPT_NETDEV_PEER_OUT;

	if (LE32(d->kind) != CKPT_NETDEV_VETH)
		return image_fail(img, "kind %u is unknown", LE32(d->kind));
	if (check_flags(img, flags, CKPT_NETDEV_FLAGS, "flags"))
		return -1;
	if (ifindex <= LOOPBACK_IFINDEX_LINUX || ifindex > INT_MAX)
		return image_fail(img, "ifindex %u is out of range %u..%d", ifindex,
				  LOOPBACK_IFINDEX_LINUX + 1, INT_MAX);
	if (out && peer)
		return image_fail(img, "peer_ifindex %u, but the peer is outside the namespace",
				  peer);
	if (!out && (peer <= LOOPBACK_IFINDEX_LINUX || peer > INT_MAX || peer == ifindex))
		return image_fail(img, "peer_ifindex %u is out of range %u..%d or the device's own",
				  peer, LOOPBACK_IFINDEX_LINUX + 1, INT_MAX);
	if (netdev_find(img, ifindex))
		return image_fail(img, "ifindex %u is another device's", ifindex);
	if (peer && netdev_find(img, peer))
		return image_fail(img, "peer_ifindex %u is another device's", peer);
	if (check_ifname(img, d->name, sizeof(d->name), "name") ||
	    check_ifname(img, d->peer_name, sizeof(d->peer_name), "peer_name") ||
	    check_zero(img, d->addr + ETH_ALEN_LINUX, sizeof(d->addr) - ETH_ALEN_LINUX,
		       "addr beyond ETH_ALEN") ||
	    check_zero(img, d->peer_addr + ETH_ALEN_LINUX,
		       sizeof(d->peer_addr) - ETH_ALEN_LINUX, "peer_addr beyond ETH_ALEN"))
		return -1;
	if (!out && !strcmp(d->name, d->peer_name))
		return image_fail(img, "both ends have the same name");
	netdev_add(img, ifindex, d->name);
	if (!out)
		netdev_add(img, peer, d->peer_name);
	img->netdevs_left--;
	netns_next(img);
	return 0;
}

/* The bytes of an address field beyond the family's length are zero */
static bool net_addr_fits(const uint8_t *a, uint32_t alen)
{
	return all_zero(a + alen, 16 - alen);
}

/* The checks of the kernel's ckpt_addr_check() */
int accept_NET_ADDR(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_net_addr *a = p;
	uint32_t alen = a->family == AF_INET_LINUX ? 4 : 16;

	if (a->family != AF_INET_LINUX && a->family != AF_INET6_LINUX)
		return image_fail(img, "family %u is not INET or INET6", a->family);
	if (a->prefixlen > alen * 8)
		return image_fail(img, "prefixlen %u is more than %u", a->prefixlen, alen * 8);
	if (check_zero(img, &a->__pad, sizeof(a->__pad), "__pad") ||
	    check_zero(img, &a->__pad2, sizeof(a->__pad2), "__pad2") ||
	    check_flags(img, LE32(a->flags), IFA_FLAGS_LINUX, "flags"))
		return -1;
	if (!netdev_find(img, LE32(a->ifindex)))
		return image_fail(img, "ifindex %u is neither the loopback's nor a NETDEV's",
				  LE32(a->ifindex));
	if (check_padded_string(img, a->label, sizeof(a->label), "label"))
		return -1;
	if (a->family == AF_INET6_LINUX &&
	    (a->label[0] || !all_zero(a->broadcast, sizeof(a->broadcast))))
		return image_fail(img, "an IPv6 address with a label or a broadcast address");
	if (!net_addr_fits(a->local, alen) || !net_addr_fits(a->address, alen) ||
	    !net_addr_fits(a->broadcast, 4))
		return image_fail(img, "an IPv4 address is longer than 4 bytes");
	img->net_addrs_left--;
	netns_next(img);
	return 0;
}

/* The checks of the kernel's ckpt_route_check() */
int accept_NET_ROUTE(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_net_route *r = p;
	uint32_t alen = r->family == AF_INET_LINUX ? 4 : 16;
	uint32_t table = LE32(r->table), oif = LE32(r->oif);

	if (r->family != AF_INET_LINUX && r->family != AF_INET6_LINUX)
		return image_fail(img, "family %u is not INET or INET6", r->family);
	if (r->dst_len > alen * 8)
		return image_fail(img, "dst_len %u is more than %u", r->dst_len, alen * 8);
	if (r->protocol == RTPROT_KERNEL_LINUX)
		return image_fail(img, "protocol %u: a route the kernel makes", r->protocol);
	if (!table || table == RT_TABLE_LOCAL_LINUX)
		return image_fail(img, "table %u is not one a route is restored to", table);
	if (r->type >= 32 || !((1U << r->type) & RTN_TYPES_LINUX))
		return image_fail(img, "type %u is not unicast, blackhole, unreachable or prohibit",
				  r->type);
	if (check_zero(img, r->__pad, sizeof(r->__pad), "__pad") ||
	    check_flags(img, LE32(r->flags), RTNH_F_ONLINK_LINUX, "flags"))
		return -1;
	if (oif && !netdev_find(img, oif))
		return image_fail(img, "oif %u is neither the loopback's nor a NETDEV's", oif);
	if (!net_addr_fits(r->dst, alen) || !net_addr_fits(r->gateway, alen) ||
	    !net_addr_fits(r->prefsrc, alen))
		return image_fail(img, "an IPv4 address is longer than 4 bytes");
	img->net_routes_left--;
	netns_next(img);
	return 0;
}

/* --- the mount namespace --- */

#define CKPT_MNT_FLAGS		(CKPT_MNT_RDONLY | CKPT_MNT_NOSUID | CKPT_MNT_NODEV | \
				 CKPT_MNT_NOEXEC | CKPT_MNT_NOATIME | CKPT_MNT_NODIRATIME | \
				 CKPT_MNT_RELATIME | CKPT_MNT_NOSYMFOLLOW | CKPT_MNT_SB_RDONLY)
#define CKPT_MNT_PROPAGATION	(CKPT_MNT_SHARED | CKPT_MNT_SLAVE | CKPT_MNT_UNBINDABLE)

/* The filesystems restart mounts anew: the kernel's ckpt_mnt_fs[] */
static const char *const mount_new_fstypes[] = {
	"proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup2",
};

/* The strings after the fixed part of a MOUNT, in their order */
enum { MNT_MOUNTPOINT, MNT_ROOT, MNT_SOURCE, MNT_OPTIONS, NR_MNT_STRINGS };

static const struct {
	const char *name;
	uint32_t min, max;	/* bytes, with the NUL */
} mount_strings[NR_MNT_STRINGS] = {
	[MNT_MOUNTPOINT]	= { "mountpoint", 2, CKPT_PATH_MAX },
	[MNT_ROOT]		= { "root", 2, CKPT_PATH_MAX },
	[MNT_SOURCE]		= { "source", 1, CKPT_PATH_MAX },
	[MNT_OPTIONS]		= { "options", 1, CKPT_MOUNT_OPTIONS_MAX },
};

const char *image_mount_path(const struct image *img, uint32_t id)
{
	if (!id || id > img->mounts_done)
		return NULL;
	return img->mounts[id - 1].path;
}

int accept_MNTNS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_mntns *ns = p;
	uint32_t nr = LE32(ns->nr_mounts);

	if (!nr || nr > CKPT_MNTNS_MAX_MOUNTS)
		return image_fail(img, "nr_mounts %u is out of range 1..%u",
				  nr, CKPT_MNTNS_MAX_MOUNTS);
	if (check_zero(img, &ns->__pad, sizeof(ns->__pad), "__pad"))
		return -1;
	img->mounts = calloc(nr, sizeof(*img->mounts));
	if (!img->mounts)
		return image_fail(img, "out of memory for %u mounts", nr);
	img->nr_mounts = nr;
	img->mounts_done = 0;
	img->state = ST_MOUNT;
	return 0;
}

/* Where it is in the tree: id, parent and source name earlier MOUNTs */
static int check_mount_tree(struct image *img, const struct ckpt_mount *m)
{
	uint32_t id = LE32(m->id), parent = LE32(m->parent);
	uint32_t kind = LE16(m->kind), source = LE32(m->source);

	if (id != img->mounts_done + 1)
		return image_fail(img, "id %u, but it is MOUNT %u of the MNTNS",
				  id, img->mounts_done + 1);
	if (id == 1 && parent)
		return image_fail(img, "parent %u, but the first MOUNT is the root (parent 0)",
				  parent);
	if (id > 1 && (!parent || parent >= id))
		return image_fail(img, "parent %u is not the id of an earlier MOUNT", parent);
	if (kind < CKPT_MOUNT_EXTERNAL || kind > CKPT_MOUNT_BIND)
		return image_fail(img, "kind %u is unknown", kind);
	if (id == 1 && kind != CKPT_MOUNT_EXTERNAL)
		return image_fail(img, "kind %u: the root mount must be EXTERNAL", kind);
	if (kind == CKPT_MOUNT_BIND && (!source || source >= id))
		return image_fail(img, "source %u is not the id of an earlier MOUNT", source);
	if (kind != CKPT_MOUNT_BIND && source)
		return image_fail(img, "source %u, but kind %u is not BIND", source, kind);
	return 0;
}

/* Whether an earlier MOUNT is in the peer group numbered group */
static bool mount_group_seen(const struct image *img, uint32_t group)
{
	uint32_t i;

	for (i = 0; i < img->mounts_done; i++)
		if (img->mounts[i].peer_group == group)
			return true;
	return false;
}

/*
 * Flags and propagation, as a mount can have them and as restart rebuilds
 * them (the kernel's ckpt_mnt_rec_bad()): a mount joins a peer group, or
 * becomes a slave of one, by a bind from a member of it.
 */
static int check_mount_flags(struct image *img, const struct ckpt_mount *m)
{
	uint32_t flags = LE32(m->flags), prop = LE16(m->propagation);
	uint32_t group = LE32(m->peer_group), master = LE32(m->master);
	uint32_t from = 0;
	bool joins;

	if (LE16(m->kind) == CKPT_MOUNT_BIND)
		from = img->mounts[LE32(m->source) - 1].peer_group;
	if (check_flags(img, flags, CKPT_MNT_FLAGS, "flags") ||
	    check_flags(img, prop, CKPT_MNT_PROPAGATION, "propagation"))
		return -1;
	if ((flags & CKPT_MNT_NOATIME) && (flags & CKPT_MNT_RELATIME))
		return image_fail(img, "flags 0x%x: both NOATIME and RELATIME", flags);
	if ((prop & CKPT_MNT_SHARED) && (prop & CKPT_MNT_UNBINDABLE))
		return image_fail(img, "propagation 0x%x: both SHARED and UNBINDABLE", prop);
	if ((prop & CKPT_MNT_SHARED) && !group)
		return image_fail(img, "propagation 0x%x is SHARED, but peer_group is 0", prop);
	if (!(prop & CKPT_MNT_SHARED) && group)
		return image_fail(img, "peer_group %u, but propagation 0x%x is not SHARED",
				  group, prop);
	if (!(prop & CKPT_MNT_SLAVE) && master)
		return image_fail(img, "master %u, but propagation 0x%x is not SLAVE",
				  master, prop);
	/* Peer groups are numbered from 1: at most one per mount */
	if (group > img->nr_mounts || master > img->nr_mounts)
		return image_fail(img, "peer_group %u or master %u is more than nr_mounts %u",
				  group, master, img->nr_mounts);
	if (master && master == group)
		return image_fail(img, "master %u is its own peer group", master);
	joins = group && mount_group_seen(img, group);
	if (joins && from != group)
		return image_fail(img,
				  "peer_group %u is an earlier MOUNT's, but it is not a bind of a member",
				  group);
	if (master && !joins && (!mount_group_seen(img, master) || from != master))
		return image_fail(img,
				  "master %u is not the peer group of the MOUNT it is a bind of",
				  master);
	return 0;
}

/* An absolute path without a ".." component, as restart takes it */
static bool mount_path_ok(const char *path)
{
	const char *c;

	if (path[0] != '/')
		return false;
	for (c = path; (c = strstr(c, "/..")); c += 3)
		if (c[3] == '/' || !c[3])
			return false;
	return true;
}

/*
 * The strings: each length in range, all of them within the record, each
 * NUL-terminated at its end and nowhere before.
 */
static int check_mount_strings(struct image *img, const struct ckpt_mount *m,
			       uint32_t len, const char **str)
{
	const uint32_t n[NR_MNT_STRINGS] = {
		[MNT_MOUNTPOINT] = LE16(m->mountpoint_len),
		[MNT_ROOT] = LE16(m->root_len),
		[MNT_SOURCE] = LE16(m->source_len),
		[MNT_OPTIONS] = LE16(m->options_len),
	};
	const char *s = (const char *)(m + 1);
	uint64_t total = 0;
	uint32_t i;

	for (i = 0; i < NR_MNT_STRINGS; i++) {
		if (n[i] < mount_strings[i].min || n[i] > mount_strings[i].max)
			return image_fail(img, "%s_len %u is out of range %u..%u",
					  mount_strings[i].name, n[i],
					  mount_strings[i].min, mount_strings[i].max);
		total += n[i];
	}
	if (check_var_len(img, m, len, total))
		return -1;
	for (i = 0; i < NR_MNT_STRINGS; s += n[i], i++) {
		if (strnlen(s, n[i]) != n[i] - 1)
			return image_fail(img, "%s is not a NUL-terminated string of %u bytes",
					  mount_strings[i].name, n[i]);
		str[i] = s;
	}
	if (!mount_path_ok(str[MNT_MOUNTPOINT]))
		return image_fail(img, "mountpoint is not an absolute path without \"..\"");
	if (!mount_path_ok(str[MNT_ROOT]))
		return image_fail(img, "root is not an absolute path without \"..\"");
	return 0;
}

static int check_mount_fstype(struct image *img, const struct ckpt_mount *m)
{
	size_t i;

	if (check_padded_string(img, m->fstype, sizeof(m->fstype), "fstype"))
		return -1;
	if (LE16(m->kind) != CKPT_MOUNT_NEW)
		return 0;
	for (i = 0; i < ARRAY_SIZE(mount_new_fstypes); i++)
		if (!strcmp(m->fstype, mount_new_fstypes[i]))
			return 0;
	return image_fail(img, "fstype \"%s\" of a NEW mount is not one restart mounts anew",
			  m->fstype);
}

/*
 * Its mount point from the root of the namespace: the parent's, then its
 * own from the parent's root (the kernel's ckpt_mnt_where()).
 */
static int mount_path(struct image *img, uint32_t parent, const char *mp)
{
	const char *up = parent ? img->mounts[parent - 1].path : "/";
	size_t a = strcmp(up, "/") ? strlen(up) : 0, b = strlen(mp);
	char *path;

	if (!strcmp(mp, "/")) {
		a = strlen(up);
		b = 0;
	}
	if (a + b >= CKPT_PATH_MAX)
		return image_fail(img, "its mount point in the namespace is longer than %u bytes",
				  CKPT_PATH_MAX - 1);
	path = malloc(a + b + 1);
	if (!path)
		return image_fail(img, "out of memory");
	memcpy(path, up, a);
	memcpy(path + a, mp, b);
	path[a + b] = 0;
	img->mounts[img->mounts_done].path = path;
	return 0;
}

/* The checks of the kernel's ckpt_mnt_strings() and ckpt_mnt_rec_bad() */
int accept_MOUNT(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_mount *m = p;
	const char *str[NR_MNT_STRINGS];

	if (check_mount_tree(img, m) ||
	    check_zero(img, &m->__pad, sizeof(m->__pad), "__pad") ||
	    check_mount_fstype(img, m) || check_mount_flags(img, m) ||
	    check_mount_strings(img, m, len, str))
		return -1;
	if (!LE32(m->parent) && strcmp(str[MNT_MOUNTPOINT], "/"))
		return image_fail(img, "mountpoint of the root is not \"/\"");
	if (mount_path(img, LE32(m->parent), str[MNT_MOUNTPOINT]))
		return -1;
	img->mounts[img->mounts_done].peer_group = LE32(m->peer_group);
	/* Its contents come in a TMPFS after the namespaces */
	if (LE16(m->kind) == CKPT_MOUNT_NEW && !strcmp(m->fstype, "tmpfs")) {
		img->mounts[img->mounts_done].tmpfs = true;
		img->tmpfs_left++;
	}
	if (++img->mounts_done == img->nr_mounts)
		img->state = ST_IPC;
	return 0;
}

/* --- the contents of the new tmpfs mounts --- */

enum image_state image_after_namespaces(const struct image *img)
{
	return img->tmpfs_left ? ST_TMPFS : ST_TASK;
}

/* The kernel's ckpt_tmpfs_restart(): the next new tmpfs, in mount order */
int accept_TMPFS(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_tmpfs *t = p;
	uint32_t id = LE32(t->mount), next = img->tmpfs_next;

	/* ST_TMPFS: there is one */
	while (next < img->mounts_done && !img->mounts[next].tmpfs)
		next++;
	if (!id || id > img->mounts_done || !img->mounts[id - 1].tmpfs)
		return image_fail(img, "mount %u is not a MOUNT of kind NEW of a tmpfs", id);
	if (id != next + 1)
		return image_fail(img, "mount %u, but the next new tmpfs is mount %u",
				  id, next + 1);
	if (check_zero(img, &t->__pad, sizeof(t->__pad), "__pad"))
		return -1;
	img->tmpfs_next = id;
	img->tmpfs_left--;
	img->state = ST_TMPFS_ROOT;
	return 0;
}

#define TMPFS_PATH_RULE	"an absolute path without an empty, \".\" or \"..\" component"

/* "/" or "/a/b": no empty, "." or ".." component (the kernel's ckpt_tmpfs_path_ok()) */
static bool tmpfs_path_ok(const char *path)
{
	const char *c;
	size_t n;

	if (path[0] != '/')
		return false;
	if (!path[1])
		return true;
	for (c = path + 1; ; c += n + 1) {
		n = strcspn(c, "/");
		if (!n || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!c[n])
			return true;
	}
}

/*
 * The path and the target after the fixed part: lengths within the
 * record, each NUL-terminated at its end, the path of a node in its
 * place (the root first, and only first).
 */
static int check_tmpfs_strings(struct image *img, const struct ckpt_tmpfs_node *n,
			       uint32_t len, bool first)
{
	uint32_t plen = LE16(n->path_len), tlen = LE16(n->target_len);
	const char *path = (const char *)(n + 1), *target = path + plen;

	if (plen < 2 || plen > CKPT_PATH_MAX)
		return image_fail(img, "path_len %u is out of range 2..%u", plen, CKPT_PATH_MAX);
	if (tlen > CKPT_PATH_MAX)
		return image_fail(img, "target_len %u is above %u", tlen, CKPT_PATH_MAX);
	if (check_var_len(img, n, len, plen + tlen) ||
	    check_zero(img, n->__pad, sizeof(n->__pad), "__pad"))
		return -1;
	if (strnlen(path, plen) != plen - 1)
		return image_fail(img, "path is not a NUL-terminated string of %u bytes", plen);
	if (tlen && strnlen(target, tlen) != tlen - 1)
		return image_fail(img, "target is not a NUL-terminated string of %u bytes", tlen);
	if (!tmpfs_path_ok(path))
		return image_fail(img, "path is not %s", TMPFS_PATH_RULE);
	if (first && strcmp(path, "/"))
		return image_fail(img, "path is not \"/\": the first node is the root");
	if (!first && !strcmp(path, "/"))
		return image_fail(img, "path \"/\", but only the first node is the root");
	return 0;
}

static bool tmpfs_type_ok(uint32_t type)
{
	return type == S_IFDIR_LINUX || type == S_IFREG_LINUX || type == S_IFLNK_LINUX ||
	       type == S_IFIFO_LINUX || type == S_IFCHR_LINUX || type == S_IFBLK_LINUX;
}

/* What a node of its type has: the checks of the kernel's ckpt_tmpfs_node_bad() */
static int check_tmpfs_node(struct image *img, const struct ckpt_tmpfs_node *n, bool first)
{
	uint32_t mode = LE32(n->mode), type = mode & S_IFMT_LINUX, link = LE32(n->link);
	uint32_t tlen = LE16(n->target_len);
	uint64_t size = LE64(n->size);
	const char *target = (const char *)(n + 1) + LE16(n->path_len);

	if (mode & ~(S_IFMT_LINUX | S_IALLUGO_LINUX))
		return image_fail(img, "mode 0%o has unknown bits 0%o",
				  mode, mode & ~(S_IFMT_LINUX | S_IALLUGO_LINUX));
	if (!tmpfs_type_ok(type))
		return image_fail(img,
				  "mode 0%o: not a directory, regular file, symlink, FIFO or device",
				  mode);
	if (first && (type != S_IFDIR_LINUX || link))
		return image_fail(img, "mode 0%o, link %u: the root of a tmpfs is a directory",
				  mode, link);
	if (link > 1)
		return image_fail(img, "link %u is not 0 or 1", link);
	if (link && type == S_IFDIR_LINUX)
		return image_fail(img, "link 1, but a directory has no other name");
	if (link && !tlen)
		return image_fail(img, "link 1, but target_len is 0");
	if (!link && type == S_IFLNK_LINUX && !tlen)
		return image_fail(img, "a symbolic link, but target_len is 0");
	if (!link && type != S_IFLNK_LINUX && tlen)
		return image_fail(img, "target_len %u, but it is neither a link nor a symlink",
				  tlen);
	if (size && (type != S_IFREG_LINUX || link))
		return image_fail(img, "size %llu, but it is not a regular file or it is a link",
				  (unsigned long long)size);
	if (size > INT64_MAX)
		return image_fail(img, "size %llu is out of range", (unsigned long long)size);
	if (LE32(n->rdev) && type != S_IFCHR_LINUX && type != S_IFBLK_LINUX)
		return image_fail(img, "rdev 0x%x, but it is not a device", LE32(n->rdev));
	if (LE32(n->atime_nsec) >= NSEC_PER_SEC)
		return image_fail(img, "atime_nsec %u is out of range", LE32(n->atime_nsec));
	if (LE32(n->mtime_nsec) >= NSEC_PER_SEC)
		return image_fail(img, "mtime_nsec %u is out of range", LE32(n->mtime_nsec));
	if (link && !tmpfs_path_ok(target))
		return image_fail(img, "target is not %s", TMPFS_PATH_RULE);
	/* The one node known to be a directory */
	if (link && !strcmp(target, "/"))
		return image_fail(img, "link 1 to \"/\": the root is a directory");
	return 0;
}

int accept_TMPFS_NODE(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_tmpfs_node *n = p;
	bool first = img->state == ST_TMPFS_ROOT;

	if (check_tmpfs_strings(img, n, len, first) || check_tmpfs_node(img, n, first))
		return -1;
	/* A regular file's contents follow, within its size; then, but for a link, its xattrs */
	if ((LE32(n->mode) & S_IFMT_LINUX) == S_IFREG_LINUX && !LE32(n->link)) {
		img->data_of = CKPT_REC_TMPFS_NODE;
		img->data_next = 0;
		img->data_end = LE64(n->size);
	}
	img->tmpfs_xattrs = !LE32(n->link);
	img->xattrs_type = LE32(n->mode) & S_IFMT_LINUX;
	img->state = ST_TMPFS_NODE;
	return 0;
}

#define XATTR_NAME_MAX_LINUX	255
#define XATTR_SIZE_MAX_LINUX	65536

int image_acl_xattr(const char *name)
{
	if (!strcmp(name, ACL_XATTR_ACCESS))
		return 1;
	if (!strcmp(name, ACL_XATTR_DEFAULT))
		return 2;
	return 0;
}

struct acl_entry_linux image_acl_entry(const void *v, uint32_t i)
{
	const unsigned char *at = (const unsigned char *)v + ACL_XATTR_HDR_SIZE +
				  (size_t)i * ACL_XATTR_ENTRY_SIZE;
	struct acl_entry_linux e;
	uint16_t tag, perm;
	uint32_t id;

	/* The value follows the name: it may be unaligned */
	memcpy(&tag, at, sizeof(tag));
	memcpy(&perm, at + 2, sizeof(perm));
	memcpy(&id, at + 4, sizeof(id));
	e.tag = LE16(tag);
	e.perm = LE16(perm);
	e.id = LE32(id);
	return e;
}

const char *image_acl_entry_str(const struct acl_entry_linux *e, char *buf, size_t size)
{
	static const struct {
		uint16_t tag;
		const char *name;
	} tags[] = {
		{ ACL_USER_OBJ_LINUX, "user" }, { ACL_USER_LINUX, "user" },
		{ ACL_GROUP_OBJ_LINUX, "group" }, { ACL_GROUP_LINUX, "group" },
		{ ACL_MASK_LINUX, "mask" }, { ACL_OTHER_LINUX, "other" },
	};
	const char *name = NULL;
	char perms[4] = "---";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tags); i++)
		if (tags[i].tag == e->tag)
			name = tags[i].name;
	if (!name) {
		snprintf(buf, size, "tag 0x%x perm 0x%x id %u", e->tag, e->perm, e->id);
		return buf;
	}
	if (e->perm & 4)
		perms[0] = 'r';
	if (e->perm & 2)
		perms[1] = 'w';
	if (e->perm & 1)
		perms[2] = 'x';
	if (e->perm & ~ACL_PERMS_LINUX)
		snprintf(perms, sizeof(perms), "?");
	if (e->tag == ACL_USER_LINUX || e->tag == ACL_GROUP_LINUX)
		snprintf(buf, size, "%s:%u:%s", name, e->id, perms);
	else
		snprintf(buf, size, "%s::%s", name, perms);
	return buf;
}

/* Where posix_acl_valid() is in the order of the entries */
enum acl_state {
	ACL_WANT_USER_OBJ,	/* nothing yet */
	ACL_WANT_USER,		/* after user::, named users */
	ACL_WANT_GROUP,		/* after group::, named groups */
	ACL_WANT_OTHER,		/* after mask:: */
	ACL_DONE,		/* after other:: */
};

/* Where an entry with tag takes the order from state, or -1 if it cannot come there */
static int acl_next(enum acl_state state, uint16_t tag, bool needs_mask)
{
	switch (tag) {
	case ACL_USER_OBJ_LINUX:
		return state == ACL_WANT_USER_OBJ ? ACL_WANT_USER : -1;
	case ACL_USER_LINUX:
		return state == ACL_WANT_USER ? ACL_WANT_USER : -1;
	case ACL_GROUP_OBJ_LINUX:
		return state == ACL_WANT_USER ? ACL_WANT_GROUP : -1;
	case ACL_GROUP_LINUX:
		return state == ACL_WANT_GROUP ? ACL_WANT_GROUP : -1;
	case ACL_MASK_LINUX:
		return state == ACL_WANT_GROUP ? ACL_WANT_OTHER : -1;
	case ACL_OTHER_LINUX:
		return state == ACL_WANT_OTHER ||
		       (state == ACL_WANT_GROUP && !needs_mask) ? ACL_DONE : -1;
	}
	return -1;
}

/*
 * A POSIX ACL, as restart gives it to set_acl: the checks of the kernel's
 * posix_acl_from_xattr(), posix_acl_valid() (but for the ids' mappings in
 * the user namespace of the tmpfs) and set_posix_acl()
 */
static int check_acl_xattr(struct image *img, const char *name, const void *v,
			   uint32_t vlen)
{
	uint32_t version, count, i;
	enum acl_state state = ACL_WANT_USER_OBJ;
	bool needs_mask = false;
	struct acl_entry_linux e;
	char buf[64];
	int next;

	if (img->xattrs_type == S_IFLNK_LINUX)
		return image_fail(img, "%s on a symbolic link, which has no POSIX ACL", name);
	if (image_acl_xattr(name) == 2 && img->xattrs_type != S_IFDIR_LINUX)
		return image_fail(img, "%s on a %s: only a directory has a default ACL", name,
				  img->xattrs_type == S_IFREG_LINUX ? "regular file" :
				  img->xattrs_type == S_IFIFO_LINUX ? "FIFO" : "device");
	if (vlen < ACL_XATTR_HDR_SIZE || (vlen - ACL_XATTR_HDR_SIZE) % ACL_XATTR_ENTRY_SIZE)
		return image_fail(img, "%s: value_len %u is not %u + %u * the number of entries",
				  name, vlen, ACL_XATTR_HDR_SIZE, ACL_XATTR_ENTRY_SIZE);
	memcpy(&version, v, sizeof(version));
	if (LE32(version) != ACL_XATTR_VERSION_LINUX)
		return image_fail(img, "%s: a_version %u, expected %u",
				  name, LE32(version), ACL_XATTR_VERSION_LINUX);
	count = (vlen - ACL_XATTR_HDR_SIZE) / ACL_XATTR_ENTRY_SIZE;
	if (!count)
		return image_fail(img, "%s: no entries, not even user::, group:: and other::",
				  name);
	/* posix_acl_from_xattr(): the tags, and the ids of named entries */
	for (i = 0; i < count; i++) {
		e = image_acl_entry(v, i);
		if (e.tag != ACL_USER_OBJ_LINUX && e.tag != ACL_USER_LINUX &&
		    e.tag != ACL_GROUP_OBJ_LINUX && e.tag != ACL_GROUP_LINUX &&
		    e.tag != ACL_MASK_LINUX && e.tag != ACL_OTHER_LINUX)
			return image_fail(img, "%s: entry[%u]: e_tag 0x%x is unknown",
					  name, i, e.tag);
		if ((e.tag == ACL_USER_LINUX || e.tag == ACL_GROUP_LINUX) && e.id == INVALID_ID)
			return image_fail(img,
					  "%s: entry[%u]: e_id -1, which no user namespace maps",
					  name, i);
	}
	/* posix_acl_valid(): the permissions and the order */
	for (i = 0; i < count; i++) {
		e = image_acl_entry(v, i);
		if (e.perm & ~ACL_PERMS_LINUX)
			return image_fail(img, "%s: entry[%u]: e_perm 0x%x has bits beyond rwx",
					  name, i, e.perm);
		next = acl_next(state, e.tag, needs_mask);
		image_acl_entry_str(&e, buf, sizeof(buf));
		if (next < 0 && state == ACL_WANT_USER_OBJ)
			return image_fail(img, "%s: entry[%u]: %s, but the first entry is user::",
					  name, i, buf);
		if (next < 0 && state == ACL_WANT_USER && e.tag != ACL_USER_OBJ_LINUX)
			return image_fail(img, "%s: entry[%u]: %s without a group:: before it",
					  name, i, buf);
		if (next < 0 && state == ACL_WANT_GROUP && e.tag == ACL_OTHER_LINUX)
			return image_fail(img,
					  "%s: entry[%u]: %s, but named users or groups need a mask:: before it",
					  name, i, buf);
		if (next < 0)
			return image_fail(img, "%s: entry[%u]: %s is repeated or out of order",
					  name, i, buf);
		if (e.tag == ACL_USER_LINUX || e.tag == ACL_GROUP_LINUX)
			needs_mask = true;
		state = next;
	}
	if (state != ACL_DONE)
		return image_fail(img, "%s: the entries end without other::", name);
	return 0;
}

/* The checks of the kernel's ckpt_tmpfs_load_xattrs() */
int accept_TMPFS_XATTR(struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_tmpfs_xattr *x = p;
	uint32_t nlen = LE16(x->name_len), vlen = LE32(x->value_len);
	const char *name = (const char *)(x + 1);

	if (!img->tmpfs_xattrs)
		return image_fail(img, "record out of order: after a TMPFS_NODE that is a link");
	if (nlen < 2 || nlen > XATTR_NAME_MAX_LINUX + 1)
		return image_fail(img, "name_len %u is out of range 2..%u",
				  nlen, XATTR_NAME_MAX_LINUX + 1);
	if (vlen > XATTR_SIZE_MAX_LINUX)
		return image_fail(img, "value_len %u is above %u", vlen, XATTR_SIZE_MAX_LINUX);
	if (check_var_len(img, p, len, nlen + vlen) ||
	    check_zero(img, &x->__pad, sizeof(x->__pad), "__pad"))
		return -1;
	if (strnlen(name, nlen) != nlen - 1)
		return image_fail(img, "name is not a NUL-terminated string of %u bytes", nlen);
	if (image_acl_xattr(name))
		return check_acl_xattr(img, name, name + nlen, vlen);
	return 0;
}
