#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu-run.sh plain|debug JOBSCRIPT
#
# Boot a kernel in QEMU with the base initramfs plus JOBSCRIPT as /job.sh,
# save the serial console to $LOG, and exit with the job's exit status as
# the guest reported it (scripts/guest/init).  A guest that does not
# report one (timeout, panic, hang) makes this exit with 125.
#
# Environment:
#   LOG=FILE        console log (default $WORK/<config>-<job>.log)
#   TIMEOUT=S       hard limit on the whole QEMU run (default 600)
#   BOOT_TIMEOUT=S  a guest whose init has not started the job after S
#                   seconds (default 240; 0: no limit) is stopped and
#                   booted again, up to BOOT_TRIES times in all (default 2)
#   SHOW=job|all|none  what to print while it runs: the job's part of the
#                   console (default), everything (V=1), nothing
#   PREFIX=STR      put before every line shown
#   SHARE=DIR       host directory mounted at /mnt/share over 9p
#   KEXEC=1         and the kernel and the initrd of this boot in its kexec/,
#                   for `ckpt kexec` to the same kernel and job
#   CMD_FILE, JOB_ENV_FILE  become /job.cmd and /job.env in the guest
#   APPEND=...      more kernel command line
#   INTERACTIVE=1   the terminal is the guest's console, no time limit
#   KVM=1           use KVM instead of TCG; SMP=N, MEM=SIZE
#   QEMU_CPU=MODEL  the CPU model instead of max,la57=off (KVM: host)
#   KERNEL=FILE     boot this bzImage instead of the config's (another tree's)
#   INITRAMFS=FILE  and this base initramfs instead of $WORK/initramfs.cpio.gz

. "$(dirname "$0")/lib.sh"

config=${1:?usage: qemu-run.sh plain|debug JOBSCRIPT}
job=${2:?usage: qemu-run.sh plain|debug JOBSCRIPT}
kernel=${KERNEL:-$(obj_dir "$config")/arch/x86/boot/bzImage}
base=${INITRAMFS:-$WORK/initramfs.cpio.gz}
LOG=${LOG:-$WORK/$config-$(basename "$job" .sh).log}
TIMEOUT=${TIMEOUT:-600}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-240}
BOOT_TRIES=${BOOT_TRIES:-2}
SHOW=${SHOW:-job}
[ "$V" = 1 ] && SHOW=all
SMP=${SMP:-2}
MEM=${MEM:-2G}

[ -f "$kernel" ] || die "$kernel missing: make kernel CONFIG=$config"
[ -f "$base" ] || die "$base missing: make initramfs"

tmp=$(mktemp -d "$WORK/qemu.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$TOP/scripts/mkinitramfs.sh" job "$tmp/job.cpio.gz" "$job" \
	"${CMD_FILE:-}" "${JOB_ENV_FILE:-}"
cat "$base" "$tmp/job.cpio.gz" >"$tmp/initrd"
if [ "${KEXEC:-0}" = 1 ]; then
	[ -d "${SHARE:-}" ] || die "KEXEC=1 needs SHARE=DIR"
	mkdir -p "$SHARE/kexec"
	cp "$kernel" "$SHARE/kexec/bzImage"
	cp "$tmp/initrd" "$SHARE/kexec/initrd"
fi

# pci=noacpi: PCI interrupts are routed by the BIOS's table, not by ACPI's
# _PRT and link devices, whose AML takes a debug kernel under TCG some
# 12 s to evaluate at each boot (and now and then times out); virtio uses
# MSI-X anyway.
append="console=ttyS0 panic=-1 rdinit=/init pci=noacpi ${APPEND:-}"
qemu=(qemu-system-x86_64)
if [ "${KVM:-0}" = 1 ]; then
	qemu+=(-accel kvm -cpu "${QEMU_CPU:-host}")
else
	# -cpu max: XSAVE, AVX and friends, so that the FPU state that
	# checkpoint saves is the interesting one.  Without LA57: with
	# 5-level paging, an interrupt during identify_cpu() at boot now and
	# then makes KASAN report a wild access in handle_edge_irq().
	qemu+=(-accel tcg -cpu "${QEMU_CPU:-max,la57=off}")
fi
qemu+=(-smp "$SMP" -m "$MEM" -nographic -no-reboot -nic none
	-kernel "$kernel" -initrd "$tmp/initrd")
if [ -n "${SHARE:-}" ]; then
	[ -d "$SHARE" ] || die "SHARE=$SHARE is not a directory"
	qemu+=(-virtfs "local,path=$(cd "$SHARE" && pwd),mount_tag=share,security_model=none,id=share")
	append+=" ckpt.share"
fi
qemu+=(-append "$append")

[ "$V" = 1 ] && echo "${qemu[*]}" >&2
msg QEMU "$config kernel, job $(basename "$job"), log ${LOG#"$TOP"/}"

# mawk reads a pipe in large blocks unless told otherwise: the boot watch
# below would not see the job begin while the console is quiet (the bench).
awk_opts=()
awk -W version 2>&1 | grep -q mawk && awk_opts=(-W interactive)

# Copy the console to the log without carriage returns, showing what SHOW
# asks for as it comes.
console_filter() {
	awk "${awk_opts[@]}" -v logfile="$tmp/console.log" -v show="$SHOW" -v prefix="${PREFIX:-}" '
	{
		gsub(/\r/, "")
		print > logfile
		fflush(logfile)
		if (index($0, "@@ckpt-job-begin@@")) {
			injob = 1
			next
		}
		# A kernel started by kexec from the job: its boot is not the job
		if ($0 ~ /\] Linux version [0-9]/)
			injob = 0
		if (index($0, "@@ckpt-job-exit=")) {
			injob = 0
			if (show != "all")
				next
		}
		if (show == "all" || (show == "job" && injob)) {
			print prefix $0
			fflush()
		}
	}'
}

# Stop a guest whose job has not begun after BOOT_TIMEOUT seconds.  Now
# and then a debug kernel under TCG on a loaded host does not get there:
# ACPI's _PRT method times out (AE_AML_LOOP_TIMEOUT) and a device's
# interrupt never comes, or the boot stops after PCI enumeration.  The
# job has not started then, so booting again is safe.
watch_boot() {
	local i
	for ((i = 0; i < BOOT_TIMEOUT; i++)); do
		sleep 1
		grep -q -a '@@ckpt-job-begin@@' "$tmp/console.log" 2>/dev/null && return 0
	done
	touch "$tmp/boot-hung"
	[ -f "$tmp/qemu.pid" ] && kill "$(cat "$tmp/qemu.pid")" 2>/dev/null
	return 0
}

set +e
if [ "${INTERACTIVE:-0}" = 1 ]; then
	"${qemu[@]}" | console_filter
	qemu_rc=${PIPESTATUS[0]}
else
	for ((try = 1; ; try++)); do
		rm -f "$tmp/boot-hung" "$tmp/qemu.pid" "$tmp/console.log"
		watcher=
		if [ "$BOOT_TIMEOUT" -gt 0 ]; then
			watch_boot &
			watcher=$!
		fi
		timeout -k 10 "$TIMEOUT" "${qemu[@]}" -pidfile "$tmp/qemu.pid" \
			</dev/null 2>&1 | console_filter
		qemu_rc=${PIPESTATUS[0]}
		if [ -n "$watcher" ]; then
			kill "$watcher" 2>/dev/null
			wait "$watcher" 2>/dev/null
		fi
		[ -f "$tmp/boot-hung" ] && [ "$try" -lt "$BOOT_TRIES" ] || break
		cp "$tmp/console.log" "$LOG.hung$try"
		echo "warning: the guest did not reach its job within" \
			"BOOT_TIMEOUT=$BOOT_TIMEOUT s (console: ${LOG#"$TOP"/}.hung$try): booting again" >&2
	done
fi
set -e

# The log is written privately and copied: concurrent runs (several
# developers, one build/) must each read their own guest's status.
cp "$tmp/console.log" "$LOG"
rc=$(grep -a -o '@@ckpt-job-exit=[0-9]*@@' "$tmp/console.log" | tail -n 1 | tr -dc 0-9)
if [ -z "$rc" ]; then
	if [ -f "$tmp/boot-hung" ]; then
		echo "error: the guest did not reach its job within BOOT_TIMEOUT=$BOOT_TIMEOUT s, $BOOT_TRIES times" >&2
	elif [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
		echo "error: the guest did not finish within TIMEOUT=$TIMEOUT s" >&2
	else
		echo "error: the guest stopped without reporting (QEMU status $qemu_rc)" >&2
	fi
	if [ "$SHOW" != all ]; then
		echo "--- last lines of ${LOG#"$TOP"/}:" >&2
		tail -n 40 "$tmp/console.log" >&2
	fi
	exit 125
fi
exit "$rc"
