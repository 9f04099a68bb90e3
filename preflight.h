/* SPDX-License-Identifier: MIT */
/*
 * preflight.h - `check`, the preflight: what this kernel and host give the
 * tool, each asked of the kernel itself (something small made and let go,
 * nothing attached), one line each with what it means for blocking and
 * logging. The spine (loader.c) adds the last proof: the blocklist program
 * itself, with its maps, loaded and verified for the hooks asked.
 */
#ifndef PREFLIGHT_H
#define PREFLIGHT_H

#include "options.h"

enum check_level { CHECK_OK, CHECK_INFO, CHECK_WARN, CHECK_FAIL };

#define CHECK_LINES 16

struct preflight {
	struct check_line {
		enum check_level level;
		const char *name;
		char text[232];
	} line[CHECK_LINES];
	unsigned int cnt;
	int perf, ringbuf; /* the ways events can reach us */
};

/* Everything but the program: lines into c. `prog_name`: to tell our programs on the hooks. */
void preflight_host(struct preflight *c, const struct options *o, const char *prog_name);

/* One line more; a CHECK_FAIL line means blocking will not work. */
__attribute__((format(printf, 4, 5))) void
preflight_add(struct preflight *c, enum check_level level, const char *name, const char *fmt, ...);

/* Whether no line failed so far. */
int preflight_blocking(const struct preflight *c);

/*
 * The verdict first (blocking will work, or the first reason it will not;
 * how events would reach us), then each line; as JSON lines with `json`.
 * EXIT_OK when blocking will work, EXIT_SYSTEM when it will not.
 */
int preflight_print(const struct preflight *c, int json);

#endif
