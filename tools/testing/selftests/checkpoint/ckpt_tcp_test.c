// SPDX-License-Identifier: GPL-2.0
/*
 * TCP connections survive checkpoint, kill and restart, and the restored
 * program sees its streams go on: data flowing both ways with a running
 * check of every byte goes through a checkpoint that lets the task go on
 * and two that kill it, with no byte lost, duplicated or reordered; 1 MiB
 * that the peer did not read (most of it never sent) arrives after
 * restart; the half-closed states (FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT,
 * LAST_ACK, CLOSING) come back with their queued data and their FINs;
 * three connections a listener had not accepted are accepted after
 * restart, in order, and talk; a peer outside the tree that keeps sending
 * while the task is killed gets no reset, and the connection goes on;
 * a task left stopped (CHECKPOINT_STOP) acknowledges nothing until the
 * next checkpoint kills it, silently, or lets it go on.
 * Options set on the connections read back the same.  A damaged
 * TCP_STREAM record makes restart fail cleanly.
 *
 * All traffic is on loopback, in a network namespace of the test's own.
 */
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "ckpt_image.h"

#define PORT_STREAM	7790
#define PORT_UNACKED	7791
#define PORT_HALF	7792

FIXTURE(tcp) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(tcp)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(tcp)
{
	ckpt_ctx_teardown(&self->ctx);
}

static void own_netns(void)
{
	if (!unshare(CLONE_NEWNET))
		system("ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null");
}

static int int_opt(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int v = -1;

	return getsockopt(fd, level, opt, &v, &len) ? -1 : v;
}

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ? -1 : ti.tcpi_state;
}

/* Wait up to @ms for @fd to be in TCP state @state */
static bool wait_state(int fd, int state, int ms)
{
	for (; ms > 0 && tcp_state(fd) != state; ms -= 10)
		ckpt_sleep_ms(10);
	return tcp_state(fd) == state;
}

/* Byte @i of the stream seeded @seed: a shift shows as a mismatch */
static uint8_t pat(unsigned int seed, uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 8) * 13 + (i >> 16) * 17 + seed);
}

/* One direction of a connection: what was written and checked so far */
struct flow {
	int w, r;
	unsigned int seed;
	uint64_t sent, rcvd, limit;
};

/* Write what fits, read what came and check it; -1 on a bad byte */
static int pump(struct flow *f, bool *moved)
{
	uint8_t buf[8192];
	ssize_t n, i;

	n = f->limit - f->sent < sizeof(buf) ? f->limit - f->sent : sizeof(buf);
	for (i = 0; i < n; i++)
		buf[i] = pat(f->seed, f->sent + i);
	n = n ? send(f->w, buf, n, MSG_DONTWAIT) : 0;
	if (n > 0) {
		f->sent += n;
		*moved = true;
	}
	n = recv(f->r, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (buf[i] != pat(f->seed, f->rcvd + i)) {
			ckpt_child_note("byte %llu of flow %u is %u, not %u",
					(unsigned long long)(f->rcvd + i), f->seed, buf[i],
					pat(f->seed, f->rcvd + i));
			return -1;
		}
	if (n > 0) {
		f->rcvd += n;
		*moved = true;
	}
	return 0;
}

/* Read all of @f that is still to come, then EOF; false if not in @ms */
static bool drain(struct flow *f, int ms)
{
	int64_t deadline = ckpt_now_ns() + ms * 1000000LL;
	struct pollfd p = { .fd = f->r, .events = POLLIN };
	uint8_t buf[8192];
	ssize_t n, i;

	while (ckpt_now_ns() < deadline) {
		n = recv(f->r, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return f->rcvd == f->sent;
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return false;
			poll(&p, 1, 100);
			continue;
		}
		for (i = 0; i < n; i++)
			if (buf[i] != pat(f->seed, f->rcvd + i))
				return false;
		f->rcvd += n;
	}
	ckpt_child_note("flow %u: %llu of %llu bytes, no EOF", f->seed,
			(unsigned long long)f->rcvd, (unsigned long long)f->sent);
	return false;
}

/* Write to @f until the send buffer is full (the peer does not read) */
static int fill(struct flow *f)
{
	struct flow g = *f;
	int idle = 0;
	bool moved;

	g.r = -1;
	g.limit = UINT64_MAX;
	while (idle < 20) {
		moved = false;
		pump(&g, &moved);
		idle = moved ? 0 : idle + 1;
		if (!moved)
			ckpt_sleep_ms(10);
	}
	f->sent = g.sent;
	return f->sent ? 0 : -1;
}

/* A listener on @port and a connection to it: *@c the client, *@s the server */
static int connect_pair(int l, int port, int c, int *s)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	if (connect(c, (void *)&a, sizeof(a)))
		return -1;
	*s = accept(l, NULL, NULL);
	return *s < 0 ? -1 : 0;
}

static int listener_reuse(int port, int reuse)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || set_int(l, SOL_SOCKET, SO_REUSEADDR, reuse) ||
	    bind(l, (void *)&a, sizeof(a)) || listen(l, 8))
		return -1;
	return l;
}

static int listener(int port)
{
	return listener_reuse(port, 1);
}

/* ---- data flowing both ways ---- */

static const char *const stream_reasons[] = {
	[1] = "could not set up the connection",
	[2] = "a byte was lost, duplicated or reordered",
	[3] = "the data stopped flowing",
	[4] = "an option of a connection changed",
	[5] = "the end of the stream did not arrive",
};

static int stream_child(void *arg)
{
	int l = listener(PORT_STREAM), c = socket(AF_INET, SOCK_STREAM, 0), s;
	struct flow ab = { .seed = 1, .limit = UINT64_MAX };
	struct flow ba = { .seed = 2, .limit = UINT64_MAX };
	int64_t last = ckpt_now_ns();
	bool ready = false, moved;

	(void)arg;
	if (l < 0 || c < 0 || set_int(c, IPPROTO_TCP, TCP_NODELAY, 1) ||
	    connect_pair(l, PORT_STREAM, c, &s) ||
	    set_int(s, SOL_SOCKET, SO_KEEPALIVE, 1) ||
	    set_int(s, IPPROTO_TCP, TCP_KEEPIDLE, 33) ||
	    set_int(s, IPPROTO_TCP, TCP_USER_TIMEOUT, 20000))
		return 1;
	ab.w = c, ab.r = s, ba.w = s, ba.r = c;
	for (;;) {
		moved = false;
		if (pump(&ab, &moved) || pump(&ba, &moved))
			return 2;
		if (!moved && ckpt_now_ns() - last > 30000000000LL)
			return 3;
		if (moved)
			last = ckpt_now_ns();
		else
			ckpt_sleep_ms(1);
		if (!ready && ab.rcvd > 65536 && ba.rcvd > 65536) {
			ready = true;
			ckpt_child_ready();
		}
		/* Told to finish: 256 KiB more each way, then all in */
		if (ckpt_child_finish && ab.limit == UINT64_MAX) {
			ab.limit = ab.sent + 262144;
			ba.limit = ba.sent + 262144;
		}
		if (ab.rcvd == ab.limit && ba.rcvd == ba.limit)
			break;
	}
	if (int_opt(c, IPPROTO_TCP, TCP_NODELAY) != 1 ||
	    int_opt(s, SOL_SOCKET, SO_KEEPALIVE) != 1 ||
	    int_opt(s, IPPROTO_TCP, TCP_KEEPIDLE) != 33 ||
	    int_opt(s, IPPROTO_TCP, TCP_USER_TIMEOUT) != 20000 ||
	    tcp_state(c) != TCP_ESTABLISHED || tcp_state(s) != TCP_ESTABLISHED)
		return 4;
	if (shutdown(c, SHUT_WR) || !drain(&ab, 10000))
		return 5;
	return 0;
}

TEST_F_TIMEOUT(tcp, stream_goes_on_through_checkpoints, 180)
{
	pid_t pid;

	own_netns();
	pid = ckpt_spawn(_metadata, &self->ctx, stream_child, NULL);
	ckpt_sleep_ms(100);
	/* The task goes on: the connection is let go again */
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, 0));
	ckpt_sleep_ms(200);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_sleep_ms(300);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(stream_reasons));
}

/* ---- 1 MiB the peer did not read ---- */

#define UNACKED		(1 << 20)

static const char *const unacked_reasons[] = {
	[1] = "could not set up the connection",
	[2] = "could not queue 1 MiB",
	[3] = "the data was not held in the send queue",
	[4] = "the 1 MiB did not arrive whole, or no EOF after it",
};

static int unacked_child(void *arg)
{
	int l = listener(PORT_UNACKED), c = socket(AF_INET, SOCK_STREAM, 0), s;
	struct flow f = { .seed = 3, .limit = UNACKED };
	bool moved;
	int outq = 0, i;

	(void)arg;
	/* As root in its own network namespace: a send buffer for all of it */
	if (l < 0 || c < 0 || set_int(c, SOL_SOCKET, SO_SNDBUFFORCE, 4 * UNACKED) ||
	    connect_pair(l, PORT_UNACKED, c, &s))
		return 1;
	f.w = c, f.r = -1;
	for (i = 0; f.sent < UNACKED && i < 5000; i++) {
		moved = false;
		pump(&f, &moved);
		if (!moved)
			ckpt_sleep_ms(1);
	}
	if (f.sent != UNACKED)
		return 2;
	ckpt_sleep_ms(50);
	if (ioctl(c, SIOCOUTQ, &outq) || outq < UNACKED / 2) {
		ckpt_child_note("SIOCOUTQ %d", outq);
		return 3;
	}
	ckpt_child_ready();
	ckpt_child_wait_finish();
	f.r = s;
	if (shutdown(c, SHUT_WR) || !drain(&f, 30000))
		return 4;
	return 0;
}

TEST_F_TIMEOUT(tcp, mib_not_acknowledged_arrives, 120)
{
	pid_t pid;

	own_netns();
	pid = ckpt_spawn(_metadata, &self->ctx, unacked_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(unacked_reasons));
}

/* ---- the half-closed states ---- */

static const char *const half_reasons[] = {
	[1] = "could not set up the connections",
	[2] = "a connection did not reach its state before checkpoint",
	[3] = "a connection is not in its state after restart",
	[4] = "queued data or a FIN was lost after restart",
};

/*
 * Four connections: 1 closed by the client (FIN_WAIT2 / CLOSE_WAIT); 2
 * closed by the client behind data the server does not read (FIN_WAIT1 /
 * ESTABLISHED); 3 the same, then closed by the server (CLOSING /
 * FIN_WAIT2); 4 closed by the client, then by the server behind data the
 * client does not read (FIN_WAIT2 / LAST_ACK).
 */
static int half_child(void *arg)
{
	int l = listener(PORT_HALF), c[5], s[5], i;
	struct flow f2 = { .seed = 12 }, f3 = { .seed = 13 }, f4 = { .seed = 14 };
	struct { int fd, state, later; } want[] = {
		{ 0, TCP_FIN_WAIT2, TCP_FIN_WAIT1 }, { 0, TCP_CLOSE_WAIT, 0 },
		{ 0, TCP_FIN_WAIT1, 0 }, { 0, TCP_ESTABLISHED, 0 },
		{ 0, TCP_CLOSING, 0 }, { 0, TCP_FIN_WAIT2, TCP_FIN_WAIT1 },
		{ 0, TCP_FIN_WAIT2, TCP_FIN_WAIT1 }, { 0, TCP_LAST_ACK, 0 },
	};

	(void)arg;
	for (i = 1; i <= 4; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		/* Small buffers: what the peer does not read stays queued */
		if (l < 0 || c[i] < 0 || set_int(c[i], SOL_SOCKET, SO_RCVBUF, 4096) ||
		    set_int(c[i], SOL_SOCKET, SO_SNDBUF, 65536) ||
		    connect_pair(l, PORT_HALF, c[i], &s[i]) ||
		    set_int(s[i], SOL_SOCKET, SO_RCVBUF, 4096) ||
		    set_int(s[i], SOL_SOCKET, SO_SNDBUF, 65536))
			return 1;
	}
	f2.w = c[2], f3.w = c[3], f4.w = s[4];
	if (shutdown(c[1], SHUT_WR) || fill(&f2) || shutdown(c[2], SHUT_WR) ||
	    fill(&f3) || shutdown(c[3], SHUT_WR) || shutdown(s[3], SHUT_WR) ||
	    shutdown(c[4], SHUT_WR) || fill(&f4) || shutdown(s[4], SHUT_WR))
		return 1;
	for (i = 0; i < 8; i++) {
		want[i].fd = i % 2 ? s[i / 2 + 1] : c[i / 2 + 1];
		if (!wait_state(want[i].fd, want[i].state, 5000)) {
			ckpt_child_note("socket %d of pair %d: state %d, not %d", i % 2,
					i / 2 + 1, tcp_state(want[i].fd), want[i].state);
			return 2;
		}
	}
	ckpt_child_ready();
	ckpt_child_wait_finish();

	/* At once as saved, or on its way back to it (the FIN sent again) */
	for (i = 0; i < 8; i++) {
		int st = tcp_state(want[i].fd);

		if (st != want[i].state && (!want[i].later || st != want[i].later)) {
			ckpt_child_note("socket %d of pair %d: state %d after restart, not %d",
					i % 2, i / 2 + 1, st, want[i].state);
			return 3;
		}
	}
	for (i = 0; i < 8; i++)
		if (!wait_state(want[i].fd, want[i].state, 10000))
			return 3;
	f2.r = s[2], f3.r = s[3], f4.r = c[4];
	{
		struct flow none = { .r = s[1] }, none3 = { .r = c[3] };

		if (!drain(&none, 5000) || !drain(&f2, 30000) || !drain(&f3, 30000) ||
		    !drain(&f4, 30000) || !drain(&none3, 5000))
			return 4;
	}
	return 0;
}

TEST_F_TIMEOUT(tcp, half_closed_states_come_back, 180)
{
	pid_t pid;

	own_netns();
	pid = ckpt_spawn(_metadata, &self->ctx, half_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(half_reasons));
}

/* ---- connections not accepted yet ---- */

#define PORT_PENDING	7794
#define NR_PENDING	3

static const char *const pending_reasons[] = {
	[1] = "could not set up the listener and its clients",
	[2] = "a connection was not accepted after restart",
	[3] = "an accepted connection lost its data or its order",
	[4] = "an accepted connection does not talk",
};

static int pending_child(void *arg)
{
	int l = listener(PORT_PENDING), c[NR_PENDING], s, i;
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(PORT_PENDING),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	char buf[8], want[8];

	(void)arg;
	for (i = 0; i < NR_PENDING; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		snprintf(want, sizeof(want), "hello-%d", i);
		if (l < 0 || c[i] < 0 || connect(c[i], (void *)&a, sizeof(a)) ||
		    write(c[i], want, 7) != 7)
			return 1;
	}
	ckpt_sleep_ms(50);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (fcntl(l, F_SETFL, O_NONBLOCK))
		return 2;
	for (i = 0; i < NR_PENDING; i++) {
		s = accept(l, NULL, NULL);
		if (s < 0) {
			ckpt_child_note("accept %d: %s", i, strerror(errno));
			return 2;
		}
		snprintf(want, sizeof(want), "hello-%d", i);
		if (recv(s, buf, 7, MSG_WAITALL) != 7 || memcmp(buf, want, 7))
			return 3;
		if (write(s, "ack", 3) != 3 || recv(c[i], buf, 3, MSG_WAITALL) != 3 ||
		    memcmp(buf, "ack", 3))
			return 4;
	}
	return accept(l, NULL, NULL) < 0 && errno == EAGAIN ? 0 : 2;
}

TEST_F_TIMEOUT(tcp, connections_not_accepted_are_accepted_after_restart, 90)
{
	pid_t pid;

	own_netns();
	pid = ckpt_spawn(_metadata, &self->ctx, pending_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(pending_reasons));
}

/* ---- options, over IPv6 ---- */

#define PORT_V6		7793

static const char *const options_reasons[] = {
	[1] = "could not set up the IPv6 connection",
	[2] = "an address or port changed",
	[3] = "an option of the client changed",
	[4] = "an option of the server changed",
	[5] = "the queued data did not arrive, or no exchange after restart",
};

static int options_child(void *arg)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(PORT_V6),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT }, ca, ca2, sa;
	struct linger lg = { 1, 5 }, lg2;
	socklen_t len = sizeof(ca), llen = sizeof(lg2);
	int l = socket(AF_INET6, SOCK_STREAM, 0), c = socket(AF_INET6, SOCK_STREAM, 0);
	int s, sndbuf;
	char buf[8];

	(void)arg;
	if (l < 0 || c < 0 || set_int(l, SOL_SOCKET, SO_REUSEADDR, 1) ||
	    set_int(l, IPPROTO_IPV6, IPV6_V6ONLY, 1) || bind(l, (void *)&a, sizeof(a)) ||
	    listen(l, 2) || set_int(c, IPPROTO_TCP, TCP_MAXSEG, 1200) ||
	    set_int(c, SOL_SOCKET, SO_SNDBUF, 100000) ||
	    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) ||
	    set_int(c, IPPROTO_IPV6, IPV6_TCLASS, 0x20) ||
	    set_int(c, SOL_SOCKET, SO_MARK, 7) ||
	    connect(c, (void *)&a, sizeof(a)))
		return 1;
	s = accept(l, NULL, NULL);
	if (s < 0 || set_int(s, IPPROTO_TCP, TCP_KEEPCNT, 5) ||
	    set_int(s, IPPROTO_TCP, TCP_KEEPINTVL, 9) || set_int(s, IPPROTO_TCP, TCP_CORK, 1) ||
	    fcntl(s, F_SETFL, O_NONBLOCK) || write(c, "to-s", 4) != 4 ||
	    getsockname(c, (void *)&ca, &len))
		return 1;
	sndbuf = int_opt(c, SOL_SOCKET, SO_SNDBUF);
	ckpt_sleep_ms(50);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	len = sizeof(ca2);
	if (getsockname(c, (void *)&ca2, &len) || ca2.sin6_port != ca.sin6_port ||
	    getpeername(c, (void *)&sa, &len) || sa.sin6_port != htons(PORT_V6) ||
	    memcmp(&sa.sin6_addr, &a.sin6_addr, 16))
		return 2;
	if (int_opt(c, SOL_SOCKET, SO_SNDBUF) != sndbuf ||
	    getsockopt(c, SOL_SOCKET, SO_LINGER, &lg2, &llen) || !lg2.l_onoff ||
	    lg2.l_linger != 5 || int_opt(c, IPPROTO_IPV6, IPV6_TCLASS) != 0x20 ||
	    int_opt(c, SOL_SOCKET, SO_MARK) != 7 || int_opt(c, IPPROTO_TCP, TCP_MAXSEG) > 1200) {
		ckpt_child_note("sndbuf %d (was %d) tclass %d mark %d maxseg %d",
				int_opt(c, SOL_SOCKET, SO_SNDBUF), sndbuf,
				int_opt(c, IPPROTO_IPV6, IPV6_TCLASS),
				int_opt(c, SOL_SOCKET, SO_MARK),
				int_opt(c, IPPROTO_TCP, TCP_MAXSEG));
		return 3;
	}
	if (int_opt(s, IPPROTO_TCP, TCP_KEEPCNT) != 5 ||
	    int_opt(s, IPPROTO_TCP, TCP_KEEPINTVL) != 9 ||
	    int_opt(s, IPPROTO_TCP, TCP_CORK) != 1 || !(fcntl(s, F_GETFL) & O_NONBLOCK))
		return 4;
	if (set_int(s, IPPROTO_TCP, TCP_CORK, 0) || recv(s, buf, 4, MSG_WAITALL) != 4 ||
	    memcmp(buf, "to-s", 4) || write(s, "to-c", 4) != 4 ||
	    recv(c, buf, 4, MSG_WAITALL) != 4 || memcmp(buf, "to-c", 4))
		return 5;
	return 0;
}

TEST_F_TIMEOUT(tcp, ipv6_connection_keeps_its_options, 90)
{
	pid_t pid;

	own_netns();
	pid = ckpt_spawn(_metadata, &self->ctx, options_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(options_reasons));
}

/* ---- a peer outside the tree, in the same network namespace ---- */

#define PORT_PARK	7795

static const char *const park_reasons[] = {
	[1] = "could not set up the connection",
	[2] = "a byte was lost, duplicated or reordered",
	[3] = "the data stopped flowing",
};

/*
 * The server, in the tree: checks the test's stream, sends its own; its
 * listener has SO_REUSEADDR unless @arg is not NULL
 */
static int park_child(void *arg)
{
	struct flow in = { .seed = 5, .w = -1 }, out = { .seed = 6, .r = -1, .limit = UINT64_MAX };
	int64_t last = ckpt_now_ns();
	int l = listener_reuse(PORT_PARK, !arg), s;
	bool moved;

	if (l < 0)
		return 1;
	ckpt_child_ready();
	s = accept(l, NULL, NULL);
	if (s < 0)
		return 1;
	in.r = s;
	out.w = s;
	while (!ckpt_child_finish) {
		moved = false;
		if (pump(&in, &moved) || pump(&out, &moved))
			return 2;
		if (!moved && ckpt_now_ns() - last > 30000000000LL)
			return 3;
		if (moved)
			last = ckpt_now_ns();
		else
			ckpt_sleep_ms(1);
	}
	return in.rcvd ? 0 : 3;
}

/* Both directions for @ms; false on a bad byte or the end of the stream */
static bool pump_for(struct flow *out, struct flow *in, int ms)
{
	int64_t end = ckpt_now_ns() + ms * 1000000LL;
	bool moved;

	while (ckpt_now_ns() < end) {
		moved = false;
		if (pump(out, &moved) || pump(in, &moved))
			return false;
		if (!moved)
			ckpt_sleep_ms(1);
	}
	return true;
}

static void park_test(struct __test_metadata *_metadata, struct ckpt_ctx *ctx, bool reuse);

/* Bytes in @fd's send queue, not sent or not acknowledged yet */
static int unsent(int fd)
{
	int n = -1;

	return ioctl(fd, SIOCOUTQ, &n) ? -1 : n;
}

TEST_F_TIMEOUT(tcp, peer_outside_the_tree_sees_no_reset, 120)
{
	park_test(_metadata, &self->ctx, true);
}

/* The listener binds again over its parked connections without SO_REUSEADDR */
TEST_F_TIMEOUT(tcp, listener_without_reuseaddr_comes_back_over_its_connections, 120)
{
	park_test(_metadata, &self->ctx, false);
}

static void park_test(struct __test_metadata *_metadata, struct ckpt_ctx *ctx, bool reuse)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(PORT_PARK),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct flow out = { .seed = 5, .r = -1, .limit = UINT64_MAX };
	struct flow in = { .seed = 6, .w = -1 };
	uint64_t sent, rcvd;
	int c, i, j;
	pid_t pid;

	own_netns();
	pid = ckpt_spawn(_metadata, ctx, park_child, reuse ? NULL : (void *)1);
	c = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, connect(c, (void *)&a, sizeof(a)));
	out.w = c;
	in.r = c;
	ASSERT_TRUE(pump_for(&out, &in, 300));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL));
		ckpt_reap_killed(_metadata, pid);
		/* The test keeps sending to the killed task: no reset comes back */
		sent = out.sent;
		ASSERT_TRUE(pump_for(&out, &in, 1500));
		ASSERT_EQ(TCP_ESTABLISHED, tcp_state(c)) TH_LOG("the connection was reset");
		/* Sent more, unless the parked peer's window was closed already */
		ASSERT_TRUE(sent < out.sent || unsent(c) > 0)
			TH_LOG("nothing sent while parked, and nothing queued");
		ASSERT_EQ(pid, ckpt_restart(_metadata, ctx)) TH_LOG("round %d", i);
		/*
		 * What was sent meanwhile arrives, and the server's stream goes
		 * on: as soon as its retransmission timer, backed off while it
		 * was parked, fires (seconds on a loaded debug kernel)
		 */
		rcvd = in.rcvd;
		for (j = 0; j < 60 && in.rcvd == rcvd; j++)
			ASSERT_TRUE(pump_for(&out, &in, 500));
		EXPECT_LT(rcvd, in.rcvd) {
			struct tcp_info ti = { 0 };
			socklen_t len = sizeof(ti);

			getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &len);
			TH_LOG("round %d: nothing from the server in 30 s", i);
			TH_LOG("client rto %u us, backoff %u, unacked %u, retrans %u",
			       ti.tcpi_rto, ti.tcpi_backoff, ti.tcpi_unacked,
			       ti.tcpi_total_retrans);
		}
		ASSERT_EQ(TCP_ESTABLISHED, tcp_state(c));
	}
	ckpt_finish(_metadata, pid, CKPT_REASONS(park_reasons));
	close(c);
}

/* ---- held while stopped ---- */

/* The state of process @pid, as /proc/PID/stat shows it */
static char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

/*
 * checkpoint(2) with CHECKPOINT_STOP leaves the server stopped and its
 * connection held: what the test sends meanwhile is not acknowledged.
 * The next checkpoint says what becomes of it: @kill, the server dies
 * without a FIN or a reset, and comes back from that image; else the
 * filter goes, and the server, continued, reads what was sent.
 */
static void held_test(struct __test_metadata *_metadata, struct ckpt_ctx *ctx, bool kill_it)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(PORT_PARK),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct flow out = { .seed = 5, .r = -1, .limit = UINT64_MAX };
	struct flow in = { .seed = 6, .w = -1 };
	uint64_t sent, rcvd;
	int c, i;
	pid_t pid;

	own_netns();
	pid = ckpt_spawn(_metadata, ctx, park_child, NULL);
	c = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, connect(c, (void *)&a, sizeof(a)));
	out.w = c;
	in.r = c;
	ASSERT_TRUE(pump_for(&out, &in, 300));
	/* Room in the send queue, so that what is sent while it is stopped shows */
	out.limit = out.sent;
	for (i = 0; i < 300 && unsent(c); i++)
		ASSERT_TRUE(pump_for(&out, &in, 10));
	out.limit = UINT64_MAX;
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_STOP));
	for (i = 0; i < 100 && proc_state(pid) != 'T'; i++)
		ckpt_sleep_ms(10);
	ASSERT_EQ('T', proc_state(pid));
	/* Sent to the stopped server: held, so never acknowledged */
	sent = out.sent;
	ASSERT_TRUE(pump_for(&out, &in, 1000));
	ASSERT_LT(sent, out.sent);
	EXPECT_LE(out.sent - sent, (uint64_t)unsent(c))
		TH_LOG("the stopped server acknowledged %llu bytes",
		       (unsigned long long)(out.sent - sent - unsent(c)));
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, kill_it ? CHECKPOINT_KILL : 0));
	if (kill_it) {
		ckpt_reap_killed(_metadata, pid);
		ASSERT_TRUE(pump_for(&out, &in, 1000));
		ASSERT_EQ(TCP_ESTABLISHED, tcp_state(c)) TH_LOG("a FIN or a reset came");
		/* Saved stopped, it comes back stopped */
		ASSERT_EQ(pid, ckpt_restart(_metadata, ctx));
	}
	ASSERT_EQ(0, kill(pid, SIGCONT));
	/* What was sent meanwhile arrives, and the server's stream goes on */
	rcvd = in.rcvd;
	for (i = 0; i < 60 && (in.rcvd == rcvd || unsent(c) > 65536); i++)
		ASSERT_TRUE(pump_for(&out, &in, 500));
	EXPECT_LT(rcvd, in.rcvd) TH_LOG("nothing from the server in 30 s");
	ASSERT_EQ(TCP_ESTABLISHED, tcp_state(c));
	ckpt_finish(_metadata, pid, CKPT_REASONS(park_reasons));
	close(c);
}

TEST_F_TIMEOUT(tcp, stopped_connection_is_held_then_closed_silently, 120)
{
	held_test(_metadata, &self->ctx, true);
}

TEST_F_TIMEOUT(tcp, stopped_connection_is_held_then_let_go, 120)
{
	held_test(_metadata, &self->ctx, false);
}

/* ---- a damaged TCP_STREAM ---- */

FIXTURE(tcp_damaged) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(tcp_damaged) {
	int what;
};

FIXTURE_VARIANT_ADD(tcp_damaged, closed_state) { .what = 0, };
FIXTURE_VARIANT_ADD(tcp_damaged, unknown_flag) { .what = 1, };
FIXTURE_VARIANT_ADD(tcp_damaged, queue_longer_than_record) { .what = 2, };
FIXTURE_VARIANT_ADD(tcp_damaged, window_scale_too_large) { .what = 3, };
FIXTURE_VARIANT_ADD(tcp_damaged, window_above_its_maximum) { .what = 4, };
FIXTURE_VARIANT_ADD(tcp_damaged, unsent_beyond_queue) { .what = 5, };
FIXTURE_VARIANT_ADD(tcp_damaged, truncated) { .what = 6, };

FIXTURE_SETUP(tcp_damaged)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(tcp_damaged)
{
	ckpt_ctx_teardown(&self->ctx);
}

TEST_F_TIMEOUT(tcp_damaged, restart_fails_cleanly, 90)
{
	struct ckpt_tcp_stream *t = NULL;
	struct image img = { 0 };
	size_t len;
	int i;

	own_netns();
	img.pid = ckpt_spawn(_metadata, &self->ctx, unacked_child, NULL);
	image_of_killed(_metadata, &self->ctx, img.pid, &img);
	for (i = 0; i < img.nr && !t; i++)
		if (img.recs[i].type == CKPT_REC_TCP_STREAM)
			t = ckpt_payload(img.data, &img.recs[i]);
	ASSERT_TRUE(!!t) TH_LOG("the image has no TCP_STREAM");
	len = img.len;
	switch (variant->what) {
	case 0:
		t->state = htole32(TCP_CLOSE);
		break;
	case 1:
		t->flags |= htole32(1U << 30);
		break;
	case 2:
		t->inq_len = htole32(le32toh(t->inq_len) + 8);
		break;
	case 3:
		t->flags |= htole32(CKPT_TCP_WSCALE);
		t->snd_wscale = 15;
		break;
	case 4:
		t->snd_wnd = htole32(le32toh(t->max_window) + 1);
		break;
	case 5:
		t->unsent_len = htole32(le32toh(t->outq_len) + 1);
		break;
	default:
		/* The image ends in the middle of the TCP_STREAM */
		len = (char *)t - img.data + sizeof(*t) / 2;
		break;
	}
	if (variant->what != 6)
		trailer_of(&img, img.data)->crc32c =
			htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	ASSERT_TRUE(restart_from_broken_image(_metadata, &self->ctx, img.data, len,
					      img.pid, EINVAL, "damaged TCP_STREAM") ==
		    CKPT_FAILED_CLEANLY);
	free(img.recs);
	free(img.data);
}

/* The listener of pending_child() and its first connection not accepted */
TEST_F_TIMEOUT(tcp_damaged, pending_connection_fails_cleanly, 90)
{
	struct ckpt_inet_sk *l = NULL, *e = NULL, *r;
	struct image img = { 0 };
	int i;

	own_netns();
	img.pid = ckpt_spawn(_metadata, &self->ctx, pending_child, NULL);
	image_of_killed(_metadata, &self->ctx, img.pid, &img);
	for (i = 0; i < img.nr && !e; i++) {
		if (img.recs[i].type != CKPT_REC_INET_SK)
			continue;
		r = ckpt_payload(img.data, &img.recs[i]);
		if (l)
			e = r;
		else if (le32toh(r->state) == CKPT_INET_LISTEN)
			l = r;
	}
	ASSERT_TRUE(l && e) TH_LOG("no listener with a pending connection in the image");
	ASSERT_EQ((uint32_t)NR_PENDING, le32toh(l->nr_queued));
	switch (variant->what % 4) {
	case 0:
		/* One more than there are: the next record is not one */
		l->nr_queued = htole32(NR_PENDING + 1);
		break;
	case 1:
		e->state = htole32(CKPT_INET_CLOSED);
		break;
	case 2:
		e->family = htole32(AF_INET6);
		break;
	default:
		l->nr_queued = htole32(le32toh(l->backlog) + 2);
		break;
	}
	trailer_of(&img, img.data)->crc32c = htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	ASSERT_TRUE(restart_from_broken_image(_metadata, &self->ctx, img.data, img.len,
					      img.pid, EINVAL, "damaged pending connection") ==
		    CKPT_FAILED_CLEANLY);
	free(img.recs);
	free(img.data);
}

TEST_HARNESS_MAIN
