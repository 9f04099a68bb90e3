/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prog.bpf.c - the in-kernel half: a cgroup SKB egress filter.
 *
 * For every packet a socket in the cgroup sends:
 *   1. Anything that is not IPv4 passes (return 1).
 *   2. The IPv4 destination is read at offset 16 of the network header and
 *      looked up in BLOCKLIST: present means drop (return 0) and count the
 *      drop in the entry, else pass.
 *   3. {destination, verdict} goes to user space through EVENTS, on the
 *      ring of the CPU we run on.
 *
 * Built with `clang -O2 -target bpfel|bpfeb -ffreestanding`: no libbpf, no
 * kernel headers. The few kernel ABI numbers this needs are spelled out below
 * with the header they come from, so the file reads on its own.
 */
#include "common.h"

#define SEC(name) __attribute__((section(name), used))

/* include/uapi/linux/bpf.h: enum bpf_map_type */
#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_PERF_EVENT_ARRAY 4
/* include/uapi/linux/bpf.h: flags of bpf_perf_event_output() */
#define BPF_F_CURRENT_CPU 0xffffffffULL
/* include/uapi/linux/if_ether.h */
#define ETH_P_IP 0x0800
/* include/uapi/linux/ip.h: offsetof(struct iphdr, daddr) */
#define IPV4_DADDR_OFFSET 16

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
	uint32_t protocol; /* __be16 in the low bytes: network order */
};

/*
 * Helpers are called by number (enum bpf_func_id). Casting the number to a
 * function pointer is how BPF C code names them without libbpf: clang emits
 * `call N`, which the kernel resolves.
 */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_perf_event_output)(void *ctx, void *map, uint64_t flags, void *data,
				     uint64_t size) = (void *)25;
static long (*bpf_skb_load_bytes)(const void *skb, uint32_t offset, void *to,
				  uint32_t len) = (void *)26;

/*
 * skb->protocol and the address bytes are in network order (big-endian).
 * Converting with the compiler's own notion of byte order keeps this right
 * for both -target bpfel and -target bpfeb; the Aya example compares
 * protocol with a little-endian constant and so breaks on big-endian hosts.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define be16_to_cpu(x) __builtin_bswap16(x)
#define be32_to_cpu(x) __builtin_bswap32(x)
#else
#define be16_to_cpu(x) (x)
#define be32_to_cpu(x) (x)
#endif

/* Key: destination address as a host-order u32. Value: packets dropped to it (u64). */
struct legacy_map_def BLOCKLIST SEC("maps") = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(uint32_t),
	.value_size = sizeof(uint64_t),
	.max_entries = BLOCKLIST_DEFAULT_ENTRIES,
};

/* max_entries 0: the loader sizes it to the number of possible CPUs. */
struct legacy_map_def EVENTS SEC("maps") = {
	.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
	.key_size = sizeof(uint32_t),
	.value_size = sizeof(uint32_t),
	.max_entries = 0,
};

/*
 * The function name becomes the kernel's program name (15 characters at
 * most), which `bpftool prog show` prints.
 */
SEC("cgroup_skb/egress")
int block_egress(struct __sk_buff *skb)
{
	uint32_t daddr_be;
	uint32_t key;
	uint64_t *drops;
	int action;
	struct packet_log log;

	if (be16_to_cpu((uint16_t)skb->protocol) != ETH_P_IP)
		return 1;
	/*
	 * For cgroup SKB programs the kernel has pushed skb->data back to the
	 * network header, so offsets are relative to the IPv4 header.
	 */
	if (bpf_skb_load_bytes(skb, IPV4_DADDR_OFFSET, &daddr_be, sizeof(daddr_be)) < 0)
		return 1;
	key = be32_to_cpu(daddr_be);
	drops = bpf_map_lookup_elem(&BLOCKLIST, &key);
	action = 1;
	if (drops) {
		/*
		 * Count the drop in the entry itself: one atomic add (BPF_XADD)
		 * on the path that drops, nothing on the path that passes.
		 */
		__sync_fetch_and_add(drops, 1);
		action = 0;
	}

	log.ipv4_address = key;
	log.action = action;
	bpf_perf_event_output(skb, &EVENTS, BPF_F_CURRENT_CPU, &log, sizeof(log));
	/*
	 * Return the register copy, not log.action: the verifier must see
	 * that the return value is 0 or 1, and it does not follow a value
	 * through the stack slot the helper was given.
	 */
	return action;
}

/* bpf_perf_event_output() is a GPL-only helper. */
char LICENSE[] SEC("license") = "GPL";
