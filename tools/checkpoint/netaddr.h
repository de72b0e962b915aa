/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netaddr.c: the addresses that move with a tree (ckpt migrate --addr),
 * added, announced and deleted over rtnetlink in the caller's network
 * namespace.
 */
#ifndef CKPT_NETADDR_H
#define CKPT_NETADDR_H

#include <stdbool.h>
#include <net/if.h>

/* One ADDR/PREFIX@DEV */
struct ckpt_netaddr {
	const char *arg;		/* as given, for the messages */
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network byte order, 4 or 16 bytes used */
	unsigned int prefix;
	char dev[IF_NAMESIZE];
};

int ckpt_netaddr_parse(const char *arg, struct ckpt_netaddr *a);
int ckpt_netaddr_add(const struct ckpt_netaddr *a);
int ckpt_netaddr_del(const struct ckpt_netaddr *a);
int ckpt_netaddr_announce(const struct ckpt_netaddr *a);

#endif /* CKPT_NETADDR_H */
