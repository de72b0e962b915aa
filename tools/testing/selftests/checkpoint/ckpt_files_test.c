// SPDX-License-Identifier: GPL-2.0
/*
 * Open files beyond a plain reopen by path: pipes and FIFOs with data
 * buffered in them, files unlinked while open, one open file shared by
 * several processes, the locks held through files, and regular files that
 * changed between checkpoint and restart.  Each test checks what the
 * restored processes observe.
 */
#include <linux/sched.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <sys/xattr.h>

#include "ckpt_image.h"

#define PIPE_DATA	(60 * 1024)
#define PIPE_CAPACITY	(256 * 1024)

static const char *const files_reasons[] = {
	[1] = "could not set up its files",
	[2] = "the data buffered in the pipe or FIFO is not all there, in order",
	[3] = "the pipe's capacity (F_GETPIPE_SZ) changed",
	[4] = "an end's O_NONBLOCK flag changed",
	[5] = "the pipe does not end (EOF) once its writer is gone",
	[6] = "a child process of the tree failed",
	[7] = "the unlinked file is no longer unlinked, or has another size",
	[8] = "the unlinked file's contents changed",
	[9] = "the unlinked file's position, flags or second open file changed",
	[10] = "the shared file's position is not shared any more",
	[11] = "the shared file does not have every write",
	[12] = "the lock is no longer held",
	[13] = "the unlinked file lost its owner, times or extended attribute",
};

FIXTURE(files) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(files)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(files)
{
	ckpt_ctx_teardown(&self->ctx);
}

static unsigned char pattern_byte(size_t i)
{
	return (i * 7 + i / 251) & 0xff;
}

static void fill_bytes(unsigned char *buf, size_t len, size_t first)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern_byte(first + i);
}

/* Reads exactly @len bytes of the pattern from @fd; 0 if they all are */
static int read_pattern(int fd, size_t len)
{
	static unsigned char buf[PIPE_DATA];
	size_t done = 0, i;
	ssize_t n;

	while (done < len) {
		n = read(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ckpt_child_note("read %zu of %zu bytes: %zd (%s)", done, len,
					n, n < 0 ? strerror(errno) : "EOF");
			return -1;
		}
		done += n;
	}
	for (i = 0; i < len; i++) {
		if (buf[i] != pattern_byte(i)) {
			ckpt_child_note("byte %zu is %#x, expected %#x", i, buf[i],
					pattern_byte(i));
			return -1;
		}
	}
	return 0;
}

static bool nonblocking(int fd)
{
	return fcntl(fd, F_GETFL) & O_NONBLOCK;
}

/*
 * A child of a test's child says it is ready with CHILD_READY, which its
 * parent blocks: a real-time signal, so that two children that are ready
 * at once are two signals.
 */
#define CHILD_READY	SIGRTMIN

static void child_ready(void)
{
	kill(getppid(), CHILD_READY);
}

static int block_child_ready(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, CHILD_READY);
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Waits until @n children said they are ready */
static int wait_children_ready(int n)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, CHILD_READY);
	while (n > 0) {
		struct timespec ts = { CKPT_READY_TIMEOUT_MS / 1000, 0 };

		if (sigtimedwait(&set, NULL, &ts) != CHILD_READY)
			return -1;
		n--;
	}
	return 0;
}

/* Finishes the children one after the other; the first failure wins */
static int finish_children(const pid_t *pids, int n)
{
	int i, status, ret = 0;

	for (i = 0; i < n; i++) {
		kill(pids[i], SIGUSR1);
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			ckpt_child_note("child %d ended with status %#x", pids[i],
					status);
			if (!ret)
				ret = WIFEXITED(status) && WEXITSTATUS(status) ?
				      WEXITSTATUS(status) : 6;
		}
	}
	return ret;
}

/* ---- pipes ---- */

static int pipe_writer(int *p)
{
	static unsigned char buf[PIPE_DATA];

	close(p[0]);
	fill_bytes(buf, sizeof(buf), 0);
	if (ckpt_write_all(p[1], buf, sizeof(buf)))
		return 1;
	child_ready();
	ckpt_child_wait_finish();
	if (fcntl(p[1], F_GETPIPE_SZ) != PIPE_CAPACITY)
		return 3;
	if (!nonblocking(p[1]))
		return 4;
	return 0;
}

static int pipe_reader(int *p)
{
	char c;

	close(p[1]);
	child_ready();
	ckpt_child_wait_finish();
	if (nonblocking(p[0]))
		return 4;
	if (fcntl(p[0], F_GETPIPE_SZ) != PIPE_CAPACITY)
		return 3;
	if (read_pattern(p[0], PIPE_DATA))
		return 2;
	/* Its writer has exited: the end of the data */
	if (read(p[0], &c, 1) != 0)
		return 5;
	return 0;
}

/*
 * The root of a tree of three: a writer child that filled the pipe, a
 * reader child that reads it only after the restart.  The root holds no
 * end itself.
 */
static int pipe_tree(void *arg)
{
	pid_t pids[2];
	int p[2];

	(void)arg;
	if (block_child_ready() || pipe(p) ||
	    fcntl(p[1], F_SETPIPE_SZ, PIPE_CAPACITY) != PIPE_CAPACITY ||
	    fcntl(p[1], F_SETFL, O_NONBLOCK))
		return 1;
	/* The reader first: the writer may then finish while it waits */
	pids[1] = fork();
	if (!pids[1])
		_exit(pipe_reader(p));
	pids[0] = fork();
	if (!pids[0])
		_exit(pipe_writer(p));
	close(p[0]);
	close(p[1]);
	if (pids[0] < 0 || pids[1] < 0 || wait_children_ready(2))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return finish_children(pids, 2);
}

TEST_F_TIMEOUT(files, pipe_between_two_processes_keeps_its_data, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, pipe_tree, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(files_reasons));
}

/* A FIFO open at both ends by one process, 60 KiB in it */
static int fifo_child(void *arg)
{
	static unsigned char buf[PIPE_DATA];
	const char *path = arg;
	int rfd, wfd;
	char c;

	rfd = open(path, O_RDONLY | O_NONBLOCK);
	wfd = open(path, O_WRONLY);
	if (rfd < 0 || wfd < 0)
		return 1;
	fill_bytes(buf, sizeof(buf), 0);
	if (ckpt_write_all(wfd, buf, sizeof(buf)))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (!nonblocking(rfd) || nonblocking(wfd))
		return 4;
	if (fcntl(rfd, F_GETPIPE_SZ) != 65536)
		return 3;
	if (read_pattern(rfd, PIPE_DATA))
		return 2;
	/* Nothing more, and the writer is still there */
	if (read(rfd, &c, 1) != -1 || errno != EAGAIN)
		return 2;
	/* And it still carries bytes */
	if (write(wfd, "x", 1) != 1 || read(rfd, &c, 1) != 1 || c != 'x')
		return 2;
	return 0;
}

TEST_F_TIMEOUT(files, fifo_keeps_its_data, 120)
{
	char path[192];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/fifo", self->ctx.dir);
	ASSERT_EQ(0, mkfifo(path, 0600));
	pid = ckpt_spawn(_metadata, &self->ctx, fifo_child, path);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(files_reasons));
}

/* Page cache and user pages in a pipe: splice(2) and vmsplice(2) */
static int spliced_child(void *arg)
{
	static unsigned char buf[8192], user[4096] __attribute__((aligned(4096)));
	struct iovec iov = { user, sizeof(user) };
	const char *path = arg;
	loff_t off = 0;
	int p[2], fd;
	char c;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fill_bytes(buf, sizeof(buf), 0);
	fill_bytes(user, sizeof(user), sizeof(buf));
	if (fd < 0 || ckpt_write_all(fd, buf, sizeof(buf)) || fsync(fd) || pipe(p) ||
	    splice(fd, &off, p[1], NULL, sizeof(buf), 0) != sizeof(buf) ||
	    vmsplice(p[1], &iov, 1, 0) != sizeof(user))
		return 1;
	close(fd);
	unlink(path);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (read_pattern(p[0], sizeof(buf) + sizeof(user)))
		return 2;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	if (read(p[0], &c, 1) != -1 || errno != EAGAIN)
		return 2;
	return 0;
}

TEST_F_TIMEOUT(files, pipe_filled_by_splice_and_vmsplice_keeps_its_data, 120)
{
	char path[192];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/spliced", self->ctx.dir);
	pid = ckpt_spawn(_metadata, &self->ctx, spliced_child, path);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(files_reasons));
}

/* ---- unlinked files ---- */

#define UNLINKED_DATA	(100 * 1024)
#define UNLINKED_TAIL	(1024 * 1024)	/* a hole, then 4 KiB */
#define UNLINKED_POS	12345

static const struct timespec unlinked_times[2] = {
	{ 1000000000, 5 }, { 1200000000, 7 },
};

static int unlinked_child(void *arg)
{
	static unsigned char buf[UNLINKED_DATA], back[UNLINKED_DATA];
	const char *path = arg;
	struct stat st, st2;
	char c, color[8];
	int fd, fd2;
	bool xattr;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0640);
	/* A second open file of the same inode, with a position of its own */
	fd2 = open(path, O_RDONLY);
	if (fd < 0 || fd2 < 0)
		return 1;
	fill_bytes(buf, sizeof(buf), 0);
	if (ckpt_write_all(fd, buf, sizeof(buf)) ||
	    pwrite(fd, buf, 4096, UNLINKED_TAIL) != 4096 || unlink(path) ||
	    lseek(fd, UNLINKED_POS, SEEK_SET) != UNLINKED_POS)
		return 1;
	/* Owner, times and an extended attribute, as a file in /tmp may have */
	xattr = !fsetxattr(fd, "user.color", "blue", 4, 0);
	if (fchown(fd, 1234, 5678) || futimens(fd, unlinked_times))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (fstat(fd, &st) || st.st_nlink != 0 ||
	    st.st_size != UNLINKED_TAIL + 4096 || (st.st_mode & 07777) != 0640) {
		ckpt_child_note("nlink %lu size %lld mode %o", (unsigned long)st.st_nlink,
				(long long)st.st_size, st.st_mode);
		return 7;
	}
	if (st.st_uid != 1234 || st.st_gid != 5678 ||
	    st.st_atim.tv_sec != unlinked_times[0].tv_sec ||
	    st.st_atim.tv_nsec != unlinked_times[0].tv_nsec ||
	    st.st_mtim.tv_sec != unlinked_times[1].tv_sec ||
	    st.st_mtim.tv_nsec != unlinked_times[1].tv_nsec ||
	    (xattr && (fgetxattr(fd, "user.color", color, sizeof(color)) != 4 ||
		       memcmp(color, "blue", 4)))) {
		ckpt_child_note("uid %u gid %u atime %lld.%ld mtime %lld.%ld xattr %d",
				st.st_uid, st.st_gid, (long long)st.st_atim.tv_sec,
				st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec,
				st.st_mtim.tv_nsec, xattr);
		return 13;
	}
	if (lseek(fd, 0, SEEK_CUR) != UNLINKED_POS ||
	    (fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDWR)
		return 9;
	if (pread(fd, back, sizeof(back), 0) != sizeof(back) ||
	    memcmp(buf, back, sizeof(back)))
		return 8;
	if (pread(fd, back, 4096, UNLINKED_TAIL - 4096) != 4096 ||
	    back[0] || memcmp(back, back + 1, 4095))
		return 8;
	if (pread(fd, back, 8192, UNLINKED_TAIL) != 4096 || memcmp(buf, back, 4096))
		return 8;
	/* Still its own file: it grows */
	if (pwrite(fd, "z", 1, UNLINKED_TAIL + 4096) != 1 || fstat(fd, &st) ||
	    st.st_size != UNLINKED_TAIL + 4097)
		return 7;
	/* And the other open file is of the same inode, at its own position */
	if (fstat(fd2, &st2) || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev ||
	    lseek(fd2, 0, SEEK_CUR) != 0 || (fcntl(fd2, F_GETFL) & O_ACCMODE) != O_RDONLY)
		return 9;
	if (pread(fd2, &c, 1, UNLINKED_TAIL + 4096) != 1 || c != 'z')
		return 8;
	return 0;
}

TEST_F_TIMEOUT(files, unlinked_file_keeps_contents_and_position, 120)
{
	char path[192];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/unlinked", self->ctx.dir);
	pid = ckpt_spawn(_metadata, &self->ctx, unlinked_child, path);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	/* It came back unlinked: no name appeared */
	ASSERT_NE(0, access(path, F_OK));
	ckpt_finish(_metadata, pid, CKPT_REASONS(files_reasons));
}

/* ---- one open file, two processes ---- */

static int shared_child(int fd)
{
	child_ready();
	ckpt_child_wait_finish();
	/* The parent wrote 5 bytes after the restart, through the same file */
	if (lseek(fd, 0, SEEK_CUR) != 15)
		return 10;
	if (write(fd, "FGHIJ", 5) != 5)
		return 1;
	return 0;
}

static int shared_tree(void *arg)
{
	const char *path = arg;
	char buf[32];
	pid_t child;
	int fd;

	if (block_child_ready())
		return 1;
	fd = open(path, O_RDWR | O_APPEND | O_CREAT, 0600);
	if (fd < 0 || write(fd, "0123456789", 10) != 10)
		return 1;
	child = fork();
	if (!child)
		_exit(shared_child(fd));
	if (child < 0 || wait_children_ready(1))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (write(fd, "ABCDE", 5) != 5)
		return 1;
	if (finish_children(&child, 1))
		return 10;
	if (lseek(fd, 0, SEEK_CUR) != 20)
		return 10;
	if (pread(fd, buf, sizeof(buf), 0) != 20 ||
	    memcmp(buf, "0123456789ABCDEFGHIJ", 20))
		return 11;
	return 0;
}

TEST_F_TIMEOUT(files, file_shared_by_two_processes_keeps_one_position, 120)
{
	char path[192];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/shared", self->ctx.dir);
	pid = ckpt_spawn(_metadata, &self->ctx, shared_tree, path);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(files_reasons));
}

/* ---- locks ---- */

static int locks_child(void *arg)
{
	const char *path = arg;
	struct flock fl = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100,
	};
	struct flock ofd = {
		.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 200, .l_len = 100,
	};
	int fd, ffd, ofd_fd;

	fd = open(path, O_RDWR | O_CREAT, 0600);
	ffd = open(path, O_RDONLY);
	ofd_fd = open(path, O_RDONLY);
	if (fd < 0 || ffd < 0 || ofd_fd < 0 || fcntl(fd, F_SETLK, &fl) ||
	    flock(ffd, LOCK_EX | LOCK_NB) || fcntl(ofd_fd, F_OFD_SETLK, &ofd))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	/* Its own locks: asking for them again changes nothing */
	fl.l_type = F_WRLCK;
	if (fcntl(fd, F_GETLK, &fl) || fl.l_type != F_UNLCK)
		return 12;
	return 0;
}

/* What another process sees of the locks of @holder on @path */
static void check_locks_held(struct __test_metadata *_metadata, const char *path,
			     pid_t holder)
{
	struct flock fl = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 1,
	};
	struct flock ofd = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 250, .l_len = 1,
	};
	int fd = open(path, O_RDWR);
	int fd2 = open(path, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, fcntl(fd, F_GETLK, &fl));
	EXPECT_EQ(F_WRLCK, fl.l_type);
	EXPECT_EQ(holder, fl.l_pid) TH_LOG("the record lock's holder is %d", fl.l_pid);
	EXPECT_EQ(0, fl.l_start);
	EXPECT_EQ(100, fl.l_len);
	fl.l_type = F_WRLCK;
	fl.l_start = 10;
	fl.l_len = 1;
	EXPECT_EQ(-1, fcntl(fd, F_SETLK, &fl));
	EXPECT_TRUE(errno == EAGAIN || errno == EACCES);
	EXPECT_EQ(-1, flock(fd, LOCK_SH | LOCK_NB)) TH_LOG("the flock(2) lock is not held");
	EXPECT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(0, fcntl(fd2, F_OFD_GETLK, &ofd));
	EXPECT_EQ(F_RDLCK, ofd.l_type) TH_LOG("the OFD lock is not held");
	EXPECT_EQ(200, ofd.l_start);
	EXPECT_EQ(100, ofd.l_len);
	close(fd);
	close(fd2);
}

TEST_F_TIMEOUT(files, locks_are_held_again_by_the_restored_process, 120)
{
	char path[192];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/locked", self->ctx.dir);
	pid = ckpt_spawn(_metadata, &self->ctx, locks_child, path);
	check_locks_held(_metadata, path, pid);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	check_locks_held(_metadata, path, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(files_reasons));
}

/* ---- files of /proc, whose size and mtime mean nothing ---- */

static const char *const proc_reasons[] = {
	[1] = "could not open the /proc files",
	[2] = "/proc/self/stat does not read back its own pid after restart",
	[3] = "/proc/sys/kernel/ostype does not read back the same",
};

static int proc_child(void *arg)
{
	int stat = open("/proc/self/stat", O_RDONLY);
	int os = open("/proc/sys/kernel/ostype", O_RDONLY);
	char buf[64], pid[16];
	int n;

	(void)arg;
	snprintf(pid, sizeof(pid), "%d ", getpid());
	if (stat < 0 || os < 0 || read(stat, buf, sizeof(buf)) <= 0 || read(os, buf, 5) != 5)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	n = pread(stat, buf, sizeof(buf) - 1, 0);
	if (n <= 0 || strncmp(buf, pid, strlen(pid)))
		return 2;
	/* At its saved position, past "Linux" */
	if (read(os, buf, sizeof(buf)) != 1 || buf[0] != '\n' || pread(os, buf, 5, 0) != 5 ||
	    memcmp(buf, "Linux", 5))
		return 3;
	return 0;
}

TEST_F_TIMEOUT(files, proc_files_are_reopened, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, proc_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(proc_reasons));
}

/* ---- files changed since the checkpoint ---- */

static int changed_child(void *arg)
{
	const char *path = arg;
	char buf[8];
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, 3) != 3)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	/* The file as it is now, from where it was */
	if (lseek(fd, 0, SEEK_CUR) != 3 || read(fd, buf, 8) != 5 ||
	    memcmp(buf, "defgh", 5))
		return 11;
	return 0;
}

TEST_F_TIMEOUT(files, changed_file_needs_files_changed_ok, 120)
{
	char path[192];
	pid_t pid;
	long ret;
	int fd;

	snprintf(path, sizeof(path), "%s/changed", self->ctx.dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "abcde", 5));
	pid = ckpt_spawn(_metadata, &self->ctx, changed_child, path);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	ASSERT_EQ(3, write(fd, "fgh", 3));
	close(fd);

	ASSERT_TRUE(ckpt_restart_must_fail(_metadata, &self->ctx, 0, self->ctx.image_fd,
					   0, self->ctx.log_fd, ESTALE, true, pid,
					   "changed file") == CKPT_FAILED_CLEANLY);
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, path)) {
		TH_LOG("the log does not name %s", path);
		ckpt_dump_log(_metadata, &self->ctx);
	}

	ASSERT_EQ(0, lseek(self->ctx.image_fd, 0, SEEK_SET));
	ret = ckpt_call_restart(&self->ctx, 0, self->ctx.image_fd,
				RESTART_FILES_CHANGED_OK, self->ctx.log_fd);
	ASSERT_EQ(pid, ret) {
		TH_LOG("restart with RESTART_FILES_CHANGED_OK: %s", strerror(errno));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ckpt_ctx_track(&self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(files_reasons));
}

/* ---- a container's FIFO read outside it ---- */

static char ct_fifo_path[160];
static char ct_ready_path[160];

/* The init of a container: writes to a FIFO that the test reads */
static int ct_fifo_init(void)
{
	int fd;

	fd = open(ct_fifo_path, O_WRONLY);
	if (getpid() != 1 || fd < 0 || write(fd, "x", 1) != 1)
		return 1;
	/* getppid() is 0 here: say "ready" with a file */
	fd = open(ct_ready_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 1;
	close(fd);
	ckpt_child_wait_finish();
	return 0;
}

TEST_F_TIMEOUT(files, container_fifo_read_outside_is_a_leak, 120)
{
	int64_t deadline = ckpt_now_ns() + CKPT_READY_TIMEOUT_MS * 1000000LL;
	struct clone_args args = {
		.flags = CLONE_NEWPID,
		.exit_signal = SIGCHLD,
	};
	struct stat st;
	pid_t pid;
	int rfd;

	snprintf(ct_fifo_path, sizeof(ct_fifo_path), "%s/ct-fifo", self->ctx.dir);
	snprintf(ct_ready_path, sizeof(ct_ready_path), "%s/ready", self->ctx.dir);
	ASSERT_EQ(0, mkfifo(ct_fifo_path, 0600));
	rfd = open(ct_fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, rfd);
	fflush(NULL);
	pid = syscall(__NR_clone3, &args, sizeof(args));
	ASSERT_LE(0, pid) TH_LOG("clone3(CLONE_NEWPID): %s", strerror(errno));
	if (!pid) {
		int ret = ckpt_child_detach();

		_exit(ret ? ret : ct_fifo_init());
	}
	ckpt_ctx_track(&self->ctx, pid);
	while (stat(ct_ready_path, &st)) {
		ASSERT_TRUE(ckpt_child_running(pid)) TH_LOG("the container's init died");
		ASSERT_LT(ckpt_now_ns(), deadline) TH_LOG("the container is not ready");
		ckpt_sleep_ms(20);
	}

	/* The test reads the FIFO through a file of its own */
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	EXPECT_EQ(-1, ckpt_call_checkpoint(&self->ctx, pid, self->ctx.image_fd, 0,
					   self->ctx.log_fd));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "ct-fifo (object")) {
		TH_LOG("the log does not name the FIFO");
		ckpt_dump_log(_metadata, &self->ctx);
	}
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "open outside the container"));

	/* Accepted with the flag; and without it once the test lets go */
	EXPECT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_SHARED_OK));
	close(rfd);
	EXPECT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, 0));
	ckpt_finish(_metadata, pid, CKPT_REASONS(files_reasons));
}

/* ---- damaged images ---- */

/* A pipe with data, an unlinked file and a lock, all in one image */
static int everything_child(void *arg)
{
	const char *dir = arg;
	char path[256];
	int p[2], fd;

	snprintf(path, sizeof(path), "%s/kept", dir);
	if (open(path, O_RDONLY | O_CREAT, 0600) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/gone", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || open(path, O_RDONLY) < 0 ||
	    write(fd, "some contents", 13) != 13 || unlink(path) ||
	    flock(fd, LOCK_EX) || pipe(p) || write(p[1], "in the pipe", 11) != 11)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

enum damage {
	PIPE_BAD_CAPACITY,
	PIPE_DATA_ABOVE_CAPACITY,
	PIPE_DATA_NOT_CONTIGUOUS,
	UNLINKED_DATA_BEYOND_SIZE,
	UNLINKED_NAMES_REGULAR_FILE,
	FILE_NAMES_NO_PIPE,
	FILE_UNKNOWN_KIND,
	FILE_REG_NAMES_OBJECT,
	FILE_FIFO_WITHOUT_PATH,
	FILE_MEMFD_WITHOUT_SHMEM,
	FILE_PIPE_BAD_FLAGS,
	LOCK_UNKNOWN_KIND,
	LOCK_ON_CLOSED_FD,
};

FIXTURE(damaged) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(damaged) {
	enum damage what;
	const char *log;	/* what the log's reason says */
};

FIXTURE_VARIANT_ADD(damaged, pipe_bad_capacity) {
	.what = PIPE_BAD_CAPACITY,
	.log = "invalid capacity",
};

FIXTURE_VARIANT_ADD(damaged, pipe_data_above_capacity) {
	.what = PIPE_DATA_ABOVE_CAPACITY,
	.log = "invalid capacity",
};

FIXTURE_VARIANT_ADD(damaged, pipe_data_not_contiguous) {
	.what = PIPE_DATA_NOT_CONTIGUOUS,
	.log = "FILE_DATA out of order",
};

FIXTURE_VARIANT_ADD(damaged, unlinked_data_beyond_size) {
	.what = UNLINKED_DATA_BEYOND_SIZE,
	.log = "FILE_DATA out of order",
};

FIXTURE_VARIANT_ADD(damaged, unlinked_names_regular_file) {
	.what = UNLINKED_NAMES_REGULAR_FILE,
	.log = "names another kind of file",
};

FIXTURE_VARIANT_ADD(damaged, file_names_no_pipe) {
	.what = FILE_NAMES_NO_PIPE,
	.log = "which is not a pipe",
};

FIXTURE_VARIANT_ADD(damaged, file_unknown_kind) {
	.what = FILE_UNKNOWN_KIND,
	.log = "invalid kind",
};

/* What the table of file kinds says a FILE record of a kind may hold */
FIXTURE_VARIANT_ADD(damaged, file_reg_names_an_object) {
	.what = FILE_REG_NAMES_OBJECT,
	.log = "invalid kind, flags, position or object",
};

FIXTURE_VARIANT_ADD(damaged, file_fifo_without_path) {
	.what = FILE_FIFO_WITHOUT_PATH,
	.log = "malformed path",
};

FIXTURE_VARIANT_ADD(damaged, file_memfd_without_shmem) {
	.what = FILE_MEMFD_WITHOUT_SHMEM,
	.log = "is not followed by SHMEM",
};

FIXTURE_VARIANT_ADD(damaged, file_pipe_bad_flags) {
	.what = FILE_PIPE_BAD_FLAGS,
	.log = "invalid kind, flags, position or object",
};

FIXTURE_VARIANT_ADD(damaged, lock_unknown_kind) {
	.what = LOCK_UNKNOWN_KIND,
	.log = "is invalid",
};

FIXTURE_VARIANT_ADD(damaged, lock_on_closed_fd) {
	.what = LOCK_ON_CLOSED_FD,
	.log = "which is not open",
};

FIXTURE_SETUP(damaged)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(damaged)
{
	ckpt_ctx_teardown(&self->ctx);
}

/* The payload of the first record of @type after record @from, or NULL */
static void *payload_after(struct image *img, char *data, int from, uint32_t type,
			   int *at)
{
	int i;

	for (i = from + 1; i < img->nr; i++) {
		if (img->recs[i].type == type) {
			if (at)
				*at = i;
			return ckpt_payload(data, &img->recs[i]);
		}
	}
	return NULL;
}

/* The first FILE record of kind @kind after record *@at */
static struct ckpt_file *file_of_kind(struct image *img, char *data, uint32_t kind,
				      int *at)
{
	struct ckpt_file *f;
	int i = *at;

	while ((f = payload_after(img, data, i, CKPT_REC_FILE, &i)))
		if (le32toh(f->kind) == kind) {
			*at = i;
			return f;
		}
	return NULL;
}

TEST_F_TIMEOUT(damaged, restart_fails_cleanly, 60)
{
	struct image img = { 0 };
	struct ckpt_file_data *d;
	struct ckpt_pipe *pipe_rec;
	struct ckpt_lock *lock;
	struct ckpt_file *f;
	int at = -1, ipipe = -1;
	uint32_t ref;
	char *data;

	img.pid = ckpt_spawn(_metadata, &self->ctx, everything_child, self->ctx.dir);
	image_of_killed(_metadata, &self->ctx, img.pid, &img);
	data = img.data;
	pipe_rec = payload_after(&img, data, -1, CKPT_REC_PIPE, &ipipe);
	ASSERT_TRUE(!!pipe_rec) TH_LOG("the image has no PIPE");

	switch (variant->what) {
	case PIPE_BAD_CAPACITY:
		pipe_rec->capacity = htole32(3 * 4096);
		break;
	case PIPE_DATA_ABOVE_CAPACITY:
		pipe_rec->data_len = htole32(le32toh(pipe_rec->capacity) + 1);
		break;
	case PIPE_DATA_NOT_CONTIGUOUS:
		d = payload_after(&img, data, ipipe, CKPT_REC_FILE_DATA, NULL);
		ASSERT_TRUE(!!d);
		d->offset = htole64(1);
		break;
	case UNLINKED_DATA_BEYOND_SIZE:
		f = file_of_kind(&img, data, CKPT_FILE_UNLINKED, &at);
		ASSERT_TRUE(!!f) TH_LOG("the image has no unlinked FILE");
		d = payload_after(&img, data, at, CKPT_REC_FILE_DATA, NULL);
		ASSERT_TRUE(!!d);
		d->offset = htole64(le64toh(f->size));
		break;
	case UNLINKED_NAMES_REGULAR_FILE:
		/* Reopening a read-only file for writing must not come of it */
		f = file_of_kind(&img, data, CKPT_FILE_REG, &at);
		ASSERT_TRUE(!!f) TH_LOG("the image has no regular FILE");
		ref = f->objref;
		at = -1;
		do {
			f = file_of_kind(&img, data, CKPT_FILE_UNLINKED, &at);
			ASSERT_TRUE(!!f) TH_LOG("no second open file of the unlinked file");
		} while (!f->obj_ref);
		f->obj_ref = ref;
		f->f_flags = htole32(O_RDWR);
		break;
	case FILE_NAMES_NO_PIPE:
		f = file_of_kind(&img, data, CKPT_FILE_PIPE, &at);
		ASSERT_TRUE(!!f);
		/* Object 1 is the first task's credentials */
		f->obj_ref = htole32(1);
		break;
	case FILE_UNKNOWN_KIND:
		f = file_of_kind(&img, data, CKPT_FILE_REG, &at);
		ASSERT_TRUE(!!f);
		f->kind = htole32(99);
		break;
	case FILE_REG_NAMES_OBJECT:
		f = file_of_kind(&img, data, CKPT_FILE_REG, &at);
		ASSERT_TRUE(!!f);
		f->obj_ref = htole32(1);
		break;
	case FILE_FIFO_WITHOUT_PATH:
		/* A pipe's FILE has no path; a FIFO's must */
		f = file_of_kind(&img, data, CKPT_FILE_PIPE, &at);
		ASSERT_TRUE(!!f);
		f->kind = htole32(CKPT_FILE_FIFO);
		break;
	case FILE_MEMFD_WITHOUT_SHMEM:
		/* A path and flags a memfd may have, but no SHMEM after it */
		f = file_of_kind(&img, data, CKPT_FILE_REG, &at);
		ASSERT_TRUE(!!f);
		f->kind = htole32(CKPT_FILE_MEMFD);
		f->f_flags = htole32(O_RDWR);
		break;
	case FILE_PIPE_BAD_FLAGS:
		f = file_of_kind(&img, data, CKPT_FILE_PIPE, &at);
		ASSERT_TRUE(!!f);
		f->f_flags = htole32(le32toh(f->f_flags) | O_CREAT);
		break;
	case LOCK_UNKNOWN_KIND:
		lock = payload_after(&img, data, -1, CKPT_REC_LOCK, NULL);
		ASSERT_TRUE(!!lock) TH_LOG("the image has no LOCK");
		lock->kind = htole32(99);
		break;
	case LOCK_ON_CLOSED_FD:
		lock = payload_after(&img, data, -1, CKPT_REC_LOCK, NULL);
		ASSERT_TRUE(!!lock);
		lock->fd = htole32(1000);
		break;
	}
	trailer_of(&img, data)->crc32c =
		htole32(crc32c(data, img.recs[img.nr - 1].off));
	ASSERT_TRUE(restart_from_broken_image(_metadata, &self->ctx, data, img.len,
					      img.pid, EINVAL, "damaged image") ==
		    CKPT_FAILED_CLEANLY);
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, variant->log)) {
		TH_LOG("the log does not say \"%s\"", variant->log);
		ckpt_dump_log(_metadata, &self->ctx);
	}
	free(img.recs);
	free(img.data);
}

TEST_HARNESS_MAIN
