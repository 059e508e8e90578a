#include "engines/runscan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/jscan.h"

#define MAX_TOP 32

static json_t *scalar(const struct jspan *v)
{
	char num[64];
	switch (v->type) {
	case 's':
		return v->escaped ? NULL : json_stringn_nocheck(v->p, v->n);
	case 't':
		return json_true();
	case 'f':
		return json_false();
	case 'z':
		return json_null();
	case 'n':
		if (v->n >= sizeof(num))
			return NULL;
		memcpy(num, v->p, v->n);
		num[v->n] = '\0';
		errno = 0;
		if (strpbrk(num, ".eE")) {
			double d = strtod(num, NULL);
			return errno ? NULL : json_real(d);
		} else {
			long long i = strtoll(num, NULL, 10);
			return errno ? NULL : json_integer(i);
		}
	default:
		return NULL;
	}
}

json_t *chm_run_scan(const char *line, size_t len, const char **payload, size_t *payload_len)
{
	struct jmember top[MAX_TOP];
	struct jscan js = { 0 };

	*payload = NULL;
	*payload_len = 0;
	js.top = top;
	js.top_max = MAX_TOP;
	/* a line with anything to redact is left to the general path, which
	 * redacts it: the payload cannot then be sent as it came */
	if (jscan_object_line(&js, line, len) != JSCAN_OK || js.suspicious)
		return NULL;
	const struct jmember *t = jscan_find(top, js.ntop, "type");
	if (!t || !jspan_is(&t->val, "run"))
		return NULL;
	json_t *obj = json_object();
	if (!obj)
		return NULL;
	for (size_t i = 0; i < js.ntop; i++) {
		const struct jmember *m = &top[i];
		if (m->key.n == 7 && memcmp(m->key.p, "payload", 7) == 0) {
			if (m->val.type == '{') {
				*payload = m->val.p;
				*payload_len = m->val.n;
				continue;
			}
			if (m->val.type == 'z')
				continue;
		}
		json_t *v = scalar(&m->val);
		if (!v || json_object_setn_new_nocheck(obj, m->key.p, m->key.n, v)) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}
