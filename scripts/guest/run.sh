#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make run`: run the command the host put in /job.cmd with
# sh -c, in the shared directory if there is one; its status becomes the
# status of `make run`.  Without a command, an interactive shell.

grep -q " /mnt/share " /proc/mounts && cd /mnt/share
if [ -s /job.cmd ]; then
	exec sh -c "$(cat /job.cmd)"
fi
echo "guest shell: ckpt and the selftests are in PATH; 'exit' or Ctrl-D powers off"
exec sh -l
