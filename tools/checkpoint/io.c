// SPDX-License-Identifier: GPL-2.0
/*
 * Whole reads and writes of a descriptor, through short counts and
 * EINTR: for the files and sockets ckpt writes itself (the CRIU front
 * end's images, ckpt migrate's frames).  No logging, so that the tests
 * can link it.
 */
#include <errno.h>
#include <unistd.h>

#include "ckpt.h"

int ckpt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int ckpt_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = ECONNRESET;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}
