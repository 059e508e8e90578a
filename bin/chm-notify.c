/* chm-notify: alert records -> Slack, webhooks and email; the alert state is
 * written after each delivery, so a re-run sends exactly what was not sent. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/credentials.h"
#include "core/linereader.h"
#include "core/record.h"
#include "core/state.h"
#include "engines/alert.h"
#include "engines/notify.h"

static void usage(FILE *fp)
{
	fputs("usage: chm-notify [--state-file FILE] [--slack-webhook-file FILE]\n"
	      "                  [--webhook-secret-file FILE] [--smtp-url URL] [--smtp-from ADDR]\n"
	      "                  [--smtp-login-file FILE] [--cacert FILE] [--timeout S]\n"
	      "                  [--retries N] [--retry-delay S] [--retry-max-time S] [FILE...]\n"
	      "Delivers the alert records chm-alert prints by their channel (slack, webhook,\n"
	      "email); other records pass through. The state file is written after each\n"
	      "delivery. Secrets come from files: --X-file, $CREDENTIALS_DIRECTORY/slack-webhook,\n"
	      "webhook-secret, smtp-login, or $CHM_SLACK_WEBHOOK, $CHM_WEBHOOK_SECRET,\n"
	      "$CHM_SMTP_LOGIN (user:password); never on the command line.\n",
	      fp);
}

struct notify_args {
	const char *state_file, *slack_file, *secret_file, *login_file;
	struct chm_notify_opts o;
	char **files;
	int nfiles;
};

static int parse_args(int argc, char **argv, struct notify_args *a)
{
	static const struct option opts[] = {
		{ "state-file", required_argument, NULL, 's' },
		{ "slack-webhook-file", required_argument, NULL, 'S' },
		{ "webhook-secret-file", required_argument, NULL, 'W' },
		{ "smtp-url", required_argument, NULL, 'm' },
		{ "smtp-from", required_argument, NULL, 'f' },
		{ "smtp-login-file", required_argument, NULL, 'L' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "retry-delay", required_argument, NULL, 'D' },
		{ "retry-max-time", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t n;
	int c;

	a->o.http.retries = 3;
	a->o.http.on_retry = chm_warn_retry;
	while ((c = chm_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 's': a->state_file = optarg; break;
		case 'S': a->slack_file = optarg; break;
		case 'W': a->secret_file = optarg; break;
		case 'L': a->login_file = optarg; break;
		case 'm':
			if (strncmp(optarg, "smtp://", 7) && strncmp(optarg, "smtps://", 8)) {
				chm_warn("--smtp-url: expected smtp://host[:port] or smtps://host[:port]");
				return -1;
			}
			a->o.smtp_url = optarg;
			break;
		case 'f': a->o.smtp_from = optarg; break;
		case 'c': a->o.http.cacert = optarg; break;
		case 't':
			if (chm_opt_seconds("--timeout", optarg, 0.001, 3600, &a->o.http.timeout_ms))
				return -1;
			break;
		case 'r':
			if (chm_opt_int("--retries", optarg, 0, 100, &n))
				return -1;
			a->o.http.retries = (int)n;
			break;
		case 'D':
			if (chm_opt_seconds("--retry-delay", optarg, 0.001, 3600, &a->o.http.retry_base_ms))
				return -1;
			break;
		case 'M':
			if (chm_opt_seconds("--retry-max-time", optarg, 0.001, 86400, &a->o.http.retry_max_time_ms))
				return -1;
			break;
		case 'h': usage(stdout); exit(chm_close_stdout());
		case 'V': exit(chm_print_version());
		default: return -1; /* chm_getopt said why */
		}
	}
	a->files = argv + optind;
	a->nfiles = argc - optind;
	return 0;
}

struct notify_run {
	struct notify_args *a;
	struct chm_notifier *n;
	json_t *state;          /* what has been delivered, as the file will say */
	long read, delivered, failed, passed;
	int status;             /* of the first failure that matters most */
	int saved;              /* the state file was written in this run */
};

static int save(struct notify_run *r)
{
	struct chm_err err;
	if (!r->a->state_file)
		return 0;
	if (chm_state_write(r->a->state_file, r->state, &err)) {
		r->status = chm_report_err(&err);
		return -1;
	}
	r->saved = 1;
	return 0;
}

static void fail(struct notify_run *r, int status)
{
	r->failed++;
	/* configuration outranks a receiver that was down: a person must act */
	if (!r->status || status == CHM_EX_CONFIG)
		r->status = status;
}

/* One line: an alert is delivered, a state record takes the rules' first
 * evaluations, everything else passes through. -1 stops the input. */
static int handle(struct notify_run *r, const char *file, long lineno, const char *line, size_t len)
{
	struct chm_err err;
	const char *type = NULL;
	json_t *rec = chm_record_parse(line, len, &type, &err);

	r->read++;
	if (!rec) {
		chm_warn("%s:%ld: %s", file, lineno, err.msg);
		fail(r, CHM_EX_DATAERR);
		return 0;
	}
	if (type && !strcmp(type, "alert")) {
		const char *bad = chm_alert_check(rec);
		/* a state file that cannot be written would not remember the
		 * first delivery: every run would send it again and never get
		 * to the others. Find out before anything is sent. */
		if (!bad && !r->saved && save(r)) {
			json_decref(rec);
			return -1;
		}
		if (bad) {
			chm_warn("%s:%ld: an alert record with a missing or bad \"%s\"", file, lineno, bad);
			fail(r, CHM_EX_DATAERR);
		} else if (chm_notify_deliver(r->n, rec, &err)) {
			chm_warn("%s:%ld: alert %s (%s, %s) not delivered: %s", file, lineno,
				 json_string_value(json_object_get(rec, "key")),
				 json_string_value(json_object_get(rec, "state")),
				 json_string_value(json_object_get(rec, "channel")), err.msg);
			fail(r, err.status);
		} else {
			r->delivered++;
			chm_alert_state_apply(r->state, rec);
			if (save(r)) {
				json_decref(rec);
				return -1;
			}
		}
	} else if (type && !strcmp(type, "state")) {
		chm_alert_state_take_rules(r->state, json_object_get(rec, "value"));
		if (save(r)) {
			json_decref(rec);
			return -1;
		}
	} else {
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		r->passed++;
	}
	json_decref(rec);
	return 0;
}

static int read_input(struct notify_run *r, FILE *fp, const char *name)
{
	struct line_reader lr;
	struct chm_err err;
	const char *line;
	size_t len;
	int got, rc = 0;

	line_reader_init(&lr, fp, name, CHM_LINE_MAX_DEFAULT);
	while ((got = line_reader_next(&lr, &line, &len, &err)) > 0)
		if (len && handle(r, name, lr.lineno, line, len)) {
			rc = -1;
			break;
		}
	if (got < 0) {
		r->status = chm_report_err(&err);
		rc = -1;
	}
	line_reader_release(&lr);
	return rc;
}

/* Secrets: never from the command line (ps shows it). */
static int load_secrets(struct notify_args *a, char **slack, char **secret, char **login)
{
	struct chm_err err;
	const char *credir = getenv("CREDENTIALS_DIRECTORY");

	*slack = chm_secret_find(a->slack_file, credir, "slack-webhook", getenv("CHM_SLACK_WEBHOOK"), &err);
	if (!*slack && err.status)
		return chm_report_err(&err);
	*secret = chm_secret_find(a->secret_file, credir, "webhook-secret", getenv("CHM_WEBHOOK_SECRET"), &err);
	if (!*secret && err.status)
		return chm_report_err(&err);
	*login = chm_secret_find(a->login_file, credir, "smtp-login", getenv("CHM_SMTP_LOGIN"), &err);
	if (!*login && err.status)
		return chm_report_err(&err);
	if (*login && !strchr(*login, ':')) {
		chm_warn("the SMTP login must be user:password");
		return CHM_EX_CONFIG;
	}
	if (*slack && strncmp(*slack, "https://", 8) && strncmp(*slack, "http://", 7)) {
		chm_warn("the Slack webhook is not an http(s) URL");
		return CHM_EX_CONFIG;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct notify_args a = { 0 };
	struct notify_run r = { 0 };
	struct chm_err err;
	char *slack = NULL, *secret = NULL, *login = NULL;
	char host[256], from[300];

	chm_cli_init("chm-notify");
	signal(SIGPIPE, SIG_IGN);
	if (parse_args(argc, argv, &a))
		return CHM_EX_USAGE;
	int status = load_secrets(&a, &slack, &secret, &login);
	if (status)
		goto out;
	a.o.slack_webhook = slack;
	a.o.webhook_secret = secret;
	a.o.smtp_login = login;
	if (!a.o.smtp_from) {
		if (gethostname(host, sizeof(host)) || !*host)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		snprintf(from, sizeof(from), "chm@%s", host);
		a.o.smtp_from = from;
	}
	if (a.state_file && chm_state_read(a.state_file, &r.state, &err)) {
		status = chm_report_err(&err);
		goto out;
	}
	if (!r.state)
		r.state = chm_alert_state_new();
	r.a = &a;
	r.n = chm_notifier_new(&a.o, &err);
	if (!r.n) {
		status = chm_report_err(&err);
		goto out;
	}
	if (a.nfiles == 0) {
		read_input(&r, stdin, "-");
	} else {
		for (int i = 0; i < a.nfiles; i++) {
			FILE *fp = strcmp(a.files[i], "-") ? fopen(a.files[i], "r") : stdin;
			if (!fp) {
				chm_warn("cannot open %s: %s", a.files[i], strerror(errno));
				r.status = CHM_EX_IOERR;
				break;
			}
			int rc = read_input(&r, fp, a.files[i]);
			if (fp != stdin)
				fclose(fp);
			if (rc)
				break;
		}
	}
	printf("{\"type\":\"summary\",\"read\":%ld,\"delivered\":%ld,\"failed\":%ld,\"passed\":%ld}\n", r.read,
	       r.delivered, r.failed, r.passed);
	status = r.status;
out:
	chm_notifier_free(r.n);
	json_decref(r.state);
	chm_secret_free(slack);
	chm_secret_free(secret);
	chm_secret_free(login);
	return chm_exit_status(status, NULL);
}
