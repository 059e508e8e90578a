/* source: the helpers every source module shares (source.h): reading
 * times, ids, strings, numbers and paths of a jansson record, and the fast
 * reader's primitives over a line's jscan tree. They sit below the modules
 * and below the driver (normalize.c), so a module needs nothing of the
 * driver's. */
#include "sources/source.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chmtime.h"

/* ---- a record read through jansson ------------------------------------- */


int src_time_value(json_t *v, const char *field, int flags, int *has, int64_t *usec,
		   struct norm_item *it, struct chm_err *err)
{
	if (!v || json_is_null(v))
		return src_time_parts('z', NULL, 0, field, flags, has, usec, it, err);
	if (json_is_string(v))
		return src_time_parts('s', json_string_value(v), 0, field, flags, has, usec, it, err);
	if (json_is_number(v))
		return src_time_parts('n', NULL, json_number_value(v), field, flags, has, usec, it, err);
	return src_time_parts('?', NULL, 0, field, flags, has, usec, it, err);
}

int src_time_parts(char type, const char *s, double d, const char *field, int flags, int *has,
		   int64_t *usec, struct norm_item *it, struct chm_err *err)
{
	*has = 0;
	if (type == 'z')
		return 0;
	if (type == 's') {
		int assumed = 0;
		if (!*s)
			return 0; /* "" is how some partners say null */
		if (chm_time_parse(s, (flags & SRC_T_NO_ZONE) ? CHM_TIME_ALLOW_NO_ZONE : 0, usec,
				   &assumed, field, err))
			return -1;
		if (assumed && it)
			it->zone_assumed = 1;
		*has = 1;
		return 0;
	}
	if (type == 'n' && (flags & (SRC_T_EPOCH | SRC_T_EPOCH_S | SRC_T_EPOCH_MS))) {
		int ms = (flags & SRC_T_EPOCH_MS) ||
			 (!(flags & SRC_T_EPOCH_S) && fabs(d) > 1e11); /* 1e11 s is year 5138 */
		if (chm_time_from_epoch(d, ms, usec))
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_TIMESTAMP, field,
					   "%s: epoch %s %.17g is out of range", field,
					   ms ? "milliseconds" : "seconds", d);
		*has = 1;
		return 0;
	}
	return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_TIMESTAMP, field,
			   "%s must be an RFC 3339 timestamp%s", field,
			   (flags & (SRC_T_EPOCH | SRC_T_EPOCH_S | SRC_T_EPOCH_MS)) ? " or epoch seconds"
										   : "");
}

int src_time(json_t *obj, const char *key, int flags, int *has, int64_t *usec,
	     struct norm_item *it, struct chm_err *err)
{
	return src_time_value(json_object_get(obj, key), key, flags, has, usec, it, err);
}

const char *src_id(json_t *v, struct strbuf *sb)
{
	if (!v)
		return NULL;
	if (json_is_string(v))
		return *json_string_value(v) ? json_string_value(v) : NULL;
	if (json_is_integer(v)) {
		strbuf_reset(sb);
		strbuf_addf(sb, "%lld", (long long)json_integer_value(v));
		return sb->buf;
	}
	return NULL;
}

const char *src_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}


void src_unknown_status(const struct norm_env *env, struct norm_item *it, const char *canon,
			const char *value)
{
	struct strbuf *r = &env->s->reason;
	strbuf_reset(r);
	strbuf_adds(r, "source status \"");
	strbuf_add(r, value, strnlen(value, 200));
	strbuf_adds(r, "\"");
	it->run.status = canon;
	it->run.status_reason = r->buf;
}

int src_number(json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return isfinite(*out) ? 0 : -1;
	}
	if (json_is_string(v))
		return src_number_str(json_string_value(v), out);
	return -1;
}

int src_rows_add(int64_t *sum, int *has, long long n)
{
	if (n < 0)
		return 0;
	int64_t total;
	if (__builtin_add_overflow(*sum, (int64_t)n, &total))
		return -1;
	*sum = total;
	*has = 1;
	return 0;
}

int src_number_str(const char *s, double *out)
{
	char *end;
	if (!*s)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return (*end || errno || !isfinite(*out)) ? -1 : 0;
}

/* ---- the fast reader --------------------------------------------------- */


char src_fast_type(const struct src_fast *f, int k)
{
	return k < 0 ? 0 : f->js.nodes[k].val.type;
}

/* The string at node k as a C string, in *out (NULL when k is absent or not
 * a string, as src_str); -1 when it does not fit (take the general path). */
int src_fast_str(struct src_fast *f, int k, const char **out)
{
	*out = NULL;
	if (src_fast_type(f, k) != 's')
		return 0;
	const struct jspan *v = &f->js.nodes[k].val;
	char *d = f->arena + f->used;
	size_t len = v->n;
	if (v->n + 1 > sizeof(f->arena) - f->used)
		return -1;
	if (!v->escaped)
		memcpy(d, v->p, v->n);
	else if (jspan_unescape(v->p, v->n, d, &len))
		return -1;
	d[len] = '\0';
	f->used += len + 1;
	*out = d;
	return 0;
}

/* 1 with *out when node k is an integer (json_is_integer): jscan has left
 * no exponent and at most 15 digits, so strtoll reads it as jansson does. */
int src_fast_int(const struct src_fast *f, int k, long long *out)
{
	char buf[32];
	if (src_fast_type(f, k) != 'n')
		return 0;
	const struct jspan *v = &f->js.nodes[k].val;
	if (v->n >= sizeof(buf) || memchr(v->p, '.', v->n))
		return 0;
	memcpy(buf, v->p, v->n);
	buf[v->n] = '\0';
	*out = strtoll(buf, NULL, 10);
	return 1;
}

/* src_id on node k. */
int src_fast_id(struct src_fast *f, int k, const char **out)
{
	long long i;
	*out = NULL;
	if (src_fast_int(f, k, &i)) {
		char num[32];
		int len = snprintf(num, sizeof(num), "%lld", i);
		if ((size_t)len + 1 > sizeof(f->arena) - f->used)
			return -1;
		*out = memcpy(f->arena + f->used, num, (size_t)len + 1);
		f->used += (size_t)len + 1;
		return 0;
	}
	if (src_fast_str(f, k, out))
		return -1;
	if (*out && !**out)
		*out = NULL;
	return 0;
}

/* The number at node k (json_number_value); -1 when it is not one. */
int src_fast_number(const struct src_fast *f, int k, double *out)
{
	long long i;
	char buf[32];
	if (src_fast_type(f, k) != 'n')
		return -1;
	if (src_fast_int(f, k, &i)) {
		*out = (double)i;
		return 0;
	}
	const struct jspan *v = &f->js.nodes[k].val;
	if (v->n >= sizeof(buf))
		return -1;
	memcpy(buf, v->p, v->n);
	buf[v->n] = '\0';
	*out = strtod(buf, NULL);
	return 0;
}

/* src_time_value on node k; -1 for what the general path would reject. */
int src_fast_time(struct src_fast *f, int k, const char *field, int flags, int *has, int64_t *usec,
		     struct norm_item *it)
{
	struct chm_err err;
	const char *str = NULL;
	double d = 0;
	char t = src_fast_type(f, k);

	if (t == 0 || t == 'z') {
		t = 'z';
	} else if (t == 's') {
		if (src_fast_str(f, k, &str))
			return -1;
	} else if (t == 'n' && src_fast_number(f, k, &d)) {
		return -1;
	}
	return src_time_parts(t, str, d, field, flags, has, usec, it, &err);
}

/* chm_val_get for the fast path: the value at path in the tree. */
int src_fast_get(void *ctx, const char *path, struct chm_val *out)
{
	struct src_fast_rec *fr = ctx;
	struct src_fast *f = fr->f;
	int k = jscan_path(&f->js, fr->rec, path);
	long long i;

	memset(out, 0, sizeof(*out));
	out->type = src_fast_type(f, k);
	if (out->type == 's')
		return src_fast_str(f, k, &out->s);
	if (out->type == 'n') {
		if (src_fast_int(f, k, &i)) {
			out->type = 'i';
			out->i = i;
			return 0;
		}
		out->type = 'r';
		return src_fast_number(f, k, &out->d);
	}
	return 0;
}
