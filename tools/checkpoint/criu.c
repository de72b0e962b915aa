// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt criu: answer a container manager that believes it runs CRIU.
 *
 * `ckpt criu` (or ckpt installed under the name criu) handles the
 * commands that runc, crun (libcriu) and Podman run: --version, check and
 * swrk FD, CRIU's RPC server on an inherited SOCK_SEQPACKET socket: one
 * protobuf CriuReq per datagram in, one CriuResp per datagram out.  DUMP
 * and RESTORE become checkpoint(2) and restart(2) (criu_dump.c,
 * criu_restore.c); what each option of the request means here is decided
 * in criu_opts.c.  Documentation/checkpoint/criu.rst describes it all.
 *
 * Everything that happens goes to the request's log file (log_file in the
 * work directory), which the kernel writes into too: runc shows it, and
 * greps it for "Error" after a failure.  Standard output and error are
 * left alone in swrk mode: at RESTORE they are the container's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "criu.h"

/* Lines logged before the request's log file is open (request decoding) */
#define CRIU_PENDING_MAX	16384

static struct {
	char pending[CRIU_PENDING_MAX];
	size_t npending;
	int debug_fd;		/* $CKPT_CRIU_DEBUG_LOG: every line, every request */
} criu_logs = { .debug_fd = -1 };

static const char criu_usage[] =
	"Usage: criu --version | -V\n"
	"       criu check\n"
	"       criu swrk FD\n"
	"       (or: ckpt criu ...)\n"
	"\n"
	"The CRIU-compatible front end of checkpoint(2) and restart(2): container\n"
	"managers (runc, crun, Podman) that find it as criu in PATH checkpoint\n"
	"and restore containers with the kernel's system calls.  swrk FD serves\n"
	"CRIU's RPC protocol on the SOCK_SEQPACKET socket FD; check probes the\n"
	"system calls.  Other CRIU commands are not provided: use ckpt checkpoint\n"
	"and ckpt restart.  See ckpt(1) and Documentation/checkpoint/criu.rst.\n";

uint32_t criu_elapsed_us(const struct timespec *from)
{
	struct timespec now;
	long long us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (now.tv_sec - from->tv_sec) * 1000000LL + (now.tv_nsec - from->tv_nsec) / 1000;
	return us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void criu_write_line(int fd, const char *line, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line += n;
		len -= n;
	}
}

static void criu_vlog(struct criu_ctx *c, const char *prefix, const char *fmt, va_list ap)
{
	uint32_t us = criu_elapsed_us(&c->t0);
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), "(%02u.%06u) %s", us / 1000000, us % 1000000, prefix);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (c->log_fd >= 0) {
		criu_write_line(c->log_fd, line, n);
	} else if (criu_logs.npending + n <= sizeof(criu_logs.pending)) {
		memcpy(criu_logs.pending + criu_logs.npending, line, n);
		criu_logs.npending += n;
	}
	if (criu_logs.debug_fd >= 0)
		criu_write_line(criu_logs.debug_fd, line, n);
}

void criu_log(struct criu_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	criu_vlog(c, "", fmt, ap);
	va_end(ap);
}

/*
 * A failure: logged as "Error (ckpt criu): ..." (runc greps the log for
 * "Error"), and the first one of the request becomes its cr_errno and
 * cr_errmsg.  Returns -1.
 */
int criu_fail(struct criu_ctx *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (!c->err) {
		c->err = err ? err : EINVAL;
		va_start(ap, fmt);
		vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
		va_end(ap);
	}
	va_start(ap, fmt);
	criu_vlog(c, "Error (ckpt criu): ", fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The request's log file: log_file (CRIU's default criu.log) in the work
 * directory, appended to by us and by the kernel (the logfd of the system
 * calls) alike; readable, so that the kernel's summary can be read back.
 */
int criu_open_log(struct criu_ctx *c, const CriuOpts *o)
{
	const char *name = o->log_file && *o->log_file ? o->log_file : CRIU_DEFAULT_LOG;

	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return criu_fail(c, EINVAL,
				 "log_file %s: no directories are allowed (it is in the work directory)",
				 name);
	c->log_fd = openat(c->work_dir, name,
			   O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (c->log_fd < 0)
		return criu_fail(c, errno, "log_file %s: %s", name, strerror(errno));
	criu_write_line(c->log_fd, criu_logs.pending, criu_logs.npending);
	criu_logs.npending = 0;
	criu_log(c, "log file %s in the work directory", name);
	return 0;
}

static void criu_ctx_init(struct criu_ctx *c, int sk, pid_t peer)
{
	memset(c, 0, sizeof(*c));
	c->sk = sk;
	c->peer = peer;
	c->img_dir = -1;
	c->work_dir = -1;
	c->log_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
}

static void criu_ctx_fini(struct criu_ctx *c)
{
	if (c->work_dir >= 0 && c->work_dir != c->img_dir)
		close(c->work_dir);
	if (c->img_dir >= 0)
		close(c->img_dir);
	if (c->log_fd >= 0)
		close(c->log_fd);
	c->work_dir = -1;
	c->img_dir = -1;
	c->log_fd = -1;
	criu_logs.npending = 0;
}

static const char *criu_type_name(int type)
{
	const ProtobufCEnumValue *v;

	v = protobuf_c_enum_descriptor_get_value(&criu_req_type__descriptor, type);
	return v ? v->name : "unknown";
}

/* A response; with fd in SCM_RIGHTS unless it is -1 */
static int criu_send_fd(struct criu_ctx *c, const CriuResp *resp, int fd)
{
	uint8_t buf[CRIU_RESP_MAX];
	size_t len = criu_resp__get_packed_size(resp);
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (len > sizeof(buf)) {
		criu_log(c, "response of %zu bytes is too large", len);
		return -1;
	}
	criu_resp__pack(resp, buf);
	if (fd >= 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do {
		n = sendmsg(c->sk, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		criu_log(c, "cannot send the response: %s", n < 0 ? strerror(errno) : "short send");
		return -1;
	}
	return 0;
}

static int criu_send(struct criu_ctx *c, const CriuResp *resp)
{
	return criu_send_fd(c, resp, -1);
}

/* The final response of a request; with its error if it failed */
static int criu_respond(struct criu_ctx *c, CriuResp *resp)
{
	if (!resp->success) {
		resp->has_cr_errno = true;
		resp->cr_errno = c->err ? c->err : EINVAL;
		resp->cr_errmsg = c->errmsg[0] ? c->errmsg : NULL;
	}
	criu_log(c, "response %s: %s%s%s", criu_type_name(resp->type),
		 resp->success ? "success" : "failure: ",
		 resp->success ? "" : strerror(resp->cr_errno),
		 resp->success || !c->errmsg[0] ? "" : " (see the Error line)");
	return criu_send(c, resp);
}

/* Discard a datagram we will not read */
static void criu_drop(int sk)
{
	char b;

	recv(sk, &b, 1, MSG_TRUNC);
}

/*
 * The next request, sized with MSG_PEEK | MSG_TRUNC.  Returns 0, 1 at the
 * end (the peer closed its end; an empty datagram reads the same), or -1
 * (logged, with c->err set).
 */
static int criu_recv(struct criu_ctx *c, CriuReq **req)
{
	uint8_t *buf;
	ssize_t len;

	do {
		len = recv(c->sk, NULL, 0, MSG_PEEK | MSG_TRUNC);
	} while (len < 0 && errno == EINTR);
	if (len < 0)
		return criu_fail(c, errno, "cannot read a request: %s", strerror(errno));
	if (!len) {
		criu_drop(c->sk);
		return 1;
	}
	if ((size_t)len > CRIU_REQ_MAX) {
		criu_drop(c->sk);
		return criu_fail(c, EMSGSIZE, "a request of %zd bytes is larger than %u", len,
				 CRIU_REQ_MAX);
	}
	buf = malloc(len);
	if (!buf)
		return criu_fail(c, ENOMEM, "no memory for a request of %zd bytes", len);
	len = recv(c->sk, buf, len, 0);
	if (len <= 0) {
		free(buf);
		return criu_fail(c, errno, "cannot read a request: %s", strerror(errno));
	}
	*req = criu_req__unpack(NULL, len, buf);
	free(buf);
	if (!*req)
		return criu_fail(c, EBADMSG, "a request of %zd bytes is not a CriuReq", len);
	return 0;
}

/*
 * CRIU's notification: a NOTIFY response naming the script (with the
 * pid for setup-namespaces and post-restore), answered by a NOTIFY
 * request whose notify_success says whether to go on.  Nothing is sent
 * without notify_scripts.
 */
/*
 * A notification, and the caller's answer; fd, unless -1, goes with it in
 * SCM_RIGHTS, as CRIU sends orphan-pts-master's.  0, or -1 if refused.
 */
int criu_notify_fd(struct criu_ctx *c, const char *script, pid_t pid, int fd)
{
	CriuNotify n = CRIU_NOTIFY__INIT;
	CriuResp resp = CRIU_RESP__INIT;
	CriuReq *req = NULL;
	bool ok;
	int ret;

	if (!c->notify)
		return 0;
	resp.type = CRIU_REQ_TYPE__NOTIFY;
	resp.success = true;
	resp.notify = &n;
	n.script = (char *)script;
	n.has_pid = pid > 0;
	n.pid = pid;
	if (pid > 0)
		criu_log(c, "notify %s, pid %d", script, pid);
	else if (fd >= 0)
		criu_log(c, "notify %s, with fd %d", script, fd);
	else
		criu_log(c, "notify %s", script);
	if (criu_send_fd(c, &resp, fd))
		return criu_fail(c, ECONNRESET, "notify %s: the caller is gone", script);
	ret = criu_recv(c, &req);
	if (ret > 0)
		return criu_fail(c, ECONNRESET, "notify %s: the caller closed the socket", script);
	if (ret < 0)
		return -1;
	ok = req->type == CRIU_REQ_TYPE__NOTIFY && req->has_notify_success && req->notify_success;
	if (!ok)
		criu_fail(c, ECANCELED, "notify %s: the caller answered %s%s", script,
			  criu_type_name(req->type),
			  req->type == CRIU_REQ_TYPE__NOTIFY ? " with failure" : ", not NOTIFY");
	criu_req__free_unpacked(req, NULL);
	return ok ? 0 : -1;
}

int criu_notify(struct criu_ctx *c, const char *script, pid_t pid)
{
	return criu_notify_fd(c, script, pid, -1);
}

/*
 * Do the system calls exist, with what container managers need?  A call
 * with arguments that the kernel refuses before doing anything tells.
 * Returns 0, or -1 with the reason in why.
 */
static int criu_probe(char *why, size_t len)
{
	struct ckpt_external e = { .kind = CKPT_EXT_FILE };
	int null, unused;
	long ret;

	if (ckpt_kernel_mismatch(why, len))
		return -1;
	ret = ckpt_sys_checkpoint(0, -1, 1UL << 63, -1);
	if (ret < 0 && errno == ENOSYS) {
		snprintf(why, len,
			 "the running kernel has no checkpoint(2) system call (it needs CONFIG_CHECKPOINT=y)");
		return -1;
	}
	if (ret >= 0 || errno != EINVAL) {
		snprintf(why, len,
			 "checkpoint(2) with an unknown flag did not fail with EINVAL: %s",
			 ret < 0 ? strerror(errno) : "it succeeded");
		return -1;
	}
	/* Past the flags, restart(2) fails on fd -1: RESTART_SIBLING is known */
	if (getpid() != 1 && ckpt_sys_restart(-1, RESTART_SIBLING, -1, NULL, 0) < 0 &&
	    errno != EBADF) {
		snprintf(why, len, "restart(2) does not know RESTART_SIBLING, which runc needs: %s",
			 strerror(errno));
		return -1;
	}
	/* An external file on an fd that is not open: EBADF if the kind is known */
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	unused = null >= 0 ? dup(null) : -1;
	if (unused < 0) {
		snprintf(why, len, "/dev/null: %s", strerror(errno));
		if (null >= 0)
			close(null);
		return -1;
	}
	close(unused);
	e.fd = unused;
	snprintf(e.key, sizeof(e.key), "pipe:[0]");
	ret = ckpt_sys_restart(null, RESTART_EXTERNAL, -1, &e, 1);
	close(null);
	if (ret >= 0 || errno != EBADF) {
		snprintf(why, len, "restart(2) does not know CKPT_EXT_FILE, which runc needs: %s",
			 ret < 0 ? strerror(errno) : "it succeeded");
		return -1;
	}
	return 0;
}

static int criu_version(struct criu_ctx *c, CriuReq *req)
{
	CriuResp resp = CRIU_RESP__INIT;
	CriuVersion v = CRIU_VERSION__INIT;

	v.major_number = CRIU_COMPAT_MAJOR;
	v.minor_number = CRIU_COMPAT_MINOR;
	v.has_sublevel = true;
	v.sublevel = CRIU_COMPAT_SUBLEVEL;
	v.name = "ckpt: the checkpoint(2)/restart(2) front end";
	resp.type = req->type;
	resp.success = true;
	resp.version = &v;
	criu_log(c, "version %d.%d.%d (%d)", v.major_number, v.minor_number, v.sublevel,
		 v.major_number * 10000 + v.minor_number * 100 + v.sublevel);
	return criu_respond(c, &resp);
}

static int criu_check(struct criu_ctx *c, CriuReq *req)
{
	CriuResp resp = CRIU_RESP__INIT;
	char why[512];

	resp.type = req->type;
	resp.success = !criu_probe(why, sizeof(why));
	if (resp.success)
		criu_log(c, "check: the system calls are there");
	else
		criu_fail(c, ENOSYS, "check: %s", why);
	return criu_respond(c, &resp);
}

/*
 * We track memory (CHECKPOINT_TRACK, CHECKPOINT_PREDUMP: a kernel without
 * soft-dirty bits says so at PRE_DUMP), serve no lazy pages and store no
 * pidfds
 */
static int criu_feature_check(struct criu_ctx *c, CriuReq *req)
{
	CriuResp resp = CRIU_RESP__INIT;
	CriuFeatures f = CRIU_FEATURES__INIT;
	const CriuFeatures *asked = req->features;

	criu_log(c,
		 "feature check: mem_track %s, lazy_pages %s, pidfd_store %s asked: mem_track is provided",
		 asked && asked->has_mem_track && asked->mem_track ? "is" : "not",
		 asked && asked->has_lazy_pages && asked->lazy_pages ? "is" : "not",
		 asked && asked->has_pidfd_store && asked->pidfd_store ? "is" : "not");
	f.has_mem_track = true;
	f.mem_track = true;
	f.has_lazy_pages = true;
	f.has_pidfd_store = true;
	resp.type = req->type;
	resp.success = true;
	resp.features = &f;
	return criu_respond(c, &resp);
}

static int criu_unsupported(struct criu_ctx *c, CriuReq *req)
{
	CriuResp resp = CRIU_RESP__INIT;

	resp.type = req->type;
	criu_fail(c, EOPNOTSUPP,
		  "request %s (%d) is not supported by the checkpoint(2)/restart(2) front end",
		  criu_type_name(req->type), req->type);
	return criu_respond(c, &resp);
}

/* DUMP, or PRE_DUMP */
static int criu_do_dump(struct criu_ctx *c, CriuReq *req)
{
	CriuResp resp = CRIU_RESP__INIT;
	CriuDumpResp d = CRIU_DUMP_RESP__INIT;
	bool predump = req->type == CRIU_REQ_TYPE__PRE_DUMP;
	int ret;

	ret = req->opts ? criu_dump(c, req->opts, predump) :
		criu_fail(c, EINVAL, "%s without opts", criu_type_name(req->type));
	resp.type = req->type;
	resp.success = !ret;
	resp.dump = &d;
	d.has_restored = true;
	return criu_respond(c, &resp) ?: ret;
}

static int criu_do_restore(struct criu_ctx *c, CriuReq *req)
{
	CriuResp resp = CRIU_RESP__INIT;
	CriuRestoreResp r = CRIU_RESTORE_RESP__INIT;
	pid_t pid = -1;
	int ret;

	ret = req->opts ? criu_restore(c, req->opts, &pid) :
		criu_fail(c, EINVAL, "RESTORE without opts");
	resp.type = CRIU_REQ_TYPE__RESTORE;
	resp.success = !ret;
	resp.restore = &r;
	r.pid = ret ? -1 : pid;
	return criu_respond(c, &resp) ?: ret;
}

/* Serve one request; *done: the session ends after it */
static int criu_serve(struct criu_ctx *c, CriuReq *req, bool *done)
{
	c->op = criu_type_name(req->type);
	criu_log(c, "request %s (%d)%s from pid %d", criu_type_name(req->type), req->type,
		 req->has_keep_open && req->keep_open ? ", keep_open" : "", c->peer);
	switch (req->type) {
	case CRIU_REQ_TYPE__VERSION:
		return criu_version(c, req);
	case CRIU_REQ_TYPE__CHECK:
		return criu_check(c, req);
	case CRIU_REQ_TYPE__FEATURE_CHECK:
		return criu_feature_check(c, req);
	case CRIU_REQ_TYPE__DUMP:
		*done = !(req->has_keep_open && req->keep_open);
		return criu_do_dump(c, req);
	case CRIU_REQ_TYPE__PRE_DUMP:
		/* As CRIU: more requests may follow (runc closes the socket) */
		return criu_do_dump(c, req);
	case CRIU_REQ_TYPE__RESTORE:
		*done = !(req->has_keep_open && req->keep_open);
		return criu_do_restore(c, req);
	default:
		return criu_unsupported(c, req);
	}
}

/* A request that cannot be read: say so if we can, and end */
static int criu_bad_request(struct criu_ctx *c)
{
	CriuResp resp = CRIU_RESP__INIT;

	resp.type = CRIU_REQ_TYPE__EMPTY;
	criu_respond(c, &resp);
	return CKPT_EXIT_FAIL;
}

/*
 * Requests until the peer closes its end, or until a DUMP or RESTORE
 * without keep_open.  Exits 0, or 1 if that DUMP or RESTORE failed or
 * the protocol broke.
 */
static int criu_swrk(int sk)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct criu_ctx c;
	CriuReq *req;
	bool done = false;
	int ret = 0;

	if (getsockopt(sk, SOL_SOCKET, SO_PEERCRED, &cred, &clen))
		cred.pid = 0;
	while (!done) {
		criu_ctx_init(&c, sk, cred.pid);
		req = NULL;
		ret = criu_recv(&c, &req);
		if (ret > 0) {
			criu_log(&c, "the caller closed the socket: done");
			return CKPT_EXIT_OK;
		}
		if (ret < 0)
			return criu_bad_request(&c);
		ret = criu_serve(&c, req, &done);
		criu_req__free_unpacked(req, NULL);
		criu_ctx_fini(&c);
	}
	return ret ? CKPT_EXIT_FAIL : CKPT_EXIT_OK;
}

static int criu_cmd_swrk(int argc, char **argv)
{
	const char *dbg = getenv("CKPT_CRIU_DEBUG_LOG");
	int fd, type;
	socklen_t len = sizeof(type);
	char *end;
	long v;

	if (argc != 3) {
		fputs(criu_usage, stderr);
		return CKPT_EXIT_FAIL;
	}
	errno = 0;
	v = strtol(argv[2], &end, 10);
	if (errno || end == argv[2] || *end || v < 0 || v > INT_MAX) {
		fprintf(stderr, "criu: swrk: %s is not a descriptor number\n", argv[2]);
		return CKPT_EXIT_FAIL;
	}
	fd = v;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_SEQPACKET) {
		fprintf(stderr, "criu: swrk: descriptor %d is not a SOCK_SEQPACKET socket\n", fd);
		return CKPT_EXIT_FAIL;
	}
	if (dbg && *dbg)
		criu_logs.debug_fd = open(dbg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	return criu_swrk(fd);
}

static int criu_cmd_check(int argc, char **argv)
{
	char why[512];

	if (argc != 2) {
		fputs(criu_usage, stderr);
		return CKPT_EXIT_FAIL;
	}
	if (criu_probe(why, sizeof(why))) {
		fprintf(stderr, "Error (ckpt criu): %s\n", why);
		return CKPT_EXIT_FAIL;
	}
	printf("Looks good.\n");
	return fflush(stdout) ? CKPT_EXIT_FAIL : CKPT_EXIT_OK;
}

/* argv[0] is criu (or "criu" from `ckpt criu`) */
int cmd_criu(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fputs(criu_usage, stderr);
		return CKPT_EXIT_FAIL;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("Version: %s\n", CRIU_COMPAT_VERSION);
		printf("ckpt %s: not CRIU, but the checkpoint(2)/restart(2) front end\n",
		       CKPT_TOOL_VERSION);
		return fflush(stdout) ? CKPT_EXIT_FAIL : CKPT_EXIT_OK;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(criu_usage, stdout);
		return CKPT_EXIT_OK;
	}
	if (!strcmp(cmd, "swrk"))
		return criu_cmd_swrk(argc, argv);
	if (!strcmp(cmd, "check"))
		return criu_cmd_check(argc, argv);
	fprintf(stderr,
		"criu: '%s' is not provided by this front end of checkpoint(2)/restart(2): use ckpt checkpoint and ckpt restart, or a container manager (criu swrk)\n",
		cmd);
	return CKPT_EXIT_FAIL;
}
