/* SPDX-License-Identifier: MIT */
/*
 * common.h - what the BPF program and the loader must agree on.
 *
 * This header is compiled twice: once by clang for the BPF target (prog.bpf.c)
 * and once by the host compiler (loader.c). It therefore uses only fixed-width
 * types and no library headers beyond <stdint.h>, which clang provides itself
 * when it builds freestanding BPF code.
 *
 * It plays the part of the Aya example's `cgroup-skb-egress-common` crate.
 */
#ifndef CGROUP_SKB_EGRESS_COMMON_H
#define CGROUP_SKB_EGRESS_COMMON_H

#include <stdint.h>

/*
 * One record per packet, sent through the EVENTS perf event array.
 * `ipv4_address` is the destination as a host-order number (1.2.3.4 is
 * 0x01020304 on every CPU), exactly as the blocklist keys are.
 * `action` is what the program returned: 0 dropped, 1 passed.
 */
struct packet_log {
	uint32_t ipv4_address;
	int32_t action;
};

/*
 * The legacy map definition: what a `SEC("maps")` variable holds. The loader
 * reads it from the object, creates the map and patches its fd into every
 * instruction that refers to the variable. It is the 5 x u32 layout of the
 * old kernel samples and libbpf < 1.0; Aya's 7 x u32 (`id`, `pinning`) is
 * accepted too as long as its extra fields are zero.
 */
struct legacy_map_def {
	uint32_t type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
};

/* Names the loader looks for; also what `bpftool map show` prints. */
#define BLOCKLIST_MAP_NAME "BLOCKLIST"
#define EVENTS_MAP_NAME "EVENTS"
#define BLOCKLIST_DEFAULT_ENTRIES 1024

#endif
