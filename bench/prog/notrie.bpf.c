/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench/prog/notrie.bpf.c - prog.bpf.c without its lookups in the tries:
 * what the trie costs on a miss (bench/prog_cost). It also serves the test
 * that the loader refuses a program leaving some of its seven maps unused.
 *
 * prog.bpf.c is included whole; a lookup in BLOCKNETS_A or _B finds
 * nothing. The comparison of distinct maps' addresses folds at compile
 * time, so the lookups, and every reference to the tries, are gone.
 */
#define bpf_map_lookup_elem(map, key)                                                              \
	((void *)(map) == (void *)&BLOCKNETS_A || (void *)(map) == (void *)&BLOCKNETS_B            \
		 ? (void *)0                                                                       \
		 : (bpf_map_lookup_elem)(map, key))

#include "../../prog.bpf.c"
