/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench/prog/direct.bpf.c - prog.bpf.c reading the packet directly
 * (skb->data, allowed for cgroup SKB programs since Linux 5.2) instead of
 * with bpf_skb_load_bytes. bench/prog_cost measures whether that is worth
 * it; the shipped program keeps the helper, which every kernel has.
 *
 * prog.bpf.c is included whole: its calls to bpf_skb_load_bytes(...) become
 * calls to direct_load(...) through the function-like macro below (its
 * declaration of the helper, not followed by '(', is left alone).
 */
#include <stdint.h>

struct __sk_buff;
static __attribute__((always_inline)) int direct_load(const struct __sk_buff *skb, uint32_t off,
						      void *to, uint32_t len);
#define bpf_skb_load_bytes(skb, off, to, len) direct_load(skb, off, to, len)

#include "../../prog.bpf.c"

/* include/uapi/linux/bpf.h: struct __sk_buff up to data and data_end. */
struct sk_buff_data {
	uint32_t before_data[19]; /* len ... tc_classid */
	uint32_t data, data_end;  /* offsets 76 and 80 */
};

static __attribute__((always_inline)) int direct_load(const struct __sk_buff *skb, uint32_t off,
						      void *to, uint32_t len)
{
	const struct sk_buff_data *ctx = (const void *)skb;
	const uint8_t *data = (const uint8_t *)(long)ctx->data;
	const uint8_t *end = (const uint8_t *)(long)ctx->data_end;
	uint32_t i;

	if (data + off + len > end)
		return -1;
	for (i = 0; i < len; i += 4)
		((uint32_t *)to)[i / 4] = *(const uint32_t *)(data + off + i);
	return 0;
}
