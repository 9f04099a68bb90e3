/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test/direct_only.bpf.c - prog.bpf.c whose bpf_skb_load_bytes() always
 * fails. A packet it cannot read directly then passes (the program returns
 * 1 for a packet it cannot read), so a drop it still makes was decided by
 * the direct reads: test/families.sh loads it with --object and
 * --packet-access direct, and with helper, where it must drop nothing.
 *
 * prog.bpf.c is included whole; its calls to bpf_skb_load_bytes(...) become
 * -1 through the function-like macro below (the helper's declaration, not
 * followed by '(', is left alone, and unused).
 */
#define bpf_skb_load_bytes(skb, off, to, len) (-1L)

#include "../prog.bpf.c"
