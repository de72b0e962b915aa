#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make torture`: run each test of ckpt_race_test on its
# own (-t NAME), with CKPT_RACE_ROUNDS=$TORTURE_ROUNDS, so that each has
# its own status and duration; then let kmemleak look for leaks.
# scripts/torture.sh reads the console.  The job's status is 0 if every
# test passed, 1 if one did not, 2 if none could run.
#
# Markers:
#   @@torture-rounds=N@@
#   @@torture-test-begin=NAME@@  ... the test's TAP output ...
#   @@torture-test-end=NAME rc=N s=SECONDS@@
#   @@ckpt-kmemleak-begin@@ ... /sys/kernel/debug/kmemleak ... @@ckpt-kmemleak-end@@
#   @@torture-end@@

DIR=/selftests/checkpoint
# shellcheck source=/dev/null # written by scripts/torture.sh
[ -f /job.env ] && . /job.env
ROUNDS=${TORTURE_ROUNDS:-1000}

cd $DIR || exit 2
# -l lists the tests under a header, the name last; a fixture without
# tests (the harness's "global") is a line of its own name only
tests=$(./ckpt_race_test -l 2>&1 | awk 'NR > 1 && !/^-/ && (NF > 1 || /^ /) { print $NF }')
[ -n "$tests" ] || { echo "ckpt_race_test lists no tests"; exit 2; }

echo "@@torture-rounds=$ROUNDS@@"
status=0
for t in $tests; do
	echo "@@torture-test-begin=$t@@"
	t0=$(date +%s)
	CKPT_RACE_ROUNDS=$ROUNDS ./ckpt_race_test -t "$t"
	rc=$?
	echo "@@torture-test-end=$t rc=$rc s=$(($(date +%s) - t0))@@"
	[ "$rc" = 0 ] || status=1
done

. /etc/ckpt-guest.sh
kmemleak_report
echo "@@torture-end@@"
exit $status
