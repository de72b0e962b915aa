/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The status page that every workload keeps at a fixed address and that
 * the bench driver reads (and partly writes) with process_vm_readv/writev.
 */
#ifndef WL_H
#define WL_H

#include <stdint.h>

#define WL_STATUS_ADDR	0x100000000000ul	/* 16 TiB: far from everything */
#define WL_MAGIC	0x7374617473756c77ull	/* "wlstatus" */

struct wl_status {
	uint64_t magic;
	uint64_t ready;		/* 1 once set up */
	uint64_t hb_ns;		/* last heartbeat, CLOCK_REALTIME */
	uint64_t hb_count;
	uint64_t maxgap_ns;	/* longest time between two heartbeats; the
				 * driver zeroes it */
	uint64_t checksum;	/* of the state, taken once set up */
	uint64_t verify_done;	/* bumped after each SIGUSR1 check */
	uint64_t verify_ok;	/* result of the last check */
	uint64_t setup_ns;	/* time the set-up took */
	uint64_t pages;		/* pages written by the set-up */
	uint64_t fds;		/* descriptors opened by the set-up */
	uint64_t procs;		/* processes in the tree (prefork), this one
				 * included; 0: just this one */
	uint64_t readsum;	/* what a prefork child read (so that the
				 * read is not optimised away) */
};

#endif /* WL_H */
