#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-user.sh ckpt|selftests|demo
#
# Build the guest's userspace, statically, into $WORK/user:
#   ckpt       make -C tools/checkpoint OUTPUT=... (in this repository,
#              where its -I include/uapi finds only our header; in a full
#              kernel tree it would pick the kernel-internal uapi headers
#              too) -> user/bin/ckpt
#   selftests  tools/testing/selftests/checkpoint with kselftest's lib.mk,
#              against the tree's exported uapi headers
#              -> user/selftests/checkpoint/, plus tests.list
#   demo       scripts/demo-counter.c -> user/bin/demo-counter
#
# Exits 77 (and removes any old output) when the sources do not exist yet.

. "$(dirname "$0")/lib.sh"

# Our own make variables (CONFIG=, CMD=, ...) must not leak into the
# sub-makes through MAKEFLAGS.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL

USER_OUT=$WORK/user
what=${1:?usage: build-user.sh ckpt|selftests|demo}
mkdir -p "$USER_OUT/bin"
lock user

quiet() {
	local log=$1

	shift
	if [ "$V" = 1 ]; then
		"$@" 2>&1 | tee "$log"
		return "${PIPESTATUS[0]}"
	fi
	"$@" >"$log" 2>&1 || {
		cat "$log" >&2
		return 1
	}
}

# A dynamic binary would not run in the guest, which has no libc.
require_static() {
	local f

	for f in "$@"; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		head -c 4 "$f" | grep -q ELF || continue
		if readelf -l "$f" | grep -q INTERP; then
			echo "error: ${f#"$TOP"/} is dynamically linked; the guest needs static binaries" >&2
			return 1
		fi
	done
}

build_ckpt() {
	local dir=$TOP/tools/checkpoint out=$WORK/ckpt-build

	rm -f "$USER_OUT/bin/ckpt"
	if [ ! -f "$dir/Makefile" ]; then
		echo "tools/checkpoint/Makefile does not exist yet"
		exit 77
	fi
	msg MAKE "tools/checkpoint"
	mkdir -p "$out"
	quiet "$WORK/ckpt-build.log" make -C "$dir" -j"$JOBS" OUTPUT="$out/"
	[ -x "$out/ckpt" ] || die "make -C tools/checkpoint did not produce ckpt"
	require_static "$out/ckpt"
	cp "$out/ckpt" "$USER_OUT/bin/ckpt"
}

build_selftests() {
	local dir=$SRC/tools/testing/selftests/checkpoint
	local hdr=$WORK/obj-headers out=$WORK/selftests-build
	local inst=$USER_OUT/selftests/checkpoint
	local args

	rm -rf "$inst"
	if [ ! -f "$dir/Makefile" ]; then
		echo "tools/testing/selftests/checkpoint/Makefile does not exist yet"
		exit 77
	fi
	# The uapi headers of this tree (our checkpoint.h, the syscall
	# numbers from the patched syscall_64.tbl), as kselftest expects.
	msg HEADERS "${hdr#"$TOP"/}/usr/include"
	mkdir -p "$hdr"
	quiet "$WORK/headers.log" make -C "$SRC" O="$hdr" -j"$JOBS" headers

	msg MAKE "selftests/checkpoint"
	# lib.mk does not know that the tests depend on the uapi header:
	# build them afresh, it takes seconds
	rm -rf "$out"
	mkdir -p "$out"
	args=(-C "$dir" OUTPUT="$out" KHDR_INCLUDES="-isystem $hdr/usr/include"
		USERLDFLAGS=-static)
	quiet "$WORK/selftests-build.log" make -j"$JOBS" "${args[@]}" all
	quiet "$WORK/selftests-install.log" make "${args[@]}" INSTALL_PATH="$inst" install
	mkdir -p "$inst"
	make -s "${args[@]}" emit_tests | sed -n 's/^.*:\([^:[:space:]]\+\)$/\1/p' >"$inst/tests.list"
	require_static "$inst"/*
}

build_demo() {
	local out=$USER_OUT/bin/demo-counter

	[ "$out" -nt "$TOP/scripts/demo-counter.c" ] && return 0
	msg CC "scripts/demo-counter.c"
	gcc -static -O2 -Wall -Wextra -o "$out" "$TOP/scripts/demo-counter.c"
}

case $what in
ckpt) build_ckpt ;;
selftests) build_selftests ;;
demo) build_demo ;;
*) die "unknown target '$what'" ;;
esac
