/* SPDX-License-Identifier: MIT */
/*
 * nethelper.c - the test suite's hands: loopback servers, clients that run
 * inside a cgroup, and a query of a cgroup's egress hook. It stands in for
 * socat, ping and bpftool so that the tests need nothing beyond the build.
 *
 *   nethelper serve ADDR PORT SECONDS     TCP + UDP echo on ADDR:PORT, for at
 *                                         most SECONDS; prints "ready"
 *   nethelper [-g CGROUP] udp ADDR PORT MS
 *   nethelper [-g CGROUP] tcp ADDR PORT MS
 *                                         one exchange with the server; exit 0
 *                                         if it answered, 3 if not (blocked)
 *   nethelper [-g CGROUP] flood ADDR PORT COUNT
 *                                         COUNT UDP datagrams as fast as possible;
 *                                         prints how many the kernel took
 *   nethelper [-g CGROUP] stream ADDR PORT MS
 *                                         UDP datagrams for MS ms; prints how many
 *                                         went out, how many were refused (EPERM),
 *                                         how many went out after a refusal, and
 *                                         how many were refused after one went out
 *   nethelper [-g CGROUP] rr-udp|rr-tcp ADDR PORT MS
 *                                         request/response exchanges with the
 *                                         server for MS ms (UDP: a datagram and
 *                                         its echo; TCP: connect, read, close);
 *                                         prints "exchanges N"
 *   nethelper query CGROUP [ingress]      number of programs on the egress (or
 *                                         ingress) hook
 *   nethelper detach-all CGROUP           detach every program on the egress hook
 *   nethelper ids                         ids of every BPF program and map, one line
 *   nethelper attach-foreign CGROUP MODE [N]
 *                                         attach N (1) allow-all programs that are
 *                                         not ours, with flags single|override|multi
 *   nethelper cost CGROUP N               run the first program on the egress hook
 *                                         N times on one IPv4 packet to 192.0.2.1
 *                                         (BPF_PROG_TEST_RUN); prints "ns M", the
 *                                         kernel's mean per run, JIT or interpreter
 *   nethelper verdict CGROUP egress|ingress SRC DST
 *                                         run the first program on the hook once on
 *                                         an IPv4 or IPv6 UDP packet from SRC to DST
 *                                         (BPF_PROG_TEST_RUN); prints its return
 *                                         value, 0 drop or 1 pass
 *   nethelper no-batch PROGRAM ARGS...    run PROGRAM as on a kernel before 5.6:
 *                                         a seccomp filter answers EINVAL to
 *                                         bpf(2)'s batch commands, as such a
 *                                         kernel does to a command it lacks
 *
 * With -g the process joins CGROUP before it creates its socket: a socket
 * belongs to the cgroup its creator was in at the time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

#include "../bench/packet.h"

#define BLOCKED 3

/* A whole number from 0 to max, or -1. */
static long number(const char *text, long max)
{
	char *end;
	long n = strtol(text, &end, 10);

	return end != text && !*end && n >= 0 && n <= max ? n : -1;
}

/* An IPv4 or IPv6 peer; "::ffff:127.0.0.2" makes a dual-stack IPv6 socket that sends IPv4. */
struct peer {
	struct sockaddr_storage sa;
	socklen_t len;
	int family;
};

static int addr_of(const char *ip, const char *port, struct peer *to)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&to->sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&to->sa;
	long p = number(port, 65535);

	memset(to, 0, sizeof(*to));
	if (p < 0)
		return -1;
	if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		to->len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)p);
		to->len = sizeof(*v6);
	} else {
		return -1;
	}
	to->family = to->sa.ss_family;
	return 0;
}

static int join_cgroup(const char *dir)
{
	char path[4096], pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (write(fd, pid, (size_t)n) != n) {
		perror(path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int serve(const struct peer *to, int seconds)
{
	int one = 1, t = socket(to->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int u = socket(to->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	double end = now() + seconds;

	setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (t < 0 || u < 0 || bind(t, (const struct sockaddr *)&to->sa, to->len) < 0 ||
	    listen(t, 64) < 0 || bind(u, (const struct sockaddr *)&to->sa, to->len) < 0) {
		perror("serve");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (now() < end) {
		struct pollfd p[2] = { { t, POLLIN, 0 }, { u, POLLIN, 0 } };

		if (poll(p, 2, 200) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int c = accept4(t, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0) {
				if (write(c, "ok\n", 3) < 0)
					perror("serve: write");
				close(c);
			}
		}
		if (p[1].revents & POLLIN) {
			char buf[512];
			struct sockaddr_storage from;
			socklen_t len = sizeof(from);
			ssize_t n =
				recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);

			if (n > 0)
				sendto(u, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
		}
	}
	return 0;
}

static int udp_probe(const struct peer *to, int ms)
{
	int s = socket(to->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct pollfd p = { s, POLLIN, 0 };
	char buf[64];

	if (s < 0 || connect(s, (const struct sockaddr *)&to->sa, to->len) < 0) {
		perror("udp");
		return 1;
	}
	if (send(s, "ping", 4, 0) < 0) {
		printf("udp blocked: send: %s\n", strerror(errno));
		return BLOCKED;
	}
	if (poll(&p, 1, ms) == 1 && recv(s, buf, sizeof(buf), 0) > 0) {
		printf("udp passed\n");
		return 0;
	}
	printf("udp blocked: no reply in %d ms\n", ms);
	return BLOCKED;
}

static int tcp_probe(const struct peer *to, int ms)
{
	int s = socket(to->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct pollfd p = { s, POLLOUT, 0 };
	int err = 0;
	socklen_t len = sizeof(err);
	char buf[16];

	if (s < 0) {
		perror("tcp");
		return 1;
	}
	if (connect(s, (const struct sockaddr *)&to->sa, to->len) < 0 && errno != EINPROGRESS) {
		printf("tcp blocked: connect: %s\n", strerror(errno));
		return BLOCKED;
	}
	if (poll(&p, 1, ms) != 1) {
		printf("tcp blocked: no connection in %d ms\n", ms);
		return BLOCKED;
	}
	getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		printf("tcp blocked: connect: %s\n", strerror(err));
		return BLOCKED;
	}
	p.events = POLLIN;
	if (poll(&p, 1, ms) == 1 && read(s, buf, sizeof(buf)) > 0) {
		printf("tcp passed\n");
		return 0;
	}
	printf("tcp blocked: no data in %d ms\n", ms);
	return BLOCKED;
}

/* Unconnected, so that ICMP errors from a closed port never fail a send. */
static int flood(const struct peer *to, long count)
{
	int s = socket(to->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	long i, sent = 0;

	if (s < 0) {
		perror("flood");
		return 1;
	}
	for (i = 0; i < count; i++)
		if (sendto(s, "flood", 5, 0, (const struct sockaddr *)&to->sa, to->len) == 5)
			sent++;
	printf("%ld\n", sent);
	return 0;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		perror(dir);
	return fd;
}

/* Programs on hook `type` of cgroup fd `cg`: count, and ids into `ids`. */
static long hook_ids(int cg, uint32_t type, uint32_t ids[64])
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)cg;
	attr.query.attach_type = type;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = 64;
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) {
		perror("BPF_PROG_QUERY");
		return -1;
	}
	return attr.query.prog_cnt;
}

static int detach_all(const char *dir)
{
	uint32_t ids[64];
	int cg = open_dir(dir);
	long n, i;

	if (cg < 0 || (n = hook_ids(cg, BPF_CGROUP_INET_EGRESS, ids)) < 0)
		return 1;
	for (i = 0; i < n; i++) {
		union bpf_attr attr;
		int fd;

		memset(&attr, 0, sizeof(attr));
		attr.prog_id = ids[i];
		fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (fd < 0)
			continue;
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)cg;
		attr.attach_bpf_fd = (uint32_t)fd;
		attr.attach_type = BPF_CGROUP_INET_EGRESS;
		if (sys_bpf(BPF_PROG_DETACH, &attr) < 0)
			perror("BPF_PROG_DETACH");
		close(fd);
	}
	return 0;
}

/* Every live program and map id, so a test can compare before and after. */
static int list_ids(void)
{
	static const int cmds[2] = { BPF_PROG_GET_NEXT_ID, BPF_MAP_GET_NEXT_ID };
	int k;

	for (k = 0; k < 2; k++) {
		union bpf_attr attr;

		memset(&attr, 0, sizeof(attr));
		printf("%s", k ? " maps:" : "progs:");
		while (sys_bpf(cmds[k], &attr) == 0) {
			printf(" %u", attr.next_id);
			attr.start_id = attr.next_id;
		}
	}
	printf("\n");
	return 0;
}

/* A 2-instruction program (r0 = 1; exit) named "foreign", attached N times. */
static int attach_foreign(const char *dir, const char *mode, long n)
{
	static const struct bpf_insn allow[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	uint32_t flags = strcmp(mode, "multi") == 0	 ? BPF_F_ALLOW_MULTI
			 : strcmp(mode, "override") == 0 ? BPF_F_ALLOW_OVERRIDE
							 : 0;
	int cg = open_dir(dir);
	long i;

	if (cg < 0 || n < 1)
		return 1;
	for (i = 0; i < n; i++) {
		union bpf_attr attr;
		int fd;

		memset(&attr, 0, sizeof(attr));
		attr.prog_type = BPF_PROG_TYPE_CGROUP_SKB;
		attr.expected_attach_type = BPF_CGROUP_INET_EGRESS;
		attr.insns = (uint64_t)(uintptr_t)allow;
		attr.insn_cnt = 2;
		attr.license = (uint64_t)(uintptr_t) "GPL";
		memcpy(attr.prog_name, "foreign", 8);
		fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
		if (fd < 0) {
			perror("BPF_PROG_LOAD");
			return 1;
		}
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)cg;
		attr.attach_bpf_fd = (uint32_t)fd;
		attr.attach_type = BPF_CGROUP_INET_EGRESS;
		attr.attach_flags = flags;
		if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) {
			perror("BPF_PROG_ATTACH");
			return 1;
		}
		close(fd);
	}
	return 0;
}

/* While a blocker starts: once refused, a datagram must never pass again. */
static int stream(const struct peer *to, long ms)
{
	int s = socket(to->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	long ok = 0, refused = 0, ok_after = 0, refused_after = 0;
	double end = now() + (double)ms / 1000;

	if (s < 0) {
		perror("stream");
		return 1;
	}
	while (now() < end) {
		if (sendto(s, "s", 1, 0, (const struct sockaddr *)&to->sa, to->len) == 1) {
			ok++;
			ok_after += refused > 0;
		} else if (errno == EPERM) {
			refused++;
			refused_after += ok > 0;
		}
	}
	printf("sent %ld refused %ld sent-after-refused %ld refused-after-sent %ld\n", ok, refused,
	       ok_after, refused_after);
	return 0;
}

static int exchanges(const struct peer *to, int tcp, long ms)
{
	double end = now() + (double)ms / 1000;
	int u = tcp ? -1 : socket(to->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	long n = 0;
	char buf[16];

	if (!tcp && (u < 0 || connect(u, (const struct sockaddr *)&to->sa, to->len) < 0)) {
		perror("rr-udp");
		return 1;
	}
	for (; now() < end; n++) {
		if (tcp) {
			int s = socket(to->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
			int ok = s >= 0 &&
				 connect(s, (const struct sockaddr *)&to->sa, to->len) == 0 &&
				 read(s, buf, sizeof(buf)) > 0;

			if (s >= 0)
				close(s);
			if (!ok) {
				perror("rr-tcp");
				return 1;
			}
		} else {
			struct pollfd p = { u, POLLIN, 0 };

			if (send(u, "r", 1, 0) != 1 || poll(&p, 1, 1000) != 1 ||
			    recv(u, buf, sizeof(buf), 0) <= 0) {
				fprintf(stderr, "rr-udp: no answer\n");
				return 1;
			}
		}
	}
	printf("exchanges %ld\n", n);
	return 0;
}

/* An fd of the first program on `hook` of cgroup `dir`, or -1 after saying why. */
static int first_program(const char *dir, uint32_t hook)
{
	uint32_t ids[64];
	union bpf_attr attr;
	int cg = open_dir(dir), fd;
	long n = cg < 0 ? -1 : hook_ids(cg, hook, ids);

	if (cg >= 0)
		close(cg);
	if (n <= 0) {
		fprintf(stderr, "nethelper: no program on that hook of %s\n", dir);
		return -1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.prog_id = ids[0];
	fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0)
		perror("BPF_PROG_GET_FD_BY_ID");
	return fd;
}

/* Program `fd` run `repeat` times on `pkt`: its return value and mean ns, or -1. */
static int test_run(int fd, const uint8_t *pkt, uint32_t len, uint32_t repeat, uint32_t *retval,
		    uint32_t *ns)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)fd;
	attr.test.data_in = (uint64_t)(uintptr_t)pkt;
	attr.test.data_size_in = len;
	attr.test.repeat = repeat;
	if (sys_bpf(BPF_PROG_TEST_RUN, &attr) < 0) {
		perror("BPF_PROG_TEST_RUN");
		return -1;
	}
	*retval = attr.test.retval;
	*ns = attr.test.duration;
	return 0;
}

static int cost(const char *dir, long repeat)
{
	uint8_t pkt[128];
	uint32_t retval, ns;
	int fd = repeat > 0 ? first_program(dir, BPF_CGROUP_INET_EGRESS) : -1;
	int rc = fd < 0 || test_run(fd, pkt, bench_packet(pkt, 0), (uint32_t)repeat, &retval, &ns);

	if (!rc)
		printf("ns %u\n", ns);
	if (fd >= 0)
		close(fd);
	return rc ? 1 : 0;
}

/*
 * An Ethernet frame with a UDP packet from `src` to `dst`, both IPv4 or both
 * IPv6 (::ffff:a.b.c.d stays an IPv6 header); its length, or 0.
 */
static uint32_t udp_packet(uint8_t pkt[128], const char *src, const char *dst)
{
	struct in6_addr s6, d6;
	struct in_addr s4, d4;

	memset(pkt, 0, 128);
	if (inet_pton(AF_INET, src, &s4) == 1 && inet_pton(AF_INET, dst, &d4) == 1) {
		pkt[12] = 0x08;
		pkt[14] = 0x45, pkt[17] = 28, pkt[22] = 64, pkt[23] = IPPROTO_UDP;
		memcpy(pkt + 26, &s4, 4);
		memcpy(pkt + 30, &d4, 4);
		return 14 + 20 + 8;
	}
	if (inet_pton(AF_INET6, src, &s6) == 1 && inet_pton(AF_INET6, dst, &d6) == 1) {
		pkt[12] = 0x86, pkt[13] = 0xdd;
		pkt[14] = 0x60, pkt[19] = 8, pkt[20] = IPPROTO_UDP, pkt[21] = 64;
		memcpy(pkt + 22, &s6, 16);
		memcpy(pkt + 38, &d6, 16);
		return 14 + 40 + 8;
	}
	return 0;
}

static int verdict(const char *dir, const char *hook, const char *src, const char *dst)
{
	uint8_t pkt[128];
	uint32_t len = udp_packet(pkt, src, dst), retval, ns;
	int fd, rc;

	if (!len) {
		fprintf(stderr, "verdict: %s and %s are not two addresses of one family\n", src,
			dst);
		return 2;
	}
	fd = first_program(dir, strcmp(hook, "ingress") == 0 ? BPF_CGROUP_INET_INGRESS
							     : BPF_CGROUP_INET_EGRESS);
	rc = fd < 0 || test_run(fd, pkt, len, 1, &retval, &ns);
	if (!rc)
		printf("%u\n", retval);
	if (fd >= 0)
		close(fd);
	return rc ? 1 : 0;
}

static int query(const char *dir, const char *hook)
{
	uint32_t ids[64];
	int cg = open_dir(dir);
	long n = cg < 0 ? -1
			: hook_ids(cg,
				   strcmp(hook, "ingress") == 0 ? BPF_CGROUP_INET_INGRESS
								: BPF_CGROUP_INET_EGRESS,
				   ids);

	if (n < 0)
		return 1;
	printf("%ld\n", n);
	return 0;
}

/*
 * bpf(2)'s BPF_MAP_LOOKUP_BATCH to BPF_MAP_DELETE_BATCH (24 to 27, all
 * four added in 5.6) fail with EINVAL; everything else runs. The filter
 * does not check the architecture: it guards a native program we exec.
 */
static int no_batch(char **argv)
{
	/* The low half of the 64-bit argument: the command. */
	const uint32_t cmd_at = offsetof(struct seccomp_data, args[0]) +
				(__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0);
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, cmd_at),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, BPF_MAP_LOOKUP_BATCH, 0, 2),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, BPF_MAP_DELETE_BATCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(insns) / sizeof(insns[0]), insns };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("nethelper no-batch: seccomp");
		return 1;
	}
	execv(argv[0], argv);
	perror(argv[0]);
	return 1;
}

int main(int argc, char **argv)
{
	struct peer sa;

	if (argc > 2 && strcmp(argv[1], "-g") == 0) {
		if (join_cgroup(argv[2]))
			return 1;
		argc -= 2;
		argv += 2;
	}
	if (argc > 2 && strcmp(argv[1], "no-batch") == 0)
		return no_batch(argv + 2);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "query") == 0)
		return query(argv[2], argc == 4 ? argv[3] : "egress");
	if (argc == 3 && strcmp(argv[1], "detach-all") == 0)
		return detach_all(argv[2]);
	if (argc == 2 && strcmp(argv[1], "ids") == 0)
		return list_ids();
	if (argc == 4 && strcmp(argv[1], "cost") == 0)
		return cost(argv[2], number(argv[3], 100000000));
	if (argc == 6 && strcmp(argv[1], "verdict") == 0)
		return verdict(argv[2], argv[3], argv[4], argv[5]);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "attach-foreign") == 0)
		return attach_foreign(argv[2], argv[3], argc == 5 ? number(argv[4], 64) : 1);
	if (argc != 5 || addr_of(argv[2], argv[3], &sa)) {
		fprintf(stderr, "usage: see the comment at the top of test/nethelper.c\n");
		return 2;
	}
	if (strcmp(argv[1], "flood") == 0)
		return flood(&sa, number(argv[4], 100000000));
	if (strcmp(argv[1], "stream") == 0)
		return stream(&sa, number(argv[4], 60000));
	if (strcmp(argv[1], "rr-udp") == 0 || strcmp(argv[1], "rr-tcp") == 0)
		return exchanges(&sa, argv[1][3] == 't', number(argv[4], 60000));
	if (number(argv[4], 3600000) < 0) {
		fprintf(stderr, "bad time '%s'\n", argv[4]);
		return 2;
	}
	if (strcmp(argv[1], "serve") == 0)
		return serve(&sa, (int)number(argv[4], 3600));
	if (strcmp(argv[1], "udp") == 0)
		return udp_probe(&sa, (int)number(argv[4], 3600000));
	if (strcmp(argv[1], "tcp") == 0)
		return tcp_probe(&sa, (int)number(argv[4], 3600000));
	fprintf(stderr, "unknown command %s\n", argv[1]);
	return 2;
}
