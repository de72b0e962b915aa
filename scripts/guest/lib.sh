# SPDX-License-Identifier: GPL-2.0
#
# Functions for the guest's job scripts, at /etc/ckpt-guest.sh in the
# initramfs (scripts/mkinitramfs.sh).

# Let kmemleak look for leaks and print what it found between markers,
# which scripts/check.sh and scripts/torture.sh read from the console.
# Nothing without a kmemleak (the plain kernel).
kmemleak_report() {
	[ -w /sys/kernel/debug/kmemleak ] || return 0
	# An object is reported once two scans found it unreferenced.
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	echo "@@ckpt-kmemleak-begin@@"
	cat /sys/kernel/debug/kmemleak
	echo "@@ckpt-kmemleak-end@@"
}

# run_test NAME COMMAND...: run a test of /selftests/checkpoint between
# the markers scripts/check.sh reads, within TEST_TIMEOUT (600) seconds.
run_test() {
	name=$1
	shift
	echo "@@ckpt-test-begin=$name@@"
	(cd /selftests/checkpoint && timeout "${TEST_TIMEOUT:-600}" "$@")
	echo "@@ckpt-test-end=$name rc=$?@@"
}

# Reboot into the kernel `ckpt kexec` loaded; returns only if that failed.
# The console drains first: kexec does not wait for the terminal.
kexec_next() {
	sleep 1
	ckpt kexec --exec
	echo "$0: no reboot into the next kernel"
}

# The hop of a kexec chain this boot is: N of ckpt.kexec=N on the command
# line (the last one), 0 for ckpt.kexec alone, nothing on a first boot.
kexec_hop() {
	tr ' ' '\n' </proc/cmdline | sed -n 's/^ckpt\.kexec=\([0-9]*\)$/\1/p; s/^ckpt\.kexec$/0/p' | tail -n 1
}
