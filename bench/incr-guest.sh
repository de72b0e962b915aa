#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of bench/incr.sh: a chain of incremental checkpoints of
# `wl incr 1024 HUGE` (1 GiB of random data; SIGUSR2 rewrites one page in
# 100, SIGTERM checks every byte and exits 0 if all are right), images on
# a tmpfs:
#
#   A  ckpt checkpoint --track                  (complete)
#      round 1: 1% of the pages rewritten
#   B  ckpt checkpoint --incremental --track
#      round 2: 1% more
#   C  ckpt checkpoint --incremental --kill
#   ckpt restart --parent B --parent A C, timed; the restored wl checks
#   its memory; then ckpt merge -o M C B A, timed, and a plain restart of
#   M (a complete image of the same size), timed, checked again.
#
# Once with 4 KiB pages (the target's case), once with huge pages (A, B
# with --kill, the chain restored and checked), then, if CRIU runs here,
# criu pre-dump --track-mem twice and dump --prev-images-dir on the 4 KiB
# workload.  Every figure is a line of /mnt/share/out/incr.txt:
#
#   stats V STEP rc=N size=BYTES {ckpt --stats JSON}
#   time V WHAT rc=N us=N          (CLOCK_MONOTONIC around a command)
#   check V WHAT rc=N LINE         (wl's exit status and its "check:" line)
#   criu V STEP rc=N bytes=N us=N

# shellcheck disable=SC1091 # the settings of bench/incr.sh
[ -f /job.env ] && . /job.env
S=/mnt/share
O=$S/out
OUT=$O/incr.txt
D=/incr
MIB=${BENCH_INCR_MIB:-1024}

say() {
	echo "$*" | tee -a $OUT
}

grep -q " $S " /proc/mounts || { echo "incr-bench: no shared directory"; exit 1; }
if ! mkdir -p $O || ! : >$OUT; then
	echo "incr-bench: cannot write to $S"
	exit 1
fi
# wl's /proc/PID/exe on a local file system, as in bench/guest.sh
cp $S/bin/wl $S/bin/benchd /usr/bin/ || { say "incr-bench: no wl or benchd"; exit 1; }
# A's 1 GiB, B, C and the merged M: more than /tmp's default half of RAM
if ! mkdir -p $D || ! mount -t tmpfs -o size=3g tmpfs $D; then
	say "incr-bench: no tmpfs at $D"
	exit 1
fi

say "env kernel=$(uname -r) memtotal_kib=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
say "env thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled)"

# wait_line FILE PATTERN: until FILE has a line matching PATTERN (600 s)
wait_line() {
	n=0
	until grep -q "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt 6000 ] && return 1
		sleep 0.1
	done
}

# start V HUGE: a fresh workload, its pid in $pid
start() {
	rm -rf "${D:?}"/*
	wl incr "$MIB" "$2" </dev/null >$D/wl.out 2>&1 &
	pid=$!
	if ! wait_line $D/wl.out '^ready'; then
		say "incr-bench: $1: wl did not get ready"
		return 1
	fi
	say "start $1 pid=$pid huge=$2 mib=$MIB"
}

# round N: rewrite 1% and wait until it is done
round() {
	kill -USR2 $pid
	wait_line $D/wl.out "^round $1:" || say "incr-bench: round $1 did not end"
}

# ckpt_step V STEP OPTIONS...: checkpoint $pid into $D/STEP.img
ckpt_step() {
	v=$1
	step=$2
	shift 2
	ckpt checkpoint "$pid" -o "$D/$step.img" -q --stats "$D/$step.json" "$@" 2>"$D/$step.err"
	rc=$?
	say "stats $v $step rc=$rc size=$(stat -c %s "$D/$step.img" 2>/dev/null || echo 0) $(cat "$D/$step.json" 2>/dev/null)"
	[ $rc = 0 ] || tail -n 20 "$D/$step.err" | tee -a $OUT
	return $rc
}

# restart_check V WHAT ARGS...: ckpt restart ARGS in the background,
# until restart(2) returned (its --stats written), then SIGTERM: wl
# checks every byte and exits with the result, which ckpt passes on
restart_check() {
	v=$1
	what=$2
	shift 2
	t0=$(benchd now)
	ckpt restart -q --stats "$D/$what.json" "$@" >"$D/$what.err" 2>&1 &
	rpid=$!
	# (a ckpt that failed is a zombie until the wait below)
	until grep -q '}' "$D/$what.json" 2>/dev/null; do
		state=$(cut -d' ' -f3 /proc/$rpid/stat 2>/dev/null)
		if [ -z "$state" ] || [ "$state" = Z ]; then
			break
		fi
		sleep 0.02
	done
	t1=$(benchd now)
	ok=0
	grep -q '}' "$D/$what.json" 2>/dev/null && ok=1
	[ $ok = 1 ] && kill -TERM $pid
	wait $rpid
	rc=$?
	[ $ok = 1 ] || rc=125
	say "stats $v $what rc=$rc size=0 $(cat "$D/$what.json" 2>/dev/null)"
	say "time $v $what rc=$rc us=$((t1 - t0))"
	say "check $v $what rc=$rc $(grep '^check:' $D/wl.out | tail -n 1)"
	[ $rc = 0 ] || tail -n 20 "$D/$what.err" | tee -a $OUT
}

# timed V WHAT COMMAND...
timed() {
	v=$1
	what=$2
	shift 2
	t0=$(benchd now)
	"$@" >"$D/$what.err" 2>&1
	rc=$?
	say "time $v $what rc=$rc us=$(($(benchd now) - t0))"
	[ $rc = 0 ] || tail -n 20 "$D/$what.err" | tee -a $OUT
	return $rc
}

chain_4k() {
	start 4k 0 || return 1
	ckpt_step 4k A --track || return 1
	round 1
	ckpt_step 4k B --incremental --track || return 1
	round 2
	ckpt_step 4k C --incremental --kill || return 1
	wait $pid 2>/dev/null
	restart_check 4k chain --parent $D/B.img --parent $D/A.img $D/C.img
	timed 4k merge ckpt merge -o $D/M.img $D/C.img $D/B.img $D/A.img || return 1
	say "stats 4k M rc=0 size=$(stat -c %s $D/M.img) {}"
	# Room for the restored 1 GiB; wl.out has the first check's line since
	# C, hence --files-changed-ok (it is reopened as it is)
	rm -f $D/A.img $D/B.img $D/C.img
	restart_check 4k full --files-changed-ok $D/M.img
}

chain_thp() {
	start thp 1 || return 1
	say "env thp-anon-kib=$(sed -n 's/^AnonHugePages: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
	ckpt_step thp A --track || return 1
	round 1
	ckpt_step thp B --incremental --kill || return 1
	wait $pid 2>/dev/null
	restart_check thp chain --parent $D/A.img $D/B.img
}

# criu_step STEP ARGS...: criu into $D/STEP, its size and time
criu_step() {
	step=$1
	shift
	mkdir -p "$D/$step"
	t0=$(benchd now)
	criu "$@" -t "$pid" -D "$D/$step" --shell-job -o "$D/$step.log"
	rc=$?
	t1=$(benchd now)
	say "criu 4k $step rc=$rc bytes=$(cat $D/"$step"/* 2>/dev/null | wc -c) us=$((t1 - t0))"
	[ $rc = 0 ] || tail -n 20 "$D/$step.log" | tee -a $OUT
	return $rc
}

chain_criu() {
	if ! cp -a $S/sysroot/. / 2>/dev/null || ! criu --version >/dev/null 2>&1; then
		say "criu none: not in the share"
		return 0
	fi
	mkdir -p /run && mount -t tmpfs tmpfs /run
	criu check >$D/criu-check.txt 2>&1
	grep -q "Looks good." $D/criu-check.txt ||
		{ say "criu none: criu check: $(tail -n 1 $D/criu-check.txt)"; return 0; }
	say "env criu=$(criu --version | head -n 1)"
	start criu 0 || return 1
	criu_step p1 pre-dump --track-mem || return 1
	round 1
	criu_step p2 pre-dump --track-mem --prev-images-dir ../p1 || return 1
	round 2
	criu_step d3 dump --track-mem --prev-images-dir ../p2 || return 1
	wait $pid 2>/dev/null
	t0=$(benchd now)
	criu restore -D $D/d3 --shell-job -d -o restore.log >/dev/null 2>&1
	rc=$?
	say "time criu restore rc=$rc us=$(($(benchd now) - t0))"
	[ $rc = 0 ] || { tail -n 20 $D/d3/restore.log | tee -a $OUT; return 1; }
	kill -TERM $pid
	wait_line $D/wl.out '^check:'
	say "check criu restore rc=$(grep -q '^check: all' $D/wl.out && echo 0 || echo 1) $(grep '^check:' $D/wl.out | tail -n 1)"
}

echo "@@ckpt-test-begin=incr@@"
say "incr-bench: 4 KiB pages"
chain_4k || say "incr-bench: 4k failed"
for p in $(pidof wl); do kill -9 "$p"; done 2>/dev/null
say "incr-bench: huge pages"
chain_thp || say "incr-bench: thp failed"
for p in $(pidof wl); do kill -9 "$p"; done 2>/dev/null
if [ "${BENCH_INCR_CRIU:-1}" = 1 ]; then
	say "incr-bench: CRIU"
	chain_criu || say "incr-bench: criu failed"
	for p in $(pidof wl); do kill -9 "$p"; done 2>/dev/null
fi
rm -rf "${D:?}"/*
say "incr-bench: done"
echo "@@ckpt-test-end=incr rc=0@@"
