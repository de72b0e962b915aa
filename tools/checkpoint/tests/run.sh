#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of ckpt: the command line, `ckpt show` on a synthetic image
# and on damaged copies of it, and how checkpoint/restart fail where the
# system calls are missing.  They need no checkpoint kernel, only a C
# compiler and python3; valgrind and the sanitizers are used when present.
#
# Prints TAP; exits non-zero if a test fails.  Works from any directory
# and builds what it needs in a temporary directory; CKPT=path tests that
# binary instead of the one it builds (the builds are still checked).
#
# The expected output of `ckpt show` is tests/good.show; after an intended
# change of the output, regenerate it with
#   tests/mkimage.py - | ckpt show - > tests/good.show
# and review the diff.  The fixture images of the selftests are decoded
# too; see tools/testing/selftests/checkpoint/fixtures/README.
#
# `ckpt criu`, the CRIU-compatible front end, is tested by the client
# tests/criu_test.c (make criu-test), against the static and the
# sanitized builds.  The kernel's figures and the progress line are
# tested by tests/stats_test.c (make stats-test), and the commands that
# show them (--stats, --progress, -v) with tests/fake_kernel.c, a
# checkpoint(2) and restart(2) preloaded into the dynamic build.

set -u

GIVEN_CKPT=${CKPT:-}
TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(dirname "$TESTS")
MKIMAGE=(python3 "$TESTS/mkimage.py")
TIMEOUT=(timeout 20)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ckpt-tests.XXXXXX") || exit 1
# The cgroups a test of --cgroup-root makes, deepest first
CGROUPS_MADE=()
trap 'rmdir "${CGROUPS_MADE[@]}" 2>/dev/null; rm -rf "$TMP"' EXIT

n=0
failed=0

ok()
{
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok()
{
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
	return 0
}

skip()
{
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# check NAME COMMAND...: a test that passes if COMMAND succeeds
check()
{
	local name=$1 out

	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name" "$out"
	fi
}

echo "TAP version 13"

# --- build ---

build()
{
	local dir=$1

	shift
	# Not the settings of a make that runs us (`make check`)
	mkdir -p "$dir" &&
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CFLAGS -u LDFLAGS \
		make -s -C "$SRC" OUTPUT="$dir/" "$@" >"$dir.log" 2>&1
}

CKPT=$TMP/static/ckpt
if build "$TMP/static"; then
	ok "build: static ckpt with -Wall -Wextra -Werror, in OUTPUT="
else
	not_ok "build: static ckpt with -Wall -Wextra -Werror, in OUTPUT=" \
		"$(cat "$TMP/static.log")"
	echo "1..$n"
	exit 1
fi

is_static()
{
	! readelf -l "$1" 2>/dev/null | grep -q INTERP &&
		readelf -h "$1" >/dev/null 2>&1
}
if command -v readelf >/dev/null; then
	check "build: the binary is static" is_static "$CKPT"
else
	skip "build: the binary is static" "no readelf"
fi

if [ -n "$GIVEN_CKPT" ]; then
	CKPT=$(realpath "$GIVEN_CKPT")
	echo "# testing $CKPT, not the binary built here"
	if command -v readelf >/dev/null; then
		check "build: the given CKPT is static" is_static "$CKPT"
	else
		skip "build: the given CKPT is static" "no readelf"
	fi
fi

# Syscall numbers that no kernel has: checkpoint/restart fail with ENOSYS
NOSYS=$TMP/nosys/ckpt
build "$TMP/nosys" EXTRA_CFLAGS="-D__NR_checkpoint=1023 -D__NR_restart=1022" ||
	NOSYS=

ASAN=$TMP/asan/ckpt
ASAN_CFLAGS="-g -fsanitize=address,undefined -fno-sanitize-recover=all"
build "$TMP/asan" STATIC= EXTRA_CFLAGS="$ASAN_CFLAGS" || ASAN=

# Dynamic: for valgrind, and for the fake kernel that is preloaded into it
DYNAMIC=$TMP/dynamic/ckpt
build "$TMP/dynamic" STATIC= EXTRA_CFLAGS=-g || DYNAMIC=
VALGRIND=$DYNAMIC
command -v valgrind >/dev/null || VALGRIND=

# --- command line ---

# expect NAME STATUS PATTERN COMMAND...: exit status and a line of output
expect()
{
	local name=$1 status=$2 pattern=$3 out rc

	shift 3
	out=$("${TIMEOUT[@]}" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$status" ]; then
		not_ok "$name" "exit status $rc, expected $status" "$out"
	elif ! grep -qE -- "$pattern" <<<"$out"; then
		not_ok "$name" "no line matches: $pattern" "$out"
	else
		ok "$name"
	fi
}

expect "cli: --help lists the commands" 0 '^  show ' "$CKPT" --help
expect "cli: --help lists criu" 0 '^  criu ' "$CKPT" --help
expect "cli: criu --help" 0 '^Usage: criu --version' "$CKPT" criu --help
expect "cli: --version names the image format" 0 \
	'^ckpt .*image format versions 1 to [0-9]+\)$' "$CKPT" --version
for cmd in checkpoint restart show; do
	expect "cli: $cmd --help" 0 "^Usage: ckpt $cmd " "$CKPT" $cmd --help
done
expect "cli: no command is a usage error" 2 '^Usage: ckpt' "$CKPT"
expect "cli: an unknown command is a usage error" 2 \
	"unknown command 'frobnicate'" "$CKPT" frobnicate
expect "cli: checkpoint needs -o" 2 '^ckpt: checkpoint: -o FILE is needed' \
	"$CKPT" checkpoint 1
expect "cli: checkpoint needs a numeric PID" 2 'PID must be a positive' \
	"$CKPT" checkpoint 12abc -o "$TMP/x.img"
expect "cli: checkpoint: -v and --log exclude each other" 2 'exclude' \
	"$CKPT" checkpoint 1 -o "$TMP/x.img" -v --log "$TMP/log"
expect "cli: checkpoint: --track and --kill exclude each other" 2 \
	'^ckpt: checkpoint: --track and --predump exclude --kill' \
	"$CKPT" checkpoint 1 -o "$TMP/x.img" --track --kill
expect "cli: checkpoint: --predump and --kill exclude each other" 2 \
	'^ckpt: checkpoint: --track and --predump exclude --kill' \
	"$CKPT" checkpoint 1 -o "$TMP/x.img" --predump --kill
expect "cli: checkpoint: --stop excludes --predump" 2 \
	'^ckpt: checkpoint: --stop excludes --kill and --predump' \
	"$CKPT" checkpoint 1 -o "$TMP/x.img" --stop --predump
expect "cli: checkpoint: --lazy excludes --predump" 2 \
	'^ckpt: checkpoint: --lazy excludes --incremental and --predump$' \
	"$CKPT" checkpoint 1 -o "$TMP/x.img" --lazy --predump
expect "cli: checkpoint: --lazy excludes --incremental" 2 \
	'^ckpt: checkpoint: --lazy excludes --incremental and --predump$' \
	"$CKPT" checkpoint 1 -o "$TMP/x.img" --incremental --lazy
expect "cli: checkpoint --help names --lazy" 0 '^      --lazy  ' \
	"$CKPT" checkpoint --help
NEWEST=$(sed -n 's/^#define CKPT_IMAGE_VERSION[[:space:]]*\([0-9]*\).*/\1/p' \
	"$SRC/../../include/uapi/linux/checkpoint.h")
for v in 0 $((NEWEST + 1)) 256 -1 +1 x 1x ""; do
	expect "cli: checkpoint --format-version '$v' is refused" 2 \
		"^ckpt: checkpoint: --format-version takes a version from 1 to $NEWEST\$" \
		"$CKPT" checkpoint 1 -o "$TMP/x.img" --format-version "$v"
done
expect "cli: kexec --format-version $((NEWEST + 1)) is refused" 2 \
	"^ckpt: kexec: --format-version takes a version from 1 to $NEWEST\$" \
	"$CKPT" kexec --store "$TMP/store" --format-version $((NEWEST + 1)) 1
expect "cli: checkpoint --help names --format-version" 0 '^      --format-version N  ' \
	"$CKPT" checkpoint --help
expect "cli: restart --help names --lazy and RESTART_LAZY" 0 \
	'flag RESTART_LAZY' "$CKPT" restart --help
expect "cli: restart --help names --ext-pages" 0 '^      --ext-pages N=FILE$' \
	"$CKPT" restart --help
for arg in x 1 =a -1=a 1:a; do
	expect "cli: restart: --ext-pages $arg is not N=FILE (125)" 125 \
		'^ckpt: restart: --ext-pages wants N=FILE$' \
		"$CKPT" restart --ext-pages "$arg" "$TMP/b.img"
done
expect "cli: migrate needs a PID and --to" 2 'give one PID and --to' \
	"$CKPT" migrate 1
expect "cli: migrate: a numeric address" 2 'not \[ADDR:\]PORT with a numeric address' \
	"$CKPT" migrate 1 --to example.org:7411
expect "cli: migrate --listen and --to exclude each other" 2 'exclude each other' \
	"$CKPT" migrate --listen 7411 --to 7411
expect "cli: --help lists migrate" 0 '^  migrate ' "$CKPT" --help
expect "cli: checkpoint --help names --track and --incremental" 0 '^      --incremental  ' \
	"$CKPT" checkpoint --help
expect "cli: --help lists merge" 0 '^  merge ' "$CKPT" --help
expect "cli: restart needs a FILE (status 125)" 125 'one FILE is needed' \
	"$CKPT" restart
expect "cli: restart --ext-mount wants MOUNTPOINT=PATH (125)" 125 \
	'^ckpt: restart: --ext-mount wants MOUNTPOINT=PATH$' \
	"$CKPT" restart --ext-mount /data /dev/null
expect "cli: restart --ext-mount wants an absolute MOUNTPOINT (125)" 125 \
	'MOUNTPOINT must be an absolute path' \
	"$CKPT" restart --ext-mount data=/ /dev/null
expect "cli: restart --ext-mount: a MOUNTPOINT of 64 bytes is too long (125)" 125 \
	'^ckpt: restart: --ext-mount: MOUNTPOINT /a{63} is longer than 63 bytes$' \
	"$CKPT" restart --ext-mount "/$(printf 'a%.0s' {1..63})=/" /dev/null
expect "cli: restart --ext-mount: PATH must exist (125)" 125 \
	"^ckpt: restart: --ext-mount: $TMP/missing: No such file or directory$" \
	"$CKPT" restart -m "/data=$TMP/missing" /dev/null
expect "cli: restart --help names --cgroup-root" 0 '^  -g, --cgroup-root DIR$' \
	"$CKPT" restart --help
expect "cli: restart --help names --inherit-fd and --sibling" 0 \
	'^  -s, --sibling  .*$' "$CKPT" restart --help
expect "cli: restart --inherit-fd wants pipe:[INO]=FD or socket:[INO]=FD (125)" 125 \
	'^ckpt: restart: --inherit-fd wants pipe:\[INO\]=FD or socket:\[INO\]=FD$' \
	"$CKPT" restart --inherit-fd /dev/tty=0 /dev/null
expect "cli: restart --help names --thaw and RESTART_THAW" 0 \
	'^  -t, --thaw  .*$' "$CKPT" restart --help
expect "cli: restart --help: --thaw is the flag RESTART_THAW" 0 \
	'\(restart\(2\) flag RESTART_THAW\)$' "$CKPT" restart --help
expect "cli: restart --cgroup-root wants a directory (125)" 125 \
	'^ckpt: restart: --cgroup-root wants a directory$' \
	"$CKPT" restart --cgroup-root '' /dev/null
expect "cli: restart --cgroup-root is given once (125)" 125 \
	'^ckpt: restart: --cgroup-root is given more than once$' \
	"$CKPT" restart -g "$TMP" -g "$TMP" /dev/null
mkdir "$TMP/notcg"
expect "cli: restart --cgroup-root refuses a directory not on cgroup2 (125)" 125 \
	"^ckpt: restart: --cgroup-root: $TMP/notcg is not on a cgroup2 filesystem$" \
	"$CKPT" restart --cgroup-root "$TMP/notcg" /dev/null
expect "cli: restart --cgroup-root makes no directory outside cgroup2 (125)" 125 \
	"^ckpt: restart: --cgroup-root: cannot create $TMP/notcg/a: $TMP/notcg is not on a cgroup2 filesystem$" \
	"$CKPT" restart --cgroup-root "$TMP/notcg/a/b" /dev/null
check "cli: restart --cgroup-root left nothing behind" test ! -e "$TMP/notcg/a"
expect "cli: restart --cgroup-root wants a directory, not a file (125)" 125 \
	'^ckpt: restart: --cgroup-root: /dev/null: Not a directory$' \
	"$CKPT" restart --cgroup-root /dev/null /dev/null
expect "cli: restart --cgroup-root: usage errors come first (125)" 125 \
	'one FILE is needed' "$CKPT" restart --cgroup-root "$TMP/notcg/a"

# The mount points of cgroup v1 hierarchies and of cgroup v2, if any
mounts_of()
{
	awk -v type="$1" '{
		for (i = 7; i <= NF; i++)
			if ($i == "-") {
				if ($(i + 1) == type)
					print $5
				break
			}
	}' /proc/self/mountinfo 2>/dev/null | grep -v '\\' | head -1
}
CGROUP1=$(mounts_of cgroup)
CGROUP2=$(mounts_of cgroup2)
if [ -n "$CGROUP1" ]; then
	expect "cli: restart --cgroup-root refuses cgroup v1 (125)" 125 \
		"^ckpt: restart: --cgroup-root: $CGROUP1 is not on a cgroup2 filesystem \\(cgroup v1 is not supported\\)$" \
		"$CKPT" restart --cgroup-root "$CGROUP1" /dev/null
else
	skip "cli: restart --cgroup-root refuses cgroup v1 (125)" "no cgroup v1 mounted"
fi
expect "cli: show of a missing file fails" 1 \
	'^ckpt: show: .*/missing.img: No such file' "$CKPT" show "$TMP/missing.img"

# --- checkpoint and restart without the system calls ---

# 4194305 is above PID_MAX_LIMIT: no such process on any kernel
expect "checkpoint: a failure is reported as 'ckpt: checkpoint: <reason>'" 1 \
	'^ckpt: checkpoint: ' "$CKPT" checkpoint 4194305 -o "$TMP/fail.img"
if [ -e "$TMP/fail.img" ]; then
	not_ok "checkpoint: no partial image is left after a failure"
else
	ok "checkpoint: no partial image is left after a failure"
fi
expect "restart: a failure is reported as 'ckpt: restart: <reason>' (125)" \
	125 '^ckpt: restart: ' "$CKPT" restart /dev/null

if [ -n "$NOSYS" ]; then
	expect "checkpoint: ENOSYS is reported with its cause" 1 \
		'has no checkpoint\(2\) system call' \
		"$NOSYS" checkpoint 4194305 -o "$TMP/fail.img"
	expect "checkpoint: ENOSYS is 'Function not implemented'" 1 \
		'^ckpt: checkpoint: Function not implemented$' \
		"$NOSYS" checkpoint 4194305 -o "$TMP/fail.img" \
		--log "$TMP/cklog"
	if [ -f "$TMP/cklog" ]; then
		ok "checkpoint: --log FILE creates FILE"
	else
		not_ok "checkpoint: --log FILE creates FILE"
	fi
	expect "restart: ENOSYS is reported with its cause (125)" 125 \
		'has no restart\(2\) system call' "$NOSYS" restart -v /dev/null
	expect "restart: --ext-mount of a MOUNTPOINT of 63 bytes goes on to restart(2)" \
		125 'has no restart\(2\) system call' "$NOSYS" restart \
		--ext-mount "/$(printf 'a%.0s' {1..62})=$TMP" --ext-mount /=/ /dev/null
else
	NOSYS_FAILED=$(cat "$TMP/nosys.log")
	for t in "checkpoint: ENOSYS is reported with its cause" \
		 "checkpoint: ENOSYS is 'Function not implemented'" \
		 "checkpoint: --log FILE creates FILE" \
		 "restart: ENOSYS is reported with its cause (125)" \
		 "restart: --ext-mount of a MOUNTPOINT of 63 bytes goes on to restart(2)"; do
		not_ok "$t" "$NOSYS_FAILED"
	done
fi

# The flags restart(2) gets from the options, as strace(1) shows the
# call of the NOSYS build (a system call it has no name for)
restart_flags()
{
	local want=$1 out

	shift
	strace -f -qq -o "$TMP/strace.out" "$NOSYS" restart "$@" /dev/null \
		>/dev/null 2>&1
	out=$(grep -E 'syscall_(0x3fe|1022)\(' "$TMP/strace.out")
	grep -qE "^([0-9]+ +)?syscall_(0x3fe|1022)\(0, [^,]+, $want, " <<<"$out" ||
		{ echo "restart(2) flags are not $want: ${out:-no call}"; return 1; }
}
FLAG_TESTS=("--thaw gives restart(2) RESTART_THAW (0x4)"
	    "-t -c give restart(2) RESTART_THAW|RESTART_FILES_CHANGED_OK (0x5)"
	    "without options restart(2) gets no flag"
	    "--sibling gives restart(2) RESTART_SIBLING (0x8)"
	    "--inherit-fd pipe:[INO]=0 gives restart(2) RESTART_EXTERNAL (0x2)")
if [ -z "$NOSYS" ]; then
	for t in "${FLAG_TESTS[@]}"; do
		not_ok "restart: $t" "$NOSYS_FAILED"
	done
elif ! command -v strace >/dev/null || ! strace -qq -o /dev/null true 2>/dev/null; then
	for t in "${FLAG_TESTS[@]}"; do
		skip "restart: $t" "no strace, or it cannot trace here"
	done
else
	check "restart: ${FLAG_TESTS[0]}" restart_flags 0x4 --thaw
	check "restart: ${FLAG_TESTS[1]}" restart_flags 0x5 -t -c
	check "restart: ${FLAG_TESTS[2]}" restart_flags 0
	check "restart: ${FLAG_TESTS[3]}" restart_flags 0x8 --sibling
	check "restart: ${FLAG_TESTS[4]}" restart_flags 0x2 --inherit-fd 'pipe:[1]=0'
fi

# --cgroup-root on cgroup v2: an existing cgroup, then new ones below ours
cgroup_made()
{
	local dir

	for dir in "$@"; do
		[ "$(stat -f -c %T "$dir" 2>/dev/null)" = cgroup2fs ] ||
			{ echo "$dir is not a cgroup"; return 1; }
	done
}
OWN_CGROUP=$(sed -n 's/^0:://p' /proc/self/cgroup 2>/dev/null)
CGTEST=$CGROUP2${OWN_CGROUP%/}/ckpt-tests.$$
if [ -z "$NOSYS" ]; then
	for t in "an existing cgroup goes on to restart(2)" \
		 "a missing cgroup is made (mkdir -p)" \
		 "the cgroups made are on cgroup2" \
		 "a cgroup made before is taken as it is"; do
		not_ok "restart: --cgroup-root: $t" "$NOSYS_FAILED"
	done
elif [ -z "$CGROUP2" ]; then
	for t in "an existing cgroup goes on to restart(2)" \
		 "a missing cgroup is made (mkdir -p)" \
		 "the cgroups made are on cgroup2" \
		 "a cgroup made before is taken as it is"; do
		skip "restart: --cgroup-root: $t" "no cgroup2 mounted"
	done
else
	expect "restart: --cgroup-root: an existing cgroup goes on to restart(2)" \
		125 'has no restart\(2\) system call' \
		"$NOSYS" restart --cgroup-root "$CGROUP2" /dev/null
	if [ -d "$CGROUP2$OWN_CGROUP" ] && [ -w "$CGROUP2$OWN_CGROUP" ] &&
	   [ ! -e "$CGTEST" ]; then
		CGROUPS_MADE=("$CGTEST/a/b" "$CGTEST/a" "$CGTEST")
		expect "restart: --cgroup-root: a missing cgroup is made (mkdir -p)" \
			125 'has no restart\(2\) system call' \
			"$NOSYS" restart --cgroup-root "$CGTEST//a/b/" /dev/null
		check "restart: --cgroup-root: the cgroups made are on cgroup2" \
			cgroup_made "$CGTEST" "$CGTEST/a" "$CGTEST/a/b"
		expect "restart: --cgroup-root: a cgroup made before is taken as it is" \
			125 'has no restart\(2\) system call' \
			"$NOSYS" restart -g "$CGTEST/a/b" /dev/null
		rmdir "${CGROUPS_MADE[@]}" 2>/dev/null
		CGROUPS_MADE=()
	else
		for t in "a missing cgroup is made (mkdir -p)" \
			 "the cgroups made are on cgroup2" \
			 "a cgroup made before is taken as it is"; do
			skip "restart: --cgroup-root: $t" "cannot make cgroups in $CGROUP2$OWN_CGROUP"
		done
	fi
fi

# --- ckpt criu: the CRIU-compatible front end (tests/criu_test.c) ---

# client_tests NAME CLIENT [ARGS...]: the PASS/FAIL/SKIP lines of a test
# client (tests/*_test.c) as TAP
client_tests()
{
	local name=$1 line status=0 tests=0 fails=0

	shift
	while IFS= read -r line; do
		case $line in
		"PASS: "*) ok "$name: ${line#PASS: }" ;;
		"FAIL: "*) not_ok "$name: ${line#FAIL: }"; fails=$((fails + 1)) ;;
		"SKIP: "*) skip "$name: ${line#SKIP: }" "see the test client" ;;
		"EXIT: "*) status=${line#EXIT: }; continue ;;
		*) echo "# $line"; continue ;;
		esac
		tests=$((tests + 1))
	done < <(timeout 300 "$@" 2>&1; echo "EXIT: $?")
	if [ "$tests" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$fails" -eq 0 ]; }; then
		not_ok "$name: the test client exited with status $status after $tests tests"
	fi
}

if build "$TMP/static" criu-test; then
	client_tests "criu (static)" "$TMP/static/criu-test" "$CKPT" $NOSYS
else
	not_ok "criu: build the test client (make criu-test)" "$(cat "$TMP/static.log")"
fi
if [ -z "$ASAN" ]; then
	skip "criu (asan+ubsan): the front end under the sanitizers" "no sanitizer runtime"
elif build "$TMP/asan" STATIC= EXTRA_CFLAGS="$ASAN_CFLAGS" criu-test; then
	client_tests "criu (asan+ubsan)" "$TMP/asan/criu-test" "$ASAN" $NOSYS
else
	not_ok "criu (asan+ubsan): build the test client" "$(cat "$TMP/asan.log")"
fi

# --- the kernel's figures and the progress line (tests/stats_test.c) ---

if build "$TMP/static" stats-test; then
	client_tests "stats" "$TMP/static/stats-test"
else
	not_ok "stats: build the test client (make stats-test)" "$(cat "$TMP/static.log")"
fi
if [ -z "$ASAN" ]; then
	skip "stats (asan+ubsan): the figures under the sanitizers" "no sanitizer runtime"
elif build "$TMP/asan" STATIC= EXTRA_CFLAGS="$ASAN_CFLAGS" stats-test; then
	client_tests "stats (asan+ubsan)" "$TMP/asan/stats-test"
else
	not_ok "stats (asan+ubsan): build the test client" "$(cat "$TMP/asan.log")"
fi

expect "cli: checkpoint --help names --stats" 0 '^      --stats FILE ' \
	"$CKPT" checkpoint --help
expect "cli: restart --help names --progress" 0 '^      --progress ' \
	"$CKPT" restart --help
expect "cli: checkpoint: -q and --progress exclude each other" 2 \
	'^ckpt: checkpoint: -q and --progress exclude each other$' \
	"$CKPT" checkpoint 1 -o "$TMP/x.img" -q --progress
expect "cli: restart: -q and --progress exclude each other (125)" 125 \
	'^ckpt: restart: -q and --progress exclude each other$' \
	"$CKPT" restart --progress --quiet /dev/null

STATS_NOSYS=("checkpoint: --stats FILE is removed when checkpoint(2) fails"
	     "checkpoint: --stats in a missing directory fails before checkpoint(2)"
	     "checkpoint: no image is made when --stats FILE cannot be"
	     "checkpoint: -v --stats: the log is read back, and the failure said"
	     "restart: --stats FILE is removed when restart(2) fails")
if [ -n "$NOSYS" ]; then
	echo stale >"$TMP/stale.json"
	"$NOSYS" checkpoint 4194305 -o "$TMP/fail.img" --stats "$TMP/stale.json" 2>/dev/null
	check "${STATS_NOSYS[0]}" test ! -e "$TMP/stale.json"
	expect "${STATS_NOSYS[1]}" 1 \
		"^ckpt: checkpoint: --stats $TMP/none/s.json: No such file or directory$" \
		"$NOSYS" checkpoint 4194305 -o "$TMP/nostats.img" --stats "$TMP/none/s.json"
	check "${STATS_NOSYS[2]}" test ! -e "$TMP/nostats.img"
	expect "${STATS_NOSYS[3]}" 1 '^ckpt: checkpoint: Function not implemented$' \
		"$NOSYS" checkpoint 4194305 -o "$TMP/fail.img" -v --stats "$TMP/s.json"
	echo stale >"$TMP/stale.json"
	"$NOSYS" restart --stats "$TMP/stale.json" /dev/null 2>/dev/null
	check "${STATS_NOSYS[4]}" test ! -e "$TMP/stale.json"
else
	for t in "${STATS_NOSYS[@]}"; do
		not_ok "$t" "$NOSYS_FAILED"
	done
fi

# --- checkpoint and restart through a fake kernel (tests/fake_kernel.c) ---

FAKE=$TMP/fake_kernel.so
FAKE_TESTS=("checkpoint --stats: the kernel's figures as JSON"
	    "checkpoint: nothing on standard error by default, off a terminal"
	    "checkpoint --stats, older kernel: only the figures it gives"
	    "checkpoint --stats after two EAGAIN: the figures of the last try"
	    "checkpoint -v --stats: each log line once on standard error"
	    "checkpoint -v --stats: the figures too"
	    "checkpoint --log FILE --stats: the figures read back from FILE"
	    "checkpoint --progress: the line, then the summary"
	    "restart --stats: the kernel's figures as JSON, the process's status"
	    "restart -d --stats: the pid printed is the pid in FILE"
	    "restart --progress: the position in the image, of its size"
	    "checkpoint on a terminal: the summary line, without --progress"
	    "checkpoint -q on a terminal: nothing")
if [ -z "$DYNAMIC" ] ||
   ! cc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$FAKE" "$TESTS/fake_kernel.c" -ldl \
	>"$TMP/fake.log" 2>&1; then
	for t in "${FAKE_TESTS[@]}"; do
		not_ok "fake kernel: $t" "no dynamic build or no fake kernel" \
			"$(cat "$TMP/dynamic.log" "$TMP/fake.log" 2>/dev/null)"
	done
else
	# fake VAR=VALUE... ckpt ARGS...: the dynamic ckpt over the fake kernel
	fake()
	{
		local vars=()

		while [[ $1 == *=* ]]; do
			vars+=("$1")
			shift
		done
		env LD_PRELOAD="$FAKE" "${vars[@]}" "${TIMEOUT[@]}" "$DYNAMIC" "$@"
	}
	# json_is FILE EXPR: FILE holds one JSON object j for which the
	# python3 expression EXPR is true
	json_is()
	{
		python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
if not eval("(" + sys.argv[2] + ")"):
	sys.exit("not %s: %s" % (sys.argv[2], json.dumps(j)))' "$1" "$2"
	}
	CK_KEYS='{"pid", "tasks", "image_bytes", "records", "frozen_us", "memory_us",
		  "pages_scanned", "pages_written", "pages_cow", "pages_skipped",
		  "wall_us", "tries"}'
	RS_KEYS='{"pid", "tasks", "image_bytes", "records", "memory_us",
		  "pages_restored", "pages_cow", "pages_cow_copied", "wall_us"}'
	IMG=$TMP/fake.img

	fake checkpoint $$ -o "$IMG" --stats "$TMP/c.json" >/dev/null 2>"$TMP/c.err"
	check "fake kernel: ${FAKE_TESTS[0]}" json_is "$TMP/c.json" \
		"set(j) == $CK_KEYS and j['pid'] == $$ and j['image_bytes'] == 1048576 and
		 j['frozen_us'] == 5000 and j['memory_us'] == 4200 and
		 j['pages_scanned'] == 300 and j['pages_written'] == 240 and
		 j['pages_cow'] == 16 and j['pages_skipped'] == 44 and j['tries'] == 1 and
		 j['tasks'] == 1 and j['records'] == 9 and j['wall_us'] > 0"
	check "fake kernel: ${FAKE_TESTS[1]}" test ! -s "$TMP/c.err"
	fake FAKE_OLD=1 checkpoint $$ -o "$IMG" --stats "$TMP/c.json" 2>/dev/null
	check "fake kernel: ${FAKE_TESTS[2]}" json_is "$TMP/c.json" \
		"set(j) == $CK_KEYS - {'memory_us', 'pages_scanned', 'pages_cow', 'pages_skipped'}
		 and j['pages_written'] == 240"
	fake FAKE_EAGAIN=2 checkpoint $$ -o "$IMG" --stats "$TMP/c.json" 2>/dev/null
	check "fake kernel: ${FAKE_TESTS[3]}" json_is "$TMP/c.json" \
		"j['tries'] == 3 and j['pages_written'] == 240 and j['image_bytes'] == 1048576"
	fake FAKE_EAGAIN=1 checkpoint $$ -o "$IMG" -v --stats "$TMP/c.json" 2>"$TMP/c.err"
	check "fake kernel: ${FAKE_TESTS[4]}" test "$(grep -c '^froze 1 task(s)$' "$TMP/c.err"),$(
		grep -c '^checkpoint of 1 task(s) complete: ' "$TMP/c.err"),$(wc -l <"$TMP/c.err")" = 2,1,8
	check "fake kernel: ${FAKE_TESTS[5]}" json_is "$TMP/c.json" \
		"j['tries'] == 2 and j['memory_us'] == 4200"
	fake checkpoint $$ -o "$IMG" --log "$TMP/c.log" --stats "$TMP/c.json" 2>/dev/null
	check "fake kernel: ${FAKE_TESTS[6]}" json_is "$TMP/c.json" \
		"j['pages_skipped'] == 44 and open('$TMP/c.log').read().count('stats: ') == 1"
	fake FAKE_MS=1500 checkpoint $$ -o "$IMG" --progress 2>"$TMP/c.err"
	check "fake kernel: ${FAKE_TESTS[7]}" python3 -c '
import re, sys
err = open(sys.argv[1], newline="").read()
if "\rckpt: checkpoint: " not in err or not re.search(
		r"\rckpt: checkpoint: 1\.00 MiB in 1\.[5-9] s \([0-9.]+ KiB/s\), frozen 5 ms\n$", err):
	sys.exit(repr(err))' "$TMP/c.err"
	fake FAKE_STATUS=7 restart "$IMG" --stats "$TMP/r.json" >/dev/null 2>&1
	rc=$?
	check "fake kernel: ${FAKE_TESTS[8]}" json_is "$TMP/r.json" \
		"$rc == 7 and set(j) == $RS_KEYS and j['pages_restored'] == 240 and
		 j['pages_cow'] == 16 and j['pages_cow_copied'] == 2 and j['memory_us'] == 310 and
		 j['image_bytes'] == 1048576"
	pid=$(fake restart -d - --stats "$TMP/r.json" <"$IMG" 2>/dev/null)
	check "fake kernel: ${FAKE_TESTS[9]}" json_is "$TMP/r.json" "j['pid'] == int('$pid')"
	fake FAKE_MS=1500 restart -d "$IMG" --progress >/dev/null 2>"$TMP/r.err"
	check "fake kernel: ${FAKE_TESTS[10]}" grep -qE \
		$'\rckpt: restart: [0-9.]+ KiB of 1\\.00 MiB \\([0-9]+%\\), ' "$TMP/r.err"
	if command -v script >/dev/null && script -qec true /dev/null >/dev/null 2>&1; then
		on_tty()
		{
			script -qec "env LD_PRELOAD='$FAKE' FAKE_MS=100 '$DYNAMIC' $*" /dev/null
		}
		check "fake kernel: ${FAKE_TESTS[11]}" grep -q \
			'^ckpt: checkpoint: 1.00 MiB in [0-9]* ms (.*/s), frozen 5 ms' \
			<(on_tty checkpoint $$ -o "$IMG")
		check "fake kernel: ${FAKE_TESTS[12]}" test -z "$(on_tty checkpoint $$ -o "$IMG" -q)"
	else
		for t in "${FAKE_TESTS[@]:11}"; do
			skip "fake kernel: $t" "no script(1) to give ckpt a terminal"
		done
	fi
fi

# --- --lazy, through the fake kernel: the flags, and restart from a pipe ---

# CHECKPOINT_LAZY and RESTART_LAZY (include/uapi/linux/checkpoint.h)
LAZY_TESTS=("checkpoint --lazy: checkpoint(2) gets CHECKPOINT_LAZY"
	    "restart --lazy: restart(2) gets RESTART_LAZY"
	    "restart --lazy - from a regular file: restart(2) gets RESTART_LAZY"
	    "restart --lazy - from a pipe: refused before restart(2) (125)"
	    "checkpoint without --lazy: no CHECKPOINT_LAZY")
if [ -z "$DYNAMIC" ] || [ ! -f "$FAKE" ]; then
	for t in "${LAZY_TESTS[@]}"; do
		not_ok "fake kernel: $t" "no dynamic build or no fake kernel"
	done
else
	IMG=$TMP/lazy.img
	expect "fake kernel: ${LAZY_TESTS[0]}" 0 '' \
		env LD_PRELOAD="$FAKE" FAKE_FLAGS=$((1 << 9)) "$DYNAMIC" checkpoint $$ -o "$IMG" --lazy -q
	expect "fake kernel: ${LAZY_TESTS[1]}" 0 '^[0-9]+$' \
		env LD_PRELOAD="$FAKE" FAKE_FLAGS=$((1 << 4)) "$DYNAMIC" restart -d --lazy "$IMG"
	expect "fake kernel: ${LAZY_TESTS[2]}" 0 '^[0-9]+$' \
		bash -c 'LD_PRELOAD="$1" FAKE_FLAGS=16 "$2" restart -d --lazy - <"$3"' \
		- "$FAKE" "$DYNAMIC" "$IMG"
	expect "fake kernel: ${LAZY_TESTS[3]}" 125 \
		'^ckpt: restart: --lazy: standard input is a pipe: the pages are read from a regular file, after restart\(2\) returns$' \
		bash -c 'cat "$3" | LD_PRELOAD="$1" "$2" restart -d --lazy -' \
		- "$FAKE" "$DYNAMIC" "$IMG"
	expect "fake kernel: ${LAZY_TESTS[4]}" 1 '^error: flags 0x0, expected 512$' \
		env LD_PRELOAD="$FAKE" FAKE_FLAGS=$((1 << 9)) "$DYNAMIC" checkpoint $$ -o "$IMG" -q
fi

# --- ckpt kexec: the store, through the fake kernel ---

expect "cli: kexec needs --store" 2 '^ckpt: kexec: --store STORE is needed' \
	"$CKPT" kexec 1
expect "cli: kexec --restore takes no PID" 2 'take no PID' \
	"$CKPT" kexec --restore --store "$TMP" 1
expect "cli: kexec --initrd goes with --kernel" 2 'go with --kernel' \
	"$CKPT" kexec --store "$TMP" --initrd /dev/null 1
expect "cli: kexec --list takes no PID" 2 'take no PID' \
	"$CKPT" kexec --list --store "$TMP" 1
expect "cli: kexec --exec takes nothing else" 2 'takes nothing else' \
	"$CKPT" kexec --exec --store "$TMP"
expect "cli: kexec: a store that is a regular file is refused" 1 \
	'neither a block device .* nor a directory' \
	env LD_PRELOAD="${FAKE:-}" "${DYNAMIC:-$CKPT}" kexec --store /dev/null 1
KEXEC_TESTS=("kexec: two trees saved into a directory store"
	     "kexec: each image is in its own file, whole"
	     "kexec --restore: both restarted, named with their old pids"
	     "kexec --restore: the store is emptied, a second restore finds nothing"
	     "kexec --restore: a damaged header is refused by name"
	     "kexec --restore --keep: the trees stay in the store, marked restored"
	     "kexec: EAGAIN is tried again"
	     "kexec --list: each tree with its pid, size and whether restored")
if [ -z "$DYNAMIC" ] || [ ! -f "$FAKE" ]; then
	for t in "${KEXEC_TESTS[@]}"; do
		not_ok "fake kernel: $t" "no dynamic build or no fake kernel"
	done
else
	ST=$TMP/store
	FAKE_CKPT=(env LD_PRELOAD="$FAKE" "$DYNAMIC")
	fake kexec --store "$ST" $$ 1 >"$TMP/k.out" 2>&1
	check "fake kernel: ${KEXEC_TESTS[0]}" grep -q "^saved 1 (.*): 1048576 bytes" "$TMP/k.out"
	check "fake kernel: ${KEXEC_TESTS[1]}" test "$(stat -c %s "$ST/tree-1.img" 2>&1)" = 1048576
	fake kexec --restore --store "$ST" --keep >"$TMP/k.out" 2>&1
	check "fake kernel: ${KEXEC_TESTS[7]}" grep -q "^  1  pid 1 (.*): 1048576 bytes, saved in [0-9]* ms, restored$" \
		<("$CKPT" kexec --list --store "$ST")
	check "fake kernel: ${KEXEC_TESTS[2]}" grep -q "^restored 1 (.*) as [0-9]*$" "$TMP/k.out"
	# Marked restored, kept: a restore again restarts nothing, then empties it
	fake kexec --restore --store "$ST" >"$TMP/k2.out" 2>&1
	check "fake kernel: ${KEXEC_TESTS[5]}" test -z "$(grep '^restored' "$TMP/k2.out")"
	expect "fake kernel: ${KEXEC_TESTS[3]}" 1 'holds no saved trees' \
		"${FAKE_CKPT[@]}" kexec --restore --store "$ST"
	fake kexec --store "$ST" $$ >/dev/null 2>&1
	printf 'X' | dd of="$ST/store" bs=1 seek=40 conv=notrunc 2>/dev/null
	expect "fake kernel: ${KEXEC_TESTS[4]}" 1 'damaged header' \
		"${FAKE_CKPT[@]}" kexec --restore --store "$ST"
	expect "fake kernel: ${KEXEC_TESTS[6]}" 0 "^saved $$ " \
		env FAKE_EAGAIN=2 "${FAKE_CKPT[@]}" kexec --store "$ST" $$
fi

# --- show: a good image ---

GOOD=$TMP/good.img
check "mkimage: CRC-32C check value and record layouts" \
	"${MKIMAGE[@]}" --selftest
"${MKIMAGE[@]}" "$GOOD"

expect "show: a well-formed image is valid" 0 '^\[19\] TRAILER ' \
	"$CKPT" show "$GOOD"
"$CKPT" show "$GOOD" >"$TMP/good.out" 2>&1
check "show: the output is exactly tests/good.show" \
	diff -u "$TESTS/good.show" "$TMP/good.out"
check "show: '-' reads a pipe and prints the same" \
	bash -c "cat '$GOOD' | '$CKPT' show - | cmp - '$TMP/good.out'"

# Images an earlier kernel wrote (tools/testing/selftests/checkpoint/
# fixtures/): they still decode, to the same records in the same order.
FIXTURES=$SRC/../testing/selftests/checkpoint/fixtures
for img in "$FIXTURES"/*.img; do
	[ -f "$img" ] || continue
	name=$(basename "$img" .img)
	"$CKPT" show "$img" >"$TMP/$name.out" 2>&1
	check "show: fixture $name.img is exactly fixtures/$name.show" \
		diff -u "${img%.img}.show" "$TMP/$name.out"
done

show_has()
{
	local out=$1 line

	shift
	for line in "$@"; do
		grep -qxF -- "$line" "$out" || { echo "missing: $line"; return 1; }
	done
}
check "show: every record is named, with its offset" show_has "$TMP/good.out" \
	"[0] HEADER offset=0 len=256" "[1] TREE offset=264 len=40" \
	"[2] CRED offset=312 len=104" "[3] FILE offset=424 len=96" \
	"[5] FILES offset=624 len=56" "[6] FS offset=688 len=24" \
	"[7] SIGHAND offset=720 len=2056" "[8] MM offset=2784 len=648" \
	"[9] VMA offset=3440 len=40" "[11] PAGES offset=3536 len=8208" \
	"[12] MM_END offset=11752 len=8" "[13] TASK offset=11768 len=160" \
	"[14] PROCESS offset=11936 len=272" "[15] X86_REGS offset=12216 len=216" \
	"[16] X86_XSTATE offset=12440 len=848" \
	"[17] SIGPENDING offset=13296 len=136" \
	"[19] TRAILER offset=13456 len=16"
check "show: fields are decoded" show_has "$TMP/good.out" \
	'  magic: 0x474d49544b43584c ("LXCKTIMG")' \
	'  task[0]: pid=100 tgid=100 ppid=0 pgid=0 sid=0 flags=0x0' \
	'  path: "/usr/bin/sleeper"' \
	'  f_flags: 0102002 (RDWR|APPEND|LARGEFILE)' \
	'  fd[2]: fd=2 file_ref=3 flags=0x1 (CLOEXEC)' \
	'  flags: 0xb (READ|WRITE|GROWSDOWN)' \
	'  saved_auxv[0]: 33 (AT_SYSINFO_EHDR) 0x7ffff7fc1000' \
	'  blocked: 0x0000000000000200 (SIGUSR1)' \
	'  restart.nanosleep.type: 1 (NATIVE)' \
	'  ip: 0x0000000000401136' \
	'  info[0]: signo=10 (SIGUSR1) errno=0 code=0 (SI_USER) pid=1 uid=0 crc32c=0xb3790bac' \
	'  crc32c: 0x8c2f619a (matches)'
"$CKPT" show --pages "$GOOD" >"$TMP/pages.out" 2>&1
mapfile -t PAGE_LINES < <("${MKIMAGE[@]}" --expect-pages)
check "show --pages: a crc32c and the first bytes of each page" \
	show_has "$TMP/pages.out" "${PAGE_LINES[@]}"

# --- show: damaged images ---

# variant: the reason ckpt must give
declare -A REASON=(
	[bad-magic]='offset 0: HEADER: bad magic'
	[bad-version]='offset 0: HEADER: unsupported version 3'
	[bad-page-size]='offset 0: HEADER: page_size 8192'
	[header-flags-version]='offset 0: HEADER: unknown flags 0x2000000$'
	[version-0]='offset 0: HEADER: unsupported version 0 \(this ckpt reads versions 1 to [0-9]+\)$'
	[v2-path-shared-whole]='offset 528: FILE: path_shared 11 is not below path_len 11$'
	[v2-path-shared-first]='offset 424: FILE: path_shared 1, but no FILE before it has a path$'
	[v2-path-shared-long]='offset 512: FILE: path_shared 8 is longer than the last FILE path \(6 bytes\)$'
	[v1-path-shared]='offset 528: FILE: path_shared 1 in an image of version 1$'
	[v2-files-v1-entries]='offset 624: FILES: len 56, but its contents take 32 bytes'
	[v2-files-order]='offset 624: FILES: fd\[1\]: fd 0 is out of order or too big$'
	[v2-files-order-cloexec]='offset 624: FILES: fd\[1\]: fd 0 is out of order or too big$'
	[v2-files-ref-zero]='offset 624: FILES: fd\[3\]: file_ref is 0$'
	[header-not-first]='offset 0: TREE: record out of order, expected HEADER'
	[unknown-type]='offset 312: unknown record type 99'
	[huge-len]='offset 312: CRED: len 2147483640 exceeds CKPT_REC_MAX_LEN'
	[unaligned-len]='offset 312: CRED: len 13 is not a multiple of 8'
	[short-task]='offset 11768: TASK: len 8 is shorter than'
	[crc-mismatch]='offset 13456: TRAILER: crc32c 0x8c2f619a, but the image before it has'
	[bad-objref]='offset 11768: TASK: cred_ref 42 refers to no object'
	[wrong-kind-ref]='offset 11768: TASK: mm_ref 1 is a CRED, not a MM'
	[bad-xstate-offset]='offset 0: HEADER: xstate_offsets\[3\] 640, but component 3 is not in xfeatures'
	[objref-zero]='offset 312: CRED: objref 0 is out of range'
	[objref-twice]='offset 688: FS: objref 1 is already defined, by a CRED'
	[ref-before-definition]='offset 424: FILES: fd\[0\]: file_ref 3 refers to no object defined before it'
	[missing-mm-end]='offset 11752: TASK: record out of order, expected PAGES, MM_END, PAGES_COW, PAGES_PARENT or PAGES_FILE$'
	[mm-end-count]='offset 11752: MM_END: nr_pages 3, but the PAGES, PAGES_COW, PAGES_PARENT and PAGES_FILE of this MM hold 2$'
	[chain-after-tree]='offset 312: CHAIN: record out of order, expected TASK, '
	[chain-id-zero]='offset 264: CHAIN: id 0x0000000000000000 is 0 or ~0$'
	[pages-parent-without-chain]='offset 3536: PAGES_PARENT: in an image without a parent \(no CHAIN, or its parent is 0\)$'
	[pages-parent-outside-vma]='offset 3560: PAGES_PARENT: 0x7fffffffd000-0x800000000000 is not inside one VMA$'
	[missing-vma]='offset 3488: PAGES: record out of order, expected VMA'
	[pages-outside-vma]='offset 3536: PAGES: 0x500000-0x501000 is not inside one VMA'
	[overlapping-vmas]='offset 3488: VMA: start 0x400000 is below the end 0x401000'
	[pages-cow-nr-pages-0]='offset 14240: PAGES_COW: nr_pages 0 is out of range 1\.\.1048576$'
	[pages-cow-nr-pages-max]='offset 14240: PAGES_COW: nr_pages 1048577 is out of range 1\.\.1048576$'
	[pages-cow-len]='offset 14240: PAGES_COW: len 24, expected 16$'
	[pages-cow-mm-ref-0]='offset 14240: PAGES_COW: mm_ref is 0$'
	[pages-cow-own-mm]='offset 14240: PAGES_COW: mm_ref 8 is this MM$'
	[pages-cow-not-mm]='offset 14240: PAGES_COW: mm_ref 1 is a CRED, not a MM$'
	[pages-cow-file-vma]='offset 14240: PAGES_COW: 0x400000-0x401000 is in a VMA of kind 2, not ANON$'
	[pages-cow-outside-vma]='offset 14240: PAGES_COW: 0x500000-0x501000 is not inside one VMA$'
	[pages-cow-outside-other-mm]='offset 14240: PAGES_COW: 0x7ffffffdd000-0x7ffffffdf000 is not inside ANON VMAs of MM 7$'
	[pages-cow-unaligned]='offset 14240: PAGES_COW: addr 0x7fffffffd008 is not a page address$'
	[pages-cow-then-lower-pages]='offset 14264: PAGES: addr 0x7fffffffd000 is below the end 0x7ffffffff000 of the pages record before it$'
	[pages-cow-mm-end-count]='offset 14264: MM_END: nr_pages 1, but the PAGES, PAGES_COW, PAGES_PARENT and PAGES_FILE of this MM hold 2$'
	[pages-cow-in-shmem]='offset 2808: PAGES_COW: record out of order, expected PAGES or SHMEM_END$'
	[x86-vdso-nr-syms-0]='offset 312: X86_VDSO: nr_syms 0 is out of range 1\.\.64$'
	[x86-vdso-name-not-terminated]='offset 312: X86_VDSO: syms\[1\]\.name is not NUL-terminated$'
	[x86-vdso-name-empty]='offset 312: X86_VDSO: syms\[0\]\.name is empty$'
	[x86-vdso-offset]='offset 312: X86_VDSO: syms\[0\]\.offset 0x2000 is not below size 0x2000$'
	[x86-vdso-size]='offset 312: X86_VDSO: size 0x1008 is not a nonzero page multiple <= 0x100000$'
	[x86-vdso-without-cpuid]='offset 264: X86_VDSO: record out of order: not right after the X86_CPUID$'
	[x86-vdso-twice]='offset 496: X86_VDSO: record out of order: not right after the X86_CPUID$'
	[vma-cow-not-anon]='offset 14144: VMA: cow_mm_ref 7: only ANON mappings have one$'
	[vma-cow-own-mm]='offset 14192: VMA: cow_mm_ref 8 is this MM$'
	[vma-cow-undefined]='offset 14192: VMA: cow_mm_ref 42 refers to no object defined before it$'
	[vma-cow-not-mm]='offset 14192: VMA: cow_mm_ref 4 is a FILES, not a MM$'
	[nonzero-pad]='offset 11768: TASK: __pad is not zero'
	[path-not-terminated]='offset 424: FILE: path is not a NUL-terminated string'
	[file-kind-mode]='offset 424: FILE: mode 040755 does not fit kind 1'
	[relative-cwd]='offset 688: FS: cwd is not an absolute path'
	[tree-count]='offset 264: TREE: nr_tasks 2, but the HEADER says 1'
	[tree-exited-thread]='offset 264: TREE: task\[1\]: a thread cannot be a zombie, stopped or exited$'
	[tree-exited-last]='offset 264: TREE: task\[1\]: an exited leader without threads$'
	[tree-exited-alone]='offset 264: TREE: task\[0\]: an exited leader without threads$'
	[tree-exited-then-child]='offset 264: TREE: task\[1\]: not a thread of the exited leader before it$'
	[tree-exited-zombie]='offset 264: TREE: task\[1\]: an exited leader cannot be a zombie or stopped$'
	[tree-exited-stopped]='offset 264: TREE: task\[0\]: an exited leader cannot be a zombie or stopped$'
	[tree-exited-exit-code]='offset 264: TREE: task\[0\]: exit_code 0x10000 is out of range$'
	[tree-exited-exit-signal]='offset 264: TREE: task\[0\]: exit_signal 17, but an exited leader has none$'
	[tree-exit-code-running]='offset 264: TREE: task\[0\]: exit_code or exit_signal, but neither a zombie nor an exited leader$'
	[cred-len-zero]='offset 312: CRED: len 0 is shorter than the 88 bytes of its fixed part$'
	[task-pid]='offset 11768: TASK: pid 101, but TREE entry 0 is pid 100'
	[sigpending-own-twice]='offset 13440: SIGPENDING: shared 0, expected 1 '
	[xstate-size]='offset 12440: X86_XSTATE: size 576, but the HEADER'
	[missing-trailer]='offset 13456: unexpected end of image, expected TRAILER'
	[trailer-nr-records]='offset 13456: TRAILER: nr_records 3, but 19 records'
	[trailer-size]='offset 13456: TRAILER: size 8, but 13456 bytes'
	[missing-process]='offset 11936: X86_REGS: record out of order, expected PROCESS'
	[rlimit-soft-above-hard]='offset 11936: PROCESS: rlim\[7\]: soft limit above the hard one'
	[data-after-trailer]='offset 13480: data after the TRAILER'
	[shmem-pages-beyond-size]='offset 2808: PAGES: 0x3000-0x4000 is beyond the size 12288 of the SHMEM'
	[shmem-vma-names-a-file]='offset 7736: VMA: file_ref 2 is a FILE, not a SHMEM'
	[sysv-shm-without-contents]='offset 6992: MM: record out of order, expected SHMEM'
	[itimers-before-sigaltstack]='offset 12272: SIGALTSTACK: repeated, or after a record that must follow it'
	[sigaltstack-flags]='offset 12216: SIGALTSTACK: flags 0x4 are not those of an armed stack'
	[posix-timers-order]='offset 12216: POSIX_TIMERS: timer\[1\]: ids are not increasing'
	[userns-empty-extent]='offset 312: USERNS: extent 1: empty or wraps around'
	[userns-twice]='offset 360: USERNS: namespace record out of order or repeated'
	[cgroupns-flags]='offset 360: CGROUPNS: flags 0x1 has unknown bits 0x1$'
	[cgroupns-nr-zero]='offset 360: CGROUPNS: nr_cgroups 0 is out of range 1\.\.1024$'
	[cgroupns-nr-too-many]='offset 360: CGROUPNS: nr_cgroups 1025 is out of range 1\.\.1024$'
	[cgroupns-len]='offset 360: CGROUPNS: len 16, expected 8$'
	[cgroupns-short]='offset 360: CGROUPNS: len 0 is shorter than the 8 bytes of its fixed part$'
	[cgroupns-twice]='offset 888: CGROUPNS: namespace record out of order or repeated'
	[cgroupns-before-userns]='offset 840: USERNS: namespace record out of order or repeated'
	[cgroupns-after-mntns]='offset 472: CGROUPNS: record out of order, expected TASK, '
	[cgroupns-after-ipc]='offset 360: CGROUPNS: record out of order, expected TASK, '
	[cgroupns-after-task]='offset 13456: CGROUPNS: record out of order, expected TRAILER$'
	[cgroup-missing]='offset 888: MNTNS: record out of order, expected CGROUP$'
	[cgroup-extra]='offset 848: CGROUP: record out of order, expected TASK, '
	[cgroup-outside-cgroupns]='offset 312: CGROUP: record out of order, expected TASK, '
	[cgroup-id-rank]='offset 680: CGROUP: id 4, but it is CGROUP 3 of the CGROUPNS$'
	[cgroup-root-parent]='offset 376: CGROUP: parent 1, but the first CGROUP is the root \(parent 0\)$'
	[cgroup-parent-later]='offset 768: CGROUP: parent 4 is not the id of an earlier CGROUP$'
	[cgroup-parent-zero]='offset 768: CGROUP: parent 0 is not the id of an earlier CGROUP$'
	[cgroup-pad]='offset 680: CGROUP: __pad is not zero$'
	[cgroup-root-name]='offset 376: CGROUP: name_len 5, but the root.s name is "" \(name_len 1\)$'
	[cgroup-name-empty]='offset 680: CGROUP: name is empty, "\.", "\.\." or has a "/"$'
	[cgroup-name-slash]='offset 680: CGROUP: name is empty, "\.", "\.\." or has a "/"$'
	[cgroup-name-dotdot]='offset 680: CGROUP: name is empty, "\.", "\.\." or has a "/"$'
	[cgroup-name-len-zero]='offset 848: CGROUP: name_len 0 is out of range 1\.\.256$'
	[cgroup-name-too-long]='offset 848: CGROUP: name_len 257 is out of range 1\.\.256$'
	[cgroup-name-not-terminated]='offset 848: CGROUP: name is not a NUL-terminated string of 5 bytes$'
	[cgroup-past-len]='offset 680: CGROUP: len 80, but its contents take 228 bytes before padding$'
	[cgroup-files-too-long]='offset 848: CGROUP: files_len 16385 is more than 16384$'
	[cgroup-procs-too-many]='offset 848: CGROUP: nr_procs 2 is more than nr_tasks 1$'
	[cgroup-files-not-terminated]='offset 848: CGROUP: files do not end with a NUL$'
	[cgroup-file-no-value]='offset 848: CGROUP: file\[0\]: a name without a value$'
	[cgroup-file-unknown]='offset 848: CGROUP: file\[0\]: "memory\.current" is not a file restart writes$'
	[cgroup-file-type]='offset 848: CGROUP: file\[0\]: "cgroup\.type" is not a file restart writes$'
	[cgroup-file-value-newline]='offset 848: CGROUP: file\[0\]: memory\.max: a byte 0x0a is not printable$'
	[cgroup-file-value-too-long]='offset 848: CGROUP: file\[0\]: memory\.max: its value is longer than 4095 bytes$'
	[cgroup-pid-unknown]='offset 456: CGROUP: pid\[0\]: 101 is not a task of the TREE$'
	[cgroup-pid-twice]='offset 848: CGROUP: pid\[0\]: 100 is already in CGROUP 2$'
	[cgroup-pid-zombie]='offset 880: CGROUP: pid\[0\]: 101 is a zombie$'
	[cgroup-process-missing]='offset 664: CGROUP: process 100 is in no CGROUP of the CGROUPNS$'
	[cgroup-freeze-value]='offset 848: CGROUP: file\[0\]: cgroup\.freeze: its value is not "0" or "1"$'
	[cgroup-freeze-newline]='offset 848: CGROUP: file\[0\]: cgroup\.freeze: a byte 0x0a is not printable$'
	[cputime-before-itimers]='offset 12264: ITIMERS: repeated, or after a record that must follow it'
	[cputime-before-thread-cputime]='offset 12264: THREAD_CPUTIME: repeated, or after a record that must follow it'
	[sched-policy]='offset 12216: SCHED: policy 4 is not supported$'
	[sched-deadline-without-dl]='offset 12264: X86_REGS: record out of order, expected SCHED_DL$'
	[sched-deadline-priority]='offset 12216: SCHED: rt_priority 1 with policy 6 '
	[sched-dl-after-normal]='offset 12264: SCHED_DL: record out of order: not right after a SCHED of policy SCHED_DEADLINE \(6\)$'
	[sched-dl-after-fifo]='offset 12264: SCHED_DL: record out of order: not right after a SCHED of policy SCHED_DEADLINE \(6\)$'
	[sched-dl-without-sched]='offset 12216: SCHED_DL: record out of order: not right after a SCHED of policy SCHED_DEADLINE \(6\)$'
	[sched-dl-twice]='offset 12304: SCHED_DL: record out of order: not right after a SCHED of policy SCHED_DEADLINE \(6\)$'
	[sched-dl-outside-task]='offset 312: SCHED_DL: record out of order: not right after a SCHED of policy SCHED_DEADLINE \(6\)$'
	[sched-dl-flags]='offset 12264: SCHED_DL: flags 0x3 has unknown bits 0x1$'
	[sched-dl-pad]='offset 12264: SCHED_DL: __pad is not zero$'
	[sched-dl-len]='offset 12264: SCHED_DL: len 40, expected 32$'
	[sched-dl-truncated]='offset 12264: SCHED_DL: len 24 is shorter than the 32 bytes of its fixed part$'
	[sched-fifo-priority-0]='offset 12216: SCHED: rt_priority 0 with policy 1 '
	[sched-normal-priority]='offset 12216: SCHED: rt_priority 1 with policy 0 '
	[sched-rr-priority-100]='offset 12216: SCHED: rt_priority 100 with policy 2 '
	[sched-nice-20]='offset 12216: SCHED: nice 20 is out of range -20\.\.19'
	[sched-nice-below-20]='offset 12216: SCHED: nice -21 is out of range -20\.\.19'
	[sched-flags]='offset 12216: SCHED: flags 0x2 has unknown bits 0x2'
	[sched-ioprio-class]='offset 12216: SCHED: ioprio 0x8000 is not a class 0\.\.3 and a level'
	[sched-ioprio-hints]='offset 12216: SCHED: ioprio 0x400c is not a class 0\.\.3 and a level'
	[sched-nr-cpus-0]='offset 12216: SCHED: nr_cpus 0 is out of range 1\.\.8192'
	[sched-nr-cpus-max]='offset 12216: SCHED: nr_cpus 8193 is out of range 1\.\.8192'
	[sched-cpu-past-nr-cpus]='offset 12216: SCHED: the mask has CPUs at or past nr_cpus 16'
	[sched-cpu-past-nr-cpus-72]='offset 12216: SCHED: the mask has CPUs at or past nr_cpus 72'
	[sched-len]='offset 12216: SCHED: len 40, but its contents take 48 bytes'
	[sched-twice]='offset 12264: SCHED: repeated, or after a record that must follow it'
	[sched-before-cputime]='offset 12264: CPUTIME: repeated, or after a record that must follow it'
	[tcp-stream-missing]='offset 3416: FILE: record out of order, expected TCP_STREAM$'
	[tcp-stream-twice]='offset 3496: TCP_STREAM: record out of order, expected TASK, '
	[tcp-stream-after-listener]='offset 2992: TCP_STREAM: record out of order, expected TASK, '
	[inet-stream-of-udp]='offset 2864: INET_SK: state 3 does not fit the protocol'
	[inet-listen-not-bound]='offset 2864: INET_SK: state 1 without BOUND'
	[inet-pending-missing]='offset 3208: FILE: record out of order, expected INET_SK$'
	[inet-pending-listener]="offset 2992: INET_SK: state 1, family 2: not the listener's connection"
	[inet-pending-family]="offset 2992: INET_SK: state 3, family 10: not the listener's connection"
	[inet-queued-not-listener]='offset 2864: INET_SK: nr_queued 1, but not a listener'
	[inet-queued-backlog]='offset 2864: INET_SK: nr_queued 2 is more than the backlog 0 \+ 1'
	[udp-dgram-missing]='offset 3056: FILE: record out of order, expected UDP_DGRAM$'
	[udp-dgram-unqueued]='offset 2992: UDP_DGRAM: record out of order, expected TASK, '
	[udp-dgram-after-tcp]='offset 3496: UDP_DGRAM: record out of order, expected TASK, '
	[udp-dgram-v6-on-v4]='offset 2992: UDP_DGRAM: family 10 on a socket of family 2'
	[udp-dgram-len]='offset 2992: UDP_DGRAM: len 65536 is more than 65535'
	[udp-dgram-short]='offset 2992: UDP_DGRAM: len 56, but its contents take 60 bytes'
	[udp-dgram-pad]='offset 2992: UDP_DGRAM: __pad is not zero'
	[udp-dgram-v4-addr]='offset 2992: UDP_DGRAM: an IPv4 address is longer than 4 bytes'
	[tcp-stream-state]="offset 3416: TCP_STREAM: state 2 is not a TCP connection's"
	[tcp-stream-flags]='offset 3416: TCP_STREAM: flags 0x8 has unknown bits 0x8'
	[tcp-stream-len]='offset 3416: TCP_STREAM: len 80, but its contents take 85 bytes'
	[tcp-stream-padding]='offset 3416: TCP_STREAM: padding after the contents is not zero'
	[tcp-stream-unsent]='offset 3416: TCP_STREAM: unsent_len 4 is more than outq_len 3'
	[tcp-stream-fin-wait2-outq]='offset 3416: TCP_STREAM: outq_len 3 in FIN_WAIT2'
	[tcp-stream-mss]='offset 3416: TCP_STREAM: mss_clamp 65536 is out of range'
	[tcp-stream-wscale]='offset 3416: TCP_STREAM: snd_wscale 7 or rcv_wscale 15 is more than 14'
	[tcp-stream-pad]='offset 3416: TCP_STREAM: __pad2 is not zero'
	[tcp-stream-max-window]='offset 3416: TCP_STREAM: max_window 65535 is below snd_wnd 65536'
	[tcp-stream-rcv-wnd]='offset 3416: TCP_STREAM: user_timeout, snd_wnd or rcv_wnd is negative'
	[netns-v1-pad]='offset 312: NETNS: __pad is not zero'
	[netns-sysctl-id]='offset 312: NETNS: sysctl\[1\]: id 13 is unknown or repeated'
	[netns-sysctl-twice]='offset 312: NETNS: sysctl\[1\]: id 0 is unknown or repeated'
	[netns-sysctl-range]='offset 312: NETNS: sysctl\[0\]: net.ipv4.ip_default_ttl = 0 is out of range 1..255'
	[netns-port-range]='offset 312: NETNS: net.ipv4.ip_local_port_range 1000 2000 is empty or starts below net.ipv4.ip_unprivileged_port_start 1024'
	[netns-sysctls-len]='offset 312: NETNS: len 40, but its contents take 48 bytes'
	[netns-too-many-devs]='offset 312: NETNS: nr_devs 257 is more than 256'
	[netdev-missing]='offset 520: NET_ADDR: record out of order, expected NETDEV$'
	[netdev-outside-netns]='offset 312: NETDEV: record out of order, expected TASK, '
	[netdev-ifindex-twice]="offset 440: NETDEV: ifindex 3 is another device's"
	[netdev-peer-out-index]='offset 440: NETDEV: peer_ifindex 5, but the peer is outside the namespace'
	[netdev-name]='offset 360: NETDEV: name is not a valid device name'
	[netdev-same-names]='offset 360: NETDEV: both ends have the same name'
	[net-addr-ifindex]="offset 712: NET_ADDR: ifindex 9 is neither the loopback's nor a NETDEV's"
	[net-addr-ifindex-zero]="offset 712: NET_ADDR: ifindex 0 is neither the loopback's nor a NETDEV's"
	[net-addr-prefix]='offset 712: NET_ADDR: prefixlen 33 is more than 32'
	[net-addr-v6-label]='offset 712: NET_ADDR: an IPv6 address with a label or a broadcast address'
	[net-route-before-addr]='offset 712: NET_ROUTE: record out of order, expected NET_ADDR$'
	[net-route-kernel]='offset 888: NET_ROUTE: protocol 2: a route the kernel makes'
	[net-route-local-table]='offset 888: NET_ROUTE: table 255 is not one a route is restored to'
	[net-route-type]='offset 888: NET_ROUTE: type 2 is not unicast, blackhole, unreachable or prohibit'
	[net-route-oif]="offset 888: NET_ROUTE: oif 7 is neither the loopback's nor a NETDEV's"
	[net-route-v4-addr]='offset 888: NET_ROUTE: an IPv4 address is longer than 4 bytes'
	[mntns-before-userns]='offset 992: USERNS: record out of order, expected TASK, '
	[mntns-no-mounts]='offset 360: MNTNS: nr_mounts 0 is out of range 1\.\.1024'
	[mntns-pad]='offset 360: MNTNS: __pad is not zero'
	[mntns-too-many-mounts]='offset 360: MNTNS: nr_mounts 1025 is out of range 1\.\.1024'
	[mntns-twice]='offset 424: MNTNS: record out of order, expected TASK, '
	[mount-atime]='offset 472: MOUNT: flags 0x50: both NOATIME and RELATIME'
	[mount-bind-source-later]='offset 768: MOUNT: source 5 is not the id of an earlier MOUNT'
	[mount-dotdot]='offset 768: MOUNT: root is not an absolute path without "\.\."'
	[mount-flags]='offset 472: MOUNT: flags 0x200 has unknown bits 0x200'
	[mount-fstype-padding]='offset 472: MOUNT: fstype is not NUL-padded'
	[mount-id-rank]='offset 472: MOUNT: id 3, but it is MOUNT 2 of the MNTNS'
	[mount-joins-group-unbound]="offset 472: MOUNT: peer_group 1 is an earlier MOUNT's, but it is not a bind of a member"
	[mount-kind]='offset 472: MOUNT: kind 4 is unknown'
	[mount-master-not-slave]='offset 472: MOUNT: master 1, but propagation 0x0 is not SLAVE'
	[mount-missing]='offset 1040: CRED: record out of order, expected MOUNT$'
	[mount-new-fstype]='offset 472: MOUNT: fstype "ext4" of a NEW mount is not one restart mounts anew'
	[mount-options-too-long]='offset 472: MOUNT: options_len 1031 is out of range 1\.\.1024'
	[mount-outside-mntns]='offset 312: MOUNT: record out of order, expected TASK, '
	[mount-own-master]='offset 864: MOUNT: master 2 is its own peer group'
	[mount-pad]='offset 472: MOUNT: __pad is not zero'
	[mount-parent-later]='offset 472: MOUNT: parent 2 is not the id of an earlier MOUNT'
	[mount-peer-group-range]='offset 472: MOUNT: peer_group 8 or master 0 is more than nr_mounts 7'
	[mount-relative-mountpoint]='offset 472: MOUNT: mountpoint is not an absolute path without "\.\."'
	[mount-root-mountpoint]='offset 376: MOUNT: mountpoint of the root is not "/"'
	[mount-root-not-external]='offset 376: MOUNT: kind 2: the root mount must be EXTERNAL'
	[mount-root-parent]='offset 376: MOUNT: parent 1, but the first MOUNT is the root \(parent 0\)'
	[mount-shared-no-group]='offset 472: MOUNT: propagation 0x1 is SHARED, but peer_group is 0'
	[mount-shared-unbindable]='offset 472: MOUNT: propagation 0x5: both SHARED and UNBINDABLE'
	[mount-slave-unbound]='offset 864: MOUNT: master 2 is not the peer group of the MOUNT it is a bind of'
	[mount-source-not-bind]='offset 472: MOUNT: source 1, but kind 2 is not BIND'
	[mount-string-not-terminated]='offset 472: MOUNT: mountpoint is not a NUL-terminated string of 4 bytes'
	[mount-strings-past-len]='offset 472: MOUNT: len 80, but its contents take 269 bytes before padding'
	[mntns-after-ipc]='offset 360: MNTNS: record out of order, expected TASK, '
	[tmpfs-without-mntns]='offset 312: TMPFS: record out of order, expected TASK, '
	[tmpfs-missing]='offset 1480: CRED: record out of order, expected TMPFS'
	[tmpfs-not-a-tmpfs]='offset 1384: TMPFS: mount 2 is not a MOUNT of kind NEW of a tmpfs'
	[tmpfs-mount-out-of-range]='offset 1384: TMPFS: mount 10 is not a MOUNT of kind NEW of a tmpfs'
	[tmpfs-out-of-order]='offset 1384: TMPFS: mount 9, but the next new tmpfs is mount 8'
	[tmpfs-twice]='offset 1480: TMPFS: mount 8, but the next new tmpfs is mount 9'
	[tmpfs-pad]='offset 1384: TMPFS: __pad is not zero'
	[tmpfs-before-ipc]='offset 2232: IPC_NS: record out of order, expected TASK, '
	[tmpfs-before-segment]='offset 1296: TMPFS: record out of order, expected SYSV_SHM'
	[mntns-after-tmpfs]='offset 2368: MNTNS: record out of order, expected TASK, '
	[tmpfs-no-root]='offset 1400: TMPFS: record out of order, expected TMPFS_NODE'
	[tmpfs-root-not-first]='offset 1400: TMPFS_NODE: path is not "/": the first node is the root'
	[tmpfs-root-twice]='offset 2272: TMPFS_NODE: path "/", but only the first node is the root'
	[tmpfs-root-not-dir]='offset 1400: TMPFS_NODE: mode 0100755, link 0: the root of a tmpfs is a directory'
	[tmpfs-root-link]='offset 1400: TMPFS_NODE: mode 040755, link 1: the root of a tmpfs is a directory'
	[tmpfs-dotdot]='offset 2272: TMPFS_NODE: path is not an absolute path without an empty, "\." or "\.\." component'
	[tmpfs-dot]='offset 2272: TMPFS_NODE: path is not an absolute path without an empty, "\." or "\.\." component'
	[tmpfs-empty-component]='offset 2272: TMPFS_NODE: path is not an absolute path without an empty, "\." or "\.\." component'
	[tmpfs-trailing-slash]='offset 2272: TMPFS_NODE: path is not an absolute path without an empty, "\." or "\.\." component'
	[tmpfs-relative-path]='offset 2272: TMPFS_NODE: path is not an absolute path without an empty, "\." or "\.\." component'
	[tmpfs-node-truncated]='offset 2272: TMPFS_NODE: len 56 is shorter than the 64 bytes of its fixed part'
	[tmpfs-node-strings-past-len]='offset 2272: TMPFS_NODE: len 72, but its contents take 164 bytes before padding'
	[tmpfs-path-not-terminated]='offset 2272: TMPFS_NODE: path is not a NUL-terminated string of 3 bytes'
	[tmpfs-path-len-zero]='offset 2272: TMPFS_NODE: path_len 0 is out of range 2\.\.4096'
	[tmpfs-target-too-long]='offset 2272: TMPFS_NODE: target_len 4097 is above 4096'
	[tmpfs-node-pad]='offset 2272: TMPFS_NODE: __pad is not zero'
	[tmpfs-mode-bits]='offset 2272: TMPFS_NODE: mode 0210600 has unknown bits 0200000'
	[tmpfs-socket]='offset 2272: TMPFS_NODE: mode 0140755: not a directory, regular file, symlink, FIFO or device'
	[tmpfs-symlink-no-target]='offset 2272: TMPFS_NODE: a symbolic link, but target_len is 0'
	[tmpfs-fifo-target]='offset 2272: TMPFS_NODE: target_len 3, but it is neither a link nor a symlink'
	[tmpfs-target-not-terminated]='offset 2272: TMPFS_NODE: target is not a NUL-terminated string of 3 bytes'
	[tmpfs-dir-size]='offset 1480: TMPFS_NODE: size 4096, but it is not a regular file or it is a link'
	[tmpfs-size-range]='offset 1600: TMPFS_NODE: size 9223372036854775808 is out of range'
	[tmpfs-fifo-rdev]='offset 1848: TMPFS_NODE: rdev 0x103, but it is not a device'
	[tmpfs-atime-nsec]='offset 1848: TMPFS_NODE: atime_nsec 1000000000 is out of range'
	[tmpfs-mtime-nsec]='offset 1848: TMPFS_NODE: mtime_nsec 4294967295 is out of range'
	[tmpfs-link-2]='offset 2184: TMPFS_NODE: link 2 is not 0 or 1'
	[tmpfs-link-dir]='offset 2272: TMPFS_NODE: link 1, but a directory has no other name'
	[tmpfs-link-no-target]='offset 2184: TMPFS_NODE: link 1, but target_len is 0'
	[tmpfs-link-relative]='offset 2184: TMPFS_NODE: target is not an absolute path without an empty, "\." or "\.\." component'
	[tmpfs-link-dotdot]='offset 2184: TMPFS_NODE: target is not an absolute path without an empty, "\." or "\.\." component'
	[tmpfs-link-root]='offset 2184: TMPFS_NODE: link 1 to "/": the root is a directory'
	[tmpfs-link-size]='offset 2184: TMPFS_NODE: size 10000, but it is not a regular file or it is a link'
	[tmpfs-data-beyond-size]='offset 1720: FILE_DATA: offset 9999 \+ len 2 goes beyond 10000'
	[tmpfs-data-backwards]='offset 1752: FILE_DATA: offset 0, expected at least 8196'
	[tmpfs-data-after-dir]='offset 1560: FILE_DATA: record out of order: not after a PIPE, an unlinked FILE or a TMPFS_NODE of a regular file'
	[tmpfs-data-after-link]='offset 2272: FILE_DATA: record out of order: not after a PIPE, an unlinked FILE or a TMPFS_NODE of a regular file'
	[tmpfs-xattr-after-link]='offset 2272: TMPFS_XATTR: record out of order: after a TMPFS_NODE that is a link'
	[tmpfs-data-after-xattr]='offset 1792: FILE_DATA: record out of order: not after a PIPE, an unlinked FILE or a TMPFS_NODE of a regular file'
	[tmpfs-xattr-posix-acl-version]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: a_version 1, expected 2$'
	[tmpfs-xattr-posix-acl-size]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: value_len 48 is not 4 \+ 8 \* the number of entries$'
	[tmpfs-xattr-posix-acl-short]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: value_len 2 is not 4 \+ 8 \* the number of entries$'
	[tmpfs-xattr-posix-acl-header-only]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: no entries, not even user::, group:: and other::$'
	[tmpfs-xattr-posix-acl-tag]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: entry\[4\]: e_tag 0x40 is unknown$'
	[tmpfs-xattr-posix-acl-perm]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: entry\[4\]: e_perm 0x8 has bits beyond rwx$'
	[tmpfs-xattr-posix-acl-user-id]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: entry\[1\]: e_id -1, which no user namespace maps$'
	[tmpfs-xattr-posix-acl-no-mask]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: entry\[3\]: other::---, but named users or groups need a mask:: before it$'
	[tmpfs-xattr-posix-acl-no-user-obj]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: entry\[0\]: group::---, but the first entry is user::$'
	[tmpfs-xattr-posix-acl-no-group-obj]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: entry\[1\]: other::--- without a group:: before it$'
	[tmpfs-xattr-posix-acl-no-other]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: the entries end without other::$'
	[tmpfs-xattr-posix-acl-twice]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: entry\[3\]: group::r-- is repeated or out of order$'
	[tmpfs-xattr-posix-acl-order]='offset 1560: TMPFS_XATTR: system\.posix_acl_access: entry\[2\]: user:1001:r-- is repeated or out of order$'
	[tmpfs-xattr-posix-acl-default-on-file]='offset 1752: TMPFS_XATTR: system\.posix_acl_default on a regular file: only a directory has a default ACL$'
	[tmpfs-xattr-posix-acl-default-on-fifo]='offset 1928: TMPFS_XATTR: system\.posix_acl_default on a FIFO: only a directory has a default ACL$'
	[tmpfs-xattr-posix-acl-symlink]='offset 2184: TMPFS_XATTR: system\.posix_acl_access on a symbolic link, which has no POSIX ACL$'
	[tmpfs-xattr-name-len]='offset 1560: TMPFS_XATTR: name_len 1 is out of range 2\.\.256'
	[tmpfs-xattr-name-not-terminated]='offset 1560: TMPFS_XATTR: name is not a NUL-terminated string of 7 bytes'
	[tmpfs-xattr-value-too-long]='offset 1560: TMPFS_XATTR: value_len 65537 is above 65536'
	[tmpfs-xattr-past-len]='offset 1560: TMPFS_XATTR: len 24, but its contents take 116 bytes before padding'
	[tmpfs-xattr-pad]='offset 1560: TMPFS_XATTR: __pad is not zero'
	[tmpfs-data-pad]='offset 1720: FILE_DATA: __pad is not zero'
	[mq-ns-without-ipc]='offset 312: MQ_NS: record out of order, expected TASK, '
	[mq-ns-before-sysv]='offset 360: MQ_NS: record out of order, expected MSG_QUEUE$'
	[mq-ns-twice]='offset 392: MQ_NS: record out of order, expected TASK, '
	[mq-ns-after-tmpfs]='offset 2368: MQ_NS: record out of order, expected TASK, '
	[mq-ns-nr-queues]='offset 560: MQ_NS: nr_queues 4097 is out of range 0\.\.4096$'
	[mq-ns-queues-max]='offset 560: MQ_NS: queues_max 2147483648 is out of range 0\.\.2147483647$'
	[mq-ns-msg-max-zero]='offset 560: MQ_NS: msg_max 0 is out of range 1\.\.65536$'
	[mq-ns-msg-default]='offset 560: MQ_NS: msg_default 65537 is out of range 1\.\.65536$'
	[mq-ns-msgsize-max]='offset 560: MQ_NS: msgsize_max 127 is out of range 128\.\.16777216$'
	[mq-ns-msgsize-default]='offset 560: MQ_NS: msgsize_default 16777217 is out of range 128\.\.16777216$'
	[mq-ns-truncated]='offset 560: MQ_NS: len 16 is shorter than the 24 bytes of its fixed part$'
	[mq-ns-len]='offset 560: MQ_NS: len 32, expected 24$'
	[mqueue-missing]='offset 1936: CRED: record out of order, expected MQUEUE$'
	[mqueue-extra]='offset 808: MQUEUE: record out of order, expected TASK, '
	[mqueue-outside-mq-ns]='offset 360: MQUEUE: record out of order, expected TASK, '
	[mqueue-truncated]='offset 592: MQUEUE: len 56 is shorter than the 64 bytes of its fixed part$'
	[mqueue-cut]='offset 592: MQUEUE: truncated payload \(40 of 72 bytes\)$'
	[mqueue-name-past-len]='offset 808: MQUEUE: len 72, but its contents take 164 bytes before padding$'
	[mqueue-name-len-zero]='offset 808: MQUEUE: name_len 0 is out of range 2\.\.256$'
	[mqueue-name-empty]='offset 808: MQUEUE: name_len 1 is out of range 2\.\.256$'
	[mqueue-name-too-long]='offset 808: MQUEUE: name_len 257 is out of range 2\.\.256$'
	[mqueue-name-not-terminated]='offset 808: MQUEUE: name is not a NUL-terminated string of 5 bytes$'
	[mqueue-name-slash]='offset 808: MQUEUE: name is "\.", "\.\." or has a "/"$'
	[mqueue-name-dotdot]='offset 808: MQUEUE: name is "\.", "\.\." or has a "/"$'
	[mqueue-name-twice]='offset 808: MQUEUE: name is that of an MQUEUE before it$'
	[mqueue-mode]='offset 808: MQUEUE: mode 01600 has bits beyond 0777$'
	[mqueue-pad]='offset 808: MQUEUE: __pad is not zero$'
	[mqueue-uid]='offset 808: MQUEUE: uid or gid is -1, which no user namespace maps$'
	[mqueue-maxmsg-zero]='offset 808: MQUEUE: maxmsg 0 is out of range 1\.\.65536$'
	[mqueue-maxmsg-too-big]='offset 808: MQUEUE: maxmsg 65537 is out of range 1\.\.65536$'
	[mqueue-msgsize-too-big]='offset 808: MQUEUE: msgsize 16777217 is out of range 1\.\.16777216$'
	[mqueue-curmsgs-above-maxmsg]='offset 592: MQUEUE: curmsgs 4 is more than maxmsg 3$'
	[mqueue-notify-thread]='offset 592: MQUEUE: notify 2 is neither SIGEV_SIGNAL nor SIGEV_NONE$'
	[mqueue-notify-signo]='offset 592: MQUEUE: notify_signo 65 is not a signal$'
	[mqueue-notify-without-pid]='offset 592: MQUEUE: notify, notify_signo or notify_value without a notify_pid$'
	[mqueue-notify-pid-unknown]='offset 592: MQUEUE: notify_pid 107 is not a task of the TREE$'
	[mqueue-notify-pid-zombie]='offset 624: MQUEUE: notify_pid 101 is a thread or a zombie, not a process$'
	[mq-msg-priority]='offset 672: MSG: priority 32768 is out of range 0\.\.32767$'
	[mq-msg-too-long]="offset 888: MSG: len 1025 is more than the MQUEUE's msgsize 1024$"
	[mq-msg-len]='offset 704: MSG: 100 bytes of text in a record of 32$'
	[mq-msg-padding]='offset 704: MSG: padding is not zero$'
	[mq-msg-missing]='offset 784: MQUEUE: record out of order, expected MSG$'
	[mq-msg-extra]='offset 808: MSG: record out of order, expected MQUEUE$'
	[file-mqueue-path]='offset 2248: FILE: path is not "/" and the name of a queue$'
	[file-mqueue-path-dot]='offset 2248: FILE: path is not "/" and the name of a queue$'
	[file-mqueue-path-too-long]='offset 624: FILE: path is not "/" and the name of a queue$'
	[file-mqueue-unknown]="offset 2248: FILE: path names no MQUEUE of the image's IPC namespace$"
	[file-mqueue-no-mq-ns]="offset 672: FILE: path names no MQUEUE of the image's IPC namespace$"
	[file-mqueue-flags]='offset 2248: FILE: f_flags 0x402 has unknown bits 0x400$'
	[file-mqueue-accmode]='offset 2248: FILE: f_flags 03 has an invalid access mode$'
	[file-mqueue-mode]='offset 2248: FILE: mode 040755 does not fit kind 21$'
	[inode-attr-uid]='offset 712: INODE_ATTR: uid or gid is -1, which no user namespace maps$'
	[inode-attr-gid]='offset 712: INODE_ATTR: uid or gid is -1, which no user namespace maps$'
	[inode-attr-atime-nsec]='offset 712: INODE_ATTR: atime_nsec 1000000000 is out of range$'
	[inode-attr-mtime-nsec]='offset 712: INODE_ATTR: mtime_nsec 4294967295 is out of range$'
	[inode-attr-atime-negative]='offset 712: INODE_ATTR: atime_sec -1 is negative$'
	[inode-attr-mtime-negative]='offset 712: INODE_ATTR: mtime_sec -9223372036854775808 is negative$'
	[inode-attr-truncated]='offset 712: INODE_ATTR: len 24 is shorter than the 40 bytes of its fixed part \(32 in earlier images\)$'
	[inode-attr-len]='offset 712: INODE_ATTR: len 48, expected 40 \(or 32 in earlier images\)$'
	[inode-attr-cut]='offset 712: INODE_ATTR: truncated payload \(16 of 40 bytes\)$'
	[inode-attr-mode]='offset 712: INODE_ATTR: mode 0100640 has bits beyond 07777$'
	[inode-attr-pad]='offset 712: INODE_ATTR: __pad is not zero$'
	[inode-attr-after-reg]="offset 712: INODE_ATTR: record out of order: not right after a PTY or the FILE of an unlinked file's first open file \(kind UNLINKED, obj_ref 0\)$"
	[inode-attr-after-other-file]="offset 1008: INODE_ATTR: record out of order: not right after a PTY or the FILE of an unlinked file's first open file \(kind UNLINKED, obj_ref 0\)$"
	[inode-attr-after-data]="offset 752: INODE_ATTR: record out of order: not right after a PTY or the FILE of an unlinked file's first open file \(kind UNLINKED, obj_ref 0\)$"
	[inode-attr-twice]="offset 760: INODE_ATTR: record out of order: not right after a PTY or the FILE of an unlinked file's first open file \(kind UNLINKED, obj_ref 0\)$"
	[inode-attr-outside-task]="offset 312: INODE_ATTR: record out of order: not right after a PTY or the FILE of an unlinked file's first open file \(kind UNLINKED, obj_ref 0\)$"
	[unlinked-xattr-without-attr]="offset 784: TMPFS_XATTR: record out of order: not after a TMPFS_NODE or an unlinked file's INODE_ATTR, or their FILE_DATA$"
	[unlinked-xattr-after-other-file]="offset 1008: TMPFS_XATTR: record out of order: not after a TMPFS_NODE or an unlinked file's INODE_ATTR, or their FILE_DATA$"
	[unlinked-data-after-xattr]='offset 920: FILE_DATA: record out of order: not after a PIPE, an unlinked FILE or a TMPFS_NODE of a regular file$'
	[unlinked-data-beyond-size]='offset 800: FILE_DATA: offset 9999 \+ len 2 goes beyond 10000$'
	[unlinked-xattr-name-not-terminated]='offset 832: TMPFS_XATTR: name is not a NUL-terminated string of 7 bytes$'
	[unlinked-xattr-posix-acl-default]='offset 832: TMPFS_XATTR: system\.posix_acl_default on a regular file: only a directory has a default ACL$'
	[unlinked-xattr-posix-acl-no-mask]='offset 832: TMPFS_XATTR: system\.posix_acl_access: entry\[3\]: other::---, but named users or groups need a mask:: before it$'
	[pty-inode-attr-after-file]="offset 816: INODE_ATTR: record out of order: not right after a PTY or the FILE of an unlinked file's first open file \(kind UNLINKED, obj_ref 0\)$"
	[pty-inode-attr-twice]="offset 768: INODE_ATTR: record out of order: not right after a PTY or the FILE of an unlinked file's first open file \(kind UNLINKED, obj_ref 0\)$"
	[pty-inode-attr-mode]='offset 720: INODE_ATTR: mode 020620 has bits beyond 07777$'
	[pty-xattr-after-inode-attr]="offset 768: TMPFS_XATTR: record out of order: not after a TMPFS_NODE or an unlinked file's INODE_ATTR, or their FILE_DATA$"
	[pty-data-after-inode-attr]='offset 768: FILE_DATA: record out of order: not after a PIPE, an unlinked FILE or a TMPFS_NODE of a regular file$'
	[pty-inode-attr-v1]="offset 720: INODE_ATTR: len 32 after a PTY, expected 40 \(the 32 of earlier kernels only after an unlinked file's FILE\)$"
	[tty-hungup-path]='offset 624: FILE: kind 23 has a path$'
	[tty-hungup-path-len]='offset 624: FILE: kind 23 has a path$'
	[tty-hungup-trailing]='offset 624: FILE: kind 23 has a path$'
	[tty-hungup-mode]='offset 624: FILE: mode 0100620 does not fit kind 23$'
	[tty-hungup-pos]='offset 624: FILE: a hung-up terminal with a position 5$'
	[tty-hungup-obj-ref]='offset 624: FILE: obj_ref 3: only pipes, FIFOs, ptys, unlinked files and memfds have one$'
	[tty-hungup-flags]='offset 624: FILE: f_flags 0x80002 has unknown bits 0x80000$'
	[tty-hungup-accmode]='offset 624: FILE: f_flags 0100003 has an invalid access mode$'
	[tty-hungup-inode-attr]="offset 704: INODE_ATTR: record out of order: not right after a PTY or the FILE of an unlinked file's first open file \(kind UNLINKED, obj_ref 0\)$"
	[fown-outside-task]='offset 312: FOWN: record out of order: not right after a FILE and the records of its kind$'
	[fown-after-files]='offset 688: FOWN: record out of order: not right after a FILE and the records of its kind$'
	[fown-after-process]='offset 12216: FOWN: record out of order: not right after a FILE and the records of its kind$'
	[fown-twice]='offset 760: FOWN: record out of order: a FILE has one FOWN at most$'
	[fown-before-eventfd]='offset 704: FOWN: record out of order, expected EVENTFD, TIMERFD, '
	[fown-before-shmem]='offset 856: FOWN: record out of order, expected SHMEM$'
	[fown-in-shmem]='offset 880: FOWN: record out of order, expected PAGES or SHMEM_END$'
	[fown-before-inode-attr]="offset 744: INODE_ATTR: record out of order: not right after a PTY or the FILE of an unlinked file's first open file \(kind UNLINKED, obj_ref 0\)$"
	[fown-before-xattr]="offset 864: TMPFS_XATTR: record out of order: not after a TMPFS_NODE or an unlinked file's INODE_ATTR, or their FILE_DATA$"
	[fown-before-pending]='offset 2992: FOWN: record out of order, expected INET_SK$'
	[fown-pid-range]='offset 728: FOWN: pid 2147483648 is out of range$'
	[fown-type]='offset 728: FOWN: type 3 is not F_OWNER_TID, F_OWNER_PID or F_OWNER_PGRP$'
	[fown-signum]='offset 728: FOWN: signum 65 is not a signal$'
	[fown-flags]='offset 728: FOWN: flags 0x3 has unknown bits 0x2$'
	[fown-pad]='offset 728: FOWN: __pad is not zero$'
	[fown-fd]='offset 728: FOWN: fd -2 is neither an fd nor -1$'
	[fown-pid-unknown]='offset 728: FOWN: pid 107 is not the pid of a task of the TREE that is not a zombie$'
	[fown-pid-zombie]='offset 560: FOWN: pid 101 is not the tgid of a task of the TREE that is not a zombie$'
	[fown-pgrp-unknown]='offset 5144: FOWN: pid 100 is not the pgid of a task of the TREE that is not a zombie$'
	[fown-len]='offset 728: FOWN: len 32, expected 24$'
	[fown-truncated]='offset 728: FOWN: len 16 is shorter than the 24 bytes of its fixed part$'
	[proc-pid-unknown]='offset 5176: FILE: ino 101 is not the pid of a task of the TREE$'
	[proc-pid-zero]='offset 5176: FILE: ino 0 is not the pid of a task of the TREE$'
	[proc-pid-mode]='offset 5176: FILE: mode 020620 does not fit kind 22$'
	[proc-pid-size]='offset 5176: FILE: a file under /proc/100 with a size or mtime$'
	[proc-pid-obj-ref]='offset 5176: FILE: obj_ref 31: only pipes, FIFOs, ptys, unlinked files and memfds have one$'
	[memfd-without-contents]='offset 856: FILE: record out of order, expected SHMEM$'
	[memfd-ref-with-contents]="offset 5144: SHMEM: objref 0, but the record before is neither a SYSV_SHM nor the FILE of a memfd's first open file \(kind MEMFD, obj_ref 0\)$"
	[memfd-ref-not-memfd]='offset 5048: FILE: obj_ref 2 is not the FILE of the first open file \(kind 14, obj_ref 0\) of this memfd$'
	[memfd-ref-not-first]='offset 5176: FILE: obj_ref 32 is not the FILE of the first open file \(kind 14, obj_ref 0\) of this memfd$'
	[memfd-ref-unknown]='offset 5048: FILE: obj_ref 99 refers to no object defined before it$'
	[unlinked-ref-memfd]='offset 5376: FILE: obj_ref 31 is not the FILE of the first open file \(kind 7, obj_ref 0\) of this unlinked file$'
	[pages-crc-flipped-page-byte]='offset 11752: PAGES_CRC: crc 0x086019ac, but the contents of the PAGES before it have 0x[0-9a-f]{8}: they are damaged$'
	[pages-crc-wrong]='offset 11752: PAGES_CRC: crc 0x12345678, but the contents of the PAGES before it have 0x086019ac: they are damaged$'
	[pages-crc-pad]='offset 11752: PAGES_CRC: __pad is not zero$'
	[pages-crc-after-vma]='offset 3488: PAGES_CRC: record out of order: not right after a PAGES$'
	[pages-crc-twice]='offset 11768: PAGES_CRC: record out of order: not right after a PAGES$'
	[lazy-predump]='offset 0: HEADER: flags 0x280: LAZY with INCREMENTAL or PREDUMP$'
	[pages-file-nr-pages-0]='offset 3536: PAGES_FILE: nr_pages 0 is out of range 1\.\.256$'
	[pages-file-nr-pages-max]='offset 3536: PAGES_FILE: nr_pages 257 is out of range 1\.\.256$'
	[pages-file-pad]='offset 3536: PAGES_FILE: __pad is not zero$'
	[pages-file-unaligned]='offset 3536: PAGES_FILE: addr 0x7fffffffd008 is not a page address$'
	[pages-file-outside-vma]='offset 3576: PAGES_FILE: 0x7fffffffe000-0x800000000000 is not inside one VMA$'
	[pages-file-backwards]='offset 3616: PAGES_FILE: addr 0x7fffffffd000 is below the end 0x7ffffffff000 of the pages record before it$'
	[pages-file-offset]='offset 3536: PAGES_FILE: offset 9223372036854771712: the pages end past the largest file offset$'
	[pages-file-then-crc]='offset 3616: PAGES_CRC: record out of order: not right after a PAGES$'
	[pages-file-in-shmem]='offset 2808: PAGES_FILE: record out of order, expected PAGES or SHMEM_END$'
	[pages-file-mm-end]='offset 3576: MM_END: nr_pages 2, but the PAGES, PAGES_COW, PAGES_PARENT and PAGES_FILE of this MM hold 1$'
)

mkdir "$TMP/bad" && "${MKIMAGE[@]}" --all "$TMP/bad" &&
	mv "$TMP"/bad/good*.img "$TMP"
expect "show: accepts any unique objrefs, not only 1, 2, 3..." 0 \
	'^  cred_ref: 2147483647$' "$CKPT" show "$TMP/good-sparse-objrefs.img"
expect "show: accepts shared memory, SysV segments and their VMAs" 0 \
	'^  kind: 7 \(SYSV_SHM\)$' "$CKPT" show "$TMP/good-shared-memory.img"
expect "show: decodes a task's SIGALTSTACK and ITIMERS" 0 \
	'^  real: value_ns 800000000 interval_ns 1000000000$' \
	"$CKPT" show "$TMP/good-timers.img"
expect "show: decodes a process's CPUTIME" 0 '^  cutime_ns: 100000000$' \
	"$CKPT" show "$TMP/good-timers.img"
expect "show: decodes a thread's THREAD_CPUTIME" 0 '^  sum_exec_ns: 900000000$' \
	"$CKPT" show "$TMP/good-timers.img"
expect "show: decodes a process's POSIX_TIMERS" 0 \
	'^  timer\[1\]: id=2 clockid=7 \(CLOCK_BOOTTIME\) notify=1 \(SIGEV_NONE\)' \
	"$CKPT" show "$TMP/good-timers.img"
expect "show: decodes a thread's SCHED, after its timers" 0 \
	'^\[20\] SCHED offset=12496 len=40$' "$CKPT" show "$TMP/good-timers.img"
expect "show: decodes a SCHED's policy" 0 '^  policy: 0 \(SCHED_NORMAL\)$' \
	"$CKPT" show "$TMP/good-timers.img"
expect "show: decodes a SCHED's I/O priority" 0 \
	'^  ioprio: 0x4004 \(class BE, level 4\)$' "$CKPT" show "$TMP/good-timers.img"
expect "show: a SCHED's affinity is a CPU list" 0 '^  cpus: 0-3,8$' \
	"$CKPT" show "$TMP/good-timers.img"
expect "show: a SCHED of a real-time thread" 0 '^  policy: 1 \(SCHED_FIFO\)$' \
	"$CKPT" show "$TMP/good-sched-rt.img"
expect "show: a SCHED's RESET_ON_FORK" 0 '^  flags: 0x1 \(RESET_ON_FORK\)$' \
	"$CKPT" show "$TMP/good-sched-rt.img"
expect "show: a SCHED's negative nice value" 0 '^  nice: -5$' \
	"$CKPT" show "$TMP/good-sched-rt.img"
expect "show: a SCHED's affinity over three words, to the last CPU" 0 \
	'^  cpus: 0-2,64,66-129$' "$CKPT" show "$TMP/good-sched-rt.img"
"$CKPT" show "$TMP/good-sched-deadline.img" >"$TMP/good-sched-deadline.out" 2>&1
check "show: a SCHED of policy SCHED_DEADLINE, then its SCHED_DL, then X86_REGS" \
	show_has "$TMP/good-sched-deadline.out" '[15] SCHED offset=12216 len=40' \
	'  policy: 6 (SCHED_DEADLINE)' '  flags: 0x1 (RESET_ON_FORK)' \
	'  rt_priority: 0' '[16] SCHED_DL offset=12264 len=32' \
	'[17] X86_REGS offset=12304 len=216'
check "show: decodes a SCHED_DL's runtime, deadline, period and flags" \
	show_has "$TMP/good-sched-deadline.out" '  runtime_ns: 10000000' \
	'  deadline_ns: 30000000' '  period_ns: 100000000' \
	'  flags: 0x6 (RECLAIM|DL_OVERRUN)'
expect "show: decodes a USERNS record's maps" 0 '^  gid_map\[1\]: 1000 5000 1$' \
	"$CKPT" show "$TMP/good-userns.img"
"$CKPT" show "$TMP/good-cgroupns.img" >"$TMP/good-cgroupns.out" 2>&1
check "show: a CGROUPNS and its CGROUPs between the USERNS and the MNTNS" \
	show_has "$TMP/good-cgroupns.out" '[2] USERNS offset=312 len=40' \
	'[3] CGROUPNS offset=360 len=8' '  flags: 0x0' '  nr_cgroups: 5' \
	'[4] CGROUP offset=376 len=72' '[5] CGROUP offset=456 len=216' \
	'[8] CGROUP offset=848 len=32' \
	'[9] MNTNS offset=888 len=8' '[11] IPC_NS offset=1000 len=40'
check "show: decodes a CGROUP's place, name and path in the namespace" \
	show_has "$TMP/good-cgroupns.out" '  id: 1' '  parent: 0 (none)' \
	'  name_len: 1' '  name: "" (at "/")' '  id: 4' '  parent: 3' \
	'  name: "init" (at "/init")' '  name: "web" (at "/svc/web")' \
	'  name: "empty" (at "/svc/empty")'
check "show: decodes a CGROUP's processes" show_has "$TMP/good-cgroupns.out" \
	'  nr_procs: 1' '  pid[0]: 100'
check "show: decodes a CGROUP's files, each FILE = \"VALUE\"" \
	show_has "$TMP/good-cgroupns.out" '  files_len: 176' \
	'  file[0]: cgroup.subtree_control = "cpu io memory pids"' \
	'  file[0]: cgroup.subtree_control = ""' \
	'  file[1]: cpu.max = "50000 100000"' \
	'  file[2]: io.max = "8:0 rbps=1048576 wbps=max riops=max wiops=max\x0a8:16 rbps=max wbps=2097152 riops=max wiops=max"' \
	'  file[3]: memory.max = "1048576"' '  file[4]: pids.max = "64"' \
	'  file[1]: memory.oom.group = "1"'
expect "show: a CGROUPNS as the only namespace record" 0 \
	'^\[2\] CGROUPNS offset=312 len=8$' "$CKPT" show "$TMP/good-cgroupns-only.img"
expect "show: the root CGROUP may hold the processes" 0 '^  pid\[0\]: 100$' \
	"$CKPT" show "$TMP/good-cgroupns-only.img"
expect "show: a zombie is in no CGROUP" 0 '^\[8\] CGROUP offset=880 len=32$' \
	"$CKPT" show "$TMP/good-cgroupns-zombie.img"
expect "show: a CGROUP path longer than 4095 bytes is shown by its end" 0 \
	'^  name: "d21x{252}" \(at "\.\.\./d07x{252}/d08x{252}/.*/d21x{252}"\)$' \
	"$CKPT" show "$TMP/good-cgroupns-deep.img"
"$CKPT" show "$TMP/good-cgroupns-frozen.img" >"$TMP/good-cgroupns-frozen.out" 2>&1
check "show: a CGROUP's cgroup.freeze, frozen or not" \
	show_has "$TMP/good-cgroupns-frozen.out" '[7] CGROUP offset=768 len=88' \
	'  name: "web" (at "/svc/web")' '  file[2]: cgroup.freeze = "1"' \
	'[8] CGROUP offset=864 len=48' '  file[0]: cgroup.freeze = "0"'
expect "show: an INET_SK of state STREAM names its peer" 0 \
	'^  peer: \[2001:db8:0:0:0:0:0:2\]:40001$' "$CKPT" show "$TMP/good-tcp.img"
expect "show: decodes the CORK flag of an INET_SK" 0 \
	'^  flags: 0x811 \(BOUND\|NODELAY\|CORK\)$' "$CKPT" show "$TMP/good-tcp.img"
expect "show: a listener is followed by the connections it has not accepted" 0 \
	'^\[10\] INET_SK offset=2992 len=120$' "$CKPT" show "$TMP/good-tcp.img"
expect "show: decodes a TCP_STREAM's state" 0 '^  state: 5 \(FIN_WAIT2\)$' \
	"$CKPT" show "$TMP/good-tcp.img"
expect "show: decodes a TCP_STREAM's options" 0 \
	'^  flags: 0x7 \(WSCALE\|SACK\|TSTAMP\)$' "$CKPT" show "$TMP/good-tcp.img"
expect "show: a TCP_STREAM's queues: crc32c, and the first bytes with --pages" 0 \
	'^  outq: crc32c=0x7ba29e70 bytes=77 6f 72 6c 64 2c 20 61 67 61 69 6e 21$' \
	"$CKPT" show --pages "$TMP/good-tcp.img"
expect "show: a UDP socket is followed by its datagrams" 0 \
	'^\[15\] UDP_DGRAM offset=3400 len=56$' "$CKPT" show "$TMP/good-udp.img"
expect "show: decodes a UDP_DGRAM's sender" 0 \
	'^  sender: \[fe80:0:0:0:0:0:0:2\]:5353$' "$CKPT" show "$TMP/good-udp.img"
expect "show: a UDP_DGRAM's data: crc32c, and the first bytes with --pages" 0 \
	'^  data: 70 69 6e 67$' "$CKPT" show --pages "$TMP/good-udp.img"
expect "show: decodes a NETNS record's sysctls" 0 \
	'^  sysctl\[1\]: net.ipv4.ip_local_port_range = 32768 60999$' \
	"$CKPT" show "$TMP/good-netns.img"
expect "show: decodes a NETDEV whose peer is outside the namespace" 0 \
	'^  peer_ifindex: 0 \(outside the namespace\)$' "$CKPT" show "$TMP/good-netns.img"
expect "show: decodes a NETDEV's hardware address" 0 '^  peer_addr: 02:00:00:00:00:04$' \
	"$CKPT" show "$TMP/good-netns.img"
expect "show: decodes a NET_ADDR with its prefix" 0 '^  local: fd00:0:0:1::2/64$' \
	"$CKPT" show "$TMP/good-netns.img"
expect "show: decodes a NET_ROUTE as ip route prints it" 0 \
	'^  route: default via 10\.0\.0\.1 dev 4 \("eth0"\) table main proto static scope global metric 100$' \
	"$CKPT" show "$TMP/good-netns.img"
expect "show: the namespace records after the NETNS's routes" 0 \
	'^\[10\] USERNS offset=968 len=40$' "$CKPT" show "$TMP/good-netns.img"
expect "show: accepts the 8-byte NETNS of earlier kernels" 0 \
	'^\[2\] NETNS offset=312 len=8$' "$CKPT" show "$TMP/good-netns-v1.img"
expect "show: a MNTNS and its MOUNTs, after the USERNS" 0 \
	'^\[10\] MOUNT offset=952 len=80$' "$CKPT" show "$TMP/good-mntns.img"
"$CKPT" show "$TMP/good-mntns.img" >"$TMP/good-mntns.out" 2>&1
check "show: decodes a MOUNT's kind, flags and propagation" \
	show_has "$TMP/good-mntns.out" \
	'  nr_mounts: 7' '  parent: 0 (none)' '  kind: 1 (EXTERNAL)' \
	'  kind: 2 (NEW)' '  fstype: "ext4"' \
	'  flags: 0x141 (RDONLY|RELATIME|SB_RDONLY)' \
	'  flags: 0x4e (NOSUID|NODEV|NOEXEC|RELATIME)' \
	'  propagation: 0x1 (shared:1)' '  propagation: 0x0 (private)' \
	'  propagation: 0x2 (master:outside)' \
	'  propagation: 0x3 (shared:3 master:2)' \
	'  propagation: 0x4 (unbindable)'
check "show: a bind names the MOUNT it is a bind of" \
	show_has "$TMP/good-mntns.out" '  kind: 3 (BIND of mount 3)' \
	'  kind: 3 (BIND of mount 4)' '  kind: 3 (BIND of mount 1)'
check "show: decodes a MOUNT's strings" show_has "$TMP/good-mntns.out" \
	'  mountpoint: "/"' '  root: "/srv/ct1/rootfs"' '  source: "/dev/sda1"' \
	'  options: ""' '  mountpoint: "/proc"' '  options: "hidepid=2"' \
	'  options: "gid=5,mode=620,ptmxmode=666"' '  root: "/home"'
check "show: a nested MOUNT's mount point from the namespace's root" \
	show_has "$TMP/good-mntns.out" '  mountpoint: "/cache" (at "/data/cache")'
expect "show: a MNTNS before the IPC_NS" 0 '^\[4\] IPC_NS offset=424 len=40$' \
	"$CKPT" show "$TMP/good-mntns-before-ipc.img"
expect "show: a MNTNS with only its root" 0 '^\[5\] CRED offset=472 ' \
	"$CKPT" show "$TMP/good-mntns-root-only.img"
expect "show: the TMPFS blocks after the IPC_NS and its segment" 0 \
	'^\[17\] TMPFS offset=1384 len=8$' "$CKPT" show "$TMP/good-tmpfs.img"
"$CKPT" show "$TMP/good-tmpfs.img" >"$TMP/good-tmpfs.out" 2>&1
check "show: a TMPFS names its mount and where it is" \
	show_has "$TMP/good-tmpfs.out" '[17] TMPFS offset=1384 len=8' \
	'  mount: 8 (at "/tmp")' '[31] TMPFS offset=2272 len=8' \
	'  mount: 9 (at "/run")'
check "show: decodes a TMPFS_NODE's type, permissions and owner" \
	show_has "$TMP/good-tmpfs.out" '  mode: 041777 (S_IFDIR|1777)' \
	'  mode: 0100644 (S_IFREG|0644)' '  mode: 010600 (S_IFIFO|0600)' \
	'  mode: 0120777 (S_IFLNK|0777)' '  uid: 1000' '  gid: 6'
check "show: a device node's rdev as major:minor" show_has "$TMP/good-tmpfs.out" \
	'  rdev: 0x103 (1:3)' '  rdev: 0x10010300 (259:65536)'
check "show: a TMPFS_NODE's size, times and path" show_has "$TMP/good-tmpfs.out" \
	'  size: 10000' '  path: "/file"' \
	'  atime: 1700000000.000000005 (2023-11-14T22:13:20.000000005Z)' \
	'  mtime: 1700000100.999999999 (2023-11-14T22:15:00.999999999Z)'
check "show: a symbolic link's and a hard link's target" \
	show_has "$TMP/good-tmpfs.out" '  path: "/dir/link"' '  target: "../file"' \
	'  link: 1 (another name of the node at target)' '  target: "/file"'
check "show: a regular file's FILE_DATA, then its extended attributes" \
	show_has "$TMP/good-tmpfs.out" '[22] FILE_DATA offset=1680 len=32' \
	'[23] FILE_DATA offset=1720 len=24' '[24] TMPFS_XATTR offset=1752 len=32'
check "show: decodes a TMPFS_XATTR, its value escaped" \
	show_has "$TMP/good-tmpfs.out" '  name: "user.comment"' \
	'  value: "a \"note\""' '  name: "security.capability"' \
	'  value: "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"'
"$CKPT" show "$TMP/good-tmpfs-posix-acl.img" >"$TMP/good-tmpfs-posix-acl.out" 2>&1
check "show: decodes a file's access ACL as getfacl prints it" \
	show_has "$TMP/good-tmpfs-posix-acl.out" \
	'[26] TMPFS_XATTR offset=1848 len=80' \
	'  name: "system.posix_acl_access"' '  a_version: 2' \
	'  entry[0]: user::rw-' '  entry[1]: user:1001:r--' \
	'  entry[2]: group::r--' '  entry[3]: mask::r--' '  entry[4]: other::---'
"$CKPT" show "$TMP/good-tmpfs-posix-acl-default.img" \
	>"$TMP/good-tmpfs-posix-acl-default.out" 2>&1
check "show: decodes a directory's access and default ACLs" \
	show_has "$TMP/good-tmpfs-posix-acl-default.out" \
	'[21] TMPFS_XATTR offset=1600 len=80' '  entry[2]: group:1000:r-x' \
	'[22] TMPFS_XATTR offset=1688 len=80' \
	'  name: "system.posix_acl_default"' \
	'  entry[0]: default:user::rwx' '  entry[1]: default:group::r-x' \
	'  entry[2]: default:group:1000:rwx' '  entry[3]: default:mask::rwx' \
	'  entry[4]: default:other::r-x'
expect "show: a FIFO's access ACL with a named group" 0 \
	'^  entry\[2\]: group:6:rw-$' "$CKPT" show "$TMP/good-tmpfs-posix-acl-fifo.img"
expect "show: a TMPFS right after the MOUNTs without an IPC_NS" 0 \
	'^\[13\] TMPFS offset=1248 len=8$' "$CKPT" show "$TMP/good-tmpfs-no-ipc.img"
"$CKPT" show "$TMP/good-mqueue.img" >"$TMP/good-mqueue.out" 2>&1
check "show: an MQ_NS and its MQUEUEs after the IPC_NS's System V objects" \
	show_has "$TMP/good-mqueue.out" '[2] IPC_NS offset=312 len=40' \
	'[3] MSG_QUEUE offset=360 len=72' '[7] SHMEM_END offset=544 len=8' \
	'[8] MQ_NS offset=560 len=24' '[9] MQUEUE offset=592 len=72' \
	'[14] MQUEUE offset=808 len=72' '[16] CRED offset=1936 len=104'
check "show: decodes an MQ_NS's fs.mqueue limits" show_has "$TMP/good-mqueue.out" \
	'  nr_queues: 2' '  queues_max: 256' '  msg_max: 10' '  msgsize_max: 8192' \
	'  msg_default: 10' '  msgsize_default: 8192'
check "show: decodes an MQUEUE's name, owner, mode and attributes" \
	show_has "$TMP/good-mqueue.out" '  name_len: 5' '  name: "jobs"' \
	'  name: "log.1"' '  uid: 1000' '  gid: 1000' '  mode: 0640' '  mode: 0600' \
	'  maxmsg: 10' '  msgsize: 1024' '  curmsgs: 4' '  maxmsg: 1'
check "show: decodes an MQUEUE's mq_notify() registration, its signal named" \
	show_has "$TMP/good-mqueue.out" '  notify_pid: 100' \
	'  notify: 0 (SIGEV_SIGNAL)' '  notify_signo: 12 (SIGUSR2)' \
	'  notify_value: 0x5eed' '  notify_pid: 0 (none)' '  notify: 0' \
	'  notify_signo: 0' '  notify_value: 0x0'
check "show: the MSGs of an MQUEUE have a priority, of a MSG_QUEUE an mtype" \
	show_has "$TMP/good-mqueue.out" '[4] MSG offset=440 len=24' '  mtype: 1' \
	'[10] MSG offset=672 len=24' '  priority: 31' '[13] MSG offset=784 len=16' \
	'  priority: 0' '  len: 0' '[15] MSG offset=888 len=1040' '  priority: 3' \
	'  len: 1024'
check "show: decodes a FILE of kind MQUEUE" show_has "$TMP/good-mqueue.out" \
	'[19] FILE offset=2248 len=80' '  kind: 21 (MQUEUE)' \
	'  f_flags: 04002 (RDWR|NONBLOCK)' '  path: "/jobs"' \
	'  fd[3]: fd=3 file_ref=10 flags=0x1 (CLOEXEC)'
expect "show: an MQUEUE's registration with SIGEV_NONE" 0 \
	'^  notify: 1 \(SIGEV_NONE\)$' "$CKPT" show "$TMP/good-mqueue-notify-none.img"
expect "show: an MQ_NS without queues" 0 '^  nr_queues: 0$' \
	"$CKPT" show "$TMP/good-mqueue-empty-ns.img"
expect "show: an MQ_NS right after an IPC_NS without System V objects" 0 \
	'^\[3\] MQ_NS offset=360 len=24$' "$CKPT" show "$TMP/good-mqueue-only.img"
expect "show: the TMPFS blocks after the MQ_NS's queues" 0 \
	'^\[25\] TMPFS offset=2760 len=8$' "$CKPT" show "$TMP/good-mqueue-tmpfs.img"
expect "show: an open queue of an IPC namespace the image does not have" 0 \
	'^  path: "/elsewhere"$' "$CKPT" show "$TMP/good-mqueue-file-no-ipc.img"
"$CKPT" show "$TMP/good-unlinked.img" >"$TMP/good-unlinked.out" 2>&1
check "show: an unlinked file's FILE, INODE_ATTR, FILE_DATA, then TMPFS_XATTR" \
	show_has "$TMP/good-unlinked.out" '[5] FILE offset=624 len=80' \
	'  kind: 7 (UNLINKED)' '[6] INODE_ATTR offset=712 len=40' \
	'[7] FILE_DATA offset=760 len=32' '[8] FILE_DATA offset=800 len=24' \
	'[9] TMPFS_XATTR offset=832 len=24' '[10] TMPFS_XATTR offset=864 len=48' \
	'[11] FILE offset=920 len=80' '  obj_ref: 10'
check "show: decodes an INODE_ATTR's owner, times and mode" \
	show_has "$TMP/good-unlinked.out" '  uid: 1000' '  gid: 1000' \
	'  atime: 1700000000.000000005 (2023-11-14T22:13:20.000000005Z)' \
	'  mtime: 1700000100.999999999 (2023-11-14T22:15:00.999999999Z)' \
	'  mode: 0640'
"$CKPT" show "$TMP/good-unlinked-attr-v1.img" >"$TMP/good-unlinked-attr-v1.out" 2>&1
check "show: accepts the 32-byte INODE_ATTR of earlier kernels, without mode" \
	show_has "$TMP/good-unlinked-attr-v1.out" '[6] INODE_ATTR offset=712 len=32' \
	'  mtime: 1700000100.999999999 (2023-11-14T22:15:00.999999999Z)' \
	'[7] FILE_DATA offset=752 len=32' '[9] TMPFS_XATTR offset=824 len=24'
check "show: no mode in an earlier kernel's INODE_ATTR" \
	bash -c "! grep -q '^  mode: 0640\$' '$TMP/good-unlinked-attr-v1.out'"
check "show: decodes an unlinked file's TMPFS_XATTR" \
	show_has "$TMP/good-unlinked.out" '  name: "user.color"' '  value: "blue"'
expect "show: an unlinked file of an earlier kernel, without INODE_ATTR" 0 \
	'^\[6\] FILE_DATA offset=712 len=32$' "$CKPT" show "$TMP/good-unlinked-v1.img"
expect "show: an empty unlinked file: TMPFS_XATTR right after its INODE_ATTR" 0 \
	'^\[7\] TMPFS_XATTR offset=760 len=16$' "$CKPT" show "$TMP/good-unlinked-empty.img"
"$CKPT" show "$TMP/good-unlinked-posix-acl.img" >"$TMP/good-unlinked-posix-acl.out" 2>&1
check "show: decodes an unlinked file's access ACL" \
	show_has "$TMP/good-unlinked-posix-acl.out" \
	'[11] TMPFS_XATTR offset=920 len=80' \
	'  name: "system.posix_acl_access"' '  entry[1]: user:1001:r--' \
	'  entry[3]: mask::r--' '[12] FILE offset=1008 len=80'
expect "show: an unlinked file without extended attributes" 0 \
	'^\[9\] FILES offset=832 len=72$' "$CKPT" show "$TMP/good-unlinked-no-xattr.img"
"$CKPT" show "$TMP/good-fown.img" >"$TMP/good-fown.out" 2>&1
check "show: a FOWN after an eventfd's FILE and EVENTFD" show_has "$TMP/good-fown.out" \
	'[5] FILE offset=624 len=72' '[6] EVENTFD offset=704 len=16' \
	'[7] FOWN offset=728 len=24'
check "show: decodes a FOWN's owner, signal, fd and O_ASYNC" \
	show_has "$TMP/good-fown.out" '  pid: 100' '  type: 1 (PID)' \
	'  signum: 0 (SIGIO, without siginfo)' '  fd: 3' '  flags: 0x1 (ASYNC)' \
	'  type: 0 (TID)' '  signum: 34 (SIGRTMIN+2)' '  fd: 4' '  flags: 0x0' \
	'  type: 2 (PGRP)' '  signum: 29 (SIGIO)' '  fd: 5'
check "show: a FOWN after a memfd's contents, SHMEM to SHMEM_END" \
	show_has "$TMP/good-fown.out" '[8] FILE offset=760 len=88' \
	'  kind: 14 (MEMFD)' '[9] SHMEM offset=856 len=16' \
	'[11] SHMEM_END offset=5000 len=8' '[12] FOWN offset=5016 len=24'
check "show: another open file of a memfd names the first, without SHMEM" \
	show_has "$TMP/good-fown.out" '[13] FILE offset=5048 len=88' \
	'  obj_ref: 31' '  path: "/memfd:ring"' '[14] FOWN offset=5144 len=24'
check "show: a FILE of kind PROC_PID has the pid of its task in ino" \
	show_has "$TMP/good-fown.out" '[15] FILE offset=5176 len=96' \
	'  kind: 22 (PROC_PID)' '  ino: 100 (pid 100)' \
	'  path: "/proc/100/status"' '[16] FILE offset=5280 len=88' \
	'  mode: 040555' '  path: "/proc/100"' '[17] FILES offset=5376 len=136'
"$CKPT" show "$TMP/good-fown-unlinked.img" >"$TMP/good-fown-unlinked.out" 2>&1
check "show: a FOWN after an unlinked file's INODE_ATTR, FILE_DATA and TMPFS_XATTR" \
	show_has "$TMP/good-fown-unlinked.out" '[10] TMPFS_XATTR offset=864 len=48' \
	'[11] FOWN offset=920 len=24' '  signum: 10 (SIGUSR1)' \
	'[12] FILE offset=952 len=80' '  obj_ref: 10' '[13] FOWN offset=1040 len=24'
expect "show: a FOWN after the FILE_DATA of an earlier kernel's unlinked file" 0 \
	'^\[8\] FOWN offset=784 len=24$' "$CKPT" show "$TMP/good-fown-unlinked-v1.img"
"$CKPT" show "$TMP/good-fown-tcp.img" >"$TMP/good-fown-tcp.out" 2>&1
check "show: a FOWN after a listener's connections not accepted" \
	show_has "$TMP/good-fown-tcp.out" '[11] TCP_STREAM offset=3120 len=80' \
	'[12] FOWN offset=3208 len=24' '  signum: 23 (SIGURG)' '  fd: -1'
"$CKPT" show "$TMP/good-pty.img" >"$TMP/good-pty.out" 2>&1
check "show: a PTY, the INODE_ATTR of its slave's node, then its FILEs" \
	show_has "$TMP/good-pty.out" '[5] PTY offset=624 len=88' \
	'[6] INODE_ATTR offset=720 len=40' '[7] FILE offset=768 len=88' \
	'  kind: 16 (PTY_MASTER)' '[8] FILE offset=864 len=88' \
	'  kind: 17 (PTY_SLAVE)' '  obj_ref: 40' '[9] FILES offset=960 len=88'
check "show: decodes the owner, group and mode of a pty's slave node" \
	show_has "$TMP/good-pty.out" '  uid: 1000' '  gid: 5' '  mode: 0620'
expect "show: a PTY without INODE_ATTR (an earlier kernel's)" 0 \
	'^\[6\] FILE offset=720 len=88$' "$CKPT" show "$TMP/good-pty-v1.img"
"$CKPT" show "$TMP/good-pty-orphan.img" >"$TMP/good-pty-orphan.out" 2>&1
check "show: a console's PTY, its master outside: flag ORPHAN, the slave's FILE" \
	show_has "$TMP/good-pty-orphan.out" '[5] PTY offset=624 len=88' \
	'  index: 0' '  flags: 0x4 (ORPHAN)' '  kind: 17 (PTY_SLAVE)'
# --- restart --console-socket (the NOSYS build: up to restart(2)) ---

# console_listener SOCKET OUT: accept one connection on the UNIX socket
# SOCKET as runc's recvtty does, write to OUT what came (data and number
# of descriptors); returns once SOCKET exists
console_listener()
{
	local i

	python3 - "$1" "$2" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(4)
s.settimeout(15)
c, _ = s.accept()
c.settimeout(15)
msg, anc, _, _ = c.recvmsg(4096, socket.CMSG_SPACE(4))
open(sys.argv[2], 'w').write('data=%r fds=%d\n' % (msg, len(anc)))
PY
	LISTENER=$!
	for i in {1..100}; do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

expect "cli: restart --console-socket wants a socket path (125)" 125 \
	'^ckpt: restart: --console-socket wants a socket path$' \
	"$CKPT" restart --console-socket '' /dev/null
expect "cli: restart --console-socket: a path of 108 bytes is too long (125)" 125 \
	'^ckpt: restart: --console-socket wants a socket path$' \
	"$CKPT" restart --console-socket "/$(printf 'a%.0s' {1..107})" /dev/null
expect "cli: restart --help names --console-socket" 0 \
	'^  -C, --console-socket PATH$' "$CKPT" restart --help
CONSOLE_IMG=$TMP/good-pty-orphan.img
CONSOLE_TESTS=("--console-socket refuses an image read from a pipe (125)"
	       "--console-socket: a socket nobody listens on fails before restart(2)"
	       "without --console-socket, a console's image gets a hint"
	       "--console-socket: the console's external reaches restart(2)"
	       "--console-socket: a failed restart(2) closes the connection, sending nothing"
	       "--console-socket of an image without a console says so")
if [ -z "$NOSYS" ] || ! command -v python3 >/dev/null; then
	for t in "${CONSOLE_TESTS[@]}"; do
		not_ok "restart: $t" "${NOSYS_FAILED:-no python3}"
	done
else
	expect "restart: ${CONSOLE_TESTS[0]}" 125 \
		'^ckpt: restart: --console-socket: FILE must be seekable, not a pipe$' \
		sh -c 'cat "$1" | "$2" restart --console-socket "$3" -' sh \
		"$CONSOLE_IMG" "$NOSYS" "$TMP/console.sock"
	expect "restart: ${CONSOLE_TESTS[1]}" 125 \
		"^ckpt: restart: --console-socket $TMP/nosock: No such file or directory$" \
		"$NOSYS" restart --console-socket "$TMP/nosock" "$CONSOLE_IMG"
	expect "restart: ${CONSOLE_TESTS[2]}" 125 \
		'^ckpt: restart: hint: the image has a console, pty:\[0\], whose master was outside the tasks: --console-socket PATH receives its new one$' \
		"$NOSYS" restart "$CONSOLE_IMG"
	if console_listener "$TMP/console.sock" "$TMP/console.out"; then
		expect "restart: ${CONSOLE_TESTS[3]}" 125 \
			'has no restart\(2\) system call' \
			"$NOSYS" restart -v --console-socket "$TMP/console.sock" "$CONSOLE_IMG"
	else
		not_ok "restart: ${CONSOLE_TESTS[3]}" "the listener did not start"
	fi
	wait "$LISTENER"
	check "restart: ${CONSOLE_TESTS[4]}" \
		grep -qxF "data=b'' fds=0" "$TMP/console.out"
	rm -f "$TMP/console.sock"
	console_listener "$TMP/console.sock" "$TMP/console.out"
	expect "restart: ${CONSOLE_TESTS[5]}" 125 \
		'^ckpt: restart: --console-socket: the image has no console: nothing will be sent$' \
		"$NOSYS" restart --console-socket "$TMP/console.sock" "$TMP/good-pty.img"
	kill "$LISTENER" 2>/dev/null
	wait "$LISTENER" 2>/dev/null
fi

"$CKPT" show "$TMP/good-tty-hungup.img" >"$TMP/good-tty-hungup.out" 2>&1
check "show: hung-up terminals, without a path, the first with its FOWN" \
	show_has "$TMP/good-tty-hungup.out" '[5] FILE offset=624 len=72' \
	'  kind: 23 (TTY_HUNGUP)' '  mode: 020620' '  path_len: 0' \
	'  path: ""' '[6] FOWN offset=704 len=24' '  signum: 29 (SIGIO)' \
	'[7] FILE offset=736 len=72' '  f_flags: 0104000 (RDONLY|NONBLOCK|LARGEFILE)' \
	'  fd[4]: fd=4 file_ref=44 flags=0x0'
"$CKPT" show "$TMP/good-exited-leader.img" >"$TMP/good-exited-leader.out" 2>&1
check "show: an exited leader, then its thread, each with its records" \
	show_has "$TMP/good-exited-leader.out" '[1] TREE offset=264 len=72' \
	'  task[0]: pid=100 tgid=100 ppid=0 pgid=0 sid=0 flags=0x8 (EXITED) exit_code=0x2a00' \
	'  task[1]: pid=101 tgid=100 ppid=0 pgid=0 sid=0 flags=0x0' \
	'[13] TASK offset=11800 len=160' '[14] PROCESS offset=11968 len=272' \
	'[19] TASK offset=13488 len=160' '  pid: 101' \
	'[20] X86_REGS offset=13656 len=216' '[24] TRAILER offset=14768 len=16'
"$CKPT" show "$TMP/good-pages-cow.img" >"$TMP/good-pages-cow.out" 2>&1
check "show: a forked child's MM, with a page of its own and one shared" \
	show_has "$TMP/good-pages-cow.out" '[21] VMA offset=14192 len=40' \
	'  cow_mm_ref: 7' '[22] PAGES offset=14240 len=4112' \
	'[23] PAGES_COW offset=18360 len=16' '  addr: 0x7fffffffe000' \
	'  nr_pages: 1' '  mm_ref: 7' '[24] MM_END offset=18384 len=8' \
	'  nr_pages: 2 (1 with data, 1 shared)'
"$CKPT" show "$TMP/good-pages-cow-split.img" >"$TMP/good-pages-cow-split.out" 2>&1
check "show: a PAGES_COW across two VMAs of the MM it names" \
	show_has "$TMP/good-pages-cow-split.out" \
	'[24] PAGES_COW offset=14312 len=16' '  nr_pages: 2 (0 with data, 2 shared)'
"$CKPT" show "$TMP/good-x86-vdso.img" >"$TMP/good-x86-vdso.out" 2>&1
check "show: an X86_VDSO, marked optional, between the X86_CPUID and the TREE" \
	show_has "$TMP/good-x86-vdso.out" '[1] X86_CPUID offset=264 len=40' \
	'  cpuid 0x00000007.0 ebx: 0x029c6fbf' '[2] X86_VDSO offset=312 len=176' \
	'[3] TREE offset=496 len=40' '[21] TRAILER offset=13688 len=16'
check "show: decodes an X86_VDSO's crc, sizes and entry points" \
	show_has "$TMP/good-x86-vdso.out" '  crc: 0x1234abcd' '  size: 0x2000' \
	'  vvar_size: 0x4000' '  nr_syms: 4' \
	'  syms[0]: "__vdso_clock_gettime" offset=0xa40' \
	'  syms[3]: "__vdso_getcpu" offset=0x1c40'
"$CKPT" show "$TMP/good-pages-crc.img" >"$TMP/good-pages-crc.out" 2>&1
check "show: a PAGES_CRC after its PAGES, in an image of CHECKPOINT_LAZY" \
	show_has "$TMP/good-pages-crc.out" '  flags: 0x200 (LAZY)' \
	'[11] PAGES offset=3536 len=8208' '[12] PAGES_CRC offset=11752 len=8' \
	'  crc: 0x086019ac (matches)' '[13] MM_END offset=11768 len=8' \
	'[20] TRAILER offset=13472 len=16' '  nr_records: 20'
"$CKPT" show "$TMP/good-pages-file.img" >"$TMP/good-pages-file.out" 2>&1
check "show: PAGES_FILE records, where a PAGES may be, decoded" \
	show_has "$TMP/good-pages-file.out" '[11] PAGES_FILE offset=3536 len=32' \
	'  addr: 0x7fffffffd000' '  offset: 4096' '  nr_pages: 1' \
	'  crc: 0x086019ac (of the contents, in the file)' \
	'  file: 0 (restart(2)'"'"'s CKPT_EXT_PAGES "pages:0")' \
	'[12] PAGES_FILE offset=3576 len=32' '  offset: 12288' \
	'  file: 1 (restart(2)'"'"'s CKPT_EXT_PAGES "pages:1")' \
	'[13] MM_END offset=3616 len=8' '  nr_pages: 2 (0 with data, 2 in files)'
expect "show: an image with PAGES_FILE records is valid" 0 '^  crc32c: 0x[0-9a-f]{8} \(matches\)$' \
	"$CKPT" show "$TMP/good-pages-file.img"
expect "show: format version 2: 8-byte FILES entries, a FILE path put together whole" 0 \
	'^  path: "/dev/pts/0"$' "$CKPT" show "$TMP/good-format-v2.img"
expect "show: format version 2: CKPT_FD2_CLOEXEC shown as CLOEXEC" 0 \
	'^  fd\[2\]: fd=2 file_ref=3 flags=0x1 \(CLOEXEC\)$' "$CKPT" show "$TMP/good-format-v2.img"
expect "show: format version 2: the header names version 2" 0 \
	'^  version: 2$' "$CKPT" show "$TMP/good-format-v2.img"
"$CKPT" show "$TMP/good-format-v2-shared.img" >"$TMP/v2-shared.out" 2>&1
check "show: format version 2: a path sharing 5 bytes, shown whole with path_shared" \
	show_has "$TMP/v2-shared.out" '  path: "/dev/sleeper"' \
	'  path_len: 11' '  path_shared: 5' '  path: "/dev/pts/0"'
# The same image in either version: the same lines, but for sizes and offsets
v12_lines()
{
	"$CKPT" show "$1" 2>&1 | grep -v -e ' offset=' -e '^  version: ' \
		-e '^  crc32c: ' -e '^  size: ' -e '^  path_shared: 1$'
}
v12_lines "$GOOD" >"$TMP/v1.out"
v12_lines "$TMP/good-format-v2.img" >"$TMP/v2.out"
check "show: format versions 1 and 2 of one image decode alike" \
	diff -u "$TMP/v1.out" "$TMP/v2.out"
check "show: format version 2: no path_shared line when nothing is shared" \
	bash -c "! '$CKPT' show '$TMP/good-format-v2-unshared.img' | grep '^  path_shared:'"
# Every good image again in format version 2 (tests/mkimage.py --format-version 2
# shares each FILE path's beginning with the last one, as the kernel does)
v2_all()
{
	local img name bad=0

	for img in "$TMP"/good*.img; do
		name=$(basename "$img")
		if ! "$CKPT" show "$TMP/v2/$name" >/dev/null 2>"$TMP/err"; then
			echo "$name: $(cat "$TMP/err")"
			bad=$((bad + 1))
			continue
		fi
		v12_lines "$img" | sed '/^  path_shared: /d' >"$TMP/v1.out"
		v12_lines "$TMP/v2/$name" | sed '/^  path_shared: /d' >"$TMP/v2.out"
		diff -u "$TMP/v1.out" "$TMP/v2.out" || bad=$((bad + 1))
	done
	[ "$bad" -eq 0 ]
}
mkdir "$TMP/v2" "$TMP/flips-v2" &&
	"${MKIMAGE[@]}" --all "$TMP/v2" --format-version 2 &&
	"${MKIMAGE[@]}" --flips 13 "$TMP/flips-v2" --format-version 2
check "show: every good image in format version 2 decodes as in version 1" v2_all
check "show: format version 2: a path shared whole but for its NUL" \
	bash -c "'$CKPT' show '$TMP/v2/good-unlinked.img' | grep -q '^  path_shared: 4$'"
expect "show: an X86_CPUID without X86_VDSO (an earlier kernel's)" 0 \
	'^\[2\] TREE offset=312 len=40$' "$CKPT" show "$TMP/good-x86-cpuid.img"
for v in $("${MKIMAGE[@]}" --list); do
	case $v in good*) continue ;; esac
	if [ -z "${REASON[$v]:-}" ]; then
		not_ok "show: rejects $v" "no expected reason in run.sh"
		continue
	fi
	expect "show: rejects $v" 1 "^ckpt: show: ${REASON[$v]}" \
		"$CKPT" show "$TMP/bad/$v.img"
done

# rejects BINARY IMAGE: exit status 1 with a reason, nothing worse.
# Run for thousands of images: no subshell, no grep.
rejects()
{
	local err='' rc

	"${TIMEOUT[@]}" "$1" show "$2" >/dev/null 2>"$TMP/err"
	rc=$?
	read -r -d '' err <"$TMP/err"
	if [ "$rc" -ne 1 ] || [[ ! $err =~ ^ckpt:\ show:\ offset\ [0-9]+:\  ]] ||
	   [[ $err == *Sanitizer* || $err == *"runtime error"* ]]; then
		echo "$2: exit status $rc: $err"
		return 1
	fi
}

# rejects_all BINARY DIR: each image in DIR is rejected
rejects_all()
{
	local img bad=0

	for img in "$2"/*.img; do
		rejects "$1" "$img" || bad=$((bad + 1))
	done
	[ "$bad" -eq 0 ]
}

# The good image cut at every 8-byte boundary (every 512 bytes inside
# page contents), and with one byte inverted every 13 bytes: the CRC
# covers everything, so each must be rejected.
mkdir "$TMP/cuts" "$TMP/flips" &&
	"${MKIMAGE[@]}" --cuts "$TMP/cuts" &&
	"${MKIMAGE[@]}" --flips 13 "$TMP/flips"

check "show: every cut at an 8-byte boundary (512 in page data) is rejected" \
	rejects_all "$CKPT" "$TMP/cuts"
check "show: a flipped byte anywhere is rejected" \
	rejects_all "$CKPT" "$TMP/flips"
check "show: format version 2: a flipped byte anywhere is rejected" \
	rejects_all "$CKPT" "$TMP/flips-v2"

# --- incremental images: show, ckpt merge and restart --parent ---

# A (checkpoint --track), B (--track --incremental, on A) and C
# (--incremental --kill, on B), two processes each, the second forked from
# the first; tests/mkimage.py says which page each merged page must be.
CH=$TMP/chain
mkdir "$CH" && "${MKIMAGE[@]}" --chain "$CH" && "${MKIMAGE[@]}" "$CH/good.img"
for v in A B C P; do
	"$CKPT" show "$CH/$v.img" >"$CH/$v.show" 2>&1
	check "chain: show: image $v is valid" grep -q '^  crc32c: 0x[0-9a-f]* (matches)$' \
		"$CH/$v.show"
done
check "chain: show: a pre-dump, its MMs without VMAs" show_has "$CH/P.show" \
	"  flags: 0x80 (PREDUMP)" "  parent: 0x0000000000000000 (a pre-dump, the first of a chain)" \
	"  nr_vmas: 0" "  nr_pages: 301" "  nr_pages: 3 (1 with data, 2 shared)"
check "chain: show: a complete image's CHAIN and TRACK flag" show_has "$CH/A.show" \
	"[1] CHAIN offset=264 len=16" "  id: 0x1111222233334444" \
	"  parent: 0x0000000000000000 (complete)" "  flags: 0x20 (TRACK)"
check "chain: show: an incremental image's CHAIN and PAGES_PARENT" show_has "$CH/C.show" \
	"  flags: 0x41 (KILL|INCREMENTAL)" "  id: 0x99990000aaaabbbb" \
	"  parent: 0x5555666677778888 (incremental: needs its parent image)" \
	"[14] PAGES_PARENT offset=3664 len=16" "  addr: 0x10000000" "  nr_pages: 300" \
	"  mm_ref: 11 (an MM of the parent image)" \
	"  nr_pages: 305 (1 with data, 304 in the parent image)" \
	"  nr_pages: 3 (0 with data, 1 shared, 2 in the parent image)"
expect "chain: show: good-chain, a CHAIN in the good image" 0 '^  parent: 0x0+ \(complete\)$' \
	"$CKPT" show "$TMP/good-chain.img"
expect "chain: show: good-incremental, its pages in the parent" 0 \
	'^  nr_pages: 2 \(0 with data, 2 in the parent image\)$' \
	"$CKPT" show "$TMP/good-incremental.img"

M=$CH/merged.img
expect "merge: C with B and A: exit status 0, nothing said" 0 '^$' \
	"$CKPT" merge -o "$M" "$CH/C.img" "$CH/A.img" "$CH/B.img"
check "merge: every page of every MM is the right one, the TRAILER right" \
	"${MKIMAGE[@]}" --check-merged "$M"
"$CKPT" show "$M" >"$CH/merged.show" 2>&1
check "merge: ckpt show: valid, its CHAIN complete with C's id" show_has "$CH/merged.show" \
	"  id: 0x99990000aaaabbbb" "  parent: 0x0000000000000000 (complete)" \
	"  nr_pages: 256" "  nr_pages: 44" "  nr_pages: 305"
check "merge: ckpt show: no PAGES_PARENT left, the TRAILER checks out" bash -c \
	"! grep -q PAGES_PARENT '$CH/merged.show' && grep -q '(matches)\$' '$CH/merged.show'"
check "merge: the parents in any order" bash -c \
	"'$CKPT' merge -o '$CH/m2.img' '$CH/C.img' '$CH/B.img' '$CH/A.img' && cmp '$M' '$CH/m2.img'"
check "merge: '-' reads a pipe and writes one, the same image" bash -c \
	"cat '$CH/C.img' | '$CKPT' merge -o - - '$CH/B.img' '$CH/A.img' | cmp - '$M'"
check "merge: B with A is valid too" bash -c \
	"'$CKPT' merge -o '$CH/ba.img' '$CH/B.img' '$CH/A.img' && '$CKPT' show '$CH/ba.img' >/dev/null"
check "merge: a parent of checkpoint --lazy: its PAGES_CRC stay behind, the same image" \
	bash -c "'$CKPT' show '$CH/A-lazy.img' >/dev/null &&
		'$CKPT' merge -o '$CH/m2.img' '$CH/C.img' '$CH/B.img' '$CH/A-lazy.img' &&
		cmp '$M' '$CH/m2.img'"
check "merge: a PAGES_CRC of IMAGE goes with its PAGES, and still matches" \
	bash -c "'$CKPT' merge -o '$CH/m2.img' '$CH/C-crc.img' '$CH/B.img' '$CH/A.img' &&
		python3 '$TESTS/mkimage.py' --check-merged '$CH/m2.img' >/dev/null &&
		'$CKPT' show '$CH/m2.img' | grep -q '^\[17\] PAGES_CRC offset=1240728 len=8\$'"
expect "merge: a parent that is not in the chain: a warning" 0 \
	'^ckpt: merge: warning: .*/C\.img \(id 0x99990000aaaabbbb\) is not in the chain of .*/B\.img: not used$' \
	"$CKPT" merge -o "$CH/ba.img" "$CH/B.img" "$CH/A.img" "$CH/C.img"
expect "merge: needs -o" 2 '^ckpt: merge: -o OUT is needed$' "$CKPT" merge "$CH/C.img" "$CH/B.img"
expect "merge: needs a PARENT" 2 'an IMAGE and at least one PARENT are needed' \
	"$CKPT" merge -o "$CH/x.img" "$CH/C.img"
expect "merge --help" 0 '^Usage: ckpt merge -o OUT \[--lazy \| --refs\] IMAGE PARENT\.\.\.$' \
	"$CKPT" merge --help
check "merge --lazy: a PAGES_CRC after each PAGES, each matching, the pages the same" \
	bash -c "'$CKPT' merge --lazy -o '$CH/m3.img' '$CH/C.img' '$CH/B.img' '$CH/A.img' &&
		python3 '$TESTS/mkimage.py' --check-merged '$CH/m3.img' >/dev/null &&
		'$CKPT' show '$CH/m3.img' >'$CH/m3.show' &&
		[ \$(grep -c '^\[[0-9]*\] PAGES_CRC ' '$CH/m3.show') -gt 0 ] &&
		[ \$(grep -c '^\[[0-9]*\] PAGES_CRC ' '$CH/m3.show') = \$(grep -c '^\[[0-9]*\] PAGES ' '$CH/m3.show') ]"
check "merge --lazy: an IMAGE's own PAGES_CRC are made again, the same image" \
	bash -c "'$CKPT' merge --lazy -o '$CH/m4.img' '$CH/C-crc.img' '$CH/B.img' '$CH/A-lazy.img' &&
		'$CKPT' show '$CH/m4.img' >/dev/null"

# merge --refs: PAGES_FILE records instead of the pages, file N the Nth
# PARENT, IMAGE after them; --check-refs reads each page at its offset in
# its file, checks its CRC, and compares it with the merge by copy, $M
R=$CH/refs.img
expect "merge --refs: C with A and B: exit status 0, nothing said" 0 '^$' \
	"$CKPT" merge --refs -o "$R" "$CH/C.img" "$CH/A.img" "$CH/B.img"
check "merge --refs: each page at its file's offset is the merge's, with its CRC" \
	"${MKIMAGE[@]}" --check-refs "$R" "$M" "$CH/A.img" "$CH/B.img" "$CH/C.img"
"$CKPT" show "$R" >"$CH/refs.show" 2>&1
check "merge --refs: ckpt show: valid, PAGES_FILE and no page of a process" \
	bash -c "grep -q '(matches)\$' '$CH/refs.show' &&
		! grep -q -e '^\[[0-9]*\] PAGES ' -e PAGES_PARENT -e PAGES_CRC '$CH/refs.show' &&
		grep -qx '  nr_pages: 305 (0 with data, 305 in files)' '$CH/refs.show'"
check "merge --refs: at most 256 pages a record, in order, the files of the chain" show_has \
	"$CH/refs.show" '  addr: 0x10000000' '  nr_pages: 256' '  addr: 0x10100000' \
	'  nr_pages: 44' '  file: 0 (restart(2)'"'"'s CKPT_EXT_PAGES "pages:0")' \
	'  file: 1 (restart(2)'"'"'s CKPT_EXT_PAGES "pages:1")' \
	'  file: 2 (restart(2)'"'"'s CKPT_EXT_PAGES "pages:2")'
check "merge --refs: small, the pages left in their files" \
	test "$(stat -c %s "$R")" -lt 16384
check "merge --refs: the files numbered as the PARENTs are given" bash -c \
	"'$CKPT' merge --refs -o '$CH/r2.img' '$CH/C.img' '$CH/B.img' '$CH/A.img' &&
	 python3 '$TESTS/mkimage.py' --check-refs '$CH/r2.img' '$M' '$CH/B.img' '$CH/A.img' '$CH/C.img'"
check "merge --refs: a lazy parent, an IMAGE with PAGES_CRC: none left, the same pages" bash -c \
	"'$CKPT' merge --refs -o '$CH/r2.img' '$CH/C-crc.img' '$CH/A-lazy.img' '$CH/B.img' &&
	 python3 '$TESTS/mkimage.py' --check-refs '$CH/r2.img' '$M' '$CH/A-lazy.img' '$CH/B.img' \
		'$CH/C-crc.img' && ! '$CKPT' show '$CH/r2.img' | grep -q PAGES_CRC"
check "merge --refs: IMAGE from a pipe: its own pages copied, the parents' left" bash -c \
	"cat '$CH/C.img' | '$CKPT' merge --refs -o '$CH/r2.img' - '$CH/A.img' '$CH/B.img' &&
	 python3 '$TESTS/mkimage.py' --check-refs '$CH/r2.img' '$M' '$CH/A.img' '$CH/B.img' /dev/null &&
	 [ \$('$CKPT' show '$CH/r2.img' | grep -c '^\[[0-9]*\] PAGES ') = 1 ]"
expect "merge: --lazy and --refs exclude each other" 2 \
	'^ckpt: merge: --lazy and --refs exclude each other$' \
	"$CKPT" merge --lazy --refs -o "$CH/x.img" "$CH/C.img" "$CH/B.img"
rm -f "$CH/out.img"
expect "merge --refs: a page changed in a parent, found by the CRCs of its pages" 1 \
	'^ckpt: merge: .*/A-bad-page\.img: TRAILER: crc32c 0x[0-9a-f]{8}, but the image before it has 0x[0-9a-f]{8}: the image is damaged$' \
	"$CKPT" merge --refs -o "$CH/out.img" "$CH/C.img" "$CH/A-bad-page.img" "$CH/B.img"
check "merge --refs: ... no OUT left" test ! -e "$CH/out.img"
expect "merge --refs: a PAGES_PARENT where the parent has no page" 1 \
	'^ckpt: merge: .*/C-hole\.img: offset 7832: PAGES_PARENT of MM 31 at 0x7ffffffe3000 \(mm_ref 11\): .*/B\.img: MM 11 has no page at 0x7ffffffe3000$' \
	"$CKPT" merge --refs -o "$CH/out.img" "$CH/C-hole.img" "$CH/A.img" "$CH/B.img"
expect "merge --refs: a damaged IMAGE" 1 \
	'^ckpt: merge: .*/C-bad-crc\.img: TRAILER: crc32c 0x[0-9a-f]{8}, but the image before it has' \
	bash -c "python3 -c '
import sys
b = bytearray(open(sys.argv[1], \"rb\").read())
b[5000] ^= 1
open(sys.argv[2], \"wb\").write(b)' '$CH/C.img' '$CH/C-bad-crc.img' &&
	'$CKPT' merge --refs -o '$CH/out.img' '$CH/C-bad-crc.img' '$CH/A.img' '$CH/B.img'"

# merge_fails NAME PATTERN IMAGE PARENT...: exit status 1, the reason, no OUT left
merge_fails()
{
	local name=$1 pattern=$2

	shift 2
	rm -f "$CH/out.img"
	expect "merge: $name" 1 "^ckpt: merge: $pattern" "$CKPT" merge -o "$CH/out.img" "$@"
	check "merge: $name: no partial OUT left" test ! -e "$CH/out.img"
}
merge_fails "a missing parent, named by its id" \
	'.*/C\.img needs its parent image, of id 0x5555666677778888: it is not among the parents given$' \
	"$CH/C.img" "$CH/A.img"
merge_fails "a missing grandparent" \
	'.*/B\.img needs its parent image, of id 0x1111222233334444: it is not among the parents given$' \
	"$CH/C.img" "$CH/B.img"
merge_fails "a parent of another id" \
	'.*/C\.img needs its parent image, of id 0x5555666677778888' \
	"$CH/C.img" "$CH/A.img" "$CH/B-wrong-id.img"
merge_fails "a PAGES_PARENT where the parent has no page" \
	'.*/C-hole\.img: offset 7832: PAGES_PARENT of MM 31 at 0x7ffffffe3000 \(mm_ref 11\): .*/B\.img: MM 11 has no page at 0x7ffffffe3000$' \
	"$CH/C-hole.img" "$CH/A.img" "$CH/B.img"
merge_fails "a PAGES_PARENT of an MM the parent has not" \
	'.*/C-bad-mm\.img: offset 10336: PAGES_PARENT of MM 32 at 0x7ffffffe2000 \(mm_ref 99\): .*/B\.img \(id 0x5555666677778888\) has no MM of objref 99$' \
	"$CH/C-bad-mm.img" "$CH/A.img" "$CH/B.img"
merge_fails "a damaged parent (its CRC)" \
	'.*/A-bad-crc\.img: TRAILER: crc32c 0x[0-9a-f]{8}, but the image before it has 0x[0-9a-f]{8}: the image is damaged$' \
	"$CH/C.img" "$CH/A-bad-crc.img" "$CH/B.img"
merge_fails "a PAGES_CRC after a PAGES_PARENT" \
	'.*/C-crc-misplaced\.img: offset 3664: PAGES_CRC: not right after a PAGES$' \
	"$CH/C-crc-misplaced.img" "$CH/A.img" "$CH/B.img"
merge_fails "a truncated parent" '.*/A-cut\.img: offset [0-9]+: truncated image' \
	"$CH/C.img" "$CH/A-cut.img" "$CH/B.img"
merge_fails "a parent without a CHAIN" \
	'.*/good\.img: no CHAIN record: not written with --track or --incremental$' \
	"$CH/C.img" "$CH/good.img" "$CH/B.img"
merge_fails "a parent that is not an image" '.*/A\.show: not a checkpoint image \(no HEADER\)$' \
	"$CH/C.img" "$CH/A.show" "$CH/B.img"
python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[5000] ^= 1
open(sys.argv[2], "wb").write(b)' "$CH/C.img" "$CH/C-bad-crc.img"
merge_fails "a damaged IMAGE: no TRAILER written" \
	'.*/C-bad-crc\.img: TRAILER: crc32c 0x[0-9a-f]{8}, but the image before it has' \
	"$CH/C-bad-crc.img" "$CH/A.img" "$CH/B.img"
cp "$CH/A.img" "$CH/A-copy.img"
expect "merge: OUT may not be one of the inputs" 1 '^ckpt: merge: .*/A-copy\.img is also an input$' \
	"$CKPT" merge -o "$CH/A-copy.img" "$CH/C.img" "$CH/A-copy.img" "$CH/B.img"
check "merge: ... which is left as it was" cmp "$CH/A.img" "$CH/A-copy.img"

# merge_rejects BINARY IMAGE PARENT...: exit status 1 with a reason, nothing
# worse; MERGE_OPTS are merge's options
MERGE_OPTS=()
merge_rejects()
{
	local bin=$1 err='' rc

	shift
	"${TIMEOUT[@]}" "$bin" merge "${MERGE_OPTS[@]}" -o "$CH/out.img" "$@" >/dev/null 2>"$TMP/err"
	rc=$?
	read -r -d '' err <"$TMP/err"
	if [ "$rc" -gt 1 ] || { [ "$rc" -eq 1 ] && [[ ! $err =~ ^ckpt:\ merge:\  ]]; } ||
	   [[ $err == *Sanitizer* || $err == *"runtime error"* ]]; then
		echo "$*: exit status $rc: $err"
		return 1
	fi
}
# merge_cuts BINARY: C cut at each record's start, inside its header, after
# it and inside its payload: each is refused
merge_cuts()
{
	local n bad=0

	for n in $(awk '/^\[[0-9]+\] [A-Z0-9_]+ offset=[0-9]+ len=[0-9]+$/ {
			split($3, o, "="); split($4, l, "=")
			print o[2], o[2] + 4, o[2] + 8, o[2] + 8 + l[2] / 2, o[2] + l[2]
		}' "$CH/C.show"); do
		head -c "$n" "$CH/C.img" >"$CH/cut.img"
		merge_rejects "$1" "$CH/cut.img" "$CH/A.img" "$CH/B.img" || bad=$((bad + 1))
		[ ! -e "$CH/out.img" ] || { echo "cut $n: OUT left"; bad=$((bad + 1)); }
	done
	[ "$bad" -eq 0 ]
}
# merge_flips BINARY: B or C with a byte inverted, its TRAILER fixed: no crash
merge_flips()
{
	local img bad=0

	for img in "$CH"/flips/B-flip-*.img; do
		merge_rejects "$1" "$CH/C.img" "$CH/A.img" "$img" || bad=$((bad + 1))
	done
	for img in "$CH"/flips/C-flip-*.img; do
		merge_rejects "$1" "$img" "$CH/A.img" "$CH/B.img" || bad=$((bad + 1))
	done
	[ "$bad" -eq 0 ]
}
mkdir "$CH/flips" && "${MKIMAGE[@]}" --chain-flips 53 "$CH/flips"
check "merge: C cut in every record is refused, no OUT left" merge_cuts "$CKPT"
check "merge: a flipped byte in B or C (CRC fixed): refused or merged, no crash" \
	merge_flips "$CKPT"
MERGE_OPTS=(--refs)
check "merge --refs: C cut in every record is refused, no OUT left" merge_cuts "$CKPT"
check "merge --refs: a flipped byte in B or C (CRC fixed): refused or merged, no crash" \
	merge_flips "$CKPT"
MERGE_OPTS=()
if [ -n "$ASAN" ]; then
	check "merge (sanitizers): C with B and A" bash -c \
		"'$ASAN' merge -o '$CH/asan.img' '$CH/C.img' '$CH/A.img' '$CH/B.img' && cmp '$M' '$CH/asan.img'"
	check "merge (sanitizers): the damaged chains" bash -c "
		for i in 'C-hole A B' 'C-bad-mm A B' 'C A-bad-crc B' 'C A-cut B' 'C A B-wrong-id'; do
			set -- \$i
			'$ASAN' merge -o '$CH/asan.img' '$CH'/\$1.img '$CH'/\$2.img '$CH'/\$3.img \
				2>&1 | grep -q '^ckpt: merge: ' || exit 1
		done"
	check "merge (sanitizers): flipped bytes in B and C" merge_flips "$ASAN"
	check "merge --refs (sanitizers): C with A and B, the same image" bash -c \
		"'$ASAN' merge --refs -o '$CH/asan.img' '$CH/C.img' '$CH/A.img' '$CH/B.img' &&
		 cmp '$R' '$CH/asan.img'"
	MERGE_OPTS=(--refs)
	check "merge --refs (sanitizers): flipped bytes in B and C" merge_flips "$ASAN"
	MERGE_OPTS=()
else
	for t in "C with B and A" "the damaged chains" "flipped bytes in B and C" \
		 "--refs: C with A and B, the same image" "--refs: flipped bytes in B and C"; do
		skip "merge (sanitizers): $t" "no sanitizer build"
	done
fi
if [ -n "$VALGRIND" ]; then
	check "merge (valgrind): C with B and A, and a hole" bash -c "
		valgrind -q --error-exitcode=99 --leak-check=full '$VALGRIND' merge \
			-o '$CH/vg.img' '$CH/C.img' '$CH/A.img' '$CH/B.img' &&
		cmp '$M' '$CH/vg.img' &&
		{ valgrind -q --error-exitcode=99 --leak-check=full '$VALGRIND' merge \
			-o '$CH/vg.img' '$CH/C-hole.img' '$CH/A.img' '$CH/B.img' 2>/dev/null;
		  [ \$? -eq 1 ]; }"
	check "merge --refs (valgrind): C with A and B, and a changed page" bash -c "
		valgrind -q --error-exitcode=99 --leak-check=full '$VALGRIND' merge --refs \
			-o '$CH/vg.img' '$CH/C.img' '$CH/A.img' '$CH/B.img' &&
		cmp '$R' '$CH/vg.img' &&
		{ valgrind -q --error-exitcode=99 --leak-check=full '$VALGRIND' merge --refs \
			-o '$CH/vg.img' '$CH/C.img' '$CH/A-bad-page.img' '$CH/B.img' 2>/dev/null;
		  [ \$? -eq 1 ]; }"
else
	skip "merge (valgrind): C with B and A, and a hole" "no valgrind"
	skip "merge --refs (valgrind): C with A and B, and a changed page" "no valgrind"
fi

# restart --parent: restart(2) reads the merged image from a pipe
expect "restart --help names --parent" 0 '^      --parent IMAGE FILE is incremental' \
	"$CKPT" restart --help
if [ -n "$NOSYS" ]; then
	expect "restart --parent: a missing parent is said before restart(2) (125)" 125 \
		'^ckpt: restart: --parent: .*/nothere\.img: No such file or directory$' \
		"$NOSYS" restart "$CH/C.img" --parent "$CH/nothere.img"
	expect "restart --parent: a damaged parent is said before restart(2) (125)" 125 \
		'^ckpt: restart: --parent: .*/A-bad-crc\.img: TRAILER: crc32c ' \
		"$NOSYS" restart "$CH/C.img" --parent "$CH/A-bad-crc.img" --parent "$CH/B.img"
	expect "restart --parent without restart(2): its error only, the writer reaped (125)" 125 \
		'^ckpt: restart: Function not implemented$' \
		"$NOSYS" restart "$CH/C.img" --parent "$CH/A.img" --parent "$CH/B.img"
	check "restart --parent without restart(2): no word from the writer" bash -c \
		"! '$NOSYS' restart '$CH/C.img' --parent '$CH/A.img' --parent '$CH/B.img' 2>&1 |
		 grep -e merg -e EPIPE -e 'Broken pipe'"
else
	skip "restart --parent: a missing parent is said before restart(2) (125)" "no NOSYS build"
	skip "restart --parent: a damaged parent is said before restart(2) (125)" "no NOSYS build"
	skip "restart --parent without restart(2): its error only, the writer reaped (125)" \
		"no NOSYS build"
	skip "restart --parent without restart(2): no word from the writer" "no NOSYS build"
fi
# fake_restart NAME FLAGS [ENV=VALUE...] -- RESTART-ARGS...: restart over
# the fake kernel, which must get FLAGS; what restart(2) read goes to
# $CH/saved.img, its externals to $CH/ext.txt, its status to $rc
fake_restart()
{
	local vars=()

	while [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	shift
	rm -f "$CH/saved.img" "$CH/ext.txt"
	env LD_PRELOAD="$FAKE" FAKE_SAVE="$CH/saved.img" FAKE_EXT="$CH/ext.txt" "${vars[@]}" \
		"${TIMEOUT[@]}" "$DYNAMIC" restart "$@" >"$CH/r.out" 2>&1
	rc=$?
}
# The externals restart(2) must get for the files of $R (A, B, C)
refs_ext()
{
	printf '7 pages:%s %s\n' 0 "$(realpath "$1")" 1 "$(realpath "$2")" 2 "$(realpath "$3")"
}
REFS_FAKE_TESTS=("restart --parent: by reference, the process's status"
	"restart --parent: by reference, restart(2) read what merge --refs writes"
	"restart --parent: by reference, the files as CKPT_EXT_PAGES pages:N"
	"restart --parent --lazy: RESTART_LAZY, the same image and files"
	"restart - --parent: IMAGE from a pipe, merged whole, no externals"
	"restart - --parent --lazy: its own pages copied with a PAGES_CRC, the parents' left"
	"restart - --parent --lazy: the parents as CKPT_EXT_PAGES"
	"restart --parent: a page missing from the parents, said before restart(2) (125)"
	"restart --parent --lazy: a changed page in a parent, said before restart(2) (125)"
	"restart --ext-pages N=FILE: CKPT_EXT_PAGES pages:N, RESTART_EXTERNAL"
	"restart - --parent: the writer's failure said, the process killed (125)"
	"restart - --parent: ... and that the image was cut short (125)"
	"restart --parent: a parent missing, said before restart(2) (125)"
	"restart --parent: ... restart(2) not called"
	"restart - --parent: a missing grandparent, from the writer (125)"
	"restart - --parent: standard input a regular file, by reference too")
if [ -n "$DYNAMIC" ] && [ -f "$FAKE" ]; then
	T=("${REFS_FAKE_TESTS[@]/#/fake kernel: }")
	fake_restart FAKE_STATUS=5 FAKE_FLAGS=2 -- "$CH/C.img" --parent "$CH/A.img" \
		--parent "$CH/B.img"
	check "${T[0]}" test "$rc" = 5
	check "${T[1]}" cmp "$R" "$CH/saved.img"
	refs_ext "$CH/A.img" "$CH/B.img" "$CH/C.img" >"$CH/ext.want"
	check "${T[2]}" diff -u "$CH/ext.want" "$CH/ext.txt"
	fake_restart FAKE_FLAGS=$((2 | 16)) -- -d --lazy "$CH/C.img" --parent "$CH/A.img" \
		--parent "$CH/B.img"
	check "${T[3]}" bash -c "[ $rc = 0 ] && cmp '$R' '$CH/saved.img' &&
		diff -u '$CH/ext.want' '$CH/ext.txt'"
	fake_restart FAKE_FLAGS=0 -- - --parent "$CH/A.img" --parent "$CH/B.img" \
		< <(cat "$CH/C.img")
	check "${T[4]}" bash -c "[ $rc = 0 ] && cmp '$M' '$CH/saved.img' && [ ! -s '$CH/ext.txt' ]"
	fake_restart FAKE_FLAGS=$((2 | 16)) -- -d --lazy - --parent "$CH/A.img" \
		--parent "$CH/B.img" < <(cat "$CH/C.img")
	check "${T[5]}" bash -c "[ $rc = 0 ] &&
		python3 '$TESTS/mkimage.py' --check-refs '$CH/saved.img' '$M' '$CH/A.img' \
			'$CH/B.img' /dev/null &&
		'$CKPT' show '$CH/saved.img' >'$CH/saved.show' &&
		[ \$(grep -c '^\[[0-9]*\] PAGES ' '$CH/saved.show') = 1 ] &&
		[ \$(grep -c '^\[[0-9]*\] PAGES_CRC ' '$CH/saved.show') = 1 ]"
	refs_ext "$CH/A.img" "$CH/B.img" /dev/null | head -n 2 >"$CH/ext.want"
	check "${T[6]}" diff -u "$CH/ext.want" "$CH/ext.txt"
	fake_restart -- "$CH/C-hole.img" --parent "$CH/A.img" --parent "$CH/B.img"
	check "${T[7]}" bash -c "[ $rc = 125 ] && [ ! -e '$CH/saved.img' ] &&
		grep -qx 'ckpt: restart: --parent: .*/C-hole\.img: offset 7832: PAGES_PARENT of MM 31 at 0x7ffffffe3000 (mm_ref 11): .*/B\.img: MM 11 has no page at 0x7ffffffe3000' '$CH/r.out'"
	fake_restart -- --lazy "$CH/C.img" --parent "$CH/A-bad-page.img" --parent "$CH/B.img"
	check "${T[8]}" bash -c "[ $rc = 125 ] && [ ! -e '$CH/saved.img' ] &&
		grep -q '^ckpt: restart: --parent: .*/A-bad-page\.img: TRAILER: crc32c ' '$CH/r.out'"
	fake_restart FAKE_FLAGS=2 -- -d --ext-pages 1="$CH/A.img" --ext-pages 7="$CH/B.img" "$R"
	printf '7 pages:1 %s\n7 pages:7 %s\n' "$(realpath "$CH/A.img")" \
		"$(realpath "$CH/B.img")" >"$CH/ext.want"
	check "${T[9]}" bash -c "[ $rc = 0 ] && cmp '$R' '$CH/saved.img' &&
		diff -u '$CH/ext.want' '$CH/ext.txt'"
	expect "${T[10]}" 125 \
		'^ckpt: restart: merging the chain: -: offset 7832: PAGES_PARENT of MM 31 at 0x7ffffffe3000 \(mm_ref 11\): .*/B\.img: MM 11 has no page at 0x7ffffffe3000$' \
		bash -c "cat '$CH/C-hole.img' | env LD_PRELOAD='$FAKE' '$DYNAMIC' restart - \
			--parent '$CH/A.img' --parent '$CH/B.img'"
	expect "${T[11]}" 125 \
		'^ckpt: restart: the merged image was not written whole: restart\(2\) had a truncated image$' \
		bash -c "cat '$CH/C-hole.img' | env LD_PRELOAD='$FAKE' '$DYNAMIC' restart - \
			--parent '$CH/A.img' --parent '$CH/B.img'"
	rm -f "$CH/saved.img"
	expect "${T[12]}" 125 \
		'^ckpt: restart: --parent: .*/C\.img needs its parent image, of id 0x5555666677778888' \
		env LD_PRELOAD="$FAKE" FAKE_SAVE="$CH/saved.img" "$DYNAMIC" restart "$CH/C.img" \
		--parent "$CH/A.img" --parent "$CH/B-wrong-id.img"
	check "${T[13]}" test ! -e "$CH/saved.img"
	expect "${T[14]}" 125 \
		'^ckpt: restart: merging the chain: .*/B\.img needs its parent image, of id 0x1111222233334444' \
		bash -c "cat '$CH/C.img' | env LD_PRELOAD='$FAKE' '$DYNAMIC' restart - --parent '$CH/B.img'"
	fake_restart FAKE_FLAGS=2 -- - --parent "$CH/A.img" --parent "$CH/B.img" <"$CH/C.img"
	refs_ext "$CH/A.img" "$CH/B.img" "$CH/C.img" >"$CH/ext.want"
	check "${T[15]}" bash -c "[ $rc = 0 ] && cmp '$R' '$CH/saved.img' &&
		diff -u '$CH/ext.want' '$CH/ext.txt'"
else
	for t in "${REFS_FAKE_TESTS[@]}"; do
		not_ok "fake kernel: $t" "no dynamic build or no fake kernel"
	done
fi

# --- ckpt migrate --listen, fed by tests/migrate_source.py ---

# migrate_dst FLAGS IMAGE... -- OPTION...: a destination over the fake
# kernel, whose restart(2) must get FLAGS, fed the IMAGEs as rounds (the
# last as the last image); its output in $CH/dst.out, its status in $rc,
# the source's answer in $CH/src.out
migrate_dst()
{
	local flags=$1 imgs=() port pid

	shift
	while [ "$1" != -- ]; do
		imgs+=("$1")
		shift
	done
	shift
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
	rm -rf "$CH/dst" "$CH/saved.img" "$CH/ext.txt" && mkdir "$CH/dst"
	env LD_PRELOAD="$FAKE" FAKE_SAVE="$CH/saved.img" FAKE_EXT="$CH/ext.txt" \
		FAKE_FLAGS="$flags" FAKE_STATUS=3 "${TIMEOUT[@]}" "$DYNAMIC" migrate \
		--listen "127.0.0.1:$port" --dir "$CH/dst" "$@" >"$CH/dst.out" 2>&1 &
	pid=$!
	"${TIMEOUT[@]}" python3 "$TESTS/migrate_source.py" "$port" "${imgs[@]}" \
		>"$CH/src.out" 2>&1
	wait "$pid"
	rc=$?
}
MIGRATE_TESTS=("migrate --listen --lazy: the tree's status, the source told it runs"
	"migrate --listen --lazy: each round indexed as it came, then merged.img made"
	"migrate --listen --lazy: merged.img small, and what restart(2) read"
	"migrate --listen --lazy: merged.img's pages are the chain's, in the rounds"
	"migrate --listen --lazy: the rounds as CKPT_EXT_PAGES, with RESTART_LAZY"
	"migrate --listen --lazy: the rounds removed once restart(2) holds them"
	"migrate --listen: RESTART_EXTERNAL without RESTART_LAZY, the rounds kept in --dir"
	"migrate --listen: a changed page in a round, refused when it came (1)"
	"migrate --listen: ... restart(2) not called, no answer to the source")
if [ -n "$DYNAMIC" ] && [ -f "$FAKE" ]; then
	T=("${MIGRATE_TESTS[@]}")
	migrate_dst $((2 | 16)) "$CH/A.img" "$CH/B.img" "$CH/C.img" -- --lazy
	check "${T[0]}" bash -c "[ $rc = 3 ] && grep -q '^err=0 pid=[1-9][0-9]* msg=$' '$CH/src.out'"
	check "${T[1]}" diff -u - <(grep '^ckpt migrate: ' "$CH/dst.out" | sed 's/ [0-9]* ms$/ N ms/') <<-EOF
	ckpt migrate: round 0: 1231 KiB received, indexed in N ms
	ckpt migrate: round 1: 11 KiB received, indexed in N ms
	ckpt migrate: merged.img: 7 KiB, its pages left in 3 file(s) (9 PAGES_FILE), made in N ms
	EOF
	check "${T[2]}" bash -c "[ \$(stat -c %s '$CH/dst/merged.img') -lt 16384 ] &&
		cmp '$CH/dst/merged.img' '$CH/saved.img'"
	check "${T[3]}" "${MKIMAGE[@]}" --check-refs "$CH/dst/merged.img" "$M" "$CH/A.img" \
		"$CH/B.img" "$CH/C.img"
	refs_ext "$CH"/dst/round-{0,1,2}.img >"$CH/ext.want"
	check "${T[4]}" diff -u "$CH/ext.want" "$CH/ext.txt"
	check "${T[5]}" bash -c "[ -z \"\$(ls '$CH/dst' | grep -v '^merged\.img$')\" ]"
	migrate_dst 2 "$CH/A.img" "$CH/B.img" "$CH/C.img" --
	check "${T[6]}" bash -c "[ $rc = 3 ] &&
		cmp '$CH/dst/merged.img' '$CH/saved.img' && cmp '$CH/A.img' '$CH/dst/round-0.img' &&
		cmp '$CH/B.img' '$CH/dst/round-1.img' && cmp '$CH/C.img' '$CH/dst/round-2.img'"
	migrate_dst 0 "$CH/A-bad-page.img" "$CH/B.img" "$CH/C.img" -- --lazy
	check "${T[7]}" bash -c "[ $rc = 1 ] &&
		grep -q '^ckpt: migrate: round 0: .*/round-0\.img: TRAILER: crc32c 0x[0-9a-f]*, but the image before it has 0x[0-9a-f]*: the image is damaged$' '$CH/dst.out'"
	check "${T[8]}" bash -c "[ ! -e '$CH/saved.img' ] && ! grep -q '^err=' '$CH/src.out'"
else
	for t in "${MIGRATE_TESTS[@]}"; do
		not_ok "fake kernel: $t" "no dynamic build or no fake kernel"
	done
fi

# --- show under the sanitizers and valgrind ---

if [ -n "$ASAN" ]; then
	asan_all()
	{
		"$ASAN" show --pages "$GOOD" >/dev/null || return 1
		"$ASAN" show --pages "$TMP/good-tcp.img" >/dev/null || return 1
		"$ASAN" show --pages "$TMP/good-udp.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-netns.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-netns-v1.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-timers.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-sched-rt.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-mntns.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-tmpfs.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-tmpfs-posix-acl.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-tmpfs-posix-acl-default.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-tmpfs-posix-acl-fifo.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-unlinked-posix-acl.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-cgroupns.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-cgroupns-zombie.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-cgroupns-deep.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-mqueue.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-mqueue-tmpfs.img" >/dev/null || return 1
		"$ASAN" show --pages "$TMP/good-unlinked.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-cgroupns-frozen.img" >/dev/null || return 1
		"$ASAN" show --pages "$TMP/good-fown.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-fown-unlinked.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-fown-tcp.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-unlinked-attr-v1.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-pty.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-pty-v1.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-pty-orphan.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-exited-leader.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-sched-deadline.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-tty-hungup.img" >/dev/null || return 1
		"$ASAN" show "$TMP/good-incremental.img" >/dev/null || return 1
		for img in "$TMP"/v2/good*.img "$FIXTURES"/*.img; do
			[ -f "$img" ] || continue
			"$ASAN" show "$img" >/dev/null || return 1
		done
		rejects_all "$ASAN" "$TMP/bad"
	}
	check "asan+ubsan: the good image and every damaged one" asan_all
	check "asan+ubsan: every truncation" rejects_all "$ASAN" "$TMP/cuts"
	check "asan+ubsan: flipped bytes" rejects_all "$ASAN" "$TMP/flips"
	check "asan+ubsan: flipped bytes, format version 2" \
		rejects_all "$ASAN" "$TMP/flips-v2"
else
	for t in "the good image and every damaged one" "every truncation" \
		 "flipped bytes" "flipped bytes, format version 2"; do
		skip "asan+ubsan: $t" "no sanitizer runtime"
	done
fi

if [ -n "$VALGRIND" ]; then
	VG=(valgrind -q --error-exitcode=99 --leak-check=full
	    --errors-for-leak-kinds=definite)
	vg_rejects()
	{
		local img

		for img in "$@"; do
			[ -f "$img" ] || { echo "no $img"; return 1; }
			"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show "$img" \
				>/dev/null 2>"$TMP/vg.err"
			[ $? -eq 1 ] || { cat "$TMP/vg.err"; return 1; }
		done
	}
	check "valgrind: the good image, with --pages" \
		"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show --pages "$GOOD"
	check "valgrind: an image with a network namespace" \
		"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show "$TMP/good-netns.img"
	check "valgrind: an image with SCHED records" \
		"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show "$TMP/good-sched-rt.img"
	check "valgrind: an image with a mount namespace" \
		"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show "$TMP/good-mntns.img"
	check "valgrind: an image with the contents of tmpfs mounts" \
		"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show "$TMP/good-tmpfs.img"
	check "valgrind: an image with POSIX ACLs" \
		"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show "$TMP/good-tmpfs-posix-acl-default.img"
	check "valgrind: an image with a cgroup namespace" \
		"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show "$TMP/good-cgroupns.img"
	check "valgrind: an image with a cgroup path too long to show whole" \
		"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show "$TMP/good-cgroupns-deep.img"
	check "valgrind: an image with POSIX message queues" \
		"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show "$TMP/good-mqueue.img"
	check "valgrind: an image with an unlinked file's owner, times and xattrs" \
		"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show --pages "$TMP/good-unlinked.img"
	check "valgrind: an image with FOWNs, memfds and /proc files" \
		"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show --pages "$TMP/good-fown.img"
	vg_accepts()
	{
		local img

		for img in "$@"; do
			"${TIMEOUT[@]}" "${VG[@]}" "$VALGRIND" show "$img" \
				>/dev/null 2>"$TMP/vg.err" ||
				{ cat "$TMP/vg.err"; return 1; }
		done
	}
	check "valgrind: an image with a pty's slave node and an exited leader" \
		vg_accepts "$TMP/good-pty.img" "$TMP/good-exited-leader.img"
	check "valgrind: an image with a deadline thread and hung-up terminals" \
		vg_accepts "$TMP/good-sched-deadline.img" "$TMP/good-tty-hungup.img"
	check "valgrind: an image with an X86_CPUID and an X86_VDSO" \
		vg_accepts "$TMP/good-x86-vdso.img"
	check "valgrind: an image with PAGES_CRC records" vg_accepts "$TMP/good-pages-crc.img"
	check "valgrind: a PAGES_CRC that does not match" \
		vg_rejects "$TMP/bad/pages-crc-flipped-page-byte.img"
	check "valgrind: damaged images" vg_rejects "$TMP"/bad/{huge-len,\
short-task,crc-mismatch,bad-objref,missing-mm-end,path-not-terminated,\
tree-count,data-after-trailer,sched-len,sched-cpu-past-nr-cpus-72,\
mount-strings-past-len,mount-string-not-terminated,mount-missing,\
mount-slave-unbound,tmpfs-missing,tmpfs-node-truncated,\
tmpfs-node-strings-past-len,tmpfs-path-not-terminated,\
tmpfs-target-not-terminated,tmpfs-data-beyond-size,\
tmpfs-xattr-name-not-terminated,tmpfs-xattr-past-len,\
tmpfs-xattr-posix-acl-size,tmpfs-xattr-posix-acl-short,tmpfs-xattr-posix-acl-tag,\
tmpfs-xattr-posix-acl-no-other,tmpfs-xattr-posix-acl-order,cgroupns-len,\
cgroupns-short,cgroupns-after-mntns,cgroup-missing,cgroup-past-len,\
cgroup-name-not-terminated,cgroup-files-not-terminated,cgroup-file-no-value,\
cgroup-pid-twice,cgroup-process-missing,mq-ns-truncated,mqueue-truncated,\
mqueue-cut,mqueue-name-past-len,mqueue-name-not-terminated,mqueue-name-twice,\
mqueue-notify-pid-unknown,mq-msg-len,mq-msg-extra,file-mqueue-unknown,\
inode-attr-truncated,inode-attr-cut,inode-attr-after-data,\
unlinked-xattr-without-attr,unlinked-xattr-name-not-terminated,\
cgroup-freeze-value,fown-twice,fown-before-shmem,fown-len,fown-truncated,\
fown-pgrp-unknown,proc-pid-unknown,memfd-ref-not-first,unlinked-ref-memfd,\
inode-attr-mode,inode-attr-len,pty-inode-attr-twice,pty-inode-attr-after-file,\
tree-exited-last,tree-exited-then-child,cred-len-zero,\
sched-deadline-without-dl,sched-dl-after-normal,sched-dl-len,\
sched-dl-truncated,pty-inode-attr-v1,tty-hungup-path,tty-hungup-trailing,\
x86-vdso-nr-syms-0,x86-vdso-name-not-terminated}.img
	check "valgrind: truncated images" vg_rejects "$TMP"/cuts/cut-{0,1,8,264,312,3560,11752,13479}.img
else
	for t in "the good image, with --pages" \
		 "an image with a network namespace" \
		 "an image with SCHED records" \
		 "an image with a mount namespace" \
		 "an image with the contents of tmpfs mounts" \
		 "an image with POSIX ACLs" \
		 "an image with a cgroup namespace" \
		 "an image with a cgroup path too long to show whole" \
		 "an image with POSIX message queues" \
		 "an image with an unlinked file's owner, times and xattrs" \
		 "an image with FOWNs, memfds and /proc files" \
		 "an image with a pty's slave node and an exited leader" \
		 "an image with a deadline thread and hung-up terminals" \
		 "an image with an X86_CPUID and an X86_VDSO" \
		 "damaged images" \
		 "truncated images"; do
		skip "valgrind: $t" "no valgrind"
	done
fi

echo "1..$n"
[ "$failed" -eq 0 ]
