/* SPDX-License-Identifier: MIT */
/*
 * unit.c - tests of the pure code, no root needed: the ELF reader on the real
 * object and on hand-broken copies of it, the perf ring reader on a synthetic
 * ring, the CPU list parser, the address parser and the disassembler.
 *
 * This file reads the object under test, holds what the tests share (unit.h)
 * and runs each test/unit_*.c in turn.
 *
 * Usage: unit BPF_OBJECT   (build/prog.bpf.o)
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "unit.h"

/* The counters of check.h, one set for every test/unit*.c. */
int check_failed;
int check_pass_cnt, check_fail_cnt;

/* ---- the object under test, and ways to break a copy of it ---------------- */

uint8_t *object;
size_t object_len;

uint8_t *copy_object(void)
{
	uint8_t *c = malloc(object_len);

	memcpy(c, object, object_len);
	return c;
}

Elf64_Ehdr get_ehdr(const uint8_t *o)
{
	Elf64_Ehdr eh;

	memcpy(&eh, o, sizeof(eh));
	return eh;
}

Elf64_Shdr get_shdr(const uint8_t *o, unsigned int i)
{
	Elf64_Ehdr eh = get_ehdr(o);
	Elf64_Shdr sh;

	memcpy(&sh, o + eh.e_shoff + i * sizeof(sh), sizeof(sh));
	return sh;
}

/* Index of the section called `name` (the test trusts its own object). */
unsigned int find_section(const uint8_t *o, const char *name)
{
	Elf64_Ehdr eh = get_ehdr(o);
	Elf64_Shdr names = get_shdr(o, eh.e_shstrndx);
	unsigned int i;

	for (i = 1; i < eh.e_shnum; i++) {
		Elf64_Shdr sh = get_shdr(o, i);

		if (strcmp((const char *)o + names.sh_offset + sh.sh_name, name) == 0)
			return i;
	}
	return 0;
}

/* A pipe's read end holding `data`: what addr_file_read() and text_line() read. */
int fd_with(const char *data, size_t len)
{
	int p[2];

	if (pipe(p) || write(p[1], data, len) != (ssize_t)len)
		abort();
	close(p[1]);
	return p[0];
}

static int read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	object = malloc((size_t)n);
	object_len = fread(object, 1, (size_t)n, f);
	fclose(f);
	return object_len == (size_t)n ? 0 : -1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2 || read_file(argv[1])) {
		fprintf(stderr, "usage: unit BPF_OBJECT (cannot read %s)\n",
			argc > 1 ? argv[1] : "");
		return 2;
	}
	unit_elf();
	unit_ring();
	unit_addr();
	unit_text();
	unit_sort();
	unit_mem();
	unit_lz();
	unit_disasm();
	unit_btf();
	free(object);
	return check_fail_cnt ? 1 : 0;
}
