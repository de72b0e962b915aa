// SPDX-License-Identifier: GPL-2.0
/*
 * What a restored program observes in less travelled corners: files of
 * /proc that name another task of the tree (a child, the parent, a
 * thread), owners and signals of O_ASYNC files (F_SETOWN to a process, a
 * thread or a process group, F_SETSIG), a memfd open twice, pty pairs
 * opened through /dev/pts/ptmx or split between processes, a slave with
 * its own owner and mode, a vDSO unmapped or moved, and a process whose
 * leader exited.  Damaged FOWN and PROC_PID records make restart fail
 * cleanly, and an owner outside the tree makes checkpoint fail.
 */
#include <dirent.h>
#include <elf.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

#include "ckpt_image.h"

FIXTURE(fidelity) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(fidelity)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(fidelity)
{
	ckpt_ctx_teardown(&self->ctx);
}

enum {
	F_SETUP = 1,
	F_CHILD,
	F_PROC_POS,
	F_PROC_CONTENT,
	F_PROC_DIR,
	F_THREAD,
	F_ASYNC_OWNER,
	F_ASYNC_SIG,
	F_ASYNC_FLAGS,
	F_ASYNC_SPURIOUS,
	F_ASYNC_NO_SIGNAL,
	F_ASYNC_SIGINFO,
	F_ASYNC_NOT_THREAD,
	F_ASYNC_WRITE,
	F_MEMFD_POS,
	F_MEMFD_FLAGS,
	F_MEMFD_INODE,
	F_MEMFD_DATA,
	F_MEMFD_SHARED,
	F_MEMFD_LINK,
	F_PTY_TO_SLAVE,
	F_PTY_TO_MASTER,
	F_PTY_PEER,
	F_PTY_PTMX,
	F_PTY_OWNER,
	F_PTY_HUNGUP,
	F_VDSO_MAPS,
	F_VDSO_SYM,
	F_VDSO_TIME,
	F_LEADER_PID,
	F_LEADER_ZOMBIE,
	F_LEADER_TASKS,
	F_LEADER_COUNTER,
};

static const char *const fidelity_reasons[] = {
	[F_SETUP] = "could not set up the state under test",
	[F_CHILD] = "a process of the tree died or did not exit in time",
	[F_PROC_POS] = "the /proc file lost its position",
	[F_PROC_CONTENT] = "the /proc file shows another task than the one it named",
	[F_PROC_DIR] = "openat() in the /proc/PID directory failed or shows another task",
	[F_THREAD] = "a thread's tid changed",
	[F_ASYNC_OWNER] = "F_GETOWN / F_GETOWN_EX does not give the saved owner",
	[F_ASYNC_SIG] = "F_GETSIG does not give the saved signal",
	[F_ASYNC_FLAGS] = "O_ASYNC or O_NONBLOCK is no longer set",
	[F_ASYNC_SPURIOUS] = "the O_ASYNC signal was pending before any I/O",
	[F_ASYNC_NO_SIGNAL] = "I/O on the O_ASYNC file sent its owner no signal",
	[F_ASYNC_SIGINFO] = "the O_ASYNC signal has a wrong si_fd, si_band or si_code",
	[F_ASYNC_NOT_THREAD] = "the signal for the owner thread went to another thread",
	[F_ASYNC_WRITE] = "could not write to the peer of the O_ASYNC file",
	[F_MEMFD_POS] = "a memfd file lost its position",
	[F_MEMFD_FLAGS] = "a memfd file has another access mode",
	[F_MEMFD_INODE] = "the two memfd files are no longer one inode of 8192 bytes",
	[F_MEMFD_DATA] = "the memfd's contents or its mapping changed",
	[F_MEMFD_SHARED] = "a write through one memfd file is not seen by the other or the mapping",
	[F_MEMFD_LINK] = "/proc/self/fd of a memfd file does not name /memfd:twice (deleted)",
	[F_PTY_TO_SLAVE] = "data written to the master did not reach the slave",
	[F_PTY_TO_MASTER] = "data written to the slave did not reach the master",
	[F_PTY_PEER] = "the master's ptsname does not name the slave held",
	[F_PTY_PTMX] = "the master is no longer open through the same ptmx",
	[F_PTY_OWNER] = "the slave's node lost its owner, group or mode",
	[F_PTY_HUNGUP] = "a hung-up slave does not read end of file and fail writes with EIO",
	[F_VDSO_MAPS] = "/proc/self/maps shows [vdso] or [vvar] elsewhere than they were",
	[F_VDSO_SYM] = "no __vdso_clock_gettime in the moved vDSO",
	[F_VDSO_TIME] = "the moved vDSO's clock_gettime() is wrong",
	[F_LEADER_PID] = "the pid or the surviving thread's tid changed",
	[F_LEADER_ZOMBIE] = "the exited leader is not a zombie thread of the process",
	[F_LEADER_TASKS] = "/proc/self/task lists other threads than the three",
	[F_LEADER_COUNTER] = "the counting thread stopped counting",
};

#define REASONS CKPT_REASONS(fidelity_reasons)

#define SIG_WAIT_MS	2000
#define IO_WAIT_MS	5000

static pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

static int block_sig(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

static bool sig_pending(int sig)
{
	sigset_t set;

	return !sigpending(&set) && sigismember(&set, sig);
}

/* Waits up to @ms for blocked signal @sig; 0 if it came */
static int wait_sig(int sig, int ms, siginfo_t *si)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, sig);
	do {
		memset(si, 0, sizeof(*si));
		ret = sigtimedwait(&set, si, &ts);
	} while (ret < 0 && errno == EINTR);
	return ret == sig ? 0 : -1;
}

/* Reads exactly @len bytes, waiting up to IO_WAIT_MS for each part */
static int read_full(int fd, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t done = 0;
	ssize_t n;
	int r;

	while (done < len) {
		r = poll(&pfd, 1, IO_WAIT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

/* Reads exactly strlen(@want) bytes and compares them */
static int expect_text(int fd, const char *want)
{
	char buf[64];
	size_t len = strlen(want);

	if (read_full(fd, buf, len) || memcmp(buf, want, len)) {
		ckpt_child_note("expected \"%s\" on fd %d", want, fd);
		return -1;
	}
	return 0;
}

static int write_text(int fd, const char *text)
{
	return ckpt_write_all(fd, text, strlen(text));
}

/*
 * Processes below the test's child: each says it is ready with CHILD_READY
 * (a real-time signal, which their parent blocks), is woken from
 * ckpt_child_wait_finish() with SIGUSR1 and acknowledges with CHILD_READY,
 * so that its parent may then talk to it without SIGUSR1 interrupting it.
 */
#define CHILD_READY	SIGRTMIN

static void child_ready(void)
{
	kill(getppid(), CHILD_READY);
}

static void inner_wait(void)
{
	child_ready();
	ckpt_child_wait_finish();
	child_ready();
}

static int wait_child_ready(void)
{
	siginfo_t si;

	return wait_sig(CHILD_READY, CKPT_READY_TIMEOUT_MS, &si);
}

/* Wakes child @pid from inner_wait() and waits for its answer */
static int wake_child(pid_t pid)
{
	siginfo_t si;
	int i;

	for (i = 0; i < CKPT_EXIT_TIMEOUT_MS / 100; i++) {
		kill(pid, SIGUSR1);
		if (!wait_sig(CHILD_READY, 100, &si))
			return 0;
	}
	ckpt_child_note("child %d did not wake up", pid);
	return -1;
}

/* Reaps child @pid: its exit code, or F_CHILD (killing it if it hangs) */
static int reap_child(pid_t pid)
{
	int status, i;

	for (i = 0; i < CKPT_EXIT_TIMEOUT_MS / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		ckpt_sleep_ms(10);
	}
	if (i == CKPT_EXIT_TIMEOUT_MS / 10) {
		ckpt_child_note("child %d did not exit", pid);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return F_CHILD;
	}
	if (!WIFEXITED(status)) {
		ckpt_child_note("child %d died of signal %d", pid, WTERMSIG(status));
		return F_CHILD;
	}
	if (WEXITSTATUS(status))
		ckpt_child_note("child %d exited with %d", pid, WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

/* Forks a child running @fn; it has said it is ready when this returns */
static pid_t fork_inner(int (*fn)(void *), void *arg)
{
	pid_t pid;

	if (block_sig(CHILD_READY))
		return -1;
	pid = fork();
	if (!pid)
		_exit(fn(arg));
	if (pid > 0 && wait_child_ready()) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* Wakes and reaps @pid; the first failure of @ret and its code wins */
static int finish_inner(pid_t pid, int ret)
{
	int code;

	if (wake_child(pid)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return ret ?: F_CHILD;
	}
	code = reap_child(pid);
	return ret ?: code;
}

/* ---- files of /proc naming another task of the tree ---- */

/* A /proc/PID/stat file at position @pos, whose line is that of @pid */
static int check_proc_stat(int fd, off_t pos, pid_t pid)
{
	char buf[64], want[24];
	off_t now = lseek(fd, 0, SEEK_CUR);
	ssize_t n;

	if (now != pos) {
		ckpt_child_note("/proc/%d/stat at position %jd, expected %jd", pid,
				(intmax_t)now, (intmax_t)pos);
		return F_PROC_POS;
	}
	snprintf(want, sizeof(want), "%d (", pid);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	if (strncmp(buf, want, strlen(want))) {
		ckpt_child_note("stat file of %d reads \"%.30s\"", pid, buf);
		return F_PROC_CONTENT;
	}
	return 0;
}

/* The pid that an open /proc/PID/status shows, or -1 */
static pid_t status_pid(int fd)
{
	static char buf[8192];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *p;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nPid:\t");
	return p ? atoi(p + 6) : -1;
}

static int idle_inner(void *arg)
{
	(void)arg;
	inner_wait();
	return 0;
}

/* Holds /proc/CHILD/stat (read 10 bytes into) and /proc/CHILD */
static int proc_of_child(void *arg)
{
	int stat, dir, status, ret;
	char path[64], buf[16];
	pid_t child, shown;

	(void)arg;
	child = fork_inner(idle_inner, NULL);
	if (child < 0)
		return F_SETUP;
	snprintf(path, sizeof(path), "/proc/%d/stat", child);
	stat = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "/proc/%d", child);
	dir = open(path, O_RDONLY | O_DIRECTORY);
	if (stat < 0 || dir < 0 || read(stat, buf, 10) != 10)
		return finish_inner(child, F_SETUP);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	ret = check_proc_stat(stat, 10, child);
	status = openat(dir, "status", O_RDONLY);
	shown = status < 0 ? -1 : status_pid(status);
	if (!ret && shown != child) {
		ckpt_child_note("openat(/proc/%d, status): %d, Pid %d", child,
				status, shown);
		ret = F_PROC_DIR;
	}
	return finish_inner(child, ret);
}

TEST_F_TIMEOUT(fidelity, proc_file_of_child, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, proc_of_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

static int shared_table_idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/* /proc/CHILD/stat in a descriptor table the child shares (CLONE_FILES) */
static int proc_in_shared_table(void *arg)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	char path[64], buf[16];
	int fd, ret;
	pid_t child;

	(void)arg;
	child = clone(shared_table_idle, stack + sizeof(stack), CLONE_FILES | SIGCHLD, NULL);
	if (child < 0)
		return F_SETUP;
	snprintf(path, sizeof(path), "/proc/%d/stat", child);
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, 10) != 10) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return F_SETUP;
	}
	ckpt_child_ready();
	ckpt_child_wait_finish();
	ret = check_proc_stat(fd, 10, child);
	kill(child, SIGKILL);
	if (waitpid(child, NULL, 0) != child && !ret)
		ret = F_CHILD;
	return ret;
}

TEST_F_TIMEOUT(fidelity, proc_file_in_shared_table, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, proc_in_shared_table, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/* The child holds /proc/PARENT/status */
static int parent_status_inner(void *arg)
{
	pid_t parent = getppid(), shown;
	char path[64];
	int fd;

	(void)arg;
	snprintf(path, sizeof(path), "/proc/%d/status", parent);
	fd = open(path, O_RDONLY);
	if (fd < 0 || status_pid(fd) != parent)
		return F_SETUP;
	inner_wait();
	shown = status_pid(fd);
	if (shown != parent || getppid() != parent) {
		ckpt_child_note("/proc/%d/status shows Pid %d, parent now %d", parent,
				shown, getppid());
		return F_PROC_CONTENT;
	}
	return 0;
}

static int proc_of_parent(void *arg)
{
	pid_t child;

	(void)arg;
	child = fork_inner(parent_status_inner, NULL);
	if (child < 0)
		return F_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return finish_inner(child, 0);
}

TEST_F_TIMEOUT(fidelity, proc_file_of_parent, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, proc_of_parent, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

static volatile pid_t sleeper_tid;
static volatile int sleeper_ret = -1;
static volatile int sleeper_stop;

/* A second thread: its tid, until the main thread has checked its file */
static void *sleeper_thread(void *arg)
{
	pid_t tid = gettid_();

	(void)arg;
	block_sig(SIGUSR1);
	sleeper_tid = tid;
	while (!sleeper_stop)
		ckpt_sleep_ms(10);
	sleeper_ret = gettid_() == tid ? 0 : F_THREAD;
	return NULL;
}

static int start_sleeper(pthread_t *th)
{
	if (pthread_create(th, NULL, sleeper_thread, NULL))
		return -1;
	while (!sleeper_tid)
		ckpt_sleep_ms(1);
	return 0;
}

static int proc_of_thread(void *arg)
{
	char path[64], buf[16];
	pthread_t th;
	pid_t tid;
	int fd, ret;

	(void)arg;
	if (start_sleeper(&th))
		return F_SETUP;
	tid = sleeper_tid;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, 10) != 10)
		return F_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	ret = check_proc_stat(fd, 10, tid);
	sleeper_stop = 1;
	pthread_join(th, NULL);
	return ret ?: sleeper_ret;
}

TEST_F_TIMEOUT(fidelity, proc_file_of_thread, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, proc_of_thread, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/* ---- owners of O_ASYNC signals ---- */

#define ASYNC_SIG	(SIGRTMIN + 1)
#define THREAD_SIG	(SIGRTMIN + 2)

/* @fd's owner, signal and flags as F_GETOWN, F_GETSIG and F_GETFL give them */
static int check_async(int fd, int owner, int sig, int flags)
{
	int got;

	got = fcntl(fd, F_GETOWN);
	if (got != owner) {
		ckpt_child_note("fd %d: F_GETOWN %d, expected %d", fd, got, owner);
		return F_ASYNC_OWNER;
	}
	got = fcntl(fd, F_GETSIG);
	if (got != sig) {
		ckpt_child_note("fd %d: F_GETSIG %d, expected %d", fd, got, sig);
		return F_ASYNC_SIG;
	}
	got = fcntl(fd, F_GETFL);
	if (got < 0 || (got & flags) != flags) {
		ckpt_child_note("fd %d: F_GETFL %#x, expected %#x set", fd, got, flags);
		return F_ASYNC_FLAGS;
	}
	return 0;
}

/* A signal F_SETSIG sends for readable @fd */
static int check_io_siginfo(const siginfo_t *si, int fd)
{
	if (si->si_fd != fd || !(si->si_band & POLLIN) || si->si_code != POLL_IN) {
		ckpt_child_note("si_fd %d (expected %d), si_band %#lx, si_code %d",
				si->si_fd, fd, (long)si->si_band, si->si_code);
		return F_ASYNC_SIGINFO;
	}
	return 0;
}

/* Writes a byte to @wfd and waits for @sig about @rfd */
static int poke_and_wait(int wfd, int rfd, int sig)
{
	siginfo_t si;

	if (sig_pending(sig))
		return F_ASYNC_SPURIOUS;
	if (write(wfd, "x", 1) != 1)
		return F_ASYNC_WRITE;
	if (wait_sig(sig, SIG_WAIT_MS, &si))
		return F_ASYNC_NO_SIGNAL;
	return check_io_siginfo(&si, rfd);
}

/* Read end of a pipe: O_ASYNC, owner itself, F_SETSIG ASYNC_SIG */
static int async_pipe_child(void *arg)
{
	int p[2], ret;

	(void)arg;
	if (block_sig(ASYNC_SIG) || pipe(p) ||
	    fcntl(p[0], F_SETOWN, getpid()) || fcntl(p[0], F_SETSIG, ASYNC_SIG) ||
	    fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK))
		return F_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	ret = check_async(p[0], getpid(), ASYNC_SIG, O_ASYNC | O_NONBLOCK);
	return ret ?: poke_and_wait(p[1], p[0], ASYNC_SIG);
}

TEST_F_TIMEOUT(fidelity, async_pipe_sigio, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, async_pipe_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

static volatile pid_t owner_tid;
static volatile int owner_go, owner_ret = -1;
static volatile sig_atomic_t main_got_thread_sig;
static int owner_fd;

static void thread_sig_handler(int sig)
{
	(void)sig;
	main_got_thread_sig = 1;
}

/* The owner thread: once told, waits for its signal */
static void *owner_thread(void *arg)
{
	pid_t tid = gettid_();
	siginfo_t si;

	(void)arg;
	block_sig(SIGUSR1);
	block_sig(THREAD_SIG);
	owner_tid = tid;
	while (!owner_go)
		ckpt_sleep_ms(10);
	if (gettid_() != tid)
		owner_ret = F_THREAD;
	else if (wait_sig(THREAD_SIG, SIG_WAIT_MS, &si))
		owner_ret = F_ASYNC_NO_SIGNAL;
	else
		owner_ret = check_io_siginfo(&si, owner_fd);
	return NULL;
}

/*
 * A socket whose owner is a second thread (F_OWNER_TID). The main thread
 * does not block the signal, so a signal sent to the process would be
 * its, not the owner's.
 */
static int async_thread_child(void *arg)
{
	struct sigaction sa = { .sa_handler = thread_sig_handler,
				.sa_flags = SA_RESTART };
	struct f_owner_ex ex;
	pthread_t th;
	int sv[2], ret;

	(void)arg;
	sigemptyset(&sa.sa_mask);
	if (sigaction(THREAD_SIG, &sa, NULL) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
	    pthread_create(&th, NULL, owner_thread, NULL))
		return F_SETUP;
	while (!owner_tid)
		ckpt_sleep_ms(1);
	owner_fd = sv[0];
	ex.type = F_OWNER_TID;
	ex.pid = owner_tid;
	if (fcntl(sv[0], F_SETOWN_EX, &ex) || fcntl(sv[0], F_SETSIG, THREAD_SIG) ||
	    fcntl(sv[0], F_SETFL, O_ASYNC))
		return F_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	memset(&ex, 0, sizeof(ex));
	ret = F_ASYNC_OWNER;
	if (fcntl(sv[0], F_GETOWN_EX, &ex) || ex.type != F_OWNER_TID ||
	    ex.pid != owner_tid)
		ckpt_child_note("F_GETOWN_EX: type %d pid %d, expected %d %d",
				ex.type, ex.pid, F_OWNER_TID, owner_tid);
	else
		ret = check_async(sv[0], owner_tid, THREAD_SIG, O_ASYNC);
	owner_go = 1;
	if (!ret && write(sv[1], "x", 1) != 1)
		ret = F_ASYNC_WRITE;
	pthread_join(th, NULL);
	if (main_got_thread_sig)
		return F_ASYNC_NOT_THREAD;
	return ret ?: owner_ret;
}

TEST_F_TIMEOUT(fidelity, async_owner_thread, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, async_thread_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/* A member of the group: SIGIO (blocked, inherited) must reach it too */
static int pgrp_member(void *arg)
{
	siginfo_t si;

	(void)arg;
	inner_wait();
	if (getpgrp() != getppid())
		return F_ASYNC_OWNER;
	return wait_sig(SIGIO, SIG_WAIT_MS, &si) ? F_ASYNC_NO_SIGNAL : 0;
}

/* A process group leader, owner of a pipe through its group (plain SIGIO) */
static int async_pgrp_child(void *arg)
{
	int p[2], ret;
	pid_t member;
	siginfo_t si;

	(void)arg;
	if (setpgid(0, 0) || block_sig(SIGIO))
		return F_SETUP;
	member = fork_inner(pgrp_member, NULL);
	if (member < 0)
		return F_SETUP;
	if (pipe(p) || fcntl(p[0], F_SETOWN, -getpid()) ||
	    fcntl(p[0], F_SETFL, O_ASYNC))
		return finish_inner(member, F_SETUP);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	ret = check_async(p[0], -getpid(), 0, O_ASYNC);
	if (!ret && sig_pending(SIGIO))
		ret = F_ASYNC_SPURIOUS;
	if (wake_child(member)) {
		kill(member, SIGKILL);
		waitpid(member, NULL, 0);
		return ret ?: F_CHILD;
	}
	if (!ret && write(p[1], "x", 1) != 1)
		ret = F_ASYNC_WRITE;
	if (!ret && wait_sig(SIGIO, SIG_WAIT_MS, &si))
		ret = F_ASYNC_NO_SIGNAL;
	return ret ?: reap_child(member);
}

TEST_F_TIMEOUT(fidelity, async_owner_pgrp, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, async_pgrp_child, NULL);
	int i;

	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	/* The member keeps the group id, and so the leader's pid, until reaped */
	for (i = 0; i < 1000 && !kill(-pid, 0); i++)
		ckpt_sleep_ms(10);
	ASSERT_EQ(pid, ckpt_restart(_metadata, &self->ctx));
	ckpt_finish(_metadata, pid, REASONS);
}

/* The owner is the test, outside the tree; nothing is written to the pipe */
static int async_outside_child(void *arg)
{
	int p[2];

	(void)arg;
	if (pipe(p) || p[0] != 3 || fcntl(p[0], F_SETOWN, getppid()) ||
	    fcntl(p[0], F_SETFL, O_ASYNC))
		return F_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	/* The failed checkpoint left it as it was */
	return check_async(p[0], getppid(), 0, O_ASYNC);
}

TEST_F_TIMEOUT(fidelity, async_owner_outside_tree_refused, 120)
{
	struct ckpt_ctx *ctx = &self->ctx;
	long ret;
	pid_t pid;
	int err;

	/* The owner: closing the write end first, as exit may, signals it */
	signal(SIGIO, SIG_IGN);
	pid = ckpt_spawn(_metadata, ctx, async_outside_child, NULL);
	ASSERT_EQ(0, ckpt_reset_file(ctx->image_fd));
	ASSERT_EQ(0, ckpt_reset_file(ctx->log_fd));
	/* With CHECKPOINT_KILL, which must not kill what it did not save */
	ret = ckpt_call_checkpoint(ctx, pid, ctx->image_fd, CHECKPOINT_KILL, ctx->log_fd);
	err = errno;
	ASSERT_EQ(-1, ret)
		TH_LOG("checkpoint() of a file whose owner is outside the tree succeeded");
	ASSERT_TRUE(err == EOPNOTSUPP || err == EINVAL) {
		TH_LOG("checkpoint(): %s, expected EOPNOTSUPP (or EINVAL)",
		       strerrorname_np(err));
		ckpt_explain_errno(_metadata, "checkpoint(2)", err);
		ckpt_dump_log(_metadata, ctx);
	}
	/* The file by its fd (3), its kind or its object id in the image */
	ASSERT_TRUE(ckpt_log_contains(ctx, "error:") && ckpt_log_contains(ctx, "owner") &&
		    (ckpt_log_contains(ctx, "fd 3") || ckpt_log_contains(ctx, "pipe") ||
		     ckpt_log_contains(ctx, "object"))) {
		TH_LOG("the log's error does not name the owner and the file");
		ckpt_dump_log(_metadata, ctx);
	}
	ASSERT_TRUE(ckpt_child_running(pid))
		TH_LOG("the task is gone after a failed checkpoint");
	ckpt_finish(_metadata, pid, REASONS);
}

/* ---- a memfd open twice ---- */

#define MEMFD_SIZE	8192
#define MEMFD_SEED	0x6d656d66ULL

static int memfd_link_ok(int fd)
{
	static const char want[] = "/memfd:twice (deleted)";
	char path[64], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		n = 0;
	link[n] = '\0';
	if (strcmp(link, want)) {
		ckpt_child_note("fd %d links to \"%s\"", fd, link);
		return -1;
	}
	return 0;
}

static int memfd_check(int rw, int ro, const unsigned char *map)
{
	static uint64_t buf[MEMFD_SIZE / 8];
	struct stat a, b;
	off_t prw = lseek(rw, 0, SEEK_CUR), pro = lseek(ro, 0, SEEK_CUR);

	if (prw != 100 || pro != 5000) {
		ckpt_child_note("positions %jd and %jd, expected 100 and 5000",
				(intmax_t)prw, (intmax_t)pro);
		return F_MEMFD_POS;
	}
	if ((fcntl(rw, F_GETFL) & O_ACCMODE) != O_RDWR ||
	    (fcntl(ro, F_GETFL) & O_ACCMODE) != O_RDONLY)
		return F_MEMFD_FLAGS;
	if (fstat(rw, &a) || fstat(ro, &b) || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev || a.st_size != MEMFD_SIZE || b.st_size != MEMFD_SIZE)
		return F_MEMFD_INODE;
	if (pread(ro, buf, MEMFD_SIZE, 0) != MEMFD_SIZE ||
	    ckpt_check_pattern(buf, MEMFD_SIZE, MEMFD_SEED, 0) != -1 ||
	    ckpt_check_pattern(map, MEMFD_SIZE, MEMFD_SEED, 0) != -1)
		return F_MEMFD_DATA;
	if (pwrite(rw, "ABCDEFGH", 8, 0) != 8 || pread(ro, buf, 8, 0) != 8 ||
	    memcmp(buf, "ABCDEFGH", 8) || memcmp(map, "ABCDEFGH", 8))
		return F_MEMFD_SHARED;
	if (memfd_link_ok(rw) || memfd_link_ok(ro))
		return F_MEMFD_LINK;
	return 0;
}

/*
 * A memfd, then the same inode reopened read-only through /proc/self/fd;
 * with @arg, the read-only file has the lower fd (3, the original 5).
 */
static int memfd_twice_child(void *arg)
{
	static uint64_t buf[MEMFD_SIZE / 8];
	unsigned char *map;
	char path[64];
	int rw, ro;

	rw = memfd_create("twice", 0);
	ckpt_fill_pattern(buf, MEMFD_SIZE, MEMFD_SEED, 0);
	if (rw < 0 || ckpt_write_all(rw, buf, MEMFD_SIZE))
		return F_SETUP;
	if (arg) {
		if (dup2(rw, 5) != 5 || close(rw))
			return F_SETUP;
		rw = 5;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", rw);
	ro = open(path, O_RDONLY);
	if (ro < 0 || (arg && ro != 3) || (!arg && ro < rw) ||
	    lseek(rw, 100, SEEK_SET) != 100 || lseek(ro, 5000, SEEK_SET) != 5000)
		return F_SETUP;
	map = mmap(NULL, MEMFD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
	if (map == MAP_FAILED)
		return F_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return memfd_check(rw, ro, map);
}

TEST_F_TIMEOUT(fidelity, memfd_opened_twice, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, memfd_twice_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

TEST_F_TIMEOUT(fidelity, memfd_opened_twice_readonly_first, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, memfd_twice_child, "ro first");

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/* ---- pty pairs ---- */

/* A pair from @ptmx, the slave raw (no echo, no line editing) */
static int open_pair(const char *ptmx, int *master, int *slave)
{
	struct termios t;
	char name[64];

	*master = open(ptmx, O_RDWR | O_NOCTTY);
	if (*master < 0 || grantpt(*master) || unlockpt(*master) ||
	    ptsname_r(*master, name, sizeof(name)))
		return -1;
	*slave = open(name, O_RDWR | O_NOCTTY);
	if (*slave < 0 || tcgetattr(*slave, &t))
		return -1;
	cfmakeraw(&t);
	return tcsetattr(*slave, TCSANOW, &t);
}

/* The master's ptsname names the node of @slave */
static int check_peer(int master, int slave)
{
	struct stat ms, ss;
	char name[64] = "";

	if (ptsname_r(master, name, sizeof(name)) || stat(name, &ms) ||
	    fstat(slave, &ss) || ms.st_rdev != ss.st_rdev) {
		ckpt_child_note("ptsname of the master: \"%s\"", name);
		return F_PTY_PEER;
	}
	return 0;
}

static int talk(int master, int slave)
{
	if (write_text(master, "ping\n") || expect_text(slave, "ping\n"))
		return F_PTY_TO_SLAVE;
	if (write_text(slave, "pong\n") || expect_text(master, "pong\n"))
		return F_PTY_TO_MASTER;
	return 0;
}

static int fd_link(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int devpts_ptmx_child(void *arg)
{
	char before[128], after[128] = "";
	int master, slave, ret;

	(void)arg;
	if (open_pair("/dev/pts/ptmx", &master, &slave) ||
	    fd_link(master, before, sizeof(before)) || talk(master, slave))
		return F_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	ret = talk(master, slave);
	if (!ret)
		ret = check_peer(master, slave);
	if (!ret && (fd_link(master, after, sizeof(after)) || strcmp(before, after))) {
		ckpt_child_note("master was \"%s\", now \"%s\"", before, after);
		ret = F_PTY_PTMX;
	}
	return ret;
}

TEST_F_TIMEOUT(fidelity, pty_through_devpts_ptmx, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, devpts_ptmx_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/* The child holds the master: "hello\n" to its parent, expects "world\n" */
static int master_holder(void *arg)
{
	int master = *(int *)arg;

	inner_wait();
	if (write_text(master, "hello\n"))
		return F_PTY_TO_SLAVE;
	return expect_text(master, "world\n") ? F_PTY_TO_MASTER : 0;
}

static int master_in_child(void *arg)
{
	int master, slave, ret = 0;
	pid_t child;

	(void)arg;
	if (open_pair("/dev/ptmx", &master, &slave))
		return F_SETUP;
	if (block_sig(CHILD_READY))
		return F_SETUP;
	child = fork();
	if (child < 0)
		return F_SETUP;
	if (!child) {
		close(slave);
		_exit(master_holder(&master));
	}
	close(master);
	if (wait_child_ready())
		return finish_inner(child, F_SETUP);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (wake_child(child)) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return F_CHILD;
	}
	if (expect_text(slave, "hello\n"))
		ret = F_PTY_TO_SLAVE;
	else if (write_text(slave, "world\n"))
		ret = F_PTY_TO_MASTER;
	if (ret) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return ret;
	}
	return reap_child(child);
}

TEST_F_TIMEOUT(fidelity, pty_master_in_forked_child, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, master_in_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

#define PTS_UID		1234
#define PTS_GID		5
#define PTS_MODE	0620

static int pts_owner_child(void *arg)
{
	int master, slave, ret;
	char name[64];
	struct stat st;

	(void)arg;
	if (open_pair("/dev/ptmx", &master, &slave) ||
	    ptsname_r(master, name, sizeof(name)) ||
	    chown(name, PTS_UID, PTS_GID) || chmod(name, PTS_MODE))
		return F_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	ret = check_peer(master, slave);
	if (ret)
		return ret;
	if (ptsname_r(master, name, sizeof(name)) || stat(name, &st) ||
	    st.st_uid != PTS_UID || st.st_gid != PTS_GID ||
	    (st.st_mode & 07777) != PTS_MODE) {
		ckpt_child_note("%s: uid %u gid %u mode %04o", name, st.st_uid,
				st.st_gid, st.st_mode & 07777);
		return F_PTY_OWNER;
	}
	return talk(master, slave);
}

TEST_F_TIMEOUT(fidelity, pty_slave_owner_mode, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, pts_owner_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/* A hung-up terminal: end of file on read, EIO on write */
static int check_hungup(int fd)
{
	char c;
	ssize_t r = read(fd, &c, 1), w = write(fd, "x", 1);

	if (r != 0 || w != -1 || errno != EIO) {
		ckpt_child_note("fd %d: read %zd, write %zd (%s)", fd, r, w, strerror(errno));
		return F_PTY_HUNGUP;
	}
	return 0;
}

/* The slave of a pair whose master was closed: its /dev/pts node is gone */
static int hungup_child(void *arg)
{
	int master, slave, dup_slave;

	(void)arg;
	if (open_pair("/dev/ptmx", &master, &slave) || close(master) ||
	    check_hungup(slave))
		return F_SETUP;
	dup_slave = dup(slave);
	if (dup_slave < 0)
		return F_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return check_hungup(slave) ?: check_hungup(dup_slave);
}

TEST_F_TIMEOUT(fidelity, pty_slave_hung_up, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, hungup_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/*
 * ---- the vDSO ----
 *
 * Once the vDSO is unmapped or moved, glibc's time functions, which call
 * it where it was, must not be called: only raw system calls for time.
 */

struct span {
	unsigned long start, end;
};

/*
 * The mappings /proc/self/maps names @name*, in address order: how many,
 * the first @max of them in @s; -1 if it cannot be read
 */
static int find_maps(const char *name, struct span *s, int max)
{
	char *line, *end, *p;
	int n = 0;

	if (ckpt_read_file("/proc/self/maps", ckpt_maps_buf, sizeof(ckpt_maps_buf)) < 0)
		return -1;
	for (line = ckpt_maps_buf; *line; line = end) {
		end = strchrnul(line, '\n');
		if (*end)
			*end++ = '\0';
		p = strrchr(line, ' ');
		if (!p || strncmp(p + 1, name, strlen(name)))
			continue;
		if (n < max) {
			s[n].start = strtoul(line, &p, 16);
			s[n].end = strtoul(p + 1, NULL, 16);
		}
		n++;
	}
	return n;
}

#define MAX_VVAR	4

/* The vDSO and its data pages: [vvar] (and [vvar_vclock] since Linux 6.13) */
struct vdso_layout {
	struct span vdso;
	struct span vvar[MAX_VVAR];
	int nr_vvar;
};

static int get_layout(struct vdso_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->nr_vvar = find_maps("[vvar", l->vvar, MAX_VVAR);
	if (find_maps("[vdso]", &l->vdso, 1) != 1 || l->nr_vvar < 1 ||
	    l->nr_vvar > MAX_VVAR)
		return -1;
	return 0;
}

/* Neither the vDSO nor a vvar mapping is left */
static int no_vdso(void)
{
	struct span s;
	int vdso = find_maps("[vdso]", &s, 1), vvar = find_maps("[vvar", &s, 1);

	if (vdso || vvar) {
		ckpt_child_note("%d [vdso] and %d [vvar*] mappings, the last at %lx",
				vdso, vvar, s.start);
		return -1;
	}
	return 0;
}

/* /proc/self/maps shows the vDSO and vvar mappings of @want, no others */
static int layout_is(const struct vdso_layout *want)
{
	struct vdso_layout got;
	int i;

	if (!get_layout(&got) && got.nr_vvar == want->nr_vvar &&
	    !memcmp(&got.vdso, &want->vdso, sizeof(got.vdso)) &&
	    !memcmp(got.vvar, want->vvar, sizeof(got.vvar)))
		return 0;
	ckpt_child_note("[vdso] at %lx-%lx, expected %lx-%lx", got.vdso.start,
			got.vdso.end, want->vdso.start, want->vdso.end);
	for (i = 0; i < MAX_VVAR && (i < got.nr_vvar || i < want->nr_vvar); i++)
		ckpt_child_note("[vvar*] %d at %lx-%lx, expected %lx-%lx", i,
				got.vvar[i].start, got.vvar[i].end,
				want->vvar[i].start, want->vvar[i].end);
	return -1;
}

/* The address of function @name in the vDSO image at @base, or NULL */
static void *vdso_lookup(unsigned long base, size_t len, const char *name)
{
	const Elf64_Ehdr *eh = (const void *)base;
	const Elf64_Phdr *ph;
	const Elf64_Shdr *sh, *str;
	const Elf64_Sym *sym;
	unsigned long load = 0;
	size_t i, k;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phoff + eh->e_phnum * sizeof(*ph) > len ||
	    eh->e_shoff + eh->e_shnum * sizeof(*sh) > len)
		return NULL;
	ph = (const void *)(base + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD) {
			load = base + ph[i].p_offset - ph[i].p_vaddr;
			break;
		}
	}
	if (i == eh->e_phnum)
		return NULL;
	sh = (const void *)(base + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_entsize != sizeof(*sym) ||
		    sh[i].sh_offset + sh[i].sh_size > len)
			continue;
		str = &sh[sh[i].sh_link];
		if (str->sh_offset + str->sh_size > len)
			continue;
		sym = (const void *)(base + sh[i].sh_offset);
		for (k = 0; k < sh[i].sh_size / sizeof(*sym); k++) {
			if (sym[k].st_name >= str->sh_size ||
			    sym[k].st_shndx == SHN_UNDEF ||
			    ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC ||
			    strncmp((const char *)base + str->sh_offset + sym[k].st_name,
				    name, str->sh_size - sym[k].st_name))
				continue;
			return (void *)(load + sym[k].st_value);
		}
	}
	return NULL;
}

typedef int (*vdso_gettime_t)(clockid_t clk, struct timespec *ts);

/* The vDSO at @vdso gives CLOCK_REALTIME within 5 s of the system call's */
static int vdso_time_ok(const struct span *vdso)
{
	vdso_gettime_t fn;
	struct timespec v, k;
	long diff;

	fn = (vdso_gettime_t)vdso_lookup(vdso->start, vdso->end - vdso->start,
					 "__vdso_clock_gettime");
	if (!fn) {
		ckpt_child_note("no __vdso_clock_gettime in the vDSO at %lx", vdso->start);
		return F_VDSO_SYM;
	}
	if (fn(CLOCK_REALTIME, &v) || syscall(SYS_clock_gettime, CLOCK_REALTIME, &k))
		return F_VDSO_TIME;
	diff = v.tv_sec - k.tv_sec;
	if (diff > 5 || diff < -5) {
		ckpt_child_note("vDSO time %ld s, system call %ld s", (long)v.tv_sec,
				(long)k.tv_sec);
		return F_VDSO_TIME;
	}
	return 0;
}

/* Moves mapping @from to @to, of the same length */
static int move_map(struct span *from, unsigned long to)
{
	unsigned long len = from->end - from->start;
	void *p = mremap((void *)from->start, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			 (void *)to);

	if (p != (void *)to) {
		ckpt_child_note("mremap %lx-%lx to %lx: %s", from->start, from->end, to,
				strerror(errno));
		return -1;
	}
	from->start = to;
	from->end = to + len;
	return 0;
}

/* A free range of @len bytes, reserved (PROT_NONE) */
static unsigned long reserve(unsigned long len)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? 0 : (unsigned long)p;
}

static int vdso_unmapped_child(void *arg)
{
	struct vdso_layout l;
	int i;

	(void)arg;
	if (get_layout(&l) || munmap((void *)l.vdso.start, l.vdso.end - l.vdso.start))
		return F_SETUP;
	for (i = 0; i < l.nr_vvar; i++)
		if (munmap((void *)l.vvar[i].start, l.vvar[i].end - l.vvar[i].start))
			return F_SETUP;
	if (no_vdso())
		return F_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return no_vdso() ? F_VDSO_MAPS : 0;
}

TEST_F_TIMEOUT(fidelity, vdso_unmapped, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, vdso_unmapped_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/* The vvar mappings and the vDSO moved together, as they were to each other */
static int vdso_moved_child(void *arg)
{
	unsigned long lo, hi, area;
	struct vdso_layout l;
	int i;

	(void)arg;
	if (get_layout(&l))
		return F_SETUP;
	lo = l.vvar[0].start < l.vdso.start ? l.vvar[0].start : l.vdso.start;
	hi = l.vvar[l.nr_vvar - 1].end > l.vdso.end ? l.vvar[l.nr_vvar - 1].end :
						       l.vdso.end;
	area = reserve(hi - lo);
	if (!area)
		return F_SETUP;
	for (i = 0; i < l.nr_vvar; i++)
		if (move_map(&l.vvar[i], area + l.vvar[i].start - lo))
			return F_SETUP;
	if (move_map(&l.vdso, area + l.vdso.start - lo) || layout_is(&l) ||
	    vdso_time_ok(&l.vdso))
		return F_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (layout_is(&l))
		return F_VDSO_MAPS;
	return vdso_time_ok(&l.vdso);
}

TEST_F_TIMEOUT(fidelity, vdso_moved, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, vdso_moved_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/* Only the vDSO moved, away from vvar (a page of PROT_NONE either side) */
static int vdso_apart_child(void *arg)
{
	long page = sysconf(_SC_PAGESIZE);
	struct vdso_layout l;
	unsigned long area;

	(void)arg;
	if (get_layout(&l))
		return F_SETUP;
	area = reserve(l.vdso.end - l.vdso.start + 2 * page);
	if (!area || move_map(&l.vdso, area + page) ||
	    l.vdso.start == l.vvar[l.nr_vvar - 1].end || layout_is(&l))
		return F_SETUP;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return layout_is(&l) ? F_VDSO_MAPS : 0;
}

TEST_F_TIMEOUT(fidelity, vdso_moved_apart, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, vdso_apart_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/* ---- a process whose leader exited ---- */

static volatile unsigned long le_counter;
static volatile pid_t le_pid, le_worker_tid, le_counter_tid;

static void *le_counting(void *arg)
{
	(void)arg;
	block_sig(SIGUSR1);
	le_counter_tid = gettid_();
	for (;;) {
		le_counter++;
		ckpt_sleep_ms(1);
	}
	return NULL;
}

/* The leader's state letter, as /proc/PID/task/PID/status shows it */
static char leader_state(void)
{
	char path[64], buf[8192], *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", le_pid, le_pid);
	if (ckpt_read_file(path, buf, sizeof(buf)) < 0)
		return '?';
	p = strstr(buf, "\nState:\t");
	return p ? p[8] : '?';
}

/* /proc/self/task lists the leader, the worker and the counting thread */
static int leader_tasks_ok(void)
{
	struct dirent *e;
	int n = 0, known = 0;
	pid_t tid;
	DIR *d;

	d = opendir("/proc/self/task");
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		tid = atoi(e->d_name);
		n++;
		if (tid == le_pid || tid == le_worker_tid || tid == le_counter_tid)
			known++;
		else
			ckpt_child_note("/proc/self/task lists %d", tid);
	}
	closedir(d);
	return n == 3 && known == 3 ? 0 : -1;
}

static int leader_check(void)
{
	unsigned long before;
	char state;

	if (getpid() != le_pid || gettid_() != le_worker_tid)
		return F_LEADER_PID;
	state = leader_state();
	if (state != 'Z') {
		ckpt_child_note("the leader's state is %c", state);
		return F_LEADER_ZOMBIE;
	}
	if (leader_tasks_ok())
		return F_LEADER_TASKS;
	before = le_counter;
	ckpt_sleep_ms(300);
	return le_counter > before ? 0 : F_LEADER_COUNTER;
}

/* Waits until the leader is a zombie, then is the test's child */
static void *le_working(void *arg)
{
	int i;

	(void)arg;
	le_worker_tid = gettid_();
	for (i = 0; i < 1000 && (leader_state() != 'Z' || !le_counter_tid); i++)
		ckpt_sleep_ms(10);
	if (i == 1000)
		_exit(F_SETUP);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	/* exit_group(): the process' status */
	_exit(leader_check());
	return NULL;
}

static int leader_exit_child(void *arg)
{
	pthread_t a, b;

	(void)arg;
	le_pid = getpid();
	if (pthread_create(&a, NULL, le_counting, NULL) ||
	    pthread_create(&b, NULL, le_working, NULL))
		return F_SETUP;
	/* This thread only, not the process */
	syscall(SYS_exit, 0);
	return F_SETUP;
}

TEST_F_TIMEOUT(fidelity, threads_after_leader_exit, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, leader_exit_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/* ---- damaged FOWN and PROC_PID records ---- */

enum damage {
	FOWN_OWNER_NOT_IN_IMAGE,
	FOWN_UNKNOWN_TYPE,
	FOWN_BAD_SIGNUM,
	FOWN_UNKNOWN_FLAG,
	FOWN_TRUNCATED,
	FOWN_SHORT_RECORD,
	PROC_PID_INO_NOT_A_TASK,
	PROC_PID_TRUNCATED,
};

FIXTURE(damaged) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(damaged) {
	enum damage what;
	const char *log;	/* what the log must also say, if set */
};

FIXTURE_VARIANT_ADD(damaged, fown_owner_not_in_image) {
	.what = FOWN_OWNER_NOT_IN_IMAGE, .log = "owner",
};

FIXTURE_VARIANT_ADD(damaged, fown_unknown_type) {
	.what = FOWN_UNKNOWN_TYPE, .log = "FOWN",
};

FIXTURE_VARIANT_ADD(damaged, fown_bad_signum) {
	.what = FOWN_BAD_SIGNUM, .log = "FOWN",
};

FIXTURE_VARIANT_ADD(damaged, fown_unknown_flag) {
	.what = FOWN_UNKNOWN_FLAG, .log = "FOWN",
};

/* The image ends 20 bytes into the FOWN payload */
FIXTURE_VARIANT_ADD(damaged, fown_truncated) {
	.what = FOWN_TRUNCATED, .log = "FOWN",
};

/* A FOWN record of 16 bytes instead of 24, the image consistent around it */
FIXTURE_VARIANT_ADD(damaged, fown_short_record) {
	.what = FOWN_SHORT_RECORD, .log = "FOWN",
};

FIXTURE_VARIANT_ADD(damaged, proc_pid_ino_not_a_task) {
	.what = PROC_PID_INO_NOT_A_TASK,
};

FIXTURE_VARIANT_ADD(damaged, proc_pid_truncated) {
	.what = PROC_PID_TRUNCATED, .log = "FILE",
};

FIXTURE_SETUP(damaged)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(damaged)
{
	ckpt_ctx_teardown(&self->ctx);
}

/* A pid that is no task of an image whose tasks are @a and @b */
static uint32_t foreign_pid(pid_t a, pid_t b)
{
	uint32_t pid = 9999;

	while ((pid_t)pid == a || (pid_t)pid == b)
		pid--;
	return pid;
}

/* The first FILE record of kind @kind */
static struct ckpt_file *file_of_kind(struct image *img, uint32_t kind)
{
	struct ckpt_file *f;
	int i;

	for (i = 0; i < img->nr; i++) {
		if (img->recs[i].type != CKPT_REC_FILE)
			continue;
		f = ckpt_payload(img->data, &img->recs[i]);
		if (le32toh(f->kind) == kind)
			return f;
	}
	return NULL;
}

/*
 * Cuts FOWN record @r to 16 bytes: shifts what follows, fixes the
 * trailer's size.  Returns the new length of the image.
 */
static size_t shorten_fown(struct image *img, struct ckpt_rec *r)
{
	struct ckpt_rec_hdr *hdr = (void *)(img->data + r->off);
	char *cut = (char *)ckpt_payload(img->data, r) + 16;
	size_t trailer_off = img->recs[img->nr - 1].off - 8;
	struct ckpt_image_trailer *tr;

	hdr->len = htole32(16);
	memmove(cut, cut + 8, img->data + img->len - (cut + 8));
	tr = (void *)(img->data + trailer_off + sizeof(struct ckpt_rec_hdr));
	tr->size = htole64(le64toh(tr->size) - 8);
	tr->crc32c = htole32(crc32c(img->data, trailer_off));
	return img->len - 8;
}

TEST_F_TIMEOUT(damaged, restart_fails_cleanly, 120)
{
	bool proc = variant->what >= PROC_PID_INO_NOT_A_TASK;
	struct image img = { 0 };
	struct ckpt_fown *fown = NULL;
	struct ckpt_file *f = NULL;
	struct ckpt_rec *r = NULL;
	bool fix_crc = true;
	size_t len;
	pid_t pid;

	pid = ckpt_spawn(_metadata, &self->ctx, proc ? proc_of_child : async_pipe_child,
			 NULL);
	image_of_killed(_metadata, &self->ctx, pid, &img);
	len = img.len;
	if (proc) {
		f = file_of_kind(&img, CKPT_FILE_PROC_PID);
		ASSERT_TRUE(!!f) TH_LOG("the image has no FILE of kind PROC_PID");
	} else {
		r = find_rec(&img, CKPT_REC_FOWN);
		ASSERT_TRUE(!!r) TH_LOG("the image has no FOWN record");
		fown = ckpt_payload(img.data, r);
	}

	switch (variant->what) {
	case FOWN_OWNER_NOT_IN_IMAGE:
		fown->pid = htole32(foreign_pid(img.pid, 0));
		break;
	case FOWN_UNKNOWN_TYPE:
		fown->type = htole32(7);
		break;
	case FOWN_BAD_SIGNUM:
		fown->signum = htole32(65);
		break;
	case FOWN_UNKNOWN_FLAG:
		fown->flags = htole32(le32toh(fown->flags) | 0x80);
		break;
	case FOWN_TRUNCATED:
		len = (char *)fown - img.data + 20;
		fix_crc = false;
		break;
	case FOWN_SHORT_RECORD:
		len = shorten_fown(&img, r);
		fix_crc = false;
		break;
	case PROC_PID_INO_NOT_A_TASK:
		f->ino = htole64(foreign_pid(img.pid, le64toh(f->ino)));
		break;
	case PROC_PID_TRUNCATED:
		len = (char *)f - img.data + sizeof(*f) / 2;
		fix_crc = false;
		break;
	}
	if (fix_crc)
		trailer_of(&img, img.data)->crc32c =
			htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	ASSERT_TRUE(restart_from_broken_image(_metadata, &self->ctx, img.data, len, img.pid,
					      EINVAL, proc ? "damaged PROC_PID FILE" :
							     "damaged FOWN") ==
		    CKPT_FAILED_CLEANLY);
	ASSERT_TRUE(!variant->log || ckpt_log_contains(&self->ctx, variant->log)) {
		TH_LOG("the log does not say \"%s\"", variant->log);
		ckpt_dump_log(_metadata, &self->ctx);
	}
	free(img.recs);
	free(img.data);
}

TEST_HARNESS_MAIN
