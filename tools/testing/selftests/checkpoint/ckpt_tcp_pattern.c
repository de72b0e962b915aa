// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt_tcp_pattern: the two ends of a TCP connection that keeps a pattern
 * going, for ckpt_migrate_tcp_test.sh, which moves one end to another
 * host while the other talks to it.
 *
 * ckpt_tcp_pattern server ADDR PORT STATUS: accept one connection at
 * ADDR:PORT; each 64-bit counter read must be the one after the last
 * (1, 2, ...); answer each with a counter of our own (1, 2, ...).  The
 * status line at the start of the file STATUS, rewritten at each counter,
 * is "got N sent N ok", or "got N sent N EOF" or "... ERROR ..." once it
 * stops.
 *
 * ckpt_tcp_pattern client ADDR PORT [SRC]: print the pid of a container
 * (an init in new pid and time namespaces) and return; the container
 * connects from SRC (any address if none) to ADDR:PORT and, every 10 ms,
 * sends the next counter and reads the server's, which must follow in
 * order too.  Its status line, "tick N got M ok" or "tick N got M ERROR
 * ...", is at the start of its memfd "count" (ckpt_ct_lib.sh's status_of).
 * After an error it sends ~0 (the server says "ERROR the client ...")
 * and stops.  It holds no file but /dev/null, the memfd and the socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

#define STATUS_LEN	128
#define CLIENT_ERROR	(~0ULL)

static char error[96];

/* The status line at the start of @fd, always STATUS_LEN bytes */
static void put_status(int fd, const char *what, uint64_t a, uint64_t b)
{
	char buf[STATUS_LEN + 1];
	int n;

	n = snprintf(buf, sizeof(buf), what, (unsigned long long)a, (unsigned long long)b,
		     error[0] ? error : "ok");
	if (n >= STATUS_LEN)
		n = STATUS_LEN - 1;
	memset(buf + n, ' ', STATUS_LEN - 1 - n);
	buf[STATUS_LEN - 1] = '\n';
	if (pwrite(fd, buf, STATUS_LEN, 0) != STATUS_LEN)
		_exit(3);
}

static int sockaddr_of(const char *addr, const char *port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(atoi(port));
	return inet_pton(AF_INET, addr, &sin->sin_addr) == 1 ? 0 : -1;
}

/* 0, or why not in error */
static int read_counter(int sk, uint64_t *v)
{
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(*v)) {
		n = read(sk, (char *)v + got, sizeof(*v) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(error, sizeof(error), n ? "ERROR read: %s" : "EOF",
				 strerror(errno));
			return -1;
		}
		got += n;
	}
	return 0;
}

static int write_counter(int sk, uint64_t v)
{
	ssize_t n;

	do {
		n = write(sk, &v, sizeof(v));
	} while (n < 0 && errno == EINTR);
	if (n == sizeof(v))
		return 0;
	snprintf(error, sizeof(error), "ERROR write: %s", n < 0 ? strerror(errno) : "short");
	return -1;
}

static int server(const char *addr, const char *port, const char *path)
{
	uint64_t want = 1, v;
	struct sockaddr_in sin;
	int one = 1, lsk, sk, fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	lsk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || lsk < 0 || sockaddr_of(addr, port, &sin) ||
	    setsockopt(lsk, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lsk, (struct sockaddr *)&sin, sizeof(sin)) || listen(lsk, 1)) {
		perror("ckpt_tcp_pattern: listening");
		return 1;
	}
	put_status(fd, "got %llu sent %llu listening, %s", 0, 0);
	sk = accept4(lsk, NULL, NULL, SOCK_CLOEXEC);
	if (sk < 0)
		return 1;
	setsockopt(sk, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		if (read_counter(sk, &v))
			break;
		if (v == CLIENT_ERROR) {
			snprintf(error, sizeof(error), "ERROR the client saw ours out of order");
			break;
		}
		if (v != want) {
			snprintf(error, sizeof(error), "ERROR gap: %llu after %llu",
				 (unsigned long long)v, (unsigned long long)want - 1);
			break;
		}
		if (write_counter(sk, want))
			break;
		put_status(fd, "got %llu sent %llu %s", want, want);
		want++;
	}
	put_status(fd, "got %llu sent %llu %s", want - 1, want - 1);
	return 0;
}

static void __attribute__((noreturn)) client_loop(int sk, int memfd)
{
	uint64_t tick = 0, got = 0, v;

	while (!error[0]) {
		usleep(10000);
		if (write_counter(sk, ++tick) || read_counter(sk, &v))
			break;
		if (v != tick) {
			snprintf(error, sizeof(error), "ERROR gap: %llu after %llu",
				 (unsigned long long)v, (unsigned long long)tick - 1);
			write_counter(sk, CLIENT_ERROR);
			break;
		}
		got = v;
		put_status(memfd, "tick %llu got %llu %s", tick, got);
	}
	put_status(memfd, "tick %llu got %llu %s", tick, got);
	for (;;)
		pause();
}

static int client_init(const char *addr, const char *port, const char *src)
{
	struct sockaddr_in to, from;
	int one = 1, sk, memfd, fd;

	/* Nothing of the caller's: no terminal, no inherited files */
	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return 1;
	syscall(SYS_close_range, 3, ~0U, 0);
	memfd = memfd_create("count", MFD_CLOEXEC);
	if (memfd < 0)
		return 1;
	put_status(memfd, "tick %llu got %llu connecting %s", 0, 0);
	sk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0 || sockaddr_of(addr, port, &to) ||
	    (src && (sockaddr_of(src, "0", &from) ||
		     bind(sk, (struct sockaddr *)&from, sizeof(from)))) ||
	    connect(sk, (struct sockaddr *)&to, sizeof(to))) {
		snprintf(error, sizeof(error), "ERROR connect: %s", strerror(errno));
		put_status(memfd, "tick %llu got %llu %s", 0, 0);
		pause();
		return 1;
	}
	setsockopt(sk, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	put_status(memfd, "tick %llu got %llu %s", 0, 0);
	client_loop(sk, memfd);
}

static int client(const char *addr, const char *port, const char *src)
{
	pid_t pid;

	/* Its children are in the new time namespace, if there is one */
	unshare(CLONE_NEWTIME);
	pid = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		perror("clone(CLONE_NEWPID)");
		return 1;
	}
	if (!pid) {
		setsid();
		_exit(client_init(addr, port, src));
	}
	printf("%d\n", pid);
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "server"))
		return server(argv[2], argv[3], argv[4]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "client"))
		return client(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	fprintf(stderr, "usage: ckpt_tcp_pattern server ADDR PORT STATUS\n"
		"       ckpt_tcp_pattern client ADDR PORT [SRC]\n");
	return 2;
}
