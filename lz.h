/* SPDX-License-Identifier: MIT */
/*
 * lz.h - the embedded object is stored packed, and unpacked once at step 3.
 *
 * A BPF object is mostly repetition (BTF's strings and types, line info
 * records, zeroed instruction fields), so the LZ4 block format halves it
 * and more, with a decoder of a screen of code: the binary is 7 KB smaller
 * for it (docs/size.md). tools/lz_pack.c packs it at build time. The format is LZ4's block format, unchanged (lz4's
 * doc/lz4_Block_format.md), behind an 8-byte header of our own:
 *
 *   "LZ4B"            magic
 *   u32 little-endian the unpacked size
 *   sequences         token (literal length << 4 | match length - 4), more
 *                     length bytes while 255, the literals, a 2-byte
 *                     little-endian offset back into what is unpacked, more
 *                     match length bytes; the last sequence is literals only.
 *
 * Unpacking trusts nothing it reads: every length and offset is checked
 * against both buffers before a byte moves.
 */
#ifndef LZ_H
#define LZ_H

#include <stddef.h>
#include <stdint.h>

#define LZ_MAGIC "LZ4B"
#define LZ_HEADER 8
#define LZ_MIN_MATCH 4

/* The unpacked size a packed buffer announces, or 0 when `in` is not packed. */
size_t lz_unpacked_size(const uint8_t *in, size_t in_len);

/*
 * Unpack `in` (header included) into `out`, which holds lz_unpacked_size()
 * bytes. 0, or -1 when the input is cut short, points outside what is
 * unpacked, or does not fill `out` exactly.
 */
int lz_unpack(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);

#endif
