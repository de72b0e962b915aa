#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of bench/migrate.sh: live migration over loopback of
# `wl dirty MIB RATE` (MIB MiB of random data in 4 KiB pages, RATE MiB/s
# of it dirtied at an even pace for as long as it runs; every gap of more
# than 50 ms between two of its heartbeats is a line "gap MS ms end=US" of
# its output; SIGTERM checks every byte and exits 0 if all are right).
# Images and the destination's files on a tmpfs, /mig.
#
#   ours: ckpt migrate --listen 127.0.0.1:PORT --dir /mig/dst  (destination)
#         ckpt migrate PID --to 127.0.0.1:PORT --log FILE      (source)
#         then SIGTERM to the restored process: the destination's ckpt
#         exits with its check's status
#         (the destination indexes each round as it arrives and merges
#         the chain by reference into /mig/dst/merged.img: PAGES_FILE
#         records naming the rounds, given to restart(2) as externals)
#   lazy: the same with --lazy on the destination: restart(2) with
#         RESTART_LAZY (post-copy), the round files removed once it holds
#         them
#   CRIU: ROUNDS times criu page-server + criu pre-dump --track-mem
#         --page-server (ROUNDS: as many as ours took), then criu
#         page-server + criu dump --track-mem --page-server, the dump's
#         other images copied to the destination's directory, criu
#         restore -d there; SIGTERM; its check
#
# Every figure is a line of /mnt/share/out/migrate.txt:
#
#   start V pid=N mib=N rate=N
#   time V WHAT rc=N us=N         (CLOCK_MONOTONIC around a command)
#   out V LINE                    (ckpt migrate's own lines, the kernel's
#                                  "us frozen" lines)
#   gap V MS end=US               (the workload's gaps, as it saw them)
#   dst V LINE                    (the destination ckpt migrate's lines)
#   bytes V WHAT N                (bytes received, each round; lazy:
#                                  the images' sizes as checkpoint(2)
#                                  said them, the files being gone)
#   criu V STEP rc=N us=N bytes=N freezing_us=N frozen_us=N ...
#   check V rc=N LINE             (the restored workload's check)

# shellcheck disable=SC1091 # the settings of bench/migrate.sh
[ -f /job.env ] && . /job.env
S=/mnt/share
O=$S/out
OUT=$O/migrate.txt
D=/mig
MIB=${BENCH_MIGRATE_MIB:-1024}
RATE=${BENCH_MIGRATE_RATE:-16}
PORT=27100

say() {
	echo "$*" | tee -a $OUT
}

grep -q " $S " /proc/mounts || { echo "migrate-bench: no shared directory"; exit 1; }
if ! mkdir -p $O || ! : >$OUT; then
	echo "migrate-bench: cannot write to $S"
	exit 1
fi
cp $S/bin/wl $S/bin/benchd /usr/bin/ || { say "migrate-bench: no wl or benchd"; exit 1; }
# The destination's copy of the memory (and, while the first round is
# sent, the source's memfd of it): beyond /tmp's default half of RAM
if ! mkdir -p $D || ! mount -t tmpfs -o size="${BENCH_MIGRATE_TMPFS:-3g}" tmpfs $D; then
	say "migrate-bench: no tmpfs at $D"
	exit 1
fi
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null

say "env kernel=$(uname -r) memtotal_kib=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) cpus=$(nproc)"

# wait_line FILE PATTERN [TENTHS]: until FILE has a line matching PATTERN
wait_line() {
	n=0
	until grep -q "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt "${3:-6000}" ] && return 1
		sleep 0.1
	done
}

# start V [ns]: a fresh workload, dirtying for 2 s before the migration
# starts; with ns, as the init of a pid namespace of its own (through
# busybox's unshare, which waits for it); its pid here in $pid
start() {
	rm -rf "${D:?}"/*
	if [ "$2" = ns ]; then
		# only wl has the output file open: a file open outside a
		# container is refused at checkpoint
		unshare -p -f sh -c "exec wl dirty $MIB $RATE >$D/wl.out 2>&1" \
			</dev/null >/dev/null 2>&1 &
	else
		wl dirty "$MIB" "$RATE" </dev/null >$D/wl.out 2>&1 &
	fi
	pid=$!
	if ! wait_line $D/wl.out '^ready'; then
		say "migrate-bench: $1: wl did not get ready"
		return 1
	fi
	[ "$2" = ns ] && pid=$(cat /proc/$pid/task/$pid/children | tr -d ' ')
	sleep 2
	say "start $1 pid=$pid mib=$MIB rate=$RATE $2"
}

# listening PORT: a socket listens on it (/proc/net/tcp, state 0A)
listening() {
	grep -qi ":$(printf %04X "$1") 00000000:0000 0A" /proc/net/tcp 2>/dev/null
}

# gaps V: the workload's gaps into the results
gaps() {
	grep -a '^gap ' $D/wl.out | while read -r _ ms _ end; do
		say "gap $1 $ms $end"
	done
}

# ours V [--lazy]: ckpt migrate, its lines tagged V; --lazy for the
# destination
ours() {
	v=$1
	# Source and destination share this guest's pid namespace, and the
	# source's process is only killed once the destination runs it: the
	# restored one needs its pid free, so the workload is a container
	start "$v" ns || return 1
	mkdir -p $D/dst
	# shellcheck disable=SC2086 # $2: no option or one
	ckpt migrate --listen 127.0.0.1:$PORT --dir $D/dst $2 -- \
		--stats $D/restart.json >$D/dst.err 2>&1 &
	dpid=$!
	n=0
	until listening $PORT; do
		n=$((n + 1))
		[ $n -gt 300 ] && { say "migrate-bench: the destination does not listen"; return 1; }
		sleep 0.1
	done
	t0=$(benchd now)
	ckpt migrate "$pid" --to 127.0.0.1:$PORT --log $D/src.log >$D/src.err 2>&1
	rc=$?
	t1=$(benchd now)
	say "time $v migrate rc=$rc us=$((t1 - t0))"
	while read -r l; do say "out $v $l"; done <$D/src.err
	grep -a 'us frozen' $D/src.log | while read -r l; do say "out $v $l"; done
	if [ -z "$2" ]; then
		for f in "$D"/dst/round-*.img; do
			[ -f "$f" ] && say "bytes $v $(basename "$f" .img) $(stat -c %s "$f")"
		done
	else
		# the round files are gone once merged: checkpoint(2)'s sizes
		sed -n 's/.*checkpoint of .* complete: \([0-9]*\) bytes.*/\1/p' $D/src.log |
			awk '{ print "round-" (NR - 1), $1 }' | while read -r f b; do
			say "bytes $v $f $b"
		done
		[ -f $D/dst/merged.img ] && say "size $v merged.img $(stat -c %s $D/dst/merged.img)"
	fi
	say "out $v restart $(cat $D/restart.json 2>/dev/null)"
	# The destination's own: each round indexed, merged.img made
	grep -a '^ckpt migrate: ' $D/dst.err | while read -r l; do say "dst $v $l"; done
	if [ $rc != 0 ]; then
		tail -n 20 $D/src.log | tee -a $OUT
		tail -n 20 $D/dst.err | tee -a $OUT
		kill -9 $dpid 2>/dev/null
		return 1
	fi
	# The restored process runs a second, then checks itself; the
	# destination's ckpt exits with its status
	newpid=$(sed -n 's/.* pid \([0-9]*\) there.*/\1/p' $D/src.err)
	sleep 1
	kill -TERM "$newpid"
	wait $dpid
	rc=$?
	gaps "$v"
	say "check $v rc=$rc $(grep -a '^check:' $D/wl.out | tail -n 1)"
	[ $rc = 0 ] || tail -n 20 $D/dst.err | tee -a $OUT
}

# page_server DIR [PARENT]: criu page-server into DIR, in the background
# once it listens (-d); its pid in DIR.pid
page_server() {
	mkdir -p "$1"
	rm -f "$1.pid"
	if [ -n "$2" ]; then
		ln -sfn "../$2" "$1/parent"
		criu page-server -D "$1" --port $PORT --prev-images-dir "../$2" -d \
			--pidfile "$1.pid" -o "$1.ps.log" >/dev/null 2>&1
	else
		criu page-server -D "$1" --port $PORT -d --pidfile "$1.pid" \
			-o "$1.ps.log" >/dev/null 2>&1
	fi
}

# ps_done DIR: the page server of DIR has exited (it does once the dump
# closed its connection; a zombie then, as init does not reap it here)
ps_done() {
	pspid=$(cat "$1.pid" 2>/dev/null)
	[ -n "$pspid" ] || return 0
	n=0
	while [ $n -lt 50 ]; do
		state=$(cut -d' ' -f3 "/proc/$pspid/stat" 2>/dev/null)
		[ -z "$state" ] || [ "$state" = Z ] && return 0
		n=$((n + 1))
		sleep 0.1
	done
	say "migrate-bench: the page server of $1 did not exit: killed"
	kill -9 "$pspid"
}

# criu_step STEP PREV ARGS...: criu ARGS of $pid, images in $D/src/STEP,
# pages to the page server into $D/dst/STEP
criu_step() {
	step=$1
	prev=$2
	shift 2
	mkdir -p "$D/src/$step"
	t0=$(benchd now)
	page_server "$D/dst/$step" "$prev"
	rc=$?
	echo "time criu page-server-$step rc=$rc us=$(($(benchd now) - t0))" >>$D/criu.txt
	if [ $rc != 0 ]; then
		say "criu criu $step rc=125 us=0 bytes=0 (page-server: $(tail -n 1 "$D/dst/$step.ps.log"))"
		return 1
	fi
	t0=$(benchd now)
	if [ -n "$prev" ]; then
		criu "$@" -t "$pid" -D "$D/src/$step" --shell-job --track-mem \
			--prev-images-dir "../$prev" --page-server --address 127.0.0.1 --port $PORT \
			-o "$D/src/$step.log"
	else
		criu "$@" -t "$pid" -D "$D/src/$step" --shell-job --track-mem \
			--page-server --address 127.0.0.1 --port $PORT -o "$D/src/$step.log"
	fi
	rc=$?
	t1=$(benchd now)
	t2=$(benchd now)
	ps_done "$D/dst/$step"
	echo "time criu page-server-$step-exit rc=0 us=$(($(benchd now) - t2))" >>$D/criu.txt
	echo "criu criu $step rc=$rc us=$((t1 - t0))" >>$D/criu.txt
	[ $rc = 0 ] || tail -n 20 "$D/src/$step.log" >>$D/criu.txt
	return $rc
}

# criu_report: what criu_step noted, with the sizes and CRIU's stats, once
# the process is restored (none of it inside the downtime)
criu_report() {
	while read -r l; do
		case $l in
		"criu criu "*)
			step=${l#criu criu }
			step=${step%% *}
			bytes=0
			for f in "$D/dst/$step"/*; do
				[ -f "$f" ] && [ ! -L "$f" ] && bytes=$((bytes + $(stat -c %s "$f")))
			done
			say "$l bytes=$bytes $(benchd criu-stats "$D/src/$step/stats-dump" 2>/dev/null)"
			;;
		*) say "$l" ;;
		esac
	done <$D/criu.txt
	rm -f $D/criu.txt
}

theirs() {
	if ! cp -a $S/sysroot/. / 2>/dev/null || ! criu --version >/dev/null 2>&1; then
		say "criu none: not in the share"
		return 0
	fi
	mkdir -p /run && mount -t tmpfs tmpfs /run
	criu check >/tmp/criu-check.txt 2>&1
	grep -q "Looks good." /tmp/criu-check.txt ||
		{ say "criu none: criu check: $(tail -n 1 /tmp/criu-check.txt)"; return 0; }
	say "env criu=$(criu --version | head -n 1)"
	start criu || return 1
	T0=$(benchd now)
	prev=
	i=1
	while [ $i -le "$1" ]; do
		criu_step "p$i" "$prev" pre-dump || { criu_report; return 1; }
		prev=p$i
		i=$((i + 1))
	done
	criu_step d "$prev" dump || { criu_report; return 1; }
	wait "$pid" 2>/dev/null
	# What the dump wrote besides the pages, to the destination's directory
	t0=$(benchd now)
	cp -n $D/src/d/* $D/dst/d/ 2>/dev/null
	tcp=$(($(benchd now) - t0))
	criu restore -D $D/dst/d --shell-job -d -o restore.log >/dev/null 2>&1
	rc=$?
	t1=$(benchd now)
	criu_report
	say "time criu cp rc=0 us=$tcp"
	say "time criu restore rc=$rc us=$((t1 - t0))"
	say "time criu migrate rc=$rc us=$((t1 - T0))"
	say "criu criu restore rc=$rc $(benchd criu-stats $D/dst/d/stats-restore 2>/dev/null)"
	[ $rc = 0 ] || { tail -n 20 $D/dst/d/restore.log | tee -a $OUT; return 1; }
	# criu restore -d: the process has the pid it had
	sleep 1
	kill -TERM "$pid"
	wait_line $D/wl.out '^check:' 3000
	gaps criu
	say "check criu rc=$(grep -q '^check: all' $D/wl.out && echo 0 || echo 1) $(grep -a '^check:' $D/wl.out | tail -n 1)"
}

echo "@@ckpt-test-begin=migrate@@"
say "migrate-bench: ours"
ours ours || say "migrate-bench: ours failed"
for p in $(pidof wl); do kill -9 "$p"; done 2>/dev/null
say "migrate-bench: lazy"
ours lazy --lazy || say "migrate-bench: lazy failed"
for p in $(pidof wl); do kill -9 "$p"; done 2>/dev/null
# CRIU gets as many pre-dumps as ours took rounds before the last image
rounds=$(sed -n 's/.*after \([0-9]*\) round(s).*/\1/p' $OUT | head -n 1)
if [ "${BENCH_MIGRATE_CRIU:-1}" = 1 ]; then
	say "migrate-bench: CRIU, ${rounds:-2} pre-dump(s)"
	theirs "${rounds:-2}" || say "migrate-bench: criu failed"
	for p in $(pidof wl); do kill -9 "$p"; done 2>/dev/null
fi
rm -rf "${D:?}"/*
say "migrate-bench: done"
echo "@@ckpt-test-end=migrate rc=0@@"
