#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [CMD...]: run CMD with sh -c in the plain kernel's guest and exit
# with its exact status (make run can only exit 0 or 2).  Without CMD, an
# interactive shell on the guest console.  SHARE=dir mounts dir at
# /mnt/share, CMD's working directory; TIMEOUT=s limits the run (600).
#
# Expects the plain kernel and the initramfs to be built (make run does
# that first; scripts/run.sh alone does it too unless NO_BUILD=1).

. "$(dirname "$0")/lib.sh"

if [ "${NO_BUILD:-0}" != 1 ]; then
	make -s -C "$TOP" --no-print-directory kernel-plain initramfs
fi

cmd_file=
interactive=1
if [ -n "$*" ]; then
	cmd_file=$WORK/run.cmd.$$
	trap 'rm -f "$cmd_file"' EXIT
	printf '%s\n' "$*" >"$cmd_file"
	interactive=0
fi

set +e
APPEND=quiet TIMEOUT=${TIMEOUT:-600} CMD_FILE=$cmd_file INTERACTIVE=$interactive \
	"$TOP/scripts/qemu-run.sh" plain "$TOP/scripts/guest/run.sh"
exit $?
