/* SPDX-License-Identifier: MIT */
#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>

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
