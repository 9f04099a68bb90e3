/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wrong_types.bpf.c - a program whose BLOCKLIST names a key type of the
 * wrong size in its BTF (a u32 for a 24-byte key). The kernel refuses those
 * types at BPF_MAP_CREATE; the teaching build must warn and create the map
 * without them (test/teach.sh). The program passes every packet; it touches
 * each map once, because the loader knows its own program by the four maps
 * it uses (instance.h), and `detach` must find it.
 */
#include "../common.h"

#define SEC(name) __attribute__((section(name), used))

struct __sk_buff {
	uint32_t len;
};

TYPED_MAP_DEF(uint32_t, uint64_t)
BLOCKLIST SEC("maps") = {
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
int pass_all(struct __sk_buff *skb)
{
	struct addr_key key = { 0 };
	uint32_t zero = 0;

	bpf_map_lookup_elem(&BLOCKLIST, &key);
	bpf_map_lookup_elem(&BLOCKNETS, &key);
	bpf_map_lookup_elem(&CONFIG, &zero);
	bpf_perf_event_output(skb, &EVENTS, 0xffffffffULL, &zero, sizeof(zero));
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
