#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make cross`: restart on another kernel.  A container (pid and UTS
# namespaces, an init that reads its clocks through the vDSO every 5 ms,
# a sleeping child) is checkpointed in a boot of one of our three kernels
# and restarted in a boot of another, for each pair both ways.  The debug
# build differs from the plain one in configuration (KASAN, lockdep: other
# struct layouts) and in its vDSO's bytes; the third, "other", is the plain
# one without KVM guest support, whose vDSO has its entry points at other
# offsets.  Every restart goes through the vDSO proxy.  Last, the kernel
# swap: ckpt kexec moves a container from plain to other and back, by
# kexec, in one run.  Writes bench/results/cross.md; exits 1 if a pair
# failed.
#
# Environment: KVM=1.

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

RESULTS=$TOP/bench/results
OUT=$RESULTS/cross.md
SHARE_DIR=$WORK/cross-share
failed=0

vdso_desc() {
	local so=$WORK/obj-$1/arch/x86/entry/vdso/vdso64.so

	echo "$1 $(md5sum <"$so" | cut -c1-12)" \
		"$(nm -D "$so" | sed -n 's/^0*\([0-9a-f]*\) T __vdso_clock_gettime.*/0x\1/p')"
}

# boot CONFIG JOB LOG: one boot of kernel CONFIG running guest script JOB
boot() {
	LOG=$3 TIMEOUT=600 SHOW=none SHARE=$SHARE_DIR \
		"$TOP/scripts/qemu-run.sh" "$1" "$TOP/scripts/guest/$2" >/dev/null 2>&1
}

# The status of test $2 in console $1, and its "ok"/"not ok" lines
result_of() {
	local rc

	rc=$(sed -n "s/.*@@ckpt-test-end=$2 rc=\([0-9]*\)@@.*/\1/p" "$1")
	[ "$rc" = 0 ] && ! grep -aq '^not ok' <(sed -n "/@@ckpt-test-begin=$2@@/,/@@ckpt-test-end=$2 /p" "$1")
}

# Upgrade and downgrade by ckpt kexec, plain -> other -> plain, in one
# QEMU run (guest/cross-kexec.sh); the images wait in 256 MiB of pmem
kexec_chain() {
	local log=$WORK/cross-kexec.log t res=yes reports

	rm -rf "$SHARE_DIR"
	mkdir -p "$SHARE_DIR/kexec"
	cp "$(obj_dir other)/arch/x86/boot/bzImage" "$SHARE_DIR/kexec/other.bzImage"
	LOG=$log TIMEOUT=900 SHOW=none SHARE=$SHARE_DIR KEXEC=1 APPEND='memmap=256M!1536M' \
		"$TOP/scripts/qemu-run.sh" plain "$TOP/scripts/guest/cross-kexec.sh" >/dev/null 2>&1
	for t in kexec-plain-to-other kexec-other-to-plain kexec-back-on-plain; do
		result_of "$log" $t || res=no
	done
	reports=$(kernel_reports "$log" 2>/dev/null | grep -c . || true)
	[ $res = yes ] && [ "$reports" = 0 ] || failed=1
	echo "| plain -> other -> plain, by ckpt kexec | $res | $res | $reports |"
	kexec_downtimes=$(grep -a -o 'downtime [0-9]* ms: .*' "$log")
}

# pair FROM TO: checkpoint in FROM's boot, restart in TO's
pair() {
	local from=$1 to=$2 log1=$WORK/cross-$1-save.log log2=$WORK/cross-$2-restore.log
	local saved=no restored=no reports

	rm -rf "$SHARE_DIR"
	mkdir -p "$SHARE_DIR"
	boot "$from" cross-save.sh "$log1"
	result_of "$log1" ckpt_ns_test-save && saved=yes
	if [ $saved = yes ]; then
		boot "$to" check-reboot.sh "$log2"
		result_of "$log2" ckpt_ns_test-after-reboot && restored=yes
	fi
	reports=$(kernel_reports "$log1" "$log2" 2>/dev/null | grep -c . || true)
	[ $saved = yes ] && [ $restored = yes ] && [ "$reports" = 0 ] || failed=1
	echo "| $from -> $to | $saved | $restored | $reports |"
}

mkdir -p "$RESULTS"
t0=$(date +%s)
{
	echo "# Restart on another kernel (make cross)"
	echo
	echo "ckpt_ns_test's container_clocks_survive_a_reboot: its container is"
	echo "checkpointed in a boot of one kernel and restarted in a boot of"
	echo "another; scripts/cross.sh, configs/other.config."
	echo
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- Tree: $(tree_desc)"
	echo "- vDSO (md5 of vdso64.so, then clock_gettime's offset): $(vdso_desc plain);" \
		"$(vdso_desc debug); $(vdso_desc other)"
	echo
	echo "| Kernels | Checkpointed | Restarted, clocks go on | Kernel reports |"
	echo "|---|---|---|---|"
	pair plain debug
	pair debug plain
	pair plain other
	pair other plain
	pair debug other
	pair other debug
	kexec_chain
	echo
	echo "ckpt kexec's downtimes (a container of 64 MiB; CLOCK_REALTIME, whose"
	echo "resolution across a reboot is the RTC's second), other, then plain:"
	echo
	printf '%s\n' "$kexec_downtimes" | sed 's/^/- /'
	echo
	echo "Guest runs: $(($(date +%s) - t0)) s; consoles: ${WORK#"$TOP"/}/cross-*.log"
} >"$OUT.new"
mv "$OUT.new" "$OUT"
cat "$OUT"
exit $failed
