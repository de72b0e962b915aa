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
