/* err: the one error shape of libchm. Library code never exits or prints: it
 * fills a struct chm_err and returns -1; the program decides what to do.
 * status is the exit status the error maps to (sysexits; chm-records(5) lists them). */
#ifndef CHM_ERR_H
#define CHM_ERR_H

enum chm_exit {
	CHM_EX_OK = 0,
	CHM_EX_USAGE = 64,
	CHM_EX_DATAERR = 65,
	CHM_EX_UNAVAILABLE = 69,
	CHM_EX_SOFTWARE = 70,
	CHM_EX_IOERR = 74,
	CHM_EX_TEMPFAIL = 75,
	CHM_EX_CONFIG = 78,
};

/* The kinds of error, each with the code the JSON outputs carry (rejects,
 * error objects, chm-records(5)). Programs decide by kind, never by
 * comparing strings; the code is derived from the kind. */
#define CHM_ERR_KINDS(X) \
	X(NONE, "") \
	X(AMBIGUOUS_PIPELINE, "ambiguous_pipeline") \
	X(BAD_CHILDREN_FILE, "bad_children_file") \
	X(BAD_DESTINATION, "bad_destination") \
	X(BAD_ENUM, "bad_enum") \
	X(BAD_FROM, "bad_from") \
	X(BAD_ITEM, "bad_item") \
	X(BAD_JSON, "bad_json") \
	X(BAD_MAPPING, "bad_mapping") \
	X(BAD_PAGE, "bad_page") \
	X(BAD_STATE, "bad_state") \
	X(BAD_TIME, "bad_time") \
	X(BAD_TIMESTAMP, "bad_timestamp") \
	X(BAD_VALUE, "bad_value") \
	X(CONFLICT, "conflict") \
	X(CONSTRAINT_VIOLATION, "constraint_violation") \
	X(CREDENTIALS, "credentials") \
	X(CURSOR_LOOP, "cursor_loop") \
	X(DB_CONFIG, "db_config") \
	X(DB_CONFLICT, "db_conflict") \
	X(DB_ERROR, "db_error") \
	X(DB_UNAVAILABLE, "db_unavailable") \
	X(DOCUMENT_TOO_LARGE, "document_too_large") \
	X(DUPLICATE_KEY, "duplicate_key") \
	X(EXEC, "exec") \
	X(HTTP_4XX, "http_4xx") \
	X(HTTP_AUTH, "http_auth") \
	X(HTTP_REDIRECT, "http_redirect") \
	X(INTERNAL, "internal") \
	X(INTERRUPTED, "interrupted") \
	X(INVALID_JSON, "invalid_json") \
	X(IO_ERROR, "io_error") \
	X(LINE_TOO_LONG, "line_too_long") \
	X(MIGRATION_REFUSED, "migration_refused") \
	X(MISSING_FIELD, "missing_field") \
	X(NOT_AN_OBJECT, "not_an_object") \
	X(NOT_CONFIGURED, "not_configured") \
	X(NOT_FOUND, "not_found") \
	X(OUT_OF_RANGE, "out_of_range") \
	X(PAGE_CAP, "page_cap") \
	X(READ_ERROR, "read_error") \
	X(READER_GONE, "reader_gone") \
	X(SCHEMA_BEHIND, "schema_behind") \
	X(STALE_REGRESSION, "stale_regression") \
	X(TLS, "tls") \
	X(TOO_LARGE, "too_large") \
	X(TOO_LONG, "too_long") \
	X(UNAVAILABLE, "unavailable") \
	X(UNKNOWN_CLIENT, "unknown_client") \
	X(UNKNOWN_MAPPING, "unknown_mapping") \
	X(UNKNOWN_PIPELINE, "unknown_pipeline") \
	X(UNKNOWN_SOURCE, "unknown_source") \
	X(USAGE, "usage") \
	X(VALIDATION_FAILED, "validation_failed") \
	X(WRITE_FAILED, "write_failed") \
	X(WRONG_TYPE, "wrong_type")

enum chm_err_kind {
#define X(kind, code) CHM_E_##kind,
	CHM_ERR_KINDS(X)
#undef X
	CHM_E_KIND_COUNT
};

/* The code of a kind: "unknown_pipeline" for CHM_E_UNKNOWN_PIPELINE. */
const char *chm_err_code(enum chm_err_kind kind);

struct chm_err {
	int status;        /* enum chm_exit */
	enum chm_err_kind kind;
	char code[48];     /* chm_err_code(kind), for the JSON outputs */
	char field[64];    /* the input field at fault, or "" */
	char msg[1024];
};

void chm_err_clear(struct chm_err *err);
/* Sets every part of err and returns -1, so callers can `return chm_err_set(...)`. */
int chm_err_set(struct chm_err *err, int status, enum chm_err_kind kind, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
