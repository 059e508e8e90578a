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

struct chm_err {
	int status;        /* enum chm_exit */
	char code[48];     /* machine-readable, e.g. "unknown_pipeline" */
	char field[64];    /* the input field at fault, or "" */
	char msg[1024];
};

void chm_err_clear(struct chm_err *err);
/* Sets every part of err and returns -1, so callers can `return chm_err_set(...)`. */
int chm_err_set(struct chm_err *err, int status, const char *code, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
