/* SPDX-License-Identifier: MIT */
/*
 * unit_disasm.c - tests of the disassembler (disasm.c): the kernel's syntax,
 * every opcode, and the real program.
 */
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "disasm.h"
#include "elf_min.h"
#include "unit.h"

/* ---- disassembler -------------------------------------------------------------- */

#define INSN(c, d, s, o, i)                                                                        \
	{                                                                                          \
		.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)                \
	}

/* Disassembles slot i of an exact-size heap copy of insns, so that ASan sees any over-read. */
static size_t disasm_copy(const struct bpf_insn *insns, size_t cnt, size_t i,
			  const struct disasm_maps *maps, char *line, size_t len)
{
	uint8_t *copy = malloc(cnt * sizeof(*insns) + 1);
	size_t used;

	if (!copy)
		abort();
	memcpy(copy, insns, cnt * sizeof(*insns));
	used = disasm_insn(copy, cnt, i, maps, line, len);
	free(copy);
	return used;
}

/* Slot 0 of insns prints as want and takes want_used slots; says what it got if not. */
static int disasm_is(const struct bpf_insn *insns, size_t cnt, const struct disasm_maps *maps,
		     const char *want, size_t want_used)
{
	char line[96];
	size_t used = disasm_copy(insns, cnt, 0, maps, line, sizeof(line));

	if (strcmp(line, want) == 0 && used == want_used)
		return 1;
	printf("    disasm: got \"%s\" (%zu slots), want \"%s\" (%zu)\n", line, used, want,
	       want_used);
	return 0;
}

/* The examples of the kernel's syntax, one slot each. */
static const struct {
	struct bpf_insn insn;
	const char *text;
} disasm_cases[] = {
	{ INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0), "r1 = r10" },
	{ INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4), "r2 += -4" },
	{ INSN(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, 1), "w0 = 1" },
	{ INSN(BPF_ALU | BPF_MOV | BPF_X, 1, 2, 0, 0), "w1 = w2" },
	{ INSN(BPF_ALU64 | BPF_ARSH | BPF_K, 1, 0, 0, 3), "r1 s>>= 3" },
	{ INSN(BPF_ALU64 | BPF_LSH | BPF_K, 3, 0, 0, 32), "r3 <<= 32" },
	{ INSN(BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, 65535), "r1 &= 65535" },
	{ INSN(BPF_ALU64 | BPF_MOV | BPF_K, 9, 0, 0, INT32_MIN), "r9 = -2147483648" },
	{ INSN(BPF_ALU64 | BPF_NEG | BPF_K, 1, 0, 0, 0), "r1 = -r1" },
	{ INSN(BPF_ALU | BPF_NEG | BPF_K, 7, 0, 0, 0), "w7 = -w7" },
	{ INSN(BPF_ALU | BPF_END | BPF_TO_BE, 1, 0, 0, 16), "r1 = be16 r1" },
	{ INSN(BPF_ALU | BPF_END | BPF_TO_LE, 1, 0, 0, 32), "r1 = le32 r1" },
	{ INSN(BPF_ALU | BPF_END | BPF_TO_BE, 10, 0, 0, 64), "r10 = be64 r10" },
	{ INSN(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 16, 0), "r0 = *(u32 *)(r1 +16)" },
	{ INSN(BPF_LDX | BPF_MEM | BPF_H, 2, 3, -2, 0), "r2 = *(u16 *)(r3 -2)" },
	{ INSN(BPF_LDX | BPF_MEM | BPF_B, 4, 5, 0, 0), "r4 = *(u8 *)(r5 +0)" },
	{ INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 10, -32768, 0), "r1 = *(u64 *)(r10 -32768)" },
	{ INSN(BPF_STX | BPF_MEM | BPF_W, 10, 1, -4, 0), "*(u32 *)(r10 -4) = r1" },
	{ INSN(BPF_STX | BPF_MEM | BPF_H, 1, 2, 6, 0), "*(u16 *)(r1 +6) = r2" },
	{ INSN(BPF_STX | BPF_MEM | BPF_B, 10, 7, -20, 0), "*(u8 *)(r10 -20) = r7" },
	{ INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 9, -8, 0), "*(u64 *)(r10 -8) = r9" },
	{ INSN(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 0), "*(u64 *)(r10 -8) = 0" },
	{ INSN(BPF_ST | BPF_MEM | BPF_W, 1, 0, 32767, -1), "*(u32 *)(r1 +32767) = -1" },
	{ INSN(BPF_ST | BPF_MEM | BPF_H, 2, 0, 2, 258), "*(u16 *)(r2 +2) = 258" },
	{ INSN(BPF_ST | BPF_MEM | BPF_B, 3, 0, -1, 7), "*(u8 *)(r3 -1) = 7" },
	{ INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 0, BPF_ADD), "lock *(u64 *)(r1 +0) += r2" },
	{ INSN(BPF_STX | BPF_XADD | BPF_W, 0, 1, 4, BPF_ADD), "lock *(u32 *)(r0 +4) += r1" },
	{ INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5, 0), "if r0 == 0x0 goto pc+5" },
	{ INSN(BPF_JMP | BPF_JNE | BPF_X, 1, 2, -3, 0), "if r1 != r2 goto pc-3" },
	{ INSN(BPF_JMP32 | BPF_JGT | BPF_K, 1, 0, 2, 5), "if w1 > 0x5 goto pc+2" },
	{ INSN(BPF_JMP | BPF_JSGT | BPF_K, 0, 0, 1, -1), "if r0 s> 0xffffffff goto pc+1" },
	{ INSN(BPF_JMP | BPF_JA, 0, 0, 7, 0), "goto pc+7" },
	{ INSN(BPF_JMP | BPF_JA, 0, 0, -1, 0), "goto pc-1" },
	{ INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0), "goto pc+0" },
	{ INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0), "exit" },
	{ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
	  "call bpf_map_lookup_elem#1" },
	{ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_perf_event_output),
	  "call bpf_perf_event_output#25" },
	{ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_skb_load_bytes),
	  "call bpf_skb_load_bytes#26" },
	{ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, 12), "call #12" },
	{ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, -1), "call #-1" },
	{ INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 5), "call pc+5" },
	{ INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, INT32_MIN), "call pc-2147483648" },
	/* Not decoded: the line says so and names the opcode. */
	{ INSN(0, 0, 0, 0, 0), "invalid (code 0x00)" },
	{ INSN(0xff, 0, 0, 0, 0), "invalid (code 0xff)" },
	{ INSN(BPF_ALU64 | 0xe0 | BPF_K, 1, 0, 0, 0), "invalid (code 0xe7)" },
	{ INSN(BPF_ALU64 | BPF_END | BPF_TO_LE, 1, 0, 0, 16), "invalid (code 0xd7)" }, /* bswap */
	{ INSN(BPF_ALU64 | BPF_DIV | BPF_K, 1, 0, 1, 3), "invalid (code 0x37)" },      /* sdiv */
	{ INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 2, 8, 0), "invalid (code 0xbf)" },      /* movsx */
	{ INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 12), "invalid (code 0x20)" },
	{ INSN(BPF_LDX | 0x80 | BPF_W, 0, 1, 0, 0), "invalid (code 0x81)" }, /* ldsx */
	{ INSN(BPF_ST | BPF_ATOMIC | BPF_W, 1, 0, 0, 0), "invalid (code 0xc2)" },
	{ INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 0, BPF_ADD | BPF_FETCH),
	  "invalid (code 0xdb)" },
	{ INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 0, BPF_XCHG), "invalid (code 0xdb)" },
	{ INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, 4), "invalid (code 0x06)" }, /* gotol */
	{ INSN(BPF_JMP | BPF_JA | BPF_X, 1, 0, 0, 0), "invalid (code 0x0d)" },
	{ INSN(BPF_JMP | BPF_CALL, 0, 2, 0, 1), "invalid (code 0x85)" }, /* kfunc */
	{ INSN(BPF_JMP | BPF_CALL | BPF_X, 1, 0, 0, 0), "invalid (code 0x8d)" },
	{ INSN(BPF_JMP32 | BPF_CALL, 0, 0, 0, 1), "invalid (code 0x86)" },
	{ INSN(BPF_JMP32 | BPF_EXIT, 0, 0, 0, 0), "invalid (code 0x96)" },
	{ INSN(BPF_JMP | 0xe0 | BPF_K, 0, 0, 0, 0), "invalid (code 0xe5)" },
	/* Registers past r10 exist in no instruction. */
	{ INSN(BPF_ALU64 | BPF_MOV | BPF_X, 11, 1, 0, 0), "invalid (code 0xbf)" },
	{ INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 15, 0, 0), "invalid (code 0xbf)" },
	{ INSN(BPF_LDX | BPF_MEM | BPF_W, 0, 12, 0, 0), "invalid (code 0x61)" },
	{ INSN(BPF_JMP | BPF_EXIT, 15, 15, 0, 0), "invalid (code 0x95)" },
};

static void disasm_prints_the_kernels_syntax(void)
{
	size_t i;

	for (i = 0; i < sizeof(disasm_cases) / sizeof(disasm_cases[0]); i++)
		CHECK(disasm_is(&disasm_cases[i].insn, 1, NULL, disasm_cases[i].text, 1));
}

/* Every operator of both ALU classes and both jump classes, with an imm and with a register. */
static void disasm_prints_every_operator(void)
{
	static const struct {
		uint8_t op;
		const char *text;
	} alu[] = { { BPF_ADD, "+=" }, { BPF_SUB, "-=" }, { BPF_MUL, "*=" },  { BPF_DIV, "/=" },
		    { BPF_OR, "|=" },  { BPF_AND, "&=" }, { BPF_LSH, "<<=" }, { BPF_RSH, ">>=" },
		    { BPF_MOD, "%=" }, { BPF_XOR, "^=" }, { BPF_MOV, "=" },   { BPF_ARSH, "s>>=" } },
	  jmp[] = { { BPF_JEQ, "==" }, { BPF_JGT, ">" },   { BPF_JGE, ">=" },	{ BPF_JSET, "&" },
		    { BPF_JNE, "!=" }, { BPF_JSGT, "s>" }, { BPF_JSGE, "s>=" }, { BPF_JLT, "<" },
		    { BPF_JLE, "<=" }, { BPF_JSLT, "s<" }, { BPF_JSLE, "s<=" } };
	char want[64];
	size_t i, c;

	for (c = 0; c < 2; c++) {
		uint8_t cls = c ? BPF_ALU : BPF_ALU64, jcls = c ? BPF_JMP32 : BPF_JMP;
		char w = c ? 'w' : 'r';

		for (i = 0; i < sizeof(alu) / sizeof(alu[0]); i++) {
			struct bpf_insn k = INSN(cls | alu[i].op | BPF_K, 3, 0, 0, -7),
					x = INSN(cls | alu[i].op | BPF_X, 10, 9, 0, 0);

			snprintf(want, sizeof(want), "%c3 %s -7", w, alu[i].text);
			CHECK(disasm_is(&k, 1, NULL, want, 1));
			snprintf(want, sizeof(want), "%c10 %s %c9", w, alu[i].text, w);
			CHECK(disasm_is(&x, 1, NULL, want, 1));
		}
		for (i = 0; i < sizeof(jmp) / sizeof(jmp[0]); i++) {
			struct bpf_insn k = INSN(jcls | jmp[i].op | BPF_K, 4, 0, 12, 0x7f),
					x = INSN(jcls | jmp[i].op | BPF_X, 0, 10, -12, 0);

			snprintf(want, sizeof(want), "if %c4 %s 0x7f goto pc+12", w, jmp[i].text);
			CHECK(disasm_is(&k, 1, NULL, want, 1));
			snprintf(want, sizeof(want), "if %c0 %s %c10 goto pc-12", w, jmp[i].text,
				 w);
			CHECK(disasm_is(&x, 1, NULL, want, 1));
		}
	}
}

/* ld_imm64: the value of both slots, or the map an fd stands for; never a read past the end. */
static void disasm_reads_ld_imm64_whole(void)
{
	static const int fds[] = { 3, 5 };
	static const uint32_t ids[] = { 17, 42 };
	const struct disasm_maps maps = { fds, ids, 2 };
	struct bpf_insn two[2] = { INSN(BPF_LD | BPF_IMM | BPF_DW, 1, 0, 0, (int32_t)0x89abcdef),
				   INSN(0, 0, 0, 0, 0x01234567) };
	char line[64];

	CHECK(disasm_is(two, 2, NULL, "r1 = 0x123456789abcdef", 2));
	two[0].imm = -1;
	two[1].imm = -1;
	two[0].dst_reg = 3;
	CHECK(disasm_is(two, 2, NULL, "r3 = 0xffffffffffffffff", 2));
	two[0].imm = 0;
	two[1].imm = 0;
	two[0].dst_reg = 1;
	CHECK(disasm_is(two, 2, NULL, "r1 = 0x0", 2));
	/* After relocation: the id of the map whose fd it holds, else the fd. */
	two[0].src_reg = BPF_PSEUDO_MAP_FD;
	two[0].imm = 5;
	CHECK(disasm_is(two, 2, &maps, "r1 = map[id:42]", 2));
	two[0].imm = 3;
	CHECK(disasm_is(two, 2, &maps, "r1 = map[id:17]", 2));
	two[0].imm = 9;
	CHECK(disasm_is(two, 2, &maps, "r1 = map[fd:9]", 2));
	two[0].imm = 5;
	CHECK(disasm_is(two, 2, NULL, "r1 = map[fd:5]", 2));
	/* Other pseudo sources (a map value, a BTF id, ...) keep their number in sight. */
	two[0].src_reg = BPF_PSEUDO_MAP_VALUE;
	two[0].imm = 7;
	CHECK(disasm_is(two, 2, &maps, "r1 = 0x7 (src_reg 2)", 2));
	/* In the last slot it is cut short, and uses one slot (ASan checks the read). */
	two[0].src_reg = 0;
	CHECK(disasm_is(two, 1, NULL, "invalid (code 0x18)", 1));
	CHECK(disasm_copy(two, 2, 1, NULL, line, sizeof(line)) == 1 &&
	      strcmp(line, "invalid (code 0x00)") == 0);
	/* A second slot with anything but the value in it is no ld_imm64. */
	two[1].code = BPF_JMP | BPF_EXIT;
	CHECK(disasm_is(two, 2, NULL, "invalid (code 0x18)", 1));
	two[1].code = 0;
	two[1].src_reg = 1;
	CHECK(disasm_is(two, 2, NULL, "invalid (code 0x18)", 1));
	/* The ld_imm64 of 4 bytes: BPF_W, not BPF_DW. */
	two[1].src_reg = 0;
	two[0].code = BPF_LD | BPF_IMM | BPF_W;
	CHECK(disasm_is(two, 2, NULL, "invalid (code 0x00)", 1));
}

/* Any buffer, however small, is terminated and never overrun; past the last slot is no read. */
static void disasm_truncates_safely(void)
{
	const struct bpf_insn ldx = INSN(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 16, 0);
	char buf[32];

	memset(buf, 'x', sizeof(buf));
	CHECK(disasm_copy(&ldx, 1, 0, NULL, buf, 1) == 1 && buf[0] == '\0' && buf[1] == 'x');
	memset(buf, 'x', sizeof(buf));
	CHECK(disasm_copy(&ldx, 1, 0, NULL, buf, 5) == 1 && strcmp(buf, "r0 =") == 0 &&
	      buf[5] == 'x');
	memset(buf, 'x', sizeof(buf));
	CHECK(disasm_copy(&ldx, 1, 0, NULL, buf, 0) == 1 && buf[0] == 'x');
	CHECK(disasm_insn(NULL, 0, 0, NULL, NULL, 0) == 1);
	CHECK(disasm_copy(&ldx, 1, 1, NULL, buf, sizeof(buf)) == 1 &&
	      strcmp(buf, "invalid (code 0x00)") == 0);
	CHECK(disasm_copy(&ldx, 1, SIZE_MAX, NULL, buf, sizeof(buf)) == 1);
}

/* Every byte pattern of the opcode and register fields decodes to something, in bounds. */
static void disasm_survives_every_opcode(void)
{
	struct bpf_insn two[2] = { INSN(0, 0, 0, 0, 0), INSN(0, 0, 0, 0, 0) };
	unsigned int code, regs;
	char line[64];

	for (code = 0; code < 256; code++)
		for (regs = 0; regs < 256; regs++) {
			size_t used;

			two[0].code = (uint8_t)code;
			two[0].dst_reg = regs & 15;
			two[0].src_reg = regs >> 4;
			two[0].off = (int16_t)(code * 257);
			two[0].imm = (int32_t)(code * 0x01010101u);
			used = disasm_copy(two, 2, 0, NULL, line, sizeof(line));
			CHECK(used == 1 || (used == 2 && code == (BPF_LD | BPF_IMM | BPF_DW)));
			CHECK(strlen(line) > 0 && strlen(line) < 48);
		}
}

/* The real program, slot by slot: all of it decodes, and the map loads are ld_imm64s. */
static void disasm_reads_the_real_program(void)
{
	struct elf_obj obj;
	char err[512], line[96];
	int fds[ELF_MAX_MAPS];
	uint32_t ids[ELF_MAX_MAPS];
	struct disasm_maps maps = { fds, ids, 0 };
	size_t i, r, used, wide = 0, named = 0;

	CHECK(elf_obj_parse(&obj, object, object_len, "cgroup/skb", err, sizeof(err)) == 0);
	if (!obj.insns)
		return;
	for (i = 0; i < obj.insn_cnt; i += used) {
		used = disasm_insn(obj.insns, obj.insn_cnt, i, NULL, line, sizeof(line));
		if (strstr(line, "invalid"))
			printf("    disasm: instruction %zu: %s\n", i, line);
		CHECK(!strstr(line, "invalid"));
		wide += used == 2;
	}
	CHECK(i == obj.insn_cnt);
	/* clang leaves "rN = 0x0" for each map; the other ld_imm64s are 64-bit constants. */
	CHECK(obj.reloc_cnt == 14 && wide >= obj.reloc_cnt);
	for (r = 0; r < obj.reloc_cnt; r++) {
		const struct map_reloc *rel = &obj.relocs[r];

		CHECK(disasm_insn(obj.insns, obj.insn_cnt, rel->insn_index, NULL, line,
				  sizeof(line)) == 2);
		CHECK(strlen(line) == 8 && line[0] == 'r' && strcmp(line + 2, " = 0x0") == 0);
	}
	/* Relocated as the loader does it, each names its map by id. */
	for (i = 0; i < obj.map_cnt; i++) {
		fds[i] = 100 + (int)i;
		ids[i] = 500 + (uint32_t)i;
	}
	maps.cnt = obj.map_cnt;
	for (r = 0; r < obj.reloc_cnt; r++) {
		struct bpf_insn insn;
		uint8_t *at = obj.insns + (size_t)obj.relocs[r].insn_index * sizeof(insn);
		char want[32];

		memcpy(&insn, at, sizeof(insn));
		insn.src_reg = BPF_PSEUDO_MAP_FD;
		insn.imm = fds[obj.relocs[r].map_index];
		memcpy(at, &insn, sizeof(insn));
		CHECK(disasm_insn(obj.insns, obj.insn_cnt, obj.relocs[r].insn_index, &maps, line,
				  sizeof(line)) == 2);
		snprintf(want, sizeof(want), "r%u = map[id:%u]", (unsigned int)insn.dst_reg,
			 ids[obj.relocs[r].map_index]);
		CHECK(strcmp(line, want) == 0);
	}
	for (i = 0; i < obj.insn_cnt; i += used) {
		used = disasm_insn(obj.insns, obj.insn_cnt, i, &maps, line, sizeof(line));
		named += strstr(line, "map[id:") != NULL;
		CHECK(!strstr(line, "invalid"));
	}
	CHECK(named == obj.reloc_cnt);
	elf_obj_free(&obj);
}

void unit_disasm(void)
{
	RUN(disasm_prints_the_kernels_syntax);
	RUN(disasm_prints_every_operator);
	RUN(disasm_reads_ld_imm64_whole);
	RUN(disasm_truncates_safely);
	RUN(disasm_survives_every_opcode);
	RUN(disasm_reads_the_real_program);
}
