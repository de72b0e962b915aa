#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the first boot of `make cross`: the checkpoint half of
# ckpt_ns_test's reboot test, into the shared directory; the second boot,
# of the other kernel, runs check-reboot.sh, the restore half.  Same
# markers as check.sh.

DIR=/selftests/checkpoint
[ -f /job.env ] && . /job.env
TEST_TIMEOUT=${TEST_TIMEOUT:-600}

if grep -q " /mnt/share " /proc/mounts; then
	export CKPT_NS_REBOOT_DIR=/mnt/share
	t=ckpt_ns_test
	echo "@@ckpt-test-begin=$t-save@@"
	(cd $DIR && timeout "$TEST_TIMEOUT" "./$t" -t container_clocks_survive_a_reboot)
	echo "@@ckpt-test-end=$t-save rc=$?@@"
else
	echo "cross-save: no shared directory"
fi
echo "@@ckpt-check-end@@"
