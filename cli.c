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

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG_NAME
		" [run] [-c|--cgroup-path PATH] [-b|--block ADDR]... [-f|--file FILE|-]...\n"
		"       [--max-entries N] [--object FILE] [--attach-mode single|override|multi]\n"
		"       [--ring-pages N]\n"
		"       [--wakeup-events N] [--flush-ms MS] [-h|--help] [-V|--version]\n"
		"       " PROG_NAME " status [-c PATH] [--json] [--object FILE]\n"
		"       " PROG_NAME " list [-c PATH] [--json] [--object FILE]\n"
		"       " PROG_NAME " detach [-c PATH] [--object FILE]\n"
		"\n"
		"Drop packets that processes in a cgroup v2 send to blocked IPv4 addresses,\n"
		"and print one line per packet: LOG: DST 1.1.1.1, ACTION 0 (0 dropped, 1 passed).\n"
		"Runs until SIGINT, SIGTERM or SIGHUP (or another signal that would end it),\n"
		"then detaches and exits.\n"
		"\n"
		"  -c, --cgroup-path PATH  cgroup v2 directory (default /sys/fs/cgroup/unified)\n"
		"  -b, --block ADDR        block this dotted-decimal IPv4 address; repeatable\n"
		"                          (default, without -b or -f: 1.1.1.1)\n"
		"  -f, --file FILE         block the addresses in FILE (- for stdin), one per\n"
		"                          line, # comments; all lines are checked first\n"
		"      --max-entries N     size of the blocklist map (default: the object's,\n"
		"                          1024 for the embedded one)\n"
		"      --object FILE       load this BPF object instead of the embedded one\n"
		"      --attach-mode MODE  single (default): refuse if a program is attached;\n"
		"                          override: let child cgroups replace ours;\n"
		"                          multi: run alongside other multi programs\n"
		"      --ring-pages N      perf ring size per CPU in pages, a power of 2 (64)\n"
		"      --wakeup-events N   wake the reader every N events (64)\n"
		"      --flush-ms MS       print pending events at least every MS ms (100)\n"
		"  -h, --help              show this help\n"
		"  -V, --version           show the version\n"
		"\n"
		"status prints what is on the cgroup's egress hook, list each blocked address\n"
		"and the packets dropped to it (one JSON object per line with --json); detach\n"
		"takes every program of ours off the hook, never anyone else's.\n"
		"\n"
		"Exit status: 0 ok, 1 system failure (privilege, kernel, attach conflict),\n"
		"2 usage or bad input (bad address, bad object file), 3 nothing of ours is\n"
		"attached (status, list, detach).\n");
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

int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_OBJECT = 256, OPT_MODE, OPT_PAGES, OPT_WAKEUP, OPT_FLUSH, OPT_JSON, OPT_MAX };
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n;
	uint32_t a;
	size_t i;
	int c, rc;

	/* A subcommand comes first; without one, this is `run`, the Aya example's behaviour. */
	for (i = 0; argc > 1 && i < sizeof(command_names) / sizeof(command_names[0]); i++)
		if (strcmp(argv[1], command_names[i]) == 0) {
			o->command = (enum command)i;
			argc--; /* getopt takes the subcommand for the program name */
			argv++;
			break;
		}
	o->cgroup_path = "/sys/fs/cgroup/unified";
	o->ring_pages = 64;
	o->wakeup_events = 64;
	o->flush_ms = 100;
	while ((c = getopt_long(argc, argv, "c:b:f:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->cgroup_path = optarg;
			break;
		case 'b':
			o->run_options = 1;
			if (ipv4_parse(optarg, &a)) {
				report("invalid IPv4 address '%s': use dotted decimal like 192.0.2.1",
				       optarg);
				return EXIT_USAGE;
			}
			if (addr_list_add(&o->block, a)) {
				report("parsing the command line: %s", errno_text(ENOMEM));
				return EXIT_SYSTEM;
			}
			o->addresses_given = 1;
			break;
		case 'f':
			o->run_options = 1;
			rc = read_address_file(o, optarg);
			if (rc)
				return rc;
			o->addresses_given = 1;
			break;
		case OPT_MAX:
			o->run_options = 1;
			if (parse_uint("--max-entries", optarg, 1, 1u << 26, &n))
				return EXIT_USAGE;
			o->max_entries = (uint32_t)n;
			break;
		case OPT_OBJECT:
			o->object_path = optarg;
			break;
		case OPT_MODE:
			o->run_options = 1;
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
			o->run_options = 1;
			if (parse_uint("--ring-pages", optarg, 1, 1u << 16, &n))
				return EXIT_USAGE;
			if (n & (n - 1)) {
				report("option --ring-pages: %lu is not a power of 2", n);
				return EXIT_USAGE;
			}
			o->ring_pages = (unsigned int)n;
			break;
		case OPT_WAKEUP:
			o->run_options = 1;
			if (parse_uint("--wakeup-events", optarg, 1, 1u << 20, &n))
				return EXIT_USAGE;
			o->wakeup_events = (unsigned int)n;
			break;
		case OPT_FLUSH:
			o->run_options = 1;
			if (parse_uint("--flush-ms", optarg, 1, 60000, &n))
				return EXIT_USAGE;
			o->flush_ms = (int)n;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			printf(PROG_NAME " " VERSION "\n");
			return -1;
		default:
			fprintf(stderr, "Try '" PROG_NAME " --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		report("unexpected argument '%s'; addresses go after -b", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->command != CMD_RUN && o->run_options) {
		report("%s takes only -c, --object%s", command_names[o->command],
		       o->command == CMD_DETACH ? "" : " and --json");
		return EXIT_USAGE;
	}
	if (o->json && o->command != CMD_STATUS && o->command != CMD_LIST) {
		report("--json goes with status and list");
		return EXIT_USAGE;
	}
	if (!o->addresses_given && ipv4_parse("1.1.1.1", &a) == 0 && addr_list_add(&o->block, a)) {
		report("parsing the command line: %s", errno_text(ENOMEM)); /* the Aya example's */
		return EXIT_SYSTEM;
	}
	addr_list_unique(&o->block);
	return EXIT_OK;
}
