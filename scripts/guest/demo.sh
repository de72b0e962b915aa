#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make demo`: checkpoint a running counter, kill it, show
# the image, restart it and check that it counts on from where it was.
# demo-counter keeps its count in its task name too, which is how this
# script reads it.

IMG=/tmp/counter.img

step() {
	echo
	echo "==> $*"
}

fail() {
	echo
	echo "DEMO FAILED: $*"
	exit 1
}

count_of() {
	sed -n 's/^count-//p' "/proc/$1/comm" 2>/dev/null
}

echo "In-kernel checkpoint/restart demo, $(uname -sr), $(nproc) CPUs"

step "Start a counter in the background: demo-counter &"
demo-counter &
pid=$!
sleep 2
before=$(count_of $pid)
[ -n "$before" ] || fail "the counter is not running"

step "Checkpoint it and kill it: ckpt checkpoint $pid -o $IMG --kill"
ckpt checkpoint $pid -o $IMG --kill || fail "ckpt checkpoint exited with status $?"
# Reap it: restart needs its pid free.
wait $pid 2>/dev/null
[ -d /proc/$pid ] && fail "process $pid is still there"
echo "process $pid is gone; the image is $(wc -c <$IMG) bytes"

step "What the image holds: ckpt show $IMG | head -n 24"
ckpt show $IMG | head -n 24
step "All its records: ckpt show $IMG | grep '^\['"
ckpt show $IMG | grep '^\[' | head -n 40

step "Silence for 2 seconds: nothing is counting"
sleep 2

step "Restart it: ckpt restart $IMG"
ckpt restart $IMG &
ckpt_pid=$!
sleep 2
after=$(count_of $pid)
if [ -z "$after" ]; then
	wait $ckpt_pid
	fail "no process $pid after ckpt restart (which exited with status $?)"
fi
kill $pid
wait $ckpt_pid 2>/dev/null

step "Result"
# It was stopped up to 0.3 s after $before was read; it ran 2 s since.
if [ "$after" -le "$before" ] || [ "$after" -gt $((before + 12)) ]; then
	fail "count $before before the checkpoint, $after after the restart"
fi
echo "The counter went on from $before to $after as pid $pid: its memory,"
echo "registers, pending sleep and terminal came back.  DEMO OK"
