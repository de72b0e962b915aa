#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the first boot of `make cross`: the checkpoint half of
# ckpt_ns_test's reboot test, into the shared directory; the second boot,
# of the other kernel, runs check-reboot.sh, the restore half.  Same
# markers as check.sh.

[ -f /job.env ] && . /job.env
. /etc/ckpt-guest.sh

if grep -q " /mnt/share " /proc/mounts; then
	CKPT_NS_REBOOT_DIR=/mnt/share \
		run_test ckpt_ns_test-save ./ckpt_ns_test -t container_clocks_survive_a_reboot
else
	echo "cross-save: no shared directory"
fi
echo "@@ckpt-check-end@@"
