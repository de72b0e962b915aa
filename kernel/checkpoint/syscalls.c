// SPDX-License-Identifier: GPL-2.0-only
#include <linux/syscalls.h>

SYSCALL_DEFINE4(checkpoint, pid_t, pid, int, fd, unsigned long, flags, int, logfd)
{
	return -ENOSYS;
}

SYSCALL_DEFINE4(restart, pid_t, pid, int, fd, unsigned long, flags, int, logfd)
{
	return -ENOSYS;
}
