/* SPDX-License-Identifier: MIT */
/*
 * preflight.c - `check`, the preflight (preflight.h). Each question goes to the kernel as
 * the tool would put it: a program loaded, a map made, a hook queried, and
 * let go at once. What the answer means for blocking and logging is said
 * on the same line, so that an operator on a box with a stripped kernel
 * knows before the first `block` whether filtering will be real.
 */
#include "preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "bpf_sys.h"
#include "cgroup.h"
#include "common.h"
#include "instance.h"
#include "maps.h"
#include "messages.h"
#include "target.h"
#include "text.h"
#include "transport.h"

static const char *const level_names[] = { "ok", "info", "warn", "FAIL" };

void preflight_add(struct preflight *c, enum check_level level, const char *name, const char *fmt,
		   ...)
{
	struct check_line *l = &c->line[c->cnt];
	va_list ap;

	if (c->cnt >= CHECK_LINES)
		return;
	c->cnt++;
	l->level = level;
	l->name = name;
	va_start(ap, fmt);
	text_vformat(l->text, sizeof(l->text), fmt, ap);
	va_end(ap);
}

int preflight_blocking(const struct preflight *c)
{
	unsigned int i;

	for (i = 0; i < c->cnt; i++)
		if (c->line[i].level == CHECK_FAIL)
			return 0;
	return 1;
}

/* The directory whose hooks to look at: the one named, else the mount's own. */
static int check_cgroup(struct preflight *c, const struct options *o, const char *mnt, char *path,
			size_t len)
{
	struct statfs sfs;
	int fd, bad;

	text_format(path, len, "%s", o->target_given ? o->cgroup_path : mnt);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* An errno, or -1: not cgroup v2. */
	bad = fd < 0				  ? errno
	      : fstatfs(fd, &sfs) < 0		  ? errno
	      : sfs.f_type != CGROUP2_SUPER_MAGIC ? -1
						  : 0;
	if (bad) {
		preflight_add(c, CHECK_FAIL, "cgroup",
			      "%s: %s; give a cgroup v2 directory with -c, --unit or --pid", path,
			      bad > 0 ? errno_text(bad) : "not a cgroup v2 directory");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!o->target_given && strcmp(o->cgroup_path, mnt) != 0) {
		struct statfs dflt;

		if (statfs(o->cgroup_path, &dflt) < 0 || dflt.f_type != CGROUP2_SUPER_MAGIC)
			preflight_add(c, CHECK_WARN, "cgroup",
				      "the default -c %s is not cgroup v2 here: give -c, --unit or --pid",
				      o->cgroup_path);
	}
	return fd;
}

/* "7 (ours, persistent)" for each program on hook `d`; a warning when `block` would be refused. */
static void check_hook(struct preflight *c, int cg, int d, const char *prog_name)
{
	uint32_t ids[8], cnt = 8, flags = 0, i;
	char text[200];
	size_t used = 0;
	int others = 0;

	if (bpf_prog_query(cg, direction_attach_type(d), &flags, ids, &cnt) < 0 &&
	    errno != ENOSPC) {
		preflight_add(c, CHECK_FAIL, direction_names[d], "BPF_PROG_QUERY: %s%s",
			      errno_text(errno),
			      errno == EINVAL ? ": no cgroup BPF (CONFIG_CGROUP_BPF, Linux 4.15+)"
					      : "");
		return;
	}
	for (i = 0; i < cnt && i < 8; i++) {
		struct instance inst;
		int ours = instance_find(ids[i], prog_name, &inst);

		if (ours == 1)
			close(inst.prog_fd);
		others += ours == 0;
		used += (size_t)text_format(text + used, sizeof(text) - used, "%s%" PRIu32 "%s",
					    i ? ", " : "program id ", ids[i],
					    ours == 1	? (inst.persistent ? " (ours, persistent)"
									   : " (ours)")
					    : ours == 0 ? " (not ours)"
							: " (whose, the kernel would not say)");
		if (used >= sizeof(text))
			break;
	}
	if (!cnt)
		preflight_add(c, CHECK_OK, direction_names[d], "free: nothing attached");
	else if (others && !(flags & BPF_F_ALLOW_MULTI))
		/* The hook `block` takes by default: refused there, blocking will not work. */
		preflight_add(c, d == DIR_EGRESS ? CHECK_FAIL : CHECK_WARN, direction_names[d],
			      "%s, mode %s: `block%s` would be refused here; another program owns the hook",
			      text, flags_text(flags),
			      d == DIR_EGRESS ? "" : " --direction ingress");
	else
		preflight_add(c, CHECK_INFO, direction_names[d], "%s, mode %s", text,
			      flags_text(flags));
}

/* The smallest cgroup SKB program, "return 1": may this process load one at all? */
static void check_load(struct preflight *c)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct prog_load_args a = { .type = BPF_PROG_TYPE_CGROUP_SKB,
				    .expected_attach_type = BPF_CGROUP_INET_EGRESS,
				    .insns = insns,
				    .insn_cnt = 2,
				    .license = "GPL",
				    .name = "probe_load" };
	char hint[256];
	int fd = bpf_prog_load(&a), err = errno;

	if (fd < 0 && err == EPERM && memlock_raise()) {
		fd = bpf_prog_load(&a);
		err = fd < 0 ? errno : err;
	}
	if (fd >= 0) {
		close(fd);
		preflight_add(c, CHECK_OK, "bpf", "cgroup SKB programs load");
		return;
	}
	preflight_add(c, CHECK_FAIL, "bpf", "BPF_PROG_LOAD of a cgroup SKB program: %s%s",
		      errno_text(err),
		      err == EINVAL ? "; no cgroup BPF (CONFIG_CGROUP_BPF)"
				    : privilege_hint(err, hint, sizeof(hint)));
}

/* The map types the program uses, and whether many elements go in one call (5.6+). */
static void check_maps(struct preflight *c)
{
	static const struct {
		uint32_t type, flags;
		const char *name;
	} types[] = { { BPF_MAP_TYPE_HASH, 0, "hash" },
		      { BPF_MAP_TYPE_LPM_TRIE, BPF_F_NO_PREALLOC, "LPM trie" },
		      { BPF_MAP_TYPE_ARRAY, 0, "array" } };
	struct addr_key key = { 0 };
	struct block_entry value = { 0, 0 };
	uint32_t i, one = 1;
	int fd = -1, batch = 0;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int keyed = types[i].type != BPF_MAP_TYPE_ARRAY;

		int err;

		fd = bpf_map_create(types[i].type, "probe", keyed ? sizeof(key) : 4, sizeof(value),
				    1, types[i].flags, NULL);
		err = errno;
		if (fd < 0 && err == EPERM && memlock_raise()) {
			fd = bpf_map_create(types[i].type, "probe", keyed ? sizeof(key) : 4,
					    sizeof(value), 1, types[i].flags, NULL);
			err = errno;
		}
		if (fd < 0) {
			preflight_add(c, CHECK_FAIL, "maps", "BPF_MAP_CREATE of a %s map: %s",
				      types[i].name, errno_text(err));
			return;
		}
		if (i == 0)
			batch = bpf_map_update_batch(fd, &key, &value, &one, 0) == 0;
		close(fd);
	}
	preflight_add(c, CHECK_OK, "maps", "hash, LPM trie (prefixes) and array maps are made");
	preflight_add(c, batch ? CHECK_OK : CHECK_INFO, "batch",
		      batch ? "BPF_MAP_UPDATE_BATCH: up to 4096 single addresses go in one call"
			    : "no batched map updates (Linux 5.6+): each entry is a call, through the switch");
}

/* What runs the program: the JIT, or the interpreter (slower per packet). */
static void check_jit(struct preflight *c)
{
	int fd = open("/proc/sys/net/core/bpf_jit_enable", O_RDONLY | O_CLOEXEC);
	char v[4] = "";

	if (fd >= 0) {
		if (read(fd, v, sizeof(v) - 1) < 0)
			v[0] = 0;
		close(fd);
	}
	if (v[0] == '1' || v[0] == '2')
		preflight_add(c, CHECK_OK, "jit", "on: the program runs as native code");
	else
		preflight_add(c, CHECK_WARN, "jit",
			      "%s: the interpreter runs the program, slower per packet",
			      fd < 0 ? "no BPF JIT in this kernel"
				     : "off (sysctl net.core.bpf_jit_enable=1 turns it on)");
}

static void check_events(struct preflight *c)
{
	char why[192];

	c->perf = transport_perf_works(why, sizeof(why));
	preflight_add(c, c->perf ? CHECK_OK : CHECK_INFO, "perf",
		      c->perf ? "perf events carry events (LOG lines)" : "%s", why);
	c->ringbuf = transport_ringbuf_works(why, sizeof(why));
	preflight_add(c, c->ringbuf ? CHECK_OK : CHECK_INFO, "ringbuf",
		      c->ringbuf ? "the BPF ring buffer is there (Linux 5.8+)" : "%s", why);
}

/* RLIMIT_MEMLOCK, and the capabilities held that the tool needs. */
static void check_privileges(struct preflight *c)
{
	static const struct {
		unsigned int cap;
		const char *name;
	} caps[] = { { 39, "CAP_BPF" },
		     { CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		     { 38, "CAP_PERFMON" },
		     { CAP_SYS_ADMIN, "CAP_SYS_ADMIN" } };
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	char held[96] = "", missing[96] = "";
	size_t h = 0, m = 0, i;
	struct rlimit lim;

	if (getrlimit(RLIMIT_MEMLOCK, &lim) == 0) {
		if (lim.rlim_cur == RLIM_INFINITY)
			preflight_add(c, CHECK_OK, "memlock", "RLIMIT_MEMLOCK unlimited");
		else
			preflight_add(c, CHECK_INFO, "memlock",
				      "RLIMIT_MEMLOCK %llu KiB: before Linux 5.11 maps count against it (raised when it may be)",
				      (unsigned long long)lim.rlim_cur / 1024);
	}
	if (syscall(SYS_capget, &hdr, data) != 0)
		return;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		unsigned int cap = caps[i].cap;

		if ((data[cap / 32].effective >> (cap % 32)) & 1)
			h += (size_t)text_format(held + h, sizeof(held) - h, " %s", caps[i].name);
		else
			m += (size_t)text_format(missing + m, sizeof(missing) - m, " %s",
						 caps[i].name);
	}
	preflight_add(c, m ? CHECK_INFO : CHECK_OK, "caps", "held:%s%s%s", h ? held : " none",
		      m ? "; missing:" : "", missing);
}

void preflight_host(struct preflight *c, const struct options *o, const char *prog_name)
{
	char mnt[PATH_MAX], root[PATH_MAX], path[PATH_MAX];
	int cg, d;

	c->cnt = 0;
	if (cgroup2_mount(mnt, sizeof(mnt), root, sizeof(root)) == 0)
		preflight_add(c, CHECK_OK, "cgroup2", "mounted at %s", mnt);
	else
		preflight_add(c, CHECK_FAIL, "cgroup2",
			      "not mounted: mount -t cgroup2 none /sys/fs/cgroup");
	check_load(c);
	cg = preflight_blocking(c) ? check_cgroup(c, o, mnt, path, sizeof(path)) : -1;
	if (cg >= 0) {
		preflight_add(c, CHECK_OK, "cgroup", "%s is a cgroup v2 directory", path);
		for (d = 0; d < DIR_CNT; d++)
			check_hook(c, cg, d, prog_name);
		close(cg);
	}
	check_maps(c);
	check_jit(c);
	check_events(c);
	check_privileges(c);
}

int preflight_print(const struct preflight *c, int json)
{
	const struct check_line *fail = NULL;
	const char *logging = c->perf ? "perf" : c->ringbuf ? "ringbuf" : "none";
	struct text_out out;
	unsigned int i;

	for (i = 0; i < c->cnt && !fail; i++)
		if (c->line[i].level == CHECK_FAIL)
			fail = &c->line[i];
	text_out_init(&out, STDOUT_FILENO);
	if (json) {
		text_printf(&out, "{\"blocking\":%s,\"reason\":", fail ? "false" : "true");
		text_json_string(&out, fail ? fail->text : "");
		text_printf(&out, ",\"events\":\"%s\"}\n", logging);
	} else if (fail) {
		text_printf(&out, "blocking: will NOT work: %s: %s\n", fail->name, fail->text);
	} else {
		text_printf(&out, "blocking: will work; LOG lines: %s\n",
			    c->perf	 ? "through perf rings"
			    : c->ringbuf ? "through the BPF ring buffer (--events auto takes it)"
					 : "none on this kernel (blocking only)");
	}
	for (i = 0; i < c->cnt; i++) {
		const struct check_line *l = &c->line[i];

		if (json) {
			text_printf(&out,
				    "{\"check\":\"%s\",\"result\":\"%s\",\"detail\":", l->name,
				    level_names[l->level]);
			text_json_string(&out, l->text);
			text_puts(&out, "}\n");
		} else {
			text_printf(&out, "%-4s %-8s %s\n", level_names[l->level], l->name,
				    l->text);
		}
	}
	if (text_flush(&out) < 0)
		report("writing the check: %s", errno_text(out.err));
	return fail ? EXIT_SYSTEM : EXIT_OK;
}
