#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/kexec.sh: the downtime of `ckpt kexec` for a container of 64 MiB
# and one of 1 GiB (ckpt_kexec_ct), each saved into persistent memory
# (1200 MiB of memmap= pmem in a 4 GiB guest), moved by kexec into a new
# boot of the plain kernel and restored there; bench/kexec-guest.sh.
# Writes bench/results/kexec.md (BENCH_RESULTS=dir elsewhere); make bench
# runs it last.  Environment: KVM=1, NO_BUILD=1.

. "$(dirname "$0")/../scripts/lib.sh"

RESULTS=${BENCH_RESULTS:-$TOP/bench/results}
SHARE=$WORK/bench-kexec
LOG=$WORK/bench-kexec.log

if [ "${NO_BUILD:-0}" != 1 ]; then
	make -s -C "$TOP" --no-print-directory kernel CONFIG=plain initramfs
fi
rm -rf "$SHARE"
mkdir -p "$SHARE/kexec" "$RESULTS"
t0=$(date +%s)
LOG=$LOG MEM=4G TIMEOUT=1800 SHOW=none SHARE=$SHARE KEXEC=1 APPEND='memmap=1200M!1600M' \
	"$TOP/scripts/qemu-run.sh" plain "$TOP/bench/kexec-guest.sh" >/dev/null 2>&1
status=$?

# downtime D ms: checkpoint C ms, reboot R ms, restart S ms
row() {
	local d

	d=$(sed -n "/@@ckpt-test-begin=kexec-$1-restore@@/,/@@ckpt-test-end=kexec-$1-restore /p" "$LOG" |
		grep -a -o 'downtime [0-9]* ms: .*' | head -n 1)
	if [ -z "$d" ]; then
		echo "| $2 | failed | | | |"
		return 1
	fi
	echo "$d" | awk -v what="$2" '{ print "| " what " | " $2 " | " $5 " | " $8 " | " $11 " |" }'
}

fails=0
{
	echo "# Kernel swap downtime (ckpt kexec)"
	echo
	echo "bench/kexec.sh: a container (ckpt_kexec_ct: a timer, a pipe, a memfd,"
	echo "pid and time namespaces, and its memory of pseudo-random words) is"
	echo "saved into /dev/pmem0 (memmap=1200M!1600M), the plain kernel kexecs"
	echo "into itself, and the next boot restores it and checks it. Milliseconds"
	echo "of CLOCK_REALTIME, from the first freeze to the end of restart(2): its"
	echo "resolution across the reboot is the RTC's, one second."
	echo
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); tree $(tree_desc)"
	echo "- Guest: QEMU $([ "${KVM:-0}" = 1 ] && echo KVM || echo TCG), 2 vCPUs, 4 GiB; $(grep -a -m1 'Linux version' "$LOG" | sed 's/.*Linux version \([^ ]*\).*/\1/')"
	echo
	echo "| Container | Downtime | Checkpoint | Reboot (kexec, boot, init) | Restart |"
	echo "|---|---|---|---|---|"
	row 64m "64 MiB" || fails=1
	row 1g "1 GiB" || fails=1
	echo
	echo "Every check of the container after each restore:"
	echo
	for t in kexec-64m-restore kexec-1g-restore; do
		sed -n "/@@ckpt-test-begin=$t@@/,/@@ckpt-test-end=$t /p" "$LOG" |
			grep -a -E '^(not )?ok ' | sed "s/ *$//; s/^/- $t: /"
	done
	echo
	echo "What bounds it under TCG: the reboot is the kernel's boot and the"
	echo "init's, about 5 s; the checkpoint and the restart of 1 GiB copy it"
	echo "twice each way, through the block device's page cache and into or"
	echo "out of the pmem, at TCG's memcpy speed (DAX would save a copy). The"
	echo "container's CLOCK_MONOTONIC shows the restart's own time as one step"
	echo "(kexec.rst). On real hardware KUP (USENIX ATC'16) took about 3 s for"
	echo "32 GB: a boot of a second or two, and copies at memory bandwidth."
	echo
	echo "Guest run: $(($(date +%s) - t0)) s (QEMU status $status); console: ${LOG#"$TOP"/}"
} >"$RESULTS/kexec.md.new"
mv "$RESULTS/kexec.md.new" "$RESULTS/kexec.md"
cat "$RESULTS/kexec.md"
exit $fails
