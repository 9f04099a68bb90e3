/* SPDX-License-Identifier: MIT */
/*
 * messages.c - report(), trace(), errno text and privilege hints, and the
 * names of commands, hooks and modes (messages.h).
 */
#include "messages.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "common.h"
#include "text.h"

const char *const command_names[COMMAND_CNT] = { "run",	   "block", "replace", "log",
						 "status", "list",  "unblock", "detach",
						 "check",  "allow", "unallow" };
const char *const direction_names[DIR_CNT] = { "egress", "ingress" };
const char *const hook_set_names[4] = { "", "egress", "ingress", "egress and ingress" };
const char *const attach_mode_names[3] = { "single", "override", "multi" };
const char *const transport_names[4] = { "auto", "perf", "ringbuf", "none" };
const char *const packet_access_names[3] = { "auto", "direct", "helper" };
const char *const log_mode_names[3] = {
	[LOG_ALL] = "all", [LOG_DROPS] = "drops", [LOG_NONE] = "none"
};

static int trace_max_level;
static int trace_current_step;

/*
 * One write(2) per line up to 4 KiB (all but those naming very long paths),
 * so that lines from several processes do not interleave.
 */
static void say(const char *prefix, int step, const char *fmt, va_list ap)
{
	struct text_out err;

	text_out_init(&err, STDERR_FILENO);
	text_puts(&err, prefix);
	if (step)
		text_printf(&err, "step %d: ", step);
	text_vprintf(&err, fmt, ap);
	text_put(&err, "\n", 1);
	text_flush(&err);
}

void report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(PROG_NAME ": ", 0, fmt, ap);
	va_end(ap);
}

void trace_set_level(int level)
{
	trace_max_level = level;
}

int trace_level(void)
{
	return trace_max_level;
}

void trace_step(int step)
{
	trace_current_step = step;
}

void trace(int level, const char *fmt, ...)
{
	va_list ap;

	if (trace_max_level < level)
		return;
	va_start(ap, fmt);
	say("", fmt[0] == ' ' ? 0 : trace_current_step, fmt, ap);
	va_end(ap);
}

const char *errno_text(int err)
{
	if (err == ENOTSUPP)
		return "Operation not supported by this kernel (ENOTSUPP)";
	return strerror(err);
}

/*
 * The capabilities this process lacks, read with capget(2) so that it works
 * without /proc. CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON, which
 * only kernels from 5.8 know.
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

const char *flags_text(uint32_t flags)
{
	if (flags & BPF_F_ALLOW_MULTI)
		return "multi";
	if (flags & BPF_F_ALLOW_OVERRIDE)
		return "override";
	return "single";
}
