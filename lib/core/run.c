#include "core/run.h"

#include <math.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/enums.h"
#include "core/record.h"
#include "core/reject.h"

static int get_time(json_t *obj, const char *key, int *has, int64_t *out, struct chm_err *err)
{
	const char *s;
	int rc = chm_get_string(obj, key, &s, err);
	*has = 0;
	if (rc < 0)
		return -1;
	if (rc == 1)
		return 0;
	if (chm_time_parse(s, 0, out, NULL, key, err))
		return -1;
	*has = 1;
	return 0;
}

static int get_text(json_t *obj, const char *key, size_t max, const char **out, struct chm_err *err)
{
	*out = NULL;
	if (chm_get_string(obj, key, out, err) < 0)
		return -1;
	if (*out && max && strlen(*out) > max)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_TOO_LONG, key, "%s is longer than %zu bytes",
				   key, max);
	return 0;
}

int chm_run_from_json(json_t *obj, struct chm_run *run, struct chm_err *err)
{
	int rc;

	memset(run, 0, sizeof(*run));
	rc = chm_get_int(obj, "pipeline_id", 1, &run->pipeline_id, err);
	if (rc < 0)
		return -1;
	if (get_text(obj, "client", 200, &run->client, err) ||
	    get_text(obj, "external_id", 500, &run->external_id, err) ||
	    get_text(obj, "pipeline", 401, &run->pipeline, err))
		return -1;
	if (chm_get_enum(obj, "platform", chm_platforms, &run->platform, err) < 0)
		return -1;
	if (!run->pipeline_id) {
		if (!run->client && run->pipeline && strchr(run->pipeline, '/'))
			; /* "client/name", split by the resolver */
		else if (!run->client)
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "client",
					   "a run names its pipeline by pipeline_id, client + "
					   "[platform +] external_id, or client + pipeline");
		else if (!run->pipeline && !run->external_id)
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD,
					   run->platform ? "external_id" : "pipeline",
					   "a run names its pipeline by pipeline_id, client + "
					   "[platform +] external_id, or client + pipeline");
	}
	rc = get_text(obj, "external_run_id", 500, &run->external_run_id, err);
	if (rc < 0)
		return -1;
	if (!run->external_run_id || !*run->external_run_id)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "external_run_id",
				   "external_run_id is required");
	rc = chm_get_enum(obj, "status", chm_run_statuses, &run->status, err);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "status", "status is required");
	if (get_time(obj, "started_at", &run->has_started, &run->started_at, err) ||
	    get_time(obj, "finished_at", &run->has_finished, &run->finished_at, err))
		return -1;
	rc = chm_get_number(obj, "duration_seconds", 0, &run->duration_seconds, err);
	if (rc < 0)
		return -1;
	run->has_duration = rc == 0;
	rc = chm_get_int(obj, "rows_processed", 0, &run->rows_processed, err);
	if (rc < 0)
		return -1;
	run->has_rows = rc == 0;
	/* a NUL in free text (a job's stderr, a partner's message) becomes
	 * U+FFFD: the event is kept, PostgreSQL's text refuses NUL */
	static const char *const texts[] = { "error_message", "status_reason" };
	for (size_t i = 0; i < 2; i++) {
		json_t *t = json_object_get(obj, texts[i]);
		if (json_is_string(t) && strlen(json_string_value(t)) != json_string_length(t))
			json_object_set_new(obj, texts[i],
					    chm_json_string_lossy(json_string_value(t), json_string_length(t)));
	}
	if (get_text(obj, "error_message", CHM_TEXT_MAX, &run->error_message, err) ||
	    get_text(obj, "status_reason", CHM_TEXT_MAX, &run->status_reason, err))
		return -1;
	json_t *p = json_object_get(obj, "payload");
	if (p && !json_is_null(p)) {
		if (!json_is_object(p))
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_WRONG_TYPE, "payload",
					   "payload must be an object");
		run->payload = p;
	}
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *time_or_null(int has, int64_t t)
{
	char buf[CHM_TIME_BUFSZ];
	return has ? json_string(chm_time_format(t, buf)) : json_null();
}

json_t *chm_run_to_json(const struct chm_run *run)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string("run"));
	if (run->pipeline_id)
		json_object_set_new(o, "pipeline_id", json_integer(run->pipeline_id));
	if (run->client)
		json_object_set_new(o, "client", json_string(run->client));
	if (run->platform)
		json_object_set_new(o, "platform", json_string(run->platform));
	if (run->external_id)
		json_object_set_new(o, "external_id", json_string(run->external_id));
	if (run->pipeline)
		json_object_set_new(o, "pipeline", json_string(run->pipeline));
	json_object_set_new(o, "external_run_id", json_string(run->external_run_id));
	json_object_set_new(o, "status", json_string(run->status));
	json_object_set_new(o, "started_at", time_or_null(run->has_started, run->started_at));
	json_object_set_new(o, "finished_at", time_or_null(run->has_finished, run->finished_at));
	json_object_set_new(o, "duration_seconds",
			    run->has_duration ? json_real(run->duration_seconds) : json_null());
	json_object_set_new(o, "rows_processed",
			    run->has_rows ? json_integer(run->rows_processed) : json_null());
	json_object_set_new(o, "error_message", str_or_null(run->error_message));
	json_object_set_new(o, "status_reason", str_or_null(run->status_reason));
	json_object_set_new(o, "payload", run->payload ? json_incref(run->payload) : json_null());
	return o;
}


static void add_lit(struct strbuf *sb, const char *lit, size_t n)
{
	strbuf_add(sb, lit, n);
}
#define ADD_LIT(sb, s) add_lit((sb), (s), sizeof(s) - 1)

static void add_key_str(struct strbuf *sb, const char *key, size_t klen, const char *v)
{
	add_lit(sb, key, klen);
	if (v)
		chm_json_add_string(sb, v, strlen(v));
	else
		ADD_LIT(sb, "null");
}
#define KEY_STR(sb, k, v) add_key_str((sb), (k), sizeof(k) - 1, (v))

static void add_time(struct strbuf *sb, int has, int64_t t)
{
	if (!has) {
		ADD_LIT(sb, "null");
		return;
	}
	char buf[CHM_TIME_BUFSZ + 2];
	buf[0] = '"';
	size_t n = chm_time_write(t, buf + 1);
	buf[n + 1] = '"';
	strbuf_add(sb, buf, n + 2);
}

/* seconds to the microsecond, without trailing zeros: 415, 12.45265 */
static void add_duration(struct strbuf *sb, double d)
{
	if (!(d < 9.2e12) || d < 0) {
		strbuf_addf(sb, "%.17g", d);
		return;
	}
	int64_t us = llround(d * 1e6);
	strbuf_add_int(sb, us / 1000000);
	int64_t frac = us % 1000000;
	if (frac) {
		char f[8];
		int n = 6;
		f[0] = '.';
		for (int i = 6; i >= 1; i--, frac /= 10)
			f[i] = (char)('0' + frac % 10);
		while (f[n] == '0')
			n--;
		strbuf_add(sb, f, (size_t)n + 1);
	}
}

void chm_run_write(struct strbuf *sb, const struct chm_run *run, const char *payload_json,
		   size_t payload_len)
{
	ADD_LIT(sb, "{\"type\":\"run\"");
	if (run->pipeline_id) {
		ADD_LIT(sb, ",\"pipeline_id\":");
		strbuf_add_int(sb, run->pipeline_id);
	}
	if (run->client)
		KEY_STR(sb, ",\"client\":", run->client);
	if (run->platform)
		KEY_STR(sb, ",\"platform\":", run->platform);
	if (run->external_id)
		KEY_STR(sb, ",\"external_id\":", run->external_id);
	if (run->pipeline)
		KEY_STR(sb, ",\"pipeline\":", run->pipeline);
	KEY_STR(sb, ",\"external_run_id\":", run->external_run_id);
	KEY_STR(sb, ",\"status\":", run->status);
	ADD_LIT(sb, ",\"started_at\":");
	add_time(sb, run->has_started, run->started_at);
	ADD_LIT(sb, ",\"finished_at\":");
	add_time(sb, run->has_finished, run->finished_at);
	ADD_LIT(sb, ",\"duration_seconds\":");
	if (run->has_duration)
		add_duration(sb, run->duration_seconds);
	else
		ADD_LIT(sb, "null");
	ADD_LIT(sb, ",\"rows_processed\":");
	if (run->has_rows)
		strbuf_add_int(sb, run->rows_processed);
	else
		ADD_LIT(sb, "null");
	KEY_STR(sb, ",\"error_message\":", run->error_message);
	KEY_STR(sb, ",\"status_reason\":", run->status_reason);
	ADD_LIT(sb, ",\"payload\":");
	if (payload_json) {
		strbuf_add(sb, payload_json, payload_len);
	} else if (run->payload) {
		size_t n = json_dumpb(run->payload, NULL, 0, JSON_COMPACT);
		strbuf_grow(sb, n);
		sb->len += json_dumpb(run->payload, sb->buf + sb->len, n, JSON_COMPACT);
		sb->buf[sb->len] = '\0';
	} else {
		ADD_LIT(sb, "null");
	}
	ADD_LIT(sb, "}\n");
}
