// SPDX-License-Identifier: GPL-2.0
/*
 * Pseudo-terminal pairs whose master is open in the checkpointed tree come
 * back connected, with the slave's termios and window size, the master's
 * packet mode, and the slave unlocked; the restored tasks check that
 * themselves, and exchange data through the new pair.  A console, whose
 * master is outside the tree, comes back with its new master given to the
 * caller of restart(2).
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
	PTY_SESSION,
	PTY_SID,
	PTY_FG,
	PTY_DEVTTY,
	PTY_LINE,
	PTY_MEMBER,
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
	[PTY_SESSION] = "could not set up a session with the pty as its terminal",
	[PTY_SID] = "the session leader's terminal names another session",
	[PTY_FG] = "the terminal's foreground process group changed",
	[PTY_DEVTTY] = "/dev/tty is no longer the pty's slave",
	[PTY_LINE] = "the foreground job did not read the line sent to its terminal",
	[PTY_MEMBER] = "the foreground process lost its controlling terminal",
};

static volatile sig_atomic_t pty_go;

static void pty_go_handler(int sig)
{
	(void)sig;
	pty_go = 1;
}

static void pty_wait_go(void)
{
	sigset_t none;

	sigemptyset(&none);
	while (!pty_go)
		sigsuspend(&none);
}

/* /dev/tty opens: we have a controlling terminal, of our session, the slave's */
static int devtty_is(int slave)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	pid_t sid = -1;
	int ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, TIOCGSID, &sid) || sid != getsid(0) ||
	      tcgetsid(slave) != sid ? -1 : 0;
	close(fd);
	return ret;
}

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

/* The foreground process of the session: a job of its shell */
static int job_child(int slave)
{
	char line[16];

	pty_wait_go();
	if (tcgetpgrp(slave) != getpgrp())
		return PTY_FG;
	if (devtty_is(slave))
		return PTY_MEMBER;
	/* In the foreground it may read its terminal: a line, canonical mode */
	if (read(slave, line, sizeof(line)) != 3 || memcmp(line, "hi\n", 3))
		return PTY_LINE;
	return 0;
}

/* A shell: leads a session on the pty, with a job in the foreground */
static int shell_leader(int slave, pid_t *job)
{
	signal(SIGTTOU, SIG_IGN);
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0))
		return PTY_SESSION;
	*job = fork();
	if (*job < 0)
		return PTY_FORK;
	if (!*job) {
		setpgid(0, 0);
		_exit(job_child(slave));
	}
	if (setpgid(*job, *job) || tcsetpgrp(slave, *job))
		return PTY_SESSION;
	kill(getppid(), SIGUSR2);
	pty_wait_go();
	if (tcgetsid(slave) != getpid())
		return PTY_SID;
	if (tcgetpgrp(slave) != *job)
		return PTY_FG;
	return devtty_is(slave) ? PTY_DEVTTY : 0;
}

static int session_child(void *arg)
{
	int master, slave, status, code;
	pid_t leader, job = 0;
	siginfo_t si;
	sigset_t set;

	(void)arg;
	if (pty_open_pair(&master, &slave))
		return PTY_OPEN;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	leader = fork();
	if (leader < 0)
		return PTY_FORK;
	if (!leader) {
		signal(SIGUSR1, pty_go_handler);
		close(master);
		code = shell_leader(slave, &job);
		if (job > 0) {
			kill(job, SIGUSR1);
			if (waitpid(job, &status, 0) != job)
				code = code ?: PTY_CHILD;
			else if (!code && WEXITSTATUS(status))
				code = WEXITSTATUS(status);
		}
		_exit(code);
	}
	close(slave);
	/* The leader says its session is set up */
	if (sigwaitinfo(&set, &si) != SIGUSR2)
		return PTY_SESSION;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	kill(leader, SIGUSR1);
	if (write(master, "hi\n", 3) != 3)
		return PTY_TO_SLAVE;
	if (waitpid(leader, &status, 0) != leader || !WIFEXITED(status))
		return PTY_CHILD;
	return WEXITSTATUS(status);
}

TEST_F_TIMEOUT(pty, session_keeps_pty_as_controlling_terminal, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, session_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(pty_reasons));
}

/*
 * A container's console: a session leader whose controlling terminal is
 * the slave of a pair whose master the test holds, outside the tree (as
 * runc's console socket receiver does).
 */
static int console_leader(const char *path)
{
	struct termios t;
	char buf[3];
	int slave;

	/* Opening a terminal without O_NOCTTY makes it a new session's */
	slave = setsid() < 0 ? -1 : open(path, O_RDWR);
	if (slave < 0 || tcgetattr(slave, &t))
		return PTY_SESSION;
	pty_termios(&t);
	if (tcsetattr(slave, TCSANOW, &t))
		return PTY_SETUP;
	kill(getppid(), SIGUSR2);
	pty_wait_go();
	if (devtty_is(slave))
		return PTY_DEVTTY;
	if (tcgetattr(slave, &t) || t.c_cc[VINTR] != 0x07 || (t.c_lflag & ECHO))
		return PTY_TERMIOS;
	if (write(slave, "out", 3) != 3)
		return PTY_TO_MASTER;
	if (read_exact(slave, buf, 3) || memcmp(buf, "in\n", 3))
		return PTY_TO_SLAVE;
	return 0;
}

static int console_child(void *arg)
{
	int status, code;
	siginfo_t si;
	sigset_t set;
	pid_t leader;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	leader = fork();
	if (leader < 0)
		return PTY_FORK;
	if (!leader) {
		signal(SIGUSR1, pty_go_handler);
		_exit(console_leader(arg));
	}
	if (sigwaitinfo(&set, &si) != SIGUSR2)
		return PTY_SESSION;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	kill(leader, SIGUSR1);
	if (waitpid(leader, &status, 0) != leader || !WIFEXITED(status))
		return PTY_CHILD;
	code = WEXITSTATUS(status);
	return code;
}

/*
 * CKPT_EXT_PTY: restart makes a new pair for the console, whose master
 * replaces the caller's placeholder descriptor; without one it refuses,
 * naming the key.  The restored session leader finds its terminal, its
 * termios and its window size, and talks to the caller through it.
 */
TEST_F_TIMEOUT(pty, console_master_outside_goes_to_the_caller, 120)
{
	struct ckpt_external ext = { .kind = CKPT_EXT_PTY };
	int master, slave, index, holder, flags;
	char path[64], buf[4] = "";
	struct winsize ws;
	pid_t pid;
	long ret;

	ASSERT_EQ(0, pty_open_pair(&master, &slave));
	ASSERT_EQ(0, ioctl(master, TIOCSWINSZ, &pty_ws));
	ASSERT_EQ(0, ioctl(master, TIOCGPTN, &index));
	snprintf(path, sizeof(path), "/dev/pts/%d", index);
	close(slave);
	pid = ckpt_spawn(_metadata, &self->ctx, console_child, path);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	close(master);

	/* An external for another pty is ignored: refused, naming the key */
	holder = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, holder);
	ext.fd = holder;
	snprintf(ext.key, sizeof(ext.key), "pty:[%d]", index + 1);
	EXPECT_EQ(-1, ckpt_restart_ext(&self->ctx, &ext, 1));
	EXPECT_EQ(ENXIO, errno);
	snprintf(ext.key, sizeof(ext.key), "pty:[%d]", index);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, ext.key))
		ckpt_dump_log(_metadata, &self->ctx);
	EXPECT_TRUE(ckpt_nothing_left(_metadata, pid, "restart without the console's external"));
	/* The placeholder is untouched */
	EXPECT_EQ(-1, ioctl(holder, TIOCGPTN, &flags));

	ret = ckpt_restart_ext(&self->ctx, &ext, 1);
	ASSERT_EQ(pid, ret) {
		TH_LOG("restart with CKPT_EXT_PTY: %s", strerror(errno));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ckpt_ctx_track(&self->ctx, pid);
	/* The placeholder is the new master now, still close-on-exec */
	EXPECT_EQ(0, ioctl(holder, TIOCGPTN, &index));
	flags = fcntl(holder, F_GETFD);
	EXPECT_TRUE(flags >= 0 && (flags & FD_CLOEXEC));
	EXPECT_EQ(0, ioctl(holder, TIOCGWINSZ, &ws));
	EXPECT_EQ(0, memcmp(&ws, &pty_ws, sizeof(ws)));
	ASSERT_EQ(3, write(holder, "in\n", 3));
	ckpt_finish(_metadata, pid, CKPT_REASONS(pty_reasons));
	EXPECT_EQ(0, read_exact(holder, buf, 3));
	EXPECT_EQ(0, memcmp(buf, "out", 3));
	close(holder);
}

TEST_HARNESS_MAIN
