# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers of the shell tests that move a counting container
# (ckpt_kexec_ct) around: ckpt_migrate_test.sh, ckpt_migrate_tcp_test.sh,
# ckpt_kexec_test.sh and ckpt_cpu_test.sh source it, from the directory
# they are in.  It prints
# TAP through ok and not_ok, which count in n and fails.

# The status of a skipped test, for the scripts that source this
# shellcheck disable=SC2034
KSFT_SKIP=4
n=0
fails=0

# A passing test: "ok N" and its description "$@"
ok() { n=$((n + 1)); echo "ok $n $*"; }

# A failing test: "not ok N" and its description "$@"; counted in fails
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $*"; }

# Files "$@" (standard input without any) as TAP diagnostic lines
diag() { sed -e 's/^/# /' "$@"; }

# The status line of the container whose init is $1, read through its
# memfd (ckpt_kexec_ct.c: "tick N child M ok ..."); nothing if it has none
status_of() {
	for fd in /proc/"$1"/fd/*; do
		case $(readlink "$fd") in
		/memfd:count*) head -n 1 "$fd" 2>/dev/null | sed 's/ *$//'; return ;;
		esac
	done
}

# The count of container $1, from its status line; nothing if it has none
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

# Wait up to $2 seconds (default 10) for process $1 to be gone, or to be
# a zombie that nobody reaped yet
gone() {
	i=0
	while [ "$i" -lt $((${2:-10} * 10)) ]; do
		[ -d "/proc/$1" ] || return 0
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# skip N REASON: N tests that cannot run here
skip() {
	j=0
	while [ "$j" -lt "$1" ]; do
		n=$((n + 1))
		echo "ok $n # SKIP $2"
		j=$((j + 1))
	done
}

# Start a process that holds a new network namespace; its pid in $holder,
# empty if the namespace could not be made (why in $TMP/netns.out)
netns_holder() {
	unshare -n sleep 3600 2>>"$TMP/netns.out" &
	holder=$!
	i=0
	while [ "$i" -lt 50 ]; do
		[ -d "/proc/$holder" ] || break
		net=$(readlink "/proc/$holder/ns/net")
		[ -n "$net" ] && [ "$net" != "$(readlink /proc/$$/ns/net)" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$holder" 2>/dev/null
	holder=
}
