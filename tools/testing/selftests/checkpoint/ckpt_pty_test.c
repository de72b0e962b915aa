// SPDX-License-Identifier: GPL-2.0
/*
 * Pseudo-terminal pairs whose master is open in the checkpointed tree come
 * back connected, with the slave's termios and window size, the master's
 * packet mode, and the slave unlocked; the restored tasks check that
 * themselves, and exchange data through the new pair.
 */
#include <sys/ioctl.h>
#include <termios.h>

#include "ckpt_util.h"

FIXTURE(pty) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(pty)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(pty)
{
	ckpt_ctx_teardown(&self->ctx);
}

enum {
	PTY_OPEN = 1,
	PTY_SETUP,
	PTY_TERMIOS,
	PTY_WINSIZE,
	PTY_PKT,
	PTY_PEER,
	PTY_TO_SLAVE,
	PTY_TO_MASTER,
	PTY_FORK,
	PTY_ECHO,
	PTY_CHILD,
};

static const char *const pty_reasons[] = {
	[PTY_OPEN] = "could not open a pty pair",
	[PTY_SETUP] = "could not set termios, window size or packet mode",
	[PTY_TERMIOS] = "the slave's termios changed across restart",
	[PTY_WINSIZE] = "the window size changed across restart",
	[PTY_PKT] = "the master is no longer in packet mode",
	[PTY_PEER] = "master and slave are no longer a pair",
	[PTY_TO_SLAVE] = "data written to the master did not reach the slave",
	[PTY_TO_MASTER] = "data written to the slave did not reach the master",
	[PTY_FORK] = "could not fork the slave's holder",
	[PTY_ECHO] = "the process holding the slave did not answer through the pair",
	[PTY_CHILD] = "the process holding the slave failed",
};

/* A raw, no-echo slave with odd control characters: nothing a default has */
static void pty_termios(struct termios *t)
{
	cfmakeraw(t);
	t->c_lflag &= ~ECHO;
	t->c_cc[VMIN] = 1;
	t->c_cc[VTIME] = 0;
	t->c_cc[VINTR] = 0x07;
	t->c_cc[VEOF] = 0x05;
	cfsetispeed(t, B9600);
	cfsetospeed(t, B9600);
}

static const struct winsize pty_ws = { 33, 77, 640, 480 };

static int pty_open_pair(int *master, int *slave)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY);
	if (*master < 0 || grantpt(*master) || unlockpt(*master))
		return -1;
	*slave = open(ptsname(*master), O_RDWR | O_NOCTTY);
	return *slave < 0 ? -1 : 0;
}

static int pair_setup(int master, int slave, bool pkt)
{
	struct termios t;
	int one = 1;

	if (tcgetattr(slave, &t))
		return -1;
	pty_termios(&t);
	if (tcsetattr(slave, TCSANOW, &t) ||
	    ioctl(master, TIOCSWINSZ, &pty_ws))
		return -1;
	return pkt ? ioctl(master, TIOCPKT, &one) : 0;
}

/* Termios, window size and pairing as pair_setup() left them */
static int pair_check_state(int master, int slave, bool pkt)
{
	struct termios want, got;
	struct winsize ws;
	struct stat ms, ss;
	char name[64];
	int mode = -1;

	memset(&want, 0, sizeof(want));
	if (tcgetattr(slave, &got))
		return PTY_TERMIOS;
	want = got;
	pty_termios(&want);
	if (memcmp(&want, &got, sizeof(want))) {
		ckpt_child_note("termios: iflag %#x oflag %#x cflag %#x lflag %#x",
				got.c_iflag, got.c_oflag, got.c_cflag, got.c_lflag);
		return PTY_TERMIOS;
	}
	if (ioctl(slave, TIOCGWINSZ, &ws) || memcmp(&ws, &pty_ws, sizeof(ws))) {
		ckpt_child_note("winsize %ux%u", ws.ws_row, ws.ws_col);
		return PTY_WINSIZE;
	}
	if (ioctl(master, TIOCGPKT, &mode) || mode != pkt)
		return PTY_PKT;
	/* The master's slave is the slave we hold */
	if (ptsname_r(master, name, sizeof(name)) || stat(name, &ms) ||
	    fstat(slave, &ss) || ms.st_rdev != ss.st_rdev) {
		ckpt_child_note("ptsname of the master: %s", name);
		return PTY_PEER;
	}
	return 0;
}

static int read_exact(int fd, char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, buf + done, len - done);

		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

/* One process holds both ends */
static int pair_child(void *arg)
{
	int master, slave, ret;
	char buf[8];

	(void)arg;
	if (pty_open_pair(&master, &slave))
		return PTY_OPEN;
	if (pair_setup(master, slave, true))
		return PTY_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	ret = pair_check_state(master, slave, true);
	if (ret)
		return ret;
	if (write(master, "ping", 4) != 4 || read_exact(slave, buf, 4) ||
	    memcmp(buf, "ping", 4))
		return PTY_TO_SLAVE;
	/* Packet mode: a TIOCPKT_DATA byte, then the data */
	if (write(slave, "pong", 4) != 4 || read_exact(master, buf, 5) ||
	    buf[0] != TIOCPKT_DATA || memcmp(buf + 1, "pong", 4))
		return PTY_TO_MASTER;
	return 0;
}

TEST_F_TIMEOUT(pty, pair_keeps_termios_winsize_and_connection, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, pair_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(pty_reasons));
}

/* The slave's holder: answers every byte with its upper case */
static int upcase_child(int slave)
{
	char c;

	for (;;) {
		if (read(slave, &c, 1) != 1)
			return 1;
		if (c == 'q')
			return 0;
		c = c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
		if (write(slave, &c, 1) != 1)
			return 1;
	}
}

/* A process holds the master, its child the slave */
static int shell_child(void *arg)
{
	int master, slave, status, ret;
	char buf[4];
	pid_t pid;

	(void)arg;
	if (pty_open_pair(&master, &slave))
		return PTY_OPEN;
	if (pair_setup(master, slave, false))
		return PTY_SETUP;
	pid = fork();
	if (pid < 0)
		return PTY_FORK;
	if (!pid) {
		close(master);
		_exit(upcase_child(slave));
	}
	close(slave);
	/* Before: the pair works */
	if (write(master, "a", 1) != 1 || read_exact(master, buf, 1) || buf[0] != 'A')
		return PTY_ECHO;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (write(master, "xyz", 3) != 3 || read_exact(master, buf, 3) ||
	    memcmp(buf, "XYZ", 3))
		return PTY_ECHO;
	if (write(master, "q", 1) != 1 || waitpid(pid, &status, 0) != pid)
		return PTY_CHILD;
	ret = WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : PTY_CHILD;
	return ret;
}

TEST_F_TIMEOUT(pty, master_and_slave_in_two_processes, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, shell_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(pty_reasons));
}

TEST_HARNESS_MAIN
