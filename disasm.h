/* SPDX-License-Identifier: MIT */
/*
 * disasm.h - one BPF instruction as one line of text, in the kernel's syntax.
 *
 * The loader's -vv trace prints the program before and after relocation the
 * way `bpftool prog dump xlated` shows it (kernel/bpf/disasm.c), so that what
 * the loader sent can be set beside what the kernel kept. Not line for line:
 * the kernel rewrites some instructions as it verifies (context accesses,
 * inlined map lookups), so the numbers drift apart after the first of those.
 */
#ifndef DISASM_H
#define DISASM_H

#include <stddef.h>
#include <stdint.h>

/* Map fds that a relocated `ld_imm64` may hold, and the ids the kernel gave those maps. */
struct disasm_maps {
	const int *fds;
	const uint32_t *ids;
	size_t cnt;
};

/*
 * Write instruction `i` of `insns` (slot_cnt 8-byte slots, raw bytes in the host's byte
 * order, UNTRUSTED: any byte values) as one line of text without newline into buf (len bytes,
 * always NUL-terminated, truncated safely, never overflowing).
 * Returns the number of slots it used: 2 for a complete ld_imm64, else 1. Never reads past
 * slot_cnt slots (an ld_imm64 in the last slot is printed as invalid/truncated and uses 1).
 * maps may be NULL: map fds then print as map[fd:N].
 */
size_t disasm_insn(const uint8_t *insns, size_t slot_cnt, size_t i, const struct disasm_maps *maps,
		   char *buf, size_t len);

#endif
