/* SPDX-License-Identifier: MIT */
/*
 * timeit.c - a command's time from exec to exit, for the one-shot benchmarks.
 *
 * Usage: timeit [-i MS] CMD [ARG...]   prints "MS STATUS KIB": the
 * milliseconds, the command's exit status (128 + N if signal N ended it) and
 * its peak RSS in KiB. With -i, SIGINT goes to the command after MS
 * milliseconds (how `run` and `log` are stopped). Its stdout goes to
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
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
	struct rusage ru;
	double t0, t1;
	pid_t pid;
	long interrupt_ms = -1;
	int status, err, rc = 1, cmd = 1;

	if (argc > 3 && strcmp(argv[1], "-i") == 0) {
		interrupt_ms = strtol(argv[2], NULL, 10);
		cmd = 3;
	}
	if (argc <= cmd || interrupt_ms == 0 || interrupt_ms < -1) {
		fprintf(stderr, "usage: timeit [-i MS] CMD [ARG...]\n");
		return 2;
	}
	if (posix_spawn_file_actions_init(&actions) ||
	    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)) {
		fprintf(stderr, "timeit: preparing to start %s: out of memory\n", argv[1]);
		return 1;
	}
	t0 = now_ms();
	err = posix_spawnp(&pid, argv[cmd], &actions, NULL, argv + cmd, environ);
	if (err) {
		fprintf(stderr, "timeit: starting %s: %s\n", argv[cmd], strerror(err));
		goto out;
	}
	if (interrupt_ms > 0) {
		struct timespec nap = { interrupt_ms / 1000, interrupt_ms % 1000 * 1000000 };

		/* Not reaped until wait4(), so the pid cannot have been reused. */
		nanosleep(&nap, NULL);
		kill(pid, SIGINT);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("timeit: wait4");
		goto out;
	}
	t1 = now_ms();
	printf("%.3f %d %ld\n", t1 - t0,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ru.ru_maxrss);
	rc = 0;
out:
	posix_spawn_file_actions_destroy(&actions);
	return rc;
}
