#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Pre-copy migration over TCP (loopback): `ckpt migrate --listen` waits,
# `ckpt migrate PID --to` moves a container there (ckpt_kexec_ct: a timer,
# a pipe to a child, a memfd, 16 MiB of memory, pid and time namespaces)
# in rounds of pre-dumps while it runs, then stops it, sends the rest and
# kills it once the other side has restarted it.  The container must go
# on counting there with no tick lost and its memory intact.  If the
# other side cannot restart it, it must go on here instead.
# Prints TAP.

KSFT_SKIP=4
n=0
fails=0
HERE=$(cd "$(dirname "$0")" && pwd)
CKPT=$(command -v ckpt || echo /usr/bin/ckpt)
PORT=${CKPT_MIGRATE_PORT:-7411}
TMP=$(mktemp -d /tmp/ckpt-migrate-test.XXXXXX) || exit 1

ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $*"; }
diag() { sed -e 's/^/# /' "$@"; }

# The status line of the container whose init is $1 (ckpt_kexec_ct.c)
status_of() {
	for fd in /proc/"$1"/fd/*; do
		case $(readlink "$fd") in
		/memfd:count*) head -n 1 "$fd" 2>/dev/null | sed 's/ *$//'; return ;;
		esac
	done
}

tick_of() { status_of "$1" | awk '$1 == "tick" { print $2 }'; }

# Wait up to $2 seconds for container $1 to count past $3
wait_tick_above() {
	i=0
	while [ "$i" -lt $(($2 * 10)) ]; do
		t=$(tick_of "$1")
		[ -n "$t" ] && [ "$t" -gt "$3" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Wait up to 10 s for process $1 to be gone (or a zombie nobody reaped yet)
gone() {
	i=0
	while [ "$i" -lt 100 ]; do
		[ -d "/proc/$1" ] || return 0
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Start a listener with restart options "$@"; its pid in $listener
listen() {
	"$CKPT" migrate --listen "127.0.0.1:$PORT" -- "$@" >"$TMP/dst.out" 2>&1 &
	listener=$!
	i=0
	while [ "$i" -lt 50 ] && ! grep -q ":$(printf '%04X' "$PORT") " /proc/net/tcp; do
		sleep 0.1
		i=$((i + 1))
	done
}

echo "TAP version 13"
if [ ! -x "$HERE/ckpt_kexec_ct" ] || ! "$CKPT" migrate --help >/dev/null 2>&1; then
	echo "1..0 # SKIP no ckpt_kexec_ct or no ckpt migrate"
	exit $KSFT_SKIP
fi
echo "1..10"
ip link set lo up 2>/dev/null

pid=$("$HERE/ckpt_kexec_ct" 16)
sleep 0.2
if [ -n "$pid" ] && wait_tick_above "$pid" 120 10; then
	ok "the container counts: $(status_of "$pid")"
else
	not_ok "the container counts (pid '$pid': $(status_of "$pid"))"
fi

# A destination that cannot restart it: the container goes on here
listen --root /nonexistent
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

listen
before=$(tick_of "$pid")
if "$CKPT" migrate "$pid" --to "127.0.0.1:$PORT" --min-kib 64 >"$TMP/src.out" 2>&1; then
	ok "ckpt migrate moved it"
else
	not_ok "ckpt migrate moved it"
	diag "$TMP/dst.out"
fi
diag "$TMP/src.out"
if grep -q "^ckpt migrate: round 1: " "$TMP/src.out"; then
	ok "in more than one round while it ran"
else
	not_ok "in more than one round while it ran"
fi
if gone "$pid"; then
	ok "the container is gone from here"
else
	not_ok "the container is gone from here"
fi
new=$(sed -n 's/.*; pid \([0-9]*\) there$/\1/p' "$TMP/src.out")
first=$(tick_of "$new")
if [ -n "$first" ] && [ "$first" -ge "$before" ] && wait_tick_above "$new" 30 $((first + 20)); then
	ok "it counts on there from tick $first ($before before): $(status_of "$new")"
else
	not_ok "it counts on there (pid '$new', tick '$first', $before before)"
fi
case $(status_of "$new") in
*" ok "*) ok "no tick lost in its pipe, its memfd intact, its clocks never back" ;;
*) not_ok "no tick lost in its pipe, its memfd intact, its clocks never back" ;;
esac
kill -USR1 "$new" 2>/dev/null
i=0
while [ "$i" -lt 600 ] && status_of "$new" | grep -q " mem filled"; do
	sleep 0.1
	i=$((i + 1))
done
if status_of "$new" | grep -q " mem same"; then
	ok "its 16 MiB are what it wrote"
else
	not_ok "its 16 MiB are what it wrote: $(status_of "$new")"
fi
[ -n "$new" ] && kill -9 "$new" 2>/dev/null
wait "$listener"
if [ -n "$new" ] && gone "$new"; then
	ok "killed there, it is gone and the listener is done"
else
	not_ok "killed there, it is gone and the listener is done"
fi
diag "$TMP/dst.out"
rm -rf "$TMP"
[ "$fails" = 0 ]
