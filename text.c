/* SPDX-License-Identifier: MIT */
/*
 * text.c - printf-style formatting, buffered output and line reading on
 * plain fds: the part of stdio this tool needs (see text.h for why).
 */
#include "text.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* ---- formatting ------------------------------------------------------------- */

/*
 * Where formatted text goes: into buf, keeping what fits and counting all
 * of it in need; or, with out set, into that buffered output, all of it.
 */
struct sink {
	char *buf;
	size_t len;
	size_t need;
	struct text_out *out;
};

static void sink_put(struct sink *s, const char *p, size_t n)
{
	if (s->out)
		text_put(s->out, p, n);
	else if (s->need < s->len) {
		size_t room = s->len - s->need;

		memcpy(s->buf + s->need, p, n < room ? n : room);
	}
	s->need += n;
}

static void sink_pad(struct sink *s, char c, size_t n)
{
	while (n--)
		sink_put(s, &c, 1);
}

/* One field, padded to width: sign or prefix, then zeros, then body. */
static void sink_field(struct sink *s, const char *sign, const char *body, size_t body_len,
		       size_t zeros, size_t width, int left)
{
	size_t used = strlen(sign) + zeros + body_len;
	size_t spaces = width > used ? width - used : 0;

	if (!left)
		sink_pad(s, ' ', spaces);
	sink_put(s, sign, strlen(sign));
	sink_pad(s, '0', zeros);
	sink_put(s, body, body_len);
	if (left)
		sink_pad(s, ' ', spaces);
}

/* The length modifiers the tool's formats use: none, hh, h, l, ll, z. */
enum int_size { SIZE_INT, SIZE_CHAR, SIZE_SHORT, SIZE_LONG, SIZE_LLONG, SIZE_SIZE };

static const char *parse_size(const char *f, enum int_size *size)
{
	*size = SIZE_INT;
	if (f[0] == 'h' && f[1] == 'h')
		*size = SIZE_CHAR, f += 2;
	else if (f[0] == 'h')
		*size = SIZE_SHORT, f++;
	else if (f[0] == 'l' && f[1] == 'l')
		*size = SIZE_LLONG, f += 2;
	else if (f[0] == 'l')
		*size = SIZE_LONG, f++;
	else if (f[0] == 'z')
		*size = SIZE_SIZE, f++;
	return f;
}

/*
 * The next argument, read as the type the caller passed (va_arg() must
 * name it exactly), widened: a negative one wraps, and the caller negates it.
 */
static uintmax_t take_int(va_list *ap, enum int_size size, int is_signed)
{
	intmax_t v;

	switch (size) {
	case SIZE_LONG:
		return is_signed ? (uintmax_t)va_arg(*ap, long) : va_arg(*ap, unsigned long);
	case SIZE_LLONG:
		return is_signed ? (uintmax_t)va_arg(*ap, long long)
				 : va_arg(*ap, unsigned long long);
	case SIZE_SIZE:
		return va_arg(*ap, size_t);
	default:
		if (!is_signed) {
			unsigned int u = va_arg(*ap, unsigned int);

			return size == SIZE_CHAR    ? (unsigned char)u
			       : size == SIZE_SHORT ? (unsigned short)u
						    : u;
		}
		v = va_arg(*ap, int);
		return (uintmax_t)(size == SIZE_CHAR	? (signed char)v
				   : size == SIZE_SHORT ? (short)v
							: v);
	}
}

/* Digits of v in base 10 or 16, written backwards from end; returns the first. */
static char *digits(uintmax_t v, unsigned int base, int upper, char *end)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	do {
		*--end = set[v % base];
		v /= base;
	} while (v);
	return end;
}

size_t text_u64(char *out, uint64_t v)
{
	char num[20], *end = num + sizeof(num), *body = digits(v, 10, 0, end);

	memcpy(out, body, (size_t)(end - body));
	return (size_t)(end - body);
}

/* Reads a width or precision: digits, or '*' taking an int argument. */
static const char *parse_count(const char *f, va_list *ap, int *count)
{
	if (*f == '*') {
		*count = va_arg(*ap, int);
		return f + 1;
	}
	*count = 0;
	while (*f >= '0' && *f <= '9' && *count < 100000)
		*count = *count * 10 + (*f++ - '0');
	return f;
}

/*
 * The ap is walked through a pointer: a va_list passed by value cannot be
 * handed on to helpers portably (on some ABIs it is an array, on others not).
 */
static void format_into(struct sink *s, const char *fmt, va_list *ap)
{
	while (*fmt) {
		const char *pct = strchr(fmt, '%');
		int left = 0, zero = 0, width, prec = -1;
		enum int_size size;
		char num[3 * sizeof(uintmax_t) + 2], *body, *end = num + sizeof(num);
		const char *sign = "";
		size_t body_len, zeros = 0;

		if (!pct) {
			sink_put(s, fmt, strlen(fmt));
			return;
		}
		sink_put(s, fmt, (size_t)(pct - fmt));
		fmt = pct + 1;
		for (;; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '0')
				zero = 1;
			else
				break;
		}
		fmt = parse_count(fmt, ap, &width);
		if (width < 0) {
			left = 1;
			width = -width;
		}
		if (*fmt == '.')
			fmt = parse_count(fmt + 1, ap, &prec);
		fmt = parse_size(fmt, &size);
		switch (*fmt) {
		case 'd':
		case 'i': {
			uintmax_t v = take_int(ap, size, 1);

			if ((intmax_t)v < 0) {
				sign = "-";
				v = -v;
			}
			body = digits(v, 10, 0, end);
			break;
		}
		case 'u':
			body = digits(take_int(ap, size, 0), 10, 0, end);
			break;
		case 'x':
		case 'X':
			body = digits(take_int(ap, size, 0), 16, *fmt == 'X', end);
			break;
		case 'c':
			num[0] = (char)va_arg(*ap, int);
			sink_field(s, "", num, 1, 0, (size_t)width, left);
			fmt++;
			continue;
		case 's': {
			const char *str = va_arg(*ap, const char *);

			if (!str)
				str = "(null)";
			body_len = prec >= 0 ? strnlen(str, (size_t)prec) : strlen(str);
			sink_field(s, "", str, body_len, 0, (size_t)width, left);
			fmt++;
			continue;
		}
		case '%':
			sink_put(s, "%", 1);
			fmt++;
			continue;
		default:
			/* Not a conversion this file knows: show it rather than guess. */
			sink_put(s, "%?", 2);
			if (*fmt)
				fmt++;
			continue;
		}
		fmt++;
		body_len = (size_t)(end - body);
		/* A precision is a minimum digit count; %.0u of 0 prints nothing. */
		if (prec == 0 && body_len == 1 && *body == '0')
			body_len = 0;
		if (prec >= 0 && (size_t)prec > body_len)
			zeros = (size_t)prec - body_len;
		else if (prec < 0 && zero && !left && (size_t)width > strlen(sign) + body_len)
			zeros = (size_t)width - strlen(sign) - body_len;
		sink_field(s, sign, body, body_len, zeros, (size_t)width, left);
	}
}

int text_vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct sink s = { buf, len, 0, NULL };
	va_list copy;

	va_copy(copy, ap);
	format_into(&s, fmt, &copy);
	va_end(copy);
	if (len)
		buf[s.need < len ? s.need : len - 1] = '\0';
	return s.need > INT32_MAX ? INT32_MAX : (int)s.need;
}

int text_format(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = text_vformat(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

const char *text_decimal(const char *p, unsigned long max, unsigned long *out)
{
	const char *start = p;

	*out = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned long digit = (unsigned long)(*p - '0');

		if (digit > max || *out > (max - digit) / 10)
			return NULL;
		*out = *out * 10 + digit;
	}
	return p == start ? NULL : p;
}

const char *text_duration(const char *p, unsigned long *seconds)
{
	static const char units[] = "smhd";
	static const unsigned long unit_seconds[] = { 1, 60, 3600, 86400 };
	const char *unit;

	p = text_decimal(p, TEXT_DURATION_MAX, seconds);
	if (!p || *seconds == 0)
		return NULL;
	unit = *p ? strchr(units, *p) : NULL;
	if (!unit)
		return p;
	if (*seconds > TEXT_DURATION_MAX / unit_seconds[unit - units])
		return NULL;
	*seconds *= unit_seconds[unit - units];
	return p + 1;
}

const char *text_last_line(char *s)
{
	size_t len = strlen(s);

	while (len && s[len - 1] == '\n')
		s[--len] = '\0';
	while (len && s[len - 1] != '\n')
		len--;
	return s + len;
}

/* ---- buffered output -------------------------------------------------------- */

void text_out_init(struct text_out *o, int fd)
{
	o->fd = fd;
	o->err = 0;
	o->stop_fd = -1;
	o->wait_ms = -1;
	o->len = 0;
}

void text_out_stop_on(struct text_out *o, int stop_fd)
{
	o->stop_fd = stop_fd;
}

void text_out_wait_at_most(struct text_out *o, int ms)
{
	o->wait_ms = ms;
}

/*
 * Whether o->fd takes data now; 0 when a stop signal waits instead, or
 * o->wait_ms passed (o->err ETIMEDOUT), or poll failed (o->err).
 */
static int ready_to_write(struct text_out *o)
{
	for (;;) {
		struct pollfd p[2] = { { o->fd, POLLOUT, 0 }, { o->stop_fd, POLLIN, 0 } };
		int n = poll(p, 2, o->wait_ms);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->err = n < 0 ? errno : ETIMEDOUT;
			return 0;
		}
		if (p[0].revents & (POLLOUT | POLLERR | POLLHUP | POLLNVAL))
			return 1;
		if (p[1].revents & POLLIN)
			return 0;
	}
}

int text_flush(struct text_out *o)
{
	size_t done = 0;

	while (done < o->len && !o->err) {
		size_t chunk = o->len - done;
		ssize_t n;

		if (o->stop_fd >= 0 || o->wait_ms >= 0) {
			if (!ready_to_write(o))
				break;
			if (chunk > PIPE_BUF)
				chunk = PIPE_BUF;
		}
		n = write(o->fd, o->buf + done, chunk);
		if (n > 0)
			done += (size_t)n;
		else if (n == 0)
			o->err = EIO; /* no progress and no error: do not spin */
		else if (errno != EINTR && !(errno == EAGAIN && o->stop_fd >= 0))
			o->err = errno;
	}
	o->len = 0;
	return o->err ? -1 : 0;
}

void text_put(struct text_out *o, const char *s, size_t n)
{
	while (n) {
		size_t room = sizeof(o->buf) - o->len, k = n < room ? n : room;

		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == sizeof(o->buf))
			text_flush(o);
	}
}

void text_puts(struct text_out *o, const char *s)
{
	text_put(o, s, strlen(s));
}

/* Straight into the output, flushed whenever it fills: no line is too long. */
void text_vprintf(struct text_out *o, const char *fmt, va_list ap)
{
	struct sink s = { NULL, 0, 0, o };
	va_list copy;

	va_copy(copy, ap);
	format_into(&s, fmt, &copy);
	va_end(copy);
}

void text_printf(struct text_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vprintf(o, fmt, ap);
	va_end(ap);
}

/* ---- lines ------------------------------------------------------------------ */

void text_lines_init(struct text_lines *r, int fd)
{
	r->fd = fd;
	r->eof = r->skipping = 0;
	r->start = r->end = 0;
}

int text_line(struct text_lines *r, char **line)
{
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		ssize_t n = 0;

		if (nl && r->skipping) {
			/* The end of a line too long to keep: go on after it. */
			r->start = (size_t)(nl - r->buf) + 1;
			r->skipping = 0;
			continue;
		}
		if (nl) {
			*nl = '\0';
			*line = r->buf + r->start;
			r->start = (size_t)(nl - r->buf) + 1;
			return LINE_OK;
		}
		if (r->skipping)
			r->start = r->end;
		/* Keep the partial line at the front, then read more behind it. */
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
		if (r->end == TEXT_LINE_MAX) {
			r->skipping = 1;
			r->end = 0;
			return LINE_TOO_LONG;
		}
		if (!r->eof) {
			do
				n = read(r->fd, r->buf + r->end, TEXT_LINE_MAX - r->end);
			while (n < 0 && errno == EINTR);
		}
		if (n < 0)
			return LINE_ERROR;
		if (n == 0) {
			r->eof = 1;
			if (!r->end || r->skipping)
				return LINE_EOF;
			r->buf[r->end] = '\0';
			*line = r->buf;
			r->start = r->end;
			return LINE_OK;
		}
		r->end += (size_t)n;
	}
}

const char *text_escape(const char *s, char *out, size_t out_len)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		/* Room for one escaped byte (4) plus "...\0" (4). */
		if (o + 8 > out_len) {
			memcpy(out + o, "...", 4);
			return out;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)text_format(out + o, out_len - o, "\\x%02x", c);
	}
	out[o] = '\0';
	return out;
}

size_t text_utf8_len(const unsigned char *s)
{
	/* The second byte's range per lead byte (RFC 3629): no overlongs, no surrogates. */
	unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80;
	unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4	  ? 4
		   : s[0] >= 0xe0 && s[0] <= 0xef ? 3
		   : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
						  : 0;
	size_t i;

	if (n && (s[1] < lo || s[1] > hi))
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * `s` as a JSON string: quotes, backslashes and control bytes escaped, and
 * bytes that are not UTF-8 (a Latin-1 directory name) as U+FFFD, so the
 * line stays valid JSON whatever the path.
 */
void text_json_string(struct text_out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	text_put(o, "\"", 1);
	while (*p) {
		size_t n = *p < 0x80 ? 1 : text_utf8_len(p);

		if (*p == '"' || *p == '\\')
			text_printf(o, "\\%c", *p);
		else if (*p < 0x20)
			text_printf(o, "\\u%04x", *p);
		else if (n == 0)
			text_puts(o, "\\ufffd");
		else
			text_put(o, (const char *)p, n);
		p += n ? n : 1;
	}
	text_put(o, "\"", 1);
}
