/* SPDX-License-Identifier: MIT */
/*
 * text.h - formatted text and line reading on plain file descriptors.
 *
 * The tool does not use stdio. The static binary has a 128 KiB budget, and
 * musl's printf family alone is 10 KiB (mostly floating point we never
 * print); FILE buffering adds more. What the tool prints needs only %s, %c,
 * %%, integers in decimal and hex, widths, zero padding and precisions.
 */
#ifndef TEXT_H
#define TEXT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*
 * snprintf()'s contract for the conversions above: buf is always terminated
 * (when len > 0) and the result is the length the whole text needed, so a
 * result >= len means it was cut. Anything else after '%' prints as "%?".
 */
__attribute__((format(printf, 3, 4))) int text_format(char *buf, size_t len, const char *fmt, ...);
__attribute__((format(printf, 3, 0))) int text_vformat(char *buf, size_t len, const char *fmt,
						       va_list ap);

/* Buffered output to one fd. err holds the errno of the first failed write. */
struct text_out {
	int fd;
	int err;
	int stop_fd; /* -1, or see text_out_stop_on() */
	int wait_ms; /* how long a flush waits for o->fd: -1 for ever, see text_out_wait_at_most() */
	size_t len;
	char buf[4096];
};

void text_out_init(struct text_out *o, int fd);
/*
 * Flushing waits in poll() until o->fd takes data or `stop_fd` (a signalfd)
 * is readable, then writes at most PIPE_BUF bytes at a time; when stop_fd
 * is readable it drops what is left. For output that must never keep a
 * stop signal from being heard: a write(2) into a stalled pipe or a stopped
 * terminal blocks for good, and a supervisor's SIGTERM would go unheard
 * until its SIGKILL left the program attached.
 */
void text_out_stop_on(struct text_out *o, int stop_fd);
/*
 * Once the stop signal has been read, nothing else will come to end a wait:
 * from then on a flush waits at most `ms` for o->fd, then drops what is
 * left (o->err ETIMEDOUT). For the last lines on the way out.
 */
void text_out_wait_at_most(struct text_out *o, int ms);
void text_put(struct text_out *o, const char *s, size_t n);
/*
 * `s` as a JSON string: quotes, backslashes and control bytes escaped, and
 * bytes that are not UTF-8 (a Latin-1 directory name) as U+FFFD, so the
 * line stays valid JSON whatever the path.
 */
void text_json_string(struct text_out *o, const char *s);
/* Length of the valid UTF-8 sequence at `s` (RFC 3629: no overlongs, no surrogates), or 0. */
size_t text_utf8_len(const unsigned char *s);
void text_puts(struct text_out *o, const char *s);
__attribute__((format(printf, 2, 3))) void text_printf(struct text_out *o, const char *fmt, ...);
__attribute__((format(printf, 2, 0))) void text_vprintf(struct text_out *o, const char *fmt,
							va_list ap);
/* Writes what is buffered; returns 0, or -1 with o->err set. */
int text_flush(struct text_out *o);

/*
 * The decimal digits at p (at least one) as a number no larger than max:
 * returns the first byte after them, or NULL. No sign, no blanks, no base
 * prefixes: strtoul() takes all three, and pulls in musl's stdio besides.
 */
const char *text_decimal(const char *p, unsigned long max, unsigned long *out);

/*
 * v in decimal at out (up to 20 digits, no NUL): the length. For lines
 * printed by the hundred thousand (`list`), where a format string is
 * parsed again for each.
 */
size_t text_u64(char *out, uint64_t v);

/*
 * A duration, "90s", "10m", "24h", "7d" or plain seconds ("90"), from 1 s
 * to TEXT_DURATION_MAX seconds (68 years), in seconds: returns the first
 * byte after it, or NULL.
 */
#define TEXT_DURATION_MAX 0x7fffffffUL
const char *text_duration(const char *p, unsigned long *seconds);

/*
 * The last line of `s`, its trailing newlines cut off in place: of a kernel
 * log, the verifier's summary ("processed 71 insns ...") or its reason.
 */
const char *text_last_line(char *s);

/*
 * Lines from an fd, without stdio. A line is returned without its '\n' and
 * terminated; the last line of a file may lack the '\n'.
 */
#define TEXT_LINE_MAX 4096
struct text_lines {
	int fd;
	int eof;      /* read() said so: a terminal's ^D is not asked twice */
	int skipping; /* the rest of a line too long to keep */
	size_t start, end;
	char buf[TEXT_LINE_MAX + 1];
};

enum { LINE_EOF = 0, LINE_OK = 1, LINE_ERROR = -1, LINE_TOO_LONG = -2 };

void text_lines_init(struct text_lines *r, int fd);
/*
 * LINE_OK with *line set, LINE_EOF, LINE_ERROR (errno set) or
 * LINE_TOO_LONG: a line of TEXT_LINE_MAX bytes or more, which the next
 * call skips, so a reader may go on past it.
 */
int text_line(struct text_lines *r, char **line);

/*
 * Untrusted bytes (an object's names, a file's lines) end up on a terminal:
 * `s` into `out` with non-printable bytes and '\' as \xNN, cut with "..."
 * when it does not fit (out_len at least 8). Returns `out`.
 */
const char *text_escape(const char *s, char *out, size_t out_len);

#endif
