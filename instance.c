/* SPDX-License-Identifier: MIT */
#include "instance.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "common.h"
#include "messages.h"
#include "text.h"

#define OUR_MAP_CNT 7	  /* this version's: object.h, enum map_role */
#define LAYOUT1_MAP_CNT 4 /* the first layout's */

/* The kernel name of map `id`, or -1. */
static int map_name(uint32_t id, char name[BPF_OBJ_NAME_LEN], uint32_t *max_entries)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int fd = bpf_map_get_fd_by_id(id), rc = -1;

	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
		memcpy(name, info.name, BPF_OBJ_NAME_LEN);
		name[BPF_OBJ_NAME_LEN - 1] = '\0';
		*max_entries = info.max_entries;
		rc = 0;
	}
	close(fd);
	return rc;
}

/* ACTIVE's one entry: which set the programs read. 0, or -1 with errno. */
static int active_read(uint32_t id, struct active_set *active)
{
	const uint32_t first = 0;
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int fd = bpf_map_get_fd_by_id(id), rc, err;

	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	rc = bpf_obj_get_info_by_fd(fd, &info, &len);
	/* Another size is another layout's: a lookup could write past our struct. */
	if (rc == 0 && info.value_size != sizeof(*active)) {
		close(fd);
		return -2;
	}
	if (rc == 0)
		rc = bpf_map_lookup_elem(fd, &first, active);
	err = errno;
	close(fd);
	errno = err;
	/* Anything but A or B is not what we wrote: read it as A, whose maps are there. */
	if (rc == 0 && active->set != SET_B)
		active->set = SET_A;
	return rc;
}

const char *set_map_name(int layout, uint32_t set, int prefixes)
{
	static const char *const names[3][2] = {
		{ LAYOUT1_BLOCKLIST_NAME, LAYOUT1_BLOCKNETS_NAME },
		{ BLOCKLIST_MAP_NAME, BLOCKNETS_MAP_NAME },
		{ BLOCKLIST_B_MAP_NAME, BLOCKNETS_B_MAP_NAME },
	};

	return names[layout == 1 ? 0 : 1 + (set == SET_B)][prefixes != 0];
}

void instance_persistent_name(char out[INSTANCE_NAME_LEN], const char *prog_name)
{
	size_t keep = INSTANCE_NAME_LEN - sizeof(PERSISTENT_SUFFIX);

	text_format(out, INSTANCE_NAME_LEN, "%.*s" PERSISTENT_SUFFIX, (int)keep, prog_name);
}

int instance_find(uint32_t id, const char *prog_name, struct instance *inst)
{
	char kept[INSTANCE_NAME_LEN];
	struct bpf_prog_info info;
	uint32_t len = sizeof(info), map_ids[OUR_MAP_CNT + 1] = { 0 };
	char name[BPF_OBJ_NAME_LEN];
	int fd = bpf_prog_get_fd_by_id(id), saved;
	size_t i;

	memset(inst, 0, sizeof(*inst));
	inst->prog_fd = -1;
	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	/* Room for one map more than ours, to see a program that has more. */
	info.nr_map_ids = OUR_MAP_CNT + 1;
	info.map_ids = ptr_to_u64(map_ids);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		goto fail;
	instance_persistent_name(kept, prog_name);
	inst->persistent = strncmp(info.name, kept, BPF_OBJ_NAME_LEN) == 0;
	if ((!inst->persistent && strncmp(info.name, prog_name, BPF_OBJ_NAME_LEN) != 0) ||
	    (info.nr_map_ids != OUR_MAP_CNT && info.nr_map_ids != LAYOUT1_MAP_CNT))
		goto not_ours;
	inst->layout = info.nr_map_ids == OUR_MAP_CNT ? 2 : 1;
	memcpy(inst->tag, info.tag, sizeof(inst->tag));
	for (i = 0; i < info.nr_map_ids; i++) {
		static const char *const set_names[2][2][2] = {
			{ { LAYOUT1_BLOCKLIST_NAME, LAYOUT1_BLOCKNETS_NAME }, { "", "" } },
			{ { BLOCKLIST_MAP_NAME, BLOCKNETS_MAP_NAME },
			  { BLOCKLIST_B_MAP_NAME, BLOCKNETS_B_MAP_NAME } },
		};
		size_t s, kind;
		uint32_t max;

		if (map_name(map_ids[i], name, &max) < 0)
			goto fail;
		for (s = 0; s < 2; s++)
			for (kind = 0; kind < 2; kind++)
				if (strcmp(name, set_names[inst->layout - 1][s][kind]) == 0) {
					inst->set_ids[s][kind] = map_ids[i];
					inst->max_entries[kind] = max;
				}
		if (strcmp(name, ACTIVE_MAP_NAME) == 0 && inst->layout == 2)
			inst->active_id = map_ids[i];
		else if (strcmp(name, CONFIG_MAP_NAME) == 0)
			inst->config_id = map_ids[i];
		else if (strcmp(name, EVENTS_MAP_NAME) == 0)
			inst->events_id = map_ids[i];
		else if (strcmp(name, EVENTS_RING_MAP_NAME) == 0)
			inst->events_id = map_ids[i], inst->events_ring = 1;
	}
	if (!inst->set_ids[SET_A][0] || !inst->set_ids[SET_A][1] || !inst->events_id ||
	    !inst->config_id ||
	    (inst->layout == 2 &&
	     (!inst->set_ids[SET_B][0] || !inst->set_ids[SET_B][1] || !inst->active_id)))
		goto not_ours;
	switch (inst->layout == 2 ? active_read(inst->active_id, &inst->active) : 0) {
	case -1:
		goto fail;
	case -2:
		goto not_ours;
	}
	inst->blocklist_id = inst->set_ids[inst->active.set][0];
	inst->blocknets_id = inst->set_ids[inst->active.set][1];
	inst->prog_id = id;
	inst->prog_fd = fd;
	return 1;
not_ours:
	close(fd);
	memset(inst, 0, sizeof(*inst));
	inst->prog_fd = -1;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int instance_recognise(const char *cgroup_path, const char *prog_name, uint32_t id,
		       struct instance *inst)
{
	int ours = instance_find(id, prog_name, inst);

	if (ours < 0)
		report("looking at program id %" PRIu32 " on %s: %s%s", id, cgroup_path,
		       errno_text(errno), errno == EPERM ? GET_BY_ID_HINT : "");
	else if (ours)
		trace(1,
		      "BPF_PROG_GET_FD_BY_ID %" PRIu32
		      " -> fd %d; BPF_OBJ_GET_INFO_BY_FD: ours (%s, map layout %d), reading set %c:"
		      " single addresses map id %" PRIu32 ", prefixes map id %" PRIu32
		      ", events map id %" PRIu32 ", " CONFIG_MAP_NAME " id %" PRIu32,
		      id, inst->prog_fd, inst->persistent ? "persistent" : "a run's", inst->layout,
		      inst->active.set == SET_B ? 'B' : 'A', inst->blocklist_id, inst->blocknets_id,
		      inst->events_id, inst->config_id);
	else
		trace(1, "program id %" PRIu32 ": not ours (another name or other maps)", id);
	return ours;
}

/* Whether fd `name` of the process whose /proc directory is `pid_dir` is program `id`. */
static int fd_is_prog(int pid_dir, const char *name, uint32_t id)
{
	char path[64], link[32], text[512];
	const char *line;
	ssize_t n;
	int fd;

	text_format(path, sizeof(path), "fd/%s", name);
	n = readlinkat(pid_dir, path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = '\0';
	if (strcmp(link, "anon_inode:bpf-prog") != 0)
		return 0;
	text_format(path, sizeof(path), "fdinfo/%s", name);
	fd = openat(pid_dir, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	for (line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (strncmp(line, "prog_id:", 8) == 0) {
			unsigned long prog_id;

			line += 8 + strspn(line + 8, " \t");
			return text_decimal(line, UINT32_MAX, &prog_id) && prog_id == id;
		}
	return 0;
}

/*
 * Directory entries through getdents64(2): opendir() would bring musl's
 * malloc into the static binary for this one job. The record layout is
 * the kernel's struct linux_dirent64; the kernel writes it, so its lengths
 * are trusted as the kernel's own.
 */
struct dir_walk {
	int fd;
	size_t pos, len;
	_Alignas(8) char buf[4096];
};

struct dirent64_head {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static const char *dir_next(struct dir_walk *w)
{
	while (w->pos >= w->len) {
		long n = syscall(SYS_getdents64, w->fd, w->buf, sizeof(w->buf));

		if (n <= 0)
			return NULL;
		w->len = (size_t)n;
		w->pos = 0;
	}
	{
		const struct dirent64_head *d = (const void *)(w->buf + w->pos);

		w->pos += d->reclen;
		return d->name;
	}
}

pid_t instance_holder(uint32_t id)
{
	struct dir_walk proc = { .fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
	const char *name;
	pid_t held = 0;
	int unsure = 0; /* a process whose fds we could not read */

	if (proc.fd < 0)
		return -1;
	while (!held && (name = dir_next(&proc))) {
		unsigned long pid;
		const char *end = text_decimal(name, INT32_MAX, &pid);
		struct dir_walk fds = { .fd = -1 };
		const char *fd_name;
		int pid_dir;

		if (!end || *end || pid == 0 || pid == (unsigned long)getpid())
			continue;
		pid_dir = openat(proc.fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pid_dir < 0)
			continue; /* gone meanwhile */
		fds.fd = openat(pid_dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		/* hidepid=, no CAP_SYS_PTRACE: a process we cannot look into might hold it. */
		if (fds.fd < 0 && errno != ENOENT)
			unsure = 1;
		while (fds.fd >= 0 && !held && (fd_name = dir_next(&fds)))
			if (fd_name[0] != '.' && fd_is_prog(pid_dir, fd_name, id))
				held = (pid_t)pid;
		if (fds.fd >= 0)
			close(fds.fd);
		close(pid_dir);
	}
	close(proc.fd);
	return held ? held : unsure ? -1 : 0;
}
