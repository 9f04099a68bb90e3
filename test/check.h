/* SPDX-License-Identifier: MIT */
/*
 * check.h - the smallest test harness that does the job.
 *
 * Each test is a function; RUN() calls it and prints one line, "PASS name"
 * or "FAIL name", which test/run.sh counts. CHECK() records a failure with
 * its file and line and carries on, so one run shows every broken check.
 * The counters are shared by every file of tests: test/unit.c defines them.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

extern int check_failed; /* in the current test */
extern int check_pass_cnt, check_fail_cnt;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("    check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);       \
			check_failed = 1;                                                          \
		}                                                                                  \
	} while (0)

#define RUN(fn)                                                                                    \
	do {                                                                                       \
		check_failed = 0;                                                                  \
		fn();                                                                              \
		printf("%s %s\n", check_failed ? "FAIL" : "PASS", #fn);                            \
		if (check_failed)                                                                  \
			check_fail_cnt++;                                                          \
		else                                                                               \
			check_pass_cnt++;                                                          \
	} while (0)

#endif
