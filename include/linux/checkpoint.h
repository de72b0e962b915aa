/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * In-kernel checkpoint/restart: the interface between the core in
 * kernel/checkpoint/ and the per-subsystem back ends (mm, fs, arch).
 *
 * The core owns the image stream, the object hash, the log and the task
 * lifecycle (freeze, create, release).  A back end saves and restores one
 * kind of object and knows nothing about the stream beyond the record
 * helpers declared here.
 */
#ifndef _LINUX_CHECKPOINT_H
#define _LINUX_CHECKPOINT_H

#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <uapi/linux/checkpoint.h>

struct file;
struct page;
struct cred;
struct ckpt_obj;
struct ckpt_resume;
struct vm_area_struct;
struct user_namespace;

/* Object kinds, generated from checkpoint_types.h */
enum ckpt_obj_kind {
#define CKPT_OBJ(name) CKPT_OBJ_##name,
#include <linux/checkpoint_types.h>
#undef CKPT_OBJ
	CKPT_OBJ_NR,
};

/* Namespace kinds, generated from checkpoint_nstypes.h */
enum ckpt_ns_kind {
#define CKPT_NS(name) CKPT_NS_##name,
#include <linux/checkpoint_nstypes.h>
#undef CKPT_NS
	CKPT_NS_NR,
};

/* What becomes of the tasks when a checkpoint lets them go */
enum ckpt_thaw {
	CKPT_THAW_GO,		/* they go on (also after a failed checkpoint) */
	CKPT_THAW_STOP,		/* CHECKPOINT_STOP: they stay stopped */
	CKPT_THAW_KILL,		/* CHECKPOINT_KILL: they die */
};

/**
 * struct ckpt_rtask - a task being restored
 * @ctx: the restart context
 * @pid: pid to create the task with (in the caller's pid namespace)
 * @tgid: thread group id from the image
 * @ppid: parent pid from the image, 0 for the root
 * @flags: CKPT_TREE_* flags of its TREE entry
 * @pgid: process group from the image, 0 for the caller's
 * @sid: session from the image, 0 for the caller's
 * @exit_code: a zombie's wait status
 * @task: the new task, once it exists (a reference is held)
 * @done: completed by the task when it has read its part of the image
 * @released: completed by the task when it no longer uses @ctx
 * @result: 0 or the error the task hit while reading
 * @go: set by the coordinator: 1 to resume, -1 to abort
 * @wq: where the task waits for @go
 * @exit_signal: exit signal to give the task when it is released
 * @ctty_ref: PTY object of its controlling terminal, 0 if none of the image
 * @ctty_pgrp: that terminal's foreground process group, if it leads the session
 * @arch: architecture CPU state, applied by the coordinator
 * @resume: state the task needs after the coordinator lets it go
 * @task_rec: its TASK record, while the task reads its sections
 * @end: a process: the index in TREE after its threads and descendants
 * @parent: the task that created it, NULL for the root
 * @cpus: while it creates its threads and children, pinned to @pin_cpu:
 *	the CPUs it may run on otherwise, which they get back first; else NULL
 * @pin_cpu: that CPU
 * @cgroup: a process of a cgroup namespace the image has: the id of the
 *	CGROUP it moves itself into before it reads its records; else 0
 */
struct ckpt_rtask {
	struct ckpt_ctx *ctx;
	pid_t pid, tgid, ppid;
	u32 flags;
	pid_t pgid, sid;
	int exit_code;
	struct task_struct *task;
	struct completion done;
	struct completion released;
	int result;
	int go;
	wait_queue_head_t wq;
	int exit_signal;
	u32 ctty_ref;
	pid_t ctty_pgrp;
	void *arch;
	struct ckpt_resume *resume;
	const struct ckpt_task *task_rec;
	u32 end;
	struct ckpt_rtask *parent;
	struct cpumask *cpus;
	int pin_cpu;
	u32 cgroup;
};

/**
 * struct ckpt_ctx - one checkpoint(2) or restart(2) in progress
 * @file: the image
 * @ppos: position in @file, or NULL for a stream (pipe, socket)
 * @pos: backing store of @ppos
 * @logfile: where the human-readable account goes, or NULL
 * @log_lock: serialises writes to @logfile, which tasks being restored
 *	share with the caller
 * @flags: the syscall's flags
 * @restart: true for restart(2)
 * @err: first error recorded with ckpt_err()
 * @crc: running crc32c of the stream so far
 * @hdr_crc: restart: @crc before the last record header read
 * @size: bytes of the stream so far
 * @nr_records: records of the stream so far
 * @rec_type: restart: type of the record being read
 * @rec_left: restart: payload bytes of that record not read yet
 * @rec_start: restart: stream offset of that record's header
 * @peeked: restart: a header was read by ckpt_peek_rec() and not consumed
 * @peek_hdr: that header
 * @wbuf: checkpoint: buffer for small records
 * @wlen: bytes in @wbuf
 * @bvec: bio_vec array for page I/O, CKPT_PAGES_MAX entries
 * @objs: object hash: objref -> struct ckpt_obj
 * @objs_by_ptr: checkpoint: object pointer -> struct ckpt_obj
 * @objs_by_key: checkpoint: other pointers that stand for saved objects
 * @next_objref: next object id to hand out (checkpoint) or expect (restart)
 * @nr_objs: restart: objects of each kind restored so far
 * @tasks: checkpoint: the frozen tasks (struct ckpt_frozen)
 * @nr_tasks: number of tasks in the tree
 * @root_pid: the pid checkpoint(2) was called for
 * @root: checkpoint: the leader of its process
 * @pidns: checkpoint: pid namespace whose ids the image holds (the root's)
 * @container: checkpoint: container mode, the root is @pidns's init
 * @tree_pids: checkpoint: pid in @pidns -> struct ckpt_frozen, every task;
 *	restart: pid of the image -> struct ckpt_rtask
 * @root_vpid: restart: pid of the restored root in the caller's namespace
 * @fs_roots: restart: fs objref -> struct path, the chroots to enter
 * @nsproxy: checkpoint: the namespaces every task of the tree is in
 * @ns_own: CKPT_NS_* bits: the image has the tasks' own namespace of the
 *	kind (ckpt_ns_own())
 * @ns_data: restart: what each namespace's back end read for @ns_own ones
 * @user_ns: checkpoint: the tasks' user namespace, when not the caller's
 * @image_root: checkpoint: the directory paths in the image start from, if
 *	not the caller's root (CHECKPOINT_ROOT_RELATIVE)
 * @rtasks: restart: the tasks being restored, @nr_tasks of them
 * @caller: restart: the task that called restart(2)
 * @caller_cred: restart: its credentials, the bound for restored ones
 * @fd_hint: checkpoint: the fd through which a file is being reached
 * @ext: restart: what the caller gave with RESTART_EXTERNAL, @nr_ext of
 *	them (ckpt_external()), and the files they name (@ext_files)
 * @ext_given: restart: the externals whose file in @ext_files replaces
 *	the caller's descriptor once the restart succeeds
 *	(ckpt_external_give())
 * @deferred: restart: work that waits for every task to exist
 *	(ckpt_defer()), in the order it was deferred
 * @arch: restart: the architecture back end's state (the image's vDSO),
 *	freed by ckpt_arch_ctx_free()
 * @hdr: the image header
 */
/**
 * struct ckpt_stats - figures of the log's "stats:" line, for ckpt --stats
 * @memory_ns: time spent saving or restoring address spaces
 * @pages_scanned: checkpoint: mapped pages found in private mappings
 * @pages_written: pages whose contents went to or came from the image
 * @pages_cow: pages referred to by PAGES_COW records
 * @pages_parent: checkpoint: pages referred to by PAGES_PARENT records
 * @pages_skipped: checkpoint: mapped pages not saved (zero page, clean
 *	file pages)
 * @pages_cow_copied: restart: PAGES_COW pages that could only be copied
 */
struct ckpt_stats {
	u64 memory_ns;
	u64 pages_scanned;
	u64 pages_written;
	u64 pages_cow;
	u64 pages_parent;
	u64 pages_skipped;
	u64 pages_cow_copied;
};

struct ckpt_ctx {
	struct file *file;
	loff_t *ppos;			/* &file->f_pos, NULL for a stream */
	struct file *logfile;
	struct mutex log_lock;		/* see above */
	unsigned long flags;
	bool restart;
	bool pages_crc;			/* PAGES_CRC after PAGES (CHECKPOINT_LAZY) */
	int err;

	u32 crc;
	u32 hdr_crc;
	u64 size;
	u32 nr_records;

	u32 rec_type;
	u32 rec_left;
	u64 rec_start;
	bool peeked;
	struct ckpt_rec_hdr peek_hdr;

	void *wbuf;
	size_t wlen;
	struct bio_vec *bvec;

	struct xarray objs;
	struct hlist_head *objs_by_ptr;
	struct hlist_head *objs_by_key;
	u32 next_objref;
	unsigned int nr_objs[CKPT_OBJ_NR];

	struct list_head tasks;
	unsigned int nr_tasks;
	pid_t killed;			/* checkpoint: the first task that began to exit */
	pid_t root_pid;
	struct task_struct *root;
	struct pid_namespace *pidns;
	bool container;
	struct xarray tree_pids;
	pid_t root_vpid;
	struct xarray fs_roots;
	struct nsproxy *nsproxy;
	unsigned long ns_own;
	void *ns_data[CKPT_NS_NR];
	struct user_namespace *user_ns;
	struct path image_root;
	struct ckpt_rtask *rtasks;

	struct task_struct *caller;
	const struct cred *caller_cred;
	int fd_hint;
	u32 version;			/* of the image's format */
	char *file_path;		/* the last FILE path, which the next shares */
	u32 file_path_len;		/* its length with the NUL, or 0 */
	struct ckpt_external *ext;
	struct file **ext_files;
	u32 nr_ext;
	DECLARE_BITMAP(ext_given, CKPT_EXTERNAL_MAX);
	struct list_head deferred;
	struct xarray cow_pages;	/* mm/checkpoint.c: pfn -> first user */
	u64 chain_id;			/* checkpoint: CHAIN.id, or 0 */
	u64 chain_parent;		/* checkpoint: CHAIN.parent */
	struct ckpt_predump *predump;	/* mm/checkpoint.c: held pages */
	struct ckpt_stats stats;
	void *arch;

	struct ckpt_image_header hdr;
};

/**
 * struct ckpt_deferred - restart work that needs every task of the image
 * @list: in ckpt_ctx.deferred
 * @run: called by the coordinator once every task has read its records,
 *	after the objects' finish and the process groups, before the
 *	controlling terminals; returns 0 or an error, already logged
 * @free: frees the entry, whether it ran or not
 *
 * A record read by one task may name another that is created later (the
 * owner of an O_ASYNC file, a file under /proc/PID): its back end embeds
 * this in what it keeps and queues it with ckpt_defer().
 */
struct ckpt_deferred {
	struct list_head list;
	int (*run)(struct ckpt_ctx *ctx, struct ckpt_deferred *d);
	void (*free)(struct ckpt_deferred *d);
};

/**
 * struct ckpt_obj_ops - a kind of shareable kernel object
 * @name: name used in the log
 * @rec: type of the record that defines an object of this kind
 * @checkpoint: write the records defining @ptr, whose id is @objref
 * @restart: read the records defining an object (the defining record's
 *	header has been checked already), rebuild it in the context of the
 *	task being restored and return it with a reference for the hash,
 *	and its id in @objref; ERR_PTR on failure
 * @grab: take a reference on @ptr for the object hash
 * @drop: drop that reference
 * @abort: optional, restart only: undo what @restart made outside the
 *	restored tasks (a SysV segment), when the restart fails; called
 *	before @drop
 * @task_obj: optional, checkpoint: the object of this kind a frozen task
 *	uses; the tasks of the tree must be all of its users
 * @nr_users: with @task_obj: the kernel's count of an object's users
 * @what: with @task_obj: what such an object is, in the log
 * @leak: optional, checkpoint of a container: fail (logged) if a saved
 *	object, which the saved tasks name @users times, is also used from
 *	outside the tree (CHECKPOINT_SHARED_OK skips the check)
 * @check: optional, checkpoint: once every task is saved, fail (logged)
 *	if the image would not restore the object as it is (an end of a
 *	connection whose other end was never saved)
 * @finish: optional, restart: once every task has read its records,
 *	complete the object or fail (logged) if the image left it unfinished
 * @thaw: optional, checkpoint: the tasks are about to go on, stay
 *	stopped or be killed, as @how says; undo what @checkpoint did to
 *	hold the object still, keep holding it while the tasks are stopped,
 *	or keep the object from being seen to go (a TCP connection closes
 *	without a reset)
 */
struct ckpt_obj_ops {
	const char *name;
	enum ckpt_rec_type rec;
	int (*checkpoint)(struct ckpt_ctx *ctx, void *ptr, u32 objref);
	void *(*restart)(struct ckpt_ctx *ctx, u32 *objref);
	void (*grab)(void *ptr);
	void (*drop)(void *ptr);
	void (*abort)(void *ptr);
	void *(*task_obj)(struct task_struct *t);
	long (*nr_users)(void *ptr);
	const char *what;
	int (*leak)(struct ckpt_ctx *ctx, void *ptr, u32 objref, u32 users);
	int (*check)(struct ckpt_ctx *ctx, void *ptr, u32 objref, u32 users);
	int (*finish)(struct ckpt_ctx *ctx, void *ptr, u32 objref);
	void (*thaw)(struct ckpt_ctx *ctx, void *ptr, u32 objref, enum ckpt_thaw how);
};

/* The back ends, one per line of checkpoint_types.h */
extern const struct ckpt_obj_ops ckpt_obj_cred_ops;
extern const struct ckpt_obj_ops ckpt_obj_file_ops;
extern const struct ckpt_obj_ops ckpt_obj_pipe_ops;
extern const struct ckpt_obj_ops ckpt_obj_mm_ops;
extern const struct ckpt_obj_ops ckpt_obj_files_ops;
extern const struct ckpt_obj_ops ckpt_obj_fs_ops;
extern const struct ckpt_obj_ops ckpt_obj_sighand_ops;
extern const struct ckpt_obj_ops ckpt_obj_seccomp_ops;
extern const struct ckpt_obj_ops ckpt_obj_pty_ops;
extern const struct ckpt_obj_ops ckpt_obj_shmem_ops;
extern const struct ckpt_obj_ops ckpt_obj_sysv_shm_ops;

/**
 * struct ckpt_file_ops - a kind of open file (struct ckpt_file.kind)
 * @follows: the record that always follows its FILE record, 0 if none
 * @f_flags: the O_* flags its FILE record may have
 * @props: CKPT_FOPS_* properties of its FILE record
 * @match: whether @file is of this kind; no two kinds match one file
 * @checkpoint: write the FILE record of @file, whose id is @objref, and
 *	the records of the kind; the objects it names come before it
 * @restart: rebuild the file of @rec, whose common fields are checked
 *	against @f_flags and @props already; @path is its checked path, or
 *	NULL; ERR_PTR on failure (logged)
 * @check: optional, checkpoint: as struct ckpt_obj_ops.check, for a
 *	file of this kind
 * @finish: optional, restart: as struct ckpt_obj_ops.finish
 * @thaw: optional, checkpoint: as struct ckpt_obj_ops.thaw
 *
 * Each kind of __CKPT_FILE_MAPPER() defines its entry with
 * CKPT_FILE_OPS(NAME) in the file of its subsystem; fs/checkpoint.c
 * finds it by kind.
 */
struct ckpt_file_ops {
	enum ckpt_rec_type follows;
	u32 f_flags;
	unsigned int props;
	bool (*match)(struct ckpt_ctx *ctx, struct file *file);
	int (*checkpoint)(struct ckpt_ctx *ctx, struct file *file, u32 objref);
	struct file *(*restart)(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
				const char *path);
	int (*check)(struct ckpt_ctx *ctx, struct file *file, u32 objref);
	int (*finish)(struct ckpt_ctx *ctx, struct file *file, u32 objref);
	void (*thaw)(struct ckpt_ctx *ctx, struct file *file, u32 objref, enum ckpt_thaw how);
};

/* struct ckpt_file_ops.props */
#define CKPT_FOPS_PATH		BIT(0)	/* the FILE record has a path */
#define CKPT_FOPS_PATH_OPT	BIT(1)	/* it may have one */
#define CKPT_FOPS_REF		BIT(2)	/* its obj_ref names an object */
#define CKPT_FOPS_REF_OPT	BIT(3)	/* it may name one */

/* The entry of file kind CKPT_FILE_@name */
#define CKPT_FILE_OPS(name) const struct ckpt_file_ops ckpt_file_ops_##name

/* The entries, one per kind of the mapper (the last name is never defined) */
#define __CKPT_FILE_OPS_NAME(name, ...) ckpt_file_ops_##name,
extern const struct ckpt_file_ops
	__CKPT_FILE_MAPPER(__CKPT_FILE_OPS_NAME)
	ckpt_file_ops_none;
#undef __CKPT_FILE_OPS_NAME

/**
 * struct ckpt_ns_ops - a kind of namespace the tasks may have of their own
 * @name: name used in the log
 * @rec: the (first) record of a namespace of this kind in the image
 * @clone_flag: the CLONE_NEW* flag the restored root is created with, if 0
 * @checkpoint: write the records of the tasks' namespace of this kind
 *	(@ctx->nsproxy) unless it is the caller's; return 1 if it wrote them,
 *	0 if the tasks use the caller's, or a negative error (logged)
 * @restart: optional: read the records, in the coordinator, before the
 *	root is created; keep what @enter needs in @data
 * @enter: optional: fill the new namespace, in the context of the root
 *	created in it, before the root reads its own records
 * @contents: optional: write records that @enter reads, after the records
 *	of every kind (those a coordinator cannot read ahead); the @enter of
 *	such a kind runs after the others'
 * @finish: optional: restart, in the coordinator once every task has read
 *	its records (asleep, not run yet): what needs all the tasks (the
 *	owners of POSIX message queue notifications)
 * @park: optional: when CHECKPOINT_KILL is about to kill the tasks after
 *	a complete image, quiet the namespace so that nothing outside sees
 *	them go (their network devices go down)
 * @free: optional: drop what @restart kept
 *
 * kernel/checkpoint/ns.c walks the list of checkpoint_nstypes.h in both
 * directions; a namespace of the tasks is written only after every task
 * was checked to be in it.
 */
struct ckpt_ns_ops {
	const char *name;
	enum ckpt_rec_type rec;
	u64 clone_flag;
	int (*checkpoint)(struct ckpt_ctx *ctx);
	int (*restart)(struct ckpt_ctx *ctx, void **data);
	int (*enter)(struct ckpt_ctx *ctx, void *data);
	int (*contents)(struct ckpt_ctx *ctx);
	int (*finish)(struct ckpt_ctx *ctx);
	void (*park)(struct ckpt_ctx *ctx);
	void (*free)(const void *data);
};

/* The back ends, one per line of checkpoint_nstypes.h (the last is none) */
#define CKPT_NS(name) ckpt_ns_##name##_ops,
extern const struct ckpt_ns_ops
#include <linux/checkpoint_nstypes.h>
	ckpt_ns_none_ops;
#undef CKPT_NS

/**
 * ckpt_ns_own() - whether the image has the tasks' own namespace of a kind
 * @ctx: checkpoint context once the namespaces are written, or restart
 *	context once they are read
 * @kind: the namespace kind
 *
 * Return: true if the tasks have a namespace of @kind of their own, which
 * restart recreates; false if they use the caller's.
 */
static inline bool ckpt_ns_own(const struct ckpt_ctx *ctx, enum ckpt_ns_kind kind)
{
	return test_bit(kind, &ctx->ns_own);
}

const struct ckpt_external *ckpt_external(struct ckpt_ctx *ctx, u32 kind, const char *key);
struct file *ckpt_external_file(struct ckpt_ctx *ctx, u32 kind, const char *key);
int ckpt_external_give(struct ckpt_ctx *ctx, const struct ckpt_external *e, struct file *file);
void ckpt_externals_hand_over(struct ckpt_ctx *ctx);
struct cred *ckpt_root_fsids_cred(void);
bool ckpt_name_ok(const char *name, u32 len);

/* The frozen tasks (kernel/checkpoint/checkpoint.c) */
typedef int (*ckpt_task_fn)(struct ckpt_ctx *ctx, struct task_struct *t,
			    pid_t pid, void *arg);
int ckpt_visit_live_tasks(struct ckpt_ctx *ctx, ckpt_task_fn fn, void *arg);

/* Namespaces (kernel/checkpoint/ns.c) */
ktime_t ckpt_clock_shifted(struct ckpt_ctx *ctx, clockid_t clockid, ktime_t t);
bool ckpt_tasks_own_ns(struct ckpt_ctx *ctx, struct user_namespace *owner);
const struct cred *ckpt_namespaces_root_cred(struct ckpt_ctx *ctx);
char *ckpt_mnt_path_name(struct ckpt_ctx *ctx, const struct path *path, char *buf);

/* Cgroups (kernel/cgroup/checkpoint.c) */
#ifdef CONFIG_CGROUPS
int ckpt_cgroup_attach(struct ckpt_ctx *ctx, struct ckpt_rtask *rt);
#else
static inline int ckpt_cgroup_attach(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	return 0;
}
#endif

/* Log and errors (kernel/checkpoint/log.c) */

__printf(2, 3) void ckpt_log(struct ckpt_ctx *ctx, const char *fmt, ...);
void ckpt_log_stats(struct ckpt_ctx *ctx);
__printf(3, 4) int ckpt_err(struct ckpt_ctx *ctx, int err, const char *fmt, ...);

/* Writing the image (kernel/checkpoint/image.c) */
int ckpt_write_rec(struct ckpt_ctx *ctx, enum ckpt_rec_type type,
		   const void *data, u32 len);
int ckpt_write_rec_var(struct ckpt_ctx *ctx, enum ckpt_rec_type type,
		       const void *data, u32 len,
		       const void *var, u32 var_len);
int ckpt_write_pages(struct ckpt_ctx *ctx, unsigned long addr,
		     struct page **pages, unsigned int nr);

/* Reading the image */
int ckpt_peek_rec(struct ckpt_ctx *ctx);
bool ckpt_padded_string(const char *s, size_t size);
int ckpt_read_rec(struct ckpt_ctx *ctx, enum ckpt_rec_type type,
		  void *buf, u32 len);
void *ckpt_read_rec_var(struct ckpt_ctx *ctx, enum ckpt_rec_type type,
			u32 fixed, u32 *len);
int ckpt_read_rec_hdr(struct ckpt_ctx *ctx, enum ckpt_rec_type type,
		      u32 *len);
int ckpt_read(struct ckpt_ctx *ctx, void *buf, u32 len);
int ckpt_read_pages(struct ckpt_ctx *ctx, struct page **pages,
		    unsigned int nr);
int ckpt_read_pages_crc(struct ckpt_ctx *ctx);

/* The contents of a PAGES record and the PAGES_CRC after it, passed over */
struct ckpt_pages_skip {
	loff_t pos;			/* of the contents in the image */
	u32 crc;			/* the PAGES_CRC */
	struct {
		struct ckpt_rec_hdr hdr;
		struct ckpt_pages_crc rec;
	} next;				/* the PAGES_CRC record, as read */
};

int ckpt_pages_skip_peek(struct ckpt_ctx *ctx, u32 nr, struct ckpt_pages_skip *skip);
void ckpt_pages_skip(struct ckpt_ctx *ctx, u32 nr, const struct ckpt_pages_skip *skip);
bool ckpt_pages_crc_ok(struct page **pages, unsigned int nr, u32 crc);
int ckpt_read_end(struct ckpt_ctx *ctx);
const char *ckpt_rec_name(u32 type);

/* Object hash (kernel/checkpoint/objhash.c) */
int ckpt_obj_checkpoint(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
			void *ptr, u32 *objref);
void *ckpt_obj_lookup(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
		      u32 objref);
int ckpt_obj_checkpoint_ahead(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
			      void *ptr, u32 *objref);
u32 ckpt_obj_id(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind, void *ptr);
int ckpt_obj_for_each(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
		      int (*fn)(struct ckpt_ctx *ctx, void *ptr, u32 objref, u32 users));
unsigned long *ckpt_obj_key_add(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
				const void *key, u32 objref);
unsigned long *ckpt_obj_key_find(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
				 const void *key, u32 *objref);
int ckpt_obj_restart_one(struct ckpt_ctx *ctx);
int ckpt_check_objref(struct ckpt_ctx *ctx, __le32 rec_objref, u32 *objref);

/* Helpers shared by back ends (kernel/checkpoint/util.c) */
void ckpt_defer(struct ckpt_ctx *ctx, struct ckpt_deferred *d);
int ckpt_run_deferred(struct ckpt_ctx *ctx);
void ckpt_free_deferred(struct ckpt_ctx *ctx);
struct ckpt_rtask *ckpt_rtask_of(struct ckpt_ctx *ctx, pid_t pid);
const struct cred *ckpt_rtask_cred(const struct ckpt_rtask *rt);
char *ckpt_path_name(struct ckpt_ctx *ctx, const struct path *path, char *buf);
bool ckpt_caller_capable(struct ckpt_ctx *ctx, struct user_namespace *ns, int cap);
void ckpt_obj_get_file(void *ptr);
void ckpt_obj_put_file(void *ptr);
char *ckpt_file_path(struct ckpt_ctx *ctx, struct file *file, char *buf,
		     u32 *len);
char *ckpt_read_path(struct ckpt_ctx *ctx, const char *what, const void *rec,
		     u32 fixed, u32 len, u32 path_len);

/* Architecture back end (arch/x86/checkpoint/) */
void ckpt_arch_fill_header(struct ckpt_image_header *hdr);
int ckpt_arch_check_header(struct ckpt_ctx *ctx,
			   const struct ckpt_image_header *hdr);
int ckpt_arch_check_task(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_arch_checkpoint_cpu(struct ckpt_ctx *ctx);
int ckpt_arch_restart_cpu(struct ckpt_ctx *ctx);
int ckpt_arch_checkpoint_thread(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_arch_restart_read(struct ckpt_ctx *ctx, struct ckpt_rtask *rt);
int ckpt_arch_restart_apply(struct ckpt_ctx *ctx, struct ckpt_rtask *rt);
void ckpt_arch_restart_free(struct ckpt_rtask *rt);
unsigned long ckpt_arch_syscall_ret(struct ckpt_rtask *rt);
void ckpt_arch_set_syscall_ret(struct ckpt_rtask *rt, unsigned long ret);
void ckpt_arch_ctx_free(struct ckpt_ctx *ctx);
int ckpt_arch_vma_special(struct vm_area_struct *vma);
u32 ckpt_arch_vdso_crc(void);
int ckpt_arch_map_vdso(struct ckpt_ctx *ctx, unsigned long vvar,
		       unsigned long vvar_len, unsigned long vdso,
		       unsigned long vdso_len, u32 crc);

/* Files (fs/checkpoint.c) */
struct path;
bool ckpt_fs_root(struct ckpt_ctx *ctx, u32 fs_ref, struct path *root);
int ckpt_install_files(struct ckpt_ctx *ctx, __le32 ref);
int ckpt_install_fs(struct ckpt_ctx *ctx, __le32 ref);
void ckpt_fs_roots_free(struct ckpt_ctx *ctx);
bool ckpt_file_flags_ok(struct file *file, u32 saved);

/* Pseudo-terminals (fs/checkpoint_tty.c) */
bool ckpt_pty_outside_ctty(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_pty_open_early(struct ckpt_ctx *ctx, const struct path *devpts, const char *name);
int ckpt_pty_checkpoint_ctty(struct ckpt_ctx *ctx, struct task_struct *t,
			     u32 *ref, pid_t *pgrp);
int ckpt_pty_restore_cttys(struct ckpt_ctx *ctx);

/* System V IPC (ipc/checkpoint*.c) */
#ifdef CONFIG_SYSVIPC
int ckpt_checkpoint_sem_undo(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restart_sem_undo(struct ckpt_ctx *ctx);
#else
static inline int ckpt_checkpoint_sem_undo(struct ckpt_ctx *ctx, struct task_struct *t)
{
	return 0;
}

static inline int ckpt_restart_sem_undo(struct ckpt_ctx *ctx)
{
	return 0;
}
#endif

/* Address spaces (mm/checkpoint.c) */
void ckpt_mm_fini(struct ckpt_ctx *ctx);
int ckpt_mm_write_chain(struct ckpt_ctx *ctx);
int ckpt_mm_read_chain(struct ckpt_ctx *ctx);
int ckpt_mm_track(struct ckpt_ctx *ctx);
int ckpt_mm_predump_hold(struct ckpt_ctx *ctx);
int ckpt_mm_predump_write(struct ckpt_ctx *ctx);

/* Shared memory without a path (mm/checkpoint_shmem.c) */
bool ckpt_file_is_memfd(struct file *file);
bool ckpt_vma_is_anon_shared(struct vm_area_struct *vma);
int ckpt_shmem_save(struct ckpt_ctx *ctx, struct inode *inode);
int ckpt_shmem_load(struct ckpt_ctx *ctx, struct inode *inode);

/* SysV shared memory (ipc/checkpoint_shm.c) */
struct ipc_namespace;
#ifdef CONFIG_SYSVIPC
bool ckpt_file_is_sysv_shm(struct file *file);
int ckpt_sysv_shm_vma(struct ckpt_ctx *ctx, struct file *file, unsigned long start,
		      unsigned long end, unsigned long pgoff, u32 *objref);
int ckpt_sysv_shm_attach(struct ckpt_ctx *ctx, void *seg, unsigned long start,
			 unsigned long end, u32 vflags);
int ckpt_checkpoint_shm_ns(struct ckpt_ctx *ctx, struct ipc_namespace *ns);
#else
static inline bool ckpt_file_is_sysv_shm(struct file *file)
{
	return false;
}

static inline int ckpt_sysv_shm_vma(struct ckpt_ctx *ctx, struct file *file,
				    unsigned long start, unsigned long end,
				    unsigned long pgoff, u32 *objref)
{
	return -EOPNOTSUPP;
}

static inline int ckpt_sysv_shm_attach(struct ckpt_ctx *ctx, void *seg,
				       unsigned long start, unsigned long end,
				       u32 vflags)
{
	return -EOPNOTSUPP;
}

static inline int ckpt_checkpoint_shm_ns(struct ckpt_ctx *ctx, struct ipc_namespace *ns)
{
	return 0;
}
#endif

/* Task state outside any object (kernel/checkpoint/task.c) */
int ckpt_checkpoint_task(struct ckpt_ctx *ctx, struct task_struct *t,
			 struct task_struct *live);
int ckpt_restart_task(struct ckpt_ctx *ctx, struct ckpt_rtask *rt);
int ckpt_restart_cputime_apply(struct ckpt_rtask *rt);
void ckpt_restart_resume(struct ckpt_resume *resume);
void ckpt_resume_free(struct ckpt_resume *resume);

#endif /* _LINUX_CHECKPOINT_H */
