// SPDX-License-Identifier: GPL-2.0
/*
 * A container's network namespace across checkpoint, kill and restart:
 * its veth device, whose other end is outside (as on a container
 * manager's bridge), comes back with its name, index, hardware address
 * and MTU, its IPv4 and IPv6 addresses, its routes and its sysctls, which
 * the container reads back the same; the outer end comes back in the
 * caller's namespace under its name.
 *
 * A client outside the container talks TCP with a server inside over the
 * veth pair, both checking every byte, through two checkpoints that kill
 * the container: the client never sees an error, no byte is lost,
 * duplicated or reordered.  So do a UNIX stream socketpair and a TCP
 * connection over the container's loopback, both ends inside.  Damaged
 * NETNS, NETDEV, NET_ADDR and NET_ROUTE records make restart fail cleanly.
 *
 * The test runs in a network namespace of its own: nothing leaves it.
 * Devices are set up with busybox's `ip`.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
/* After <netinet/in.h>, which the uapi headers then leave alone */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "ckpt_image.h"

#define OUTER		"vout0"
#define PORT		7800
/* How the container sets up its end (the peer the test moved in: veth0) */
#define CT_SETUP							\
	"echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad && "	\
	"echo 0 > /proc/sys/net/ipv6/conf/veth0/accept_dad && "		\
	"ip link set lo up && ip link set veth0 name eth0 && "		\
	"ip link set eth0 address 02:77:00:00:00:02 mtu 1400 && "	\
	"ip link set eth0 up && "					\
	"ip addr add 10.77.0.2/24 dev eth0 && "				\
	"ip addr add 10.78.0.2/16 brd 10.78.255.255 dev eth0 label eth0:1 && " \
	"ip -6 addr add fd77::2/64 dev eth0 && "			\
	"ip route add default via 10.77.0.1 && "			\
	"ip route add 10.99.0.0/16 via 10.77.0.1 metric 7 && "		\
	"ip route add blackhole 10.98.0.0/16 && "			\
	"ip -6 route add default via fd77::1 dev eth0 && "		\
	"echo 777 > /proc/sys/net/core/somaxconn && "			\
	"echo '20000 40001' > /proc/sys/net/ipv4/ip_local_port_range && " \
	"echo 1234 > /proc/sys/net/ipv4/tcp_keepalive_time && "		\
	"echo 42 > /proc/sys/net/ipv4/ip_default_ttl"
/* What the container checks is the same after restart */
#define CT_FINGERPRINT							\
	"ip -o link show eth0 | grep -oE '^[0-9]+: eth0|[<,]UP[,>]|mtu [0-9]+'; " \
	"ip link show eth0 | grep -o 'link/ether [0-9a-f:]*'; "		\
	"ip -4 addr show dev eth0 | grep -o 'inet [^ ]* brd [^ ]*.*'; "	\
	"ip -6 addr show dev eth0 scope global | grep -o 'inet6 [^ ]*'; " \
	"ip route; ip route show table all | grep -v fe80 | grep -c .; "		\
	"ip -6 route | grep -v '^f[ef]'; "				\
	"cat /proc/sys/net/core/somaxconn /proc/sys/net/ipv4/ip_local_port_range " \
	"/proc/sys/net/ipv4/tcp_keepalive_time /proc/sys/net/ipv4/ip_default_ttl"

FIXTURE(netns) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(netns)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, system("ip link set lo up"));
}

FIXTURE_TEARDOWN(netns)
{
	ckpt_ctx_teardown(&self->ctx);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static const char *const ct_reasons[] = {
	[1] = "could not set up the container's network",
	[2] = "could not accept the client",
	[3] = "a byte was lost, duplicated or reordered",
	[4] = "the data stopped flowing",
	[5] = "the network namespace is not the same after restart",
	[6] = "the connection failed",
};

/* What the container does, set before it is created */
static struct {
	char go_path[160];	/* the test moved the veth peer in */
	char ready_path[160];	/* set up, listening */
	char count_path[160];	/* the server's byte counts at the end */
	bool serve;		/* accept a client and stream with it */
	bool nft;		/* add an nftables base chain */
	bool inner;		/* stream on a socketpair and over its loopback */
} ct;

static char fp_before[4096], fp_after[4096];

/* The output of CT_FINGERPRINT in @buf */
static int fingerprint(char *buf, size_t size)
{
	sigset_t usr1, old;
	size_t n = 0;
	FILE *f;
	int ret;

	/* The test repeats SIGUSR1 until we exit: no short read */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	f = popen(CT_FINGERPRINT, "r");
	if (f)
		n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	ret = f && pclose(f) != -1 ? 0 : -1;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/* Note each line of @a that @b lacks */
static void note_missing(const char *what, const char *a, const char *b)
{
	static char copy[4096];
	char *line, *save = NULL;

	snprintf(copy, sizeof(copy), "%s", a);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strstr(b, line))
			ckpt_child_note("%s: %s", what, line);
}

static bool wait_file(const char *path, int ms)
{
	struct stat st;

	for (; ms > 0 && stat(path, &st); ms -= 20)
		ckpt_sleep_ms(20);
	return !stat(path, &st);
}

static int touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Byte @i of the stream seeded @seed */
static uint8_t pat(unsigned int seed, uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 8) * 13 + (i >> 16) * 17 + seed);
}

/* Both directions of one connection, as one end sees them */
struct conv {
	int fd;
	unsigned int out_seed, in_seed;
	uint64_t sent, rcvd, limit;
	bool eof;
};

/* Write what fits, read what came and check it: 0, or an exit reason */
static int conv_step(struct conv *c, bool *moved)
{
	uint8_t buf[8192];
	ssize_t n, i;

	n = c->limit - c->sent < sizeof(buf) ? c->limit - c->sent : sizeof(buf);
	for (i = 0; i < n; i++)
		buf[i] = pat(c->out_seed, c->sent + i);
	n = n ? send(c->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) : 0;
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return 6;
	if (n > 0) {
		c->sent += n;
		*moved = true;
	}
	if (c->sent == c->limit && c->limit != UINT64_MAX && shutdown(c->fd, SHUT_WR) &&
	    errno != ENOTCONN)
		return 6;
	n = c->eof ? 0 : recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return 6;
	if (!n)
		c->eof = true;
	for (i = 0; i < n; i++)
		if (buf[i] != pat(c->in_seed, c->rcvd + i))
			return 3;
	if (n > 0) {
		c->rcvd += n;
		*moved = true;
	}
	return 0;
}

static bool conv_done(const struct conv *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!c[i].eof || c[i].sent != c[i].limit)
			return false;
	return true;
}

/*
 * Stream on @n connection ends until told to finish (@finish), then 64 KiB
 * more each, shut down and read to the peer's end: 0, or an exit reason
 */
static int conv_run(struct conv *c, int n, volatile sig_atomic_t *finish)
{
	int64_t last = ckpt_now_ns();
	bool moved;
	int i, ret;

	for (i = 0; i < n; i++)
		c[i].limit = UINT64_MAX;
	while (!conv_done(c, n)) {
		moved = false;
		for (i = 0; i < n; i++) {
			ret = conv_step(&c[i], &moved);
			if (ret)
				return ret;
		}
		if (!moved && ckpt_now_ns() - last > 40000000000LL)
			return 4;
		if (moved)
			last = ckpt_now_ns();
		else
			ckpt_sleep_ms(2);
		for (i = 0; *finish && i < n; i++)
			if (c[i].limit == UINT64_MAX)
				c[i].limit = c[i].sent + 65536;
	}
	return 0;
}

static int write_counts(const char *path, const struct conv *c)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "%llu %llu\n", (unsigned long long)c->sent, (unsigned long long)c->rcvd);
	return fclose(f);
}

static int ct_serve(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct conv c = { .out_seed = 1, .in_seed = 2 };
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, ret;

	inet_pton(AF_INET, "10.77.0.2", &a.sin_addr);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (void *)&a, sizeof(a)) || listen(l, 4) || touch(ct.ready_path))
		return 1;
	c.fd = accept(l, NULL, NULL);
	if (c.fd < 0)
		return 2;
	ret = conv_run(&c, 1, &ckpt_child_finish);
	if (write_counts(ct.count_path, &c))
		return ret ?: 1;
	return ret;
}

/* ---- an nftables base chain, as `nft add chain inet t c { type filter hook input ... }` ---- */

struct nlbuf {
	char data[1024];
	size_t len;
	struct nlmsghdr *msg;
};

static void nl_msg(struct nlbuf *b, int type, int flags, int family, int res_id)
{
	struct nfgenmsg *g;

	b->msg = (void *)(b->data + b->len);
	b->msg->nlmsg_type = type;
	b->msg->nlmsg_flags = NLM_F_REQUEST | flags;
	b->msg->nlmsg_seq = b->len + 1;
	b->len += NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*g));
	g = NLMSG_DATA(b->msg);
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	b->msg->nlmsg_len = (char *)(b->data + b->len) - (char *)b->msg;
}

static struct nlattr *nl_attr(struct nlbuf *b, int type, const void *v, size_t len)
{
	struct nlattr *a = (void *)(b->data + b->len);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, v, len);
	b->len += NLA_ALIGN(a->nla_len);
	b->msg->nlmsg_len = (char *)(b->data + b->len) - (char *)b->msg;
	return a;
}

static int nft_base_chain(void)
{
	uint32_t hook = htonl(NF_INET_LOCAL_IN), prio = 0;
	struct nlbuf b = { .len = 0 };
	int fd, type = NFNL_SUBSYS_NFTABLES << 8;
	struct nlattr *nest;
	char ack[512];

	nl_msg(&b, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	nl_msg(&b, type | NFT_MSG_NEWTABLE, NLM_F_CREATE, NFPROTO_INET, 0);
	nl_attr(&b, NFTA_TABLE_NAME, "ckpt", 5);
	nl_msg(&b, type | NFT_MSG_NEWCHAIN, NLM_F_CREATE, NFPROTO_INET, 0);
	nl_attr(&b, NFTA_CHAIN_TABLE, "ckpt", 5);
	nl_attr(&b, NFTA_CHAIN_NAME, "in", 3);
	nl_attr(&b, NFTA_CHAIN_TYPE, "filter", 7);
	nest = nl_attr(&b, NFTA_CHAIN_HOOK | NLA_F_NESTED, NULL, 0);
	nl_attr(&b, NFTA_HOOK_HOOKNUM, &hook, 4);
	nl_attr(&b, NFTA_HOOK_PRIORITY, &prio, 4);
	nest->nla_len = (char *)(b.data + b.len) - (char *)nest;
	nl_msg(&b, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0 || send(fd, b.data, b.len, 0) != (ssize_t)b.len)
		return -1;
	/* Errors only: none within a moment means the batch went in */
	ckpt_sleep_ms(100);
	if (recv(fd, ack, sizeof(ack), MSG_DONTWAIT) > 0)
		return -1;
	close(fd);
	return 0;
}

/*
 * A UNIX stream socketpair and a TCP connection on the container's
 * loopback, both ends in init, streaming both ways
 */
static int ct_inner(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT + 1),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct conv c[4] = {
		{ .out_seed = 11, .in_seed = 12 }, { .out_seed = 12, .in_seed = 11 },
		{ .out_seed = 13, .in_seed = 14 }, { .out_seed = 14, .in_seed = 13 },
	};
	int sv[2], l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ret, i;

	if (l < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || bind(l, (void *)&a, sizeof(a)) ||
	    listen(l, 1))
		return 1;
	c[0].fd = sv[0];
	c[1].fd = sv[1];
	c[2].fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c[2].fd < 0 || connect(c[2].fd, (void *)&a, sizeof(a)))
		return 1;
	c[3].fd = accept(l, NULL, NULL);
	if (c[3].fd < 0 || touch(ct.ready_path))
		return 1;
	ret = conv_run(c, 4, &ckpt_child_finish);
	for (i = 0; !ret && i < 4; i++)
		if (c[i].sent != c[i ^ 1].rcvd)
			ret = 3;
	ckpt_child_note("UNIX stream: %llu and %llu bytes, TCP: %llu and %llu bytes",
			(unsigned long long)c[0].sent, (unsigned long long)c[1].sent,
			(unsigned long long)c[2].sent, (unsigned long long)c[3].sent);
	return ret;
}

static int ct_init(void)
{
	int ret = 0;

	if (getpid() != 1 || !wait_file(ct.go_path, 20000) || system(CT_SETUP) ||
	    (ct.nft && nft_base_chain()) || fingerprint(fp_before, sizeof(fp_before)))
		return 1;
	if (ct.serve)
		ret = ct_serve();
	else if (ct.inner)
		ret = ct_inner();
	else if (touch(ct.ready_path))
		ret = 1;
	else
		ckpt_child_wait_finish();
	if (ret)
		return ret;
	if (fingerprint(fp_after, sizeof(fp_after)))
		return 1;
	if (strcmp(fp_before, fp_after)) {
		note_missing("lost", fp_before, fp_after);
		note_missing("new", fp_after, fp_before);
		return 5;
	}
	ckpt_child_note("the same before and after:\n%s", fp_after);
	return 0;
}

/* Run the command @fmt makes; assert it succeeded */
#define RUN(fmt, ...)								\
	do {									\
		char __cmd[512];						\
		snprintf(__cmd, sizeof(__cmd), fmt, ##__VA_ARGS__);		\
		ASSERT_EQ(0, system(__cmd)) TH_LOG("%s", __cmd);		\
	} while (0)

/* The outer end's address, as a container manager would set it up */
static void outer_up(struct __test_metadata *_metadata)
{
	RUN("ip addr add 10.77.0.1/24 dev " OUTER " && ip -6 addr add fd77::1/64 dev " OUTER
	    " && ip link set " OUTER " up");
}

/*
 * The container: a veth pair, the peer moved in as veth0, which the
 * container sets up (CT_SETUP)
 */
static pid_t spawn_container(struct __test_metadata *_metadata, struct ckpt_ctx *ctx)
{
	struct clone_args args = {
		.flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS,
		.exit_signal = SIGCHLD,
	};
	pid_t pid;

	snprintf(ct.go_path, sizeof(ct.go_path), "%s/go", ctx->dir);
	snprintf(ct.ready_path, sizeof(ct.ready_path), "%s/ready", ctx->dir);
	snprintf(ct.count_path, sizeof(ct.count_path), "%s/server-counts", ctx->dir);
	unlink(ct.go_path);
	unlink(ct.ready_path);
	RUN("echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad");
	fflush(NULL);
	pid = syscall(__NR_clone3, &args, sizeof(args));
	ASSERT_LE(0, pid) TH_LOG("clone3: %s", strerror(errno));
	if (!pid) {
		int ret = ckpt_child_detach();

		_exit(ret ?: ct_init());
	}
	ckpt_ctx_track(ctx, pid);
	RUN("ip link add name " OUTER " type veth && ip link set veth0 netns %d", pid);
	outer_up(_metadata);
	ASSERT_EQ(0, touch(ct.go_path));
	while (!wait_file(ct.ready_path, 100))
		ASSERT_TRUE(ckpt_child_running(pid)) TH_LOG("the container's init died");
	return pid;
}

/* The outer end goes with the killed container's namespace, a little later */
static void wait_outer_gone(void)
{
	int i;

	for (i = 0; i < 500 && if_nametoindex(OUTER); i++)
		ckpt_sleep_ms(10);
}

/* Checkpoint and kill the container, let its namespace go, restart it */
static pid_t cycle(struct __test_metadata *_metadata, struct ckpt_ctx *ctx, pid_t pid)
{
	if (ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL))
		return -1;
	ckpt_reap_killed(_metadata, pid);
	wait_outer_gone();
	pid = ckpt_restart(_metadata, ctx);
	if (pid <= 0)
		return -1;
	ckpt_ctx_track(ctx, pid);
	/* Back under its name, up: the caller gives it its addresses */
	EXPECT_NE(0U, if_nametoindex(OUTER));
	outer_up(_metadata);
	return pid;
}

TEST_F_TIMEOUT(netns, container_devices_addresses_routes_and_sysctls_come_back, 120)
{
	pid_t pid;

	ct.serve = false;
	pid = spawn_container(_metadata, &self->ctx);
	pid = cycle(_metadata, &self->ctx, pid);
	ASSERT_LT(0, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(ct_reasons));
	ckpt_dump_file(_metadata, "container", ckpt_note_path, 40);
}

TEST_F_TIMEOUT(netns, netfilter_rules_are_refused_by_name, 120)
{
	pid_t pid;

	ct.serve = false;
	ct.nft = true;
	pid = spawn_container(_metadata, &self->ctx);
	ct.nft = false;
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	EXPECT_EQ(-1, ckpt_call_checkpoint(&self->ctx, pid, self->ctx.image_fd, 0,
					   self->ctx.log_fd));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "netfilter hooks"))
		ckpt_dump_log(_metadata, &self->ctx);
	/* Left running, its network unchanged */
	ckpt_finish(_metadata, pid, CKPT_REASONS(ct_reasons));
}

static long restart_with(struct ckpt_ctx *ctx, const struct ckpt_external *ext, unsigned int nr)
{
	if (lseek(ctx->image_fd, 0, SEEK_SET) || ckpt_reset_file(ctx->log_fd))
		return -1;
	return syscall(__NR_restart, 0, ctx->image_fd, RESTART_EXTERNAL, ctx->log_fd, ext, nr);
}

TEST_F_TIMEOUT(netns, outer_end_comes_back_under_the_callers_name, 120)
{
	struct ckpt_external ext[2] = {
		{ .kind = CKPT_EXT_VETH, .fd = -1, .key = "eth9", .name = "vnot0" },
		{ .kind = CKPT_EXT_VETH, .fd = -1, .key = "eth0", .name = "vext0" },
	};
	pid_t pid;

	ct.serve = false;
	pid = spawn_container(_metadata, &self->ctx);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	wait_outer_gone();
	/* Another copy could be running: the saved name may be taken */
	RUN("ip link add name " OUTER " type veth");
	pid = restart_with(&self->ctx, ext, 2);
	ASSERT_LT(0, pid) {
		TH_LOG("restart with RESTART_EXTERNAL: %s", strerror(errno));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ckpt_ctx_track(&self->ctx, pid);
	EXPECT_NE(0U, if_nametoindex("vext0"));
	EXPECT_EQ(0U, if_nametoindex("vnot0"));
	RUN("ip addr add 10.77.0.1/24 dev vext0");
	ckpt_finish(_metadata, pid, CKPT_REASONS(ct_reasons));
}

TEST_F_TIMEOUT(netns, malformed_externals_are_refused, 120)
{
	struct ckpt_external ext = { .kind = CKPT_EXT_VETH, .fd = -1, .key = "eth0" };
	struct image img = { 0 };
	int i;

	ct.serve = false;
	img.pid = spawn_container(_metadata, &self->ctx);
	image_of_killed(_metadata, &self->ctx, img.pid, &img);
	for (i = 0; i < 4; i++) {
		/* No name, a name with a slash, an unknown kind, too many */
		snprintf(ext.name, sizeof(ext.name), "%s", i == 1 ? "a/b" : i ? "ok0" : "");
		ext.kind = i == 2 ? 99 : CKPT_EXT_VETH;
		EXPECT_EQ(-1, restart_with(&self->ctx, &ext, i == 3 ? CKPT_EXTERNAL_MAX + 1 : 1));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_TRUE(ckpt_nothing_left(_metadata, img.pid, "malformed external"));
	}
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "externals: give 1 to"))
		ckpt_dump_log(_metadata, &self->ctx);
	free(img.recs);
	free(img.data);
}

TEST_F_TIMEOUT(netns, unix_and_tcp_streams_inside_go_on_through_two_kills, 180)
{
	pid_t pid;

	ct.serve = false;
	ct.inner = true;
	pid = spawn_container(_metadata, &self->ctx);
	ct.inner = false;
	ckpt_sleep_ms(300);
	pid = cycle(_metadata, &self->ctx, pid);
	ASSERT_LT(0, pid);
	ckpt_sleep_ms(500);
	pid = cycle(_metadata, &self->ctx, pid);
	ASSERT_LT(0, pid);
	ckpt_sleep_ms(500);
	ckpt_finish(_metadata, pid, CKPT_REASONS(ct_reasons));
	ckpt_dump_file(_metadata, "container", ckpt_note_path, 3);
}

/* ---- a client outside, over the veth pair ---- */

static volatile sig_atomic_t client_finish;

static void client_finish_handler(int sig)
{
	(void)sig;
	client_finish = 1;
}

/* The client, in the test's namespace: 0, or an exit reason */
static int client(const char *count_path)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct conv c = { .out_seed = 2, .in_seed = 1 };
	int ret;

	signal(SIGUSR1, client_finish_handler);
	inet_pton(AF_INET, "10.77.0.2", &a.sin_addr);
	c.fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c.fd < 0 || connect(c.fd, (void *)&a, sizeof(a)))
		return 6;
	ret = conv_run(&c, 1, &client_finish);
	return write_counts(count_path, &c) ? 1 : ret;
}

static void read_counts(struct __test_metadata *_metadata, const char *path,
			unsigned long long *sent, unsigned long long *rcvd)
{
	FILE *f = fopen(path, "r");

	ASSERT_TRUE(!!f) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ(2, fscanf(f, "%llu %llu", sent, rcvd));
	fclose(f);
}

TEST_F_TIMEOUT(netns, client_outside_talks_on_through_two_kills, 240)
{
	unsigned long long cs, cr, ss, sr;
	char count_path[200];
	int status;
	pid_t pid, cl;

	ct.serve = true;
	snprintf(count_path, sizeof(count_path), "%s/client-counts", self->ctx.dir);
	pid = spawn_container(_metadata, &self->ctx);
	fflush(NULL);
	cl = fork();
	ASSERT_LE(0, cl);
	if (!cl)
		_exit(client(count_path));
	ckpt_sleep_ms(500);
	pid = cycle(_metadata, &self->ctx, pid);
	ASSERT_LT(0, pid);
	ckpt_sleep_ms(1000);
	pid = cycle(_metadata, &self->ctx, pid);
	ASSERT_LT(0, pid);
	ckpt_sleep_ms(1000);
	kill(cl, SIGUSR1);
	ckpt_finish(_metadata, pid, CKPT_REASONS(ct_reasons));
	ckpt_dump_file(_metadata, "container", ckpt_note_path, 10);
	status = ckpt_wait_child(cl, CKPT_EXIT_TIMEOUT_MS, false);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the client: status %#x (%s)", status,
		       WIFEXITED(status) && WEXITSTATUS(status) < 7 ?
		       ct_reasons[WEXITSTATUS(status)] : "?");
	read_counts(_metadata, count_path, &cs, &cr);
	read_counts(_metadata, ct.count_path, &ss, &sr);
	TH_LOG("client sent %llu, received %llu; server sent %llu, received %llu",
	       cs, cr, ss, sr);
	EXPECT_EQ(cs, sr);
	EXPECT_EQ(ss, cr);
	EXPECT_LT(65536U, cr);
}

/* ---- damaged records ---- */

FIXTURE(netns_damaged) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(netns_damaged) {
	int what;
	int err;
};

FIXTURE_VARIANT_ADD(netns_damaged, sysctl_out_of_range) { .what = 0, .err = EINVAL };
FIXTURE_VARIANT_ADD(netns_damaged, more_sysctls_than_there_are) { .what = 1, .err = EINVAL };
FIXTURE_VARIANT_ADD(netns_damaged, device_unknown_kind) { .what = 2, .err = EINVAL };
FIXTURE_VARIANT_ADD(netns_damaged, device_name_not_terminated) { .what = 3, .err = EINVAL };
FIXTURE_VARIANT_ADD(netns_damaged, address_prefix_too_long) { .what = 4, .err = EINVAL };
FIXTURE_VARIANT_ADD(netns_damaged, address_on_unknown_device) { .what = 5, .err = EINVAL };
FIXTURE_VARIANT_ADD(netns_damaged, route_in_local_table) { .what = 6, .err = EINVAL };
FIXTURE_VARIANT_ADD(netns_damaged, route_of_unknown_type) { .what = 7, .err = EINVAL };
FIXTURE_VARIANT_ADD(netns_damaged, outer_name_taken) { .what = 8, .err = EEXIST };
FIXTURE_VARIANT_ADD(netns_damaged, truncated_in_a_route) { .what = 9, .err = EINVAL };

FIXTURE_SETUP(netns_damaged)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, system("ip link set lo up"));
}

FIXTURE_TEARDOWN(netns_damaged)
{
	ckpt_ctx_teardown(&self->ctx);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void *payload_of(struct image *img, uint32_t type)
{
	struct ckpt_rec *r = find_rec(img, type);

	return r ? ckpt_payload(img->data, r) : NULL;
}

TEST_F_TIMEOUT(netns_damaged, restart_fails_cleanly, 90)
{
	struct ckpt_net_route *r;
	struct ckpt_net_addr *a;
	struct ckpt_netdev *d;
	struct ckpt_netns *n;
	struct image img = { 0 };
	size_t len;

	ct.serve = false;
	img.pid = spawn_container(_metadata, &self->ctx);
	image_of_killed(_metadata, &self->ctx, img.pid, &img);
	n = payload_of(&img, CKPT_REC_NETNS);
	d = payload_of(&img, CKPT_REC_NETDEV);
	a = payload_of(&img, CKPT_REC_NET_ADDR);
	r = payload_of(&img, CKPT_REC_NET_ROUTE);
	ASSERT_TRUE(n && d && a && r) TH_LOG("the image lacks a network record");
	ASSERT_EQ(1, le16toh(n->nr_devs));
	ASSERT_EQ((uint32_t)CKPT_NETDEV_PEER_OUT, le32toh(d->flags) & CKPT_NETDEV_PEER_OUT);
	ASSERT_STREQ(OUTER, d->peer_name);
	len = img.len;
	switch (variant->what) {
	case 0:
		((struct ckpt_net_sysctl *)(n + 1))[3].value = htole32(0);
		break;
	case 1:
		n->nr_sysctls = htole16(le16toh(n->nr_sysctls) + 1);
		break;
	case 2:
		d->kind = htole32(7);
		break;
	case 3:
		memset(d->name, 'x', sizeof(d->name));
		break;
	case 4:
		a->prefixlen = a->family == AF_INET ? 33 : 129;
		break;
	case 5:
		a->ifindex = htole32(99);
		break;
	case 6:
		r->table = htole32(255);
		break;
	case 7:
		r->type = 9;
		break;
	case 8:
		/* The caller's namespace has a device of that name */
		snprintf(d->peer_name, sizeof(d->peer_name), "lo");
		break;
	default:
		len = (char *)r - img.data + sizeof(*r) / 2;
		break;
	}
	if (variant->what != 9)
		trailer_of(&img, img.data)->crc32c =
			htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	ASSERT_TRUE(restart_from_broken_image(_metadata, &self->ctx, img.data, len,
					      img.pid, variant->err, "damaged network record") ==
		    CKPT_FAILED_CLEANLY);
	free(img.recs);
	free(img.data);
}

TEST_HARNESS_MAIN
