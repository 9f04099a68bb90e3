/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bad_prog.bpf.c - a program the verifier must reject, with the same maps as
 * prog.bpf.c so that the loader gets as far as BPF_PROG_LOAD. It returns a
 * packet length, which a cgroup SKB program may not do (only 0 to 3), and
 * so exercises the verifier-log path of the loader. It touches each map,
 * as the loader requires of every program (loader.c check_object_contract()).
 */
#include "../common.h"

#define SEC(name) __attribute__((section(name), used))

struct __sk_buff {
	uint32_t len;
};

struct legacy_map_def BLOCKLIST SEC("maps") = {
	.type = 1, .key_size = sizeof(struct addr_key), .value_size = 8, .max_entries = 16
};
struct legacy_map_def BLOCKNETS SEC("maps") = { .type = 11,
						.key_size = sizeof(struct addr_key),
						.value_size = 8,
						.max_entries = 16,
						.map_flags = 1 };
struct legacy_map_def EVENTS SEC("maps") = { .type = 4, .key_size = 4, .value_size = 4 };
struct legacy_map_def CONFIG SEC("maps") = {
	.type = 2, .key_size = 4, .value_size = sizeof(struct prog_config), .max_entries = 1
};

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_perf_event_output)(void *ctx, void *map, uint64_t flags, void *data,
				     uint64_t size) = (void *)25;

SEC("cgroup_skb/egress")
int bad_egress(struct __sk_buff *skb)
{
	struct addr_key key = { 0 };
	uint32_t zero = 0;

	bpf_map_lookup_elem(&BLOCKLIST, &key);
	bpf_map_lookup_elem(&BLOCKNETS, &key);
	bpf_map_lookup_elem(&CONFIG, &zero);
	bpf_perf_event_output(skb, &EVENTS, 0xffffffffULL, &zero, sizeof(zero));
	return (int)skb->len;
}

char LICENSE[] SEC("license") = "GPL";
