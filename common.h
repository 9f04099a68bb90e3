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
 * One record per packet, sent through the EVENTS perf event array: the
 * address the packet went to (network order; an IPv4 address in addr[0..3]),
 * its family (ADDR_IPV4 or ADDR_IPV6), what the program returned in `action`
 * (0 dropped, 1 passed), and the hook: `direction` 0 egress, 1 ingress.
 */
struct packet_log {
	uint8_t addr[16];
	uint8_t family;
	uint8_t action;
	uint8_t direction;
	uint8_t zero;
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

/*
 * A blocklist key, for an address or a prefix of either family. It has the
 * layout BPF_MAP_TYPE_LPM_TRIE wants (a u32 bit count, then the bytes it
 * counts), so prefixes and single addresses share one format:
 *   - `family` comes first in the counted bytes, so an IPv4 prefix can
 *     never match an IPv6 address, nor ::/0 an IPv4 one;
 *   - `prefixlen` counts the family byte too: 8 + 32 for one IPv4 address,
 *     8 + 24 for a /24, 8 + 128 for one IPv6 address;
 *   - an IPv4 address fills addr[0..3]; every byte not counted is 0, and
 *     `zero` pads the struct to 24 bytes so that the compiler adds no
 *     padding of its own (hash keys are compared byte for byte).
 * An IPv4-mapped IPv6 address (::ffff:1.2.3.4) is stored, and looked up, as
 * the IPv4 address it maps.
 */
#define ADDR_IPV4 4
#define ADDR_IPV6 6
#define ADDR_FAMILY_BITS 8

struct addr_key {
	uint32_t prefixlen;
	uint8_t family;
	uint8_t addr[16]; /* network byte order */
	uint8_t zero[3];
};

/* Names the loader looks for; also what `bpftool map show` prints. */
#define BLOCKLIST_MAP_NAME "BLOCKLIST"
#define BLOCKNETS_MAP_NAME "BLOCKNETS"
#define EVENTS_MAP_NAME "EVENTS"
#define BLOCKLIST_DEFAULT_ENTRIES 1024

#endif
