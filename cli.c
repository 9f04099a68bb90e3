/* SPDX-License-Identifier: MIT */
/*
 * cli.c - step 1 of a run: the command line. Every address (from -b or -f)
 * is checked here, before anything is loaded.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

/*
 * Which options each subcommand takes. An option given to a subcommand
 * that would ignore it is an error: a script that passes --max-entries to
 * `unblock` has a wrong idea of what happens, and should hear it.
 */
enum option_group {
	OPT_ADDRESSES = 1, /* -b, -f, and addresses as arguments */
	OPT_SIZE = 2,	   /* --max-entries, --attach-mode: shape a new instance */
	OPT_READER = 4,	   /* --ring-pages, --wakeup-events, --flush-ms */
	OPT_JSON_OUT = 8,
	OPT_STRICT_ON = 16,
};

static const unsigned int allowed_options[COMMAND_CNT] = {
	[CMD_RUN] = OPT_ADDRESSES | OPT_SIZE | OPT_READER | OPT_JSON_OUT,
	[CMD_BLOCK] = OPT_ADDRESSES | OPT_SIZE,
	[CMD_LOG] = OPT_READER | OPT_JSON_OUT,
	[CMD_STATUS] = OPT_JSON_OUT,
	[CMD_LIST] = OPT_JSON_OUT,
	[CMD_UNBLOCK] = OPT_ADDRESSES | OPT_STRICT_ON,
	[CMD_DETACH] = 0,
};

static const char *const command_usage[COMMAND_CNT] = {
	[CMD_RUN] = "[run] [-c PATH] [-b ADDR]... [-f FILE|-]...\n"
		    "       [--max-entries N] [--attach-mode single|override|multi]\n"
		    "       [--direction egress|ingress|both]\n"
		    "       [--log all|drops|none] [--ring-pages N] [--wakeup-events N]\n"
		    "       [--flush-ms MS] [--json] [--object FILE]\n"
		    "  Block, and print one line per packet until a signal; then detach.\n"
		    "  Without -b or -f it blocks 1.1.1.1. If `block` left an instance on the\n"
		    "  cgroup, run reads its events instead, adds the addresses given (they\n"
		    "  stay after this run), and leaves it attached.\n",
	[CMD_BLOCK] = "block [-c PATH] ADDR... [-b ADDR]... [-f FILE|-]...\n"
		      "       [--max-entries N] [--attach-mode single|override|multi]\n"
		      "       [--direction egress|ingress|both]\n"
		      "       [--object FILE]\n"
		      "  Add addresses to the cgroup's blocklist, loading and attaching the\n"
		      "  program first if needed, and exit. The program stays attached, and\n"
		      "  blocking, until `detach`.\n",
	[CMD_LOG] = "log [-c PATH] [--log all|drops|none] [--json] [--ring-pages N]\n"
		    "       [--wakeup-events N] [--flush-ms MS] [--object FILE]\n"
		    "  Print one line per packet of the attached instance until a signal; it\n"
		    "  stays attached.\n",
	[CMD_STATUS] = "status [-c PATH] [--json] [--object FILE]\n"
		       "  Show the programs on the cgroup's egress and ingress hooks, and ours\n"
		       "  in detail.\n",
	[CMD_LIST] = "list [-c PATH] [--json] [--object FILE]\n"
		     "  Show each blocked address and the packets dropped to it.\n",
	[CMD_UNBLOCK] =
		"unblock [-c PATH] ADDR... [-b ADDR]... [-f FILE|-]...\n"
		"       [--strict] [--object FILE]\n"
		"  Remove addresses from the blocklist. One that is not there is reported;\n"
		"  with --strict it is an error (exit 1) and nothing is removed.\n",
	[CMD_DETACH] = "detach [-c PATH] [--object FILE]\n"
		       "  Take every program of ours off the hook (never anyone else's).\n",
};

/* Each option's help, and the group that decides who sees it (0: everyone). */
static const struct {
	unsigned int group;
	const char *text;
} options_text[] = {
	{ 0, "  -c, --cgroup-path PATH  cgroup v2 directory (default /sys/fs/cgroup/unified)\n" },
	{ OPT_ADDRESSES,
	  "  -b, --block ADDR        an IPv4 or IPv6 address or prefix; repeatable\n" },
	{ OPT_ADDRESSES,
	  "  -f, --file FILE         the addresses in FILE (- for stdin), one per line,\n"
	  "                          # comments; every line is checked before any is used\n" },
	{ OPT_SIZE, "      --max-entries N     blocklist size when first loaded (default 1024)\n" },
	{ OPT_SIZE, "      --direction DIR     egress (default): packets the cgroup sends, by\n"
		    "                          destination; ingress: packets it receives, by\n"
		    "                          source; both\n" },
	{ OPT_SIZE, "      --attach-mode MODE  single (default): refuse if a program is attached;\n"
		    "                          override: let child cgroups replace ours;\n"
		    "                          multi: run alongside other multi programs\n" },
	{ OPT_READER, "      --log WHAT          all (default): a line per packet; drops: dropped\n"
		      "                          packets only; none: no lines (the program then\n"
		      "                          sends no events at all)\n" },
	{ OPT_READER,
	  "      --ring-pages N      perf ring size per CPU in pages, a power of 2 (64)\n" },
	{ OPT_READER, "      --wakeup-events N   wake the reader every N events (64)\n" },
	{ OPT_READER,
	  "      --flush-ms MS       print pending events at least every MS ms (100)\n" },
	{ OPT_JSON_OUT, "      --json              one JSON object per line\n" },
	{ OPT_STRICT_ON,
	  "      --strict            unblock: an address that is not blocked is an error\n" },
	{ 0, "      --object FILE       load this BPF object instead of the embedded one\n" },
	{ 0, "  -h, --help              show this help (COMMAND --help: that command's)\n" },
	{ 0, "  -V, --version           show the version\n" },
};

static const char exit_text[] =
	"Exit status: 0 ok, 1 system failure (privilege, kernel, attach conflict,\n"
	"blocklist full), 2 usage or bad input (bad address or line, bad object file),\n"
	"3 nothing of ours is attached (log, status, list, unblock, detach).\n";

/* `help` alone: every subcommand; COMMAND --help: that one. */
static void usage(FILE *out, int command)
{
	size_t i;

	fputs("Drop packets that processes in a cgroup v2 send to blocked IPv4 or IPv6\n"
	      "addresses and prefixes, with eBPF loaded by hand; log every packet:\n"
	      "LOG: DST 1.1.1.1, ACTION 0 (0 dropped, 1 passed).\n\n",
	      out);
	fputs("Usage:\n", out);
	for (i = 0; i < COMMAND_CNT; i++)
		if (command < 0 || (size_t)command == i)
			fprintf(out, "  " PROG_NAME " %s\n", command_usage[i]);
	for (i = 0; i < sizeof(options_text) / sizeof(options_text[0]); i++)
		if (!options_text[i].group || command < 0 ||
		    (allowed_options[command] & options_text[i].group))
			fputs(options_text[i].text, out);
	fprintf(out, "\n%s", exit_text);
}

static int parse_uint(const char *opt, const char *text, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || *out < min || *out > max) {
		report("option %s: '%s' is not a whole number from %lu to %lu", opt, text, min,
		       max);
		return -1;
	}
	return 0;
}

/* -f FILE (or - for stdin): every line checked before anything is used. */
static int read_address_file(struct options *o, const char *path)
{
	char err[160];
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	int rc = EXIT_OK;

	if (!f) {
		report("opening address file %s: %s", path, errno_text(errno));
		return EXIT_USAGE;
	}
	if (addr_file_read(f, path, &o->block, err, sizeof(err))) {
		report("%s; nothing was loaded", err);
		rc = EXIT_USAGE;
	}
	if (f != stdin)
		fclose(f);
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
	if (addr_list_add(&o->block, &key)) {
		report("parsing the command line: %s", errno_text(ENOMEM));
		return EXIT_SYSTEM;
	}
	o->addresses_given = 1;
	return EXIT_OK;
}

int parse_args(int argc, char **argv, struct options *o)
{
	enum {
		OPT_OBJECT = 256,
		OPT_MODE,
		OPT_PAGES,
		OPT_WAKEUP,
		OPT_FLUSH,
		OPT_JSON,
		OPT_MAX,
		OPT_STRICT,
		OPT_LOG,
		OPT_DIRECTION
	};
	static const struct option longopts[] = {
		{ "cgroup-path", required_argument, NULL, 'c' },
		{ "block", required_argument, NULL, 'b' },
		{ "file", required_argument, NULL, 'f' },
		{ "max-entries", required_argument, NULL, OPT_MAX },
		{ "object", required_argument, NULL, OPT_OBJECT },
		{ "attach-mode", required_argument, NULL, OPT_MODE },
		{ "ring-pages", required_argument, NULL, OPT_PAGES },
		{ "wakeup-events", required_argument, NULL, OPT_WAKEUP },
		{ "flush-ms", required_argument, NULL, OPT_FLUSH },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "direction", required_argument, NULL, OPT_DIRECTION },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n;
	size_t i;
	int c, rc, named = 0;

	/* A subcommand comes first; without one, this is `run`, the Aya example's behaviour. */
	for (i = 0; argc > 1 && i < COMMAND_CNT; i++)
		if (strcmp(argv[1], command_names[i]) == 0) {
			o->command = (enum command)i;
			named = 1;
			argc--; /* getopt takes the subcommand for the program name */
			argv++;
			break;
		}
	o->cgroup_path = "/sys/fs/cgroup/unified";
	o->directions = 1u << DIR_EGRESS; /* the Aya example's */
	o->ring_pages = 64;
	o->wakeup_events = 64;
	o->flush_ms = 100;
	while ((c = getopt_long(argc, argv, "c:b:f:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->cgroup_path = optarg;
			break;
		case 'b':
			if (!takes(o, OPT_ADDRESSES, "addresses"))
				return EXIT_USAGE;
			rc = add_address(o, optarg);
			if (rc)
				return rc;
			break;
		case 'f':
			if (!takes(o, OPT_ADDRESSES, "addresses"))
				return EXIT_USAGE;
			rc = read_address_file(o, optarg);
			if (rc)
				return rc;
			o->addresses_given = 1;
			break;
		case OPT_MAX:
			if (!takes(o, OPT_SIZE, "--max-entries") ||
			    parse_uint("--max-entries", optarg, 1, 1u << 26, &n))
				return EXIT_USAGE;
			o->max_entries = (uint32_t)n;
			break;
		case OPT_OBJECT:
			o->object_path = optarg;
			break;
		case OPT_MODE:
			if (!takes(o, OPT_SIZE, "--attach-mode"))
				return EXIT_USAGE;
			for (i = 0; i < 3 && strcmp(optarg, attach_mode_names[i]) != 0; i++)
				;
			if (i == 3) {
				report("option --attach-mode: '%s' is not single, override or multi",
				       optarg);
				return EXIT_USAGE;
			}
			o->mode = (enum attach_mode)i;
			break;
		case OPT_PAGES:
			if (!takes(o, OPT_READER, "--ring-pages") ||
			    parse_uint("--ring-pages", optarg, 1, 1u << 16, &n))
				return EXIT_USAGE;
			if (n & (n - 1)) {
				report("option --ring-pages: %lu is not a power of 2", n);
				return EXIT_USAGE;
			}
			o->ring_pages = (unsigned int)n;
			break;
		case OPT_WAKEUP:
			if (!takes(o, OPT_READER, "--wakeup-events") ||
			    parse_uint("--wakeup-events", optarg, 1, 1u << 20, &n))
				return EXIT_USAGE;
			o->wakeup_events = (unsigned int)n;
			break;
		case OPT_FLUSH:
			if (!takes(o, OPT_READER, "--flush-ms") ||
			    parse_uint("--flush-ms", optarg, 1, 60000, &n))
				return EXIT_USAGE;
			o->flush_ms = (int)n;
			break;
		case OPT_JSON:
			if (!takes(o, OPT_JSON_OUT, "--json"))
				return EXIT_USAGE;
			o->json = 1;
			break;
		case OPT_LOG:
			if (!takes(o, OPT_READER, "--log"))
				return EXIT_USAGE;
			for (i = 0; i < 3 && strcmp(optarg, log_mode_names[i]) != 0; i++)
				;
			if (i == 3) {
				report("option --log: '%s' is not all, drops or none", optarg);
				return EXIT_USAGE;
			}
			o->log_mode = (uint32_t)i;
			break;
		case OPT_DIRECTION:
			if (!takes(o, OPT_SIZE, "--direction"))
				return EXIT_USAGE;
			o->directions = strcmp(optarg, "egress") == 0	 ? 1u << DIR_EGRESS
					: strcmp(optarg, "ingress") == 0 ? 1u << DIR_INGRESS
					: strcmp(optarg, "both") == 0	 ? 3u
									 : 0;
			if (!o->directions) {
				report("option --direction: '%s' is not egress, ingress or both",
				       optarg);
				return EXIT_USAGE;
			}
			o->directions_given = 1;
			break;
		case OPT_STRICT:
			if (!takes(o, OPT_STRICT_ON, "--strict"))
				return EXIT_USAGE;
			o->strict = 1;
			break;
		case 'h':
			usage(stdout, named ? (int)o->command : -1);
			return -1;
		case 'V':
			printf(PROG_NAME " " VERSION "\n");
			return -1;
		default:
			fprintf(stderr, "Try '" PROG_NAME " %s%s--help'.\n",
				named ? command_names[o->command] : "", named ? " " : "");
			return EXIT_USAGE;
		}
	}
	/* block and unblock take addresses as arguments too: `block -c CG 192.0.2.1`. */
	for (; optind < argc; optind++) {
		if (o->command != CMD_BLOCK && o->command != CMD_UNBLOCK) {
			report("unexpected argument '%s'%s", argv[optind],
			       o->command == CMD_RUN ? "; addresses go after -b" : "");
			return EXIT_USAGE;
		}
		rc = add_address(o, argv[optind]);
		if (rc)
			return rc;
	}
	if ((o->command == CMD_BLOCK || o->command == CMD_UNBLOCK) && !o->addresses_given) {
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
	addr_list_unique(&o->block);
	return EXIT_OK;
}
