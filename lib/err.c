#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void chm_err_clear(struct chm_err *err)
{
	memset(err, 0, sizeof(*err));
}

int chm_err_set(struct chm_err *err, int status, const char *code, const char *field,
		const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->status = status;
	snprintf(err->code, sizeof(err->code), "%s", code ? code : "");
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}
