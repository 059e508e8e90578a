/* record: one NDJSON line to one JSON object with a "type" (chm-records(5)), and
 * the typed field getters every program uses to read records, each of which
 * reports the field at fault in a chm_err (status 65). It also owns the raw
 * JSON skipper the programs share: member spans, and the walk over a page's
 * array of items that chm-fetch and chm-normalize use so that a page never
 * becomes one jansson tree (a tree costs up to 80 times the text). */
#ifndef CHM_RECORD_H
#define CHM_RECORD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Parses line[0..len) strictly: valid UTF-8, no NUL byte, no duplicate key,
 * an object. Returns a new reference (the caller json_decref()s it) or NULL
 * with err. *type points into the object (NULL when it has none). */
json_t *chm_record_parse(const char *line, size_t len, const char **type, struct chm_err *err);

/* json_loadb, except that a document with an integer beyond 64 bits is read
 * with its integers as doubles instead of refused, and \u0000 is allowed. */
json_t *chm_json_loadb(const char *s, size_t len, size_t flags, json_error_t *jerr);
/* The bytes of the value of top-level member key in a line known to be
 * valid JSON (jansson parsed it), so a payload is copied as the source wrote
 * it, not printed again: 1 and *vs, *vlen; 0 when it is not found as plain
 * bytes (an escaped key). */
int chm_record_member_span(const char *s, size_t len, const char *key, const char **vs, size_t *vlen);
struct strbuf;
/* s[0..len) as a JSON string, quotes and escapes added: every JSON text
 * CHM writes by hand (runs, report rows, synthetic feeds) uses this one. */
void chm_json_add_string(struct strbuf *sb, const char *s, size_t len);
/* The value at a dotted path ("meta.next_cursor", "data.0.id"; "" is root
 * itself), or NULL: the one reader of the paths mappings and tables name. */
json_t *chm_json_path(json_t *root, const char *path);
/* The string member key of obj, or "" when it is missing or not a string:
 * for text that is shown (a subject, a message), where absent reads as empty. */
const char *chm_json_str(json_t *obj, const char *key);
/* s past JSON whitespace, at most to end. */
const char *chm_json_skip_ws(const char *s, const char *end);

/* The array at a dotted path of object members in a JSON text, walked one
 * element at a time. The scan validates little: the caller parses the
 * envelope (the text with the array replaced by []) and each element with
 * jansson, and chm_json_array_next checks the separators, so that together
 * they accept exactly the JSON jansson would. Spans point into the text. */
struct chm_json_array {
	const char *doc, *doc_end;   /* the value searched, up to just past its end */
	const char *open, *close;    /* the array: its '[' and just past its ']' */
	const char *p;               /* where the next element (or its ',') is */
	size_t index;                /* elements returned so far */
};
/* 1 when the value at s (after whitespace) is an object holding an array
 * at path (keys compared as raw bytes, the first of duplicates; "" is the
 * value itself, when it is an array); 0 otherwise. */
int chm_json_array_find(struct chm_json_array *a, const char *s, size_t len, const char *path);
/* 1 with the next element's span (without whitespace) and *nvals, about the
 * number of JSON values in it (what a jansson tree of it costs); 0 after
 * the last; -1 when the separators are wrong (a->p at the fault). */
int chm_json_array_next(struct chm_json_array *a, const char **es, size_t *elen, size_t *nvals);
void chm_json_array_rewind(struct chm_json_array *a);
/* Appends the value searched with the array replaced by []. */
struct strbuf;
void chm_json_array_envelope(const struct chm_json_array *a, struct strbuf *out);

/* Getters: 0 and the value; 1 when absent or null (value untouched); -1 with
 * err when present with the wrong type or range. */
int chm_get_string(json_t *obj, const char *key, const char **out, struct chm_err *err);
int chm_get_int(json_t *obj, const char *key, int64_t min, int64_t *out, struct chm_err *err);
int chm_get_number(json_t *obj, const char *key, double min, double *out, struct chm_err *err);
int chm_get_bool(json_t *obj, const char *key, int *out, struct chm_err *err);
/* A string that must be one of the NULL-terminated names. */
int chm_get_enum(json_t *obj, const char *key, const char *const *names, const char **out,
		 struct chm_err *err);

/* Writes obj as one compact line to fp. -1 on a write error. */
int chm_record_write(FILE *fp, json_t *obj);

#endif
