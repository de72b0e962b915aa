// SPDX-License-Identifier: GPL-2.0
/*
 * TCP and UDP sockets without a connection or data survive checkpoint,
 * kill and restart: a listening TCP socket (IPv4 and IPv6) keeps its
 * address, backlog and options and accepts new connections; a UDP socket
 * keeps its address, its peer and its options and sends and receives.
 * Datagrams queued on UDP sockets (IPv4, IPv6 and v4-mapped) arrive
 * after restart with their boundaries, senders and order.
 * What cannot be saved yet (urgent data, a connection in repair mode,
 * a corked datagram) makes checkpoint fail with
 * EOPNOTSUPP and a log naming the socket, and leaves the task running.
 * A netlink socket keeps its port id, groups (above 32 too) and options,
 * and talks to the kernel.  A damaged INET_SK makes restart fail cleanly.
 *
 * All traffic is on loopback, in a network namespace of the test's own
 * when it can make one, so that the ports are free.
 */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sched.h>
#include <sys/socket.h>

#include "ckpt_image.h"

#define PORT_TCP	7771
#define PORT_TCP6	7772
#define PORT_UDP	7773

FIXTURE(inet) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(inet)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(inet)
{
	ckpt_ctx_teardown(&self->ctx);
}

/* After the nudge that lets it go, no more EINTR from the next ones */
static void wait_finish(void)
{
	sigset_t set;

	ckpt_child_wait_finish();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static int int_opt(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int v = -1;

	if (getsockopt(fd, level, opt, &v, &len))
		return -1;
	return v;
}

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

static struct sockaddr_in lo4(int port)
{
	return (struct sockaddr_in){
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
}

/* ---- a TCP listener ---- */

#define FD_TCP	3
#define FD_TCP6	4

static const char *const listener_reasons[] = {
	[1] = "could not set up the listeners",
	[2] = "the listener's address changed",
	[3] = "an option of the listener changed",
	[4] = "the listener no longer accepts connections",
	[5] = "the IPv6 listener lost IPV6_V6ONLY or its address",
	[6] = "the listener lost O_NONBLOCK",
};

static int listener_child(void *arg)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(PORT_TCP6),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a = lo4(PORT_TCP), g;
	socklen_t len = sizeof(g);
	int rcvbuf, c, s;
	char buf[4];

	(void)arg;
	if (socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0) != FD_TCP ||
	    socket(AF_INET6, SOCK_STREAM, 0) != FD_TCP6 ||
	    set_int(FD_TCP, SOL_SOCKET, SO_REUSEADDR, 1) ||
	    set_int(FD_TCP, SOL_SOCKET, SO_KEEPALIVE, 1) ||
	    set_int(FD_TCP, IPPROTO_TCP, TCP_NODELAY, 1) ||
	    set_int(FD_TCP, IPPROTO_TCP, TCP_KEEPIDLE, 77) ||
	    set_int(FD_TCP, IPPROTO_TCP, TCP_KEEPCNT, 4) ||
	    set_int(FD_TCP, SOL_SOCKET, SO_RCVBUF, 65536) ||
	    set_int(FD_TCP, IPPROTO_IP, IP_TOS, 0x10) ||
	    bind(FD_TCP, (void *)&a, sizeof(a)) || listen(FD_TCP, 7) ||
	    set_int(FD_TCP6, IPPROTO_IPV6, IPV6_V6ONLY, 1) ||
	    bind(FD_TCP6, (void *)&a6, sizeof(a6)) || listen(FD_TCP6, 3))
		return 1;
	rcvbuf = int_opt(FD_TCP, SOL_SOCKET, SO_RCVBUF);
	ckpt_child_ready();
	wait_finish();

	if (getsockname(FD_TCP, (void *)&g, &len) || g.sin_port != htons(PORT_TCP) ||
	    g.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
		return 2;
	if (int_opt(FD_TCP, SOL_SOCKET, SO_REUSEADDR) != 1 ||
	    int_opt(FD_TCP, SOL_SOCKET, SO_KEEPALIVE) != 1 ||
	    int_opt(FD_TCP, IPPROTO_TCP, TCP_NODELAY) != 1 ||
	    int_opt(FD_TCP, IPPROTO_TCP, TCP_KEEPIDLE) != 77 ||
	    int_opt(FD_TCP, IPPROTO_TCP, TCP_KEEPCNT) != 4 ||
	    int_opt(FD_TCP, SOL_SOCKET, SO_RCVBUF) != rcvbuf ||
	    int_opt(FD_TCP, IPPROTO_IP, IP_TOS) != 0x10 ||
	    int_opt(FD_TCP, SOL_SOCKET, SO_ACCEPTCONN) != 1) {
		ckpt_child_note("keepidle %d rcvbuf %d (was %d) tos %d",
				int_opt(FD_TCP, IPPROTO_TCP, TCP_KEEPIDLE),
				int_opt(FD_TCP, SOL_SOCKET, SO_RCVBUF), rcvbuf,
				int_opt(FD_TCP, IPPROTO_IP, IP_TOS));
		return 3;
	}
	if (!(fcntl(FD_TCP, F_GETFL) & O_NONBLOCK))
		return 6;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (void *)&a, sizeof(a))) {
		ckpt_child_note("connect: %s", strerror(errno));
		return 4;
	}
	do
		s = accept(FD_TCP, NULL, NULL);
	while (s < 0 && (errno == EAGAIN || errno == EINTR));
	if (s < 0 || write(c, "ping", 4) != 4 || read(s, buf, 4) != 4 ||
	    memcmp(buf, "ping", 4)) {
		ckpt_child_note("accept %d: %s", s, strerror(errno));
		return 4;
	}
	if (int_opt(FD_TCP6, IPPROTO_IPV6, IPV6_V6ONLY) != 1)
		return 5;
	c = socket(AF_INET6, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (void *)&a6, sizeof(a6)) || accept(FD_TCP6, NULL, NULL) < 0)
		return 5;
	return 0;
}

/* Ports of the test's own: a network namespace with lo up, if it can */
static void own_netns(void)
{
	if (!unshare(CLONE_NEWNET))
		system("ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null");
}

TEST_F_TIMEOUT(inet, tcp_listener_keeps_address_and_options, 60)
{
	pid_t pid;

	own_netns();
	pid = ckpt_spawn(_metadata, &self->ctx, listener_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(listener_reasons));
}

/* ---- UDP ---- */

#define FD_UDP		3	/* bound to PORT_UDP */
#define FD_UDPC		4	/* connected to FD_UDP, autobound */

static const char *const udp_reasons[] = {
	[1] = "could not set up the UDP sockets",
	[2] = "the bound socket's address or an option changed",
	[3] = "the connected socket lost its peer or its port",
	[4] = "a datagram did not arrive",
};

static int udp_child(void *arg)
{
	struct sockaddr_in a = lo4(PORT_UDP), g, m;
	socklen_t len = sizeof(g), mlen = sizeof(m);
	uint16_t port;
	char buf[8];

	(void)arg;
	if (socket(AF_INET, SOCK_DGRAM, 0) != FD_UDP ||
	    socket(AF_INET, SOCK_DGRAM, 0) != FD_UDPC ||
	    set_int(FD_UDP, SOL_SOCKET, SO_BROADCAST, 1) ||
	    set_int(FD_UDP, IPPROTO_IP, IP_TTL, 9) ||
	    bind(FD_UDP, (void *)&a, sizeof(a)) ||
	    connect(FD_UDPC, (void *)&a, sizeof(a)) ||
	    getsockname(FD_UDPC, (void *)&m, &mlen))
		return 1;
	port = m.sin_port;
	ckpt_child_ready();
	wait_finish();

	if (getsockname(FD_UDP, (void *)&g, &len) || g.sin_port != htons(PORT_UDP) ||
	    int_opt(FD_UDP, SOL_SOCKET, SO_BROADCAST) != 1 ||
	    int_opt(FD_UDP, IPPROTO_IP, IP_TTL) != 9)
		return 2;
	len = sizeof(g);
	if (getpeername(FD_UDPC, (void *)&g, &len) || g.sin_port != htons(PORT_UDP) ||
	    getsockname(FD_UDPC, (void *)&m, &mlen) || m.sin_port != port)
		return 3;
	len = sizeof(g);
	if (send(FD_UDPC, "dgram", 5, 0) != 5 ||
	    recvfrom(FD_UDP, buf, sizeof(buf), 0, (void *)&g, &len) != 5 ||
	    memcmp(buf, "dgram", 5) || g.sin_port != port)
		return 4;
	return 0;
}

TEST_F_TIMEOUT(inet, udp_keeps_address_peer_and_options, 60)
{
	pid_t pid;

	own_netns();
	pid = ckpt_spawn(_metadata, &self->ctx, udp_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(udp_reasons));
}

/* ---- datagrams queued, not read yet ---- */

#define FD_Q4		3	/* IPv4, bound to PORT_UDP + 1: 4 datagrams queued */
#define FD_Q6		4	/* IPv6, bound to [::]:PORT_UDP + 2: 2 queued */
#define FD_S1		5	/* the senders */
#define FD_S2		6
#define FD_S6		7

static const size_t qsizes[] = { 5, 0, 1472, 60000 };

static const char *const queued_reasons[] = {
	[1] = "could not queue the datagrams",
	[2] = "an IPv4 datagram was lost, changed, reordered or merged",
	[3] = "an IPv4 datagram has another sender",
	[4] = "an IPv6 or v4-mapped datagram was lost or has another sender",
	[5] = "a datagram too many",
};

static char qbuf[65536];

static void qfill(char *b, size_t n, int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (char)(i * 7 + seed);
}

static int queued_child(void *arg)
{
	struct sockaddr_in a = lo4(PORT_UDP + 1), m4 = lo4(PORT_UDP + 2), from;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(PORT_UDP + 2),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT }, any6 = a6, from6;
	uint16_t port[3];
	socklen_t len;
	int i, s, rcvbuf = 1 << 20;
	char want[65536];

	(void)arg;
	/* Bound to any address, not v6-only: it gets IPv4 datagrams v4-mapped */
	any6.sin6_addr = in6addr_any;
	if (socket(AF_INET, SOCK_DGRAM, 0) != FD_Q4 || socket(AF_INET6, SOCK_DGRAM, 0) != FD_Q6 ||
	    socket(AF_INET, SOCK_DGRAM, 0) != FD_S1 || socket(AF_INET, SOCK_DGRAM, 0) != FD_S2 ||
	    socket(AF_INET6, SOCK_DGRAM, 0) != FD_S6 ||
	    setsockopt(FD_Q4, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) ||
	    bind(FD_Q4, (void *)&a, sizeof(a)) || bind(FD_Q6, (void *)&any6, sizeof(any6)))
		return 1;
	for (i = 0; i < 4; i++) {
		qfill(qbuf, qsizes[i], i);
		if (sendto(i % 2 ? FD_S2 : FD_S1, qbuf, qsizes[i], 0, (void *)&a,
			   sizeof(a)) != (ssize_t)qsizes[i])
			return 1;
	}
	if (sendto(FD_S6, "six", 3, 0, (void *)&a6, sizeof(a6)) != 3 ||
	    sendto(FD_S1, "four", 4, 0, (void *)&m4, sizeof(m4)) != 4)
		return 1;
	for (i = 0; i < 3; i++) {
		struct sockaddr_in6 g;

		len = sizeof(g);
		if (getsockname(FD_S1 + i, (void *)&g, &len))
			return 1;
		port[i] = g.sin6_port;	/* sin_port and sin6_port are at the same place */
	}
	ckpt_child_ready();
	wait_finish();

	for (i = 0; i < 4; i++) {
		len = sizeof(from);
		qfill(want, qsizes[i], i);
		s = recvfrom(FD_Q4, qbuf, sizeof(qbuf), MSG_DONTWAIT, (void *)&from, &len);
		if (s != (int)qsizes[i] || memcmp(qbuf, want, qsizes[i])) {
			ckpt_child_note("datagram %d: %d bytes, %zu sent", i, s, qsizes[i]);
			return 2;
		}
		if (from.sin_port != port[i % 2] || from.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
			return 3;
	}
	len = sizeof(from6);
	if (recvfrom(FD_Q6, qbuf, sizeof(qbuf), MSG_DONTWAIT, (void *)&from6, &len) != 3 ||
	    memcmp(qbuf, "six", 3) || from6.sin6_port != port[2] ||
	    memcmp(&from6.sin6_addr, &in6addr_loopback, 16))
		return 4;
	len = sizeof(from6);
	if (recvfrom(FD_Q6, qbuf, sizeof(qbuf), MSG_DONTWAIT, (void *)&from6, &len) != 4 ||
	    memcmp(qbuf, "four", 4) || from6.sin6_port != port[0] ||
	    from6.sin6_addr.s6_addr[10] != 0xff || from6.sin6_addr.s6_addr[12] != 127)
		return 4;
	if (recv(FD_Q4, qbuf, 1, MSG_DONTWAIT) >= 0 || recv(FD_Q6, qbuf, 1, MSG_DONTWAIT) >= 0)
		return 5;
	return 0;
}

TEST_F_TIMEOUT(inet, udp_queued_datagrams_arrive, 60)
{
	pid_t pid;

	own_netns();
	pid = ckpt_spawn(_metadata, &self->ctx, queued_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(queued_reasons));
}

/* ---- netlink ---- */

#define FD_NL	3

static const char *const netlink_reasons[] = {
	[1] = "could not set up the netlink socket",
	[2] = "its port id or groups changed",
	[3] = "an option changed",
	[4] = "a route dump request got no answer",
	[5] = "a group above 32 was lost",
};

static int netlink_child(void *arg)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK }, g;
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.g = { .rtgen_family = AF_UNSPEC },
	};
	socklen_t len = sizeof(g);
	char buf[8192];
	uint32_t portid, nl_groups, groups[2] = { 0 };
	socklen_t glen = sizeof(groups);

	(void)arg;
	if (socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) != FD_NL ||
	    set_int(FD_NL, SOL_NETLINK, NETLINK_EXT_ACK, 1) ||
	    bind(FD_NL, (void *)&a, sizeof(a)) ||
	    set_int(FD_NL, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, RTNLGRP_TUNNEL) ||
	    getsockname(FD_NL, (void *)&g, &len))
		return 1;
	portid = g.nl_pid;
	nl_groups = g.nl_groups;
	ckpt_child_ready();
	wait_finish();

	len = sizeof(g);
	if (getsockname(FD_NL, (void *)&g, &len) || g.nl_pid != portid ||
	    g.nl_groups != nl_groups || !(nl_groups & RTMGRP_LINK)) {
		ckpt_child_note("port id %u groups %#x, were %u %#x", g.nl_pid, g.nl_groups,
				portid, nl_groups);
		return 2;
	}
	if (int_opt(FD_NL, SOL_NETLINK, NETLINK_EXT_ACK) != 1)
		return 3;
	if (getsockopt(FD_NL, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, groups, &glen) ||
	    !(groups[(RTNLGRP_TUNNEL - 1) / 32] & (1U << ((RTNLGRP_TUNNEL - 1) % 32))))
		return 5;
	if (send(FD_NL, &req, sizeof(req), 0) != sizeof(req) ||
	    recv(FD_NL, buf, sizeof(buf), 0) <= (ssize_t)sizeof(struct nlmsghdr))
		return 4;
	return 0;
}

TEST_F_TIMEOUT(inet, netlink_keeps_port_id_groups_and_options, 60)
{
	pid_t pid;

	own_netns();
	pid = ckpt_spawn(_metadata, &self->ctx, netlink_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(netlink_reasons));
}

/* ---- what cannot be saved yet ---- */

enum unsupported { URGENT_DATA, IN_REPAIR, CORKED_DATAGRAM };

static int unsupported_child(void *arg)
{
	enum unsupported what = (enum unsupported)(long)arg;
	struct sockaddr_in a = lo4(PORT_TCP + 10 + what);
	int l, c;

	if (what == CORKED_DATAGRAM) {
		l = socket(AF_INET, SOCK_DGRAM, 0);
		c = socket(AF_INET, SOCK_DGRAM, 0);
		if (bind(l, (void *)&a, sizeof(a)) ||
		    sendto(c, "x", 1, MSG_MORE, (void *)&a, sizeof(a)) != 1)
			return 1;
	} else {
		l = socket(AF_INET, SOCK_STREAM, 0);
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (bind(l, (void *)&a, sizeof(a)) || listen(l, 4) ||
		    connect(c, (void *)&a, sizeof(a)))
			return 1;
		int s = accept(l, NULL, NULL);

		/* In the tree: the listener and both ends */
		if (s < 0)
			return 1;
		if (what == URGENT_DATA && send(c, "!", 1, MSG_OOB) != 1)
			return 1;
		if (what == IN_REPAIR && set_int(c, IPPROTO_TCP, TCP_REPAIR, 1))
			return 1;
	}
	ckpt_sleep_ms(100);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

FIXTURE(inet_unsupported) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(inet_unsupported) {
	enum unsupported what;
	const char *log;
};

FIXTURE_VARIANT_ADD(inet_unsupported, urgent_data) {
	.what = URGENT_DATA, .log = "urgent data cannot be saved yet",
};

FIXTURE_VARIANT_ADD(inet_unsupported, connection_in_repair_mode) {
	.what = IN_REPAIR, .log = "a connection in repair mode cannot be saved yet",
};

FIXTURE_VARIANT_ADD(inet_unsupported, corked_datagram) {
	.what = CORKED_DATAGRAM, .log = "a corked datagram cannot be saved yet",
};

FIXTURE_SETUP(inet_unsupported)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(inet_unsupported)
{
	ckpt_ctx_teardown(&self->ctx);
}

TEST_F_TIMEOUT(inet_unsupported, checkpoint_fails_naming_the_socket, 60)
{
	pid_t pid;

	own_netns();
	pid = ckpt_spawn(_metadata, &self->ctx, unsupported_child, (void *)(long)variant->what);
	ASSERT_NE(0, ckpt_call_checkpoint(&self->ctx, pid, self->ctx.image_fd, 0,
					  self->ctx.log_fd));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, variant->log)) {
		TH_LOG("the log does not say \"%s\"", variant->log);
		ckpt_dump_log(_metadata, &self->ctx);
	}
	/* Still running, and unharmed */
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

/* ---- a damaged INET_SK ---- */

FIXTURE(inet_damaged) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(inet_damaged) {
	int what;
};

FIXTURE_VARIANT_ADD(inet_damaged, unknown_family) { .what = 0, };
FIXTURE_VARIANT_ADD(inet_damaged, udp_listening) { .what = 1, };
FIXTURE_VARIANT_ADD(inet_damaged, unknown_flag) { .what = 2, };
FIXTURE_VARIANT_ADD(inet_damaged, dev_not_terminated) { .what = 3, };
FIXTURE_VARIANT_ADD(inet_damaged, truncated) { .what = 4, };

FIXTURE_SETUP(inet_damaged)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(inet_damaged)
{
	ckpt_ctx_teardown(&self->ctx);
}

TEST_F_TIMEOUT(inet_damaged, restart_fails_cleanly, 60)
{
	struct image img = { 0 };
	struct ckpt_inet_sk *s = NULL;
	size_t len;
	int i;

	own_netns();
	img.pid = ckpt_spawn(_metadata, &self->ctx, udp_child, NULL);
	image_of_killed(_metadata, &self->ctx, img.pid, &img);
	for (i = 0; i < img.nr && !s; i++)
		if (img.recs[i].type == CKPT_REC_INET_SK)
			s = ckpt_payload(img.data, &img.recs[i]);
	ASSERT_TRUE(!!s) TH_LOG("the image has no INET_SK");
	len = img.len;
	switch (variant->what) {
	case 0:
		s->family = htole32(AF_INET + 1);
		break;
	case 1:
		s->state = htole32(CKPT_INET_LISTEN);
		break;
	case 2:
		s->flags |= htole32(1U << 30);
		break;
	case 3:
		memset(s->dev, 'x', sizeof(s->dev));
		break;
	case 4:
		/* The image ends in the middle of the INET_SK */
		len = (char *)s - img.data + sizeof(*s) / 2;
		break;
	}
	if (variant->what != 4)
		trailer_of(&img, img.data)->crc32c =
			htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	ASSERT_TRUE(restart_from_broken_image(_metadata, &self->ctx, img.data, len,
					      img.pid, EINVAL, "damaged INET_SK") ==
		    CKPT_FAILED_CLEANLY);
	free(img.recs);
	free(img.data);
}

TEST_F_TIMEOUT(inet_damaged, udp_datagram_fails_cleanly, 60)
{
	struct ckpt_udp_dgram *d = NULL;
	struct ckpt_inet_sk *s = NULL;
	struct image img = { 0 };
	size_t len;
	int i;

	own_netns();
	img.pid = ckpt_spawn(_metadata, &self->ctx, queued_child, NULL);
	image_of_killed(_metadata, &self->ctx, img.pid, &img);
	for (i = 0; i < img.nr && !d; i++) {
		if (img.recs[i].type == CKPT_REC_INET_SK && !s)
			s = ckpt_payload(img.data, &img.recs[i]);
		if (img.recs[i].type == CKPT_REC_UDP_DGRAM)
			d = ckpt_payload(img.data, &img.recs[i]);
	}
	ASSERT_TRUE(s && d) TH_LOG("the image has no UDP_DGRAM");
	len = img.len;
	switch (variant->what) {
	case 0:
		d->family = htole32(AF_INET6);	/* on an IPv4 socket */
		break;
	case 1:
		d->len = htole32(le32toh(d->len) + 8);
		break;
	case 2:
		d->saddr[9] = 1;		/* beyond an IPv4 address */
		break;
	case 3:
		s->nr_queued = htole32(le32toh(s->nr_queued) + 1);
		break;
	default:
		len = (char *)d - img.data + sizeof(*d) / 2;
		break;
	}
	if (variant->what != 4)
		trailer_of(&img, img.data)->crc32c =
			htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	ASSERT_TRUE(restart_from_broken_image(_metadata, &self->ctx, img.data, len,
					      img.pid, EINVAL, "damaged UDP_DGRAM") ==
		    CKPT_FAILED_CLEANLY);
	free(img.recs);
	free(img.data);
}

TEST_F_TIMEOUT(inet_damaged, netlink_record_fails_cleanly, 60)
{
	struct ckpt_netlink_sk *n = NULL;
	struct image img = { 0 };
	int i;

	own_netns();
	img.pid = ckpt_spawn(_metadata, &self->ctx, netlink_child, NULL);
	image_of_killed(_metadata, &self->ctx, img.pid, &img);
	for (i = 0; i < img.nr && !n; i++)
		if (img.recs[i].type == CKPT_REC_NETLINK_SK)
			n = ckpt_payload(img.data, &img.recs[i]);
	ASSERT_TRUE(!!n) TH_LOG("the image has no NETLINK_SK");
	switch (variant->what) {
	case 0:
		n->protocol = htole32(99);
		break;
	case 1:
		n->type = htole32(SOCK_STREAM);
		break;
	case 2:
		n->flags |= htole32(1U << 30);
		break;
	case 3:
		n->nr_groups = htole32(le32toh(n->nr_groups) + 64);
		break;
	default:
		n->dst_group = htole32(40);
		break;
	}
	trailer_of(&img, img.data)->crc32c = htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	ASSERT_TRUE(restart_from_broken_image(_metadata, &self->ctx, img.data, img.len,
					      img.pid, EINVAL, "damaged NETLINK_SK") ==
		    CKPT_FAILED_CLEANLY);
	free(img.recs);
	free(img.data);
}

TEST_HARNESS_MAIN
