/* SPDX-License-Identifier: MIT */
/*
 * layout1_load.c - put on a cgroup what `block` of the first map layout
 * (the release of 2026-12-05, before issue 16) left there, so that the
 * upgrade path is tested against what is deployed:
 *
 *   layout1_load OBJECT CGROUP ADDR...
 *
 * OBJECT is test/layout1.bpf.c built (that release's prog.bpf.c, kept as it
 * was). Like that `block`: the maps BLOCKLIST (a hash of 24-byte keys and
 * 8-byte counters), BLOCKNETS (an LPM trie), CONFIG (2 x 24 bytes, log
 * none) and EVENTS (a perf event array, a slot per possible CPU); the
 * program named "block_skb.p", attached to the egress hook in single mode
 * and left there. Single addresses go to BLOCKLIST, prefixes to BLOCKNETS.
 * Exit 0, or 1 with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../addr.h"
#include "../bpf_sys.h"
#include "../common.h"
#include "../elf_min.h"
#include "../bench/relocate.h"

static int die(const char *what)
{
	fprintf(stderr, "layout1_load: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	struct elf_obj obj;
	char err[256];
	int fds[ELF_MAX_MAPS], cg, fd, prog, i;
	ssize_t len;
	size_t k;

	if (argc < 3) {
		fprintf(stderr, "usage: layout1_load OBJECT CGROUP ADDR...\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	len = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (len <= 0)
		return die(argv[1]);
	close(fd);
	if (elf_obj_parse(&obj, buf, (size_t)len, "cgroup/skb", err, sizeof(err))) {
		fprintf(stderr, "layout1_load: %s\n", err);
		return 1;
	}
	for (k = 0; k < obj.map_cnt; k++) {
		const struct map_def *m = &obj.maps[k];
		uint32_t max = m->max_entries;

		if (m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
			max = (uint32_t)sysconf(_SC_NPROCESSORS_CONF);
		if (m->type == BPF_MAP_TYPE_RINGBUF) {
			fds[k] = -1; /* the perf program does not use it */
			continue;
		}
		fds[k] = bpf_map_create(m->type, m->name, m->key_size, m->value_size, max,
					m->map_flags, NULL);
		if (fds[k] < 0)
			return die(m->name);
	}
	for (i = 3; i < argc; i++) {
		struct addr_key key;
		uint64_t zero = 0;
		char why[200];
		const char *name;

		if (addr_parse(argv[i], &key, why, sizeof(why))) {
			fprintf(stderr, "layout1_load: %s\n", why);
			return 2;
		}
		name = addr_is_single(&key) ? LAYOUT1_BLOCKLIST_NAME : LAYOUT1_BLOCKNETS_NAME;
		fd = fds[elf_obj_find_map(&obj, name) - obj.maps];
		if (bpf_map_update_elem(fd, &key, &zero, BPF_NOEXIST) < 0)
			return die(argv[i]);
	}
	{
		const uint32_t settings = CONFIG_SETTINGS;
		struct prog_config none = { .log = LOG_NONE, .direction = 0 };

		fd = fds[elf_obj_find_map(&obj, CONFIG_MAP_NAME) - obj.maps];
		if (bpf_map_update_elem(fd, &settings, &none, BPF_ANY) < 0)
			return die("CONFIG");
	}
	relocate_maps(&obj, fds);
	{
		struct prog_load_args a = { .type = BPF_PROG_TYPE_CGROUP_SKB,
					    .expected_attach_type = BPF_CGROUP_INET_EGRESS,
					    .insns = obj.insns,
					    .insn_cnt = (uint32_t)obj.insn_cnt,
					    .license = obj.license,
					    .name = "block_skb.p" };

		prog = bpf_prog_load(&a);
	}
	if (prog < 0)
		return die("BPF_PROG_LOAD");
	cg = open(argv[2], O_RDONLY | O_DIRECTORY);
	if (cg < 0 || bpf_prog_attach(prog, cg, BPF_CGROUP_INET_EGRESS, 0) < 0)
		return die(argv[2]);
	elf_obj_free(&obj);
	return 0;
}
