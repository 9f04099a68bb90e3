/* SPDX-License-Identifier: MIT */
/*
 * common.h - what the BPF program and the loader must agree on.
 *
 * This header is compiled twice: once by clang for the BPF target (prog.bpf.c)
 * and once by the host compiler (the loader). It therefore uses only fixed-width
 * types and no library headers beyond <stdint.h>, which clang provides itself
 * when it builds freestanding BPF code.
 *
 * It plays the part of the Aya example's `cgroup-skb-egress-common` crate.
 */
#ifndef CGROUP_SKB_EGRESS_COMMON_H
#define CGROUP_SKB_EGRESS_COMMON_H

#include <stdint.h>

/*
 * One record per packet, sent through the EVENTS perf event array or the
 * EVENTS_RING ring buffer: the
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
 * A legacy map definition that also names its key and value types. The two
 * zero-length arrays take no room, so the definition is still the 20 bytes
 * of struct legacy_map_def that the loader reads (packed: a u64 value must
 * not pad it to 24). What they add is BTF: the types become part of the
 * variable's type, where the loader finds them for BPF_MAP_CREATE
 * (btf_map_types()), so that bpftool prints keys and values field by field.
 */
#define TYPED_MAP_DEF(key_type, value_type)                                                        \
	struct {                                                                                   \
		uint32_t type;                                                                     \
		uint32_t key_size;                                                                 \
		uint32_t value_size;                                                               \
		uint32_t max_entries;                                                              \
		uint32_t map_flags;                                                                \
		key_type key[0];                                                                   \
		value_type value[0];                                                               \
	} __attribute__((packed, aligned(4)))

/*
 * A blocklist key, for an address or a prefix of either family. It has the
 * layout BPF_MAP_TYPE_LPM_TRIE wants (a u32 bit count, then the bytes it
 * counts), so prefixes and single addresses share one format:
 *   - `family` and three zero bytes come first in the counted bytes, so an
 *     IPv4 prefix can never match an IPv6 address, nor ::/0 an IPv4 one;
 *     they also put `addr` at offset 8, where it can be copied by words;
 *   - `prefixlen` counts those 32 bits too: 32 + 32 for one IPv4 address,
 *     32 + 24 for a /24, 32 + 128 for one IPv6 address;
 *   - an IPv4 address fills addr[0..3]; every byte not counted is 0 (hash
 *     keys are compared byte for byte), and the struct has no padding.
 * An IPv4-mapped IPv6 address (::ffff:1.2.3.4) is stored, and looked up, as
 * the IPv4 address it maps.
 *
 * Allow entries live in the same maps, keyed with `allow` 1: the byte is
 * among the counted bits, so an allow entry never matches a packet's own
 * key (allow 0), and an allow prefix competes only with allow prefixes in
 * the trie. The program looks them up, with `allow` set, only when the
 * packet would be dropped (a block entry, or default deny): an allow entry
 * wins over any block entry. Both kinds share the maps' room, the switch
 * and the counters (an allow entry's `drops` counts the packets it let
 * through).
 */
#define ADDR_IPV4 4
#define ADDR_IPV6 6
#define ADDR_FAMILY_BITS 32

struct addr_key {
	uint32_t prefixlen;
	uint8_t family;
	uint8_t allow; /* 1: an allow entry (below); 0: a block entry, and every packet's key */
	uint8_t zero[2];
	uint8_t addr[16]; /* network byte order */
};

/*
 * A blocklist entry's value. `drops` counts the packets dropped to it;
 * `expires` is when it lapses, on the kernel's monotonic clock
 * (bpf_ktime_get_ns(), CLOCK_MONOTONIC in user space: wall-clock changes do
 * not move it, and it stands still while the machine is suspended), 0 for
 * never. A lapsed entry blocks nothing; the next command that takes the
 * lock deletes it. `drops` comes first: an instance of the first layout,
 * whose values are the 8-byte counter alone, reads and writes the same
 * counter through this struct (the kernel copies value_size bytes).
 */
struct block_entry {
	uint64_t drops;
	uint64_t expires; /* ns, CLOCK_MONOTONIC; 0: never */
};

/*
 * The blocklist is kept twice, in set A (BLOCKLIST_A, BLOCKNETS_A) and set
 * B (BLOCKLIST_B, BLOCKNETS_B), and ACTIVE's one entry says which of them
 * the programs read. A change too large for one system call is made on the
 * other set, out of the programs' sight, and takes effect with the one
 * update of ACTIVE that switches sets: a command killed before it leaves
 * the old list whole, one killed after leaves the new one. `allows` spares
 * a dropped packet the allow lookups when no allow entry could match: the
 * switch sets it from the list it writes, and an allow entry added in
 * place sets it before it is added; removals leave it set. `set` goes from
 * 0 to 1 or back, which changes one byte, so no reader can see a torn
 * value. `next_expiry` is the earliest `expires` in the active set, 0 for
 * none: the commands' hint for when there are lapsed entries to delete.
 */
#define SET_A 0
#define SET_B 1

struct active_set {
	uint32_t set;	      /* SET_A or SET_B */
	uint32_t allows;      /* nonzero: the set may hold allow entries (issue 16's versions: 0) */
	uint64_t next_expiry; /* ns, CLOCK_MONOTONIC; 0: nothing expires */
};

/*
 * CONFIG, an array of three: in [CONFIG_SETTINGS] what the loader tells the
 * program, which events to send (LOG_ALL is 0, so that a zeroed entry means
 * the Aya example's behaviour), which hook it runs on and the policy
 * (where a counts entry has `unsent`, which is 0 in an earlier version's
 * settings: POLICY_ALLOW); in
 * [CONFIG_COUNTS] what the program tells the loader back: how many events
 * the kernel refused for want of room (a full perf ring, ENOSPC; a full
 * ring buffer, EAGAIN), which are the lost events, and how many it refused
 * otherwise (a kernel without CONFIG_BPF_EVENTS refuses every
 * bpf_perf_event_output(), with ENOTSUPP) and what it answered the last
 * time, so that no count the tool prints leaves any out. The kernel counts
 * a full perf ring's losses too, but reports them only at its next write
 * into that ring; the program's count is complete when the run ends. `full`
 * takes the place of what was padding, so the value stays 24 bytes: a
 * binary of any version reads an instance of any other without the kernel
 * writing past its buffer (a loader checks the size before it reads), and an
 * instance from before `full` reads as 0. It is 32 bits: a run's count is
 * its difference, right modulo 2^32. Separate entries, so that each
 * side only ever writes its own. Every program load gets its own CONFIG
 * map; the blocklist maps are shared.
 */
#define LOG_ALL 0   /* every packet */
#define LOG_DROPS 1 /* dropped packets only */
#define LOG_NONE 2  /* no events: nobody reads them */

#define CONFIG_SETTINGS 0
#define CONFIG_COUNTS 1

#define CONFIG_VERDICTS 2

#define POLICY_ALLOW 0 /* what no entry decides passes: a blocklist */
#define POLICY_DENY 1  /* what no allow entry lets through is dropped: a sandbox */

struct prog_config {
	uint32_t log;	    /* [CONFIG_SETTINGS] */
	uint32_t direction; /* [CONFIG_SETTINGS]: 0 egress, 1 ingress */
	union {
		uint64_t unsent; /* [CONFIG_COUNTS]: events the kernel would not take */
		uint64_t policy; /* [CONFIG_SETTINGS]: POLICY_ALLOW or POLICY_DENY */
	};
	int32_t error; /* [CONFIG_COUNTS]: what it answered the last time, -errno */
	uint32_t full; /* [CONFIG_COUNTS]: events refused because the ring was full */
};

/*
 * CONFIG[CONFIG_VERDICTS], a third entry the maps of this version have: the
 * packets each hook's program decided against the policy's default, by
 * what decided. An instance made before it has two entries, and these
 * counts read as not counted.
 */
struct verdict_counts {
	uint64_t dropped; /* by a block entry */
	uint64_t allowed; /* let through by an allow entry, which a block entry or deny would drop */
	uint64_t denied;  /* by POLICY_DENY: no entry allowed them */
};

/*
 * The instruction `rX = DIRECT_ACCESS_MARK` in the program is a constant the
 * loader sets at load (prog.bpf.c, program.c): 1 to read the packet
 * directly, 0 to copy it with a helper. A value clang would never choose.
 */
#define DIRECT_ACCESS_MARK 0x5d1ec7ed
/* One 32-bit mov holds it only if it is positive (the immediate is sign-extended). */
_Static_assert(DIRECT_ACCESS_MARK > 0 && DIRECT_ACCESS_MARK < 0x7fffffff,
	       "DIRECT_ACCESS_MARK must fit a positive 32-bit immediate");

/* Names the loader looks for; also what `bpftool map show` prints. */
#define BLOCKLIST_MAP_NAME "BLOCKLIST_A"
#define BLOCKNETS_MAP_NAME "BLOCKNETS_A"
#define BLOCKLIST_B_MAP_NAME "BLOCKLIST_B"
#define BLOCKNETS_B_MAP_NAME "BLOCKNETS_B"
#define ACTIVE_MAP_NAME "ACTIVE"
/* The first layout's (before sets and expiries): found on hooks, never made. */
#define LAYOUT1_BLOCKLIST_NAME "BLOCKLIST"
#define LAYOUT1_BLOCKNETS_NAME "BLOCKNETS"
#define CONFIG_MAP_NAME "CONFIG"
#define EVENTS_MAP_NAME "EVENTS"
#define EVENTS_RING_MAP_NAME "EVENTS_RING"
#define BLOCKLIST_DEFAULT_ENTRIES 1024

#endif
