/* SPDX-License-Identifier: GPL-2.0 */
/*
 * globals.bpf.c - a fuzzing seed the reader must refuse: the program reads a
 * global variable (.rodata/.data) and calls a non-inlined function in .text.
 */
#include "../common.h"

#define SEC(name) __attribute__((section(name), used))

struct legacy_map_def
	BLOCKLIST SEC("maps") = { .type = 1, .key_size = 4, .value_size = 8, .max_entries = 16 };
volatile uint32_t verdict = 1;

static __attribute__((noinline)) int helper(int x)
{
	return x & 1;
}

SEC("cgroup_skb/egress")
int globals_egress(void *skb)
{
	(void)skb;
	return helper((int)verdict);
}

char LICENSE[] SEC("license") = "GPL";
