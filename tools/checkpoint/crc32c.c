// SPDX-License-Identifier: GPL-2.0
/*
 * CRC-32C (Castagnoli), the checksum of the image TRAILER.
 *
 * Table-driven, one byte at a time: images are read at disk or pipe
 * speed, so the simplest portable form is fast enough and easy to check
 * against the kernel's lib/crc32.c.
 */
#include "ckpt.h"

#define CRC32C_POLY_LE	0x82f63b78U	/* reflected 0x1edc6f41 */

static uint32_t crc32c_table[256];

static void crc32c_init_table(void)
{
	uint32_t i, j, crc;

	for (i = 0; i < 256; i++) {
		crc = i;
		for (j = 0; j < 8; j++)
			crc = (crc >> 1) ^ (crc & 1 ? CRC32C_POLY_LE : 0);
		crc32c_table[i] = crc;
	}
}

/*
 * Same contract as the kernel's crc32c(): no inversion on the way in or
 * out, so that a checksum can be carried across calls.
 */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!crc32c_table[1])
		crc32c_init_table();
	while (len--)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}
