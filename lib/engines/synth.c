/* synth: the synthetic history generator (synth.h says what it makes).
 *
 * Determinism: every random draw comes from xoshiro256** seeded through
 * splitmix64, one generator per pipeline seeded from (seed, pipeline index),
 * so a pipeline's runs do not depend on how many pipelines come before it
 * and the same options always give the same bytes.
 *
 * Speed: records are written by hand into one reused buffer that is handed
 * to stdio in large blocks; timestamps and numbers are formatted without
 * printf. Memory: one pipeline's state at a time, nothing per run.
 *
 * Raw and canonical mode draw the same history: no draw from a pipeline's
 * generator depends on the output format, so `--format raw | chm-normalize
 * | chm-load` lands the runs that `--format canonical` describes. */
#include "engines/synth.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/record.h"
#include "core/strbuf.h"

/* ---------------------------------------------------------------- PRNG */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* uniform in [0, 1) */
static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1p-53;
}

static uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

static int rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

/* standard normal (Box-Muller; the second value is dropped to keep no state) */
static double rng_normal(struct rng *r)
{
	double u1 = 1.0 - rng_unit(r), u2 = rng_unit(r);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ----------------------------------------------------------- the writer */

#define FLUSH_AT (1 << 18)

struct out {
	struct strbuf sb;
	FILE *fp;
	int failed;
	int errnum;
};

static void out_flush(struct out *o)
{
	if (o->sb.len && !o->failed && fwrite(o->sb.buf, 1, o->sb.len, o->fp) != o->sb.len) {
		o->failed = 1;
		o->errnum = errno;
	}
	strbuf_reset(&o->sb);
}

static void out_end_line(struct out *o)
{
	strbuf_addc(&o->sb, '\n');
	if (o->sb.len >= FLUSH_AT)
		out_flush(o);
}

/* lit must be a string literal ("" lit "" refuses anything else) */
#define ADDL(sb, lit) strbuf_add((sb), "" lit "", sizeof(lit) - 1)

/* microseconds as seconds with six decimals: exact, no floating point */
static void add_usec_seconds(struct strbuf *sb, int64_t usec)
{
	char frac[6];
	int64_t f = usec % 1000000;
	strbuf_add_int(sb, usec / 1000000);
	for (int i = 5; i >= 0; i--, f /= 10)
		frac[i] = (char)('0' + f % 10);
	strbuf_addc(sb, '.');
	strbuf_add(sb, frac, 6);
}

static void add_key(struct strbuf *sb, const char *key)
{
	strbuf_addc(sb, ',');
	chm_json_add_string(sb, key, strlen(key));
	strbuf_addc(sb, ':');
}

enum tfmt {
	T_Z,            /* 2026-11-21T00:00:05.123456Z        (OpenLineage, dbt-core, canonical) */
	T_PLUS,         /* 2026-11-21T00:00:05.123456+00:00   (Airflow) */
	T_SPACE,        /* 2026-11-21 00:00:05.123456+00:00   (dbt Cloud) */
	T_PLUS_NOFRAC,  /* 2026-11-21T00:00:00+00:00          (Airflow run ids) */
};

static void two(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

static void add_time(struct strbuf *sb, int64_t usec, enum tfmt f)
{
	char b[40];
	int64_t secs = usec >= 0 ? usec / 1000000 : (usec - 999999) / 1000000;
	int64_t micro = usec - secs * 1000000;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	unsigned sod = (unsigned)(secs - days * 86400);
	int64_t y;
	unsigned m, d;
	size_t n;

	chm_civil_from_days(days, &y, &m, &d);
	two(b, (unsigned)(y / 100 % 100));
	two(b + 2, (unsigned)(y % 100));
	b[4] = '-';
	two(b + 5, m);
	b[7] = '-';
	two(b + 8, d);
	b[10] = f == T_SPACE ? ' ' : 'T';
	two(b + 11, sod / 3600);
	b[13] = ':';
	two(b + 14, sod / 60 % 60);
	b[16] = ':';
	two(b + 17, sod % 60);
	n = 19;
	if (f != T_PLUS_NOFRAC) {
		b[n++] = '.';
		for (int i = 5; i >= 0; i--, micro /= 10)
			b[n + (size_t)i] = (char)('0' + micro % 10);
		n += 6;
	}
	if (f == T_Z) {
		b[n++] = 'Z';
	} else {
		memcpy(b + n, "+00:00", 6);
		n += 6;
	}
	strbuf_add(sb, b, n);
}

static void add_jtime(struct strbuf *sb, int64_t usec, enum tfmt f)
{
	strbuf_addc(sb, '"');
	add_time(sb, usec, f);
	strbuf_addc(sb, '"');
}

/* "HH:MM:SS", dbt Cloud's duration strings */
static void add_hms(struct strbuf *sb, int64_t usec)
{
	int64_t s = usec / 1000000;
	char b[3];
	if (s < 0)
		s = 0;
	strbuf_addc(sb, '"');
	if (s / 3600 < 10)
		strbuf_addc(sb, '0');
	strbuf_add_int(sb, s / 3600);
	two(b, (unsigned)(s / 60 % 60));
	b[2] = ':';
	strbuf_addc(sb, ':');
	strbuf_add(sb, b, 3);
	two(b, (unsigned)(s % 60));
	strbuf_add(sb, b, 2);
	strbuf_addc(sb, '"');
}

static void add_uuid(struct strbuf *sb, struct rng *r)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t a = rng_next(r), b = rng_next(r);
	char u[36];
	int k = 0;
	a = (a & ~0xf000ULL) | 0x4000ULL;                 /* version 4 */
	b = (b & ~(3ULL << 62)) | (2ULL << 62);            /* RFC 4122 variant */
	for (int i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			u[k++] = '-';
		uint64_t w = i < 16 ? a : b;
		u[k++] = hex[(w >> (60 - 4 * (i % 16))) & 15];
	}
	strbuf_add(sb, u, 36);
}

/* ------------------------------------------------------- the domain */

#define USEC 1000000LL
#define HOUR (3600 * USEC)
#define DAY (24 * HOUR)
/* --runs never makes a pipeline run more often than this */
#define SYNTH_MIN_PERIOD (60 * USEC)
/* Run attempts a scheduled slot makes on average (see runs_scale) */
#define SYNTH_ATTEMPTS_PER_SLOT 1.07

/* How a pipeline's runs arrive (a feed format), and the platform it is. */
enum plat { P_AIRFLOW, P_DBT_CLOUD, P_DBT_CORE, P_OPENLINEAGE, P_VENDOR, P_CRON, NPLAT };
/* The pipelines.platform of each: an OpenLineage-fed pipeline is "custom",
 * so the inventory covers every platform value. */
static const char *const plat_names[NPLAT] = { "airflow", "dbt", "dbt",
					       "custom", "vendor_api", "cron" };
/* the raw feed format each platform's events arrive in */
static const char *const plat_sources[NPLAT] = { "airflow", "dbt_cloud", "dbt_artifact",
						 "openlineage", "vendor", "cron" };

#define NTYPE 5
#define T_QUALITY 2
static const char *const type_names[NTYPE] = { "ingestion", "transform", "quality", "export",
					       "healthcheck" };
static const char *const type_words[NTYPE] = { "ingest", "transform", "dq", "export", "health" };
/* typical median duration of each pipeline type, seconds */
static const double type_median[NTYPE] = { 300, 600, 60, 180, 30 };

static const char *const client_names[] = {
	"acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka",
	"tyrell", "cyberdyne", "soylent", "vandelay", "oscorp", "aperture", "monarch", "gringotts",
};
#define NCLIENT_NAMES (sizeof(client_names) / sizeof(client_names[0]))

static const char *const nouns[] = {
	"orders", "customers", "invoices", "shipments", "inventory", "payments", "sessions",
	"events", "ledger", "campaigns", "products", "returns", "subscriptions", "tickets",
	"leads", "clicks", "suppliers", "forecasts", "refunds", "accounts",
};
#define NNOUNS (sizeof(nouns) / sizeof(nouns[0]))

struct schedule {
	int64_t period;
	const char *name;
};
static const struct schedule schedules[] = {
	{ HOUR, "hourly" }, { HOUR, "hourly" }, { HOUR, "hourly" }, { HOUR, "hourly" },
	{ 4 * HOUR, "every 4h" }, { 4 * HOUR, "every 4h" }, { 12 * HOUR, "every 12h" },
	{ DAY, "daily" }, { DAY, "daily" }, { DAY, "daily" },
};
#define NSCHED (sizeof(schedules) / sizeof(schedules[0]))

enum st { S_RUNNING, S_SUCCESS, S_FAILED, S_CANCELED, S_SKIPPED };
static const char *const st_names[] = { "running", "success", "failed", "canceled", "skipped" };

struct pipe {
	int index;
	int client;
	enum plat plat;
	int type;
	const char *env;
	char client_name[48];
	char name[64];
	char external_id[128];
	char ol_namespace[64];
	const struct schedule *sched;
	int64_t period;            /* the schedule's, scaled for --runs */
	char sched_name[32];       /* "hourly", or the scaled period: "every 17m" */
	int64_t offset;            /* first slot after midnight UTC */
	int flaky;
	int force_running;         /* its last run is still running at the end */
	int64_t silent_from;       /* no runs start after this (0: never silent) */
	double median0, drift, sigma, fail_rate;
	double rows_base;          /* 0: the source reports no rows */
	struct rng rng;
	int prev_failed;
	int64_t seq;
};

struct attempt {
	int64_t slot, start, finish;   /* finish 0: still running */
	enum st status;
	const char *source_status;     /* an unknown partner status, or NULL */
	const char *error;
	int64_t rows;                  /* -1: none */
	int number;                    /* 1, 2, ... */
	int64_t num_id;                /* dbt Cloud run id */
	struct rng idrng;              /* the run's ids, drawn the same way for both modes */
};

struct gen {
	const struct chm_synth_opts *o;
	struct out out;
	struct chm_synth_counts counts;
	int64_t begin;                 /* the history starts here */
	int outage_client;
	int64_t outage_start;          /* one UTC day */
	double scale;                  /* every period times this: --runs (1: the schedules') */
};

static void client_name(int i, char *buf, size_t n)
{
	if ((size_t)i < NCLIENT_NAMES)
		snprintf(buf, n, "%s", client_names[i]);
	else
		snprintf(buf, n, "%s_%d", client_names[(size_t)i % NCLIENT_NAMES],
			 (int)((size_t)i / NCLIENT_NAMES));
}

/* The pipeline's period: its schedule's, times g->scale when --runs asks
 * for another number of runs (to the second, a minute at least). */
static void scale_period(const struct gen *g, struct pipe *p)
{
	snprintf(p->sched_name, sizeof(p->sched_name), "%s", p->sched->name);
	p->period = p->sched->period;
	if (g->scale == 1.0)
		return;
	p->period = (int64_t)floor((double)p->sched->period * g->scale / USEC + 0.5) * USEC;
	if (p->period < SYNTH_MIN_PERIOD)
		p->period = SYNTH_MIN_PERIOD;
	int64_t s = p->period / USEC;
	if (s % 3600 == 0)
		snprintf(p->sched_name, sizeof(p->sched_name), "every %lldh", (long long)(s / 3600));
	else if (s % 60 == 0)
		snprintf(p->sched_name, sizeof(p->sched_name), "every %lldm", (long long)(s / 60));
	else
		snprintf(p->sched_name, sizeof(p->sched_name), "every %llds", (long long)s);
}

/* Everything about pipeline j, derived from (seed, j) alone. */
static void pipe_init(const struct gen *g, int j, struct pipe *p)
{
	const struct chm_synth_opts *o = g->o;
	struct rng *r = &p->rng;

	memset(p, 0, sizeof(*p));
	rng_seed(r, o->seed, (uint64_t)j + 1);
	p->index = j;
	p->plat = (enum plat)(j % NPLAT);
	p->type = j % NTYPE;      /* 6 and 5 are coprime: every feed meets every type */
	/* shift by block so each client gets every platform, not the same two */
	p->client = (j + j / NPLAT) % o->clients;
	p->env = j % 10 == 7 ? "staging" : j % 10 == 9 ? "dev" : "prod";
	client_name(p->client, p->client_name, sizeof(p->client_name));
	snprintf(p->name, sizeof(p->name), "%s_%s_%04d", nouns[(size_t)j % NNOUNS],
		 type_words[p->type], j);
	switch (p->plat) {
	case P_DBT_CLOUD:
		snprintf(p->external_id, sizeof(p->external_id), "%d", 100000 + j);
		break;
	case P_OPENLINEAGE:
		snprintf(p->ol_namespace, sizeof(p->ol_namespace), "%s-scheduler", p->client_name);
		snprintf(p->external_id, sizeof(p->external_id), "%s/%s", p->ol_namespace, p->name);
		break;
	case P_VENDOR:
		snprintf(p->external_id, sizeof(p->external_id), "rat-%s", p->name);
		for (char *c = p->external_id; *c; c++)
			if (*c == '_')
				*c = '-';
		break;
	default:
		snprintf(p->external_id, sizeof(p->external_id), "%s", p->name);
	}

	/* a few flaky pipelines, and always one so the demo shows it */
	p->flaky = j == 2 || rng_chance(r, 0.06);
	p->sched = p->flaky ? &schedules[0] : &schedules[rng_below(r, NSCHED)];
	int64_t span = p->sched->period < 6 * HOUR ? p->sched->period : 6 * HOUR;
	scale_period(g, p);
	p->offset = (int64_t)rng_below(r, (uint64_t)(span / (5 * 60 * USEC))) * 5 * 60 * USEC % p->period;
	p->median0 = type_median[p->type] * exp(0.7 * rng_normal(r));
	if (p->median0 > 0.4 * (double)(p->period / USEC))
		p->median0 = 0.4 * (double)(p->period / USEC);
	if (p->median0 < 5)
		p->median0 = 5;
	p->drift = rng_unit(r) * 1.0 - 0.2;      /* mostly slowing down, as data grows */
	p->sigma = 0.15 + 0.3 * rng_unit(r);
	p->fail_rate = 0.004 + 0.03 * rng_unit(r);
	if ((p->plat == P_DBT_CORE || p->plat == P_VENDOR) && p->type != T_QUALITY)
		p->rows_base = 1000.0 * exp(2.0 * rng_normal(r)) + 10;
	p->force_running = j % 4 == 1;
	/* one pipeline in thirteen went silent three days before the end */
	if (j % 13 == 11 && o->days > 6)
		p->silent_from = o->end_usec - 3 * DAY;
}

/* ------------------------------------------------------- inventory */

static void emit_inventory(struct gen *g)
{
	struct strbuf *sb = &g->out.sb;
	char name[48];
	struct pipe p;

	for (int i = 0; i < g->o->clients; i++) {
		client_name(i, name, sizeof(name));
		ADDL(sb, "{\"type\":\"client\",\"name\":");
		chm_json_add_string(sb, name, strlen(name));
		ADDL(sb, ",\"description\":\"synthetic client\"}");
		out_end_line(&g->out);
		g->counts.records++;
	}
	for (int j = 0; j < g->o->pipelines; j++) {
		pipe_init(g, j, &p);
		ADDL(sb, "{\"type\":\"pipeline\",\"client\":");
		chm_json_add_string(sb, p.client_name, strlen(p.client_name));
		add_key(sb, "name");
		chm_json_add_string(sb, p.name, strlen(p.name));
		add_key(sb, "platform");
		chm_json_add_string(sb, plat_names[p.plat], strlen(plat_names[p.plat]));
		add_key(sb, "pipeline_type");
		chm_json_add_string(sb, type_names[p.type], strlen(type_names[p.type]));
		add_key(sb, "external_id");
		chm_json_add_string(sb, p.external_id, strlen(p.external_id));
		add_key(sb, "environment");
		chm_json_add_string(sb, p.env, strlen(p.env));
		ADDL(sb, ",\"description\":\"synthetic, ");
		strbuf_adds(sb, p.sched_name);
		ADDL(sb, "\"}");
		out_end_line(&g->out);
		g->counts.records++;
	}
	/* a slack rule for two clients in three; the rest leave Q10 something to find */
	for (int i = 0; i < g->o->clients; i++) {
		if (i % 3 == 2)
			continue;
		client_name(i, name, sizeof(name));
		ADDL(sb, "{\"type\":\"alert_rule\",\"client\":");
		chm_json_add_string(sb, name, strlen(name));
		ADDL(sb, ",\"rule_type\":\"on_failure\",\"channel\":\"slack\",\"destination\":\"#");
		strbuf_adds(sb, name);
		ADDL(sb, "-data-ops\"}");
		out_end_line(&g->out);
		g->counts.records++;
	}
	for (int j = 0; j < g->o->pipelines; j += 10) {
		pipe_init(g, j, &p);
		ADDL(sb, "{\"type\":\"alert_rule\",\"pipeline\":\"");
		strbuf_adds(sb, p.client_name);
		strbuf_addc(sb, '/');
		strbuf_adds(sb, p.name);
		ADDL(sb, "\",\"rule_type\":\"failures_in_window\",\"threshold\":3,"
			 "\"window_minutes\":1440,\"channel\":\"email\",\"destination\":\"oncall+");
		strbuf_adds(sb, p.client_name);
		ADDL(sb, "@example.com\"}");
		out_end_line(&g->out);
		g->counts.records++;
	}
}

/* ------------------------------------------------------- run shapes */

static const char *const errors[NPLAT][3] = {
	[P_AIRFLOW] = { NULL, NULL, NULL },   /* a DAG run carries no error text */
	[P_DBT_CLOUD] = {
		"Database Error in model stg_orders (models/staging/stg_orders.sql)\n  relation \"raw.orders\" does not exist",
		"Compilation Error in model fct_revenue: 'ref' to 'dim_dates' not found",
		"Job timed out after 3600 seconds",
	},
	[P_DBT_CORE] = {
		"Database Error in model int_events (models/intermediate/int_events.sql)\n  division by zero",
		"Runtime Error: could not connect to server: Connection refused",
		"Database Error: permission denied for schema analytics",
	},
	[P_OPENLINEAGE] = {
		"java.lang.OutOfMemoryError: Java heap space",
		"Py4JJavaError: An error occurred while calling o123.save",
		"FileNotFoundException: s3://landing/events/_SUCCESS",
	},
	[P_VENDOR] = {
		"upstream API returned 503 Service Unavailable",
		"schema mismatch: column \"amount\" changed type from int to string",
		"quota exceeded: 10000 rows per minute",
	},
	[P_CRON] = {
		"rsync: connection unexpectedly closed (0 bytes received so far)",
		"psql: error: connection to server failed: FATAL: too many connections",
		"curl: (28) Operation timed out after 300000 milliseconds",
	},
};

static const char *pick_error(struct pipe *p)
{
	return errors[p->plat][rng_below(&p->rng, 3)];
}

static int64_t duration_at(const struct gen *g, struct pipe *p, int64_t t)
{
	double frac = (double)(t - g->begin) / (double)(g->o->end_usec - g->begin);
	double median = p->median0 * exp(p->drift * frac);
	double secs = median * exp(p->sigma * rng_normal(&p->rng));
	return (int64_t)(secs * (double)USEC) + (int64_t)rng_below(&p->rng, USEC);
}

static int in_outage(const struct gen *g, const struct pipe *p, int64_t start)
{
	return p->client == g->outage_client && start >= g->outage_start &&
	       start < g->outage_start + DAY;
}

/* The status of one finished attempt, drawn from the pipeline's traits. */
static void decide(const struct gen *g, struct pipe *p, struct attempt *a, double fail_p)
{
	struct rng *r = &p->rng;
	a->source_status = NULL;
	a->error = NULL;
	if (in_outage(g, p, a->start)) {
		a->status = S_FAILED;
		a->error = "connection refused: warehouse unreachable (client-wide outage)";
		if (p->plat == P_AIRFLOW)
			a->error = NULL;
		return;
	}
	a->status = rng_chance(r, fail_p) ? S_FAILED : S_SUCCESS;
	if (a->status == S_FAILED)
		a->error = pick_error(p);
	double u = rng_unit(r);
	if (u < 0.005) {
		/* a status the partner has and the canonical model lacks:
		 * chm-normalize maps it to running (no outcome claimed) and keeps
		 * the value in status_reason; a retry then settles the run */
		switch (p->plat) {
		case P_AIRFLOW:
			a->source_status = "upstream_failed";
			break;
		case P_DBT_CLOUD:
			a->source_status = "99";
			break;
		case P_VENDOR:
			a->source_status = "paused";
			break;
		default:
			break;
		}
		if (a->source_status) {
			a->status = S_RUNNING;
			a->error = NULL;
		}
	} else if (u < 0.01 && (p->plat == P_DBT_CLOUD || p->plat == P_VENDOR)) {
		a->status = S_CANCELED;
		a->error = p->plat == P_DBT_CLOUD ? "Cancelled by user." : NULL;
	} else if (u < 0.015 && p->plat == P_DBT_CORE) {
		a->status = S_SKIPPED;
		a->error = NULL;
	}
	if (a->status == S_SUCCESS && p->rows_base > 0)
		a->rows = (int64_t)(p->rows_base * exp(0.3 * rng_normal(r)));
}

/* ------------------------------------------------ raw partner records */

static void envelope_begin(struct gen *g, const struct pipe *p)
{
	struct strbuf *sb = &g->out.sb;
	ADDL(sb, "{\"type\":\"raw\",\"source\":\"");
	strbuf_adds(sb, plat_sources[p->plat]);
	ADDL(sb, "\",\"client\":");
	chm_json_add_string(sb, p->client_name, strlen(p->client_name));
	add_key(sb, "pipeline");
	chm_json_add_string(sb, p->name, strlen(p->name));
	add_key(sb, "external_id");
	chm_json_add_string(sb, p->external_id, strlen(p->external_id));
	if (p->plat == P_VENDOR && g->o->vendor_mapping) {
		add_key(sb, "mapping");
		chm_json_add_string(sb, g->o->vendor_mapping, strlen(g->o->vendor_mapping));
	}
}

/* fetched a little after the event it reports, never after the end */
static void envelope_record(struct gen *g, struct pipe *p, int64_t event_time)
{
	struct strbuf *sb = &g->out.sb;
	/* the jitter comes from the event time, not the pipeline's generator,
	 * so raw and canonical mode draw the same history */
	uint64_t h = (uint64_t)event_time ^ g->o->seed;
	int64_t fetched = event_time + 5 * USEC + (int64_t)(splitmix64(&h) % (55 * USEC));
	if (fetched > g->o->end_usec)
		fetched = g->o->end_usec;
	ADDL(sb, ",\"fetched_at\":");
	add_jtime(sb, fetched - fetched % USEC, T_Z);
	ADDL(sb, ",\"record\":");
}

static void envelope_end(struct gen *g)
{
	strbuf_addc(&g->out.sb, '}');
	out_end_line(&g->out);
	g->counts.records++;
}

static int64_t last_time(const struct attempt *a)
{
	return a->finish ? a->finish : a->start;
}

static void add_opt_time(struct strbuf *sb, int64_t usec, enum tfmt f)
{
	if (usec)
		add_jtime(sb, usec, f);
	else
		ADDL(sb, "null");
}

static void add_opt_str(struct strbuf *sb, const char *s)
{
	if (s)
		chm_json_add_string(sb, s, strlen(s));
	else
		ADDL(sb, "null");
}

static void raw_airflow(struct gen *g, struct pipe *p, const struct attempt *a)
{
	struct strbuf *sb = &g->out.sb;
	int64_t logical = a->slot - p->period;
	const char *state = a->source_status ? a->source_status : a->status == S_RUNNING ? "running"
					      : a->status == S_SUCCESS ? "success" : "failed";
	envelope_begin(g, p);
	envelope_record(g, p, last_time(a));
	ADDL(sb, "{\"conf\":{},\"dag_id\":");
	chm_json_add_string(sb, p->external_id, strlen(p->external_id));
	ADDL(sb, ",\"dag_run_id\":\"scheduled__");
	add_time(sb, logical, T_PLUS_NOFRAC);
	ADDL(sb, "\",\"data_interval_end\":");
	add_jtime(sb, a->slot, T_PLUS);
	ADDL(sb, ",\"data_interval_start\":");
	add_jtime(sb, logical, T_PLUS);
	ADDL(sb, ",\"end_date\":");
	add_opt_time(sb, a->finish, T_PLUS);
	ADDL(sb, ",\"execution_date\":");
	add_jtime(sb, logical, T_PLUS);
	ADDL(sb, ",\"external_trigger\":false,\"last_scheduling_decision\":");
	add_jtime(sb, last_time(a), T_PLUS);
	ADDL(sb, ",\"logical_date\":");
	add_jtime(sb, logical, T_PLUS);
	ADDL(sb, ",\"note\":null,\"run_type\":\"scheduled\",\"start_date\":");
	add_jtime(sb, a->start, T_PLUS);
	ADDL(sb, ",\"state\":\"");
	strbuf_adds(sb, state);
	ADDL(sb, "\"}");
	envelope_end(g);
}

static void raw_dbt_cloud(struct gen *g, struct pipe *p, const struct attempt *a)
{
	struct strbuf *sb = &g->out.sb;
	static const char *const humanized[] = { "Running", "Success", "Error", "Cancelled",
						 "Skipped" };
	int code = a->source_status ? 99 : a->status == S_RUNNING ? 3 : a->status == S_SUCCESS ? 10
		 : a->status == S_FAILED ? 20 : 30;
	int64_t created = a->start - 20 * USEC - (a->start % (40 * USEC));
	int64_t dequeued = a->start - 3 * USEC;
	int64_t upto = a->finish ? a->finish : g->o->end_usec;
	envelope_begin(g, p);
	envelope_record(g, p, last_time(a));
	ADDL(sb, "{\"id\":");
	strbuf_add_int(sb, a->num_id);
	ADDL(sb, ",\"trigger_id\":");
	strbuf_add_int(sb, a->num_id + 500000);
	ADDL(sb, ",\"account_id\":123456,\"environment_id\":49819,\"project_id\":123457,"
		 "\"job_definition_id\":");
	strbuf_adds(sb, p->external_id);
	ADDL(sb, ",\"status\":");
	strbuf_add_int(sb, code);
	ADDL(sb, ",\"dbt_version\":\"1.8.7\",\"git_branch\":\"main\",\"git_sha\":null,"
		 "\"status_message\":");
	add_opt_str(sb, a->error);
	ADDL(sb, ",\"created_at\":");
	add_jtime(sb, created, T_SPACE);
	ADDL(sb, ",\"updated_at\":");
	add_jtime(sb, last_time(a), T_SPACE);
	ADDL(sb, ",\"dequeued_at\":");
	add_jtime(sb, dequeued, T_SPACE);
	ADDL(sb, ",\"started_at\":");
	add_jtime(sb, a->start, T_SPACE);
	ADDL(sb, ",\"finished_at\":");
	add_opt_time(sb, a->finish, T_SPACE);
	ADDL(sb, ",\"status_humanized\":\"");
	strbuf_adds(sb, a->source_status ? "Unknown" : humanized[a->status]);
	ADDL(sb, "\",\"in_progress\":");
	strbuf_adds(sb, !a->finish ? "true" : "false");
	ADDL(sb, ",\"is_complete\":");
	strbuf_adds(sb, !a->finish ? "false" : "true");
	ADDL(sb, ",\"is_success\":");
	strbuf_adds(sb, a->status == S_SUCCESS && !a->source_status ? "true" : "false");
	ADDL(sb, ",\"is_error\":");
	strbuf_adds(sb, code == 20 ? "true" : "false");
	ADDL(sb, ",\"is_cancelled\":");
	strbuf_adds(sb, code == 30 ? "true" : "false");
	ADDL(sb, ",\"duration\":");
	add_hms(sb, upto - created);
	ADDL(sb, ",\"queued_duration\":");
	add_hms(sb, a->start - created);
	ADDL(sb, ",\"run_duration\":");
	add_hms(sb, upto - a->start);
	ADDL(sb, ",\"job_id\":");
	strbuf_adds(sb, p->external_id);
	ADDL(sb, "}");
	envelope_end(g);
}

/* run_results.json: written when the invocation ends, so never for a running one */
static void raw_dbt_core(struct gen *g, struct pipe *p, struct attempt *a)
{
	struct strbuf *sb = &g->out.sb;
	static const char *const layers[3] = { "stg", "int", "fct" };
	int64_t total = a->finish - a->start, t = a->start + 300000;
	int64_t step = (total - 300000) / 3;
	const char *noun = nouns[(size_t)p->index % NNOUNS];

	envelope_begin(g, p);
	envelope_record(g, p, a->finish);
	ADDL(sb, "{\"metadata\":{\"dbt_schema_version\":\"https://schemas.getdbt.com/dbt/run-results/v6.json\","
		 "\"dbt_version\":\"1.9.0\",\"generated_at\":");
	add_jtime(sb, a->finish, T_Z);
	ADDL(sb, ",\"invocation_id\":\"");
	add_uuid(sb, &a->idrng);
	ADDL(sb, "\",\"invocation_started_at\":");
	add_jtime(sb, a->start, T_Z);
	ADDL(sb, ",\"env\":{}},\"results\":[");
	for (int i = 0; i < 3; i++) {
		const char *status = "success";
		if (a->status == S_SKIPPED || (a->status == S_FAILED && i == 2))
			status = "skipped";
		else if (a->status == S_FAILED && i == 1)
			status = "error";
		int ran = strcmp(status, "skipped") != 0;
		int64_t rows = a->rows >= 0 ? a->rows / 3 + (i == 0 ? a->rows % 3 : 0) : -1;
		if (i)
			strbuf_addc(sb, ',');
		ADDL(sb, "{\"status\":\"");
		strbuf_adds(sb, status);
		ADDL(sb, "\",\"timing\":[");
		if (ran) {
			ADDL(sb, "{\"name\":\"compile\",\"started_at\":");
			add_jtime(sb, t, T_Z);
			ADDL(sb, ",\"completed_at\":");
			add_jtime(sb, t + 20000, T_Z);
			ADDL(sb, "},{\"name\":\"execute\",\"started_at\":");
			add_jtime(sb, t + 25000, T_Z);
			ADDL(sb, ",\"completed_at\":");
			add_jtime(sb, t + step, T_Z);
			ADDL(sb, "}");
		}
		ADDL(sb, "],\"thread_id\":\"Thread-1 (worker)\",\"execution_time\":");
		add_usec_seconds(sb, ran ? step : 0);
		ADDL(sb, ",\"adapter_response\":");
		if (ran && strcmp(status, "success") == 0) {
			ADDL(sb, "{\"_message\":\"INSERT 0 ");
			strbuf_add_int(sb, rows < 0 ? 0 : rows);
			ADDL(sb, "\",\"code\":\"INSERT\",\"rows_affected\":");
			strbuf_add_int(sb, rows < 0 ? -1 : rows);
			ADDL(sb, "},\"message\":\"INSERT 0 ");
			strbuf_add_int(sb, rows < 0 ? 0 : rows);
			strbuf_addc(sb, '"');
		} else if (ran) {
			ADDL(sb, "{},\"message\":");
			add_opt_str(sb, a->error);
		} else {
			ADDL(sb, "{},\"message\":null");
		}
		ADDL(sb, ",\"failures\":null,\"unique_id\":\"model.");
		strbuf_adds(sb, p->name);
		strbuf_addc(sb, '.');
		strbuf_adds(sb, layers[i]);
		strbuf_addc(sb, '_');
		strbuf_adds(sb, noun);
		ADDL(sb, "\",\"compiled\":true,\"relation_name\":\"\\\"analytics\\\".\\\"");
		strbuf_adds(sb, layers[i]);
		strbuf_addc(sb, '_');
		strbuf_adds(sb, noun);
		ADDL(sb, "\\\"\",\"batch_results\":null}");
		if (ran)
			t += step;
	}
	ADDL(sb, "],\"elapsed_time\":");
	add_usec_seconds(sb, total);
	ADDL(sb, ",\"args\":{\"which\":\"run\"}}");
	envelope_end(g);
}

static void ol_event(struct gen *g, struct pipe *p, struct attempt *a, const char *type,
		     int64_t when, const char *error)
{
	struct strbuf *sb = &g->out.sb;
	struct rng ids = a->idrng;   /* the same runId in START and its end */
	envelope_begin(g, p);
	envelope_record(g, p, when);
	ADDL(sb, "{\"eventType\":\"");
	strbuf_adds(sb, type);
	ADDL(sb, "\",\"eventTime\":");
	add_jtime(sb, when, T_Z);
	ADDL(sb, ",\"run\":{\"runId\":\"");
	add_uuid(sb, &ids);
	ADDL(sb, "\",\"facets\":{");
	if (error) {
		ADDL(sb, "\"errorMessage\":{\"_producer\":\"https://github.com/OpenLineage/OpenLineage/tree/1.24.2/integration/spark\","
			 "\"_schemaURL\":\"https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet\","
			 "\"message\":");
		chm_json_add_string(sb, error, strlen(error));
		ADDL(sb, ",\"programmingLanguage\":\"JAVA\"}");
	}
	ADDL(sb, "}},\"job\":{\"namespace\":");
	chm_json_add_string(sb, p->ol_namespace, strlen(p->ol_namespace));
	ADDL(sb, ",\"name\":");
	chm_json_add_string(sb, p->name, strlen(p->name));
	ADDL(sb, "},\"inputs\":[],\"outputs\":[],"
		 "\"producer\":\"https://github.com/OpenLineage/OpenLineage/tree/1.24.2/integration/spark\","
		 "\"schemaURL\":\"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent\"}");
	envelope_end(g);
}

static void raw_openlineage(struct gen *g, struct pipe *p, struct attempt *a)
{
	ol_event(g, p, a, "START", a->start, NULL);
	if (a->status != S_RUNNING)
		ol_event(g, p, a, a->status == S_SUCCESS ? "COMPLETE" : "FAIL", a->finish, a->error);
}

/* A RAT-style runs API item, as the shipped mapping (pipelines/vendors/rat.json)
 * reads it: status, epoch-millisecond times, duration_ms, rows_written and an
 * error object. */
static void add_vendor_id(struct strbuf *sb, struct attempt *a)
{
	static const char hex[] = "0123456789abcdef";
	struct rng ids = a->idrng;
	uint64_t id = rng_next(&ids);
	char idbuf[16];
	for (int i = 0; i < 16; i++)
		idbuf[i] = hex[(id >> (4 * i)) & 15];
	ADDL(sb, "run_");
	strbuf_add(sb, idbuf, 16);
}

static void raw_vendor(struct gen *g, struct pipe *p, struct attempt *a)
{
	struct strbuf *sb = &g->out.sb;
	static const char *const states[] = { "running", "success", "failed", "cancelled",
					      "cancelled" };
	envelope_begin(g, p);
	envelope_record(g, p, last_time(a));
	ADDL(sb, "{\"id\":\"");
	add_vendor_id(sb, a);
	ADDL(sb, "\",\"pipeline\":");
	chm_json_add_string(sb, p->external_id, strlen(p->external_id));
	ADDL(sb, ",\"status\":\"");
	strbuf_adds(sb, a->source_status ? a->source_status : states[a->status]);
	ADDL(sb, "\",\"started_at\":");
	strbuf_add_int(sb, a->start / 1000);
	ADDL(sb, ",\"ended_at\":");
	if (a->finish)
		strbuf_add_int(sb, a->finish / 1000);
	else
		ADDL(sb, "null");
	ADDL(sb, ",\"duration_ms\":");
	if (a->finish)
		strbuf_add_int(sb, a->finish / 1000 - a->start / 1000);
	else
		ADDL(sb, "null");
	ADDL(sb, ",\"rows_written\":");
	if (a->rows >= 0)
		strbuf_add_int(sb, a->rows);
	else
		ADDL(sb, "null");
	ADDL(sb, ",\"error\":");
	if (a->error) {
		ADDL(sb, "{\"message\":");
		chm_json_add_string(sb, a->error, strlen(a->error));
		ADDL(sb, ",\"code\":\"RUN_FAILED\"}");
	} else {
		ADDL(sb, "null");
	}
	ADDL(sb, "}");
	envelope_end(g);
}

static int cron_exit(const struct attempt *a)
{
	return a->status == S_SUCCESS ? 0 : 1 + (int)((a->start / USEC) % 3);
}

/* cron run ids as the cron wrapper makes them: name@host:start */
static void add_cron_id(struct strbuf *sb, const struct pipe *p, const struct attempt *a)
{
	strbuf_adds(sb, p->name);
	ADDL(sb, "@etl-");
	strbuf_add_int(sb, 1 + p->index % 3);
	strbuf_addc(sb, ':');
	add_time(sb, a->start, T_Z);
}

static void cron_event(struct gen *g, struct pipe *p, struct attempt *a, int end)
{
	struct strbuf *sb = &g->out.sb;
	envelope_begin(g, p);
	envelope_record(g, p, end ? a->finish : a->start);
	ADDL(sb, "{\"run_id\":\"");
	add_cron_id(sb, p, a);
	if (end)
		ADDL(sb, "\",\"event\":\"end\",\"started_at\":");
	else
		ADDL(sb, "\",\"event\":\"start\",\"started_at\":");
	add_jtime(sb, a->start, T_Z);
	ADDL(sb, ",\"finished_at\":");
	add_opt_time(sb, end ? a->finish : 0, T_Z);
	ADDL(sb, ",\"exit_status\":");
	if (end)
		strbuf_add_int(sb, cron_exit(a));
	else
		ADDL(sb, "null");
	ADDL(sb, ",\"signal\":null,\"stderr_tail\":");
	add_opt_str(sb, end ? a->error : NULL);
	ADDL(sb, ",\"host\":\"etl-");
	strbuf_add_int(sb, 1 + p->index % 3);
	ADDL(sb, "\",\"command\":\"/opt/etl/bin/");
	strbuf_adds(sb, p->name);
	ADDL(sb, ".sh\",\"pipeline\":\"");
	strbuf_adds(sb, p->client_name);
	strbuf_addc(sb, '/');
	strbuf_adds(sb, p->name);
	ADDL(sb, "\",\"rows_processed\":null}");
	envelope_end(g);
}

static void raw_cron(struct gen *g, struct pipe *p, struct attempt *a)
{
	cron_event(g, p, a, 0);
	if (a->status != S_RUNNING)
		cron_event(g, p, a, 1);
}

/* --------------------------------------------------- canonical records */

static void add_run_id(struct strbuf *sb, const struct pipe *p, struct attempt *a)
{
	struct rng ids = a->idrng;
	switch (p->plat) {
	case P_AIRFLOW:
		ADDL(sb, "scheduled__");
		add_time(sb, a->slot - p->period, T_PLUS_NOFRAC);
		break;
	case P_DBT_CLOUD:
		strbuf_add_int(sb, a->num_id);
		break;
	case P_VENDOR:
		add_vendor_id(sb, a);
		break;
	case P_CRON:
		add_cron_id(sb, p, a);
		break;
	default:
		add_uuid(sb, &ids);
	}
}

static const char *source_status_of(const struct pipe *p, const struct attempt *a)
{
	static const char *const af[] = { "running", "success", "failed", "failed", "failed" };
	static const char *const dc[] = { "3", "10", "20", "30", "30" };
	static const char *const core[] = { "running", "success", "error", "error", "skipped" };
	static const char *const ol[] = { "START", "COMPLETE", "FAIL", "FAIL", "FAIL" };
	static const char *const ven[] = { "running", "success", "failed", "cancelled", "cancelled" };
	static const char *const cr[] = { "start", "exit 0", "exit 1", "exit 1", "exit 1" };
	if (a->source_status)
		return a->source_status;
	switch (p->plat) {
	case P_AIRFLOW: return af[a->status];
	case P_DBT_CLOUD: return dc[a->status];
	case P_DBT_CORE: return core[a->status];
	case P_OPENLINEAGE: return ol[a->status];
	case P_VENDOR: return ven[a->status];
	default: return cr[a->status];
	}
}

static void canonical(struct gen *g, struct pipe *p, struct attempt *a)
{
	struct strbuf *sb = &g->out.sb;
	ADDL(sb, "{\"type\":\"run\",\"client\":");
	chm_json_add_string(sb, p->client_name, strlen(p->client_name));
	/* as chm-normalize has it: an OpenLineage run names no platform */
	if (p->plat != P_OPENLINEAGE) {
		ADDL(sb, ",\"platform\":\"");
		strbuf_adds(sb, plat_names[p->plat]);
		ADDL(sb, "\"");
	}
	ADDL(sb, ",\"external_id\":");
	chm_json_add_string(sb, p->external_id, strlen(p->external_id));
	ADDL(sb, ",\"external_run_id\":\"");
	add_run_id(sb, p, a);
	ADDL(sb, "\",\"status\":\"");
	strbuf_adds(sb, st_names[a->status]);
	ADDL(sb, "\",\"started_at\":");
	add_jtime(sb, a->start, T_Z);
	/* a run in an unknown state is running: no end yet, as chm-normalize has it */
	int64_t finish = a->status == S_RUNNING ? 0 : a->finish;
	ADDL(sb, ",\"finished_at\":");
	add_opt_time(sb, finish, T_Z);
	ADDL(sb, ",\"duration_seconds\":");
	if (finish)
		add_usec_seconds(sb, finish - a->start);
	else
		ADDL(sb, "null");
	ADDL(sb, ",\"rows_processed\":");
	if (a->rows >= 0)
		strbuf_add_int(sb, a->rows);
	else
		ADDL(sb, "null");
	ADDL(sb, ",\"error_message\":");
	add_opt_str(sb, a->error);
	ADDL(sb, ",\"status_reason\":");
	if (a->source_status) {
		ADDL(sb, "\"source status \\\"");
		strbuf_adds(sb, a->source_status);
		ADDL(sb, "\\\"\"");
	} else if (p->plat == P_CRON && a->status == S_FAILED) {
		ADDL(sb, "\"exit status ");
		strbuf_add_int(sb, cron_exit(a));
		strbuf_addc(sb, '"');
	} else {
		ADDL(sb, "null");
	}
	ADDL(sb, ",\"payload\":{\"synthetic\":true,\"attempt\":");
	strbuf_add_int(sb, a->number);
	ADDL(sb, ",\"source_status\":");
	chm_json_add_string(sb, source_status_of(p, a), strlen(source_status_of(p, a)));
	ADDL(sb, ",\"schedule\":\"");
	strbuf_adds(sb, p->sched_name);
	ADDL(sb, "\"}}");
	out_end_line(&g->out);
	g->counts.records++;
}

/* ------------------------------------------------------- the driver */

/* Emits one attempt in the chosen format; 0 when the run limit is reached. */
static int emit(struct gen *g, struct pipe *p, struct attempt *a)
{
	/* the vendor API keeps milliseconds: so does its history, in both modes */
	if (p->plat == P_VENDOR) {
		a->start -= a->start % 1000;
		a->finish -= a->finish % 1000;
	}
	/* dbt-core writes its artifact at the end: no record of a running one */
	if (p->plat == P_DBT_CORE && a->status == S_RUNNING)
		return 1;
	if (g->o->format == CHM_SYNTH_CANONICAL) {
		canonical(g, p, a);
	} else {
		switch (p->plat) {
		case P_AIRFLOW: raw_airflow(g, p, a); break;
		case P_DBT_CLOUD: raw_dbt_cloud(g, p, a); break;
		case P_DBT_CORE: raw_dbt_core(g, p, a); break;
		case P_OPENLINEAGE: raw_openlineage(g, p, a); break;
		case P_VENDOR: raw_vendor(g, p, a); break;
		default: raw_cron(g, p, a); break;
		}
	}
	g->counts.runs++;
	chm_progress_tick(g->o->progress, g->counts.runs);
	return !g->out.failed;
}

static void new_ids(struct pipe *p, struct attempt *a)
{
	p->seq++;
	a->num_id = 70000000LL + (int64_t)p->index * 1000000LL + p->seq;
	rng_seed(&a->idrng, rng_next(&p->rng), (uint64_t)p->seq);
}

/* One pipeline's history; 0 when the run limit stops the whole stream. */
static int gen_pipeline(struct gen *g, struct pipe *p)
{
	const int64_t end = g->o->end_usec, period = p->period;
	struct rng *r = &p->rng;
	int64_t first = (g->begin / DAY) * DAY + p->offset;
	while (first < g->begin)
		first += period;
	/* the last slot whose run could have started before the end */
	int64_t last = first + (end - 1 - first) / period * period;

	for (int64_t slot = first; slot < end; slot += period) {
		struct attempt a;
		memset(&a, 0, sizeof(a));
		a.slot = slot;
		a.rows = -1;
		a.number = 1;
		/* draw everything a slot needs before deciding to skip it, so a
		 * missing run does not shift the rest of the pipeline's history */
		int missing = rng_chance(r, 0.015);
		int late = rng_chance(r, 0.03);
		int64_t delay = late ? (10 + (int64_t)rng_below(r, 110)) * 60 * USEC
				     : USEC + (int64_t)rng_below(r, 40 * USEC);
		a.start = slot + delay;
		if (missing || a.start >= end || (p->silent_from && a.start >= p->silent_from))
			continue;
		int64_t dur = duration_at(g, p, slot);
		if (p->force_running && slot == last && a.start + dur <= end)
			dur = end - a.start + 60 * USEC + (int64_t)rng_below(r, 600 * USEC);
		double fail_p = p->flaky ? (p->prev_failed ? 0.35 : 0.65) : p->fail_rate;
		decide(g, p, &a, fail_p);
		new_ids(p, &a);
		if (a.start + dur >= end) {
			a.status = S_RUNNING;
			a.source_status = NULL;
			a.error = NULL;
			a.rows = -1;
		} else {
			a.finish = a.start + dur;
		}
		p->prev_failed = a.status == S_FAILED;
		if (!emit(g, p, &a))
			return 0;
		if (!a.finish)
			continue;   /* still running at the end */

		/* retries: Airflow clears the run (same run id, a later start);
		 * the others start a new run */
		int retry = a.source_status ||
			    (a.status == S_FAILED && !in_outage(g, p, a.start) && rng_chance(r, 0.4));
		while (retry && a.number < 3) {
			int64_t rstart = a.finish + (60 + (int64_t)rng_below(r, 540)) * USEC;
			if (rstart >= end)
				break;
			a.number++;
			a.start = rstart;
			a.finish = 0;
			a.rows = -1;
			dur = duration_at(g, p, slot);
			decide(g, p, &a, p->flaky ? 0.5 : 0.25);
			if (p->plat != P_AIRFLOW)
				new_ids(p, &a);
			if (a.start + dur >= end) {
				a.status = S_RUNNING;
				a.source_status = NULL;
				a.error = NULL;
				a.rows = -1;
			} else {
				a.finish = a.start + dur;
			}
			if (!emit(g, p, &a))
				return 0;
			retry = a.source_status || (a.status == S_FAILED && rng_chance(r, 0.3));
		}
		p->prev_failed = a.status == S_FAILED;
	}
	return 1;
}

/* --runs N: the scale of every period that makes about N run attempts.
 * The slots the schedules give (each pipeline's days / period) times the
 * attempts a slot makes on average (retries, less missing and silent runs),
 * measured over these schedules: SYNTH_ATTEMPTS_PER_SLOT. */
static int runs_scale(struct gen *g, struct chm_err *err)
{
	const struct chm_synth_opts *o = g->o;
	double slots = 0, most = 0;
	struct pipe p;

	g->scale = 1.0;
	for (int j = 0; j < o->pipelines; j++) {
		pipe_init(g, j, &p);
		slots += (double)o->days * DAY / (double)p.sched->period;
		most += (double)o->days * DAY / (double)SYNTH_MIN_PERIOD;
	}
	slots *= SYNTH_ATTEMPTS_PER_SLOT;
	most *= SYNTH_ATTEMPTS_PER_SLOT;
	if ((double)o->runs > most)
		return chm_err_set(err, CHM_EX_USAGE, CHM_E_OUT_OF_RANGE, "runs",
				   "--runs: %lld pipelines over %d days make at most about %.0f runs (one a "
				   "minute each); give more --pipelines or --days",
				   (long long)o->pipelines, o->days, most);
	g->scale = slots / (double)o->runs;
	return 0;
}

int chm_synth_run(const struct chm_synth_opts *opts, FILE *out,
		  struct chm_synth_counts *counts, struct chm_err *err)
{
	struct gen g;
	struct rng r;
	struct pipe p;

	memset(&g, 0, sizeof(g));
	g.o = opts;
	g.out.fp = out;
	strbuf_grow(&g.out.sb, FLUSH_AT + 4096);
	g.begin = opts->end_usec - (int64_t)opts->days * DAY;
	rng_seed(&r, opts->seed, 0);
	g.outage_client = (int)rng_below(&r, (uint64_t)opts->clients);
	/* a whole UTC day in the middle of the history */
	g.outage_start = (g.begin / DAY + 1 + (opts->days - 1) / 2) * DAY;
	if (g.outage_start + DAY > opts->end_usec)
		g.outage_start = (g.begin / DAY) * DAY;
	g.scale = 1.0;
	if (opts->runs && runs_scale(&g, err)) {
		strbuf_release(&g.out.sb);
		return -1;
	}

	if (opts->inventory)
		emit_inventory(&g);
	for (int j = 0; j < opts->pipelines && !g.out.failed; j++) {
		pipe_init(&g, j, &p);
		if (!gen_pipeline(&g, &p))
			break;
	}
	out_flush(&g.out);
	strbuf_release(&g.out.sb);
	if (counts)
		*counts = g.counts;
	if (!g.out.failed && (fflush(out) != 0 || ferror(out))) {
		g.out.failed = 1;
		g.out.errnum = errno;
	}
	if (g.out.failed) {
		/* the reader went away (`chm-synth | head`): it has what it wanted */
		if (g.out.errnum == EPIPE)
			return 0;
		return chm_err_set(err, CHM_EX_IOERR, CHM_E_WRITE_FAILED, "", "cannot write the output: %s",
				   strerror(g.out.errnum));
	}
	return 0;
}
