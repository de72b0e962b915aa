// SPDX-License-Identifier: GPL-2.0
/*
 * The program in the fixture images (fixtures/, ckpt_fixture_test.c).
 *
 *   ckpt_fixture_prog make IMAGE
 *
 * starts a container (new pid, UTS, IPC and network namespaces) whose init
 * is this program, sets up state of many kinds of record (a thread, a
 * child process, a pipe with data in it, an unlinked file, an eventfd, a
 * timerfd, a signalfd, an epoll, a memfd, shared and private memory, SysV
 * message queue, semaphore set and shared memory segment, itimers, a POSIX
 * timer, signal handlers, a blocked mask, a pending signal, resource limits,
 * umask, cwd, hostname), has the kernel checkpoint it into IMAGE and kills
 * it.
 *
 * Restarted from that image, the container's init waits for SIGUSR1, then
 * checks that it finds every piece of that state as it left it and exits
 * with 0, or with the number of the first check that failed, whose name it
 * writes to /tmp/ckpt-fixture.result.
 *
 * The program is built static and without debug information (see the
 * Makefile), so that a rebuild from the same source gives the same code:
 * the images hold its pages by file offset.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/checkpoint.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef __NR_checkpoint
#define __NR_checkpoint 463
#endif

#define RESULT_PATH	"/tmp/ckpt-fixture.result"
#define HOSTNAME	"ckpt-fixture"
#define PIPE_DATA	"still in the pipe"
#define FILE_DATA	"an unlinked file's contents"
#define MEMFD_DATA	"a memfd's contents"
#define EVENTFD_COUNT	42
#define MSG_TYPE	7
#define MSG_TEXT	"a SysV message"
#define SEM_VALUE	5
#define SHM_SIZE	8192
#define HEAP_SIZE	(48 * 1024)
#define SHARED_SIZE	(16 * 1024)
#define ITIMER_SEC	1000
#define POSIX_TIMER_SEC	2000
#define TIMERFD_SEC	3000
#define NOFILE_SOFT	200

static int go;		/* set by the SIGUSR1 handler */
static pid_t child;
static pid_t thread_tid;
static int pipe_rd, pipe_wr, file_fd, efd, tfd, sfd, epfd, mfd;
static int msqid, semid, shmid;
static unsigned char *heap, *shared, *shm;
static timer_t posix_timer;
static char altstack[65536];

static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 131 + seed * 7 + (i >> 9));
}

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern(i, seed);
}

static bool same(const unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern(i, seed))
			return false;
	return true;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
}

static bool told_to_go(void)
{
	return __atomic_load_n(&go, __ATOMIC_ACQUIRE);
}

static void *thread_fn(void *arg)
{
	thread_tid = gettid();
	for (;;)
		sleep(1000);
	return NULL;
}

/* ---- setting up, in the container's init ---- */

static int setup_files(void)
{
	int fds[2];
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1234 };
	struct itimerspec its = { .it_value.tv_sec = TIMERFD_SEC };
	sigset_t mask;

	if (pipe(fds))
		return -1;
	pipe_rd = fds[0];
	pipe_wr = fds[1];
	if (write(pipe_wr, PIPE_DATA, sizeof(PIPE_DATA)) != sizeof(PIPE_DATA))
		return -1;
	file_fd = open("/tmp/ckpt-fixture.unlinked", O_CREAT | O_TRUNC | O_RDWR, 0640);
	if (file_fd < 0 || unlink("/tmp/ckpt-fixture.unlinked") ||
	    write(file_fd, FILE_DATA, sizeof(FILE_DATA)) != sizeof(FILE_DATA))
		return -1;
	efd = eventfd(EVENTFD_COUNT, EFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	if (efd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL))
		return -1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK);
	epfd = epoll_create1(0);
	if (sfd < 0 || epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev))
		return -1;
	mfd = memfd_create("fixture", MFD_ALLOW_SEALING);
	if (mfd < 0 || write(mfd, MEMFD_DATA, sizeof(MEMFD_DATA)) != sizeof(MEMFD_DATA) ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK))
		return -1;
	return 0;
}

static int setup_ipc(void)
{
	struct { long type; char text[32]; } msg = { MSG_TYPE, MSG_TEXT };

	msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	semid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	shmid = shmget(IPC_PRIVATE, SHM_SIZE, IPC_CREAT | 0600);
	if (msqid < 0 || semid < 0 || shmid < 0)
		return -1;
	if (msgsnd(msqid, &msg, sizeof(MSG_TEXT), 0) ||
	    semctl(semid, 0, SETVAL, SEM_VALUE))
		return -1;
	shm = shmat(shmid, NULL, 0);
	if (shm == (void *)-1)
		return -1;
	fill(shm, SHM_SIZE, 3);
	return 0;
}

static int setup_memory(void)
{
	heap = malloc(HEAP_SIZE);
	shared = mmap(NULL, SHARED_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!heap || shared == MAP_FAILED)
		return -1;
	fill(heap, HEAP_SIZE, 1);
	fill(shared, SHARED_SIZE, 2);
	return 0;
}

static int setup_signals_and_timers(void)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct itimerval itv = { .it_interval.tv_sec = ITIMER_SEC,
				 .it_value.tv_sec = ITIMER_SEC };
	struct itimerspec its = { .it_value.tv_sec = POSIX_TIMER_SEC };
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGHUP);
	if (sigaction(SIGUSR1, &sa, NULL) || sigaltstack(&ss, NULL))
		return -1;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &block, NULL) || kill(getpid(), SIGUSR2))
		return -1;
	if (setitimer(ITIMER_REAL, &itv, NULL) ||
	    timer_create(CLOCK_MONOTONIC, &sev, &posix_timer) ||
	    timer_settime(posix_timer, 0, &its, NULL))
		return -1;
	/* SIGALRM would end us in 1000 s: the restarted init is done by then */
	signal(SIGALRM, SIG_IGN);
	return 0;
}

static int setup_process(void)
{
	struct rlimit rl;
	pthread_t th;

	if (sethostname(HOSTNAME, strlen(HOSTNAME)) || chdir("/tmp"))
		return -1;
	umask(027);
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	rl.rlim_cur = NOFILE_SOFT;
	if (setrlimit(RLIMIT_NOFILE, &rl) || prctl(PR_SET_NAME, "fixture-init"))
		return -1;
	if (pthread_create(&th, NULL, thread_fn, NULL))
		return -1;
	while (!thread_tid)
		usleep(1000);
	child = fork();
	if (child < 0)
		return -1;
	if (!child) {
		/* The child: holds the write end, waits for SIGUSR1, exits 7 */
		while (!told_to_go())
			pause();
		_exit(write(pipe_wr, "", 0) == 0 ? 7 : 8);
	}
	return 0;
}

/* ---- checking, in the restarted init ---- */

static int fail(int nr, const char *what)
{
	FILE *f = fopen(RESULT_PATH, "w");

	if (f) {
		fprintf(f, "check %d failed: %s (errno %d)\n", nr, what, errno);
		fclose(f);
	}
	return nr;
}

/* Check number @n: 0 if @ok, else the number of the check (and why, on file) */
static int check(bool ok, int n, const char *what)
{
	return ok ? 0 : fail(n, what);
}

static int check_files(int n0)
{
	struct signalfd_siginfo si;
	struct epoll_event ev;
	struct itimerspec its;
	char buf[64] = "";
	uint64_t count = 0;

	return check(read(pipe_rd, buf, sizeof(buf)) == sizeof(PIPE_DATA) &&
		     !strcmp(buf, PIPE_DATA), n0 + 1, "the pipe's data") ?:
	       check(pread(file_fd, buf, sizeof(buf), 0) == sizeof(FILE_DATA) &&
		     !strcmp(buf, FILE_DATA), n0 + 2, "the unlinked file's contents") ?:
	       check(epoll_wait(epfd, &ev, 1, 0) == 1 && ev.data.u64 == 0x1234,
		     n0 + 3, "the epoll") ?:
	       check(read(efd, &count, sizeof(count)) == sizeof(count) &&
		     count == EVENTFD_COUNT, n0 + 4, "the eventfd's counter") ?:
	       check(!timerfd_gettime(tfd, &its) &&
		     its.it_value.tv_sec > TIMERFD_SEC - 600 &&
		     its.it_value.tv_sec <= TIMERFD_SEC, n0 + 5, "the timerfd") ?:
	       check(read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR2,
		     n0 + 6, "the pending SIGUSR2, through the signalfd") ?:
	       check(pread(mfd, buf, sizeof(buf), 0) == sizeof(MEMFD_DATA) &&
		     !strcmp(buf, MEMFD_DATA) && fcntl(mfd, F_GET_SEALS) == F_SEAL_SHRINK,
		     n0 + 7, "the memfd's contents and seals");
}

static int check_ipc(int n0)
{
	struct { long type; char text[32]; } msg = {};

	return check(msgrcv(msqid, &msg, sizeof(msg.text), 0, IPC_NOWAIT) == sizeof(MSG_TEXT) &&
		     msg.type == MSG_TYPE && !strcmp(msg.text, MSG_TEXT),
		     n0 + 1, "the SysV message") ?:
	       check(semctl(semid, 0, GETVAL) == SEM_VALUE, n0 + 2, "the semaphore's value") ?:
	       check(same(shm, SHM_SIZE, 3), n0 + 3, "the SysV shared memory");
}

static bool usr1_handler_ok(void)
{
	struct sigaction sa;

	return !sigaction(SIGUSR1, NULL, &sa) && sa.sa_sigaction == on_usr1 &&
	       (sa.sa_flags & (SA_SIGINFO | SA_RESTART)) == (SA_SIGINFO | SA_RESTART) &&
	       sigismember(&sa.sa_mask, SIGHUP);
}

static int check_process(int n0)
{
	struct itimerval itv;
	struct itimerspec its;
	struct rlimit rl;
	char name[64] = "";
	sigset_t set;
	stack_t ss;

	return check(same(heap, HEAP_SIZE, 1), n0 + 1, "the private heap") ?:
	       check(same(shared, SHARED_SIZE, 2), n0 + 2, "the shared anonymous memory") ?:
	       check(!gethostname(name, sizeof(name)) && !strcmp(name, HOSTNAME),
		     n0 + 3, "the hostname") ?:
	       check(getcwd(name, sizeof(name)) && !strcmp(name, "/tmp"), n0 + 4, "the cwd") ?:
	       check(umask(027) == 027, n0 + 5, "the umask") ?:
	       check(!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur == NOFILE_SOFT,
		     n0 + 6, "RLIMIT_NOFILE") ?:
	       check(!prctl(PR_GET_NAME, name) && !strcmp(name, "fixture-init"),
		     n0 + 7, "the comm") ?:
	       check(getpid() == 1, n0 + 8, "being the container's init") ?:
	       check(usr1_handler_ok(), n0 + 9, "the SIGUSR1 handler") ?:
	       check(!sigprocmask(SIG_BLOCK, NULL, &set) && sigismember(&set, SIGUSR2),
		     n0 + 10, "the blocked mask") ?:
	       check(!sigaltstack(NULL, &ss) && ss.ss_sp == altstack &&
		     ss.ss_size == sizeof(altstack), n0 + 11, "the sigaltstack") ?:
	       check(!getitimer(ITIMER_REAL, &itv) && itv.it_interval.tv_sec == ITIMER_SEC &&
		     itv.it_value.tv_sec > 0, n0 + 12, "ITIMER_REAL") ?:
	       check(!timer_gettime(posix_timer, &its) && its.it_value.tv_sec > 0 &&
		     its.it_value.tv_sec <= POSIX_TIMER_SEC, n0 + 13, "the POSIX timer") ?:
	       check(!syscall(SYS_tgkill, getpid(), thread_tid, 0), n0 + 14, "the thread");
}

static int check_all(void)
{
	int status = 0, ret;

	ret = check_files(0) ?: check_ipc(10) ?: check_process(20);
	if (ret)
		return ret;
	if (kill(child, SIGUSR1) || waitpid(child, &status, 0) != child ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 7) {
		errno = status;
		return fail(40, "the child process");
	}
	return 0;
}

static int container_init(int ready)
{
	/* Nothing of the caller's in the image: std fds on /dev/null */
	int null = open("/dev/null", O_RDWR);

	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		return 1;
	close(null);
	if (setup_files() || setup_ipc() || setup_memory() ||
	    setup_signals_and_timers() || setup_process())
		return 2;
	if (write(ready, "R", 1) != 1)
		return 3;
	close(ready);
	while (!told_to_go())
		pause();
	return check_all();
}

static int make_image(const char *path)
{
	int ready[2], fd, status;
	char c;
	pid_t pid;
	long ret;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || pipe(ready)) {
		perror(path);
		return 1;
	}
	pid = syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
		      CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		perror("clone");
		return 1;
	}
	if (!pid) {
		close(ready[0]);
		close(fd);
		_exit(container_init(ready[1]));
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		fprintf(stderr, "the container's init failed to set up (status %#x)\n", status);
		return 1;
	}
	close(ready[0]);
	ret = syscall(__NR_checkpoint, pid, fd, CHECKPOINT_KILL, 2);
	if (ret) {
		perror("checkpoint");
		kill(pid, SIGKILL);
	}
	waitpid(pid, &status, 0);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "make"))
		return make_image(argv[2]);
	fprintf(stderr, "usage: %s make IMAGE\n", argv[0]);
	return 2;
}
