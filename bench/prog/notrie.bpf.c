/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench/prog/notrie.bpf.c - prog.bpf.c without its lookup in BLOCKNETS:
 * what the trie costs on a miss (bench/prog_cost). It also serves the test
 * that the loader refuses a program leaving one of its four maps unused.
 *
 * prog.bpf.c is included whole; a lookup in BLOCKNETS finds nothing. The
 * comparison of two distinct maps' addresses folds at compile time, so the
 * lookup, and every reference to BLOCKNETS from the program, is gone.
 */
#define bpf_map_lookup_elem(map, key)                                                              \
	((void *)(map) == (void *)&BLOCKNETS ? (void *)0 : (bpf_map_lookup_elem)(map, key))

#include "../../prog.bpf.c"
