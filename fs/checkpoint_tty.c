// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of UNIX98 pseudo-terminals.
 *
 * A pty pair whose master is open in the checkpointed tree belongs to the
 * image: a PTY record saves the slave's termios, window size, the packet
 * mode and whether the slave is still locked, and the FILE records of the
 * master and of the slave refer to it.  Restart opens a new pair on the
 * ptmx the master was opened through (as the restart caller sees it),
 * applies that state and opens the slave of the new pair, so master and
 * slave are connected again.  The new pair gets its index, i.e. its
 * /dev/pts/N name, back when that is free (always in a container's own
 * devpts instance), another one otherwise; data queued in the pair at
 * checkpoint time is not kept.
 *
 * A slave whose master is not in the tree but that is the controlling
 * terminal of a session of the tree is a container's console, whose master
 * the container manager holds: the pair is saved all the same, flagged
 * CKPT_PTY_ORPHAN, and restart hands the master of the new pair to its
 * caller (CKPT_EXT_PTY), who passes it on as runc's console socket does.
 *
 * Any other slave whose master is not in the tree is a terminal from
 * outside (the shell that started the tasks): it is a CKPT_FILE_TTY, for
 * which restart uses the caller's own terminal.
 */
#include <linux/checkpoint_file.h>
#include <linux/cred.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/major.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/xarray.h>
#include <linux/devpts_fs.h>

/* The tty of an open file of a pty, or NULL if @file is no such file */
static struct tty_struct *ckpt_pty_of(struct file *file)
{
	struct inode *inode = file_inode(file);
	struct tty_file_private *priv;
	struct tty_struct *tty;
	unsigned int major;

	if (!S_ISCHR(inode->i_mode) || (file->f_mode & FMODE_PATH))
		return NULL;
	major = imajor(inode);
	if (!(major == TTYAUX_MAJOR && iminor(inode) == 2) &&
	    !(major >= UNIX98_PTY_SLAVE_MAJOR &&
	      major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT))
		return NULL;
	/* Every open file of a tty device points to its tty_file_private */
	priv = file->private_data;
	tty = priv ? priv->tty : NULL;
	if (!tty || tty->driver->type != TTY_DRIVER_TYPE_PTY ||
	    !(tty->driver->flags & TTY_DRIVER_DEVPTS_MEM))
		return NULL;
	return tty;
}

static bool ckpt_pty_is_master(struct tty_struct *tty)
{
	return tty->driver->subtype == PTY_TYPE_MASTER;
}

static struct file *ckpt_pty_master_file(struct tty_struct *tty);

/* Is the master of the pair of @tty open in the tree? */
static bool ckpt_pty_master_in_tree(struct ckpt_ctx *ctx, struct tty_struct *tty)
{
	struct file *master = ckpt_pty_master_file(tty);
	bool found;

	if (!master)
		return false;
	found = ckpt_file_user(ctx, master, true);
	fput(master);
	return found;
}

/*
 * Is @tty a slave that is the controlling terminal of a session of the
 * tree?  With its master outside the tree, that is a container's console:
 * its manager holds the master (runc's console socket).  The pair is saved
 * as one of the tree, flagged CKPT_PTY_ORPHAN, and restart hands the new
 * master to its caller (CKPT_EXT_PTY).
 */
static bool ckpt_pty_tree_console(struct ckpt_ctx *ctx, struct tty_struct *tty)
{
	struct pid *session;
	unsigned long flags;
	pid_t nr = 0;

	if (ckpt_pty_is_master(tty) || !tty->link)
		return false;
	spin_lock_irqsave(&tty->ctrl.lock, flags);
	session = get_pid(tty->ctrl.session);
	spin_unlock_irqrestore(&tty->ctrl.lock, flags);
	if (session)
		nr = pid_nr_ns(session, ctx->pidns);
	put_pid(session);
	return nr && xa_load(&ctx->tree_pids, nr);
}

/* Does the image hold the pair of @tty? */
static bool ckpt_pty_saved(struct ckpt_ctx *ctx, struct tty_struct *tty)
{
	return ckpt_pty_master_in_tree(ctx, tty) || ckpt_pty_tree_console(ctx, tty);
}

/*
 * The FILE kind of an open file of a pty: CKPT_FILE_PTY_MASTER or
 * CKPT_FILE_PTY_SLAVE for a file of a pair the image holds, 0 otherwise
 * (not a pty, or a terminal from outside the tree).
 */
static u32 ckpt_pty_kind(struct ckpt_ctx *ctx, struct file *file)
{
	struct tty_struct *tty = ckpt_pty_of(file);

	if (!tty || !ckpt_pty_saved(ctx, tty))
		return 0;
	return ckpt_pty_is_master(tty) ? CKPT_FILE_PTY_MASTER : CKPT_FILE_PTY_SLAVE;
}

/*
 * ---- the pair: a PTY object ----
 *
 * It is the master's open file: opening a ptmx creates a new pair, so a
 * pair has one open file description of its master (dup() and fork()
 * share it), whose path also names the devpts instance.
 */

/* The open file of the master of @tty's pair, with a reference, or NULL */
static struct file *ckpt_pty_master_file(struct tty_struct *tty)
{
	struct tty_struct *master = ckpt_pty_is_master(tty) ? tty : tty->link;
	struct tty_file_private *priv;
	struct file *file = NULL;

	if (!master)
		return NULL;
	spin_lock(&master->files_lock);
	priv = list_first_entry_or_null(&master->tty_files, struct tty_file_private, list);
	if (priv && list_is_singular(&master->tty_files))
		file = get_file(priv->file);
	spin_unlock(&master->files_lock);
	return file;
}

static int ckpt_pty_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	struct file *mfile = ptr;
	struct tty_struct *master = ckpt_pty_of(mfile), *slave = master->link;
	struct ckpt_pty rec = { .objref = cpu_to_le32(objref) };
	u32 path_len, flags = 0;
	char *buf, *path;
	int i, ret;

	down_read(&slave->termios_rwsem);
	if (slave->termios.c_line != N_TTY) {
		up_read(&slave->termios_rwsem);
		return ckpt_err(ctx, -EOPNOTSUPP,
				"pty %d uses line discipline %d (only N_TTY can be saved)",
				slave->index, slave->termios.c_line);
	}
	rec.termios.c_iflag = cpu_to_le32(slave->termios.c_iflag);
	rec.termios.c_oflag = cpu_to_le32(slave->termios.c_oflag);
	rec.termios.c_cflag = cpu_to_le32(slave->termios.c_cflag);
	rec.termios.c_lflag = cpu_to_le32(slave->termios.c_lflag);
	rec.termios.c_ispeed = cpu_to_le32(slave->termios.c_ispeed);
	rec.termios.c_ospeed = cpu_to_le32(slave->termios.c_ospeed);
	BUILD_BUG_ON(sizeof(rec.termios.c_cc) != NCCS);
	for (i = 0; i < NCCS; i++)
		rec.termios.c_cc[i] = slave->termios.c_cc[i];
	up_read(&slave->termios_rwsem);

	mutex_lock(&slave->winsize_mutex);
	rec.ws_row = cpu_to_le16(slave->winsize.ws_row);
	rec.ws_col = cpu_to_le16(slave->winsize.ws_col);
	rec.ws_xpixel = cpu_to_le16(slave->winsize.ws_xpixel);
	rec.ws_ypixel = cpu_to_le16(slave->winsize.ws_ypixel);
	mutex_unlock(&slave->winsize_mutex);

	spin_lock_irq(&master->ctrl.lock);
	if (master->ctrl.packet)
		flags |= CKPT_PTY_PACKET;
	spin_unlock_irq(&master->ctrl.lock);
	if (test_bit(TTY_PTY_LOCK, &master->flags))
		flags |= CKPT_PTY_LOCKED;
	if (!ckpt_file_user(ctx, mfile, true))
		flags |= CKPT_PTY_ORPHAN;
	rec.flags = cpu_to_le32(flags);
	rec.index = cpu_to_le32(slave->index);

	buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	path = ckpt_file_path(ctx, mfile, buf, &path_len);
	if (IS_ERR(path)) {
		ret = PTR_ERR(path);
	} else {
		rec.path_len = cpu_to_le32(path_len);
		ret = ckpt_write_rec_var(ctx, CKPT_REC_PTY, &rec, sizeof(rec), path,
					 path_len);
	}
	kfree(buf);
	/* The slave's /dev/pts node: its owner, group and mode */
	return ret ?: ckpt_write_inode_attr(ctx, d_inode(slave->driver_data));
}

/* The pair first: its PTY record comes before the FILE of @file */
static int ckpt_pty_file_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	struct tty_struct *tty = ckpt_pty_of(file);
	struct file *master;
	u32 ref;
	int ret;

	if (WARN_ON_ONCE(!tty))
		return -EINVAL;
	master = ckpt_pty_master_file(tty);
	if (!master || !ckpt_pty_of(master)->link)
		ret = ckpt_err(ctx, -EOPNOTSUPP,
			       "pty %d: its master is not open exactly once", tty->index);
	else
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_pty, master, &ref);
	if (master)
		fput(master);
	return ret ?: ckpt_write_file_path(ctx, file, objref,
					   ckpt_pty_is_master(tty) ? CKPT_FILE_PTY_MASTER :
					   CKPT_FILE_PTY_SLAVE, ref);
}

static int ckpt_pty_check(struct ckpt_ctx *ctx, const struct ckpt_pty *rec)
{
	if (le32_to_cpu(rec->flags) & ~(CKPT_PTY_PACKET | CKPT_PTY_LOCKED | CKPT_PTY_ORPHAN) ||
	    memchr_inv(rec->termios.__pad, 0, sizeof(rec->termios.__pad)))
		return ckpt_err(ctx, -EINVAL, "PTY record has unknown flags or non-zero padding");
	return 0;
}

static int ckpt_pty_apply(struct ckpt_ctx *ctx, struct tty_struct *master,
			  const struct ckpt_pty *rec)
{
	struct tty_struct *slave = master->link;
	struct ktermios kt;
	struct winsize ws = {
		.ws_row = le16_to_cpu(rec->ws_row),
		.ws_col = le16_to_cpu(rec->ws_col),
		.ws_xpixel = le16_to_cpu(rec->ws_xpixel),
		.ws_ypixel = le16_to_cpu(rec->ws_ypixel),
	};
	u32 flags = le32_to_cpu(rec->flags);
	int i, ret;

	down_read(&slave->termios_rwsem);
	kt = slave->termios;
	up_read(&slave->termios_rwsem);
	kt.c_iflag = le32_to_cpu(rec->termios.c_iflag);
	kt.c_oflag = le32_to_cpu(rec->termios.c_oflag);
	kt.c_cflag = le32_to_cpu(rec->termios.c_cflag);
	kt.c_lflag = le32_to_cpu(rec->termios.c_lflag);
	kt.c_ispeed = le32_to_cpu(rec->termios.c_ispeed);
	kt.c_ospeed = le32_to_cpu(rec->termios.c_ospeed);
	for (i = 0; i < NCCS; i++)
		kt.c_cc[i] = rec->termios.c_cc[i];
	/* What TCSETS would do; the line discipline stays N_TTY */
	ret = tty_set_termios(slave, &kt);
	if (ret)
		return ckpt_err(ctx, ret, "cannot restore the termios of a pty");
	ret = tty_do_resize(slave, &ws);
	if (ret)
		return ckpt_err(ctx, ret, "cannot restore the window size of a pty");

	spin_lock_irq(&master->ctrl.lock);
	master->ctrl.packet = flags & CKPT_PTY_PACKET;
	spin_unlock_irq(&master->ctrl.lock);
	if (!(flags & CKPT_PTY_LOCKED))
		clear_bit(TTY_PTY_LOCK, &master->flags);
	return 0;
}

/* The slave's node as an INODE_ATTR after the PTY record gives it, if any */
static int ckpt_pty_slave_attr(struct ckpt_ctx *ctx, struct file *master)
{
	struct tty_struct *tty = ckpt_pty_of(master);
	struct ckpt_inode_attr attr;
	const struct cred *old;
	struct path slave;
	char what[32];
	int ret;

	ret = ckpt_read_inode_attr(ctx, &attr, true);
	if (ret <= 0)
		return ret;
	slave.mnt = devpts_mntget(master, tty->driver_data);
	if (IS_ERR(slave.mnt))
		return PTR_ERR(slave.mnt);
	slave.dentry = tty->link->driver_data;
	snprintf(what, sizeof(what), "the slave of pty %d", tty->link->index);
	/*
	 * As the caller would by hand: the node devpts made is owned by the
	 * restoring task's fsuid, which a container's user namespace may not
	 * map.  Not its times: any I/O on the pair moves them.
	 */
	old = override_creds(ctx->caller_cred);
	ret = ckpt_set_inode_attr(ctx, &slave, &attr, le32_to_cpu(attr.mode), false, what);
	revert_creds(old);
	mntput(slave.mnt);
	return ret;
}

/*
 * Open the ptmx at @path, as the caller would: from the current root, or
 * below @root (a devpts mount) when it is given.
 */
static struct file *ckpt_pty_open(struct ckpt_ctx *ctx, const char *path,
				  const struct path *root)
{
	struct file *master = root ? file_open_root(root, path, O_RDWR | O_NOCTTY, 0) :
				     filp_open(path, O_RDWR | O_NOCTTY, 0);
	struct tty_struct *tty;

	if (IS_ERR(master)) {
		ckpt_err(ctx, PTR_ERR(master), "cannot open a new pty on %s", path);
		return master;
	}
	tty = ckpt_pty_of(master);
	if (!tty || !ckpt_pty_is_master(tty)) {
		fput(master);
		ckpt_err(ctx, -ESTALE, "%s is no pty multiplexer", path);
		return ERR_PTR(-ESTALE);
	}
	return master;
}

#define CKPT_PTY_TRIES	256

/*
 * A new pair on @path, with slave number @index if it is free: devpts gives
 * the lowest free number, so open pairs until it comes (as CRIU does), and
 * close the others.  A container's devpts instance is new and holds only
 * the pairs restored before; another may have @index taken, and the pair
 * then gets another number (logged).
 */
static struct file *ckpt_pty_open_index(struct ckpt_ctx *ctx, const char *path,
					const struct path *root, int index)
{
	struct file **others, *master;
	int n = 0, got;

	others = kmalloc_array(CKPT_PTY_TRIES, sizeof(*others), GFP_KERNEL);
	if (!others)
		return ERR_PTR(-ENOMEM);
	for (;;) {
		master = ckpt_pty_open(ctx, path, root);
		if (IS_ERR(master))
			break;
		got = ckpt_pty_of(master)->link->index;
		if (got >= index || n == CKPT_PTY_TRIES)
			break;
		others[n++] = master;
	}
	while (n)
		fput(others[--n]);
	kfree(others);
	return master;
}

/*
 * The master of a pair whose master was outside the tasks (a console)
 * goes to the caller, in place of the descriptor it gave for the slave's
 * number at checkpoint; the tasks have the slave.
 */
static int ckpt_pty_give_master(struct ckpt_ctx *ctx, u32 index, struct file *master)
{
	const struct ckpt_external *e;
	char key[sizeof(e->key)];

	snprintf(key, sizeof(key), "pty:[%u]", index);
	e = ckpt_external(ctx, CKPT_EXT_PTY, key);
	if (!e)
		return ckpt_err(ctx, -ENXIO,
				"pty %u: its master was outside the tasks (a console): give CKPT_EXT_PTY \"%s\" to receive the new one (ckpt restart --console-socket)",
				index, key);
	return ckpt_external_give(ctx, e, master);
}

/*
 * A pair opened early, while the mount namespace is rebuilt, for a bind
 * mount of its slave (runc binds the console's slave on /dev/console): a
 * deferred item of the context, so that it is closed with it if no PTY
 * record claims it.
 */
struct ckpt_pty_early {
	struct ckpt_deferred d;
	struct file *master;	/* NULL once claimed */
};

static int ckpt_pty_early_run(struct ckpt_ctx *ctx, struct ckpt_deferred *d)
{
	return 0;
}

static void ckpt_pty_early_free(struct ckpt_deferred *d)
{
	struct ckpt_pty_early *e = container_of(d, struct ckpt_pty_early, d);

	if (e->master)
		fput(e->master);
	kfree(e);
}

/**
 * ckpt_pty_open_early() - make the pty pair of a bind mount's source
 * @ctx: restart context, rebuilding the tasks' mount namespace
 * @devpts: the root of a devpts mount restored already
 * @name: the slave's name in it, "/N", that a bind mount shows
 *
 * The pairs come with the tasks' files, after the mounts: open pair N in
 * that devpts now, for the PTY record of index N to claim.
 *
 * Return: 0, or a negative error (logged).
 */
int ckpt_pty_open_early(struct ckpt_ctx *ctx, const struct path *devpts, const char *name)
{
	struct ckpt_pty_early *e;
	struct file *master;
	unsigned int index;

	if (kstrtouint(name + (*name == '/'), 10, &index) || index > INT_MAX)
		return ckpt_err(ctx, -ENOENT, "%s is no pty slave of a devpts", name);
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	master = ckpt_pty_open_index(ctx, "ptmx", devpts, index);
	if (IS_ERR(master)) {
		kfree(e);
		return PTR_ERR(master);
	}
	if (ckpt_pty_of(master)->link->index != index) {
		fput(master);
		kfree(e);
		return ckpt_err(ctx, -EBUSY, "pty %u of a devpts is taken", index);
	}
	e->master = master;
	e->d.run = ckpt_pty_early_run;
	e->d.free = ckpt_pty_early_free;
	ckpt_defer(ctx, &e->d);
	return 0;
}

/* The pair opened early on @path's devpts with slave @index, or NULL */
static struct file *ckpt_pty_claim(struct ckpt_ctx *ctx, const char *path, u32 index)
{
	struct ckpt_deferred *d;
	struct file *master;
	struct path p;

	if (list_empty(&ctx->deferred) || kern_path(path, LOOKUP_FOLLOW, &p))
		return NULL;
	list_for_each_entry(d, &ctx->deferred, list) {
		struct ckpt_pty_early *e = container_of(d, struct ckpt_pty_early, d);

		if (d->run != ckpt_pty_early_run || !e->master ||
		    file_inode(e->master)->i_sb != p.dentry->d_sb ||
		    ckpt_pty_of(e->master)->link->index != index)
			continue;
		master = e->master;
		e->master = NULL;
		path_put(&p);
		return master;
	}
	path_put(&p);
	return NULL;
}

static void *ckpt_pty_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct tty_struct *tty;
	struct ckpt_pty *rec;
	struct file *master;
	char *path;
	u32 len;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_PTY, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return rec;
	ret = ckpt_check_objref(ctx, rec->objref, objref);
	if (!ret)
		ret = ckpt_pty_check(ctx, rec);
	if (ret)
		goto out;
	path = ckpt_read_path(ctx, "PTY", rec, sizeof(*rec), len,
			      le32_to_cpu(rec->path_len));
	if (IS_ERR(path)) {
		ret = PTR_ERR(path);
		goto out;
	}
	master = ckpt_pty_claim(ctx, path, le32_to_cpu(rec->index)) ?:
		 ckpt_pty_open_index(ctx, path, NULL, le32_to_cpu(rec->index));
	if (IS_ERR(master)) {
		ret = PTR_ERR(master);
		goto out;
	}
	tty = ckpt_pty_of(master);
	ret = ckpt_pty_apply(ctx, tty, rec) ?: ckpt_pty_slave_attr(ctx, master);
	if (!ret && (le32_to_cpu(rec->flags) & CKPT_PTY_ORPHAN))
		ret = ckpt_pty_give_master(ctx, le32_to_cpu(rec->index), master);
	if (ret) {
		fput(master);
		goto out;
	}
	ckpt_log(ctx, "pty %u restored as pty %d", le32_to_cpu(rec->index),
		 tty->link->index);
out:
	kvfree(rec);
	return ret ? ERR_PTR(ret) : master;
}

/*
 * An open file of a restored pty pair.  The master is the file restart
 * opened the pair with; a slave is a new open of the pair's slave, as
 * TIOCGPTPEER gives.
 */
static struct file *ckpt_pty_file_restart(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
					  const char *path)
{
	struct file *master = ckpt_obj_lookup(ctx, CKPT_OBJ_pty, le32_to_cpu(rec->obj_ref));
	u32 flags = le32_to_cpu(rec->f_flags);
	struct tty_struct *tty;
	struct file *slave;
	struct path slave_path;

	if (!master)
		return ERR_PTR(-EINVAL);
	tty = ckpt_pty_of(master);
	if (le32_to_cpu(rec->kind) == CKPT_FILE_PTY_MASTER) {
		if ((flags & O_ACCMODE) != O_RDWR)
			return ERR_PTR(ckpt_err(ctx, -EINVAL, "a pty master must be read-write"));
		spin_lock(&master->f_lock);
		master->f_flags = (master->f_flags & ~O_NONBLOCK) | (flags & O_NONBLOCK);
		spin_unlock(&master->f_lock);
		return get_file(master);
	}

	slave_path.mnt = devpts_mntget(master, tty->driver_data);
	if (IS_ERR(slave_path.mnt))
		return ERR_CAST(slave_path.mnt);
	slave_path.dentry = tty->link->driver_data;
	slave = dentry_open(&slave_path, flags | O_NOCTTY, current_cred());
	mntput(slave_path.mnt);
	if (IS_ERR(slave))
		ckpt_err(ctx, PTR_ERR(slave), "cannot open the slave of pty %d",
			 tty->link->index);
	return slave;
}

static bool ckpt_pty_master_match(struct ckpt_ctx *ctx, struct file *file)
{
	struct tty_struct *tty = ckpt_pty_of(file);

	return tty && ckpt_pty_is_master(tty) && !tty_hung_up_p(file) &&
	       ckpt_pty_master_in_tree(ctx, tty);
}

static bool ckpt_pty_slave_match(struct ckpt_ctx *ctx, struct file *file)
{
	struct tty_struct *tty = ckpt_pty_of(file);

	return tty && !ckpt_pty_is_master(tty) && !tty_hung_up_p(file) &&
	       ckpt_pty_saved(ctx, tty);
}

CKPT_FILE_OPS(PTY_MASTER) = {
	.f_flags = CKPT_FILE_FLAGS,
	.props = CKPT_FOPS_PATH | CKPT_FOPS_REF,
	.match = ckpt_pty_master_match,
	.checkpoint = ckpt_pty_file_checkpoint,
	.restart = ckpt_pty_file_restart,
};

CKPT_FILE_OPS(PTY_SLAVE) = {
	.f_flags = CKPT_FILE_FLAGS,
	.props = CKPT_FOPS_PATH | CKPT_FOPS_REF,
	.match = ckpt_pty_slave_match,
	.checkpoint = ckpt_pty_file_checkpoint,
	.restart = ckpt_pty_file_restart,
};

/* ---- a terminal from outside the tree ---- */

static bool ckpt_is_tty(struct inode *inode)
{
	unsigned int major;

	if (!S_ISCHR(inode->i_mode))
		return false;
	major = imajor(inode);
	return major == TTY_MAJOR || major == TTYAUX_MAJOR ||
	       (major >= UNIX98_PTY_SLAVE_MAJOR &&
		major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT) ||
	       major == 229 /* hvc */;
}

static bool ckpt_tty_match(struct ckpt_ctx *ctx, struct file *file)
{
	return ckpt_is_tty(file_inode(file)) && !tty_hung_up_p(file) &&
	       !ckpt_pty_kind(ctx, file);
}

static int ckpt_tty_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	return ckpt_write_file_path(ctx, file, objref, CKPT_FILE_TTY, 0);
}

/* Not recreated: the restart caller's terminal takes its place */
static struct file *ckpt_tty_restart(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
				     const char *path)
{
	static const unsigned int fds[] = { 0, 1, 2 };
	u32 fd_hint = le32_to_cpu(rec->fd_hint);
	struct file *file;
	int i;

	if (fd_hint < 3) {
		file = fget_task(ctx->caller, fd_hint);
		if (file && ckpt_is_tty(file_inode(file)))
			return file;
		if (file)
			fput(file);
	}
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		file = fget_task(ctx->caller, fds[i]);
		if (file && ckpt_is_tty(file_inode(file)))
			return file;
		if (file)
			fput(file);
	}
	ckpt_err(ctx, -ENOTTY, "the image has a terminal open but the caller has none on fd 0-2");
	return ERR_PTR(-ENOTTY);
}

CKPT_FILE_OPS(TTY) = {
	.f_flags = CKPT_FILE_FLAGS,
	.props = CKPT_FOPS_PATH,
	.match = ckpt_tty_match,
	.checkpoint = ckpt_tty_checkpoint,
	.restart = ckpt_tty_restart,
};

/*
 * ---- a terminal hung up ----
 *
 * Its reads return end of file, its writes EIO, whatever terminal it was
 * (a pty slave whose master was closed, whose /dev/pts node is gone, a
 * terminal whose session leader exited): the slave of a new pty pair,
 * hung up as closing the master would, behaves the same.
 */

static bool ckpt_tty_hungup_match(struct ckpt_ctx *ctx, struct file *file)
{
	return ckpt_is_tty(file_inode(file)) && tty_hung_up_p(file) &&
	       ckpt_file_flags_ok(file, CKPT_FILE_FLAGS);
}

static int ckpt_tty_hungup_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	return ckpt_write_file_nopath(ctx, file, objref, CKPT_FILE_TTY_HUNGUP);
}

static struct file *ckpt_tty_hungup_restart(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
					    const char *unused)
{
	u32 flags = le32_to_cpu(rec->f_flags);
	struct file *master, *slave;
	struct tty_struct *tty;
	struct path path;

	if (!S_ISCHR(le32_to_cpu(rec->mode)) || rec->pos || (flags & O_ACCMODE) == 3) {
		ckpt_err(ctx, -EINVAL, "FILE of kind TTY_HUNGUP: invalid mode or flags");
		return ERR_PTR(-EINVAL);
	}
	master = ckpt_pty_open(ctx, "/dev/ptmx", NULL);
	if (IS_ERR(master))
		return master;
	tty = ckpt_pty_of(master);
	clear_bit(TTY_PTY_LOCK, &tty->flags);
	path.mnt = devpts_mntget(master, tty->driver_data);
	slave = ERR_CAST(path.mnt);
	if (!IS_ERR(path.mnt)) {
		path.dentry = tty->link->driver_data;
		slave = dentry_open(&path, (flags & ~O_CREAT) | O_NOCTTY, current_cred());
		mntput(path.mnt);
	}
	/* As closing the master does, now rather than at its final fput() */
	if (!IS_ERR(slave))
		tty_vhangup(tty->link);
	else
		ckpt_err(ctx, PTR_ERR(slave), "cannot make a hung-up terminal");
	fput(master);
	return slave;
}

CKPT_FILE_OPS(TTY_HUNGUP) = {
	.f_flags = CKPT_FILE_FLAGS,
	.match = ckpt_tty_hungup_match,
	.checkpoint = ckpt_tty_hungup_checkpoint,
	.restart = ckpt_tty_hungup_restart,
};

const struct ckpt_obj_ops ckpt_obj_pty_ops = {
	.name = "pty",
	.rec = CKPT_REC_PTY,
	.checkpoint = ckpt_pty_checkpoint,
	.restart = ckpt_pty_restart,
	.grab = ckpt_obj_get_file,
	.drop = ckpt_obj_put_file,
};

/* ---- a pty slave as the controlling terminal of a session of the tree ---- */

/* A reference on @t's controlling terminal, or NULL */
static struct tty_struct *ckpt_task_tty(struct task_struct *t)
{
	struct sighand_struct *sighand;
	struct tty_struct *tty;
	unsigned long flags;

	/* NULL if killed meanwhile: the check that all stayed frozen fails */
	sighand = lock_task_sighand(t, &flags);
	if (!sighand)
		return NULL;
	tty = tty_kref_get(t->signal->tty);
	spin_unlock_irqrestore(&sighand->siglock, flags);
	return tty;
}

/* The master file of @tty's pair if @tty is a pty slave of the tree */
static struct file *ckpt_ctty_master(struct ckpt_ctx *ctx, struct tty_struct *tty)
{
	struct file *master;

	if (tty->driver->type != TTY_DRIVER_TYPE_PTY ||
	    !(tty->driver->flags & TTY_DRIVER_DEVPTS_MEM) || ckpt_pty_is_master(tty))
		return NULL;
	master = ckpt_pty_master_file(tty);
	if (master && !ckpt_pty_saved(ctx, tty)) {
		fput(master);
		master = NULL;
	}
	return master;
}

/**
 * ckpt_pty_outside_ctty() - has a process a controlling terminal from outside?
 * @ctx: checkpoint context
 * @t: a frozen process
 *
 * Return: true if @t has a controlling terminal that is not the slave of
 * a pty pair whose master is open in the tree.
 */
bool ckpt_pty_outside_ctty(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct tty_struct *tty = ckpt_task_tty(t);
	struct file *master = tty ? ckpt_ctty_master(ctx, tty) : NULL;

	tty_kref_put(tty);
	if (master)
		fput(master);
	return tty && !master;
}

/**
 * ckpt_pty_checkpoint_ctty() - save a process's controlling pty
 * @ctx: checkpoint context
 * @t: a frozen process leader
 * @ref: set to the PTY object of its controlling terminal, 0 if it has
 *	none of the tree
 * @pgrp: set to the terminal's foreground process group if @t leads the
 *	session, else 0
 *
 * Return: 0 or a negative error (logged).
 */
int ckpt_pty_checkpoint_ctty(struct ckpt_ctx *ctx, struct task_struct *t,
			     u32 *ref, pid_t *pgrp)
{
	struct tty_struct *tty = ckpt_task_tty(t);
	struct pid *fg = NULL, *session = NULL;
	struct file *master;
	unsigned long flags;
	int ret;

	*ref = 0;
	*pgrp = 0;
	master = tty ? ckpt_ctty_master(ctx, tty) : NULL;
	if (!master) {
		tty_kref_put(tty);
		return 0;
	}
	spin_lock_irqsave(&tty->ctrl.lock, flags);
	fg = get_pid(tty->ctrl.pgrp);
	session = get_pid(tty->ctrl.session);
	spin_unlock_irqrestore(&tty->ctrl.lock, flags);
	if (session != task_session(t)) {
		ret = ckpt_err(ctx, -EOPNOTSUPP,
			       "process %d: its controlling pty belongs to another session",
			       task_tgid_vnr(t));
	} else {
		/* The group is the session's: its leader restores it */
		if (fg && t->signal->leader)
			*pgrp = pid_nr_ns(fg, ctx->pidns);
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_pty, master, ref);
	}
	put_pid(fg);
	put_pid(session);
	fput(master);
	tty_kref_put(tty);
	return ret;
}

/*
 * Make @tty the controlling terminal of @t, as TIOCSCTTY (or opening it)
 * would in the session leader and fork() in the others; the leader also
 * gives it its session and foreground group.
 */
static void ckpt_set_ctty(struct task_struct *t, struct tty_struct *tty,
			  struct pid *fg, bool leader)
{
	struct sighand_struct *sighand = rcu_dereference_protected(t->sighand, 1);
	struct tty_struct *old;
	unsigned long flags;

	if (leader) {
		spin_lock_irqsave(&tty->ctrl.lock, flags);
		put_pid(tty->ctrl.session);
		put_pid(tty->ctrl.pgrp);
		tty->ctrl.session = get_pid(task_session(t));
		tty->ctrl.pgrp = get_pid(fg);
		spin_unlock_irqrestore(&tty->ctrl.lock, flags);
	}
	spin_lock_irq(&sighand->siglock);
	old = t->signal->tty;
	t->signal->tty = tty_kref_get(tty);
	put_pid(t->signal->tty_old_pgrp);
	t->signal->tty_old_pgrp = NULL;
	spin_unlock_irq(&sighand->siglock);
	tty_kref_put(old);
}

/*
 * The foreground group of a session's terminal is a process group of that
 * session in the image: tcsetpgrp() would refuse any other, and a group
 * from outside would let the terminal signal tasks that are not ours.
 */
static bool ckpt_pty_fg_in_session(struct ckpt_ctx *ctx, const struct ckpt_rtask *leader)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_tasks; i++) {
		const struct ckpt_rtask *rt = &ctx->rtasks[i];

		if (rt->pid == rt->tgid && rt->pgid == leader->ctty_pgrp &&
		    rt->sid == leader->sid)
			return true;
	}
	return false;
}

/**
 * ckpt_pty_restore_cttys() - give restored sessions their controlling ptys
 * @ctx: restart context, every task built and its process group restored
 *
 * A process whose PROCESS record names a pty pair gets its slave as
 * controlling terminal; a session leader also gives the terminal its
 * session and foreground process group.  Checked first: every such
 * process is in a session of the image whose leader is restored with
 * the same terminal, and the foreground group is a group of the image.
 *
 * Return: 0 or -EINVAL (logged); nothing is changed then.
 */
int ckpt_pty_restore_cttys(struct ckpt_ctx *ctx)
{
	struct pid_namespace *ns = task_active_pid_ns(ctx->rtasks[0].task);
	unsigned int i, j;

	for (i = 0; i < ctx->nr_tasks; i++) {
		struct ckpt_rtask *rt = &ctx->rtasks[i], *leader = NULL;

		if (rt->pid != rt->tgid || !rt->ctty_ref)
			continue;
		for (j = 0; j < ctx->nr_tasks && !leader; j++)
			if (ctx->rtasks[j].pid == rt->sid && rt->sid &&
			    ctx->rtasks[j].pid == ctx->rtasks[j].tgid)
				leader = &ctx->rtasks[j];
		if (!leader || leader->ctty_ref != rt->ctty_ref)
			return ckpt_err(ctx, -EINVAL,
					"process %d: a controlling pty, but not that of its session's leader",
					rt->pid);
		if (!ckpt_obj_lookup(ctx, CKPT_OBJ_pty, rt->ctty_ref))
			return -EINVAL;
		if (rt != leader || !rt->ctty_pgrp)
			continue;
		if (!ckpt_pty_fg_in_session(ctx, rt))
			return ckpt_err(ctx, -EINVAL,
					"process %d: the foreground group %d of its terminal is no group of the image",
					rt->pid, rt->ctty_pgrp);
	}
	for (i = 0; i < ctx->nr_tasks; i++) {
		struct ckpt_rtask *rt = &ctx->rtasks[i];
		struct file *master;
		struct pid *fg = NULL;

		if (rt->pid != rt->tgid || !rt->ctty_ref)
			continue;
		master = ckpt_obj_lookup(ctx, CKPT_OBJ_pty, rt->ctty_ref);
		if (rt->ctty_pgrp) {
			rcu_read_lock();
			fg = get_pid(find_pid_ns(rt->ctty_pgrp, ns));
			rcu_read_unlock();
		}
		ckpt_set_ctty(rt->task, ckpt_pty_of(master)->link, fg, rt->pid == rt->sid);
		put_pid(fg);
	}
	return 0;
}
