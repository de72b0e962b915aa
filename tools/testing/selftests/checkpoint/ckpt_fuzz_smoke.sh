#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A short run of ckpt_fuzz, the restart(2) fuzzer, on seeds it takes
# itself and the fixture images: CKPT_FUZZ_TIME seconds (default 120) of
# mutated images, each restarted in a child.  It must find nothing: no
# kernel report (BUG, WARNING, KASAN, lockdep, UBSAN), no hang, no task
# left behind by a failed restart.  It does not scan for leaks itself
# (-L 0): make check has kmemleak scan once every test has run.
# A finding's input and the kernel's lines are printed; with
# CKPT_FUZZ_OUT=DIR they are kept there (else in a temporary directory
# that is removed).  Prints TAP.

KSFT_SKIP=4
DIR=$(dirname "$0")
TIME=${CKPT_FUZZ_TIME:-120}

echo "TAP version 13"
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (namespaces, /dev/kmsg, debugfs)"
	exit $KSFT_SKIP
fi
if [ ! -x "$DIR/ckpt_fuzz" ]; then
	echo "1..0 # SKIP ckpt_fuzz is not built"
	exit $KSFT_SKIP
fi
echo "1..1"
T=$(mktemp -d /tmp/ckpt-fuzz.XXXXXX) || exit 1
OUT=${CKPT_FUZZ_OUT:-$T/findings}

"$DIR/ckpt_fuzz" -t "$TIME" -s "$DIR/fixtures" -o "$OUT" -r "$T/results.md" \
	-L 0 >"$T/out" 2>&1
rc=$?
# The progress lines are comments already; the results table becomes one
sed -e '/^#/!s/^/# /' "$T/out"
for f in "$OUT"/*.txt; do
	[ -f "$f" ] || continue
	echo "# --- $f"
	head -n 60 "$f" | sed -e 's/^/# /'
done
case $rc in
0) echo "ok 1 ckpt_fuzz: $TIME s of mutated images, no finding" ;;
1) echo "not ok 1 ckpt_fuzz: findings (inputs in $OUT)" ;;
*) echo "not ok 1 ckpt_fuzz: could not run (status $rc)" ;;
esac
[ -z "$CKPT_FUZZ_OUT" ] && rm -rf "$T"
[ "$rc" = 0 ]
