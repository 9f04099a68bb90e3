/* SPDX-License-Identifier: MIT */
/*
 * target.c - step 1's last part: --unit and --pid become a cgroup path
 * (target.h). Both read what the kernel shows of the cgroup tree, and
 * nothing of systemd's: the same code serves a server, a container host
 * and an initramfs without systemctl.
 */
#include "target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "messages.h"
#include "text.h"

/*
 * mountinfo writes a space, tab, newline or backslash in a path as \ooo;
 * `field` (ended by a space) unescaped into `out`. -1 when it does not fit.
 */
static int unescape_field(const char *field, char *out, size_t len)
{
	size_t n = 0;

	for (; *field && *field != ' '; field++) {
		char c = *field;

		if (c == '\\' && field[1] >= '0' && field[1] <= '3' && field[2] >= '0' &&
		    field[2] <= '7' && field[3] >= '0' && field[3] <= '7') {
			c = (char)((field[1] - '0') << 6 | (field[2] - '0') << 3 |
				   (field[3] - '0'));
			field += 3;
		}
		if (n + 1 >= len)
			return -1;
		out[n++] = c;
	}
	out[n] = 0;
	return 0;
}

/* Fields: id parent major:minor root mount-point options... - fstype source ... */
int cgroup2_mount(char *mnt, size_t mnt_len, char *root, size_t root_len)
{
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC), got, rc = -1;
	struct text_lines lines;
	char *line;

	if (fd < 0)
		return -1;
	text_lines_init(&lines, fd);
	/* A line too long to keep (overlayfs options) is skipped, not the end. */
	while (rc && (got = text_line(&lines, &line)) != LINE_EOF && got != LINE_ERROR) {
		char *sep = strchr(line, ' '), *field = line;
		int i;

		if (got != LINE_OK)
			continue;
		while (sep && strncmp(sep, " - ", 3) != 0)
			sep = strchr(sep + 1, ' ');
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		for (i = 0; i < 3 && field; i++)
			if ((field = strchr(field, ' ')))
				field++;
		if (field && !unescape_field(field, root, root_len) &&
		    (field = strchr(field, ' ')) && !unescape_field(field + 1, mnt, mnt_len))
			rc = 0;
	}
	close(fd);
	return rc;
}

const char *cgroup2_mount_text(char *buf, size_t len)
{
	char root[PATH_MAX];

	if (cgroup2_mount(buf, len, root, sizeof(root)) == 0)
		return buf;
	if (access("/proc/self/mountinfo", R_OK) != 0)
		return "(unknown: /proc is not mounted)";
	return "(nowhere: mount -t cgroup2 none /sys/fs/cgroup)";
}

/* --unit's search: the cgroups named like the unit, and how many. */
struct unit_search {
	const char *name;
	char *path; /* the first found */
	size_t path_len;
	char other[256]; /* the second found, for the message */
	unsigned int found;
	int err; /* the first directory that could not be read */
	char err_path[256];
};

/* What getdents64(2) writes: libc's readdir() would bring its malloc (10 KB). */
struct dirent64_rec {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};
#define NAME_AT offsetof(struct dirent64_rec, name) /* 19 */

/*
 * Look for s->name under the directory `dir` (an fd it closes), whose path
 * is in `path`. systemd names a unit's cgroup after the unit, at any depth
 * (a service in a slice of its own, a user's units under their
 * user@.service), and prefixes '_' to a name the kernel would mistake for
 * its own files ("cpu.service"). cgroupfs gives every entry's type.
 * Depth first without recursion: before going down into a directory, its
 * parent's fd is set to the entry after it, so the parent's reading goes on
 * from there on the way back up.
 */
static void search_tree(int dir, char *path, size_t len, struct unit_search *s)
{
	struct {
		int fd;
		size_t used; /* path[0..used) is this directory's */
	} up[33];
	char buf[2048] __attribute__((aligned(8)));
	int depth = 0;

	up[0].fd = dir;
	up[0].used = strlen(path);
	while (depth >= 0) {
		long got = syscall(SYS_getdents64, up[depth].fd, buf, sizeof(buf)), at = 0;
		size_t used = up[depth].used;
		int sub = -1;

		/* By the name's offset, not sizeof: a record of a short name is smaller than the padded struct. */
		while (sub < 0 && at + (long)NAME_AT < got) {
			const struct dirent64_rec *e = (const void *)(buf + at);
			const char *n = e->name;
			int fits;

			if (e->reclen <= NAME_AT || e->reclen > got - at ||
			    !memchr(n, 0, e->reclen - NAME_AT))
				break;
			at += e->reclen;
			if (e->type != DT_DIR || strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
				continue;
			fits = (size_t)text_format(path + used, len - used, "/%s", n) < len - used;
			if (fits &&
			    (strcmp(n, s->name) == 0 || (n[0] == '_' && !strcmp(n + 1, s->name)))) {
				if (!s->found++)
					text_format(s->path, s->path_len, "%s", path);
				else if (s->found == 2)
					text_format(s->other, sizeof(s->other), "%s", path);
			}
			if (!fits || depth + 1 >= (int)(sizeof(up) / sizeof(up[0])))
				continue;
			sub = openat(up[depth].fd, n,
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (sub < 0 && !s->err) {
				s->err = errno;
				text_format(s->err_path, sizeof(s->err_path), "%s", path);
			}
			if (sub >= 0 && lseek(up[depth].fd, e->off, SEEK_SET) == e->off) {
				up[++depth].fd = sub;
				up[depth].used = used + strlen(path + used);
			} else if (sub >= 0) {
				close(sub);
				sub = -1;
			}
		}
		if (got < 0 && !s->err) {
			s->err = errno;
			text_format(s->err_path, sizeof(s->err_path), "%.*s", (int)used, path);
		}
		if (sub < 0 && got <= 0)
			close(up[depth--].fd);
		if (depth >= 0)
			path[up[depth].used] = 0;
	}
}

static int resolve_unit(struct options *o, const char *mnt)
{
	char name[256], path[PATH_MAX];
	struct unit_search s = { name, o->target_path, sizeof(o->target_path), "", 0, 0, "" };
	int dir;

	/* As systemctl takes it: a name without a type is a service. */
	text_format(name, sizeof(name), strchr(o->unit, '.') ? "%s" : "%s.service", o->unit);
	if (!*o->unit || strchr(o->unit, '/') || strlen(name) >= sizeof(name) - 1) {
		report("option --unit: '%s' is not a unit name (foo.service, foo.slice, foo.scope)",
		       o->unit);
		return EXIT_USAGE;
	}
	dir = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		report("opening %s for --unit %s: %s; pass the cgroup's path with -c", mnt, name,
		       errno_text(errno));
		return EXIT_SYSTEM;
	}
	text_format(path, sizeof(path), "%s", strcmp(mnt, "/") ? mnt : "");
	search_tree(dir, path, sizeof(path), &s);
	if (s.found == 1)
		return EXIT_OK;
	if (s.found)
		report("--unit %s: %u cgroups have that name, %s and %s; pass -c with the one meant",
		       name, s.found, o->target_path, s.other);
	else if (s.err)
		report("--unit %s: no cgroup of that name found, and %s could not be read: %s",
		       name, s.err_path, errno_text(s.err));
	else
		report("--unit %s: no cgroup of that name under %s: the unit is not running (systemctl start %s), or pass -c PATH",
		       name, mnt, name);
	return s.err && !s.found ? EXIT_SYSTEM : EXIT_USAGE;
}

/*
 * /proc/PID/cgroup's cgroup v2 line, "0::/path", names the cgroup below
 * the root of the hierarchy that this process sees; the mount shows `root`
 * of it at `mnt`.
 */
static int resolve_pid(struct options *o, const char *mnt, const char *root)
{
	char proc[32], *line;
	const char *rel = NULL;
	struct text_lines lines;
	size_t skip = strcmp(root, "/") ? strlen(root) : 0;
	int fd, got;

	text_format(proc, sizeof(proc), "/proc/%lu/cgroup", o->pid);
	fd = open(proc, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		report("reading %s for --pid: %s%s", proc, errno_text(err),
		       err == ENOENT ? "; no such process runs here" : "");
		return err == ENOENT ? EXIT_USAGE : EXIT_SYSTEM;
	}
	text_lines_init(&lines, fd);
	while (!rel && (got = text_line(&lines, &line)) != LINE_EOF && got != LINE_ERROR)
		if (got == LINE_OK && strncmp(line, "0::/", 4) == 0)
			rel = line + 3;
	close(fd);
	if (!rel) {
		report("--pid %lu: %s has no cgroup v2 line (0::/...): the process has exited, or this host runs cgroup v1 only",
		       o->pid, proc);
		return EXIT_USAGE;
	}
	/* Outside our cgroup namespace, or outside what the mount shows. */
	if (strstr(rel, "/..") || strncmp(rel, root, skip) != 0 ||
	    (rel[skip] && rel[skip] != '/')) {
		report("--pid %lu: its cgroup %s is not under the cgroup2 mount at %s (which shows %s); pass -c PATH",
		       o->pid, rel, mnt, root);
		return EXIT_USAGE;
	}
	rel += skip;
	if (strcmp(rel, "/") == 0)
		rel = "";
	if ((size_t)text_format(o->target_path, sizeof(o->target_path), "%s%s",
				strcmp(mnt, "/") != 0 || !*rel ? mnt : "",
				rel) >= sizeof(o->target_path)) {
		report("--pid %lu: its cgroup's path is longer than %zu bytes", o->pid,
		       sizeof(o->target_path));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int target_resolve(struct options *o)
{
	char mnt[PATH_MAX], root[PATH_MAX];
	int rc;

	if (!o->unit && !o->pid)
		return EXIT_OK;
	if (cgroup2_mount(mnt, sizeof(mnt), root, sizeof(root))) {
		report("--%s: no cgroup2 file system is mounted (/proc/self/mountinfo); mount -t cgroup2 none /sys/fs/cgroup",
		       o->unit ? "unit" : "pid");
		return EXIT_SYSTEM;
	}
	rc = o->unit ? resolve_unit(o, mnt) : resolve_pid(o, mnt, root);
	if (rc == EXIT_OK) {
		o->cgroup_path = o->target_path;
		if (o->unit)
			trace(1, "--unit %s is the cgroup %s", o->unit, o->cgroup_path);
		else
			trace(1, "--pid %lu is in the cgroup %s", o->pid, o->cgroup_path);
	}
	return rc;
}
