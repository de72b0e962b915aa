#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kernel swap under a live container: `ckpt kexec` saves a container
# (ckpt_kexec_ct: a timer, a pipe to a child, a memfd, pid and time
# namespaces) into persistent memory (/dev/pmem0, memmap=SIZE!START on
# the command line), reboots into the next kernel with kexec, and there
# `ckpt kexec --restore` brings it back.  It must go on counting from
# where it was, with no tick lost in its pipe, its memfd intact and its
# clocks never going back.
#
# Two halves, one in each kernel (scripts/guest/check-reboot.sh):
#   CKPT_KEXEC_PHASE=save     start the container, save it, load the next
#                             kernel: CKPT_KEXEC_NEXT (CKPT_KEXEC_DIR/bzImage)
#                             with CKPT_KEXEC_DIR/initrd and this command
#                             line plus CKPT_KEXEC_ARG ("ckpt.kexec"); the
#                             caller then runs `ckpt kexec --exec`
#   CKPT_KEXEC_PHASE=restore  restore it and check it
#   CKPT_KEXEC_PHASE=hop      restore it, check it, and save it again for
#                             the next kernel, as save does (make cross:
#                             plain -> other -> plain)
# CKPT_KEXEC_MIB: memory the container fills, checked after the restore.
# CKPT_KEXEC_MAX_STEP_MS: see MAX_STEP below.
# Prints TAP.

STORE=${CKPT_KEXEC_STORE:-/dev/pmem0}
DIR=${CKPT_KEXEC_DIR:-/mnt/share/kexec}
NEXT=${CKPT_KEXEC_NEXT:-$DIR/bzImage}
ARG=${CKPT_KEXEC_ARG:-ckpt.kexec}
MIB=${CKPT_KEXEC_MIB:-0}
# The largest step of the container's CLOCK_MONOTONIC allowed across the
# swap: the downtime must not show; what restart(2) itself takes does
# (its offsets are set as it begins), seconds for a large container.
MAX_STEP=${CKPT_KEXEC_MAX_STEP_MS:-5000}
HERE=$(cd "$(dirname "$0")" && pwd)
CKPT=$(command -v ckpt || echo /usr/bin/ckpt)
# shellcheck source=ckpt_ct_lib.sh
. "$HERE/ckpt_ct_lib.sh"

echo "TAP version 13"
if [ ! -b "$STORE" ]; then
	echo "1..0 # SKIP no $STORE (boot with memmap=SIZE!START and CONFIG_BLK_DEV_PMEM)"
	exit $KSFT_SKIP
fi

# Start a container (unless $1 is one), save it, load the next kernel
save_half() {
	pid=$1
	[ -n "$pid" ] || pid=$("$HERE/ckpt_kexec_ct" "$MIB")
	sleep 0.2
	from=$(tick_of "$pid")
	[ -n "$from" ] || from=0
	if [ -n "$pid" ] && wait_tick_above "$pid" 120 $((from + 10)); then
		ok "the container counts: $(status_of "$pid")"
	else
		not_ok "the container counts (pid '$pid': $(status_of "$pid"))"
	fi
	if [ ! -f "$NEXT" ]; then
		not_ok "no next kernel: $NEXT"
		return
	fi
	if "$CKPT" kexec --store "$STORE" --kernel "$NEXT" --initrd "$DIR/initrd" \
		--append "$(cat /proc/cmdline) $ARG" --no-exec "$pid" >"$DIR/save.out" 2>&1; then
		ok "ckpt kexec saved it and loaded $(basename "$NEXT")"
	else
		not_ok "ckpt kexec saved it and loaded $(basename "$NEXT")"
	fi
	diag "$DIR/save.out"
	if gone "$pid" 5; then
		ok "the container is gone from this kernel"
	else
		not_ok "the container is gone from this kernel"
	fi
	if "$CKPT" kexec --list --store "$STORE" >"$DIR/list.out" 2>&1 &&
	   grep -q "^  0  pid $pid (ckpt_kexec_ct): [0-9]* bytes at 4096" "$DIR/list.out"; then
		ok "the store names the container: $(sed -n 2p "$DIR/list.out")"
	else
		not_ok "the store names the container"
		diag "$DIR/list.out"
	fi
}

# Restore the container and check it; kill it unless $1 is "keep"
restore_half() {
	if "$CKPT" kexec --restore --store "$STORE" >"$DIR/restore.out" 2>&1; then
		ok "ckpt kexec --restore in the next kernel ($(uname -r) built $(uname -v | sed 's/.*SMP //'))"
	else
		not_ok "ckpt kexec --restore in the next kernel ($(uname -r))"
	fi
	diag "$DIR/restore.out"
	pid=$(sed -n 's/^restored [0-9]* (.*) as \([0-9]*\)$/\1/p' "$DIR/restore.out")
	first=$(tick_of "$pid")
	if [ -n "$first" ] && [ "$first" -gt 10 ]; then
		ok "it comes back at tick $first, not from zero"
	else
		not_ok "it comes back with its count (pid '$pid', tick '$first')"
	fi
	if [ -n "$first" ] && wait_tick_above "$pid" 30 $((first + 20)); then
		ok "it goes on counting: $(status_of "$pid")"
	else
		not_ok "it goes on counting: $(status_of "$pid")"
	fi
	case $(status_of "$pid") in
	*" ok "*) ok "no tick lost in its pipe, its memfd intact, its clocks never back" ;;
	*) not_ok "no tick lost in its pipe, its memfd intact, its clocks never back" ;;
	esac
	# Its time namespace hides the downtime: no step of the reboot's length
	step=$(status_of "$pid" | awk '{ for (i = 1; i < NF; i++) if ($i == "max_step_ms") print $(i + 1) }')
	if [ -n "$step" ] && [ "$step" -lt "$MAX_STEP" ]; then
		ok "its CLOCK_MONOTONIC went on from where it was (largest step $step ms)"
	else
		not_ok "its CLOCK_MONOTONIC went on from where it was (largest step '$step' ms)"
	fi
	if [ "$MIB" -gt 0 ]; then
		kill -USR1 "$pid" 2>/dev/null
		i=0
		while [ "$i" -lt 600 ] && status_of "$pid" | grep -q " mem filled"; do
			sleep 0.1
			i=$((i + 1))
		done
		if status_of "$pid" | grep -q " mem same"; then
			ok "its $MIB MiB are what it wrote"
		else
			not_ok "its $MIB MiB are what it wrote: $(status_of "$pid")"
		fi
	fi
	if "$CKPT" kexec --restore --store "$STORE" >/dev/null 2>&1; then
		not_ok "a second restore finds nothing to restore"
	else
		ok "a second restore finds nothing to restore"
	fi
	[ "$1" = keep ] && return
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	if [ -n "$pid" ] && gone "$pid" 5; then
		ok "the container is gone when killed"
	else
		not_ok "the container is gone when killed"
	fi
}

restores=7
[ "$MIB" -gt 0 ] && restores=8
case ${CKPT_KEXEC_PHASE:-} in
save)
	echo "1..4"
	save_half
	;;
restore)
	echo "1..$restores"
	restore_half
	;;
hop)
	echo "1..$((restores - 1 + 4))"
	restore_half keep
	save_half "$pid"
	;;
*)
	echo "1..0 # SKIP CKPT_KEXEC_PHASE is not set (scripts/guest/check-reboot.sh runs both halves)"
	exit $KSFT_SKIP
	;;
esac
[ "$fails" = 0 ]
