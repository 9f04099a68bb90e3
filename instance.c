/* SPDX-License-Identifier: MIT */
#include "instance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "common.h"

#define OUR_MAP_CNT 4

/* The kernel name of map `id`, or -1. */
static int map_name(uint32_t id, char name[BPF_OBJ_NAME_LEN])
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
		rc = 0;
	}
	close(fd);
	return rc;
}

void instance_persistent_name(char out[INSTANCE_NAME_LEN], const char *prog_name)
{
	size_t keep = INSTANCE_NAME_LEN - sizeof(PERSISTENT_SUFFIX);

	snprintf(out, INSTANCE_NAME_LEN, "%.*s" PERSISTENT_SUFFIX, (int)keep, prog_name);
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
	    info.nr_map_ids != OUR_MAP_CNT)
		goto not_ours;
	for (i = 0; i < OUR_MAP_CNT; i++) {
		if (map_name(map_ids[i], name) < 0)
			goto fail;
		if (strcmp(name, BLOCKLIST_MAP_NAME) == 0)
			inst->blocklist_id = map_ids[i];
		else if (strcmp(name, BLOCKNETS_MAP_NAME) == 0)
			inst->blocknets_id = map_ids[i];
		else if (strcmp(name, CONFIG_MAP_NAME) == 0)
			inst->config_id = map_ids[i];
		else if (strcmp(name, EVENTS_MAP_NAME) == 0)
			inst->events_id = map_ids[i];
	}
	if (!inst->blocklist_id || !inst->blocknets_id || !inst->events_id || !inst->config_id)
		goto not_ours;
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

/* Whether fd `name` of the process whose /proc directory is `pid_dir` is program `id`. */
static int fd_is_prog(int pid_dir, const char *name, uint32_t id)
{
	char path[64], link[32], text[512];
	const char *line;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "fd/%s", name);
	n = readlinkat(pid_dir, path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = '\0';
	if (strcmp(link, "anon_inode:bpf-prog") != 0)
		return 0;
	snprintf(path, sizeof(path), "fdinfo/%s", name);
	fd = openat(pid_dir, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	line = strstr(text, "prog_id:");
	return line && strtoul(line + 8, NULL, 10) == id;
}

pid_t instance_holder(uint32_t id)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	pid_t held = 0;
	int unsure = 0; /* a process whose fds we could not read */

	if (!proc)
		return -1;
	while (!held && (p = readdir(proc))) {
		char *end;
		long pid = strtol(p->d_name, &end, 10);
		int pid_dir, fd_dir;
		DIR *fds;
		struct dirent *f;

		if (*end || pid <= 0 || pid == (long)getpid())
			continue;
		pid_dir = openat(dirfd(proc), p->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pid_dir < 0)
			continue; /* gone meanwhile */
		fd_dir = openat(pid_dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		/* hidepid=, no CAP_SYS_PTRACE: a process we cannot look into might hold it. */
		if (fd_dir < 0 && errno != ENOENT)
			unsure = 1;
		fds = fd_dir >= 0 ? fdopendir(fd_dir) : NULL;
		if (!fds && fd_dir >= 0)
			close(fd_dir);
		while (fds && !held && (f = readdir(fds)))
			if (f->d_name[0] != '.' && fd_is_prog(pid_dir, f->d_name, id))
				held = (pid_t)pid;
		if (fds)
			closedir(fds); /* closes fd_dir */
		close(pid_dir);
	}
	closedir(proc);
	return held ? held : unsure ? -1 : 0;
}
