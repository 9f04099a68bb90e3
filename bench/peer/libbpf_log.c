/* SPDX-License-Identifier: MIT */
/*
 * libbpf_log.c - the peer reader for bench/events.sh: what `cgroup-skb-egress
 * log` does, written the usual way with libbpf's perf_buffer (Debian's
 * libbpf-dev, linked statically). Benchmark only; never part of the tool.
 *
 *   libbpf_log PROG_ID [PAGES]
 *
 * Finds the program's EVENTS and CONFIG maps by name, asks for every event
 * (CONFIG log = all), and prints "LOG: DST a.b.c.d, ACTION n" per event and
 * "LOST n events on cpu c" per loss, flushing after each poll, until SIGTERM;
 * then puts CONFIG back to none.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	const struct packet_log *ev = data;
	char text[INET6_ADDRSTRLEN];

	(void)ctx;
	(void)cpu;
	if (size < sizeof(*ev))
		return;
	inet_ntop(ev->family == ADDR_IPV4 ? AF_INET : AF_INET6, ev->addr, text, sizeof(text));
	printf("LOG: DST %s, ACTION %u\n", text, ev->action);
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	(void)ctx;
	printf("LOST %llu events on cpu %d\n", (unsigned long long)cnt, cpu);
}

/* The fd of the program's map called `name`, or -1. */
static int map_of(int prog_fd, const char *name)
{
	struct bpf_prog_info info;
	__u32 ids[8], len = sizeof(info), i;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 8;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -1;
	for (i = 0; i < info.nr_map_ids && i < 8; i++) {
		struct bpf_map_info m;
		__u32 mlen = sizeof(m);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		memset(&m, 0, sizeof(m));
		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &m, &mlen) == 0 &&
		    strcmp(m.name, name) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct prog_config all = { .log = LOG_ALL }, none = { .log = LOG_NONE };
	struct perf_buffer *pb;
	__u32 zero = 0;
	int prog_fd, events, config;
	long err;

	if (argc < 2) {
		fprintf(stderr, "usage: libbpf_log PROG_ID [PAGES]\n");
		return 2;
	}
	prog_fd = bpf_prog_get_fd_by_id((__u32)strtoul(argv[1], NULL, 10));
	events = prog_fd < 0 ? -1 : map_of(prog_fd, EVENTS_MAP_NAME);
	config = prog_fd < 0 ? -1 : map_of(prog_fd, CONFIG_MAP_NAME);
	if (events < 0 || config < 0) {
		fprintf(stderr, "libbpf_log: the maps of program %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	pb = perf_buffer__new(events, argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 64, on_sample,
			      on_lost, NULL, NULL);
	err = libbpf_get_error(pb);
	if (err) {
		fprintf(stderr, "libbpf_log: perf_buffer__new: %s\n", strerror((int)-err));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	bpf_map_update_elem(config, &zero, &all, BPF_ANY);
	while (!stop) {
		err = perf_buffer__poll(pb, 100);
		if (err < 0 && err != -EINTR)
			break;
		fflush(stdout);
	}
	bpf_map_update_elem(config, &zero, &none, BPF_ANY);
	perf_buffer__free(pb);
	return 0;
}
