#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make cross`'s kernel swap, upgrade and downgrade in one
# QEMU run: in the plain kernel, ckpt_kexec_test.sh saves a container
# (64 MiB of memory) into /dev/pmem0 and this script kexecs into the
# "other" kernel; there, run again (the command line says ckpt.kexec=1),
# it restores the container, checks it, saves it and kexecs back into the
# plain kernel (ckpt.kexec=2), which restores it a last time.  Same
# markers as check.sh.

K=/mnt/share/kexec
[ -f /job.env ] && . /job.env
. /etc/ckpt-guest.sh
export CKPT_KEXEC_DIR=$K CKPT_KEXEC_MIB=64

hop=$(kexec_hop)
if ! grep -q " /mnt/share " /proc/mounts; then
	echo "cross-kexec: no shared directory"
elif [ -z "$hop" ]; then
	CKPT_KEXEC_PHASE=save CKPT_KEXEC_NEXT=$K/other.bzImage CKPT_KEXEC_ARG=ckpt.kexec=1 \
		run_test kexec-plain-to-other ./ckpt_kexec_test.sh
	kexec_next
elif [ "$hop" = 1 ]; then
	CKPT_KEXEC_PHASE=hop CKPT_KEXEC_NEXT=$K/bzImage CKPT_KEXEC_ARG=ckpt.kexec=2 \
		run_test kexec-other-to-plain ./ckpt_kexec_test.sh
	kexec_next
else
	CKPT_KEXEC_PHASE=restore run_test kexec-back-on-plain ./ckpt_kexec_test.sh
fi
echo "@@ckpt-check-end@@"
