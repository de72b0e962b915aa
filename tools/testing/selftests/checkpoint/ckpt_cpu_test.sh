#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Restart onto another CPU model, in three boots of make check (the
# images wait in the shared directory, CKPT_CPU_DIR):
#   CKPT_CPU_PHASE=save       (QEMU -cpu max) save a small container
#                             that counts (ckpt_kexec_ct) into cpu-max.img
#   CKPT_CPU_PHASE=lesser     (-cpu max,avx=off) restarting cpu-max.img is
#                             refused with EOPNOTSUPP naming what this CPU
#                             lacks; save the same kind of container into
#                             cpu-lesser.img
#   CKPT_CPU_PHASE=greater    (-cpu max again) cpu-lesser.img restarts, and
#                             the container counts on
# Prints TAP.

DIR=${CKPT_CPU_DIR:-/mnt/share}
CKPT=$(command -v ckpt || echo /usr/bin/ckpt)
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=ckpt_ct_lib.sh
. "$HERE/ckpt_ct_lib.sh"

# save NAME: start a container, checkpoint it into $DIR/NAME.img, killing it
save() {
	pid=$("$HERE/ckpt_kexec_ct")
	if [ -n "$pid" ] && wait_tick_above "$pid" 60 5 &&
	   "$CKPT" checkpoint "$pid" --kill -o "$DIR/$1.img" >"$DIR/$1.out" 2>&1; then
		ok "a counting container saved on this CPU (has:$(grep -o -w -E 'avx|avx2|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' '))"
	else
		not_ok "a counting container saved on this CPU"
		diag "$DIR/$1.out"
	fi
}

echo "TAP version 13"
case ${CKPT_CPU_PHASE:-} in
save)
	echo "1..1"
	save cpu-max
	;;
lesser)
	echo "1..3"
	if grep -qw avx /proc/cpuinfo; then
		not_ok "this CPU has no AVX (QEMU -cpu max,avx=off)"
	else
		ok "this CPU has no AVX (QEMU -cpu max,avx=off)"
	fi
	"$CKPT" restart -d "$DIR/cpu-max.img" >"$DIR/cpu-max.out" 2>&1
	rc=$?
	if [ $rc != 0 ] && grep -q 'Operation not supported' "$DIR/cpu-max.out" &&
	   grep -q "this CPU lacks" "$DIR/cpu-max.out"; then
		ok "the image of a CPU with AVX is refused, naming what is missing: $(grep -o 'this CPU lacks [^,(]*' "$DIR/cpu-max.out" | head -n 1)"
	else
		not_ok "the image of a CPU with AVX is refused, naming what is missing (status $rc)"
		diag "$DIR/cpu-max.out"
	fi
	save cpu-lesser
	;;
greater)
	echo "1..2"
	pid=$("$CKPT" restart -d "$DIR/cpu-lesser.img" 2>"$DIR/cpu-lesser.out")
	if [ -n "$pid" ]; then
		ok "the image of a CPU without AVX restarts on one with it"
	else
		not_ok "the image of a CPU without AVX restarts on one with it"
		diag "$DIR/cpu-lesser.out"
	fi
	from=$(tick_of "$pid")
	[ -n "$from" ] || from=0
	if [ -n "$pid" ] && wait_tick_above "$pid" 60 $((from + 10)); then
		ok "it counts on"
	else
		not_ok "it counts on"
	fi
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	;;
*)
	echo "1..0 # SKIP CKPT_CPU_PHASE is not set (scripts/check.sh runs its three boots)"
	exit $KSFT_SKIP
	;;
esac
[ "$fails" = 0 ]
