/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading an image without the kernel: the state of `ckpt show` while it
 * walks the record stream, and the per-record-type handlers.
 *
 * show.c reads records and checks what every record shares (type,
 * length, place in the grammar) before any handler sees a byte of it;
 * records.c checks the fields of each type and moves the grammar on;
 * print.c prints them.
 */
#ifndef CKPT_IMAGE_H
#define CKPT_IMAGE_H

#include <endian.h>
#include <linux/checkpoint.h>

#include "ckpt.h"

#define LE16(x)		le16toh(x)
#define LE32(x)		le32toh(x)
#define LE64(x)		le64toh(x)

#define ALIGN8(x)	(((x) + 7) & ~(uint64_t)7)

/* The file types and permission bits of the Linux ABI, whatever the host's libc says */
#define S_IFMT_LINUX	0170000
#define S_IFLNK_LINUX	0120000
#define S_IFREG_LINUX	0100000
#define S_IFBLK_LINUX	0060000
#define S_IFDIR_LINUX	0040000
#define S_IFCHR_LINUX	0020000
#define S_IFIFO_LINUX	0010000
#define S_IALLUGO_LINUX	07777

/*
 * A POSIX ACL as the value of its extended attribute: the xattr format of
 * the kernel's posix_acl_xattr.h (a header, then entries) with the tags
 * and permissions of posix_acl.h
 */
#define ACL_XATTR_ACCESS	"system.posix_acl_access"
#define ACL_XATTR_DEFAULT	"system.posix_acl_default"
#define ACL_XATTR_VERSION_LINUX	2
#define ACL_XATTR_HDR_SIZE	4	/* __le32 a_version */
#define ACL_XATTR_ENTRY_SIZE	8	/* __le16 e_tag, __le16 e_perm, __le32 e_id */
#define ACL_USER_OBJ_LINUX	0x01
#define ACL_USER_LINUX		0x02
#define ACL_GROUP_OBJ_LINUX	0x04
#define ACL_GROUP_LINUX		0x08
#define ACL_MASK_LINUX		0x10
#define ACL_OTHER_LINUX		0x20
#define ACL_PERMS_LINUX		07	/* read 4, write 2, execute 1 */

/* One entry, in host byte order */
struct acl_entry_linux {
	uint16_t tag;
	uint16_t perm;
	uint32_t id;
};

/* The NETNS of earlier kernels: flags and 4 zero bytes, nothing after it */
#define NETNS_V1_SIZE	8

/* The INODE_ATTR of earlier kernels: no mode and __pad (an unlinked file's is its FILE's) */
#define INODE_ATTR_V1_SIZE	offsetof(struct ckpt_inode_attr, mode)
_Static_assert(INODE_ATTR_V1_SIZE == 32 && sizeof(struct ckpt_inode_attr) == 40,
	       "INODE_ATTR layout changed");

/* The longest name of a cgroup, with its NUL (NAME_MAX + 1) */
#define CGROUP_NAME_MAX	256

/*
 * Where the stream is in the grammar:
 *
 *   image   := HEADER [X86_CPUID [X86_VDSO]] [CHAIN] TREE [UTS] [TIMENS] [netns]
 *              [USERNS] [cgroupns] [mntns] [ipcns] tmpfs* task{nr_tasks - zombies}
 *              TRAILER
 *   (earlier kernels' images have no X86_CPUID or no X86_VDSO; only a
 *   tracked or incremental image has a CHAIN)
 *   netns   := NETNS NETDEV{nr_devs} NET_ADDR{nr_addrs} NET_ROUTE{nr_routes}
 *   (an earlier kernel's NETNS, of NETNS_V1_SIZE bytes, has none of them)
 *   cgroupns := CGROUPNS CGROUP{nr_cgroups}
 *   (the CGROUPs in id order, the root first, each after its parent;
 *   every process of the TREE but the zombies in exactly one of them)
 *   mntns   := MNTNS MOUNT{nr_mounts}
 *   (the MOUNTs in id order, the root first, each after its parent)
 *   ipcns   := IPC_NS msgqueue{nr_msg} SEM_ARRAY{nr_sem} segment{nr_shm} [mqns]
 *   msgqueue := MSG_QUEUE MSG{qnum}
 *   segment := SYSV_SHM SHMEM(objref 0) PAGES* SHMEM_END
 *   mqns    := MQ_NS mqueue{nr_queues}
 *   mqueue  := MQUEUE MSG{curmsgs}
 *   (the POSIX message queues, each name once; the mtype of a MSG after
 *   an MQUEUE is its priority; in an image with an IPC_NS, a FILE of kind
 *   MQUEUE names one of them)
 *   tmpfs   := TMPFS TMPFS_NODE(path "/") TMPFS_XATTR* node*
 *   node    := TMPFS_NODE(regular file) FILE_DATA* TMPFS_XATTR*
 *            | TMPFS_NODE(other) TMPFS_XATTR* | TMPFS_NODE(link)
 *   (one tmpfs per MOUNT of kind NEW of fstype "tmpfs", in mount order;
 *   the FILE_DATA within the node's size, offsets going up; a link,
 *   another name of an earlier node, has nothing after it)
 *   task    := object* TASK [PROCESS SEM_UNDO*] [SIGALTSTACK] [ITIMERS]
 *              [POSIX_TIMERS] [THREAD_CPUTIME] [CPUTIME] [sched] X86_REGS
 *              X86_XSTATE SIGPENDING(shared=0) SIGPENDING(shared=1)
 *   sched   := SCHED | SCHED(policy SCHED_DEADLINE) SCHED_DL
 *   (a SCHED_DL, the runtime, deadline and period of a deadline thread,
 *   comes right after its SCHED and nowhere else)
 *   (zombies have no records, but a leader that exited while its threads
 *   run (EXITED) has all of them; PROCESS, ITIMERS and CPUTIME follow the
 *   TASK of a leader; SEM_UNDO only with an IPC_NS; the optional records
 *   appear only when the state is set, but SCHED in every thread of an
 *   image from a kernel that keeps it)
 *   object  := CRED | file [FOWN] | FILES LOCK* | FS | addrspace | SIGHAND |
 *              SECCOMP | PIPE FILE_DATA* | PTY [INODE_ATTR]
 *   (the INODE_ATTR after a PTY is its slave's /dev/pts node: owner,
 *   mode and times, always of 40 bytes; an earlier kernel's image has none)
 *   (a FOWN, the file's O_ASYNC owner and signal, comes after all the
 *   records of its FILE, at most one per FILE; a pid of the TREE that is
 *   not a zombie's owns it, as a thread, a process or a process group)
 *   file    := FILE | unlinked | memfd
 *            | FILE(anonymous kind) EVENTFD | TIMERFD | SIGNALFD | EPOLL |
 *              INOTIFY | inet
 *   memfd   := FILE(MEMFD, obj_ref 0) SHMEM(objref 0) PAGES* SHMEM_END
 *            | FILE(MEMFD, obj_ref of the first open file of the memfd)
 *   (a FILE of kind PROC_PID, a file under /proc/PID, has in its ino the
 *   pid of a task of the TREE; nothing follows it but its FOWN)
 *   (a FILE of kind TTY_HUNGUP, a hung-up terminal, has no path, no
 *   position and no object; nothing follows it but its FOWN)
 *   unlinked := FILE(UNLINKED, obj_ref 0) [INODE_ATTR FILE_DATA* TMPFS_XATTR*]
 *            | FILE(UNLINKED, obj_ref 0) FILE_DATA*
 *   (the first open file of an unlinked inode: its owner and times, its
 *   contents, within the FILE's size, offsets going up, and its extended
 *   attributes; an earlier kernel's image has no INODE_ATTR, and then no
 *   TMPFS_XATTR)
 *   (an INODE_ATTR is 40 bytes, with the permission bits, or, after an
 *   unlinked file's FILE only, the 32 of an earlier kernel, without them)
 *   (the record after an anonymous FILE is the one of its kind; an EPOLL's
 *   target FILEs come before its FILE)
 *   inet    := INET_SK [TCP_STREAM] pending{nr_queued} | INET_SK UDP_DGRAM{nr_queued}
 *   pending := INET_SK(STREAM) TCP_STREAM
 *   (an INET_SK of state STREAM, and only it, is followed by its
 *   TCP_STREAM; a listener by the connections it has not accepted, each
 *   an INET_SK without a FILE; a UDP socket by its datagrams)
 *   addrspace := MM VMA{nr_vmas} (PAGES | PAGES_COW | PAGES_PARENT | PAGES_FILE)* MM_END
 *   (PAGES, PAGES_COW, PAGES_PARENT and PAGES_FILE go up together, each inside one
 *   VMA; a PAGES_COW names pages of an earlier MM, inside one ANON VMA of
 *   this MM and ANON VMAs of that one; a VMA's cow_mm_ref, ANON only, an
 *   earlier MM; a PAGES_PARENT, only in an image whose CHAIN has a
 *   parent, pages of an MM of that image, inside one ANON or FILE VMA)
 *   (a PIPE's FILE_DATA hold exactly its data_len bytes)
 *   (an object may also be SHMEM PAGES* SHMEM_END; a SYSV_SHM is
 *    followed by its contents, SHMEM(objref 0) PAGES* SHMEM_END, as the
 *    first FILE of a memfd is)
 */
enum image_state {
	ST_HEADER,
	ST_TREE,
	ST_UTS,			/* after TREE: UTS, TIMENS, NETNS, USERNS, CGROUPNS, or a task */
	ST_NETDEV,		/* the NETNS's devices */
	ST_NET_ADDR,		/* then their addresses */
	ST_NET_ROUTE,		/* then the namespace's routes */
	ST_CGROUP,		/* the CGROUPNS's cgroups */
	ST_MNTNS,		/* after the other namespaces: MNTNS, IPC_NS or what follows */
	ST_MOUNT,		/* the MNTNS's mounts */
	ST_IPC,			/* after the mount namespace: IPC_NS, or what follows */
	ST_MSG_QUEUE,		/* the IPC_NS's message queues */
	ST_MSG,			/* the messages of a queue */
	ST_SEM_ARRAY,		/* the IPC_NS's semaphore sets */
	ST_IPC_SHM,		/* the IPC_NS's shared memory segments */
	ST_MQ_NS,		/* after them: MQ_NS, or what follows */
	ST_MQUEUE,		/* the MQ_NS's POSIX message queues */
	ST_MQ_MSG,		/* the messages of a POSIX message queue */
	ST_TMPFS,		/* after the namespaces: the TMPFS of the next new tmpfs */
	ST_TMPFS_ROOT,		/* its first TMPFS_NODE, its root */
	ST_TMPFS_NODE,		/* its other nodes, their FILE_DATA and xattrs, or what follows */
	ST_TASK,		/* objects of a task, then its TASK */
	ST_UNLINKED,		/* after an unlinked file's first FILE: INODE_ATTR, or ST_TASK */
	ST_UNLINKED_DATA,	/* after its INODE_ATTR: FILE_DATA and TMPFS_XATTR, or ST_TASK */
	ST_PTY,			/* after a PTY: the INODE_ATTR of its slave, or ST_TASK */
	ST_PROCESS,		/* a leader's PROCESS */
	ST_VMA,
	ST_PAGES,		/* PAGES, or the MM_END */
	ST_SEM_UNDO,		/* after a PROCESS: SEM_UNDO, or X86_REGS */
	ST_CONTENTS,		/* the SHMEM after a memfd FILE or a SYSV_SHM */
	ST_SHMEM_PAGES,		/* PAGES of a SHMEM, or its SHMEM_END */
	ST_REGS,		/* X86_REGS, after the optional per-task records */
	ST_SCHED_DL,		/* after a SCHED of policy SCHED_DEADLINE: its SCHED_DL */
	ST_XSTATE,
	ST_SIGPENDING,		/* the task's own queue */
	ST_SIGPENDING_SHARED,	/* the thread group's queue */
	ST_ANON_FILE,		/* the record of an anonymous FILE's kind */
	ST_UNIX_SKB,		/* the messages a UNIX_SK carries */
	ST_UNIX_EMBRYO,		/* the connections a listening UNIX_SK has queued */
	ST_TCP_STREAM,		/* the TCP_STREAM of an INET_SK of state STREAM */
	ST_INET_PENDING,	/* the connections a listening INET_SK has not accepted */
	ST_UDP_DGRAM,		/* the datagrams queued on a UDP INET_SK */
	ST_TRAILER,
	ST_PREDUMP,		/* a pre-dump's address spaces, then its TRAILER */
	ST_END,			/* nothing may follow the TRAILER */
	NR_IMAGE_STATES
};

struct image_task {
	uint32_t pid;
	uint32_t tgid;
	uint32_t flags;		/* CKPT_TREE_* */
	uint32_t pgid;		/* 0: a group outside the tree */
	uint32_t cgroup;	/* the id of the CGROUP it is in, or 0 */
};

/* A VMA of an MM: its range and CKPT_VMA_* kind */
struct image_vma {
	uint64_t start;
	uint64_t end;
	uint32_t kind;
};

/*
 * An MM read before the one being read: its ANON VMAs, the only ones a
 * PAGES_COW may name, are vmas[first] to vmas[first + nr - 1]
 */
struct image_mm {
	uint32_t first;
	uint32_t nr;
};

/* A device of the network namespace: the loopback, or an end of a NETDEV */
struct image_netdev {
	uint32_t ifindex;
	char name[16];		/* NUL-terminated */
};

/* A MOUNT of the mount namespace */
struct image_mount {
	char *path;		/* its mount point from the root of the namespace */
	uint32_t peer_group;	/* 0 if not shared */
	bool tmpfs;		/* a new tmpfs: a TMPFS holds its contents */
};

/* A CGROUP of the cgroup namespace */
struct image_cgroup {
	uint32_t parent;	/* the id of its parent, 0 for the root */
	char *name;		/* its directory's name, "" for the root */
};

struct tree_key;

struct image {
	/* the stream */
	int fd;
	uint64_t off;		/* offset of the next byte to read */
	uint64_t rec_off;	/* offset of the current record */
	uint32_t rec_type;	/* type of the current record, 0 if unknown */
	uint32_t nr_records;	/* records before the current one */
	uint32_t crc;		/* crc32c of the bytes before rec_off */
	void *buf;		/* payload of the current record */
	size_t buf_size;
	bool show_pages;	/* --pages */
	char err[512];

	/* from the HEADER */
	uint32_t version;	/* of the image format */
	uint32_t page_size;
	uint32_t xstate_size;
	uint64_t xfeatures;
	uint32_t nr_tasks;

	/*
	 * The last FILE path, whole: from format version 2 on, a FILE's
	 * path leaves out the beginning it shares with it
	 */
	char file_path[CKPT_PATH_MAX];
	uint32_t file_path_len;	/* with its NUL; 0: none yet */

	/* the CHAIN record, if any: PAGES_PARENT need a parent */
	bool has_chain;
	bool predump;		/* CHECKPOINT_PREDUMP: memory only, no tasks */
	uint64_t chain_parent;

	/* the grammar */
	enum image_state state;
	struct image_task *tree;	/* the TREE entries */
	uint32_t tasks_done;		/* TASKs complete, up to nr_tasks */
	uint32_t ns_last;		/* last namespace record after the TREE */

	/* the IPC namespace */
	bool ipc_ns;			/* the image has an IPC_NS */
	uint32_t msq_left;		/* MSG_QUEUE records still to come */
	uint32_t sem_left;		/* SEM_ARRAY records still to come */
	uint64_t msgs_left;		/* MSG records of the current queue */
	uint64_t msg_bytes;		/* bytes of its messages so far */
	uint64_t msq_qbytes;		/* its limit */
	uint32_t shm_left;		/* its SYSV_SHM segments still to come */
	char **mq_names;		/* the names of its MQUEUEs so far */
	uint32_t nr_mq;			/* MQUEUE records so far */
	uint32_t mq_left;		/* MQUEUE records still to come */
	uint64_t mq_msgsize;		/* the current MQUEUE's msgsize */
	bool msg_mq;			/* the MSGs are an MQUEUE's, not a MSG_QUEUE's */

	/* the network namespace: its devices, and its records still to come */
	struct image_netdev *netdevs;	/* the loopback, then both ends of each NETDEV */
	uint32_t nr_netdevs;
	uint32_t netdevs_left;		/* NETDEV records */
	uint32_t net_addrs_left;	/* NET_ADDR records after those */
	uint32_t net_routes_left;	/* NET_ROUTE records after those */

	/* the mount namespace: the MOUNTs so far, by id - 1 */
	struct image_mount *mounts;
	uint32_t nr_mounts;		/* the MNTNS's nr_mounts */
	uint32_t mounts_done;		/* MOUNT records so far */
	uint32_t tmpfs_left;		/* TMPFS records still to come */
	uint32_t tmpfs_next;		/* the next TMPFS is of a MOUNT after this id */
	bool tmpfs_xattrs;		/* TMPFS_XATTR may follow: the node is not a link */
	uint32_t xattrs_type;		/* the S_IFMT type of the node or file they are of */

	/* the cgroup namespace: the CGROUPs so far, by id - 1 */
	struct image_cgroup *cgroups;
	uint32_t nr_cgroups;		/* the CGROUPNS's nr_cgroups */
	uint32_t cgroups_done;		/* CGROUP records so far */
	struct tree_key *pids;		/* the TREE's pids, sorted, to find them */

	uint32_t task_extras;		/* optional records of the task so far */

	/*
	 * objects: objref -> type of the record that defined it, and for a
	 * FILE its kind, OBJ_FILE_REF if it names another FILE, for an MM its
	 * index in mms (records.c)
	 */
	uint32_t *obj_ref;
	uint8_t *obj_type;
	uint8_t *obj_kind;
	uint32_t *obj_mm;
	uint32_t nr_objs;
	uint32_t obj_cap;	/* a power of two, at least twice nr_objs */

	/*
	 * The MM being read; vmas holds the ANON VMAs of the MMs before it,
	 * then all of its own, from mm_vmas on
	 */
	uint32_t mm_objref;
	uint32_t vmas_left;
	struct image_vma *vmas;
	uint32_t nr_vmas;
	uint32_t vma_cap;
	uint32_t mm_vmas;
	uint64_t mm_pages;	/* of its PAGES, PAGES_COW, PAGES_PARENT and PAGES_FILE */
	uint64_t mm_cow_pages;	/* of its PAGES_COW */
	uint64_t mm_parent_pages;	/* of its PAGES_PARENT */
	uint64_t mm_file_pages;	/* of its PAGES_FILE */
	uint64_t pages_end;	/* they go up: end of the last one */
	uint32_t pages_crc;	/* of the contents of the last PAGES, as PAGES_CRC has it */
	/* the MMs read, by the order of their records */
	struct image_mm *mms;
	uint32_t nr_mms;
	uint32_t mms_cap;

	/*
	 * FILE_DATA follow a PIPE, an unlinked FILE or a TMPFS_NODE of a
	 * regular file; LOCK follow a FILES
	 */
	uint32_t prev_type;	/* type of the record before this one */
	uint32_t data_of;	/* the type of the record whose data may follow, or 0 */
	uint64_t data_next;	/* the next FILE_DATA starts here or later */
	uint64_t data_end;	/* a PIPE's data_len, a FILE's or TMPFS_NODE's size */
	/* ST_ANON_FILE: the record type that must come */
	uint32_t anon_rec;
	/*
	 * The FILE whose records a FOWN may end, or 0: its objref from the
	 * FILE up to the first record after its own ones but a FOWN
	 */
	uint32_t fown_file;
	/* the UNIX_SK being read: its type, messages and connections to come */
	uint32_t unix_type;
	uint64_t unix_skbs;
	uint32_t unix_embryos;
	uint32_t unix_listener;
	/* the INET_SK being read: its family, connections or datagrams to come */
	uint32_t inet_family;
	bool inet_udp;
	uint32_t inet_queued;
	/* the SHMEM being read */
	enum image_state shmem_return;	/* state after its SHMEM_END */
	uint64_t shmem_size;
	uint64_t shmem_pages;
	uint64_t shmem_end;	/* end offset of its last PAGES */
	uint64_t contents_size;	/* size in that FILE or SYSV_SHM */
};

struct rec_type {
	uint32_t size;		/* fixed part of the payload */
	bool variable;		/* the fixed part is followed by more */
	uint32_t old_size;	/* the shorter fixed part (or size) of earlier images, or 0 */
	/* check the fields and move the grammar on; -1 after image_fail() */
	int (*accept)(struct image *img, const void *p, uint32_t len);
	void (*print)(const struct image *img, const void *p, uint32_t len);
};

extern const struct rec_type rec_types[__CKPT_REC_NR];
extern const char *const rec_names[__CKPT_REC_NR];

int image_fail(struct image *img, const char *fmt, ...) __printf(2, 3);

/* Whether the len bytes at p are all zero (records.c) */
bool all_zero(const void *p, size_t len);

/* A per-namespace sysctl of a NETNS record: the kernel's ckpt_net_sysctls[] */
struct net_sysctl_def {
	const char *name;	/* under net. */
	uint32_t min, max;	/* the values restart accepts */
};

extern const struct net_sysctl_def net_sysctl_defs[CKPT_NET_SYSCTL_NR];

/* The name of the namespace's device ifindex, or NULL (records.c) */
const char *image_netdev_name(const struct image *img, uint32_t ifindex);

/* The mount point of MOUNT id in the namespace, or NULL if unknown (records.c) */
const char *image_mount_path(const struct image *img, uint32_t id);

/*
 * The path of CGROUP id from the root of the namespace, in buf (its end
 * if it is longer: "..." and the last components), or NULL if unknown
 * (records.c)
 */
const char *image_cgroup_path(const struct image *img, uint32_t id,
			      char *buf, size_t size);

/*
 * Whether an extended attribute is a POSIX ACL: 1 for the access ACL, 2
 * for the default ACL, 0 if it is not one (records.c)
 */
int image_acl_xattr(const char *name);

/* Entry i of the ACL that is the xattr value v, in host byte order (records.c) */
struct acl_entry_linux image_acl_entry(const void *v, uint32_t i);

/* An ACL entry as getfacl(1) prints it, "user:1001:r--", in buf (records.c) */
const char *image_acl_entry_str(const struct acl_entry_linux *e, char *buf, size_t size);

/* The state after the namespaces' records: a TMPFS still to come, or a task */
enum image_state image_after_namespaces(const struct image *img);

/* Leave a task's SIGPENDING state if @type is not one (empty queues have none) */
void image_sigpending_done(struct image *img, uint32_t type);

/* FILES entries of either format version (records.c) */
int files_entry(const struct image *img, const struct ckpt_files *files, uint32_t i,
		struct ckpt_fd *e);
size_t files_entry_size(const struct image *img);

/* The TRAILER's checksum convention, in one place */
uint32_t image_crc_start(void);
uint32_t image_crc_end(uint32_t crc);

/* Record handlers (records.c, print.c) */
#define __CKPT_REC_PROTO(name, nr)					\
	int accept_##name(struct image *img, const void *p, uint32_t len); \
	void print_##name(const struct image *img, const void *p, uint32_t len);
__CKPT_REC_MAPPER(__CKPT_REC_PROTO)
#undef __CKPT_REC_PROTO

#endif /* CKPT_IMAGE_H */
