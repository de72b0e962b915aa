#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make check`: run every selftest of /selftests/checkpoint,
# then let kmemleak look for leaks.  scripts/check.sh reads the console.
#
# Markers:
#   @@ckpt-cpu-avx=yes|no@@
#   @@ckpt-test-begin=NAME@@  ... the test's own TAP output ...
#   @@ckpt-test-end=NAME rc=N@@
#   @@ckpt-kmemleak-begin@@ ... /sys/kernel/debug/kmemleak ... @@ckpt-kmemleak-end@@
#   @@ckpt-check-end@@        all done

DIR=/selftests/checkpoint
[ -f /job.env ] && . /job.env
# Per binary: TEST_TIMEOUT from the host if given, else kselftest's
# "timeout=" in the settings file, else 600 s.
if [ -z "$TEST_TIMEOUT" ] && [ -f $DIR/settings ]; then
	TEST_TIMEOUT=$(sed -n 's/^timeout=//p' $DIR/settings)
fi
TEST_TIMEOUT=${TEST_TIMEOUT:-600}

if grep -qw avx /proc/cpuinfo; then avx=yes; else avx=no; fi
echo "@@ckpt-cpu-avx=$avx@@"

# The tests `make emit_tests` listed, else every executable file.
if [ -f $DIR/tests.list ]; then
	tests=$(cat $DIR/tests.list)
else
	tests=$(cd $DIR && for f in *; do [ -f "$f" ] && [ -x "$f" ] && echo "$f"; done)
fi
# Reboot tests save what the second boot (check-reboot.sh) restores here
grep -q " /mnt/share " /proc/mounts && export CKPT_NS_REBOOT_DIR=/mnt/share
# Programs of the host's Debian (runc) with their libraries
[ -d /mnt/share/sysroot ] && cp -a /mnt/share/sysroot/. /
for t in $tests; do
	echo "@@ckpt-test-begin=$t@@"
	(cd $DIR && timeout "$TEST_TIMEOUT" "./$t")
	echo "@@ckpt-test-end=$t rc=$?@@"
done

. /etc/ckpt-guest.sh
# The first half of the CPU-model test: the next boot's CPU lacks AVX
if grep -q " /mnt/share " /proc/mounts; then
	CKPT_CPU_PHASE=save run_test ckpt_cpu_test.sh-save ./ckpt_cpu_test.sh
fi
kmemleak_report
echo "@@ckpt-check-end@@"
