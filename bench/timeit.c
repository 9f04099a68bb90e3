/* SPDX-License-Identifier: MIT */
/*
 * timeit.c - a command's time from exec to exit, for the one-shot benchmarks.
 *
 * Usage: timeit CMD [ARG...]   prints "MS STATUS": the milliseconds and the
 * command's exit status (128 + N if signal N ended it). Its stdout goes to
 * /dev/null, its stderr is ours. Exit 0, or 1 if it could not be started.
 *
 * Timing a command from bash ($EPOCHREALTIME around it) counts bash's fork
 * as well, a copy of a large process that costs several hundred
 * microseconds here, the same for every command timed. For commands that
 * take about a millisecond, that moves every ratio towards 1. posix_spawn()
 * starts the child with vfork semantics, so what is timed is the exec, the
 * command's work and its exit.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t actions;
	double t0, t1;
	pid_t pid;
	int status, err, rc = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: timeit CMD [ARG...]\n");
		return 2;
	}
	if (posix_spawn_file_actions_init(&actions) ||
	    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)) {
		fprintf(stderr, "timeit: preparing to start %s: out of memory\n", argv[1]);
		return 1;
	}
	t0 = now_ms();
	err = posix_spawnp(&pid, argv[1], &actions, NULL, argv + 1, environ);
	if (err) {
		fprintf(stderr, "timeit: starting %s: %s\n", argv[1], strerror(err));
	} else if (waitpid(pid, &status, 0) < 0) {
		perror("timeit: waitpid");
	} else {
		t1 = now_ms();
		printf("%.3f %d\n", t1 - t0,
		       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		rc = 0;
	}
	posix_spawn_file_actions_destroy(&actions);
	return rc;
}
