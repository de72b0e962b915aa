// SPDX-License-Identifier: GPL-2.0
/*
 * The image is a stream: checkpoint(2) writes it sequentially from the
 * current position of its fd, restart(2) reads it the same way, so a pipe
 * carries it as well as a file does.
 */
#include <pthread.h>

#include "ckpt_util.h"

FIXTURE(stream) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(stream)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	/* A feeder whose reader went away must see EPIPE, not die */
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(stream)
{
	ckpt_ctx_teardown(&self->ctx);
}

/* 16 MiB of pattern: the image is many times a pipe's buffer */
#define STREAM_MEM (16UL << 20)

static const char *const stream_reasons[] = {
	[1] = "could not map its memory",
	[2] = "its memory differs",
};

static uint64_t stream_seed;

static int stream_child(void *arg)
{
	ssize_t bad;
	char *mem;

	(void)arg;
	mem = mmap(NULL, STREAM_MEM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	stream_seed = 0x57ea ^ getpid();
	ckpt_fill_pattern(mem, STREAM_MEM, stream_seed, 0);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	bad = ckpt_check_pattern(mem, STREAM_MEM, stream_seed, 0);
	if (bad >= 0) {
		ckpt_child_note("word at offset %#zx differs", bad);
		return 2;
	}
	return 0;
}

/* One end of a pipe, served by a thread of the test */
struct pipe_end {
	int fd;
	char *data;
	size_t len;
	size_t cap;
	int err;
};

static void *drain_pipe(void *arg)
{
	struct pipe_end *p = arg;
	ssize_t n;
	char *bigger;

	for (;;) {
		if (p->cap - p->len < 65536) {
			bigger = realloc(p->data, p->cap * 2 + 65536);
			if (!bigger) {
				p->err = ENOMEM;
				break;
			}
			p->data = bigger;
			p->cap = p->cap * 2 + 65536;
		}
		n = read(p->fd, p->data + p->len, p->cap - p->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			p->err = errno;
		if (n <= 0)
			break;
		p->len += n;
	}
	close(p->fd);
	return NULL;
}

static void *feed_pipe(void *arg)
{
	struct pipe_end *p = arg;

	if (ckpt_write_all(p->fd, p->data, p->len))
		p->err = errno;
	close(p->fd);
	return NULL;
}

/* Asserts that @len bytes are whole records, HEADER first, TRAILER last */
static void assert_whole_image(struct __test_metadata *_metadata,
			       const void *image, size_t len)
{
	struct ckpt_rec *recs = calloc(len / 8 + 1, sizeof(*recs));
	const char *why = NULL;
	int n;

	ASSERT_TRUE(!!recs);
	n = ckpt_split_image(image, len, recs, len / 8 + 1, &why);
	free(recs);
	ASSERT_LT(0, n) TH_LOG("%zu bytes of image: %s", len, why);
}

TEST_F_TIMEOUT(stream, image_through_pipes_restores, 90)
{
	struct pipe_end out = { 0 }, in = { 0 };
	pthread_t thread;
	int fds[2];
	long ret;
	pid_t pid;

	pid = ckpt_spawn(_metadata, &self->ctx, stream_child, NULL);

	/* checkpoint into a pipe, drained by a thread */
	ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
	out.fd = fds[0];
	ASSERT_EQ(0, pthread_create(&thread, NULL, drain_pipe, &out));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	ret = ckpt_call_checkpoint(&self->ctx, pid, fds[1], CHECKPOINT_KILL,
				   self->ctx.log_fd);
	close(fds[1]);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, ret) {
		TH_LOG("checkpoint into a pipe: %s", strerror(errno));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ASSERT_EQ(0, out.err) TH_LOG("reading the pipe: %s", strerror(out.err));
	ckpt_reap_killed(_metadata, pid);
	assert_whole_image(_metadata, out.data, out.len);

	/* restart from a pipe, fed by a thread */
	ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
	in.fd = fds[1];
	in.data = out.data;
	in.len = out.len;
	ASSERT_EQ(0, pthread_create(&thread, NULL, feed_pipe, &in));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	ret = ckpt_call_restart(&self->ctx, 0, fds[0], 0, self->ctx.log_fd);
	/* Had restart stopped reading, the feeder now gets EPIPE */
	close(fds[0]);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	free(out.data);
	if (ret > 0)
		ckpt_ctx_track(&self->ctx, ret);
	ASSERT_EQ(pid, ret) {
		TH_LOG("restart from a pipe: %s", strerror(errno));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ASSERT_EQ(0, in.err) TH_LOG("feeding the pipe: %s", strerror(in.err));
	ckpt_finish(_metadata, pid, CKPT_REASONS(stream_reasons));
}

/* Whatever the fd's position, the image goes there and the position on */
#define PREFIX "not an image, but the file's first 24 bytes"
#define PREFIX_LEN 24

/* Checkpoints an idle task into the image file after PREFIX_LEN bytes */
static pid_t checkpoint_after_prefix(struct __test_metadata *_metadata,
				     struct ckpt_ctx *ctx)
{
	pid_t pid = ckpt_spawn(_metadata, ctx, ckpt_idle_child, NULL);

	ASSERT_EQ(0, ckpt_reset_file(ctx->image_fd));
	ASSERT_EQ(0, ckpt_write_all(ctx->image_fd, PREFIX, PREFIX_LEN));
	ASSERT_EQ(0, ckpt_reset_file(ctx->log_fd));
	ASSERT_EQ(0, ckpt_call_checkpoint(ctx, pid, ctx->image_fd,
					  CHECKPOINT_KILL, ctx->log_fd)) {
		TH_LOG("checkpoint: %s", strerror(errno));
		ckpt_explain_errno(_metadata, "checkpoint(2)", errno);
		ckpt_dump_log(_metadata, ctx);
	}
	ckpt_reap_killed(_metadata, pid);
	return pid;
}

TEST_F_TIMEOUT(stream, checkpoint_writes_at_fd_position_and_advances_it, 60)
{
	char prefix[PREFIX_LEN];
	struct stat st;
	off_t pos;
	void *image;
	size_t len;

	checkpoint_after_prefix(_metadata, &self->ctx);
	pos = lseek(self->ctx.image_fd, 0, SEEK_CUR);
	ASSERT_EQ(0, fstat(self->ctx.image_fd, &st));
	ASSERT_EQ(st.st_size, pos)
		TH_LOG("the fd's position is not after the image");
	ASSERT_EQ(PREFIX_LEN, pread(self->ctx.image_fd, prefix, PREFIX_LEN, 0));
	ASSERT_EQ(0, memcmp(prefix, PREFIX, PREFIX_LEN))
		TH_LOG("the image overwrote what was before the fd's position");
	image = ckpt_slurp(self->ctx.image_fd, &len);
	ASSERT_TRUE(!!image);
	assert_whole_image(_metadata, (char *)image + PREFIX_LEN,
			   len - PREFIX_LEN);
	free(image);
}

TEST_F_TIMEOUT(stream, restart_reads_from_fd_position_to_image_end, 60)
{
	struct stat st;
	pid_t pid;
	long ret;

	pid = checkpoint_after_prefix(_metadata, &self->ctx);
	ASSERT_EQ(PREFIX_LEN, lseek(self->ctx.image_fd, PREFIX_LEN, SEEK_SET));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	ret = ckpt_call_restart(&self->ctx, 0, self->ctx.image_fd, 0,
				self->ctx.log_fd);
	if (ret > 0)
		ckpt_ctx_track(&self->ctx, ret);
	ASSERT_EQ(pid, ret) {
		TH_LOG("restart from offset %d: %s", PREFIX_LEN,
		       strerror(errno));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ASSERT_EQ(0, fstat(self->ctx.image_fd, &st));
	ASSERT_EQ(st.st_size, lseek(self->ctx.image_fd, 0, SEEK_CUR))
		TH_LOG("restart did not leave the position after the image");
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

TEST_HARNESS_MAIN
