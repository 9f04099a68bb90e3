/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bad_prog.bpf.c - a program the verifier must reject, with the same maps as
 * prog.bpf.c so that the loader gets as far as BPF_PROG_LOAD. It returns a
 * packet length, which a cgroup SKB program may not do (only 0 to 3), and
 * so exercises the verifier-log path of the loader.
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

SEC("cgroup_skb/egress")
int bad_egress(struct __sk_buff *skb)
{
	return (int)skb->len;
}

char LICENSE[] SEC("license") = "GPL";
