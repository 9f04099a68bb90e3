/* SPDX-License-Identifier: MIT */
/*
 * verifier_ways.c - the program's two ways of reading a packet, before
 * verifiers this machine does not have (root):
 *
 *   verifier_ways OBJECT
 *
 * For each of OBJECT's two programs (perf rings, ring buffer), with its
 * load-time constant (prog.bpf.c, direct_access()) set to 0 and to 1:
 *   - as a socket filter, whose verifier refuses skb->data as a cgroup SKB
 *     verifier before Linux 5.2 did: with 0 the program must load, for the
 *     verifier must drop the direct reads unseen; with 1 it must be refused,
 *     or the test proves nothing;
 *   - as a cgroup SKB program with BPF_F_STRICT_ALIGNMENT, which checks
 *     packet loads as a MIPS or RISC-V verifier does: it must load either way.
 * One line per load; exit 0 when all is as it must be, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../bpf_sys.h"
#include "../common.h"
#include "../elf_min.h"
#include "../bench/relocate.h"

static char log_buf[1 << 16];

/* Load `section` of the object in buf with the constant set to `direct`; the fd or -1. */
static int load(const uint8_t *buf, size_t len, const char *section, int direct, uint32_t type,
		uint32_t flags)
{
	struct elf_obj obj;
	union bpf_attr attr;
	char err[256];
	int fds[ELF_MAX_MAPS], fd = -1;
	size_t made = 0;

	if (elf_obj_parse(&obj, buf, len, section, err, sizeof(err))) {
		fprintf(stderr, "verifier_ways: %s\n", err);
		return -1;
	}
	for (; made < obj.map_cnt; made++) {
		const struct map_def *m = &obj.maps[made];
		uint32_t max = m->type == BPF_MAP_TYPE_RINGBUF ? 4096
			       : m->max_entries		       ? m->max_entries
							       : 1;

		fds[made] = bpf_map_create(m->type, m->name, m->key_size, m->value_size, max,
					   m->map_flags, NULL);
		if (fds[made] < 0) {
			fprintf(stderr, "verifier_ways: map %s: %s\n", m->name, strerror(errno));
			goto out;
		}
	}
	relocate_maps(&obj, fds);
	set_direct_access(&obj, direct);
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	if (type == BPF_PROG_TYPE_CGROUP_SKB)
		attr.expected_attach_type = BPF_CGROUP_INET_EGRESS;
	attr.insns = ptr_to_u64(obj.insns);
	attr.insn_cnt = (uint32_t)obj.insn_cnt;
	attr.license = ptr_to_u64(obj.license);
	attr.prog_flags = flags;
	attr.log_buf = ptr_to_u64(log_buf);
	attr.log_size = sizeof(log_buf);
	attr.log_level = 1;
	log_buf[0] = '\0';
	fd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
out:
	while (made > 0)
		close(fds[--made]);
	elf_obj_free(&obj);
	return fd;
}

/* The verifier's reason: the last line of its log but the summary. */
static const char *reason(void)
{
	char *end = log_buf + strlen(log_buf), *p;

	while (end > log_buf && end[-1] == '\n')
		*--end = '\0';
	p = strrchr(log_buf, '\n');
	if (p && strncmp(p + 1, "processed ", 10) == 0) {
		*p = '\0';
		p = strrchr(log_buf, '\n');
	}
	return p ? p + 1 : log_buf;
}

int main(int argc, char **argv)
{
	static const char *const sections[] = { "cgroup/skb", "cgroup/skb/ringbuf" };
	static uint8_t buf[1 << 20];
	ssize_t len;
	int fd, s, direct, wrong = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: verifier_ways OBJECT\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	len = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (len <= 0) {
		fprintf(stderr, "verifier_ways: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	close(fd);
	for (s = 0; s < 2; s++) {
		for (direct = 0; direct < 2; direct++) {
			int as_filter = load(buf, (size_t)len, sections[s], direct,
					     BPF_PROG_TYPE_SOCKET_FILTER, 0);
			int ok = direct ? as_filter < 0 : as_filter >= 0;

			printf("%s %s, constant %d, as a socket filter (a verifier before 5.2): %s%s%s\n",
			       ok ? "ok" : "WRONG", sections[s], direct,
			       as_filter >= 0 ? "loads" : "refused: ",
			       as_filter >= 0 ? "" : reason(),
			       ok	? ""
			       : direct ? " (must be refused)"
					: " (must load)");
			wrong += !ok;
			if (as_filter >= 0)
				close(as_filter);
			fd = load(buf, (size_t)len, sections[s], direct, BPF_PROG_TYPE_CGROUP_SKB,
				  BPF_F_STRICT_ALIGNMENT);
			printf("%s %s, constant %d, strict alignment (as on MIPS): %s%s\n",
			       fd >= 0 ? "ok" : "WRONG", sections[s], direct,
			       fd >= 0 ? "loads" : "refused: ", fd >= 0 ? "" : reason());
			wrong += fd < 0;
			if (fd >= 0)
				close(fd);
		}
	}
	return wrong ? 1 : 0;
}
