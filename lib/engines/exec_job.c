#include "engines/exec_job.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/chmtime.h"
#include "core/cli.h"
#include "core/db.h"
#include "core/record.h"
#include "core/redact.h"
#include "core/reject.h"
#include "core/run.h"
#include "core/strbuf.h"
#include "engines/exec.h"
#include "engines/loader.h"
#include "engines/migrate.h"

struct sinks {
	const char *client, *pipeline, *db;
	int load;
	int raw;              /* --format raw: chm-normalize's cron records */
	int fd;               /* events, or -1 */
	int load_failed;      /* the start event did not reach the database */
};

static void write_event(struct sinks *s, json_t *ev)
{
	if (s->fd < 0)
		return;
	char *text = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(12));
	struct strbuf line = STRBUF_INIT;
	strbuf_adds(&line, text);
	strbuf_addc(&line, '\n');
	free(text);
	/* one write a record: events of jobs sharing a file (O_APPEND) never interleave */
	size_t off = 0;
	while (off < line.len) {
		ssize_t w = write(s->fd, line.buf + off, line.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			chm_warn("cannot write the run event: %s", strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	strbuf_release(&line);
}

/* Into the database through the loader; a failure is a warning, never fatal. */
static int load_event(struct sinks *s, json_t *ev)
{
	struct chm_err err;
	struct chm_rejects rj;
	struct chm_run run;
	int rc = -1;

	chm_err_clear(&err);
	PGconn *conn = chm_migrate_connect(s->db, "chm-exec", &err);
	/* nor a lock held on runs: the running event is written before the
	 * job starts */
	if (conn && chm_db_statement_timeout(conn, "5s", &err)) {
		PQfinish(conn);
		conn = NULL;
	}
	if (!conn) {
		chm_warn("the run is not recorded in the database: %s", err.msg);
		return -1;
	}
	if (chm_rejects_open(&rj, "chm-exec", NULL, &err)) {
		PQfinish(conn);
		chm_warn("%s", err.msg);
		return -1;
	}
	struct chm_loader_opts lo = { 0 };
	struct chm_loader *ld = chm_loader_new(conn, &lo, &rj);
	char *text = json_dumps(ev, JSON_COMPACT);
	if (chm_run_from_json(ev, &run, &err) == 0 &&
	    chm_loader_add(ld, &run, "chm-exec", 0, text, strlen(text), &err) == 0 &&
	    chm_loader_flush(ld, &err) == 0)
		rc = 0;
	else if (err.kind == CHM_E_CONFLICT && strcmp(err.field, "platform") == 0)
		chm_warn("the run is not recorded in the database: %s%s%s is not a cron pipeline, and chm exec "
			 "records cron jobs (make one: chm pipeline create --platform cron)",
			 s->client ? s->client : "", s->client ? "/" : "", s->pipeline);
	else
		chm_warn("the run is not recorded in the database: %s", err.msg);
	free(text);
	chm_loader_free(ld);
	chm_rejects_close(&rj, &err);
	PQfinish(conn);
	return rc;
}

/* x is NULL for the running event, written before the command starts. */
/* The last lines of the job's stderr, with credentials in URLs and secret
 * query parameters redacted: they go to a database others read. */
static void stderr_tail(const struct chm_exec *x, struct strbuf *out)
{
	struct strbuf tail = STRBUF_INIT;
	chm_exec_tail(x, 20, CHM_TEXT_MAX - 4, &tail);
	if (tail.len && chm_redact_text(tail.buf, tail.len, out))
		; /* out holds the redacted text */
	else
		strbuf_add(out, tail.buf ? tail.buf : "", tail.len);
	strbuf_release(&tail);
}

static json_t *event(struct sinks *s, const char *run_id, const char *status, int64_t started_at,
		     const struct chm_exec *x, char *const argv[], int argc)
{
	char t[CHM_TIME_BUFSZ], host[256] = "localhost";
	json_t *ev = json_object();

	gethostname(host, sizeof(host) - 1);
	json_object_set_new(ev, "type", json_string("run"));
	if (s->client)
		json_object_set_new(ev, "client", json_string(s->client));
	json_object_set_new(ev, "pipeline", json_string(s->pipeline));
	json_object_set_new(ev, "platform", json_string("cron"));
	json_object_set_new(ev, "external_run_id", json_string(run_id));
	json_object_set_new(ev, "status", json_string(status));
	json_object_set_new(ev, "started_at", json_string(chm_time_format(started_at, t)));
	/* the command's name only: arguments may carry secrets */
	char *cmd = chm_xstrdup(argv[0]);
	json_t *payload = json_pack("{s:s, s:s, s:i}", "host", host, "command", basename(cmd), "argc", argc);
	free(cmd);
	if (x) {
		json_object_set_new(payload, "pid", json_integer(x->pid));
		struct strbuf sb = STRBUF_INIT;
		/* the command's own time, without our bookkeeping before it started */
		double dur = (double)(x->finished_at - x->started_at) / 1e6;
		json_object_set_new(ev, "finished_at", json_string(chm_time_format(x->finished_at, t)));
		json_object_set_new(ev, "duration_seconds", json_real(dur < 0 ? 0 : dur));
		if (strcmp(status, "canceled") == 0)
			strbuf_addf(&sb, "not started: chm exec got signal %d (%s) first", x->signo, strsignal(x->signo));
		else
			chm_exec_describe(x, &sb);
		if (strcmp(status, "success") != 0) {
			struct strbuf tail = STRBUF_INIT;
			stderr_tail(x, &tail);
			json_object_set_new(ev, "error_message",
					    tail.len ? chm_json_string_lossy(tail.buf, tail.len) : json_string(sb.buf));
			json_object_set_new(ev, "status_reason", json_string(sb.buf));
			strbuf_release(&tail);
		}
		if (x->signaled)
			json_object_set_new(payload, "signal", json_integer(x->signo));
		else
			json_object_set_new(payload, "exit_code", json_integer(x->exit_code));
		strbuf_release(&sb);
	}
	json_object_set_new(ev, "payload", payload);
	return ev;
}

/* The same event as chm-normalize's `cron` source reads it (--format raw). */
static json_t *raw_event(struct sinks *s, const char *run_id, int64_t started_at, const struct chm_exec *x,
			 char *const argv[])
{
	char t[CHM_TIME_BUFSZ], host[256] = "localhost";
	json_t *rec = json_object(), *ev = json_object();

	gethostname(host, sizeof(host) - 1);
	json_object_set_new(rec, "run_id", json_string(run_id));
	int not_run = x && chm_exec_never_started(x);
	json_object_set_new(rec, "event", json_string(!x ? "start" : not_run ? "cancel" : "end"));
	if (not_run) {
		char reason[128];
		snprintf(reason, sizeof(reason), "not started: chm exec got signal %d (%s) first", x->signo,
			 strsignal(x->signo));
		json_object_set_new(rec, "reason", json_string(reason));
	}
	json_object_set_new(rec, "started_at", json_string(chm_time_format(started_at, t)));
	if (x) {
		struct strbuf tail = STRBUF_INIT;
		json_object_set_new(rec, "finished_at", json_string(chm_time_format(x->finished_at, t)));
		json_object_set_new(rec, "exit_status", x->signaled ? json_null() : json_integer(x->exit_code));
		json_object_set_new(rec, "signal", x->signaled ? json_integer(x->signo) : json_null());
		stderr_tail(x, &tail);
		json_object_set_new(rec, "stderr_tail", chm_json_string_lossy(tail.buf ? tail.buf : "", tail.len));
		strbuf_release(&tail);
	}
	json_object_set_new(rec, "host", json_string(host));
	json_object_set_new(rec, "command", json_string(argv[0])); /* not its arguments: secrets */
	json_object_set_new(ev, "type", json_string("raw"));
	json_object_set_new(ev, "source", json_string("cron"));
	if (s->client)
		json_object_set_new(ev, "client", json_string(s->client));
	json_object_set_new(ev, "pipeline", json_string(s->pipeline));
	json_object_set_new(ev, "fetched_at", json_string(chm_time_format(chm_time_now(), t)));
	json_object_set_new(ev, "record", rec);
	return ev;
}

/* The events file or descriptor, when one is given and usable. */
static void open_events(const struct chm_exec_job *job, struct sinks *s)
{
	if (job->events) {
		s->fd = open(job->events, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (s->fd < 0)
			chm_warn("cannot open %s: %s; the job runs unrecorded there", job->events, strerror(errno));
	} else if (job->events_fd >= 0) {
		if (fcntl(job->events_fd, F_GETFD) < 0)
			chm_warn("--events-fd %d is not open; the job runs unrecorded there", job->events_fd);
		else
			s->fd = job->events_fd;
	}
	/* the job does not inherit our events, but 0-2 are its own too
	 * (--events-fd 1: the events go where its output goes) */
	if (s->fd > STDERR_FILENO)
		fcntl(s->fd, F_SETFD, FD_CLOEXEC);
}

/* Writes the event, as a run or as its raw cron record. */
static void record(struct sinks *s, const char *run_id, int64_t started_at, const struct chm_exec *x,
		   json_t *ev, char **argv)
{
	if (s->raw) {
		json_t *r = raw_event(s, run_id, started_at, x, argv);
		write_event(s, r);
		json_decref(r);
	} else {
		write_event(s, ev);
	}
}

/* The command, run to its end; what became of it in x, whatever happens. */
static void run_command(struct chm_exec *x, char **argv)
{
	struct chm_err err;

	chm_err_clear(&err);
	if (chm_exec_early_signal()) {
		memset(x, 0, sizeof(*x));
		x->started_at = x->finished_at = chm_time_now();
		x->signaled = 1, x->signo = chm_exec_early_signal();
		chm_warn("stopped by signal %d before the command started; it was not run", x->signo);
		return;
	}
	if (chm_exec_start(x, argv, &err)) {
		/* no process: the job did not run, and the run says so */
		chm_report_err(&err);
		memset(x, 0, sizeof(*x));
		x->started_at = x->finished_at = chm_time_now();
		x->exited = 1, x->exit_code = CHM_EX_SOFTWARE;
		return;
	}
	if (chm_exec_wait(x, &err)) {
		chm_report_err(&err);
		x->signaled = 0, x->exited = 1, x->exit_code = CHM_EX_SOFTWARE;
		x->finished_at = chm_time_now();
	}
}

int chm_exec_job_run(const struct chm_exec_job *job, char **argv, int argc)
{
	struct sinks s = { job->client, job->pipeline, job->db, job->load, job->raw, -1, 0 };
	struct chm_exec x;
	char host[256] = "localhost", t[CHM_TIME_BUFSZ];

	/* a database that hangs must not hold the job up: a short connect,
	 * set here rather than as PGCONNECT_TIMEOUT, which the job inherits */
	chm_db_set_connect_timeout("5");
	/* a stop request while we get ready and record the start is for the job:
	 * held, and then the job is not started at all */
	chm_exec_trap_signals();
	open_events(job, &s);
	/* the running event goes first, so nothing the job does precedes it */
	int64_t started_at = chm_time_now();
	gethostname(host, sizeof(host) - 1);
	struct strbuf run_id = STRBUF_INIT;
	strbuf_addf(&run_id, "%s-%s-%ld", host, chm_time_format(started_at, t), (long)getpid());
	json_t *ev = event(&s, run_id.buf, "running", started_at, NULL, argv, argc);
	record(&s, run_id.buf, started_at, NULL, ev, argv);
	if (s.load && load_event(&s, ev))
		s.load_failed = 1;
	json_decref(ev);

	run_command(&x, argv);
	int status = chm_exec_status(&x);
	ev = event(&s, run_id.buf, chm_exec_run_status(&x), started_at, &x, argv, argc);
	record(&s, run_id.buf, started_at, &x, ev, argv);
	if (s.load)
		load_event(&s, ev);
	json_decref(ev);
	if (job->events && s.fd >= 0)
		close(s.fd);
	strbuf_release(&run_id);
	return status;
}
