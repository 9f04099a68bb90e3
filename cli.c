/* SPDX-License-Identifier: MIT */
/*
 * cli.c - step 1 of a run: the command line. Every address (from -b or -f)
 * is checked here, before anything is loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "messages.h"
#include "options.h"
#include "text.h"

/*
 * While parsing, an entry that has no time of its own (a line of `list`
 * output may) is marked for --timeout's, which may come later on the line.
 */
#define TIMEOUT_ASKED UINT64_MAX

/*
 * Which options each subcommand takes. An option given to a subcommand
 * that would ignore it is an error: a script that passes --max-entries to
 * `unblock` has a wrong idea of what happens, and should hear it.
 */
enum option_group {
	OPT_ADDRESSES = 1, /* -b, -f, and addresses as arguments */
	OPT_SIZE = 2,	   /* --max-entries, --attach-mode, --events, ...: shape the program */
	OPT_READER = 4,	   /* --ring-pages, --wakeup-events, --flush-ms */
	OPT_JSON_OUT = 8,
	OPT_STRICT_ON = 16,
	OPT_ARGUMENTS = 32, /* addresses as arguments: block and unblock */
	OPT_EXPIRY = 64,    /* --timeout, --jitter */
	OPT_POLICY = 128,   /* --default */
	OPT_METRICS = 256,  /* --prometheus, --top */
};

static const unsigned int allowed_options[COMMAND_CNT] = {
	[CMD_RUN] = OPT_ADDRESSES | OPT_SIZE | OPT_READER | OPT_JSON_OUT | OPT_EXPIRY | OPT_POLICY,
	[CMD_BLOCK] = OPT_ADDRESSES | OPT_ARGUMENTS | OPT_SIZE | OPT_EXPIRY | OPT_POLICY,
	[CMD_REPLACE] = OPT_ADDRESSES | OPT_ARGUMENTS | OPT_SIZE | OPT_EXPIRY | OPT_POLICY,
	[CMD_LOG] = OPT_READER | OPT_JSON_OUT,
	[CMD_STATUS] = OPT_JSON_OUT | OPT_METRICS,
	[CMD_LIST] = OPT_JSON_OUT,
	[CMD_UNBLOCK] = OPT_ADDRESSES | OPT_ARGUMENTS | OPT_STRICT_ON,
	[CMD_DETACH] = 0,
	[CMD_CHECK] = OPT_JSON_OUT,
	[CMD_ALLOW] = OPT_ADDRESSES | OPT_ARGUMENTS | OPT_SIZE | OPT_EXPIRY | OPT_POLICY,
	[CMD_UNALLOW] = OPT_ADDRESSES | OPT_ARGUMENTS | OPT_STRICT_ON,
};

/* What each subcommand does; usage() writes its synopsis from options[]. */
static const char *const command_help[COMMAND_CNT] = {
	[CMD_RUN] = "  Block, and print one line per packet until a signal; then detach.\n"
		    "  Without -b or -f it blocks 1.1.1.1. If `block` left an instance on the\n"
		    "  cgroup, run reads its events instead, adds the addresses given (they\n"
		    "  stay after this run), and leaves it attached.\n",
	[CMD_BLOCK] = "  Add addresses to the cgroup's blocklist, loading and attaching the\n"
		      "  program first if needed, and exit. The program stays attached, and\n"
		      "  blocking, until `detach`.\n",
	[CMD_REPLACE] =
		"  Make the cgroup's blocklist exactly the addresses given, in one switch:\n"
		"  no moment passes an address in both lists, and entries in both keep\n"
		"  their counters. Killed at any moment, the list is the old or the new.\n",
	[CMD_LOG] = "  Print one line per packet of the attached instance until a signal; it\n"
		    "  stays attached.\n",
	[CMD_STATUS] = "  Show the programs on the cgroup's egress and ingress hooks, and ours\n"
		       "  in detail.\n",
	[CMD_LIST] = "  Show each blocked address and the packets dropped to it.\n",
	[CMD_UNBLOCK] =
		"  Remove addresses from the blocklist. One that is not there is reported;\n"
		"  with --strict it is an error (exit 1) and nothing is removed.\n",
	[CMD_DETACH] = "  Take every program of ours off the hook (never anyone else's).\n",
	[CMD_CHECK] = "  Say what this kernel and host give the tool, one line each, and whether\n"
		      "  blocking will work here (exit 0) or not (exit 1, the reason first).\n",
	[CMD_ALLOW] = "  Add allow entries: what they match is never dropped, whatever the\n"
		      "  blocklist holds; with --default deny, the only traffic that passes.\n",
	[CMD_UNALLOW] = "  Remove allow entries, as unblock removes block entries.\n",
};

/*
 * Each option in synopsis form and with its help, and the group that
 * decides who takes it (0: every subcommand). One table, so the synopsis
 * and the help cannot disagree.
 */
static const struct {
	unsigned int group;
	const char *synopsis, *help;
} options[] = {
	{ 0, "[-c PATH|--unit NAME|--pid PID]",
	  "  -c, --cgroup-path PATH  cgroup v2 directory (default /sys/fs/cgroup/unified)\n"
	  "      --unit NAME         the cgroup of a systemd unit (foo.service, .slice, .scope)\n"
	  "      --pid PID           the cgroup of a running process (or container)\n" },
	{ OPT_ARGUMENTS, "ADDR...", NULL },
	{ OPT_ADDRESSES, "[-b ADDR]...",
	  "  -b, --block ADDR        an IPv4 or IPv6 address or prefix; repeatable\n" },
	{ OPT_ADDRESSES, "[-f FILE|-]...",
	  "  -f, --file FILE         the addresses in FILE (- for stdin), one per line,\n"
	  "                          # and ; comments; every line is checked first\n" },
	{ OPT_EXPIRY, "[--timeout DURATION]",
	  "      --timeout DURATION  the entries lapse after DURATION (90s, 10m, 24h, 7d);\n"
	  "                          blocking one again sets its time anew\n" },
	{ OPT_EXPIRY, "[--jitter PERCENT]",
	  "      --jitter PERCENT    each lapses up to PERCENT % early, at random\n" },
	{ OPT_POLICY, "[--default allow|deny]",
	  "      --default POLICY    allow (a new instance's): what no entry decides passes;\n"
	  "                          deny: only what an allow entry matches passes\n" },
	{ OPT_SIZE, "[--max-entries N]",
	  "      --max-entries N     blocklist size when first loaded (default 1024);\n"
	  "                          larger on an attached list: it is upgraded to it\n" },
	{ OPT_SIZE, "[--direction egress|ingress|both]",
	  "      --direction DIR     egress (default): packets the cgroup sends, by\n"
	  "                          destination; ingress: packets it receives, by\n"
	  "                          source; both\n" },
	{ OPT_SIZE, "[--attach-mode single|override|multi]",
	  "      --attach-mode MODE  single (default): refuse if a program is attached;\n"
	  "                          override: let child cgroups replace ours;\n"
	  "                          multi: run alongside other multi programs\n" },
	{ OPT_READER, "[--log all|drops|none]",
	  "      --log WHAT          all (default): a line per packet; drops: dropped\n"
	  "                          packets only; none: no lines (the program then\n"
	  "                          sends no events at all)\n" },
	{ OPT_SIZE, "[--events auto|perf|ringbuf]",
	  "      --events WAY        how events reach us: perf rings, or the BPF ring\n"
	  "                          buffer (Linux 5.8+); auto (default): perf where\n"
	  "                          this kernel's perf events can carry them\n" },
	{ OPT_SIZE, "[--packet-access auto|direct|helper]",
	  "      --packet-access HOW how the program reads addresses: direct (Linux 5.2+),\n"
	  "                          or with bpf_skb_load_bytes(); auto (default): direct\n"
	  "                          where this kernel allows it\n" },
	{ OPT_READER, "[--ring-pages N]",
	  "      --ring-pages N      ring size in pages, a power of 2 (64): per CPU\n"
	  "                          for perf, in all for the ring buffer\n" },
	{ OPT_READER, "[--wakeup-events N]",
	  "      --wakeup-events N   wake the reader every N events (64)\n" },
	{ OPT_READER, "[--flush-ms MS]",
	  "      --flush-ms MS       print pending events at least every MS ms (100)\n" },
	{ OPT_JSON_OUT, "[--json]", "      --json              one JSON object per line\n" },
	{ OPT_METRICS, "[--prometheus [--top N]]",
	  "      --prometheus        the counts as Prometheus metrics (node_exporter textfile);\n"
	  "                          --top N adds the N block entries that dropped most\n" },
	{ OPT_STRICT_ON, "[--strict]",
	  "      --strict            unblock: an address that is not blocked is an error\n" },
	{ 0, "[--object FILE]",
	  "      --object FILE       load this BPF object instead of the embedded one\n" },
	{ 0, "[-v]",
	  "  -v, --verbose           print each step the loader takes, with its values,\n"
	  "                          on stderr; -vv also the program's instructions\n" },
	{ 0, NULL, "  -h, --help              show this help (COMMAND --help: that command's)\n" },
	{ 0, NULL, "  -V, --version           show the version\n" },
};

static const char exit_text[] =
	"Exit status: 0 ok, 1 system failure (privilege, kernel, attach conflict,\n"
	"blocklist full), 2 usage or bad input (bad address or line, bad object file),\n"
	"3 nothing of ours is attached (log, status, list, unblock, detach).\n";

/* `help` alone: every subcommand; COMMAND --help: that one. */
static void usage(int command)
{
	struct text_out out;
	size_t i, k;

	text_out_init(&out, STDOUT_FILENO);
	text_puts(&out, "Drop packets that processes in a cgroup v2 send to blocked IPv4 or IPv6\n"
			"addresses and prefixes, with eBPF loaded by hand; log every packet:\n"
			"LOG: DST 1.1.1.1, ACTION 0 (0 dropped, 1 passed).\n\nUsage:\n");
	for (i = 0; i < COMMAND_CNT; i++) {
		/* The synopsis, wrapped before column 80 with a hanging indent. */
		size_t col = (size_t)text_format(NULL, 0, "  " PROG_NAME " %s",
						 i == CMD_RUN ? "[run]" : command_names[i]);

		if (command >= 0 && (size_t)command != i)
			continue;
		text_printf(&out, "  " PROG_NAME " %s", i == CMD_RUN ? "[run]" : command_names[i]);
		for (k = 0; k < sizeof(options) / sizeof(options[0]); k++) {
			const char *syn = options[k].synopsis;

			if (!syn || (options[k].group && !(allowed_options[i] & options[k].group)))
				continue;
			if (col + 1 + strlen(syn) > 79) {
				text_puts(&out, "\n      ");
				col = 6;
			}
			text_printf(&out, " %s", syn);
			col += 1 + strlen(syn);
		}
		text_printf(&out, "\n%s\n", command_help[i]);
	}
	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (options[i].help && (!options[i].group || command < 0 ||
					(allowed_options[command] & options[i].group)))
			text_puts(&out, options[i].help);
	text_printf(&out, "\n%s", exit_text);
	text_flush(&out);
}

/* A whole number from min to max, in decimal, nothing else ("+1", " 1", "1k" are not). */
static int parse_uint(const char *opt, const char *text, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	const char *end = text_decimal(text, max, out);

	if (!end || *end || *out < min) {
		report("option %s: '%s' is not a whole number from %lu to %lu", opt, text, min,
		       max);
		return -1;
	}
	return 0;
}

/*
 * `value` as one of the words option `opt` takes (three, or two and NULL),
 * as its index in `names`; -1 after saying which words those are.
 */
static int parse_choice(const char *opt, const char *value, const char *const names[3])
{
	int i;

	for (i = 0; i < 3 && names[i]; i++)
		if (strcmp(value, names[i]) == 0)
			return i;
	if (names[2])
		report("option %s: '%s' is not %s, %s or %s", opt, value, names[0], names[1],
		       names[2]);
	else
		report("option %s: '%s' is not %s or %s", opt, value, names[0], names[1]);
	return -1;
}

/* -f FILE (or - for stdin): every line checked before anything is used. */
static int read_address_file(struct options *o, const char *path)
{
	char err[160];
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	int rc = EXIT_OK;

	if (fd < 0) {
		report("opening address file %s: %s", path, errno_text(errno));
		return EXIT_USAGE;
	}
	if (addr_file_read(fd, path, TIMEOUT_ASKED, &o->block, err, sizeof(err))) {
		report("%s; nothing was loaded", err);
		rc = EXIT_USAGE;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

/* Whether `command` takes options of `group`; says so if not. */
static int takes(const struct options *o, unsigned int group, const char *what)
{
	if (allowed_options[o->command] & group)
		return 1;
	report("%s does not take %s; see '" PROG_NAME " %s --help'", command_names[o->command],
	       what, command_names[o->command]);
	return 0;
}

static int add_address(struct options *o, const char *text)
{
	struct addr_key key;
	char why[200];

	if (addr_parse(text, &key, why, sizeof(why))) {
		report("%s", why);
		return EXIT_USAGE;
	}
	if (addr_list_add(&o->block, &key, TIMEOUT_ASKED)) {
		report("parsing the command line: %s", errno_text(ENOMEM));
		return EXIT_SYSTEM;
	}
	o->addresses_given = 1;
	return EXIT_OK;
}

enum option_id {
	OPT_CGROUP,
	OPT_UNIT,
	OPT_PID,
	OPT_BLOCK,
	OPT_FILE,
	OPT_MAX,
	OPT_OBJECT,
	OPT_MODE,
	OPT_PAGES,
	OPT_WAKEUP,
	OPT_FLUSH,
	OPT_JSON,
	OPT_STRICT,
	OPT_LOG,
	OPT_EVENTS,
	OPT_ACCESS,
	OPT_DIRECTION,
	OPT_TIMEOUT,
	OPT_JITTER,
	OPT_DEFAULT,
	OPT_PROMETHEUS,
	OPT_TOP,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option_spec {
	const char *name;
	char letter; /* 0: long form only */
	char takes_value;
} option_specs[] = {
	[OPT_CGROUP] = { "cgroup-path", 'c', 1 },
	[OPT_UNIT] = { "unit", 0, 1 },
	[OPT_PID] = { "pid", 0, 1 },
	[OPT_BLOCK] = { "block", 'b', 1 },
	[OPT_FILE] = { "file", 'f', 1 },
	[OPT_MAX] = { "max-entries", 0, 1 },
	[OPT_OBJECT] = { "object", 0, 1 },
	[OPT_MODE] = { "attach-mode", 0, 1 },
	[OPT_PAGES] = { "ring-pages", 0, 1 },
	[OPT_WAKEUP] = { "wakeup-events", 0, 1 },
	[OPT_FLUSH] = { "flush-ms", 0, 1 },
	[OPT_JSON] = { "json", 0, 0 },
	[OPT_STRICT] = { "strict", 0, 0 },
	[OPT_LOG] = { "log", 0, 1 },
	[OPT_EVENTS] = { "events", 0, 1 },
	[OPT_ACCESS] = { "packet-access", 0, 1 },
	[OPT_DIRECTION] = { "direction", 0, 1 },
	[OPT_TIMEOUT] = { "timeout", 0, 1 },
	[OPT_DEFAULT] = { "default", 0, 1 },
	[OPT_PROMETHEUS] = { "prometheus", 0, 0 },
	[OPT_TOP] = { "top", 0, 1 },
	[OPT_JITTER] = { "jitter", 0, 1 },
	[OPT_VERBOSE] = { "verbose", 'v', 0 },
	[OPT_HELP] = { "help", 'h', 0 },
	[OPT_VERSION] = { "version", 'V', 0 },
};

/*
 * argv[*i] as an option: "--name", "--name=VALUE", "--name VALUE", "-x",
 * "-xVALUE" or "-x VALUE". Exact names only: an abbreviation that works
 * today would break a script the day a second option shares its prefix.
 * Returns the option's id with *value set ("" if it takes none), or -1
 * after saying what is wrong.
 */
static int next_option(int argc, char **argv, int *i, const char **value, const char *help)
{
	const char *arg = argv[*i], *name = arg + 2, *eq = NULL;
	size_t id, len = 0;

	*value = "";
	if (arg[1] == '-') {
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
	}
	for (id = 0; id < sizeof(option_specs) / sizeof(option_specs[0]); id++) {
		const struct option_spec *spec = &option_specs[id];

		if (arg[1] == '-' ? strncmp(name, spec->name, len) != 0 || spec->name[len]
				  : !spec->letter || arg[1] != spec->letter)
			continue;
		if (!spec->takes_value) {
			if (eq || (arg[1] != '-' && arg[2]))
				break; /* "--json=1", or "-hV": not ours */
			return (int)id;
		}
		if (eq)
			*value = eq + 1;
		else if (arg[1] != '-' && arg[2])
			*value = arg + 2;
		else if (*i + 1 < argc)
			*value = argv[++*i];
		else {
			report("option '%s' needs a value; see '" PROG_NAME " %s--help'", arg,
			       help);
			return -1;
		}
		return (int)id;
	}
	report("unknown option '%s'; see '" PROG_NAME " %s--help'", arg, help);
	return -1;
}

/*
 * The entries marked get `timeout_ns` (0: for good); then, with --jitter,
 * every entry that lapses is cut short by up to `pct` % of its time, drawn
 * at random (splitmix64, seeded from the kernel), so that a batch loaded
 * together lapses over a span rather than in one second.
 */
static void set_timeouts(struct addr_list *list, uint64_t timeout_ns, unsigned int pct)
{
	uint64_t state = 0;
	size_t i;

	if (pct && syscall(SYS_getrandom, &state, sizeof(state), 0) < 0)
		state = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	for (i = 0; i < list->cnt; i++) {
		struct addr_entry *e = &list->e[i];
		uint64_t r;

		if (e->timeout_ns == TIMEOUT_ASKED)
			e->timeout_ns = timeout_ns;
		if (!pct || !e->timeout_ns)
			continue;
		r = (state += 0x9e3779b97f4a7c15u);
		r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9u;
		r = (r ^ (r >> 27)) * 0x94d049bb133111ebu;
		r ^= r >> 31;
		/* The share of the time cut, in millionths: up to pct % of it. */
		e->timeout_ns -= e->timeout_ns / 1000000u * (r % (pct * 10000u + 1));
	}
}

int parse_args(int argc, char **argv, struct options *o)
{
	char help[16] = "";
	const char *value, *end;
	unsigned long n;
	size_t i;
	/* --direction's words, and the hooks each stands for. */
	static const char *const direction_words[3] = { "egress", "ingress", "both" };
	static const char *const policy_words[3] = { "allow", "deny", NULL }; /* by POLICY_... */
	static const unsigned int direction_sets[3] = { 1u << DIR_EGRESS, 1u << DIR_INGRESS,
							(1u << DIR_EGRESS) | (1u << DIR_INGRESS) };
	int c, rc, choice, arg = 1, named = 0, options_end = 0, targets = 0;

	/* A subcommand comes first; without one, this is `run`, the Aya example's behaviour. */
	for (i = 0; argc > 1 && i < COMMAND_CNT; i++)
		if (strcmp(argv[1], command_names[i]) == 0) {
			o->command = (enum command)i;
			named = 1;
			arg = 2;
			text_format(help, sizeof(help), "%s ", command_names[i]);
			break;
		}
	o->cgroup_path = "/sys/fs/cgroup/unified";
	o->policy = -1;
	o->directions = 1u << DIR_EGRESS; /* the Aya example's */
	o->ring_pages = 64;
	o->wakeup_events = 64;
	o->flush_ms = 100;
	for (; arg < argc; arg++) {
		/*
		 * Anything that is not an option is an address for block and unblock
		 * (`block -c CG 192.0.2.1`), wherever it stands; "--" ends options.
		 */
		if (options_end || argv[arg][0] != '-' || !argv[arg][1]) {
			if (!(allowed_options[o->command] & OPT_ARGUMENTS)) {
				report("unexpected argument '%s'%s", argv[arg],
				       o->command == CMD_RUN ? "; addresses go after -b" : "");
				return EXIT_USAGE;
			}
			rc = add_address(o, argv[arg]);
			if (rc)
				return rc;
			continue;
		}
		if (strcmp(argv[arg], "--") == 0) {
			options_end = 1;
			continue;
		}
		/* -vv: the one grouping there is, as every tool with -v has it. */
		if (strspn(argv[arg] + 1, "v") == strlen(argv[arg] + 1)) {
			o->verbose += (int)strlen(argv[arg] + 1);
			continue;
		}
		c = next_option(argc, argv, &arg, &value, help);
		if (c < 0)
			return EXIT_USAGE;
		switch (c) {
		case OPT_CGROUP:
			o->cgroup_path = value;
			targets++;
			break;
		case OPT_UNIT:
			o->unit = value;
			targets++;
			break;
		case OPT_PID:
			if (parse_uint("--pid", value, 1, 1ul << 22, &o->pid)) /* PID_MAX_LIMIT */
				return EXIT_USAGE;
			targets++;
			break;
		case OPT_BLOCK:
			if (!takes(o, OPT_ADDRESSES, "addresses"))
				return EXIT_USAGE;
			rc = add_address(o, value);
			if (rc)
				return rc;
			break;
		case OPT_FILE:
			if (!takes(o, OPT_ADDRESSES, "addresses"))
				return EXIT_USAGE;
			rc = read_address_file(o, value);
			if (rc)
				return rc;
			o->addresses_given = 1;
			break;
		case OPT_MAX:
			if (!takes(o, OPT_SIZE, "--max-entries") ||
			    parse_uint("--max-entries", value, 1, 1u << 26, &n))
				return EXIT_USAGE;
			o->max_entries = (uint32_t)n;
			break;
		case OPT_OBJECT:
			o->object_path = value;
			break;
		case OPT_MODE:
			choice = takes(o, OPT_SIZE, "--attach-mode")
					 ? parse_choice("--attach-mode", value, attach_mode_names)
					 : -1;
			if (choice < 0)
				return EXIT_USAGE;
			o->mode = (enum attach_mode)choice;
			break;
		case OPT_EVENTS:
			choice = takes(o, OPT_SIZE, "--events")
					 ? parse_choice("--events", value, transport_names)
					 : -1;
			if (choice < 0)
				return EXIT_USAGE;
			o->events = (enum transport)choice;
			break;
		case OPT_ACCESS:
			choice = takes(o, OPT_SIZE, "--packet-access")
					 ? parse_choice("--packet-access", value,
							packet_access_names)
					 : -1;
			if (choice < 0)
				return EXIT_USAGE;
			o->access = (enum packet_access)choice;
			break;
		case OPT_PAGES:
			if (!takes(o, OPT_READER, "--ring-pages") ||
			    parse_uint("--ring-pages", value, 1, 1u << 16, &n))
				return EXIT_USAGE;
			if (n & (n - 1)) {
				report("option --ring-pages: %lu is not a power of 2", n);
				return EXIT_USAGE;
			}
			o->ring_pages = (unsigned int)n;
			break;
		case OPT_WAKEUP:
			if (!takes(o, OPT_READER, "--wakeup-events") ||
			    parse_uint("--wakeup-events", value, 1, 1u << 20, &n))
				return EXIT_USAGE;
			o->wakeup_events = (unsigned int)n;
			break;
		case OPT_FLUSH:
			if (!takes(o, OPT_READER, "--flush-ms") ||
			    parse_uint("--flush-ms", value, 1, 60000, &n))
				return EXIT_USAGE;
			o->flush_ms = (int)n;
			break;
		case OPT_JSON:
			if (!takes(o, OPT_JSON_OUT, "--json"))
				return EXIT_USAGE;
			o->json = 1;
			break;
		case OPT_LOG:
			choice = takes(o, OPT_READER, "--log")
					 ? parse_choice("--log", value, log_mode_names)
					 : -1;
			if (choice < 0)
				return EXIT_USAGE;
			o->log_mode = (uint32_t)choice;
			break;
		case OPT_DIRECTION:
			choice = takes(o, OPT_SIZE, "--direction")
					 ? parse_choice("--direction", value, direction_words)
					 : -1;
			if (choice < 0)
				return EXIT_USAGE;
			o->directions = direction_sets[choice];
			o->directions_given = 1;
			break;
		case OPT_TIMEOUT:
			if (!takes(o, OPT_EXPIRY, "--timeout"))
				return EXIT_USAGE;
			if (!(end = text_duration(value, &n)) || *end) {
				report("option --timeout: '%s' is not a duration from 1s to %lus (90s, 10m, 24h, 7d)",
				       value, TEXT_DURATION_MAX);
				return EXIT_USAGE;
			}
			o->timeout_ns = (uint64_t)n * 1000000000u;
			break;
		case OPT_JITTER:
			if (!takes(o, OPT_EXPIRY, "--jitter") ||
			    parse_uint("--jitter", value, 0, 100, &n))
				return EXIT_USAGE;
			o->jitter_pct = (unsigned int)n;
			break;
		case OPT_DEFAULT:
			choice = takes(o, OPT_POLICY, "--default")
					 ? parse_choice("--default", value, policy_words)
					 : -1;
			if (choice < 0)
				return EXIT_USAGE;
			o->policy = choice;
			break;
		case OPT_PROMETHEUS:
			if (!takes(o, OPT_METRICS, "--prometheus"))
				return EXIT_USAGE;
			o->prometheus = 1;
			break;
		case OPT_TOP:
			if (!takes(o, OPT_METRICS, "--top") ||
			    parse_uint("--top", value, 1, 100, &n))
				return EXIT_USAGE;
			o->top = (unsigned int)n;
			break;
		case OPT_STRICT:
			if (!takes(o, OPT_STRICT_ON, "--strict"))
				return EXIT_USAGE;
			o->strict = 1;
			break;
		case OPT_VERBOSE:
			o->verbose++;
			break;
		case OPT_HELP:
			usage(named ? (int)o->command : -1);
			return -1;
		case OPT_VERSION:
			return write(STDOUT_FILENO, PROG_NAME " " VERSION "\n",
				     sizeof(PROG_NAME " " VERSION "\n") - 1) < 0
				       ? EXIT_SYSTEM
				       : -1;
		}
	}
	o->target_given = targets;
	if (targets > 1) {
		report("-c, --unit and --pid each name the cgroup: give one of them, once");
		return EXIT_USAGE;
	}
	/* `block --default deny` alone changes the policy only. */
	if ((allowed_options[o->command] & OPT_ARGUMENTS) && !o->addresses_given &&
	    (o->policy < 0 || o->command == CMD_REPLACE)) {
		report("%s needs at least one address (as arguments, -b or -f)",
		       command_names[o->command]);
		return EXIT_USAGE;
	}
	/* The Aya example's default, for a run that makes its own instance. */
	if (o->command == CMD_RUN && !o->addresses_given) {
		rc = add_address(o, "1.1.1.1");
		o->addresses_given = 0;
		if (rc)
			return rc;
	}
	if ((o->top && !o->prometheus) || (o->prometheus && o->json)) {
		report("--top goes with --prometheus, and --prometheus without --json");
		return EXIT_USAGE;
	}
	if (o->jitter_pct && !o->timeout_ns) {
		report("--jitter spreads the expiry that --timeout sets: give both");
		return EXIT_USAGE;
	}
	set_timeouts(&o->block, o->timeout_ns, o->jitter_pct);
	/* A saved list's allow lines name allow entries, which unblock must not take. */
	for (i = 0; o->command == CMD_UNBLOCK && i < o->block.cnt; i++)
		if (o->block.e[i].key.allow) {
			report("unblock removes block entries; the list given has allow entries: remove those with unallow");
			return EXIT_USAGE;
		}
	/* allow and unallow are block and unblock of allow entries from here on. */
	if (o->command == CMD_ALLOW || o->command == CMD_UNALLOW) {
		o->allow = 1;
		for (i = 0; i < o->block.cnt; i++)
			o->block.e[i].key.allow = 1;
		o->command = o->command == CMD_ALLOW ? CMD_BLOCK : CMD_UNBLOCK;
	}
	addr_list_unique(&o->block);
	return EXIT_OK;
}
