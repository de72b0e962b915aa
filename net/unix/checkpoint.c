// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of AF_UNIX sockets: the file kind CKPT_FILE_UNIX.
 *
 * Included at the end of af_unix.c (like the System V IPC back ends in
 * ipc/), since it needs the socket's private structures: its peer, its
 * address, the listener's queue of connections not accepted yet, and
 * the credentials and sender of each queued message.
 *
 * A socket is a FILE record of kind UNIX followed by its UNIX_SK record.
 * Of the two ends of a connection, the first one saved is marked
 * PEER_LATER; the second names it in peer_ref and carries the messages
 * queued on both.  At restart the first end waits, unconnected, until the
 * second joins it back to back, as socketpair(2) does, and both queues
 * are refilled with the saved messages, their credentials and (datagrams)
 * their senders' addresses.  A listening socket is followed by one
 * UNIX_SK (EMBRYO) per connection not accepted yet, whose client end is
 * saved before the listener.  A datagram socket connected to a socket
 * outside the tree is connected again by name.
 *
 * A stream connected to a process outside the tree is refused, by name,
 * unless the caller asks for it to be saved as external
 * (CHECKPOINT_EXT_UNIX_SK): its record then carries the messages queued
 * on it and a key, "socket:[INO]", by which the caller of restart hands a
 * connected socket that takes its place (RESTART_EXTERNAL), as CRIU's
 * --ext-unix-sk and --inherit-fd do.  Out-of-band data is refused.
 */
#include <linux/checkpoint_file.h>
#include <linux/namei.h>
#include <linux/pid_namespace.h>

/* What the key of a saved or restored socket holds */
#define CKPT_UNIX_KEY_SAVED	BIT(0)	/* its UNIX_SK was written */
#define CKPT_UNIX_KEY_LATER	BIT(1)	/* its peer comes later */

#define CKPT_UNIX_STREAM_CHUNK	(32 * 1024)	/* bytes of a STREAM UNIX_SKB */

#define CKPT_UNIX_FLAGS	(O_ACCMODE | O_NONBLOCK)

/*
 * The longest path to bind to: sun_path, less the name a socket whose file
 * was unlinked is bound under in its directory (ckpt_unix_bind_unlinked())
 */
#define CKPT_UNIX_TMP_NAME	".ckpt-unix-%08x"
#define CKPT_UNIX_PATH_MAX(flags) (sizeof_field(struct sockaddr_un, sun_path) - \
				   ((flags) & CKPT_UNIX_UNLINKED ? 20 : 0))

static bool ckpt_unix_match(struct ckpt_ctx *ctx, struct file *file)
{
	struct socket *sock = sock_from_file(file);

	return sock && sock->sk && sock->sk->sk_family == AF_UNIX &&
	       ckpt_file_flags_ok(file, CKPT_UNIX_FLAGS);
}

static bool ckpt_unix_type_ok(u32 type)
{
	return type == SOCK_STREAM || type == SOCK_DGRAM || type == SOCK_SEQPACKET;
}

/* The socket of a file of kind UNIX */
static struct sock *ckpt_unix_sk_of(struct file *file)
{
	struct socket *sock = file ? sock_from_file(file) : NULL;

	return sock && sock->sk && sock->sk->sk_family == AF_UNIX ? sock->sk : NULL;
}

/* ---- checkpoint ---- */

/* The address of @sk */
static const struct unix_address *ckpt_unix_addr(const struct sock *sk)
{
	/* Pairs with the smp_store_release() of bind, autobind and connect */
	return smp_load_acquire(&unix_sk(sk)->addr);
}

/* The bytes of sun_path of @addr, or 0 */
static u32 ckpt_unix_addr_len(const struct unix_address *addr)
{
	return addr ? addr->len - offsetof(struct sockaddr_un, sun_path) : 0;
}

/* A socket's name for the log: its address, or "unnamed" */
static const char *ckpt_unix_name(struct sock *sk, char *buf, size_t size)
{
	const struct unix_address *addr = ckpt_unix_addr(sk);
	u32 len = ckpt_unix_addr_len(addr);

	if (!len)
		return "unnamed";
	if (addr->name->sun_path[0])
		snprintf(buf, size, "%.*s", len, addr->name->sun_path);
	else
		snprintf(buf, size, "@%.*s", len - 1, addr->name->sun_path + 1);
	return buf;
}

/*
 * Save, before the socket that names it, a socket that a task of the tree
 * has open: the client of a connection not accepted yet, or a datagram
 * socket's peer.  Return 1 if it is outside the tree, 0 or an error.
 */
static int ckpt_unix_ahead(struct ckpt_ctx *ctx, struct sock *other)
{
	struct socket *sock = other->sk_socket;
	u32 ref;
	int ret;

	if (sock_flag(other, SOCK_DEAD) || !sock || !sock->file)
		return 1;
	if (ckpt_obj_key_find(ctx, CKPT_OBJ_file, other, &ref))
		return 0;
	if (!ckpt_file_user(ctx, sock->file, true))
		return 1;
	ret = ckpt_obj_checkpoint_ahead(ctx, CKPT_OBJ_file, sock->file, &ref);
	if (ret == 1)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"UNIX socket %u: a cycle of datagram connections cannot be saved yet",
				ref);
	return ret;
}

static int ckpt_unix_ahead_inflight(struct ckpt_ctx *ctx, struct sock *sk);

/* Save the clients of the connections a listening socket has not accepted */
static int ckpt_unix_ahead_clients(struct ckpt_ctx *ctx, struct sock *sk)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	struct sock *client, *embryo;
	struct sk_buff *skb;
	char name[64];
	int ret = 0;

	/* The tasks are frozen: only outsiders can add connections, at the tail */
	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		embryo = skb->sk;
		client = unix_peer(embryo);
		sock_hold(embryo);
		sock_hold(client);
		spin_unlock(&q->lock);
		ret = ckpt_unix_ahead(ctx, client);
		if (ret > 0)
			ret = ckpt_err(ctx, -EOPNOTSUPP,
				       "UNIX socket %s: a connection from outside the tree is not accepted yet",
				       ckpt_unix_name(sk, name, sizeof(name)));
		if (!ret)
			ret = ckpt_unix_ahead_inflight(ctx, embryo) ?:
			      ckpt_unix_ahead_inflight(ctx, client);
		sock_put(client);
		sock_put(embryo);
		spin_lock(&q->lock);
		if (ret)
			break;
	}
	spin_unlock(&q->lock);
	return ret;
}

/* The messages queued on @sk, each with a reference, oldest first */
static struct sk_buff **ckpt_unix_queue(struct sock *sk, u32 *nr)
{
	struct sk_buff **skbs = NULL;
	struct sk_buff *skb;
	u32 n, max = 0;

	for (;;) {
		n = 0;
		spin_lock(&sk->sk_receive_queue.lock);
		skb_queue_walk(&sk->sk_receive_queue, skb) {
			if (n < max)
				skbs[n] = skb_get(skb);
			n++;
		}
		spin_unlock(&sk->sk_receive_queue.lock);
		if (n <= max)
			break;
		while (max--)
			kfree_skb(skbs[max]);
		kvfree(skbs);
		max = n + 8;
		skbs = kvcalloc(max, sizeof(*skbs), GFP_KERNEL);
		if (!skbs)
			return ERR_PTR(-ENOMEM);
	}
	*nr = n;
	return skbs;
}

static void ckpt_unix_queue_put(struct sk_buff **skbs, u32 nr)
{
	while (nr--)
		kfree_skb(skbs[nr]);
	kvfree(skbs);
}

/* Fill in the credentials and sender of a message */
static void ckpt_unix_skb_rec(struct ckpt_ctx *ctx, struct sock *sk,
			      struct sk_buff *skb, struct ckpt_unix_skb *rec,
			      const struct unix_address **addr)
{
	struct user_namespace *ns = current_user_ns();

	*addr = NULL;
	if (UNIXCB(skb).pid) {
		rec->flags = cpu_to_le32(CKPT_UNIX_SKB_CREDS);
		rec->pid = cpu_to_le32(pid_nr_ns(UNIXCB(skb).pid, ctx->pidns));
		rec->uid = cpu_to_le32(from_kuid_munged(ns, UNIXCB(skb).uid));
		rec->gid = cpu_to_le32(from_kgid_munged(ns, UNIXCB(skb).gid));
	}
	if (sk->sk_type != SOCK_DGRAM || !skb->sk)
		return;
	if (skb->sk == unix_peer(sk)) {
		rec->flags |= cpu_to_le32(CKPT_UNIX_SKB_FROM_PEER);
		return;
	}
	*addr = ckpt_unix_addr(skb->sk);
	rec->addr_len = cpu_to_le32(ckpt_unix_addr_len(*addr));
}

/* The ids of the files in flight in @skb, saved ahead; their number */
static int ckpt_unix_skb_fds(struct ckpt_ctx *ctx, struct sk_buff *skb, __le32 *refs)
{
	struct scm_fp_list *fp = UNIXCB(skb).fp;
	int i;
	u32 ref;

	for (i = 0; fp && i < fp->count; i++) {
		/* Written ahead; one sent since would be written under iolock */
		ref = ckpt_obj_id(ctx, CKPT_OBJ_file, fp->fp[i]);
		if (!ref)
			return ckpt_err(ctx, -EAGAIN,
					"a descriptor was sent on a UNIX socket during the checkpoint");
		refs[i] = cpu_to_le32(ref);
	}
	return fp ? fp->count : 0;
}

/* One message, cut in chunks if it is a stream's */
static int ckpt_unix_write_skb(struct ckpt_ctx *ctx, struct sock *sk,
			       struct sk_buff *skb, void *buf)
{
	u32 off = sk->sk_type == SOCK_STREAM ? UNIXCB(skb).consumed : 0;
	u32 left = skb->len - off, n, alen;
	const struct unix_address *addr;
	int ret, nr_fds;

	nr_fds = ckpt_unix_skb_fds(ctx, skb, buf);
	if (nr_fds < 0)
		return nr_fds;
	do {
		struct ckpt_unix_skb rec = { .nr_fds = cpu_to_le32(nr_fds) };
		void *data = buf + nr_fds * sizeof(__le32);

		n = sk->sk_type == SOCK_STREAM ? min(left, CKPT_UNIX_STREAM_CHUNK) : left;
		ckpt_unix_skb_rec(ctx, sk, skb, &rec, &addr);
		alen = le32_to_cpu(rec.addr_len);
		rec.len = cpu_to_le32(n);
		ret = skb_copy_bits(skb, off, data, n);
		if (ret)
			return ckpt_err(ctx, ret, "cannot copy a UNIX socket's message");
		if (alen)
			memcpy(data + n, addr->name->sun_path, alen);
		ret = ckpt_write_rec_var(ctx, CKPT_REC_UNIX_SKB, &rec, sizeof(rec),
					 buf, nr_fds * sizeof(__le32) + n + alen);
		off += n;
		left -= n;
		/* The descriptors go with the first part */
		nr_fds = 0;
	} while (!ret && left);
	return ret;
}

/* The messages queued on @sk, as UNIX_SKB records */
static int ckpt_unix_write_queue(struct ckpt_ctx *ctx, struct sock *sk,
				 struct sk_buff **skbs, u32 nr)
{
	void *buf = NULL;
	u32 i, max = 0;
	int ret = 0;

	for (i = 0; !ret && i < nr; i++) {
		u32 need = skbs[i]->len + sizeof(struct sockaddr_un) +
			   SCM_MAX_FD * sizeof(__le32);

		if (sk->sk_type == SOCK_STREAM && skbs[i]->len == UNIXCB(skbs[i]).consumed)
			continue;
		if (need > max) {
			kvfree(buf);
			max = need;
			buf = kvmalloc(max, GFP_KERNEL);
			if (!buf)
				return -ENOMEM;
		}
		ret = ckpt_unix_write_skb(ctx, sk, skbs[i], buf);
	}
	kvfree(buf);
	return ret;
}

/* Whether the messages of a queue can be saved; the count of records */
static int ckpt_unix_queue_check(struct ckpt_ctx *ctx, struct sock *sk,
				 struct sk_buff **skbs, u32 nr, u32 *nr_recs)
{
	char name[64];
	u32 i, len;

	*nr_recs = 0;
	for (i = 0; i < nr; i++) {
		len = skbs[i]->len;
		if (sk->sk_type == SOCK_STREAM)
			len -= UNIXCB(skbs[i]).consumed;
		if (len > CKPT_UNIX_SKB_MAX)
			return ckpt_err(ctx, -EOPNOTSUPP,
					"UNIX socket %s: a message of %u bytes is too large",
					ckpt_unix_name(sk, name, sizeof(name)), len);
		if (sk->sk_type == SOCK_STREAM && !len)
			continue;
		*nr_recs += sk->sk_type == SOCK_STREAM ?
			    DIV_ROUND_UP(len, CKPT_UNIX_STREAM_CHUNK) : 1;
	}
#if IS_ENABLED(CONFIG_AF_UNIX_OOB)
	if (READ_ONCE(unix_sk(sk)->oob_skb))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"UNIX socket %s: out-of-band data cannot be saved yet",
				ckpt_unix_name(sk, name, sizeof(name)));
#endif
	return 0;
}

/* SO_PEERCRED of @sk, and its options */
static void ckpt_unix_sk_opts(struct ckpt_ctx *ctx, struct sock *sk,
			      struct ckpt_unix_sk *rec, u32 *flags)
{
	struct user_namespace *ns = current_user_ns();
	struct socket *sock = sk->sk_socket;

	spin_lock(&sk->sk_peer_lock);
	if (sk->sk_peer_cred) {
		*flags |= CKPT_UNIX_PEERCRED;
		rec->cred_pid = cpu_to_le32(pid_nr_ns(sk->sk_peer_pid, ctx->pidns));
		rec->cred_uid = cpu_to_le32(from_kuid_munged(ns, sk->sk_peer_cred->euid));
		rec->cred_gid = cpu_to_le32(from_kgid_munged(ns, sk->sk_peer_cred->egid));
	}
	spin_unlock(&sk->sk_peer_lock);
	if (sock && test_bit(SOCK_PASSCRED, &sock->flags))
		*flags |= CKPT_UNIX_PASSCRED;
	if (sock && test_bit(SOCK_PASSPIDFD, &sock->flags))
		*flags |= CKPT_UNIX_PASSPIDFD;
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		*flags |= CKPT_UNIX_SNDBUF_LOCK;
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		*flags |= CKPT_UNIX_RCVBUF_LOCK;
	rec->shutdown = cpu_to_le32(READ_ONCE(sk->sk_shutdown));
	rec->err = cpu_to_le32(READ_ONCE(sk->sk_err));
	rec->sndbuf = cpu_to_le32(READ_ONCE(sk->sk_sndbuf));
	rec->rcvbuf = cpu_to_le32(READ_ONCE(sk->sk_rcvbuf));
	rec->peek_off = cpu_to_le32(READ_ONCE(sk->sk_peek_off));
	rec->backlog = cpu_to_le32(READ_ONCE(sk->sk_max_ack_backlog));
}

/* Room for an EXTERNAL's key, "socket:[INO]", with its NUL */
#define CKPT_UNIX_KEY_MAX	32

/* How a UNIX_SK names the other end of @sk, which is @peer */
struct ckpt_unix_link {
	u32 state;
	u32 flags;
	u32 peer_ref;
	struct sock *peer;		/* whose queue this record carries too */
	const struct unix_address *name;	/* PEER_NAME */
	char key[CKPT_UNIX_KEY_MAX];	/* EXTERNAL: "socket:[INO]" */
};

/*
 * With CHECKPOINT_EXT_UNIX_SK, whether @peer, the other end of a
 * connection of ours, is outside the tree: no task of the tree has its
 * file (the tasks are frozen: a file they have stays)
 */
static bool ckpt_unix_peer_outside(struct ckpt_ctx *ctx, struct sock *peer)
{
	struct file *file = NULL;

	if (!(ctx->flags & CHECKPOINT_EXT_UNIX_SK))
		return false;
	read_lock_bh(&peer->sk_callback_lock);
	if (peer->sk_socket)
		file = peer->sk_socket->file;
	read_unlock_bh(&peer->sk_callback_lock);
	/* Only compared: an outside holder may close it meanwhile */
	return !file || !ckpt_file_user(ctx, file, true);
}

static int ckpt_unix_link_peer(struct ckpt_ctx *ctx, struct sock *sk,
			       struct sock *peer, struct ckpt_unix_link *l)
{
	bool mutual = unix_peer(peer) == sk;
	unsigned long *key;
	char name[64];
	u32 ref;

	l->state = CKPT_UNIX_CONNECTED;
	if (sock_flag(peer, SOCK_DEAD)) {
		l->flags |= CKPT_UNIX_PEER_GONE;
		return 0;
	}
	key = ckpt_obj_key_find(ctx, CKPT_OBJ_file, peer, &ref);
	if (mutual && !key && sk->sk_type != SOCK_DGRAM && ckpt_unix_peer_outside(ctx, peer)) {
		/* Restart puts the caller's replacement in its place */
		l->flags |= CKPT_UNIX_EXTERNAL;
		snprintf(l->key, sizeof(l->key), "socket:[%lu]", sock_i_ino(sk));
		ckpt_log(ctx, "UNIX socket %s is connected outside the tree: saved as external %s",
			 ckpt_unix_name(sk, name, sizeof(name)), l->key);
		return 0;
	}
	if (mutual && !key) {
		l->flags |= CKPT_UNIX_PEER_LATER;
		return 0;
	}
	if (mutual) {
		/* It waits for us: join it, with the messages for both */
		*key &= ~CKPT_UNIX_KEY_LATER;
		l->peer_ref = ref;
		l->peer = peer;
		return 0;
	}
	/* A datagram socket sending to another, saved ahead if it is ours */
	if (key) {
		l->peer_ref = ref;
		return 0;
	}
	l->name = ckpt_unix_addr(peer);
	if (!ckpt_unix_addr_len(l->name))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"UNIX socket %s: connected to an unnamed socket outside the tree",
				ckpt_unix_name(sk, name, sizeof(name)));
	l->flags |= CKPT_UNIX_PEER_NAME;
	return 0;
}

/* The UNIX_SK record of @sk and the messages it carries */
static int __ckpt_unix_write_rec(struct ckpt_ctx *ctx, struct sock *sk,
				 struct ckpt_unix_sk *rec, struct ckpt_unix_link *l,
				 const char *path, u32 path_len, u32 nr_embryos)
{
	struct sk_buff **own = NULL, **theirs = NULL;
	u32 nr_own = 0, nr_theirs = 0, nr, nr_peer, alen, nlen;
	const struct unix_address *addr;
	char *var;
	int ret;

	if (l->state != CKPT_UNIX_LISTEN && !(l->flags & CKPT_UNIX_PEER_LATER)) {
		own = ckpt_unix_queue(sk, &nr_own);
		if (IS_ERR(own))
			return PTR_ERR(own);
	}
	if (l->peer) {
		theirs = ckpt_unix_queue(l->peer, &nr_theirs);
		if (IS_ERR(theirs)) {
			ckpt_unix_queue_put(own, nr_own);
			return PTR_ERR(theirs);
		}
	}
	ret = ckpt_unix_queue_check(ctx, sk, own, nr_own, &nr) ?:
	      ckpt_unix_queue_check(ctx, l->peer ?: sk, theirs, nr_theirs, &nr_peer);
	if (l->state == CKPT_UNIX_LISTEN)
		nr = nr_embryos;
	rec->nr_skbs = cpu_to_le32(nr);
	rec->nr_peer_skbs = cpu_to_le32(nr_peer);
	addr = ckpt_unix_addr(sk);
	alen = ckpt_unix_addr_len(addr);
	nlen = l->key[0] ? strlen(l->key) : ckpt_unix_addr_len(l->name);
	rec->addr_len = cpu_to_le32(alen);
	rec->path_len = cpu_to_le32(path_len);
	rec->peer_name_len = cpu_to_le32(nlen);
	var = ret ? NULL : kmalloc(alen + path_len + nlen + 1, GFP_KERNEL);
	if (!ret && !var)
		ret = -ENOMEM;
	if (!ret) {
		if (alen)
			memcpy(var, addr->name->sun_path, alen);
		if (path_len)
			memcpy(var + alen, path, path_len);
		if (nlen)
			memcpy(var + alen + path_len,
			       l->key[0] ? l->key : l->name->name->sun_path, nlen);
		ret = ckpt_write_rec_var(ctx, CKPT_REC_UNIX_SK, rec, sizeof(*rec),
					 var, alen + path_len + nlen);
	}
	kfree(var);
	if (!ret)
		ret = ckpt_unix_write_queue(ctx, sk, own, nr_own);
	if (!ret && l->peer)
		ret = ckpt_unix_write_queue(ctx, l->peer, theirs, nr_theirs);
	ckpt_unix_queue_put(own, nr_own);
	ckpt_unix_queue_put(theirs, nr_theirs);
	return ret;
}

/*
 * The same, under the iolock of the sockets whose queues it writes: a
 * receiver (outside the tree: inside, all are frozen) takes it to consume
 * a message or detach its descriptors.
 */
static int ckpt_unix_write_rec(struct ckpt_ctx *ctx, struct sock *sk,
			       struct ckpt_unix_sk *rec, struct ckpt_unix_link *l,
			       const char *path, u32 path_len, u32 nr_embryos)
{
	int ret;

	mutex_lock(&unix_sk(sk)->iolock);
	if (l->peer)
		mutex_lock_nested(&unix_sk(l->peer)->iolock, SINGLE_DEPTH_NESTING);
	ret = __ckpt_unix_write_rec(ctx, sk, rec, l, path, path_len, nr_embryos);
	if (l->peer)
		mutex_unlock(&unix_sk(l->peer)->iolock);
	mutex_unlock(&unix_sk(sk)->iolock);
	return ret;
}

/*
 * The path a socket is bound to, to bind it again: NULL if it holds no
 * path (abstract, unbound, or an accepted socket that shares its
 * listener's), or an ERR_PTR (logged).
 */
static char *ckpt_unix_bound_path(struct ckpt_ctx *ctx, struct sock *sk,
				  char *buf, u32 *len, u32 *flags)
{
	struct unix_sock *u = unix_sk(sk);
	struct path dir = { .mnt = u->path.mnt };
	char name[64];
	char *p;

	*len = 0;
	if (!u->path.dentry || hlist_unhashed(&sk->sk_bind_node))
		return NULL;
	/* Its file was unlinked: bind again in the same directory, and unlink */
	if (d_unlinked(u->path.dentry)) {
		*flags |= CKPT_UNIX_UNLINKED;
		dir.dentry = dget_parent(u->path.dentry);
		p = d_unlinked(dir.dentry) ? ERR_PTR(-ENOENT) : ckpt_path_name(ctx, &dir, buf);
		dput(dir.dentry);
	} else {
		p = ckpt_path_name(ctx, &u->path, buf);
	}
	if (IS_ERR(p) || *p != '/') {
		ckpt_err(ctx, -EXDEV, "UNIX socket %s: its file is outside the tasks' root",
			 ckpt_unix_name(sk, name, sizeof(name)));
		return ERR_PTR(-EXDEV);
	}
	*len = strlen(p) + 1;
	if (*len + !!(*flags & CKPT_UNIX_UNLINKED) > CKPT_UNIX_PATH_MAX(*flags)) {
		ckpt_err(ctx, -ENAMETOOLONG, "UNIX socket %s: the path %s is too long to bind again",
			 ckpt_unix_name(sk, name, sizeof(name)), p);
		return ERR_PTR(-ENAMETOOLONG);
	}
	/* d_path() writes at the end of @buf: to its start, to append */
	memmove(buf, p, *len);
	if ((*flags & CKPT_UNIX_UNLINKED) && strcmp(buf, "/") && *len < CKPT_PATH_MAX) {
		/* A directory's path ends with a '/' */
		buf[*len - 1] = '/';
		buf[*len] = 0;
		*len += 1;
	}
	return buf;
}

/* Whether @sk holds its address: bound itself, not accepted from a listener */
static bool ckpt_unix_bound(struct sock *sk)
{
	const struct unix_address *addr = ckpt_unix_addr(sk);

	if (!addr)
		return false;
	if (addr->name->sun_path[0])
		return !hlist_unhashed(&sk->sk_bind_node);
	return sk->sk_hash > UNIX_HASH_MOD;
}

static int ckpt_unix_write_sk(struct ckpt_ctx *ctx, struct sock *sk, u32 objref,
			      u32 listener_ref);

/* The connections queued on a listening socket, each an EMBRYO UNIX_SK */
static int ckpt_unix_write_embryos(struct ckpt_ctx *ctx, struct sock *sk,
				   struct sk_buff **skbs, u32 nr, u32 objref)
{
	int ret = 0;
	u32 i;

	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_unix_write_sk(ctx, skbs[i]->sk, 0, objref);
	return ret;
}

/* The UNIX_SK of a socket (objref) or of a connection not accepted yet */
static int ckpt_unix_write_sk(struct ckpt_ctx *ctx, struct sock *sk, u32 objref,
			      u32 listener_ref)
{
	struct ckpt_unix_sk rec = {
		.objref = cpu_to_le32(objref),
		.type = cpu_to_le32(sk->sk_type),
		.listener_ref = cpu_to_le32(listener_ref),
	};
	struct ckpt_unix_link l = { .flags = listener_ref ? CKPT_UNIX_EMBRYO : 0 };
	struct sk_buff **embryos = NULL;
	struct sock *peer = NULL;
	u32 path_len, nr = 0;
	unsigned long *key;
	char *buf, *path;
	int ret = 0;

	buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	path = ckpt_unix_bound_path(ctx, sk, buf, &path_len, &l.flags);
	if (IS_ERR(path)) {
		kfree(buf);
		return PTR_ERR(path);
	}
	if (ckpt_unix_bound(sk))
		l.flags |= CKPT_UNIX_BOUND;
	ckpt_unix_sk_opts(ctx, sk, &rec, &l.flags);
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN) {
		l.state = CKPT_UNIX_LISTEN;
		embryos = ckpt_unix_queue(sk, &nr);
		ret = PTR_ERR_OR_ZERO(embryos);
	} else {
		peer = unix_peer_get(sk);
		if (peer)
			ret = ckpt_unix_link_peer(ctx, sk, peer, &l);
	}
	rec.state = cpu_to_le32(l.state);
	rec.flags = cpu_to_le32(l.flags);
	rec.peer_ref = cpu_to_le32(l.peer_ref);
	if (!ret)
		ret = ckpt_unix_write_rec(ctx, sk, &rec, &l, path, path_len, nr);
	if (!ret && objref) {
		key = ckpt_obj_key_add(ctx, CKPT_OBJ_file, sk, objref);
		if (IS_ERR(key))
			ret = PTR_ERR(key);
		else
			*key = CKPT_UNIX_KEY_SAVED |
			       (l.flags & CKPT_UNIX_PEER_LATER ? CKPT_UNIX_KEY_LATER : 0);
	}
	if (!ret && embryos)
		ret = ckpt_unix_write_embryos(ctx, sk, embryos, nr, objref);
	if (!IS_ERR_OR_NULL(embryos))
		ckpt_unix_queue_put(embryos, nr);
	if (peer)
		sock_put(peer);
	kfree(buf);
	return ret;
}

/* A file in flight, saved before the socket whose queue holds it */
static int ckpt_unix_ahead_file(struct ckpt_ctx *ctx, struct file *file)
{
	struct sock *sk = ckpt_unix_sk_of(file);
	u32 ref;
	int ret;

	ret = ckpt_obj_checkpoint_ahead(ctx, CKPT_OBJ_file, file, &ref);
	/* Seen, but not written yet: it is being written, so it holds itself */
	if (ret == 1 && sk && !ckpt_obj_key_find(ctx, CKPT_OBJ_file, sk, &ref))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"UNIX socket %u is in flight in its own queue (not supported yet)",
				ref);
	return ret < 0 ? ret : 0;
}

/*
 * The files in flight in the messages queued on @sk (SCM_RIGHTS), each
 * with a reference; taken under the socket's iolock, which a receiver
 * takes to detach them.
 */
static struct file **ckpt_unix_inflight_files(struct sock *sk, u32 *nr)
{
	struct file **files = NULL;
	struct scm_fp_list *fp;
	struct sk_buff *skb;
	u32 n, max = 0;
	int i;

	for (;;) {
		n = 0;
		mutex_lock(&unix_sk(sk)->iolock);
		spin_lock(&sk->sk_receive_queue.lock);
		skb_queue_walk(&sk->sk_receive_queue, skb) {
			fp = UNIXCB(skb).fp;
			for (i = 0; fp && i < fp->count; i++, n++)
				if (n < max)
					files[n] = get_file(fp->fp[i]);
		}
		spin_unlock(&sk->sk_receive_queue.lock);
		mutex_unlock(&unix_sk(sk)->iolock);
		if (n <= max)
			break;
		while (max--)
			fput(files[max]);
		kvfree(files);
		max = n + 8;
		files = kvcalloc(max, sizeof(*files), GFP_KERNEL);
		if (!files)
			return ERR_PTR(-ENOMEM);
	}
	*nr = n;
	return files;
}

/* Save them ahead of the socket whose queue holds them */
static int ckpt_unix_ahead_inflight(struct ckpt_ctx *ctx, struct sock *sk)
{
	struct file **files;
	u32 nr, i;
	int ret = 0;

	files = ckpt_unix_inflight_files(sk, &nr);
	if (IS_ERR(files))
		return PTR_ERR(files);
	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_unix_ahead_file(ctx, files[i]);
	for (i = 0; i < nr; i++)
		fput(files[i]);
	kvfree(files);
	return ret;
}

/*
 * Sockets and files the records of @sk name must come before its FILE:
 * the clients of the connections a listener has not accepted, the socket
 * a datagram socket sends to if it is one of ours, the files in flight
 * in the queues its records carry.
 */
static int ckpt_unix_write_ahead(struct ckpt_ctx *ctx, struct sock *sk)
{
	bool mutual, later;
	struct sock *peer;
	u32 ref;
	int ret = 0;

	if (READ_ONCE(sk->sk_state) == TCP_LISTEN)
		return ckpt_unix_ahead_clients(ctx, sk);
	peer = unix_peer_get(sk);
	mutual = peer && unix_peer(peer) == sk && !sock_flag(peer, SOCK_DEAD);
	/* Its queue is written later, with its peer's, unless that is outside */
	later = mutual && !ckpt_obj_key_find(ctx, CKPT_OBJ_file, peer, &ref) &&
		!(sk->sk_type != SOCK_DGRAM && ckpt_unix_peer_outside(ctx, peer));
	if (peer && unix_peer(peer) != sk)
		ret = ckpt_unix_ahead(ctx, peer);
	if (ret >= 0 && !later)
		ret = ckpt_unix_ahead_inflight(ctx, sk);
	if (!ret && mutual && !later)
		ret = ckpt_unix_ahead_inflight(ctx, peer);
	if (peer)
		sock_put(peer);
	return ret < 0 ? ret : 0;
}

static int ckpt_unix_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	struct sock *sk = ckpt_unix_sk_of(file);
	char name[64];
	int ret;

	/* Restart creates it in the tasks' network namespace */
	if (ctx->nsproxy && sock_net(sk) != ctx->nsproxy->net_ns)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"UNIX socket %s (file %u) is of another network namespace than the tasks'",
				ckpt_unix_name(sk, name, sizeof(name)), objref);
	ret = ckpt_unix_write_ahead(ctx, sk);
	if (ret)
		return ret;
	return ckpt_write_file_nopath(ctx, file, objref, CKPT_FILE_UNIX) ?:
	       ckpt_unix_write_sk(ctx, sk, objref, 0);
}

/* Every socket saved PEER_LATER must have been joined by its peer */
static int ckpt_unix_check(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	struct sock *sk = ckpt_unix_sk_of(file);
	unsigned long *key;
	char name[64];
	u32 ref;

	key = ckpt_obj_key_find(ctx, CKPT_OBJ_file, sk, &ref);
	if (!key || !(*key & CKPT_UNIX_KEY_LATER))
		return 0;
	return ckpt_err(ctx, -EBUSY,
			"UNIX socket %s (file %u) is connected to a socket outside the tree (not supported yet)",
			ckpt_unix_name(sk, name, sizeof(name)), objref);
}

/* ---- restart ---- */

/* Check a UNIX_SK; @var returns the address, path and peer's address */
static int ckpt_unix_rec_check(struct ckpt_ctx *ctx, const struct ckpt_unix_sk *rec,
			       u32 len, u32 objref, const char **var)
{
	u32 type = le32_to_cpu(rec->type), state = le32_to_cpu(rec->state);
	u32 flags = le32_to_cpu(rec->flags), alen = le32_to_cpu(rec->addr_len);
	u32 plen = le32_to_cpu(rec->path_len), nlen = le32_to_cpu(rec->peer_name_len);
	u32 links = !!rec->peer_ref + !!(flags & CKPT_UNIX_PEER_LATER) +
		    !!(flags & CKPT_UNIX_PEER_NAME) + !!(flags & CKPT_UNIX_PEER_GONE) +
		    !!(flags & CKPT_UNIX_EXTERNAL);
	bool stream = type != SOCK_DGRAM;
	const char *v = (const char *)(rec + 1);
	u64 total = (u64)sizeof(*rec) + alen + plen + nlen;

	*var = v;
	if (le32_to_cpu(rec->objref) != objref || !ckpt_unix_type_ok(type) ||
	    state > CKPT_UNIX_CONNECTED || (flags & ~CKPT_UNIX_ALL) ||
	    !(flags & CKPT_UNIX_EMBRYO) != !rec->listener_ref ||
	    (state == CKPT_UNIX_CONNECTED ? links != 1 : links) ||
	    (state == CKPT_UNIX_LISTEN && (!stream || rec->nr_peer_skbs)) ||
	    (state == CKPT_UNIX_UNCONNECTED && stream && rec->nr_skbs) ||
	    ((flags & CKPT_UNIX_PEER_LATER) && (rec->nr_skbs || rec->nr_peer_skbs)) ||
	    (rec->nr_peer_skbs && !rec->peer_ref) ||
	    ((flags & CKPT_UNIX_PEER_NAME) && (stream || !nlen)) ||
	    ((flags & CKPT_UNIX_EXTERNAL) && (!stream || !nlen || nlen >= CKPT_UNIX_KEY_MAX ||
					      (flags & CKPT_UNIX_EMBRYO))) ||
	    (!(flags & (CKPT_UNIX_PEER_NAME | CKPT_UNIX_EXTERNAL)) && nlen) ||
	    alen > sizeof_field(struct sockaddr_un, sun_path) ||
	    nlen > sizeof_field(struct sockaddr_un, sun_path) ||
	    ((flags & CKPT_UNIX_BOUND) && !alen) ||
	    le32_to_cpu(rec->shutdown) > SHUTDOWN_MASK ||
	    le32_to_cpu(rec->err) > MAX_ERRNO ||
	    (s32)le32_to_cpu(rec->peek_off) < -1 ||
	    (s32)le32_to_cpu(rec->sndbuf) < 0 || (s32)le32_to_cpu(rec->rcvbuf) < 0 ||
	    len != ALIGN(total, 8) || memchr_inv(v + total - sizeof(*rec), 0, len - total))
		return ckpt_err(ctx, -EINVAL, "UNIX_SK of socket %u is invalid", objref);
	/* A socket bound to a path comes with the path, absolute */
	if ((flags & CKPT_UNIX_BOUND) && v[0] ?
	    (plen < 2 || plen > CKPT_UNIX_PATH_MAX(flags) ||
	     v[alen] != '/' || strnlen(v + alen, plen) != plen - 1 ||
	     !(flags & CKPT_UNIX_UNLINKED) != (v[alen + plen - 2] != '/')) :
	    plen || (flags & CKPT_UNIX_UNLINKED))
		return ckpt_err(ctx, -EINVAL, "UNIX_SK of socket %u: invalid path", objref);
	return 0;
}

/* A struct sockaddr_un holding @len bytes of sun_path; its length */
static int ckpt_unix_sockaddr(struct sockaddr_un *sun, const char *name, u32 len)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, name, len);
	return offsetof(struct sockaddr_un, sun_path) + len;
}

/* Give @sk the address @name without binding it (an accepted socket's) */
static int ckpt_unix_set_addr(struct sock *sk, const char *name, u32 len)
{
	struct unix_address *addr, *old;
	struct sockaddr_un sun;

	addr = unix_create_addr(&sun, ckpt_unix_sockaddr(&sun, name, len));
	if (!addr)
		return -ENOMEM;
	old = unix_sk(sk)->addr;
	/* Pairs with ckpt_unix_addr() and unix_getname()'s smp_load_acquire() */
	smp_store_release(&unix_sk(sk)->addr, addr);
	if (old)
		unix_release_addr(old);
	return 0;
}

/*
 * Remove the socket file at @path, as the caller could with unlink(2);
 * if @stale, only if no socket is bound to it (one the checkpointed
 * socket left, to bind again).
 */
static int ckpt_unix_unlink(const char *path, bool stale)
{
	struct path file, parent;
	struct dentry *dentry;
	struct sock *s;
	int ret;

	ret = kern_path(path, 0, &file);
	if (ret)
		return ret;
	ret = -EADDRINUSE;
	if (S_ISSOCK(d_inode(file.dentry)->i_mode)) {
		s = stale ? unix_find_socket_byinode(d_inode(file.dentry)) : NULL;
		if (s)
			sock_put(s);
		else
			ret = mnt_want_write(file.mnt);
	}
	if (ret) {
		path_put(&file);
		return ret;
	}
	/* As do_unlinkat(): write access to the mount, then the parent's lock */
	dentry = kern_path_locked(path, &parent);
	ret = PTR_ERR_OR_ZERO(dentry);
	if (!ret) {
		ret = parent.mnt != file.mnt || d_inode(dentry) != d_inode(file.dentry) ?
		      -EADDRINUSE : security_path_unlink(&parent, dentry) ?:
		      vfs_unlink(mnt_idmap(parent.mnt), d_inode(parent.dentry), dentry, NULL);
		inode_unlock(d_inode(parent.dentry));
		dput(dentry);
		path_put(&parent);
	}
	mnt_drop_write(file.mnt);
	path_put(&file);
	return ret;
}

/*
 * A socket whose file was unlinked: bound under a new name in the same
 * directory (what the caller could do), which is unlinked at once, and
 * given its old address back.
 */
static int ckpt_unix_bind_unlinked(struct ckpt_ctx *ctx, struct sock *sk,
				   const char *name, u32 alen, const char *dir, u32 objref)
{
	struct sockaddr_un sun;
	char path[sizeof(sun.sun_path)];
	int ret;

	snprintf(path, sizeof(path), "%s" CKPT_UNIX_TMP_NAME, dir, get_random_u32());
	ret = unix_bind_bsd(sk, &sun, ckpt_unix_sockaddr(&sun, path, strlen(path) + 1));
	if (ret)
		return ckpt_err(ctx, ret, "UNIX socket %u: cannot bind to %s", objref, path);
	ret = ckpt_unix_unlink(path, false);
	if (ret)
		return ckpt_err(ctx, ret, "UNIX socket %u: cannot unlink %s", objref, path);
	return ckpt_unix_set_addr(sk, name, alen);
}

/* Bind @sk again to its address, or give it its listener's */
static int ckpt_unix_bind(struct ckpt_ctx *ctx, struct sock *sk,
			  const struct ckpt_unix_sk *rec, const char *var, u32 objref)
{
	u32 alen = le32_to_cpu(rec->addr_len), plen = le32_to_cpu(rec->path_len);
	struct sockaddr_un sun;
	int ret;

	if (!(le32_to_cpu(rec->flags) & CKPT_UNIX_BOUND))
		return alen ? ckpt_unix_set_addr(sk, var, alen) : 0;
	if (!var[0]) {
		ret = unix_bind_abstract(sk, &sun, ckpt_unix_sockaddr(&sun, var, alen));
		if (ret)
			return ckpt_err(ctx, ret, "UNIX socket %u: cannot bind to @%.*s",
					objref, alen - 1, var + 1);
		return 0;
	}
	if (le32_to_cpu(rec->flags) & CKPT_UNIX_UNLINKED)
		return ckpt_unix_bind_unlinked(ctx, sk, var, alen, var + alen, objref);
	ret = unix_bind_bsd(sk, &sun, ckpt_unix_sockaddr(&sun, var + alen, plen));
	if (ret == -EADDRINUSE && !ckpt_unix_unlink(var + alen, true))
		ret = unix_bind_bsd(sk, &sun, ckpt_unix_sockaddr(&sun, var + alen, plen));
	if (ret)
		return ckpt_err(ctx, ret, "UNIX socket %u: cannot bind to %s", objref,
				var + alen);
	/* Bound by another name than the path (relative): keep the name */
	if (alen != plen || memcmp(var, var + alen, alen))
		return ckpt_unix_set_addr(sk, var, alen);
	return 0;
}

/* The restored task with thread group id @nr, if it exists yet */
static struct pid *ckpt_unix_pid(struct ckpt_ctx *ctx, pid_t nr)
{
	struct ckpt_rtask *rt = ckpt_rtask_of(ctx, nr);

	if (rt && rt->tgid == nr && rt->task)
		return get_task_pid(rt->task, PIDTYPE_TGID);
	return NULL;
}

/*
 * Credentials the caller could have sent with SCM_CREDENTIALS (see
 * scm_check_creds()): its own ids, or any with CAP_SETUID (CAP_SETGID).
 */
static int ckpt_unix_ids(struct ckpt_ctx *ctx, __le32 u, __le32 g, kuid_t *uid,
			 kgid_t *gid)
{
	const struct cred *c = ctx->caller_cred;

	*uid = make_kuid(c->user_ns, le32_to_cpu(u));
	*gid = make_kgid(c->user_ns, le32_to_cpu(g));
	if (!uid_valid(*uid) || !gid_valid(*gid))
		return ckpt_err(ctx, -EINVAL, "UNIX socket credentials: ids %u:%u are not mapped",
				le32_to_cpu(u), le32_to_cpu(g));
	if ((!uid_eq(*uid, c->uid) && !uid_eq(*uid, c->euid) && !uid_eq(*uid, c->suid) &&
	     !ckpt_caller_capable(ctx, c->user_ns, CAP_SETUID)) ||
	    (!gid_eq(*gid, c->gid) && !gid_eq(*gid, c->egid) && !gid_eq(*gid, c->sgid) &&
	     !ckpt_caller_capable(ctx, c->user_ns, CAP_SETGID)))
		return ckpt_err(ctx, -EPERM,
				"UNIX socket credentials %u:%u: not the caller's, which lacks CAP_SETUID/CAP_SETGID",
				le32_to_cpu(u), le32_to_cpu(g));
	return 0;
}

/* SO_PEERCRED as the image has it */
static int ckpt_unix_set_peercred(struct ckpt_ctx *ctx, struct sock *sk,
				  const struct ckpt_unix_sk *rec)
{
	const struct cred *old_cred;
	struct pid *old_pid;
	struct cred *cred;
	kuid_t uid;
	kgid_t gid;
	int ret;

	if (!(le32_to_cpu(rec->flags) & CKPT_UNIX_PEERCRED))
		return 0;
	ret = ckpt_unix_ids(ctx, rec->cred_uid, rec->cred_gid, &uid, &gid);
	if (ret)
		return ret;
	cred = prepare_creds();
	if (!cred)
		return -ENOMEM;
	cred->uid = uid;
	cred->euid = uid;
	cred->suid = uid;
	cred->fsuid = uid;
	cred->gid = gid;
	cred->egid = gid;
	cred->sgid = gid;
	cred->fsgid = gid;
	spin_lock(&sk->sk_peer_lock);
	old_pid = sk->sk_peer_pid;
	old_cred = sk->sk_peer_cred;
	sk->sk_peer_pid = ckpt_unix_pid(ctx, le32_to_cpu(rec->cred_pid));
	sk->sk_peer_cred = cred;
	spin_unlock(&sk->sk_peer_lock);
	put_pid(old_pid);
	put_cred(old_cred);
	return 0;
}

/* Options set with setsockopt(2), as the caller could set them */
static void ckpt_unix_set_opts(struct socket *sock, const struct ckpt_unix_sk *rec)
{
	u32 flags = le32_to_cpu(rec->flags);
	struct sock *sk = sock->sk;
	int val;

	assign_bit(SOCK_PASSCRED, &sock->flags, flags & CKPT_UNIX_PASSCRED);
	assign_bit(SOCK_PASSPIDFD, &sock->flags, flags & CKPT_UNIX_PASSPIDFD);
	if (flags & CKPT_UNIX_SNDBUF_LOCK) {
		val = le32_to_cpu(rec->sndbuf) / 2;
		sock_setsockopt(sock, SOL_SOCKET, SO_SNDBUF, KERNEL_SOCKPTR(&val), sizeof(val));
		if (READ_ONCE(sk->sk_sndbuf) != le32_to_cpu(rec->sndbuf))
			sock_setsockopt(sock, SOL_SOCKET, SO_SNDBUFFORCE, KERNEL_SOCKPTR(&val),
					sizeof(val));
	}
	if (flags & CKPT_UNIX_RCVBUF_LOCK) {
		val = le32_to_cpu(rec->rcvbuf) / 2;
		sock_setsockopt(sock, SOL_SOCKET, SO_RCVBUF, KERNEL_SOCKPTR(&val), sizeof(val));
		if (READ_ONCE(sk->sk_rcvbuf) != le32_to_cpu(rec->rcvbuf))
			sock_setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, KERNEL_SOCKPTR(&val),
					sizeof(val));
	}
	if ((s32)le32_to_cpu(rec->peek_off) >= 0)
		sk_set_peek_off(sk, le32_to_cpu(rec->peek_off));
}

/* A socket without a file, of @type (unix_create1() leaves it unset) */
static struct sock *ckpt_unix_create(struct net *net, int type)
{
	struct sock *sk = unix_create1(net, NULL, 0, type);

	if (!IS_ERR(sk))
		sk->sk_type = type;
	return sk;
}

/* A socket without a file that stands for a datagram's sender, gone */
static struct sock *ckpt_unix_ghost(struct net *net, const char *name, u32 len)
{
	struct sock *sk = ckpt_unix_create(net, SOCK_DGRAM);

	if (!IS_ERR(sk) && len && ckpt_unix_set_addr(sk, name, len)) {
		unix_release_sock(sk, 0);
		return ERR_PTR(-ENOMEM);
	}
	return sk;
}

/* A message's credentials and descriptors, as unix_scm_to_skb() takes them */
struct ckpt_unix_scm {
	struct pid *pid;
	kuid_t uid;
	kgid_t gid;
	struct scm_fp_list *fpl;
};

/* Put the message's files, found by id, in a new list */
static int ckpt_unix_fpl(struct ckpt_ctx *ctx, const __le32 *refs, u32 nr,
			 struct scm_fp_list **fplp)
{
	struct scm_fp_list *fpl;
	struct file *file;
	u32 i;

	*fplp = NULL;
	if (!nr)
		return 0;
	fpl = kzalloc(sizeof(*fpl), GFP_KERNEL_ACCOUNT);
	if (!fpl)
		return -ENOMEM;
	fpl->max = SCM_MAX_FD;
	INIT_LIST_HEAD(&fpl->vertices);
	fpl->user = get_uid(current_user());
	*fplp = fpl;
	for (i = 0; i < nr; i++) {
		file = ckpt_obj_lookup(ctx, CKPT_OBJ_file, le32_to_cpu(refs[i]));
		if (!file)
			return -EINVAL;
		fpl->fp[fpl->count++] = get_file(file);
		if (unix_get_socket(file))
			fpl->count_unix++;
	}
	return 0;
}

static void ckpt_unix_scm_free(struct ckpt_unix_scm *scm)
{
	struct scm_cookie c = { .pid = scm->pid, .fp = scm->fpl };

	scm_destroy(&c);
}

/* Queue a message on @to as if @from had sent it; consumes @scm */
static int ckpt_unix_queue_msg(struct sock *to, struct sock *from, const void *data,
			       u32 len, struct ckpt_unix_scm *scm)
{
	struct scm_cookie c = { .fp = scm->fpl };
	u32 data_len = 0;
	struct sk_buff *skb;
	int err;

	/* Laid out as unix_dgram_sendmsg() does it */
	if (len > SKB_MAX_ALLOC)
		data_len = PAGE_ALIGN(min_t(u32, len - SKB_MAX_ALLOC,
					    MAX_SKB_FRAGS * PAGE_SIZE));
	skb = alloc_skb_with_frags(len - data_len, data_len, PAGE_ALLOC_COSTLY_ORDER,
				   &err, GFP_KERNEL_ACCOUNT);
	if (!skb) {
		ckpt_unix_scm_free(scm);
		return err;
	}
	skb_put(skb, len - data_len);
	skb->data_len = data_len;
	skb->len = len;
	err = skb_store_bits(skb, 0, data, len);
	skb_set_owner_w(skb, from);
	UNIXCB(skb).pid = scm->pid;
	UNIXCB(skb).uid = scm->uid;
	UNIXCB(skb).gid = scm->gid;
	UNIXCB(skb).fp = NULL;
	UNIXCB(skb).consumed = 0;
	skb->destructor = unix_wfree;
	if (!err && c.fp)
		err = unix_attach_fds(&c, skb);
	scm_destroy(&c);
	if (err) {
		kfree_skb(skb);
		return err;
	}
	spin_lock(&to->sk_receive_queue.lock);
	__skb_queue_tail(&to->sk_receive_queue, skb);
	spin_unlock(&to->sk_receive_queue.lock);
	scm_stat_add(to, skb);
	return 0;
}

/* Check a UNIX_SKB for a socket of @type; @from: the socket has a peer */
static int ckpt_unix_skb_check(struct ckpt_ctx *ctx, const struct ckpt_unix_skb *rec,
			       u32 len, u32 type, bool from)
{
	u32 n = le32_to_cpu(rec->len), flags = le32_to_cpu(rec->flags);
	u32 alen = le32_to_cpu(rec->addr_len), nr_fds = le32_to_cpu(rec->nr_fds);
	u64 total = (u64)sizeof(*rec) + nr_fds * sizeof(__le32) + n + alen;

	if (n > CKPT_UNIX_SKB_MAX || (!n && type == SOCK_STREAM) ||
	    nr_fds > SCM_MAX_FD || rec->__pad ||
	    (flags & ~(CKPT_UNIX_SKB_CREDS | CKPT_UNIX_SKB_FROM_PEER)) ||
	    (!(flags & CKPT_UNIX_SKB_CREDS) && (rec->pid || rec->uid || rec->gid)) ||
	    ((flags & CKPT_UNIX_SKB_FROM_PEER) && (type != SOCK_DGRAM || !from || alen)) ||
	    (type != SOCK_DGRAM && (alen || !from)) ||
	    alen > sizeof_field(struct sockaddr_un, sun_path) ||
	    len != ALIGN(total, 8) ||
	    memchr_inv((const void *)(rec + 1) + total - sizeof(*rec), 0, len - total))
		return ckpt_err(ctx, -EINVAL, "UNIX_SKB is invalid");
	return 0;
}

/* One message for @to, sent by @from (its peer) or by a ghost */
static int ckpt_unix_read_msg(struct ckpt_ctx *ctx, struct sock *to, struct sock *from)
{
	struct ckpt_unix_scm scm = { .uid = INVALID_UID, .gid = INVALID_GID };
	struct ckpt_unix_skb *rec;
	struct sock *ghost = NULL;
	u32 len, n, flags, nr_fds;
	const char *data;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_UNIX_SKB, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	n = le32_to_cpu(rec->len);
	flags = le32_to_cpu(rec->flags);
	nr_fds = le32_to_cpu(rec->nr_fds);
	data = (const char *)(rec + 1) + nr_fds * sizeof(__le32);
	ret = ckpt_unix_skb_check(ctx, rec, len, to->sk_type, from);
	if (!ret && (flags & CKPT_UNIX_SKB_CREDS))
		ret = ckpt_unix_ids(ctx, rec->uid, rec->gid, &scm.uid, &scm.gid);
	if (!ret && to->sk_type == SOCK_DGRAM && !(flags & CKPT_UNIX_SKB_FROM_PEER)) {
		ghost = ckpt_unix_ghost(sock_net(to), data + n, le32_to_cpu(rec->addr_len));
		ret = PTR_ERR_OR_ZERO(ghost);
		from = ret ? NULL : ghost;
	}
	if (!ret)
		ret = ckpt_unix_fpl(ctx, (const __le32 *)(rec + 1), nr_fds, &scm.fpl);
	if (!ret) {
		if (flags & CKPT_UNIX_SKB_CREDS)
			scm.pid = ckpt_unix_pid(ctx, le32_to_cpu(rec->pid));
		ret = ckpt_unix_queue_msg(to, from, data, n, &scm);
		if (ret)
			ckpt_err(ctx, ret, "cannot queue a message on a UNIX socket");
	} else {
		ckpt_unix_scm_free(&scm);
	}
	if (!IS_ERR_OR_NULL(ghost))
		unix_release_sock(ghost, 0);
	kvfree(rec);
	return ret;
}

static int ckpt_unix_read_queue(struct ckpt_ctx *ctx, struct sock *to,
				struct sock *from, __le32 nr)
{
	u32 i;
	int ret = 0;

	for (i = 0; !ret && i < le32_to_cpu(nr); i++)
		ret = ckpt_unix_read_msg(ctx, to, from);
	return ret;
}

/* Join two sockets back to back, as unix_socketpair() does */
static void ckpt_unix_join(struct sock *a, struct sock *b)
{
	sock_hold(a);
	sock_hold(b);
	unix_state_double_lock(a, b);
	unix_peer(a) = b;
	unix_peer(b) = a;
	WRITE_ONCE(a->sk_state, TCP_ESTABLISHED);
	WRITE_ONCE(b->sk_state, TCP_ESTABLISHED);
	unix_state_double_unlock(a, b);
	if (a->sk_socket)
		a->sk_socket->state = SS_CONNECTED;
	if (b->sk_socket)
		b->sk_socket->state = SS_CONNECTED;
}

/* The socket an earlier UNIX_SK defined, named by @ref */
static struct sock *ckpt_unix_lookup(struct ckpt_ctx *ctx, __le32 ref, u32 type,
				     unsigned long **key)
{
	struct file *file = ckpt_obj_lookup(ctx, CKPT_OBJ_file, le32_to_cpu(ref));
	struct sock *sk = ckpt_unix_sk_of(file);
	u32 objref;

	if (!sk || sk->sk_type != type) {
		ckpt_err(ctx, -EINVAL, "UNIX_SK names %u, which is not a UNIX socket of its type",
			 le32_to_cpu(ref));
		return NULL;
	}
	*key = ckpt_obj_key_find(ctx, CKPT_OBJ_file, sk, &objref);
	return sk;
}

/* Connect a datagram socket to the address of another (PEER_NAME) */
static int ckpt_unix_connect_name(struct ckpt_ctx *ctx, struct socket *sock,
				  const char *name, u32 len, u32 objref)
{
	struct sockaddr_un sun;
	int ret;

	ret = unix_dgram_connect(sock, (struct sockaddr *)&sun,
				 ckpt_unix_sockaddr(&sun, name, len), 0);
	if (ret)
		return ckpt_err(ctx, ret, "UNIX socket %u: cannot connect to %s%.*s", objref,
				name[0] ? "" : "@", name[0] ? len : len - 1,
				name[0] ? name : name + 1);
	return 0;
}

/* The other end of a connection, saved before and waiting: join it */
static int ckpt_unix_connect_ref(struct ckpt_ctx *ctx, struct sock *sk,
				 const struct ckpt_unix_sk *rec, u32 objref)
{
	const struct unix_address *addr;
	struct sock *peer;
	unsigned long *key;

	peer = ckpt_unix_lookup(ctx, rec->peer_ref, sk->sk_type, &key);
	if (!peer)
		return -EINVAL;
	if (key && (*key & CKPT_UNIX_KEY_LATER)) {
		*key &= ~CKPT_UNIX_KEY_LATER;
		ckpt_unix_join(sk, peer);
		return ckpt_unix_read_queue(ctx, sk, peer, rec->nr_skbs) ?:
		       ckpt_unix_read_queue(ctx, peer, sk, rec->nr_peer_skbs);
	}
	/* Else a datagram socket sending to one of ours, by its address */
	addr = ckpt_unix_addr(peer);
	if (sk->sk_type != SOCK_DGRAM || !sk->sk_socket || rec->nr_peer_skbs || !addr)
		return ckpt_err(ctx, -EINVAL, "UNIX socket %u: socket %u does not wait for it",
				objref, le32_to_cpu(rec->peer_ref));
	return ckpt_unix_connect_name(ctx, sk->sk_socket, addr->name->sun_path,
				      ckpt_unix_addr_len(addr), objref) ?:
	       ckpt_unix_read_queue(ctx, sk, peer, rec->nr_skbs);
}

/* A connection whose other end was closed: join a socket, then close it */
static int ckpt_unix_connect_gone(struct ckpt_ctx *ctx, struct sock *sk,
				  const struct ckpt_unix_sk *rec)
{
	struct sock *gone = ckpt_unix_create(sock_net(sk), sk->sk_type);
	int ret;

	if (IS_ERR(gone))
		return PTR_ERR(gone);
	ckpt_unix_join(sk, gone);
	ret = ckpt_unix_read_queue(ctx, sk, gone, rec->nr_skbs);
	unix_release_sock(gone, 0);
	return ret;
}

static int ckpt_unix_restore_embryos(struct ckpt_ctx *ctx, struct sock *sk,
				     const struct ckpt_unix_sk *rec, u32 objref);

/* Connect @sk, or make it listen, as its UNIX_SK says */
static int ckpt_unix_connect(struct ckpt_ctx *ctx, struct sock *sk,
			     const struct ckpt_unix_sk *rec, const char *var, u32 objref)
{
	u32 flags = le32_to_cpu(rec->flags), len = le32_to_cpu(rec->addr_len) +
		    le32_to_cpu(rec->path_len);
	unsigned long *key;
	int ret;

	if (le32_to_cpu(rec->state) == CKPT_UNIX_LISTEN) {
		/* listen(2) bounds the backlog so */
		ret = min_t(u32, le32_to_cpu(rec->backlog),
			    READ_ONCE(sock_net(sk)->core.sysctl_somaxconn));
		ret = unix_listen(sk->sk_socket, ret);
		return ret ? ckpt_err(ctx, ret, "UNIX socket %u cannot listen", objref) :
			     ckpt_unix_restore_embryos(ctx, sk, rec, objref);
	}
	if (flags & CKPT_UNIX_PEER_LATER) {
		key = ckpt_obj_key_add(ctx, CKPT_OBJ_file, sk, objref);
		if (IS_ERR(key))
			return PTR_ERR(key);
		*key = CKPT_UNIX_KEY_LATER;
		return 0;
	}
	if (rec->peer_ref)
		return ckpt_unix_connect_ref(ctx, sk, rec, objref);
	if (flags & CKPT_UNIX_PEER_GONE)
		return ckpt_unix_connect_gone(ctx, sk, rec);
	if (flags & CKPT_UNIX_PEER_NAME) {
		ret = ckpt_unix_connect_name(ctx, sk->sk_socket, var + len,
					     le32_to_cpu(rec->peer_name_len), objref);
		return ret ?: ckpt_unix_read_queue(ctx, sk, unix_peer(sk), rec->nr_skbs);
	}
	return ckpt_unix_read_queue(ctx, sk, NULL, rec->nr_skbs);
}

/* What is set last: the shutdown state and the pending error */
static void ckpt_unix_set_state(struct sock *sk, const struct ckpt_unix_sk *rec)
{
	WRITE_ONCE(sk->sk_shutdown, le32_to_cpu(rec->shutdown));
	WRITE_ONCE(sk->sk_err, le32_to_cpu(rec->err));
}

/*
 * A connection queued on the listening socket @sk and not accepted: a
 * socket without a file, joined to its client, as unix_stream_connect()
 * makes it.
 */
static int ckpt_unix_restore_embryo(struct ckpt_ctx *ctx, struct sock *sk, u32 objref)
{
	struct unix_sock *u = unix_sk(sk), *newu;
	struct sock *newsk, *client;
	struct ckpt_unix_sk *rec;
	struct sk_buff *skb;
	unsigned long *key;
	const char *var;
	u32 len;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_UNIX_SK, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	ret = ckpt_unix_rec_check(ctx, rec, len, 0, &var);
	if (!ret && (le32_to_cpu(rec->listener_ref) != objref || !rec->peer_ref ||
		     le32_to_cpu(rec->type) != sk->sk_type ||
		     (le32_to_cpu(rec->flags) & CKPT_UNIX_BOUND)))
		ret = ckpt_err(ctx, -EINVAL, "UNIX_SK of a connection to %u is invalid", objref);
	client = ret ? NULL : ckpt_unix_lookup(ctx, rec->peer_ref, sk->sk_type, &key);
	if (!ret && (!client || !key || !(*key & CKPT_UNIX_KEY_LATER)))
		ret = ckpt_err(ctx, -EINVAL, "UNIX_SK of a connection to %u: no client waits",
			       objref);
	newsk = ret ? NULL : ckpt_unix_create(sock_net(sk), sk->sk_type);
	if (IS_ERR(newsk))
		ret = PTR_ERR(newsk);
	skb = ret ? NULL : sock_wmalloc(newsk, 1, 0, GFP_KERNEL);
	if (!ret && !skb) {
		unix_release_sock(newsk, 0);
		ret = -ENOMEM;
	}
	if (ret) {
		kvfree(rec);
		return ret;
	}
	*key &= ~CKPT_UNIX_KEY_LATER;
	newu = unix_sk(newsk);
	newu->listener = sk;
	RCU_INIT_POINTER(newsk->sk_wq, &newu->peer_wq);
	if (u->path.dentry) {
		path_get(&u->path);
		newu->path = u->path;
	}
	refcount_inc(&u->addr->refcnt);
	/* As unix_stream_connect(): pairs with smp_load_acquire() of the address */
	smp_store_release(&newu->addr, u->addr);
	/* Its first reference is the queue's, then the accepting socket's */
	ckpt_unix_join(newsk, client);
	spin_lock(&sk->sk_receive_queue.lock);
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	spin_unlock(&sk->sk_receive_queue.lock);
	ret = ckpt_unix_read_queue(ctx, newsk, client, rec->nr_skbs) ?:
	      ckpt_unix_read_queue(ctx, client, newsk, rec->nr_peer_skbs) ?:
	      ckpt_unix_set_peercred(ctx, newsk, rec);
	if (!ret)
		ckpt_unix_set_state(newsk, rec);
	kvfree(rec);
	return ret;
}

static int ckpt_unix_restore_embryos(struct ckpt_ctx *ctx, struct sock *sk,
				     const struct ckpt_unix_sk *rec, u32 objref)
{
	u32 i;
	int ret = 0;

	for (i = 0; !ret && i < le32_to_cpu(rec->nr_skbs); i++)
		ret = ckpt_unix_restore_embryo(ctx, sk, objref);
	return ret;
}

/*
 * An EXTERNAL socket: the caller's replacement, a connected UNIX socket of
 * the same type, gets the messages that were waiting on the saved one
 */
static struct file *ckpt_unix_external(struct ckpt_ctx *ctx, const struct ckpt_unix_sk *rec,
				       const char *var, u32 objref)
{
	u32 nlen = le32_to_cpu(rec->peer_name_len);
	struct sock *sk, *peer = NULL;
	char key[CKPT_UNIX_KEY_MAX];
	struct file *file;
	int ret;

	memcpy(key, var + le32_to_cpu(rec->addr_len) + le32_to_cpu(rec->path_len), nlen);
	key[nlen] = 0;
	file = ckpt_external_file(ctx, CKPT_EXT_UNIX_SK, key);
	if (!file)
		return ERR_PTR(ckpt_err(ctx, -ENOENT,
					"UNIX socket %u was connected outside the tree: restart needs a replacement for %s (RESTART_EXTERNAL)",
					objref, key));
	sk = ckpt_unix_sk_of(file);
	if (sk && sk->sk_type == le32_to_cpu(rec->type))
		peer = unix_peer_get(sk);
	if (!peer)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"the replacement for %s is not a connected UNIX socket of its type",
					key));
	ret = ckpt_unix_read_queue(ctx, sk, peer, rec->nr_skbs);
	sock_put(peer);
	return ret ? ERR_PTR(ret) : get_file(file);
}

static struct file *ckpt_unix_restart(struct ckpt_ctx *ctx, const struct ckpt_file *frec,
				      const char *path)
{
	u32 objref = le32_to_cpu(frec->objref), len;
	struct ckpt_unix_sk *rec;
	struct socket *sock;
	struct file *file;
	const char *var;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_UNIX_SK, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return ERR_CAST(rec);
	ret = ckpt_unix_rec_check(ctx, rec, len, objref, &var);
	if (!ret && (le32_to_cpu(rec->flags) & CKPT_UNIX_EXTERNAL)) {
		file = ckpt_unix_external(ctx, rec, var, objref);
		kvfree(rec);
		return file;
	}
	if (!ret && (le32_to_cpu(rec->flags) & CKPT_UNIX_EMBRYO))
		ret = ckpt_err(ctx, -EINVAL, "UNIX socket %u is not accepted yet", objref);
	if (!ret) {
		ret = sock_create(AF_UNIX, le32_to_cpu(rec->type), 0, &sock);
		if (ret)
			ckpt_err(ctx, ret, "cannot create UNIX socket %u", objref);
	}
	if (ret) {
		kvfree(rec);
		return ERR_PTR(ret);
	}
	file = sock_alloc_file(sock, le32_to_cpu(frec->f_flags) & O_NONBLOCK, NULL);
	if (IS_ERR(file)) {
		kvfree(rec);
		return file;
	}
	ckpt_unix_set_opts(sock, rec);
	ret = ckpt_unix_bind(ctx, sock->sk, rec, var, objref) ?:
	      ckpt_unix_connect(ctx, sock->sk, rec, var, objref) ?:
	      ckpt_unix_set_peercred(ctx, sock->sk, rec);
	if (!ret)
		ckpt_unix_set_state(sock->sk, rec);
	kvfree(rec);
	if (ret) {
		fput(file);
		return ERR_PTR(ret);
	}
	return file;
}

/* Every socket restored PEER_LATER must have been joined */
static int ckpt_unix_finish(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	unsigned long *key;
	u32 ref;

	key = ckpt_obj_key_find(ctx, CKPT_OBJ_file, ckpt_unix_sk_of(file), &ref);
	if (key && (*key & CKPT_UNIX_KEY_LATER))
		return ckpt_err(ctx, -EINVAL,
				"UNIX socket %u waits for the other end of its connection, which the image never gives",
				objref);
	return 0;
}

CKPT_FILE_OPS(UNIX) = {
	.follows = CKPT_REC_UNIX_SK,
	.f_flags = CKPT_UNIX_FLAGS,
	.match = ckpt_unix_match,
	.checkpoint = ckpt_unix_checkpoint,
	.restart = ckpt_unix_restart,
	.check = ckpt_unix_check,
	.finish = ckpt_unix_finish,
};
