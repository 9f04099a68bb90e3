/* SPDX-License-Identifier: MIT */
/*
 * program.c - steps 8 and 9: relocation, then loading (program.h).
 */
#include "program.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "disasm.h"
#include "instance.h"
#include "mem.h"
#include "messages.h"
#include "text.h"

#define VERIFIER_LOG_START (64u << 10)
#define VERIFIER_LOG_MAX (UINT32_MAX >> 8) /* the limit of kernels <= 5.1 */
#define VERIFIER_LOG_PRINT (8u << 10)	   /* print at most the last 8 KiB */
#define PROG_LOAD_ATTEMPTS 5

/* ---- 8. relocation ------------------------------------------------------------- */

/*
 * clang leaves `r1 = 0 ll` (an ld_imm64 with imm 0) wherever the program
 * uses a map, and a relocation entry naming the map's symbol. Loading turns
 * each into "r1 = map fd N": src_reg BPF_PSEUDO_MAP_FD tells the verifier
 * that imm is an fd, which it swaps for the map's address. The second slot
 * of the ld_imm64 (the upper 32 bits) stays 0.
 */
void program_relocate(struct object *obj, const int fds[MAP_ROLE_CNT], int d)
{
	int fd_of_map[ELF_MAX_MAPS] = { 0 };
	size_t i;

	for (i = 0; i < MAP_ROLE_CNT; i++)
		fd_of_map[obj->map_index[i]] = fds[i];
	for (i = 0; i < obj->elf.reloc_cnt; i++) {
		const struct map_reloc *r = &obj->elf.relocs[i];
		uint8_t *at = obj->elf.insns + (size_t)r->insn_index * BPF_INSN_SIZE;
		struct bpf_insn insn;

		/* memcpy keeps it alignment-safe; the host's bitfield order is the kernel's. */
		memcpy(&insn, at, sizeof(insn));
		trace(1,
		      "relocation for %s: instruction %" PRIu32
		      " (ld_imm64 r%d), map %s: src_reg %d -> %d (BPF_PSEUDO_MAP_FD), imm %" PRId32
		      " -> %d (its fd)",
		      direction_names[d], r->insn_index, insn.dst_reg,
		      obj->elf.maps[r->map_index].name, insn.src_reg, BPF_PSEUDO_MAP_FD, insn.imm,
		      fd_of_map[r->map_index]);
		insn.src_reg = BPF_PSEUDO_MAP_FD;
		insn.imm = fd_of_map[r->map_index];
		memcpy(at, &insn, sizeof(insn));
	}
}

/*
 * Whether this kernel lets a cgroup SKB program read the packet itself
 * (Linux 5.2 did): the probe reads it as the program does, a 16-bit load
 * after a bounds check, so that a verifier that checks alignment (MIPS,
 * RISC-V) answers for ours too. Loaded and let go.
 */
static int kernel_reads_packets(void)
{
	/* clang-format off */
	static const struct bpf_insn insns[] = {
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 1, .off = 76 }, /* skb->data */
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 3, .src_reg = 1, .off = 80 }, /* skb->data_end */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 4, .src_reg = 2 },
		{ .code = BPF_ALU64 | BPF_ADD /* | BPF_K, 0 */, .dst_reg = 4, .imm = 20 },
		{ .code = BPF_JMP | BPF_JGT | BPF_X, .dst_reg = 4, .src_reg = 3, .off = 1 },
		{ .code = BPF_LDX | BPF_MEM | BPF_H, .dst_reg = 0, .src_reg = 2, .off = 16 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	/* clang-format on */
	struct prog_load_args a = { .type = BPF_PROG_TYPE_CGROUP_SKB,
				    .expected_attach_type = BPF_CGROUP_INET_EGRESS,
				    .insns = insns,
				    .insn_cnt = sizeof(insns) / sizeof(insns[0]),
				    .license = "GPL",
				    .name = "probe_direct" };
	int fd, attempt = 0;

	/* As try_load(): EAGAIN is a signal during verification, EPERM maybe the memlock limit. */
	while ((fd = bpf_prog_load(&a)) < 0 && errno == EAGAIN && ++attempt < PROG_LOAD_ATTEMPTS)
		;
	if (fd < 0 && errno == EPERM && memlock_raise())
		fd = bpf_prog_load(&a);
	trace(1, "probe: a program reading skb->data: %s", fd >= 0 ? "loads" : errno_text(errno));
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

void program_set_access(struct object *obj, enum packet_access access)
{
	enum packet_access given = access;
	struct bpf_insn insn;
	size_t i, marks = 0;

	for (i = 0; i < obj->elf.insn_cnt; i++) {
		uint8_t *at = obj->elf.insns + i * BPF_INSN_SIZE;

		memcpy(&insn, at, sizeof(insn));
		if (insn.code != (BPF_ALU64 | BPF_MOV | BPF_K) || insn.imm != DIRECT_ACCESS_MARK)
			continue;
		/* Ask the kernel only for a program that has the choice. */
		if (access == ACCESS_AUTO)
			access = kernel_reads_packets() ? ACCESS_DIRECT : ACCESS_HELPER;
		insn.imm = access == ACCESS_DIRECT;
		trace(1, "load-time constant: instruction %zu, r%d = 0x%x -> %d (%s)", i,
		      insn.dst_reg, DIRECT_ACCESS_MARK, insn.imm,
		      insn.imm ? "read the packet directly" : "read it with bpf_skb_load_bytes()");
		memcpy(at, &insn, sizeof(insn));
		marks++;
	}
	obj->direct = marks && access == ACCESS_DIRECT;
	if (!marks && given != ACCESS_AUTO)
		report("warning: the program of %s has no load-time constant for --packet-access (an object built before it?); it reads packets its own way",
		       obj->label);
}

void program_trace(const struct object *obj, const char *when, const int fds[MAP_ROLE_CNT])
{
	uint32_t ids[MAP_ROLE_CNT];
	struct disasm_maps maps = { fds, ids, MAP_ROLE_CNT };
	char line[80];
	size_t i = 0;

	if (trace_level() < 2)
		return;
	for (i = 0; fds && i < MAP_ROLE_CNT; i++)
		ids[i] = bpf_map_id(fds[i]);
	trace(2, "  the program %s:", when);
	for (i = 0; i < obj->elf.insn_cnt;) {
		size_t used = disasm_insn(obj->elf.insns, obj->elf.insn_cnt, i, fds ? &maps : NULL,
					  line, sizeof(line));

		trace(2, "  %4zu: %s", i, line);
		i += used;
	}
}

/* ---- 9. loading ---------------------------------------------------------------- */

/*
 * BPF_PROG_LOAD until the kernel gives an answer. Without a log at first
 * (fast), unless -v asked for one; on failure again with one, growing it
 * while the kernel says ENOSPC. EAGAIN means a signal interrupted the
 * verifier: try again a few times. Returns the fd, or -1 with *err the
 * kernel's reason; *log is the verifier's log or NULL, for the caller to free.
 */
static int try_load(struct prog_load_args *a, char **log, int *err)
{
	int fd, attempt = 0, first_err = 0, memlock_retried = 0;

	for (;;) {
		fd = bpf_prog_load(a);
		if (fd >= 0)
			return fd;
		*err = errno;
		if (*err == EAGAIN && ++attempt < PROG_LOAD_ATTEMPTS)
			continue;
		/* Programs, too, were charged to RLIMIT_MEMLOCK before 5.11. */
		if (*err == EPERM && !memlock_retried++ && memlock_raise())
			continue;
		/* ENOSPC says only that the log was too small. */
		if (!first_err && *err != ENOSPC)
			first_err = *err;
		if (*err == EAGAIN || *err == E2BIG || *err == ENOSYS ||
		    (a->log_buf && *err != ENOSPC) ||
		    (a->log_buf && a->log_size >= VERIFIER_LOG_MAX))
			break;
		a->log_size = a->log_buf ? a->log_size * 4 : VERIFIER_LOG_START;
		if (a->log_size > VERIFIER_LOG_MAX)
			a->log_size = VERIFIER_LOG_MAX;
		mem_free(*log);
		*log = mem_alloc(a->log_size);
		a->log_buf = *log;
		a->log_level = 1;
		if (!*log)
			break;
	}
	/* A log still too small at the cap says ENOSPC; the verifier's own answer came first. */
	if (*err == ENOSPC && first_err)
		*err = first_err;
	/*
	 * Only ENOSPC: a log asked for at once (-v) never fitted, and the
	 * kernel says so even when the program passed. Without a log, then.
	 */
	if (*err == ENOSPC && a->log_buf) {
		a->log_buf = NULL;
		fd = bpf_prog_load(a);
		if (fd >= 0) {
			(*log)[0] = '\0';
			return fd;
		}
		*err = errno;
	}
	return -1;
}

/*
 * Whether a refusal of a program carrying BTF may be the BTF's doing: the
 * kernel checks func_info and line_info against the program (EINVAL, or
 * EACCES with a log that names them), and one that knows no program BTF
 * refuses the larger attributes before verifying anything (E2BIG, no log).
 * A plain verifier rejection is not retried: it would only fail again.
 */
static int btf_may_be_why(int err, const char *log)
{
	int empty = !log || !log[0];

	return err == EINVAL || (err == E2BIG && empty) ||
	       (err == EACCES && !empty &&
		(strstr(log, "func_info") || strstr(log, "line_info") || strstr(log, "BTF")));
}

/* The verifier's reason in its log: the last line but its summary ("processed ..."). */
static const char *log_reason(char *log)
{
	const char *line = text_last_line(log);

	if (strncmp(line, "processed ", 10) == 0 && line > log) {
		log[line - log - 1] = '\0';
		line = text_last_line(log);
	}
	return line;
}

/*
 * With line_info (BTF), the verifier prints the source line before the
 * instructions it belongs to: "; return (int)skb->len; @ bad.bpf.c:32". The
 * last such line in a rejection's log is where verification stopped; as
 * " at bad.bpf.c:32 (return (int)skb->len;)" into `out`, or "".
 */
static const char *rejected_line(const char *log, char *out, size_t len)
{
	const char *p, *src = NULL, *at, *end;
	char line[160];

	out[0] = '\0';
	if (strncmp(log, "; ", 2) == 0)
		src = log + 2;
	for (p = log; (p = strstr(p, "\n; ")) != NULL; p++)
		src = p + 3;
	if (!src)
		return out;
	end = strchr(src, '\n');
	if (!end)
		end = src + strlen(src);
	/* " @ file:line" came with Linux 6.8 or so; before, the source alone. */
	at = strstr(src, " @ ");
	if (at && at < end)
		text_format(line, sizeof(line), " at %.*s (%.*s)", (int)(end - at - 3), at + 3,
			    (int)(at - src), src);
	else
		text_format(line, sizeof(line), " at (%.*s)", (int)(end - src), src);
	/* Source text from the object reaches the terminal escaped, as every name it holds. */
	return text_escape(line, out, len);
}

/* Print the end of the verifier's log, where the reason for a rejection is. */
static void print_verifier_log(const char *log)
{
	size_t len = strlen(log);
	const char *start = len > VERIFIER_LOG_PRINT ? log + len - VERIFIER_LOG_PRINT : log;
	struct text_out err;

	text_out_init(&err, STDERR_FILENO);
	text_printf(&err, "%s verifier log%s:\n", PROG_NAME, start != log ? " (last 8 KiB)" : "");
	text_puts(&err, start);
	if (len && log[len - 1] != '\n')
		text_puts(&err, "\n");
	text_flush(&err);
}

/* The refusal, said once, with what the kernel said of it. */
static void report_refusal(const char *name, int d, const struct object *obj, int err, char *log)
{
	char hint[320], where[ELF_ESC_MAX];
	const char *why = privilege_hint(err, hint, sizeof(hint));
	struct utsname kernel;

	/* Which kernel said no matters: verifiers differ between versions. */
	if (log && log[0]) {
		if (uname(&kernel) < 0)
			text_format(kernel.release, sizeof(kernel.release), "?");
		text_format(hint, sizeof(hint),
			    "; the verifier of Linux %.64s rejected it%s, its log follows",
			    kernel.release, rejected_line(log, where, sizeof(where)));
		why = hint;
	}
	report("loading program '%s' for %s (section %s, %zu instructions) from %s: %s%s%s%s", name,
	       direction_names[d], obj->elf.prog_section, obj->elf.insn_cnt, obj->label,
	       errno_text(err), err == E2BIG ? "; the program is too large for this kernel" : "",
	       obj->direct ? "; it reads packets directly, --packet-access helper would not" : "",
	       why);
	if (log && log[0])
		print_verifier_log(log);
}

int program_load(struct hook *h, int d, const struct object *obj, struct kernel_btf *btf,
		 int persistent)
{
	char name[BPF_OBJ_NAME_LEN], license[ELF_ESC_MAX], *log = NULL;
	struct prog_load_args a = {
		.type = BPF_PROG_TYPE_CGROUP_SKB,
		/* The hook, so the kernel checks the return codes and the attach against it. */
		.expected_attach_type = direction_attach_type(d),
		.insns = obj->elf.insns,
		.insn_cnt = (uint32_t)obj->elf.insn_cnt,
		.license = obj->elf.license,
		.name = name,
	};
	struct bpf_prog_info info;
	uint32_t info_len = sizeof(info);
	int err = 0, rc = EXIT_SYSTEM;

	object_program_name(obj, name);
	/* `block` marks its program as meant to stay (instance.h). */
	if (persistent) {
		char base[BPF_OBJ_NAME_LEN];

		memcpy(base, name, sizeof(base));
		instance_persistent_name(name, base);
	}
	/* BTF (Linux 5.0): each instruction's function and source line. */
	if (btf->fd >= 0 && !btf->prog_refused) {
		a.btf_fd = btf->fd;
		a.func_info = btf->parsed.func_info;
		a.func_info_rec_size = btf->parsed.func_info_rec_size;
		a.func_info_cnt = btf->parsed.func_info_cnt;
		a.line_info = btf->parsed.line_info;
		a.line_info_rec_size = btf->parsed.line_info_rec_size;
		a.line_info_cnt = btf->parsed.line_info_cnt;
	}
	/* -v: the log at once, for the verifier's summary at its end. */
	if (trace_level()) {
		log = mem_alloc(VERIFIER_LOG_START);
		a.log_buf = log;
		a.log_size = log ? VERIFIER_LOG_START : 0;
		a.log_level = log ? 1 : 0;
	}
	trace(1,
	      "BPF_PROG_LOAD: prog_type %u (cgroup_skb), expected_attach_type %" PRIu32
	      " (%s), insn_cnt %" PRIu32 ", license '%s', prog_name '%s', log_level %" PRIu32
	      ", prog_btf_fd %d, func_info_cnt %" PRIu32 ", line_info_cnt %" PRIu32,
	      BPF_PROG_TYPE_CGROUP_SKB, a.expected_attach_type, direction_names[d], a.insn_cnt,
	      text_escape(a.license, license, sizeof(license)), name, a.log_level, a.btf_fd,
	      a.func_info_cnt, a.line_info_cnt);
	h->prog_fd = try_load(&a, &log, &err);
	/*
	 * Refused with BTF in a way that may be the BTF's fault: once more
	 * without it. If that loads, say so, and leave BTF out of the other
	 * hook's load too; if not, the first log, with its source lines, is
	 * the one worth showing.
	 */
	if (h->prog_fd < 0 && a.btf_fd && btf_may_be_why(err, log)) {
		struct prog_load_args plain = a;
		char *plain_log = NULL;
		int plain_err = 0;

		plain.btf_fd = 0;
		plain.log_buf = NULL;
		h->prog_fd = try_load(&plain, &plain_log, &plain_err);
		mem_free(plain_log);
		trace(1, "BPF_PROG_LOAD again without BTF -> %d", h->prog_fd);
		if (h->prog_fd >= 0) {
			report("warning: the kernel refused the BTF of program '%s' for %s (%s%s%s); loaded without it",
			       name, direction_names[d], errno_text(err), log && log[0] ? ": " : "",
			       log ? log_reason(log) : "");
			btf->prog_refused = 1;
			if (log)
				log[0] = '\0';
		}
	}
	if (h->prog_fd < 0) {
		report_refusal(name, d, obj, err, log);
		goto out;
	}
	/* The id is how we tell our program from others on the hook later. */
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(h->prog_fd, &info, &info_len) < 0) {
		report("reading the id of program '%s': %s", name, errno_text(errno));
	} else if (info.id == 0) {
		report("reading the id of program '%s': the kernel gave none", name);
	} else {
		h->prog_id = info.id;
		memcpy(h->tag, info.tag, sizeof(h->tag));
		rc = EXIT_OK;
		trace(1, "-> fd %d, program id %" PRIu32 "; the verifier: %s", h->prog_fd,
		      h->prog_id, log && log[0] ? text_last_line(log) : "(no log)");
	}
out:
	mem_free(log);
	return rc;
}
