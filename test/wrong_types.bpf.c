/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wrong_types.bpf.c - a program whose BLOCKLIST_A names a key type of the
 * wrong size in its BTF (a u32 for a 24-byte key). The kernel refuses those
 * types at BPF_MAP_CREATE; the loader must warn and create the map
 * without them (test/teach.sh). The program passes every packet.
 */
#define BLOCKLIST_KEY_TYPE uint32_t
#include "fixture.bpf.h"

SEC("cgroup_skb/egress")
int pass_all(struct __sk_buff *skb)
{
	touch_maps(skb);
	return 1;
}
