// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "advisor/cli/cli.h"
#include "advisor/cli/unwatched.h"
#include "config.h"
#include "advisor/record/recorder.h"
#include "nft/table.h"
#include "advisor/lib/util.h"

#define DEFAULT_CHECKPOINT_MS 5000
#define DEFAULT_NFLOG_GROUP CTA_TABLE_DEFAULT_NFLOG_GROUP
#define DEFAULT_TRACE_RATE CTA_TABLE_DEFAULT_TRACE_RATE

static int run(int argc, char **argv, const struct cta_global *g);

const struct cta_cmd cta_cmd_record = {
	"record",
	run,
	"record the flows crossing this host into a session file",
	"Usage: conntrack-advise record [-o FILE] [-d DURATION] [--trace new|all|none]\n"
	"                               [--trace-rate N] [--rotate DURATION]\n"
	"                               [--checkpoint-interval DURATION] [--rcvbuf BYTES]\n"
	"                               [--nflog-group N] [--events FILE|-] [--no-bpf]\n"
	"                               [--no-reliable-events]\n"
	"\n"
	"Follows conntrack (a dump, then the DESTROY event of each connection's end, read\n"
	"in batches up to 50 ms late, and dumps at checkpoints for those still open)\n"
	"in this network namespace until SIGINT/SIGTERM or the duration, and writes a\n"
	"session file.\n"
	"nf_tables tracing gives each flow the verdict, rule and path that decided its first\n"
	"packet; NFLOG sees first packets of flows never let through, even without it.\n"
	"Denials are counted in the kernel: first packets of each flow where they enter the\n"
	"filter hooks and where they leave them; what never left was denied, exactly (but\n"
	"a packet in to a multicast group its interface had not joined, which the stack\n"
	"discards whatever the firewall says, is no denial unless a trace saw a rule drop\n"
	"it).\n"
	"While it runs, a table 'inet conntrack_advise' exists; the kernel removes it when\n"
	"the tool exits, however it exits. nf_conntrack_acct and nf_conntrack_timestamp are\n"
	"switched on for the recording and put back afterwards. With eBPF (CAP_BPF, BTF),\n"
	"each flow gets the local process on its end: pid, command, executable, user and\n"
	"cgroup; without it, one warning and the recording goes on without processes.\n"
	"iptables-legacy tables that decide something are followed too: nfnetlink_log is\n"
	"bound as the packet logger (net.netfilter.nf_log.2 and .10, put back at exit) and\n"
	"ip_tables' TRACE lines for traced packets are read on NFLOG group 0; their rules\n"
	"come from iptables-legacy-save.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE        the session file (mode 0600), rewritten atomically\n"
	"                           every checkpoint; without it, the session goes to\n"
	"                           stdout at the end\n"
	"  -d, --duration DURATION  stop after this long: 90, 30s, 10m, 2h, 1d\n"
	"      --rotate DURATION    one complete session file per period (1d: a day, ending\n"
	"                           at midnight UTC); FILE is a strftime() pattern in UTC\n"
	"                           (s-%Y%m%d.json), or gets -YYYYmmddTHHMMSSZ before its\n"
	"                           extension; the open one is checkpointed; SIGHUP ends\n"
	"                           the current file and starts a new one\n"
	"      --checkpoint-interval DURATION\n"
	"                           how often FILE is rewritten, after a dump of the\n"
	"                           conntrack table when one is due (default 5s; dumps take\n"
	"                           0.5% of a CPU at most, checkpoints 5%: further apart when\n"
	"                           large, 1 min at most; without FILE, dumps while first\n"
	"                           packets wait for a dump to show their connections)\n"
	"      --rcvbuf BYTES       event socket receive buffer (default 33554432)\n"
	"      --trace MODE         new (default): trace the first packet of each flow, once\n"
	"                           in 30 s (TCP SYNs: 5, then 1 a second) and afresh after\n"
	"                           a ruleset change; a flow whose denials no trace named\n"
	"                           yet: 1 packet in 4 at random for 60 s; all: every\n"
	"                           packet (costly); none: no tracing\n"
	"      --trace-rate N       --trace new traces at most N new flows a second (a burst\n"
	"                           of N, then N a second; default 1000; 0: no limit); a\n"
	"                           flow over it is counted, with its denials, all the\n"
	"                           same, and traced later when the budget has room (see\n"
	"                           the manual: not always its next connection)\n"
	"      --nflog-group N      NFLOG group for the first packets of flows never let\n"
	"                           through (default 4711; 0: none)\n"
	"      --events FILE|-      also append one JSON line per connection that starts\n"
	"                           or ends, reading conntrack's NEW events too; '-':\n"
	"                           stdout, with -o FILE (" CTA_DOC_DIR "/events.md)\n"
	"      --no-bpf             no eBPF: flows get no process\n"
	"      --no-reliable-events the kernel drops conntrack events that do not fit in\n"
	"                           the buffer, and a dump resyncs (by default it holds the\n"
	"                           ends of connections until read, while its table has\n"
	"                           room: nothing lost)\n"
	"\n"
	"Examples:\n"
	"  conntrack-advise record -o session.json\n"
	"  conntrack-advise record -d 10m -o /var/lib/conntrack-advise/web1.json\n"
	"  conntrack-advise record --rotate 1d -o /var/lib/conntrack-advise/s-%Y%m%d.json\n"
	"  ip netns exec lab conntrack-advise record -d 30s > session.json\n"
	"  conntrack-advise record -o s.json --events - | kafkacat -P -b broker -t flows\n",
};

struct ui {
	bool live; /* a status line on a terminal */
	bool quiet;
	bool drawn;
};

static void on_status(const struct cta_record_status *st, void *data)
{
	struct ui *ui = data;
	unsigned s = (unsigned)(st->elapsed_ms / 1000);

	if (st->final) {
		if (ui->drawn)
			fputs("\r\033[K", stderr);
		if (!ui->quiet)
			fprintf(stderr,
				"conntrack-advise: recorded %llu flow%s in %u:%02u:%02u, %llu "
				"connection%s open at the end, %llu overrun%s\n",
				(unsigned long long)st->flows, st->flows == 1 ? "" : "s", s / 3600,
				s / 60 % 60, s % 60, (unsigned long long)st->open_connections,
				st->open_connections == 1 ? "" : "s", (unsigned long long)st->lost,
				st->lost == 1 ? "" : "s");
		return;
	}
	if (!ui->live)
		return;
	fprintf(stderr,
		"\r\033[Krecording %u:%02u:%02u  flows %llu  open %llu  events/s %llu  lost %llu",
		s / 3600, s / 60 % 60, s % 60, (unsigned long long)st->flows,
		(unsigned long long)st->open_connections, (unsigned long long)st->events_per_s,
		(unsigned long long)st->lost);
	ui->drawn = true;
}

static void on_notice(const char *msg, void *data)
{
	struct ui *ui = data;

	if (ui->drawn)
		fputs("\r\033[K", stderr);
	cta_msg("warning: %s", msg);
}

static void on_verbose(const char *msg, void *data)
{
	struct ui *ui = data;

	if (ui->drawn)
		fputs("\r\033[K", stderr);
	ui->drawn = false;
	/* a message of several lines (the table): the lines after the first indented */
	fputs("conntrack-advise: record: ", stderr);
	for (const char *p = msg; *p; p++) {
		fputc(*p, stderr);
		if (*p == '\n')
			fputs("  ", stderr);
	}
	fputc('\n', stderr);
}

static int duration_opt(const char *name, const char *arg, uint64_t *ms, bool zero_ok)
{
	if (cta_parse_duration(arg, ms) < 0 || (!zero_ok && *ms == 0))
		return cta_usage_error(&cta_cmd_record,
				       "%s: '%s' is not a duration (like 90, 30s, 10m, 2h)", name,
				       arg);
	return 0;
}

/* The options into CFG. -1 to go on, or the exit status (--help, bad usage). */
/* What the options say together, once all are read: -1 to go on, or the exit status. */
static int check_options(int argc, char **argv, struct cta_record_config *cfg)
{
	if (optind < argc)
		return cta_usage_error(&cta_cmd_record, "unexpected argument '%s'", argv[optind]);
	if (cfg->output && !strcmp(cfg->output, "-"))
		cfg->output = NULL;
	if (cfg->rotate_ms && !cfg->output)
		return cta_usage_error(&cta_cmd_record,
				       "--rotate needs -o FILE: the files' name (a pattern)");
	if (cfg->rotate_ms && cfg->rotate_ms < 1000)
		return cta_usage_error(&cta_cmd_record, "--rotate: a period of 1s at least");
	return -1;
}

static int parse_options(int argc, char **argv, struct cta_record_config *cfg)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "checkpoint-interval", required_argument, NULL, 'C' },
		{ "rcvbuf", required_argument, NULL, 'R' },
		{ "trace", required_argument, NULL, 'T' },
		{ "nflog-group", required_argument, NULL, 'G' },
		{ "trace-rate", required_argument, NULL, 'L' },
		{ "events", required_argument, NULL, 'E' },
		{ "no-bpf", no_argument, NULL, 'B' },
		{ "no-reliable-events", no_argument, NULL, 'U' },
		{ "rotate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	uint64_t v;
	int c, rc;
	bool trace_rate = false;

	while ((c = getopt_long(argc, argv, "o:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			cfg->output = optarg;
			break;
		case 'd':
			if ((rc = duration_opt("--duration", optarg, &cfg->duration_ms, false)))
				return rc;
			break;
		case 'C':
			if ((rc = duration_opt("--checkpoint-interval", optarg, &cfg->checkpoint_ms,
					       false)))
				return rc;
			break;
		case 'R':
			if (cta_parse_uint(optarg, 4096, 1u << 30, &v) < 0)
				return cta_usage_error(
					&cta_cmd_record,
					"--rcvbuf: '%s' is not a number of bytes from "
					"4096 to 1073741824",
					optarg);
			cfg->rcvbuf = (unsigned)v;
			break;
		case 'T':
			rc = cta_trace_mode_from_name(optarg);
			if (rc < 0 || rc == CTA_TRACE_MATCH)
				return cta_usage_error(&cta_cmd_record,
						       "--trace: '%s' is not new, all or none",
						       optarg);
			cfg->table.trace = (enum cta_trace_mode)rc;
			break;
		case 'G':
			if (cta_parse_uint(optarg, 0, 65535, &v) < 0)
				return cta_usage_error(
					&cta_cmd_record,
					"--nflog-group: '%s' is not a group from 0 to 65535",
					optarg);
			cfg->table.nflog_group = (uint16_t)v;
			break;
		case 'L':
			if (cta_parse_uint(optarg, 0, 1000000, &v) < 0)
				return cta_usage_error(
					&cta_cmd_record,
					"--trace-rate: '%s' is not a number of flows a second "
					"from 0 to 1000000",
					optarg);
			cfg->table.trace_rate = (uint32_t)v;
			trace_rate = true;
			break;
		case 'E':
			cfg->events_name = optarg;
			break;
		case 'r':
			if ((rc = duration_opt("--rotate", optarg, &cfg->rotate_ms, false)))
				return rc;
			break;
		case 'B':
			cfg->no_bpf = true;
			break;
		case 'U':
			cfg->no_reliable = true;
			break;
		case 'h':
			cta_print_usage(&cta_cmd_record, stdout);
			return CTA_EXIT_OK;
		default:
			return cta_usage_error(&cta_cmd_record, "bad option");
		}
	}
	if (trace_rate && cfg->table.trace != CTA_TRACE_NEW)
		return cta_usage_error(
			&cta_cmd_record,
			"--trace-rate: a budget of --trace new (--trace %s traces %s)",
			cfg->table.trace == CTA_TRACE_ALL ? "all" : "none",
			cfg->table.trace == CTA_TRACE_ALL ? "every packet" : "nothing");
	return check_options(argc, argv, cfg);
}

/*
 * -o onto a device or pipe, and --events: opened here, before the recording. -1 to go
 * on, or the exit status; *OUT_FD is the descriptor the caller closes (-1: none).
 */
static int open_outputs(struct cta_record_config *cfg, int *out_fd)
{
	char real[PATH_MAX];

	*out_fd = -1;
	/* --rotate: FILE is a pattern for regular files, each written as -o FILE is */
	if (cfg->output && !cfg->rotate_ms &&
	    cta_output_resolve(cfg->output, real, sizeof(real)) == CTA_OUT_STREAM) {
		/* a device or pipe gets the session once, at the end, like stdout */
		*out_fd = cta_open_append(cfg->output, 0600);
		if (*out_fd < 0) {
			cta_msg("record: %s: %s", cfg->output, cta_write_strerror(*out_fd));
			return CTA_EXIT_USAGE;
		}
		cfg->out_fd = *out_fd;
		cfg->out_name = cfg->output;
		cfg->output = NULL;
	}
	if (cfg->events_name && !strcmp(cfg->events_name, "-")) {
		if (!cfg->output)
			return cta_usage_error(&cta_cmd_record,
					       "--events -: standard output carries the session; "
					       "give -o FILE for it");
		cfg->events_fd = STDOUT_FILENO;
	} else if (cfg->events_name) {
		/* appended to: a log shipper may be following it across recordings */
		cfg->events_fd = cta_open_append(cfg->events_name, 0600);
		if (cfg->events_fd < 0) {
			cta_msg("record: --events: %s: %s", cfg->events_name,
				cta_write_strerror(cfg->events_fd));
			return CTA_EXIT_USAGE;
		}
	}
	return -1;
}

/* What the recording will not see, said before it starts. */
static void warn_unwatched(const struct cta_record_config *cfg)
{
	bool traced = cfg->table.trace != CTA_TRACE_NONE;
	char unwatched[1024];
	size_t all = cta_unwatched_live(false, unwatched, sizeof(unwatched));

	if (cfg->table.trace == CTA_TRACE_ALL)
		cta_msg("warning: --trace all traces every packet: the kernel builds several "
			"messages per packet, which slows traffic and may lose trace events");
	/* ingress chains on a device are traced at ingress (TCP SYNs with --trace new) */
	if (all && cta_unwatched_live(traced, unwatched, sizeof(unwatched)))
		cta_msg("record: warning: not watched: %s: what these chains drop or accept "
			"is not recorded",
			unwatched);
	if (all && traced && cfg->table.trace == CTA_TRACE_NEW &&
	    all > cta_unwatched_live(true, unwatched, sizeof(unwatched)))
		cta_msg("record: ingress chains are traced for TCP connection attempts only: "
			"what they drop of other protocols is not recorded");
}

static int run(int argc, char **argv, const struct cta_global *g)
{
	int out_fd = -1;
	struct ui ui = { .live = !g->quiet && isatty(STDERR_FILENO), .quiet = g->quiet };
	struct cta_record_config cfg = {
		.out_fd = STDOUT_FILENO,
		.events_fd = -1,
		.checkpoint_ms = DEFAULT_CHECKPOINT_MS,
		.rcvbuf = CTA_RECORD_RCVBUF,
		.table = { .conntrack = true,
			   .count = true,
			   .trace = CTA_TRACE_NEW,
			   .trace_rate = DEFAULT_TRACE_RATE,
			   .nflog_group = DEFAULT_NFLOG_GROUP },
		.generator = "conntrack-advise " CTA_VERSION,
		.on_status = on_status,
		.on_notice = on_notice,
		.on_verbose = g->verbose ? on_verbose : NULL,
		.data = &ui,
	};
	enum cta_record_fail fail;
	struct cta_err err;
	struct cta_ruleset *counted;
	char grown[1024];
	int rc;

	if ((rc = parse_options(argc, argv, &cfg)) >= 0 || (rc = open_outputs(&cfg, &out_fd)) >= 0)
		return rc;
	/*
	 * A reader of the events (or of stderr) that goes away ends the stream, not the
	 * recording: the sysctls are put back and the session written all the same.
	 */
	signal(SIGPIPE, SIG_IGN);
	if (!g->quiet)
		warn_unwatched(&cfg);
	counted = g->quiet ? NULL : cta_live_counted();
	rc = cta_record_run(&cfg, &fail, &err);
	if (cta_unwatched_counted_since(counted, grown, sizeof(grown))) {
		if (ui.drawn)
			fputs("\r\033[K", stderr);
		cta_msg("record: not watched, yet counted while recording: %s", grown);
	}
	if (cfg.events_fd > STDOUT_FILENO)
		close(cfg.events_fd);
	if (out_fd >= 0 && close(out_fd) < 0 && !rc) {
		cta_msg("record: %s", strerror(errno));
		return CTA_EXIT_USAGE;
	}
	if (!rc)
		return CTA_EXIT_OK;
	if (ui.drawn)
		fputs("\r\033[K", stderr);
	cta_msg("record: %s", err.msg);
	return fail == CTA_RECORD_OUTPUT ? CTA_EXIT_USAGE : CTA_EXIT_SYSTEM;
}
