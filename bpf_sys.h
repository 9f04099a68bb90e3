/* SPDX-License-Identifier: MIT */
/*
 * bpf_sys.h - thin wrappers over the bpf(2) and perf_event_open(2) syscalls.
 *
 * Each wrapper fills one member of `union bpf_attr` and makes the call; none
 * of them prints, retries or decides anything (the step files above do). They
 * return what the kernel returned: a new fd or 0 on success, -1 with errno
 * set on failure.
 *
 * Three rules every call here follows:
 *   - The whole union is zeroed first. The kernel rejects an attr whose
 *     bytes after the command's last field are not zero (CHECK_ATTR), and a
 *     designated initialiser does not promise to zero padding.
 *   - Pointers go into the u64 fields through uintptr_t, which is right on
 *     32-bit targets (armhf) as well as 64-bit ones.
 *   - New fds never land on 0, 1 or 2. When a script or initramfs starts us
 *     with stdio closed, the kernel hands out the lowest free number; a map
 *     fd on 1 would later receive our printf()s. Every fd is close-on-exec.
 */
#ifndef BPF_SYS_H
#define BPF_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/perf_event.h>

#ifndef __NR_bpf
#error "__NR_bpf is not defined: kernel headers too old for this target"
#endif

static inline uint64_t ptr_to_u64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Move fd 0, 1 or 2 to the lowest free number >= 3 (close-on-exec). */
static inline int fd_above_stdio(int fd)
{
	int moved, saved;

	if (fd < 0 || fd > 2)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	saved = errno;
	close(fd);
	errno = saved;
	return moved;
}

static inline int sys_bpf(enum bpf_cmd cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* For the commands that return a new fd (bpf fds are always close-on-exec). */
static inline int sys_bpf_fd(enum bpf_cmd cmd, union bpf_attr *attr)
{
	return fd_above_stdio(sys_bpf(cmd, attr));
}

/*
 * Kernel object names: at most 15 bytes plus NUL, [A-Za-z0-9_.] only (the
 * kernel refuses others with EINVAL), so any other byte becomes '_'.
 */
static inline void bpf_obj_name(char dst[BPF_OBJ_NAME_LEN], const char *src)
{
	size_t i;

	for (i = 0; i < BPF_OBJ_NAME_LEN - 1 && src[i]; i++) {
		char c = src[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '_' || c == '.';

		dst[i] = ok ? c : '_';
	}
	dst[i] = '\0';
}

/* The BTF of a map's key and value (Linux 4.18): what bpftool's typed dumps need. */
struct map_btf {
	int fd; /* from bpf_btf_load() */
	uint32_t key_type_id;
	uint32_t value_type_id;
};

/* btf: NULL for a map without types. */
static inline int bpf_map_create(uint32_t type, const char *name, uint32_t key_size,
				 uint32_t value_size, uint32_t max_entries, uint32_t flags,
				 const struct map_btf *btf)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = key_size;
	attr.value_size = value_size;
	attr.max_entries = max_entries;
	attr.map_flags = flags;
	bpf_obj_name(attr.map_name, name);
	if (btf) {
		attr.btf_fd = (uint32_t)btf->fd;
		attr.btf_key_type_id = btf->key_type_id;
		attr.btf_value_type_id = btf->value_type_id;
	}
	return sys_bpf_fd(BPF_MAP_CREATE, &attr);
}

/*
 * Load BTF (Linux 4.18) and return its fd. On rejection the kernel explains
 * in `log` when one is given.
 */
static inline int bpf_btf_load(const void *btf, uint32_t size, char *log, uint32_t log_size)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.btf = ptr_to_u64(btf);
	attr.btf_size = size;
	if (log && log_size) {
		attr.btf_log_buf = ptr_to_u64(log);
		attr.btf_log_size = log_size;
		attr.btf_log_level = 1;
	}
	return sys_bpf_fd(BPF_BTF_LOAD, &attr);
}

static inline int bpf_map_update_elem(int map_fd, const void *key, const void *value,
				      uint64_t flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)map_fd;
	attr.key = ptr_to_u64(key);
	attr.value = ptr_to_u64(value);
	attr.flags = flags;
	return sys_bpf(BPF_MAP_UPDATE_ELEM, &attr);
}

static inline int bpf_map_lookup_elem(int map_fd, const void *key, void *value)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)map_fd;
	attr.key = ptr_to_u64(key);
	attr.value = ptr_to_u64(value);
	return sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr);
}

/*
 * Many elements in one call (Linux 5.6). *count in: how many; out: how many
 * were done, also on failure.
 */
static inline int bpf_map_update_batch(int map_fd, const void *keys, const void *values,
				       uint32_t *count, uint64_t elem_flags)
{
	union bpf_attr attr;
	int err;

	memset(&attr, 0, sizeof(attr));
	attr.batch.map_fd = (uint32_t)map_fd;
	attr.batch.keys = ptr_to_u64(keys);
	attr.batch.values = ptr_to_u64(values);
	attr.batch.count = *count;
	attr.batch.elem_flags = elem_flags;
	err = sys_bpf(BPF_MAP_UPDATE_BATCH, &attr);
	*count = attr.batch.count;
	return err;
}

/*
 * Up to *count elements read in one call (Linux 5.6 for hashes, 5.13 for
 * the trie), with `delete` also deleted (BPF_MAP_LOOKUP_AND_DELETE_BATCH,
 * hashes only). `in_batch` NULL starts at the beginning; `out_batch` gets
 * where the next call goes on, passed back as in_batch: a hash's bucket
 * number (4 bytes), other maps' last key (key_size bytes), so room for a
 * key. *count out: how many were read; -1 with ENOENT once the last is
 * read (with *count of them in this call).
 */
static inline int bpf_map_lookup_batch(int map_fd, const void *in_batch, void *out_batch,
				       void *keys, void *values, uint32_t *count, int delete)
{
	union bpf_attr attr;
	int err;

	memset(&attr, 0, sizeof(attr));
	attr.batch.in_batch = ptr_to_u64(in_batch);
	attr.batch.out_batch = ptr_to_u64(out_batch);
	attr.batch.keys = ptr_to_u64(keys);
	attr.batch.values = ptr_to_u64(values);
	attr.batch.count = *count;
	attr.batch.map_fd = (uint32_t)map_fd;
	err = sys_bpf(delete ? BPF_MAP_LOOKUP_AND_DELETE_BATCH : BPF_MAP_LOOKUP_BATCH, &attr);
	*count = attr.batch.count;
	return err;
}

/* Delete *count keys in one call (Linux 5.6). *count out: how many went, also on failure. */
static inline int bpf_map_delete_batch(int map_fd, const void *keys, uint32_t *count)
{
	union bpf_attr attr;
	int err;

	memset(&attr, 0, sizeof(attr));
	attr.batch.map_fd = (uint32_t)map_fd;
	attr.batch.keys = ptr_to_u64(keys);
	attr.batch.count = *count;
	err = sys_bpf(BPF_MAP_DELETE_BATCH, &attr);
	*count = attr.batch.count;
	return err;
}

/* The key after `key` (NULL: the first key); -1 with ENOENT after the last. */
static inline int bpf_map_get_next_key(int map_fd, const void *key, void *next)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)map_fd;
	attr.key = ptr_to_u64(key);
	attr.next_key = ptr_to_u64(next);
	return sys_bpf(BPF_MAP_GET_NEXT_KEY, &attr);
}

static inline int bpf_map_delete_elem(int map_fd, const void *key)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)map_fd;
	attr.key = ptr_to_u64(key);
	return sys_bpf(BPF_MAP_DELETE_ELEM, &attr);
}

struct prog_load_args {
	uint32_t type;
	uint32_t expected_attach_type;
	const void *insns;
	uint32_t insn_cnt;
	const char *license;
	const char *name;
	char *log_buf; /* NULL: no verifier log */
	uint32_t log_size;
	uint32_t log_level;
	/* BTF (Linux 5.0): btf_fd 0 for none (ours are never below 3). */
	int btf_fd;
	const void *func_info, *line_info; /* .BTF.ext's records, insn_off in instructions */
	uint32_t func_info_rec_size, func_info_cnt;
	uint32_t line_info_rec_size, line_info_cnt;
};

static inline int bpf_prog_load(const struct prog_load_args *a)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = a->type;
	attr.expected_attach_type = a->expected_attach_type;
	attr.insns = ptr_to_u64(a->insns);
	attr.insn_cnt = a->insn_cnt;
	attr.license = ptr_to_u64(a->license);
	bpf_obj_name(attr.prog_name, a->name);
	/* log_size without log_level is EINVAL: set both or neither. */
	if (a->log_buf && a->log_size) {
		attr.log_buf = ptr_to_u64(a->log_buf);
		attr.log_size = a->log_size;
		attr.log_level = a->log_level;
	}
	if (a->btf_fd > 0) {
		attr.prog_btf_fd = (uint32_t)a->btf_fd;
		attr.func_info = ptr_to_u64(a->func_info);
		attr.func_info_rec_size = a->func_info_rec_size;
		attr.func_info_cnt = a->func_info_cnt;
		attr.line_info = ptr_to_u64(a->line_info);
		attr.line_info_rec_size = a->line_info_rec_size;
		attr.line_info_cnt = a->line_info_cnt;
	}
	return sys_bpf_fd(BPF_PROG_LOAD, &attr);
}

/*
 * `replace_fd` >= 0 (multi mode, Linux 5.6): BPF_F_REPLACE, ours takes that
 * program's place in one step; older kernels answer EINVAL.
 */
static inline int bpf_prog_attach_replacing(int prog_fd, int target_fd, uint32_t type,
					    uint32_t flags, int replace_fd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)target_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = type;
	attr.attach_flags = flags;
	if (replace_fd >= 0) {
		attr.attach_flags |= BPF_F_REPLACE;
		attr.replace_bpf_fd = (uint32_t)replace_fd;
	}
	return sys_bpf(BPF_PROG_ATTACH, &attr);
}

static inline int bpf_prog_attach(int prog_fd, int target_fd, uint32_t type, uint32_t flags)
{
	return bpf_prog_attach_replacing(prog_fd, target_fd, type, flags, -1);
}

/* Detach exactly this program: naming it is what keeps others' programs safe. */
static inline int bpf_prog_detach(int prog_fd, int target_fd, uint32_t type)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)target_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = type;
	return sys_bpf(BPF_PROG_DETACH, &attr);
}

/* Programs on a cgroup hook: *cnt in = room in ids, out = how many there are. */
static inline int bpf_prog_query(int target_fd, uint32_t type, uint32_t *attach_flags,
				 uint32_t *ids, uint32_t *cnt)
{
	union bpf_attr attr;
	int err;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)target_fd;
	attr.query.attach_type = type;
	attr.query.prog_ids = ptr_to_u64(ids);
	attr.query.prog_cnt = *cnt;
	err = sys_bpf(BPF_PROG_QUERY, &attr);
	*attach_flags = attr.query.attach_flags;
	*cnt = attr.query.prog_cnt;
	return err;
}

static inline int bpf_obj_get_info_by_fd(int fd, void *info, uint32_t *info_len)
{
	union bpf_attr attr;
	int err;

	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = *info_len;
	attr.info.info = ptr_to_u64(info);
	err = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
	*info_len = attr.info.info_len;
	return err;
}

/* The id the kernel gave map `fd` (what bpftool shows), or 0 if it will not say. */
static inline uint32_t bpf_map_id(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? 0 : info.id;
}

/*
 * Run program `prog_fd` `repeat` times on one packet (`data`, starting with
 * its Ethernet header); *retval is its verdict, *duration the kernel's mean
 * ns per run. The tool's own use is the probe of --events auto
 * (transport.c); bench/ measures with it. A packet of up to 256 bytes also
 * gets somewhere to be copied back to: the kernel would not need it, but
 * valgrind takes a data_out of NULL for a bad pointer.
 */
static inline int bpf_prog_test_run(int prog_fd, const void *data, uint32_t len, uint32_t repeat,
				    uint32_t *retval, uint32_t *duration)
{
	union bpf_attr attr;
	uint8_t out[256];
	int err;

	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)prog_fd;
	attr.test.data_in = ptr_to_u64(data);
	attr.test.data_size_in = len;
	if (len <= sizeof(out)) {
		attr.test.data_out = ptr_to_u64(out);
		attr.test.data_size_out = sizeof(out);
	}
	attr.test.repeat = repeat;
	err = sys_bpf(BPF_PROG_TEST_RUN, &attr);
	*retval = attr.test.retval;
	*duration = attr.test.duration;
	return err;
}

static inline int bpf_prog_get_fd_by_id(uint32_t id)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	return sys_bpf_fd(BPF_PROG_GET_FD_BY_ID, &attr);
}

static inline int bpf_map_get_fd_by_id(uint32_t id)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_id = id;
	return sys_bpf_fd(BPF_MAP_GET_FD_BY_ID, &attr);
}

static inline int sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu,
				      int group_fd, unsigned long flags)
{
	return fd_above_stdio((int)syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags));
}

#endif
