#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Debian's runc checkpoints and restores a container through our CRIU
# front end, `ckpt criu`, which it finds as "criu" in PATH; runc itself is
# unchanged.  A busybox container counts: it writes each number to /count
# of its root file system and prints it on its standard output, a pipe.
# After each restore the count must go on from where the checkpoint left
# it, and the numbers must arrive on the pipe that runc gave the restore
# (CRIU's inherit_fd).  First with runc's default namespaces (mount, pid,
# network, IPC, UTS), then without a mount namespace (runc then chroots).
# The container also has a TCP listener and an established TCP
# connection in its network namespace, checkpointed with
# --tcp-established: the listener must answer after the restore and the
# connection carry on.  Last, a container with a terminal (runc run -d
# --console-socket), its console's master held by ckpt_console: after the
# restore (runc restore --console-socket) the new master must show the
# count going on, the same terminal name and window size, and carry
# input to the container.
#
# Skips when runc is not installed (make check copies Debian's into the
# guest).  Prints TAP.

KSFT_SKIP=4
n=0
fails=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $*"; }
diag() { sed -e 's/^/# /' "$@"; }
check() {
	what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

echo "TAP version 13"
if ! command -v runc >/dev/null 2>&1; then
	echo "1..0 # SKIP runc is not installed"
	exit $KSFT_SKIP
fi
CKPT=$(command -v ckpt || echo /usr/bin/ckpt)
T=$(mktemp -d /tmp/ckpt-runc.XXXXXX) || exit 1
STATE=$T/state
mkdir -p "$T/bin"
ln -s "$CKPT" "$T/bin/criu"
export PATH="$T/bin:$PATH"
grep -q "^cgroup2 /sys/fs/cgroup " /proc/mounts ||
	mount -t cgroup2 cgroup2 /sys/fs/cgroup || exit 1

cleanup() {
	# (the shell reports each feeder it kills)
	exec 2>/dev/null
	for c in $(runc --root "$STATE" list -q 2>/dev/null); do
		runc --root "$STATE" kill "$c" KILL 2>/dev/null
		runc --root "$STATE" delete -f "$c" 2>/dev/null
	done
	for f in "$T"/*.feeder; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	wait
	# runc's restore bound the root with its mounts: there may be two
	while umount -l "$T/chroot/rootfs/proc"; do :; done
	rm -rf "$T"
}
trap cleanup EXIT

# What the container runs: a listener on port 5000 that says "hi", a
# connection from a counter (t1, t2...) to a listener on port 5001 that
# prints what it gets (its stdin must not end: nc would stop), and the
# count
cat > /tmp/ckpt-runc-loop.sh <<'EOF'
nc -ll -p 5000 -e echo hi &
sleep 1000000 | nc -l -p 5001 &
sleep 1
{ i=0; while true; do i=$((i + 1)); echo t$i; sleep 0.5; done; } | nc 127.0.0.1 5001 &
i=0
while true; do
	i=$((i + 1))
	echo $i > /count
	echo $i
	sleep 0.2
done
EOF

# make_bundle DIR yes|no: a busybox bundle running that, with or without
# a mount namespace.  Without one, runc cannot mount, mask or make
# anything read-only: those lists are emptied, and the namespaces are the
# other ones of runc's default list.
make_bundle() {
	mkdir -p "$1/rootfs/bin" "$1/rootfs/proc" "$1/rootfs/dev" "$1/rootfs/sys"
	cp /bin/busybox "$1/rootfs/bin/"
	for a in sh sleep cat echo nc; do ln -s busybox "$1/rootfs/bin/$a"; done
	cp /tmp/ckpt-runc-loop.sh "$1/rootfs/loop.sh"
	(cd "$1" && runc spec) || return 1
	sed -i -e 's/"terminal": true/"terminal": false/' \
		-e 's/"readonly": true/"readonly": false/' \
		-e 's|"sh"$|"sh", "/loop.sh"|' "$1/config.json"
	[ "$2" = yes ] && return 0
	awk -v ns='{ "type": "pid" }, { "type": "network" }, { "type": "ipc" }, { "type": "uts" }, { "type": "cgroup" }' '
		function brackets(s, t, o) {
			t = s; o = gsub(/\[/, "", t)
			t = s; return o - gsub(/\]/, "", t)
		}
		depth > 0 {
			depth += brackets($0)
			if (depth == 0)
				print key "[" val "]" ($0 ~ /,[[:space:]]*$/ ? "," : "")
			next
		}
		/"(mounts|maskedPaths|readonlyPaths|namespaces)": \[[[:space:]]*$/ {
			key = $0; sub(/\[[[:space:]]*$/, "", key); depth = 1
			val = key ~ /namespaces/ ? ns : ""
			next
		}
		{ print }
	' "$1/config.json" > "$1/config.new" && mv "$1/config.new" "$1/config.json"
}

# The count the container last wrote (0 before it wrote one, or while it
# writes: the shell truncates the file first)
count() {
	c=$(cat "$B/rootfs/count" 2>/dev/null)
	echo "${c:-0}"
}

# wait_count_above N: until the container's count passes N (60 s at most)
# (one read decides: the file is empty for a moment at each write)
wait_count_above() {
	i=0
	while [ $i -lt 600 ]; do
		[ "$(count)" -gt "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# runc_stdio NAME ARGS...: runc ARGS in $B, its stdin a pipe from a
# sleeping feeder, its stdout and stderr a pipe to cat into $T/NAME.out;
# detached, the container keeps them.  Returns runc's status.
runc_stdio() {
	name=$1
	shift
	rm -f "$T/$name.rc"
	(
		cd "$B" &&
		sh -c "echo \$\$ > $T/$name.feeder; exec sleep 100000" |
		{ runc --root "$STATE" "$@"; echo $? > "$T/$name.rc"; } 2>&1 |
		cat > "$T/$name.out"
	) &
	i=0
	while [ ! -s "$T/$name.rc" ] && [ $i -lt 1200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$T/$name.rc" ] || return 124
	return "$(cat "$T/$name.rc")"
}

running() { runc --root "$STATE" state "$1" 2>/dev/null | grep -q '"status": "running"'; }

# The first number the container printed on $T/NAME.out, waiting for it
first_out() {
	i=0
	while ! grep -q '^[0-9][0-9]*$' "$T/$1.out" && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep '^[0-9][0-9]*$' "$T/$1.out" | head -n 1
}

# Every process (not kernel threads): pid, state, where it sleeps,
# command line (for a hang)
show_tasks() {
	for d in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null)
		[ -n "$cmd" ] || continue
		printf '%s %s %s %s\n' "${d#/proc/}" \
			"$(cut -d' ' -f3 "$d/stat" 2>/dev/null)" \
			"$(cat "$d/wchan" 2>/dev/null)" "$cmd"
	done | diag
}

show_logs() {
	for f in "$@"; do
		[ -f "$f" ] || continue
		echo "--- ${f#"$T"/}"
		tail -n 30 "$f"
	done | diag
}

# checkpoint TAG ARGS...: runc checkpoint into $T/TAG.img (work dir
# $T/TAG.work); ok if it succeeds
checkpoint() {
	tag=$1
	shift
	mkdir -p "$T/$tag.img" "$T/$tag.work"
	if runc --root "$STATE" checkpoint --image-path "$T/$tag.img" \
		--work-path "$T/$tag.work" "$@" > "$T/$tag.ckpt.out" 2>&1; then
		ok "$tag: runc checkpoint $*"
		return 0
	fi
	not_ok "$tag: runc checkpoint $*"
	show_logs "$T/$tag.ckpt.out" "$T/$tag.work/dump.log"
	show_tasks
	return 1
}

# The last number the container printed on the pipe of runc_stdio $CUR
CUR=run
last_out() { grep '^[0-9][0-9]*$' "$T/$CUR.out" 2>/dev/null | tail -n 1; }

# restore TAG FROM LOW HIGH: runc restore -d from $T/FROM.img; the first
# number printed on the new pipe must be between LOW and HIGH: the one
# after the last one printed before the checkpoint
restore() {
	tag=$1 from=$2 low=$3 high=$4
	if ! runc_stdio "$tag" restore -d --image-path "$T/$from.img" \
		--work-path "$T/$from.work" ct; then
		not_ok "$tag: runc restore -d"
		show_logs "$T/$tag.out" "$T/$from.work/restore.log"
		return 1
	fi
	ok "$tag: runc restore -d"
	CUR=$tag
	check "$tag: runc says the container is running" running ct
	first=$(first_out "$tag")
	if [ -n "$first" ] && [ "$first" -ge "$low" ] && [ "$first" -le "$high" ]; then
		ok "$tag: the count goes on from $first on the pipe runc gave (saved $low..$high)"
	else
		not_ok "$tag: the count goes on on the pipe runc gave: first '$first', saved $low..$high"
		show_logs "$T/$tag.out" "$T/$from.work/restore.log"
		return 1
	fi
	if wait_count_above $((first + 3)); then
		ok "$tag: it keeps counting"
	else
		not_ok "$tag: it keeps counting (count file: $(count), last printed: $(last_out))"
		show_tasks
		show_logs "$T/$tag.out"
	fi
}

# cycle TAG [ARGS...]: checkpoint with ARGS (the container is gone), then
# restore
cycle() {
	cy=$1
	shift
	checkpoint "$cy" $TCP_ARGS "$@" ct || return 1
	sleep 0.5
	l1=$(last_out)
	sleep 1
	if running ct || [ -z "$l1" ] || [ "$(last_out)" != "$l1" ]; then
		not_ok "$cy: the container is gone after the checkpoint (last printed '$l1')"
	else
		ok "$cy: the container is gone after the checkpoint"
	fi
	runc --root "$STATE" delete -f ct 2>/dev/null
	restore "$cy-restore" "$cy" $((l1 + 1)) $((l1 + 1))
}

# pre_dump TAG [ARGS...]: runc checkpoint --pre-dump: the container goes on
pre_dump() {
	pd=$1
	shift
	checkpoint "$pd" --pre-dump "$@" ct || return 1
	check "$pd: the container goes on after runc checkpoint --pre-dump" \
		wait_count_above $(($(count) + 2))
}

# Whether $T/TAG.img holds an incremental image on a parent link
incremental() {
	[ -L "$T/$1.img/parent" ] &&
		"$CKPT" show "$T/$1.img/ckpt.img" | grep -q '^  parent: 0x0*[1-9a-f]'
}

# --- with runc's default namespaces ---------------------------------------
B=$T/bundle
if make_bundle "$B" yes && runc_stdio run run -d ct; then
	ok "runc run -d starts the container"
else
	not_ok "runc run -d starts the container"
	show_logs "$T/run.out"
fi
if wait_count_above 2; then
	ok "the container counts"
else
	not_ok "the container counts (count file: $(count))"
	show_tasks
	show_logs "$T/run.out"
fi
# The container's network namespace, entered from here
in_netns() { nsenter -t "$(runc --root "$STATE" state ct | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')" -n "$@"; }

# The numbers that came over the TCP connection, printed as tN on the
# container's stdout of runc_stdio $1
tcp_numbers() { sed -n 's/^t\([0-9][0-9]*\)$/\1/p' "$T/$1.out" 2>/dev/null; }

# tcp_goes_on BEFORE AFTER: on AFTER's pipe the connection delivers the
# number after the last one delivered on BEFORE's, then the next ones
# with none lost or repeated, at least 4 of them
tcp_goes_on() {
	last=$(tcp_numbers "$1" | tail -n 1)
	i=0
	while [ "$(tcp_numbers "$2" | wc -l)" -lt 4 ] && [ $i -lt 300 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	tcp_numbers "$2" | awk -v last="${last:-0}" '
		$1 != last + NR { bad = 1 }
		END { exit bad || NR < 4 || last == 0 }'
}

check "the TCP listener in the container answers" [ "$(in_netns nc 127.0.0.1 5000 </dev/null)" = hi ]
TCP_ARGS=--tcp-established
cycle first
TCP_ARGS=
check "first-restore: the TCP listener still answers" \
	[ "$(in_netns nc 127.0.0.1 5000 </dev/null)" = hi ]
check "first-restore: the established TCP connection goes on from where it was" \
	tcp_goes_on run first-restore
cycle second

# Two pre-dumps while it runs, then a checkpoint on them (--parent-path,
# as runc and Podman's --pre-checkpoint do): the last image holds what
# changed since, and restore merges the chain through the parent links
pre_dump pre1
pre_dump pre2 --parent-path ../pre1.img
check "pre2: its image builds on pre1's" incremental pre2
cycle last --parent-path ../pre2.img
check "last: its image builds on pre2's" incremental last
check "last-restore: the chain merged by reference, no page copied" \
	grep -q "the chain merged by reference: [1-9]" "$T/last.work/restore.log"

# --leave-running: the container goes on; the image restores later
low=$(last_out)
if checkpoint leave --leave-running ct; then
	high=$(last_out)
	check "leave: the container goes on after runc checkpoint --leave-running" \
		wait_count_above $((high + 2))
	runc --root "$STATE" kill ct KILL
	runc --root "$STATE" delete -f ct
	restore leave-restore leave $((low + 1)) $((high + 1))
fi
runc --root "$STATE" kill ct KILL 2>/dev/null
runc --root "$STATE" delete -f ct 2>/dev/null

# --- without a mount namespace (chroot) ------------------------------------
# runc reads /proc/self/fd in the container: it must be there already
B=$T/chroot
CUR=chroot-run
if make_bundle "$B" no && mount --bind /proc "$B/rootfs/proc" &&
	runc_stdio chroot-run run -d ct; then
	ok "chroot: runc run -d starts a container without a mount namespace"
	if wait_count_above 2; then
		ok "chroot: the container counts"
	else
		not_ok "chroot: the container counts (count file: $(count), last printed: $(last_out))"
		show_tasks
		show_logs "$T/chroot-run.out"
	fi
	cycle chroot
else
	not_ok "chroot: runc run -d starts a container without a mount namespace"
	show_logs "$T/chroot-run.out"
fi

# --- a container with a terminal (runc run -t, --console-socket) ----------
# Its console is a pty whose master ckpt_console holds, the receiving end
# of runc's --console-socket; the kernel saves the pair and, at restore,
# ckpt criu hands the new master to runc (orphan-pts-master), which sends
# it to the socket given to runc restore.
CONSOLE=$(cd "$(dirname "$0")" && pwd)/ckpt_console

# Each second: the counter, the terminal's name and size; every third,
# "ask", then the line ckpt_console answers, read from the terminal
cat > /tmp/ckpt-runc-tty.sh <<'LOOP'
i=0
while true; do
	i=$((i + 1))
	echo "n=$i tty=$(tty) size=$(stty size)"
	if [ $((i % 3)) = 0 ]; then
		echo ask
		line=
		read -t 2 line
		echo "got:$line"
	fi
	sleep 1
done
LOOP

# make_tty_bundle DIR: the bundle of make_bundle, running that on a terminal
make_tty_bundle() {
	make_bundle "$1" yes || return 1
	for a in tty stty; do ln -s busybox "$1/rootfs/bin/$a"; done
	cp /tmp/ckpt-runc-tty.sh "$1/rootfs/loop.sh"
	sed -i -e 's/"terminal": false/"terminal": true/' "$1/config.json"
}

# bounded SECONDS NAME ARGS...: ARGS in $B, output to $T/NAME.out, given
# SECONDS to end; returns its status, or 124 if it had to be killed
bounded() {
	secs=$1 name=$2
	shift 2
	rm -f "$T/$name.rc"
	(cd "$B" && "$@" > "$T/$name.out" 2>&1; echo $? > "$T/$name.rc") &
	bpid=$!
	i=0
	while [ ! -s "$T/$name.rc" ] && [ $i -lt $((secs * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -s "$T/$name.rc" ]; then
		kill "$bpid" 2>/dev/null
		return 124
	fi
	wait "$bpid"
	return "$(cat "$T/$name.rc")"
}

# console NAME ARGS...: ckpt_console on $T/NAME.sock writing $T/NAME.out,
# killed by cleanup (a .feeder); returns once it listens
console() {
	name=$1
	shift
	"$CONSOLE" "$T/$name.sock" "$T/$name.out" "$@" 2> "$T/$name.err" &
	echo $! > "$T/$name.feeder"
	i=0
	while [ ! -S "$T/$name.sock" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$T/$name.sock" ]
}

# What the terminal showed ckpt_console NAME, without the \r of ONLCR
tty_lines() { tr -d '\r' < "$T/$1.out" 2>/dev/null; }
tty_numbers() { tty_lines "$1" | sed -n 's/^n=\([0-9][0-9]*\) .*/\1/p'; }

# wait_line NAME PATTERN: until a line NAME's terminal showed matches the
# extended regular expression PATTERN (30 s at most)
wait_line() {
	i=0
	while ! tty_lines "$1" | grep -qE "$2" && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	tty_lines "$1" | grep -qE "$2"
}

tty_case() {
	B=$T/tty
	if ! [ -x "$CONSOLE" ] || ! make_tty_bundle "$B" || ! console console1 33 77; then
		not_ok "tty: a bundle with \"terminal\": true and ckpt_console on its socket"
		return 1
	fi
	if ! bounded 60 tty-run runc --root "$STATE" run -d \
		--console-socket "$T/console1.sock" ctT; then
		not_ok "tty: runc run -d --console-socket starts the container"
		show_logs "$T/tty-run.out" "$T/console1.err"
		return 1
	fi
	ok "tty: runc run -d --console-socket starts the container"
	check "tty: the console is /dev/pts/0 of 33x77, as ckpt_console set it" \
		wait_line console1 '^n=[0-9]+ tty=/dev/pts/0 size=33 77$'
	check "tty: the master answers what the container reads (got:answer)" \
		wait_line console1 '^got:answer$'
	check "tty: it counts on the terminal" wait_line console1 '^n=5 '
	checkpoint tty ctT || { show_logs "$T/console1.err"; return 1; }
	sleep 1
	last=$(tty_numbers console1 | tail -n 1)
	if running ctT; then
		not_ok "tty: the container is gone after the checkpoint"
	else
		ok "tty: the container is gone after the checkpoint (last printed $last)"
	fi
	runc --root "$STATE" delete -f ctT 2>/dev/null
	tty_restore "$last"
}

# tty_restore LAST: runc restore with a new console socket, without a size
tty_restore() {
	if ! console console2; then
		not_ok "tty: a second ckpt_console for the restore"
		return 1
	fi
	if ! bounded 120 tty-restore runc --root "$STATE" restore -d \
		--image-path "$T/tty.img" --work-path "$T/tty.work" \
		--console-socket "$T/console2.sock" ctT; then
		not_ok "tty: runc restore -d --console-socket"
		show_logs "$T/tty-restore.out" "$T/tty.work/restore.log" "$T/console2.err"
		return 1
	fi
	ok "tty: runc restore -d --console-socket"
	check "tty: runc says the restored container is running" running ctT
	wait_line console2 '^n=[0-9]+ '
	first=$(tty_numbers console2 | head -n 1)
	if [ "$first" = $(($1 + 1)) ]; then
		ok "tty: the count goes on from $first on the new master"
	else
		not_ok "tty: the count goes on on the new master: first '$first', last saved '$1'"
		show_logs "$T/console2.out" "$T/tty.work/restore.log" "$T/console2.err"
	fi
	check "tty: the restored console is /dev/pts/0, still 33x77" \
		wait_line console2 "^n=$(($1 + 1)) tty=/dev/pts/0 size=33 77\$"
	check "tty: it keeps counting" wait_line console2 "^n=$(($1 + 4)) "
	check "tty: the new master answers what the container reads (got:answer)" \
		wait_line console2 '^got:answer$'
}

tty_case
runc --root "$STATE" kill ctT KILL 2>/dev/null
runc --root "$STATE" delete -f ctT 2>/dev/null
for c in console1 console2; do
	[ -f "$T/$c.feeder" ] && kill "$(cat "$T/$c.feeder")" 2>/dev/null
done

echo "1..$n"
[ "$fails" = 0 ]
