// SPDX-License-Identifier: GPL-2.0
/*
 * The process `make demo` checkpoints and restarts: it prints an
 * increasing count every 0.3 s.  It is one thread without children, which
 * is what checkpoint(2) supports so far (a shell loop forks `sleep`).
 *
 * The count lives in this process's memory, so a restarted counter that
 * goes on from where it stopped shows that its memory came back.  It is
 * also the task's name ("count-N" in /proc/PID/comm), so that the demo
 * script can check the count without reading the console.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec period = { .tv_sec = 0, .tv_nsec = 300 * 1000 * 1000 };
	unsigned long limit = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	unsigned long count = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("demo-counter: pid %d\n", (int)getpid());
	while (!limit || count < limit) {
		struct timespec left = period;
		char name[16];

		printf("count %lu (pid %d)\n", ++count, (int)getpid());
		snprintf(name, sizeof(name), "count-%lu", count);
		prctl(PR_SET_NAME, name);
		while (nanosleep(&left, &left) && errno == EINTR)
			;
	}
	return 0;
}
