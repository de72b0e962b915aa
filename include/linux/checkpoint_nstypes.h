/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kinds of namespace that the tasks of an image may have of their own.
 *
 * Each line is CKPT_NS(name): its back end provides "const struct
 * ckpt_ns_ops ckpt_ns_<name>_ops" (declared in <linux/checkpoint.h>).  The
 * kind enum, the externs and the table kernel/checkpoint/ns.c walks are
 * generated from this list.
 *
 * The order is the order of their records in the image, and the order in
 * which the restored root enters them (those with contents last).  A kind
 * whose records only its enter operation reads (IPC) must be last: the
 * coordinator reads the others' ahead.
 */
CKPT_NS(uts)
CKPT_NS(time)
CKPT_NS(net)
CKPT_NS(user)
CKPT_NS(cgroup)
CKPT_NS(mnt)
CKPT_NS(ipc)
