// SPDX-License-Identifier: GPL-2.0
/*
 * System V IPC across checkpoint, kill and restart.  A container with an
 * IPC namespace of its own gets a new one with the same message queues
 * (same ids, keys, modes, limits, times and every message in order) and
 * semaphore sets (values, times), and a process keeps its SEM_UNDO
 * adjustments: when it exits after the restart they are applied; a task
 * asleep in msgrcv(2) or semop(2) gets the message or the semaphore
 * released after the restart.  What
 * cannot be restored is refused by name: undo adjustments on semaphores
 * of the caller's namespace.  Its POSIX message queues come back with
 * their messages (received in the same order), attributes, owners and
 * modes, the descriptors open on them (O_NONBLOCK kept) and an
 * mq_notify() registration, which fires after the restart.  A hostile
 * image is refused with a reason and leaves nothing behind.
 */
#include <linux/sched.h>
#include <mqueue.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include "ckpt_image.h"

FIXTURE(ipc) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(ipc)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

FIXTURE_TEARDOWN(ipc)
{
	ckpt_ctx_teardown(&self->ctx);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

#define NR_MSGS		10
#define MSQ_KEY		0x4b505431
#define SEM_KEY		0x4b505432
#define MSQ_QBYTES	12000

static const long msg_types[NR_MSGS] = { 5, 3, 7, 1, 1, 9, 2, 100000, 4, 3 };
/* 6000 bytes take a segment besides the struct msg_msg; 0 is allowed */
static const size_t msg_sizes[NR_MSGS] = { 1, 100, 6000, 17, 300, 0, 1000, 2, 513, 64 };

static unsigned short initial_values[3] = { 5, 0, 7 };

static const char *const ipc_reasons[] = {
	[1] = "could not set up the container",
	[2] = "the message queue's IPC_STAT changed",
	[3] = "a message changed (type, size, text or order)",
	[4] = "the queue has more messages than were sent",
	[5] = "the semaphore values or times changed",
	[6] = "the child did not finish cleanly (its semaphore values changed)",
	[7] = "the child's SEM_UNDO adjustments were not applied at its exit",
	[8] = "the private queue is gone",
	[9] = "init is not pid 1 any more",
	[10] = "the child asleep in msgrcv(2) did not get its message",
	[11] = "the child asleep in semop(2) did not get its semaphore",
	[12] = "a shared memory segment's id, key, size, mode or attach count changed",
	[13] = "a shared memory segment lost its contents",
	[14] = "the attached segment is no longer shared with the namespace",
};

static char ct_ready_path[160];
static bool ct_with_shm;

/* With ct_with_shm: one segment left detached, one attached by init */
#define SHM_KEY		0x4b505433
#define SHM_KEPT_SIZE	(3 * 4096 + 100)
static int ct_shm_kept = -1, ct_shm_att = -1;
static unsigned char *ct_shm_addr;
static unsigned long ct_shm_nattch;	/* of the attached one, when ready */

struct ipc_state {
	int msqid, privid, semid;
	struct msqid_ds mq;
	struct semid_ds sem;
};

static struct ipc_state before;

struct msgbuf_big {
	long mtype;
	char mtext[8192];
};

static struct msgbuf_big mbuf;

static void fill_text(char *p, int i, size_t len)
{
	size_t j;

	for (j = 0; j < len; j++)
		p[j] = (char)(i * 31 + j * 7 + 1);
}

static int sem_values(int semid, unsigned short v[3])
{
	return semctl(semid, 0, GETALL, v);
}

/* Child of the container's init: holds undo adjustments of -2 and +3 */
static int ct_sem_child(int semid)
{
	struct sembuf ops[2] = {
		{ .sem_num = 1, .sem_op = 2, .sem_flg = SEM_UNDO },
		{ .sem_num = 2, .sem_op = -3, .sem_flg = SEM_UNDO },
	};
	unsigned short v[3];

	if (semop(semid, ops, 2))
		return 1;
	ckpt_child_wait_finish();
	if (sem_values(semid, v) || v[0] != 5 || v[1] != 2 || v[2] != 4)
		return 6;
	return getppid() == 1 ? 0 : 6;
}

/* Another child: asleep in msgrcv(2) on the private queue when saved */
static int ct_msg_child(int msqid)
{
	struct { long mtype; char mtext[16]; } m;

	if (msgrcv(msqid, &m, sizeof(m.mtext), 42, 0) != 5 || strcmp(m.mtext, "wake"))
		return 10;
	return 0;
}

static int ct_wake_msg_child(pid_t child)
{
	struct { long mtype; char mtext[16]; } m = { 42, "wake" };
	int status;

	if (msgsnd(before.privid, &m, 5, 0) ||
	    waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return 10;
	return WEXITSTATUS(status);
}

/*
 * And one asleep in semop(2), waiting for 6 on semaphore 0 (which has 5).
 * Like a stop signal (signal(7)), the checkpoint makes semop(2) fail with
 * EINTR: a program calls it again.
 */
static int ct_sem_waiter(int semid)
{
	struct sembuf op = { .sem_num = 0, .sem_op = -6 };
	int ret;

	do
		ret = semop(semid, &op, 1);
	while (ret && errno == EINTR);
	return ret ? 11 : 0;
}

static int ct_wake_sem_waiter(pid_t child)
{
	struct sembuf op = { .sem_num = 0, .sem_op = 1 };
	unsigned short v[3];
	int status;

	if (semop(before.semid, &op, 1) ||
	    waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return 11;
	if (WEXITSTATUS(status))
		return WEXITSTATUS(status);
	return sem_values(before.semid, v) || v[0] ? 11 : 0;
}

static int ct_setup(void)
{
	struct msqid_ds ds;
	int i;

	before.msqid = msgget(MSQ_KEY, IPC_CREAT | IPC_EXCL | 0640);
	before.privid = msgget(IPC_PRIVATE, 0600);
	if (before.msqid < 0 || before.privid < 0 || msgctl(before.msqid, IPC_STAT, &ds))
		return 1;
	ds.msg_qbytes = MSQ_QBYTES;
	if (msgctl(before.msqid, IPC_SET, &ds))
		return 1;
	for (i = 0; i < NR_MSGS; i++) {
		mbuf.mtype = msg_types[i];
		fill_text(mbuf.mtext, i, msg_sizes[i]);
		if (msgsnd(before.msqid, &mbuf, msg_sizes[i], IPC_NOWAIT))
			return 1;
	}
	/* A removed queue leaves a hole in the ids */
	if (msgctl(msgget(IPC_PRIVATE, 0600), IPC_RMID, NULL))
		return 1;
	before.semid = semget(SEM_KEY, 3, IPC_CREAT | IPC_EXCL | 0600);
	if (before.semid < 0 || semctl(before.semid, 0, SETALL, initial_values))
		return 1;
	if (ct_with_shm) {
		unsigned char *p;

		ct_shm_kept = shmget(SHM_KEY, SHM_KEPT_SIZE, IPC_CREAT | IPC_EXCL | 0640);
		ct_shm_att = shmget(IPC_PRIVATE, 8192, 0600);
		if (ct_shm_kept < 0 || ct_shm_att < 0)
			return 1;
		p = shmat(ct_shm_kept, NULL, 0);
		if (p == (void *)-1)
			return 1;
		memset(p, 'K', SHM_KEPT_SIZE);
		if (shmdt(p))
			return 1;
		ct_shm_addr = shmat(ct_shm_att, NULL, 0);
		if (ct_shm_addr == (void *)-1)
			return 1;
		memset(ct_shm_addr, 'A', 8192);
	}
	return 0;
}

/* The segments came back: ids, keys, sizes, contents and the attach */
static int ct_check_shm(void)
{
	struct shmid_ds kept, att;
	unsigned char *p;
	int i, ret = 0;

	if (shmctl(ct_shm_kept, IPC_STAT, &kept) || shmctl(ct_shm_att, IPC_STAT, &att))
		return 12;
	if (kept.shm_perm.__key != SHM_KEY || kept.shm_segsz != SHM_KEPT_SIZE ||
	    (kept.shm_perm.mode & 0777) != 0640 || kept.shm_nattch != 0 ||
	    att.shm_segsz != 8192 || att.shm_nattch != ct_shm_nattch) {
		ckpt_child_note("kept: key %#x size %zu mode %#o nattch %lu",
				kept.shm_perm.__key, kept.shm_segsz, kept.shm_perm.mode,
				(unsigned long)kept.shm_nattch);
		ckpt_child_note("attached: size %zu nattch %lu, %lu before",
				att.shm_segsz, (unsigned long)att.shm_nattch, ct_shm_nattch);
		return 12;
	}
	for (i = 0; i < 8192; i++)
		if (ct_shm_addr[i] != 'A')
			return 13;
	p = shmat(ct_shm_kept, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		return 12;
	for (i = 0; i < SHM_KEPT_SIZE && !ret; i++)
		if (p[i] != 'K')
			ret = 13;
	shmdt(p);
	if (ret)
		return ret;
	/* A second attach sees what init writes through the restored one */
	p = shmat(ct_shm_att, NULL, 0);
	if (p == (void *)-1)
		return 14;
	ct_shm_addr[100] = 'Z';
	ret = p[100] == 'Z' ? 0 : 14;
	shmdt(p);
	return ret;
}

static int ct_check_msgs(void)
{
	struct msqid_ds ds;
	int i;

	if (msgctl(before.msqid, IPC_STAT, &ds) ||
	    ds.msg_perm.__key != before.mq.msg_perm.__key ||
	    ds.msg_perm.mode != before.mq.msg_perm.mode ||
	    ds.msg_perm.uid != before.mq.msg_perm.uid ||
	    ds.msg_perm.cuid != before.mq.msg_perm.cuid ||
	    ds.msg_qbytes != MSQ_QBYTES || ds.msg_qnum != NR_MSGS ||
	    ds.__msg_cbytes != before.mq.__msg_cbytes ||
	    ds.msg_stime != before.mq.msg_stime ||
	    ds.msg_ctime != before.mq.msg_ctime ||
	    msgget(MSQ_KEY, 0) != before.msqid)
		return 2;
	for (i = 0; i < NR_MSGS; i++) {
		char want[8192];
		ssize_t n;

		n = msgrcv(before.msqid, &mbuf, sizeof(mbuf.mtext), 0, IPC_NOWAIT);
		fill_text(want, i, msg_sizes[i]);
		if (n != (ssize_t)msg_sizes[i] || mbuf.mtype != msg_types[i] ||
		    memcmp(want, mbuf.mtext, n))
			return 3;
	}
	if (msgrcv(before.msqid, &mbuf, sizeof(mbuf.mtext), 0, IPC_NOWAIT) >= 0 ||
	    errno != ENOMSG)
		return 4;
	if (msgctl(before.privid, IPC_STAT, &ds) || ds.msg_qnum)
		return 8;
	return 0;
}

static int ct_check_sems(pid_t child)
{
	unsigned short v[3];
	struct semid_ds ds;
	int status;

	if (semctl(before.semid, 0, IPC_STAT, &ds) || ds.sem_nsems != 3 ||
	    ds.sem_perm.__key != SEM_KEY || ds.sem_perm.mode != before.sem.sem_perm.mode ||
	    ds.sem_otime != before.sem.sem_otime || ds.sem_ctime != before.sem.sem_ctime ||
	    sem_values(before.semid, v) || v[0] != 5 || v[1] != 2 || v[2] != 4)
		return 5;
	/* The child checks the values too, then exits: its undo applies */
	for (int i = 0; i < 500; i++) {
		kill(child, SIGUSR1);
		if (waitpid(child, &status, WNOHANG) == child)
			break;
		ckpt_sleep_ms(20);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return 6;
	if (sem_values(before.semid, v) || v[0] != 5 || v[1] != 0 || v[2] != 7)
		return 7;
	return 0;
}

static int ct_init(void)
{
	unsigned short v[3];
	pid_t child, receiver, waiter;
	int fd, ret;

	if (getpid() != 1 || ct_setup())
		return 1;
	child = fork();
	if (!child)
		_exit(ct_sem_child(before.semid));
	receiver = fork();
	if (!receiver)
		_exit(ct_msg_child(before.privid));
	waiter = fork();
	if (!waiter)
		_exit(ct_sem_waiter(before.semid));
	/* Ready once the child holds its adjustments */
	for (int i = 0; i < 500; i++) {
		if (!sem_values(before.semid, v) && v[1] == 2)
			break;
		ckpt_sleep_ms(10);
	}
	/* Time enough for the receiver and the waiter to go to sleep */
	ckpt_sleep_ms(200);
	if (v[1] != 2 || msgctl(before.msqid, IPC_STAT, &before.mq) ||
	    semctl(before.semid, 0, IPC_STAT, &before.sem))
		return 1;
	if (ct_with_shm) {
		struct shmid_ds ds;

		/* init and the children it forked since it attached */
		if (shmctl(ct_shm_att, IPC_STAT, &ds))
			return 1;
		ct_shm_nattch = ds.shm_nattch;
	}
	fd = open(ct_ready_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 1;
	close(fd);
	ckpt_child_wait_finish();
	if (getpid() != 1)
		return 9;
	ret = ct_check_msgs();
	if (!ret && ct_with_shm)
		ret = ct_check_shm();
	if (!ret)
		ret = ct_check_sems(child);
	if (!ret)
		ret = ct_wake_msg_child(receiver);
	if (!ret)
		ret = ct_wake_sem_waiter(waiter);
	return ret;
}

static int (*ct_main)(void) = ct_init;

static pid_t spawn_container(struct __test_metadata *_metadata,
			     struct ckpt_ctx *ctx)
{
	int64_t deadline = ckpt_now_ns() + CKPT_READY_TIMEOUT_MS * 1000000LL;
	struct clone_args args = {
		.flags = CLONE_NEWPID | CLONE_NEWIPC,
		.exit_signal = SIGCHLD,
	};
	struct stat st;
	pid_t pid;

	snprintf(ct_ready_path, sizeof(ct_ready_path), "%s/ready", ctx->dir);
	unlink(ct_ready_path);
	fflush(NULL);
	pid = syscall(__NR_clone3, &args, sizeof(args));
	ASSERT_LE(0, pid) TH_LOG("clone3(CLONE_NEWPID | CLONE_NEWIPC): %s", strerror(errno));
	if (!pid) {
		int ret = ckpt_child_detach();

		_exit(ret ? ret : ct_main());
	}
	ckpt_ctx_track(ctx, pid);
	while (stat(ct_ready_path, &st)) {
		ASSERT_TRUE(ckpt_child_running(pid)) {
			int status;

			waitpid(pid, &status, 0);
			TH_LOG("the container's init died (status %#x)", status);
		}
		ASSERT_LT(ckpt_now_ns(), deadline) TH_LOG("the container is not ready");
		ckpt_sleep_ms(20);
	}
	return pid;
}

#define SAVED	"IPC namespace saved: 2 message queue(s), 1 semaphore set(s)"

static pid_t container_cycle(struct __test_metadata *_metadata,
			     struct ckpt_ctx *ctx, pid_t pid)
{
	pid_t restored;

	if (ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL))
		return -1;
	ckpt_reap_killed(_metadata, pid);
	if (!ckpt_log_contains(ctx, SAVED)) {
		TH_LOG("checkpoint did not save the IPC namespace");
		ckpt_dump_log(_metadata, ctx);
		return -1;
	}
	restored = ckpt_restart(_metadata, ctx);
	if (restored > 0)
		ckpt_ctx_track(ctx, restored);
	return restored;
}

TEST_F_TIMEOUT(ipc, container_queues_semaphores_and_undo_survive_two_restarts, 240)
{
	pid_t pid = spawn_container(_metadata, &self->ctx);

	pid = container_cycle(_metadata, &self->ctx, pid);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "IPC namespace restored"));
	pid = container_cycle(_metadata, &self->ctx, pid);
	ASSERT_LT(0, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(ipc_reasons));
}

TEST_F_TIMEOUT(ipc, container_shm_segments_survive_a_restart, 240)
{
	pid_t pid;

	ct_with_shm = true;
	pid = spawn_container(_metadata, &self->ctx);
	ct_with_shm = false;
	pid = container_cycle(_metadata, &self->ctx, pid);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "2 shared memory segment(s)"))
		ckpt_dump_log(_metadata, &self->ctx);
	ckpt_finish(_metadata, pid, CKPT_REASONS(ipc_reasons));
}

/* ---- POSIX message queues ---- */

#define MQ_NR		6
static const unsigned int mq_prios[MQ_NR] = { 3, 0, 7, 3, MQ_PRIO_MAX - 1, 0 };
static const size_t mq_lens[MQ_NR] = { 1, 255, 17, 0, 100, 256 };
/* The order mq_receive() gives them: highest priority, then oldest */
static const int mq_order[MQ_NR] = { 4, 2, 0, 3, 1, 5 };

static const char *const mq_reasons[] = {
	[1] = "could not set up the queues",
	[2] = "init is not pid 1 any more",
	[3] = "the first queue's attributes changed",
	[4] = "a message came back wrong or out of order",
	[5] = "the full queue lost O_NONBLOCK, its messages, owner or mode",
	[6] = "the mq_notify() registration did not fire as it should",
};

static volatile sig_atomic_t mq_notified, mq_code;

static void mq_notify_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	mq_notified = si->si_value.sival_int;
	mq_code = si->si_code;
}

static int mq_setup(mqd_t *q)
{
	struct mq_attr a1 = { .mq_maxmsg = 8, .mq_msgsize = 256 };
	struct mq_attr a2 = { .mq_maxmsg = 2, .mq_msgsize = 16 };
	struct sigevent ev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_signo = SIGRTMIN + 1,
		.sigev_value.sival_int = 42,
	};
	struct sigaction sa = { .sa_sigaction = mq_notify_handler, .sa_flags = SA_SIGINFO };
	char text[256];
	int i;

	q[0] = mq_open("/ckpt-q1", O_CREAT | O_EXCL | O_RDWR, 0640, &a1);
	q[1] = mq_open("/ckpt-q2", O_CREAT | O_EXCL | O_WRONLY | O_NONBLOCK, 0600, &a2);
	q[2] = mq_open("/ckpt-q3", O_CREAT | O_EXCL | O_RDWR, 0660, NULL);
	if (q[0] < 0 || q[1] < 0 || q[2] < 0 || fchown(q[1], 1234, 5678))
		return -1;
	for (i = 0; i < MQ_NR; i++) {
		fill_text(text, i, mq_lens[i]);
		if (mq_send(q[0], text, mq_lens[i], mq_prios[i]))
			return -1;
	}
	if (mq_send(q[1], "full", 4, 1) || mq_send(q[1], "er", 2, 2))
		return -1;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGRTMIN + 1, &sa, NULL) || mq_notify(q[2], &ev);
}

static int mq_check(mqd_t *q)
{
	char text[256], want[256];
	struct mq_attr a;
	unsigned int prio;
	struct stat st;
	ssize_t n;
	int i;

	if (mq_getattr(q[0], &a) || a.mq_maxmsg != 8 || a.mq_msgsize != 256 ||
	    a.mq_curmsgs != MQ_NR || a.mq_flags || fstat(q[0], &st) || (st.st_mode & 0777) != 0640)
		return 3;
	for (i = 0; i < MQ_NR; i++) {
		int k = mq_order[i];

		n = mq_receive(q[0], text, sizeof(text), &prio);
		fill_text(want, k, mq_lens[k]);
		if (n != (ssize_t)mq_lens[k] || prio != mq_prios[k] || memcmp(text, want, n))
			return 4;
	}
	if (mq_getattr(q[1], &a) || a.mq_flags != O_NONBLOCK || a.mq_curmsgs != 2 ||
	    !mq_send(q[1], "x", 1, 0) || errno != EAGAIN || fstat(q[1], &st) ||
	    st.st_uid != 1234 || st.st_gid != 5678 || (st.st_mode & 0777) != 0600)
		return 5;
	if (mq_notified || mq_send(q[2], "ring", 4, 0))
		return 6;
	for (i = 0; i < 100 && !mq_notified; i++)
		ckpt_sleep_ms(10);
	return mq_notified == 42 && mq_code == SI_MESGQ ? 0 : 6;
}

static int mq_init(void)
{
	mqd_t q[3];
	int fd, ret;

	if (getpid() != 1 || mq_setup(q))
		return 1;
	fd = open(ct_ready_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 1;
	close(fd);
	ckpt_child_wait_finish();
	if (getpid() != 1)
		return 2;
	ret = mq_check(q);
	mq_unlink("/ckpt-q1");
	mq_unlink("/ckpt-q2");
	mq_unlink("/ckpt-q3");
	return ret;
}

TEST_F_TIMEOUT(ipc, container_posix_message_queues_survive_two_restarts, 240)
{
	pid_t pid, restored;
	int i;

	ct_main = mq_init;
	pid = spawn_container(_metadata, &self->ctx);
	ct_main = ct_init;
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
		ckpt_reap_killed(_metadata, pid);
		EXPECT_TRUE(ckpt_log_contains(&self->ctx, "3 POSIX message queue(s) saved"))
			ckpt_dump_log(_metadata, &self->ctx);
		restored = ckpt_restart(_metadata, &self->ctx);
		ASSERT_LT(0, restored);
		EXPECT_TRUE(ckpt_log_contains(&self->ctx, "3 POSIX message queue(s) restored"));
		pid = restored;
	}
	ckpt_finish(_metadata, pid, CKPT_REASONS(mq_reasons));
}

static int undo_child(void *arg)
{
	struct sembuf op = { .sem_num = 0, .sem_op = 1, .sem_flg = SEM_UNDO };

	if (semop(*(int *)arg, &op, 1))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

TEST_F_TIMEOUT(ipc, undo_on_the_callers_semaphores_is_refused, 120)
{
	int semid = semget(IPC_PRIVATE, 1, 0600);
	pid_t pid;

	ASSERT_LE(0, semid);
	pid = ckpt_spawn(_metadata, &self->ctx, undo_child, &semid);
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	EXPECT_EQ(-1, ckpt_call_checkpoint(&self->ctx, pid, self->ctx.image_fd, 0,
					   self->ctx.log_fd));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx,
				      "SEM_UNDO adjustments on semaphores of the caller's"))
		ckpt_dump_log(_metadata, &self->ctx);
	/* A queue of the caller's namespace is no obstacle: it stays here */
	ckpt_finish(_metadata, pid, CKPT_REASONS(ipc_reasons));
	EXPECT_EQ(0, semctl(semid, 0, IPC_RMID));
}

/* --- hostile images --- */

enum bad_ipc {
	MSG_TYPE_ZERO,
	MSG_LONGER_THAN_ITS_RECORD,
	QUEUE_OVER_ITS_LIMIT,
	QUEUE_ID_USED_TWICE,
	SEM_VALUE_ABOVE_SEMVMX,
	UNDO_ON_A_MISSING_SET,
};

FIXTURE(bad_ipc) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(bad_ipc) {
	enum bad_ipc what;
	const char *log;
};

FIXTURE_VARIANT_ADD(bad_ipc, msg_type_zero) {
	.what = MSG_TYPE_ZERO, .log = "is invalid or does not fit",
};

FIXTURE_VARIANT_ADD(bad_ipc, msg_longer_than_its_record) {
	.what = MSG_LONGER_THAN_ITS_RECORD, .log = "is invalid or does not fit",
};

FIXTURE_VARIANT_ADD(bad_ipc, queue_over_its_limit) {
	.what = QUEUE_OVER_ITS_LIMIT, .log = "is invalid or does not fit",
};

FIXTURE_VARIANT_ADD(bad_ipc, queue_id_used_twice) {
	.what = QUEUE_ID_USED_TWICE, .log = "its id is used twice",
};

FIXTURE_VARIANT_ADD(bad_ipc, sem_value_above_semvmx) {
	.what = SEM_VALUE_ABOVE_SEMVMX, .log = "out of range",
};

FIXTURE_VARIANT_ADD(bad_ipc, undo_on_a_missing_set) {
	.what = UNDO_ON_A_MISSING_SET, .log = "no semaphore set",
};

FIXTURE_SETUP(bad_ipc)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

FIXTURE_TEARDOWN(bad_ipc)
{
	ckpt_ctx_teardown(&self->ctx);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* The payload of the @n-th record of @type */
static void *nth_payload(struct image *img, uint32_t type, int n)
{
	int i;

	for (i = 0; i < img->nr; i++)
		if (img->recs[i].type == type && !n--)
			return ckpt_payload(img->data, &img->recs[i]);
	return NULL;
}

TEST_F_TIMEOUT(bad_ipc, restart_fails_cleanly, 120)
{
	enum ckpt_outcome outcome;
	struct image img = {};
	struct ckpt_msg_queue *q0, *q1;
	struct ckpt_sem_array *sa;
	struct ckpt_sem_undo *un;
	struct ckpt_msg *m;
	size_t trailer;

	img.pid = spawn_container(_metadata, &self->ctx);
	image_of_killed(_metadata, &self->ctx, img.pid, &img);

	q0 = nth_payload(&img, CKPT_REC_MSG_QUEUE, 0);
	q1 = nth_payload(&img, CKPT_REC_MSG_QUEUE, 1);
	m = nth_payload(&img, CKPT_REC_MSG, 0);
	sa = nth_payload(&img, CKPT_REC_SEM_ARRAY, 0);
	un = nth_payload(&img, CKPT_REC_SEM_UNDO, 0);
	ASSERT_TRUE(q0 && q1 && m && sa && un);
	switch (variant->what) {
	case MSG_TYPE_ZERO:
		m->mtype = 0;
		break;
	case MSG_LONGER_THAN_ITS_RECORD:
		m->len = htole64(le64toh(m->len) + 8);
		break;
	case QUEUE_OVER_ITS_LIMIT:
		q0->qbytes = htole64(NR_MSGS);
		break;
	case QUEUE_ID_USED_TWICE:
		q1->perm.id = q0->perm.id;
		break;
	case SEM_VALUE_ABOVE_SEMVMX:
		((__le16 *)(sa + 1))[0] = htole16(40000);
		break;
	case UNDO_ON_A_MISSING_SET:
		un->semid = htole32(le32toh(sa->perm.id) + 1);
		break;
	}
	trailer = img.recs[img.nr - 1].off;
	trailer_of(&img, img.data)->crc32c = htole32(crc32c(img.data, trailer));
	outcome = restart_from_broken_image(_metadata, &self->ctx, img.data, img.len,
					    img.pid, EINVAL, "hostile IPC image");
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, variant->log))
		ckpt_dump_log(_metadata, &self->ctx);
	free(img.data);
	free(img.recs);
}

/* ---- damaged POSIX message queue records ---- */

FIXTURE(bad_mq) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(bad_mq) {
	int what;
	int err;
	const char *log;
};

FIXTURE_VARIANT_ADD(bad_mq, name_with_a_slash) { 0, EINVAL, "not one path component" };
FIXTURE_VARIANT_ADD(bad_mq, priority_out_of_range) { 1, EINVAL, "is invalid or too long" };
FIXTURE_VARIANT_ADD(bad_mq, more_messages_than_it_holds) { 2, EINVAL, "out of range" };
FIXTURE_VARIANT_ADD(bad_mq, unknown_notification) { 3, EINVAL, "registration is invalid" };
FIXTURE_VARIANT_ADD(bad_mq, notification_owner_not_in_the_tree) { 4, EINVAL,
	"not a process of the TREE" };
FIXTURE_VARIANT_ADD(bad_mq, sysctls_out_of_range) { 5, EINVAL, "limits out of range" };
FIXTURE_VARIANT_ADD(bad_mq, open_queue_not_in_the_image) { 6, ENOENT,
	"cannot open POSIX message queue" };
FIXTURE_VARIANT_ADD(bad_mq, message_longer_than_the_queue_takes) { 7, EINVAL,
	"is invalid or too long" };

FIXTURE_SETUP(bad_mq)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

FIXTURE_TEARDOWN(bad_mq)
{
	ckpt_ctx_teardown(&self->ctx);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* The index of the MQUEUE record of the queue named @name */
static int mq_rec(struct image *img, const char *name)
{
	int i;

	for (i = 0; i < img->nr; i++) {
		struct ckpt_mqueue *q = ckpt_payload(img->data, &img->recs[i]);

		if (img->recs[i].type == CKPT_REC_MQUEUE && !strcmp((char *)(q + 1), name))
			return i;
	}
	return -1;
}

TEST_F_TIMEOUT(bad_mq, restart_fails_cleanly, 120)
{
	struct ckpt_mqueue *q1, *q3;
	struct ckpt_mq_ns *ns;
	struct ckpt_file *f = NULL;
	struct file_walk *w;
	struct ckpt_msg *m;
	struct image img = {};
	char *data, path[CKPT_PATH_MAX];
	size_t len;
	int i1, i3, fi = -1;

	ct_main = mq_init;
	img.pid = spawn_container(_metadata, &self->ctx);
	ct_main = ct_init;
	image_of_killed(_metadata, &self->ctx, img.pid, &img);
	i1 = mq_rec(&img, "ckpt-q1");
	i3 = mq_rec(&img, "ckpt-q3");
	ns = nth_payload(&img, CKPT_REC_MQ_NS, 0);
	ASSERT_TRUE(i1 >= 0 && i3 >= 0 && ns && img.recs[i1 + 1].type == CKPT_REC_MSG);
	q1 = ckpt_payload(img.data, &img.recs[i1]);
	q3 = ckpt_payload(img.data, &img.recs[i3]);
	m = ckpt_payload(img.data, &img.recs[i1 + 1]);
	/* The queue's FILE and its whole path, whatever it shares (version 2) */
	w = malloc(sizeof(*w));
	ASSERT_TRUE(!!w);
	file_walk_start(w);
	while (!f && (f = file_walk_next(&img, img.data, w)))
		if (le32toh(f->kind) != CKPT_FILE_MQUEUE)
			f = NULL;
	if (f) {
		fi = w->at;
		snprintf(path, sizeof(path), "%s", w->path);
	}
	free(w);
	ASSERT_TRUE(f && q3->notify_pid && strlen(path) > 6);
	data = img.data;
	len = img.len;
	switch (variant->what) {
	case 0:
		((char *)(q1 + 1))[4] = '/';
		break;
	case 1:
		m->mtype = htole64(MQ_PRIO_MAX);
		break;
	case 2:
		q1->maxmsg = htole64(MQ_NR - 1);
		break;
	case 3:
		q3->notify = htole32(7);
		break;
	case 4:
		q3->notify_pid = htole32(77);
		break;
	case 5:
		ns->msg_max = 0;
		break;
	case 6:
		/* "/ckpt-q1" becomes "/ckpt-x1", written whole */
		path[6] = 'x';
		data = image_with_file_path(&img, img.data, fi, path, &len);
		ASSERT_TRUE(!!data);
		break;
	default:
		q1->msgsize = htole64(16);
		break;
	}
	if (data == img.data)
		image_fix_crc(&img, data);
	ASSERT_TRUE(restart_from_broken_image(_metadata, &self->ctx, data, len,
					      img.pid, variant->err, "damaged queue record") ==
		    CKPT_FAILED_CLEANLY);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, variant->log))
		ckpt_dump_log(_metadata, &self->ctx);
	if (data != img.data)
		free(data);
	free(img.data);
	free(img.recs);
}

TEST_HARNESS_MAIN
