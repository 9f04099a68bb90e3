/* SPDX-License-Identifier: MIT */
/*
 * loader.c - cgroup-skb-egress: drop a cgroup's packets to and from blocked
 * addresses, and log every packet, with eBPF loaded by hand.
 *
 * What a run does, in order (README.md "How it works" follows the same steps):
 *   1. Parse the command line (cli.c). Every address is checked before
 *      anything is loaded.
 *   2. Block SIGINT, SIGTERM and SIGHUP. During setup a pending one stops it
 *      before the next step (setup_steps[]); later they are read from a
 *      signalfd. Either way a signal ends with nothing attached.
 *   3. Read the BPF object (embedded, or --object FILE) and check all of it
 *      with elf_min.c, before the first bpf(2) call.
 *   4. Open the cgroup directory, check it is cgroup v2, and ask the kernel
 *      which programs are already on its egress hook.
 *   5. Create the maps the object defines: BLOCKLIST, BLOCKNETS and EVENTS.
 *   6. Fill BLOCKLIST. This comes before attaching, so no blocked packet can
 *      slip out while the program runs with an empty list.
 *   7. Relocate: write each map's fd into the ld_imm64 instructions that use
 *      it.
 *   8. Load the program (BPF_PROG_LOAD); on rejection print the verifier log.
 *   9. Open one perf ring per online CPU, store its fd in EVENTS, and put
 *      the rings and the signalfd in one epoll set.
 *  10. Attach the program to the cgroup's egress hook (BPF_PROG_ATTACH).
 *  11. Print a LOG line per event until a signal arrives (checking once a
 *      second that our program and the cgroup are still there); then
 *      detach, print a summary and exit.
 *
 * With --direction ingress or both, steps 7, 8 and 10 are done once per hook:
 * the same instructions, relocated to that hook's own CONFIG map (which
 * tells the program its direction), loaded for that hook and attached to
 * it. The other maps are shared: one blocklist, one set of perf rings.
 *
 * `block` takes the same steps without the rings (9) and without the event
 * loop, and leaves the program attached under a name that marks it as
 * persistent (instance.h). When such an instance is on the hook already,
 * `block` adds to its blocklist, and `run` and `log` read its events: steps
 * 5, 7, 8 and 10 then open its maps by id instead of making new ones.
 *
 * Any failure unwinds through loader_close(): detach if attached, then
 * close every fd. Maps and the program live only as long as their fds, so
 * a failed run leaves nothing behind in the kernel.
 */
#define _GNU_SOURCE /* prlimit() */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include "addr.h"
#include "blocklist.h"
#include "bpf_sys.h"
#include "common.h"
#include "disasm.h"
#include "elf_min.h"
#include "instance.h"
#include "mem.h"
#include "perf_ring.h"
#include "loader.h"
#include "text.h"

/* The object built from prog.bpf.c, linked in by embed.S. */
extern const uint8_t prog_obj_start[];
extern const uint8_t prog_obj_end[];

const char *const attach_mode_names[3] = { "single", "override", "multi" };
const uint32_t attach_mode_flags[3] = { 0, BPF_F_ALLOW_OVERRIDE, BPF_F_ALLOW_MULTI };
const char *const direction_names[DIR_CNT] = { "egress", "ingress" };
const char *const hook_set_names[4] = { "", "egress", "ingress", "egress and ingress" };
const char *const log_mode_names[3] = {
	[LOG_ALL] = "all", [LOG_DROPS] = "drops", [LOG_NONE] = "none"
};
const uint32_t direction_attach_types[DIR_CNT] = { BPF_CGROUP_INET_EGRESS,
						   BPF_CGROUP_INET_INGRESS };
const char *const command_names[COMMAND_CNT] = { "run",	 "block",   "log",   "status",
						 "list", "unblock", "detach" };

/* ---- messages ------------------------------------------------------------ */

/*
 * One write(2) per line up to 4 KiB (all but those naming very long paths),
 * so that lines from several processes do not interleave.
 */
static void say(const char *prefix, const char *fmt, va_list ap)
{
	struct text_out err;

	text_out_init(&err, STDERR_FILENO);
	text_puts(&err, prefix);
	text_vprintf(&err, fmt, ap);
	text_put(&err, "\n", 1);
	text_flush(&err);
}

__attribute__((format(printf, 1, 2))) void report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(PROG_NAME ": ", fmt, ap);
	va_end(ap);
}

/*
 * -v: what each step hands the kernel and gets back, numbered like the steps
 * at the top of this file, so that the trace and the code read side by side.
 */
__attribute__((format(printf, 3, 4))) void trace_line(const struct loader *l, int level,
						      const char *fmt, ...)
{
	va_list ap;

	if (l->opt.verbose < level)
		return;
	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}

const char *errno_text(int err)
{
	if (err == ENOTSUPP)
		return "Operation not supported by this kernel (ENOTSUPP)";
	return strerror(err);
}

/*
 * What to do about EPERM, EACCES or ENOSYS from bpf(2) or perf_event_open(2):
 * name the capabilities this process lacks, read with capget(2) so that it
 * works without /proc. CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON,
 * which only kernels from 5.8 know.
 */
const char *privilege_hint(int err, char *buf, size_t len)
{
	static const struct {
		unsigned int cap;
		const char *name;
	} needed[] = { { 39, "CAP_BPF" },
		       { CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		       { 38, "CAP_PERFMON" } };
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct caps[2];
	size_t i, used = 0;

	buf[0] = '\0';
	if (err == ENOSYS)
		return "; this kernel has no bpf() syscall (CONFIG_BPF_SYSCALL)";
	if (err != EPERM && err != EACCES)
		return buf;
	if (syscall(SYS_capget, &hdr, caps) != 0)
		return "; run as root (needs CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)";
	for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		unsigned int c = needed[i].cap;
		int have = (int)((caps[c / 32].effective >> (c % 32)) & 1);

		if (c != CAP_NET_ADMIN)
			have |= (int)((caps[CAP_SYS_ADMIN / 32].effective >> (CAP_SYS_ADMIN % 32)) &
				      1);
		if (!have)
			used += (size_t)text_format(buf + used, len > used ? len - used : 0, "%s%s",
						    used ? ", " : "; missing ", needed[i].name);
	}
	if (used)
		text_format(buf + used, len > used ? len - used : 0, ": run as root");
	else
		text_format(buf, len,
			    "; the process has CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON, so RLIMIT_MEMLOCK (kernels before 5.11: ulimit -l) or a security policy (lockdown, seccomp, an LSM) forbids it");
	return buf;
}

/* Kernel object names allow [A-Za-z0-9_.] and 15 bytes; make any name fit. */
void kernel_name(char out[BPF_OBJ_NAME_LEN], const char *name)
{
	size_t i;

	for (i = 0; i < BPF_OBJ_NAME_LEN - 1 && name[i]; i++) {
		char c = name[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '_' || c == '.';

		out[i] = c;
		if (!ok)
			out[i] = '_';
	}
	out[i] = '\0';
}

/* ---- 2. signals ---------------------------------------------------------- */

/*
 * Every signal whose default action would end us quietly, so with the
 * program left attached: each stops the run cleanly instead. (SIGKILL and
 * signals from faults cannot be caught; see README "Limits".)
 */
static const struct {
	unsigned char sig;
	char name[10]; /* in place: 11 bytes an entry, not 16 and a pointer's string */
} stop_signal_names[] = {
	{ SIGINT, "SIGINT" },	{ SIGTERM, "SIGTERM" },	    { SIGHUP, "SIGHUP" },
	{ SIGQUIT, "SIGQUIT" }, { SIGUSR1, "SIGUSR1" },	    { SIGUSR2, "SIGUSR2" },
	{ SIGALRM, "SIGALRM" }, { SIGVTALRM, "SIGVTALRM" }, { SIGPROF, "SIGPROF" },
	{ SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
#ifdef SIGPWR
	{ SIGPWR, "SIGPWR" },
#endif
};

static int setup_signals(struct loader *l)
{
	sigset_t blocked;
	size_t i;

	sigemptyset(&l->stop_signals);
	for (i = 0; i < sizeof(stop_signal_names) / sizeof(stop_signal_names[0]); i++)
		sigaddset(&l->stop_signals, stop_signal_names[i].sig);
	/*
	 * A reader that goes away must not kill us while attached: with SIGPIPE
	 * blocked, write() fails with EPIPE instead. Blocked, not ignored: the
	 * same here, and it keeps sigaction() (700 bytes) out of the binary.
	 */
	blocked = l->stop_signals;
	sigaddset(&blocked, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &blocked, NULL) < 0) {
		report("blocking signals: %s", errno_text(errno));
		return EXIT_SYSTEM;
	}
	l->signal_fd = fd_above_stdio(signalfd(-1, &l->stop_signals, SFD_CLOEXEC | SFD_NONBLOCK));
	if (l->signal_fd < 0) {
		report("creating a signalfd: %s", errno_text(errno));
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

/* ---- 3. the object ------------------------------------------------------- */

/*
 * Read --object FILE into a private buffer: opened once, checked with fstat
 * (a regular file of sane size), read in full. A file mmapped instead could
 * shrink under us and fault.
 */
static int read_object_file(struct loader *l, const char *path)
{
	struct stat st;
	size_t got = 0;
	int fd, rc = EXIT_SYSTEM;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		report("opening BPF object %s: %s", path, errno_text(errno));
		return EXIT_USAGE;
	}
	if (fstat(fd, &st) < 0) {
		report("checking BPF object %s: %s", path, errno_text(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > OBJECT_MAX_BYTES) {
		report("BPF object %s: not a regular file of 1 to %u bytes", path,
		       OBJECT_MAX_BYTES);
		rc = EXIT_USAGE;
		goto out;
	}
	l->object_copy = mem_alloc((size_t)st.st_size);
	if (!l->object_copy) {
		report("reading BPF object %s: %s", path, errno_text(ENOMEM));
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, l->object_copy + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			report("reading BPF object %s: %s", path,
			       n < 0 ? errno_text(errno) : "file shrank while being read");
			goto out;
		}
		got += (size_t)n;
	}
	l->object_copy_len = got;
	rc = EXIT_OK;
out:
	close(fd);
	return rc;
}

/* The contract between prog.bpf.c and this file, checked for any object. */
static int check_object_contract(struct loader *l)
{
	uint32_t used = 0; /* a bit per map the program's relocations name (ELF_MAX_MAPS is 16) */
	size_t r;
	const struct map_def *singles = elf_obj_find_map(&l->obj, BLOCKLIST_MAP_NAME);
	const struct map_def *prefixes = elf_obj_find_map(&l->obj, BLOCKNETS_MAP_NAME);
	const struct map_def *events = elf_obj_find_map(&l->obj, EVENTS_MAP_NAME);
	const struct map_def *config = elf_obj_find_map(&l->obj, CONFIG_MAP_NAME);

	if (!singles || singles->type != BPF_MAP_TYPE_HASH ||
	    singles->key_size != sizeof(struct addr_key) ||
	    singles->value_size != sizeof(uint64_t)) {
		report("%s: needs a map '" BLOCKLIST_MAP_NAME
		       "': a hash with %zu-byte keys (struct addr_key) and 8-byte values (drop counters)",
		       l->object_label, sizeof(struct addr_key));
		return EXIT_USAGE;
	}
	if (!prefixes || prefixes->type != BPF_MAP_TYPE_LPM_TRIE ||
	    prefixes->key_size != sizeof(struct addr_key) ||
	    prefixes->value_size != sizeof(uint64_t)) {
		report("%s: needs a map '" BLOCKNETS_MAP_NAME
		       "': an LPM trie with %zu-byte keys (struct addr_key) and 8-byte values (drop counters)",
		       l->object_label, sizeof(struct addr_key));
		return EXIT_USAGE;
	}
	if (!config || config->type != BPF_MAP_TYPE_ARRAY || config->key_size != 4 ||
	    config->value_size != sizeof(struct prog_config) || config->max_entries < 1) {
		report("%s: needs a map '" CONFIG_MAP_NAME
		       "': an array of at least one %zu-byte struct prog_config",
		       l->object_label, sizeof(struct prog_config));
		return EXIT_USAGE;
	}
	l->config_index = (size_t)(config - l->obj.maps);
	if (!events || events->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY || events->key_size != 4 ||
	    events->value_size != 4) {
		report("%s: needs a map '" EVENTS_MAP_NAME
		       "': a perf event array with 4-byte keys and values",
		       l->object_label);
		return EXIT_USAGE;
	}
	/*
	 * Later commands know our program by the four maps it uses, and no
	 * others (instance.h): a program using another set would stay attached
	 * where `status`, `list` and `detach` cannot see it.
	 */
	for (r = 0; r < l->obj.reloc_cnt; r++)
		used |= 1u << l->obj.relocs[r].map_index;
	if (used != (1u << (singles - l->obj.maps) | 1u << (prefixes - l->obj.maps) |
		     1u << (events - l->obj.maps) | 1u << l->config_index)) {
		report("%s: the program must use exactly the maps " BLOCKLIST_MAP_NAME
		       ", " BLOCKNETS_MAP_NAME ", " CONFIG_MAP_NAME " and " EVENTS_MAP_NAME
		       ", by which later commands recognise it",
		       l->object_label);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/*
 * Text from the object (the license, source lines from BTF) reaches the
 * terminal only through here: what is not printable ASCII becomes '?'.
 */
static char *make_printable(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return s;
}

/* The id the kernel gave map `fd`, for the trace; 0 if it will not say. */
static uint32_t map_id(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? 0 : info.id;
}

/* -vv: the instructions as the kernel's verifier log and bpftool print them. */
static void trace_insns(const struct loader *l, const char *when, const struct disasm_maps *maps)
{
	char line[80];
	size_t i = 0;

	trace(l, 2, "  the program %s:", when);
	while (TEACH && l->opt.verbose >= 2 && i < l->obj.insn_cnt) {
		size_t used =
			disasm_insn(l->obj.insns, l->obj.insn_cnt, i, maps, line, sizeof(line));

		trace(l, 2, "  %4zu: %s", i, line);
		i += used;
	}
}

static const char *section_type_name(uint32_t type)
{
	static const char *const names[] = { "NULL", "PROGBITS", "SYMTAB", "STRTAB", "RELA",
					     "HASH", "DYNAMIC",	 "NOTE",   "NOBITS", "REL" };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "other";
}

/* -v, step 3: what the ELF reader found, in the order it looks. */
static void trace_object(const struct loader *l)
{
	const struct elf_obj *o;
	struct elf_section sec;
	char license[ELF_LICENSE_MAX];
	uint32_t i;
	size_t k;

	if (!TEACH || !l->opt.verbose)
		return;
	o = &l->obj;
	text_format(license, sizeof(license), "%s", o->license);
	trace(l, 1, "step 3: %s: %zu bytes, %" PRIu32 " ELF sections", l->object_label, o->file.len,
	      o->section_cnt);
	for (i = 1; elf_obj_section(o, i, &sec) == 0; i++)
		trace(l, 1, "  section %2" PRIu32 " %-24s %-8s type 0x%" PRIx32 ", %llu bytes", i,
		      sec.name, section_type_name(sec.type), sec.type,
		      (unsigned long long)sec.size);
	trace(l, 1,
	      "step 3: program '%s' in section %" PRIu32 " '%s': %zu instructions, license '%s'",
	      o->prog_name, o->prog_index, o->prog_section, o->insn_cnt, make_printable(license));
	for (k = 0; k < o->map_cnt; k++)
		trace(l, 1,
		      "step 3: map definition %s: type %" PRIu32 ", key %" PRIu32
		      " bytes, value %" PRIu32 " bytes, max_entries %" PRIu32 ", flags 0x%" PRIx32,
		      o->maps[k].name, o->maps[k].type, o->maps[k].key_size, o->maps[k].value_size,
		      o->maps[k].max_entries, o->maps[k].map_flags);
	for (k = 0; k < o->reloc_cnt; k++)
		trace(l, 1, "step 3: relocation: instruction %" PRIu32 " (ld_imm64) uses map %s",
		      o->relocs[k].insn_index, o->maps[o->relocs[k].map_index].name);
	trace_insns(l, "as compiled, before relocation", NULL);
}

/*
 * The last line of a kernel log: the verifier's summary ("processed 71
 * insns (limit 1000000) ... peak_states 5 ...") or its reason for refusing.
 */
static const char *last_line(char *log)
{
	size_t len = strlen(log);

	while (len && log[len - 1] == '\n')
		log[--len] = '\0';
	while (len && log[len - 1] != '\n')
		len--;
	return log + len;
}

int load_object(struct loader *l)
{
	const uint8_t *bytes = prog_obj_start;
	size_t len = (size_t)(prog_obj_end - prog_obj_start);
	char err[512];
	int rc;

	l->object_label = "embedded BPF object";
	if (l->opt.object_path) {
		rc = read_object_file(l, l->opt.object_path);
		if (rc)
			return rc;
		l->object_label = l->opt.object_path;
		bytes = l->object_copy;
		len = l->object_copy_len;
	}
	if (elf_obj_parse(&l->obj, bytes, len, err, sizeof(err))) {
		report("%s: %s", l->object_label, err);
		return EXIT_USAGE;
	}
	rc = check_object_contract(l);
	if (rc == EXIT_OK)
		trace_object(l);
	return rc;
}

/* ---- 4. the cgroup ------------------------------------------------------- */

/*
 * Where cgroup2 is mounted, from /proc/self/mountinfo, for error messages.
 * Fields: id parent major:minor root mount-point options... - fstype ...
 */
static const char *find_cgroup2_mount(char *buf, size_t len)
{
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	struct text_lines lines;
	const char *found = NULL;
	char *line;
	int got;

	if (fd < 0)
		return "(unknown: /proc is not mounted)";
	text_lines_init(&lines, fd);
	/* A line too long to keep (overlayfs options) is skipped, not the end. */
	while (!found && (got = text_line(&lines, &line)) != LINE_EOF && got != LINE_ERROR) {
		char *sep, *field, *end;
		int i;

		if (got != LINE_OK)
			continue;
		sep = strchr(line, ' ');
		field = line;
		while (sep && strncmp(sep, " - ", 3) != 0)
			sep = strchr(sep + 1, ' ');
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		/* The fifth field; spaces inside it are written \040, so none separate. */
		for (i = 0; i < 4 && field; i++) {
			field = strchr(field, ' ');
			field = field ? field + 1 : NULL;
		}
		end = field ? strchr(field, ' ') : NULL;
		if (end) {
			text_format(buf, len, "%.*s", (int)(end - field), field);
			found = buf;
		}
	}
	close(fd);
	return found ? found : "(nowhere: mount -t cgroup2 none /sys/fs/cgroup)";
}

int open_cgroup(struct loader *l)
{
	const char *path = l->opt.cgroup_path;
	char mnt[PATH_MAX];
	struct statfs sfs;
	struct stat st;

	l->cgroup_fd = fd_above_stdio(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (l->cgroup_fd < 0) {
		int err = errno;

		if (err == ENOENT || err == ENOTDIR)
			report("opening cgroup %s: %s; pass a cgroup v2 directory with -c (cgroup2 is mounted at %s)",
			       path, errno_text(err), find_cgroup2_mount(mnt, sizeof(mnt)));
		else
			report("opening cgroup %s: %s", path, errno_text(err));
		return err == ENOENT || err == ENOTDIR ? EXIT_USAGE : EXIT_SYSTEM;
	}
	/* PROG_ATTACH on anything else fails with a baffling EBADF; say it plainly. */
	if (fstatfs(l->cgroup_fd, &sfs) < 0 || fstat(l->cgroup_fd, &st) < 0) {
		report("checking cgroup %s: %s", path, errno_text(errno));
		return EXIT_SYSTEM;
	}
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		report("cgroup %s: %s; cgroup2 is mounted at %s", path,
		       sfs.f_type == CGROUP_SUPER_MAGIC ? "is a cgroup v1 directory, not cgroup v2"
							: "is not a cgroup v2 directory",
		       find_cgroup2_mount(mnt, sizeof(mnt)));
		return EXIT_USAGE;
	}
	trace(l, 1, "step 4: cgroup %s: fd %d, cgroup2, inode %llu", path, l->cgroup_fd,
	      (unsigned long long)st.st_ino);
	/* kernfs numbers the root directory of a hierarchy 1. */
	if (st.st_ino == 1 && (l->opt.command == CMD_RUN || l->opt.command == CMD_BLOCK))
		report("warning: %s is the root of the cgroup2 hierarchy: every process on this host is affected",
		       path);
	return EXIT_OK;
}

const char *flags_text(uint32_t flags)
{
	if (flags & BPF_F_ALLOW_MULTI)
		return "multi";
	if (flags & BPF_F_ALLOW_OVERRIDE)
		return "override";
	return "single";
}

/* The kernel name a run gives the program: its function's, fitted. */
static void program_name(const struct loader *l, char out[BPF_OBJ_NAME_LEN])
{
	kernel_name(out, l->obj.prog_name[0] ? l->obj.prog_name : "cgroup_skb");
}

/*
 * Whether program `id` on the hook is ours (our object's program name, our
 * map names): 1 and *inst filled, 0 if not, -1 after saying why the kernel
 * would not tell.
 */
int find_our_program(struct loader *l, uint32_t id, struct instance *inst)
{
	char name[BPF_OBJ_NAME_LEN];
	int ours;

	program_name(l, name);
	ours = instance_find(id, name, inst);
	if (ours < 0)
		report("looking at program id %" PRIu32 " on %s: %s%s", id, l->opt.cgroup_path,
		       errno_text(errno), errno == EPERM ? GET_BY_ID_HINT : "");
	else if (ours)
		trace(l, 1,
		      "BPF_PROG_GET_FD_BY_ID %" PRIu32
		      " -> fd %d; BPF_OBJ_GET_INFO_BY_FD: ours (%s), maps: " BLOCKLIST_MAP_NAME
		      " id %" PRIu32 ", " BLOCKNETS_MAP_NAME " id %" PRIu32 ", " EVENTS_MAP_NAME
		      " id %" PRIu32 ", " CONFIG_MAP_NAME " id %" PRIu32,
		      id, inst->prog_fd, inst->persistent ? "persistent" : "a run's",
		      inst->blocklist_id, inst->blocknets_id, inst->events_id, inst->config_id);
	else
		trace(l, 1, "program id %" PRIu32 ": not ours (another name or other maps)", id);
	return ours;
}

/*
 * Who holds program `id` of ours: a running process (holder > 0), or
 * nobody /proc can see (holder < 0); each message ends as its caller says.
 */
static void report_holder(const struct loader *l, int d, uint32_t id, pid_t holder,
			  const char *then_held, const char *then_unsure)
{
	if (holder > 0)
		report("%s program id %" PRIu32
		       " on %s belongs to a running cgroup-skb-egress (pid %ld)%s",
		       direction_names[d], id, l->opt.cgroup_path, (long)holder, then_held);
	else
		report("%s program id %" PRIu32
		       " on %s is ours, but /proc cannot tell whether a running process holds it%s",
		       direction_names[d], id, l->opt.cgroup_path, then_unsure);
}

/*
 * Note whether the one program on the hook (`id`, attached with `flags`) is
 * ours, left behind by a run that was killed: our name and maps, and no process
 * holds it. Then it may go: attaching in the same mode replaces it in one
 * step (single, override), or it is detached after ours is on (multi), so
 * blocking never pauses. A program that some process holds is never touched.
 */
static void note_left_over(struct loader *l, int d, uint32_t id, uint32_t flags)
{
	struct instance inst;
	pid_t holder;

	if (flags != attach_mode_flags[l->opt.mode] || find_our_program(l, id, &inst) != 1)
		return;
	holder = instance_holder(id);
	if (holder != 0) {
		report_holder(l, d, id, holder, "", "");
		close(inst.prog_fd);
		return;
	}
	report("%s program id %" PRIu32
	       " on %s was left attached by a cgroup-skb-egress that was killed; ours will replace it",
	       direction_names[d], id, l->opt.cgroup_path);
	l->hook[d].left_over_fd = inst.prog_fd;
	l->hook[d].left_over_id = id;
}

/*
 * Attaching with flags 0 or BPF_F_ALLOW_OVERRIDE replaces whatever program is
 * on the hook, without a word. Ask first, and refuse to displace anyone.
 */
/* The programs on our hook, or EXIT_SYSTEM after saying why the kernel would not tell. */
int query_hook(struct loader *l, int d, uint32_t ids[HOOK_QUERY_MAX], uint32_t *cnt,
	       uint32_t *flags)
{
	uint32_t i;

	*cnt = HOOK_QUERY_MAX;
	*flags = 0;
	if (bpf_prog_query(l->cgroup_fd, direction_attach_types[d], flags, ids, cnt) < 0) {
		int err = errno;
		char hint[192];

		if (err == EINVAL)
			report("querying the %s hook of %s: %s; this kernel lacks cgroup BPF (CONFIG_CGROUP_BPF) or is older than 4.15",
			       direction_names[d], l->opt.cgroup_path, errno_text(err));
		else
			report("querying the %s hook of %s: %s%s", direction_names[d],
			       l->opt.cgroup_path, errno_text(err),
			       privilege_hint(err, hint, sizeof(hint)));
		return EXIT_SYSTEM;
	}
	if (*cnt > HOOK_QUERY_MAX)
		*cnt = HOOK_QUERY_MAX;
	trace(l, 1,
	      "BPF_PROG_QUERY: cgroup fd %d, attach_type %" PRIu32 " (%s): %" PRIu32
	      " programs, attach_flags 0x%" PRIx32,
	      l->cgroup_fd, direction_attach_types[d], direction_names[d], *cnt, *flags);
	for (i = 0; i < *cnt; i++)
		trace(l, 1, "  program id %" PRIu32, ids[i]);
	return EXIT_OK;
}

/* Whether attaching in our mode now would displace nobody but a left-over. */
static int hook_is_free(struct loader *l, int d, const uint32_t *ids, uint32_t cnt, uint32_t flags)
{
	if (cnt == 0 || (cnt == 1 && ids[0] == l->hook[d].left_over_id))
		return EXIT_OK;
	if (l->opt.mode != ATTACH_MULTI) {
		report("%s already has %s program id %" PRIu32
		       " attached (mode %s)%s; refusing to replace it: detach it, or use --attach-mode multi if it was attached with multi",
		       l->opt.cgroup_path, direction_names[d], ids[0], flags_text(flags),
		       cnt > 1 ? " among others" : "");
		return EXIT_SYSTEM;
	}
	if (!(flags & BPF_F_ALLOW_MULTI)) {
		report("%s already has %s program id %" PRIu32
		       " attached in mode %s, which allows no other program; detach it first",
		       l->opt.cgroup_path, direction_names[d], ids[0], flags_text(flags));
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

/*
 * Two instances starting on one cgroup at once could both find the hook
 * free, and the second attach would silently replace the first. So each
 * holds an flock on the cgroup directory from this look at the hook until
 * it has attached. Waiting stays interruptible (our signals are blocked,
 * so a plain blocking flock would not be) and ends after LOCK_WAIT_MS.
 */
int lock_cgroup(struct loader *l)
{
	int waited = 0;

	while (flock(l->cgroup_fd, LOCK_EX | LOCK_NB) < 0) {
		struct pollfd p = { l->signal_fd, POLLIN, 0 };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			report("locking cgroup %s: %s", l->opt.cgroup_path, errno_text(errno));
			return EXIT_SYSTEM;
		}
		if (waited >= LOCK_WAIT_MS) {
			report("locking cgroup %s: another cgroup-skb-egress has been setting up there for %d ms (a large blocklist?); try again",
			       l->opt.cgroup_path, waited);
			return EXIT_SYSTEM;
		}
		if (p.fd >= 0 && poll(&p, 1, 20) > 0)
			return EXIT_OK; /* a stop signal: the next step's check stops us */
		if (p.fd < 0)
			poll(NULL, 0, 20);
		waited += 20;
	}
	return EXIT_OK;
}

/*
 * Use the instance `inst` on the hook instead of stacking a second one:
 * `block` adds to its blocklist, `run` and `log` read its events too. There
 * is one reader at a time, because EVENTS has a single slot per CPU and a
 * second reader would silently take the first one's events.
 */
static int reuse(struct loader *l)
{
	unsigned int dirs = 0;
	int d;

	l->reusing = 1;
	for (d = 0; d < DIR_CNT; d++)
		if (l->hook[d].reuse.prog_id)
			dirs |= 1u << d;
	if (l->opt.directions_given && l->opt.directions != dirs) {
		report("the instance of ours on %s filters %s; `" PROG_NAME
		       " detach` it first to filter %s",
		       l->opt.cgroup_path,
		       dirs == 3 ? "both directions" : direction_names[dirs >> 1],
		       l->opt.directions == 3 ? "both directions"
					      : direction_names[l->opt.directions >> 1]);
		return EXIT_USAGE;
	}
	l->opt.directions = dirs;
	for (d = 0; d < DIR_CNT; d++) {
		struct hook *h = &l->hook[d];
		pid_t holder;

		h->used = h->reuse.prog_id != 0;
		h->prog_id = h->reuse.prog_id;
		if (!h->used || l->opt.command == CMD_BLOCK)
			continue;
		holder = instance_holder(h->prog_id);
		if (holder > 0)
			report("%s program id %" PRIu32
			       " on %s is already read by pid %ld (a cgroup-skb-egress run or log); one reader at a time",
			       direction_names[d], h->prog_id, l->opt.cgroup_path, (long)holder);
		else if (holder < 0)
			report("%s program id %" PRIu32
			       " on %s is ours, but /proc cannot tell whether another process reads it; refusing to take its events",
			       direction_names[d], h->prog_id, l->opt.cgroup_path);
		if (holder != 0)
			return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

/*
 * `block` next to a foreground run's program (in any attach mode) would
 * add to nothing lasting, or stack a second instance whose list the run
 * does not see: refuse, naming the run. Closes inst's fd when it says yes.
 */
static int held_by_a_run(struct loader *l, int d, struct instance *inst)
{
	pid_t holder = instance_holder(inst->prog_id);

	if (holder == 0)
		return 0;
	report_holder(l, d, inst->prog_id, holder,
		      ", whose blocklist ends with it: stop it first, or give it the addresses with -b",
		      "; refusing to block next to it");
	close(inst->prog_fd);
	return 1;
}

/*
 * Step 4: under the cgroup's lock, look at the hook. A persistent instance
 * (from `block`) is reused; `log` reads any instance of ours; otherwise the
 * hook must be free for a new one, or hold only a killed run's left-over.
 */
static int check_hook(struct loader *l)
{
	uint32_t ids[DIR_CNT][HOOK_QUERY_MAX], cnt[DIR_CNT], flags[DIR_CNT], i;
	int d, found = 0;

	for (d = 0; d < DIR_CNT; d++)
		l->hook[d].used = (l->opt.directions & (1u << d)) != 0;
	if (lock_cgroup(l))
		return EXIT_SYSTEM;
	for (d = 0; d < DIR_CNT; d++)
		if (query_hook(l, d, ids[d], &cnt[d], &flags[d]))
			return EXIT_SYSTEM;
	/* An instance to reuse: its programs on either hook share one blocklist. */
	for (d = 0; d < DIR_CNT; d++) {
		for (i = 0; i < cnt[d]; i++) {
			struct instance inst;
			int ours = find_our_program(l, ids[d][i], &inst);

			if (ours < 0)
				return EXIT_SYSTEM;
			if (ours && !inst.persistent && l->opt.command == CMD_BLOCK &&
			    (l->opt.directions & (1u << d)) && held_by_a_run(l, d, &inst))
				return EXIT_SYSTEM;
			if (ours && (inst.persistent || l->opt.command == CMD_LOG) &&
			    !l->hook[d].reuse.prog_id &&
			    (!found ||
			     inst.blocklist_id == l->hook[found - 1].reuse.blocklist_id)) {
				l->hook[d].reuse =
					inst; /* with its prog_fd, closed by loader_close() */
				found = found ? found : d + 1;
			} else if (ours) {
				close(inst.prog_fd);
			}
		}
	}
	if (found)
		return reuse(l);
	if (l->opt.command == CMD_LOG) {
		report("nothing of ours is attached to %s", l->opt.cgroup_path);
		return EXIT_NONE;
	}
	for (d = 0; d < DIR_CNT; d++) {
		if (!l->hook[d].used)
			continue;
		if (cnt[d] == 1)
			note_left_over(l, d, ids[d][0], flags[d]);
		if (hook_is_free(l, d, ids[d], cnt[d], flags[d]))
			return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

/* ---- 5. maps -------------------------------------------------------------- */

/*
 * Read a sysfs CPU list ("0-3,8"). Plain open/read: no stdio buffer to
 * allocate, and an initramfs without /sys gets a message that says so.
 */
static int read_cpu_list(const char *path, uint8_t set[CPU_MAX], int *highest)
{
	char text[4096];
	size_t len = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	/* Sparse lists ("0,4,8,...") on large machines are long: read it all. */
	while (fd >= 0 && len < sizeof(text) - 1 &&
	       ((n = read(fd, text + len, sizeof(text) - 1 - len)) > 0 ||
		(n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	if (fd < 0 || n < 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		report("reading %s: %s%s", path, errno_text(err),
		       err == ENOENT ? "; is sysfs mounted (mount -t sysfs sysfs /sys)?" : "");
		return EXIT_SYSTEM;
	}
	close(fd);
	text[len] = '\0';
	rc = len == sizeof(text) - 1 ? -1 : cpu_list_parse(text, set, highest);
	if (rc == -2)
		report("reading %s: CPU numbers above %d are not supported", path, CPU_MAX - 1);
	else if (rc < 0)
		report("reading %s: not a CPU list of under 4 KiB: '%.32s'", path, text);
	return rc < 0 ? EXIT_SYSTEM : EXIT_OK;
}

/*
 * Before 5.11 BPF memory was charged to RLIMIT_MEMLOCK, 64 KiB by default,
 * and running out looks like EPERM. So only after an EPERM: raise the soft
 * limit to unlimited, or (without CAP_SYS_RESOURCE) to the hard limit.
 * Returns 1 if the limit went up and a retry can help.
 */
static int raise_memlock(void)
{
	struct rlimit now, inf = { RLIM_INFINITY, RLIM_INFINITY };

	/*
	 * prlimit(2), not setrlimit(): the same for a single-threaded process,
	 * and musl's setrlimit() brings code to reach every thread, 4 KiB of it.
	 */
	if (prlimit(0, RLIMIT_MEMLOCK, NULL, &now) < 0 || now.rlim_cur == RLIM_INFINITY)
		return 0;
	if (prlimit(0, RLIMIT_MEMLOCK, &inf, NULL) == 0)
		return 1;
	if (now.rlim_cur >= now.rlim_max)
		return 0;
	now.rlim_cur = now.rlim_max;
	return prlimit(0, RLIMIT_MEMLOCK, &now, NULL) == 0;
}

static int create_map(const struct map_def *m, uint32_t max_entries, int *fd_out,
		      const struct map_btf *btf)
{
	char name[BPF_OBJ_NAME_LEN];
	int fd;

	kernel_name(name, m->name);
	fd = bpf_map_create(m->type, name, m->key_size, m->value_size, max_entries, m->map_flags,
			    btf);
	if (fd < 0 && errno == EPERM) {
		if (raise_memlock())
			fd = bpf_map_create(m->type, name, m->key_size, m->value_size, max_entries,
					    m->map_flags, btf);
		else
			errno = EPERM;
	}
	*fd_out = fd;
	return fd < 0 ? -1 : 0;
}

/* Reusing an instance: its maps, reached by id, stand in for new ones. */
static int open_reused_maps(struct loader *l)
{
	const struct instance *inst = &l->hook[l->hook[0].used ? 0 : 1].reuse;
	const uint32_t ids[3] = { inst->blocklist_id, inst->blocknets_id, inst->events_id };
	struct bpf_map_info info[3];
	size_t i;
	int d;

	for (i = 0; i < 3; i++) {
		uint32_t len = sizeof(info[i]);

		memset(&info[i], 0, sizeof(info[i]));
		l->map_fds[i] = fd_above_stdio(bpf_map_get_fd_by_id(ids[i]));
		if (l->map_fds[i] < 0 ||
		    bpf_obj_get_info_by_fd(l->map_fds[i], &info[i], &len) < 0) {
			report("opening map id %" PRIu32 " of program id %" PRIu32 " on %s: %s%s",
			       ids[i], inst->prog_id, l->opt.cgroup_path, errno_text(errno),
			       errno == EPERM ? GET_BY_ID_HINT : "");
			return EXIT_SYSTEM;
		}
		trace(l, 1,
		      "step 5: reusing: BPF_MAP_GET_FD_BY_ID %" PRIu32
		      " -> fd %d (%s, max_entries %" PRIu32 ")",
		      ids[i], l->map_fds[i], info[i].name, info[i].max_entries);
	}
	l->bl.single_fd = l->map_fds[0];
	l->bl.prefix_fd = l->map_fds[1];
	l->blocklist_max[0] = info[0].max_entries;
	l->blocklist_max[1] = info[1].max_entries;
	l->events_fd = l->map_fds[2];
	l->events_slots = info[2].max_entries;
	/* Each program has its own CONFIG. */
	for (d = 0; d < DIR_CNT; d++) {
		struct hook *h = &l->hook[d];

		if (!h->used)
			continue;
		h->config_fd = fd_above_stdio(bpf_map_get_fd_by_id(h->reuse.config_id));
		if (h->config_fd < 0) {
			report("opening map id %" PRIu32 " of program id %" PRIu32 " on %s: %s%s",
			       h->reuse.config_id, h->prog_id, l->opt.cgroup_path,
			       errno_text(errno), errno == EPERM ? GET_BY_ID_HINT : "");
			return EXIT_SYSTEM;
		}
	}
	return EXIT_OK;
}

/* The verifier's reason in its log: the last line but its summary ("processed ..."). */
static const char *log_reason(char *log)
{
	const char *line = last_line(log);

	if (strncmp(line, "processed ", 10) == 0 && line > log) {
		log[line - log - 1] = '\0';
		line = last_line(log);
	}
	return line;
}

/*
 * Teaching build, before the first map is created: the object's BTF, read
 * and fixed up (btf.h), then handed to the kernel. BTF is optional: an
 * object without it loads as before, and one whose BTF this reader or the
 * kernel refuses (older than 5.2 does not know DATASEC, for one) costs a
 * warning, not the run. Commands that create nothing never read it.
 */
static void load_btf(struct loader *l)
{
	char err_text[256], *log;
	int err;

	if (!TEACH)
		return;
	if (!l->obj.btf.len) {
		trace(l, 1, "step 5: no .BTF section: maps and program load without types");
		return;
	}
	if (btf_parse(&l->btf, &l->obj, err_text, sizeof(err_text))) {
		report("warning: %s: %s; loading without BTF", l->object_label, err_text);
		return;
	}
	trace(l, 1,
	      "step 5: BTF: %" PRIu32 " types in %zu bytes, %" PRIu32
	      " DATASECs given their ELF sizes and offsets; .BTF.ext: %" PRIu32
	      " func_info and %" PRIu32 " line_info records for '%s'",
	      l->btf.type_cnt, l->btf.len, l->btf.datasec_cnt, l->btf.func_info_cnt,
	      l->btf.line_info_cnt, l->obj.prog_section);
	l->btf_fd = bpf_btf_load(l->btf.data, (uint32_t)l->btf.len, NULL, 0);
	if (l->btf_fd < 0) {
		/* Again with a log, for the kernel's reason. */
		err = errno;
		log = mem_alloc(VERIFIER_LOG_START);
		if (log) {
			log[0] = '\0';
			l->btf_fd = bpf_btf_load(l->btf.data, (uint32_t)l->btf.len, log,
						 VERIFIER_LOG_START);
		}
		if (l->btf_fd < 0)
			report("warning: the kernel refused the BTF of %s (BPF_BTF_LOAD: %s%s%s); loading without it",
			       l->object_label, errno_text(err), log && log[0] ? ": " : "",
			       log ? last_line(log) : "");
		mem_free(log);
	}
	if (l->btf_fd >= 0)
		trace(l, 1, "step 5: BPF_BTF_LOAD: %zu bytes -> fd %d", l->btf.len, l->btf_fd);
}

/* Map `i` of the object; CONFIG once for each hook's program, so each knows its direction. */
static int create_map_for(struct loader *l, size_t i, uint32_t max_entries)
{
	const struct map_def *m = &l->obj.maps[i];
	struct map_btf types = { l->btf_fd, 0, 0 };
	const struct map_btf *btf = NULL;
	int d;

	/* Teaching build: the key and value types from BTF, where the map names them. */
	if (TEACH && l->btf_fd >= 0 &&
	    btf_map_types(&l->btf, m->name, &types.key_type_id, &types.value_type_id) == 0)
		btf = &types;
	for (d = 0; d < DIR_CNT; d++) {
		int config = i == l->config_index;
		int *fd = config ? &l->hook[d].config_fd : &l->map_fds[i];

		if (config ? !l->hook[d].used : d > 0)
			continue;
		if (create_map(m, max_entries, fd, btf) < 0) {
			int err = errno;

			/* Without the types; only if that works were they the reason. */
			if (!btf || create_map(m, max_entries, fd, NULL) < 0)
				return -1;
			report("warning: map %s: the kernel refused its BTF key and value types (%s); created without them",
			       m->name, errno_text(err));
			btf = NULL;
		}
		trace(l, 1,
		      "step 5: BPF_MAP_CREATE %s%s%s: map_type %" PRIu32 ", key_size %" PRIu32
		      ", value_size %" PRIu32 ", max_entries %" PRIu32 ", map_flags 0x%" PRIx32
		      ", btf_key_type_id %" PRIu32 ", btf_value_type_id %" PRIu32
		      " -> fd %d, map id %" PRIu32,
		      m->name, config ? " for " : "", config ? direction_names[d] : "", m->type,
		      m->key_size, m->value_size, max_entries, m->map_flags,
		      btf ? btf->key_type_id : 0, btf ? btf->value_type_id : 0, *fd,
		      TEACH && l->opt.verbose ? map_id(*fd) : 0);
	}
	return 0;
}

static int create_maps(struct loader *l)
{
	size_t i;

	if (l->reusing)
		return open_reused_maps(l);
	load_btf(l);

	for (i = 0; i < l->obj.map_cnt; i++) {
		const struct map_def *m = &l->obj.maps[i];
		uint32_t max_entries = m->max_entries;

		/* A perf event array needs a slot for every CPU that may ever run us. */
		if (m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && max_entries == 0) {
			uint8_t possible[CPU_MAX];
			int highest;

			if (read_cpu_list("/sys/devices/system/cpu/possible", possible, &highest))
				return EXIT_SYSTEM;
			max_entries = (uint32_t)highest + 1;
		}
		if (strcmp(m->name, EVENTS_MAP_NAME) == 0)
			l->events_slots = max_entries;
		if (strcmp(m->name, BLOCKLIST_MAP_NAME) == 0 ||
		    strcmp(m->name, BLOCKNETS_MAP_NAME) == 0) {
			int prefixes = strcmp(m->name, BLOCKNETS_MAP_NAME) == 0;
			size_t want = 0, k;

			if (l->opt.max_entries)
				max_entries = l->opt.max_entries;
			for (k = 0; k < l->opt.block.cnt; k++)
				want += addr_is_single(&l->opt.block.key[k]) != prefixes;
			/* Refuse before creating: a million-entry map costs ~100 MiB. */
			if (want > max_entries) {
				report("%zu %s to block, but %s holds %" PRIu32
				       " (--max-entries); nothing was attached",
				       want, prefixes ? "prefixes" : "addresses", m->name,
				       max_entries);
				return EXIT_SYSTEM;
			}
		}
		if (create_map_for(l, i, max_entries) < 0) {
			int err = errno;
			char hint[192];

			report("creating map %s (type %u, key %u, value %u, %u entries) from %s: %s%s",
			       m->name, m->type, m->key_size, m->value_size, max_entries,
			       l->object_label, errno_text(err),
			       privilege_hint(err, hint, sizeof(hint)));
			return EXIT_SYSTEM;
		}
		if (strcmp(m->name, BLOCKLIST_MAP_NAME) == 0)
			l->bl.single_fd = l->map_fds[i];
		else if (strcmp(m->name, BLOCKNETS_MAP_NAME) == 0)
			l->bl.prefix_fd = l->map_fds[i];
		else if (strcmp(m->name, EVENTS_MAP_NAME) == 0)
			l->events_fd = l->map_fds[i];
	}
	return EXIT_OK;
}

/*
 * For messages: "program id 7" or "program ids 7 and 8" into `ids`, and
 * "egress", "ingress" or "egress and ingress" returned, from the hooks this
 * run uses.
 */
static const char *describe(const struct loader *l, char *ids, size_t ids_len)
{
	const struct hook *e = &l->hook[DIR_EGRESS], *in = &l->hook[DIR_INGRESS];

	if (e->used && in->used)
		text_format(ids, ids_len, "program ids %" PRIu32 " and %" PRIu32, e->prog_id,
			    in->prog_id);
	else
		text_format(ids, ids_len, "program id %" PRIu32,
			    e->used ? e->prog_id : in->prog_id);
	return hook_set_names[(unsigned int)e->used | (unsigned int)in->used << 1];
}

/* ---- 6. the blocklist ----------------------------------------------------- */

/*
 * Before attaching, a new map gets every address (blocklist.c batches
 * them); a reused one gets those it lacks, and a `run` that reuses adds
 * only what was asked for, not the default 1.1.1.1. Either way it is all
 * or nothing.
 */
static int fill_blocklist(struct loader *l)
{
	struct blocklist_change ch;
	char text[ADDR_TEXT_MAX];
	int fresh = !l->reusing;

	if (l->opt.command == CMD_LOG || (!fresh && !l->opt.addresses_given))
		return EXIT_OK;
	if (blocklist_add(&l->bl, l->opt.block.key, l->opt.block.cnt, fresh, &ch) < 0) {
		int err = errno;
		char full[160] = "";

		/* A full hash says E2BIG, a full trie ENOSPC. */
		if ((err == E2BIG || err == ENOSPC) && !fresh)
			text_format(full, sizeof(full),
				    "; it is full (%" PRIu32
				    " entries, sized when first loaded): detach, then block again with a larger --max-entries",
				    l->blocklist_max[ch.failed_in_prefixes]);
		report("adding %s to %s of %s: %s%s; nothing was %s",
		       addr_format(&ch.failed_key, text),
		       ch.failed_in_prefixes ? BLOCKNETS_MAP_NAME : BLOCKLIST_MAP_NAME,
		       l->opt.cgroup_path, errno_text(err), full, fresh ? "attached" : "added");
		return EXIT_SYSTEM;
	}
	trace(l, 1,
	      "step 6: %zu key%s into " BLOCKLIST_MAP_NAME " and " BLOCKNETS_MAP_NAME
	      ": %zu BPF_MAP_UPDATE_BATCH and %zu BPF_MAP_UPDATE_ELEM calls",
	      ch.changed, ch.changed == 1 ? "" : "s", ch.update_calls[1], ch.update_calls[0]);
	if (!fresh) {
		char ids[64];

		describe(l, ids, sizeof(ids));
		report("added %zu address%s to %s on %s (%zu already there)", ch.changed,
		       ch.changed == 1 ? "" : "es", ids, l->opt.cgroup_path, ch.unchanged);
	}
	return EXIT_OK;
}

/*
 * Tell the program which events to send. `block` leaves a program that
 * nobody reads, so it sends none; `run` and `log` ask for what --log says,
 * also of a reused instance (one reader at a time), and hand that back to
 * "none" when they stop.
 */
static int set_log_mode(struct loader *l, uint32_t mode)
{
	const uint32_t zero = 0;
	int d;

	for (d = 0; d < DIR_CNT; d++) {
		struct prog_config config = { mode, (uint32_t)d };

		if (!l->hook[d].used || l->hook[d].config_fd < 0)
			continue;
		if (bpf_map_update_elem(l->hook[d].config_fd, &zero, &config, BPF_ANY) < 0) {
			report("writing " CONFIG_MAP_NAME " of the %s program on %s: %s",
			       direction_names[d], l->opt.cgroup_path, errno_text(errno));
			return EXIT_SYSTEM;
		}
		trace(l, 1,
		      "BPF_MAP_UPDATE_ELEM " CONFIG_MAP_NAME
		      " for %s (fd %d): [0] = { log %s, direction %s }",
		      direction_names[d], l->hook[d].config_fd, log_mode_names[mode],
		      direction_names[d]);
	}
	return EXIT_OK;
}

static int configure(struct loader *l)
{
	/* Adding to an instance leaves its log mode to whoever reads it. */
	if (l->reusing && l->opt.command == CMD_BLOCK)
		return EXIT_OK;
	l->configured = 1;
	return set_log_mode(l, l->opt.command == CMD_BLOCK ? LOG_NONE : l->opt.log_mode);
}

/* ---- 7. relocation -------------------------------------------------------- */

/*
 * clang leaves `r1 = 0 ll` (an ld_imm64 with imm 0) wherever the program
 * uses a map, and a relocation entry naming the map's symbol. Loading turns
 * each into "r1 = map fd N": src_reg BPF_PSEUDO_MAP_FD tells the verifier
 * that imm is an fd, which it swaps for the map's address. The second slot
 * of the ld_imm64 (the upper 32 bits) stays 0.
 */
static void relocate(struct loader *l, int d)
{
	int fds[ELF_MAX_MAPS];
	uint32_t ids[ELF_MAX_MAPS];
	struct disasm_maps maps = { fds, ids, l->obj.map_cnt };
	size_t i;

	for (i = 0; i < l->obj.map_cnt; i++) {
		fds[i] = i == l->config_index ? l->hook[d].config_fd : l->map_fds[i];
		ids[i] = TEACH && l->opt.verbose >= 2 ? map_id(fds[i]) : 0;
	}
	for (i = 0; i < l->obj.reloc_cnt; i++) {
		const struct map_reloc *r = &l->obj.relocs[i];
		struct bpf_insn insn;
		uint8_t *at = l->obj.insns + (size_t)r->insn_index * sizeof(insn);

		/* memcpy keeps it alignment-safe; the host's bitfield order is the kernel's. */
		memcpy(&insn, at, sizeof(insn));
		trace(l, 1,
		      "step 7: relocation for %s: instruction %" PRIu32
		      " (ld_imm64 r%d), map %s: src_reg %d -> %d (BPF_PSEUDO_MAP_FD), imm %" PRId32
		      " -> %d (its fd)",
		      direction_names[d], r->insn_index, insn.dst_reg,
		      l->obj.maps[r->map_index].name, insn.src_reg, BPF_PSEUDO_MAP_FD, insn.imm,
		      fds[r->map_index]);
		insn.src_reg = BPF_PSEUDO_MAP_FD;
		insn.imm = fds[r->map_index];
		memcpy(at, &insn, sizeof(insn));
	}
	trace_insns(l,
		    "after relocation (the kernel will put each map's address in place of its fd)",
		    &maps);
}

/* ---- 8. loading ------------------------------------------------------------ */

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

/*
 * With line_info (BTF), the verifier prints the source line before the
 * instructions it belongs to: "; return (int)skb->len; @ bad.bpf.c:32". The
 * last such line in a rejection's log is where verification stopped; as
 * " at bad.bpf.c:32 (return (int)skb->len;)" into `out`, or "".
 */
static const char *rejected_line(const char *log, char *out, size_t len)
{
	const char *p, *src = NULL, *at, *end;

	out[0] = '\0';
	if (!TEACH)
		return out;
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
		text_format(out, len, " at %.*s (%.*s)", (int)(end - at - 3), at + 3,
			    (int)(at - src), src);
	else
		text_format(out, len, " at (%.*s)", (int)(end - src), src);
	return make_printable(out);
}

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
		if (*err == EPERM && !memlock_retried++ && raise_memlock())
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
	if (TEACH && *err == ENOSPC && a->log_buf) {
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

/* Load the program for hook `d`, relocated to that hook's CONFIG. */
static int load_for(struct loader *l, int d)
{
	struct hook *h = &l->hook[d];
	char name[BPF_OBJ_NAME_LEN];
	struct prog_load_args a = {
		.type = BPF_PROG_TYPE_CGROUP_SKB,
		/* The hook, so the kernel checks the return codes and the attach against it. */
		.expected_attach_type = direction_attach_types[d],
		.insns = l->obj.insns,
		.insn_cnt = (uint32_t)l->obj.insn_cnt,
		.license = l->obj.license,
		.name = name,
		.btf_fd = TEACH && l->btf_fd >= 0 && !l->prog_btf_refused ? l->btf_fd : 0,
		.func_info = l->btf.func_info,
		.func_info_rec_size = l->btf.func_info_rec_size,
		.func_info_cnt = l->btf.func_info_cnt,
		.line_info = l->btf.line_info,
		.line_info_rec_size = l->btf.line_info_rec_size,
		.line_info_cnt = l->btf.line_info_cnt,
	};
	struct bpf_prog_info info;
	uint32_t info_len = sizeof(info);
	char *log = NULL, license[ELF_LICENSE_MAX];
	int err = 0, rc = EXIT_SYSTEM;

	relocate(l, d);
	program_name(l, name);
	/* `block` marks its program as meant to stay (instance.h). */
	if (l->opt.command == CMD_BLOCK) {
		char base[BPF_OBJ_NAME_LEN];

		memcpy(base, name, sizeof(base));
		instance_persistent_name(name, base);
	}
	/* -v: the log at once, for the verifier's summary at its end. */
	if (TEACH && l->opt.verbose) {
		log = mem_alloc(VERIFIER_LOG_START);
		a.log_buf = log;
		a.log_size = log ? VERIFIER_LOG_START : 0;
		a.log_level = log ? 1 : 0;
		text_format(license, sizeof(license), "%s", a.license);
		make_printable(license);
	}
	trace(l, 1,
	      "step 8: BPF_PROG_LOAD: prog_type %u (cgroup_skb), expected_attach_type %" PRIu32
	      " (%s), insn_cnt %" PRIu32 ", license '%s', prog_name '%s', log_level %" PRIu32
	      ", prog_btf_fd %d, func_info_cnt %" PRIu32 ", line_info_cnt %" PRIu32,
	      BPF_PROG_TYPE_CGROUP_SKB, a.expected_attach_type, direction_names[d], a.insn_cnt,
	      license, name, a.log_level, a.btf_fd, a.btf_fd ? a.func_info_cnt : 0,
	      a.btf_fd ? a.line_info_cnt : 0);
	h->prog_fd = try_load(&a, &log, &err);
	/*
	 * Refused with BTF in a way that may be the BTF's fault (the kernel
	 * checks func_info and line_info against the program: EINVAL; one
	 * without program BTF: E2BIG): once more without it. If that loads,
	 * say so, and leave BTF out of the other hook's load too; if not, the
	 * first log, with its source lines, is the one worth showing.
	 */
	if (TEACH && h->prog_fd < 0 && a.btf_fd && btf_may_be_why(err, log)) {
		struct prog_load_args plain = a;
		char *plain_log = NULL;
		int plain_err = 0;

		plain.btf_fd = 0;
		plain.log_buf = NULL;
		h->prog_fd = try_load(&plain, &plain_log, &plain_err);
		mem_free(plain_log);
		trace(l, 1, "step 8: BPF_PROG_LOAD again without BTF -> %d", h->prog_fd);
		if (h->prog_fd >= 0) {
			report("warning: the kernel refused the BTF of program '%s' for %s (%s%s%s); loaded without it",
			       name, direction_names[d], errno_text(err), log && log[0] ? ": " : "",
			       log ? log_reason(log) : "");
			l->prog_btf_refused = 1;
			if (log)
				log[0] = '\0';
		}
	}
	if (h->prog_fd < 0) {
		char hint[320], where[160];
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
		report("loading program '%s' for %s (section %s, %zu instructions) from %s: %s%s%s",
		       name, direction_names[d], l->obj.prog_section, l->obj.insn_cnt,
		       l->object_label, errno_text(err),
		       err == E2BIG ? "; the program is too large for this kernel" : "", why);
		if (log && log[0])
			print_verifier_log(log);
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
		rc = EXIT_OK;
		trace(l, 1, "step 8: -> fd %d, program id %" PRIu32 "; the verifier: %s",
		      h->prog_fd, h->prog_id, log && log[0] ? last_line(log) : "(no log)");
	}
out:
	mem_free(log);
	return rc;
}

/*
 * Steps 7 and 8 for each hook this run uses: the same instructions, with
 * that hook's CONFIG relocated in, loaded for that hook.
 */
static int load_program(struct loader *l)
{
	int d, rc = EXIT_OK;

	if (l->reusing)
		return EXIT_OK;
	for (d = 0; d < DIR_CNT && rc == EXIT_OK; d++)
		if (l->hook[d].used)
			rc = load_for(l, d);
	/* The maps and programs hold the kernel's BTF now; ours is done with. */
	if (TEACH) {
		if (l->btf_fd >= 0)
			close(l->btf_fd);
		l->btf_fd = -1;
		btf_free(&l->btf);
	}
	return rc;
}

/* ---- 9. perf rings ---------------------------------------------------------- */

static int open_rings(struct loader *l)
{
	uint8_t online[CPU_MAX];
	int highest, cpu;

	if (l->opt.command == CMD_BLOCK)
		return EXIT_OK; /* nobody reads: the program's events go nowhere, cheaply */

	if (read_cpu_list("/sys/devices/system/cpu/online", online, &highest))
		return EXIT_SYSTEM;
	l->rings = mem_alloc(((size_t)highest + 1) * sizeof(*l->rings));
	if (!l->rings) {
		report("allocating perf rings: %s", errno_text(ENOMEM));
		return EXIT_SYSTEM;
	}
	/*
	 * The program writes to EVENTS[current CPU]; an online CPU without a
	 * ring there would lose its events silently.
	 */
	for (cpu = 0; cpu <= highest; cpu++) {
		struct perf_ring *ring = &l->rings[l->ring_cnt];
		uint32_t key = (uint32_t)cpu;

		if (!online[cpu])
			continue;
		if ((uint32_t)cpu >= l->events_slots) {
			report("CPU %d is online but " EVENTS_MAP_NAME " has only %" PRIu32
			       " slots",
			       cpu, l->events_slots);
			return EXIT_SYSTEM;
		}
		if (perf_ring_open(ring, cpu, l->opt.ring_pages, l->opt.wakeup_events) < 0) {
			int err = errno;
			char hint[192];

			report("opening the perf ring of CPU %d (%u pages): %s%s", cpu,
			       l->opt.ring_pages, errno_text(err),
			       privilege_hint(err, hint, sizeof(hint)));
			return EXIT_SYSTEM;
		}
		l->ring_cnt++;
		if (bpf_map_update_elem(l->events_fd, &key, &ring->fd, BPF_ANY) < 0) {
			report("storing the perf ring of CPU %d in " EVENTS_MAP_NAME ": %s", cpu,
			       errno_text(errno));
			return EXIT_SYSTEM;
		}
		trace(l, 1,
		      "step 9: perf_event_open CPU %d: fd %d, mmap 1 + %u pages at 0x%lx; BPF_MAP_UPDATE_ELEM " EVENTS_MAP_NAME
		      "[%d] = %d",
		      cpu, ring->fd, l->opt.ring_pages, (unsigned long)(uintptr_t)ring->meta, cpu,
		      ring->fd);
	}
	return EXIT_OK;
}

/*
 * One epoll set for the signalfd and every ring, made before attaching so
 * that nothing can fail between attaching and watching.
 */
static int watch_rings(struct loader *l)
{
	struct epoll_event ev = { .events = EPOLLIN };
	size_t i;

	if (l->opt.command == CMD_BLOCK)
		return EXIT_OK;

	l->epoll_fd = fd_above_stdio(epoll_create1(EPOLL_CLOEXEC));
	if (l->epoll_fd < 0) {
		report("creating an epoll set: %s", errno_text(errno));
		return EXIT_SYSTEM;
	}
	ev.data.fd = l->signal_fd;
	if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, l->signal_fd, &ev) < 0) {
		report("watching the signalfd: %s", errno_text(errno));
		return EXIT_SYSTEM;
	}
	for (i = 0; i < l->ring_cnt; i++) {
		ev.data.fd = l->rings[i].fd;
		if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, l->rings[i].fd, &ev) < 0) {
			report("watching the perf ring of CPU %d: %s", l->rings[i].cpu,
			       errno_text(errno));
			return EXIT_SYSTEM;
		}
	}
	return EXIT_OK;
}

/* ---- 10. attach ---------------------------------------------------------------- */

/* A reused instance is attached already: only say what this run does with it. */
static int attach_reused(struct loader *l)
{
	char ids[64];
	const char *hooks;

	flock(l->cgroup_fd, LOCK_UN); /* taken in check_hook() */
	if (l->opt.command == CMD_BLOCK)
		return EXIT_OK;
	l->watching = 1;
	hooks = describe(l, ids, sizeof(ids));
	report("reading the events of %s on %s (%s), left attached when this %s ends%s", ids,
	       l->opt.cgroup_path, hooks, command_names[l->opt.command],
	       l->hook[l->hook[0].used ? 0 : 1].reuse.persistent ? " (`detach` removes it)" : "");
	return EXIT_OK;
}

/* Attach the program of hook `d`, unless the hook has changed since step 4. */
static int attach_one(struct loader *l, int d)
{
	struct hook *h = &l->hook[d];
	uint32_t flags = attach_mode_flags[l->opt.mode], ids[HOOK_QUERY_MAX], cnt, now_flags;
	uint32_t type = direction_attach_types[d];

	/*
	 * Step 4 looked at the hook before the maps, the verifier and the
	 * rings; look again, so that the window in which a newcomer could be
	 * replaced shrinks to the two system calls here.
	 */
	if (query_hook(l, d, ids, &cnt, &now_flags) || hook_is_free(l, d, ids, cnt, now_flags))
		return EXIT_SYSTEM;
	if (bpf_prog_attach(h->prog_fd, l->cgroup_fd, type, flags) < 0) {
		int err = errno;

		report("attaching to the %s hook of %s (mode %s): %s%s", direction_names[d],
		       l->opt.cgroup_path, attach_mode_names[l->opt.mode], errno_text(err),
		       err == EPERM
			       ? "; another program here or on a parent cgroup forbids it (bpftool cgroup tree), or CAP_NET_ADMIN is missing"
		       : err == E2BIG
			       ? "; the hook already holds the kernel's limit of 64 programs (left attached by killed runs?)"
			       : "");
		return EXIT_SYSTEM;
	}
	h->attached = l->was_attached = 1;
	trace(l, 1,
	      "step 10: BPF_PROG_ATTACH: program fd %d (id %" PRIu32
	      ") to cgroup fd %d, attach_type %" PRIu32 " (%s), attach_flags 0x%" PRIx32 " (%s)",
	      h->prog_fd, h->prog_id, l->cgroup_fd, type, direction_names[d], flags,
	      attach_mode_names[l->opt.mode]);
	return EXIT_OK;
}

/*
 * After every hook has ours: a killed run's program is gone already in
 * single and override mode (attaching replaced it), and in multi mode it
 * is still there next to ours, so now it may go. Waiting until all hooks
 * are attached means a failure on the second hook can put the first back
 * as it was (detach_one()).
 */
static void drop_left_overs(struct loader *l)
{
	int d;

	for (d = 0; d < DIR_CNT; d++) {
		struct hook *h = &l->hook[d];

		if (h->left_over_fd < 0)
			continue;
		if (l->opt.mode == ATTACH_MULTI &&
		    bpf_prog_detach(h->left_over_fd, l->cgroup_fd, direction_attach_types[d]) < 0)
			report("detaching the left-over program id %" PRIu32
			       " from %s: %s; it is still attached",
			       h->left_over_id, l->opt.cgroup_path, errno_text(errno));
		else
			report("replaced the left-over program id %" PRIu32 " on %s",
			       h->left_over_id, l->opt.cgroup_path);
		close(h->left_over_fd);
		h->left_over_fd = -1;
	}
}

/*
 * Step 10. With both hooks, a failure on the second leaves the first
 * attached only until loader_close() detaches it: all or nothing.
 */
static int attach(struct loader *l)
{
	char ids[64];
	const char *hooks;
	int d;

	if (l->reusing)
		return attach_reused(l);
	for (d = 0; d < DIR_CNT; d++)
		if (l->hook[d].used && attach_one(l, d))
			return EXIT_SYSTEM;
	drop_left_overs(l);
	flock(l->cgroup_fd, LOCK_UN); /* taken in check_hook() */
	hooks = describe(l, ids, sizeof(ids));
	if (l->opt.command == CMD_BLOCK) {
		/* It is meant to outlive us: nothing to detach on the way out. */
		for (d = 0; d < DIR_CNT; d++)
			l->hook[d].attached = 0;
		l->was_attached = 0;
		report("attached %s to %s (%s, mode %s), blocking %zu address%s; it stays attached: `" PROG_NAME
		       " detach -c %s` removes it",
		       ids, l->opt.cgroup_path, hooks, attach_mode_names[l->opt.mode],
		       l->opt.block.cnt, l->opt.block.cnt == 1 ? "" : "es", l->opt.cgroup_path);
		return EXIT_OK;
	}
	l->watching = 1;
	report("attached %s to %s (%s, mode %s), blocking %zu address%s; SIGINT or SIGTERM detaches",
	       ids, l->opt.cgroup_path, hooks, attach_mode_names[l->opt.mode], l->opt.block.cnt,
	       l->opt.block.cnt == 1 ? "" : "es");
	return EXIT_OK;
}

/* ---- 11. the event loop --------------------------------------------------------- */

/*
 * LOG and LOST lines collect in our own buffer and are written once per
 * drain, not through stdio: a write(2) into a stalled pipe or a stopped
 * terminal would block for good with our stop signals blocked, and a
 * supervisor's SIGTERM would go unheard until its SIGKILL left the program
 * attached. So writing waits in poll() for stdout or the signalfd, and
 * writes at most PIPE_BUF bytes once stdout is writable.
 */
static void out_flush(struct loader *l)
{
	size_t done = 0;

	while (done < l->out_len && !l->stdout_broken) {
		struct pollfd p[2] = { { STDOUT_FILENO, POLLOUT, 0 }, { l->signal_fd, POLLIN, 0 } };
		size_t chunk = l->out_len - done < PIPE_BUF ? l->out_len - done : PIPE_BUF;
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno != EINTR)
				l->stdout_broken = errno;
			continue;
		}
		if (!(p[0].revents & (POLLOUT | POLLERR | POLLHUP | POLLNVAL))) {
			if (p[1].revents & POLLIN)
				break; /* a stop signal waits: give up on output */
			continue;
		}
		n = write(STDOUT_FILENO, l->out + done, chunk);
		if (n > 0)
			done += (size_t)n;
		else if (n < 0 && errno != EINTR && errno != EAGAIN)
			l->stdout_broken = errno;
	}
	l->out_len = 0;
}

__attribute__((format(printf, 2, 3))) static void out_line(struct loader *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sizeof(l->out) - l->out_len < OUT_LINE_MAX)
		out_flush(l);
	va_start(ap, fmt);
	n = text_vformat(l->out + l->out_len, OUT_LINE_MAX, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->out_len += (size_t)n < OUT_LINE_MAX ? (size_t)n : OUT_LINE_MAX - 1;
}

static void print_event(void *ctx, const void *raw, uint32_t size)
{
	struct loader *l = ctx;
	struct packet_log ev;
	struct addr_key key = { 0 };
	char text[ADDR_TEXT_MAX];

	/* The kernel may pad a raw sample past our 20 bytes: ask for at least, not exactly. */
	if (size < sizeof(ev)) {
		l->short_samples++;
		return;
	}
	memcpy(&ev, raw, sizeof(ev));
	/* The record is untrusted too: a family we do not know prints as "?". */
	memcpy(key.addr, ev.addr, sizeof(key.addr));
	key.family = ev.family;
	key.prefixlen = ADDR_FAMILY_BITS + (ev.family == ADDR_IPV4 ? 32 : 128);
	addr_format(&key, text);
	/* Egress: where the packet went (DST); ingress: where it came from (SRC). */
	if (l->opt.json)
		out_line(l,
			 "{\"family\":\"%s\",\"address\":\"%s\",\"action\":%u,\"direction\":\"%s\"}\n",
			 ev.family == ADDR_IPV4	  ? "ipv4"
			 : ev.family == ADDR_IPV6 ? "ipv6"
						  : "?",
			 text, ev.action, ev.direction ? "ingress" : "egress");
	else
		out_line(l, "LOG: %s %s, ACTION %u\n", ev.direction ? "SRC" : "DST", text,
			 ev.action);
}

/*
 * The kernel counts what did not fit into a full ring and writes one
 * PERF_RECORD_LOST with the count at its next successful write, so this line
 * comes late, but it comes, and the counts add up.
 */
static void print_lost(void *ctx, int cpu, uint64_t lost)
{
	struct loader *l = ctx;

	if (l->opt.json)
		out_line(l, "{\"lost\":%" PRIu64 ",\"cpu\":%d}\n", lost, cpu);
	else
		out_line(l, "LOST %" PRIu64 " events on cpu %d\n", lost, cpu);
}

static void drain_rings(struct loader *l)
{
	const struct perf_ring_handler h = { print_event, print_lost, l };
	size_t i;

	for (i = 0; i < l->ring_cnt; i++)
		perf_ring_drain(&l->rings[i], &h, &l->stats);
	out_flush(l);
}

/*
 * Once a second: is there still something to do? If the cgroup was removed,
 * no process can be in it any more: the job is over (our open directory fd
 * would keep the dead cgroup, and our program on it, around). If someone
 * with CAP_NET_ADMIN detached our program, blocking has stopped behind the
 * operator's back, which they must hear about. Sets *rc for run().
 */
/*
 * Whether our program is on the hook now: 1 yes, 0 no (*others: how many
 * programs are there instead), -1 when the kernel would not say.
 */
static int ours_on_hook(struct loader *l, int d, uint32_t *others)
{
	uint32_t ids[HOOK_QUERY_MAX], cnt = HOOK_QUERY_MAX, flags = 0, i;

	if (bpf_prog_query(l->cgroup_fd, direction_attach_types[d], &flags, ids, &cnt) < 0)
		return -1;
	for (i = 0; i < cnt && i < HOOK_QUERY_MAX; i++)
		if (ids[i] == l->hook[d].prog_id)
			return 1;
	*others = cnt;
	return 0;
}

static int still_attached(struct loader *l, int *rc)
{
	struct stat st;
	uint32_t others = 0;
	int d;

	if (fstatat(l->cgroup_fd, "cgroup.procs", &st, 0) < 0 && errno == ENOENT) {
		report("cgroup %s was removed; detaching and exiting", l->opt.cgroup_path);
		l->cgroup_removed = 1;
		*rc = EXIT_OK;
		return 0;
	}
	for (d = 0; d < DIR_CNT; d++) {
		struct hook *h = &l->hook[d];

		/* A failing query proves nothing; look again next time. */
		if (!h->used || ours_on_hook(l, d, &others) != 0)
			continue;
		h->attached = 0;
		l->seen_detached = 1;
		if (l->opt.command == CMD_LOG) {
			report("%s program id %" PRIu32
			       " was detached from %s; nothing left to read",
			       direction_names[d], h->prog_id, l->opt.cgroup_path);
			*rc = EXIT_OK;
			return 0;
		}
		report("%s program id %" PRIu32
		       " was detached from %s by someone else (bpftool cgroup detach?); blocking has stopped; exiting",
		       direction_names[d], h->prog_id, l->opt.cgroup_path);
		*rc = EXIT_SYSTEM;
		return 0;
	}
	return 1;
}

/*
 * Seconds on the coarse monotonic clock, or -1: run() asks once per
 * wake-up and acts once a second. Straight through the syscall, because
 * musl's clock_gettime() brings its vDSO lookup (1 KiB). A 32-bit target
 * tries clock_gettime64 first (two s64), then, on a kernel before 5.1 or
 * under a seccomp filter that refuses it, the old call (two longs: a
 * 32-bit monotonic clock is fine).
 */
static int64_t monotonic_seconds(void)
{
	struct {
		long sec, nsec;
	} ts;
#ifdef SYS_clock_gettime64
	struct {
		int64_t sec, nsec;
	} ts64;

	if (syscall(SYS_clock_gettime64, CLOCK_MONOTONIC_COARSE, &ts64) == 0)
		return ts64.sec;
#endif
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC_COARSE, &ts) == 0)
		return ts.sec;
	return -1;
}

static int run(struct loader *l)
{
	for (;;) {
		struct epoll_event events[16];
		int n = epoll_wait(l->epoll_fd, events, 16, l->opt.flush_ms), k;
		int64_t now;

		if (n < 0 && errno != EINTR) {
			report("waiting for events: %s", errno_text(errno));
			return EXIT_SYSTEM;
		}
		/* Woken by a ring or by the timeout: either way print what is there. */
		drain_rings(l);
		if (l->stdout_broken) {
			report("writing LOG lines to stdout: %s; detaching",
			       errno_text(l->stdout_broken));
			return EXIT_SYSTEM;
		}
		for (k = 0; k < n; k++) {
			struct signalfd_siginfo si;

			if (events[k].data.fd != l->signal_fd)
				continue;
			if (read(l->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				return EXIT_OK;
		}
		/* Without a clock, check on every wake-up. */
		now = monotonic_seconds();
		if (now < 0 || now != l->last_check) {
			int rc;

			l->last_check = now;
			if (!still_attached(l, &rc))
				return rc;
		}
	}
}

/*
 * Whether our program is still the one on the hook. In single and override
 * mode the kernel ignores which program BPF_PROG_DETACH names and removes
 * whatever is attached: if someone replaced ours, detaching would remove
 * theirs. (Multi mode detaches exactly the program named.)
 */
static int still_ours(struct loader *l, int d)
{
	uint32_t others = 0;

	if (l->opt.mode == ATTACH_MULTI || l->cgroup_removed || ours_on_hook(l, d, &others) != 0)
		return 1;
	report("program id %" PRIu32
	       " is no longer on the %s hook of %s%s; leaving the hook as it is",
	       l->hook[d].prog_id, direction_names[d], l->opt.cgroup_path,
	       others ? " (another program replaced it)" : "");
	return 0;
}

/* Take hook `d`'s program off, if we put it on; EXIT_SYSTEM if it is stuck there. */
static int detach_one(struct loader *l, int d)
{
	struct hook *h = &l->hook[d];
	int err;

	if (h->attached && !still_ours(l, d)) {
		h->attached = 0;
		h->replaced = 1;
	}
	if (!h->attached)
		return EXIT_OK;
	/*
	 * Setup failed after ours replaced a killed run's program here (single,
	 * override): attaching that one again replaces ours in one step, so the
	 * hook never stands empty.
	 */
	if (h->left_over_fd >= 0 && l->opt.mode != ATTACH_MULTI && !l->cgroup_removed &&
	    bpf_prog_attach(h->left_over_fd, l->cgroup_fd, direction_attach_types[d],
			    attach_mode_flags[l->opt.mode]) == 0) {
		h->attached = 0;
		return EXIT_OK;
	}
	/* On a removed cgroup the kernel says ENOENT, and lets go once our fds close. */
	if (bpf_prog_detach(h->prog_fd, l->cgroup_fd, direction_attach_types[d]) == 0 ||
	    l->cgroup_removed) {
		trace(l, 1, "BPF_PROG_DETACH: program fd %d (id %" PRIu32 ") from cgroup fd %d, %s",
		      h->prog_fd, h->prog_id, l->cgroup_fd, direction_names[d]);
		h->attached = 0;
		return EXIT_OK;
	}
	err = errno;
	report("detaching %s program id %" PRIu32 " from %s: %s%s", direction_names[d], h->prog_id,
	       l->opt.cgroup_path, errno_text(err),
	       err == ENOENT
		       ? " (someone else detached it already)"
		       : "; it is still attached and blocking: detach it with bpftool cgroup detach, or remove the cgroup");
	if (err != ENOENT)
		return EXIT_SYSTEM;
	h->attached = 0;
	return EXIT_OK;
}

/*
 * Undo whatever was done, in reverse; safe at any point of the setup.
 * Returns EXIT_SYSTEM if one of our programs could not be detached.
 */
int loader_close(struct loader *l)
{
	int rc = EXIT_OK, d, still = 0, replaced = 0;
	size_t i;

	for (d = 0; d < DIR_CNT; d++) {
		if (detach_one(l, d))
			rc = EXIT_SYSTEM;
		still |= l->hook[d].attached;
		replaced |= l->hook[d].replaced;
	}
	/* A reused instance stays: nobody reads its events after us (nor after a failed start). */
	if (l->reusing && l->configured)
		set_log_mode(l, LOG_NONE);
	if (l->was_attached || l->watching) {
		/* Events written before the detach are still in the rings. */
		drain_rings(l);
		report("%s %s; %" PRIu64 " events, %" PRIu64 " lost",
		       l->reusing && !l->seen_detached
			       ? "stopped reading; the program stays attached to"
		       : l->reusing ? "stopped reading; the program was detached from"
		       : still	    ? "left attached to"
		       : replaced   ? "stopped; our program had been replaced on"
				    : "detached from",
		       l->opt.cgroup_path, l->stats.samples, l->stats.lost);
		if (l->stats.corrupt || l->stats.unknown || l->short_samples)
			report("warning: %" PRIu64 " corrupt ring headers, %" PRIu64
			       " unknown records, %" PRIu64 " short samples skipped",
			       l->stats.corrupt, l->stats.unknown, l->short_samples);
	}
	for (i = 0; i < l->ring_cnt; i++)
		perf_ring_close(&l->rings[i]);
	mem_free(l->rings);
	for (i = 0; i < ELF_MAX_MAPS; i++)
		if (l->map_fds[i] >= 0)
			close(l->map_fds[i]);
	for (d = 0; d < DIR_CNT; d++) {
		struct hook *h = &l->hook[d];

		if (h->prog_fd >= 0)
			close(h->prog_fd);
		if (h->config_fd >= 0)
			close(h->config_fd);
		if (h->left_over_fd >= 0)
			close(h->left_over_fd);
		if (h->reuse.prog_id)
			close(h->reuse.prog_fd);
	}
	if (l->epoll_fd >= 0)
		close(l->epoll_fd);
	if (l->signal_fd >= 0)
		close(l->signal_fd);
	if (l->cgroup_fd >= 0)
		close(l->cgroup_fd);
	if (l->btf_fd >= 0)
		close(l->btf_fd);
	if (TEACH)
		btf_free(&l->btf);
	elf_obj_free(&l->obj);
	mem_free(l->object_copy);
	addr_list_free(&l->opt.block);
	return rc;
}

/*
 * Steps 3 to 10, in order. main() checks for SIGINT, SIGTERM or SIGHUP before
 * each one: a signal during setup stops it there, with nothing attached.
 */
/* clang-format off */
static const struct setup_step {
	const char *name;
	int (*run)(struct loader *l);
} setup_steps[] = {
	{ "reading the BPF object", load_object },
	{ "opening the cgroup", open_cgroup },
	{ "querying the hook", check_hook },
	{ "creating the maps", create_maps },
	{ "filling the blocklist", fill_blocklist },
	{ "configuring the program", configure },
	{ "loading the program", load_program },
	{ "opening the perf rings", open_rings },
	{ "watching the rings", watch_rings },
	{ "attaching", attach },
};
/* clang-format on */

/* A stop signal is waiting (they are blocked): report it and say so. */
int stop_signal_pending(const struct loader *l, const char *step)
{
	sigset_t pending;
	size_t i;

	if (sigpending(&pending) < 0)
		return 0;
	for (i = 0; i < sizeof(stop_signal_names) / sizeof(stop_signal_names[0]); i++)
		if (sigismember(&pending, stop_signal_names[i].sig) == 1 &&
		    sigismember(&l->stop_signals, stop_signal_names[i].sig) == 1) {
			report("%s before %s: stopping; nothing was %s", stop_signal_names[i].name,
			       step, l->opt.command <= CMD_LOG ? "attached" : "changed");
			return 1;
		}
	return 0;
}

/*
 * A script or initramfs may start us with stdin, stdout or stderr closed.
 * Put /dev/null there so that no file we open later becomes "stdout".
 */
static void fill_stdio(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}

int main(int argc, char **argv)
{
	struct loader l;
	size_t i;
	int rc, close_rc;

	fill_stdio();
	memset(&l, 0, sizeof(l));
	l.cgroup_fd = l.epoll_fd = l.signal_fd = l.btf_fd = -1;
	l.bl.single_fd = l.bl.prefix_fd = l.events_fd = -1;
	for (i = 0; i < DIR_CNT; i++)
		l.hook[i].prog_fd = l.hook[i].config_fd = l.hook[i].left_over_fd = -1;
	for (i = 0; i < ELF_MAX_MAPS; i++)
		l.map_fds[i] = -1;
	text_out_init(&l.print, STDOUT_FILENO);

	rc = parse_args(argc, argv, &l.opt);
	if (rc < 0) {
		addr_list_free(&l.opt.block);
		return EXIT_OK;
	}
	if (rc == EXIT_OK && l.opt.command > CMD_LOG) {
		/*
		 * These only need the object (for its program's name) and the
		 * cgroup. Stop signals are held off too, so that unblock and
		 * detach, once they start changing things, finish.
		 */
		if (l.opt.command == CMD_UNBLOCK || l.opt.command == CMD_DETACH)
			rc = setup_signals(&l);
		if (rc == EXIT_OK)
			rc = load_object(&l);
		if (rc == EXIT_OK)
			rc = open_cgroup(&l);
		if (rc == EXIT_OK)
			rc = l.opt.command == CMD_STATUS    ? cmd_status(&l)
			     : l.opt.command == CMD_LIST    ? cmd_list(&l)
			     : l.opt.command == CMD_UNBLOCK ? cmd_unblock(&l)
							    : cmd_detach(&l);
		loader_close(&l);
		return rc;
	}
	if (rc == EXIT_OK)
		rc = setup_signals(&l);
	for (i = 0; rc == EXIT_OK && i < sizeof(setup_steps) / sizeof(setup_steps[0]); i++) {
		if (stop_signal_pending(&l, setup_steps[i].name))
			break;
		rc = setup_steps[i].run(&l);
	}
	if (rc == EXIT_OK && l.watching)
		rc = run(&l);
	close_rc = loader_close(&l);
	return rc != EXIT_OK ? rc : close_rc;
}
