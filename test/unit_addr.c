/* SPDX-License-Identifier: MIT */
/*
 * unit_addr.c - tests of the address parser and of address files (addr.c).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "check.h"
#include "common.h"
#include "text.h"
#include "unit.h"

/* ---- addresses --------------------------------------------------------------- */

/* Parse `text`, expecting success, and return its formatted key (static buffer). */
static const char *parsed(const char *text)
{
	static char out[ADDR_TEXT_MAX + 8];
	struct addr_key k;
	char why[200];

	if (addr_parse(text, &k, why, sizeof(why)) != 0) {
		snprintf(out, sizeof(out), "error");
		printf("    '%s': %s\n", text, why);
		return out;
	}
	return addr_format(&k, out);
}

static void prefixes_parse_both_families(void)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "192.0.2.1", "192.0.2.1" },
		{ "192.0.2.1/32", "192.0.2.1" },
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "0.0.0.0", "0.0.0.0" },
		{ "255.255.255.255", "255.255.255.255" },
		{ "::", "::" },
		{ "::/0", "::/0" },
		{ "::1", "::1" },
		{ "2001:db8::1", "2001:db8::1" },
		{ "2001:DB8:0:0:0:0:0:1", "2001:db8::1" },
		{ "2001:db8::/32", "2001:db8::/32" },
		{ "2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1" },
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
		{ "1::", "1::" },
		{ "fd00::/64", "fd00::/64" },
		{ "::ffff:1.2.3.4", "1.2.3.4" },
		{ "::ffff:0102:0304", "1.2.3.4" },
		{ "::ffff:10.0.0.0/104", "10.0.0.0/8" },
		{ "::ffff:0:0/96", "0.0.0.0/0" },
		{ "::1.2.3.4", "::102:304" },
		{ "2001:db8::/128", "2001:db8::" },
	};
	static const char *const bad[] = {
		"",
		"/8",
		"10.0.0.1/8",
		"10.0.0.0/33",
		"10.0.0.0/-1",
		"10.0.0.0/08",
		"10.0.0.0/",
		"10.0.0.0/8/8",
		"10.0.0.0/ 8",
		"01.2.3.4",
		"1.2.3",
		"1.2.3.4 ",
		"::/129",
		"fe80::1%eth0",
		"fe80::%1/64",
		"2001:db8::1/32",
		"2001:db8:::1",
		"12345::",
		"2001:db8::g",
		"1.2.3.4/32x",
		"::ffff:1.2.3.5/127",
		"0x7f.0.0.1",
		"abc",
		"2001:db8::/+32",
	};
	struct addr_key k, l;
	char why[200];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (strcmp(parsed(good[i].in), good[i].out) != 0) {
			printf("    '%s' gave '%s', want '%s'\n", good[i].in, parsed(good[i].in),
			       good[i].out);
			check_failed = 1;
		}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (addr_parse(bad[i], &k, why, sizeof(why)) == 0) {
			printf("    accepted '%s'\n", bad[i]);
			check_failed = 1;
		}
	CHECK(addr_parse(NULL, &k, why, sizeof(why)) == -1);
	/* The key's bytes: what the BPF program builds from a packet must equal them. */
	CHECK(addr_parse("1.2.3.4", &k, why, sizeof(why)) == 0 && k.family == ADDR_IPV4 &&
	      k.prefixlen == 64 && k.addr[0] == 1 && k.addr[3] == 4 && k.addr[4] == 0 &&
	      addr_is_single(&k));
	CHECK(addr_parse("::ffff:1.2.3.4", &l, why, sizeof(why)) == 0 &&
	      memcmp(&k, &l, sizeof(k)) == 0);
	CHECK(addr_parse("2001:db8::/32", &k, why, sizeof(why)) == 0 && k.family == ADDR_IPV6 &&
	      k.prefixlen == 64 && !addr_is_single(&k) && k.addr[0] == 0x20 && k.addr[4] == 0);
	/* Errors say what was probably meant. */
	CHECK(addr_parse("10.0.0.1/8", &k, why, sizeof(why)) == -1 &&
	      strcmp(why,
		     "'10.0.0.1/8' has bits set beyond the /8 prefix: the network is 10.0.0.0/8") ==
		      0);
	CHECK(addr_parse("2001:db8::1/32", &k, why, sizeof(why)) == -1 &&
	      strstr(why, "the network is 2001:db8::/32") != NULL);
	CHECK(addr_parse("fe80::1%eth0", &k, why, sizeof(why)) == -1 &&
	      strstr(why, "zone ids") != NULL);
	CHECK(addr_parse("10.0.0.0/33", &k, why, sizeof(why)) == -1 &&
	      strstr(why, "from 0 to 32") != NULL);
	/* Order: IPv4 first, then by address, then the shorter prefix first. */
	CHECK(addr_parse("10.0.0.0/8", &k, why, sizeof(why)) == 0 &&
	      addr_parse("10.0.0.0/16", &l, why, sizeof(why)) == 0 && addr_cmp(&k, &l) < 0);
	CHECK(addr_parse("255.0.0.0/8", &k, why, sizeof(why)) == 0 &&
	      addr_parse("::/0", &l, why, sizeof(why)) == 0 && addr_cmp(&k, &l) < 0);
}

static void address_files(void)
{
	static const char good[] = "# blocklist\n\n  1.2.3.4  \r\n10.0.0.1 # a comment\n"
				   "1.2.3.4\n\t2001:db8::/32\n10.0.0.0/8";
	static const char bad[] = "1.2.3.4\n\n# fine so far\n1.2.3\n5.6.7.8\n";
	static const char host_bits[] = "10.0.0.1/8\n";
	static char long_line[TEXT_LINE_MAX + 100];
	struct addr_list list = { 0 };
	char err[300] = "", text[ADDR_TEXT_MAX];
	int fd;

	fd = fd_with(good, sizeof(good) - 1);
	CHECK(addr_file_read(fd, "good.txt", 0, &list, err, sizeof(err)) == 0);
	close(fd);
	CHECK(list.cnt == 5 && strcmp(addr_format(&list.e[0].key, text), "1.2.3.4") == 0 &&
	      strcmp(addr_format(&list.e[3].key, text), "2001:db8::/32") == 0);
	addr_list_unique(&list);
	CHECK(list.cnt == 4 && strcmp(addr_format(&list.e[0].key, text), "1.2.3.4") == 0 &&
	      strcmp(addr_format(&list.e[1].key, text), "10.0.0.0/8") == 0 &&
	      strcmp(addr_format(&list.e[2].key, text), "10.0.0.1") == 0 &&
	      strcmp(addr_format(&list.e[3].key, text), "2001:db8::/32") == 0);
	/* A bad line: named with its number, and nothing of the file is kept. */
	fd = fd_with(bad, sizeof(bad) - 1);
	CHECK(addr_file_read(fd, "bad.txt", 0, &list, err, sizeof(err)) == -1);
	close(fd);
	CHECK(strncmp(err, "bad.txt:4: '1.2.3' is not an IPv4 or IPv6 address", 49) == 0);
	CHECK(list.cnt == 4);
	fd = fd_with(host_bits, sizeof(host_bits) - 1);
	CHECK(addr_file_read(fd, "nets.txt", 0, &list, err, sizeof(err)) == -1);
	close(fd);
	CHECK(strcmp(err,
		     "nets.txt:1: '10.0.0.1/8' has bits set beyond the /8 prefix: the network is 10.0.0.0/8") ==
	      0);
	/* A good first line, then one too long (the buffer is static, so zeroed). */
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[7] = '\n';
	long_line[0] = '1';
	long_line[1] = '.';
	long_line[2] = '2';
	long_line[3] = '.';
	long_line[4] = '3';
	long_line[5] = '.';
	long_line[6] = '4';
	fd = fd_with(long_line, sizeof(long_line) - 1);
	CHECK(addr_file_read(fd, "long.txt", 0, &list, err, sizeof(err)) == -1);
	close(fd);
	CHECK(strcmp(err, "long.txt:2: line longer than 4095 bytes") == 0 && list.cnt == 4);
	addr_list_free(&list);
	CHECK(list.cnt == 0 && list.e == NULL);
}

/*
 * The dotted quad read without inet_pton() (addr_parse(), and a file's
 * plain lines) takes exactly what inet_pton() takes, with the same bytes,
 * whichever path a line goes.
 */
static void dotted_quads_as_inet_pton(void)
{
	static const char *const texts[] = {
		"1.2.3.4",   "0.0.0.0",	   "255.255.255.255", "256.1.1.1",	 "1.2.3.256",
		"01.2.3.4",  "1.2.3.04",   "1.2.3.0",	      "10.0.0.1",	 "1.2.3",
		"1.2.3.4.5", "1..2.3",	   ".1.2.3",	      "1.2.3.",		 "1.2.3.4 ",
		" 1.2.3.4",  "1.2.3.4567", "1234.1.1.1",      "1.2.3.-4",	 "1.2.3.4x",
		"0x1.2.3.4", "1.2.3.4\r",  "99.199.249.9",    "100.200.250.255", "",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct addr_list list = { 0 };
		struct addr_key k;
		uint8_t want[4];
		char why[200], err[300], line[32];
		int libc = inet_pton(AF_INET, texts[i], want) == 1, ours, fd, n;

		ours = addr_parse(texts[i], &k, why, sizeof(why)) == 0 && k.family == ADDR_IPV4;
		CHECK(ours == libc);
		CHECK(!libc || memcmp(k.addr, want, 4) == 0);
		/* As a line of a file: the fast path, or the general one. */
		n = snprintf(line, sizeof(line), "%s\n", texts[i]);
		fd = fd_with(line, (size_t)n);
		ours = addr_file_read(fd, "q.txt", 0, &list, err, sizeof(err)) == 0 &&
		       list.cnt == 1;
		close(fd);
		/* Blanks and a CR around it are trimmed; a blank line is no entry, and no error. */
		if (texts[i][0])
			CHECK(ours == (libc || strpbrk(texts[i], " \r") != NULL));
		CHECK(!ours || !libc || memcmp(list.e[0].key.addr, want, 4) == 0);
		addr_list_free(&list);
	}
}

/* Feeds as published: Spamhaus's DROP list (';' comments), a byte-order mark. */
static void published_feeds(void)
{
	static const char drop[] = "\xef\xbb\xbf; Spamhaus DROP List 2026/12/05\r\n"
				   "; https://www.spamhaus.org/drop/drop.txt\r\n"
				   "1.10.16.0/20 ; SBL256894\r\n2.57.122.0/24;SBL636050\r\n";
	static const char late_bom[] = "1.2.3.4\n\xef\xbb\xbf"
				       "5.6.7.8\n";
	struct addr_list list = { 0 };
	char err[300] = "", text[ADDR_TEXT_MAX];
	int fd;

	fd = fd_with(drop, sizeof(drop) - 1);
	CHECK(addr_file_read(fd, "drop.txt", 0, &list, err, sizeof(err)) == 0);
	close(fd);
	CHECK(list.cnt == 2 && strcmp(addr_format(&list.e[0].key, text), "1.10.16.0/20") == 0 &&
	      strcmp(addr_format(&list.e[1].key, text), "2.57.122.0/24") == 0);
	/* Only the file's first bytes may be a mark; elsewhere it is shown, escaped. */
	fd = fd_with(late_bom, sizeof(late_bom) - 1);
	CHECK(addr_file_read(fd, "late.txt", 0, &list, err, sizeof(err)) == -1);
	close(fd);
	CHECK(strstr(err, "late.txt:2: ") == err && strstr(err, "\\xef\\xbb\\xbf5.6.7.8") != NULL);
	CHECK(list.cnt == 2);
	addr_list_free(&list);
}

/* What `list` prints, text and JSON, reads back, each entry with its time left. */
static void list_output_reads_back(void)
{
	static const char saved[] =
		"10.0.0.0/8 12 90s\n127.0.0.9 0\n2001:db8::1\t3\t7d\n"
		"{\"cgroup\":\"/sys/fs/cgroup/a;b#c\",\"prog_id\":7,\"direction\":\"egress\","
		"\"family\":\"ipv4\",\"address\":\"192.0.2.0/24\",\"prefix\":true,"
		"\"dropped\":5,\"expires_in\":3600}\n"
		"{\"cgroup\":\"/x\",\"address\":\"192.0.2.7\",\"expires_in\":null}\n";
	static const char *const bad[] = {
		"1.2.3.4 x\n",		 "1.2.3.4 5 6 7\n",
		"1.2.3.4 5 0s\n",	 "{\"address\":1.2.3.4}\n",
		"{\"cgroup\":\"/x\"}\n", "{\"address\":\"1.2.3.4\",\"expires_in\":x}\n",
	};
	struct addr_list list = { 0 };
	char err[300] = "", text[ADDR_TEXT_MAX];
	size_t i;
	int fd;

	fd = fd_with(saved, sizeof(saved) - 1);
	CHECK(addr_file_read(fd, "saved", 77, &list, err, sizeof(err)) == 0);
	close(fd);
	CHECK(list.cnt == 5);
	if (list.cnt == 5) {
		CHECK(strcmp(addr_format(&list.e[0].key, text), "10.0.0.0/8") == 0 &&
		      list.e[0].timeout_ns == 90000000000ull);
		/* No time of its own: the caller's (--timeout's). */
		CHECK(strcmp(addr_format(&list.e[1].key, text), "127.0.0.9") == 0 &&
		      list.e[1].timeout_ns == 77);
		CHECK(list.e[2].timeout_ns == 7ull * 86400 * 1000000000ull);
		/* A path with ';' and '#' in a JSON line is not a comment. */
		CHECK(strcmp(addr_format(&list.e[3].key, text), "192.0.2.0/24") == 0 &&
		      list.e[3].timeout_ns == 3600000000000ull);
		CHECK(strcmp(addr_format(&list.e[4].key, text), "192.0.2.7") == 0 &&
		      list.e[4].timeout_ns == 77);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = fd_with(bad[i], strlen(bad[i]));
		CHECK(addr_file_read(fd, "bad", 0, &list, err, sizeof(err)) == -1);
		close(fd);
		CHECK(list.cnt == 5 && strncmp(err, "bad:1: ", 7) == 0);
	}
	/* Duplicates: the longest time wins, and for good beats any. */
	addr_list_add(&list, &list.e[0].key, 0);
	addr_list_add(&list, &list.e[1].key, 1000);
	addr_list_unique(&list);
	CHECK(list.cnt == 5 && list.e[0].timeout_ns == 0 && list.e[1].timeout_ns == 1000);
	addr_list_free(&list);
}

static void durations(void)
{
	unsigned long s = 0;
	const char *end;

	CHECK((end = text_duration("90s", &s)) && !*end && s == 90);
	CHECK((end = text_duration("10m", &s)) && !*end && s == 600);
	CHECK((end = text_duration("24h", &s)) && !*end && s == 86400);
	CHECK((end = text_duration("7d", &s)) && !*end && s == 604800);
	CHECK((end = text_duration("45", &s)) && !*end && s == 45);
	CHECK((end = text_duration("5s}", &s)) && *end == '}' && s == 5);
	CHECK(text_duration("0s", &s) == NULL && text_duration("s", &s) == NULL);
	CHECK(text_duration("-5s", &s) == NULL && text_duration("24856d", &s) == NULL);
	CHECK((end = text_duration("2147483647", &s)) && !*end && s == 2147483647ul);
	CHECK(text_duration("2147483648", &s) == NULL);
}

void unit_addr(void)
{
	RUN(prefixes_parse_both_families);
	RUN(address_files);
	RUN(dotted_quads_as_inet_pton);
	RUN(published_feeds);
	RUN(list_output_reads_back);
	RUN(durations);
}
