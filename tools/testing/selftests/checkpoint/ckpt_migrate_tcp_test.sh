#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A TCP connection moves with `ckpt migrate`: a container (ckpt_tcp_pattern
# client) in network namespace A, at $TREE, talks to a server in
# namespace P (ckpt_tcp_pattern server, at $PEER), each side sending the
# next of its 64-bit counters every 10 ms and checking the other's.  P
# holds a bridge with one veth pair to A and one to B, as three hosts on
# one link.  The migration itself goes over another subnet of that link,
# from $SRC in A to the listener at $DST in B: a connection from the
# address that moves would lose its replies once B has it.  `ckpt migrate --addr` moves the
# container and its address from A to B: the destination adds the address
# before the restart and announces it (gratuitous ARP), the source kills
# the container with its connection closed silently (no FIN, no reset)
# and deletes the address.  The server must go on receiving counters with
# no gap, no end and no reset, and the container the server's; the
# address must be in B only.  Before that, a destination that cannot
# restart the container: it must go on in A, its connection with it, the
# address left in A only.
#
# Without network namespaces, veth or a bridge in the kernel, the tests
# are skipped.  Prints TAP.

HERE=$(cd "$(dirname "$0")" && pwd)
CKPT=$(command -v ckpt || echo /usr/bin/ckpt)
PATTERN=$HERE/ckpt_tcp_pattern
PORT=${CKPT_MIGRATE_PORT:-7412}
SERVER_PORT=7413
NET=10.199.8
PEER=$NET.1
TREE=$NET.2
# The migration's own subnet
SRC=10.199.9.2
DST=10.199.9.3
TESTS=10
TMP=$(mktemp -d /tmp/ckpt-migrate-tcp-test.XXXXXX) || exit 1
# shellcheck source=ckpt_ct_lib.sh
. "$HERE/ckpt_ct_lib.sh"

p_ns=
a_ns=
b_ns=
pid=
new=
server=
listener=

# Run "$@" in the network namespace of process $1 (nsenter execs it: in the
# background, $! is its pid)
in_net() {
	net_of=$1
	shift
	nsenter --net="/proc/$net_of/ns/net" "$@"
}

# link NS DEV ADDR: a veth pair from P's bridge to namespace NS, DEV there
# with ADDR/24.  Made in P, its peer is veth0 there until it moves.
link() {
	in_net "$p_ns" ip link add name "p$2" type veth || return 1
	in_net "$p_ns" ip link set veth0 netns "$1" || return 1
	in_net "$p_ns" ip link set "p$2" master ckbr0 2>/dev/null ||
		in_net "$p_ns" brctl addif ckbr0 "p$2" || return 1
	in_net "$p_ns" ip link set "p$2" up
	in_net "$1" ip link set lo up
	in_net "$1" ip link set veth0 name "$2"
	in_net "$1" ip addr add "$3/24" dev "$2"
	in_net "$1" ip link set "$2" up
}

# P, A and B on one bridge in P; if something is missing, $why says what
topology() {
	why=
	for c in unshare nsenter ip; do
		command -v "$c" >/dev/null || { why="no $c in the guest"; return; }
	done
	netns_holder
	p_ns=$holder
	netns_holder
	a_ns=$holder
	netns_holder
	b_ns=$holder
	if [ -z "$p_ns" ] || [ -z "$a_ns" ] || [ -z "$b_ns" ]; then
		why="no network namespaces (CONFIG_NET_NS)"
		return
	fi
	if ! in_net "$p_ns" ip link add name ckbr0 type bridge 2>>"$TMP/netns.out"; then
		why="no bridge in the kernel (CONFIG_BRIDGE)"
		return
	fi
	if ! in_net "$p_ns" ip link add name ckprobe type veth 2>>"$TMP/netns.out"; then
		why="no veth in the kernel (CONFIG_VETH)"
		return
	fi
	{
		in_net "$p_ns" ip link del ckprobe
		in_net "$p_ns" ip link set lo up
		in_net "$p_ns" ip addr add "$PEER/24" dev ckbr0
		in_net "$p_ns" ip link set ckbr0 up
		link "$a_ns" ckta "$TREE"
		in_net "$a_ns" ip addr add "$SRC/24" dev ckta
		link "$b_ns" cktb "$DST"
	} >>"$TMP/netns.out" 2>&1
}

# The namespace of process $2 reaches $1 (a few tries while the links come up)
reaches() {
	i=0
	while [ "$i" -lt 10 ]; do
		in_net "$2" ping -c 1 -W 1 "$1" >/dev/null 2>&1 && return 0
		i=$((i + 1))
	done
	return 1
}

# The server's status line, and its count of counters
server_status() { head -n 1 "$TMP/server.st" 2>/dev/null | sed 's/ *$//'; }
server_got() { server_status | awk '$1 == "got" { print $2 }'; }

# Wait up to $1 seconds for the server to count past $2, all well
server_past() {
	i=0
	while [ "$i" -lt $(($1 * 10)) ]; do
		case $(server_status) in
		*" ok") ;;
		*) return 1 ;;
		esac
		g=$(server_got)
		[ -n "$g" ] && [ "$g" -gt "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# The server's counters container $1 got in order
client_got() { status_of "$1" | awk '$1 == "tick" { print $4 }'; }

# client_past PID SINCE: within 10 s, container PID got the server's
# counters in order past SINCE, all well
client_past() {
	i=0
	while [ "$i" -lt 100 ]; do
		case $(status_of "$1") in
		*" ok") ;;
		*) return 1 ;;
		esac
		got=$(client_got "$1")
		[ -n "$got" ] && [ "$got" -gt "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# listen [RESTART-OPTIONS...]: a listener in B at $DST:$PORT, its pid in $listener
listen() {
	nsenter --net="/proc/$b_ns/ns/net" "$CKPT" migrate --listen "$DST:$PORT" --addr "$TREE/24@cktb" -- "$@" \
		>"$TMP/dst.out" 2>&1 &
	listener=$!
	i=0
	while [ "$i" -lt 50 ] &&
	      ! grep -q ":$(printf '%04X' "$PORT") " "/proc/$b_ns/net/tcp"; do
		sleep 0.1
		i=$((i + 1))
	done
}

# Wait up to $1 seconds for the listener to be done; killed if it is not
end_listener() {
	gone "$listener" "$1" || kill -9 "$listener" 2>/dev/null
	wait "$listener" 2>/dev/null
	listener=
}

# Run ckpt migrate from A, for 30 s at most: its status
migrate() {
	timeout 30 nsenter --net="/proc/$a_ns/ns/net" "$CKPT" migrate "$pid" --to "$DST:$PORT" --addr "$TREE/24@ckta" -v \
		>"$TMP/src.out" 2>&1
}

# has NS DEV: the namespace of process NS has $TREE on DEV
has() { in_net "$1" ip -4 addr show dev "$2" 2>/dev/null | grep -q "inet $TREE/"; }

cleanup() {
	for p in $new $pid $server $listener $p_ns $a_ns $b_ns; do
		kill -9 "$p" 2>/dev/null
	done
	for p in $server $listener $p_ns $a_ns $b_ns; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "TAP version 13"
if [ ! -x "$PATTERN" ] || ! "$CKPT" migrate --help 2>/dev/null | grep -q -- --addr; then
	echo "1..0 # SKIP no ckpt_tcp_pattern or no ckpt migrate --addr"
	exit "$KSFT_SKIP"
fi
echo "1..$TESTS"
topology
if [ -n "$why" ]; then
	skip "$TESTS" "$why"
	diag "$TMP/netns.out"
	exit 0
fi

if reaches "$PEER" "$a_ns" && reaches "$DST" "$a_ns"; then
	ok "A reaches $PEER (P) and $DST (B) over P's bridge"
else
	not_ok "A reaches $PEER (P) and $DST (B) over P's bridge"
	diag "$TMP/netns.out"
fi

nsenter --net="/proc/$p_ns/ns/net" "$PATTERN" server "$PEER" "$SERVER_PORT" "$TMP/server.st" 2>"$TMP/server.out" &
server=$!
i=0
while [ "$i" -lt 50 ] && ! server_status | grep -q listening; do
	sleep 0.1
	i=$((i + 1))
done
pid=$(in_net "$a_ns" "$PATTERN" client "$PEER" "$SERVER_PORT" "$TREE")
if [ -n "$pid" ] && server_past 20 20 && client_past "$pid" 20; then
	ok "a container in A talks to P over TCP: $(status_of "$pid"); server: $(server_status)"
else
	not_ok "a container in A talks to P over TCP (pid '$pid': $(status_of "$pid"); server: $(server_status))"
	diag "$TMP/server.out"
fi

# A destination that cannot restart it: it goes on in A, and so does its connection
listen --root /nonexistent
if migrate; then
	not_ok "a migration to a failing destination fails"
else
	ok "a migration to a failing destination fails"
fi
grep '^ckpt' "$TMP/src.out" | diag
end_listener 10
g=$(server_got)
c=$(client_got "$pid")
if server_past 15 $((${g:-0} + 50)) && client_past "$pid" $((${c:-0} + 50)); then
	ok "the connection goes on from A, no counter lost either way: $(server_status)"
else
	not_ok "the connection goes on from A, no counter lost either way: $(status_of "$pid"); server: $(server_status)"
	diag "$TMP/dst.out"
fi
if has "$a_ns" ckta && ! has "$b_ns" cktb; then
	ok "$TREE is still in A only"
else
	not_ok "$TREE is still in A only"
fi

# To B: the container, its connection and its address
listen
if migrate; then
	ok "ckpt migrate --addr moved it from A to B"
	grep '^ckpt' "$TMP/src.out" | diag
else
	not_ok "ckpt migrate --addr moved it from A to B"
	diag "$TMP/src.out" "$TMP/dst.out"
	dmesg | tail -n 30 | diag
fi
new=$(sed -n 's/.*; pid \([0-9]*\) there$/\1/p' "$TMP/src.out")
if [ -n "$new" ] && gone "$pid" &&
   [ "$(readlink "/proc/$new/ns/net")" = "$(readlink "/proc/$b_ns/ns/net")" ]; then
	ok "it runs in B (pid $new) and is gone from A"
else
	not_ok "it runs in B (pid '$new') and is gone from A"
fi
g=$(server_got)
if server_past 20 $((${g:-0} + 50)); then
	ok "the server gets 50 more counters from B, none lost, no end, no reset: $(server_status)"
else
	not_ok "the server gets 50 more counters from B, none lost, no end, no reset: $(server_status)"
fi
if [ -n "$new" ] && client_past "$new" $((${g:-0} + 50)); then
	ok "the server's counters reach it in B in order: $(status_of "$new")"
else
	not_ok "the server's counters reach it in B in order: $(status_of "$new")"
fi
if ! has "$a_ns" ckta && has "$b_ns" cktb; then
	ok "$TREE is gone from A and is in B"
else
	not_ok "$TREE is gone from A and is in B"
	in_net "$a_ns" ip addr show dev ckta | diag
	in_net "$b_ns" ip addr show dev cktb | diag
fi
trap - EXIT
cleanup
[ "$fails" = 0 ]
