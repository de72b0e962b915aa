#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The `runc` row of `make bench`: bench/guest.sh runs it as
# `sh runc.sh RUNS` once Debian's runc and CRIU are in the guest.
#
# Debian's runc checkpoints and restores a busybox container that counts
# (as tools/testing/selftests/checkpoint/ckpt_runc_test.sh does, without
# its TCP part), RUNS times through each of:
#   ours  our front end: PATH starts with a directory where criu is a
#         symlink to /usr/bin/ckpt (`ckpt criu`, checkpoint(2)/restart(2))
#   criu  Debian's CRIU, /usr/sbin/criu
# for each of two containers:
#   netns    runc's default namespaces (`runc spec`), among them a network
#            namespace of its own
#   hostnet  the same without the network namespace (the host's network,
#            as with --net=host)
# One round: `runc run -d` with pipes as stdio; wait until it counts; time
# `runc checkpoint` (the container must then be gone and print nothing
# more), then `runc restore -d` (the first number on the new pipe must be
# the last one printed before + 1, and the count must go on); kill and
# delete it.  Wall-clock times (`benchd now`: busybox's date has no %N).
# One JSON object per operation is appended to $O/runc.jsonl:
#   {"row":"runc","net":"netns|hostnet","side":"ours|criu","run":N,
#    "op":"checkpoint","ok":true,"wall_us":N,"gone":true,"image_kib":N,
#    "error":"..."}
#   {..., "op":"restore","ok":true,"wall_us":N,"goes_on":true,"last":N,
#    "first":N,"error":"..."}
# "error" is the first error line of CRIU's (or our front end's) log, or
# of runc's output, when it failed; the logs of a failed round are kept
# in $O as runc-NET-SIDE-RUN-*.

RUNS=${1:-1}
O=${O:-/mnt/share/out}
OUT=$O/runc.jsonl
T=/tmp/bench-runc
STATE=$T/state
BASE_PATH=$PATH

say() { echo "$*" | tee -a "$O/progress.log"; }

grep -q "^cgroup2 /sys/fs/cgroup " /proc/mounts ||
	mount -t cgroup2 cgroup2 /sys/fs/cgroup || say "runc: cannot mount cgroup2"
rm -rf $T
mkdir -p $T/ours-bin
ln -s /usr/bin/ckpt $T/ours-bin/criu

# make_bundle NET: $T/NET, busybox counting into /count and on its
# standard output
make_bundle() {
	B=$T/$1
	mkdir -p $B/rootfs/bin $B/rootfs/proc $B/rootfs/dev $B/rootfs/sys
	cp /bin/busybox $B/rootfs/bin/
	for a in sh sleep echo; do ln -s busybox $B/rootfs/bin/$a; done
	printf '%s\n' 'i=0' 'while true; do' 'i=$((i + 1))' 'echo $i > /count' \
		'echo $i' 'sleep 0.2' 'done' >$B/rootfs/loop.sh
	(cd $B && runc spec) || return 1
	sed -i -e 's/"terminal": true/"terminal": false/' \
		-e 's/"readonly": true/"readonly": false/' \
		-e 's|"sh"$|"sh", "/loop.sh"|' $B/config.json
	[ $1 = hostnet ] || return 0
	# { "type": "network" }, on three lines, out of the namespaces
	awk 'skip { skip = 0; next }
		/"type": "network"/ { n--; skip = 1; next }
		{ l[n++] = $0 }
		END { for (i = 0; i < n; i++) print l[i] }' $B/config.json >$B/config.new &&
		mv $B/config.new $B/config.json
}

count() {
	c=$(cat $B/rootfs/count 2>/dev/null)
	echo "${c:-0}"
}

# wait_count_above N: until the container's count passes N (60 s at most)
wait_count_above() {
	i=0
	while [ "$(count)" -le "$1" ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(count)" -gt "$1" ]
}

runc_() { runc --root $STATE "$@"; }
running() { runc_ state ct 2>/dev/null | grep -q '"status": "running"'; }

# runc_stdio NAME ARGS...: runc ARGS in $B, timed, with a pipe from a
# sleeping feeder as stdin and a pipe to $T/NAME.out as stdout and stderr
# (the detached container keeps them).  Leaves the time in $T/NAME.us
# and returns runc's status.
runc_stdio() {
	name=$1
	shift
	rm -f $T/$name.rc $T/$name.us
	(
		cd $B &&
		sh -c "echo \$\$ > $T/$name.feeder; exec sleep 100000" |
		{
			t0=$(benchd now)
			runc_ "$@"
			rc=$?
			echo $(($(benchd now) - t0)) >$T/$name.us
			echo $rc >$T/$name.rc
		} 2>&1 | cat >$T/$name.out
	) &
	i=0
	while [ ! -s $T/$name.rc ] && [ $i -lt 3000 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s $T/$name.rc ] || return 124
	return "$(cat $T/$name.rc)"
}

# Numbers the container printed on the pipe of runc_stdio NAME
first_out() {
	i=0
	while ! grep -q '^[0-9][0-9]*$' $T/$1.out && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep '^[0-9][0-9]*$' $T/$1.out | head -n 1
}
last_out() { grep '^[0-9][0-9]*$' $T/$1.out 2>/dev/null | tail -n 1; }

# error FILE...: the first error line of the first of these files that
# has one, as the body of a JSON string
error() {
	for f in "$@"; do
		[ -f "$f" ] && grep -i -m 1 -e error -e fail "$f" && break
	done | cut -c1-300 | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'
}

json() { echo "{\"row\":\"runc\",\"net\":\"$net\",\"side\":\"$side\",\"run\":$run,$*}" >>$OUT; }

tf() { if "$@"; then echo true; else echo false; fi; }

keep_logs() {
	for f in $work/*.log $T/*.out; do
		[ -f "$f" ] && cp "$f" "$O/runc-$net-$side-$run-${f##*/}"
	done
}

# round NET SIDE RUN
round() {
	net=$1 side=$2 run=$3 B=$T/$1
	if [ $side = ours ]; then PATH=$T/ours-bin:$BASE_PATH; else PATH=/usr/sbin:$BASE_PATH; fi
	export PATH
	img=$T/$side-$run.img work=$T/$side-$run.work
	mkdir -p $img $work
	rm -f $B/rootfs/count
	if ! runc_stdio run run -d ct || ! wait_count_above 2; then
		json "\"op\":\"run\",\"ok\":false,\"error\":\"$(error $T/run.out)\""
		say "runc: $net: $side run $run: the container did not start: $(error $T/run.out)"
		keep_logs
		return 1
	fi

	t0=$(benchd now)
	runc_ checkpoint --image-path $img --work-path $work ct >$T/ckpt.out 2>&1
	rc=$?
	us=$(($(benchd now) - t0))
	kib=$(du -sk $img | cut -f1)
	sleep 0.5
	l1=$(last_out run)
	sleep 1
	gone=$(tf eval '! running ct && [ -n "$l1" ] && [ "$(last_out run)" = "$l1" ]')
	err=
	[ $rc = 0 ] || err=$(error $work/dump.log $T/ckpt.out)
	json "\"op\":\"checkpoint\",\"ok\":$(tf [ $rc = 0 ]),\"wall_us\":$us,\"gone\":$gone,\"image_kib\":$kib,\"error\":\"$err\""
	say "runc: $net: $side run $run: checkpoint $((us / 1000)) ms, status $rc, gone $gone, image $kib KiB $err"
	[ $rc = 0 ] || { keep_logs; return 1; }
	runc_ delete -f ct 2>/dev/null

	runc_stdio restore restore -d --image-path $img --work-path $work ct
	rc=$?
	us=$(cat $T/restore.us 2>/dev/null || echo -1)
	first=
	[ $rc = 0 ] && first=$(first_out restore)
	on=$(tf eval '[ "$first" = $((l1 + 1)) ] && wait_count_above $((first + 3))')
	err=
	[ $rc = 0 ] || err=$(error $work/restore.log $T/restore.out)
	json "\"op\":\"restore\",\"ok\":$(tf [ $rc = 0 ]),\"wall_us\":$us,\"goes_on\":$on,\"last\":${l1:-0},\"first\":${first:-0},\"error\":\"$err\""
	say "runc: $net: $side run $run: restore $((us / 1000)) ms, status $rc, counts on from ${first:-?} (last ${l1:-?}): $on $err"
	[ $rc = 0 ] && [ $on = true ] || keep_logs
}

# cleanup: the container and the feeders of the pipes, whatever is left
cleanup() {
	runc_ kill ct KILL 2>/dev/null
	runc_ delete -f ct 2>/dev/null
	for f in $T/*.feeder; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	wait
	rm -f $T/*.feeder $T/*.out
}

for net in netns hostnet; do
	make_bundle $net || { say "runc: runc spec failed"; exit 1; }
	r=0
	while [ $r -lt "$RUNS" ]; do
		# Ours first in even rounds, CRIU first in odd ones (as benchd)
		if [ $((r % 2)) = 0 ]; then sides="ours criu"; else sides="criu ours"; fi
		for s in $sides; do
			round $net $s $r
			cleanup
			rm -rf $T/$s-$r.img $T/$s-$r.work
		done
		r=$((r + 1))
	done
done
PATH=$BASE_PATH
rm -rf $T
