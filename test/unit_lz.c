/* SPDX-License-Identifier: MIT */
/*
 * unit_lz.c - tests of unpacking the embedded object's packing (lz.c).
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "lz.h"
#include "unit.h"

/*
 * "abcabcabcabcX": five literals "abcab"... by hand: one sequence of 3
 * literals "abc" and a match of 9 at offset 3 (it overlaps what it copies),
 * then the last sequence, the literal "X".
 */
static const uint8_t packed[] = { 'L',	'Z', '4', 'B', 13, 0, 0, 0,
				  0x35, 'a', 'b', 'c', 3,  0, /* 3 literals; match 4 + 5 at 3 */
				  0x10, 'X' };

static void unpacks_literals_and_overlapping_matches(void)
{
	uint8_t out[13];

	CHECK(lz_unpacked_size(packed, sizeof(packed)) == 13);
	CHECK(lz_unpack(packed, sizeof(packed), out, sizeof(out)) == 0);
	CHECK(memcmp(out, "abcabcabcabcX", 13) == 0);
}

static void lengths_past_fifteen_go_on_in_bytes(void)
{
	/* 15 + 255 + 10 = 280 literals "z", then a match of 4 + 15 + 1 = 20 at offset 1. */
	uint8_t in[LZ_HEADER + 3 + 280 + 3 + 2] = { 'L', 'Z', '4', 'B' };
	uint8_t out[300 + 1];
	size_t n = LZ_HEADER, i;

	in[4] = (uint8_t)(300 & 0xff);
	in[5] = (uint8_t)(300 >> 8);
	in[n++] = 0xff;
	in[n++] = 255;
	in[n++] = 10;
	memset(in + n, 'z', 280);
	n += 280;
	in[n++] = 1;
	in[n++] = 0;
	in[n++] = 1;
	in[n++] = 0x00; /* the last sequence: no literals */
	CHECK(n == sizeof(in) - 1);
	CHECK(lz_unpack(in, n, out, 300) == 0);
	for (i = 0; i < 300; i++)
		CHECK(out[i] == 'z');
}

/* Untrusted bytes: every cut and every changed byte fails cleanly or unpacks in bounds. */
static void refuses_what_does_not_hold(void)
{
	uint8_t in[sizeof(packed)], out[13];
	size_t cut, at;
	int b;

	CHECK(lz_unpacked_size((const uint8_t *)"LZ4", 3) == 0);
	CHECK(lz_unpacked_size((const uint8_t *)"\x7f"
						"ELF\0\0\0\0",
			       8) == 0);
	for (cut = LZ_HEADER; cut < sizeof(packed); cut++)
		CHECK(lz_unpack(packed, cut, out, sizeof(out)) != 0);
	CHECK(lz_unpack(packed, sizeof(packed), out, sizeof(out) - 1) != 0);
	for (at = LZ_HEADER; at < sizeof(packed); at++)
		for (b = 0; b < 256; b++) {
			memcpy(in, packed, sizeof(in));
			in[at] = (uint8_t)b;
			/* ASan watches `out`: any answer will do, but no byte outside it. */
			(void)lz_unpack(in, sizeof(in), out, sizeof(out));
		}
	/* An offset reaching before the start. */
	memcpy(in, packed, sizeof(in));
	in[12] = 4;
	CHECK(lz_unpack(in, sizeof(in), out, sizeof(out)) != 0);
	/* An offset of 0. */
	in[12] = 0;
	CHECK(lz_unpack(in, sizeof(in), out, sizeof(out)) != 0);
}

void unit_lz(void)
{
	RUN(unpacks_literals_and_overlapping_matches);
	RUN(lengths_past_fifteen_go_on_in_bytes);
	RUN(refuses_what_does_not_hold);
}
