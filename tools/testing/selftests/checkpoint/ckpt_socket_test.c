// SPDX-License-Identifier: GPL-2.0
/*
 * UNIX sockets survive checkpoint, kill and restart, and the restored
 * program finds them as it left them: one program holding a bit of
 * everything (socketpairs of each type with data queued both ways, a
 * listener with three connections not accepted, bound, abstract,
 * autobound and unlinked addresses, a datagram queue with its senders'
 * addresses, descriptors in flight, a stream whose peer closed, a
 * datagram socket connected to a socket outside the tree, options and
 * credentials) checks each after restart.  Saving it twice in a row (the
 * restored program checkpointed again) gives the same result.
 */
#include <stddef.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "ckpt_image.h"

FIXTURE(unixsk) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(unixsk)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(unixsk)
{
	ckpt_ctx_teardown(&self->ctx);
}

static socklen_t sun_of(struct sockaddr_un *a, const char *dir, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (!dir) {
		/* Abstract: a NUL, then the name */
		snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "%s", name);
		return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
	}
	snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s", dir, name);
	return sizeof(*a);
}

static int int_opt(int fd, int opt)
{
	socklen_t len = sizeof(int);
	int v = -1;

	return getsockopt(fd, SOL_SOCKET, opt, &v, &len) ? -1 : v;
}

/* Send @fds (SCM_RIGHTS) with one byte */
static int send_fds(int sock, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))] = { 0 };
	struct iovec io = { .iov_base = "F", .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &io, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

/* Receive one byte and up to 4 descriptors; returns how many */
static int recv_fds(int sock, int *fds)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))], c;
	struct iovec io = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &io, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	if (recvmsg(sock, &mh, 0) != 1 || c != 'F')
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(fds, CMSG_DATA(cm), cm->cmsg_len - CMSG_LEN(0));
	return (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
}

/* Credentials of the message at the head of @sock (SO_PASSCRED on) */
static int recv_creds(int sock, char *buf, size_t len, struct ucred *uc)
{
	char cbuf[CMSG_SPACE(sizeof(*uc))];
	struct iovec io = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &io, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int n = recvmsg(sock, &mh, 0);

	cm = n < 0 ? NULL : CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_CREDENTIALS)
		return -1;
	memcpy(uc, CMSG_DATA(cm), sizeof(*uc));
	return n;
}

struct unix_state {
	int stream[2], seqpacket[2], dgram[2];
	int listener, clients[3];
	int bound, abstract, autobound, unlinked;
	int passed_on;		/* receives the SCM_RIGHTS message */
	int survivor;		/* its peer was closed */
	int to_outside;		/* DGRAM connected to the test's socket */
	int creds[2];
	struct sockaddr_un autoname;
	socklen_t autolen;
	int inner_peer;		/* the other end of the socket in flight */
	int rcvbuf;
	struct ucred peercred;
};

static const char *const unix_reasons[] = {
	[1] = "could not set up the sockets",
	[2] = "a stream socketpair lost, added or reordered bytes",
	[3] = "a seqpacket socketpair lost its message boundaries",
	[4] = "a datagram socketpair lost its message boundaries",
	[5] = "the listener's connections are not accepted, or lost their data",
	[6] = "an address changed (getsockname)",
	[7] = "a datagram or its sender's address was lost",
	[8] = "the descriptors in flight are not the same files",
	[9] = "the stream whose peer closed lost its data or its end of file",
	[10] = "the socket connected outside the tree cannot send to it",
	[11] = "SCM_CREDENTIALS or SO_PEERCRED changed",
	[12] = "SO_PEEK_OFF, SO_PASSCRED or SO_RCVBUF changed",
	[13] = "a listener bound again cannot take a new connection",
	[14] = "the unlinked socket's file came back",
};

static struct unix_state S;

static int setup_pairs(void)
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, S.stream) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, S.seqpacket) ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, S.dgram))
		return -1;
	/* Bytes both ways, one byte of them already read */
	if (write(S.stream[0], "abc", 3) != 3 || write(S.stream[0], "defg", 4) != 4 ||
	    write(S.stream[1], "xy", 2) != 2)
		return -1;
	if (read(S.stream[1], &(char){ 0 }, 1) != 1)
		return -1;
	if (send(S.seqpacket[0], "1", 1, 0) != 1 || send(S.seqpacket[0], "22", 2, 0) != 2 ||
	    send(S.seqpacket[1], "333", 3, 0) != 3)
		return -1;
	if (send(S.dgram[1], "4444", 4, 0) != 4 || send(S.dgram[1], "", 0, 0) != 0 ||
	    send(S.dgram[0], "55555", 5, 0) != 5)
		return -1;
	return 0;
}

static int setup_listener(const char *dir)
{
	struct sockaddr_un a;
	socklen_t len = sun_of(&a, dir, "listener");
	int i;

	S.listener = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(S.listener, (void *)&a, len) || listen(S.listener, 8))
		return -1;
	for (i = 0; i < 3; i++) {
		S.clients[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(S.clients[i], (void *)&a, len) ||
		    write(S.clients[i], &(char){ 'A' + i }, 1) != 1)
			return -1;
	}
	return 0;
}

static int setup_names(const char *dir)
{
	struct sockaddr_un a, b;
	socklen_t len;
	int sender;

	S.bound = socket(AF_UNIX, SOCK_DGRAM, 0);
	len = sun_of(&a, dir, "bound");
	if (bind(S.bound, (void *)&a, len))
		return -1;
	/* Two datagrams from a named sender that is gone, one from an unnamed */
	sender = socket(AF_UNIX, SOCK_DGRAM, 0);
	len = sun_of(&b, dir, "gone-sender");
	if (bind(sender, (void *)&b, len) ||
	    sendto(sender, "one", 3, 0, (void *)&a, sizeof(a)) != 3 ||
	    sendto(sender, "two", 3, 0, (void *)&a, sizeof(a)) != 3)
		return -1;
	close(sender);
	unlink(b.sun_path);
	sender = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (sendto(sender, "three", 5, 0, (void *)&a, sizeof(a)) != 5)
		return -1;
	close(sender);

	S.abstract = socket(AF_UNIX, SOCK_DGRAM, 0);
	len = sun_of(&a, NULL, "ckpt-socket-test");
	if (bind(S.abstract, (void *)&a, len))
		return -1;
	S.autobound = socket(AF_UNIX, SOCK_DGRAM, 0);
	S.autolen = sizeof(S.autoname);
	if (bind(S.autobound, (void *)&(sa_family_t){ AF_UNIX }, sizeof(sa_family_t)) ||
	    getsockname(S.autobound, (void *)&S.autoname, &S.autolen))
		return -1;
	S.unlinked = socket(AF_UNIX, SOCK_STREAM, 0);
	len = sun_of(&a, dir, "unlinked");
	if (bind(S.unlinked, (void *)&a, len) || unlink(a.sun_path))
		return -1;
	return 0;
}

static int setup_misc(const char *dir)
{
	int pipefd[2], pair[2], sv[2], fds[2];
	struct sockaddr_un a;
	socklen_t len;

	/* A pipe's read end and a socket, in flight; no other reference left */
	if (pipe(pipefd) || write(pipefd[1], "PIPEDATA", 8) != 8 ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) || send(pair[1], "inner", 5, 0) != 5 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	fds[0] = pipefd[0];
	fds[1] = pair[0];
	if (send_fds(sv[0], fds, 2))
		return -1;
	close(pipefd[0]);
	close(pair[0]);
	close(pipefd[1]);
	S.passed_on = sv[1];
	S.inner_peer = pair[1];

	/* A stream whose peer wrote, then closed */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || write(sv[1], "bye", 3) != 3)
		return -1;
	close(sv[1]);
	S.survivor = sv[0];

	/* Connected to the test's own socket, outside the tree */
	len = sun_of(&a, dir, "outside");
	S.to_outside = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (connect(S.to_outside, (void *)&a, len))
		return -1;

	/* Credentials, options */
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, S.creds) ||
	    setsockopt(S.creds[1], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)) ||
	    send(S.creds[0], "cred", 4, 0) != 4 ||
	    setsockopt(S.stream[1], SOL_SOCKET, SO_PEEK_OFF, &(int){ 2 }, sizeof(int)) ||
	    setsockopt(S.stream[0], SOL_SOCKET, SO_RCVBUF, &(int){ 65536 }, sizeof(int)))
		return -1;
	S.rcvbuf = int_opt(S.stream[0], SO_RCVBUF);
	S.peercred = (struct ucred){ getpid(), getuid(), getgid() };
	return 0;
}

static int check_pairs(void)
{
	char buf[16] = { 0 };

	/* SO_PEEK_OFF 2 on stream[1]: a peek starts 2 bytes in, then moves */
	if (recv(S.stream[1], buf, 2, MSG_PEEK) != 2 || memcmp(buf, "de", 2))
		return 12;
	setsockopt(S.stream[1], SOL_SOCKET, SO_PEEK_OFF, &(int){ -1 }, sizeof(int));
	if (read(S.stream[1], buf, sizeof(buf)) != 6 || memcmp(buf, "bcdefg", 6))
		return 2;
	if (read(S.stream[0], buf, sizeof(buf)) != 2 || memcmp(buf, "xy", 2) ||
	    write(S.stream[0], "z", 1) != 1 || read(S.stream[1], buf, 1) != 1 || buf[0] != 'z')
		return 2;
	if (recv(S.seqpacket[1], buf, sizeof(buf), 0) != 1 ||
	    recv(S.seqpacket[1], buf, sizeof(buf), 0) != 2 || memcmp(buf, "22", 2) ||
	    recv(S.seqpacket[0], buf, sizeof(buf), 0) != 3)
		return 3;
	if (recv(S.dgram[0], buf, 2, MSG_TRUNC) != 4 || recv(S.dgram[0], buf, 8, 0) != 0 ||
	    recv(S.dgram[1], buf, sizeof(buf), 0) != 5 || memcmp(buf, "55555", 5))
		return 4;
	return 0;
}

static int check_listener(const char *dir)
{
	struct sockaddr_un a, g;
	socklen_t len = sun_of(&a, dir, "listener"), glen = sizeof(g);
	char c;
	int i, s;

	for (i = 0; i < 3; i++) {
		s = accept(S.listener, NULL, NULL);
		if (s < 0 || read(s, &c, 1) != 1 || c != 'A' + i ||
		    write(s, "r", 1) != 1 || read(S.clients[i], &c, 1) != 1 || c != 'r')
			return 5;
		if (getsockname(s, (void *)&g, &glen) || strcmp(g.sun_path, a.sun_path))
			return 6;
	}
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(s, (void *)&a, len) || accept(S.listener, NULL, NULL) < 0)
		return 13;
	return 0;
}

static int check_names(const char *dir)
{
	struct sockaddr_un a, g;
	socklen_t glen = sizeof(g), len;
	char buf[16];
	int s;

	sun_of(&a, dir, "gone-sender");
	memset(&g, 0, sizeof(g));
	if (recvfrom(S.bound, buf, sizeof(buf), 0, (void *)&g, &glen) != 3 ||
	    memcmp(buf, "one", 3) || strcmp(g.sun_path, a.sun_path)) {
		ckpt_child_note("first datagram from \"%s\" (%u bytes)", g.sun_path, glen);
		return 7;
	}
	glen = sizeof(g);
	if (recvfrom(S.bound, buf, sizeof(buf), 0, (void *)&g, &glen) != 3 ||
	    memcmp(buf, "two", 3))
		return 7;
	/* An unnamed sender has no address */
	glen = sizeof(g);
	if (recvfrom(S.bound, buf, sizeof(buf), 0, (void *)&g, &glen) != 5 ||
	    glen > sizeof(sa_family_t)) {
		ckpt_child_note("third datagram: address of %u bytes", glen);
		return 7;
	}
	/* Bound again: reachable by name */
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	len = sun_of(&a, dir, "bound");
	if (sendto(s, "x", 1, 0, (void *)&a, len) != 1 || recv(S.bound, buf, 1, 0) != 1)
		return 6;
	len = sun_of(&a, NULL, "ckpt-socket-test");
	glen = sizeof(g);
	if (getsockname(S.abstract, (void *)&g, &glen) || glen != len ||
	    memcmp(&g, &a, len) || sendto(s, "y", 1, 0, (void *)&a, len) != 1 ||
	    recv(S.abstract, buf, 1, 0) != 1)
		return 6;
	glen = sizeof(g);
	if (getsockname(S.autobound, (void *)&g, &glen) || glen != S.autolen ||
	    memcmp(&g, &S.autoname, glen))
		return 6;
	glen = sizeof(g);
	sun_of(&a, dir, "unlinked");
	if (getsockname(S.unlinked, (void *)&g, &glen) || strcmp(g.sun_path, a.sun_path))
		return 6;
	if (!access(a.sun_path, F_OK))
		return 14;
	return 0;
}

static int check_misc(void)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	char buf[16];
	int fds[4];

	if (recv_fds(S.passed_on, fds) != 2 || read(fds[0], buf, sizeof(buf)) != 8 ||
	    memcmp(buf, "PIPEDATA", 8) || recv(fds[1], buf, sizeof(buf), 0) != 5 ||
	    send(fds[1], "o", 1, 0) != 1 || recv(S.inner_peer, buf, 1, 0) != 1 || buf[0] != 'o')
		return 8;
	if (read(S.survivor, buf, sizeof(buf)) != 3 || memcmp(buf, "bye", 3) ||
	    read(S.survivor, buf, sizeof(buf)) != 0)
		return 9;
	if (send(S.to_outside, "out", 3, 0) != 3)
		return 10;
	if (recv_creds(S.creds[1], buf, sizeof(buf), &uc) != 4 || uc.pid != getpid() ||
	    uc.uid != getuid() || uc.gid != getgid())
		return 11;
	if (getsockopt(S.stream[0], SOL_SOCKET, SO_PEERCRED, &uc, &len) ||
	    uc.pid != S.peercred.pid || uc.uid != S.peercred.uid)
		return 11;
	if (int_opt(S.creds[1], SO_PASSCRED) != 1 || int_opt(S.stream[0], SO_RCVBUF) != S.rcvbuf)
		return 12;
	return 0;
}

struct unix_arg {
	const char *dir;
};

static int unix_child(void *arg)
{
	const struct unix_arg *a = arg;
	sigset_t set;
	int ret;

	if (setup_pairs() || setup_listener(a->dir) || setup_names(a->dir) ||
	    setup_misc(a->dir))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	/* No EINTR from the next nudges */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ret = check_pairs();
	if (!ret)
		ret = check_listener(a->dir);
	if (!ret)
		ret = check_names(a->dir);
	if (!ret)
		ret = check_misc();
	return ret;
}

/* The test's socket, outside the tree, that the program connects to */
static int outside_socket(struct __test_metadata *_metadata, const char *dir)
{
	struct sockaddr_un a;
	socklen_t len = sun_of(&a, dir, "outside");
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	EXPECT_EQ(0, bind(fd, (void *)&a, len));
	return fd;
}

static void restart_and_check(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			      int rounds)
{
	struct unix_arg arg = { .dir = ctx->dir };
	int outside = outside_socket(_metadata, ctx->dir);
	char buf[8];
	pid_t pid;
	int i;

	pid = ckpt_spawn(_metadata, ctx, unix_child, &arg);
	for (i = 0; i < rounds; i++)
		ckpt_kill_and_restart(_metadata, ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(unix_reasons));
	/* What the restored socket sent reached the test's */
	ASSERT_EQ(3, recv(outside, buf, sizeof(buf), MSG_DONTWAIT)) {
		TH_LOG("nothing from the restored socket: %s", strerror(errno));
	}
	close(outside);
}

TEST_F_TIMEOUT(unixsk, restored_program_finds_its_sockets, 90)
{
	restart_and_check(_metadata, &self->ctx, 1);
}

TEST_F_TIMEOUT(unixsk, twice_in_a_row, 120)
{
	restart_and_check(_metadata, &self->ctx, 2);
}

/* ---- a container: its sockets come back in its own network namespace ---- */

static char ct_ready[200];

static const char *const ct_reasons[] = {
	[1] = "could not set up the container's sockets",
	[2] = "the queued connection from the child was not accepted or lost its data",
	[3] = "the socketpair shared with the child lost its data",
	[4] = "the TCP listener on port 80 no longer accepts",
	[5] = "the child failed",
	[6] = "the abstract name is not the container's",
	[7] = "the TCP connection between init and its child lost its data",
};

/*
 * The container's child: client of init's listener, one end of a pair,
 * the server end of a TCP connection with init
 */
static int ct_child(int end, int tcp, struct sockaddr_un *a, socklen_t len)
{
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	char buf[8];

	if (connect(c, (void *)a, len) || write(c, "hello", 5) != 5 ||
	    write(tcp, "tcp-out", 7) != 7 || write(end, "ping", 4) != 4)
		return 1;
	/* Parked until init, restored, answers on the pair */
	while (read(end, buf, 4) != 4)
		;
	if (memcmp(buf, "pong", 4))
		return 2;
	return read(tcp, buf, 6) == 6 && !memcmp(buf, "tcp-in", 6) ? 0 : 3;
}

static int lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret;

	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ret = ret ?: ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return ret;
}

static int ct_init(void)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(80),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_un a;
	socklen_t len = sun_of(&a, NULL, "ckpt-ct");
	int l, tcp, sv[2], status, s, fd, tc, ts;
	char buf[8];
	sigset_t set;
	pid_t child;

	l = socket(AF_UNIX, SOCK_STREAM, 0);
	tcp = socket(AF_INET, SOCK_STREAM, 0);
	tc = socket(AF_INET, SOCK_STREAM, 0);
	if (lo_up() || bind(l, (void *)&a, len) || listen(l, 4) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
	    bind(tcp, (void *)&a4, sizeof(a4)) || listen(tcp, 4) ||
	    connect(tc, (void *)&a4, sizeof(a4)))
		return 1;
	ts = accept(tcp, NULL, NULL);
	if (ts < 0 || write(tc, "tcp-in", 6) != 6)
		return 1;
	child = fork();
	if (!child)
		_exit(ct_child(sv[1], ts, &a, len));
	close(sv[1]);
	close(ts);
	if (read(sv[0], buf, 4) != 4)
		return 1;
	/* The child's connection is queued, not accepted */
	fd = creat(ct_ready, 0644);
	close(fd);
	ckpt_child_wait_finish();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	s = accept(l, NULL, NULL);
	if (s < 0 || read(s, buf, 5) != 5 || memcmp(buf, "hello", 5))
		return 2;
	if (memcmp(buf, "hello", 5) || write(sv[0], "pong", 4) != 4)
		return 3;
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (void *)&a4, sizeof(a4)) || accept(tcp, NULL, NULL) < 0)
		return 4;
	if (read(tc, buf, 7) != 7 || memcmp(buf, "tcp-out", 7))
		return 7;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		return 5;
	return 0;
}

TEST_F_TIMEOUT(unixsk, container_sockets_in_their_own_network_namespace, 120)
{
	struct clone_args args = {
		.flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS,
		.exit_signal = SIGCHLD,
	};
	int64_t deadline = ckpt_now_ns() + CKPT_READY_TIMEOUT_MS * 1000000LL;
	struct sockaddr_un a;
	socklen_t len = sun_of(&a, NULL, "ckpt-ct");
	struct stat st;
	pid_t pid;
	int s;

	snprintf(ct_ready, sizeof(ct_ready), "%s/ct-ready", self->ctx.dir);
	fflush(NULL);
	pid = syscall(__NR_clone3, &args, sizeof(args));
	ASSERT_LE(0, pid) TH_LOG("clone3: %s", strerror(errno));
	if (!pid) {
		int ret = ckpt_child_detach();

		_exit(ret ?: ct_init());
	}
	ckpt_ctx_track(&self->ctx, pid);
	while (stat(ct_ready, &st)) {
		ASSERT_TRUE(ckpt_child_running(pid)) TH_LOG("the container's init died");
		ASSERT_LT(ckpt_now_ns(), deadline) TH_LOG("the container is not ready");
		ckpt_sleep_ms(20);
	}
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	/* The outer pid of the new namespace's init may be another */
	pid = ckpt_restart(_metadata, &self->ctx);
	ASSERT_LT(0, pid);
	/* Its abstract name is in its network namespace, not ours */
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_NE(0, connect(s, (void *)&a, len));
	close(s);
	ckpt_finish(_metadata, pid, CKPT_REASONS(ct_reasons));
}

/* ---- what cannot be saved: a stream connected outside the tree ---- */

static int outside_client_child(void *arg)
{
	const char *dir = arg;
	struct sockaddr_un a;
	socklen_t len = sun_of(&a, dir, "server");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	if (connect(s, (void *)&a, len))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	/* Still connected: the refused checkpoint changed nothing */
	return write(s, "k", 1) == 1 ? 0 : 2;
}

TEST_F_TIMEOUT(unixsk, stream_to_outside_is_refused_by_name, 60)
{
	struct sockaddr_un a;
	socklen_t len = sun_of(&a, self->ctx.dir, "server");
	int srv = socket(AF_UNIX, SOCK_STREAM, 0), s;
	char c;
	pid_t pid;

	ASSERT_EQ(0, bind(srv, (void *)&a, len));
	ASSERT_EQ(0, listen(srv, 1));
	pid = ckpt_spawn(_metadata, &self->ctx, outside_client_child, self->ctx.dir);
	s = accept(srv, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_NE(0, ckpt_call_checkpoint(&self->ctx, pid, self->ctx.image_fd, 0,
					  self->ctx.log_fd));
	ASSERT_EQ(EBUSY, errno);
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, "connected to a socket outside the tree")) {
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
	ASSERT_EQ(1, read(s, &c, 1));
}

/* ---- the same, saved as external: the caller hands a replacement ---- */

/* Read @n bytes, through the test's repeated SIGUSR1 */
static bool read_all(int fd, char *buf, size_t n)
{
	ssize_t r;

	while (n) {
		r = read(fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		buf += r;
		n -= r;
	}
	return true;
}

static const char *const external_reasons[] = {
	[1] = "could not connect",
	[2] = "the message queued before the checkpoint is not there",
	[3] = "could not write to the replacement's peer",
	[4] = "the replacement's peer's message did not come",
};

static int external_client_child(void *arg)
{
	const char *dir = arg;
	struct sockaddr_un a;
	socklen_t len = sun_of(&a, dir, "server");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	char buf[4];

	if (connect(s, (void *)&a, len))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (!read_all(s, buf, 4) || memcmp(buf, "old!", 4))
		return 2;
	if (write(s, "k", 1) != 1)
		return 3;
	if (!read_all(s, buf, 4) || memcmp(buf, "new!", 4))
		return 4;
	return 0;
}

/* The key of @pid's socket as /proc/PID/fd shows it: "socket:[INO]" */
static void socket_key(pid_t pid, char *key, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	key[0] = 0;
	for (fd = 0; fd < 16; fd++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
		n = readlink(path, key, size - 1);
		if (n <= 0)
			continue;
		key[n] = 0;
		if (!strncmp(key, "socket:[", 8))
			return;
	}
	key[0] = 0;
}

/* The EXTERNAL socket of the image in @ctx made a datagram one, then with no key */
static void damage_external(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			    pid_t saved_pid)
{
	struct ckpt_unix_sk *u = NULL, *r;
	struct image img = { .pid = saved_pid };
	const char *why = NULL;
	int i, what;

	for (what = 0; what < 2; what++) {
		ASSERT_EQ(0, lseek(ctx->image_fd, 0, SEEK_SET));
		img.data = ckpt_slurp(ctx->image_fd, &img.len);
		ASSERT_TRUE(!!img.data);
		img.recs = calloc(img.len / 8 + 1, sizeof(*img.recs));
		img.nr = ckpt_split_image(img.data, img.len, img.recs, img.len / 8 + 1, &why);
		ASSERT_LT(0, img.nr) TH_LOG("%s", why);
		for (i = 0, u = NULL; i < img.nr && !u; i++) {
			if (img.recs[i].type != CKPT_REC_UNIX_SK)
				continue;
			r = ckpt_payload(img.data, &img.recs[i]);
			if (le32toh(r->flags) & CKPT_UNIX_EXTERNAL)
				u = r;
		}
		ASSERT_TRUE(!!u) TH_LOG("no external socket in the image");
		if (what)
			u->flags &= ~htole32(CKPT_UNIX_EXTERNAL);
		else
			u->type = htole32(SOCK_DGRAM);
		trailer_of(&img, img.data)->crc32c =
			htole32(crc32c(img.data, img.recs[img.nr - 1].off));
		EXPECT_TRUE(restart_from_broken_image(_metadata, ctx, img.data, img.len, saved_pid,
						      EINVAL, "damaged external socket") ==
			    CKPT_FAILED_CLEANLY);
		free(img.recs);
		free(img.data);
	}
	/* The image file holds the damaged one now */
}

TEST_F_TIMEOUT(unixsk, stream_to_outside_is_saved_as_external, 60)
{
	struct ckpt_external ext = { .kind = CKPT_EXT_UNIX_SK };
	struct sockaddr_un a;
	socklen_t len = sun_of(&a, self->ctx.dir, "server");
	int srv = socket(AF_UNIX, SOCK_STREAM, 0), s, sv[2];
	pid_t pid, restored;
	char c;

	ASSERT_EQ(0, bind(srv, (void *)&a, len));
	ASSERT_EQ(0, listen(srv, 1));
	pid = ckpt_spawn(_metadata, &self->ctx, external_client_child, self->ctx.dir);
	s = accept(srv, NULL, NULL);
	ASSERT_LE(0, s);
	/* Queued on the child's socket, unread: it comes back on the replacement */
	ASSERT_EQ(4, write(s, "old!", 4));
	socket_key(pid, ext.key, sizeof(ext.key));
	ASSERT_NE(0, ext.key[0]);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid,
				     CHECKPOINT_KILL | CHECKPOINT_EXT_UNIX_SK));
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, ext.key))
		ckpt_dump_log(_metadata, &self->ctx);
	ckpt_reap_killed(_metadata, pid);

	/* Without a replacement, restart says which one it needs */
	ASSERT_EQ(0, lseek(self->ctx.image_fd, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	EXPECT_EQ(-1, syscall(__NR_restart, 0, self->ctx.image_fd, 0, self->ctx.log_fd));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, ext.key));
	EXPECT_TRUE(ckpt_nothing_left(_metadata, pid, "restart without the replacement"));

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ext.fd = sv[0];
	ASSERT_EQ(0, lseek(self->ctx.image_fd, 0, SEEK_SET));
	restored = syscall(__NR_restart, 0, self->ctx.image_fd, RESTART_EXTERNAL,
			   self->ctx.log_fd, &ext, 1);
	ASSERT_EQ(pid, restored) {
		TH_LOG("restart with the replacement: %s", strerror(errno));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ckpt_ctx_track(&self->ctx, pid);
	close(sv[0]);
	ASSERT_EQ(4, write(sv[1], "new!", 4));
	ckpt_finish(_metadata, pid, CKPT_REASONS(external_reasons));
	ASSERT_EQ(1, read(sv[1], &c, 1));
	EXPECT_EQ('k', c);
	close(sv[1]);
	close(s);
	close(srv);
	damage_external(_metadata, &self->ctx, pid);
}

/* ---- damaged UNIX_SK and UNIX_SKB records ---- */

static int small_child(void *arg)
{
	const char *dir = arg;
	struct sockaddr_un a;
	socklen_t len = sun_of(&a, dir, "small");
	int sv[2], l, c;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || write(sv[0], "data", 4) != 4 ||
	    write(sv[1], "back", 4) != 4)
		return 1;
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(l, (void *)&a, len) || listen(l, 2) || connect(c, (void *)&a, len))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

enum unix_damage {
	BAD_TYPE, UNKNOWN_FLAG, PEER_NOT_A_SOCKET, SKB_LONGER_THAN_RECORD,
	ADDR_TOO_LONG, ONE_SKB_MORE, TRUNCATED_SKB, EMBRYO_OF_NOTHING, SKB_TOO_MANY_FDS,
};

FIXTURE(unix_damaged) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(unix_damaged) {
	enum unix_damage what;
};

FIXTURE_VARIANT_ADD(unix_damaged, bad_type) { .what = BAD_TYPE, };
FIXTURE_VARIANT_ADD(unix_damaged, unknown_flag) { .what = UNKNOWN_FLAG, };
FIXTURE_VARIANT_ADD(unix_damaged, peer_not_a_socket) { .what = PEER_NOT_A_SOCKET, };
FIXTURE_VARIANT_ADD(unix_damaged, skb_longer_than_record) { .what = SKB_LONGER_THAN_RECORD, };
FIXTURE_VARIANT_ADD(unix_damaged, addr_too_long) { .what = ADDR_TOO_LONG, };
FIXTURE_VARIANT_ADD(unix_damaged, one_skb_more) { .what = ONE_SKB_MORE, };
FIXTURE_VARIANT_ADD(unix_damaged, truncated_skb) { .what = TRUNCATED_SKB, };
FIXTURE_VARIANT_ADD(unix_damaged, embryo_of_nothing) { .what = EMBRYO_OF_NOTHING, };
FIXTURE_VARIANT_ADD(unix_damaged, skb_too_many_fds) { .what = SKB_TOO_MANY_FDS, };

FIXTURE_SETUP(unix_damaged)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(unix_damaged)
{
	ckpt_ctx_teardown(&self->ctx);
}

/* The @n-th record of @type (from 0), or NULL */
static void *nth_rec(struct image *img, uint32_t type, int n, int *at)
{
	int i;

	for (i = 0; i < img->nr; i++)
		if (img->recs[i].type == type && !n--) {
			*at = i;
			return ckpt_payload(img->data, &img->recs[i]);
		}
	return NULL;
}

TEST_F_TIMEOUT(unix_damaged, restart_fails_cleanly, 60)
{
	struct ckpt_unix_sk *u0, *u1, *embryo = NULL;
	struct image img = { 0 };
	struct ckpt_unix_skb *m;
	size_t len;
	int at, i;

	img.pid = ckpt_spawn(_metadata, &self->ctx, small_child, self->ctx.dir);
	image_of_killed(_metadata, &self->ctx, img.pid, &img);
	u0 = nth_rec(&img, CKPT_REC_UNIX_SK, 0, &at);
	u1 = nth_rec(&img, CKPT_REC_UNIX_SK, 1, &at);
	m = nth_rec(&img, CKPT_REC_UNIX_SKB, 0, &at);
	ASSERT_TRUE(u0 && u1 && m) TH_LOG("the image lacks UNIX_SK or UNIX_SKB records");
	for (i = 0; (embryo = nth_rec(&img, CKPT_REC_UNIX_SK, i, &at)); i++)
		if (le32toh(embryo->flags) & CKPT_UNIX_EMBRYO)
			break;
	len = img.len;
	switch (variant->what) {
	case BAD_TYPE:
		u0->type = htole32(7);
		break;
	case UNKNOWN_FLAG:
		u0->flags |= htole32(1U << 20);
		break;
	case PEER_NOT_A_SOCKET:
		/* Object 1 is the first task's credentials */
		u1->peer_ref = htole32(1);
		break;
	case SKB_LONGER_THAN_RECORD:
		m->len = htole32(le32toh(m->len) + 64);
		break;
	case ADDR_TOO_LONG:
		u0->addr_len = htole32(200);
		break;
	case ONE_SKB_MORE:
		u1->nr_skbs = htole32(le32toh(u1->nr_skbs) + 1);
		break;
	case TRUNCATED_SKB:
		m = nth_rec(&img, CKPT_REC_UNIX_SKB, 0, &at);
		len = img.recs[at].off + 8 + sizeof(*m) / 2;
		break;
	case EMBRYO_OF_NOTHING:
		ASSERT_TRUE(!!embryo) TH_LOG("the image has no queued connection");
		embryo->listener_ref = htole32(1);
		break;
	case SKB_TOO_MANY_FDS:
		m->nr_fds = htole32(254);
		break;
	}
	if (variant->what != TRUNCATED_SKB)
		trailer_of(&img, img.data)->crc32c =
			htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	ASSERT_TRUE(restart_from_broken_image(_metadata, &self->ctx, img.data, len,
					      img.pid, EINVAL, "damaged UNIX socket") ==
		    CKPT_FAILED_CLEANLY);
	free(img.recs);
	free(img.data);
}

TEST_HARNESS_MAIN
