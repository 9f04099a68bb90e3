/* SPDX-License-Identifier: MIT */
/*
 * disasm.c - one BPF instruction as text, in the syntax of the kernel's
 * kernel/bpf/disasm.c (print_bpf_insn) as `bpftool prog dump xlated` shows
 * it, without the "(opcode)" prefix.
 *
 * The loader's -vv trace prints the program before and after relocation, so
 * that a reader can set it beside bpftool's dump of the loaded program. The
 * kernel's own file needs stdio and names every helper: far too large for the
 * 128 KiB binary. This one decodes the instruction set clang emits for
 * -mcpu=v1 to v3, less the atomics other than add, names the three helpers
 * prog.bpf.c calls, and prints anything else (v4's sdiv, smod, movsx, bswap
 * and gotol; the other atomics; kfunc calls; the legacy packet loads) as
 * "invalid (code 0x..)" rather than guess.
 *
 * The bytes come from a file: every field is checked before it picks a string.
 */
#include "disasm.h"

#include <linux/bpf.h>
#include <string.h>

#include "text.h"

/* By BPF_OP() >> 4. "" marks a code that is no operator of its class. */
static const char alu_ops[14][5] = { "+=",  "-=", "*=", "/=", "|=", "&=",   "<<=",
				     ">>=", "",	  "%=", "^=", "=",  "s>>=", "" };
static const char jmp_ops[14][4] = { "",    "==", ">", ">=", "&",  "!=", "s>",
				     "s>=", "",	  "",  "<",  "<=", "s<", "s<=" };
/* By BPF_SIZE() >> 3. */
static const char sizes[4][4] = { "u32", "u16", "u8", "u64" };

/* The helpers prog.bpf.c calls; any other prints as "call #N". */
static const char *helper(int32_t id)
{
	return id == BPF_FUNC_map_lookup_elem	  ? "bpf_map_lookup_elem"
	       : id == BPF_FUNC_perf_event_output ? "bpf_perf_event_output"
	       : id == BPF_FUNC_skb_load_bytes	  ? "bpf_skb_load_bytes"
						  : "";
}

size_t disasm_insn(const uint8_t *insns, size_t slot_cnt, size_t i, const struct disasm_maps *maps,
		   char *buf, size_t len)
{
	struct bpf_insn in, hi;
	/* The memory operand "(u32 *)(r1 +16)", or the jump target "pc+5". */
	char a[32];
	unsigned int code = 0, cls, op, dst, src, mag;
	int32_t imm, disp;
	char w, sign;
	size_t k;

	if (i >= slot_cnt)
		goto invalid;
	memcpy(&in, insns + i * sizeof(in), sizeof(in));
	code = in.code;
	cls = BPF_CLASS(code);
	op = BPF_OP(code);
	dst = in.dst_reg;
	src = in.src_reg;
	imm = in.imm;
	/* 32-bit ALU and JMP32 name their registers w0..w10. */
	w = "rrrrwrwr"[cls];
	/* A call of a BPF function jumps by imm; everything else by off. */
	disp = code == (BPF_JMP | BPF_CALL) ? imm : in.off;
	/* The kernel prints it with "%+d", which text_format() lacks. */
	sign = disp < 0 ? '-' : '+';
	mag = disp < 0 ? 0u - (uint32_t)disp : (uint32_t)disp;
	if (dst > BPF_REG_10 || src > BPF_REG_10)
		goto invalid;
	if (cls < BPF_ALU)
		text_format(a, sizeof(a), "(%s *)(r%u %c%u)", sizes[BPF_SIZE(code) >> 3],
			    cls == BPF_LDX ? src : dst, sign, mag);
	else
		text_format(a, sizeof(a), "pc%c%u", sign, mag);

	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		/* off selects v4's sdiv, smod and movsx. */
		if (in.off || op > BPF_END)
			break;
		if (op == BPF_END && cls == BPF_ALU) {
			text_format(buf, len, "r%u = %s%d r%u", dst,
				    BPF_SRC(code) == BPF_TO_BE ? "be" : "le", imm, dst);
			return 1;
		}
		if (op == BPF_NEG) {
			text_format(buf, len, "%c%u = -%c%u", w, dst, w, dst);
			return 1;
		}
		/* ALU64's BPF_END is v4's bswap: "" in the table. */
		if (!alu_ops[op >> 4][0])
			break;
		if (BPF_SRC(code) == BPF_X)
			text_format(buf, len, "%c%u %s %c%u", w, dst, alu_ops[op >> 4], w, src);
		else
			text_format(buf, len, "%c%u %s %d", w, dst, alu_ops[op >> 4], imm);
		return 1;
	case BPF_LDX:
		if (BPF_MODE(code) != BPF_MEM)
			break;
		text_format(buf, len, "r%u = *%s", dst, a);
		return 1;
	case BPF_ST:
		if (BPF_MODE(code) != BPF_MEM)
			break;
		text_format(buf, len, "*%s = %d", a, imm);
		return 1;
	case BPF_STX:
		if (BPF_MODE(code) == BPF_MEM) {
			text_format(buf, len, "*%s = r%u", a, src);
			return 1;
		}
		if (BPF_MODE(code) != BPF_ATOMIC || imm != BPF_ADD)
			break;
		text_format(buf, len, "lock *%s += r%u", a, src);
		return 1;
	case BPF_LD:
		if (code != (BPF_LD | BPF_IMM | BPF_DW) || i + 1 >= slot_cnt)
			break;
		memcpy(&hi, insns + (i + 1) * sizeof(hi), sizeof(hi));
		/* The second slot holds nothing but the upper half of the value. */
		if (hi.code || hi.dst_reg || hi.src_reg || hi.off)
			break;
		if (src == BPF_PSEUDO_MAP_FD) {
			const char *kind = "fd";
			uint32_t v = (uint32_t)imm;

			/* An id of 0 means the kernel would not say: the fd, then. */
			for (k = 0; maps && k < maps->cnt; k++)
				if (maps->fds[k] == imm && maps->ids[k]) {
					kind = "id";
					v = maps->ids[k];
				}
			text_format(buf, len, "r%u = map[%s:%u]", dst, kind, v);
			return 2;
		}
		/* Other pseudo values (map value, BTF id, ...) keep their number in sight. */
		text_format(buf, len, src ? "r%u = 0x%llx (src_reg %u)" : "r%u = 0x%llx", dst,
			    (unsigned long long)(uint32_t)hi.imm << 32 | (uint32_t)imm, src);
		return 2;
	case BPF_JMP:
	case BPF_JMP32:
		if (code == (BPF_JMP | BPF_EXIT)) {
			text_format(buf, len, "exit");
			return 1;
		}
		if (code == (BPF_JMP | BPF_JA)) {
			text_format(buf, len, "goto %s", a);
			return 1;
		}
		if (code == (BPF_JMP | BPF_CALL)) {
			/* src_reg 2 calls a kfunc, named by a BTF id this file cannot read. */
			if (src > BPF_PSEUDO_CALL)
				break;
			if (src)
				text_format(buf, len, "call %s", a);
			else
				text_format(buf, len, "call %s#%d", helper(imm), imm);
			return 1;
		}
		/* Every other JA, CALL and EXIT (gotol, JMP32's, BPF_X's) lands on "" in the table. */
		if (op > BPF_JSLE || !jmp_ops[op >> 4][0])
			break;
		if (BPF_SRC(code) == BPF_X)
			text_format(buf, len, "if %c%u %s %c%u goto %s", w, dst, jmp_ops[op >> 4],
				    w, src, a);
		else
			text_format(buf, len, "if %c%u %s 0x%x goto %s", w, dst, jmp_ops[op >> 4],
				    (uint32_t)imm, a);
		return 1;
	}
invalid:
	text_format(buf, len, "invalid (code 0x%02x)", code);
	return 1;
}
