#include "engines/fetch_job.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/cli.h"
#include "core/credentials.h"
#include "core/db.h"
#include "core/record.h"
#include "core/redact.h"
#include "core/state.h"
#include "core/strbuf.h"
#include "sources/pager.h"
#include "sources/source.h"
#include "engines/migrate.h"

/* ---- the records on the output ---- */

struct out {
	FILE *fp;
	long interval_ms;     /* at most one state record this often */
	int64_t last_state;   /* when the last one was printed (usec) */
	int pending;          /* a state was skipped: print it at the end */
	struct chm_progress *progress;
	long records;         /* raw records written */
};

/* A write to the output failed. EPIPE is the reader going away (chm-load
 * stopped): not our error, and no status of ours may hide the reader's. */
static int out_error(struct chm_err *err)
{
	if (errno == EPIPE)
		return chm_err_set(err, CHM_EX_IOERR, CHM_E_READER_GONE, "", "the reader of standard output went away");
	return chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "", "write error on standard output: %s", strerror(errno));
}

static int sink_raw(const char *line, size_t len, void *arg, struct chm_err *err)
{
	struct out *o = arg;
	if (fwrite(line, 1, len, o->fp) != len || putc('\n', o->fp) == EOF)
		return out_error(err);
	chm_progress_tick(o->progress, ++o->records);
	return 0;
}

/* After each page: what was printed so far stays valid whatever happens next. */
static int sink_state(json_t *value, void *arg, struct chm_err *err)
{
	struct out *o = arg;
	int64_t now = chm_time_now();
	if (o->interval_ms && now - o->last_state < (int64_t)o->interval_ms * 1000) {
		o->pending = 1; /* the raw records still go out; only the bookmark waits */
		return fflush(o->fp) ? out_error(err) : 0;
	}
	o->last_state = now;
	o->pending = 0;
	json_t *rec = json_object();
	json_object_set_new(rec, "type", json_string("state"));
	json_object_set(rec, "value", value);
	int rc = chm_record_write(o->fp, rec) || ferror(o->fp) ? out_error(err) : 0;
	json_decref(rec);
	if (rc == 0 && fflush(o->fp))
		rc = out_error(err);
	return rc;
}

static void sink_warn(const char *msg, void *arg)
{
	(void)arg;
	chm_warn("%s", msg);
}

/* ---- what to fetch, and with what ---- */

static int pipelines_from_db(const struct chm_fetch_job *job, struct chm_fetch_pipeline **list,
			     size_t *n, struct chm_err *err)
{
	const struct chm_source *src = job->fetch.source;
	PGconn *conn = chm_migrate_connect(job->db, "chm-fetch", err);
	if (!conn)
		return -1;
	if (job->client &&
	    chm_db_check_name(conn, "queries/names_clients.sql", "client", "client", job->client, err)) {
		PQfinish(conn);
		return -1;
	}
	const char *params[3] = { src->platform, job->client, job->pipeline };
	PGresult *res = chm_db_query_file(conn, "queries/fetch_pipelines.sql", 3, params, err);
	if (!res) {
		PQfinish(conn);
		return -1;
	}
	int rows = PQntuples(res);
	*list = chm_xmalloc(sizeof(**list) * (size_t)(rows ? rows : 1));
	*n = 0;
	for (int i = 0; i < rows; i++) {
		if (src->pager->wants && !src->pager->wants(PQgetvalue(res, i, 2)))
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

/* The token or user:password, never from the command line, never printed:
 * into the HTTP options. *secret is the caller's to free. */
static int credentials(struct chm_fetch_job *job, char **secret, struct chm_err *err)
{
	char credname[64];
	int from_basic_env = 0;

	snprintf(credname, sizeof(credname), "%s-token", job->source_name);
	*secret = chm_secret_find(job->token_file, job->credentials_dir, credname, job->env_token, err);
	if (!*secret && !err->status && job->env_basic && *job->env_basic) {
		*secret = chm_xstrdup(job->env_basic);
		from_basic_env = 1;
	}
	if (!*secret)
		return err->status ? -1 : 0;
	int login = job->auth && strcmp(job->auth, "login") == 0;
	int basic = job->auth ? strcmp(job->auth, "basic") == 0 : (from_basic_env || strchr(*secret, ':'));
	if ((basic || login) && !strchr(*secret, ':'))
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_CREDENTIALS, "", "%s needs user:password",
				   login ? "--auth login" : "basic auth");
	if (login && !job->fetch.source->pager->login)
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_CREDENTIALS, "",
				   "--auth login: the %s API has no login; give its token", job->source_name);
	if (login)
		return 0; /* traded for a token once the handle is up (log_in) */
	if (basic)
		job->http.basic = *secret;
	else
		job->http.bearer = *secret;
	if (job->auth && strcmp(job->auth, "token") == 0)
		job->http.auth_scheme = "Token";
	return 0;
}

/* A token fit for a header: printable, no space (a JWT is base64url and
 * dots), so a line break from the partner cannot add a header. */
static int is_token(const char *t)
{
	size_t n = 0;
	if (!t || !*t)
		return 0;
	for (; t[n]; n++)
		if ((unsigned char)t[n] <= 0x20 || (unsigned char)t[n] >= 0x7f)
			return 0;
	return n <= 16384;
}

/* --auth login: user:password traded for a token (Airflow 3's JWT, which
 * expires: each run logs in anew), sent as a bearer from then on. The
 * request body and the answer hold secrets: both are wiped. */
static int log_in(struct chm_fetch_job *job, struct chm_http *http, const char *secret, struct chm_err *err)
{
	const struct chm_fetch_opts *o = &job->fetch;
	struct chm_pager_ctx ctx;
	const char *colon = strchr(secret, ':');
	char *user = chm_xmalloc((size_t)(colon - secret) + 1);
	struct strbuf url = STRBUF_INIT, answer = STRBUF_INIT;
	json_t *body = NULL;
	int rc = -1;

	chm_fetch_pager_ctx(o, &ctx);
	memcpy(user, secret, (size_t)(colon - secret));
	user[colon - secret] = '\0';
	o->source->pager->login(&ctx, user, colon + 1, &url, &body);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	const char *headers[] = { "Content-Type: application/json" };
	struct chm_http_post post = { text, text ? strlen(text) : 0, headers, 1, 0 };
	if (!text) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_CREDENTIALS, "", "--auth login: the user or password is not UTF-8 text");
	} else if (chm_http_post(http, url.buf, &post, &answer, NULL, err) == 0) {
		/* a token answer is a few hundred bytes; a tree costs up to 80 times its text */
		json_t *doc = answer.len <= 65536 ? json_loadb(answer.buf, answer.len, 0, NULL) : NULL;
		const char *token = json_string_value(json_object_get(doc, "access_token"));
		if (is_token(token)) {
			chm_http_set_bearer(http, token);
			rc = 0;
		} else {
			char *masked = chm_redact_url(url.buf);
			chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_HTTP_AUTH, "access_token",
				    "POST %s: the answer to the login has no \"access_token\" fit for a header", masked);
			free(masked);
		}
		json_decref(doc);
	}
	if (text)
		memset(text, 0, strlen(text));
	if (answer.buf)
		memset(answer.buf, 0, answer.len);
	free(text);
	free(user);
	json_decref(body);
	strbuf_release(&url);
	strbuf_release(&answer);
	return rc;
}

/* What a login again needs (chm_fetch_opts.relogin). */
struct relogin {
	struct chm_fetch_job *job;
	struct chm_http *http;
	const char *secret;
};

static int relogin(void *arg, struct chm_err *err)
{
	struct relogin *r = arg;
	return log_in(r->job, r->http, r->secret, err);
}

/* Errors that end the whole run rather than one pipeline. */
static int is_fatal(const struct chm_err *e)
{
	return e->status != CHM_EX_UNAVAILABLE || e->kind == CHM_E_UNAVAILABLE;
}

/* Every pipeline in turn: 0, or the status of the last that failed; -1
 * with err for what ends the run. */
static int fetch_each(struct chm_fetch_job *job, struct chm_fetch *f, struct chm_fetch_pipeline *plist,
		      size_t pn, struct chm_err *err)
{
	int status = 0;
	for (size_t i = 0; i < pn && !*job->interrupted; i++) {
		struct chm_fetch_stats st = { 0 };
		int rc = chm_fetch_run(f, &plist[i], &st, err);
		job->pipelines++;
		job->total.pages += st.pages;
		job->total.emitted += st.emitted;
		job->total.skipped += st.skipped;
		if (rc == 0)
			continue;
		if (is_fatal(err))
			return -1;
		/* this pipeline failed; the others may still be read */
		chm_warn("%s/%s: %s", plist[i].client, plist[i].name, err->msg);
		status = err->status;
		chm_err_clear(err);
	}
	if (*job->interrupted && !status) {
		chm_warn("stopped by signal %d; the state printed covers what was fetched", *job->interrupted);
		status = CHM_EX_TEMPFAIL;
	}
	return status;
}

static int load_inputs(struct chm_fetch_job *job, struct chm_vendor_map **map, json_t **state,
		       struct chm_fetch_pipeline **plist, size_t *pn, struct chm_err *err)
{
	if (job->mapping && !(*map = chm_vendor_map_load(job->mapping, CHM_MAP_FETCH, err)))
		return -1;
	job->fetch.map = *map;
	if (job->state_file && chm_state_read(job->state_file, state, err))
		return -1;
	if (job->pipelines_file ? chm_fetch_pipelines_from_file(job->pipelines_file, job->fetch.source, job->client,
								 job->pipeline, plist, pn, err)
				: pipelines_from_db(job, plist, pn, err))
		return -1;
	if (*pn == 0)
		chm_warn("no active %s pipeline with an external_id %s can fetch%s%s%s%s",
			 job->fetch.source->platform, job->source_name, job->client ? " for client " : "",
			 job->client ? job->client : "", job->pipeline ? " named " : "",
			 job->pipeline ? job->pipeline : "");
	return 0;
}

int chm_fetch_job_run(struct chm_fetch_job *job)
{
	struct out out = { job->out, job->state_interval_ms, 0, 0, job->progress, 0 };
	struct chm_vendor_map *map = NULL;
	struct chm_fetch_pipeline *plist = NULL;
	struct chm_http *http = NULL;
	struct chm_fetch *f = NULL;
	struct chm_err err;
	json_t *state = NULL;
	char *secret = NULL;
	size_t pn = 0;
	int status = -1;

	chm_err_clear(&err);
	job->fetch.interrupted = job->interrupted;
	job->http.interrupted = job->interrupted;
	job->http.on_retry = chm_warn_retry;
	int login = job->auth && strcmp(job->auth, "login") == 0;
	struct relogin again;
	if (credentials(job, &secret, &err) == 0 && load_inputs(job, &map, &state, &plist, &pn, &err) == 0 &&
	    (http = chm_http_new(&job->http, &err)) != NULL &&
	    (!login || pn == 0 || log_in(job, http, secret, &err) == 0)) {
		struct chm_fetch_sink sink = { sink_raw, sink_state, sink_warn, &out };
		if (login) {
			again = (struct relogin){ job, http, secret };
			job->fetch.relogin = relogin;
			job->fetch.relogin_arg = &again;
		}
		f = chm_fetch_new(&job->fetch, http, state, &sink);
		status = fetch_each(job, f, plist, pn, &err);
	}
	if (status < 0)
		status = err.kind == CHM_E_READER_GONE ? 0 : chm_report_err(&err);
	/* a state held back by the interval: every page before it is whole */
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
	chm_vendor_map_free(map);
	chm_secret_free(secret);
	return status;
}
