/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench/prog/btf_maps.bpf.h - prog.bpf.c's maps as BTF-defined ones in
 * ".maps", the only kind libbpf 1.x (and so bpftool) loads, for the
 * benchmarks against them. The Makefile puts this in place of prog.bpf.c's
 * legacy definitions (bench/prog/drop_maps.awk). The two macros are libbpf's
 * bpf_helpers.h ones: a map's attributes are encoded in the BTF of its
 * members' types.
 */
#define __uint(name, val) int(*name)[val]
#define __type(name, val) __typeof__(val) *name
/* bpftool cannot resize a map at load: a build for large lists says how large. */
#ifndef PROG_BTF_ENTRIES
#define PROG_BTF_ENTRIES BLOCKLIST_DEFAULT_ENTRIES
#endif
/* The blocklist's two sets; set B stays empty in the benchmarks. */
#define BTF_SINGLES(name, entries)                                                                 \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, entries);                                                      \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                              \
		__type(key, struct addr_key);                                                      \
		__type(value, struct block_entry);                                                 \
	} name SEC(".maps")
#define BTF_PREFIXES(name)                                                                         \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);                                               \
		__uint(max_entries, BLOCKLIST_DEFAULT_ENTRIES);                                    \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                              \
		__type(key, struct addr_key);                                                      \
		__type(value, struct block_entry);                                                 \
	} name SEC(".maps")
BTF_SINGLES(BLOCKLIST_A, PROG_BTF_ENTRIES);
BTF_PREFIXES(BLOCKNETS_A);
BTF_SINGLES(BLOCKLIST_B, BLOCKLIST_DEFAULT_ENTRIES);
BTF_PREFIXES(BLOCKNETS_B);
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, uint32_t);
	__type(value, struct active_set);
} ACTIVE SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, uint32_t);
	__type(value, struct prog_config);
} CONFIG SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(uint32_t));
	__uint(value_size, sizeof(uint32_t));
} EVENTS SEC(".maps");
/* Unused here (the ring buffer's program is left out), but the shared code names it. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} EVENTS_RING SEC(".maps");
