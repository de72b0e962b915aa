/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * In-kernel checkpoint/restart: system call flags and the image format.
 *
 * The image is a stream of self-describing records.  Every record starts
 * with a struct ckpt_rec_hdr and is followed by hdr.len bytes of payload;
 * hdr.len is always a multiple of 8 so that every record header is 8-byte
 * aligned in the stream.  All fields are little-endian and fixed-width,
 * padding is explicit and must be zero.  The image is written and read
 * strictly in order, so it can be carried by a pipe or a socket.
 *
 * Documentation/checkpoint/image-format.rst describes the grammar.  A
 * reader rejects what it does not know: unknown record types, flags or
 * kinds, non-zero padding or reserved fields, VMAs out of order or
 * overlapping, PAGES going backwards or outside a private mapping,
 * relative paths.  It never skips a record.
 */
#ifndef _UAPI_LINUX_CHECKPOINT_H
#define _UAPI_LINUX_CHECKPOINT_H

#include <linux/types.h>

/* checkpoint(2) flags */
#define CHECKPOINT_KILL		(1UL << 0) /* SIGKILL the tasks after a complete image */
#define CHECKPOINT_SUBTREE	(1UL << 1) /* subtree mode even for a pid namespace init */
#define CHECKPOINT_SHARED_OK	(1UL << 2) /* container: save files also used outside it */
#define CHECKPOINT_ROOT_RELATIVE (1UL << 3) /* paths from the tasks' common root */
#define CHECKPOINT_EXT_UNIX_SK	(1UL << 4) /* save UNIX streams to outside as external */
#define CHECKPOINT_TRACK	(1UL << 5) /* count the tasks' writes from this image on */
#define CHECKPOINT_INCREMENTAL	(1UL << 6) /* only pages changed since the tracked image */
#define CHECKPOINT_PREDUMP	(1UL << 7) /* memory only, written while the tasks run */
#define CHECKPOINT_STOP		(1UL << 8) /* SIGSTOP the tasks after a complete image */
#define CHECKPOINT_LAZY		(1UL << 9) /* PAGES_CRC after PAGES: restartable lazily */

/*
 * Bits 24..31 of the checkpoint(2) flags: the image format version to
 * write, for a reader of an older kernel; 0 (the default) writes
 * CKPT_IMAGE_VERSION.
 */
#define CHECKPOINT_VERSION_SHIFT 24
#define CHECKPOINT_VERSION_MASK	(0xffUL << CHECKPOINT_VERSION_SHIFT)
#define CHECKPOINT_VERSION(v)	(((unsigned long)(v) & 0xff) << CHECKPOINT_VERSION_SHIFT)

/* restart(2) flags */
#define RESTART_FILES_CHANGED_OK (1UL << 0) /* reopen files changed since the checkpoint */
#define RESTART_EXTERNAL	(1UL << 1) /* the 5th and 6th arguments give externals */
#define RESTART_THAW		(1UL << 2) /* frozen cgroups of the image come back thawed */
#define RESTART_SIBLING		(1UL << 3) /* the root becomes a child of the caller's parent */
#define RESTART_LAZY		(1UL << 4) /* anonymous memory faulted in from the image later */

/* struct ckpt_external.kind */
#define CKPT_EXT_VETH		1	/* key: a veth device of the tasks; name: its outer end */
#define CKPT_EXT_UNIX_SK	2	/* key: "socket:[INO]"; fd: the socket replacing it */
#define CKPT_EXT_MOUNT		3	/* key: a mount point of the tasks; fd: bound there */
#define CKPT_EXT_CGROUP		4	/* key: "/"; fd: the cgroup v2 directory to restore into */
#define CKPT_EXT_FILE		5	/* key: "pipe:[INO]"; fd: the file taking its place */
#define CKPT_EXT_PTY		6	/* key: "pty:[N]"; fd: replaced by the new master */
#define CKPT_EXT_PAGES		7	/* key: "pages:N"; fd: a file PAGES_FILE records read */

/*
 * restart(2) with RESTART_EXTERNAL: the fifth argument points to an array
 * of these, the sixth is its length (1..CKPT_EXTERNAL_MAX).  They tell
 * restart what the caller chose for the objects that the image names but
 * that are outside the tasks: the name under which the outer end of a
 * veth pair comes back in the caller's network namespace; the connected
 * UNIX socket that takes the place of one that was connected outside the
 * tree (CHECKPOINT_EXT_UNIX_SK), named as /proc/PID/fd showed it; the
 * directory or file (an O_PATH descriptor will do) bound at a mount point
 * of the tasks' mount namespace whose filesystem is outside the tasks
 * (their root, bind mounts from the host); the cgroup v2 directory (open
 * O_RDONLY) where the root of the tasks' cgroup namespace comes back,
 * instead of the caller's own cgroup; the caller's file that takes the
 * place of an end of a pipe (usually one whose other end was outside the
 * tasks, such as their standard input or output), named as /proc/PID/fd
 * showed it.  CKPT_EXT_PTY goes the other way: the image has a pty pair
 * whose master was outside the tasks and whose slave N (/dev/pts/N) was
 * the controlling terminal of a session of theirs (a container's
 * console); restart makes a new pair for it, and once it succeeds the new
 * master replaces the caller's descriptor fd, as dup2() would, keeping
 * its close-on-exec flag (any open file will do as a placeholder).  An
 * external the image does not name is ignored.
 */
struct ckpt_external {
	__u32 kind;		/* CKPT_EXT_* */
	__s32 fd;		/* a descriptor of the caller; -1 for CKPT_EXT_VETH */
	char key[64];		/* what the image names; NUL-terminated */
	char name[64];		/* CKPT_EXT_VETH: a device name; NUL-terminated */
};

#define CKPT_EXTERNAL_MAX	256

/* Image identification */
#define CKPT_IMAGE_MAGIC	0x474d49544b43584cULL	/* "LXCKTIMG" */
#define CKPT_IMAGE_VERSION	2	/* 2: compact FILES entries, shared FILE paths */

/* Architectures (struct ckpt_image_header.arch) */
#define CKPT_ARCH_X86_64	1

/* Size limits a reader may rely on */
#define CKPT_REC_MAX_LEN	(1U << 24)	/* largest record payload */
#define CKPT_PAGES_MAX		256		/* pages in one PAGES record */
#define CKPT_PATH_MAX		4096		/* includes the terminating NUL */

/*
 * Record types.  The numbers are ABI and never reused; the names are used
 * by the kernel's log and by `ckpt show`.
 */
#define __CKPT_REC_MAPPER(FN)		\
	FN(HEADER,	1)		\
	FN(TRAILER,	2)		\
	FN(TREE,	3)		\
	FN(TASK,	4)		\
	FN(CRED,	5)		\
	FN(MM,		6)		\
	FN(VMA,		7)		\
	FN(PAGES,	8)		\
	FN(MM_END,	9)		\
	FN(FILE,	10)		\
	FN(FILES,	11)		\
	FN(FS,		12)		\
	FN(SIGHAND,	13)		\
	FN(SIGPENDING,	14)		\
	FN(X86_REGS,	15)		\
	FN(X86_XSTATE,	16)		\
	FN(PROCESS,	17)		\
	FN(SECCOMP,	18)		\
	FN(UTS,		19)		\
	FN(PIPE,	20)		\
	FN(FILE_DATA,	21)		\
	FN(LOCK,	22)		\
	FN(EVENTFD,	25)		\
	FN(TIMERFD,	26)		\
	FN(SIGNALFD,	27)		\
	FN(EPOLL,	28)		\
	FN(INOTIFY,	29)		\
	FN(SHMEM,	30)		\
	FN(SHMEM_END,	31)		\
	FN(SYSV_SHM,	32)		\
	FN(ITIMERS,	35)		\
	FN(POSIX_TIMERS, 36)		\
	FN(SIGALTSTACK,	37)		\
	FN(CPUTIME,	38)		\
	FN(THREAD_CPUTIME, 39)		\
	FN(IPC_NS,	40)		\
	FN(MSG_QUEUE,	41)		\
	FN(SEM_ARRAY,	42)		\
	FN(SEM_UNDO,	43)		\
	FN(MSG,		44)		\
	FN(TIMENS,	45)		\
	FN(NETNS,	46)		\
	FN(USERNS,	47)		\
	FN(PTY,		50)		\
	FN(UNIX_SK,	51)		\
	FN(UNIX_SKB,	52)		\
	FN(INET_SK,	53)		\
	FN(NETLINK_SK,	54)		\
	FN(TCP_STREAM,	55)		\
	FN(UDP_DGRAM,	56)		\
	FN(NETDEV,	57)		\
	FN(NET_ADDR,	58)		\
	FN(NET_ROUTE,	59)		\
	FN(SCHED,	60)		\
	FN(MNTNS,	61)		\
	FN(MOUNT,	62)		\
	FN(TMPFS,	63)		\
	FN(TMPFS_NODE,	64)		\
	FN(TMPFS_XATTR,	65)		\
	FN(CGROUPNS,	66)		\
	FN(CGROUP,	67)		\
	FN(MQ_NS,	68)		\
	FN(MQUEUE,	69)		\
	FN(INODE_ATTR,	70)		\
	FN(FOWN,	71)		\
	FN(SCHED_DL,	72)		\
	FN(X86_CPUID,	73)		\
	FN(PAGES_COW,	74)		\
	FN(X86_VDSO,	75)		\
	FN(CHAIN,	76)		\
	FN(PAGES_PARENT, 77)		\
	FN(PAGES_CRC,	78)		\
	FN(PAGES_FILE,	79)

enum ckpt_rec_type {
#define __CKPT_REC_ENUM(name, nr) CKPT_REC_##name = nr,
	__CKPT_REC_MAPPER(__CKPT_REC_ENUM)
#undef __CKPT_REC_ENUM
	__CKPT_REC_NR,
};

struct ckpt_rec_hdr {
	__le32 type;		/* enum ckpt_rec_type, maybe | CKPT_REC_OPTIONAL */
	__le32 len;		/* payload bytes that follow; multiple of 8 */
};

/*
 * In ckpt_rec_hdr.type: a reader that does not know the type may skip the
 * record, whose absence changes nothing the restored tasks can observe.
 * A reader that knows the type reads it as if the bit were clear; an
 * unknown type without it makes the image unreadable.
 */
#define CKPT_REC_OPTIONAL	(1U << 31)

/*
 * Objects that may be shared (an mm, a file, a credential set, ...) are
 * written once, in a record whose first field is a new object id
 * ("objref", 1..INT_MAX, unique in the image), and are referred to by that
 * id afterwards; a record only refers to ids defined before it.  0 means
 * "none".
 */

/* HEADER: the first record */
struct ckpt_image_header {
	__le64 magic;		/* CKPT_IMAGE_MAGIC */
	__le32 version;		/* CKPT_IMAGE_VERSION */
	__le32 arch;		/* CKPT_ARCH_* */
	__le32 page_size;
	__le32 flags;		/* checkpoint(2) flags used */
	__le64 time_real_ns;	/* CLOCK_REALTIME when the tasks were frozen */
	__le64 time_mono_ns;	/* CLOCK_MONOTONIC, same instant */
	__le64 time_boot_ns;	/* CLOCK_BOOTTIME, same instant */
	char release[64];	/* uname -r of the checkpointing kernel, NUL-padded */
	/* x86: user XSAVE features enabled on the checkpointing CPU */
	__le64 xfeatures;
	__le32 xstate_size;	/* bytes of an X86_XSTATE record's buffer */
	__le32 nr_tasks;	/* entries in the TREE record */
	/*
	 * x86: offset of XSAVE component i in that buffer (standard format,
	 * CPUID leaf 0xd), 0 for components not in xfeatures, so that a CPU
	 * with another layout can still load the state.
	 */
	__le32 xstate_offsets[32];
};

/*
 * X86_CPUID: right after the HEADER (images of earlier kernels have none),
 * the CPUID feature registers of the checkpointing CPU as its kernel
 * uses them, so that restart can refuse a CPU that lacks an
 * instruction-set extension the tasks may use.
 */
#define CKPT_X86_CPUID_MAX	32

struct ckpt_x86_cpuid_reg {
	__le32 leaf;		/* CPUID leaf (EAX) ... */
	__le32 subleaf;		/* ... and subleaf (ECX) */
	__le32 reg;		/* 0: EAX, 1: EBX, 2: ECX, 3: EDX */
	__le32 value;
};

struct ckpt_x86_cpuid {
	__le32 nr_regs;		/* 1..CKPT_X86_CPUID_MAX */
	__le32 __pad;
	struct ckpt_x86_cpuid_reg regs[];
};

/*
 * X86_VDSO: right after X86_CPUID, marked CKPT_REC_OPTIONAL (images of
 * earlier kernels have none), the checkpointing kernel's 64-bit vDSO: its
 * sizes and its entry points.  A restoring kernel whose vDSO differs maps
 * its own elsewhere and puts a jump to each of its entry points where the
 * same-named one of the image's vDSO was (the vDSO proxy), so that the
 * pointers programs keep into the vDSO still work.
 */
#define CKPT_X86_VDSO_SYMS_MAX	64
#define CKPT_X86_VDSO_NAME_LEN	32
#define CKPT_X86_VDSO_SIZE_MAX	(1U << 20)	/* size and vvar_size */

struct ckpt_x86_vdso_sym {
	char name[CKPT_X86_VDSO_NAME_LEN];	/* NUL-terminated and -padded */
	__le32 offset;		/* of the entry point, from the text's start */
	__le32 __pad;
};

struct ckpt_x86_vdso {
	__le32 crc;		/* CRC-32C of the text, as in MM.vdso_crc */
	__le32 size;		/* of the text */
	__le32 vvar_size;	/* of the vvar pages before it */
	__le32 nr_syms;		/* 1..CKPT_X86_VDSO_SYMS_MAX */
	struct ckpt_x86_vdso_sym syms[];
};

/*
 * CHAIN: after X86_CPUID and X86_VDSO, in an image written with
 * CHECKPOINT_TRACK, CHECKPOINT_INCREMENTAL or CHECKPOINT_PREDUMP.  A
 * pre-dump (HEADER.flags has CHECKPOINT_PREDUMP) then has only address
 * spaces: an MM record without VMAs, its PAGES, PAGES_COW and
 * PAGES_PARENT records and its MM_END, for each, before FILE records its
 * MMs name; later images of the chain refer to it.  id names the image (random,
 * never 0 or ~0).  parent, if not 0, is the id of the image its
 * PAGES_PARENT records refer to: the image is incremental, and is read
 * with its parents (`ckpt restart --parent` merges the chain into one
 * image); restart(2) refuses it.  With parent 0 the record is marked
 * CKPT_REC_OPTIONAL.
 */
struct ckpt_chain {
	__le64 id;
	__le64 parent;
};

/* TRAILER: the last record */
struct ckpt_image_trailer {
	/* CRC-32C of every byte before this record: ~crc32c(~0, data) */
	__le32 crc32c;
	__le32 nr_records;	/* records before this one */
	__le64 size;		/* bytes before this record */
};

/* TREE entry flags */
#define CKPT_TREE_ZOMBIE	(1U << 0)	/* exited, not reaped yet */
#define CKPT_TREE_STOPPED	(1U << 1)	/* group-stopped (SIGSTOP, ...) */
#define CKPT_TREE_PIDNS		(1U << 2)	/* root only: init of a pid namespace */
/*
 * A process leader that exited while other threads of its process run: it
 * is restored as a leader, with its process's state, and exits once let go
 */
#define CKPT_TREE_EXITED	(1U << 3)

/*
 * TREE: one entry per task, parents before their children.  In container
 * mode (CKPT_TREE_PIDNS on the root) the ids are those of the container's
 * pid namespace and the root is its pid 1.
 */
struct ckpt_tree_task {
	__le32 pid;		/* in the pid namespace of the checkpoint root */
	__le32 tgid;
	__le32 ppid;		/* 0: the root of the checkpointed tree */
	__le32 flags;		/* CKPT_TREE_* */
	__le32 pgid;		/* 0: a group outside the tree (restart caller's) */
	__le32 sid;		/* 0: a session outside the tree (restart caller's) */
	__le32 exit_code;	/* CKPT_TREE_ZOMBIE, _EXITED: its exit status, else 0 */
	__le32 exit_signal;	/* CKPT_TREE_ZOMBIE: signal sent to the parent, else 0 */
};

struct ckpt_tree {
	__le32 nr_tasks;
	__le32 __pad;
	/* followed by nr_tasks struct ckpt_tree_task */
};

/*
 * UTS: right after the TREE when the tasks have a UTS namespace of their
 * own (all the same one): restart creates a new one with these names.
 */
struct ckpt_uts {
	char nodename[65];	/* NUL-terminated, NUL-padded */
	char domainname[65];
	__u8 __pad[6];
};

/*
 * TIMENS: after the TREE (and the UTS) when the tasks' clocks must go on
 * in a time namespace at restart: in container mode, or when the tasks
 * have a time namespace of their own.  The clocks as the tasks saw them at
 * the instant of the header's time_*_ns: restart creates a time namespace
 * whose CLOCK_MONOTONIC and CLOCK_BOOTTIME resume from these values.
 */
struct ckpt_timens {
	__le64 monotonic_ns;
	__le64 boottime_ns;
};

/* struct ckpt_netns.flags */
#define CKPT_NETNS_LO_UP	0x1	/* the loopback device is up */

/* Per-namespace sysctls (struct ckpt_net_sysctl.id); the numbers are ABI */
#define CKPT_NET_SYSCTL_SOMAXCONN		0  /* net.core.somaxconn */
#define CKPT_NET_SYSCTL_IP_LOCAL_PORT_RANGE	1  /* low | high << 16 */
#define CKPT_NET_SYSCTL_IP_UNPRIV_PORT_START	2  /* net.ipv4.ip_unprivileged_port_start */
#define CKPT_NET_SYSCTL_IP_DEFAULT_TTL		3
#define CKPT_NET_SYSCTL_TCP_KEEPALIVE_TIME	4  /* seconds */
#define CKPT_NET_SYSCTL_TCP_KEEPALIVE_INTVL	5  /* seconds */
#define CKPT_NET_SYSCTL_TCP_KEEPALIVE_PROBES	6
#define CKPT_NET_SYSCTL_TCP_FIN_TIMEOUT		7  /* seconds */
#define CKPT_NET_SYSCTL_TCP_SYNCOOKIES		8
#define CKPT_NET_SYSCTL_TCP_TIMESTAMPS		9
#define CKPT_NET_SYSCTL_TCP_SACK		10
#define CKPT_NET_SYSCTL_TCP_WINDOW_SCALING	11
#define CKPT_NET_SYSCTL_TCP_ECN			12
#define CKPT_NET_SYSCTL_NR			13

struct ckpt_net_sysctl {
	__le32 id;		/* CKPT_NET_SYSCTL_* */
	__le32 value;
};

/*
 * NETNS: after the TIMENS (if any) when the tasks have a network namespace
 * of their own; restart creates a new one.  nr_sysctls struct
 * ckpt_net_sysctl follow, the record padded to 8 bytes; then nr_devs
 * NETDEV, nr_addrs NET_ADDR and nr_routes NET_ROUTE records.  The
 * loopback is only a flag here: every namespace has one.
 */
struct ckpt_netns {
	__le32 flags;		/* CKPT_NETNS_* */
	__le16 nr_devs;		/* 0..CKPT_NETNS_MAX_DEVS */
	__le16 nr_sysctls;	/* 0..CKPT_NET_SYSCTL_NR */
	__le32 nr_addrs;	/* 0..CKPT_NETNS_MAX_ADDRS */
	__le32 nr_routes;	/* 0..CKPT_NETNS_MAX_ROUTES */
};

/* The NETNS of images before devices were kept: flags, 4 zero bytes */
#define CKPT_NETNS_V1_SIZE	8

#define CKPT_NETNS_MAX_DEVS	256
#define CKPT_NETNS_MAX_ADDRS	4096
#define CKPT_NETNS_MAX_ROUTES	4096

/* struct ckpt_netdev.kind */
#define CKPT_NETDEV_VETH	1

/* struct ckpt_netdev.flags */
#define CKPT_NETDEV_UP		0x1	/* the device is up */
#define CKPT_NETDEV_PEER_UP	0x2	/* its peer is up */
#define CKPT_NETDEV_PEER_OUT	0x4	/* its peer is outside the namespace */

/*
 * NETDEV: a device of the tasks' network namespace, and for a veth pair
 * its peer: in the namespace too (one record per pair, peer_ifindex its
 * index), or outside (CKPT_NETDEV_PEER_OUT), where restart puts it back in
 * the caller's namespace under peer_name (or the name the caller gives).
 * Names are NUL-terminated and NUL-padded; addr holds the hardware address
 * (ETH_ALEN bytes, the rest zero).
 */
struct ckpt_netdev {
	__le32 kind;		/* CKPT_NETDEV_* */
	__le32 flags;		/* CKPT_NETDEV_* */
	__le32 ifindex;		/* in the tasks' namespace, > 1 */
	__le32 mtu;
	__le32 peer_ifindex;	/* 0 if CKPT_NETDEV_PEER_OUT */
	__le32 peer_mtu;
	__u8 addr[8];
	__u8 peer_addr[8];
	char name[16];
	char peer_name[16];
};

/*
 * NET_ADDR: an IPv4 or IPv6 address of a device of the namespace
 * (ifindex: a NETDEV's, or the loopback's), as `ip address add` takes it.
 * The loopback's own 127.0.0.1/8 and ::1, and IPv6 link-local addresses
 * (made again from the hardware address) are not saved.  An IPv4 address
 * uses the first 4 bytes of each address field.
 */
struct ckpt_net_addr {
	__le32 ifindex;
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 prefixlen;
	__u8 scope;		/* RT_SCOPE_* */
	__u8 __pad;
	__le32 flags;		/* IFA_F_* */
	__le32 valid_lft;	/* seconds left, 0xffffffff: forever */
	__le32 preferred_lft;
	__le32 __pad2;
	__u8 local[16];
	__u8 address[16];	/* the peer's on a point-to-point link, else local */
	__u8 broadcast[16];	/* IPv4 only; zero if none */
	char label[16];		/* IPv4 only: NUL-terminated, NUL-padded */
};

/*
 * NET_ROUTE: a route of the namespace that neither the kernel made (for
 * an address or a device) nor lives in the local table, as `ip route add`
 * takes it.  A missing field is zero; an IPv4 route uses the first 4
 * bytes of each address field.
 */
struct ckpt_net_route {
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 dst_len;
	__u8 tos;
	__u8 protocol;		/* RTPROT_*, not RTPROT_KERNEL */
	__u8 scope;		/* RT_SCOPE_* */
	__u8 type;		/* RTN_UNICAST, _BLACKHOLE, _UNREACHABLE, _PROHIBIT */
	__u8 __pad[2];
	__le32 table;		/* RT_TABLE_*, not RT_TABLE_LOCAL */
	__le32 oif;		/* 0, or a NETDEV's ifindex or the loopback's */
	__le32 priority;	/* the metric */
	__le32 flags;		/* RTNH_F_ONLINK or 0 */
	__u8 dst[16];
	__u8 gateway[16];
	__u8 prefsrc[16];
};

/* struct ckpt_userns.flags */
#define CKPT_USERNS_SETGROUPS	0x1	/* setgroups is "allow", not "deny" */

/* One line of /proc/PID/uid_map or gid_map, as the caller sees it */
struct ckpt_id_extent {
	__le32 first;		/* the first id inside the namespace */
	__le32 lower_first;	/* the same in the caller's user namespace */
	__le32 count;
};

/*
 * USERNS: after the NETNS (if any) in container mode when the tasks are
 * in a user namespace of their own (one, a child of the caller's), which
 * owns their other namespaces.  nr_uid uid map extents, then nr_gid gid
 * map extents follow (struct ckpt_id_extent), the record padded to 8
 * bytes; restart creates a user namespace with the same maps.  The ids of
 * the CRED records stay those of the caller's user namespace; their
 * capabilities are in this one.
 */
struct ckpt_userns {
	__le32 flags;		/* CKPT_USERNS_* */
	__le32 nr_uid;		/* 1..CKPT_USERNS_MAX_EXTENTS */
	__le32 nr_gid;		/* 1..CKPT_USERNS_MAX_EXTENTS */
	__le32 __pad;
};

#define CKPT_USERNS_MAX_EXTENTS	340	/* UID_GID_MAP_MAX_EXTENTS */

/*
 * CGROUPNS: after the USERNS (if any) when the tasks have a cgroup
 * namespace of their own, followed by nr_cgroups CGROUP records: the
 * namespace's root cgroup, then the cgroups below it, each after its
 * parent.  Restart roots a new namespace at the cgroup the caller gives
 * (CKPT_EXT_CGROUP "/"), or at its own, and recreates the cgroups below.
 */
struct ckpt_cgroupns {
	__le32 flags;		/* none yet: 0 */
	__le32 nr_cgroups;	/* 1..CKPT_CGROUP_MAX */
};

#define CKPT_CGROUP_MAX		1024
#define CKPT_CGROUP_FILES_MAX	16384	/* files_len */

/*
 * CGROUP: one cgroup (v2) of the tasks' namespace.  Followed by the pids
 * of the processes in it (nr_procs __le32, in the pid namespace of the
 * TREE), its name (name_len bytes with the NUL: "" for the root, else one
 * path component) and files_len bytes of "FILE\0VALUE\0" pairs: its
 * limits and cgroup.subtree_control as reading the files showed them,
 * without the last newline.  Restart writes those that differ.
 */
struct ckpt_cgroup {
	__le32 id;		/* 1..nr_cgroups, its rank; 1 is the root */
	__le32 parent;		/* an earlier id; 0 for the root */
	__le32 nr_procs;
	__le32 files_len;	/* 0..CKPT_CGROUP_FILES_MAX */
	__le16 name_len;	/* 1..256 */
	__le16 __pad[3];
};

/*
 * MNTNS: after the USERNS (if any) when the tasks have a mount namespace
 * of their own, followed by its nr_mounts MOUNT records, each
 * mount after the one it is mounted on.  The paths of the image (files,
 * root and working directories, socket names) then start from the root
 * of that namespace.
 */
struct ckpt_mntns {
	__le32 nr_mounts;	/* 1..CKPT_MNTNS_MAX_MOUNTS */
	__le32 __pad;
};

#define CKPT_MNTNS_MAX_MOUNTS	1024

/* struct ckpt_mount.kind */
#define CKPT_MOUNT_EXTERNAL	1	/* the caller binds what it chose (CKPT_EXT_MOUNT) */
#define CKPT_MOUNT_NEW		2	/* a new mount of fstype with options */
#define CKPT_MOUNT_BIND		3	/* a bind of part of an earlier mount, source */

/* struct ckpt_mount.flags */
#define CKPT_MNT_RDONLY		0x001
#define CKPT_MNT_NOSUID		0x002
#define CKPT_MNT_NODEV		0x004
#define CKPT_MNT_NOEXEC		0x008
#define CKPT_MNT_NOATIME	0x010
#define CKPT_MNT_NODIRATIME	0x020
#define CKPT_MNT_RELATIME	0x040	/* neither: strictatime */
#define CKPT_MNT_NOSYMFOLLOW	0x080
#define CKPT_MNT_SB_RDONLY	0x100	/* the filesystem is read-only (a new mount: mounted so) */

/* struct ckpt_mount.propagation */
#define CKPT_MNT_SHARED		0x1	/* in peer group peer_group */
#define CKPT_MNT_SLAVE		0x2	/* receives from master (0: a group outside) */
#define CKPT_MNT_UNBINDABLE	0x4

/*
 * MOUNT: one mount.  Peer groups are numbered from 1 in the image.  The
 * strings follow, each NUL-terminated, in this order: the mount point,
 * from the root of the parent mount ("/" for the root); the root of the
 * mount, from the root of its source (CKPT_MOUNT_BIND) or of its
 * filesystem; the source as /proc/PID/mountinfo shows it; the options a
 * new mount takes (CKPT_MOUNT_NEW), as mount(2) takes them, ids as the
 * tasks see them.
 */
struct ckpt_mount {
	__le32 id;		/* 1..nr_mounts, its rank among the MOUNT records */
	__le32 parent;		/* the id of the mount it is on; 0 for the root */
	__le32 source;		/* CKPT_MOUNT_BIND: id of an earlier mount */
	__le32 flags;		/* CKPT_MNT_* */
	__le16 kind;		/* CKPT_MOUNT_* */
	__le16 propagation;	/* CKPT_MNT_SHARED | _SLAVE | _UNBINDABLE */
	__le32 peer_group;	/* CKPT_MNT_SHARED: its peer group */
	__le32 master;		/* CKPT_MNT_SLAVE: its master's peer group, or 0 */
	__le16 mountpoint_len;	/* bytes of each string with its NUL */
	__le16 root_len;
	__le16 source_len;
	__le16 options_len;
	__le32 __pad;
	char fstype[16];	/* NUL-terminated, NUL-padded */
};

#define CKPT_MOUNT_OPTIONS_MAX	1024	/* options_len */

/*
 * TMPFS: after the records of every namespace (the IPC namespace's too),
 * one for each new tmpfs mount, in mount order: its contents follow,
 * TMPFS_NODE records up to the next record of another type, each
 * directory before what is in it.  Restart fills the tmpfs right after
 * mounting it.
 */
struct ckpt_tmpfs {
	__le32 mount;		/* the id of the mount */
	__le32 __pad;
};

/*
 * TMPFS_NODE: a file, directory, symbolic link, FIFO or device node of a
 * tmpfs, first its root ("/"); a regular file's contents follow in
 * FILE_DATA records.  Then its path from the root of the tmpfs and, for a
 * symbolic link, its target, NUL-terminated.  Ids are as the tasks see
 * them.  Its extended attributes follow in TMPFS_XATTR records.
 */
struct ckpt_tmpfs_node {
	__le32 mode;		/* S_IFMT and permission bits */
	__le32 uid;
	__le32 gid;
	__le32 rdev;		/* a device node: new_encode_dev() */
	__le64 size;		/* a regular file: its size */
	__le64 atime_sec;
	__le64 mtime_sec;
	__le32 atime_nsec;
	__le32 mtime_nsec;
	__le32 link;		/* a hard link to node number link (from 1), else 0 */
	__le16 path_len;	/* with its NUL */
	__le16 target_len;	/* with its NUL; 0 if not a symbolic link */
	__le32 __pad[2];
};

#define CKPT_TMPFS_MAX_NODES	(1U << 20)

/*
 * TMPFS_XATTR: an extended attribute of the TMPFS_NODE or INODE_ATTR
 * before it (after its FILE_DATA records): the name, NUL-terminated, then
 * the value.
 */
struct ckpt_tmpfs_xattr {
	__le16 name_len;	/* with its NUL, at most XATTR_NAME_MAX + 1 */
	__le16 __pad;
	__le32 value_len;	/* at most XATTR_SIZE_MAX */
};

/*
 * IPC_NS: after the TREE (and UTS, TIMENS, NETNS, USERNS) when the tasks have a
 * System V IPC namespace of their own (all the same one): restart creates
 * a new one with these limits, then nr_msg MSG_QUEUE, nr_sem SEM_ARRAY and
 * nr_shm SYSV_SHM objects (each with its contents) follow.  Ids and uids
 * are those of the checkpointing caller's user namespace.
 */
struct ckpt_ipc_ns {
	__le32 nr_msg;		/* MSG_QUEUE records that follow */
	__le32 nr_sem;		/* SEM_ARRAY records after those */
	__le32 msg_ctlmax;	/* kernel.msgmax */
	__le32 msg_ctlmnb;	/* kernel.msgmnb */
	__le32 msg_ctlmni;	/* kernel.msgmni */
	__le32 sem_ctls[4];	/* kernel.sem: semmsl, semmns, semopm, semmni */
	__le32 nr_shm;		/* SYSV_SHM objects after the SEM_ARRAYs */
};

/* The owner and permissions of a System V IPC object */
struct ckpt_ipc_perm {
	__le32 id;		/* msqid/semid, kept across restart */
	__le32 key;		/* 0: IPC_PRIVATE */
	__le32 uid;		/* owner */
	__le32 gid;
	__le32 cuid;		/* creator */
	__le32 cgid;
	__le32 mode;		/* 0777 bits */
	__le32 __pad;
};

/* MSG_QUEUE: a message queue, followed by qnum MSG records, oldest first */
struct ckpt_msg_queue {
	struct ckpt_ipc_perm perm;
	__le64 stime;		/* last msgsnd(2), seconds since the epoch */
	__le64 rtime;		/* last msgrcv(2) */
	__le64 ctime;		/* last change */
	__le64 qbytes;		/* byte limit of the queue */
	__le64 qnum;		/* messages that follow */
};

/* MSG: one message of the queue before it */
struct ckpt_msg {
	__le64 mtype;		/* > 0; after an MQUEUE: the priority */
	__le64 len;		/* bytes of text that follow */
};

/*
 * MQ_NS: after the System V objects of the tasks' IPC namespace, its POSIX
 * message queues: the fs.mqueue sysctls, then nr_queues MQUEUE records.
 */
struct ckpt_mq_ns {
	__le32 nr_queues;	/* 0..CKPT_MQ_MAX_QUEUES */
	__le32 queues_max;	/* fs.mqueue.queues_max */
	__le32 msg_max;		/* fs.mqueue.msg_max */
	__le32 msgsize_max;	/* fs.mqueue.msgsize_max */
	__le32 msg_default;	/* fs.mqueue.msg_default */
	__le32 msgsize_default;	/* fs.mqueue.msgsize_default */
};

#define CKPT_MQ_MAX_QUEUES	4096

/*
 * MQUEUE: one queue, followed by its name (name_len bytes with the NUL)
 * and then by curmsgs MSG records in the order mq_receive(3) would
 * return them (highest priority first, oldest first within one).
 */
struct ckpt_mqueue {
	__le32 uid;		/* owner, in the caller's user namespace */
	__le32 gid;
	__le32 mode;		/* the 0777 bits */
	__le32 name_len;	/* 2..NAME_MAX + 1 */
	__le64 maxmsg;		/* mq_attr */
	__le64 msgsize;
	__le64 curmsgs;		/* MSG records that follow */
	__le32 notify_pid;	/* mq_notify(3) owner in the TREE, or 0 */
	__le32 notify;		/* its SIGEV_NONE or SIGEV_SIGNAL */
	__le32 notify_signo;	/* SIGEV_SIGNAL: the signal */
	__le32 __pad;
	__le64 notify_value;	/* SIGEV_SIGNAL: sigev_value */
};

/* SEM_ARRAY: a semaphore set */
struct ckpt_sem_array {
	struct ckpt_ipc_perm perm;
	__le64 otime;		/* last semop(2), seconds since the epoch */
	__le64 ctime;		/* last change */
	__le32 nsems;
	__le32 __pad;
	/* followed by nsems __le16 values (0..32767), zero-padded */
};

/*
 * SEM_UNDO: after a process's PROCESS record, one per semaphore set it
 * has SEM_UNDO adjustments for (its threads share them).
 */
struct ckpt_sem_undo {
	__le32 semid;
	__le32 nsems;		/* that of the set */
	/* followed by nsems __le16 adjustments (signed), zero-padded */
};

/* Restart kinds (struct ckpt_task.restart_kind) */
#define CKPT_RESTART_NONE	0	/* no restart_block in use */
#define CKPT_RESTART_NANOSLEEP	1	/* nanosleep(2), clock_nanosleep(2) */
#define CKPT_RESTART_FUTEX	2	/* futex(2) wait with a timeout */
#define CKPT_RESTART_POLL	3	/* poll(2) */
#define CKPT_RESTART_EINTR	4	/* other: the syscall returns -EINTR */

/* nanosleep rmtp kinds (struct ckpt_task.restart.nanosleep.type) */
#define CKPT_TT_NONE		0
#define CKPT_TT_NATIVE		1

/* TASK flags */
#define CKPT_TASK_NO_NEW_PRIVS	(1U << 0)	/* prctl(PR_SET_NO_NEW_PRIVS) */

/* TASK: per-task state; the objects it names come before it */
struct ckpt_task {
	__le32 pid;		/* as in the TREE entry */
	__le32 cred_ref;
	__le32 mm_ref;
	__le32 files_ref;
	__le32 fs_ref;
	__le32 sighand_ref;
	__le32 exit_signal;
	__le32 pdeath_signal;
	__le32 personality;
	__le32 flags;		/* CKPT_TASK_* */
	__le64 blocked;		/* blocked signals; bit n-1 is signal n */
	__le64 saved_sigmask;	/* reserved, 0 */
	__le64 clear_child_tid;	/* set_tid_address(2) */
	__le64 robust_list;	/* set_robust_list(2) head */
	__le64 robust_list_len;
	char comm[16];		/* NUL-padded */
	__le64 rseq;		/* rseq(2) area, 0 if none registered */
	__le32 rseq_len;
	__le32 rseq_sig;
	__le32 seccomp_mode;	/* SECCOMP_MODE_DISABLED, _STRICT or _FILTER */
	__le32 seccomp_ref;	/* SECCOMP_MODE_FILTER: the newest filter (SECCOMP) */
	__le32 restart_kind;	/* CKPT_RESTART_* */
	__le32 __pad;
	union {
		struct {
			__le32 clockid;
			__le32 type;		/* CKPT_TT_* */
			__le64 rmtp;		/* user pointer */
			__le64 expires_ns;	/* absolute, on clockid */
		} nanosleep;
		struct {
			__le64 uaddr;
			__le32 val;
			__le32 flags;		/* FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME */
			__le32 bitset;
			__le32 __pad;
			__le64 expires_ns;	/* absolute */
		} futex;
		struct {
			__le64 ufds;		/* user pointer */
			__le32 nfds;
			__le32 has_timeout;
			__le64 tv_sec;
			__le64 tv_nsec;
		} poll;
		__u8 __size[32];
	} restart;
};

/* PROCESS flags */
#define CKPT_PROCESS_SUBREAPER	(1U << 0)	/* prctl(PR_SET_CHILD_SUBREAPER) */

#define CKPT_RLIM_NLIMITS	16	/* RLIMIT_CPU .. RLIMIT_RTTIME */

struct ckpt_rlimit {
	__le64 cur;		/* ~0: RLIM_INFINITY */
	__le64 max;
};

/* PROCESS: what the threads of a process share; after its leader's TASK */
struct ckpt_process {
	__le32 flags;		/* CKPT_PROCESS_* */
	__le32 nr_rlimits;	/* CKPT_RLIM_NLIMITS */
	struct ckpt_rlimit rlim[CKPT_RLIM_NLIMITS];
	__le32 ctty_ref;	/* PTY whose slave is its controlling terminal, or 0 */
	__le32 ctty_pgrp;	/* session leader: that terminal's foreground group */
};

/*
 * SECCOMP: one seccomp filter (classic BPF, as given to seccomp(2)).  A
 * task's filters form a chain from the newest to the first installed;
 * filters inherited across fork or clone are shared objects.
 */
struct ckpt_seccomp {
	__le32 objref;
	__le32 prev_ref;	/* the filter installed before it, 0 if none */
	__le32 flags;		/* CKPT_SECCOMP_* it was installed with */
	__le32 len;		/* instructions that follow, 1 to 4096 */
	/* followed by len struct ckpt_sock_filter */
};

/* SECCOMP flags */
#define CKPT_SECCOMP_LOG	(1U << 1)	/* SECCOMP_FILTER_FLAG_LOG */

/* One classic BPF instruction (struct sock_filter), little-endian */
struct ckpt_sock_filter {
	__le16 code;
	__u8 jt;
	__u8 jf;
	__le32 k;
};

/* CRED: ids as seen in the checkpointing user namespace */
struct ckpt_cred {
	__le32 objref;
	__le32 uid, euid, suid, fsuid;
	__le32 gid, egid, sgid, fsgid;
	__le32 securebits;
	__le64 cap_inheritable;
	__le64 cap_permitted;
	__le64 cap_effective;
	__le64 cap_bset;
	__le64 cap_ambient;
	__le32 ngroups;
	__le32 __pad;
	/* followed by ngroups __le32 gids, padded to 8 bytes */
};

/* MM: the address space; followed by nr_vmas VMA, then PAGES..., MM_END */
struct ckpt_mm {
	__le32 objref;
	__le32 nr_vmas;
	__le32 exe_file_ref;	/* FILE of /proc/PID/exe, 0 if none */
	__le32 flags;		/* CKPT_MM_* */
	__le64 start_code, end_code, start_data, end_data;
	__le64 start_brk, brk, start_stack;
	__le64 arg_start, arg_end, env_start, env_end;
	__le64 mmap_base;
	__le64 vdso;		/* start of the vDSO text, 0 if none */
	__le32 dumpable;	/* SUID_DUMP_* */
	__le32 vdso_crc;	/* crc32c of the vDSO text, to detect another kernel's */
	__le32 saved_auxv_len;	/* entries (u64 words) of saved_auxv, even */
	__le32 __pad;
	__le64 saved_auxv[64];
};

/* MM flags: mlockall(2) state of the address space */
#define CKPT_MM_MLOCK_FUTURE	(1U << 0)	/* MCL_FUTURE */
#define CKPT_MM_MLOCK_ONFAULT	(1U << 1)	/* MCL_ONFAULT, with MCL_FUTURE */

/* VMA kinds */
#define CKPT_VMA_ANON		1	/* private anonymous (heap, stack, mmap) */
#define CKPT_VMA_FILE		2	/* private file mapping; file_ref names it */
#define CKPT_VMA_VDSO		3	/* the vDSO text */
#define CKPT_VMA_VVAR		4	/* the vDSO data pages */
#define CKPT_VMA_SHARED_FILE	5	/* MAP_SHARED file mapping; file_ref names it */
#define CKPT_VMA_SHMEM		6	/* shared anonymous memory; file_ref names the SHMEM */
#define CKPT_VMA_SYSV_SHM	7	/* shmat() of the SYSV_SHM file_ref names */

/* VMA flags */
#define CKPT_VMA_READ		(1U << 0)
#define CKPT_VMA_WRITE		(1U << 1)
#define CKPT_VMA_EXEC		(1U << 2)
#define CKPT_VMA_GROWSDOWN	(1U << 3)
#define CKPT_VMA_NORESERVE	(1U << 4)
#define CKPT_VMA_HUGEPAGE	(1U << 5)	/* MADV_HUGEPAGE */
#define CKPT_VMA_NOHUGEPAGE	(1U << 6)	/* MADV_NOHUGEPAGE */
#define CKPT_VMA_DONTFORK	(1U << 7)	/* MADV_DONTFORK */
#define CKPT_VMA_WIPEONFORK	(1U << 8)	/* MADV_WIPEONFORK */
#define CKPT_VMA_DONTDUMP	(1U << 9)	/* MADV_DONTDUMP */
#define CKPT_VMA_LOCKED		(1U << 10)	/* mlock(2), MAP_LOCKED */
#define CKPT_VMA_LOCKONFAULT	(1U << 11)	/* mlock2(MLOCK_ONFAULT), with LOCKED */

struct ckpt_vma {
	__le64 start;
	__le64 end;
	__le64 pgoff;		/* in pages, for FILE, SHARED_FILE and SHMEM */
	__le32 kind;		/* CKPT_VMA_* kind */
	__le32 flags;		/* CKPT_VMA_* flags */
	__le32 file_ref;	/* the FILE, SHMEM or SYSV_SHM mapped */
	__le32 cow_mm_ref;	/* ANON: see below; 0 for other kinds */
};

/*
 * ckpt_vma.cow_mm_ref: the MM, written earlier in the image, that this
 * private anonymous mapping was forked from (they share an anon_vma
 * root): restart links the new mapping to the MM's mapping at the same
 * address as fork() does, so that PAGES_COW records can share its pages.
 * 0: none.
 */

/*
 * PAGES: nr_pages consecutive pages starting at addr, all inside one VMA,
 * followed by nr_pages * page_size bytes of contents.  Pages never written
 * by the task (holes, the zero page, unmodified file pages) are not saved.
 */
struct ckpt_pages {
	__le64 addr;
	__le32 nr_pages;	/* 1..CKPT_PAGES_MAX */
	__le32 __pad;
};

/*
 * PAGES_CRC: right after a PAGES record of an MM in an image written with
 * CHECKPOINT_LAZY, marked CKPT_REC_OPTIONAL: the CRC-32C of that record's
 * page contents alone (~crc32c(~0, data)).  restart(2) with RESTART_LAZY
 * skips the contents of PAGES records that have one: it checks the
 * trailer's CRC with it instead of the data, and each run of pages when
 * a task first touches it, against it.
 */
struct ckpt_pages_crc {
	__le32 crc;
	__le32 __pad;
};

/*
 * PAGES_COW: nr_pages consecutive pages starting at addr, inside one
 * CKPT_VMA_ANON VMA, are the very pages at the same addresses in mm_ref,
 * an MM written earlier in the image (a parent and a child sharing them
 * copy-on-write since fork()): their contents are that MM's, written once.
 * Restart maps them copy-on-write in both, as fork() does, when the VMA
 * was linked to that MM's (ckpt_vma.cow_mm_ref) and copies them
 * otherwise.  PAGES and PAGES_COW records of an MM go up together: each
 * starts at or above the end of the one before.
 */
struct ckpt_pages_cow {
	__le64 addr;
	__le32 nr_pages;	/* 1..CKPT_PAGES_COW_MAX */
	__le32 mm_ref;		/* an MM other than this one */
};

#define CKPT_PAGES_COW_MAX	(1U << 20)	/* 4 GiB of 4 KiB pages */

/*
 * PAGES_PARENT: in an incremental image, nr_pages consecutive pages
 * starting at addr, inside one CKPT_VMA_ANON or CKPT_VMA_FILE VMA, were
 * not written since the parent image (CHAIN.parent) was taken: their
 * contents are those at the same addresses of that image's MM mm_ref,
 * which may itself refer to its own parent.  They go up with the PAGES
 * and PAGES_COW records of the MM.
 */
struct ckpt_pages_parent {
	__le64 addr;
	__le32 nr_pages;	/* 1..CKPT_PAGES_COW_MAX */
	__le32 mm_ref;		/* an MM of the parent image */
};

/*
 * PAGES_FILE: where a PAGES record may be, nr_pages consecutive pages
 * starting at addr whose contents are not in the image but in a regular
 * file the caller of restart(2) gives (CKPT_EXT_PAGES, key "pages:N" for
 * file N), from offset on, with their CRC-32C (~crc32c(~0, contents)).
 * checkpoint(2) never writes one: `ckpt` does, to restart a chain of
 * images, or the rounds of a migration, without copying their pages into
 * one image.  restart(2) reads the pages with its caller's credentials
 * and checks them; with RESTART_LAZY, on first touch, as the contents of
 * a PAGES record with a PAGES_CRC.  They go up with the PAGES and
 * PAGES_COW records of the MM.
 */
struct ckpt_pages_file {
	__le64 addr;
	__le64 offset;		/* of the first page's contents in the file */
	__le32 nr_pages;	/* 1..CKPT_PAGES_MAX */
	__le32 crc;
	__le32 file;		/* N: CKPT_EXT_PAGES "pages:N" */
	__le32 __pad;
};

struct ckpt_mm_end {
	__le64 nr_pages;	/* pages of PAGES, PAGES_COW, PAGES_PARENT, PAGES_FILE */
};

/*
 * FILE kinds (struct ckpt_file.kind).  The numbers are ABI and never
 * reused; the names are used by the kernel's log and by `ckpt show`.
 *
 * REG		regular file, reopened by path
 * DIR		directory, reopened by path
 * CHR		character device, by path, rdev checked
 * TTY		terminal: the restart caller's is used
 * PIPE		an end of a pipe: obj_ref names its PIPE
 * FIFO		a FIFO, reopened by path; obj_ref names its PIPE
 * UNLINKED	unlinked regular file: path of its directory
 * EVENTFD, TIMERFD, SIGNALFD, EPOLL, INOTIFY: anonymous-inode files, no
 *		path (path_len 0); the FILE record is followed by the record
 *		of the kind (EVENTFD, TIMERFD, SIGNALFD, EPOLL, INOTIFY)
 * MEMFD	memfd_create(2); path "/memfd:NAME", then SHMEM; another
 *		open file of the same memfd (reopened through
 *		/proc/PID/fd) has obj_ref naming the first one's FILE and
 *		no SHMEM
 * PTY_MASTER	master of a pty pair (obj_ref: its PTY)
 * PTY_SLAVE	slave of a pty pair (obj_ref: its PTY)
 * MQUEUE	a POSIX message queue: path "/NAME", its name in the IPC
 *		namespace of the tasks
 * PROC_PID	a file or directory under /proc/PID of a task of the image,
 *		reopened by path once that task exists; ino is the task's
 *		pid (TREE numbering), which the path names too
 * TTY_HUNGUP	a terminal that was hung up (vhangup(), its session leader's
 *		exit, its pty master closed): no path; restart makes a file
 *		that behaves so, the slave of a new pty pair hung up
 */
#define __CKPT_FILE_MAPPER(FN)		\
	FN(REG,		1)		\
	FN(DIR,		2)		\
	FN(CHR,		3)		\
	FN(TTY,		4)		\
	FN(PIPE,	5)		\
	FN(FIFO,	6)		\
	FN(UNLINKED,	7)		\
	FN(EVENTFD,	9)		\
	FN(TIMERFD,	10)		\
	FN(SIGNALFD,	11)		\
	FN(EPOLL,	12)		\
	FN(INOTIFY,	13)		\
	FN(MEMFD,	14)		\
	FN(PTY_MASTER,	16)		\
	FN(PTY_SLAVE,	17)	\
	FN(UNIX,	18)		\
	FN(INET,	19)		\
	FN(NETLINK,	20)		\
	FN(MQUEUE,	21)		\
	FN(PROC_PID,	22)		\
	FN(TTY_HUNGUP,	23)

enum ckpt_file_kind {
#define __CKPT_FILE_ENUM(name, nr) CKPT_FILE_##name = nr,
	__CKPT_FILE_MAPPER(__CKPT_FILE_ENUM)
#undef __CKPT_FILE_ENUM
	__CKPT_FILE_NR,
};

/*
 * FILE: an open file description.  The first CKPT_FILE_UNLINKED file of an
 * inode is followed by FILE_DATA records with its contents; another open
 * file of the same inode names that FILE in obj_ref instead.
 */
struct ckpt_file {
	__le32 objref;
	__le32 kind;		/* CKPT_FILE_* */
	__le32 f_flags;		/* O_* flags (O_CLOEXEC is per fd) */
	__le32 mode;		/* st_mode */
	__le64 pos;
	__le64 size;
	__le64 mtime_sec;
	__le32 mtime_nsec;
	__le32 rdev;		/* new_encode_dev() of st_rdev */
	__le64 ino;
	__le32 fd_hint;		/* lowest fd that referred to it, or -1 */
	__le32 path_len;	/* bytes of path, including the NUL; 0 for a pipe */
	__le32 obj_ref;		/* the object behind the file (PIPE, PTY, FILE), or 0 */
	__le32 path_shared;	/* version 1: 0; see below */
	/* followed by the path, NUL-terminated, padded to 8 bytes */
};

/*
 * From format version 2 on, path_shared is how many leading bytes of the
 * path are those of the last FILE record before it that has a path; the
 * record holds only the rest, path_len - path_shared bytes with the NUL.
 * path_len remains the length of the whole path.
 */

/*
 * INODE_ATTR: right after the FILE of the first open file of an unlinked
 * inode (kind UNLINKED, obj_ref 0), before its FILE_DATA and TMPFS_XATTR
 * records: the owner and times that restart gives the new inode.  Also
 * right after a PTY record: the slave's /dev/pts node.  Images of earlier
 * kernels have it without mode (32 bytes): an unlinked file's mode is its
 * FILE's.
 */
struct ckpt_inode_attr {
	__le32 uid;		/* in the caller's user namespace */
	__le32 gid;
	__le64 atime_sec;
	__le64 mtime_sec;
	__le32 atime_nsec;
	__le32 mtime_nsec;
	__le32 mode;		/* permission bits (07777) */
	__le32 __pad;
};

/*
 * FOWN: after a FILE and the records of its kind, when the file has
 * O_ASYNC set, an owner (F_SETOWN, F_SETOWN_EX) or a signal (F_SETSIG).
 * The owner is a task, process or process group of the image, in TREE
 * numbering; restart gives it back once every task exists, as the owner
 * would with fcntl(2), and enables O_ASYNC again on descriptor fd (the
 * si_fd of the signals to come).
 */
#define CKPT_FOWN_ASYNC		(1U << 0)	/* O_ASYNC is set */

struct ckpt_fown {
	__le32 pid;		/* 0: no owner */
	__le32 type;		/* F_OWNER_TID, F_OWNER_PID or F_OWNER_PGRP */
	__le32 signum;		/* F_SETSIG; 0: SIGIO */
	__le32 fd;		/* the descriptor of O_ASYNC (lowest one) */
	__le32 flags;		/* CKPT_FOWN_* */
	__le32 __pad;
};

/* PTY flags */
#define CKPT_PTY_PACKET		(1U << 0)	/* TIOCPKT on the master */
#define CKPT_PTY_LOCKED		(1U << 1)	/* the slave is locked (no unlockpt() yet) */
#define CKPT_PTY_ORPHAN		(1U << 2)	/* the master was outside: CKPT_EXT_PTY */

/* struct ktermios, without the line discipline (always N_TTY) */
struct ckpt_termios {
	__le32 c_iflag, c_oflag, c_cflag, c_lflag;
	__le32 c_ispeed, c_ospeed;
	__u8 c_cc[19];		/* NCCS */
	__u8 __pad[5];
};

/*
 * PTY: a UNIX98 pty pair whose master is open in the tree, defined before
 * the FILE records of its master and slaves.  Restart opens a new pair on
 * the same ptmx path; the slave may get another index.
 */
struct ckpt_pty {
	__le32 objref;
	__le32 index;		/* /dev/pts/N of the slave at checkpoint */
	__le32 flags;		/* CKPT_PTY_* */
	__le32 path_len;	/* bytes of the ptmx path, including the NUL */
	__le16 ws_row, ws_col, ws_xpixel, ws_ypixel;
	struct ckpt_termios termios;	/* the slave's */
	/* followed by the ptmx path, NUL-terminated, padded to 8 bytes */
};

/* FILES: a file descriptor table */
#define CKPT_FD_CLOEXEC		(1U << 0)

struct ckpt_fd {
	__le32 fd;
	__le32 file_ref;
	__le32 flags;		/* CKPT_FD_* */
	__le32 __pad;
};

/* FILES entries from format version 2 on: CKPT_FD2_CLOEXEC is in fd */
#define CKPT_FD2_CLOEXEC	(1U << 31)

struct ckpt_fd2 {
	__le32 fd;
	__le32 file_ref;
};

struct ckpt_files {
	__le32 objref;
	__le32 nr_fds;
	/*
	 * followed by nr_fds struct ckpt_fd (version 1) or struct ckpt_fd2
	 * (version 2), in increasing fd order
	 */
};

/*
 * FS: cwd, root and umask.  Both paths are as the checkpointing caller
 * sees them (from its root); a root of "/" is the caller's own.
 */
struct ckpt_fs {
	__le32 objref;
	__le32 umask;
	__le32 cwd_len;		/* bytes of the cwd path, including the NUL */
	__le32 root_len;	/* bytes of the root path, including the NUL */
	/* followed by the cwd path, then the root path, NUL-terminated, padded to 8 bytes */
};

/* SIGHAND: handlers of signals 1..64 */
struct ckpt_sigaction {
	__le64 handler;		/* SIG_DFL = 0, SIG_IGN = 1, else a user address */
	__le64 flags;		/* SA_* */
	__le64 restorer;
	__le64 mask;
};

struct ckpt_sighand {
	__le32 objref;
	__le32 nr;		/* 64 */
	struct ckpt_sigaction action[64];
};

/*
 * SIGPENDING: the queued signals of one task (shared == 0) or of its
 * thread group (shared == 1), oldest first; each entry is a siginfo_t in
 * the user ABI layout of the architecture (128 bytes).
 */
struct ckpt_sigpending {
	__le32 shared;
	__le32 nr;
	/* followed by nr 128-byte siginfo_t */
};

/* X86_REGS: general-purpose registers of one task */
struct ckpt_x86_regs {
	__le64 r15, r14, r13, r12, bp, bx, r11, r10;
	__le64 r9, r8, ax, cx, dx, si, di, orig_ax;
	__le64 ip, cs, flags, sp, ss;
	__le64 fs_base, gs_base;
	__le64 ds, es, fs, gs;
};

/*
 * X86_XSTATE: the task's XSAVE area in the standard (non-compacted) format
 * that ptrace's NT_X86_XSTATE regset uses; xfeatures is the XCR0 it was
 * saved under.  With CKPT_X86_XSTATE_PACKED, only the components the task
 * uses are there: the legacy area and the XSAVE header (576 bytes), then
 * each component set in XSTATE_BV, in increasing order, of its
 * architectural size (CPUID 0xd), without gaps; size is their sum.
 * Without it, size is the header's xstate_size.
 */
struct ckpt_x86_xstate {
	__le64 xfeatures;
	__le32 size;		/* bytes of XSAVE area that follow */
	__le32 flags;		/* CKPT_X86_XSTATE_* */
	/* followed by size bytes, padded to 8 */
};

#define CKPT_X86_XSTATE_PACKED	(1U << 0)

/*
 * PIPE: the buffer of a pipe or FIFO, which the files of its ends share;
 * before the first FILE that names it.  Followed by FILE_DATA records
 * holding the data_len bytes buffered, oldest first.
 */
struct ckpt_pipe {
	__le32 objref;
	__le32 capacity;	/* bytes, as F_GETPIPE_SZ returns */
	__le32 data_len;	/* bytes buffered, at most capacity */
	__le32 path_len;	/* FIFO: bytes of its path, including the NUL; pipe: 0 */
	/* followed by the path, NUL-terminated, padded to 8 bytes */
};

/* UNIX_SK states */
#define CKPT_UNIX_UNCONNECTED	0
#define CKPT_UNIX_LISTEN	1
#define CKPT_UNIX_CONNECTED	2

/* UNIX_SK flags */
#define CKPT_UNIX_BOUND		(1U << 0)	/* it holds its address: path_len or abstract */
#define CKPT_UNIX_EMBRYO	(1U << 1)	/* a connection to listener_ref, not accepted */
#define CKPT_UNIX_PEER_LATER	(1U << 2)	/* a later UNIX_SK names it in peer_ref */
#define CKPT_UNIX_PEER_NAME	(1U << 3)	/* DGRAM: connected by name to peer_name */
#define CKPT_UNIX_PEER_GONE	(1U << 4)	/* its peer was closed */
#define CKPT_UNIX_PASSCRED	(1U << 5)	/* SO_PASSCRED */
#define CKPT_UNIX_PASSPIDFD	(1U << 6)	/* SO_PASSPIDFD */
#define CKPT_UNIX_SNDBUF_LOCK	(1U << 7)	/* SO_SNDBUF was set */
#define CKPT_UNIX_RCVBUF_LOCK	(1U << 8)	/* SO_RCVBUF was set */
#define CKPT_UNIX_PEERCRED	(1U << 9)	/* cred_* hold SO_PEERCRED */
/* BOUND to a file since unlinked: path is its directory's, ending with '/' */
#define CKPT_UNIX_UNLINKED	(1U << 10)
/*
 * CONNECTED to a socket outside the tree (CHECKPOINT_EXT_UNIX_SK): the
 * peer's name in the record is the key restart finds the caller's
 * replacement by ("socket:[INO]", INO the inode of this socket)
 */
#define CKPT_UNIX_EXTERNAL	(1U << 11)
#define CKPT_UNIX_ALL		((1U << 12) - 1)

/*
 * UNIX_SK: an AF_UNIX socket, before the FILE (kind UNIX) that names it,
 * or a connection queued on a listening socket and not accepted yet
 * (EMBRYO).  Of the two ends of a connection the first one written has
 * PEER_LATER; the second names it in peer_ref and carries the data queued
 * on both: nr_skbs UNIX_SKB records for its own receive queue, then
 * nr_peer_skbs for the first one's.  Followed by the socket's address
 * (addr_len bytes of sun_path: a path, or a NUL and an abstract name),
 * the path to bind it to again (BOUND path sockets: absolute, with its
 * NUL), and the address a DGRAM socket is connected to (PEER_NAME) or the
 * key of an EXTERNAL one, padded to 8 bytes.
 */
struct ckpt_unix_sk {
	__le32 objref;
	__le32 type;		/* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET */
	__le32 state;		/* CKPT_UNIX_UNCONNECTED, _LISTEN or _CONNECTED */
	__le32 flags;		/* CKPT_UNIX_* */
	__le32 peer_ref;	/* an earlier UNIX_SK with PEER_LATER, or 0 */
	__le32 listener_ref;	/* EMBRYO: its listening UNIX_SK */
	__le32 backlog;		/* LISTEN: sk_max_ack_backlog */
	__le32 shutdown;	/* 1: no more receives, 2: no more sends */
	__le32 err;		/* pending SO_ERROR (positive), or 0 */
	__le32 sndbuf;		/* SO_SNDBUF as getsockopt(2) returns it */
	__le32 rcvbuf;		/* SO_RCVBUF */
	__le32 peek_off;	/* SO_PEEK_OFF, -1 if off */
	__le32 nr_skbs;
	__le32 nr_peer_skbs;
	__le32 addr_len;	/* bytes of sun_path getsockname(2) returns, 0 if none */
	__le32 path_len;	/* BOUND to a path: bytes of it with the NUL, else 0 */
	__le32 peer_name_len;	/* PEER_NAME: bytes of the peer's sun_path */
	__le32 cred_pid;	/* PEERCRED: SO_PEERCRED's pid in the tasks' pid */
	__le32 cred_uid;	/*   namespace (0: not in it), uid and gid as the */
	__le32 cred_gid;	/*   checkpointing caller sees them */
};

#define CKPT_UNIX_SKB_MAX	(1U << 22)	/* bytes of one message */

/* UNIX_SKB flags */
#define CKPT_UNIX_SKB_CREDS	(1U << 0)	/* SCM_CREDENTIALS: pid, uid, gid */
#define CKPT_UNIX_SKB_FROM_PEER	(1U << 1)	/* DGRAM: sent by the socket's peer */

/*
 * UNIX_SKB: one message queued on a UNIX socket, oldest first (a STREAM
 * socket's bytes may be cut anywhere, its descriptors going with the
 * first part).  Followed by nr_fds __le32 objrefs of the FILEs in flight
 * (SCM_RIGHTS), defined before the socket's FILE, then len bytes of
 * data, then addr_len bytes of the sender's sun_path (DGRAM, unless
 * FROM_PEER), padded to 8 bytes.
 */
struct ckpt_unix_skb {
	__le32 len;		/* 1..CKPT_UNIX_SKB_MAX (0 for an empty datagram) */
	__le32 flags;		/* CKPT_UNIX_SKB_* */
	__le32 pid;		/* CREDS: the sender in the tasks' pid namespace, or 0 */
	__le32 uid;		/* CREDS: as the checkpointing caller sees them */
	__le32 gid;
	__le32 addr_len;
	__le32 nr_fds;		/* 0..253 (SCM_MAX_FD) */
	__le32 __pad;
};

/* INET_SK states */
#define CKPT_INET_CLOSED	0	/* neither listening nor connected */
#define CKPT_INET_LISTEN	1	/* TCP */
#define CKPT_INET_CONNECTED	2	/* UDP: connect(2)ed */
#define CKPT_INET_STREAM	3	/* TCP: a connection, its TCP_STREAM follows */

/* INET_SK flags: options set with setsockopt(2) */
#define CKPT_INET_BOUND		(1U << 0)	/* bound to src and sport */
#define CKPT_INET_REUSEADDR	(1U << 1)
#define CKPT_INET_REUSEPORT	(1U << 2)
#define CKPT_INET_KEEPALIVE	(1U << 3)
#define CKPT_INET_NODELAY	(1U << 4)	/* TCP */
#define CKPT_INET_LINGER	(1U << 5)	/* linger seconds */
#define CKPT_INET_BROADCAST	(1U << 6)
#define CKPT_INET_V6ONLY	(1U << 7)
#define CKPT_INET_SNDBUF_LOCK	(1U << 8)
#define CKPT_INET_RCVBUF_LOCK	(1U << 9)
#define CKPT_INET_FREEBIND	(1U << 10)
#define CKPT_INET_CORK		(1U << 11)	/* TCP */
#define CKPT_INET_ALL		((1U << 12) - 1)

/*
 * INET_SK: a TCP or UDP socket over IPv4 or IPv6, right after its FILE
 * (kind INET), which has no path.  Addresses are in network order, an
 * IPv4 one in the first 4 bytes; ports in host order.  A listener is
 * followed by nr_queued connections not accepted yet, in the order
 * accept(2) takes them: each an INET_SK (state STREAM, no FILE) and its
 * TCP_STREAM; a UDP socket by nr_queued UDP_DGRAMs, in the order they
 * are read.
 */
struct ckpt_inet_sk {
	__le32 family;		/* AF_INET or AF_INET6 */
	__le32 type;		/* SOCK_STREAM or SOCK_DGRAM */
	__le32 protocol;	/* IPPROTO_TCP or IPPROTO_UDP */
	__le32 state;		/* CKPT_INET_* */
	__le32 flags;		/* CKPT_INET_* flags */
	__le32 backlog;		/* LISTEN: sk_max_ack_backlog */
	__le16 sport;		/* BOUND: local port */
	__le16 dport;		/* CONNECTED, STREAM: the peer's port */
	__le32 mark;		/* SO_MARK */
	__u8 src[16];		/* BOUND: local address */
	__u8 dst[16];		/* CONNECTED, STREAM: the peer's address */
	__le32 sndbuf;		/* SO_SNDBUF, set again with SNDBUF_LOCK */
	__le32 rcvbuf;		/* SO_RCVBUF, with RCVBUF_LOCK */
	__le32 linger;		/* LINGER: SO_LINGER's l_linger */
	__le32 keepidle;	/* TCP_KEEPIDLE, seconds; 0: the default */
	__le32 keepintvl;	/* TCP_KEEPINTVL, seconds; 0: the default */
	__le32 keepcnt;		/* TCP_KEEPCNT; 0: the default */
	__le32 tos;		/* IP_TOS or IPV6_TCLASS */
	__le32 ttl;		/* IP_TTL or IPV6_UNICAST_HOPS; -1: the default */
	char dev[16];		/* SO_BINDTODEVICE, NUL-padded; "" if none */
	__le32 nr_queued;	/* LISTEN: connections not accepted; UDP: datagrams */
	__le32 __pad;
};

/* TCP_STREAM flags: the options the two ends agreed on */
#define CKPT_TCP_WSCALE		(1U << 0)	/* window scaling */
#define CKPT_TCP_SACK		(1U << 1)	/* selective acknowledgments */
#define CKPT_TCP_TSTAMP		(1U << 2)	/* timestamps */
#define CKPT_TCP_ALL		((1U << 3) - 1)

/*
 * TCP_STREAM: a TCP connection, after the INET_SK (state STREAM) of its
 * socket: what TCP_REPAIR reads and sets.  state is the kernel's
 * (TCP_ESTABLISHED 1, TCP_FIN_WAIT1 4, TCP_FIN_WAIT2 5, TCP_CLOSE_WAIT 8,
 * TCP_LAST_ACK 9, TCP_CLOSING 11); it says whether a FIN was received
 * (CLOSE_WAIT, LAST_ACK, CLOSING: rcv_nxt counts it) and whether one was
 * sent after the send queue (FIN_WAIT1, FIN_WAIT2, LAST_ACK, CLOSING; in
 * FIN_WAIT2 snd_una counts it).  Followed by inq_len bytes not read yet,
 * then outq_len bytes not acknowledged yet, the last unsent_len of which
 * were not sent.  Sequence numbers are the connection's own.
 */
struct ckpt_tcp_stream {
	__le32 state;		/* TCP_ESTABLISHED ... TCP_CLOSING */
	__le32 flags;		/* CKPT_TCP_* */
	__le32 snd_una;		/* sequence number of the send queue's first byte */
	__le32 rcv_nxt;		/* the next one expected from the peer */
	__le32 inq_len;		/* received, not read: rcv_nxt - inq_len [- FIN] */
	__le32 outq_len;	/* sent (or queued), not acknowledged */
	__le32 unsent_len;	/* of outq_len, not sent yet */
	__le32 mss_clamp;	/* the peer's MSS */
	__u8 snd_wscale;	/* WSCALE: the peer's scale */
	__u8 rcv_wscale;	/* WSCALE: ours */
	__le16 __pad;
	__le32 timestamp;	/* TSTAMP: TCP_TIMESTAMP, the clock the peer sees */
	__le32 snd_wl1;		/* struct tcp_repair_window */
	__le32 snd_wnd;
	__le32 max_window;
	__le32 rcv_wnd;
	__le32 rcv_wup;
	__le32 user_mss;	/* TCP_MAXSEG set, or 0 */
	__le32 user_timeout;	/* TCP_USER_TIMEOUT, ms, or 0 */
	__le32 __pad2;
};

#define CKPT_UDP_DGRAM_MAX	65535	/* bytes of data in one UDP_DGRAM */

/*
 * UDP_DGRAM: a datagram queued on a UDP socket and not read yet, after
 * the socket's INET_SK: the addresses of its IP header (network order;
 * an IPv4 one in the first 4 bytes, also on an IPv6 socket, which reads
 * it as v4-mapped) and its ports, then len bytes of data.
 */
struct ckpt_udp_dgram {
	__le32 family;		/* AF_INET or AF_INET6: of the datagram */
	__le32 len;		/* 0..CKPT_UDP_DGRAM_MAX */
	__le16 sport;		/* the sender's port, host order */
	__le16 dport;		/* the port it was sent to */
	__le32 __pad;
	__u8 saddr[16];		/* the sender */
	__u8 daddr[16];		/* the address it was sent to */
};

/* NETLINK_SK flags: bound, and the SOL_NETLINK options set */
#define CKPT_NETLINK_BOUND		(1U << 0)
#define CKPT_NETLINK_PKTINFO		(1U << 1)
#define CKPT_NETLINK_BROADCAST_ERROR	(1U << 2)
#define CKPT_NETLINK_NO_ENOBUFS		(1U << 3)
#define CKPT_NETLINK_LISTEN_ALL_NSID	(1U << 4)
#define CKPT_NETLINK_CAP_ACK		(1U << 5)
#define CKPT_NETLINK_EXT_ACK		(1U << 6)
#define CKPT_NETLINK_GET_STRICT_CHK	(1U << 7)
#define CKPT_NETLINK_SNDBUF_LOCK	(1U << 8)
#define CKPT_NETLINK_RCVBUF_LOCK	(1U << 9)
#define CKPT_NETLINK_ALL		((1U << 10) - 1)

#define CKPT_NETLINK_GROUPS_MAX		4096	/* bits of groups in a record */

/*
 * NETLINK_SK: a netlink socket, right after its FILE (kind NETLINK).
 * Messages queued on it are not kept (a reply or notification is lost, as
 * when the receive buffer overflows); their number is in dropped.
 * Followed by nr_groups / 64 __le64 words: the multicast groups it is in,
 * group g being bit g - 1.
 */
struct ckpt_netlink_sk {
	__le32 protocol;	/* NETLINK_ROUTE, NETLINK_GENERIC, ... */
	__le32 type;		/* SOCK_RAW or SOCK_DGRAM */
	__le32 flags;		/* CKPT_NETLINK_* */
	__le32 portid;		/* BOUND: its port id */
	__le32 dst_portid;	/* connect(2)ed to: port id, or 0 */
	__le32 dst_group;	/* connect(2)ed to: group, or 0 */
	__le32 sndbuf;		/* with SNDBUF_LOCK */
	__le32 rcvbuf;		/* with RCVBUF_LOCK */
	__le32 nr_groups;	/* a multiple of 64, at most CKPT_NETLINK_GROUPS_MAX */
	__le32 dropped;		/* messages queued at checkpoint, not kept */
};

#define CKPT_FILE_DATA_MAX	65536	/* bytes in one FILE_DATA record */

/*
 * FILE_DATA: contents of a pipe (after its PIPE, offsets contiguous from 0)
 * or of an unlinked file (after its FILE, offsets increasing, holes left
 * out, within the file's size).
 */
struct ckpt_file_data {
	__le64 offset;
	__le32 len;		/* bytes that follow, 1..CKPT_FILE_DATA_MAX */
	__le32 __pad;
	/* followed by len bytes, padded to 8 bytes */
};

/* Lock kinds (struct ckpt_lock.kind) */
#define CKPT_LOCK_POSIX		1	/* fcntl(F_SETLK): owned by the file table */
#define CKPT_LOCK_OFD		2	/* fcntl(F_OFD_SETLK): owned by the open file */
#define CKPT_LOCK_FLOCK		3	/* flock(2): owned by the open file */

/* Lock types */
#define CKPT_LOCK_READ		1
#define CKPT_LOCK_WRITE		2

/*
 * LOCK: a lock held through a file of the FILES table right before it, by
 * that table's owner; re-taken at restart by the task restoring the table.
 */
struct ckpt_lock {
	__le32 fd;		/* in that table */
	__le32 kind;		/* CKPT_LOCK_POSIX, _OFD or _FLOCK */
	__le32 type;		/* CKPT_LOCK_READ or _WRITE */
	__le32 __pad;
	__le64 start;		/* POSIX, OFD: first byte */
	__le64 len;		/* POSIX, OFD: bytes, 0 up to any end; FLOCK: 0 */
};

/* EVENTFD flags */
#define CKPT_EFD_SEMAPHORE	(1U << 0)	/* EFD_SEMAPHORE */

/* EVENTFD: after a FILE of kind CKPT_FILE_EVENTFD */
struct ckpt_eventfd {
	__le64 count;		/* the counter, below 2^64 - 1 */
	__le32 flags;		/* CKPT_EFD_* */
	__le32 __pad;
};

/* TIMERFD flags */
#define CKPT_TFD_ABSTIME	(1U << 0)	/* was set with TFD_TIMER_ABSTIME */

/*
 * TIMERFD: after a FILE of kind CKPT_FILE_TIMERFD.  The time left is
 * relative to the checkpoint and is armed relative to the restart.
 */
struct ckpt_timerfd {
	__le32 clockid;		/* CLOCK_REALTIME, _MONOTONIC or _BOOTTIME */
	__le32 flags;		/* CKPT_TFD_*, informational */
	__le64 value_ns;	/* time left before the next expiry, 0: disarmed */
	__le64 interval_ns;	/* 0: one-shot */
	__le64 ticks;		/* expirations not read yet */
};

/* SIGNALFD: after a FILE of kind CKPT_FILE_SIGNALFD */
struct ckpt_signalfd {
	__le64 mask;		/* accepted signals; bit n-1 is signal n */
};

/* One item of an epoll interest list */
struct ckpt_epoll_item {
	__le32 file_ref;	/* the target FILE, defined before */
	__le32 fd;		/* the descriptor number it was added under */
	__le32 events;		/* EPOLL* events and flags (EPOLLET, ...) */
	__le32 __pad;
	__le64 data;
};

/*
 * EPOLL: after a FILE of kind CKPT_FILE_EPOLL; the target FILEs come
 * before that FILE.
 */
struct ckpt_epoll {
	__le32 nr_items;
	__le32 __pad;
	/* followed by nr_items struct ckpt_epoll_item */
};

/* One watch of an inotify instance */
struct ckpt_inotify_watch {
	__le32 wd;		/* its watch descriptor, kept */
	__le32 mask;		/* IN_* events, IN_ONESHOT, IN_EXCL_UNLINK */
	__le64 ino;		/* inode number, checked at restart */
	__le32 path_len;	/* bytes of the path, including the NUL */
	__le32 __pad;
	/* followed by the path, NUL-terminated, padded to 8 bytes */
};

/*
 * INOTIFY: after a FILE of kind CKPT_FILE_INOTIFY.  Events queued but not
 * read are not saved.
 */
struct ckpt_inotify {
	__le32 nr_watches;
	__le32 next_wd;		/* the watch descriptor the next watch gets */
	/* followed by nr_watches struct ckpt_inotify_watch, each with its path */
};

/*
 * SHMEM: the contents of a shmem (tmpfs) file that has no path: shared
 * anonymous memory (an object, referred to by CKPT_VMA_SHMEM VMAs), or the
 * contents of the record just before it (objref 0): a FILE of kind
 * CKPT_FILE_MEMFD or a SYSV_SHM.  Followed by PAGES records whose addr is a
 * byte offset in the file (increasing, below size), then SHMEM_END.
 */
struct ckpt_shmem {
	__le32 objref;		/* 0: the contents of the memfd or segment before */
	__le32 seals;		/* memfd: F_SEAL_* (F_SEAL_SEAL unless MFD_ALLOW_SEALING) */
	__le64 size;		/* i_size, bytes */
};

struct ckpt_shmem_end {
	__le64 nr_pages;	/* PAGES pages written for this SHMEM */
};

/*
 * SYSV_SHM: a SysV shared memory segment, created again in the restoring
 * task's IPC namespace with the same id; followed by its contents (SHMEM
 * with objref 0).  Ids are as seen in the checkpointing user namespace.
 */
struct ckpt_sysv_shm {
	__le32 objref;
	__le32 id;		/* shmid */
	__le32 key;
	__le32 mode;		/* permission bits (0777) */
	__le32 uid, gid;	/* owner */
	__le32 cuid, cgid;	/* creator */
	__le64 size;		/* shm_segsz, bytes */
};

/*
 * SIGALTSTACK: after the TASK (and PROCESS) of a task that has an
 * alternate signal stack (sigaltstack(2)); a task without one has no such
 * record.  While a handler runs on a stack set with SS_AUTODISARM the
 * stack is disarmed and sigreturn restores it from the signal frame.
 */
struct ckpt_sigaltstack {
	__le64 sp;		/* ss_sp */
	__le64 size;		/* ss_size, at least MINSIGSTKSZ */
	__le32 flags;		/* 0 or SS_ONSTACK, optionally | SS_AUTODISARM */
	__le32 __pad;
};

/* One interval timer: time left and reload value, 0 when disarmed */
struct ckpt_itimer {
	__le64 value_ns;	/* time left until it fires, relative */
	__le64 interval_ns;	/* reload value, 0 for a one-shot timer */
};

/* struct ckpt_sched.flags */
#define CKPT_SCHED_RESET_ON_FORK 0x1	/* SCHED_RESET_ON_FORK */

#define CKPT_SCHED_MAX_CPUS	8192	/* bits of an affinity mask */

/*
 * SCHED: a thread's scheduling, after its timers (ITIMERS...CPUTIME) and
 * before its X86_REGS; an image without one (from before it was kept)
 * leaves the restored thread as restart made it.  Followed by the CPU
 * affinity mask, nr_cpus bits in little-endian 64-bit words, the bits
 * past nr_cpus zero.  Restart sets the policy, priority and nice value as
 * sched_setattr(2) would (raising them needs CAP_SYS_NICE, or
 * RLIMIT_NICE/RLIMIT_RTPRIO), the affinity as sched_setaffinity(2)
 * within the CPUs the thread's cpuset allows, the I/O priority as
 * ioprio_set(2), the timer slack as prctl(PR_SET_TIMERSLACK).
 */
struct ckpt_sched {
	__le32 policy;		/* SCHED_NORMAL, _BATCH, _IDLE, _FIFO, _RR or _DEADLINE */
	__le32 flags;		/* CKPT_SCHED_* */
	__le32 nice;		/* -20..19, as a signed 32-bit value */
	__le32 rt_priority;	/* FIFO, RR: 1..99; else 0 */
	__le32 ioprio;		/* as ioprio_get(2) returns it */
	__le32 nr_cpus;		/* 1..CKPT_SCHED_MAX_CPUS */
	__le64 timer_slack_ns;	/* prctl(PR_GET_TIMERSLACK) */
};

/*
 * SCHED_DL: right after a SCHED of policy SCHED_DEADLINE, its parameters
 * as sched_getattr(2) gives them.  A deadline task cannot fork: restart
 * sets the policy once every task exists, as sched_setattr(2) by the
 * restart caller would (CAP_SYS_NICE, and the kernel's admission test).
 */
#define CKPT_SCHED_DL_FLAGS	0x06	/* SCHED_FLAG_RECLAIM | SCHED_FLAG_DL_OVERRUN */

struct ckpt_sched_dl {
	__le64 runtime_ns;
	__le64 deadline_ns;
	__le64 period_ns;
	__le32 flags;		/* CKPT_SCHED_DL_FLAGS bits */
	__le32 __pad;
};

/* ITIMERS entries */
#define CKPT_ITIMER_REAL	0	/* ITIMER_REAL, alarm(2): CLOCK_MONOTONIC */
#define CKPT_ITIMER_VIRTUAL	1	/* ITIMER_VIRTUAL: the process's user CPU time */
#define CKPT_ITIMER_PROF	2	/* ITIMER_PROF: its user and system CPU time */
#define CKPT_NR_ITIMERS		3

/*
 * ITIMERS: the interval timers of a process (setitimer(2), alarm(2)),
 * after its leader's SIGALTSTACK if any, only when one is set.  Values
 * are durations: restart arms the timers relative to the moment the
 * tasks resume, whatever the clocks of the new system say.
 */
struct ckpt_itimers {
	struct ckpt_itimer it[CKPT_NR_ITIMERS];
};

/* One POSIX timer (timer_create(2)) */
struct ckpt_posix_timer {
	__le32 id;		/* the timer_t the process knows it by, >= 0 */
	__le32 clockid;		/* CLOCK_REALTIME, _MONOTONIC, _BOOTTIME or _TAI */
	/*
	 * SIGEV_SIGNAL, SIGEV_NONE or SIGEV_THREAD (which the kernel treats
	 * as SIGEV_SIGNAL), or SIGEV_SIGNAL | SIGEV_THREAD_ID: to the task
	 * whose record it is in.
	 */
	__le32 notify;
	__le32 signo;		/* sigev_signo */
	__le64 sigev_value;	/* sival_ptr, or sival_int in its low 32 bits */
	__le64 value_ns;	/* time left until it fires, 0 when disarmed */
	__le64 interval_ns;	/* reload value, 0 for a one-shot timer */
	__le32 overrun;		/* what timer_getoverrun(2) returns */
	__le32 __pad;
};

/*
 * POSIX_TIMERS: after a task's ITIMERS place, the POSIX timers that
 * signal that very thread (SIGEV_THREAD_ID); a leader's also holds the
 * process's other timers and next_id.  Present only when there is a
 * timer (or, for a leader, next_id is not 0).  Like interval timers they
 * are saved as durations and armed when the tasks resume.
 */
struct ckpt_posix_timers {
	__le32 next_id;		/* leader: the id timer_create() tries next; else 0 */
	__le32 nr;
	/* followed by nr struct ckpt_posix_timer, in increasing id order */
};

/*
 * CPUTIME: the CPU time a process has used, after its leader's
 * THREAD_CPUTIME place.  Restart adds it to the restored process's, so
 * that CLOCK_PROCESS_CPUTIME_ID, times(2) and getrusage(2) go on from it.
 */
struct ckpt_cputime {
	__le64 sum_exec_ns;	/* CLOCK_PROCESS_CPUTIME_ID: threads alive and gone */
	__le64 utime_ns;	/* user time of the same */
	__le64 stime_ns;	/* system time of the same */
	__le64 cutime_ns;	/* user time of the children it waited for */
	__le64 cstime_ns;	/* their system time */
};

/*
 * THREAD_CPUTIME: the CPU time a thread has used, after its POSIX_TIMERS
 * place, when it is not 0.  Restart gives it back to the thread, so that
 * CLOCK_THREAD_CPUTIME_ID and getrusage(RUSAGE_THREAD) go on from it; it
 * is part of its process's CPUTIME, not added twice.
 */
struct ckpt_thread_cputime {
	__le64 sum_exec_ns;	/* CLOCK_THREAD_CPUTIME_ID */
	__le64 utime_ns;	/* user time of the thread */
	__le64 stime_ns;	/* its system time */
};

#endif /* _UAPI_LINUX_CHECKPOINT_H */
