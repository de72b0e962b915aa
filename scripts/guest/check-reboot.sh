#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the second, short boot of `make check`: the restore half
# of the tests that checkpoint in the first boot (check.sh) into the shared
# directory and restart after a reboot (and the last third of the CPU
# model test, check-cpu.sh being the second).  Then the kernel swap: the first
# half of ckpt_kexec_test.sh saves a container into /dev/pmem0 and loads
# the next kernel (the share's kexec/, put there by qemu-run.sh), this
# script reboots into it with `ckpt kexec --exec`, and the same script, run
# again there (its command line says ckpt.kexec), runs the second half.
# Same markers as check.sh.

[ -f /job.env ] && . /job.env
. /etc/ckpt-guest.sh

if ! grep -q " /mnt/share " /proc/mounts; then
	echo "check-reboot: no shared directory"
elif [ -n "$(kexec_hop)" ]; then
	CKPT_KEXEC_PHASE=restore run_test ckpt_kexec_test.sh-after-kexec ./ckpt_kexec_test.sh
else
	CKPT_NS_REBOOT_DIR=/mnt/share CKPT_NS_PHASE=restore \
		run_test ckpt_ns_test-after-reboot ./ckpt_ns_test -t container_clocks_survive_a_reboot
	CKPT_CPU_PHASE=greater run_test ckpt_cpu_test.sh-greater ./ckpt_cpu_test.sh
	if [ -f /mnt/share/kexec/bzImage ]; then
		CKPT_KEXEC_PHASE=save run_test ckpt_kexec_test.sh ./ckpt_kexec_test.sh
		kexec_next
		# Only if the reboot failed
		echo "@@ckpt-test-begin=ckpt_kexec_test.sh-after-kexec@@"
		echo "1..1"
		echo "not ok 1 ckpt kexec --exec: no reboot into the next kernel"
		echo "@@ckpt-test-end=ckpt_kexec_test.sh-after-kexec rc=1@@"
	fi
fi
echo "@@ckpt-check-end@@"
