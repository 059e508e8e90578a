#include "core/cli.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/http.h"
#include "core/progress.h"
#include "core/redact.h"
#include "core/reject.h"
#include "core/strbuf.h"
#include "core/suggest.h"
#include "core/table.h"

const char *chm_program = "chm";

void chm_cli_init(const char *program)
{
	chm_program = program;
	/* a closed pipe downstream shows up as EPIPE from write, handled there */
	signal(SIGPIPE, SIG_IGN);
}

void chm_warn(const char *fmt, ...)
{
	va_list ap;
	struct strbuf msg = STRBUF_INIT, clean = STRBUF_INIT;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	chm_progress_interrupt();   /* a line of its own, not after a meter's */
	/* a message quotes what it read: a partner's text, a URL, a conninfo;
	 * its secrets are hidden and its control bytes cannot drive the
	 * terminal (a partner's error message with an escape sequence) */
	struct strbuf *said = chm_redact_text(msg.buf, msg.len, &clean) ? &clean : &msg;
	while (said->len && said->buf[said->len - 1] == '\n')
		said->buf[--said->len] = '\0'; /* libpq's messages end with one */
	if (said->buf)
		chm_table_sanitise(said->buf);
	fprintf(stderr, "%s: %s\n", chm_program, said->buf ? said->buf : "");
	strbuf_release(&msg);
	strbuf_release(&clean);
}

void chm_warn_retry(const struct chm_http_retry *r, void *arg)
{
	(void)arg;
	chm_warn("%s %s: %s; retry %d/%d in %.1fs", r->method, r->url, r->reason, r->attempt, r->max_attempts - 1,
		 r->delay_ms / 1000.0);
}

int chm_report_err(const struct chm_err *err)
{
	chm_warn("%s", err->msg);
	return err->status ? err->status : CHM_EX_SOFTWARE;
}

/* The line for the option getopt_long refused, argv[optind - 1]. */
static void option_mistake(const char *arg, const struct option *longopts)
{
	struct strbuf sb = STRBUF_INIT;
	const char *names[128];
	size_t n = 0, len = strcspn(arg + 2, "="), prefixed = 0;
	const struct option *exact = NULL;

	for (const struct option *o = longopts; o->name && n < 128; o++) {
		names[n++] = o->name;
		if (strlen(o->name) == len && strncmp(o->name, arg + 2, len) == 0)
			exact = o;
		prefixed += strncmp(o->name, arg + 2, len) == 0;
	}
	if (exact && exact->has_arg == required_argument)
		strbuf_addf(&sb, "option --%s needs a value", exact->name);
	else if (exact)
		strbuf_addf(&sb, "option --%s takes no value", exact->name);
	else if (prefixed > 1 && len > 0) {
		strbuf_addf(&sb, "option %.*s is ambiguous:", (int)(len + 2), arg);
		for (size_t i = 0; i < n; i++)
			if (strncmp(names[i], arg + 2, len) == 0)
				strbuf_addf(&sb, " --%s", names[i]);
	} else
		chm_suggest_option(&sb, arg, names, n);
	chm_warn("%s", sb.buf);
	strbuf_release(&sb);
}

int chm_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	opterr = 0;   /* one line, ours */
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	if (strncmp(arg, "--", 2) == 0)
		option_mistake(arg, longopts);
	else
		chm_warn("unknown option -%c", optopt ? optopt : '?');
	return '?';
}

int chm_color_auto(const char *no_color_env, int fd)
{
	return !(no_color_env && *no_color_env) && isatty(fd);
}

int chm_color_parse(const char *when, int *color)
{
	if (strcmp(when, "always") == 0)
		*color = 1;
	else if (strcmp(when, "never") == 0)
		*color = 0;
	else if (strcmp(when, "auto") != 0)
		return -1;
	return 0;
}

int chm_opt_int(const char *opt, const char *value, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (errno || end == value || *end || v < min || v > max) {
		chm_warn("%s: expected a whole number from %lld to %lld, got \"%s\"", opt,
			 (long long)min, (long long)max, value);
		return -1;
	}
	*out = v;
	return 0;
}

/* 1 when stdout is a pipe nobody reads any more. A write that failed with
 * EPIPE long ago leaves only ferror() set, and errno has moved on since. */
static int reader_gone(void)
{
	struct pollfd p = { .fd = fileno(stdout), .events = 0 };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

int chm_close_stdout(void)
{
	int before = errno; /* likely the failed write's, when fflush has nothing left */
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = errno ? errno : before ? before : EIO;
		if (e == EPIPE || reader_gone())
			return 0; /* the reader went away: not our error */
		chm_warn("write error on standard output: %s", strerror(e));
		return CHM_EX_IOERR;
	}
	return 0;
}

int chm_print_version(void)
{
	printf("%s %s\n", chm_program, CHM_VERSION);
	return chm_close_stdout();
}

int chm_opt_seconds(const char *opt, const char *value, double min, double max, long *ms)
{
	char *end;
	errno = 0;
	double d = strtod(value, &end);
	if (errno || end == value || *end || !isfinite(d) || d < min || d > max) {
		chm_warn("%s: expected seconds from %g to %g, got \"%s\"", opt, min, max, value);
		return -1;
	}
	*ms = (long)(d * 1000.0 + 0.5);
	return 0;
}

int chm_exit_status(int status, struct chm_rejects *rj)
{
	struct chm_err cerr;
	char counted[512];
	/* the last line a person reads: what was rejected, by code. Not when
	 * the rejects themselves are the NDJSON on a piped stderr. */
	if (rj && (rj->fd >= 0 || isatty(STDERR_FILENO)) && chm_rejects_summary(rj, counted, sizeof(counted)))
		chm_warn("%s", counted);
	/* lost rejects are worse than rejected input: say so, exit 74 */
	if (rj && chm_rejects_close(rj, &cerr)) {
		int st = chm_report_err(&cerr);
		if (!status || status == CHM_EX_DATAERR)
			status = st;
	}
	/* output lost on a full disk is worse than rejected input */
	int out = chm_close_stdout();
	return out && (!status || status == CHM_EX_DATAERR) ? out : status;
}
