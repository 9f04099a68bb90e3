/* SPDX-License-Identifier: MIT */
/*
 * libbpf_block.c - the peer for bench/peers.sh: what `cgroup-skb-egress
 * block` does, written the usual way with libbpf (Debian's libbpf-dev,
 * linked statically). Benchmark only; never part of the tool.
 *
 *   libbpf_block OBJECT CGROUP ADDR          one IPv4 address
 *   libbpf_block OBJECT CGROUP -f FILE [N]   IPv4 addresses, one per line,
 *                                            N entries (default: the count)
 *   libbpf_block ... --per-element            updates one by one, not batched
 *
 * OBJECT is prog.bpf.c with BTF-defined maps (bench/prog/; libbpf 1.x loads only
 * BTF-defined maps). Like `block`, it loads, fills BLOCKLIST, attaches to
 * the cgroup's egress hook (the attachment outlives the process) and exits.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static int die(const char *what, int err)
{
	fprintf(stderr, "libbpf_block: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

static int read_keys(const char *path, struct addr_key **keys, size_t *cnt)
{
	FILE *f = fopen(path, "r");
	char line[64];
	size_t cap = 0;

	if (!f)
		return -1;
	*cnt = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (*cnt == cap) {
			cap = cap ? cap * 2 : 1024;
			*keys = realloc(*keys, cap * sizeof(**keys));
			if (!*keys)
				return -1;
		}
		memset(&(*keys)[*cnt], 0, sizeof(**keys));
		(*keys)[*cnt].prefixlen = ADDR_FAMILY_BITS + 32;
		(*keys)[*cnt].family = ADDR_IPV4;
		if (inet_pton(AF_INET, line, (*keys)[*cnt].addr) == 1)
			(*cnt)++;
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct addr_key *keys = NULL;
	struct block_entry *zeros = NULL;
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *blocklist, *config;
	struct prog_config none = { .log = LOG_NONE };
	uint32_t zero = 0;
	size_t cnt = 0, i;
	int per_element = argc > 1 && strcmp(argv[argc - 1], "--per-element") == 0;
	int cg, rc;
	long err;

	if (per_element)
		argc--;
	if (argc < 4) {
		fprintf(stderr,
			"usage: libbpf_block OBJECT CGROUP ADDR|-f FILE [N] [--per-element]\n");
		return 2;
	}
	if (strcmp(argv[3], "-f") == 0) {
		if (argc < 5 || read_keys(argv[4], &keys, &cnt))
			return die("reading the address file", errno);
	} else {
		keys = calloc(1, sizeof(*keys));
		if (!keys)
			return die("allocating", ENOMEM);
		keys->prefixlen = ADDR_FAMILY_BITS + 32;
		keys->family = ADDR_IPV4;
		if (inet_pton(AF_INET, argv[3], keys->addr) != 1) {
			free(keys);
			return die("parsing the address", EINVAL);
		}
		cnt = 1;
	}
	if (!cnt) {
		free(keys);
		return die("reading the addresses", ENOENT);
	}
	obj = bpf_object__open_file(argv[1], NULL);
	err = libbpf_get_error(obj);
	if (err) {
		rc = die("opening the object", (int)err);
		goto out;
	}
	blocklist = bpf_object__find_map_by_name(obj, BLOCKLIST_MAP_NAME);
	prog = bpf_object__find_program_by_name(obj, "block_skb");
	if (!blocklist || !prog) {
		rc = die("finding BLOCKLIST and block_skb", ENOENT);
		goto out;
	}
	if (cnt > BLOCKLIST_DEFAULT_ENTRIES)
		bpf_map__set_max_entries(blocklist, argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10)
							     : (uint32_t)cnt);
	bpf_program__set_expected_attach_type(prog, BPF_CGROUP_INET_EGRESS);
	err = bpf_object__load(obj);
	if (err) {
		rc = die("loading", (int)err);
		goto out;
	}
	/* Like `block`: no events until someone reads them. */
	config = bpf_object__find_map_by_name(obj, CONFIG_MAP_NAME);
	if (!config || bpf_map_update_elem(bpf_map__fd(config), &zero, &none, BPF_ANY)) {
		rc = die("writing CONFIG", errno);
		goto out;
	}
	zeros = calloc(cnt, sizeof(*zeros));
	if (!zeros) {
		rc = die("allocating", ENOMEM);
		goto out;
	}
	if (per_element) {
		for (i = 0; i < cnt; i++)
			if (bpf_map_update_elem(bpf_map__fd(blocklist), &keys[i], &zeros[i],
						BPF_ANY)) {
				rc = die("updating BLOCKLIST", errno);
				goto out;
			}
	} else {
		uint32_t n = (uint32_t)cnt;

		if (bpf_map_update_batch(bpf_map__fd(blocklist), keys, zeros, &n, NULL)) {
			rc = die("updating BLOCKLIST in a batch", errno);
			goto out;
		}
	}
	cg = open(argv[2], O_RDONLY | O_DIRECTORY);
	if (cg < 0) {
		rc = die("opening the cgroup", errno);
		goto out;
	}
	if (bpf_prog_attach(bpf_program__fd(prog), cg, BPF_CGROUP_INET_EGRESS, 0))
		rc = die("attaching", errno);
	else
		rc = 0;
	close(cg);
	/* The object is not closed: the attachment keeps the program and its maps. */
out:
	free(zeros);
	free(keys);
	return rc;
}
