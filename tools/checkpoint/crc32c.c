// SPDX-License-Identifier: GPL-2.0
/*
 * CRC-32C (Castagnoli), the checksum of the image TRAILER.
 *
 * ckpt checks it over every byte it reads (show, merge, restart
 * --parent, migrate), so its speed is the tool's.  Two ways: eight bytes
 * at a time through eight tables ("slicing-by-8"), and the CPU's CRC32
 * instruction (SSE4.2).  The instruction is some five times faster on
 * hardware, but emulated (QEMU TCG) four times slower than the tables:
 * as the kernel's RAID-6 code picks its algorithm, the first call with
 * enough data times both on it, checks that they agree, and keeps the
 * faster.  The one-byte form is that of the kernel's lib/crc32.c.
 */
#include <string.h>
#include <time.h>

#include "ckpt.h"

#define CRC32C_POLY_LE	0x82f63b78U	/* reflected 0x1edc6f41 */

/* Bytes the first call needs to time the two ways on */
#define CRC32C_CALIBRATE_LEN	65536

/* crc32c_table[k][b]: b's CRC followed by k zero bytes */
static uint32_t crc32c_table[8][256];
static bool crc32c_hw;		/* the CPU has the instruction */

enum { CRC32C_UNDECIDED, CRC32C_TABLES, CRC32C_INSN };
static int crc32c_way;		/* an enum, read and set atomically */

static void __attribute__((constructor)) crc32c_init(void)
{
	uint32_t i, j, crc;

	for (i = 0; i < 256; i++) {
		crc = i;
		for (j = 0; j < 8; j++)
			crc = (crc >> 1) ^ (crc & 1 ? CRC32C_POLY_LE : 0);
		crc32c_table[0][i] = crc;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			crc32c_table[j][i] = (crc32c_table[j - 1][i] >> 8) ^
					     crc32c_table[0][crc32c_table[j - 1][i] & 0xff];
#if defined(__x86_64__)
	__builtin_cpu_init();
	crc32c_hw = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t crc32c_bytes(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--)
		crc = crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/* Little-endian words: x86-64 and the other hosts the tool builds on */
static uint32_t crc32c_sliced(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t w;

	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w, p, sizeof(w));
		w ^= crc;
		crc = crc32c_table[7][w & 0xff] ^ crc32c_table[6][(w >> 8) & 0xff] ^
		      crc32c_table[5][(w >> 16) & 0xff] ^ crc32c_table[4][(w >> 24) & 0xff] ^
		      crc32c_table[3][(w >> 32) & 0xff] ^ crc32c_table[2][(w >> 40) & 0xff] ^
		      crc32c_table[1][(w >> 48) & 0xff] ^ crc32c_table[0][w >> 56];
	}
	return crc32c_bytes(crc, p, len);
}

#if defined(__x86_64__)
static uint32_t __attribute__((target("sse4.2")))
crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc, w;

	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w, p, sizeof(w));
		c = __builtin_ia32_crc32di(c, w);
	}
	crc = c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}
#endif

static uint64_t crc32c_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The fastest of two runs of one way on buf, after one to warm it up */
static uint64_t crc32c_time(uint32_t (*way)(uint32_t, const uint8_t *, size_t),
			    const uint8_t *buf, uint32_t *crc)
{
	uint64_t t0, ns, best = UINT64_MAX;
	int i;

	/* The first run can be an emulator translating the code */
	*crc = way(0, buf, CRC32C_CALIBRATE_LEN);
	for (i = 0; i < 2; i++) {
		t0 = crc32c_now_ns();
		*crc = way(0, buf, CRC32C_CALIBRATE_LEN);
		/* Computed before the clock is read again, not moved past it */
		__asm__ volatile("" : "+r" (*crc) : : "memory");
		ns = crc32c_now_ns() - t0;
		if (ns < best)
			best = ns;
	}
	return best;
}

/* The instruction only if it is faster on buf, and agrees */
static int crc32c_calibrate(const uint8_t *buf)
{
	uint64_t tables_ns, insn_ns = UINT64_MAX;
	uint32_t a, b = 0;

	if (!crc32c_hw)
		return CRC32C_TABLES;
	tables_ns = crc32c_time(crc32c_sliced, buf, &a);
#if defined(__x86_64__)
	insn_ns = crc32c_time(crc32c_sse42, buf, &b);
#endif
	return a == b && insn_ns < tables_ns ? CRC32C_INSN : CRC32C_TABLES;
}

/*
 * For a caller about to check much data in pieces shorter than the
 * calibration wants (an image's pages one by one): the way chosen now,
 * timed on a buffer of ours.
 */
void crc32c_choose(void)
{
	static uint8_t buf[CRC32C_CALIBRATE_LEN];
	size_t i;

	if (__atomic_load_n(&crc32c_way, __ATOMIC_RELAXED) != CRC32C_UNDECIDED)
		return;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i * 131 + (i >> 8);
	__atomic_store_n(&crc32c_way, crc32c_calibrate(buf), __ATOMIC_RELAXED);
}

/*
 * Same contract as the kernel's crc32c(): no inversion on the way in or
 * out, so that a checksum can be carried across calls.
 */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	int way = __atomic_load_n(&crc32c_way, __ATOMIC_RELAXED);

	if (way == CRC32C_UNDECIDED && len >= CRC32C_CALIBRATE_LEN) {
		way = crc32c_calibrate(buf);
		__atomic_store_n(&crc32c_way, way, __ATOMIC_RELAXED);
	}
#if defined(__x86_64__)
	if (way == CRC32C_INSN)
		return crc32c_sse42(crc, buf, len);
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return crc32c_sliced(crc, buf, len);
#else
	return crc32c_bytes(crc, buf, len);
#endif
}

/* a * b modulo the polynomial, both reflected (bit 31 is x^0) */
static uint32_t crc32c_mulmod(uint32_t a, uint32_t b)
{
	uint32_t m = 1U << 31, p = 0;

	for (; m; m >>= 1) {
		if (a & m)
			p ^= b;
		b = b & 1 ? (b >> 1) ^ CRC32C_POLY_LE : b >> 1;
	}
	return p;
}

/*
 * The CRC after @len zero bytes more: @crc * x^(8 * @len), the kernel's
 * __crc32c_le_shift().  crc32c() is affine in its seed, so a run whose
 * own CRC is known joins a running one without being read again (see
 * crc32c_append()).
 */
static uint32_t crc32c_shift(uint32_t crc, uint64_t len)
{
	uint32_t x2k = 1U << 30;	/* x^(2^k) for bit k of the bits: x^1 first */
	uint64_t bits = len * 8;

	for (; bits; bits >>= 1) {
		if (bits & 1)
			crc = crc32c_mulmod(x2k, crc);
		x2k = crc32c_mulmod(x2k, x2k);
	}
	return crc;
}

/*
 * The running CRC @crc after @len bytes whose own CRC-32C, seeded with ~0
 * and not inverted, is @part: crc32c(crc, data) = crc32c(0, data) ^
 * shift(crc) and crc32c(0, data) = part ^ shift(~0).
 */
uint32_t crc32c_append(uint32_t crc, uint32_t part, uint64_t len)
{
	return part ^ crc32c_shift(crc ^ ~0U, len);
}

/*
 * crc32c_append() of many parts of one length (the pages of an image):
 * its factor x^(8 * @len), found once, for crc32c_append_op(), which then
 * costs one multiplication instead of crc32c_shift()'s squarings.
 */
uint32_t crc32c_append_factor(uint64_t len)
{
	return crc32c_shift(1U << 31, len);	/* 1 << 31 is x^0 */
}

/*
 * Multiplying by a fixed factor is linear in the other operand: four
 * table lookups, one per byte of it, instead of 32 shifts (a merge by
 * reference joins the CRCs of every page of a process, 262144 for 1 GiB,
 * while the migrated tree waits).  The tables of the last factor used
 * are kept: it is that of the page size.
 */
static uint32_t crc32c_mul_tables(uint32_t factor, uint32_t b)
{
	static uint32_t tables[4][256], cached;
	static bool valid;
	int k, v;

	if (!valid || cached != factor) {
		for (k = 0; k < 4; k++)
			for (v = 0; v < 256; v++)
				tables[k][v] = crc32c_mulmod(factor, (uint32_t)v << (8 * k));
		cached = factor;
		valid = true;
	}
	return tables[0][b & 0xff] ^ tables[1][(b >> 8) & 0xff] ^
	       tables[2][(b >> 16) & 0xff] ^ tables[3][b >> 24];
}

uint32_t crc32c_append_op(uint32_t crc, uint32_t part, uint32_t factor)
{
	return part ^ crc32c_mul_tables(factor, crc ^ ~0U);
}
