/* SPDX-License-Identifier: MIT */
/*
 * lz.c - unpacking the LZ4 block format (lz.h).
 */
#include "lz.h"

#include <string.h>

size_t lz_unpacked_size(const uint8_t *in, size_t in_len)
{
	if (in_len < LZ_HEADER || memcmp(in, LZ_MAGIC, 4) != 0)
		return 0;
	return (size_t)in[4] | (size_t)in[5] << 8 | (size_t)in[6] << 16 | (size_t)in[7] << 24;
}

/* A length that goes on in bytes of 255 after a nibble of 15; -1 past the end. */
static long more_length(const uint8_t *in, size_t in_len, size_t *at, size_t len)
{
	uint8_t b;

	if (len != 15)
		return (long)len;
	do {
		if (*at >= in_len || len > (1u << 30))
			return -1;
		b = in[(*at)++];
		len += b;
	} while (b == 255);
	return (long)len;
}

int lz_unpack(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
	size_t at = LZ_HEADER, made = 0;

	if (lz_unpacked_size(in, in_len) != out_len)
		return -1;
	while (at < in_len) {
		uint8_t token = in[at++];
		long lit = more_length(in, in_len, &at, token >> 4), match;
		size_t offset;

		if (lit < 0 || (size_t)lit > in_len - at || (size_t)lit > out_len - made)
			return -1;
		memcpy(out + made, in + at, (size_t)lit);
		at += (size_t)lit;
		made += (size_t)lit;
		if (at == in_len)
			break; /* the last sequence: literals only */
		if (in_len - at < 2)
			return -1;
		offset = (size_t)in[at] | (size_t)in[at + 1] << 8;
		at += 2;
		match = more_length(in, in_len, &at, token & 15);
		if (match < 0 || offset == 0 || offset > made ||
		    (size_t)match + LZ_MIN_MATCH > out_len - made)
			return -1;
		/* Byte by byte: a match may overlap what it copies (offset 1 repeats a byte). */
		for (match += LZ_MIN_MATCH; match > 0; match--, made++)
			out[made] = out[made - offset];
	}
	return made == out_len ? 0 : -1;
}
