/* SPDX-License-Identifier: MIT */
/*
 * fuzz_replay.c - run the fuzz target over files, without libFuzzer: how
 * `make test` replays every input the fuzzer ever found (test/fuzz-regressions/)
 * and the seed corpus, built with gcc and ASan/UBSan.
 *
 * Usage: fuzz_replay FILE...   prints PASS/FAIL per file; a crash aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int i, failed = 0;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf = NULL;
		size_t len = 0, cap = 0, n;

		if (!f) {
			printf("FAIL replay %s: cannot open\n", argv[i]);
			failed = 1;
			continue;
		}
		do {
			uint8_t *grown;

			if (len == cap) {
				cap = cap ? cap * 2 : 4096;
				grown = realloc(buf, cap);
				if (!grown)
					abort();
				buf = grown;
			}
			n = fread(buf + len, 1, cap - len, f);
			len += n;
		} while (n > 0);
		fclose(f);
		/* An exact-size copy, so that ASan sees a read one byte past the input. */
		{
			uint8_t *exact = malloc(len ? len : 1);

			if (!exact)
				abort();
			for (n = 0; n < len; n++)
				exact[n] = buf[n];
			LLVMFuzzerTestOneInput(exact, len);
			free(exact);
		}
		free(buf);
		printf("PASS replay %s\n", argv[i]);
	}
	return failed;
}
