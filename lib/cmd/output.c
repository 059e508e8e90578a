#include "cmd/output.h"

#include "core/cli.h"
#include "core/record.h"
#include "core/redact.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/table.h"

void chm_fail_init(struct chm_fail *f)
{
	chm_err_clear(&f->err);
	f->details = NULL;
}

void chm_fail_release(struct chm_fail *f)
{
	json_decref(f->details);
	f->details = NULL;
}

static void add_issue(struct chm_fail *f, const char *field, const char *issue)
{
	if (!f->details)
		f->details = json_array();
	json_array_append_new(f->details, json_pack("{s:s,s:s}", "field", field, "issue", issue));
}

void chm_fail_issue(struct chm_fail *f, const char *field, const char *fmt, ...)
{
	char issue[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(issue, sizeof(issue), fmt, ap);
	va_end(ap);
	add_issue(f, field, issue);
}

int chm_fail_count(const struct chm_fail *f)
{
	return f->details ? (int)json_array_size(f->details) : 0;
}

int chm_fail_finish(struct chm_fail *f, int status, enum chm_err_kind kind)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	json_t *d;

	if (!chm_fail_count(f))
		return 0;
	json_array_foreach(f->details, i, d) {
		strbuf_adds(&sb, i ? "; " : "");
		strbuf_addf(&sb, "%s %s", json_string_value(json_object_get(d, "field")),
			    json_string_value(json_object_get(d, "issue")));
	}
	chm_err_set(&f->err, status, kind, "", "%s", sb.buf);
	strbuf_release(&sb);
	return -1;
}

int chm_fail_set(struct chm_fail *f, int status, enum chm_err_kind kind, const char *field,
		 const char *fmt, ...)
{
	va_list ap;

	f->err.status = status;
	f->err.kind = kind;
	snprintf(f->err.code, sizeof(f->err.code), "%s", chm_err_code(kind));
	snprintf(f->err.field, sizeof(f->err.field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(f->err.msg, sizeof(f->err.msg), fmt, ap);
	va_end(ap);
	if (field && *field)
		add_issue(f, field, f->err.msg);
	return -1;
}

int chm_fail_from_err(struct chm_fail *f, const struct chm_err *err)
{
	return chm_fail_set(f, err->status ? err->status : CHM_EX_SOFTWARE,
			    err->kind != CHM_E_NONE ? err->kind : CHM_E_INTERNAL, err->field, "%s", err->msg);
}

void chm_fail_print(FILE *fp, const struct chm_fail *f)
{
	json_t *e = json_object();
	json_object_set_new(e, "code", json_string(f->err.code[0] ? f->err.code : "internal"));
	struct strbuf clean = STRBUF_INIT;
	const char *msg = chm_redact_text(f->err.msg, strlen(f->err.msg), &clean) ? clean.buf : f->err.msg;
	json_object_set_new(e, "message", json_string(msg));
	strbuf_release(&clean);
	json_object_set_new(e, "details", f->details ? json_incref(f->details) : json_array());
	json_t *top = json_pack("{s:o}", "error", e);
	char *s = json_dumps(top, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fprintf(fp, "%s\n", s ? s : "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\",\"details\":[]}}");
	fflush(fp);
	free(s);
	json_decref(top);
}

void chm_fail_print_text(FILE *fp, const char *where, const struct chm_fail *f)
{
	struct strbuf clean = STRBUF_INIT;
	if (!chm_redact_text(f->err.msg, strlen(f->err.msg), &clean))
		strbuf_adds(&clean, f->err.msg);
	/* it may quote what was typed or read: no escape reaches the terminal */
	if (clean.len)
		chm_table_sanitise(clean.buf);
	fprintf(fp, "%s: %s%s%s\n", chm_program, where && *where ? where : "", where && *where ? ": " : "",
		clean.len ? clean.buf : "failed");
	fflush(fp);
	strbuf_release(&clean);
}

void chm_out_begin(struct chm_out *o, FILE *fp, enum chm_out_format format, int width, int color,
		   const char *const *columns)
{
	o->fp = fp;
	o->format = format;
	o->width = width;
	o->color = color;
	o->columns = columns;
	o->rows = format == CHM_OUT_TABLE ? json_array() : NULL;
}

int chm_out_row(struct chm_out *o, json_t *row)
{
	if (o->format == CHM_OUT_TABLE) {
		json_array_append_new(o->rows, row);
		return 0;
	}
	char *s = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	int rc = s && fprintf(o->fp, "%s\n", s) >= 0 ? 0 : -1;
	free(s);
	json_decref(row);
	return rc;
}

int chm_out_end(struct chm_out *o)
{
	int rc = 0;
	if (o->format == CHM_OUT_TABLE)
		rc = chm_out_table(o->fp, o->rows, o->columns, o->width, o->color);
	json_decref(o->rows);
	o->rows = NULL;
	return ferror(o->fp) ? -1 : rc;
}

/* A JSON value as a table cell: strings bare, numbers as numbers, the rest
 * (booleans, objects) as compact JSON text. */
static void add_cell(struct chm_table *t, json_t *v)
{
	if (!v || json_is_null(v)) {
		chm_table_add(t, CHM_CELL_NULL, NULL);
	} else if (json_is_string(v)) {
		chm_table_add(t, CHM_CELL_TEXT, json_string_value(v));
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |
					JSON_REAL_PRECISION(15));
		chm_table_add(t, json_is_number(v) ? CHM_CELL_NUMBER : CHM_CELL_TEXT, s ? s : "?");
		free(s);
	}
}

int chm_out_table(FILE *fp, json_t *rows, const char *const *columns, int width, int color)
{
	struct chm_table t;
	struct strbuf sb = STRBUF_INIT;
	size_t ncol = 0, r;
	json_t *row;

	while (columns[ncol])
		ncol++;
	chm_table_init(&t, columns, ncol);
	json_array_foreach(rows, r, row)
		for (size_t c = 0; c < ncol; c++)
			add_cell(&t, chm_json_path(row, columns[c]));
	chm_table_render(&t, width, color, &sb);
	chm_table_release(&t);
	if (sb.len)
		fwrite(sb.buf, 1, sb.len, fp);
	strbuf_release(&sb);
	return ferror(fp) ? -1 : 0;
}
