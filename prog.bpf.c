/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prog.bpf.c - the in-kernel half: a cgroup SKB filter.
 *
 * The loader attaches it to a cgroup's egress hook, its ingress hook, or
 * both (one load each, each with its own CONFIG saying which). For every
 * packet a socket in the cgroup sends (egress) or receives (ingress):
 *   a. Anything that is neither IPv4 nor IPv6 passes (return 1).
 *   b. The far end's address becomes a struct addr_key (common.h): on
 *      egress the destination, on ingress the source; an IPv4-mapped IPv6
 *      address as the IPv4 address it maps.
 *   c. The key is looked up in the active set (ACTIVE says A or B): in
 *      BLOCKLIST (single addresses, a hash), and if it is not there in
 *      BLOCKNETS (prefixes, a longest-prefix-match trie). Found, and not
 *      lapsed, means drop (return 0); so does nothing found when CONFIG's
 *      policy is deny. A packet about to be dropped is looked up once more
 *      as an allow entry (common.h): one found lets it through. The entry
 *      that decided counts the packet, and so does CONFIG_VERDICTS.
 *   d. {destination, family, verdict} goes to user space, if CONFIG asks
 *      for it: every packet, only drops, or none (when nobody reads, or by
 *      choice). An event the kernel will not take is counted in CONFIG.
 *
 * Two programs do this, alike but for how step d reaches user space:
 * block_skb through EVENTS, a perf event array (one ring per CPU, any
 * kernel with perf events for BPF), and block_skb_ring through
 * EVENTS_RING, a BPF ring buffer (one ring for all CPUs, Linux 5.8+, and
 * no perf events needed). The loader takes one of them (--events) and
 * leaves the other, and the map only it uses, out of the kernel.
 *
 * Built with `clang -O2 -target bpfel|bpfeb -ffreestanding`: no libbpf, no
 * kernel headers. The few kernel ABI numbers this needs are spelled out below
 * with the header they come from, so the file reads on its own.
 */
#include "common.h"

#define SEC(name) __attribute__((section(name), used))

/* include/uapi/linux/bpf.h: enum bpf_map_type, map flags */
#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_ARRAY 2
#define BPF_MAP_TYPE_PERF_EVENT_ARRAY 4
#define BPF_MAP_TYPE_LPM_TRIE 11
#define BPF_MAP_TYPE_RINGBUF 27
#define BPF_F_NO_PREALLOC 1 /* memory for the entries there, not max_entries of them */
/* include/uapi/linux/bpf.h: flags of bpf_perf_event_output() */
#define BPF_F_CURRENT_CPU 0xffffffffULL
/* include/uapi/asm-generic/errno-base.h */
#define EAGAIN 11
#define ENOSPC 28
/* include/uapi/linux/if_ether.h */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
/* include/uapi/linux/ip.h, ipv6.h: where the addresses are */
#define IPV4_SADDR_OFFSET 12
#define IPV4_DADDR_OFFSET 16
#define IPV6_SADDR_OFFSET 8
#define IPV6_DADDR_OFFSET 24

/*
 * The start of include/uapi/linux/bpf.h's struct __sk_buff. The verifier
 * rewrites each access by offset, so declaring only the fields we read (and
 * those before them) is enough.
 */
struct __sk_buff {
	uint32_t len;
	uint32_t pkt_type;
	uint32_t mark;
	uint32_t queue_mapping;
	uint32_t protocol;   /* __be16 in the low bytes: network order */
	uint32_t unread[14]; /* vlan_present ... tc_classid */
	uint32_t data;	     /* the packet's linear part: for cgroup SKB, from the IP header */
	uint32_t data_end;
};

/*
 * Helpers are called by number (enum bpf_func_id). Casting the number to a
 * function pointer is how BPF C code names them without libbpf: clang emits
 * `call N`, which the kernel resolves.
 */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static uint64_t (*bpf_ktime_get_ns)(void) = (void *)5;
static long (*bpf_perf_event_output)(void *ctx, void *map, uint64_t flags, void *data,
				     uint64_t size) = (void *)25;
static long (*bpf_skb_load_bytes)(const void *skb, uint32_t offset, void *to,
				  uint32_t len) = (void *)26;
static long (*bpf_ringbuf_output)(void *ringbuf, void *data, uint64_t size,
				  uint64_t flags) = (void *)130;

/*
 * skb->protocol is in network order (big-endian). Converting with the
 * compiler's own notion of byte order keeps this right for both -target
 * bpfel and -target bpfeb; the Aya example compares protocol with a
 * little-endian constant and so breaks on big-endian hosts. Addresses stay
 * in network order from packet to key to user space: no conversion at all.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define be16_to_cpu(x) __builtin_bswap16(x)
#define cpu_to_be32(x) __builtin_bswap32(x)
#else
#define be16_to_cpu(x) (x)
#define cpu_to_be32(x) (x)
#endif

/*
 * The blocklist, in two sets of two maps (common.h, struct active_set): in
 * each, single addresses of either family in a hash, and prefixes in a
 * longest-prefix-match trie, which the kernel insists is not preallocated.
 * The hash is: on 32-bit kernels from 6.1 on, a hash without preallocation
 * hands out values 4 bytes off 8-byte alignment, and the 64-bit atomic add
 * on `drops` then faults (an oops, on armhf); a 64-bit kernel gets set B's
 * unpreallocated (maps.c: empty until a switch). Value: the drops counted
 * and when the entry lapses (struct block_entry).
 */
#define SINGLES(name)                                                                              \
	TYPED_MAP_DEF(struct addr_key, struct block_entry)                                         \
	name SEC("maps") = {                                                                       \
		.type = BPF_MAP_TYPE_HASH,                                                         \
		.key_size = sizeof(struct addr_key),                                               \
		.value_size = sizeof(struct block_entry),                                          \
		.max_entries = BLOCKLIST_DEFAULT_ENTRIES,                                          \
	}
#define PREFIXES(name)                                                                             \
	TYPED_MAP_DEF(struct addr_key, struct block_entry)                                         \
	name SEC("maps") = {                                                                       \
		.type = BPF_MAP_TYPE_LPM_TRIE,                                                     \
		.key_size = sizeof(struct addr_key),                                               \
		.value_size = sizeof(struct block_entry),                                          \
		.max_entries = BLOCKLIST_DEFAULT_ENTRIES,                                          \
		.map_flags = BPF_F_NO_PREALLOC,                                                    \
	}
SINGLES(BLOCKLIST_A);
PREFIXES(BLOCKNETS_A);
SINGLES(BLOCKLIST_B);
PREFIXES(BLOCKNETS_B);

/* Which set the programs read: [0].set, SET_A or SET_B. Shared by both hooks' programs. */
TYPED_MAP_DEF(uint32_t, struct active_set)
ACTIVE SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(uint32_t),
	.value_size = sizeof(struct active_set),
	.max_entries = 1,
};

/* Settings the loader writes before it attaches, and counts the program writes back. */
TYPED_MAP_DEF(uint32_t, struct prog_config)
CONFIG SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(uint32_t),
	.value_size = sizeof(struct prog_config),
	.max_entries = 3, /* CONFIG_SETTINGS, CONFIG_COUNTS, CONFIG_VERDICTS */
};

/* max_entries 0: the loader sizes it to the number of possible CPUs. */
struct legacy_map_def EVENTS SEC("maps") = {
	.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
	.key_size = sizeof(uint32_t),
	.value_size = sizeof(uint32_t),
	.max_entries = 0,
};

/*
 * max_entries 0: the loader sizes it (--ring-pages pages), a power of 2
 * times the page size. Key and value sizes are 0: a ring buffer has
 * records, not slots.
 */
struct legacy_map_def EVENTS_RING SEC("maps") = {
	.type = BPF_MAP_TYPE_RINGBUF,
	.key_size = 0,
	.value_size = 0,
	.max_entries = 0,
};

/*
 * A constant the loader sets when it loads the program (program.c): 1 where
 * the kernel lets a cgroup SKB program read the packet directly (Linux
 * 5.2), else 0. The asm hides the instruction's value from clang, so it
 * stays one `rX = DIRECT_ACCESS_MARK` for the loader to find and rewrite;
 * the verifier then knows the value and walks only the branch it picks, so
 * a kernel without direct access never sees the direct reads as reachable.
 * A loader that does not know the mark (bpftool) leaves it non-zero: direct
 * reads, which a kernel before 5.2 refuses. test/run.sh checks that clang
 * keeps the value in its register up to the branch.
 */
#define STRINGIFY(x) #x
#define AS_TEXT(x) STRINGIFY(x)
static __attribute__((always_inline)) uint64_t direct_access(void)
{
	uint64_t value;

	__asm__ volatile("%0 = " AS_TEXT(DIRECT_ACCESS_MARK) : "=r"(value));
	return value;
}

/*
 * 16 bits that may alias anything: the IPv6 address is copied in halves
 * into a uint32_t[4] that is then read in words, which C's aliasing rules
 * would let clang reorder.
 */
typedef uint16_t __attribute__((may_alias)) half_word;

/*
 * p + n (a constant), added by one instruction that holds n. Left to
 * itself, clang turns `ingress ? p + 12 : p + 16` into p plus a register
 * holding 12 or 16, and a verifier without CAP_PERFMON refuses to add a
 * register to a packet pointer (its Spectre v1 hardening).
 */
#define PLUS_CONST(p, n)                                                                           \
	({                                                                                         \
		const uint8_t *sum_ = (p);                                                         \
		__asm__ volatile("%0 += %1" : "+r"(sum_) : "i"(n));                                \
		sum_;                                                                              \
	})

/*
 * The far end's address, `len` bytes (4 or 16) at offset `src` (ingress)
 * or `dst` (egress) in the IP header, into `to`: read straight from the
 * packet when the loader allowed it and the header is in the packet's
 * linear part (bench/prog_cost: a few ns a packet less), else copied by
 * bpf_skb_load_bytes(), which every kernel has and which reaches the rest.
 * The destination comes after the source in both headers, so its end is
 * the one to check. In 16-bit loads: a verifier on a CPU without cheap
 * unaligned loads (MIPS, RISC-V) checks alignment as if the packet began
 * 2 bytes past a word, and would refuse a 32-bit load at these offsets.
 * A macro, so that the offsets reach the asm as constants.
 */
#define LOAD_ADDR(skb, direct, ingress, src, dst, to, len)                                         \
	({                                                                                         \
		const uint8_t *data_ = (const uint8_t *)(long)(skb)->data;                         \
		const uint8_t *at_;                                                                \
		long err_ = 0;                                                                     \
		uint32_t i_;                                                                       \
                                                                                                   \
		if ((direct) && data_ + (dst) + (len) <= (const uint8_t *)(long)(skb)->data_end) { \
			at_ = (ingress) ? PLUS_CONST(data_, src) : PLUS_CONST(data_, dst);         \
			for (i_ = 0; i_ < (len); i_ += 2)                                          \
				((half_word *)(to))[i_ / 2] = *(const half_word *)(at_ + i_);      \
		} else {                                                                           \
			err_ = bpf_skb_load_bytes(skb, (ingress) ? (src) : (dst), to, len);        \
		}                                                                                  \
		err_;                                                                              \
	})

/*
 * The address at the far end as a key: the destination of an outgoing
 * packet, the source of an incoming one; -1 for a packet we do not look at.
 * For cgroup SKB programs the kernel has pushed skb->data back to the
 * network header, so offsets are relative to the IP header.
 */
static __attribute__((always_inline)) int far_end(struct __sk_buff *skb, uint32_t ingress,
						  struct addr_key *key)
{
	uint16_t proto = be16_to_cpu((uint16_t)skb->protocol);
	uint64_t direct = direct_access();
	uint32_t w[4];

	if (proto == ETH_P_IP) {
		if (LOAD_ADDR(skb, direct, ingress, IPV4_SADDR_OFFSET, IPV4_DADDR_OFFSET, key->addr,
			      4) < 0)
			return -1;
		key->family = ADDR_IPV4;
		key->prefixlen = ADDR_FAMILY_BITS + 32;
		return 0;
	}
	if (proto != ETH_P_IPV6 ||
	    LOAD_ADDR(skb, direct, ingress, IPV6_SADDR_OFFSET, IPV6_DADDR_OFFSET, w, 16) < 0)
		return -1;
	/* ::ffff:a.b.c.d is keyed as a.b.c.d, so that the IPv4 entry catches it. */
	if (w[0] == 0 && w[1] == 0 && w[2] == cpu_to_be32(0xffff)) {
		__builtin_memcpy(key->addr, &w[3], 4);
		key->family = ADDR_IPV4;
		key->prefixlen = ADDR_FAMILY_BITS + 32;
		return 0;
	}
	__builtin_memcpy(key->addr, w, 16);
	key->family = ADDR_IPV6;
	key->prefixlen = ADDR_FAMILY_BITS + 128;
	return 0;
}

/*
 * The kernel's trie stores a value right after its key bytes, which puts
 * ours 4 bytes off 8-byte alignment (at 60 bytes into the node on 64-bit
 * kernels, 44 on 32-bit): a 64-bit atomic add there faults on ARM and MIPS
 * (an oops, seen on arm64 and armhf). So the program touches a trie value
 * only in 32-bit words: it reads `expires` as two halves, and counts a
 * prefix's drops in the low half of `drops`, which then counts modulo
 * 2^32. A hash value is 8-byte aligned and gets the 64-bit add.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LOW_HALF 0
#else
#define LOW_HALF 1
#endif
static __attribute__((always_inline)) uint64_t expiry_of(const struct block_entry *e)
{
	const uint32_t *half = (const uint32_t *)&e->expires;

	return (uint64_t)half[1 - LOW_HALF] << 32 | half[LOW_HALF];
}

/*
 * A lapsed entry blocks nothing: NULL for it. The clock is read only for an
 * entry that lapses, and once per packet (*now, 0 until read): each read
 * costs about as much as a lookup.
 */
static __attribute__((always_inline)) struct block_entry *live(struct block_entry *e, uint64_t *now)
{
	uint64_t expires;

	if (!e)
		return e;
	expires = expiry_of(e);
	if (!expires)
		return e;
	if (!*now)
		*now = bpf_ktime_get_ns();
	return *now < expires ? e : (void *)0;
}

/*
 * Step c in set A or B: the exact match first (the common case, and the
 * cheaper lookup), then the longest prefix (*in_trie set). Each set has its
 * own calls, so that each hash lookup sees one map and the verifier can
 * inline it. A lapsed single address still lets a prefix block.
 */
#define LOOKUP_SET(singles, prefixes, key, now, entry, in_trie)                                    \
	do {                                                                                       \
		entry = live(bpf_map_lookup_elem(&singles, key), now);                             \
		if (!entry) {                                                                      \
			entry = live(bpf_map_lookup_elem(&prefixes, key), now);                    \
			in_trie = 1;                                                               \
		}                                                                                  \
	} while (0)

/*
 * Steps a to d for either program; `ring` says which way events go. It is a
 * constant in each caller, so clang keeps only that branch in each.
 */
static __attribute__((always_inline)) int filter(struct __sk_buff *skb, int ring)
{
	/* Every byte of the key counts in the hash, so all of it starts at 0. */
	struct addr_key key = { 0 };
	/* Aligned, so that the address is copied in by words, not byte by byte. */
	struct packet_log log __attribute__((aligned(8)));
	const uint32_t settings_key = CONFIG_SETTINGS, first = 0;
	struct prog_config *config;
	struct active_set *active;
	struct block_entry *entry;
	uint64_t now = 0;
	int in_trie = 0;
	uint32_t log_mode = LOG_ALL, ingress = 0, deny = 0, set_b;
	int action;
	long sent;

	/* An array lookup with a constant key: the verifier inlines it to a few instructions. */
	config = bpf_map_lookup_elem(&CONFIG, &settings_key);
	if (config) {
		log_mode = config->log;
		ingress = config->direction;
		deny = config->policy == POLICY_DENY;
	}
	if (far_end(skb, ingress, &key) < 0)
		return 1;
	/* Read once: this packet is judged by one set, whatever a switch does meanwhile. */
	active = bpf_map_lookup_elem(&ACTIVE, &first);
	set_b = active && active->set == SET_B;
	if (set_b)
		LOOKUP_SET(BLOCKLIST_B, BLOCKNETS_B, &key, &now, entry, in_trie);
	else
		LOOKUP_SET(BLOCKLIST_A, BLOCKNETS_A, &key, &now, entry, in_trie);
	action = 1;
	/* Only a packet about to be dropped pays for what follows. */
	if (entry || deny) {
		const uint32_t verdicts_key = CONFIG_VERDICTS;
		struct verdict_counts *verdicts = bpf_map_lookup_elem(&CONFIG, &verdicts_key);
		struct block_entry *allowed = (void *)0;
		int allowed_in_trie = 0;

		/*
		 * One pair of calls for either set, with the map in a register:
		 * the verifier then calls the lookup rather than inlining it,
		 * which costs a little on this rare path and saves a second copy
		 * of these instructions.
		 */
		key.allow = 1;
		/* Under allow, only when the set may hold allow entries (ACTIVE says). */
		if (deny || (active && active->allows))
			LOOKUP_SET(*(set_b ? (void *)&BLOCKLIST_B : (void *)&BLOCKLIST_A),
				   *(set_b ? (void *)&BLOCKNETS_B : (void *)&BLOCKNETS_A), &key,
				   &now, allowed, allowed_in_trie);
		if (allowed) {
			entry = allowed;
			in_trie = allowed_in_trie;
		}
		/*
		 * Count the packet in the entry that decided: one atomic add
		 * (BPF_XADD) on this path, nothing on the path of a packet that
		 * no entry concerns.
		 */
		if (entry && in_trie)
			__sync_fetch_and_add((uint32_t *)&entry->drops + LOW_HALF, 1);
		else if (entry)
			__sync_fetch_and_add(&entry->drops, 1);
		/*
		 * Three adds at constant offsets, not one at a computed one: a
		 * verifier without CAP_PERFMON refuses pointer arithmetic whose
		 * offset differs between paths.
		 */
		if (verdicts && allowed)
			__sync_fetch_and_add(&verdicts->allowed, 1);
		else if (verdicts && entry)
			__sync_fetch_and_add(&verdicts->dropped, 1);
		else if (verdicts)
			__sync_fetch_and_add(&verdicts->denied, 1);
		action = allowed ? 1 : 0;
	}

	if (log_mode == LOG_NONE || (log_mode == LOG_DROPS && action))
		return action;
	__builtin_memcpy(log.addr, key.addr, sizeof(log.addr));
	log.family = key.family;
	log.action = (uint8_t)action;
	log.direction = (uint8_t)ingress;
	log.zero = 0;
	/*
	 * Flags 0 on the ring buffer: the kernel wakes the reader only when
	 * it has caught up, which is cheap; the reader also looks on a timer.
	 */
	if (ring)
		sent = bpf_ringbuf_output(&EVENTS_RING, &log, sizeof(log), 0);
	else
		sent = bpf_perf_event_output(skb, &EVENTS, BPF_F_CURRENT_CPU, &log, sizeof(log));
	/*
	 * A refusal is counted, never silent: a full ring (ENOSPC from a perf
	 * ring, EAGAIN from the ring buffer) as a lost event; anything else,
	 * such as no ring for this CPU (nobody reads) or no perf events for
	 * BPF in this kernel (ENOTSUPP), as unsent, with the answer.
	 */
	if (sent < 0) {
		const uint32_t counts_key = CONFIG_COUNTS;
		struct prog_config *counts = bpf_map_lookup_elem(&CONFIG, &counts_key);

		if (counts && sent == (ring ? -EAGAIN : -ENOSPC)) {
			__sync_fetch_and_add(&counts->full, 1);
		} else if (counts) {
			__sync_fetch_and_add(&counts->unsent, 1);
			counts->error = (int32_t)sent;
		}
	}
	/*
	 * Return the register copy, not log.action: the verifier must see
	 * that the return value is 0 or 1, and it does not follow a value
	 * through the stack slot the helper was given.
	 */
	return action;
}

/*
 * The function name becomes the kernel's program name (15 characters at
 * most), which `bpftool prog show` prints; both programs go by the first
 * one's (object.c), so that later commands know either. The section says
 * only "cgroup SKB": the loader tells the kernel the hook
 * (expected_attach_type), and picks the program by section name.
 */
SEC("cgroup/skb")
int block_skb(struct __sk_buff *skb)
{
	return filter(skb, 0);
}

SEC("cgroup/skb/ringbuf")
int block_skb_ring(struct __sk_buff *skb)
{
	return filter(skb, 1);
}

/* bpf_perf_event_output() and bpf_ringbuf_output() are GPL-only helpers. */
char LICENSE[] SEC("license") = "GPL";
