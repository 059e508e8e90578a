/* chm-fetch: partner API -> `raw` records and `state` bookmarks on stdout,
 * for every pipeline of a source, across all pages, incrementally. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chmtime.h"
#include "cli.h"
#include "credentials.h"
#include "db.h"
#include "fetch.h"
#include "http.h"
#include "record.h"
#include "state.h"
#include "strbuf.h"

static volatile int terminated;

static void on_term(int sig)
{
	terminated = sig;
}

static void usage(FILE *fp)
{
	fputs("usage: chm-fetch --source airflow|dbt_cloud|vendor --base-url URL\n"
	      "                 [--client C] [--pipeline NAME] [--pipelines FILE | --db CONNINFO]\n"
	      "                 [--since T] [--state-file FILE] [--page-size N] [--max-pages N]\n"
	      "                 [--max-lookback DURATION] [--account-id ID] [--mapping FILE]\n"
	      "                 [--airflow-api v1|v2] [--state-interval S] [--now T]\n"
	      "                 [--token-file FILE] [--auth bearer|token|basic] [--cacert FILE]\n"
	      "                 [--connect-timeout S] [--timeout S] [--retries N] [--retry-delay S]\n"
	      "                 [--retry-max-time S] [--retry-after-max S] [--max-response BYTES]\n"
	      "Fetches the runs of every active pipeline of the source that has an external_id\n"
	      "and prints them as raw records, with a state record (the bookmarks) after each page.\n"
	      "Credentials: --token-file, $CREDENTIALS_DIRECTORY/<source>-token, $CHM_FETCH_TOKEN,\n"
	      "or $CHM_FETCH_BASIC (user:password); never on the command line.\n",
	      fp);
}

/* A write to stdout failed. EPIPE is the reader going away (chm-load
 * stopped): not our error, and no status of ours may hide the reader's. */
static int out_error(struct chm_err *err)
{
	if (errno == EPIPE)
		return chm_err_set(err, CHM_EX_IOERR, CHM_E_READER_GONE, "", "the reader of standard output went away");
	return chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "", "write error on standard output: %s", strerror(errno));
}

struct out {
	long raw, states;
	long interval_ms;     /* --state-interval: at most one state record this often */
	int64_t last_state;   /* when the last one was printed (usec) */
	int pending;          /* a state was skipped: print it at the end */
};

static int write_line(json_t *v, struct chm_err *err)
{
	if (chm_record_write(stdout, v) || ferror(stdout))
		return out_error(err);
	return 0;
}

static int sink_raw(const char *line, size_t len, void *arg, struct chm_err *err)
{
	((struct out *)arg)->raw++;
	if (fwrite(line, 1, len, stdout) != len || putchar('\n') == EOF)
		return out_error(err);
	return 0;
}

/* After each page: what was printed so far stays valid whatever happens next. */
static int sink_state(json_t *value, void *arg, struct chm_err *err)
{
	struct out *o = arg;
	int64_t now = chm_time_now();
	if (o->interval_ms && now - o->last_state < (int64_t)o->interval_ms * 1000) {
		o->pending = 1; /* the raw records still go out; only the bookmark waits */
		return fflush(stdout) ? out_error(err) : 0;
	}
	o->last_state = now;
	o->pending = 0;
	json_t *rec = json_object();
	json_object_set_new(rec, "type", json_string("state"));
	json_object_set(rec, "value", value);
	int rc = write_line(rec, err);
	json_decref(rec);
	if (rc == 0 && fflush(stdout))
		rc = out_error(err);
	o->states++;
	return rc;
}

static void sink_warn(const char *msg, void *arg)
{
	chm_warn("%s", msg);
}

static void on_retry(const struct chm_http_retry *r, void *arg)
{
	chm_warn("GET %s: %s; retry %d/%d in %.1fs", r->url, r->reason, r->attempt, r->max_attempts - 1,
		 r->delay_ms / 1000.0);
}

static int pipelines_from_db(const char *db, int source, const char *client, const char *name,
			     struct chm_fetch_pipeline **list, size_t *n, struct chm_err *err)
{
	PGconn *conn = chm_db_connect(db, "chm-fetch", err);
	if (!conn)
		return -1;
	const char *params[3] = { chm_fetch_source_platform(source), client, name };
	PGresult *res = chm_db_query_file(conn, "queries/fetch_pipelines.sql", 3, params, err);
	if (!res) {
		PQfinish(conn);
		return -1;
	}
	int rows = PQntuples(res);
	*list = chm_xmalloc(sizeof(**list) * (size_t)(rows ? rows : 1));
	*n = 0;
	for (int i = 0; i < rows; i++) {
		if (!chm_fetch_source_wants(source, PQgetvalue(res, i, 2)))
			continue;
		(*list)[*n].client = chm_xstrdup(PQgetvalue(res, i, 0));
		(*list)[*n].name = chm_xstrdup(PQgetvalue(res, i, 1));
		(*list)[*n].external_id = chm_xstrdup(PQgetvalue(res, i, 2));
		(*n)++;
	}
	PQclear(res);
	PQfinish(conn);
	return 0;
}

/* Errors that end the whole run rather than one pipeline. */
static int is_fatal(const struct chm_err *e)
{
	return e->status != CHM_EX_UNAVAILABLE || e->kind == CHM_E_UNAVAILABLE;
}

int main(int argc, char **argv)
{
	enum {
		O_SOURCE = 256, O_BASE, O_CLIENT, O_PIPELINE, O_PIPELINES, O_DB, O_SINCE, O_STATE, O_PAGE,
		O_MAXPAGES, O_ACCOUNT, O_MAPPING, O_TOKENFILE, O_AUTH, O_CACERT, O_CTIMEOUT, O_TIMEOUT,
		O_RETRIES, O_RDELAY, O_RMAX, O_RAMAX, O_MAXRESP, O_LOOKBACK, O_AFAPI, O_SINTERVAL, O_NOW,
	};
	static const struct option opts[] = {
		{ "source", required_argument, NULL, O_SOURCE },
		{ "base-url", required_argument, NULL, O_BASE },
		{ "client", required_argument, NULL, O_CLIENT },
		{ "pipeline", required_argument, NULL, O_PIPELINE },
		{ "pipelines", required_argument, NULL, O_PIPELINES },
		{ "db", required_argument, NULL, O_DB },
		{ "since", required_argument, NULL, O_SINCE },
		{ "state-file", required_argument, NULL, O_STATE },
		{ "page-size", required_argument, NULL, O_PAGE },
		{ "max-pages", required_argument, NULL, O_MAXPAGES },
		{ "account-id", required_argument, NULL, O_ACCOUNT },
		{ "mapping", required_argument, NULL, O_MAPPING },
		{ "token-file", required_argument, NULL, O_TOKENFILE },
		{ "auth", required_argument, NULL, O_AUTH },
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "connect-timeout", required_argument, NULL, O_CTIMEOUT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "retry-delay", required_argument, NULL, O_RDELAY },
		{ "retry-max-time", required_argument, NULL, O_RMAX },
		{ "retry-after-max", required_argument, NULL, O_RAMAX },
		{ "max-response", required_argument, NULL, O_MAXRESP },
		{ "max-lookback", required_argument, NULL, O_LOOKBACK },
		{ "airflow-api", required_argument, NULL, O_AFAPI },
		{ "state-interval", required_argument, NULL, O_SINTERVAL },
		{ "now", required_argument, NULL, O_NOW },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct chm_fetch_opts fo = { 0 };
	struct chm_http_opts ho = { 0 };
	struct out out = { 0 };
	struct chm_err err;
	const char *source = NULL, *client = NULL, *pname = NULL, *pipelines_file = NULL,
		   *db = getenv("CHM_DATABASE_URL");
	const char *since = NULL, *lookback = NULL, *now_arg = NULL, *state_file = NULL, *mapping = NULL, *token_file = NULL, *auth = NULL;
	int64_t n;
	int c;

	chm_cli_init("chm-fetch");
	chm_err_clear(&err);
	fo.page_size = 100;
	fo.max_pages = 1000;
	fo.max_lookback = 7 * 86400 * INT64_C(1000000);
	ho.retries = 5;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_SOURCE: source = optarg; break;
		case O_BASE: fo.base_url = optarg; break;
		case O_CLIENT: client = optarg; break;
		case O_PIPELINE: pname = optarg; break;
		case O_PIPELINES: pipelines_file = optarg; break;
		case O_DB: db = optarg; break;
		case O_SINCE: since = optarg; break;
		case O_STATE: state_file = optarg; break;
		case O_PAGE:
			if (chm_opt_int("--page-size", optarg, 1, 10000, &n))
				return CHM_EX_USAGE;
			fo.page_size = (int)n;
			break;
		case O_MAXPAGES:
			if (chm_opt_int("--max-pages", optarg, 1, 1000000, &n))
				return CHM_EX_USAGE;
			fo.max_pages = (int)n;
			break;
		case O_ACCOUNT: fo.account_id = optarg; break;
		case O_MAPPING: mapping = optarg; break;
		case O_TOKENFILE: token_file = optarg; break;
		case O_AUTH:
			if (strcmp(optarg, "bearer") && strcmp(optarg, "token") && strcmp(optarg, "basic")) {
				chm_warn("--auth: expected bearer, token or basic, got \"%s\"", optarg);
				return CHM_EX_USAGE;
			}
			auth = optarg;
			break;
		case O_CACERT: ho.cacert = optarg; break;
		case O_CTIMEOUT:
			if (chm_opt_seconds("--connect-timeout", optarg, 0.001, 3600, &ho.connect_timeout_ms))
				return CHM_EX_USAGE;
			break;
		case O_TIMEOUT:
			if (chm_opt_seconds("--timeout", optarg, 0.001, 86400, &ho.timeout_ms))
				return CHM_EX_USAGE;
			break;
		case O_RETRIES:
			if (chm_opt_int("--retries", optarg, 0, 100, &n))
				return CHM_EX_USAGE;
			ho.retries = (int)n;
			break;
		case O_RDELAY:
			if (chm_opt_seconds("--retry-delay", optarg, 0.001, 3600, &ho.retry_base_ms))
				return CHM_EX_USAGE;
			break;
		case O_RMAX:
			if (chm_opt_seconds("--retry-max-time", optarg, 0.001, 86400, &ho.retry_max_time_ms))
				return CHM_EX_USAGE;
			break;
		case O_RAMAX:
			if (chm_opt_seconds("--retry-after-max", optarg, 0.001, 86400, &ho.retry_after_max_ms))
				return CHM_EX_USAGE;
			break;
		case O_MAXRESP:
			if (chm_opt_int("--max-response", optarg, 1024, (int64_t)1 << 32, &n))
				return CHM_EX_USAGE;
			ho.max_body = (size_t)n;
			break;
		case O_LOOKBACK: lookback = optarg; break;
		case O_NOW: now_arg = optarg; break;
		case O_SINTERVAL:
			if (chm_opt_seconds("--state-interval", optarg, 0, 86400, &out.interval_ms))
				return CHM_EX_USAGE;
			break;
		case O_AFAPI:
			if (strcmp(optarg, "v1") && strcmp(optarg, "v2")) {
				chm_warn("--airflow-api: expected v1 or v2, got \"%s\"", optarg);
				return CHM_EX_USAGE;
			}
			fo.airflow_v2 = optarg[1] == '2';
			break;
		case 'h': usage(stdout); return chm_close_stdout();
		case 'V': return chm_print_version();
		default: usage(stderr); return CHM_EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0) {
		chm_warn("unexpected argument \"%s\"", argv[0]);
		usage(stderr);
		return CHM_EX_USAGE;
	}
	if (!source || (fo.source = chm_fetch_source_parse(source)) < 0) {
		chm_warn(source ? "--source: expected airflow, dbt_cloud or vendor, got \"%s\""
				: "--source is required (airflow, dbt_cloud or vendor)%s", source ? source : "");
		return CHM_EX_USAGE;
	}
	if (!fo.base_url || (strncmp(fo.base_url, "http://", 7) && strncmp(fo.base_url, "https://", 8))) {
		chm_warn("--base-url: an http:// or https:// URL is required");
		return CHM_EX_USAGE;
	}
	if (fo.source == CHM_FETCH_DBT_CLOUD && !fo.account_id) {
		chm_warn("--account-id is required for dbt_cloud");
		return CHM_EX_USAGE;
	}
	if (fo.source == CHM_FETCH_VENDOR && !mapping) {
		chm_warn("--mapping FILE is required for vendor");
		return CHM_EX_USAGE;
	}
	/* --now fixes the clock the lookback, --since and fetched_at count from,
	 * so a replayed fixture gives the same answer on any day */
	int64_t clock = chm_time_now();
	if (now_arg) {
		if (chm_time_parse_arg(now_arg, clock, &fo.now, "--now", &err)) {
			chm_report_err(&err);
			return CHM_EX_USAGE;
		}
		clock = fo.now;
	}
	if (lookback) {
		int64_t then;
		if (chm_time_parse_arg(lookback, clock, &then, "--max-lookback", &err) || then > clock ||
		    strchr(lookback, 'T')) {
			chm_warn("--max-lookback: expected a duration such as 36h or 7d, got \"%s\"", lookback);
			return CHM_EX_USAGE;
		}
		fo.max_lookback = clock - then;
	}
	if (since) {
		if (fo.source == CHM_FETCH_DBT_CLOUD) {
			chm_warn("--since: dbt_cloud pages by run id; use the state file");
			return CHM_EX_USAGE;
		}
		if (chm_time_parse_arg(since, clock, &fo.since, "--since", &err)) {
			chm_report_err(&err);
			return CHM_EX_USAGE;
		}
		fo.has_since = 1;
	}

	signal(SIGPIPE, SIG_IGN); /* a closed reader shows up as EPIPE: we stop, quietly (out_error) */
	/* SIGTERM/SIGINT: finish the line being written and stop after the page,
	 * so stdout never ends in half a record */
	struct sigaction sa = { 0 };
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fo.interrupted = &terminated;
	ho.interrupted = &terminated;

	/* credentials: never from the command line, never printed */
	char credname[64];
	int from_basic_env = 0;
	snprintf(credname, sizeof(credname), "%s-token", source);
	char *secret = chm_secret_find(token_file, getenv("CREDENTIALS_DIRECTORY"), credname,
				       getenv("CHM_FETCH_TOKEN"), &err);
	if (!secret && !err.status && getenv("CHM_FETCH_BASIC") && *getenv("CHM_FETCH_BASIC")) {
		secret = chm_xstrdup(getenv("CHM_FETCH_BASIC"));
		from_basic_env = 1;
	}
	if (!secret && err.status)
		return chm_report_err(&err);
	if (secret) {
		int basic = auth ? strcmp(auth, "basic") == 0 : (from_basic_env || strchr(secret, ':'));
		if (basic && !strchr(secret, ':')) {
			free(secret);
			chm_warn("basic auth needs user:password");
			return CHM_EX_CONFIG;
		}
		if (basic)
			ho.basic = secret;
		else
			ho.bearer = secret;
		if (auth && strcmp(auth, "token") == 0)
			ho.auth_scheme = "Token";
	}

	struct chm_fetch_map *map = NULL;
	struct chm_fetch_pipeline *plist = NULL;
	size_t pn = 0;
	json_t *state = NULL;
	struct chm_http *http = NULL;
	struct chm_fetch *f = NULL;
	int status = 0;

	if (mapping && !(map = chm_fetch_map_load(mapping, &err)))
		goto fail;
	fo.map = map;
	if (state_file && chm_state_read(state_file, &state, &err))
		goto fail;
	if (state && !json_is_object(state)) {
		chm_err_set(&err, CHM_EX_CONFIG, CHM_E_BAD_STATE, "", "state file %s holds no JSON object", state_file);
		goto fail;
	}
	if (pipelines_file ? chm_fetch_pipelines_from_file(pipelines_file, fo.source, client, pname, &plist, &pn, &err)
			   : pipelines_from_db(db, fo.source, client, pname, &plist, &pn, &err))
		goto fail;
	if (pn == 0)
		chm_warn("no active %s pipeline with an external_id %s can fetch%s%s%s%s",
			 chm_fetch_source_platform(fo.source), source, client ? " for client " : "",
			 client ? client : "", pname ? " named " : "", pname ? pname : "");
	ho.on_retry = on_retry;
	if (!(http = chm_http_new(&ho, &err)))
		goto fail;
	struct chm_fetch_sink sink = { sink_raw, sink_state, sink_warn, &out };
	f = chm_fetch_new(&fo, http, state, &sink);
	for (size_t i = 0; i < pn && !terminated; i++) {
		struct chm_fetch_stats st = { 0 };
		if (chm_fetch_run(f, &plist[i], &st, &err) == 0)
			continue;
		if (is_fatal(&err))
			goto fail;
		/* this pipeline failed; the others may still be read */
		chm_warn("%s/%s: %s", plist[i].client, plist[i].name, err.msg);
		status = err.status;
		chm_err_clear(&err);
	}
	if (terminated && !status) {
		chm_warn("stopped by signal %d; the state printed covers what was fetched", terminated);
		status = CHM_EX_TEMPFAIL;
	}
	goto done;
fail:
	status = err.kind == CHM_E_READER_GONE ? 0 : chm_report_err(&err);
done:
	/* a state held back by --state-interval: every page before it is whole */
	if (f && out.pending && err.kind != CHM_E_READER_GONE) {
		struct chm_err e2;
		out.interval_ms = 0;
		if (sink_state(chm_fetch_state(f), &out, &e2) && !status)
			status = chm_report_err(&e2);
	}
	chm_fetch_free(f);
	chm_http_free(http);
	json_decref(state);
	chm_fetch_pipelines_free(plist, pn);
	chm_fetch_map_free(map);
	chm_secret_free(secret);
	return chm_exit_status(status, NULL);
}
