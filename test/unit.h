/* SPDX-License-Identifier: MIT */
/*
 * unit.h - what the unit tests (test/unit*.c) share: the object under test,
 * read by test/unit.c, the ways to look into a copy of it, and the runner of
 * each test/unit_*.c, which RUN()s that file's tests in order.
 */
#ifndef UNIT_H
#define UNIT_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

/* The object under test (build/prog.bpf.o), as read by main(). */
extern uint8_t *object;
extern size_t object_len;

/* A malloc()ed copy of the object, to break; the caller frees it. */
uint8_t *copy_object(void);
Elf64_Ehdr get_ehdr(const uint8_t *o);
Elf64_Shdr get_shdr(const uint8_t *o, unsigned int i);
/* Index of the section called `name` (the test trusts its own object). */
unsigned int find_section(const uint8_t *o, const char *name);

/* A pipe's read end holding `data`: what addr_file_read() and text_line() read. */
int fd_with(const char *data, size_t len);

void unit_elf(void);	/* test/unit_elf.c: the ELF reader */
void unit_ring(void);	/* test/unit_ring.c: the perf ring reader and CPU lists */
void unit_addr(void);	/* test/unit_addr.c: the address parser and address files */
void unit_text(void);	/* test/unit_text.c: formatted output and line reading */
void unit_sort(void);	/* test/unit_sort.c: sorting and searching keys */
void unit_mem(void);	/* test/unit_mem.c: the heap */
void unit_disasm(void); /* test/unit_disasm.c: the disassembler */
void unit_btf(void);	/* test/unit_btf.c: the BTF reader */
void unit_lz(void);	/* test/unit_lz.c: unpacking the embedded object */

#endif
