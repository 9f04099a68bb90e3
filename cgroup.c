/* SPDX-License-Identifier: MIT */
/*
 * cgroup.c - steps 4 and 11: a cgroup's hooks as mechanism (cgroup.h).
 */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "messages.h"
#include "target.h"
#include "text.h"

int cgroup_open(struct cgroup *cg, const char *path, int warn_root)
{
	char mnt[PATH_MAX];
	struct statfs sfs;
	struct stat st;

	cg->path = path;
	cg->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cg->fd = fd_above_stdio(cg->fd);
	if (cg->fd < 0) {
		int err = errno;

		if (err == ENOENT || err == ENOTDIR)
			report("opening cgroup %s: %s; pass a cgroup v2 directory with -c (cgroup2 is mounted at %s)",
			       path, errno_text(err), cgroup2_mount_text(mnt, sizeof(mnt)));
		else
			report("opening cgroup %s: %s", path, errno_text(err));
		return err == ENOENT || err == ENOTDIR ? EXIT_USAGE : EXIT_SYSTEM;
	}
	/* PROG_ATTACH on anything else fails with a baffling EBADF; say it plainly. */
	if (fstatfs(cg->fd, &sfs) < 0 || fstat(cg->fd, &st) < 0) {
		report("checking cgroup %s: %s", path, errno_text(errno));
		return EXIT_SYSTEM;
	}
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		report("cgroup %s: %s; cgroup2 is mounted at %s", path,
		       sfs.f_type == CGROUP_SUPER_MAGIC ? "is a cgroup v1 directory, not cgroup v2"
							: "is not a cgroup v2 directory",
		       cgroup2_mount_text(mnt, sizeof(mnt)));
		return EXIT_USAGE;
	}
	trace(1, "cgroup %s: fd %d, cgroup2, inode %llu", path, cg->fd,
	      (unsigned long long)st.st_ino);
	/* kernfs numbers the root directory of a hierarchy 1. */
	if (st.st_ino == 1 && warn_root)
		report("warning: %s is the root of the cgroup2 hierarchy: every process on this host is affected",
		       path);
	return EXIT_OK;
}

void cgroup_close(struct cgroup *cg)
{
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = -1;
}

int cgroup_lock(const struct cgroup *cg, int stop_fd)
{
	int waited = 0;

	while (flock(cg->fd, LOCK_EX | LOCK_NB) < 0) {
		struct pollfd p = { stop_fd, POLLIN, 0 };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			report("locking cgroup %s: %s", cg->path, errno_text(errno));
			return EXIT_SYSTEM;
		}
		if (waited >= LOCK_WAIT_MS) {
			report("locking cgroup %s: another cgroup-skb-egress has been setting up there for %d ms (a large blocklist?); try again",
			       cg->path, waited);
			return EXIT_SYSTEM;
		}
		/* Our stop signals are blocked, so a plain blocking flock would not hear them. */
		if (p.fd >= 0 && poll(&p, 1, 20) > 0)
			return EXIT_OK;
		if (p.fd < 0)
			poll(NULL, 0, 20);
		waited += 20;
	}
	return EXIT_OK;
}

void cgroup_unlock(const struct cgroup *cg)
{
	flock(cg->fd, LOCK_UN);
}

int hook_query(const struct cgroup *cg, int d, struct hook_programs *on)
{
	uint32_t i;

	on->cnt = HOOK_QUERY_MAX;
	on->flags = 0;
	if (bpf_prog_query(cg->fd, direction_attach_type(d), &on->flags, on->ids, &on->cnt) < 0) {
		int err = errno;
		char hint[192];

		if (err == EINVAL)
			report("querying the %s hook of %s: %s; this kernel lacks cgroup BPF (CONFIG_CGROUP_BPF) or is older than 4.15",
			       direction_names[d], cg->path, errno_text(err));
		else
			report("querying the %s hook of %s: %s%s", direction_names[d], cg->path,
			       errno_text(err), privilege_hint(err, hint, sizeof(hint)));
		return EXIT_SYSTEM;
	}
	if (on->cnt > HOOK_QUERY_MAX)
		on->cnt = HOOK_QUERY_MAX;
	trace(1,
	      "BPF_PROG_QUERY: cgroup fd %d, attach_type %" PRIu32 " (%s): %" PRIu32
	      " programs, attach_flags 0x%" PRIx32,
	      cg->fd, direction_attach_type(d), direction_names[d], on->cnt, on->flags);
	for (i = 0; i < on->cnt; i++)
		trace(1, "  program id %" PRIu32, on->ids[i]);
	return EXIT_OK;
}

int hook_has(const struct cgroup *cg, int d, uint32_t id, uint32_t *others)
{
	uint32_t ids[HOOK_QUERY_MAX], cnt = HOOK_QUERY_MAX, flags = 0, i;

	if (bpf_prog_query(cg->fd, direction_attach_type(d), &flags, ids, &cnt) < 0)
		return -1;
	for (i = 0; i < cnt && i < HOOK_QUERY_MAX; i++)
		if (ids[i] == id)
			return 1;
	*others = cnt;
	return 0;
}

/*
 * Attaching with flags 0 or BPF_F_ALLOW_OVERRIDE replaces whatever program is
 * on the hook, without a word. So look first, and refuse to displace anyone.
 */
int hook_refuse_if_taken(const struct cgroup *cg, int d, enum attach_mode mode,
			 const struct hook_programs *on, uint32_t left_over_id)
{
	if (on->cnt == 0 || (on->cnt == 1 && on->ids[0] == left_over_id))
		return EXIT_OK;
	if (mode != ATTACH_MULTI) {
		report("%s already has %s program id %" PRIu32
		       " attached (mode %s)%s; refusing to replace it: detach it, or use --attach-mode multi if it was attached with multi",
		       cg->path, direction_names[d], on->ids[0], flags_text(on->flags),
		       on->cnt > 1 ? " among others" : "");
		return EXIT_SYSTEM;
	}
	if (!(on->flags & BPF_F_ALLOW_MULTI)) {
		report("%s already has %s program id %" PRIu32
		       " attached in mode %s, which allows no other program; detach it first",
		       cg->path, direction_names[d], on->ids[0], flags_text(on->flags));
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

int hook_attach(const struct cgroup *cg, int d, struct hook *h, enum attach_mode mode)
{
	uint32_t flags = attach_mode_flags(mode), type = direction_attach_type(d);
	struct hook_programs now;

	/*
	 * Step 4 looked at the hook before the maps, the verifier and the
	 * rings; look again, so that the window in which a newcomer could be
	 * replaced shrinks to the two system calls here.
	 */
	if (hook_query(cg, d, &now) || hook_refuse_if_taken(cg, d, mode, &now, h->left_over_id))
		return EXIT_SYSTEM;
	/*
	 * Multi mode, a program of ours to replace (a left-over, or one being
	 * upgraded): BPF_F_REPLACE puts ours in its place in one step. Where
	 * the kernel lacks it (before 5.6), both are on the hook until step 11
	 * takes the old one off (reuse_drop_left_overs()).
	 */
	if (mode == ATTACH_MULTI && h->left_over_fd >= 0 &&
	    bpf_prog_attach_replacing(h->prog_fd, cg->fd, type, flags, h->left_over_fd) == 0) {
		h->left_over_gone = 1;
		trace(1,
		      "BPF_PROG_ATTACH with BPF_F_REPLACE: program id %" PRIu32
		      " in place of %" PRIu32,
		      h->prog_id, h->left_over_id);
	} else if (bpf_prog_attach(h->prog_fd, cg->fd, type, flags) < 0) {
		int err = errno;

		report("attaching to the %s hook of %s (mode %s): %s%s", direction_names[d],
		       cg->path, attach_mode_names[mode], errno_text(err),
		       err == EPERM
			       ? "; another program here or on a parent cgroup forbids it (bpftool cgroup tree), or CAP_NET_ADMIN is missing"
		       : err == E2BIG
			       ? "; the hook already holds the kernel's limit of 64 programs (left attached by killed runs?)"
			       : "");
		return EXIT_SYSTEM;
	}
	h->attached = 1;
	trace(1,
	      "BPF_PROG_ATTACH: program fd %d (id %" PRIu32
	      ") to cgroup fd %d, attach_type %" PRIu32 " (%s), attach_flags 0x%" PRIx32 " (%s)",
	      h->prog_fd, h->prog_id, cg->fd, type, direction_names[d], flags,
	      attach_mode_names[mode]);
	return EXIT_OK;
}

/*
 * Whether our program is still the one on the hook. In single and override
 * mode the kernel ignores which program BPF_PROG_DETACH names and removes
 * whatever is attached: if someone replaced ours, detaching would remove
 * theirs. (Multi mode detaches exactly the program named.)
 */
static int still_ours(const struct cgroup *cg, int d, const struct hook *h, enum attach_mode mode)
{
	uint32_t others = 0;

	if (mode == ATTACH_MULTI || cg->removed || hook_has(cg, d, h->prog_id, &others) != 0)
		return 1;
	report("program id %" PRIu32
	       " is no longer on the %s hook of %s%s; leaving the hook as it is",
	       h->prog_id, direction_names[d], cg->path,
	       others ? " (another program replaced it)" : "");
	return 0;
}

int hook_detach(const struct cgroup *cg, int d, struct hook *h, enum attach_mode mode)
{
	uint32_t type = direction_attach_type(d);
	int err;

	if (h->attached && !still_ours(cg, d, h, mode)) {
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
	if (h->left_over_fd >= 0 && mode != ATTACH_MULTI && !cg->removed &&
	    bpf_prog_attach(h->left_over_fd, cg->fd, type, attach_mode_flags(mode)) == 0) {
		h->attached = 0;
		return EXIT_OK;
	}
	/* ... and in multi mode, where BPF_F_REPLACE took it off: in ours' place again. */
	if (h->left_over_gone && !cg->removed &&
	    bpf_prog_attach_replacing(h->left_over_fd, cg->fd, type, attach_mode_flags(mode),
				      h->prog_fd) == 0) {
		h->attached = 0;
		h->left_over_gone = 0;
		return EXIT_OK;
	}
	/* On a removed cgroup the kernel says ENOENT, and lets go once our fds close. */
	if (bpf_prog_detach(h->prog_fd, cg->fd, type) == 0 || cg->removed) {
		trace(1, "BPF_PROG_DETACH: program fd %d (id %" PRIu32 ") from cgroup fd %d, %s",
		      h->prog_fd, h->prog_id, cg->fd, direction_names[d]);
		h->attached = 0;
		return EXIT_OK;
	}
	err = errno;
	report("detaching %s program id %" PRIu32 " from %s: %s%s", direction_names[d], h->prog_id,
	       cg->path, errno_text(err),
	       err == ENOENT
		       ? " (someone else detached it already)"
		       : "; it is still attached and blocking: detach it with bpftool cgroup detach, or remove the cgroup");
	if (err != ENOENT)
		return EXIT_SYSTEM;
	h->attached = 0;
	return EXIT_OK;
}

const char *hooks_describe(const struct hook hook[DIR_CNT], char *ids, size_t ids_len)
{
	const struct hook *e = &hook[DIR_EGRESS], *in = &hook[DIR_INGRESS];

	if (e->used && in->used)
		text_format(ids, ids_len, "program ids %" PRIu32 " and %" PRIu32, e->prog_id,
			    in->prog_id);
	else
		text_format(ids, ids_len, "program id %" PRIu32,
			    e->used ? e->prog_id : in->prog_id);
	return hook_set_names[(unsigned int)e->used | (unsigned int)in->used << 1];
}
