// SPDX-License-Identifier: GPL-2.0
/*
 * Images made by an earlier kernel restart on this one.
 *
 * fixtures/ holds images that ckpt_fixture_prog wrote on the kernels of the
 * commits named in fixtures/README: one of format version 1, before the back
 * ends became tables, and the first of version 2.
 * Each is restarted here with RESTART_FILES_CHANGED_OK (the program is
 * rebuilt with every build, with the same code but a new mtime); the
 * restored container's init checks its own state (memory, files, pipes,
 * anonymous files, SysV IPC, signals, timers, limits, hostname, its thread
 * and its child) once it gets SIGUSR1 and exits with 0, or with the number
 * of the first check that failed.
 *
 * The image holds the vDSO of the kernel that made it: a kernel whose vDSO
 * differs (another compiler) cannot restart it, and the test is skipped
 * with that reason.  Any other failure fails.
 */
#include "ckpt_util.h"

#define RESULT_PATH	"/tmp/ckpt-fixture.result"

FIXTURE(fixture) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(fixture) {
	const char *image;
};

FIXTURE_VARIANT_ADD(fixture, container) {
	.image = "fixtures/container.img",
};

FIXTURE_VARIANT_ADD(fixture, container_v2) {
	.image = "fixtures/container-v2.img",
};

FIXTURE_SETUP(fixture)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	unlink(RESULT_PATH);
}

FIXTURE_TEARDOWN(fixture)
{
	ckpt_ctx_teardown(&self->ctx);
}

TEST_F_TIMEOUT(fixture, restarts_and_finds_its_state, 120)
{
	char result[256] = "";
	int fd, status;
	long pid;

	fd = open(variant->image, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", variant->image, strerror(errno));
	pid = ckpt_call_restart(&self->ctx, 0, fd, RESTART_FILES_CHANGED_OK,
				self->ctx.log_fd);
	close(fd);
	if (pid < 0 && ckpt_log_contains(&self->ctx, "another kernel's vDSO")) {
		ckpt_dump_log(_metadata, &self->ctx);
		SKIP(return, "%s has another kernel's vDSO: made with another compiler?",
		     variant->image);
	}
	ASSERT_LT(0, pid) {
		TH_LOG("restart of %s: %s", variant->image, strerror(errno));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ckpt_ctx_track(&self->ctx, pid);
	/* SIGUSR1 tells the restored init to check; it is sent until it exits */
	status = ckpt_wait_child(pid, CKPT_EXIT_TIMEOUT_MS, true);
	ASSERT_NE(-1, status) TH_LOG("the restored container did not finish");
	ckpt_read_file(RESULT_PATH, result, sizeof(result));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("the restored init ended with status %#x: %s", status,
		       result[0] ? result : "(no result file)");
		ckpt_dump_log(_metadata, &self->ctx);
	}
}

TEST_HARNESS_MAIN
