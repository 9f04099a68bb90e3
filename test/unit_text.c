/* SPDX-License-Identifier: MIT */
/*
 * unit_text.c - tests of text.c: buffered output, text_format() against
 * snprintf(), numbers and lines read from a file descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "text.h"
#include "unit.h"

/* A line longer than text_out's buffer comes out whole, in order. */
static void text_prints_long_lines_whole(void)
{
	static char path[5000], got[2 * sizeof(path)];
	struct text_out out;
	int p[2];
	ssize_t n, total = 0;

	memset(path, 'p', sizeof(path) - 1);
	if (pipe(p))
		abort();
	text_out_init(&out, p[1]);
	text_printf(&out, "%s", "head ");
	text_printf(&out, "{\"cgroup\":\"%s\"}\n", path);
	text_printf(&out, "%s\n", "next");
	CHECK(text_flush(&out) == 0);
	close(p[1]);
	while ((n = read(p[0], got + total, sizeof(got) - 1 - (size_t)total)) > 0)
		total += n;
	close(p[0]);
	got[total] = '\0';
	CHECK((size_t)total == 5 + 11 + sizeof(path) - 1 + 3 + 5);
	CHECK(strncmp(got, "head {\"cgroup\":\"ppp", 19) == 0 &&
	      strcmp(got + total - 8, "\"}\nnext\n") == 0);
}

/*
 * With a stop fd, a flush into a pipe nobody reads gives up once the stop
 * fd is readable (a stop signal), instead of blocking for good; while the
 * pipe takes data, everything arrives in order.
 */
static void text_out_gives_way_to_a_stop(void)
{
	char fill[4096], got[64];
	struct text_out out;
	int p[2], stop[2];
	ssize_t n;

	if (pipe(p) || pipe(stop))
		abort();
	text_out_init(&out, p[1]);
	text_out_stop_on(&out, stop[0]);
	text_printf(&out, "LOG: DST %s, ACTION %u\n", "127.0.0.2", 0u);
	CHECK(text_flush(&out) == 0 && out.len == 0);
	n = read(p[0], got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	CHECK(strcmp(got, "LOG: DST 127.0.0.2, ACTION 0\n") == 0);
	/* Fill the pipe, then ask for more with a stop pending: the flush returns, dropping it. */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	memset(fill, 'x', sizeof(fill));
	while (write(p[1], fill, sizeof(fill)) > 0)
		;
	fcntl(p[1], F_SETFL, 0);
	CHECK(write(stop[1], "s", 1) == 1);
	text_puts(&out, "never written\n");
	CHECK(text_flush(&out) == 0 && out.len == 0 && out.err == 0);
	/* The stop read, as on the way out: a bounded wait, then ETIMEDOUT, not for good. */
	CHECK(read(stop[0], got, 1) == 1);
	text_out_wait_at_most(&out, 20);
	text_puts(&out, "never written either\n");
	CHECK(text_flush(&out) == -1 && out.err == ETIMEDOUT && out.len == 0);
	close(p[0]);
	close(p[1]);
	close(stop[0]);
	close(stop[1]);
}

/* The last line of a kernel log, its trailing newlines cut off. */
static void text_last_lines(void)
{
	char log[] = "0: r1 = 0\nprocessed 3 insns\n\n", one[] = "alone", none[] = "";

	CHECK(strcmp(text_last_line(log), "processed 3 insns") == 0);
	CHECK(strcmp(text_last_line(one), "alone") == 0);
	CHECK(strcmp(text_last_line(none), "") == 0);
}

/* text_format() keeps snprintf()'s contract for every conversion the tool uses. */
#define SAME_AS_SNPRINTF(size, ...)                                                                \
	do {                                                                                       \
		char ours[size], libc[size];                                                       \
		int n_ours = text_format(ours, sizeof(ours), __VA_ARGS__);                         \
		int n_libc = snprintf(libc, sizeof(libc), __VA_ARGS__);                            \
		CHECK(n_ours == n_libc && strcmp(ours, libc) == 0);                                \
		if (n_ours != n_libc || strcmp(ours, libc) != 0)                                   \
			printf("    ours %d '%s', libc %d '%s'\n", n_ours, ours, n_libc, libc);    \
	} while (0)

static void text_formats_like_snprintf(void)
{
	/* volatile: the compiler would otherwise warn that the libc call is cut. */
	const char *volatile long_text = "abcdef";
	volatile int long_number = -123456;

	SAME_AS_SNPRINTF(64, "plain text");
	SAME_AS_SNPRINTF(64, "%s|%8s|%-8s|%.2s|%.*s|%s", "abc", "abc", "abc", "abc", 3, "abcdef",
			 "");
	SAME_AS_SNPRINTF(64, "%d %i %d %d %5d %-5d| %05d %05d %.3d", 0, -1, INT_MIN, INT_MAX, 42,
			 42, 42, -42, 7);
	SAME_AS_SNPRINTF(64, "%u %x %X %04x %02x %x", 0u, 255u, 255u, 0xabu, 0x5u, UINT_MAX);
	SAME_AS_SNPRINTF(128, "%lu %ld %ld %llu %llx %zu %lld", ULONG_MAX, LONG_MIN, 5L, ULLONG_MAX,
			 0x1234abcdULL, (size_t)12345, LLONG_MIN);
	SAME_AS_SNPRINTF(64, "%" PRIu32 " %" PRIu64 " %" PRIx64, UINT32_MAX, UINT64_MAX,
			 (uint64_t)0xdeadbeef);
	SAME_AS_SNPRINTF(64, "%c|%3c|%-3c|%%", 'a', 'b', 'c');
	SAME_AS_SNPRINTF(64, "%*d|%-*d|%.0u|%.0u", 6, 12, 6, 12, 0u, 3u);
	SAME_AS_SNPRINTF(64, "%hhu %hu %hhd %hd", (unsigned char)200, (unsigned short)60000,
			 (signed char)-100, (short)-30000);
	/* Cut to the buffer, always terminated, and the length it wanted. */
	SAME_AS_SNPRINTF(4, "%s", long_text);
	SAME_AS_SNPRINTF(4, "%d", long_number);
	SAME_AS_SNPRINTF(1, "%s", long_text);
	text_prints_long_lines_whole();
	CHECK(text_format(NULL, 0, "%s%u", "ab", 123u) == 5);
}

static void text_reads_numbers_and_lines(void)
{
	static const char lines[] = "one\n\nthree\r\nlast";
	static char too_long[TEXT_LINE_MAX + 2];
	static char skipped[3 * TEXT_LINE_MAX];
	struct text_lines r;
	unsigned long n;
	const char *end;
	char *line;
	int fd;

	end = text_decimal("4095x", 4095, &n);
	CHECK(end && *end == 'x' && n == 4095);
	CHECK(text_decimal("4096", 4095, &n) == NULL);
	CHECK(text_decimal("", 10, &n) == NULL && text_decimal("-1", 10, &n) == NULL);
	CHECK(text_decimal("+1", 10, &n) == NULL && text_decimal(" 1", 10, &n) == NULL);
	CHECK(text_decimal("5", 1, &n) == NULL && text_decimal("1", 1, &n) && n == 1);
	CHECK(text_decimal("18446744073709551616", ULONG_MAX, &n) == NULL || sizeof(long) < 8);
	end = text_decimal("0000000000000000000000007", 7, &n);
	CHECK(end && !*end && n == 7);

	fd = fd_with(lines, sizeof(lines) - 1);
	text_lines_init(&r, fd);
	CHECK(text_line(&r, &line) == LINE_OK && strcmp(line, "one") == 0);
	CHECK(text_line(&r, &line) == LINE_OK && strcmp(line, "") == 0);
	CHECK(text_line(&r, &line) == LINE_OK && strcmp(line, "three\r") == 0);
	CHECK(text_line(&r, &line) == LINE_OK && strcmp(line, "last") == 0);
	CHECK(text_line(&r, &line) == LINE_EOF);
	close(fd);
	/* A line that fills the buffer without its newline is refused, not split... */
	memset(too_long, 'y', sizeof(too_long) - 1);
	fd = fd_with(too_long, sizeof(too_long) - 1);
	text_lines_init(&r, fd);
	CHECK(text_line(&r, &line) == LINE_TOO_LONG);
	CHECK(text_line(&r, &line) == LINE_EOF);
	close(fd);
	/* ...and skipped up to its newline, so a reader may go on after it. */
	memset(skipped, 'z', sizeof(skipped) - 1);
	text_format(skipped + sizeof(skipped) - 8, 8, "\nafter\n");
	fd = fd_with(skipped, sizeof(skipped) - 1);
	text_lines_init(&r, fd);
	CHECK(text_line(&r, &line) == LINE_TOO_LONG);
	CHECK(text_line(&r, &line) == LINE_OK && strcmp(line, "after") == 0);
	CHECK(text_line(&r, &line) == LINE_EOF && text_line(&r, &line) == LINE_EOF);
	close(fd);
	/* One byte shorter fits, with its newline. */
	too_long[TEXT_LINE_MAX - 1] = '\n';
	fd = fd_with(too_long, TEXT_LINE_MAX);
	text_lines_init(&r, fd);
	CHECK(text_line(&r, &line) == LINE_OK && strlen(line) == TEXT_LINE_MAX - 1);
	CHECK(text_line(&r, &line) == LINE_EOF);
	close(fd);
	text_lines_init(&r, -1);
	CHECK(text_line(&r, &line) == LINE_ERROR);
}

void unit_text(void)
{
	RUN(text_formats_like_snprintf);
	RUN(text_reads_numbers_and_lines);
	RUN(text_out_gives_way_to_a_stop);
	RUN(text_last_lines);
}
