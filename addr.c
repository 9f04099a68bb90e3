/* SPDX-License-Identifier: MIT */
#include "addr.h"
#include "mem.h"
#include "text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int addr_list_add(struct addr_list *list, const struct addr_key *key, uint64_t timeout_ns)
{
	if (list->cnt == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 64;
		struct addr_entry *grown = cap > SIZE_MAX / sizeof(*grown)
						   ? NULL
						   : mem_resize(list->e, cap * sizeof(*grown));

		if (!grown)
			return -1;
		list->e = grown;
		list->cap = cap;
	}
	list->e[list->cnt].key = *key;
	list->e[list->cnt++].timeout_ns = timeout_ns;
	return 0;
}

/* Record i of an array of `size`-byte records that start with a key. */
static const struct addr_key *record(const unsigned char *base, size_t size, size_t i)
{
	return (const struct addr_key *)(const void *)(base + i * size);
}

/* Records are arrays of structs holding u32s, so 4-byte steps are safe. */
static void swap_records(unsigned char *base, size_t size, size_t i, size_t j)
{
	unsigned char *a = base + i * size, *b = base + j * size;
	size_t k;

	for (k = 0; k < size; k += sizeof(uint32_t)) {
		uint32_t t;

		memcpy(&t, a + k, sizeof(t));
		memcpy(a + k, b + k, sizeof(t));
		memcpy(b + k, &t, sizeof(t));
	}
}

/*
 * Heapsort: n log n at worst, no memory, and a tenth of the code of
 * musl's qsort(). One loop first builds the heap (while start > 0), then
 * moves its top to the end and sifts the new top down. For short lists,
 * and when radix_sort() cannot have its buffer.
 */
static void heap_sort(unsigned char *base, size_t cnt, size_t size)
{
	size_t start = cnt / 2, end = cnt, root, child;

	while (end > 1) {
		if (start > 0)
			start--;
		else
			swap_records(base, size, 0, --end);
		for (root = start; (child = 2 * root + 1) < end; root = child) {
			if (child + 1 < end &&
			    addr_cmp(record(base, size, child), record(base, size, child + 1)) < 0)
				child++;
			if (addr_cmp(record(base, size, root), record(base, size, child)) >= 0)
				break;
			swap_records(base, size, root, child);
		}
	}
}

/*
 * The bytes of a key in addr_cmp()'s order, least significant first: allow,
 * prefixlen's four (as a number, lowest first), the address's sixteen from
 * last to first, and family. radix_digit() is one of them; radix_bytes()
 * all of them at once, for the count.
 */
#define RADIX_DIGITS 22
static unsigned int radix_digit(const struct addr_key *k, unsigned int d)
{
	if (d == 0)
		return k->allow;
	if (d < 5)
		return (k->prefixlen >> (8 * (d - 1))) & 0xff;
	if (d < 21)
		return k->addr[20 - d];
	return k->family;
}

static void radix_bytes(const struct addr_key *k, uint8_t digit[RADIX_DIGITS])
{
	unsigned int i;

	digit[0] = k->allow;
	for (i = 0; i < 4; i++)
		digit[1 + i] = (uint8_t)(k->prefixlen >> (8 * i));
	for (i = 0; i < 16; i++)
		digit[5 + i] = k->addr[15 - i];
	digit[21] = k->family;
}

/*
 * Radix sort, a byte at a time from the least significant: each pass moves
 * every record once, by a count of the records of each byte value, keeping
 * the order of equal ones. One pass counts all digits first; a digit every
 * record shares (the zero bytes of IPv4 keys, a family, the prefix length
 * of single addresses) is skipped, so a list of IPv4 addresses takes 4
 * passes. 0, or -1 when there is no memory for the copy.
 */
static int radix_sort(unsigned char *base, size_t cnt, size_t size)
{
	uint32_t(*count)[256] = mem_alloc(RADIX_DIGITS * sizeof(*count));
	unsigned char *from = base, *to = mem_alloc(cnt * size), *other = to;
	size_t i;
	unsigned int d;

	if (!count || !to) {
		mem_free(count);
		mem_free(to);
		return -1;
	}
	for (i = 0; i < cnt; i++) {
		uint8_t digit[RADIX_DIGITS];

		radix_bytes(record(base, size, i), digit);
		for (d = 0; d < RADIX_DIGITS; d++)
			count[d][digit[d]]++;
	}
	for (d = 0; d < RADIX_DIGITS; d++) {
		uint32_t at = 0, n;
		unsigned int v;
		unsigned char *t;

		if (count[d][radix_digit(record(base, size, 0), d)] == cnt)
			continue;
		for (v = 0; v < 256; v++) /* where each byte value's records start */
			n = count[d][v], count[d][v] = at, at += n;
		for (i = 0; i < cnt; i++)
			memcpy(to + (size_t)count[d][radix_digit(record(from, size, i), d)]++ *
					       size,
			       from + i * size, size);
		t = from, from = to, to = t;
	}
	if (from != base)
		memcpy(base, from, cnt * size);
	mem_free(other);
	mem_free(count);
	return 0;
}

void addr_sort(void *records, size_t cnt, size_t size)
{
	unsigned char *base = records;
	size_t i;

	/*
	 * Lists are often written in order already: one pass says so, and
	 * saves the sort (a million keys: 9 ms, not 390 with the heap).
	 */
	for (i = 1; i < cnt; i++)
		if (addr_cmp(record(base, size, i - 1), record(base, size, i)) > 0)
			break;
	if (i >= cnt)
		return;
	if (cnt < 256 || radix_sort(base, cnt, size) < 0)
		heap_sort(base, cnt, size);
}

long addr_search(const void *records, size_t cnt, size_t size, const struct addr_key *key)
{
	size_t lo = 0, hi = cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = addr_cmp(key, record(records, size, mid));

		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

int addr_find(const struct addr_key *key, const struct addr_key *sorted, size_t cnt)
{
	return addr_search(sorted, cnt, sizeof(*sorted), key) >= 0;
}

/* Of two times asked for the same entry, the longer; 0 (for good) is longest. */
static uint64_t longer(uint64_t a, uint64_t b)
{
	return a == 0 || b == 0 ? 0 : a > b ? a : b;
}

void addr_list_unique(struct addr_list *list)
{
	size_t i, kept = list->cnt ? 1 : 0;

	if (list->cnt > 1)
		addr_sort(list->e, list->cnt, sizeof(*list->e));
	for (i = 1; i < list->cnt; i++) {
		struct addr_entry *last = &list->e[kept - 1];

		if (addr_cmp(&list->e[i].key, &last->key) != 0)
			list->e[kept++] = list->e[i];
		else
			last->timeout_ns = longer(last->timeout_ns, list->e[i].timeout_ns);
	}
	list->cnt = kept;
}

void addr_list_free(struct addr_list *list)
{
	mem_free(list->e);
	memset(list, 0, sizeof(*list));
}

long addr_list_find(const struct addr_list *list, const struct addr_key *key)
{
	return addr_search(list->e, list->cnt, sizeof(*list->e), key);
}

/*
 * The common case without inet_pton(): a dotted quad at `text`, each part
 * 0 to 255 without a leading zero, which is what inet_pton() accepts.
 * Returns where it ends, for the caller to check that nothing else
 * follows; NULL if it is not one, which leaves the text to inet_pton().
 */
static const char *dotted_quad(const char *text, uint8_t addr[4])
{
	int part;

	for (part = 0; part < 4; part++) {
		unsigned int v = 0, digits = 0;

		while (*text >= '0' && *text <= '9' && digits < 3)
			v = v * 10 + (unsigned int)(*text++ - '0'), digits++;
		if (!digits || v > 255 || (digits > 1 && text[-(int)digits] == '0'))
			return NULL;
		addr[part] = (uint8_t)v;
		if (part < 3 && *text++ != '.')
			return NULL;
	}
	return text;
}

/*
 * The value of `"name":` in a JSON line that `list --json` wrote: a pointer
 * to it, or NULL. Not a JSON parser: list's lines are flat, and the names
 * looked for appear nowhere but as names.
 */
static char *json_field(char *line, const char *name)
{
	char quoted[32];
	char *at;

	text_format(quoted, sizeof(quoted), "\"%s\":", name);
	at = strstr(line, quoted);
	return at ? at + strlen(quoted) : NULL;
}

/*
 * One line that is not blank: an address or prefix, alone or as `list`
 * prints it, in text or JSON. Returns 0, or -1 with the reason in `why`.
 */
static int parse_line(char *text, uint64_t timeout_ns, struct addr_entry *e, char *why,
		      size_t why_len)
{
	unsigned long seconds, drops;
	const char *rest;
	char *end;
	int allow = 0;

	e->timeout_ns = timeout_ns;
	if (*text == '{') {
		char *addr = json_field(text, "address"), *left = json_field(text, "expires_in");
		const char *allow_field = json_field(text, "allow");
		int rc;

		if (!addr || *addr != '"' || !(end = strchr(addr + 1, '"'))) {
			text_format(why, why_len, "a JSON line without \"address\":\"...\"");
			return -1;
		}
		*end = '\0';
		if (left && strncmp(left, "null", 4) != 0) {
			if (!text_duration(left, &seconds) || (*left < '0' || *left > '9')) {
				text_format(why, why_len,
					    "\"expires_in\" is not a number of seconds");
				return -1;
			}
			e->timeout_ns = (uint64_t)seconds * 1000000000u;
		}
		rc = addr_parse(addr + 1, &e->key, why, why_len);
		e->key.allow = allow_field && strncmp(allow_field, "true", 4) == 0;
		return rc;
	}
	/* "ADDR", or list's "ADDR DROPS", "ADDR DROPS TIME-LEFT", each maybe with " allow". */
	end = text + strcspn(text, " \t");
	if (*end) {
		*end++ = '\0';
		end += strspn(end, " \t");
		rest = text_decimal(end, (unsigned long)-1, &drops);
		if (rest && (*rest == ' ' || *rest == '\t'))
			rest += strspn(rest, " \t");
		if (rest && *rest >= '0' && *rest <= '9') {
			rest = text_duration(rest, &seconds);
			if (rest) {
				e->timeout_ns = (uint64_t)seconds * 1000000000u;
				rest += strspn(rest, " \t");
			}
		}
		if (rest && strcmp(rest, "allow") == 0) {
			allow = 1;
			rest += 5;
		}
		if (!rest || *rest) {
			text_format(why, why_len,
				    "after the address, only a count, a time left and \"allow\" (as `list` prints them) may follow");
			return -1;
		}
	}
	if (addr_parse(text, &e->key, why, why_len))
		return -1;
	e->key.allow = (uint8_t)allow;
	return 0;
}

int addr_file_read(int fd, const char *name, uint64_t timeout_ns, struct addr_list *list, char *err,
		   size_t err_len)
{
	struct text_lines lines;
	size_t before = list->cnt;
	unsigned long line_no = 0;
	char *line, why[200];
	int got;

	text_lines_init(&lines, fd);
	while ((got = text_line(&lines, &line)) == LINE_OK) {
		char *text = line, *end;
		const char *quad_end;
		struct addr_entry e;

		line_no++;
		/* The common line, an IPv4 address alone, without the general path's scans. */
		memset(&e, 0, sizeof(e));
		if ((quad_end = dotted_quad(text, e.key.addr)) && !*quad_end) {
			e.key.family = ADDR_IPV4;
			e.key.prefixlen = ADDR_FAMILY_BITS + 32;
			e.timeout_ns = timeout_ns;
			if (addr_list_add(list, &e.key, e.timeout_ns))
				goto nomem;
			continue;
		}
		/* A UTF-8 byte-order mark, which some editors and feeds start a file with. */
		if (line_no == 1 && strncmp(text, "\xef\xbb\xbf", 3) == 0)
			text += 3;
		text += strspn(text, " \t\r");
		/*
		 * '#' as in shell scripts and hosts files, ';' as in Spamhaus's
		 * DROP lists; not in list's JSON lines, whose paths may hold them.
		 */
		if (*text != '{')
			text[strcspn(text, "#;")] = '\0';
		end = text + strlen(text);
		while (end > text && strchr(" \t\r", end[-1]))
			*--end = '\0';
		if (!*text)
			continue;
		if (parse_line(text, timeout_ns, &e, why, sizeof(why))) {
			text_format(err, err_len, "%s:%lu: %s", name, line_no, why);
			goto fail;
		}
		if (addr_list_add(list, &e.key, e.timeout_ns))
			goto nomem;
	}
	if (got == LINE_TOO_LONG) {
		text_format(err, err_len, "%s:%lu: line longer than %d bytes", name, line_no + 1,
			    TEXT_LINE_MAX - 1);
		goto fail;
	}
	if (got == LINE_ERROR) {
		text_format(err, err_len, "%s: %s", name, strerror(errno));
		goto fail;
	}
	return 0;
nomem:
	text_format(err, err_len, "%s:%lu: %s", name, line_no, strerror(ENOMEM));
fail:
	list->cnt = before;
	return -1;
}

/* ---- addresses and prefixes of either family -------------------------------- */

static int addr_bits(uint8_t family)
{
	return family == ADDR_IPV4 ? 32 : 128;
}

int addr_is_single(const struct addr_key *key)
{
	return key->prefixlen == (uint32_t)(ADDR_FAMILY_BITS + addr_bits(key->family));
}

/* The length after '/': decimal, no sign, no leading zero, at most `max`. */
static int parse_prefix_len(const char *text, int max)
{
	int n = 0;

	if (text[0] < '0' || text[0] > '9' || (text[0] == '0' && text[1]))
		return -1;
	for (; *text; text++) {
		if (*text < '0' || *text > '9')
			return -1;
		n = n * 10 + (*text - '0');
		if (n > max)
			return -1;
	}
	return n;
}

static int host_bits_set(const uint8_t addr[16], int plen, int bits)
{
	int i;

	for (i = plen; i < bits; i++)
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return 1;
	return 0;
}

static void clear_host_bits(uint8_t addr[16], int plen)
{
	int i;

	for (i = plen; i < 128; i++)
		addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
}

int addr_parse(const char *text, struct addr_key *key, char *why, size_t why_len)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const char *slash;
	/* The text as a message shows it: a file's bytes, escaped and cut. */
	char buf[INET6_ADDRSTRLEN], net[ADDR_TEXT_MAX], shown[72];
	size_t len;
	int bits, plen;

	memset(key, 0, sizeof(*key));
	if (!text)
		text = "";
	slash = strchr(text, '/');
	len = slash ? (size_t)(slash - text) : strlen(text);
	if (memchr(text, '%', len)) {
		text_escape(text, shown, sizeof(shown));
		text_format(why, why_len, "'%s': zone ids have no meaning in a blocklist", shown);
		return -1;
	}
	if (len == 0 || len >= sizeof(buf))
		goto not_an_address;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (dotted_quad(buf, key->addr) == buf + len || inet_pton(AF_INET, buf, key->addr) == 1)
		key->family = ADDR_IPV4;
	else if (inet_pton(AF_INET6, buf, key->addr) == 1)
		key->family = ADDR_IPV6;
	else
		goto not_an_address;
	bits = addr_bits(key->family);
	plen = slash ? parse_prefix_len(slash + 1, bits) : bits;
	if (plen < 0) {
		text_escape(text, shown, sizeof(shown));
		text_format(why, why_len, "'%s': the prefix length must be a number from 0 to %d",
			    shown, bits);
		return -1;
	}
	/* ::ffff:a.b.c.d is IPv4 on the wire; key it as IPv4, so its IPv4 entry catches it. */
	if (key->family == ADDR_IPV6 && plen >= 96 && memcmp(key->addr, v4mapped, 12) == 0) {
		memmove(key->addr, key->addr + 12, 4);
		memset(key->addr + 4, 0, 12);
		key->family = ADDR_IPV4;
		bits = 32;
		plen -= 96;
	}
	key->prefixlen = (uint32_t)(ADDR_FAMILY_BITS + plen);
	if (host_bits_set(key->addr, plen, bits)) {
		struct addr_key network = *key;

		clear_host_bits(network.addr, plen);
		text_escape(text, shown, sizeof(shown));
		text_format(why, why_len,
			    "'%s' has bits set beyond the /%d prefix: the network is %s", shown,
			    plen, addr_format(&network, net));
		return -1;
	}
	return 0;
not_an_address:
	text_escape(text, shown, sizeof(shown));
	text_format(why, why_len,
		    "'%s' is not an IPv4 or IPv6 address or prefix (like 192.0.2.1, 10.0.0.0/8, 2001:db8::1, 2001:db8::/32)",
		    shown);
	return -1;
}

/*
 * RFC 5952: lower-case hex without leading zeros, and the longest run of
 * two or more zero groups (the first, on a tie) written as "::". inet_ntop
 * is not relied on for this: C libraries differ on the details.
 */
static void ipv6_format(const uint8_t a[16], char *out, size_t len)
{
	unsigned int group[8];
	int best = -1, best_len = 0, run = 0, i;
	size_t used = 0;

	for (i = 0; i < 8; i++) {
		group[i] = (unsigned int)a[i + i] << 8 | a[i + i + 1];
		run = group[i] ? 0 : run + 1;
		if (run > best_len) {
			best_len = run;
			best = i - run + 1;
		}
	}
	if (best_len < 2)
		best = -1;
	out[0] = '\0';
	for (i = 0; i < 8; i++) {
		if (i == best) {
			used += (size_t)text_format(out + used, len - used, "::");
			i += best_len - 1;
			continue;
		}
		used += (size_t)text_format(out + used, len - used, "%s%x",
					    i > 0 && i != best + best_len ? ":" : "", group[i]);
	}
}

const char *addr_format(const struct addr_key *key, char buf[ADDR_TEXT_MAX])
{
	int plen = (int)key->prefixlen - ADDR_FAMILY_BITS;

	if (key->family == ADDR_IPV4) {
		size_t n = 0, i;

		/* By hand, not text_format(): `list` formats a hundred thousand of these. */
		for (i = 0; i < 4; i++) {
			n += text_u64(buf + n, key->addr[i]);
			buf[n++] = i < 3 ? '.' : '\0';
		}
	} else if (key->family == ADDR_IPV6)
		ipv6_format(key->addr, buf, ADDR_TEXT_MAX);
	else
		text_format(buf, ADDR_TEXT_MAX, "?");
	if (key->family == ADDR_IPV4 || key->family == ADDR_IPV6) {
		if (!addr_is_single(key) && plen >= 0)
			text_format(buf + strlen(buf), ADDR_TEXT_MAX - strlen(buf), "/%d", plen);
	}
	return buf;
}

int addr_cmp(const struct addr_key *a, const struct addr_key *b)
{
	uint32_t x, y;
	size_t i;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	/* Word by word in network order, which is memcmp()'s order, and faster than musl's memcmp(). */
	for (i = 0; i < sizeof(a->addr); i += sizeof(x)) {
		memcpy(&x, a->addr + i, sizeof(x));
		memcpy(&y, b->addr + i, sizeof(y));
		if (x != y)
			return ntohl(x) < ntohl(y) ? -1 : 1;
	}
	if (a->prefixlen != b->prefixlen)
		return a->prefixlen < b->prefixlen ? -1 : 1;
	return (a->allow > b->allow) - (a->allow < b->allow);
}
