// SPDX-License-Identifier: GPL-2.0
/*
 * Printing of each record type for `ckpt show`.
 *
 * One block per record; one "name: value" line per field, named as in
 * linux/checkpoint.h, in struct order; arrays one entry per line.  Values
 * are followed by their decoding in parentheses.  Nothing depends on the
 * host (time zone, locale, libc tables), so the same image always prints
 * the same text and two images can be compared with diff(1).
 *
 * The handlers run only on records that records.c accepted.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "image.h"

struct named {
	uint64_t value;
	const char *name;
};

#define NAMED(prefix, x)	{ prefix##x, #x }

static const struct named arch_names[] = {
	NAMED(CKPT_ARCH_, X86_64),
};

static const struct named checkpoint_flag_names[] = {
	{ CHECKPOINT_KILL, "KILL" },
	{ CHECKPOINT_ROOT_RELATIVE, "ROOT_RELATIVE" },
	{ CHECKPOINT_TRACK, "TRACK" },
	{ CHECKPOINT_INCREMENTAL, "INCREMENTAL" },
	{ CHECKPOINT_EXT_UNIX_SK, "EXT_UNIX_SK" },
	{ CHECKPOINT_PREDUMP, "PREDUMP" },
	{ CHECKPOINT_STOP, "STOP" },
	{ CHECKPOINT_LAZY, "LAZY" },
};

static const struct named vma_kind_names[] = {
	NAMED(CKPT_VMA_, ANON), NAMED(CKPT_VMA_, FILE),
	NAMED(CKPT_VMA_, VDSO), NAMED(CKPT_VMA_, VVAR),
	NAMED(CKPT_VMA_, SHARED_FILE), NAMED(CKPT_VMA_, SHMEM),
	NAMED(CKPT_VMA_, SYSV_SHM),
};

static const struct named vma_flag_names[] = {
	NAMED(CKPT_VMA_, READ), NAMED(CKPT_VMA_, WRITE),
	NAMED(CKPT_VMA_, EXEC), NAMED(CKPT_VMA_, GROWSDOWN),
	NAMED(CKPT_VMA_, NORESERVE), NAMED(CKPT_VMA_, HUGEPAGE),
	NAMED(CKPT_VMA_, NOHUGEPAGE), NAMED(CKPT_VMA_, DONTFORK),
	NAMED(CKPT_VMA_, WIPEONFORK), NAMED(CKPT_VMA_, DONTDUMP),
	NAMED(CKPT_VMA_, LOCKED), NAMED(CKPT_VMA_, LOCKONFAULT),
};

static const struct named mm_flag_names[] = {
	NAMED(CKPT_MM_, MLOCK_FUTURE), NAMED(CKPT_MM_, MLOCK_ONFAULT),
};

/* F_SEAL_*, from <linux/fcntl.h> */
static const struct named seal_names[] = {
	{ 0x0001, "SEAL" }, { 0x0002, "SHRINK" }, { 0x0004, "GROW" },
	{ 0x0008, "WRITE" }, { 0x0010, "FUTURE_WRITE" }, { 0x0020, "EXEC" },
};

static const struct named file_kind_names[] = {
#define FILE_KIND_NAME(name, nr) { nr, #name },
	__CKPT_FILE_MAPPER(FILE_KIND_NAME)
#undef FILE_KIND_NAME
};

static const struct named inotify_mask_names[] = {
	{ 0x001, "ACCESS" }, { 0x002, "MODIFY" }, { 0x004, "ATTRIB" },
	{ 0x008, "CLOSE_WRITE" }, { 0x010, "CLOSE_NOWRITE" }, { 0x020, "OPEN" },
	{ 0x040, "MOVED_FROM" }, { 0x080, "MOVED_TO" }, { 0x100, "CREATE" },
	{ 0x200, "DELETE" }, { 0x400, "DELETE_SELF" }, { 0x800, "MOVE_SELF" },
	{ 0x04000000, "EXCL_UNLINK" }, { 0x80000000, "ONESHOT" },
};

static const struct named pty_flag_names[] = {
	NAMED(CKPT_PTY_, PACKET), NAMED(CKPT_PTY_, LOCKED), NAMED(CKPT_PTY_, ORPHAN),
};

static const struct named lock_kind_names[] = {
	NAMED(CKPT_LOCK_, POSIX), NAMED(CKPT_LOCK_, OFD), NAMED(CKPT_LOCK_, FLOCK),
};

static const struct named lock_type_names[] = {
	NAMED(CKPT_LOCK_, READ), NAMED(CKPT_LOCK_, WRITE),
};

static const struct named efd_flag_names[] = {
	NAMED(CKPT_EFD_, SEMAPHORE),
};

static const struct named unix_flag_names[] = {
	NAMED(CKPT_UNIX_, BOUND),
	NAMED(CKPT_UNIX_, EMBRYO),
	NAMED(CKPT_UNIX_, PEER_LATER),
	NAMED(CKPT_UNIX_, PEER_NAME),
	NAMED(CKPT_UNIX_, PEER_GONE),
	NAMED(CKPT_UNIX_, PASSCRED),
	NAMED(CKPT_UNIX_, PASSPIDFD),
	NAMED(CKPT_UNIX_, SNDBUF_LOCK),
	NAMED(CKPT_UNIX_, RCVBUF_LOCK),
	NAMED(CKPT_UNIX_, PEERCRED),
	NAMED(CKPT_UNIX_, UNLINKED),
	NAMED(CKPT_UNIX_, EXTERNAL),
};

static const struct named unix_state_names[] = {
	NAMED(CKPT_UNIX_, UNCONNECTED),
	NAMED(CKPT_UNIX_, LISTEN),
	NAMED(CKPT_UNIX_, CONNECTED),
};

static const struct named unix_type_names[] = {
	{ 1, "STREAM" }, { 2, "DGRAM" }, { 5, "SEQPACKET" },
};

static const struct named unix_skb_flag_names[] = {
	NAMED(CKPT_UNIX_SKB_, CREDS),
	NAMED(CKPT_UNIX_SKB_, FROM_PEER),
};

static const struct named inet_flag_names[] = {
	NAMED(CKPT_INET_, BOUND),
	NAMED(CKPT_INET_, REUSEADDR),
	NAMED(CKPT_INET_, REUSEPORT),
	NAMED(CKPT_INET_, KEEPALIVE),
	NAMED(CKPT_INET_, NODELAY),
	NAMED(CKPT_INET_, LINGER),
	NAMED(CKPT_INET_, BROADCAST),
	NAMED(CKPT_INET_, V6ONLY),
	NAMED(CKPT_INET_, SNDBUF_LOCK),
	NAMED(CKPT_INET_, RCVBUF_LOCK),
	NAMED(CKPT_INET_, FREEBIND),
	NAMED(CKPT_INET_, CORK),
};

static const struct named inet_state_names[] = {
	NAMED(CKPT_INET_, CLOSED),
	NAMED(CKPT_INET_, LISTEN),
	NAMED(CKPT_INET_, CONNECTED),
	NAMED(CKPT_INET_, STREAM),
};

/* The kernel's TCP_* states that a TCP_STREAM may have */
static const struct named tcp_state_names[] = {
	{ 1, "ESTABLISHED" }, { 4, "FIN_WAIT1" }, { 5, "FIN_WAIT2" },
	{ 8, "CLOSE_WAIT" }, { 9, "LAST_ACK" }, { 11, "CLOSING" },
};

static const struct named tcp_flag_names[] = {
	NAMED(CKPT_TCP_, WSCALE), NAMED(CKPT_TCP_, SACK), NAMED(CKPT_TCP_, TSTAMP),
};

static const struct named tfd_flag_names[] = {
	NAMED(CKPT_TFD_, ABSTIME),
};

static const struct named epoll_event_names[] = {
	{ 0x001, "IN" }, { 0x002, "PRI" }, { 0x004, "OUT" }, { 0x008, "ERR" },
	{ 0x010, "HUP" }, { 0x020, "NVAL" }, { 0x040, "RDNORM" },
	{ 0x080, "RDBAND" }, { 0x100, "WRNORM" }, { 0x200, "WRBAND" },
	{ 0x400, "MSG" }, { 0x2000, "RDHUP" }, { 0x10000000, "EXCLUSIVE" },
	{ 0x20000000, "WAKEUP" }, { 0x40000000, "ONESHOT" },
	{ 0x80000000, "ET" },
};

static const struct named fd_flag_names[] = {
	NAMED(CKPT_FD_, CLOEXEC),
};

static const struct named tree_flag_names[] = {
	NAMED(CKPT_TREE_, ZOMBIE), NAMED(CKPT_TREE_, STOPPED),
	NAMED(CKPT_TREE_, PIDNS), NAMED(CKPT_TREE_, EXITED),
};

static const struct named process_flag_names[] = {
	NAMED(CKPT_PROCESS_, SUBREAPER),
};

static const struct named task_flag_names[] = {
	NAMED(CKPT_TASK_, NO_NEW_PRIVS),
};

static const struct named seccomp_flag_names[] = {
	NAMED(CKPT_SECCOMP_, LOG),
};

static const struct named restart_kind_names[] = {
	NAMED(CKPT_RESTART_, NONE), NAMED(CKPT_RESTART_, NANOSLEEP),
	NAMED(CKPT_RESTART_, FUTEX), NAMED(CKPT_RESTART_, POLL),
	NAMED(CKPT_RESTART_, EINTR),
};

static const struct named tt_names[] = {
	NAMED(CKPT_TT_, NONE), NAMED(CKPT_TT_, NATIVE),
};

/* The x86-64 user ABI, not the host's: the image may be read anywhere */
#define O_ACCMODE_LINUX	03

static const char *const open_accmode_names[] = {
	"RDONLY", "WRONLY", "RDWR", "ACCMODE3",
};

static const struct named open_flag_names[] = {
	{ 0100, "CREAT" },
	{ 0200, "EXCL" }, { 0400, "NOCTTY" }, { 01000, "TRUNC" },
	{ 02000, "APPEND" }, { 04000, "NONBLOCK" }, { 010000, "DSYNC" },
	{ 020000, "ASYNC" }, { 040000, "DIRECT" }, { 0100000, "LARGEFILE" },
	{ 0200000, "DIRECTORY" }, { 0400000, "NOFOLLOW" },
	{ 01000000, "NOATIME" }, { 02000000, "CLOEXEC" },
	{ 04000000, "SYNC" }, { 010000000, "PATH" },
	{ 020000000, "TMPFILE" },
};

static const struct named sa_flag_names[] = {
	{ 0x00000001, "NOCLDSTOP" }, { 0x00000002, "NOCLDWAIT" },
	{ 0x00000004, "SIGINFO" }, { 0x00000400, "UNSUPPORTED" },
	{ 0x00000800, "EXPOSE_TAGBITS" }, { 0x04000000, "RESTORER" },
	{ 0x08000000, "ONSTACK" }, { 0x10000000, "RESTART" },
	{ 0x40000000, "NODEFER" }, { 0x80000000, "RESETHAND" },
};

static const struct named si_code_names[] = {
	{ 0, "SI_USER" }, { 0x80, "SI_KERNEL" }, { (uint32_t)-1, "SI_QUEUE" },
	{ (uint32_t)-2, "SI_TIMER" }, { (uint32_t)-3, "SI_MESGQ" },
	{ (uint32_t)-4, "SI_ASYNCIO" }, { (uint32_t)-5, "SI_SIGIO" },
	{ (uint32_t)-6, "SI_TKILL" },
};

static const struct named auxv_names[] = {
	{ 0, "AT_NULL" }, { 1, "AT_IGNORE" }, { 2, "AT_EXECFD" },
	{ 3, "AT_PHDR" }, { 4, "AT_PHENT" }, { 5, "AT_PHNUM" },
	{ 6, "AT_PAGESZ" }, { 7, "AT_BASE" }, { 8, "AT_FLAGS" },
	{ 9, "AT_ENTRY" }, { 10, "AT_NOTELF" }, { 11, "AT_UID" },
	{ 12, "AT_EUID" }, { 13, "AT_GID" }, { 14, "AT_EGID" },
	{ 15, "AT_PLATFORM" }, { 16, "AT_HWCAP" }, { 17, "AT_CLKTCK" },
	{ 23, "AT_SECURE" }, { 24, "AT_BASE_PLATFORM" }, { 25, "AT_RANDOM" },
	{ 26, "AT_HWCAP2" }, { 27, "AT_RSEQ_FEATURE_SIZE" },
	{ 28, "AT_RSEQ_ALIGN" }, { 29, "AT_HWCAP3" }, { 30, "AT_HWCAP4" },
	{ 31, "AT_EXECFN" }, { 33, "AT_SYSINFO_EHDR" },
	{ 51, "AT_MINSIGSTKSZ" },
};

static const char *const signal_names[] = {
	[1] = "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE",
	"KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT",
	"CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU",
	"XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
};

#define SIGRTMIN_LINUX	32

static const char *lookup(uint64_t v, const struct named *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

#define LOOKUP(v, table)	lookup(v, table, ARRAY_SIZE(table))

/* " (NAME)" or " (unknown)" */
static void pr_enum(uint64_t v, const struct named *t, size_t n)
{
	const char *name = lookup(v, t, n);

	printf(" (%s)", name ? name : "unknown");
}

/* " (A|B|0x40)": the names of the bits set in v, the rest in hex */
static void pr_flags(uint64_t v, const struct named *t, size_t n)
{
	const char *sep = "";
	size_t i;

	if (!v)
		return;
	printf(" (");
	for (i = 0; i < n; i++) {
		if ((v & t[i].value) == t[i].value) {
			printf("%s%s", sep, t[i].name);
			v &= ~t[i].value;
			sep = "|";
		}
	}
	if (v)
		printf("%s0x%" PRIx64, sep, v);
	printf(")");
}

#define ENUM(v, table)		pr_enum(v, table, ARRAY_SIZE(table))
#define FLAGS(v, table)		pr_flags(v, table, ARRAY_SIZE(table))

static void pr_u(const char *name, uint64_t v)
{
	printf("  %s: %" PRIu64 "\n", name, v);
}

static void pr_x(const char *name, uint64_t v)
{
	printf("  %s: 0x%" PRIx64 "\n", name, v);
}

static void pr_o(const char *name, uint64_t v)
{
	printf("  %s: 0%" PRIo64 "\n", name, v);
}

static void pr_ref(const char *name, uint32_t ref)
{
	printf("  %s: %u%s\n", name, ref, ref ? "" : " (none)");
}

/* new_encode_dev(): minor's low 8 bits, major, minor's high 12 bits */
static void pr_rdev(const char *name, uint32_t dev)
{
	printf("  %s: 0x%x (%u:%u)\n", name, dev, (dev & 0xfff00) >> 8,
	       (dev & 0xff) | ((dev >> 12) & 0xfff00));
}

/* n bytes from the image, quoted; anything but printable ASCII escaped */
static void pr_escaped(const char *s, size_t n)
{
	unsigned char c;

	putchar('"');
	for (; n; n--, s++) {
		c = *s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	putchar('"');
}

/* A string from the image, up to its NUL or n bytes, quoted and escaped */
static void pr_quoted(const char *s, size_t n)
{
	pr_escaped(s, strnlen(s, n));
}

static void pr_str(const char *name, const char *s, size_t n)
{
	printf("  %s: ", name);
	pr_quoted(s, n);
	putchar('\n');
}

static void pr_signame(uint32_t sig)
{
	if (sig && sig < ARRAY_SIZE(signal_names))
		printf("SIG%s", signal_names[sig]);
	else if (sig == SIGRTMIN_LINUX)
		printf("SIGRTMIN");
	else if (sig > SIGRTMIN_LINUX && sig <= 64)
		printf("SIGRTMIN+%u", sig - SIGRTMIN_LINUX);
	else
		printf("%u", sig);
}

static void pr_signal(const char *name, uint32_t sig)
{
	printf("  %s: %u", name, sig);
	if (sig) {
		printf(" (");
		pr_signame(sig);
		printf(")");
	}
	putchar('\n');
}

/* Bit n-1 is signal n */
static void pr_sigset(const char *name, uint64_t set)
{
	const char *sep = " (";
	uint32_t sig;

	printf("  %s: 0x%016" PRIx64, name, set);
	for (sig = 1; sig <= 64; sig++) {
		if (!(set & (1ULL << (sig - 1))))
			continue;
		printf("%s", sep);
		pr_signame(sig);
		sep = "|";
	}
	printf("%s\n", set ? ")" : "");
}

/* Nanoseconds since the epoch, with the UTC date for people */
static void pr_time(const char *name, uint64_t ns)
{
	time_t sec = ns / 1000000000;
	struct tm tm;
	char date[32];

	printf("  %s: %" PRIu64, name, ns);
	if (gmtime_r(&sec, &tm) &&
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
		printf(" (%s.%09" PRIu64 "Z)", date, ns % 1000000000);
	putchar('\n');
}

/* The checksum ckpt shows of a piece of contents: CRC-32C, as the TRAILER */
static uint32_t contents_crc(const void *p, size_t len)
{
	return image_crc_end(crc32c(image_crc_start(), p, len));
}

static void pr_hex(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s%02x", i ? " " : "", p[i]);
}

void print_HEADER(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_image_header *h = p;
	size_t i;

	printf("  magic: 0x%016" PRIx64 " (", (uint64_t)LE64(h->magic));
	pr_quoted((const char *)&h->magic, sizeof(h->magic));
	printf(")\n");
	pr_u("version", LE32(h->version));
	printf("  arch: %u", LE32(h->arch));
	ENUM(LE32(h->arch), arch_names);
	printf("\n");
	pr_u("page_size", LE32(h->page_size));
	printf("  flags: 0x%x", LE32(h->flags));
	FLAGS(LE32(h->flags), checkpoint_flag_names);
	printf("\n");
	pr_time("time_real_ns", LE64(h->time_real_ns));
	pr_u("time_mono_ns", LE64(h->time_mono_ns));
	pr_u("time_boot_ns", LE64(h->time_boot_ns));
	pr_str("release", h->release, sizeof(h->release));
	pr_x("xfeatures", LE64(h->xfeatures));
	pr_u("xstate_size", LE32(h->xstate_size));
	pr_u("nr_tasks", LE32(h->nr_tasks));
	for (i = 0; i < ARRAY_SIZE(h->xstate_offsets); i++)
		if (LE64(h->xfeatures) & (1ULL << i))
			printf("  xstate_offsets[%zu]: %u\n", i,
			       LE32(h->xstate_offsets[i]));
}

void print_TRAILER(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_image_trailer *t = p;

	printf("  crc32c: 0x%08x (matches)\n", LE32(t->crc32c));
	pr_u("nr_records", LE32(t->nr_records));
	pr_u("size", LE64(t->size));
}

void print_TREE(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_tree *tree = p;
	const struct ckpt_tree_task *t = (const void *)(tree + 1);
	uint32_t i;

	pr_u("nr_tasks", LE32(tree->nr_tasks));
	for (i = 0; i < LE32(tree->nr_tasks); i++) {
		printf("  task[%u]: pid=%u tgid=%u ppid=%u pgid=%u sid=%u flags=0x%x",
		       i, LE32(t[i].pid), LE32(t[i].tgid), LE32(t[i].ppid),
		       LE32(t[i].pgid), LE32(t[i].sid), LE32(t[i].flags));
		FLAGS(LE32(t[i].flags), tree_flag_names);
		if (LE32(t[i].flags) & CKPT_TREE_ZOMBIE)
			printf(" exit_code=0x%x exit_signal=%u",
			       LE32(t[i].exit_code), LE32(t[i].exit_signal));
		else if (LE32(t[i].flags) & CKPT_TREE_EXITED)
			printf(" exit_code=0x%x", LE32(t[i].exit_code));
		printf("\n");
	}
}

void print_UTS(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_uts *u = p;

	pr_str("nodename", u->nodename, sizeof(u->nodename));
	pr_str("domainname", u->domainname, sizeof(u->domainname));
}

void print_TIMENS(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_timens *t = p;

	pr_u("monotonic_ns", LE64(t->monotonic_ns));
	pr_u("boottime_ns", LE64(t->boottime_ns));
}

static const struct named netns_flags[] = {
	{ CKPT_NETNS_LO_UP, "LO_UP" },
};

void print_NETNS(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_netns *n = p;
	const struct ckpt_net_sysctl *sc = (const void *)(n + 1);
	uint32_t i, id, v;

	printf("  flags: 0x%x", LE32(n->flags));
	FLAGS(LE32(n->flags), netns_flags);
	putchar('\n');
	/* An earlier kernel's NETNS has nothing else */
	if (len == NETNS_V1_SIZE)
		return;
	pr_u("nr_devs", LE16(n->nr_devs));
	pr_u("nr_sysctls", LE16(n->nr_sysctls));
	pr_u("nr_addrs", LE32(n->nr_addrs));
	pr_u("nr_routes", LE32(n->nr_routes));
	/* As sysctl(8) prints them */
	for (i = 0; i < LE16(n->nr_sysctls); i++) {
		id = LE32(sc[i].id);
		v = LE32(sc[i].value);
		printf("  sysctl[%u]: net.%s = ", i, net_sysctl_defs[id].name);
		if (id == CKPT_NET_SYSCTL_IP_LOCAL_PORT_RANGE)
			printf("%u %u\n", v & 0xffff, v >> 16);
		else
			printf("%u\n", v);
	}
}

static const struct named netdev_kind_names[] = {
	NAMED(CKPT_NETDEV_, VETH),
};

static const struct named netdev_flag_names[] = {
	NAMED(CKPT_NETDEV_, UP), NAMED(CKPT_NETDEV_, PEER_UP),
	NAMED(CKPT_NETDEV_, PEER_OUT),
};

/* A hardware address of ETH_ALEN bytes */
static void pr_mac(const char *name, const uint8_t *a)
{
	printf("  %s: %02x:%02x:%02x:%02x:%02x:%02x\n", name, a[0], a[1], a[2],
	       a[3], a[4], a[5]);
}

/* " (name)" of a device of the namespace */
static void pr_ifname(const struct image *img, uint32_t ifindex)
{
	const char *name = image_netdev_name(img, ifindex);

	if (name) {
		printf(" (");
		pr_quoted(name, strlen(name));
		printf(")");
	}
}

void print_NETDEV(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_netdev *d = p;

	printf("  kind: %u", LE32(d->kind));
	ENUM(LE32(d->kind), netdev_kind_names);
	printf("\n  flags: 0x%x", LE32(d->flags));
	FLAGS(LE32(d->flags), netdev_flag_names);
	printf("\n");
	pr_u("ifindex", LE32(d->ifindex));
	pr_u("mtu", LE32(d->mtu));
	printf("  peer_ifindex: %u%s\n", LE32(d->peer_ifindex),
	       LE32(d->flags) & CKPT_NETDEV_PEER_OUT ? " (outside the namespace)" : "");
	pr_u("peer_mtu", LE32(d->peer_mtu));
	pr_mac("addr", d->addr);
	pr_mac("peer_addr", d->peer_addr);
	pr_str("name", d->name, sizeof(d->name));
	pr_str("peer_name", d->peer_name, sizeof(d->peer_name));
}

#define AF_INET_LINUX		2
#define RTN_UNICAST_LINUX	1
#define RTNH_F_ONLINK_LINUX	4

static const struct named inet_family_names[] = {
	{ AF_INET_LINUX, "INET" }, { 10, "INET6" },
};

/* RT_SCOPE_*, as ip(8) names them */
static const struct named rt_scope_names[] = {
	{ 0, "global" }, { 200, "site" }, { 253, "link" }, { 254, "host" },
	{ 255, "nowhere" },
};

/* IFA_F_* that an address keeps */
static const struct named ifa_flag_names[] = {
	{ 0x02, "NODAD" }, { 0x10, "HOMEADDRESS" }, { 0x80, "PERMANENT" },
	{ 0x100, "MANAGETEMPADDR" }, { 0x200, "NOPREFIXROUTE" },
	{ 0x400, "MCAUTOJOIN" },
};

/* An address of the family, as inet_ntop() writes it */
static const char *net_ntop(uint8_t family, const uint8_t *a, char *buf, socklen_t size)
{
	if (!inet_ntop(family == AF_INET_LINUX ? AF_INET : AF_INET6, a, buf, size))
		snprintf(buf, size, "?");
	return buf;
}

static void pr_lft(const char *name, uint32_t lft)
{
	printf("  %s: %u%s\n", name, lft, lft == UINT32_MAX ? " (forever)" : "");
}

void print_NET_ADDR(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_net_addr *a = p;
	char buf[INET6_ADDRSTRLEN];

	printf("  ifindex: %u", LE32(a->ifindex));
	pr_ifname(img, LE32(a->ifindex));
	printf("\n  family: %u", a->family);
	ENUM(a->family, inet_family_names);
	printf("\n  scope: %u", a->scope);
	ENUM(a->scope, rt_scope_names);
	printf("\n  flags: 0x%x", LE32(a->flags));
	FLAGS(LE32(a->flags), ifa_flag_names);
	printf("\n");
	pr_lft("valid_lft", LE32(a->valid_lft));
	pr_lft("preferred_lft", LE32(a->preferred_lft));
	printf("  local: %s/%u\n", net_ntop(a->family, a->local, buf, sizeof(buf)),
	       a->prefixlen);
	printf("  address: %s\n", net_ntop(a->family, a->address, buf, sizeof(buf)));
	if (a->family != AF_INET_LINUX)
		return;
	printf("  broadcast: %s\n", net_ntop(a->family, a->broadcast, buf, sizeof(buf)));
	pr_str("label", a->label, sizeof(a->label));
}

/* RTN_* a route may have, as ip(8) names them */
static const struct named rtn_names[] = {
	{ 1, "unicast" }, { 6, "blackhole" }, { 7, "unreachable" },
	{ 8, "prohibit" },
};

/* RTPROT_*, as /etc/iproute2/rt_protos names them */
static const struct named rtprot_names[] = {
	{ 0, "unspec" }, { 1, "redirect" }, { 3, "boot" }, { 4, "static" },
	{ 9, "ra" }, { 16, "dhcp" },
};

static const struct named rt_table_names[] = {
	{ 253, "default" }, { 254, "main" },
};

/* " NAME" of a value, or " VALUE" */
static void pr_word(uint32_t v, const struct named *t, size_t n)
{
	const char *name = lookup(v, t, n);

	if (name)
		printf(" %s", name);
	else
		printf(" %u", v);
}

#define WORD(v, table)		pr_word(v, table, ARRAY_SIZE(table))

/* As `ip route show table all` prints it, with the table, protocol and metric */
void print_NET_ROUTE(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_net_route *r = p;
	uint32_t alen = r->family == AF_INET_LINUX ? 4 : 16;
	char buf[INET6_ADDRSTRLEN];

	printf("  family: %u", r->family);
	ENUM(r->family, inet_family_names);
	printf("\n  route:");
	if (r->type != RTN_UNICAST_LINUX)
		WORD(r->type, rtn_names);
	if (!r->dst_len && all_zero(r->dst, alen))
		printf(" default");
	else
		printf(" %s/%u", net_ntop(r->family, r->dst, buf, sizeof(buf)), r->dst_len);
	if (r->tos)
		printf(" tos 0x%x", r->tos);
	if (!all_zero(r->gateway, alen))
		printf(" via %s", net_ntop(r->family, r->gateway, buf, sizeof(buf)));
	if (LE32(r->oif)) {
		printf(" dev %u", LE32(r->oif));
		pr_ifname(img, LE32(r->oif));
	}
	printf(" table");
	WORD(LE32(r->table), rt_table_names);
	printf(" proto");
	WORD(r->protocol, rtprot_names);
	printf(" scope");
	WORD(r->scope, rt_scope_names);
	if (!all_zero(r->prefsrc, alen))
		printf(" src %s", net_ntop(r->family, r->prefsrc, buf, sizeof(buf)));
	printf(" metric %u", LE32(r->priority));
	if (LE32(r->flags) & RTNH_F_ONLINK_LINUX)
		printf(" onlink");
	printf("\n");
}

static const struct named userns_flags[] = {
	{ CKPT_USERNS_SETGROUPS, "SETGROUPS" },
};

static void pr_extents(const char *name, const struct ckpt_id_extent *e,
		       uint32_t nr)
{
	uint32_t i;

	for (i = 0; i < nr; i++)
		printf("  %s[%u]: %u %u %u\n", name, i, LE32(e[i].first),
		       LE32(e[i].lower_first), LE32(e[i].count));
}

void print_USERNS(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_userns *u = p;
	const struct ckpt_id_extent *e = (const void *)(u + 1);

	printf("  flags: 0x%x", LE32(u->flags));
	FLAGS(LE32(u->flags), userns_flags);
	putchar('\n');
	pr_extents("uid_map", e, LE32(u->nr_uid));
	pr_extents("gid_map", e + LE32(u->nr_uid), LE32(u->nr_gid));
}

void print_CGROUPNS(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_cgroupns *c = p;

	pr_x("flags", LE32(c->flags));
	pr_u("nr_cgroups", LE32(c->nr_cgroups));
}

/* Its name, its path in the namespace, its processes, then its files */
void print_CGROUP(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_cgroup *c = p;
	const __le32 *pids = (const __le32 *)(c + 1);
	uint32_t nr = LE32(c->nr_procs), files_len = LE32(c->files_len);
	uint32_t name_len = LE16(c->name_len), off, i;
	const char *name = (const char *)(pids + nr);
	const char *files = name + name_len, *file, *val, *path;
	char buf[CKPT_PATH_MAX];

	pr_u("id", LE32(c->id));
	pr_ref("parent", LE32(c->parent));
	pr_u("nr_procs", nr);
	pr_u("files_len", files_len);
	pr_u("name_len", name_len);
	printf("  name: ");
	pr_quoted(name, name_len);
	path = image_cgroup_path(img, LE32(c->id), buf, sizeof(buf));
	if (path) {
		printf(" (at ");
		pr_quoted(path, strlen(path));
		putchar(')');
	}
	putchar('\n');
	for (i = 0; i < nr; i++)
		printf("  pid[%u]: %u\n", i, LE32(pids[i]));
	/* "FILE\0VALUE\0" pairs, as records.c checked them */
	for (off = 0, i = 0; off < files_len; i++) {
		file = files + off;
		val = file + strlen(file) + 1;
		printf("  file[%u]: %s = ", i, file);
		pr_quoted(val, strlen(val));
		putchar('\n');
		off = val + strlen(val) + 1 - files;
	}
}

void print_MNTNS(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_mntns *ns = p;

	pr_u("nr_mounts", LE32(ns->nr_mounts));
}

static const struct named mount_kind_names[] = {
	NAMED(CKPT_MOUNT_, EXTERNAL), NAMED(CKPT_MOUNT_, NEW),
	NAMED(CKPT_MOUNT_, BIND),
};

static const struct named mount_flag_names[] = {
	NAMED(CKPT_MNT_, RDONLY), NAMED(CKPT_MNT_, NOSUID),
	NAMED(CKPT_MNT_, NODEV), NAMED(CKPT_MNT_, NOEXEC),
	NAMED(CKPT_MNT_, NOATIME), NAMED(CKPT_MNT_, NODIRATIME),
	NAMED(CKPT_MNT_, RELATIME), NAMED(CKPT_MNT_, NOSYMFOLLOW),
	NAMED(CKPT_MNT_, SB_RDONLY),
};

/* As the optional fields of /proc/PID/mountinfo, with the image's group numbers */
static void pr_propagation(const struct ckpt_mount *m)
{
	uint32_t prop = LE16(m->propagation);
	const char *sep = "";

	printf("  propagation: 0x%x (", prop);
	if (!prop)
		printf("private");
	if (prop & CKPT_MNT_SHARED) {
		printf("shared:%u", LE32(m->peer_group));
		sep = " ";
	}
	if (prop & CKPT_MNT_SLAVE) {
		if (LE32(m->master))
			printf("%smaster:%u", sep, LE32(m->master));
		else
			printf("%smaster:outside", sep);
		sep = " ";
	}
	if (prop & CKPT_MNT_UNBINDABLE)
		printf("%sunbindable", sep);
	printf(")\n");
}

void print_MOUNT(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_mount *m = p;
	const char *mp = (const char *)(m + 1);
	const char *root = mp + LE16(m->mountpoint_len);
	const char *source = root + LE16(m->root_len);
	const char *options = source + LE16(m->source_len);
	const char *path = image_mount_path(img, LE32(m->id));
	uint32_t kind = LE16(m->kind);

	pr_u("id", LE32(m->id));
	pr_ref("parent", LE32(m->parent));
	printf("  kind: %u", kind);
	if (kind == CKPT_MOUNT_BIND)
		printf(" (BIND of mount %u)", LE32(m->source));
	else
		ENUM(kind, mount_kind_names);
	putchar('\n');
	pr_str("fstype", m->fstype, sizeof(m->fstype));
	printf("  flags: 0x%x", LE32(m->flags));
	FLAGS(LE32(m->flags), mount_flag_names);
	putchar('\n');
	pr_propagation(m);
	/* From the parent's root; where that is in the namespace, if elsewhere */
	printf("  mountpoint: ");
	pr_quoted(mp, LE16(m->mountpoint_len));
	if (path && strcmp(path, mp)) {
		printf(" (at ");
		pr_quoted(path, strlen(path));
		putchar(')');
	}
	putchar('\n');
	pr_str("root", root, LE16(m->root_len));
	pr_str("source", source, LE16(m->source_len));
	pr_str("options", options, LE16(m->options_len));
}

void print_TMPFS(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_tmpfs *t = p;
	const char *path = image_mount_path(img, LE32(t->mount));

	printf("  mount: %u", LE32(t->mount));
	if (path) {
		printf(" (at ");
		pr_quoted(path, strlen(path));
		putchar(')');
	}
	putchar('\n');
}

/* The types a TMPFS_NODE may have, as S_IFMT of <sys/stat.h> */
static const struct named tmpfs_type_names[] = {
	{ S_IFDIR_LINUX, "S_IFDIR" }, { S_IFREG_LINUX, "S_IFREG" },
	{ S_IFLNK_LINUX, "S_IFLNK" }, { S_IFIFO_LINUX, "S_IFIFO" },
	{ S_IFCHR_LINUX, "S_IFCHR" }, { S_IFBLK_LINUX, "S_IFBLK" },
};

/* "0100644 (S_IFREG|0644)": the type, then the permissions in octal */
static void pr_file_mode(const char *name, uint32_t mode)
{
	const char *type = LOOKUP(mode & S_IFMT_LINUX, tmpfs_type_names);

	printf("  %s: 0%o (%s|%04o)\n", name, mode, type ? type : "unknown",
	       mode & S_IALLUGO_LINUX);
}

/* Seconds and nanoseconds since the epoch, with the UTC date for people */
static void pr_timespec(const char *name, int64_t sec, uint32_t nsec)
{
	time_t t = sec;
	struct tm tm;
	char date[32];

	printf("  %s: %" PRId64 ".%09u", name, sec, nsec);
	if (gmtime_r(&t, &tm) &&
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
		printf(" (%s.%09uZ)", date, nsec);
	putchar('\n');
}

void print_TMPFS_NODE(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_tmpfs_node *n = p;
	const char *path = (const char *)(n + 1);
	uint32_t mode = LE32(n->mode), type = mode & S_IFMT_LINUX;
	uint32_t tlen = LE16(n->target_len);

	pr_file_mode("mode", mode);
	pr_u("uid", LE32(n->uid));
	pr_u("gid", LE32(n->gid));
	if (type == S_IFCHR_LINUX || type == S_IFBLK_LINUX)
		pr_rdev("rdev", LE32(n->rdev));
	else
		pr_u("rdev", LE32(n->rdev));
	pr_u("size", LE64(n->size));
	pr_timespec("atime", (int64_t)LE64(n->atime_sec), LE32(n->atime_nsec));
	pr_timespec("mtime", (int64_t)LE64(n->mtime_sec), LE32(n->mtime_nsec));
	printf("  link: %u%s\n", LE32(n->link),
	       LE32(n->link) ? " (another name of the node at target)" : "");
	pr_u("path_len", LE16(n->path_len));
	pr_u("target_len", tlen);
	pr_str("path", path, LE16(n->path_len));
	if (tlen)
		pr_str("target", path + LE16(n->path_len), tlen);
}

/* The value of an extended attribute: text or not, its first bytes escaped */
#define XATTR_VALUE_SHOWN	64

/* A POSIX ACL (checked by records.c): its entries as getfacl(1) prints them */
static void print_acl(const void *v, uint32_t vlen, bool is_default)
{
	uint32_t version, i;
	struct acl_entry_linux e;
	char buf[64];

	memcpy(&version, v, sizeof(version));
	pr_u("a_version", LE32(version));
	for (i = 0; i < (vlen - ACL_XATTR_HDR_SIZE) / ACL_XATTR_ENTRY_SIZE; i++) {
		e = image_acl_entry(v, i);
		printf("  entry[%u]: %s%s\n", i, is_default ? "default:" : "",
		       image_acl_entry_str(&e, buf, sizeof(buf)));
	}
}

void print_TMPFS_XATTR(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_tmpfs_xattr *x = p;
	const char *name = (const char *)(x + 1);
	uint32_t nlen = LE16(x->name_len), vlen = LE32(x->value_len);

	pr_u("name_len", nlen);
	pr_u("value_len", vlen);
	pr_str("name", name, nlen);
	if (image_acl_xattr(name)) {
		print_acl(name + nlen, vlen, image_acl_xattr(name) == 2);
	} else {
		printf("  value: ");
		pr_escaped(name + nlen, vlen < XATTR_VALUE_SHOWN ? vlen : XATTR_VALUE_SHOWN);
		printf("%s\n", vlen > XATTR_VALUE_SHOWN ? " ..." : "");
	}
	printf("  crc32c: 0x%08x\n", contents_crc(name + nlen, vlen));
}

static const struct named sigaltstack_flag_names[] = {
	{ 1, "SS_ONSTACK" },
	{ 1U << 31, "SS_AUTODISARM" },
};

void print_SIGALTSTACK(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sigaltstack *ss = p;

	pr_x("sp", LE64(ss->sp));
	pr_u("size", LE64(ss->size));
	printf("  flags: 0x%x", LE32(ss->flags));
	FLAGS(LE32(ss->flags), sigaltstack_flag_names);
	printf("\n");
}

void print_ITIMERS(const struct image *img, const void *p, uint32_t len)
{
	static const char *const names[CKPT_NR_ITIMERS] = {
		[CKPT_ITIMER_REAL] = "real",
		[CKPT_ITIMER_VIRTUAL] = "virtual",
		[CKPT_ITIMER_PROF] = "prof",
	};
	const struct ckpt_itimers *it = p;
	uint32_t i;

	for (i = 0; i < CKPT_NR_ITIMERS; i++)
		printf("  %s: value_ns %" PRIu64 " interval_ns %" PRIu64 "\n",
		       names[i], (uint64_t)LE64(it->it[i].value_ns),
		       (uint64_t)LE64(it->it[i].interval_ns));
}

static const struct named clock_names[] = {
	{ 0, "CLOCK_REALTIME" },
	{ 1, "CLOCK_MONOTONIC" },
	{ 7, "CLOCK_BOOTTIME" },
	{ 11, "CLOCK_TAI" },
};

#define SIGEV_SIGNAL_LINUX	0

static const struct named sigev_names[] = {
	{ 0, "SIGEV_SIGNAL" },
	{ 1, "SIGEV_NONE" },
	{ 2, "SIGEV_THREAD" },
	{ 4, "SIGEV_SIGNAL|SIGEV_THREAD_ID" },
};

void print_POSIX_TIMERS(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_posix_timers *pt = p;
	const struct ckpt_posix_timer *t = (const void *)(pt + 1);
	uint32_t i;

	pr_u("next_id", LE32(pt->next_id));
	pr_u("nr", LE32(pt->nr));
	for (i = 0; i < LE32(pt->nr); i++) {
		printf("  timer[%u]: id=%u clockid=%u", i, LE32(t[i].id),
		       LE32(t[i].clockid));
		ENUM(LE32(t[i].clockid), clock_names);
		printf(" notify=%u", LE32(t[i].notify));
		ENUM(LE32(t[i].notify), sigev_names);
		printf(" signo=%u value=0x%" PRIx64 " value_ns=%" PRIu64
		       " interval_ns=%" PRIu64 " overrun=%u\n",
		       LE32(t[i].signo), (uint64_t)LE64(t[i].sigev_value),
		       (uint64_t)LE64(t[i].value_ns),
		       (uint64_t)LE64(t[i].interval_ns), LE32(t[i].overrun));
	}
}

void print_CPUTIME(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_cputime *c = p;

	pr_u("sum_exec_ns", LE64(c->sum_exec_ns));
	pr_u("utime_ns", LE64(c->utime_ns));
	pr_u("stime_ns", LE64(c->stime_ns));
	pr_u("cutime_ns", LE64(c->cutime_ns));
	pr_u("cstime_ns", LE64(c->cstime_ns));
}

void print_THREAD_CPUTIME(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_thread_cputime *c = p;

	pr_u("sum_exec_ns", LE64(c->sum_exec_ns));
	pr_u("utime_ns", LE64(c->utime_ns));
	pr_u("stime_ns", LE64(c->stime_ns));
}

static const struct named sched_policy_names[] = {
	{ 0, "SCHED_NORMAL" }, { 1, "SCHED_FIFO" }, { 2, "SCHED_RR" },
	{ 3, "SCHED_BATCH" }, { 5, "SCHED_IDLE" }, { 6, "SCHED_DEADLINE" },
};

static const struct named sched_flag_names[] = {
	NAMED(CKPT_SCHED_, RESET_ON_FORK),
};

/* IOPRIO_CLASS_*, from <linux/ioprio.h> */
static const struct named ioprio_class_names[] = {
	{ 0, "NONE" }, { 1, "RT" }, { 2, "BE" }, { 3, "IDLE" },
};

static bool sched_cpu(const uint8_t *mask, uint32_t cpu)
{
	return mask[cpu / 8] & (1U << (cpu % 8));
}

/* The CPUs of an affinity mask as a list of ranges: "0-3,8" */
static void pr_cpu_list(const char *name, const uint8_t *mask, uint32_t nr)
{
	const char *sep = "";
	uint32_t cpu, last;

	printf("  %s: ", name);
	for (cpu = 0; cpu < nr; cpu++) {
		if (!sched_cpu(mask, cpu))
			continue;
		last = cpu;
		while (last + 1 < nr && sched_cpu(mask, last + 1))
			last++;
		if (last == cpu)
			printf("%s%u", sep, cpu);
		else
			printf("%s%u-%u", sep, cpu, last);
		sep = ",";
		cpu = last;
	}
	printf("%s\n", *sep ? "" : "(none)");
}

void print_SCHED(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sched *s = p;
	uint32_t ioprio = LE32(s->ioprio);
	const char *class;

	printf("  policy: %u", LE32(s->policy));
	ENUM(LE32(s->policy), sched_policy_names);
	printf("\n  flags: 0x%x", LE32(s->flags));
	FLAGS(LE32(s->flags), sched_flag_names);
	printf("\n  nice: %d\n", (int32_t)LE32(s->nice));
	pr_u("rt_priority", LE32(s->rt_priority));
	class = LOOKUP(ioprio >> 13, ioprio_class_names);
	printf("  ioprio: 0x%x (class %s, level %u)\n", ioprio,
	       class ? class : "unknown", ioprio & 7);
	pr_u("nr_cpus", LE32(s->nr_cpus));
	pr_u("timer_slack_ns", LE64(s->timer_slack_ns));
	pr_cpu_list("cpus", (const uint8_t *)(s + 1), LE32(s->nr_cpus));
}

/* SCHED_FLAG_* of sched_setattr(2) */
static const struct named sched_dl_flag_names[] = {
	{ 0x2, "RECLAIM" }, { 0x4, "DL_OVERRUN" },
};

_Static_assert(CKPT_SCHED_DL_FLAGS == (0x2 | 0x4), "SCHED_DL flags changed");

void print_SCHED_DL(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sched_dl *d = p;

	pr_u("runtime_ns", LE64(d->runtime_ns));
	pr_u("deadline_ns", LE64(d->deadline_ns));
	pr_u("period_ns", LE64(d->period_ns));
	printf("  flags: 0x%x", LE32(d->flags));
	FLAGS(LE32(d->flags), sched_dl_flag_names);
	printf("\n");
}

void print_PROCESS(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_process *pr = p;
	uint32_t i;

	printf("  flags: 0x%x", LE32(pr->flags));
	FLAGS(LE32(pr->flags), process_flag_names);
	printf("\n");
	for (i = 0; i < CKPT_RLIM_NLIMITS; i++) {
		uint64_t cur = LE64(pr->rlim[i].cur), max = LE64(pr->rlim[i].max);

		printf("  rlim[%u]: ", i);
		if (cur == UINT64_MAX)
			printf("unlimited");
		else
			printf("%llu", (unsigned long long)cur);
		if (max == UINT64_MAX)
			printf(" / unlimited\n");
		else
			printf(" / %llu\n", (unsigned long long)max);
	}
	pr_ref("ctty_ref", LE32(pr->ctty_ref));
	pr_u("ctty_pgrp", LE32(pr->ctty_pgrp));
}

static void print_restart_block(const struct ckpt_task *t)
{
	const typeof(t->restart) *r = &t->restart;

	switch (LE32(t->restart_kind)) {
	case CKPT_RESTART_NANOSLEEP:
		pr_u("restart.nanosleep.clockid", LE32(r->nanosleep.clockid));
		printf("  restart.nanosleep.type: %u", LE32(r->nanosleep.type));
		ENUM(LE32(r->nanosleep.type), tt_names);
		printf("\n");
		pr_x("restart.nanosleep.rmtp", LE64(r->nanosleep.rmtp));
		pr_u("restart.nanosleep.expires_ns",
		     LE64(r->nanosleep.expires_ns));
		break;
	case CKPT_RESTART_FUTEX:
		pr_x("restart.futex.uaddr", LE64(r->futex.uaddr));
		pr_u("restart.futex.val", LE32(r->futex.val));
		pr_x("restart.futex.flags", LE32(r->futex.flags));
		pr_x("restart.futex.bitset", LE32(r->futex.bitset));
		pr_u("restart.futex.expires_ns", LE64(r->futex.expires_ns));
		break;
	case CKPT_RESTART_POLL:
		pr_x("restart.poll.ufds", LE64(r->poll.ufds));
		pr_u("restart.poll.nfds", LE32(r->poll.nfds));
		pr_u("restart.poll.has_timeout", LE32(r->poll.has_timeout));
		pr_u("restart.poll.tv_sec", LE64(r->poll.tv_sec));
		pr_u("restart.poll.tv_nsec", LE64(r->poll.tv_nsec));
		break;
	}
}

void print_TASK(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_task *t = p;

	pr_u("pid", LE32(t->pid));
	pr_ref("cred_ref", LE32(t->cred_ref));
	pr_ref("mm_ref", LE32(t->mm_ref));
	pr_ref("files_ref", LE32(t->files_ref));
	pr_ref("fs_ref", LE32(t->fs_ref));
	pr_ref("sighand_ref", LE32(t->sighand_ref));
	pr_signal("exit_signal", LE32(t->exit_signal));
	pr_signal("pdeath_signal", LE32(t->pdeath_signal));
	pr_x("personality", LE32(t->personality));
	printf("  flags: 0x%x", LE32(t->flags));
	FLAGS(LE32(t->flags), task_flag_names);
	printf("\n");
	pr_sigset("blocked", LE64(t->blocked));
	pr_sigset("saved_sigmask", LE64(t->saved_sigmask));
	pr_x("clear_child_tid", LE64(t->clear_child_tid));
	pr_x("robust_list", LE64(t->robust_list));
	pr_u("robust_list_len", LE64(t->robust_list_len));
	pr_str("comm", t->comm, sizeof(t->comm));
	pr_x("rseq", LE64(t->rseq));
	pr_u("rseq_len", LE32(t->rseq_len));
	pr_x("rseq_sig", LE32(t->rseq_sig));
	pr_u("seccomp_mode", LE32(t->seccomp_mode));
	pr_ref("seccomp_ref", LE32(t->seccomp_ref));
	printf("  restart_kind: %u", LE32(t->restart_kind));
	ENUM(LE32(t->restart_kind), restart_kind_names);
	printf("\n");
	print_restart_block(t);
}

void print_CRED(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_cred *c = p;
	const __le32 *groups = (const void *)(c + 1);
	uint32_t i;

	pr_u("objref", LE32(c->objref));
	pr_u("uid", LE32(c->uid));
	pr_u("euid", LE32(c->euid));
	pr_u("suid", LE32(c->suid));
	pr_u("fsuid", LE32(c->fsuid));
	pr_u("gid", LE32(c->gid));
	pr_u("egid", LE32(c->egid));
	pr_u("sgid", LE32(c->sgid));
	pr_u("fsgid", LE32(c->fsgid));
	pr_x("securebits", LE32(c->securebits));
	pr_x("cap_inheritable", LE64(c->cap_inheritable));
	pr_x("cap_permitted", LE64(c->cap_permitted));
	pr_x("cap_effective", LE64(c->cap_effective));
	pr_x("cap_bset", LE64(c->cap_bset));
	pr_x("cap_ambient", LE64(c->cap_ambient));
	pr_u("ngroups", LE32(c->ngroups));
	for (i = 0; i < LE32(c->ngroups); i++)
		printf("  group[%u]: %u\n", i, LE32(groups[i]));
}

void print_MM(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_mm *mm = p;
	const char *name;
	uint32_t i;

	pr_u("objref", LE32(mm->objref));
	pr_u("nr_vmas", LE32(mm->nr_vmas));
	pr_ref("exe_file_ref", LE32(mm->exe_file_ref));
	printf("  flags: 0x%x", LE32(mm->flags));
	FLAGS(LE32(mm->flags), mm_flag_names);
	printf("\n");
	pr_x("start_code", LE64(mm->start_code));
	pr_x("end_code", LE64(mm->end_code));
	pr_x("start_data", LE64(mm->start_data));
	pr_x("end_data", LE64(mm->end_data));
	pr_x("start_brk", LE64(mm->start_brk));
	pr_x("brk", LE64(mm->brk));
	pr_x("start_stack", LE64(mm->start_stack));
	pr_x("arg_start", LE64(mm->arg_start));
	pr_x("arg_end", LE64(mm->arg_end));
	pr_x("env_start", LE64(mm->env_start));
	pr_x("env_end", LE64(mm->env_end));
	pr_x("mmap_base", LE64(mm->mmap_base));
	pr_x("vdso", LE64(mm->vdso));
	pr_u("dumpable", LE32(mm->dumpable));
	printf("  vdso_crc: 0x%08x\n", LE32(mm->vdso_crc));
	pr_u("saved_auxv_len", LE32(mm->saved_auxv_len));
	for (i = 0; i + 1 < LE32(mm->saved_auxv_len); i += 2) {
		name = LOOKUP(LE64(mm->saved_auxv[i]), auxv_names);
		printf("  saved_auxv[%u]: %" PRIu64 " (%s) 0x%" PRIx64 "\n",
		       i, (uint64_t)LE64(mm->saved_auxv[i]),
		       name ? name : "unknown",
		       (uint64_t)LE64(mm->saved_auxv[i + 1]));
	}
}

void print_VMA(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_vma *v = p;

	pr_x("start", LE64(v->start));
	pr_x("end", LE64(v->end));
	pr_x("pgoff", LE64(v->pgoff));
	printf("  kind: %u", LE32(v->kind));
	ENUM(LE32(v->kind), vma_kind_names);
	printf("\n  flags: 0x%x", LE32(v->flags));
	FLAGS(LE32(v->flags), vma_flag_names);
	printf("\n");
	pr_ref("file_ref", LE32(v->file_ref));
	/* Only when set: most mappings have none, and earlier images a zero __pad */
	if (LE32(v->cow_mm_ref))
		pr_ref("cow_mm_ref", LE32(v->cow_mm_ref));
}

void print_PAGES(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pages *pg = p;
	const uint8_t *data = (const void *)(pg + 1);
	uint64_t addr = LE64(pg->addr);
	uint32_t i;

	pr_x("addr", addr);
	pr_u("nr_pages", LE32(pg->nr_pages));
	if (!img->show_pages)
		return;
	for (i = 0; i < LE32(pg->nr_pages); i++, data += img->page_size) {
		printf("  page[%u]: addr=0x%" PRIx64 " crc32c=0x%08x bytes=",
		       i, addr + (uint64_t)i * img->page_size,
		       contents_crc(data, img->page_size));
		pr_hex(data, 16);
		printf(" ...\n");
	}
}

void print_PAGES_COW(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pages_cow *c = p;

	pr_x("addr", LE64(c->addr));
	pr_u("nr_pages", LE32(c->nr_pages));
	pr_u("mm_ref", LE32(c->mm_ref));
}

void print_PAGES_PARENT(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pages_parent *pp = p;

	pr_x("addr", LE64(pp->addr));
	pr_u("nr_pages", LE32(pp->nr_pages));
	printf("  mm_ref: %u (an MM of the parent image)\n", LE32(pp->mm_ref));
}

void print_PAGES_FILE(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pages_file *pf = p;

	pr_x("addr", LE64(pf->addr));
	pr_u("offset", LE64(pf->offset));
	pr_u("nr_pages", LE32(pf->nr_pages));
	printf("  crc: 0x%08x (of the contents, in the file)\n", LE32(pf->crc));
	printf("  file: %u (restart(2)'s CKPT_EXT_PAGES \"pages:%u\")\n", LE32(pf->file),
	       LE32(pf->file));
}

void print_PAGES_CRC(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pages_crc *c = p;

	printf("  crc: 0x%08x (matches)\n", LE32(c->crc));
}

void print_MM_END(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_mm_end *e = p;

	/*
	 * The PAGES_COW, PAGES_PARENT and PAGES_FILE pages have no data
	 * here: the breakdown, if there are any
	 */
	if (!img->mm_cow_pages && !img->mm_parent_pages && !img->mm_file_pages) {
		pr_u("nr_pages", LE64(e->nr_pages));
		return;
	}
	printf("  nr_pages: %" PRIu64 " (%" PRIu64 " with data", (uint64_t)LE64(e->nr_pages),
	       img->mm_pages - img->mm_cow_pages - img->mm_parent_pages - img->mm_file_pages);
	if (img->mm_cow_pages)
		printf(", %" PRIu64 " shared", img->mm_cow_pages);
	if (img->mm_parent_pages)
		printf(", %" PRIu64 " in the parent image", img->mm_parent_pages);
	if (img->mm_file_pages)
		printf(", %" PRIu64 " in files", img->mm_file_pages);
	printf(")\n");
}

void print_SHMEM(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_shmem *s = p;

	pr_u("objref", LE32(s->objref));
	printf("  seals: 0x%x", LE32(s->seals));
	FLAGS(LE32(s->seals), seal_names);
	printf("\n");
	pr_u("size", LE64(s->size));
}

void print_SYSV_SHM(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sysv_shm *s = p;

	pr_u("objref", LE32(s->objref));
	pr_u("id", LE32(s->id));
	printf("  key: 0x%08x\n", LE32(s->key));
	pr_o("mode", LE32(s->mode));
	pr_u("uid", LE32(s->uid));
	pr_u("gid", LE32(s->gid));
	pr_u("cuid", LE32(s->cuid));
	pr_u("cgid", LE32(s->cgid));
	pr_u("size", LE64(s->size));
}

void print_SHMEM_END(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_shmem_end *e = p;

	pr_u("nr_pages", LE64(e->nr_pages));
}

/* "0102002 (RDWR|APPEND|LARGEFILE)", as in /proc/PID/fdinfo */
static void pr_open_flags(const char *name, uint32_t flags)
{
	uint32_t rest = flags & ~O_ACCMODE_LINUX;
	size_t i;

	printf("  %s: 0%o (%s", name, flags,
	       open_accmode_names[flags & O_ACCMODE_LINUX]);
	for (i = 0; i < ARRAY_SIZE(open_flag_names); i++) {
		if (rest & open_flag_names[i].value) {
			printf("|%s", open_flag_names[i].name);
			rest &= ~open_flag_names[i].value;
		}
	}
	if (rest)
		printf("|0%o", rest);
	printf(")\n");
}

void print_FILE(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_file *f = p;

	pr_u("objref", LE32(f->objref));
	printf("  kind: %u", LE32(f->kind));
	ENUM(LE32(f->kind), file_kind_names);
	printf("\n");
	pr_open_flags("f_flags", LE32(f->f_flags));
	pr_o("mode", LE32(f->mode));
	pr_u("pos", LE64(f->pos));
	pr_u("size", LE64(f->size));
	pr_u("mtime_sec", LE64(f->mtime_sec));
	pr_u("mtime_nsec", LE32(f->mtime_nsec));
	pr_rdev("rdev", LE32(f->rdev));
	/* A file under /proc/PID holds that PID there */
	if (LE32(f->kind) == CKPT_FILE_PROC_PID)
		printf("  ino: %" PRIu64 " (pid %" PRIu64 ")\n", LE64(f->ino), LE64(f->ino));
	else
		pr_u("ino", LE64(f->ino));
	printf("  fd_hint: %d\n", (int32_t)LE32(f->fd_hint));
	pr_u("path_len", LE32(f->path_len));
	pr_ref("obj_ref", LE32(f->obj_ref));
	/* Only from format version 2 on; the path is put together whole */
	if (LE32(f->path_shared))
		pr_u("path_shared", LE32(f->path_shared));
	pr_str("path", LE32(f->path_len) ? img->file_path : "", LE32(f->path_len));
}

void print_INODE_ATTR(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_inode_attr *a = p;

	pr_u("uid", LE32(a->uid));
	pr_u("gid", LE32(a->gid));
	pr_timespec("atime", (int64_t)LE64(a->atime_sec), LE32(a->atime_nsec));
	pr_timespec("mtime", (int64_t)LE64(a->mtime_sec), LE32(a->mtime_nsec));
	/* Not in an earlier kernel's */
	if (len >= sizeof(*a))
		pr_o("mode", LE32(a->mode));
}

/* F_OWNER_* of fcntl(F_SETOWN_EX) */
static const struct named fown_type_names[] = {
	{ 0, "TID" }, { 1, "PID" }, { 2, "PGRP" },
};

static const struct named fown_flag_names[] = {
	NAMED(CKPT_FOWN_, ASYNC),
};

/* The owner, its signal (F_SETSIG; 0 sends SIGIO) and O_ASYNC */
void print_FOWN(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_fown *o = p;
	uint32_t pid = LE32(o->pid), sig = LE32(o->signum);

	pr_ref("pid", pid);
	printf("  type: %u", LE32(o->type));
	if (pid)
		ENUM(LE32(o->type), fown_type_names);
	printf("\n");
	if (sig)
		pr_signal("signum", sig);
	else
		printf("  signum: 0 (SIGIO, without siginfo)\n");
	printf("  fd: %d\n", (int32_t)LE32(o->fd));
	printf("  flags: 0x%x", LE32(o->flags));
	FLAGS(LE32(o->flags), fown_flag_names);
	printf("\n");
}

void print_PIPE(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pipe *pi = p;

	pr_u("objref", LE32(pi->objref));
	pr_u("capacity", LE32(pi->capacity));
	pr_u("data_len", LE32(pi->data_len));
	pr_u("path_len", LE32(pi->path_len));
	pr_str("path", (const char *)(pi + 1), LE32(pi->path_len));
}

void print_FILE_DATA(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_file_data *d = p;
	const uint8_t *data = (const uint8_t *)(d + 1);
	uint32_t n = LE32(d->len);

	pr_u("offset", LE64(d->offset));
	pr_u("len", n);
	printf("  crc32c: 0x%08x\n", contents_crc(data, n));
	if (img->show_pages) {
		printf("  data: ");
		pr_hex(data, n < 16 ? n : 16);
		printf("%s\n", n > 16 ? " ..." : "");
	}
}

void print_LOCK(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_lock *l = p;

	pr_u("fd", LE32(l->fd));
	printf("  kind: %u", LE32(l->kind));
	ENUM(LE32(l->kind), lock_kind_names);
	printf("\n  type: %u", LE32(l->type));
	ENUM(LE32(l->type), lock_type_names);
	printf("\n");
	pr_u("start", LE64(l->start));
	pr_u("len", LE64(l->len));
}

void print_PTY(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_pty *t = p;
	const struct ckpt_termios *tio = &t->termios;
	int i;

	pr_u("objref", LE32(t->objref));
	pr_u("index", LE32(t->index));
	printf("  flags: 0x%x", LE32(t->flags));
	FLAGS(LE32(t->flags), pty_flag_names);
	printf("\n");
	printf("  winsize: %ux%u (%ux%u pixels)\n", LE16(t->ws_row),
	       LE16(t->ws_col), LE16(t->ws_xpixel), LE16(t->ws_ypixel));
	printf("  termios: iflag=0%o oflag=0%o cflag=0%o lflag=0%o ispeed=%u ospeed=%u\n",
	       LE32(tio->c_iflag), LE32(tio->c_oflag), LE32(tio->c_cflag),
	       LE32(tio->c_lflag), LE32(tio->c_ispeed), LE32(tio->c_ospeed));
	printf("  termios.c_cc:");
	for (i = 0; i < (int)sizeof(tio->c_cc); i++)
		printf(" %02x", tio->c_cc[i]);
	printf("\n");
	pr_u("path_len", LE32(t->path_len));
	pr_str("path", (const char *)(t + 1), LE32(t->path_len));
}

void print_FILES(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_files *files = p;
	struct ckpt_fd e;
	uint32_t i;

	pr_u("objref", LE32(files->objref));
	pr_u("nr_fds", LE32(files->nr_fds));
	for (i = 0; i < LE32(files->nr_fds); i++) {
		files_entry(img, files, i, &e);
		printf("  fd[%u]: fd=%u file_ref=%u flags=0x%x", i,
		       LE32(e.fd), LE32(e.file_ref), LE32(e.flags));
		FLAGS(LE32(e.flags), fd_flag_names);
		printf("\n");
	}
}

void print_FS(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_fs *fs = p;

	pr_u("objref", LE32(fs->objref));
	pr_o("umask", LE32(fs->umask));
	pr_u("cwd_len", LE32(fs->cwd_len));
	pr_u("root_len", LE32(fs->root_len));
	pr_str("cwd", (const char *)(fs + 1), LE32(fs->cwd_len));
	pr_str("root", (const char *)(fs + 1) + LE32(fs->cwd_len),
	       LE32(fs->root_len));
}

static void pr_handler(uint64_t handler)
{
	if (handler == 0)
		printf("SIG_DFL");
	else if (handler == 1)
		printf("SIG_IGN");
	else
		printf("0x%" PRIx64, handler);
}

/* Signals left at SIG_DFL with no flags, mask or restorer are not shown */
void print_SIGHAND(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sighand *sh = p;
	const struct ckpt_sigaction *a;
	uint32_t i;

	pr_u("objref", LE32(sh->objref));
	pr_u("nr", LE32(sh->nr));
	for (i = 0; i < ARRAY_SIZE(sh->action); i++) {
		a = &sh->action[i];
		if (!a->handler && !a->flags && !a->restorer && !a->mask)
			continue;
		printf("  action[%u] ", i + 1);
		pr_signame(i + 1);
		printf(": handler=");
		pr_handler(LE64(a->handler));
		printf(" flags=0x%" PRIx64, (uint64_t)LE64(a->flags));
		FLAGS(LE64(a->flags), sa_flag_names);
		printf(" restorer=0x%" PRIx64 " mask=0x%" PRIx64 "\n",
		       (uint64_t)LE64(a->restorer), (uint64_t)LE64(a->mask));
	}
}

/* The fields of the x86-64 siginfo_t that say what sent the signal */
static void pr_siginfo(uint32_t i, const uint8_t *si)
{
	int32_t signo, errnum, code;
	uint32_t pid, uid;

	memcpy(&signo, si, 4);
	memcpy(&errnum, si + 4, 4);
	memcpy(&code, si + 8, 4);
	memcpy(&pid, si + 16, 4);
	memcpy(&uid, si + 20, 4);
	printf("  info[%u]: signo=%d (", i, (int32_t)LE32(signo));
	pr_signame(LE32(signo));
	printf(") errno=%d code=%d", (int32_t)LE32(errnum),
	       (int32_t)LE32(code));
	ENUM(LE32(code), si_code_names);
	/* SI_USER, SI_QUEUE, SI_TKILL: sent by kill(2) and friends */
	if ((int32_t)LE32(code) == 0 || (int32_t)LE32(code) == -1 ||
	    (int32_t)LE32(code) == -6)
		printf(" pid=%u uid=%u", LE32(pid), LE32(uid));
	printf(" crc32c=0x%08x\n", contents_crc(si, 128));
}

void print_SECCOMP(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_seccomp *s = p;
	const struct ckpt_sock_filter *insn = (const void *)(s + 1);
	uint32_t i;

	pr_u("objref", LE32(s->objref));
	pr_ref("prev_ref", LE32(s->prev_ref));
	printf("  flags: 0x%x", LE32(s->flags));
	FLAGS(LE32(s->flags), seccomp_flag_names);
	printf("\n");
	pr_u("len", LE32(s->len));
	for (i = 0; i < LE32(s->len); i++)
		printf("  insn[%u]: code 0x%04x jt %u jf %u k 0x%08x\n", i,
		       LE16(insn[i].code), insn[i].jt, insn[i].jf,
		       LE32(insn[i].k));
}

void print_SIGPENDING(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sigpending *sp = p;
	const uint8_t *info = (const void *)(sp + 1);
	uint32_t i;

	printf("  shared: %u (%s)\n", LE32(sp->shared),
	       LE32(sp->shared) ? "thread group" : "task");
	pr_u("nr", LE32(sp->nr));
	for (i = 0; i < LE32(sp->nr); i++)
		pr_siginfo(i, info + i * 128);
}

void print_X86_REGS(const struct image *img, const void *p, uint32_t len)
{
	static const char *const names[] = {
		"r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10",
		"r9", "r8", "ax", "cx", "dx", "si", "di", "orig_ax",
		"ip", "cs", "flags", "sp", "ss",
		"fs_base", "gs_base",
		"ds", "es", "fs", "gs",
	};
	const __le64 *regs = p;
	size_t i;

	_Static_assert(sizeof(struct ckpt_x86_regs) ==
		       ARRAY_SIZE(names) * sizeof(__le64),
		       "register names out of date");
	for (i = 0; i < ARRAY_SIZE(names); i++)
		printf("  %s: 0x%016" PRIx64 "\n", names[i],
		       (uint64_t)LE64(regs[i]));
}

void print_X86_CPUID(const struct image *img, const void *p, uint32_t len)
{
	static const char *const regs[] = { "eax", "ebx", "ecx", "edx" };
	const struct ckpt_x86_cpuid *c = p;
	uint32_t i;

	pr_u("nr_regs", LE32(c->nr_regs));
	for (i = 0; i < LE32(c->nr_regs); i++)
		printf("  cpuid 0x%08x.%u %s: 0x%08x\n", LE32(c->regs[i].leaf),
		       LE32(c->regs[i].subleaf), regs[LE32(c->regs[i].reg) & 3],
		       LE32(c->regs[i].value));
}

void print_X86_VDSO(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_x86_vdso *v = p;
	uint32_t i;

	printf("  crc: 0x%08x\n", LE32(v->crc));
	pr_x("size", LE32(v->size));
	pr_x("vvar_size", LE32(v->vvar_size));
	pr_u("nr_syms", LE32(v->nr_syms));
	for (i = 0; i < LE32(v->nr_syms); i++) {
		printf("  syms[%u]: ", i);
		pr_quoted(v->syms[i].name, sizeof(v->syms[i].name));
		printf(" offset=0x%x\n", LE32(v->syms[i].offset));
	}
}

void print_CHAIN(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_chain *c = p;

	printf("  id: 0x%016" PRIx64 "\n", (uint64_t)LE64(c->id));
	printf("  parent: 0x%016" PRIx64 " (%s)\n", (uint64_t)LE64(c->parent),
	       img->predump ? LE64(c->parent) ? "a pre-dump on its parent image" :
					  "a pre-dump, the first of a chain" :
	       LE64(c->parent) ? "incremental: needs its parent image" : "complete");
}

#define XSAVE_HDR_OFFSET	512	/* the XSAVE header follows the legacy area */

void print_X86_XSTATE(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_x86_xstate *x = p;
	const uint8_t *area = (const void *)(x + 1);
	uint32_t size = LE32(x->size);
	uint64_t xstate_bv;

	pr_x("xfeatures", LE64(x->xfeatures));
	pr_u("size", size);
	if (LE32(x->flags))
		printf("  flags: 0x%x%s\n", LE32(x->flags),
		       LE32(x->flags) & CKPT_X86_XSTATE_PACKED ? " (packed)" : "");
	if (size >= XSAVE_HDR_OFFSET + sizeof(xstate_bv)) {
		memcpy(&xstate_bv, area + XSAVE_HDR_OFFSET, sizeof(xstate_bv));
		pr_x("xstate_bv", LE64(xstate_bv));
	}
	printf("  crc32c: 0x%08x\n", contents_crc(area, size));
}

/* --- System V IPC --- */

static void pr_ipc_perm(const struct ckpt_ipc_perm *perm)
{
	printf("  id: %d\n", (int32_t)LE32(perm->id));
	pr_x("key", LE32(perm->key));
	pr_u("uid", LE32(perm->uid));
	pr_u("gid", LE32(perm->gid));
	pr_u("cuid", LE32(perm->cuid));
	pr_u("cgid", LE32(perm->cgid));
	pr_o("mode", LE32(perm->mode));
}

void print_IPC_NS(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_ipc_ns *ns = p;

	pr_u("nr_msg", LE32(ns->nr_msg));
	pr_u("nr_sem", LE32(ns->nr_sem));
	pr_u("nr_shm", LE32(ns->nr_shm));
	pr_u("msg_ctlmax", LE32(ns->msg_ctlmax));
	pr_u("msg_ctlmnb", LE32(ns->msg_ctlmnb));
	pr_u("msg_ctlmni", LE32(ns->msg_ctlmni));
	printf("  sem_ctls: %u %u %u %u\n", LE32(ns->sem_ctls[0]), LE32(ns->sem_ctls[1]),
	       LE32(ns->sem_ctls[2]), LE32(ns->sem_ctls[3]));
}

void print_MSG_QUEUE(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_msg_queue *q = p;

	pr_ipc_perm(&q->perm);
	pr_u("stime", LE64(q->stime));
	pr_u("rtime", LE64(q->rtime));
	pr_u("ctime", LE64(q->ctime));
	pr_u("qbytes", LE64(q->qbytes));
	pr_u("qnum", LE64(q->qnum));
}

/* A message of a MSG_QUEUE, or of an MQUEUE, whose mtype is its priority */
void print_MSG(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_msg *m = p;

	pr_u(img->msg_mq ? "priority" : "mtype", LE64(m->mtype));
	pr_u("len", LE64(m->len));
}

void print_MQ_NS(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_mq_ns *ns = p;

	pr_u("nr_queues", LE32(ns->nr_queues));
	pr_u("queues_max", LE32(ns->queues_max));
	pr_u("msg_max", LE32(ns->msg_max));
	pr_u("msgsize_max", LE32(ns->msgsize_max));
	pr_u("msg_default", LE32(ns->msg_default));
	pr_u("msgsize_default", LE32(ns->msgsize_default));
}

/* Its owner, attributes and mq_notify(3) registration, then its name */
void print_MQUEUE(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_mqueue *q = p;
	uint32_t pid = LE32(q->notify_pid), how = LE32(q->notify);

	pr_u("uid", LE32(q->uid));
	pr_u("gid", LE32(q->gid));
	pr_o("mode", LE32(q->mode));
	pr_u("name_len", LE32(q->name_len));
	pr_u("maxmsg", LE64(q->maxmsg));
	pr_u("msgsize", LE64(q->msgsize));
	pr_u("curmsgs", LE64(q->curmsgs));
	pr_ref("notify_pid", pid);
	printf("  notify: %u", how);
	if (pid)
		ENUM(how, sigev_names);
	printf("\n");
	if (pid && how == SIGEV_SIGNAL_LINUX)
		pr_signal("notify_signo", LE32(q->notify_signo));
	else
		pr_u("notify_signo", LE32(q->notify_signo));
	pr_x("notify_value", LE64(q->notify_value));
	pr_str("name", (const char *)(q + 1), LE32(q->name_len));
}

/* The first 16 of @nsems little-endian 16-bit values */
static void pr_sems(const char *name, const uint8_t *v, uint32_t nsems, bool sign)
{
	uint32_t i;

	printf("  %s:", name);
	for (i = 0; i < nsems && i < 16; i++) {
		uint16_t x = v[2 * i] | v[2 * i + 1] << 8;

		if (sign)
			printf(" %d", (int16_t)x);
		else
			printf(" %u", x);
	}
	printf("%s\n", nsems > 16 ? " ..." : "");
}

void print_SEM_ARRAY(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sem_array *a = p;

	pr_ipc_perm(&a->perm);
	pr_u("otime", LE64(a->otime));
	pr_u("ctime", LE64(a->ctime));
	pr_u("nsems", LE32(a->nsems));
	pr_sems("values", (const uint8_t *)(a + 1), LE32(a->nsems), false);
}

void print_SEM_UNDO(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_sem_undo *u = p;

	printf("  semid: %d\n", (int32_t)LE32(u->semid));
	pr_u("nsems", LE32(u->nsems));
	pr_sems("semadj", (const uint8_t *)(u + 1), LE32(u->nsems), true);
}

void print_EVENTFD(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_eventfd *e = p;

	pr_u("count", LE64(e->count));
	printf("  flags: 0x%x", LE32(e->flags));
	FLAGS(LE32(e->flags), efd_flag_names);
	printf("\n");
}

void print_TIMERFD(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_timerfd *t = p;

	printf("  clockid: %u", LE32(t->clockid));
	ENUM(LE32(t->clockid), clock_names);
	printf("\n");
	printf("  flags: 0x%x", LE32(t->flags));
	FLAGS(LE32(t->flags), tfd_flag_names);
	printf("\n");
	pr_u("value_ns", LE64(t->value_ns));
	pr_u("interval_ns", LE64(t->interval_ns));
	pr_u("ticks", LE64(t->ticks));
}

void print_SIGNALFD(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_signalfd *s = p;

	pr_sigset("mask", LE64(s->mask));
}

void print_EPOLL(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_epoll *ep = p;
	const struct ckpt_epoll_item *it = (const void *)(ep + 1);
	uint32_t i;

	pr_u("nr_items", LE32(ep->nr_items));
	for (i = 0; i < LE32(ep->nr_items); i++) {
		printf("  item[%u]: file_ref=%u fd=%u data=0x%llx events=0x%x", i,
		       LE32(it[i].file_ref), LE32(it[i].fd),
		       (unsigned long long)LE64(it[i].data), LE32(it[i].events));
		FLAGS(LE32(it[i].events), epoll_event_names);
		printf("\n");
	}
}

void print_INOTIFY(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_inotify *in = p;
	const char *q = (const char *)(in + 1);
	uint32_t i;

	pr_u("nr_watches", LE32(in->nr_watches));
	pr_u("next_wd", LE32(in->next_wd));
	for (i = 0; i < LE32(in->nr_watches); i++) {
		const struct ckpt_inotify_watch *w = (const void *)q;

		printf("  watch[%u]: wd=%u ino=%llu mask=0x%x", i, LE32(w->wd),
		       (unsigned long long)LE64(w->ino), LE32(w->mask));
		FLAGS(LE32(w->mask), inotify_mask_names);
		printf(" path=");
		pr_quoted((const char *)(w + 1), LE32(w->path_len));
		printf("\n");
		q += sizeof(*w) + ALIGN8((uint64_t)LE32(w->path_len));
	}
}

/* A socket address: a path, or "@" and an abstract name */
static void pr_sun(const char *name, const char *s, size_t n)
{
	printf("  %s: ", name);
	if (n && !s[0]) {
		putchar('@');
		s++;
		n--;
	}
	pr_quoted(s, n);
	putchar('\n');
}

void print_UNIX_SK(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_unix_sk *u = p;
	const char *var = (const char *)(u + 1);
	uint32_t alen = LE32(u->addr_len), plen = LE32(u->path_len);

	pr_u("objref", LE32(u->objref));
	printf("  type: %u", LE32(u->type));
	ENUM(LE32(u->type), unix_type_names);
	printf("\n  state: %u", LE32(u->state));
	ENUM(LE32(u->state), unix_state_names);
	printf("\n  flags: 0x%x", LE32(u->flags));
	FLAGS(LE32(u->flags), unix_flag_names);
	printf("\n");
	pr_ref("peer_ref", LE32(u->peer_ref));
	pr_ref("listener_ref", LE32(u->listener_ref));
	pr_u("backlog", LE32(u->backlog));
	pr_u("shutdown", LE32(u->shutdown));
	pr_u("err", LE32(u->err));
	pr_u("sndbuf", LE32(u->sndbuf));
	pr_u("rcvbuf", LE32(u->rcvbuf));
	printf("  peek_off: %d\n", (int32_t)LE32(u->peek_off));
	pr_u("nr_skbs", LE32(u->nr_skbs));
	pr_u("nr_peer_skbs", LE32(u->nr_peer_skbs));
	if (alen)
		pr_sun("addr", var, alen);
	if (plen)
		pr_str("path", var + alen, plen);
	if (LE32(u->peer_name_len) && (LE32(u->flags) & CKPT_UNIX_EXTERNAL))
		pr_str("external", var + alen + plen, LE32(u->peer_name_len));
	else if (LE32(u->peer_name_len))
		pr_sun("peer_name", var + alen + plen, LE32(u->peer_name_len));
	if (LE32(u->flags) & CKPT_UNIX_PEERCRED)
		printf("  peercred: pid %u uid %u gid %u\n", LE32(u->cred_pid),
		       LE32(u->cred_uid), LE32(u->cred_gid));
}

void print_UNIX_SKB(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_unix_skb *m = p;
	const __le32 *refs = (const __le32 *)(m + 1);
	const char *data = (const char *)(refs + LE32(m->nr_fds));
	uint32_t n = LE32(m->len), i;

	pr_u("len", n);
	printf("  flags: 0x%x", LE32(m->flags));
	FLAGS(LE32(m->flags), unix_skb_flag_names);
	printf("\n");
	if (LE32(m->flags) & CKPT_UNIX_SKB_CREDS)
		printf("  creds: pid %u uid %u gid %u\n", LE32(m->pid), LE32(m->uid),
		       LE32(m->gid));
	printf("  crc32c: 0x%08x\n", contents_crc(data, n));
	if (LE32(m->addr_len))
		pr_sun("sender", data + n, LE32(m->addr_len));
	if (LE32(m->nr_fds)) {
		printf("  fds in flight:");
		for (i = 0; i < LE32(m->nr_fds); i++)
			printf(" %u", LE32(refs[i]));
		printf("\n");
	}
}

/* An address of the family: a.b.c.d or IPv6 in hex groups */
static void pr_inet(const char *name, uint32_t family, const uint8_t *a, uint32_t port)
{
	int i;

	printf("  %s: ", name);
	if (family == 2) {
		printf("%u.%u.%u.%u:%u\n", a[0], a[1], a[2], a[3], port);
		return;
	}
	printf("[");
	for (i = 0; i < 16; i += 2)
		printf("%s%x", i ? ":" : "", a[i] << 8 | a[i + 1]);
	printf("]:%u\n", port);
}

void print_INET_SK(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_inet_sk *s = p;
	uint32_t family = LE32(s->family);

	printf("  family: %u (%s)\n", family, family == 2 ? "INET" : "INET6");
	printf("  protocol: %u (%s)\n", LE32(s->protocol),
	       LE32(s->protocol) == 6 ? "TCP" : "UDP");
	printf("  state: %u", LE32(s->state));
	ENUM(LE32(s->state), inet_state_names);
	printf("\n  flags: 0x%x", LE32(s->flags));
	FLAGS(LE32(s->flags), inet_flag_names);
	printf("\n");
	pr_inet("local", family, s->src, LE16(s->sport));
	if (LE32(s->state) == CKPT_INET_CONNECTED || LE32(s->state) == CKPT_INET_STREAM)
		pr_inet("peer", family, s->dst, LE16(s->dport));
	pr_u("backlog", LE32(s->backlog));
	pr_u("nr_queued", LE32(s->nr_queued));
	pr_u("sndbuf", LE32(s->sndbuf));
	pr_u("rcvbuf", LE32(s->rcvbuf));
	pr_u("mark", LE32(s->mark));
	pr_u("linger", LE32(s->linger));
	printf("  keepalive: idle %u intvl %u cnt %u\n", LE32(s->keepidle),
	       LE32(s->keepintvl), LE32(s->keepcnt));
	printf("  tos: %u\n  ttl: %d\n", LE32(s->tos), (int32_t)LE32(s->ttl));
	if (s->dev[0])
		pr_str("dev", s->dev, sizeof(s->dev));
}

/* A queue of a TCP_STREAM: its crc32c, and with --pages its first bytes */
static void pr_tcp_queue(const struct image *img, const char *name,
			 const uint8_t *data, uint32_t n)
{
	printf("  %s: crc32c=0x%08x", name, contents_crc(data, n));
	if (img->show_pages && n) {
		printf(" bytes=");
		pr_hex(data, n < 16 ? n : 16);
		printf("%s", n > 16 ? " ..." : "");
	}
	printf("\n");
}

void print_TCP_STREAM(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_tcp_stream *t = p;
	const uint8_t *inq = (const uint8_t *)(t + 1);

	printf("  state: %u", LE32(t->state));
	ENUM(LE32(t->state), tcp_state_names);
	printf("\n  flags: 0x%x", LE32(t->flags));
	FLAGS(LE32(t->flags), tcp_flag_names);
	printf("\n");
	pr_u("snd_una", LE32(t->snd_una));
	pr_u("rcv_nxt", LE32(t->rcv_nxt));
	pr_u("inq_len", LE32(t->inq_len));
	pr_u("outq_len", LE32(t->outq_len));
	pr_u("unsent_len", LE32(t->unsent_len));
	pr_u("mss_clamp", LE32(t->mss_clamp));
	pr_u("snd_wscale", t->snd_wscale);
	pr_u("rcv_wscale", t->rcv_wscale);
	pr_u("timestamp", LE32(t->timestamp));
	pr_u("snd_wl1", LE32(t->snd_wl1));
	pr_u("snd_wnd", LE32(t->snd_wnd));
	pr_u("max_window", LE32(t->max_window));
	pr_u("rcv_wnd", LE32(t->rcv_wnd));
	pr_u("rcv_wup", LE32(t->rcv_wup));
	pr_u("user_mss", LE32(t->user_mss));
	pr_u("user_timeout", LE32(t->user_timeout));
	pr_tcp_queue(img, "inq", inq, LE32(t->inq_len));
	pr_tcp_queue(img, "outq", inq + LE32(t->inq_len), LE32(t->outq_len));
}

void print_UDP_DGRAM(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_udp_dgram *d = p;
	const uint8_t *data = (const uint8_t *)(d + 1);
	uint32_t family = LE32(d->family), n = LE32(d->len);

	printf("  family: %u (%s)\n", family, family == 2 ? "INET" : "INET6");
	pr_u("len", n);
	pr_inet("sender", family, d->saddr, LE16(d->sport));
	pr_inet("dest", family, d->daddr, LE16(d->dport));
	printf("  crc32c: 0x%08x\n", contents_crc(data, n));
	if (img->show_pages && n) {
		printf("  data: ");
		pr_hex(data, n < 16 ? n : 16);
		printf("%s\n", n > 16 ? " ..." : "");
	}
}

void print_NETLINK_SK(const struct image *img, const void *p, uint32_t len)
{
	const struct ckpt_netlink_sk *n = p;
	const uint8_t *g = (const uint8_t *)(n + 1);
	uint32_t i, nr = LE32(n->nr_groups);

	pr_u("protocol", LE32(n->protocol));
	pr_u("type", LE32(n->type));
	pr_x("flags", LE32(n->flags));
	pr_u("portid", LE32(n->portid));
	pr_u("dst_portid", LE32(n->dst_portid));
	pr_u("dst_group", LE32(n->dst_group));
	pr_u("sndbuf", LE32(n->sndbuf));
	pr_u("rcvbuf", LE32(n->rcvbuf));
	pr_u("dropped", LE32(n->dropped));
	printf("  groups:");
	for (i = 0; i < nr; i++)
		if (g[i / 8] & (1u << (i % 8)))
			printf(" %u", i + 1);
	printf("\n");
}
