/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bad_prog.bpf.c - a program the verifier must reject, with the same maps as
 * prog.bpf.c (fixture.bpf.h) so that the loader gets as far as BPF_PROG_LOAD.
 * It returns a packet length, which a cgroup SKB program may not do (only 0
 * to 3), and so exercises the verifier-log path of the loader.
 */
#include "fixture.bpf.h"

SEC("cgroup_skb/egress")
int bad_egress(struct __sk_buff *skb)
{
	touch_maps(skb);
	return (int)skb->len;
}
