/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one-line verdicts of the host test programs (criu_test.c,
 * stats_test.c), which tests/run.sh turns into TAP: "PASS: name" or
 * "FAIL: name: why"; the program exits 1 if one failed.
 */
#ifndef CKPT_TESTS_RESULT_H
#define CKPT_TESTS_RESULT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int failed;

static void result(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS: %s\n", name);
	} else {
		failed++;
		printf("FAIL: %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
	fflush(stdout);
}

#endif /* CKPT_TESTS_RESULT_H */
