// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vDSO of restored tasks (x86-64), and the vDSO proxy.
 *
 * Programs keep pointers into the vDSO: glibc resolves clock_gettime(),
 * gettimeofday(), time() and getcpu() once, at start-up.  On the kernel
 * that checkpointed them the vDSO is mapped back where it was.  A kernel
 * whose vDSO differs (another build, another version) cannot do that: the
 * old entry points are not its own.  It maps its vDSO and vvar pages at a
 * free address instead, and at the old text's address an ordinary private
 * mapping, read and execute, of the old text's size: int3 everywhere but
 * at each entry point of the old vDSO, where a jump goes to the entry
 * point of the same name in the new one.  This is what CRIU's "vDSO proxy"
 * does from userspace.  The image carries what it needs: the old vDSO's
 * entry points, by name, in an X86_VDSO record after X86_CPUID.
 *
 * A thread saved while it ran vDSO code (interrupted in clock_gettime())
 * cannot go on in the proxy: restart refuses it, as it refuses a symbol of
 * the old vDSO that the new one lacks.  The old vvar pages are not mapped
 * again; only vDSO code reads them.  AT_SYSINFO_EHDR in the saved auxiliary
 * vector still names the old address, where there is no ELF header now.
 */
#include <linux/checkpoint.h>
#include <linux/crc32c.h>
#include <linux/elf.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <asm/vdso.h>

#include "internal.h"

/* jmp *0(%rip), then the 64-bit target */
#define CKPT_VDSO_JMP_LEN	14

/**
 * struct ckpt_x86_restart - what restart keeps of the image for x86
 * @vdso: the image's X86_VDSO record (its length checked), or NULL
 * @lock: protects @proxies
 * @proxies: the proxies mapped, a struct ckpt_vdso_proxy each
 */
struct ckpt_x86_restart {
	struct ckpt_x86_vdso *vdso;
	struct mutex lock;		/* the tasks restore their mms at once */
	struct list_head proxies;
};

struct ckpt_vdso_proxy {
	struct list_head list;
	const struct mm_struct *mm;	/* compared only */
	unsigned long start, end;
};

/* This kernel's X86_VDSO record, made once from its vDSO's ELF image */
static struct {
	struct ckpt_x86_vdso hdr;
	struct ckpt_x86_vdso_sym syms[CKPT_X86_VDSO_SYMS_MAX];
} ckpt_vdso_rec;

static void __init ckpt_vdso_add_sym(const char *name, u64 value)
{
	u32 nr = le32_to_cpu(ckpt_vdso_rec.hdr.nr_syms);
	struct ckpt_x86_vdso_sym *s = &ckpt_vdso_rec.syms[nr];

	if (WARN_ON_ONCE(nr == CKPT_X86_VDSO_SYMS_MAX) ||
	    WARN_ON_ONCE(strscpy_pad(s->name, name) < 0) ||
	    WARN_ON_ONCE(value >= vdso_image_64.size))
		return;
	s->offset = cpu_to_le32(value);
	ckpt_vdso_rec.hdr.nr_syms = cpu_to_le32(nr + 1);
}

/* The functions of the vDSO's dynamic symbol table */
static int __init ckpt_vdso_init(void)
{
	const struct vdso_image *image = &vdso_image_64;
	const struct elf64_hdr *eh = image->data;
	const struct elf64_shdr *sh = image->data + eh->e_shoff;
	const struct elf64_sym *sym;
	const char *str;
	unsigned int i, n;

	for (i = 0; i < eh->e_shnum && sh[i].sh_type != SHT_DYNSYM; i++)
		;
	if (WARN_ON_ONCE(i == eh->e_shnum || sh[i].sh_link >= eh->e_shnum))
		return 0;
	sym = image->data + sh[i].sh_offset;
	n = sh[i].sh_size / sizeof(*sym);
	str = image->data + sh[sh[i].sh_link].sh_offset;
	for (i = 0; i < n; i++)
		if (ELF64_ST_TYPE(sym[i].st_info) == STT_FUNC &&
		    sym[i].st_shndx != SHN_UNDEF && sym[i].st_name)
			ckpt_vdso_add_sym(str + sym[i].st_name, sym[i].st_value);
	ckpt_vdso_rec.hdr.crc = cpu_to_le32(ckpt_arch_vdso_crc());
	ckpt_vdso_rec.hdr.size = cpu_to_le32(image->size);
	ckpt_vdso_rec.hdr.vvar_size = cpu_to_le32(-image->sym_vvar_start);
	return 0;
}
late_initcall(ckpt_vdso_init);

/**
 * ckpt_arch_vdso_crc() - identify this kernel's 64-bit vDSO
 *
 * Return: crc32c of its text.
 */
u32 ckpt_arch_vdso_crc(void)
{
	return crc32c(~0U, vdso_image_64.data, vdso_image_64.size);
}

/**
 * ckpt_x86_checkpoint_vdso() - write the X86_VDSO record
 * @ctx: checkpoint context, after the X86_CPUID record
 *
 * Return: 0 or a negative error.
 */
int ckpt_x86_checkpoint_vdso(struct ckpt_ctx *ctx)
{
	u32 nr = le32_to_cpu(ckpt_vdso_rec.hdr.nr_syms);

	if (!nr)	/* only if the vDSO could not be parsed: WARNed */
		return 0;
	return ckpt_write_rec(ctx, CKPT_REC_X86_VDSO | CKPT_REC_OPTIONAL, &ckpt_vdso_rec,
			      struct_size(&ckpt_vdso_rec.hdr, syms, nr));
}

static int ckpt_vdso_check(struct ckpt_ctx *ctx, const struct ckpt_x86_vdso *v, u32 len)
{
	u32 nr = le32_to_cpu(v->nr_syms), size = le32_to_cpu(v->size), i;
	const struct ckpt_x86_vdso_sym *s;

	if (!nr || nr > CKPT_X86_VDSO_SYMS_MAX || len != struct_size(v, syms, nr) ||
	    !size || size > CKPT_X86_VDSO_SIZE_MAX || !PAGE_ALIGNED(size) ||
	    le32_to_cpu(v->vvar_size) > CKPT_X86_VDSO_SIZE_MAX ||
	    !PAGE_ALIGNED(le32_to_cpu(v->vvar_size)))
		return ckpt_err(ctx, -EINVAL, "X86_VDSO record: bad count, length or size");
	for (i = 0; i < nr; i++) {
		s = &v->syms[i];
		if (!s->name[0] || s->__pad || le32_to_cpu(s->offset) >= size ||
		    !ckpt_padded_string(s->name, sizeof(s->name)))
			return ckpt_err(ctx, -EINVAL, "X86_VDSO record: bad symbol %u", i);
	}
	return 0;
}

/**
 * ckpt_x86_restart_vdso() - read the X86_VDSO record, if the image has one
 * @ctx: restart context, after the X86_CPUID record
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_x86_restart_vdso(struct ckpt_ctx *ctx)
{
	struct ckpt_x86_restart *x;
	struct ckpt_x86_vdso *v;
	int type, ret;
	u32 len;

	type = ckpt_peek_rec(ctx);
	if (type != CKPT_REC_X86_VDSO)
		return type < 0 ? type : 0;
	v = ckpt_read_rec_var(ctx, CKPT_REC_X86_VDSO, sizeof(*v), &len);
	if (IS_ERR(v))
		return PTR_ERR(v);
	ret = ckpt_vdso_check(ctx, v, len);
	x = ret ? NULL : kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x) {
		kvfree(v);
		return ret ?: -ENOMEM;
	}
	x->vdso = v;
	mutex_init(&x->lock);
	INIT_LIST_HEAD(&x->proxies);
	ctx->arch = x;
	return 0;
}

/**
 * ckpt_arch_ctx_free() - free what the x86 back end kept in a context
 * @ctx: checkpoint or restart context
 */
void ckpt_arch_ctx_free(struct ckpt_ctx *ctx)
{
	struct ckpt_x86_restart *x = ctx->arch;
	struct ckpt_vdso_proxy *p, *n;

	if (!x)
		return;
	list_for_each_entry_safe(p, n, &x->proxies, list)
		kfree(p);
	kvfree(x->vdso);
	kfree(x);
	ctx->arch = NULL;
}

/**
 * ckpt_arch_vma_special() - classify a special mapping
 * @vma: the mapping, under mmap_lock
 *
 * Return: 0 for an ordinary mapping, CKPT_VMA_VDSO or CKPT_VMA_VVAR, or
 * -EOPNOTSUPP for another special mapping.
 */
int ckpt_arch_vma_special(struct vm_area_struct *vma)
{
	const char *name;

	if (!vma->vm_ops || !vma->vm_ops->name)
		return 0;
	name = vma->vm_ops->name(vma);
	if (!name)
		return 0;
	if (!strcmp(name, "[vdso]"))
		return CKPT_VMA_VDSO;
	if (!strcmp(name, "[vvar]"))
		return CKPT_VMA_VVAR;
	return -EOPNOTSUPP;
}

/* Offset of this kernel's entry point @name, or -1 */
static s64 ckpt_vdso_lookup(const char *name)
{
	u32 i;

	for (i = 0; i < le32_to_cpu(ckpt_vdso_rec.hdr.nr_syms); i++)
		if (!strcmp(ckpt_vdso_rec.syms[i].name, name))
			return le32_to_cpu(ckpt_vdso_rec.syms[i].offset);
	return -1;
}

/*
 * The proxy's text in @buf (@len bytes): a jump at each old entry point
 * @v->syms[i] to the new one, at @text + its offset.  Aliases (time and
 * __vdso_time) share one jump; two different jumps must not overlap.
 */
static int ckpt_vdso_proxy_text(struct ckpt_ctx *ctx, const struct ckpt_x86_vdso *v,
				u8 *buf, u32 len, unsigned long text)
{
	u32 nr = le32_to_cpu(v->nr_syms), i, j, off, prev;
	u64 target;
	s64 new;

	memset(buf, 0xcc, len);
	for (i = 0; i < nr; i++) {
		new = ckpt_vdso_lookup(v->syms[i].name);
		if (new < 0)
			return ckpt_err(ctx, -EOPNOTSUPP,
					"this kernel's vDSO has no %s, which the image's had",
					v->syms[i].name);
		off = le32_to_cpu(v->syms[i].offset);
		target = text + new;
		for (j = 0; j < i; j++) {
			prev = le32_to_cpu(v->syms[j].offset);
			if (prev == off ? get_unaligned((u64 *)(buf + off + 6)) != target :
			    abs((s64)prev - off) < CKPT_VDSO_JMP_LEN)
				break;
		}
		if (j < i || off > len - CKPT_VDSO_JMP_LEN)
			return ckpt_err(ctx, -EOPNOTSUPP,
					"no room for a jump at %s in the image's vDSO",
					v->syms[i].name);
		memcpy(buf + off, "\xff\x25\0\0\0\0", 6);
		put_unaligned(target, (u64 *)(buf + off + 6));
	}
	return 0;
}

/* Fill the proxy of the old vDSO text [@old, @old + @len), mapped already */
static int ckpt_vdso_fill_proxy(struct ckpt_ctx *ctx, struct ckpt_x86_restart *x,
				unsigned long old, u32 len, unsigned long text)
{
	struct ckpt_vdso_proxy *p;
	u8 *buf;
	int ret;

	buf = kvmalloc(len, GFP_KERNEL);
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	ret = buf && p ? ckpt_vdso_proxy_text(ctx, x->vdso, buf, len, text) : -ENOMEM;
	if (ret)
		goto out;
	/* As ptrace(PTRACE_POKETEXT) writes to a read-only mapping */
	if (access_remote_vm(current->mm, old, buf, len, FOLL_WRITE | FOLL_FORCE) != len) {
		ret = ckpt_err(ctx, -ENOMEM, "cannot write the vDSO proxy at %lx", old);
		goto out;
	}
	p->mm = current->mm;
	p->start = old;
	p->end = old + len;
	mutex_lock(&x->lock);
	list_add(&p->list, &x->proxies);
	mutex_unlock(&x->lock);
	p = NULL;
out:
	kfree(p);
	kvfree(buf);
	return ret;
}

/*
 * The image's vDSO (text at @vdso, @vdso_len bytes) is another kernel's:
 * the proxy goes where the old was, and this kernel's at a free address,
 * chosen once the proxy holds the old one's place.
 */
static int ckpt_vdso_proxy(struct ckpt_ctx *ctx, unsigned long vvar_len,
			   unsigned long vdso, unsigned long vdso_len, u32 crc)
{
	const struct vdso_image *image = &vdso_image_64;
	unsigned long vvar_size = -image->sym_vvar_start, addr;
	struct ckpt_x86_restart *x = ctx->arch;
	int ret;

	if (!x)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the image has another kernel's vDSO, and no X86_VDSO record of it");
	if (le32_to_cpu(x->vdso->crc) != crc ||
	    (vdso && vdso_len != le32_to_cpu(x->vdso->size)) ||
	    (vvar_len && vvar_len != le32_to_cpu(x->vdso->vvar_size)))
		return ckpt_err(ctx, -EINVAL, "the vDSO mappings do not match the X86_VDSO record");
	if (!vdso)	/* unmapped: no pointers into it work, nothing to map */
		return 0;
	/* As mmap() would, LSM checks of an executable mapping included */
	addr = vm_mmap(NULL, vdso, vdso_len, PROT_READ | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0);
	if (IS_ERR_VALUE(addr))
		return ckpt_err(ctx, (long)addr, "cannot map the vDSO proxy at %lx", vdso);
	if (mmap_read_lock_killable(current->mm))
		return -EINTR;
	addr = get_unmapped_area(NULL, 0, vvar_size + image->size, 0, 0);
	mmap_read_unlock(current->mm);
	if (IS_ERR_VALUE(addr))
		return ckpt_err(ctx, (long)addr, "no room for this kernel's vDSO");
	ret = map_vdso_apart(image, addr, addr + vvar_size);
	if (ret)
		return ckpt_err(ctx, ret, "cannot map this kernel's vDSO at %lx",
				addr + vvar_size);
	ret = ckpt_vdso_fill_proxy(ctx, x, vdso, vdso_len, addr + vvar_size);
	if (!ret)
		ckpt_log(ctx, "vDSO of another kernel at %lx: proxy to this kernel's at %lx",
			 vdso, addr + vvar_size);
	return ret;
}

/**
 * ckpt_arch_map_vdso() - map the vDSO of a restored task where it was
 * @ctx: restart context
 * @vvar: start of the vvar pages in the image, or 0 if it had none
 * @vvar_len: their size
 * @vdso: start of the vDSO text, or 0 if it had none
 * @vdso_len: its size
 * @crc: ckpt_arch_vdso_crc() of the checkpointing kernel
 *
 * A task may have saved pointers into the vDSO, so only the very same
 * vDSO can be mapped back; another kernel's gets a proxy (see above).  A
 * task may also have moved either with mremap(), or unmapped one of them:
 * each is mapped where it was.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_arch_map_vdso(struct ckpt_ctx *ctx, unsigned long vvar,
		       unsigned long vvar_len, unsigned long vdso,
		       unsigned long vdso_len, u32 crc)
{
	const struct vdso_image *image = &vdso_image_64;
	int ret;

	/* As mmap(MAP_FIXED) would check it */
	if ((vdso && vdso < mmap_min_addr) || (vvar && vvar < mmap_min_addr))
		return ckpt_err(ctx, -EPERM, "the vDSO or vvar is below vm.mmap_min_addr");
	if (crc != ckpt_arch_vdso_crc())
		return ckpt_vdso_proxy(ctx, vvar_len, vdso, vdso_len, crc);
	if ((vdso && vdso_len != image->size) || (vvar && vvar_len != -image->sym_vvar_start))
		return ckpt_err(ctx, -EINVAL, "the vDSO or vvar mapping is partial");
	ret = map_vdso_apart(image, vvar, vdso);
	if (ret)
		return ckpt_err(ctx, ret, "cannot map the vDSO at %lx and the vvar at %lx",
				vdso, vvar);
	return 0;
}

/**
 * ckpt_x86_check_ip() - refuse a thread stopped in a proxied vDSO's code
 * @ctx: restart context
 * @pid: the thread, for the log
 * @ip: its saved instruction pointer
 *
 * Called in the context of the restored thread, whose mm is restored.
 *
 * Return: 0 or -EOPNOTSUPP, logged.
 */
int ckpt_x86_check_ip(struct ckpt_ctx *ctx, pid_t pid, unsigned long ip)
{
	struct ckpt_x86_restart *x = ctx->arch;
	struct ckpt_vdso_proxy *p;
	bool inside = false;

	if (!x)
		return 0;
	mutex_lock(&x->lock);
	list_for_each_entry(p, &x->proxies, list)
		if (p->mm == current->mm && ip >= p->start && ip < p->end)
			inside = true;
	mutex_unlock(&x->lock);
	if (inside)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"task %d was stopped in vDSO code, which this kernel's vDSO replaces",
				pid);
	return 0;
}
