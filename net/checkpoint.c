// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of TCP and UDP sockets over IPv4 and IPv6 (the file
 * kind CKPT_FILE_INET) and of netlink sockets (CKPT_FILE_NETLINK).
 *
 * What is saved is what a program set up with socket(2), setsockopt(2),
 * bind(2), listen(2) and connect(2): a listening TCP socket, a bound or
 * connected UDP socket, with the options people set.  Restart does the
 * same calls in the restored task's network namespace, with the caller's
 * credentials, so that each is checked as if the caller made it (a port
 * below 1024 needs CAP_NET_BIND_SERVICE, SO_MARK CAP_NET_ADMIN).
 *
 * A TCP connection (established, or closing on one side or both) is
 * saved and restored with the kernel's TCP_REPAIR: its sequence numbers,
 * windows, options and both queues, so that restart needs what TCP_REPAIR
 * needs, CAP_NET_ADMIN over the network namespace.  From the moment it is
 * saved until its task goes on, a filter drops what the peer sends (it is
 * sent again), so that nothing the image lacks is acknowledged; when
 * CHECKPOINT_KILL kills the task, the connection is in repair mode and
 * closes without a FIN or a reset; when CHECKPOINT_STOP stops it, the
 * connection stays held until the next checkpoint of the tree.  The
 * restored connection stays in repair mode until every task is restored
 * (a peer in the tree would answer a reset otherwise).
 *
 * A listener's connections not accepted yet are saved after it, as
 * connections; a UDP socket's queued datagrams with their senders.
 *
 * Refused, by name: TCP connections on their way, urgent data,
 * upper-layer protocols (kTLS, MPTCP), TCP-MD5 and TCP-AO keys,
 * multicast memberships, IP options and socket filters.  The network
 * namespace's devices, addresses and routes are in net/core/checkpoint.c.  A netlink socket
 * keeps its protocol, port id, groups, peer and options; the messages
 * queued on it are dropped (counted in the image).  The UNIX sockets are
 * in net/unix/checkpoint.c.
 */
#include <linux/checkpoint_file.h>
#include <linux/filter.h>
#include <linux/net.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/inet_connection_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/udp.h>

#include "netlink/af_netlink.h"

#define CKPT_INET_FILE_FLAGS	(O_ACCMODE | O_NONBLOCK)

/* The TCP states of a connection that can be saved */
#define CKPT_TCPF_STREAM	(TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 | \
				 TCPF_CLOSE_WAIT | TCPF_LAST_ACK | TCPF_CLOSING)
/* ... that received the peer's FIN, and that sent ours (not acknowledged) */
#define CKPT_TCPF_FIN_IN	(TCPF_CLOSE_WAIT | TCPF_LAST_ACK | TCPF_CLOSING)
#define CKPT_TCPF_FIN_OUT	(TCPF_FIN_WAIT1 | TCPF_LAST_ACK | TCPF_CLOSING)
/* Datagrams or connections not accepted after one INET_SK, at most */
#define CKPT_INET_QUEUED_MAX	65536
/* The queues of a connection in one TCP_STREAM record */
#define CKPT_TCP_QUEUES_MAX	(CKPT_REC_MAX_LEN - sizeof(struct ckpt_tcp_stream))

static bool ckpt_inet_kind(u32 family, u32 type, u32 protocol)
{
	return (family == AF_INET || (IS_ENABLED(CONFIG_IPV6) && family == AF_INET6)) &&
	       ((type == SOCK_STREAM && protocol == IPPROTO_TCP) ||
		(type == SOCK_DGRAM && protocol == IPPROTO_UDP));
}

static struct sock *ckpt_inet_sk_of(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	return sock && sock->sk &&
	       ckpt_inet_kind(sock->sk->sk_family, sock->sk->sk_type,
			      sock->sk->sk_protocol) ? sock->sk : NULL;
}

static bool ckpt_inet_match(struct ckpt_ctx *ctx, struct file *file)
{
	return ckpt_inet_sk_of(file) && ckpt_file_flags_ok(file, CKPT_INET_FILE_FLAGS);
}

static bool ckpt_tcp_stream(struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_TCP &&
	       ((1 << READ_ONCE(sk->sk_state)) & CKPT_TCPF_STREAM);
}

/* ---- checkpoint ---- */

/* "tcp 127.0.0.1:80" for the log */
static void ckpt_inet_name(struct sock *sk, char *buf, size_t size)
{
	const char *proto = sk->sk_protocol == IPPROTO_TCP ? "TCP" : "UDP";

#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		snprintf(buf, size, "%s [%pI6c]:%u", proto, &sk->sk_v6_rcv_saddr,
			 inet_sk(sk)->inet_num);
		return;
	}
#endif
	snprintf(buf, size, "%s %pI4:%u", proto, &inet_sk(sk)->inet_rcv_saddr,
		 inet_sk(sk)->inet_num);
}

/* What cannot be saved yet of the TCP connection @sk; NULL if nothing */
static const char *ckpt_tcp_unsupported(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->repair)
		return "a connection in repair mode";
	if (inet_csk(sk)->icsk_ulp_ops)
		return "an upper-layer protocol (kTLS, MPTCP)";
	if (READ_ONCE(tp->urg_data))
		return "urgent data";
	if (tp->fastopen_req || rcu_access_pointer(tp->fastopen_rsk))
		return "a TCP Fast Open connection";
#ifdef CONFIG_TCP_MD5SIG
	if (rcu_access_pointer(tp->md5sig_info))
		return "TCP-MD5 keys";
#endif
#ifdef CONFIG_TCP_AO
	if (rcu_access_pointer(tp->ao_info))
		return "TCP-AO keys";
#endif
	return NULL;
}

/* What cannot be saved yet in the state of @sk (@plugged or not); NULL if nothing */
static const char *ckpt_inet_unsupported(struct sock *sk, bool plugged)
{
	int state = READ_ONCE(sk->sk_state);

	if (rcu_access_pointer(sk->sk_filter) && !plugged)
		return "a socket filter";
	if (rcu_access_pointer(inet_sk(sk)->inet_opt) ||
	    rcu_access_pointer(inet_sk(sk)->mc_list))
		return "IP options or multicast memberships";
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 && inet6_sk(sk) &&
	    (rcu_access_pointer(inet6_sk(sk)->ipv6_mc_list) ||
	     rcu_access_pointer(inet6_sk(sk)->opt)))
		return "IPv6 options or multicast memberships";
#endif
	if (sk->sk_protocol == IPPROTO_TCP) {
		if (state == TCP_LISTEN && inet_csk_reqsk_queue_len(sk))
			return "connections on their way (SYN_RECV)";
		if (ckpt_tcp_stream(sk))
			return ckpt_tcp_unsupported(sk);
		if (state != TCP_LISTEN && state != TCP_CLOSE)
			return "a TCP connection on its way";
		return NULL;
	}
	if (udp_test_bit(GRO_ENABLED, sk))
		return "UDP_GRO";
	if (READ_ONCE(udp_sk(sk)->pending))
		return "a corked datagram";
	return NULL;
}

/* The local and remote addresses; IPv6 ones, TOS and TTL too */
static void ckpt_inet_addrs6(struct sock *sk, struct ckpt_inet_sk *rec)
{
#if IS_ENABLED(CONFIG_IPV6)
	memcpy(rec->src, &sk->sk_v6_rcv_saddr, 16);
	memcpy(rec->dst, &sk->sk_v6_daddr, 16);
	rec->tos = cpu_to_le32(inet6_sk(sk)->tclass);
	rec->ttl = cpu_to_le32(inet6_sk(sk)->hop_limit);
#endif
}

/* The addresses and ports */
static void ckpt_inet_addrs(struct sock *sk, struct ckpt_inet_sk *rec, u32 *flags)
{
	struct inet_sock *inet = inet_sk(sk);
	bool udp = sk->sk_protocol == IPPROTO_UDP;
	bool connected = udp ? READ_ONCE(sk->sk_state) == TCP_ESTABLISHED :
			 ckpt_tcp_stream(sk);

	if (sk->sk_family == AF_INET6) {
		ckpt_inet_addrs6(sk, rec);
	} else {
		memcpy(rec->src, &inet->inet_rcv_saddr, 4);
		memcpy(rec->dst, &inet->inet_daddr, 4);
		rec->tos = cpu_to_le32(READ_ONCE(inet->tos));
		rec->ttl = cpu_to_le32(READ_ONCE(inet->uc_ttl));
	}
	if (inet->inet_num) {
		*flags |= CKPT_INET_BOUND;
		rec->sport = cpu_to_le16(inet->inet_num);
	}
	if (connected) {
		rec->state = cpu_to_le32(udp ? CKPT_INET_CONNECTED : CKPT_INET_STREAM);
		rec->dport = cpu_to_le16(ntohs(inet->inet_dport));
	} else {
		memset(rec->dst, 0, sizeof(rec->dst));
	}
}

/* The options set with setsockopt(2) */
static void ckpt_inet_opts(struct sock *sk, struct ckpt_inet_sk *rec, u32 *flags)
{
	struct net_device *dev;

	if (sk->sk_reuse)
		*flags |= CKPT_INET_REUSEADDR;
	if (sk->sk_reuseport)
		*flags |= CKPT_INET_REUSEPORT;
	if (sock_flag(sk, SOCK_KEEPOPEN))
		*flags |= CKPT_INET_KEEPALIVE;
	if (sock_flag(sk, SOCK_LINGER)) {
		*flags |= CKPT_INET_LINGER;
		rec->linger = cpu_to_le32(READ_ONCE(sk->sk_lingertime) / HZ);
	}
	if (sock_flag(sk, SOCK_BROADCAST))
		*flags |= CKPT_INET_BROADCAST;
	if (sk->sk_family == AF_INET6 && sk->sk_ipv6only)
		*flags |= CKPT_INET_V6ONLY;
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		*flags |= CKPT_INET_SNDBUF_LOCK;
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		*flags |= CKPT_INET_RCVBUF_LOCK;
	if (inet_test_bit(FREEBIND, sk))
		*flags |= CKPT_INET_FREEBIND;
	rec->mark = cpu_to_le32(READ_ONCE(sk->sk_mark));
	rec->sndbuf = cpu_to_le32(READ_ONCE(sk->sk_sndbuf));
	rec->rcvbuf = cpu_to_le32(READ_ONCE(sk->sk_rcvbuf));
	rcu_read_lock();
	dev = sk->sk_bound_dev_if ?
	      dev_get_by_index_rcu(sock_net(sk), sk->sk_bound_dev_if) : NULL;
	if (dev)
		strscpy_pad(rec->dev, dev->name, sizeof(rec->dev));
	rcu_read_unlock();
}

static void ckpt_inet_tcp_opts(struct sock *sk, struct ckpt_inet_sk *rec, u32 *flags)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->nonagle & TCP_NAGLE_OFF)
		*flags |= CKPT_INET_NODELAY;
	if (tp->nonagle & TCP_NAGLE_CORK)
		*flags |= CKPT_INET_CORK;
	rec->keepidle = cpu_to_le32(READ_ONCE(tp->keepalive_time) / HZ);
	rec->keepintvl = cpu_to_le32(READ_ONCE(tp->keepalive_intvl) / HZ);
	rec->keepcnt = cpu_to_le32(READ_ONCE(tp->keepalive_probes));
}

/*
 * A connection held still from the moment it is saved until its task
 * goes on or dies (ckpt_inet_thaw()): a filter that drops what the peer
 * sends before TCP sees it, so that nothing received after the image is
 * taken is acknowledged; the peer sends it again.  A listener is held
 * the same way: a SYN is dropped, and sent again to the restored one.  CRIU does this with
 * netfilter rules.  A segment that passed the filter check just before
 * it was attached may still be on its way: once every connection is
 * saved, an RCU grace period later, ckpt_inet_check() makes sure that
 * none moved since (one wait per checkpoint, not one per connection).
 */
struct ckpt_tcp_plug {
	struct sk_filter *fp;
	u32 mark[2];		/* as saved: see ckpt_tcp_mark() */
};

/* What must not move once @sk is saved: its sequence numbers, or its queues */
static void ckpt_tcp_mark(struct sock *sk, u32 *mark)
{
	if (sk->sk_state == TCP_LISTEN) {
		mark[0] = READ_ONCE(sk->sk_ack_backlog);
		mark[1] = inet_csk_reqsk_queue_len(sk);
	} else {
		mark[0] = tcp_sk(sk)->snd_una;
		mark[1] = tcp_sk(sk)->rcv_nxt;
	}
}

/* Attach a filter that drops every segment to @sk, locked, which has none */
static struct sk_filter *ckpt_sk_attach_drop(struct sock *sk)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog_kern fprog = { .len = 1, .filter = &drop };
	struct sk_filter *fp;
	int ret;

	fp = kmalloc(sizeof(*fp), GFP_KERNEL);
	ret = fp ? bpf_prog_create(&fp->prog, &fprog) : -ENOMEM;
	/* One reference, the socket's: sk_filter_charge() takes one more */
	if (!ret) {
		refcount_set(&fp->refcnt, 1);
		ret = sk_filter_charge(sk, fp) ? 0 : -ENOMEM;
		if (ret)
			bpf_prog_destroy(fp->prog);
	}
	if (ret) {
		kfree(fp);
		return ERR_PTR(ret);
	}
	refcount_dec(&fp->refcnt);
	rcu_assign_pointer(sk->sk_filter, fp);
	return fp;
}

/* ---- held connections ---- */

/*
 * Held and parked sockets outlive what their owners see of them, for up
 * to five minutes: at most this many at once, so that checkpoints in a
 * loop cannot pin memory without bound.  Past it a socket is let go
 * (held) or closed at once (parked), and the checkpoint says so.
 */
#define CKPT_TCP_PIN_MAX	65536

static atomic_t ckpt_tcp_pinned = ATOMIC_INIT(0);

static bool ckpt_tcp_pin(void)
{
	if (atomic_inc_return(&ckpt_tcp_pinned) <= CKPT_TCP_PIN_MAX)
		return true;
	atomic_dec(&ckpt_tcp_pinned);
	return false;
}

static void ckpt_tcp_unpin(void)
{
	atomic_dec(&ckpt_tcp_pinned);
}

/*
 * CHECKPOINT_STOP leaves the tasks stopped for a caller that decides
 * later whether they die (ckpt migrate: the tree runs elsewhere now) or
 * go on.  Meanwhile their saved TCP connections and listeners stay held,
 * their filter dropping what the peer sends, so that nothing the image
 * lacks is acknowledged.  The next checkpoint of the tree takes the
 * filter over (ckpt_tcp_unhold()) and its thaw decides: closed silently
 * with CHECKPOINT_KILL, let go without it.  A connection that no
 * checkpoint takes over within CKPT_TCP_HOLD_SECS is let go.
 */
#define CKPT_TCP_HOLD_SECS	300

struct ckpt_tcp_held {
	struct list_head list;
	struct sock *sk;	/* a reference */
	struct sk_filter *fp;	/* a reference, charged to @sk */
	unsigned long expires;
};

static LIST_HEAD(ckpt_tcp_held_list);
static DEFINE_MUTEX(ckpt_tcp_hold_lock);
static void ckpt_tcp_hold_expire(struct work_struct *work);
static DECLARE_DELAYED_WORK(ckpt_tcp_hold_work, ckpt_tcp_hold_expire);

static void ckpt_tcp_held_free(struct ckpt_tcp_held *h)
{
	sk_filter_uncharge(h->sk, h->fp);
	sock_put(h->sk);
	kfree(h);
	ckpt_tcp_unpin();
}

static void ckpt_tcp_hold_expire(struct work_struct *work)
{
	struct ckpt_tcp_held *h, *n;
	LIST_HEAD(gone);

	mutex_lock(&ckpt_tcp_hold_lock);
	list_for_each_entry_safe(h, n, &ckpt_tcp_held_list, list)
		if (time_after_eq(jiffies, h->expires))
			list_move(&h->list, &gone);
	h = list_first_entry_or_null(&ckpt_tcp_held_list, struct ckpt_tcp_held, list);
	if (h)
		schedule_delayed_work(&ckpt_tcp_hold_work,
				      time_after(h->expires, jiffies) ? h->expires - jiffies : 0);
	mutex_unlock(&ckpt_tcp_hold_lock);
	list_for_each_entry_safe(h, n, &gone, list) {
		lock_sock(h->sk);
		if (rcu_access_pointer(h->sk->sk_filter) == h->fp)
			sk_detach_filter(h->sk);
		release_sock(h->sk);
		ckpt_tcp_held_free(h);
	}
}

/* Keep @sk, locked, held by its filter @fp after its tasks stop; or let it go */
static bool ckpt_tcp_hold(struct sock *sk, struct sk_filter *fp)
{
	struct ckpt_tcp_held *h = kzalloc(sizeof(*h), GFP_KERNEL);

	if (!h || !ckpt_tcp_pin()) {
		kfree(h);
		sk_detach_filter(sk);
		return false;
	}
	if (!sk_filter_charge(sk, fp)) {
		kfree(h);
		ckpt_tcp_unpin();
		sk_detach_filter(sk);
		return false;
	}
	sock_hold(sk);
	h->sk = sk;
	h->fp = fp;
	mutex_lock(&ckpt_tcp_hold_lock);
	h->expires = jiffies + CKPT_TCP_HOLD_SECS * HZ;
	list_add_tail(&h->list, &ckpt_tcp_held_list);
	schedule_delayed_work(&ckpt_tcp_hold_work, CKPT_TCP_HOLD_SECS * HZ);
	mutex_unlock(&ckpt_tcp_hold_lock);
	return true;
}

/* Whether @sk, locked, was held with its filter @fp; it is not any more */
static bool ckpt_tcp_unhold(struct sock *sk, struct sk_filter *fp)
{
	struct ckpt_tcp_held *h, *found = NULL;
	bool same;

	mutex_lock(&ckpt_tcp_hold_lock);
	list_for_each_entry(h, &ckpt_tcp_held_list, list) {
		if (h->sk == sk) {
			list_del(&h->list);
			found = h;
			break;
		}
	}
	mutex_unlock(&ckpt_tcp_hold_lock);
	if (!found)
		return false;
	same = found->fp == fp;
	ckpt_tcp_held_free(found);
	return same;
}

/*
 * Attach the filter to @sk, locked, or take it over from the checkpoint
 * with CHECKPOINT_STOP that left it held; the plug is @sk's key's word
 */
static int ckpt_tcp_plug(struct ckpt_ctx *ctx, struct sock *sk, u32 objref)
{
	struct ckpt_tcp_plug *plug;
	struct sk_filter *fp;
	unsigned long *word;
	int ret;

	fp = rcu_dereference_protected(sk->sk_filter, lockdep_sock_is_held(sk));
	if (fp && !ckpt_tcp_unhold(sk, fp))
		return -EBUSY;
	word = ckpt_obj_key_add(ctx, CKPT_OBJ_file, sk, objref);
	if (IS_ERR(word))
		return PTR_ERR(word);
	plug = kzalloc(sizeof(*plug), GFP_KERNEL);
	if (!plug)
		return -ENOMEM;
	plug->fp = fp ?: ckpt_sk_attach_drop(sk);
	if (IS_ERR(plug->fp)) {
		ret = PTR_ERR(plug->fp);
		kfree(plug);
		return ret;
	}
	*word = (unsigned long)plug;
	return 0;
}

/*
 * Drop what came to @sk, locked and plugged, while it was locked: those
 * segments passed the filter check before the plug and wait in the
 * backlog for release_sock(), after the image was taken.  Lost, they are
 * sent again.
 */
static void ckpt_tcp_drop_backlog(struct sock *sk)
{
	struct sk_buff *skb, *next;

	spin_lock_bh(&sk->sk_lock.slock);
	skb = sk->sk_backlog.head;
	sk->sk_backlog.head = NULL;
	sk->sk_backlog.tail = NULL;
	sk->sk_backlog.len = 0;
	spin_unlock_bh(&sk->sk_lock.slock);
	for (; skb; skb = next) {
		next = skb->next;
		skb_mark_not_on_list(skb);
		kfree_skb(skb);
	}
}

static struct ckpt_tcp_plug *ckpt_tcp_plug_of(struct ckpt_ctx *ctx, struct sock *sk)
{
	unsigned long *word;
	u32 ref;

	word = ckpt_obj_key_find(ctx, CKPT_OBJ_file, sk, &ref);
	return word ? (struct ckpt_tcp_plug *)*word : NULL;
}

/* What is read of a socket under its lock, written after */
struct ckpt_inet_snap {
	struct ckpt_tcp_stream rec;	/* a TCP connection: */
	u8 *buf;		/* the receive queue, then the send queue */
	u32 len;
	struct sk_buff_head dgrams;	/* UDP: clones of the queued datagrams */
};

/* Append the bytes of @skb from sequence number @from on, up to @max in all */
static int ckpt_tcp_copy(struct ckpt_inet_snap *s, const struct sk_buff *skb,
			 u32 from, u32 max)
{
	u32 seq = TCP_SKB_CB(skb)->seq, off = before(seq, from) ? from - seq : 0, n;

	if (off >= skb->len)
		return 0;
	n = skb->len - off;
	if (n > max - s->len || skb_copy_bits(skb, off, s->buf + s->len, n))
		return -EPROTO;
	s->len += n;
	return 0;
}

/* The receive queue from copied_seq on, then the send queue from snd_una on */
static int ckpt_tcp_copy_queues(struct sock *sk, struct ckpt_inet_snap *s, u32 inq, u32 outq)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;
	u32 unsent = 0;
	int ret = 0;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		if (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN)
			return -EPROTO;
		ret = ckpt_tcp_copy(s, skb, tp->copied_seq, inq);
		if (ret)
			return ret;
	}
	if (s->len != inq)
		return -EPROTO;
	for (skb = skb_rb_first(&sk->tcp_rtx_queue); skb && !ret; skb = skb_rb_next(skb))
		ret = ckpt_tcp_copy(s, skb, tp->snd_una, inq + outq);
	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (ret)
			break;
		unsent += skb->len;
		ret = ckpt_tcp_copy(s, skb, tp->snd_una, inq + outq);
	}
	if (!ret && s->len != inq + outq)
		ret = -EPROTO;
	s->rec.unsent_len = cpu_to_le32(unsent);
	return ret;
}

/* The options and windows of the connection @sk, locked */
static void ckpt_tcp_rec(struct sock *sk, struct ckpt_tcp_stream *t)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 flags = 0, ts;

	if (tp->rx_opt.wscale_ok)
		flags |= CKPT_TCP_WSCALE;
	if (tcp_is_sack(tp))
		flags |= CKPT_TCP_SACK;
	if (tp->rx_opt.tstamp_ok)
		flags |= CKPT_TCP_TSTAMP;
	/* As getsockopt(TCP_TIMESTAMP) reads it */
	ts = tcp_clock_ts(tp->tcp_usec_ts) + READ_ONCE(tp->tsoffset);
	ts = tp->tcp_usec_ts ? ts | 1 : ts & ~1;
	t->state = cpu_to_le32(sk->sk_state);
	t->flags = cpu_to_le32(flags);
	t->snd_una = cpu_to_le32(tp->snd_una);
	t->rcv_nxt = cpu_to_le32(tp->rcv_nxt);
	t->mss_clamp = cpu_to_le32(tp->rx_opt.mss_clamp);
	t->snd_wscale = tp->rx_opt.snd_wscale;
	t->rcv_wscale = tp->rx_opt.rcv_wscale;
	t->timestamp = cpu_to_le32(ts);
	t->snd_wl1 = cpu_to_le32(tp->snd_wl1);
	t->snd_wnd = cpu_to_le32(tp->snd_wnd);
	t->max_window = cpu_to_le32(tp->max_window);
	t->rcv_wnd = cpu_to_le32(tp->rcv_wnd);
	t->rcv_wup = cpu_to_le32(tp->rcv_wup);
	t->user_mss = cpu_to_le32(tp->rx_opt.user_mss);
	t->user_timeout = cpu_to_le32(READ_ONCE(inet_csk(sk)->icsk_user_timeout));
}

/* What TCP_REPAIR would read of the connection @sk, locked and plugged */
static int ckpt_tcp_snap(struct sock *sk, struct ckpt_inet_snap *s)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int state = sk->sk_state;
	u32 inq = tp->rcv_nxt - tp->copied_seq, outq = tp->write_seq - tp->snd_una;

	/* The FINs are in the sequence numbers, not in the queues */
	if (((1 << state) & CKPT_TCPF_FIN_IN) && inq)
		inq--;
	if ((1 << state) & CKPT_TCPF_FIN_OUT) {
		if (!outq)
			return -EPROTO;
		outq--;
	}
	if ((u64)inq + outq > CKPT_TCP_QUEUES_MAX)
		return -E2BIG;
	if (inq + outq) {
		s->buf = kvmalloc(inq + outq, GFP_KERNEL);
		if (!s->buf)
			return -ENOMEM;
	}
	ckpt_tcp_rec(sk, &s->rec);
	s->rec.inq_len = cpu_to_le32(inq);
	s->rec.outq_len = cpu_to_le32(outq);
	return ckpt_tcp_copy_queues(sk, s, inq, outq);
}

/* The INET_SK of @sk, locked; the TCP_STREAM of a connection */
static int ckpt_inet_rec(struct sock *sk, struct ckpt_inet_sk *rec, struct ckpt_inet_snap *s)
{
	u32 flags = 0;

	if (READ_ONCE(sk->sk_state) == TCP_LISTEN) {
		rec->state = cpu_to_le32(CKPT_INET_LISTEN);
		rec->backlog = cpu_to_le32(READ_ONCE(sk->sk_max_ack_backlog));
	}
	ckpt_inet_addrs(sk, rec, &flags);
	ckpt_inet_opts(sk, rec, &flags);
	if (sk->sk_protocol == IPPROTO_TCP)
		ckpt_inet_tcp_opts(sk, rec, &flags);
	rec->flags = cpu_to_le32(flags);
	return le32_to_cpu(rec->state) == CKPT_INET_STREAM ? ckpt_tcp_snap(sk, s) : 0;
}

/* The INET_SK of @rec, with the TCP_STREAM of a connection */
static int ckpt_inet_write_recs(struct ckpt_ctx *ctx, const struct ckpt_inet_sk *rec,
				const struct ckpt_inet_snap *s)
{
	int ret = ckpt_write_rec(ctx, CKPT_REC_INET_SK, rec, sizeof(*rec));

	if (!ret && le32_to_cpu(rec->state) == CKPT_INET_STREAM)
		ret = ckpt_write_rec_var(ctx, CKPT_REC_TCP_STREAM, &s->rec, sizeof(s->rec),
					 s->buf, s->len);
	return ret;
}

/*
 * Save @sk, locked, into @rec and @s: held still first if it is a TCP
 * connection or listener.  Return what cannot be saved, or NULL and *@ret.
 */
static const char *ckpt_inet_save(struct ckpt_ctx *ctx, struct sock *sk, u32 objref,
				  struct ckpt_inet_sk *rec, struct ckpt_inet_snap *s, int *ret)
{
	bool tcp = sk->sk_protocol == IPPROTO_TCP, plugged = false;
	const char *what;

	*ret = 0;
	if (tcp && (ckpt_tcp_stream(sk) || sk->sk_state == TCP_LISTEN)) {
		*ret = ckpt_tcp_plug(ctx, sk, objref);
		plugged = !*ret;
	}
	what = ckpt_inet_unsupported(sk, plugged);
	if (!what && ctx->nsproxy && sock_net(sk) != ctx->nsproxy->net_ns)
		what = "another network namespace than the tasks'";
	if (!what && !*ret)
		*ret = ckpt_inet_rec(sk, rec, s);
	if (plugged) {
		ckpt_tcp_drop_backlog(sk);
		ckpt_tcp_mark(sk, ckpt_tcp_plug_of(ctx, sk)->mark);
	}
	return what;
}

/* ---- UDP datagrams ---- */

/* Clones of the datagrams queued on @sk, in the order they are read */
static int ckpt_udp_hold(struct sock *sk, struct ckpt_inet_sk *rec, struct sk_buff_head *held)
{
	struct sk_buff_head *queues[] = { &udp_sk(sk)->reader_queue, &sk->sk_receive_queue };
	struct sk_buff *skb, *clone;
	int i, ret = 0;

	for (i = 0; i < ARRAY_SIZE(queues) && !ret; i++) {
		spin_lock_bh(&queues[i]->lock);
		skb_queue_walk(queues[i], skb) {
			clone = skb_clone(skb, GFP_ATOMIC);
			if (!clone) {
				ret = -ENOMEM;
				break;
			}
			__skb_queue_tail(held, clone);
		}
		spin_unlock_bh(&queues[i]->lock);
	}
	rec->nr_queued = cpu_to_le32(skb_queue_len(held));
	return ret;
}

/* A UDP_DGRAM: the addresses and ports of @skb's headers, its data */
static noinline_for_stack int ckpt_udp_write(struct ckpt_ctx *ctx,
					     const struct sk_buff *skb, void *buf)
{
	struct ckpt_udp_dgram d = {
		.len = cpu_to_le32(skb->len),
		.sport = cpu_to_le16(ntohs(udp_hdr(skb)->source)),
		.dport = cpu_to_le16(ntohs(udp_hdr(skb)->dest)),
	};

	if (skb->protocol == htons(ETH_P_IP)) {
		d.family = cpu_to_le32(AF_INET);
		memcpy(d.saddr, &ip_hdr(skb)->saddr, 4);
		memcpy(d.daddr, &ip_hdr(skb)->daddr, 4);
	} else {
		d.family = cpu_to_le32(AF_INET6);
		memcpy(d.saddr, &ipv6_hdr(skb)->saddr, 16);
		memcpy(d.daddr, &ipv6_hdr(skb)->daddr, 16);
	}
	if (skb->len > CKPT_UDP_DGRAM_MAX || skb_copy_bits(skb, 0, buf, skb->len))
		return ckpt_err(ctx, -EPROTO, "a queued datagram cannot be read");
	return ckpt_write_rec_var(ctx, CKPT_REC_UDP_DGRAM, &d, sizeof(d), buf, skb->len);
}

static int ckpt_udp_write_all(struct ckpt_ctx *ctx, struct sk_buff_head *held)
{
	struct sk_buff *skb;
	void *buf;
	int ret = 0;

	if (skb_queue_empty(held))
		return 0;
	buf = kvmalloc(CKPT_UDP_DGRAM_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	skb_queue_walk(held, skb) {
		ret = ckpt_udp_write(ctx, skb, buf);
		if (ret)
			break;
	}
	kvfree(buf);
	return ret;
}

/* The connections a listener has not accepted yet, held, in accept order */
struct ckpt_tcp_pending {
	unsigned int nr;
	struct sock *sk[];
};

static void ckpt_tcp_pending_put(struct ckpt_tcp_pending *p)
{
	while (p && p->nr)
		sock_put(p->sk[--p->nr]);
	kvfree(p);
}

/* Hold the connections in the accept queue of @sk, locked and held still */
static int ckpt_tcp_pending(struct ckpt_ctx *ctx, struct sock *sk, u32 objref,
			    struct ckpt_inet_sk *rec)
{
	struct request_sock_queue *queue = &inet_csk(sk)->icsk_accept_queue;
	u32 max = READ_ONCE(sk->sk_ack_backlog);
	struct ckpt_tcp_pending *p;
	struct request_sock *req;
	unsigned long *word;

	word = ckpt_obj_key_add(ctx, CKPT_OBJ_file, queue, objref);
	if (IS_ERR(word))
		return PTR_ERR(word);
	p = kvzalloc(struct_size(p, sk, max), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	*word = (unsigned long)p;
	spin_lock_bh(&queue->rskq_lock);
	for (req = queue->rskq_accept_head; req && p->nr < max; req = req->dl_next) {
		sock_hold(req->sk);
		p->sk[p->nr++] = req->sk;
	}
	spin_unlock_bh(&queue->rskq_lock);
	/* One came in past the plug: the check would fail anyway */
	if (req)
		return -EAGAIN;
	rec->nr_queued = cpu_to_le32(p->nr);
	return 0;
}

static struct ckpt_tcp_pending *ckpt_tcp_pending_of(struct ckpt_ctx *ctx, struct sock *sk)
{
	unsigned long *word;
	u32 ref;

	word = ckpt_obj_key_find(ctx, CKPT_OBJ_file, &inet_csk(sk)->icsk_accept_queue, &ref);
	return word ? (struct ckpt_tcp_pending *)*word : NULL;
}

/* Log why socket @name (file @objref) cannot be saved: @what, or @ret reading @of */
static int ckpt_inet_refuse(struct ckpt_ctx *ctx, const char *name, u32 objref,
			    const char *what, int ret, const char *of)
{
	if (what)
		return ckpt_err(ctx, -EOPNOTSUPP, "socket %s (file %u): %s cannot be saved yet",
				name, objref, what);
	if (ret)
		return ckpt_err(ctx, ret, "socket %s (file %u): cannot hold or read %s",
				name, objref, of);
	return 0;
}

/* A connection not accepted yet: an INET_SK and a TCP_STREAM, no FILE */
static noinline_for_stack int ckpt_tcp_save_pending(struct ckpt_ctx *ctx,
						    struct sock *sk, u32 objref,
						    const char *listener)
{
	struct ckpt_inet_sk rec = {
		.family = cpu_to_le32(sk->sk_family),
		.type = cpu_to_le32(sk->sk_type),
		.protocol = cpu_to_le32(sk->sk_protocol),
	};
	struct ckpt_inet_snap snap = {};
	const char *what;
	int ret;

	lock_sock(sk);
	what = ckpt_inet_save(ctx, sk, objref, &rec, &snap, &ret);
	if (!what && !ret && le32_to_cpu(rec.state) != CKPT_INET_STREAM)
		what = "a connection not accepted yet that closed";
	release_sock(sk);
	ret = ckpt_inet_refuse(ctx, listener, objref, what, ret,
			       "a connection it has not accepted") ?:
	      ckpt_inet_write_recs(ctx, &rec, &snap);
	kvfree(snap.buf);
	return ret;
}

static int ckpt_inet_write(struct ckpt_ctx *ctx, struct file *file, u32 objref,
			   const struct ckpt_inet_sk *rec, struct ckpt_inet_snap *s,
			   const char *name)
{
	struct ckpt_tcp_pending *p = ckpt_tcp_pending_of(ctx, ckpt_inet_sk_of(file));
	unsigned int i;
	int ret;

	ret = ckpt_write_file_nopath(ctx, file, objref, CKPT_FILE_INET) ?:
	      ckpt_inet_write_recs(ctx, rec, s);
	for (i = 0; !ret && p && i < p->nr; i++)
		ret = ckpt_tcp_save_pending(ctx, p->sk[i], objref, name);
	return ret ?: ckpt_udp_write_all(ctx, &s->dgrams);
}

static int ckpt_inet_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	struct sock *sk = ckpt_inet_sk_of(file);
	struct ckpt_inet_sk rec = {
		.family = cpu_to_le32(sk->sk_family),
		.type = cpu_to_le32(sk->sk_type),
		.protocol = cpu_to_le32(sk->sk_protocol),
	};
	struct ckpt_inet_snap snap = {};
	const char *what;
	char name[80];
	int ret;

	__skb_queue_head_init(&snap.dgrams);
	lock_sock(sk);
	ckpt_inet_name(sk, name, sizeof(name));
	what = ckpt_inet_save(ctx, sk, objref, &rec, &snap, &ret);
	if (!what && !ret && le32_to_cpu(rec.state) == CKPT_INET_LISTEN)
		ret = ckpt_tcp_pending(ctx, sk, objref, &rec);
	if (!what && !ret && sk->sk_protocol == IPPROTO_UDP)
		ret = ckpt_udp_hold(sk, &rec, &snap.dgrams);
	release_sock(sk);
	ret = ckpt_inet_refuse(ctx, name, objref, what, ret, "its state") ?:
	      ckpt_inet_write(ctx, file, objref, &rec, &snap, name);
	kvfree(snap.buf);
	__skb_queue_purge(&snap.dgrams);
	return ret;
}

/* Whether @sk moved after it was saved (see struct ckpt_tcp_plug) */
static bool ckpt_tcp_moved(struct ckpt_ctx *ctx, struct sock *sk)
{
	struct ckpt_tcp_plug *plug = ckpt_tcp_plug_of(ctx, sk);
	u32 mark[2];

	if (!plug)
		return false;
	lock_sock(sk);
	ckpt_tcp_mark(sk, mark);
	release_sock(sk);
	return mark[0] != plug->mark[0] || mark[1] != plug->mark[1];
}

/*
 * Once every task is saved and a grace period has passed (once per
 * checkpoint): a connection or listener that moved since it was saved
 * makes checkpoint fail.
 */
static int ckpt_inet_check(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	static const int ckpt_tcp_waited;
	struct sock *sk = ckpt_inet_sk_of(file);
	struct ckpt_tcp_pending *p = ckpt_tcp_pending_of(ctx, sk);
	bool moved = false;
	unsigned long *word;
	unsigned int i;
	u32 ref;

	if (!ckpt_tcp_plug_of(ctx, sk))
		return 0;
	if (!ckpt_obj_key_find(ctx, CKPT_OBJ_file, &ckpt_tcp_waited, &ref)) {
		word = ckpt_obj_key_add(ctx, CKPT_OBJ_file, &ckpt_tcp_waited, 0);
		if (IS_ERR(word))
			return PTR_ERR(word);
		synchronize_net();
	}
	moved = ckpt_tcp_moved(ctx, sk);
	for (i = 0; p && i < p->nr && !moved; i++)
		moved = ckpt_tcp_moved(ctx, p->sk[i]);
	if (moved)
		return ckpt_err(ctx, -EAGAIN,
				"TCP socket of file %u moved while it was saved; try again",
				objref);
	return 0;
}

/*
 * The tasks go on: let the peer's segments in again.  Or they stay
 * stopped: hold the connection still until the next checkpoint of the
 * tree says what becomes of it.  Or they are killed: in repair mode, a
 * connection closes without a FIN or a reset, and the filter drops what
 * comes until then.
 */
static void ckpt_tcp_thaw(struct ckpt_ctx *ctx, struct sock *sk, enum ckpt_thaw how)
{
	struct ckpt_tcp_plug *plug = ckpt_tcp_plug_of(ctx, sk);
	bool let_go = false;

	if (!plug)
		return;
	lock_sock(sk);
	if (rcu_access_pointer(sk->sk_filter) == plug->fp) {
		if (how == CKPT_THAW_STOP)
			let_go = !ckpt_tcp_hold(sk, plug->fp);
		else if (how == CKPT_THAW_GO)
			sk_detach_filter(sk);
		else if (sk->sk_state != TCP_LISTEN)
			tcp_sk(sk)->repair = 1;
	}
	release_sock(sk);
	kfree(plug);
	/* Logged without the socket's lock: the log is a file */
	if (let_go)
		ckpt_log(ctx, "a TCP socket is not held (no memory, or %u pinned): it goes on",
			 CKPT_TCP_PIN_MAX);
}

/* ---- parked connections ---- */

/*
 * When CHECKPOINT_KILL kills tasks that share the caller's network
 * namespace, their saved TCP connections and listeners are parked: the
 * open file is kept, in repair mode, with the filter that drops what the
 * peer sends.  The address stays taken, so a peer's retransmission or SYN
 * finds a socket that drops it, not a reset from the stack.  Restarting
 * the same connection or listener in the same namespace first closes it,
 * silently (ckpt_tcp_unpark()); else it closes after CKPT_TCP_PARK_SECS.
 * A container's own namespace needs none of this: its devices go down
 * (ckpt_netns_park()).
 */
#define CKPT_TCP_PARK_SECS	300

struct ckpt_tcp_parked {
	struct list_head list;
	struct file *file;
	const struct net *net;	/* compared only: the socket holds it */
	kuid_t owner;		/* the checkpointing caller's euid */
	kuid_t sk_uid;		/* the socket's owner */
	unsigned long expires;
	struct ckpt_inet_sk key;	/* family, addresses and ports */
};

static LIST_HEAD(ckpt_tcp_parked_list);
static DEFINE_MUTEX(ckpt_tcp_park_lock);
static void ckpt_tcp_park_expire(struct work_struct *work);
static DECLARE_DELAYED_WORK(ckpt_tcp_park_work, ckpt_tcp_park_expire);

static void ckpt_tcp_park_expire(struct work_struct *work)
{
	struct ckpt_tcp_parked *p, *n;
	LIST_HEAD(gone);

	mutex_lock(&ckpt_tcp_park_lock);
	list_for_each_entry_safe(p, n, &ckpt_tcp_parked_list, list)
		if (time_after_eq(jiffies, p->expires))
			list_move(&p->list, &gone);
	p = list_first_entry_or_null(&ckpt_tcp_parked_list, struct ckpt_tcp_parked, list);
	if (p)
		schedule_delayed_work(&ckpt_tcp_park_work, p->expires - jiffies);
	mutex_unlock(&ckpt_tcp_park_lock);
	list_for_each_entry_safe(p, n, &gone, list) {
		fput(p->file);
		kfree(p);
		ckpt_tcp_unpin();
	}
}

/* Keep @file, whose socket @sk is plugged and in repair mode */
static void ckpt_tcp_park(struct file *file, struct sock *sk)
{
	struct ckpt_tcp_parked *p = kzalloc(sizeof(*p), GFP_KERNEL);
	u32 flags = 0;

	if (!p || !ckpt_tcp_pin()) {
		kfree(p);
		return;		/* it closes now, silently: a reset may follow */
	}
	p->file = get_file(file);
	p->net = sock_net(sk);
	p->owner = current_euid();
	p->sk_uid = sock_i_uid(sk);
	p->key.family = cpu_to_le32(sk->sk_family);
	ckpt_inet_addrs(sk, &p->key, &flags);
	mutex_lock(&ckpt_tcp_park_lock);
	p->expires = jiffies + CKPT_TCP_PARK_SECS * HZ;
	list_add_tail(&p->list, &ckpt_tcp_parked_list);
	schedule_delayed_work(&ckpt_tcp_park_work, CKPT_TCP_PARK_SECS * HZ);
	mutex_unlock(&ckpt_tcp_park_lock);
}

static bool ckpt_tcp_park_match(const struct ckpt_tcp_parked *p, const struct net *net,
				const struct ckpt_inet_sk *rec, bool listen)
{
	return p->net == net && p->key.family == rec->family && p->key.sport == rec->sport &&
	       !memcmp(p->key.src, rec->src, sizeof(rec->src)) &&
	       (listen ? !p->key.dport : p->key.dport == rec->dport &&
			 !memcmp(p->key.dst, rec->dst, sizeof(rec->dst)));
}

/*
 * Restart of the connection (or listener) @rec in @net: close the parked
 * socket that holds its address, silently, if the caller parked it, owns
 * it, or may repair any connection there.
 */
static bool ckpt_tcp_unpark(struct net *net, const struct ckpt_inet_sk *rec, bool listen)
{
	struct ckpt_tcp_parked *p, *n, *found = NULL;

	mutex_lock(&ckpt_tcp_park_lock);
	list_for_each_entry_safe(p, n, &ckpt_tcp_parked_list, list) {
		if (!ckpt_tcp_park_match(p, net, rec, listen) ||
		    !(uid_eq(p->owner, current_euid()) || uid_eq(p->sk_uid, current_euid()) ||
		      ns_capable(net->user_ns, CAP_NET_ADMIN)))
			continue;
		list_del(&p->list);
		found = p;
		break;
	}
	mutex_unlock(&ckpt_tcp_park_lock);
	if (!found)
		return false;
	/* As close(2): the address is free when this returns */
	__fput_sync(found->file);
	kfree(found);
	ckpt_tcp_unpin();
	return true;
}

static void ckpt_inet_thaw(struct ckpt_ctx *ctx, struct file *file, u32 objref,
			   enum ckpt_thaw how)
{
	struct sock *sk = ckpt_inet_sk_of(file);
	struct ckpt_tcp_pending *p = ckpt_tcp_pending_of(ctx, sk);
	bool plugged = ckpt_tcp_plug_of(ctx, sk);
	unsigned int i;

	ckpt_tcp_thaw(ctx, sk, how);
	if (how == CKPT_THAW_KILL && plugged && !ckpt_ns_own(ctx, CKPT_NS_net))
		ckpt_tcp_park(file, sk);
	for (i = 0; p && i < p->nr; i++)
		ckpt_tcp_thaw(ctx, p->sk[i], how);
	ckpt_tcp_pending_put(p);
}

/* ---- restart ---- */

static int ckpt_inet_rec_check(struct ckpt_ctx *ctx, const struct ckpt_inet_sk *rec,
			       u32 objref)
{
	u32 family = le32_to_cpu(rec->family), state = le32_to_cpu(rec->state);
	bool tcp = le32_to_cpu(rec->protocol) == IPPROTO_TCP;

	if (!ckpt_inet_kind(family, le32_to_cpu(rec->type), le32_to_cpu(rec->protocol)) ||
	    state > CKPT_INET_STREAM || (le32_to_cpu(rec->flags) & ~CKPT_INET_ALL) ||
	    ((state == CKPT_INET_LISTEN || state == CKPT_INET_STREAM) && !tcp) ||
	    (state == CKPT_INET_CONNECTED && tcp) ||
	    (state != CKPT_INET_CONNECTED && state != CKPT_INET_CLOSED &&
	     !(le32_to_cpu(rec->flags) & CKPT_INET_BOUND)) ||
	    (family == AF_INET && (memchr_inv(rec->src + 4, 0, 12) ||
				   memchr_inv(rec->dst + 4, 0, 12))) ||
	    (s32)le32_to_cpu(rec->sndbuf) < 0 || (s32)le32_to_cpu(rec->rcvbuf) < 0 ||
	    le32_to_cpu(rec->keepidle) > MAX_TCP_KEEPIDLE ||
	    le32_to_cpu(rec->keepintvl) > MAX_TCP_KEEPINTVL ||
	    le32_to_cpu(rec->keepcnt) > MAX_TCP_KEEPCNT ||
	    le32_to_cpu(rec->linger) > INT_MAX / HZ ||
	    (rec->nr_queued && tcp && state != CKPT_INET_LISTEN) || rec->__pad ||
	    (tcp && le32_to_cpu(rec->nr_queued) > le32_to_cpu(rec->backlog) + 1) ||
	    le32_to_cpu(rec->nr_queued) > CKPT_INET_QUEUED_MAX ||
	    !ckpt_padded_string(rec->dev, sizeof(rec->dev)))
		return ckpt_err(ctx, -EINVAL, "INET_SK of socket %u is invalid", objref);
	return 0;
}

/* setsockopt(2) of an int, as the caller */
static int ckpt_inet_set(struct socket *sock, int level, int opt, int val)
{
	if (level == SOL_SOCKET)
		return sock_setsockopt(sock, level, opt, KERNEL_SOCKPTR(&val), sizeof(val));
	return sock->ops->setsockopt(sock, level, opt, KERNEL_SOCKPTR(&val), sizeof(val));
}

static int ckpt_inet_set_buf(struct socket *sock, int opt, int force, u32 val)
{
	int ret = ckpt_inet_set(sock, SOL_SOCKET, opt, val / 2);
	u32 now = opt == SO_SNDBUF ? READ_ONCE(sock->sk->sk_sndbuf) :
		  READ_ONCE(sock->sk->sk_rcvbuf);

	/* Beyond the sysctl maximum: as the caller could, with CAP_NET_ADMIN */
	if (!ret && now != val)
		ckpt_inet_set(sock, SOL_SOCKET, force, val / 2);
	return ret;
}

/* The SOL_SOCKET options */
static int ckpt_inet_set_sock_opts(struct socket *sock, const struct ckpt_inet_sk *rec)
{
	u32 flags = le32_to_cpu(rec->flags);
	struct linger l = { .l_onoff = 1, .l_linger = le32_to_cpu(rec->linger) };
	int ret = 0;

	if (flags & CKPT_INET_REUSEADDR)
		ret = ckpt_inet_set(sock, SOL_SOCKET, SO_REUSEADDR, 1);
	if (!ret && (flags & CKPT_INET_REUSEPORT))
		ret = ckpt_inet_set(sock, SOL_SOCKET, SO_REUSEPORT, 1);
	if (!ret && (flags & CKPT_INET_KEEPALIVE))
		ret = ckpt_inet_set(sock, SOL_SOCKET, SO_KEEPALIVE, 1);
	if (!ret && (flags & CKPT_INET_BROADCAST))
		ret = ckpt_inet_set(sock, SOL_SOCKET, SO_BROADCAST, 1);
	if (!ret && (flags & CKPT_INET_LINGER))
		ret = sock_setsockopt(sock, SOL_SOCKET, SO_LINGER, KERNEL_SOCKPTR(&l),
				      sizeof(l));
	if (!ret && rec->mark)
		ret = ckpt_inet_set(sock, SOL_SOCKET, SO_MARK, le32_to_cpu(rec->mark));
	if (!ret && (flags & CKPT_INET_SNDBUF_LOCK))
		ret = ckpt_inet_set_buf(sock, SO_SNDBUF, SO_SNDBUFFORCE, le32_to_cpu(rec->sndbuf));
	if (!ret && (flags & CKPT_INET_RCVBUF_LOCK))
		ret = ckpt_inet_set_buf(sock, SO_RCVBUF, SO_RCVBUFFORCE, le32_to_cpu(rec->rcvbuf));
	if (!ret && rec->dev[0]) {
		char dev[IFNAMSIZ];

		strscpy(dev, rec->dev, sizeof(dev));
		ret = sock_setsockopt(sock, SOL_SOCKET, SO_BINDTODEVICE,
				      KERNEL_SOCKPTR(dev), strlen(dev));
	}
	return ret;
}

/* The IP, IPv6 and TCP options */
static int ckpt_inet_set_proto_opts(struct socket *sock, const struct ckpt_inet_sk *rec)
{
	bool v6 = le32_to_cpu(rec->family) == AF_INET6;
	u32 flags = le32_to_cpu(rec->flags);
	int ret = 0;

	if (v6)
		ret = ckpt_inet_set(sock, SOL_IPV6, IPV6_V6ONLY, !!(flags & CKPT_INET_V6ONLY));
	if (!ret && rec->tos)
		ret = ckpt_inet_set(sock, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_TCLASS : IP_TOS,
				    le32_to_cpu(rec->tos));
	if (!ret && (s32)le32_to_cpu(rec->ttl) > 0)
		ret = ckpt_inet_set(sock, v6 ? SOL_IPV6 : SOL_IP,
				    v6 ? IPV6_UNICAST_HOPS : IP_TTL, le32_to_cpu(rec->ttl));
	if (!ret && (flags & CKPT_INET_FREEBIND))
		ret = ckpt_inet_set(sock, SOL_IP, IP_FREEBIND, 1);
	if (ret || le32_to_cpu(rec->protocol) != IPPROTO_TCP)
		return ret;
	if (flags & CKPT_INET_NODELAY)
		ret = ckpt_inet_set(sock, SOL_TCP, TCP_NODELAY, 1);
	if (!ret && (flags & CKPT_INET_CORK))
		ret = ckpt_inet_set(sock, SOL_TCP, TCP_CORK, 1);
	if (!ret && rec->keepidle)
		ret = ckpt_inet_set(sock, SOL_TCP, TCP_KEEPIDLE, le32_to_cpu(rec->keepidle));
	if (!ret && rec->keepintvl)
		ret = ckpt_inet_set(sock, SOL_TCP, TCP_KEEPINTVL, le32_to_cpu(rec->keepintvl));
	if (!ret && rec->keepcnt)
		ret = ckpt_inet_set(sock, SOL_TCP, TCP_KEEPCNT, le32_to_cpu(rec->keepcnt));
	return ret;
}

/* A struct sockaddr of the family for @addr and @port */
static int ckpt_inet_sockaddr(struct sockaddr_storage *ss, u32 family,
			      const u8 *addr, u16 port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, addr, 16);
		return sizeof(*sin6);
	}
	((struct sockaddr_in *)ss)->sin_family = AF_INET;
	((struct sockaddr_in *)ss)->sin_port = htons(port);
	memcpy(&((struct sockaddr_in *)ss)->sin_addr, addr, 4);
	return sizeof(struct sockaddr_in);
}

/*
 * A listener that takes a parked one's place drops what comes, as the
 * parked one did, until the restart is over (ckpt_inet_finish()): a
 * segment of one of its parked connections, closed and not restored yet,
 * would otherwise find the listener, which answers with a reset.
 */
static int ckpt_tcp_listen_plug(struct ckpt_ctx *ctx, struct sock *sk, u32 objref)
{
	struct sk_filter *fp;

	lock_sock(sk);
	fp = ckpt_sk_attach_drop(sk);
	release_sock(sk);
	if (IS_ERR(fp))
		return ckpt_err(ctx, PTR_ERR(fp), "socket %u: cannot plug the listener", objref);
	return 0;
}

/* A restored listener takes segments: the filter can only be ckpt_tcp_listen_plug()'s */
static void ckpt_tcp_listen_unplug(struct sock *sk)
{
	lock_sock(sk);
	if (rcu_access_pointer(sk->sk_filter))
		sk_detach_filter(sk);
	release_sock(sk);
}

/* Bind, listen or connect as the program did */
static int ckpt_inet_set_state(struct ckpt_ctx *ctx, struct socket *sock,
			       const struct ckpt_inet_sk *rec, u32 objref)
{
	u32 family = le32_to_cpu(rec->family), state = le32_to_cpu(rec->state);
	unsigned char reuse = sock->sk->sk_reuse;
	struct sockaddr_storage ss;
	bool unparked = false;
	int ret = 0, len;

	if (le32_to_cpu(rec->flags) & CKPT_INET_BOUND) {
		/*
		 * A listener the caller parked held this address until now;
		 * the connections it had accepted, parked too, still share its
		 * port until their own records take them back.  The listener
		 * binds over them, as it was bound with them.
		 */
		if (state == CKPT_INET_LISTEN)
			unparked = ckpt_tcp_unpark(sock_net(sock->sk), rec, true);
		if (unparked)
			sock->sk->sk_reuse = SK_FORCE_REUSE;
		len = ckpt_inet_sockaddr(&ss, family, rec->src, le16_to_cpu(rec->sport));
		ret = kernel_bind(sock, (struct sockaddr *)&ss, len);
		if (ret) {
			sock->sk->sk_reuse = reuse;
			return ckpt_err(ctx, ret, "socket %u: cannot bind to port %u", objref,
					le16_to_cpu(rec->sport));
		}
	}
	if (state == CKPT_INET_LISTEN) {
		/* listen() checks the port again */
		ret = kernel_listen(sock, le32_to_cpu(rec->backlog));
		sock->sk->sk_reuse = reuse;
		if (ret)
			return ckpt_err(ctx, ret, "socket %u cannot listen", objref);
		if (unparked)
			ret = ckpt_tcp_listen_plug(ctx, sock->sk, objref);
	}
	if (ret)
		return ret;
	if (state == CKPT_INET_CONNECTED) {
		len = ckpt_inet_sockaddr(&ss, family, rec->dst, le16_to_cpu(rec->dport));
		ret = kernel_connect(sock, (struct sockaddr *)&ss, len, 0);
		if (ret)
			return ckpt_err(ctx, ret, "socket %u cannot connect to port %u", objref,
					le16_to_cpu(rec->dport));
	}
	return 0;
}

static int ckpt_tcp_rec_check(struct ckpt_ctx *ctx, const struct ckpt_tcp_stream *t,
			      u32 len, u32 objref)
{
	u32 state = le32_to_cpu(t->state), mss = le32_to_cpu(t->mss_clamp);
	u64 total = sizeof(*t) + (u64)le32_to_cpu(t->inq_len) + le32_to_cpu(t->outq_len);

	/* The tail is zero-padded to 8 bytes */
	if (state >= 32 || !((1 << state) & CKPT_TCPF_STREAM) ||
	    (le32_to_cpu(t->flags) & ~CKPT_TCP_ALL) || len != ALIGN(total, 8) ||
	    memchr_inv((u8 *)t + total, 0, len - total) ||
	    le32_to_cpu(t->unsent_len) > le32_to_cpu(t->outq_len) ||
	    (state == TCP_FIN_WAIT2 && t->outq_len) || !mss || mss > U16_MAX ||
	    t->snd_wscale > TCP_MAX_WSCALE || t->rcv_wscale > TCP_MAX_WSCALE ||
	    t->__pad || t->__pad2 ||
	    le32_to_cpu(t->user_mss) > MAX_TCP_WINDOW || (s32)le32_to_cpu(t->user_timeout) < 0 ||
	    (s32)le32_to_cpu(t->snd_wnd) < 0 || (s32)le32_to_cpu(t->rcv_wnd) < 0 ||
	    le32_to_cpu(t->max_window) < le32_to_cpu(t->snd_wnd))
		return ckpt_err(ctx, -EINVAL, "TCP_STREAM of socket %u is invalid", objref);
	return 0;
}

/* setsockopt(2) of TCP_REPAIR_QUEUE, then of TCP_QUEUE_SEQ */
static int ckpt_tcp_queue_seq(struct socket *sock, int queue, u32 seq)
{
	return ckpt_inet_set(sock, SOL_TCP, TCP_REPAIR_QUEUE, queue) ?:
	       ckpt_inet_set(sock, SOL_TCP, TCP_QUEUE_SEQ, seq);
}

/*
 * Bind and connect in repair mode: no SYN, the connection is established
 * at once with the sequence numbers set before.  The buffer sizes are the
 * saved ones (set before connect(), which sizes the window with them).
 */
static int ckpt_tcp_connect(struct ckpt_ctx *ctx, struct socket *sock,
			    const struct ckpt_inet_sk *rec, const struct ckpt_tcp_stream *t,
			    u32 objref)
{
	u32 state = le32_to_cpu(t->state), flags = le32_to_cpu(rec->flags);
	u32 fin_in = !!((1 << state) & CKPT_TCPF_FIN_IN);
	struct sockaddr_storage ss;
	struct sock *sk = sock->sk;
	int ret, len;

	if (!(flags & CKPT_INET_SNDBUF_LOCK))
		WRITE_ONCE(sk->sk_sndbuf, max_t(int, le32_to_cpu(rec->sndbuf), SOCK_MIN_SNDBUF));
	if (!(flags & CKPT_INET_RCVBUF_LOCK))
		WRITE_ONCE(sk->sk_rcvbuf, max_t(int, le32_to_cpu(rec->rcvbuf), SOCK_MIN_RCVBUF));
	ckpt_tcp_unpark(sock_net(sk), rec, false);
	len = ckpt_inet_sockaddr(&ss, le32_to_cpu(rec->family), rec->src, le16_to_cpu(rec->sport));
	ret = kernel_bind(sock, (struct sockaddr *)&ss, len);
	if (ret)
		return ckpt_err(ctx, ret, "socket %u: cannot bind to port %u", objref,
				le16_to_cpu(rec->sport));
	/* In FIN_WAIT2, the FIN goes again: snd_una counts it */
	ret = (t->user_mss ? ckpt_inet_set(sock, SOL_TCP, TCP_MAXSEG,
					   le32_to_cpu(t->user_mss)) : 0) ?:
	      ckpt_tcp_queue_seq(sock, TCP_SEND_QUEUE,
				 le32_to_cpu(t->snd_una) - (state == TCP_FIN_WAIT2)) ?:
	      ckpt_tcp_queue_seq(sock, TCP_RECV_QUEUE, le32_to_cpu(t->rcv_nxt) - fin_in -
				 le32_to_cpu(t->inq_len));
	if (ret)
		return ckpt_err(ctx, ret, "socket %u: cannot set its sequence numbers", objref);
	len = ckpt_inet_sockaddr(&ss, le32_to_cpu(rec->family), rec->dst, le16_to_cpu(rec->dport));
	ret = kernel_connect(sock, (struct sockaddr *)&ss, len, 0);
	if (ret)
		return ckpt_err(ctx, ret, "socket %u cannot connect to port %u", objref,
				le16_to_cpu(rec->dport));
	/* TCP_REPAIR made the port reusable: as the program left it */
	sk->sk_reuse = flags & CKPT_INET_REUSEADDR ? SK_CAN_REUSE : SK_NO_REUSE;
	return 0;
}

/* The options the two ends agreed on, the timestamp clock, TCP_USER_TIMEOUT */
static int ckpt_tcp_set_opts(struct socket *sock, const struct ckpt_tcp_stream *t)
{
	u32 flags = le32_to_cpu(t->flags);
	struct tcp_repair_opt opts[4] = {
		{ TCPOPT_MSS, le32_to_cpu(t->mss_clamp) },
	};
	int n = 1, ret;

	if (flags & CKPT_TCP_WSCALE)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_WINDOW,
						     t->snd_wscale | (t->rcv_wscale << 16) };
	if (flags & CKPT_TCP_SACK)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERM, 0 };
	if (flags & CKPT_TCP_TSTAMP)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	ret = sock->ops->setsockopt(sock, SOL_TCP, TCP_REPAIR_OPTIONS, KERNEL_SOCKPTR(opts),
				    n * sizeof(opts[0]));
	if (!ret && (flags & CKPT_TCP_TSTAMP))
		ret = ckpt_inet_set(sock, SOL_TCP, TCP_TIMESTAMP, le32_to_cpu(t->timestamp));
	if (!ret && t->user_timeout)
		ret = ckpt_inet_set(sock, SOL_TCP, TCP_USER_TIMEOUT, le32_to_cpu(t->user_timeout));
	return ret;
}

/* Queue @len bytes on the repair queue @queue: they are not sent */
static int ckpt_tcp_fill(struct socket *sock, int queue, const u8 *buf, u32 len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov;
	int ret = ckpt_inet_set(sock, SOL_TCP, TCP_REPAIR_QUEUE, queue);

	while (!ret && len) {
		iov.iov_base = (void *)buf;
		iov.iov_len = len;
		ret = kernel_sendmsg(sock, &msg, &iov, 1, len);
		if (ret <= 0)
			return ret ?: -ENOBUFS;
		buf += ret;
		len -= ret;
		ret = 0;
	}
	return ret;
}

/*
 * Both queues, in buffers made large enough for them (their overhead may
 * not be what it was); the whole send queue counts as sent, and what was
 * not goes at the first retransmission.
 */
static int ckpt_tcp_fill_queues(struct socket *sock, const struct ckpt_tcp_stream *t,
				const u8 *data)
{
	u32 inq = le32_to_cpu(t->inq_len), outq = le32_to_cpu(t->outq_len);
	int sndbuf = READ_ONCE(sock->sk->sk_sndbuf), rcvbuf = READ_ONCE(sock->sk->sk_rcvbuf);
	int ret;

	WRITE_ONCE(sock->sk->sk_sndbuf, max_t(int, sndbuf, 2 * outq + SOCK_MIN_SNDBUF));
	WRITE_ONCE(sock->sk->sk_rcvbuf, max_t(int, rcvbuf, 2 * inq + SOCK_MIN_RCVBUF));
	ret = ckpt_tcp_fill(sock, TCP_SEND_QUEUE, data + inq, outq) ?:
	      ckpt_tcp_fill(sock, TCP_RECV_QUEUE, data, inq);
	WRITE_ONCE(sock->sk->sk_sndbuf, sndbuf);
	WRITE_ONCE(sock->sk->sk_rcvbuf, rcvbuf);
	return ret;
}

/* The peer's FIN was received: rcv_nxt counts it */
static void ckpt_tcp_fin_in(struct sock *sk)
{
	lock_sock(sk);
	WRITE_ONCE(tcp_sk(sk)->rcv_nxt, tcp_sk(sk)->rcv_nxt + 1);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);
	tcp_set_state(sk, sk->sk_state == TCP_ESTABLISHED ? TCP_CLOSE_WAIT : TCP_CLOSING);
	release_sock(sk);
}

/*
 * From ESTABLISHED to the saved state: our FIN is queued after the send
 * queue and counts as sent (TCP_SEND_QUEUE is selected), as shutdown(2)
 * would; the peer's is taken as received.  In FIN_WAIT2, the peer
 * acknowledges the FIN again.
 */
static int ckpt_tcp_set_fins(struct socket *sock, u32 state)
{
	int now = state == TCP_FIN_WAIT2 ? TCP_FIN_WAIT1 : state;
	int ret = ckpt_inet_set(sock, SOL_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);

	if (!ret && (state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK))
		ckpt_tcp_fin_in(sock->sk);
	if (!ret && state != TCP_ESTABLISHED && state != TCP_CLOSE_WAIT)
		ret = kernel_sock_shutdown(sock, SHUT_WR);
	if (!ret && state == TCP_CLOSING)
		ckpt_tcp_fin_in(sock->sk);
	if (!ret && READ_ONCE(sock->sk->sk_state) != now)
		ret = -EPROTO;
	return ret;
}

/* The connection's state, in repair mode, connected */
static int ckpt_tcp_set_stream(struct socket *sock, const struct ckpt_tcp_stream *t)
{
	struct tcp_repair_window w = {
		.snd_wl1 = le32_to_cpu(t->snd_wl1),
		.snd_wnd = le32_to_cpu(t->snd_wnd),
		.max_window = le32_to_cpu(t->max_window),
		.rcv_wnd = le32_to_cpu(t->rcv_wnd),
		.rcv_wup = le32_to_cpu(t->rcv_wup),
	};

	return ckpt_tcp_set_opts(sock, t) ?:
	       ckpt_tcp_fill_queues(sock, t, (const u8 *)(t + 1)) ?:
	       ckpt_tcp_set_fins(sock, le32_to_cpu(t->state)) ?:
	       sock->ops->setsockopt(sock, SOL_TCP, TCP_REPAIR_WINDOW, KERNEL_SOCKPTR(&w),
				     sizeof(w));
}

/*
 * A TCP connection, left in repair mode until every task is restored
 * (ckpt_inet_finish()).  TCP_REPAIR checks that the caller has
 * CAP_NET_ADMIN over the socket's network namespace.
 */
static int ckpt_tcp_restore(struct ckpt_ctx *ctx, struct socket *sock,
			    const struct ckpt_inet_sk *rec, u32 objref)
{
	struct ckpt_tcp_stream *t;
	u32 len;
	int ret;

	t = ckpt_read_rec_var(ctx, CKPT_REC_TCP_STREAM, sizeof(*t), &len);
	if (IS_ERR(t))
		return PTR_ERR(t);
	ret = ckpt_tcp_rec_check(ctx, t, len, objref);
	if (!ret) {
		ret = ckpt_inet_set(sock, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON);
		if (ret)
			ckpt_err(ctx, ret,
				 "socket %u: restoring a TCP connection needs CAP_NET_ADMIN over its network namespace",
				 objref);
	}
	if (!ret)
		ret = ckpt_tcp_connect(ctx, sock, rec, t, objref);
	if (!ret) {
		ret = ckpt_tcp_set_stream(sock, t);
		if (ret)
			ckpt_err(ctx, ret, "socket %u: cannot restore its TCP connection", objref);
	}
	kvfree(t);
	return ret;
}

/* The datagram of @d as it came in: its IP and UDP headers before the data */
static struct sk_buff *ckpt_udp_skb(const struct ckpt_udp_dgram *d, const void *data)
{
	bool v6 = le32_to_cpu(d->family) == AF_INET6;
	int nh = v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	u32 len = le32_to_cpu(d->len);
	struct sk_buff *skb;
	struct udphdr *uh;

	skb = alloc_skb(MAX_HEADER + nh + sizeof(*uh) + len, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, MAX_HEADER + nh + sizeof(*uh));
	skb_put_data(skb, data, len);
	uh = skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = htons(le16_to_cpu(d->sport));
	uh->dest = htons(le16_to_cpu(d->dport));
	uh->len = htons(len + sizeof(*uh));
	uh->check = 0;
	memset(skb_push(skb, nh), 0, nh);
	skb_reset_network_header(skb);
	if (v6) {
		ipv6_hdr(skb)->version = 6;
		ipv6_hdr(skb)->nexthdr = IPPROTO_UDP;
		ipv6_hdr(skb)->payload_len = uh->len;
		ipv6_hdr(skb)->hop_limit = 64;
		memcpy(&ipv6_hdr(skb)->saddr, d->saddr, 16);
		memcpy(&ipv6_hdr(skb)->daddr, d->daddr, 16);
		skb->protocol = htons(ETH_P_IPV6);
	} else {
		ip_hdr(skb)->version = 4;
		ip_hdr(skb)->ihl = 5;
		ip_hdr(skb)->ttl = 64;
		ip_hdr(skb)->protocol = IPPROTO_UDP;
		ip_hdr(skb)->tot_len = htons(nh + sizeof(*uh) + len);
		memcpy(&ip_hdr(skb)->saddr, d->saddr, 4);
		memcpy(&ip_hdr(skb)->daddr, d->daddr, 4);
		skb->protocol = htons(ETH_P_IP);
	}
	__skb_pull(skb, nh + sizeof(*uh));
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->pkt_type = PACKET_HOST;
	return skb;
}

/* A datagram queued on @sock, as received (rcvbuf raised by the caller) */
static int ckpt_udp_restore_dgram(struct ckpt_ctx *ctx, struct socket *sock, u32 objref)
{
	u32 len, family, dlen, alen;
	struct ckpt_udp_dgram *d;
	struct sk_buff *skb;
	int ret = -EINVAL;

	d = ckpt_read_rec_var(ctx, CKPT_REC_UDP_DGRAM, sizeof(*d), &len);
	if (IS_ERR(d))
		return PTR_ERR(d);
	family = le32_to_cpu(d->family);
	dlen = le32_to_cpu(d->len);
	alen = family == AF_INET ? 4 : 16;
	if ((family != AF_INET && (family != AF_INET6 || sock->sk->sk_family != AF_INET6)) ||
	    dlen > CKPT_UDP_DGRAM_MAX || len != ALIGN(sizeof(*d) + dlen, 8) || d->__pad ||
	    memchr_inv((u8 *)(d + 1) + dlen, 0, len - sizeof(*d) - dlen) ||
	    memchr_inv(d->saddr + alen, 0, 16 - alen) ||
	    memchr_inv(d->daddr + alen, 0, 16 - alen)) {
		kvfree(d);
		return ckpt_err(ctx, ret, "UDP_DGRAM of socket %u is invalid", objref);
	}
	skb = ckpt_udp_skb(d, d + 1);
	kvfree(d);
	ret = -ENOMEM;
	if (skb) {
		/* As in the receive path: the queue's lock is also taken in softirqs */
		local_bh_disable();
		ret = __udp_enqueue_schedule_skb(sock->sk, skb);
		local_bh_enable();
	}
	if (ret) {
		kfree_skb(skb);
		return ckpt_err(ctx, ret, "socket %u: cannot queue a datagram", objref);
	}
	return 0;
}

/* The datagrams of @rec, in a receive buffer made large enough for them */
static int ckpt_udp_restore_queue(struct ckpt_ctx *ctx, struct socket *sock,
				  const struct ckpt_inet_sk *rec, u32 objref)
{
	int rcvbuf = READ_ONCE(sock->sk->sk_rcvbuf), ret = 0;
	u32 i;

	WRITE_ONCE(sock->sk->sk_rcvbuf, INT_MAX);
	for (i = 0; !ret && i < le32_to_cpu(rec->nr_queued); i++)
		ret = ckpt_udp_restore_dgram(ctx, sock, objref);
	WRITE_ONCE(sock->sk->sk_rcvbuf, rcvbuf);
	return ret;
}

/*
 * Give the connection of @sock, restored in repair mode, to the accept
 * queue of @listener, as the end of a handshake gives it (see
 * inet_csk_complete_hashdance()): a socket with no struct socket, and
 * the request that accept(2) takes it from.
 */
static int ckpt_tcp_enqueue(struct sock *listener, struct socket *sock)
{
	const struct request_sock_ops *ops = &tcp_request_sock_ops;
	struct sock *child = sock->sk;
	struct request_sock *req;

#if IS_ENABLED(CONFIG_IPV6)
	if (listener->sk_family == AF_INET6)
		ops = &tcp6_request_sock_ops;
#endif
	req = inet_reqsk_alloc(ops, listener, true);
	if (!req)
		return -ENOMEM;
	tcp_rsk(req)->tfo_listener = false;
	refcount_set(&req->rsk_refcnt, 1);
	lock_sock(child);
#ifdef CONFIG_MEMCG
	/* accept(2) charges it to its caller's memory cgroup */
	if (mem_cgroup_sockets_enabled && child->sk_memcg) {
		mem_cgroup_uncharge_skmem(child->sk_memcg,
					  sk_mem_pages(child->sk_forward_alloc +
						       atomic_read(&child->sk_rmem_alloc)));
		mem_cgroup_sk_free(child);
		child->sk_memcg = NULL;
	}
#endif
	sk_set_socket(child, NULL);
	RCU_INIT_POINTER(child->sk_wq, NULL);
	sock->sk = NULL;
	release_sock(child);
	sock_release(sock);
	/* As in the receive path: its lock is also taken in softirqs */
	local_bh_disable();
	child = inet_csk_reqsk_queue_add(listener, req, child);
	local_bh_enable();
	if (!child) {
		reqsk_put(req);
		return -EINVAL;
	}
	return 0;
}

/* A connection the listener @lsock, restored, had not accepted */
static int ckpt_tcp_restore_pending(struct ckpt_ctx *ctx, struct socket *lsock,
				    const struct ckpt_inet_sk *lrec, u32 objref)
{
	struct ckpt_inet_sk rec;
	struct socket *sock;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_INET_SK, &rec, sizeof(rec)) ?:
	      ckpt_inet_rec_check(ctx, &rec, objref);
	if (ret)
		return ret;
	if (le32_to_cpu(rec.state) != CKPT_INET_STREAM || rec.family != lrec->family)
		return ckpt_err(ctx, -EINVAL,
				"INET_SK of a connection socket %u had not accepted is invalid",
				objref);
	ret = sock_create(le32_to_cpu(rec.family), SOCK_STREAM, IPPROTO_TCP, &sock);
	if (ret)
		return ckpt_err(ctx, ret, "cannot create a connection of socket %u", objref);
	ret = ckpt_inet_set_sock_opts(sock, &rec) ?: ckpt_inet_set_proto_opts(sock, &rec) ?:
	      ckpt_tcp_restore(ctx, sock, &rec, objref);
	if (!ret) {
		ret = ckpt_tcp_enqueue(lsock->sk, sock);
		if (ret)
			ckpt_err(ctx, ret, "socket %u: cannot queue a connection to accept",
				 objref);
		return ret;
	}
	sock_release(sock);
	return ret;
}

static struct file *ckpt_inet_restart(struct ckpt_ctx *ctx, const struct ckpt_file *frec,
				      const char *path)
{
	u32 objref = le32_to_cpu(frec->objref), i;
	struct ckpt_inet_sk rec;
	struct socket *sock;
	struct file *file;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_INET_SK, &rec, sizeof(rec)) ?:
	      ckpt_inet_rec_check(ctx, &rec, objref);
	if (ret)
		return ERR_PTR(ret);
	ret = sock_create(le32_to_cpu(rec.family), le32_to_cpu(rec.type),
			  le32_to_cpu(rec.protocol), &sock);
	if (ret)
		return ERR_PTR(ckpt_err(ctx, ret, "cannot create socket %u", objref));
	file = sock_alloc_file(sock, le32_to_cpu(frec->f_flags) & O_NONBLOCK, NULL);
	if (IS_ERR(file))
		return file;
	ret = ckpt_inet_set_sock_opts(sock, &rec) ?: ckpt_inet_set_proto_opts(sock, &rec);
	if (ret)
		ckpt_err(ctx, ret, "socket %u: cannot set its options", objref);
	else if (le32_to_cpu(rec.state) == CKPT_INET_STREAM)
		ret = ckpt_tcp_restore(ctx, sock, &rec, objref);
	else
		ret = ckpt_inet_set_state(ctx, sock, &rec, objref);
	if (!ret && le32_to_cpu(rec.protocol) == IPPROTO_UDP)
		ret = ckpt_udp_restore_queue(ctx, sock, &rec, objref);
	else
		for (i = 0; !ret && i < le32_to_cpu(rec.nr_queued); i++)
			ret = ckpt_tcp_restore_pending(ctx, sock, &rec, objref);
	if (ret) {
		fput(file);
		return ERR_PTR(ret);
	}
	return file;
}

/*
 * Every task is restored: the connections leave repair mode, as
 * setsockopt(TCP_REPAIR, TCP_REPAIR_OFF) does but for SO_REUSEADDR, kept;
 * an established one sends a window probe, whose answer gets the data
 * flowing again.
 */
static void ckpt_tcp_repair_off(struct sock *sk)
{
	lock_sock(sk);
	if (tcp_sk(sk)->repair) {
		tcp_sk(sk)->repair = 0;
		tcp_sk(sk)->repair_queue = TCP_NO_QUEUE;
		tcp_send_window_probe(sk);
		/*
		 * The send queue counts as sent: what the peer lacks goes at
		 * the retransmission timeout, made the shortest rather than the
		 * initial one (1 or 3 s).  Sending the unsent part afresh instead
		 * would not do: it may have been sent after the connection was
		 * saved, and the peer's acknowledgment of data "not sent yet"
		 * would be ignored, its window with it.
		 */
		if (tcp_sk(sk)->packets_out)
			inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS, TCP_RTO_MIN,
						  TCP_RTO_MAX);
	}
	release_sock(sk);
}

/* The connections in the accept queue of @sk, each held in turn */
static void ckpt_tcp_pending_repair_off(struct sock *sk)
{
	struct request_sock_queue *queue = &inet_csk(sk)->icsk_accept_queue;
	struct request_sock *req;
	struct sock *child;
	unsigned int i, n;

	for (i = 0; ; i++) {
		spin_lock_bh(&queue->rskq_lock);
		for (req = queue->rskq_accept_head, n = 0; req && n < i; n++)
			req = req->dl_next;
		child = req ? req->sk : NULL;
		if (child)
			sock_hold(child);
		spin_unlock_bh(&queue->rskq_lock);
		if (!child)
			return;
		ckpt_tcp_repair_off(child);
		sock_put(child);
	}
}

static int ckpt_inet_finish(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	struct sock *sk = ckpt_inet_sk_of(file);

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN) {
		ckpt_tcp_pending_repair_off(sk);
		ckpt_tcp_listen_unplug(sk);
	} else {
		ckpt_tcp_repair_off(sk);
	}
	return 0;
}

CKPT_FILE_OPS(INET) = {
	.follows = CKPT_REC_INET_SK,
	.f_flags = CKPT_INET_FILE_FLAGS,
	.match = ckpt_inet_match,
	.checkpoint = ckpt_inet_checkpoint,
	.restart = ckpt_inet_restart,
	.check = ckpt_inet_check,
	.finish = ckpt_inet_finish,
	.thaw = ckpt_inet_thaw,
};

/* ---- netlink ---- */

static const struct {
	int bit;		/* NETLINK_F_* */
	u32 flag;		/* CKPT_NETLINK_* */
	int opt;		/* NETLINK_* option of SOL_NETLINK */
} ckpt_netlink_opts[] = {
	{ NETLINK_F_RECV_PKTINFO, CKPT_NETLINK_PKTINFO, NETLINK_PKTINFO },
	{ NETLINK_F_BROADCAST_SEND_ERROR, CKPT_NETLINK_BROADCAST_ERROR, NETLINK_BROADCAST_ERROR },
	{ NETLINK_F_RECV_NO_ENOBUFS, CKPT_NETLINK_NO_ENOBUFS, NETLINK_NO_ENOBUFS },
	{ NETLINK_F_LISTEN_ALL_NSID, CKPT_NETLINK_LISTEN_ALL_NSID, NETLINK_LISTEN_ALL_NSID },
	{ NETLINK_F_CAP_ACK, CKPT_NETLINK_CAP_ACK, NETLINK_CAP_ACK },
	{ NETLINK_F_EXT_ACK, CKPT_NETLINK_EXT_ACK, NETLINK_EXT_ACK },
	{ NETLINK_F_STRICT_CHK, CKPT_NETLINK_GET_STRICT_CHK, NETLINK_GET_STRICT_CHK },
};

static struct sock *ckpt_netlink_sk_of(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	return sock && sock->sk && sock->sk->sk_family == AF_NETLINK ? sock->sk : NULL;
}

static bool ckpt_netlink_match(struct ckpt_ctx *ctx, struct file *file)
{
	return ckpt_netlink_sk_of(file) && ckpt_file_flags_ok(file, CKPT_INET_FILE_FLAGS);
}

/* The record and the group words, of @sk locked */
static void ckpt_netlink_rec(struct sock *sk, struct ckpt_netlink_sk *rec, __le64 *groups)
{
	struct netlink_sock *nlk = nlk_sk(sk);
	u32 flags = 0, i, ngroups = min_t(u32, nlk->ngroups, CKPT_NETLINK_GROUPS_MAX);

	for (i = 0; i < ARRAY_SIZE(ckpt_netlink_opts); i++)
		if (test_bit(ckpt_netlink_opts[i].bit, &nlk->flags))
			flags |= ckpt_netlink_opts[i].flag;
	if (READ_ONCE(nlk->bound))
		flags |= CKPT_NETLINK_BOUND;
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		flags |= CKPT_NETLINK_SNDBUF_LOCK;
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		flags |= CKPT_NETLINK_RCVBUF_LOCK;
	rec->protocol = cpu_to_le32(sk->sk_protocol);
	rec->type = cpu_to_le32(sk->sk_type);
	rec->flags = cpu_to_le32(flags);
	rec->portid = cpu_to_le32(flags & CKPT_NETLINK_BOUND ? READ_ONCE(nlk->portid) : 0);
	rec->dst_portid = cpu_to_le32(READ_ONCE(nlk->dst_portid));
	rec->dst_group = cpu_to_le32(READ_ONCE(nlk->dst_group));
	rec->sndbuf = cpu_to_le32(READ_ONCE(sk->sk_sndbuf));
	rec->rcvbuf = cpu_to_le32(READ_ONCE(sk->sk_rcvbuf));
	rec->dropped = cpu_to_le32(skb_queue_len(&sk->sk_receive_queue));
	ngroups = nlk->groups ? round_up(ngroups, 64) : 0;
	rec->nr_groups = cpu_to_le32(ngroups);
	for (i = 0; i < ngroups; i++)
		if (test_bit(i, nlk->groups))
			groups[i / 64] |= cpu_to_le64(BIT_ULL(i % 64));
}

static int ckpt_netlink_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	struct sock *sk = ckpt_netlink_sk_of(file);
	__le64 groups[CKPT_NETLINK_GROUPS_MAX / 64] = {};
	struct ckpt_netlink_sk rec = {};
	const char *what = NULL;

	netlink_table_grab();
	if (nlk_sk(sk)->cb_running)
		what = "a dump in progress";
	else if (nlk_sk(sk)->ngroups > CKPT_NETLINK_GROUPS_MAX)
		what = "more multicast groups than an image holds";
	else if (ctx->nsproxy && sock_net(sk) != ctx->nsproxy->net_ns)
		what = "another network namespace than the tasks'";
	else
		ckpt_netlink_rec(sk, &rec, groups);
	netlink_table_ungrab();
	if (what)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"netlink socket (protocol %u, file %u): %s cannot be saved yet",
				sk->sk_protocol, objref, what);
	if (rec.dropped)
		ckpt_log(ctx, "netlink socket (file %u): %u queued messages are not kept",
			 objref, le32_to_cpu(rec.dropped));
	return ckpt_write_file_nopath(ctx, file, objref, CKPT_FILE_NETLINK) ?:
	       ckpt_write_rec_var(ctx, CKPT_REC_NETLINK_SK, &rec, sizeof(rec), groups,
				  le32_to_cpu(rec.nr_groups) / 8);
}

/* Options, bind with the port id and the first 32 groups, the others, connect */
static int ckpt_netlink_set(struct socket *sock, const struct ckpt_netlink_sk *rec,
			    const __le64 *groups)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	u32 flags = le32_to_cpu(rec->flags), i, nr = le32_to_cpu(rec->nr_groups);
	int ret = 0;

	for (i = 0; !ret && i < ARRAY_SIZE(ckpt_netlink_opts); i++)
		if (flags & ckpt_netlink_opts[i].flag)
			ret = ckpt_inet_set(sock, SOL_NETLINK, ckpt_netlink_opts[i].opt, 1);
	if (!ret && (flags & CKPT_NETLINK_SNDBUF_LOCK))
		ret = ckpt_inet_set_buf(sock, SO_SNDBUF, SO_SNDBUFFORCE, le32_to_cpu(rec->sndbuf));
	if (!ret && (flags & CKPT_NETLINK_RCVBUF_LOCK))
		ret = ckpt_inet_set_buf(sock, SO_RCVBUF, SO_RCVBUFFORCE, le32_to_cpu(rec->rcvbuf));
	if (!ret && (flags & CKPT_NETLINK_BOUND)) {
		nl.nl_pid = le32_to_cpu(rec->portid);
		nl.nl_groups = nr ? (u32)le64_to_cpu(groups[0]) : 0;
		ret = kernel_bind(sock, (struct sockaddr *)&nl, sizeof(nl));
	}
	for (i = 32; !ret && i < nr; i++)
		if (le64_to_cpu(groups[i / 64]) & BIT_ULL(i % 64))
			ret = ckpt_inet_set(sock, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, i + 1);
	if (!ret && (rec->dst_portid || rec->dst_group)) {
		nl.nl_pid = le32_to_cpu(rec->dst_portid);
		nl.nl_groups = le32_to_cpu(rec->dst_group) ?
			       BIT(le32_to_cpu(rec->dst_group) - 1) : 0;
		ret = kernel_connect(sock, (struct sockaddr *)&nl, sizeof(nl), 0);
	}
	return ret;
}

static struct file *ckpt_netlink_restart(struct ckpt_ctx *ctx, const struct ckpt_file *frec,
					 const char *path)
{
	u32 objref = le32_to_cpu(frec->objref), len, nr;
	struct ckpt_netlink_sk *rec;
	struct socket *sock;
	struct file *file;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_NETLINK_SK, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return ERR_CAST(rec);
	nr = le32_to_cpu(rec->nr_groups);
	ret = -EINVAL;
	if ((le32_to_cpu(rec->type) != SOCK_RAW && le32_to_cpu(rec->type) != SOCK_DGRAM) ||
	    le32_to_cpu(rec->protocol) >= MAX_LINKS || nr % 64 || nr > CKPT_NETLINK_GROUPS_MAX ||
	    len != sizeof(*rec) + nr / 8 || (le32_to_cpu(rec->flags) & ~CKPT_NETLINK_ALL) ||
	    le32_to_cpu(rec->dst_group) > 32 || (s32)le32_to_cpu(rec->sndbuf) < 0 ||
	    (s32)le32_to_cpu(rec->rcvbuf) < 0)
		ckpt_err(ctx, ret, "NETLINK_SK of socket %u is invalid", objref);
	else
		ret = sock_create(AF_NETLINK, le32_to_cpu(rec->type),
				  le32_to_cpu(rec->protocol), &sock);
	if (ret) {
		kvfree(rec);
		return ERR_PTR(ret == -EINVAL ? ret :
			       ckpt_err(ctx, ret, "cannot create netlink socket %u", objref));
	}
	file = sock_alloc_file(sock, le32_to_cpu(frec->f_flags) & O_NONBLOCK, NULL);
	if (!IS_ERR(file)) {
		ret = ckpt_netlink_set(sock, rec, (const __le64 *)(rec + 1));
		if (ret) {
			ckpt_err(ctx, ret, "netlink socket %u: cannot bind or set it up", objref);
			fput(file);
			file = ERR_PTR(ret);
		}
	}
	kvfree(rec);
	return file;
}

CKPT_FILE_OPS(NETLINK) = {
	.follows = CKPT_REC_NETLINK_SK,
	.f_flags = CKPT_INET_FILE_FLAGS,
	.match = ckpt_netlink_match,
	.checkpoint = ckpt_netlink_checkpoint,
	.restart = ckpt_netlink_restart,
};
