/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writing bytes out and the image checksum: shared by the selftests
 * (through ckpt_util.h) and by ckpt_fuzz, which has no test harness.
 */
#ifndef __CKPT_BYTES_H
#define __CKPT_BYTES_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

static inline int ckpt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* CRC-32C (Castagnoli), as the TRAILER has it: seed ~0, result inverted */
static inline uint32_t crc32c(const void *data, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = data;
	uint32_t crc = ~0U, c;
	int i, k;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			c = i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
			table[i] = c;
		}
	}
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

#endif /* __CKPT_BYTES_H */
