// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of `ckpt criu` (no checkpoint kernel needed): a client that
 * runs `ckpt criu swrk FD` on a SOCK_SEQPACKET socketpair as runc and
 * go-criu do, and checks its answers, its log files and how it ends; and
 * round trips of the CRIU files criu_img.c writes, decoded with
 * protobuf-c.
 *
 *   criu-test CKPT [NOSYS_CKPT]
 *
 * CKPT is the binary under test; NOSYS_CKPT, if given, one built with
 * syscall numbers no kernel has, whose DUMP and RESTORE reach the system
 * call (and fail with ENOSYS) on any host.  Prints one line per test:
 * "PASS: name", "FAIL: name: why" or "SKIP: name: why" (tests/run.sh
 * turns them into TAP); exits 1 if one failed.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/checkpoint.h>

#include "criu.h"
#include "criu_inventory.pb-c.h"
#include "criu_stats.pb-c.h"
#include "result.h"

#define RESP_MAX	(40 * 1024)	/* what runc reads */

static const char *ckpt, *nosys;
static char tmp[32] = "/tmp/criu-test.XXXXXX";

struct swrk {
	pid_t pid;
	int sk;
	char out[300];		/* its standard output and error */
};

static char *path_in(const char *dir, const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s/%s", tmp, dir, name);
	return buf[i];
}

static char *slurp(const char *path)
{
	static char buf[65536];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static int mkdir_in(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmp, dir);
	mkdir(path, 0700);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* `BINARY criu swrk FD` with stdin_fd (or /dev/null) as its stdin; our end of the socket */
static void swrk_start(struct swrk *s, const char *binary, int fd, int stdin_fd)
{
	int sv[2], out;

	socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	snprintf(s->out, sizeof(s->out), "%s/swrk.out", tmp);
	s->pid = fork();
	if (!s->pid) {
		char num[16];

		out = open(s->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(out, 1);
		dup2(out, 2);
		dup2(stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY), 0);
		dup2(sv[1], fd);
		snprintf(num, sizeof(num), "%d", fd);
		execl(binary, "ckpt", "criu", "swrk", num, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	s->sk = sv[0];
}

/* Close our end and wait: its exit status, or -1 - signal if it was killed */
static int swrk_end(struct swrk *s)
{
	int status;

	close(s->sk);
	if (waitpid(s->pid, &status, 0) != s->pid)
		return -1000;
	return WIFSIGNALED(status) ? -1 - WTERMSIG(status) : WEXITSTATUS(status);
}

static void send_raw(struct swrk *s, const void *buf, size_t len)
{
	if (send(s->sk, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		perror("send");
}

static void send_req(struct swrk *s, const CriuReq *req)
{
	uint8_t buf[65536];
	size_t len = criu_req__get_packed_size(req);

	criu_req__pack(req, buf);
	send_raw(s, buf, len);
}

/* The next response, or NULL at the end; sized as CRIU's server does */
static CriuResp *recv_resp(struct swrk *s)
{
	uint8_t buf[RESP_MAX];
	ssize_t len;

	len = recv(s->sk, NULL, 0, MSG_PEEK | MSG_TRUNC);
	if (len <= 0 || len > RESP_MAX)
		return NULL;
	len = recv(s->sk, buf, sizeof(buf), 0);
	return len > 0 ? criu_resp__unpack(NULL, len, buf) : NULL;
}

/*
 * The final response of a request, answering NOTIFY responses on the way
 * (refusing the one named refuse); the scripts notified go to seen.
 */
static CriuResp *final_resp(struct swrk *s, const char *refuse, char *seen, size_t len)
{
	CriuReq ans = CRIU_REQ__INIT;
	CriuResp *r;

	seen[0] = '\0';
	while ((r = recv_resp(s)) && r->type == CRIU_REQ_TYPE__NOTIFY) {
		const char *name = r->notify && r->notify->script ? r->notify->script : "?";

		snprintf(seen + strlen(seen), len - strlen(seen), "%s%s", *seen ? "," : "", name);
		if (r->notify && r->notify->has_pid)
			snprintf(seen + strlen(seen), len - strlen(seen), "(pid)");
		ans.type = CRIU_REQ_TYPE__NOTIFY;
		ans.has_notify_success = true;
		ans.notify_success = !refuse || strcmp(refuse, name);
		send_req(s, &ans);
		criu_resp__free_unpacked(r, NULL);
	}
	return r;
}

static CriuResp *simple_req(struct swrk *s, CriuReqType type)
{
	CriuReq req = CRIU_REQ__INIT;

	req.type = type;
	send_req(s, &req);
	return recv_resp(s);
}

/* Run binary with argv; its output (stdout and stderr) in out, its exit status */
static int run(const char *binary, char *const argv[], char *out, size_t len)
{
	int p[2], status;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(binary, argv);
		_exit(127);
	}
	close(p[1]);
	while (got < len - 1 && (n = read(p[0], out + got, len - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_cli(void)
{
	char out[4096], link[512];
	int rc;

	rc = run(ckpt, (char *[]){ "ckpt", "criu", "--version", NULL }, out, sizeof(out));
	result(rc == 0 && !strncmp(out, "Version: 3.15\n", 14) &&
	       strstr(out, "checkpoint(2)/restart(2)"),
	       "ckpt criu --version: Version: 3.15, then what it is", "status %d: %s", rc, out);
	snprintf(link, sizeof(link), "%s/criu", tmp);
	if (symlink(ckpt, link)) {
		result(false, "argv[0] criu", "symlink: %s", strerror(errno));
		return;
	}
	rc = run(link, (char *[]){ link, "-V", NULL }, out, sizeof(out));
	result(rc == 0 && !strncmp(out, "Version: 3.15\n", 14),
	       "a symlink named criu runs ckpt criu (criu -V)", "status %d: %s", rc, out);
	rc = run(link, (char *[]){ "criu", "check", NULL }, out, sizeof(out));
	result((rc == 0 && !strcmp(out, "Looks good.\n")) ||
	       (rc == 1 && !strncmp(out, "Error (ckpt criu): ", 19)),
	       "criu check: Looks good. (0) or Error (ckpt criu): why (1)", "status %d: %s",
	       rc, out);
	rc = run(link, (char *[]){ "criu", "dump", "-t", "1", NULL }, out, sizeof(out));
	result(rc == 1 && strstr(out, "'dump' is not provided"),
	       "criu dump: not provided, status 1", "status %d: %s", rc, out);
}

/* VERSION as go-criu sends it (no opts, socket on fd 5), then more, then EOF */
static void test_version(void)
{
	struct swrk s;
	CriuResp *r;
	int v = 0, rc;

	swrk_start(&s, ckpt, 5, -1);
	r = simple_req(&s, CRIU_REQ_TYPE__VERSION);
	if (r && r->version)
		v = r->version->major_number * 10000 + r->version->minor_number * 100 +
		    (r->version->has_sublevel ? r->version->sublevel : 0);
	result(r && r->type == CRIU_REQ_TYPE__VERSION && r->success && r->version &&
	       !r->version->gitid && v == 31500,
	       "VERSION: 3.15.0 (go-criu: 31500), no gitid", "version %d", v);
	if (r)
		criu_resp__free_unpacked(r, NULL);
	r = simple_req(&s, CRIU_REQ_TYPE__CHECK);
	result(r && r->type == CRIU_REQ_TYPE__CHECK &&
	       (r->success || (r->has_cr_errno && r->cr_errmsg && *r->cr_errmsg)),
	       "CHECK: success, or an errno and the reason", "%s",
	       r && r->cr_errmsg ? r->cr_errmsg : "no response");
	if (r)
		criu_resp__free_unpacked(r, NULL);
	r = simple_req(&s, CRIU_REQ_TYPE__PRE_DUMP);
	result(r && r->type == CRIU_REQ_TYPE__PRE_DUMP && !r->success &&
	       r->cr_errno == EINVAL && r->cr_errmsg &&
	       strstr(r->cr_errmsg, "PRE_DUMP without opts"),
	       "PRE_DUMP without opts: EINVAL, named; the session goes on", "%s",
	       r && r->cr_errmsg ? r->cr_errmsg : "no response");
	if (r)
		criu_resp__free_unpacked(r, NULL);
	rc = swrk_end(&s);
	result(rc == 0 && !*slurp(s.out), "the session ends at EOF, status 0, nothing printed",
	       "status %d, output: %s", rc, slurp(s.out));
}

static void test_features(void)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuFeatures f = CRIU_FEATURES__INIT;
	struct swrk s;
	CriuResp *r;
	bool ok;

	swrk_start(&s, ckpt, 3, -1);
	f.has_mem_track = true;
	f.has_lazy_pages = true;
	f.mem_track = true;
	f.lazy_pages = true;
	req.type = CRIU_REQ_TYPE__FEATURE_CHECK;
	req.features = &f;
	send_req(&s, &req);
	r = recv_resp(&s);
	ok = r && r->success && r->type == CRIU_REQ_TYPE__FEATURE_CHECK && r->features &&
	     r->features->has_mem_track && r->features->mem_track &&
	     r->features->has_lazy_pages && !r->features->lazy_pages &&
	     r->features->has_pidfd_store && !r->features->pidfd_store;
	result(ok, "FEATURE_CHECK: success, mem_track true, lazy_pages and pidfd_store false", "");
	if (r)
		criu_resp__free_unpacked(r, NULL);
	result(swrk_end(&s) == 0, "FEATURE_CHECK: status 0 at EOF", "");
}

/* A DUMP request, answering its notifications (refusing the one named refuse) */
static CriuResp *dump_req(const char *bin, CriuOpts *o, const char *refuse, char *seen,
			  size_t len, int *rc)
{
	CriuReq req = CRIU_REQ__INIT;
	struct swrk s;
	CriuResp *r;

	req.type = CRIU_REQ_TYPE__DUMP;
	req.opts = o;
	swrk_start(&s, bin, 3, -1);
	send_req(&s, &req);
	r = final_resp(&s, refuse, seen, len);
	*rc = swrk_end(&s);
	return r;
}

static CriuResp *dump_refused(const char *bin, CriuOpts *o, int *rc)
{
	char seen[256];

	return dump_req(bin, o, NULL, seen, sizeof(seen), rc);
}

static void test_dump_refused(void)
{
	CriuOpts o = CRIU_OPTS__INIT;
	CriuResp *r;
	int img, work, rc;
	char *log;

	img = mkdir_in("img");
	work = mkdir_in("work");
	o.images_dir_fd = img;	/* O_CLOEXEC: only /proc/PEER/fd reaches it */
	o.has_pid = true;
	o.pid = getppid();
	o.log_file = "dump.log";
	o.has_lazy_pages = true;
	o.lazy_pages = true;
	o.has_shell_job = true;
	r = dump_refused(ckpt, &o, &rc);
	log = slurp(path_in("img", "dump.log"));
	result(r && r->type == CRIU_REQ_TYPE__DUMP && !r->success && r->cr_errno == EOPNOTSUPP &&
	       r->cr_errmsg && strstr(r->cr_errmsg, "lazy_pages") && rc == 1,
	       "DUMP lazy_pages=true: EOPNOTSUPP naming it, status 1", "%s, status %d",
	       r && r->cr_errmsg ? r->cr_errmsg : "no response", rc);
	result(strstr(log, "Error (ckpt criu): option lazy_pages = true is not supported") &&
	       strstr(log, "option shell_job = false: the default"),
	       "DUMP: the log, in the images directory found through /proc/PEER/fd, names the option",
	       "log: %s", log);
	if (r)
		criu_resp__free_unpacked(r, NULL);

	o.has_lazy_pages = false;
	o.has_track_mem = true;
	o.track_mem = true;
	o.parent_img = "../parent";
	o.has_work_dir_fd = true;
	o.work_dir_fd = work;
	r = dump_refused(ckpt, &o, &rc);
	log = slurp(path_in("work", "dump.log"));
	result(r && !r->success && r->cr_errno == ENOENT && r->cr_errmsg &&
	       strstr(r->cr_errmsg, "parent_img ../parent: ckpt.img: No such file") &&
	       strstr(log, "option track_mem = true: used") &&
	       strstr(log, "option parent_img = \"../parent\": used"),
	       "DUMP parent_img without an image there: ENOENT, in the log in work_dir_fd",
	       "%s; log: %s", r && r->cr_errmsg ? r->cr_errmsg : "no response", log);
	if (r)
		criu_resp__free_unpacked(r, NULL);

	o.has_track_mem = false;
	o.parent_img = NULL;
	o.log_file = "../x.log";
	r = dump_refused(ckpt, &o, &rc);
	result(r && !r->success && r->cr_errno == EINVAL && r->cr_errmsg &&
	       strstr(r->cr_errmsg, "log_file"), "DUMP log_file with a directory: EINVAL",
	       "%s", r && r->cr_errmsg ? r->cr_errmsg : "no response");
	if (r)
		criu_resp__free_unpacked(r, NULL);
	close(img);
	close(work);
}

/* A CriuReq{DUMP} whose opts carry field 100 = 1, unknown to rpc.proto */
static void test_unknown_field(void)
{
	CriuOpts o = CRIU_OPTS__INIT;
	uint8_t buf[512], *p = buf;
	struct swrk s;
	CriuResp *r;
	size_t n;
	char seen[64];
	int img = mkdir_in("img");

	o.images_dir_fd = img;
	o.has_pid = true;
	o.pid = getppid();
	n = criu_opts__get_packed_size(&o);
	*p++ = 0x08;			/* field 1 (type), varint */
	*p++ = CRIU_REQ_TYPE__DUMP;
	*p++ = 0x12;			/* field 2 (opts), length-delimited */
	*p++ = n + 3;
	p += criu_opts__pack(&o, p);
	*p++ = 0xa0;			/* field 100, varint: 1 */
	*p++ = 0x06;
	*p++ = 0x01;
	swrk_start(&s, ckpt, 3, -1);
	send_raw(&s, buf, p - buf);
	r = final_resp(&s, NULL, seen, sizeof(seen));
	result(r && !r->success && r->cr_errno == EOPNOTSUPP && r->cr_errmsg &&
	       strstr(r->cr_errmsg, "field 100"),
	       "DUMP with an option field unknown to rpc.proto: refused, named", "%s",
	       r && r->cr_errmsg ? r->cr_errmsg : "no response");
	if (r)
		criu_resp__free_unpacked(r, NULL);
	swrk_end(&s);
	close(img);
}

static void test_garbage(size_t len)
{
	char name[128];
	uint8_t *buf = malloc(len);
	struct swrk s;
	CriuResp *r;
	int rc;

	memset(buf, 0xff, len);
	swrk_start(&s, ckpt, 3, -1);
	send_raw(&s, buf, len);
	free(buf);
	r = recv_resp(&s);
	rc = swrk_end(&s);
	snprintf(name, sizeof(name), "%zu bytes of garbage: an EBADMSG response, status 1", len);
	result(r && !r->success && r->cr_errno == EBADMSG && rc == 1, name,
	       "status %d, %s", rc, r && r->cr_errmsg ? r->cr_errmsg : "no response");
	if (r)
		criu_resp__free_unpacked(r, NULL);
}

/* With the ENOSYS build: the DUMP gets as far as checkpoint(2) */
static void test_dump_nosys(void)
{
	CriuOpts o = CRIU_OPTS__INIT;
	ExtMountMap m = EXT_MOUNT_MAP__INIT, *mp = &m;
	char ext0[] = "mnt[/data]:data", ext1[] = "net[1]:extRootNetNS";
	char *ext[2] = { ext0, ext1 };
	char seen[256], *log;
	CriuResp *r;
	int img = mkdir_in("nosys-img"), rc;
	pid_t child;

	child = fork();
	if (!child) {
		pause();
		_exit(0);
	}
	o.images_dir_fd = img;
	o.has_pid = true;
	o.pid = child;
	o.log_file = "dump.log";
	o.has_log_level = true;
	o.log_level = 4;
	o.has_notify_scripts = true;
	o.notify_scripts = true;
	o.has_manage_cgroups = true;
	o.manage_cgroups = true;
	o.has_orphan_pts_master = true;
	o.orphan_pts_master = true;
	o.has_empty_ns = true;
	o.empty_ns = 0x40000000;	/* CLONE_NEWNET */
	o.config_file = "/etc/criu/runc.conf";
	o.root = "/";
	o.has_lazy_pages = true;	/* false: as unset */
	o.n_ext_mnt = 1;
	o.ext_mnt = &mp;
	m.key = "/etc/hosts";
	m.val = "/etc/hosts";
	o.n_external = 2;
	o.external = ext;
	r = dump_refused(nosys, &o, &rc);
	log = slurp(path_in("nosys-img", "dump.log"));
	result(r && !r->success && r->cr_errno == ENOSYS && rc == 1 &&
	       strstr(log, "checkpoint(2) of pid") && strstr(log, "flags 0xd") &&
	       strstr(log, "Error (ckpt criu): checkpoint(2) of pid") &&
	       strstr(log, "external mount /data, named data") &&
	       strstr(log, "external net[1]: not the tasks'"),
	       "DUMP as runc sends it reaches checkpoint(2), KILL|SHARED_OK|ROOT_RELATIVE (ENOSYS build)",
	       "errno %d, status %d; log: %s", r ? r->cr_errno : -1, rc, log);
	result(faccessat(img, CRIU_IMG_FILE, F_OK, 0) &&
	       faccessat(img, CRIU_INVENTORY_FILE, F_OK, 0),
	       "a failed DUMP leaves no ckpt.img and no inventory.img", "");
	if (r)
		criu_resp__free_unpacked(r, NULL);

	o.n_external = 0;
	r = dump_req(nosys, &o, "pre-dump", seen, sizeof(seen), &rc);
	log = slurp(path_in("nosys-img", "dump.log"));
	result(r && !r->success && r->cr_errno == ECANCELED && !strcmp(seen, "pre-dump") &&
	       !strstr(log, "checkpoint(2) of pid"),
	       "DUMP: a refused pre-dump notification stops it before checkpoint(2)",
	       "seen %s; log: %s", seen, log);
	if (r)
		criu_resp__free_unpacked(r, NULL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(img);
}

static void put(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		perror("write");
}

static void put_rec(int fd, uint32_t type, const void *buf, size_t len, size_t pad)
{
	struct ckpt_rec_hdr r = { htole32(type), htole32(len + pad) };
	static const uint8_t zero[8];

	put(fd, &r, sizeof(r));
	put(fd, buf, len);
	put(fd, zero, pad);
}

/* A console's PTY: /dev/pts/CONSOLE_INDEX, its master outside (ORPHAN) */
#define CONSOLE_INDEX	5
#define CONSOLE_KEY	"pty:[5]"

static void put_console(int fd)
{
	static const char ptmx[] = "/dev/ptmx";
	uint8_t buf[sizeof(struct ckpt_pty) + sizeof(ptmx)] = { 0 };
	struct ckpt_pty *t = (struct ckpt_pty *)buf;

	t->objref = htole32(40);
	t->index = htole32(CONSOLE_INDEX);
	t->flags = htole32(CKPT_PTY_ORPHAN);
	t->path_len = htole32(sizeof(ptmx));
	memcpy(t + 1, ptmx, sizeof(ptmx));
	put_rec(fd, CKPT_REC_PTY, buf, sizeof(buf), ((sizeof(buf) + 7) & ~7UL) - sizeof(buf));
}

/* A minimal image: HEADER, [MNTNS,] PAGES of 2 pages, [PTY,] TRAILER */
static void make_image(int dirfd, bool mntns, bool console)
{
	struct ckpt_image_header h = { 0 };
	static uint8_t data[sizeof(struct ckpt_pages) + 2 * 4096];
	struct ckpt_pages *p = (struct ckpt_pages *)data;
	int fd = openat(dirfd, CRIU_IMG_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	h.magic = htole64(CKPT_IMAGE_MAGIC);
	/* Its records are laid out as in format version 1 (it has no FILE or FILES) */
	h.version = htole32(1);
	h.page_size = htole32(4096);
	h.nr_tasks = htole32(1);
	put_rec(fd, CKPT_REC_HEADER, &h, sizeof(h), ((sizeof(h) + 7) & ~7UL) - sizeof(h));
	if (mntns)
		put_rec(fd, CKPT_REC_MNTNS, data + 8, 8, 0);
	p->nr_pages = htole32(2);
	put_rec(fd, CKPT_REC_PAGES, data, sizeof(data), 0);
	if (console)
		put_console(fd);
	put_rec(fd, CKPT_REC_TRAILER, data + 8, 16, 0);
	close(fd);
}

static CriuResp *restore_req(const char *bin, CriuOpts *o, int stdin_fd, char *seen,
			     size_t len, int *rc)
{
	CriuReq req = CRIU_REQ__INIT;
	struct swrk s;
	CriuResp *r;

	req.type = CRIU_REQ_TYPE__RESTORE;
	req.opts = o;
	swrk_start(&s, bin, 3, stdin_fd);
	send_req(&s, &req);
	r = final_resp(&s, NULL, seen, len);
	*rc = swrk_end(&s);
	return r;
}

/* RESTORE requests (as test_restore() makes them) with what cannot be honoured */
static void test_restore_refused(CriuOpts *o, int stdin_fd)
{
	JoinNamespace j = JOIN_NAMESPACE__INIT, *jp = &j;
	CgroupRoot cg = CGROUP_ROOT__INIT, *cgp = &cg;
	ExtMountMap *m = o->ext_mnt[1];
	const char *key = o->inherit_fd[0]->key;
	char seen[256];
	CriuResp *r;
	int rc;

	o->inherit_fd[0]->key = "/etc/passwd";
	r = restore_req(ckpt, o, stdin_fd, seen, sizeof(seen), &rc);
	result(r && !r->success && r->cr_errno == EOPNOTSUPP && r->cr_errmsg &&
	       strstr(r->cr_errmsg, "inherit_fd /etc/passwd") && !*seen,
	       "RESTORE inherit_fd with a path key: refused, named, before any notification",
	       "%s", r && r->cr_errmsg ? r->cr_errmsg : "no response");
	if (r)
		criu_resp__free_unpacked(r, NULL);
	o->inherit_fd[0]->key = (char *)key;

	m->key = "/a-mount-point-of-sixty-four-bytes-is-one-too-many-for-restart-2";
	r = restore_req(ckpt, o, stdin_fd, seen, sizeof(seen), &rc);
	result(r && !r->success && r->cr_errno == ENAMETOOLONG && r->cr_errmsg &&
	       strstr(r->cr_errmsg, m->key), "RESTORE ext_mnt key of 64 bytes: refused, named",
	       "%s", r && r->cr_errmsg ? r->cr_errmsg : "no response");
	if (r)
		criu_resp__free_unpacked(r, NULL);
	m->key = "/data";

	j.ns = "ipc";
	j.ns_file = "/proc/1/ns/ipc";
	o->n_join_ns = 1;
	o->join_ns = &jp;
	r = restore_req(ckpt, o, stdin_fd, seen, sizeof(seen), &rc);
	result(r && !r->success && r->cr_errno == EOPNOTSUPP && r->cr_errmsg &&
	       strstr(r->cr_errmsg, "join_ns"), "RESTORE join_ns: refused, named", "%s",
	       r && r->cr_errmsg ? r->cr_errmsg : "no response");
	if (r)
		criu_resp__free_unpacked(r, NULL);
	o->n_join_ns = 0;

	cg.ctrl = "memory";
	cg.path = "/ct";
	o->n_cg_root = 1;
	o->cg_root = &cgp;
	r = restore_req(ckpt, o, stdin_fd, seen, sizeof(seen), &rc);
	result(r && !r->success && r->cr_errno == EOPNOTSUPP && r->cr_errmsg &&
	       strstr(r->cr_errmsg, "cgroup v1"), "RESTORE cg_root with a v1 controller: refused",
	       "%s", r && r->cr_errmsg ? r->cr_errmsg : "no response");
	if (r)
		criu_resp__free_unpacked(r, NULL);
	o->n_cg_root = 0;
}

/* RESTORE of an image with a console (runc run -t) */
static void test_restore_console(CriuOpts *o, int stdin_fd)
{
	char seen[256], *log;
	CriuResp *r;
	int rc;

	o->orphan_pts_master = false;
	r = restore_req(ckpt, o, stdin_fd, seen, sizeof(seen), &rc);
	result(r && !r->success && r->cr_errno == EOPNOTSUPP && r->cr_errmsg &&
	       strstr(r->cr_errmsg, CONSOLE_KEY) && strstr(r->cr_errmsg, "orphan_pts_master") &&
	       !*seen,
	       "RESTORE of a console without orphan_pts_master: refused, naming both, before any notification",
	       "%s", r && r->cr_errmsg ? r->cr_errmsg : "no response");
	if (r)
		criu_resp__free_unpacked(r, NULL);
	o->orphan_pts_master = true;

	o->notify_scripts = false;
	r = restore_req(ckpt, o, stdin_fd, seen, sizeof(seen), &rc);
	result(r && !r->success && r->cr_errno == EINVAL && r->cr_errmsg &&
	       strstr(r->cr_errmsg, "notify_scripts"),
	       "RESTORE of a console without notify_scripts: EINVAL (the master goes with a notification)",
	       "%s", r && r->cr_errmsg ? r->cr_errmsg : "no response");
	if (r)
		criu_resp__free_unpacked(r, NULL);
	o->notify_scripts = true;

	if (!nosys) {
		printf("SKIP: RESTORE of a console reaches restart(2): no ENOSYS build\n");
		return;
	}
	r = restore_req(nosys, o, stdin_fd, seen, sizeof(seen), &rc);
	log = slurp(path_in("rst-img", "restore.log"));
	result(r && !r->success && r->cr_errno == ENOSYS && !strcmp(seen, "pre-restore") &&
	       strstr(log, "1 console(s)") && strstr(log, "PTY " CONSOLE_KEY ", fd") &&
	       strstr(log, "6 external(s)") && !strstr(log, "orphan-pts-master,"),
	       "RESTORE of a console: its CKPT_EXT_PTY reaches restart(2) (ENOSYS build)",
	       "seen %s, status %d; log: %s", seen, rc, log);
	if (r)
		criu_resp__free_unpacked(r, NULL);
}

static void test_restore(void)
{
	CkptCriuMount km[2] = { CKPT_CRIU_MOUNT__INIT, CKPT_CRIU_MOUNT__INIT };
	struct CkptCriuMount *kmp[2] = { &km[0], &km[1] };
	CkptCriuDump d = CKPT_CRIU_DUMP__INIT;
	CriuOpts o = CRIU_OPTS__INIT;
	ExtMountMap m[2] = { EXT_MOUNT_MAP__INIT, EXT_MOUNT_MAP__INIT }, *mp[2] = { &m[0], &m[1] };
	InheritFd in[2] = { INHERIT_FD__INIT, INHERIT_FD__INIT }, *inp[2] = { &in[0], &in[1] };
	char seen[256], *log, pipekey[32];
	int img = mkdir_in("rst-img"), pfd[2], rc;
	struct stat st;
	CriuResp *r;

	mkdir_in("root");
	mkdir_in("data");
	make_image(img, true, false);
	d.version = CKPT_CRIU_DUMP_VERSION;
	d.pid = 1234;
	/* As runc names a masked path and a device */
	d.n_mounts = 2;
	d.mounts = kmp;
	km[0].mountpoint = "/proc/kcore";
	km[0].name = "/dev/null";
	km[1].mountpoint = "/dev/null";
	km[1].name = "/dev/null";
	criu_write_dump_info(img, &d);
	if (pipe(pfd) || fstat(pfd[0], &st))
		return;
	snprintf(pipekey, sizeof(pipekey), "pipe:[%lu]", (unsigned long)st.st_ino);

	o.images_dir_fd = img;
	o.log_file = "restore.log";
	o.root = path_in("root", "");
	o.has_rst_sibling = true;
	o.rst_sibling = true;
	o.has_notify_scripts = true;
	o.notify_scripts = true;
	o.has_evasive_devices = true;
	o.evasive_devices = true;
	o.has_manage_cgroups = true;
	o.manage_cgroups = true;
	o.has_orphan_pts_master = true;	/* runc always sends it */
	o.orphan_pts_master = true;
	o.n_ext_mnt = 2;
	o.ext_mnt = mp;
	m[0].key = "/dev/null";
	m[0].val = "/dev/null";
	m[1].key = "/data";
	m[1].val = path_in("data", "");
	/* As runc gives a pipe that is both stdout and stderr: twice */
	o.n_inherit_fd = 2;
	o.inherit_fd = inp;
	in[0].key = pipekey;
	in[0].fd = 0;
	in[1].key = pipekey;
	in[1].fd = 0;
	if (!nosys) {
		printf("SKIP: RESTORE reaches restart(2): no ENOSYS build\n");
	} else {
		r = restore_req(nosys, &o, pfd[0], seen, sizeof(seen), &rc);
		log = slurp(path_in("rst-img", "restore.log"));
		result(r && r->type == CRIU_REQ_TYPE__RESTORE && !r->success &&
		       r->cr_errno == ENOSYS && rc == 1 && !strcmp(seen, "pre-restore") &&
		       strstr(log, "MOUNT /proc/kcore, fd") && strstr(log, "MOUNT /dev/null, fd") &&
		       strstr(log, "MOUNT /data, fd") && strstr(log, "MOUNT /, fd") &&
		       strstr(log, "FILE pipe:[") && strstr(log, "EXTERNAL SIBLING") &&
		       strstr(log, "given already") && strstr(log, "5 external(s)") &&
		       strstr(log, "option orphan_pts_master = true: used") &&
		       strstr(log, "0 console(s)"),
		       "RESTORE as runc sends it: the externals and RESTART_SIBLING reach restart(2) (ENOSYS build)",
		       "seen %s, status %d; log: %s", seen, rc, log);
		if (r)
			criu_resp__free_unpacked(r, NULL);
	}

	test_restore_refused(&o, pfd[0]);
	make_image(img, true, true);
	test_restore_console(&o, pfd[0]);
	close(pfd[0]);
	close(pfd[1]);
	close(img);
}

/* The first words of a file */
static void head_of(int dirfd, const char *name, uint32_t *head, size_t len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	memset(head, 0, len);
	if (fd >= 0 && read(fd, head, len) < 0)
		perror(name);
	if (fd >= 0)
		close(fd);
}

static void *read_entry(int dirfd, const char *name, uint32_t m1, uint32_t m2,
			const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *msg = NULL;

	return criu_img_read(dirfd, name, m1, m2, desc, &msg) ? NULL : msg;
}

/* What ckpt criu reads of the kernel's log, after lines of its own */
static const char dump_log[] =
	"(00.000001) ours\n"
	"froze 3 task(s)\n"
	"mm: 40 pages saved, 2 shared\n"
	"stats: memory_us=900 pages_scanned=50 pages_written=38 pages_cow=2 pages_skipped=10\n"
	"checkpoint of 3 task(s) complete: 1234 bytes, 56 records, 1500 us frozen\n"
	"last line without newline";

static const char restore_log[] =
	"stats: memory_us=30 pages_restored=38 pages_cow=2 pages_cow_copied=1\n"
	"restart of 3 task(s) complete: 1234 bytes, 56 records\n";

static void test_files(void)
{
	struct ckpt_img_info info;
	struct ckpt_stats s;
	InventoryEntry *inv;
	StatsEntry *st;
	uint32_t head[3];
	char why[128];
	int dir = mkdir_in("files"), fd, ret;

	ret = criu_write_inventory(dir, 1);
	head_of(dir, CRIU_INVENTORY_FILE, head, sizeof(head));
	inv = read_entry(dir, CRIU_INVENTORY_FILE, 0, CRIU_INVENTORY_MAGIC,
			 &inventory_entry__descriptor);
	result(!ret && le32toh(head[0]) == 0x58313116 && inv && inv->img_version == 2 &&
	       inv->has_fdinfo_per_id && inv->fdinfo_per_id && inv->network_lock_method == 1,
	       "inventory.img: INVENTORY_MAGIC, then InventoryEntry (img_version 2)", "");
	if (inv)
		inventory_entry__free_unpacked(inv, NULL);

	fd = openat(dir, "log", O_RDWR | O_CREAT | O_TRUNC, 0600);
	dprintf(fd, "%s", dump_log);
	ckpt_stats_init(&s);
	ckpt_stat_set(&s, CKPT_STAT_WALL_US, 1507);
	ret = ckpt_stats_read_log(fd, 0, &s);
	result(!ret && s.val[CKPT_STAT_TASKS] == 3 && s.val[CKPT_STAT_IMAGE_BYTES] == 1234 &&
	       s.val[CKPT_STAT_RECORDS] == 56 && s.val[CKPT_STAT_FROZEN_US] == 1500 &&
	       s.val[CKPT_STAT_PAGES_WRITTEN] == 38,
	       "the kernel's summary and stats lines are read from the log", "%d", ret);
	ret = criu_write_dump_stats(dir, &s);
	head_of(dir, CRIU_STATS_DUMP, head, sizeof(head));
	st = read_entry(dir, CRIU_STATS_DUMP, 0x55105940, 0x57093306, &stats_entry__descriptor);
	result(!ret && le32toh(head[0]) == 0x55105940 && le32toh(head[1]) == 0x57093306 &&
	       st && st->dump && st->dump->frozen_time == 1500 && st->dump->freezing_time == 7 &&
	       st->dump->memdump_time == 900 && st->dump->memwrite_time == 900 &&
	       st->dump->pages_scanned == 50 && st->dump->pages_written == 38 &&
	       !st->dump->pages_skipped_parent && !st->restore,
	       "stats-dump: IMG_SERVICE and STATS magics, StatsEntry.dump from the kernel's figures",
	       "");
	if (st)
		stats_entry__free_unpacked(st, NULL);

	/* A kernel without the stats line: pages from the mm lines, scanned as written */
	close(fd);
	ckpt_stats_init(&s);
	ckpt_stats_parse_line(&s, "mm: 42 pages saved");
	ckpt_stats_parse_line(&s,
			      "checkpoint of 1 task(s) complete: 9 bytes, 5 records, 1500 us frozen");
	ckpt_stats_finish(&s);
	ckpt_stat_set(&s, CKPT_STAT_WALL_US, 1000);
	ret = criu_write_dump_stats(dir, &s);
	st = read_entry(dir, CRIU_STATS_DUMP, 0x55105940, 0x57093306, &stats_entry__descriptor);
	result(!ret && st && st->dump && st->dump->pages_written == 42 &&
	       st->dump->pages_scanned == 42 && !st->dump->memdump_time &&
	       st->dump->frozen_time == 1500 && !st->dump->freezing_time,
	       "stats-dump of an older kernel: pages of its mm lines, no memory time", "");
	if (st)
		stats_entry__free_unpacked(st, NULL);

	ckpt_stats_init(&s);
	ckpt_stat_set(&s, CKPT_STAT_WALL_US, 4321);
	ret = criu_write_restore_stats(dir, &s);
	st = read_entry(dir, CRIU_STATS_RESTORE, 0x55105940, 0x57093306, &stats_entry__descriptor);
	result(!ret && st && st->restore && st->restore->restore_time == 4321 && !st->dump &&
	       !st->restore->has_pages_restored,
	       "stats-restore: StatsEntry.restore with restore_time, no pages if unknown", "");
	if (st)
		stats_entry__free_unpacked(st, NULL);

	fd = openat(dir, "rlog", O_RDWR | O_CREAT | O_TRUNC, 0600);
	dprintf(fd, "%s", restore_log);
	ckpt_stats_init(&s);
	ckpt_stat_set(&s, CKPT_STAT_WALL_US, 4321);
	ckpt_stats_read_log(fd, 0, &s);
	close(fd);
	ret = criu_write_restore_stats(dir, &s);
	st = read_entry(dir, CRIU_STATS_RESTORE, 0x55105940, 0x57093306, &stats_entry__descriptor);
	result(!ret && st && st->restore && st->restore->has_pages_restored &&
	       st->restore->pages_restored == 38 && st->restore->pages_skipped_cow == 2 &&
	       st->restore->pages_compared == 3,
	       "stats-restore: pages restored, and kept copy-on-write of those shared", "");
	if (st)
		stats_entry__free_unpacked(st, NULL);

	make_image(dir, false, false);
	fd = openat(dir, CRIU_IMG_FILE, O_RDONLY);
	ret = ckpt_img_scan(fd, true, &info, why, sizeof(why));
	result(!ret && info.complete && info.pages == 2 && !info.mntns && info.page_size == 4096 &&
	       !info.nr_orphan_ptys, "ckpt.img scan: 2 pages, no mount namespace, no console",
	       "%s", why);
	close(fd);
	make_image(dir, false, true);
	fd = openat(dir, CRIU_IMG_FILE, O_RDONLY);
	ret = ckpt_img_scan(fd, true, &info, why, sizeof(why));
	result(!ret && info.complete && info.nr_orphan_ptys == 1 &&
	       info.orphan_pty[0] == CONSOLE_INDEX,
	       "ckpt.img scan: a PTY flagged ORPHAN is a console, by its slave's index", "%s", why);
	close(fd);
	make_image(dir, true, false);
	fd = openat(dir, CRIU_IMG_FILE, O_RDONLY);
	ret = ckpt_img_scan(fd, false, &info, why, sizeof(why));
	result(!ret && info.mntns, "ckpt.img scan: a MNTNS record", "%s", why);
	close(fd);
	close(dir);
}

int main(int argc, char **argv)
{
	char cmd[600];

	if (argc < 2) {
		fprintf(stderr, "usage: criu-test CKPT [NOSYS_CKPT]\n");
		return 2;
	}
	ckpt = argv[1];
	nosys = argc > 2 ? argv[2] : NULL;
	if (!mkdtemp(tmp))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	alarm(120);
	test_cli();
	test_version();
	test_features();
	test_dump_refused();
	test_unknown_field();
	test_garbage(64);
	test_garbage(100000);
	if (nosys)
		test_dump_nosys();
	else
		printf("SKIP: DUMP reaches checkpoint(2): no ENOSYS build\n");
	test_restore();
	test_files();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		return 2;
	return failed ? 1 : 0;
}
