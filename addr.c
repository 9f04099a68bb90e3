/* SPDX-License-Identifier: MIT */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ipv4_parse(const char *text, uint32_t *host_order)
{
	struct in_addr a;

	if (!text || inet_pton(AF_INET, text, &a) != 1)
		return -1;
	*host_order = ntohl(a.s_addr);
	return 0;
}

const char *ipv4_format(uint32_t host_order, char buf[IPV4_TEXT_MAX])
{
	struct in_addr a = { .s_addr = htonl(host_order) };

	if (!inet_ntop(AF_INET, &a, buf, IPV4_TEXT_MAX))
		snprintf(buf, IPV4_TEXT_MAX, "?");
	return buf;
}

int addr_list_add(struct addr_list *list, uint32_t host_order)
{
	if (list->cnt == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 64;
		uint32_t *grown = cap > SIZE_MAX / sizeof(*grown)
					  ? NULL
					  : realloc(list->addr, cap * sizeof(*grown));

		if (!grown)
			return -1;
		list->addr = grown;
		list->cap = cap;
	}
	list->addr[list->cnt++] = host_order;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

void addr_list_unique(struct addr_list *list)
{
	size_t i, kept = list->cnt ? 1 : 0;

	if (list->cnt > 1)
		qsort(list->addr, list->cnt, sizeof(*list->addr), cmp_u32);
	for (i = 1; i < list->cnt; i++)
		if (list->addr[i] != list->addr[kept - 1])
			list->addr[kept++] = list->addr[i];
	list->cnt = kept;
}

void addr_list_free(struct addr_list *list)
{
	free(list->addr);
	memset(list, 0, sizeof(*list));
}

int addr_file_read(FILE *f, const char *name, struct addr_list *list, char *err, size_t err_len)
{
	size_t before = list->cnt;
	unsigned long line_no = 0;
	char line[256];

	while (fgets(line, sizeof(line), f)) {
		char *text = line, *end;
		uint32_t a;

		line_no++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, err_len, "%s:%lu: line longer than %zu bytes", name, line_no,
				 sizeof(line) - 2);
			goto fail;
		}
		end = strchr(text, '#');
		if (end)
			*end = '\0';
		text += strspn(text, " \t\r\n");
		end = text + strlen(text);
		while (end > text && strchr(" \t\r\n", end[-1]))
			*--end = '\0';
		if (!*text)
			continue;
		if (ipv4_parse(text, &a)) {
			snprintf(err, err_len, "%s:%lu: invalid IPv4 address '%.64s'", name,
				 line_no, text);
			goto fail;
		}
		if (addr_list_add(list, a)) {
			snprintf(err, err_len, "%s:%lu: %s", name, line_no, strerror(ENOMEM));
			goto fail;
		}
	}
	if (ferror(f)) {
		snprintf(err, err_len, "%s: %s", name, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	list->cnt = before;
	return -1;
}
