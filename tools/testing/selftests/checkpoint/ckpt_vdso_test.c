// SPDX-License-Identifier: GPL-2.0
/*
 * The vDSO of another kernel.  An image says which vDSO its tasks had
 * (MM.vdso_crc) and what was in it (X86_VDSO: its size and entry points).
 * Restart onto a kernel whose vDSO differs maps this kernel's vDSO at a
 * new address and, where the old one was, a proxy: int3 everywhere but at
 * each old entry point, which jumps to the same-named one of the new vDSO,
 * so that the pointers a program keeps into the vDSO (glibc's, for its
 * time functions) still work.
 *
 * The guest runs one kernel: "another kernel" is this one with a bit of
 * MM.vdso_crc and of X86_VDSO.crc flipped, so the proxy jumps to the same
 * offsets of the new vDSO.  Images the proxy cannot serve (no X86_VDSO
 * record, a symbol this kernel lacks, a task stopped in the old vDSO) are
 * refused with EOPNOTSUPP, damaged X86_VDSO records with EINVAL, and
 * neither leaves a task behind.
 */
#include "ckpt_image.h"

#include <sched.h>
#include <sys/auxv.h>
#include <sys/time.h>

#define NSEC_PER_SEC	1000000000LL

/* Each symbol's jump in the proxy: jmp *0(%rip), then the target */
#define JMP_LEN		14
static const unsigned char jmp_op[6] = { 0xff, 0x25, 0, 0, 0, 0 };

enum {
	V_SETUP = 1,
	V_NO_VDSO,
	V_MOVED,
	V_NOT_MOVED,
	V_RECORD,
	V_PROXY_MAP,
	V_PROXY_SIZE,
	V_PROXY_JUMP,
	V_PROXY_FILL,
	V_OLD_VVAR,
	V_NEW_VVAR,
	V_PROXY_CALL,
	V_MONOTONIC,
	V_REALTIME,
	V_GETTIMEOFDAY,
	V_TIME,
	V_GETCPU,
};

static const char *const vdso_reasons[] = {
	[V_SETUP] = "could not find the vDSO or call the time functions before the checkpoint",
	[V_NO_VDSO] = "no [vdso] in /proc/self/maps after the restart",
	[V_MOVED] = "[vdso] is no longer where AT_SYSINFO_EHDR says it was",
	[V_NOT_MOVED] = "[vdso] is still at the old vDSO's address",
	[V_RECORD] = "cannot read the X86_VDSO record that the test saved",
	[V_PROXY_MAP] = "no r-xp mapping other than [vdso] at the old vDSO's address",
	[V_PROXY_SIZE] = "the mapping at the old address is not as long as the old vDSO text",
	[V_PROXY_JUMP] = "an old entry point does not jump to the same one of the new vDSO",
	[V_PROXY_FILL] = "a byte of the proxy outside the jumps is not int3",
	[V_OLD_VVAR] = "something else than the new vDSO is mapped at the old vvar pages",
	[V_NEW_VVAR] = "no [vvar] mapping right below the new [vdso]",
	[V_PROXY_CALL] = "__vdso_clock_gettime called at its old address is wrong",
	[V_MONOTONIC] = "clock_gettime(CLOCK_MONOTONIC) disagrees with the system call",
	[V_REALTIME] = "clock_gettime(CLOCK_REALTIME) disagrees with the system call",
	[V_GETTIMEOFDAY] = "gettimeofday() disagrees with the system call",
	[V_TIME] = "time() disagrees with the system call",
	[V_GETCPU] = "sched_getcpu() disagrees with the system call",
};

#define REASONS CKPT_REASONS(vdso_reasons)

/* Where the test leaves the X86_VDSO payload for the restored child */
static char vdso_rec_path[160];

/* ---- the child ---- */

struct map {
	unsigned long start, end;
	char perms[5];
	const char *name;	/* "" for an anonymous mapping */
};

/* The next line of ckpt_maps_buf after *@pos, 0; -1 at the end */
static int next_map(char **pos, struct map *m)
{
	char *line, *end, *p;
	int i;

	for (line = *pos; *line; line = end) {
		end = strchrnul(line, '\n');
		if (*end)
			*end++ = '\0';
		if (sscanf(line, "%lx-%lx %4s", &m->start, &m->end, m->perms) != 3)
			continue;
		/* The name follows address, perms, offset, device and inode */
		for (p = line, i = 0; i < 5 && p; i++) {
			p = strchr(p, ' ');
			while (p && *p == ' ')
				p++;
		}
		m->name = p ? p : "";
		*pos = end;
		return 0;
	}
	*pos = line;
	return -1;
}

static char *read_maps(void)
{
	if (ckpt_read_file("/proc/self/maps", ckpt_maps_buf, sizeof(ckpt_maps_buf)) < 0)
		return NULL;
	return ckpt_maps_buf;
}

/* The mapping named @name or, with @name NULL, the one that starts at @at */
static int find_map(const char *name, unsigned long at, struct map *m)
{
	char *pos = read_maps();

	while (pos && !next_map(&pos, m))
		if (name ? !strcmp(m->name, name) : m->start == at)
			return 0;
	return -1;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

typedef int (*gettime_fn)(clockid_t clk, struct timespec *ts);

/* @fn's time of @clk, then the system call's: less than 1 s later, never earlier */
static int clock_ok(gettime_fn fn, clockid_t clk, const char *what)
{
	struct timespec a, b;
	int64_t d;

	if (fn(clk, &a) || syscall(SYS_clock_gettime, clk, &b)) {
		ckpt_child_note("%s(%d): %s", what, clk, strerror(errno));
		return -1;
	}
	d = ts_ns(&b) - ts_ns(&a);
	if (d < 0 || d >= NSEC_PER_SEC) {
		ckpt_child_note("%s(%d) %lld.%09ld, then the system call %lld.%09ld", what, clk,
				(long long)a.tv_sec, a.tv_nsec, (long long)b.tv_sec, b.tv_nsec);
		return -1;
	}
	return 0;
}

/* glibc's time functions, which call the vDSO through its own pointers */
static int libc_time_ok(void)
{
	struct timeval tv, ktv;
	unsigned int kcpu = 0;
	time_t t, kt;
	long ncpu;
	int64_t d;
	int cpu = -1, i;

	if (clock_ok(clock_gettime, CLOCK_MONOTONIC, "clock_gettime"))
		return V_MONOTONIC;
	if (clock_ok(clock_gettime, CLOCK_REALTIME, "clock_gettime"))
		return V_REALTIME;

	if (gettimeofday(&tv, NULL) || syscall(SYS_gettimeofday, &ktv, NULL))
		return V_GETTIMEOFDAY;
	d = (ktv.tv_sec - tv.tv_sec) * 1000000LL + ktv.tv_usec - tv.tv_usec;
	if (d < 0 || d >= 1000000) {
		ckpt_child_note("gettimeofday %lld.%06ld, then the system call %lld.%06ld",
				(long long)tv.tv_sec, (long)tv.tv_usec,
				(long long)ktv.tv_sec, (long)ktv.tv_usec);
		return V_GETTIMEOFDAY;
	}

	t = time(NULL);
	kt = syscall(SYS_time, NULL);
	if (t == (time_t)-1 || kt < t || kt > t + 1) {
		ckpt_child_note("time() %lld, then the system call %lld", (long long)t,
				(long long)kt);
		return V_TIME;
	}

	ncpu = sysconf(_SC_NPROCESSORS_CONF);
	if (ncpu <= 0)
		ncpu = CPU_SETSIZE;
	/* The task may move between the two calls: try again */
	for (i = 0; i < 10; i++) {
		cpu = sched_getcpu();
		if (syscall(SYS_getcpu, &kcpu, NULL, NULL))
			return V_GETCPU;
		if (cpu >= 0 && cpu < ncpu && (unsigned int)cpu == kcpu)
			return 0;
	}
	ckpt_child_note("sched_getcpu() %d, then the system call %u (%ld CPUs)", cpu, kcpu,
			ncpu);
	return V_GETCPU;
}

static char vdso_rec_buf[4096];

/* Does byte @off of the old text belong to a symbol's jump? */
static bool in_jump(const struct ckpt_x86_vdso *v, unsigned long off)
{
	uint32_t i;

	for (i = 0; i < le32toh(v->nr_syms); i++)
		if (off >= le32toh(v->syms[i].offset) &&
		    off < le32toh(v->syms[i].offset) + JMP_LEN)
			return true;
	return false;
}

/* The proxy at @old, described by the saved X86_VDSO, and the new vDSO at @new */
static int proxy_ok(unsigned long old, unsigned long new)
{
	const struct ckpt_x86_vdso *v = (const void *)vdso_rec_buf;
	const unsigned char *text = (const unsigned char *)old;
	unsigned long size, vvar_size, off;
	gettime_fn old_gettime = NULL;
	bool new_vvar = false;
	struct map m = { 0 };
	uint64_t target;
	ssize_t len;
	uint32_t i;
	char *pos;

	len = ckpt_read_file(vdso_rec_path, vdso_rec_buf, sizeof(vdso_rec_buf));
	if (len < (ssize_t)sizeof(*v) ||
	    (size_t)len != sizeof(*v) + le32toh(v->nr_syms) * sizeof(v->syms[0]))
		return V_RECORD;
	size = le32toh(v->size);
	vvar_size = le32toh(v->vvar_size);

	if (find_map(NULL, old, &m) || strcmp(m.perms, "r-xp") || !strcmp(m.name, "[vdso]")) {
		ckpt_child_note("at %lx: %s", old, m.start == old ? m.perms : "nothing");
		return V_PROXY_MAP;
	}
	if (m.end - m.start != size) {
		ckpt_child_note("%lx-%lx at the old vDSO, which had %lu bytes", m.start, m.end,
				size);
		return V_PROXY_SIZE;
	}

	for (i = 0; i < le32toh(v->nr_syms); i++) {
		off = le32toh(v->syms[i].offset);
		if (off + JMP_LEN > size) {
			ckpt_child_note("%.32s at +%#lx: past the end", v->syms[i].name, off);
			return V_RECORD;
		}
		memcpy(&target, text + off + sizeof(jmp_op), sizeof(target));
		if (memcmp(text + off, jmp_op, sizeof(jmp_op)) || target != new + off) {
			ckpt_child_note("%.32s at +%#lx: %02x %02x, to %#llx, not %#lx",
					v->syms[i].name, off, text[off], text[off + 1],
					(unsigned long long)target, new + off);
			return V_PROXY_JUMP;
		}
		if (!strcmp(v->syms[i].name, "__vdso_clock_gettime"))
			old_gettime = (gettime_fn)(old + off);
	}
	for (off = 0; off < size; off++) {
		if (text[off] != 0xcc && !in_jump(v, off)) {
			ckpt_child_note("proxy byte +%#lx is %#x", off, text[off]);
			return V_PROXY_FILL;
		}
	}

	/* The old vvar pages: unmapped, or the new vDSO's if it is there */
	for (pos = read_maps(); pos && !next_map(&pos, &m);) {
		if (!strncmp(m.name, "[vvar", 5) && m.end == new)
			new_vvar = true;
		if (m.end <= old - vvar_size || m.start >= old ||
		    !strncmp(m.name, "[vvar", 5) || !strcmp(m.name, "[vdso]"))
			continue;
		ckpt_child_note("%lx-%lx %s %s at the old vvar pages %lx-%lx", m.start, m.end,
				m.perms, m.name, old - vvar_size, old);
		return V_OLD_VVAR;
	}
	if (!new_vvar)
		return V_NEW_VVAR;

	if (!old_gettime) {
		ckpt_child_note("no __vdso_clock_gettime in the X86_VDSO record");
		return V_PROXY_CALL;
	}
	if (clock_ok(old_gettime, CLOCK_MONOTONIC, "old __vdso_clock_gettime") ||
	    clock_ok(old_gettime, CLOCK_REALTIME, "old __vdso_clock_gettime"))
		return V_PROXY_CALL;
	return 0;
}

/* @arg non-NULL: restored onto "another kernel", whose vDSO is elsewhere */
static int vdso_child(void *arg)
{
	unsigned long old = getauxval(AT_SYSINFO_EHDR);
	bool proxied = arg;
	struct timespec ts;
	struct map m = { 0 };
	struct timeval tv;
	int ret;

	if (!old || find_map("[vdso]", 0, &m) || m.start != old) {
		ckpt_child_note("AT_SYSINFO_EHDR %lx, [vdso] at %lx", old, m.start);
		return V_SETUP;
	}
	/* glibc found them at start-up; use each once all the same */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) || gettimeofday(&tv, NULL) ||
	    time(NULL) == (time_t)-1 || sched_getcpu() < 0)
		return V_SETUP;

	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (find_map("[vdso]", 0, &m))
		return V_NO_VDSO;
	if (!proxied && m.start != old) {
		ckpt_child_note("[vdso] at %lx, was at %lx", m.start, old);
		return V_MOVED;
	}
	if (proxied) {
		if (m.start == old)
			return V_NOT_MOVED;
		ret = proxy_ok(old, m.start);
		if (ret)
			return ret;
	}
	return libc_time_ok();
}

/* ---- the test ---- */

FIXTURE(vdso) {
	struct ckpt_ctx ctx;
	struct image img;
};

FIXTURE_SETUP(vdso)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	snprintf(vdso_rec_path, sizeof(vdso_rec_path), "%s/x86_vdso", self->ctx.dir);
}

FIXTURE_TEARDOWN(vdso)
{
	free(self->img.data);
	free(self->img.recs);
	ckpt_ctx_teardown(&self->ctx);
}

static struct ckpt_rec *vdso_rec(struct image *img)
{
	return find_rec(img, CKPT_REC_X86_VDSO | CKPT_REC_OPTIONAL) ?:
	       find_rec(img, CKPT_REC_X86_VDSO);
}

/* The payload of record @rec of @data, which must hold @size bytes */
static void *payload_of(struct __test_metadata *_metadata, char *data, struct ckpt_rec *rec,
			size_t size)
{
	ASSERT_TRUE(!!rec);
	ASSERT_LE(size, rec->len) TH_LOG("%s record of %u bytes", rec_name(rec->type), rec->len);
	return data + rec->off + sizeof(struct ckpt_rec_hdr);
}

#define MM_OF(data)	((struct ckpt_mm *)payload_of(_metadata, (data),		\
				find_rec(img, CKPT_REC_MM), sizeof(struct ckpt_mm)))
#define VDSO_OF(data)	((struct ckpt_x86_vdso *)payload_of(_metadata, (data),	\
				vdso_rec(img), sizeof(struct ckpt_x86_vdso)))

static void fix_trailer(struct image *img, char *data)
{
	trailer_of(img, data)->crc32c = htole32(crc32c(data, img->recs[img->nr - 1].off));
}

/* As another kernel would have written it: both vDSO checksums changed alike */
static void other_kernels_crc(struct ckpt_mm *mm, struct ckpt_x86_vdso *v)
{
	mm->vdso_crc ^= htole32(1);
	v->crc ^= htole32(1);
}

/* The X86_VDSO record describes the vDSO the task had */
TEST_F_TIMEOUT(vdso, image_describes_the_vdso, 60)
{
	static const char *const needed[] = {
		"__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time", "__vdso_getcpu",
	};
	uint64_t vdso_len = 0, vvar_len = 0;
	struct image *img = &self->img;
	struct ckpt_rec *rec, *cpuid;
	struct ckpt_x86_vdso *v;
	struct ckpt_vma *vma;
	struct ckpt_mm *mm;
	uint32_t n, i, k;
	int r;

	take_image(_metadata, &self->ctx, img);
	mm = MM_OF(img->data);
	rec = vdso_rec(img);
	ASSERT_TRUE(!!rec) TH_LOG("the image has no X86_VDSO record");
	EXPECT_EQ(CKPT_REC_X86_VDSO | CKPT_REC_OPTIONAL, rec->type);
	cpuid = find_rec(img, CKPT_REC_X86_CPUID);
	ASSERT_TRUE(!!cpuid);
	EXPECT_TRUE(rec == cpuid + 1) TH_LOG("X86_VDSO is not right after X86_CPUID");
	v = VDSO_OF(img->data);
	n = le32toh(v->nr_syms);
	ASSERT_LE(1U, n);
	ASSERT_GE((uint32_t)CKPT_X86_VDSO_SYMS_MAX, n);
	ASSERT_EQ(sizeof(*v) + n * sizeof(v->syms[0]), rec->len);
	EXPECT_EQ(le32toh(mm->vdso_crc), le32toh(v->crc));

	for (r = 0; r < img->nr; r++) {
		if (img->recs[r].type != CKPT_REC_VMA)
			continue;
		vma = payload_of(_metadata, img->data, &img->recs[r], sizeof(*vma));
		if (le32toh(vma->kind) == CKPT_VMA_VDSO) {
			EXPECT_EQ(le64toh(mm->vdso), le64toh(vma->start));
			vdso_len += le64toh(vma->end) - le64toh(vma->start);
		} else if (le32toh(vma->kind) == CKPT_VMA_VVAR) {
			vvar_len += le64toh(vma->end) - le64toh(vma->start);
		}
	}
	EXPECT_EQ(vdso_len, le32toh(v->size));
	EXPECT_EQ(vvar_len, le32toh(v->vvar_size));

	for (i = 0; i < n; i++) {
		EXPECT_NE(0, v->syms[i].name[0]) TH_LOG("symbol %u has no name", i);
		EXPECT_TRUE(!!memchr(v->syms[i].name, 0, sizeof(v->syms[i].name)))
			TH_LOG("symbol %u's name is not terminated", i);
		EXPECT_GT(le32toh(v->size), le32toh(v->syms[i].offset))
			TH_LOG("%.32s at %#x", v->syms[i].name, le32toh(v->syms[i].offset));
		EXPECT_EQ(0U, v->syms[i].__pad);
	}
	for (k = 0; k < ARRAY_SIZE(needed); k++) {
		for (i = 0; i < n && strncmp(v->syms[i].name, needed[k], sizeof(v->syms[i].name));
		     i++)
			;
		EXPECT_LT(i, n) TH_LOG("no %s in the X86_VDSO record", needed[k]);
	}
}

/*
 * Restored onto "another kernel", the task finds its vDSO elsewhere and a
 * proxy at the old address, through which glibc's time functions work.
 */
TEST_F_TIMEOUT(vdso, another_kernels_vdso_is_proxied, 120)
{
	struct image *img = &self->img;
	struct ckpt_x86_vdso *v;
	struct ckpt_mm *mm;
	pid_t pid;
	int fd;

	pid = ckpt_spawn(_metadata, &self->ctx, vdso_child, (void *)1);
	image_of_killed(_metadata, &self->ctx, pid, img);
	mm = MM_OF(img->data);
	v = VDSO_OF(img->data);
	ASSERT_NE(0UL, le64toh(mm->vdso));

	/* For the child: where the entry points were */
	fd = open(vdso_rec_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", vdso_rec_path, strerror(errno));
	ASSERT_EQ(0, ckpt_write_all(fd, v, vdso_rec(img)->len));
	close(fd);

	other_kernels_crc(mm, v);
	fix_trailer(img, img->data);
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_write_all(self->ctx.image_fd, img->data, img->len));
	pid = ckpt_restart(_metadata, &self->ctx);
	ASSERT_EQ(img->pid, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/* The control: restored onto the same kernel, the vDSO stays where it was */
TEST_F_TIMEOUT(vdso, same_kernel_vdso_stays_in_place, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, vdso_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, REASONS);
}

/* ---- images the proxy cannot serve, or damaged ---- */

enum {
	NO_RECORD,
	NO_SYMS,
	TOO_MANY_SYMS,
	LENGTH_MISMATCH,
	UNTERMINATED_NAME,
	EMPTY_NAME,
	OFFSET_PAST_SIZE,
	NONZERO_PAD,
	CRC_NOT_MM,
	SIZE_NOT_VMA,
	UNKNOWN_SYMBOL,
	IP_IN_OLD_VDSO,
};

FIXTURE(vdso_refused) {
	struct ckpt_ctx ctx;
	struct image img;
};

FIXTURE_VARIANT(vdso_refused) {
	int what;
	int err;
	const char *logged;	/* besides "vDSO", on the log */
};

FIXTURE_VARIANT_ADD(vdso_refused, no_vdso_record) {
	.what = NO_RECORD, .err = EOPNOTSUPP,
};

FIXTURE_VARIANT_ADD(vdso_refused, no_symbols) {
	.what = NO_SYMS, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(vdso_refused, too_many_symbols) {
	.what = TOO_MANY_SYMS, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(vdso_refused, length_not_symbol_count) {
	.what = LENGTH_MISMATCH, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(vdso_refused, unterminated_name) {
	.what = UNTERMINATED_NAME, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(vdso_refused, empty_name) {
	.what = EMPTY_NAME, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(vdso_refused, offset_past_size) {
	.what = OFFSET_PAST_SIZE, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(vdso_refused, nonzero_pad) {
	.what = NONZERO_PAD, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(vdso_refused, crc_not_mms) {
	.what = CRC_NOT_MM, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(vdso_refused, size_not_vma_length) {
	.what = SIZE_NOT_VMA, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(vdso_refused, symbol_missing_here) {
	.what = UNKNOWN_SYMBOL, .err = EOPNOTSUPP, .logged = "__vdso_nosuch",
};

FIXTURE_VARIANT_ADD(vdso_refused, task_stopped_in_old_vdso) {
	.what = IP_IN_OLD_VDSO, .err = EOPNOTSUPP,
};

FIXTURE_SETUP(vdso_refused)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	self->ctx.call_timeout_s = CKPT_SMALL_CALL_TIMEOUT_S;
}

FIXTURE_TEARDOWN(vdso_refused)
{
	free(self->img.data);
	free(self->img.recs);
	ckpt_ctx_teardown(&self->ctx);
}

/*
 * @data (laid out as @img) with record @rec replaced by the @new_len bytes
 * at @new, a whole record or nothing; the TRAILER's count, size and
 * checksum made right.  Its length in *@len.
 */
static char *replace_rec(struct image *img, const char *data, const struct ckpt_rec *rec,
			 const void *new, size_t new_len, size_t *len)
{
	size_t at = rec->off, old_len = sizeof(struct ckpt_rec_hdr) + rec->len;
	struct ckpt_image_trailer *tr;
	struct ckpt_rec last;
	char *out;

	*len = img->len - old_len + new_len;
	out = malloc(*len);
	if (!out)
		return NULL;
	memcpy(out, data, at);
	if (new_len)
		memcpy(out + at, new, new_len);
	memcpy(out + at + new_len, data + at + old_len, img->len - at - old_len);
	last = img->recs[img->nr - 1];
	last.off = last.off - old_len + new_len;
	tr = ckpt_payload(out, &last);
	if (!new_len)
		tr->nr_records = htole32(le32toh(tr->nr_records) - 1);
	tr->size = htole64(last.off);
	tr->crc32c = htole32(crc32c(out, last.off));
	return out;
}

/* An X86_VDSO record like @v that says @nr_syms and holds @nr entries, @v's in turn */
static void *vdso_rec_with(const struct ckpt_x86_vdso *v, uint32_t nr_syms, uint32_t nr,
			   size_t *len)
{
	uint32_t have = le32toh(v->nr_syms), i;
	struct ckpt_rec_hdr *hdr;
	struct ckpt_x86_vdso *w;

	*len = sizeof(*hdr) + sizeof(*v) + nr * sizeof(v->syms[0]);
	hdr = calloc(1, *len);
	if (!hdr)
		return NULL;
	hdr->type = htole32(CKPT_REC_X86_VDSO | CKPT_REC_OPTIONAL);
	hdr->len = htole32(*len - sizeof(*hdr));
	w = (void *)(hdr + 1);
	memcpy(w, v, sizeof(*v));
	w->nr_syms = htole32(nr_syms);
	for (i = 0; i < nr; i++)
		w->syms[i] = v->syms[i % have];
	return hdr;
}

TEST_F_TIMEOUT(vdso_refused, restart_fails_cleanly, 60)
{
	struct image *img = &self->img;
	struct ckpt_x86_regs *regs;
	struct ckpt_x86_vdso *v;
	enum ckpt_outcome out;
	struct ckpt_mm *mm;
	char *data, *image;
	void *rec = NULL;
	size_t len, rec_len = 0;
	uint32_t n;

	take_image(_metadata, &self->ctx, img);
	data = malloc(img->len);
	ASSERT_TRUE(!!data);
	memcpy(data, img->data, img->len);
	mm = MM_OF(data);
	v = VDSO_OF(data);
	n = le32toh(v->nr_syms);
	ASSERT_LE(1U, n);
	other_kernels_crc(mm, v);
	image = data;
	len = img->len;

	switch (variant->what) {
	case NO_RECORD:
		image = replace_rec(img, data, vdso_rec(img), NULL, 0, &len);
		break;
	case NO_SYMS:
		rec = vdso_rec_with(v, 0, 0, &rec_len);
		break;
	case TOO_MANY_SYMS:
		rec = vdso_rec_with(v, CKPT_X86_VDSO_SYMS_MAX + 1, CKPT_X86_VDSO_SYMS_MAX + 1,
				    &rec_len);
		break;
	case LENGTH_MISMATCH:
		rec = vdso_rec_with(v, n, n + 1, &rec_len);
		break;
	case UNTERMINATED_NAME:
		memset(v->syms[0].name, 'x', sizeof(v->syms[0].name));
		break;
	case EMPTY_NAME:
		memset(v->syms[0].name, 0, sizeof(v->syms[0].name));
		break;
	case OFFSET_PAST_SIZE:
		v->syms[0].offset = v->size;
		break;
	case NONZERO_PAD:
		v->syms[0].__pad = htole32(1);
		break;
	case CRC_NOT_MM:
		v->crc ^= htole32(1);
		break;
	case SIZE_NOT_VMA:
		v->size = htole32(le32toh(v->size) + sysconf(_SC_PAGESIZE));
		break;
	case UNKNOWN_SYMBOL:
		memset(v->syms[0].name, 0, sizeof(v->syms[0].name));
		memcpy(v->syms[0].name, "__vdso_nosuch", sizeof("__vdso_nosuch"));
		break;
	case IP_IN_OLD_VDSO:
		regs = payload_of(_metadata, data, find_rec(img, CKPT_REC_X86_REGS),
				  sizeof(*regs));
		regs->ip = htole64(le64toh(mm->vdso) + 1);
		break;
	}
	if (rec) {
		image = replace_rec(img, data, vdso_rec(img), rec, rec_len, &len);
		free(rec);
	} else if (image == data) {
		fix_trailer(img, data);
	}
	ASSERT_TRUE(!!image);

	out = restart_from_broken_image(_metadata, &self->ctx, image, len, img->pid,
					variant->err, "X86_VDSO");
	if (image != data)
		free(image);
	free(data);
	EXPECT_TRUE(out == CKPT_FAILED_CLEANLY);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "vdso"))
		ckpt_dump_log(_metadata, &self->ctx);
	if (variant->logged)
		EXPECT_TRUE(ckpt_log_contains(&self->ctx, variant->logged))
			ckpt_dump_log(_metadata, &self->ctx);
}

TEST_HARNESS_MAIN
