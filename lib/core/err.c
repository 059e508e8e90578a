#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void chm_err_clear(struct chm_err *err)
{
	memset(err, 0, sizeof(*err));
}

const char *chm_err_code(enum chm_err_kind kind)
{
	static const char *const codes[] = {
#define X(kind, code) code,
		CHM_ERR_KINDS(X)
#undef X
	};
	return (size_t)kind < sizeof(codes) / sizeof(codes[0]) ? codes[kind] : "internal";
}

int chm_err_set(struct chm_err *err, int status, enum chm_err_kind kind, const char *field,
		const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->status = status;
	err->kind = kind;
	snprintf(err->code, sizeof(err->code), "%s", chm_err_code(kind));
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}
