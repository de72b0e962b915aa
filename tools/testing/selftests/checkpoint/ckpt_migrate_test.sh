#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Pre-copy migration over TCP: `ckpt migrate --listen` waits,
# `ckpt migrate PID --to` moves a container there (ckpt_kexec_ct: a timer,
# a pipe to a child, a memfd, 16 MiB of memory, pid and time namespaces)
# in rounds of pre-dumps while it runs, then stops it, sends the rest and
# kills it once the other side has restarted it.  The container must go
# on counting there with no tick lost and its memory intact.  If the
# other side cannot restart it, it must go on here instead.
#
# First over loopback; then between two network namespaces joined by a
# veth pair ($VETH_SRC and $VETH_DST), as between two hosts: a container
# started in one is moved by a ckpt there to the listener in the other,
# and must run on there.  Without network namespaces or veth in the
# kernel, those cases are skipped.  The destination restarts by reference:
# its merged.img names the pages in the images it received (PAGES_FILE),
# which restart(2) reads there (lazily with --lazy, once they are gone
# from the directory).
# Prints TAP.

HERE=$(cd "$(dirname "$0")" && pwd)
CKPT=$(command -v ckpt || echo /usr/bin/ckpt)
PORT=${CKPT_MIGRATE_PORT:-7411}
# The addresses of the two ends of the veth pair, one in each namespace
VETH_SRC=10.199.7.1
VETH_DST=10.199.7.2
# The number of tests between the two namespaces
NETNS_TESTS=11
TMP=$(mktemp -d /tmp/ckpt-migrate-test.XXXXXX) || exit 1
# shellcheck source=ckpt_ct_lib.sh
. "$HERE/ckpt_ct_lib.sh"

# Run "$@" in the network namespace of process $1 (here if $1 is empty)
in_net() {
	net_of=$1
	shift
	if [ -n "$net_of" ]; then
		nsenter --net="/proc/$net_of/ns/net" "$@"
	else
		"$@"
	fi
}

# listen NS ADDR [RESTART-OPTIONS...]: start a listener at ADDR:$PORT, in
# the network namespace of process NS (here if empty), with the options of
# $LISTEN_OPTS; its pid in $listener
listen() {
	listen_ns=$1
	listen_addr=$2
	shift 2
	# shellcheck disable=SC2086
	in_net "$listen_ns" "$CKPT" migrate --listen "$listen_addr:$PORT" $LISTEN_OPTS -- "$@" \
		>"$TMP/dst.out" 2>&1 &
	listener=$!
	tcp=/proc/net/tcp
	[ -n "$listen_ns" ] && tcp=/proc/$listen_ns/net/tcp
	i=0
	while [ "$i" -lt 50 ] && ! grep -q ":$(printf '%04X' "$PORT") " "$tcp"; do
		sleep 0.1
		i=$((i + 1))
	done
}

# move NS ADDR [SUFFIX]: move container $pid, from the network namespace
# of process NS (here if empty), to the listener at ADDR:$PORT, and check
# that it runs on there as it was (six tests, SUFFIX after their names);
# its pid there in $new
move() {
	before=$(tick_of "$pid")
	if in_net "$1" "$CKPT" migrate "$pid" --to "$2:$PORT" --min-kib 64 >"$TMP/src.out" 2>&1; then
		ok "ckpt migrate moved it$3"
	else
		not_ok "ckpt migrate moved it$3"
		diag "$TMP/dst.out"
	fi
	diag "$TMP/src.out"
	if grep -q "^ckpt migrate: round 1: " "$TMP/src.out"; then
		ok "in more than one round while it ran$3"
	else
		not_ok "in more than one round while it ran$3"
	fi
	if gone "$pid"; then
		ok "the container is gone from here$3"
	else
		not_ok "the container is gone from here$3"
	fi
	new=$(sed -n 's/.*; pid \([0-9]*\) there$/\1/p' "$TMP/src.out")
	first=$(tick_of "$new")
	if [ -n "$first" ] && [ "$first" -ge "$before" ] && wait_tick_above "$new" 30 $((first + 20)); then
		ok "it counts on there from tick $first ($before before)$3: $(status_of "$new")"
	else
		not_ok "it counts on there (pid '$new', tick '$first', $before before)$3"
	fi
	case $(status_of "$new") in
	*" ok "*) ok "no tick lost in its pipe, its memfd intact, its clocks never back$3" ;;
	*) not_ok "no tick lost in its pipe, its memfd intact, its clocks never back$3" ;;
	esac
	check_mem "$new" "$3"
}

# check_mem PID [SUFFIX]: container PID finds its 16 MiB as it wrote them
check_mem() {
	kill -USR1 "$1" 2>/dev/null
	i=0
	while [ "$i" -lt 600 ] && status_of "$1" | grep -q " mem filled"; do
		sleep 0.1
		i=$((i + 1))
	done
	if status_of "$1" | grep -q " mem same"; then
		ok "its 16 MiB are what it wrote$2"
	else
		not_ok "its 16 MiB are what it wrote$2: $(status_of "$1")"
	fi
}

# kill_there [SUFFIX]: kill container $new; it and the listener must end
kill_there() {
	[ -n "$new" ] && kill -9 "$new" 2>/dev/null
	wait "$listener"
	if [ -n "$new" ] && gone "$new"; then
		ok "killed there, it is gone and the listener is done$1"
	else
		not_ok "killed there, it is gone and the listener is done$1"
	fi
	diag "$TMP/dst.out"
}

# Two network namespaces (their holders $src_ns and $dst_ns) joined by a
# veth pair, $VETH_SRC in the first and $VETH_DST in the second; if the
# guest lacks something for them, $why says what
netns_pair() {
	why=
	for c in unshare nsenter ip ping; do
		command -v "$c" >/dev/null || { why="no $c in the guest"; return; }
	done
	netns_holder
	src_ns=$holder
	netns_holder
	dst_ns=$holder
	if [ -z "$src_ns" ] || [ -z "$dst_ns" ]; then
		why="no network namespaces (CONFIG_NET_NS)"
		return
	fi
	# Made in a new namespace, the peer is veth0 there
	if ! in_net "$src_ns" ip link add name ckmig0 type veth 2>"$TMP/veth.out"; then
		grep -q "not supported" "$TMP/veth.out" && why="no veth in the kernel (CONFIG_VETH)"
		cat "$TMP/veth.out" >>"$TMP/netns.out"
		return
	fi
	{
		in_net "$src_ns" ip link set veth0 netns "$dst_ns"
		in_net "$src_ns" ip link set lo up
		in_net "$src_ns" ip addr add "$VETH_SRC/24" dev ckmig0
		in_net "$src_ns" ip link set ckmig0 up
		in_net "$dst_ns" ip link set lo up
		in_net "$dst_ns" ip link set veth0 name ckmig1
		in_net "$dst_ns" ip addr add "$VETH_DST/24" dev ckmig1
		in_net "$dst_ns" ip link set ckmig1 up
	} >>"$TMP/netns.out" 2>&1
}

# The bytes sent from the network namespace of process $1 through its device $2
tx_bytes() {
	tr ':' ' ' <"/proc/$1/net/dev" | awk -v dev="$2" '$1 == dev { print $10 }'
}

# The namespace of process $2 reaches $1 (a few tries while the link comes up)
reaches() {
	i=0
	while [ "$i" -lt 10 ]; do
		in_net "$2" ping -c 1 -W 1 "$1" >/dev/null 2>&1 && return 0
		i=$((i + 1))
	done
	return 1
}

echo "TAP version 13"
if [ ! -x "$HERE/ckpt_kexec_ct" ] || ! "$CKPT" migrate --help >/dev/null 2>&1; then
	echo "1..0 # SKIP no ckpt_kexec_ct or no ckpt migrate"
	exit $KSFT_SKIP
fi
echo "1..$((21 + NETNS_TESTS))"
ip link set lo up 2>/dev/null

pid=$("$HERE/ckpt_kexec_ct" 16)
sleep 0.2
if [ -n "$pid" ] && wait_tick_above "$pid" 120 10; then
	ok "the container counts: $(status_of "$pid")"
else
	not_ok "the container counts (pid '$pid': $(status_of "$pid"))"
fi

# A destination that cannot restart it: the container goes on here
listen "" 127.0.0.1 --root /nonexistent
before=$(tick_of "$pid")
if "$CKPT" migrate "$pid" --to "127.0.0.1:$PORT" >"$TMP/src.out" 2>&1; then
	not_ok "a migration to a failing destination fails"
else
	ok "a migration to a failing destination fails"
fi
diag "$TMP/src.out"
wait "$listener"
if wait_tick_above "$pid" 30 $((before + 20)) && status_of "$pid" | grep -q " ok "; then
	ok "the container goes on here, not stopped: $(status_of "$pid")"
else
	not_ok "the container goes on here: $(status_of "$pid")"
	diag "$TMP/dst.out"
fi

listen "" 127.0.0.1
move "" 127.0.0.1
if grep -q "^ckpt migrate: merged.img: [0-9]* KiB, its pages left in [1-9][0-9]* file(s) ([1-9][0-9]* PAGES_FILE)" \
	"$TMP/dst.out"; then
	ok "the destination merged the rounds by reference"
else
	not_ok "the destination merged the rounds by reference"
fi
kill_there

# Post-copy: the destination restarts lazily, the pages read from the rounds
pid=$("$HERE/ckpt_kexec_ct" 16)
sleep 0.2
wait_tick_above "$pid" 120 10
mkdir "$TMP/dst"
LISTEN_OPTS="--lazy -v --dir $TMP/dst"
listen "" 127.0.0.1
LISTEN_OPTS=
move "" 127.0.0.1 " (lazy)"
if grep -qE ", [1-9][0-9]* lazy" "$TMP/dst.out"; then
	ok "the destination left pages in the images received (lazy)"
else
	not_ok "the destination left pages in the images received (lazy)"
fi
# Its 16 MiB are in the rounds: merged.img has their PAGES_FILE, not them
size=$(stat -c %s "$TMP/dst/merged.img" 2>/dev/null)
"$CKPT" show "$TMP/dst/merged.img" >"$TMP/merged.show" 2>&1
shown=$?
files=$(grep -c "^\[[0-9]*\] PAGES_FILE " "$TMP/merged.show")
if [ "$shown" = 0 ] && [ -n "$size" ] && [ "$size" -lt $((1 << 20)) ] && [ "$files" -gt 0 ]; then
	ok "merged.img is valid and small ($size bytes), with $files PAGES_FILE records (lazy)"
else
	not_ok "merged.img is valid (ckpt show: $shown) and small (${size:-no file}), with PAGES_FILE records ($files) (lazy)"
	tail -n 5 "$TMP/merged.show" | diag
fi
if [ -n "$(find "$TMP/dst" -name 'round-*')" ]; then
	not_ok "the rounds are gone from the directory once restarted (lazy)"
else
	ok "the rounds are gone from the directory once restarted (lazy)"
fi
kill_there " (lazy)"

# Between two network namespaces, over a veth pair
netns_pair
if [ -n "$why" ]; then
	skip "$NETNS_TESTS" "$why"
else
	if reaches "$VETH_DST" "$src_ns"; then
		ok "$VETH_SRC reaches $VETH_DST over a veth pair between two network namespaces"
	else
		not_ok "$VETH_SRC reaches $VETH_DST over a veth pair between two network namespaces"
		diag "$TMP/netns.out"
	fi
	pid=$(in_net "$src_ns" "$HERE/ckpt_kexec_ct" 16)
	sleep 0.2
	if [ -n "$pid" ] && wait_tick_above "$pid" 120 10 &&
	   [ "$(readlink "/proc/$pid/ns/net")" = "$(readlink "/proc/$src_ns/ns/net")" ]; then
		ok "a container counts in the namespace of $VETH_SRC: $(status_of "$pid")"
	else
		not_ok "a container counts in the namespace of $VETH_SRC (pid '$pid': $(status_of "$pid"))"
	fi
	listen "$dst_ns" "$VETH_DST"
	sent_before=$(tx_bytes "$src_ns" ckmig0)
	move "$src_ns" "$VETH_DST" " (veth, $VETH_SRC to $VETH_DST)"
	sent_after=$(tx_bytes "$src_ns" ckmig0)
	sent=$((${sent_after:-0} - ${sent_before:-0}))
	if [ "$sent" -gt $((16 << 20)) ]; then
		ok "its 16 MiB and more went through the veth pair ($sent bytes)"
	else
		not_ok "its 16 MiB and more went through the veth pair ($sent bytes)"
	fi
	if [ -n "$new" ] &&
	   [ "$(readlink "/proc/$new/ns/net")" = "$(readlink "/proc/$dst_ns/ns/net")" ]; then
		ok "it runs in the namespace of $VETH_DST"
	else
		not_ok "it runs in the namespace of $VETH_DST (pid '$new')"
	fi
	kill_there " (veth)"
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
fi
# The namespaces, and the veth pair with them, go with their holders
for h in $src_ns $dst_ns; do
	kill -9 "$h" 2>/dev/null
	wait "$h" 2>/dev/null
done
rm -rf "$TMP"
[ "$fails" = 0 ]
