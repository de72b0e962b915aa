#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kbuild.sh plain|debug TARGET...: run kbuild out of tree for one config,
# logging to $WORK/obj-<config>/build.log.  On failure, show the compiler's
# errors and the end of the log.

. "$(dirname "$0")/lib.sh"
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL

config=${1:?usage: kbuild.sh plain|debug TARGET...}
shift
obj=$(obj_dir "$config")
log=$obj/build.log
args=(-C "$SRC" O="$obj" -j"$JOBS" "$@")
lock "obj-$config"

if [ "$V" = 1 ]; then
	make V=1 "${args[@]}" 2>&1 | tee "$log"
	[ "${PIPESTATUS[0]}" = 0 ] && exit 0
else
	make "${args[@]}" >"$log" 2>&1 && exit 0
	# The first compiler error with some context, then the end of the log.
	first=$(grep -n -m 1 -E '(error|Error [0-9]+)\b' "$log" | cut -d: -f1)
	if [ -n "$first" ]; then
		echo "--- first error ($(grep -c 'error:' "$log") 'error:' lines in all):" >&2
		sed -n "$((first > 3 ? first - 3 : 1)),$((first + 20))p" "$log" >&2
	fi
	echo "--- end of ${log#"$TOP"/}:" >&2
	tail -n 8 "$log" >&2
fi
die "building the $config kernel failed (log: ${log#"$TOP"/})"
