#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make check`'s boot on a lesser CPU (QEMU -cpu max,avx=off),
# between the first boot and the reboot: the image a CPU with AVX wrote is
# refused by name, and one written here restarts in the next boot.  Same
# markers as check.sh.

[ -f /job.env ] && . /job.env
. /etc/ckpt-guest.sh

if grep -q " /mnt/share " /proc/mounts; then
	CKPT_CPU_PHASE=lesser run_test ckpt_cpu_test.sh-lesser ./ckpt_cpu_test.sh
else
	echo "check-cpu: no shared directory"
fi
echo "@@ckpt-check-end@@"
