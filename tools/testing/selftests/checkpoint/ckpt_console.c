// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt_console SOCKET OUTFILE [ROWS COLS]: the receiving end of runc's
 * --console-socket, for ckpt_runc_test.sh, as runc's recvtty and conmon
 * are.  It listens on the UNIX stream socket SOCKET; each connection
 * brings one pty master in SCM_RIGHTS (runc run -t, or runc restore of a
 * container that had a console, through ckpt criu's orphan-pts-master).
 * Everything the current master gives is appended to OUTFILE as it comes;
 * each "ask" in it is answered with "answer\n" written to the master, so
 * that the test sees both directions.  A newer master replaces the
 * current one, which stays open until then.  With ROWS and COLS, the
 * first master gets that window size (a restored console must keep it).
 * Exits on SIGTERM (status 0) or on an error (status 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

/* A connection that sends no master within this is dropped */
#define CONSOLE_RECV_TIMEOUT_S	60

static volatile sig_atomic_t stop;

struct console {
	int listener;
	int out;		/* OUTFILE, O_APPEND */
	int master;		/* the newest master, or -1 */
	int masters;		/* how many came */
	bool hung_up;		/* master gave EOF or EIO: not polled any more */
	unsigned short rows, cols;	/* 0: leave the size alone */
	char tail[2];		/* the last bytes read, for an "ask" across reads */
};

static void on_sigterm(int sig __attribute__((unused)))
{
	stop = 1;
}

static int console_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int sk;

	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >=
	    (int)sizeof(sun.sun_path)) {
		fprintf(stderr, "ckpt_console: %s: path too long\n", path);
		return -1;
	}
	unlink(path);
	sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0 || bind(sk, (struct sockaddr *)&sun, sizeof(sun)) || listen(sk, 8)) {
		perror("ckpt_console: listen");
		return -1;
	}
	return sk;
}

/* The descriptor of one SCM_RIGHTS message on sk, or -1 */
static int console_recv_fd(int sk)
{
	struct timeval tv = { .tv_sec = CONSOLE_RECV_TIMEOUT_S };
	char name[4096];
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recvmsg(sk, &msg, MSG_CMSG_CLOEXEC);
	cm = CMSG_FIRSTHDR(&msg);
	if (n <= 0 || !cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int))) {
		fprintf(stderr, "ckpt_console: a connection without a master (%zd bytes)\n", n);
		return -1;
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	fprintf(stderr, "ckpt_console: master %d: \"%.*s\"\n", fd, (int)n, name);
	return fd;
}

/* A new connection: its master replaces the current one */
static void console_accept(struct console *con)
{
	struct winsize ws = { .ws_row = con->rows, .ws_col = con->cols };
	int sk, fd;

	sk = accept4(con->listener, NULL, NULL, SOCK_CLOEXEC);
	if (sk < 0)
		return;
	fd = console_recv_fd(sk);
	close(sk);
	if (fd < 0)
		return;
	if (!con->masters++ && con->rows && ioctl(fd, TIOCSWINSZ, &ws))
		perror("ckpt_console: TIOCSWINSZ");
	if (con->master >= 0)
		close(con->master);
	con->master = fd;
	con->hung_up = false;
	memset(con->tail, 0, sizeof(con->tail));
}

/* How many "ask" in buf[0..n), counting those that began in the last read */
static int console_asks(struct console *con, const char *buf, size_t n)
{
	char win[2 + 4096];
	size_t len = sizeof(con->tail) + n, i;
	int asks = 0;

	memcpy(win, con->tail, sizeof(con->tail));
	memcpy(win + sizeof(con->tail), buf, n);
	for (i = 0; i + 3 <= len; i++)
		if (!memcmp(win + i, "ask", 3))
			asks++;
	memcpy(con->tail, win + len - sizeof(con->tail), sizeof(con->tail));
	return asks;
}

/* What the master has: to OUTFILE, and answer each "ask" */
static int console_copy(struct console *con)
{
	static const char answer[] = "answer\n";
	char buf[4096];
	ssize_t n;
	int asks;

	n = read(con->master, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		/* EIO: the slave's last holder is gone (a checkpoint) */
		con->hung_up = true;
		return 0;
	}
	if (write(con->out, buf, n) != n) {
		perror("ckpt_console: write");
		return -1;
	}
	for (asks = console_asks(con, buf, n); asks > 0; asks--)
		if (write(con->master, answer, sizeof(answer) - 1) < 0)
			perror("ckpt_console: answer");
	return 0;
}

/* SIGTERM is blocked but in ppoll(), so that none is missed */
static int console_loop(struct console *con, const sigset_t *unblocked)
{
	struct pollfd p[2];

	while (!stop) {
		p[0] = (struct pollfd){ .fd = con->listener, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = con->hung_up ? -1 : con->master,
					.events = POLLIN };
		if (ppoll(p, 2, NULL, unblocked) < 0) {
			if (errno == EINTR)
				continue;
			perror("ckpt_console: poll");
			return -1;
		}
		if (p[1].revents && console_copy(con))
			return -1;
		if (p[0].revents & POLLIN)
			console_accept(con);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct console con = { .master = -1 };
	struct sigaction sa = { .sa_handler = on_sigterm };
	sigset_t term, unblocked;
	int ret;

	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: ckpt_console SOCKET OUTFILE [ROWS COLS]\n");
		return 2;
	}
	if (argc == 5) {
		con.rows = atoi(argv[3]);
		con.cols = atoi(argv[4]);
	}
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &unblocked);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	con.out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (con.out < 0) {
		perror(argv[2]);
		return 1;
	}
	con.listener = console_listen(argv[1]);
	if (con.listener < 0)
		return 1;
	ret = console_loop(&con, &unblocked);
	unlink(argv[1]);
	return ret ? 1 : 0;
}
