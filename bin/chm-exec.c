/* chm-exec (`chm exec`): runs a cron job and records it as a run of the cron
 * platform: a running event when it starts, a terminal one when it ends. The
 * job's own output is untouched and its exit status is ours; recording it
 * never stops it from running. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chmtime.h"
#include "cli.h"
#include "db.h"
#include "exec.h"
#include "loader.h"
#include "record.h"
#include "redact.h"
#include "reject.h"
#include "run.h"
#include "strbuf.h"

static void usage(FILE *fp)
{
	fputs("usage: chm exec --pipeline CLIENT/NAME [--load [--db CONNINFO]]\n"
	      "                [--events FILE | --events-fd N] [--format run|raw] -- COMMAND [ARGS...]\n"
	      "Runs COMMAND and records it as a run of the cron pipeline CLIENT/NAME: a running\n"
	      "event at start, success or failed at the end. COMMAND's output passes through\n"
	      "untouched and its exit status is chm exec's.\n",
	      fp);
}

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
	PGconn *conn = chm_db_connect(s->db, "chm-exec", &err);
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
	json_object_set_new(ev, "client", json_string(s->client));
	json_object_set_new(ev, "pipeline", json_string(s->pipeline));
	json_object_set_new(ev, "fetched_at", json_string(chm_time_format(chm_time_now(), t)));
	json_object_set_new(ev, "record", rec);
	return ev;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pipeline", required_argument, NULL, 'p' },
		{ "load", no_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "events", required_argument, NULL, 'e' },
		{ "events-fd", required_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct sinks s = { .db = getenv("CHM_DATABASE_URL") };
	const char *pipeline = NULL, *events = NULL;
	int64_t n;
	int c, events_fd = -1;

	chm_cli_init("chm-exec");
	s.fd = -1;
	/* "+": options end at the command, whose options are its own */
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pipeline = optarg; break;
		case 'l': s.load = 1; break;
		case 'd': s.db = optarg; break;
		case 'e': events = optarg; break;
		case 'f':
			if (chm_opt_int("--events-fd", optarg, 0, 1 << 20, &n))
				return CHM_EX_USAGE;
			events_fd = (int)n;
			break;
		case 'F':
			if (strcmp(optarg, "run") && strcmp(optarg, "raw")) {
				chm_warn("--format: expected run or raw, got \"%s\"", optarg);
				return CHM_EX_USAGE;
			}
			s.raw = optarg[1] == 'a';
			break;
		case 'h': usage(stdout); return chm_close_stdout();
		case 'V': return chm_print_version();
		default: usage(stderr); return CHM_EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	const char *slash = pipeline ? strchr(pipeline, '/') : NULL;
	if (!slash || slash == pipeline || !slash[1]) {
		chm_warn("--pipeline CLIENT/NAME is required");
		usage(stderr);
		return CHM_EX_USAGE;
	}
	if (argc == 0) {
		chm_warn("no command to run (give it after --)");
		return CHM_EX_USAGE;
	}
	if (!s.load && !events && events_fd < 0) {
		chm_warn("say where the run events go: --events FILE, --events-fd N or --load");
		return CHM_EX_USAGE;
	}
	if (events && events_fd >= 0) {
		chm_warn("--events and --events-fd: give one");
		return CHM_EX_USAGE;
	}
	char *client = chm_xstrdup(pipeline);
	client[slash - pipeline] = '\0';
	s.client = client;
	s.pipeline = slash + 1;
	if (!getenv("PGCONNECT_TIMEOUT"))
		setenv("PGCONNECT_TIMEOUT", "5", 1); /* a database that hangs must not hold the job up */
	signal(SIGPIPE, SIG_IGN);

	/* a stop request while we get ready and record the start is for the job:
	 * held, and then the job is not started at all */
	chm_exec_trap_signals();
	if (events) {
		s.fd = open(events, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (s.fd < 0)
			chm_warn("cannot open %s: %s; the job runs unrecorded there", events, strerror(errno));
	} else if (events_fd >= 0) {
		if (fcntl(events_fd, F_GETFD) < 0)
			chm_warn("--events-fd %d is not open; the job runs unrecorded there", events_fd);
		else
			s.fd = events_fd;
	}
	if (s.fd >= 0)
		fcntl(s.fd, F_SETFD, FD_CLOEXEC); /* the job does not inherit our events */

	/* the running event goes first, so nothing the job does precedes it */
	struct chm_exec x;
	struct chm_err err;
	char host[256] = "localhost", t[CHM_TIME_BUFSZ];
	int64_t started_at = chm_time_now();
	gethostname(host, sizeof(host) - 1);
	struct strbuf run_id = STRBUF_INIT;
	strbuf_addf(&run_id, "%s-%s-%ld", host, chm_time_format(started_at, t), (long)getpid());
	json_t *ev = event(&s, run_id.buf, "running", started_at, NULL, argv, argc);
	if (s.raw) {
		json_t *r = raw_event(&s, run_id.buf, started_at, NULL, argv);
		write_event(&s, r);
		json_decref(r);
	} else {
		write_event(&s, ev);
	}
	if (s.load && load_event(&s, ev))
		s.load_failed = 1;
	json_decref(ev);

	chm_err_clear(&err);
	if (chm_exec_early_signal()) {
		memset(&x, 0, sizeof(x));
		x.started_at = x.finished_at = chm_time_now();
		x.signaled = 1, x.signo = chm_exec_early_signal();
		chm_warn("stopped by signal %d before the command started; it was not run", x.signo);
		goto end;
	}
	if (chm_exec_start(&x, argv, &err)) {
		/* no process: the job did not run, and the run says so */
		chm_report_err(&err);
		memset(&x, 0, sizeof(x));
		x.started_at = x.finished_at = chm_time_now();
		x.exited = 1, x.exit_code = CHM_EX_SOFTWARE;
		goto end;
	}
	if (chm_exec_wait(&x, &err)) {
		chm_report_err(&err);
		x.signaled = 0, x.exited = 1, x.exit_code = CHM_EX_SOFTWARE;
		x.finished_at = chm_time_now();
	}
end:;
	int status = chm_exec_status(&x);
	const char *final = chm_exec_run_status(&x);
	ev = event(&s, run_id.buf, final, started_at, &x, argv, argc);
	if (s.raw) {
		json_t *r = raw_event(&s, run_id.buf, started_at, &x, argv);
		write_event(&s, r);
		json_decref(r);
	} else {
		write_event(&s, ev);
	}
	if (s.load)
		load_event(&s, ev);
	json_decref(ev);
	if (events && s.fd >= 0)
		close(s.fd);
	strbuf_release(&run_id);
	free(client);
	return status;
}
