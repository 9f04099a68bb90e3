/* SPDX-License-Identifier: MIT */
/*
 * events.c - event delivery, measured from the outside (bench/events.sh).
 *
 *   events PROG_ID COUNT BURST RATE LATENCY_SAMPLES -- READER [ARGS...]
 *
 * Starts READER (a process that prints one "LOG: ..." line per event and
 * "LOST n ..." lines, on stdout) and feeds the program PROG_ID packets with
 * BPF_PROG_TEST_RUN: one event each, since the instance logs everything.
 *
 *   throughput  COUNT events, BURST per call, RATE a second (0: as fast as
 *               the kernel runs them), while reading READER's lines; then
 *               until READER is quiet for 500 ms. Prints events/s received,
 *               lost as READER counted them, and missing (neither).
 *   latency     LATENCY_SAMPLES single events, each sent once the previous
 *               line arrived: the time from the call to the line. p50, p99.
 *
 * One line of results: "received N lost N missing N per_s N p50_us N p99_us N".
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "packet.h"

#define LATENCY_MAX 100000

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Lines read so far: LOG lines counted, LOST counts summed. */
struct lines {
	int fd;
	char buf[1 << 16];
	size_t len;
	unsigned long log, lost;
	double last;
};

/* Reads what is there (waiting up to ms); returns LOG lines seen, -1 at EOF. */
static long read_lines(struct lines *in, int ms)
{
	struct pollfd p = { in->fd, POLLIN, 0 };
	unsigned long before = in->log;
	ssize_t n;
	char *start, *nl;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	n = read(in->fd, in->buf + in->len, sizeof(in->buf) - 1 - in->len);
	if (n <= 0)
		return -1;
	in->len += (size_t)n;
	in->buf[in->len] = '\0';
	for (start = in->buf; (nl = strchr(start, '\n')); start = nl + 1) {
		if (strncmp(start, "LOG", 3) == 0)
			in->log++;
		else if (strncmp(start, "LOST ", 5) == 0)
			in->lost += strtoul(start + 5, NULL, 10);
	}
	in->len -= (size_t)(start - in->buf);
	memmove(in->buf, start, in->len);
	in->last = now();
	return (long)(in->log - before);
}

/*
 * Whether process `pid` has a perf event open: both readers open theirs
 * only after their own checks (`log` refuses a program another process
 * holds, and would take this feeder's fd for a reader).
 */
static int has_perf_event(pid_t pid)
{
	char dir[64], path[320], link[64];
	struct dirent *e;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	while (d && !found && (e = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found = strcmp(link, "anon_inode:[perf_event]") == 0;
		}
	}
	if (d)
		closedir(d);
	return found;
}

static int stop_reader(pid_t reader)
{
	int status;

	kill(reader, SIGTERM);
	waitpid(reader, &status, 0);
	return 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct lines in = { 0 };
	uint8_t pkt[64];
	uint32_t len = bench_packet(pkt, 0), retval, ns;
	unsigned long count, burst, rate, samples, sent = 0, i;
	static double lat[LATENCY_MAX];
	double t0, t_end;
	int p[2], prog_fd, status;
	pid_t reader;

	if (argc < 8 || strcmp(argv[6], "--") != 0) {
		fprintf(stderr,
			"usage: events PROG_ID COUNT BURST RATE LATENCY_SAMPLES -- READER...\n");
		return 2;
	}
	count = strtoul(argv[2], NULL, 10);
	burst = strtoul(argv[3], NULL, 10);
	rate = strtoul(argv[4], NULL, 10);
	samples = strtoul(argv[5], NULL, 10);
	if (!burst || pipe(p) < 0) {
		fprintf(stderr, "events: %s\n",
			burst ? strerror(errno) : "BURST must be at least 1");
		return 1;
	}
	if (samples > LATENCY_MAX)
		samples = LATENCY_MAX;
	reader = fork();
	if (reader == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execvp(argv[7], argv + 7);
		_exit(127);
	}
	close(p[1]);
	in.fd = p[0];
	/* The program's fd only once the reader is set up (has_perf_event()). */
	for (i = 0; i < 100 && !has_perf_event(reader); i++)
		usleep(50000);
	prog_fd = bpf_prog_get_fd_by_id((uint32_t)strtoul(argv[1], NULL, 10));
	if (prog_fd < 0) {
		fprintf(stderr, "events: program id %s: %s\n", argv[1], strerror(errno));
		return stop_reader(reader);
	}
	/* Until the reader prints the first of a trickle of events, it is not ready. */
	for (i = 0; i < 100 && in.log == 0; i++) {
		bpf_prog_test_run(prog_fd, pkt, len, 1, &retval, &ns);
		read_lines(&in, 50);
	}
	if (in.log == 0) {
		fprintf(stderr, "events: the reader printed nothing\n");
		return stop_reader(reader);
	}
	while (read_lines(&in, 300) > 0)
		;
	/* Latency: one event, then wait for its line. */
	for (i = 0; i < samples; i++) {
		unsigned long want = in.log + 1;

		t0 = now();
		bpf_prog_test_run(prog_fd, pkt, len, 1, &retval, &ns);
		while (in.log < want && now() - t0 < 2 && read_lines(&in, 2000) >= 0)
			;
		lat[i] = (now() - t0) * 1e6;
	}
	/* Throughput: COUNT events as fast as they go. */
	in.log = in.lost = 0;
	t0 = now();
	in.last = t0;
	while (sent < count) {
		unsigned long n = count - sent < burst ? count - sent : burst;

		if (bpf_prog_test_run(prog_fd, pkt, len, (uint32_t)n, &retval, &ns) < 0) {
			fprintf(stderr, "events: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
			break;
		}
		sent += n;
		read_lines(&in, 0);
		/* Paced: read lines while ahead of RATE (the reader has the other CPU). */
		while (rate && (double)sent > (double)rate * (now() - t0))
			read_lines(&in, 0);
	}
	while (in.log + in.lost < sent && read_lines(&in, 500) > 0)
		;
	/*
	 * Until the reader has gone (EOF), at most 5 s: the ring buffer's
	 * losses come in one LOST line at its very end.
	 */
	kill(reader, SIGTERM);
	t_end = now();
	while (read_lines(&in, 500) >= 0 && now() - t_end < 5)
		;
	waitpid(reader, &status, 0);
	qsort(lat, samples, sizeof(*lat), cmp_double);
	printf("received %lu lost %lu missing %lu per_s %.0f p50_us %.0f p99_us %.0f\n", in.log,
	       in.lost, sent > in.log + in.lost ? sent - in.log - in.lost : 0,
	       in.last > t0 ? (double)in.log / (in.last - t0) : 0.0, samples ? lat[samples / 2] : 0,
	       samples ? lat[(samples * 99) / 100] : 0);
	return 0;
}
