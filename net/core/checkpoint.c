// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of the tasks' own network namespace: its devices,
 * their addresses, its routes and the sysctls sockets depend on (the
 * namespace kind "network", struct ckpt_ns_ops).
 *
 * Checkpoint reads the namespace under the RTNL: the loopback's state, the
 * veth devices with their peers (in the namespace, or outside it: the
 * container's end of a pair whose other end is on the host's bridge), the
 * IPv4 and IPv6 addresses, and the sysctls of ckpt_net_sysctls[].  The
 * routes are read as `ip route show table all` does, with a route dump on
 * a kernel netlink socket, and those the kernel made for an address or a
 * device are left out.  Any other device, policy routing rules, routes
 * with several next hops or an encapsulation, and netfilter hooks (rules
 * of nftables or iptables, connection tracking) are refused by name.
 *
 * Restart does what `ip link add`, `ip address add` and `ip route add`
 * would do, in the new namespace: it sends the same rtnetlink requests on
 * a netlink socket opened with the credentials of the task creating the
 * namespace, so that rtnetlink checks and applies each as it would the
 * caller's own.  The peer of a veth device that was outside is then moved
 * to the caller's namespace, which needs CAP_NET_ADMIN over it, as
 * `ip link set dev X netns` would.
 *
 * When CHECKPOINT_KILL kills the tasks, their devices are taken down
 * first (ckpt_netns_park()), so that between the kill and the restart the
 * namespace neither answers nor sends anything: a peer outside sees a
 * silent link, not a reset, and its retransmissions reach the restored
 * connections.
 */
#include <linux/checkpoint.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/nsproxy.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/veth.h>
#include <net/addrconf.h>
#include <net/if_inet6.h>
#include <net/ip_fib.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/rtnetlink.h>
#include <net/sock.h>

#include "dev.h"

/* The room for one rtnetlink answer: a dump fills at most 32 KiB */
#define CKPT_RTNL_BUF		SZ_32K

/* What a checkpoint collected of the namespace, written after the RTNL */
struct ckpt_netns_save {
	struct ckpt_netns rec;
	struct ckpt_net_sysctl sysctls[CKPT_NET_SYSCTL_NR];
	struct ckpt_netdev *devs;
	struct ckpt_net_addr *addrs;
	struct ckpt_net_route *routes;
	u32 nr_devs, nr_addrs, nr_routes;
	char why[128];		/* a refusal, logged once the RTNL is dropped */
};

/* What restart read, for the root to build in its new namespace */
struct ckpt_netns_load {
	struct ckpt_netns rec;
	struct ckpt_net_sysctl sysctls[CKPT_NET_SYSCTL_NR];
	struct ckpt_netdev *devs;
	struct ckpt_net_addr *addrs;
	struct ckpt_net_route *routes;
	u32 *new_ifindex;	/* the index each NETDEV got */
	struct net *caller_net;	/* where the outer peers go */
};

/* A netlink socket speaking to rtnetlink */
struct ckpt_rtnl {
	struct socket *sock;
	struct file *file;	/* restart: the socket is the creator's */
	void *buf;
	u32 seq;
};

/* ---- the sysctls ---- */

/**
 * struct ckpt_net_sysctl_def - a per-namespace sysctl saved with the namespace
 * @name: its name under /proc/sys/net
 * @off: offset of its value in struct net
 * @size: 1 (u8), 4 (int or u32)
 * @jiffies: kept in jiffies, saved in seconds
 * @min: smallest value restart accepts
 * @max: largest value restart accepts
 */
struct ckpt_net_sysctl_def {
	const char *name;
	size_t off;
	u8 size;
	bool jiffies;
	u32 min, max;
};

#define CKPT_NET_SYSCTL(id, n, field, j, lo, hi)				\
	[CKPT_NET_SYSCTL_##id] = { .name = n, .off = offsetof(struct net, field),	\
				   .size = sizeof_field(struct net, field),		\
				   .jiffies = j, .min = lo, .max = hi }

static const struct ckpt_net_sysctl_def ckpt_net_sysctls[CKPT_NET_SYSCTL_NR] = {
	CKPT_NET_SYSCTL(SOMAXCONN, "core.somaxconn", core.sysctl_somaxconn, false, 0, INT_MAX),
	CKPT_NET_SYSCTL(IP_LOCAL_PORT_RANGE, "ipv4.ip_local_port_range",
			ipv4.ip_local_ports.range, false, 0, U32_MAX),
	CKPT_NET_SYSCTL(IP_UNPRIV_PORT_START, "ipv4.ip_unprivileged_port_start",
			ipv4.sysctl_ip_prot_sock, false, 0, 65535),
	CKPT_NET_SYSCTL(IP_DEFAULT_TTL, "ipv4.ip_default_ttl",
			ipv4.sysctl_ip_default_ttl, false, 1, 255),
	CKPT_NET_SYSCTL(TCP_KEEPALIVE_TIME, "ipv4.tcp_keepalive_time",
			ipv4.sysctl_tcp_keepalive_time, true, 1, INT_MAX / HZ),
	CKPT_NET_SYSCTL(TCP_KEEPALIVE_INTVL, "ipv4.tcp_keepalive_intvl",
			ipv4.sysctl_tcp_keepalive_intvl, true, 1, INT_MAX / HZ),
	CKPT_NET_SYSCTL(TCP_KEEPALIVE_PROBES, "ipv4.tcp_keepalive_probes",
			ipv4.sysctl_tcp_keepalive_probes, false, 0, 255),
	CKPT_NET_SYSCTL(TCP_FIN_TIMEOUT, "ipv4.tcp_fin_timeout",
			ipv4.sysctl_tcp_fin_timeout, true, 1, INT_MAX / HZ),
	CKPT_NET_SYSCTL(TCP_SYNCOOKIES, "ipv4.tcp_syncookies",
			ipv4.sysctl_tcp_syncookies, false, 0, 2),
	CKPT_NET_SYSCTL(TCP_TIMESTAMPS, "ipv4.tcp_timestamps",
			ipv4.sysctl_tcp_timestamps, false, 0, 2),
	CKPT_NET_SYSCTL(TCP_SACK, "ipv4.tcp_sack", ipv4.sysctl_tcp_sack, false, 0, 1),
	CKPT_NET_SYSCTL(TCP_WINDOW_SCALING, "ipv4.tcp_window_scaling",
			ipv4.sysctl_tcp_window_scaling, false, 0, 1),
	CKPT_NET_SYSCTL(TCP_ECN, "ipv4.tcp_ecn", ipv4.sysctl_tcp_ecn, false, 0, 2),
};

static void ckpt_net_sysctls_save(struct net *net, struct ckpt_netns_save *s)
{
	u32 i, v;

	for (i = 0; i < CKPT_NET_SYSCTL_NR; i++) {
		const struct ckpt_net_sysctl_def *d = &ckpt_net_sysctls[i];
		const void *p = (const void *)net + d->off;

		v = d->size == 1 ? READ_ONCE(*(const u8 *)p) : READ_ONCE(*(const u32 *)p);
		if (d->jiffies)
			v /= HZ;
		s->sysctls[i].id = cpu_to_le32(i);
		s->sysctls[i].value = cpu_to_le32(v);
	}
	s->rec.nr_sysctls = cpu_to_le16(CKPT_NET_SYSCTL_NR);
}

/* The port range as its own sysctl handler checks it */
static bool ckpt_port_range_ok(u32 range, u32 prot_sock)
{
	u32 low = range & 0xffff, high = range >> 16;

	return low && low <= high && low >= prot_sock;
}

static int ckpt_net_sysctls_check(struct ckpt_ctx *ctx, const struct ckpt_net_sysctl *sc,
				  u32 nr)
{
	u32 i, seen = 0, range = 0, prot_sock = 0;

	for (i = 0; i < nr; i++) {
		u32 id = le32_to_cpu(sc[i].id), v = le32_to_cpu(sc[i].value);

		if (id >= CKPT_NET_SYSCTL_NR || seen & BIT(id))
			return ckpt_err(ctx, -EINVAL, "NETNS record: bad sysctl id %u", id);
		seen |= BIT(id);
		if (v < ckpt_net_sysctls[id].min || v > ckpt_net_sysctls[id].max)
			return ckpt_err(ctx, -EINVAL, "NETNS record: net.%s = %u is out of range",
					ckpt_net_sysctls[id].name, v);
		if (id == CKPT_NET_SYSCTL_IP_LOCAL_PORT_RANGE)
			range = v;
		else if (id == CKPT_NET_SYSCTL_IP_UNPRIV_PORT_START)
			prot_sock = v;
	}
	if (seen & BIT(CKPT_NET_SYSCTL_IP_LOCAL_PORT_RANGE) &&
	    !ckpt_port_range_ok(range, prot_sock))
		return ckpt_err(ctx, -EINVAL, "NETNS record: bad net.ipv4.ip_local_port_range");
	return 0;
}

/* In the new namespace, which its creator may configure: checked before */
static void ckpt_net_sysctls_load(struct net *net, const struct ckpt_net_sysctl *sc, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		const struct ckpt_net_sysctl_def *d = &ckpt_net_sysctls[le32_to_cpu(sc[i].id)];
		void *p = (void *)net + d->off;
		u32 v = le32_to_cpu(sc[i].value);

		if (d->jiffies)
			v *= HZ;
		if (d->size == 1)
			WRITE_ONCE(*(u8 *)p, v);
		else
			WRITE_ONCE(*(u32 *)p, v);
	}
}

/* ---- talking to rtnetlink ---- */

static void ckpt_rtnl_close(struct ckpt_rtnl *rt)
{
	if (rt->file)
		fput(rt->file);
	else if (rt->sock)
		sock_release(rt->sock);
	kvfree(rt->buf);
}

/*
 * A socket in @net.  At restart (@as_user) it is a file of the current
 * task's credentials, so that rtnetlink checks a request against them as
 * it would a request of `ip`; at checkpoint, a kernel socket that only
 * reads.
 */
static int ckpt_rtnl_open(struct ckpt_rtnl *rt, struct net *net, bool as_user)
{
	int one = 1, ret;

	memset(rt, 0, sizeof(*rt));
	rt->buf = kvmalloc(CKPT_RTNL_BUF, GFP_KERNEL);
	if (!rt->buf)
		return -ENOMEM;
	ret = __sock_create(net, PF_NETLINK, SOCK_RAW, NETLINK_ROUTE, &rt->sock, !as_user);
	if (ret)
		goto err;
	if (as_user) {
		rt->file = sock_alloc_file(rt->sock, 0, NULL);
		if (IS_ERR(rt->file)) {
			ret = PTR_ERR(rt->file);
			rt->file = NULL;
			rt->sock = NULL;	/* released by sock_alloc_file() */
			goto err;
		}
	}
	/* The reason of a refusal comes back in the acknowledgment */
	ret = rt->sock->ops->setsockopt(rt->sock, SOL_NETLINK, NETLINK_EXT_ACK,
					KERNEL_SOCKPTR(&one), sizeof(one)) ?:
	      rt->sock->ops->setsockopt(rt->sock, SOL_NETLINK, NETLINK_CAP_ACK,
					KERNEL_SOCKPTR(&one), sizeof(one));
	if (!ret)
		return 0;
err:
	ckpt_rtnl_close(rt);
	return ret;
}

static int ckpt_rtnl_send(struct ckpt_rtnl *rt, struct sk_buff *skb)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &sa, .msg_namelen = sizeof(sa) };
	struct nlmsghdr *nlh = nlmsg_hdr(skb);
	struct kvec iov = { .iov_base = skb->data, .iov_len = skb->len };
	int ret;

	nlh->nlmsg_seq = ++rt->seq;
	nlh->nlmsg_len = skb->len;
	ret = kernel_sendmsg(rt->sock, &msg, &iov, 1, skb->len);
	return ret < 0 ? ret : 0;
}

/* The next batch of answers in rt->buf: its length, or a negative error */
static int ckpt_rtnl_recv(struct ckpt_rtnl *rt)
{
	struct msghdr msg = {};
	struct kvec iov = { .iov_base = rt->buf, .iov_len = CKPT_RTNL_BUF };
	int ret;

	ret = kernel_recvmsg(rt->sock, &msg, &iov, 1, CKPT_RTNL_BUF, 0);
	if (ret >= 0 && (msg.msg_flags & MSG_TRUNC))
		return -EMSGSIZE;
	return ret;
}

/*
 * Send the request built in @skb (consumed) and wait for its
 * acknowledgment: 0, or rtnetlink's error with its reason logged.
 */
static int ckpt_rtnl_do(struct ckpt_ctx *ctx, struct ckpt_rtnl *rt, struct sk_buff *skb,
			const char *what)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const struct nlmsgerr *e;
	struct nlmsghdr *nlh;
	int ret, len;

	ret = ckpt_rtnl_send(rt, skb);
	kfree_skb(skb);
	if (ret)
		return ckpt_err(ctx, ret, "cannot send the request for %s", what);
	len = ckpt_rtnl_recv(rt);
	nlh = rt->buf;
	if (len < (int)nlmsg_total_size(sizeof(*e)) || !nlmsg_ok(nlh, len) ||
	    nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != rt->seq)
		return ckpt_err(ctx, len < 0 ? len : -EPROTO, "no answer to the request for %s",
				what);
	e = nlmsg_data(nlh);
	if (!e->error)
		return 0;
	memset(tb, 0, sizeof(tb));
	/* NETLINK_CAP_ACK: the request is not copied back */
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		nla_parse_deprecated(tb, NLMSGERR_ATTR_MAX, (void *)(e + 1),
				     nlmsg_len(nlh) - sizeof(*e), NULL, NULL);
	if (tb[NLMSGERR_ATTR_MSG] && nla_len(tb[NLMSGERR_ATTR_MSG]) > 1)
		return ckpt_err(ctx, e->error, "cannot restore %s: %.*s", what,
				nla_len(tb[NLMSGERR_ATTR_MSG]) - 1,
				(char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	return ckpt_err(ctx, e->error, "cannot restore %s", what);
}

/* A request of @type with a header of @hdrlen bytes (zeroed) in a new skb */
static struct sk_buff *ckpt_rtnl_msg(int type, int flags, size_t hdrlen)
{
	struct sk_buff *skb = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);

	if (skb && !nlmsg_put(skb, 0, 0, type, hdrlen, NLM_F_REQUEST | flags)) {
		kfree_skb(skb);
		return NULL;
	}
	if (skb)
		memset(nlmsg_data(nlmsg_hdr(skb)), 0, hdrlen);
	return skb;
}

/* ---- checkpoint ---- */

#define ckpt_refuse(s, fmt, ...)						\
	({ snprintf((s)->why, sizeof((s)->why), fmt, ##__VA_ARGS__); -EOPNOTSUPP; })

/* IFA_F_* an address keeps; the others are states the kernel gives it */
#define CKPT_IFA_FLAGS	(IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_NOPREFIXROUTE | \
			 IFA_F_MANAGETEMPADDR | IFA_F_MCAUTOJOIN | IFA_F_PERMANENT)

static const char *ckpt_netdev_kind(const struct net_device *dev)
{
	return dev->rtnl_link_ops ? dev->rtnl_link_ops->kind : "no rtnetlink kind";
}

static bool ckpt_is_veth(const struct net_device *dev)
{
	return dev->rtnl_link_ops && !strcmp(dev->rtnl_link_ops->kind, "veth") &&
	       dev->netdev_ops->ndo_get_peer_dev;
}

/* Netfilter hooks on the namespace or @dev: rules, or connection tracking */
static bool ckpt_nf_hooked(struct net *net, struct net_device *dev)
{
#ifdef CONFIG_NETFILTER
	int h;

#ifdef CONFIG_NETFILTER_INGRESS
	if (dev && rcu_access_pointer(dev->nf_hooks_ingress))
		return true;
#endif
#ifdef CONFIG_NETFILTER_EGRESS
	if (dev && rcu_access_pointer(dev->nf_hooks_egress))
		return true;
#endif
	for (h = 0; !dev && h < NF_INET_NUMHOOKS; h++)
		if (rcu_access_pointer(net->nf.hooks_ipv4[h]) ||
		    rcu_access_pointer(net->nf.hooks_ipv6[h]))
			return true;
#endif
	return false;
}

static bool ckpt_custom_rules(struct net *net)
{
#ifdef CONFIG_IP_MULTIPLE_TABLES
	if (net->ipv4.fib_has_custom_rules)
		return true;
#endif
#ifdef CONFIG_IPV6_MULTIPLE_TABLES
	if (net->ipv6.fib6_has_custom_rules)
		return true;
#endif
	return false;
}

/* One NETDEV for a veth device and its peer, under the RTNL */
static int ckpt_netdev_save(struct net *net, struct net_device *dev, struct ckpt_netns_save *s)
{
	struct net_device *peer;
	struct ckpt_netdev *d;

	if (!ckpt_is_veth(dev) || dev->addr_len != ETH_ALEN)
		return ckpt_refuse(s, "the device %s (%s) is not supported", dev->name,
				   ckpt_netdev_kind(dev));
	if (ckpt_nf_hooked(net, dev))
		return ckpt_refuse(s, "the device %s has netfilter hooks (not supported)",
				   dev->name);
	rcu_read_lock();
	peer = dev->netdev_ops->ndo_get_peer_dev(dev);
	rcu_read_unlock();
	if (!peer)
		return ckpt_refuse(s, "the veth device %s has no peer", dev->name);
	if (dev_net(peer) == net && peer->ifindex < dev->ifindex)
		return 0;	/* saved with its peer */
	if (s->nr_devs == CKPT_NETNS_MAX_DEVS)
		return ckpt_refuse(s, "more than %u devices", CKPT_NETNS_MAX_DEVS);
	d = &s->devs[s->nr_devs++];
	d->kind = cpu_to_le32(CKPT_NETDEV_VETH);
	d->flags = cpu_to_le32((dev->flags & IFF_UP ? CKPT_NETDEV_UP : 0) |
			       (peer->flags & IFF_UP ? CKPT_NETDEV_PEER_UP : 0) |
			       (dev_net(peer) != net ? CKPT_NETDEV_PEER_OUT : 0));
	d->ifindex = cpu_to_le32(dev->ifindex);
	d->mtu = cpu_to_le32(READ_ONCE(dev->mtu));
	d->peer_ifindex = cpu_to_le32(dev_net(peer) == net ? peer->ifindex : 0);
	d->peer_mtu = cpu_to_le32(READ_ONCE(peer->mtu));
	memcpy(d->addr, dev->dev_addr, ETH_ALEN);
	memcpy(d->peer_addr, peer->dev_addr, ETH_ALEN);
	strscpy_pad(d->name, dev->name, sizeof(d->name));
	strscpy_pad(d->peer_name, peer->name, sizeof(d->peer_name));
	return 0;
}

/*
 * Seconds left of a lifetime counted from @tstamp (jiffies), as rtnetlink
 * reports it: a permanent address has none
 */
static __le32 ckpt_lft_left(u32 flags, u32 lft, unsigned long tstamp)
{
	unsigned long age = (jiffies - tstamp) / HZ;

	if (flags & IFA_F_PERMANENT || lft == INFINITY_LIFE_TIME)
		return cpu_to_le32(INFINITY_LIFE_TIME);
	return cpu_to_le32(lft > age ? lft - age : 1);
}

static struct ckpt_net_addr *ckpt_addr_slot(struct ckpt_netns_save *s, struct net_device *dev,
					    u8 family)
{
	struct ckpt_net_addr *a;

	if (s->nr_addrs == CKPT_NETNS_MAX_ADDRS)
		return NULL;
	a = &s->addrs[s->nr_addrs++];
	a->ifindex = cpu_to_le32(dev->ifindex);
	a->family = family;
	return a;
}

static int ckpt_addrs4_save(struct net_device *dev, struct ckpt_netns_save *s)
{
	struct in_device *in_dev = __in_dev_get_rtnl(dev);
	const struct in_ifaddr *ifa;
	struct ckpt_net_addr *a;

	if (!in_dev)
		return 0;
	in_dev_for_each_ifa_rtnl(ifa, in_dev) {
		/* The loopback's own, which bringing it up adds */
		if (dev->flags & IFF_LOOPBACK && ifa->ifa_prefixlen == 8 &&
		    ifa->ifa_local == htonl(INADDR_LOOPBACK))
			continue;
		a = ckpt_addr_slot(s, dev, AF_INET);
		if (!a)
			return ckpt_refuse(s, "more than %u addresses", CKPT_NETNS_MAX_ADDRS);
		a->prefixlen = ifa->ifa_prefixlen;
		a->scope = ifa->ifa_scope;
		a->flags = cpu_to_le32(ifa->ifa_flags & CKPT_IFA_FLAGS);
		a->valid_lft = ckpt_lft_left(ifa->ifa_flags, ifa->ifa_valid_lft, ifa->ifa_tstamp);
		a->preferred_lft = ckpt_lft_left(ifa->ifa_flags, ifa->ifa_preferred_lft,
						 ifa->ifa_tstamp);
		memcpy(a->local, &ifa->ifa_local, 4);
		memcpy(a->address, &ifa->ifa_address, 4);
		memcpy(a->broadcast, &ifa->ifa_broadcast, 4);
		strscpy_pad(a->label, ifa->ifa_label, sizeof(a->label));
	}
	return 0;
}

/*
 * IPv6 addresses but the link-local ones, which the hardware address gives
 * again, and those router advertisements gave (not permanent), which they
 * give again
 */
static int ckpt_addrs6_save(struct net_device *dev, struct ckpt_netns_save *s)
{
	struct inet6_dev *idev = __in6_dev_get(dev);
	struct inet6_ifaddr *ifp;
	struct ckpt_net_addr *a;
	int ret = 0;

	if (!IS_ENABLED(CONFIG_IPV6) || !idev)
		return 0;
	read_lock_bh(&idev->lock);
	list_for_each_entry(ifp, &idev->addr_list, if_list) {
		if (ipv6_addr_type(&ifp->addr) & (IPV6_ADDR_LINKLOCAL | IPV6_ADDR_LOOPBACK) ||
		    !(ifp->flags & IFA_F_PERMANENT))
			continue;
		a = ckpt_addr_slot(s, dev, AF_INET6);
		if (!a) {
			ret = ckpt_refuse(s, "more than %u addresses", CKPT_NETNS_MAX_ADDRS);
			break;
		}
		a->prefixlen = ifp->prefix_len;
		a->flags = cpu_to_le32(ifp->flags & CKPT_IFA_FLAGS);
		a->valid_lft = ckpt_lft_left(0, ifp->valid_lft, ifp->tstamp);
		a->preferred_lft = ckpt_lft_left(0, ifp->prefered_lft, ifp->tstamp);
		memcpy(a->local, &ifp->addr, 16);
		memcpy(a->address, ipv6_addr_any(&ifp->peer_addr) ? &ifp->addr : &ifp->peer_addr,
		       16);
	}
	read_unlock_bh(&idev->lock);
	return ret;
}

/* The devices and their addresses, under the RTNL */
static int ckpt_netdevs_save(struct net *net, struct ckpt_netns_save *s)
{
	struct net_device *dev;
	int ret;

	if (ckpt_nf_hooked(net, NULL))
		return ckpt_refuse(s, "%s are not supported",
				   "netfilter hooks (rules of nftables or iptables, connection tracking)");
	if (ckpt_custom_rules(net))
		return ckpt_refuse(s, "policy routing rules are not supported");
	for_each_netdev(net, dev) {
		if (dev == net->loopback_dev) {
			if (dev->flags & IFF_UP)
				s->rec.flags |= cpu_to_le32(CKPT_NETNS_LO_UP);
		} else if (dev->netns_immutable && !(dev->flags & IFF_UP)) {
			/*
			 * A fallback tunnel (sit0, tunl0...): the kernel makes
			 * one in every namespace, the new one included.  Down,
			 * it is unused.
			 */
			continue;
		} else {
			ret = ckpt_netdev_save(net, dev, s);
			if (ret)
				return ret;
		}
		ret = ckpt_addrs4_save(dev, s) ?: ckpt_addrs6_save(dev, s);
		if (ret)
			return ret;
	}
	return 0;
}

/* Whether @ifindex is the loopback's or a saved device's */
static bool ckpt_ifindex_saved(const struct ckpt_netdev *devs, u32 nr, u32 ifindex)
{
	u32 i;

	if (ifindex == LOOPBACK_IFINDEX)
		return true;
	/* 0 is the peer_ifindex of an outer peer: no device of the namespace */
	if (!ifindex)
		return false;
	for (i = 0; i < nr; i++)
		if (le32_to_cpu(devs[i].ifindex) == ifindex ||
		    le32_to_cpu(devs[i].peer_ifindex) == ifindex)
			return true;
	return false;
}

static int ckpt_route_addr(struct nlattr *nla, u8 *out, u32 alen)
{
	if (!nla)
		return 0;
	if (nla_len(nla) != alen)
		return -EINVAL;
	memcpy(out, nla_data(nla), alen);
	return 0;
}

#define CKPT_RTN_TYPES	(BIT(RTN_UNICAST) | BIT(RTN_BLACKHOLE) | BIT(RTN_UNREACHABLE) | \
			 BIT(RTN_PROHIBIT))

/* One RTM_NEWROUTE of the dump: saved, skipped, or a refusal */
static int ckpt_route_save(const struct nlmsghdr *nlh, struct ckpt_netns_save *s)
{
	const struct rtmsg *rtm = nlmsg_data(nlh);
	u32 alen = rtm->rtm_family == AF_INET ? 4 : 16, table;
	struct nlattr *tb[RTA_MAX + 1];
	struct ckpt_net_route *r;

	if (nlmsg_parse_deprecated(nlh, sizeof(*rtm), tb, RTA_MAX, NULL, NULL))
		return -EINVAL;
	table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	/* Made by the kernel for an address or a device, or learnt again */
	if (rtm->rtm_protocol == RTPROT_KERNEL || rtm->rtm_protocol == RTPROT_RA ||
	    table == RT_TABLE_LOCAL || rtm->rtm_flags & RTM_F_CLONED)
		return 0;
	if (rtm->rtm_type >= BITS_PER_LONG || !(BIT(rtm->rtm_type) & CKPT_RTN_TYPES))
		return ckpt_refuse(s, "a route of type %u is not supported", rtm->rtm_type);
	if (tb[RTA_MULTIPATH] || tb[RTA_ENCAP] || tb[RTA_VIA] || tb[RTA_NH_ID] ||
	    tb[RTA_SRC] || (tb[RTA_METRICS] && nla_len(tb[RTA_METRICS])))
		return ckpt_refuse(s, "a route with %s is not supported",
				   "several next hops, an encapsulation, a source prefix or metrics");
	if (s->nr_routes == CKPT_NETNS_MAX_ROUTES)
		return ckpt_refuse(s, "more than %u routes", CKPT_NETNS_MAX_ROUTES);
	r = &s->routes[s->nr_routes];
	if (ckpt_route_addr(tb[RTA_DST], r->dst, alen) ||
	    ckpt_route_addr(tb[RTA_GATEWAY], r->gateway, alen) ||
	    ckpt_route_addr(tb[RTA_PREFSRC], r->prefsrc, alen))
		return -EINVAL;
	r->oif = cpu_to_le32(tb[RTA_OIF] ? nla_get_u32(tb[RTA_OIF]) : 0);
	if (r->oif && !ckpt_ifindex_saved(s->devs, s->nr_devs, le32_to_cpu(r->oif)))
		return ckpt_refuse(s, "a route through device %u, which is not saved",
				   le32_to_cpu(r->oif));
	r->family = rtm->rtm_family;
	r->dst_len = rtm->rtm_dst_len;
	r->tos = rtm->rtm_tos;
	r->protocol = rtm->rtm_protocol;
	r->scope = rtm->rtm_scope;
	r->type = rtm->rtm_type;
	r->table = cpu_to_le32(table);
	r->priority = cpu_to_le32(tb[RTA_PRIORITY] ? nla_get_u32(tb[RTA_PRIORITY]) : 0);
	r->flags = cpu_to_le32(rtm->rtm_flags & RTNH_F_ONLINK);
	s->nr_routes++;
	return 0;
}

/* The answers to a dump: 1 when it is done, 0 for more, or an error */
static int ckpt_route_dump_batch(struct ckpt_rtnl *rt, int len, struct ckpt_netns_save *s)
{
	struct nlmsghdr *nlh;
	int ret;

	nlmsg_for_each_msg(nlh, (struct nlmsghdr *)rt->buf, len, len) {
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nlh->nlmsg_type == NLMSG_ERROR)
			return -EPROTO;
		if (nlh->nlmsg_type != RTM_NEWROUTE || nlmsg_len(nlh) < sizeof(struct rtmsg))
			continue;
		ret = ckpt_route_save(nlh, s);
		if (ret)
			return ret;
	}
	return 0;
}

/* The routes of @family, as `ip route show table all` reads them */
static int ckpt_routes_save(struct ckpt_rtnl *rt, u8 family, struct ckpt_netns_save *s)
{
	struct sk_buff *skb;
	int ret, len;

	skb = ckpt_rtnl_msg(RTM_GETROUTE, NLM_F_DUMP, sizeof(struct rtmsg));
	if (!skb)
		return -ENOMEM;
	((struct rtmsg *)nlmsg_data(nlmsg_hdr(skb)))->rtm_family = family;
	ret = ckpt_rtnl_send(rt, skb);
	kfree_skb(skb);
	while (!ret) {
		len = ckpt_rtnl_recv(rt);
		ret = len < 0 ? len : ckpt_route_dump_batch(rt, len, s);
	}
	return ret < 0 ? ret : 0;
}

static void ckpt_netns_save_free(struct ckpt_netns_save *s)
{
	kvfree(s->devs);
	kvfree(s->addrs);
	kvfree(s->routes);
	kfree(s);
}

static int ckpt_netns_collect(struct net *net, struct ckpt_netns_save *s)
{
	struct ckpt_rtnl rt;
	int ret;

	s->devs = kvcalloc(CKPT_NETNS_MAX_DEVS, sizeof(*s->devs), GFP_KERNEL);
	s->addrs = kvcalloc(CKPT_NETNS_MAX_ADDRS, sizeof(*s->addrs), GFP_KERNEL);
	s->routes = kvcalloc(CKPT_NETNS_MAX_ROUTES, sizeof(*s->routes), GFP_KERNEL);
	if (!s->devs || !s->addrs || !s->routes)
		return -ENOMEM;
	ckpt_net_sysctls_save(net, s);
	rtnl_lock();
	ret = ckpt_netdevs_save(net, s);
	rtnl_unlock();
	if (ret)
		return ret;
	/* The dumps take the RTNL themselves */
	ret = ckpt_rtnl_open(&rt, net, false);
	if (ret)
		return ret;
	ret = ckpt_routes_save(&rt, AF_INET, s);
	if (!ret && IS_ENABLED(CONFIG_IPV6))
		ret = ckpt_routes_save(&rt, AF_INET6, s);
	ckpt_rtnl_close(&rt);
	return ret;
}

static int ckpt_netns_write(struct ckpt_ctx *ctx, struct ckpt_netns_save *s)
{
	int ret;
	u32 i;

	s->rec.nr_devs = cpu_to_le16(s->nr_devs);
	s->rec.nr_addrs = cpu_to_le32(s->nr_addrs);
	s->rec.nr_routes = cpu_to_le32(s->nr_routes);
	ret = ckpt_write_rec_var(ctx, CKPT_REC_NETNS, &s->rec, sizeof(s->rec), s->sysctls,
				 le16_to_cpu(s->rec.nr_sysctls) * sizeof(s->sysctls[0]));
	for (i = 0; !ret && i < s->nr_devs; i++)
		ret = ckpt_write_rec(ctx, CKPT_REC_NETDEV, &s->devs[i], sizeof(s->devs[i]));
	for (i = 0; !ret && i < s->nr_addrs; i++)
		ret = ckpt_write_rec(ctx, CKPT_REC_NET_ADDR, &s->addrs[i], sizeof(s->addrs[i]));
	for (i = 0; !ret && i < s->nr_routes; i++)
		ret = ckpt_write_rec(ctx, CKPT_REC_NET_ROUTE, &s->routes[i],
				     sizeof(s->routes[i]));
	return ret;
}

static int ckpt_netns_checkpoint(struct ckpt_ctx *ctx)
{
	struct net *net = ctx->nsproxy->net_ns;
	struct ckpt_netns_save *s;
	int ret;

	if (net == current->nsproxy->net_ns)
		return 0;
	if (!ckpt_tasks_own_ns(ctx, net->user_ns))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks' network namespace belongs to another user namespace (not supported yet)");
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	ret = ckpt_netns_collect(net, s);
	if (ret && s->why[0])
		ret = ckpt_err(ctx, ret, "the tasks' network namespace: %s", s->why);
	else if (ret)
		ret = ckpt_err(ctx, ret, "cannot read the tasks' network namespace");
	else
		ret = ckpt_netns_write(ctx, s) ?: 1;
	ckpt_netns_save_free(s);
	return ret;
}

/*
 * CHECKPOINT_KILL: take the devices down before the tasks die, so that the
 * namespace answers nothing (no reset) until the restored one takes over.
 */
static void ckpt_netns_park(struct ckpt_ctx *ctx)
{
	struct net *net = ctx->nsproxy->net_ns;
	struct net_device *dev;

	if (net == current->nsproxy->net_ns)
		return;
	rtnl_lock();
	for_each_netdev(net, dev)
		if (dev != net->loopback_dev && dev->flags & IFF_UP)
			dev_change_flags(dev, dev->flags & ~IFF_UP, NULL);
	rtnl_unlock();
}

/* ---- restart: reading ---- */

static void ckpt_netns_load_free(const void *data)
{
	const struct ckpt_netns_load *l = data;

	if (!l)
		return;
	kvfree(l->devs);
	kvfree(l->addrs);
	kvfree(l->routes);
	kfree(l->new_ifindex);
	if (l->caller_net)
		put_net(l->caller_net);
	kfree(l);
}

static bool ckpt_ifname_ok(const char *name)
{
	return strnlen(name, IFNAMSIZ) < IFNAMSIZ && dev_valid_name(name);
}

static bool ckpt_mem_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static int ckpt_netdev_check(struct ckpt_ctx *ctx, struct ckpt_netns_load *l, u32 i)
{
	const struct ckpt_netdev *d = &l->devs[i];
	u32 flags = le32_to_cpu(d->flags), out = flags & CKPT_NETDEV_PEER_OUT;
	u32 ifindex = le32_to_cpu(d->ifindex), peer = le32_to_cpu(d->peer_ifindex);

	if (le32_to_cpu(d->kind) != CKPT_NETDEV_VETH ||
	    flags & ~(CKPT_NETDEV_UP | CKPT_NETDEV_PEER_UP | CKPT_NETDEV_PEER_OUT) ||
	    ifindex <= LOOPBACK_IFINDEX || ifindex > INT_MAX || peer > INT_MAX ||
	    (out ? peer != 0 : peer <= LOOPBACK_IFINDEX || peer == ifindex) ||
	    !ckpt_ifname_ok(d->name) || !ckpt_ifname_ok(d->peer_name) ||
	    !ckpt_mem_zero(d->addr + ETH_ALEN, 2) || !ckpt_mem_zero(d->peer_addr + ETH_ALEN, 2) ||
	    ckpt_ifindex_saved(l->devs, i, ifindex) ||
	    (peer && ckpt_ifindex_saved(l->devs, i, peer)))
		return ckpt_err(ctx, -EINVAL, "NETDEV record %u is malformed", i);
	if (!out && !strcmp(d->name, d->peer_name))
		return ckpt_err(ctx, -EINVAL, "NETDEV record %u: both ends are named %s", i,
				d->name);
	return 0;
}

static int ckpt_addr_check(struct ckpt_ctx *ctx, struct ckpt_netns_load *l, u32 i)
{
	const struct ckpt_net_addr *a = &l->addrs[i];
	u32 alen = a->family == AF_INET ? 4 : 16;

	if ((a->family != AF_INET && a->family != AF_INET6) || a->prefixlen > alen * 8 ||
	    a->__pad || a->__pad2 || le32_to_cpu(a->flags) & ~CKPT_IFA_FLAGS ||
	    !ckpt_ifindex_saved(l->devs, le16_to_cpu(l->rec.nr_devs), le32_to_cpu(a->ifindex)) ||
	    !ckpt_mem_zero(a->local + alen, 16 - alen) ||
	    !ckpt_mem_zero(a->address + alen, 16 - alen) ||
	    !ckpt_mem_zero(a->broadcast + 4, 12) ||
	    strnlen(a->label, sizeof(a->label)) == sizeof(a->label) ||
	    (a->family == AF_INET6 && (a->label[0] || !ckpt_mem_zero(a->broadcast, 4))))
		return ckpt_err(ctx, -EINVAL, "NET_ADDR record %u is malformed", i);
	return 0;
}

static int ckpt_route_check(struct ckpt_ctx *ctx, struct ckpt_netns_load *l, u32 i)
{
	const struct ckpt_net_route *r = &l->routes[i];
	u32 alen = r->family == AF_INET ? 4 : 16, oif = le32_to_cpu(r->oif);

	if ((r->family != AF_INET && r->family != AF_INET6) || r->dst_len > alen * 8 ||
	    r->protocol == RTPROT_KERNEL || le32_to_cpu(r->table) == RT_TABLE_LOCAL ||
	    !le32_to_cpu(r->table) || r->type >= BITS_PER_LONG ||
	    !(BIT(r->type) & CKPT_RTN_TYPES) || r->__pad[0] || r->__pad[1] ||
	    le32_to_cpu(r->flags) & ~RTNH_F_ONLINK ||
	    (oif && !ckpt_ifindex_saved(l->devs, le16_to_cpu(l->rec.nr_devs), oif)) ||
	    !ckpt_mem_zero(r->dst + alen, 16 - alen) ||
	    !ckpt_mem_zero(r->gateway + alen, 16 - alen) ||
	    !ckpt_mem_zero(r->prefsrc + alen, 16 - alen))
		return ckpt_err(ctx, -EINVAL, "NET_ROUTE record %u is malformed", i);
	return 0;
}

/*
 * @nr records of @type, @size bytes each, into a new array at *@arr (of
 * @l, freed with it), each checked once read
 */
static int ckpt_netns_read_recs(struct ckpt_ctx *ctx, struct ckpt_netns_load *l,
				enum ckpt_rec_type type, u32 nr, size_t size, void **arr,
				int (*check)(struct ckpt_ctx *ctx, struct ckpt_netns_load *l,
					     u32 i))
{
	int ret = 0;
	u32 i;

	*arr = kvcalloc(max(nr, 1U), size, GFP_KERNEL);
	if (!*arr)
		return -ENOMEM;
	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_read_rec(ctx, type, *arr + i * size, size) ?: check(ctx, l, i);
	return ret;
}

static int ckpt_netns_read_head(struct ckpt_ctx *ctx, struct ckpt_netns_load *l)
{
	struct ckpt_netns *rec;
	u32 len, nr;
	int ret = 0;

	/* An image before devices were kept has flags and 4 zero bytes */
	rec = ckpt_read_rec_var(ctx, CKPT_REC_NETNS, CKPT_NETNS_V1_SIZE, &len);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	memcpy(&l->rec, rec, min_t(u32, len, sizeof(*rec)));
	nr = le16_to_cpu(l->rec.nr_sysctls);
	if (le32_to_cpu(l->rec.flags) & ~CKPT_NETNS_LO_UP || nr > CKPT_NET_SYSCTL_NR ||
	    (len == CKPT_NETNS_V1_SIZE ? rec->nr_devs || nr :
	     len != ALIGN(sizeof(*rec) + nr * sizeof(l->sysctls[0]), 8)) ||
	    le16_to_cpu(l->rec.nr_devs) > CKPT_NETNS_MAX_DEVS ||
	    le32_to_cpu(l->rec.nr_addrs) > CKPT_NETNS_MAX_ADDRS ||
	    le32_to_cpu(l->rec.nr_routes) > CKPT_NETNS_MAX_ROUTES)
		ret = ckpt_err(ctx, -EINVAL, "NETNS record is malformed");
	else
		memcpy(l->sysctls, rec + 1, nr * sizeof(l->sysctls[0]));
	kvfree(rec);
	return ret ?: ckpt_net_sysctls_check(ctx, l->sysctls, nr);
}

static int ckpt_netns_read(struct ckpt_ctx *ctx, struct ckpt_netns_load *l)
{
	int ret;

	ret = ckpt_netns_read_head(ctx, l) ?:
	      ckpt_netns_read_recs(ctx, l, CKPT_REC_NETDEV, le16_to_cpu(l->rec.nr_devs),
				   sizeof(*l->devs), (void **)&l->devs, ckpt_netdev_check) ?:
	      ckpt_netns_read_recs(ctx, l, CKPT_REC_NET_ADDR, le32_to_cpu(l->rec.nr_addrs),
				   sizeof(*l->addrs), (void **)&l->addrs, ckpt_addr_check) ?:
	      ckpt_netns_read_recs(ctx, l, CKPT_REC_NET_ROUTE, le32_to_cpu(l->rec.nr_routes),
				   sizeof(*l->routes), (void **)&l->routes, ckpt_route_check);
	if (ret)
		return ret;
	l->new_ifindex = kcalloc(max_t(u32, 2 * le16_to_cpu(l->rec.nr_devs), 1), sizeof(u32),
				 GFP_KERNEL);
	return l->new_ifindex ? 0 : -ENOMEM;
}

/*
 * Whether a veth device has its peer outside, named as the caller chose
 * (RESTART_EXTERNAL); -EEXIST if the name of one is taken in @net, the
 * caller's namespace
 */
static int ckpt_netns_outer_peers(struct ckpt_ctx *ctx, struct ckpt_netns_load *l,
				  struct net *net)
{
	const struct ckpt_external *ext;
	bool taken, outer = false;
	u32 i;

	for (i = 0; i < le16_to_cpu(l->rec.nr_devs); i++) {
		struct ckpt_netdev *d = &l->devs[i];

		if (!(le32_to_cpu(d->flags) & CKPT_NETDEV_PEER_OUT))
			continue;
		outer = true;
		/* The caller's choice (checked), or the saved name */
		ext = ckpt_external(ctx, CKPT_EXT_VETH, d->name);
		if (ext)
			strscpy_pad(d->peer_name, ext->name, sizeof(d->peer_name));
		rcu_read_lock();
		taken = dev_get_by_name_rcu(net, d->peer_name);
		rcu_read_unlock();
		if (taken)
			return ckpt_err(ctx, -EEXIST,
					"the caller's network namespace already has a device %s (the outer end of %s)",
					d->peer_name, d->name);
	}
	return outer;
}

static int ckpt_netns_restart(struct ckpt_ctx *ctx, void **data)
{
	struct ckpt_netns_load *l;
	struct net *mine = current->nsproxy->net_ns;
	int ret;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	*data = l;
	ret = ckpt_netns_read(ctx, l);
	if (ret)
		return ret;
	if (!IS_ENABLED(CONFIG_NET_NS))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks need a network namespace (CONFIG_NET_NS is off)");
	if (!ns_capable(current_user_ns(), CAP_SYS_ADMIN) ||
	    !ns_capable(current_user_ns(), CAP_NET_ADMIN))
		return ckpt_err(ctx, -EPERM,
				"creating the tasks' network namespace needs CAP_SYS_ADMIN and CAP_NET_ADMIN");
	ret = ckpt_netns_outer_peers(ctx, l, mine);
	if (ret < 0)
		return ret;
	if (ret && !ns_capable(mine->user_ns, CAP_NET_ADMIN))
		return ckpt_err(ctx, -EPERM,
				"putting the outer end of a veth pair in the caller's network namespace needs CAP_NET_ADMIN over it");
	l->caller_net = get_net(mine);
	return 0;
}

/* ---- restart: building the namespace, in the root ---- */

/* The index a saved device got in the new namespace */
static u32 ckpt_new_ifindex(const struct ckpt_netns_load *l, u32 saved)
{
	u32 i;

	if (saved == LOOPBACK_IFINDEX)
		return LOOPBACK_IFINDEX;
	for (i = 0; i < le16_to_cpu(l->rec.nr_devs); i++) {
		if (le32_to_cpu(l->devs[i].ifindex) == saved)
			return l->new_ifindex[2 * i];
		if (le32_to_cpu(l->devs[i].peer_ifindex) == saved)
			return l->new_ifindex[2 * i + 1];
	}
	return 0;
}

/* The saved index if it is free in @net (it is unless configs differ), else any */
static u32 ckpt_free_ifindex(struct net *net, u32 ifindex)
{
	bool used;

	if (!ifindex)
		return 0;
	rcu_read_lock();
	used = dev_get_by_index_rcu(net, ifindex);
	rcu_read_unlock();
	return used ? 0 : ifindex;
}

/* An index free in @net that no saved device will ask for */
static u32 ckpt_spare_ifindex(struct net *net, const struct ckpt_netns_load *l)
{
	u32 i;

	for (i = LOOPBACK_IFINDEX + 1; i < INT_MAX; i++)
		if (!ckpt_ifindex_saved(l->devs, le16_to_cpu(l->rec.nr_devs), i) &&
		    ckpt_free_ifindex(net, i))
			return i;
	return 0;
}

static u32 ckpt_ifindex_by_name(struct net *net, const char *name)
{
	struct net_device *dev;
	u32 ifindex = 0;

	rcu_read_lock();
	dev = dev_get_by_name_rcu(net, name);
	if (dev)
		ifindex = dev->ifindex;
	rcu_read_unlock();
	return ifindex;
}

/* IFLA_IFNAME (if any), IFLA_MTU and IFLA_ADDRESS of one end */
static int ckpt_put_link(struct sk_buff *skb, const char *name, __le32 mtu, const u8 *addr)
{
	if (name && nla_put_string(skb, IFLA_IFNAME, name))
		return -EMSGSIZE;
	return nla_put_u32(skb, IFLA_MTU, le32_to_cpu(mtu)) ?:
	       nla_put(skb, IFLA_ADDRESS, ETH_ALEN, addr);
}

/*
 * `ip link add NAME type veth peer PEER`: an outer peer is made here under
 * a name the kernel picks, then moved out (ckpt_veth_move_out())
 */
static struct sk_buff *ckpt_veth_msg(struct net *net, const struct ckpt_netns_load *l,
				     const struct ckpt_netdev *d)
{
	bool out = le32_to_cpu(d->flags) & CKPT_NETDEV_PEER_OUT;
	struct nlattr *info, *data, *peer;
	struct ifinfomsg *ifm;
	struct sk_buff *skb;

	skb = ckpt_rtnl_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, sizeof(*ifm));
	if (!skb)
		return NULL;
	ifm = nlmsg_data(nlmsg_hdr(skb));
	ifm->ifi_index = ckpt_free_ifindex(net, le32_to_cpu(d->ifindex));
	if (ckpt_put_link(skb, d->name, d->mtu, d->addr))
		goto err;
	info = nla_nest_start_noflag(skb, IFLA_LINKINFO);
	if (!info || nla_put_string(skb, IFLA_INFO_KIND, "veth"))
		goto err;
	data = nla_nest_start_noflag(skb, IFLA_INFO_DATA);
	peer = data ? nla_nest_start_noflag(skb, VETH_INFO_PEER) : NULL;
	if (!peer || skb_tailroom(skb) < sizeof(*ifm))
		goto err;
	ifm = skb_put_zero(skb, sizeof(*ifm));
	/* Registered first: an outer peer must not take a saved index */
	ifm->ifi_index = out ? ckpt_spare_ifindex(net, l) :
			       ckpt_free_ifindex(net, le32_to_cpu(d->peer_ifindex));
	if (ckpt_put_link(skb, out ? NULL : d->peer_name, d->peer_mtu, d->peer_addr))
		goto err;
	nla_nest_end(skb, peer);
	nla_nest_end(skb, data);
	nla_nest_end(skb, info);
	return skb;
err:
	kfree_skb(skb);
	return NULL;
}

/*
 * Move the outer end of @dev's pair to the caller's namespace, under its
 * name, and bring it up if it was: the caller may (ckpt_netns_restart())
 */
static int ckpt_veth_move_out(struct ckpt_ctx *ctx, struct ckpt_netns_load *l,
			      const struct ckpt_netdev *d, struct net_device *dev)
{
	struct net_device *peer;
	int ret;

	rcu_read_lock();
	peer = dev->netdev_ops->ndo_get_peer_dev(dev);
	rcu_read_unlock();
	if (!peer)
		return -ENODEV;
	ret = dev_change_net_namespace(peer, l->caller_net, "veth%d");
	if (ret)
		return ckpt_err(ctx, ret,
				"cannot move the peer of %s to the caller's network namespace",
				d->name);
	ret = dev_change_name(peer, d->peer_name);
	if (ret)
		return ckpt_err(ctx, ret,
				"cannot name the peer of %s %s in the caller's network namespace",
				d->name, d->peer_name);
	if (le32_to_cpu(d->flags) & CKPT_NETDEV_PEER_UP)
		ret = dev_change_flags(peer, peer->flags | IFF_UP, NULL);
	return ret ? ckpt_err(ctx, ret, "cannot bring %s up", d->peer_name) : 0;
}

static int ckpt_veth_load(struct ckpt_ctx *ctx, struct ckpt_rtnl *rt,
			  struct ckpt_netns_load *l, u32 i)
{
	struct net *net = current->nsproxy->net_ns;
	const struct ckpt_netdev *d = &l->devs[i];
	struct net_device *dev;
	struct sk_buff *skb;
	char what[40];
	int ret;

	skb = ckpt_veth_msg(net, l, d);
	if (!skb)
		return -ENOMEM;
	snprintf(what, sizeof(what), "the veth device %s", d->name);
	ret = ckpt_rtnl_do(ctx, rt, skb, what);
	if (ret)
		return ret;
	l->new_ifindex[2 * i] = ckpt_ifindex_by_name(net, d->name);
	if (!(le32_to_cpu(d->flags) & CKPT_NETDEV_PEER_OUT)) {
		l->new_ifindex[2 * i + 1] = ckpt_ifindex_by_name(net, d->peer_name);
		return 0;
	}
	rtnl_lock();
	dev = __dev_get_by_name(net, d->name);
	ret = dev ? ckpt_veth_move_out(ctx, l, d, dev) : -ENODEV;
	rtnl_unlock();
	return ret;
}

/* `ip address add`; an IPv6 address had passed duplicate detection */
static int ckpt_addr_load(struct ckpt_ctx *ctx, struct ckpt_rtnl *rt,
			  const struct ckpt_netns_load *l, const struct ckpt_net_addr *a)
{
	u32 alen = a->family == AF_INET ? 4 : 16, flags = le32_to_cpu(a->flags);
	struct ifa_cacheinfo ci = {
		.ifa_valid = le32_to_cpu(a->valid_lft),
		.ifa_prefered = le32_to_cpu(a->preferred_lft),
	};
	struct ifaddrmsg *ifa;
	struct sk_buff *skb;
	int ret = -EMSGSIZE;

	skb = ckpt_rtnl_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, sizeof(*ifa));
	if (!skb)
		return -ENOMEM;
	ifa = nlmsg_data(nlmsg_hdr(skb));
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_scope = a->scope;
	ifa->ifa_index = ckpt_new_ifindex(l, le32_to_cpu(a->ifindex));
	/* Permanent is what an address without a lifetime becomes */
	flags &= ~IFA_F_PERMANENT;
	if (a->family == AF_INET6)
		flags |= IFA_F_NODAD;
	if (nla_put(skb, IFA_LOCAL, alen, a->local) ||
	    nla_put(skb, IFA_ADDRESS, alen, a->address) ||
	    nla_put_u32(skb, IFA_FLAGS, flags) ||
	    (a->family == AF_INET && !ckpt_mem_zero(a->broadcast, 4) &&
	     nla_put(skb, IFA_BROADCAST, 4, a->broadcast)) ||
	    (a->label[0] && nla_put_string(skb, IFA_LABEL, a->label)) ||
	    ((ci.ifa_valid != INFINITY_LIFE_TIME || ci.ifa_prefered != INFINITY_LIFE_TIME) &&
	     nla_put(skb, IFA_CACHEINFO, sizeof(ci), &ci))) {
		kfree_skb(skb);
		return ret;
	}
	return ckpt_rtnl_do(ctx, rt, skb, a->family == AF_INET ? "an IPv4 address" :
				   "an IPv6 address");
}

/* `ip route add` */
static int ckpt_route_load(struct ckpt_ctx *ctx, struct ckpt_rtnl *rt,
			   const struct ckpt_netns_load *l, const struct ckpt_net_route *r)
{
	u32 alen = r->family == AF_INET ? 4 : 16, table = le32_to_cpu(r->table);
	struct sk_buff *skb;
	struct rtmsg *rtm;

	skb = ckpt_rtnl_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, sizeof(*rtm));
	if (!skb)
		return -ENOMEM;
	rtm = nlmsg_data(nlmsg_hdr(skb));
	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_tos = r->tos;
	rtm->rtm_table = table < 256 ? table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->protocol;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = r->type;
	rtm->rtm_flags = le32_to_cpu(r->flags);
	if (nla_put_u32(skb, RTA_TABLE, table) ||
	    (r->dst_len && nla_put(skb, RTA_DST, alen, r->dst)) ||
	    (!ckpt_mem_zero(r->gateway, alen) && nla_put(skb, RTA_GATEWAY, alen, r->gateway)) ||
	    (!ckpt_mem_zero(r->prefsrc, alen) && nla_put(skb, RTA_PREFSRC, alen, r->prefsrc)) ||
	    (r->oif && nla_put_u32(skb, RTA_OIF, ckpt_new_ifindex(l, le32_to_cpu(r->oif)))) ||
	    (r->priority && nla_put_u32(skb, RTA_PRIORITY, le32_to_cpu(r->priority)))) {
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	return ckpt_rtnl_do(ctx, rt, skb, r->family == AF_INET ? "an IPv4 route" :
				   "an IPv6 route");
}

/* `ip link set dev X up` */
static int ckpt_link_up(struct ckpt_ctx *ctx, struct ckpt_rtnl *rt, u32 ifindex,
			const char *name)
{
	struct ifinfomsg *ifm;
	struct sk_buff *skb;

	skb = ckpt_rtnl_msg(RTM_NEWLINK, NLM_F_ACK, sizeof(*ifm));
	if (!skb)
		return -ENOMEM;
	ifm = nlmsg_data(nlmsg_hdr(skb));
	ifm->ifi_index = ifindex;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	return ckpt_rtnl_do(ctx, rt, skb, name);
}

static int ckpt_links_up(struct ckpt_ctx *ctx, struct ckpt_rtnl *rt,
			 const struct ckpt_netns_load *l)
{
	u32 i, flags;
	int ret = 0;

	for (i = 0; !ret && i < le16_to_cpu(l->rec.nr_devs); i++) {
		const struct ckpt_netdev *d = &l->devs[i];

		flags = le32_to_cpu(d->flags);
		if (flags & CKPT_NETDEV_UP)
			ret = ckpt_link_up(ctx, rt, l->new_ifindex[2 * i], d->name);
		if (!ret && !(flags & CKPT_NETDEV_PEER_OUT) && flags & CKPT_NETDEV_PEER_UP)
			ret = ckpt_link_up(ctx, rt, l->new_ifindex[2 * i + 1], d->peer_name);
	}
	return ret;
}

static int ckpt_netns_build(struct ckpt_ctx *ctx, struct ckpt_netns_load *l)
{
	struct ckpt_rtnl rt;
	int ret;
	u32 i;

	ret = ckpt_rtnl_open(&rt, current->nsproxy->net_ns, true);
	if (ret)
		return ckpt_err(ctx, ret,
				"cannot open a netlink socket in the new network namespace");
	for (i = 0; !ret && i < le16_to_cpu(l->rec.nr_devs); i++)
		ret = ckpt_veth_load(ctx, &rt, l, i);
	for (i = 0; !ret && i < le32_to_cpu(l->rec.nr_addrs); i++)
		ret = ckpt_addr_load(ctx, &rt, l, &l->addrs[i]);
	if (!ret)
		ret = ckpt_links_up(ctx, &rt, l);
	for (i = 0; !ret && i < le32_to_cpu(l->rec.nr_routes); i++)
		ret = ckpt_route_load(ctx, &rt, l, &l->routes[i]);
	ckpt_rtnl_close(&rt);
	return ret;
}

static int ckpt_netns_enter(struct ckpt_ctx *ctx, void *data)
{
	struct net *net = current->nsproxy->net_ns;
	struct net_device *lo = net->loopback_dev;
	struct ckpt_netns_load *l = data;
	int ret = 0;

	if (net == l->caller_net)
		return ckpt_err(ctx, -EINVAL, "no new network namespace");
	ckpt_net_sysctls_load(net, l->sysctls, le16_to_cpu(l->rec.nr_sysctls));
	if (le32_to_cpu(l->rec.flags) & CKPT_NETNS_LO_UP) {
		rtnl_lock();
		if (!(lo->flags & IFF_UP))
			ret = dev_change_flags(lo, lo->flags | IFF_UP, NULL);
		rtnl_unlock();
		if (ret)
			return ckpt_err(ctx, ret, "cannot bring the loopback device up");
	}
	if (!l->rec.nr_devs && !l->rec.nr_addrs && !l->rec.nr_routes)
		return 0;
	return ckpt_netns_build(ctx, l);
}

const struct ckpt_ns_ops ckpt_ns_net_ops = {
	.name = "network",
	.rec = CKPT_REC_NETNS,
	.clone_flag = CLONE_NEWNET,
	.checkpoint = ckpt_netns_checkpoint,
	.restart = ckpt_netns_restart,
	.enter = ckpt_netns_enter,
	.park = ckpt_netns_park,
	.free = ckpt_netns_load_free,
};
