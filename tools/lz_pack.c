/* SPDX-License-Identifier: MIT */
/*
 * lz_pack.c - build-time tool: pack a file in the format lz.h describes.
 *
 *   lz_pack IN OUT
 *
 * Greedy LZ4: at each position, the last earlier position whose next four
 * bytes hash alike is tried, and a match of four or more bytes within 64 KiB
 * is taken. Not the best ratio LZ4 can reach, but a few lines, and the
 * build checks the result by unpacking it (lz.c) before writing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lz.h"

#define HASH_BITS 16

static unsigned char *out;
static size_t out_len;

static void put(unsigned char b)
{
	out[out_len++] = b;
}

/* A length past a nibble of 15: bytes of 255, then the rest. */
static void put_length(size_t len)
{
	for (; len >= 255; len -= 255)
		put(255);
	put((unsigned char)len);
}

static void sequence(const unsigned char *lit, size_t lit_len, size_t offset, size_t match_len)
{
	size_t m = match_len ? match_len - LZ_MIN_MATCH : 0;

	put((unsigned char)((lit_len < 15 ? lit_len : 15) << 4 | (m < 15 ? m : 15)));
	if (lit_len >= 15)
		put_length(lit_len - 15);
	memcpy(out + out_len, lit, lit_len);
	out_len += lit_len;
	if (!match_len)
		return;
	put((unsigned char)(offset & 0xff));
	put((unsigned char)(offset >> 8));
	if (m >= 15)
		put_length(m - 15);
}

static unsigned int hash4(const unsigned char *p)
{
	unsigned int v = (unsigned int)p[0] | (unsigned int)p[1] << 8 | (unsigned int)p[2] << 16 |
			 (unsigned int)p[3] << 24;

	return (v * 2654435761u) >> (32 - HASH_BITS);
}

/*
 * Hash chains: head[] is the last position whose four bytes hash to h,
 * chain[p] the one before p with the same hash.
 */
static long head[1 << HASH_BITS];
static long *chain;

static void insert(const unsigned char *in, size_t pos)
{
	unsigned int h = hash4(in + pos);

	chain[pos] = head[h];
	head[h] = (long)pos;
}

/* The longest match for `pos` among the last 256 candidates within 64 KiB; inserts `pos`. */
static size_t longest(const unsigned char *in, size_t in_len, size_t pos, size_t *from)
{
	long cand = head[hash4(in + pos)];
	size_t best = 0;
	int tries;

	for (tries = 0; cand >= 0 && pos - (size_t)cand <= 65535 && tries < 256; tries++) {
		size_t len = 0;

		/* The last 5 bytes stay literals, as LZ4 has it. */
		while (pos + len + 5 < in_len && in[(size_t)cand + len] == in[pos + len])
			len++;
		if (len > best) {
			best = len;
			*from = (size_t)cand;
		}
		cand = chain[cand];
	}
	insert(in, pos);
	return best;
}

/* A build tool: one line and exit 1, and the system takes back the memory. */
static void die(const char *what, const char *path)
{
	fprintf(stderr, "lz_pack: %s %s\n", what, path);
	exit(1);
}

int main(int argc, char **argv)
{
	unsigned char *in, *check;
	size_t in_len = 0, pos = 0, anchor = 0, from = 0, i;
	FILE *f;
	long n;

	if (argc != 3 || !(f = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: lz_pack IN OUT\n");
		return 2;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	in = malloc((size_t)n + 1);
	out = malloc((size_t)n + (size_t)n / 255 + 64);
	if (n <= 0 || !in || !out || fread(in, 1, (size_t)n, f) != (size_t)n)
		die("cannot read", argv[1]);
	fclose(f);
	in_len = (size_t)n;
	memcpy(out, LZ_MAGIC, 4);
	for (i = 0; i < 4; i++)
		out[4 + i] = (unsigned char)(in_len >> (8 * i));
	out_len = LZ_HEADER;
	chain = malloc(in_len * sizeof(*chain));
	if (!chain)
		die("out of memory packing", argv[1]);
	for (i = 0; i < (1u << HASH_BITS); i++)
		head[i] = -1;
	/* LZ4's own rule, kept so that any LZ4 decoder reads ours: the last 12 bytes start no match. */
	while (in_len >= 12 && pos + 12 <= in_len) {
		size_t len = longest(in, in_len, pos, &from);

		if (len < LZ_MIN_MATCH) {
			pos++;
			continue;
		}
		sequence(in + anchor, pos - anchor, pos - from, len);
		/* Every position the match covers goes into the chains too. */
		for (i = 1; i < len && pos + i + 4 <= in_len; i++)
			insert(in, pos + i);
		pos += len;
		anchor = pos;
	}
	sequence(in + anchor, in_len - anchor, 0, 0);
	check = malloc(in_len);
	if (!check || lz_unpack(out, out_len, check, in_len) != 0 || memcmp(check, in, in_len) != 0)
		die("what it packed does not unpack to", argv[1]);
	if (!(f = fopen(argv[2], "wb")) || fwrite(out, 1, out_len, f) != out_len || fclose(f))
		die("cannot write", argv[2]);
	free(check);
	free(chain);
	free(out);
	free(in);
	return 0;
}
