#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of bench/kexec.sh: ckpt kexec's downtime, from the first
# freeze to the end of the restore, for a container of 64 MiB and then
# one of 1 GiB, each moved by kexec into a new boot of the same kernel.
# ckpt_kexec_test.sh does the work and checks the container each time;
# its "downtime" lines are the measurements.  Same markers as check.sh.

. /etc/ckpt-guest.sh
# The time restart(2) takes shows in the container's CLOCK_MONOTONIC:
# seconds for 1 GiB under TCG (kexec.md reports the largest step)
export CKPT_KEXEC_DIR=/mnt/share/kexec TEST_TIMEOUT=900 CKPT_KEXEC_MAX_STEP_MS=60000

hop=$(kexec_hop)
if ! grep -q " /mnt/share " /proc/mounts; then
	echo "kexec-bench: no shared directory"
elif [ -z "$hop" ]; then
	CKPT_KEXEC_PHASE=save CKPT_KEXEC_MIB=64 CKPT_KEXEC_ARG=ckpt.kexec=1 \
		run_test kexec-64m-save ./ckpt_kexec_test.sh
	kexec_next
elif [ "$hop" = 1 ]; then
	CKPT_KEXEC_PHASE=restore CKPT_KEXEC_MIB=64 run_test kexec-64m-restore ./ckpt_kexec_test.sh
	CKPT_KEXEC_PHASE=save CKPT_KEXEC_MIB=1024 CKPT_KEXEC_ARG=ckpt.kexec=2 \
		run_test kexec-1g-save ./ckpt_kexec_test.sh
	kexec_next
else
	CKPT_KEXEC_PHASE=restore CKPT_KEXEC_MIB=1024 run_test kexec-1g-restore ./ckpt_kexec_test.sh
fi
echo "@@ckpt-check-end@@"
