// SPDX-License-Identifier: GPL-2.0
/*
 * The addresses that move with a tree (ckpt migrate --addr ADDR/PREFIX@DEV).
 *
 * The destination adds each to its device before restart(2), so that the
 * tree's TCP sockets can be bound to it there, and once the tree runs
 * announces it: two gratuitous ARP requests for IPv4 (sender and target
 * the address, to the broadcast address), an unsolicited neighbour
 * advertisement with the override flag to all nodes for IPv6, so that the
 * peers on the link send to this host's MAC address from now on.  The
 * source deletes it once the tree is gone from there.  All of it in the
 * network namespace of the caller, over rtnetlink.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "ckpt.h"
#include "netaddr.h"

/* A gratuitous ARP request, as sent on an Ethernet link */
struct netaddr_arp {
	struct arphdr hdr;
	unsigned char sha[ETH_ALEN];
	unsigned char sip[4];
	unsigned char tha[ETH_ALEN];
	unsigned char tip[4];
} __attribute__((packed));

/* An unsolicited neighbour advertisement with our link-layer address */
struct netaddr_na {
	struct nd_neighbor_advert na;
	struct nd_opt_hdr opt;
	unsigned char mac[ETH_ALEN];
} __attribute__((packed));

struct netaddr_req {
	struct nlmsghdr nh;
	struct ifaddrmsg ifa;
	char attrs[2 * RTA_SPACE(16)];
};

static size_t netaddr_len(const struct ckpt_netaddr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

/* ADDR/PREFIX@DEV, a numeric IPv4 or IPv6 address; 0, or -1 (said) */
int ckpt_netaddr_parse(const char *arg, struct ckpt_netaddr *a)
{
	const char *at = strrchr(arg, '@'), *slash = strchr(arg, '/');
	char host[INET6_ADDRSTRLEN], *end;
	unsigned long prefix;

	memset(a, 0, sizeof(*a));
	a->arg = arg;
	if (!at || !slash || slash > at || slash - arg >= (long)sizeof(host) ||
	    !at[1] || strlen(at + 1) >= sizeof(a->dev))
		goto bad;
	snprintf(host, sizeof(host), "%.*s", (int)(slash - arg), arg);
	snprintf(a->dev, sizeof(a->dev), "%s", at + 1);
	if (inet_pton(AF_INET, host, a->addr) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, host, a->addr) == 1)
		a->family = AF_INET6;
	else
		goto bad;
	prefix = strtoul(slash + 1, &end, 10);
	if (end == slash + 1 || end != at || prefix > netaddr_len(a) * 8)
		goto bad;
	a->prefix = prefix;
	return 0;
bad:
	ckpt_err("migrate: %s: not ADDR/PREFIX@DEV with a numeric address", arg);
	return -1;
}

static int netaddr_ifindex(const struct ckpt_netaddr *a)
{
	int ifindex = if_nametoindex(a->dev);

	if (!ifindex)
		ckpt_err("migrate: %s: no device %s here", a->arg, a->dev);
	return ifindex;
}

static void netaddr_attr(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* The kernel's answer to our request on @sk: 0, or a negative errno */
static int netaddr_ack(int sk)
{
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t n;

	do {
		n = recv(sk, buf, sizeof(buf), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type != NLMSG_ERROR ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		return -EPROTO;
	return ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
}

/* RTM_NEWADDR or RTM_DELADDR of @a on its device: 0, or a negative errno */
static int netaddr_request(const struct ckpt_netaddr *a, int ifindex, int type, int flags)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct netaddr_req req = { 0 };
	int sk, err;

	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	req.nh.nlmsg_seq = 1;
	req.ifa.ifa_family = a->family;
	req.ifa.ifa_prefixlen = a->prefix;
	/* The tree's sockets are bound to it at once: no duplicate detection */
	req.ifa.ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = ifindex;
	netaddr_attr(&req.nh, IFA_LOCAL, a->addr, netaddr_len(a));
	netaddr_attr(&req.nh, IFA_ADDRESS, a->addr, netaddr_len(a));
	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sk < 0)
		return -errno;
	if (sendto(sk, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		err = -errno;
	else
		err = netaddr_ack(sk);
	close(sk);
	return err;
}

/* Add @a to its device: 1 if added, 0 if it was there, -1 if not (said) */
int ckpt_netaddr_add(const struct ckpt_netaddr *a)
{
	int ifindex = netaddr_ifindex(a), err;

	if (!ifindex)
		return -1;
	err = netaddr_request(a, ifindex, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	if (err == -EEXIST)
		return 0;
	if (err) {
		ckpt_err("migrate: adding %s: %s", a->arg, strerror(-err));
		return -1;
	}
	return 1;
}

/* Delete @a from its device: 0, or -1 (said) */
int ckpt_netaddr_del(const struct ckpt_netaddr *a)
{
	int ifindex = netaddr_ifindex(a), err;

	if (!ifindex)
		return -1;
	err = netaddr_request(a, ifindex, RTM_DELADDR, 0);
	if (err) {
		ckpt_err("migrate: deleting %s: %s", a->arg, strerror(-err));
		return -1;
	}
	return 0;
}

/* The MAC address of @a's device in @mac; 1, 0 if it has none (not Ethernet), -1 */
static int netaddr_mac(int sk, const struct ckpt_netaddr *a, unsigned char *mac)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", a->dev);
	if (ioctl(sk, SIOCGIFHWADDR, &ifr))
		return -1;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return 0;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return 1;
}

/* Two gratuitous ARP requests for @a, broadcast on its device */
static int netaddr_garp(const struct ckpt_netaddr *a, int ifindex)
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETHERTYPE_ARP),
		.sll_ifindex = ifindex,
		.sll_halen = ETH_ALEN,
	};
	struct netaddr_arp arp = { 0 };
	int sk, i, ret;

	sk = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETHERTYPE_ARP));
	if (sk < 0)
		return -1;
	ret = netaddr_mac(sk, a, arp.sha);
	arp.hdr.ar_hrd = htons(ARPHRD_ETHER);
	arp.hdr.ar_pro = htons(ETHERTYPE_IP);
	arp.hdr.ar_hln = ETH_ALEN;
	arp.hdr.ar_pln = 4;
	arp.hdr.ar_op = htons(ARPOP_REQUEST);
	memcpy(arp.sip, a->addr, 4);
	memcpy(arp.tip, a->addr, 4);
	memset(to.sll_addr, 0xff, ETH_ALEN);
	for (i = 0; ret > 0 && i < 2; i++) {
		if (i)
			usleep(10000);
		if (sendto(sk, &arp, sizeof(arp), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			ret = -1;
	}
	close(sk);
	return ret < 0 ? -1 : 0;
}

/* An unsolicited neighbour advertisement for @a to all nodes on its device */
static int netaddr_unsolicited_na(const struct ckpt_netaddr *a, int ifindex)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_scope_id = ifindex };
	struct netaddr_na na = { 0 };
	int sk, hops = 255, ret;

	sk = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (sk < 0)
		return -1;
	ret = netaddr_mac(sk, a, na.mac);
	na.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	na.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	memcpy(&na.na.nd_na_target, a->addr, 16);
	na.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
	na.opt.nd_opt_len = 1;
	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	/* Neighbour discovery takes nothing that may have been routed */
	if (ret > 0 &&
	    (setsockopt(sk, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) ||
	     setsockopt(sk, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) ||
	     sendto(sk, &na, sizeof(na), 0, (struct sockaddr *)&to, sizeof(to)) < 0))
		ret = -1;
	close(sk);
	return ret < 0 ? -1 : 0;
}

/*
 * Tell the link that @a is here now; nothing is sent for a device
 * without an Ethernet address.  0, or -1 (said).
 */
int ckpt_netaddr_announce(const struct ckpt_netaddr *a)
{
	int ifindex = netaddr_ifindex(a), ret;

	if (!ifindex)
		return -1;
	if (a->family == AF_INET)
		ret = netaddr_garp(a, ifindex);
	else
		ret = netaddr_unsolicited_na(a, ifindex);
	if (ret)
		ckpt_err("migrate: announcing %s: %s", a->arg, strerror(errno));
	return ret;
}
