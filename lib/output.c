#include "output.h"

#include "record.h"
#include "redact.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define CELL_MAX 60   /* a table cell wider than this is cut: tables are for reading */

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

void chm_out_begin(struct chm_out *o, FILE *fp, enum chm_format format, const char *const *columns)
{
	o->fp = fp;
	o->format = format;
	o->columns = columns;
	o->rows = format == CHM_FORMAT_TABLE ? json_array() : NULL;
}

int chm_out_row(struct chm_out *o, json_t *row)
{
	if (o->format == CHM_FORMAT_TABLE) {
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
	if (o->format == CHM_FORMAT_TABLE)
		rc = chm_out_table(o->fp, o->rows, o->columns);
	json_decref(o->rows);
	o->rows = NULL;
	return ferror(o->fp) ? -1 : rc;
}

/* A cell's text: strings bare, null as "-", the rest as compact JSON; one
 * line, at most CELL_MAX characters. */
static char *cell_text(json_t *v)
{
	char *s;
	if (!v || json_is_null(v))
		s = chm_xstrdup("-");
	else if (json_is_string(v))
		s = chm_xstrdup(json_string_value(v));
	else
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	if (!s)
		s = chm_xstrdup("?");
	/* one terminal line, and no terminal escapes from names or messages:
	 * line breaks and tabs become spaces, other control characters "?" */
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
		else if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
	/* cut at CELL_MAX characters, on a UTF-8 boundary */
	size_t chars = 0;
	for (char *p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && ++chars > CELL_MAX) {
			size_t off = (size_t)(p - s);
			s = chm_xrealloc(s, off + 4);
			memcpy(s + off, "...", 4);
			break;
		}
	}
	return s;
}

static size_t width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void pad(FILE *fp, const char *s, size_t w, int last)
{
	fputs(s, fp);
	if (!last)
		for (size_t n = width(s); n < w + 2; n++)
			fputc(' ', fp);
}

int chm_out_table(FILE *fp, json_t *rows, const char *const *columns)
{
	size_t ncol = 0, nrow = json_array_size(rows);
	while (columns[ncol])
		ncol++;
	char **cells = chm_xmalloc((nrow + 1) * ncol * sizeof(char *));
	size_t *w = chm_xmalloc(ncol * sizeof(size_t));

	for (size_t c = 0; c < ncol; c++) {
		cells[c] = chm_xstrdup(columns[c]);
		w[c] = width(cells[c]);
	}
	for (size_t r = 0; r < nrow; r++)
		for (size_t c = 0; c < ncol; c++) {
			char *t = cell_text(chm_json_path(json_array_get(rows, r), columns[c]));
			cells[(r + 1) * ncol + c] = t;
			if (width(t) > w[c])
				w[c] = width(t);
		}
	for (size_t r = 0; r <= nrow; r++) {
		for (size_t c = 0; c < ncol; c++)
			pad(fp, cells[r * ncol + c], w[c], c == ncol - 1);
		fputc('\n', fp);
	}
	for (size_t i = 0; i < (nrow + 1) * ncol; i++)
		free(cells[i]);
	free(cells);
	free(w);
	return ferror(fp) ? -1 : 0;
}
