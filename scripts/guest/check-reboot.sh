#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the second, short boot of `make check`: the restore half
# of the tests that checkpoint in the first boot (check.sh) into the shared
# directory and restart after a reboot.  Same markers as check.sh.

DIR=/selftests/checkpoint
[ -f /job.env ] && . /job.env
TEST_TIMEOUT=${TEST_TIMEOUT:-600}

if grep -q " /mnt/share " /proc/mounts; then
	export CKPT_NS_REBOOT_DIR=/mnt/share CKPT_NS_PHASE=restore
	t=ckpt_ns_test
	echo "@@ckpt-test-begin=$t-after-reboot@@"
	(cd $DIR && timeout "$TEST_TIMEOUT" "./$t" -t container_clocks_survive_a_reboot)
	echo "@@ckpt-test-end=$t-after-reboot rc=$?@@"
else
	echo "check-reboot: no shared directory"
fi
echo "@@ckpt-check-end@@"
