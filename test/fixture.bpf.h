/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fixture.bpf.h - what the test programs share: prog.bpf.c's seven maps (small
 * ones), the helpers they call, and touch_maps(), which uses each map once,
 * because the loader wants every program to use exactly those seven (object.c,
 * check_contract()).
 *
 * BLOCKLIST_A names its key type for BTF: struct addr_key, or
 * BLOCKLIST_KEY_TYPE when the including file defines one (wrong_types.bpf.c
 * names a wrong one on purpose).
 */
#ifndef FIXTURE_BPF_H
#define FIXTURE_BPF_H

#include "../common.h"

#define SEC(name) __attribute__((section(name), used))

#ifndef BLOCKLIST_KEY_TYPE
#define BLOCKLIST_KEY_TYPE struct addr_key
#endif

struct __sk_buff {
	uint32_t len;
};

TYPED_MAP_DEF(BLOCKLIST_KEY_TYPE, struct block_entry)
BLOCKLIST_A SEC("maps") = {
	.type = 1, .key_size = sizeof(struct addr_key), .value_size = 16, .max_entries = 16
};
struct legacy_map_def BLOCKNETS_A SEC("maps") = { .type = 11,
						  .key_size = sizeof(struct addr_key),
						  .value_size = 16,
						  .max_entries = 16,
						  .map_flags = 1 };
struct legacy_map_def BLOCKLIST_B SEC("maps") = {
	.type = 1, .key_size = sizeof(struct addr_key), .value_size = 16, .max_entries = 16
};
struct legacy_map_def BLOCKNETS_B SEC("maps") = { .type = 11,
						  .key_size = sizeof(struct addr_key),
						  .value_size = 16,
						  .max_entries = 16,
						  .map_flags = 1 };
struct legacy_map_def ACTIVE SEC("maps") = {
	.type = 2, .key_size = 4, .value_size = sizeof(struct active_set), .max_entries = 1
};
struct legacy_map_def EVENTS SEC("maps") = { .type = 4, .key_size = 4, .value_size = 4 };
struct legacy_map_def CONFIG SEC("maps") = {
	.type = 2, .key_size = 4, .value_size = sizeof(struct prog_config), .max_entries = 2
};

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_perf_event_output)(void *ctx, void *map, uint64_t flags, void *data,
				     uint64_t size) = (void *)25;

static __attribute__((always_inline)) void touch_maps(struct __sk_buff *skb)
{
	struct addr_key key = { 0 };
	uint32_t zero = 0;

	bpf_map_lookup_elem(&BLOCKLIST_A, &key);
	bpf_map_lookup_elem(&BLOCKNETS_A, &key);
	bpf_map_lookup_elem(&BLOCKLIST_B, &key);
	bpf_map_lookup_elem(&BLOCKNETS_B, &key);
	bpf_map_lookup_elem(&ACTIVE, &zero);
	bpf_map_lookup_elem(&CONFIG, &zero);
	bpf_perf_event_output(skb, &EVENTS, 0xffffffffULL, &zero, sizeof(zero));
}

char LICENSE[] SEC("license") = "GPL";

#endif
