#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: host tests, the builds, then the selftests in the debug
# kernel under QEMU.  Prints TAP; the last line is "N passed, N failed";
# exits non-zero if anything failed.
#
# Counting:
# - every TAP result of a test program is one test; "# SKIP" results count
#   as neither passed nor failed (they are listed as skipped);
# - a selftest binary that exits non-zero without a "not ok" line is one
#   failure (exit status 4, KSFT_SKIP, without results is a skip), and one
#   that prints no TAP at all but exits 0 is one pass; one that printed
#   fewer results than its plan ("1..N") was cut short: one more failure;
# - a guest that does not finish (timeout, panic), and any kernel report
#   in its console (oops, BUG, WARNING, KASAN, lockdep, kmemleak) fail.
#
# The guest boots twice, with a host directory shared at /mnt/share: tests
# that must survive a reboot checkpoint into it in the first boot, and the
# second, short boot (guest/check-reboot.sh) restarts what they saved; its
# TAP counts like the first's.
#
# Environment: CHECK_TIMEOUT (whole QEMU run, default 2400 s),
# TEST_TIMEOUT (each selftest binary; default: the timeout= of the
# selftests' settings file, else 600 s), KVM=1, V=1.

. "$(dirname "$0")/lib.sh"

CHECK_TIMEOUT=${CHECK_TIMEOUT:-2400}
TEST_TIMEOUT=${TEST_TIMEOUT:-}
GUEST_LOG=$WORK/check-guest.log
GUEST_LOG2=$WORK/check-guest-reboot.log
GUEST_LOG_CPU=$WORK/check-guest-cpu.log
BUILD_LOG=$WORK/check-build.log

n=0
passed=0
failed=0
skipped=0

ok() {
	n=$((n + 1)) passed=$((passed + 1))
	echo "ok $n $*"
}

not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n $*"
}

skip() {
	n=$((n + 1)) skipped=$((skipped + 1))
	echo "ok $n $1 # SKIP $2"
}

diag() { sed -e 's/^/# /'; }

# Take the TAP results of a test program (on stdin) into our count, with
# NAME: in front of their descriptions.
# A failure is followed by the last lines its program printed before it
# (the harness's "file.c:LINE: Expected ..." and TH_LOG lines), so the
# reason shows in the output of a CI run, not only in the guest's log.
take_tap() {
	local name=$1 line desc nots=0 before=()

	while IFS= read -r line; do
		case $line in
		"ok "[0-9]* | "not ok "[0-9]*) ;;
		*)
			before+=("$line")
			[ ${#before[@]} -le 20 ] || before=("${before[@]:1}")
			continue
			;;
		esac
		desc=$(sed -E 's/^(not )?ok [0-9]+ ?(- )?//' <<<"$line")
		if [[ $line == "not ok"* ]]; then
			not_ok "$name: $desc"
			[ ${#before[@]} = 0 ] || printf '%s\n' "${before[@]}" | diag
			nots=$((nots + 1))
		elif [[ $desc == *"# SKIP"* ]]; then
			skip "$name: ${desc%%# SKIP*}" "${desc#*# SKIP}"
		else
			ok "$name: $desc"
		fi
		before=()
	done
	return "$nots"
}

elapsed() { echo "# $1: $(($(date +%s) - $2)) s"; }

start_all=$(date +%s)
echo "TAP version 13"
: >"$BUILD_LOG"

# --- host tests ---------------------------------------------------------------

t0=$(date +%s)
if "$TOP/scripts/prepare-tree.sh" >>"$BUILD_LOG" 2>&1; then
	ok "host: patches/series applies to $(base_description)"
else
	not_ok "host: patches/series applies to the pristine tree"
	tail -n 20 "$BUILD_LOG" | diag
	echo "# without a tree nothing else can be tested"
	echo "$passed passed, $failed failed"
	exit 1
fi

# checkpatch --strict is the bar for every C file of ours: any ERROR,
# WARNING or CHECK fails that file.
# Userspace (tools/, selftests, scripts/) is checked too, less the rules
# that only make sense in the kernel: no BIT() or __printf() there,
# volatile sig_atomic_t is how C signal handlers talk, PRIx64 is no
# CamelCase, and a tool must handle ENOSYS from an old kernel.  The tools
# expand the uapi record list (__CKPT_REC_MAPPER) into prototypes, names
# and switch cases, which the macro rules cannot tell from mistakes.
USER_IGNORE=BIT_MACRO,VOLATILE,CAMELCASE,ENOSYS,PREFER_DEFINED_ATTRIBUTE_MACRO
USER_IGNORE+=,MACRO_ARG_UNUSED,TRAILING_SEMICOLON,MACRO_WITH_FLOW_CONTROL,BRACKET_SPACE
while read -r f; do
	case "$f" in
	tools/*|scripts/*) ignore="--ignore $USER_IGNORE" ;;
	*) ignore= ;;
	esac
	# shellcheck disable=SC2086
	out=$(cd "$TOP" && perl "$SRC/scripts/checkpatch.pl" --strict --no-tree \
		$ignore --show-types --terse --no-summary -f "$f" 2>&1 || true)
	if grep -qE ': (ERROR|WARNING|CHECK):' <<<"$out"; then
		not_ok "checkpatch: $f ($(grep -cE ': (ERROR|WARNING|CHECK):' <<<"$out"))"
		diag <<<"$out"
	else
		ok "checkpatch: $f"
	fi
done < <({
	list_overlay_files
	echo scripts/demo-counter.c
} | grep -E '\.[ch]$')

if "$TOP/scripts/patches.sh" check >"$WORK/check-patches.log" 2>&1; then
	ok "host: $(tail -n 1 "$WORK/check-patches.log")"
else
	not_ok "host: the generated series applies with git am (make patches-check)"
	tail -n 20 "$WORK/check-patches.log" | diag
fi
elapsed "host tests" "$t0"

# --- builds -------------------------------------------------------------------

# build NAME COMMAND...: one test; status 77 is a skip.
build() {
	local name=$1 rc t

	t=$(date +%s)
	shift
	echo "=== $name" >>"$BUILD_LOG"
	"$@" >>"$BUILD_LOG" 2>&1
	rc=$?
	case $rc in
	0) ok "build: $name ($(($(date +%s) - t)) s)" ;;
	77) skip "build: $name" "$(tail -n 1 "$BUILD_LOG")" ;;
	*)
		not_ok "build: $name (log: ${BUILD_LOG#"$TOP"/})"
		tail -n 30 "$BUILD_LOG" | diag
		;;
	esac
	return "$rc"
}

set +e
build "debug kernel" make -C "$TOP" --no-print-directory kernel CONFIG=debug
kernel_rc=$?
build "ckpt tool" "$TOP/scripts/build-user.sh" ckpt
build "selftests" "$TOP/scripts/build-user.sh" selftests
build "demo-counter" "$TOP/scripts/build-user.sh" demo
build "initramfs" "$TOP/scripts/mkinitramfs.sh" base "$WORK/initramfs.cpio.gz"
initramfs_rc=$?
set -e

# Host-side tests of the ckpt tool, once it has them.
if [ -f "$TOP/tools/checkpoint/tests/run.sh" ]; then
	t0=$(date +%s)
	set +e
	out=$(cd "$TOP" && CKPT="$WORK/user/bin/ckpt" bash tools/checkpoint/tests/run.sh 2>&1)
	rc=$?
	take_tap "tools/checkpoint/tests" <<<"$out"
	nots=$?
	set -e
	if [ "$rc" != 0 ] && [ "$nots" = 0 ]; then
		not_ok "tools/checkpoint/tests/run.sh exited with status $rc"
		tail -n 20 <<<"$out" | diag
	fi
	elapsed "tools/checkpoint/tests" "$t0"
else
	skip "tools/checkpoint/tests/run.sh" "does not exist yet"
fi

# --- the guest ----------------------------------------------------------------

if [ "$kernel_rc" != 0 ] || [ "$initramfs_rc" != 0 ]; then
	not_ok "guest: not run, nothing to boot"
	elapsed "total" "$start_all"
	echo "1..$n"
	echo "# $skipped skipped"
	echo "$passed passed, $failed failed"
	exit 1
fi

t0=$(date +%s)
echo "TEST_TIMEOUT=$TEST_TIMEOUT" >"$WORK/check.env"
# A host directory that outlives the guest: a test may save an image there
# in the first boot and restart it in a second, short one.
REBOOT_SHARE=$WORK/check-share
rm -rf "$REBOOT_SHARE"
mkdir -p "$REBOOT_SHARE"
# Debian's runc and Podman (with conmon and its configuration) for the
# CRIU front end's tests (guest/check.sh copies the sysroot over its
# root); without them those tests skip.
if command -v runc >/dev/null; then
	sysroot_add "$REBOOT_SHARE/sysroot" "$(command -v runc)"
fi
if command -v podman >/dev/null && command -v conmon >/dev/null; then
	sysroot_add "$REBOOT_SHARE/sysroot" "$(command -v podman)" "$(command -v conmon)"
	mkdir -p "$REBOOT_SHARE/sysroot/etc" "$REBOOT_SHARE/sysroot/usr/share"
	cp -a /etc/containers "$REBOOT_SHARE/sysroot/etc/"
	cp -a /usr/share/containers "$REBOOT_SHARE/sysroot/usr/share/"
fi
rm -f "$GUEST_LOG".hung* "$GUEST_LOG2".hung* "$GUEST_LOG_CPU".hung*
set +e
LOG=$GUEST_LOG TIMEOUT=$CHECK_TIMEOUT SHOW=job PREFIX="# guest| " \
	JOB_ENV_FILE=$WORK/check.env SHARE=$REBOOT_SHARE \
	"$TOP/scripts/qemu-run.sh" debug "$TOP/scripts/guest/check.sh"
qemu_rc=$?
# A boot on a CPU without AVX: the first boot's image is refused by name,
# and this one's restarts in the next boot (ckpt_cpu_test.sh)
cpu=max,la57=off,avx=off
[ "${KVM:-0}" = 1 ] && cpu=host,avx=off
LOG=$GUEST_LOG_CPU TIMEOUT=600 SHOW=job PREFIX="# guest cpu| " QEMU_CPU=$cpu \
	JOB_ENV_FILE=$WORK/check.env SHARE=$REBOOT_SHARE \
	"$TOP/scripts/qemu-run.sh" debug "$TOP/scripts/guest/check-cpu.sh"
qemu_cpu_rc=$?
# The second boot also swaps its kernel for itself with `ckpt kexec`
# (KEXEC=1), keeping the image in 128 MiB of pmem at 1.5 GiB.
LOG=$GUEST_LOG2 TIMEOUT=900 SHOW=job PREFIX="# guest 2| " KEXEC=1 \
	APPEND='memmap=128M!1536M' \
	JOB_ENV_FILE=$WORK/check.env SHARE=$REBOOT_SHARE \
	"$TOP/scripts/qemu-run.sh" debug "$TOP/scripts/guest/check-reboot.sh"
qemu2_rc=$?
set -e
elapsed "guest run" "$t0"

# A boot that hung before its job and was retried (qemu-run.sh)
for f in "$GUEST_LOG".hung* "$GUEST_LOG_CPU".hung* "$GUEST_LOG2".hung*; do
	[ -f "$f" ] || continue
	echo "# a guest boot hung before its job and was booted again; its console: ${f#"$TOP"/}"
	grep -a -E 'AE_AML|rcu_.*stall|Run /init' "$f" | tail -n 3 | diag
done

# The kernel's lines in the console (see lib.sh)
STAMP=$KERNEL_STAMP

if grep -q '@@ckpt-job-begin@@' "$GUEST_LOG"; then
	ok "guest: booted to init in $(sed -n 's/^init: up after \([0-9.]*\) s.*/\1/p' "$GUEST_LOG") s"
else
	not_ok "guest: booted to init"
fi

case $(grep -a -o '@@ckpt-cpu-avx=[a-z]*@@' "$GUEST_LOG") in
*yes*) ok "guest: CPU has AVX" ;;
*no*) not_ok "guest: CPU has AVX (QEMU -cpu max)" ;;
esac

# KUnit runs at boot: its KTAP test cases are the 4-space indented results.
kunit=$(sed -n -E "s/^$STAMP//p" "$GUEST_LOG" | awk '
	/^    # Subtest: / { suite = $3 }
	/^    (not )?ok [0-9]+ / {
		line = substr($0, 5)
		sub(/ok [0-9]+ /, "ok 1 " suite ".", line)
		print line
	}')
if [ -n "$kunit" ]; then
	set +e
	take_tap "kunit" <<<"$kunit"
	set -e
fi

# The selftests: TAP between the begin and end markers of each binary, in
# the first boot, then in the second (the restore half of reboot tests).
begun=()
for log in "$GUEST_LOG" "$GUEST_LOG_CPU" "$GUEST_LOG2"; do
	[ -f "$log" ] || continue
	mapfile -t -O ${#begun[@]} begun < <(sed -n 's/.*@@ckpt-test-begin=\(.*\)@@.*/\1/p' "$log" |
		sed "s|\$|@$log|")
done
for tl in "${begun[@]}"; do
	t=${tl%@*}
	log=${tl##*@}
	out=$(awk -v t="$t" -v stamp="$STAMP" '
		index($0, "@@ckpt-test-begin=" t "@@") { on = 1; next }
		index($0, "@@ckpt-test-end=" t " ") { exit }
		on && $0 !~ stamp { print }' "$log")
	rc=$(sed -n "s/.*@@ckpt-test-end=$t rc=\([0-9]*\)@@.*/\1/p" "$log")
	set +e
	take_tap "$t" <<<"$out"
	nots=$?
	set -e
	results=$(grep -cE '^(not )?ok [0-9]+' <<<"$out" || true)
	plan=$(sed -n -E 's/^1\.\.([0-9]+).*/\1/p' <<<"$out" | head -n 1)
	if [ -n "$plan" ] && [ "$results" -lt "$plan" ]; then
		not_ok "$t: cut short after $results of $plan results"
	fi
	if [ -z "$rc" ]; then
		not_ok "$t: did not finish (see ${GUEST_LOG#"$TOP"/})"
	elif [ "$rc" = 4 ] && [ "$results" = 0 ]; then
		skip "$t" "exited with KSFT_SKIP"
	elif [ "$rc" != 0 ] && [ "$nots" = 0 ]; then
		not_ok "$t: exited with status $rc$([ "$rc" = 143 ] && echo " (killed by the per-test timeout)")"
		tail -n 10 <<<"$out" | diag
	elif [ "$rc" = 0 ] && [ "$results" = 0 ]; then
		ok "$t: exited 0"
	fi
done
[ ${#begun[@]} -gt 0 ] || echo "# no selftests in the initramfs"

if grep -q '@@ckpt-check-end@@' "$GUEST_LOG"; then
	ok "guest: the run completed"
else
	not_ok "guest: the run completed (QEMU run status $qemu_rc; see ${GUEST_LOG#"$TOP"/})"
	tail -n 15 "$GUEST_LOG" | diag
fi
if grep -q '@@ckpt-check-end@@' "$GUEST_LOG_CPU"; then
	ok "guest: the boot on a CPU without AVX completed"
else
	not_ok "guest: the boot on a CPU without AVX completed (QEMU run status $qemu_cpu_rc; see ${GUEST_LOG_CPU#"$TOP"/})"
	tail -n 15 "$GUEST_LOG_CPU" | diag
fi
if grep -q '@@ckpt-check-end@@' "$GUEST_LOG2"; then
	ok "guest: the second boot (restore after reboot) completed"
else
	not_ok "guest: the second boot completed (QEMU run status $qemu2_rc; see ${GUEST_LOG2#"$TOP"/})"
	tail -n 15 "$GUEST_LOG2" | diag
fi

# Kernel reports anywhere in the console, each shown with what follows it.
reports=$(kernel_reports -n "$GUEST_LOG" "$GUEST_LOG_CPU" "$GUEST_LOG2")
if [ -z "$reports" ]; then
	ok "guest: no kernel warnings, oopses, KASAN or lockdep reports"
else
	not_ok "guest: no kernel warnings, oopses, KASAN or lockdep reports"
	kernel_reports -A 25 "$GUEST_LOG" "$GUEST_LOG_CPU" "$GUEST_LOG2" | head -n 120 | diag
fi

if grep -q '@@ckpt-kmemleak-begin@@' "$GUEST_LOG"; then
	leaks=$(sed -n '/@@ckpt-kmemleak-begin@@/,/@@ckpt-kmemleak-end@@/p' "$GUEST_LOG" |
		grep -v '@@ckpt-kmemleak' || true)
	if grep -q 'unreferenced object' <<<"$leaks"; then
		not_ok "guest: kmemleak found $(grep -c 'unreferenced object' <<<"$leaks") leaks"
		head -n 80 <<<"$leaks" | diag
	else
		ok "guest: kmemleak found no leaks"
	fi
elif grep -q '@@ckpt-check-end@@' "$GUEST_LOG"; then
	not_ok "guest: kmemleak did not run (no /sys/kernel/debug/kmemleak)"
	grep -a -i kmemleak "$GUEST_LOG" | head -n 5 | diag
fi

elapsed "total" "$start_all"
echo "1..$n"
echo "# $skipped skipped; guest console: ${GUEST_LOG#"$TOP"/}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
